#!/bin/bash
# rv6_shim6's REAP timers (RFC 5534 §6) and events, between the two multihomed
# hosts of shim6_setup (topo.sh) with contexts set up by hand and short
# timeouts: payload one way makes the receiver's kernel ask for a Keepalive
# every Keepalive Interval and the sender's report its Send Timeout; a
# Keepalive from the peer stops the Send Timer; a cut path is reported within
# the Send Timeout, and the first payload in while exploring once (an Update
# Request counts as payload, RFC 5534 §4.1); an idle
# context and an unknown tag are reported, the latter rate-limited; only
# CAP_NET_ADMIN may listen; rmmod with armed timers is safe.
# The events are what shim6d will act on: `rv6 monitor rv6-shim6` hears them
# here, each line stamped with the time it arrived.
. "$(dirname "$0")/../lib.sh"
A1=2001:db8:a1::1 A2=2001:db8:a2::1 B1=2001:db8:b1::1 B2=2001:db8:b2::1
TA=0x1a0000000001 TB=0x1b0000000002
work=/tmp/rv6-shim6-reap; mkdir -p $work
# Send and Keepalive Timeouts of 1.5 s: a Keepalive Interval of 0.5 s.
T=1500

ktap_print_header
plan 23 18
ensure_module rv6_shim6 || ktap_exit_fail_msg "cannot load rv6_shim6"
pids=()
# stop: ends what the suite started in the background (the monitors too: $!
# of a pipeline is its last process, the stamping loop).
stop() { kill "${pids[@]}" 2>/dev/null; pkill -f 'monitor rv6-shim6'; wait; pids=(); }
trap 'stop; shim6_cleanup; rm -rf $work' EXIT
shim6_setup

# listen NS: stamps every rv6-shim6 event NS's kernel sends into $work/NS.events.
listen() {
  rv6 -j -n "$1" monitor rv6-shim6 2>"$work/$1.monitor.err" |
    while IFS= read -r l; do echo "${EPOCHREALTIME} $l"; done >"$work/$1.events" &
  pids+=($!)
}
# events NS KIND [TAG]: the arrival times of NS's events of KIND, one a line.
events() {
  jq -R -r --arg k "$2" --arg tag "${3:+$(( $3 ))}" \
    'index(" ") as $i | (.[$i + 1:] | fromjson | .msg) as $m
     | select($m.event == $k and ($tag == "" or ($m["local-tag"] | tostring) == $tag)) | .[:$i]' \
    "$work/$1.events"
}
count() { events "$@" | wc -l; }
# gaps NS KIND: the smallest gap between consecutive events of KIND, in ms.
gaps() {
  events "$1" "$2" | awk 'NR > 1 { g = ($1 - p) * 1000; if (min == "" || g < min) min = g } { p = $1 }
                         END { printf "%d\n", min == "" ? -1 : min }'
}
# raw NS SRC DST HEX...: sends each HEX string as a next-header-140 packet;
# with REPEAT=N GAP=S in the environment, the lot N times, S seconds apart.
raw() {
  local ns=$1 src=$2 dst=$3; shift 3
  ip netns exec "$ns" python3 - "$src" "$dst" "${REPEAT:-1}" "${GAP:-0}" "$@" <<'EOF'
import socket, sys, time
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, 140)
s.bind((sys.argv[1], 0))
for i in range(int(sys.argv[3])):
    if i:
        time.sleep(float(sys.argv[4]))
    for h in sys.argv[5:]:
        s.sendto(bytes.fromhex(h), (sys.argv[2], 0))
