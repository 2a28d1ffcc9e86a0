// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * cmd_policy.c - control commands on the policy: policy-load, policy-show, rule-add,
 * rule-del, rule-list; and the SIGHUP reload of the -c file. Every change is compiled and
 * installed atomically (policy_install); one that fails leaves the running policy as it was.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#include "commands.h"
#include "fwd.h"
#include "policy_install.h"

#define ERR_LEN         4096
#define POLICY_NAME_MAX 4096 /* PATH_MAX: fwctl sends the file's path */

static struct json_object *install_result(struct fwd *fwd)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "generation",
	                       json_object_new_int64((int64_t)fwd->pol.generation));
	json_object_object_add(o, "rules",
	                       json_object_new_int64((int64_t)policy_rule_count(fwd->pol.p)));
	return o;
}

void cmd_policy_load(struct fwd *fwd, struct client *c, struct json_object *req,
                     struct cmd_reply *r)
{
	const char *name = cmd_arg_string(req, "name", r);
	struct json_object *text_obj;
	struct policy_diags diags = {0};
	struct policy *p;
	char err[ERR_LEN];

	(void)c;
	if (!name)
		return;
	/* The name begins every diagnostic line: it must be a name, not a text. */
	if (strlen(name) > POLICY_NAME_MAX) {
		cmd_fail(r, 2, "policy name of %zu bytes: at most %d (a file name)", strlen(name),
		         POLICY_NAME_MAX);
		return;
	}
	if (!json_object_object_get_ex(req, "text", &text_obj) ||
	    !json_object_is_type(text_obj, json_type_string)) {
		cmd_fail(r, 2, "missing string member \"text\" (the policy) in the request");
		return;
	}
	p = policy_parse(name, json_object_get_string(text_obj),
	                 (size_t)json_object_get_string_len(text_obj), &diags);
	if (!p) {
		char *msg = policy_diags_str(&diags);

		cmd_fail(r, 1, "%s", msg ? msg : "the policy does not parse");
		free(msg);
		policy_diags_free(&diags);
		return;
	}
	policy_diags_free(&diags);
	if (policy_install(fwd, p, name, POLICY_HITS_RESET, err, sizeof(err))) {
		policy_free(p);
		cmd_fail(r, 1, "%s (the running policy is unchanged)", err);
		return;
	}
	r->data = install_result(fwd);
}

int fwd_reload_policy_file(struct fwd *fwd)
{
	struct policy_diags diags = {0};
	struct policy *p = policy_parse_file(fwd->opt.policy_path, &diags);
	char err[ERR_LEN];

	if (!p) {
		char *msg = policy_diags_str(&diags);

		pr_warn("reload of %s refused, the running policy stays:\n%s", fwd->opt.policy_path,
		        msg ? msg : "(no diagnostics)");
		free(msg);
		policy_diags_free(&diags);
		return -1;
	}
	policy_diags_free(&diags);
	if (policy_install(fwd, p, fwd->opt.policy_path, POLICY_HITS_RESET, err, sizeof(err))) {
		pr_warn("reload of %s failed, the running policy stays: %s", fwd->opt.policy_path,
		        err);
		policy_free(p);
		return -1;
	}
	return 0;
}

static struct json_object *hits_json(const uint64_t *hits, size_t n)
{
	struct json_object *arr = json_object_new_array();

	for (size_t id = 1; hits && id < n; id++) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "id", json_object_new_int64((int64_t)id));
		json_object_object_add(o, "hits", json_object_new_int64((int64_t)hits[id]));
		json_object_array_add(arr, o);
	}
	return arr;
}

void cmd_policy_show(struct fwd *fwd, struct client *c, struct json_object *req,
                     struct cmd_reply *r)
{
	size_t n = 0;
	uint64_t *hits = policy_hits(fwd, &n);
	char *text = policy_format(fwd->pol.p, hits, n);

	(void)c;
	(void)req;
	if (!text) {
		cmd_fail(r, 1, "cannot format the policy (out of memory)");
		free(hits);
		return;
	}
	r->data = json_object_new_object();
	json_object_object_add(r->data, "name", json_object_new_string(fwd->pol.name));
	json_object_object_add(r->data, "generation",
	                       json_object_new_int64((int64_t)fwd->pol.generation));
	json_object_object_add(r->data, "text", json_object_new_string(text));
	json_object_object_add(r->data, "hits", hits_json(hits, n));
	free(text);
	free(hits);
}

