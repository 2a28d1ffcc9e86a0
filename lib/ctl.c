// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ctl.c - newline-delimited JSON over a Unix stream socket (see ctl.h).
 *
 * One message is one line: json-c never emits a raw newline inside a document, so the reader
 * only has to split on '\n'. Received bytes accumulate in c->buf; c->scanned remembers how far
 * it was already searched so a large message arriving in many reads costs linear time.
 *
 * The receiver is bounded: the buffer never grows past the longest message allowed
 * (c->max_msg), a line that does not end within it is refused (-EMSGSIZE), and a large buffer
 * is freed once its messages are taken, so a connection that once carried a policy does not
 * keep megabytes for the rest of its life.
 */
#include <errno.h>
#include <stdint.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl.h"

#define CTL_READ_CHUNK 65536
/* An empty buffer larger than this is freed rather than kept for the next message. */
#define CTL_KEEP_BUF (4 * CTL_READ_CHUNK)

static size_t ctl_max_msg(const struct ctl_conn *c)
{
	return c->max_msg ? c->max_msg : TCFW_CTL_MAX_MSG;
}

static const char *ctl_connect_hint(int err)
{
	switch (err) {
	case ENOENT:
	case ECONNREFUSED:
		return " (is fwd running? see its --socket option)";
	case EACCES:
	case EPERM:
		return " (run as root, or as a member of the group given to fwd --group)";
	default:
		return "";
	}
}

int ctl_connect(struct ctl_conn *c, const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd, e;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen,
		         "cannot reach fwd at %s: socket path too long (max %zu bytes)", path,
		         sizeof(sa.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		e = errno;
		snprintf(err, errlen, "cannot create a Unix socket: %s", strerror(e));
		return -e;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		e = errno;
		snprintf(err, errlen, "cannot reach fwd at %s: %s%s", path, strerror(e),
		         ctl_connect_hint(e));
		close(fd);
		return -e;
	}
	c->fd = fd;
	return 0;
}

void ctl_close(struct ctl_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->buf);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

/* Write all of buf; on a non-blocking socket wait for room instead of failing midway, so a
 * message is never cut in half. */
static int ctl_write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				struct pollfd p = {.fd = fd, .events = POLLOUT};

				if (poll(&p, 1, -1) < 0 && errno != EINTR)
					return -errno;
				continue;
			}
			return -errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int ctl_send(struct ctl_conn *c, struct json_object *msg)
{
	size_t len;
	const char *text = json_object_to_json_string_length(msg, JSON_C_TO_STRING_PLAIN, &len);
	char *line;
	int err;

	if (!text)
		return -ENOMEM;
	if (len + 1 > ctl_max_msg(c))
		return -EMSGSIZE;
	/* One write for the message and its newline keeps small messages in one segment. */
	line = malloc(len + 1);
	if (!line)
		return -ENOMEM;
	memcpy(line, text, len);
	line[len] = '\n';
	err = ctl_write_all(c->fd, line, len + 1);
	free(line);
	return err;
}

/* If buf holds a whole line, parse it into *msg and drop it from buf: 1, or -EBADMSG when the
 * line is not a JSON object, or 0 when no whole line is there yet, or -EMSGSIZE when the line is
 * longer than allowed (whole or not). */
