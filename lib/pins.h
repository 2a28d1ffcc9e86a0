/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * pins.h - opening fwd's pinned maps (<pin-dir>/<name>, names in tcfw_abi.h).
 */
#ifndef TCFW_PINS_H
#define TCFW_PINS_H

/* Open a pinned map read-write. fd, or -errno with a one-line reason in err, e.g.
 * "cannot open /sys/fs/bpf/tcfw/ct: No such file or directory (is fwd running?)". */
int pins_open_map(const char *pin_dir, const char *name, char *err, unsigned long errlen);

#endif
