/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * pure.h - what the datapath's pure-logic headers (csum_fold.h, tcp_state.h, tcp_window.h,
 * classify_bits.h) need to compile in user space too, for their cmocka tests: the fixed-width
 * types, bool, and the two macros that vmlinux.h / bpf_helpers.h give a datapath file.
 */
#ifndef TCFW_BPF_PURE_H
#define TCFW_BPF_PURE_H

#ifndef __bpf__
#include <linux/types.h>
#include <stdbool.h>
#endif
#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif
#ifndef barrier_var /* bpf_helpers.h's, for user space */
#define barrier_var(var) __asm__ __volatile__("" : "+r"(var))
#endif

#endif /* TCFW_BPF_PURE_H */
