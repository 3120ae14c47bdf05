#!/bin/bash
# shim6d's context recovery (RFC 5533 §7.4, §7.17-§7.20) between the two
# multihomed hosts of shim6_setup (topo.sh): the daemons set a context up as
# in shim6d.sh, both ends move it to the locator pair (a2, b2) (rv6 shim6
# context set ... pair: payload now carries a Shim6 payload header with the
# receiver's tag), and b's daemon is restarted: SIGTERM removes b's context
# from b's kernel, and a new daemon starts with nothing.  a's ping to b's
# ULID then reaches b's kernel with a tag it does not know: it drops the
# packet and sends an unknown-tag event, b's daemon answers with an R1bis to
# a2, a's daemon (its context ESTABLISHED -> I2BIS-SENT) with an I2bis from
# a2 naming the ULIDs, and b's daemon verifies it, re-creates the context
# with the same tags and a's locators, on the pair the I2bis came over
# (b2, a2) so that its replies are rewritten too, and answers R2 (a's back
# to ESTABLISHED; a's kernel context is not touched).  The ping between the
# ULIDs then works again, rewritten both ways.
# The daemons' logs (stamped lines) are printed when anything fails.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/shim6d_lib.sh"
A1=2001:db8:a1::1 A2=2001:db8:a2::1 B1=2001:db8:b1::1 B2=2001:db8:b2::1
SHIM6D=$top/tools/target/release/shim6d
work=/tmp/rv6-shim6d-recovery; rm -rf $work; mkdir -p $work

ktap_print_header
plan 19 19

pids=()
logs_shown=0
# logs: the daemons' logs and stderr as KTAP comments, once (b2: b's
# second daemon).
logs() {
  [ $logs_shown = 1 ] && return; logs_shown=1
  local h
  for h in a b b2; do
    ktap_print_msg "--- shim6d $h, log:"
    sed 's/^/# /' "$work/$h.log" 2>/dev/null
    ktap_print_msg "--- shim6d $h, stderr:"
    sed 's/^/# /' "$work/$h.err" 2>/dev/null
  done
  for h in a b; do
    ktap_print_msg "--- $h's contexts and counters:"
    rv6 -n $h shim6 context show 2>&1 | sed 's/^/# /'
    rv6 -n $h shim6 stats 2>&1 | sed 's/^/# /'
  done
}
cleanup() { local st=$?; [ $st = 0 ] || logs; stop; shim6_cleanup; rm -rf $work; }
trap cleanup EXIT

[ -x "$SHIM6D" ] || ktap_exit_fail_msg "no $SHIM6D: build it with make tools"
ensure_module rv6_shim6 || ktap_exit_fail_msg "cannot load rv6_shim6"
shim6_setup

ping_ok() { ip netns exec a ping -q -c 3 -i 0.2 -W 3 $B1 >/dev/null 2>&1 && echo pass || echo fail; }

# As in shim6d.sh: a's trigger heuristic alone asks for the context.
rv6 -n b shim6 settings set trigger-bytes 1000000
daemon a a; pid_a=$pid
daemon b b; pid_b=$pid
check "a's and b's daemons are ready" "ULID $A1 locators $A1,$A2|ULID $B1 locators $B1,$B2" \
  "$(grep -ohE 'ready: ULID [^ ]+ locators [^ ]+' $work/a.log $work/b.log | cut -d' ' -f2- | paste -sd'|' -)"

trigger_traffic
wait_for $work/a.log ': I2-SENT -> ESTABLISHED' >/dev/null
wait_for $work/b.log 'kernel: context-add' >/dev/null
wait_for $work/a.log 'kernel: context-add' >/dev/null
check "the four-way exchange: a's kernel has the context on the ULIDs" \
  "1 $A1 $B1 $A1,$A2 $B1,$B2 $A1 $B1" "$(context a)"
check "... and b's the mirror" "1 $B1 $A1 $B1,$B2 $A1,$A2 $B1 $A1" "$(context b)"
ta=$(tag a local-tag) tb=$(tag b local-tag)
check "the tags mirror each other, neither 0" yes \
  "$([ "$ta" != 0 ] && [ "$tb" != 0 ] && [ "$(tag a peer-tag)" = "$tb" ] &&
     [ "$(tag b peer-tag)" = "$ta" ] && echo yes || echo "no: a $ta/$(tag a peer-tag), b $tb/$(tag b peer-tag)")"

