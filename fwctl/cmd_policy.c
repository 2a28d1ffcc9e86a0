// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * cmd_policy.c - `fwctl policy check|load|show|save`. check runs the policy library here (the
 * same grammar fwd uses, no daemon needed); load sends the text to fwd, whose answer is either
 * ok or the diagnostics; show prints what fwd has installed; save writes it to a file that
 * loads again, so that rule edits outlive fwd's next reload.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "file_read.h"
#include "log.h"
#include "daemon.h"
#include "fwctl.h"
#include "jsontext.h"
#include "out.h"
#include "policy.h"

#define STDIN_NAME "<stdin>"

/* The whole of a file, or of stdin for "-". 0, or FWCTL_EXIT_FAILURE after printing why. */
static int read_text(const char *path, char **text, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	int err;

	*text = NULL;
	*len = 0;
	if (!f) {
		pr_warn("cannot open %s: %s", path, strerror(errno));
		return FWCTL_EXIT_FAILURE;
	}
	err = file_read_all(f, TCFW_CTL_MAX_MSG, text, len);
	if (f != stdin)
		fclose(f);
	if (err == -EFBIG)
		pr_warn("%s is larger than fwd accepts (%u MiB)", path, TCFW_CTL_MAX_MSG >> 20);
	else if (err == -ENOMEM)
		pr_warn("out of memory reading %s", path);
	else if (err)
		pr_warn("cannot read %s: %s", path, strerror(-err));
	return err ? FWCTL_EXIT_FAILURE : FWCTL_EXIT_OK;
}

static void diags_json(const struct policy_diags *d)
{
	out_open_array("diagnostics");
	for (size_t i = 0; i < d->n; i++) {
		out_open_object(NULL);
		out_str("file", NULL, d->v[i].file);
		out_int("line", NULL, d->v[i].line);
		out_int("col", NULL, d->v[i].col);
		out_str("severity", NULL, d->v[i].severity == POLICY_WARNING ? "warning" : "error");
		out_str("message", NULL, d->v[i].msg);
		out_close_object();
	}
	out_close_array();
}

static int one_file_arg(struct fwctl *fw, int argc, char **argv, const char *what)
{
	(void)argv;
	if (argc != 1)
		return fwctl_usage_error(fw,
		                         "'%s' needs exactly one FILE ('-' for stdin), got %d "
		                         "arguments",
		                         what, argc);
	return FWCTL_EXIT_OK;
}

int fwctl_cmd_policy_check(struct fwctl *fw, int argc, char **argv)
{
	struct policy_diags diags = {0};
	struct policy *p;
	const char *file;
	int ret = one_file_arg(fw, argc, argv, "policy check");

	if (ret)
		return ret;
	file = argv[0];
	if (strcmp(file, "-") == 0) {
		char *text;
		size_t len;

		ret = read_text(file, &text, &len);
		if (ret)
			return ret;
		file = STDIN_NAME;
		p = policy_parse(file, text, len, &diags);
		free(text);
	} else {
		p = policy_parse_file(file, &diags);
	}
	/* The same test fwd makes at load: what the datapath cannot hold is an error here too. */
	if (p && policy_check_fits(p, &diags)) {
		policy_free(p);
		p = NULL;
	}
	/* Rules that never match, NAT that translates nothing...: said, but the policy is good. */
	if (p)
		policy_warnings(p, &diags);

	out_open_object(NULL);
	out_str("file", NULL, file);
	out_bool("ok", NULL, p != NULL);
	if (!out_is_json())
		policy_diags_print(&diags, stderr); /* errors, or warnings of a good policy */
	if (p) {
		size_t rules = policy_rule_count(p), zones = policy_zone_count(p);

		out_text("%s: OK (%zu rule%s, ", file, rules, rules == 1 ? "" : "s");
		out_uint("rules", NULL, rules);
		out_text("%zu zone%s)\n", zones, zones == 1 ? "" : "s");
		out_uint("zones", NULL, zones);
		if (!policy_interface_count(p) && !out_is_json()) /* a diagnostic, as above */
			fprintf(stderr,
			        "%s: warning: no zone names an interface: loaded, it would detach "
			        "tcfw from every interface (fwd refuses that without --force)\n",
			        file);
		out_uint("interfaces", NULL, policy_interface_count(p));
	}
	diags_json(&diags);
	out_close_object();
	policy_diags_free(&diags);
	policy_free(p);
	return p ? FWCTL_EXIT_OK : FWCTL_EXIT_FAILURE;
}

/* fwd's warnings about the policy it loaded, as `policy check` prints them: diagnostics in the
 * compiler's "FILE:LINE:COL: warning: ..." form (policy_diags_print()'s), not log lines. */
static void print_load_warnings(struct json_object *data)
{
	struct json_object *arr;

	if (!json_object_object_get_ex(data, "warnings", &arr) ||
	    !json_object_is_type(arr, json_type_array))
		return;
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		struct json_object *w = json_object_array_get_idx(arr, i);
		long long line = json_get_int(w, "line", 0);

		if (line > 0)
			fprintf(stderr, "%s:%lld:%lld: warning: %s\n", json_get_str(w, "file", ""),
			        line, json_get_int(w, "col", 0), json_get_str(w, "message", ""));
		else
			fprintf(stderr, "%s: warning: %s\n", json_get_str(w, "file", ""),
			        json_get_str(w, "message", ""));
	}
}

