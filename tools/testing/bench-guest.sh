#!/bin/bash
# The guest half of `make bench` (crypto, tables, conntrack).  xcbc: rv6's template and the AES library's
# xcbc-aes-lib measured side by side, then the C template (crypto/xcbc.c, built
# as xcbc.ko) in place of rv6's, alternating twice.  Both templates are named
# "xcbc", so they cannot be loaded at once; their instances over aes-lib are
# both called xcbc(aes-lib).
set -u
mods=${RV6_MODULES:?}
bench=$(find "$mods" -name rv6_xcbc_bench.ko)
for round in 1 2 3; do
  insmod "$(find "$mods" -name rv6_xcbc.ko)"
  insmod "$bench" millis=1000 label=$((round * 10 + 1)) 2>/dev/null
  rmmod rv6_xcbc
  modprobe xcbc
  insmod "$bench" millis=1000 label=$((round * 10 + 2)) 2>/dev/null
  rmmod xcbc
done
dmesg | grep 'rv6-bench:' | grep -v ' table ' | sed 's/^\[[^]]*\] //' >"${RV6_OUT:?}/bench.txt"
# The Shim6 context tables: one look-up from 10^3 to 10^6 objects, RCU hash
# table against the spinlocked tree it replaced (table.txt), twice.
for round in 1 2; do
  insmod "$(find "$mods" -name rv6_table_bench.ko)" label=$round 2>/dev/null
done
dmesg | grep 'rv6-bench: .* table ' | sed 's/^\[[^]]*\] //' >"$RV6_OUT/table.txt"
# The conntrack helpers: rv6-ftp against the C ftp helper and no helper,
# rv6-dhcpv6 against a stateless rule (ct_bench.txt).
"$(dirname "$0")/bench/ct_bench.sh" > /dev/null
