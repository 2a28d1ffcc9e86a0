// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_policy_format.c - the normalised text of a policy (policy_format) and run-time edits.
 *
 * The example policy prints exactly as expected; formatting is a fixed point (format, parse,
 * format gives the same text) and keeps the meaning (both policies compile to identical map
 * contents), for hand-written policies and for random ones written in varied spellings; rule
 * ids survive the round trip; hit counters are appended; added rules join the end of their
 * chain with new ids, deleted ids are never given again.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "policy.h"
#include "example_policy.h"

static struct policy *parse_ok(const char *text, const char *label)
{
	struct policy_diags d = {0};
	struct policy *p = policy_parse(label, text, strlen(text), &d);

	if (!p) {
		char *s = policy_diags_str(&d);

		fail_msg("%s does not parse:\n%s\n--- text:\n%s", label, s, text);
	}
	policy_diags_free(&d);
	return p;
}

/* Timeouts equal to netfilter's (udp 30s, icmp 30s) are not repeated; 180s is 3m. */
static const char example_normalised[] =
    "zone lan { lan0 }\n"
    "zone wan { wan0 }\n"
    "\n"
    "set admins { 198.51.100.0/24, 2001:db8:1::/48 }\n"
    "set blocked { 203.0.113.66, 203.0.113.128/25 }\n"
    "\n"
    "defaults {\n"
    "\tinput   drop\n"
    "\tforward drop\n"
    "\toutput  accept\n"
    "\tinvalid drop\n"
    "}\n"
    "\n"
    "timeouts {\n"
    "\ttcp syn_sent 30s\n"
    "\ttcp established 1d\n"
    "\tudp stream 3m\n"
    "}\n"
    "\n"
    "[1] input accept in lan\n"
    "[2] input accept from @admins proto tcp dport 22\n"
    "[3] input accept proto icmp\n"
    "[4] input accept proto icmpv6\n"
    "\n"
    "[5] forward drop from @blocked log\n"
    "[6] forward reject in lan proto tcp dport 25\n"
    "[7] forward accept in lan out wan\n"
    "[8] forward accept to 10.10.1.2 proto tcp dport 80 comment \"web server behind the port "
    "forward\"\n"
    "\n"
    "[11] nat dnat in wan proto tcp dport 8080 -> 10.10.1.2:80\n"
    "\n"
    "[9] nat masquerade out wan from 10.10.1.0/24\n"
    "[10] nat snat out wan from 10.20.0.0/16 -> 198.51.100.10-198.51.100.20:20000-60000\n";

static void assert_text(const char *got, const char *want, const char *label)
{
	if (strcmp(got, want) != 0)
		fail_msg("%s:\n--- expected:\n%s--- got:\n%s", label, want, got);
}

static void test_example_normalised(void **state)
{
	struct policy *p = parse_ok(example_policy, "example");
	char *text = policy_format(p, NULL, 0);

	(void)state;
	assert_text(text, example_normalised, "example policy");
	free(text);
	policy_free(p);
}

static void test_hits(void **state)
{
	struct policy *p = parse_ok("input accept proto tcp\ninput drop\nforward accept\n", "hits");
	uint64_t hits[3] = {0, 42, 18446744073709551615ull}; /* rule 3 is beyond the array */
	char *text = policy_format(p, hits, 3);

	(void)state;
	assert_text(
	    text,
	    "defaults {\n\tinput   accept\n\tforward accept\n\toutput  accept\n\tinvalid drop\n}\n"
	    "\n"
	    "[1] input accept proto tcp # hits 42\n"
	    "[2] input drop # hits 18446744073709551615\n"
	    "\n"
	    "[3] forward accept\n",
	    "hit counters");
	free(text);
	policy_free(p);
}

