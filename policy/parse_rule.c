// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * parse_rule.c - filter rules and nat statements.
 *
 *   rule := HOOK VERDICT { match } [ 'log' [ 'prefix' STRING ] ]
 *           [ 'limit' N '/' ('second'|'minute') [ 'burst' N ] [ 'per' 'source' ] ]
 *           [ 'add' '@'SET ] [ 'comment' STRING ]
 *   nat  := 'nat' 'masquerade' { match }
 *         | 'nat' ('snat' | 'dnat') { match } '->' TARGET
 *
 * Matches and options may come in any order (each at most once); the formatter prints them
 * in the grammar's order. Whether a match makes sense for the hook (out on input, a missing
 * 'out' on snat, ports without a protocol that has them) is the checker's business, which
 * also resolves zone and set names.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "names.h"
#include "tcfw_proto.h"
#include "quote.h"
#include "parse_internal.h"

#define LIMIT_RATE_MAX 1000000u

static const char *const rule_words[] = {"in",    "out",    "from", "to",    "proto",   "sport",
                                         "dport", "family", "log",  "limit", "comment", "add"};
#define RULE_WORD_ADD 11
#define N_RULE_WORDS  (sizeof(rule_words) / sizeof(rule_words[0]))

static const char *const limit_words[] = {"burst", "per"};

static const char *const nat_kinds[] = {"masquerade", "snat", "dnat"};

/* Where each match/option was first seen in this rule, to report duplicates. */
struct seen {
	struct pol_loc at[N_RULE_WORDS];
};

/* Marks rule_words[w] as seen; an error when it was already there. */
static int see(struct parser *ps, struct seen *seen, unsigned int w)
{
	return ps_once(ps, rule_words[w], "rule", &seen->at[w]);
}

static int parse_zone_ref(struct parser *ps, const char *kw, char **name, struct pol_loc *loc)
{
	char expected[48];

	ps_next(ps);
	if (ps->tok.kind != TOK_WORD) {
		snprintf(expected, sizeof(expected), "a zone name after '%s'", kw);
		return ps_expected(ps, expected);
	}
	*loc = ps_loc(ps);
	if (!pol_valid_name(ps->tok.text)) {
		ps_error_at(ps, *loc, "invalid zone name %s", QUOTE(ps->tok.text));
		return -1;
	}
	*name = ps_strdup(ps, ps->tok.text);
	if (!*name)
		return -1;
	ps_next(ps);
	return 0;
}

/* "A-B": an address range, cut into prefixes and appended to the match's list. */
static int addr_range_item(struct parser *ps, const char *text, struct pol_loc loc,
                           struct pol_addr_match *m)
{
	const char *dash = strchr(text, '-');
	struct pol_prefix lo, hi;
	char a[64];

	if ((size_t)(dash - text) >= sizeof(a) || strchr(text, '/')) {
		ps_error_at(ps, loc,
		            "invalid address range %s: expected FIRST-LAST, two addresses without "
		            "'/', like 192.0.2.1-192.0.2.9",
		            QUOTE(text));
		return -1;
	}
	memcpy(a, text, (size_t)(dash - text));
	a[dash - text] = '\0';
	if (parse_prefix(ps, a, loc, &lo) < 0 || parse_prefix(ps, dash + 1, loc, &hi) < 0)
		return -1;
	if (addr_is_v4(lo.addr) != addr_is_v4(hi.addr)) {
		ps_error_at(ps, loc,
		            "address range %s mixes IPv4 and IPv6: both ends must be "
		            "of one family",
		            QUOTE(text));
		return -1;
	}
	if (memcmp(lo.addr, hi.addr, sizeof(lo.addr)) > 0) {
		ps_error_at(ps, loc, "address range %s is reversed (did you mean %s-%s?)",
		            QUOTE(text), dash + 1, a);
		return -1;
	}
	if (pol_range_to_prefixes(lo.addr, hi.addr, &m->list, &m->nlist) < 0) {
		ps->oom = true;
		return -1;
	}
	return 0;
}

