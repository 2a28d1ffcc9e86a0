// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * parse_decl.c - the declarations: zone, set, defaults and timeouts.
 *
 *   zone NAME '{' IFNAME { ',' IFNAME } '}'
 *   set NAME '{' [ ADDR { ',' ADDR } ] '}' [ 'flags' 'dynamic' ] [ 'timeout' DURATION ]
 *   defaults '{' { HOOK VERDICT [ 'log' [ 'prefix' STRING ] ] | 'invalid' ('drop'|'accept') } '}'
 *   timeouts '{' { PROTO [STATE] DURATION } '}'
 *
 * Lists in braces may span lines and end with a comma. Block entries (defaults, timeouts) are
 * one a line (or separated by ';'); a bad entry is reported and the next one still checked.
 * Names are checked for duplicates by the checker (check.c), which sees the whole policy.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "quote.h"
#include "parse_internal.h"

/* The name after 'zone' / 'set'; what = "zone" or "set". */
static char *parse_decl_name(struct parser *ps, const char *what, struct pol_loc *loc)
{
	char expected[64];

	if (ps->tok.kind != TOK_WORD) {
		snprintf(expected, sizeof(expected), "a %s name after '%s'", what, what);
		ps_expected(ps, expected);
		return NULL;
	}
	*loc = ps_loc(ps);
	if (!pol_valid_name(ps->tok.text)) {
		ps_error_at(ps, *loc,
		            "invalid %s name %s: use up to 64 letters, digits, '_', '-' or '.', "
		            "starting with a letter or '_'",
		            what, QUOTE(ps->tok.text));
		return NULL;
	}
	return ps_strdup(ps, ps->tok.text);
}

/* ---- zone ------------------------------------------------------------------------------------ */
static bool valid_ifname(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > POL_IFNAME_MAX || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	return strpbrk(s, "/:") == NULL;
}

static int zone_item(struct parser *ps, void *ctx)
{
	struct pol_zone *z = ctx;
	char **names;
	struct pol_loc *locs;

	if (!valid_ifname(ps->tok.text)) {
		ps_error_at(ps, ps_loc(ps),
		            "invalid interface name %s: 1 to %d characters, without '/' or ':'",
		            QUOTE(ps->tok.text), POL_IFNAME_MAX);
		return -1;
	}
	names = realloc(z->ifnames, (z->nif + 1) * sizeof(*names));
	if (names)
		z->ifnames = names;
	locs = realloc(z->if_locs, (z->nif + 1) * sizeof(*locs));
	if (locs)
		z->if_locs = locs;
	if (!names || !locs || !(names[z->nif] = ps_strdup(ps, ps->tok.text))) {
		ps->oom = true;
		return -1;
	}
	locs[z->nif++] = ps_loc(ps);
	return 0;
}

static void zone_fini(struct pol_zone *z)
{
	for (size_t i = 0; i < z->nif; i++)
		free(z->ifnames[i]);
	free(z->ifnames);
	free(z->if_locs);
	free(z->name);
}

int parse_zone(struct parser *ps)
{
	struct policy *p = ps->pol;
	struct pol_zone z = {0}, *zones;

	ps_next(ps);
	z.name = parse_decl_name(ps, "zone", &z.loc);
	if (!z.name)
		return -1;
	ps_next(ps);
	if (ps->tok.kind != TOK_LBRACE) {
		ps_expected(ps, "'{' and the zone's interfaces after the zone name");
		goto fail;
	}
	if (parse_word_list(ps, "interface name", false, zone_item, &z) < 0)
		goto fail;
	zones = realloc(p->zones, (p->nzones + 1) * sizeof(*zones));
	if (!zones) {
		ps->oom = true;
		goto fail;
	}
	p->zones = zones;
	p->zones[p->nzones++] = z;
	return 0;
fail:
	zone_fini(&z);
	return -1;
}

/* ---- set ------------------------------------------------------------------------------------- */
struct set_build {
	struct pol_set *set;
	size_t cap;
};

