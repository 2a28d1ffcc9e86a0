/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * policy.h - the tcfw policy language (../shared/docs/policy-language.md): parse, check,
 * normalise, edit and compile to map contents. Linked by fwd and fwctl: one grammar.
 *
 * Nothing here touches the kernel: policy_compile() produces a policy_image (plain arrays of
 * map keys and values, see tcfw_abi.h) that fwd writes into the standby copy of the maps.
 */
#ifndef TCFW_POLICY_H
#define TCFW_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tcfw_abi.h"

/* ---- diagnostics ------------------------------------------------------------------------- */
enum policy_severity {
	POLICY_ERROR = 0, /* the policy is refused */
	POLICY_WARNING,   /* the policy loads, but something in it does not do what it says */
};

struct policy_diag {
	char *file;    /* the name given to the parser */
	int line, col; /* 1-based; 0 when not about a place in the text */
	char *msg;     /* "unknown set '@admin' (did you mean '@admins'?)" */
	enum policy_severity severity;
};

struct policy_diags {
	struct policy_diag *v;
	size_t n;
};

/* "file:line:col: msg" (or "file: msg"), one per line; a warning reads
 * "file:line:col: warning: msg". */
void policy_diags_print(const struct policy_diags *d, FILE *f);
/* The same text in one malloc'd string (for the control socket). */
char *policy_diags_str(const struct policy_diags *d);
void policy_diags_free(struct policy_diags *d);

/* ---- parse and check ------------------------------------------------------------------------- */
struct policy; /* opaque: a parsed and checked policy */

/* Parse and check text. NULL when there is any error (all errors found are in diags). */
struct policy *policy_parse(const char *name, const char *text, size_t len,
                            struct policy_diags *diags);
/* Read and parse a file; a read error is reported in diags as "file: reason". */
struct policy *policy_parse_file(const char *path, struct policy_diags *diags);
void policy_free(struct policy *p);
/* Warnings about a policy that parsed and checked (nft -c style: the policy still loads):
 * rules that can never match because an earlier rule of their chain matches everything they
 * match, duplicate rules, NAT rules that translate nothing (IPv6), forward rules that name a
 * port forward's public port, a missing defaults block, no rules at all. Appended to d with
 * severity POLICY_WARNING; returns how many. Nothing is said when unsure. */
size_t policy_warnings(const struct policy *p, struct policy_diags *d);
/* How many of d are errors (the rest are warnings). */
size_t policy_diags_errors(const struct policy_diags *d);

/* Normalised text of the policy (the form `fwctl policy show` prints). malloc'd. With hits
 * non-NULL, hits[rule_id] is appended to each rule as "# hits N". */
char *policy_format(const struct policy *p, const uint64_t *hits, size_t nhits);

/* ---- zones and interfaces ------------------------------------------------------------------- */
size_t policy_zone_count(const struct policy *p);
const char *policy_zone_name(const struct policy *p, size_t zone);
size_t policy_zone_ifcount(const struct policy *p, size_t zone);
const char *policy_zone_ifname(const struct policy *p, size_t zone, size_t i);
/* Zone id (its index, the id the compiler uses) of an interface name, or -1. */
int policy_zone_of_ifname(const struct policy *p, const char *ifname);
/* How many interfaces the zones name, all zones together. A policy without any would detach
 * tcfw from every interface: fwd refuses to load one unless told to (and warns at start). */
size_t policy_interface_count(const struct policy *p);
/* Does zone `zone` have a 'prefilter' (so fwd attaches the XDP program to its interfaces)? */
bool policy_zone_prefiltered(const struct policy *p, size_t zone);

/* Timeouts in seconds, indexed by enum tcfw_ct_state: netfilter's defaults overridden by the
 * policy's timeouts { } block. */
void policy_timeouts(const struct policy *p, __u32 timeouts[TCFW_CT_STATE_MAX]);

