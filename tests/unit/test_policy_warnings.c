// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_policy_warnings.c - the checker's warnings (policy_warnings()), with their exact text
 * and place: rules that an earlier rule shadows, duplicates, NAT that translates nothing,
 * forward rules naming a port forward's public port, a missing defaults block, no rules. Each
 * warning claims something about every packet, so the cases where the checker must stay
 * silent are tested as carefully as those where it speaks. Also: a forgotten '}' is one error
 * ("missing '}' for the block opened at L:C"), not a cascade.
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

/* Zones, sets and defaults, so that only the rules under test give warnings. Rules start at
 * line 5. */
#define HEAD                                                                                       \
	"zone lan { lan0 }\n"                                                                      \
	"zone wan { wan0 }\n"                                                                      \
	"set admins { 198.51.100.0/24, 2001:db8:1::/48 }\n"                                        \
	"defaults { input drop; forward drop; output accept }\n"

struct warn_case {
	const char *what;
	const char *text;
	const char *diags; /* every line policy_diags_str() gives; "" for none */
};

#define SHADOW(l, e, chain)                                                                        \
	"policy.conf:" #l ":1: warning: rule can never match: the rule at line " #e                \
	" comes first in the " chain " chain and matches everything this one matches; move this "  \
	"rule above it, narrow that one, or remove this one\n"
#define DUP(l, e, chain)                                                                           \
	"policy.conf:" #l ":1: warning: duplicate of the rule at line " #e " (same " chain         \
	" chain, matches and action): this one never matches; remove one of them\n"

