// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_policy_parse.c - every statement of the policy language parses into what it means:
 * the example of policy-language.md field by field, then zones, sets, defaults, timeouts,
 * every match and option of a rule, the three nat statements, rule ids, layout (comments,
 * ';', CRLF, blocks over several lines), declarations after use, files, and the families the
 * checker gives each rule. Each case names itself in its failure message.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "policy.h"
#include "policy_internal.h"
#include "example_policy.h"

static struct policy *parse_ok(const char *text)
{
	struct policy_diags d = {0};
	struct policy *p = policy_parse("test.conf", text, strlen(text), &d);

	if (!p || d.n) {
		char *s = policy_diags_str(&d);

		fail_msg("policy should parse without a message:\n%s\n--- got:\n%s", text, s);
	}
	policy_diags_free(&d);
	return p;
}

/* The only rule of a one-rule policy (zones lan, wan and set admins declared around it). */
static struct pol_rule *one_rule(struct policy **pp, const char *rule)
{
	char text[1024];

	snprintf(text, sizeof(text),
	         "zone lan { lan0 }\nzone wan { wan0 }\nset admins { 198.51.100.0/24, "
	         "2001:db8:1::/48 }\n%s\n",
	         rule);
	*pp = parse_ok(text);
	assert_int_equal((*pp)->nrules, 1);
	return (*pp)->rules[0];
}

/* A one-rule policy that the checker refuses with an error starting with want. */
static void nat66_refused(const char *rule, const char *want)
{
	struct policy_diags d = {0};
	char text[1024];
	struct policy *p;
	char *s;

	snprintf(text, sizeof(text),
	         "zone lan { lan0 }\nzone wan { wan0 }\nset admins { 198.51.100.0/24, "
	         "2001:db8:1::/48 }\n%s\n",
	         rule);
	p = policy_parse("test.conf", text, strlen(text), &d);
	s = policy_diags_str(&d);
	if (p || strncmp(s, want, strlen(want)) != 0)
		fail_msg("%s: expected an error starting \"%s\", got: %s", rule, want, s);
	free(s);
	policy_diags_free(&d);
}

static void addr_v4(__u32 a[4], const char *text)
{
	struct in_addr in;

	assert_int_equal(inet_pton(AF_INET, text, &in), 1);
	a[0] = 0;
	a[1] = 0;
	a[2] = htonl(0xffff);
	a[3] = in.s_addr;
}

static void addr_v6(__u32 a[4], const char *text)
{
	assert_int_equal(inet_pton(AF_INET6, text, a), 1);
}

static void assert_prefix(const struct pol_prefix *p, const char *text, int plen, const char *what)
{
	__u32 a[4];

	if (strchr(text, ':'))
		addr_v6(a, text);
	else
		addr_v4(a, text);
	if (memcmp(a, p->addr, 16) != 0 || p->plen != plen) {
		char got[64];

		pol_prefix_format(p, got, sizeof(got));
		fail_msg("%s: expected %s with 16-byte length %d, got %s (length %u)", what, text,
		         plen, got, p->plen);
	}
}

/* ---- the example of policy-language.md ---------------------------------------------------- */

static void test_example_declarations(void **state)
{
	struct policy *p = parse_ok(example_policy);
	__u32 t[TCFW_CT_STATE_MAX];

	(void)state;
	assert_int_equal(policy_zone_count(p), 2);
	assert_string_equal(policy_zone_name(p, 0), "lan");
	assert_string_equal(policy_zone_name(p, 1), "wan");
	assert_int_equal(policy_zone_ifcount(p, 0), 1);
	assert_string_equal(policy_zone_ifname(p, 0, 0), "lan0");
	assert_string_equal(policy_zone_ifname(p, 1, 0), "wan0");
	assert_int_equal(policy_zone_of_ifname(p, "lan0"), 0);
	assert_int_equal(policy_zone_of_ifname(p, "wan0"), 1);
	assert_int_equal(policy_zone_of_ifname(p, "eth0"), -1);
	assert_null(policy_zone_name(p, 2));
	assert_null(policy_zone_ifname(p, 0, 1));
	assert_int_equal(policy_zone_ifcount(p, 5), 0);

	assert_int_equal(p->nsets, 2);
	assert_string_equal(p->sets[0].name, "admins");
	assert_int_equal(p->sets[0].n, 2);
	/* Sorted by 16-byte address: IPv4 (::ffff:a.b.c.d) sorts before 2001:... */
	assert_prefix(&p->sets[0].v[0], "198.51.100.0", 96 + 24, "admins[0]");
	assert_prefix(&p->sets[0].v[1], "2001:db8:1::", 48, "admins[1]");
	assert_prefix(&p->sets[1].v[0], "203.0.113.66", 128, "blocked[0]");
	assert_prefix(&p->sets[1].v[1], "203.0.113.128", 96 + 25, "blocked[1]");

	assert_int_equal(p->default_verdict[TCFW_CHAIN_INPUT], TCFW_VERDICT_DROP);
	assert_int_equal(p->default_verdict[TCFW_CHAIN_FORWARD], TCFW_VERDICT_DROP);
	assert_int_equal(p->default_verdict[TCFW_CHAIN_OUTPUT], TCFW_VERDICT_ACCEPT);
	assert_int_equal(p->invalid_verdict, TCFW_VERDICT_DROP);

	policy_timeouts(p, t);
	assert_int_equal(t[TCFW_CT_TCP_ESTABLISHED], 86400);
	assert_int_equal(t[TCFW_CT_TCP_SYN_SENT], 30);
	assert_int_equal(t[TCFW_CT_UDP_UNREPLIED], 30);
	assert_int_equal(t[TCFW_CT_UDP_REPLIED], 30);
	assert_int_equal(t[TCFW_CT_UDP_ASSURED], 180);
	assert_int_equal(t[TCFW_CT_ICMP_UNREPLIED], 30);
	assert_int_equal(t[TCFW_CT_ICMP_REPLIED], 30);
	/* Untouched states keep netfilter's values. */
	assert_int_equal(t[TCFW_CT_TCP_SYN_RECV], 60);
	assert_int_equal(t[TCFW_CT_TCP_FIN_WAIT], 120);
	assert_int_equal(t[TCFW_CT_TCP_CLOSE_WAIT], 60);
	assert_int_equal(t[TCFW_CT_TCP_LAST_ACK], 30);
	assert_int_equal(t[TCFW_CT_TCP_TIME_WAIT], 120);
	assert_int_equal(t[TCFW_CT_TCP_CLOSE], 10);
	assert_int_equal(t[TCFW_CT_OTHER_UNREPLIED], 600);
	policy_free(p);
}

