// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * check_warn.c - the checker's warnings: a policy that is valid but does not do what it says.
 * `fwctl policy check` prints them (as `nft -c` prints errors) and fwd's policy-load returns
 * them; the policy loads all the same.
 *
 * A warning is a claim about every packet ("this rule never matches"), so each test here is
 * sound: it may miss a case, never invent one. Where a comparison would be unsure (negated
 * addresses, prefixes that mean "IPv6 only", very large sets, rate limits) it says nothing.
 */
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "tcfw_proto.h"
#include "policy_internal.h"

/* Pairs of prefixes compared for one pair of address matches, and pairs of rules compared for
 * one policy: beyond these, stay silent rather than make a 100,000-prefix load slow. */
#define MAX_PREFIX_PAIRS 65536
#define MAX_RULE_PAIRS   (4u * 1024 * 1024)

static const char *const hook_names[] = {"input", "forward", "output"};
static const char *const verdict_names[] = {"accept", "drop", "reject"};

/* ---- one rule's packets inside another's ----------------------------------------------------- */
static const struct pol_prefix *addr_prefixes(const struct policy *p,
                                              const struct pol_addr_match *m, size_t *n)
{
	/* A dynamic set's members change at run time: nothing can be said about them. */
	if (m->kind == POL_ADDR_SET &&
	    (m->set < 0 || (size_t)m->set >= p->nsets || p->sets[m->set].dynamic)) {
		*n = 0;
		return NULL;
	}
	return pol_addr_prefixes(p, m, n);
}

/* Every address that b matches, a matches too. A prefix that covers the IPv4-mapped range
 * means IPv6 only (see check.c), so it does not hold the IPv4 prefixes it covers bit-wise. */
static bool prefix_match_covers(const struct pol_prefix *a, const struct pol_prefix *b)
{
	if (pol_prefix_family(a) == POL_FAM_ANY && pol_prefix_family(b) == POL_FAM_V4)
		return false;
	return pol_prefix_covers(a, b);
}

/* Each of B inside one of A (B non-empty). */
static bool prefixes_cover(const struct pol_prefix *a, size_t na, const struct pol_prefix *b,
                           size_t nb)
{
	if (!nb || na * nb > MAX_PREFIX_PAIRS)
		return false;
	for (size_t j = 0; j < nb; j++) {
		bool in = false;

		for (size_t i = 0; i < na && !in; i++)
			in = prefix_match_covers(&a[i], &b[j]);
		if (!in)
			return false;
	}
	return true;
}

/* No address in both (two prefixes overlap exactly when one covers the other bit-wise). */
static bool prefixes_disjoint(const struct pol_prefix *a, size_t na, const struct pol_prefix *b,
                              size_t nb)
{
	if (na * nb > MAX_PREFIX_PAIRS)
		return false;
	for (size_t i = 0; i < na; i++)
		for (size_t j = 0; j < nb; j++)
			if (pol_prefix_covers(&a[i], &b[j]) || pol_prefix_covers(&b[j], &a[i]))
				return false;
	return true;
}

static bool spans_v4(const struct pol_prefix *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (pol_prefix_family(&v[i]) == POL_FAM_ANY)
			return true;
	return false;
}

/* outer matches every address that inner matches. */
static bool addr_covers(const struct policy *p, const struct pol_addr_match *outer,
                        const struct pol_addr_match *inner)
{
	const struct pol_prefix *a, *b;
	size_t na, nb;

	if (outer->kind == POL_ADDR_ANY)
		return true;
	if (inner->kind == POL_ADDR_ANY)
		return false;
	if (outer->kind == POL_ADDR_SET && inner->kind == POL_ADDR_SET &&
	    outer->set == inner->set && outer->neg == inner->neg)
		return true;
	a = addr_prefixes(p, outer, &na);
	b = addr_prefixes(p, inner, &nb);
	/* An empty set matches nothing (or, negated, everything): too odd to reason about. */
	if (!na || !nb)
		return false;
	if (!outer->neg && !inner->neg)
		return prefixes_cover(a, na, b, nb);
	/* With negation, "IPv6 only" prefixes would need the complement of a complement. */
	if (spans_v4(a, na) || spans_v4(b, nb))
		return false;
	if (outer->neg && inner->neg) /* not A holds not B when B holds A */
		return prefixes_cover(b, nb, a, na);
	if (outer->neg) /* not A holds B when they share nothing */
		return prefixes_disjoint(a, na, b, nb);
	return false;
}

