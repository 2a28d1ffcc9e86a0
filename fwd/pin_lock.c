// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * pin_lock.c - one fwd per pin dir (see pin_lock.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "log.h"
#include "owner.h"

#include "pin_lock.h"

/* The owner recorded in the pins of pin_dir, described into buf. */
static void describe_pinned_owner(const char *pin_dir, char *buf, size_t len)
{
	char path[4096];
	struct tcfw_owner o;
	int fd;

	snprintf(buf, len, "another fwd");
	snprintf(path, sizeof(path), "%s/%s", pin_dir, TCFW_MAP_CONFIG);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return;
	if (owner_read(fd, &o) == 0)
		owner_describe(&o, buf, len);
	close(fd);
}

int pin_dir_lock(const char *pin_dir, int *fd)
{
	char who[512];
	int err;

	*fd = open(pin_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*fd < 0) {
		err = -errno;
		pr_warn("cannot open the pin dir %s to lock it: %s", pin_dir, strerror(errno));
		return err;
	}
	if (flock(*fd, LOCK_EX | LOCK_NB) == 0)
		return 0;
	err = errno == EWOULDBLOCK ? -EBUSY : -errno;
	if (err == -EBUSY) {
		describe_pinned_owner(pin_dir, who, sizeof(who));
		pr_warn("pin dir %s is in use by %s: refusing to run a second fwd on the same "
		        "datapath; stop that one first, or give this fwd its own --pin-dir and "
		        "--socket (and interfaces no other fwd manages)",
		        pin_dir, who);
	} else {
		pr_warn("cannot lock the pin dir %s: %s", pin_dir, strerror(-err));
	}
	close(*fd);
	*fd = -1;
	return err;
}
