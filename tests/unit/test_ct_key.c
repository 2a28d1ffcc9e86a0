// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_ct_key.c - tcfw_ct_key(), the key of map ct (bpf/tcfw_abi.h, shared with the datapath):
 * a tuple and its reverse give one key, the lower endpoint first; the result says which side
 * the tuple was; tcfw_ct_orig() gives the tuple back from the key; endpoints equal in address
 * are ordered by port; a tuple with both endpoints equal is its own key; ICMP echo request and
 * reply share one key. Checked on fixed cases and on many pseudo-random tuples.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "tcfw_abi.h"

static void v4(__u32 a[4], const char *text)
{
	memset(a, 0, 16);
	a[2] = htonl(0xffff);
	assert_int_equal(inet_pton(AF_INET, text, &a[3]), 1);
}

static struct tcfw_tuple tuple4(const char *src, uint16_t sport, const char *dst, uint16_t dport,
                                __u8 proto)
{
	struct tcfw_tuple t;

	memset(&t, 0, sizeof(t));
	v4(t.src, src);
	v4(t.dst, dst);
	t.sport = htons(sport);
	t.dport = htons(dport);
	t.proto = proto;
	t.family = TCFW_AF_INET;
	return t;
}

static struct tcfw_tuple reverse(const struct tcfw_tuple *t)
{
	struct tcfw_tuple r = *t;

	memcpy(r.src, t->dst, 16);
	memcpy(r.dst, t->src, 16);
	r.sport = t->dport;
	r.dport = t->sport;
	return r;
}

/* The order tcfw_ct_key() promises: address words as stored, then ports as stored. */
static int endpoint_cmp(const __u32 a[4], __u16 ap, const __u32 b[4], __u16 bp)
{
	for (int i = 0; i < 4; i++)
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	return ap < bp ? -1 : ap > bp ? 1 : 0;
}

/* Everything the key must satisfy for t. */
static void check_key(const struct tcfw_tuple *t, const char *what)
{
	struct tcfw_tuple k, kr, r = reverse(t), back;
	struct tcfw_ct_entry e;
	int swapped = tcfw_ct_key(&k, t), swapped_r = tcfw_ct_key(&kr, &r);
	int cmp = endpoint_cmp(t->src, t->sport, t->dst, t->dport);

	if (memcmp(&k, &kr, sizeof(k)))
		fail_msg("%s: a tuple and its reverse have different keys", what);
	if (endpoint_cmp(k.src, k.sport, k.dst, k.dport) > 0)
		fail_msg("%s: the key's first endpoint is the higher", what);
	if (swapped != (cmp > 0))
		fail_msg("%s: swapped %d, expected %d", what, swapped, cmp > 0);
	if (cmp != 0 && swapped == swapped_r)
		fail_msg("%s: a tuple and its reverse both say swapped %d", what, swapped);
	if (k.proto != t->proto || k.family != t->family || k.pad[0] || k.pad[1])
		fail_msg("%s: protocol, family or padding not as the tuple's", what);
	memset(&e, 0, sizeof(e));
	e.orig_swapped = (__u8)swapped;
	tcfw_ct_orig(&back, &k, &e);
	if (memcmp(&back, t, sizeof(back)))
		fail_msg("%s: tcfw_ct_orig() does not give the tuple back", what);
	e.orig_swapped = (__u8)swapped_r;
	tcfw_ct_orig(&back, &k, &e);
	if (memcmp(&back, &r, sizeof(back)))
		fail_msg("%s: tcfw_ct_orig() does not give the reverse back", what);
}

static void test_lower_endpoint_first(void **state)
{
	struct tcfw_tuple lo = tuple4("192.0.2.10", 40000, "198.51.100.20", 80, 6);
	struct tcfw_tuple hi = reverse(&lo);
	struct tcfw_tuple k;

	(void)state;
	check_key(&lo, "192.0.2.10 -> 198.51.100.20");
	check_key(&hi, "198.51.100.20 -> 192.0.2.10");
	tcfw_ct_key(&k, &hi);
	/* The lower address as stored (the last word compares as a little-endian integer on
	 * this machine, but any fixed order is a valid normalization). */
	assert_memory_equal(&k, endpoint_cmp(lo.src, lo.sport, lo.dst, lo.dport) < 0 ? &lo : &hi,
	                    sizeof(k));
}

static void test_equal_addresses_ordered_by_port(void **state)
{
	struct tcfw_tuple t = tuple4("192.0.2.12", 6000, "192.0.2.12", 53, 17), k;
	struct tcfw_tuple r = reverse(&t);
	int a, b;

	(void)state;
	check_key(&t, "same address, ports 6000 -> 53");
	a = tcfw_ct_key(&k, &t);
	b = tcfw_ct_key(&k, &r);
	assert_int_not_equal(a, b);
	assert_int_equal(a, t.sport > t.dport);
}

static void test_both_endpoints_equal(void **state)
{
	struct tcfw_tuple t = tuple4("192.0.2.12", 53, "192.0.2.12", 53, 17), k;

	(void)state;
	assert_int_equal(tcfw_ct_key(&k, &t), 0);
	assert_memory_equal(&k, &t, sizeof(k));
	check_key(&t, "both endpoints equal");
}

static void test_icmp_echo_request_and_reply(void **state)
{
	/* A request is (src, dst, id, 0), its reply (dst, src, 0, id): the reverse. */
	struct tcfw_tuple req = tuple4("192.0.2.10", 0, "198.51.100.20", 0, 1);
	struct tcfw_tuple rep = tuple4("198.51.100.20", 0, "192.0.2.10", 0, 1);
	struct tcfw_tuple k1, k2;

	(void)state;
	req.sport = htons(777);
	rep.dport = htons(777);
	tcfw_ct_key(&k1, &req);
	tcfw_ct_key(&k2, &rep);
	assert_memory_equal(&k1, &k2, sizeof(k1));
	check_key(&req, "echo request");
}

static void test_random_tuples(void **state)
{
	uint64_t s = 0x9e3779b97f4a7c15ULL;

	(void)state;
	for (int n = 0; n < 100000; n++) {
		struct tcfw_tuple t;
		char what[64];

		memset(&t, 0, sizeof(t));
		for (int i = 0; i < 4; i++) {
			s = s * 6364136223846793005ULL + 1442695040888963407ULL;
			/* Few distinct values, so that equal words and equal addresses are common.
			 */
			t.src[i] = (__u32)(s >> 40) & 3;
			t.dst[i] = (__u32)(s >> 20) & 3;
		}
		t.sport = (__u16)((s >> 8) & 7);
		t.dport = (__u16)((s >> 12) & 7);
		t.proto = (s >> 30) & 1 ? 6 : 17;
		t.family = (s >> 31) & 1 ? TCFW_AF_INET6 : TCFW_AF_INET;
		snprintf(what, sizeof(what), "random tuple %d", n);
		check_key(&t, what);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lower_endpoint_first),
	    cmocka_unit_test(test_equal_addresses_ordered_by_port),
	    cmocka_unit_test(test_both_endpoints_equal),
	    cmocka_unit_test(test_icmp_echo_request_and_reply),
	    cmocka_unit_test(test_random_tuples),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