/* Spellings that normalise: the text each gives, rule ids aside. */
static void test_normal_forms(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"input accept dport { 80, 22, 23, 21 }", "input accept dport { 21-23, 80 }"},
	    {"input accept dport { 1-10, 5-20 }", "input accept dport 1-20"},
	    {"input accept dport 7-7", "input accept dport 7"},
	    {"input accept proto 6 dport 22", "input accept proto tcp dport 22"},
	    {"input accept proto 17", "input accept proto udp"},
	    {"input accept proto 1", "input accept proto icmp"},
	    {"input accept proto 58", "input accept proto icmpv6"},
	    {"input accept proto 47", "input accept proto 47"},
	    {"input accept from !!10.0.0.0/8", "input accept from 10.0.0.0/8"},
	    {"input accept from ! 10.0.0.1/32", "input accept from !10.0.0.1"},
	    {"input accept from ::ffff:10.0.0.0/120", "input accept from 10.0.0.0/24"},
	    {"input accept from 2001:DB8:0:0::1/128", "input accept from 2001:db8::1"},
	    {"input accept to ::/0", "input accept to ::/0"},
	    {"input accept to 0.0.0.0/0", "input accept to 0.0.0.0/0"},
	    {"input accept limit 5 / minute comment \"a \\\"b\\\" \\\\c\" log family ip",
	     "input accept family ip log limit 5/minute comment \"a \\\"b\\\" \\\\c\""},
	    {"forward accept dport 1 sport 2 proto udp to 10.0.0.2 from 10.0.0.1 out b in a",
	     "forward accept in a out b from 10.0.0.1 to 10.0.0.2 proto udp sport 2 dport 1"},
	    {"nat masquerade from 10.0.0.0/8 in a out b",
	     "nat masquerade out b in a from 10.0.0.0/8"},
	    {"nat snat out b -> 192.0.2.1-192.0.2.1", "nat snat out b -> 192.0.2.1"},
	    {"nat dnat in a -> 10.0.0.1:80 ", "nat dnat in a -> 10.0.0.1:80"},
	    {"nat dnat in a comment \"x\" -> 10.0.0.1", "nat dnat in a comment \"x\" -> 10.0.0.1"},
	    {"input drop comment \"c\" log prefix \"ssh \\\"in\\\"\" proto tcp",
	     "input drop proto tcp log prefix \"ssh \\\"in\\\"\" comment \"c\""},
	    {"input drop limit 1/second log prefix \"é x\"",
	     "input drop log prefix \"é x\" limit 1/second"},
	    /* services are their numbers; lists and ranges are normalised */
	    {"input accept proto tcp dport { https, ssh } sport domain",
	     "input accept proto tcp sport 53 dport { 22, 443 }"},
	    {"input accept proto { udp, tcp, 6 }", "input accept proto { tcp, udp }"},
	    {"input accept proto { 47 }", "input accept proto 47"},
	    {"input accept proto icmpv6 type { echo-reply, echo-request }",
	     "input accept proto icmpv6 type { echo-request, echo-reply }"},
	    {"input accept proto icmp type 8", "input accept proto icmp type echo-request"},
	    {"input accept proto icmp type { 8, 6, 7, 250-255 }",
	     "input accept proto icmp type { 6-8, 250-255 }"},
	    {"input accept proto icmp type { 13-14 }",
	     "input accept proto icmp type { timestamp-request, timestamp-reply }"},
	    {"input accept from { 192.0.2.1-192.0.2.4, 10.0.0.0/8 }",
	     "input accept from { 10.0.0.0/8, 192.0.2.1, 192.0.2.2/31, 192.0.2.4 }"},
	    {"input accept to !10.0.0.0-10.0.0.255", "input accept to !{ 10.0.0.0/24 }"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[512], want[512];
		struct policy *p;
		char *got;
		const char *rule;

		snprintf(text, sizeof(text), "zone a { a0 }\nzone b { b0 }\n%s\n", cases[i].in);
		p = parse_ok(text, cases[i].in);
		got = policy_format(p, NULL, 0);
		rule = strstr(got, "[1] ");
		snprintf(want, sizeof(want), "[1] %s\n", cases[i].out);
		if (!rule || strcmp(rule, want) != 0)
			fail_msg("'%s' should print as '%s', the policy prints:\n%s", cases[i].in,
			         cases[i].out, got);
		free(got);
		policy_free(p);
	}
}

/* 'log [prefix]' on defaults prints in the defaults block; the accessors fwd uses give the
 * prefixes by rule and by chain; the compiled meta carries default_log. */
