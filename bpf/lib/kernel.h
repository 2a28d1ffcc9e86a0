/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * kernel.h - what every datapath file includes first: the kernel's types (vmlinux.h, from
 * this kernel's BTF), libbpf's helper declarations and byte-order macros, and the ABI.
 *
 * One name clash is resolved here: the kernel has a typedef named `config` (zstd), and map
 * "config" (TCFW_MAP_CONFIG; fwd finds maps by name) must be a variable of that name.
 */
#ifndef TCFW_BPF_KERNEL_H
#define TCFW_BPF_KERNEL_H

#define config vmlinux_config
#include "vmlinux.h"
#undef config

#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "tcfw_abi.h"

/* Constants of the kernel's UAPI headers that vmlinux.h cannot carry (they are macros, not
 * types): defined here once for every datapath file. */
#define TC_ACT_OK       0  /* pass the packet on */
#define TC_ACT_SHOT     2  /* drop it */
#define TC_ACT_REDIRECT 7  /* bpf_redirect() decided where it goes */
#define EEXIST          17 /* bpf_map_update_elem(BPF_NOEXIST) found the key */
#define AF_INET         2  /* bpf_fib_lookup_params.family */
#define AF_INET6        10

#endif /* TCFW_BPF_KERNEL_H */
