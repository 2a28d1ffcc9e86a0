// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * monitor.c - datapath and destroy events to monitor clients and to the event log (see
 * monitor.h, eventlog.h). Each event's JSON is built here once, for both.
 *
 * Event JSON (one per line, inside {"event": ...} for monitors):
 *   {"type":"new"|"log"|"invalid"|"destroy"|"lost", "time":"2026-12-03T20:35:35.123456Z",
 *    "time_ns":N, "family":"ip"|"ip6", "proto":"tcp", "src":"...", "dst":"...", "sport":N,
 *    "dport":N (or "id" for ICMP echo, neither for a protocol without ports: ct_tuple.h),
 *    "ifindex":N, "ifname":"lan0", "chain":"forward", "verdict":"accept", "ct":"new", "rule":N,
 * "prefix":"..." (log events of a rule or default with 'log prefix'), ...} destroy adds "reason",
 * "state", "age_s" and "counters"; lost has only "count" (and "time" in the event log).
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>

#include <bpf/libbpf.h>

#include "addr.h"
#include "ct_tuple.h"
#include "ctmap.h"
#include "log.h"
#include "names.h"

#include "commands.h"
#include "control.h"
#include "eventlog.h"
#include "fwd.h"
#include "monitor.h"
#include "netlink.h"

/* The rules that have a 'log prefix', sorted by id, for the policy generation they came from:
 * an event names its rule by id, and a policy may have thousands of rules without one. */
struct prefix_entry {
	uint32_t id;
	const char *prefix; /* in the policy: valid while fwd->pol.p is */
};

struct monitor {
	struct ring_buffer *rb;
	struct loop_source src;
	struct prefix_entry *prefixes;
	size_t nprefixes;
	const struct policy *prefixes_of;
	uint64_t prefixes_generation;
};

/* ---- log prefixes ---------------------------------------------------------------------------- */
static int prefix_cmp(const void *a, const void *b)
{
	const struct prefix_entry *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static void prefixes_rebuild(struct fwd *fwd, struct monitor *mon)
{
	const struct policy *p = fwd->pol.p;
	size_t n = 0, count = policy_rule_count(p);
	uint32_t id;

	free(mon->prefixes);
	mon->prefixes = NULL;
	mon->nprefixes = 0;
	mon->prefixes_of = p;
	mon->prefixes_generation = fwd->pol.generation;
	for (size_t i = 0; i < count; i++)
		n += policy_rule_log_prefix_at(p, i, &id) != NULL;
	if (!n || !(mon->prefixes = calloc(n, sizeof(*mon->prefixes))))
		return; /* out of memory: events go without prefixes */
	for (size_t i = 0; i < count; i++) {
		const char *prefix = policy_rule_log_prefix_at(p, i, &id);

		if (prefix)
			mon->prefixes[mon->nprefixes++] = (struct prefix_entry){id, prefix};
	}
	qsort(mon->prefixes, mon->nprefixes, sizeof(*mon->prefixes), prefix_cmp);
}

/* The 'log prefix' of rule rule_id, or of the chain's default (rule_id 0), in the policy fwd
 * runs now: an event read just after a reload gets the new policy's text for its rule id. */
static const char *log_prefix(struct fwd *fwd, __u32 rule_id, __u8 chain)
{
	struct monitor *mon = fwd->mon;
	struct prefix_entry key = {.id = rule_id}, *hit;
	const char *prefix;

	if (!rule_id) {
		policy_default_log(fwd->pol.p, (enum tcfw_chain)chain, &prefix);
		return prefix;
	}
	if (mon->prefixes_of != fwd->pol.p || mon->prefixes_generation != fwd->pol.generation)
		prefixes_rebuild(fwd, mon);
	hit = mon->nprefixes
	          ? bsearch(&key, mon->prefixes, mon->nprefixes, sizeof(*mon->prefixes), prefix_cmp)
	          : NULL;
	return hit ? hit->prefix : NULL;
}

/* ---- JSON ------------------------------------------------------------------------------------ */
/* "time": the wall-clock time of a CLOCK_MONOTONIC stamp (the datapath's bpf_ktime_get_ns()),
 * RFC 3339 in UTC with microseconds. */
static void add_time(struct json_object *o, uint64_t mono_ns)
{
	struct timespec real, mono;
	char buf[48];
	struct tm tm;
	int64_t ns;
	time_t sec;

	clock_gettime(CLOCK_REALTIME, &real);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	ns = (int64_t)real.tv_sec * 1000000000 + real.tv_nsec -
	     ((int64_t)mono.tv_sec * 1000000000 + mono.tv_nsec - (int64_t)mono_ns);
	sec = (time_t)(ns / 1000000000);
	gmtime_r(&sec, &tm);
	snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900,
	         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	         (int)(ns % 1000000000 / 1000));
	json_object_object_add(o, "time", json_object_new_string(buf));
}

