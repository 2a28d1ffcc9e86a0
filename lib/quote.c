// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * quote.c - user input quoted and shortened for messages (see quote.h).
 */
#include <stdio.h>
#include <string.h>

#include "quote.h"

/* Length of the valid UTF-8 sequence at s (2 to 4), or 0 when s does not start one. Overlong
 * forms are accepted: the point is not to cut a character, not to validate text. */
static size_t utf8_seq_len(const unsigned char *s)
{
	size_t n;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

const char *quote_into(char *buf, size_t size, const char *s)
{
	const unsigned char *in = (const unsigned char *)s;
	size_t len, used = 0, room, pos = 0;

	if (size == 0)
		return buf;
	if (!s)
		s = "(null)", in = (const unsigned char *)s;
	len = strlen(s);
	/* Bytes of input shown: QUOTE_MAX, fewer when buf is small (room for the quotes, the
	 * marker of a shortened input and the NUL). */
	room = size > QUOTE_SIZE - QUOTE_MAX ? size - (QUOTE_SIZE - QUOTE_MAX) : 0;
	if (room > QUOTE_MAX)
		room = QUOTE_MAX;
	if (size < 3) {
		buf[0] = '\0';
		return buf;
	}
	buf[used++] = '\'';
	while (pos < len) {
		size_t n = in[pos] >= 0x80 ? utf8_seq_len(in + pos) : 1;
		int escape = n == 0 || (n == 1 && (in[pos] < 0x20 || in[pos] == 0x7f));
		size_t out = escape ? 4 : n;

		if (pos + (n ? n : 1) > len || used - 1 + out > room)
			break;
		if (escape) {
			snprintf(buf + used, 5, "\\x%02x", in[pos]);
			n = 1;
		} else {
			memcpy(buf + used, in + pos, n);
		}
		used += out;
		pos += n;
	}
	if (pos == len) {
		buf[used++] = '\'';
		buf[used] = '\0';
		return buf;
	}
	snprintf(buf + used, size - used, "…' (%zu bytes)", len);
	return buf;
}
