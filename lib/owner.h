/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * owner.h - the owner record of a datapath (struct tcfw_owner in map "config"): which fwd runs
 * it. fwd writes it at start; a second fwd reads it to name the first (and to tell a live one
 * from one that is gone), fwctl to say whose datapath it reads when no fwd answers.
 */
#ifndef TCFW_OWNER_H
#define TCFW_OWNER_H

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

#endif
