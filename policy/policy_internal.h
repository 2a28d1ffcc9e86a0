/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * policy_internal.h - the parsed form of a policy, shared by the files of policy/ (parser,
 * checker, formatter, editor, compiler) and by the policy unit tests. Nothing outside policy/
 * and tests/unit/test_policy_*.c includes it: fwd and fwctl see only policy.h.
 *
 * Addresses are in the ABI's one form (16 bytes, IPv4 mapped); prefix lengths are 16-byte
 * lengths (an IPv4 /24 is 120). Names are kept as written and resolved to indexes by the
 * checker, so declarations may come after their use.
 */
#ifndef TCFW_POLICY_INTERNAL_H
#define TCFW_POLICY_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "policy.h"
#include "tcfw_abi.h"

#define POL_MAX_ZONES      (TCFW_MAX_ZONES - 1) /* slot 63 is TCFW_ZONE_NONE & 63 */
#define POL_IFNAME_MAX     15                   /* IFNAMSIZ - 1 */
#define POL_COMMENT_MAX    255
#define POL_LOG_PREFIX_MAX 64 /* characters of 'log prefix "TEXT"' */
#define POL_V4_PLEN_OFFSET 96 /* bits before the IPv4 part of a mapped address */
/* Rule ids fit policy_rule_add()'s int result. */
#define POL_RULE_ID_MAX 2147483647u

/* A place in the text: 1-based line and column (0/0: not from text). */
struct pol_loc {
	int line, col;
};

/* An address prefix, host bits zero. */
struct pol_prefix {
	__u32 addr[4];
	__u8 plen; /* 0..128, 16-byte terms */
};

/* Families as a bit mask: what a match or a rule can apply to. */
enum pol_family_bits {
	POL_FAM_V4 = 1 << 0,
	POL_FAM_V6 = 1 << 1,
	POL_FAM_ANY = POL_FAM_V4 | POL_FAM_V6,
};

struct pol_zone {
	char *name;
	struct pol_loc loc;
	char **ifnames;
	struct pol_loc *if_locs;
	size_t nif;
};

struct pol_set {
	char *name;
	struct pol_loc loc;
	struct pol_prefix *v;
	size_t n;
	/* 'flags dynamic [timeout D]': elements in the datapath's map "dynset", changed at run
	 * time (fwctl set add, 'add @SET'); v holds the ones written in the policy. */
	bool dynamic;
	struct pol_loc dynamic_loc; /* of 'flags' */
	__u32 timeout_s;            /* default element timeout; 0: none */
	struct pol_loc timeout_loc; /* line 0: not written */
	int dyn_id; /* id in map "dynset" (0 .. TCFW_DYNSET_MAX - 1): by default the set's rank
	             * among the dynamic sets; fwd sets the ids its pinned maps give the names */
};

enum pol_addr_kind {
	POL_ADDR_ANY = 0, /* no from/to in the rule */
	POL_ADDR_PREFIX,
	POL_ADDR_SET,
	POL_ADDR_LIST, /* inline '{ ADDR, A-B, ... }': ranges already cut into prefixes */
};

/* from/to: one prefix or one set, possibly negated ('!' toggles). */
struct pol_addr_match {
	enum pol_addr_kind kind;
	bool neg;
	struct pol_prefix pfx;   /* POL_ADDR_PREFIX */
	char *set_name;          /* POL_ADDR_SET, without '@' */
	int set;                 /* POL_ADDR_SET: index, resolved by the checker */
	struct pol_prefix *list; /* POL_ADDR_LIST: sorted, duplicates dropped */
	size_t nlist;
	struct pol_loc loc;    /* of the first token of the match's value */
	struct pol_loc kw_loc; /* of the keyword ("from", "to") */
};

struct pol_port_range {
	uint16_t lo, hi;
};

/* sport/dport: a union of ranges, sorted and merged by the parser. n == 0: no match. */
struct pol_ports {
	struct pol_port_range *v;
	size_t n;
	struct pol_loc loc;
};

enum pol_rule_kind {
	POL_RULE_FILTER = 0, /* input / forward / output */
	POL_RULE_MASQUERADE,
	POL_RULE_SNAT,
	POL_RULE_DNAT,
};

/* Translation target of snat (lo-hi, ports) and dnat (lo == hi, port_lo == port_hi). */
struct pol_nat_target {
	__u32 lo[4], hi[4];
	uint16_t port_lo, port_hi; /* 0/0: keep ports */
	struct pol_loc loc;
};

struct pol_rule {
	uint32_t id;
	bool explicit_id; /* written as "[id] ..." in the text */
	enum pol_rule_kind kind;
	enum tcfw_chain chain;
	enum tcfw_verdict verdict; /* filter rules */
	struct pol_loc loc;        /* of the hook keyword ("input", "nat") */

	char *in_zone, *out_zone;    /* NULL: no in / out match */
	int in_zone_id, out_zone_id; /* resolved by the checker; -1 when no match */
	struct pol_loc in_loc, out_loc;

