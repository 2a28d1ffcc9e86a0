// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * attach.c - TC attach and detach (see attach.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <bpf/libbpf.h>
#include <linux/pkt_sched.h>
#include <netlink/netlink.h>
#include <netlink/route/classifier.h>
#include <netlink/route/tc.h>

#include "log.h"

#include "attach.h"

static const char *attach_hint(int err)
{
	switch (err) {
	case EPERM:
	case EACCES:
		return " (run fwd as root: it needs CAP_NET_ADMIN)";
	case ENODEV:
	case ENXIO:
		return " (the interface disappeared; it is attached again when it returns)";
	case EOPNOTSUPP:
		return " (the kernel lacks clsact/cls_bpf support: CONFIG_NET_CLS_ACT, "
		       "CONFIG_NET_SCH_INGRESS, CONFIG_NET_CLS_BPF)";
	default:
		return "";
	}
}

static int attach_one(int ifindex, enum bpf_tc_attach_point point, int prog_fd)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = point);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = FWD_TC_HANDLE, .priority = FWD_TC_PRIORITY,
	            .prog_fd = prog_fd, .flags = BPF_TC_F_REPLACE);

	return bpf_tc_attach(&hook, &opts);
}

int attach_iface(int ifindex, const char *name, int prog_ingress_fd, int prog_egress_fd,
                 bool *created_qdisc, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
	            .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);
	int ret;

	*created_qdisc = false;
	ret = bpf_tc_hook_create(&hook);
	if (ret == 0) {
		*created_qdisc = true;
	} else if (ret != -EEXIST) {
		snprintf(err, errlen, "cannot create the clsact qdisc on %s: %s%s", name,
		         strerror(-ret), attach_hint(-ret));
		return ret;
	}
	ret = attach_one(ifindex, BPF_TC_INGRESS, prog_ingress_fd);
	if (ret == 0)
		ret = attach_one(ifindex, BPF_TC_EGRESS, prog_egress_fd);
	if (ret) {
		snprintf(err, errlen, "cannot attach to %s: %s%s", name, strerror(-ret),
		         attach_hint(-ret));
		/* Leave nothing half-done: a lone ingress program would track one direction. */
		detach_iface(ifindex, name, *created_qdisc);
		*created_qdisc = false;
		return ret;
	}
	return 0;
}

static int detach_one(int ifindex, enum bpf_tc_attach_point point)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = point);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = FWD_TC_HANDLE, .priority = FWD_TC_PRIORITY);
	int ret = bpf_tc_detach(&hook, &opts);

	/* Gone already (interface deleted, qdisc removed by hand): nothing left to do. */
	return ret == -ENOENT || ret == -ENODEV || ret == -EINVAL ? 0 : ret;
}

/* Filters on the clsact's ingress and egress parents, ours already removed: -errno on error. */
static int count_other_filters(int ifindex)
{
	const __u32 parents[] = {TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS),
	                         TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_EGRESS)};
	struct nl_sock *sk = nl_socket_alloc();
	int total = 0, err;

	if (!sk)
		return -ENOMEM;
	err = nl_connect(sk, NETLINK_ROUTE);
	for (size_t i = 0; !err && i < 2; i++) {
		struct nl_cache *cache;

		err = rtnl_cls_alloc_cache(sk, ifindex, parents[i], &cache);
		if (!err) {
			total += nl_cache_nitems(cache);
			nl_cache_free(cache);
		}
	}
	nl_socket_free(sk);
	return err ? -EIO : total;
}

int detach_iface(int ifindex, const char *name, bool destroy_qdisc)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
	            .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);
	int ret, others;

	ret = detach_one(ifindex, BPF_TC_INGRESS);
	if (ret == 0)
		ret = detach_one(ifindex, BPF_TC_EGRESS);
	if (ret) {
		pr_warn("cannot detach from %s: %s%s", name, strerror(-ret), attach_hint(-ret));
		return ret;
	}
	if (!destroy_qdisc)
		return 0;
	others = count_other_filters(ifindex);
	if (others != 0) {
		if (others > 0)
			pr_info(
			    "leaving the clsact qdisc on %s: %d filter(s) of someone else use it",
			    name, others);
		return 0;
	}
	ret = bpf_tc_hook_destroy(&hook);
	if (ret && ret != -ENOENT && ret != -ENODEV && ret != -EINVAL) {
		pr_warn("cannot remove the clsact qdisc from %s: %s%s", name, strerror(-ret),
		        attach_hint(-ret));
		return ret;
	}
	return 0;
}
