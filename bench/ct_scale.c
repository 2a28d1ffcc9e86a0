// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ct_scale.c - the connection table at scale: fill it through the datapath, and measure the
 * established-packet cost at each fill level, and the memory each connection takes.
 *
 *   ct_scale --pin-dir DIR --lan IF --wan IF --entries N [--checkpoints A,B,...]
 *            [--repeat R] [--sample K] [--json FILE]
 *
 * Run inside the gateway's network namespace while fwd runs there (with --ct-max >= N and a
 * policy that accepts forward connections from the LAN). Every connection is opened by the
 * datapath itself, not written into the map: SYN from the LAN, SYN-ACK from the WAN, ACK from
 * the LAN (bench/common/gw.h), so the table holds exactly what real traffic would leave.
 * Connection i goes from 10.10.1.x to 198.18.0.0/15 (RFC 2544's benchmark range), a distinct
 * (address, port) pair per i, so even a translating gateway needs one port per destination.
 *
 * At each checkpoint (connections opened so far):
 *  - hot: one connection's ACK in a kernel loop (repeat R): the lookup with warm caches;
 *  - spread: K connections picked at random among all opened, one call each: lookups that
 *    miss the caches as a big table's do;
 *  - the empty TC program the same two ways, as the floor.
 * Memory: memlock of map ct (/proc/self/fdinfo, what bpftool shows) divided by its size: it is
 * preallocated, so this is the cost of an entry at any fill; a connection without NAT takes one
 * entry, a translated one two.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "json_add.h"
#include "pins.h"

#include "common/fwdclient.h"
#include "common/gw.h"
#include "common/tcrun.h"

#define MAX_CHECKPOINTS 8

struct options {
	const char *pin_dir, *lan, *wan, *json_path;
	uint32_t entries, repeat, sample;
	uint32_t checkpoints[MAX_CHECKPOINTS];
	int ncheckpoints;
};

/* Connection i: a distinct destination (address, port) per i. */
static struct bench_flow4 flow_of(uint32_t i)
{
	struct bench_flow4 f = {
	    .saddr = htonl(0x0a0a0102u + i % 250),       /* 10.10.1.2 .. 10.10.1.251 */
	    .daddr = htonl(0xc6120000u + (i & 0x1ffff)), /* 198.18.0.0/15 */
	    .sport = htons((uint16_t)(20000 + (i >> 17) * 16 + i % 16)),
	    .dport = htons((uint16_t)(1024 + (i >> 17))),
	    .proto = IPPROTO_TCP,
	};
	return f;
}

/* ---- memory ------------------------------------------------------------------------------- */
/* "memlock:" and "max_entries:" of a map fd, from /proc/self/fdinfo. 0, or -1. */
static int map_memlock(int fd, uint64_t *memlock, uint64_t *max_entries)
{
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return -1;
	*memlock = *max_entries = 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long v;

		if (sscanf(line, "memlock: %llu", &v) == 1)
			*memlock = v;
		else if (sscanf(line, "max_entries: %llu", &v) == 1)
			*max_entries = v;
	}
	fclose(f);
	return *memlock && *max_entries ? 0 : -1;
}

static struct json_object *memory_json(const struct bench_gw *gw)
{
	struct json_object *j = json_object_new_object();
	uint64_t ct_mem, ct_max;
	double per_entry;

	if (map_memlock(gw->ct_fd, &ct_mem, &ct_max)) {
		fprintf(stderr, "ct_scale: cannot read the memlock of map ct\n");
		json_object_object_add(j, "error",
		                       json_object_new_string("memlock not readable (see log)"));
		return j;
	}
	/* One table for both directions: a connection without NAT is one entry, a translated
	 * one two (its reply tuple's reference entry, bpf/lib/ct_table.h). */
	per_entry = (double)ct_mem / (double)ct_max;
	json_add_i64(j, "ct_max_entries", (int64_t)ct_max);
	json_add_i64(j, "ct_memlock_bytes", (int64_t)ct_mem);
	json_add_double(j, "bytes_per_entry", per_entry);
	json_add_double(j, "bytes_per_connection", per_entry);
	json_add_double(j, "bytes_per_nat_connection", 2 * per_entry);
	fprintf(stderr,
	        "  memory: ct %.1f MiB for %llu entries = %.0f bytes per connection without NAT, "
	        "%.0f with NAT (two entries)\n",
	        (double)ct_mem / (1 << 20), (unsigned long long)ct_max, per_entry, 2 * per_entry);
	return j;
}

