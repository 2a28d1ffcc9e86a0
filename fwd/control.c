// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * control.c - control clients: accept with a credential check, read requests without
 * blocking, dispatch through the command table, queue answers (see control.h).
 *
 * Every client is bounded (control_limits.h): its request being read, its unsent output, its
 * share of each turn of the loop; and all of them together: their number and the memory they
 * hold. A client that does not read its answers is not read from either (backpressure);
 * requests it already sent wait in its buffer, and the loop comes back for them (loop_defer)
 * once the output drains.
 */
#include <errno.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "log.h"
#include "quote.h"

#include "commands.h"
#include "control.h"
#include "control_limits.h"
#include "control_socket.h"
#include "fwd.h"
#include "monitor.h"

#define MIB(bytes) ((unsigned int)((bytes) >> 20))
/* An empty output buffer larger than this is freed rather than kept. */
#define CLIENT_KEEP_OUT (64u << 10)

struct client {
	struct control *ctl;
	struct ctl_conn conn; /* fd and the bytes of a request not complete yet */
	struct loop_source src;
	char *out;      /* buffer of queued output: out_len bytes from out_off are not sent yet */
	size_t out_off; /* sent bytes before them: moved out only to make room, not per send */
	size_t out_len, out_cap;
	uint32_t watching; /* epoll events registered */
	bool closing;      /* close once the output is flushed (peer sent EOF) */
	bool dead;         /* write failed, done or dropped: closed from a deferred call, never in
	                    * the middle of a handler that may still use it */
	bool monitor;
	uint64_t dropped; /* events dropped since the last one delivered */
	pid_t pid;
	uid_t uid;
	struct client *next;
};

struct control {
	struct fwd *fwd;
	struct loop_source listen;
	char *path;
	bool created_dir;
	struct client *clients;
	size_t nclients, nmonitors;
	time_t refused_logged; /* last warning about refused connections (CLOCK_MONOTONIC s) */
	uint64_t refused;      /* connections refused since that warning */
};

static const struct {
	const char *name;
	cmd_handler fn;
} commands[] = {
    {"hello", fwd_cmd_hello},
    {"maps", fwd_cmd_maps},
    {"status", fwd_cmd_status},
    {"ct-del", fwd_cmd_ct_del},
    {"ct-flush", fwd_cmd_ct_flush},
    {"policy-load", fwd_cmd_policy_load},
    {"policy-show", fwd_cmd_policy_show},
    {"rule-add", fwd_cmd_rule_add},
    {"rule-del", fwd_cmd_rule_del},
    {"rule-list", fwd_cmd_rule_list},
    {"set-add", fwd_cmd_set_add},
    {"set-del", fwd_cmd_set_del},
    {"set-flush", fwd_cmd_set_flush},
    {"rule-reset", fwd_cmd_rule_reset},
    {"monitor", fwd_cmd_monitor},
    {"ha-status", fwd_cmd_ha_status},
    {"ha-role", fwd_cmd_ha_role},
};

/* ---- replies helpers (commands.h) ----------------------------------------------------------- */
void cmd_fail(struct cmd_reply *r, int status, const char *fmt, ...)
{
	va_list ap;

	free(r->error);
	va_start(ap, fmt);
	if (vasprintf(&r->error, fmt, ap) < 0)
		r->error = NULL;
	va_end(ap);
	r->status = status;
}

const char *cmd_arg_string(struct json_object *req, const char *key, struct cmd_reply *r)
{
	struct json_object *v;

	if (!json_object_object_get_ex(req, key, &v) || !json_object_is_type(v, json_type_string)) {
		cmd_fail(r, 2, "missing string member \"%s\" in the request", key);
		return NULL;
	}
	return json_object_get_string(v);
}

int cmd_arg_int64(struct json_object *req, const char *key, long long *out, struct cmd_reply *r)
{
	struct json_object *v;

	if (!json_object_object_get_ex(req, key, &v) || !json_object_is_type(v, json_type_int)) {
		cmd_fail(r, 2, "missing integer member \"%s\" in the request", key);
		return -1;
	}
	*out = (long long)json_object_get_int64(v);
	return 0;
}

/* ---- limits ---------------------------------------------------------------------------------- */
static struct loop *client_loop(struct client *c)
{
	return &c->ctl->fwd->loop;
}

/* Memory this client holds: its input buffer and its output buffer. */
static size_t client_held(const struct client *c)
{
	return ctl_held(&c->conn) + c->out_cap;
}

static bool client_paused(const struct client *c)
{
	return c->out_len > CONTROL_OUTPUT_PAUSE;
}

