/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * metrics_http.h - fwd --metrics ADDR:PORT: GET /metrics answers with the Prometheus text
 * exposition (metrics.h) through libmicrohttpd, served from fwd's own event loop.
 */
#ifndef FWD_METRICS_HTTP_H
#define FWD_METRICS_HTTP_H

#include <stddef.h>
#include <sys/socket.h>

struct fwd;

/* Parse "HOST:PORT" or "[IPV6]:PORT" (HOST: an address or a name, resolved now) into *ss.
 * 0, or -1 with what is wrong in err ("--metrics ..." is for the caller to add). */
int metrics_parse_listen(const char *arg, struct sockaddr_storage *ss, socklen_t *len, char *err,
                         size_t errlen);

/* Listen on fwd->opt.metrics_addr and serve in fwd's loop. Nothing to do without --metrics.
 * 0, or -errno after a message saying what to do (a port in use, an address not here). */
int metrics_http_open(struct fwd *fwd);
void metrics_http_close(struct fwd *fwd);
/* Pages served since start (0 without --metrics), for status. */
unsigned long long metrics_http_scrapes(const struct fwd *fwd);

#endif
