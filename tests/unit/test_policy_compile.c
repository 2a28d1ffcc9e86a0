// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_policy_compile.c - policy_compile() against a reference.
 *
 * The reference classifier walks a policy_image exactly as the datapath will: longest-prefix
 * match over the LPM entries of (copy, chain) for source and destination, one scalar slot per
 * field, the AND of the eight class bitmaps (visiting only words the summaries allow) and the
 * lowest set bit. Its answer is compared with a naive first-match evaluation of a model of the
 * rules that this test keeps itself while it writes the policy text, so neither the parser nor
 * the compiler grades its own work.
 *
 * Cases: random policies (fixed seeds, so a failure is reproducible and names its seed) with
 * zones, sets, negation, port lists, families and every chain including NAT, before and after
 * run-time rule edits; the example policy of policy-language.md with hand-picked packets and its
 * rules/meta entries; a 10,000-rule policy and a 100,000-prefix set (sizes and limits, not
 * times); and the limit on rules per chain.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "policy.h"
#include "example_policy.h"

/* ---- deterministic randomness ------------------------------------------------------------ */
static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64*: small, fast, and the same sequence everywhere */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static unsigned int rndn(unsigned int n)
{
	return (unsigned int)(rnd() % n);
}

static bool chance(unsigned int percent)
{
	return rndn(100) < percent;
}

/* ---- addresses, the test's own implementation --------------------------------------------- */
struct m_prefix {
	__u32 a[4];
	int plen; /* 16-byte terms */
};

static void mapped(__u32 a[4], uint32_t host_v4)
{
	a[0] = 0;
	a[1] = 0;
	a[2] = htonl(0xffff);
	a[3] = htonl(host_v4);
}

static bool is_mapped(const __u32 a[4])
{
	return a[0] == 0 && a[1] == 0 && a[2] == htonl(0xffff);
}

static int bit_of(const __u32 a[4], int i)
{
	const uint8_t *b = (const uint8_t *)a;

	return (b[i / 8] >> (7 - i % 8)) & 1;
}

static bool in_prefix(const __u32 a[4], const struct m_prefix *p)
{
	int whole = p->plen / 8;

	/* Whole bytes at once, then bit by bit: the reference lookup scans 100,000s of these. */
	if (memcmp(a, p->a, (size_t)whole) != 0)
		return false;
	for (int i = whole * 8; i < p->plen; i++)
		if (bit_of(a, i) != bit_of(p->a, i))
			return false;
	return true;
}

static void mask_to(struct m_prefix *p)
{
	uint8_t *b = (uint8_t *)p->a;

	for (int i = p->plen; i < 128; i++)
		b[i / 8] &= (uint8_t) ~(1u << (7 - i % 8));
}

/* The language's meaning of a prefix: one that spans the IPv4-mapped range means IPv6 only. */
static bool prefix_matches(const struct m_prefix *p, const __u32 a[4])
{
	__u32 v4range[4];

	mapped(v4range, 0);
	if (!in_prefix(a, p))
		return false;
	return !(p->plen < 96 && in_prefix(v4range, p) && is_mapped(a));
}

static bool prefix_is_v4(const struct m_prefix *p)
{
	return p->plen >= 96 && is_mapped(p->a);
}

static void prefix_text(const struct m_prefix *p, char *buf, size_t len)
{
	char t[INET6_ADDRSTRLEN];

	if (prefix_is_v4(p)) {
		inet_ntop(AF_INET, &p->a[3], t, sizeof(t));
		snprintf(buf, len, "%s/%d", t, p->plen - 96);
	} else {
		inet_ntop(AF_INET6, p->a, t, sizeof(t));
		snprintf(buf, len, "%s/%d", t, p->plen);
	}
}

/* ---- the model of a policy --------------------------------------------------------------- */
#define FAM_V4     1u
#define FAM_V6     2u
#define NSETS      4 /* s4: IPv4, s6: IPv6, s46: both, sE: empty */
#define MAX_SET    40
#define MAX_MRULES 12000
#define NZONES     3

#define MAX_LIST 4

struct m_addr {
	int kind; /* 0 any, 1 prefix, 2 set, 3 inline list */
	bool neg;
	struct m_prefix p;
	int set;
	/* kind 3: items, each a prefix (is_range false) or the range lo..hi */
	int nlist;
	struct m_prefix list[MAX_LIST];
	bool is_range[MAX_LIST];
	__u32 lo[MAX_LIST][4], hi[MAX_LIST][4];
};

struct m_rule {
	int chain, id;
	int in_zone, out_zone; /* -1: none */
	struct m_addr src, dst;
	int proto; /* -1: any (or the list below) */
	bool plist;
	bool protos[256]; /* plist: the protocols listed */
	int ntypes;       /* ICMP types: ranges tlo..thi */
	int tlo[4], thi[4];
	int nports[2];
	int lo[2][4], hi[2][4];
	unsigned int fam;
	bool deleted;
};

struct model {
	struct m_prefix set[NSETS][MAX_SET];
	int nset[NSETS];
	struct m_rule *rules;
	int nrules, next_id;
	struct m_prefix
	    pool[4 * MAX_SET + 2 * MAX_MRULES]; /* every prefix named: packets aim here */
	int npool;
	int ports[256]; /* port boundaries named, for packets */
	int nports;
};

static const char *const set_names[NSETS] = {"s4", "s6", "s46", "sE"};

static void pool_add(struct model *m, const struct m_prefix *p)
{
	if (m->npool < (int)(sizeof(m->pool) / sizeof(m->pool[0])))
		m->pool[m->npool++] = *p;
}

static void port_add(struct model *m, int port)
{
	if (m->nports < 256)
		m->ports[m->nports++] = port;
}

static void random_prefix(struct m_prefix *p, bool v4)
{
	static const int v4_lens[] = {0, 8, 16, 20, 24, 28, 30, 31, 32};
	static const int v6_lens[] = {16, 32, 48, 56, 64, 96, 112, 127, 128};

	memset(p, 0, sizeof(*p));
	if (v4) {
		uint32_t host = chance(80) ? 0x0a000000u | (uint32_t)rndn(4) << 16 | rndn(65536)
		                           : 0xc0000200u | rndn(256); /* 10.0-3.x.x, 192.0.2.x */

		mapped(p->a, host);
		p->plen = 96 + v4_lens[rndn(9)];
	} else {
		unsigned int pick = rndn(20);

		p->a[0] = htonl(0x20010db8);
		p->a[1] = htonl(rndn(4) << 16 | rndn(3));
		p->a[2] = htonl((uint32_t)rnd());
		p->a[3] = htonl((uint32_t)rnd());
		p->plen = v6_lens[rndn(9)];
		if (pick == 0) { /* ::/0 and ::/64 span the IPv4-mapped range */
			memset(p->a, 0, sizeof(p->a));
			p->plen = 0;
		} else if (pick == 1) {
			memset(p->a, 0, sizeof(p->a));
			p->plen = 64;
		}
	}
	mask_to(p);
}

/* Buffer for generated text. */
struct text {
	char *buf;
	size_t len;
	FILE *f;
};

static void text_open(struct text *t)
{
	t->buf = NULL;
	t->len = 0;
	t->f = open_memstream(&t->buf, &t->len);
	assert_non_null(t->f);
}

static char *text_close(struct text *t)
{
	fclose(t->f);
	return t->buf;
}

static void gen_sets(struct model *m, FILE *f)
{
	for (int s = 0; s < NSETS; s++) {
		int n = s == 3 ? 0 : 2 + (int)rndn(MAX_SET - 2);
		char buf[64];

		fprintf(f, "set %s {", set_names[s]);
		for (int i = 0; i < n; i++) {
			/* s46 starts with one member of each family, so that it is truly mixed */
			bool v4 = s == 0 || (s == 2 && (i == 0 || (i > 1 && chance(50))));

			random_prefix(&m->set[s][i], v4);
			pool_add(m, &m->set[s][i]);
			prefix_text(&m->set[s][i], buf, sizeof(buf));
			fprintf(f, "%s %s", i ? "," : "", buf);
		}
		m->nset[s] = n;
		fprintf(f, " }\n");
	}
}

