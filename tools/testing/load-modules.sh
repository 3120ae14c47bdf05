#!/bin/bash
# Loads every rv6 module in $RV6_MODULES into the guest, each insmod shown, and
# lists the rv6 modules then loaded: the module loading of `make shell`
# (scripts/run.sh --shell) and of `make run` (tools/testing/demo.sh), run by
# the runner's readme_demo selftest as make shell runs it.
# Benchmark modules (*_bench.ko) run at insmod and never stay: make bench only.
# A module that fails to load does not stop the others (a shell is still
# useful); the exit status says that one did.
set -u
mods=${RV6_MODULES:?}
rc=0
for ko in $(find "$mods" -name '*.ko' ! -name '*_bench.ko' | sort); do
  printf '$ insmod %s\n' "$ko"
  insmod "$ko" || rc=1
done
printf '$ %s\n' "lsmod | grep '^rv6'"
lsmod | grep '^rv6' || rc=1
exit $rc
