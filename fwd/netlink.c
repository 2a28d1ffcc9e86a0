// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * netlink.c - the libnl-route cache manager in fwd's loop (see netlink.h). libnl keeps both
 * caches current from RTM_NEWLINK/DELLINK/NEWADDR/DELADDR and calls back with each change;
 * the initial contents produce no callbacks, so main() syncs from the caches once at start.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include <linux/if_addr.h>
#include <linux/rtnetlink.h>

#include <netlink/cache.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>

#include "log.h"

#include "fwd.h"
#include "local_addrs.h"
#include "netlink.h"

struct netlink {
	struct fwd *fwd;
	struct nl_cache_mngr *mngr;
	struct nl_cache *links, *addrs;
	struct nl_sock *refill; /* for re-reading both caches after lost events */
	struct loop_source src;
};

static void link_changed(struct nl_cache *cache, struct nl_object *obj, int action, void *arg)
{
	struct rtnl_link *link = (struct rtnl_link *)obj;
	struct fwd *fwd = arg;

	(void)cache;
	ifaces_link_event(fwd, rtnl_link_get_ifindex(link), rtnl_link_get_name(link),
	                  action == NL_ACT_DEL);
}

/* The local address of an rtnl_addr as (family, bytes); false for other families. */
static bool addr_bytes(struct rtnl_addr *a, int *family, const void **bytes)
{
	struct nl_addr *local = rtnl_addr_get_local(a);

	if (!local)
		return false;
	*family = nl_addr_get_family(local);
	*bytes = nl_addr_get_binary_addr(local);
	return (*family == AF_INET && nl_addr_get_len(local) == 4) ||
	       (*family == AF_INET6 && nl_addr_get_len(local) == 16);
}

static void addr_changed(struct nl_cache *cache, struct nl_object *obj, int action, void *arg)
{
	struct rtnl_addr *a = (struct rtnl_addr *)obj;
	const void *bytes;
	int family;

	(void)cache;
	if (!addr_bytes(a, &family, &bytes))
		return;
	local_addrs_event(arg, rtnl_addr_get_ifindex(a), family, bytes, action == NL_ACT_DEL);
	/* The cache already holds the change: masquerade follows the primary address. */
	if (family == AF_INET)
		ifaces_addr_event(arg, rtnl_addr_get_ifindex(a));
}

/* Events were lost (the socket's buffer overflowed during a burst of changes): read both
 * tables again and bring the maps and attachments in line with them. */
static void netlink_resync(struct netlink *nl)
{
	int err = nl_cache_refill(nl->refill, nl->links);

	if (err >= 0)
		err = nl_cache_refill(nl->refill, nl->addrs);
	if (err < 0) {
		pr_warn("netlink: re-reading links and addresses failed: %s (interfaces and "
		        "local addresses may be stale until the next change)",
		        nl_geterror(err));
		return;
	}
	local_addrs_sync(nl->fwd);
	ifaces_sync(nl->fwd);
	pr_info("netlink: link and address tables re-read after lost events");
}

static void netlink_ready(struct loop_source *src, uint32_t events)
{
	struct netlink *nl = src->ctx;
	int err;

	(void)events;
	err = nl_cache_mngr_data_ready(nl->mngr);
	if (err == -NLE_NOMEM || err == -NLE_DUMP_INTR) {
		/* libnl's codes for ENOBUFS (events dropped) and an interrupted dump. */
		pr_warn("netlink: link/address events were lost (%s); re-reading",
		        nl_geterror(err));
		netlink_resync(nl);
	} else if (err < 0) {
		pr_warn("netlink: reading link/address changes failed: %s", nl_geterror(err));
	}
}

int netlink_open(struct fwd *fwd)
{
	struct netlink *nl = calloc(1, sizeof(*nl));
	int err;

	if (!nl)
		return -ENOMEM;
	nl->fwd = fwd;
	nl->refill = nl_socket_alloc();
	if (!nl->refill || nl_connect(nl->refill, NETLINK_ROUTE) < 0) {
		pr_warn("cannot open a netlink socket: %s", strerror(errno));
		goto fail;
	}
	err = nl_cache_mngr_alloc(NULL, NETLINK_ROUTE, NL_AUTO_PROVIDE, &nl->mngr);
	if (err < 0) {
		pr_warn("cannot open a netlink socket for link and address events: %s",
		        nl_geterror(err));
		goto fail;
	}
	err = nl_cache_mngr_add(nl->mngr, "route/link", link_changed, fwd, &nl->links);
	if (err >= 0)
		err = nl_cache_mngr_add(nl->mngr, "route/addr", addr_changed, fwd, &nl->addrs);
	if (err < 0) {
		pr_warn("cannot read the interfaces and addresses over netlink: %s",
		        nl_geterror(err));
		goto fail;
	}
	nl->src = (struct loop_source){
	    .fd = nl_cache_mngr_get_fd(nl->mngr), .fn = netlink_ready, .ctx = nl};
	err = loop_add(&fwd->loop, &nl->src, EPOLLIN);
	if (err) {
		pr_warn("cannot watch the netlink socket: %s", strerror(-err));
		goto fail;
	}
	fwd->nl = nl;
	return 0;
fail:
	if (nl->mngr)
		nl_cache_mngr_free(nl->mngr);
	if (nl->refill)
		nl_socket_free(nl->refill);
	free(nl);
	return -EIO;
}

