#!/bin/bash
# shim6d under a barrage of malformed and hostile control messages: two daemons
# on the hosts of shim6_setup (topo.sh) set a context up (as in shim6d.sh),
# then a sends b RV6_FUZZ_N (10^4 by default; 10^5 in the debug barrage)
# messages from shim6d_barrage.py: random bytes, every type with random fields
# and options, lying lengths, and Keepalives, Probes, Update Requests and
# Acknowledgements and Errors to b's context tag.  b's daemon stays up, its
# memory stays bounded, every message is accounted for in its log, its Error
# messages keep to their rate limit, the context is intact on both sides
# (same tags, back in reap-state operational) and still carries traffic.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/shim6d_lib.sh"
A1=2001:db8:a1::1 A2=2001:db8:a2::1 B1=2001:db8:b1::1 B2=2001:db8:b2::1
SHIM6D=$top/tools/target/release/shim6d
work=/tmp/rv6-shim6d-barrage; rm -rf $work; mkdir -p $work
N=${RV6_FUZZ_N:-10000}; quick && N=500

ktap_print_header
plan 8 8

pids=()
cleanup() {
  local st=$?
  if [ $st != 0 ] || [ "${KTAP_CNT_FAIL:-0}" != 0 ]; then
    for h in a b; do
      ktap_print_msg "--- shim6d in $h, last lines of its log:"
      tail -n 40 "$work/$h.log" 2>/dev/null | sed 's/^/# /'
      sed 's/^/# stderr: /' "$work/$h.err" 2>/dev/null
    done
  fi
  stop; shim6_cleanup; rm -rf $work
}
trap cleanup EXIT

[ -x "$SHIM6D" ] || ktap_exit_fail_msg "no $SHIM6D: build it with make tools"
ensure_module rv6_shim6 || ktap_exit_fail_msg "cannot load rv6_shim6"
shim6_setup
rv6 -n b shim6 settings set trigger-bytes 1000000
daemon a a --send-timeout 2; pid_a=$pid
daemon b b --send-timeout 2; pid_b=$pid
trigger_traffic
wait_for $work/a.log 'kernel: context-add' >/dev/null
wait_for $work/b.log 'kernel: context-add' >/dev/null
ta=$(tag a local-tag) tb=$(tag b local-tag)
before=$(context a)
check "a context between a and b" "1 $A1 $B1 $A1,$A2 $B1,$B2 $A1 $B1" "$before"

rss() { awk '$1 == "VmRSS:" { print $2 }' /proc/"$1"/status; }
rss0=$(rss $pid_b)
lines0=$(wc -l <$work/b.log)
errors0=$(grep -c 'sent Error' $work/b.log)
t0=$EPOCHREALTIME
sent=$(ip netns exec a python3 "$(dirname "$0")/shim6d_barrage.py" $A1 $B1 "${tb#0x}" "$N" 7 | cut -d' ' -f2)
secs=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%d\n", b - a + 1 }')
ktap_print_msg "$sent messages in $secs s"
# Until b's daemon has read them all: its log stops growing.
last=-1
for _ in $(seq $((300 * S))); do
  n=$(wc -l <$work/b.log); [ "$n" = "$last" ] && break; last=$n; sleep 1
done

check "both daemons are still running" "yes yes" \
  "$(gone $pid_a && echo no || echo yes) $(gone $pid_b && echo no || echo yes)"
rss1=$(rss $pid_b)
check "b's daemon's memory stayed bounded (RSS grew by less than 4 MB)" yes \
  "$([ $((rss1 - rss0)) -lt 4096 ] && echo yes || echo "no: $rss0 -> $rss1 kB")"
# Each message b read is a line: received and then dropped, answered or acted
# on, or refused outright ("dropped a message"); allow for messages the
# kernel kept from the raw socket (truncated ones) and for rate-limited lines.
seen=$(tail -n +$((lines0 + 1)) $work/b.log | grep -cE ' (received|dropped a message) ')
check "b's daemon logged at least half of the $sent messages" yes \
  "$([ "$seen" -ge $((sent / 2)) ] && echo yes || echo "no: $seen")"
errors=$(( $(grep -c 'sent Error' $work/b.log) - errors0 ))
check "its Error messages kept to the rate limit (20, then 10 a second)" yes \
  "$([ "$errors" -le $((20 + 10 * secs + 10)) ] && echo yes || echo "no: $errors in $secs s")"
# REAP may have explored (Probes to b's tag): back to operational.
for h in a b; do
  for _ in $(seq $((300 * S))); do
    [ "$(rv6 -j -n $h shim6 context show | jq -r '.[0]["reap-state"]')" = operational ] && break
    sleep 0.1
  done
done
check "the context is intact: the same tags, one on each side, operational" \
  "$ta $tb 1 1 operational operational" \
  "$(tag a local-tag) $(tag b local-tag) $(context a | cut -d' ' -f1) $(context b | cut -d' ' -f1) $(for h in a b; do rv6 -j -n $h shim6 context show | jq -r '.[0]["reap-state"]'; done | paste -sd' ' -)"
check "and it still carries traffic between the ULIDs" pass \
  "$(ip netns exec a ping -q -c 3 -i 0.2 -W 3 $B1 >/dev/null 2>&1 && echo pass || echo fail)"
terminate $pid_a; st_a=$status
terminate $pid_b; st_b=$status
check "SIGTERM: both exit 0 and remove their contexts, nothing on stderr" "0 0 0 0 " \
  "$st_a $st_b $(context a) $(context b) $(cat $work/a.err $work/b.err)"

ktap_finished
