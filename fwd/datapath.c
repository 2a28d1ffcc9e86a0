// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * datapath.c - load the BPF object through its skeleton with every map pinned under the pin
 * dir. libbpf reuses a pinned map when one exists and is compatible, which is what makes a
 * restart keep every tracked connection; before that, fwd checks compatibility itself so it
 * can say which map differs and what to do, instead of libbpf's bare "parameter mismatch".
 *
 * Without pins, the maps of a datapath still attached to the policy's interfaces are taken
 * over through its programs (attached.h): that is how a fwd started by `ip netns exec`, whose
 * bpffs died with its mount namespace, keeps its connections across a restart. The pin dir is
 * locked and the owner record written (owner.h), so a second fwd never shares a datapath.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "log.h"
#include "tcfw.skel.h"

#include "attached.h"
#include "datapath.h"
#include "owner.h"
#include "pin_lock.h"
#include "tcx.h"

static bool map_is_pinned_by_us(const struct bpf_map *map)
{
	/* .rodata/.bss/.data hold load-time constants and are rebuilt on every load. */
	return !bpf_map__is_internal(map);
}

static bool is_ct_map(const char *name)
{
	return !strcmp(name, TCFW_MAP_CT);
}

static void incompatible_hint(const char *pin_dir)
{
	pr_warn("the running datapath is from an incompatible tcfw (layout version %d here); "
	        "this fwd does not take it over: stop it with `fwd --cleanup --pin-dir %s` (that "
	        "drops its connections) or go on running the fwd that matches it",
	        TCFW_ABI_VERSION, pin_dir);
}

/*
 * Compare a map of another datapath (fd: pinned at pin_dir/<name>, or found through an attached
 * program) with what the object declares. The ct maps may differ in size only: then that size
 * is kept (resizing would drop every connection). 0 when compatible, -EINVAL (and a message)
 * when not.
 */
static int check_map_fd(struct bpf_map *map, int fd, const char *where, const char *pin_dir)
{
	struct bpf_map_info info = {0};
	__u32 len = sizeof(info);
	const char *name = bpf_map__name(map);
	const char *what = NULL;
	__u32 theirs = 0, ours = 0;

	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		pr_warn("%s is not a BPF map (%s)", where, strerror(errno));
		return -EINVAL;
	}
	if (info.type != (__u32)bpf_map__type(map)) {
		what = "map type", theirs = info.type, ours = bpf_map__type(map);
	} else if (info.key_size != bpf_map__key_size(map)) {
		what = "key size", theirs = info.key_size, ours = bpf_map__key_size(map);
	} else if (info.value_size != bpf_map__value_size(map)) {
		what = "value size", theirs = info.value_size, ours = bpf_map__value_size(map);
	} else if (info.map_flags != bpf_map__map_flags(map)) {
		what = "flags", theirs = info.map_flags, ours = bpf_map__map_flags(map);
	} else if (info.max_entries != bpf_map__max_entries(map)) {
		if (is_ct_map(name)) {
			pr_warn(
			    "connection table size %u ignored: the running map %s holds %u "
			    "entries and keeps the tracked connections (to resize, stop fwd and "
			    "run `fwd --cleanup --pin-dir %s`, which drops them)",
			    bpf_map__max_entries(map), where, info.max_entries, pin_dir);
			bpf_map__set_max_entries(map, info.max_entries);
		} else {
			what = "max entries", theirs = info.max_entries,
			ours = bpf_map__max_entries(map);
		}
	}
	if (what) {
		pr_warn("map %s differs from this fwd's datapath: %s is %u, expected %u", where,
		        what, theirs, ours);
		incompatible_hint(pin_dir);
		return -EINVAL;
	}
	return 0;
}

/* check_map_fd() for the map pinned at path, if any: 0 also when there is none. */
static int check_pinned_map(struct bpf_map *map, const char *path, const char *pin_dir)
{
	int fd = bpf_obj_get(path), err;

	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	err = check_map_fd(map, fd, path, pin_dir);
	close(fd);
	return err;
}

