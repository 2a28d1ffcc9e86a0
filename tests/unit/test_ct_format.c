// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_ct_format.c - TCP, UDP, ICMP and other connections as `conntrack -L` style lines (exact
 * text) and as JSON objects (they parse, and carry every documented field with the right value).
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "addr.h"
#include "ct_format.h"
#include "out.h"

static void set_tuple(struct tcfw_tuple *t, uint8_t proto, const char *src, uint16_t sport,
                      const char *dst, uint16_t dport)
{
	unsigned int plen;

	memset(t, 0, sizeof(*t));
	if (addr_parse(src, t->src, &plen) || addr_parse(dst, t->dst, &plen))
		fail_msg("test setup: bad address %s or %s", src, dst);
	t->family = addr_is_v4(t->src) ? TCFW_AF_INET : TCFW_AF_INET6;
	t->proto = proto;
	t->sport = htons(sport);
	t->dport = htons(dport);
}

/* Format one entry in the given mode; returns the malloc'd output. */
static char *format(const struct tcfw_tuple *orig, const struct tcfw_ct_entry *e, uint64_t left,
                    bool json)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	out_init(f, json);
	ct_format_entry(orig, e, left);
	out_finish();
	fclose(f);
	out_init(stdout, false);
	return buf;
}

static void expect_text(const char *what, const struct tcfw_tuple *orig,
                        const struct tcfw_ct_entry *e, uint64_t left, const char *want)
{
	char *got = format(orig, e, left, false);

	if (strcmp(got, want) != 0)
		fail_msg("%s, text:\n  got      \"%s\"\n  expected \"%s\"", what, got, want);
	free(got);
}

/* Parse the JSON form; the caller checks fields with the helpers below and puts the object. */
static struct json_object *json_of(const char *what, const struct tcfw_tuple *orig,
                                   const struct tcfw_ct_entry *e, uint64_t left)
{
	char *s = format(orig, e, left, true);
	struct json_object *o = json_tokener_parse(s);

	if (!o || !json_object_is_type(o, json_type_object))
		fail_msg("%s: JSON output is not an object: %s", what, s);
	free(s);
	return o;
}

/* Field at a dotted path ("orig.sport"), which must exist. */
static struct json_object *field(const char *what, struct json_object *o, const char *path)
{
	char buf[128], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *k = strtok_r(buf, ".", &save); k; k = strtok_r(NULL, ".", &save))
		if (!json_object_object_get_ex(o, k, &o))
			fail_msg("%s: JSON has no field \"%s\" (%s)", what, path,
			         json_object_to_json_string(o));
	return o;
}

static void expect_jstr(const char *what, struct json_object *o, const char *path, const char *want)
{
	struct json_object *v = field(what, o, path);

	if (!json_object_is_type(v, json_type_string) || strcmp(json_object_get_string(v), want))
		fail_msg("%s: \"%s\" is %s, expected \"%s\"", what, path,
		         json_object_to_json_string(v), want);
}

static void expect_juint(const char *what, struct json_object *o, const char *path, uint64_t want)
{
	struct json_object *v = field(what, o, path);

	if (!json_object_is_type(v, json_type_int) || json_object_get_uint64(v) != want)
		fail_msg("%s: \"%s\" is %s, expected %llu", what, path,
		         json_object_to_json_string(v), (unsigned long long)want);
}

static void expect_absent(const char *what, struct json_object *o, const char *path)
{
	if (json_object_object_get_ex(o, path, NULL))
		fail_msg("%s: JSON should not have \"%s\"", what, path);
}

static void expect_jarray(const char *what, struct json_object *o, const char *path,
                          const char *want_joined)
{
	struct json_object *v = field(what, o, path);
	char got[128] = "";

	if (!json_object_is_type(v, json_type_array))
		fail_msg("%s: \"%s\" is not an array", what, path);
	for (size_t i = 0; i < json_object_array_length(v); i++) {
		if (i)
			strcat(got, ",");
		strcat(got, json_object_get_string(json_object_array_get_idx(v, i)));
	}
	if (strcmp(got, want_joined) != 0)
		fail_msg("%s: \"%s\" is [%s], expected [%s]", what, path, got, want_joined);
}

