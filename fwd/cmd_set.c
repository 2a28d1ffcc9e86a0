// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * cmd_set.c - control commands on dynamic sets: set-add, set-del, set-flush (fwctl set ...);
 * `fwctl set list` reads map "dynset" itself through a read-only fd. And the periodic pass that
 * removes expired elements, in steps (DYNSET_EXPIRE_*).
 *
 * A set is named as in the running policy; its id in map "dynset" is the one the install gave
 * it (dynset_sync.c). Changes are one map update or delete each: a new connection sees them at
 * once, no reload needed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "dynset.h"
#include "log.h"
#include "names.h"
#include "policy.h"

#include "commands.h"
#include "fwd.h"

/* Expiry: a step every DYNSET_EXPIRE_EVERY_S seconds looks at DYNSET_EXPIRE_BUDGET elements
 * (about 0.3 s of fwd's time; a walk costs some 6 us an element), from where the last one
 * stopped: a set of a million elements is gone through in about 3 minutes. Expired elements
 * stop matching in the datapath the moment their time is up: this only gives back memory. */
#define DYNSET_EXPIRE_EVERY_S 10
#define DYNSET_EXPIRE_BUDGET  50000
#define TIMEOUT_MAX_S         4294967295ull

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The dynamic set named by the request's "name": its index in the policy, or -1 (failed). */
static int set_of(struct fwd *fwd, struct json_object *req, struct cmd_reply *r, const char **name)
{
	const struct policy *p = fwd->pol.p;
	const char *cands[TCFW_DYNSET_MAX];
	const char *best;
	unsigned int n = 0;
	int i;

	*name = cmd_arg_string(req, "name", r);
	if (!*name)
		return -1;
	if (**name == '@')
		(*name)++;
	i = policy_dynset_find(p, *name);
	if (i >= 0)
		return i;
	for (size_t k = 0; k < policy_dynset_count(p) && n < TCFW_DYNSET_MAX; k++)
		cands[n++] = policy_dynset_name(p, k);
	best = name_suggest(*name, cands, n);
	if (best)
		cmd_fail(r, 1, "no dynamic set '%.64s' in the running policy (did you mean '%s'?)",
		         *name, best);
	else
		cmd_fail(r, 1,
		         "no dynamic set '%.64s' in the running policy: declare it with 'set %.64s "
		         "{ } flags dynamic' and load the policy%s",
		         *name, *name, n ? "" : " (it has no dynamic sets)");
	return -1;
}

/* The request's "addr": an address or prefix with its host bits clear. */
static int addr_of(struct json_object *req, struct cmd_reply *r, __u32 a[4], unsigned int *plen)
{
	const char *s = cmd_arg_string(req, "addr", r);
	__u32 masked[4];
	char buf[ADDR_STRLEN];

	if (!s)
		return -1;
	if (addr_parse(s, a, plen)) {
		cmd_fail(r, 2, "bad address '%.64s': expected an IPv4 or IPv6 address or prefix",
		         s);
		return -1;
	}
	for (int w = 0; w < 4; w++) {
		unsigned int bits = *plen > (unsigned int)w * 32 ? *plen - (unsigned int)w * 32 : 0;

		masked[w] = bits >= 32 ? a[w] : bits ? a[w] & htonl(~0u << (32 - bits)) : 0;
	}
	if (memcmp(masked, a, sizeof(masked))) {
		addr_format(masked, buf);
		cmd_fail(r, 2, "'%.64s' has host bits set (did you mean %s/%u?)", s, buf,
		         addr_is_v4(masked) ? *plen - 96 : *plen);
		return -1;
	}
	return 0;
}

void fwd_cmd_set_add(struct fwd *fwd, struct client *c, struct json_object *req,
                     struct cmd_reply *r)
{
	const char *name;
	int i = set_of(fwd, req, r, &name), err;
	unsigned int plen;
	long long timeout;
	uint64_t expires = 0;
	__u32 a[4];

