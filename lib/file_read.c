// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * file_read.c - the whole of an open file into memory (see file_read.h).
 */
#include <errno.h>
#include <stdlib.h>

#include "file_read.h"

#define FILE_READ_FIRST 65536 /* a policy of a few hundred rules in one read */

int file_read_all(FILE *f, size_t max, char **text, size_t *len)
{
	size_t cap = 0, used = 0, n;
	char *buf = NULL, *bigger;
	int err = 0;

	*text = NULL;
	*len = 0;
	for (;;) {
		if (used + 1 >= cap) {
			if (max && cap > max) {
				err = -EFBIG;
				break;
			}
			bigger = realloc(buf, cap = cap ? cap * 2 : FILE_READ_FIRST);
			if (!bigger) {
				err = -ENOMEM;
				break;
			}
			buf = bigger;
		}
		n = fread(buf + used, 1, cap - used - 1, f);
		used += n;
		if (n == 0)
			break;
	}
	if (!err && ferror(f))
		err = errno ? -errno : -EIO;
	if (!err && max && used > max)
		err = -EFBIG;
	if (err) {
		free(buf);
		return err;
	}
	buf[used] = '\0';
	*text = buf;
	*len = used;
	return 0;
}