static void test_log_prefixes(void **state)
{
	struct policy *p = parse_ok("defaults {\n forward drop log prefix \"fw-drop\"\n"
	                            " input reject log\n}\n"
	                            "[7] input accept proto tcp dport 22 log prefix \"ssh-in\"\n"
	                            "input accept log\n",
	                            "log prefixes");
	struct policy_diags d = {0};
	struct policy_image img;
	char *text = policy_format(p, NULL, 0);
	const char *prefix;
	uint32_t id = 0;

	(void)state;
	assert_text(text,
	            "defaults {\n\tinput   reject log\n\tforward drop log prefix \"fw-drop\"\n"
	            "\toutput  accept\n\tinvalid drop\n}\n"
	            "\n"
	            "[7] input accept proto tcp dport 22 log prefix \"ssh-in\"\n"
	            "[8] input accept log\n",
	            "log prefixes");
	free(text);
	assert_string_equal(policy_rule_log_prefix_at(p, 0, &id), "ssh-in");
	assert_int_equal(id, 7);
	assert_null(policy_rule_log_prefix_at(p, 1, &id));
	assert_int_equal(id, 8);
	assert_null(policy_rule_log_prefix_at(p, 2, &id));
	assert_true(policy_default_log(p, TCFW_CHAIN_FORWARD, &prefix));
	assert_string_equal(prefix, "fw-drop");
	assert_true(policy_default_log(p, TCFW_CHAIN_INPUT, &prefix));
	assert_null(prefix);
	assert_false(policy_default_log(p, TCFW_CHAIN_OUTPUT, &prefix));
	assert_false(policy_default_log(p, TCFW_CHAIN_DNAT, &prefix));
	assert_int_equal(policy_compile(p, 0, &img, &d), 0);
	assert_int_equal(img.meta.default_log[TCFW_CHAIN_INPUT], 1);
	assert_int_equal(img.meta.default_log[TCFW_CHAIN_FORWARD], 1);
	assert_int_equal(img.meta.default_log[TCFW_CHAIN_OUTPUT], 0);
	policy_image_free(&img);
	policy_free(p);
}

static void test_declarations_normalised(void **state)
{
	struct policy *p =
	    parse_ok("set b { 2001:db8::/32, 10.0.0.0/8, 10.0.0.0/8, 192.0.2.1/32 }\n"
	             "set empty { }\n"
	             "zone z { z0, z1 }\n"
	             "set long { 198.51.100.0/28, 198.51.100.16/28, 198.51.100.32/28, "
	             "198.51.100.48/28, 198.51.100.64/28, 198.51.100.80/28, 198.51.100.96/28 }\n"
	             "timeouts {\n"
	             "  udp unreplied 10s\n  udp replied 20s\n  udp assured 90s\n"
	             "  icmpv6 2h\n  other 1h\n  tcp close 2d\n  tcp close_wait 60s\n"
	             "}\n",
	             "declarations");
	char *text = policy_format(p, NULL, 0);

	(void)state;
	/* Zones first, sets sorted and without duplicates, a long set one member a line, the
	 * timeouts that differ from netfilter's in a fixed order (close_wait 60s is the default).
	 */
	assert_text(
	    text,
	    "zone z { z0, z1 }\n"
	    "\n"
	    "set b { 10.0.0.0/8, 192.0.2.1, 2001:db8::/32 }\n"
	    "set empty { }\n"
	    "set long {\n"
	    "\t198.51.100.0/28,\n\t198.51.100.16/28,\n\t198.51.100.32/28,\n"
	    "\t198.51.100.48/28,\n\t198.51.100.64/28,\n\t198.51.100.80/28,\n"
	    "\t198.51.100.96/28\n"
	    "}\n"
	    "\n"
	    "defaults {\n\tinput   accept\n\tforward accept\n\toutput  accept\n\tinvalid drop\n}\n"
	    "\n"
	    "timeouts {\n"
	    "\ttcp close 2d\n"
	    "\tudp unreplied 10s\n"
	    "\tudp replied 20s\n"
	    "\tudp stream 90s\n"
	    "\ticmp 2h\n"
	    "\tother 1h\n"
	    "}\n",
	    "declarations");
	free(text);
	policy_free(p);
}

static void round_trip(struct policy *p, const char *label);

/* Dynamic sets, 'add @SET' and the limit options print back in their normal form and load
 * back to the same policy; the compiler marks the rules for the datapath. */
