// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * dp_env.c - what the cases stand on: the private network namespace with its two
 * interfaces, running packets through the loaded programs, reading and writing the maps as
 * fwd would.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/neighbour.h>
#include <netlink/route/route.h>

#include "ctmap.h"
#include "names.h"
#include "tcfw.skel.h"

#include "dp.h"
#include "tcrun.h"
#include "dp_env.h"

void dp_fail(struct dp *t, const char *step, const char *fmt, ...)
{
	va_list ap;

	t->failures++;
	fprintf(stderr, "FAIL %s: %s: ", t->name, step);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ---- the network namespace ----------------------------------------------------------------- */
static int write_sysctl(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0) {
		fprintf(stderr, "dp_test: cannot open %s: %s\n", path, strerror(errno));
		return -1;
	}
	n = write(fd, value, strlen(value));
	close(fd);
	if (n != (ssize_t)strlen(value)) {
		fprintf(stderr, "dp_test: cannot write %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Apply change (flags, address) to the link called name; what says what for an error. */
static int change_link(struct nl_sock *sk, const char *name, struct rtnl_link *change,
                       const char *what)
{
	struct nl_cache *cache = NULL;
	struct rtnl_link *cur = NULL;
	int err;

	err = rtnl_link_alloc_cache(sk, AF_UNSPEC, &cache);
	if (err < 0)
		goto out;
	cur = rtnl_link_get_by_name(cache, name);
	if (!cur) {
		err = -NLE_OBJ_NOTFOUND;
		goto out;
	}
	err = rtnl_link_change(sk, cur, change, 0);
out:
	if (err < 0)
		fprintf(stderr, "dp_test: cannot %s %s: %s\n", what, name, nl_geterror(err));
	if (cur)
		rtnl_link_put(cur);
	if (cache)
		nl_cache_free(cache);
	return err < 0 ? -1 : 0;
}

static int link_up(struct nl_sock *sk, const char *name)
{
	struct rtnl_link *change = rtnl_link_alloc();
	int err;

	if (!change)
		return -1;
	rtnl_link_set_flags(change, IFF_UP);
	err = change_link(sk, name, change, "set up");
	rtnl_link_put(change);
	return err;
}

/* The gateway's MAC (dp.h: DP_GW_MAC) on name, so that packets pkt_eth() addresses to it
 * are PACKET_HOST when a test run receives them, as on a real gateway. */
static int set_mac(struct nl_sock *sk, const char *name)
{
	static const uint8_t gw[6] = DP_GW_MAC;
	struct rtnl_link *change = rtnl_link_alloc();
	struct nl_addr *mac = nl_addr_build(AF_LLC, gw, sizeof(gw));
	int err = -1;

	if (change && mac) {
		rtnl_link_set_addr(change, mac);
		err = change_link(sk, name, change, "set the MAC of");
	}
	if (mac)
		nl_addr_put(mac);
	if (change)
		rtnl_link_put(change);
	return err;
}

/* A permanent neighbour entry, new or replacing one: addr is at mac[5] (02:00:00:00:00:mac5)
 * behind ifindex. */
static int add_neigh(struct nl_sock *sk, int ifindex, const char *addr, uint8_t mac5)
{
	const uint8_t mac[6] = {0x02, 0, 0, 0, 0, mac5};
	int family = strchr(addr, ':') ? AF_INET6 : AF_INET;
	struct rtnl_neigh *n = rtnl_neigh_alloc();
	struct nl_addr *dst = NULL, *ll = nl_addr_build(AF_LLC, mac, sizeof(mac));
	int err = -NLE_NOMEM;

	if (!n || !ll)
		goto out;
	err = nl_addr_parse(addr, family, &dst);
	if (err < 0)
		goto out;
	rtnl_neigh_set_ifindex(n, ifindex);
	rtnl_neigh_set_dst(n, dst);
	rtnl_neigh_set_lladdr(n, ll);
	rtnl_neigh_set_state(n, NUD_PERMANENT);
	err = rtnl_neigh_add(sk, n, NLM_F_CREATE | NLM_F_REPLACE);
out:
	if (err < 0)
		fprintf(stderr, "dp_test: cannot add neighbour %s: %s\n", addr, nl_geterror(err));
	if (dst)
		nl_addr_put(dst);
	if (ll)
		nl_addr_put(ll);
	if (n)
		rtnl_neigh_put(n);
	return err < 0 ? -1 : 0;
}

/* A veth pair, both ends up (the peer stays in this namespace; it only gives carrier). */
static int veth_up(struct nl_sock *sk, const char *name, const char *peer)
{
	int err = rtnl_link_veth_add(sk, name, peer, getpid());

	if (err < 0) {
		fprintf(stderr, "dp_test: cannot create veth pair %s/%s: %s\n", name, peer,
		        nl_geterror(err));
		return -1;
	}
	return link_up(sk, name) || link_up(sk, peer) ? -1 : 0;
}

static int add_addr(struct nl_sock *sk, int ifindex, const char *cidr)
{
	int family = strchr(cidr, ':') ? AF_INET6 : AF_INET;
	struct rtnl_addr *a = rtnl_addr_alloc();
	struct nl_addr *local = NULL;
	int err;

	if (!a)
		return -1;
	err = nl_addr_parse(cidr, family, &local);
	if (err >= 0) {
		rtnl_addr_set_ifindex(a, ifindex);
		rtnl_addr_set_local(a, local);
		if (family == AF_INET6)
			rtnl_addr_set_flags(a, IFA_F_NODAD);
		err = rtnl_addr_add(sk, a, 0);
	}
	if (err < 0)
		fprintf(stderr, "dp_test: cannot add address %s: %s\n", cidr, nl_geterror(err));
	if (local)
		nl_addr_put(local);
	rtnl_addr_put(a);
	return err < 0 ? -1 : 0;
}

/* A link-scope route to cidr out of ifindex; mtu 0: the device's, else a locked mtu (only a
 * locked route MTU applies to forwarded packets, in the kernel as in bpf_fib_lookup()). */
static int add_route(struct nl_sock *sk, int ifindex, const char *cidr, unsigned int mtu)
{
	int family = strchr(cidr, ':') ? AF_INET6 : AF_INET;
	struct rtnl_route *r = rtnl_route_alloc();
	struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
	struct nl_addr *dst = NULL;
	int err;

	if (!r || !nh)
		return -1;
	err = nl_addr_parse(cidr, family, &dst);
	if (err >= 0) {
		rtnl_route_set_family(r, (uint8_t)family);
		rtnl_route_set_dst(r, dst);
		rtnl_route_set_scope(r, RT_SCOPE_LINK);
		if (mtu) {
			rtnl_route_set_metric(r, RTAX_MTU, mtu);
			rtnl_route_set_metric(r, RTAX_LOCK, 1u << RTAX_MTU);
		}
		rtnl_route_nh_set_ifindex(nh, ifindex);
		rtnl_route_add_nexthop(r, nh);
		nh = NULL; /* owned by the route now */
		err = rtnl_route_add(sk, r, NLM_F_CREATE);
	}
	if (err < 0)
		fprintf(stderr, "dp_test: cannot add route %s: %s\n", cidr, nl_geterror(err));
	if (dst)
		nl_addr_put(dst);
	if (nh)
		rtnl_route_nh_free(nh);
	rtnl_route_put(r);
	return err < 0 ? -1 : 0;
}

int dp_env_setup(struct dp_env *env)
{
	struct nl_sock *sk;
	int err = -1;

	if (unshare(CLONE_NEWNET)) {
		fprintf(stderr,
		        "dp_test: cannot create a private network namespace: %s (run as root)\n",
		        strerror(errno));
		return -1;
	}
	/* Forwarding on first, so that the new interfaces inherit it (bpf_fib_lookup answers
	 * "forwarding disabled" otherwise). */
	if (write_sysctl("/proc/sys/net/ipv4/ip_forward", "1") ||
	    write_sysctl("/proc/sys/net/ipv6/conf/all/forwarding", "1") ||
	    write_sysctl("/proc/sys/net/ipv6/conf/default/forwarding", "1"))
		return -1;

	sk = nl_socket_alloc();
	if (!sk || nl_connect(sk, NETLINK_ROUTE) < 0) {
		fprintf(stderr, "dp_test: cannot open a route netlink socket\n");
		goto out;
	}
	if (link_up(sk, "lo") || veth_up(sk, "lan0", "lan0p") || veth_up(sk, "wan0", "wan0p") ||
	    set_mac(sk, "lan0") || set_mac(sk, "wan0"))
		goto out;
	env->ifindex_lan = (int)if_nametoindex("lan0");
	env->ifindex_wan = (int)if_nametoindex("wan0");
	if (!env->ifindex_lan || !env->ifindex_wan)
		goto out;
	if (add_addr(sk, env->ifindex_lan, "192.0.2.1/24") ||
	    add_addr(sk, env->ifindex_lan, "2001:db8:1::1/64") ||
	    add_addr(sk, env->ifindex_wan, "198.51.100.1/24") ||
	    add_addr(sk, env->ifindex_wan, "2001:db8:2::1/64") ||
	    add_route(sk, env->ifindex_wan, "203.0.113.0/24", 0) ||
	    add_route(sk, env->ifindex_wan, "2001:db8:3::/64", 0) ||
	    add_route(sk, env->ifindex_wan, DP_FP_SERVER_MTU "/32", DP_FP_ROUTE_MTU) ||
	    add_neigh(sk, env->ifindex_lan, DP_FP_CLIENT, DP_FP_CLIENT_MAC5) ||
	    add_neigh(sk, env->ifindex_lan, DP_FP_CLIENT6, DP_FP_CLIENT_MAC5) ||
	    add_neigh(sk, env->ifindex_wan, DP_FP_SERVER, DP_FP_SERVER_MAC5) ||
	    add_neigh(sk, env->ifindex_wan, DP_FP_SERVER6, DP_FP_SERVER_MAC5) ||
	    add_neigh(sk, env->ifindex_wan, DP_FP_SERVER_MTU, DP_FP_SERVER_MAC5) ||
	    add_neigh(sk, env->ifindex_wan, DP_FP_SERVER_MOVES, DP_FP_SERVER_MAC5))
		goto out;
	err = 0;
out:
	if (sk)
		nl_socket_free(sk);
	return err;
}

void dp_set_neigh(struct dp *t, int ifindex, const char *addr, uint8_t mac5)
{
	struct nl_sock *sk = nl_socket_alloc();

	if (!sk || nl_connect(sk, NETLINK_ROUTE) < 0 || add_neigh(sk, ifindex, addr, mac5))
		dp_fail(t, "setup", "cannot set the neighbour entry of %s", addr);
	if (sk)
		nl_socket_free(sk);
}

/* ---- the skeleton --------------------------------------------------------------------------- */
static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level != LIBBPF_WARN && !getenv("DP_VERBOSE"))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

int dp_env_load(struct dp *t)
{
	int err;

	libbpf_set_print(libbpf_quiet);
	t->skel = tcfw__open();
	if (!t->skel) {
		fprintf(stderr, "dp_test: cannot open the skeleton: %s\n", strerror(errno));
		return -1;
	}
	/* Small tables load faster; the size is fwd's choice anyway (--ct-max). */
	bpf_map__set_max_entries(t->skel->maps.ct, 4096);
	err = tcfw__load(t->skel);
	if (err) {
		fprintf(stderr,
		        "dp_test: cannot load the datapath: %s (DP_VERBOSE=1 shows the verifier "
		        "log)\n",
		        strerror(-err));
		tcfw__destroy(t->skel);
		t->skel = NULL;
		return -1;
	}
	return 0;
}

void dp_env_unload(struct dp *t)
{
	tcfw__destroy(t->skel);
	t->skel = NULL;
}

/* ---- running packets ------------------------------------------------------------------------ */
int dp_prog_fd(struct dp *t, enum dp_hook hook)
{
	bool ingress = hook == DP_INGRESS_LAN || hook == DP_INGRESS_WAN;

	return bpf_program__fd(ingress ? t->skel->progs.tcfw_ingress : t->skel->progs.tcfw_egress);
}

void dp_ctx(struct dp *t, enum dp_hook hook, struct __sk_buff *ctx)
{
	switch (hook) {
	case DP_INGRESS_LAN:
		tcrun_ctx_ingress(ctx, t->ifindex_lan);
		break;
	case DP_INGRESS_WAN:
		tcrun_ctx_ingress(ctx, t->ifindex_wan);
		break;
	case DP_EGRESS_LOCAL_WAN:
		tcrun_ctx_egress(ctx, t->ifindex_wan, 0);
		break;
	case DP_EGRESS_LOCAL_LAN:
		tcrun_ctx_egress(ctx, t->ifindex_lan, 0);
		break;
	case DP_EGRESS_FWD_WAN:
		tcrun_ctx_egress(ctx, t->ifindex_wan, t->ifindex_lan);
		break;
	case DP_EGRESS_FWD_LAN:
		tcrun_ctx_egress(ctx, t->ifindex_lan, t->ifindex_wan);
		break;
	}
}

int dp_run(struct dp *t, const char *step, enum dp_hook hook, const struct pkt *p)
{
	return dp_run_out(t, step, hook, p, NULL, NULL);
}

int dp_run_out(struct dp *t, const char *step, enum dp_hook hook, const struct pkt *p,
               struct pkt *out, struct __sk_buff *ctx)
{
	struct __sk_buff own;
	struct tcrun_result res;
	int err;

	if (!ctx) {
		dp_ctx(t, hook, &own);
		ctx = &own;
	}
	err = tcrun_test_run(dp_prog_fd(t, hook), p->b, p->len, ctx, 1, out, &res);
	if (err) {
		dp_fail(t, step, "bpf_prog_test_run_opts: %s", strerror(-err));
		return -1;
	}
	return (int)res.retval;
}

static const char *tc_name(int action)
{
	return action == TC_OK         ? "TC_ACT_OK"
	       : action == TC_SHOT     ? "TC_ACT_SHOT"
	       : action == TC_REDIRECT ? "TC_ACT_REDIRECT"
	                               : "?";
}

void dp_send(struct dp *t, const char *step, enum dp_hook hook, const struct pkt *p, int want)
{
	int got = dp_run(t, step, hook, p);

	if (got >= 0 && got != want)
		dp_fail(t, step, "verdict: expected %s, got %s (%d)", tc_name(want), tc_name(got),
		        got);
}

void dp_flow(struct dp *t, const char *step, enum dp_hook hook, const struct flow *f, int dir,
             uint8_t tcp_flags, int want)
{
	struct pkt p;

	pkt_flow(&p, f, dir, tcp_flags);
	dp_send(t, step, hook, &p, want);
}

/* ---- maps ------------------------------------------------------------------------------------ */
static void addr_of(uint32_t a[4], int family, const char *text)
{
	memset(a, 0, 16);
	if (family == 4) {
		a[2] = htonl(0xffff);
		inet_pton(AF_INET, text, &a[3]);
	} else {
		inet_pton(AF_INET6, text, a);
	}
}

void dp_tuple(struct tcfw_tuple *tu, const struct flow *f, int dir)
{
	bool orig = dir == TCFW_DIR_ORIG;
	uint16_t sport = orig ? f->sport : f->dport, dport = orig ? f->dport : f->sport;

	memset(tu, 0, sizeof(*tu));
	addr_of(tu->src, f->family, orig ? f->src : f->dst);
	addr_of(tu->dst, f->family, orig ? f->dst : f->src);
	tu->proto = f->proto;
	tu->family = f->family == 4 ? TCFW_AF_INET : TCFW_AF_INET6;
	if (f->proto == IPPROTO_TCP || f->proto == IPPROTO_UDP) {
		tu->sport = htons(sport);
		tu->dport = htons(dport);
	} else if (f->proto == IPPROTO_ICMP || f->proto == IPPROTO_ICMPV6) {
		tu->sport = orig ? htons(f->sport) : 0;
		tu->dport = orig ? 0 : htons(f->sport);
	}
}

bool dp_conn_of(struct dp *t, const struct tcfw_tuple *orig, struct tcfw_ct_entry *e)
{
	struct tcfw_tuple key, o;

	tcfw_ct_key(&key, orig);
	if (bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.ct), &key, e) || e->kind != TCFW_CTK_MAIN)
		return false;
	/* The same key holds the connection whose orig tuple is ours, not its reverse. */
	tcfw_ct_orig(&o, &key, e);
	return memcmp(&o, orig, sizeof(o)) == 0;
}

