// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * cmd_ct.c - `fwctl ct list|count|del|flush`. Listings read the pinned table directly;
 * deletions are asked of fwd, which removes both halves and the NAT binding. The filter is
 * parsed here first so a typo is a usage error (exit 2) before anything is touched.
 */
#include <inttypes.h>
#include <stdio.h>

#include "log.h"
#include "ct_filter.h"
#include "ct_format.h"
#include "fwctl.h"
#include "maps.h"
#include "out.h"

static int parse_filter(struct fwctl *fw, int argc, char **argv, struct ct_filter *f)
{
	char err[256];

	if (ct_filter_parse(argc, argv, f, err, sizeof(err)) < 0)
		return fwctl_usage_error(fw, "%s", err);
	return FWCTL_EXIT_OK;
}

struct walk_ctx {
	struct ct_view *view;
	const struct ct_filter *filter;
	bool print;
	uint64_t matched;
};

static int visit(const struct tcfw_tuple *orig, const struct tcfw_ct_entry *e, void *arg)
{
	struct walk_ctx *w = arg;

	if (!ct_filter_match(w->filter, orig, e))
		return 0;
	w->matched++;
	if (w->print)
		ct_format_entry(orig, e, ct_view_timeout_left(w->view, e));
	return 0;
}

/* Walk the table, printing (list) or only counting (count) the connections that match. */
static int walk(struct fwctl *fw, int argc, char **argv, bool print, uint64_t *matched)
{
	struct ct_filter filter;
	struct ct_view view;
	struct walk_ctx w = {.view = &view, .filter = &filter, .print = print};
	int ret = parse_filter(fw, argc, argv, &filter);

	if (ret)
		return ret;
	ret = ct_view_open(fw, &view);
	if (ret == 0) {
		if (print)
			out_open_array(NULL);
		ret = ct_view_walk(&view, visit, &w);
		if (print)
			out_close_array();
	}
	ct_view_close(&view);
	*matched = w.matched;
	return ret;
}

int fwctl_cmd_ct_list(struct fwctl *fw, int argc, char **argv)
{
	uint64_t n = 0;
	int ret = walk(fw, argc, argv, true, &n);

	/* Like conntrack -L: the count on stderr, so stdout stays one line per connection. */
	if (ret == 0 && !out_is_json()) {
		fflush(stdout); /* the listing first, also when both go to one place */
		pr_warn("%" PRIu64 " connection%s listed", n, n == 1 ? "" : "s");
	}
	return ret;
}

int fwctl_cmd_ct_count(struct fwctl *fw, int argc, char **argv)
{
	uint64_t n = 0;
	int ret = walk(fw, argc, argv, false, &n);

	if (ret)
		return ret;
	out_open_object(NULL);
	out_uint("count", "%" PRIu64 "\n", n);
	out_close_object();
	return FWCTL_EXIT_OK;
}

/* fwd's answer to ct-del / ct-flush: {"deleted": N}. */
static int print_deleted(struct json_object *data)
{
	long long n = json_get_int(data, "deleted", -1);

	if (n < 0) {
		pr_warn("fwd's answer has no 'deleted' count (is fwd the same "
		        "version? fwctl is " TCFW_VERSION ")");
		return FWCTL_EXIT_FAILURE;
	}
	out_open_object(NULL);
	out_uint("deleted", NULL, (uint64_t)n);
	out_text("%lld connection%s deleted\n", n, n == 1 ? "" : "s");
	out_close_object();
	return FWCTL_EXIT_OK;
}

static int ask_delete(struct fwctl *fw, struct json_object *req)
{
	struct json_object *data;
	int ret = daemon_ask(fw, req, &data);

	if (ret == 0)
		ret = print_deleted(data);
	json_object_put(data);
	return ret;
}

int fwctl_cmd_ct_del(struct fwctl *fw, int argc, char **argv)
{
	struct ct_filter filter;
	struct json_object *req, *args;
	int ret;

	if (argc == 0)
		return fwctl_usage_error(fw, "'ct del' needs a filter; to delete every connection "
		                             "use 'fwctl ct flush'");
	ret = parse_filter(fw, argc, argv, &filter);
	if (ret)
		return ret;
	req = daemon_request("ct-del");
	args = json_object_new_array();
	for (int i = 0; i < argc; i++)
		json_object_array_add(args, json_object_new_string(argv[i]));
	json_object_object_add(req, "args", args);
	return ask_delete(fw, req);
}

int fwctl_cmd_ct_flush(struct fwctl *fw, int argc, char **argv)
{
	(void)argv;
	if (argc > 0)
		return fwctl_usage_error(fw, "'ct flush' takes no filter; to delete some "
		                             "connections use 'fwctl ct del FILTER'");
	return ask_delete(fw, daemon_request("ct-flush"));
}
