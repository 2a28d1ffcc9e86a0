// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * cmd_nat.c - `fwctl nat list [FILTER]`: the connections NAT rewrote, each as the tuple the
 * client sent and the tuple that left the gateway. The translated tuple is the reply tuple
 * reversed: the reply travels from the translated destination to the translated source.
 */
#include <inttypes.h>
#include <stdio.h>

#include "log.h"
#include "ct_filter.h"
#include "ct_format.h"
#include "fwctl.h"
#include "maps.h"
#include "names.h"
#include "out.h"

struct nat_ctx {
	struct ct_view *view;
	const struct ct_filter *filter;
	uint64_t listed;
};

static const char *nat_kind_name(unsigned int kind)
{
	switch (kind & (TCFW_NAT_SNAT | TCFW_NAT_DNAT)) {
	case TCFW_NAT_SNAT:
		return "snat";
	case TCFW_NAT_DNAT:
		return "dnat";
	default:
		return "snat+dnat";
	}
}

static void translated_tuple(const struct tcfw_tuple *reply, struct tcfw_tuple *out)
{
	*out = *reply;
	for (int i = 0; i < 4; i++) {
		out->src[i] = reply->dst[i];
		out->dst[i] = reply->src[i];
	}
	out->sport = reply->dport;
	out->dport = reply->sport;
}

static int visit(const struct tcfw_tuple *orig, const struct tcfw_ct_entry *e, void *arg)
{
	struct nat_ctx *n = arg;
	struct tcfw_tuple xlat;
	const char *pname = proto_name(orig->proto);
	char pnum[4];

	if (!e->nat_kind || !ct_filter_match(n->filter, orig, e))
		return 0;
	n->listed++;
	translated_tuple(&e->reply, &xlat);
	out_open_object(NULL);
	snprintf(pnum, sizeof(pnum), "%u", orig->proto);
	out_str("proto", "%-8s ", pname ? pname : pnum);
	out_str("state", NULL, ct_state_lname(e->state));
	out_text("%-11s ", ct_state_name(e->state));
	out_str("kind", "%-9s ", nat_kind_name(e->nat_kind));
	out_uint("timeout", NULL, ct_view_timeout_left(n->view, e));
	out_open_object("orig");
	ct_format_tuple(orig);
	out_close_object();
	out_text("-> ");
	out_open_object("translated");
	ct_format_tuple(&xlat);
	out_close_object();
	out_text("\n");
	out_close_object();
	return 0;
}

int fwctl_cmd_nat_list(struct fwctl *fw, int argc, char **argv)
{
	struct ct_filter filter;
	struct ct_view view;
	struct nat_ctx n = {.view = &view, .filter = &filter};
	char err[256];
	int ret;

	if (ct_filter_parse(argc, argv, &filter, err, sizeof(err)) < 0)
		return fwctl_usage_error(fw, "%s", err);
	ret = ct_view_open(fw, &view);
	if (ret == 0) {
		out_open_array(NULL);
		ret = ct_view_walk(&view, visit, &n);
		out_close_array();
	}
	ct_view_close(&view);
	if (ret == 0 && !out_is_json()) {
		fflush(stdout); /* the listing first, also when both go to one place */
		pr_warn("%" PRIu64 " translated connection%s listed", n.listed,
		        n.listed == 1 ? "" : "s");
	}
	return ret;
}
