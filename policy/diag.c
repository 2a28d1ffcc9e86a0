// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * diag.c - the policy library's diagnostics: a growing list of "file:line:col: message"
 * entries. Every error is collected (the parser does not stop at the first one); callers
 * print them, or send them as one string over the control socket.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy_internal.h"

static void diag_add(struct policy_diags *d, enum policy_severity sev, const char *file, int line,
                     int col, const char *fmt, va_list ap)
{
	struct policy_diag *v, *e;
	char *msg;

	if (!d)
		return;
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	v = realloc(d->v, (d->n + 1) * sizeof(*v));
	if (!v || !msg) {
		/* Out of memory: keep what we have; the caller still sees the earlier errors and
		 * a NULL result, which is all it needs to refuse the policy. */
		free(msg);
		if (v)
			d->v = v;
		return;
	}
	d->v = v;
	e = &v[d->n++];
	e->file = file ? strdup(file) : NULL;
	e->line = line;
	e->col = col;
	e->msg = msg;
	e->severity = sev;
}

void pol_diag(struct policy_diags *d, const char *file, int line, int col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_add(d, POLICY_ERROR, file, line, col, fmt, ap);
	va_end(ap);
}

void pol_warn(struct policy_diags *d, const char *file, int line, int col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_add(d, POLICY_WARNING, file, line, col, fmt, ap);
	va_end(ap);
}

size_t policy_diags_errors(const struct policy_diags *d)
{
	size_t n = 0;

	for (size_t i = 0; d && i < d->n; i++)
		n += d->v[i].severity == POLICY_ERROR;
	return n;
}

/* One diagnostic as text, without the newline. */
static int diag_fprint(FILE *f, const struct policy_diag *e)
{
	const char *file = e->file ? e->file : "policy";
	const char *sev = e->severity == POLICY_WARNING ? "warning: " : "";

	if (e->line > 0)
		return fprintf(f, "%s:%d:%d: %s%s\n", file, e->line, e->col, sev, e->msg);
	return fprintf(f, "%s: %s%s\n", file, sev, e->msg);
}

void policy_diags_print(const struct policy_diags *d, FILE *f)
{
	for (size_t i = 0; d && i < d->n; i++)
		diag_fprint(f, &d->v[i]);
}

char *policy_diags_str(const struct policy_diags *d)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	policy_diags_print(d, f);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

void policy_diags_free(struct policy_diags *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].file);
		free(d->v[i].msg);
	}
	free(d->v);
	d->v = NULL;
	d->n = 0;
}
