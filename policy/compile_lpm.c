// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * compile_lpm.c - source / destination addresses of one chain into LPM entries.
 *
 * The trie holds every prefix the chain's rules name (literals and the members of the sets
 * they use), a ::/0 default so that every lookup hits, and ::ffff:0:0/96 when a rule names an
 * IPv6 prefix that covers the IPv4-mapped range (such a prefix means IPv6 only). A lookup
 * returns the longest prefix P containing the address; P's class must hold exactly the rules
 * whose constraint is true for every address whose longest match is P. For "a in U" (U a union
 * of prefixes in the trie) that is so iff some member of U covers P - a member inside P is a
 * longer match of its own, a member beside P is disjoint - and "!U" is the complement, so:
 *
 *   class(P) = wildcard | (covered(P) & positive) | (~covered(P) & negated)
 *
 * covered(P) is the OR of the rules attached to P and its ancestors in the trie. The prefixes
 * are sorted (address, then length), which visits the trie in pre-order; a stack of ancestors
 * carries covered() down, so a 100,000-prefix set costs one bitmap OR per member.
 */
#include <stdlib.h>
#include <string.h>

#include "compile_internal.h"

/* One prefix attached to a rule (literal) or to a set (all the rules using it). */
struct attach {
	struct pol_prefix pfx;
	int32_t rule; /* >= 0: a literal of this rule */
	int32_t set;  /* >= 0: a member of this set; both -1: only a trie node (::/0, v4 range) */
};

struct lpm_build {
	struct attach *v;
	size_t n, cap;
	uint64_t **set_bits; /* set index -> rules of this chain using it in this field */
	size_t nw;
	uint64_t *pos, *neg, *wild;
};

static int attach_add(struct lpm_build *b, const struct pol_prefix *pfx, int32_t rule, int32_t set)
{
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		struct attach *v = realloc(b->v, cap * sizeof(*v));

		if (!v)
			return -1;
		b->v = v;
		b->cap = cap;
	}
	b->v[b->n++] = (struct attach){*pfx, rule, set};
	return 0;
}

static int attach_cmp(const void *a, const void *b)
{
	return pol_prefix_cmp(&((const struct attach *)a)->pfx, &((const struct attach *)b)->pfx);
}

/* Rule bitmaps (wildcard, positive, negated) and the attachments of every prefix. */
static int collect(struct compiler *c, const struct chain_rules *cr, bool dst, struct lpm_build *b)
{
	const struct policy *p = c->p;
	static const struct pol_prefix all = {.plen = 0};
	bool need_v4_range = false;

	for (size_t i = 0; i < cr->n; i++) {
		const struct pol_addr_match *m = dst ? &cr->v[i]->dst : &cr->v[i]->src;

		/* A dynamic set is looked up by the datapath once the rule's other fields
		 * matched (classify.h): in the trie the rule matches every address. */
		if (m->kind == POL_ADDR_ANY ||
		    (m->kind == POL_ADDR_SET && p->sets[m->set].dynamic)) {
			bit_set(b->wild, i);
			continue;
		}
		bit_set(m->neg ? b->neg : b->pos, i);
		if (m->kind == POL_ADDR_PREFIX || m->kind == POL_ADDR_LIST) {
			/* An inline list is literals of this rule, like one prefix. */
			size_t n;
			const struct pol_prefix *v = pol_addr_prefixes(p, m, &n);

			for (size_t k = 0; k < n; k++) {
				if (attach_add(b, &v[k], (int32_t)i, -1) < 0)
					return -1;
				need_v4_range |= pol_prefix_family(&v[k]) == POL_FAM_ANY;
			}
			continue;
		}
		if (!b->set_bits[m->set]) {
			const struct pol_set *s = &p->sets[m->set];

			b->set_bits[m->set] = calloc(b->nw ? b->nw : 1, sizeof(uint64_t));
			if (!b->set_bits[m->set])
				return -1;
			for (size_t k = 0; k < s->n; k++) {
				if (attach_add(b, &s->v[k], -1, m->set) < 0)
					return -1;
				need_v4_range |= pol_prefix_family(&s->v[k]) == POL_FAM_ANY;
			}
		}
		bit_set(b->set_bits[m->set], i);
	}
	if (attach_add(b, &all, -1, -1) < 0)
		return -1;
	if (need_v4_range && attach_add(b, &pol_v4_mapped, -1, -1) < 0)
		return -1;
	qsort(b->v, b->n, sizeof(b->v[0]), attach_cmp);
	return 0;
}