static void test_dynamic_sets_normalised(void **state)
{
	struct policy *p =
	    parse_ok("zone lan { lan0 }\n"
	             "set scanners { 203.0.113.7, 192.0.2.0/24 } flags dynamic timeout 3600s\n"
	             "set blocked { } flags dynamic\n"
	             "set static1 { 198.51.100.1 }\n"
	             "input drop from @scanners\n"
	             "input drop proto tcp dport 23 add @scanners log\n"
	             "input accept proto tcp dport 22 limit 3/minute per source burst 5\n"
	             "forward drop from !@blocked to @blocked limit 10/second\n",
	             "dynamic sets");
	char *text = policy_format(p, NULL, 0);
	struct policy_image img;
	struct policy_diags d = {0};
	const struct tcfw_rule *r;

	(void)state;
	assert_text(text,
	            "zone lan { lan0 }\n"
	            "\n"
	            "set scanners { 192.0.2.0/24, 203.0.113.7 } flags dynamic timeout 1h\n"
	            "set blocked { } flags dynamic\n"
	            "set static1 { 198.51.100.1 }\n"
	            "\n"
	            "defaults {\n\tinput   accept\n\tforward accept\n\toutput  accept\n\tinvalid "
	            "drop\n}\n"
	            "\n"
	            "[1] input drop from @scanners\n"
	            "[2] input drop proto tcp dport 23 log add @scanners\n"
	            "[3] input accept proto tcp dport 22 limit 3/minute burst 5 per source\n"
	            "\n"
	            "[4] forward drop from !@blocked to @blocked limit 10/second\n",
	            "dynamic sets");
	round_trip(p, "dynamic sets");
	assert_int_equal(policy_dynset_count(p), 2);
	assert_string_equal(policy_dynset_name(p, 0), "scanners");
	assert_int_equal(policy_dynset_timeout(p, 0), 3600);
	assert_int_equal(policy_dynset_nmembers(p, 0), 2);
	assert_int_equal(policy_dynset_find(p, "blocked"), 1);
	assert_int_equal(policy_dynset_find(p, "static1"), -1);

	/* Ids as fwd would give them: the rules name them + 1. */
	policy_dynset_set_id(p, 0, 7);
	policy_dynset_set_id(p, 1, 63);
	assert_int_equal(policy_compile(p, 0, &img, &d), 0);
	r = &img.rules[TCFW_CHAIN_INPUT][0];
	assert_int_equal(r->flags, TCFW_RULEF_DYNSET);
	assert_int_equal(r->dyn_src, 8);
	r = &img.rules[TCFW_CHAIN_INPUT][1];
	assert_int_equal(r->flags, TCFW_RULEF_LOG | TCFW_RULEF_ADD);
	assert_int_equal(r->dyn_add, 8);
	r = &img.rules[TCFW_CHAIN_INPUT][2];
	assert_int_equal(r->flags, TCFW_RULEF_LIMIT | TCFW_RULEF_LIMIT_SRC);
	assert_int_equal(r->limit_rate, 3);
	assert_int_equal(r->limit_period_s, 60);
	assert_int_equal(r->limit_burst, 5);
	r = &img.rules[TCFW_CHAIN_FORWARD][0];
	assert_int_equal(r->flags, TCFW_RULEF_DYNSET | TCFW_RULEF_LIMIT);
	assert_int_equal(r->dyn_src, 64);
	assert_int_equal(r->dyn_dst, 64);
	assert_int_equal(r->dyn_neg, TCFW_DYN_SRC_NEG);
	assert_int_equal(r->limit_burst, 10); /* no burst written: the rate */
	policy_image_free(&img);
	policy_diags_free(&d);
	free(text);
	policy_free(p);
}