void netlink_close(struct fwd *fwd)
{
	struct netlink *nl = fwd->nl;

	if (!nl)
		return;
	loop_del(&fwd->loop, &nl->src);
	nl_cache_mngr_free(nl->mngr); /* frees the caches it manages */
	nl_socket_free(nl->refill);
	free(nl);
	fwd->nl = NULL;
}

bool netlink_link_name(struct netlink *nl, int ifindex, char name[IF_NAMESIZE])
{
	struct rtnl_link *link = rtnl_link_get(nl->links, ifindex);

	if (!link)
		return false;
	snprintf(name, IF_NAMESIZE, "%s", rtnl_link_get_name(link));
	rtnl_link_put(link);
	return true;
}

bool netlink_link_stats(struct netlink *nl, int ifindex, struct netlink_link_stats *st)
{
	struct rtnl_link *link = NULL;

	/* Asked of the kernel, not the cache: the cache's copy is as old as the link's last
	 * change. One RTM_GETLINK on the socket that only ever makes requests. */
	if (rtnl_link_get_kernel(nl->refill, ifindex, NULL, &link) < 0 || !link)
		return false;
	st->rx_packets = rtnl_link_get_stat(link, RTNL_LINK_RX_PACKETS);
	st->tx_packets = rtnl_link_get_stat(link, RTNL_LINK_TX_PACKETS);
	st->rx_bytes = rtnl_link_get_stat(link, RTNL_LINK_RX_BYTES);
	st->tx_bytes = rtnl_link_get_stat(link, RTNL_LINK_TX_BYTES);
	rtnl_link_put(link);
	return true;
}

struct link_iter {
	void (*cb)(int ifindex, const char *name, void *ctx);
	void *ctx;
};

static void link_iter_one(struct nl_object *obj, void *arg)
{
	struct link_iter *it = arg;
	struct rtnl_link *link = (struct rtnl_link *)obj;

	it->cb(rtnl_link_get_ifindex(link), rtnl_link_get_name(link), it->ctx);
}

void netlink_foreach_link(struct netlink *nl, void (*cb)(int ifindex, const char *name, void *ctx),
                          void *ctx)
{
	struct link_iter it = {.cb = cb, .ctx = ctx};

	nl_cache_foreach(nl->links, link_iter_one, &it);
}

struct primary4 {
	int ifindex;
	uint32_t addr;
	bool found;
};

static void primary4_one(struct nl_object *obj, void *arg)
{
	struct rtnl_addr *a = (struct rtnl_addr *)obj;
	struct primary4 *p = arg;
	const void *bytes;
	int family;

	if (p->found || rtnl_addr_get_ifindex(a) != p->ifindex || !addr_bytes(a, &family, &bytes) ||
	    family != AF_INET)
		return;
	/* Secondary addresses and host/link scope ones (127.0.0.1, 169.254/16) do not go out. */
	if ((rtnl_addr_get_flags(a) & IFA_F_SECONDARY) ||
	    rtnl_addr_get_scope(a) != RT_SCOPE_UNIVERSE)
		return;
	memcpy(&p->addr, bytes, sizeof(p->addr));
	p->found = true;
}

bool netlink_primary_addr4(struct netlink *nl, int ifindex, uint32_t *addr)
{
	struct primary4 p = {.ifindex = ifindex};

	nl_cache_foreach(nl->addrs, primary4_one, &p);
	if (p.found)
		*addr = p.addr;
	return p.found;
}

struct addr_iter {
	void (*cb)(int ifindex, int family, const void *addr, void *ctx);
	void *ctx;
};

static void addr_iter_one(struct nl_object *obj, void *arg)
{
	struct addr_iter *it = arg;
	struct rtnl_addr *a = (struct rtnl_addr *)obj;
	const void *bytes;
	int family;

	if (addr_bytes(a, &family, &bytes))
		it->cb(rtnl_addr_get_ifindex(a), family, bytes, it->ctx);
}

void netlink_foreach_addr(struct netlink *nl,
                          void (*cb)(int ifindex, int family, const void *addr, void *ctx),
                          void *ctx)
{
	struct addr_iter it = {.cb = cb, .ctx = ctx};

	nl_cache_foreach(nl->addrs, addr_iter_one, &it);
}
