// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * edit.c - run-time rule edits (fwctl rule add / del). An added rule is written exactly as on a
 * policy line and checked against the policy's zones and sets; it goes to the end of its chain,
 * or just before or after a given rule of that chain, and gets a new id. Ids are never reused while
 * the policy lives, so a hit counter or a log line that names rule 7 always means the same rule.
 */
#include <string.h>

#include "policy_internal.h"

static const char *chain_text(enum tcfw_chain c)
{
	static const char *const names[] = {"input", "forward", "output", "dnat", "snat"};

	return c < TCFW_CHAIN_MAX ? names[c] : "?";
}

/* The index of rule ref in p->rules, checked against the new rule's chain; -1 with diags. */
static long ref_index(const struct policy *p, const struct pol_rule *r, uint32_t ref,
                      struct policy_diags *diags)
{
	for (size_t i = 0; i < p->nrules; i++) {
		if (p->rules[i]->id != ref)
			continue;
		if (p->rules[i]->chain != r->chain) {
			pol_diag(diags, "rule", 0, 0,
			         "rule %u is in the %s chain and the new rule in %s: a position is "
			         "given by a rule of the same chain (see fwctl rule list)",
			         ref, chain_text(p->rules[i]->chain), chain_text(r->chain));
			return -1;
		}
		return (long)i;
	}
	pol_diag(diags, "rule", 0, 0, "no rule with id %u to insert next to (see fwctl rule list)",
	         ref);
	return -1;
}

int policy_rule_add(struct policy *p, const char *line, struct policy_diags *diags)
{
	return policy_rule_insert(p, line, POLICY_RULE_APPEND, 0, diags);
}

int policy_rule_insert(struct policy *p, const char *line, enum policy_rule_pos pos, uint32_t ref,
                       struct policy_diags *diags)
{
	struct policy *scratch;
	struct pol_rule *r;
	long at = -1;
	int nerr;

	if (!p || !line) {
		pol_diag(diags, NULL, 0, 0, "no policy or no rule text to add");
		return -1;
	}
	/* Parse into a scratch policy so that a failure leaves p untouched. */
	scratch = pol_new("rule");
	if (!scratch) {
		pol_diag(diags, "rule", 0, 0, "out of memory while adding a rule");
		return -1;
	}
	nerr = pol_parse_text(scratch, "rule", line, strlen(line), diags, true);
	if (nerr == 0 && scratch->nrules != 1) {
		pol_diag(diags, "rule", 0, 0, "expected exactly one rule, got %zu",
		         scratch->nrules);
		nerr++;
	}
	if (nerr == 0 && scratch->rules[0]->explicit_id) {
		pol_diag(diags, "rule", scratch->rules[0]->loc.line, scratch->rules[0]->loc.col,
		         "an added rule gets a new id: leave out '[%u]'", scratch->rules[0]->id);
		nerr++;
	}
	if (nerr == 0)
		nerr = pol_check_rule(p, scratch->rules[0], "rule", diags);
	if (nerr == 0 && p->next_id > POL_RULE_ID_MAX) {
		pol_diag(diags, "rule", 0, 0, "no rule id left: reload the policy to renumber");
		nerr++;
	}
	if (nerr == 0 && pos != POLICY_RULE_APPEND) {
		at = ref_index(p, scratch->rules[0], ref, diags);
		if (at < 0)
			nerr++;
		else if (pos == POLICY_RULE_AFTER)
			at++;
	}
	if (nerr) {
		policy_free(scratch);
		return -1;
	}
	r = scratch->rules[0];
	r->id = p->next_id;
	if (pol_rules_append(p, r) < 0) {
		pol_diag(diags, "rule", 0, 0, "out of memory while adding a rule");
		policy_free(scratch);
		return -1;
	}
	p->next_id++;
	scratch->nrules = 0; /* r now belongs to p */
	/* Rules apply in list order within their chain: move r from the end to its place. */
	if (at >= 0 && (size_t)at < p->nrules - 1) {
		memmove(&p->rules[at + 1], &p->rules[at],
		        (p->nrules - 1 - (size_t)at) * sizeof(p->rules[0]));
		p->rules[at] = r;
	}
	policy_free(scratch);
	return (int)r->id;
}

int policy_rule_del(struct policy *p, uint32_t id)
{
	for (size_t i = 0; p && i < p->nrules; i++) {
		if (p->rules[i]->id != id)
			continue;
		pol_rule_free(p->rules[i]);
		memmove(&p->rules[i], &p->rules[i + 1], (p->nrules - i - 1) * sizeof(p->rules[0]));
		p->nrules--;
		return 0;
	}
	return -1;
}