/* LAN client 10.0.0.2:40000 -> 192.0.2.1:80, SNATed to 198.51.100.10:20001, assured. */
static void make_tcp(struct tcfw_tuple *orig, struct tcfw_ct_entry *e)
{
	memset(e, 0, sizeof(*e));
	set_tuple(orig, 6, "10.0.0.2", 40000, "192.0.2.1", 80);
	set_tuple(&e->reply, 6, "192.0.2.1", 80, "198.51.100.10", 20001);
	e->state = TCFW_CT_TCP_ESTABLISHED;
	e->chain = TCFW_CHAIN_FORWARD;
	e->flags = TCFW_CTF_SEEN_REPLY | TCFW_CTF_ASSURED;
	e->nat_kind = TCFW_NAT_SNAT;
	e->rule_id = 3;
	e->ifindex_in = 2;
	e->ifindex_out = 3;
	e->ctr[TCFW_DIR_ORIG] = (struct tcfw_ct_counters){.packets = 5, .bytes = 412};
	e->ctr[TCFW_DIR_REPLY] = (struct tcfw_ct_counters){.packets = 4, .bytes = 1310};
}

static void test_tcp(void **state)
{
	struct tcfw_tuple orig;
	struct tcfw_ct_entry e;
	struct json_object *o;

	(void)state;
	make_tcp(&orig, &e);
	expect_text("tcp", &orig, &e, 431999,
	            "tcp      6 431999 ESTABLISHED src=10.0.0.2 dst=192.0.2.1 sport=40000 dport=80 "
	            "packets=5 bytes=412 src=192.0.2.1 dst=198.51.100.10 sport=80 dport=20001 "
	            "packets=4 bytes=1310 [ASSURED] chain=forward rule=3\n");
	o = json_of("tcp", &orig, &e, 431999);
	expect_jstr("tcp", o, "proto", "tcp");
	expect_juint("tcp", o, "protonum", 6);
	expect_jstr("tcp", o, "family", "ip");
	expect_jstr("tcp", o, "state", "established");
	expect_juint("tcp", o, "timeout", 431999);
	expect_jstr("tcp", o, "orig.src", "10.0.0.2");
	expect_jstr("tcp", o, "orig.dst", "192.0.2.1");
	expect_juint("tcp", o, "orig.sport", 40000);
	expect_juint("tcp", o, "orig.dport", 80);
	expect_jstr("tcp", o, "reply.src", "192.0.2.1");
	expect_jstr("tcp", o, "reply.dst", "198.51.100.10");
	expect_juint("tcp", o, "reply.sport", 80);
	expect_juint("tcp", o, "reply.dport", 20001);
	expect_juint("tcp", o, "counters.orig.packets", 5);
	expect_juint("tcp", o, "counters.orig.bytes", 412);
	expect_juint("tcp", o, "counters.reply.packets", 4);
	expect_juint("tcp", o, "counters.reply.bytes", 1310);
	expect_jstr("tcp", o, "chain", "forward");
	expect_juint("tcp", o, "rule", 3);
	expect_jarray("tcp", o, "flags", "seen_reply,assured");
	expect_jarray("tcp", o, "nat", "snat");
	expect_juint("tcp", o, "ifindex_in", 2);
	expect_juint("tcp", o, "ifindex_out", 3);
	expect_absent("tcp", field("tcp", o, "orig"), "id");
	json_object_put(o);
}

