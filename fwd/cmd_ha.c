// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * cmd_ha.c - control commands of the gateway pair: ha-status, and ha-role which keepalived's
 * notify script sends on every transition (`fwctl ha master|backup|fault`).
 */
#include "commands.h"
#include "fwd.h"
#include "sync.h"

void fwd_cmd_ha_status(struct fwd *fwd, struct client *c, struct json_object *req,
                       struct cmd_reply *r)
{
	(void)c;
	(void)req;
	r->data = sync_status_json(fwd);
}

void fwd_cmd_ha_role(struct fwd *fwd, struct client *c, struct json_object *req,
                     struct cmd_reply *r)
{
	const char *name = cmd_arg_string(req, "role", r);
	int role;

	(void)c;
	if (!name)
		return;
	role = sync_role_parse(name);
	if (role < 0) {
		cmd_fail(r, 2, "unknown role \"%.32s\": expected master, backup or fault", name);
		return;
	}
	sync_set_role(fwd, (enum sync_role)role);
	r->data = sync_status_json(fwd);
}
