#!/usr/bin/env bash
# Guest test layer: boot the rv6 kernel, load every module (KUnit runs at
# insmod), run the selftests, unload; then judge the console: every KUnit
# suite in the tree must have run and passed, and the kernel must not have
# reported a bug (oops, WARN, KASAN, UBSAN, lockdep, kmemleak).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"
out=$BUILD/check; mkdir -p "$out" "$BUILD/logs"
release=$(cat "$KOBJ/include/config/kernel.release")
tools=$top/tools/target/release
tag=guest${VARIANT}
log=$BUILD/logs/$tag.log

# Every #[kunit_tests(NAME)] in rv6's sources must show up in the console.
mapfile -t suites < <(grep -rhoE 'kunit_tests\([a-z0-9_]+\)' "$top"/rust "$top"/samples \
  "$top"/crypto "$top"/net 2>/dev/null | sed 's/kunit_tests(\(.*\))/\1/' | sort -u)
expect=(); for s in "${suites[@]}"; do expect+=(--expect "$s"); done

say "booting $(basename "$KOBJ") ($release), ${#suites[@]} KUnit suite(s) expected; console: $log"
set +e
RV6_OUT=$out RV6_MODULES=$MODOUT RV6_SRC=$SRC RV6_SELFTESTS=${RV6_SELFTESTS:-} \
  "$tools/rv6-vm" --kernel "$KOBJ/arch/x86/boot/bzImage" --moddir "$KOBJ/modroot/lib/modules/$release" --rw "$out" \
  --log "$log" --timeout "${RV6_GUEST_TIMEOUT:-1500}" --append "kunit.filter_glob=rv6*" \
  -- "$top/tools/testing/guest-check.sh"
vm_rc=$?
"$tools/rv6-ktap" --kernel-only "${expect[@]}" --counts "$out/$tag-kunit.counts" "$log"
kunit_rc=$?
echo
"$tools/rv6-ktap" --counts "$out/$tag-selftests.counts" "$out/selftests.ktap"
self_rc=$?
set -e
[ $vm_rc = 0 ] || say "guest run failed (rv6-vm exit $vm_rc)"
[ $vm_rc = 0 ] && [ $kunit_rc = 0 ] && [ $self_rc = 0 ]
