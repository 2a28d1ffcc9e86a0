// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ct_tuple.c - a tuple's printed fields (see ct_tuple.h).
 */
#include <arpa/inet.h>

#include "ct_tuple.h"
#include "tcfw_proto.h"

unsigned int ct_tuple_fields(const struct tcfw_tuple *t, struct ct_tuple_text *text,
                             struct ct_tuple_field f[CT_TUPLE_FIELDS_MAX])
{
	unsigned int n = 0;

	f[n++] = (struct ct_tuple_field){.key = "src", .str = addr_format(t->src, text->src)};
	f[n++] = (struct ct_tuple_field){.key = "dst", .str = addr_format(t->dst, text->dst)};
	if (tcfw_proto_is_icmp(t->proto)) {
		/* An echo request is keyed (id, 0), its reply (0, id): the id is the non-zero one.
		 */
		f[n++] = (struct ct_tuple_field){.key = "id",
		                                 .num = ntohs(t->sport ? t->sport : t->dport)};
	} else if (tcfw_proto_has_ports(t->proto)) {
		f[n++] = (struct ct_tuple_field){.key = "sport", .num = ntohs(t->sport)};
		f[n++] = (struct ct_tuple_field){.key = "dport", .num = ntohs(t->dport)};
	}
	return n;
}
