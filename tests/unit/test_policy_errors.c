// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_policy_errors.c - every error the policy library reports, with its exact text and
 * place: "policy.conf:LINE:COL: message". A bad policy gives NULL; every error of a file is
 * reported, sorted by place; run-time rule additions report theirs and leave the policy as it
 * was; the diagnostics API prints and joins them. Garbage input of megabytes gives short
 * lines: what a message quotes is cut to 64 bytes, then "…" and the input's length.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "policy.h"

/* A policy with zones lan, wan and set admins, for rules to refer to. */
#define HEAD                                                                                       \
	"zone lan { lan0 }\n"                                                                      \
	"zone wan { wan0 }\n"                                                                      \
	"set admins { 198.51.100.0/24, 2001:db8:1::/48 }\n"

struct error_case {
	const char *what;
	const char *text;
	const char *diags; /* every line policy_diags_str() gives */
};

static const struct error_case cases[] = {
    /* ---- lexer ---- */
    {"unterminated string", HEAD "input accept comment \"web\n",
     "policy.conf:4:22: unterminated string: add the closing '\"' on the same line\n"},
    {"columns count characters", "input accept comment \"é—\" quickly\n",
     "policy.conf:1:27: expected a match (in, out, from, to, proto, sport, dport, family), log, "
     "limit, add, comment or end of line, got 'quickly'\n"},
    {"control character", "input accept\x01\n",
     "policy.conf:1:13: unexpected control character 0x01\n"},
    /* ---- dynamic sets, add, limit options ---- */
    {"timeout on a static set", "set s { 192.0.2.1 } timeout 1h\n",
     "policy.conf:1:21: 'timeout' applies to dynamic sets only: add 'flags dynamic' before it, "
     "or leave the timeout out\n"},
    {"unknown set flag", "set s { } flags dynamc\n",
     "policy.conf:1:17: unknown set flag 'dynamc' (did you mean 'dynamic'?)\n"},
    {"unknown set option", "set s { } flags dynamic timeot 1h\n",
     "policy.conf:1:25: unknown set option 'timeot' (did you mean 'timeout'?)\n"},
    {"set timeout zero", "set s { } flags dynamic timeout 0s\n",
     "policy.conf:1:33: duration '0s' is zero: a timeout must be at least 1s\n"},
    {"set flags twice", "set s { } flags dynamic flags dynamic\n",
     "policy.conf:1:25: 'flags' appears twice in this set (first at column 11)\n"},
    {"add to a static set", HEAD "input drop add @admins\n",
     "policy.conf:4:16: 'add @admins' needs a dynamic set, but set 'admins' (line 3) is not: "
     "declare it with 'set admins { ... } flags dynamic'\n"},
    {"add to an unknown set", "set scanners { } flags dynamic\ninput drop add @scaners\n",
     "policy.conf:2:16: unknown set '@scaners' (did you mean '@scanners'?)\n"},
    {"add without a set", "input drop add scanners\n",
     "policy.conf:1:16: expected a dynamic set after 'add', like add @scanners, got "
     "'scanners'\n"},
    {"add on a nat rule", "zone wan { wan0 }\nnat masquerade out wan add @x\n",
     "policy.conf:2:24: 'add' does not apply to nat rules\n"},
    {"prefilter with a dynamic set",
     "zone wan { wan0 }\nset d { } flags dynamic\nprefilter wan { drop from @d }\n",
     "policy.conf:3:27: prefilter cannot use dynamic set '@d': its trie is compiled with the "
     "policy; use a static set, or a rule 'input drop from @d' / 'forward drop from @d'\n"},
    {"burst misspelt", "input accept limit 3/minute burts 5\n",
     "policy.conf:1:29: unknown limit option 'burts' (did you mean 'burst'?)\n"},
    {"burst zero", "input accept limit 3/minute burst 0\n",
     "policy.conf:1:35: burst 0 is out of range (1-1000000)\n"},
    {"burst not a number", "input accept limit 3/minute burst many\n",
     "policy.conf:1:35: invalid burst 'many': expected a number of connections, like burst 20\n"},
    {"per sorce", "input accept limit 3/minute per sorce\n",
     "policy.conf:1:33: expected 'source' after 'per', got 'sorce' (did you mean 'source'?)\n"},
    {"burst without limit", "input accept burst 5\n",
     "policy.conf:1:14: 'burst' goes right after the rate of 'limit': write limit N/second "
     "burst B per source\n"},
    /* ---- statements ---- */
    {"unknown keyword with a suggestion", "zome lan { lan0 }\n",
     "policy.conf:1:1: unknown keyword 'zome' (did you mean 'zone'?)\n"},
    {"unknown keyword", "allow all\n",
     "policy.conf:1:1: unknown keyword 'allow': a statement starts with zone, set, defaults, "
     "timeouts, prefilter, input, forward, output or nat\n"},
    {"statement starting with a brace", "{ lan0 }\n",
     "policy.conf:1:1: expected a statement (zone, set, defaults, timeouts, prefilter, input, "
     "forward, output or nat), got '{'\n"},
    {"garbage after a statement", "zone lan { lan0 } extra\n",
     "policy.conf:1:19: expected end of line, got 'extra'\n"},
    {"bad rule id", "[0] input accept\n",
     "policy.conf:1:1: invalid rule id '[0]': expected [N] with N from 1 to 2147483647\n"},
    {"rule id too big", "[2147483648] input accept\n",
     "policy.conf:1:1: invalid rule id '[2147483648]': expected [N] with N from 1 to "
     "2147483647\n"},
    {"no id left", "[2147483647] input accept\ninput drop\n",
     "policy.conf:2:1: no rule id left for this rule: ids go up to 2147483647; renumber the "
     "rules written with [N]\n"},
    {"rule id before a declaration", "[4] zone lan { lan0 }\n",
     "policy.conf:1:5: expected a rule (input, forward, output or nat) after the rule id, got "
     "'zone'\n"},
    {"rule id used twice", "[3] input accept\n[3] input drop\n",
     "policy.conf:2:5: rule id [3] is used twice (first at line 1)\n"},
    /* ---- prefilter ---- */
    {"prefilter of an unknown zone",
     "zone wan { wan0 }\nset blocked { 192.0.2.1 }\nprefilter wann { drop from @blocked }\n",
     "policy.conf:3:11: unknown zone 'wann' (did you mean 'wan'?)\n"},
    {"prefilter of an unknown set",
     "zone wan { wan0 }\nset blocked { 192.0.2.1 }\nprefilter wan { drop from @blocke }\n",
     "policy.conf:3:27: unknown set '@blocke' (did you mean '@blocked'?)\n"},
    {"prefilter set without @", "zone wan { wan0 }\nprefilter wan { drop from blocked }\n",
     "policy.conf:2:27: expected a set after 'drop from' (@NAME): the prefilter drops sources "
     "by set, declared with 'set NAME { ... }', got 'blocked'\n"},
    {"prefilter entry unknown", "zone wan { wan0 }\nprefilter wan {\n\tdrop invalid\n}\n",
     "policy.conf:3:7: expected 'from @SET' or 'untracked' after 'drop' in prefilter, got "
     "'invalid'\n"},
    {"prefilter entry without drop", "zone wan { wan0 }\nprefilter wan { accept untracked }\n",
     "policy.conf:2:17: expected 'drop from @SET' or 'drop untracked' in prefilter, got "
     "'accept'\n"},
    {"empty prefilter", "zone wan { wan0 }\nprefilter wan { }\n",
     "policy.conf:2:1: prefilter wan drops nothing: add 'drop from @SET' or 'drop untracked', "
     "or remove it\n"},
    {"two prefilters for a zone",
     "zone wan { wan0 }\nprefilter wan { drop untracked }\nprefilter wan { drop untracked }\n",
     "policy.conf:3:11: zone 'wan' already has a prefilter (line 2): write its entries in one "
     "block\n"},
    {"untracked twice", "zone wan { wan0 }\nprefilter wan { drop untracked; drop untracked }\n",
     "policy.conf:2:38: 'drop untracked' is already written at line 2\n"},
    /* ---- zones ---- */
    {"zone without a name", "zone { lan0 }\n",
     "policy.conf:1:6: expected a zone name after 'zone', got '{'\n"},
    {"bad zone name", "zone 1lan { lan0 }\n",
     "policy.conf:1:6: invalid zone name '1lan': use up to 64 letters, digits, '_', '-' or '.', "
     "starting with a letter or '_'\n"},
    {"zone without a brace", "zone lan lan0\n",
     "policy.conf:1:10: expected '{' and the zone's interfaces after the zone name, got "
     "'lan0'\n"},
    {"empty zone", "zone lan { }\n", "policy.conf:1:12: expected an interface name, got '}'\n"},
    {"interface name too long", "zone lan { averyveryverylong }\n",
     "policy.conf:1:12: invalid interface name 'averyveryverylong': 1 to 15 characters, "
     "without '/' or ':'\n"},
    {"interface name with a slash", "zone lan { eth0/1 }\n",
     "policy.conf:1:12: invalid interface name 'eth0/1': 1 to 15 characters, without '/' or "
     "':'\n"},
    {"missing comma", "zone lan { lan0 lan1 }\n",
     "policy.conf:1:17: expected ',' or '}' after the interface name, got 'lan1'\n"},
    {"duplicate zone", "zone lan { lan0 }\nzone lan { lan1 }\n",
     "policy.conf:2:6: duplicate zone 'lan' (first declared at line 1)\n"},
    {"interface in two zones", "zone lan { lan0 }\nzone wan { wan0, lan0 }\n",
     "policy.conf:2:18: interface 'lan0' is already in zone 'lan' (line 1)\n"},
    {"interface twice in one zone", "zone lan {\n lan0,\n lan0 }\n",
     "policy.conf:3:2: interface 'lan0' is already in zone 'lan' (line 2)\n"},
    {"error inside an unclosed list",
     "set s { \"x\n10.0.0.1 }\nzone lan { lan0 } x\nzone lan { lan1 }\n",
     "policy.conf:1:9: unterminated string: add the closing '\"' on the same line\n"
     "policy.conf:3:19: expected end of line, got 'x'\n"
     "policy.conf:4:6: duplicate zone 'lan' (first declared at line 3)\n"},
    {"forgotten closing brace", "zone lan { lan0\ninput accept in lan\ninput drop in wann\n",
     "policy.conf:2:1: missing '}' for the block opened at 1:10: add it before this line\n"
     "policy.conf:3:15: unknown zone 'wann' (did you mean 'lan'?)\n"},
    /* ---- sets ---- */
    {"bad addresses, all reported",
     "set s { 10.0.0.1/8, 10.0.0.256, 10.0.0.0/33, 2001:db8::/129, ::ffff:10.0.0.1/130 }\n",
     "policy.conf:1:9: '10.0.0.1/8' has host bits set (did you mean 10.0.0.0/8?)\n"
     "policy.conf:1:21: invalid address '10.0.0.256': expected an IPv4 or IPv6 address or "
     "prefix, like 192.0.2.1, 198.51.100.0/24 or 2001:db8::/32\n"
     "policy.conf:1:33: invalid prefix length in '10.0.0.0/33': IPv4 allows 0 to 32\n"
     "policy.conf:1:46: invalid prefix length in '2001:db8::/129': IPv6 allows 0 to 128\n"
     "policy.conf:1:62: invalid prefix length in '::ffff:10.0.0.1/130': IPv6 allows 0 to 128\n"},
    {"IPv6 host bits", "set s { 2001:db8::1/32 }\n",
     "policy.conf:1:9: '2001:db8::1/32' has host bits set (did you mean 2001:db8::/32?)\n"},
    {"prefix length not a number", "set s { 10.0.0.0/x }\n",
     "policy.conf:1:9: invalid prefix length in '10.0.0.0/x': IPv4 allows 0 to 32\n"},
    {"empty prefix length", "set s { 10.0.0.0/ }\n",
     "policy.conf:1:9: invalid prefix length in '10.0.0.0/': IPv4 allows 0 to 32\n"},
    {"duplicate set", "set a { 10.0.0.1 }\nset a { 10.0.0.2 }\n",
     "policy.conf:2:5: duplicate set 'a' (first declared at line 1)\n"},
    {"set list without braces", "set a 10.0.0.1\n",
     "policy.conf:1:7: expected '{' and the set's addresses after the set name, got "
     "'10.0.0.1'\n"},
    /* ---- defaults ---- */
    {"misspelt verdict", "defaults {\n input alow\n}\n",
     "policy.conf:2:8: expected a verdict (accept, drop, reject), got 'alow'\n"},
    {"verdict with a suggestion", "defaults {\n input acept\n}\n",
     "policy.conf:2:8: expected a verdict (accept, drop, reject), got 'acept' (did you mean "
     "'accept'?)\n"},
    {"invalid reject", "defaults {\n invalid reject\n}\n",
     "policy.conf:2:10: 'invalid' takes drop or accept, not reject: a packet conntrack cannot "
     "place gets no answer\n"},
    {"invalid with a bad word", "defaults {\n invalid maybe\n}\n",
     "policy.conf:2:10: expected a verdict (accept, drop), got 'maybe'\n"},
    {"default set twice", "defaults {\n forward drop\n forward accept\n}\n",
     "policy.conf:3:2: 'forward' is set twice in defaults (first at line 2)\n"},
    {"invalid set twice", "defaults { invalid drop; invalid accept }\n",
     "policy.conf:1:26: 'invalid' is set twice in defaults (first at line 1)\n"},
    {"unknown default", "defaults {\n bogus drop\n inptu drop\n}\n",
     "policy.conf:2:2: unknown default 'bogus': expected input, forward, output or invalid\n"
     "policy.conf:3:2: unknown default 'inptu' (did you mean 'input'?): expected input, "
     "forward, output or invalid\n"},
    {"two entries on one line", "defaults {\n input drop forward drop\n}\n",
     "policy.conf:2:13: expected end of line after the entry, got 'forward'\n"},
    {"defaults without a brace", "defaults input drop\n",
     "policy.conf:1:10: expected '{' after 'defaults', got 'input'\n"},
    {"unclosed defaults at the end", "defaults {\n input drop\n",
     "policy.conf:3:1: missing '}' for the 'defaults' block opened at 1:10: the file ends "
     "inside it\n"},
    {"unclosed defaults before a statement", "defaults {\n input drop\nzone lan { lan0 }\n",
     "policy.conf:3:1: missing '}' for the 'defaults' block opened at 1:10: add it before "
     "this line\n"},
    /* ---- timeouts ---- */
    {"unknown tcp state with a suggestion", "timeouts {\n tcp establshed 1d\n}\n",
     "policy.conf:2:6: unknown tcp state 'establshed' (did you mean 'established'?)\n"},
    {"unknown tcp state", "timeouts {\n tcp open 1d\n}\n",
     "policy.conf:2:6: unknown tcp state 'open': expected one of syn_sent, syn_recv, "
     "established, fin_wait, close_wait, last_ack, time_wait, close, syn_sent2\n"},
    {"tcp without a state", "timeouts {\n tcp 30s\n}\n",
     "policy.conf:2:6: 'tcp' needs a state before the duration: one of syn_sent, syn_recv, "
     "established, fin_wait, close_wait, last_ack, time_wait, close, syn_sent2\n"},
    {"unknown udp state", "timeouts {\n udp strem 30s\n}\n",
     "policy.conf:2:6: unknown udp state 'strem' (did you mean 'stream'?)\n"},
    {"icmp has no state stream", "timeouts {\n icmp stream 30s\n}\n",
     "policy.conf:2:7: unknown icmp state 'stream': expected one of unreplied, replied\n"},
    {"unknown protocol", "timeouts {\n tpc close 1s\n gre 1s\n}\n",
     "policy.conf:2:2: unknown protocol 'tpc' in timeouts (did you mean 'tcp'?)\n"
     "policy.conf:3:2: unknown protocol 'gre' in timeouts: expected tcp, udp, icmp, icmpv6 "
     "or other\n"},
    {"duration without a unit", "timeouts {\n udp 30\n}\n",
     "policy.conf:2:6: invalid duration '30': expected a number and a unit, like 30s, 5m, 2h "
     "or 1d\n"},
    {"duration with a bad unit", "timeouts {\n udp 30w\n}\n",
     "policy.conf:2:6: invalid duration '30w': expected a number and a unit, like 30s, 5m, 2h "
     "or 1d\n"},
    {"zero duration", "timeouts {\n tcp syn_sent 0s\n}\n",
     "policy.conf:2:15: duration '0s' is zero: a timeout must be at least 1s\n"},
    {"duration too long", "timeouts {\n tcp established 49711d\n}\n",
     "policy.conf:2:18: duration '49711d' is too long (at most 49710d)\n"},
    {"missing duration", "timeouts {\n udp stream\n}\n",
     "policy.conf:2:12: expected a duration (like 30s, 5m, 2h or 1d), got end of line\n"},
    {"timeout set twice",
     "timeouts {\n udp 30s\n udp replied 10s\n udp stream 1m\n udp stream 2m\n}\n",
     "policy.conf:3:2: timeout for 'udp replied' is set twice (first at line 2)\n"
     "policy.conf:5:2: timeout for 'udp stream' is set twice (first at line 4)\n"},
    {"shorthand after a state", "timeouts {\n icmp replied 10s\n icmp 30s\n}\n",
     "policy.conf:3:2: timeout for 'icmp' is set twice (first at line 2)\n"},
    /* ---- rules: grammar ---- */
    {"misspelt rule verdict", "input alow in lan\n",
     "policy.conf:1:7: expected a verdict (accept, drop, reject), got 'alow'\n"},
    {"rule without a verdict", "forward\n",
     "policy.conf:1:8: expected a verdict (accept, drop, reject), got end of line\n"},
    {"unknown match with a suggestion", "forward accept dprt 22\n",
     "policy.conf:1:16: unknown match 'dprt' (did you mean 'dport'?)\n"},
    {"unknown match", "forward accept quickly\n",
     "policy.conf:1:16: expected a match (in, out, from, to, proto, sport, dport, family), log, "
     "limit, add, comment or end of line, got 'quickly'\n"},
    {"match twice", "input accept proto tcp proto udp\n",
     "policy.conf:1:24: 'proto' appears twice in this rule (first at column 14)\n"},
    {"in without a zone", "input accept in\n",
     "policy.conf:1:16: expected a zone name after 'in', got end of line\n"},
    {"bad zone name in a rule", "input accept in 9x\n",
     "policy.conf:1:17: invalid zone name '9x'\n"},
    {"from without an address", "input accept from\n",
     "policy.conf:1:18: expected an address, prefix, range, { list } or @set after 'from', got "
     "end of line\n"},
    {"bad address in a rule", "input accept to 10.1\n",
     "policy.conf:1:17: invalid address '10.1': expected an IPv4 or IPv6 address or prefix, "
     "like 192.0.2.1, 198.51.100.0/24 or 2001:db8::/32\n"},
    {"bad set name", "input accept from @\n", "policy.conf:1:19: invalid set name '@'\n"},
    {"unknown protocol with a suggestion", "input accept proto tpc\n",
     "policy.conf:1:20: unknown protocol 'tpc' (did you mean 'tcp'?)\n"},
    {"unknown protocol", "input accept proto gre\n",
     "policy.conf:1:20: expected a protocol (tcp, udp, icmp, icmpv6 or a number 0-255), got "
     "'gre'\n"},
    {"protocol number too big", "input accept proto 256\n",
     "policy.conf:1:20: protocol number 256 is out of range (0-255)\n"},
    {"port out of range", "input accept proto tcp dport 70000\n",
     "policy.conf:1:30: port 70000 is out of range (0-65535)\n"},
    {"port range end out of range", "input accept proto tcp dport 1-65536\n",
     "policy.conf:1:30: port 65536 is out of range (0-65535)\n"},
    {"reversed port range", "input accept proto tcp dport 2000-1000\n",
     "policy.conf:1:30: port range 2000-1000 is reversed (did you mean 1000-2000?)\n"},
    {"unknown service name", "input accept proto tcp sport shh\n",
     "policy.conf:1:30: unknown service 'shh' (did you mean 'ssh'?)\n"},
    {"unknown service name without a suggestion", "input accept dport { 22, nosuchservice }\n",
     "policy.conf:1:26: unknown service 'nosuchservice': expected a port 0-65535, a range N-M "
     "or a service name from /etc/services\n"},
    {"bad port", "input accept proto tcp sport 2x\n",
     "policy.conf:1:30: invalid port '2x': expected a number 0-65535 or a range N-M\n"},
    {"bad port range", "input accept proto tcp sport -5\n",
     "policy.conf:1:30: invalid port '-5': expected a number 0-65535 or a range N-M\n"},
    {"bad ports in a list, all reported", "input accept proto tcp dport { 1, x, 99999 }\n",
     "policy.conf:1:35: unknown service 'x': expected a port 0-65535, a range N-M or a service "
     "name from /etc/services\n"
     "policy.conf:1:38: port 99999 is out of range (0-65535)\n"},
    {"empty port list", "input accept proto tcp dport { }\n",
     "policy.conf:1:32: expected a port, got '}'\n"},
    {"dport without a value", "input accept proto tcp dport\n",
     "policy.conf:1:29: expected a port, a range N-M or { ... } after 'dport', got end of "
     "line\n"},
    {"family misspelt", "input accept family ipv6\n",
     "policy.conf:1:21: expected a family (ip, ip6), got 'ipv6' (did you mean 'ip6'?)\n"},
    {"family unknown", "input accept family inet\n",
     "policy.conf:1:21: expected a family (ip, ip6), got 'inet'\n"},
    {"limit zero", "input accept limit 0/second\n",
     "policy.conf:1:20: limit 0/second lets no connection through: use a rate of at least 1, "
     "or a drop rule\n"},
    {"limit too high", "input accept limit 1000001/second\n",
     "policy.conf:1:20: limit 1000001 is too high (at most 1000000)\n"},
    {"limit unit misspelt", "input accept limit 10/secnd\n",
     "policy.conf:1:20: unknown limit unit 'secnd' (did you mean 'second'?)\n"},
    {"limit unit unknown", "input accept limit 10/hour\n",
     "policy.conf:1:20: unknown limit unit 'hour': expected second or minute\n"},
    {"limit without a unit", "input accept limit 10\n",
     "policy.conf:1:22: expected '/second' or '/minute' after the limit's number, got end of "
     "line\n"},
    {"limit not a number", "input accept limit ten/second\n",
     "policy.conf:1:20: invalid limit 'ten': expected N/second or N/minute, like 10/second\n"},
    {"comment without a string", "input accept comment web\n",
     "policy.conf:1:22: expected a \"quoted text\" after 'comment', got 'web'\n"},
    {"log prefix without a string", "input accept log prefix ssh\n",
     "policy.conf:1:25: expected a \"quoted text\" after 'log prefix', got 'ssh'\n"},
    {"log prefix empty", "input accept log prefix \"\"\n",
     "policy.conf:1:25: log prefix \"\" is empty: give a text, or leave 'prefix' out\n"},
    {"log prefix with a tab", "input accept log prefix \"a\tb\"\n",
     "policy.conf:1:25: log prefix holds a control character (0x09): only printable "
     "characters are allowed\n"},
    {"log prefix not UTF-8", "input accept log prefix \"a\xff\"\n",
     "policy.conf:1:25: log prefix is not valid UTF-8: write the file in UTF-8\n"},
    {"log prefix cut UTF-8", "input accept log prefix \"a\xc3\"\n",
     "policy.conf:1:25: log prefix is not valid UTF-8: write the file in UTF-8\n"},
    {"prefix without log", "input accept prefix \"x\" log\n",
     "policy.conf:1:14: 'prefix' goes right after 'log': write log prefix \"TEXT\"\n"},
    {"log on a nat rule", "zone wan { wan0 }\nnat masquerade out wan log prefix \"x\"\n",
     "policy.conf:2:24: 'log' does not apply to nat rules\n"},
    {"log on invalid", "defaults { invalid drop log }\n",
     "policy.conf:1:25: 'invalid' takes no 'log': packets conntrack calls invalid are counted "
     "(ct_invalid in fwctl stats), not logged\n"},
    {"default log prefix without a string", "defaults {\n forward drop log prefix\n}\n",
     "policy.conf:2:25: expected a \"quoted text\" after 'log prefix', got end of line\n"},
    {"default with something after log", "defaults { forward drop log now }\n",
     "policy.conf:1:29: expected end of line after the entry, got 'now'\n"},
    /* ---- rules: checks ---- */
    {"unknown set with a suggestion",
     HEAD "\n\n\n\n\n\n\n\n\n\n\n\n\ninput   accept proto tcp dport 22 from @admin\n",
     "policy.conf:17:40: unknown set '@admin' (did you mean '@admins'?)\n"},
    {"unknown set", HEAD "input accept from @friends\n",
     "policy.conf:4:19: unknown set '@friends': declare it with 'set friends { ADDR, ... }'\n"},
    {"unknown zone with a suggestion", HEAD "\n\n\n\n\n\n\n\nforward accept in wann\n",
     "policy.conf:12:19: unknown zone 'wann' (did you mean 'wan'?)\n"},
    {"unknown zone", HEAD "forward accept out dmz\n",
     "policy.conf:4:20: unknown zone 'dmz': declare it with 'zone dmz { IFNAME }'\n"},
    {"out on an input rule", HEAD "input accept out lan\n",
     "policy.conf:4:18: 'out' does not apply to input rules: traffic to the gateway itself "
     "leaves by no interface\n"},
    {"in on an output rule", HEAD "output accept in lan\n",
     "policy.conf:4:18: 'in' does not apply to output rules: traffic the gateway sends arrives "
     "on no interface\n"},
    {"ports with icmp", HEAD "forward accept proto icmp dport 22\n",
     "policy.conf:4:33: 'dport' needs a protocol with ports (tcp or udp), but the rule says "
     "'proto icmp' (for ICMP, match the type: 'type echo-request')\n"},
    {"ports with gre", HEAD "forward accept sport 1 proto 47\n",
     "policy.conf:4:22: 'sport' needs a protocol with ports (tcp or udp), but the rule says "
     "'proto 47'\n"},
    {"IPv4 and IPv6 addresses", HEAD "forward accept from 10.0.0.1 to 2001:db8::1\n",
     "policy.conf:4:30: rule can never match: 'from 10.0.0.1' is IPv4 but 'to 2001:db8::1' is "
     "IPv6\n"},
    {"proto icmp with an IPv6 address", HEAD "input accept proto icmp from 2001:db8::/32\n",
     "policy.conf:4:14: rule can never match: 'from 2001:db8::/32' is IPv6 but 'proto icmp' is "
     "IPv4 (for IPv6 use 'proto icmpv6')\n"},
    {"proto icmpv6 with an IPv4 set",
     HEAD "set v4 { 10.0.0.0/8 }\ninput accept to @v4 proto icmpv6\n",
     "policy.conf:5:21: rule can never match: 'to @v4' is IPv4 but 'proto icmpv6' is IPv6 (for "
     "IPv4 use 'proto icmp')\n"},
    {"family against an address", HEAD "input accept family ip6 from 192.0.2.0/24\n",
     "policy.conf:4:25: rule can never match: 'family ip6' is IPv6 but 'from 192.0.2.0/24' is "
     "IPv4\n"},
    {"::/0 is IPv6", HEAD "input accept from ::/0 to 192.0.2.1\n",
     "policy.conf:4:24: rule can never match: 'from ::/0' is IPv6 but 'to 192.0.2.1' is IPv4\n"},
    /* ---- nat ---- */
    {"unknown nat type", HEAD "nat masqerade out wan\nnat redirect in wan\n",
     "policy.conf:4:5: unknown nat type 'masqerade' (did you mean 'masquerade'?)\n"
     "policy.conf:5:5: expected a nat type (masquerade, snat, dnat), got 'redirect'\n"},
    {"masquerade without out", HEAD "nat masquerade from 10.0.0.0/8\n",
     "policy.conf:4:1: nat masquerade needs 'out ZONE': the zone whose interfaces the "
     "connections leave by\n"},
    {"snat without out", HEAD "nat snat -> 198.51.100.1\n",
     "policy.conf:4:1: nat snat needs 'out ZONE': the zone whose interfaces the connections "
     "leave by\n"},
    {"dnat without in", HEAD "nat dnat proto tcp dport 80 -> 10.0.0.1:80\n",
     "policy.conf:4:1: nat dnat needs 'in ZONE': the zone whose incoming connections it "
     "redirects\n"},
    {"dnat with out", HEAD "nat dnat in wan out lan -> 10.0.0.1\n",
     "policy.conf:4:21: 'out' does not apply to nat dnat: it runs before routing picks the "
     "output interface\n"},
    {"snat without a target", HEAD "nat snat out wan\n",
     "policy.conf:4:17: nat snat needs a target at the end: '-> ADDR[-ADDR][:PORT[-PORT]]'\n"},
    {"dnat without a target", HEAD "nat dnat in wan proto tcp\n",
     "policy.conf:4:26: nat dnat needs a target at the end: '-> ADDR[:PORT]'\n"},
    {"masquerade with a target", HEAD "nat masquerade out wan -> 198.51.100.1\n",
     "policy.conf:4:24: masquerade takes no '->' target: it uses the output interface's own "
     "address (use snat for a fixed one)\n"},
    {"arrow on a filter rule", HEAD "forward accept -> 10.0.0.1\n",
     "policy.conf:4:16: '->' only follows nat snat or nat dnat rules\n"},
    {"arrow without a target", HEAD "nat dnat in wan ->\n",
     "policy.conf:4:19: expected an address after '->', like 10.10.1.2:80, got end of line\n"},
    {"matches after the target", HEAD "nat dnat in wan -> 10.0.0.1 proto tcp\n",
     "policy.conf:4:29: expected end of line after the NAT target, got 'proto'\n"},
    {"dnat to a range", HEAD "nat dnat in wan -> 10.0.0.1-10.0.0.5\n",
     "policy.conf:4:20: dnat takes one address, not a range: '10.0.0.1-10.0.0.5'\n"},
    {"dnat to a port range", HEAD "nat dnat in wan proto tcp -> 10.0.0.1:80-90\n",
     "policy.conf:4:30: dnat takes one port, not a range: '10.0.0.1:80-90'\n"},
    {"snat range mixing families", HEAD "nat snat out wan -> 10.0.0.1-2001:db8::1\n",
     "policy.conf:4:21: address range '10.0.0.1-2001:db8::1' mixes IPv4 and IPv6\n"},
    {"reversed snat range", HEAD "nat snat out wan -> 10.0.0.9-10.0.0.1\n",
     "policy.conf:4:21: address range '10.0.0.9-10.0.0.1' is reversed: write the lower address "
     "first\n"},
    {"snat to port 0", HEAD "nat snat out wan -> 10.0.0.1:0\n",
     "policy.conf:4:21: port 0 in '10.0.0.1:0' is not a port a connection can use (1-65535)\n"},
    {"bad nat target", HEAD "nat snat out wan -> gateway\n",
     "policy.conf:4:21: invalid NAT target 'gateway': expected ADDR[-ADDR][:PORT[-PORT]], like "
     "198.51.100.10-198.51.100.20:20000-60000 or [2001:db8::1]:80\n"},
    {"IPv6 target with a port, no brackets", HEAD "nat dnat in wan -> 2001:db8::1:80:x\n",
     "policy.conf:4:20: invalid NAT target '2001:db8::1:80:x': expected "
     "ADDR[-ADDR][:PORT[-PORT]], like 198.51.100.10-198.51.100.20:20000-60000 or "
     "[2001:db8::1]:80\n"},
    {"log on nat", HEAD "nat masquerade out wan log\n",
     "policy.conf:4:24: 'log' does not apply to nat rules\n"},
    {"nat target family against a match",
     HEAD "nat dnat in wan to 203.0.113.1 -> [2001:db8::5]:80\n",
     "policy.conf:4:35: NAT66 is not supported: the IPv6 target 2001:db8::5 would translate "
     "nothing; tcfw translates IPv4 only: use an IPv4 target, and let IPv6 through "
     "untranslated with forward rules\n"},
    {"nat snat to an IPv6 range", HEAD "nat snat out wan -> 2001:db8::1-2001:db8::9\n",
     "policy.conf:4:21: NAT66 is not supported: the IPv6 target 2001:db8::1 would translate "
     "nothing; tcfw translates IPv4 only: use an IPv4 target, and let IPv6 through "
     "untranslated with forward rules\n"},
    {"masquerade of IPv6 only", HEAD "nat masquerade out wan from 2001:db8:1::/48\n",
     "policy.conf:4:1: NAT66 is not supported: this masquerade matches IPv6 connections only "
     "and would translate nothing; tcfw translates IPv4 only: match IPv4 (an IPv4 'from', or "
     "'family ip'), and let IPv6 through with forward rules\n"},
    {"masquerade of icmpv6", HEAD "nat masquerade out wan proto icmpv6\n",
     "policy.conf:4:1: NAT66 is not supported: this masquerade matches IPv6 connections only "
     "and would translate nothing; tcfw translates IPv4 only: match IPv4 (an IPv4 'from', or "
     "'family ip'), and let IPv6 through with forward rules\n"},
    /* ---- vocabulary: lists, ranges, protocol lists, ICMP types ---- */
    {"address list the file ends in", "input accept from {",
     "policy.conf:1:20: missing '}' for the block opened at 1:19: the file ends inside it\n"},
    {"port list the file ends in", "input accept dport {",
     "policy.conf:1:21: missing '}' for the block opened at 1:20: the file ends inside it\n"},
    {"icmp type list the file ends in", "input accept proto icmp type {",
     "policy.conf:1:31: missing '}' for the block opened at 1:30: the file ends inside it\n"},
    {"address range reversed", HEAD "forward accept from 192.0.2.9-192.0.2.1\n",
     "policy.conf:4:21: address range '192.0.2.9-192.0.2.1' is reversed (did you mean "
     "192.0.2.1-192.0.2.9?)\n"},
    {"address range of two families", HEAD "forward accept to { 10.0.0.1-2001:db8::1 }\n",
     "policy.conf:4:21: address range '10.0.0.1-2001:db8::1' mixes IPv4 and IPv6: both ends "
     "must be of one family\n"},
    {"address range with a prefix", HEAD "forward accept to 10.0.0.0/8-10.1.0.0\n",
     "policy.conf:4:19: invalid address range '10.0.0.0/8-10.1.0.0': expected FIRST-LAST, two "
     "addresses without '/', like 192.0.2.1-192.0.2.9\n"},
    {"bad address in a list", HEAD "forward accept from { 10.0.0.0/8, 10.1 }\n",
     "policy.conf:4:35: invalid address '10.1': expected an IPv4 or IPv6 address or prefix, "
     "like 192.0.2.1, 198.51.100.0/24 or 2001:db8::/32\n"},
    {"set inside a list", HEAD "forward accept from { 10.0.0.0/8, @admins }\n",
     "policy.conf:4:35: a set cannot go inside { }: write '@admins' alone, or add the "
     "addresses of the list to the set\n"},
    {"host bits in a list", HEAD "forward accept from { 10.0.0.1/8 }\n",
     "policy.conf:4:23: '10.0.0.1/8' has host bits set (did you mean 10.0.0.0/8?)\n"},
    {"list of two families against icmp", HEAD "forward accept proto icmp to { 2001:db8::1 }\n",
     "policy.conf:4:16: rule can never match: 'to { 2001:db8::1 }' is IPv6 but 'proto icmp' "
     "is IPv4 (for IPv6 use 'proto icmpv6')\n"},
    {"unknown protocol in a list", HEAD "forward accept proto { tcp, upd }\n",
     "policy.conf:4:29: unknown protocol 'upd' (did you mean 'udp'?)\n"},
    {"dport with a protocol list that has icmp",
     HEAD "forward accept proto { tcp, icmp } dport 22\n",
     "policy.conf:4:42: 'dport' needs every protocol of the list to have ports (tcp or udp), "
     "but the list has 'icmp': write it as two rules\n"},
    {"protocol list of icmp and a v6 address",
     HEAD "forward accept proto { icmp, 1 } from 2001:db8::/32\n",
     "policy.conf:4:16: rule can never match: 'from 2001:db8::/32' is IPv6 but 'proto icmp' is "
     "IPv4 (for IPv6 use 'proto icmpv6')\n"},
    {"unknown icmp type", HEAD "input accept proto icmp type echo-requets\n",
     "policy.conf:4:30: unknown icmp type 'echo-requets' (did you mean 'echo-request'?)\n"},
    {"icmpv6 type on icmp", HEAD "input accept proto icmp type nd-neighbor-solicit\n",
     "policy.conf:4:30: 'nd-neighbor-solicit' is an icmpv6 type, not an icmp one (use 'proto "
     "icmpv6')\n"},
    {"icmp type out of range", HEAD "input accept proto icmp type { 8, 300 }\n",
     "policy.conf:4:35: icmp type 300 is out of range (0-255)\n"},
    {"icmp type range reversed", HEAD "input accept proto icmpv6 type 129-128\n",
     "policy.conf:4:32: icmpv6 type range 129-128 is reversed (did you mean 128-129?)\n"},
    {"type without icmp", HEAD "input accept proto tcp type echo-request\n",
     "policy.conf:4:24: 'type' follows 'proto icmp' or 'proto icmpv6' (one protocol, not a "
     "list): the type names differ\n"},
    {"type before proto", HEAD "input accept type echo-request proto icmp\n",
     "policy.conf:4:14: 'type' goes right after 'proto icmp' or 'proto icmpv6': write proto "
     "icmp type echo-request\n"},
    {"type on a nat rule", HEAD "nat masquerade out wan proto icmp type echo-request\n",
     "policy.conf:4:35: 'type' does not apply to nat rules: a nat rule matches ICMP by 'proto' "
     "only\n"},
    {"drop neighbour discovery",
     HEAD "input drop proto icmpv6 type { echo-request, nd-neighbor-solicit }\n",
     "policy.conf:4:25: a rule cannot drop icmpv6 type nd-neighbor-solicit (135): neighbour "
     "discovery and MLD are always passed (IPv6 does not work without them); remove the type "
     "from the rule\n"},
    {"reject MLD by number", HEAD "input reject proto icmpv6 type 130-132\n",
     "policy.conf:4:27: a rule cannot reject icmpv6 type mld-listener-query (130): neighbour "
     "discovery and MLD are always passed (IPv6 does not work without them); remove the type "
     "from the rule\n"},
};

