// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * lexer.c - turns policy text into tokens with their line and column (1-based; a tab counts as
 * one column, as editors report it in their status line). See lexer_internal.h for what the
 * tokens are. Columns count characters, not bytes, in UTF-8 text (a comment with an em dash
 * does not shift the column of what follows it on the line).
 * The only error found here is an unterminated string or a control character;
 * the lexer reports it itself and hands back TOK_ERROR, so the parser just skips the line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "quote.h"
#include "lexer_internal.h"

void lex_init(struct lexer *lx, const char *file, const char *text, size_t len,
              struct policy_diags *diags)
{
	memset(lx, 0, sizeof(*lx));
	lx->s = text;
	lx->len = len;
	lx->line = 1;
	lx->col = 1;
	lx->file = file;
	lx->diags = diags;
}

void lex_fini(struct lexer *lx)
{
	free(lx->buf);
	lx->buf = NULL;
}

static int peek(const struct lexer *lx, size_t ahead)
{
	return lx->pos + ahead < lx->len ? (unsigned char)lx->s[lx->pos + ahead] : -1;
}

static void advance(struct lexer *lx)
{
	unsigned char c = (unsigned char)lx->s[lx->pos];

	if (c == '\n') {
		lx->line++;
		lx->col = 1;
	} else if ((c & 0xc0) != 0x80) {
		lx->col++; /* a UTF-8 continuation byte is part of the character before it */
	}
	lx->pos++;
}

static int buf_put(struct lexer *lx, size_t at, char c)
{
	if (at + 1 >= lx->buf_cap) {
		size_t cap = lx->buf_cap ? lx->buf_cap * 2 : 64;
		char *b = realloc(lx->buf, cap);

		if (!b)
			return -1;
		lx->buf = b;
		lx->buf_cap = cap;
	}
	lx->buf[at] = c;
	lx->buf[at + 1] = '\0';
	return 0;
}

static bool is_blank(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static bool is_control(int c)
{
	return (c >= 0 && c < 0x20 && c != '\n' && !is_blank(c)) || c == 0x7f;
}

static bool ends_word(const struct lexer *lx)
{
	int c = peek(lx, 0);

	if (c < 0 || c == '\n' || is_blank(c) || is_control(c))
		return true;
	if (c == '-' && peek(lx, 1) == '>')
		return true;
	return strchr("{},!#\";", c) != NULL;
}

/* A "..." string on one line; \" and \\ are the only escapes. */
static int lex_string(struct lexer *lx, struct token *t)
{
	size_t n = 0;

	advance(lx); /* opening quote */
	if (buf_put(lx, 0, '\0') < 0)
		return -1;
	for (;;) {
		int c = peek(lx, 0);

		if (c < 0 || c == '\n') {
			pol_diag(lx->diags, lx->file, t->line, t->col,
			         "unterminated string: add the closing '\"' on the same line");
			t->kind = TOK_ERROR;
			return 0;
		}
		if (c == '"') {
			advance(lx);
			break;
		}
		if (c == '\\' && (peek(lx, 1) == '"' || peek(lx, 1) == '\\')) {
			advance(lx);
			c = peek(lx, 0);
		}
		if (buf_put(lx, n++, (char)c) < 0)
			return -1;
		advance(lx);
	}
	t->kind = TOK_STRING;
	t->text = lx->buf;
	return 0;
}

int lex_next(struct lexer *lx, struct token *t)
{
	int c;

	memset(t, 0, sizeof(*t));
	for (;;) {
		c = peek(lx, 0);
		if (is_blank(c)) {
			advance(lx);
		} else if (c == '#') {
			while (peek(lx, 0) >= 0 && peek(lx, 0) != '\n')
				advance(lx);
		} else {
			break;
		}
	}
	t->line = lx->line;
	t->col = lx->col;
	if (c < 0) {
		t->kind = TOK_EOF;
		return 0;
	}
	if (is_control(c)) {
		pol_diag(lx->diags, lx->file, t->line, t->col,
		         "unexpected control character 0x%02x", (unsigned int)c);
		advance(lx);
		t->kind = TOK_ERROR;
		return 0;
	}
	switch (c) {
	case '\n':
	case ';':
		t->kind = TOK_NEWLINE;
		advance(lx);
		return 0;
	case '{':
		t->kind = TOK_LBRACE;
		advance(lx);
		return 0;
	case '}':
		t->kind = TOK_RBRACE;
		advance(lx);
		return 0;
	case ',':
		t->kind = TOK_COMMA;
		advance(lx);
		return 0;
	case '!':
		t->kind = TOK_BANG;
		advance(lx);
		return 0;
	case '"':
		return lex_string(lx, t);
	}
	if (c == '-' && peek(lx, 1) == '>') {
		t->kind = TOK_ARROW;
		advance(lx);
		advance(lx);
		return 0;
	}
	t->kind = TOK_WORD;
	for (size_t n = 0; !ends_word(lx); n++) {
		if (buf_put(lx, n, lx->s[lx->pos]) < 0)
			return -1;
		advance(lx);
	}
	t->text = lx->buf;
	return 0;
}

const char *tok_describe(const struct token *t, char *buf, size_t len)
{
	switch (t->kind) {
	case TOK_EOF:
		return "end of file";
	case TOK_NEWLINE:
		return "end of line";
	case TOK_WORD:
		return quote_into(buf, len, t->text);
	case TOK_STRING:
		return "a string";
	case TOK_LBRACE:
		return "'{'";
	case TOK_RBRACE:
		return "'}'";
	case TOK_COMMA:
		return "','";
	case TOK_BANG:
		return "'!'";
	case TOK_ARROW:
		return "'->'";
	case TOK_ERROR:
		break;
	}
	return "an error";
}
