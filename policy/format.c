// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * format.c - the normalised text of a policy, as `fwctl policy show` prints it.
 *
 * Canonical: zones and sets in declaration order (a zone's position is its id), set members
 * sorted without duplicates, the defaults block always complete, the timeouts that differ from
 * netfilter's, then the rules grouped by chain (input, forward, output, nat dnat, nat
 * snat/masquerade) in their order of evaluation, each with its id as "[N]" and its matches in
 * the grammar's order. Parsing this text gives back the same policy, ids included.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "names.h"
#include "policy_internal.h"

#define LINE_WIDTH 100

static const char *const hook_names[] = {"input", "forward", "output"};
static const char *const verdict_names[] = {"accept", "drop", "reject"};

static void put_prefix(FILE *f, const struct pol_prefix *p)
{
	char buf[64];

	pol_prefix_format(p, buf, sizeof(buf));
	fputs(buf, f);
}

static void format_zones(FILE *f, const struct policy *p)
{
	for (size_t z = 0; z < p->nzones; z++) {
		fprintf(f, "zone %s {", p->zones[z].name);
		for (size_t i = 0; i < p->zones[z].nif; i++)
			fprintf(f, "%s %s", i ? "," : "", p->zones[z].ifnames[i]);
		fputs(" }\n", f);
	}
}

static void put_duration(FILE *f, __u32 s);

/* After a set's '}': ' flags dynamic timeout 1h', and the end of the line. */
static void put_set_attrs(FILE *f, const struct pol_set *set)
{
	if (set->dynamic)
		fputs(" flags dynamic", f);
	if (set->timeout_s) {
		fputs(" timeout ", f);
		put_duration(f, set->timeout_s);
	}
	fputc('\n', f);
}

/* Short sets on one line, long ones one member a line. */
static void format_sets(FILE *f, const struct policy *p)
{
	char buf[64];

	for (size_t s = 0; s < p->nsets; s++) {
		const struct pol_set *set = &p->sets[s];
		size_t width = strlen(set->name) + 9;

		for (size_t i = 0; i < set->n && width <= LINE_WIDTH; i++) {
			pol_prefix_format(&set->v[i], buf, sizeof(buf));
			width += strlen(buf) + 2;
		}
		fprintf(f, "set %s {", set->name);
		if (set->n == 0) {
			fputs(" }", f);
			put_set_attrs(f, set);
			continue;
		}
		for (size_t i = 0; i < set->n; i++) {
			if (width <= LINE_WIDTH) {
				fputs(i ? ", " : " ", f);
			} else {
				fputs(i ? ",\n\t" : "\n\t", f);
			}
			put_prefix(f, &set->v[i]);
		}
		fputs(width <= LINE_WIDTH ? " }" : "\n}", f);
		put_set_attrs(f, set);
	}
}

/* A "quoted" string with the lexer's two escapes. */
static void put_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void put_log(FILE *f, bool log, const char *prefix)
{
	if (!log)
		return;
	fputs(" log", f);
	if (prefix) {
		fputs(" prefix ", f);
		put_string(f, prefix);
	}
}

static void format_defaults(FILE *f, const struct policy *p)
{
	fputs("defaults {\n", f);
	for (int h = 0; h <= TCFW_CHAIN_OUTPUT; h++) {
		fprintf(f, "\t%-7s %s", hook_names[h], verdict_names[p->default_verdict[h]]);
		put_log(f, p->default_log[h], p->default_prefix[h]);
		fputc('\n', f);
	}
	fprintf(f, "\t%-7s %s\n", "invalid", verdict_names[p->invalid_verdict]);
	fputs("}\n", f);
}

/* The largest unit that divides the duration: 86400 is "1d", 90 is "90s". */
static void put_duration(FILE *f, __u32 s)
{
	if (s % 86400 == 0)
		fprintf(f, "%ud", s / 86400);
	else if (s % 3600 == 0)
		fprintf(f, "%uh", s / 3600);
	else if (s % 60 == 0)
		fprintf(f, "%um", s / 60);
	else
		fprintf(f, "%us", s);
}

static void format_timeouts(FILE *f, const struct policy *p)
{
	uint32_t differ = 0;

	for (unsigned int s = 0; s < TCFW_CT_STATE_MAX; s++)
		if (p->timeouts[s] != pol_default_timeouts[s])
			differ |= 1u << s;
	if (!differ)
		return;
	fputs("\ntimeouts {\n", f);
	for (size_t k = 0; k < pol_n_timeout_keys; k++) {
		const struct pol_timeout_key *key = &pol_timeout_keys[k];
		unsigned int first = (unsigned int)__builtin_ctz(key->states);
		bool same = true;

		if (key->alias || (key->states & differ) != key->states)
			continue;
		for (unsigned int s = first; s < TCFW_CT_STATE_MAX; s++)
			if ((key->states & (1u << s)) && p->timeouts[s] != p->timeouts[first])
				same = false;
		if (!same)
			continue;
		fprintf(f, "\t%s%s%s ", key->proto, key->state ? " " : "",
		        key->state ? key->state : "");
		put_duration(f, p->timeouts[first]);
		fputc('\n', f);
		differ &= ~key->states;
	}
	fputs("}\n", f);
}

