/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * quote.h - user input inside an error message, quoted and shortened. Messages repeat what the
 * user wrote so that the mistake can be found, but input can be garbage of any size (a 10 MB
 * "word" in a policy file, a huge command name on the control socket): a message must stay a
 * line that fits a terminal and a log. Every message that quotes input goes through QUOTE().
 *
 *   'word'                          input of at most QUOTE_MAX bytes, as it is
 *   'aaaaaaaa…' (10485760 bytes)    longer input: its first QUOTE_MAX bytes, and its length
 *   'a\x1b[31m'                     control characters and invalid UTF-8 as \xNN (counted
 *                                   in QUOTE_MAX), so that a message is one line and cannot
 *                                   drive the terminal; a UTF-8 character is never cut
 */
#ifndef TCFW_QUOTE_H
#define TCFW_QUOTE_H

#include <stddef.h>

#define QUOTE_MAX 64 /* bytes of the input shown; enough to recognise any real word */
/* Room for the quotes, QUOTE_MAX bytes, "…", " (N bytes)" with any size_t, the NUL. */
#define QUOTE_SIZE (QUOTE_MAX + 2 + 3 + 30 + 1)

/* Write s, quoted with '...' and shortened as above, into buf (size >= QUOTE_SIZE for the
 * whole form; a smaller buf gets a shorter prefix). Returns buf. s NULL: "(null)". */
const char *quote_into(char *buf, size_t size, const char *s);

/* quote_into() with a buffer of its own that lives until the end of the enclosing block:
 * several may appear in one call, e.g. pr_warn("%s and %s", QUOTE(a), QUOTE(b)). */
#define QUOTE(s) quote_into((char[QUOTE_SIZE]){0}, QUOTE_SIZE, (s))

#endif
