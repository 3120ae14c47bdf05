#!/bin/bash
# REAP (RFC 5534) end to end between two shim6d daemons on the two multihomed
# hosts of shim6_setup (topo.sh), with no context set by hand.  A TCP transfer
# from a's ULID to b's sets the context up (the trigger heuristic); then r1,
# the router of the ULIDs' path, loses its link to a mid-transfer.  The
# kernels report their Send Timeout (2 s, each told the other's in a Keepalive
# Timeout option), the daemons probe the locator pairs in turn, and both
# kernels end up on (a2, b2) in reap-state operational: the transfer
# completes byte-exact.  The failover time (the cut to the first TCP data on
# the new pair, in guest time) is printed and bounded by what the settings
# allow.  UDP one way then makes b send Keepalives.  Then b gains a locator,
# b3, which its daemon (following b's addresses) sends to a in an Update
# Request; after the next cut, which leaves only (a1, b3) working, both
# kernels end up on it and a second transfer arrives byte-exact.  The control
# messages r2 saw go through tshark (its 4.0 quirk on Probes) and the suite's
# scapy layer.
# The daemons' logs (stamped lines) are printed when anything fails.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/shim6d_lib.sh"
A1=2001:db8:a1::1 A2=2001:db8:a2::1 B1=2001:db8:b1::1 B2=2001:db8:b2::1
SHIM6D=$top/tools/target/release/shim6d
work=/tmp/rv6-shim6d-failover; rm -rf $work; mkdir -p $work
# 4 MB at 400 kB/s: the cut falls in its middle.
SIZE=$((4 << 20)) RATE=400000 SEND_TIMEOUT=2

ktap_print_header
plan 20 20

pids=()
logs_shown=0
logs() {
  [ $logs_shown = 1 ] && return; logs_shown=1
  local h
  for h in a b; do
    ktap_print_msg "--- shim6d in $h, log:"
    grep -v ' bytes \(in\|out\) ' "$work/$h.log" 2>/dev/null | sed 's/^/# /'
    ktap_print_msg "--- shim6d in $h, stderr:"
    sed 's/^/# /' "$work/$h.err" 2>/dev/null
    ktap_print_msg "--- $h's contexts:"
    rv6 -n $h shim6 context show 2>&1 | sed 's/^/# /'
  done
  ktap_print_msg "--- sender:"; sed 's/^/# /' "$work/sender.out" 2>/dev/null
}
cleanup() { local st=$?; [ $st = 0 ] || logs; stop; shim6_cleanup; rm -rf $work; }
trap cleanup EXIT

[ -x "$SHIM6D" ] || ktap_exit_fail_msg "no $SHIM6D: build it with make tools"
ensure_module rv6_shim6 || ktap_exit_fail_msg "cannot load rv6_shim6"
shim6_setup
# The routers keep their addresses when a link goes down (to cut a path)
# and comes back (shim6_setup's other users expect them gone).
for r in r1 r2; do ip netns exec $r sysctl -qw net.ipv6.conf.all.keep_addr_on_down=1; done

# a's heuristic alone asks for the context (as in shim6d.sh).
rv6 -n b shim6 settings set trigger-bytes 1000000
daemon a a --send-timeout $SEND_TIMEOUT; pid_a=$pid
daemon_host b b $B1 --send-timeout $SEND_TIMEOUT; pid_b=$pid

head -c $SIZE /dev/urandom >$work/data
ip netns exec b socat -u TCP6-LISTEN:9100,bind=[$B1],reuseaddr OPEN:$work/got,creat,trunc &
pids+=($!)
wait_listening b tcp 9100
# Everything r2 forwards from a: the probes, then the transfer's new path.
ip netns exec r2 tcpdump -U -i ra -w $work/r2.pcap ip6 2>$work/tcpdump.err & pids+=($!)
wait_for $work/tcpdump.err "listening on" >/dev/null

# send PORT FILE OUT: sends FILE from a's ULID to b's PORT, paced at RATE
# bytes a second, in the background ($sender), its report in OUT.
send() {
  ip netns exec a python3 - "$A1" "$B1" "$1" "$2" $RATE >"$3" 2>&1 <<'PY' &
import socket, sys, time
src, dst, port, path, rate = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], float(sys.argv[5])
data = open(path, "rb").read()
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.bind((src, 0))
s.connect((dst, port))
t0, sent = time.monotonic(), 0
while sent < len(data):
    s.sendall(data[sent:sent + 16384])
    sent = min(sent + 16384, len(data))
    ahead = sent / rate - (time.monotonic() - t0)
    if ahead > 0:
        time.sleep(ahead)