struct json_object *monitor_lost_json(uint64_t count)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "type", json_object_new_string("lost"));
	json_object_object_add(o, "count", json_object_new_int64((int64_t)count));
	add_time(o, ctmap_now_ns());
	return o;
}

static const char *event_type_name(unsigned int type)
{
	switch (type) {
	case TCFW_EV_NEW:
		return "new";
	case TCFW_EV_DESTROY:
		return "destroy";
	case TCFW_EV_LOG:
		return "log";
	case TCFW_EV_INVALID:
		return "invalid";
	default:
		return "unknown";
	}
}

static void add_tuple(struct json_object *o, const struct tcfw_tuple *t)
{
	struct ct_tuple_field f[CT_TUPLE_FIELDS_MAX];
	struct ct_tuple_text text;
	unsigned int n = ct_tuple_fields(t, &text, f);
	const char *proto = proto_name(t->proto);

	json_object_object_add(o, "family",
	                       json_object_new_string(t->family == TCFW_AF_INET6 ? "ip6" : "ip"));
	json_object_object_add(
	    o, "proto", proto ? json_object_new_string(proto) : json_object_new_int(t->proto));
	/* The same fields as `fwctl ct list` prints for a tuple (lib/ct_tuple.h). */
	for (unsigned int i = 0; i < n; i++)
		json_object_object_add(o, f[i].key,
		                       f[i].str ? json_object_new_string(f[i].str)
		                                : json_object_new_int64((int64_t)f[i].num));
}

static void add_ifindex(struct fwd *fwd, struct json_object *o, const char *key_index,
                        const char *key_name, __u32 ifindex)
{
	char name[IF_NAMESIZE];

	json_object_object_add(o, key_index, json_object_new_int64(ifindex));
	if (ifindex && netlink_link_name(fwd->nl, (int)ifindex, name))
		json_object_object_add(o, key_name, json_object_new_string(name));
}

/* Hand an event to the event log (when it took it) and to the monitors; takes o. */
static void deliver(struct fwd *fwd, struct json_object *o, bool to_log)
{
	if (to_log)
		eventlog_write(fwd, o);
	if (control_monitor_count(fwd))
		control_broadcast_event(fwd, o);
	else
		json_object_put(o);
}

/* The event log's rate limit is asked first: a flood it refuses costs no JSON. */
static bool to_event_log(struct fwd *fwd, unsigned int type)
{
	return eventlog_wants(fwd, type) && eventlog_admit(fwd);
}

static int ring_event(void *ctx, void *data, size_t size)
{
	struct fwd *fwd = ctx;
	const struct tcfw_event *ev = data;
	struct json_object *o;
	const char *prefix;
	bool to_log;

	if (size < sizeof(*ev))
		return 0; /* a datapath built from another tcfw_abi.h; nothing sensible to show */
	to_log = to_event_log(fwd, ev->type);
	if (!to_log && !control_monitor_count(fwd))
		return 0;
	o = json_object_new_object();
	json_object_object_add(o, "type", json_object_new_string(event_type_name(ev->type)));
	add_time(o, ev->ts_ns);
	json_object_object_add(o, "time_ns", json_object_new_int64((int64_t)ev->ts_ns));
	add_tuple(o, &ev->tuple);
	add_ifindex(fwd, o, "ifindex", "ifname", ev->ifindex);
	json_object_object_add(o, "chain", json_object_new_string(chain_name(ev->chain)));
	json_object_object_add(o, "verdict", json_object_new_string(verdict_name(ev->verdict)));
	json_object_object_add(o, "ct", json_object_new_string(pkt_ct_name(ev->pkt_ct)));
	json_object_object_add(o, "rule", json_object_new_int64(ev->rule_id));
	if (ev->type == TCFW_EV_LOG && (prefix = log_prefix(fwd, ev->rule_id, ev->chain)))
		json_object_object_add(o, "prefix", json_object_new_string(prefix));
	deliver(fwd, o, to_log);
	return 0;
}