static void test_example_rules(void **state)
{
	struct policy *p = parse_ok(example_policy);
	struct pol_rule **r = p->rules;

	(void)state;
	assert_int_equal(policy_rule_count(p), 11);
	assert_int_equal(policy_rule_max_id(p), 11);
	for (size_t i = 0; i < p->nrules; i++)
		assert_int_equal(r[i]->id, i + 1);

	/* input accept in lan */
	assert_int_equal(r[0]->chain, TCFW_CHAIN_INPUT);
	assert_int_equal(r[0]->verdict, TCFW_VERDICT_ACCEPT);
	assert_int_equal(r[0]->in_zone_id, 0);
	assert_int_equal(r[0]->out_zone_id, -1);
	assert_int_equal(r[0]->src.kind, POL_ADDR_ANY);
	assert_int_equal(r[0]->proto, -1);
	assert_int_equal(r[0]->families, POL_FAM_ANY);
	/* input accept proto tcp dport 22 from @admins */
	assert_int_equal(r[1]->proto, 6);
	assert_int_equal(r[1]->dport.n, 1);
	assert_int_equal(r[1]->dport.v[0].lo, 22);
	assert_int_equal(r[1]->dport.v[0].hi, 22);
	assert_int_equal(r[1]->sport.n, 0);
	assert_int_equal(r[1]->src.kind, POL_ADDR_SET);
	assert_int_equal(r[1]->src.set, 0);
	assert_false(r[1]->src.neg);
	assert_int_equal(r[1]->families, POL_FAM_ANY); /* admins holds both families */
	/* proto icmp / icmpv6: IPv4 / IPv6 only */
	assert_int_equal(r[2]->proto, 1);
	assert_int_equal(r[2]->families, POL_FAM_V4);
	assert_int_equal(r[3]->proto, 58);
	assert_int_equal(r[3]->families, POL_FAM_V6);
	/* forward drop from @blocked log */
	assert_int_equal(r[4]->chain, TCFW_CHAIN_FORWARD);
	assert_int_equal(r[4]->verdict, TCFW_VERDICT_DROP);
	assert_int_equal(r[4]->src.set, 1);
	assert_true(r[4]->log);
	assert_int_equal(r[4]->families, POL_FAM_V4);
	/* forward reject in lan proto tcp dport 25 */
	assert_int_equal(r[5]->verdict, TCFW_VERDICT_REJECT);
	assert_int_equal(r[5]->dport.v[0].lo, 25);
	/* forward accept in lan out wan */
	assert_int_equal(r[6]->in_zone_id, 0);
	assert_int_equal(r[6]->out_zone_id, 1);
	/* forward accept proto tcp dport 80 to 10.10.1.2 comment "..." */
	assert_int_equal(r[7]->dst.kind, POL_ADDR_PREFIX);
	assert_prefix(&r[7]->dst.pfx, "10.10.1.2", 128, "rule 8 to");
	assert_string_equal(r[7]->comment, "web server behind the port forward");
	/* nat masquerade out wan from 10.10.1.0/24 */
	assert_int_equal(r[8]->kind, POL_RULE_MASQUERADE);
	assert_int_equal(r[8]->chain, TCFW_CHAIN_SNAT);
	assert_int_equal(r[8]->out_zone_id, 1);
	assert_prefix(&r[8]->src.pfx, "10.10.1.0", 120, "masquerade from");
	/* nat snat ... -> 198.51.100.10-198.51.100.20:20000-60000 */
	assert_int_equal(r[9]->kind, POL_RULE_SNAT);
	assert_int_equal(r[9]->chain, TCFW_CHAIN_SNAT);
	assert_int_equal(r[9]->nat.lo[3], inet_addr("198.51.100.10"));
	assert_int_equal(r[9]->nat.hi[3], inet_addr("198.51.100.20"));
	assert_int_equal(r[9]->nat.port_lo, 20000);
	assert_int_equal(r[9]->nat.port_hi, 60000);
	assert_int_equal(r[9]->families, POL_FAM_V4);
	/* nat dnat in wan proto tcp dport 8080 -> 10.10.1.2:80 */
	assert_int_equal(r[10]->kind, POL_RULE_DNAT);
	assert_int_equal(r[10]->chain, TCFW_CHAIN_DNAT);
	assert_int_equal(r[10]->in_zone_id, 1);
	assert_int_equal(r[10]->dport.v[0].lo, 8080);
	assert_int_equal(r[10]->nat.lo[3], inet_addr("10.10.1.2"));
	assert_int_equal(r[10]->nat.port_lo, 80);
	assert_int_equal(r[10]->nat.port_hi, 80);
	policy_free(p);
}

