// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * attached.c - tcfw programs as the kernel sees them on an interface (see attached.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "log.h"

#include "attached.h"
#include "owner.h"
#include "tcx_compat.h"

int attached_cls_prog_id(int ifindex, bool ingress, __u32 *prog_id)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
	            .attach_point = ingress ? BPF_TC_INGRESS : BPF_TC_EGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = TCFW_TC_HANDLE, .priority = TCFW_TC_PRIORITY);
	int err = bpf_tc_query(&hook, &opts);

	*prog_id = 0;
	/* No qdisc or no such filter: nothing attached. */
	if (err == -ENOENT || err == -EINVAL)
		return 0;
	if (err)
		return err;
	*prog_id = opts.prog_id;
	return 0;
}

bool attached_prog_is_tcfw(__u32 id)
{
	struct bpf_prog_info info = {0};
	__u32 len = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(id);
	bool ours;

	if (fd < 0)
		return false;
	ours = bpf_obj_get_info_by_fd(fd, &info, &len) == 0 &&
	       !strncmp(info.name, "tcfw_", strlen("tcfw_"));
	close(fd);
	return ours;
}

/* The programs on ifindex's tcx hook: their count, or -errno. A kernel without tcx has none. */
static int tcx_prog_ids(int ifindex, bool ingress, __u32 *ids, __u32 max)
{
	LIBBPF_OPTS(bpf_prog_query_opts, q, .prog_ids = ids, .prog_cnt = max);
	int err = bpf_prog_query_opts(ifindex, ingress ? BPF_TCX_INGRESS : BPF_TCX_EGRESS, &q);

	if (err == -EINVAL || err == -ENOENT || err == -ENODEV)
		return 0;
	if (err)
		return err;
	return (int)(q.prog_cnt < max ? q.prog_cnt : max);
}

int attached_tcx_has(int ifindex, bool ingress, __u32 prog_id)
{
	__u32 ids[ATTACHED_MAX_HOOK];
	int n = tcx_prog_ids(ifindex, ingress, ids, ATTACHED_MAX_HOOK);

	for (int i = 0; i < n; i++)
		if (ids[i] == prog_id)
			return 1;
	return n < 0 ? n : 0;
}

int attached_hook_progs(int ifindex, bool ingress, __u32 *ids, size_t max)
{
	__u32 tcx[ATTACHED_MAX_HOOK], id;
	size_t n = 0;
	int err = attached_cls_prog_id(ifindex, ingress, &id), ntcx;

	if (err)
		return err;
	if (id && n < max)
		ids[n++] = id;
	ntcx = tcx_prog_ids(ifindex, ingress, tcx, ATTACHED_MAX_HOOK);
	if (ntcx < 0)
		return ntcx;
	for (int i = 0; i < ntcx && n < max; i++)
		if (attached_prog_is_tcfw(tcx[i]))
			ids[n++] = tcx[i];
	return (int)n;
}

int attached_prog_id(int ifindex, bool ingress, __u32 *prog_id)
{
	__u32 ids[1];
	int n = attached_hook_progs(ifindex, ingress, ids, 1);

	*prog_id = n > 0 ? ids[0] : 0;
	return n < 0 ? n : 0;
}

int attached_open(__u32 prog_id, struct attached_dp *a)
{
	__u32 ids[ATTACHED_MAX_MAPS];
	struct bpf_prog_info info = {0};
	__u32 len = sizeof(info);
	int prog_fd, err = 0, config_fd;

	memset(a, 0, sizeof(*a));
	a->prog_id = prog_id;
	prog_fd = bpf_prog_get_fd_by_id(prog_id);
	if (prog_fd < 0)
		return -errno;
	info.nr_map_ids = ATTACHED_MAX_MAPS;
	info.map_ids = (__u64)(unsigned long)ids;
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len)) {
		err = -errno;
		goto out;
	}
	for (__u32 i = 0; i < info.nr_map_ids && i < ATTACHED_MAX_MAPS; i++) {
		struct bpf_map_info mi = {0};
		__u32 mlen = sizeof(mi);
		int fd = bpf_map_get_fd_by_id(ids[i]);

		if (fd < 0)
			continue; /* freed meanwhile */
		if (bpf_obj_get_info_by_fd(fd, &mi, &mlen)) {
			close(fd);
			continue;
		}
		a->maps[a->nmaps].fd = fd;
		a->maps[a->nmaps].id = ids[i];
		snprintf(a->maps[a->nmaps].name, sizeof(a->maps[0].name), "%s", mi.name);
		a->nmaps++;
	}
	config_fd = attached_map_fd(a, TCFW_MAP_CONFIG);
	if (config_fd >= 0)
		owner_read(config_fd, &a->owner);
