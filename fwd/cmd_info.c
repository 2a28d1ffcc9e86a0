// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * cmd_info.c - control commands that only report: hello, status.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "ctl.h"
#include "ctmap.h"
#include "json_add.h"

#include "commands.h"
#include "control.h"
#include "eventlog.h"
#include "fwd.h"
#include "local_addrs.h"
#include "metrics_http.h"
#include "xdp_attach.h"

void fwd_cmd_hello(struct fwd *fwd, struct client *c, struct json_object *req, struct cmd_reply *r)
{
	(void)c;
	(void)req;
	r->data = json_object_new_object();
	json_add_u64(r->data, "pid", (uint64_t)getpid());
	json_add_str(r->data, "version", TCFW_VERSION);
	json_add_str(r->data, "pin_dir", fwd->opt.pin_dir);
	json_add_str(r->data, "socket", fwd->opt.socket_path);
}

/* The maps a client may ask for with "maps": what fwctl reads for its listings. */
static int readable_map_fd(struct fwd *fwd, const char *name)
{
	const struct {
		const char *name;
		int fd;
	} maps[] = {
	    {TCFW_MAP_CT, fwd->dp.ct_fd},         {TCFW_MAP_STATS, fwd->dp.stats_fd},
	    {TCFW_MAP_CONFIG, fwd->dp.config_fd}, {TCFW_MAP_POL_META, fwd->dp.pol_meta_fd},
	    {TCFW_MAP_IFACES, fwd->dp.ifaces_fd}, {TCFW_MAP_POL_HITS, fwd->dp.pol_hits_fd},
	    {TCFW_MAP_DYNSET, fwd->dp.dynset_fd}, {TCFW_MAP_DYNSET_META, fwd->dp.dynset_meta_fd},
	};

	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++)
		if (!strcmp(maps[i].name, name))
			return maps[i].fd;
	return -1;
}

/* A read-only fd of the same map as fd: a client can read through it, never write. */
static int reopen_read_only(int fd)
{
	LIBBPF_OPTS(bpf_get_fd_by_id_opts, o, .open_flags = BPF_F_RDONLY);
	struct bpf_map_info info = {0};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	fd = bpf_map_get_fd_by_id_opts(info.id, &o);
	return fd < 0 ? -errno : fd;
}

/*
 * "maps": read-only fds of the named maps, passed with SCM_RIGHTS. fwctl reads the tables
 * through them, so listings work from any mount namespace (a bpffs fwd mounted under `ip netns
 * exec` is its own), for --group members who may not open the pins, and cost fwd nothing.
 */
void fwd_cmd_maps(struct fwd *fwd, struct client *c, struct json_object *req, struct cmd_reply *r)
{
	struct json_object *names, *resp, *data, *list;
	int fds[CTL_MAX_FDS];
	size_t n = 0, count;
	int err = 0;

	if (!json_object_object_get_ex(req, "names", &names) ||
	    !json_object_is_type(names, json_type_array)) {
		cmd_fail(r, 2, "missing array member \"names\" (the maps wanted) in the request");
		return;
	}
	count = json_object_array_length(names);
	if (count > CTL_MAX_FDS) {
		cmd_fail(r, 2, "at most %d maps per request", CTL_MAX_FDS);
		return;
	}
	list = json_object_new_array();
	for (size_t i = 0; i < count && !err; i++) {
		const char *name = json_object_get_string(json_object_array_get_idx(names, i));
		int fd = name ? readable_map_fd(fwd, name) : -1;

		if (fd < 0) {
			cmd_fail(r, 2, "no map \"%.64s\" to hand out (%s, %s, %s, ...)",
			         name ? name : "?", TCFW_MAP_CT, TCFW_MAP_STATS, TCFW_MAP_CONFIG);
			err = -ENOENT;
			break;
		}
		fd = reopen_read_only(fd);
		if (fd < 0) {
			cmd_fail(r, 1, "cannot open map %s read-only: %s", name, strerror(-fd));
			err = fd;
			break;
		}
		fds[n++] = fd;
		json_object_array_add(list, json_object_new_string(name));
	}
	if (!err) {
		data = json_object_new_object();
		json_object_object_add(data, "maps", json_object_get(list));
		resp = ctl_reply_ok(data);
		err = control_send_fds(c, resp, fds, n);
		json_object_put(resp);
		if (err)
			cmd_fail(r, 1, "cannot pass the map fds: %s (ask for them first, alone)",
			         strerror(-err));
		else
			r->sent = true;
	}
	json_object_put(list);
	for (size_t i = 0; i < n; i++)
		close(fds[i]); /* the client has its own copies now */
}

