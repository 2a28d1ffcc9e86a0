// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * check.c - what the grammar cannot say: names resolved (zones and sets may be declared after
 * their use), duplicates, interfaces in two zones, matches that make no sense for the hook
 * (an output zone on input rules, an input zone on output rules, nat without its zone), ports
 * with a protocol that has none, and rules that can never match because they ask for IPv4 and
 * IPv6 at once. Each rule's possible families are computed here for the compiler.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "names.h"
#include "quote.h"
#include "tcfw_proto.h"
#include "parse_internal.h"
#include "policy_internal.h"

#define MAX_SUGGEST 64

/* " (did you mean 'PREFIXname'?)" from a list of names reached through get(i). */
static const char *suggest(char *buf, size_t len, const char *word, const char *prefix, size_t n,
                           const char *(*get)(const struct policy *, size_t),
                           const struct policy *p)
{
	const char *cands[MAX_SUGGEST];
	unsigned int k = 0;

	/* Beyond MAX_SUGGEST names a typo hint is still useful for the first ones only. */
	for (size_t i = 0; i < n && k < MAX_SUGGEST; i++)
		cands[k++] = get(p, i);
	return did_you_mean(buf, len, word, cands, k, prefix);
}

static const char *zone_name_at(const struct policy *p, size_t i)
{
	return p->zones[i].name;
}

static const char *set_name_at(const struct policy *p, size_t i)
{
	return p->sets[i].name;
}

int pol_resolve_zone(const struct policy *p, const char *name, struct pol_loc loc, int *id,
                     const char *file, struct policy_diags *d)
{
	char hint[96];

	*id = pol_zone_find(p, name);
	if (*id >= 0)
		return 0;
	suggest(hint, sizeof(hint), name, NULL, p->nzones, zone_name_at, p);
	if (hint[0])
		pol_diag(d, file, loc.line, loc.col, "unknown zone %s%s", QUOTE(name), hint);
	else
		pol_diag(d, file, loc.line, loc.col,
		         "unknown zone %s: declare it with 'zone %s { IFNAME }'", QUOTE(name),
		         name);
	return 1;
}

static int resolve_set(const struct policy *p, struct pol_addr_match *m, const char *file,
                       struct policy_diags *d)
{
	char hint[96];

	if (m->kind != POL_ADDR_SET)
		return 0;
	m->set = pol_set_find(p, m->set_name);
	if (m->set >= 0)
		return 0;
	suggest(hint, sizeof(hint), m->set_name, "@", p->nsets, set_name_at, p);
	if (hint[0])
		pol_diag(d, file, m->loc.line, m->loc.col, "unknown set '@%s'%s", m->set_name,
		         hint);
	else
		pol_diag(d, file, m->loc.line, m->loc.col,
		         "unknown set '@%s': declare it with 'set %s { ADDR, ... }'", m->set_name,
		         m->set_name);
	return 1;
}

/* 'add @SET': a dynamic set of the policy. */
static int resolve_add_set(const struct policy *p, struct pol_rule *r, const char *file,
                           struct policy_diags *d)
{
	char hint[96];

	if (!r->add_set)
		return 0;
	r->add_set_id = pol_set_find(p, r->add_set);
	if (r->add_set_id < 0) {
		suggest(hint, sizeof(hint), r->add_set, "@", p->nsets, set_name_at, p);
		if (hint[0])
			pol_diag(d, file, r->add_loc.line, r->add_loc.col, "unknown set '@%s'%s",
			         r->add_set, hint);
		else
			pol_diag(d, file, r->add_loc.line, r->add_loc.col,
			         "unknown set '@%s': declare it with 'set %s { } flags dynamic'",
			         r->add_set, r->add_set);
		return 1;
	}
	if (!p->sets[r->add_set_id].dynamic) {
		pol_diag(d, file, r->add_loc.line, r->add_loc.col,
		         "'add @%s' needs a dynamic set, but set '%s' (line %d) is not: declare it "
		         "with 'set %s { ... } flags dynamic'",
		         r->add_set, r->add_set, p->sets[r->add_set_id].loc.line, r->add_set);
		return 1;
	}
	return 0;
}

