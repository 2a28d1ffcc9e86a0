// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * prefix.c - address prefixes in the ABI's 16-byte form: which family a prefix belongs to,
 * containment, ordering and text. IPv4 lives inside ::ffff:0:0/96; an IPv6 prefix short enough
 * to cover that range (::/0, ::/64) is treated by the language as IPv6 only (see docs/policy.md),
 * which is why pol_prefix_family() tells the three cases apart.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "policy_internal.h"

const struct pol_prefix pol_v4_mapped = {
    .addr = {0, 0, __builtin_bswap32(0x0000ffff), 0},
    .plen = POL_V4_PLEN_OFFSET,
};

bool pol_prefix_contains(const struct pol_prefix *p, const __u32 a[4])
{
	return addr_in_prefix(a, p->addr, p->plen);
}

bool pol_prefix_covers(const struct pol_prefix *outer, const struct pol_prefix *inner)
{
	return outer->plen <= inner->plen && pol_prefix_contains(outer, inner->addr);
}

unsigned int pol_prefix_family(const struct pol_prefix *p)
{
	if (pol_prefix_covers(&pol_v4_mapped, p))
		return POL_FAM_V4;
	if (pol_prefix_covers(p, &pol_v4_mapped))
		return POL_FAM_ANY;
	return POL_FAM_V6;
}

int pol_prefix_cmp(const struct pol_prefix *a, const struct pol_prefix *b)
{
	int c = memcmp(a->addr, b->addr, sizeof(a->addr));

	if (c)
		return c;
	return (int)a->plen - (int)b->plen;
}

void pol_prefix_format(const struct pol_prefix *p, char *buf, size_t len)
{
	char text[ADDR_STRLEN];
	bool v4 = pol_prefix_family(p) == POL_FAM_V4;
	unsigned int shown = v4 ? p->plen - POL_V4_PLEN_OFFSET : p->plen;

	addr_format(p->addr, text);
	if (p->plen == 128)
		snprintf(buf, len, "%s", text);
	else
		snprintf(buf, len, "%s/%u", text, shown);
}
