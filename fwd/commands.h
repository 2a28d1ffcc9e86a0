/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * commands.h - the control commands: one handler each, in cmd_*.c, dispatched from the table
 * in control.c. A handler fills a reply: data (optional) on success, or an error message and
 * status (1: failed, 2: bad request) on failure.
 */
#ifndef FWD_COMMANDS_H
#define FWD_COMMANDS_H

#include <stdbool.h>

#include <json-c/json.h>

struct fwd;
struct client;

struct cmd_reply {
	struct json_object *data; /* success: the "data" member (may stay NULL) */
	char *error; /* failure: malloc'd one-line message (policy diagnostics: several lines) */
	int status;  /* failure: 1 or 2 */
	bool sent;   /* the handler answered itself (control_send_fds): nothing more to send */
};

typedef void (*cmd_handler)(struct fwd *fwd, struct client *c, struct json_object *req,
                            struct cmd_reply *r);

/* Set a failure. */
void cmd_fail(struct cmd_reply *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Request members, with a usage failure set when missing or of the wrong type. */
const char *cmd_arg_string(struct json_object *req, const char *key, struct cmd_reply *r);
int cmd_arg_int64(struct json_object *req, const char *key, long long *out, struct cmd_reply *r);

void fwd_cmd_hello(struct fwd *fwd, struct client *c, struct json_object *req, struct cmd_reply *r);
void fwd_cmd_maps(struct fwd *fwd, struct client *c, struct json_object *req, struct cmd_reply *r);
void fwd_cmd_status(struct fwd *fwd, struct client *c, struct json_object *req,
                    struct cmd_reply *r);
void fwd_cmd_ct_del(struct fwd *fwd, struct client *c, struct json_object *req,
                    struct cmd_reply *r);
void fwd_cmd_ct_flush(struct fwd *fwd, struct client *c, struct json_object *req,
                      struct cmd_reply *r);
void fwd_cmd_policy_load(struct fwd *fwd, struct client *c, struct json_object *req,
                         struct cmd_reply *r);
void fwd_cmd_policy_show(struct fwd *fwd, struct client *c, struct json_object *req,
                         struct cmd_reply *r);
void fwd_cmd_rule_add(struct fwd *fwd, struct client *c, struct json_object *req,
                      struct cmd_reply *r);
void fwd_cmd_rule_del(struct fwd *fwd, struct client *c, struct json_object *req,
                      struct cmd_reply *r);
void fwd_cmd_rule_list(struct fwd *fwd, struct client *c, struct json_object *req,
                       struct cmd_reply *r);
void fwd_cmd_set_add(struct fwd *fwd, struct client *c, struct json_object *req,
                     struct cmd_reply *r);
void fwd_cmd_set_del(struct fwd *fwd, struct client *c, struct json_object *req,
                     struct cmd_reply *r);
void fwd_cmd_set_flush(struct fwd *fwd, struct client *c, struct json_object *req,
                       struct cmd_reply *r);
/* cmd_set.c: the periodic removal of expired dynamic set elements. 0 or -errno. */
int dynset_expiry_start(struct fwd *fwd);
void dynset_expiry_stop(struct fwd *fwd);
void fwd_cmd_rule_reset(struct fwd *fwd, struct client *c, struct json_object *req,
                        struct cmd_reply *r);
void fwd_cmd_monitor(struct fwd *fwd, struct client *c, struct json_object *req,
                     struct cmd_reply *r);
void fwd_cmd_ha_status(struct fwd *fwd, struct client *c, struct json_object *req,
                       struct cmd_reply *r);
void fwd_cmd_ha_role(struct fwd *fwd, struct client *c, struct json_object *req,
                     struct cmd_reply *r);

/* SIGHUP: re-read and install the -c file; on error log the diagnostics and keep the running
 * policy. 0 or -1. */
int fwd_reload_policy_file(struct fwd *fwd);
/* Log the checker's warnings about a policy fwd loaded from its file (start, SIGHUP). */
struct policy;
void fwd_log_policy_warnings(const struct policy *p);

#endif