/* ---- run-time rule edits (fwctl rule add / del) ---------------------------------------------- */
/* Append a rule written as on a policy line ("forward accept in lan proto tcp dport 22"),
 * checked against the policy's zones and sets. Returns its id (> 0) or -1 with diags (named
 * "rule": "rule:1:19: unknown zone 'wann' ..."); p is unchanged on failure. Ids go up to
 * 2147483647 and are never given twice in the policy's life. */
int policy_rule_add(struct policy *p, const char *line, struct policy_diags *diags);
/* Where policy_rule_insert() puts the rule within its chain. */
enum policy_rule_pos {
	POLICY_RULE_APPEND = 0, /* last of its chain (policy_rule_add) */
	POLICY_RULE_BEFORE,     /* just before rule ref */
	POLICY_RULE_AFTER,      /* just after rule ref */
};
/* policy_rule_add() at a position: ref must be a rule of the same chain (the new rule's id is
 * still a new one: ids name rules, positions order them). -1 with diags otherwise. */
int policy_rule_insert(struct policy *p, const char *line, enum policy_rule_pos pos, uint32_t ref,
                       struct policy_diags *diags);
/* Remove rule id; 0, or -1 when there is no such rule. */
int policy_rule_del(struct policy *p, uint32_t id);
size_t policy_rule_count(const struct policy *p);
/* Highest rule id in use (hit counters are indexed by id). */
uint32_t policy_rule_max_id(const struct policy *p);

/* ---- log prefixes -----------------------------------------------------------------------------
 */
/* 'log prefix "TEXT"' stays in user space: a datapath event names the rule by id (0: the
 * chain's default) and fwd adds the text. The prefix of rule number i (0 ..
 * policy_rule_count() - 1, in the policy's order), its id in *id; NULL when it has none. */
const char *policy_rule_log_prefix_at(const struct policy *p, size_t i, uint32_t *id);
/* Has the default of filter chain `chain` 'log'? Its prefix in *prefix (NULL: none). */
bool policy_default_log(const struct policy *p, enum tcfw_chain chain, const char **prefix);

/* ---- dynamic sets ('set NAME { ... } flags dynamic [timeout D]') ----------------------------- */
/* Their elements live in map "dynset" under an id (0 .. TCFW_DYNSET_MAX - 1) that the rules
 * compiled from p name. By default a dynamic set's id is its rank among p's dynamic sets; fwd
 * gives each the id its pinned maps already hold for that name (lib/dynset.c) before it
 * compiles, so that elements survive reloads and restarts. i counts p's dynamic sets only. */
size_t policy_dynset_count(const struct policy *p);
const char *policy_dynset_name(const struct policy *p, size_t i);
/* The set's default element timeout in seconds (0: elements never expire). */
__u32 policy_dynset_timeout(const struct policy *p, size_t i);
int policy_dynset_id(const struct policy *p, size_t i);
void policy_dynset_set_id(struct policy *p, size_t i, int id);
/* The dynamic set named name: its i, or -1 (also for a static set of that name). */
int policy_dynset_find(const struct policy *p, const char *name);
/* The members written in the policy: count, and member j (16-byte address, prefix length in
 * 16-byte terms: an IPv4 /24 is 120). */
size_t policy_dynset_nmembers(const struct policy *p, size_t i);
void policy_dynset_member(const struct policy *p, size_t i, size_t j, __u32 addr[4], __u8 *plen);
/* Does dynamic set i write this member? (Binary search: members are kept sorted.) */
bool policy_dynset_has_member(const struct policy *p, size_t i, const __u32 addr[4], __u8 plen);

/* ---- compile -------------------------------------------------------------------------------- */
struct policy_lpm_entry {
	struct tcfw_lpm_key key;
	__u32 class_id; /* key of "pol_class", i.e. TCFW_CLASS_KEY(copy, id) */
};

struct policy_class_entry {
	__u32 key; /* TCFW_CLASS_KEY(copy, id) */
	struct tcfw_class cls;
};

/* One entry of the XDP pre-filter's trie "pre_src". */
struct policy_prefilter_entry {
	struct tcfw_lpm_key key; /* copy set, chain 0, prefixlen 32 + 16-byte length */
	__u64 zones;             /* zones (bit = zone id) in which this source is dropped */
};

