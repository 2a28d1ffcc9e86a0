// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * caps.c - fwd's capability check (see caps.h), measured on Linux 6.18 (docs/fwd.md "Running
 * under systemd"):
 *   CAP_NET_ADMIN  the clsact qdisc and the TC filters (netlink); SCHED_CLS programs.
 *   CAP_SYS_ADMIN  BPF_PROG_GET_FD_BY_ID / BPF_MAP_GET_FD_BY_ID, which the kernel grants to
 *                  nothing less: the check of who owns the programs already attached to an
 *                  interface (every restart with --keep, every takeover), the read-only map
 *                  fds fwctl gets; and mounting a bpffs where none is.
 *   CAP_CHOWN      with --group only: giving the socket to a group root is not a member of.
 *   CAP_BPF + CAP_PERFMON  loading the programs (without CAP_PERFMON the verifier refuses
 *                  them); the kernel accepts CAP_SYS_ADMIN for both, so with it they add
 *                  nothing, and they are not checked here.
 * The effective set is read from /proc/self/status: no libcap for one bit mask.
 */
#include <errno.h>
#include <inttypes.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

#include "caps.h"

static int effective_caps(uint64_t *eff)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "re");
	int err = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %" SCNx64, eff) == 1) {
			err = 0;
			break;
		}
	fclose(f);
	return err;
}

int caps_check(bool group)
{
	static const struct {
		int cap;
		bool group_only;
		const char *name, *why;
	} needed[] = {
	    {CAP_NET_ADMIN, false, "CAP_NET_ADMIN", "attaching to interfaces"},
	    {CAP_SYS_ADMIN, false, "CAP_SYS_ADMIN",
	     "checking the programs already on its interfaces at a restart or takeover, and "
	     "passing fwctl the maps"},
	    {CAP_CHOWN, true, "CAP_CHOWN", "giving the control socket to --group"},
	};
	char missing[512] = "";
	uint64_t eff;

	/* Without /proc the kernel's own errors will have to do. */
	if (effective_caps(&eff))
		return 0;
	for (size_t i = 0; i < sizeof(needed) / sizeof(needed[0]); i++) {
		if ((eff & (1ULL << needed[i].cap)) || (needed[i].group_only && !group))
			continue;
		snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing),
		         "%s%s (for %s)", *missing ? " and " : "", needed[i].name, needed[i].why);
	}
	if (!*missing)
		return 0;
	pr_warn("fwd lacks %s: run it as root, or grant it CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN "
	        "and CAP_SYS_ADMIN%s (tcfw.service: CapabilityBoundingSet=)",
	        missing, group ? ", and CAP_CHOWN for --group" : "");
	return -EPERM;
}
