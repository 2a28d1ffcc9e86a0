// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * compile.c - policy_compile(): a checked policy to the contents of the policy maps of one copy.
 */
#include <stdlib.h>
#include <string.h>

#include "policy_internal.h"

/* TODO(policy compile): classes, LPM entries, scalar array and rules; only meta for now. */
int policy_compile(const struct policy *p, __u8 copy, struct policy_image *img,
                   struct policy_diags *diags)
{
	memset(img, 0, sizeof(*img));
	if (!p || copy >= TCFW_POLICY_COPIES) {
		pol_diag(diags, NULL, 0, 0, "policy_compile: no policy or copy %u out of range",
		         copy);
		return -1;
	}
	img->copy = copy;
	memcpy(img->meta.timeouts, p->timeouts, sizeof(img->meta.timeouts));
	memcpy(img->meta.default_verdict, p->default_verdict, sizeof(img->meta.default_verdict));
	img->meta.invalid_verdict = p->invalid_verdict;
	return 0;
}

void policy_image_free(struct policy_image *img)
{
	if (!img)
		return;
	free(img->scalar);
	free(img->src);
	free(img->dst);
	free(img->classes);
	for (int c = 0; c < TCFW_CHAIN_MAX; c++)
		free(img->rules[c]);
	memset(img, 0, sizeof(*img));
}
