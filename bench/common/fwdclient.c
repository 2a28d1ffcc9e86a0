// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * fwdclient.c - policy-load over fwd's control socket and the policy library's view of a
 * policy (see fwdclient.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "ctl.h"
#include "file_read.h"
#include "policy.h"

#include "fwdclient.h"

double bench_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

char *bench_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	size_t n;
	int err;

	if (!f) {
		fprintf(stderr, "bench: cannot open %s: %s\n", path, strerror(errno));
		return NULL;
	}
	err = file_read_all(f, 0, &buf, &n);
	fclose(f);
	if (err) {
		fprintf(stderr, "bench: cannot read %s: %s\n", path, strerror(-err));
		return NULL;
	}
	if (len)
		*len = n;
	return buf;
}

int bench_write_json(const char *prog, const char *path, struct json_object *root)
{
	FILE *out = path ? fopen(path, "w") : stdout;

	if (!out) {
		fprintf(stderr, "%s: cannot write %s: %s\n", prog, path, strerror(errno));
		return -1;
	}
	fprintf(out, "%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY));
	if (out != stdout)
		fclose(out);
	return 0;
}

int bench_policy_inspect(const char *name, const char *text, size_t len,
                         struct bench_policy_info *info)
{
	struct policy_diags diags = {0};
	struct policy_image img;
	struct policy *p;
	double t0 = bench_now_ms();
	size_t nfwd;

	memset(info, 0, sizeof(*info));
	memset(&img, 0, sizeof(img));
	p = policy_parse(name, text, len, &diags);
	info->parse_ms = bench_now_ms() - t0;
	if (!p) {
		fprintf(stderr, "bench: policy %s does not parse:\n", name);
		policy_diags_print(&diags, stderr);
		policy_diags_free(&diags);
		return -1;
	}
	t0 = bench_now_ms();
	if (policy_compile(p, 0, &img, &diags)) {
		fprintf(stderr, "bench: policy %s does not compile:\n", name);
		policy_diags_print(&diags, stderr);
		policy_diags_free(&diags);
		policy_free(p);
		return -1;
	}
	info->compile_ms = bench_now_ms() - t0;
	policy_diags_free(&diags);
	info->rules = policy_rule_count(p);
	for (unsigned int c = 0; c < TCFW_CHAIN_MAX; c++)
		info->chain_rules[c] = img.nrules[c];
	info->classes = img.nclasses;
	info->src_prefixes = img.nsrc;
	info->dst_prefixes = img.ndst;
	nfwd = img.nrules[TCFW_CHAIN_FORWARD];
	if (nfwd)
		info->last_forward_rule_id = img.rules[TCFW_CHAIN_FORWARD][nfwd - 1].id;
	policy_image_free(&img);
	policy_free(p);
	return 0;
}

/* One request, one answer; -1 with fwd's error (or the transport's) on stderr. */
static int call_fwd(const char *socket_path, struct json_object *req, const char *what, double *ms)
{
	struct json_object *resp = NULL, *ok, *msg;
	struct ctl_conn c;
	char err[256];
	double t0;
	int e, ret = -1;

	if (ctl_connect(&c, socket_path, err, sizeof(err))) {
		fprintf(stderr, "bench: %s\n", err);
		return -1;
	}
	t0 = bench_now_ms();
	e = ctl_call(&c, req, &resp);
	if (ms)
		*ms = bench_now_ms() - t0;
	if (e) {
		fprintf(stderr, "bench: %s: no answer from fwd at %s: %s\n", what, socket_path,
		        strerror(-e));
		goto out;
	}
	if (!json_object_object_get_ex(resp, "ok", &ok) || !json_object_get_boolean(ok)) {
		fprintf(stderr, "bench: %s: fwd refused: %s\n", what,
		        json_object_object_get_ex(resp, "error", &msg) ? json_object_get_string(msg)
		                                                       : "(no error text)");
		goto out;
	}
	ret = 0;
out:
	json_object_put(resp);
	ctl_close(&c);
	return ret;
}

int bench_fwd_policy_load(const char *socket_path, const char *name, const char *text, double *ms)
{
	struct json_object *req = json_object_new_object();
	char what[512];
	int ret;

	if (!req)
		return -1;
	json_object_object_add(req, "cmd", json_object_new_string("policy-load"));
	json_object_object_add(req, "name", json_object_new_string(name));
	json_object_object_add(req, "text", json_object_new_string(text));
	snprintf(what, sizeof(what), "policy-load of %s", name);
	ret = call_fwd(socket_path, req, what, ms);
	json_object_put(req);
	return ret;
}

int bench_fwd_ct_flush(const char *socket_path)
{
	struct json_object *req = json_object_new_object();
	int ret;

	if (!req)
		return -1;
	json_object_object_add(req, "cmd", json_object_new_string("ct-flush"));
	ret = call_fwd(socket_path, req, "ct-flush", NULL);
	json_object_put(req);
	return ret;
}
