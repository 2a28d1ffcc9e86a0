// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * policy_install.c - compile into the standby copy, switch, wait a grace period (see
 * policy_install.h and docs/architecture.md "Policy copies").
 *
 * Every policy map key carries the copy index, so the standby copy can be rewritten while the
 * active one serves packets. The switch is one write of config.policy_active; programs that
 * read the old index before it keep using the old copy until they return, which an RCU grace
 * period outlasts. Only then may the old copy be rewritten (by the next install).
 */
#include <errno.h>
#include <linux/membarrier.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "log.h"

#include "fwd.h"
#include "maputil.h"
#include "policy_install.h"

static bool lpm_key_of_copy(const void *key, void *ctx)
{
	return ((const struct tcfw_lpm_key *)key)->copy == *(const __u8 *)ctx;
}

static bool class_key_of_copy(const void *key, void *ctx)
{
	return (*(const __u32 *)key >> 31) == *(const __u8 *)ctx;
}

#define CHECK(call, what)                                                                          \
	do {                                                                                       \
		int e_ = (call);                                                                   \
		if (e_) {                                                                          \
			snprintf(err, errlen, "cannot write the policy into %s: %s", what,         \
			         strerror(-e_));                                                   \
			return e_;                                                                 \
		}                                                                                  \
	} while (0)

static int update_elem(int fd, const void *key, const void *val)
{
	return bpf_map_update_elem(fd, key, val, BPF_ANY) ? -errno : 0;
}

/* Fill copy img->copy with img. Nothing here is visible to the datapath yet. */
static int write_standby(struct fwd *fwd, const struct policy_image *img, char *err, size_t errlen)
{
	const struct datapath *dp = &fwd->dp;
	__u8 copy = img->copy;
	size_t hits_size = sizeof(__u64) * (size_t)libbpf_num_possible_cpus();

	/* What an older policy left in this copy: stale prefixes would still match. */
	CHECK(map_delete_where(dp->pol_src_fd, sizeof(struct tcfw_lpm_key), lpm_key_of_copy, &copy),
	      "map pol_src (clearing the standby copy)");
	CHECK(map_delete_where(dp->pol_dst_fd, sizeof(struct tcfw_lpm_key), lpm_key_of_copy, &copy),
	      "map pol_dst (clearing the standby copy)");
	CHECK(map_delete_where(dp->pol_class_fd, sizeof(__u32), class_key_of_copy, &copy),
	      "map pol_class (clearing the standby copy)");

	if (img->nscalar > (size_t)TCFW_CHAIN_MAX * TCFW_SCALAR_BLOCK) {
		snprintf(err, errlen,
		         "the compiled policy has %zu scalar slots, more than the %u "
		         "of one copy (policy library and tcfw_abi.h disagree)",
		         img->nscalar, (unsigned int)(TCFW_CHAIN_MAX * TCFW_SCALAR_BLOCK));
		return -EINVAL;
	}
	CHECK(map_write_range(dp->pol_scalar_fd, TCFW_SCALAR_INDEX(copy, 0, 0, 0), img->scalar,
	                      sizeof(__u32), img->nscalar),
	      "map pol_scalar");
	for (size_t i = 0; i < img->nclasses; i++)
		CHECK(update_elem(dp->pol_class_fd, &img->classes[i].key, &img->classes[i].cls),
		      "map pol_class");
	for (size_t i = 0; i < img->nsrc; i++)
		CHECK(update_elem(dp->pol_src_fd, &img->src[i].key, &img->src[i].class_id),
		      "map pol_src");
	for (size_t i = 0; i < img->ndst; i++)
		CHECK(update_elem(dp->pol_dst_fd, &img->dst[i].key, &img->dst[i].class_id),
		      "map pol_dst");
	for (unsigned int c = 0; c < TCFW_CHAIN_MAX; c++) {
		__u32 first = TCFW_RULE_INDEX(copy, c, 0);

		if (img->nrules[c] > TCFW_POLICY_MAX_RULES) {
			snprintf(err, errlen, "chain %u has %zu rules, more than %u", c,
			         img->nrules[c], TCFW_POLICY_MAX_RULES);
			return -E2BIG;
		}
		CHECK(map_write_range(dp->pol_rules_fd, first, img->rules[c],
		                      sizeof(struct tcfw_rule), img->nrules[c]),
		      "map pol_rules");
		/* New rules start with full token buckets and no hits. */
		CHECK(map_zero_range(dp->pol_limit_fd, first, sizeof(struct tcfw_limit_state),
		                     img->nrules[c]),
		      "map pol_limit");
		CHECK(map_zero_range(dp->pol_hits_fd, first, hits_size, img->nrules[c]),
		      "map pol_hits");
	}
	__u32 meta_key = copy;

	CHECK(update_elem(dp->pol_meta_fd, &meta_key, &img->meta), "map pol_meta");
	return 0;
}

