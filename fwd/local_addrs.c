// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * local_addrs.c - keep map "local_addrs" equal to the gateway's addresses (see local_addrs.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <bpf/bpf.h>

#include "addr.h"
#include "log.h"

#include "fwd.h"
#include "local_addrs.h"
#include "netlink.h"

static void key_of(struct tcfw_addr_key *k, int family, const void *addr)
{
	memset(k, 0, sizeof(*k));
	if (family == AF_INET) {
		uint32_t v4;

		memcpy(&v4, addr, 4);
		addr_from_v4(k->addr, v4);
	} else {
		addr_from_v6(k->addr, addr);
	}
}

static void put(struct fwd *fwd, const struct tcfw_addr_key *k, int ifindex)
{
	__u32 val = (__u32)ifindex;
	char text[ADDR_STRLEN];

	if (bpf_map_update_elem(fwd->dp.local_addrs_fd, k, &val, BPF_ANY))
		pr_warn("cannot add local address %s (ifindex %d) to map local_addrs: %s%s",
		        addr_format(k->addr, text), ifindex, strerror(errno),
		        errno == E2BIG ? " (more than TCFW_MAX_LOCAL_ADDRS addresses)" : "");
}

struct find_other {
	struct tcfw_addr_key key;
	int skip_ifindex;
	int found_ifindex;
};

static void find_other_one(int ifindex, int family, const void *addr, void *ctx)
{
	struct find_other *f = ctx;
	struct tcfw_addr_key k;

	key_of(&k, family, addr);
	if (ifindex != f->skip_ifindex && !memcmp(&k, &f->key, sizeof(k)))
		f->found_ifindex = ifindex;
}

void local_addrs_event(struct fwd *fwd, int ifindex, int family, const void *addr, bool gone)
{
	struct tcfw_addr_key k;
	char text[ADDR_STRLEN];

	key_of(&k, family, addr);
	if (!gone) {
		put(fwd, &k, ifindex);
		pr_debug("local address %s on ifindex %d", addr_format(k.addr, text), ifindex);
		return;
	}
	/* The same address may remain on another interface (anycast, a moved address). */
	struct find_other f = {.key = k, .skip_ifindex = ifindex, .found_ifindex = 0};

	netlink_foreach_addr(fwd->nl, find_other_one, &f);
	if (f.found_ifindex) {
		put(fwd, &k, f.found_ifindex);
		return;
	}
	if (bpf_map_delete_elem(fwd->dp.local_addrs_fd, &k) && errno != ENOENT)
		pr_warn("cannot remove local address %s from map local_addrs: %s",
		        addr_format(k.addr, text), strerror(errno));
	pr_debug("local address %s removed", addr_format(k.addr, text));
}

static void sync_one(int ifindex, int family, const void *addr, void *ctx)
{
	struct tcfw_addr_key k;

	key_of(&k, family, addr);
	put(ctx, &k, ifindex);
}

struct is_current {
	struct tcfw_addr_key key;
	bool found;
};

static void is_current_one(int ifindex, int family, const void *addr, void *ctx)
{
	struct is_current *c = ctx;
	struct tcfw_addr_key k;

	(void)ifindex;
	key_of(&k, family, addr);
	if (!memcmp(&k, &c->key, sizeof(k)))
		c->found = true;
}

void local_addrs_sync(struct fwd *fwd)
{
	struct tcfw_addr_key key, next, *prev = NULL;
	struct tcfw_addr_key *stale = NULL;
	size_t nstale = 0;

	/* Entries an earlier fwd wrote for addresses removed while no fwd was running. */
	while (bpf_map_get_next_key(fwd->dp.local_addrs_fd, prev, &next) == 0) {
		struct is_current c = {.key = next};

		netlink_foreach_addr(fwd->nl, is_current_one, &c);
		if (!c.found) {
			void *v = realloc(stale, (nstale + 1) * sizeof(*stale));

			if (!v)
				break;
			stale = v;
			stale[nstale++] = next;
		}
		key = next;
		prev = &key;
	}
	for (size_t i = 0; i < nstale; i++)
		bpf_map_delete_elem(fwd->dp.local_addrs_fd, &stale[i]);
	free(stale);
	netlink_foreach_addr(fwd->nl, sync_one, fwd);
	pr_info("%zu local addresses", local_addrs_count(fwd));
}

size_t local_addrs_count(struct fwd *fwd)
{
	struct tcfw_addr_key key, next, *prev = NULL;
	size_t n = 0;

	while (bpf_map_get_next_key(fwd->dp.local_addrs_fd, prev, &next) == 0) {
		n++;
		key = next;
		prev = &key;
	}
	return n;
}