/* Every case is checked and every mismatch printed before the test fails. */
static void test_error_cases(void **state)
{
	int failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct error_case *c = &cases[i];
		struct policy_diags d = {0};
		struct policy *p = policy_parse("policy.conf", c->text, strlen(c->text), &d);
		char *got = policy_diags_str(&d);

		if (p) {
			print_error("case '%s': the policy was accepted, expected:\n%s\n", c->what,
			            c->diags);
			policy_free(p);
			failed++;
		} else if (strcmp(got, c->diags) != 0) {
			print_error("case '%s':\nexpected:\n%sgot:\n%s\n", c->what, c->diags, got);
			failed++;
		}
		free(got);
		policy_diags_free(&d);
	}
	if (failed)
		fail_msg("%d of %zu error cases gave other messages than expected", failed,
		         sizeof(cases) / sizeof(cases[0]));
}

/* Many mistakes in one file: all of them, in order of place. */
static void test_all_errors_collected(void **state)
{
	static const char text[] = "zone lan { lan0 }\n"
				   "input accept in lam\n"
				   "defaults {\n"
				   "  input alow\n"
				   "  output drop\n"
				   "}\n"
				   "zone lan { lan1 }\n"
				   "forward accept proto tcp dport 99999\n"
				   "input accept from @nothing\n";
	static const char want[] =
	    "policy.conf:2:17: unknown zone 'lam' (did you mean 'lan'?)\n"
	    "policy.conf:4:9: expected a verdict (accept, drop, reject), got 'alow'\n"
	    "policy.conf:7:6: duplicate zone 'lan' (first declared at line 1)\n"
	    "policy.conf:8:32: port 99999 is out of range (0-65535)\n"
	    "policy.conf:9:19: unknown set '@nothing': declare it with 'set nothing { ADDR, ... "
	    "}'\n";
	struct policy_diags d = {0};
	char *got;

	(void)state;
	assert_null(policy_parse("policy.conf", text, strlen(text), &d));
	got = policy_diags_str(&d);
	if (strcmp(got, want) != 0)
		fail_msg("expected:\n%sgot:\n%s", want, got);
	free(got);
	policy_diags_free(&d);
}