static int map_fd(struct datapath *dp, const char *name)
{
	struct bpf_map *map = bpf_object__find_map_by_name(dp->skel->obj, name);

	if (!map) {
		pr_warn("the datapath has no map \"%s\" (built from a different tcfw_abi.h?)",
		        name);
		return -ENOENT;
	}
	return bpf_map__fd(map);
}

static int collect_fds(struct datapath *dp)
{
	struct {
		int *fd;
		const char *name;
	} maps[] = {
	    {&dp->ct_fd, TCFW_MAP_CT},
	    {&dp->config_fd, TCFW_MAP_CONFIG},
	    {&dp->pol_meta_fd, TCFW_MAP_POL_META},
	    {&dp->ifaces_fd, TCFW_MAP_IFACES},
	    {&dp->local_addrs_fd, TCFW_MAP_LOCAL_ADDRS},
	    {&dp->events_fd, TCFW_MAP_EVENTS},
	    {&dp->stats_fd, TCFW_MAP_STATS},
	    {&dp->pol_scalar_fd, TCFW_MAP_POL_SCALAR},
	    {&dp->pol_src_fd, TCFW_MAP_POL_SRC},
	    {&dp->pol_dst_fd, TCFW_MAP_POL_DST},
	    {&dp->pol_class_fd, TCFW_MAP_POL_CLASS},
	    {&dp->pol_rules_fd, TCFW_MAP_POL_RULES},
	    {&dp->pol_limit_fd, TCFW_MAP_POL_LIMIT},
	    {&dp->pol_hits_fd, TCFW_MAP_POL_HITS},
	    {&dp->pol_bytes_fd, TCFW_MAP_POL_BYTES},
	    {&dp->drops_fd, TCFW_MAP_DROPS},
	    {&dp->pre_meta_fd, TCFW_MAP_PRE_META},
	    {&dp->pre_src_fd, TCFW_MAP_PRE_SRC},
	    {&dp->nat_alias_fd, TCFW_MAP_NAT_ALIAS},
	    {&dp->pol_limited_fd, TCFW_MAP_POL_LIMITED},
	    {&dp->limit_src_fd, TCFW_MAP_LIMIT_SRC},
	    {&dp->dynset_fd, TCFW_MAP_DYNSET},
	    {&dp->dynset_meta_fd, TCFW_MAP_DYNSET_META},
	};

	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		*maps[i].fd = map_fd(dp, maps[i].name);
		if (*maps[i].fd < 0)
			return -ENOENT;
	}
	dp->prog_ingress_fd = bpf_program__fd(dp->skel->progs.tcfw_ingress);
	dp->prog_egress_fd = bpf_program__fd(dp->skel->progs.tcfw_egress);
	dp->prog_xdp_fd = bpf_program__fd(dp->skel->progs.tcfw_xdp_prefilter);
	dp->ct_max = bpf_map__max_entries(bpf_object__find_map_by_name(dp->skel->obj, "ct"));
	return 0;
}

/*
 * The layout version the pinned datapath's owner recorded: maps of the same shapes may still
 * mean other things in another layout, so the shapes alone do not make a takeover safe. 0 when
 * there is no pinned config or it records no version (a fwd that never started fully); the
 * shapes are checked after this either way.
 */
