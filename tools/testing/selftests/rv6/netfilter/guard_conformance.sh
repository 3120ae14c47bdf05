#!/bin/bash
# rv6_guard conformance: the guard suite of tools/testing/conformance/ (Tester
# Node with scapy, TAHI-style test IDs): every invalid address at every place,
# TCP from ::, the header chain limits with RFC 8883's errors (decoded by
# tshark), legitimate traffic untouched, and hostile packets, each checked
# against the guard's per-rule counters read through its generic netlink
# family.  The per-ID table is printed as KTAP comments.
#
# RV6_QUICK=1 (the debug kernel's smoke run): every test ID, GD-FZ-1-1 with a
# few hundred packets (the suite caps RV6_FUZZ_N at QUICK_FUZZ_N).
. "$(dirname "$0")/../lib.sh"
conf=$top/tools/testing/conformance

echo "KTAP version 1"
echo "# RV6_FUZZ_N=${RV6_FUZZ_N:-2000} packets for GD-FZ-1-1$(quick && echo ' (capped: RV6_QUICK=1)')"
ensure_module rv6_guard || { echo "Bail out! cannot load rv6_guard"; exit 1; }
RV6_SRC=$RV6_SRC /usr/bin/python3 "$conf/conformance.py" guard --json "${RV6_OUT:-/tmp}/guard_conformance.json"