bool dp_conn(struct dp *t, const struct flow *f, struct tcfw_ct_entry *e)
{
	struct tcfw_tuple orig;

	dp_tuple(&orig, f, TCFW_DIR_ORIG);
	return dp_conn_of(t, &orig, e);
}

bool dp_ct_ref(struct dp *t, const struct tcfw_tuple *tu, struct tcfw_tuple *main_key)
{
	struct tcfw_tuple key;
	struct tcfw_ct_entry e;

	tcfw_ct_key(&key, tu);
	if (bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.ct), &key, &e) || e.kind != TCFW_CTK_REF)
		return false;
	if (main_key)
		*main_key = e.main_key;
	return true;
}

int dp_ct_delete(struct dp *t, const struct tcfw_tuple *tu)
{
	struct tcfw_tuple key;

	tcfw_ct_key(&key, tu);
	return bpf_map_delete_elem(bpf_map__fd(t->skel->maps.ct), &key) ? -errno : 0;
}

int dp_ct_insert(struct dp *t, const struct tcfw_tuple *orig, const struct tcfw_ct_entry *e)
{
	struct tcfw_tuple key;

	tcfw_ct_key(&key, orig);
	return bpf_map_update_elem(bpf_map__fd(t->skel->maps.ct), &key, e, BPF_NOEXIST) ? -errno
	                                                                                : 0;
}