/* One item of an inline address list: ADDR, PREFIX or FIRST-LAST. */
static int addr_item(struct parser *ps, void *ctx)
{
	struct pol_addr_match *m = ctx;
	struct pol_prefix pfx, *v;

	if (ps->tok.text[0] == '@') {
		ps_error_at(ps, ps_loc(ps),
		            "a set cannot go inside { }: write '@%s' alone, or add the addresses "
		            "of the list to the set",
		            ps->tok.text + 1);
		return -1;
	}
	if (strchr(ps->tok.text, '-'))
		return addr_range_item(ps, ps->tok.text, ps_loc(ps), m);
	if (parse_prefix(ps, ps->tok.text, ps_loc(ps), &pfx) < 0)
		return -1;
	v = realloc(m->list, (m->nlist + 1) * sizeof(*v));
	if (!v) {
		ps->oom = true;
		return -1;
	}
	m->list = v;
	m->list[m->nlist++] = pfx;
	return 0;
}

static int pfx_cmp(const void *a, const void *b)
{
	return pol_prefix_cmp(a, b);
}

/* Sorted, duplicates dropped: the normal form. */
static void addr_list_normalise(struct pol_addr_match *m)
{
	size_t out = 0;

	if (!m->nlist)
		return;
	qsort(m->list, m->nlist, sizeof(m->list[0]), pfx_cmp);
	for (size_t i = 1; i < m->nlist; i++)
		if (pol_prefix_cmp(&m->list[i], &m->list[out]) != 0)
			m->list[++out] = m->list[i];
	m->nlist = m->nlist ? out + 1 : 0;
}

/* ADDRS := ADDR | FIRST-LAST | '{' ADDR|FIRST-LAST, ... '}' | '@'SET | '!' ADDRS */
static int parse_addr_match(struct parser *ps, const char *kw, struct pol_addr_match *m)
{
	char expected[80];

	m->kw_loc = ps_loc(ps);
	ps_next(ps);
	while (ps->tok.kind == TOK_BANG) {
		m->neg = !m->neg;
		ps_next(ps);
	}
	m->loc = ps_loc(ps);
	if (ps->tok.kind == TOK_LBRACE) {
		m->kind = POL_ADDR_LIST;
		if (parse_word_list(ps, "address", false, addr_item, m) < 0 || ps->resync)
			return -1;
		addr_list_normalise(m);
		return 0;
	}
	if (ps->tok.kind != TOK_WORD) {
		snprintf(expected, sizeof(expected),
		         "an address, prefix, range, { list } or @set after '%s'", kw);
		return ps_expected(ps, expected);
	}
	if (ps->tok.text[0] == '@') {
		if (!pol_valid_name(ps->tok.text + 1)) {
			ps_error_at(ps, m->loc, "invalid set name %s", QUOTE(ps->tok.text));
			return -1;
		}
		m->kind = POL_ADDR_SET;
		m->set = -1;
		m->set_name = ps_strdup(ps, ps->tok.text + 1);
		if (!m->set_name)
			return -1;
	} else if (strchr(ps->tok.text, '-')) {
		m->kind = POL_ADDR_LIST;
		if (addr_range_item(ps, ps->tok.text, m->loc, m) < 0)
			return -1;
		addr_list_normalise(m);
	} else {
		if (parse_prefix(ps, ps->tok.text, m->loc, &m->pfx) < 0)
			return -1;
		m->kind = POL_ADDR_PREFIX;
	}
	ps_next(ps);
	return 0;
}

/* One protocol word at the current token: a canonical name or a number 0-255. */
static int proto_word(struct parser *ps, int *proto)
{
	const char *const *names = proto_names();
	unsigned long v;
	char hint[64];

	if (ps->tok.kind != TOK_WORD)
		return ps_expected(ps, "a protocol (" PROTO_NAMES_TEXT " or a number 0-255)");
	/* The canonical names only, as written (no "TCP", no "icmp6"): one spelling per policy. */
	for (unsigned int i = 0; i < PROTO_NAMES_MAX; i++) {
		if (strcmp(ps->tok.text, names[i]) == 0) {
			*proto = proto_parse(names[i]);
			return 0;
		}
	}
	if (parse_uint(ps->tok.text, 255, &v)) {
		*proto = (int)v;
		return 0;
	}
	if (strspn(ps->tok.text, "0123456789") == strlen(ps->tok.text)) {
		/* Digits only: no quotes, as the number it is; shortened when it is garbage. */
		if (strlen(ps->tok.text) > 20)
			ps_error_at(ps, ps_loc(ps),
			            "protocol number of %zu digits is out of range (0-255)",
			            strlen(ps->tok.text));
		else
			ps_error_at(ps, ps_loc(ps), "protocol number %s is out of range (0-255)",
			            ps->tok.text);
		return -1;
	}
	did_you_mean(hint, sizeof(hint), ps->tok.text, names, PROTO_NAMES_MAX, NULL);
	if (hint[0])
		ps_error_at(ps, ps_loc(ps), "unknown protocol %s%s", QUOTE(ps->tok.text), hint);
	else
		ps_expected(ps, "a protocol (" PROTO_NAMES_TEXT " or a number 0-255)");
	return -1;
}

