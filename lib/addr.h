/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * addr.h - addresses in the ABI's single form (16 bytes, IPv4 mapped as ::ffff:a.b.c.d).
 */
#ifndef TCFW_ADDR_H
#define TCFW_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tcfw_abi.h"

#define ADDR_STRLEN 46 /* INET6_ADDRSTRLEN */

bool addr_is_v4(const __u32 a[4]);
/* Fill a[] from a dotted IPv4 (network order uint32) or from 16 IPv6 bytes. */
void addr_from_v4(__u32 a[4], uint32_t be_v4);
void addr_from_v6(__u32 a[4], const void *in6);
/* Text form: dotted quad for mapped IPv4, RFC 5952 IPv6 otherwise. Returns buf. */
const char *addr_format(const __u32 a[4], char buf[ADDR_STRLEN]);
/* "192.0.2.1", "2001:db8::1", "10.0.0.0/8", "2001:db8::/32". plen is the 16-byte prefix length
 * (an IPv4 /24 gives 120); a bare address gives 32 / 128 (i.e. 128). 0, or -EINVAL on bad
 * input. */
int addr_parse(const char *s, __u32 a[4], unsigned int *plen);
/* True when a is inside prefix p/plen (plen in 16-byte terms). */
bool addr_in_prefix(const __u32 a[4], const __u32 p[4], unsigned int plen);
/* Zero the host bits of a beyond plen. */
void addr_mask(__u32 a[4], unsigned int plen);

#endif