static void put_addr_match(FILE *f, const char *kw, const struct pol_addr_match *m)
{
	if (m->kind == POL_ADDR_ANY)
		return;
	fprintf(f, " %s %s", kw, m->neg ? "!" : "");
	if (m->kind == POL_ADDR_SET) {
		fprintf(f, "@%s", m->set_name);
	} else if (m->kind == POL_ADDR_LIST) {
		fputs("{ ", f);
		for (size_t i = 0; i < m->nlist; i++) {
			fputs(i ? ", " : "", f);
			put_prefix(f, &m->list[i]);
		}
		fputs(" }", f);
	} else {
		put_prefix(f, &m->pfx);
	}
}

static void put_ports(FILE *f, const char *kw, const struct pol_ports *pp)
{
	if (!pp->n)
		return;
	fprintf(f, " %s %s", kw, pp->n > 1 ? "{ " : "");
	for (size_t i = 0; i < pp->n; i++) {
		fprintf(f, "%s%u", i ? ", " : "", pp->v[i].lo);
		if (pp->v[i].hi != pp->v[i].lo)
			fprintf(f, "-%u", pp->v[i].hi);
	}
	fputs(pp->n > 1 ? " }" : "", f);
}

static void put_proto_word(FILE *f, int proto)
{
	const char *name = proto >= 0 && proto <= 255 ? proto_name((uint8_t)proto) : NULL;

	if (name)
		fputs(name, f);
	else
		fprintf(f, "%d", proto);
}

/* 'proto P', 'proto { P, ... }' (in number order), 'proto icmp type T' / 'type { T, ... }'. */
static void put_proto(FILE *f, const struct pol_rule *r)
{
	const struct pol_ports *t = &r->itype;
	bool first = true;

	if (r->proto_list) {
		fputs(" proto { ", f);
		for (int i = 0; i < 256; i++) {
			if (!(r->proto_bits[i / 64] & (1ull << (i % 64))))
				continue;
			fputs(first ? "" : ", ", f);
			put_proto_word(f, i);
			first = false;
		}
		fputs(" }", f);
		return;
	}
	if (r->proto < 0)
		return;
	fputs(" proto ", f);
	put_proto_word(f, r->proto);
	if (!t->n)
		return;
	fprintf(f, " type %s", t->n > 1 || t->v[0].lo != t->v[0].hi ? "{ " : "");
	for (size_t i = 0; i < t->n; i++) {
		bool named = true;

		for (unsigned int v = t->v[i].lo; v <= t->v[i].hi && named; v++)
			named = pol_icmp_type_name(r->proto, v) != NULL;
		fputs(i ? ", " : "", f);
		/* Types by name when each has one ({ echo-request, echo-reply }), else numbers. */
		if (named) {
			for (unsigned int v = t->v[i].lo; v <= t->v[i].hi; v++)
				fprintf(f, "%s%s", v > t->v[i].lo ? ", " : "",
				        pol_icmp_type_name(r->proto, v));
		} else if (t->v[i].lo == t->v[i].hi) {
			fprintf(f, "%u", t->v[i].lo);
		} else {
			fprintf(f, "%u-%u", t->v[i].lo, t->v[i].hi);
		}
	}
	fputs(t->n > 1 || t->v[0].lo != t->v[0].hi ? " }" : "", f);
}

/* An address of a NAT target; IPv6 in brackets when a port follows. */
static void put_nat_addr(FILE *f, const __u32 a[4], bool port_follows)
{
	char buf[ADDR_STRLEN];
	bool v6 = !addr_is_v4(a);

	addr_format(a, buf);
	fprintf(f, v6 && port_follows ? "[%s]" : "%s", buf);
}

static void put_nat_target(FILE *f, const struct pol_rule *r)
{
	const struct pol_nat_target *t = &r->nat;
	bool port = t->port_lo != 0, range = memcmp(t->lo, t->hi, sizeof(t->lo)) != 0;

	fputs(" -> ", f);
	put_nat_addr(f, t->lo, port);
	if (range) {
		fputc('-', f);
		put_nat_addr(f, t->hi, port);
	}
	if (port)
		fprintf(f, ":%u", t->port_lo);
	if (port && t->port_hi != t->port_lo)
		fprintf(f, "-%u", t->port_hi);
}