static int proto_item(struct parser *ps, void *ctx)
{
	struct pol_rule *r = ctx;
	int proto;

	if (proto_word(ps, &proto) < 0)
		return -1;
	r->proto_bits[proto / 64] |= 1ull << (proto % 64);
	return 0;
}

/* One ICMP type: a name of the rule's protocol, a number 0-255 or a range N-M. */
static int type_item(struct parser *ps, void *ctx)
{
	struct pol_rule *r = ctx;
	struct pol_port_range tr, *v;
	unsigned int nnames;
	const char *const *names = pol_icmp_type_names(r->proto, &nnames);
	const char *text = ps->tok.text, *dash = strchr(text, '-');
	int t = pol_icmp_type_parse(r->proto, text);
	char hint[96];
	unsigned long lo, hi;

	if (t >= 0) {
		tr.lo = tr.hi = (uint16_t)t;
	} else if (parse_uint(text, 255, &lo)) {
		tr.lo = tr.hi = (uint16_t)lo;
	} else if (dash && dash != text && strspn(text, "0123456789-") == strlen(text)) {
		char a[8];

		snprintf(a, sizeof(a), "%.*s", (int)(dash - text), text);
		if (!parse_uint(a, 255, &lo) || !parse_uint(dash + 1, 255, &hi)) {
			ps_error_at(ps, ps_loc(ps), "%s type range %s is out of range (0-255)",
			            proto_name((uint8_t)r->proto), QUOTE(text));
			return -1;
		}
		if (lo > hi) {
			ps_error_at(ps, ps_loc(ps),
			            "%s type range %lu-%lu is reversed (did you mean %lu-%lu?)",
			            proto_name((uint8_t)r->proto), lo, hi, hi, lo);
			return -1;
		}
		tr.lo = (uint16_t)lo;
		tr.hi = (uint16_t)hi;
	} else {
		int other = r->proto == TCFW_PROTO_ICMP ? TCFW_PROTO_ICMPV6 : TCFW_PROTO_ICMP;

		if (strspn(text, "0123456789") == strlen(text))
			ps_error_at(ps, ps_loc(ps), "%s type %s is out of range (0-255)",
			            proto_name((uint8_t)r->proto), text);
		else if (pol_icmp_type_parse(other, text) >= 0)
			ps_error_at(ps, ps_loc(ps),
			            "%s is an %s type, not an %s one (use 'proto %s')", QUOTE(text),
			            proto_name((uint8_t)other), proto_name((uint8_t)r->proto),
			            proto_name((uint8_t)other));
		else if (*did_you_mean(hint, sizeof(hint), text, names, nnames, NULL))
			ps_error_at(ps, ps_loc(ps), "unknown %s type %s%s",
			            proto_name((uint8_t)r->proto), QUOTE(text), hint);
		else
			ps_error_at(
			    ps, ps_loc(ps),
			    "unknown %s type %s: expected a type name such as echo-request, "
			    "or a number 0-255",
			    proto_name((uint8_t)r->proto), QUOTE(text));
		return -1;
	}
	v = realloc(r->itype.v, (r->itype.n + 1) * sizeof(*v));
	if (!v) {
		ps->oom = true;
		return -1;
	}
	r->itype.v = v;
	r->itype.v[r->itype.n++] = tr;
	return 0;
}

static void ports_normalise(struct pol_ports *pp);

