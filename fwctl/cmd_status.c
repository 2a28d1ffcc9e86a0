// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * cmd_status.c - `fwctl status`: fwd's own account of itself (interfaces, policy, table size,
 * expiry, uptime). -j passes fwd's object on unchanged; text shows every field it holds.
 */
#include "daemon.h"
#include "fwctl.h"
#include "jsontext.h"
#include "out.h"

int fwctl_cmd_status(struct fwctl *fw, int argc, char **argv)
{
	struct json_object *data;
	int ret;

	(void)argv;
	if (argc > 0)
		return fwctl_usage_error(fw, "'status' takes no arguments");
	ret = daemon_ask(fw, daemon_request("status"), &data);
	if (ret)
		return ret;
	if (out_is_json())
		out_json(NULL, data);
	else
		jsontext_block(data, 0);
	json_object_put(data);
	return FWCTL_EXIT_OK;
}
