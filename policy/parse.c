// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * parse.c - the statement loop of the recursive-descent parser and its small helpers.
 *
 * policy := { stmt }, one statement a line (or separated by ';'). A statement that fails is
 * skipped up to its end, so the next line is still checked and every error gets reported.
 * A rule may begin with "[ID]", the form policy_format() prints, so that a shown policy loads
 * back with the same rule ids.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "quote.h"
#include "parse_internal.h"

static const char *const statement_keywords[] = {
    "zone", "set", "defaults", "timeouts", "input", "forward", "output", "nat", "prefilter",
};
#define N_STATEMENT_KEYWORDS (sizeof(statement_keywords) / sizeof(statement_keywords[0]))

void ps_init(struct parser *ps, struct policy *pol, const char *file, const char *text, size_t len,
             struct policy_diags *diags)
{
	memset(ps, 0, sizeof(*ps));
	ps->pol = pol;
	ps->file = file;
	ps->diags = diags;
	lex_init(&ps->lx, file, text, len, diags);
	ps_next(ps);
}

void ps_fini(struct parser *ps)
{
	lex_fini(&ps->lx);
}

void ps_next(struct parser *ps)
{
	if (lex_next(&ps->lx, &ps->tok) < 0) {
		ps->oom = true;
		ps->tok.kind = TOK_EOF;
	}
	if (ps->tok.kind == TOK_ERROR)
		ps->nerr++; /* the lexer reported it */
	if (ps->tok.kind == TOK_LBRACE)
		ps->depth++;
	else if (ps->tok.kind == TOK_RBRACE && ps->depth > 0)
		ps->depth--;
}

bool ps_is_word(const struct parser *ps, const char *w)
{
	return ps->tok.kind == TOK_WORD && strcmp(ps->tok.text, w) == 0;
}

bool ps_at_end(const struct parser *ps)
{
	return ps->tok.kind == TOK_NEWLINE || ps->tok.kind == TOK_EOF;
}

struct pol_loc ps_loc(const struct parser *ps)
{
	return (struct pol_loc){ps->tok.line, ps->tok.col};
}

int ps_once(struct parser *ps, const char *word, const char *where, struct pol_loc *seen)
{
	if (seen->line) {
		ps_error_at(ps, ps_loc(ps), "'%s' appears twice in this %s (first at column %d)",
		            word, where, seen->col);
		return -1;
	}
	*seen = ps_loc(ps);
	return 0;
}

void ps_error_at(struct parser *ps, struct pol_loc loc, const char *fmt, ...)
{
	char *msg;
	va_list ap;

	ps->nerr++;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0) {
		va_end(ap);
		ps->oom = true;
		return;
	}
	va_end(ap);
	pol_diag(ps->diags, ps->file, loc.line, loc.col, "%s", msg);
	free(msg);
}

int ps_expected(struct parser *ps, const char *what)
{
	char buf[QUOTE_SIZE];

	/* The lexer already reported a bad token; one message per mistake is enough. */
	if (ps->tok.kind != TOK_ERROR)
		ps_error_at(ps, ps_loc(ps), "expected %s, got %s", what,
		            tok_describe(&ps->tok, buf, sizeof(buf)));
	return -1;
}

int ps_unclosed(struct parser *ps, struct pol_loc open, const char *what)
{
	char block[64] = "";

	if (what)
		snprintf(block, sizeof(block), "'%s' ", what);
	/* Said once, where the '}' belongs; the block keeps what it had, so the names it
	 * declared do not turn every later use into another error. */
	if (ps->tok.kind == TOK_EOF)
		ps_error_at(ps, ps_loc(ps),
		            "missing '}' for the %sblock opened at %d:%d: the file ends inside it",
		            block, open.line, open.col);
	else
		ps_error_at(ps, ps_loc(ps),
		            "missing '}' for the %sblock opened at %d:%d: add it before this line",
		            block, open.line, open.col);
	ps->depth = 0;
	ps->resync = ps->tok.kind != TOK_EOF;
	return -1;
}

/* Keywords that start a statement and never an entry of a block: where one begins a line,
 * a '{' before it was left open. (input/forward/output are also entries of defaults.) */
static bool starts_statement_only(const struct parser *ps)
{
	return ps_is_word(ps, "zone") || ps_is_word(ps, "set") || ps_is_word(ps, "defaults") ||
	       ps_is_word(ps, "timeouts") || ps_is_word(ps, "nat") || ps_is_word(ps, "prefilter");
}