static void test_too_many_zones(void **state)
{
	char text[4096];
	size_t len = 0;
	struct policy_diags d = {0};

	(void)state;
	for (int z = 0; z < 64; z++)
		len +=
		    (size_t)snprintf(text + len, sizeof(text) - len, "zone z%d { if%d }\n", z, z);
	assert_null(policy_parse("policy.conf", text, len, &d));
	assert_int_equal(d.n, 1);
	assert_int_equal(d.v[0].line, 64);
	assert_string_equal(d.v[0].msg, "too many zones: at most 63 (the datapath keeps a zone id "
	                                "in 6 bits, and 63 means 'no zone')");
	policy_diags_free(&d);
	/* 63 zones are fine. */
	len = 0;
	for (int z = 0; z < 63; z++)
		len +=
		    (size_t)snprintf(text + len, sizeof(text) - len, "zone z%d { if%d }\n", z, z);
	struct policy *p = policy_parse("policy.conf", text, len, &d);
	assert_non_null(p);
	assert_int_equal(policy_zone_of_ifname(p, "if62"), 62);
	policy_free(p);
}

static void test_long_comment(void **state)
{
	char text[400];
	struct policy_diags d = {0};

	(void)state;
	snprintf(text, sizeof(text), "input accept comment \"%0256d\"\n", 0);
	assert_null(policy_parse("policy.conf", text, strlen(text), &d));
	assert_int_equal(d.n, 1);
	assert_int_equal(d.v[0].col, 22);
	assert_string_equal(d.v[0].msg, "comment is 256 bytes long: at most 255");
	policy_diags_free(&d);
	snprintf(text, sizeof(text), "input accept comment \"%0255d\"\n", 0);
	struct policy *p = policy_parse("policy.conf", text, strlen(text), &d);
	assert_non_null(p);
	policy_free(p);
}

