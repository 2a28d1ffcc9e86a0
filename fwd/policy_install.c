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
	    .pol_bytes = dp->pol_bytes_fd,
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

/* The two per-rule counters: hits (pol_hits) and bytes (pol_bytes), each with the counts of
 * earlier copies by rule id (base). */
enum { CNT_HITS, CNT_BYTES, CNT_MAX };

static int cnt_fd(const struct fwd *fwd, int k)
{
	return k == CNT_HITS ? fwd->dp.pol_hits_fd : fwd->dp.pol_bytes_fd;
}

static uint64_t **cnt_base(struct fwd *fwd, int k, size_t **n)
{
	*n = k == CNT_HITS ? &fwd->pol.nhits_base : &fwd->pol.nbytes_base;
	return k == CNT_HITS ? &fwd->pol.hits_base : &fwd->pol.bytes_base;
}

static __u64 base_of(struct fwd *fwd, int k, __u32 id)
{
	size_t *n;
	uint64_t **base = cnt_base(fwd, k, &n);

	return id < *n ? (*base)[id] : 0;
}

/* Counter k by rule id: base + the active copy's slots. */
static uint64_t *policy_counter(struct fwd *fwd, int k, size_t *n)
{
	const struct fwd_policy *pol = &fwd->pol;
	size_t size = (size_t)policy_rule_max_id(pol->p) + 1;
	uint64_t *v = calloc(size, sizeof(*v));

	if (!v)
		return NULL;
	for (size_t id = 0; id < size; id++)
		v[id] = base_of(fwd, k, (__u32)id);
	for (unsigned int c = 0; pol->have_img && c < TCFW_CHAIN_MAX; c++) {
		size_t nrules = pol->img.nrules[c];
		__u64 *sums = nrules ? calloc(nrules, sizeof(*sums)) : NULL;
		/* One batch read; should the kernel refuse it, one lookup per slot. */
		bool batched =
		    sums && percpu_sum_range(cnt_fd(fwd, k), TCFW_RULE_INDEX(pol->active, c, 0),
		                             (__u32)nrules, sums) == 0;

		for (size_t pos = 0; pos < nrules; pos++) {
			__u32 id = pol->img.rules[c][pos].id;
			__u64 slot = 0;

			if (id >= size)
				continue;
			if (batched)
				slot = sums[pos];
			else if (percpu_sum(cnt_fd(fwd, k), TCFW_RULE_INDEX(pol->active, c, pos),
			                    &slot))
				slot = 0; /* an unreadable slot counts nothing, as before */
			v[id] += slot;
		}
		free(sums);
	}
	*n = size;
	return v;
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

uint64_t *policy_hits(struct fwd *fwd, size_t *n)
{
	return policy_counter(fwd, CNT_HITS, n);
}

uint64_t *policy_bytes(struct fwd *fwd, size_t *n)
{
	return policy_counter(fwd, CNT_BYTES, n);
}

/*
 * Counts across installs. The counts live in the pol_hits / pol_bytes slots of the active copy
 * (plus, in hits_base / bytes_base, what arrived in an earlier copy during its last grace
 * period). Before the switch each rule of the new policy is matched with a rule of the active
 * copy - by id for a rule edit; for a new policy text by the hash of its normal form, else of
 * its comment, in the same chain - and its standby slots start at that rule's counts. The old
 * copy's rules are read from the maps, not from this fwd's memory, so a fwd that finds the
 * maps pinned by an earlier one carries their counts over the same way.
 */
struct old_rule {
	__u32 chain, slot, id;
	__u32 content, comment; /* tcfw_rule's hashes */
	__u64 count[CNT_MAX];   /* at the time of the match */
	bool used;
};

struct hits_carry {
	struct old_rule *old;
	size_t nold;
	long *match[TCFW_CHAIN_MAX]; /* new position -> index in old, -1: none */
};

/* The rules of the active copy as the maps hold them, with their counts. */
static int read_old_rules(struct fwd *fwd, struct hits_carry *hc)
{
	const struct datapath *dp = &fwd->dp;
	__u32 key = fwd->pol.active;
	struct tcfw_policy_meta meta;
	size_t total = 0;

	if (bpf_map_lookup_elem(dp->pol_meta_fd, &key, &meta))
		return 0; /* nothing to carry */
	for (unsigned int c = 0; c < TCFW_CHAIN_MAX; c++)
		total +=
		    meta.nrules[c] < TCFW_POLICY_MAX_RULES ? meta.nrules[c] : TCFW_POLICY_MAX_RULES;
	hc->old = calloc(total ? total : 1, sizeof(*hc->old));
	if (!hc->old)
		return -ENOMEM;
	for (unsigned int c = 0; c < TCFW_CHAIN_MAX; c++) {
		__u32 n =
		    meta.nrules[c] < TCFW_POLICY_MAX_RULES ? meta.nrules[c] : TCFW_POLICY_MAX_RULES;
		__u64 *sums[CNT_MAX] = {0};
		bool batched[CNT_MAX] = {0};

		for (int k = 0; k < CNT_MAX && n; k++) {
			sums[k] = calloc(n, sizeof(__u64));
			batched[k] =
			    sums[k] &&
			    percpu_sum_range(cnt_fd(fwd, k), TCFW_RULE_INDEX(fwd->pol.active, c, 0),
			                     n, sums[k]) == 0;
		}
		for (__u32 pos = 0; pos < n; pos++) {
			struct old_rule *o = &hc->old[hc->nold];
			struct tcfw_rule rule;

			o->slot = TCFW_RULE_INDEX(fwd->pol.active, c, pos);
			if (bpf_map_lookup_elem(dp->pol_rules_fd, &o->slot, &rule) || !rule.id)
				continue;
			for (int k = 0; k < CNT_MAX; k++) {
				__u64 slot = 0;

				if (batched[k])
					slot = sums[k][pos];
				else if (percpu_sum(cnt_fd(fwd, k), o->slot, &slot))
					slot = 0;
				o->count[k] = slot + base_of(fwd, k, rule.id);
			}
			o->chain = c;
			o->id = rule.id;
			o->content = rule.content_hash;
			o->comment = rule.comment_hash;
			hc->nold++;
		}
		for (int k = 0; k < CNT_MAX; k++)
			free(sums[k]);
	}
	return 0;
}

/* The first unused old rule of chain c for which same() holds, or -1. */
static long find_old(struct hits_carry *hc, unsigned int c, const struct tcfw_rule *r,
                     bool (*same)(const struct old_rule *o, const struct tcfw_rule *r))
{
	for (size_t i = 0; i < hc->nold; i++)
		if (!hc->old[i].used && hc->old[i].chain == c && same(&hc->old[i], r))
			return (long)i;
	return -1;
}

static bool same_id(const struct old_rule *o, const struct tcfw_rule *r)
{
	return o->id == r->id;
}

static bool same_content(const struct old_rule *o, const struct tcfw_rule *r)
{
	return o->content && o->content == r->content_hash;
}

static bool same_comment(const struct old_rule *o, const struct tcfw_rule *r)
{
	return o->comment && o->comment == r->comment_hash;
}

static void carry_free(struct hits_carry *hc)
{
	free(hc->old);
	for (unsigned int c = 0; c < TCFW_CHAIN_MAX; c++)
		free(hc->match[c]);
	memset(hc, 0, sizeof(*hc));
}

/* Match img's rules with the active copy's (see above). Out of memory: nothing carried. */
static void carry_match(struct fwd *fwd, const struct policy_image *img, enum policy_hits_mode mode,
                        struct hits_carry *hc)
{
	memset(hc, 0, sizeof(*hc));
	if (read_old_rules(fwd, hc) < 0) {
		pr_warn("policy install: out of memory: rule hit counts start again at 0");
		carry_free(hc);
		return;
	}
	/* Exact matches first, over the whole chain: an unchanged rule is not taken by an
	 * edited one of the same comment that comes before it. */
	for (unsigned int c = 0; c < TCFW_CHAIN_MAX; c++) {
		hc->match[c] = img->nrules[c] ? malloc(img->nrules[c] * sizeof(long)) : NULL;
		for (size_t pos = 0; hc->match[c] && pos < img->nrules[c]; pos++) {
			const struct tcfw_rule *r = &img->rules[c][pos];
			long i =
			    find_old(hc, c, r, mode == POLICY_HITS_KEEP ? same_id : same_content);

			hc->match[c][pos] = i;
			if (i >= 0)
				hc->old[i].used = true;
		}
	}
	for (unsigned int c = 0; mode == POLICY_HITS_MATCH && c < TCFW_CHAIN_MAX; c++) {
		for (size_t pos = 0; hc->match[c] && pos < img->nrules[c]; pos++) {
			long i;

			if (hc->match[c][pos] >= 0)
				continue;
			i = find_old(hc, c, &img->rules[c][pos], same_comment);
			hc->match[c][pos] = i;
			if (i >= 0)
				hc->old[i].used = true;
		}
	}
}

/* Start the standby slots of matched rules at their old counts (written before the switch,
 * while no program reads the standby copy). */
static int carry_write(struct fwd *fwd, const struct policy_image *img, const struct hits_carry *hc)
{
	for (unsigned int c = 0; c < TCFW_CHAIN_MAX; c++) {
		for (size_t pos = 0; hc->match[c] && pos < img->nrules[c]; pos++) {
			long i = hc->match[c][pos];

			for (int k = 0; i >= 0 && k < CNT_MAX; k++) {
				int err;

				if (!hc->old[i].count[k])
					continue;
				err = percpu_set(cnt_fd(fwd, k),
				                 TCFW_RULE_INDEX(img->copy, c, (__u32)pos),
				                 hc->old[i].count[k]);
				if (err)
					return err;
			}
		}
	}
	return 0;
}

/* After the grace period: what the old copy counted since carry_match() read it goes to the
 * bases, by new rule id. */
static void carry_finish(struct fwd *fwd, const struct policy_image *img,
                         const struct hits_carry *hc, uint32_t max_id)
{
	uint64_t *base[CNT_MAX];

	for (int k = 0; k < CNT_MAX; k++)
		base[k] = calloc((size_t)max_id + 1, sizeof(uint64_t));
	for (unsigned int c = 0; base[0] && base[1] && c < TCFW_CHAIN_MAX; c++) {
		for (size_t pos = 0; hc->match[c] && pos < img->nrules[c]; pos++) {
			long i = hc->match[c][pos];
			__u32 id = img->rules[c][pos].id;

			for (int k = 0; i >= 0 && id <= max_id && k < CNT_MAX; k++) {
				const struct old_rule *o = &hc->old[i];
				__u64 now = 0;

				if (percpu_sum(cnt_fd(fwd, k), o->slot, &now))
					continue;
				now += base_of(fwd, k, o->id);
				if (now > o->count[k])
					base[k][id] += now - o->count[k];
			}
		}
	}
	for (int k = 0; k < CNT_MAX; k++) {
		size_t *n;
		uint64_t **b = cnt_base(fwd, k, &n);

		free(*b);
		*b = base[0] && base[1] ? base[k] : NULL;
		*n = *b ? (size_t)max_id + 1 : 0;
		if (!*b)
			free(base[k]);
	}
}

int policy_hits_reset(struct fwd *fwd, uint32_t id)
{
	struct fwd_policy *pol = &fwd->pol;
	bool found = false;

	for (unsigned int c = 0; pol->have_img && c < TCFW_CHAIN_MAX; c++) {
		for (size_t pos = 0; pos < pol->img.nrules[c]; pos++) {
			__u32 rid = pol->img.rules[c][pos].id;

			if (id && rid != id)
				continue;
			found = true;
			for (int k = 0; k < CNT_MAX; k++) {
				size_t *n;
				uint64_t **b = cnt_base(fwd, k, &n);

				if (percpu_set(cnt_fd(fwd, k), TCFW_RULE_INDEX(pol->active, c, pos),
				               0))
					pr_warn("rule-reset: cannot zero the counters of rule %u",
					        rid);
				if (rid < *n)
					(*b)[rid] = 0;
			}
		}
	}
	return found || !id ? 0 : -1;
}

int policy_install(struct fwd *fwd, struct policy *p, const char *name,
                   enum policy_hits_mode hits_mode, char *err, size_t errlen)
{
	struct fwd_policy *pol = &fwd->pol;
	__u8 standby = (__u8)(1 - pol->active);
	struct policy_diags diags = {0};
	struct hits_carry hc;
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

	carry_match(fwd, &img, hits_mode, &hc);
	ret = write_standby(fwd, &img, err, errlen);
	/* New dynamic sets exist before rules name them; a failure below leaves their ids in
	 * use but unnamed by any rule, until the next install frees them. */
	if (!ret)
		ret = dynset_install(&dyn, p, err, errlen);
	if (!ret) {
		ret = carry_write(fwd, &img, &hc);
		if (ret)
			snprintf(err, errlen,
			         "cannot write the rule counters into map pol_hits: %s",
			         strerror(-ret));
	}
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
		carry_free(&hc);
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

	carry_finish(fwd, &img, &hc, policy_rule_max_id(p));
	carry_free(&hc);
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
	free(pol->bytes_base);
	memset(pol, 0, sizeof(*pol));
}
