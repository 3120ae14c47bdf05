#!/bin/bash
# shim6d's locator updates (RFC 5533 §10) between the two multihomed hosts
# of shim6_setup (topo.sh): a's daemon with its locators given, b's with
# none given (every global address of b's namespace is a locator, b1 its
# ULID, a preference for b3), set a context up as in shim6d.sh.  Then b
# gains an address, b3: rtnetlink tells b's daemon, which gives b's kernel
# context the new local set (context-set) and sends a's daemon an Update
# Request with the list b1,b2,b3 and the preferences; a's daemon records
# them, gives a's kernel context the new peer set and acknowledges.  Then
# both ends move the context to (a2, b2) by hand and b loses b2: each
# daemon's context-set takes b2 out and moves the kernel's current pair off
# it in the same request, to b1 (the best of b's locators left).
# The daemons' logs (stamped lines) are printed when anything fails.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/shim6d_lib.sh"
A1=2001:db8:a1::1 A2=2001:db8:a2::1 B1=2001:db8:b1::1 B2=2001:db8:b2::1
B3=2001:db8:b3::1
SHIM6D=$top/tools/target/release/shim6d
work=/tmp/rv6-shim6d-update; rm -rf $work; mkdir -p $work

ktap_print_header
plan 19 19

pids=()
logs_shown=0
# logs: the daemons' logs and stderr, the kernels' contexts, as KTAP
# comments, once.
logs() {
  [ $logs_shown = 1 ] && return; logs_shown=1
  local h
  for h in a b; do
    ktap_print_msg "--- shim6d in $h, log:"
    sed 's/^/# /' "$work/$h.log" 2>/dev/null
    ktap_print_msg "--- shim6d in $h, stderr:"
    sed 's/^/# /' "$work/$h.err" 2>/dev/null
    ktap_print_msg "--- $h's contexts and addresses:"
    rv6 -n $h shim6 context show 2>&1 | sed 's/^/# /'
    ip -n $h -6 addr show 2>&1 | sed 's/^/# /'
  done
}
cleanup() { local st=$?; [ $st = 0 ] || logs; stop; shim6_cleanup; rm -rf $work; }
trap cleanup EXIT

[ -x "$SHIM6D" ] || ktap_exit_fail_msg "no $SHIM6D: build it with make tools"
ensure_module rv6_shim6 || ktap_exit_fail_msg "cannot load rv6_shim6"
shim6_setup

# As in shim6d.sh: a's trigger heuristic alone asks for the context.
rv6 -n b shim6 settings set trigger-bytes 1000000
daemon a a; pid_a=$pid
daemon_host b b $B1 --preference $B3=5; pid_b=$pid
check "a's daemon is ready with its given locators, b's with b's global addresses" \
  "ULID $A1 locators $A1,$A2|ULID $B1 locators $B1,$B2" \
  "$(grep -ohE 'ready: ULID [^ ]+ locators [^ ]+' $work/a.log $work/b.log | cut -d' ' -f2- | paste -sd'|' -)"

trigger_traffic
wait_for $work/a.log ': I2-SENT -> ESTABLISHED' >/dev/null
wait_for $work/b.log 'kernel: context-add' >/dev/null
wait_for $work/a.log 'kernel: context-add' >/dev/null
check "the four-way exchange: a's kernel has the context on the ULIDs" \
  "1 $A1 $B1 $A1,$A2 $B1,$B2 $A1 $B1" "$(context a)"
check "... and b's the mirror" "1 $B1 $A1 $B1,$B2 $A1,$A2 $B1 $A1" "$(context b)"
ta=$(tag a local-tag) tb=$(tag b local-tag)
check "no Update Request yet" "" "$(updates a)$(updates b)"

# b gains b3: its daemon tells b's kernel and a's daemon, which tells a's.
mark_a=$(($(wc -l <$work/a.log) + 1)) mark_b=$(($(wc -l <$work/b.log) + 1))
ip -n b addr add $B3/64 dev b2 nodad
wait_context a " $B1,$B2,$B3 "
wait_for $work/b.log 'received Update-Ack' >/dev/null

