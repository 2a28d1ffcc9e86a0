// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * xdp_attach.c - attach, replace and remove the XDP pre-filter (see xdp_attach.h).
 *
 * Whose program is on an interface is told by its name: the pre-filter of this fwd (its
 * program id), one of an earlier tcfw (a restart or takeover: replaced in place, with no
 * moment unfiltered), or someone else's, which fwd never replaces nor removes.
 */
#include <errno.h>
#include <linux/if_link.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "log.h"
#include "policy.h"

#include "fwd.h"
#include "xdp_attach.h"

/* The kernel keeps the first 15 characters of a program's name. */
#define XDP_PROG_NAME "tcfw_xdp_prefil"

const char *xdp_mode_name(int mode)
{
	return mode == XDP_MODE_NATIVE ? "native" : mode == XDP_MODE_GENERIC ? "generic" : "off";
}

/* The XDP program on ifindex (any mode): its id (0: none) and whether it is a tcfw one. */
static int xdp_current(int ifindex, __u32 *id, bool *tcfw)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct bpf_prog_info info = {0};
	__u32 len = sizeof(info);
	int fd, err;

	*id = 0;
	*tcfw = false;
	err = bpf_xdp_query(ifindex, 0, &q);
	if (err)
		return err;
	*id = q.prog_id;
	if (!*id)
		return 0;
	fd = bpf_prog_get_fd_by_id(*id);
	if (fd < 0)
		return -errno;
	if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0)
		*tcfw = strncmp(info.name, XDP_PROG_NAME, sizeof(XDP_PROG_NAME) - 1) == 0;
	close(fd);
	return 0;
}

/* Attach (or replace) ours: native mode first, generic when the driver has none. */
static int xdp_attach(struct fwd *fwd, struct fwd_iface *it)
{
	int err = bpf_xdp_attach(it->ifindex, fwd->dp.prog_xdp_fd, XDP_FLAGS_DRV_MODE, NULL);

	if (!err) {
		it->xdp_mode = XDP_MODE_NATIVE;
		it->xdp_failed = false;
		return 0;
	}
	/* A program in the other mode blocks this one: it is ours (checked), remove it. */
	xdp_detach(it->ifindex, it->name);
	err = bpf_xdp_attach(it->ifindex, fwd->dp.prog_xdp_fd, XDP_FLAGS_SKB_MODE, NULL);
	if (!err) {
		it->xdp_mode = XDP_MODE_GENERIC;
		it->xdp_failed = false;
		return 0;
	}
	it->xdp_mode = XDP_MODE_OFF;
	if (it->xdp_failed)
		return err; /* said once; tried again every second quietly */
	it->xdp_failed = true;
	pr_warn("%s: cannot attach the XDP pre-filter: %s (the zone's packets still go through "
	        "the TC filters; check `ip link show %s` for another XDP program)",
	        it->name, strerror(-err), it->name);
	return err;
}

int xdp_detach(int ifindex, const char *name)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	bool tcfw;
	__u32 id;
	int err = xdp_current(ifindex, &id, &tcfw);

	if (err || !id)
		return err;
	if (!tcfw) {
		pr_warn("%s: the XDP program there (id %u) is not tcfw's: left in place", name, id);
		return -EBUSY;
	}
	/* Its mode decides the flag it is removed with. */
	if (bpf_xdp_query(ifindex, 0, &q) == 0 && q.attach_mode == XDP_ATTACHED_SKB)
		err = bpf_xdp_detach(ifindex, XDP_FLAGS_SKB_MODE, NULL);
	else
		err = bpf_xdp_detach(ifindex, XDP_FLAGS_DRV_MODE, NULL);
	if (err)
		pr_warn("%s: cannot remove the XDP pre-filter: %s", name, strerror(-err));
	else
		pr_info("%s: XDP pre-filter removed", name);
	return err;
}

static bool wants_prefilter(struct fwd *fwd, const struct fwd_iface *it)
{
	return it->attached && it->zone >= 0 &&
	       policy_zone_prefiltered(fwd->pol.p, (size_t)it->zone);
}

unsigned int xdp_sync_iface(struct fwd *fwd, struct fwd_iface *it)
{
	bool tcfw, lost;
	__u32 id;

	if (!wants_prefilter(fwd, it)) {
		if (it->xdp_mode != XDP_MODE_OFF ||
		    (xdp_current(it->ifindex, &id, &tcfw) == 0 && tcfw))
			xdp_detach(it->ifindex, it->name);
		it->xdp_mode = XDP_MODE_OFF;
		return 0;
	}
	if (xdp_current(it->ifindex, &id, &tcfw) == 0 && id == fwd->dp.prog_xdp_id &&
	    it->xdp_mode != XDP_MODE_OFF)
		return 0;
	if (id && !tcfw) {
		if (it->xdp_mode != XDP_MODE_OFF || !it->xdp_foreign)
			pr_warn(
			    "%s: another XDP program (id %u) is attached: the zone's pre-filter is "
			    "left to TC (remove it with `ip link set %s xdp off`)",
			    it->name, id, it->name);
		it->xdp_foreign = true;
		it->xdp_mode = XDP_MODE_OFF;
		return 0;
	}
	it->xdp_foreign = false;
	lost = it->xdp_mode != XDP_MODE_OFF; /* ours was there and is gone */
	if (xdp_attach(fwd, it))
		return 0;
	if (!lost) {
		pr_notice("%s: XDP pre-filter %s (%s mode)", it->name,
		          id ? "replaced in place" : "attached", xdp_mode_name(it->xdp_mode));
		return 0;
	}
	it->reattached++;
	pr_warn("%s: the XDP pre-filter was removed; attached again (%s mode)", it->name,
	        xdp_mode_name(it->xdp_mode));
	return 1;
}

unsigned int xdp_sync(struct fwd *fwd)
{
	unsigned int again = 0;

	for (size_t i = 0; i < fwd->ifaces.n; i++)
		again += xdp_sync_iface(fwd, &fwd->ifaces.v[i]);
	return again;
}

void xdp_release(struct fwd *fwd)
{
	for (size_t i = 0; i < fwd->ifaces.n; i++) {
		struct fwd_iface *it = &fwd->ifaces.v[i];

		if (it->xdp_mode != XDP_MODE_OFF)
			xdp_detach(it->ifindex, it->name);
		it->xdp_mode = XDP_MODE_OFF;
	}
}