static void test_long_log_prefix(void **state)
{
	char text[400];
	struct policy_diags d = {0};
	struct policy *p;

	(void)state;
	snprintf(text, sizeof(text), "input accept log prefix \"%065d\"\n", 0);
	assert_null(policy_parse("policy.conf", text, strlen(text), &d));
	assert_int_equal(d.n, 1);
	assert_int_equal(d.v[0].col, 25);
	assert_string_equal(d.v[0].msg, "log prefix is 65 characters long: at most 64");
	policy_diags_free(&d);
	snprintf(text, sizeof(text), "input accept log prefix \"%064d\"\n", 0);
	p = policy_parse("policy.conf", text, strlen(text), &d);
	assert_non_null(p);
	policy_free(p);
	/* Characters, not bytes: 64 two-byte letters fit. */
	strcpy(text, "input accept log prefix \"");
	for (int i = 0; i < 64; i++)
		strcat(text, "\xc3\xa9");
	strcat(text, "\"\n");
	p = policy_parse("policy.conf", text, strlen(text), &d);
	assert_non_null(p);
	policy_free(p);
}

/* ---- run-time additions ----------------------------------------------------------------- */
static void test_rule_add_errors(void **state)
{
	static const struct {
		const char *line, *diags;
	} adds[] = {
	    {"forward accept in wann", "rule:1:19: unknown zone 'wann' (did you mean 'wan'?)\n"},
	    {"forward accept from @admin",
	     "rule:1:21: unknown set '@admin' (did you mean '@admins'?)\n"},
	    {"forward alow", "rule:1:9: expected a verdict (accept, drop, reject), got 'alow'\n"},
	    {"zone dmz { dmz0 }", "rule:1:1: 'zone' cannot be added at run time: only rules "
	                          "(input, forward, output, nat) can; change the policy file and "
	                          "reload it\n"},
	    {"", "rule: expected exactly one rule, got 0\n"},
	    {"input accept\ninput drop", "rule: expected exactly one rule, got 2\n"},
	    {"[4] input accept", "rule:1:5: an added rule gets a new id: leave out '[4]'\n"},
	    {"input accept out lan", "rule:1:18: 'out' does not apply to input rules: traffic to "
	                             "the gateway itself leaves by no interface\n"},
	};
	struct policy_diags d = {0};
	struct policy *p =
	    policy_parse("policy.conf", HEAD "input accept\n", strlen(HEAD) + 13, &d);
	char *before, *after;

	(void)state;
	assert_non_null(p);
	before = policy_format(p, NULL, 0);
	for (size_t i = 0; i < sizeof(adds) / sizeof(adds[0]); i++) {
		char *got;

		assert_int_equal(policy_rule_add(p, adds[i].line, &d), -1);
		got = policy_diags_str(&d);
		if (strcmp(got, adds[i].diags) != 0)
			fail_msg("adding '%s':\nexpected:\n%sgot:\n%s", adds[i].line, adds[i].diags,
			         got);
		free(got);
		policy_diags_free(&d);
	}
	/* Nothing changed, and the next good rule still gets id 2. */
	after = policy_format(p, NULL, 0);
	assert_string_equal(before, after);
	assert_int_equal(policy_rule_add(p, "input drop", &d), 2);
	assert_int_equal(d.n, 0);
	assert_int_equal(policy_rule_del(p, 99), -1);
	free(before);
	free(after);
	policy_free(p);
}