/* The rule as a policy line, without its id and newline. */
static void format_rule_body(FILE *f, const struct pol_rule *r)
{
	static const char *const nat_names[] = {"", "masquerade", "snat", "dnat"};

	if (r->kind == POL_RULE_FILTER)
		fprintf(f, "%s %s", hook_names[r->chain], verdict_names[r->verdict]);
	else
		fprintf(f, "nat %s", nat_names[r->kind]);
	/* NAT rules name their zone first, as the grammar writes them. */
	if (r->kind == POL_RULE_DNAT)
		fprintf(f, " in %s", r->in_zone);
	else if (r->kind != POL_RULE_FILTER)
		fprintf(f, " out %s", r->out_zone);
	if (r->in_zone && r->kind != POL_RULE_DNAT)
		fprintf(f, " in %s", r->in_zone);
	if (r->out_zone && r->kind == POL_RULE_FILTER)
		fprintf(f, " out %s", r->out_zone);
	put_addr_match(f, "from", &r->src);
	put_addr_match(f, "to", &r->dst);
	put_proto(f, r);
	put_ports(f, "sport", &r->sport);
	put_ports(f, "dport", &r->dport);
	if (r->family)
		fprintf(f, " family %s", r->family == POL_FAM_V4 ? "ip" : "ip6");
	put_log(f, r->log, r->log_prefix);
	if (r->limit_rate)
		fprintf(f, " limit %u/%s", r->limit_rate,
		        r->limit_period_s == 1 ? "second" : "minute");
	if (r->limit_rate && r->limit_burst)
		fprintf(f, " burst %u", r->limit_burst);
	if (r->limit_rate && r->limit_per_source)
		fputs(" per source", f);
	if (r->add_set)
		fprintf(f, " add @%s", r->add_set);
	if (r->comment) {
		fputs(" comment ", f);
		put_string(f, r->comment);
	}
	if (r->kind == POL_RULE_SNAT || r->kind == POL_RULE_DNAT)
		put_nat_target(f, r);
}

static void format_rule(FILE *f, const struct pol_rule *r, const uint64_t *hits, size_t nhits)
{
	fprintf(f, "[%u] ", r->id);
	format_rule_body(f, r);
	if (hits && r->id < nhits)
		fprintf(f, " # hits %llu", (unsigned long long)hits[r->id]);
	fputc('\n', f);
}

static void format_rules(FILE *f, const struct policy *p, const uint64_t *hits, size_t nhits)
{
	for (int chain = 0; chain < TCFW_CHAIN_MAX; chain++) {
		bool first = true;

		for (size_t i = 0; i < p->nrules; i++) {
			if (p->rules[i]->chain != (enum tcfw_chain)chain)
				continue;
			if (first)
				fputc('\n', f);
			first = false;
			format_rule(f, p->rules[i], hits, nhits);
		}
	}
}

#define FNV_BASIS 2166136261u

static uint32_t fnv1a(uint32_t h, const void *data, size_t len)
{
	const unsigned char *c = data;

	for (size_t i = 0; i < len; i++) {
		h ^= c[i];
		h *= 16777619u;
	}
	return h;
}

/* The formatter writes into a stream that hashes what it is given: nothing is kept. */
static ssize_t hash_write(void *cookie, const char *buf, size_t n)
{
	uint32_t *h = cookie;

	*h = fnv1a(*h, buf, n);
	return (ssize_t)n;
}

int pol_rule_hashes(const struct pol_rule *r, uint32_t *content, uint32_t *comment)
{
	cookie_io_functions_t io = {.write = hash_write};
	uint32_t h = FNV_BASIS;
	char vbuf[1024];
	FILE *f = fopencookie(&h, "w", io);

	if (!f)
		return -1;
	setvbuf(f, vbuf, _IOFBF, sizeof(vbuf));
	format_rule_body(f, r);
	if (fclose(f) != 0)
		return -1;
	*content = h ? h : 1; /* 0 means "none" */
	*comment = 0;
	if (r->comment) {
		h = fnv1a(FNV_BASIS, r->comment, strlen(r->comment));
		*comment = h ? h : 1;
	}
	return 0;
}

char *policy_format(const struct policy *p, const uint64_t *hits, size_t nhits)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (!p)
		return NULL;
	f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	format_zones(f, p);
	if (p->nsets)
		fputc('\n', f);
	format_sets(f, p);
	if (p->nzones || p->nsets)
		fputc('\n', f);
	format_defaults(f, p);
	format_timeouts(f, p);
	pol_prefilters_format(f, p);
	format_rules(f, p, hits, nhits);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}