/* An address in 10.0-3.x.x or 2001:db8:0-3:... as a range's first address, and its last. */
static void random_range(struct m_addr *a, int i, bool v4)
{
	if (v4) {
		uint32_t lo = 0x0a000000u | (uint32_t)rndn(4) << 16 | rndn(65536);

		mapped(a->lo[i], lo);
		mapped(a->hi[i], lo + rndn(chance(50) ? 16 : 70000));
	} else {
		uint32_t lo = (uint32_t)rnd() & 0x7fffffffu;

		a->lo[i][0] = htonl(0x20010db8);
		a->lo[i][1] = htonl(rndn(4) << 16 | rndn(3));
		a->lo[i][2] = (uint32_t)rnd();
		a->lo[i][3] = htonl(lo);
		memcpy(a->hi[i], a->lo[i], 16);
		a->hi[i][3] = htonl(lo + (uint32_t)rndn(chance(50) ? 16 : 1u << 30));
	}
}

static void addr_text(const __u32 a[4], char *buf, size_t len)
{
	if (is_mapped(a))
		inet_ntop(AF_INET, &a[3], buf, (socklen_t)len);
	else
		inet_ntop(AF_INET6, a, buf, (socklen_t)len);
}

/* '{ PREFIX, FIRST-LAST, ... }' (or a lone range) of the rule's families. */
static void gen_addr_list(struct model *m, struct m_addr *a, unsigned int *fam, FILE *f,
                          const char *kw)
{
	bool any_v4 = false, any_v6 = false;
	bool alone = chance(20);
	char buf[64], b2[64];

	a->nlist = alone ? 1 : 1 + (int)rndn(MAX_LIST);
	fprintf(f, " %s %s%s", kw, a->neg ? "!" : "", alone ? "" : "{ ");
	for (int i = 0; i < a->nlist; i++) {
		bool v4 = *fam == FAM_V4 || (*fam != FAM_V6 && chance(50));
		struct m_prefix pl;

		if (a->neg)
			v4 = chance(50);
		a->is_range[i] = alone || chance(50);
		if (a->is_range[i]) {
			random_range(a, i, v4);
			memcpy(pl.a, a->lo[i], 16);
			pl.plen = 128;
			pool_add(m, &pl);
			memcpy(pl.a, a->hi[i], 16);
			pool_add(m, &pl);
			addr_text(a->lo[i], buf, sizeof(buf));
			addr_text(a->hi[i], b2, sizeof(b2));
			fprintf(f, "%s%s-%s", i ? ", " : "", buf, b2);
		} else {
			random_prefix(&a->list[i], v4);
			pool_add(m, &a->list[i]);
			prefix_text(&a->list[i], buf, sizeof(buf));
			fprintf(f, "%s%s", i ? ", " : "", buf);
			v4 = prefix_is_v4(&a->list[i]);
		}
		any_v4 |= v4;
		any_v6 |= !v4;
	}
	fprintf(f, "%s", alone ? "" : " }");
	if (!a->neg && !(any_v4 && any_v6))
		*fam &= any_v4 ? FAM_V4 : FAM_V6;
}

/* An address match compatible with the rule's families so far (narrowing them). */
static void gen_addr(struct model *m, struct m_addr *a, unsigned int *fam, FILE *f, const char *kw)
{
	char buf[64];

	a->kind = chance(50) ? 0 : chance(50) ? 1 : chance(60) ? 2 : 3;
	if (!a->kind)
		return;
	a->neg = chance(25);
	if (a->kind == 3) {
		gen_addr_list(m, a, fam, f, kw);
		return;
	}
	if (a->kind == 1) {
		bool v4 = *fam == FAM_V4 || (*fam != FAM_V6 && chance(50));

		if (a->neg)
			v4 = chance(50);
		random_prefix(&a->p, v4);
		pool_add(m, &a->p);
		if (!a->neg)
			*fam &= v4 ? FAM_V4 : FAM_V6;
		prefix_text(&a->p, buf, sizeof(buf));
		fprintf(f, " %s %s%s", kw, a->neg ? "!" : "", buf);
		return;
	}
	do
		a->set = (int)rndn(NSETS);
	while (!a->neg && ((a->set == 0 && !(*fam & FAM_V4)) || (a->set == 1 && !(*fam & FAM_V6))));
	if (!a->neg && a->set == 0)
		*fam &= FAM_V4;
	if (!a->neg && a->set == 1)
		*fam &= FAM_V6;
	fprintf(f, " %s %s@%s", kw, a->neg ? "!" : "", set_names[a->set]);
}

static void gen_ports(struct model *m, struct m_rule *r, int which, FILE *f)
{
	static const int base[] = {0, 1, 22, 53, 80, 443, 1024, 8080, 65534, 65535};
	int n = 1 + (int)rndn(3);

	fprintf(f, " %s %s", which ? "dport" : "sport", n > 1 ? "{ " : "");
	for (int i = 0; i < n; i++) {
		int lo = chance(60) ? base[rndn(10)] : (int)rndn(65536);
		int hi = chance(50) ? lo : lo + (int)rndn(200);

		if (hi > 65535)
			hi = 65535;
		r->lo[which][i] = lo;
		r->hi[which][i] = hi;
		port_add(m, lo);
		port_add(m, hi);
		fprintf(f, "%s%d", i ? ", " : "", lo);
		if (hi != lo)
			fprintf(f, "-%d", hi);
	}
	r->nports[which] = n;
	fprintf(f, "%s", n > 1 ? " }" : "");
}

