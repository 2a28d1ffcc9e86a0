# shellcheck shell=bash
# topo.sh - the path end-to-end tests source for the namespace topology: the kit's own is
# tests/lib/topo.sh (shared with the demo and the bench), every name of it stays as it was.
# shellcheck source=tests/lib/topo.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/topo.sh"