EOF
}
# payload TAG: a payload extension header (P set, no next header) with TAG.
payload() { printf '3b00%012x' $(( 0x800000000000 | $1 )); }
# keepalive TAG [TYPE]: a REAP Keepalive (type 66) for receiver tag TAG, checksum
# filled in; with TYPE 40 (hex), an Update Request (RFC 5533 §5.10) with the
# same layout: receiver tag, then a Request Nonce of 0, and no option.
keepalive() {
  python3 - "$1" "${2:-42}" <<'EOF'
import sys
m = bytearray(bytes.fromhex("3b01" + sys.argv[2] + "00") + b"\0\0" + int(sys.argv[1], 0).to_bytes(6, "big") + b"\0" * 4)
s = sum(int.from_bytes(m[i:i + 2], "big") for i in range(0, len(m), 2))
while s > 0xffff:
    s = (s & 0xffff) + (s >> 16)
m[4:6] = (~s & 0xffff).to_bytes(2, "big")
print(m.hex())
EOF
}
# stream NS DST SECONDS: one UDP datagram every 0.1 s from NS to DST port 9000.
stream() {
  for _ in $(seq $(( $3 * 10 ))); do echo x; sleep 0.1; done |
    ip netns exec "$1" socat -u - "UDP6-SENDTO:[$2]:9000"
}
state() { rv6 -j -n "$1" shim6 context show | jq -r '.[0]["reap-state"]'; }
counter() { rv6 -j -n "$1" shim6 stats | jq -r ".[0][\"$2\"]"; }

listen a; listen b
# The monitor is listening once it hears an event: an unknown tag, sent until one is heard.
for _ in $(seq $((50 * S))); do
  raw b $B1 $A1 "$(payload 0x777)"
  [ "$(count a unknown-tag 0x777)" -ge 1 ] && break
  sleep 0.2
done
check "an unknown tag: an unknown-tag event with the tag and the packet's addresses" \
  "$A1 $B1" "$(tail -n1 $work/a.events | cut -d' ' -f2- |
    jq -r '.msg | "\(.["local-locator"][0]) \(.["peer-locator"][0])"')"


# The negotiation trigger heuristic, before any context: a pair's traffic is
# counted both ways, and a pair worth a context is reported once.
settings() { rv6 -j -n "$1" shim6 settings | jq -r '.[0] | "\(if .trigger == true or .trigger == 1 then "on" else "off" end) \(.["trigger-bytes"]) \(.["trigger-seconds"])"'; }
check "settings: the trigger heuristic is on, 2048 bytes or 60 s" "on 2048 60" "$(settings a)"
rv6 -n a shim6 settings set trigger-bytes 400
stream a $B1 1
wait_for $work/a.events '"trigger"' >/dev/null
check "UDP a -> b past 400 bytes: one trigger event for the pair (a1, b1)" "1 $A1 $B1 0" \
  "$(count a trigger) $(grep '"trigger"' $work/a.events | cut -d' ' -f2- |
     jq -r '.msg | "\(.["ulid-local"]) \(.["ulid-peer"])"') $(count b trigger)"
pairs=$(counter a trigger-pairs)
ip netns exec a ping -q -c 3 -i 0.2 -s 1000 $B2 >/dev/null 2>&1
check "ICMPv6 does not count: no new pair, no event" "$pairs 1" "$(counter a trigger-pairs) $(count a trigger)"
rv6 -n a shim6 settings set trigger off
stream a $B2 1
check "trigger off: the pairs are forgotten and nothing counts" "off 0 1" \
  "$(settings a | cut -d' ' -f1) $(counter a trigger-pairs) $(count a trigger)"
rv6 -n a shim6 settings set trigger on trigger-bytes 2048

rv6 -n a shim6 context add local-tag $TA peer-tag $TB ulid-local $A1 ulid-peer $B1 \
  local-locators $A1,$A2 peer-locators $B1,$B2 send-timeout $T keepalive-timeout $T
rv6 -n b shim6 context add local-tag $TB peer-tag $TA ulid-local $B1 ulid-peer $A1 \
  local-locators $B1,$B2 peer-locators $A1,$A2 send-timeout $T keepalive-timeout $T
check "a context shows its REAP state and timeouts" "operational $T $T 600000" \
  "$(rv6 -j -n a shim6 context show | jq -r '.[0] | "\(.["reap-state"]) \(.["send-timeout"]) \(.["keepalive-timeout"]) \(.["idle-timeout"])"')"