void dp_expect_conn(struct dp *t, const char *step, const struct flow *f, unsigned int state,
                    unsigned int flags, struct tcfw_ct_entry *out)
{
	struct tcfw_tuple orig, reply;
	struct tcfw_ct_entry e;

	dp_tuple(&orig, f, TCFW_DIR_ORIG);
	dp_tuple(&reply, f, TCFW_DIR_REPLY);
	if (!dp_conn(t, f, &e)) {
		dp_fail(t, step, "connection %s -> %s: expected in map ct (state %s), not there",
		        f->src, f->dst, ct_state_name(state));
		return;
	}
	if (out)
		*out = e;
	if (e.state != state)
		dp_fail(t, step, "connection state: expected %s (%u), got %s (%u)",
		        ct_state_name(state), state, ct_state_name(e.state), e.state);
	if ((e.flags & flags) != flags)
		dp_fail(t, step, "connection flags: expected 0x%x set, got 0x%x", flags, e.flags);
	if (memcmp(&e.reply, &reply, sizeof(reply)))
		dp_fail(t, step, "connection reply tuple: not the reversed orig tuple");
	if (e.nat_kind)
		dp_fail(t, step, "connection: translated (nat_kind 0x%x), expected no NAT",
		        e.nat_kind);
}

void dp_expect_no_conn(struct dp *t, const char *step, const struct flow *f)
{
	struct tcfw_tuple reply;
	struct tcfw_ct_entry e;

	if (dp_conn(t, f, &e))
		dp_fail(t, step, "connection %s -> %s: expected none, found one in state %s",
		        f->src, f->dst, ct_state_name(e.state));
	/* A connection opened the other way round (from f's reply tuple) shares the key and
	 * is another connection; only a reference entry of f's reply would be f's. */
	dp_tuple(&reply, f, TCFW_DIR_REPLY);
	if (dp_ct_ref(t, &reply, NULL))
		dp_fail(t, step,
		        "connection %s -> %s: expected no reference entry for its reply, "
		        "found one",
		        f->src, f->dst);
}

