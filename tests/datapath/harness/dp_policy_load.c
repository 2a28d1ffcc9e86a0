// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * dp_policy_load.c - policies for the datapath cases, the way fwd installs them: the text
 * through the real policy library (policy_parse + policy_compile), the image into one copy of
 * the maps with lib/policy_maps.c, the zones of lan0 / wan0 for that copy into map "ifaces",
 * then (when asked) the switch of config.policy_active. Also what the policy cases read back:
 * rule hits, limit buckets, and events from the ring buffer.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "policy.h"
#include "policy_maps.h"
#include "tcfw.skel.h"

#include "dp.h"

/* Zone of interface ifindex for copy (read-modify-write: the other copy's zone stays). */
static void set_zone_of_copy(struct dp *t, const char *step, int ifindex, unsigned int copy,
                             int zone)
{
	int fd = bpf_map__fd(t->skel->maps.ifaces);
	struct tcfw_iface ifc = {.zone = {TCFW_ZONE_NONE, TCFW_ZONE_NONE}};
	__u32 key = (__u32)ifindex;

	bpf_map_lookup_elem(fd, &key, &ifc); /* absent: both copies start without a zone */
	ifc.zone[copy] = zone < 0 ? TCFW_ZONE_NONE : (__u8)zone;
	if (bpf_map_update_elem(fd, &key, &ifc, BPF_ANY))
		dp_fail(t, step, "cannot write map ifaces: %s", strerror(errno));
}

bool dp_policy_load(struct dp *t, const char *step, const char *text, unsigned int copy,
                    bool activate)
{
	struct policy_diags diags = {0};
	struct policy_image img;
	struct policy_map_fds fds;
	struct policy *p;
	char err[512];
	bool ok = false;

	p = policy_parse("test.conf", text, strlen(text), &diags);
	if (!p) {
		char *msg = policy_diags_str(&diags);

		dp_fail(t, step, "the test's policy does not parse: %s", msg ? msg : "?");
		free(msg);
		policy_diags_free(&diags);
		return false;
	}
	if (policy_compile(p, (__u8)copy, &img, &diags)) {
		char *msg = policy_diags_str(&diags);

		dp_fail(t, step, "the test's policy does not compile: %s", msg ? msg : "?");
		free(msg);
		goto out;
	}
	img.meta.generation = copy + 1;
	policy_timeouts(p, img.meta.timeouts);
	if (policy_map_fds_from_object(t->skel->obj, &fds, err, sizeof(err)) ||
	    policy_maps_write(&fds, &img, err, sizeof(err))) {
		dp_fail(t, step, "%s", err);
		policy_image_free(&img);
		goto out;
	}
	policy_image_free(&img);
	set_zone_of_copy(t, step, t->ifindex_lan, copy, policy_zone_of_ifname(p, "lan0"));
	set_zone_of_copy(t, step, t->ifindex_wan, copy, policy_zone_of_ifname(p, "wan0"));
	if (activate)
		dp_set_config(t, copy, 0);
	ok = true;
out:
	policy_diags_free(&diags);
	policy_free(p);
	return ok;
}

uint64_t dp_rule_hits(struct dp *t, unsigned int copy, unsigned int chain, unsigned int pos)
{
	return dp_percpu_sum(bpf_map__fd(t->skel->maps.pol_hits),
	                     TCFW_RULE_INDEX(copy, chain, pos));
}

void dp_expect_hits(struct dp *t, const char *step, unsigned int chain, unsigned int pos,
                    uint64_t want)
{
	struct tcfw_config cfg = {0};
	__u32 zero = 0;
	uint64_t got;

	bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.config), &zero, &cfg);
	got = dp_rule_hits(t, cfg.policy_active & 1, chain, pos);
	if (got != want)
		dp_fail(t, step, "hits of rule position %u of chain %u: expected %llu, got %llu",
		        pos, chain, (unsigned long long)want, (unsigned long long)got);
}

bool dp_limit_state(struct dp *t, unsigned int copy, unsigned int chain, unsigned int pos,
                    struct tcfw_limit_state *s)
{
	__u32 key = TCFW_RULE_INDEX(copy, chain, pos);

	return bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.pol_limit), &key, s) == 0;
}

bool dp_set_limit_state(struct dp *t, unsigned int copy, unsigned int chain, unsigned int pos,
                        const struct tcfw_limit_state *s)
{
	__u32 key = TCFW_RULE_INDEX(copy, chain, pos);

	return bpf_map_update_elem(bpf_map__fd(t->skel->maps.pol_limit), &key, s, BPF_ANY) == 0;
}

/* ---- events ---------------------------------------------------------------------------------- */
static int on_event(void *ctx, void *data, size_t len)
{
	struct dp_events *e = ctx;

	if (len >= sizeof(struct tcfw_event) && e->n < DP_EVENTS_MAX)
		memcpy(&e->ev[e->n], data, sizeof(struct tcfw_event));
	e->n++;
	return 0;
}

bool dp_events_open(struct dp *t, struct dp_events *e)
{
	memset(e, 0, sizeof(*e));
	e->rb = ring_buffer__new(bpf_map__fd(t->skel->maps.events), on_event, e, NULL);
	if (!e->rb) {
		dp_fail(t, "setup", "ring_buffer__new on map events: %s", strerror(errno));
		return false;
	}
	return true;
}

int dp_events_read(struct dp_events *e)
{
	e->n = 0;
	if (ring_buffer__consume(e->rb) < 0)
		return -1;
	return e->n;
}

void dp_events_close(struct dp_events *e)
{
	ring_buffer__free(e->rb);
	e->rb = NULL;
}
