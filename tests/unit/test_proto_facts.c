// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_proto_facts.c - the per-protocol facts of tcfw_proto.h as every printer and filter
 * sees them: a tuple's printed fields (lib/ct_tuple.c, shared by `fwctl ct list` and fwd's
 * events), `fwctl ct list`'s text, port filters, and the protocol names (lib/names.c).
 * SCTP and GRE tuples hold no ports (the datapath reads ports of TCP and UDP only), so they
 * must print no sport/dport and never match a port filter.
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

#include "addr.h"
#include "ct_filter.h"
#include "ct_format.h"
#include "ct_tuple.h"
#include "names.h"
#include "out.h"
#include "tcfw_proto.h"

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

/* The keys of t's fields joined by spaces, e.g. "src dst sport dport". */
static void expect_keys(const char *what, const struct tcfw_tuple *t, const char *want)
{
	struct ct_tuple_field f[CT_TUPLE_FIELDS_MAX];
	struct ct_tuple_text text;
	unsigned int n = ct_tuple_fields(t, &text, f);
	char got[64] = "";

	for (unsigned int i = 0; i < n; i++) {
		if (i)
			strcat(got, " ");
		strcat(got, f[i].key);
	}
	if (strcmp(got, want) != 0)
		fail_msg("%s: fields \"%s\", expected \"%s\"", what, got, want);
}

static void test_tuple_fields_by_protocol(void **state)
{
	struct tcfw_tuple t;

	(void)state;
	set_tuple(&t, TCFW_PROTO_TCP, "10.0.0.2", 40000, "192.0.2.1", 80);
	expect_keys("tcp", &t, "src dst sport dport");
	set_tuple(&t, TCFW_PROTO_UDP, "2001:db8::2", 5353, "2001:db8::1", 53);
	expect_keys("udp", &t, "src dst sport dport");
	set_tuple(&t, TCFW_PROTO_ICMP, "10.0.0.2", 7, "192.0.2.1", 0);
	expect_keys("icmp echo request", &t, "src dst id");
	set_tuple(&t, TCFW_PROTO_ICMPV6, "2001:db8::1", 0, "2001:db8::2", 7);
	expect_keys("icmpv6 echo reply", &t, "src dst id");
	set_tuple(&t, 132, "2001:db8:1::10", 0, "2001:db8:2::20", 0);
	expect_keys("sctp (no ports in the tuple)", &t, "src dst");
	set_tuple(&t, 47, "10.0.0.2", 0, "192.0.2.7", 0);
	expect_keys("gre", &t, "src dst");
}

static void test_tuple_field_values(void **state)
{
	struct ct_tuple_field f[CT_TUPLE_FIELDS_MAX];
	struct ct_tuple_text text;
	struct tcfw_tuple t;

	(void)state;
	set_tuple(&t, TCFW_PROTO_ICMP, "10.0.0.2", 0, "192.0.2.1", 4242);
	assert_int_equal(ct_tuple_fields(&t, &text, f), 3);
	assert_string_equal(f[0].str, "10.0.0.2");
	assert_string_equal(f[1].str, "192.0.2.1");
	assert_null(f[2].str);
	assert_int_equal(f[2].num, 4242); /* a reply: the id is in dport */

	set_tuple(&t, TCFW_PROTO_UDP, "10.0.0.2", 40001, "192.0.2.1", 53);
	assert_int_equal(ct_tuple_fields(&t, &text, f), 4);
	assert_int_equal(f[2].num, 40001);
	assert_int_equal(f[3].num, 53);
}

/* `fwctl ct list` text of an SCTP connection: addresses only, no "sport=0 dport=0". */
static void test_ct_list_sctp_has_no_ports(void **state)
{
	struct tcfw_ct_entry e = {.state = TCFW_CT_OTHER_REPLIED,
	                          .flags = TCFW_CTF_SEEN_REPLY,
	                          .chain = TCFW_CHAIN_FORWARD};
	struct tcfw_tuple orig;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	assert_non_null(f);
	set_tuple(&orig, 132, "2001:db8:1::10", 0, "2001:db8:2::20", 0);
	set_tuple(&e.reply, 132, "2001:db8:2::20", 0, "2001:db8:1::10", 0);
	out_init(f, false);
	ct_format_entry(&orig, &e, 600);
	out_finish();
	fclose(f);
	out_init(stdout, false);
	if (strstr(buf, "sport") || strstr(buf, "dport"))
		fail_msg("sctp connection printed ports: \"%s\"", buf);
	assert_non_null(strstr(buf, "src=2001:db8:1::10 dst=2001:db8:2::20 "));
	free(buf);
}

/* A port filter matches TCP and UDP by port and nothing else, whatever the tuple holds. */
static void test_port_filter_skips_portless(void **state)
{
	struct ct_filter flt;
	struct tcfw_ct_entry e = {0};
	struct tcfw_tuple orig;
	char err[256];
	const char *argv[] = {"port", "0"};

	(void)state;
	if (ct_filter_parse(2, (char **)argv, &flt, err, sizeof(err)) != 0)
		fail_msg("ct_filter_parse(port 0): %s", err);
	set_tuple(&orig, 132, "10.0.0.2", 0, "192.0.2.7", 0);
	set_tuple(&e.reply, 132, "192.0.2.7", 0, "10.0.0.2", 0);
	assert_false(ct_filter_match(&flt, &orig, &e));
	set_tuple(&orig, TCFW_PROTO_UDP, "10.0.0.2", 0, "192.0.2.7", 0);
	set_tuple(&e.reply, TCFW_PROTO_UDP, "192.0.2.7", 0, "10.0.0.2", 0);
	assert_true(ct_filter_match(&flt, &orig, &e));
}

static void test_protocol_names(void **state)
{
	const char *const *names = proto_names();
	char list[64] = "";

	(void)state;
	for (unsigned int i = 0; i < PROTO_NAMES_MAX; i++) {
		if (i)
			strcat(list, ", ");
		strcat(list, names[i]);
		/* Every canonical name parses to a number that prints as that name. */
		assert_string_equal(proto_name((uint8_t)proto_parse(names[i])), names[i]);
	}
	assert_string_equal(list, PROTO_NAMES_TEXT);
	assert_int_equal(proto_parse("icmp6"), TCFW_PROTO_ICMPV6);
	assert_int_equal(proto_parse("TCP"), TCFW_PROTO_TCP);
	assert_true(tcfw_proto_nat_rewrites_ids(TCFW_PROTO_ICMP));
	assert_false(tcfw_proto_nat_rewrites_ids(132));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tuple_fields_by_protocol),
	    cmocka_unit_test(test_tuple_field_values),
	    cmocka_unit_test(test_ct_list_sctp_has_no_ports),
	    cmocka_unit_test(test_port_filter_skips_portless),
	    cmocka_unit_test(test_protocol_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
