/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * csum.h - rewrite an IPv4 address or a port in a packet and fix every checksum that covers
 * it, incrementally (RFC 1624), never by summing the packet again.
 *
 * Offers csum_l4_field(), csum_set_addr4(), csum_set_port() for the packet's own headers, and
 * csum_set_quoted() for bytes inside an ICMP error's quote.
 *
 * Which helper for which checksum:
 *  - the IPv4 header checksum: plain arithmetic here (csum_ip4_replace()), RFC 1624's
 *    HC' = ~(~HC + ~m + m') as the kernel's csum_replace4() computes it: no offload state
 *    covers the IP header, and the header's sum (checksum included) does not change, so a
 *    CHECKSUM_COMPLETE skb->csum stays right. A helper call costs more than the sum;
 *  - the TCP/UDP checksum, whose pseudo-header holds both addresses:
 *    bpf_l4_csum_replace() with BPF_F_PSEUDO_HDR for an address, without for a port. On a
 *    CHECKSUM_PARTIAL skb (GSO, checksum offload: a forwarded iperf3 stream) the field holds
 *    only the pseudo-header sum and the kernel computes the rest later, so the helper changes
 *    the field for the pseudo-header part only, and for CHECKSUM_COMPLETE it also keeps
 *    skb->csum right. Open-coded arithmetic would get both cases wrong;
 *  - UDP adds BPF_F_MARK_MANGLED_0: a zero checksum means "none" and must stay zero, and a
 *    computed zero is sent as 0xffff (RFC 768);
 *  - the ICMPv4 checksum has no pseudo-header: an address change leaves it alone, an echo id
 *    change is a plain 2-byte replacement.
 * Inside an ICMP error's quote every change is a plain replacement of a field (the quoted
 * packet's own checksums and the outer ICMP checksum alike): those fields mean nothing to the
 * offload machinery, which only knows the outer packet's headers.
 */
#ifndef TCFW_BPF_CSUM_H
#define TCFW_BPF_CSUM_H

#include "lib/kernel.h"
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

/* The IPv4 header checksum at l3_off, for a 4-byte field of the header that changed from
 * `from` to `to` (see the top of this file). 0, or a negative error of the helper that does it
 * when the header is not in the linear data. */
static __always_inline int csum_ip4_replace(struct __sk_buff *skb, __u32 l3_off, __be32 from,
                                            __be32 to)
{
	__u16 *check = hdr_at(skb, l3_off + IPV4_CSUM_OFF, sizeof(*check));
	__u32 sum;

	if (!check)
		return bpf_l3_csum_replace(skb, l3_off + IPV4_CSUM_OFF, from, to, sizeof(to));
	/* 16-bit words as they lie in memory: one's complement sums do not mind byte order. */
	sum = (__u16) ~*check;
	sum += (__u16)~from + (__u16) ~(from >> 16);
	sum += (__u16)to + (__u16)(to >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	*check = (__u16)~sum;
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
	return bpf_l4_csum_replace(skb, l4_csum_off, from, to,
	                           csum_l4_flags(proto) | BPF_F_PSEUDO_HDR | sizeof(to));
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
	return bpf_l4_csum_replace(skb, l4_csum_off, from, to, csum_l4_flags(proto) | sizeof(to));
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