/* ---- round trip ------------------------------------------------------------------------- */
static void assert_same_image(const struct policy_image *a, const struct policy_image *b,
                              const char *label)
{
	if (memcmp(&a->meta, &b->meta, sizeof(a->meta)) != 0)
		fail_msg("%s: meta differs after the round trip", label);
	if (a->nscalar != b->nscalar ||
	    memcmp(a->scalar, b->scalar, a->nscalar * sizeof(*a->scalar)) != 0)
		fail_msg("%s: scalar slots differ after the round trip", label);
	if (a->nsrc != b->nsrc || memcmp(a->src, b->src, a->nsrc * sizeof(*a->src)) != 0)
		fail_msg("%s: source LPM entries differ after the round trip", label);
	if (a->ndst != b->ndst || memcmp(a->dst, b->dst, a->ndst * sizeof(*a->dst)) != 0)
		fail_msg("%s: destination LPM entries differ after the round trip", label);
	if (a->nclasses != b->nclasses ||
	    memcmp(a->classes, b->classes, a->nclasses * sizeof(*a->classes)) != 0)
		fail_msg("%s: classes differ after the round trip", label);
	if (memcmp(&a->pre_meta, &b->pre_meta, sizeof(a->pre_meta)) != 0 ||
	    a->npre_src != b->npre_src ||
	    memcmp(a->pre_src, b->pre_src, a->npre_src * sizeof(*a->pre_src)) != 0)
		fail_msg("%s: the prefilter's maps differ after the round trip", label);
	for (int c = 0; c < TCFW_CHAIN_MAX; c++)
		if (a->nrules[c] != b->nrules[c] ||
		    memcmp(a->rules[c], b->rules[c], a->nrules[c] * sizeof(*a->rules[c])) != 0)
			fail_msg("%s: rules of chain %d differ after the round trip", label, c);
}

/* format(p) parses into a policy that formats the same and compiles to the same maps. */
static void round_trip(struct policy *p, const char *label)
{
	struct policy_diags d = {0};
	struct policy_image a, b;
	char *t1 = policy_format(p, NULL, 0), *t2;
	struct policy *q = parse_ok(t1, label);

	t2 = policy_format(q, NULL, 0);
	if (strcmp(t1, t2) != 0)
		fail_msg("%s: formatting is not a fixed point:\n--- first:\n%s--- second:\n%s",
		         label, t1, t2);
	assert_int_equal(policy_compile(p, 0, &a, &d), 0);
	assert_int_equal(policy_compile(q, 0, &b, &d), 0);
	assert_same_image(&a, &b, label);
	assert_int_equal(policy_rule_max_id(p), policy_rule_max_id(q));
	assert_int_equal(policy_rule_count(p), policy_rule_count(q));
	policy_image_free(&a);
	policy_image_free(&b);
	policy_free(q);
	free(t1);
	free(t2);
}

static void test_round_trip_examples(void **state)
{
	static const char rich[] =
	    "zone lan { lan0, lan1 }\nzone wan { wan0 }\nzone dmz { dmz0 }\n"
	    "set v4 { 10.0.0.0/8, 192.0.2.0/24, 0.0.0.0/0 }\n"
	    "set v6 { ::/0, 2001:db8::/32, ::/64 }\n"
	    "set none { }\n"
	    "defaults { input reject log; forward drop log prefix \"fw \\\\ \\\"d\\\"\"; output "
	    "drop; "
	    "invalid accept }\n"
	    "timeouts { tcp established 2h; udp 1m; udp stream 3m; icmp 10s; other 5m }\n"
	    "[20] forward accept in lan out wan from !@v4 to @v6 proto tcp sport 1024-65535 "
	    "dport { 80, 443, 8000-8100 } log prefix \"web-in\" limit 100/second comment \"web\"\n"
	    "input accept from @none\n"
	    "output accept to !::/0 family ip\n"
	    "[5] input drop proto 132\n"
	    "nat dnat in wan to 203.0.113.1 proto udp dport 53 -> 10.0.0.53:5353\n"
	    "nat masquerade out wan family ip\n"
	    "nat snat out dmz from 10.9.0.0/16 -> 198.51.100.1-198.51.100.9\n"
	    "nat snat out dmz from { 10.8.0.0/16, 10.7.0.1-10.7.0.6 } -> "
	    "198.51.100.1-198.51.100.2:1000-2000\n"
	    "prefilter wan { drop from @v4; drop untracked; drop from @v6 }\n"
	    "prefilter dmz {\n drop untracked\n}\n";
	struct policy *p;

	(void)state;
	p = parse_ok(example_policy, "example");
	round_trip(p, "example policy");
	policy_free(p);
	p = parse_ok(rich, "rich policy");
	round_trip(p, "rich policy");
	policy_free(p);
	p = parse_ok("", "empty policy");
	round_trip(p, "empty policy");
	policy_free(p);
}

/* ---- random policies in varied spellings ------------------------------------------------- */
static uint64_t rng_state;

static unsigned int rndn(unsigned int n)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (unsigned int)((rng_state * 0x2545f4914f6cdd1dull) % n);
}

