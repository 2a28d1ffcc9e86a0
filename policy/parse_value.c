// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * parse_value.c - the values inside words: numbers, addresses and prefixes, port ranges,
 * durations and NAT targets. Each says precisely what is wrong with the word (a prefix length
 * too long for its family, host bits set, a reversed range) at the word's position.
 *
 * Host bits set in a prefix ("10.0.0.1/8") are an error, with the network as a suggestion:
 * either the length or the address is a typo, and guessing which would hide it.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "quote.h"
#include "parse_internal.h"

bool parse_uint(const char *text, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;

	if (!*text)
		return false;
	for (const char *c = text; *c; c++) {
		if (!isdigit((unsigned char)*c))
			return false;
		if (v > (max - (unsigned long)(*c - '0')) / 10)
			return false; /* would exceed max */
		v = v * 10 + (unsigned long)(*c - '0');
	}
	*out = v;
	return true;
}

/* A bare address (no '/'), IPv4 or IPv6, into the 16-byte form. */
static bool parse_addr(const char *text, __u32 a[4], bool *v4)
{
	struct in_addr in4;
	struct in6_addr in6;

	if (inet_pton(AF_INET, text, &in4) == 1) {
		addr_from_v4(a, in4.s_addr);
		*v4 = true;
		return true;
	}
	if (inet_pton(AF_INET6, text, &in6) == 1) {
		addr_from_v6(a, &in6);
		*v4 = addr_is_v4(a);
		return true;
	}
	return false;
}

int parse_prefix(struct parser *ps, const char *text, struct pol_loc loc, struct pol_prefix *out)
{
	char addr_text[64];
	const char *slash = strchr(text, '/');
	size_t alen = slash ? (size_t)(slash - text) : strlen(text);
	unsigned long len;
	unsigned int max;
	struct pol_prefix masked;
	bool v4;

	if (alen == 0 || alen >= sizeof(addr_text))
		goto bad;
	memcpy(addr_text, text, alen);
	addr_text[alen] = '\0';
	if (!parse_addr(addr_text, out->addr, &v4))
		goto bad;
	/* "::ffff:192.0.2.1/120" is an IPv6 spelling of an IPv4 address: lengths are IPv6's. */
	max = v4 && !strchr(addr_text, ':') ? 32 : 128;
	if (!slash) {
		out->plen = 128;
		return 0;
	}
	if (!parse_uint(slash + 1, 1000, &len) || len > max) {
		ps_error_at(ps, loc, "invalid prefix length in %s: %s allows 0 to %u", QUOTE(text),
		            max == 32 ? "IPv4" : "IPv6", max);
		return -1;
	}
	out->plen = (__u8)(max == 32 ? len + POL_V4_PLEN_OFFSET : len);
	masked = *out;
	addr_mask(masked.addr, masked.plen);
	if (memcmp(masked.addr, out->addr, sizeof(masked.addr)) != 0) {
		char net[ADDR_STRLEN];

		addr_format(masked.addr, net);
		ps_error_at(ps, loc, "%s has host bits set (did you mean %s/%lu?)", QUOTE(text),
		            net, len);
		return -1;
	}
	return 0;
bad:
	ps_error_at(ps, loc,
	            "invalid address %s: expected an IPv4 or IPv6 address or prefix, like "
	            "192.0.2.1, 198.51.100.0/24 or 2001:db8::/32",
	            QUOTE(text));
	return -1;
}

/* One port number 0..65535, with a message naming the whole word on failure. */
static int parse_port(struct parser *ps, const char *num, const char *word, struct pol_loc loc,
                      uint16_t *out)
{
	unsigned long v;

	if (parse_uint(num, 65535, &v)) {
		*out = (uint16_t)v;
		return 0;
	}
	if (*num && strspn(num, "0123456789") == strlen(num) && strlen(num) > 20)
		ps_error_at(ps, loc, "port number of %zu digits is out of range (0-65535)",
		            strlen(num));
	else if (*num && strspn(num, "0123456789") == strlen(num))
		ps_error_at(ps, loc, "port %s is out of range (0-65535)", num);
	else
		ps_error_at(ps, loc, "invalid port %s: expected a number 0-65535 or a range N-M",
		            QUOTE(word));
	return -1;
}

