// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * cmd_status.c - `fwctl status`: fwd's own account of itself (interfaces, policy, table size,
 * expiry, uptime). -j passes fwd's object on unchanged; text shows every field it holds.
 */
#include "daemon.h"
#include "fwctl.h"
#include "jsontext.h"
#include "out.h"

/* Ask fwd `cmd` and show its answer: -j passes the object on, text shows every field. */
int fwctl_show_daemon_object(struct fwctl *fw, const char *cmd)
{
	struct json_object *data;
	int ret = daemon_ask(fw, daemon_request(cmd), &data);

	if (ret)
		return ret;
	if (out_is_json())
		out_json(NULL, data);
	else
		jsontext_block(data, 0);
	json_object_put(data);
	return FWCTL_EXIT_OK;
}

int fwctl_cmd_status(struct fwctl *fw, int argc, char **argv)
{
	(void)argv;
	if (argc > 0)
		return fwctl_usage_error(fw, "'status' takes no arguments");
	return fwctl_show_daemon_object(fw, "status");
}