static const char *pick(const char *const *v, unsigned int n)
{
	return v[rndn(n)];
}

#define PICK(v) pick(v, sizeof(v) / sizeof(v[0]))

/* One match of a kind the rule has not used yet (bit k of *used = kind k), all of one family. */
static void random_match(FILE *f, int chain, bool v6_rule, unsigned int *used)
{
	static const char *const v4[] = {
	    "10.0.0.0/8", "10.1.2.3", "192.0.2.0/24", "0.0.0.0/0",
	    "@v4",        "@mixed",   "@none",        "::ffff:10.0.0.0/104"};
	static const char *const v6[] = {"2001:db8::/32", "::/0",   "2001:db8::1",
	                                 "@v6",           "@mixed", "2001:db8:0:0:0:0:0:0/48"};
	static const char *const negs[] = {"", "", "!", "! ", "!!"};
	static const char *const ports[] = {
	    "22", "0-1023", "{ 80, 443 }", "{ 1-5, 3-9, 10 }", "65535", "{ 8080,\n 8081 }"};
	const char *const *addrs = v6_rule ? v6 : v4;
	unsigned int naddrs = v6_rule ? 6 : 8;
	unsigned int kind = rndn(9);

	/* proto, ports and icmp (kinds 4-7) are one kind: a rule names one protocol. */
	if (*used & (1u << (kind >= 4 && kind <= 7 ? 4 : kind)))
		return;
	*used |= 1u << (kind >= 4 && kind <= 7 ? 4 : kind);
	switch (kind) {
	case 0:
		if (chain != 2)
			fprintf(f, " in %s", rndn(2) ? "lan" : "wan");
		break;
	case 1:
		if (chain == 1 || chain == 2)
			fprintf(f, " out %s", rndn(2) ? "lan" : "wan");
		break;
	case 2:
		fprintf(f, " from %s%s", PICK(negs), addrs[rndn(naddrs)]);
		break;
	case 3:
		fprintf(f, " to %s%s", PICK(negs), addrs[rndn(naddrs)]);
		break;
	case 4:
		fprintf(f, " proto %s", rndn(2) ? "tcp" : "6");
		break;
	case 5:
		fprintf(f, " proto tcp dport %s", PICK(ports));
		break;
	case 6:
		fprintf(f, " proto udp sport %s", PICK(ports));
		break;
	case 7:
		fprintf(f, " proto %s", v6_rule ? "icmpv6" : "icmp");
		break;
	default:
		fprintf(f, " family %s", v6_rule ? "ip6" : "ip");
		break;
	}
}

static char *random_policy(void)
{
	static const char *const hooks[] = {"input", "forward", "output"};
	static const char *const verdicts[] = {"accept", "drop", "reject"};
	static const char *const opts[] = {
	    "", " log", " limit 3/second", " limit 9 / minute", " comment \"c # \\\"q\\\"\"", ""};
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int n = 1 + (int)rndn(30);

	assert_non_null(f);
	fprintf(f, "zone lan { lan0, lan1 }\n  zone   wan {\n wan0 }\n");
	fprintf(f, "set v4 { 10.0.0.0/8, 10.0.0.0/8, 192.0.2.1 }\nset v6 { 2001:db8::/32 }\n");
	fprintf(f, "set mixed { 2001:db8::1, 10.0.0.1 }\nset none { }\n");
	if (rndn(2))
		fprintf(f, "defaults {\n input drop ; forward %s\n}\n", PICK(verdicts));
	if (rndn(2))
		fprintf(f, "timeouts {\n udp %us\n tcp established %uh\n icmpv6 %um\n}\n",
		        1 + rndn(100), 1 + rndn(48), 1 + rndn(60));
	for (int i = 0; i < n; i++) {
		int chain = (int)rndn(5), matches = (int)rndn(5);

		if (rndn(5) == 0)
			fprintf(f, "[%u] ", 100 + (unsigned int)i * 3);
		if (chain < 3) {
			fprintf(f, "%s\t%s", hooks[chain], PICK(verdicts));
			unsigned int used = 0;
			bool v6_rule = rndn(2);

			for (int m = 0; m < matches; m++)
				random_match(f, chain, v6_rule, &used);
			fprintf(f, "%s   # a comment\n", PICK(opts));
		} else if (chain == 3) {
			fprintf(f, "nat dnat in wan proto tcp dport %u -> %s\n", 1 + rndn(9999),
			        rndn(2) ? "10.0.0.9:80" : "10.0.0.9");
		} else {
			bool snat = rndn(2);

			fprintf(f, "nat %s out wan from 10.%u.0.0/16%s\n",
			        snat ? "snat" : "masquerade", rndn(256),
			        snat ? " -> 198.51.100.1-198.51.100.3:1024-2047" : "");
		}
	}
	fclose(f);
	return buf;
}

