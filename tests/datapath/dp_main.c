// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * dp_main.c - dp_test: runs every datapath case (or those whose name contains one of the
 * arguments), each on a freshly loaded datapath, and ends with
 * "dp_test: N passed, M failed"; exit status 1 when any case failed.
 *
 * Cases marked explicit (the datapath fuzz run, tens of seconds) run only when an argument
 * is exactly their name: a plain dp_test stays quick, and tests/run-all.sh runs them as a
 * test of their own.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dp.h"
#include "dp_env.h"

static const struct {
	const char *name;
	dp_case_fn fn;
} cases[] = {
    /* TCP state machine (dp_ct_tcp.c) */
    {"tcp_handshake_teardown", case_tcp_handshake_teardown},
    {"prefilter_blocked", case_prefilter_blocked},
    {"prefilter_untracked", case_prefilter_untracked},
    {"prefilter_nat_reply", case_prefilter_nat_reply},
    {"prefilter_malformed_passes", case_prefilter_malformed_passes},
    {"tcp_rst_closes", case_tcp_rst_closes},
    {"tcp_refused_by_rst", case_tcp_refused_by_rst},
    {"tcp_without_entry_invalid", case_tcp_without_entry_invalid},
    {"tcp_bad_flags_invalid", case_tcp_bad_flags_invalid},
    {"tcp_time_wait_syn_reopens", case_tcp_time_wait_syn_reopens},
    {"tcp_invalid_in_state", case_tcp_invalid_in_state},
    {"tcp_simultaneous_open", case_tcp_simultaneous_open},
    {"tcp_retransmitted_syn", case_tcp_retransmitted_syn},
    /* TCP windows (dp_ct_tcp_window.c) */
    {"tcp_window_handshake", case_tcp_window_handshake},
    {"tcp_window_rst_out_of_window", case_tcp_window_rst_out_of_window},
    {"tcp_window_rst_inexact", case_tcp_window_rst_inexact},
    {"tcp_window_rst_closing", case_tcp_window_rst_closing},
    {"tcp_window_far_off_data", case_tcp_window_far_off_data},
    {"tcp_window_retransmission", case_tcp_window_retransmission},
    {"tcp_window_ack_loss", case_tcp_window_ack_loss},
    {"tcp_window_scaling", case_tcp_window_scaling},
    {"tcp_window_unknown_learnt", case_tcp_window_unknown_learnt},
    {"tcp_window_syn_challenge_ack", case_tcp_window_syn_challenge_ack},
    {"tcp_window_liberal", case_tcp_window_liberal},
    /* UDP, ICMP, other protocols, related (dp_ct_udp_icmp.c) */
    {"udp_unreplied_replied_assured", case_udp_unreplied_replied_assured},
    {"icmp_echo", case_icmp_echo},
    {"icmp_reply_without_request_invalid", case_icmp_reply_without_request_invalid},
    {"icmp_error_related", case_icmp_error_related},
    {"icmp_error_unknown_invalid", case_icmp_error_unknown_invalid},
    {"icmp_error_truncated_quote_invalid", case_icmp_error_truncated_quote_invalid},
    {"icmpv6_echo_and_error", case_icmpv6_echo_and_error},
    {"icmpv6_neighbour_discovery_untracked", case_icmpv6_neighbour_discovery_untracked},
    {"other_protocol", case_other_protocol},
    {"counters", case_counters},
    /* parsing (dp_parse.c) */
    {"ipv6_tcp_udp", case_ipv6_tcp_udp},
    {"ipv6_extension_headers", case_ipv6_extension_headers},
    {"ipv6_too_many_extension_headers", case_ipv6_too_many_extension_headers},
    {"vlan", case_vlan},
    {"ipv4_options", case_ipv4_options},
    {"non_ip", case_non_ip},
    {"malformed_ethernet_vlan", case_malformed_ethernet_vlan},
    {"malformed_ipv4", case_malformed_ipv4},
    {"malformed_ipv6", case_malformed_ipv6},
    {"malformed_l4", case_malformed_l4},
    {"fragments_ipv4", case_fragments_ipv4},
    {"fragments_ipv6", case_fragments_ipv6},
    {"fragment_without_first", case_fragment_without_first},
    /* chains, policy seam, events (dp_chain.c) */
    {"chain_input_forward", case_chain_input_forward},
    {"chain_broadcast_multicast_input", case_chain_broadcast_multicast_input},
    {"chain_output_egress", case_chain_output_egress},
    {"egress_forwarded_not_counted", case_egress_forwarded_not_counted},
    {"policy_defaults_drop", case_policy_defaults_drop},
    {"policy_zero_config_accepts", case_policy_zero_config_accepts},
    {"policy_copy_switch", case_policy_copy_switch},
    {"invalid_verdict", case_invalid_verdict},
    {"policy_reject", case_policy_reject},
    {"events_new", case_events_new},
    {"half_evicted_connection", case_half_evicted_connection},
    /* a full table (dp_ct_table.c) */
    {"ct_table_full", case_ct_table_full},
    /* NAT: masquerade and snat (dp_nat_snat.c) */
    {"nat_masquerade_tcp", case_nat_masquerade_tcp},
    {"nat_masquerade_udp", case_nat_masquerade_udp},
    {"nat_masquerade_udp_zero_csum", case_nat_masquerade_udp_zero_csum},
    {"nat_masquerade_icmp_echo", case_nat_masquerade_icmp_echo},
    {"nat_unmatched_untouched", case_nat_unmatched_untouched},
    {"nat_port_collision", case_nat_port_collision},
    {"nat_port_taken_by_orig", case_nat_port_taken_by_orig},
    {"nat_port_exhausted", case_nat_port_exhausted},
    {"nat_masquerade_no_address", case_nat_masquerade_no_address},
    {"nat_reply_during_open", case_nat_reply_during_open},
    {"nat_own_connection_during_open", case_nat_own_connection_during_open},
    /* rules (dp_policy.c, dp_policy_limit_log.c, dp_policy_switch.c) */
    {"policy_zones", case_policy_zones},
    {"policy_prefixes", case_policy_prefixes},
    {"policy_sets_negation", case_policy_sets_negation},
    {"policy_proto_family", case_policy_proto_family},
    {"policy_ports", case_policy_ports},
    {"policy_first_match", case_policy_first_match},
    {"policy_chain_defaults", case_policy_chain_defaults},
    {"policy_invalid_with_rules", case_policy_invalid_with_rules},
    {"policy_established_bypass", case_policy_established_bypass},
    {"policy_hits", case_policy_hits},
    {"policy_incomplete_fails_closed", case_policy_incomplete_fails_closed},
    {"policy_many_rules", case_policy_many_rules},
    {"policy_limit", case_policy_limit},
    {"policy_limit_refill", case_policy_limit_refill},
    {"policy_log_events", case_policy_log_events},
    {"policy_log_ring_full", case_policy_log_ring_full},
    {"policy_default_log", case_policy_default_log},
    {"policy_atomic_switch", case_policy_atomic_switch},
    /* reject replies (dp_reject.c) */
    {"reject_tcp4", case_reject_tcp4},
    {"reject_tcp6", case_reject_tcp6},
    {"reject_tcp_options_payload", case_reject_tcp_options_payload},
    {"reject_tcp_vlan", case_reject_tcp_vlan},
    {"reject_udp4_forward", case_reject_udp4_forward},
    {"reject_udp4_input", case_reject_udp4_input},
    {"reject_udp6_quote_1280", case_reject_udp6_quote_1280},
    {"reject_icmp_echo", case_reject_icmp_echo},
    {"reject_output_back_into_stack", case_reject_output_back_into_stack},
    {"reject_never_answered", case_reject_never_answered},
    /* NAT: port forwarding and hairpin (dp_nat_dnat.c) */
    {"nat_port_forward_tcp", case_nat_port_forward_tcp},
    {"nat_port_forward_udp_icmp", case_nat_port_forward_udp_icmp},
    {"nat_dnat_to_gateway", case_nat_dnat_to_gateway},
    {"nat_hairpin", case_nat_hairpin},
    {"nat_dnat_zone_scoped", case_nat_dnat_zone_scoped},
    /* NAT: ICMP errors (dp_nat_icmp.c) */
    {"nat_icmp_error_from_server", case_nat_icmp_error_from_server},
    {"nat_icmp_error_from_router", case_nat_icmp_error_from_router},
    {"nat_icmp_error_about_echo", case_nat_icmp_error_about_echo},
    {"nat_icmp_error_from_client", case_nat_icmp_error_from_client},
    {"nat_icmp_error_port_forward", case_nat_icmp_error_port_forward},
    {"nat_icmp_error_from_gateway", case_nat_icmp_error_from_gateway},
    /* NAT: fragments (dp_nat_frag.c) */
    {"nat_frag_masquerade", case_nat_frag_masquerade},
    {"nat_frag_out_of_order", case_nat_frag_out_of_order},
    {"nat_frag_reply_out_of_order", case_nat_frag_reply_out_of_order},
    {"nat_frag_port_forward", case_nat_frag_port_forward},
    {"nat_frag_hairpin", case_nat_frag_hairpin},
    /* fast path (dp_fastpath.c) */
    {"fastpath_udp4", case_fastpath_udp4},
    {"fastpath_tcp6", case_fastpath_tcp6},
    {"fastpath_masquerade", case_fastpath_masquerade},
    {"fastpath_kernel_cases", case_fastpath_kernel_cases},
    {"fastpath_nexthop_kept", case_fastpath_nexthop_kept},
    /* concurrency (dp_concurrency.c) */
    {"concurrent_counters", case_concurrent_counters},
    {"concurrent_open", case_concurrent_open},
    /* hostile packets, a million of them (dp_fuzz.c) */
    {"fuzz", case_fuzz},
};