/* Past a limit: say so in the log, free what the client holds now, and close it from a
 * deferred call (the caller may still be using it). */
static void client_drop(struct client *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void client_drop(struct client *c, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	if (c->dead)
		return;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	pr_warn("control: dropping client pid %d uid %u: %s", (int)c->pid, (unsigned int)c->uid,
	        why);
	c->dead = true;
	free(c->conn.buf);
	c->conn.buf = NULL;
	c->conn.len = c->conn.cap = c->conn.scanned = 0;
	free(c->out);
	c->out = NULL;
	c->out_off = c->out_len = c->out_cap = 0;
	loop_defer(client_loop(c), &c->src);
}

/* All clients together hold at most CONTROL_MAX_HELD: past it, drop clients until they fit.
 * The one dropped first is the one with the largest unfinished request: that is memory a client
 * can make fwd hold at will, while unsent output is bounded per client already (reading pauses)
 * and a client that reads slowly should not lose an answer to one that floods. Called whenever
 * a client's buffers grew. */
static void control_enforce_held(struct control *ctl)
{
	for (;;) {
		struct client *big = NULL;
		size_t total = 0;

		for (struct client *c = ctl->clients; c; c = c->next) {
			if (c->dead)
				continue;
			total += client_held(c);
			if (!big || ctl_held(&c->conn) > ctl_held(&big->conn) ||
			    (ctl_held(&c->conn) == ctl_held(&big->conn) &&
			     client_held(c) > client_held(big)))
				big = c;
		}
		if (total <= CONTROL_MAX_HELD || !big)
			return;
		client_drop(big,
		            "it holds %.1f MiB for unfinished requests (the most of all clients) "
		            "and %.1f MiB of unsent output, and all clients together %.1f MiB (the "
		            "limit is %u MiB)",
		            (double)ctl_held(&big->conn) / (1 << 20),
		            (double)big->out_cap / (1 << 20), (double)total / (1 << 20),
		            MIB(CONTROL_MAX_HELD));
	}
}

/* ---- output ---------------------------------------------------------------------------------- */
/* Register the events the client's state asks for: input unless it is paused (output above
 * CONTROL_OUTPUT_PAUSE), closing or dead; output while some is queued. */
static void client_watch(struct client *c)
{
	uint32_t want = 0;

	if (c->dead)
		return; /* a deferred call closes it */
	if (!c->closing && !client_paused(c))
		want |= EPOLLIN;
	if (c->out_len > 0)
		want |= EPOLLOUT;
	if (want == c->watching)
		return;
	/* Resuming input: requests that came before the pause are in our buffer, not in the
	 * socket, and raise no EPOLLIN; come back for them. */
	if ((want & EPOLLIN) && !(c->watching & EPOLLIN) && c->conn.len > 0)
		loop_defer(client_loop(c), &c->src);
	c->watching = want;
	loop_mod(client_loop(c), &c->src, want);
}

/* Write what the socket takes now; a failed write marks the client dead. */
static void client_flush(struct client *c)
{
	while (c->out_len > 0 && !c->dead) {
		ssize_t n =
		    send(c->conn.fd, c->out + c->out_off, c->out_len, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			pr_debug("control: client pid %d went away: %s", (int)c->pid,
			         strerror(errno));
			c->dead = true;
			loop_defer(client_loop(c), &c->src);
			break;
		}
		c->out_off += (size_t)n;
		c->out_len -= (size_t)n;
	}
	if (c->dead)
		return;
	if (c->out_len == 0) {
		c->out_off = 0;
		if (c->out_cap > CLIENT_KEEP_OUT) {
			/* A large answer went out: do not keep its buffer for the client's
			 * lifetime. */
			free(c->out);
			c->out = NULL;
			c->out_cap = 0;
		}
	}
	if (c->out_len == 0 && c->closing) {
		c->dead = true;
		loop_defer(client_loop(c), &c->src);
		return;
	}
	client_watch(c);
}

/* Queue one message. false when it was dropped: an event beyond the backlog, or an answer that
 * would take the client past CONTROL_MAX_OUTPUT (the client is dropped), or no memory. */
static bool client_queue(struct client *c, struct json_object *msg, bool is_event)
{
	size_t len;
	const char *text = json_object_to_json_string_length(msg, JSON_C_TO_STRING_PLAIN, &len);

	if (!text || c->dead)
		return false;
	if (is_event && c->out_len + len > CLIENT_EVENT_BACKLOG)
		return false;
	if (c->out_len + len + 1 > CONTROL_MAX_OUTPUT) {
		client_drop(c,
		            "an answer of %zu bytes would take its unsent output past %u MiB (the "
		            "limit per client)",
		            len + 1, MIB(CONTROL_MAX_OUTPUT));
		return false;
	}
	if (c->out_cap - c->out_off - c->out_len < len + 1 && c->out_off > 0) {
		memmove(c->out, c->out + c->out_off, c->out_len);
		c->out_off = 0;
	}
	if (c->out_cap - c->out_len < len + 1) {
		size_t cap = c->out_cap ? c->out_cap : 4096;
		char *out;

		while (cap - c->out_len < len + 1)
			cap *= 2;
		out = realloc(c->out, cap);
		if (!out) {
			pr_warn("control: out of memory queueing %zu bytes for client pid %d",
			        len + 1, (int)c->pid);
			return false;
		}
		c->out = out;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_off + c->out_len, text, len);
	c->out[c->out_off + c->out_len + len] = '\n';
	c->out_len += len + 1;
	if (!is_event)
		control_enforce_held(c->ctl);
	return true;
}

static void client_send(struct client *c, struct json_object *msg)
{
	if (client_queue(c, msg, false))
		client_flush(c);
}

int control_send_fds(struct client *c, struct json_object *msg, const int *fds, size_t nfds)
{
	/* The fds travel with the message's first byte, so nothing may be queued before it; a
	 * client asks for them as its first request and waits for the answer. */
	if (c->out_len || c->dead)
		return -EBUSY;
	return ctl_send_fds(c->conn.fd, msg, fds, nfds);
}

static void client_send_error(struct client *c, int status, const char *error)
{
	struct json_object *resp = ctl_reply_error(status, error);

	client_send(c, resp);
	json_object_put(resp);
}

/* ---- requests -------------------------------------------------------------------------------- */
static void dispatch(struct client *c, struct json_object *req)
{
	struct fwd *fwd = c->ctl->fwd;
	struct cmd_reply r = {0};
	struct json_object *cmd, *resp;
	const char *name;
	size_t i;

	if (!json_object_object_get_ex(req, "cmd", &cmd) ||
	    !json_object_is_type(cmd, json_type_string)) {
		client_send_error(c, 2, "request without a \"cmd\" string");
		return;
	}
	name = json_object_get_string(cmd);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(commands[i].name, name))
			break;
	if (i == sizeof(commands) / sizeof(commands[0])) {
		char msg[256];

		snprintf(msg, sizeof(msg), "unknown command %s (this fwd is version %s)",
		         QUOTE(name), TCFW_VERSION);
		client_send_error(c, 2, msg);
		return;
	}
	pr_debug("control: %s from pid %d", name, (int)c->pid);
	commands[i].fn(fwd, c, req, &r);
	if (r.sent)
		return;
	if (r.status) {
		client_send_error(c, r.status, r.error ? r.error : "failed (out of memory)");
		free(r.error);
		json_object_put(r.data);
		return;
	}
	resp = ctl_reply_ok(r.data);
	client_send(c, resp);
	json_object_put(resp);
}