/* Dynamic sets: at most TCFW_DYNSET_MAX of them. */
static int check_dynsets(struct policy *p, const char *file, struct policy_diags *d)
{
	int n = 0;

	for (size_t s = 0; s < p->nsets; s++) {
		if (!p->sets[s].dynamic)
			continue;
		if (n == TCFW_DYNSET_MAX) {
			pol_diag(d, file, p->sets[s].loc.line, p->sets[s].loc.col,
			         "too many dynamic sets: at most %d (map dynset holds their ids); "
			         "merge some, or make this one static",
			         TCFW_DYNSET_MAX);
			return 1;
		}
		p->sets[s].dyn_id = n++;
	}
	return 0;
}

/* A prefix that covers the IPv4-mapped range (::/0) is written in IPv6 and means IPv6. */
static unsigned int prefix_match_family(const struct pol_prefix *pfx)
{
	return pol_prefix_family(pfx) == POL_FAM_V4 ? POL_FAM_V4 : POL_FAM_V6;
}

unsigned int pol_addr_families(const struct policy *p, const struct pol_addr_match *m)
{
	unsigned int fam = 0;

	if (m->kind == POL_ADDR_ANY || m->neg)
		return POL_FAM_ANY;
	if (m->kind == POL_ADDR_PREFIX)
		return prefix_match_family(&m->pfx);
	if (m->kind == POL_ADDR_LIST) {
		for (size_t i = 0; i < m->nlist && fam != POL_FAM_ANY; i++)
			fam |= prefix_match_family(&m->list[i]);
		return fam ? fam : POL_FAM_ANY;
	}
	/* A dynamic set may hold either family at any time. */
	if (m->set < 0 || (size_t)m->set >= p->nsets || p->sets[m->set].dynamic)
		return POL_FAM_ANY;
	for (size_t i = 0; i < p->sets[m->set].n && fam != POL_FAM_ANY; i++)
		fam |= prefix_match_family(&p->sets[m->set].v[i]);
	return fam ? fam : POL_FAM_ANY; /* an empty set matches nothing in either family */
}

/* What narrows a rule to one family, and how to name it in a message. */
struct fam_source {
	unsigned int fam;
	struct pol_loc loc;
	char what[80];
	int proto; /* TCFW_PROTO_ICMP(V6) when the source is 'proto icmp' / 'proto icmpv6' */
};

static void addr_source(const struct policy *p, const struct pol_addr_match *m, const char *kw,
                        struct fam_source *s)
{
	char text[64];

	s->fam = pol_addr_families(p, m);
	s->loc = m->kw_loc;
	s->proto = -1;
	if (m->kind == POL_ADDR_SET) {
		snprintf(text, sizeof(text), "@%s", m->set_name);
	} else if (m->kind == POL_ADDR_LIST && m->nlist) {
		char first[48];

		pol_prefix_format(&m->list[0], first, sizeof(first));
		snprintf(text, sizeof(text), "{ %s%s }", first, m->nlist > 1 ? ", ..." : "");
	} else {
		pol_prefix_format(&m->pfx, text, sizeof(text));
	}
	snprintf(s->what, sizeof(s->what), "'%s %s'", kw, text);
}

static int check_families(const struct policy *p, struct pol_rule *r, const char *file,
                          struct policy_diags *d)
{
	struct fam_source src[5];
	unsigned int n = 0, acc = POL_FAM_ANY;
	int narrowed_by = -1;

	if (r->family) {
		src[n] = (struct fam_source){.fam = r->family, .loc = r->family_loc, .proto = -1};
		snprintf(src[n++].what, sizeof(src[0].what), "'family %s'",
		         r->family == POL_FAM_V4 ? "ip" : "ip6");
	}
	if (r->src.kind != POL_ADDR_ANY)
		addr_source(p, &r->src, "from", &src[n++]);
	if (r->dst.kind != POL_ADDR_ANY)
		addr_source(p, &r->dst, "to", &src[n++]);
	if (r->proto >= 0 && tcfw_proto_is_icmp((unsigned int)r->proto)) {
		src[n] = (struct fam_source){.fam = r->proto == TCFW_PROTO_ICMP ? POL_FAM_V4
		                                                                : POL_FAM_V6,
		                             .loc = r->proto_loc,
		                             .proto = r->proto};
		snprintf(src[n++].what, sizeof(src[0].what), "'proto %s'",
		         proto_name((uint8_t)r->proto));
	}
	if (r->kind == POL_RULE_SNAT || r->kind == POL_RULE_DNAT) {
		src[n] = (struct fam_source){.fam = addr_is_v4(r->nat.lo) ? POL_FAM_V4 : POL_FAM_V6,
		                             .loc = r->nat.loc,
		                             .proto = -1};
		snprintf(src[n++].what, sizeof(src[0].what), "the nat target");
	}
	for (unsigned int i = 0; i < n; i++) {
		const struct fam_source *a, *b = &src[i];

		if (acc & b->fam) {
			if ((acc & b->fam) != acc)
				narrowed_by = (int)i;
			acc &= b->fam;
			continue;
		}
		a = &src[narrowed_by];
		pol_diag(d, file, b->loc.line, b->loc.col,
		         "rule can never match: %s is %s but %s is %s%s", a->what,
		         acc == POL_FAM_V4 ? "IPv4" : "IPv6", b->what,
		         b->fam == POL_FAM_V4 ? "IPv4" : "IPv6",
		         a->proto == TCFW_PROTO_ICMP || b->proto == TCFW_PROTO_ICMP
		             ? " (for IPv6 use 'proto icmpv6')"
		         : a->proto == TCFW_PROTO_ICMPV6 || b->proto == TCFW_PROTO_ICMPV6
		             ? " (for IPv4 use 'proto icmp')"
		             : "");
		return 1;
	}
	r->families = acc;
	return 0;
}

