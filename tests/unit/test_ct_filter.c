// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_ct_filter.c - each filter word against connections that must and must not match, and
 * every error message word for word (they are what the operator sees).
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "addr.h"
#include "ct_filter.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_WORDS     16

/* A connection: orig tuple plus the entry (with its reply tuple). */
struct conn {
	const char *name;
	struct tcfw_tuple orig;
	struct tcfw_ct_entry e;
};

static void set_tuple(struct tcfw_tuple *t, uint8_t proto, const char *src, uint16_t sport,
                      const char *dst, uint16_t dport)
{
	unsigned int plen;

	memset(t, 0, sizeof(*t));
	if (addr_parse(src, t->src, &plen) || addr_parse(dst, t->dst, &plen))
		fail_msg("test setup: bad address %s or %s", src, dst);
	t->family = addr_is_v4(t->src) ? TCFW_AF_INET : TCFW_AF_INET6;
	t->proto = proto;
	t->sport = htons(sport);
	t->dport = htons(dport);
}

/* A connection src:sport -> dst:dport, replied by rsrc:rsport -> rdst:rdport (NAT if differs). */
static struct conn make_conn(const char *name, uint8_t proto, uint8_t state, const char *src,
                             uint16_t sport, const char *dst, uint16_t dport, const char *rsrc,
                             uint16_t rsport, const char *rdst, uint16_t rdport)
{
	struct conn c;

	memset(&c, 0, sizeof(c));
	c.name = name;
	set_tuple(&c.orig, proto, src, sport, dst, dport);
	set_tuple(&c.e.reply, proto, rsrc, rsport, rdst, rdport);
	c.e.state = state;
	return c;
}

static struct conn conns[5];

static int setup(void **state)
{
	(void)state;
	/* LAN client to a web server, SNATed to 198.51.100.10:20001 on the way out. */
	conns[0] = make_conn("tcp-snat", 6, TCFW_CT_TCP_ESTABLISHED, "10.0.0.2", 40000, "192.0.2.1",
	                     80, "192.0.2.1", 80, "198.51.100.10", 20001);
	conns[1] = make_conn("udp-dns", 17, TCFW_CT_UDP_UNREPLIED, "10.0.0.3", 5353, "203.0.113.53",
	                     53, "203.0.113.53", 53, "10.0.0.3", 5353);
	/* Echo request id 7: orig (7, 0), reply (0, 7). */
	conns[2] = make_conn("icmp-echo", 1, TCFW_CT_ICMP_UNREPLIED, "10.0.0.2", 7, "192.0.2.9", 0,
	                     "192.0.2.9", 0, "10.0.0.2", 7);
	conns[3] = make_conn("tcp6", 6, TCFW_CT_TCP_TIME_WAIT, "2001:db8:1::2", 50000,
	                     "2001:db8:2::80", 443, "2001:db8:2::80", 443, "2001:db8:1::2", 50000);
	conns[4] = make_conn("udp6-assured", 17, TCFW_CT_UDP_ASSURED, "2001:db8:1::3", 123,
	                     "2001:db8:2::123", 123, "2001:db8:2::123", 123, "2001:db8:1::3", 123);
	return 0;
}

/* Split a filter written as one string into words (no quoting needed in these tests). */
static int split(char *line, char **argv)
{
	int argc = 0;

	for (char *tok = strtok(line, " "); tok && argc < MAX_WORDS; tok = strtok(NULL, " "))
		argv[argc++] = tok;
	return argc;
}

/* The filter must parse, and select exactly the connections named in want (space separated). */
static void expect_matches(const char *filter, const char *want)
{
	char line[256], err[256] = "";
	char *argv[MAX_WORDS];
	struct ct_filter f;
	char got[256] = "";

	snprintf(line, sizeof(line), "%s", filter);
	if (ct_filter_parse(split(line, argv), argv, &f, err, sizeof(err)) != 0)
		fail_msg("filter '%s' failed to parse: %s", filter, err);
	for (size_t i = 0; i < ARRAY_SIZE(conns); i++) {
		if (!ct_filter_match(&f, &conns[i].orig, &conns[i].e))
			continue;
		if (*got)
			strcat(got, " ");
		strcat(got, conns[i].name);
	}
	if (strcmp(got, want) != 0)
		fail_msg("filter '%s' matched [%s], expected [%s]", filter, got, want);
}

static void test_empty_matches_all(void **state)
{
	(void)state;
	expect_matches("", "tcp-snat udp-dns icmp-echo tcp6 udp6-assured");
}

static void test_proto(void **state)
{
	(void)state;
	expect_matches("proto tcp", "tcp-snat tcp6");
	expect_matches("proto UDP", "udp-dns udp6-assured");
	expect_matches("proto icmp", "icmp-echo");
	expect_matches("proto 17", "udp-dns udp6-assured");
	expect_matches("proto 47", "");
}

static void test_src_dst(void **state)
{
	(void)state;
	expect_matches("src 10.0.0.2", "tcp-snat icmp-echo");
	expect_matches("src 10.0.0.0/24", "tcp-snat udp-dns icmp-echo");
	expect_matches("dst 192.0.2.0/24", "tcp-snat icmp-echo");
	expect_matches("src 2001:db8:1::/48", "tcp6 udp6-assured");
	expect_matches("dst 2001:db8:2::80", "tcp6");
	/* src/dst are the original direction: the SNAT address is only on the reply side. */
	expect_matches("dst 198.51.100.10", "");
	expect_matches("src 10.0.0.2 dst 192.0.2.1", "tcp-snat");
}

