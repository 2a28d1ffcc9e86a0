// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * bpffs.c - a bpffs under the pin dir. Pins only survive fwd when they live on a bpffs; a
 * system without one mounted (containers, minimal installs) gets one at the pin dir's parent.
 * Mounting over a directory hides what it holds, so that is only done on an empty directory
 * or on the standard /sys/fs/bpf.
 */
#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <linux/magic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "log.h"

#include "datapath.h"

/* This fwd mounted the bpffs the pin dir is on (none was there). */
static bool mounted_by_fwd;

static int mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) && errno != EEXIST)
		return -errno;
	return 0;
}

static bool dir_is_empty(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	bool empty = true;

	if (!d)
		return false;
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			empty = false;
			break;
		}
	}
	closedir(d);
	return empty;
}

/* Does this process live in a mount namespace other than init's (pid 1's)? */
static bool in_private_mount_ns(void)
{
	struct stat self, init;

	if (stat("/proc/self/ns/mnt", &self) || stat("/proc/1/ns/mnt", &init))
		return false;
	return self.st_ino != init.st_ino || self.st_dev != init.st_dev;
}

static int bpffs_mount_at(const char *mnt)
{
	struct statfs st;
	int err;

	err = mkdir_p(mnt, 0700);
	if (err) {
		pr_warn("cannot create %s for the bpffs: %s", mnt, strerror(-err));
		return err;
	}
	if (statfs(mnt, &st)) {
		err = -errno;
		pr_warn("cannot check the filesystem of %s: %s", mnt, strerror(errno));
		return err;
	}
	if (st.f_type == BPF_FS_MAGIC)
		return 0;
	if (strcmp(mnt, "/sys/fs/bpf") != 0 && !dir_is_empty(mnt)) {
		pr_warn("%s is not a bpffs and is not empty: not mounting over it (mount one with "
		        "`mount -t bpf bpf DIR` and use a --pin-dir inside it)",
		        mnt);
		return -ENOTDIR;
	}
	if (mount("bpf", mnt, "bpf", 0, "mode=0700")) {
		err = -errno;
		pr_warn("cannot mount a bpffs at %s: %s (run fwd as root, or mount it with "
		        "`mount -t bpf bpf %s`)",
		        mnt, strerror(errno), mnt);
		return err;
	}
	mounted_by_fwd = true;
	if (in_private_mount_ns())
		pr_warn(
		    "mounted a bpffs at %s in a mount namespace of fwd's own (`ip netns exec` "
		    "gives each command one): its pins end with fwd and no other command sees "
		    "them; fwctl reads the maps through the control socket, and a restarted fwd "
		    "takes the datapath over through the programs attached to its interfaces",
		    mnt);
	else
		pr_info("mounted a bpffs at %s", mnt);
	return 0;
}

int bpffs_prepare(const char *pin_dir, bool *created)
{
	char parent[PATH_MAX];
	struct stat st;

	*created = false;
	if (pin_dir[0] != '/') {
		pr_warn("--pin-dir %s: give an absolute path (pins outlive the working directory)",
		        pin_dir);
		return -EINVAL;
	}
	if (snprintf(parent, sizeof(parent), "%s", pin_dir) >= (int)sizeof(parent))
		return -ENAMETOOLONG;
	int err = bpffs_mount_at(dirname(parent));

	if (err)
		return err;
	if (stat(pin_dir, &st) == 0)
		return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
	if (mkdir(pin_dir, 0700)) {
		err = -errno;
		pr_warn("cannot create the pin dir %s: %s", pin_dir, strerror(errno));
		return err;
	}
	*created = true;
	return 0;
}

bool bpffs_outlives_fwd(const char *pin_dir)
{
	char there[PATH_MAX + 16];
	struct stat self, init, here, root;

	if (stat("/proc/self/ns/mnt", &self) || stat("/proc/1/ns/mnt", &init))
		/* pid 1 is out of reach (a container, a ptrace restriction): a bpffs that was
		 * mounted before fwd came is taken to be the host's; one fwd had to mount may be
		 * in a mount namespace that ends with it (`ip netns exec` remounts /sys). */
		return !mounted_by_fwd;
	if (self.st_ino == init.st_ino && self.st_dev == init.st_dev)
		return true;
	/* Seen from pid 1's mount namespace, is it the same directory? Then the bpffs is the
	 * host's (or shared with it), and outlives this namespace. */
	snprintf(there, sizeof(there), "/proc/1/root%s", pin_dir);
	if (stat(pin_dir, &here) || stat(there, &root))
		return false;
	return here.st_dev == root.st_dev && here.st_ino == root.st_ino;
}
