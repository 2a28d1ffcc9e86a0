// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ct_format.c - one connection as a `conntrack -L` style line or as a JSON object.
 *
 * Text follows conntrack's order so its readers feel at home: protocol name and number, seconds
 * left, the TCP state, the original tuple with its counters, [UNREPLIED] when no reply was
 * seen, the reply tuple with its counters, [ASSURED], then tcfw's own chain= and rule=.
 * JSON groups the same facts: "orig"/"reply" tuples and a "counters" object per direction.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>

#include "addr.h"
#include "ct_format.h"
#include "names.h"
#include "out.h"

#define IPPROTO_NUM_ICMP    1
#define IPPROTO_NUM_TCP     6
#define IPPROTO_NUM_UDP     17
#define IPPROTO_NUM_DCCP    33
#define IPPROTO_NUM_ICMPV6  58
#define IPPROTO_NUM_SCTP    132
#define IPPROTO_NUM_UDPLITE 136

static bool is_icmp(uint8_t proto)
{
	return proto == IPPROTO_NUM_ICMP || proto == IPPROTO_NUM_ICMPV6;
}

static bool has_ports(const struct tcfw_tuple *t)
{
	switch (t->proto) {
	case IPPROTO_NUM_TCP:
	case IPPROTO_NUM_UDP:
	case IPPROTO_NUM_DCCP:
	case IPPROTO_NUM_SCTP:
	case IPPROTO_NUM_UDPLITE:
		return true;
	default:
		/* Other protocols are tracked by addresses only; show ports if any were set. */
		return t->sport || t->dport;
	}
}

void ct_format_tuple(const struct tcfw_tuple *t)
{
	char buf[ADDR_STRLEN];

	out_str("src", "src=%s ", addr_format(t->src, buf));
	out_str("dst", "dst=%s ", addr_format(t->dst, buf));
	if (is_icmp(t->proto)) {
		/* An echo request is keyed (id, 0), its reply (0, id): the id is the non-zero one.
		 */
		out_uint("id", "id=%" PRIu64 " ", ntohs(t->sport ? t->sport : t->dport));
	} else if (has_ports(t)) {
		out_uint("sport", "sport=%" PRIu64 " ", ntohs(t->sport));
		out_uint("dport", "dport=%" PRIu64 " ", ntohs(t->dport));
	}
}

static void counters_text(const struct tcfw_ct_counters *c)
{
	out_text("packets=%llu bytes=%llu ", (unsigned long long)c->packets,
	         (unsigned long long)c->bytes);
}

static void counters_json(const struct tcfw_ct_entry *e)
{
	static const char *const dirs[] = {[TCFW_DIR_ORIG] = "orig", [TCFW_DIR_REPLY] = "reply"};

	out_open_object("counters");
	for (int d = TCFW_DIR_ORIG; d <= TCFW_DIR_REPLY; d++) {
		out_open_object(dirs[d]);
		out_uint("packets", NULL, e->ctr[d].packets);
		out_uint("bytes", NULL, e->ctr[d].bytes);
		out_close_object();
	}
	out_close_object();
}

static void flags_json(const struct tcfw_ct_entry *e)
{
	out_open_array("flags");
	if (e->flags & TCFW_CTF_SEEN_REPLY)
		out_str(NULL, NULL, "seen_reply");
	if (e->flags & TCFW_CTF_ASSURED)
		out_str(NULL, NULL, "assured");
	if (e->flags & TCFW_CTF_LOG)
		out_str(NULL, NULL, "log");
	out_close_array();

	out_open_array("nat");
	if (e->nat_kind & TCFW_NAT_SNAT)
		out_str(NULL, NULL, "snat");
	if (e->nat_kind & TCFW_NAT_DNAT)
		out_str(NULL, NULL, "dnat");
	out_close_array();
}

void ct_format_entry(const struct tcfw_tuple *orig, const struct tcfw_ct_entry *e,
                     uint64_t timeout_left_s)
{
	const char *pname = proto_name(orig->proto);
	char pnum[4];

	snprintf(pnum, sizeof(pnum), "%u", orig->proto);
	out_open_object(NULL);
	/* conntrack prints "unknown" for protocols it has no name for; JSON keeps the number. */
	if (out_is_json())
		out_str("proto", NULL, pname ? pname : pnum);
	else
		out_text("%-8s ", pname ? pname : "unknown");
	out_uint("protonum", "%" PRIu64 " ", orig->proto);
	out_str("family", NULL, orig->family == TCFW_AF_INET6 ? "ip6" : "ip");
	out_uint("timeout", "%" PRIu64 " ", timeout_left_s);
	out_str("state", NULL, ct_state_lname(e->state));
	if (orig->proto == IPPROTO_NUM_TCP)
		out_text("%s ", ct_state_name(e->state));

	out_open_object("orig");
	ct_format_tuple(orig);
	out_close_object();
	counters_text(&e->ctr[TCFW_DIR_ORIG]);
	if (!(e->flags & TCFW_CTF_SEEN_REPLY))
		out_text("[UNREPLIED] ");

	out_open_object("reply");
	ct_format_tuple(&e->reply);
	out_close_object();
	counters_text(&e->ctr[TCFW_DIR_REPLY]);
	if (e->flags & TCFW_CTF_ASSURED)
		out_text("[ASSURED] ");

	if (out_is_json()) {
		counters_json(e);
		flags_json(e);
	}
	out_str("chain", "chain=%s ", chain_name(e->chain));
	out_uint("rule", "rule=%" PRIu64, e->rule_id);
	out_uint("ifindex_in", NULL, e->ifindex_in);
	out_uint("ifindex_out", NULL, e->ifindex_out);
	out_text("\n");
	out_close_object();
}