static void test_round_trip_random(void **state)
{
	(void)state;
	for (unsigned int seed = 1; seed <= 300; seed++) {
		struct policy_diags d = {0};
		char label[64], *text;
		struct policy *p;

		rng_state = 0x51ed2701u * seed + 1;
		text = random_policy();
		snprintf(label, sizeof(label), "random policy %u", seed);
		p = policy_parse(label, text, strlen(text), &d);
		if (!p) {
			char *msgs = policy_diags_str(&d);

			fail_msg("%s does not parse:\n%s\n--- text:\n%s", label, msgs, text);
		}
		round_trip(p, label);
		policy_free(p);
		free(text);
	}
}

/* ---- run-time edits --------------------------------------------------------------------- */
static void test_rule_add_del(void **state)
{
	struct policy_diags d = {0};
	struct policy *p = parse_ok(example_policy, "example");
	char *text;

	(void)state;
	assert_int_equal(policy_rule_add(p, "forward accept in lan proto udp dport 53", &d), 12);
	assert_int_equal(policy_rule_add(p, "nat dnat in wan proto udp dport 53 -> 10.10.1.3", &d),
	                 13);
	assert_int_equal(policy_rule_add(p, "  input drop   # with a comment", &d), 14);
	assert_int_equal(d.n, 0);
	assert_int_equal(policy_rule_count(p), 14);
	assert_int_equal(policy_rule_max_id(p), 14);

	assert_int_equal(policy_rule_del(p, 2), 0);
	assert_int_equal(policy_rule_del(p, 2), -1); /* already gone */
	assert_int_equal(policy_rule_del(p, 14), 0);
	assert_int_equal(policy_rule_max_id(p), 13);
	/* Ids are never given twice, not even the highest one after its deletion. */
	assert_int_equal(policy_rule_add(p, "output reject proto tcp", &d), 15);
	assert_int_equal(policy_rule_count(p), 13);

	text = policy_format(p, NULL, 0);
	assert_non_null(strstr(text, "[1] input accept in lan\n"
	                             "[3] input accept proto icmp\n"
	                             "[4] input accept proto icmpv6\n"
	                             "\n"));
	assert_non_null(strstr(text, "[8] forward accept to 10.10.1.2 proto tcp dport 80 comment "
	                             "\"web server behind the port forward\"\n"
	                             "[12] forward accept in lan proto udp dport 53\n"
	                             "\n"
	                             "[15] output reject proto tcp\n"
	                             "\n"
	                             "[11] nat dnat in wan proto tcp dport 8080 -> 10.10.1.2:80\n"
	                             "[13] nat dnat in wan proto udp dport 53 -> 10.10.1.3\n"));
	assert_null(strstr(text, "[2]"));
	assert_null(strstr(text, "[14]"));
	/* The edited policy survives the round trip with its ids. */
	round_trip(p, "edited example");
	free(text);
	policy_free(p);
}

/* A policy loaded from a shown text keeps numbering after its highest id. */
static void test_ids_after_reload(void **state)
{
	struct policy_diags d = {0};
	struct policy *p = parse_ok("[7] input accept\n[3] forward drop\n", "reload");

	(void)state;
	assert_int_equal(policy_rule_add(p, "input drop", &d), 8);
	policy_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_example_normalised),
	    cmocka_unit_test(test_hits),
	    cmocka_unit_test(test_normal_forms),
	    cmocka_unit_test(test_declarations_normalised),
	    cmocka_unit_test(test_log_prefixes),
	    cmocka_unit_test(test_dynamic_sets_normalised),
	    cmocka_unit_test(test_round_trip_examples),
	    cmocka_unit_test(test_round_trip_random),
	    cmocka_unit_test(test_rule_add_del),
	    cmocka_unit_test(test_ids_after_reload),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
