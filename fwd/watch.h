/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * watch.h - every WATCH_INTERVAL_S, check that the datapath is still attached where fwd put
 * it, and attach again where it is not (ifaces_verify()). A filter deleted by hand, a clsact
 * qdisc removed, or another tool that replaced our program would otherwise leave the
 * interface unfiltered while `fwctl status` still said attached.
 */
#ifndef FWD_WATCH_H
#define FWD_WATCH_H

#define WATCH_INTERVAL_S 1

struct fwd;

/* Start the timer in fwd's loop. 0 or -errno. */
int watch_start(struct fwd *fwd);
void watch_stop(struct fwd *fwd);

#endif