check "b's daemon saw b3 come: its locators are b1,b2,b3, one context told" 1 \
  "$(grep -cE "locators: $B1,$B2,$B3 generation 0x[0-9a-f]+ with preferences, telling 1 context\(s\)\$" $work/b.log)"
check "b's kernel: the new local set (context-set), the current pair kept" \
  "1 $B1 $A1 $B1,$B2,$B3 $A1,$A2 $B1 $A1" "$(context b)"
check "... b's daemon logged that context-set" 1 \
  "$(grep -c "kernel: context-set local-tag $tb local-locators $B1,$B2,$B3\$" $work/b.log)"
check "b's daemon: sent Update-Request, received Update-Ack" \
  "sent Update-Request,received Update-Ack" "$(updates b $mark_b)"
check "a's daemon: received Update-Request, sent Update-Ack" \
  "received Update-Request,sent Update-Ack" "$(updates a $mark_a)"
check "the request went b1 -> a1 with a's tag, b's list and its preferences (b3: priority 5)" yes \
  "$(grep -qE "sent Update-Request tag $ta nonce 0x[0-9a-f]{8} locators $B1,$B2,$B3 preferences 0x0/0,0x0/0,0x0/5 \($B1 -> $A1\)\$" $work/b.log && echo yes || echo no)"
nonce=$(grep -oE "sent Update-Request tag $ta nonce 0x[0-9a-f]{8}" $work/b.log | tail -n1 | awk '{print $NF}')
check "... and the acknowledgement a1 -> b1 with b's tag, echoing its nonce" yes \
  "$(grep -qE "sent Update-Ack tag $tb nonce $nonce \($A1 -> $B1\)\$" $work/a.log && echo yes || echo no)"
check "a's kernel: b3 among the peer locators (context-set), the current pair kept" \
  "1 $A1 $B1 $A1,$A2 $B1,$B2,$B3 $A1 $B1" "$(context a)"
check "... a's daemon logged that context-set" 1 \
  "$(grep -c "kernel: context-set local-tag $ta peer-locators $B1,$B2,$B3\$" $work/a.log)"
check "ping between the ULIDs still works" pass \
  "$(ip netns exec a ping -q -c 3 -i 0.2 -W 3 $B1 >/dev/null 2>&1 && echo pass || echo fail)"

# Both ends on (a2, b2) by hand; then b loses b2, the current locator of
# both kernels' pairs.
rv6 -n a shim6 context set local-tag "$ta" pair $A2 $B2
rv6 -n b shim6 context set local-tag "$tb" pair $B2 $A2
mark_a=$(($(wc -l <$work/a.log) + 1)) mark_b=$(($(wc -l <$work/b.log) + 1))
ip -n b addr del $B2/64 dev b2
wait_context a " $B1,$B3 "
wait_for $work/b.log 'received Update-Ack' 2 >/dev/null

check "b2 gone: b's kernel set is b1,b3 and its pair left b2 for b1 in the same request" \
  "1 $B1 $A1 $B1,$B3 $A1,$A2 $B1 $A2 1" \
  "$(context b) $(grep -c "kernel: context-set local-tag $tb local-locators $B1,$B3 pair $B1 $A2\$" $work/b.log)"
check "... a's kernel peer set is b1,b3 and its pair left b2 for b1 likewise" \
  "1 $A1 $B1 $A1,$A2 $B1,$B3 $A2 $B1 1" \
  "$(context a) $(grep -c "kernel: context-set local-tag $ta peer-locators $B1,$B3 pair $A2 $B1\$" $work/a.log)"
check "... after one more Update Request and Acknowledgement" \
  "sent Update-Request,received Update-Ack|received Update-Request,sent Update-Ack" \
  "$(updates b $mark_b)|$(updates a $mark_a)"

terminate $pid_a; st_a=$status
terminate $pid_b; st_b=$status
pids=("$socat")
check "SIGTERM to both daemons: each exits 0 and its kernel has no context" "0 0 0 0" \
  "$st_a $st_b $(context a) $(context b)"
check "nothing on the daemons' stderr" "" "$(cat $work/a.err $work/b.err)"

[ "$KTAP_CNT_FAIL" = 0 ] || logs
ktap_finished
