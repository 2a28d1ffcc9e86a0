#!/bin/sh
# tcfw-notify.sh - keepalived's notify script for a tcfw gateway pair: hands every transition
# of the vrrp_sync_group to fwd (`fwctl ha master|backup|fault`), which decides from it how
# it treats the connections its peer replicates (docs/ha.md).
#
# keepalived.conf:
#   vrrp_sync_group GW {
#       group { LAN WAN }
#       notify "/usr/local/share/tcfw/tcfw-notify.sh"
#   }
# keepalived appends: TYPE (GROUP or INSTANCE) NAME STATE PRIORITY. Options before those:
#   --socket PATH   fwd's control socket (default: fwctl's, /run/tcfw/fwd.sock)
#   --fwctl PATH    the fwctl to run (default: fwctl from PATH)
# Exit status: fwctl's (keepalived only logs it).
set -u
FWCTL=fwctl
SOCKET=
while [ $# -gt 0 ]; do
	case $1 in
	--socket) SOCKET=$2; shift 2 ;;
	--fwctl) FWCTL=$2; shift 2 ;;
	*) break ;;
	esac
done
if [ $# -lt 3 ]; then
	echo "tcfw-notify.sh: expected TYPE NAME STATE [PRIORITY] (from keepalived's notify)" >&2
	exit 2
fi
case $3 in
MASTER) role=master ;;
BACKUP) role=backup ;;
FAULT) role=fault ;;
STOP) role=backup ;; # keepalived stopping: this node no longer forwards
*)
	echo "tcfw-notify.sh: unknown state '$3'" >&2
	exit 2
	;;
esac
exec "$FWCTL" ${SOCKET:+--socket "$SOCKET"} ha "$role"