void ps_skip_statement(struct parser *ps)
{
	while (ps->tok.kind != TOK_EOF && !(ps->tok.kind == TOK_NEWLINE && ps->depth == 0)) {
		bool newline = ps->tok.kind == TOK_NEWLINE;

		ps_next(ps);
		if (newline && ps->depth > 0 && starts_statement_only(ps)) {
			/* An error inside an unclosed block: go on from this statement. */
			ps->depth = 0;
			ps->resync = true;
			return;
		}
	}
}

void ps_skip_newlines(struct parser *ps)
{
	while (ps->tok.kind == TOK_NEWLINE)
		ps_next(ps);
}

char *ps_strdup(struct parser *ps, const char *s)
{
	char *d = strdup(s);

	if (!d)
		ps->oom = true;
	return d;
}

bool ps_is_statement_keyword(const char *w)
{
	for (size_t i = 0; i < N_STATEMENT_KEYWORDS; i++)
		if (strcmp(w, statement_keywords[i]) == 0)
			return true;
	return false;
}

const char *did_you_mean(char *buf, size_t len, const char *word, const char *const *candidates,
                         unsigned int n, const char *prefix)
{
	const char *best = name_suggest(word, candidates, n);

	buf[0] = '\0';
	if (!best)
		return buf;
	snprintf(buf, len, " (did you mean '%s%s'?)", prefix ? prefix : "", best);
	return buf;
}

void words_list(const char *const *words, unsigned int n, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (unsigned int i = 0; i < n && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ", " : "", words[i]);
}

/*
 * '{' WORD { ',' WORD } [','] '}' - calls item() for each word (the current token). allow_empty:
 * "{ }" is fine. A line that starts with a statement keyword where an item or ',' was
 * expected means the '}' was forgotten: say so rather than complain about the keyword.
 */
int parse_word_list(struct parser *ps, const char *what, bool allow_empty,
                    int (*item)(struct parser *ps, void *ctx), void *ctx)
{
	struct pol_loc open = ps_loc(ps);
	char expected[96];
	bool need_item = !allow_empty, failed = false;

	if (ps->tok.kind != TOK_LBRACE)
		return ps_expected(ps, "'{'");
	ps_next(ps);
	for (;;) {
		bool newline = ps->tok.kind == TOK_NEWLINE;

		ps_skip_newlines(ps);
		if (ps->tok.kind == TOK_RBRACE && !need_item) {
			ps_next(ps);
			return failed ? -1 : 0;
		}
		if (ps->tok.kind == TOK_EOF || (newline && ps->tok.kind == TOK_WORD &&
		                                ps_is_statement_keyword(ps->tok.text))) {
			ps_unclosed(ps, open, NULL);
			return failed ? -1 : 0;
		}
		if (ps->tok.kind != TOK_WORD) {
			snprintf(expected, sizeof(expected), "%s %s",
			         strchr("aeiou", what[0]) ? "an" : "a", what);
			return ps_expected(ps, expected);
		}
		/* A bad item is reported and the list goes on, so every bad address of a long
		 * set gets reported in one run. */
		if (item(ps, ctx) < 0) {
			if (ps->oom)
				return -1;
			failed = true;
		}
		ps_next(ps);
		newline = ps->tok.kind == TOK_NEWLINE;
		ps_skip_newlines(ps);
		if (ps->tok.kind == TOK_RBRACE) {
			ps_next(ps);
			return failed ? -1 : 0;
		}
		if (ps->tok.kind == TOK_COMMA) {
			ps_next(ps);
			need_item = false;
			continue;
		}
		if (ps->tok.kind == TOK_EOF || (newline && ps->tok.kind == TOK_WORD &&
		                                ps_is_statement_keyword(ps->tok.text))) {
			ps_unclosed(ps, open, NULL);
			return failed ? -1 : 0;
		}
		snprintf(expected, sizeof(expected), "',' or '}' after the %s", what);
		return ps_expected(ps, expected);
	}
}

/* Names of zones and sets: a letter or '_', then letters, digits, '_', '-', '.'. */
bool pol_valid_name(const char *s)
{
	if (!isalpha((unsigned char)s[0]) && s[0] != '_')
		return false;
	for (const char *c = s; *c; c++)
		if (!isalnum((unsigned char)*c) && !strchr("_-.", *c))
			return false;
	return strlen(s) <= 64;
}

/* "[12]": the rule id the formatter prints in front of a rule. */
static int parse_rule_id(struct parser *ps, uint32_t *id)
{
	const char *t = ps->tok.text;
	size_t n = strlen(t);
	unsigned long v;
	char digits[16];

	if (n < 3 || n - 2 >= sizeof(digits) || t[n - 1] != ']')
		goto bad;
	memcpy(digits, t + 1, n - 2);
	digits[n - 2] = '\0';
	if (!parse_uint(digits, POL_RULE_ID_MAX, &v) || v == 0)
		goto bad;
	*id = (uint32_t)v;
	ps_next(ps);
	return 0;
bad:
	ps_error_at(ps, ps_loc(ps), "invalid rule id %s: expected [N] with N from 1 to %u",
	            QUOTE(t), POL_RULE_ID_MAX);
	return -1;
}

