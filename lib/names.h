/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * names.h - the names of the ABI's enums, in one table each, for printing and parsing.
 * Lower-case names as an operator types them: "established", "syn_sent", "forward", "drop".
 */
#ifndef TCFW_NAMES_H
#define TCFW_NAMES_H

#include <stdint.h>

/* Name of a value, or "?" when out of range. */
const char *ct_state_name(unsigned int state);  /* enum tcfw_ct_state: "SYN_SENT" (conntrack -L) */
const char *ct_state_lname(unsigned int state); /* lower case: "syn_sent", "udp_unreplied" */
/* Next to a protocol: "syn_sent" for TCP, "unreplied"/"replied"/"assured" for the others. */
const char *ct_state_pname(unsigned int state);
const char *chain_name(unsigned int chain);     /* "input", "forward", "output", "dnat", "snat" */
const char *verdict_name(unsigned int verdict); /* "accept", "drop", "reject" */
const char *pkt_ct_name(unsigned int pkt_ct);   /* "new", "established", "related", "invalid" */
const char *stat_name(unsigned int stat); /* "packets", "ct_new", "evictions_suspected", ... */
const char *stat_help(unsigned int stat); /* one line saying what the counter counts */
const char *proto_name(uint8_t proto);    /* "tcp", "udp", "icmp", "icmpv6", else NULL */

/* The canonical protocol names, PROTO_NAMES_MAX of them, in the order PROTO_NAMES_TEXT lists
 * them: for "did you mean" hints, help and completion (aliases such as "icmp6" are parsed
 * but not offered). */
#define PROTO_NAMES_MAX  4
#define PROTO_NAMES_TEXT "tcp, udp, icmp, icmpv6"
const char *const *proto_names(void);

/* Parse a name (case-insensitive); return the value or -1. */
int ct_state_parse(const char *s); /* "established", "ESTABLISHED", "time_wait", "unreplied" ... */
int proto_parse(const char *s);    /* "tcp", "udp", "icmp", "icmpv6", or a number 0..255 */
int chain_parse(const char *s);
int verdict_parse(const char *s);

/* Bitmask (bit i = enum tcfw_ct_state i) of the states a filter word means: a lower-case name
 * ("udp_unreplied") means that one state, a protocol-neutral name ("unreplied", "replied")
 * means it for every protocol that has it. 0 when the word names no state. */
uint32_t ct_state_mask_parse(const char *s);

/* The candidate closest to word (case-insensitive edit distance, at most 2 and less than half
 * the word's length), for "did you mean ...?" hints; NULL when nothing is close. */
const char *name_suggest(const char *word, const char *const *candidates, unsigned int n);
/* The state name (ct_state_lname form or protocol-neutral) closest to word, or NULL. */
const char *ct_state_suggest(const char *word);

#endif
