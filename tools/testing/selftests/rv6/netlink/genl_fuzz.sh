#!/bin/bash
# Every rv6 generic netlink family (one spec per family in
# Documentation/netlink/specs, named after its module) gets RV6_FUZZ_N random
# and mutated requests (genl_fuzz.py: random ops and flags, truncated and
# stale headers, nests of garbage) and must answer every parsable one; then
# each family still answers a valid request (a dump, or a do, without attributes).  The runner fails the run on any
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

# One valid request per family, made by the fuzzer through YNL afterwards.
for s in "${specs[@]}"; do
  name=$(awk '/^name:/ {print $2; exit}' "$s")
  line=$(grep "^valid $name " <<<"$out")
  read -r _ _ op kind entries <<<"$line"
  check "$name answers a valid $kind ($op) afterwards" yes \
    "$( [ "${entries:-x}" -ge 0 ] 2>/dev/null && echo yes || echo "no: ${line:-no answer}")"
done
ktap_finished
