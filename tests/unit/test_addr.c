// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_addr.c - the ABI address form: IPv4 stored mapped, IPv6 as is, text both ways,
 * 16-byte prefix lengths, prefix tests and masking, and rejection of bad input.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "addr.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Parse s, which must succeed with prefix length want_plen and print back as want_text. */
static void expect_parse(const char *s, unsigned int want_plen, const char *want_text, bool want_v4)
{
	__u32 a[4];
	unsigned int plen = 999;
	char buf[ADDR_STRLEN];

	if (addr_parse(s, a, &plen) != 0)
		fail_msg("addr_parse('%s') failed, expected success", s);
	if (plen != want_plen)
		fail_msg("addr_parse('%s'): prefix length %u, expected %u", s, plen, want_plen);
	if (strcmp(addr_format(a, buf), want_text) != 0)
		fail_msg("addr_parse('%s') then addr_format: '%s', expected '%s'", s, buf,
		         want_text);
	if (addr_is_v4(a) != want_v4)
		fail_msg("addr_is_v4('%s') = %d, expected %d", s, addr_is_v4(a), want_v4);
}

static void test_parse_v4(void **state)
{
	(void)state;
	expect_parse("192.0.2.1", 128, "192.0.2.1", true);
	expect_parse("0.0.0.0", 128, "0.0.0.0", true);
	expect_parse("255.255.255.255", 128, "255.255.255.255", true);
	expect_parse("10.0.0.0/8", 104, "10.0.0.0", true);
	expect_parse("198.51.100.0/24", 120, "198.51.100.0", true);
	expect_parse("0.0.0.0/0", 96, "0.0.0.0", true);
	expect_parse("203.0.113.7/32", 128, "203.0.113.7", true);
}

static void test_parse_v6(void **state)
{
	(void)state;
	expect_parse("2001:db8::1", 128, "2001:db8::1", false);
	expect_parse("2001:DB8:0:0:0:0:0:1", 128, "2001:db8::1", false);
	expect_parse("::", 128, "::", false);
	expect_parse("2001:db8::/32", 32, "2001:db8::", false);
	expect_parse("2001:db8:1::/48", 48, "2001:db8:1::", false);
	expect_parse("::/0", 0, "::", false);
	expect_parse("fe80::1/128", 128, "fe80::1", false);
}

/* An IPv4-mapped IPv6 literal is the same address as the dotted form. */
static void test_parse_mapped(void **state)
{
	__u32 a[4], b[4];
	unsigned int pa, pb;

	(void)state;
	expect_parse("::ffff:192.0.2.1", 128, "192.0.2.1", true);
	expect_parse("::ffff:192.0.2.0/120", 120, "192.0.2.0", true);
	assert_int_equal(addr_parse("::ffff:192.0.2.1", a, &pa), 0);
	assert_int_equal(addr_parse("192.0.2.1", b, &pb), 0);
	if (memcmp(a, b, 16) != 0)
		fail_msg("::ffff:192.0.2.1 and 192.0.2.1 should be the same 16 bytes");
	/* ::192.0.2.1 (IPv4-compatible, deprecated) is not mapped: stays IPv6. */
	expect_parse("::c000:201", 128, "::192.0.2.1", false);
}

static void test_parse_bad(void **state)
{
	static const char *const bad[] = {
	    "",
	    "/",
	    "/24",
	    "192.0.2",
	    "192.0.2.256",
	    "192.0.2.1/33",
	    "192.0.2.1/",
	    "192.0.2.1/-1",
	    "192.0.2.1/ 8",
	    "192.0.2.1/8x",
	    "192.0.2.1/0x8",
	    "2001:db8::/129",
	    "2001:db8:::1",
	    "2001:db8::g",
	    "host.example",
	    "1.2.3.4 ",
	    " 1.2.3.4",
	    "192.0.2.1/1000",
	    "10.0.0.0/8/8",
	    "::ffff:1.2.3.4/129",
	};
	__u32 a[4];
	unsigned int plen;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (addr_parse(bad[i], a, &plen) != -EINVAL)
			fail_msg("addr_parse('%s') accepted bad input (plen %u)", bad[i], plen);
	if (addr_parse(NULL, a, &plen) != -EINVAL)
		fail_msg("addr_parse(NULL) should fail");
}