/* One rule of `chain`, valid by construction; its text goes to f, its meaning to r. */
static void gen_rule(struct model *m, int chain, struct m_rule *r, FILE *f)
{
	static const char *const hooks[] = {"input", "forward", "output"};
	static const char *const verdicts[] = {"accept", "drop", "reject"};
	unsigned int fam = FAM_V4 | FAM_V6;
	int verdict = (int)rndn(3);

	memset(r, 0, sizeof(*r));
	r->chain = chain;
	r->in_zone = r->out_zone = -1;
	r->proto = -1;
	if (chain <= 2)
		fprintf(f, "%s %s", hooks[chain], verdicts[verdict]);
	else if (chain == 3)
		fprintf(f, "nat dnat");
	else
		fprintf(f, "nat %s", chance(50) ? "masquerade" : "snat");
	if ((chain == 3) || (chain <= 1 && chance(30)) || (chain == 4 && chance(20))) {
		r->in_zone = (int)rndn(NZONES);
		fprintf(f, " in z%d", r->in_zone);
	}
	if (chain == 4 || ((chain == 1 || chain == 2) && chance(30))) {
		r->out_zone = (int)rndn(NZONES);
		fprintf(f, " out z%d", r->out_zone);
	}
	gen_addr(m, &r->src, &fam, f, "from");
	gen_addr(m, &r->dst, &fam, f, "to");
	if (chance(15)) {
		/* proto { a, b, ... }: two or three distinct protocols */
		static const int protos[] = {6, 17, 1, 58, 47};
		int n = 2 + (int)rndn(2), got = 0;
		bool ports = true;

		r->plist = true;
		fprintf(f, " proto { ");
		while (got < n) {
			int pr = protos[rndn(5)];

			if (r->protos[pr])
				continue;
			r->protos[pr] = true;
			ports &= pr == 6 || pr == 17;
			fprintf(f, "%s%d", got++ ? ", " : "", pr);
		}
		fprintf(f, " }");
		if (ports && chance(40))
			gen_ports(m, r, 1, f);
	} else if (chance(60)) {
		static const int protos[] = {6, 17, 1, 58, 47};
		int pr;

		do
			pr = protos[rndn(5)];
		while ((pr == 1 && !(fam & FAM_V4)) || (pr == 58 && !(fam & FAM_V6)));
		r->proto = pr;
		if (pr == 1)
			fam &= FAM_V4;
		if (pr == 58)
			fam &= FAM_V6;
		fprintf(f, " proto %s",
		        pr == 6    ? "tcp"
		        : pr == 17 ? "udp"
		        : pr == 1  ? "icmp"
		        : pr == 58 ? "icmpv6"
		                   : "47");
	}
	if (!r->plist && (r->proto == -1 || r->proto == 6 || r->proto == 17)) {
		if (chance(30))
			gen_ports(m, r, 0, f);
		if (chance(40))
			gen_ports(m, r, 1, f);
	}
	if ((r->proto == 1 || r->proto == 58) && chain <= 2 && chance(50)) {
		/* 'type': names, numbers and ranges; never neighbour discovery or MLD on a rule
		 * that drops or rejects (an error) */
		int n = 1 + (int)rndn(3);

		fprintf(f, " type %s", n > 1 ? "{ " : "");
		for (int i = 0; i < n; i++) {
			int lo, hi;

			do {
				lo = chance(50) ? (r->proto == 1 ? 8 : 128) + (int)rndn(3) - 1
				                : (int)rndn(256);
				hi = chance(70) ? lo : lo + (int)rndn(20);
				if (hi > 255)
					hi = 255;
			} while (r->proto == 58 && verdict != 0 && lo <= 143 && hi >= 130);
			r->tlo[i] = lo;
			r->thi[i] = hi;
			if (lo == 8 && hi == 8 && r->proto == 1)
				fprintf(f, "%secho-request", i ? ", " : "");
			else if (lo == 129 && hi == 129 && r->proto == 58)
				fprintf(f, "%secho-reply", i ? ", " : "");
			else if (lo == hi)
				fprintf(f, "%s%d", i ? ", " : "", lo);
			else
				fprintf(f, "%s%d-%d", i ? ", " : "", lo, hi);
		}
		r->ntypes = n;
		fprintf(f, "%s", n > 1 ? " }" : "");
	}
	if (chance(15)) {
		unsigned int want = fam == FAM_V4 ? FAM_V4 : fam == FAM_V6 ? FAM_V6 : 1u + rndn(2);

		fam &= want;
		fprintf(f, " family %s", want == FAM_V4 ? "ip" : "ip6");
	}
	if (chain <= 2 && chance(20))
		fprintf(f, " log");
	if (chain <= 2 && chance(10))
		fprintf(f, " limit %u/%s", 1 + rndn(100), chance(50) ? "second" : "minute");
	if (chance(10))
		fprintf(f, " comment \"rule %d\"", m->next_id);
	r->fam = fam;
	r->id = m->next_id++;
}

/* A chain-4 rule is written masquerade or snat at random; snat needs a target, and a target's
 * family narrows the rule. This wraps gen_rule to keep that in one place. */
static void gen_rule_line(struct model *m, int chain, struct m_rule *r, FILE *f)
{
	struct text t;
	char *line;
	bool target;

	/* NAT translates IPv4 only (no NAT66): the checker refuses a NAT rule that matches IPv6
	 * only, so draw again until it does not. */
	for (;;) {
		text_open(&t);
		gen_rule(m, chain, r, t.f);
		line = text_close(&t);
		if (chain <= 2 || (r->fam & FAM_V4))
			break;
		free(line);
		m->next_id--;
	}
	target = chain == 3 || (chain == 4 && strncmp(line, "nat snat", 8) == 0);
	fputs(line, f);
	if (target) {
		/* NAT targets are IPv4 (no NAT66): an IPv6-only rule keeps no target and fails to
		 * parse, so gen_rule's caller never gives a NAT rule IPv6-only matches. */
		r->fam &= FAM_V4;
		fputs(chain == 3 ? (chance(50) ? " -> 10.9.0.1:80" : " -> 10.9.0.1")
		                 : " -> 198.51.100.10-198.51.100.20:20000-60000",
		      f);
	}
	fputc('\n', f);
	free(line);
}

static char *gen_policy(struct model *m, int nrules)
{
	struct text t;

	memset(m, 0, sizeof(*m));
	m->next_id = 1;
	m->rules = calloc(MAX_MRULES, sizeof(*m->rules));
	assert_non_null(m->rules);
	text_open(&t);
	for (int z = 0; z < NZONES; z++)
		fprintf(t.f, "zone z%d { if%da, if%db }\n", z, z, z);
	gen_sets(m, t.f);
	fprintf(t.f, "defaults {\n input drop\n forward drop\n}\n");
	for (int i = 0; i < nrules; i++)
		gen_rule_line(m, (int)rndn(5), &m->rules[m->nrules++], t.f);
	return text_close(&t);
}

/* ---- packets ----------------------------------------------------------------------------- */
struct pkt {
	int chain;
	__u32 src[4], dst[4];
	int in_zone, out_zone; /* slot: zone id, 63 for no zone */
	int proto;
	int family;       /* 0 ip, 1 ip6 */
	int sport, dport; /* -1: protocol without ports */
	int itype;        /* ICMP / ICMPv6 on a filter chain: the type; -1 otherwise */
};

static void random_addr(const struct model *m, __u32 a[4], bool v4)
{
	for (int tries = 0; tries < 100; tries++) {
		uint8_t *b = (uint8_t *)a;

		if (m->npool && chance(70)) {
			const struct m_prefix *p = &m->pool[rndn((unsigned int)m->npool)];

			if (prefix_is_v4(p) != v4 && !(p->plen < 96 && !v4))
				continue;
			memcpy(a, p->a, 16);
			for (int i = p->plen; i < 128; i++)
				if (chance(50))
					b[i / 8] |= (uint8_t)(1u << (7 - i % 8));
		} else if (v4) {
			mapped(a, chance(70) ? 0x0a000000u | rndn(4) << 16 | rndn(65536)
			                     : (uint32_t)rnd());
		} else {
			a[0] = htonl(chance(70) ? 0x20010db8 : (uint32_t)rnd());
			a[1] = htonl(rndn(4) << 16 | rndn(3));
			a[2] = (uint32_t)rnd();
			a[3] = (uint32_t)rnd();
		}
		if (v4 && !is_mapped(a))
			continue;
		if (!v4 && is_mapped(a))
			continue;
		return;
	}
	/* Nothing suitable in the pool: a plain address of the family. */
	if (v4) {
		mapped(a, 0x0a000001);
	} else {
		memset(a, 0, 16);
		a[0] = htonl(0x20010db8);
		a[3] = htonl(1);
	}
}

static int random_port(const struct model *m)
{
	if (m->nports && chance(70)) {
		int p = m->ports[rndn((unsigned int)m->nports)] + (int)rndn(3) - 1;

		return p < 0 ? 0 : p > 65535 ? 65535 : p;
	}
	return (int)rndn(65536);
}

static void random_pkt(const struct model *m, struct pkt *k)
{
	static const int protos[] = {6, 17, 1, 58, 47, 0, 255, 6, 17};
	static const int zones[] = {0, 1, 2, 63, 5};

	memset(k, 0, sizeof(*k));
	k->chain = (int)rndn(TCFW_CHAIN_MAX);
	k->family = (int)rndn(2);
	random_addr(m, k->src, k->family == 0);
	random_addr(m, k->dst, k->family == 0);
	k->in_zone = zones[rndn(5)];
	k->out_zone = zones[rndn(5)];
	k->proto = protos[rndn(9)];
	k->sport = k->dport = k->itype = -1;
	/* The datapath gives the filter chains an ICMP packet's type, not the NAT chains. */
	if ((k->proto == 1 || k->proto == 58) && k->chain <= 2)
		k->itype =
		    chance(60) ? (k->proto == 1 ? 8 : 128) + (int)rndn(3) - 1 : (int)rndn(256);
	if (k->proto == 6 || k->proto == 17) {
		k->sport = random_port(m);
		k->dport = random_port(m);
	}
}

