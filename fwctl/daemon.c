// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * daemon.c - one request to fwd and its answer (lib/ctl.h does the framing), with every way it
 * can fail turned into one line for the operator.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "attached.h"
#include "daemon.h"
#include "owner.h"
#include "tcfw_abi.h"
#include "log.h"

int daemon_connect(struct fwctl *fw, struct daemon *d)
{
	char err[512];

	if (d->connected)
		return 0;
	if (ctl_connect(&d->conn, fw->socket_path, err, sizeof(err)) < 0) {
		pr_warn("%s", err);
		return FWCTL_EXIT_FAILURE;
	}
	d->connected = true;
	return 0;
}

void daemon_close(struct daemon *d)
{
	if (d->connected)
		ctl_close(&d->conn);
	d->connected = false;
	for (size_t i = 0; i < d->nmaps; i++)
		close(d->map_fd[i]);
	d->nmaps = 0;
}

/* The maps fwctl's listings read, as read-only fds passed by fwd (see lib/ctl.h). Failing is
 * not an error here: maps_open() falls back to the pins and says what is wrong there. */
static void daemon_get_maps(struct daemon *d)
{
	static const char *const wanted[] = {TCFW_MAP_CT,     TCFW_MAP_STATS,
	                                     TCFW_MAP_CONFIG, TCFW_MAP_POL_META,
	                                     TCFW_MAP_DYNSET, TCFW_MAP_DYNSET_META};
	struct json_object *req = daemon_request("maps"), *names = json_object_new_array();
	struct json_object *resp = NULL, *got = NULL;
	struct ctl_reply r = {.error = "no maps"};
	int fds[CTL_MAX_FDS];
	size_t nfds = 0, n;
	int err;

	for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++)
		json_object_array_add(names, json_object_new_string(wanted[i]));
	json_object_object_add(req, "names", names);
	err = ctl_call_fds(&d->conn, req, &resp, fds, CTL_MAX_FDS, &nfds);
	json_object_put(req);
	if (!err && ctl_reply_parse(resp, &r) == 0 && r.ok && r.data)
		json_object_object_get_ex(r.data, "maps", &got);
	if (!got || (n = json_object_array_length(got)) != nfds) {
		pr_debug("fwd passed no map fds (%s): reading the pins in %s",
		         err    ? strerror(-err)
		         : r.ok ? "no maps"
		                : r.error,
		         d->pin_dir);
		for (size_t i = 0; i < nfds; i++)
			close(fds[i]);
		json_object_put(resp);
		return;
	}
	for (size_t i = 0; i < nfds; i++) {
		snprintf(d->map_name[i], sizeof(d->map_name[i]), "%s",
		         json_object_get_string(json_object_array_get_idx(got, i)));
		d->map_fd[i] = fds[i];
	}
	d->nmaps = nfds;
	json_object_put(resp);
}

struct json_object *daemon_request(const char *cmd)
{
	struct json_object *req = json_object_new_object();

	json_object_object_add(req, "cmd", json_object_new_string(cmd));
	return req;
}

const char *json_get_str(struct json_object *o, const char *key, const char *dflt)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return dflt;
	return json_object_get_string(v);
}

long long json_get_int(struct json_object *o, const char *key, long long dflt)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return dflt;
	return (long long)json_object_get_int64(v);
}

/* fwd's error: one line gets our prefix; a multi-line text (policy diagnostics, already
 * "file:line:col: ..." each) is printed as it is. */
static void print_fwd_error(const char *error)
{
	size_t len = strlen(error);

	if (strchr(error, '\n'))
		fprintf(stderr, "%s%s", error, len && error[len - 1] == '\n' ? "" : "\n");
	else
		pr_warn("%s", error);
}

int daemon_call(struct fwctl *fw, struct daemon *d, struct json_object *req,
                struct json_object **data)
{
	const char *cmd = json_get_str(req, "cmd", "?");
	struct json_object *resp = NULL;
	struct ctl_reply r;
	int err;

	*data = NULL;
	pr_debug("-> %s", json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN));
	err = ctl_call(&d->conn, req, &resp);
	json_object_put(req);
	if (err == -ECONNRESET || err == -EPIPE) {
		pr_warn("fwd at %s closed the connection without answering '%s' (did it "
		        "stop? see its log)",
		        fw->socket_path, cmd);
		return FWCTL_EXIT_FAILURE;
	}
	if (err == -EMSGSIZE) {
		pr_warn("the request '%s' is larger than %u MiB, the most fwd accepts in one "
		        "request (docs/fwd.md)",
		        cmd, TCFW_CTL_MAX_MSG >> 20);
		return FWCTL_EXIT_FAILURE;
	}
	if (err < 0) {
		pr_warn("no answer from fwd at %s to '%s': %s", fw->socket_path, cmd,
		        strerror(-err));
		return FWCTL_EXIT_FAILURE;
	}
	pr_debug("<- %s", json_object_to_json_string_ext(resp, JSON_C_TO_STRING_PLAIN));
	if (ctl_reply_parse(resp, &r) < 0) {
		pr_warn("fwd answered '%s' with a message fwctl does not understand (is fwd "
		        "the same version? fwctl is %s): %.200s",
		        cmd, TCFW_VERSION, json_object_to_json_string(resp));
		json_object_put(resp);
		return FWCTL_EXIT_FAILURE;
	}
	if (!r.ok) {
		print_fwd_error(r.error);
		json_object_put(resp);
		return r.status == 2 ? FWCTL_EXIT_USAGE : FWCTL_EXIT_FAILURE;
	}
	*data = json_object_get(r.data); /* NULL stays NULL */
	json_object_put(resp);
	return FWCTL_EXIT_OK;
}