static void wait_rcu_grace_period(void)
{
	/*
	 * MEMBARRIER_CMD_GLOBAL makes the kernel run synchronize_rcu() (kernel/sched/
	 * membarrier.c; with one CPU online no program can be mid-run while we are). TC
	 * programs run inside an RCU read-side section, so when it returns none still reads
	 * the old copy.
	 */
	if (syscall(__NR_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0) == 0)
		return;
	/* Unavailable (CONFIG_MEMBARRIER off, or refused under nohz_full): a TC program runs
	 * for microseconds, so 50 ms is far longer than any of them can still be running. */
	usleep(50 * 1000);
}

static __u64 slot_hits(struct fwd *fwd, __u32 slot, __u64 *percpu, int ncpus)
{
	__u64 sum = 0;

	if (bpf_map_lookup_elem(fwd->dp.pol_hits_fd, &slot, percpu))
		return 0;
	for (int i = 0; i < ncpus; i++)
		sum += percpu[i];
	return sum;
}

uint64_t *policy_hits(struct fwd *fwd, size_t *n)
{
	const struct fwd_policy *pol = &fwd->pol;
	int ncpus = libbpf_num_possible_cpus();
	size_t size = (size_t)policy_rule_max_id(pol->p) + 1;
	uint64_t *hits = calloc(size, sizeof(*hits));
	__u64 *percpu = calloc((size_t)(ncpus > 0 ? ncpus : 1), sizeof(*percpu));

	if (!hits || !percpu || ncpus <= 0) {
		free(hits);
		free(percpu);
		return NULL;
	}
	for (size_t id = 0; id < size && id < pol->nhits_base; id++)
		hits[id] = pol->hits_base[id];
	for (unsigned int c = 0; pol->have_img && c < TCFW_CHAIN_MAX; c++)
		for (size_t pos = 0; pos < pol->img.nrules[c]; pos++) {
			__u32 id = pol->img.rules[c][pos].id;

			if (id < size)
				hits[id] += slot_hits(fwd, TCFW_RULE_INDEX(pol->active, c, pos),
				                      percpu, ncpus);
		}
	free(percpu);
	*n = size;
	return hits;
}

/* After the switch: the old copy's counts survive a rule edit, by rule id. */
static void carry_hits(struct fwd *fwd, enum policy_hits_mode mode)
{
	uint64_t *hits = NULL;
	size_t n = 0;

	if (mode == POLICY_HITS_KEEP && fwd->pol.p)
		hits = policy_hits(fwd, &n); /* still indexes the old copy */
	free(fwd->pol.hits_base);
	fwd->pol.hits_base = hits;
	fwd->pol.nhits_base = hits ? n : 0;
}

int policy_install(struct fwd *fwd, struct policy *p, const char *name,
                   enum policy_hits_mode hits_mode, char *err, size_t errlen)
{
	struct fwd_policy *pol = &fwd->pol;
	__u8 standby = (__u8)(1 - pol->active);
	struct policy_diags diags = {0};
	struct policy_image img;
	char *name_copy = strdup(name);
	int ret;

	memset(&img, 0, sizeof(img));
	if (!name_copy) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (policy_compile(p, standby, &img, &diags)) {
		char *text = policy_diags_str(&diags);

		snprintf(err, errlen, "%s", text ? text : "the policy does not compile");
		free(text);
		policy_diags_free(&diags);
		free(name_copy);
		return -1;
	}
	policy_diags_free(&diags);
	img.meta.generation = pol->generation + 1;
	/* The documented source of the timeouts (netfilter's defaults + the policy's block). */
	policy_timeouts(p, img.meta.timeouts);

	ret = write_standby(fwd, &img, err, errlen);
	if (!ret) {
		ret = ifaces_write_zones(fwd, p, standby);
		if (ret)
			snprintf(err, errlen, "cannot write the policy into map ifaces: %s",
			         strerror(-ret));
	}
	if (!ret) {
		fwd->dp.config.policy_active = standby;
		ret = datapath_write_config(&fwd->dp);
		if (ret)
			snprintf(err, errlen, "cannot switch to the new policy (map config): %s",
			         strerror(-ret));
	}
	if (ret) {
		fwd->dp.config.policy_active = pol->active;
		policy_image_free(&img);
		free(name_copy);
		return -1;
	}
	wait_rcu_grace_period();

	carry_hits(fwd, hits_mode);
	if (pol->have_img)
		policy_image_free(&pol->img);
	if (pol->p && pol->p != p)
		policy_free(pol->p);
	free(pol->name);
	pol->p = p;
	pol->name = name_copy;
	pol->img = img;
	pol->have_img = true;
	pol->active = standby;
	pol->generation = img.meta.generation;
	memcpy(pol->timeouts, img.meta.timeouts, sizeof(pol->timeouts));
	/* Not `name`: it may be the old pol->name, freed above. */
	pr_info("policy %s installed: generation %llu, %zu rules, copy %u", pol->name,
	        (unsigned long long)pol->generation, policy_rule_count(p), standby);

	/* Interfaces the new zones add or drop. */
	ifaces_sync(fwd);
	return 0;
}

void policy_state_free(struct fwd *fwd)
{
	struct fwd_policy *pol = &fwd->pol;

	if (pol->have_img)
		policy_image_free(&pol->img);
	policy_free(pol->p);
	free(pol->name);
	free(pol->hits_base);
	memset(pol, 0, sizeof(*pol));
}
