/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * signals.h - SIGTERM/SIGINT (stop) and SIGHUP (reload) through a signalfd in fwd's loop.
 */
#ifndef FWD_SIGNALS_H
#define FWD_SIGNALS_H

#include <stdbool.h>

struct fwd;

/* Block the signals (so they wait for the loop) and ignore SIGPIPE. Call first. */
void signals_block(void);
/* Watch them in fwd's loop. 0 or -errno. */
int signals_open(struct fwd *fwd);
void signals_close(struct fwd *fwd);
/* A SIGTERM or SIGINT is waiting (sent while fwd was still starting). */
bool signals_stop_pending(void);

#endif
