// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * cmd_rule.c - `fwctl rule add|del|list|reset`: edits of the running policy, one rule at a
 * time (add may place the rule before or after another of its chain), and rule counters.
 * fwd parses the rule with the policy library against the installed zones and sets and
 * installs the result atomically; fwctl checks only the hook and verdict words so the
 * commonest typos are usage errors with a hint.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "daemon.h"
#include "fwctl.h"
#include "jsontext.h"
#include "names.h"
#include "out.h"
#include "quote.h"
#include "tcfw_abi.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define RULE_LINE_MAX 4096

static int check_word(struct fwctl *fw, const char *what, const char *word,
                      const char *const *names, unsigned int n)
{
	const char *hint;

	for (unsigned int i = 0; i < n; i++)
		if (strcmp(word, names[i]) == 0)
			return FWCTL_EXIT_OK;
	hint = name_suggest(word, names, n);
	if (hint)
		return fwctl_usage_error(fw, "unknown %s %s (did you mean '%s'?)", what,
		                         QUOTE(word), hint);
	return fwctl_usage_error(fw, "unknown %s %s (expected %s, %s or %s)", what, QUOTE(word),
	                         names[0], names[1], names[2]);
}

/* A word the shell unquoted that the policy lexer would split or misread gets its quotes back;
 * the word after "comment" and after "log prefix" is always a string. */
static bool needs_quotes(const char *w, bool is_string)
{
	if (is_string || !*w)
		return true;
	for (const char *p = w; *p; p++)
		if (isspace((unsigned char)*p) || *p == '"' || *p == '#' || *p == '\\')
			return true;
	return false;
}

static int append(char *line, size_t *used, const char *s, size_t n)
{
	if (*used + n + 1 > RULE_LINE_MAX)
		return -ENOSPC;
	memcpy(line + *used, s, n);
	*used += n;
	line[*used] = '\0';
	return 0;
}

/* Is argv[i] the text of `comment TEXT` or `log prefix TEXT`? */
static bool is_string_word(char **argv, int i)
{
	if (i > 0 && strcmp(argv[i - 1], "comment") == 0)
		return true;
	return i > 1 && strcmp(argv[i - 1], "prefix") == 0 && strcmp(argv[i - 2], "log") == 0;
}

/* The words as one policy line, e.g. `forward accept proto tcp dport 22 comment "ssh in"`:
 * 0, or -ENOSPC when it is longer than RULE_LINE_MAX - 1. */
static int join_rule(int argc, char **argv, char *line)
{
	size_t used = 0;

	line[0] = '\0';
	for (int i = 0; i < argc; i++) {
		bool quote = needs_quotes(argv[i], is_string_word(argv, i));

		if ((i && append(line, &used, " ", 1)) || (quote && append(line, &used, "\"", 1)))
			return -ENOSPC;
		for (const char *p = argv[i]; *p; p++) {
			if (quote && (*p == '"' || *p == '\\') && append(line, &used, "\\", 1))
				return -ENOSPC;
			if (append(line, &used, p, 1))
				return -ENOSPC;
		}
		if (quote && append(line, &used, "\"", 1))
			return -ENOSPC;
	}
	return 0;
}

/* An id as `rule list` shows it; 0 when word is not one. */
static unsigned long parse_rule_id(const char *word)
{
	unsigned long id;
	char *end;

	errno = 0;
	id = strtoul(word, &end, 10);
	if (errno || *end || !isdigit((unsigned char)word[0]) || id > UINT32_MAX)
		return 0;
	return id;
}

/* Edits live in fwd's memory only: say so each time, and how to keep them. */
static void print_edit_note(struct json_object *data)
{
	const char *file = json_get_str(data, "policy_file", NULL);

	if (out_is_json())
		return;
	if (file)
		pr_warn("note: this edit lasts until fwd loads %s again (SIGHUP, restart) "
		        "or another policy is loaded; 'fwctl policy save %s' keeps it",
		        file, file);
	else
		pr_warn("note: this edit lasts until fwd restarts or another policy "
		        "is loaded; 'fwctl policy save FILE' keeps it");
}

