// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * vocab.c - the words of the policy language that stand for numbers: service names for
 * ports (the services database, /etc/services), ICMP and ICMPv6 type names (nftables'
 * spelling), protocol lists, and address ranges cut into prefixes. All of it is resolved
 * when the policy is read: the datapath sees numbers and prefixes only.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "policy_internal.h"
#include "tcfw_proto.h"

/* ---- protocols ------------------------------------------------------------------------------ */
void pol_rule_protos(const struct pol_rule *r, uint64_t out[4])
{
	memset(out, 0, 4 * sizeof(out[0]));
	if (r->proto_list) {
		memcpy(out, r->proto_bits, 4 * sizeof(out[0]));
	} else if (r->proto >= 0) {
		out[r->proto / 64] |= 1ull << (r->proto % 64);
	} else if (r->sport.n || r->dport.n) {
		out[0] |= 1ull << TCFW_PROTO_TCP | 1ull << TCFW_PROTO_UDP;
	} else {
		memset(out, 0xff, 4 * sizeof(out[0]));
	}
}

/* ---- ICMP types ----------------------------------------------------------------------------- */
struct icmp_type_name {
	const char *name;
	unsigned int type;
};

static const struct icmp_type_name icmp4_types[] = {
    {"echo-reply", 0},           {"destination-unreachable", 3},
    {"source-quench", 4},        {"redirect", 5},
    {"echo-request", 8},         {"router-advertisement", 9},
    {"router-solicitation", 10}, {"time-exceeded", 11},
    {"parameter-problem", 12},   {"timestamp-request", 13},
    {"timestamp-reply", 14},     {"info-request", 15},
    {"info-reply", 16},          {"address-mask-request", 17},
    {"address-mask-reply", 18},
};

static const struct icmp_type_name icmp6_types[] = {
    {"destination-unreachable", 1}, {"packet-too-big", 2},        {"time-exceeded", 3},
    {"parameter-problem", 4},       {"echo-request", 128},        {"echo-reply", 129},
    {"mld-listener-query", 130},    {"mld-listener-report", 131}, {"mld-listener-done", 132},
    {"nd-router-solicit", 133},     {"nd-router-advert", 134},    {"nd-neighbor-solicit", 135},
    {"nd-neighbor-advert", 136},    {"nd-redirect", 137},         {"router-renumbering", 138},
    {"ind-neighbor-solicit", 141},  {"ind-neighbor-advert", 142}, {"mld2-listener-report", 143},
};

#define N_ICMP4 (sizeof(icmp4_types) / sizeof(icmp4_types[0]))
#define N_ICMP6 (sizeof(icmp6_types) / sizeof(icmp6_types[0]))

static const struct icmp_type_name *icmp_table(int proto, size_t *n)
{
	*n = proto == TCFW_PROTO_ICMP ? N_ICMP4 : N_ICMP6;
	return proto == TCFW_PROTO_ICMP ? icmp4_types : icmp6_types;
}

int pol_icmp_type_parse(int proto, const char *name)
{
	size_t n;
	const struct icmp_type_name *t = icmp_table(proto, &n);

	for (size_t i = 0; i < n; i++)
		if (strcmp(t[i].name, name) == 0)
			return (int)t[i].type;
	return -1;
}

const char *pol_icmp_type_name(int proto, unsigned int type)
{
	size_t n;
	const struct icmp_type_name *t = icmp_table(proto, &n);

	for (size_t i = 0; i < n; i++)
		if (t[i].type == type)
			return t[i].name;
	return NULL;
}

const char *const *pol_icmp_type_names(int proto, unsigned int *n)
{
	static const char *v4[N_ICMP4], *v6[N_ICMP6];
	const char **v = proto == TCFW_PROTO_ICMP ? v4 : v6;
	size_t cnt;
	const struct icmp_type_name *t = icmp_table(proto, &cnt);

	for (size_t i = 0; i < cnt; i++)
		v[i] = t[i].name;
	*n = (unsigned int)cnt;
	return v;
}