/* 'type' TYPES after 'proto icmp' / 'proto icmpv6'; TYPES := TYPE | '{' TYPE, ... '}' */
static int parse_icmp_types(struct parser *ps, struct pol_rule *r)
{
	r->itype.loc = ps_loc(ps);
	if (r->proto_list || r->proto < 0 || !tcfw_proto_is_icmp((unsigned int)r->proto)) {
		ps_error_at(ps, ps_loc(ps),
		            "'type' follows 'proto icmp' or 'proto icmpv6' (one protocol, not a "
		            "list): the type names differ");
		return -1;
	}
	ps_next(ps);
	if (ps->tok.kind == TOK_LBRACE) {
		if (parse_word_list(ps, "type", false, type_item, r) < 0 || ps->resync)
			return -1;
	} else if (ps->tok.kind == TOK_WORD) {
		if (type_item(ps, r) < 0)
			return -1;
		ps_next(ps);
	} else {
		return ps_expected(ps,
		                   "an ICMP type (echo-request, ...), a number or { ... } after "
		                   "'type'");
	}
	ports_normalise(&r->itype);
	return 0;
}

/* PROTO [ 'type' TYPES ] | '{' PROTO, ... '}' */
static int parse_proto(struct parser *ps, struct pol_rule *r)
{
	ps_next(ps);
	if (ps->tok.kind == TOK_LBRACE) {
		unsigned int count = 0;
		int last = -1;

		if (parse_word_list(ps, "protocol", false, proto_item, r) < 0 || ps->resync)
			return -1;
		for (int i = 0; i < 256; i++) {
			if (r->proto_bits[i / 64] & (1ull << (i % 64))) {
				count++;
				last = i;
			}
		}
		if (count == 1) { /* { tcp } is tcp */
			memset(r->proto_bits, 0, sizeof(r->proto_bits));
			r->proto = last;
		} else {
			r->proto_list = true;
		}
		return 0;
	}
	if (proto_word(ps, &r->proto) < 0)
		return -1;
	ps_next(ps);
	if (ps_is_word(ps, "type"))
		return parse_icmp_types(ps, r);
	return 0;
}

static int port_item(struct parser *ps, void *ctx)
{
	struct pol_ports *pp = ctx;
	struct pol_port_range r, *v;

	if (parse_port_or_service(ps, ps->tok.text, ps_loc(ps), &r) < 0)
		return -1;
	v = realloc(pp->v, (pp->n + 1) * sizeof(*v));
	if (!v) {
		ps->oom = true;
		return -1;
	}
	pp->v = v;
	pp->v[pp->n++] = r;
	return 0;
}

static int range_cmp(const void *a, const void *b)
{
	const struct pol_port_range *x = a, *y = b;

	return x->lo != y->lo ? (int)x->lo - (int)y->lo : (int)x->hi - (int)y->hi;
}

/* Sorted, overlapping and adjacent ranges merged: { 80, 22, 23 } is { 22-23, 80 }. */
static void ports_normalise(struct pol_ports *pp)
{
	size_t out = 0;

	if (!pp->n) /* a list the file ended in: reported, nothing to sort */
		return;
	qsort(pp->v, pp->n, sizeof(pp->v[0]), range_cmp);
	for (size_t i = 1; i < pp->n; i++) {
		if ((unsigned int)pp->v[i].lo <= (unsigned int)pp->v[out].hi + 1) {
			if (pp->v[i].hi > pp->v[out].hi)
				pp->v[out].hi = pp->v[i].hi;
		} else {
			pp->v[++out] = pp->v[i];
		}
	}
	pp->n = out + 1;
}

/* PORTS := N | N-M | '{' N|N-M, ... '}' */
static int parse_ports(struct parser *ps, const char *kw, struct pol_ports *pp)
{
	char expected[80];

	ps_next(ps);
	pp->loc = ps_loc(ps);
	if (ps->tok.kind == TOK_LBRACE) {
		/* Left open, the list ends where the next statement begins: drop the rule. */
		if (parse_word_list(ps, "port", false, port_item, pp) < 0 || ps->resync)
			return -1;
	} else if (ps->tok.kind == TOK_WORD) {
		if (port_item(ps, pp) < 0)
			return -1;
		ps_next(ps);
	} else {
		snprintf(expected, sizeof(expected), "a port, a range N-M or { ... } after '%s'",
		         kw);
		return ps_expected(ps, expected);
	}
	ports_normalise(pp);
	return 0;
}

