// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * pins.c - open one of fwd's pinned maps, with an error that says what to do about it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <bpf/bpf.h>

#include "pins.h"

static const char *pins_hint(int err)
{
	switch (err) {
	case ENOENT:
		return " (is fwd running? it pins its maps there; see --pin-dir)";
	case EPERM:
	case EACCES:
		return " (run as root)";
	default:
		return "";
	}
}

int pins_open_map(const char *pin_dir, const char *name, char *err, unsigned long errlen)
{
	char path[4096];
	int fd;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", pin_dir, name) >= sizeof(path)) {
		snprintf(err, errlen, "cannot open %s/%s: path too long", pin_dir, name);
		return -ENAMETOOLONG;
	}
	fd = bpf_obj_get(path);
	if (fd < 0) {
		int e = errno;

		snprintf(err, errlen, "cannot open %s: %s%s", path, strerror(e), pins_hint(e));
		return -e;
	}
	return fd;
}
