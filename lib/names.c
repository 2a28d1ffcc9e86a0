// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * names.c - one table per ABI enum: the names fwctl prints and parses, and the help line of
 * every counter. The tables are indexed by the enum value and checked against the enum's
 * size at compile time, so a new value without a name breaks the build instead of printing "?".
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "names.h"
#include "tcfw_abi.h"
#include "tcfw_proto.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

struct state_names {
	const char *upper;   /* conntrack -L: "ESTABLISHED"; protocol-neutral for UDP/ICMP/other */
	const char *lower;   /* unique: "established", "udp_unreplied" */
	const char *neutral; /* "unreplied" for UDP/ICMP/other; NULL when the same as lower */
};

static const struct state_names ct_states[] = {
    [TCFW_CT_NONE] = {"NONE", "none", NULL},
    [TCFW_CT_TCP_SYN_SENT] = {"SYN_SENT", "syn_sent", NULL},
    [TCFW_CT_TCP_SYN_RECV] = {"SYN_RECV", "syn_recv", NULL},
    [TCFW_CT_TCP_ESTABLISHED] = {"ESTABLISHED", "established", NULL},
    [TCFW_CT_TCP_FIN_WAIT] = {"FIN_WAIT", "fin_wait", NULL},
    [TCFW_CT_TCP_CLOSE_WAIT] = {"CLOSE_WAIT", "close_wait", NULL},
    [TCFW_CT_TCP_LAST_ACK] = {"LAST_ACK", "last_ack", NULL},
    [TCFW_CT_TCP_TIME_WAIT] = {"TIME_WAIT", "time_wait", NULL},
    [TCFW_CT_TCP_CLOSE] = {"CLOSE", "close", NULL},
    [TCFW_CT_TCP_SYN_SENT2] = {"SYN_SENT2", "syn_sent2", NULL},
    [TCFW_CT_UDP_UNREPLIED] = {"UNREPLIED", "udp_unreplied", "unreplied"},
    [TCFW_CT_UDP_REPLIED] = {"REPLIED", "udp_replied", "replied"},
    [TCFW_CT_UDP_ASSURED] = {"ASSURED", "udp_assured", "assured"},
    [TCFW_CT_ICMP_UNREPLIED] = {"UNREPLIED", "icmp_unreplied", "unreplied"},
    [TCFW_CT_ICMP_REPLIED] = {"REPLIED", "icmp_replied", "replied"},
    [TCFW_CT_OTHER_UNREPLIED] = {"UNREPLIED", "other_unreplied", "unreplied"},
    [TCFW_CT_OTHER_REPLIED] = {"REPLIED", "other_replied", "replied"},
};
_Static_assert(ARRAY_SIZE(ct_states) == TCFW_CT_STATE_MAX, "a ct state has no name");

static const char *const chains[] = {
    [TCFW_CHAIN_INPUT] = "input", [TCFW_CHAIN_FORWARD] = "forward", [TCFW_CHAIN_OUTPUT] = "output",
    [TCFW_CHAIN_DNAT] = "dnat",   [TCFW_CHAIN_SNAT] = "snat",
};
_Static_assert(ARRAY_SIZE(chains) == TCFW_CHAIN_MAX, "a chain has no name");

static const char *const verdicts[] = {
    [TCFW_VERDICT_ACCEPT] = "accept",
    [TCFW_VERDICT_DROP] = "drop",
    [TCFW_VERDICT_REJECT] = "reject",
};
_Static_assert(ARRAY_SIZE(verdicts) == TCFW_VERDICT_MAX, "a verdict has no name");

static const char *const pkt_cts[] = {
    [TCFW_PKT_NEW] = "new",
    [TCFW_PKT_ESTABLISHED] = "established",
    [TCFW_PKT_RELATED] = "related",
    [TCFW_PKT_INVALID] = "invalid",
};

struct stat_names {
	const char *name;
	const char *help;
};