int daemon_request_once(struct fwctl *fw, struct daemon *d, struct json_object *req,
                        struct json_object **data)
{
	int ret = daemon_connect(fw, d);

	if (ret) {
		json_object_put(req);
		*data = NULL;
		return ret;
	}
	return daemon_call(fw, d, req, data);
}

int daemon_ask(struct fwctl *fw, struct json_object *req, struct json_object **data)
{
	struct daemon d = {0};
	int ret = daemon_request_once(fw, &d, req, data);

	daemon_close(&d);
	return ret;
}

int daemon_hello(struct fwctl *fw, struct daemon *d)
{
	struct json_object *data;
	const char *pin_dir, *version;
	int ret = daemon_request_once(fw, d, daemon_request("hello"), &data);

	if (ret)
		return ret;
	pin_dir = json_get_str(data, "pin_dir", NULL);
	if (!pin_dir || !*pin_dir) {
		pr_warn("fwd's answer to 'hello' names no pin_dir (is fwd the same "
		        "version? fwctl is " TCFW_VERSION ")");
		json_object_put(data);
		return FWCTL_EXIT_FAILURE;
	}
	snprintf(d->pin_dir, sizeof(d->pin_dir), "%s", pin_dir);
	version = json_get_str(data, "version", NULL);
	if (version && strcmp(version, TCFW_VERSION) != 0)
		pr_info("fwd is version %s, fwctl %s", version, TCFW_VERSION);
	pr_debug("fwd pid %lld pins its maps in %s", json_get_int(data, "pid", -1), d->pin_dir);
	json_object_put(data);
	daemon_get_maps(d);
	return FWCTL_EXIT_OK;
}

/* No fwd answers: the maps of a datapath attached here, if there is one. */
static int maps_of_attached(struct fwctl *fw, struct daemon *d, const char *why)
{
	static const char *const wanted[] = {TCFW_MAP_CT,     TCFW_MAP_STATS,
	                                     TCFW_MAP_CONFIG, TCFW_MAP_POL_META,
	                                     TCFW_MAP_DYNSET, TCFW_MAP_DYNSET_META};
	struct attached_dp a;
	char who[512];
	int ret = attached_find_any(&a);

	if (ret <= 0) {
		pr_warn("%s", why);
		if (ret < 0)
			pr_warn("and no datapath attached here could be read: %s%s", strerror(-ret),
			        ret == -EPERM ? " (run as root)" : "");
		return FWCTL_EXIT_FAILURE;
	}
	for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++) {
		int fd = attached_map_fd(&a, wanted[i]);

		if (fd < 0 || d->nmaps >= CTL_MAX_FDS)
			continue;
		d->map_fd[d->nmaps] = fcntl(fd, F_DUPFD_CLOEXEC, 0);
		snprintf(d->map_name[d->nmaps], sizeof(d->map_name[0]), "%s", wanted[i]);
		if (d->map_fd[d->nmaps] >= 0)
			d->nmaps++;
	}
	owner_describe(&a.owner, who, sizeof(who));
	snprintf(d->pin_dir, sizeof(d->pin_dir), "%s",
	         a.owner.pin_dir[0] ? a.owner.pin_dir : "(not pinned here)");
	pr_warn("no fwd answers at %s: reading the datapath attached to %s directly (run "
	        "by %s, which is %s)",
	        fw->socket_path, a.ifname, who, owner_alive(&a.owner) ? "still running" : "gone");
	attached_close(&a);
	return FWCTL_EXIT_OK;
}

int daemon_maps(struct fwctl *fw, struct daemon *d)
{
	char err[512];
	int ret;

	if (fw->pin_dir) {
		snprintf(d->pin_dir, sizeof(d->pin_dir), "%s", fw->pin_dir);
		return FWCTL_EXIT_OK;
	}
	ret = ctl_connect(&d->conn, fw->socket_path, err, sizeof(err));
	if (ret == -ENOENT || ret == -ECONNREFUSED)
		return maps_of_attached(fw, d, err);
	if (ret < 0) {
		pr_warn("%s", err);
		return FWCTL_EXIT_FAILURE;
	}
	d->connected = true;
	return daemon_hello(fw, d);
}
