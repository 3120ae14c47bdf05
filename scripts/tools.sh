#!/usr/bin/env bash
# make tools: the host tools workspace (rv6, shim6d, rv6-vm, the KTAP runner,
# the protocol cores' tests), built in release mode: every member of
# tools/Cargo.toml, so the guest selftests find tools/target/release/rv6 and
# tools/target/release/shim6d.
#
# Its cargo target directory lives in the kernel cache, beside the kernel
# trees, and tools/target is a link to it: a fresh clone on the same machine
# (CI) then recompiles only the workspace's own crates, not the hundred-odd
# registry crates under them (their artifacts are keyed by version and flags,
# so every checkout can share them; a workspace crate's are keyed by its path).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"
tools_target
cd "$top/tools"
cargo build --release --quiet