/* ---- declarations ----------------------------------------------------------------------- */
static void test_zones(void **state)
{
	struct policy *p = parse_ok("zone lan { lan0, lan1.10, br-lan }\n"
	                            "zone dmz {\n"
	                            "    dmz0,\n"
	                            "    dmz1,   # a comment inside the list\n"
	                            "}\n"
	                            "zone _x { averyveryverylo }\n");

	(void)state;
	assert_int_equal(policy_zone_count(p), 3);
	assert_int_equal(policy_zone_ifcount(p, 0), 3);
	assert_string_equal(policy_zone_ifname(p, 0, 1), "lan1.10");
	assert_string_equal(policy_zone_ifname(p, 0, 2), "br-lan");
	assert_int_equal(policy_zone_ifcount(p, 1), 2);
	assert_string_equal(policy_zone_ifname(p, 1, 1), "dmz1");
	assert_int_equal(policy_zone_of_ifname(p, "dmz1"), 1);
	assert_string_equal(policy_zone_name(p, 2), "_x");
	assert_int_equal(policy_zone_of_ifname(p, "averyveryverylo"), 2);
	policy_free(p);
}

static void test_sets(void **state)
{
	struct policy *p =
	    parse_ok("set mixed { 10.0.0.0/8, 192.0.2.1, 2001:db8::/32, 10.0.0.0/8,\n"
	             "             ::ffff:198.51.100.7, 0.0.0.0/0, ::/0, 2001:db8::1 }\n"
	             "set empty { }\n"
	             "set long {\n"
	             "    203.0.113.0/24,\n"
	             "    203.0.113.0/25,\n"
	             "}\n");
	const struct pol_set *s;

	(void)state;
	assert_int_equal(p->nsets, 3);
	s = &p->sets[0];
	/* Sorted by 16-byte address then length, the duplicate 10.0.0.0/8 dropped. */
	assert_int_equal(s->n, 7);
	assert_prefix(&s->v[0], "::", 0, "::/0");
	assert_prefix(&s->v[1], "0.0.0.0", 96, "0.0.0.0/0");
	assert_prefix(&s->v[2], "10.0.0.0", 104, "10.0.0.0/8");
	assert_prefix(&s->v[3], "192.0.2.1", 128, "192.0.2.1");
	assert_prefix(&s->v[4], "198.51.100.7", 128, "::ffff:198.51.100.7");
	assert_prefix(&s->v[5], "2001:db8::", 32, "2001:db8::/32");
	assert_prefix(&s->v[6], "2001:db8::1", 128, "2001:db8::1");
	assert_int_equal(p->sets[1].n, 0);
	assert_int_equal(p->sets[2].n, 2);
	assert_prefix(&p->sets[2].v[0], "203.0.113.0", 120, "long[0]");
	assert_prefix(&p->sets[2].v[1], "203.0.113.0", 121, "long[1]");
	policy_free(p);
}

static void test_defaults(void **state)
{
	struct policy *p = parse_ok("defaults { forward reject; invalid accept }\n");

	(void)state;
	/* Unwritten hooks accept (netfilter's chain policy); invalid would otherwise drop. */
	assert_int_equal(p->default_verdict[TCFW_CHAIN_INPUT], TCFW_VERDICT_ACCEPT);
	assert_int_equal(p->default_verdict[TCFW_CHAIN_FORWARD], TCFW_VERDICT_REJECT);
	assert_int_equal(p->default_verdict[TCFW_CHAIN_OUTPUT], TCFW_VERDICT_ACCEPT);
	assert_int_equal(p->invalid_verdict, TCFW_VERDICT_ACCEPT);
	policy_free(p);

	p = parse_ok("");
	assert_int_equal(p->invalid_verdict, TCFW_VERDICT_DROP);
	assert_int_equal(p->default_verdict[TCFW_CHAIN_INPUT], TCFW_VERDICT_ACCEPT);
	policy_free(p);

	p = parse_ok("defaults {\n\n  output drop\n\n  input reject\n}\n");
	assert_int_equal(p->default_verdict[TCFW_CHAIN_INPUT], TCFW_VERDICT_REJECT);
	assert_int_equal(p->default_verdict[TCFW_CHAIN_OUTPUT], TCFW_VERDICT_DROP);
	policy_free(p);
}

