/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * csum.h - rewrite an IPv4 address or a port in a packet and fix every checksum that covers
 * it, incrementally (RFC 1624), never by summing the packet again.
 *
 * Offers csum_l4_field(), csum_set_addr4(), csum_set_port() for the packet's own headers, and
 * csum_set_quoted() for bytes inside an ICMP error's quote.
 *
 * How each checksum is fixed. A helper call costs more than the arithmetic (about 60-75 ns a
 * packet on the bench machine, return-thunk mitigations included), so the common cases are
 * done here, as the kernel's own functions do them, and the helpers keep the rest:
 *  - the IPv4 header checksum: csum_ip4_replace(), RFC 1624's HC' = ~(~HC + ~m + m') as
 *    csum_replace4() computes it. No offload state covers the IP header, and the header's sum
 *    (checksum included) does not change, so a CHECKSUM_COMPLETE skb->csum stays right;
 *  - the TCP/UDP checksum, whose pseudo-header holds both addresses: csum_l4_replace(), what
 *    bpf_l4_csum_replace() does (BPF_F_PSEUDO_HDR for an address, not for a port), chosen by
 *    skb->ip_summed (read through bpf_cast_to_kern_ctx()). On a CHECKSUM_PARTIAL skb (GSO,
 *    checksum offload: a forwarded iperf3 stream) the field holds only the pseudo-header sum,
 *    not inverted, and the device computes the rest: only an address changes it. Otherwise
 *    the field is a full checksum. CHECKSUM_COMPLETE also needs skb->csum kept right, which a
 *    program cannot write: those packets go to the helper;
 *  - UDP: a zero checksum means "none" and stays zero, and a computed zero is sent as 0xffff
 *    (RFC 768; the helper's BPF_F_MARK_MANGLED_0);
 *  - the ICMPv4 checksum has no pseudo-header: an address change leaves it alone, an echo id
 *    change is a plain 2-byte replacement.
 * Inside an ICMP error's quote every change is a plain replacement of a field (the quoted
 * packet's own checksums and the outer ICMP checksum alike): those fields mean nothing to the
 * offload machinery, which only knows the outer packet's headers.
 */
#ifndef TCFW_BPF_CSUM_H
#define TCFW_BPF_CSUM_H

#include "lib/kernel.h"
#include "lib/csum_fold.h"
#include "lib/parse.h"

#define IPV4_CSUM_OFF  10 /* struct iphdr .check */
#define IPV4_SADDR_OFF 12
#define IPV4_DADDR_OFF 16
#define TCP_CSUM_OFF   16
#define UDP_CSUM_OFF   6
#define ICMP_CSUM_OFF  2
#define ICMP_ID_OFF    4

/* BPF_F_* flags of bpf_l4_csum_replace() for an address/port change of protocol proto. */
static __always_inline __u64 csum_l4_flags(__u8 proto)
{
	return proto == IPPROTO_UDP ? BPF_F_MARK_MANGLED_0 : 0;
}

/* Offset of the checksum field in a transport header of protocol proto; 0 when a rewrite of
 * addresses or ports does not touch one (protocols other than TCP, UDP and ICMP). */
static __always_inline __u32 csum_l4_field(__u8 proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return TCP_CSUM_OFF;
	case IPPROTO_UDP:
		return UDP_CSUM_OFF;
	case IPPROTO_ICMP:
		return ICMP_CSUM_OFF;
	default:
		return 0;
	}
}

/*
 * Write the size-byte value (2 or 4) at off: straight into the packet when the bytes are in
 * its linear data, as a parsed header always is (the program writes packet data directly
 * elsewhere too, so the verifier's prologue has made the skb writable), else by the helper.
 * The checksum helpers that follow every call move packet data: no pointer outlives this.
 */
static __always_inline int csum_store(struct __sk_buff *skb, __u32 off, const void *val, __u32 size)
{
	void *p = hdr_at(skb, off, size);

	if (!p)
		return bpf_skb_store_bytes(skb, off, val, size, 0);
	if (size == 4)
		*(__u32 *)p = *(const __u32 *)val;
	else
		*(__u16 *)p = *(const __u16 *)val;
	return 0;
}

/* skb->ip_summed, which struct __sk_buff does not show (include/linux/skbuff.h). */
#define CSUM_STATE_COMPLETE 2
#define CSUM_STATE_PARTIAL  3

extern void *bpf_cast_to_kern_ctx(void *obj) __ksym;

static __always_inline __u8 csum_state(struct __sk_buff *skb)
{
	struct sk_buff *kskb = bpf_cast_to_kern_ctx(skb);

	return kskb->ip_summed;
}

/* The IPv4 header checksum at l3_off, for a 4-byte field of the header that changed from
 * `from` to `to` (see the top of this file). 0, or a negative error of the helper that does it
 * when the header is not in the linear data. */
static __always_inline int csum_ip4_replace(struct __sk_buff *skb, __u32 l3_off, __be32 from,
                                            __be32 to)
{
	__u16 *check = hdr_at(skb, l3_off + IPV4_CSUM_OFF, sizeof(*check));

	if (!check)
		return bpf_l3_csum_replace(skb, l3_off + IPV4_CSUM_OFF, from, to, sizeof(to));
	*check = csum_fold_change(*check, csum_change(from, to), true);
	return 0;
}

/*
 * The transport checksum at off (proto's) for a value that changed from -> to (size 4: an
 * address, part of the pseudo-header; 2: a port or echo id), as bpf_l4_csum_replace() would
 * fix it, without its call: by skb->ip_summed, a full checksum is updated, a CHECKSUM_PARTIAL
 * field (the pseudo-header sum; the device sums the rest) only for an address; a UDP checksum
 * of zero means none and stays so, and a computed zero is sent as 0xffff. A CHECKSUM_COMPLETE
 * packet (skb->csum to keep right too, which a program cannot write) or a field outside the
 * linear data goes to the helper.
 */
static __always_inline int csum_l4_replace(struct __sk_buff *skb, __u32 off, __u8 proto, __u32 from,
                                           __u32 to, __u32 size)
{
	__u8 state = csum_state(skb);
	bool pseudo = size == 4 && proto != IPPROTO_ICMP;
	__u16 *field;

	field = hdr_at(skb, off, sizeof(*field));
	if (!field || state == CSUM_STATE_COMPLETE)
		return bpf_l4_csum_replace(skb, off, from, to,
		                           csum_l4_flags(proto) | (pseudo ? BPF_F_PSEUDO_HDR : 0) |
		                               size);
	if (proto == IPPROTO_UDP && !*field)
		return 0;
	if (state != CSUM_STATE_PARTIAL)
		*field = csum_fold_change(*field, csum_change(from, to), true);
	else if (pseudo)
		*field = csum_fold_change(*field, csum_change(from, to), false);
	if (proto == IPPROTO_UDP && !*field)
		*field = 0xffff;
	return 0;
}

/**
 * csum_set_addr4() - write IPv4 address to at addr_off (the source or destination field of
 * the IPv4 header at l3_off) in place of from, and fix the IPv4 header checksum and, when
 * l4_csum_off is not 0, the TCP/UDP checksum at that offset (pseudo-header). 0 or a negative
 * error of the helpers.
 */
static __always_inline int csum_set_addr4(struct __sk_buff *skb, __u32 l3_off, __u32 addr_off,
                                          __u32 l4_csum_off, __u8 proto, __be32 from, __be32 to)
{
	int err;

	err = csum_store(skb, addr_off, &to, sizeof(to));
	if (err)
		return err;
	err = csum_ip4_replace(skb, l3_off, from, to);
	if (err || !l4_csum_off || proto == IPPROTO_ICMP)
		return err;
	return csum_l4_replace(skb, l4_csum_off, proto, from, to, sizeof(to));
}

/**
 * csum_set_port() - write the 2-byte port (or ICMP echo id) to at port_off in place of from
 * and fix the transport checksum at l4_csum_off (0: none). 0 or a negative error.
 */
static __always_inline int csum_set_port(struct __sk_buff *skb, __u32 port_off, __u32 l4_csum_off,
                                         __u8 proto, __be16 from, __be16 to)
{
	int err;

	err = csum_store(skb, port_off, &to, sizeof(to));
	if (err || !l4_csum_off)
		return err;
	return csum_l4_replace(skb, l4_csum_off, proto, from, to, sizeof(to));
}

/**
 * csum_fix_field() - a checksum field at csum_off that covers a size-byte value (2 or 4)
 * which changed from `from` to `to`: a plain one's-complement replacement, whatever the skb's
 * checksum state. For fields inside an ICMP error's quote.
 */
static __always_inline int csum_fix_field(struct __sk_buff *skb, __u32 csum_off, __u32 from,
                                          __u32 to, __u32 size)
{
	return bpf_l3_csum_replace(skb, csum_off, from, to, size);
}

/**
 * csum_set_quoted() - write a size-byte value (2 or 4) at off inside an ICMP error's quote
 * and fix the outer ICMP checksum at icmp_csum_off, which covers the whole quote.
 */
static __always_inline int csum_set_quoted(struct __sk_buff *skb, __u32 off, __u32 icmp_csum_off,
                                           __u32 from, __u32 to, __u32 size)
{
	int err;

	if (from == to)
		return 0;
	/* A 2-byte value sits in the low-addressed bytes of `to` (BPF is little-endian). */
	err = bpf_skb_store_bytes(skb, off, &to, size, 0);
	if (err)
		return err;
	return csum_fix_field(skb, icmp_csum_off, from, to, size);
}

#endif /* TCFW_BPF_CSUM_H */