/* "--before ID", "--after ID" (or "--before=ID") in front of the rule: 1 when found and
 * consumed (*argc, *argv moved past it), 0 when absent, -EINVAL after a usage error (printed). */
static int parse_position(struct fwctl *fw, int *argc, char ***argv, const char **key,
                          unsigned long *ref)
{
	const char *w = (*argv)[0], *value = NULL;
	int used = 1;

	if (*argc < 1)
		return 0;
	if (!strcmp(w, "--before") || !strncmp(w, "--before=", 9))
		*key = "before";
	else if (!strcmp(w, "--after") || !strncmp(w, "--after=", 8))
		*key = "after";
	else
		return 0;
	if (strchr(w, '=')) {
		value = strchr(w, '=') + 1;
	} else if (*argc >= 2) {
		value = (*argv)[1];
		used = 2;
	}
	if (!value || !(*ref = parse_rule_id(value))) {
		fwctl_usage_error(fw,
		                  "'--%s' needs the id of a rule of the same chain, as shown "
		                  "by 'fwctl rule list'",
		                  *key);
		return -EINVAL;
	}
	*argc -= used;
	*argv += used;
	return 1;
}

int fwctl_cmd_rule_add(struct fwctl *fw, int argc, char **argv)
{
	static const char *const hooks[] = {"input", "forward", "output"};
	static const char *const verdicts[] = {"accept", "drop", "reject"};
	struct json_object *req, *data;
	char line[RULE_LINE_MAX];
	const char *pos_key = NULL;
	unsigned long ref = 0;
	long long id;
	int ret;

	ret = parse_position(fw, &argc, &argv, &pos_key, &ref);
	if (ret < 0)
		return FWCTL_EXIT_USAGE;
	for (int i = 0; i < argc; i++) {
		if (strncmp(argv[i], "--before", 8) && strncmp(argv[i], "--after", 7))
			continue;
		if (i == 0)
			return fwctl_usage_error(fw,
			                         "give one position: --before ID or --after ID");
		return fwctl_usage_error(fw,
		                         "'%s' goes before the hook: 'fwctl rule add %s ID HOOK "
		                         "VERDICT ...'",
		                         argv[i], argv[i]);
	}
	if (argc < 2)
		return fwctl_usage_error(fw, "'rule add' needs at least a hook and a verdict, e.g. "
		                             "'fwctl rule add input accept proto icmp'");
	ret = check_word(fw, "hook", argv[0], hooks, ARRAY_SIZE(hooks));
	if (!ret)
		ret = check_word(fw, "verdict", argv[1], verdicts, ARRAY_SIZE(verdicts));
	if (ret)
		return ret;
	if (join_rule(argc, argv, line) < 0)
		return fwctl_usage_error(fw, "the rule is longer than %d characters",
		                         RULE_LINE_MAX - 1);
	req = daemon_request("rule-add");
	json_object_object_add(req, "line", json_object_new_string(line));
	if (pos_key)
		json_object_object_add(req, pos_key, json_object_new_int64((int64_t)ref));
	ret = daemon_ask(fw, req, &data);
	if (ret)
		return ret;
	id = json_get_int(data, "id", -1);
	out_open_object(NULL);
	out_int("id", NULL, id);
	out_str("rule", NULL, line);
	if (pos_key)
		out_uint(pos_key, NULL, ref);
	out_text("rule %lld added", id);
	if (pos_key)
		out_text(" %s rule %lu", pos_key, ref);
	out_text(": %s\n", line);
	out_close_object();
	print_edit_note(data);
	json_object_put(data);
	return FWCTL_EXIT_OK;
}

int fwctl_cmd_rule_del(struct fwctl *fw, int argc, char **argv)
{
	struct json_object *req, *data;
	unsigned long id;
	int ret;

	if (argc != 1)
		return fwctl_usage_error(fw,
		                         "'rule del' needs one rule id (see 'fwctl rule list')");
	id = parse_rule_id(argv[0]);
	if (id == 0)
		return fwctl_usage_error(fw,
		                         "bad rule id %s (a number from 1, as shown by "
		                         "'fwctl rule list')",
		                         QUOTE(argv[0]));
	req = daemon_request("rule-del");
	json_object_object_add(req, "id", json_object_new_int64((int64_t)id));
	ret = daemon_ask(fw, req, &data);
	if (ret)
		return ret;
	out_open_object(NULL);
	out_uint("deleted", NULL, id);
	out_text("rule %lu deleted\n", id);
	out_close_object();
	print_edit_note(data);
	json_object_put(data);
	return FWCTL_EXIT_OK;
}