static const char *proto_text(int proto, char *buf, size_t len)
{
	const char *name = proto >= 0 && proto <= 255 ? proto_name((uint8_t)proto) : NULL;

	if (name)
		return name;
	snprintf(buf, len, "%d", proto);
	return buf;
}

/* Matches that the rule's hook or nat type cannot use. */
static int check_hook_zones(const struct pol_rule *r, const char *file, struct policy_diags *d)
{
	int nerr = 0;

	if (r->chain == TCFW_CHAIN_INPUT && r->out_zone) {
		pol_diag(
		    d, file, r->out_loc.line, r->out_loc.col,
		    "'out' does not apply to input rules: traffic to the gateway itself leaves "
		    "by no interface");
		nerr++;
	}
	if (r->chain == TCFW_CHAIN_OUTPUT && r->in_zone) {
		pol_diag(
		    d, file, r->in_loc.line, r->in_loc.col,
		    "'in' does not apply to output rules: traffic the gateway sends arrives on "
		    "no interface");
		nerr++;
	}
	if ((r->kind == POL_RULE_MASQUERADE || r->kind == POL_RULE_SNAT) && !r->out_zone) {
		pol_diag(
		    d, file, r->loc.line, r->loc.col,
		    "nat %s needs 'out ZONE': the zone whose interfaces the connections leave by",
		    r->kind == POL_RULE_SNAT ? "snat" : "masquerade");
		nerr++;
	}
	if (r->kind == POL_RULE_DNAT && !r->in_zone) {
		pol_diag(
		    d, file, r->loc.line, r->loc.col,
		    "nat dnat needs 'in ZONE': the zone whose incoming connections it redirects");
		nerr++;
	}
	if (r->kind == POL_RULE_DNAT && r->out_zone) {
		pol_diag(
		    d, file, r->out_loc.line, r->out_loc.col,
		    "'out' does not apply to nat dnat: it runs before routing picks the output "
		    "interface");
		nerr++;
	}
	return nerr;
}

static int check_ports(const struct pol_rule *r, const char *file, struct policy_diags *d)
{
	const struct pol_ports *pp[2] = {&r->sport, &r->dport};
	char buf[8];
	int nerr = 0, noports = -1;

	if (r->proto_list) {
		for (int i = 0; i < 256 && noports < 0; i++)
			if ((r->proto_bits[i / 64] & (1ull << (i % 64))) &&
			    !tcfw_proto_has_ports((unsigned int)i))
				noports = i;
		if (noports < 0)
			return 0;
		for (int i = 0; i < 2; i++) {
			if (!pp[i]->n)
				continue;
			pol_diag(
			    d, file, pp[i]->loc.line, pp[i]->loc.col,
			    "'%s' needs every protocol of the list to have ports (tcp or udp), "
			    "but the list has '%s': write it as two rules",
			    i ? "dport" : "sport", proto_text(noports, buf, sizeof(buf)));
			nerr++;
		}
		return nerr;
	}
	if (r->proto < 0 || tcfw_proto_has_ports((unsigned int)r->proto))
		return 0;
	for (int i = 0; i < 2; i++) {
		if (!pp[i]->n)
			continue;
		pol_diag(
		    d, file, pp[i]->loc.line, pp[i]->loc.col,
		    "'%s' needs a protocol with ports (tcp or udp), but the rule says 'proto %s'%s",
		    i ? "dport" : "sport", proto_text(r->proto, buf, sizeof(buf)),
		    r->proto >= 0 && tcfw_proto_is_icmp((unsigned int)r->proto)
			? " (for ICMP, match the type: 'type echo-request')"
			: "");
		nerr++;
	}
	return nerr;
}