static int parse_family(struct parser *ps, unsigned int *family)
{
	static const char *const names[] = {"ip", "ip6"};
	char hint[64];

	ps_next(ps);
	if (ps_is_word(ps, "ip") || ps_is_word(ps, "ip6")) {
		*family = ps_is_word(ps, "ip") ? POL_FAM_V4 : POL_FAM_V6;
		ps_next(ps);
		return 0;
	}
	if (ps->tok.kind == TOK_WORD &&
	    *did_you_mean(hint, sizeof(hint), ps->tok.text, names, 2, NULL)) {
		ps_error_at(ps, ps_loc(ps), "expected a family (ip, ip6), got %s%s",
		            QUOTE(ps->tok.text), hint);
		return -1;
	}
	return ps_expected(ps, "a family (ip, ip6)");
}

/* After the rate: [ 'burst' N ] [ 'per' 'source' ], in either order. */
static int parse_limit_options(struct parser *ps, struct pol_rule *r)
{
	struct pol_loc burst_loc = {0}, per_loc = {0};
	unsigned long v;

	for (;;) {
		if (ps_is_word(ps, "burst")) {
			if (ps_once(ps, "burst", "limit", &burst_loc))
				return -1;
			ps_next(ps);
			if (ps->tok.kind != TOK_WORD)
				return ps_expected(ps, "a number of connections after 'burst'");
			if (!parse_uint(ps->tok.text, ~0ul, &v)) {
				ps_error_at(
				    ps, ps_loc(ps),
				    "invalid burst %s: expected a number of connections, like "
				    "burst 20",
				    QUOTE(ps->tok.text));
				return -1;
			}
			if (v == 0 || v > LIMIT_RATE_MAX) {
				ps_error_at(ps, ps_loc(ps), "burst %lu is out of range (1-%u)", v,
				            LIMIT_RATE_MAX);
				return -1;
			}
			r->limit_burst = (uint32_t)v;
			ps_next(ps);
			continue;
		}
		if (ps_is_word(ps, "per")) {
			if (ps_once(ps, "per", "limit", &per_loc))
				return -1;
			ps_next(ps);
			if (!ps_is_word(ps, "source")) {
				static const char *const source[] = {"source"};
				char hint[64];

				if (ps->tok.kind == TOK_WORD &&
				    *did_you_mean(hint, sizeof(hint), ps->tok.text, source, 1,
				                  NULL)) {
					ps_error_at(ps, ps_loc(ps),
					            "expected 'source' after 'per', got %s%s",
					            QUOTE(ps->tok.text), hint);
					return -1;
				}
				return ps_expected(ps,
				                   "'source' after 'per' (limit ... per source)");
			}
			r->limit_per_source = true;
			ps_next(ps);
			continue;
		}
		return 0;
	}
}

/* 'add' '@'SET: the source of every connection the rule decides goes into a dynamic set. */
static int parse_add(struct parser *ps, struct pol_rule *r)
{
	ps_next(ps);
	if (ps->tok.kind != TOK_WORD || ps->tok.text[0] != '@')
		return ps_expected(ps, "a dynamic set after 'add', like add @scanners");
	r->add_loc = ps_loc(ps);
	if (!pol_valid_name(ps->tok.text + 1)) {
		ps_error_at(ps, r->add_loc, "invalid set name %s", QUOTE(ps->tok.text));
		return -1;
	}
	r->add_set = ps_strdup(ps, ps->tok.text + 1);
	if (!r->add_set)
		return -1;
	ps_next(ps);
	return 0;
}