struct policy_image {
	__u8 copy;
	struct tcfw_policy_meta meta; /* generation left 0: fwd numbers its loads */
	/* "pol_scalar": values for indices TCFW_SCALAR_INDEX(copy, chain, 0, 0) ..
	 * + TCFW_CHAIN_MAX * TCFW_SCALAR_BLOCK - 1, i.e. this copy's whole block: scalar[i] goes to
	 * index TCFW_SCALAR_INDEX(copy, 0, 0, 0) + i. Every value, like policy_lpm_entry.class_id,
	 * is a "pol_class" key, TCFW_CLASS_KEY(copy, id), so the datapath looks it up as is. */
	__u32 *scalar;
	size_t nscalar;
	struct policy_lpm_entry *src, *dst; /* "pol_src", "pol_dst" */
	size_t nsrc, ndst;
	struct policy_class_entry *classes; /* "pol_class" */
	size_t nclasses;
	/* "pol_rules": rules[chain][pos] goes to TCFW_RULE_INDEX(copy, chain, pos). */
	struct tcfw_rule *rules[TCFW_CHAIN_MAX];
	size_t nrules[TCFW_CHAIN_MAX];
	/* zone id per interface name: use policy_zone_of_ifname(). */
	/* The XDP pre-filter ('prefilter ZONE { ... }'): "pre_meta"[copy] and "pre_src". */
	struct tcfw_prefilter_meta pre_meta;
	struct policy_prefilter_entry *pre_src;
	size_t npre_src;
};

/*
 * Compile p for policy copy `copy` (0/1). 0, or -1 with diags (too many rules in a chain, too
 * many classes). What the datapath looks up, per new connection on chain C:
 *   - scalar IN_ZONE / OUT_ZONE at the zone id of the interface (policy_zone_of_ifname()),
 *     slot 63 (TCFW_ZONE_NONE & 63) when there is none: locally generated, unmanaged, or not
 *     known yet (the dnat chain runs before routing);
 *   - PROTO at the IP protocol, FAMILY at 0 (IPv4) / 1 (IPv6);
 *   - SPORT / DPORT at the port for TCP and UDP, at TCFW_SCALAR_NOPORT for every other
 *     protocol (ICMP echo ids are not ports: rules with sport/dport never match them), except
 *     that the filter chains look an ICMP / ICMPv6 packet's type up at DPORT: 'proto icmp
 *     type T' rules are compiled there (the PROTO slots keep them apart from port rules,
 *     which name TCP and UDP only);
 *   - pol_src / pol_dst with prefixlen 32 + 128 and the 16-byte (IPv4-mapped) address; every
 *     (copy, chain) has a /0 entry, so the lookup always hits.
 * AND the eight classes' bitmaps (words 0..meta.nwords[C]-1; summary bit i = word i non-zero),
 * take the lowest set bit: the position of the first matching rule in rules[C]; none = the
 * chain's default. For the dnat chain's NAT loopback case, look up IN_ZONE with the zone of
 * the interface that owns the destination address.
 */
int policy_compile(const struct policy *p, __u8 copy, struct policy_image *img,
                   struct policy_diags *diags);
void policy_image_free(struct policy_image *img);
/* Does p fit the datapath? The test policy_compile() makes at load (rules per chain, rule
 * classes, prefixes), with nothing loaded: `fwctl policy check` and fwd before it touches the
 * datapath run it, so they refuse exactly what a load would. 0, or -1 with diags. */
int policy_check_fits(const struct policy *p, struct policy_diags *diags);

/* A duration as the policy writes one: digits and a unit s, m, h or d ("30s", "10m"); with
 * unit_optional, bare digits are seconds too (fwctl's `timeout 600`). Zero is the caller's to
 * judge. 0, -EINVAL (not a duration) or -ERANGE (over 2^32-1 seconds). */
int policy_duration_parse(const char *text, bool unit_optional, uint32_t *seconds);

#endif
