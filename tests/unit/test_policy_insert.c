// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_policy_insert.c - `fwctl rule add --before/--after` in the library: the rule goes next
 * to the named rule of its chain with a new id, the formatted policy shows the order and loads
 * back to the same text (what `fwctl policy save` writes), and a bad position changes nothing.
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

static const char base[] = "zone lan { lan0 }\n"
			   "zone wan { wan0 }\n"
			   "defaults { input drop; forward drop }\n"
			   "input accept in lan\n"               /* 1 */
			   "forward accept in lan out wan\n"     /* 2 */
			   "forward accept proto tcp dport 80\n" /* 3 */
			   "nat masquerade out wan\n";           /* 4 */

static struct policy *parse_ok(const char *text)
{
	struct policy_diags d = {0};
	struct policy *p = policy_parse("policy.conf", text, strlen(text), &d);

	if (!p) {
		char *msg = policy_diags_str(&d);

		fail_msg("does not parse:\n%s", msg);
	}
	policy_diags_free(&d);
	return p;
}

/* The rule lines of the formatted policy, ids included, in order. */
static void rules_of(const struct policy *p, char *out, size_t len)
{
	char *text = policy_format(p, NULL, 0), *save = NULL;
	size_t used = 0;

	assert_non_null(text);
	out[0] = '\0';
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		if (l[0] == '[')
			used += (size_t)snprintf(out + used, len - used, "%s\n", l);
	free(text);
}

static void test_before_after(void **state)
{
	struct policy_diags d = {0};
	struct policy *p = parse_ok(base), *again;
	char rules[1024], rules_again[1024];
	char *text, *text_again;

	(void)state;
	assert_int_equal(
	    policy_rule_insert(p, "forward drop from 203.0.113.66", POLICY_RULE_BEFORE, 2, &d), 5);
	assert_int_equal(
	    policy_rule_insert(p, "forward reject proto tcp dport 25", POLICY_RULE_AFTER, 2, &d),
	    6);
	assert_int_equal(
	    policy_rule_insert(p, "forward accept proto udp dport 53", POLICY_RULE_AFTER, 3, &d),
	    7);
	assert_int_equal(
	    policy_rule_insert(p, "input accept proto icmp", POLICY_RULE_BEFORE, 1, &d), 8);
	assert_int_equal(policy_rule_insert(p, "nat snat out wan from 10.0.0.0/8 -> 192.0.2.1",
	                                    POLICY_RULE_BEFORE, 4, &d),
	                 9);
	assert_int_equal(policy_rule_add(p, "forward drop", &d), 10);
	assert_int_equal(d.n, 0);
	rules_of(p, rules, sizeof(rules));
	assert_string_equal(rules, "[8] input accept proto icmp\n"
	                           "[1] input accept in lan\n"
	                           "[5] forward drop from 203.0.113.66\n"
	                           "[2] forward accept in lan out wan\n"
	                           "[6] forward reject proto tcp dport 25\n"
	                           "[3] forward accept proto tcp dport 80\n"
	                           "[7] forward accept proto udp dport 53\n"
	                           "[10] forward drop\n"
	                           "[9] nat snat out wan from 10.0.0.0/8 -> 192.0.2.1\n"
	                           "[4] nat masquerade out wan\n");

	/* What `policy save` writes loads back to the same rules, ids and order. */
	text = policy_format(p, NULL, 0);
	again = parse_ok(text);
	rules_of(again, rules_again, sizeof(rules_again));
	assert_string_equal(rules_again, rules);
	text_again = policy_format(again, NULL, 0);
	assert_string_equal(text_again, text);
	/* And the next id after the reload is still a new one. */
	assert_int_equal(policy_rule_add(again, "input drop", &d), 11);
	assert_int_equal(policy_check_fits(again, &d), 0);
	free(text);
	free(text_again);
	policy_free(again);
	policy_free(p);
}

static void test_bad_position(void **state)
{
	static const struct {
		const char *line;
		enum policy_rule_pos pos;
		uint32_t ref;
		const char *diags;
	} bad[] = {
	    {"forward drop", POLICY_RULE_BEFORE, 99,
	     "rule: no rule with id 99 to insert next to (see fwctl rule list)\n"},
	    {"forward drop", POLICY_RULE_AFTER, 1,
	     "rule: rule 1 is in the input chain and the new rule in forward: a position is "
	     "given by a rule of the same chain (see fwctl rule list)\n"},
	    {"nat dnat in wan proto tcp dport 22 -> 10.0.0.2", POLICY_RULE_BEFORE, 4,
	     "rule: rule 4 is in the snat chain and the new rule in dnat: a position is given by "
	     "a rule of the same chain (see fwctl rule list)\n"},
	    {"forward drop in wann", POLICY_RULE_BEFORE, 2,
	     "rule:1:17: unknown zone 'wann' (did you mean 'wan'?)\n"},
	};
	struct policy *p = parse_ok(base);
	char before[1024], after[1024];

	(void)state;
	rules_of(p, before, sizeof(before));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct policy_diags d = {0};
		char *msg;

		assert_int_equal(policy_rule_insert(p, bad[i].line, bad[i].pos, bad[i].ref, &d),
		                 -1);
		msg = policy_diags_str(&d);
		assert_string_equal(msg, bad[i].diags);
		free(msg);
		policy_diags_free(&d);
	}
	rules_of(p, after, sizeof(after));
	assert_string_equal(after, before);
	/* A failed insert used no id. */
	{
		struct policy_diags d = {0};

		assert_int_equal(policy_rule_add(p, "output drop", &d), 5);
	}
	policy_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_before_after),
	    cmocka_unit_test(test_bad_position),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