static void test_timeouts(void **state)
{
	static const struct {
		const char *line;
		unsigned int state;
		__u32 secs;
	} cases[] = {
	    {"tcp syn_sent 1s", TCFW_CT_TCP_SYN_SENT, 1},
	    {"tcp syn_recv 2m", TCFW_CT_TCP_SYN_RECV, 120},
	    {"tcp established 3h", TCFW_CT_TCP_ESTABLISHED, 3 * 3600},
	    {"tcp fin_wait 4d", TCFW_CT_TCP_FIN_WAIT, 4 * 86400},
	    {"tcp close_wait 5s", TCFW_CT_TCP_CLOSE_WAIT, 5},
	    {"tcp last_ack 6s", TCFW_CT_TCP_LAST_ACK, 6},
	    {"tcp time_wait 7s", TCFW_CT_TCP_TIME_WAIT, 7},
	    {"tcp close 8s", TCFW_CT_TCP_CLOSE, 8},
	    {"tcp syn_sent2 9s", TCFW_CT_TCP_SYN_SENT2, 9},
	    {"udp 10s", TCFW_CT_UDP_UNREPLIED, 10},
	    {"udp 11s", TCFW_CT_UDP_REPLIED, 11},
	    {"udp unreplied 12s", TCFW_CT_UDP_UNREPLIED, 12},
	    {"udp replied 13s", TCFW_CT_UDP_REPLIED, 13},
	    {"udp stream 14s", TCFW_CT_UDP_ASSURED, 14},
	    {"udp assured 15s", TCFW_CT_UDP_ASSURED, 15},
	    {"icmp 16s", TCFW_CT_ICMP_UNREPLIED, 16},
	    {"icmp 17s", TCFW_CT_ICMP_REPLIED, 17},
	    {"icmpv6 18s", TCFW_CT_ICMP_REPLIED, 18},
	    {"icmp replied 19s", TCFW_CT_ICMP_REPLIED, 19},
	    {"other 20m", TCFW_CT_OTHER_UNREPLIED, 1200},
	    {"other replied 21m", TCFW_CT_OTHER_REPLIED, 1260},
	    {"tcp established 4294967295s", TCFW_CT_TCP_ESTABLISHED, 4294967295u},
	    {"tcp established 49710d", TCFW_CT_TCP_ESTABLISHED, 49710u * 86400},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[128];
		__u32 t[TCFW_CT_STATE_MAX];
		struct policy *p;

		snprintf(text, sizeof(text), "timeouts {\n\t%s\n}\n", cases[i].line);
		p = parse_ok(text);
		policy_timeouts(p, t);
		if (t[cases[i].state] != cases[i].secs)
			fail_msg("'%s': expected state %u to be %us, got %us", cases[i].line,
			         cases[i].state, cases[i].secs, t[cases[i].state]);
		policy_free(p);
	}
}

/* A block's states are set together: "udp 30s" sets unreplied and replied, not assured. */
static void test_timeouts_shorthand_scope(void **state)
{
	struct policy *p = parse_ok("timeouts { udp 5s; icmp 6s }\n");
	__u32 t[TCFW_CT_STATE_MAX];

	(void)state;
	policy_timeouts(p, t);
	assert_int_equal(t[TCFW_CT_UDP_UNREPLIED], 5);
	assert_int_equal(t[TCFW_CT_UDP_REPLIED], 5);
	assert_int_equal(t[TCFW_CT_UDP_ASSURED], 120);
	assert_int_equal(t[TCFW_CT_ICMP_UNREPLIED], 6);
	assert_int_equal(t[TCFW_CT_ICMP_REPLIED], 6);
	policy_free(p);
	/* NULL policy: netfilter's table. */
	policy_timeouts(NULL, t);
	assert_int_equal(t[TCFW_CT_TCP_ESTABLISHED], 432000);
}

/* ---- rules --------------------------------------------------------------------------------- */
static void test_rule_hooks_and_verdicts(void **state)
{
	static const struct {
		const char *text;
		enum tcfw_chain chain;
		enum tcfw_verdict verdict;
	} cases[] = {
	    {"input accept", TCFW_CHAIN_INPUT, TCFW_VERDICT_ACCEPT},
	    {"input drop", TCFW_CHAIN_INPUT, TCFW_VERDICT_DROP},
	    {"forward reject", TCFW_CHAIN_FORWARD, TCFW_VERDICT_REJECT},
	    {"output drop", TCFW_CHAIN_OUTPUT, TCFW_VERDICT_DROP},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct policy *p;
		struct pol_rule *r = one_rule(&p, cases[i].text);

		if (r->chain != cases[i].chain || r->verdict != cases[i].verdict)
			fail_msg("'%s': chain %d verdict %d", cases[i].text, r->chain, r->verdict);
		assert_int_equal(r->kind, POL_RULE_FILTER);
		policy_free(p);
	}
}

static void test_rule_addresses(void **state)
{
	struct policy *p;
	struct pol_rule *r;

	(void)state;
	r = one_rule(&p, "forward accept from !10.0.0.0/8 to 2001:db8::/32");
	assert_true(r->src.neg);
	assert_prefix(&r->src.pfx, "10.0.0.0", 104, "!10.0.0.0/8");
	assert_prefix(&r->dst.pfx, "2001:db8::", 32, "2001:db8::/32");
	assert_int_equal(r->families, POL_FAM_V6); /* the negation allows IPv6 */
	policy_free(p);

	r = one_rule(&p, "forward accept from ! @admins to !! 192.0.2.0/24");
	assert_int_equal(r->src.kind, POL_ADDR_SET);
	assert_true(r->src.neg);
	assert_false(r->dst.neg); /* '!' twice is no negation */
	assert_int_equal(r->families, POL_FAM_V4);
	policy_free(p);

	/* ::/0 names IPv6 (it would otherwise cover IPv4 too); 0.0.0.0/0 names IPv4. */
	r = one_rule(&p, "input accept from ::/0");
	assert_int_equal(r->families, POL_FAM_V6);
	policy_free(p);
	r = one_rule(&p, "input accept from 0.0.0.0/0");
	assert_int_equal(r->families, POL_FAM_V4);
	policy_free(p);
	r = one_rule(&p, "input accept from !::/0");
	assert_int_equal(r->families, POL_FAM_ANY);
	policy_free(p);
}