static struct json_object *counters_json(const struct tcfw_ct_counters *c)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "packets", json_object_new_int64((int64_t)c->packets));
	json_object_object_add(o, "bytes", json_object_new_int64((int64_t)c->bytes));
	return o;
}

void monitor_destroy_event(struct fwd *fwd, const struct tcfw_tuple *orig,
                           const struct tcfw_ct_entry *e, const char *reason)
{
	struct json_object *o, *ctr, *reply;
	uint64_t now = ctmap_now_ns();
	bool to_log = to_event_log(fwd, TCFW_EV_DESTROY);

	if (!to_log && !control_monitor_count(fwd))
		return;
	o = json_object_new_object();
	json_object_object_add(o, "type", json_object_new_string("destroy"));
	add_time(o, now);
	json_object_object_add(o, "time_ns", json_object_new_int64((int64_t)now));
	json_object_object_add(o, "reason", json_object_new_string(reason));
	add_tuple(o, orig);
	reply = json_object_new_object();
	add_tuple(reply, &e->reply);
	json_object_object_add(o, "reply", reply);
	json_object_object_add(o, "state", json_object_new_string(ct_state_lname(e->state)));
	json_object_object_add(o, "chain", json_object_new_string(chain_name(e->chain)));
	json_object_object_add(o, "rule", json_object_new_int64(e->rule_id));
	add_ifindex(fwd, o, "ifindex", "ifname", e->ifindex_in);
	json_object_object_add(
	    o, "age_s", json_object_new_int64((int64_t)(ctmap_age_ns(e, now) / 1000000000ULL)));
	ctr = json_object_new_object();
	json_object_object_add(ctr, "orig", counters_json(&e->ctr[TCFW_DIR_ORIG]));
	json_object_object_add(ctr, "reply", counters_json(&e->ctr[TCFW_DIR_REPLY]));
	json_object_object_add(o, "counters", ctr);
	deliver(fwd, o, to_log);
}

void monitor_clients_changed(struct fwd *fwd)
{
	bool want = control_monitor_count(fwd) > 0 || eventlog_connections(fwd);
	bool have = fwd->dp.config.flags & TCFW_CFG_EVENTS_NEW;

	if (want == have)
		return;
	if (want)
		fwd->dp.config.flags |= TCFW_CFG_EVENTS_NEW;
	else
		fwd->dp.config.flags &= ~(__u32)TCFW_CFG_EVENTS_NEW;
	if (datapath_write_config(&fwd->dp) == 0)
		pr_debug("new-connection events %s", want ? "on" : "off");
}

static void ring_ready(struct loop_source *src, uint32_t events)
{
	struct fwd *fwd = src->ctx;
	int n;

	(void)events;
	n = ring_buffer__consume(fwd->mon->rb);
	if (n < 0)
		pr_warn("reading datapath events failed: %s", strerror(-n));
	eventlog_flush(fwd); /* one write for the whole batch */
}

int monitor_open(struct fwd *fwd)
{
	struct monitor *mon = calloc(1, sizeof(*mon));
	int err;

	if (!mon)
		return -ENOMEM;
	mon->rb = ring_buffer__new(fwd->dp.events_fd, ring_event, fwd, NULL);
	if (!mon->rb) {
		err = -errno;
		pr_warn("cannot open the datapath's event ring buffer: %s", strerror(errno));
		free(mon);
		return err;
	}
	mon->src = (struct loop_source){
	    .fd = ring_buffer__epoll_fd(mon->rb), .fn = ring_ready, .ctx = fwd};
	err = loop_add(&fwd->loop, &mon->src, EPOLLIN);
	if (err) {
		pr_warn("cannot watch the event ring buffer: %s", strerror(-err));
		ring_buffer__free(mon->rb);
		free(mon);
		return err;
	}
	fwd->mon = mon;
	/* The event log may want new-connection events from the start. */
	monitor_clients_changed(fwd);
	return 0;
}

void monitor_close(struct fwd *fwd)
{
	if (!fwd->mon)
		return;
	loop_del(&fwd->loop, &fwd->mon->src);
	ring_buffer__free(fwd->mon->rb);
	free(fwd->mon->prefixes);
	free(fwd->mon);
	fwd->mon = NULL;
}

void fwd_cmd_monitor(struct fwd *fwd, struct client *c, struct json_object *req,
                     struct cmd_reply *r)
{
	(void)req;
	(void)r;
	control_set_monitor(fwd, c);
}
