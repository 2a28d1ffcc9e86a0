/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * tcx.h - the two programs on an interface as tcx links (kernel 6.6+), pinned per interface
 * at <pin_dir>/links/<ifindex>-ingress and -egress.
 *
 * A tcx link lives as long as a pin or an fd holds it: pinned, it outlives fwd (--keep, a
 * crash, a restart), and a new fwd swaps the programs in with BPF_LINK_UPDATE (atomic, the
 * link id stays). Unpinned and closed, it is detached: fwd only uses tcx when the pins outlive
 * it (ifaces.c), or a SIGKILL would leave the interface unfiltered.
 */
#ifndef FWD_TCX_H
#define FWD_TCX_H

#include <stdbool.h>
#include <stddef.h>

#include <linux/types.h>

struct tcx_links {
	int fd[2];   /* [0] ingress, [1] egress; -1: none */
	__u32 id[2]; /* link ids */
};

#define TCX_LINKS_NONE                                                                             \
	{                                                                                          \
		.fd = { -1, -1 }                                                                   \
	}

/* Create both links and pin them; nothing is left on failure. 0, or -errno with "cannot
 * attach to NAME with tcx: reason" in err (-EINVAL: the kernel has no tcx). */
int tcx_attach_iface(const char *pin_dir, int ifindex, const char *name, int prog_ingress_fd,
                     int prog_egress_fd, struct tcx_links *l, char *err, size_t errlen);
/* Attach one direction again (its link was detached by hand): a new link, pinned in place of
 * the defunct one. 0 or -errno (err says why). */
int tcx_reattach_one(const char *pin_dir, int ifindex, bool ingress, int prog_fd,
                     struct tcx_links *l, char *err, size_t errlen);
/* Open the links pinned for ifindex: 1 when both are there and still attached to it, 0 when
 * none are (defunct or lone pins are removed), -errno. */
int tcx_open_pinned(const char *pin_dir, int ifindex, struct tcx_links *l);
/* Open the tcx links that run a tcfw program on ifindex, found by walking the kernel's links
 * (their pins are out of sight: a fwd under `ip netns exec` taking over a datapath pinned on
 * the host's bpffs). 1 when any is found, else 0. */
int tcx_find_attached(int ifindex, struct tcx_links *l);
/* Swap both links' programs in place (BPF_LINK_UPDATE). 0 or -errno. */
int tcx_update(struct tcx_links *l, int prog_ingress_fd, int prog_egress_fd);
/* Is this link still attached to an interface? */
bool tcx_link_alive(int link_fd);
/* Detach and unpin ifindex's links, whether l holds them or only their pins do (l may be
 * NULL). 0 (nothing there is fine) or -errno. */
int tcx_detach_iface(const char *pin_dir, int ifindex, struct tcx_links *l);
/* Close l's fds: the pins keep the links attached. */
void tcx_close(struct tcx_links *l);
/* Detach and unpin every link pinned under pin_dir, then remove <pin_dir>/links. The number
 * detached, or -errno. */
int tcx_detach_all(const char *pin_dir);

#endif
