#!/bin/bash
# The guest half of `make run`: load every rv6 module and show each at work.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
mods=${RV6_MODULES:?}
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

step "rv6 guest: $(uname -sr), $(nproc) CPUs"
for ko in $(find "$mods" -name '*.ko' | sort); do
  run insmod "$ko"
done
run sh -c "lsmod | grep '^rv6'"

step "rv6_nf_count: IPv6 packets per netfilter hook, per namespace"
echo "Three namespaces: a -- r -- b over veth; r forwards between 2001:db8:1::/64 and 2001:db8:2::/64."
. "$top/tools/testing/selftests/rv6/lib.sh" 2>/dev/null || true
chain_setup
trap chain_cleanup EXIT
run ip netns exec a ping -c 3 -i 0.2 2001:db8:2::2
for n in a r b; do
  echo "--- counters of namespace $n (/sys/kernel/debug/rv6_nf_count/$(netns_inum "$n")):"
  cat "/sys/kernel/debug/rv6_nf_count/$(netns_inum "$n")"
done
echo "a and b saw 3 echo requests and 3 replies at their local hooks; r forwarded all 6."

step "unloading"
for m in $(lsmod | awk '/^rv6/ {print $1}'); do run rmmod "$m"; done
echo "done."