int fwctl_cmd_policy_load(struct fwctl *fw, int argc, char **argv)
{
	struct json_object *req, *data;
	char *text;
	size_t len;
	bool force = argc > 0 && !strcmp(argv[0], "--force");
	int ret;

	if (force) {
		argc--;
		argv++;
	}
	ret = one_file_arg(fw, argc, argv, "policy load");
	if (ret)
		return ret;
	ret = read_text(argv[0], &text, &len);
	if (ret)
		return ret;
	req = daemon_request("policy-load");
	json_object_object_add(req, "name",
	                       json_object_new_string(strcmp(argv[0], "-") ? argv[0] : STDIN_NAME));
	json_object_object_add(req, "text", json_object_new_string_len(text, (int)len));
	if (force)
		json_object_object_add(req, "force", json_object_new_boolean(1));
	free(text);
	ret = daemon_ask(fw, req, &data);
	if (ret)
		return ret;
	if (out_is_json()) {
		if (data) {
			out_json(NULL, data);
		} else {
			out_open_object(NULL); /* fwd said only "ok": an empty object */
			out_close_object();
		}
	} else {
		long long gen = json_get_int(data, "generation", -1);
		long long rules = json_get_int(data, "rules", -1);

		out_text("%s: loaded", argv[0]);
		if (gen >= 0 && rules >= 0)
			out_text(" (generation %lld, %lld rule%s)", gen, rules,
			         rules == 1 ? "" : "s");
		out_text("\n");
		print_load_warnings(data);
	}
	json_object_put(data);
	return FWCTL_EXIT_OK;
}

int fwctl_cmd_policy_show(struct fwctl *fw, int argc, char **argv)
{
	struct json_object *data;
	const char *text;
	int ret;

	(void)argv;
	if (argc > 0)
		return fwctl_usage_error(fw, "'policy show' takes no arguments");
	ret = daemon_ask(fw, daemon_request("policy-show"), &data);
	if (ret)
		return ret;
	text = json_get_str(data, "text", NULL);
	if (out_is_json()) {
		out_json(NULL, data);
	} else if (text) {
		size_t len = strlen(text);

		out_text("%s%s", text, len && text[len - 1] != '\n' ? "\n" : "");
	} else {
		jsontext_block(data, 0); /* no policy text: show what fwd said instead */
	}
	json_object_put(data);
	return FWCTL_EXIT_OK;
}

/* Write text to path through path.tmp and a rename: the file is the old one or the new one,
 * never half of it. */
static int write_file(const char *path, const char *header, const char *text)
{
	char tmp[4096];
	FILE *f;
	int ok;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		pr_warn("the path %s is too long", path);
		return FWCTL_EXIT_FAILURE;
	}
	f = fopen(tmp, "w");
	if (!f) {
		pr_warn("cannot create %s: %s", tmp, strerror(errno));
		return FWCTL_EXIT_FAILURE;
	}
	ok =
	    fputs(header, f) >= 0 && fputs(text, f) >= 0 && fflush(f) == 0 && fsync(fileno(f)) == 0;
	if (fclose(f) != 0)
		ok = 0;
	if (!ok || rename(tmp, path) != 0) {
		pr_warn("cannot write %s: %s (the old file, if any, is unchanged)", path,
		        strerror(errno));
		unlink(tmp);
		return FWCTL_EXIT_FAILURE;
	}
	return FWCTL_EXIT_OK;
}

int fwctl_cmd_policy_save(struct fwctl *fw, int argc, char **argv)
{
	struct policy_diags diags = {0};
	struct json_object *req, *data;
	struct policy *check;
	const char *text, *name;
	char header[512], when[32];
	time_t now = time(NULL);
	struct tm tm;
	int ret = one_file_arg(fw, argc, argv, "policy save");

	if (ret)
		return ret;
	req = daemon_request("policy-show");
	json_object_object_add(req, "hits", json_object_new_boolean(0)); /* no "# hits N" */
	ret = daemon_ask(fw, req, &data);
	if (ret)
		return ret;
	text = json_get_str(data, "text", NULL);
	name = json_get_str(data, "name", "?");
	if (!text) {
		pr_warn("fwd's answer to 'policy-show' holds no policy text (is fwd "
		        "the same version? fwctl is " TCFW_VERSION ")");
		json_object_put(data);
		return FWCTL_EXIT_FAILURE;
	}
	/* What is written must load: refuse to replace a good file with one that does not. */
	check = policy_parse(argv[0], text, strlen(text), &diags);
	if (!check) {
		pr_warn("the running policy as fwd formats it does not parse; %s is "
		        "not written:",
		        argv[0]);
		policy_diags_print(&diags, stderr);
		policy_diags_free(&diags);
		json_object_put(data);
		return FWCTL_EXIT_FAILURE;
	}
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S%z", localtime_r(&now, &tm));
	snprintf(header, sizeof(header),
	         "# The running policy of fwd (generation %lld, loaded from %s, with the rule\n"
	         "# edits since), saved by fwctl policy save at %s. [N] keeps each rule's id.\n\n",
	         json_get_int(data, "generation", 0), name, when);
	if (strcmp(argv[0], "-") == 0) {
		ret = fputs(header, stdout) < 0 || fputs(text, stdout) < 0 ? FWCTL_EXIT_FAILURE
		                                                           : FWCTL_EXIT_OK;
	} else {
		ret = write_file(argv[0], header, text);
		if (ret == FWCTL_EXIT_OK) {
			size_t rules = policy_rule_count(check);

			out_open_object(NULL);
			out_str("file", NULL, argv[0]);
			out_int("generation", NULL, json_get_int(data, "generation", 0));
			out_uint("rules", NULL, rules);
			out_text("%s: saved the running policy (generation %lld, %zu rule%s)\n",
			         argv[0], json_get_int(data, "generation", 0), rules,
			         rules == 1 ? "" : "s");
			out_close_object();
		}
	}
	policy_diags_free(&diags);
	policy_free(check);
	json_object_put(data);
	return ret;
}
