// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * tcx.c - tcx links, pinned per interface (see tcx.h).
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "attached.h"
#include "log.h"
#include "tcx_compat.h"

#include "tcx.h"

#define LINKS_SUBDIR "links"

static const char *const dir_name[2] = {"ingress", "egress"};

static int links_dir(const char *pin_dir, char *buf, size_t len)
{
	if (snprintf(buf, len, "%s/" LINKS_SUBDIR, pin_dir) >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

static int link_path(const char *pin_dir, int ifindex, int dir, char *buf, size_t len)
{
	if (snprintf(buf, len, "%s/" LINKS_SUBDIR "/%d-%s", pin_dir, ifindex, dir_name[dir]) >=
	    (int)len)
		return -ENAMETOOLONG;
	return 0;
}

static int link_info(int fd, struct tcfw_tcx_link_info *info)
{
	__u32 len = sizeof(*info);

	memset(info, 0, sizeof(*info));
	return bpf_obj_get_info_by_fd(fd, info, &len) ? -errno : 0;
}

bool tcx_link_alive(int link_fd)
{
	struct tcfw_tcx_link_info info;

	return link_fd >= 0 && link_info(link_fd, &info) == 0 && info.type == BPF_LINK_TYPE_TCX &&
	       info.ifindex != 0;
}

static const char *tcx_hint(int err)
{
	switch (err) {
	case EINVAL:
		return " (the kernel has no tcx: 6.6 or later; `--attach tc` uses cls_bpf)";
	case EPERM:
	case EACCES:
		return " (run fwd as root: it needs CAP_NET_ADMIN and CAP_BPF)";
	case ENODEV:
	case ENXIO:
		return " (the interface disappeared; it is attached again when it returns)";
	default:
		return "";
	}
}

/* A new link for one direction, pinned; a defunct pin at its place is replaced. */
static int attach_one(const char *pin_dir, int ifindex, int dir, int prog_fd, struct tcx_links *l)
{
	struct tcfw_tcx_link_info info;
	char path[PATH_MAX];
	int fd, err;

	err = links_dir(pin_dir, path, sizeof(path));
	if (err)
		return err;
	if (mkdir(path, 0700) && errno != EEXIST)
		return -errno;
	err = link_path(pin_dir, ifindex, dir, path, sizeof(path));
	if (err)
		return err;
	fd = bpf_link_create(prog_fd, ifindex, dir ? BPF_TCX_EGRESS : BPF_TCX_INGRESS, NULL);
	if (fd < 0)
		return -errno;
	/* Callers only come here when the pin is absent or defunct: removing it frees nothing
	 * that filters. */
	unlink(path);
	if (bpf_obj_pin(fd, path)) {
		err = -errno;
		bpf_link_detach(fd);
		close(fd);
		return err;
	}
	l->fd[dir] = fd;
	l->id[dir] = link_info(fd, &info) == 0 ? info.id : 0;
	return 0;
}

static void detach_one(const char *pin_dir, int ifindex, int dir, struct tcx_links *l)
{
	char path[PATH_MAX];
	int fd = l ? l->fd[dir] : -1;

	if (link_path(pin_dir, ifindex, dir, path, sizeof(path)))
		return;
	if (fd < 0)
		fd = bpf_obj_get(path);
	if (fd >= 0) {
		/* Detach first: a link some other process holds open would stay attached
		 * after the unpin. */
		if (bpf_link_detach(fd) && errno != ENOLINK && errno != EINVAL)
			pr_warn("cannot detach the tcx link %s: %s", path, strerror(errno));
		close(fd);
	}
	if (unlink(path) && errno != ENOENT)
		pr_warn("cannot remove the pin %s: %s", path, strerror(errno));
	if (l) {
		l->fd[dir] = -1;
		l->id[dir] = 0;
	}
}

int tcx_attach_iface(const char *pin_dir, int ifindex, const char *name, int prog_ingress_fd,
                     int prog_egress_fd, struct tcx_links *l, char *err, size_t errlen)
{
	int ret;

	l->fd[0] = l->fd[1] = -1;
	ret = attach_one(pin_dir, ifindex, 0, prog_ingress_fd, l);
	if (!ret)
		ret = attach_one(pin_dir, ifindex, 1, prog_egress_fd, l);
	if (ret) {
		snprintf(err, errlen, "cannot attach to %s with tcx: %s%s", name, strerror(-ret),
		         tcx_hint(-ret));
		/* Leave nothing half-done: a lone ingress program would track one direction. */
		tcx_detach_iface(pin_dir, ifindex, l);
	}
	return ret;
}

int tcx_reattach_one(const char *pin_dir, int ifindex, bool ingress, int prog_fd,
                     struct tcx_links *l, char *err, size_t errlen)
{
	int dir = ingress ? 0 : 1, ret;

	if (l->fd[dir] >= 0)
		close(l->fd[dir]); /* defunct: its pin is replaced below */
	l->fd[dir] = -1;
	ret = attach_one(pin_dir, ifindex, dir, prog_fd, l);
	if (ret)
		snprintf(err, errlen, "cannot attach the %s tcx link again: %s%s", dir_name[dir],
		         strerror(-ret), tcx_hint(-ret));
	return ret;
}

int tcx_open_pinned(const char *pin_dir, int ifindex, struct tcx_links *l)
{
	int found = 0;

	l->fd[0] = l->fd[1] = -1;
	l->id[0] = l->id[1] = 0;
	for (int dir = 0; dir < 2; dir++) {
		struct tcfw_tcx_link_info info;
		char path[PATH_MAX];
		int fd, err = link_path(pin_dir, ifindex, dir, path, sizeof(path));

		if (err)
			return err;
		fd = bpf_obj_get(path);
		if (fd < 0) {
			if (errno == ENOENT)
				continue;
			return -errno;
		}
		if (link_info(fd, &info) == 0 && info.type == BPF_LINK_TYPE_TCX &&
		    info.ifindex == (__u32)ifindex) {
			l->fd[dir] = fd;
			l->id[dir] = info.id;
			found = 1;
			continue;
		}
		/* Detached by hand, or an ifindex reused by another interface. */
		close(fd);
		unlink(path);
	}
	return found;
}

int tcx_find_attached(int ifindex, struct tcx_links *l)
{
	__u32 id = 0;
	int found = 0;

	l->fd[0] = l->fd[1] = -1;
	l->id[0] = l->id[1] = 0;
	while (bpf_link_get_next_id(id, &id) == 0) {
		struct tcfw_tcx_link_info info;
		int fd = bpf_link_get_fd_by_id(id), dir;

		if (fd < 0)
			continue; /* gone meanwhile */
		/* Link ids are global but ifindexes are per network namespace: a link counts
		 * only when its program is on this namespace's hook of that ifindex (another
		 * namespace's fwd runs programs of its own). */
		dir = link_info(fd, &info) == 0 && info.type == BPF_LINK_TYPE_TCX &&
		              info.ifindex == (__u32)ifindex &&
		              attached_prog_is_tcfw(info.prog_id) &&
		              attached_tcx_has(ifindex, info.attach_type == BPF_TCX_INGRESS,
		                               info.prog_id) == 1
		          ? (info.attach_type == BPF_TCX_EGRESS)
		          : -1;
		if (dir < 0 || l->fd[dir] >= 0) {
			close(fd);
			continue;
		}
		l->fd[dir] = fd;
		l->id[dir] = info.id;
		found = 1;
	}
	return found;
}

int tcx_update(struct tcx_links *l, int prog_ingress_fd, int prog_egress_fd)
{
	const int prog[2] = {prog_ingress_fd, prog_egress_fd};

	for (int dir = 0; dir < 2; dir++)
		if (l->fd[dir] >= 0 && bpf_link_update(l->fd[dir], prog[dir], NULL))
			return -errno;
	return 0;
}

int tcx_detach_iface(const char *pin_dir, int ifindex, struct tcx_links *l)
{
	detach_one(pin_dir, ifindex, 0, l);
	detach_one(pin_dir, ifindex, 1, l);
	return 0;
}

void tcx_close(struct tcx_links *l)
{
	for (int dir = 0; dir < 2; dir++) {
		if (l->fd[dir] >= 0)
			close(l->fd[dir]);
		l->fd[dir] = -1;
	}
}

int tcx_detach_all(const char *pin_dir)
{
	char dir[PATH_MAX], path[PATH_MAX + 256];
	struct dirent *de;
	int n = 0;
	DIR *d;

	if (links_dir(pin_dir, dir, sizeof(dir)))
		return -ENAMETOOLONG;
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		int fd;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		fd = bpf_obj_get(path);
		if (fd >= 0) {
			if (tcx_link_alive(fd) && bpf_link_detach(fd) == 0)
				n++;
			close(fd);
		}
		if (unlink(path) && errno != ENOENT)
			pr_warn("cannot remove the pin %s: %s", path, strerror(errno));
	}
	closedir(d);
	if (rmdir(dir) && errno != ENOENT)
		pr_warn("cannot remove %s: %s", dir, strerror(errno));
	return n;
}