/* 'type': filter rules only (the NAT chains are looked up without it), and never to drop
 * what the datapath always passes (neighbour discovery, MLD). */
static int check_icmp_types(const struct pol_rule *r, const char *file, struct policy_diags *d)
{
	if (!r->itype.n)
		return 0;
	if (r->kind != POL_RULE_FILTER) {
		pol_diag(d, file, r->itype.loc.line, r->itype.loc.col,
		         "'type' does not apply to nat rules: a nat rule matches ICMP by 'proto' "
		         "only");
		return 1;
	}
	if (r->verdict == TCFW_VERDICT_ACCEPT)
		return 0;
	for (size_t i = 0; i < r->itype.n; i++) {
		for (unsigned int t = r->itype.v[i].lo; t <= r->itype.v[i].hi; t++) {
			const char *name = pol_icmp_type_name(r->proto, t);

			if (!pol_icmp_type_link(r->proto, t))
				continue;
			pol_diag(
			    d, file, r->itype.loc.line, r->itype.loc.col,
			    "a rule cannot %s icmpv6 type %s%s%u%s: neighbour discovery and MLD "
			    "are always passed (IPv6 does not work without them); remove the "
			    "type from the rule",
			    r->verdict == TCFW_VERDICT_DROP ? "drop" : "reject", name ? name : "",
			    name ? " (" : "", t, name ? ")" : "");
			return 1;
		}
	}
	return 0;
}

/* NAT66: the datapath translates IPv4 only. A NAT rule that could only ever apply to IPv6
 * would be accepted and do nothing: refuse it. */
static int check_nat66(const struct pol_rule *r, const char *file, struct policy_diags *d)
{
	char a[ADDR_STRLEN];

	if ((r->kind == POL_RULE_SNAT || r->kind == POL_RULE_DNAT) && !addr_is_v4(r->nat.lo)) {
		pol_diag(
		    d, file, r->nat.loc.line, r->nat.loc.col,
		    "NAT66 is not supported: the IPv6 target %s would translate nothing; tcfw "
		    "translates IPv4 only: use an IPv4 target, and let IPv6 through untranslated "
		    "with forward rules",
		    addr_format(r->nat.lo, a));
		return 1;
	}
	if (r->kind == POL_RULE_MASQUERADE && r->families == POL_FAM_V6) {
		pol_diag(
		    d, file, r->loc.line, r->loc.col,
		    "NAT66 is not supported: this masquerade matches IPv6 connections only and "
		    "would translate nothing; tcfw translates IPv4 only: match IPv4 (an IPv4 "
		    "'from', or 'family ip'), and let IPv6 through with forward rules");
		return 1;
	}
	return 0;
}

int pol_check_rule(const struct policy *p, struct pol_rule *r, const char *file,
                   struct policy_diags *d)
{
	int nerr = 0;

	if (r->in_zone)
		nerr += pol_resolve_zone(p, r->in_zone, r->in_loc, &r->in_zone_id, file, d);
	if (r->out_zone)
		nerr += pol_resolve_zone(p, r->out_zone, r->out_loc, &r->out_zone_id, file, d);
	nerr += resolve_set(p, &r->src, file, d);
	nerr += resolve_set(p, &r->dst, file, d);
	nerr += resolve_add_set(p, r, file, d);
	nerr += check_hook_zones(r, file, d);
	nerr += check_ports(r, file, d);
	nerr += check_icmp_types(r, file, d);
	if (nerr == 0 && (r->kind == POL_RULE_SNAT || r->kind == POL_RULE_DNAT))
		nerr += check_nat66(r, file, d);
	if (nerr == 0)
		nerr += check_families(p, r, file, d);
	if (nerr == 0 && r->kind == POL_RULE_MASQUERADE)
		nerr += check_nat66(r, file, d);
	return nerr;
}

/* ---- whole policy -----------------------------------------------------------------------------
 */