static int set_item(struct parser *ps, void *ctx)
{
	struct set_build *b = ctx;
	struct pol_prefix pfx;

	if (parse_prefix(ps, ps->tok.text, ps_loc(ps), &pfx) < 0)
		return -1;
	if (b->set->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 8;
		struct pol_prefix *v = realloc(b->set->v, cap * sizeof(*v));

		if (!v) {
			ps->oom = true;
			return -1;
		}
		b->set->v = v;
		b->cap = cap;
	}
	b->set->v[b->set->n++] = pfx;
	return 0;
}

static int prefix_qsort_cmp(const void *a, const void *b)
{
	return pol_prefix_cmp(a, b);
}

/* Sorted, duplicates dropped: the canonical order the formatter prints and the compiler
 * expects. */
static void set_normalise(struct pol_set *s)
{
	size_t out = 0;

	if (s->n == 0)
		return;
	qsort(s->v, s->n, sizeof(s->v[0]), prefix_qsort_cmp);
	for (size_t i = 1; i < s->n; i++)
		if (pol_prefix_cmp(&s->v[i], &s->v[out]) != 0)
			s->v[++out] = s->v[i];
	s->n = out + 1;
}

/* What may follow a set's '}': 'flags dynamic' and 'timeout D' (dynamic sets only), each once. */
static int parse_set_attrs(struct parser *ps, struct pol_set *s)
{
	static const char *const attrs[] = {"flags", "timeout"};
	static const char *const flags[] = {"dynamic"};
	char hint[64];

	while (!ps_at_end(ps) && ps->tok.kind == TOK_WORD) {
		if (ps_is_word(ps, "flags")) {
			if (ps_once(ps, "flags", "set", &s->dynamic_loc))
				return -1;
			ps_next(ps);
			if (!ps_is_word(ps, "dynamic")) {
				if (ps->tok.kind == TOK_WORD &&
				    *did_you_mean(hint, sizeof(hint), ps->tok.text, flags, 1,
				                  NULL)) {
					ps_error_at(ps, ps_loc(ps), "unknown set flag %s%s",
					            QUOTE(ps->tok.text), hint);
					return -1;
				}
				return ps_expected(ps, "a set flag (dynamic) after 'flags'");
			}
			s->dynamic = true;
			ps_next(ps);
			continue;
		}
		if (ps_is_word(ps, "timeout")) {
			if (ps_once(ps, "timeout", "set", &s->timeout_loc))
				return -1;
			ps_next(ps);
			if (ps->tok.kind != TOK_WORD)
				return ps_expected(ps, "a duration (like 30s, 10m, 1h or 1d) after "
				                       "'timeout'");
			if (parse_duration(ps, ps->tok.text, ps_loc(ps), &s->timeout_s) < 0)
				return -1;
			ps_next(ps);
			continue;
		}
		if (*did_you_mean(hint, sizeof(hint), ps->tok.text, attrs, 2, NULL)) {
			ps_error_at(ps, ps_loc(ps), "unknown set option %s%s", QUOTE(ps->tok.text),
			            hint);
			return -1;
		}
		return ps_expected(ps, "'flags dynamic', 'timeout DURATION' or end of line after "
		                       "the set");
	}
	if (s->timeout_loc.line && !s->dynamic) {
		ps_error_at(ps, s->timeout_loc,
		            "'timeout' applies to dynamic sets only: add 'flags dynamic' before "
		            "it, or leave the timeout out");
		return -1;
	}
	return 0;
}

int parse_set(struct parser *ps)
{
	struct policy *p = ps->pol;
	struct pol_set s = {0}, *sets;
	struct set_build b = {.set = &s};

	ps_next(ps);
	s.name = parse_decl_name(ps, "set", &s.loc);
	if (!s.name)
		return -1;
	ps_next(ps);
	if (ps->tok.kind != TOK_LBRACE) {
		ps_expected(ps, "'{' and the set's addresses after the set name");
		goto fail;
	}
	if (parse_word_list(ps, "address", true, set_item, &b) < 0)
		goto fail;
	if (!ps->resync && parse_set_attrs(ps, &s) < 0)
		goto fail;
	set_normalise(&s);
	sets = realloc(p->sets, (p->nsets + 1) * sizeof(*sets));
	if (!sets) {
		ps->oom = true;
		goto fail;
	}
	p->sets = sets;
	p->sets[p->nsets++] = s;
	return 0;
fail:
	free(s.v);
	free(s.name);
	return -1;
}

