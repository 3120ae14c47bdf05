#!/bin/bash
# shim6d, the Shim6 daemon (tools/net/shim6d), between the two multihomed
# hosts of shim6_setup (topo.sh): a daemon in each host's namespace with its
# locators; UDP traffic from a's ULID to b's past trigger-bytes (2048, the
# default, with the heuristic on) makes a's kernel send a trigger event, a's
# daemon starts the four-way exchange (I1, R1, I2, R2) with b's over their
# raw sockets, and each daemon installs the context once it is ESTABLISHED:
# both kernels show it with mirrored tags, the ULIDs, both locator sets and
# the ULIDs as current pair; the ULIDs' path still works; on SIGTERM each
# daemon removes its context from its kernel and exits 0.
# The daemons' logs (stamped lines) are printed when anything fails.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/shim6d_lib.sh"
A1=2001:db8:a1::1 A2=2001:db8:a2::1 B1=2001:db8:b1::1 B2=2001:db8:b2::1
SHIM6D=$top/tools/target/release/shim6d
work=/tmp/rv6-shim6d; rm -rf $work; mkdir -p $work

ktap_print_header
plan 16 16

pids=()
logs_shown=0
# logs: the daemons' logs and stderr as KTAP comments, once.
logs() {
  [ $logs_shown = 1 ] && return; logs_shown=1
  local h
  for h in a b; do
    ktap_print_msg "--- shim6d in $h, log:"
    sed 's/^/# /' "$work/$h.log" 2>/dev/null
    ktap_print_msg "--- shim6d in $h, stderr:"
    sed 's/^/# /' "$work/$h.err" 2>/dev/null
  done
}
cleanup() { local st=$?; [ $st = 0 ] || logs; stop; shim6_cleanup; rm -rf $work; }
trap cleanup EXIT

[ -x "$SHIM6D" ] || ktap_exit_fail_msg "no $SHIM6D: build it with make tools"
ensure_module rv6_shim6 || ktap_exit_fail_msg "cannot load rv6_shim6"
shim6_setup


# a's kernel alone asks for the context: b's counts the same datagrams
# coming in, and would start an exchange of its own at the same moment
# (crossing I1s, answered with R2s: the host tests' simultaneous initiation).
rv6 -n b shim6 settings set trigger-bytes 1000000
check "a's trigger heuristic is on, the default 2048 bytes" "on 2048" \
  "$(rv6 -j -n a shim6 settings | jq -r '.[0] | "\(if .trigger == true or .trigger == 1 then "on" else "off" end) \(.["trigger-bytes"])"')"

# One daemon per host, each logging to a file.
daemon a a; pid_a=$pid
daemon b b; pid_b=$pid
check "a's daemon is ready with its ULID and locators" "ULID $A1 locators $A1,$A2" \
  "$(grep -oE 'ready: ULID [^ ]+ locators [^ ]+' $work/a.log | cut -d' ' -f2-)"
check "b's daemon is ready with its ULID and locators" "ULID $B1 locators $B1,$B2" \
  "$(grep -oE 'ready: ULID [^ ]+ locators [^ ]+' $work/b.log | cut -d' ' -f2-)"

# UDP from a's ULID to b's: 10 datagrams of 300 bytes, 3480 bytes with their
# headers, past a's trigger-bytes.
trigger_traffic
wait_for $work/a.log ': I2-SENT -> ESTABLISHED' >/dev/null
wait_for $work/b.log ': IDLE -> ESTABLISHED' >/dev/null
wait_for $work/b.log 'kernel: context-add' >/dev/null
wait_for $work/a.log 'kernel: context-add' >/dev/null

check "the traffic made a's kernel send one trigger event, b's none" "1 0" \
  "$(counter a triggers) $(counter b triggers)"
check "a's daemon started the exchange on the trigger for (a1, b1)" 1 \
  "$(grep -c "trigger $A1 $B1: starting the exchange" $work/a.log)"
check "a's daemon: sent I1, received R1, sent I2, received R2" \
  "sent I1,received R1,sent I2,received R2" "$(exchange a)"
check "b's daemon: received I1, sent R1, received I2, sent R2" \
  "received I1,sent R1,received I2,sent R2" "$(exchange b)"
check "a's kernel: one context on the ULIDs, both locator sets, current pair the ULIDs" \
  "1 $A1 $B1 $A1,$A2 $B1,$B2 $A1 $B1" "$(context a)"
check "b's kernel: the mirror of a's" \
  "1 $B1 $A1 $B1,$B2 $A1,$A2 $B1 $A1" "$(context b)"
ta=$(tag a local-tag) tb=$(tag b local-tag)
check "the tags mirror each other: a's is b's peer tag and b's is a's, neither 0" yes \
  "$([ "$ta" != 0 ] && [ "$tb" != 0 ] && [ "$ta" != "$tb" ] &&
     [ "$(tag a peer-tag)" = "$tb" ] && [ "$(tag b peer-tag)" = "$ta" ] && echo yes ||
     echo "no: a $ta/$(tag a peer-tag), b $tb/$(tag b peer-tag)")"
check "each daemon logged the context-add of its tag with the peer's" "1 1" \
  "$(grep -c "kernel: context-add local-tag $ta peer-tag $tb " $work/a.log) $(grep -c "kernel: context-add local-tag $tb peer-tag $ta " $work/b.log)"

check "ping between the ULIDs still works, unrewritten (the current pair is the ULIDs)" "pass 0" \
  "$(ip netns exec a ping -q -c 3 -i 0.2 -W 3 $B1 >/dev/null 2>&1 && echo pass || echo fail) $(counter a payload-out)"

# SIGTERM: each daemon removes its context from its own kernel and exits 0.
terminate $pid_a
check "SIGTERM to a's daemon: it exits 0 and a's kernel has no context, b's still has its" "0 0 1" \
  "$status $(context a) $(context b | cut -d' ' -f1)"
check "... its log says so: the context-del of its tag, then stopped" \
  "kernel: context-del local-tag $ta,stopped" \
  "$(grep -oE "kernel: context-del local-tag [0-9a-fx]+|stopped$" $work/a.log | paste -sd, -)"
terminate $pid_b
check "SIGTERM to b's daemon: it exits 0 and b's kernel has no context" "0 0 1" \
  "$status $(context b) $(grep -c "kernel: context-del local-tag $tb\$" $work/b.log)"
pids=("$socat")
check "nothing on the daemons' stderr" "" "$(cat $work/a.err $work/b.err)"

[ "$KTAP_CNT_FAIL" = 0 ] || logs
ktap_finished
