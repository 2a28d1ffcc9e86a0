// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * cmd_info.c - control commands that only report: hello, status.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "ctmap.h"

#include "commands.h"
#include "control.h"
#include "fwd.h"
#include "local_addrs.h"

static void add_str(struct json_object *o, const char *key, const char *v)
{
	json_object_object_add(o, key, v ? json_object_new_string(v) : NULL);
}

static void add_u64(struct json_object *o, const char *key, uint64_t v)
{
	json_object_object_add(o, key, json_object_new_int64((int64_t)v));
}

void cmd_hello(struct fwd *fwd, struct client *c, struct json_object *req, struct cmd_reply *r)
{
	(void)c;
	(void)req;
	r->data = json_object_new_object();
	add_u64(r->data, "pid", (uint64_t)getpid());
	add_str(r->data, "version", TCFW_VERSION);
	add_str(r->data, "pin_dir", fwd->opt.pin_dir);
	add_str(r->data, "socket", fwd->opt.socket_path);
}

/* Interfaces: every managed one, plus those the policy names that do not exist (yet). */
static struct json_object *interfaces_json(struct fwd *fwd)
{
	struct json_object *arr = json_object_new_array();
	const struct policy *p = fwd->pol.p;

	for (size_t i = 0; i < fwd->ifaces.n; i++) {
		const struct fwd_iface *it = &fwd->ifaces.v[i];
		struct json_object *o = json_object_new_object();

		add_str(o, "name", it->name);
		add_u64(o, "ifindex", (uint64_t)it->ifindex);
		add_str(o, "zone", policy_zone_name(p, (size_t)it->zone));
		json_object_object_add(o, "attached", json_object_new_boolean(it->attached));
		json_object_object_add(o, "qdisc_ours", json_object_new_boolean(it->qdisc_ours));
		add_u64(o, "reattached", it->reattached);
		if (it->foreign)
			json_object_object_add(o, "foreign", json_object_new_boolean(1));
		if (it->error[0])
			add_str(o, "error", it->error);
		json_object_array_add(arr, o);
	}
	for (size_t z = 0; p && z < policy_zone_count(p); z++)
		for (size_t k = 0; k < policy_zone_ifcount(p, z); k++) {
			const char *name = policy_zone_ifname(p, z, k);
			bool known = false;

			for (size_t i = 0; i < fwd->ifaces.n && !known; i++)
				known = !strcmp(fwd->ifaces.v[i].name, name);
			if (known)
				continue;
			struct json_object *o = json_object_new_object();

			add_str(o, "name", name);
			add_u64(o, "ifindex", 0);
			add_str(o, "zone", policy_zone_name(p, z));
			json_object_object_add(o, "attached", json_object_new_boolean(0));
			add_str(o, "error", "no such interface (attached when it appears)");
			json_object_array_add(arr, o);
		}
	return arr;
}

static struct json_object *expiry_json(struct fwd *fwd)
{
	const struct fwd_expiry_stats *st = &fwd->expiry;
	struct json_object *o = json_object_new_object();

	add_u64(o, "interval_s", fwd->opt.expire_interval_s);
	add_u64(o, "runs", st->runs);
	add_u64(o, "expired", st->expired);
	add_u64(o, "last_expired", st->last_expired);
	add_u64(o, "early_dropped", st->early_dropped);
	add_u64(o, "last_early_dropped", st->last_early_dropped);
	add_u64(o, "last_walked", st->last_seen);
	char ms[32];

	/* Three decimals: microseconds are all that mean anything here. */
	snprintf(ms, sizeof(ms), "%.3f", st->last_pass_ms);
	json_object_object_add(o, "last_pass_ms", json_object_new_double_s(st->last_pass_ms, ms));
	if (st->last_error)
		add_str(o, "error", strerror(-st->last_error));
	return o;
}

void cmd_status(struct fwd *fwd, struct client *c, struct json_object *req, struct cmd_reply *r)
{
	struct json_object *o = json_object_new_object(), *pol, *ct;

	(void)c;
	(void)req;
	/* What the kernel has now, not what fwd last did: a lost filter is put back first. */
	fwd->reattached += ifaces_verify(fwd);
	add_u64(o, "pid", (uint64_t)getpid());
	add_str(o, "version", TCFW_VERSION);
	add_u64(o, "uptime_s", (ctmap_now_ns() - fwd->start_ns) / 1000000000ULL);
	add_str(o, "pin_dir", fwd->opt.pin_dir);
	add_str(o, "socket", fwd->opt.socket_path);
	json_object_object_add(o, "took_over", json_object_new_boolean(fwd->dp.reused));
	json_object_object_add(o, "keep", json_object_new_boolean(fwd->opt.keep));
	json_object_object_add(o, "fast_path", json_object_new_boolean(!fwd->opt.no_fast_path));

	pol = json_object_new_object();
	add_str(pol, "name", fwd->pol.name);
	add_str(pol, "file", fwd->opt.policy_path);
	add_u64(pol, "generation", fwd->pol.generation);
	add_u64(pol, "rules", fwd->pol.p ? policy_rule_count(fwd->pol.p) : 0);
	add_u64(pol, "active_copy", fwd->pol.active);
	json_object_object_add(o, "policy", pol);

	json_object_object_add(o, "interfaces", interfaces_json(fwd));
	add_u64(o, "reattached", fwd->reattached);
	add_u64(o, "local_addresses", local_addrs_count(fwd));

	ct = json_object_new_object();
	add_u64(ct, "max_entries", fwd->dp.ct_max);
	/* Counted by the last expiry pass (walking the table for every status would cost as
	 * much as a pass). */
	add_u64(ct, "entries",
	        fwd->expiry.last_seen - fwd->expiry.last_expired - fwd->expiry.last_early_dropped);
	json_object_object_add(o, "ct", ct);
	json_object_object_add(o, "expiry", expiry_json(fwd));
	add_u64(o, "monitors", control_monitor_count(fwd));
	add_u64(o, "clients", control_client_count(fwd));
	r->data = o;
}