static int check_pinned_layout(const struct datapath *dp)
{
	struct tcfw_owner owner;
	char path[PATH_MAX];
	int fd, err;

	if (snprintf(path, sizeof(path), "%s/%s", dp->pin_dir, TCFW_MAP_CONFIG) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return 0;
	err = owner_read(fd, &owner);
	close(fd);
	if (err || !owner.abi_version || owner.abi_version == TCFW_ABI_VERSION)
		return 0;
	pr_warn("the datapath pinned in %s has layout version %u (this fwd: %d)", dp->pin_dir,
	        owner.abi_version, TCFW_ABI_VERSION);
	if (owner.abi_version < 5 && TCFW_ABI_VERSION >= 5)
		/* Layout 5 keeps both directions in one table ("ct" keyed by the normalized
		 * tuple, no "ct_reply"): the old entries cannot be read as new ones. */
		pr_warn("layout %u kept connections in two maps (ct and ct_reply), this fwd in one "
		        "keyed differently: to upgrade, stop the old fwd, run `fwd --cleanup "
		        "--pin-dir %s`, then start this one; the tracked connections are lost "
		        "(established TCP connections through the gateway must reconnect)",
		        owner.abi_version, dp->pin_dir);
	incompatible_hint(dp->pin_dir);
	return -EPROTO;
}

/* Set every map's pin path; note whether any pin already exists (a takeover). */
static int set_pin_paths(struct datapath *dp)
{
	struct bpf_map *map;
	char path[PATH_MAX];
	int err = check_pinned_layout(dp);

	if (err)
		return err;

	bpf_object__for_each_map(map, dp->skel->obj)
	{
		if (!map_is_pinned_by_us(map))
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dp->pin_dir, bpf_map__name(map)) >=
		    (int)sizeof(path))
			return -ENAMETOOLONG;
		if (access(path, F_OK) == 0)
			dp->reused = true;
		err = check_pinned_map(map, path, dp->pin_dir);
		if (err)
			return err;
		err = bpf_map__set_pin_path(map, path);
		if (err) {
			pr_warn("cannot set the pin path of map %s: %s", bpf_map__name(map),
			        strerror(-err));
			return err;
		}
	}
	return 0;
}

static const char *load_hint(int err)
{
	switch (err) {
	case EPERM:
	case EACCES:
		return " (run fwd as root: it needs CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN and "
		       "CAP_SYS_ADMIN)";
	case EINVAL:
		return " (run with -v to see libbpf's and the verifier's explanation)";
	default:
		return "";
	}
}

/* Any tcfw map pinned in pin_dir? */
static bool pins_present(struct datapath *dp)
{
	char path[PATH_MAX + sizeof(TCFW_MAP_CT) + 1];

	snprintf(path, sizeof(path), "%s/%s", dp->pin_dir, TCFW_MAP_CT);
	return access(path, F_OK) == 0;
}

/* Reuse every map of the attached datapath a that this object has (by name). */
static int reuse_attached_maps(struct datapath *dp, const struct attached_dp *a)
{
	struct bpf_map *map;
	char where[256];
	int err;

	bpf_object__for_each_map(map, dp->skel->obj)
	{
		int fd;

		if (!map_is_pinned_by_us(map))
			continue;
		fd = attached_map_fd(a, bpf_map__name(map));
		if (fd < 0)
			continue; /* new in this build: created fresh */
		snprintf(where, sizeof(where), "%s (of the program on %s)", bpf_map__name(map),
		         a->ifname);
		err = check_map_fd(map, fd, where, dp->pin_dir);
		if (!err)
			err = bpf_map__reuse_fd(map, fd);
		if (err) {
			pr_warn("cannot take over map %s: %s", where, strerror(-err));
			return err;
		}
	}
	return 0;
}

/*
 * No pins: is a datapath attached to the policy's interfaces? A live fwd's is refused (it
 * is that fwd's); one whose fwd is gone is taken over when it was pinned here, or its pins
 * cannot be seen from here (a bpffs that ended with a private mount namespace). 0 also when
 * there is nothing to take over.
 */