/* The same lists as the datapath's icmp4_class() / icmp6_class() (bpf/lib/parse.h). */
bool pol_icmp_type_opens(int proto, unsigned int type)
{
	if (proto == TCFW_PROTO_ICMP)
		return type == 8 || type == 13 || type == 15 || type == 17;
	return type == 128 || type == 139; /* echo request, node information query */
}

bool pol_icmp_type_link(int proto, unsigned int type)
{
	return proto == TCFW_PROTO_ICMPV6 && ((type >= 130 && type <= 137) || type == 143);
}

/* ---- services ------------------------------------------------------------------------------- */
int pol_service_port(const char *name, const char *proto)
{
	static const char *const protos[] = {"tcp", "udp"};

	for (unsigned int i = 0; i < 2; i++) {
		struct servent *s;

		if (proto && strcmp(proto, protos[i]) != 0)
			continue;
		s = getservbyname(name, protos[i]);
		if (s)
			return ntohs((uint16_t)s->s_port);
	}
	return -1;
}

const char *pol_service_suggest(const char *word)
{
	static char best_copy[64];
	char **names = NULL;
	size_t n = 0, cap = 0;
	const char *best;
	struct servent *s;

	setservent(1);
	while ((s = getservent()) != NULL) {
		if (n == cap) {
			char **v;

			cap = cap ? cap * 2 : 256;
			v = realloc(names, cap * sizeof(*v));
			if (!v)
				break;
			names = v;
		}
		names[n] = strdup(s->s_name);
		if (names[n])
			n++;
	}
	endservent();
	best = name_suggest(word, (const char *const *)names, (unsigned int)n);
	if (best)
		snprintf(best_copy, sizeof(best_copy), "%s", best);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return best ? best_copy : NULL;
}

/* ---- address ranges ------------------------------------------------------------------------- */
typedef unsigned __int128 u128;

static u128 addr_to_u128(const __u32 a[4])
{
	u128 v = 0;

	for (int i = 0; i < 4; i++)
		v = v << 32 | ntohl(a[i]);
	return v;
}

static void u128_to_addr(u128 v, __u32 a[4])
{
	for (int i = 3; i >= 0; i--) {
		a[i] = htonl((uint32_t)v);
		v >>= 32;
	}
}

int pol_range_to_prefixes(const __u32 lo_a[4], const __u32 hi_a[4], struct pol_prefix **v,
                          size_t *n)
{
	u128 lo = addr_to_u128(lo_a), hi = addr_to_u128(hi_a);

	for (;;) {
		unsigned int bits = 0;
		struct pol_prefix *nv;
		u128 mask = 0;

		/* The largest aligned block that starts at lo and ends at or before hi. */
		while (bits < 128 && !((lo >> bits) & 1)) {
			u128 m = bits + 1 == 128 ? ~(u128)0 : (((u128)1 << (bits + 1)) - 1);

			if ((lo | m) > hi)
				break;
			mask = m;
			bits++;
		}
		nv = realloc(*v, (*n + 1) * sizeof(**v));
		if (!nv)
			return -1;
		*v = nv;
		memset(&nv[*n], 0, sizeof(nv[*n]));
		u128_to_addr(lo, nv[*n].addr);
		nv[*n].plen = (__u8)(128 - bits);
		(*n)++;
		if ((lo | mask) >= hi)
			return 0;
		lo = (lo | mask) + 1;
	}
}

const struct pol_prefix *pol_addr_prefixes(const struct policy *p, const struct pol_addr_match *m,
                                           size_t *n)
{
	switch (m->kind) {
	case POL_ADDR_PREFIX:
		*n = 1;
		return &m->pfx;
	case POL_ADDR_LIST:
		*n = m->nlist;
		return m->list;
	case POL_ADDR_SET:
		if (m->set >= 0 && (size_t)m->set < p->nsets) {
			*n = p->sets[m->set].n;
			return p->sets[m->set].v;
		}
		break;
	default:
		break;
	}
	*n = 0;
	return NULL;
}