# Payload one way, b to a (a listens, answers nothing): a's kernel asks for a
# Keepalive each Keepalive Interval (0.5 s), b's reports its Send Timeout.
ip netns exec a socat -u UDP6-RECV:9000 /dev/null & pids+=($!)
wait_listening a udp 9000
t0=$EPOCHREALTIME
stream b $A1 3
sleep 0.5
# The stream's length as the guest saw it: a loaded guest stretches its 3 s.
most=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%d\n", (b - a) * 2 + 3 }')
ka=$(count a keepalive $TA)
# Two a second (three per Keepalive Timer, restarted by the next packet in);
# one per packet would be ten a second, 100 ms apart.
check "one-way payload in: keepalives due at the interval (4 to 2 a second of the stream + 3, >= 150 ms apart)" yes \
  "$([ "$ka" -ge 4 ] && [ "$ka" -le "$most" ] && [ "$(gaps a keepalive)" -ge 150 ] && echo yes ||
     echo "no: $ka (at most $most), gap $(gaps a keepalive) ms")"
check "one-way payload out: the sender's Send Timeout, once, and it explores" "1 exploring" \
  "$(count b send-timeout $TB) $(state b)"
check "... while the receiver stays operational" operational "$(state a)"

if ! quick; then
  # The daemon's answer to a's keepalive events, sent by hand: Keepalives from a
  # keep b's Send Timer from expiring while b streams to a.
  rv6 -n b shim6 context set local-tag $TB reap operational
  before=$(count b send-timeout)
  ka=$(keepalive $TB)
  ctl=$(counter b control-in)
  # Keepalives every 0.3 s until 2 s after the stream's last packet.
  REPEAT=200 GAP=0.3 raw a $A1 $B1 "$ka" & kpid=$!
  # The stream starts once the Keepalives flow (python starts slowly under TCG).
  for _ in $(seq $((50 * S))); do [ "$(counter b control-in)" -gt "$ctl" ] && break; sleep 0.1; done
  stream b $A1 3
  sleep 2; kill $kpid; wait $kpid 2>/dev/null
  check "Keepalives from the peer stop the Send Timer: no Send Timeout in the 3 s stream" "0 operational" \
    "$(( $(count b send-timeout) - before )) $(state b)"
  check "... and the kernel counted them as control messages" yes \
    "$([ "$(counter b control-in)" -ge 8 ] && echo yes || echo "no: $(counter b control-in)")"
fi

# A working path, then cut: ping a -> b on the ULIDs (through r1), answered,
# reports nothing; cut, the Send Timeout is reported within 1.5 s (+1 s slack).
rv6 -n a shim6 context set local-tag $TA reap operational
rv6 -n b shim6 context set local-tag $TB reap operational
ip netns exec a ping -q -i 0.1 -c 15 $B1 >/dev/null 2>&1
check "an answered ping reports no Send Timeout" 0 "$(count a send-timeout)"
ip netns exec a ping -q -i 0.1 -c 60 -W 1 $B1 >/dev/null 2>&1 & ppid=$!; pids+=($ppid)
sleep 0.5
# (The router keeps its address on the link while it is down, as a router
# whose provider link fails does; by default Linux would drop it.)
ip netns exec r1 sysctl -qw net.ipv6.conf.rb.keep_addr_on_down=1
ip -n r1 link set rb down; cut=$EPOCHREALTIME
wait_for $work/a.events '"send-timeout"' >/dev/null
first=$(events a send-timeout | head -n1)
check "a cut path: the Send Timeout reported within the timeout (and 1 s of slack)" yes \
  "$(awk -v c="$cut" -v e="${first:-0}" 'BEGIN { d = (e - c) * 1000;
       print (e > 0 && d >= 0 && d <= 2500) ? "yes" : "no: " d " ms" }')"
check "... and the context explores" exploring "$(state a)"
kill $ppid 2>/dev/null; wait $ppid 2>/dev/null
# The peer's payload comes in while exploring: one inbound event, however much.
ip -n r1 link set rb up
ip netns exec b ping -q -i 0.1 -c 5 $A1 >/dev/null 2>&1
check "payload in while exploring: one inbound event" 1 "$(count a inbound $TA)"
# An Update Request is payload to REAP (RFC 5534 §4.1): one from b while a
# explores is an inbound event too.
rv6 -n a shim6 context set local-tag $TA reap exploring
raw b $B1 $A1 "$(keepalive $TA 40)"
wait_for $work/a.events '"inbound"' 2 >/dev/null
check "an Update Request in while exploring: an inbound event too" 2 "$(count a inbound $TA)"