static int check_zones(const struct policy *p, const char *file, struct policy_diags *d)
{
	int nerr = 0;

	for (size_t z = 0; z < p->nzones; z++) {
		const struct pol_zone *zone = &p->zones[z];
		int first = pol_zone_find(p, zone->name);

		if ((size_t)first != z) {
			pol_diag(d, file, zone->loc.line, zone->loc.col,
			         "duplicate zone %s (first declared at line %d)", QUOTE(zone->name),
			         p->zones[first].loc.line);
			nerr++;
		}
		if (z == POL_MAX_ZONES) {
			pol_diag(
			    d, file, zone->loc.line, zone->loc.col,
			    "too many zones: at most %d (the datapath keeps a zone id in 6 bits, "
			    "and 63 means 'no zone')",
			    POL_MAX_ZONES);
			nerr++;
		}
		for (size_t i = 0; i < zone->nif; i++) {
			const char *ifname = zone->ifnames[i];
			int owner = policy_zone_of_ifname(p, ifname);
			size_t j = 0;

			/* The first place this interface name appears, in any zone. */
			if ((size_t)owner == z)
				while (strcmp(zone->ifnames[j], ifname) != 0)
					j++;
			if ((size_t)owner == z && j == i)
				continue;
			pol_diag(d, file, zone->if_locs[i].line, zone->if_locs[i].col,
			         "interface %s is already in zone %s (line %d)", QUOTE(ifname),
			         QUOTE(p->zones[owner].name),
			         (size_t)owner == z ? zone->if_locs[j].line
			                            : p->zones[owner].loc.line);
			nerr++;
		}
	}
	return nerr;
}

static int check_sets(const struct policy *p, const char *file, struct policy_diags *d)
{
	int nerr = 0;

	for (size_t s = 0; s < p->nsets; s++) {
		int first = pol_set_find(p, p->sets[s].name);

		if ((size_t)first == s)
			continue;
		pol_diag(d, file, p->sets[s].loc.line, p->sets[s].loc.col,
		         "duplicate set %s (first declared at line %d)", QUOTE(p->sets[s].name),
		         p->sets[first].loc.line);
		nerr++;
	}
	return nerr;
}

static int id_cmp(const void *a, const void *b)
{
	const struct pol_rule *x = *(struct pol_rule *const *)a, *y = *(struct pol_rule *const *)b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->loc.line - y->loc.line;
}

/*
 * Rule ids: "[N]" as written; the others get the ids after the highest written one, in file
 * order. A file without ids numbers its rules 1, 2, 3...
 */
static int assign_ids(struct policy *p, const char *file, struct policy_diags *d)
{
	struct pol_rule **sorted;
	uint32_t next = 1;
	int nerr = 0;

	for (size_t i = 0; i < p->nrules; i++)
		if (p->rules[i]->explicit_id && p->rules[i]->id >= next)
			next = p->rules[i]->id + 1;
	for (size_t i = 0; i < p->nrules; i++) {
		if (p->rules[i]->explicit_id)
			continue;
		if (next > POL_RULE_ID_MAX) {
			pol_diag(
			    d, file, p->rules[i]->loc.line, p->rules[i]->loc.col,
			    "no rule id left for this rule: ids go up to %u; renumber the rules "
			    "written with [N]",
			    POL_RULE_ID_MAX);
			return nerr + 1;
		}
		p->rules[i]->id = next++;
	}
	p->next_id = next;
	if (p->nrules < 2)
		return 0;
	sorted = malloc(p->nrules * sizeof(*sorted));
	if (!sorted) {
		pol_diag(d, file, 0, 0, "out of memory while checking rule ids");
		return 1;
	}
	memcpy(sorted, p->rules, p->nrules * sizeof(*sorted));
	qsort(sorted, p->nrules, sizeof(*sorted), id_cmp);
	for (size_t i = 1; i < p->nrules; i++) {
		if (sorted[i]->id != sorted[i - 1]->id)
			continue;
		pol_diag(d, file, sorted[i]->loc.line, sorted[i]->loc.col,
		         "rule id [%u] is used twice (first at line %d)", sorted[i]->id,
		         sorted[i - 1]->loc.line);
		nerr++;
	}
	free(sorted);
	return nerr;
}

int pol_check(struct policy *p, const char *file, struct policy_diags *d)
{
	int nerr = check_zones(p, file, d) + check_sets(p, file, d) + check_dynsets(p, file, d) +
	           pol_check_prefilters(p, file, d);

	for (size_t i = 0; i < p->nrules; i++)
		nerr += pol_check_rule(p, p->rules[i], file, d);
	return nerr + assign_ids(p, file, d);
}