static void test_rule_protocols(void **state)
{
	static const struct {
		const char *text;
		int proto;
		unsigned int fam;
	} cases[] = {
	    {"input accept proto tcp", 6, POL_FAM_ANY},
	    {"input accept proto udp", 17, POL_FAM_ANY},
	    {"input accept proto icmp", 1, POL_FAM_V4},
	    {"input accept proto icmpv6", 58, POL_FAM_V6},
	    {"input accept proto 47", 47, POL_FAM_ANY},
	    {"input accept proto 0", 0, POL_FAM_ANY},
	    {"input accept proto 255", 255, POL_FAM_ANY},
	    {"input accept proto 6", 6, POL_FAM_ANY},
	    {"input accept family ip", -1, POL_FAM_V4},
	    {"input accept family ip6", -1, POL_FAM_V6},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct policy *p;
		struct pol_rule *r = one_rule(&p, cases[i].text);

		if (r->proto != cases[i].proto || r->families != cases[i].fam)
			fail_msg("'%s': proto %d families %u, expected %d and %u", cases[i].text,
			         r->proto, r->families, cases[i].proto, cases[i].fam);
		policy_free(p);
	}
}

/* Names for numbers and lists: services, ICMP types, protocol lists, address lists and
 * ranges (cut into the fewest prefixes). */
static void test_service_names(void **state)
{
	struct policy *p;
	struct pol_rule *r;

	(void)state;
	r = one_rule(&p, "input accept proto tcp dport { ssh, https, 8000-8080 } sport domain");
	assert_int_equal(r->dport.n, 3);
	assert_int_equal(r->dport.v[0].lo, 22);
	assert_int_equal(r->dport.v[0].hi, 22);
	assert_int_equal(r->dport.v[1].lo, 443);
	assert_int_equal(r->dport.v[2].lo, 8000);
	assert_int_equal(r->dport.v[2].hi, 8080);
	assert_int_equal(r->sport.n, 1);
	assert_int_equal(r->sport.v[0].lo, 53);
	policy_free(p);
	/* A name and its number are one port: merged like any other. */
	r = one_rule(&p, "input accept dport { ssh, 22, telnet }");
	assert_int_equal(r->dport.n, 1);
	assert_int_equal(r->dport.v[0].lo, 22);
	assert_int_equal(r->dport.v[0].hi, 23);
	policy_free(p);
}

static void test_icmp_types(void **state)
{
	struct policy *p;
	struct pol_rule *r;

	(void)state;
	r = one_rule(&p, "input accept proto icmp type echo-request");
	assert_int_equal(r->proto, 1);
	assert_int_equal(r->itype.n, 1);
	assert_int_equal(r->itype.v[0].lo, 8);
	assert_int_equal(r->itype.v[0].hi, 8);
	assert_int_equal(r->families, POL_FAM_V4);
	policy_free(p);
	r = one_rule(&p,
	             "input accept proto icmpv6 type { echo-reply, echo-request, 139, 200-210 }");
	assert_int_equal(r->proto, 58);
	assert_int_equal(r->itype.n, 3); /* 128-129 merged */
	assert_int_equal(r->itype.v[0].lo, 128);
	assert_int_equal(r->itype.v[0].hi, 129);
	assert_int_equal(r->itype.v[1].lo, 139);
	assert_int_equal(r->itype.v[2].lo, 200);
	assert_int_equal(r->itype.v[2].hi, 210);
	assert_int_equal(r->families, POL_FAM_V6);
	policy_free(p);
	r = one_rule(&p, "input drop proto icmp type 0-255");
	assert_int_equal(r->itype.v[0].hi, 255);
	policy_free(p);
	/* Every name reads back as its number. */
	for (int proto = 1; proto <= 58; proto += 57) {
		unsigned int n;
		const char *const *names = pol_icmp_type_names(proto, &n);

		assert_true(n >= 15);
		for (unsigned int i = 0; i < n; i++) {
			int t = pol_icmp_type_parse(proto, names[i]);

			assert_true(t >= 0);
			assert_string_equal(pol_icmp_type_name(proto, (unsigned int)t), names[i]);
		}
	}
	assert_int_equal(pol_icmp_type_parse(58, "nd-neighbor-solicit"), 135);
	assert_int_equal(pol_icmp_type_parse(58, "mld-listener-done"), 132);
	assert_int_equal(pol_icmp_type_parse(1, "echo-request"), 8);
	assert_true(pol_icmp_type_link(58, 135));
	assert_false(pol_icmp_type_link(58, 128));
	assert_false(pol_icmp_type_link(1, 135));
	assert_true(pol_icmp_type_opens(1, 8));
	assert_false(pol_icmp_type_opens(1, 0));
}

static void test_protocol_lists(void **state)
{
	struct policy *p;
	struct pol_rule *r;
	uint64_t protos[4];

	(void)state;
	r = one_rule(&p, "input accept proto { tcp, udp } dport 53");
	assert_true(r->proto_list);
	assert_int_equal(r->proto, -1);
	pol_rule_protos(r, protos);
	assert_true(protos[0] == (1ull << 6 | 1ull << 17));
	assert_int_equal(r->families, POL_FAM_ANY);
	policy_free(p);
	/* One protocol in braces is that protocol. */
	r = one_rule(&p, "input accept proto { icmp, 1 }");
	assert_false(r->proto_list);
	assert_int_equal(r->proto, 1);
	assert_int_equal(r->families, POL_FAM_V4);
	policy_free(p);
	r = one_rule(&p, "input accept proto { icmp, icmpv6, 47, 255 }");
	pol_rule_protos(r, protos);
	assert_true(protos[0] == (1ull << 1 | 1ull << 58 | 1ull << 47));
	assert_true(protos[3] == 1ull << 63);
	assert_int_equal(r->families, POL_FAM_ANY);
	policy_free(p);
	/* Ports without a protocol are TCP and UDP. */
	r = one_rule(&p, "input accept dport 22");
	pol_rule_protos(r, protos);
	assert_true(protos[0] == (1ull << 6 | 1ull << 17) && !protos[1] && !protos[3]);
	policy_free(p);
}