static const struct warn_case cases[] = {
    /* ---- shadowed rules ---- */
    {"zone covers zone and port",
     HEAD "input accept in lan\ninput drop in lan proto tcp dport 22\n", SHADOW(6, 5, "input")},
    {"no match covers everything", HEAD "forward drop\nforward accept in lan out wan\n",
     SHADOW(6, 5, "forward")},
    {"port range covers a port list",
     HEAD "forward accept dport 1000-2000\nforward drop proto udp dport { 1000, 1500-1600 }\n",
     SHADOW(6, 5, "forward")},
    {"prefix covers prefix", HEAD "forward drop from 10.0.0.0/8\nforward accept from 10.1.0.0/16\n",
     SHADOW(6, 5, "forward")},
    {"prefix covers a set's members",
     HEAD "set s { 198.51.100.7, 198.51.100.128/25 }\n"
          "output reject to 198.51.100.0/24\noutput accept to @s\n",
     SHADOW(7, 6, "output")},
    {"a set covers a prefix", HEAD "input accept from @admins\ninput drop from 2001:db8:1:2::/64\n",
     SHADOW(6, 5, "input")},
    {"same set", HEAD "input accept from @admins\ninput drop from @admins proto tcp\n",
     SHADOW(6, 5, "input")},
    {"negation holds a disjoint prefix",
     HEAD "forward drop from !10.0.0.0/8\nforward accept from 192.168.1.0/24\n",
     SHADOW(6, 5, "forward")},
    {"negation holds a narrower negation",
     HEAD "forward drop to !10.0.0.0/16\nforward accept to !10.0.0.0/8\n", SHADOW(6, 5, "forward")},
    {"family covers family", HEAD "input accept proto tcp\ninput drop proto tcp family ip6\n",
     SHADOW(6, 5, "input")},
    {"the first shadowing rule is named",
     HEAD "input accept in lan\ninput accept\ninput drop in lan proto udp\n",
     SHADOW(7, 5, "input")},
    {"dnat shadowed",
     HEAD "nat dnat in wan proto tcp -> 10.0.0.5\nnat dnat in wan proto tcp dport 80 -> "
          "10.0.0.6\n",
     SHADOW(6, 5, "dnat")},
    {"masquerade shadows snat",
     HEAD "nat masquerade out wan\nnat snat out wan from 10.0.0.0/8 -> 198.51.100.1\n",
     SHADOW(6, 5, "snat and masquerade")},
    /* ---- prefilter ---- */
    {"drop untracked with invalid accept",
     "zone wan { wan0 }\ndefaults { forward drop; invalid accept }\nforward accept in wan\n"
     "prefilter wan { drop untracked }\n",
     "policy.conf:4:22: warning: 'drop untracked' drops nothing while the defaults say 'invalid "
     "accept': the prefilter drops only what conntrack would drop; write 'invalid drop' or "
     "remove it\n"},
    {"drop untracked with invalid drop: silent",
     "zone wan { wan0 }\ndefaults { forward drop; invalid drop }\nforward accept in wan\n"
     "prefilter wan { drop untracked }\n",
     ""},
    /* ---- when unsure, or not shadowed: silent ---- */
    {"a rate limit lets the excess through",
     HEAD "input accept proto tcp dport 22 limit 10/minute\ninput drop proto tcp dport 22\n", ""},
    {"other chain", HEAD "input drop\nforward accept in lan\n", ""},
    {"later rule broader", HEAD "input accept in lan proto tcp\ninput drop in lan\n", ""},
    {"other protocol", HEAD "input accept proto tcp dport 22\ninput drop proto udp dport 22\n", ""},
    {"ports only partly covered",
     HEAD "forward accept dport 1000-2000\nforward drop dport { 1500, 2001 }\n", ""},
    {"zone against no zone", HEAD "forward accept in lan\nforward drop out wan\n", ""},
    {"IPv6-only ::/0 does not hold IPv4",
     HEAD "forward drop from ::/0\nforward accept from 10.0.0.1\n", ""},
    {"negated prefix that overlaps",
     HEAD "forward drop from !10.0.0.0/8\nforward accept from 10.1.0.0/16\n", ""},
    {"a positive prefix does not hold a negation",
     HEAD "forward drop from 10.0.0.0/8\nforward accept from !10.0.0.0/8\n", ""},
    {"an empty set", HEAD "set none { }\nforward drop\nforward accept from @none\n",
     SHADOW(7, 6, "forward")},
    {"an empty set shadows nothing", HEAD "set none { }\nforward drop from @none\nforward accept\n",
     ""},
    /* ---- duplicates ---- */
    {"duplicate filter rule",
     HEAD
     "forward accept in lan proto tcp dport 22\nforward accept proto tcp in lan dport 22 log\n",
     DUP(6, 5, "forward")},
    {"same matches, other verdict", HEAD "input accept proto icmp\ninput drop proto icmp\n",
     SHADOW(6, 5, "input")},
    {"duplicate dnat",
     HEAD "nat dnat in wan proto tcp dport 80 -> 10.0.0.5\nnat dnat in wan proto tcp dport 80 -> "
          "10.0.0.5\n",
     DUP(6, 5, "dnat")},
    {"same dnat matches, other target",
     HEAD "nat dnat in wan proto tcp dport 80 -> 10.0.0.5\nnat dnat in wan proto tcp dport 80 -> "
          "10.0.0.6\n",
     SHADOW(6, 5, "dnat")},
    /* ---- NAT that translates nothing ---- */
    /* (IPv6 NAT targets and IPv6-only masquerades are errors: test_policy_errors.c) */
    {"masquerade of both families", HEAD "nat masquerade out wan\n", ""},
    /* ---- ICMP types that never reach the rules ---- */
    {"icmp type that never opens a connection",
     HEAD "input accept proto icmp type { echo-request, echo-reply }\n",
     "policy.conf:5:25: warning: icmp type echo-reply never opens a connection (replies and "
     "errors are accepted as established or related traffic, other types are invalid): this "
     "part of the rule never matches; the types that can are echo-request, timestamp-request, "
     "info-request and address-mask-request\n"},
    {"icmpv6 error type", HEAD "input accept proto icmpv6 type packet-too-big\n",
     "policy.conf:5:27: warning: icmpv6 type packet-too-big never opens a connection (replies "
     "and errors are accepted as established or related traffic, other types are invalid): "
     "this part of the rule never matches; the types that can are echo-request and 139 (node "
     "information query)\n"},
    {"accepting neighbour discovery", HEAD "input accept proto icmpv6 type nd-router-advert\n",
     "policy.conf:5:27: warning: icmpv6 type nd-router-advert is neighbour discovery or MLD, "
     "which tcfw always passes before the rules: naming it here changes nothing\n"},
    {"echo requests only", HEAD "input accept proto icmpv6 type { echo-request, 139 }\n", ""},
    /* ---- protocol lists, ICMP types and address lists in shadowing ---- */
    {"protocol list covers one of its protocols",
     HEAD "input accept proto { tcp, udp }\ninput drop proto udp dport 53\n",
     SHADOW(6, 5, "input")},
    {"one protocol does not cover a list",
     HEAD "input accept proto udp\ninput drop proto { tcp, udp }\n", ""},
    {"ports without proto cover a tcp and udp list",
     HEAD "input accept dport 22\ninput drop proto { udp, tcp } dport 22\n", SHADOW(6, 5, "input")},
    {"icmp without type covers a type",
     HEAD "input accept proto icmp\ninput drop proto icmp type echo-request\n",
     SHADOW(6, 5, "input")},
    {"icmp type does not cover icmp",
     HEAD "input accept proto icmp type echo-request\ninput drop proto icmp\n", ""},
    {"icmp types cover a subset",
     HEAD "input accept proto icmp type { 8, 13 }\ninput drop proto icmp type 13\n",
     SHADOW(6, 5, "input")},
    {"address list covers a range inside it",
     HEAD "input accept from { 10.0.0.0/8, 192.0.2.0/24 }\ninput drop from 10.1.0.1-10.1.0.7\n",
     SHADOW(6, 5, "input")},
    {"range does not cover a wider prefix",
     HEAD "input accept from 10.1.0.0-10.1.0.7\ninput drop from 10.1.0.0/24\n", ""},
    /* ---- forward rules naming a port forward's public port ---- */
    {"public port with the inside address",
     HEAD "nat dnat in wan proto tcp dport 8080 -> 10.0.0.5:80\n"
          "forward accept proto tcp dport 8080 to 10.0.0.5\n",
     "policy.conf:6:32: warning: port 8080 is the public port of the port forward at line 5, "
     "but forward rules see the translated destination 10.0.0.5:80: this rule does not match "
     "that traffic; use 'dport 80'\n"},
    {"public port from the port forward's zone",
     HEAD "nat dnat in wan proto tcp dport { 8080, 8443 } -> 10.0.0.5:443\n"
          "forward accept in wan dport 8443\n",
     "policy.conf:6:29: warning: port 8443 is the public port of the port forward at line 5, "
     "but forward rules see the translated destination 10.0.0.5:443: this rule does not match "
     "that traffic; use 'dport 443'\n"},
    {"inside port named too",
     HEAD "nat dnat in wan proto tcp dport 8080 -> 10.0.0.5:80\n"
          "forward accept proto tcp dport { 80, 8080 } to 10.0.0.5\n",
     ""},
    {"port kept by the port forward",
     HEAD "nat dnat in wan proto tcp dport 8080 -> 10.0.0.5\n"
          "forward accept proto tcp dport 8080 to 10.0.0.5\n",
     ""},
    {"another host and zone",
     HEAD "nat dnat in wan proto tcp dport 8080 -> 10.0.0.5:80\n"
          "forward accept in lan proto tcp dport 8080 to 192.0.2.1\n",
     ""},
    {"the port forward's zone, another destination",
     HEAD "nat dnat in wan proto tcp dport 8080 -> 10.0.0.5:80\n"
          "forward accept in wan proto tcp dport 8080 to 192.0.2.50\n",
     ""},
    {"another protocol",
     HEAD "nat dnat in wan proto tcp dport 8080 -> 10.0.0.5:80\n"
          "forward accept in wan proto udp dport 8080\n",
     ""},
    /* ---- the policy as a whole ---- */
    {"no defaults block", "zone lan { lan0 }\ninput accept in lan\n",
     "policy.conf: warning: no defaults block: the defaults are input accept, forward accept, "
     "output accept, invalid drop (what no rule decides is accepted); write 'defaults { input "
     "drop ... }' to choose\n"},
    {"defaults in part", "defaults { forward drop }\ninput accept\n", ""},
    {"no rules", "zone lan { lan0 }\ndefaults { input drop; forward drop }\n",
     "policy.conf: warning: the policy has no rules: every new connection gets its hook's "
     "default (input drop, forward drop, output accept, invalid drop)\n"},
    {"an empty file", "",
     "policy.conf: warning: no defaults block: the defaults are input accept, forward accept, "
     "output accept, invalid drop (what no rule decides is accepted); write 'defaults { input "
     "drop ... }' to choose\n"
     "policy.conf: warning: the policy has no rules: every new connection gets its hook's "
     "default (input accept, forward accept, output accept, invalid drop)\n"},
    {"the contract's example",
     HEAD "input accept in lan\ninput accept proto tcp dport 22 from @admins\n"
          "forward accept in lan out wan\nforward accept proto tcp dport 80 to 10.10.1.2\n"
          "nat masquerade out wan from 10.10.1.0/24\n"
          "nat dnat in wan proto tcp dport 8080 -> 10.10.1.2:80\n",
     ""},
};

