/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * xdp_attach.h - the XDP pre-filter on the interfaces of zones the policy gives a 'prefilter'
 * (bpf/lib/prefilter.h): attached with bpf_xdp_attach() (netlink: it stays without any fd, like
 * the TC filters, so a killed fwd leaves the interface filtered), native mode where the driver
 * has it, generic otherwise; replaced in place on restart or takeover; removed when the zone
 * loses its prefilter, the interface leaves the zone, and at a full stop (not with --keep).
 */
#ifndef FWD_XDP_ATTACH_H
#define FWD_XDP_ATTACH_H

struct fwd;

enum xdp_mode {
	XDP_MODE_OFF = 0,
	XDP_MODE_NATIVE,  /* in the driver (veth, most physical NICs) */
	XDP_MODE_GENERIC, /* after the skb is built: works everywhere, saves less */
};

/* "native", "generic" or "off" (fwctl status). */
const char *xdp_mode_name(int mode);
/* Bring the XDP programs of the managed interfaces in line with the active policy: attach
 * (or replace) where the zone has a prefilter, remove ours where it has none. Returns how
 * many were attached again because ours had gone (the watch calls it every second). */
unsigned int xdp_sync(struct fwd *fwd);
/* The same for one managed interface (a link event); 1 when ours had gone. */
struct fwd_iface;
unsigned int xdp_sync_iface(struct fwd *fwd, struct fwd_iface *it);
/* Remove a tcfw pre-filter from ifindex, if one is there (the interface leaves every zone,
 * fwd stops, fwd --cleanup). A foreign XDP program is left alone. 0 or -errno. */
int xdp_detach(int ifindex, const char *name);
/* Full stop: remove ours from every managed interface. */
void xdp_release(struct fwd *fwd);

#endif
