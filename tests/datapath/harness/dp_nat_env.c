// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * dp_nat_env.c - the NAT cases' ground (see dp_nat.h): a datapath loaded with egress deriving
 * its NAT work, a policy compiled by the policy library and written by lib/policy_maps.c (as
 * fwd does), packets run with their output read back and compared byte for byte, and
 * checksums verified independently of the code under test.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "policy.h"
#include "policy_maps.h"
#include "tcfw.skel.h"

#include "dp_env.h"
#include "dp_nat.h"

/* ---- setup ---------------------------------------------------------------------------------- */
static int reload_deriving(struct dp *t)
{
	int err;

	dp_env_unload(t);
	t->skel = tcfw__open();
	if (!t->skel) {
		dp_fail(t, "setup", "cannot open the skeleton: %s", strerror(errno));
		return -1;
	}
	/* bpf_prog_test_run cannot set skb->tc_index: egress finds its work by lookups. */
	t->skel->rodata->nat_egress_ignore_hint = 1;
	bpf_map__set_max_entries(t->skel->maps.ct, 4096);
	err = tcfw__load(t->skel);
	if (err) {
		dp_fail(t, "setup",
		        "cannot load the datapath: %s (DP_VERBOSE=1 shows the verifier log)",
		        strerror(-err));
		tcfw__destroy(t->skel);
		t->skel = NULL;
		return -1;
	}
	return 0;
}

static void addr4_of(__u32 *be, const char *text)
{
	if (inet_pton(AF_INET, text, be) != 1) {
		fprintf(stderr, "dp_nat: bad IPv4 address '%s' in a test\n", text);
		abort();
	}
}

