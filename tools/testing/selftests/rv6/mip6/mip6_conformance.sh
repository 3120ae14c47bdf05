#!/bin/bash
# rv6_mip6 conformance: the Mobile IPv6 suite of tools/testing/conformance/
# (Tester Node with scapy, TAHI-style test IDs) against rv6_mip6 and, for
# parity, against the kernel's own mip6.ko in the same run.  The per-ID table
# is printed as KTAP comments; each test and implementation is one result.
. "$(dirname "$0")/../lib.sh"
conf=$top/tools/testing/conformance

echo "KTAP version 1"
/usr/bin/python3 "$conf/conformance.py" mip6 --json "${RV6_OUT:-/tmp}/mip6_conformance.json"
rc=$?
# Leave rv6_mip6 loaded, as guest-check's unload step expects.
grep -q "^mip6 " /proc/modules && rmmod mip6
ensure_module rv6_mip6
exit $rc
