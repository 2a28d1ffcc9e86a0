#!/usr/bin/env bash
# test_install.sh - `make install` into a temporary DESTDIR puts exactly the expected files
# there, with their modes and the unit's paths filled in; the unit passes systemd-analyze
# verify (when systemd is installed); the installed fwctl checks the installed policy; the
# bash completion completes from the installed fwctl; a second install keeps an edited
# policy; `make uninstall` leaves no file behind but an edited policy. No root needed.
# shellcheck disable=SC2015 # "A && ok ... || fail ...": ok never fails
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
dest=$(mktemp -d /tmp/tcfw-install-$$-XXXX.d) # run-all.sh sweeps it by the PID if killed
trap 'rm -rf "$dest"' EXIT
prefix=/usr/local
failed=0

step() { printf '\n[install] %s\n' "$*"; }
ok() { printf '  ok: %s\n' "$*"; }
fail() {
	printf 'FAIL: %s\n' "$*"
	failed=1
}
die() {
	printf 'FAIL: %s\n' "$*"
	exit 1
}
mk() { make -C "$root" --no-print-directory "$@" PREFIX="$prefix" DESTDIR="$dest"; }
files() { (cd "$dest" && find . -type f | sed 's|^\./|/|' | sort); }

step "make install PREFIX=$prefix DESTDIR=$dest"
mk install || die "make install failed"
expected="/etc/tcfw/policy.conf
$prefix/bin/fwctl
$prefix/lib/systemd/system/tcfw.service
$prefix/sbin/fwd
$prefix/share/bash-completion/completions/fwctl
$prefix/share/man/man5/tcfw.policy.5
$prefix/share/man/man8/fwctl.8
$prefix/share/man/man8/fwd.8"
got=$(files)
if [ "$got" = "$expected" ]; then
	ok "the tree holds exactly the $(wc -l <<<"$got") expected files"
else
	fail "installed files differ from the expected list:"
	diff <(printf '%s\n' "$expected") <(printf '%s\n' "$got") | sed 's/^/    /' || true
fi
for f in "$prefix/sbin/fwd:755" "$prefix/bin/fwctl:755" "$prefix/lib/systemd/system/tcfw.service:644" \
	"/etc/tcfw/policy.conf:644" "$prefix/share/man/man8/fwd.8:644"; do
	mode=$(stat -c %a "$dest${f%:*}")
	[ "$mode" = "${f##*:}" ] && ok "${f%:*} mode $mode" || fail "${f%:*}: mode $mode, expected ${f##*:}"
done

step "the unit: paths filled in, systemd-analyze verify"
unit=$dest$prefix/lib/systemd/system/tcfw.service
! grep -n '@[A-Z]*@' "$unit" || fail "tcfw.service still has placeholders (above)"
grep -qx "ExecStart=$prefix/sbin/fwd -c /etc/tcfw/policy.conf --keep" "$unit" &&
	ok "ExecStart=$prefix/sbin/fwd -c /etc/tcfw/policy.conf --keep" || fail "ExecStart is not $prefix/sbin/fwd ..."
grep -qx "ExecReload=$prefix/bin/fwctl policy load /etc/tcfw/policy.conf" "$unit" &&
	ok "ExecReload=$prefix/bin/fwctl policy load ..." || fail "ExecReload is not $prefix/bin/fwctl policy load ..."
if command -v systemd-analyze >/dev/null; then
	# verify checks that the commands exist and that `man` finds the Documentation= pages:
	# a copy that points into DESTDIR, with MANPATH there too.
	mkdir -p "$dest/verify"
	sed "s|=$prefix/|=$dest$prefix/|" "$unit" >"$dest/verify/tcfw.service"
	if out=$(MANPATH=$dest$prefix/share/man systemd-analyze verify "$dest/verify/tcfw.service" 2>&1); then
		ok "systemd-analyze verify: no complaint"
	else
		fail "systemd-analyze verify tcfw.service:"
		printf '%s\n' "$out" | sed 's/^/    /'
	fi
	rm -rf "$dest/verify"
else
	echo "  SKIP systemd-analyze verify: systemd-analyze is missing (package systemd)"
fi

step "the installed fwctl checks the installed policy; man finds the pages"
out=$("$dest$prefix/bin/fwctl" policy check "$dest/etc/tcfw/policy.conf" 2>&1) ||
	fail "fwctl policy check of the example policy: $out"
ok "$out"
for page in fwd fwctl tcfw.policy; do
	MANPATH=$dest$prefix/share/man man -w "$page" >/dev/null 2>&1 && ok "man -w $page" ||
		fail "man does not find $page in $dest$prefix/share/man"
done

step "bash completion, from the installed file and fwctl"
# complete WORDS... EXPECTED-WORD: the completion of the last word offers EXPECTED-WORD.
complete_has() {
	local want=${*: -1} reply
	reply=$(PATH="$dest$prefix/bin:$PATH" bash -c '
		source "$1"; shift
		COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _fwctl
		printf "%s\n" "${COMPREPLY[@]}"' _ "$dest$prefix/share/bash-completion/completions/fwctl" "${@:1:$#-1}")
	if grep -qx -- "$want" <<<"$reply"; then
		ok "completing '${*:1:$#-1}' offers $want"
	else
		fail "completing '${*:1:$#-1}': expected '$want' among: $(tr '\n' ' ' <<<"$reply")"
	fi
}
complete_has fwctl "" status
complete_has fwctl "" policy
complete_has fwctl c ct
complete_has fwctl ct "" count
complete_has fwctl -j ct l list
complete_has fwctl ct list "" proto
complete_has fwctl ct list sp sport
complete_has fwctl ct list proto "" icmpv6
complete_has fwctl ct list state est established
complete_has fwctl nat list family "" ip6
complete_has fwctl policy load --f --force
complete_has fwctl rule add "" forward
complete_has fwctl rule add forward accept "" dport
complete_has fwctl --so --socket
# Every command of the table is offered: nothing hard-coded that could lag behind.
while read -r _ group sub; do
	if [ -n "$sub" ]; then complete_has fwctl "$group" "" "$sub"; else complete_has fwctl "" "$group"; fi
done < <("$dest$prefix/bin/fwctl" --complete-words | grep '^command ')

step "a second install keeps an edited policy"
echo "# edited" >>"$dest/etc/tcfw/policy.conf"
mk install >/dev/null || die "second make install failed"
tail -n 1 "$dest/etc/tcfw/policy.conf" | grep -qx '# edited' && ok "edited policy.conf kept" ||
	fail "make install overwrote an edited /etc/tcfw/policy.conf"

step "make uninstall"
mk uninstall >/dev/null || die "make uninstall failed"
got=$(files)
[ "$got" = /etc/tcfw/policy.conf ] && ok "only the edited policy.conf is left" ||
	fail "after uninstall with an edited policy, expected only /etc/tcfw/policy.conf, found: $got"
cp "$root/dist/policy.conf" "$dest/etc/tcfw/policy.conf"
mk install >/dev/null && mk uninstall >/dev/null || die "install + uninstall failed"
got=$(files)
[ -z "$got" ] && ok "nothing left after uninstalling an unedited install" ||
	fail "files left after make uninstall: $got"
[ ! -e "$dest/etc/tcfw" ] && ok "/etc/tcfw removed" || fail "/etc/tcfw left behind"

exit $failed
