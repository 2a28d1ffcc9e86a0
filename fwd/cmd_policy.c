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
#include "notify.h"
#include "policy_install.h"

#define ERR_LEN         4096
#define POLICY_NAME_MAX 4096 /* PATH_MAX: fwctl sends the file's path */

/* A policy change refused (parse, check, install): counted for
 * tcfw_policy_reload_failures_total. Malformed requests are not changes and are not counted. */
static void change_failed(struct fwd *fwd)
{
	fwd->pol.change_failures++;
}

static struct json_object *install_result(struct fwd *fwd)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "generation",
	                       json_object_new_int64((int64_t)fwd->pol.generation));
	json_object_object_add(o, "rules",
	                       json_object_new_int64((int64_t)policy_rule_count(fwd->pol.p)));
	return o;
}

/* A rule edit lasts until fwd loads its file again: say which file (fwctl tells the operator). */
static void add_policy_file(struct fwd *fwd, struct json_object *o)
{
	if (fwd->opt.policy_path)
		json_object_object_add(o, "policy_file",
		                       json_object_new_string(fwd->opt.policy_path));
}

/* The checker's warnings as [{"file", "line", "col", "severity", "message"}, ...]: the
 * policy loaded, but these rules do not do what they say (fwctl prints them). */
static struct json_object *warnings_json(const struct policy_diags *d)
{
	struct json_object *arr = json_object_new_array();

	for (size_t i = 0; i < d->n; i++) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "file",
		                       json_object_new_string(d->v[i].file ? d->v[i].file : ""));
		json_object_object_add(o, "line", json_object_new_int(d->v[i].line));
		json_object_object_add(o, "col", json_object_new_int(d->v[i].col));
		json_object_object_add(o, "severity", json_object_new_string("warning"));
		json_object_object_add(o, "message", json_object_new_string(d->v[i].msg));
		json_object_array_add(arr, o);
	}
	return arr;
}

/* Each warning of a policy fwd loaded from a file, in its log. */
void fwd_log_policy_warnings(const struct policy *p)
{
	struct policy_diags diags = {0};
	char *msg;

	if (!policy_warnings(p, &diags))
		return;
	msg = policy_diags_str(&diags);
	pr_warn("the policy loaded, with warnings:\n%s", msg ? msg : "(out of memory)");
	free(msg);
	policy_diags_free(&diags);
}

/* The request's "force": true (fwctl policy load --force). */
static bool force_given(struct json_object *req)
{
	struct json_object *v;

	return json_object_object_get_ex(req, "force", &v) && json_object_get_boolean(v);
}

void fwd_cmd_policy_load(struct fwd *fwd, struct client *c, struct json_object *req,
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
		change_failed(fwd);
		return;
	}
	policy_diags_free(&diags);
	policy_warnings(p, &diags);
	if (!policy_interface_count(p) && policy_interface_count(fwd->pol.p) && !force_given(req)) {
		policy_diags_free(&diags);
		policy_free(p);
		change_failed(fwd);
		cmd_fail(r, 1,
		         "%s: no zone names an interface: loading it would detach tcfw from "
		         "every interface and leave the gateway unfiltered; refused, the running "
		         "policy is unchanged (`fwctl policy load --force` does it on purpose)",
		         name);
		return;
	}
	/* A reload to systemd as well (`systemctl reload` runs `fwctl policy load`). */
	notify_reloading();
	if (policy_install(fwd, p, name, POLICY_HITS_MATCH, err, sizeof(err))) {
		policy_free(p);
		policy_diags_free(&diags);
		change_failed(fwd);
		cmd_fail(r, 1, "%s (the running policy is unchanged)", err);
		notify_reloaded(fwd);
		return;
	}
	ifaces_report_missing(fwd);
	notify_reloaded(fwd);
	r->data = install_result(fwd);
	json_object_object_add(r->data, "warnings", warnings_json(&diags));
	policy_diags_free(&diags);
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
		change_failed(fwd);
		return -1;
	}
	policy_diags_free(&diags);
	if (!policy_interface_count(p) && policy_interface_count(fwd->pol.p)) {
		pr_warn(
		    "reload of %s refused, the running policy stays: no zone names an interface, "
		    "so it would detach tcfw from every interface and leave the gateway "
		    "unfiltered (`fwctl policy load --force FILE` does it on purpose)",
		    fwd->opt.policy_path);
		policy_free(p);
		change_failed(fwd);
		return -1;
	}
	if (policy_install(fwd, p, fwd->opt.policy_path, POLICY_HITS_MATCH, err, sizeof(err))) {
		pr_warn("reload of %s failed, the running policy stays: %s", fwd->opt.policy_path,
		        err);
		policy_free(p);
		change_failed(fwd);
		return -1;
	}
	fwd_log_policy_warnings(fwd->pol.p);
	ifaces_report_missing(fwd);
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

