// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * compile.c - policy_compile(): a checked policy to the contents of the policy maps of one copy
 * (see "Rule classification" in tcfw_abi.h).
 *
 * Chains: input, forward and output take the filter rules of their hook, dnat the nat dnat
 * statements, snat the nat snat and masquerade statements; within a chain, position = order
 * in the policy. For each chain the scalar fields (compile_scalar.c) and the two address
 * fields (compile_lpm.c) are cut into classes, deduplicated in one class store for the copy
 * (class_store.c). Then the rules array and the meta entry. Nothing is half-built on failure:
 * the image is freed and the diagnostics say why (too many rules, too many classes).
 */
#include <stdlib.h>
#include <string.h>

#include "compile_internal.h"

static const char *const chain_names[] = {"input", "forward", "output", "nat dnat",
                                          "nat snat/masquerade"};

/* The dynamic set of an address match: its id + 1, or 0 (none, or a static set). */
static __u8 dyn_of(const struct policy *p, const struct pol_addr_match *m)
{
	if (m->kind != POL_ADDR_SET || m->set < 0 || !p->sets[m->set].dynamic)
		return 0;
	return (__u8)(p->sets[m->set].dyn_id + 1);
}

static int fill_rule(const struct policy *p, struct tcfw_rule *out, const struct pol_rule *r)
{
	memset(out, 0, sizeof(*out));
	out->id = r->id;
	if (pol_rule_hashes(r, &out->content_hash, &out->comment_hash) < 0)
		return -1;
	switch (r->kind) {
	case POL_RULE_FILTER:
		out->verdict = (__u8)r->verdict;
		break;
	case POL_RULE_MASQUERADE:
		out->verdict = TCFW_NAT_SNAT;
		out->nat_flags = TCFW_NATF_MASQ;
		break;
	case POL_RULE_SNAT:
	case POL_RULE_DNAT:
		out->verdict = r->kind == POL_RULE_SNAT ? TCFW_NAT_SNAT : TCFW_NAT_DNAT;
		memcpy(out->nat_addr_lo, r->nat.lo, sizeof(out->nat_addr_lo));
		memcpy(out->nat_addr_hi, r->nat.hi, sizeof(out->nat_addr_hi));
		out->nat_port_lo = r->nat.port_lo;
		out->nat_port_hi = r->nat.port_hi;
		break;
	}
	if (r->log)
		out->flags |= TCFW_RULEF_LOG;
	if (r->limit_rate) {
		out->flags |= TCFW_RULEF_LIMIT;
		out->limit_rate = r->limit_rate;
		out->limit_period_s = r->limit_period_s;
		out->limit_burst = r->limit_burst ? r->limit_burst : r->limit_rate;
		if (r->limit_per_source)
			out->flags |= TCFW_RULEF_LIMIT_SRC;
	}
	out->dyn_src = dyn_of(p, &r->src);
	out->dyn_dst = dyn_of(p, &r->dst);
	if (out->dyn_src || out->dyn_dst)
		out->flags |= TCFW_RULEF_DYNSET;
	if (out->dyn_src && r->src.neg)
		out->dyn_neg |= TCFW_DYN_SRC_NEG;
	if (out->dyn_dst && r->dst.neg)
		out->dyn_neg |= TCFW_DYN_DST_NEG;
	if (r->add_set && r->add_set_id >= 0) {
		out->flags |= TCFW_RULEF_ADD;
		out->dyn_add = (__u8)(p->sets[r->add_set_id].dyn_id + 1);
	}
	return 0;
}

/* The rules of each chain in order; an error when one has more than the datapath holds. */
static int split_chains(const struct policy *p, struct chain_rules cr[TCFW_CHAIN_MAX],
                        struct policy_diags *diags)
{
	size_t count[TCFW_CHAIN_MAX] = {0};
	const struct pol_rule *first_over[TCFW_CHAIN_MAX] = {0};
	int nerr = 0;

	for (size_t i = 0; i < p->nrules; i++)
		if (++count[p->rules[i]->chain] == TCFW_POLICY_MAX_RULES + 1)
			first_over[p->rules[i]->chain] = p->rules[i];
	for (int c = 0; c < TCFW_CHAIN_MAX; c++) {
		cr[c].chain = (enum tcfw_chain)c;
		if (count[c] > TCFW_POLICY_MAX_RULES) {
			/* At the first rule that does not fit, so an editor can jump there. */
			pol_diag(diags, p->name, first_over[c]->loc.line, first_over[c]->loc.col,
			         "chain %s has %zu rules: at most %d fit in the datapath, this is "
			         "rule %d of it; merge rules with sets or port lists",
			         chain_names[c], count[c], TCFW_POLICY_MAX_RULES,
			         TCFW_POLICY_MAX_RULES + 1);
			nerr++;
		}
		cr[c].v = calloc(count[c] ? count[c] : 1, sizeof(*cr[c].v));
		if (!cr[c].v) {
			pol_diag(diags, p->name, 0, 0, "out of memory while compiling the policy");
			return -1;
		}
	}
	for (size_t i = 0; i < p->nrules; i++) {
		struct chain_rules *c = &cr[p->rules[i]->chain];

		c->v[c->n++] = p->rules[i];
	}
	for (int c = 0; c < TCFW_CHAIN_MAX; c++)
		cr[c].nwords = (cr[c].n + 63) / 64;
	return nerr ? -1 : 0;
}

