// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * dynset_scale.c - dynamic sets at scale: the kernel memory of N elements in a trie shaped as
 * map "dynset" (tcfw_abi.h: LPM, BPF_F_NO_PREALLOC, TCFW_DYNSET_MAX_ELEMS entries), and how
 * long fwd's operations on them take, through the same code (lib/dynset.c).
 *
 *   dynset_scale [--entries N] [--json FILE]
 *
 * Needs root (CAP_BPF), nothing else: it makes its own map, fills it with N IPv4 /32 elements
 * (every fourth one with a timeout already past, the rest without), and measures
 *  - insertion: one dynset_put() each, as `fwctl set add` and a policy's members go in;
 *  - memory: the map's memlock from /proc/self/fdinfo (the trie's own account of its nodes);
 *  - the system's unreclaimable slab before and after (the trie's real footprint, roughly);
 *  - one step of fwd's expiry (dynset_expire_step(), 50,000 elements);
 *  - a walk of every element (`fwctl set list`);
 *  - dynset_expire(): removing the expired quarter;
 *  - dynset_flush(): removing the rest.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "dynset.h"
#include "tcfw_abi.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static unsigned long long memlock(int fd)
{
	char path[64], line[256];
	unsigned long long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "memlock: %llu", &v) == 1)
			break;
	fclose(f);
	return v;
}

/* SUnreclaim of /proc/meminfo, kB: the slab the trie's nodes come from (the whole system's,
 * so other activity adds noise; the trie's own memlock counts its elements, not its inner
 * nodes or the slab's rounding). */
static long long sunreclaim_kb(void)
{
	char line[256];
	long long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "SUnreclaim: %lld kB", &v) == 1)
			break;
	fclose(f);
	return v;
}

static int count_cb(const struct tcfw_dynset_key *k, const struct tcfw_dynset_elem *e, void *ctx)
{
	(void)k;
	(void)e;
	(*(unsigned long *)ctx)++;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"entries", required_argument, NULL, 'n'},
	    {"json", required_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	LIBBPF_OPTS(bpf_map_create_opts, mo, .map_flags = BPF_F_NO_PREALLOC);
	unsigned long n = 1000000, walked = 0;
	const char *json = NULL;
	double t0, t_put, t_walk, t_expire, t_flush, t_step;
	struct dynset_cursor cur = {0};
	long long slab0, slab1;
	long step_removed;
	unsigned long long mem_empty, mem_full;
	long expired, flushed;
	int fd, c;

	while ((c = getopt_long(argc, argv, "n:j:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			n = strtoul(optarg, NULL, 10);
			break;
		case 'j':
			json = optarg;
			break;
		default:
			fprintf(c == 'h' ? stdout : stderr,
			        "usage: dynset_scale [--entries N] [--json FILE]\n");
			return c == 'h' ? 0 : 2;
		}
	}
	if (n == 0 || n > TCFW_DYNSET_MAX_ELEMS) {
		fprintf(stderr, "dynset_scale: --entries from 1 to %d\n", TCFW_DYNSET_MAX_ELEMS);
		return 2;
	}
	fd = bpf_map_create(BPF_MAP_TYPE_LPM_TRIE, "dynset_bench", sizeof(struct tcfw_dynset_key),
	                    sizeof(struct tcfw_dynset_elem), TCFW_DYNSET_MAX_ELEMS, &mo);
	if (fd < 0) {
		fprintf(stderr, "dynset_scale: cannot create the trie: %s (run as root)\n",
		        strerror(errno));
		return 1;
	}
	mem_empty = memlock(fd);
	slab0 = sunreclaim_kb();
	t0 = now_s();
	for (unsigned long i = 0; i < n; i++) {
		/* 10.0.0.0/8 and up, ::ffff:a.b.c.d, /32 each: set 0. */
		__u32 a[4] = {0, 0, htonl(0xffff), htonl(0x0a000000u + (uint32_t)i)};
		int err = dynset_put(fd, 0, a, 128, i % 4 == 0 ? 1 : 0, 0);

		if (err) {
			fprintf(stderr, "dynset_scale: element %lu: %s\n", i, strerror(-err));
			return 1;
		}
	}
	t_put = now_s() - t0;
	mem_full = memlock(fd);
	slab1 = sunreclaim_kb();
	/* One step of fwd's expiry (50,000 elements), from the start. */
	t0 = now_s();
	step_removed = dynset_expire_step(fd, 2, &cur, 50000);
	t_step = now_s() - t0;
	t0 = now_s();
	dynset_walk(fd, -1, count_cb, &walked);
	t_walk = now_s() - t0;
	t0 = now_s();
	expired = dynset_expire(fd, 2);
	t_expire = now_s() - t0;
	t0 = now_s();
	flushed = dynset_flush(fd, 0);
	t_flush = now_s() - t0;
	printf("elements            %lu (walked %lu)\n", n, walked);
	printf("insert              %.2f s (%.0f /s, one update each)\n", t_put, n / t_put);
	printf("memory              %llu bytes (%.1f MiB, %.0f bytes/element; empty %llu)\n",
	       mem_full, mem_full / 1048576.0, (double)(mem_full - mem_empty) / n, mem_empty);
	printf("slab (SUnreclaim)   +%lld kB (%.0f bytes/element, system-wide)\n", slab1 - slab0,
	       (double)(slab1 - slab0) * 1024 / n);
	printf("expiry step         %.3f s for 50000 elements (%ld removed)\n", t_step,
	       step_removed);
	printf("walk                %.2f s\n", t_walk);
	printf("expire (%ld)    %.2f s\n", expired, t_expire);
	printf("flush (%ld)     %.2f s\n", flushed, t_flush);
	if (json) {
		FILE *f = fopen(json, "w");

		if (!f) {
			fprintf(stderr, "dynset_scale: %s: %s\n", json, strerror(errno));
			return 1;
		}
		fprintf(f,
		        "{\"elements\": %lu, \"insert_s\": %.3f, \"memlock_bytes\": %llu, "
		        "\"bytes_per_element\": %.1f, \"walk_s\": %.3f, \"expired\": %ld, "
		        "\"expire_s\": %.3f, \"flushed\": %ld, \"flush_s\": %.3f, "
		        "\"slab_kb\": %lld, \"expiry_step_s\": %.3f}\n",
		        n, t_put, mem_full, (double)(mem_full - mem_empty) / n, t_walk, expired,
		        t_expire, flushed, t_flush, slab1 - slab0, t_step);
		fclose(f);
	}
	close(fd);
	return walked == n - (unsigned long)step_removed &&
	               step_removed + expired + flushed == (long)n
	           ? 0
	           : 1;
}