static void client_close(struct client *c);

/* Serve up to CONTROL_REQUESTS_PER_TURN requests; stop early when the client's output is
 * above CONTROL_OUTPUT_PAUSE (client_watch resumes it) or nothing whole is left to read. */
static void client_read_requests(struct client *c)
{
	for (unsigned int n = 0; n < CONTROL_REQUESTS_PER_TURN; n++) {
		struct json_object *req = NULL;
		int ret;

		if (c->dead || c->closing || client_paused(c))
			return;
		ret = ctl_recv_ready(&c->conn, &req);
		control_enforce_held(c->ctl); /* the input buffer may have grown */
		if (c->dead) {
			json_object_put(req);
			return;
		}
		if (ret == -EAGAIN)
			return;
		if (ret == 1) {
			dispatch(c, req);
			json_object_put(req);
		} else if (ret == -EBADMSG) {
			client_send_error(c, 2,
			                  "malformed request: expected one JSON object per line");
		} else if (ret == -EMSGSIZE) {
			client_drop(c,
			            "a request longer than %u MiB (the limit for one request; a "
			            "policy-load of a larger policy must be split)",
			            MIB(CONTROL_MAX_REQUEST));
		} else if (ret == 0 && c->out_len > 0) {
			/* The client is done sending; let it have the rest of the answer. */
			c->closing = true;
			shutdown(c->conn.fd, SHUT_RD);
		} else {
			if (ret < 0 && ret != -ECONNRESET)
				pr_debug("control: dropping client pid %d: %s", (int)c->pid,
				         strerror(-ret));
			c->dead = true;
		}
	}
	/* More requests may wait in our buffer, where they raise no epoll event. */
	if (!c->dead && !c->closing && !client_paused(c))
		loop_defer(client_loop(c), &c->src);
}