static int entry_add(struct compiler *c, bool dst, enum tcfw_chain chain,
                     const struct pol_prefix *pfx, __u32 class_id)
{
	struct policy_lpm_entry **v = dst ? &c->img->dst : &c->img->src;
	size_t *n = dst ? &c->img->ndst : &c->img->nsrc, *cap = dst ? &c->dst_cap : &c->src_cap;
	struct policy_lpm_entry *e;

	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;

		e = realloc(*v, ncap * sizeof(*e));
		if (!e)
			return -1;
		*v = e;
		*cap = ncap;
	}
	e = &(*v)[(*n)++];
	memset(e, 0, sizeof(*e));
	e->key.prefixlen = 32 + pfx->plen;
	e->key.copy = c->copy;
	e->key.chain = (__u8)chain;
	memcpy(e->key.addr, pfx->addr, sizeof(e->key.addr));
	e->class_id = class_id;
	return 0;
}

/*
 * One level of the ancestor stack: the prefix and what covers it. cover_v6 holds rules whose
 * covering prefix spans the IPv4-mapped range: they cover this node's class only when the
 * class lies outside that range.
 */
struct level {
	struct pol_prefix pfx;
	uint64_t *cover, *cover_v6;
};

static void or_group(const struct lpm_build *b, const struct attach *a, uint64_t *dst)
{
	if (a->rule >= 0)
		bit_set(dst, (size_t)a->rule);
	else if (a->set >= 0)
		for (size_t k = 0; k < b->nw; k++)
			dst[k] |= b->set_bits[a->set][k];
}

static int walk(struct compiler *c, const struct chain_rules *cr, bool dst, struct lpm_build *b,
                uint64_t *levels_mem, uint64_t *cls)
{
	struct level stack[130];
	size_t depth = 0, nw = b->nw;

	for (size_t i = 0; i < b->n;) {
		const struct pol_prefix *pfx = &b->v[i].pfx;
		bool spans_v4 = pol_prefix_family(pfx) == POL_FAM_ANY;
		bool in_v4 = pol_prefix_family(pfx) == POL_FAM_V4;
		struct level *lv;
		int64_t key;

		while (depth && !pol_prefix_covers(&stack[depth - 1].pfx, pfx))
			depth--;
		lv = &stack[depth];
		lv->pfx = *pfx;
		lv->cover = levels_mem + depth * 2 * nw;
		lv->cover_v6 = lv->cover + nw;
		if (depth) {
			memcpy(lv->cover, stack[depth - 1].cover, nw * sizeof(uint64_t));
			memcpy(lv->cover_v6, stack[depth - 1].cover_v6, nw * sizeof(uint64_t));
		} else {
			memset(lv->cover, 0, 2 * nw * sizeof(uint64_t));
		}
		for (; i < b->n && pol_prefix_cmp(&b->v[i].pfx, pfx) == 0; i++)
			or_group(b, &b->v[i], spans_v4 ? lv->cover_v6 : lv->cover);
		depth++;

		for (size_t k = 0; k < nw; k++) {
			uint64_t cover = lv->cover[k] | (in_v4 ? 0 : lv->cover_v6[k]);

			cls[k] = b->wild[k] | (cover & b->pos[k]) | (~cover & b->neg[k]);
		}
		key = class_key(c, cs_intern(&c->cs, cls, nw));
		if (key < 0 || entry_add(c, dst, cr->chain, pfx, (__u32)key) < 0)
			return -1;
	}
	return 0;
}

int compile_lpm_chain(struct compiler *c, const struct chain_rules *cr, bool dst)
{
	struct lpm_build b = {.nw = cr->nwords};
	size_t nw1 = b.nw ? b.nw : 1;
	uint64_t *masks = calloc(4 * nw1, sizeof(uint64_t));
	uint64_t *levels = calloc(130 * 2 * nw1, sizeof(uint64_t));
	int rc = -1;

	b.set_bits = calloc(c->p->nsets ? c->p->nsets : 1, sizeof(*b.set_bits));
	if (!masks || !levels || !b.set_bits)
		goto oom;
	b.wild = masks;
	b.pos = masks + nw1;
	b.neg = masks + 2 * nw1;
	if (collect(c, cr, dst, &b) < 0)
		goto oom;
	rc = walk(c, cr, dst, &b, levels, masks + 3 * nw1);
	if (rc < 0 && !c->cs.full)
		c->cs.oom = true;
	goto out;
oom:
	c->cs.oom = true;
out:
	for (size_t s = 0; b.set_bits && s < c->p->nsets; s++)
		free(b.set_bits[s]);
	free(b.set_bits);
	free(b.v);
	free(masks);
	free(levels);
	return rc;
}