s.shutdown(socket.SHUT_WR)
s.recv(1)
print(f"sent {sent} bytes in {time.monotonic() - t0:.1f} s")
PY
  sender=$!; pids+=($sender)
}
send 9100 $work/data $work/sender.out

wait_for $work/a.log ': I2-SENT -> ESTABLISHED' >/dev/null
wait_for $work/a.log 'kernel: context-add' >/dev/null
wait_for $work/b.log 'kernel: context-add' >/dev/null
check "the transfer's bytes set the context up: a's kernel has it on the ULIDs" \
  "1 $A1 $B1 $A1,$A2 $B1,$B2 $A1 $B1" "$(context a)"
check "both kernels took the Send Timeout and the peer's (Keepalive Timeout option)" \
  "2000 2000 2000 2000" \
  "$(for h in a b; do rv6 -j -n $h shim6 context show | jq -r '.[0] | "\(.["send-timeout"]) \(.["keepalive-timeout"])"'; done | paste -sd' ' -)"
check "the I2 and R2 carried keepalive-timeout $SEND_TIMEOUT" "1 1" \
  "$(grep -c "sent I2 .* keepalive-timeout $SEND_TIMEOUT " $work/a.log) $(grep -c "sent R2 .* keepalive-timeout $SEND_TIMEOUT " $work/b.log)"

# A second of transfer on the ULIDs; then r1 loses its link to a.
sleep 1
got_before=$(stat -c %s $work/got)
t_cut=$EPOCHREALTIME
ip -n r1 link set ra down
mark_a=$(($(wc -l <$work/a.log) + 1)) mark_b=$(($(wc -l <$work/b.log) + 1))

wait_context a " $A2 $B2\$"
wait_context b " $B2 $A2\$"
for _ in $(seq $((600 * S))); do gone $sender && break; sleep 0.1; done
wait $sender; st=$?
check "the sender finished" "0 $SIZE" "$st $(grep -oE '^sent [0-9]+' $work/sender.out | cut -d' ' -f2)"
for _ in $(seq $((100 * S))); do [ "$(stat -c %s $work/got)" = $SIZE ] && break; sleep 0.1; done
check "the transfer was under way at the cut and arrived byte-exact" "yes yes" \
  "$([ "$got_before" -gt 0 ] && [ "$got_before" -lt $SIZE ] && echo yes || echo "no ($got_before)") $(cmp -s $work/data $work/got && echo yes || echo no)"

check "a's kernel reported the Send Timeout and a's daemon explored" "yes yes" \
  "$(tail -n +$mark_a $work/a.log | grep -q 'event send-timeout tag' && echo yes || echo no) $(tail -n +$mark_a $work/a.log | grep -q 'REAP Operational -> Exploring' && echo yes || echo no)"
probes=$(tail -n +$mark_a $work/a.log | grep -oE 'sent Probe tag 0x[0-9a-f]+ state Exploring .*\(([0-9a-f:]+) -> ([0-9a-f:]+)\)$' |
  grep -oE '\([^)]*\)$' | awk '!seen[$0]++' | paste -sd' ' -)
