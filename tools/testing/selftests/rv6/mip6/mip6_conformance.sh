#!/bin/bash
# rv6_mip6 conformance: the Mobile IPv6 suite of tools/testing/conformance/
# (Tester Node with scapy, TAHI-style test IDs) against rv6_mip6 and, for
# parity, against the kernel's own mip6.ko in the same run.  The per-ID table
# is printed as KTAP comments; each test and implementation is one result.
#
# RV6_QUICK=1 (the debug kernel's smoke run): every test ID against rv6_mip6
# only, and FZ-1-1-1 with a few hundred packets (the suite caps RV6_FUZZ_N
# at QUICK_FUZZ_N).
. "$(dirname "$0")/../lib.sh"
conf=$top/tools/testing/conformance

echo "KTAP version 1"
args=()
if [ "${RV6_QUICK:-0}" = 1 ]; then
  args=(--impl rv6)
  echo "# mode: quick (RV6_QUICK=1): rv6_mip6 only, every test ID, FZ-1-1-1 with a few hundred packets (QUICK_FUZZ_N)"
else
  echo "# mode: full: rv6_mip6 and mip6.ko, every test ID, FZ-1-1-1 with RV6_FUZZ_N=${RV6_FUZZ_N:-10000} packets"
fi
/usr/bin/python3 "$conf/conformance.py" mip6 "${args[@]}" --json "${RV6_OUT:-/tmp}/mip6_conformance.json"
rc=$?
# Leave rv6_mip6 loaded, as guest-check's unload step expects.
grep -q "^mip6 " /proc/modules && rmmod mip6
ensure_module rv6_mip6
exit $rc