/* sport/dport: no list matches every port (and packets without ports). */
static bool ports_cover(const struct pol_ports *outer, const struct pol_ports *inner)
{
	if (!outer->n)
		return true;
	if (!inner->n)
		return false;
	/* The parser merged overlapping and adjacent ranges: a range of inner lies inside the
	 * union of outer's only when it lies inside one of them. */
	for (size_t j = 0; j < inner->n; j++) {
		bool in = false;

		for (size_t i = 0; i < outer->n && !in; i++)
			in = outer->v[i].lo <= inner->v[j].lo && inner->v[j].hi <= outer->v[i].hi;
		if (!in)
			return false;
	}
	return true;
}

static bool zone_covers(const char *outer, int outer_id, const char *inner, int inner_id)
{
	if (!outer)
		return true;
	return inner && outer_id == inner_id;
}

/* Every protocol b matches, a matches too. */
static bool protos_cover(const struct pol_rule *a, const struct pol_rule *b)
{
	uint64_t pa[4], pb[4];

	if (a->proto < 0 && !a->proto_list && !a->sport.n && !a->dport.n)
		return true; /* every protocol */
	if (!a->proto_list && !b->proto_list && a->proto >= 0)
		return a->proto == b->proto;
	pol_rule_protos(a, pa);
	pol_rule_protos(b, pb);
	for (int i = 0; i < 4; i++)
		if (pb[i] & ~pa[i])
			return false;
	return true;
}

/* Every packet b matches, a matches too (field by field: a rule is the AND of its fields). */
static bool rule_covers(const struct policy *p, const struct pol_rule *a, const struct pol_rule *b)
{
	return protos_cover(a, b) && (b->families & ~a->families) == 0 &&
	       ports_cover(&a->itype, &b->itype) &&
	       zone_covers(a->in_zone, a->in_zone_id, b->in_zone, b->in_zone_id) &&
	       zone_covers(a->out_zone, a->out_zone_id, b->out_zone, b->out_zone_id) &&
	       ports_cover(&a->sport, &b->sport) && ports_cover(&a->dport, &b->dport) &&
	       addr_covers(p, &a->src, &b->src) && addr_covers(p, &a->dst, &b->dst);
}

static bool nat_target_equal(const struct pol_nat_target *a, const struct pol_nat_target *b)
{
	return !memcmp(a->lo, b->lo, sizeof(a->lo)) && !memcmp(a->hi, b->hi, sizeof(a->hi)) &&
	       a->port_lo == b->port_lo && a->port_hi == b->port_hi;
}

static bool same_action(const struct pol_rule *a, const struct pol_rule *b)
{
	if (a->kind != b->kind)
		return false;
	if (a->kind == POL_RULE_FILTER)
		return a->verdict == b->verdict;
	return a->kind == POL_RULE_MASQUERADE || nat_target_equal(&a->nat, &b->nat);
}

static const char *chain_word(const struct pol_rule *r)
{
	if (r->kind != POL_RULE_FILTER)
		return r->kind == POL_RULE_DNAT ? "dnat" : "snat and masquerade";
	return hook_names[r->chain];
}