/* A UDP query without answer: no state word in text (as conntrack), [UNREPLIED] after orig. */
static void test_udp_unreplied(void **state)
{
	struct tcfw_tuple orig;
	struct tcfw_ct_entry e;
	struct json_object *o;

	(void)state;
	memset(&e, 0, sizeof(e));
	set_tuple(&orig, 17, "10.0.0.3", 5353, "203.0.113.53", 53);
	set_tuple(&e.reply, 17, "203.0.113.53", 53, "10.0.0.3", 5353);
	e.state = TCFW_CT_UDP_UNREPLIED;
	e.chain = TCFW_CHAIN_OUTPUT;
	e.ctr[TCFW_DIR_ORIG] = (struct tcfw_ct_counters){.packets = 1, .bytes = 76};
	expect_text("udp", &orig, &e, 29,
	            "udp      17 29 src=10.0.0.3 dst=203.0.113.53 sport=5353 dport=53 packets=1 "
	            "bytes=76 [UNREPLIED] src=203.0.113.53 dst=10.0.0.3 sport=53 dport=5353 "
	            "packets=0 bytes=0 chain=output rule=0\n");
	o = json_of("udp", &orig, &e, 29);
	expect_jstr("udp", o, "proto", "udp");
	expect_jstr("udp", o, "state", "udp_unreplied");
	expect_juint("udp", o, "timeout", 29);
	expect_juint("udp", o, "orig.sport", 5353);
	expect_juint("udp", o, "reply.dport", 5353);
	expect_juint("udp", o, "counters.reply.packets", 0);
	expect_jarray("udp", o, "flags", "");
	expect_jarray("udp", o, "nat", "");
	expect_juint("udp", o, "rule", 0);
	json_object_put(o);
}

/* ICMP echo: the id instead of ports, in both tuples (request keyed (id,0), reply (0,id)). */
static void test_icmp(void **state)
{
	struct tcfw_tuple orig;
	struct tcfw_ct_entry e;
	struct json_object *o;

	(void)state;
	memset(&e, 0, sizeof(e));
	set_tuple(&orig, 1, "10.0.0.2", 4660, "192.0.2.9", 0);
	set_tuple(&e.reply, 1, "192.0.2.9", 0, "10.0.0.2", 4660);
	e.state = TCFW_CT_ICMP_REPLIED;
	e.chain = TCFW_CHAIN_FORWARD;
	e.flags = TCFW_CTF_SEEN_REPLY;
	e.rule_id = 7;
	e.ctr[TCFW_DIR_ORIG] = (struct tcfw_ct_counters){.packets = 2, .bytes = 168};
	e.ctr[TCFW_DIR_REPLY] = (struct tcfw_ct_counters){.packets = 2, .bytes = 168};
	expect_text(
	    "icmp", &orig, &e, 30,
	    "icmp     1 30 src=10.0.0.2 dst=192.0.2.9 id=4660 packets=2 bytes=168 "
	    "src=192.0.2.9 dst=10.0.0.2 id=4660 packets=2 bytes=168 chain=forward rule=7\n");
	o = json_of("icmp", &orig, &e, 30);
	expect_jstr("icmp", o, "proto", "icmp");
	expect_jstr("icmp", o, "state", "icmp_replied");
	expect_juint("icmp", o, "orig.id", 4660);
	expect_juint("icmp", o, "reply.id", 4660);
	expect_absent("icmp", field("icmp", o, "orig"), "sport");
	expect_absent("icmp", field("icmp", o, "orig"), "dport");
	expect_absent("icmp", field("icmp", o, "reply"), "sport");
	json_object_put(o);
}

