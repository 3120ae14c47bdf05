#!/bin/bash
# The README's commands that make check runs no other way, in their guest
# halves (scripts/readme-doctest.py checks the rest of the README's commands
# on the host):
#  - `make run` boots a guest and runs tools/testing/demo.sh: here it runs as
#    it does there, on a guest with no rv6 module loaded, and must exit 0
#    having shown each module it loaded in a section of its own
#    ("== rv6_xcbc: ..."), and unloaded them all at its end;
#  - `make shell` loads the modules with tools/testing/load-modules.sh before
#    it hands over the console: here it runs once the demo has unloaded
#    them all (a guest like make shell's), and must load every module the
#    demo loaded, which leaves the guest as guest-check.sh had it for the
#    suites after this one.
# make check-debug (DEBUG=1 scripts/check.sh, whose debug kernel make check
# boots for its debug smoke) and make bench (scripts/bench.sh: measurements,
# many minutes of icount time) are not run here: the host check verifies
# their targets, recipes and BENCH values, which is enough.
. "$(dirname "$0")/../lib.sh"
testing=$top/tools/testing
work=$(mktemp -d)

# rv6_loaded: the rv6 modules loaded, newest first (users before what they use).
rv6_loaded() { awk '/^rv6_/ {print $1}' /proc/modules; }
# unload_rv6: unloads every rv6 module and prints those left.  Namespaces are
# torn down asynchronously and state in them holds a module for a moment:
# a minute each, as guest-check.sh allows.
unload_rv6() {
  local m
  for m in $(rv6_loaded); do
    for _ in $(seq $((120 * S))); do rmmod "$m" 2>/dev/null && break; sleep 0.5; done
  done
  rv6_loaded | xargs
}
# loaded_by FILE: the modules whose `$ insmod PATH` lines FILE shows, sorted.
loaded_by() { sed -n 's|^\$ insmod .*/\([^/]*\)\.ko$|\1|p' "$1" | sort -u; }
# not_in LIST1 LIST2: the words of LIST1 that are not in LIST2, on one line.
not_in() { comm -23 <(tr ' ' '\n' <<<"$1" | sed '/^$/d' | sort -u) <(tr ' ' '\n' <<<"$2" | sed '/^$/d' | sort -u) | xargs; }

# KUnit: the first shard boots with it on, and every insmod below would run
# the module's suites again (minutes for a stress case on a slow kernel, and
# their cases counted twice more in the console's totals); they ran at the
# shard's first load, so these loads run none (a filter no suite matches, as
# make bench's guests boot with), and the filter is put back afterwards.  In
# the other shards (kunit.enable=0) it is unset, and left alone.  Written
# without a newline: a string parameter keeps it, and the glob would match
# no name.
glob=/sys/module/kunit/parameters/filter_glob
old_glob=
if [ -w $glob ] && [ "$(cat $glob)" != "(null)" ]; then old_glob=$(cat $glob); printf none >$glob; fi
finish() { [ -z "$old_glob" ] || printf '%s' "$old_glob" >$glob; rm -rf "$work"; }
trap finish EXIT

ktap_print_header
ktap_set_plan 8

check "no rv6 module is left loaded, as in make run's freshly booted guest" "" "$(unload_rv6)"

# make run: the demo, in the environment run.sh gives it (RV6_MODULES, RV6_SRC:
# the runner's, here).
"$testing/demo.sh" </dev/null >"$work/demo" 2>&1
rc=$?
sed 's/\x1b\[[0-9;]*m//g' "$work/demo" >"$work/demo.txt"
sed 's/^/# demo: /' "$work/demo.txt"
check "demo.sh (make run's guest half) exits 0" 0 "$rc"
mods=$(loaded_by "$work/demo.txt" | xargs)
check "demo.sh loaded the rv6 modules" yes "$([ -n "$mods" ] && echo yes || echo "no: none")"
# Its sections: "== rv6_NAME: what it shows".
sections=$(sed -n 's/^== \(rv6_[a-z0-9_]*\):.*/\1/p' "$work/demo.txt" | xargs)
check "every module demo.sh loaded has its section (missing listed)" "" "$(not_in "$mods" "$sections")"
check "every section demo.sh printed is a module it loaded (strays listed)" "" "$(not_in "$sections" "$mods")"
check "demo.sh unloaded every rv6 module at its end (those left listed)" "" "$(rv6_loaded | xargs)"

# make shell: its setup command, on the guest the demo left.  A demo that
# failed half-way may have left its namespaces and modules: clear them, so
# that this result is make shell's own.
if [ -n "$(rv6_loaded)" ]; then ip -all netns delete 2>/dev/null; unload_rv6 >/dev/null; fi
"$testing/load-modules.sh" </dev/null >"$work/shell" 2>&1
rc=$?
sed 's/^/# shell: /' "$work/shell"
check "load-modules.sh (make shell's setup) exits 0" 0 "$rc"
listed=$(sed -n '/^\$ lsmod/,$ s/^\(rv6_[a-z0-9_]*\) .*/\1/p' "$work/shell" | xargs)
check "it loaded every module demo.sh loaded, and its lsmod lists them (missing listed)" "" \
  "$({ not_in "$mods" "$(rv6_loaded | xargs)"; not_in "$mods" "$listed"; } | xargs -n1 | sort -u | xargs)"
ktap_finished
