/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * attached.h - the tcfw programs attached to an interface (the cls_bpf filters at our fixed
 * handle and priority, or tcx links to programs named tcfw_*), seen from the kernel rather than
 * from pins: which program, which maps it
 * uses, and which fwd runs it. This is how fwctl reads a datapath whose fwd is gone, and a fwd
 *  - takes over a datapath whose pins it cannot see (a fwd started by `ip netns exec` pins in
 *    a bpffs of its own mount namespace, which ends with it; the programs and their maps stay
 *    attached), and
 *  - refuses an interface that another fwd's datapath filters, naming that fwd.
 */
#ifndef TCFW_ATTACHED_H
#define TCFW_ATTACHED_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>

#include <linux/bpf.h>

#include "tcfw_abi.h"

/* Our filters' fixed handle and priority on the clsact hooks: a new fwd replaces an old one's
 * programs in place, and anyone can find them without knowing which programs they are. */
#define TCFW_TC_HANDLE   0x7cf
#define TCFW_TC_PRIORITY 1

#define ATTACHED_MAX_MAPS 64
/* Programs read from one tcx hook (ours and whatever other tools attached next to them). */
#define ATTACHED_MAX_HOOK 64

struct attached_dp {
	char ifname[IF_NAMESIZE];
	__u32 prog_id;
	size_t nmaps;
	struct {
		char name[BPF_OBJ_NAME_LEN];
		__u32 id;
		int fd;
	} maps[ATTACHED_MAX_MAPS];
	struct tcfw_owner owner; /* abi_version 0: none recorded (older tcfw, or other layout) */
};

/* The program id of our cls_bpf filter at ifindex's ingress (or egress): 0 when there is none,
 * or -errno. */
int attached_cls_prog_id(int ifindex, bool ingress, __u32 *prog_id);
/* Is program id one of ours by its name (tcfw_*)? A tcx hook is shared: other tools' programs
 * may sit next to ours, and are none of our business. False also when it is gone. */
bool attached_prog_is_tcfw(__u32 id);
/* Is prog_id on ifindex's tcx ingress (or egress) hook? 1, 0 (also without tcx), -errno. */
int attached_tcx_has(int ifindex, bool ingress, __u32 prog_id);
/* The tcfw programs on ifindex's ingress (or egress): our cls_bpf filter's first, then those
 * of tcx links. Their count (at most max), or -errno. */
int attached_hook_progs(int ifindex, bool ingress, __u32 *ids, size_t max);
/* The first of them: 0 when there is none, or -errno. */
int attached_prog_id(int ifindex, bool ingress, __u32 *prog_id);

/* Open program prog_id's maps and read its owner record. 0 or -errno. */
int attached_open(__u32 prog_id, struct attached_dp *a);
void attached_close(struct attached_dp *a);
/* The fd of a's map called name, or -1. */
int attached_map_fd(const struct attached_dp *a, const char *name);

/* The first of the named interfaces that carries a tcfw program: 1 with *a open (close it),
 * 0 when none does, -errno. */
int attached_find(const char *const *ifnames, size_t n, struct attached_dp *a);
/* The same over every interface of this network namespace. */
int attached_find_any(struct attached_dp *a);

/*
 * Is ifindex free for the datapath whose map "ct" has id ct_id? 0 when it carries no tcfw
 * program or one that uses that very map (ours, or an earlier build's on our maps: replaced in
 * place); -EBUSY when another datapath's program is attached, with why saying whose and what
 * to do; another -errno when the kernel cannot be asked.
 */
int attached_check_free(int ifindex, const char *ifname, __u32 ct_id, char *why, size_t len);

#endif
