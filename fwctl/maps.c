// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * maps.c - fwd's pinned maps, read-only, for `ct list/count`, `nat list` and `stats`.
 *
 * The connection table is read straight from the pin (no copy through the daemon, so listing a
 * million connections costs fwd nothing). Timeouts come from the policy copy the datapath is
 * using right now: config.policy_active, then pol_meta[copy].timeouts.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "log.h"
#include "maps.h"
#include "pins.h"

int maps_open(const struct daemon *d, const char *name, unsigned int key_size,
              unsigned int value_size, char *err, size_t errlen)
{
	struct bpf_map_info info = {0};
	__u32 len = sizeof(info);
	char why[512];
	int fd = -1;

	for (size_t i = 0; i < d->nmaps && fd < 0; i++)
		if (!strcmp(d->map_name[i], name))
			fd = fcntl(d->map_fd[i], F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		fd = pins_open_map(d->pin_dir, name, why, sizeof(why));
	if (fd == -ENOENT) {
		snprintf(
		    err, errlen,
		    "%s: fwd pins its maps there, but this fwctl does not see them (run "
		    "from another mount namespace, as `ip netns exec` does?) and fwd passed no "
		    "fds of them: is fwd older than fwctl " TCFW_VERSION "?",
		    why);
		return fd;
	}
	if (fd < 0) {
		snprintf(err, errlen, "%s", why);
		return fd;
	}
	if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0) {
		int e = errno;

		snprintf(err, errlen, "cannot inspect map %s/%s: %s", d->pin_dir, name,
		         strerror(e));
		close(fd);
		return -e;
	}
	if (info.key_size != key_size || (value_size && info.value_size != value_size)) {
		snprintf(err, errlen,
		         "map %s/%s has key/value sizes %u/%u, this fwctl expects %u/%u: "
		         "fwd and fwctl come from different tcfw versions; use the fwctl built "
		         "with this fwd",
		         d->pin_dir, name, info.key_size, info.value_size, key_size, value_size);
		close(fd);
		return -EPROTO;
	}
	return fd;
}

/* Timeouts of the live policy copy. Before fwd installed any policy pol_meta is all zeros:
 * then the datapath and expiry use netfilter's defaults, and so do we. */
static void read_active_timeouts(struct ct_view *v)
{
	struct tcfw_config cfg = {0};
	struct tcfw_policy_meta meta;
	__u32 key = 0;
	bool any = false;
	char err[1024];
	int cfg_fd, meta_fd;

	ctmap_default_timeouts(v->timeouts);
	cfg_fd = maps_open(&v->d, TCFW_MAP_CONFIG, sizeof(__u32), sizeof(struct tcfw_config), err,
	                   sizeof(err));
	if (cfg_fd < 0)
		pr_warn("%s", err);
	meta_fd = maps_open(&v->d, TCFW_MAP_POL_META, sizeof(__u32),
	                    sizeof(struct tcfw_policy_meta), err, sizeof(err));
	if (meta_fd < 0)
		pr_warn("%s", err);
	if (cfg_fd < 0 || meta_fd < 0 || bpf_map_lookup_elem(cfg_fd, &key, &cfg) < 0) {
		pr_warn("timeouts shown are netfilter's defaults, not the policy's");
		goto out;
	}
	key = cfg.policy_active;
	if (bpf_map_lookup_elem(meta_fd, &key, &meta) < 0) {
		pr_warn("cannot read policy copy %u in %s/%s: %s; timeouts shown are "
		        "netfilter's defaults",
		        key, v->d.pin_dir, TCFW_MAP_POL_META, strerror(errno));
		goto out;
	}
	for (unsigned int s = 0; s < TCFW_CT_STATE_MAX; s++)
		any |= meta.timeouts[s] != 0;
	if (any)
		memcpy(v->timeouts, meta.timeouts, sizeof(v->timeouts));
	else
		pr_info("no policy installed yet: using netfilter's default timeouts");
out:
	if (cfg_fd >= 0)
		close(cfg_fd);
	if (meta_fd >= 0)
		close(meta_fd);
}

int ct_view_open(struct fwctl *fw, struct ct_view *v)
{
	char err[1024];
	int ret;

	memset(v, 0, sizeof(*v));
	v->m.ct_fd = -1;
	ret = daemon_maps(fw, &v->d);
	if (ret)
		return ret;
	v->m.ct_fd = maps_open(&v->d, TCFW_MAP_CT, sizeof(struct tcfw_tuple),
	                       sizeof(struct tcfw_ct_entry), err, sizeof(err));
	if (v->m.ct_fd >= 0)
		read_active_timeouts(v);
	else
		pr_warn("%s", err);
	/* Asked once, the daemon has nothing more to say to a listing. */
	daemon_close(&v->d);
	return v->m.ct_fd < 0 ? FWCTL_EXIT_FAILURE : FWCTL_EXIT_OK;
}

void ct_view_close(struct ct_view *v)
{
	if (v->m.ct_fd >= 0)
		close(v->m.ct_fd);
	v->m.ct_fd = -1;
	daemon_close(&v->d);
}

int ct_view_walk(struct ct_view *v, ctmap_walk_cb cb, void *ctx)
{
	int ret;

	v->now_ns = ctmap_now_ns(); /* one "now" for the whole listing */
	ret = ctmap_walk(&v->m, 0, cb, ctx);

	if (ret < 0) {
		pr_warn("cannot read the connection table %s/%s: %s%s", v->d.pin_dir, TCFW_MAP_CT,
		        strerror(-ret),
		        ret == -EPROTO ? " (fwd and fwctl come from different tcfw versions)" : "");
		return FWCTL_EXIT_FAILURE;
	}
	return FWCTL_EXIT_OK;
}

uint64_t ct_view_timeout_left(const struct ct_view *v, const struct tcfw_ct_entry *e)
{
	return ctmap_timeout_left(e, v->timeouts, v->now_ns);
}
