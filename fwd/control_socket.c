// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * control_socket.c - the control socket's file: refuse when another fwd answers there, remove
 * a stale one, create the directory and the socket with the permissions that decide who may
 * connect (root only: 0700 dir / 0600 socket; with --group: 0750 / 0660 and that group).
 * SO_PEERCRED is checked on every connection as well (control.c); the file mode is the first
 * gate, the credential check the authoritative one.
 */
#include <errno.h>
#include <grp.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl.h"
#include "log.h"

#include "control_socket.h"

static const char *group_of(const struct control_socket_opts *o)
{
	return o->group_name ? o->group_name : "(unnamed)";
}

int control_check_free(const char *path)
{
	struct ctl_conn c;
	struct json_object *req, *resp = NULL, *data, *pid;
	struct timeval tv = {.tv_sec = 2};
	char err[512];
	long other_pid = 0;
	int ret = ctl_connect(&c, path, err, sizeof(err));

	if (ret == -ENOENT)
		return 0;
	if (ret == -ECONNREFUSED) {
		/* A socket file nobody listens on: left by a fwd that was killed. */
		if (unlink(path) && errno != ENOENT) {
			ret = -errno;
			pr_warn("cannot remove the stale control socket %s: %s", path,
			        strerror(errno));
			return ret;
		}
		pr_info("removed the stale control socket %s", path);
		return 0;
	}
	if (ret) {
		pr_warn("cannot check the control socket %s: %s", path, err);
		return ret;
	}
	/* Something listens. Ask who, for a better message; never wait long. */
	setsockopt(c.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	req = json_object_new_object();
	json_object_object_add(req, "cmd", json_object_new_string("hello"));
	if (ctl_call(&c, req, &resp) == 0 && json_object_object_get_ex(resp, "data", &data) &&
	    json_object_object_get_ex(data, "pid", &pid))
		other_pid = json_object_get_int64(pid);
	json_object_put(req);
	json_object_put(resp);
	ctl_close(&c);
	if (other_pid)
		pr_warn(
		    "another fwd (pid %ld) is running with control socket %s; stop it first, or "
		    "give this one its own --socket and --pin-dir",
		    other_pid, path);
	else
		pr_warn("something is listening on %s; stop it or choose another --socket", path);
	return -EADDRINUSE;
}

static int make_parent_dir(const char *path, const struct control_socket_opts *o, bool *created)
{
	char buf[PATH_MAX];
	char *dir;
	struct stat st;

	*created = false;
	snprintf(buf, sizeof(buf), "%s", path);
	dir = dirname(buf);
	if (stat(dir, &st) == 0) {
		if (o->have_group && !(st.st_mode & S_IXGRP))
			pr_warn(
			    "%s is not searchable by its group: members of group %s cannot reach "
			    "the socket (chmod g+x %s and chgrp it to %s)",
			    dir, group_of(o), dir, group_of(o));
		return 0;
	}
	/* Only the last component is created with a mode of our choosing; /run exists. */
	if (mkdir(dir, o->have_group ? 0750 : 0700)) {
		int err = -errno;

		pr_warn("cannot create %s for the control socket: %s", dir, strerror(errno));
		return err;
	}
	*created = true;
	if (o->have_group && chown(dir, (uid_t)-1, o->group_gid))
		pr_warn("cannot give %s to group %s: %s", dir, group_of(o), strerror(errno));
	return 0;
}

int control_socket_create(const char *path, const struct control_socket_opts *o, bool *created_dir)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	mode_t old_umask;
	int fd, err;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		pr_warn("--socket %s: path too long (at most %zu bytes)", path,
		        sizeof(sa.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	err = make_parent_dir(path, o, created_dir);
	if (err)
		return err;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = -errno;
		pr_warn("cannot create the control socket: %s", strerror(errno));
		return err;
	}
	/* The socket must never exist with looser permissions, not even between bind and
	 * chmod: the umask decides its mode at creation. */
	old_umask = umask(0177);
	err = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ? -errno : 0;
	umask(old_umask);
	if (err) {
		pr_warn("cannot bind the control socket %s: %s", path, strerror(-err));
		goto fail;
	}
	if (o->have_group && (chown(path, (uid_t)-1, o->group_gid) || chmod(path, 0660))) {
		err = -errno;
		pr_warn("cannot open the control socket %s to group %s: %s", path, group_of(o),
		        strerror(errno));
		unlink(path);
		goto fail;
	}
	if (listen(fd, 64)) {
		err = -errno;
		pr_warn("cannot listen on the control socket %s: %s", path, strerror(errno));
		unlink(path);
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return err;
}
