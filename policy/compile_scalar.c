// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * compile_scalar.c - the scalar fields of one chain into "pol_scalar": for every slot of the
 * chain's block (64 input zones, 64 output zones, 256 protocols, 2 families, 65536 + 1 source
 * and destination ports) the class of rules that match that value.
 *
 * Zones, protocols and families: one bitmap per value, the rules naming that value plus the
 * rules that do not constrain the field (a rule with sport/dport and no 'proto' is a TCP and
 * UDP rule). The dport slots hold ICMP rules' types too: the datapath looks up an ICMP or
 * ICMPv6 packet's type there, as it looks up a TCP or UDP packet's destination port. Ports: a sweep
 * over the range boundaries, so a rule with "dport 1000-2000" costs two events, not a thousand
 * slots; the slot TCFW_SCALAR_NOPORT (protocols without ports) matches only rules without a port
 * constraint.
 */
#include <stdlib.h>
#include <string.h>

#include "compile_internal.h"

static __u32 *slot(struct compiler *c, enum tcfw_chain chain, unsigned int off)
{
	/* The image holds this copy's block only: index relative to copy's first slot. */
	return &c->img->scalar[(size_t)chain * TCFW_SCALAR_BLOCK + off];
}

/*
 * A field with few values: value_of(rule) is the value the rule requires, or -1 when the rule
 * does not constrain the field. Fills nvalues slots from off.
 */
static int small_field(struct compiler *c, const struct chain_rules *cr, unsigned int off,
                       unsigned int nvalues, int (*value_of)(const struct pol_rule *r))
{
	size_t nw = cr->nwords;
	uint64_t *bits = calloc((size_t)(nvalues + 1) * (nw ? nw : 1), sizeof(*bits));
	uint64_t *wild = bits + (size_t)nvalues * nw;
	int rc = 0;

	if (!bits) {
		c->cs.oom = true;
		return -1;
	}
	for (size_t i = 0; i < cr->n; i++) {
		int v = value_of(cr->v[i]);

		if (v < 0)
			bit_set(wild, i);
		else if ((unsigned int)v < nvalues)
			bit_set(bits + (size_t)v * nw, i);
	}
	for (unsigned int v = 0; v < nvalues && rc == 0; v++) {
		uint64_t *w = bits + (size_t)v * nw;
		int64_t key;

		for (size_t k = 0; k < nw; k++)
			w[k] |= wild[k];
		key = class_key(c, cs_intern(&c->cs, w, nw));
		if (key < 0)
			rc = -1;
		else
			*slot(c, cr->chain, off + v) = (__u32)key;
	}
	free(bits);
	return rc;
}

static int in_zone_of(const struct pol_rule *r)
{
	return r->in_zone ? r->in_zone_id : -1;
}

static int out_zone_of(const struct pol_rule *r)
{
	return r->out_zone ? r->out_zone_id : -1;
}

/* Protocol slots: the rules whose protocols (one, a list, or TCP and UDP for ports without
 * 'proto': pol_rule_protos()) hold that value. */
static int proto_fill(struct compiler *c, const struct chain_rules *cr)
{
	size_t nw = cr->nwords ? cr->nwords : 1;
	uint64_t *bits = calloc(257 * nw, sizeof(*bits)), *wild = bits + 256 * nw;
	int rc = 0;

	if (!bits) {
		c->cs.oom = true;
		return -1;
	}
	for (size_t i = 0; i < cr->n; i++) {
		const struct pol_rule *r = cr->v[i];
		uint64_t protos[4];

		if (r->proto >= 0) { /* the common cases first: one protocol, or none */
			bit_set(bits + (size_t)r->proto * nw, i);
			continue;
		}
		if (!r->proto_list && !r->sport.n && !r->dport.n) {
			bit_set(wild, i);
			continue;
		}
		pol_rule_protos(r, protos);
		for (unsigned int w = 0; w < 4; w++)
			for (uint64_t m = protos[w]; m; m &= m - 1)
				bit_set(bits + (size_t)(w * 64 + (unsigned int)__builtin_ctzll(m)) *
				                   nw,
				        i);
	}
	for (unsigned int v = 0; v < 256 && rc == 0; v++) {
		uint64_t *w = bits + (size_t)v * nw;
		int64_t key;

		for (size_t k = 0; k < cr->nwords; k++)
			w[k] |= wild[k];
		key = class_key(c, cs_intern(&c->cs, w, cr->nwords));
		if (key < 0)
			rc = -1;
		else
			*slot(c, cr->chain, TCFW_SCALAR_OFF_PROTO + v) = (__u32)key;
	}
	free(bits);
	return rc;
}

