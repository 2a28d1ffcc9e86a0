// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * cmd_ct.c - control commands that delete connections: ct-del (by filter), ct-flush (all).
 * Each connection goes with its NAT reference entry (ctmap_delete), and monitors see a destroy
 * event.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ct_filter.h"
#include "ctmap.h"

#include "commands.h"
#include "fwd.h"
#include "monitor.h"

struct ct_del_ctx {
	struct fwd *fwd;
	struct ctmap m;
	const struct ct_filter *filter; /* NULL: every connection */
	const char *reason;
	uint64_t deleted;
	int first_error;
};

static int ct_del_one(const struct tcfw_tuple *orig, const struct tcfw_ct_entry *e, void *ctx)
{
	struct ct_del_ctx *x = ctx;
	int err;

	if (x->filter && !ct_filter_match(x->filter, orig, e))
		return 0;
	err = ctmap_delete(&x->m, orig, e);
	if (err == -ENOENT)
		return 0;
	if (err) {
		if (!x->first_error)
			x->first_error = err;
		return 0;
	}
	x->deleted++;
	monitor_destroy_event(x->fwd, orig, e, x->reason);
	return 0;
}

static void ct_delete_where(struct fwd *fwd, const struct ct_filter *f, const char *reason,
                            struct cmd_reply *r)
{
	struct ct_del_ctx x = {
	    .fwd = fwd,
	    .m = {.ct_fd = fwd->dp.ct_fd},
	    .filter = f,
	    .reason = reason,
	};
	int err = ctmap_walk(&x.m, 0, ct_del_one, &x);

	if (!err)
		err = x.first_error;
	if (err) {
		cmd_fail(r, 1, "deleting connections failed after %llu: %s",
		         (unsigned long long)x.deleted, strerror(-err));
		return;
	}
	r->data = json_object_new_object();
	json_object_object_add(r->data, "deleted", json_object_new_int64((int64_t)x.deleted));
}

void fwd_cmd_ct_del(struct fwd *fwd, struct client *c, struct json_object *req, struct cmd_reply *r)
{
	struct json_object *args;
	struct ct_filter f;
	char err[256];
	char **argv;
	size_t argc = 0;

	(void)c;
	if (json_object_object_get_ex(req, "args", &args)) {
		if (!json_object_is_type(args, json_type_array)) {
			cmd_fail(r, 2, "\"args\" must be an array of filter words");
			return;
		}
		argc = json_object_array_length(args);
	}
	argv = calloc(argc + 1, sizeof(*argv));
	if (!argv) {
		cmd_fail(r, 1, "out of memory");
		return;
	}
	for (size_t i = 0; i < argc; i++) {
		struct json_object *w = json_object_array_get_idx(args, i);

		if (!json_object_is_type(w, json_type_string)) {
			cmd_fail(r, 2, "filter word %zu is not a string", i + 1);
			free(argv);
			return;
		}
		argv[i] = (char *)json_object_get_string(w);
	}
	if (argc == 0) {
		/* An empty filter matches everything; that is ct-flush, asked for by name. */
		cmd_fail(r, 2, "ct-del needs a filter (use ct-flush to delete every connection)");
	} else if (ct_filter_parse((int)argc, argv, &f, err, sizeof(err))) {
		cmd_fail(r, 2, "%s", err);
	} else {
		ct_delete_where(fwd, &f, "deleted", r);
	}
	free(argv);
}

void fwd_cmd_ct_flush(struct fwd *fwd, struct client *c, struct json_object *req,
                      struct cmd_reply *r)
{
	(void)c;
	(void)req;
	ct_delete_where(fwd, NULL, "flushed", r);
}
