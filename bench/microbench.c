// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * microbench.c - the datapath's cost per packet, measured with BPF_PROG_TEST_RUN on the
 * programs a running fwd attached, and the rule-scaling requirement of classification.
 *
 * Run inside the gateway's network namespace (nsenter --net=/run/netns/NAME) while fwd runs
 * there with the bench's interfaces in its zones. For each policy given (compiled here with
 * the policy library to report its size, then installed by fwd through policy-load, the one
 * install path fwd has), it measures:
 *  - a new-connection packet: a TCP SYN from the LAN that the policy must classify. Every
 *    call is a different connection: the source address/port advance per call (repeat = 1
 *    per call, the kernel's per-run time), so no SYN finds an earlier entry;
 *  - an established-flow packet: an ACK of a connection opened by a real handshake, in a
 *    kernel loop (repeat = R) and per call;
 *  - the established-flow packet with and without TCP window tracking (fwd --tcp-liberal's
 *    flag in map "config", set and put back here), and the difference: its cost;
 *  - when the datapath translates (NAT), a translated packet at WAN egress, per call (the
 *    program rewrites the packet, so a kernel loop would see its own output);
 * and the empty TC program `r0 = TC_ACT_OK; exit` the same two ways, as the floor.
 * Rule scaling: new-connection p50 with the large policy <= 2x the small one's; a set of 100,000
 * prefixes loads and its members match.
 *
 * Policies: the generator bench/gen_rules.py writes them; each ends with
 *   forward drop proto tcp dport 9999      (sentinel: a classifying datapath drops it)
 *   forward accept in lan out wan          (the rule measured packets must match)
 * under `defaults { forward drop }`, so a datapath that does not classify is seen at once:
 * everything gets the default. That is reported, never hidden.
 *
 * Output: JSON on stdout (or --json FILE), a readable summary on stderr.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <json-c/json.h>

#include "json_add.h"
#include "pins.h"

#include "common/fwdclient.h"
#include "common/gw.h"
#include "common/nat_egress.h"
#include "common/pkt.h"
#include "common/tcrun.h"

#define SENTINEL_DPORT 9999
#define SERVER_ADDR    "203.0.113.2"
#define MAX_POLICIES   4
#define MAX_PROBES     8

struct options {
	const char *socket, *pin_dir, *lan, *wan, *json_path;
	const char *policy_name[MAX_POLICIES], *policy_file[MAX_POLICIES];
	int npolicies;
	const char *bigset_file;
	const char *fallback_file; /* forward accept by default: for established and NAT */
	uint32_t bigset_in[MAX_PROBES], bigset_out[MAX_PROBES];
	int nbigset_in, nbigset_out;
	uint32_t repeat, calls;
};

/* ---- flows ------------------------------------------------------------------------------ */
/* A connection no earlier call used: sources 10.10.0.2 upwards, 50,000 ports each. */
static struct bench_flow4 fresh_flow(uint16_t dport)
{
	static uint32_t n;
	struct bench_flow4 f = {
	    .saddr = htonl(0x0a0a0000u + 2 + n / 50000),
	    .daddr = bench_ip4(SERVER_ADDR),
	    .sport = htons((uint16_t)(10000 + n % 50000)),
	    .dport = htons(dport),
	    .proto = IPPROTO_TCP,
	};
	n++;
	return f;
}

/* ---- JSON helpers ------------------------------------------------------------------------ */
static struct json_object *summary_json(const struct tcrun_summary *s)
{
	struct json_object *o = json_object_new_object();

	json_add_i64(o, "n", (int64_t)s->n);
	json_add_double(o, "min_ns", s->min);
	json_add_double(o, "p50_ns", s->p50);
	json_add_double(o, "p90_ns", s->p90);
	json_add_double(o, "p99_ns", s->p99);
	json_add_double(o, "max_ns", s->max);
	json_add_double(o, "mean_ns", s->mean);
	return o;
}

/* ---- timing ------------------------------------------------------------------------------ */
/* One packet in a kernel loop of `repeat` runs: ns per run, or -1. */
static double time_loop(int fd, const struct bench_pkt *p, const struct __sk_buff *ctx,
                        uint32_t repeat, const char *what)
{
	struct tcrun_result r;

	if (tcrun_run(fd, p, ctx, repeat, &r, NULL, what))
		return -1;
	return (double)r.duration;
}

/* The same packet, one call per run, `calls` times. */
static int time_calls(int fd, const struct bench_pkt *p, const struct __sk_buff *ctx,
                      uint32_t calls, struct tcrun_summary *s, const char *what)
{
	double *v = calloc(calls, sizeof(*v));
	struct tcrun_result r;

	if (!v)
		return -1;
	for (uint32_t i = 0; i < calls; i++) {
		if (tcrun_run(fd, p, ctx, 1, &r, NULL, what)) {
			free(v);
			return -1;
		}
		v[i] = r.duration;
	}
	tcrun_summarize(v, calls, s);
	free(v);
	return 0;
}

/* ---- the floor: the empty program -------------------------------------------------------- */
struct floor {
	double loop_ns;
	struct tcrun_summary per_call;
};

static struct json_object *measure_empty(const struct bench_gw *gw, const struct options *o,
                                         struct floor *fl)
{
	struct json_object *j = json_object_new_object();
	struct bench_flow4 f = fresh_flow(80);
	struct __sk_buff ctx;
	struct bench_pkt p;
	int fd = tcrun_load_empty_prog();

	if (fd < 0)
		return NULL;
	bench_pkt_build(&p, &f, BENCH_TCP_ACK, 0);
	tcrun_ctx_ingress(&ctx, gw->lan_ifindex);
	fl->loop_ns = time_loop(fd, &p, &ctx, o->repeat, "empty program, loop");
	if (fl->loop_ns < 0 || time_calls(fd, &p, &ctx, o->calls, &fl->per_call, "empty program")) {
		close(fd);
		json_object_put(j);
		return NULL;
	}
	close(fd);
	json_add_double(j, "loop_ns", fl->loop_ns);
	json_object_object_add(j, "per_call", summary_json(&fl->per_call));
	fprintf(stderr, "  empty TC program: %.1f ns/packet (loop of %u), %.0f ns p50 per call\n",
	        fl->loop_ns, o->repeat, fl->per_call.p50);
	return j;
}

/* ---- one policy -------------------------------------------------------------------------- */
struct policy_result {
	const char *name, *file;
	char *text; /* kept: the policy is installed again for every block of new connections */
	bool installed;
	bool classified;
	bool established; /* the established-flow packet could be measured */
	double *samples;  /* new-connection ns per call, o->calls of them */
	uint32_t nsamples, accepted;
	struct tcrun_summary new_conn;
	struct json_object *j;
};

/*
 * Is the policy really classified? The sentinel SYN must be dropped and an ordinary SYN
 * accepted by the last forward rule (its id in the connection). Fills note with what was
 * seen when not.
 */
static bool check_classification(const struct bench_gw *gw, uint32_t accept_rule_id, char *note,
                                 size_t len)
{
	struct bench_flow4 sentinel = fresh_flow(SENTINEL_DPORT), normal = fresh_flow(80);
	struct tcfw_ct_entry e;
	int rs, rn;

	rs = bench_send(gw->ingress_lan_fd, &sentinel, BENCH_TCP_SYN, gw->lan_ifindex,
	                "sentinel SYN (dport 9999)");
	rn = bench_send(gw->ingress_lan_fd, &normal, BENCH_TCP_SYN, gw->lan_ifindex,
	                "ordinary SYN (dport 80)");
	if (rs == TC_ACT_SHOT && rn == TC_ACT_OK && bench_ct_lookup(gw, &normal, &e) &&
	    e.rule_id == accept_rule_id) {
		snprintf(note, len, "rules classified: sentinel dropped, SYN accepted by rule %u",
		         accept_rule_id);
		return true;
	}
	if (rs == TC_ACT_SHOT && rn == TC_ACT_SHOT)
		snprintf(note, len,
		         "not classified by this datapath build: every new connection got the "
		         "forward default (drop); the new-connection figures measure parse + "
		         "conntrack miss + default verdict, no rule matching");
	else
		snprintf(note, len,
		         "classification wrong: sentinel SYN got TC action %d (expected %d), "
		         "ordinary SYN %d (expected %d, by rule %u)",
		         rs, TC_ACT_SHOT, rn, TC_ACT_OK, accept_rule_id);
	return false;
}

/* n SYNs, each opening a different connection, appended to res's samples; verdicts counted. */
static int measure_new(const struct bench_gw *gw, uint32_t n, struct policy_result *res)
{
	struct __sk_buff ctx;
	struct tcrun_result r;
	struct bench_pkt p;

	tcrun_ctx_ingress(&ctx, gw->lan_ifindex);
	for (uint32_t i = 0; i < n; i++) {
		struct bench_flow4 f = fresh_flow(80);

		bench_pkt_build(&p, &f, BENCH_TCP_SYN, 0);
		if (tcrun_run(gw->ingress_lan_fd, &p, &ctx, 1, &r, NULL, "new-connection SYN"))
			return -1;
		res->samples[res->nsamples++] = r.duration;
		res->accepted += r.retval == TC_ACT_OK;
	}
	return 0;
}

/* An established connection's ACK: ingress on the LAN (loop and per call), egress on the
 * WAN (loop; forwarded packets pass egress untouched unless NAT rewrites them). */
static struct json_object *measure_established(const struct bench_gw *gw, const struct options *o,
                                               bool *opened)
{
	struct bench_flow4 f = fresh_flow(80);
	struct json_object *j = json_object_new_object();
	struct __sk_buff in, out;
	struct tcrun_summary s;
	struct bench_pkt p;
	char why[256];

	if (bench_tcp_open(gw, &f, why, sizeof(why))) {
		char msg[400];

		snprintf(msg, sizeof(msg), "not measured with this policy: %s", why);
		json_add_str(j, "error", msg);
		*opened = false;
		return j;
	}
	*opened = true;
	bench_pkt_build(&p, &f, BENCH_TCP_ACK, 0);
	tcrun_ctx_ingress(&in, gw->lan_ifindex);
	tcrun_ctx_egress(&out, gw->wan_ifindex, gw->lan_ifindex);
	double in_loop = time_loop(gw->ingress_lan_fd, &p, &in, o->repeat, "established, LAN in");
	double out_loop = time_loop(gw->egress_wan_fd, &p, &out, o->repeat, "established, WAN out");

	/* The same connection's reply (the server's ACK) at WAN ingress: conntrack finds it by
	 * the reply tuple (without NAT the same key as the orig tuple, with NAT a reference). */
	double reply_loop = -1;
	struct tcfw_ct_entry e;

	if (bench_ct_lookup(gw, &f, &e)) {
		struct bench_flow4 rf = bench_reply_flow(&e);
		struct __sk_buff rin;
		struct bench_pkt rp;

		bench_pkt_build(&rp, &rf, BENCH_TCP_ACK, 0);
		tcrun_ctx_ingress(&rin, gw->wan_ifindex);
		reply_loop = time_loop(gw->ingress_wan_fd, &rp, &rin, o->repeat,
		                       "established, WAN in (reply)");
	}

	memset(&s, 0, sizeof(s));
	json_add_double(j, "ingress_loop_ns", in_loop);
	json_add_double(j, "egress_loop_ns", out_loop);
	json_add_double(j, "reply_ingress_loop_ns", reply_loop);
	if (!time_calls(gw->ingress_lan_fd, &p, &in, o->calls, &s, "established ACK, LAN ingress"))
		json_object_object_add(j, "ingress_per_call", summary_json(&s));
	fprintf(
	    stderr,
	    "    established flow: LAN ingress %.0f ns (loop), %.0f ns p50 per call; WAN egress "
	    "%.0f ns (loop); reply at WAN ingress %.0f ns (loop)\n",
	    in_loop, s.p50, out_loop, reply_loop);
	return j;
}

/* Install a policy from an empty table. 0, or -1 with a message. */
static int install(const struct options *o, const struct policy_result *res, double *ms)
{
	/* Every measurement starts from an empty table: NAT port allocation and table occupancy
	 * must not favour the policy measured first. */
	return bench_fwd_policy_load(o->socket, res->file, res->text, ms) ||
	               bench_fwd_ct_flush(o->socket)
	           ? -1
	           : 0;
}

/* First pass over a policy: its size, install, classification, the established flow. */
static void measure_policy(const struct bench_gw *gw, const struct options *o,
                           struct policy_result *res)
{
	struct json_object *j = json_object_new_object();
	struct bench_policy_info info;
	char note[512];
	size_t len;
	double install_ms;

	res->j = j;
	json_add_str(j, "name", res->name);
	json_add_str(j, "file", res->file);
	res->text = bench_read_file(res->file, &len);
	if (!res->text || bench_policy_inspect(res->file, res->text, len, &info) ||
	    install(o, res, &install_ms)) {
		json_add_str(j, "error",
		             "the policy did not parse, compile or install, or the table "
		             "could not be flushed (see log)");
		return;
	}
	res->installed = true;
	json_add_i64(j, "rules", (int64_t)info.rules);
	json_add_i64(j, "forward_rules", (int64_t)info.chain_rules[TCFW_CHAIN_FORWARD]);
	json_add_i64(j, "classes", (int64_t)info.classes);
	json_add_i64(j, "src_prefixes", (int64_t)info.src_prefixes);
	json_add_i64(j, "dst_prefixes", (int64_t)info.dst_prefixes);
	json_add_double(j, "parse_ms", info.parse_ms);
	json_add_double(j, "compile_ms", info.compile_ms);
	json_add_double(j, "install_ms", install_ms);
	fprintf(
	    stderr,
	    "  %s: %zu rules (%zu forward), %zu classes, %zu+%zu prefixes; compiled in %.0f ms, "
	    "installed by fwd in %.0f ms\n",
	    res->name, info.rules, info.chain_rules[TCFW_CHAIN_FORWARD], info.classes,
	    info.src_prefixes, info.dst_prefixes, info.compile_ms, install_ms);

	res->classified = check_classification(gw, info.last_forward_rule_id, note, sizeof(note));
	json_add_bool(j, "classified", res->classified);
	json_add_str(j, "classification", note);
	fprintf(stderr, "    %s\n", note);
	json_object_object_add(j, "established", measure_established(gw, o, &res->established));
}

/*
 * New connections under every policy, interleaved: NEW_BLOCKS blocks, each installing the
 * policies in turn (from an empty table) and opening calls / NEW_BLOCKS connections under
 * each, so that drift of the machine falls on every policy alike (as the rounds of run.sh).
 */
#define NEW_BLOCKS 4

static void measure_new_interleaved(const struct bench_gw *gw, const struct options *o,
                                    struct policy_result *res, int n, const struct floor *fl)
{
	double ms;

	for (int i = 0; i < n; i++) {
		res[i].samples = calloc(o->calls, sizeof(double));
		if (!res[i].samples)
			res[i].installed = false;
	}
	for (uint32_t b = 0; b < NEW_BLOCKS; b++) {
		uint32_t want =
		    o->calls / NEW_BLOCKS + (b == NEW_BLOCKS - 1 ? o->calls % NEW_BLOCKS : 0);

		for (int i = 0; i < n; i++)
			if (res[i].installed &&
			    (install(o, &res[i], &ms) || measure_new(gw, want, &res[i])))
				res[i].installed = false; /* said why on stderr */
	}
	for (int i = 0; i < n; i++) {
		struct json_object *nj;

		if (!res[i].installed || res[i].nsamples != o->calls)
			continue;
		tcrun_summarize(res[i].samples, res[i].nsamples, &res[i].new_conn);
		nj = summary_json(&res[i].new_conn);
		json_add_i64(nj, "accepted", res[i].accepted);
		json_add_i64(nj, "blocks", NEW_BLOCKS);
		json_add_double(nj, "net_p50_ns", res[i].new_conn.p50 - fl->per_call.p50);
		json_object_object_add(res[i].j, "new_connection", nj);
		fprintf(stderr,
		        "  new connection, %s: %.0f ns p50 per call (%.0f net of the empty "
		        "program), %u of %u accepted\n",
		        res[i].name, res[i].new_conn.p50, res[i].new_conn.p50 - fl->per_call.p50,
		        res[i].accepted, o->calls);
	}
}

/* ---- NAT ---------------------------------------------------------------------------------- */
static struct json_object *nat_not_measured(struct json_object *j, const char *why)
{
	json_add_bool(j, "executed", false);
	json_add_str(j, "note", why);
	fprintf(stderr, "  NAT: %s\n", why);
	return j;
}

/*
 * Does the datapath translate? A connection opened through the gateway under a policy with
 * masquerade must be stored translated (nat_kind SNAT, reply tuple to the WAN address). If so,
 * its packets are timed at WAN egress, per call (the program rewrites the packet, so a kernel
 * loop would feed it its own output), by the copy of the programs that finds NAT work by
 * lookups (common/nat_egress.h: BPF_PROG_TEST_RUN cannot carry ingress's hint to egress), and
 * each must leave with the translated source.
 */
static struct json_object *measure_nat(const struct bench_gw *gw, const struct options *o)
{
	struct json_object *j = json_object_new_object();
	struct bench_flow4 f = fresh_flow(80);
	struct tcfw_ct_entry e;
	struct __sk_buff out;
	struct tcrun_result r;
	struct tcrun_summary s;
	struct bench_pkt p, after;
	struct tcfw *skel;
	char from[INET_ADDRSTRLEN], to[INET_ADDRSTRLEN], why[256], msg[400];
	uint32_t src;
	int fd;

	if (bench_tcp_open(gw, &f, why, sizeof(why))) {
		snprintf(msg, sizeof(msg), "could not open a connection to test NAT: %s", why);
		return nat_not_measured(j, msg);
	}
	if (!bench_ct_lookup(gw, &f, &e) || !(e.nat_kind & TCFW_NAT_SNAT) ||
	    e.reply.dst[3] == f.saddr)
		return nat_not_measured(j, "masquerade not executed by this datapath build: the "
		                           "connection is stored untranslated; NAT cost not "
		                           "measured");
	fd = bench_nat_egress_open(o->pin_dir, &skel);
	if (fd < 0)
		return nat_not_measured(j, "could not load the programs' lookup-egress copy (see "
		                           "the log); NAT cost not measured");
	bench_pkt_build(&p, &f, BENCH_TCP_ACK, 0);
	tcrun_ctx_egress(&out, gw->wan_ifindex, gw->lan_ifindex);
	if (tcrun_run(fd, &p, &out, 1, &r, &after, "WAN egress, NAT check")) {
		bench_nat_egress_close(skel);
		return nat_not_measured(j, "BPF_PROG_TEST_RUN failed at WAN egress (see the log)");
	}
	src = bench_pkt_saddr(&after);
	inet_ntop(AF_INET, &f.saddr, from, sizeof(from));
	inet_ntop(AF_INET, &src, to, sizeof(to));
	if (r.retval != TC_ACT_OK || src != e.reply.dst[3]) {
		snprintf(msg, sizeof(msg),
		         "the connection is stored translated, but WAN egress left source %s "
		         "(TC action %u): NAT cost not measured",
		         to, r.retval);
		bench_nat_egress_close(skel);
		return nat_not_measured(j, msg);
	}
	json_add_bool(j, "executed", true);
	json_add_str(j, "translated_from", from);
	json_add_str(j, "translated_to", to);
	json_add_str(j, "how",
	             "per call, by a copy of the programs that finds NAT work by lookups "
	             "(no ingress hint in a test run): an upper bound for a hinted packet");
	if (time_calls(fd, &p, &out, o->calls, &s, "NAT egress") == 0) {
		json_object_object_add(j, "egress_per_call", summary_json(&s));
		fprintf(stderr, "  NAT: %s -> %s at WAN egress, %.0f ns p50 per call\n", from, to,
		        s.p50);
	}
	bench_nat_egress_close(skel);
	return j;
}

/* ---- 100,000-prefix set ------------------------------------------------------------------- */
static struct json_object *measure_bigset(const struct bench_gw *gw, const struct options *o)
{
	struct json_object *j = json_object_new_object();
	struct bench_policy_info info;
	char *text;
	size_t len;
	double install_ms;
	int in_dropped = 0, out_accepted = 0;

	json_add_str(j, "file", o->bigset_file);
	text = bench_read_file(o->bigset_file, &len);
	if (!text || bench_policy_inspect(o->bigset_file, text, len, &info) ||
	    bench_fwd_policy_load(o->socket, o->bigset_file, text, &install_ms)) {
		json_add_bool(j, "loaded", false);
		json_add_str(j, "error",
		             "the policy with the large set did not parse, compile or "
		             "install (see log)");
		free(text);
		return j;
	}
	free(text);
	json_add_bool(j, "loaded", true);
	json_add_i64(j, "src_prefixes", (int64_t)info.src_prefixes);
	json_add_double(j, "compile_ms", info.compile_ms);
	json_add_double(j, "install_ms", install_ms);
	for (int i = 0; i < o->nbigset_in; i++) {
		struct bench_flow4 f = fresh_flow(80);

		f.saddr = o->bigset_in[i];
		in_dropped += bench_send(gw->ingress_lan_fd, &f, BENCH_TCP_SYN, gw->lan_ifindex,
		                         "SYN from a member of the set") == TC_ACT_SHOT;
	}
	for (int i = 0; i < o->nbigset_out; i++) {
		struct bench_flow4 f = fresh_flow(80);

		f.saddr = o->bigset_out[i];
		out_accepted += bench_send(gw->ingress_lan_fd, &f, BENCH_TCP_SYN, gw->lan_ifindex,
		                           "SYN from outside the set") == TC_ACT_OK;
	}
	json_add_i64(j, "members_probed", o->nbigset_in);
	json_add_i64(j, "members_dropped", in_dropped);
	json_add_i64(j, "outsiders_probed", o->nbigset_out);
	json_add_i64(j, "outsiders_accepted", out_accepted);
	json_add_bool(j, "matched", in_dropped == o->nbigset_in && out_accepted == o->nbigset_out);
	if (out_accepted == 0 && in_dropped == o->nbigset_in)
		json_add_str(j, "note",
		             "not classified by this datapath build: members and outsiders "
		             "alike got the forward default (drop), so 'members dropped' "
		             "proves nothing");
	fprintf(stderr,
	        "  set of %zu prefixes: compiled in %.0f ms, installed in %.0f ms; members "
	        "dropped %d/%d, outsiders accepted %d/%d\n",
	        info.src_prefixes, info.compile_ms, install_ms, in_dropped, o->nbigset_in,
	        out_accepted, o->nbigset_out);
	return j;
}

/* ---- the cost of TCP window tracking ------------------------------------------------------- */
/*
 * The established packet with and without window tracking: fwd --tcp-liberal sets
 * TCFW_CFG_TCP_LIBERAL in map "config", read per TCP segment, and then only RSTs are held to
 * the window. The flag is set here the same way (fwd writes the map only when it starts or
 * installs a policy, which nothing does meanwhile) and put back as it was. One connection,
 * the two modes alternating over WINDOW_ROUNDS rounds (the order swapped every round), so
 * drift of the machine falls on both alike; the medians of the rounds are reported.
 */
#define WINDOW_ROUNDS 5

/* Set or clear TCFW_CFG_TCP_LIBERAL in config[0]. 0, or -1 with a message. */
static int config_liberal(int fd, bool on)
{
	struct tcfw_config cfg;
	__u32 zero = 0;

	if (bpf_map_lookup_elem(fd, &zero, &cfg) == 0) {
		if (on)
			cfg.flags |= TCFW_CFG_TCP_LIBERAL;
		else
			cfg.flags &= ~(__u32)TCFW_CFG_TCP_LIBERAL;
		if (bpf_map_update_elem(fd, &zero, &cfg, BPF_EXIST) == 0)
			return 0;
	}
	fprintf(stderr, "microbench: cannot %s TCFW_CFG_TCP_LIBERAL in map config: %s\n",
	        on ? "set" : "clear", strerror(errno));
	return -1;
}

/* Move a TCP packet's sequence number by delta (the checksum fixed as RFC 1624 does). */
static void shift_seq(struct bench_pkt *p, uint32_t delta)
{
	uint8_t *seq = p->b + 14 + 20 + 4, *csum = p->b + 14 + 20 + 16; /* Ethernet, IPv4, TCP */
	uint32_t old = (uint32_t)seq[0] << 24 | seq[1] << 16 | seq[2] << 8 | seq[3];
	uint32_t new = old + delta;
	uint32_t sum = (uint16_t) ~(csum[0] << 8 | csum[1]);

	sum += (uint16_t) ~(old >> 16) + (uint16_t)~old + (new >> 16) + (new & 0xffff);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	sum = (uint16_t)~sum;
	for (int i = 0; i < 4; i++)
		seq[i] = (uint8_t)(new >> (24 - 8 * i));
	csum[0] = (uint8_t)(sum >> 8);
	csum[1] = (uint8_t)sum;
}

/*
 * Does the flag do what it says here? A segment a gigabyte beyond the window, on a connection
 * of its own (a liberal accept moves the window): dropped as invalid when tracked, let through
 * when liberal. Otherwise the two figures would measure the same code and say nothing.
 */
static bool window_flag_works(const struct bench_gw *gw, int fd, char *why, size_t len)
{
	struct bench_flow4 f = fresh_flow(80);
	struct __sk_buff in;
	struct tcrun_result r[2];
	struct bench_pkt p;

	if (bench_tcp_open(gw, &f, why, len))
		return false;
	bench_pkt_build(&p, &f, BENCH_TCP_ACK, 0);
	shift_seq(&p, 1u << 30);
	tcrun_ctx_ingress(&in, gw->lan_ifindex);
	for (int md = 0; md < 2; md++)
		if (config_liberal(fd, md == 1) ||
		    tcrun_run(gw->ingress_lan_fd, &p, &in, 1, &r[md], NULL, "out-of-window ACK")) {
			snprintf(why, len, "a run or a write of map config failed (see log)");
			return false;
		}
	if (r[0].retval == TC_ACT_SHOT && r[1].retval == TC_ACT_OK)
		return true;
	snprintf(why, len,
	         "an ACK 1 GiB beyond the window got TC action %u tracked (expected %d, dropped "
	         "as invalid) and %u liberal (expected %d): the flag does not switch the checks",
	         r[0].retval, TC_ACT_SHOT, r[1].retval, TC_ACT_OK);
	return false;
}

static double median_of(double *v, uint32_t n)
{
	struct tcrun_summary s;

	tcrun_summarize(v, n, &s);
	return s.p50;
}

static struct json_object *measure_window_cost(const struct bench_gw *gw, const struct options *o)
{
	struct json_object *j = json_object_new_object(), *mj;
	struct bench_flow4 f = fresh_flow(80);
	double loop[2][WINDOW_ROUNDS], call[2][WINDOW_ROUNDS], med_loop[2], med_call[2];
	static const char *const mode[2] = {"tracked", "liberal"};
	struct tcfw_config orig;
	struct tcrun_summary s;
	struct __sk_buff in;
	struct bench_pkt p;
	__u32 zero = 0;
	bool ok = false;
	char err[256], why[sizeof(err) + 64];
	int fd = pins_open_map(o->pin_dir, TCFW_MAP_CONFIG, err, sizeof(err));

	if (fd < 0 || bpf_map_lookup_elem(fd, &zero, &orig)) {
		snprintf(why, sizeof(why), "not measured: %s",
		         fd < 0 ? err : "cannot read map config");
		json_add_str(j, "error", why);
		fprintf(stderr, "  TCP window tracking: %s\n", why);
		if (fd >= 0)
			close(fd);
		return j;
	}
	if (bench_tcp_open(gw, &f, err, sizeof(err))) {
		snprintf(why, sizeof(why), "not measured: no connection opened (%s)", err);
		json_add_str(j, "error", why);
		fprintf(stderr, "  TCP window tracking: %s\n", why);
		close(fd);
		return j;
	}
	bench_pkt_build(&p, &f, BENCH_TCP_ACK, 0);
	tcrun_ctx_ingress(&in, gw->lan_ifindex);
	for (int r = 0; r < WINDOW_ROUNDS; r++) {
		for (int k = 0; k < 2; k++) {
			int md =
			    (r + k) % 2; /* tracked first in even rounds, liberal first in odd */

			if (config_liberal(fd, md == 1))
				goto restore;
			loop[md][r] = time_loop(gw->ingress_lan_fd, &p, &in, o->repeat,
			                        "established, window cost");
			if (loop[md][r] < 0 || time_calls(gw->ingress_lan_fd, &p, &in, o->calls, &s,
			                                  "established, window cost"))
				goto restore;
			call[md][r] = s.p50;
		}
	}
	for (int md = 0; md < 2; md++) {
		med_loop[md] = median_of(loop[md], WINDOW_ROUNDS);
		med_call[md] = median_of(call[md], WINDOW_ROUNDS);
		mj = json_object_new_object();
		json_add_double(mj, "ingress_loop_ns", med_loop[md]);
		json_add_double(mj, "ingress_per_call_p50_ns", med_call[md]);
		json_object_object_add(j, mode[md], mj);
	}
	if (!window_flag_works(gw, fd, err, sizeof(err))) {
		snprintf(why, sizeof(why), "figures meaningless: %s", err);
		json_add_str(j, "error", why);
		fprintf(stderr, "  TCP window tracking: %s\n", why);
		ok = true; /* said why */
		goto restore;
	}
	json_add_bool(j, "checked", true);
	json_add_i64(j, "rounds", WINDOW_ROUNDS);
	json_add_double(j, "cost_loop_ns", med_loop[0] - med_loop[1]);
	json_add_double(j, "cost_per_call_ns", med_call[0] - med_call[1]);
	fprintf(stderr,
	        "  TCP window tracking, established ACK at LAN ingress (median of %d rounds): "
	        "tracked %.1f ns, liberal %.1f ns (loop): %+.1f ns; per call p50 %.0f vs %.0f "
	        "ns: %+.0f ns\n",
	        WINDOW_ROUNDS, med_loop[0], med_loop[1], med_loop[0] - med_loop[1], med_call[0],
	        med_call[1], med_call[0] - med_call[1]);
	ok = true;
restore:
	if (!ok)
		json_add_str(j, "error",
		             "not measured: a run or a write of map config failed (see log)");
	/* The flag as fwd had it, whatever happened. */
	config_liberal(fd, orig.flags & TCFW_CFG_TCP_LIBERAL);
	close(fd);
	return j;
}

/* ---- fallback ------------------------------------------------------------------------------ */
/*
 * When no measured policy let a connection through (a datapath that does not classify gives
 * every new connection the forward default, drop), the established-flow packet is measured
 * under a policy whose forward default accepts, and the output says so.
 */
static struct json_object *measure_fallback(const struct bench_gw *gw, const struct options *o)
{
	struct json_object *j = json_object_new_object();
	double install_ms;
	size_t len;
	bool opened;
	char *text = bench_read_file(o->fallback_file, &len);

	json_add_str(j, "file", o->fallback_file);
	json_add_str(j, "why",
	             "no measured policy let a connection through (no rule classification "
	             "in this datapath build): established packets measured under a policy "
	             "whose forward default accepts");
	if (!text || bench_fwd_policy_load(o->socket, o->fallback_file, text, &install_ms)) {
		json_add_str(j, "error", "the fallback policy did not install (see log)");
		free(text);
		return j;
	}
	free(text);
	json_object_object_add(j, "established", measure_established(gw, o, &opened));
	fprintf(stderr,
	        "  established flow under the fallback policy (forward accept by default): "
	        "%s\n",
	        opened ? "measured" : "could not open a connection either");
	return j;
}

/* ---- the rule-scaling verdict ------------------------------------------------------------ */
static struct json_object *rule_scaling_verdict(const struct policy_result *small,
                                                const struct policy_result *large)
{
	struct json_object *j = json_object_new_object();
	double ratio = small->new_conn.p50 > 0 ? large->new_conn.p50 / small->new_conn.p50 : 0;

	json_add_double(j, "limit", 2.0);
	json_add_double(j, "ratio_p50", ratio);
	if (!small->new_conn.n || !large->new_conn.n) {
		json_add_str(j, "verdict", "not evaluable");
		json_add_str(j, "why",
		             "new connections were not measured under both policies (see log)");
	} else if (!small->classified || !large->classified) {
		json_add_str(j, "verdict", "not evaluable");
		json_add_str(j, "why",
		             "the datapath did not classify rules (see the policies' "
		             "classification notes): the ratio compares default verdicts");
	} else {
		json_add_str(j, "verdict", ratio <= 2.0 ? "pass" : "fail");
	}
	const char *verdict = json_object_get_string(json_object_object_get(j, "verdict"));

	fprintf(stderr,
	        "  rule scaling: new connection, large / small policy = %.2fx (limit 2x): %s\n",
	        ratio, verdict);
	return j;
}

/* ---- options ------------------------------------------------------------------------------ */
static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: microbench --socket PATH --pin-dir DIR --lan IF --wan IF\n"
	    "                  --policy NAME=FILE [--policy NAME=FILE ...]\n"
	    "                  [--bigset FILE --member ADDR ... --outsider ADDR ...]\n"
	    "                  [--fallback FILE] [--repeat N] [--calls N]\n"
	    "                  [--json FILE]\n"
	    "Run inside the gateway's network namespace, with fwd running there.\n"
	    "  --policy NAME=FILE  a policy to install and measure; rule scaling compares\n"
	    "                      the first (small) with the last (large)\n"
	    "  --bigset FILE       a policy with a large set; --member addresses must be dropped,\n"
	    "                      --outsider addresses accepted\n"
	    "  --fallback FILE     a policy that accepts forward connections by default,\n"
	    "                      installed to measure established and NAT packets when the\n"
	    "                      policies above let no connection through (no classification)\n"
	    "  --repeat N          kernel loop length for loop timings (default 1000000)\n"
	    "  --calls N           calls for per-call timings (default 20000)\n");
}