	(void)c;
	if (i < 0 || addr_of(req, r, a, &plen))
		return;
	timeout = policy_dynset_timeout(fwd->pol.p, (size_t)i);
	if (json_object_object_get_ex(req, "timeout", NULL)) {
		if (cmd_arg_int64(req, "timeout", &timeout, r))
			return;
		if (timeout < 0 || (unsigned long long)timeout > TIMEOUT_MAX_S) {
			cmd_fail(r, 2, "bad timeout %lld: 0 (never) to %llu seconds", timeout,
			         TIMEOUT_MAX_S);
			return;
		}
	}
	if (timeout)
		expires = now_ns() + (uint64_t)timeout * 1000000000ull;
	err = dynset_put(fwd->dp.dynset_fd, (uint32_t)policy_dynset_id(fwd->pol.p, (size_t)i), a,
	                 (uint8_t)plen, expires, 0);
	if (err) {
		cmd_fail(r, 1, "cannot add to set '%s' (map %s): %s%s", name, TCFW_MAP_DYNSET,
		         strerror(-err),
		         err == -E2BIG || err == -ENOSPC
		             ? ": the table of dynamic set elements is full ("
		               "flush or delete elements)"
		             : "");
		return;
	}
	r->data = json_object_new_object();
	json_object_object_add(r->data, "set", json_object_new_string(name));
	json_object_object_add(r->data, "timeout", json_object_new_int64(timeout));
}

void fwd_cmd_set_del(struct fwd *fwd, struct client *c, struct json_object *req,
                     struct cmd_reply *r)
{
	const char *name, *text;
	int i = set_of(fwd, req, r, &name), err;
	unsigned int plen;
	__u32 a[4];

	(void)c;
	if (i < 0 || addr_of(req, r, a, &plen))
		return;
	text = cmd_arg_string(req, "addr", r);
	err = dynset_remove(fwd->dp.dynset_fd, (uint32_t)policy_dynset_id(fwd->pol.p, (size_t)i), a,
	                    (uint8_t)plen);
	if (err == -ENOENT) {
		cmd_fail(r, 1, "%.64s is not an element of set '%s' (see fwctl set list %s)", text,
		         name, name);
		return;
	}
	if (err) {
		cmd_fail(r, 1, "cannot delete from set '%s' (map %s): %s", name, TCFW_MAP_DYNSET,
		         strerror(-err));
		return;
	}
	r->data = json_object_new_object();
	json_object_object_add(r->data, "set", json_object_new_string(name));
}

void fwd_cmd_set_flush(struct fwd *fwd, struct client *c, struct json_object *req,
                       struct cmd_reply *r)
{
	const char *name;
	int i = set_of(fwd, req, r, &name);
	long n;

	(void)c;
	if (i < 0)
		return;
	n = dynset_flush(fwd->dp.dynset_fd, policy_dynset_id(fwd->pol.p, (size_t)i));
	if (n < 0) {
		cmd_fail(r, 1, "cannot flush set '%s' (map %s): %s", name, TCFW_MAP_DYNSET,
		         strerror((int)-n));
		return;
	}
	r->data = json_object_new_object();
	json_object_object_add(r->data, "set", json_object_new_string(name));
	json_object_object_add(r->data, "deleted", json_object_new_int64(n));
}

/* ---- expiry ------------------------------------------------------------------------------ */
static void dynset_expiry_tick(struct loop_source *src, uint32_t events)
{
	struct fwd *fwd = src->ctx;
	long n;

	(void)events;
	if (!policy_dynset_count(fwd->pol.p))
		return;
	n = dynset_expire_step(fwd->dp.dynset_fd, now_ns(), &fwd->dynset_cursor,
	                       DYNSET_EXPIRE_BUDGET);
	if (n < 0)
		pr_warn("dynamic sets: cannot remove expired elements (map %s): %s",
		        TCFW_MAP_DYNSET, strerror((int)-n));
	else if (n)
		pr_debug("dynamic sets: %ld expired elements removed", n);
}

int dynset_expiry_start(struct fwd *fwd)
{
	return loop_timer_start(&fwd->loop, &fwd->dynset_timer, DYNSET_EXPIRE_EVERY_S,
	                        dynset_expiry_tick, fwd, "dynset expiry");
}

void dynset_expiry_stop(struct fwd *fwd)
{
	loop_timer_stop(&fwd->loop, &fwd->dynset_timer);
}
