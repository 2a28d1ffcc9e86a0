/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * owner.h - one datapath, one fwd. The owner record (struct tcfw_owner in map "config") says
 * which fwd runs a datapath; an exclusive lock on the pin dir keeps a second fwd from using
 * the same pins while the first lives. The lock is an flock on the pin dir itself: the kernel
 * drops it when its holder dies, however it dies, so a crashed fwd never blocks its successor.
 */
#ifndef FWD_OWNER_H
#define FWD_OWNER_H

#include <stdbool.h>
#include <stddef.h>

#include "tcfw_abi.h"

/* This process as owner of the datapath with this control socket and pin dir. */
void owner_fill(struct tcfw_owner *o, const char *socket, const char *pin_dir);
/* The process o names is still running (and is that process, not a reuse of its pid). */
bool owner_alive(const struct tcfw_owner *o);
/* "fwd pid 123 (control socket /run/tcfw/fwd.sock, pin dir /sys/fs/bpf/tcfw)" into buf. */
void owner_describe(const struct tcfw_owner *o, char *buf, size_t len);
/* The owner record in the map "config" whose fd is given: 0, or -errno. */
int owner_read(int config_fd, struct tcfw_owner *o);

/* Lock pin_dir for this fwd (kept until exit; *fd is the lock). -EBUSY, with a message that
 * names the fwd holding it, when another one does. */
int owner_lock_pin_dir(const char *pin_dir, int *fd);

#endif