static int adopt_attached(struct datapath *dp, const char *const *ifnames, size_t n)
{
	struct attached_dp a;
	char who[512], pinned[sizeof(a.owner.pin_dir) + sizeof(TCFW_MAP_CT) + 1];
	int err = attached_find(ifnames, n, &a);

	if (err <= 0)
		return err;
	owner_describe(&a.owner, who, sizeof(who));
	if (a.owner.abi_version && a.owner.abi_version != TCFW_ABI_VERSION) {
		pr_warn("%s carries a tcfw datapath of layout version %u (this fwd: %d), run by %s",
		        a.ifname, a.owner.abi_version, TCFW_ABI_VERSION, who);
		incompatible_hint(a.owner.pin_dir[0] ? a.owner.pin_dir : dp->pin_dir);
		err = -EPROTO;
		goto out;
	}
	if (owner_alive(&a.owner)) {
		pr_warn("%s is already filtered by %s: refusing to start a second fwd on it; stop "
		        "that fwd first, or leave %s out of this one's zones",
		        a.ifname, who, a.ifname);
		err = -EBUSY;
		goto out;
	}
	snprintf(pinned, sizeof(pinned), "%s/%s", a.owner.pin_dir, TCFW_MAP_CT);
	if (a.owner.pin_dir[0] && strcmp(a.owner.pin_dir, dp->pin_dir) &&
	    access(pinned, F_OK) == 0) {
		pr_warn(
		    "%s carries the datapath left by %s, pinned in %s: start fwd with "
		    "--pin-dir %s to take it over, or remove it with `fwd --cleanup --pin-dir %s`",
		    a.ifname, who, a.owner.pin_dir, a.owner.pin_dir, a.owner.pin_dir);
		err = -EBUSY;
		goto out;
	}
	err = reuse_attached_maps(dp, &a);
	if (err)
		goto out;
	dp->reused = true;
	pr_warn("no pins in %s: taking over the datapath attached to %s (left by %s) through "
	        "its programs; its connections are kept",
	        dp->pin_dir, a.ifname, who);
out:
	attached_close(&a);
	return err;
}

static int map_id(int fd, __u32 *id)
{
	struct bpf_map_info info = {0};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	*id = info.id;
	return 0;
}

static int prog_id(int fd, __u32 *id)
{
	struct bpf_prog_info info = {0};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	*id = info.id;
	return 0;
}

int datapath_open(struct datapath *dp, const struct datapath_opts *o)
{
	int err;

	memset(dp, 0, sizeof(*dp));
	dp->lock_fd = -1;
	if (snprintf(dp->pin_dir, sizeof(dp->pin_dir), "%s", o->pin_dir) >=
	    (int)sizeof(dp->pin_dir))
		return -ENAMETOOLONG;
	err = bpffs_prepare(o->pin_dir, &dp->created_pin_dir);
	if (err)
		return err;
	err = pin_dir_lock(o->pin_dir, &dp->lock_fd);
	if (err) {
		/* Whatever is in the pin dir is the other fwd's. */
		dp->created_pin_dir = false;
		return err;
	}

	dp->skel = tcfw__open();
	if (!dp->skel) {
		err = -errno;
		pr_warn("cannot open the embedded BPF object: %s (rebuild fwd)", strerror(errno));
		goto fail;
	}
	bpf_map__set_max_entries(dp->skel->maps.ct, o->ct_max);
	if (!pins_present(dp)) {
		err = adopt_attached(dp, o->ifnames, o->nifnames);
		if (err)
			goto fail;
	}
	err = set_pin_paths(dp);
	if (err)
		goto fail;

	/* The verifier can take a while on a big datapath; say what fwd is waiting for. */
	pr_info("loading the datapath into the kernel%s", dp->reused ? " (taking over)" : "");
	err = tcfw__load(dp->skel);
	if (err) {
		pr_warn("cannot load the datapath: %s%s", strerror(-err), load_hint(-err));
		if (err == -EINVAL && dp->reused)
			incompatible_hint(o->pin_dir);
		goto fail;
	}
	err = collect_fds(dp);
	if (!err)
		err = map_id(dp->ct_fd, &dp->ct_id);
	if (!err)
		err = prog_id(dp->prog_ingress_fd, &dp->prog_ingress_id);
	if (!err)
		err = prog_id(dp->prog_egress_fd, &dp->prog_egress_id);
	if (!err)
		err = prog_id(dp->prog_xdp_fd, &dp->prog_xdp_id);
	if (err)
		goto fail;
	pr_info("datapath loaded; maps %s %s (ct max %u entries)",
	        dp->reused ? "reused from" : "pinned in", o->pin_dir, dp->ct_max);

	__u32 zero = 0;

	if (bpf_map_lookup_elem(dp->config_fd, &zero, &dp->config)) {
		err = -errno;
		pr_warn("cannot read map config: %s", strerror(errno));
		goto fail;
	}
	if (dp->config.policy_active >= TCFW_POLICY_COPIES)
		dp->config.policy_active = 0;
	/* This fwd runs the datapath now: say so where another fwd will look. */
	owner_fill(&dp->config.owner, o->socket, o->pin_dir);
	err = datapath_write_config(dp);
	if (err)
		goto fail;
	return 0;
fail:
	/* A fresh load that failed after libbpf pinned maps must not leave them behind; pins
	 * that were reused belong to the datapath still running. */
	if (dp->skel && !dp->reused)
		bpf_object__unpin_maps(dp->skel->obj, NULL);
	if (dp->skel)
		tcfw__destroy(dp->skel);
	dp->skel = NULL;
	if (dp->created_pin_dir && !dp->reused)
		rmdir(o->pin_dir);
	if (dp->lock_fd >= 0)
		close(dp->lock_fd);
	dp->lock_fd = -1;
	return err;
}

