// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * dp_main.c - dp_test: runs every datapath case (or those whose name contains one of the
 * arguments), each on a freshly loaded datapath, and ends with
 * "dp_test: N passed, M failed"; exit status 1 when any case failed.
 *
 * The cases are the ones DP_CASE registered (dp.h): there is no list to keep here.
 * Cases marked explicit (DP_CASE_EXPLICIT: the datapath fuzz run, tens of seconds) run only
 * when an argument is exactly their name: a plain dp_test stays quick, and tests/run-all.sh runs
 * them as a test of their own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dp.h"
#include "dp_env.h"

/* The cases, placed by DP_CASE (dp.h) in section dp_cases; the linker defines its bounds. */
extern const struct dp_case __start_dp_cases[], __stop_dp_cases[];

static int by_name(const void *a, const void *b)
{
	const struct dp_case *const *x = a, *const *y = b;

	return strcmp((*x)->name, (*y)->name);
}

/* Every registered case, sorted by name (link order depends on the Makefile's file order):
 * a run lists them in the same order everywhere. NULL when out of memory. */
static const struct dp_case **sorted_cases(size_t *n)
{
	const struct dp_case **v;

	*n = (size_t)(__stop_dp_cases - __start_dp_cases);
	v = calloc(*n ? *n : 1, sizeof(*v));
	if (!v)
		return NULL;
	for (size_t i = 0; i < *n; i++)
		v[i] = &__start_dp_cases[i];
	qsort(v, *n, sizeof(*v), by_name);
	return v;
}

static bool selected(const struct dp_case *c, int argc, char **argv)
{
	const char *name = c->name;
	bool exact = c->explicit_only;

	for (int i = 1; i < argc; i++)
		if (exact ? !strcmp(name, argv[i]) : !!strstr(name, argv[i]))
			return true;
	return argc < 2 && !exact;
}

int main(int argc, char **argv)
{
	const struct dp_case **cases;
	struct dp_env env;
	int passed = 0, failed = 0;
	size_t ncases;

	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		printf("usage: dp_test [NAME-SUBSTRING...]   (root; DP_VERBOSE=1 for libbpf "
		       "output)\n"
		       "       dp_test fuzz                 (the datapath fuzz run; DP_FUZZ_SEED, "
		       "DP_FUZZ_PACKETS)\n");
		return 0;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "dp_test: must run as root (loads BPF programs, creates a network "
		                "namespace)\n");
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	cases = sorted_cases(&ncases);
	if (!cases) {
		fprintf(stderr, "dp_test: out of memory listing %zu cases\n", ncases);
		return 1;
	}
	if (ncases == 0) {
		fprintf(stderr, "dp_test: no cases registered (section dp_cases is empty: were the "
		                "case files linked?)\n");
		free(cases);
		return 1;
	}
	if (dp_env_setup(&env)) {
		free(cases);
		return 1;
	}

	for (size_t i = 0; i < ncases; i++) {
		struct dp t = {.name = cases[i]->name,
		               .ifindex_lan = env.ifindex_lan,
		               .ifindex_wan = env.ifindex_wan};

		if (!selected(cases[i], argc, argv))
			continue;
		if (dp_env_load(&t)) {
			fprintf(stderr, "FAIL %s: setup: the datapath did not load\n", t.name);
			failed++;
			continue;
		}
		cases[i]->fn(&t);
		dp_env_unload(&t);
		if (t.failures) {
			printf("FAIL %s (%d failed assertions)\n", t.name, t.failures);
			failed++;
		} else {
			printf("ok   %s\n", t.name);
			passed++;
		}
	}
	free(cases);
	printf("dp_test: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