/* Interfaces: every managed one, plus those the policy names that do not exist (yet). */
static struct json_object *interfaces_json(struct fwd *fwd)
{
	struct json_object *arr = json_object_new_array();
	const struct policy *p = fwd->pol.p;

	for (size_t i = 0; i < fwd->ifaces.n; i++) {
		const struct fwd_iface *it = &fwd->ifaces.v[i];
		struct json_object *o = json_object_new_object();

		json_add_str(o, "name", it->name);
		json_add_u64(o, "ifindex", (uint64_t)it->ifindex);
		json_add_str(o, "zone", policy_zone_name(p, (size_t)it->zone));
		json_object_object_add(o, "attached", json_object_new_boolean(it->attached));
		if (it->attached)
			json_add_str(o, "attach", it->tcx ? "tcx" : "tc");
		if (it->attached && it->tcx) {
			struct json_object *links = json_object_new_object();

			json_add_u64(links, "ingress", it->links.id[0]);
			json_add_u64(links, "egress", it->links.id[1]);
			json_object_object_add(o, "tcx_links", links);
		}
		json_object_object_add(o, "qdisc_ours", json_object_new_boolean(it->qdisc_ours));
		json_add_u64(o, "reattached", it->reattached);
		json_add_str(o, "xdp", xdp_mode_name(it->xdp_mode));
		if (it->foreign)
			json_object_object_add(o, "foreign", json_object_new_boolean(1));
		if (it->error[0])
			json_add_str(o, "error", it->error);
		json_object_array_add(arr, o);
	}
	for (size_t z = 0; p && z < policy_zone_count(p); z++)
		for (size_t k = 0; k < policy_zone_ifcount(p, z); k++) {
			const char *name = policy_zone_ifname(p, z, k);

			if (ifaces_manages(fwd, name))
				continue;
			struct json_object *o = json_object_new_object();

			json_add_str(o, "name", name);
			json_add_u64(o, "ifindex", 0);
			json_add_str(o, "zone", policy_zone_name(p, z));
			json_object_object_add(o, "attached", json_object_new_boolean(0));
			json_add_str(o, "error", "no such interface (attached when it appears)");
			json_object_array_add(arr, o);
		}
	return arr;
}

static struct json_object *expiry_json(struct fwd *fwd)
{
	const struct fwd_expiry_stats *st = &fwd->expiry;
	struct json_object *o = json_object_new_object();

	json_add_u64(o, "interval_s", fwd->opt.expire_interval_s);
	json_add_u64(o, "runs", st->runs);
	json_add_u64(o, "expired", st->expired);
	json_add_u64(o, "last_expired", st->last_expired);
	json_add_u64(o, "early_dropped", st->early_dropped);
	json_add_u64(o, "last_early_dropped", st->last_early_dropped);
	json_add_u64(o, "last_walked", st->last_seen);
	char ms[32];

	/* Three decimals: microseconds are all that mean anything here. */
	snprintf(ms, sizeof(ms), "%.3f", st->last_pass_ms);
	json_object_object_add(o, "last_pass_ms", json_object_new_double_s(st->last_pass_ms, ms));
	if (st->last_error)
		json_add_str(o, "error", strerror(-st->last_error));
	return o;
}