# Rewritten payload is counted by the XFRM output and the input handler, which
# find the context anyway (the hooks leave packets in a Shim6 bundle to them):
# on pair (a2, b2), a stream from a that b never answers is a's Send Timeout,
# and b's kernel asks for Keepalives.
rv6 -n a shim6 context set local-tag $TA reap operational pair $A2 $B2
rv6 -n b shim6 context set local-tag $TB reap operational pair $B2 $A2
ip netns exec b socat -u UDP6-RECV:9000 /dev/null & pids+=($!)
wait_listening b udp 9000
sent=$(counter a payload-out) st=$(count a send-timeout $TA) ka=$(count b keepalive $TB)
stream a $B1 3
# The event reaches the monitor's file after the kernel's state says so: wait
# for it (under load, well after the stream: a CI run with the host tests
# beside the guests once took more than 10 s).
for _ in $(seq $((300 * S))); do [ "$(count a send-timeout $TA)" -gt "$st" ] && break; sleep 0.1; done
out=$(( $(counter a payload-out) - sent ))
check "rewritten payload out, unanswered: one Send Timeout, counted by the XFRM output" "1 exploring yes" \
  "$(( $(count a send-timeout $TA) - st )) $(state a) $([ $out -ge 20 ] && echo yes || echo "no: $out rewritten")"
check "... and b's kernel asked for Keepalives, counted by the input handler" yes \
  "$([ "$(count b keepalive $TB)" -gt "$ka" ] && echo yes || echo "no: $ka before, $(count b keepalive $TB) after")"
rv6 -n a shim6 context set local-tag $TA reap operational pair $A1 $B1
rv6 -n b shim6 context set local-tag $TB reap operational pair $B1 $A1

if ! quick; then
  rv6 -n a shim6 context set local-tag $TA reap operational idle-timeout 1000
  check "context-set: back to operational with a new idle timeout" "operational 1000" \
    "$(rv6 -j -n a shim6 context show | jq -r '.[0] | "\(.["reap-state"]) \(.["idle-timeout"])"')"
  wait_for $work/a.events '"idle"' >/dev/null
  check "no packet for the idle timeout: an idle event" 1 "$(count a idle $TA)"

  # Unknown tags from a flood: at most 20 events a second, the rest counted lost.
  lost=$(counter a events-lost)
  pkts=(); for i in $(seq 200); do pkts+=("$(payload $((0x1000 + i)))"); done
  t0=$(count a unknown-tag)
  raw b $B1 $A1 "${pkts[@]}"
  sleep 0.5
  got=$(( $(count a unknown-tag) - t0 ))
  check "200 unknown tags at once: rate-limited events, the rest counted lost" yes \
    "$([ "$got" -ge 1 ] && [ "$got" -le 40 ] && [ "$(counter a events-lost)" -gt "$lost" ] &&
       echo yes || echo "no: $got events, lost $(counter a events-lost)")"
fi

# Events are for the daemon: joining the group needs CAP_NET_ADMIN.
out=$(ip netns exec a setpriv --reuid=nobody --regid=nogroup --clear-groups -- \
  "$top/tools/target/release/rv6" monitor rv6-shim6 2>&1); rc=$?
check "monitor as nobody: refused" "yes" \
  "$([ $rc != 0 ] && grep -q 'Operation not permitted' <<<"$out" && echo yes || echo "no: $rc $out")"

# Unloading with contexts whose timers are armed (traffic both ways just now).
stop
ip netns exec a ping -q -i 0.1 -c 3 $B1 >/dev/null 2>&1
check "rmmod with live contexts and armed REAP timers works" gone \
  "$(rmmod rv6_shim6 2>&1 && ! grep -q '^rv6_shim6 ' /proc/modules && echo gone)"

ktap_finished