/* ---- blocks: defaults and timeouts ----------------------------------------------------------- */
/*
 * Does the line that the current word (input, forward, output) begins hold a rule rather than
 * a defaults entry? An entry is HOOK VERDICT [log [prefix TEXT]]: a match or option as the third
 * word ("input accept proto tcp") means the block's '}' was forgotten above it. Read from the
 * raw text, since the parser has no look-ahead.
 */
static bool line_is_rule(const struct parser *ps)
{
	/* Not "log": a default may be logged too ("forward drop log prefix ..."). */
	static const char *const rule_words[] = {"in",    "out",   "from",   "to",    "proto",
	                                         "sport", "dport", "family", "limit", "comment"};
	const char *s = ps->lx.s, *word = NULL;
	size_t i = ps->lx.pos, n = 0;
	int words = 1; /* the hook */
	bool in_word = false;

	if (!ps_is_word(ps, "input") && !ps_is_word(ps, "forward") && !ps_is_word(ps, "output"))
		return false;
	for (; i < ps->lx.len && !strchr("\n;#}{,\"", s[i]); i++) {
		bool blank = s[i] == ' ' || s[i] == '\t' || s[i] == '\r';

		if (!blank && !in_word && ++words == 3)
			word = &s[i];
		if (word && !n && blank)
			n = (size_t)(&s[i] - word);
		in_word = !blank;
	}
	if (!word)
		return false;
	if (!n)
		n = (size_t)(&s[i] - word);
	for (size_t k = 0; k < sizeof(rule_words) / sizeof(rule_words[0]); k++)
		if (strlen(rule_words[k]) == n && !strncmp(word, rule_words[k], n))
			return true;
	return false;
}

/*
 * '{' { entry } '}' with entries one a line. entry() parses one from its first token up to
 * the end of its line. A failing entry is skipped to its line's end and the block goes on.
 */
int parse_block(struct parser *ps, const char *what, int (*entry)(struct parser *ps))
{
	struct pol_loc open = ps_loc(ps);
	int block_depth, rc, errors = 0;
	char expected[96];

	if (ps->tok.kind != TOK_LBRACE) {
		snprintf(expected, sizeof(expected), "'{' after '%s'", what);
		return ps_expected(ps, expected);
	}
	block_depth = ps->depth;
	ps_next(ps);
	for (;;) {
		ps_skip_newlines(ps);
		if (ps->tok.kind == TOK_RBRACE) {
			ps_next(ps);
			return errors ? -1 : 0;
		}
		if (ps->tok.kind == TOK_EOF)
			return ps_unclosed(ps, open, what);
		if (ps->tok.kind == TOK_WORD &&
		    ((ps_is_statement_keyword(ps->tok.text) && strcmp(ps->tok.text, "input") &&
		      strcmp(ps->tok.text, "forward") && strcmp(ps->tok.text, "output")) ||
		     ps->tok.text[0] == '[' || line_is_rule(ps)))
			return ps_unclosed(ps, open, what);
		rc = entry(ps);
		if (rc == 0 && !ps_at_end(ps) && ps->tok.kind != TOK_RBRACE)
			rc = ps_expected(ps, "end of line after the entry");
		if (rc == 0)
			continue;
		errors++;
		/* Skip the rest of this entry's line, but not the block's closing brace. */
		while (ps->tok.kind != TOK_EOF &&
		       !(ps->tok.kind == TOK_NEWLINE && ps->depth == block_depth) &&
		       !(ps->tok.kind == TOK_RBRACE && ps->depth == block_depth - 1))
			ps_next(ps);
	}
}

/* ---- defaults ----------------------------------------------------------------------------- */
static const char *const hook_words[] = {"input", "forward", "output"};
static const char *const verdict_words[] = {"accept", "drop", "reject"};