__u32 dp_now_tick(void)
{
	return tcfw_ct_tick(ctmap_now_ns());
}

void dp_set_last_seen(struct dp *t, const struct flow *f, __u32 last_seen_tick)
{
	struct tcfw_ct_entry e;
	struct tcfw_tuple orig, key;

	dp_tuple(&orig, f, TCFW_DIR_ORIG);
	tcfw_ct_key(&key, &orig);
	if (!dp_conn(t, f, &e)) {
		dp_fail(t, "set last_seen_tick", "no connection %s -> %s to change", f->src,
		        f->dst);
		return;
	}
	e.last_seen_tick = last_seen_tick;
	if (bpf_map_update_elem(bpf_map__fd(t->skel->maps.ct), &key, &e, BPF_EXIST))
		dp_fail(t, "set last_seen_tick", "cannot write map ct: %s", strerror(errno));
}

void dp_put_conn(struct dp *t, const struct flow *f, const struct tcfw_ct_entry *e)
{
	struct tcfw_tuple orig, key;

	dp_tuple(&orig, f, TCFW_DIR_ORIG);
	tcfw_ct_key(&key, &orig);
	if (bpf_map_update_elem(bpf_map__fd(t->skel->maps.ct), &key, e, BPF_EXIST))
		dp_fail(t, "rewrite connection", "cannot write map ct: %s", strerror(errno));
}