static int parse_addr_list(const char *arg, uint32_t *v, int *n)
{
	if (*n >= MAX_PROBES) {
		fprintf(stderr, "microbench: at most %d probe addresses of each kind\n",
		        MAX_PROBES);
		return -1;
	}
	if (inet_pton(AF_INET, arg, &v[*n]) != 1) {
		fprintf(stderr, "microbench: '%s' is not an IPv4 address\n", arg);
		return -1;
	}
	(*n)++;
	return 0;
}

static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
	    {"socket", required_argument, NULL, 's'},   {"pin-dir", required_argument, NULL, 'p'},
	    {"lan", required_argument, NULL, 'l'},      {"wan", required_argument, NULL, 'w'},
	    {"policy", required_argument, NULL, 'P'},   {"bigset", required_argument, NULL, 'b'},
	    {"member", required_argument, NULL, 'm'},   {"outsider", required_argument, NULL, 'o'},
	    {"repeat", required_argument, NULL, 'r'},   {"calls", required_argument, NULL, 'c'},
	    {"fallback", required_argument, NULL, 'f'}, {"json", required_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->repeat = 1000000;
	o->calls = 20000;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		char *eq;

		switch (c) {
		case 's':
			o->socket = optarg;
			break;
		case 'p':
			o->pin_dir = optarg;
			break;
		case 'l':
			o->lan = optarg;
			break;
		case 'w':
			o->wan = optarg;
			break;
		case 'b':
			o->bigset_file = optarg;
			break;
		case 'f':
			o->fallback_file = optarg;
			break;
		case 'j':
			o->json_path = optarg;
			break;
		case 'r':
			o->repeat = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'c':
			o->calls = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'm':
			if (parse_addr_list(optarg, o->bigset_in, &o->nbigset_in))
				return 2;
			break;
		case 'o':
			if (parse_addr_list(optarg, o->bigset_out, &o->nbigset_out))
				return 2;
			break;
		case 'P':
			eq = strchr(optarg, '=');
			if (!eq || o->npolicies >= MAX_POLICIES) {
				fprintf(stderr,
				        "microbench: --policy takes NAME=FILE (at most %d)\n",
				        MAX_POLICIES);
				return 2;
			}
			*eq = '\0';
			o->policy_name[o->npolicies] = optarg;
			o->policy_file[o->npolicies++] = eq + 1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!o->socket || !o->pin_dir || !o->lan || !o->wan || !o->npolicies || !o->repeat ||
	    !o->calls) {
		usage(stderr);
		return 2;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct policy_result res[MAX_POLICIES];
	struct json_object *root, *arr, *j;
	struct options o;
	struct bench_gw gw;
	struct floor fl;
	int rc = parse_options(argc, argv, &o);

	if (rc)
		return rc;
	if (bench_gw_open(&gw, o.lan, o.wan, o.pin_dir))
		return 1;
	root = json_object_new_object();
	json_add_i64(root, "repeat", o.repeat);
	json_add_i64(root, "calls", o.calls);
	fprintf(stderr, "microbench: %u-run kernel loops, %u calls per per-call figure\n", o.repeat,
	        o.calls);
	j = measure_empty(&gw, &o, &fl);
	if (!j) {
		bench_gw_close(&gw);
		json_object_put(root);
		return 1;
	}
	json_object_object_add(root, "empty", j);
	arr = json_object_new_array();
	memset(res, 0, sizeof(res));
	for (int i = 0; i < o.npolicies; i++) {
		res[i].name = o.policy_name[i];
		res[i].file = o.policy_file[i];
		measure_policy(&gw, &o, &res[i]);
		json_object_array_add(arr, res[i].j);
	}
	/* Window tracking as the established figures were measured: under the policy just
	 * installed (its table fresh) when it let the connection through, else the fallback's. */
	bool window_done = o.npolicies > 0 && res[o.npolicies - 1].established;

	if (window_done)
		json_object_object_add(root, "tcp_window", measure_window_cost(&gw, &o));
	fprintf(stderr, "  new connections: %d interleaved blocks of %u SYNs per policy\n",
	        NEW_BLOCKS, o.calls / NEW_BLOCKS);
	measure_new_interleaved(&gw, &o, res, o.npolicies, &fl);
	json_object_object_add(root, "policies", arr);
	if (o.npolicies >= 2)
		json_object_object_add(root, "rule_scaling",
		                       rule_scaling_verdict(&res[0], &res[o.npolicies - 1]));
	if (o.bigset_file)
		json_object_object_add(root, "bigset", measure_bigset(&gw, &o));
	bool any_established = false;

	for (int i = 0; i < o.npolicies; i++)
		any_established |= res[i].established;
	if (!any_established && o.fallback_file)
		json_object_object_add(root, "fallback", measure_fallback(&gw, &o));
	if (!window_done)
		json_object_object_add(root, "tcp_window", measure_window_cost(&gw, &o));
	/* NAT under the policy installed last (every generated policy masquerades the LAN). */
	json_object_object_add(root, "nat", measure_nat(&gw, &o));
	bench_gw_close(&gw);
	for (int i = 0; i < o.npolicies; i++) {
		free(res[i].text);
		free(res[i].samples);
	}

	rc = bench_write_json("microbench", o.json_path, root) ? 1 : 0;
	json_object_put(root);
	return rc;
}
