// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * metrics.c - the Prometheus text exposition of a snapshot (see metrics.h).
 *
 * Names follow Prometheus' conventions (base units, _total on counters) and what operators
 * know from node_exporter's conntrack collector and Cilium. Labels carry only bounded values
 * (families, protocols, states, chains, rule ids, managed interfaces), never addresses or
 * ports: one series per connection would grow without bound.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "tcfw_proto.h"

#include "metrics.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- text buffer ----------------------------------------------------------------------------- */
void metrics_buf_free(struct metrics_buf *b)
{
	free(b->s);
	memset(b, 0, sizeof(*b));
}

static bool reserve(struct metrics_buf *b, size_t more)
{
	size_t cap = b->cap ? b->cap : 4096;
	char *s;

	if (b->failed)
		return false;
	if (b->len + more + 1 <= b->cap)
		return true;
	while (cap < b->len + more + 1)
		cap *= 2;
	s = realloc(b->s, cap);
	if (!s) {
		b->failed = true;
		return false;
	}
	b->s = s;
	b->cap = cap;
	return true;
}

static void put(struct metrics_buf *b, const char *s, size_t n)
{
	if (!reserve(b, n))
		return;
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void puts_(struct metrics_buf *b, const char *s)
{
	put(b, s, strlen(s));
}

__attribute__((format(printf, 2, 3))) static void printf_(struct metrics_buf *b, const char *fmt,
                                                          ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !reserve(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* The exposition format's escapes: backslash and newline everywhere, the double quote inside
 * label values only. */
static void put_escaped(struct metrics_buf *b, const char *s, bool quote)
{
	for (; *s; s++) {
		if (*s == '\\')
			puts_(b, "\\\\");
		else if (*s == '\n')
			puts_(b, "\\n");
		else if (*s == '"' && quote)
			puts_(b, "\\\"");
		else
			put(b, s, 1);
	}
}

void metrics_family(struct metrics_buf *b, const char *name, const char *type, const char *help)
{
	printf_(b, "# HELP %s ", name);
	put_escaped(b, help, false);
	printf_(b, "\n# TYPE %s %s\n", name, type);
}

static void put_series(struct metrics_buf *b, const char *name, const struct metrics_label *l,
                       size_t nlabels)
{
	puts_(b, name);
	if (!nlabels)
		return;
	puts_(b, "{");
	for (size_t i = 0; i < nlabels; i++) {
		printf_(b, "%s%s=\"", i ? "," : "", l[i].name);
		put_escaped(b, l[i].value ? l[i].value : "", true);
		puts_(b, "\"");
	}
	puts_(b, "}");
}

void metrics_sample_u64(struct metrics_buf *b, const char *name, const struct metrics_label *l,
                        size_t nlabels, uint64_t v)
{
	put_series(b, name, l, nlabels);
	printf_(b, " %" PRIu64 "\n", v);
}

/* Prometheus' spellings of the special values; otherwise the shortest of %.15g and %.17g that
 * reads back as the same double (0.1 + 0.2 stays "0.30000000000000004", 2.65 stays "2.65"). */
static void put_f64(struct metrics_buf *b, double v)
{
	char s[32];

	if (isnan(v)) {
		puts_(b, "NaN");
	} else if (isinf(v)) {
		puts_(b, v > 0 ? "+Inf" : "-Inf");
	} else {
		snprintf(s, sizeof(s), "%.15g", v);
		if (strtod(s, NULL) != v)
			snprintf(s, sizeof(s), "%.17g", v);
		puts_(b, s);
	}
}

void metrics_sample_f64(struct metrics_buf *b, const char *name, const struct metrics_label *l,
                        size_t nlabels, double v)
{
	put_series(b, name, l, nlabels);
	puts_(b, " ");
	put_f64(b, v);
	puts_(b, "\n");
}

/* ---- histogram ------------------------------------------------------------------------------- */
const double metrics_expiry_pass_bounds[] = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};
const size_t metrics_expiry_pass_nbounds = ARRAY_SIZE(metrics_expiry_pass_bounds);
_Static_assert(ARRAY_SIZE(metrics_expiry_pass_bounds) <= METRICS_HIST_MAX_BOUNDS,
               "too many buckets for struct metrics_histogram");

void metrics_histogram_init(struct metrics_histogram *h, const double *bounds, size_t nbounds)
{
	memset(h, 0, sizeof(*h));
	h->bounds = bounds;
	h->nbounds = nbounds < METRICS_HIST_MAX_BOUNDS ? nbounds : METRICS_HIST_MAX_BOUNDS;
}

void metrics_histogram_observe(struct metrics_histogram *h, double v)
{
	size_t i = 0;

	/* le: a value equal to a bound belongs to that bucket. */
	while (i < h->nbounds && v > h->bounds[i])
		i++;
	h->counts[i]++;
	h->count++;
	h->sum += v;
}

void metrics_histogram_write(struct metrics_buf *b, const char *name, const char *help,
                             const struct metrics_histogram *h)
{
	char series[128], le[32];
	uint64_t cum = 0;

	metrics_family(b, name, "histogram", help);
	snprintf(series, sizeof(series), "%s_bucket", name);
	for (size_t i = 0; i <= h->nbounds; i++) {
		struct metrics_label l = {"le", le};

		cum += h->counts[i];
		if (i < h->nbounds)
			snprintf(le, sizeof(le), "%g", h->bounds[i]);
		else
			snprintf(le, sizeof(le), "+Inf");
		metrics_sample_u64(b, series, &l, 1, cum);
	}
	snprintf(series, sizeof(series), "%s_sum", name);
	metrics_sample_f64(b, series, NULL, 0, h->sum);
	snprintf(series, sizeof(series), "%s_count", name);
	metrics_sample_u64(b, series, NULL, 0, h->count);
}

/* ---- census ---------------------------------------------------------------------------------- */
/* The protocol each census bucket counts; its label is the protocol's name (lib/names.c). */
static const uint8_t proto_numbers[METRICS_PROTO_OTHER] = {
    [METRICS_PROTO_TCP] = TCFW_PROTO_TCP,
    [METRICS_PROTO_UDP] = TCFW_PROTO_UDP,
    [METRICS_PROTO_ICMP] = TCFW_PROTO_ICMP,
    [METRICS_PROTO_ICMPV6] = TCFW_PROTO_ICMPV6,
};

static const char *proto_label(enum metrics_proto p)
{
	return p < METRICS_PROTO_OTHER ? proto_name(proto_numbers[p]) : "other";
}
static const char *const family_labels[2] = {"ipv4", "ipv6"};

static enum metrics_proto proto_of(uint8_t proto)
{
	for (unsigned int p = 0; p < METRICS_PROTO_OTHER; p++)
		if (proto_numbers[p] == proto)
			return p;
	return METRICS_PROTO_OTHER;
}

void metrics_census_count(struct metrics_ct_census *c, const struct tcfw_tuple *orig,
                          const struct tcfw_ct_entry *e, int delta)
{
	unsigned int fam = orig->family == TCFW_AF_INET6;
	unsigned int state = e->state < TCFW_CT_STATE_MAX ? e->state : TCFW_CT_NONE;
	uint64_t *slot = &c->entries[fam][proto_of(orig->proto)][state];

	/* A take-back always follows its count in the same pass; never wrap below zero. */
	if (delta > 0) {
		(*slot)++;
		if (e->nat_kind)
			c->nat_bindings++;
	} else {
		if (*slot)
			(*slot)--;
		if (e->nat_kind && c->nat_bindings)
			c->nat_bindings--;
	}
}

/* The states a protocol can be in: their series are written even at 0, so that a dashboard
 * sees a stable set (and rate()/absent() work); an odd combination only when it occurs. */
static bool state_expected(unsigned int fam, enum metrics_proto p, unsigned int s)
{
	switch (p) {
	case METRICS_PROTO_TCP:
		return s >= TCFW_CT_TCP_SYN_SENT && s <= TCFW_CT_TCP_SYN_SENT2;
	case METRICS_PROTO_UDP:
		return s >= TCFW_CT_UDP_UNREPLIED && s <= TCFW_CT_UDP_ASSURED;
	case METRICS_PROTO_ICMP:
		return fam == 0 && (s == TCFW_CT_ICMP_UNREPLIED || s == TCFW_CT_ICMP_REPLIED);
	case METRICS_PROTO_ICMPV6:
		return fam == 1 && (s == TCFW_CT_ICMP_UNREPLIED || s == TCFW_CT_ICMP_REPLIED);
	default:
		return s == TCFW_CT_OTHER_UNREPLIED || s == TCFW_CT_OTHER_REPLIED;
	}
}

static void write_ct_entries(struct metrics_buf *b, const struct metrics_snapshot *s)
{
	metrics_family(b, "tcfw_ct_entries", "gauge",
	               "Connections in the table by family, protocol and state, as counted by "
	               "fwd's last expiry pass.");
	if (!s->have_census)
		return;
	for (unsigned int f = 0; f < 2; f++)
		for (unsigned int p = 0; p < METRICS_PROTO_MAX; p++)
			for (unsigned int st = 0; st < TCFW_CT_STATE_MAX; st++) {
				uint64_t n = s->census.entries[f][p][st];
				struct metrics_label l[] = {
				    {"family", family_labels[f]},
				    {"proto", proto_label(p)},
				    {"state", ct_state_pname(st)},
				};

				if (n || state_expected(f, (enum metrics_proto)p, st))
					metrics_sample_u64(b, "tcfw_ct_entries", l, ARRAY_SIZE(l),
					                   n);
			}
}

/* ---- the exposition -------------------------------------------------------------------------- */
static void counter(struct metrics_buf *b, const char *name, const char *help, uint64_t v)
{
	metrics_family(b, name, "counter", help);
	metrics_sample_u64(b, name, NULL, 0, v);
}

static void gauge(struct metrics_buf *b, const char *name, const char *help, uint64_t v)
{
	metrics_family(b, name, "gauge", help);
	metrics_sample_u64(b, name, NULL, 0, v);
}

/* A counter from map "stats": written only when the map could be read (a missing sample is
 * honest; a 0 would look like a counter reset). */
static void stat_counter(struct metrics_buf *b, const struct metrics_snapshot *s, const char *name,
                         const char *help, enum tcfw_stat stat)
{
	metrics_family(b, name, "counter", help);
	if (s->have_stats)
		metrics_sample_u64(b, name, NULL, 0, s->stats[stat]);
}

/*
 * Why the datapath dropped packets. The policy's drops come from map "drops", by chain; an
 * invalid packet is dropped before any chain is chosen (chain ""). The other reasons come from
 * counters of map "stats" that do not record a chain (chain "").
 */
static const char *const policy_reasons[TCFW_DROP_REASON_MAX] = {
    [TCFW_DROP_POLICY] = "policy",
    [TCFW_DROP_REJECT] = "reject",
    [TCFW_DROP_INVALID] = "invalid",
};

static const struct {
	const char *reason;
	enum tcfw_stat stat;
} stat_reasons[] = {
    {"malformed", TCFW_STAT_MALFORMED},
    {"insert_failed", TCFW_STAT_CT_INSERT_FAILED},
    {"nat_port_exhausted", TCFW_STAT_NAT_PORT_EXHAUSTED},
    {"nat_no_address", TCFW_STAT_NAT_NO_ADDRESS},
    {"nat_alias_taken", TCFW_STAT_NAT_ALIAS_TAKEN},
    /* The XDP pre-filter's: these packets never reached TC. */
    {"prefilter_blocked", TCFW_STAT_PREFILTER_BLOCKED},
    {"prefilter_untracked", TCFW_STAT_PREFILTER_UNTRACKED},
};

static void drop_sample(struct metrics_buf *b, const char *reason, const char *chain, uint64_t v)
{
	struct metrics_label l[] = {{"reason", reason}, {"chain", chain}};

	metrics_sample_u64(b, "tcfw_drop_total", l, ARRAY_SIZE(l), v);
}

static void write_policy_drops(struct metrics_buf *b, const struct metrics_snapshot *s)
{
	for (unsigned int r = 0; r < TCFW_DROP_REASON_MAX; r++) {
		if (r == TCFW_DROP_INVALID) {
			drop_sample(b, policy_reasons[r], "",
			            s->drops[TCFW_DROP_INDEX(r, TCFW_DROP_CHAIN_NONE)]);
			continue;
		}
		/* The filter chains always (they decide); the NAT chains only if ever. */
		for (unsigned int c = 0; c < TCFW_CHAIN_MAX; c++) {
			uint64_t v = s->drops[TCFW_DROP_INDEX(r, c)];

			if (c <= TCFW_CHAIN_OUTPUT || v)
				drop_sample(b, policy_reasons[r], chain_name(c), v);
		}
	}
}

static void write_drops(struct metrics_buf *b, const struct metrics_snapshot *s)
{
	metrics_family(b, "tcfw_drop_total", "counter",
	               "Packets the datapath dropped, by reason, and for the policy's decisions "
	               "by the chain that decided (chain \"\" where none did).");
	if (s->have_drops) {
		write_policy_drops(b, s);
	} else if (s->have_stats) {
		/* Without map "drops": the same packets, without the chain. */
		drop_sample(b, "policy", "", s->stats[TCFW_STAT_VERDICT_DROP]);
		drop_sample(b, "reject", "", s->stats[TCFW_STAT_VERDICT_REJECT]);
	}
	for (size_t i = 0; s->have_stats && i < ARRAY_SIZE(stat_reasons); i++)
		drop_sample(b, stat_reasons[i].reason, "", s->stats[stat_reasons[i].stat]);
}

static void write_packets(struct metrics_buf *b, const struct metrics_snapshot *s)
{
	uint64_t all = s->stats[TCFW_STAT_PACKETS], fast = s->stats[TCFW_STAT_FAST_PATH];
	struct metrics_label lf = {"path", "fast"}, ls = {"path", "slow"};

	metrics_family(b, "tcfw_packets_total", "counter",
	               "Packets seen by the datapath: fast = established and forwarded at "
	               "ingress past the kernel's IP stack, slow = every other packet.");
	if (!s->have_stats)
		return;
	metrics_sample_u64(b, "tcfw_packets_total", &lf, 1, fast);
	metrics_sample_u64(b, "tcfw_packets_total", &ls, 1, all > fast ? all - fast : 0);
}

static void write_rule_hits(struct metrics_buf *b, const struct metrics_snapshot *s)
{
	metrics_family(b, "tcfw_rule_hits_total", "counter",
	               "New connections matched by each rule of the running policy, by chain and "
	               "rule id (fwctl rule list); counts survive rule edits, not policy loads.");
	for (size_t i = 0; i < s->nrules; i++) {
		char id[16];
		struct metrics_label l[] = {{"chain", chain_name(s->rules[i].chain)}, {"rule", id}};

		snprintf(id, sizeof(id), "%" PRIu32, s->rules[i].rule_id);
		metrics_sample_u64(b, "tcfw_rule_hits_total", l, ARRAY_SIZE(l), s->rules[i].hits);
	}
	metrics_family(b, "tcfw_rule_limited_total", "counter",
	               "New connections each rule's 'limit' refused (they fell through to later "
	               "rules), by chain and rule id; rules with 'limit' only; counts start again "
	               "with every policy install.");
	for (size_t i = 0; i < s->nrules; i++) {
		char id[16];
		struct metrics_label l[] = {{"chain", chain_name(s->rules[i].chain)}, {"rule", id}};

		if (!s->rules[i].has_limit)
			continue;
		snprintf(id, sizeof(id), "%" PRIu32, s->rules[i].rule_id);
		metrics_sample_u64(b, "tcfw_rule_limited_total", l, ARRAY_SIZE(l),
		                   s->rules[i].limited);
	}
}

static void write_ha(struct metrics_buf *b, const struct metrics_snapshot *s)
{
	static const char *const roles[] = {"none", "master", "backup", "fault"};
	struct metrics_label l[2];

	if (s->ha_role) {
		metrics_family(
		    b, "tcfw_ha_role", "gauge",
		    "1 for this node's role in the gateway pair, as keepalived last set it "
		    "(fwctl ha master|backup|fault), 0 for the others.");
		for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
			l[0] = (struct metrics_label){"role", roles[i]};
			metrics_sample_u64(b, "tcfw_ha_role", l, 1, !strcmp(roles[i], s->ha_role));
		}
	}
	if (!s->have_sync)
		return;
	gauge(b, "tcfw_sync_peer_up", "1 while the peer gateway was heard from in the last 3 s.",
	      s->sync_peer_alive);
	metrics_family(b, "tcfw_sync_sent_total", "counter",
	               "State replication: DATA messages and connection records sent to the peer "
	               "(first sending; resends not counted).");
	l[0] = (struct metrics_label){"what", "messages"};
	metrics_sample_u64(b, "tcfw_sync_sent_total", l, 1, s->sync_sent_msgs);
	l[0] = (struct metrics_label){"what", "records"};
	metrics_sample_u64(b, "tcfw_sync_sent_total", l, 1, s->sync_sent_recs);
	metrics_family(b, "tcfw_sync_received_total", "counter",
	               "State replication: DATA messages and connection records received from "
	               "the peer and applied.");
	l[0] = (struct metrics_label){"what", "messages"};
	metrics_sample_u64(b, "tcfw_sync_received_total", l, 1, s->sync_recv_msgs);
	l[0] = (struct metrics_label){"what", "records"};
	metrics_sample_u64(b, "tcfw_sync_received_total", l, 1, s->sync_recv_recs);
	counter(b, "tcfw_sync_lost_total",
	        "Messages of the peer found missing (by sequence number) and asked for again.",
	        s->sync_lost);
	counter(b, "tcfw_sync_dropped_total",
	        "Messages dropped from a full send queue before the peer acknowledged them.",
	        s->sync_dropped);
	metrics_family(b, "tcfw_sync_resyncs_total", "counter",
	               "Bulk resyncs: sent to the peer, and received from it in full.");
	l[0] = (struct metrics_label){"direction", "sent"};
	metrics_sample_u64(b, "tcfw_sync_resyncs_total", l, 1, s->sync_resyncs_sent);
	l[0] = (struct metrics_label){"direction", "received"};
	metrics_sample_u64(b, "tcfw_sync_resyncs_total", l, 1, s->sync_resyncs_received);
	gauge(b, "tcfw_sync_queue", "Messages sent to the peer and not acknowledged yet.",
	      s->sync_queue);
}

static void write_ifaces(struct metrics_buf *b, const struct metrics_snapshot *s)
{
	static const char *const names[] = {"tcfw_interface_packets_total",
	                                    "tcfw_interface_bytes_total"};
	static const char *const helps[] = {
	    "Packets through each interface tcfw manages, from the kernel's link statistics.",
	    "Bytes through each interface tcfw manages, from the kernel's link statistics."};

	for (size_t m = 0; m < 2; m++) {
		metrics_family(b, names[m], "counter", helps[m]);
		for (size_t i = 0; i < s->nifaces; i++) {
			const struct metrics_iface *it = &s->ifaces[i];
			struct metrics_label rx[] = {{"interface", it->name}, {"direction", "rx"}};
			struct metrics_label tx[] = {{"interface", it->name}, {"direction", "tx"}};

			metrics_sample_u64(b, names[m], rx, 2, m ? it->rx_bytes : it->rx_packets);
			metrics_sample_u64(b, names[m], tx, 2, m ? it->tx_bytes : it->tx_packets);
		}
	}
}

int metrics_render(const struct metrics_snapshot *s, struct metrics_buf *b)
{
	struct metrics_label ver = {"version", s->version ? s->version : ""};

	metrics_family(b, "tcfw_build_info", "gauge", "Always 1; the version of the running fwd.");
	metrics_sample_u64(b, "tcfw_build_info", &ver, 1, 1);

	write_ct_entries(b, s);
	gauge(b, "tcfw_ct_max", "Connections the table holds at most (--ct-max, as loaded).",
	      s->ct_max);
	metrics_family(b, "tcfw_nat_bindings", "gauge",
	               "Connections with a NAT translation, as counted by fwd's last expiry pass.");
	if (s->have_census)
		metrics_sample_u64(b, "tcfw_nat_bindings", NULL, 0, s->census.nat_bindings);
	stat_counter(b, s, "tcfw_ct_created_total", "Connections created (stored in the table).",
	             TCFW_STAT_CT_NEW);
	counter(b, "tcfw_ct_expired_total",
	        "Connections deleted by fwd's expiry since fwd started (timeout passed).",
	        s->expired);
	stat_counter(b, s, "tcfw_ct_evicted_total",
	             "Connections not yet assured that fwd dropped early to make room in a nearly "
	             "full table (the table never evicts otherwise).",
	             TCFW_STAT_CT_EARLY_DROP);
	stat_counter(b, s, "tcfw_ct_insert_failed_total",
	             "New connections dropped because the table was full.",
	             TCFW_STAT_CT_INSERT_FAILED);

	write_packets(b, s);
	write_drops(b, s);
	write_rule_hits(b, s);

	stat_counter(b, s, "tcfw_nat_port_exhausted_total",
	             "New connections dropped: no free NAT port in the range.",
	             TCFW_STAT_NAT_PORT_EXHAUSTED);
	stat_counter(b, s, "tcfw_nat_no_address_total",
	             "New connections dropped: masquerade out an interface without IPv4 address.",
	             TCFW_STAT_NAT_NO_ADDRESS);
	stat_counter(b, s, "tcfw_nat_alias_taken_total",
	             "New connections dropped: DNAT+SNAT, another connection has the same "
	             "half-translated tuple.",
	             TCFW_STAT_NAT_ALIAS_TAKEN);
	stat_counter(b, s, "tcfw_events_lost_total",
	             "Events dropped because the ring buffer was full.", TCFW_STAT_EVENTS_LOST);
	stat_counter(b, s, "tcfw_dynset_added_total",
	             "Sources that rules with 'add @SET' put into a dynamic set.",
	             TCFW_STAT_DYNSET_ADDED);
	stat_counter(b, s, "tcfw_dynset_add_limited_total",
	             "'add @SET' additions refused: more than 1000 a second into one set.",
	             TCFW_STAT_DYNSET_ADD_LIMITED);
	gauge(b, "tcfw_policy_generation",
	      "Generation of the running policy (grows by one with every load, reload and rule "
	      "edit).",
	      s->policy_generation);
	counter(b, "tcfw_policy_reload_failures_total",
	        "Policy loads, SIGHUP reloads and rule edits refused since fwd started (the "
	        "running policy stayed).",
	        s->policy_reload_failures);
	if (s->expiry_pass)
		metrics_histogram_write(b, "tcfw_expiry_pass_seconds",
		                        "Time one expiry pass took to walk the connection table.",
		                        s->expiry_pass);
	write_ifaces(b, s);
	write_ha(b, s);
	return b->failed ? -ENOMEM : 0;
}