/* Entries of map ct of kind `kind` (enum tcfw_ct_kind). */
static unsigned int count_kind(int fd, __u8 kind)
{
	struct tcfw_tuple key, next;
	struct tcfw_ct_entry e;
	unsigned int n = 0;
	void *prev = NULL;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		if (bpf_map_lookup_elem(fd, &next, &e) == 0 && e.kind == kind)
			n++;
		key = next;
		prev = &key;
	}
	return n;
}

unsigned int dp_count_ct(struct dp *t)
{
	return count_kind(bpf_map__fd(t->skel->maps.ct), TCFW_CTK_MAIN);
}

unsigned int dp_count_ct_refs(struct dp *t)
{
	return count_kind(bpf_map__fd(t->skel->maps.ct), TCFW_CTK_REF);
}

uint64_t dp_percpu_sum(int map_fd, __u32 key)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t *v, sum = 0;

	if (ncpu <= 0)
		return UINT64_MAX;
	v = calloc((size_t)ncpu, sizeof(*v));
	if (!v)
		return UINT64_MAX;
	if (bpf_map_lookup_elem(map_fd, &key, v) == 0)
		for (int i = 0; i < ncpu; i++)
			sum += v[i];
	else
		sum = UINT64_MAX;
	free(v);
	return sum;
}

