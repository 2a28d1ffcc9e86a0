// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * fuzz_policy.c - libFuzzer target: any text through the policy library as fwd and fwctl run
 * it (parse, check, compile for the datapath, format), with the invariants that must hold
 * whatever the input:
 *  - no crash, leak, hang or undefined behaviour (ASan/UBSan, libFuzzer's timeouts);
 *  - a policy that parses formats to a text that parses again, to the same text (what
 *    `fwctl policy show` prints, an operator saves and loads again);
 *  - a failure always comes with a diagnostic.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

static void check(int ok, const char *what, const char *text)
{
	if (ok)
		return;
	fprintf(stderr, "fuzz_policy: invariant broken: %s\n--- text ---\n%s\n", what,
	        text ? text : "(none)");
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy_diags diags = {0}, again_diags = {0};
	struct policy *p = policy_parse("fuzz.conf", (const char *)data, size, &diags), *again;
	struct policy_image img;
	char *text, *text2, *msg;

	msg = policy_diags_str(&diags);
	free(msg);
	if (!p) {
		check(diags.n > 0, "a refused policy without a diagnostic", NULL);
		policy_diags_free(&diags);
		return 0;
	}
	if (policy_compile(p, (uint8_t)(size & 1), &img, &diags) == 0)
		policy_image_free(&img);
	else
		check(diags.n > 0, "a failed compile without a diagnostic", NULL);

	text = policy_format(p, NULL, 0);
	check(text != NULL, "policy_format failed", NULL);
	again = policy_parse("formatted.conf", text, strlen(text), &again_diags);
	check(again != NULL, "the formatted policy does not parse again", text);
	text2 = policy_format(again, NULL, 0);
	check(text2 && strcmp(text, text2) == 0, "format(parse(format(p))) != format(p)", text);

	free(text);
	free(text2);
	policy_free(again);
	policy_free(p);
	policy_diags_free(&again_diags);
	policy_diags_free(&diags);
	return 0;
}