static void test_address_lists(void **state)
{
	struct policy *p;
	struct pol_rule *r;

	(void)state;
	r = one_rule(&p, "forward accept from { 10.0.0.0/8, 192.0.2.1-192.0.2.9, 10.0.0.0/8 }");
	assert_int_equal(r->src.kind, POL_ADDR_LIST);
	/* 192.0.2.1, .2/31, .4/30, .8/31 and 10/8 once, sorted */
	assert_int_equal(r->src.nlist, 5);
	assert_prefix(&r->src.list[0], "10.0.0.0", 104, "list 10/8");
	assert_prefix(&r->src.list[1], "192.0.2.1", 128, "range part 1");
	assert_prefix(&r->src.list[2], "192.0.2.2", 127, "range part 2");
	assert_prefix(&r->src.list[3], "192.0.2.4", 126, "range part 3");
	assert_prefix(&r->src.list[4], "192.0.2.8", 127, "range part 4");
	assert_int_equal(r->families, POL_FAM_V4);
	policy_free(p);
	/* A lone range; an aligned one is one prefix. */
	r = one_rule(&p, "forward accept to 2001:db8::-2001:db8::ffff");
	assert_int_equal(r->dst.kind, POL_ADDR_LIST);
	assert_int_equal(r->dst.nlist, 1);
	assert_prefix(&r->dst.list[0], "2001:db8::", 112, "aligned v6 range");
	assert_int_equal(r->families, POL_FAM_V6);
	policy_free(p);
	r = one_rule(&p, "forward accept to 0.0.0.0-255.255.255.255");
	assert_int_equal(r->dst.nlist, 1);
	assert_prefix(&r->dst.list[0], "0.0.0.0", 96, "every IPv4 address");
	policy_free(p);
	r = one_rule(&p, "forward accept to !{ 10.0.0.1, 2001:db8::1 }");
	assert_true(r->dst.neg);
	assert_int_equal(r->dst.nlist, 2);
	assert_int_equal(r->families, POL_FAM_ANY);
	policy_free(p);
	r = one_rule(&p, "forward accept from {\n 10.0.0.1,\n 2001:db8::1,\n}");
	assert_int_equal(r->src.nlist, 2);
	assert_int_equal(r->families, POL_FAM_ANY);
	policy_free(p);
	/* The worst case of a range: 0.0.0.1-255.255.255.254 is 62 prefixes (31 + 31). */
	r = one_rule(&p, "forward accept from 0.0.0.1-255.255.255.254");
	assert_int_equal(r->src.nlist, 62);
	policy_free(p);
}

static void test_rule_ports(void **state)
{
	static const struct {
		const char *text;
		size_t n;
		uint16_t lo[3], hi[3];
	} cases[] = {
	    {"input accept proto tcp dport 22", 1, {22}, {22}},
	    {"input accept proto tcp dport 0", 1, {0}, {0}},
	    {"input accept proto tcp dport 65535", 1, {65535}, {65535}},
	    {"input accept proto udp dport 1000-2000", 1, {1000}, {2000}},
	    {"input accept proto tcp dport { 80, 22, 443 }", 3, {22, 80, 443}, {22, 80, 443}},
	    /* Overlapping and adjacent ranges merge. */
	    {"input accept dport { 10-20, 15-30, 31, 40 }", 2, {10, 40}, {31, 40}},
	    {"input accept dport {\n  1,\n  2,\n}", 1, {1}, {2}},
	    {"input accept proto tcp dport 5-5", 1, {5}, {5}},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct policy *p;
		struct pol_rule *r = one_rule(&p, cases[i].text);

		if (r->dport.n != cases[i].n)
			fail_msg("'%s': %zu ranges, expected %zu", cases[i].text, r->dport.n,
			         cases[i].n);
		for (size_t k = 0; k < cases[i].n; k++)
			if (r->dport.v[k].lo != cases[i].lo[k] ||
			    r->dport.v[k].hi != cases[i].hi[k])
				fail_msg("'%s': range %zu is %u-%u, expected %u-%u", cases[i].text,
				         k, r->dport.v[k].lo, r->dport.v[k].hi, cases[i].lo[k],
				         cases[i].hi[k]);
		policy_free(p);
	}
	{
		struct policy *p;
		struct pol_rule *r =
		    one_rule(&p, "forward accept proto udp sport 53 dport 1024-65535");

		assert_int_equal(r->sport.n, 1);
		assert_int_equal(r->sport.v[0].lo, 53);
		assert_int_equal(r->dport.v[0].lo, 1024);
		assert_int_equal(r->dport.v[0].hi, 65535);
		policy_free(p);
	}
}

