// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_names.c - every enum value has a name, names parse back to their values, unknown
 * values print "?", and "did you mean" suggestions pick the right word (or none).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "names.h"
#include "tcfw_abi.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static void check_str(const char *what, const char *got, const char *want)
{
	if (!got || strcmp(got, want) != 0)
		fail_msg("%s: got '%s', expected '%s'", what, got ? got : "(null)", want);
}

static void check_int(const char *what, long got, long want)
{
	if (got != want)
		fail_msg("%s: got %ld, expected %ld", what, got, want);
}

static void test_ct_state_names(void **state)
{
	(void)state;
	check_str("ct_state_name(ESTABLISHED)", ct_state_name(TCFW_CT_TCP_ESTABLISHED),
	          "ESTABLISHED");
	check_str("ct_state_name(SYN_SENT)", ct_state_name(TCFW_CT_TCP_SYN_SENT), "SYN_SENT");
	check_str("ct_state_name(UDP_UNREPLIED)", ct_state_name(TCFW_CT_UDP_UNREPLIED),
	          "UNREPLIED");
	check_str("ct_state_lname(TIME_WAIT)", ct_state_lname(TCFW_CT_TCP_TIME_WAIT), "time_wait");
	check_str("ct_state_lname(UDP_ASSURED)", ct_state_lname(TCFW_CT_UDP_ASSURED),
	          "udp_assured");
	check_str("ct_state_lname(ICMP_REPLIED)", ct_state_lname(TCFW_CT_ICMP_REPLIED),
	          "icmp_replied");
	check_str("ct_state_name(out of range)", ct_state_name(TCFW_CT_STATE_MAX), "?");
	check_str("ct_state_lname(out of range)", ct_state_lname(999), "?");
}

/* Every state's unique lower-case name parses back to that state, in any case. */
static void test_ct_state_roundtrip(void **state)
{
	(void)state;
	for (unsigned int s = 0; s < TCFW_CT_STATE_MAX; s++) {
		char upper[32];
		const char *l = ct_state_lname(s);
		size_t i;

		if (strcmp(l, "?") == 0)
			fail_msg("state %u has no lower-case name", s);
		if (ct_state_parse(l) != (int)s)
			fail_msg("ct_state_parse('%s') = %d, expected %u", l, ct_state_parse(l), s);
		for (i = 0; l[i] && i < sizeof(upper) - 1; i++)
			upper[i] = (char)(l[i] >= 'a' && l[i] <= 'z' ? l[i] - 32 : l[i]);
		upper[i] = '\0';
		if (ct_state_parse(upper) != (int)s)
			fail_msg("ct_state_parse('%s') = %d, expected %u", upper,
			         ct_state_parse(upper), s);
		if (ct_state_mask_parse(l) != 1u << s)
			fail_msg("ct_state_mask_parse('%s') = %#x, expected only bit %u", l,
			         ct_state_mask_parse(l), s);
	}
	check_int("ct_state_parse(\"ESTABLISHED\")", ct_state_parse("ESTABLISHED"),
	          TCFW_CT_TCP_ESTABLISHED);
	check_int("ct_state_parse(\"unreplied\")", ct_state_parse("unreplied"),
	          TCFW_CT_UDP_UNREPLIED);
	check_int("ct_state_parse(\"bogus\")", ct_state_parse("bogus"), -1);
	check_int("ct_state_parse(\"\")", ct_state_parse(""), -1);
	check_int("ct_state_parse(NULL)", ct_state_parse(NULL), -1);
}

static void test_ct_state_mask(void **state)
{
	(void)state;
	check_int("mask(unreplied)", ct_state_mask_parse("unreplied"),
	          (1 << TCFW_CT_UDP_UNREPLIED) | (1 << TCFW_CT_ICMP_UNREPLIED) |
	              (1 << TCFW_CT_OTHER_UNREPLIED));
	check_int("mask(REPLIED)", ct_state_mask_parse("REPLIED"),
	          (1 << TCFW_CT_UDP_REPLIED) | (1 << TCFW_CT_ICMP_REPLIED) |
	              (1 << TCFW_CT_OTHER_REPLIED));
	check_int("mask(assured)", ct_state_mask_parse("assured"), 1 << TCFW_CT_UDP_ASSURED);
	check_int("mask(established)", ct_state_mask_parse("established"),
	          1 << TCFW_CT_TCP_ESTABLISHED);
	check_int("mask(nope)", ct_state_mask_parse("nope"), 0);
}

static void test_chain_verdict_pktct(void **state)
{
	static const char *const chains[] = {"input", "forward", "output", "dnat", "snat"};
	static const char *const verdicts[] = {"accept", "drop", "reject"};

	(void)state;
	for (unsigned int i = 0; i < ARRAY_SIZE(chains); i++) {
		check_str("chain_name", chain_name(i), chains[i]);
		check_int(chains[i], chain_parse(chains[i]), i);
	}
	check_int("chain_parse(\"FORWARD\")", chain_parse("FORWARD"), TCFW_CHAIN_FORWARD);
	check_int("chain_parse(\"prerouting\")", chain_parse("prerouting"), -1);
	check_str("chain_name(MAX)", chain_name(TCFW_CHAIN_MAX), "?");
	for (unsigned int i = 0; i < ARRAY_SIZE(verdicts); i++) {
		check_str("verdict_name", verdict_name(i), verdicts[i]);
		check_int(verdicts[i], verdict_parse(verdicts[i]), i);
	}
	check_int("verdict_parse(\"allow\")", verdict_parse("allow"), -1);
	check_str("verdict_name(MAX)", verdict_name(TCFW_VERDICT_MAX), "?");
	check_str("pkt_ct_name(NEW)", pkt_ct_name(TCFW_PKT_NEW), "new");
	check_str("pkt_ct_name(RELATED)", pkt_ct_name(TCFW_PKT_RELATED), "related");
	check_str("pkt_ct_name(INVALID)", pkt_ct_name(TCFW_PKT_INVALID), "invalid");
	check_str("pkt_ct_name(9)", pkt_ct_name(9), "?");
}