static void test_warning_cases(void **state)
{
	int failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct policy_diags d = {0};
		struct policy *p =
		    policy_parse("policy.conf", cases[i].text, strlen(cases[i].text), &d);
		char *got;

		if (!p) {
			char *err = policy_diags_str(&d);

			print_error("case '%s': the policy does not parse:\n%s", cases[i].what,
			            err);
			free(err);
			policy_diags_free(&d);
			failed++;
			continue;
		}
		assert_int_equal(d.n, 0);
		policy_warnings(p, &d);
		got = policy_diags_str(&d);
		assert_non_null(got);
		if (strcmp(got, cases[i].diags) != 0) {
			print_error("\ncase '%s':\nexpected:\n%s\ngot:\n%s\n", cases[i].what,
			            cases[i].diags, got);
			failed++;
		}
		assert_int_equal(policy_diags_errors(&d), 0);
		for (size_t k = 0; k < d.n; k++)
			assert_int_equal(d.v[k].severity, POLICY_WARNING);
		free(got);
		policy_diags_free(&d);
		policy_free(p);
	}
	if (failed)
		fail_msg("%d of %zu warning cases gave other messages than expected", failed,
		         sizeof(cases) / sizeof(cases[0]));
}

/* A forgotten '}' is one error at the place the '}' belongs, naming where the block opened;
 * what the block declared still counts, so the rules that use it are not errors too. */
