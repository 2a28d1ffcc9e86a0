/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * lexer_internal.h - tokens of the policy language.
 *
 * A WORD is a run of characters other than blanks and { } , ! # " ; and the arrow "->":
 * names, keywords, numbers, addresses ("10.0.0.0/8", "2001:db8::1"), port ranges ("20-30"),
 * rates ("10/second") and NAT targets ("198.51.100.10-198.51.100.20:20000-60000") are all
 * words, and the parser reads each by its position. A newline or ';' ends a statement; '#'
 * starts a comment to the end of the line.
 */
#ifndef TCFW_POLICY_LEXER_INTERNAL_H
#define TCFW_POLICY_LEXER_INTERNAL_H

#include <stddef.h>

#include "policy_internal.h"

enum tok_kind {
	TOK_EOF = 0,
	TOK_NEWLINE, /* also ';' */
	TOK_WORD,
	TOK_STRING, /* text without the quotes, escapes resolved */
	TOK_LBRACE,
	TOK_RBRACE,
	TOK_COMMA,
	TOK_BANG,
	TOK_ARROW,
	TOK_ERROR, /* the lexer already reported it */
};

struct token {
	enum tok_kind kind;
	const char *text; /* WORD / STRING: valid until the next lex_next() */
	int line, col;
};

struct lexer {
	const char *s;
	size_t len, pos;
	int line, col;
	const char *file;
	struct policy_diags *diags;
	char *buf; /* text of the current token */
	size_t buf_cap;
};

void lex_init(struct lexer *lx, const char *file, const char *text, size_t len,
              struct policy_diags *diags);
void lex_fini(struct lexer *lx);
/* The next token; 0, or -1 when out of memory. */
int lex_next(struct lexer *lx, struct token *t);
/* What a token is, for "got ..." in messages: "'alow'", "end of line", "a string". Uses buf
 * (QUOTE_SIZE bytes: a word is quoted and shortened as quote.h does). */
const char *tok_describe(const struct token *t, char *buf, size_t len);

#endif
