#!/usr/bin/env bash
# Builds the tools workspace (rv6-vm, rv6-ktap, rv6, the cores' host tests).
# A fresh clone's tools/target becomes a link into the cache
# ($RV6_KCACHE/tools-target): the dependencies one clone built serve the
# next, and cargo rebuilds only what changed (a checkout with its own
# tools/target directory keeps it).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"
if [ ! -e "$top/tools/target" ]; then
  mkdir -p "$KCACHE/tools-target"
  ln -s "$KCACHE/tools-target" "$top/tools/target"
fi
cd "$top/tools"
PATH=$HOME/.cargo/bin:$PATH cargo build --release --quiet
