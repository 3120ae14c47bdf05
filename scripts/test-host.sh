#!/usr/bin/env bash
# Host test layer: the tools workspace (protocol cores, runner, KTAP parser)
# under cargo test, plus formatting and lint gates for host and kernel Rust.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"
out=$CHECKOUT; mkdir -p "$out"
cd "$top/tools"
say "cargo fmt --check, cargo clippy -D warnings"
cargo fmt --all --check
cargo clippy --release --quiet --all-targets -- -D warnings
say "rustfmt --check on kernel-side Rust (kernel's .rustfmt.toml)"
kdirs=(); for d in rust samples crypto net; do [ -d "$top/$d" ] && kdirs+=("$top/$d"); done
find "${kdirs[@]}" -name '*.rs' -print0 |
  xargs -0 -r rustfmt --check --edition 2021 --config-path "$SRC/.rustfmt.toml"
say "cargo test"
cargo test --release 2>&1 | tee "$out/host.log"
awk '/^test result:/ { p += $4; f += $6; s += $8 } END { print p+0, f+0, s+0 }' \
  "$out/host.log" >"$out/host.counts"