/* The highest id taken: nothing more can be added until the policy is renumbered. */
static void test_rule_add_no_id_left(void **state)
{
	struct policy_diags d = {0};
	struct policy *p = policy_parse("policy.conf", "[2147483647] input accept\n", 26, &d);
	char *got;

	(void)state;
	assert_non_null(p);
	assert_int_equal(policy_rule_add(p, "input drop", &d), -1);
	got = policy_diags_str(&d);
	assert_string_equal(got, "rule: no rule id left: reload the policy to renumber\n");
	assert_int_equal(policy_rule_count(p), 1);
	free(got);
	policy_diags_free(&d);
	policy_free(p);
}

/* ---- the diagnostics API ---------------------------------------------------------------- */
/* A 10 MB word wherever the grammar puts a word: each diagnostic stays one short line, with its
 * place, the start of the word and its length. */
static void test_huge_words(void **state)
{
	static const struct {
		const char *what, *before, *after;
		const char *want; /* the diagnostic up to the quoted word */
		char fill;
	} huge[] = {
	    {"a statement", "", "\n", "policy.conf:2:1: unknown keyword 'aaaa", 'a'},
	    {"a match word", "input accept ", "\n",
	     "policy.conf:2:14: expected a match (in, out, from, to, proto, sport, dport, family), "
	     "log, limit, add, comment or end of line, got 'mmmm",
	     'm'},
	    {"an address", "input accept from ", "\n", "policy.conf:2:19: invalid address 'zzzz",
	     'z'},
	    {"a zone name", "input accept in ", "\n", "policy.conf:2:17: invalid zone name 'llll",
	     'l'},
	    {"a port", "input accept proto tcp dport ", "\n",
	     "policy.conf:2:30: unknown service 'pppp", 'p'},
	    {"a port number", "input accept proto tcp dport ", "\n",
	     "policy.conf:2:30: port number of 10485760 digits is out of range (0-65535)", '9'},
	    {"a protocol number", "input accept proto ", "\n",
	     "policy.conf:2:20: protocol number of 10485760 digits is out of range (0-255)", '7'},
	    {"a verdict", "input ", "\n",
	     "policy.conf:2:7: expected a verdict (accept, drop, "
	     "reject), got 'vvvv",
	     'v'},
	    {"a duration", "timeouts { tcp established ", " }\n",
	     "policy.conf:2:28: invalid duration 'dddd", 'd'},
	};
	const size_t word = 10u << 20;

	(void)state;
	for (size_t i = 0; i < sizeof(huge) / sizeof(huge[0]); i++) {
		size_t lb = strlen(huge[i].before), la = strlen(huge[i].after);
		const char *head = "zone lan { lan0 }\n";
		size_t lh = strlen(head), len = lh + lb + word + la;
		char *text = malloc(len + 1), *got;
		struct policy_diags d = {0};
		size_t glen;

		assert_non_null(text);
		memcpy(text, head, lh);
		memcpy(text + lh, huge[i].before, lb);
		memset(text + lh + lb, huge[i].fill, word);
		memcpy(text + lh + lb + word, huge[i].after, la + 1);
		assert_null(policy_parse("policy.conf", text, len, &d));
		got = policy_diags_str(&d);
		glen = strlen(got);
		if (glen >= 300 || !strchr(got, '\n') || strchr(got, '\n') != got + glen - 1)
			fail_msg(
			    "%s of 10 MB: expected one diagnostic line under 300 bytes, got %zu "
			    "bytes: %.400s",
			    huge[i].what, glen, got);
		if (strncmp(got, huge[i].want, strlen(huge[i].want)) != 0)
			fail_msg("%s of 10 MB: expected a line starting \"%s\", got \"%s\"",
			         huge[i].what, huge[i].want, got);
		if (huge[i].fill < '0' || huge[i].fill > '9') {
			char tail[64];

			snprintf(tail, sizeof(tail), "…' (%zu bytes)", word);
			if (!strstr(got, tail))
				fail_msg(
				    "%s of 10 MB: the line should end the quote with \"%s\": %s",
				    huge[i].what, tail, got);
		}
		free(got);
		free(text);
		policy_diags_free(&d);
	}
}