static void test_from_v4_v6(void **state)
{
	__u32 a[4];
	struct in6_addr v6;
	char buf[ADDR_STRLEN];

	(void)state;
	addr_from_v4(a, htonl(0xc0000201)); /* 192.0.2.1 */
	assert_true(addr_is_v4(a));
	assert_string_equal(addr_format(a, buf), "192.0.2.1");
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::42", &v6), 1);
	addr_from_v6(a, &v6);
	assert_false(addr_is_v4(a));
	assert_string_equal(addr_format(a, buf), "2001:db8::42");
}

struct prefix_case {
	const char *addr, *prefix;
	bool inside;
};

static void test_in_prefix(void **state)
{
	static const struct prefix_case cases[] = {
	    {"10.1.2.3", "10.0.0.0/8", true},
	    {"11.1.2.3", "10.0.0.0/8", false},
	    {"192.0.2.200", "192.0.2.128/25", true},
	    {"192.0.2.127", "192.0.2.128/25", false},
	    {"192.0.2.1", "192.0.2.1", true},
	    {"192.0.2.2", "192.0.2.1", false},
	    {"203.0.113.9", "0.0.0.0/0", true},
	    {"2001:db8::1", "0.0.0.0/0", false}, /* IPv4 /0 is only the mapped range */
	    {"2001:db8:1:2::3", "2001:db8:1::/48", true},
	    {"2001:db8:2::3", "2001:db8:1::/48", false},
	    {"2001:db8::1", "::/0", true},
	    {"192.0.2.1", "::/0", true},
	    {"2001:db8:0:1::1", "2001:db8::/63", true},
	    {"2001:db8:0:2::1", "2001:db8::/63", false},
	    {"10.0.0.1", "10.0.0.7/29", true}, /* host bits of the prefix are ignored */
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		__u32 a[4], p[4];
		unsigned int alen, plen;

		assert_int_equal(addr_parse(cases[i].addr, a, &alen), 0);
		assert_int_equal(addr_parse(cases[i].prefix, p, &plen), 0);
		if (addr_in_prefix(a, p, plen) != cases[i].inside)
			fail_msg("addr_in_prefix(%s, %s) = %d, expected %d", cases[i].addr,
			         cases[i].prefix, !cases[i].inside, cases[i].inside);
	}
}

static void test_mask(void **state)
{
	static const struct {
		const char *in;
		const char *out;
	} cases[] = {
	    {"10.1.2.3/8", "10.0.0.0"},
	    {"192.0.2.255/25", "192.0.2.128"},
	    {"192.0.2.77/32", "192.0.2.77"},
	    {"192.0.2.77/0", "0.0.0.0"}, /* /96 in 16-byte terms keeps the ::ffff: part */
	    {"2001:db8:abcd:1234::1/48", "2001:db8:abcd::"},
	    {"2001:db8:abcd:1234::1/52", "2001:db8:abcd:1000::"},
	    {"2001:db8::1/0", "::"},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		__u32 a[4];
		unsigned int plen;
		char buf[ADDR_STRLEN];

		assert_int_equal(addr_parse(cases[i].in, a, &plen), 0);
		addr_mask(a, plen);
		if (strcmp(addr_format(a, buf), cases[i].out) != 0)
			fail_msg("addr_mask(%s) = %s, expected %s", cases[i].in, buf, cases[i].out);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_v4),     cmocka_unit_test(test_parse_v6),
	    cmocka_unit_test(test_parse_mapped), cmocka_unit_test(test_parse_bad),
	    cmocka_unit_test(test_from_v4_v6),   cmocka_unit_test(test_in_prefix),
	    cmocka_unit_test(test_mask),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