static int parse_rule_statement(struct parser *ps, bool explicit_id, uint32_t id)
{
	struct pol_rule *r = NULL;

	if (parse_rule(ps, &r) < 0)
		return -1;
	r->explicit_id = explicit_id;
	r->id = id;
	if (pol_rules_append(ps->pol, r) < 0) {
		pol_rule_free(r);
		ps->oom = true;
		return -1;
	}
	return 0;
}

static int unknown_statement(struct parser *ps)
{
	char hint[96];
	const char *w = ps->tok.text;

	if (ps->tok.kind != TOK_WORD)
		return ps_expected(ps,
		                   "a statement (zone, set, defaults, timeouts, prefilter, input, "
		                   "forward, output or nat)");
	did_you_mean(hint, sizeof(hint), w, statement_keywords, N_STATEMENT_KEYWORDS, NULL);
	if (hint[0])
		ps_error_at(ps, ps_loc(ps), "unknown keyword %s%s", QUOTE(w), hint);
	else
		ps_error_at(ps, ps_loc(ps),
		            "unknown keyword %s: a statement starts with zone, set, defaults, "
		            "timeouts, prefilter, input, forward, output or nat",
		            QUOTE(w));
	return -1;
}

/* One statement, from its first token to (not including) the newline that ends it. */
static int parse_statement(struct parser *ps)
{
	bool explicit_id = false;
	uint32_t id = 0;

	if (ps->tok.kind == TOK_WORD && ps->tok.text[0] == '[') {
		if (parse_rule_id(ps, &id) < 0)
			return -1;
		explicit_id = true;
		if (!ps_is_word(ps, "input") && !ps_is_word(ps, "forward") &&
		    !ps_is_word(ps, "output") && !ps_is_word(ps, "nat"))
			return ps_expected(ps, "a rule (input, forward, output or nat) after the "
			                       "rule id");
	}
	if (ps->tok.kind != TOK_WORD)
		return unknown_statement(ps);
	if (ps_is_word(ps, "zone"))
		return parse_zone(ps);
	if (ps_is_word(ps, "set"))
		return parse_set(ps);
	if (ps_is_word(ps, "defaults"))
		return parse_defaults(ps);
	if (ps_is_word(ps, "timeouts"))
		return parse_timeouts(ps);
	if (ps_is_word(ps, "prefilter"))
		return parse_prefilter(ps);
	if (ps_is_word(ps, "input") || ps_is_word(ps, "forward") || ps_is_word(ps, "output") ||
	    ps_is_word(ps, "nat"))
		return parse_rule_statement(ps, explicit_id, id);
	return unknown_statement(ps);
}

int pol_parse_text(struct policy *p, const char *file, const char *text, size_t len,
                   struct policy_diags *diags, bool rules_only)
{
	struct parser ps;
	int nerr;

	ps_init(&ps, p, file, text, len, diags);
	for (;;) {
		ps_skip_newlines(&ps);
		if (ps.tok.kind == TOK_EOF || ps.oom)
			break;
		if (rules_only && ps.tok.kind == TOK_WORD && ps_is_statement_keyword(ps.tok.text) &&
		    !ps_is_word(&ps, "input") && !ps_is_word(&ps, "forward") &&
		    !ps_is_word(&ps, "output") && !ps_is_word(&ps, "nat")) {
			ps_error_at(&ps, ps_loc(&ps),
			            "%s cannot be added at run time: only rules (input, forward, "
			            "output, nat) can; change the policy file and reload it",
			            QUOTE(ps.tok.text));
			ps_skip_statement(&ps);
			continue;
		}
		if (parse_statement(&ps) == 0 && !ps.resync && !ps_at_end(&ps))
			ps_expected(&ps, "end of line");
		/* resync: a forgotten '}' was found at the start of the next statement, which is
		 * the current token; otherwise skip what is left of this one. */
		if (!ps.resync)
			ps_skip_statement(&ps);
		ps.resync = false;
		ps.depth = 0; /* at EOF after an unclosed '{' (reported): start afresh */
	}
	if (ps.oom)
		pol_diag(diags, file, 0, 0, "out of memory while parsing the policy");
	nerr = ps.nerr + (ps.oom ? 1 : 0);
	ps_fini(&ps);
	return nerr;
}
