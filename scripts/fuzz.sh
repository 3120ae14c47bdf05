#!/usr/bin/env bash
# Fuzz layer: every cargo-fuzz target in tools/fuzz runs for RV6_FUZZ_SECONDS
# (default 10) over the pure cores.  cargo-fuzz needs nightly features;
# RUSTC_BOOTSTRAP=1 lets the machine's stable rustc provide them.  The corpus
# is kept in the kernel cache directory so coverage grows from run to run.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"
out=$CHECKOUT; mkdir -p "$out"
secs=${RV6_FUZZ_SECONDS:-10}
export RUSTC_BOOTSTRAP=1
# The instrumented build (libFuzzer's C++ and every dependency) takes minutes;
# kept in the kernel cache, a fresh clone on a warm machine rebuilds only the
# workspace's own crates.
export CARGO_TARGET_DIR=$KCACHE/fuzz-target
cd "$top/tools/fuzz"
cargo fuzz build -O >/dev/null 2>&1 || { cargo fuzz build -O; exit 1; }
# The targets run side by side, one per core: each runs for a fixed time, and
# in make check this layer is the last thing left running.
fuzz_one() { # fuzz_one TARGET: exit status 0 when it ran its time without a finding
  local t=$1 corpus=$KCACHE/fuzz-corpus/$1
  mkdir -p "$corpus"
  cargo fuzz run -O "$t" "$corpus" -- -max_total_time="$secs" -rss_limit_mb=1024 \
    >"$out/fuzz-$t.log" 2>&1
}
jobs=${RV6_FUZZ_JOBS:-$(nproc)}
targets=($(cargo fuzz list))
declare -A pid_of=()
for t in "${targets[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
  fuzz_one "$t" & pid_of[$t]=$!
done
pass=0 fail=0
for t in "${targets[@]}"; do
  if wait "${pid_of[$t]}"; then
    say "$t: $(grep -E '^Done' "$out/fuzz-$t.log" | tail -1)"
    pass=$((pass + 1))
  else
    say "$t: FAILED, see $out/fuzz-$t.log and tools/fuzz/artifacts/$t/"
    grep -E 'panicked|ERROR|SUMMARY' "$out/fuzz-$t.log" | head -5 >&2
    fail=$((fail + 1))
  fi
done
echo "$pass $fail 0" >"$out/fuzz.counts"
[ "$fail" = 0 ]