/* 'limit' N '/' UNIT, written "10/second", "10/ second", "10 /second" or "10 / second". */
static int parse_limit(struct parser *ps, struct pol_rule *r)
{
	static const char *const units[] = {"second", "minute"};
	char num[24], unit[32], hint[64];
	struct pol_loc loc;
	const char *slash;
	unsigned long v;

	ps_next(ps);
	if (ps->tok.kind != TOK_WORD)
		return ps_expected(ps, "a rate like 10/second after 'limit'");
	loc = ps_loc(ps);
	slash = strchr(ps->tok.text, '/');
	snprintf(num, sizeof(num), "%.*s",
	         (int)(slash ? (size_t)(slash - ps->tok.text) : strlen(ps->tok.text)),
	         ps->tok.text);
	if (!slash) { /* "10 /second" or "10 / second" */
		ps_next(ps);
		if (ps->tok.kind != TOK_WORD || ps->tok.text[0] != '/')
			return ps_expected(ps, "'/second' or '/minute' after the limit's number");
		slash = ps->tok.text;
	}
	if (!slash[1]) { /* "10/ second" or "10 / second" */
		ps_next(ps);
		if (ps->tok.kind != TOK_WORD)
			return ps_expected(ps, "'second' or 'minute' after '/'");
		snprintf(unit, sizeof(unit), "%s", ps->tok.text);
	} else {
		snprintf(unit, sizeof(unit), "%s", slash + 1);
	}
	if (!parse_uint(num, ~0ul, &v)) {
		ps_error_at(ps, loc,
		            "invalid limit %s: expected N/second or N/minute, like 10/second",
		            QUOTE(num));
		return -1;
	}
	if (v == 0) {
		ps_error_at(ps, loc,
		            "limit 0/%s lets no connection through: use a rate of at "
		            "least 1, or a drop rule",
		            unit);
		return -1;
	}
	if (v > LIMIT_RATE_MAX) {
		ps_error_at(ps, loc, "limit %lu is too high (at most %u)", v, LIMIT_RATE_MAX);
		return -1;
	}
	if (strcmp(unit, "second") && strcmp(unit, "minute")) {
		did_you_mean(hint, sizeof(hint), unit, units, 2, NULL);
		ps_error_at(ps, loc, "unknown limit unit %s%s%s", QUOTE(unit), hint,
		            hint[0] ? "" : ": expected second or minute");
		return -1;
	}
	r->limit_rate = (uint32_t)v;
	r->limit_period_s = strcmp(unit, "second") == 0 ? 1 : 60;
	ps_next(ps);
	return parse_limit_options(ps, r);
}

static int parse_comment(struct parser *ps, struct pol_rule *r)
{
	size_t n;

	ps_next(ps);
	if (ps->tok.kind != TOK_STRING)
		return ps_expected(ps, "a \"quoted text\" after 'comment'");
	n = strlen(ps->tok.text);
	if (n > POL_COMMENT_MAX) {
		ps_error_at(ps, ps_loc(ps), "comment is %zu bytes long: at most %d", n,
		            POL_COMMENT_MAX);
		return -1;
	}
	r->comment = ps_strdup(ps, ps->tok.text);
	if (!r->comment)
		return -1;
	ps_next(ps);
	return 0;
}

/* Bytes that follow a UTF-8 lead byte; -1 when c cannot start a character. */
static int utf8_more(unsigned char c)
{
	if (c < 0x80)
		return 0;
	if (c >= 0xc2 && c <= 0xdf)
		return 1;
	if ((c & 0xf0) == 0xe0)
		return 2;
	if (c >= 0xf0 && c <= 0xf4)
		return 3;
	return -1;
}

/*
 * The prefix's text: what a log line starts with, so it must read as one: 1 to
 * POL_LOG_PREFIX_MAX characters of UTF-8 without control characters (a tab or an escape
 * sequence in a log line, a terminal or the journal is trouble nobody wants).
 */
static int check_log_prefix(struct parser *ps, struct pol_loc loc, const char *s)
{
	const unsigned char *c = (const unsigned char *)s;
	size_t chars = 0;

	if (!*s) {
		ps_error_at(ps, loc,
		            "log prefix \"\" is empty: give a text, or leave 'prefix' out");
		return -1;
	}
	while (*c) {
		int more = utf8_more(*c);

		if (*c < 0x20 || *c == 0x7f) {
			ps_error_at(ps, loc,
			            "log prefix holds a control character (0x%02x): only printable "
			            "characters are allowed",
			            *c);
			return -1;
		}
		if (more < 0) {
			ps_error_at(ps, loc,
			            "log prefix is not valid UTF-8: write the file in UTF-8");
			return -1;
		}
		for (c++; more > 0; more--, c++) {
			if ((*c & 0xc0) != 0x80) {
				ps_error_at(
				    ps, loc,
				    "log prefix is not valid UTF-8: write the file in UTF-8");
				return -1;
			}
		}
		chars++;
	}
	if (chars > POL_LOG_PREFIX_MAX) {
		ps_error_at(ps, loc, "log prefix is %zu characters long: at most %d", chars,
		            POL_LOG_PREFIX_MAX);
		return -1;
	}
	return 0;
}