static void test_icmpv6_and_tcp6(void **state)
{
	struct tcfw_tuple orig;
	struct tcfw_ct_entry e;
	struct json_object *o;

	(void)state;
	memset(&e, 0, sizeof(e));
	set_tuple(&orig, 58, "2001:db8:1::2", 99, "2001:db8:2::1", 0);
	set_tuple(&e.reply, 58, "2001:db8:2::1", 0, "2001:db8:1::2", 99);
	e.state = TCFW_CT_ICMP_UNREPLIED;
	e.chain = TCFW_CHAIN_INPUT;
	expect_text("icmpv6", &orig, &e, 5,
	            "icmpv6   58 5 src=2001:db8:1::2 dst=2001:db8:2::1 id=99 packets=0 bytes=0 "
	            "[UNREPLIED] src=2001:db8:2::1 dst=2001:db8:1::2 id=99 packets=0 bytes=0 "
	            "chain=input rule=0\n");
	o = json_of("icmpv6", &orig, &e, 5);
	expect_jstr("icmpv6", o, "proto", "icmpv6");
	expect_jstr("icmpv6", o, "family", "ip6");
	expect_jstr("icmpv6", o, "orig.src", "2001:db8:1::2");
	expect_juint("icmpv6", o, "orig.id", 99);
	json_object_put(o);

	memset(&e, 0, sizeof(e));
	set_tuple(&orig, 6, "2001:db8:1::2", 50000, "2001:db8:2::80", 443);
	set_tuple(&e.reply, 6, "2001:db8:2::80", 443, "2001:db8:1::2", 50000);
	e.state = TCFW_CT_TCP_TIME_WAIT;
	e.flags = TCFW_CTF_SEEN_REPLY | TCFW_CTF_ASSURED | TCFW_CTF_LOG;
	e.chain = TCFW_CHAIN_FORWARD;
	e.nat_kind = TCFW_NAT_SNAT | TCFW_NAT_DNAT;
	o = json_of("tcp6", &orig, &e, 120);
	expect_jstr("tcp6", o, "state", "time_wait");
	expect_jstr("tcp6", o, "family", "ip6");
	expect_juint("tcp6", o, "orig.dport", 443);
	expect_jarray("tcp6", o, "flags", "seen_reply,assured,log");
	expect_jarray("tcp6", o, "nat", "snat,dnat");
	json_object_put(o);
}

/* A protocol without a name (GRE): "unknown" in text like conntrack, the number in JSON. */
static void test_other_proto(void **state)
{
	struct tcfw_tuple orig;
	struct tcfw_ct_entry e;
	struct json_object *o;

	(void)state;
	memset(&e, 0, sizeof(e));
	set_tuple(&orig, 47, "10.0.0.2", 0, "192.0.2.7", 0);
	set_tuple(&e.reply, 47, "192.0.2.7", 0, "10.0.0.2", 0);
	e.state = TCFW_CT_OTHER_UNREPLIED;
	e.chain = TCFW_CHAIN_FORWARD;
	expect_text("gre", &orig, &e, 600,
	            "unknown  47 600 src=10.0.0.2 dst=192.0.2.7 packets=0 bytes=0 [UNREPLIED] "
	            "src=192.0.2.7 dst=10.0.0.2 packets=0 bytes=0 chain=forward rule=0\n");
	o = json_of("gre", &orig, &e, 600);
	expect_jstr("gre", o, "proto", "47");
	expect_juint("gre", o, "protonum", 47);
	expect_jstr("gre", o, "state", "other_unreplied");
	expect_absent("gre", field("gre", o, "orig"), "sport");
	json_object_put(o);
}

/* Entries inside a top-level array (ct list -j) parse back as an array of objects. */
static void test_list_of_entries(void **state)
{
	struct tcfw_tuple orig;
	struct tcfw_ct_entry e;
	struct json_object *doc;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	make_tcp(&orig, &e);
	out_init(f, true);
	out_open_array(NULL);
	for (int i = 0; i < 3; i++)
		ct_format_entry(&orig, &e, (uint64_t)i);
	out_close_array();
	out_finish();
	fclose(f);
	out_init(stdout, false);
	doc = json_tokener_parse(buf);
	if (!doc || json_object_array_length(doc) != 3)
		fail_msg("ct list -j output is not an array of 3 entries: %s", buf);
	expect_juint("list[2]", json_object_array_get_idx(doc, 2), "timeout", 2);
	json_object_put(doc);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tcp),         cmocka_unit_test(test_udp_unreplied),
	    cmocka_unit_test(test_icmp),        cmocka_unit_test(test_icmpv6_and_tcp6),
	    cmocka_unit_test(test_other_proto), cmocka_unit_test(test_list_of_entries),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