/* ---- measuring ----------------------------------------------------------------------------- */
static int spread_calls(int fd, const struct bench_gw *gw, uint32_t opened, uint32_t sample,
                        unsigned int *seed, struct tcrun_summary *s)
{
	double *v = calloc(sample, sizeof(*v));
	struct __sk_buff ctx;
	struct tcrun_result r;
	struct bench_pkt p;

	if (!v)
		return -1;
	tcrun_ctx_ingress(&ctx, gw->lan_ifindex);
	for (uint32_t k = 0; k < sample; k++) {
		uint32_t i =
		    (uint32_t)(((uint64_t)rand_r(seed) << 16 ^ (uint64_t)rand_r(seed)) % opened);
		struct bench_flow4 f = flow_of(i);

		bench_pkt_build(&p, &f, BENCH_TCP_ACK, 0);
		if (tcrun_run(fd, &p, &ctx, 1, &r, NULL,
		              "established ACK of a random connection")) {
			free(v);
			return -1;
		}
		if (fd == gw->ingress_lan_fd && r.retval != TC_ACT_OK) {
			fprintf(stderr,
			        "ct_scale: the ACK of connection %u got TC action %u, "
			        "expected TC_ACT_OK (evicted from the table?)\n",
			        i, r.retval);
			free(v);
			return -1;
		}
		v[k] = r.duration;
	}
	tcrun_summarize(v, sample, s);
	free(v);
	return 0;
}

static struct json_object *checkpoint(const struct bench_gw *gw, int empty_fd,
                                      const struct options *o, uint32_t opened)
{
	struct json_object *j = json_object_new_object();
	struct bench_flow4 f0 = flow_of(0);
	struct tcrun_summary spread, empty_spread;
	struct tcrun_result r_hot, r_empty;
	unsigned int seed = 42, seed_empty = 42;
	struct __sk_buff ctx;
	struct bench_pkt p;

	json_add_i64(j, "connections", opened);
	bench_pkt_build(&p, &f0, BENCH_TCP_ACK, 0);
	tcrun_ctx_ingress(&ctx, gw->lan_ifindex);
	if (tcrun_run(gw->ingress_lan_fd, &p, &ctx, o->repeat, &r_hot, NULL, "hot ACK loop") ||
	    tcrun_run(empty_fd, &p, &ctx, o->repeat, &r_empty, NULL, "empty program loop") ||
	    spread_calls(gw->ingress_lan_fd, gw, opened, o->sample, &seed, &spread) ||
	    spread_calls(empty_fd, gw, opened, o->sample, &seed_empty, &empty_spread)) {
		json_object_object_add(j, "error", json_object_new_string("measurement failed"));
		return j;
	}
	json_add_double(j, "hot_loop_ns", r_hot.duration);
	json_add_double(j, "empty_loop_ns", r_empty.duration);
	json_add_double(j, "spread_p50_ns", spread.p50);
	json_add_double(j, "spread_p90_ns", spread.p90);
	json_add_double(j, "spread_p99_ns", spread.p99);
	json_add_double(j, "spread_mean_ns", spread.mean);
	json_add_double(j, "empty_per_call_p50_ns", empty_spread.p50);
	fprintf(stderr,
	        "  %u connections: established ACK %u ns (hot loop; empty program %u), random "
	        "connections %.0f ns p50 / %.0f p99 per call (empty program %.0f)\n",
	        opened, r_hot.duration, r_empty.duration, spread.p50, spread.p99, empty_spread.p50);
	return j;
}

/* ---- options -------------------------------------------------------------------------------- */
static void usage(FILE *f)
{
	fprintf(f,
	        "usage: ct_scale --pin-dir DIR --lan IF --wan IF --entries N\n"
	        "                [--checkpoints A,B,...] [--repeat R] [--sample K] [--json FILE]\n"
	        "Run inside the gateway's network namespace, with fwd running there.\n"
	        "  --entries N       connections to open through the datapath\n"
	        "  --checkpoints     fill levels at which to measure (default: 1000,N)\n"
	        "  --repeat R        kernel loop length of the hot measurement (default 1000000)\n"
	        "  --sample K        random connections per spread measurement (default 20000)\n");
}

static int parse_checkpoints(char *arg, struct options *o)
{
	for (char *tok = strtok(arg, ","); tok; tok = strtok(NULL, ",")) {
		if (o->ncheckpoints >= MAX_CHECKPOINTS)
			return -1;
		o->checkpoints[o->ncheckpoints++] = (uint32_t)strtoul(tok, NULL, 10);
	}
	return 0;
}