int parse_log(struct parser *ps, bool *log, char **prefix)
{
	struct pol_loc loc;

	*log = true;
	ps_next(ps);
	if (!ps_is_word(ps, "prefix"))
		return 0;
	ps_next(ps);
	if (ps->tok.kind != TOK_STRING)
		return ps_expected(ps, "a \"quoted text\" after 'log prefix'");
	loc = ps_loc(ps);
	if (check_log_prefix(ps, loc, ps->tok.text) < 0)
		return -1;
	*prefix = ps_strdup(ps, ps->tok.text);
	if (!*prefix)
		return -1;
	ps_next(ps);
	return 0;
}

/* One match or option at the current word; w is its index in rule_words. */
static int parse_rule_word(struct parser *ps, struct pol_rule *r, unsigned int w)
{
	const char *kw = rule_words[w];
	bool nat = r->kind != POL_RULE_FILTER;

	if (nat && (strcmp(kw, "log") == 0 || strcmp(kw, "limit") == 0 || strcmp(kw, "add") == 0)) {
		ps_error_at(ps, ps_loc(ps), "'%s' does not apply to nat rules", kw);
		return -1;
	}
	switch (w) {
	case 0:
		return parse_zone_ref(ps, kw, &r->in_zone, &r->in_loc);
	case 1:
		return parse_zone_ref(ps, kw, &r->out_zone, &r->out_loc);
	case 2:
		return parse_addr_match(ps, kw, &r->src);
	case 3:
		return parse_addr_match(ps, kw, &r->dst);
	case 4:
		r->proto_loc = ps_loc(ps);
		return parse_proto(ps, r);
	case 5:
		return parse_ports(ps, kw, &r->sport);
	case 6:
		return parse_ports(ps, kw, &r->dport);
	case 7:
		r->family_loc = ps_loc(ps);
		return parse_family(ps, &r->family);
	case 8:
		return parse_log(ps, &r->log, &r->log_prefix);
	case 9:
		return parse_limit(ps, r);
	case RULE_WORD_ADD:
		return parse_add(ps, r);
	default:
		return parse_comment(ps, r);
	}
}

static int parse_target(struct parser *ps, struct pol_rule *r)
{
	if (r->kind == POL_RULE_FILTER) {
		ps_error_at(ps, ps_loc(ps), "'->' only follows nat snat or nat dnat rules");
		return -1;
	}
	if (r->kind == POL_RULE_MASQUERADE) {
		ps_error_at(ps, ps_loc(ps),
		            "masquerade takes no '->' target: it uses the output "
		            "interface's own address (use snat for a fixed one)");
		return -1;
	}
	ps_next(ps);
	if (ps->tok.kind != TOK_WORD)
		return ps_expected(ps, r->kind == POL_RULE_SNAT
		                           ? "an address (range) after '->', like 198.51.100.10"
		                           : "an address after '->', like 10.10.1.2:80");
	if (parse_nat_target(ps, ps->tok.text, ps_loc(ps), r->kind == POL_RULE_SNAT, &r->nat) < 0)
		return -1;
	ps_next(ps);
	if (!ps_at_end(ps))
		return ps_expected(ps, "end of line after the NAT target");
	return 0;
}

/* HOOK VERDICT, or 'nat' KIND: the head of the rule. */
static int parse_rule_head(struct parser *ps, struct pol_rule *r)
{
	static const char *const hooks[] = {"input", "forward", "output"};
	char hint[64];

	if (ps_is_word(ps, "nat")) {
		ps_next(ps);
		for (unsigned int i = 0; ps->tok.kind == TOK_WORD && i < 3; i++) {
			if (strcmp(ps->tok.text, nat_kinds[i]) == 0) {
				r->kind = (enum pol_rule_kind)(POL_RULE_MASQUERADE + i);
				r->chain = i == 2 ? TCFW_CHAIN_DNAT : TCFW_CHAIN_SNAT;
				ps_next(ps);
				return 0;
			}
		}
		if (ps->tok.kind == TOK_WORD &&
		    *did_you_mean(hint, sizeof(hint), ps->tok.text, nat_kinds, 3, NULL)) {
			ps_error_at(ps, ps_loc(ps), "unknown nat type %s%s", QUOTE(ps->tok.text),
			            hint);
			return -1;
		}
		return ps_expected(ps, "a nat type (masquerade, snat, dnat)");
	}
	for (unsigned int i = 0; i < 3; i++)
		if (ps_is_word(ps, hooks[i]))
			r->chain = (enum tcfw_chain)i;
	r->kind = POL_RULE_FILTER;
	ps_next(ps);
	return parse_verdict(ps, 3, &r->verdict);
}