/* Map ifaces for ifindex: zone in both copies and the masquerade address (fwd's job). */
static int set_iface(struct dp *t, int ifindex, int zone, const char *masq)
{
	struct tcfw_iface ifc = {0};
	__u32 key = (__u32)ifindex;

	ifc.zone[0] = ifc.zone[1] = zone >= 0 ? (__u8)zone : TCFW_ZONE_NONE;
	addr4_of(&ifc.masq_addr4, masq);
	if (bpf_map_update_elem(bpf_map__fd(t->skel->maps.ifaces), &key, &ifc, BPF_ANY)) {
		dp_fail(t, "setup", "cannot write map ifaces: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int install_policy(struct dp *t, const char *text, struct policy **out)
{
	struct policy_diags diags = {0};
	struct policy_map_fds fds;
	struct policy_image img;
	struct policy *p;
	char err[256];
	int ret = -1;

	p = policy_parse("test.policy", text, strlen(text), &diags);
	if (!p) {
		char *msg = policy_diags_str(&diags);

		dp_fail(t, "setup", "the test's policy does not parse: %s", msg ? msg : "?");
		free(msg);
		policy_diags_free(&diags);
		return -1;
	}
	if (policy_compile(p, 0, &img, &diags)) {
		char *msg = policy_diags_str(&diags);

		dp_fail(t, "setup", "the test's policy does not compile: %s", msg ? msg : "?");
		free(msg);
		policy_diags_free(&diags);
		policy_free(p);
		return -1;
	}
	if (policy_map_fds_from_object(t->skel->obj, &fds, err, sizeof(err)) ||
	    policy_maps_write(&fds, &img, err, sizeof(err)))
		dp_fail(t, "setup", "%s", err);
	else
		ret = 0;
	policy_image_free(&img);
	policy_diags_free(&diags);
	if (ret)
		policy_free(p);
	else
		*out = p;
	return ret;
}

int dpn_setup(struct dp *t, const char *policy_text)
{
	struct policy *p = NULL;
	int ret = -1;

	if (reload_deriving(t) || install_policy(t, policy_text, &p))
		return -1;
	dp_set_config(t, 0, 0);
	if (!set_iface(t, t->ifindex_lan, policy_zone_of_ifname(p, "lan0"), LAN_GW) &&
	    !set_iface(t, t->ifindex_wan, policy_zone_of_ifname(p, "wan0"), PUBLIC_IP)) {
		dp_add_local_addr(t, LAN_GW, t->ifindex_lan);
		dp_add_local_addr(t, PUBLIC_IP, t->ifindex_wan);
		ret = t->failures ? -1 : 0;
	}
	policy_free(p);
	return ret;
}

/* ---- running packets --------------------------------------------------------------------------
 */
int dpn_run(struct dp *t, const char *step, enum dp_hook hook, const struct pkt *in,
            struct pkt *out)
{
	int verdict = dp_run_out(t, step, hook, in, out, NULL);

	/* Laid out like the input: the comparisons name fields by these offsets. */
	out->family = in->family;
	out->l3 = in->l3;
	out->l4 = in->l4;
	out->l4_proto = in->l4_proto;
	return verdict;
}

/* The name of the field at byte off of a packet laid out like p (for messages). */
static const char *field_name(const struct pkt *p, size_t off, char *buf, size_t len)
{
	static const char *const ip4[20] = {
	    "IPv4 version/IHL", "IPv4 TOS",         "IPv4 total length", "IPv4 total length",
	    "IPv4 id",          "IPv4 id",          "IPv4 flags/offset", "IPv4 flags/offset",
	    "IPv4 TTL",         "IPv4 protocol",    "IPv4 checksum",     "IPv4 checksum",
	    "IPv4 source",      "IPv4 source",      "IPv4 source",       "IPv4 source",
	    "IPv4 destination", "IPv4 destination", "IPv4 destination",  "IPv4 destination"};
	size_t rel;

	if (off < p->l3)
		return "Ethernet header";
	rel = off - p->l3;
	if (p->family == 4 && rel < 20)
		return ip4[rel];
	if (!p->l4 || off < p->l4) {
		snprintf(buf, len, "IP byte %zu", rel);
		return buf;
	}
	rel = off - p->l4;
	switch (p->l4_proto) {
	case IPPROTO_TCP:
		if (rel < 4)
			return rel < 2 ? "TCP source port" : "TCP destination port";
		if (rel == 16 || rel == 17)
			return "TCP checksum";
		break;
	case IPPROTO_UDP:
		if (rel < 8) {
			static const char *const u[4] = {"UDP source port", "UDP destination port",
			                                 "UDP length", "UDP checksum"};
			return u[rel / 2];
		}
		break;
	case IPPROTO_ICMP:
		if (rel < 8) {
			static const char *const ic[8] = {
			    "ICMP type", "ICMP code", "ICMP checksum", "ICMP checksum",
			    "ICMP id",   "ICMP id",   "ICMP seq",      "ICMP seq"};
			return ic[rel];
		}
		if (rel >= 8 && rel < 28) {
			snprintf(buf, len, "the quoted IPv4 header, byte %zu (%s)", rel - 8,
			         ip4[rel - 8]);
			return buf;
		}
		snprintf(buf, len, "the quoted transport header, byte %zu", rel - 28);
		return buf;
	default:
		break;
	}
	snprintf(buf, len, "transport byte %zu", rel);
	return buf;
}

void dpn_expect_bytes(struct dp *t, const char *step, const struct pkt *got, const struct pkt *want)
{
	size_t n = got->len < want->len ? got->len : want->len, diff = 0, first = 0;
	char buf[96];

	if (got->len != want->len)
		dp_fail(t, step, "packet length: expected %zu bytes, got %zu", want->len, got->len);
	for (size_t i = 0; i < n; i++)
		if (got->b[i] != want->b[i] && !diff++)
			first = i;
	if (!diff)
		return;
	dp_fail(t, step,
	        "%zu bytes differ, the first at offset %zu (%s): expected 0x%02x, got 0x%02x "
	        "(DP_VERBOSE=1 dumps both packets)",
	        diff, first, field_name(want, first, buf, sizeof(buf)), want->b[first],
	        got->b[first]);
	if (getenv("DP_VERBOSE")) {
		fprintf(stderr, "  expected:");
		for (size_t i = 0; i < want->len; i++)
			fprintf(stderr, "%s%02x", i % 16 ? " " : "\n    ", want->b[i]);
		fprintf(stderr, "\n  got:");
		for (size_t i = 0; i < got->len; i++)
			fprintf(stderr, "%s%02x", i % 16 ? " " : "\n    ", got->b[i]);
		fputc('\n', stderr);
	}
}

/* ---- checksums, computed here ---------------------------------------------------------------- */
void dpn_check_csums(struct dp *t, const char *step, const struct pkt *p)
{
	const uint8_t *ip = p->b + p->l3;
	size_t hlen, tot;
	uint16_t frag;

	if (p->family != 4 || p->len < p->l3 + 20)
		return;
	hlen = (size_t)(ip[0] & 0xf) * 4;
	tot = (size_t)(ip[2] << 8 | ip[3]);
	if (dp_csum_fold(dp_csum_add(0, ip, hlen)) != 0)
		dp_fail(t, step, "IPv4 header checksum of the output does not verify");
	frag = (uint16_t)(ip[6] << 8 | ip[7]);
	if ((frag & 0x3fff) || p->l3 + tot > p->len)
		return; /* a fragment: the transport checksum covers the whole datagram */
	{
		const uint8_t *l4 = ip + hlen;
		size_t l4len = tot - hlen;
		uint8_t proto = ip[9];
		uint32_t sum = 0;

		if (proto == IPPROTO_UDP && l4len >= 8 && l4[6] == 0 && l4[7] == 0)
			return; /* UDP without checksum */
		if (proto != IPPROTO_TCP && proto != IPPROTO_UDP && proto != IPPROTO_ICMP)
			return;
		if (proto != IPPROTO_ICMP) {
			sum = dp_csum_add(sum, ip + 12, 8);
			sum += proto;
			sum += (uint32_t)l4len;
		}
		if (dp_csum_fold(dp_csum_add(sum, l4, l4len)) != 0)
			dp_fail(t, step, "%s checksum of the output does not verify",
			        proto == IPPROTO_TCP   ? "TCP"
			        : proto == IPPROTO_UDP ? "UDP"
			                               : "ICMP");
		if (proto == IPPROTO_ICMP && l4len >= 28 && (l4[0] == 3 || l4[0] == 11)) {
			const uint8_t *q = l4 + 8;
			size_t qh = (size_t)(q[0] & 0xf) * 4;

			if (qh >= 20 && 8 + qh <= l4len && dp_csum_fold(dp_csum_add(0, q, qh)) != 0)
				dp_fail(
				    t, step,
				    "the quoted IPv4 header's checksum in the ICMP error does not "
				    "verify");
		}
	}
}

void dpn_expect(struct dp *t, const char *step, enum dp_hook hook, const struct pkt *in,
                int want_action, const struct pkt *want)
{
	struct pkt out;
	int got = dpn_run(t, step, hook, in, &out);

	if (got < 0)
		return;
	if (got != want_action) {
		dp_fail(t, step, "verdict: expected %s, got %d",
		        want_action == TC_OK ? "TC_ACT_OK" : "TC_ACT_SHOT", got);
		return;
	}
	if (got != TC_OK)
		return;
	dpn_expect_bytes(t, step, &out, want ? want : in);
	dpn_check_csums(t, step, &out);
}

/* ---- connections ------------------------------------------------------------------------------
 */
bool dpn_conn(struct dp *t, const char *step, const struct flow *f, struct tcfw_ct_entry *e)
{
	if (dp_conn(t, f, e))
		return true;
	dp_fail(t, step, "connection %s:%u -> %s:%u: expected in map ct, not there", f->src,
	        f->sport, f->dst, f->dport);
	memset(e, 0, sizeof(*e));
	return false;
}

uint16_t dpn_snat_port(const struct tcfw_ct_entry *e)
{
	return ntohs(e->reply.dport);
}

struct flow dpn_flow_src(const struct flow *f, const char *src, uint16_t sport)
{
	struct flow g = *f;

	g.src = src;
	g.sport = sport;
	return g;
}

struct flow dpn_flow_dst(const struct flow *f, const char *dst, uint16_t dport)
{
	struct flow g = *f;

	g.dst = dst;
	g.dport = dport;
	return g;
}

/* ---- fragments --------------------------------------------------------------------------------
 */
void dpn_udp_fragments(const struct flow *f, int dir, size_t payload_len, uint16_t ip_id,
                       size_t frag_payload, bool zero_csum, struct pkt *out, size_t max, size_t *n)
{
	bool orig = dir == TCFW_DIR_ORIG;
	const char *src = orig ? f->src : f->dst, *dst = orig ? f->dst : f->src;
	uint16_t sport = orig ? f->sport : f->dport, dport = orig ? f->dport : f->sport;
	size_t total = 8 + payload_len;
	uint8_t *dgram = malloc(total);
	uint8_t a[4], b[4];
	uint32_t sum = 0;

	if (!dgram || frag_payload % 8 || !frag_payload) {
		fprintf(stderr, "dp_nat: bad fragment request in a test\n");
		abort();
	}
	/* The UDP datagram, its checksum over all of it (pseudo-header included). */
	dgram[0] = (uint8_t)(sport >> 8);
	dgram[1] = (uint8_t)sport;
	dgram[2] = (uint8_t)(dport >> 8);
	dgram[3] = (uint8_t)dport;
	dgram[4] = (uint8_t)(total >> 8);
	dgram[5] = (uint8_t)total;
	dgram[6] = dgram[7] = 0;
	for (size_t i = 0; i < payload_len; i++)
		dgram[8 + i] = (uint8_t)('a' + i % 26);
	if (!zero_csum) {
		uint16_t c;

		inet_pton(AF_INET, src, a);
		inet_pton(AF_INET, dst, b);
		sum = dp_csum_add(dp_csum_add(0, a, 4), b, 4) + IPPROTO_UDP + (uint32_t)total;
		c = dp_csum_fold(dp_csum_add(sum, dgram, total));
		if (!c)
			c = 0xffff;
		dgram[6] = (uint8_t)(c >> 8);
		dgram[7] = (uint8_t)c;
	}
	*n = 0;
	for (size_t off = 0; off < total && *n < max; off += frag_payload) {
		size_t len = total - off < frag_payload ? total - off : frag_payload;
		bool more = off + len < total;
		struct pkt *p = &out[(*n)++];

		pkt_init(p);
		pkt_eth(p, 0x0800, false);
		pkt_ipv4(p, src, dst, IPPROTO_UDP, 0, ip_id,
		         (uint16_t)((more ? 0x2000 : 0) | (off / 8)));
		if (off == 0)
			p->l4 = p->len; /* names the UDP header's fields in messages */
		pkt_data(p, dgram + off, len);
		p->no_csum = true; /* the UDP checksum above covers the whole datagram */
		{
			size_t l4 = p->l4;

			p->l4 = 0; /* pkt_finish: IPv4 length and checksum only */
			pkt_finish(p);
			p->l4 = l4;
		}
	}
	free(dgram);
}
