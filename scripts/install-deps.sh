#!/usr/bin/env bash
# Install every build and test dependency of tcfw from Debian's packages. Idempotent: when all
# packages are present it only checks, and it mounts bpffs if the system has not.
set -euo pipefail

PACKAGES=(
	# build
	make gcc clang llvm pkg-config bpftool libbpf-dev libelf-dev zlib1g-dev
	libmnl-dev libnl-3-dev libnl-route-3-dev libjson-c-dev libmicrohttpd-dev clang-format
	# service: sd_notify (libsystemd), man pages from docs/*.md (lowdown), their check (man-db),
	# the unit's check (systemd-analyze); /etc/services for service names in policies (netbase)
	libsystemd-dev lowdown man-db systemd netbase
	# tests (shellcheck: tests/run-all.sh lint)
	shellcheck libcmocka-dev libclang-rt-14-dev iproute2 iperf3 netcat-openbsd iputils-ping iputils-tracepath curl
	python3 python3-prometheus-client jq procps ethtool hping3 nmap passwd util-linux
	# the gateway pair's failover test (tests/e2e/test_ha_failover.sh)
	keepalived
	# bench
	nftables wrk nginx-light gnuplot-nox
)

missing=()
for p in "${PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "install-deps: missing packages: ${missing[*]}; run as root (or: sudo $0)" >&2
		exit 1
	fi
	echo "install-deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	# nginx-light starts a service on install on some systems; the bench runs its own.
	systemctl disable --now nginx >/dev/null 2>&1 || true
fi

if ! mountpoint -q /sys/fs/bpf 2>/dev/null && [ "$(id -u)" -eq 0 ]; then
	mount -t bpf bpf /sys/fs/bpf
fi
