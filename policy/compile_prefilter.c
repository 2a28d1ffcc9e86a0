// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * compile_prefilter.c - the 'prefilter' statements into the XDP pre-filter's maps: the zones
 * that drop early ("pre_meta") and one LPM trie of source prefixes -> zones ("pre_src").
 *
 * The datapath makes one longest-prefix lookup and tests its zone's bit, so every prefix must
 * carry the zones of all the prefixes that cover it: zone A blocking 10.0.0.0/8 and zone B
 * 10.1.0.0/16 give 10.1.0.0/16 the zones {A, B}. Sorted by (address, length) the prefixes come
 * in trie pre-order, and a stack of ancestors carries the zones down: one OR per prefix.
 * IPv6 prefixes that cover the IPv4-mapped range (::/0) mean IPv6 only, as in rules: the
 * range ::ffff:0:0/96 gets a node of its own that inherits nothing from them.
 */
#include <stdlib.h>
#include <string.h>

#include "compile_internal.h"

struct pre_node {
	struct pol_prefix pfx;
	__u64 zones;
};

static int node_cmp(const void *a, const void *b)
{
	return pol_prefix_cmp(&((const struct pre_node *)a)->pfx,
	                      &((const struct pre_node *)b)->pfx);
}

static bool in_v4_range(const struct pol_prefix *p)
{
	return pol_prefix_covers(&pol_v4_mapped, p);
}

/* Every member of every prefilter set, with the zone it is blocked in, and the IPv4 range
 * node when an IPv6 prefix covers the range (its zones start empty). NULL: out of memory. */
static struct pre_node *collect(const struct policy *p, size_t *n)
{
	size_t total = 1, k = 0;
	bool covers_v4 = false;
	struct pre_node *v;

	for (size_t i = 0; i < p->nprefilters; i++)
		for (size_t s = 0; s < p->prefilters[i].nsets; s++)
			total += p->sets[p->prefilters[i].set_ids[s]].n;
	v = calloc(total, sizeof(*v));
	if (!v)
		return NULL;
	for (size_t i = 0; i < p->nprefilters; i++) {
		const struct pol_prefilter *pf = &p->prefilters[i];

		for (size_t s = 0; s < pf->nsets; s++) {
			const struct pol_set *set = &p->sets[pf->set_ids[s]];

			for (size_t m = 0; m < set->n; m++) {
				v[k].pfx = set->v[m];
				v[k++].zones = 1ull << pf->zone_id;
				covers_v4 |= pol_prefix_family(&set->v[m]) == POL_FAM_ANY;
			}
		}
	}
	if (covers_v4)
		v[k++].pfx = pol_v4_mapped;
	*n = k;
	return v;
}

int compile_prefilter(const struct policy *p, struct policy_image *img, struct policy_diags *diags)
{
	size_t n = 0, out = 0, depth = 0;
	struct pre_node *v, **stack;

	memset(&img->pre_meta, 0, sizeof(img->pre_meta));
	for (size_t i = 0; i < p->nprefilters; i++) {
		const struct pol_prefilter *pf = &p->prefilters[i];

		if (pf->nsets)
			img->pre_meta.zones_blocked |= 1ull << pf->zone_id;
		if (pf->untracked)
			img->pre_meta.zones_untracked |= 1ull << pf->zone_id;
	}
	v = collect(p, &n);
	stack = calloc(129, sizeof(*stack)); /* a chain of ancestors is at most 129 long */
	if (!v || !stack)
		goto oom;
	qsort(v, n, sizeof(*v), node_cmp);
	/* Merge duplicates (the same prefix in several sets or zones). */
	for (size_t i = 0; i < n; i++) {
		if (out && pol_prefix_cmp(&v[out - 1].pfx, &v[i].pfx) == 0)
			v[out - 1].zones |= v[i].zones;
		else
			v[out++] = v[i];
	}
	n = out;
	if (n > TCFW_PREFILTER_MAX_PREFIXES / TCFW_POLICY_COPIES) {
		pol_diag(diags, p->name, 0, 0,
		         "the prefilter sets hold %zu distinct prefixes: at most %d fit in the "
		         "datapath; merge prefixes into larger ones",
		         n, TCFW_PREFILTER_MAX_PREFIXES / TCFW_POLICY_COPIES);
		goto fail;
	}
	img->pre_src = calloc(n ? n : 1, sizeof(*img->pre_src));
	if (!img->pre_src)
		goto oom;
	for (size_t i = 0; i < n; i++) {
		struct pre_node *cur = &v[i];
		struct policy_prefilter_entry *e = &img->pre_src[i];

		while (depth && !pol_prefix_covers(&stack[depth - 1]->pfx, &cur->pfx))
			depth--;
		/* An IPv4 prefix inherits only from IPv4 prefixes (see the top of this file). */
		if (depth && (!in_v4_range(&cur->pfx) || in_v4_range(&stack[depth - 1]->pfx)))
			cur->zones |= stack[depth - 1]->zones;
		if (depth < 129)
			stack[depth++] = cur;
		e->key.prefixlen = 32 + cur->pfx.plen;
		e->key.copy = img->copy;
		memcpy(e->key.addr, cur->pfx.addr, sizeof(e->key.addr));
		e->zones = cur->zones;
	}
	img->npre_src = n;
	free(v);
	free(stack);
	return 0;
oom:
	pol_diag(diags, p->name, 0, 0, "out of memory while compiling the prefilter");
fail:
	free(v);
	free(stack);
	return -1;
}
