// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * edit.c - run-time rule edits (fwctl rule add / del). An added rule is written exactly as on a
 * policy line and checked against the policy's zones and sets; it is appended to the end of its
 * chain and gets a new id. Ids are never reused while the policy lives, so a hit counter or a
 * log line that names rule 7 always means the same rule.
 */
#include <string.h>

#include "policy_internal.h"

int policy_rule_add(struct policy *p, const char *line, struct policy_diags *diags)
{
	struct policy *scratch;
	struct pol_rule *r;
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