static void test_rule_options(void **state)
{
	static const struct {
		const char *text;
		bool log;
		uint32_t rate, period;
		const char *comment;
	} cases[] = {
	    {"input accept log", true, 0, 0, NULL},
	    {"input accept limit 10/second", false, 10, 1, NULL},
	    {"input accept limit 3/minute", false, 3, 60, NULL},
	    {"input accept limit 3 /minute", false, 3, 60, NULL},
	    {"input accept limit 3/ minute", false, 3, 60, NULL},
	    {"input accept limit 3 / minute", false, 3, 60, NULL},
	    {"input accept limit 1000000/second", false, 1000000, 1, NULL},
	    {"input accept comment \"\"", false, 0, 0, ""},
	    {"input accept comment \"say \\\"hi\\\" \\\\ # not a comment\"", false, 0, 0,
	     "say \"hi\" \\ # not a comment"},
	    /* Options in any order, before or after matches. */
	    {"input accept comment \"c\" limit 5/second log in lan", true, 5, 1, "c"},
	    {"input accept log proto tcp limit 1/minute dport 22 comment \"x\"", true, 1, 60, "x"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct policy *p;
		struct pol_rule *r = one_rule(&p, cases[i].text);

		if (r->log != cases[i].log || r->limit_rate != cases[i].rate ||
		    r->limit_period_s != cases[i].period)
			fail_msg("'%s': log %d limit %u/%us", cases[i].text, r->log, r->limit_rate,
			         r->limit_period_s);
		if (cases[i].comment)
			assert_string_equal(r->comment, cases[i].comment);
		else
			assert_null(r->comment);
		policy_free(p);
	}
}

static void test_nat_statements(void **state)
{
	struct policy *p;
	struct pol_rule *r;

	(void)state;
	r = one_rule(&p, "nat masquerade out wan");
	assert_int_equal(r->kind, POL_RULE_MASQUERADE);
	assert_int_equal(r->families, POL_FAM_ANY); /* both families, the interface's address */
	policy_free(p);

	/* The zone may come after other matches; in zones are allowed for snat. */
	r = one_rule(&p, "nat masquerade proto udp in lan out wan comment \"m\"");
	assert_int_equal(r->out_zone_id, 1);
	assert_int_equal(r->in_zone_id, 0);
	policy_free(p);

	r = one_rule(&p, "nat snat out wan -> 198.51.100.1");
	assert_int_equal(r->nat.lo[3], inet_addr("198.51.100.1"));
	assert_memory_equal(r->nat.lo, r->nat.hi, 16);
	assert_int_equal(r->nat.port_lo, 0);
	assert_int_equal(r->families, POL_FAM_V4); /* an IPv4 target translates IPv4 only */
	policy_free(p);

	r = one_rule(&p, "nat snat out wan -> 198.51.100.1:5000");
	assert_int_equal(r->nat.port_lo, 5000);
	assert_int_equal(r->nat.port_hi, 5000);
	policy_free(p);

	/* IPv6 targets parse (bracketed with ports), but the checker refuses them: no NAT66. */
	nat66_refused("nat snat out wan from 2001:db8:1::/48 -> 2001:db8::1-2001:db8::9",
	              "test.conf:4:42: NAT66 is not supported: the IPv6 target 2001:db8::1");
	nat66_refused("nat snat out wan -> [2001:db8::1]-[2001:db8::9]:1024-2047",
	              "test.conf:4:21: NAT66 is not supported: the IPv6 target 2001:db8::1");
	nat66_refused("nat dnat in wan proto tcp dport 443 -> [2001:db8::5]:8443",
	              "test.conf:4:40: NAT66 is not supported: the IPv6 target 2001:db8::5");

	r = one_rule(&p, "nat dnat in wan to 203.0.113.1 -> 10.0.0.5");
	assert_int_equal(r->nat.lo[3], inet_addr("10.0.0.5"));
	assert_int_equal(r->nat.port_lo, 0);
	policy_free(p);

	r = one_rule(&p, "nat dnat in wan proto udp dport 53->10.0.0.53:53");
	assert_int_equal(r->nat.lo[3], inet_addr("10.0.0.53"));
	assert_int_equal(r->nat.port_lo, 53);
	policy_free(p);

	nat66_refused("nat dnat in wan -> 2001:db8::5",
	              "test.conf:4:20: NAT66 is not supported: the IPv6 target 2001:db8::5");
}

/* ---- ids, layout, order, files ---------------------------------------------------------- */
static void test_rule_ids(void **state)
{
	struct policy *p = parse_ok("input accept\n"
	                            "[7] input drop\n"
	                            "forward accept\n"
	                            "[3] output accept\n");

	(void)state;
	/* Written ids stay; the others follow the highest written one, in file order. */
	assert_int_equal(p->rules[0]->id, 8);
	assert_int_equal(p->rules[1]->id, 7);
	assert_int_equal(p->rules[2]->id, 9);
	assert_int_equal(p->rules[3]->id, 3);
	assert_int_equal(policy_rule_max_id(p), 9);
	assert_int_equal(p->next_id, 10);
	policy_free(p);
}

static void test_layout(void **state)
{
	struct policy *p = parse_ok("\r\n# only a comment\r\n"
	                            "zone lan { lan0 }   # trailing comment\r\n"
	                            "\tinput\taccept\tin lan ; input drop\r\n"
	                            ";;\n"
	                            "input reject # last line without a newline");

	(void)state;
	assert_int_equal(policy_zone_count(p), 1);
	assert_int_equal(p->nrules, 3);
	assert_int_equal(p->rules[0]->in_zone_id, 0);
	assert_int_equal(p->rules[1]->verdict, TCFW_VERDICT_DROP);
	assert_int_equal(p->rules[2]->verdict, TCFW_VERDICT_REJECT);
	policy_free(p);

	p = parse_ok("");
	assert_int_equal(p->nrules, 0);
	assert_int_equal(policy_zone_count(p), 0);
	policy_free(p);
	p = parse_ok("   \n\n# nothing\n");
	assert_int_equal(p->nrules, 0);
	policy_free(p);
}

/* Zones and sets may be declared after the rules that use them. */
static void test_declaration_after_use(void **state)
{
	struct policy *p = parse_ok("forward accept in lan from @admins\n"
	                            "zone wan { wan0 }\n"
	                            "zone lan { lan0 }\n"
	                            "set admins { 192.0.2.0/24 }\n");

	(void)state;
	assert_int_equal(p->rules[0]->in_zone_id, 1);
	assert_int_equal(p->rules[0]->src.set, 0);
	assert_int_equal(p->rules[0]->families, POL_FAM_V4);
	policy_free(p);
}

/* Rule order within a chain is file order, whatever the chains in between. */
static void test_rule_order(void **state)
{
	struct policy *p = parse_ok("forward accept proto tcp\n"
	                            "input accept\n"
	                            "forward drop\n");

	(void)state;
	assert_int_equal(p->rules[0]->chain, TCFW_CHAIN_FORWARD);
	assert_int_equal(p->rules[2]->chain, TCFW_CHAIN_FORWARD);
	assert_int_equal(p->rules[2]->id, 3);
	policy_free(p);
}

static void test_parse_file(void **state)
{
	char path[] = "/tmp/test_policy_parse.XXXXXX";
	int fd = mkstemp(path);
	struct policy_diags d = {0};
	struct policy *p;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, example_policy, strlen(example_policy)),
	                 (ssize_t)strlen(example_policy));
	close(fd);
	p = policy_parse_file(path, &d);
	assert_non_null(p);
	assert_int_equal(d.n, 0);
	assert_int_equal(policy_rule_count(p), 11);
	policy_free(p);
	unlink(path);

	p = policy_parse_file(path, &d);
	assert_null(p);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.v[0].file, path);
	assert_int_equal(d.v[0].line, 0);
	assert_string_equal(d.v[0].msg, "cannot open the policy: No such file or directory");
	policy_diags_free(&d);
}

