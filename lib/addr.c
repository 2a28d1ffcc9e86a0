// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * addr.c - the ABI's one address form (16 bytes, network order, IPv4 as ::ffff:a.b.c.d) to and
 * from text, and prefix tests on it. inet_pton/inet_ntop do the text; this file only adds the
 * IPv4-mapped convention and the 16-byte prefix lengths (IPv4 /p is /(96 + p)).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"

#define V4_PREFIX_OFFSET 96 /* bits before the IPv4 part of a mapped address */

bool addr_is_v4(const __u32 a[4])
{
	return a[0] == 0 && a[1] == 0 && a[2] == htonl(0x0000ffff);
}

void addr_from_v4(__u32 a[4], uint32_t be_v4)
{
	a[0] = 0;
	a[1] = 0;
	a[2] = htonl(0x0000ffff);
	a[3] = be_v4;
}

void addr_from_v6(__u32 a[4], const void *in6)
{
	memcpy(a, in6, 16);
}

const char *addr_format(const __u32 a[4], char buf[ADDR_STRLEN])
{
	if (addr_is_v4(a))
		inet_ntop(AF_INET, &a[3], buf, ADDR_STRLEN);
	else
		inet_ntop(AF_INET6, a, buf, ADDR_STRLEN);
	return buf;
}

/* "/LEN" as a decimal number 0..max, digits only (no sign, no spaces, no "0x"). */
static int parse_prefix_len(const char *s, unsigned int max, unsigned int *out)
{
	unsigned long v = 0;

	if (!*s || strlen(s) > 3)
		return -1;
	for (const char *p = s; *p; p++) {
		if (!isdigit((unsigned char)*p))
			return -1;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	if (v > max)
		return -1;
	*out = (unsigned int)v;
	return 0;
}

int addr_parse(const char *s, __u32 a[4], unsigned int *plen)
{
	char text[ADDR_STRLEN];
	const char *slash;
	size_t len;
	unsigned int p;
	struct in_addr v4;
	struct in6_addr v6;

	if (!s)
		return -EINVAL;
	slash = strchr(s, '/');
	len = slash ? (size_t)(slash - s) : strlen(s);
	if (len == 0 || len >= sizeof(text))
		return -EINVAL;
	memcpy(text, s, len);
	text[len] = '\0';

	if (inet_pton(AF_INET, text, &v4) == 1) {
		if (slash && parse_prefix_len(slash + 1, 32, &p) < 0)
			return -EINVAL;
		addr_from_v4(a, v4.s_addr);
		*plen = slash ? V4_PREFIX_OFFSET + p : 128;
		return 0;
	}
	if (inet_pton(AF_INET6, text, &v6) == 1) {
		if (slash && parse_prefix_len(slash + 1, 128, &p) < 0)
			return -EINVAL;
		addr_from_v6(a, &v6);
		*plen = slash ? p : 128;
		return 0;
	}
	return -EINVAL;
}

bool addr_in_prefix(const __u32 a[4], const __u32 p[4], unsigned int plen)
{
	const uint8_t *ab = (const uint8_t *)a, *pb = (const uint8_t *)p;
	unsigned int full = plen > 128 ? 16 : plen / 8, rest = plen > 128 ? 0 : plen % 8;

	if (memcmp(ab, pb, full) != 0)
		return false;
	if (rest) {
		uint8_t mask = (uint8_t)(0xff << (8 - rest));

		return (ab[full] & mask) == (pb[full] & mask);
	}
	return true;
}

void addr_mask(__u32 a[4], unsigned int plen)
{
	uint8_t *b = (uint8_t *)a;

	if (plen >= 128)
		return;
	b[plen / 8] &= (uint8_t)(0xff << (8 - plen % 8));
	memset(b + plen / 8 + 1, 0, 16 - plen / 8 - 1);
}