int fwctl_cmd_rule_reset(struct fwctl *fw, int argc, char **argv)
{
	struct json_object *req, *data;
	unsigned long id = 0;
	int ret;

	if (argc > 1)
		return fwctl_usage_error(fw, "'rule reset' takes at most one rule id (see 'fwctl "
		                             "rule list'); without one it resets every rule");
	if (argc == 1) {
		id = parse_rule_id(argv[0]);
		if (id == 0)
			return fwctl_usage_error(fw,
			                         "bad rule id %s (a number from 1, as shown by "
			                         "'fwctl rule list')",
			                         QUOTE(argv[0]));
	}
	req = daemon_request("rule-reset");
	if (id)
		json_object_object_add(req, "id", json_object_new_int64((int64_t)id));
	ret = daemon_ask(fw, req, &data);
	if (ret)
		return ret;
	out_open_object(NULL);
	if (id) {
		out_uint("reset", NULL, id);
		out_text("counters of rule %lu reset\n", id);
	} else {
		out_str("reset", NULL, "all");
		out_text("counters of every rule reset\n");
	}
	out_close_object();
	json_object_put(data);
	return FWCTL_EXIT_OK;
}

/* One rule: "  ID  TEXT  # hits N bytes B" when fwd gives the text, else every field as key=value.
 */
static void print_rule(struct json_object *r)
{
	static const char *const shown[] = {"id", "text", "hits", "bytes", "chain", NULL};
	const char *text = json_get_str(r, "text", json_get_str(r, "line", NULL));
	long long hits = json_get_int(r, "hits", -1), bytes = json_get_int(r, "bytes", -1);

	if (!text) {
		jsontext_pairs(r, NULL);
		out_text("\n");
		return;
	}
	out_text("%5lld  %s", json_get_int(r, "id", 0), text);
	if (hits >= 0)
		out_text("  # hits %lld", hits);
	if (hits >= 0 && bytes >= 0)
		out_text(" bytes %lld", bytes);
	/* Anything else fwd says about the rule (chain, position, ...), after the text. */
	json_object_object_foreach(r, key, v)
	{
		bool skip = strcmp(key, "line") == 0;

		for (size_t i = 0; shown[i]; i++)
			skip |= strcmp(key, shown[i]) == 0;
		if (!skip && !json_object_is_type(v, json_type_object) &&
		    !json_object_is_type(v, json_type_array))
			out_text("  %s=%s", key, jsontext_scalar(v));
	}
	out_text("\n");
}

int fwctl_cmd_rule_list(struct fwctl *fw, int argc, char **argv)
{
	struct json_object *data, *rules = NULL;
	int ret;

	(void)argv;
	if (argc > 0)
		return fwctl_usage_error(fw, "'rule list' takes no arguments");
	ret = daemon_ask(fw, daemon_request("rule-list"), &data);
	if (ret)
		return ret;
	if (json_object_is_type(data, json_type_array))
		rules = data;
	else
		json_object_object_get_ex(data, "rules", &rules);
	if (!json_object_is_type(rules, json_type_array)) {
		pr_warn("fwd's answer to 'rule-list' holds no list of rules (is fwd "
		        "the same version? fwctl is " TCFW_VERSION ")");
		json_object_put(data);
		return FWCTL_EXIT_FAILURE;
	}
	out_open_array(NULL);
	for (size_t i = 0; i < json_object_array_length(rules); i++) {
		out_json(NULL, json_object_array_get_idx(rules, i));
		print_rule(json_object_array_get_idx(rules, i));
	}
	out_close_array();
	if (!out_is_json() && json_object_array_length(rules) == 0)
		pr_warn("the policy has no rules (only its defaults)");
	json_object_put(data);
	return FWCTL_EXIT_OK;
}
