/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * attach.h - the two programs on an interface's clsact qdisc, through libbpf's TC netlink API.
 *
 * Filters use a fixed handle and priority so that a new fwd replaces an old one's programs in
 * place (BPF_TC_F_REPLACE: the kernel swaps the program under RCU, no packet goes unfiltered)
 * and so that --cleanup finds them without knowing which programs they are.
 */
#ifndef FWD_ATTACH_H
#define FWD_ATTACH_H

#include <stdbool.h>
#include <stddef.h>

#include "attached.h"

#define FWD_TC_HANDLE   TCFW_TC_HANDLE
#define FWD_TC_PRIORITY TCFW_TC_PRIORITY

/* Create the clsact qdisc if needed (*created_qdisc says whether this call made it) and attach
 * or replace both programs. 0, or -errno with "cannot attach to NAME: reason (what to do)" in
 * err. */
int attach_iface(int ifindex, const char *name, int prog_ingress_fd, int prog_egress_fd,
                 bool *created_qdisc, char *err, size_t errlen);

/* Remove our two filters (absent ones are fine). With destroy_qdisc, also remove the clsact
 * qdisc, unless other filters now live on it (someone else's): then it stays. 0 or -errno. */
int detach_iface(int ifindex, const char *name, bool destroy_qdisc);

#endif
