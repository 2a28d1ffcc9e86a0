// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ctmap.c - the connection table from user space (see ctmap.h): batched walk of "ct",
 * lookup and deletion of a connection, timeouts.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>

#include "ctmap.h"

#define CTMAP_BATCH_DEFAULT 1024
#define NSEC_PER_SEC        1000000000ULL

/* The map must hold the types this build knows; a pinned map from another tcfw version
 * would otherwise be read as garbage. */
static int ctmap_check_layout(int fd)
{
	struct bpf_map_info info = {0};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	if (info.key_size != sizeof(struct tcfw_tuple) ||
	    info.value_size != sizeof(struct tcfw_ct_entry))
		return -EPROTO;
	return 0;
}

struct ctmap_batch {
	unsigned int cap; /* entries the buffers hold */
	struct tcfw_tuple *keys;
	struct tcfw_ct_entry *vals;
};

static int ctmap_batch_grow(struct ctmap_batch *b, unsigned int cap)
{
	void *k = realloc(b->keys, (size_t)cap * sizeof(*b->keys));

	if (!k)
		return -ENOMEM;
	b->keys = k;
	k = realloc(b->vals, (size_t)cap * sizeof(*b->vals));
	if (!k)
		return -ENOMEM;
	b->vals = k;
	b->cap = cap;
	return 0;
}

int ctmap_walk(const struct ctmap *m, unsigned int batch, ctmap_walk_cb cb, void *ctx)
{
	/* The hash map's batch cursor is a bucket index (u32); a key-sized buffer is ample. */
	struct tcfw_tuple in_batch, out_batch;
	struct ctmap_batch b = {0};
	bool first = true, done = false;
	int ret;

	ret = ctmap_check_layout(m->ct_fd);
	if (ret)
		return ret;
	ret = ctmap_batch_grow(&b, batch ? batch : CTMAP_BATCH_DEFAULT);
	if (ret)
		goto out;

	while (!done) {
		__u32 count = b.cap;

		/* No BPF_F_LOCK: ct values hold no spin lock (LRU maps refuse one); the
		 * datapath changes state with one compare-and-swap, so each field is read whole. */
		ret = bpf_map_lookup_batch(m->ct_fd, first ? NULL : &in_batch, &out_batch, b.keys,
		                           b.vals, &count, NULL);
		if (ret < 0)
			ret = -errno;
		if (ret == -ENOSPC && count == 0) {
			/* One hash bucket holds more entries than the buffer: grow and retry the
			 * same position (libbpf/kernel contract for hash map batches). */
			ret = ctmap_batch_grow(&b, b.cap * 2);
			if (ret)
				goto out;
			continue;
		}
		if (ret == -ENOENT) {
			done = true; /* end of the map; count may still hold the last entries */
			ret = 0;
		} else if (ret < 0) {
			goto out;
		}
		for (__u32 i = 0; i < count; i++) {
			struct tcfw_tuple orig;

			if (b.vals[i].kind != TCFW_CTK_MAIN)
				continue; /* a NAT reply's reference: its connection is walked once
				           */
			tcfw_ct_orig(&orig, &b.keys[i], &b.vals[i]);
			ret = cb(&orig, &b.vals[i], ctx);
			if (ret != 0)
				goto out;
		}
		in_batch = out_batch;
		first = false;
	}
	ret = 0;
out:
	free(b.keys);
	free(b.vals);
	return ret;
}

int ctmap_lookup(const struct ctmap *m, const struct tcfw_tuple *t, struct tcfw_tuple *orig,
                 struct tcfw_ct_entry *e)
{
	struct tcfw_tuple k, o;

	tcfw_ct_key(&k, t);
	if (bpf_map_lookup_elem(m->ct_fd, &k, e))
		return -errno;
	if (e->kind == TCFW_CTK_REF) {
		k = e->main_key;
		if (bpf_map_lookup_elem(m->ct_fd, &k, e))
			return -errno;
		if (e->kind != TCFW_CTK_MAIN)
			return -ENOENT;
	}
	tcfw_ct_orig(&o, &k, e);
	if (memcmp(&o, t, sizeof(o)) && memcmp(&e->reply, t, sizeof(*t)))
		return -ENOENT; /* the same key, but another connection's tuple */
	if (orig)
		*orig = o;
	return 0;
}

