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

#include "dynset.h"
#include "log.h"
#include "percpu.h"
#include "policy_maps.h"

#include "dynset_sync.h"
#include "fwd.h"
#include "policy_install.h"

/* Fill copy img->copy with img (lib/policy_maps.c). Nothing here is visible to the datapath
 * yet: the copy is the standby one until policy_install() switches. */
static int write_standby(struct fwd *fwd, const struct policy_image *img, char *err, size_t errlen)
{
	const struct datapath *dp = &fwd->dp;
	const struct policy_map_fds fds = {
	    .pol_meta = dp->pol_meta_fd,
	    .pol_scalar = dp->pol_scalar_fd,
	    .pol_src = dp->pol_src_fd,
	    .pol_dst = dp->pol_dst_fd,
	    .pol_class = dp->pol_class_fd,
	    .pol_rules = dp->pol_rules_fd,
	    .pol_limit = dp->pol_limit_fd,
	    .pol_hits = dp->pol_hits_fd,
	    .pre_meta = dp->pre_meta_fd,
	    .pre_src = dp->pre_src_fd,
	    .pol_limited = dp->pol_limited_fd,
	};

	return policy_maps_write(&fds, img, err, errlen);
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

uint64_t *policy_hits(struct fwd *fwd, size_t *n)
{
	const struct fwd_policy *pol = &fwd->pol;
	size_t size = (size_t)policy_rule_max_id(pol->p) + 1;
	uint64_t *hits = calloc(size, sizeof(*hits));

	if (!hits)
		return NULL;
	for (size_t id = 0; id < size && id < pol->nhits_base; id++)
		hits[id] = pol->hits_base[id];
	for (unsigned int c = 0; pol->have_img && c < TCFW_CHAIN_MAX; c++) {
		size_t nrules = pol->img.nrules[c];
		__u64 *sums = nrules ? calloc(nrules, sizeof(*sums)) : NULL;
		/* One batch read; should the kernel refuse it, one lookup per slot. */
		bool batched = sums && percpu_sum_range(fwd->dp.pol_hits_fd,
		                                        TCFW_RULE_INDEX(pol->active, c, 0),
		                                        (__u32)nrules, sums) == 0;

		for (size_t pos = 0; pos < nrules; pos++) {
			__u32 id = pol->img.rules[c][pos].id;
			__u64 slot = 0;

			if (id >= size)
				continue;
			if (batched)
				slot = sums[pos];
			else if (percpu_sum(fwd->dp.pol_hits_fd,
			                    TCFW_RULE_INDEX(pol->active, c, pos), &slot))
				slot = 0; /* an unreadable slot counts no hits, as before */
			hits[id] += slot;
		}
		free(sums);
	}
	*n = size;
	return hits;
}

uint64_t *policy_limited(struct fwd *fwd, size_t *n)
{
	const struct fwd_policy *pol = &fwd->pol;
	size_t size = (size_t)policy_rule_max_id(pol->p) + 1;
	uint64_t *out = calloc(size, sizeof(*out));

	if (!out)
		return NULL;
	for (unsigned int c = 0; pol->have_img && c < TCFW_CHAIN_MAX; c++) {
		for (size_t pos = 0; pos < pol->img.nrules[c]; pos++) {
			__u32 id = pol->img.rules[c][pos].id;
			__u64 v = 0;

			if (id >= size || !(pol->img.rules[c][pos].flags & TCFW_RULEF_LIMIT))
				continue;
			if (percpu_sum(fwd->dp.pol_limited_fd, TCFW_RULE_INDEX(pol->active, c, pos),
			               &v) == 0)
				out[id] += v;
		}
	}
	*n = size;
	return out;
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

	const struct dynset_maps dyn = {.elems = fwd->dp.dynset_fd, .meta = fwd->dp.dynset_meta_fd};

	memset(&img, 0, sizeof(img));
	if (!name_copy) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	/* Dynamic sets keep the ids (and so the elements) the pinned maps give their names. */
	if (dynset_assign(&dyn, p, err, errlen)) {
		free(name_copy);
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
	/* New dynamic sets exist before rules name them; a failure below leaves their ids in
	 * use but unnamed by any rule, until the next install frees them. */
	if (!ret)
		ret = dynset_install(&dyn, p, err, errlen);
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
	/* No program reads the old policy now: its dynamic sets that p dropped go. */
	ret = dynset_retire(&dyn, pol->p, p);
	if (ret)
		pr_warn("cannot remove the dynamic sets (or members) the new policy dropped: %s",
		        strerror(-ret));

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
	pr_notice("policy %s installed: generation %llu, %zu rules, copy %u", pol->name,
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
