// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * cmd_ha.c - `fwctl ha status|master|backup|fault`: the gateway pair as fwd sees it (role,
 * peer, replication counters), and the role keepalived's notify script hands to fwd.
 */
#include <inttypes.h>
#include <string.h>

#include "daemon.h"
#include "fwctl.h"
#include "out.h"

int fwctl_cmd_ha_status(struct fwctl *fw, int argc, char **argv)
{
	(void)argv;
	if (argc > 0)
		return fwctl_usage_error(fw, "'ha status' takes no arguments");
	return fwctl_show_daemon_object(fw, "ha-status");
}

/* master, backup, fault: the command's own name is the role. */
int fwctl_cmd_ha_role(struct fwctl *fw, int argc, char **argv)
{
	struct json_object *req, *data;
	int ret;

	(void)argv;
	if (argc > 0)
		return fwctl_usage_error(fw, "'%s' takes no arguments", fw->cmd_path);
	req = daemon_request("ha-role");
	json_object_object_add(req, "role", json_object_new_string(fw->cmd->name));
	ret = daemon_ask(fw, req, &data);
	if (ret)
		return ret;
	if (out_is_json())
		out_json(NULL, data);
	json_object_put(data);
	return FWCTL_EXIT_OK;
}

/* `fwctl stats`: the pair's counters after the datapath's, when fwd answers. */
void fwctl_stats_ha(struct fwctl *fw, int name_w)
{
	struct json_object *data, *v;
	const char *role;

	if (daemon_ask(fw, daemon_request("ha-status"), &data))
		return;
	role = json_get_str(data, "role", "none");
	struct {
		const char *name, *obj, *key;
	} rows[] = {
	    {"sync_sent", "sent", "records"},
	    {"sync_received", "received", "records"},
	    {"sync_lost", NULL, "lost"},
	    {"sync_dropped", "sent", "dropped"},
	    {"sync_resyncs_sent", "resyncs", "sent"},
	    {"sync_resyncs_received", "resyncs", "received"},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct json_object *o = data;
		long long n = 0;

		if (rows[i].obj && !json_object_object_get_ex(data, rows[i].obj, &o))
			o = NULL;
		if (o && json_object_object_get_ex(o, rows[i].key, &v))
			n = json_object_get_int64(v);
		out_text("%-*s  ", name_w, rows[i].name);
		out_uint(rows[i].name, "%" PRIu64, (uint64_t)n);
		if (fw->verbose)
			out_text("  state replication with the other gateway (fwctl ha status)");
		out_text("\n");
	}
	out_text("%-*s  ", name_w, "ha_role");
	out_str("ha_role", "%s\n", role);
	json_object_put(data);
}
