// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * timeouts.c - connection timeouts: netfilter's defaults (nf_conntrack_proto_*.c, sysctl
 * net.netfilter.nf_conntrack_*_timeout*) and the policy's overrides from its timeouts { } block.
 */
#include <string.h>

#include "policy_internal.h"

const __u32 pol_default_timeouts[TCFW_CT_STATE_MAX] = {
    [TCFW_CT_NONE] = 0, /* not a state a live connection is in */
    [TCFW_CT_TCP_SYN_SENT] = 120,
    [TCFW_CT_TCP_SYN_RECV] = 60,
    [TCFW_CT_TCP_ESTABLISHED] = 432000, /* 5 days */
    [TCFW_CT_TCP_FIN_WAIT] = 120,
    [TCFW_CT_TCP_CLOSE_WAIT] = 60,
    [TCFW_CT_TCP_LAST_ACK] = 30,
    [TCFW_CT_TCP_TIME_WAIT] = 120,
    [TCFW_CT_TCP_CLOSE] = 10,
    [TCFW_CT_TCP_SYN_SENT2] = 120,
    [TCFW_CT_UDP_UNREPLIED] = 30,
    [TCFW_CT_UDP_REPLIED] = 30,
    [TCFW_CT_UDP_ASSURED] = 120, /* nf_conntrack_udp_timeout_stream */
    [TCFW_CT_ICMP_UNREPLIED] = 30,
    [TCFW_CT_ICMP_REPLIED] = 30,
    [TCFW_CT_OTHER_UNREPLIED] = 600, /* nf_conntrack_generic_timeout */
    [TCFW_CT_OTHER_REPLIED] = 600,
};

void policy_timeouts(const struct policy *p, __u32 timeouts[TCFW_CT_STATE_MAX])
{
	memcpy(timeouts, p ? p->timeouts : pol_default_timeouts, sizeof(pol_default_timeouts));
}

#define ST(s) (1u << (s))
const struct pol_timeout_key pol_timeout_keys[] = {
    {"tcp", "syn_sent", ST(TCFW_CT_TCP_SYN_SENT), false},
    {"tcp", "syn_recv", ST(TCFW_CT_TCP_SYN_RECV), false},
    {"tcp", "established", ST(TCFW_CT_TCP_ESTABLISHED), false},
    {"tcp", "fin_wait", ST(TCFW_CT_TCP_FIN_WAIT), false},
    {"tcp", "close_wait", ST(TCFW_CT_TCP_CLOSE_WAIT), false},
    {"tcp", "last_ack", ST(TCFW_CT_TCP_LAST_ACK), false},
    {"tcp", "time_wait", ST(TCFW_CT_TCP_TIME_WAIT), false},
    {"tcp", "close", ST(TCFW_CT_TCP_CLOSE), false},
    {"tcp", "syn_sent2", ST(TCFW_CT_TCP_SYN_SENT2), false},
    /* The shorthand first: the formatter prefers "udp 1m" to two lines. */
    {"udp", NULL, ST(TCFW_CT_UDP_UNREPLIED) | ST(TCFW_CT_UDP_REPLIED), false},
    {"udp", "unreplied", ST(TCFW_CT_UDP_UNREPLIED), false},
    {"udp", "replied", ST(TCFW_CT_UDP_REPLIED), false},
    {"udp", "stream", ST(TCFW_CT_UDP_ASSURED), false},
    {"udp", "assured", ST(TCFW_CT_UDP_ASSURED), true},
    {"icmp", NULL, ST(TCFW_CT_ICMP_UNREPLIED) | ST(TCFW_CT_ICMP_REPLIED), false},
    {"icmp", "unreplied", ST(TCFW_CT_ICMP_UNREPLIED), false},
    {"icmp", "replied", ST(TCFW_CT_ICMP_REPLIED), false},
    /* ICMPv6 echo is tracked in the same states as ICMP. */
    {"icmpv6", NULL, ST(TCFW_CT_ICMP_UNREPLIED) | ST(TCFW_CT_ICMP_REPLIED), true},
    {"icmpv6", "unreplied", ST(TCFW_CT_ICMP_UNREPLIED), true},
    {"icmpv6", "replied", ST(TCFW_CT_ICMP_REPLIED), true},
    {"other", NULL, ST(TCFW_CT_OTHER_UNREPLIED) | ST(TCFW_CT_OTHER_REPLIED), false},
    {"other", "unreplied", ST(TCFW_CT_OTHER_UNREPLIED), false},
    {"other", "replied", ST(TCFW_CT_OTHER_REPLIED), false},
};
const size_t pol_n_timeout_keys = sizeof(pol_timeout_keys) / sizeof(pol_timeout_keys[0]);