static void pkt_describe(const struct pkt *k, char *buf, size_t len)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];

	inet_ntop(AF_INET6, k->src, s, sizeof(s));
	inet_ntop(AF_INET6, k->dst, d, sizeof(d));
	snprintf(buf, len,
	         "chain %d %s -> %s in-zone %d out-zone %d proto %d family %s sport %d dport %d "
	         "type %d",
	         k->chain, s, d, k->in_zone, k->out_zone, k->proto, k->family ? "ip6" : "ip",
	         k->sport, k->dport, k->itype);
}

/* ---- naive first match over the model ---------------------------------------------------- */
static bool addr_ok(const struct model *m, const struct m_addr *a, const __u32 addr[4])
{
	bool hit = false;

	if (a->kind == 0)
		return true;
	if (a->kind == 1)
		hit = prefix_matches(&a->p, addr);
	else if (a->kind == 3)
		for (int i = 0; i < a->nlist && !hit; i++)
			hit = a->is_range[i] ? memcmp(a->lo[i], addr, 16) <= 0 &&
			                           memcmp(addr, a->hi[i], 16) <= 0
			                     : prefix_matches(&a->list[i], addr);
	else
		for (int i = 0; i < m->nset[a->set] && !hit; i++)
			hit = prefix_matches(&m->set[a->set][i], addr);
	return hit != a->neg;
}

static bool ports_ok(const struct m_rule *r, int which, int port)
{
	if (!r->nports[which])
		return true;
	if (port < 0)
		return false;
	for (int i = 0; i < r->nports[which]; i++)
		if (port >= r->lo[which][i] && port <= r->hi[which][i])
			return true;
	return false;
}

static bool types_ok(const struct m_rule *r, int itype)
{
	if (!r->ntypes)
		return true;
	for (int i = 0; i < r->ntypes; i++)
		if (itype >= r->tlo[i] && itype <= r->thi[i])
			return true;
	return false;
}

static bool proto_ok(const struct m_rule *r, int proto)
{
	return r->plist ? r->protos[proto] : r->proto < 0 || r->proto == proto;
}

static bool rule_matches(const struct model *m, const struct m_rule *r, const struct pkt *k)
{
	return r->chain == k->chain && proto_ok(r, k->proto) && types_ok(r, k->itype) &&
	       (r->in_zone < 0 || r->in_zone == k->in_zone) &&
	       (r->out_zone < 0 || r->out_zone == k->out_zone) && addr_ok(m, &r->src, k->src) &&
	       addr_ok(m, &r->dst, k->dst) && ports_ok(r, 0, k->sport) &&
	       ports_ok(r, 1, k->dport) && (r->fam & (k->family ? FAM_V6 : FAM_V4));
}

/* Rules of a chain apply in their order in the file; rules are generated in that order. */
static int naive_classify(const struct model *m, const struct pkt *k)
{
	for (int i = 0; i < m->nrules; i++)
		if (!m->rules[i].deleted && rule_matches(m, &m->rules[i], k))
			return m->rules[i].id;
	return 0;
}

/* ---- the reference classifier over the image -------------------------------------------- */
static const struct tcfw_class *class_of(const struct policy_image *img, __u32 key)
{
	__u32 id = key & 0x7fffffff;

	if ((key >> 31) != img->copy)
		fail_msg("class key 0x%x belongs to copy %u, image is copy %u", key, key >> 31,
		         img->copy);
	if (id >= img->nclasses || img->classes[id].key != key)
		fail_msg("class key 0x%x names no class of the image (%zu classes)", key,
		         img->nclasses);
	return &img->classes[id].cls;
}

static bool key_matches(const struct tcfw_lpm_key *k, const struct tcfw_lpm_key *e)
{
	struct m_prefix p;

	if (e->copy != k->copy || e->chain != k->chain)
		return false;
	memcpy(p.a, e->addr, 16);
	p.plen = (int)e->prefixlen - 32;
	return in_prefix(k->addr, &p);
}

static __u32 lpm_lookup(const struct policy_lpm_entry *v, size_t n, __u8 copy, int chain,
                        const __u32 addr[4], const char *what)
{
	struct tcfw_lpm_key k = {.prefixlen = 160, .copy = copy, .chain = (__u8)chain};
	long best = -1;

	memcpy(k.addr, addr, 16);
	for (size_t i = 0; i < n; i++)
		if (key_matches(&k, &v[i].key) &&
		    (best < 0 || v[i].key.prefixlen > v[best].key.prefixlen))
			best = (long)i;
	if (best < 0)
		fail_msg("%s lookup missed: no /0 entry for copy %u chain %d", what, copy, chain);
	return v[best].class_id;
}

static int ref_classify(const struct policy_image *img, const struct pkt *k)
{
	const struct tcfw_class *cls[8];
	size_t base = (size_t)k->chain * TCFW_SCALAR_BLOCK;
	unsigned int nw = img->meta.nwords[k->chain];
	int plain = -1, summarised = -1;

	cls[0] = class_of(img, img->scalar[base + TCFW_SCALAR_OFF_IN_ZONE + (unsigned)k->in_zone]);
	cls[1] =
	    class_of(img, img->scalar[base + TCFW_SCALAR_OFF_OUT_ZONE + (unsigned)k->out_zone]);
	cls[2] = class_of(img, img->scalar[base + TCFW_SCALAR_OFF_PROTO + (unsigned)k->proto]);
	cls[3] = class_of(img, img->scalar[base + TCFW_SCALAR_OFF_FAMILY + (unsigned)k->family]);
	cls[4] =
	    class_of(img, img->scalar[base + TCFW_SCALAR_OFF_SPORT +
	                              (k->sport < 0 ? TCFW_SCALAR_NOPORT : (unsigned)k->sport)]);
	/* As bpf/lib/policy.h does: an ICMP packet's type goes where the dport goes. */
	cls[5] = class_of(img, img->scalar[base + TCFW_SCALAR_OFF_DPORT +
	                                   (k->itype >= 0  ? (unsigned)k->itype
	                                    : k->dport < 0 ? TCFW_SCALAR_NOPORT
	                                                   : (unsigned)k->dport)]);
	cls[6] = class_of(img, lpm_lookup(img->src, img->nsrc, img->copy, k->chain, k->src, "src"));
	cls[7] = class_of(img, lpm_lookup(img->dst, img->ndst, img->copy, k->chain, k->dst, "dst"));

	/* As the datapath does: words whose summary bit is set in all eight classes. */
	for (unsigned int s = 0; s < TCFW_POLICY_SUMMARY_WORDS && summarised < 0; s++) {
		uint64_t sum = ~0ull;

		for (int f = 0; f < 8; f++)
			sum &= cls[f]->summary[s];
		while (sum && summarised < 0) {
			unsigned int wi = s * 64 + (unsigned int)__builtin_ctzll(sum);
			uint64_t w = ~0ull;

			sum &= sum - 1;
			for (int f = 0; f < 8; f++)
				w &= cls[f]->w[wi];
			if (w)
				summarised = (int)(wi * 64 + (unsigned int)__builtin_ctzll(w));
		}
	}
	/* The same without summaries: they must never hide a match. */
	for (unsigned int wi = 0; wi < TCFW_POLICY_WORDS && plain < 0; wi++) {
		uint64_t w = ~0ull;

		for (int f = 0; f < 8; f++)
			w &= cls[f]->w[wi];
		if (w)
			plain = (int)(wi * 64 + (unsigned int)__builtin_ctzll(w));
	}
	if (plain != summarised)
		fail_msg("summary words disagree with the bitmaps: %d vs %d", summarised, plain);
	if (plain < 0)
		return 0;
	if ((unsigned int)plain >= img->meta.nrules[k->chain] || (unsigned int)plain >= nw * 64)
		fail_msg("rule position %d beyond the chain's %u rules", plain,
		         img->meta.nrules[k->chain]);
	return (int)img->rules[k->chain][plain].id;
}

