// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * cmd_set.c - `fwctl set add|del|list|flush`: the elements of the running policy's dynamic
 * sets. add, del and flush ask fwd (which knows each set's id); list reads map "dynset" through
 * a read-only fd, by the id "dynset_meta" gives the name, so that a set of a million elements
 * is listed without going through the control socket.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "addr.h"
#include "daemon.h"
#include "dynset.h"
#include "fwctl.h"
#include "log.h"
#include "maps.h"
#include "out.h"
#include "policy.h"
#include "quote.h"
#include "tcfw_abi.h"

static struct json_object *set_request(const char *cmd, const char *name, const char *addr)
{
	struct json_object *req = daemon_request(cmd);

	json_object_object_add(req, "name", json_object_new_string(name));
	if (addr)
		json_object_object_add(req, "addr", json_object_new_string(addr));
	return req;
}

int fwctl_cmd_set_add(struct fwctl *fw, int argc, char **argv)
{
	struct json_object *req, *data;
	long long timeout = -1;
	int ret;

	if (argc != 2 && argc != 4)
		return fwctl_usage_error(fw, "'set add' needs a set and an address: fwctl set add "
		                             "NAME ADDR [timeout DURATION]");
	if (argc == 4) {
		if (strcmp(argv[2], "timeout"))
			return fwctl_usage_error(fw,
			                         "expected 'timeout DURATION' after the address, "
			                         "got %s",
			                         QUOTE(argv[2]));
		uint32_t secs;

		if (policy_duration_parse(argv[3], true, &secs))
			return fwctl_usage_error(
			    fw,
			    "bad timeout %s: a duration like 30s, 10m, 2h or 1d "
			    "(0: never expires)",
			    QUOTE(argv[3]));
		timeout = secs;
	}
	req = set_request("set-add", argv[0], argv[1]);
	if (timeout >= 0)
		json_object_object_add(req, "timeout", json_object_new_int64(timeout));
	ret = daemon_ask(fw, req, &data);
	if (ret)
		return ret;
	timeout = json_get_int(data, "timeout", 0);
	out_open_object(NULL);
	out_str("set", NULL, argv[0]);
	out_str("addr", NULL, argv[1]);
	out_int("timeout", NULL, timeout);
	if (timeout)
		out_text("%s added to set %s (expires in %llds)\n", argv[1], argv[0], timeout);
	else
		out_text("%s added to set %s\n", argv[1], argv[0]);
	out_close_object();
	json_object_put(data);
	return FWCTL_EXIT_OK;
}

int fwctl_cmd_set_del(struct fwctl *fw, int argc, char **argv)
{
	struct json_object *data;
	int ret;

	if (argc != 2)
		return fwctl_usage_error(fw, "'set del' needs a set and an address: fwctl set del "
		                             "NAME ADDR");
	ret = daemon_ask(fw, set_request("set-del", argv[0], argv[1]), &data);
	if (ret)
		return ret;
	out_open_object(NULL);
	out_str("set", NULL, argv[0]);
	out_str("deleted", NULL, argv[1]);
	out_text("%s deleted from set %s\n", argv[1], argv[0]);
	out_close_object();
	json_object_put(data);
	return FWCTL_EXIT_OK;
}

int fwctl_cmd_set_flush(struct fwctl *fw, int argc, char **argv)
{
	struct json_object *data;
	long long n;
	int ret;

	if (argc != 1)
		return fwctl_usage_error(fw, "'set flush' needs one set name");
	ret = daemon_ask(fw, set_request("set-flush", argv[0], NULL), &data);
	if (ret)
		return ret;
	n = json_get_int(data, "deleted", 0);
	out_open_object(NULL);
	out_str("set", NULL, argv[0]);
	out_int("deleted", NULL, n);
	out_text("set %s flushed: %lld elements deleted\n", argv[0], n);
	out_close_object();
	json_object_put(data);
	return FWCTL_EXIT_OK;
}

struct list_ctx {
	uint64_t now_ns;
	uint64_t n;
};

static int list_one(const struct tcfw_dynset_key *k, const struct tcfw_dynset_elem *e, void *ctx)
{
	struct list_ctx *l = ctx;
	unsigned int plen = k->prefixlen - 32;
	char buf[ADDR_STRLEN + 8];
	bool v4 = addr_is_v4(k->addr) && plen >= 96;
	long long left = -1;

	if (e->expires_ns && e->expires_ns <= l->now_ns)
		return 0; /* expired: no longer matches, fwd removes it soon */
	addr_format(k->addr, buf);
	if (plen != 128)
		snprintf(buf + strlen(buf), 8, "/%u", v4 ? plen - 96 : plen);
	if (e->expires_ns)
		left = (long long)((e->expires_ns - l->now_ns + 999999999ull) / 1000000000ull);
	out_open_object(NULL);
	out_str("addr", "%s", buf);
	if (left >= 0)
		out_int("expires", " expires %llds", left);
	else
		out_null("expires");
	out_str("origin", " (%s)",
	        e->flags & TCFW_DSE_POLICY     ? "policy"
	        : e->flags & TCFW_DSE_DATAPATH ? "rule"
	                                       : "fwctl");
	out_text("\n");
	out_close_object();
	l->n++;
	return 0;
}

int fwctl_cmd_set_list(struct fwctl *fw, int argc, char **argv)
{
	struct daemon d = {0};
	struct list_ctx l = {0};
	struct tcfw_dynset_meta meta;
	struct timespec ts;
	char err[1024];
	int elems, metafd, id, ret;

	if (argc != 1)
		return fwctl_usage_error(fw, "'set list' needs one set name");
	ret = daemon_maps(fw, &d);
	if (ret) {
		daemon_close(&d);
		return ret;
	}
	elems = maps_open(&d, TCFW_MAP_DYNSET, sizeof(struct tcfw_dynset_key),
	                  sizeof(struct tcfw_dynset_elem), err, sizeof(err));
	if (elems < 0)
		pr_warn("%s", err);
	metafd = maps_open(&d, TCFW_MAP_DYNSET_META, sizeof(__u32), sizeof(struct tcfw_dynset_meta),
	                   err, sizeof(err));
	if (metafd < 0)
		pr_warn("%s", err);
	daemon_close(&d);
	if (elems < 0 || metafd < 0) {
		if (elems >= 0)
			close(elems);
		if (metafd >= 0)
			close(metafd);
		return FWCTL_EXIT_FAILURE;
	}
	id = dynset_find(metafd, argv[0][0] == '@' ? argv[0] + 1 : argv[0], &meta);
	close(metafd);
	if (id < 0) {
		close(elems);
		pr_warn("no dynamic set %s in the running policy (see fwctl policy show)",
		        QUOTE(argv[0]));
		return FWCTL_EXIT_FAILURE;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	l.now_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	out_open_object(NULL);
	out_str("set", NULL, meta.name);
	out_uint("timeout", NULL, meta.timeout_s);
	out_open_array("elements");
	ret = dynset_walk(elems, id, list_one, &l);
	out_close_array();
	out_uint("count", NULL, l.n);
	out_close_object();
	close(elems);
	if (ret) {
		pr_warn("cannot read map %s: %s", TCFW_MAP_DYNSET, strerror(-ret));
		return FWCTL_EXIT_FAILURE;
	}
	if (!out_is_json())
		fprintf(stderr, "%llu elements in set %s\n", (unsigned long long)l.n, meta.name);
	return FWCTL_EXIT_OK;
}
