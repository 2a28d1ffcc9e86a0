// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * cleanup.c - `fwd --cleanup` (see cleanup.h).
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "log.h"
#include "pins.h"
#include "policy.h"

#include "attach.h"
#include "cleanup.h"
#include "control_socket.h"
#include "datapath.h"
#include "fwd.h"
#include "tcx.h"
#include "xdp_attach.h"

/* Interfaces already released (an interface both recorded and named counts once). */
struct released {
	unsigned int ifindex[TCFW_MAX_IFACES];
	size_t n;
};

static bool was_released(const struct released *r, unsigned int ifindex)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->ifindex[i] == ifindex)
			return true;
	return false;
}

/* Interfaces recorded in the pinned "ifaces" map: detach, removing qdiscs marked ours. */
static void cleanup_recorded(const char *pin_dir, struct released *r, int *failures)
{
	char err[512];
	int fd = pins_open_map(pin_dir, TCFW_MAP_IFACES, err, sizeof(err));
	__u32 key, next, *prev = NULL;

	if (fd < 0) {
		if (fd != -ENOENT) {
			pr_warn("%s", err);
			(*failures)++;
		}
		return;
	}
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		struct tcfw_iface val;
		char name[IF_NAMESIZE];

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &val))
			continue;
		if (!if_indextoname(key, name))
			continue; /* the interface is gone, and its qdisc with it */
		tcx_detach_iface(pin_dir, (int)key, NULL);
		xdp_detach((int)key, name); /* the pre-filter, if its zone had one */
		if (detach_iface((int)key, name, val.flags & TCFW_IFF_QDISC_OURS))
			(*failures)++;
		else
			pr_info("%s: detached%s", name,
			        val.flags & TCFW_IFF_QDISC_OURS ? ", clsact qdisc removed" : "");
		if (r->n < TCFW_MAX_IFACES)
			r->ifindex[r->n++] = key;
	}
	close(fd);
}

/* Interfaces the policy names: our filters only (whose qdisc it is, no record says). */
static void cleanup_named(const struct policy *p, struct released *r, int *failures)
{
	for (size_t z = 0; p && z < policy_zone_count(p); z++)
		for (size_t i = 0; i < policy_zone_ifcount(p, z); i++) {
			const char *name = policy_zone_ifname(p, z, i);
			unsigned int ifindex = if_nametoindex(name);

			if (!ifindex || was_released(r, ifindex))
				continue;
			xdp_detach((int)ifindex, name);
			if (detach_iface((int)ifindex, name, false))
				(*failures)++;
			else
				pr_info("%s: detached", name);
			if (r->n < TCFW_MAX_IFACES)
				r->ifindex[r->n++] = ifindex;
		}
}

int fwd_cleanup(const struct fwd_options *o, const struct policy *p)
{
	static struct released r; /* 4 KiB: not on the stack */
	int failures = 0;

	if (control_check_free(o->socket_path))
		return FWD_EXIT_FAILURE; /* a running fwd owns these: stop it instead */
	cleanup_recorded(o->pin_dir, &r, &failures);
	cleanup_named(p, &r, &failures);
	if (access(o->pin_dir, F_OK) == 0 && datapath_unpin(o->pin_dir))
		failures++;
	if (failures) {
		pr_warn("cleanup of %s incomplete: %d step(s) failed (see above)", o->pin_dir,
		        failures);
		return FWD_EXIT_FAILURE;
	}
	pr_warn("cleanup done: tcfw is off %zu interface(s), pins in %s removed", r.n, o->pin_dir);
	return FWD_EXIT_OK;
}