void fwd_cmd_policy_show(struct fwd *fwd, struct client *c, struct json_object *req,
                         struct cmd_reply *r)
{
	size_t n = 0;
	uint64_t *hits = policy_hits(fwd, &n);
	struct json_object *v;
	/* "hits": false (fwctl policy save): the text alone, to be loaded again. */
	bool with_hits = !json_object_object_get_ex(req, "hits", &v) || json_object_get_boolean(v);
	char *text = policy_format(fwd->pol.p, with_hits ? hits : NULL, with_hits ? n : 0);

	(void)c;
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

void fwd_cmd_rule_add(struct fwd *fwd, struct client *c, struct json_object *req,
                      struct cmd_reply *r)
{
	const char *line = cmd_arg_string(req, "line", r);
	struct policy_diags diags = {0};
	char err[ERR_LEN];
	int id;

	enum policy_rule_pos pos = POLICY_RULE_APPEND;
	struct json_object *v;
	long long ref = 0;

	(void)c;
	if (!line)
		return;
	/* "before": ID or "after": ID place the rule next to another of its chain. */
	if (json_object_object_get_ex(req, "before", &v) ||
	    json_object_object_get_ex(req, "after", &v)) {
		pos = json_object_object_get_ex(req, "before", NULL) ? POLICY_RULE_BEFORE
		                                                     : POLICY_RULE_AFTER;
		if (cmd_arg_int64(req, pos == POLICY_RULE_BEFORE ? "before" : "after", &ref, r))
			return;
		if (ref <= 0 || ref > UINT32_MAX) {
			cmd_fail(r, 2, "bad rule id %lld (ids start at 1; see rule-list)", ref);
			return;
		}
	}
	id = policy_rule_insert(fwd->pol.p, line, pos, (uint32_t)ref, &diags);
	if (id < 0) {
		char *msg = policy_diags_str(&diags);

		cmd_fail(r, 1, "%s", msg ? msg : "the rule does not parse");
		free(msg);
		policy_diags_free(&diags);
		change_failed(fwd);
		return;
	}
	policy_diags_free(&diags);
	if (policy_install(fwd, fwd->pol.p, fwd->pol.name, POLICY_HITS_KEEP, err, sizeof(err))) {
		policy_rule_del(fwd->pol.p, (uint32_t)id); /* back to what is installed */
		change_failed(fwd);
		cmd_fail(r, 1, "%s (the running policy is unchanged)", err);
		return;
	}
	notify_status(fwd); /* a new generation */
	r->data = install_result(fwd);
	json_object_object_add(r->data, "id", json_object_new_int(id));
	add_policy_file(fwd, r->data);
}

void fwd_cmd_rule_del(struct fwd *fwd, struct client *c, struct json_object *req,
                      struct cmd_reply *r)
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
		change_failed(fwd);
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
		change_failed(fwd);
		cmd_fail(r, 1, "%s (the running policy is unchanged)", err);
		free(before);
		return;
	}
	free(before);
	notify_status(fwd); /* a new generation */
	r->data = install_result(fwd);
	json_object_object_add(r->data, "id", json_object_new_int64(id));
	add_policy_file(fwd, r->data);
}

/* "id": one rule's counters to zero; without it, every rule's. */
void fwd_cmd_rule_reset(struct fwd *fwd, struct client *c, struct json_object *req,
                        struct cmd_reply *r)
{
	struct json_object *id_obj;
	long long id = 0;

	(void)c;
	if (json_object_object_get_ex(req, "id", &id_obj)) {
		if (cmd_arg_int64(req, "id", &id, r))
			return;
		if (id <= 0 || id > UINT32_MAX) {
			cmd_fail(r, 2, "bad rule id %lld (ids start at 1; see rule-list)", id);
			return;
		}
	}
	if (policy_hits_reset(fwd, (uint32_t)id)) {
		cmd_fail(r, 1, "no rule with id %lld (see rule-list)", id);
		return;
	}
	r->data = json_object_new_object();
	json_object_object_add(r->data, "reset",
	                       id ? json_object_new_int64(id) : json_object_new_string("all"));
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

void fwd_cmd_rule_list(struct fwd *fwd, struct client *c, struct json_object *req,
                       struct cmd_reply *r)
{
	size_t n = 0, nb = 0, nlim = 0;
	uint64_t *hits = policy_hits(fwd, &n), *bytes = policy_bytes(fwd, &nb);
	uint64_t *limited = policy_limited(fwd, &nlim);
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
		free(bytes);
		free(limited);
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
		json_object_object_add(
		    o, "bytes", json_object_new_int64(bytes && id < nb ? (int64_t)bytes[id] : 0));
		/* Rules with 'limit': what it refused (they fell through to later rules). */
		if (strstr(end + 2, " limit "))
			json_object_object_add(
			    o, "limited",
			    json_object_new_int64(limited && id < nlim ? (int64_t)limited[id] : 0));
		json_object_array_add(rules, o);
	}
	free(text);
	free(hits);
	free(bytes);
	free(limited);
	r->data = json_object_new_object();
	json_object_object_add(r->data, "generation",
	                       json_object_new_int64((int64_t)fwd->pol.generation));
	json_object_object_add(r->data, "rules", rules);
}
