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

/* Interfaces recorded in the pinned "ifaces" map: detach, removing qdiscs marked ours. */
static int cleanup_recorded(const char *pin_dir, int *failures)
{
	char err[512];
	int fd = pins_open_map(pin_dir, TCFW_MAP_IFACES, err, sizeof(err));
	__u32 key, next, *prev = NULL;
	int n = 0;

	if (fd < 0) {
		if (fd != -ENOENT) {
			pr_warn("%s", err);
			(*failures)++;
		}
		return 0;
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
		if (detach_iface((int)key, name, val.flags & TCFW_IFF_QDISC_OURS))
			(*failures)++;
		else
			pr_info("%s: detached%s", name,
			        val.flags & TCFW_IFF_QDISC_OURS ? ", clsact qdisc removed" : "");
		n++;
	}
	close(fd);
	return n;
}

/* Interfaces the policy names: our filters only (whose qdisc it is, no record says). */
static int cleanup_named(const struct policy *p, int *failures)
{
	int n = 0;

	for (size_t z = 0; p && z < policy_zone_count(p); z++)
		for (size_t i = 0; i < policy_zone_ifcount(p, z); i++) {
			const char *name = policy_zone_ifname(p, z, i);
			unsigned int ifindex = if_nametoindex(name);

			if (!ifindex)
				continue;
			if (detach_iface((int)ifindex, name, false))
				(*failures)++;
			n++;
		}
	return n;
}

int fwd_cleanup(const struct fwd_options *o, const struct policy *p)
{
	int failures = 0, n;

	if (control_check_free(o->socket_path))
		return FWD_EXIT_FAILURE; /* a running fwd owns these: stop it instead */
	n = cleanup_recorded(o->pin_dir, &failures);
	n += cleanup_named(p, &failures);
	if (access(o->pin_dir, F_OK) == 0 && datapath_unpin(o->pin_dir))
		failures++;
	if (failures) {
		pr_warn("cleanup of %s incomplete: %d step(s) failed (see above)", o->pin_dir,
		        failures);
		return FWD_EXIT_FAILURE;
	}
	pr_warn("cleanup done: %d interface(s) released, pins in %s removed", n, o->pin_dir);
	return FWD_EXIT_OK;
}