static int ctl_take_message(struct ctl_conn *c, struct json_object **msg)
{
	size_t max = ctl_max_msg(c), end = c->len < max ? c->len : max;
	char *nl = end > c->scanned ? memchr(c->buf + c->scanned, '\n', end - c->scanned) : NULL;
	size_t line_len, rest;
	struct json_tokener *tok;
	struct json_object *obj;
	enum json_tokener_error jerr;
	int ret = 1;

	if (!nl) {
		/* max bytes without a newline: this line, newline included, is longer than max. */
		if (c->len >= max)
			return -EMSGSIZE;
		c->scanned = c->len;
		return 0;
	}
	line_len = (size_t)(nl - c->buf);
	tok = json_tokener_new();
	if (!tok)
		return -ENOMEM;
	obj = json_tokener_parse_ex(tok, c->buf, (int)line_len);
	jerr = json_tokener_get_error(tok);
	if (jerr != json_tokener_success || !obj || !json_object_is_type(obj, json_type_object)) {
		json_object_put(obj);
		obj = NULL;
		ret = -EBADMSG;
	} else {
		/* Only whitespace may follow the object on its line. */
		for (size_t i = json_tokener_get_parse_end(tok); i < line_len; i++) {
			char ch = c->buf[i];

			if (ch != ' ' && ch != '\t' && ch != '\r') {
				json_object_put(obj);
				obj = NULL;
				ret = -EBADMSG;
				break;
			}
		}
	}
	json_tokener_free(tok);
	rest = c->len - line_len - 1;
	memmove(c->buf, nl + 1, rest);
	c->len = rest;
	c->scanned = 0;
	if (rest == 0 && c->cap > CTL_KEEP_BUF) {
		free(c->buf);
		c->buf = NULL;
		c->cap = 0;
	}
	*msg = obj;
	return ret;
}

/* Read once into buf, at most limit bytes. >0 bytes read, 0 at EOF, -errno (-EAGAIN when
 * nothing is there with dontwait). Called only when buf holds no whole line, and less than
 * max_msg bytes. */
static ssize_t ctl_read_some(struct ctl_conn *c, int flags, size_t limit)
{
	size_t max = ctl_max_msg(c);
	size_t need = c->len + CTL_READ_CHUNK < max ? c->len + CTL_READ_CHUNK : max;
	ssize_t n;

	if (c->cap < need) {
		/* Doubling keeps a large message linear; the cap keeps the buffer within max. */
		size_t cap = c->cap ? c->cap : 2 * CTL_READ_CHUNK;
		char *buf;

		while (cap < need)
			cap *= 2;
		if (cap > max)
			cap = max;
		buf = realloc(c->buf, cap);
		if (!buf)
			return -ENOMEM;
		c->buf = buf;
		c->cap = cap;
	}
	if (limit > c->cap - c->len)
		limit = c->cap - c->len;
	do
		n = recv(c->fd, c->buf + c->len, limit, flags);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	c->len += (size_t)n;
	return n;
}

static int ctl_recv_flags(struct ctl_conn *c, struct json_object **msg, int flags)
{
	size_t budget = CTL_READ_BUDGET;

	*msg = NULL;
	for (;;) {
		int ret = ctl_take_message(c, msg);
		ssize_t n;

		if (ret != 0)
			return ret;
		/* Non-blocking callers share their thread: enough for this call. */
		if ((flags & MSG_DONTWAIT) && budget == 0)
			return -EAGAIN;
		n = ctl_read_some(c, flags, (flags & MSG_DONTWAIT) ? budget : SIZE_MAX);
		if (n < 0)
			return (int)n;
		if (n == 0)
			/* EOF between messages is a clean end; inside one, the peer cut it short.
			 */
			return c->len == 0 ? 0 : -EPROTO;
		budget = (size_t)n < budget ? budget - (size_t)n : 0;
	}
}

int ctl_recv(struct ctl_conn *c, struct json_object **msg)
{
	return ctl_recv_flags(c, msg, 0);
}

int ctl_recv_ready(struct ctl_conn *c, struct json_object **msg)
{
	return ctl_recv_flags(c, msg, MSG_DONTWAIT);
}

struct json_object *ctl_reply_ok(struct json_object *data)
{
	struct json_object *resp = json_object_new_object();

	json_object_object_add(resp, "ok", json_object_new_boolean(1));
	if (data)
		json_object_object_add(resp, "data", data);
	return resp;
}

struct json_object *ctl_reply_error(int status, const char *error)
{
	struct json_object *resp = json_object_new_object();

	json_object_object_add(resp, "ok", json_object_new_boolean(0));
	json_object_object_add(resp, "error", json_object_new_string(error));
	json_object_object_add(resp, "status", json_object_new_int(status));
	return resp;
}

