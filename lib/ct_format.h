/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * ct_format.h - one connection, printed through out.h (text like `conntrack -L`, or JSON).
 *
 * Text: tcp      6 431999 ESTABLISHED src=10.0.0.2 dst=192.0.2.1 sport=40000 dport=80 \
 *         packets=5 bytes=412 src=192.0.2.1 dst=10.0.0.2 sport=80 dport=40000 packets=4 \
 *         bytes=1310 [ASSURED] mark=0 rule=3
 * JSON: {"proto":"tcp","state":"established","timeout":431999,
 *        "orig":{"src":"10.0.0.2","dst":"192.0.2.1","sport":40000,"dport":80},
 *        "reply":{...},"counters":{"orig":{"packets":5,"bytes":412},"reply":{...}},
 *        "chain":"forward","rule":3,"flags":["assured"]}
 * ICMP tuples print "id" instead of sport/dport.
 */
#ifndef TCFW_CT_FORMAT_H
#define TCFW_CT_FORMAT_H

#include <stdint.h>

#include "tcfw_abi.h"

/* Print one connection as one text line or one JSON object (inside the current array). */
void ct_format_entry(const struct tcfw_tuple *orig, const struct tcfw_ct_entry *e,
                     uint64_t timeout_left_s);
/* Print a tuple's fields into the current object/line (src dst sport dport | id). */
void ct_format_tuple(const struct tcfw_tuple *t);

#endif