void cmd_rule_add(struct fwd *fwd, struct client *c, struct json_object *req, struct cmd_reply *r)
{
	const char *line = cmd_arg_string(req, "line", r);
	struct policy_diags diags = {0};
	char err[ERR_LEN];
	int id;

	(void)c;
	if (!line)
		return;
	id = policy_rule_add(fwd->pol.p, line, &diags);
	if (id < 0) {
		char *msg = policy_diags_str(&diags);

		cmd_fail(r, 1, "%s", msg ? msg : "the rule does not parse");
		free(msg);
		policy_diags_free(&diags);
		return;
	}
	policy_diags_free(&diags);
	if (policy_install(fwd, fwd->pol.p, fwd->pol.name, POLICY_HITS_KEEP, err, sizeof(err))) {
		policy_rule_del(fwd->pol.p, (uint32_t)id); /* back to what is installed */
		cmd_fail(r, 1, "%s (the running policy is unchanged)", err);
		return;
	}
	r->data = install_result(fwd);
	json_object_object_add(r->data, "id", json_object_new_int(id));
}

void cmd_rule_del(struct fwd *fwd, struct client *c, struct json_object *req, struct cmd_reply *r)
{
	struct policy_diags diags = {0};
	char err[ERR_LEN];
	long long id;
	char *before;

	(void)c;
	if (cmd_arg_int64(req, "id", &id, r))
		return;
	if (id <= 0 || id > UINT32_MAX) {
		cmd_fail(r, 2, "bad rule id %lld (ids start at 1; see rule-list)", id);
		return;
	}
	/* The installed policy as text (ids included), to restore it if installing fails. */
	before = policy_format(fwd->pol.p, NULL, 0);
	if (!before) {
		cmd_fail(r, 1, "out of memory");
		return;
	}
	if (policy_rule_del(fwd->pol.p, (uint32_t)id)) {
		cmd_fail(r, 1, "no rule with id %lld (see rule-list)", id);
		free(before);
		return;
	}
	if (policy_install(fwd, fwd->pol.p, fwd->pol.name, POLICY_HITS_KEEP, err, sizeof(err))) {
		struct policy *restored =
		    policy_parse(fwd->pol.name, before, strlen(before), &diags);

		policy_diags_free(&diags);
		if (restored) {
			policy_free(fwd->pol.p);
			fwd->pol.p = restored;
		} else {
			pr_warn("rule-del: cannot restore rule %lld in fwd's copy of the policy; "
			        "the datapath still has it (reload the policy)",
			        id);
		}
		cmd_fail(r, 1, "%s (the running policy is unchanged)", err);
		free(before);
		return;
	}
	free(before);
	r->data = install_result(fwd);
	json_object_object_add(r->data, "id", json_object_new_int64(id));
}

/* The chain of a formatted rule from its first words: input, forward, output, dnat, snat. */
static const char *rule_chain(const char *text)
{
	if (!strncmp(text, "nat dnat", 8))
		return "dnat";
	if (!strncmp(text, "nat ", 4))
		return "snat"; /* snat and masquerade */
	if (!strncmp(text, "input", 5))
		return "input";
	if (!strncmp(text, "forward", 7))
		return "forward";
	return "output";
}

void cmd_rule_list(struct fwd *fwd, struct client *c, struct json_object *req, struct cmd_reply *r)
{
	size_t n = 0;
	uint64_t *hits = policy_hits(fwd, &n);
	/* The formatter writes each rule on one line as "[ID] text"; it is the one place that
	 * knows how a rule is written. */
	char *text = policy_format(fwd->pol.p, NULL, 0), *save = NULL;
	struct json_object *rules = json_object_new_array();

	(void)c;
	(void)req;
	if (!text) {
		cmd_fail(r, 1, "cannot format the policy (out of memory)");
		json_object_put(rules);
		free(hits);
		return;
	}
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned long id;
		char *end;
		struct json_object *o;

		if (line[0] != '[')
			continue;
		id = strtoul(line + 1, &end, 10);
		if (end[0] != ']' || end[1] != ' ')
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "id", json_object_new_int64((int64_t)id));
		json_object_object_add(o, "chain", json_object_new_string(rule_chain(end + 2)));
		json_object_object_add(o, "text", json_object_new_string(end + 2));
		json_object_object_add(
		    o, "hits", json_object_new_int64(hits && id < n ? (int64_t)hits[id] : 0));
		json_object_array_add(rules, o);
	}
	free(text);
	free(hits);
	r->data = json_object_new_object();
	json_object_object_add(r->data, "generation",
	                       json_object_new_int64((int64_t)fwd->pol.generation));
	json_object_object_add(r->data, "rules", rules);
}
