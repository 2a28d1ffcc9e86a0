/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * dynset_sync.h - a policy's dynamic sets and the pinned maps "dynset" / "dynset_meta"
 * (lib/dynset.h), at each policy install (policy_install.c):
 *
 *  1. dynset_assign(): each dynamic set keeps the id "dynset_meta" already gives its name, so
 *     its elements survive the reload (and a restart of fwd: the maps are pinned); a new set
 *     takes an id used neither by the running policy nor by this one;
 *  2. dynset_install(), before the switch: the meta entry of each set (a new id's elements
 *     cleared first; the timeout updated) and the members the policy writes;
 *  3. dynset_retire(), after the switch and the grace period: ids the policy no longer names
 *     are cleared and freed; members the old policy wrote and this one does not are removed
 *     (elements added at run time stay): one by one from the old policy's list, or, at the
 *     first install of a fwd over pinned sets, by a walk of every element.
 */
#ifndef FWD_DYNSET_SYNC_H
#define FWD_DYNSET_SYNC_H

#include <stddef.h>

struct dynset_maps;
struct policy;

int dynset_assign(const struct dynset_maps *m, struct policy *p, char *err, size_t errlen);
int dynset_install(const struct dynset_maps *m, const struct policy *p, char *err, size_t errlen);
/* old: the policy installed before p (NULL: none by this fwd; p itself: a rule edit). */
int dynset_retire(const struct dynset_maps *m, const struct policy *old, const struct policy *p);

#endif