uint64_t dp_stat(struct dp *t, unsigned int stat)
{
	return dp_percpu_sum(bpf_map__fd(t->skel->maps.stats), stat);
}

void dp_expect_stat(struct dp *t, const char *step, unsigned int stat, uint64_t want)
{
	uint64_t got = dp_stat(t, stat);

	if (got != want)
		dp_fail(t, step, "counter %s: expected %llu, got %llu", stat_name(stat),
		        (unsigned long long)want, (unsigned long long)got);
}

void dp_expect_drops(struct dp *t, const char *step, unsigned int reason, unsigned int chain,
                     uint64_t want)
{
	uint64_t got =
	    dp_percpu_sum(bpf_map__fd(t->skel->maps.drops), TCFW_DROP_INDEX(reason, chain));

	if (got != want)
		dp_fail(t, step, "map drops, reason %u chain %s: expected %llu, got %llu", reason,
		        chain == TCFW_DROP_CHAIN_NONE ? "none" : chain_name(chain),
		        (unsigned long long)want, (unsigned long long)got);
}

/* ---- configuration --------------------------------------------------------------------------- */
static void update_or_fail(struct dp *t, int fd, const void *key, const void *val, const char *what)
{
	if (bpf_map_update_elem(fd, key, val, BPF_ANY))
		dp_fail(t, "setup", "cannot write %s: %s", what, strerror(errno));
}

void dp_set_config(struct dp *t, uint32_t policy_active, uint32_t flags)
{
	struct tcfw_config c = {.policy_active = policy_active, .flags = flags};
	__u32 zero = 0;

	update_or_fail(t, bpf_map__fd(t->skel->maps.config), &zero, &c, "map config");
}

void dp_set_nexthop_cache(struct dp *t, uint32_t us)
{
	int fd = bpf_map__fd(t->skel->maps.config);
	struct tcfw_config c;
	__u32 zero = 0;

	if (bpf_map_lookup_elem(fd, &zero, &c)) {
		dp_fail(t, "setup", "cannot read map config: %s", strerror(errno));
		return;
	}
	c.nexthop_cache_us = us;
	update_or_fail(t, fd, &zero, &c, "map config");
}

void dp_set_policy(struct dp *t, uint32_t copy, uint8_t input, uint8_t forward, uint8_t output,
                   uint8_t invalid)
{
	struct tcfw_policy_meta m = {0};

	m.generation = 1;
	m.default_verdict[TCFW_CHAIN_INPUT] = input;
	m.default_verdict[TCFW_CHAIN_FORWARD] = forward;
	m.default_verdict[TCFW_CHAIN_OUTPUT] = output;
	m.invalid_verdict = invalid;
	update_or_fail(t, bpf_map__fd(t->skel->maps.pol_meta), &copy, &m, "map pol_meta");
}

void dp_add_local_addr(struct dp *t, const char *addr, int ifindex)
{
	struct tcfw_addr_key k;
	__u32 ifi = (__u32)ifindex;

	addr_of(k.addr, strchr(addr, ':') ? 6 : 4, addr);
	update_or_fail(t, bpf_map__fd(t->skel->maps.local_addrs), &k, &ifi, "map local_addrs");
}

void dp_set_zone(struct dp *t, int ifindex, uint8_t zone_copy0, uint8_t zone_copy1)
{
	struct tcfw_iface ifc = {.zone = {zone_copy0, zone_copy1}};
	__u32 key = (__u32)ifindex;

	update_or_fail(t, bpf_map__fd(t->skel->maps.ifaces), &key, &ifc, "map ifaces");
}
