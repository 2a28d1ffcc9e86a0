/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * expiry.h - every --expire-interval seconds, delete the connections whose time since their
 * last packet exceeds the active policy's timeout for their state, and report each as a
 * destroy event; when the table is nearly full, also drop connections that are not ASSURED
 * (early drop, see expiry.c). Connections end only here, at `fwctl ct del/flush`, and when a
 * SYN reopens a closed TCP connection in the datapath: the table never evicts.
 */
#ifndef FWD_EXPIRY_H
#define FWD_EXPIRY_H

struct fwd;

/* Start the interval timer in fwd's loop. 0 or -errno. */
int expiry_start(struct fwd *fwd);
void expiry_stop(struct fwd *fwd);
/* One pass now (the timer calls this). */
void expiry_run(struct fwd *fwd);

#endif