/* Structural promises of an image: every slot names a class, every (copy, chain) has /0. */
static void check_image_shape(const struct policy_image *img)
{
	for (size_t i = 0; i < img->nclasses; i++) {
		const struct tcfw_class *c = &img->classes[i].cls;

		assert_int_equal(img->classes[i].key, TCFW_CLASS_KEY(img->copy, i));
		for (unsigned int w = 0; w < TCFW_POLICY_WORDS; w++)
			if (!!c->w[w] != !!(c->summary[w / 64] & (1ull << (w % 64))))
				fail_msg("class %zu: summary bit of word %u wrong", i, w);
	}
	assert_int_equal(img->nscalar, (size_t)TCFW_CHAIN_MAX * TCFW_SCALAR_BLOCK);
	for (size_t i = 0; i < img->nscalar; i++)
		if ((img->scalar[i] & 0x7fffffff) >= img->nclasses ||
		    img->scalar[i] >> 31 != img->copy)
			fail_msg("scalar slot %zu holds 0x%x, not a class key of this image", i,
			         img->scalar[i]);
	for (int side = 0; side < 2; side++) {
		const struct policy_lpm_entry *v = side ? img->dst : img->src;
		size_t n = side ? img->ndst : img->nsrc;

		for (int chain = 0; chain < TCFW_CHAIN_MAX; chain++) {
			bool has_default = false;

			for (size_t i = 0; i < n; i++)
				has_default |= v[i].key.chain == chain &&
				               v[i].key.prefixlen == 32 &&
				               v[i].key.copy == img->copy;
			if (!has_default)
				fail_msg("%s: no /0 entry for chain %d", side ? "dst" : "src",
				         chain);
		}
		for (size_t i = 1; i < n; i++)
			if (memcmp(&v[i].key, &v[i - 1].key, sizeof(v[i].key)) == 0)
				fail_msg("%s: entry %zu repeats the key of the one before",
				         side ? "dst" : "src", i);
	}
	for (int c = 0; c < TCFW_CHAIN_MAX; c++) {
		assert_int_equal(img->meta.nrules[c], img->nrules[c]);
		assert_int_equal(img->meta.nwords[c], (img->nrules[c] + 63) / 64);
	}
}

/* The policy text under test, printed when a packet disagrees. */
static const char *current_text;

static void compare(const struct model *m, const struct policy_image *img, int npkts,
                    const char *label)
{
	struct pkt k;
	char desc[256];

	for (int i = 0; i < npkts; i++) {
		int want, got;

		random_pkt(m, &k);
		want = naive_classify(m, &k);
		got = ref_classify(img, &k);
		if (want != got) {
			pkt_describe(&k, desc, sizeof(desc));
			if (current_text && strlen(current_text) < 20000)
				fprintf(stderr, "policy under test:\n%s", current_text);
			fail_msg(
			    "%s, packet %d (%s): first-match says rule %d, the image says rule %d",
			    label, i, desc, want, got);
		}
	}
}

static struct policy *parse_or_fail(const char *text, const char *label)
{
	struct policy_diags d = {0};
	struct policy *p = policy_parse(label, text, strlen(text), &d);

	if (!p) {
		char *s = policy_diags_str(&d);

		fail_msg("%s does not parse:\n%s", label, s);
	}
	policy_diags_free(&d);
	return p;
}

static void compile_or_fail(const struct policy *p, __u8 copy, struct policy_image *img,
                            const char *label)
{
	struct policy_diags d = {0};

	if (policy_compile(p, copy, img, &d) != 0) {
		char *s = policy_diags_str(&d);

		fail_msg("%s does not compile:\n%s", label, s);
	}
	policy_diags_free(&d);
}

/* ---- tests ------------------------------------------------------------------------------- */
static void test_random_policies(void **state)
{
	(void)state;
	for (unsigned int seed = 1; seed <= 60; seed++) {
		struct model m;
		struct policy_image img;
		struct policy *p;
		char label[64], *text;

		rng_state = 0x9e3779b97f4a7c15ull * seed;
		text = gen_policy(&m, 1 + (int)rndn(seed < 30 ? 40 : 200));
		snprintf(label, sizeof(label), "random policy seed %u", seed);
		current_text = text;
		p = parse_or_fail(text, label);
		compile_or_fail(p, (__u8)(seed % 2), &img, label);
		check_image_shape(&img);
		compare(&m, &img, 3000, label);
		policy_image_free(&img);

		/* Run-time edits: delete some rules, add some, compile again. */
		for (int e = 0; e < 5; e++) {
			int victim = (int)rndn((unsigned int)m.nrules);
			struct policy_diags d = {0};
			struct text t;
			char *line;
			int id;

			if (!m.rules[victim].deleted) {
				assert_int_equal(policy_rule_del(p, (uint32_t)m.rules[victim].id),
				                 0);
				m.rules[victim].deleted = true;
			}
			text_open(&t);
			gen_rule_line(&m, (int)rndn(5), &m.rules[m.nrules], t.f);
			line = text_close(&t);
			id = policy_rule_add(p, line, &d);
			if (id != m.rules[m.nrules].id)
				fail_msg("%s: adding '%s' gave id %d, expected %d: %s", label, line,
				         id, m.rules[m.nrules].id, d.n ? d.v[0].msg : "no message");
			m.nrules++;
			free(line);
			policy_diags_free(&d);
		}
		snprintf(label, sizeof(label), "random policy seed %u after edits", seed);
		compile_or_fail(p, 0, &img, label);
		check_image_shape(&img);
		compare(&m, &img, 1000, label);
		policy_image_free(&img);
		policy_free(p);
		free(m.rules);
		free(text);
		current_text = NULL;
	}
}

static void addr_of(const char *text, __u32 a[4])
{
	struct in_addr v4;

	if (inet_pton(AF_INET, text, &v4) == 1)
		mapped(a, ntohl(v4.s_addr));
	else if (inet_pton(AF_INET6, text, a) != 1)
		fail_msg("bad address in the test itself: %s", text);
}

struct example_case {
	const char *what;
	int chain;
	const char *src, *dst;
	int in_zone, out_zone, proto, sport, dport;
	int want;
};

