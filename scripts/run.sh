#!/usr/bin/env bash
# make run: build what is missing, boot the rv6 kernel in QEMU, load every rv6
# module and show what each one does (tools/testing/demo.sh), then exit 0.
# make shell (run.sh --shell): an interactive guest with the modules loaded.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"
"$top/scripts/deps.sh" >/dev/null
"$top/scripts/kernel.sh"
"$top/scripts/modules.sh"
"$top/scripts/tools.sh"
mkdir -p "$BUILD/logs"
vm=("$TOOLS/rv6-vm" --kernel "$KOBJ/arch/x86/boot/bzImage" --moddir "$KOBJ/modroot/lib/modules/$(krelease)" --append "kunit.filter_glob=r[uv]*")
export RV6_MODULES=$MODOUT RV6_SRC=$SRC
if [ "${1:-}" = --shell ]; then
  exec "${vm[@]}" --shell --log "$BUILD/logs/shell.log" --timeout 86400 -- "$top/tools/testing/load-modules.sh"
fi
say "booting the rv6 kernel; console in $BUILD/logs/run.log"
"${vm[@]}" --user --log "$BUILD/logs/run.log" --timeout 600 -- "$top/tools/testing/demo.sh"
