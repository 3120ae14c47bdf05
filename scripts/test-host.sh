#!/usr/bin/env bash
# Host test layer: the tools workspace (protocol cores, runner, KTAP parser)
# under cargo test, plus formatting and lint gates for host and kernel Rust.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"
out=$CHECKOUT; mkdir -p "$out"
# A target directory of its own: cargo test's feature unification (dev-dependencies)
# differs from scripts/tools.sh's build, so building here in the shared tools target would
# relink the rv6, shim6d and guest-init binaries that make check's guests, which run beside
# this layer, are executing (two suites failed when rv6 was replaced under them).
export CARGO_TARGET_DIR=$KCACHE/host-target
cd "$top/tools"
say "cargo fmt --check, cargo clippy -D warnings"
cargo fmt --all --check
cargo clippy --release --quiet --all-targets -- -D warnings
say "rustfmt --check on kernel-side Rust (kernel's .rustfmt.toml)"
kdirs=(); for d in rust samples crypto net; do [ -d "$top/$d" ] && kdirs+=("$top/$d"); done
find "${kdirs[@]}" -name '*.rs' -print0 |
  xargs -0 -r rustfmt --check --edition 2021 --config-path "$SRC/.rustfmt.toml"
say "imports in the kernel's vertical layout (Documentation/rust/coding-guidelines.rst)"
find "${kdirs[@]}" -name '*.rs' -print0 | xargs -0 -r python3 "$top/scripts/rust-imports.py" --check
say "cargo test"
cargo test --release 2>&1 | tee "$out/host.log"
awk '/^test result:/ { p += $4; f += $6; s += $8 } END { print p+0, f+0, s+0 }' \
  "$out/host.log" >"$out/host.counts"

# Every generic netlink spec must pass the kernel's own schema (YNL's
# validation, as the kernel's specs do): a spec is what YNL and the rv6 tool
# build requests from.
say "YNL spec validation (Documentation/netlink/specs against the kernel's genetlink schema)"
ok=0 bad=0
for spec in "$top"/Documentation/netlink/specs/*.yaml; do
  if python3 "$SRC/tools/net/ynl/pyynl/cli.py" --spec "$spec" \
       --schema "$SRC/Documentation/netlink/genetlink.yaml" --validate; then
    ok=$((ok + 1))
  else
    echo "spec $(basename "$spec"): does not validate (above)" >&2; bad=$((bad + 1))
  fi
done
# Each spec is named after the module that registers the family (the fuzz
# selftest loads it by that name), and that module must exist.
for spec in "$top"/Documentation/netlink/specs/*.yaml; do
  m=$(basename "$spec" .yaml)
  if ! find "$top/net" "$top/crypto" "$top/samples" -name "$m.rs" | grep -q .; then
    echo "spec $(basename "$spec"): no module $m.rs registers it" >&2; bad=$((bad + 1))
  fi
done
# debugfs is for debugging, never an interface: no rv6 module creates a file there.
if grep -rln 'debugfs' "$top"/net "$top"/crypto "$top"/samples --include='*.rs'; then
  echo "the modules above use debugfs: counters and settings go through a netlink family" >&2
  bad=$((bad + 1))
fi
echo "$ok $bad 0" >"$out/specs.counts"
python3 "$top/scripts/readme-doctest.py" --counts "$out/readme.counts"  # the README's commands and layout, doc-tested
# The conformance suite's scapy Shim6 layer, checked byte for byte and against tshark
# and rv6's own parser; the Shim6 RFC 2119 table's tests and functions, each found.
say "Shim6: the scapy layer (tools/testing/conformance/shim6) and the RFC 2119 table"
/usr/bin/python3 "$top/tools/testing/conformance/shim6/test_shim6_layer.py" --counts "$out/shim6-layer.counts"
/usr/bin/python3 "$top/tools/testing/conformance/shim6/table_check.py" --counts "$out/shim6-table.counts"
[ "$bad" = 0 ]