/* The accessors accept NULL (fwctl may ask before any policy is loaded). */
static void test_null_policy(void **state)
{
	(void)state;
	assert_int_equal(policy_zone_count(NULL), 0);
	assert_null(policy_zone_name(NULL, 0));
	assert_int_equal(policy_zone_of_ifname(NULL, "lan0"), -1);
	assert_int_equal(policy_rule_count(NULL), 0);
	assert_int_equal(policy_rule_max_id(NULL), 0);
	assert_int_equal(policy_rule_del(NULL, 1), -1);
	assert_null(policy_format(NULL, NULL, 0));
	policy_free(NULL);
}

/* One reader of durations for the policy's `timeout` words and fwctl's `set add ... timeout`. */
static void test_duration_parse(void **state)
{
	uint32_t v = 7;

	(void)state;
	assert_int_equal(policy_duration_parse("30s", false, &v), 0);
	assert_int_equal(v, 30);
	assert_int_equal(policy_duration_parse("10m", false, &v), 0);
	assert_int_equal(v, 600);
	assert_int_equal(policy_duration_parse("2h", true, &v), 0);
	assert_int_equal(v, 7200);
	assert_int_equal(policy_duration_parse("49710d", false, &v), 0);
	assert_int_equal(v, 49710u * 86400u);
	assert_int_equal(policy_duration_parse("0s", false, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(policy_duration_parse("600", true, &v), 0); /* seconds, for fwctl */
	assert_int_equal(v, 600);
	assert_int_equal(policy_duration_parse("600", false, &v), -EINVAL);
	assert_int_equal(policy_duration_parse("5x", true, &v), -EINVAL);
	assert_int_equal(policy_duration_parse("s", true, &v), -EINVAL);
	assert_int_equal(policy_duration_parse("", true, &v), -EINVAL);
	assert_int_equal(policy_duration_parse("-5s", true, &v), -EINVAL);
	assert_int_equal(policy_duration_parse("1m1s", true, &v), -EINVAL);
	assert_int_equal(policy_duration_parse("49711d", false, &v), -ERANGE);
	assert_int_equal(policy_duration_parse("4294967296", true, &v), -ERANGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_example_declarations),
	    cmocka_unit_test(test_example_rules),
	    cmocka_unit_test(test_zones),
	    cmocka_unit_test(test_sets),
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_timeouts),
	    cmocka_unit_test(test_timeouts_shorthand_scope),
	    cmocka_unit_test(test_rule_hooks_and_verdicts),
	    cmocka_unit_test(test_rule_addresses),
	    cmocka_unit_test(test_rule_protocols),
	    cmocka_unit_test(test_rule_ports),
	    cmocka_unit_test(test_service_names),
	    cmocka_unit_test(test_icmp_types),
	    cmocka_unit_test(test_protocol_lists),
	    cmocka_unit_test(test_address_lists),
	    cmocka_unit_test(test_rule_options),
	    cmocka_unit_test(test_nat_statements),
	    cmocka_unit_test(test_rule_ids),
	    cmocka_unit_test(test_layout),
	    cmocka_unit_test(test_declaration_after_use),
	    cmocka_unit_test(test_rule_order),
	    cmocka_unit_test(test_parse_file),
	    cmocka_unit_test(test_null_policy),
	    cmocka_unit_test(test_duration_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