out:
	close(prog_fd);
	if (err)
		attached_close(a);
	return err;
}

void attached_close(struct attached_dp *a)
{
	for (size_t i = 0; i < a->nmaps; i++)
		close(a->maps[i].fd);
	a->nmaps = 0;
}

int attached_map_fd(const struct attached_dp *a, const char *name)
{
	for (size_t i = 0; i < a->nmaps; i++)
		if (!strcmp(a->maps[i].name, name))
			return a->maps[i].fd;
	return -1;
}

static bool attached_uses_map(const struct attached_dp *a, __u32 id)
{
	for (size_t i = 0; i < a->nmaps; i++)
		if (a->maps[i].id == id)
			return true;
	return false;
}

int attached_find(const char *const *ifnames, size_t n, struct attached_dp *a)
{
	for (size_t i = 0; i < n; i++) {
		int ifindex = (int)if_nametoindex(ifnames[i]);
		__u32 prog_id;
		int err;

		if (!ifindex || attached_prog_id(ifindex, true, &prog_id) || !prog_id)
			continue;
		err = attached_open(prog_id, a);
		if (err == -ENOENT)
			continue; /* detached and freed since the query */
		if (err)
			return err;
		snprintf(a->ifname, sizeof(a->ifname), "%s", ifnames[i]);
		if (attached_map_fd(a, TCFW_MAP_CT) < 0) {
			attached_close(a);
			continue; /* not a tcfw datapath after all */
		}
		return 1;
	}
	return 0;
}

int attached_find_any(struct attached_dp *a)
{
	struct if_nameindex *ifs = if_nameindex();
	const char **names;
	size_t n = 0;
	int ret;

	if (!ifs)
		return -errno;
	while (ifs[n].if_index)
		n++;
	names = calloc(n ? n : 1, sizeof(*names));
	if (!names) {
		if_freenameindex(ifs);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		names[i] = ifs[i].if_name;
	ret = attached_find(names, n, a);
	free(names);
	if_freenameindex(ifs);
	return ret;
}

/* attached_check_free() for one program on ifname's hooks. */
static int check_one(__u32 prog_id, const char *ifname, __u32 ct_id, char *why, size_t len)
{
	struct attached_dp a;
	char who[512];
	bool ours;
	int err = attached_open(prog_id, &a);

	if (err == -ENOENT)
		return 0; /* detached and freed since the query */
	if (err) {
		snprintf(why, len, "cannot inspect the program filtering %s (id %u): %s", ifname,
		         prog_id, strerror(-err));
		return err;
	}
	ours = attached_uses_map(&a, ct_id);
	owner_describe(&a.owner, who, sizeof(who));
	if (!ours && owner_alive(&a.owner))
		snprintf(why, len,
		         "%s is already filtered by %s: refusing to attach a second fwd to "
		         "it; stop that fwd first, or leave %s out of this one's zones",
		         ifname, who, ifname);
	else if (!ours)
		snprintf(why, len,
		         "%s carries the datapath of %s, which is no longer running (stopped "
		         "with --keep, or killed): take it over by starting fwd with its "
		         "--pin-dir, or remove it with `fwd --cleanup --pin-dir DIR`",
		         ifname, who);
	attached_close(&a);
	return ours ? 0 : -EBUSY;
}

int attached_check_free(int ifindex, const char *ifname, __u32 ct_id, char *why, size_t len)
{
	for (int ingress = 1; ingress >= 0; ingress--) {
		__u32 ids[ATTACHED_MAX_HOOK];
		int n = attached_hook_progs(ifindex, ingress, ids, ATTACHED_MAX_HOOK);

		if (n < 0) {
			snprintf(why, len, "cannot ask the kernel what filters %s: %s", ifname,
			         strerror(-n));
			return n;
		}
		for (int i = 0; i < n; i++) {
			int err = check_one(ids[i], ifname, ct_id, why, len);

			if (err)
				return err;
		}
	}
	return 0;
}
