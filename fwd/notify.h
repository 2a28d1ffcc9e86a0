/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * notify.h - fwd tells systemd how it is doing (sd_notify(3), for Type=notify units): ready
 * once it serves, reloading around a policy reload, a one-line status, stopping. Without
 * NOTIFY_SOCKET (not started by systemd) every call does nothing.
 */
#ifndef FWD_NOTIFY_H
#define FWD_NOTIFY_H

struct fwd;

/* READY=1 and the first STATUS=: the control socket is open, the interfaces attached. */
void notify_ready(struct fwd *fwd);
/* RELOADING=1 with MONOTONIC_USEC= (systemd 253+ matches it with the reload it asked for). */
void notify_reloading(void);
/* READY=1 after a reload, whether it was installed or refused, and the new STATUS=. */
void notify_reloaded(struct fwd *fwd);
/* STATUS= "filtering 2 interfaces, policy generation 3, 12 connections", sent only when
 * the text changed (the expiry pass calls this every second). */
void notify_status(struct fwd *fwd);
/* STOPPING=1: the stop has begun (detaching can take a moment). */
void notify_stopping(void);

#endif