/* events: from epoll, or 0 for a deferred call (more requests buffered, or a drop to finish). */
static void client_ready(struct loop_source *src, uint32_t events)
{
	struct client *c = src->ctx;

	if (!c->dead && (events & EPOLLOUT))
		client_flush(c);
	if (!c->dead && (events == 0 || (events & (EPOLLIN | EPOLLHUP | EPOLLERR))))
		client_read_requests(c);
	/* A client that hung up while paused: its answers can never be delivered. */
	if (!c->dead && (events & (EPOLLHUP | EPOLLERR)) && !(c->watching & EPOLLIN))
		c->dead = true;
	if (c->dead) {
		client_close(c);
		return;
	}
	client_watch(c);
}

static void client_close(struct client *c)
{
	struct control *ctl = c->ctl;
	struct client **pp;

	for (pp = &ctl->clients; *pp && *pp != c; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = c->next;
	ctl->nclients--;
	loop_del(&ctl->fwd->loop, &c->src);
	if (c->monitor) {
		ctl->nmonitors--;
		monitor_clients_changed(ctl->fwd);
	}
	ctl_close(&c->conn);
	free(c->out);
	/* The loop takes one event per wait, so no pending event can still point at c. */
	free(c);
}

/* ---- accept and credentials ------------------------------------------------------------------ */
static bool peer_in_group(int fd, gid_t gid)
{
	gid_t groups[256];
	socklen_t len = sizeof(groups);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len))
		return false;
	for (size_t i = 0; i < len / sizeof(gid_t); i++)
		if (groups[i] == gid)
			return true;
	return false;
}

/* Answer a connection that is not served, and close it. */
static void send_refusal(struct client *c, const char *why)
{
	struct json_object *resp = ctl_reply_error(1, why);

	ctl_send(&c->conn, resp); /* tiny: fits in the empty socket buffer */
	json_object_put(resp);
	ctl_close(&c->conn);
	free(c);
}

/* NULL when allowed, else why not. */
static const char *peer_denied(struct control *ctl, int fd, struct ucred *cred, char *buf,
                               size_t buflen)
{
	const struct fwd_options *o = &ctl->fwd->opt;
	socklen_t len = sizeof(*cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, cred, &len)) {
		snprintf(buf, buflen, "permission denied: cannot read the peer's credentials (%s)",
		         strerror(errno));
		return buf;
	}
	if (cred->uid == 0)
		return NULL;
	if (o->have_group && (cred->gid == o->group_gid || peer_in_group(fd, o->group_gid)))
		return NULL;
	if (o->have_group)
		snprintf(buf, buflen, "permission denied: uid %u is neither root nor in group %s",
		         (unsigned int)cred->uid, o->group_name);
	else
		snprintf(buf, buflen,
		         "permission denied: uid %u is not root (fwd --group NAME lets a group in)",
		         (unsigned int)cred->uid);
	return buf;
}

static time_t monotonic_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* Past CONTROL_MAX_CLIENTS: tell the peer why, log it (not more often than every
 * CONTROL_REFUSE_LOG_INTERVAL_S: a client retrying in a loop must not flood the log). */
static void refuse_busy(struct control *ctl, struct client *c, const struct ucred *cred)
{
	char why[160];
	time_t now = monotonic_s();

	snprintf(why, sizeof(why),
	         "fwd serves at most %d control clients at once and has that many; try again "
	         "later",
	         CONTROL_MAX_CLIENTS);
	ctl->refused++;
	if (!ctl->refused_logged || now - ctl->refused_logged >= CONTROL_REFUSE_LOG_INTERVAL_S) {
		pr_warn("control: refused client pid %d uid %u: %d clients already, the limit "
		        "(%llu refused since the last such warning)",
		        (int)cred->pid, (unsigned int)cred->uid, CONTROL_MAX_CLIENTS,
		        (unsigned long long)ctl->refused);
		ctl->refused_logged = now;
		ctl->refused = 0;
	}
	send_refusal(c, why);
}