static void test_addr_any_side(void **state)
{
	(void)state;
	expect_matches("addr 198.51.100.10", "tcp-snat");
	expect_matches("addr 192.0.2.1", "tcp-snat");
	expect_matches("addr 10.0.0.3", "udp-dns");
	expect_matches("addr 2001:db8::/32", "tcp6 udp6-assured");
}

static void test_ports(void **state)
{
	(void)state;
	expect_matches("sport 40000", "tcp-snat");
	expect_matches("dport 53", "udp-dns");
	expect_matches("dport 443", "tcp6");
	expect_matches("port 20001", "tcp-snat"); /* the translated port, reply side */
	expect_matches("port 123", "udp6-assured");
	/* The ICMP echo id lives where ports would be, but is not a port. */
	expect_matches("sport 7", "");
	expect_matches("port 7", "");
	expect_matches("port 0", "");
	expect_matches("sport 40000 dport 80", "tcp-snat");
	expect_matches("sport 40000 dport 81", "");
}

static void test_state(void **state)
{
	(void)state;
	expect_matches("state established", "tcp-snat");
	expect_matches("state ESTABLISHED", "tcp-snat");
	expect_matches("state time_wait", "tcp6");
	expect_matches("state unreplied", "udp-dns icmp-echo");
	expect_matches("state udp_unreplied", "udp-dns");
	expect_matches("state icmp_unreplied", "icmp-echo");
	expect_matches("state assured", "udp6-assured");
	expect_matches("state established,time_wait", "tcp-snat tcp6");
	expect_matches("state syn_sent", "");
}

static void test_family(void **state)
{
	(void)state;
	expect_matches("family ip", "tcp-snat udp-dns icmp-echo");
	expect_matches("family ip6", "tcp6 udp6-assured");
	expect_matches("family ip6 proto udp", "udp6-assured");
}

/* A filter that must be refused with exactly this message. */
static void expect_error(const char *filter, const char *want)
{
	char line[256], err[512] = "";
	char *argv[MAX_WORDS];
	struct ct_filter f;

	snprintf(line, sizeof(line), "%s", filter);
	if (ct_filter_parse(split(line, argv), argv, &f, err, sizeof(err)) == 0)
		fail_msg("filter '%s' was accepted, expected error: %s", filter, want);
	if (strcmp(err, want) != 0)
		fail_msg("filter '%s':\n  got      \"%s\"\n  expected \"%s\"", filter, err, want);
}

static void test_errors(void **state)
{
	(void)state;
	expect_error("prto tcp", "unknown filter word 'prto' (did you mean 'proto'?)");
	expect_error("dprot 80", "unknown filter word 'dprot' (did you mean 'dport'?)");
	expect_error("banana 1", "unknown filter word 'banana' (filter words: proto, src, dst, "
	                         "addr, sport, dport, port, state, family)");
	expect_error("proto", "'proto' needs a value: tcp, udp, icmp, icmpv6 or a protocol number "
	                      "0-255");
	expect_error("proto tcp src", "'src' needs a value: an IPv4 or IPv6 address, optionally "
	                              "with /LEN");
	expect_error("dport", "'dport' needs a value: a port number 0-65535");
	expect_error("state", "'state' needs a value: a state such as established, time_wait or "
	                      "unreplied; `fwctl ct --help` lists them all");
	expect_error("family", "'family' needs a value: ip or ip6");
	expect_error("proto tpc", "unknown protocol 'tpc' (did you mean 'tcp'?)");
	expect_error("proto gre", "unknown protocol 'gre' (expected tcp, udp, icmp, icmpv6 or a "
	                          "protocol number 0-255)");
	expect_error("proto 256", "unknown protocol '256' (expected tcp, udp, icmp, icmpv6 or a "
	                          "protocol number 0-255)");
	expect_error("src 10.0.0.256", "bad address '10.0.0.256' for 'src' (expected an IPv4 or "
	                               "IPv6 address, optionally with /LEN)");
	expect_error("dst 10.0.0.0/33", "bad address '10.0.0.0/33' for 'dst' (expected an IPv4 or "
	                                "IPv6 address, optionally with /LEN)");
	expect_error("addr host", "bad address 'host' for 'addr' (expected an IPv4 or IPv6 "
	                          "address, optionally with /LEN)");
	expect_error("sport 65536",
	             "bad port '65536' for 'sport' (expected a port number 0-65535)");
	expect_error("dport http", "bad port 'http' for 'dport' (expected a port number 0-65535)");
	expect_error("port -1", "bad port '-1' for 'port' (expected a port number 0-65535)");
	expect_error("port 123456",
	             "bad port '123456' for 'port' (expected a port number 0-65535)");
	expect_error("state establshed",
	             "unknown state 'establshed' (did you mean 'established'?)");
	expect_error("state unreplid", "unknown state 'unreplid' (did you mean 'unreplied'?)");
	expect_error("state established,bogus",
	             "unknown state 'bogus' (expected a state such as established, time_wait or "
	             "unreplied; `fwctl ct --help` lists them all)");
	expect_error("family ipv6", "unknown family 'ipv6' (did you mean 'ip6'?)");
	expect_error("family inet6x", "unknown family 'inet6x' (expected ip or ip6)");
	expect_error("src 10.0.0.1 src 10.0.0.2",
	             "'src' given twice (each filter word may appear once; all must hold)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_empty_matches_all),
	    cmocka_unit_test(test_proto),
	    cmocka_unit_test(test_src_dst),
	    cmocka_unit_test(test_addr_any_side),
	    cmocka_unit_test(test_ports),
	    cmocka_unit_test(test_state),
	    cmocka_unit_test(test_family),
	    cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