int ctmap_delete(const struct ctmap *m, const struct tcfw_tuple *orig,
                 const struct tcfw_ct_entry *e)
{
	struct tcfw_tuple k, rk;
	struct tcfw_ct_entry ref;
	int err_main = 0, err_ref = -ENOENT;

	tcfw_ct_key(&k, orig);
	tcfw_ct_key(&rk, &e->reply);
	/* The main entry first: the reference is also the NAT binding, and freeing it last keeps
	 * the port allocator from handing out a binding that a live entry still uses. */
	if (bpf_map_delete_elem(m->ct_fd, &k))
		err_main = -errno;
	/* The reference key may already belong to a newer connection: only delete it when it
	 * still names this one's main key. */
	if (e->nat_kind && memcmp(&k, &rk, sizeof(k)) &&
	    bpf_map_lookup_elem(m->ct_fd, &rk, &ref) == 0 && ref.kind == TCFW_CTK_REF &&
	    memcmp(&ref.main_key, &k, sizeof(k)) == 0) {
		err_ref = 0;
		if (bpf_map_delete_elem(m->ct_fd, &rk))
			err_ref = -errno;
	}
	if (err_main && err_main != -ENOENT)
		return err_main;
	if (err_ref && err_ref != -ENOENT)
		return err_ref;
	return err_main == 0 || err_ref == 0 ? 0 : -ENOENT;
}

unsigned int ctmap_entries_of(const struct tcfw_tuple *orig, const struct tcfw_ct_entry *e)
{
	struct tcfw_tuple k, rk;

	if (!e->nat_kind)
		return 1;
	tcfw_ct_key(&k, orig);
	tcfw_ct_key(&rk, &e->reply);
	return memcmp(&k, &rk, sizeof(k)) ? 2 : 1;
}

uint64_t ctmap_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

static uint64_t ctmap_timeout_ns(const struct tcfw_ct_entry *e,
                                 const __u32 timeouts[TCFW_CT_STATE_MAX])
{
	/* An unknown state (a newer datapath) gets the generic timeout rather than none. */
	unsigned int state = e->state < TCFW_CT_STATE_MAX ? e->state : TCFW_CT_OTHER_REPLIED;

	return (uint64_t)timeouts[state] * NSEC_PER_SEC;
}

/* The time since a connection's stamp, in whole ticks (a stamp a tick ahead of now's, written
 * after "now" was read, is 0 ago). */
static uint64_t ctmap_since_ns(__u32 tick, uint64_t now_ns)
{
	__u32 now = tcfw_ct_tick(now_ns);

	return (__s32)(now - tick) > 0 ? tcfw_ct_tick_ns(now - tick) : 0;
}

static uint64_t ctmap_idle_ns(const struct tcfw_ct_entry *e, uint64_t now_ns)
{
	return ctmap_since_ns(e->last_seen_tick, now_ns);
}

uint64_t ctmap_age_ns(const struct tcfw_ct_entry *e, uint64_t now_ns)
{
	return ctmap_since_ns(e->created_tick, now_ns);
}

uint64_t ctmap_timeout_left(const struct tcfw_ct_entry *e, const __u32 timeouts[TCFW_CT_STATE_MAX],
                            uint64_t now_ns)
{
	uint64_t timeout = ctmap_timeout_ns(e, timeouts), idle = ctmap_idle_ns(e, now_ns);

	return idle >= timeout ? 0 : (timeout - idle) / NSEC_PER_SEC;
}

bool ctmap_is_expired(const struct tcfw_ct_entry *e, const __u32 timeouts[TCFW_CT_STATE_MAX],
                      uint64_t now_ns)
{
	return ctmap_idle_ns(e, now_ns) > ctmap_timeout_ns(e, timeouts);
}

void ctmap_default_timeouts(__u32 t[TCFW_CT_STATE_MAX])
{
	/* nf_conntrack_proto_tcp.c tcp_timeouts[] */
	t[TCFW_CT_TCP_SYN_SENT] = 120;
	t[TCFW_CT_TCP_SYN_RECV] = 60;
	t[TCFW_CT_TCP_ESTABLISHED] = 5 * 24 * 3600;
	t[TCFW_CT_TCP_FIN_WAIT] = 120;
	t[TCFW_CT_TCP_CLOSE_WAIT] = 60;
	t[TCFW_CT_TCP_LAST_ACK] = 30;
	t[TCFW_CT_TCP_TIME_WAIT] = 120;
	t[TCFW_CT_TCP_CLOSE] = 10;
	t[TCFW_CT_TCP_SYN_SENT2] = 120;
	/* nf_conntrack_proto_udp.c: UDP_CT_UNREPLIED 30s (also until a replied flow has lasted
	 * 2s), UDP_CT_REPLIED 120s for an assured stream. */
	t[TCFW_CT_UDP_UNREPLIED] = 30;
	t[TCFW_CT_UDP_REPLIED] = 30;
	t[TCFW_CT_UDP_ASSURED] = 120;
	/* nf_conntrack_proto_icmp.c / icmpv6.c: 30s */
	t[TCFW_CT_ICMP_UNREPLIED] = 30;
	t[TCFW_CT_ICMP_REPLIED] = 30;
	/* nf_conntrack_proto_generic.c: nf_ct_generic_timeout 600s */
	t[TCFW_CT_OTHER_UNREPLIED] = 600;
	t[TCFW_CT_OTHER_REPLIED] = 600;
	/* No entry should be in NONE; if one is, treat it like an unknown protocol. */
	t[TCFW_CT_NONE] = 600;
}
