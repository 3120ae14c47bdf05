#!/bin/bash
# rv6_shim6 and shim6d conformance: the shim6 suite of tools/testing/conformance/
# (a Tester Node speaking Shim6 through the scapy layer of
# tools/testing/conformance/shim6/shim6_layer.py, TAHI-style test IDs SH-x-y-z):
# a fresh shim6d in the NUT for each test answers the TN's I1 with an R1, its
# malformed messages with silence or Error Messages whose code and Pointer are
# checked, a payload packet or Update Request with an unknown tag with an
# R1bis, and completes the exchange with the TN's I2.  The per-ID table is
# printed as KTAP comments; Documentation/rv6/shim6-conformance.rst maps the
# RFC 5533 requirements to these IDs.
. "$(dirname "$0")/../lib.sh"
conf=$top/tools/testing/conformance
SHIM6D=$top/tools/target/release/shim6d

echo "KTAP version 1"
[ -x "$SHIM6D" ] || { echo "Bail out! no $SHIM6D: build it with make tools"; exit 1; }
ensure_module rv6_shim6 || { echo "Bail out! cannot load rv6_shim6"; exit 1; }
RV6_SRC=$RV6_SRC SHIM6D=$SHIM6D /usr/bin/python3 "$conf/conformance.py" shim6 \
  --json "${RV6_OUT:-/tmp}/shim6_conformance.json"
