// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * tcp_rr.c - TCP request/response latency, the "latency" workload of bench/run.sh.
 *
 *   tcp_rr server --bind ADDR --port P
 *   tcp_rr client --connect ADDR --port P [--duration S] [--size N] [--max N]
 *
 * The client opens one connection (TCP_NODELAY) and, for --duration seconds, sends a request
 * of --size bytes and waits for the server's echo of the same size, one at a time; every
 * round trip is timed on CLOCK_MONOTONIC. It prints one JSON object: round_trips, p50_us,
 * p90_us, p99_us, mean_us, min_us, max_us. One connection, so the gateway sees an established
 * flow: this is the per-packet latency the datapath adds, not connection set-up.
 *
 * The server serves one client at a time (the benchmark runs one at a time) and runs until
 * killed. Neither side allocates without bound: at most --max round trips are recorded.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/tcrun.h"

#define MAX_SIZE 65536

struct options {
	bool server;
	const char *addr;
	int port;
	double duration_s;
	size_t size;
	size_t max;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Read or write exactly len bytes. 0, -1 on error, 1 at EOF. */
static int io_all(int fd, char *buf, size_t len, bool rd)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n =
		    rd ? read(fd, buf + done, len - done) : write(fd, buf + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			return 1;
		done += (size_t)n;
	}
	return 0;
}

static int parse_sockaddr(const char *addr, int port, struct sockaddr_in *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, addr, &sa->sin_addr) != 1) {
		fprintf(stderr, "tcp_rr: '%s' is not an IPv4 address\n", addr);
		return -1;
	}
	return 0;
}

/* ---- server ---------------------------------------------------------------------------------- */
static void serve_one(int c, size_t size)
{
	char *buf = malloc(size);
	int one = 1;

	if (!buf)
		return;
	setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	while (io_all(c, buf, size, true) == 0 && io_all(c, buf, size, false) == 0)
		;
	free(buf);
}

static int run_server(const struct options *o)
{
	struct sockaddr_in sa;
	int one = 1, s;

	if (parse_sockaddr(o->addr, o->port, &sa))
		return 2;
	s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0 || setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(s, (struct sockaddr *)&sa, sizeof(sa)) || listen(s, 16)) {
		fprintf(stderr, "tcp_rr: cannot listen on %s:%d: %s\n", o->addr, o->port,
		        strerror(errno));
		return 1;
	}
	for (;;) {
		int c = accept(s, NULL, NULL);
		uint32_t size_be;

		if (c < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "tcp_rr: accept failed: %s\n", strerror(errno));
			return 1;
		}
		/* The client says its message size first (4 bytes, network order). */
		if (io_all(c, (char *)&size_be, sizeof(size_be), true) == 0 && ntohl(size_be) > 0 &&
		    ntohl(size_be) <= MAX_SIZE)
			serve_one(c, ntohl(size_be));
		close(c);
	}
}

/* ---- client ---------------------------------------------------------------------------------- */
static int connect_to(const struct options *o)
{
	struct sockaddr_in sa;
	int one = 1, s;

	if (parse_sockaddr(o->addr, o->port, &sa))
		return -1;
	s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0)
		return -1;
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa))) {
		fprintf(stderr,
		        "tcp_rr: cannot connect to %s:%d: %s (is the server running, and "
		        "does the gateway let the connection through?)\n",
		        o->addr, o->port, strerror(errno));
		close(s);
		return -1;
	}
	setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return s;
}

static int run_client(const struct options *o)
{
	double *rtt_us = calloc(o->max, sizeof(*rtt_us));
	char *buf = calloc(1, o->size);
	uint32_t size_be = htonl((uint32_t)o->size);
	struct tcrun_summary s;
	size_t n = 0;
	double start, end;
	int fd, rc = 1;

	if (!rtt_us || !buf) {
		fprintf(stderr, "tcp_rr: out of memory for %zu samples\n", o->max);
		goto out;
	}
	fd = connect_to(o);
	if (fd < 0)
		goto out;
	if (io_all(fd, (char *)&size_be, sizeof(size_be), false)) {
		fprintf(stderr, "tcp_rr: cannot send the message size: %s\n", strerror(errno));
		close(fd);
		goto out;
	}
	start = now_s();
	end = start + o->duration_s;
	while (n < o->max) {
		double t0 = now_s(), t1;

		if (t0 >= end)
			break;
		if (io_all(fd, buf, o->size, false) || io_all(fd, buf, o->size, true)) {
			fprintf(stderr, "tcp_rr: round trip %zu failed: %s\n", n + 1,
			        errno ? strerror(errno) : "connection closed by the server");
			close(fd);
			goto out;
		}
		t1 = now_s();
		rtt_us[n++] = (t1 - t0) * 1e6;
	}
	close(fd);
	double elapsed = now_s() - start;

	tcrun_summarize(rtt_us, n, &s);
	printf("{\"round_trips\": %zu, \"seconds\": %.3f, \"size\": %zu, \"p50_us\": %.2f, "
	       "\"p90_us\": %.2f, \"p99_us\": %.2f, \"mean_us\": %.2f, \"min_us\": %.2f, "
	       "\"max_us\": %.2f}\n",
	       n, elapsed, o->size, s.p50, s.p90, s.p99, s.mean, s.min, s.max);
	rc = n ? 0 : 1;
out:
	free(rtt_us);
	free(buf);
	return rc;
}

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: tcp_rr server --bind ADDR --port P\n"
	        "       tcp_rr client --connect ADDR --port P [--duration S] [--size N] "
	        "[--max N]\n"
	        "  --duration S  seconds of round trips (default 5)\n"
	        "  --size N      request and response size in bytes (default 64, at most 65536)\n"
	        "  --max N       at most N round trips (default 5000000)\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"bind", required_argument, NULL, 'b'}, {"connect", required_argument, NULL, 'c'},
	    {"port", required_argument, NULL, 'p'}, {"duration", required_argument, NULL, 'd'},
	    {"size", required_argument, NULL, 's'}, {"max", required_argument, NULL, 'm'},
	    {"help", no_argument, NULL, 'h'},       {NULL, 0, NULL, 0},
	};
	struct options o = {.duration_s = 5, .size = 64, .max = 5000000};
	int c;

	if (argc < 2 || (strcmp(argv[1], "server") && strcmp(argv[1], "client"))) {
		usage(stderr);
		return 2;
	}
	o.server = !strcmp(argv[1], "server");
	optind = 2;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'b':
		case 'c':
			o.addr = optarg;
			break;
		case 'p':
			o.port = atoi(optarg);
			break;
		case 'd':
			o.duration_s = atof(optarg);
			break;
		case 's':
			o.size = (size_t)strtoul(optarg, NULL, 10);
			break;
		case 'm':
			o.max = (size_t)strtoul(optarg, NULL, 10);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!o.addr || o.port <= 0 || o.port > 65535 || !o.size || o.size > MAX_SIZE || !o.max ||
	    o.duration_s <= 0) {
		usage(stderr);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	return o.server ? run_server(&o) : run_client(&o);
}