static void test_example_policy(void **state)
{
	/* lan = zone 0, wan = zone 1, 63 = no zone */
	static const struct example_case cases[] = {
	    {"ssh from the LAN", 0, "192.0.2.1", "192.0.2.254", 0, 63, 6, 40000, 22, 1},
	    {"ssh from an admin on the WAN", 0, "198.51.100.7", "203.0.113.1", 1, 63, 6, 40000, 22,
	     2},
	    {"ssh from an IPv6 admin", 0, "2001:db8:1::5", "2001:db8:ff::1", 1, 63, 6, 40000, 22,
	     2},
	    {"ssh from a stranger", 0, "192.0.2.9", "203.0.113.1", 1, 63, 6, 40000, 22, 0},
	    {"telnet from an admin", 0, "198.51.100.7", "203.0.113.1", 1, 63, 6, 40000, 23, 0},
	    {"ping from the WAN", 0, "192.0.2.9", "203.0.113.1", 1, 63, 1, -1, -1, 3},
	    {"IPv6 ping from the WAN", 0, "2001:db8:5::1", "2001:db8:ff::1", 1, 63, 58, -1, -1, 4},
	    {"UDP to the gateway from the WAN", 0, "192.0.2.9", "203.0.113.1", 1, 63, 17, 5, 53, 0},
	    {"blocked host", 1, "203.0.113.66", "10.10.1.2", 1, 0, 6, 1000, 80, 5},
	    {"blocked range", 1, "203.0.113.200", "10.10.1.2", 1, 0, 6, 1000, 80, 5},
	    {"next to the blocked host", 1, "203.0.113.67", "10.10.1.2", 1, 0, 6, 1000, 80, 8},
	    {"SMTP out", 1, "10.10.1.5", "192.0.2.25", 0, 1, 6, 40000, 25, 6},
	    {"web out", 1, "10.10.1.5", "192.0.2.80", 0, 1, 6, 40000, 443, 7},
	    {"IPv6 out", 1, "2001:db8:2::5", "2001:db8:ff::80", 0, 1, 17, 4000, 53, 7},
	    {"port forward", 1, "192.0.2.9", "10.10.1.2", 1, 0, 6, 40000, 80, 8},
	    {"port forward, other port", 1, "192.0.2.9", "10.10.1.2", 1, 0, 6, 40000, 81, 0},
	    {"WAN to LAN", 1, "192.0.2.9", "10.10.1.3", 1, 0, 17, 40000, 80, 0},
	    {"output", 2, "203.0.113.1", "192.0.2.9", 63, 1, 6, 40000, 443, 0},
	    {"masquerade", 4, "10.10.1.5", "192.0.2.9", 0, 1, 6, 40000, 443, 9},
	    {"masquerade, wrong zone", 4, "10.10.1.5", "192.0.2.9", 1, 0, 6, 40000, 443, 0},
	    {"snat", 4, "10.20.3.4", "192.0.2.9", 0, 1, 17, 40000, 53, 10},
	    {"no nat", 4, "10.30.0.1", "192.0.2.9", 0, 1, 6, 40000, 443, 0},
	    {"no nat for IPv6", 4, "2001:db8:2::5", "2001:db8:ff::80", 0, 1, 6, 40000, 443, 0},
	    {"dnat", 3, "192.0.2.9", "203.0.113.1", 1, 63, 6, 40000, 8080, 11},
	    {"dnat, udp", 3, "192.0.2.9", "203.0.113.1", 1, 63, 17, 40000, 8080, 0},
	    {"dnat, from the LAN zone", 3, "10.10.1.5", "203.0.113.1", 0, 63, 6, 40000, 8080, 0},
	};
	struct policy_image img;
	struct policy *p = parse_or_fail(example_policy, "example policy");
	const struct tcfw_rule *r;

	(void)state;
	compile_or_fail(p, 1, &img, "example policy");
	check_image_shape(&img);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct example_case *c = &cases[i];
		struct pkt k = {.chain = c->chain,
		                .in_zone = c->in_zone,
		                .out_zone = c->out_zone,
		                .proto = c->proto,
		                .sport = c->sport,
		                .dport = c->dport,
		                .itype = -1};
		int got;

		addr_of(c->src, k.src);
		addr_of(c->dst, k.dst);
		k.family = strchr(c->src, ':') ? 1 : 0;
		got = ref_classify(&img, &k);
		if (got != c->want)
			fail_msg("example policy, %s: expected rule %d, got %d", c->what, c->want,
			         got);
	}

	assert_int_equal(img.meta.default_verdict[TCFW_CHAIN_INPUT], TCFW_VERDICT_DROP);
	assert_int_equal(img.meta.default_verdict[TCFW_CHAIN_FORWARD], TCFW_VERDICT_DROP);
	assert_int_equal(img.meta.default_verdict[TCFW_CHAIN_OUTPUT], TCFW_VERDICT_ACCEPT);
	assert_int_equal(img.meta.invalid_verdict, TCFW_VERDICT_DROP);
	assert_int_equal(img.meta.timeouts[TCFW_CT_TCP_ESTABLISHED], 86400);
	assert_int_equal(img.meta.timeouts[TCFW_CT_TCP_SYN_SENT], 30);
	assert_int_equal(img.meta.timeouts[TCFW_CT_UDP_UNREPLIED], 30);
	assert_int_equal(img.meta.timeouts[TCFW_CT_UDP_REPLIED], 30);
	assert_int_equal(img.meta.timeouts[TCFW_CT_UDP_ASSURED], 180);
	assert_int_equal(img.meta.timeouts[TCFW_CT_ICMP_UNREPLIED], 30);
	assert_int_equal(img.meta.timeouts[TCFW_CT_ICMP_REPLIED], 30);
	assert_int_equal(img.meta.timeouts[TCFW_CT_TCP_TIME_WAIT], 120); /* netfilter's */
	assert_int_equal(img.meta.nrules[TCFW_CHAIN_INPUT], 4);
	assert_int_equal(img.meta.nrules[TCFW_CHAIN_FORWARD], 4);
	assert_int_equal(img.meta.nrules[TCFW_CHAIN_OUTPUT], 0);
	assert_int_equal(img.meta.nrules[TCFW_CHAIN_DNAT], 1);
	assert_int_equal(img.meta.nrules[TCFW_CHAIN_SNAT], 2);

	r = &img.rules[TCFW_CHAIN_FORWARD][0];
	assert_int_equal(r->id, 5);
	assert_int_equal(r->verdict, TCFW_VERDICT_DROP);
	assert_int_equal(r->flags, TCFW_RULEF_LOG);
	r = &img.rules[TCFW_CHAIN_FORWARD][1];
	assert_int_equal(r->verdict, TCFW_VERDICT_REJECT);
	r = &img.rules[TCFW_CHAIN_SNAT][0];
	assert_int_equal(r->id, 9);
	assert_int_equal(r->verdict, TCFW_NAT_SNAT);
	assert_int_equal(r->nat_flags, TCFW_NATF_MASQ);
	r = &img.rules[TCFW_CHAIN_SNAT][1];
	assert_int_equal(r->id, 10);
	assert_int_equal(r->verdict, TCFW_NAT_SNAT);
	assert_int_equal(r->nat_flags, 0);
	assert_int_equal(r->nat_addr_lo[3], htonl(0xc633640a)); /* 198.51.100.10 */
	assert_int_equal(r->nat_addr_hi[3], htonl(0xc6336414)); /* 198.51.100.20 */
	assert_int_equal(r->nat_addr_lo[2], htonl(0xffff));
	assert_int_equal(r->nat_port_lo, 20000);
	assert_int_equal(r->nat_port_hi, 60000);
	r = &img.rules[TCFW_CHAIN_DNAT][0];
	assert_int_equal(r->id, 11);
	assert_int_equal(r->verdict, TCFW_NAT_DNAT);
	assert_int_equal(r->nat_addr_lo[3], htonl(0x0a0a0102)); /* 10.10.1.2 */
	assert_int_equal(memcmp(r->nat_addr_lo, r->nat_addr_hi, 16), 0);
	assert_int_equal(r->nat_port_lo, 80);
	assert_int_equal(r->nat_port_hi, 80);

	policy_image_free(&img);
	policy_free(p);
}

static void test_limit_and_log_flags(void **state)
{
	struct policy *p = parse_or_fail("zone lan { lan0 }\n"
	                                 "input accept in lan limit 10/second\n"
	                                 "input accept limit 3/minute log\n",
	                                 "limit policy");
	struct policy_image img;

	(void)state;
	compile_or_fail(p, 0, &img, "limit policy");
	assert_int_equal(img.rules[0][0].flags, TCFW_RULEF_LIMIT);
	assert_int_equal(img.rules[0][0].limit_rate, 10);
	assert_int_equal(img.rules[0][0].limit_period_s, 1);
	assert_int_equal(img.rules[0][1].flags, TCFW_RULEF_LIMIT | TCFW_RULEF_LOG);
	assert_int_equal(img.rules[0][1].limit_rate, 3);
	assert_int_equal(img.rules[0][1].limit_period_s, 60);
	policy_image_free(&img);
	policy_free(p);
}

/* An empty policy still answers every lookup: the default of each chain. */
static void test_empty_policy(void **state)
{
	struct policy *p = parse_or_fail("", "empty policy");
	struct policy_image img;
	struct model m = {0};
	struct pkt k;

	(void)state;
	compile_or_fail(p, 0, &img, "empty policy");
	check_image_shape(&img);
	assert_int_equal(img.nclasses, 1);
	assert_int_equal(img.nsrc, TCFW_CHAIN_MAX);
	rng_state = 7;
	for (int i = 0; i < 100; i++) {
		random_pkt(&m, &k);
		assert_int_equal(ref_classify(&img, &k), 0);
	}
	assert_int_equal(img.meta.default_verdict[TCFW_CHAIN_INPUT], TCFW_VERDICT_ACCEPT);
	assert_int_equal(img.meta.invalid_verdict, TCFW_VERDICT_DROP);
	policy_image_free(&img);
	policy_free(p);
}

