/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * example_policy.h - the complete gateway policy of ../shared/docs/policy-language.md, verbatim.
 * That document is a product contract: every test that needs "the example" uses this copy, and
 * tests/docs/test_policy_examples.sh checks the document itself still parses.
 */
#ifndef TCFW_TEST_EXAMPLE_POLICY_H
#define TCFW_TEST_EXAMPLE_POLICY_H

static const char example_policy[] =
    "# /etc/tcfw/policy.conf — a home/office gateway\n"
    "zone lan { lan0 }\n"
    "zone wan { wan0 }\n"
    "\n"
    "set admins { 198.51.100.0/24, 2001:db8:1::/48 }\n"
    "set blocked { 203.0.113.66, 203.0.113.128/25 }\n"
    "\n"
    "defaults {\n"
    "    input   drop\n"
    "    forward drop\n"
    "    output  accept\n"
    "    invalid drop          # packets conntrack marks invalid\n"
    "}\n"
    "\n"
    "timeouts {                # optional; netfilter's defaults otherwise\n"
    "    tcp established 1d\n"
    "    tcp syn_sent 30s\n"
    "    udp 30s\n"
    "    udp stream 180s\n"
    "    icmp 30s\n"
    "}\n"
    "\n"
    "# Established and related traffic is accepted before any rule; rules decide new "
    "connections.\n"
    "input   accept in lan\n"
    "input   accept proto tcp dport 22 from @admins\n"
    "input   accept proto icmp\n"
    "input   accept proto icmpv6\n"
    "forward drop   from @blocked log\n"
    "forward reject in lan proto tcp dport 25          # SMTP out: refuse with a TCP reset\n"
    "forward accept in lan out wan\n"
    "forward accept proto tcp dport 80 to 10.10.1.2 comment \"web server behind the port "
    "forward\"\n"
    "\n"
    "nat masquerade out wan from 10.10.1.0/24\n"
    "nat snat out wan from 10.20.0.0/16 -> 198.51.100.10-198.51.100.20:20000-60000\n"
    "nat dnat in wan proto tcp dport 8080 -> 10.10.1.2:80\n";

#endif