/* A verdict word at the current token (accept, drop, reject; only the first `n` of them). */
int parse_verdict(struct parser *ps, unsigned int n, enum tcfw_verdict *out)
{
	char list[64], hint[64], msg[160];

	for (unsigned int i = 0; ps->tok.kind == TOK_WORD && i < n; i++) {
		if (strcmp(ps->tok.text, verdict_words[i]) == 0) {
			*out = (enum tcfw_verdict)i;
			ps_next(ps);
			return 0;
		}
	}
	words_list(verdict_words, n, list, sizeof(list));
	snprintf(msg, sizeof(msg), "a verdict (%s)", list);
	if (ps->tok.kind == TOK_WORD &&
	    *did_you_mean(hint, sizeof(hint), ps->tok.text, verdict_words, n, NULL)) {
		ps_error_at(ps, ps_loc(ps), "expected %s, got %s%s", msg, QUOTE(ps->tok.text),
		            hint);
		return -1;
	}
	return ps_expected(ps, msg);
}

static int defaults_entry(struct parser *ps)
{
	struct policy *p = ps->pol;
	struct pol_loc loc = ps_loc(ps);
	enum tcfw_verdict v = TCFW_VERDICT_ACCEPT;
	char hint[64];

	if (ps_is_word(ps, "invalid")) {
		ps_next(ps);
		if (ps_is_word(ps, "reject")) {
			ps_error_at(
			    ps, ps_loc(ps),
			    "'invalid' takes drop or accept, not reject: a packet conntrack "
			    "cannot place gets no answer");
			return -1;
		}
		if (parse_verdict(ps, 2, &v) < 0)
			return -1;
		if (ps_is_word(ps, "log")) {
			ps_error_at(ps, ps_loc(ps),
			            "'invalid' takes no 'log': packets conntrack calls invalid are "
			            "counted (ct_invalid in fwctl stats), not logged");
			return -1;
		}
		if (p->invalid_loc.line) {
			ps_error_at(ps, loc,
			            "'invalid' is set twice in defaults (first at line %d)",
			            p->invalid_loc.line);
			return -1;
		}
		p->invalid_verdict = (__u8)v;
		p->invalid_loc = loc;
		return 0;
	}
	for (unsigned int h = 0; h < 3; h++) {
		if (!ps_is_word(ps, hook_words[h]))
			continue;
		ps_next(ps);
		if (parse_verdict(ps, 3, &v) < 0)
			return -1;
		if (p->default_loc[h].line) {
			ps_error_at(ps, loc, "'%s' is set twice in defaults (first at line %d)",
			            hook_words[h], p->default_loc[h].line);
			return -1;
		}
		p->default_verdict[h] = (__u8)v;
		p->default_loc[h] = loc;
		if (ps_is_word(ps, "log"))
			return parse_log(ps, &p->default_log[h], &p->default_prefix[h]);
		return 0;
	}
	if (ps->tok.kind == TOK_WORD) {
		static const char *const entries[] = {"input", "forward", "output", "invalid"};

		ps_error_at(ps, loc,
		            "unknown default %s%s: expected input, forward, output or invalid",
		            QUOTE(ps->tok.text),
		            did_you_mean(hint, sizeof(hint), ps->tok.text, entries, 4, NULL));
		return -1;
	}
	return ps_expected(ps, "input, forward, output or invalid");
}

int parse_defaults(struct parser *ps)
{
	ps_next(ps);
	return parse_block(ps, "defaults", defaults_entry);
}

/* ---- timeouts ----------------------------------------------------------------------------- */
static const char *const timeout_protos[] = {"tcp", "udp", "icmp", "icmpv6", "other"};
#define N_TIMEOUT_PROTOS (sizeof(timeout_protos) / sizeof(timeout_protos[0]))

/* The states that "proto" accepts, for messages and suggestions. */
static unsigned int timeout_states_of(const char *proto, const char **out, unsigned int max)
{
	unsigned int n = 0;

	for (size_t i = 0; i < pol_n_timeout_keys && n < max; i++)
		if (strcmp(pol_timeout_keys[i].proto, proto) == 0 && pol_timeout_keys[i].state)
			out[n++] = pol_timeout_keys[i].state;
	return n;
}

