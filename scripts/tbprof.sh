#!/usr/bin/env bash
# An exact instruction profile of one benchmark run, by kernel function: a
# bench guest script runs one measured step between two sync(2) calls under
# QEMU with tools/testing/bench/tbprof.c, which counts every instruction
# executed in that window at each translation block; tbprof.py sums them per
# symbol (user space as one line) and divides by the units the step did.  For
# finding where a bench ratio goes, not a test: nothing here judges.
#
#   scripts/tbprof.sh MODE [TOP]            the Shim6 flood of MODE (bare, plain,
#                                           ulids, shim6), per datagram
#   scripts/tbprof.sh xfrm WAY:N[:nosa] [TOP]  the XFRM MIGRATE bench's move of N
#                                           policies (WAY bulk or messages), per policy
#   scripts/tbprof.sh guard MODE [TOP]      the rv6_guard flood of MODE (bare, guard,
#                                           bare-ro, guard-ro), per datagram
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"
mode=${1:?usage: tbprof.sh bare|plain|ulids|shim6 [TOP] | tbprof.sh xfrm WAY:N[:nosa] [TOP] | tbprof.sh guard MODE [TOP]}
bench=shim6
case $mode in
xfrm) bench=xfrm; mode=${2:?tbprof.sh xfrm WAY:N[:nosa]}; shift ;;
guard) bench=guard; mode=${2:?tbprof.sh guard bare|guard|bare-ro|guard-ro}; shift ;;
esac
"$top/scripts/kernel.sh" >/dev/null
"$top/scripts/modules.sh" >/dev/null
"$top/scripts/tools.sh" >/dev/null
out=$BUILD/tbprof/$bench-${mode//:/-}; mkdir -p "$out" "$BUILD/logs"
so=$BUILD/tbprof/tbprof.so
gcc -O2 -shared -fPIC -Wall -Werror -o "$so" "$top/tools/testing/bench/tbprof.c" -lpthread
# The window's marks: sync(2) enters __x64_sys_sync() (a call from the syscall
# switch; ksys_sync() is inlined into it).  The kernel boots without KASLR.
mark=$(awk '$3 == "__x64_sys_sync" { print $1 }' "$KOBJ/System.map")
[ -n "$mark" ] || die "no __x64_sys_sync in $KOBJ/System.map"
RV6_QEMU_ARGS="-plugin $so,out=$out/blocks.txt,mark=0x$mark" RV6_PROFILE=$mode \
  RV6_OUT=$out RV6_MODULES=$MODOUT RV6_SRC=$SRC "$TOOLS/rv6-vm" \
  --kernel "$KOBJ/arch/x86/boot/bzImage" --moddir "$KOBJ/modroot/lib/modules/$(krelease)" \
  --rw "$out" --log "$BUILD/logs/tbprof-$bench.log" --cpus 1 --icount --timeout 1800 \
  --append "kunit.filter_glob=none nokaslr" -- "$top/tools/testing/bench/${bench}_bench.sh" >/dev/null
if [ $bench = shim6 ] || [ $bench = guard ]; then
  n=$(awk -v k=$bench-sent '$1 == k { print $2 }' "$out/${bench}_bench.txt")
else
  n=$(awk '$1 == "xfrm-profile" { print $3 }' "$out/xfrm_bench.txt")
fi
python3 "$top/tools/testing/bench/tbprof.py" "$out/blocks.txt" "$out/kallsyms" \
  --per "$n" --top "${2:-45}"