int parse_port_range(struct parser *ps, const char *text, struct pol_loc loc,
                     struct pol_port_range *out)
{
	const char *dash = strchr(text, '-');
	char lo[16];

	if (!dash) {
		if (parse_port(ps, text, text, loc, &out->lo) < 0)
			return -1;
		out->hi = out->lo;
		return 0;
	}
	if ((size_t)(dash - text) >= sizeof(lo) || dash == text) {
		ps_error_at(ps, loc, "invalid port %s: expected a number 0-65535 or a range N-M",
		            QUOTE(text));
		return -1;
	}
	memcpy(lo, text, (size_t)(dash - text));
	lo[dash - text] = '\0';
	if (parse_port(ps, lo, text, loc, &out->lo) < 0 ||
	    parse_port(ps, dash + 1, text, loc, &out->hi) < 0)
		return -1;
	if (out->lo > out->hi) {
		ps_error_at(ps, loc, "port range %u-%u is reversed (did you mean %u-%u?)", out->lo,
		            out->hi, out->hi, out->lo);
		return -1;
	}
	return 0;
}

int parse_port_or_service(struct parser *ps, const char *text, struct pol_loc loc,
                          struct pol_port_range *out)
{
	const char *best;
	int port;

	if (!isalpha((unsigned char)text[0]))
		return parse_port_range(ps, text, loc, out);
	port = pol_service_port(text, NULL);
	if (port >= 0) {
		out->lo = out->hi = (uint16_t)port;
		return 0;
	}
	if (access("/etc/services", R_OK) != 0) {
		ps_error_at(ps, loc,
		            "unknown service %s: /etc/services cannot be read (install netbase), "
		            "or write the port number",
		            QUOTE(text));
		return -1;
	}
	best = strlen(text) <= 64 ? pol_service_suggest(text) : NULL;
	if (best)
		ps_error_at(ps, loc, "unknown service %s (did you mean '%s'?)", QUOTE(text), best);
	else
		ps_error_at(ps, loc,
		            "unknown service %s: expected a port 0-65535, a range N-M or a service "
		            "name from /etc/services",
		            QUOTE(text));
	return -1;
}

/* Seconds in a duration's unit letter, 0 when c is none. */
static unsigned long duration_unit(char c)
{
	switch (c) {
	case 's':
		return 1;
	case 'm':
		return 60;
	case 'h':
		return 3600;
	case 'd':
		return 86400;
	default:
		return 0;
	}
}

int policy_duration_parse(const char *text, bool unit_optional, uint32_t *seconds)
{
	size_t n = strlen(text), digits = strspn(text, "0123456789");
	unsigned long unit = 1, v;
	char num[24];

	if (digits == 0 || digits >= sizeof(num))
		return -EINVAL;
	if (digits == n - 1)
		unit = duration_unit(text[n - 1]);
	else if (digits != n || !unit_optional)
		return -EINVAL;
	if (!unit)
		return -EINVAL;
	memcpy(num, text, digits);
	num[digits] = '\0';
	if (!parse_uint(num, UINT32_MAX / unit, &v))
		return -ERANGE;
	*seconds = (uint32_t)(v * unit);
	return 0;
}

int parse_duration(struct parser *ps, const char *text, struct pol_loc loc, __u32 *seconds)
{
	size_t n = strlen(text);
	int err = policy_duration_parse(text, false, seconds);

	if (err == -EINVAL)
		goto bad;
	if (err == -ERANGE) {
		ps_error_at(ps, loc, "duration %s is too long (at most %lu%c)", QUOTE(text),
		            UINT32_MAX / duration_unit(text[n - 1]), text[n - 1]);
		return -1;
	}
	if (*seconds == 0) {
		ps_error_at(ps, loc, "duration %s is zero: a timeout must be at least 1s",
		            QUOTE(text));
		return -1;
	}
	return 0;
bad:
	ps_error_at(ps, loc,
	            "invalid duration %s: expected a number and a unit, like 30s, 5m, 2h or 1d",
	            QUOTE(text));
	return -1;
}

