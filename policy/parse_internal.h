/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * parse_internal.h - the recursive-descent parser's state and helpers, shared by parse.c (the
 * statement loop), parse_decl.c (zone, set, defaults, timeouts), parse_rule.c (filter and nat
 * rules) and parse_value.c (addresses, ports, durations, rates, NAT targets).
 *
 * Error handling: a parse function reports what it expected at the offending token, returns
 * -1, and the statement loop skips to the end of the statement, so every line gets checked
 * and all errors are collected.
 */
#ifndef TCFW_POLICY_PARSE_INTERNAL_H
#define TCFW_POLICY_PARSE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "lexer_internal.h"
#include "policy_internal.h"

struct parser {
	struct lexer lx;
	struct token tok; /* the current token */
	const char *file;
	struct policy_diags *diags;
	struct policy *pol;
	int nerr;
	int depth; /* braces open, counting the current token */
	/* A forgotten '}' was detected at a line that starts a statement: the current token
	 * begins the next statement, so recovery must not skip it. */
	bool resync;
	bool oom;
};

void ps_init(struct parser *ps, struct policy *pol, const char *file, const char *text, size_t len,
             struct policy_diags *diags);
void ps_fini(struct parser *ps);
void ps_next(struct parser *ps);
bool ps_is_word(const struct parser *ps, const char *w);
bool ps_at_end(const struct parser *ps); /* end of line or file */
struct pol_loc ps_loc(const struct parser *ps);

/* Report an error at loc (counted in ps->nerr). */
void ps_error_at(struct parser *ps, struct pol_loc loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The current token is word, which may stand once in its block (where: "rule", "set", "limit"):
 * *seen records its place; a second one is an error naming the first, -1. Does not advance. */
int ps_once(struct parser *ps, const char *word, const char *where, struct pol_loc *seen);
/* "expected WHAT, got <current token>" at the current token; returns -1. */
int ps_expected(struct parser *ps, const char *what);
/* Report "missing '}' for the block opened at L:C" at the current token (which starts a new
 * statement, or is the end of the file) and arrange for parsing to go on from here; -1. */
int ps_unclosed(struct parser *ps, struct pol_loc open, const char *what);
/* Skip to the end of the statement (a newline outside braces, or the end of the file). */
void ps_skip_statement(struct parser *ps);
void ps_skip_newlines(struct parser *ps);
/* Copy of the current word; NULL (and ps->oom) when out of memory. */
char *ps_strdup(struct parser *ps, const char *s);
/* Zone and set names: a letter or '_', then letters, digits, '_', '-', '.'; at most 64. */
bool pol_valid_name(const char *s);
/* True for a word that starts a statement ("zone", "input", ...). */
bool ps_is_statement_keyword(const char *w);

/*
 * '{' WORD { ',' WORD } [','] '}', spanning lines if need be: item() is called with each word
 * as the current token. what names an item in messages ("address"). allow_empty: "{ }" is fine.
 * A list left open (a statement starts, or the file ends) is reported once and keeps its items:
 * 0 with ps->resync set, so that a zone or set is still declared for the rules that use it.
 */
int parse_word_list(struct parser *ps, const char *what, bool allow_empty,
                    int (*item)(struct parser *ps, void *ctx), void *ctx);

/* ---- parse_decl.c ------------------------------------------------------------------------- */
int parse_zone(struct parser *ps);
int parse_set(struct parser *ps);
int parse_defaults(struct parser *ps);
int parse_prefilter(struct parser *ps); /* parse_prefilter.c */
/* '{' { entry } '}' with entries one a line (defaults, timeouts, prefilter). */
int parse_block(struct parser *ps, const char *what, int (*entry)(struct parser *ps));
int parse_timeouts(struct parser *ps);
/* accept, drop, reject (only the first n of them) at the current token. */
int parse_verdict(struct parser *ps, unsigned int n, enum tcfw_verdict *out);

/* ---- parse_rule.c ------------------------------------------------------------------------- */
/* The current token is the hook ("input", "forward", "output") or "nat". On success *out is
 * the new rule (not yet checked against zones and sets). */
int parse_rule(struct parser *ps, struct pol_rule **out);
/* 'log' [ 'prefix' STRING ], the current token being 'log' (rules and defaults alike): sets
 * *log and, with a prefix, *prefix (malloc'd). */
int parse_log(struct parser *ps, bool *log, char **prefix);

/* ---- parse_value.c ------------------------------------------------------------------------ */
/* Each reports its own error at loc and returns -1 on bad input. */
int parse_prefix(struct parser *ps, const char *text, struct pol_loc loc, struct pol_prefix *out);
int parse_port_range(struct parser *ps, const char *text, struct pol_loc loc,
                     struct pol_port_range *out);
/* A port, a range N-M, or a service name ("ssh", "https": the services database). */
int parse_port_or_service(struct parser *ps, const char *text, struct pol_loc loc,
                          struct pol_port_range *out);
int parse_duration(struct parser *ps, const char *text, struct pol_loc loc, __u32 *seconds);
/* Unsigned decimal that fits in max; false when text is not one. */
bool parse_uint(const char *text, unsigned long max, unsigned long *out);
/* "198.51.100.10-198.51.100.20:20000-60000", "[2001:db8::1]:80"; ranges only when allowed. */
int parse_nat_target(struct parser *ps, const char *text, struct pol_loc loc, bool allow_ranges,
                     struct pol_nat_target *out);
/* A list of the names in words[] for messages: "accept, drop, reject". */
void words_list(const char *const *words, unsigned int n, char *buf, size_t len);
/* " (did you mean 'PREFIXx'?)" in buf when a candidate is close to word, else "". */
const char *did_you_mean(char *buf, size_t len, const char *word, const char *const *candidates,
                         unsigned int n, const char *prefix);

#endif
