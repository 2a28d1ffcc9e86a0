// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * fuzz_ctl.c - libFuzzer target: any bytes a client may send on fwd's control socket, through
 * the same reader fwd uses (lib/ctl.c: non-blocking reads, one JSON object per line) and the
 * request parsing after it (the filter words of ct-del, lib/ct_filter.c). The input arrives
 * over a real socketpair in pieces whose sizes the input also decides, so partial lines,
 * several lines per read and garbage between them are all exercised. Invariants: no crash,
 * leak, hang or undefined behaviour; every message handed out is a JSON object.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ct_filter.h"
#include "ctl.h"

/* What fwd does with a request's "args" (fwd_cmd_ct_del): string words, parsed as a filter. */
static void parse_args(struct json_object *req)
{
	struct json_object *args;
	char **argv, err[256];
	struct ct_filter f;
	size_t n;

	if (!json_object_object_get_ex(req, "args", &args) ||
	    !json_object_is_type(args, json_type_array))
		return;
	n = json_object_array_length(args);
	argv = calloc(n + 1, sizeof(*argv));
	if (!argv)
		return;
	for (size_t i = 0; i < n; i++) {
		struct json_object *w = json_object_array_get_idx(args, i);

		if (!json_object_is_type(w, json_type_string))
			goto out; /* fwd refuses the request */
		argv[i] = (char *)json_object_get_string(w);
	}
	if (n)
		ct_filter_parse((int)n, argv, &f, err, sizeof(err));
out:
	free(argv);
}

/* Read what the socket holds now, as fwd's loop would on EPOLLIN. */
static int drain(struct ctl_conn *c)
{
	for (;;) {
		struct json_object *msg = NULL;
		int ret = ctl_recv_ready(c, &msg);

		if (ret == 1) {
			if (!json_object_is_type(msg, json_type_object))
				abort();
			parse_args(msg);
			json_object_put(msg);
			continue;
		}
		return ret; /* -EAGAIN: wait for more; 0: EOF; <0: fwd drops the client */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctl_conn c = {.fd = -1};
	size_t off = 0, step;
	int sv[2], ret = -EAGAIN;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv))
		return 0;
	c.fd = sv[1];
	/* The first byte sets the piece size the client writes in (1..256 bytes). */
	step = size ? (size_t)data[0] + 1 : 1;
	while (off < size && ret == -EAGAIN) {
		size_t n = size - off < step ? size - off : step;
		ssize_t w = send(sv[0], data + off, n, MSG_NOSIGNAL);

		if (w > 0)
			off += (size_t)w;
		ret = drain(&c);
		if (ret == -EBADMSG)
			ret = -EAGAIN; /* fwd answers a malformed line and reads on */
	}
	shutdown(sv[0], SHUT_WR);
	while (ret == -EAGAIN || ret == -EBADMSG)
		ret = drain(&c);
	close(sv[0]);
	ctl_close(&c);
	return 0;
}