/* Family slots: 0 = ip, 1 = ip6. */
static int family_fill(struct compiler *c, const struct chain_rules *cr)
{
	size_t nw = cr->nwords;
	uint64_t *bits = calloc(2 * (nw ? nw : 1), sizeof(*bits));
	int rc = 0;

	if (!bits) {
		c->cs.oom = true;
		return -1;
	}
	for (size_t i = 0; i < cr->n; i++) {
		if (cr->v[i]->families & POL_FAM_V4)
			bit_set(bits, i);
		if (cr->v[i]->families & POL_FAM_V6)
			bit_set(bits + nw, i);
	}
	for (unsigned int f = 0; f < 2 && rc == 0; f++) {
		int64_t key = class_key(c, cs_intern(&c->cs, bits + f * nw, nw));

		if (key < 0)
			rc = -1;
		else
			*slot(c, cr->chain, TCFW_SCALAR_OFF_FAMILY + f) = (__u32)key;
	}
	free(bits);
	return rc;
}

/* ---- ports ------------------------------------------------------------------------------ */
/* At port `at`, rule `rule` starts or stops matching (its ranges never overlap or touch, so
 * a toggle is exact). */
struct port_event {
	uint32_t at;
	uint32_t rule;
};

static int event_cmp(const void *a, const void *b)
{
	const struct port_event *x = a, *y = b;

	return x->at != y->at ? (x->at < y->at ? -1 : 1) : 0;
}

static int ports_fill(struct compiler *c, const struct chain_rules *cr, bool dport)
{
	unsigned int off = dport ? TCFW_SCALAR_OFF_DPORT : TCFW_SCALAR_OFF_SPORT;
	size_t nw = cr->nwords, nev = 0, cap = 0;
	struct port_event *ev = NULL;
	uint64_t *cur = calloc(nw ? nw : 1, sizeof(*cur));
	int64_t key;
	int rc = -1;

	if (!cur)
		goto oom;
	for (size_t i = 0; i < cr->n; i++) {
		/* ICMP rules' types go where ports go: the datapath looks an ICMP packet's
		 * type up in the dport slots (the protocol slots keep TCP, UDP and ICMP rules
		 * apart), so that a type costs no lookup more than a port. */
		const struct pol_ports *pp =
		    dport ? (cr->v[i]->itype.n ? &cr->v[i]->itype : &cr->v[i]->dport)
			  : &cr->v[i]->sport;

		if (!pp->n) {
			bit_set(cur, i); /* no constraint: every port, and no port at all */
			continue;
		}
		if (nev + 2 * pp->n > cap) {
			struct port_event *e;

			cap = (nev + 2 * pp->n) * 2;
			e = realloc(ev, cap * sizeof(*e));
			if (!e)
				goto oom;
			ev = e;
		}
		for (size_t k = 0; k < pp->n; k++) {
			ev[nev++] = (struct port_event){pp->v[k].lo, (uint32_t)i};
			ev[nev++] = (struct port_event){(uint32_t)pp->v[k].hi + 1, (uint32_t)i};
		}
	}
	/* Protocols without ports: only the rules without a port constraint match. */
	key = class_key(c, cs_intern(&c->cs, cur, nw));
	if (key < 0)
		goto out;
	*slot(c, cr->chain, off + TCFW_SCALAR_NOPORT) = (__u32)key;

	if (nev)
		qsort(ev, nev, sizeof(*ev), event_cmp);
	for (size_t e = 0, port = 0; port <= 65535;) {
		size_t end;

		while (e < nev && ev[e].at == port) {
			cur[ev[e].rule / 64] ^= 1ull << (ev[e].rule % 64);
			e++;
		}
		end = e < nev && ev[e].at <= 65536 ? ev[e].at : 65536;
		key = class_key(c, cs_intern(&c->cs, cur, nw));
		if (key < 0)
			goto out;
		for (; port < end; port++)
			*slot(c, cr->chain, off + (unsigned int)port) = (__u32)key;
	}
	rc = 0;
	goto out;
oom:
	c->cs.oom = true;
out:
	free(ev);
	free(cur);
	return rc;
}

int compile_scalar_chain(struct compiler *c, const struct chain_rules *cr)
{
	if (small_field(c, cr, TCFW_SCALAR_OFF_IN_ZONE, TCFW_MAX_ZONES, in_zone_of) < 0 ||
	    small_field(c, cr, TCFW_SCALAR_OFF_OUT_ZONE, TCFW_MAX_ZONES, out_zone_of) < 0 ||
	    proto_fill(c, cr) < 0 || family_fill(c, cr) < 0 || ports_fill(c, cr, false) < 0 ||
	    ports_fill(c, cr, true) < 0)
		return -1;
	return 0;
}