static void listen_ready(struct loop_source *src, uint32_t events)
{
	struct control *ctl = src->ctx;
	char why[160];

	(void)events;
	for (;;) {
		int fd = accept4(src->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct ucred cred = {0};
		struct client *c;

		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				pr_warn("control: accept failed: %s", strerror(errno));
			return;
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->ctl = ctl;
		c->conn.fd = fd;
		c->src = (struct loop_source){.fd = fd, .fn = client_ready, .ctx = c};
		if (peer_denied(ctl, fd, &cred, why, sizeof(why))) {
			pr_info("control: refused pid %d uid %u: %s", (int)cred.pid,
			        (unsigned int)cred.uid, why);
			send_refusal(c, why);
			continue;
		}
		if (ctl->nclients >= CONTROL_MAX_CLIENTS) {
			refuse_busy(ctl, c, &cred);
			continue;
		}
		c->pid = cred.pid;
		c->uid = cred.uid;
		c->watching = EPOLLIN;
		if (loop_add(&ctl->fwd->loop, &c->src, EPOLLIN)) {
			pr_warn("control: cannot watch a client: %s", strerror(errno));
			ctl_close(&c->conn);
			free(c);
			continue;
		}
		c->next = ctl->clients;
		ctl->clients = c;
		ctl->nclients++;
	}
}

/* ---- lifetime and monitors ------------------------------------------------------------------- */
int control_open(struct fwd *fwd)
{
	struct control *ctl = calloc(1, sizeof(*ctl));
	struct control_socket_opts so = {
	    .have_group = fwd->opt.have_group,
	    .group_gid = fwd->opt.group_gid,
	    .group_name = fwd->opt.group_name,
	};
	int fd, err;

	if (!ctl || !(ctl->path = strdup(fwd->opt.socket_path))) {
		free(ctl);
		return -ENOMEM;
	}
	ctl->fwd = fwd;
	fd = control_socket_create(ctl->path, &so, &ctl->created_dir);
	if (fd < 0) {
		free(ctl->path);
		free(ctl);
		return fd;
	}
	ctl->listen = (struct loop_source){.fd = fd, .fn = listen_ready, .ctx = ctl};
	err = loop_add(&fwd->loop, &ctl->listen, EPOLLIN);
	if (err) {
		pr_warn("cannot watch the control socket: %s", strerror(-err));
		close(fd);
		unlink(ctl->path);
		free(ctl->path);
		free(ctl);
		return err;
	}
	fwd->ctl = ctl;
	pr_info("control socket %s", ctl->path);
	return 0;
}

void control_close(struct fwd *fwd)
{
	struct control *ctl = fwd->ctl;

	if (!ctl)
		return;
	while (ctl->clients)
		client_close(ctl->clients);
	loop_del(&fwd->loop, &ctl->listen);
	close(ctl->listen.fd);
	if (unlink(ctl->path) && errno != ENOENT)
		pr_warn("cannot remove the control socket %s: %s", ctl->path, strerror(errno));
	if (ctl->created_dir) {
		char *slash = strrchr(ctl->path, '/');

		if (slash && slash != ctl->path) {
			*slash = '\0';
			rmdir(ctl->path); /* only when empty: another instance may use it */
		}
	}
	free(ctl->path);
	free(ctl);
	fwd->ctl = NULL;
}

void control_set_monitor(struct fwd *fwd, struct client *c)
{
	if (c->monitor)
		return;
	c->monitor = true;
	fwd->ctl->nmonitors++;
	monitor_clients_changed(fwd);
}

size_t control_monitor_count(struct fwd *fwd)
{
	return fwd->ctl ? fwd->ctl->nmonitors : 0;
}

size_t control_client_count(struct fwd *fwd)
{
	return fwd->ctl ? fwd->ctl->nclients : 0;
}

void control_broadcast_event(struct fwd *fwd, struct json_object *ev)
{
	struct control *ctl = fwd->ctl;
	struct json_object *msg;
	struct client *c;

	if (!ctl || !ctl->nmonitors) {
		json_object_put(ev);
		return;
	}
	msg = json_object_new_object();
	json_object_object_add(msg, "event", ev);
	for (c = ctl->clients; c; c = c->next) {
		if (!c->monitor || c->closing || c->dead)
			continue;
		if (c->dropped) {
			/* Tell the client what it missed before the next event it gets. */
			struct json_object *lost = json_object_new_object(), *m;

			json_object_object_add(lost, "type", json_object_new_string("lost"));
			json_object_object_add(lost, "count",
			                       json_object_new_int64((int64_t)c->dropped));
			m = json_object_new_object();
			json_object_object_add(m, "event", lost);
			if (client_queue(c, m, true))
				c->dropped = 0;
			json_object_put(m);
		}
		if (c->dropped || !client_queue(c, msg, true)) {
			c->dropped++;
			continue;
		}
		client_flush(c);
	}
	json_object_put(msg);
}