# b's Send Timer may expire too (its last ACK went unanswered): then the
# first to hear the other's probe on (a2, b2) stops walking, in InboundOk.
order="($A1 -> $B1) ($A1 -> $B2) ($A2 -> $B1) ($A2 -> $B2)"
check "a's exploring probes went to the pairs in turn from the ULIDs', as far as it walked" yes \
  "$([ -n "$probes" ] && [ "${order#"$probes"}" != "$order" ] && echo yes || echo "no: $probes")"
check "b probed back on (b2, a2)" yes \
  "$(tail -n +$mark_b $work/b.log | grep -qE "sent Probe tag 0x[0-9a-f]+ state [A-Za-z]+ .*\($B2 -> $A2\)\$" && echo yes || echo no)"
check "both daemons set their kernel operational on the new pair" "1 1" \
  "$(tail -n +$mark_a $work/a.log | grep -cE "kernel: context-set local-tag 0x[0-9a-f]+ reap operational pair $A2 $B2\$") $(tail -n +$mark_b $work/b.log | grep -cE "kernel: context-set local-tag 0x[0-9a-f]+ reap operational pair $B2 $A2\$")"
check "both kernels: operational on (a2, b2)" \
  "operational $A2 $B2|operational $B2 $A2" \
  "$(for h in a b; do rv6 -j -n $h shim6 context show | jq -r '.[0] | "\(.["reap-state"]) \(.["current-local"]) \(.["current-peer"])"'; done | paste -sd'|' -)"
check "a's kernel told TCP of the new path" yes \
  "$([ "$(counter a tcp-told)" -ge 1 ] && echo yes || echo no)"

# The failover: the cut to the first TCP data segment a2 -> b2 on r2.
first=$(tshark -r $work/r2.pcap -Y "ipv6.src == $A2 && ipv6.dst == $B2 && tcp.len > 0" \
  -T fields -e frame.time_epoch 2>/dev/null | head -n1)
ms=$(awk -v a="$t_cut" -v b="$first" 'BEGIN { if (b == "") print -1; else printf "%d\n", (b - a) * 1000 }')
ktap_print_msg "failover: ${ms} ms from the cut to the first data on (a2, b2) (Send Timeout ${SEND_TIMEOUT} s)"
echo "$ms" >"${RV6_OUT:-$work}/shim6d_failover.ms" 2>/dev/null || true
# Bound: the Send Timeout, four probes 0.5 s apart, and TCP's backoff at the
# cut (its retransmission timer reaches a few seconds), each stretched by
# a loaded guest.
check "data flowed on (a2, b2) within $((SEND_TIMEOUT + 10)) s of the cut" yes \
  "$([ "$ms" -ge $((SEND_TIMEOUT * 1000)) ] && [ "$ms" -le $(((SEND_TIMEOUT + 10) * 1000 * S)) ] && echo yes || echo "no ($ms ms)")"

# Payload one way on the new pair: b receives and sends nothing back, so its
# kernel asks for Keepalives, which b's daemon sends on the current pair; a
# hears them and does not explore.
mark_a=$(($(wc -l <$work/a.log) + 1)) mark_b=$(($(wc -l <$work/b.log) + 1))
ip netns exec b socat -u UDP6-RECV:9000 /dev/null & pids+=($!)
wait_listening b udp 9000
ip netns exec a python3 - "$A1" "$B1" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 0))
for _ in range(40):
    s.sendto(b"k" * 100, (sys.argv[2], 9000))
    time.sleep(0.1)
PY
check "UDP one way: b sent Keepalives on (b2, a2), a received them and did not explore" "yes yes 0" \
  "$(tail -n +$mark_b $work/b.log | grep -qE "sent Keepalive tag 0x[0-9a-f]+ \($B2 -> $A2\)\$" && echo yes || echo no) $(tail -n +$mark_a $work/a.log | grep -q 'received Keepalive tag' && echo yes || echo no) $(tail -n +$mark_a $work/a.log | grep -c 'event send-timeout')"

# A locator added on b reaches a by Update Request and is what works after
# the next cut: b gains b3 (behind r1, beside b1), a's kernel learns it; r1
# comes back but drops everything for b1, and r2 loses its link to a.  The
# only pair left is (a1, b3).
mark_a=$(($(wc -l <$work/a.log) + 1)) mark_b=$(($(wc -l <$work/b.log) + 1))
B3=2001:db8:b3::1
ip -n r1 addr add 2001:db8:b3::ff/64 dev rb nodad
ip -n a route add 2001:db8:b3::/64 via 2001:db8:a1::ff
ip -n b addr add $B3/64 dev b1 nodad
wait_context a " $B1,$B2,$B3 "
check "b3 reached a's kernel by b's Update Request, acknowledged" \
  "sent Update-Request,received Update-Ack|received Update-Request,sent Update-Ack" \
  "$(updates b $mark_b)|$(updates a $mark_a)"
