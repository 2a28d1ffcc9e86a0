/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * ct_tuple.h - the fields a connection tuple is shown with, decided once for every printer:
 * `fwctl ct list` (text and JSON, lib/ct_format.c) and fwd's monitor and event log events
 * (fwd/monitor.c) walk the same list, so they cannot disagree on which fields a protocol has.
 *
 * src, dst, then sport and dport for a protocol with ports, id for an ICMP echo, nothing more
 * for the others (their tuple holds no ports; see tcfw_proto.h).
 */
#ifndef TCFW_CT_TUPLE_H
#define TCFW_CT_TUPLE_H

#include <stdint.h>

#include "addr.h"
#include "tcfw_abi.h"

#define CT_TUPLE_FIELDS_MAX 4

struct ct_tuple_field {
	const char *key; /* "src", "dst", "sport", "dport", "id" */
	const char *str; /* the address, or NULL for a number */
	uint64_t num;    /* port or echo id, host byte order */
};

/* Room for the two addresses the fields point into; lives as long as the fields are used. */
struct ct_tuple_text {
	char src[ADDR_STRLEN];
	char dst[ADDR_STRLEN];
};

/* Fill f[] with t's fields in print order; returns how many (2 to CT_TUPLE_FIELDS_MAX). */
unsigned int ct_tuple_fields(const struct tcfw_tuple *t, struct ct_tuple_text *text,
                             struct ct_tuple_field f[CT_TUPLE_FIELDS_MAX]);

#endif
