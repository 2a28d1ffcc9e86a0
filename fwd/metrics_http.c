// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * metrics_http.c - the /metrics endpoint (see metrics_http.h).
 *
 * libmicrohttpd runs in "external epoll" mode: no thread of its own. Its epoll fd sits in
 * fwd's loop like any other source and MHD_run() is called when it is readable (and when the
 * timeout MHD asks for passes, through a timerfd), so the request handler runs on the loop's
 * thread between two events. It can then read fwd's state (policy, expiry counts, interfaces)
 * as it is, with no lock: fwd stays one thread (loop.h). The other way, MHD's own thread
 * reading a snapshot the loop publishes under a mutex, would copy every figure at every change
 * whether anyone scrapes or not, and bring the only thread fwd would have. A scrape costs a
 * few map lookups, far less than an expiry pass; the price is that one arriving during a pass
 * waits for it. A slow scraper cannot hold the loop: MHD only reads and writes what is ready.
 *
 * fwd opens the listening socket itself, so that a port in use or an address that is not
 * this host's gets a message saying so (MHD_start_daemon reports failures as NULL only).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <microhttpd.h>

#include "log.h"

#include "fwd.h"
#include "metrics.h"
#include "metrics_collect.h"
#include "metrics_http.h"

#define METRICS_PATH         "/metrics"
#define CONTENT_TYPE         "text/plain; version=0.0.4; charset=utf-8"
#define CONNECTION_LIMIT     16 /* a Prometheus server or two, and someone with curl */
#define CONNECTION_TIMEOUT_S 10 /* an idle or stuck client is dropped after this */

struct metrics_http {
	struct fwd *fwd;
	struct MHD_Daemon *mhd;
	struct loop_source src;   /* MHD's epoll fd */
	struct loop_source timer; /* MHD's next timeout */
	uint64_t scrapes;
};

/* ---- the listen address ------------------------------------------------------------------- */
int metrics_parse_listen(const char *arg, struct sockaddr_storage *ss, socklen_t *len, char *err,
                         size_t errlen)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
	struct addrinfo *res = NULL;
	char host[256];
	const char *port, *colon = strrchr(arg, ':');
	unsigned long p;
	char *end;
	int rc;

	if (arg[0] == '[') {
		const char *close = strchr(arg, ']');

		if (!close || close[1] != ':') {
			snprintf(err, errlen, "expected [IPV6]:PORT, e.g. [::1]:9464");
			return -1;
		}
		if ((size_t)(close - arg - 1) >= sizeof(host) || close == arg + 1) {
			snprintf(err, errlen, "expected an IPv6 address between the brackets");
			return -1;
		}
		memcpy(host, arg + 1, (size_t)(close - arg - 1));
		host[close - arg - 1] = '\0';
		port = close + 2;
		hints.ai_family = AF_INET6;
		hints.ai_flags |= AI_NUMERICHOST;
	} else {
		if (!colon) {
			snprintf(err, errlen, "no port: expected ADDR:PORT, e.g. 127.0.0.1:9464");
			return -1;
		}
		if (strchr(arg, ':') != colon) {
			snprintf(err, errlen,
			         "an IPv6 address goes in brackets: [ADDR]:PORT, e.g. [::1]:9464");
			return -1;
		}
		if (colon == arg || (size_t)(colon - arg) >= sizeof(host)) {
			snprintf(err, errlen,
			         "no address: expected ADDR:PORT (0.0.0.0:PORT or [::]:PORT for "
			         "every address)");
			return -1;
		}
		memcpy(host, arg, (size_t)(colon - arg));
		host[colon - arg] = '\0';
		port = colon + 1;
	}
	errno = 0;
	p = strtoul(port, &end, 10);
	if (!*port || *port < '0' || *port > '9' || *end || errno || p < 1 || p > 65535) {
		snprintf(err, errlen, "port '%s' is not a number from 1 to 65535", port);
		return -1;
	}
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc || !res) {
		snprintf(err, errlen, "cannot resolve '%s': %s", host,
		         rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return -1;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static int listen_socket(const struct fwd_options *o)
{
	int fd = socket(o->metrics_addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int one = 1, err;
	const char *what;

	if (fd < 0) {
		err = -errno;
		pr_warn("--metrics %s: cannot create a socket: %s", o->metrics_listen,
		        strerror(errno));
		return err;
	}
	/* A restarted fwd must not wait for its predecessor's connections in TIME_WAIT. */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)&o->metrics_addr, o->metrics_addrlen) == 0 &&
	    listen(fd, CONNECTION_LIMIT) == 0)
		return fd;
	err = -errno;
	close(fd);
	switch (-err) {
	case EADDRINUSE:
		what = "the port is in use (another fwd or exporter? `ss -ltnp` names it): choose "
		       "another --metrics port or stop what listens there";
		break;
	case EADDRNOTAVAIL:
		what = "that address is not one of this host's (in fwd's network namespace): "
		       "give one it has, 127.0.0.1 or 0.0.0.0";
		break;
	case EACCES:
		what = "permission denied (ports below 1024 need CAP_NET_BIND_SERVICE)";
		break;
	default:
		what = strerror(-err);
		break;
	}
	pr_warn("--metrics %s: cannot listen: %s", o->metrics_listen, what);
	return err;
}

