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
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

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

/*
 * What the running daemon uses: re-attaching lost filters and attaching interfaces a reload
 * adds (CAP_NET_ADMIN), looking up the programs and maps on an interface and passing fwctl
 * read-only map fds (CAP_SYS_ADMIN), map operations (CAP_BPF, CAP_PERFMON where CAP_SYS_ADMIN
 * is not enough on an older kernel). Everything else — CAP_CHOWN for the socket's group,
 * CAP_DAC_OVERRIDE, CAP_SYS_MODULE, CAP_SETUID, ... — served the start or never.
 */
static const int kept_caps[] = {CAP_NET_ADMIN, CAP_SYS_ADMIN, CAP_BPF, CAP_PERFMON};

void caps_drop_unneeded(void)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[2];
	uint64_t keep = 0, eff = 0, perm;
	int last = CAP_LAST_CAP, dropped = 0;
	FILE *f;

	for (size_t i = 0; i < sizeof(kept_caps) / sizeof(kept_caps[0]); i++)
		keep |= 1ULL << kept_caps[i];
	if (syscall(SYS_capget, &hdr, data)) {
		pr_warn("cannot read fwd's capabilities to drop those it no longer needs: %s",
		        strerror(errno));
		return;
	}
	perm = data[0].permitted | ((uint64_t)data[1].permitted << 32);
	eff = data[0].effective | ((uint64_t)data[1].effective << 32);
	/* The kernel may know more capabilities than these headers. */
	f = fopen("/proc/sys/kernel/cap_last_cap", "re");
	if (f) {
		if (fscanf(f, "%d", &last) != 1)
			last = CAP_LAST_CAP;
		fclose(f);
	}
	/* The bounding set first: dropping from it needs CAP_SETPCAP, which goes next. */
	for (int cap = 0; cap <= last && cap < 64; cap++)
		if (!(keep & (1ULL << cap)) && prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1 &&
		    prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0)
			dropped++;
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	perm &= keep;
	eff &= keep;
	data[0].permitted = (uint32_t)perm;
	data[1].permitted = (uint32_t)(perm >> 32);
	data[0].effective = (uint32_t)eff;
	data[1].effective = (uint32_t)(eff >> 32);
	data[0].inheritable = data[1].inheritable = 0;
	if (syscall(SYS_capset, &hdr, data)) {
		pr_warn("cannot drop the capabilities fwd no longer needs: %s (it keeps them)",
		        strerror(errno));
		return;
	}
	pr_info("capabilities: kept 0x%016" PRIx64 " (CAP_NET_ADMIN, CAP_SYS_ADMIN, CAP_BPF, "
	        "CAP_PERFMON as given), dropped %d from the bounding set",
	        eff, dropped);
}