ip -n r1 link set ra up
ip -n r1 route add blackhole $B1/128
head -c $((SIZE / 2)) /dev/urandom >$work/data2
ip netns exec b socat -u TCP6-LISTEN:9101,bind=[$B1],reuseaddr OPEN:$work/got2,creat,trunc &
pids+=($!)
wait_listening b tcp 9101
send 9101 $work/data2 $work/sender2.out
sleep 1
mark_a=$(($(wc -l <$work/a.log) + 1))
ip -n r2 link set ra down
wait_context a " $A1 $B3\$"
wait_context b " $B3 $A1\$"
for _ in $(seq $((600 * S))); do gone $sender && break; sleep 0.1; done
wait $sender; st=$?
for _ in $(seq $((100 * S))); do [ "$(stat -c %s $work/got2)" = $((SIZE / 2)) ] && break; sleep 0.1; done
check "r2 cut, b1 dropped at r1: both kernels on (a1, b3), the second transfer byte-exact" "0 yes" \
  "$st $(cmp -s $work/data2 $work/got2 && echo yes || echo no)"
check "a explored to get there" yes \
  "$(tail -n +$mark_a $work/a.log | grep -q 'REAP Operational -> Exploring' && echo yes || echo no)"

# The control messages r2 saw, through two decoders.  tshark 4.0's shim6
# dissector reads the type-specific fields one byte early and then finds no
# options (its quirk, see test_shim6_layer.py): it reads every message's type
# and checksum right, but a Probe's counts and an Update Request's options
# come out wrong, and it marks them malformed.  So: tshark for every message's
# type and checksum, and no malformed mark on the types the quirk leaves
# alone; the suite's scapy layer for every message whole (its length, its
# options, each Probe's counts, state and reports, the first its own).
tshark -r $work/r2.pcap -Y 'shim6.p == 0' -T fields -e shim6.type -e shim6.checksum.status \
  -e _ws.malformed 2>/dev/null | sort | uniq -c | sed 's/^ *//' >$work/tshark.txt
check "tshark: every control message a known type, its checksum good, none malformed but Probes and Update Requests (its quirk)" yes \
  "$(awk '$3 != 1 || ($2 != 67 && $2 != 64 && NF > 3) { bad = 1 } { n += $1 } END { print (n >= 2 && !bad) ? "yes" : "no" }' $work/tshark.txt)"
[ "$KTAP_CNT_FAIL" = 0 ] || sed 's/^/# tshark: /' $work/tshark.txt
control=$(python3 - $work/r2.pcap "$top/tools/testing/conformance/shim6" <<'PY'
import sys
sys.path.insert(0, sys.argv[2])
from scapy.all import IPv6, rdpcap
from shim6_layer import Shim6, Shim6OptUnknown, Shim6Payload, Shim6Probe, Shim6Unknown, shim6_checksum
good, bad, probes = 0, [], 0
for p in rdpcap(sys.argv[1]):
    m = p.getlayer(Shim6) if IPv6 in p else None
    if m is None or isinstance(m, Shim6Payload):
        continue
    raw = bytes(m)[:(m.len + 1) * 8]
    ok = (shim6_checksum(raw) == 0 and not isinstance(m, Shim6Unknown)
          and not any(isinstance(o, Shim6OptUnknown) for o in getattr(m, "options", [])))
    if isinstance(m, Shim6Probe):
        ip = p[IPv6]
        probes += 1
        ok = (ok and m.psent == len(m.sent) >= 1 and m.precvd == len(m.received)
              and (m.sent[0].src, m.sent[0].dst) == (ip.src, ip.dst) and m.sta in (0, 1, 2)
              and len(raw) == 16 + 40 * (m.psent + m.precvd))
    good += ok
    if not ok:
        bad.append(m.summary())
print(good, len(bad), probes, *bad[:3])
PY
)
check "scapy's Shim6 layer: every control message on r2 whole, every Probe's first report its own" yes \
  "$(set -- $control; [ "${1:-0}" -ge 2 ] && [ "${2:-1}" = 0 ] && [ "${3:-0}" -ge 1 ] && echo yes || echo "no ($control)")"

terminate $pid_a; st_a=$status
terminate $pid_b; st_b=$status
check "SIGTERM to both daemons: each exits 0, its kernel has no context" "0 0 0 0" \
  "$st_a $st_b $(context a) $(context b)"
check "nothing on the daemons' stderr" "" "$(cat $work/a.err $work/b.err)"

[ "$KTAP_CNT_FAIL" = 0 ] || logs
ktap_finished