/* ---- NAT targets --------------------------------------------------------------------------- */
/*
 * ADDR['-'ADDR][':'PORT['-'PORT]]. An IPv6 address followed by a port goes in brackets,
 * "[2001:db8::1]:80", since its own colons would be read as the port separator otherwise;
 * without a port the brackets are optional. Split into (address part, port part).
 */
static int nat_split(const char *text, char *addrs, size_t alen, const char **ports)
{
	const char *colon;
	size_t n;

	*ports = NULL;
	if (strchr(text, '[')) {
		/* Bracketed: the port part follows the last ']'. */
		const char *close = strrchr(text, ']');

		if (!close)
			return -1;
		if (close[1] == ':')
			*ports = close + 2;
		else if (close[1])
			return -1;
		n = (size_t)(close + 1 - text);
	} else {
		colon = strchr(text, ':');
		/* One colon: IPv4 with a port. More: an IPv6 address (range), no port. */
		if (colon && !strchr(colon + 1, ':')) {
			*ports = colon + 1;
			n = (size_t)(colon - text);
		} else {
			n = strlen(text);
		}
	}
	if (n >= alen)
		return -1;
	memcpy(addrs, text, n);
	addrs[n] = '\0';
	return 0;
}

/* One address of a target, brackets removed. */
static bool nat_addr(char *s, __u32 a[4], bool *v4)
{
	size_t n = strlen(s);

	if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		s[n - 1] = '\0';
		s++;
	}
	return parse_addr(s, a, v4);
}

int parse_nat_target(struct parser *ps, const char *text, struct pol_loc loc, bool allow_ranges,
                     struct pol_nat_target *out)
{
	char addrs[128], *dash, *hi_text;
	const char *ports;
	struct pol_port_range pr;
	bool v4_lo, v4_hi;

	memset(out, 0, sizeof(*out));
	out->loc = loc;
	if (nat_split(text, addrs, sizeof(addrs), &ports) < 0)
		goto bad;
	/* An address range "A-B": IPv6 addresses hold no '-', so the first one splits. */
	dash = strchr(addrs, '-');
	hi_text = dash ? dash + 1 : NULL;
	if (dash)
		*dash = '\0';
	if (!nat_addr(addrs, out->lo, &v4_lo))
		goto bad;
	memcpy(out->hi, out->lo, sizeof(out->hi));
	if (hi_text) {
		if (!allow_ranges) {
			ps_error_at(ps, loc, "dnat takes one address, not a range: %s",
			            QUOTE(text));
			return -1;
		}
		if (!nat_addr(hi_text, out->hi, &v4_hi))
			goto bad;
		if (v4_lo != v4_hi) {
			ps_error_at(ps, loc, "address range %s mixes IPv4 and IPv6", QUOTE(text));
			return -1;
		}
		if (memcmp(out->lo, out->hi, sizeof(out->lo)) > 0) {
			ps_error_at(ps, loc,
			            "address range %s is reversed: write the lower address first",
			            QUOTE(text));
			return -1;
		}
	}
	if (!ports)
		return 0;
	if (parse_port_range(ps, ports, loc, &pr) < 0)
		return -1;
	if (pr.lo == 0) {
		ps_error_at(ps, loc, "port 0 in %s is not a port a connection can use (1-65535)",
		            QUOTE(text));
		return -1;
	}
	if (pr.lo != pr.hi && !allow_ranges) {
		ps_error_at(ps, loc, "dnat takes one port, not a range: %s", QUOTE(text));
		return -1;
	}
	out->port_lo = pr.lo;
	out->port_hi = pr.hi;
	return 0;
bad:
	ps_error_at(ps, loc,
	            "invalid NAT target %s: expected ADDR[-ADDR][:PORT[-PORT]], like "
	            "198.51.100.10-198.51.100.20:20000-60000 or [2001:db8::1]:80",
	            QUOTE(text));
	return -1;
}