static int unknown_rule_word(struct parser *ps, const struct pol_rule *r)
{
	char hint[64];
	const char *what = r->kind == POL_RULE_FILTER
	                       ? "a match (in, out, from, to, proto, sport, dport, family), log, "
	                         "limit, add, comment or end of line"
	                       : "a match (in, out, from, to, proto, sport, dport, family), "
	                         "comment, '->' or end of line";

	if ((ps_is_word(ps, "burst") || ps_is_word(ps, "per")) && r->kind == POL_RULE_FILTER) {
		ps_error_at(ps, ps_loc(ps),
		            "'%s' goes right after the rate of 'limit': write limit N/second "
		            "burst B per source",
		            ps->tok.text);
		return -1;
	}
	if (ps_is_word(ps, "type")) {
		ps_error_at(ps, ps_loc(ps),
		            "'type' goes right after 'proto icmp' or 'proto icmpv6': write proto "
		            "icmp type echo-request");
		return -1;
	}
	if (ps_is_word(ps, "prefix") && r->kind == POL_RULE_FILTER) {
		ps_error_at(ps, ps_loc(ps),
		            "'prefix' goes right after 'log': write log prefix \"TEXT\"");
		return -1;
	}
	if (ps->tok.kind == TOK_WORD &&
	    *did_you_mean(hint, sizeof(hint), ps->tok.text, rule_words, N_RULE_WORDS, NULL)) {
		ps_error_at(ps, ps_loc(ps), "unknown match %s%s", QUOTE(ps->tok.text), hint);
		return -1;
	}
	if (ps->tok.kind == TOK_WORD && r->limit_rate &&
	    *did_you_mean(hint, sizeof(hint), ps->tok.text, limit_words, 2, NULL)) {
		ps_error_at(ps, ps_loc(ps), "unknown limit option %s%s", QUOTE(ps->tok.text), hint);
		return -1;
	}
	return ps_expected(ps, what);
}

int parse_rule(struct parser *ps, struct pol_rule **out)
{
	struct pol_rule *r = calloc(1, sizeof(*r));
	struct seen seen = {0};

	if (!r) {
		ps->oom = true;
		return -1;
	}
	r->proto = -1;
	r->in_zone_id = r->out_zone_id = -1;
	r->src.set = r->dst.set = -1;
	r->add_set_id = -1;
	r->loc = ps_loc(ps);
	if (parse_rule_head(ps, r) < 0)
		goto fail;
	while (!ps_at_end(ps)) {
		unsigned int w;

		if (ps->tok.kind == TOK_ARROW) {
			if (parse_target(ps, r) < 0)
				goto fail;
			break;
		}
		for (w = 0; ps->tok.kind == TOK_WORD && w < N_RULE_WORDS; w++)
			if (strcmp(ps->tok.text, rule_words[w]) == 0)
				break;
		if (ps->tok.kind != TOK_WORD || w == N_RULE_WORDS) {
			unknown_rule_word(ps, r);
			goto fail;
		}
		if (see(ps, &seen, w) < 0 || parse_rule_word(ps, r, w) < 0)
			goto fail;
	}
	if ((r->kind == POL_RULE_SNAT || r->kind == POL_RULE_DNAT) && !r->nat.loc.line) {
		ps_error_at(ps, ps_loc(ps), "nat %s needs a target at the end: '-> %s'",
		            r->kind == POL_RULE_SNAT ? "snat" : "dnat",
		            r->kind == POL_RULE_SNAT ? "ADDR[-ADDR][:PORT[-PORT]]" : "ADDR[:PORT]");
		goto fail;
	}
	*out = r;
	return 0;
fail:
	pol_rule_free(r);
	return -1;
}