/* The first earlier rule of r's chain that matches all r matches: r never matches. */
static void warn_shadowed(const struct policy *p, size_t j, size_t *budget, struct policy_diags *d)
{
	const struct pol_rule *r = p->rules[j];

	for (size_t i = 0; i < j; i++) {
		const struct pol_rule *e = p->rules[i];

		if (e->chain != r->chain)
			continue;
		if (!*budget)
			return;
		--*budget;
		/* A rate-limited rule lets its excess fall through to the rules after it. */
		if (e->limit_rate || !rule_covers(p, e, r))
			continue;
		if (same_action(e, r) && rule_covers(p, r, e))
			pol_warn(d, p->name, r->loc.line, r->loc.col,
			         "duplicate of the rule at line %d (same %s chain, matches and "
			         "action): this one never matches; remove one of them",
			         e->loc.line, chain_word(r));
		else
			pol_warn(d, p->name, r->loc.line, r->loc.col,
			         "rule can never match: the rule at line %d comes first in the %s "
			         "chain and matches everything this one matches; move this rule "
			         "above it, narrow that one, or remove this one",
			         e->loc.line, chain_word(r));
		return;
	}
}

/* ---- ICMP types that no new connection has -------------------------------------------------- */
/* Only requests (echo, ...) open connections; replies and errors are established or related,
 * other types invalid, and neighbour discovery passes before the rules (drop rules naming it
 * are errors, see check.c). Naming them in an accept rule does nothing: say so. */
static void warn_icmp_types(const struct policy *p, const struct pol_rule *r,
                            struct policy_diags *d)
{
	for (size_t i = 0; i < r->itype.n; i++) {
		for (unsigned int t = r->itype.v[i].lo; t <= r->itype.v[i].hi; t++) {
			const char *name = pol_icmp_type_name(r->proto, t);
			char num[8];

			snprintf(num, sizeof(num), "%u", t);
			if (pol_icmp_type_opens(r->proto, t))
				continue;
			if (pol_icmp_type_link(r->proto, t)) {
				pol_warn(d, p->name, r->itype.loc.line, r->itype.loc.col,
				         "icmpv6 type %s is neighbour discovery or MLD, which tcfw "
				         "always "
				         "passes before the rules: naming it here changes nothing",
				         name ? name : num);
				return;
			}
			pol_warn(
			    d, p->name, r->itype.loc.line, r->itype.loc.col,
			    "%s type %s never opens a connection (replies and errors are "
			    "accepted as established or related traffic, other types are "
			    "invalid): this part of the rule never matches; the types that can "
			    "are %s",
			    r->proto == TCFW_PROTO_ICMP ? "icmp" : "icmpv6", name ? name : num,
			    r->proto == TCFW_PROTO_ICMP
				? "echo-request, timestamp-request, info-request and "
				  "address-mask-request"
				: "echo-request and 139 (node information query)");
			return;
		}
	}
}

/* ---- forward rules that name a port forward's public port -------------------------------- */
static bool ports_contain(const struct pol_ports *pp, unsigned int port)
{
	for (size_t i = 0; i < pp->n; i++)
		if (pp->v[i].lo <= port && port <= pp->v[i].hi)
			return true;
	return false;
}

/* The lowest port in both lists, or -1. */
static int ports_common(const struct pol_ports *a, const struct pol_ports *b)
{
	for (size_t i = 0; i < a->n; i++)
		for (size_t j = 0; j < b->n; j++) {
			unsigned int lo = a->v[i].lo > b->v[j].lo ? a->v[i].lo : b->v[j].lo;
			unsigned int hi = a->v[i].hi < b->v[j].hi ? a->v[i].hi : b->v[j].hi;

			if (lo <= hi)
				return (int)lo;
		}
	return -1;
}

/* The forward rule is about the port forward's traffic: it names the inside address, or, naming
 * no destination, the zone the port forward takes connections from. A rule that names another
 * destination is about other traffic (a routed server, say). */
static bool about_port_forward(const struct policy *p, const struct pol_rule *f,
                               const struct pol_rule *dnat)
{
	const struct pol_prefix *v;
	struct pol_prefix target;
	size_t n;

	if (f->dst.kind == POL_ADDR_ANY)
		return f->in_zone && f->in_zone_id == dnat->in_zone_id;
	if (f->dst.neg)
		return false;
	memcpy(target.addr, dnat->nat.lo, sizeof(target.addr));
	target.plen = 128;
	v = addr_prefixes(p, &f->dst, &n);
	for (size_t i = 0; i < n && i < MAX_PREFIX_PAIRS; i++)
		if (pol_prefix_covers(&v[i], &target) && pol_prefix_family(&v[i]) == POL_FAM_V4)
			return true;
	return false;
}

