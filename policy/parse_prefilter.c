// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * parse_prefilter.c - the 'prefilter' statement: a zone's XDP pre-filter (docs/policy.md).
 *
 *   prefilter ZONE '{' { 'drop' 'from' '@'SET | 'drop' 'untracked' } '}'
 *
 * Names are resolved by the checker (prefilter.c), like those of rules.
 */
#include <stdlib.h>
#include <string.h>

#include "quote.h"
#include "parse_internal.h"
#include "policy_internal.h"

/* The statement being parsed: the last one of the policy. */
static struct pol_prefilter *current(struct parser *ps)
{
	return &ps->pol->prefilters[ps->pol->nprefilters - 1];
}

static int prefilter_set(struct parser *ps, struct pol_prefilter *pf)
{
	struct pol_loc loc = ps_loc(ps);
	size_t n = pf->nsets + 1;
	char **sets;
	int *ids;
	struct pol_loc *locs;

	if (ps->tok.kind != TOK_WORD || ps->tok.text[0] != '@' || !pol_valid_name(ps->tok.text + 1))
		return ps_expected(ps, "a set after 'drop from' (@NAME): the prefilter drops "
		                       "sources by set, declared with 'set NAME { ... }'");
	sets = realloc(pf->sets, n * sizeof(*sets));
	if (sets)
		pf->sets = sets;
	ids = realloc(pf->set_ids, n * sizeof(*ids));
	if (ids)
		pf->set_ids = ids;
	locs = realloc(pf->set_locs, n * sizeof(*locs));
	if (locs)
		pf->set_locs = locs;
	if (!sets || !ids || !locs || !(pf->sets[pf->nsets] = ps_strdup(ps, ps->tok.text + 1))) {
		ps->oom = true;
		return -1;
	}
	pf->set_ids[pf->nsets] = -1;
	pf->set_locs[pf->nsets] = loc;
	pf->nsets = n;
	ps_next(ps);
	return 0;
}

static int prefilter_entry(struct parser *ps)
{
	struct pol_prefilter *pf = current(ps);

	if (!ps_is_word(ps, "drop"))
		return ps_expected(ps, "'drop from @SET' or 'drop untracked' in prefilter");
	ps_next(ps);
	if (ps_is_word(ps, "untracked")) {
		if (pf->untracked_loc.line) {
			ps_error_at(ps, ps_loc(ps),
			            "'drop untracked' is already written at line %d",
			            pf->untracked_loc.line);
			return -1;
		}
		pf->untracked = true;
		pf->untracked_loc = ps_loc(ps);
		ps_next(ps);
		return 0;
	}
	if (ps_is_word(ps, "from")) {
		ps_next(ps);
		return prefilter_set(ps, pf);
	}
	return ps_expected(ps, "'from @SET' or 'untracked' after 'drop' in prefilter");
}

int parse_prefilter(struct parser *ps)
{
	struct policy *p = ps->pol;
	struct pol_prefilter *v, *pf;
	struct pol_loc loc = ps_loc(ps);

	ps_next(ps);
	if (ps->tok.kind != TOK_WORD || !pol_valid_name(ps->tok.text))
		return ps_expected(ps, "a zone name after 'prefilter'");
	v = realloc(p->prefilters, (p->nprefilters + 1) * sizeof(*v));
	if (!v) {
		ps->oom = true;
		return -1;
	}
	p->prefilters = v;
	pf = &p->prefilters[p->nprefilters];
	memset(pf, 0, sizeof(*pf));
	pf->zone_id = -1;
	pf->loc = loc;
	pf->zone_loc = ps_loc(ps);
	pf->zone = ps_strdup(ps, ps->tok.text);
	if (!pf->zone)
		return -1;
	p->nprefilters++;
	ps_next(ps);
	if (parse_block(ps, "prefilter", prefilter_entry) < 0) {
		p->prefilters[p->nprefilters - 1].had_errors = true;
		return -1;
	}
	return 0;
}