/* Every counter has a distinct lower-case name and a help line. */
static void test_stat_names(void **state)
{
	(void)state;
	for (unsigned int i = 0; i < TCFW_STAT_MAX; i++) {
		const char *n = stat_name(i), *h = stat_help(i);

		if (!n || strcmp(n, "?") == 0 || !*n)
			fail_msg("counter %u has no name", i);
		if (!h || strcmp(h, "?") == 0 || strlen(h) < 10)
			fail_msg("counter %u (%s) has no help line", i, n);
		for (const char *p = n; *p; p++)
			if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
				fail_msg("counter name '%s' has character '%c'", n, *p);
		for (unsigned int j = 0; j < i; j++)
			if (strcmp(n, stat_name(j)) == 0)
				fail_msg("counters %u and %u share the name '%s'", j, i, n);
	}
	check_str("stat_name(PACKETS)", stat_name(TCFW_STAT_PACKETS), "packets");
	check_str("stat_name(CT_NEW)", stat_name(TCFW_STAT_CT_NEW), "ct_new");
	check_str("stat_name(EVICTIONS_SUSPECTED)", stat_name(TCFW_STAT_EVICTIONS_SUSPECTED),
	          "evictions_suspected");
	check_str("stat_name(MAX)", stat_name(TCFW_STAT_MAX), "?");
	check_str("stat_help(MAX)", stat_help(TCFW_STAT_MAX), "?");
}

static void test_protos(void **state)
{
	(void)state;
	check_str("proto_name(6)", proto_name(6), "tcp");
	check_str("proto_name(17)", proto_name(17), "udp");
	check_str("proto_name(1)", proto_name(1), "icmp");
	check_str("proto_name(58)", proto_name(58), "icmpv6");
	if (proto_name(47) != NULL)
		fail_msg("proto_name(47) = '%s', expected NULL", proto_name(47));
	check_int("proto_parse(tcp)", proto_parse("tcp"), 6);
	check_int("proto_parse(UDP)", proto_parse("UDP"), 17);
	check_int("proto_parse(icmp)", proto_parse("icmp"), 1);
	check_int("proto_parse(icmpv6)", proto_parse("icmpv6"), 58);
	check_int("proto_parse(icmp6)", proto_parse("icmp6"), 58);
	check_int("proto_parse(47)", proto_parse("47"), 47);
	check_int("proto_parse(0)", proto_parse("0"), 0);
	check_int("proto_parse(255)", proto_parse("255"), 255);
	check_int("proto_parse(256)", proto_parse("256"), -1);
	check_int("proto_parse(-1)", proto_parse("-1"), -1);
	check_int("proto_parse(6x)", proto_parse("6x"), -1);
	check_int("proto_parse(\"\")", proto_parse(""), -1);
	check_int("proto_parse(tpc)", proto_parse("tpc"), -1);
}

static void test_suggest(void **state)
{
	static const char *const words[] = {"proto", "src", "dst", "sport", "dport", "state"};
	static const char *const protos[] = {"tcp", "udp", "icmp", "icmpv6"};

	(void)state;
	check_str("suggest(prto)", name_suggest("prto", words, ARRAY_SIZE(words)), "proto");
	check_str("suggest(dprot)", name_suggest("dprot", words, ARRAY_SIZE(words)), "dport");
	check_str("suggest(SRC)", name_suggest("SRC", words, ARRAY_SIZE(words)), "src");
	check_str("suggest(tpc)", name_suggest("tpc", protos, ARRAY_SIZE(protos)), "tcp");
	check_str("suggest(icmp6)", name_suggest("icmp6", protos, ARRAY_SIZE(protos)), "icmp");
	if (name_suggest("zzzzzz", words, ARRAY_SIZE(words)))
		fail_msg("suggest(zzzzzz) should find nothing, got '%s'",
		         name_suggest("zzzzzz", words, ARRAY_SIZE(words)));
	if (name_suggest("x", words, ARRAY_SIZE(words)))
		fail_msg("a one-letter word should get no suggestion, got '%s'",
		         name_suggest("x", words, ARRAY_SIZE(words)));
	if (name_suggest("", words, ARRAY_SIZE(words)))
		fail_msg("the empty word should get no suggestion");
	check_str("ct_state_suggest(establshed)", ct_state_suggest("establshed"), "established");
	check_str("ct_state_suggest(timewait)", ct_state_suggest("timewait"), "time_wait");
	check_str("ct_state_suggest(unreplid)", ct_state_suggest("unreplid"), "unreplied");
	if (ct_state_suggest("banana"))
		fail_msg("ct_state_suggest(banana) should find nothing, got '%s'",
		         ct_state_suggest("banana"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ct_state_names), cmocka_unit_test(test_ct_state_roundtrip),
	    cmocka_unit_test(test_ct_state_mask),  cmocka_unit_test(test_chain_verdict_pktct),
	    cmocka_unit_test(test_stat_names),     cmocka_unit_test(test_protos),
	    cmocka_unit_test(test_suggest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
