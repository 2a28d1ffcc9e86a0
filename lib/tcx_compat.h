/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * tcx_compat.h - what tcx needs from linux/bpf.h when the installed header predates it
 * (Debian 12's linux-libc-dev 6.1; tcx came with 6.6). The values are kernel ABI and never
 * change; libbpf 1.1 passes them through bpf_link_create() and bpf_prog_query_opts() as they
 * are (its generic case accepts any attach type with only "flags" set in the opts).
 */
#ifndef TCFW_TCX_COMPAT_H
#define TCFW_TCX_COMPAT_H

#include <linux/bpf.h>

/* BPF_F_BEFORE came with tcx (6.6): its absence says the header lacks tcx too. */
#ifndef BPF_F_BEFORE
#define BPF_TCX_INGRESS   46
#define BPF_TCX_EGRESS    47
#define BPF_LINK_TYPE_TCX 11
#endif

/* The head of struct bpf_link_info and its tcx member (6.6), for bpf_obj_get_info_by_fd():
 * the kernel fills what fits. ifindex is 0 once the link is detached (BPF_LINK_DETACH, or its
 * interface deleted): a defunct link filters nothing. */
struct tcfw_tcx_link_info {
	__u32 type; /* BPF_LINK_TYPE_TCX */
	__u32 id;
	__u32 prog_id;
	__u32 pad; /* the union after it is 8-byte aligned */
	__u32 ifindex;
	__u32 attach_type;
};

#endif