void datapath_close(struct datapath *dp)
{
	if (dp->skel)
		tcfw__destroy(dp->skel);
	dp->skel = NULL;
}

void datapath_unlock(struct datapath *dp)
{
	if (dp->lock_fd >= 0)
		close(dp->lock_fd);
	dp->lock_fd = -1;
}

int datapath_write_config(struct datapath *dp)
{
	__u32 zero = 0;

	if (bpf_map_update_elem(dp->config_fd, &zero, &dp->config, BPF_ANY)) {
		int err = -errno;

		pr_warn("cannot write map config: %s", strerror(errno));
		return err;
	}
	return 0;
}

/* Maps earlier layouts pinned that this build no longer has: --cleanup removes them too. */
static const char *const retired_maps[] = {
    "ct_reply", /* layout 4 and before: reply tuple -> orig tuple */
};

int datapath_unpin(const char *pin_dir)
{
	/* The object (not loaded) lists the names this fwd pins; only those are removed. */
	struct tcfw *skel = tcfw__open();
	struct bpf_map *map;
	char path[PATH_MAX];
	int err = 0, n;

	/* Links first: a pinned tcx link goes on filtering until it is detached. */
	n = tcx_detach_all(pin_dir);
	if (n > 0)
		pr_info("%d tcx link(s) pinned in %s/links detached", n, pin_dir);
	else if (n < 0)
		pr_warn("cannot list the tcx links pinned in %s/links: %s", pin_dir, strerror(-n));
	if (!skel) {
		err = -errno;
		pr_warn("cannot open the embedded BPF object to list its maps: %s",
		        strerror(errno));
		return err;
	}
	bpf_object__for_each_map(map, skel->obj)
	{
		if (!map_is_pinned_by_us(map))
			continue;
		snprintf(path, sizeof(path), "%s/%s", pin_dir, bpf_map__name(map));
		if (unlink(path) && errno != ENOENT) {
			err = -errno;
			pr_warn("cannot remove pin %s: %s", path, strerror(errno));
		}
	}
	tcfw__destroy(skel);
	for (size_t i = 0; i < sizeof(retired_maps) / sizeof(retired_maps[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", pin_dir, retired_maps[i]);
		if (unlink(path) && errno != ENOENT) {
			err = -errno;
			pr_warn("cannot remove pin %s: %s", path, strerror(errno));
		}
	}
	if (rmdir(pin_dir) && errno != ENOENT) {
		if (errno == ENOTEMPTY)
			pr_warn("left %s in place: it holds files fwd did not create", pin_dir);
		else
			pr_warn("cannot remove %s: %s", pin_dir, strerror(errno));
		return err ? err : -errno;
	}
	return err;
}