int ctl_reply_parse(struct json_object *resp, struct ctl_reply *r)
{
	struct json_object *ok, *v;

	*r = (struct ctl_reply){.status = 1, .error = "fwd refused the request (no reason)"};
	if (!json_object_object_get_ex(resp, "ok", &ok) ||
	    !json_object_is_type(ok, json_type_boolean))
		return -EPROTO;
	r->ok = json_object_get_boolean(ok);
	if (r->ok) {
		if (json_object_object_get_ex(resp, "data", &v))
			r->data = v;
		return 0;
	}
	if (json_object_object_get_ex(resp, "error", &v) &&
	    json_object_is_type(v, json_type_string))
		r->error = json_object_get_string(v);
	if (json_object_object_get_ex(resp, "status", &v) &&
	    json_object_is_type(v, json_type_int) && json_object_get_int(v) == 2)
		r->status = 2;
	return 0;
}

int ctl_call(struct ctl_conn *c, struct json_object *req, struct json_object **resp)
{
	int err = ctl_send(c, req);

	if (err)
		return err;
	err = ctl_recv(c, resp);
	if (err == 0)
		return -ECONNRESET; /* fwd closed the connection without answering */
	return err < 0 ? err : 0;
}

/* ---- file descriptors with a message (SCM_RIGHTS) ---------------------------------------- */
int ctl_send_fds(int fd, struct json_object *msg, const int *fds, size_t nfds)
{
	char cbuf[CMSG_SPACE(sizeof(int) * CTL_MAX_FDS)];
	size_t len;
	const char *text = json_object_to_json_string_length(msg, JSON_C_TO_STRING_PLAIN, &len);
	struct msghdr mh = {0};
	struct iovec iov[2];
	struct cmsghdr *cm;
	ssize_t n;

	if (!text)
		return -ENOMEM;
	if (nfds > CTL_MAX_FDS)
		return -EINVAL;
	iov[0] = (struct iovec){.iov_base = (void *)text, .iov_len = len};
	iov[1] = (struct iovec){.iov_base = "\n", .iov_len = 1};
	mh.msg_iov = iov;
	mh.msg_iovlen = 2;
	if (nfds) {
		memset(cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
	}
	do
		n = sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	/* Small and sent into an empty socket buffer: all of it or nothing. */
	return (size_t)n == len + 1 ? 0 : -EMSGSIZE;
}

/* ctl_read_some() with recvmsg: the fds that come with the bytes are appended to fds. */
static int ctl_read_some_fds(struct ctl_conn *c, int *fds, size_t max, size_t *nfds)
{
	char cbuf[CMSG_SPACE(sizeof(int) * CTL_MAX_FDS)];
	struct msghdr mh = {0};
	struct iovec iov;
	struct cmsghdr *cm;
	ssize_t n;

	if (c->len >= TCFW_CTL_MAX_MSG)
		return -EMSGSIZE;
	if (c->cap - c->len < CTL_READ_CHUNK) {
		size_t cap = c->cap ? c->cap * 2 : 2 * CTL_READ_CHUNK;
		char *buf;

		while (cap - c->len < CTL_READ_CHUNK)
			cap *= 2;
		buf = realloc(c->buf, cap);
		if (!buf)
			return -ENOMEM;
		c->buf = buf;
		c->cap = cap;
	}
	iov = (struct iovec){.iov_base = c->buf + c->len, .iov_len = c->cap - c->len};
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	do
		n = recvmsg(c->fd, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		size_t k;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(fd));
			if (*nfds < max)
				fds[(*nfds)++] = fd;
			else
				close(fd); /* more than asked for: not ours to keep */
		}
	}
	c->len += (size_t)n;
	return (int)(n > 0);
}

int ctl_call_fds(struct ctl_conn *c, struct json_object *req, struct json_object **resp, int *fds,
                 size_t max, size_t *nfds)
{
	int err = ctl_send(c, req);

	*resp = NULL;
	*nfds = 0;
	if (err)
		return err;
	for (;;) {
		int ret = ctl_take_message(c, resp);

		if (ret < 0)
			return ret;
		if (ret == 1)
			return 0;
		ret = ctl_read_some_fds(c, fds, max, nfds);
		if (ret < 0)
			return ret;
		if (ret == 0)
			return -ECONNRESET; /* fwd closed the connection without answering */
	}
}
