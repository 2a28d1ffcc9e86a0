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

#endif /* TCFW_BPF_KERNEL_H */