/* 10,000 forward rules with distinct prefixes and ports. */
static void test_ten_thousand_rules(void **state)
{
	struct model m;
	struct text t;
	struct policy_image img;
	struct policy *p;
	char *text;

	(void)state;
	rng_state = 10000;
	memset(&m, 0, sizeof(m));
	m.next_id = 1;
	m.rules = calloc(MAX_MRULES, sizeof(*m.rules));
	assert_non_null(m.rules);
	text_open(&t);
	fprintf(t.f, "zone z0 { a0 }\nzone z1 { a1 }\nzone z2 { a2 }\n");
	for (int s = 0; s < NSETS; s++)
		fprintf(t.f, "set %s { }\n", set_names[s]);
	for (int i = 0; i < 10000; i++)
		gen_rule_line(&m, 1, &m.rules[m.nrules++], t.f);
	text = text_close(&t);
	p = parse_or_fail(text, "10,000 rules");
	assert_int_equal(policy_rule_count(p), 10000);
	compile_or_fail(p, 0, &img, "10,000 rules");
	check_image_shape(&img);
	assert_int_equal(img.meta.nrules[TCFW_CHAIN_FORWARD], 10000);
	assert_int_equal(img.meta.nwords[TCFW_CHAIN_FORWARD], 157);
	assert_true(img.nclasses <= TCFW_POLICY_MAX_CLASSES);
	/* Deduplication keeps the image near the number of distinct values, not values x rules. */
	assert_true(img.nclasses < 60000);
	compare(&m, &img, 300, "10,000 rules");
	policy_image_free(&img);
	policy_free(p);
	free(m.rules);
	free(text);
}

/* A set of 100,000 prefixes used by a few rules: one LPM entry per prefix, few classes. */
static void test_hundred_thousand_prefix_set(void **state)
{
	struct model m;
	struct text t;
	struct policy_image img;
	struct policy *p;
	char *text, buf[64];
	int n = 0;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.rules = calloc(8, sizeof(*m.rules));
	assert_non_null(m.rules);
	text_open(&t);
	/* 100,000 distinct prefixes: /24s in 10.0.0.0/7 and /64s in 2001:db8::/32. */
	fprintf(t.f, "zone lan { lan0 }\nset big {\n");
	for (uint32_t i = 0; i < 100000; i++) {
		struct m_prefix pfx = {0};

		if (i % 4 == 3) {
			pfx.a[0] = htonl(0x20010db8);
			pfx.a[1] = htonl(i);
			pfx.plen = 64;
		} else {
			mapped(pfx.a, 0x0a000000u | i << 8);
			pfx.plen = 96 + 24;
		}
		prefix_text(&pfx, buf, sizeof(buf));
		fprintf(t.f, "\t%s,\n", buf);
		if (i % 1000 == 0)
			pool_add(&m, &pfx);
		n++;
	}
	fprintf(t.f, "}\n");
	fprintf(t.f, "forward drop from @big proto tcp\n");
	fprintf(t.f, "forward accept to !@big\n");
	fprintf(t.f, "input reject from !@big in lan\n");
	text = text_close(&t);
	assert_int_equal(n, 100000);
	p = parse_or_fail(text, "100,000-prefix set");

	compile_or_fail(p, 1, &img, "100,000-prefix set");
	check_image_shape(&img);
	/* forward: src and dst tries hold the set, input: src; plus /0 defaults everywhere. */
	assert_int_equal(img.nsrc, 2 * 100000 + TCFW_CHAIN_MAX);
	assert_int_equal(img.ndst, 100000 + TCFW_CHAIN_MAX);
	assert_true(img.nclasses < 64);

	/* Hand-picked packets: inside the set, outside it, both families. */
	struct {
		const char *src, *dst;
		int chain, proto, in_zone, want;
	} cases[] = {
	    {"10.0.5.9", "10.0.6.1", 1, 6, 0, 1},               /* from the set, tcp: drop */
	    {"10.0.5.9", "10.0.6.1", 1, 17, 0, 0},              /* udp, to the set: no rule */
	    {"10.0.5.9", "192.0.2.1", 1, 17, 0, 2},             /* to outside the set */
	    {"2001:db8:0:3::1", "2001:db8:0:7::1", 1, 6, 0, 1}, /* IPv6 member, tcp */
	    {"2001:db8:0:4::1", "2001:db8:0:7::1", 1, 6, 0, 0}, /* 4 % 4 != 3: not a member */
	    {"10.0.5.9", "10.0.6.1", 0, 6, 0, 0},               /* input from the set */
	    {"192.0.2.1", "10.0.6.1", 0, 6, 0, 3},              /* input from outside, in lan */
	    {"192.0.2.1", "10.0.6.1", 0, 6, 63, 0},             /* ... but from no zone */
	    {"10.0.3.1", "10.0.6.1", 0, 6, 0, 3}, /* 10.0.3.0/24: i = 3 is IPv6, not in */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pkt k = {.chain = cases[i].chain,
		                .proto = cases[i].proto,
		                .in_zone = cases[i].in_zone,
		                .out_zone = 63,
		                .sport = 1000,
		                .dport = 80};
		int got;

		addr_of(cases[i].src, k.src);
		addr_of(cases[i].dst, k.dst);
		k.family = strchr(cases[i].src, ':') ? 1 : 0;
		got = ref_classify(&img, &k);
		if (got != cases[i].want)
			fail_msg(
			    "100,000-prefix set, case %zu (%s -> %s): expected rule %d, got %d", i,
			    cases[i].src, cases[i].dst, cases[i].want, got);
	}
	/* Random packets; membership by arithmetic: prefix i is (0x0a000000 | i << 8)/24 when
	 * i % 4 != 3, 2001:db8:0:i::/64 otherwise, for i < 100,000. */
	rng_state = 100000;
	for (int i = 0; i < 400; i++) {
		struct pkt k = {
		    .chain = (int)rndn(2), .in_zone = chance(50) ? 0 : 63, .out_zone = 63};
		bool in_src, in_dst;
		int want, got;

		k.family = (int)rndn(2);
		k.proto = chance(50) ? 6 : 17;
		k.sport = 1000;
		k.dport = 80;
		for (int side = 0; side < 2; side++) {
			__u32 *a = side ? k.dst : k.src;
			uint32_t idx = rndn(110000);
			bool member = idx < 100000 && (idx % 4 == 3) == (k.family == 1);

			if (k.family == 0) {
				mapped(a, 0x0a000000u | idx << 8 | rndn(256));
			} else {
				a[0] = htonl(0x20010db8);
				a[1] = htonl(idx);
				a[2] = (uint32_t)rnd();
				a[3] = (uint32_t)rnd();
			}
			if (side)
				in_dst = member;
			else
				in_src = member;
		}
		if (k.chain == 1)
			want = in_src && k.proto == 6 ? 1 : !in_dst ? 2 : 0;
		else
			want = !in_src && k.in_zone == 0 ? 3 : 0;
		got = ref_classify(&img, &k);
		if (got != want)
			fail_msg(
			    "100,000-prefix set, random packet %d (chain %d family %d proto %d): "
			    "expected rule %d, got %d",
			    i, k.chain, k.family, k.proto, want, got);
	}
	policy_image_free(&img);
	policy_free(p);
	free(m.rules);
	free(text);
}

/* One rule too many in a chain: a clear error, no image. */
/* The prefilter's zone mask of the longest prefix of img->pre_src holding host address a (a
 * lookup of the trie as the datapath makes it); 0 when none. */
static uint64_t pre_lookup(const struct policy_image *img, const __u32 a[4])
{
	uint32_t best = 0;
	uint64_t zones = 0;

	for (size_t i = 0; i < img->npre_src; i++) {
		const struct tcfw_lpm_key *k = &img->pre_src[i].key;
		uint32_t plen = k->prefixlen - 32;
		bool in = true;

		for (uint32_t b = 0; b < plen && in; b++) {
			uint32_t w = b / 32, bit = 31 - b % 32;

			in = ((ntohl(k->addr[w]) ^ ntohl(a[w])) >> bit & 1) == 0;
		}
		if (in && k->prefixlen >= best) {
			best = k->prefixlen;
			zones = img->pre_src[i].zones;
		}
	}
	return zones;
}

