// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * policy.c - the policy object: parse entry points, lifetime, and the accessors fwd and fwctl
 * use (zones and their interfaces, rule counts). A policy with any error is never returned:
 * the caller gets NULL and every diagnostic, sorted by position.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "file_read.h"
#include "policy_internal.h"

struct policy *pol_new(const char *name)
{
	struct policy *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->name = strdup(name ? name : "policy");
	if (!p->name) {
		free(p);
		return NULL;
	}
	p->next_id = 1;
	/* Unwritten defaults: netfilter's (accept), but invalid packets are dropped, since an
	 * out-of-state packet would otherwise pass without any rule seeing it. */
	for (int h = 0; h <= TCFW_CHAIN_OUTPUT; h++)
		p->default_verdict[h] = TCFW_VERDICT_ACCEPT;
	p->invalid_verdict = TCFW_VERDICT_DROP;
	memcpy(p->timeouts, pol_default_timeouts, sizeof(p->timeouts));
	return p;
}

void pol_rule_free(struct pol_rule *r)
{
	if (!r)
		return;
	free(r->in_zone);
	free(r->out_zone);
	free(r->src.set_name);
	free(r->dst.set_name);
	free(r->sport.v);
	free(r->dport.v);
	free(r->itype.v);
	free(r->src.list);
	free(r->dst.list);
	free(r->comment);
	free(r->log_prefix);
	free(r->add_set);
	free(r);
}

int pol_rules_append(struct policy *p, struct pol_rule *r)
{
	if (p->nrules == p->rules_cap) {
		size_t cap = p->rules_cap ? p->rules_cap * 2 : 16;
		struct pol_rule **v = realloc(p->rules, cap * sizeof(*v));

		if (!v)
			return -1;
		p->rules = v;
		p->rules_cap = cap;
	}
	p->rules[p->nrules++] = r;
	return 0;
}

void policy_free(struct policy *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nzones; i++) {
		for (size_t j = 0; j < p->zones[i].nif; j++)
			free(p->zones[i].ifnames[j]);
		free(p->zones[i].ifnames);
		free(p->zones[i].if_locs);
		free(p->zones[i].name);
	}
	free(p->zones);
	for (size_t i = 0; i < p->nsets; i++) {
		free(p->sets[i].v);
		free(p->sets[i].name);
	}
	free(p->sets);
	for (size_t i = 0; i < p->nrules; i++)
		pol_rule_free(p->rules[i]);
	free(p->rules);
	for (int h = 0; h <= TCFW_CHAIN_OUTPUT; h++)
		free(p->default_prefix[h]);
	pol_prefilters_free(p);
	free(p->name);
	free(p);
}

static int diag_cmp(const void *a, const void *b)
{
	const struct policy_diag *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->col < y->col ? -1 : x->col > y->col;
}

/* Sort the diagnostics added since `from` by position (a stable order for equal places
 * is not needed: two messages never share one column). */
static void diags_sort_from(struct policy_diags *d, size_t from)
{
	if (d && d->n > from + 1)
		qsort(d->v + from, d->n - from, sizeof(d->v[0]), diag_cmp);
}

struct policy *policy_parse(const char *name, const char *text, size_t len,
                            struct policy_diags *diags)
{
	size_t first = diags ? diags->n : 0;
	struct policy *p = pol_new(name);
	int nerr;

	if (!p) {
		pol_diag(diags, name, 0, 0, "out of memory while parsing the policy");
		return NULL;
	}
	nerr = pol_parse_text(p, name, text, len, diags, false);
	nerr += pol_check(p, name, diags);
	if (nerr) {
		diags_sort_from(diags, first);
		policy_free(p);
		return NULL;
	}
	return p;
}

struct policy *policy_parse_file(const char *path, struct policy_diags *diags)
{
	struct policy *p;
	char *text;
	size_t len;
	FILE *f = fopen(path, "r");
	int err;

	if (!f) {
		pol_diag(diags, path, 0, 0, "cannot open the policy: %s", strerror(errno));
		return NULL;
	}
	err = file_read_all(f, 0, &text, &len);
	fclose(f);
	if (err == -ENOMEM) {
		pol_diag(diags, path, 0, 0, "out of memory reading the policy");
		return NULL;
	}
	if (err) {
		pol_diag(diags, path, 0, 0, "cannot read the policy: %s", strerror(-err));
		return NULL;
	}
	p = policy_parse(path, text, len, diags);
	free(text);
	return p;
}

/* ---- accessors ------------------------------------------------------------------------------ */
int pol_zone_find(const struct policy *p, const char *name)
{
	for (size_t i = 0; i < p->nzones; i++)
		if (strcmp(p->zones[i].name, name) == 0)
			return (int)i;
	return -1;
}

int pol_set_find(const struct policy *p, const char *name)
{
	for (size_t i = 0; i < p->nsets; i++)
		if (strcmp(p->sets[i].name, name) == 0)
			return (int)i;
	return -1;
}

size_t policy_zone_count(const struct policy *p)
{
	return p ? p->nzones : 0;
}

const char *policy_zone_name(const struct policy *p, size_t zone)
{
	return p && zone < p->nzones ? p->zones[zone].name : NULL;
}

size_t policy_zone_ifcount(const struct policy *p, size_t zone)
{
	return p && zone < p->nzones ? p->zones[zone].nif : 0;
}

size_t policy_interface_count(const struct policy *p)
{
	size_t n = 0;

	for (size_t z = 0; p && z < p->nzones; z++)
		n += p->zones[z].nif;
	return n;
}

const char *policy_zone_ifname(const struct policy *p, size_t zone, size_t i)
{
	if (!p || zone >= p->nzones || i >= p->zones[zone].nif)
		return NULL;
	return p->zones[zone].ifnames[i];
}

int policy_zone_of_ifname(const struct policy *p, const char *ifname)
{
	for (size_t z = 0; p && ifname && z < p->nzones; z++)
		for (size_t i = 0; i < p->zones[z].nif; i++)
			if (strcmp(p->zones[z].ifnames[i], ifname) == 0)
				return (int)z;
	return -1;
}

size_t policy_rule_count(const struct policy *p)
{
	return p ? p->nrules : 0;
}

uint32_t policy_rule_max_id(const struct policy *p)
{
	uint32_t max = 0;

	for (size_t i = 0; p && i < p->nrules; i++)
		if (p->rules[i]->id > max)
			max = p->rules[i]->id;
	return max;
}

/* ---- log prefixes (kept in user space: the datapath's event names the rule id) -------------- */
const char *policy_rule_log_prefix_at(const struct policy *p, size_t i, uint32_t *id)
{
	if (!p || i >= p->nrules)
		return NULL;
	if (id)
		*id = p->rules[i]->id;
	return p->rules[i]->log_prefix;
}

bool policy_default_log(const struct policy *p, enum tcfw_chain chain, const char **prefix)
{
	if (prefix)
		*prefix = NULL;
	if (!p || chain > TCFW_CHAIN_OUTPUT)
		return false;
	if (prefix)
		*prefix = p->default_prefix[chain];
	return p->default_log[chain];
}