static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
	    {"pin-dir", required_argument, NULL, 'p'},
	    {"lan", required_argument, NULL, 'l'},
	    {"wan", required_argument, NULL, 'w'},
	    {"entries", required_argument, NULL, 'n'},
	    {"checkpoints", required_argument, NULL, 'c'},
	    {"repeat", required_argument, NULL, 'r'},
	    {"sample", required_argument, NULL, 's'},
	    {"json", required_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->repeat = 1000000;
	o->sample = 20000;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			o->pin_dir = optarg;
			break;
		case 'l':
			o->lan = optarg;
			break;
		case 'w':
			o->wan = optarg;
			break;
		case 'j':
			o->json_path = optarg;
			break;
		case 'n':
			o->entries = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'r':
			o->repeat = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 's':
			o->sample = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'c':
			if (parse_checkpoints(optarg, o)) {
				fprintf(stderr, "ct_scale: at most %d checkpoints\n",
				        MAX_CHECKPOINTS);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!o->pin_dir || !o->lan || !o->wan || !o->entries || !o->repeat || !o->sample ||
	    o->entries > (1u << 17) * 2000) {
		usage(stderr);
		return 2;
	}
	if (!o->ncheckpoints) {
		o->checkpoints[o->ncheckpoints++] = o->entries < 1000 ? o->entries : 1000;
		if (o->entries > 1000)
			o->checkpoints[o->ncheckpoints++] = o->entries;
	}
	for (int i = 0; i < o->ncheckpoints; i++)
		if (!o->checkpoints[i] || o->checkpoints[i] > o->entries ||
		    (i && o->checkpoints[i] <= o->checkpoints[i - 1])) {
			fprintf(stderr,
			        "ct_scale: checkpoints must rise, from 1 to --entries (%u)\n",
			        o->entries);
			return 2;
		}
	return 0;
}

/* ---- main ------------------------------------------------------------------------------------ */
/* Progress: a line rewritten in place on a terminal, a line per quarter in a log. */
static void show_progress(uint32_t done, uint32_t total, bool tty)
{
	uint32_t step = tty ? total / 20 : total / 4;

	if (step && done % step == 0)
		fprintf(stderr,
		        tty ? "\r  filling: %u / %u connections"
		            : "  filling: %u / %u connections\n",
		        done, total);
}

static int fill(const struct bench_gw *gw, uint32_t from, uint32_t to, uint32_t total, double *ms)
{
	bool tty = isatty(STDERR_FILENO);
	double t0 = bench_now_ms();

	for (uint32_t i = from; i < to; i++) {
		struct bench_flow4 f = flow_of(i);

		char why[256];

		if (bench_tcp_open(gw, &f, why, sizeof(why))) {
			fprintf(stderr, "ct_scale: connection %u of %u could not be opened: %s\n",
			        i + 1, total, why);
			return -1;
		}
		show_progress(i + 1, total, tty);
	}
	*ms += bench_now_ms() - t0;
	if (tty)
		fprintf(stderr, "\r");
	return 0;
}

int main(int argc, char **argv)
{
	struct json_object *root, *arr;
	struct options o;
	struct bench_gw gw;
	double fill_ms = 0;
	uint32_t opened = 0;
	int empty_fd, rc = parse_options(argc, argv, &o);

	if (rc)
		return rc;
	if (bench_gw_open(&gw, o.lan, o.wan, o.pin_dir))
		return 1;
	empty_fd = tcrun_load_empty_prog();
	if (empty_fd < 0) {
		bench_gw_close(&gw);
		return 1;
	}
	root = json_object_new_object();
	arr = json_object_new_array();
	fprintf(stderr, "ct_scale: opening %u connections through the datapath\n", o.entries);
	for (int c = 0; c < o.ncheckpoints; c++) {
		if (fill(&gw, opened, o.checkpoints[c], o.entries, &fill_ms)) {
			rc = 1;
			break;
		}
		opened = o.checkpoints[c];
		json_object_array_add(arr, checkpoint(&gw, empty_fd, &o, opened));
	}
	json_object_object_add(root, "checkpoints", arr);
	json_add_i64(root, "opened", opened);
	json_add_double(root, "fill_s", fill_ms / 1e3);
	json_object_object_add(root, "memory", memory_json(&gw));
	close(empty_fd);
	bench_gw_close(&gw);

	if (bench_write_json("ct_scale", o.json_path, root))
		rc = 1;
	json_object_put(root);
	return rc;
}