	struct pol_addr_match src, dst;

	int proto; /* -1: any (or a list, see proto_bits) */
	struct pol_loc proto_loc;
	/* 'proto { tcp, udp }': bit i = protocol i listed (proto stays -1); all zero without. */
	uint64_t proto_bits[4];
	bool proto_list;
	/* 'proto icmp type ...' / 'proto icmpv6 type ...': the types as ranges within 0-255
	 * (n == 0: no type match). The datapath looks them up where TCP and UDP have dport. */
	struct pol_ports itype;
	struct pol_ports sport, dport;
	unsigned int family; /* explicit 'family': POL_FAM_V4 / POL_FAM_V6, 0 when absent */
	struct pol_loc family_loc;

	bool log;
	char *log_prefix;        /* 'log prefix "TEXT"'; NULL: none. Kept in user space only */
	uint32_t limit_rate;     /* 0: no limit */
	uint32_t limit_period_s; /* 1 or 60 */
	uint32_t limit_burst;    /* 'burst N'; 0: not written (the bucket holds limit_rate) */
	bool limit_per_source;   /* 'per source': a bucket per source address */
	char *add_set;           /* 'add @SET' (without '@'); NULL: none */
	int add_set_id;          /* resolved by the checker (index in sets) */
	struct pol_loc add_loc;  /* of the '@SET' word */
	char *comment;           /* NULL: none */

	struct pol_nat_target nat; /* snat / dnat */

	/* Computed by the checker: the families this rule can match (never 0 once checked). */
	unsigned int families;
};

/* 'prefilter ZONE { drop from @SET ... ; drop untracked }': the zone's XDP pre-filter. */
struct pol_prefilter {
	char *zone;
	int zone_id; /* resolved by the checker */
	struct pol_loc loc, zone_loc;
	char **sets; /* 'drop from @SET', without '@', in the order written */
	int *set_ids;
	struct pol_loc *set_locs;
	size_t nsets;
	bool untracked;               /* 'drop untracked' */
	struct pol_loc untracked_loc; /* line 0: not written */
	bool had_errors;              /* an entry did not parse (already reported) */
};

struct policy {
	char *name; /* file name given to the parser (for diagnostics of later edits) */

	struct pol_zone *zones;
	size_t nzones;
	struct pol_set *sets;
	size_t nsets;

	/* Rules in the order they apply within their chain (file order, then additions). */
	struct pol_rule **rules;
	size_t nrules, rules_cap;
	uint32_t next_id; /* never reused: one past the highest id ever given */

	__u8 default_verdict[TCFW_CHAIN_OUTPUT + 1];
	struct pol_loc default_loc[TCFW_CHAIN_OUTPUT + 1]; /* line 0: not written */
	__u8 invalid_verdict;
	struct pol_loc invalid_loc;
	/* 'log [prefix "TEXT"]' after a hook's default verdict. */
	bool default_log[TCFW_CHAIN_OUTPUT + 1];
	char *default_prefix[TCFW_CHAIN_OUTPUT + 1]; /* NULL: none */

	__u32 timeouts[TCFW_CT_STATE_MAX];
	struct pol_loc timeout_loc[TCFW_CT_STATE_MAX]; /* line 0: netfilter's default */

	struct pol_prefilter *prefilters; /* at most one per zone, in the order written */
	size_t nprefilters;
};

/* ---- prefilter.c --------------------------------------------------------------------------- */
/* Resolve and check the prefilter statements (zones, sets, one per zone). Error count. */
int pol_check_prefilters(struct policy *p, const char *file, struct policy_diags *d);
void pol_prefilters_free(struct policy *p);
void pol_prefilters_format(FILE *f, const struct policy *p);