static const struct warn_case unclosed_cases[] = {
    {"zone used by the next rules", "zone lan { lan0\ninput accept in lan\ninput drop in lan\n",
     "policy.conf:2:1: missing '}' for the block opened at 1:10: add it before this line\n"},
    {"set over lines", "set s { 10.0.0.1,\n 10.0.0.2\ninput accept from @s\nforward drop to @s\n",
     "policy.conf:3:1: missing '}' for the block opened at 1:7: add it before this line\n"},
    {"zone at the end of the file", "zone lan { lan0\n",
     "policy.conf:2:1: missing '}' for the block opened at 1:10: the file ends inside it\n"},
    {"port list", "input accept proto tcp dport { 22, 80\ninput accept proto icmp\n",
     "policy.conf:2:1: missing '}' for the block opened at 1:30: add it before this line\n"},
    {"defaults followed by rules",
     "zone lan { lan0 }\ndefaults {\n input drop\n forward drop\n"
     "input accept proto tcp dport 22\nforward accept in lan\n",
     "policy.conf:5:1: missing '}' for the 'defaults' block opened at 2:10: add it before this "
     "line\n"},
    {"timeouts followed by a zone",
     "timeouts {\n udp 30s\nzone lan { lan0 }\ninput accept in lan\n",
     "policy.conf:3:1: missing '}' for the 'timeouts' block opened at 1:10: add it before this "
     "line\n"},
    {"later errors still reported", "zone lan { lan0\ninput accept in lan\ninput drop in wann\n",
     "policy.conf:2:1: missing '}' for the block opened at 1:10: add it before this line\n"
     "policy.conf:3:15: unknown zone 'wann' (did you mean 'lan'?)\n"},
};

static void test_unclosed_block(void **state)
{
	int failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(unclosed_cases) / sizeof(unclosed_cases[0]); i++) {
		const struct warn_case *c = &unclosed_cases[i];
		struct policy_diags d = {0};
		struct policy *p = policy_parse("policy.conf", c->text, strlen(c->text), &d);
		char *got = policy_diags_str(&d);

		assert_null(p);
		assert_non_null(got);
		if (strcmp(got, c->diags) != 0) {
			print_error("\ncase '%s':\nexpected:\n%s\ngot:\n%s\n", c->what, c->diags,
			            got);
			failed++;
		}
		free(got);
		policy_diags_free(&d);
	}
	if (failed)
		fail_msg("%d unclosed-block cases gave other messages than expected", failed);
}

/* Warnings print as "file:line:col: warning: msg" and leave the policy loadable. */
static void test_warning_form(void **state)
{
	static const char text[] = HEAD "input accept\ninput accept\n";
	struct policy_diags d = {0};
	struct policy *p = policy_parse("policy.conf", text, sizeof(text) - 1, &d);
	char buf[512] = {0};
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	(void)state;
	assert_non_null(p);
	assert_int_equal(policy_warnings(p, &d), 1);
	assert_int_equal(d.v[0].line, 6);
	assert_int_equal(d.v[0].col, 1);
	assert_non_null(f);
	policy_diags_print(&d, f);
	fclose(f);
	assert_string_equal(buf, DUP(6, 5, "input"));
	assert_int_equal(policy_check_fits(p, &d), 0);
	assert_int_equal(policy_warnings(NULL, &d), 0);
	policy_diags_free(&d);
	policy_free(p);
}

/* The pairwise checks have a budget: a large policy is checked quickly and stays silent
 * rather than slow once the budget is spent. */
static void test_many_rules(void **state)
{
	size_t n = 2000, cap = n * 64 + 256, len = 0;
	char *text = malloc(cap);
	struct policy_diags d = {0};
	struct policy *p;

	(void)state;
	assert_non_null(text);
	len += (size_t)snprintf(text, cap, "%s", HEAD);
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(text + len, cap - len,
		                        "forward accept proto tcp dport %zu\n", i + 1);
	len += (size_t)snprintf(text + len, cap - len, "forward drop proto tcp dport 17\n");
	p = policy_parse("policy.conf", text, len, &d);
	assert_non_null(p);
	assert_int_equal(policy_warnings(p, &d), 1);
	assert_int_equal(d.v[0].line, (int)n + 5);
	policy_diags_free(&d);
	policy_free(p);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_warning_cases),
	    cmocka_unit_test(test_unclosed_block),
	    cmocka_unit_test(test_warning_form),
	    cmocka_unit_test(test_many_rules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