# Both ends move to the pair (a2, b2): payload now carries a payload
# extension header with the receiver's tag.
rv6 -n a shim6 context set local-tag $ta pair $A2 $B2
rv6 -n b shim6 context set local-tag $tb pair $B2 $A2
out_a=$(counter a payload-out)
check "pair (a2, b2): ping between the ULIDs works, rewritten" "pass yes" \
  "$(ping_ok) $([ "$(counter a payload-out)" -gt "$out_a" ] && echo yes || echo no)"

# b's daemon stops (its context leaves b's kernel) and a new one starts.
terminate $pid_b
check "SIGTERM to b's daemon: it exits 0, b's kernel has no context, a's still has its" "0 0 1" \
  "$status $(context b) $(context a | cut -d' ' -f1)"
pids=("$pid_a" "$socat")
mark=$(($(wc -l <$work/a.log) + 1))
unknown=$(counter b unknown-tag)
daemon b b2; pid_b2=$pid
check "b's new daemon is ready, with no context in b's kernel" "1 0" \
  "$(grep -c ' ready: ' $work/b2.log) $(context b)"

# a's pings to b's ULID: the first ones hit b's kernel with b's old tag,
# which it no longer knows, until b's context is back.
for _ in $(seq $((30 * S))); do
  grep -q 'kernel: context-add' $work/b2.log && break
  ip netns exec a ping -q -c 1 -W 1 $B1 >/dev/null 2>&1
done
wait_for $work/b2.log 'kernel: context-add' >/dev/null
wait_for $work/a.log ': I2BIS-SENT -> ESTABLISHED' >/dev/null

check "b's kernel dropped a's payload with the lost tag and sent unknown-tag; the daemon answered R1bis" \
  "yes yes" \
  "$([ "$(counter b unknown-tag)" -gt "$unknown" ] && echo yes || echo no) $(grep -q "unknown tag $tb ($A2 -> $B2): sending an R1bis" $work/b2.log && echo yes || echo no)"
check "b's new daemon: sent R1bis, received I2bis, sent R2" \
  "sent R1bis,received I2bis,sent R2" "$(exchange b2)"
check "a's daemon: received R1bis, sent I2bis, received R2" \
  "received R1bis,sent I2bis,received R2" "$(exchange a $mark)"
check "a's context: ESTABLISHED -> I2BIS-SENT -> ESTABLISHED" \
  "ESTABLISHED -> I2BIS-SENT,I2BIS-SENT -> ESTABLISHED" \
  "$(tail -n +$mark $work/a.log | grep -oE ': [A-Z0-9-]+ -> [A-Z0-9-]+$' | sed 's/^: //' | awk '!seen[$0]++' | paste -sd, -)"
check "the R1bis and I2bis went over the payload's locators, the I2bis naming the ULIDs" "yes yes" \
  "$(grep -qE "sent R1bis tag $tb .*\($B2 -> $A2\)" $work/b2.log && echo yes || echo no) $(grep -qE "sent I2bis tag $ta .*packet-tag $tb .*ulids $A1 $B1 \($A2 -> $B2\)" $work/a.log && echo yes || echo no)"
check "b's kernel: the context again, a's locators, on the I2bis's pair (b2, a2)" \
  "1 $B1 $A1 $B1,$B2 $A1,$A2 $B2 $A2" "$(context b)"
check "... with the same tags as before" "$tb $ta" "$(tag b local-tag) $(tag b peer-tag)"
check "b's new daemon logged that context-add" 1 \
  "$(grep -c "kernel: context-add local-tag $tb peer-tag $ta ulid-local $B1 ulid-peer $A1 local-locators $B1,$B2 peer-locators $A1,$A2 pair $B2 $A2\$" $work/b2.log)"
check "a's kernel context untouched: same tags, still on (a2, b2), no request since" \
  "1 $A1 $B1 $A1,$A2 $B1,$B2 $A2 $B2 $ta $tb 0" \
  "$(context a) $(tag a local-tag) $(tag a peer-tag) $(tail -n +$mark $work/a.log | grep -c 'kernel: ')"

out_a=$(counter a payload-out) out_b=$(counter b payload-out)
check "ping between the ULIDs works again, rewritten both ways" "pass yes yes" \
  "$(ping_ok) $([ "$(counter a payload-out)" -gt "$out_a" ] && echo yes || echo no) $([ "$(counter b payload-out)" -gt "$out_b" ] && echo yes || echo no)"

terminate $pid_a; st_a=$status
terminate $pid_b2; st_b=$status
pids=("$socat")
check "SIGTERM to both daemons: each exits 0 and its kernel has no context" "0 0 0 0" \
  "$st_a $st_b $(context a) $(context b)"
check "nothing on the daemons' stderr" "" "$(cat $work/a.err $work/b.err $work/b2.err)"

[ "$KTAP_CNT_FAIL" = 0 ] || logs
ktap_finished