static void test_diags_api(void **state)
{
	struct policy_diags d = {0};
	char buf[512] = {0};
	FILE *f;
	char *s;

	(void)state;
	assert_null(policy_parse("a.conf", "input alow\nzone x y\n", 20, &d));
	assert_null(policy_parse_file("/nonexistent/tcfw/policy.conf", &d));
	assert_int_equal(d.n, 3);
	s = policy_diags_str(&d);
	assert_string_equal(
	    s, "a.conf:1:7: expected a verdict (accept, drop, reject), got 'alow'\n"
	       "a.conf:2:8: expected '{' and the zone's interfaces after the zone name, got "
	       "'y'\n"
	       "/nonexistent/tcfw/policy.conf: cannot open the policy: No such file or "
	       "directory\n");
	f = fmemopen(buf, sizeof(buf), "w");
	assert_non_null(f);
	policy_diags_print(&d, f);
	fclose(f);
	assert_string_equal(buf, s);
	free(s);
	policy_diags_free(&d);
	assert_int_equal(d.n, 0);
	assert_null(d.v);
	s = policy_diags_str(&d);
	assert_string_equal(s, "");
	free(s);
	policy_diags_free(&d); /* twice is fine */
	/* A NULL diags pointer is allowed: the caller only wants the verdict. */
	assert_null(policy_parse("a.conf", "input alow\n", 11, NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_error_cases),         cmocka_unit_test(test_all_errors_collected),
	    cmocka_unit_test(test_too_many_zones),      cmocka_unit_test(test_long_comment),
	    cmocka_unit_test(test_long_log_prefix),     cmocka_unit_test(test_rule_add_errors),
	    cmocka_unit_test(test_rule_add_no_id_left), cmocka_unit_test(test_diags_api),
	    cmocka_unit_test(test_huge_words),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
