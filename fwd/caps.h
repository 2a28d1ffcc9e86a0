/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * caps.h - does fwd hold the capabilities its datapath needs? Checked before anything is
 * touched, so that a unit file or container that grants too few gets one line naming what
 * is missing instead of a verifier log or a half-attached gateway.
 */
#ifndef FWD_CAPS_H
#define FWD_CAPS_H

#include <stdbool.h>

/* 0, or -EPERM after a message naming each missing capability and what it is for. group:
 * fwd runs with --group, and gives the control socket to that group (CAP_CHOWN). */
int caps_check(bool group);

/* Once fwd runs (socket made, programs loaded and attached): keep only what the running
 * daemon still uses (CAP_NET_ADMIN, CAP_SYS_ADMIN, CAP_BPF, CAP_PERFMON, those of them it has)
 * and drop every other capability from its effective, permitted, inheritable, ambient and
 * bounding sets, for good. A failure is logged and not fatal. */
void caps_drop_unneeded(void);

#endif