void fwd_cmd_status(struct fwd *fwd, struct client *c, struct json_object *req, struct cmd_reply *r)
{
	struct json_object *o = json_object_new_object(), *pol, *ct;

	(void)c;
	(void)req;
	/* What the kernel has now, not what fwd last did: a lost filter is put back first. */
	fwd->reattached += ifaces_verify(fwd);
	json_add_u64(o, "pid", (uint64_t)getpid());
	json_add_str(o, "version", TCFW_VERSION);
	json_add_u64(o, "uptime_s", (ctmap_now_ns() - fwd->start_ns) / 1000000000ULL);
	json_add_str(o, "pin_dir", fwd->opt.pin_dir);
	json_add_str(o, "socket", fwd->opt.socket_path);
	json_object_object_add(o, "took_over", json_object_new_boolean(fwd->dp.reused));
	json_object_object_add(o, "keep", json_object_new_boolean(fwd->opt.keep));
	json_object_object_add(o, "fast_path", json_object_new_boolean(!fwd->opt.no_fast_path));
	json_object_object_add(o, "tcp_liberal", json_object_new_boolean(fwd->opt.tcp_liberal));

	pol = json_object_new_object();
	json_add_str(pol, "name", fwd->pol.name);
	json_add_str(pol, "file", fwd->opt.policy_path);
	json_add_u64(pol, "generation", fwd->pol.generation);
	json_add_u64(pol, "rules", fwd->pol.p ? policy_rule_count(fwd->pol.p) : 0);
	json_add_u64(pol, "active_copy", fwd->pol.active);
	json_object_object_add(o, "policy", pol);

	/* --attach as given, and the kind a new attachment gets (auto falls back to tc when the
	 * kernel lacks tcx or the pins end with fwd). */
	struct json_object *att = json_object_new_object();
	static const char *const mode_name[] = {"auto", "tcx", "tc"};

	json_add_str(att, "mode", mode_name[fwd->opt.attach]);
	json_add_str(att, "new_interfaces", fwd->tcx_usable ? "tcx" : "tc");
	json_add_u64(att, "prog_ingress", fwd->dp.prog_ingress_id);
	json_add_u64(att, "prog_egress", fwd->dp.prog_egress_id);
	json_object_object_add(o, "attach", att);
	json_object_object_add(o, "interfaces", interfaces_json(fwd));
	json_add_u64(o, "reattached", fwd->reattached);
	json_add_u64(o, "local_addresses", local_addrs_count(fwd));

	ct = json_object_new_object();
	json_add_u64(ct, "max_entries", fwd->dp.ct_max);
	/* Counted by the last expiry pass (walking the table for every status would cost as
	 * much as a pass). */
	json_add_u64(ct, "entries",
	             fwd->expiry.last_seen - fwd->expiry.last_expired -
	                 fwd->expiry.last_early_dropped);
	json_object_object_add(o, "ct", ct);
	json_object_object_add(o, "expiry", expiry_json(fwd));
	/* Fixed sizes of what 'limit ... per source' and dynamic sets may hold. */
	struct json_object *lim = json_object_new_object();

	json_add_u64(lim, "per_source_buckets", TCFW_LIMIT_SRC_MAX);
	json_add_u64(lim, "dynamic_sets", fwd->pol.p ? policy_dynset_count(fwd->pol.p) : 0);
	json_add_u64(lim, "dynamic_sets_max", TCFW_DYNSET_MAX);
	json_add_u64(lim, "dynamic_set_elements_max", TCFW_DYNSET_MAX_ELEMS);
	json_object_object_add(o, "limits", lim);
	json_add_u64(o, "monitors", control_monitor_count(fwd));
	json_add_u64(o, "clients", control_client_count(fwd));
	if (fwd->opt.metrics_listen) {
		struct json_object *m = json_object_new_object();

		json_add_str(m, "listen", fwd->opt.metrics_listen);
		json_add_u64(m, "scrapes", metrics_http_scrapes(fwd));
		json_object_object_add(o, "metrics", m);
	}
	json_object_object_add(o, "event_log", eventlog_status(fwd));
	r->data = o;
}