/* ---- diag.c -------------------------------------------------------------------------------- */
/* Append one diagnostic (file may be NULL; line 0 = not about a place). */
void pol_diag(struct policy_diags *d, const char *file, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* The same, as a warning (the policy is still good). */
void pol_warn(struct policy_diags *d, const char *file, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* ---- parse.c ------------------------------------------------------------------------------- */
/* Parse text into p (statements are added to it; nothing is checked against names yet). With
 * rules_only, anything but a rule is an error (run-time edits). Returns the number of errors. */
int pol_parse_text(struct policy *p, const char *file, const char *text, size_t len,
                   struct policy_diags *diags, bool rules_only);

/* ---- timeouts.c (names) ------------------------------------------------------------------- */
/* "PROTO [STATE]" of the timeouts block and the states (bit i = enum tcfw_ct_state i) each
 * sets. state NULL: the protocol alone. alias: accepted, never printed. */
struct pol_timeout_key {
	const char *proto, *state;
	uint32_t states;
	bool alias;
};
extern const struct pol_timeout_key pol_timeout_keys[];
extern const size_t pol_n_timeout_keys;

/* ---- policy.c ------------------------------------------------------------------------------ */
struct policy *pol_new(const char *name);
void pol_rule_free(struct pol_rule *r);
/* Append r (the policy takes it over). 0, or -1 when out of memory. */
int pol_rules_append(struct policy *p, struct pol_rule *r);
int pol_zone_find(const struct policy *p, const char *name);
int pol_set_find(const struct policy *p, const char *name);

/* ---- timeouts.c ---------------------------------------------------------------------------- */
/* netfilter's default timeouts, seconds, indexed by enum tcfw_ct_state. */
extern const __u32 pol_default_timeouts[TCFW_CT_STATE_MAX];

/* ---- prefix.c ------------------------------------------------------------------------------ */
/* POL_FAM_V4 when inside ::ffff:0:0/96, POL_FAM_V6 when outside it, POL_FAM_ANY when the prefix
 * covers it (e.g. ::/0). */
unsigned int pol_prefix_family(const struct pol_prefix *p);
/* True when a lies inside p. */
bool pol_prefix_contains(const struct pol_prefix *p, const __u32 a[4]);
/* True when outer covers inner (outer is shorter or equal and contains it). */
bool pol_prefix_covers(const struct pol_prefix *outer, const struct pol_prefix *inner);
/* Total order: address bytes, then prefix length (shorter first). */
int pol_prefix_cmp(const struct pol_prefix *a, const struct pol_prefix *b);
/* "10.0.0.0/8", "192.0.2.1", "2001:db8::/32" (a full-length prefix prints as an address). */
void pol_prefix_format(const struct pol_prefix *p, char *buf, size_t len);
/* The IPv4-mapped range ::ffff:0:0/96. */
extern const struct pol_prefix pol_v4_mapped;

/* ---- vocab.c ------------------------------------------------------------------------------ */
/* The protocols a rule can match, as a 256-bit mask: its 'proto' (one or a list), else TCP and
 * UDP when it has sport/dport, else every protocol. */
void pol_rule_protos(const struct pol_rule *r, uint64_t out[4]);
/* ICMP (proto 1) or ICMPv6 (proto 58) type names, as nftables spells them. Type of a name, or
 * -1; name of a type, or NULL. */
int pol_icmp_type_parse(int proto, const char *name);
const char *pol_icmp_type_name(int proto, unsigned int type);
/* Every name of the protocol's types, for suggestions; their count in *n. */
const char *const *pol_icmp_type_names(int proto, unsigned int *n);
/* Does a packet of this ICMP/ICMPv6 type open a connection (an echo request, ...)? Only those
 * reach the rules: replies and errors are established or related, the others invalid. */
bool pol_icmp_type_opens(int proto, unsigned int type);
/* ICMPv6 neighbour discovery and MLD (router / neighbour solicitation and advertisement,
 * redirect, multicast listener query / report / done): the datapath passes them before
 * conntrack and the rules, so no rule can drop them. */
bool pol_icmp_type_link(int proto, unsigned int type);
/* A port by number, or by service name from the services database (/etc/services: "ssh",
 * "https"), for protocol "tcp" or "udp" (NULL: either). -1 when unknown. */
int pol_service_port(const char *name, const char *proto);
/* The known service name closest to word (for "did you mean"), or NULL. Static buffer. */
const char *pol_service_suggest(const char *word);
/* Cut the address range lo..hi (same family, lo <= hi) into the fewest prefixes, appended to
 * *v (realloc'd). 0, or -1 when out of memory. */
int pol_range_to_prefixes(const __u32 lo[4], const __u32 hi[4], struct pol_prefix **v, size_t *n);
/* The prefixes an address match names: a literal, a set's members or an inline list. */
const struct pol_prefix *pol_addr_prefixes(const struct policy *p, const struct pol_addr_match *m,
                                           size_t *n);

/* ---- format.c ----------------------------------------------------------------------------- */
/* FNV-1a of the rule's normal form without its id (what 'fwctl policy show' prints after
 * "[ID] "), and of its comment (0: none). Never 0 otherwise. 0, or -1 when out of memory. */
int pol_rule_hashes(const struct pol_rule *r, uint32_t *content, uint32_t *comment);

/* ---- check.c ------------------------------------------------------------------------------- */
/* Resolve and check one rule against p's zones and sets; sets r->families. Errors go to d.
 * Returns the number of errors. */
int pol_check_rule(const struct policy *p, struct pol_rule *r, const char *file,
                   struct policy_diags *d);
/* Whole-policy checks after parsing (names, duplicates, every rule). Returns error count. */
int pol_check(struct policy *p, const char *file, struct policy_diags *d);

/* Zone name -> *id, or "unknown zone 'X' (did you mean ...)" at loc. Error count (0 or 1). */
int pol_resolve_zone(const struct policy *p, const char *name, struct pol_loc loc, int *id,
                     const char *file, struct policy_diags *d);

/* The families a filter/NAT rule's address match can apply to (POL_FAM_ANY when negated or
 * absent). Needs the set resolved. */
unsigned int pol_addr_families(const struct policy *p, const struct pol_addr_match *m);

#endif
