// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * prefilter.c - the 'prefilter' statements once parsed: names resolved and checked, printed
 * in the normal form, freed. The compiler's part is compile_prefilter.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "quote.h"
#include "parse_internal.h"
#include "policy_internal.h"

/* "unknown set '@X'", with a suggestion among the declared sets when one is close. */
static void unknown_set(const struct policy *p, const char *name, struct pol_loc loc,
                        const char *file, struct policy_diags *d)
{
	const char *cands[64];
	unsigned int k = 0;
	char hint[96];

	for (size_t i = 0; i < p->nsets && k < 64; i++)
		cands[k++] = p->sets[i].name;
	did_you_mean(hint, sizeof(hint), name, cands, k, "@");
	if (hint[0])
		pol_diag(d, file, loc.line, loc.col, "unknown set '@%s'%s", name, hint);
	else
		pol_diag(d, file, loc.line, loc.col,
		         "unknown set '@%s': declare it with 'set %s { ADDR, ... }'", name, name);
}

static int check_one(const struct policy *p, struct pol_prefilter *pf, size_t i, const char *file,
                     struct policy_diags *d)
{
	int nerr = pol_resolve_zone(p, pf->zone, pf->zone_loc, &pf->zone_id, file, d);

	for (size_t j = 0; j < i && !nerr; j++)
		if (p->prefilters[j].zone_id == pf->zone_id) {
			pol_diag(
			    d, file, pf->zone_loc.line, pf->zone_loc.col,
			    "zone %s already has a prefilter (line %d): write its entries in one "
			    "block",
			    QUOTE(pf->zone), p->prefilters[j].loc.line);
			nerr++;
		}
	for (size_t s = 0; s < pf->nsets; s++) {
		pf->set_ids[s] = pol_set_find(p, pf->sets[s]);
		if (pf->set_ids[s] < 0) {
			unknown_set(p, pf->sets[s], pf->set_locs[s], file, d);
			nerr++;
		} else if (p->sets[pf->set_ids[s]].dynamic) {
			pol_diag(
			    d, file, pf->set_locs[s].line, pf->set_locs[s].col,
			    "prefilter cannot use dynamic set '@%s': its trie is compiled with "
			    "the policy; use a static set, or a rule 'input drop from @%s' / "
			    "'forward drop from @%s'",
			    pf->sets[s], pf->sets[s], pf->sets[s]);
			nerr++;
		}
	}
	if (!pf->nsets && !pf->untracked && !pf->had_errors) {
		pol_diag(d, file, pf->loc.line, pf->loc.col,
		         "prefilter %s drops nothing: add 'drop from @SET' or 'drop untracked', or "
		         "remove it",
		         pf->zone);
		nerr++;
	}
	return nerr;
}

int pol_check_prefilters(struct policy *p, const char *file, struct policy_diags *d)
{
	int nerr = 0;

	for (size_t i = 0; i < p->nprefilters; i++)
		nerr += check_one(p, &p->prefilters[i], i, file, d);
	return nerr;
}

void pol_prefilters_free(struct policy *p)
{
	for (size_t i = 0; i < p->nprefilters; i++) {
		struct pol_prefilter *pf = &p->prefilters[i];

		for (size_t s = 0; s < pf->nsets; s++)
			free(pf->sets[s]);
		free(pf->sets);
		free(pf->set_ids);
		free(pf->set_locs);
		free(pf->zone);
	}
	free(p->prefilters);
	p->prefilters = NULL;
	p->nprefilters = 0;
}

void pol_prefilters_format(FILE *f, const struct policy *p)
{
	for (size_t i = 0; i < p->nprefilters; i++) {
		const struct pol_prefilter *pf = &p->prefilters[i];

		fprintf(f, "\nprefilter %s {\n", pf->zone);
		for (size_t s = 0; s < pf->nsets; s++)
			fprintf(f, "\tdrop from @%s\n", pf->sets[s]);
		if (pf->untracked)
			fputs("\tdrop untracked\n", f);
		fputs("}\n", f);
	}
}

bool policy_zone_prefiltered(const struct policy *p, size_t zone)
{
	for (size_t i = 0; p && i < p->nprefilters; i++)
		if (p->prefilters[i].zone_id >= 0 && (size_t)p->prefilters[i].zone_id == zone)
			return true;
	return false;
}