static const struct stat_names stats[] = {
    [TCFW_STAT_PACKETS] = {"packets", "packets seen by the datapath (each counted once)"},
    [TCFW_STAT_BYTES] = {"bytes", "bytes of those packets"},
    [TCFW_STAT_NON_IP] = {"non_ip", "non-IP frames passed untouched (ARP, LLDP, ...)"},
    [TCFW_STAT_MALFORMED] = {"malformed", "packets with headers too short or inconsistent"},
    [TCFW_STAT_FRAGMENTS] = {"fragments", "IP fragments seen"},
    [TCFW_STAT_CT_NEW] = {"ct_new", "connections created (stored in the table)"},
    [TCFW_STAT_CT_ESTABLISHED] = {"ct_established",
                                  "packets of a known connection (either direction)"},
    [TCFW_STAT_CT_RELATED] = {"ct_related", "ICMP errors quoting a tracked connection"},
    [TCFW_STAT_CT_INVALID] = {"ct_invalid", "packets conntrack marked invalid"},
    [TCFW_STAT_CT_INSERT_FAILED] = {"ct_insert_failed",
                                    "new connections dropped: the table was full (see "
                                    "ct_early_drop; consider a larger --ct-max)"},
    [TCFW_STAT_EVICTIONS_SUSPECTED] = {"evictions_suspected",
                                       "half a connection found without the other half "
                                       "(repaired or removed by the datapath)"},
    [TCFW_STAT_VERDICT_ACCEPT] = {"verdict_accept", "new connections accepted by policy"},
    [TCFW_STAT_VERDICT_DROP] = {"verdict_drop", "packets dropped by policy"},
    [TCFW_STAT_VERDICT_REJECT] = {"verdict_reject", "packets rejected by policy"},
    [TCFW_STAT_REJECT_SENT] = {"reject_sent", "TCP resets / ICMP unreachables sent"},
    [TCFW_STAT_LIMITED] = {"limited", "new connections over a rule's limit (fell through)"},
    [TCFW_STAT_EVENTS_LOST] = {"events_lost", "events dropped because the ring buffer was full"},
    [TCFW_STAT_NAT_TRANSLATED] = {"nat_translated", "packets whose addresses/ports NAT rewrote"},
    [TCFW_STAT_NAT_PORT_RETRIES] = {"nat_port_retries",
                                    "NAT port choices retried because the port was taken"},
    [TCFW_STAT_NAT_PORT_EXHAUSTED] = {"nat_port_exhausted",
                                      "new connections dropped: no free NAT port in the range"},
    [TCFW_STAT_POLICY_INCOMPLETE] = {"policy_incomplete",
                                     "new connections given the chain's default because a "
                                     "policy map entry was missing (policy not fully written)"},
    [TCFW_STAT_FAST_PATH] = {"fast_path",
                             "established packets forwarded at ingress, past the kernel's IP "
                             "forwarding path (fwd --no-fast-path turns it off)"},
    [TCFW_STAT_FIB_LOOKUP] = {"fib_lookups",
                              "routing lookups the fast path made (it keeps a flow's next hop "
                              "for 10 ms)"},
    [TCFW_STAT_CT_EARLY_DROP] = {"ct_early_drop",
                                 "connections not yet ASSURED that fwd dropped to make room "
                                 "in a nearly full table (established ones are kept)"},
    [TCFW_STAT_PREFILTER_BLOCKED] = {"prefilter_blocked",
                                     "packets the XDP pre-filter dropped: source in a blocked "
                                     "set of its zone (never reach TC: not in packets)"},
    [TCFW_STAT_PREFILTER_UNTRACKED] = {"prefilter_untracked",
                                       "TCP segments without SYN of no connection the XDP "
                                       "pre-filter dropped (TC would drop them as invalid)"},
    [TCFW_STAT_NAT_NO_ADDRESS] = {"nat_no_address",
                                  "new connections dropped: masquerade out an interface "
                                  "without IPv4 address"},
    [TCFW_STAT_NAT_ALIAS_TAKEN] = {"nat_alias_taken",
                                   "new connections dropped: DNAT+SNAT, another connection "
                                   "has the same half-translated tuple"},
    [TCFW_STAT_DYNSET_ADDED] = {"dynset_added",
                                "sources a rule's 'add @SET' put into a dynamic set"},
    [TCFW_STAT_DYNSET_ADD_LIMITED] = {"dynset_add_limited",
                                      "'add @SET' additions refused: more than 1000 a second "
                                      "into one set"},
    [TCFW_STAT_DYNSET_ADD_FAILED] = {"dynset_add_failed",
                                     "'add @SET' additions refused: the dynamic set elements "
                                     "table is full"},
    [TCFW_STAT_LIMIT_SRC_EXHAUSTED] = {"limit_src_exhausted",
                                       "new connections over a 'limit ... per source' of "
                                       "their source (fell through; also in limited)"},
};
_Static_assert(ARRAY_SIZE(stats) == TCFW_STAT_MAX, "a counter has no name");

struct proto_names {
	uint8_t num;
	const char *name;
};

/* First name of a number is the one printed; later ones are accepted aliases. The first
 * PROTO_NAMES_MAX entries are the canonical names, in the order help text lists them. */
static const struct proto_names protos[] = {
    {TCFW_PROTO_TCP, "tcp"},       {TCFW_PROTO_UDP, "udp"},      {TCFW_PROTO_ICMP, "icmp"},
    {TCFW_PROTO_ICMPV6, "icmpv6"}, {TCFW_PROTO_ICMPV6, "icmp6"}, {TCFW_PROTO_ICMPV6, "ipv6-icmp"},
};

static const char *name_at(const char *const *tab, size_t n, unsigned int v)
{
	return v < n && tab[v] ? tab[v] : "?";
}

static int parse_in(const char *const *tab, size_t n, const char *s)
{
	for (size_t i = 0; s && i < n; i++)
		if (tab[i] && strcasecmp(tab[i], s) == 0)
			return (int)i;
	return -1;
}

const char *ct_state_name(unsigned int state)
{
	return state < TCFW_CT_STATE_MAX ? ct_states[state].upper : "?";
}

