/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * control.h - the control socket (protocol: lib/ctl.h). Clients are served from fwd's loop:
 * requests are read without blocking, answers and monitor events queue per client and are
 * written as the client accepts them, so a slow client never stalls the daemon.
 */
#ifndef FWD_CONTROL_H
#define FWD_CONTROL_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

struct fwd;
struct client;

/* Create, bind and watch the socket (permissions per --group). 0 or -errno. */
int control_open(struct fwd *fwd);
/* Close every client and the socket, and remove the socket file. */
void control_close(struct fwd *fwd);

/* Monitor clients: mark c as one (the flag in the datapath follows their count). */
void control_set_monitor(struct fwd *fwd, struct client *c);
size_t control_monitor_count(struct fwd *fwd);
size_t control_client_count(struct fwd *fwd);
/* Answer c with msg and nfds file descriptors attached (SCM_RIGHTS), at once: only while
 * nothing else is queued for c (-EBUSY otherwise). 0 or -errno. */
int control_send_fds(struct client *c, struct json_object *msg, const int *fds, size_t nfds);
/* Queue {"event": ev} to every monitor client; takes ownership of ev. */
void control_broadcast_event(struct fwd *fwd, struct json_object *ev);

#endif
