#!/bin/bash
# Every rv6 generic netlink family (one spec per family in
# Documentation/netlink/specs, named after its module) gets RV6_FUZZ_N random
# and mutated requests (genl_fuzz.py: random ops and flags, truncated and
# stale headers, nests of garbage) and must answer every parsable one; then
# each family still answers a valid dump.  The runner fails the run on any
# kernel report (KASAN, UBSAN, lockdep, WARN, kmemleak on the debug kernel).
. "$(dirname "$0")/../lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
n=${RV6_FUZZ_N:-10000}; quick && n=1000
mapfile -t specs < <(ls "$top"/Documentation/netlink/specs/*.yaml)

ktap_print_header
ktap_set_plan $(( 1 + ${#specs[@]} ))
for s in "${specs[@]}"; do
  m=$(basename "$s" .yaml)
  ensure_module "$m" || ktap_exit_fail_msg "cannot load $m"
done

out=$(python3 "$here/genl_fuzz.py" "$n" "${specs[@]}" 2>&1); rc=$?
echo "$out" | sed 's/^/# /'
check "$n random and mutated requests, every parsable one answered" 0 "$rc"

for s in "${specs[@]}"; do
  m=$(basename "$s" .yaml)
  op=$(python3 -c 'import sys, yaml
for op in yaml.safe_load(open(sys.argv[1]))["operations"]["list"]:
    if "dump" in op: print(op["name"]); break' "$s")
  got=$(ynl "$m" --dump "$op" | jq 'length' 2>&1)
  check "$m answers a valid dump ($op) afterwards" yes "$( [ "${got:-0}" -gt 0 ] 2>/dev/null && echo yes || echo "no: $got")"
done
ktap_finished