/* 'prefilter': the zones of covering prefixes are carried down to the covered ones (one LPM
 * lookup answers for every zone), ::/0 does not reach IPv4, duplicates merge. */
static void test_prefilter(void **state)
{
	static const char text[] = "zone lan { lan0 }\nzone wan { wan0 }\nzone dmz { dmz0 }\n"
				   "set big { 10.0.0.0/8, ::/0 }\n"
				   "set small { 10.1.0.0/16, 192.0.2.1 }\n"
				   "set dup { 192.0.2.1 }\n"
				   "prefilter wan { drop from @big; drop untracked }\n"
				   "prefilter dmz { drop from @small; drop from @dup }\n"
				   "prefilter lan { drop untracked }\n";
	struct policy_diags d = {0};
	struct policy_image img;
	struct policy *p = policy_parse("pre", text, strlen(text), &d);
	__u32 a[4] = {0};

	(void)state;
	assert_non_null(p);
	assert_int_equal(policy_compile(p, 1, &img, &d), 0);
	assert_int_equal(img.pre_meta.zones_blocked, (1u << 1) | (1u << 2));
	assert_int_equal(img.pre_meta.zones_untracked, (1u << 0) | (1u << 1));
	/* 10/8, ::/0, 10.1/16, 192.0.2.1 (once), and the IPv4 range node below ::/0. */
	assert_int_equal(img.npre_src, 5);
	for (size_t i = 0; i < img.npre_src; i++)
		assert_int_equal(img.pre_src[i].key.copy, 1);
	mapped(a, 0x0a010203); /* 10.1.2.3: wan (10/8) and dmz (10.1/16) */
	assert_int_equal(pre_lookup(&img, a), (1u << 1) | (1u << 2));
	mapped(a, 0x0a020203); /* 10.2.2.3: wan only */
	assert_int_equal(pre_lookup(&img, a), 1u << 1);
	mapped(a, 0xc0000201); /* 192.0.2.1: dmz only; ::/0 means IPv6 */
	assert_int_equal(pre_lookup(&img, a), 1u << 2);
	mapped(a, 0xc6336401); /* 198.51.100.1: nothing */
	assert_int_equal(pre_lookup(&img, a), 0);
	a[0] = htonl(0x20010db8), a[1] = a[2] = 0, a[3] = htonl(1); /* IPv6: ::/0 of wan */
	assert_int_equal(pre_lookup(&img, a), 1u << 1);
	assert_true(policy_zone_prefiltered(p, 0) && policy_zone_prefiltered(p, 2));
	policy_image_free(&img);
	policy_free(p);
	policy_diags_free(&d);
}

/* A million prefixes fit in one copy of the prefilter's trie; one more set of them does not. */
static void test_prefilter_million(void **state)
{
	struct policy_diags d = {0};
	struct policy_image img;
	struct text t;
	struct policy *p;
	char *text;

	(void)state;
	text_open(&t);
	fprintf(t.f, "zone wan { wan0 }\nset huge {\n");
	/* 1,000,000 /32s in 10.0.0.0/8 (its first million hosts). */
	for (uint32_t i = 0; i < 1000000; i++)
		fprintf(t.f, "%u.%u.%u.%u,\n", 10, i >> 16 & 255, i >> 8 & 255, i & 255);
	fprintf(t.f, "}\nprefilter wan { drop from @huge }\n");
	text = text_close(&t);
	p = policy_parse("million", text, strlen(text), &d);
	assert_non_null(p);
	assert_int_equal(policy_compile(p, 0, &img, &d), 0);
	assert_int_equal(img.npre_src, 1000000);
	policy_image_free(&img);
	policy_free(p);
	free(text);

	text_open(&t);
	fprintf(t.f, "zone wan { wan0 }\nset huge {\n");
	for (uint32_t i = 0; i < 1048577; i++)
		fprintf(t.f, "%u.%u.%u.%u,\n", 10 + (i >> 24), i >> 16 & 255, i >> 8 & 255,
		        i & 255);
	fprintf(t.f, "}\nprefilter wan { drop from @huge }\n");
	text = text_close(&t);
	p = policy_parse("too many", text, strlen(text), &d);
	assert_non_null(p);
	assert_int_equal(policy_compile(p, 0, &img, &d), -1);
	{
		char *msg = policy_diags_str(&d);

		assert_non_null(strstr(msg, "the prefilter sets hold 1048577 distinct prefixes: at "
		                            "most 1048576 fit"));
		free(msg);
	}
	policy_free(p);
	free(text);
	policy_diags_free(&d);
}

static void test_rules_per_chain_limit(void **state)
{
	struct policy_diags d = {0};
	struct policy_image img;
	struct policy *p;
	struct text t;
	char *text;

	(void)state;
	text_open(&t);
	for (int i = 0; i <= TCFW_POLICY_MAX_RULES; i++)
		fprintf(t.f, "output accept proto tcp dport %d\n", i % 65536);
	text = text_close(&t);
	p = parse_or_fail(text, "16385 output rules");
	assert_int_equal(policy_compile(p, 0, &img, &d), -1);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.v[0].msg,
	                    "chain output has 16385 rules: at most 16384 fit in the datapath, this "
	                    "is rule 16385 of it; merge rules with sets or port lists");
	/* Where an editor can go: the first rule that does not fit. */
	assert_int_equal(d.v[0].line, TCFW_POLICY_MAX_RULES + 1);
	assert_int_equal(d.v[0].col, 1);
	assert_null(img.scalar);
	assert_null(img.classes);
	policy_diags_free(&d);
	/* policy check and fwd's start make the same test without compiling for real. */
	memset(&d, 0, sizeof(d));
	assert_int_equal(policy_check_fits(p, &d), -1);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.v[0].line, TCFW_POLICY_MAX_RULES + 1);
	policy_diags_free(&d);
	policy_free(p);
	free(text);
}

/*
 * More classes than the datapath holds: in three chains of 16,384 rules, rule i matches source
 * ports i..i+k and destination ports i..i+k+1 with a different k per chain, so nearly every
 * port value has a bitmap of its own: about 6 x 16,384 distinct classes, beyond
 * TCFW_POLICY_MAX_CLASSES (two chains make 65,532: just below).
 */
static void test_classes_limit(void **state)
{
	struct policy_diags d = {0};
	struct policy_image img;
	struct policy *p;
	struct text t;
	char *text;

	(void)state;
	text_open(&t);
	for (int i = 0; i < TCFW_POLICY_MAX_RULES; i++) {
		fprintf(t.f, "input accept proto tcp sport %d dport %d-%d\n", i, i, i + 1);
		fprintf(t.f, "forward accept proto tcp sport %d-%d dport %d-%d\n", i, i + 2, i,
		        i + 3);
		fprintf(t.f, "output accept proto tcp sport %d-%d dport %d-%d\n", i, i + 4, i,
		        i + 5);
	}
	text = text_close(&t);
	p = parse_or_fail(text, "65,536+ classes");
	assert_int_equal(policy_compile(p, 0, &img, &d), -1);
	assert_int_equal(d.n, 1);
	assert_string_equal(
	    d.v[0].msg, "the policy needs more than 65536 rule classes (distinct sets of rules "
			"that one address, port, protocol or zone can match); use fewer distinct "
			"port ranges or address prefixes");
	assert_null(img.classes);
	assert_int_equal(img.nsrc, 0);
	policy_diags_free(&d);
	policy_free(p);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_example_policy),
	    cmocka_unit_test(test_limit_and_log_flags),
	    cmocka_unit_test(test_empty_policy),
	    cmocka_unit_test(test_random_policies),
	    cmocka_unit_test(test_ten_thousand_rules),
	    cmocka_unit_test(test_hundred_thousand_prefix_set),
	    cmocka_unit_test(test_rules_per_chain_limit),
	    cmocka_unit_test(test_prefilter),
	    cmocka_unit_test(test_prefilter_million),
	    cmocka_unit_test(test_classes_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