const char *ct_state_lname(unsigned int state)
{
	return state < TCFW_CT_STATE_MAX ? ct_states[state].lower : "?";
}

const char *ct_state_pname(unsigned int state)
{
	if (state >= TCFW_CT_STATE_MAX)
		return "?";
	return ct_states[state].neutral ? ct_states[state].neutral : ct_states[state].lower;
}

const char *chain_name(unsigned int chain)
{
	return name_at(chains, ARRAY_SIZE(chains), chain);
}

const char *verdict_name(unsigned int verdict)
{
	return name_at(verdicts, ARRAY_SIZE(verdicts), verdict);
}

const char *pkt_ct_name(unsigned int pkt_ct)
{
	return name_at(pkt_cts, ARRAY_SIZE(pkt_cts), pkt_ct);
}

const char *stat_name(unsigned int stat)
{
	return stat < TCFW_STAT_MAX ? stats[stat].name : "?";
}

const char *stat_help(unsigned int stat)
{
	return stat < TCFW_STAT_MAX ? stats[stat].help : "?";
}

const char *proto_name(uint8_t proto)
{
	for (size_t i = 0; i < ARRAY_SIZE(protos); i++)
		if (protos[i].num == proto)
			return protos[i].name;
	return NULL;
}

const char *const *proto_names(void)
{
	static const char *names[PROTO_NAMES_MAX];

	if (!names[0])
		for (unsigned int i = 0; i < PROTO_NAMES_MAX; i++)
			names[i] = protos[i].name;
	return names;
}

int ct_state_parse(const char *s)
{
	if (!s)
		return -1;
	/* The unique lower-case names first, then the conntrack names (first protocol wins). */
	for (unsigned int i = 0; i < TCFW_CT_STATE_MAX; i++)
		if (strcasecmp(ct_states[i].lower, s) == 0)
			return (int)i;
	for (unsigned int i = 0; i < TCFW_CT_STATE_MAX; i++)
		if (strcasecmp(ct_states[i].upper, s) == 0)
			return (int)i;
	return -1;
}

uint32_t ct_state_mask_parse(const char *s)
{
	uint32_t mask = 0;

	if (!s)
		return 0;
	for (unsigned int i = 0; i < TCFW_CT_STATE_MAX; i++)
		if (strcasecmp(ct_states[i].lower, s) == 0)
			return 1u << i;
	for (unsigned int i = 0; i < TCFW_CT_STATE_MAX; i++)
		if (strcasecmp(ct_states[i].upper, s) == 0)
			mask |= 1u << i;
	return mask;
}

int proto_parse(const char *s)
{
	char *end;
	long v;

	if (!s || !*s)
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(protos); i++)
		if (strcasecmp(protos[i].name, s) == 0)
			return protos[i].num;
	if (!isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < 0 || v > 255)
		return -1;
	return (int)v;
}

int chain_parse(const char *s)
{
	return parse_in(chains, ARRAY_SIZE(chains), s);
}

int verdict_parse(const char *s)
{
	return parse_in(verdicts, ARRAY_SIZE(verdicts), s);
}

/* Optimal string alignment distance, case-insensitive: a swap of two neighbours costs 1, as
 * in the commonest typo ("tpc"). Words longer than the buffer are never "close". */
#define SUGGEST_MAXLEN 64
static unsigned int edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned int d[SUGGEST_MAXLEN + 1][SUGGEST_MAXLEN + 1];

	if (la > SUGGEST_MAXLEN || lb > SUGGEST_MAXLEN)
		return ~0u;
	for (size_t i = 0; i <= la; i++)
		d[i][0] = (unsigned int)i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = (unsigned int)j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			int ca = tolower((unsigned char)a[i - 1]),
			    cb = tolower((unsigned char)b[j - 1]);
			unsigned int best = d[i - 1][j - 1] + (ca != cb);

			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
			    tolower((unsigned char)a[i - 2]) == cb && d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[la][lb];
}

const char *name_suggest(const char *word, const char *const *candidates, unsigned int n)
{
	size_t len = word ? strlen(word) : 0;
	unsigned int limit = len / 2 < 2 ? (unsigned int)(len / 2) : 2;
	unsigned int best_d = ~0u;
	const char *best = NULL;

	if (!len)
		return NULL;
	for (unsigned int i = 0; i < n; i++) {
		unsigned int d = edit_distance(word, candidates[i]);

		if (d <= limit && d < best_d) {
			best_d = d;
			best = candidates[i];
		}
	}
	return best;
}

const char *ct_state_suggest(const char *word)
{
	const char *cands[2 * TCFW_CT_STATE_MAX];
	unsigned int n = 0;

	/* Table order, unique name first: "established" is preferred to "udp_assured". */
	for (unsigned int i = 0; i < TCFW_CT_STATE_MAX; i++) {
		cands[n++] = ct_states[i].lower;
		if (ct_states[i].neutral)
			cands[n++] = ct_states[i].neutral;
	}
	return name_suggest(word, cands, n);
}