/* ---- requests ----------------------------------------------------------------------------- */
static enum MHD_Result reply_static(struct MHD_Connection *conn, unsigned int status,
                                    const char *body, const char *allow)
{
	struct MHD_Response *r =
	    MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	if (allow)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result reply_metrics(struct metrics_http *h, struct MHD_Connection *conn)
{
	struct metrics_snapshot snap;
	struct metrics_buf b = {0};
	struct MHD_Response *r;
	enum MHD_Result ret;
	int err;

	metrics_collect(h->fwd, &snap);
	err = metrics_render(&snap, &b);
	metrics_snapshot_free(&snap);
	if (err) {
		metrics_buf_free(&b);
		pr_warn("metrics: cannot build the page: %s", strerror(-err));
		return reply_static(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
		                    "fwd is out of memory; see its log\n", NULL);
	}
	/* MHD frees b.s with free() once sent. */
	r = MHD_create_response_from_buffer(b.len, b.s, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		metrics_buf_free(&b);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, CONTENT_TYPE);
	ret = MHD_queue_response(conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	h->scrapes++;
	return ret;
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_data_size, void **req_cls)
{
	(void)version;
	(void)upload_data;
	(void)req_cls;
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD)) {
		*upload_data_size = 0; /* a body, if any, is not read */
		return reply_static(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
		                    "only GET and HEAD are served here\n", "GET, HEAD");
	}
	if (strcmp(url, METRICS_PATH))
		return reply_static(
		    conn, MHD_HTTP_NOT_FOUND,
		    "not found: fwd serves Prometheus metrics at " METRICS_PATH "\n", NULL);
	return reply_metrics(cls, conn);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	pr_info("metrics: libmicrohttpd: %s", msg);
}

/* ---- the loop's side ---------------------------------------------------------------------- */
/* Let MHD do what is ready, then wake for its next timeout (idle connections to close). */
static void run(struct metrics_http *h)
{
	MHD_UNSIGNED_LONG_LONG ms = 0;
	struct itimerspec its = {0};

	MHD_run(h->mhd);
	if (MHD_get_timeout(h->mhd, &ms) == MHD_YES) {
		its.it_value.tv_sec = (time_t)(ms / 1000);
		its.it_value.tv_nsec = (long)(ms % 1000) * 1000000L;
		if (!ms)
			its.it_value.tv_nsec = 1; /* now: zero would disarm */
	}
	timerfd_settime(h->timer.fd, 0, &its, NULL);
}

static void mhd_ready(struct loop_source *src, uint32_t events)
{
	(void)events;
	run(src->ctx);
}

static void timer_ready(struct loop_source *src, uint32_t events)
{
	uint64_t ticks;

	(void)events;
	if (read(src->fd, &ticks, sizeof(ticks)) != sizeof(ticks))
		return;
	run(src->ctx);
}

int metrics_http_open(struct fwd *fwd)
{
	const struct fwd_options *o = &fwd->opt;
	const union MHD_DaemonInfo *info;
	struct metrics_http *h;
	int fd, err;

	if (!o->metrics_listen)
		return 0;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->fwd = fwd;
	h->src.fd = h->timer.fd = -1;
	fwd->metrics = h;
	fd = listen_socket(o);
	if (fd < 0)
		return fd; /* metrics_http_close() frees h */
	/* No MHD_USE_INTERNAL_POLLING_THREAD: MHD_run() from fwd's loop (see the top). */
	h->mhd = MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0, NULL, NULL, answer, h,
	                          MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_LIMIT,
	                          (unsigned int)CONNECTION_LIMIT, MHD_OPTION_CONNECTION_TIMEOUT,
	                          (unsigned int)CONNECTION_TIMEOUT_S, MHD_OPTION_EXTERNAL_LOGGER,
	                          mhd_log, NULL, MHD_OPTION_END);
	if (!h->mhd) {
		close(fd);
		pr_warn("--metrics %s: libmicrohttpd did not start (see the messages above; -v "
		        "shows its own)",
		        o->metrics_listen);
		return -EIO;
	}
	info = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	h->timer.fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (!info || info->epoll_fd < 0 || h->timer.fd < 0) {
		pr_warn("--metrics %s: cannot set up the HTTP server's events: %s",
		        o->metrics_listen, h->timer.fd < 0 ? strerror(errno) : "no epoll fd");
		return -EIO;
	}
	h->src = (struct loop_source){.fd = info->epoll_fd, .fn = mhd_ready, .ctx = h};
	h->timer.fn = timer_ready;
	h->timer.ctx = h;
	err = loop_add(&fwd->loop, &h->src, EPOLLIN);
	if (!err)
		err = loop_add(&fwd->loop, &h->timer, EPOLLIN);
	if (err) {
		pr_warn("--metrics %s: cannot watch the HTTP server: %s", o->metrics_listen,
		        strerror(-err));
		return err;
	}
	pr_info("metrics: serving http://%s%s", o->metrics_listen, METRICS_PATH);
	return 0;
}

void metrics_http_close(struct fwd *fwd)
{
	struct metrics_http *h = fwd->metrics;

	if (!h)
		return;
	/* epoll forgets a closed fd by itself; these were added only if both exist. */
	if (h->src.fd >= 0 && h->src.fn)
		loop_del(&fwd->loop, &h->src);
	if (h->timer.fd >= 0) {
		if (h->timer.fn)
			loop_del(&fwd->loop, &h->timer);
		close(h->timer.fd);
	}
	if (h->mhd)
		MHD_stop_daemon(h->mhd); /* closes the listening socket and MHD's epoll fd */
	pr_debug("metrics: %llu scrapes served", (unsigned long long)h->scrapes);
	free(h);
	fwd->metrics = NULL;
}

unsigned long long metrics_http_scrapes(const struct fwd *fwd)
{
	return fwd->metrics ? (unsigned long long)fwd->metrics->scrapes : 0;
}
