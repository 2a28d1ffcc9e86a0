/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * compile_internal.h - the pieces of policy_compile(), shared by compile.c (the driver),
 * class_store.c (deduplicated class bitmaps), compile_scalar.c (zones, protocol, family,
 * ports) and compile_lpm.c (source and destination addresses).
 *
 * For one chain, rule i (its position in the chain) is bit i of every bitmap. A field's value
 * space is cut into classes; each class is the bitmap of rules whose constraint on that field
 * holds for every value of the class. Bitmaps are nwords = ceil(nrules / 64) words here; the
 * class store trims trailing zero words so that equal classes of different chains share one id.
 */
#ifndef TCFW_POLICY_COMPILE_INTERNAL_H
#define TCFW_POLICY_COMPILE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy_internal.h"

/* ---- class_store.c ---------------------------------------------------------------------- */
struct class_store {
	uint64_t *pool; /* words of every class, back to back */
	size_t pool_len, pool_cap;
	size_t *off;   /* class id -> first word in pool */
	uint32_t *len; /* class id -> words (trailing zeros trimmed) */
	size_t n, cap;
	uint32_t *table; /* open addressing: class id + 1, 0 = empty */
	size_t table_cap;
	size_t limit; /* TCFW_POLICY_MAX_CLASSES */
	bool full, oom;
};

void cs_init(struct class_store *cs, size_t limit);
void cs_fini(struct class_store *cs);
/* The id of the class with bitmap w[0..nwords), added if new. -1 when the store is full
 * (cs->full) or out of memory (cs->oom). */
int64_t cs_intern(struct class_store *cs, const uint64_t *w, size_t nwords);

/* ---- the rules of one chain --------------------------------------------------------------- */
struct chain_rules {
	enum tcfw_chain chain;
	const struct pol_rule **v; /* position -> rule */
	size_t n, nwords;
};

static inline void bit_set(uint64_t *w, size_t i)
{
	w[i / 64] |= 1ull << (i % 64);
}

struct compiler {
	const struct policy *p;
	__u8 copy;
	struct policy_image *img;
	struct class_store cs;
	size_t src_cap, dst_cap;
};

/* Class key of id (what the maps store), or -1 passed through. */
static inline int64_t class_key(const struct compiler *c, int64_t id)
{
	return id < 0 ? id : (int64_t)TCFW_CLASS_KEY(c->copy, (__u32)id);
}

/* ---- compile_scalar.c ------------------------------------------------------------------- */
/* Fill the chain's part of img->scalar. 0, or -1 when the class store failed. */
int compile_scalar_chain(struct compiler *c, const struct chain_rules *cr);

/* ---- compile_lpm.c ---------------------------------------------------------------------- */
/* Append the chain's LPM entries for the source (dst false) or destination addresses. 0, or
 * -1 when the class store failed or memory ran out. */
int compile_lpm_chain(struct compiler *c, const struct chain_rules *cr, bool dst);

/* compile_prefilter.c: img->pre_meta and img->pre_src from the prefilter statements. 0, or -1
 * with diags (out of memory, more prefixes than one copy of "pre_src" holds). */
int compile_prefilter(const struct policy *p, struct policy_image *img, struct policy_diags *diags);

#endif