static const struct pol_timeout_key *timeout_key_find(const char *proto, const char *state)
{
	for (size_t i = 0; i < pol_n_timeout_keys; i++) {
		const struct pol_timeout_key *k = &pol_timeout_keys[i];

		if (strcmp(k->proto, proto) == 0 &&
		    (state ? k->state && strcmp(k->state, state) == 0 : !k->state))
			return k;
	}
	return NULL;
}

static bool looks_like_duration(const char *w)
{
	return isdigit((unsigned char)w[0]);
}

static int timeout_state(struct parser *ps, const char *proto, const struct pol_timeout_key **key)
{
	const char *states[16];
	unsigned int n = timeout_states_of(proto, states, 16);
	char list[256], hint[64];

	*key = NULL;
	if (ps->tok.kind == TOK_WORD && looks_like_duration(ps->tok.text))
		*key = timeout_key_find(proto, NULL);
	else if (ps->tok.kind == TOK_WORD)
		*key = timeout_key_find(proto, ps->tok.text);
	if (*key) {
		if ((*key)->state)
			ps_next(ps);
		return 0;
	}
	words_list(states, n, list, sizeof(list));
	if (ps->tok.kind != TOK_WORD || looks_like_duration(ps->tok.text)) {
		ps_error_at(ps, ps_loc(ps), "'%s' needs a state before the duration: one of %s",
		            proto, list);
		return -1;
	}
	did_you_mean(hint, sizeof(hint), ps->tok.text, states, n, NULL);
	if (hint[0])
		ps_error_at(ps, ps_loc(ps), "unknown %s state %s%s", proto, QUOTE(ps->tok.text),
		            hint);
	else
		ps_error_at(ps, ps_loc(ps), "unknown %s state %s: expected one of %s", proto,
		            QUOTE(ps->tok.text), list);
	return -1;
}

static int timeouts_entry(struct parser *ps)
{
	struct policy *p = ps->pol;
	struct pol_loc loc = ps_loc(ps);
	const struct pol_timeout_key *key;
	const char *proto = NULL;
	char hint[64];
	__u32 secs;

	for (size_t i = 0; ps->tok.kind == TOK_WORD && i < N_TIMEOUT_PROTOS; i++)
		if (strcmp(ps->tok.text, timeout_protos[i]) == 0)
			proto = timeout_protos[i];
	if (!proto) {
		if (ps->tok.kind != TOK_WORD)
			return ps_expected(ps, "a protocol (tcp, udp, icmp, icmpv6 or other)");
		did_you_mean(hint, sizeof(hint), ps->tok.text, timeout_protos, N_TIMEOUT_PROTOS,
		             NULL);
		ps_error_at(ps, loc, "unknown protocol %s in timeouts%s%s", QUOTE(ps->tok.text),
		            hint, hint[0] ? "" : ": expected tcp, udp, icmp, icmpv6 or other");
		return -1;
	}
	ps_next(ps);
	if (timeout_state(ps, proto, &key) < 0)
		return -1;
	if (ps->tok.kind != TOK_WORD)
		return ps_expected(ps, "a duration (like 30s, 5m, 2h or 1d)");
	if (parse_duration(ps, ps->tok.text, ps_loc(ps), &secs) < 0)
		return -1;
	for (unsigned int s = 0; s < TCFW_CT_STATE_MAX; s++) {
		if (!(key->states & (1u << s)) || !p->timeout_loc[s].line)
			continue;
		ps_error_at(ps, loc, "timeout for '%s%s%s' is set twice (first at line %d)", proto,
		            key->state ? " " : "", key->state ? key->state : "",
		            p->timeout_loc[s].line);
		return -1;
	}
	for (unsigned int s = 0; s < TCFW_CT_STATE_MAX; s++) {
		if (key->states & (1u << s)) {
			p->timeouts[s] = secs;
			p->timeout_loc[s] = loc;
		}
	}
	ps_next(ps);
	return 0;
}

int parse_timeouts(struct parser *ps)
{
	ps_next(ps);
	return parse_block(ps, "timeouts", timeouts_entry);
}
