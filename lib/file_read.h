/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * file_read.h - the whole of an open file (a policy, stdin) into one NUL-terminated buffer:
 * the one reader for fwd's policy file (policy_parse_file), fwctl's `policy check|load` and the
 * bench's policies (bench_read_file).
 */
#ifndef TCFW_FILE_READ_H
#define TCFW_FILE_READ_H

#include <stddef.h>
#include <stdio.h>

/* Read f to its end into *text (malloc'd, NUL-terminated; *len bytes before the NUL). 0, or
 * -EFBIG when it holds more than max bytes (0: no limit), -ENOMEM, or the -errno of the read;
 * *text is NULL after an error. The caller opens and closes f. */
int file_read_all(FILE *f, size_t max, char **text, size_t *len);

#endif
