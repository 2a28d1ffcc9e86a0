/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * ct_filter.h - the connection filter of `fwctl ct list|count|del`, parsed in fwctl (usage
 * errors exit 2 before any daemon is asked) and again in fwd for `ct del`, from the same words.
 *
 *   FILTER := { proto P | src ADDR[/LEN] | dst ADDR[/LEN] | addr ADDR[/LEN]
 *             | sport N | dport N | port N | state S | family ip|ip6 }
 *
 * src/dst/sport/dport match the original direction; addr/port match either side of either
 * direction. state takes a state name (established, syn_sent, time_wait, unreplied, ...) or
 * several separated by commas.
 * All given conditions must hold.
 */
#ifndef TCFW_CT_FILTER_H
#define TCFW_CT_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tcfw_abi.h"

struct ct_filter {
	uint32_t have; /* CT_FILTER_* bits */
	uint8_t proto;
	uint8_t family;              /* enum tcfw_family */
	uint8_t state;               /* enum tcfw_ct_state */
	uint16_t sport, dport, port; /* host order */
	__u32 src[4], dst[4], addr[4];
	unsigned int src_plen, dst_plen, addr_plen; /* 16-byte prefix lengths */
	/* States accepted (bit i = enum tcfw_ct_state i): "state unreplied" means UDP's, ICMP's
	 * and other protocols' alike, and "state a,b" accepts either. 0: match `state` alone. */
	uint32_t state_mask;
};

enum {
	CT_FILTER_PROTO = 1 << 0,
	CT_FILTER_SRC = 1 << 1,
	CT_FILTER_DST = 1 << 2,
	CT_FILTER_ADDR = 1 << 3,
	CT_FILTER_SPORT = 1 << 4,
	CT_FILTER_DPORT = 1 << 5,
	CT_FILTER_PORT = 1 << 6,
	CT_FILTER_STATE = 1 << 7,
	CT_FILTER_FAMILY = 1 << 8,
};

/* Parse argv[0..argc). 0 on success; -EINVAL with a one-line message in err (e.g.
 * "unknown state 'establshed' (did you mean 'established'?)"). */
int ct_filter_parse(int argc, char **argv, struct ct_filter *f, char *err, size_t errlen);
/* One line per filter word after prefix, then the values it takes when they are names:
 * "proto tcp udp icmp icmpv6", "src", "state syn_sent ... unreplied replied assured". For
 * completion (fwctl --complete-words): the words come from the table the parser uses. */
void ct_filter_print_words(FILE *f, const char *prefix);
bool ct_filter_match(const struct ct_filter *f, const struct tcfw_tuple *orig,
                     const struct tcfw_ct_entry *e);

#endif
