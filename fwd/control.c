// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * control.c - control clients: accept with a credential check, read requests without
 * blocking, dispatch through the command table, queue answers (see control.h).
 */
#include <errno.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ctl.h"
#include "log.h"

#include "commands.h"
#include "control.h"
#include "control_socket.h"
#include "fwd.h"
#include "monitor.h"

/* A monitor that does not read gets events dropped (and counted) beyond this backlog. */
#define CLIENT_EVENT_BACKLOG (4u << 20)

struct client {
	struct control *ctl;
	struct ctl_conn conn; /* fd and the bytes of a request not complete yet */
	struct loop_source src;
	char *out; /* queued output not yet accepted by the socket */
	size_t out_len, out_cap;
	bool want_out; /* EPOLLOUT registered */
	bool closing;  /* close once the output is flushed (peer sent EOF) */
	bool dead;     /* write failed or done: closed at its next event, never in the middle of
	                * a handler that may still use it */
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
};

static const struct {
	const char *name;
	cmd_handler fn;
} commands[] = {
    {"hello", cmd_hello},
    {"maps", cmd_maps},
    {"status", cmd_status},
    {"ct-del", cmd_ct_del},
    {"ct-flush", cmd_ct_flush},
    {"policy-load", cmd_policy_load},
    {"policy-show", cmd_policy_show},
    {"rule-add", cmd_rule_add},
    {"rule-del", cmd_rule_del},
    {"rule-list", cmd_rule_list},
    {"monitor", cmd_monitor},
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

/* ---- output ---------------------------------------------------------------------------------- */
static void client_watch(struct client *c, bool want_out)
{
	if (c->want_out == want_out)
		return;
	c->want_out = want_out;
	loop_mod(&c->ctl->fwd->loop, &c->src, EPOLLIN | (want_out ? EPOLLOUT : 0));
}

/* Write what the socket takes now; a failed write marks the client dead. */
static void client_flush(struct client *c)
{
	size_t off = 0;

	while (off < c->out_len && !c->dead) {
		ssize_t n =
		    send(c->conn.fd, c->out + off, c->out_len - off, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			pr_debug("control: client pid %d went away: %s", (int)c->pid,
			         strerror(errno));
			c->dead = true;
			break;
		}
		off += (size_t)n;
	}
	memmove(c->out, c->out + off, c->out_len - off);
	c->out_len -= off;
	if (c->out_len == 0 && c->closing)
		c->dead = true;
	/* A dead client still gets EPOLLOUT/EPOLLHUP, which closes it from client_ready. */
	client_watch(c, c->out_len > 0 || c->dead);
}

/* Queue one message. false when it was dropped (backlog full) or memory ran out. */
static bool client_queue(struct client *c, struct json_object *msg, bool is_event)
{
	size_t len;
	const char *text = json_object_to_json_string_length(msg, JSON_C_TO_STRING_PLAIN, &len);

	if (!text || c->dead)
		return false;
	if (is_event && c->out_len + len > CLIENT_EVENT_BACKLOG)
		return false;
	if (c->out_cap - c->out_len < len + 1) {
		size_t cap = c->out_cap ? c->out_cap : 4096;
		char *out;

		while (cap - c->out_len < len + 1)
			cap *= 2;
		out = realloc(c->out, cap);
		if (!out)
			return false;
		c->out = out;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, text, len);
	c->out[c->out_len + len] = '\n';
	c->out_len += len + 1;
	return true;
}

static void client_send(struct client *c, struct json_object *msg)
{
	if (!client_queue(c, msg, false))
		pr_warn("control: out of memory answering client pid %d", (int)c->pid);
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
	struct json_object *resp = json_object_new_object();

	json_object_object_add(resp, "ok", json_object_new_boolean(0));
	json_object_object_add(resp, "error", json_object_new_string(error));
	json_object_object_add(resp, "status", json_object_new_int(status));
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

		snprintf(msg, sizeof(msg), "unknown command \"%.64s\" (this fwd is version %s)",
		         name, TCFW_VERSION);
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
	resp = json_object_new_object();
	json_object_object_add(resp, "ok", json_object_new_boolean(1));
	if (r.data)
		json_object_object_add(resp, "data", r.data);
	client_send(c, resp);
	json_object_put(resp);
}

static void client_close(struct client *c);

static void client_ready(struct loop_source *src, uint32_t events)
{
	struct client *c = src->ctx;

	if (events & EPOLLOUT)
		client_flush(c);
	while (!c->dead && !c->closing && (events & (EPOLLIN | EPOLLHUP | EPOLLERR))) {
		struct json_object *req = NULL;
		int ret = ctl_recv_ready(&c->conn, &req);

		if (ret == -EAGAIN)
			break;
		if (ret == 1) {
			dispatch(c, req);
			json_object_put(req);
		} else if (ret == -EBADMSG) {
			client_send_error(c, 2,
			                  "malformed request: expected one JSON object per line");
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
	if (c->closing && !c->dead) {
		/* Only output is left: stop listening for input that will not come. */
		loop_mod(&c->ctl->fwd->loop, &c->src, EPOLLOUT);
		c->want_out = true;
	}
	if (c->dead)
		client_close(c);
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
			struct json_object *resp = json_object_new_object();

			pr_info("control: refused pid %d uid %u: %s", (int)cred.pid,
			        (unsigned int)cred.uid, why);
			json_object_object_add(resp, "ok", json_object_new_boolean(0));
			json_object_object_add(resp, "error", json_object_new_string(why));
			json_object_object_add(resp, "status", json_object_new_int(1));
			ctl_send(&c->conn, resp); /* tiny: fits in the empty socket buffer */
			json_object_put(resp);
			ctl_close(&c->conn);
			free(c);
			continue;
		}
		c->pid = cred.pid;
		c->uid = cred.uid;
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
