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
#include "ct_tuple.h"
#include "names.h"
#include "out.h"
#include "tcfw_proto.h"

void ct_format_tuple(const struct tcfw_tuple *t)
{
	struct ct_tuple_field f[CT_TUPLE_FIELDS_MAX];
	struct ct_tuple_text text;
	unsigned int n = ct_tuple_fields(t, &text, f);

	/* Text and JSON from one list: `key=value ` and "key": value. */
	for (unsigned int i = 0; i < n; i++) {
		if (f[i].str) {
			out_str(f[i].key, NULL, f[i].str);
			out_text("%s=%s ", f[i].key, f[i].str);
		} else {
			out_uint(f[i].key, NULL, f[i].num);
			out_text("%s=%" PRIu64 " ", f[i].key, f[i].num);
		}
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
	if (orig->proto == TCFW_PROTO_TCP)
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