static void warn_public_port(const struct policy *p, const struct pol_rule *f,
                             struct policy_diags *d)
{
	char a[ADDR_STRLEN];

	if (f->kind != POL_RULE_FILTER || f->chain != TCFW_CHAIN_FORWARD || !f->dport.n)
		return;
	for (size_t i = 0; i < p->nrules; i++) {
		const struct pol_rule *x = p->rules[i];
		int pub;

		if (x->kind != POL_RULE_DNAT || !x->nat.port_lo || !x->dport.n ||
		    !addr_is_v4(x->nat.lo))
			continue;
		/* The rule already names the inside port: it works, the public one is extra. */
		if (ports_contain(&f->dport, x->nat.port_lo))
			continue;
		if (f->proto >= 0 && x->proto >= 0 && f->proto != x->proto)
			continue;
		pub = ports_common(&f->dport, &x->dport);
		if (pub < 0 || pub == x->nat.port_lo || !about_port_forward(p, f, x))
			continue;
		pol_warn(d, p->name, f->dport.loc.line, f->dport.loc.col,
		         "port %d is the public port of the port forward at line %d, but forward "
		         "rules see the translated destination %s:%u: this rule does not match "
		         "that traffic; use 'dport %u'",
		         pub, x->loc.line, addr_format(x->nat.lo, a), x->nat.port_lo,
		         x->nat.port_lo);
		return;
	}
}

/* ---- the policy as a whole ----------------------------------------------------------------- */
static void defaults_text(const struct policy *p, char *buf, size_t len)
{
	snprintf(buf, len, "input %s, forward %s, output %s, invalid %s",
	         verdict_names[p->default_verdict[TCFW_CHAIN_INPUT]],
	         verdict_names[p->default_verdict[TCFW_CHAIN_FORWARD]],
	         verdict_names[p->default_verdict[TCFW_CHAIN_OUTPUT]],
	         verdict_names[p->invalid_verdict]);
}

static void warn_policy(const struct policy *p, struct policy_diags *d)
{
	bool have_defaults = p->invalid_loc.line != 0;
	char defaults[96];

	for (int h = 0; h <= TCFW_CHAIN_OUTPUT; h++)
		have_defaults |= p->default_loc[h].line != 0;
	defaults_text(p, defaults, sizeof(defaults));
	if (!have_defaults)
		pol_warn(d, p->name, 0, 0,
		         "no defaults block: the defaults are %s (what no rule decides is "
		         "accepted); write 'defaults { input drop ... }' to choose",
		         defaults);
	if (!p->nrules)
		pol_warn(d, p->name, 0, 0,
		         "the policy has no rules: every new connection gets its hook's default "
		         "(%s)",
		         defaults);
}

/* 'drop untracked' follows the invalid default (it drops only what TC would): with 'invalid
 * accept' it drops nothing. */
static void warn_prefilter(const struct policy *p, struct policy_diags *d)
{
	for (size_t i = 0; i < p->nprefilters; i++) {
		const struct pol_prefilter *pf = &p->prefilters[i];

		if (pf->untracked && p->invalid_verdict != TCFW_VERDICT_DROP)
			pol_warn(
			    d, p->name, pf->untracked_loc.line, pf->untracked_loc.col,
			    "'drop untracked' drops nothing while the defaults say 'invalid "
			    "accept': the prefilter drops only what conntrack would drop; write "
			    "'invalid drop' or remove it");
	}
}

size_t policy_warnings(const struct policy *p, struct policy_diags *d)
{
	size_t first = d ? d->n : 0, budget = MAX_RULE_PAIRS;

	if (!p || !d)
		return 0;
	warn_policy(p, d);
	warn_prefilter(p, d);
	for (size_t j = 0; j < p->nrules; j++) {
		warn_icmp_types(p, p->rules[j], d);
		warn_shadowed(p, j, &budget, d);
		warn_public_port(p, p->rules[j], d);
	}
	return d->n - first;
}