/* Cases that run only when an argument is exactly their name (see the top). */
static const char *const explicit_only[] = {"fuzz"};

static bool is_explicit_only(const char *name)
{
	for (size_t i = 0; i < sizeof(explicit_only) / sizeof(explicit_only[0]); i++)
		if (!strcmp(name, explicit_only[i]))
			return true;
	return false;
}

static bool selected(const char *name, int argc, char **argv)
{
	bool exact = is_explicit_only(name);

	for (int i = 1; i < argc; i++)
		if (exact ? !strcmp(name, argv[i]) : !!strstr(name, argv[i]))
			return true;
	return argc < 2 && !exact;
}

int main(int argc, char **argv)
{
	struct dp_env env;
	int passed = 0, failed = 0;

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
	if (dp_env_setup(&env))
		return 1;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dp t = {.name = cases[i].name,
		               .ifindex_lan = env.ifindex_lan,
		               .ifindex_wan = env.ifindex_wan};

		if (!selected(cases[i].name, argc, argv))
			continue;
		if (dp_env_load(&t)) {
			fprintf(stderr, "FAIL %s: setup: the datapath did not load\n", t.name);
			failed++;
			continue;
		}
		cases[i].fn(&t);
		dp_env_unload(&t);
		if (t.failures) {
			printf("FAIL %s (%d failed assertions)\n", t.name, t.failures);
			failed++;
		} else {
			printf("ok   %s\n", t.name);
			passed++;
		}
	}
	printf("dp_test: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