static int fill_rules(struct compiler *c, const struct chain_rules *cr)
{
	struct policy_image *img = c->img;

	img->rules[cr->chain] = calloc(cr->n ? cr->n : 1, sizeof(struct tcfw_rule));
	if (!img->rules[cr->chain])
		return -1;
	img->nrules[cr->chain] = cr->n;
	for (size_t i = 0; i < cr->n; i++)
		if (fill_rule(c->p, &img->rules[cr->chain][i], cr->v[i]) < 0)
			return -1;
	img->meta.nrules[cr->chain] = (__u32)cr->n;
	img->meta.nwords[cr->chain] = (__u32)cr->nwords;
	return 0;
}

/* The class store's bitmaps as "pol_class" entries, with their summary words. */
static int fill_classes(struct compiler *c)
{
	const struct class_store *cs = &c->cs;
	struct policy_class_entry *v = calloc(cs->n ? cs->n : 1, sizeof(*v));

	if (!v)
		return -1;
	for (size_t id = 0; id < cs->n; id++) {
		struct tcfw_class *cls = &v[id].cls;

		v[id].key = TCFW_CLASS_KEY(c->copy, (__u32)id);
		if (cs->len[id])
			memcpy(cls->w, cs->pool + cs->off[id], cs->len[id] * sizeof(uint64_t));
		for (size_t k = 0; k < cs->len[id]; k++)
			if (cls->w[k])
				cls->summary[k / 64] |= 1ull << (k % 64);
	}
	c->img->classes = v;
	c->img->nclasses = cs->n;
	return 0;
}

static void fill_meta(const struct policy *p, struct policy_image *img)
{
	memcpy(img->meta.timeouts, p->timeouts, sizeof(img->meta.timeouts));
	memcpy(img->meta.default_verdict, p->default_verdict, sizeof(img->meta.default_verdict));
	img->meta.invalid_verdict = p->invalid_verdict;
	for (int h = 0; h <= TCFW_CHAIN_OUTPUT; h++)
		img->meta.default_log[h] = p->default_log[h];
}

int policy_compile(const struct policy *p, __u8 copy, struct policy_image *img,
                   struct policy_diags *diags)
{
	struct chain_rules cr[TCFW_CHAIN_MAX] = {0};
	struct compiler c = {.p = p, .copy = copy, .img = img};
	int rc = -1;

	memset(img, 0, sizeof(*img));
	if (!p || copy >= TCFW_POLICY_COPIES) {
		pol_diag(diags, p ? p->name : NULL, 0, 0, "cannot compile: %s",
		         p ? "policy copy must be 0 or 1" : "no policy");
		return -1;
	}
	img->copy = copy;
	cs_init(&c.cs, TCFW_POLICY_MAX_CLASSES);
	if (split_chains(p, cr, diags) < 0)
		goto out;
	img->nscalar = (size_t)TCFW_CHAIN_MAX * TCFW_SCALAR_BLOCK;
	img->scalar = calloc(img->nscalar, sizeof(*img->scalar));
	if (!img->scalar)
		goto oom;
	for (int ch = 0; ch < TCFW_CHAIN_MAX; ch++) {
		if (compile_scalar_chain(&c, &cr[ch]) < 0 ||
		    compile_lpm_chain(&c, &cr[ch], false) < 0 ||
		    compile_lpm_chain(&c, &cr[ch], true) < 0)
			goto store_failed;
		if (fill_rules(&c, &cr[ch]) < 0)
			goto oom;
	}
	if (fill_classes(&c) < 0)
		goto oom;
	/* Each copy gets half of the tries: the standby copy is written while the active one
	 * still holds its entries. */
	if (img->nsrc > TCFW_POLICY_MAX_PREFIXES / TCFW_POLICY_COPIES ||
	    img->ndst > TCFW_POLICY_MAX_PREFIXES / TCFW_POLICY_COPIES) {
		pol_diag(diags, p->name, 0, 0,
		         "the policy needs %zu source and %zu destination prefix entries: at most "
		         "%d each fit in the datapath; merge prefixes into larger ones",
		         img->nsrc, img->ndst, TCFW_POLICY_MAX_PREFIXES / TCFW_POLICY_COPIES);
		goto out;
	}
	if (compile_prefilter(p, img, diags) < 0)
		goto out;
	fill_meta(p, img);
	rc = 0;
	goto out;
store_failed:
	if (c.cs.full) {
		pol_diag(diags, p->name, 0, 0,
		         "the policy needs more than %d rule classes (distinct sets of rules that "
		         "one address, port, protocol or zone can match); use fewer distinct port "
		         "ranges or address prefixes",
		         TCFW_POLICY_MAX_CLASSES);
		goto out;
	}
oom:
	pol_diag(diags, p->name, 0, 0, "out of memory while compiling the policy");
out:
	cs_fini(&c.cs);
	for (int ch = 0; ch < TCFW_CHAIN_MAX; ch++)
		free(cr[ch].v);
	if (rc < 0)
		policy_image_free(img);
	return rc;
}

int policy_check_fits(const struct policy *p, struct policy_diags *diags)
{
	struct policy_image img;
	int rc = policy_compile(p, 0, &img, diags);

	if (rc == 0)
		policy_image_free(&img);
	return rc;
}

void policy_image_free(struct policy_image *img)
{
	if (!img)
		return;
	free(img->scalar);
	free(img->src);
	free(img->dst);
	free(img->classes);
	free(img->pre_src);
	for (int c = 0; c < TCFW_CHAIN_MAX; c++)
		free(img->rules[c]);
	memset(img, 0, sizeof(*img));
}
