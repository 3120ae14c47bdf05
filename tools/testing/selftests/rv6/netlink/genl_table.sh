#!/bin/bash
# rv6_genl_test (samples/rust): the generic netlink abstraction's test family,
# a table per network namespace, driven from its spec by the kernel's YNL
# library (genl_table.py, one Python process): every attribute round-trips,
# repeated nests (locators) included,
# notifications reach the listeners of the changed namespace only (YNL's and
# `rv6 monitor`'s), bad
# requests get the errno and extack text, a dump of 10^4 entries (10^3 in the
# quick subset) returns each exactly once over many rounds, a table changed
# mid-dump flags NLM_F_DUMP_INTR, and rmmod is refused while a dump is open
# and allowed with a listener subscribed.  Then the permissions: write ops
# need CAP_NET_ADMIN over the namespace (a user namespace's root may change
# the namespace it owns, nothing else).
. "$(dirname "$0")/../lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
n=${RV6_TABLE_N:-10000}; quick && n=1000

ktap_print_header
plan 34 31
ensure_module rv6_genl_test || ktap_exit_fail_msg "cannot load rv6_genl_test"
cleanup() { ip netns del ta 2>/dev/null; ip netns del tb 2>/dev/null; }
trap cleanup EXIT
ip netns add ta; ip netns add tb

out=$(python3 "$here/genl_table.py" "$n" ta tb "$(rv6_ko rv6_genl_test)" 2>&1); rc=$?
while IFS=$'\t' read -r tag what want got; do
  if [ "$tag" = CHECK ]; then check "$what" "$want" "$got"; else ktap_print_msg "$tag $what $want $got"; fi
done <<<"$out"
check "genl_table.py ran to the end" 0 "$rc"

if ! quick; then
  # has TEXT PATTERN: yes if TEXT matches the grep PATTERN, else what it was.
  has() { grep -q "$2" <<<"$1" && echo yes || echo "no: $1"; }
  yn="$(declare -f ynl); top=$top RV6_SRC=$RV6_SRC ynl rv6_genl_test"
  out=$(ip netns exec ta unshare -U --map-root-user bash -c "$yn --do entry-add --json '{\"key\": 9}'" 2>&1)
  check "root of a user namespace: entry-add in a namespace it does not own is EPERM" yes \
    "$(has "$out" "Operation not permitted")"
  out=$(ip netns exec ta unshare -U --map-root-user bash -c "$yn --dump entry-get" 2>&1)
  check "... while reading is allowed" 0 "$(jq length <<<"$out" 2>&1 | head -c 300)"
  out=$(unshare -U -n --map-root-user bash -c "$yn --do entry-add --json '{\"key\": 9}' && $yn --dump entry-get" 2>&1)
  check "root of a user namespace: entry-add in the network namespace it owns works" 9 \
    "$(jq -r '.[0].key' <<<"$(tail -n 1 <<<"$out")" 2>&1 || echo "$out")"
fi
ktap_finished
