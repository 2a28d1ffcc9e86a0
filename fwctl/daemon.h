/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * daemon.h - fwctl's side of the control socket: connect, one request and its answer, and the
 * "hello" that tells where fwd pinned its maps. Every failure is printed here, once, as a line
 * saying what failed and what to do; callers only pass the exit status on.
 */
#ifndef FWCTL_DAEMON_H
#define FWCTL_DAEMON_H

#include <limits.h>
#include <stdbool.h>

#include <json-c/json.h>

#include "ctl.h"
#include "fwctl.h"

struct daemon {
	struct ctl_conn conn;
	bool connected;
	char pin_dir[PATH_MAX]; /* from hello */
	/* Read-only fds of fwd's maps (daemon_hello asks for them), by name; maps_open() uses
	 * them before the pins. Closed by daemon_close(). */
	size_t nmaps;
	int map_fd[CTL_MAX_FDS];
	char map_name[CTL_MAX_FDS][32];
};

/* Connect to fwd at fw->socket_path. 0, or FWCTL_EXIT_FAILURE (printed). */
int daemon_connect(struct fwctl *fw, struct daemon *d);
void daemon_close(struct daemon *d);

/* {"cmd": cmd}, to which callers add their fields. */
struct json_object *daemon_request(const char *cmd);
/* Send req (always consumed) and wait for the answer. 0 with *data set to the answer's "data"
 * (a reference the caller puts; NULL when there was none), or the exit status after printing
 * why: fwd's own error with its status (1, or 2 for a usage error), or 1 for a lost link. */
int daemon_call(struct fwctl *fw, struct daemon *d, struct json_object *req,
                struct json_object **data);
/* Connect, send one request and close: what a command that asks fwd once does. As
 * daemon_call(). */
int daemon_ask(struct fwctl *fw, struct json_object *req, struct json_object **data);
/* Connect (if needed) and send one request: daemon_connect + daemon_call. */
int daemon_request_once(struct fwctl *fw, struct daemon *d, struct json_object *req,
                        struct json_object **data);
/* Connect, ask where the maps are pinned (fills d->pin_dir), and for read-only fds of the maps
 * listings read (fills d->map_fd; an fwd that cannot pass them leaves the pins to use). 0 or
 * the exit status. */
int daemon_hello(struct fwctl *fw, struct daemon *d);

/*
 * Where listings read the maps from, in this order: the pins in --pin-dir (no fwd asked);
 * fwd's fds (daemon_hello); when no fwd answers on the socket, the datapath attached to an
 * interface of this network namespace (a fwd stopped with --keep or killed: its programs and
 * maps live on), said on stderr. 0 with d ready for maps_open(), or the exit status (printed).
 */
int daemon_maps(struct fwctl *fw, struct daemon *d);

/* Small json-c getters with defaults, for reading fwd's answers. */
const char *json_get_str(struct json_object *o, const char *key, const char *dflt);
long long json_get_int(struct json_object *o, const char *key, long long dflt);

#endif
