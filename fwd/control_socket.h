/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * control_socket.h - the control socket's file and permissions (see control_socket.c).
 */
#ifndef FWD_CONTROL_SOCKET_H
#define FWD_CONTROL_SOCKET_H

#include <stdbool.h>
#include <sys/types.h>

struct control_socket_opts {
	bool have_group;
	gid_t group_gid;
	const char *group_name;
};

/* Before touching anything: is another fwd answering at path? 0 when the path is free (a
 * stale socket is removed), -EADDRINUSE (message logged) when one answers. */
int control_check_free(const char *path);

/* Listening, non-blocking socket fd at path, or -errno (message logged). *created_dir: the
 * parent directory was made by this call. */
int control_socket_create(const char *path, const struct control_socket_opts *o, bool *created_dir);

#endif
