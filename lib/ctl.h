/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * ctl.h - the control protocol between fwctl and fwd: newline-delimited JSON objects over a
 * Unix stream socket (json-c escapes newlines inside strings, so one line is one message).
 *
 * Request:  {"cmd": "ct-del", "args": ["proto", "tcp"]}            (args optional)
 *           {"cmd": "policy-load", "name": "policy.conf", "text": "..."}
 * Response: {"ok": true, "data": {...}}                            (data optional)
 *           {"ok": false, "error": "one line", "status": 1|2}     (2: usage error)
 *
 * Commands (fwd/control.c is the authority): hello (pin_dir, pid, version), maps (read-only
 * fds of the maps named in "names", passed with SCM_RIGHTS in the order of "maps"), status, ct-del,
 * ct-flush, policy-load, policy-show, rule-add, rule-del, rule-list, monitor (the connection
 * stays open and fwd streams {"event": {...}} lines until the client closes it).
 *
 * Who may connect: root, or the group given to fwd with --group; fwd checks SO_PEERCRED.
 */
#ifndef TCFW_CTL_H
#define TCFW_CTL_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#define TCFW_VERSION         "0.1.0" /* fwd and fwctl; fwd reports it in hello and status */
#define TCFW_DEFAULT_SOCKET  "/run/tcfw/fwd.sock"
#define TCFW_DEFAULT_PIN_DIR "/sys/fs/bpf/tcfw"
/* The longest message, its newline included. The largest request is policy-load, which carries
 * a whole policy text: 50,000 rules are about 4 MiB, so 16 MiB leaves room for policies larger
 * than any we measured, while fwd never holds more than this for one request being read. */
#define TCFW_CTL_MAX_MSG (16u << 20)

struct ctl_conn {
	int fd;
	char *buf; /* bytes received, not yet returned as a message */
	size_t len, cap;
	size_t scanned; /* bytes of buf already searched for a newline (large messages) */
	size_t max_msg; /* longest message accepted, newline included; 0: TCFW_CTL_MAX_MSG */
};

/* Client: connect; on failure a one-line reason in err, e.g.
 * "cannot reach fwd at /run/tcfw/fwd.sock: No such file or directory (is fwd running?)". */
int ctl_connect(struct ctl_conn *c, const char *path, char *err, size_t errlen);
void ctl_close(struct ctl_conn *c);

/* Send one message (a json object). 0 or -errno. */
int ctl_send(struct ctl_conn *c, struct json_object *msg);
/* Receive one message: 1 with *msg set (caller puts it), 0 at EOF, -errno on error:
 * -EBADMSG for a line that is not one JSON object (the next line may be fine), -EMSGSIZE for a
 * line longer than max_msg (the connection cannot go on: where the next message starts is
 * unknown). Blocking; fwd calls ctl_recv_ready() from its event loop instead. */
int ctl_recv(struct ctl_conn *c, struct json_object **msg);
/* Non-blocking variant for an event loop: returns as ctl_recv, or -EAGAIN when no whole message
 * is there yet. Reads at most CTL_READ_BUDGET bytes per call, so that one client sending a
 * large message shares the loop with others; the rest stays in the socket, which therefore
 * still polls readable. */
int ctl_recv_ready(struct ctl_conn *c, struct json_object **msg);
#define CTL_READ_BUDGET (256u << 10)

/* Memory the connection holds for received bytes (its buffer's size). */
static inline size_t ctl_held(const struct ctl_conn *c)
{
	return c->cap;
}

/* ---- responses: built and read here only, by fwd and by fwctl ---- */
/* {"ok": true} with "data" when data is not NULL (the response takes data's reference). */
struct json_object *ctl_reply_ok(struct json_object *data);
/* {"ok": false, "error": error, "status": status} (status 1: failed, 2: bad request). */
struct json_object *ctl_reply_error(int status, const char *error);

struct ctl_reply {
	bool ok;
	struct json_object *data; /* ok: "data", borrowed from the response; NULL when none */
	const char *error;        /* !ok: the message, borrowed; a default when fwd gave none */
	int status;               /* !ok: 1 or 2 (anything else reads as 1) */
};
/* Read a response into *r: 0, or -EPROTO when it is none ("ok" missing or not a boolean). */
int ctl_reply_parse(struct json_object *resp, struct ctl_reply *r);

/* Client convenience: send a request, wait for the response. */
int ctl_call(struct ctl_conn *c, struct json_object *req, struct json_object **resp);

/*
 * File descriptors with a message (SCM_RIGHTS): how fwd hands fwctl read-only fds of its maps
 * ("maps" command), so that fwctl reads them whatever mount namespace it runs in (a bpffs that
 * fwd mounted under `ip netns exec` is invisible to every other command) and whatever rights
 * it has on the pins (members of fwd's --group).
 */
#define CTL_MAX_FDS 16
/* Send msg and its newline in one sendmsg with nfds fds attached. For small messages on a
 * socket with nothing else queued (it does not wait). 0 or -errno. */
int ctl_send_fds(int fd, struct json_object *msg, const int *fds, size_t nfds);
/* ctl_call() whose response may carry fds: at most max of them into fds (*nfds of them; the
 * caller closes them), more are closed. */
int ctl_call_fds(struct ctl_conn *c, struct json_object *req, struct json_object **resp, int *fds,
                 size_t max, size_t *nfds);

#endif
