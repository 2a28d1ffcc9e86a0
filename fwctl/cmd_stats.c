// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * cmd_stats.c - `fwctl stats`: the datapath's per-CPU counters (map "stats", one slot per
 * enum tcfw_stat), read in one batch, summed over CPUs, printed with their names and, with -v,
 * what each counts.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "log.h"
#include "fwctl.h"
#include "maps.h"
#include "names.h"
#include "out.h"
#include "percpu.h"

struct counters {
	unsigned int n;
	__u64 *sum; /* [n], summed over CPUs */
};

/* Read every slot of the per-CPU array, summed over the CPUs. */
static int read_counters(int fd, const char *path, struct counters *c)
{
	struct bpf_map_info info = {0};
	__u32 len = sizeof(info);
	int err;

	if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0) {
		pr_warn("cannot inspect %s: %s", path, strerror(errno));
		return FWCTL_EXIT_FAILURE;
	}
	c->n = info.max_entries;
	c->sum = calloc(c->n ? c->n : 1, sizeof(*c->sum));
	if (!c->sum) {
		pr_warn("out of memory reading %s", path);
		return FWCTL_EXIT_FAILURE;
	}
	err = percpu_sum_range(fd, 0, c->n, c->sum);
	if (err) {
		pr_warn("cannot read the counters in %s: %s", path, strerror(-err));
		return FWCTL_EXIT_FAILURE;
	}
	return FWCTL_EXIT_OK;
}

static unsigned int digits(uint64_t v)
{
	unsigned int d = 1;

	while (v >= 10) {
		v /= 10;
		d++;
	}
	return d;
}

static void print_counters(struct fwctl *fw, const struct counters *c, bool from_fwd)
{
	int name_w = 0, value_w = 1;
	char other[32], value_fmt[16];

	for (unsigned int i = 0; i < c->n; i++) {
		int l = i < TCFW_STAT_MAX ? (int)strlen(stat_name(i)) : (int)sizeof("stat_99999");

		name_w = l > name_w ? l : name_w;
		value_w = (int)digits(c->sum[i]) > value_w ? (int)digits(c->sum[i]) : value_w;
	}
	snprintf(value_fmt, sizeof(value_fmt), "%%%d%s", value_w, PRIu64);
	out_open_object(NULL);
	for (unsigned int i = 0; i < c->n; i++) {
		/* A counter added by a newer datapath still shows, by its slot number. */
		const char *name = i < TCFW_STAT_MAX ? stat_name(i) : other;

		if (i >= TCFW_STAT_MAX)
			snprintf(other, sizeof(other), "stat_%u", i);
		out_text("%-*s  ", name_w, name);
		out_uint(name, value_fmt, c->sum[i]);
		if (fw->verbose)
			out_text("  %s", i < TCFW_STAT_MAX
			                     ? stat_help(i)
			                     : "(a counter this fwctl has no name for)");
		out_text("\n");
	}
	/* The gateway pair's replication counters are fwd's, not the datapath's: asked for
	 * only when fwd answered (not with --pin-dir, nor from a datapath without its fwd). */
	if (from_fwd)
		fwctl_stats_ha(fw, name_w > 21 ? name_w : 21);
	out_close_object();
}

int fwctl_cmd_stats(struct fwctl *fw, int argc, char **argv)
{
	struct daemon d = {0};
	struct counters c = {0};
	char path[PATH_MAX + 16], err[1024];
	bool from_fwd;
	int fd, ret;

	(void)argv;
	if (argc > 0)
		return fwctl_usage_error(fw, "'stats' takes no arguments");
	ret = daemon_maps(fw, &d);
	if (ret) {
		daemon_close(&d);
		return ret;
	}
	snprintf(path, sizeof(path), "%s/%s", d.pin_dir, TCFW_MAP_STATS);
	fd = maps_open(&d, TCFW_MAP_STATS, sizeof(__u32), sizeof(__u64), err, sizeof(err));
	from_fwd = d.connected && !fw->pin_dir;
	daemon_close(&d);
	if (fd < 0) {
		pr_warn("%s", err);
		return FWCTL_EXIT_FAILURE;
	}
	ret = read_counters(fd, path, &c);
	close(fd);
	if (ret == 0)
		print_counters(fw, &c, from_fwd);
	free(c.sum);
	return ret;
}
