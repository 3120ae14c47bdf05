#!/bin/bash
# rv6_shim6's data path between two multihomed hosts (shim6_setup in
# topo.sh), contexts set up by hand with rv6 shim6 as the daemon will after
# its four-way exchange: traffic between the ULIDs takes the current locator
# pair, with a payload extension header exactly when the pair is not the
# ULIDs; a forked context (FII) takes the flows marked with its FII; a TCP
# transfer survives a pair switch in its middle, byte-exact; fragments carry
# the Shim6 header before the Fragment header; ESP between the ULIDs works
# above the shim; a pair change moves the XFRM state in place and tells TCP,
# which retransmits at once instead of after its backed-off timer; an unknown
# tag or a foreign locator is dropped and counted; contexts are per
# namespace; rmmod is refused while a context is rewritten and works once the
# contexts are gone.
. "$(dirname "$0")/../lib.sh"
A1=2001:db8:a1::1 A2=2001:db8:a2::1 B1=2001:db8:b1::1 B2=2001:db8:b2::1
TA=0x1a0000000001 TB=0x1b0000000002
work=/tmp/rv6-shim6; mkdir -p $work

ktap_print_header
plan 37 25
ensure_module rv6_shim6 || ktap_exit_fail_msg "cannot load rv6_shim6"
trap 'shim6_cleanup; rm -rf $work' EXIT
shim6_setup

# counter NS NAME: one of the namespace's rv6-shim6 counters.
counter() { rv6 -j -n "$1" shim6 stats | jq -r ".[0][\"$2\"]"; }
# tx NS TAG / rx NS TAG: a context's packet counters.
tx() { rv6 -j -n "$1" shim6 context show local-tag "$2" | jq '.[0]."tx-packets"'; }
rx() { rv6 -j -n "$1" shim6 context show local-tag "$2" | jq '.[0]."rx-packets"'; }
# pair NS LOCAL PEER: switches the namespace's one context to a locator pair.
pair() { local tag=$TA; [ "$1" = b ] && tag=$TB; rv6 -n "$1" shim6 context set local-tag $tag pair "$2" "$3"; }
# capture NS DEV FILE: records NS's DEV to FILE from when it returns.
capture() {
  # --immediate-mode: no packet waits in the ring for a block timeout when tcpdump is killed.
  ip netns exec "$1" tcpdump --immediate-mode -n -U -i "$2" -w "$3" ip6 >/dev/null 2>"$3.log" &
  capture_pid=$!
  wait_for "$3.log" "listening on"
}
# stop_capture: ends the capture capture() started, and only that one; a tcpdump
# that does not exit within 5 s is reported with where it sleeps, and killed.
stop_capture() {
  kill "$capture_pid" 2>/dev/null
  for _ in $(seq $((50 * S))); do kill -0 "$capture_pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$capture_pid" 2>/dev/null; then
    ktap_print_msg "tcpdump $capture_pid still running 5 s after SIGTERM: $(tr '\n' ' ' </proc/$capture_pid/stack 2>/dev/null)"
    echo w >/proc/sysrq-trigger 2>/dev/null
    kill -9 "$capture_pid" 2>/dev/null
  fi
  wait "$capture_pid" 2>/dev/null
}
ping_ok() { ip netns exec a ping -q -c 3 -i 0.2 -W 3 $B1 >/dev/null 2>&1 && echo pass || echo fail; }

rv6 -n a shim6 context add local-tag $TA peer-tag $TB ulid-local $A1 ulid-peer $B1 \
  local-locators $A1,$A2 peer-locators $B1,$B2
rv6 -n b shim6 context add local-tag $TB peer-tag $TA ulid-local $B1 ulid-peer $A1 \
  local-locators $B1,$B2 peer-locators $A1,$A2
check "a context on its ULIDs: the ULIDs' path works" pass "$(ping_ok)"
check "... and no packet was rewritten" "0 0" "$(counter a payload-out) $(counter b payload-in)"
check "a context on its ULIDs installs no XFRM state" 0 "$(ip -n a xfrm state | grep -c 'proto 140')"

# A forked context (RFC 5533 §5.15.3), FII 7, on pair (a2, b2) beside the
# unforked one on the ULIDs: the flows marked 7 take the fork, the rest the
# ULIDs.  b answers unmarked, through its unforked context.  Not in the quick
# subset: the fork's XFRM objects take the paths every rewritten context's do.
forked=0
if ! quick; then
forked=3
FA=0x1a0000000007 FB=0x1b0000000007
rv6 -n a shim6 context add local-tag $FA peer-tag $FB ulid-local $A1 ulid-peer $B1 \
  local-locators $A1,$A2 peer-locators $B1,$B2 pair $A2 $B2 fii 7
rv6 -n b shim6 context add local-tag $FB peer-tag $FA ulid-local $B1 ulid-peer $A1 \
  local-locators $B1,$B2 peer-locators $A1,$A2 pair $B2 $A2 fii 7
ip netns exec a ping -q -c 3 -i 0.2 -W 3 $B1 >/dev/null 2>&1
ip netns exec a ping -q -m 7 -c 3 -i 0.2 -W 3 $B1 >/dev/null 2>&1
check "fork FII 7: the marked pings went rewritten with the fork's tags, the others on the ULIDs" \
  "3 3 0" "$(tx a $FA) $(rx b $FB) $(tx a $TA)"
rv6 -n a shim6 context set local-tag $FA pair $A1 $B1
ip netns exec a ping -q -m 7 -c 3 -i 0.2 -W 3 $B1 >/dev/null 2>&1
check "... the fork back on its ULIDs: its flows leave unchanged, its policy stays, its state goes" \
  "3 1 0" "$(tx a $FA) $(ip -n a xfrm policy list ptype sub | grep -c 'proto 140') $(ip -n a xfrm state | grep -c 'proto 140')"
out=$(rv6 -n a shim6 context add local-tag 0x1a0000000008 peer-tag 0x1b0000000008 ulid-local $A1 ulid-peer $B1 fii 7 2>&1); rc=$?
check "a second context with the same ULIDs and FII: EEXIST with the kernel's message" "1 yes" \
  "$rc $(grep -q 'a context has this ULID pair and FII' <<<"$out" && echo yes || echo "no: $out")"
rv6 -n a shim6 context del local-tag $FA; rv6 -n b shim6 context del local-tag $FB
fi

# Both ends move to the second pair; r1 stops forwarding, so only r2's path works.
pair a $A2 $B2; pair b $B2 $A2
ip netns exec r1 sysctl -qw net.ipv6.conf.all.forwarding=0
check "pair (a2, b2): the kernel's XFRM state and sub policy for the ULID pair" "1 1" \
  "$(ip -n a xfrm state | grep -c 'proto 140') $(ip -n a xfrm policy list ptype sub | grep -c 'proto 140')"
check "ip xfrm state deleteall cannot remove the kernel's state" 1 \
  "$(ip -n a xfrm state deleteall >/dev/null 2>&1; ip -n a xfrm state | grep -c 'proto 140')"
# tshark costs tens of seconds on the debug kernel: the quick subset captures nothing.
quick || capture r2 ra $work/r2.pcap
check "pair (a2, b2): ping between the ULIDs goes through r2" pass "$(ping_ok)"
check "... rewritten both ways, counted per context and per namespace (the fork's before)" \
  "3 3 3 3 $((3 + forked)) $((3 + forked))" "$(tx a $TA) $(rx b $TB) $(tx b $TB) $(rx a $TA) $(counter a payload-out) $(counter b payload-in)"
if ! quick; then
  stop_capture
  # On r2's link: the locators, a payload header (next header 140).
  got=$(tshark -r $work/r2.pcap -Y 'ipv6.src == 2001:db8:a2::1 && ipv6.dst == 2001:db8:b2::1 && ipv6.nxt == 140' \
    -T fields -e ipv6.src 2>/dev/null | wc -l)
  check "r2 saw the echo requests from a2 to b2 with a Shim6 header" 3 "$got"
  # tshark's own Shim6 dissector (Wireshark's shows the tag only as text).
  got=$(tshark -r $work/r2.pcap -Y 'shim6 && ipv6.src == 2001:db8:a2::1' -T fields \
    -e shim6.p -e shim6.nxt -e shim6.len -e icmpv6.type 2>/dev/null | sort -u)
  check "tshark decodes the payload header: P set, next header ICMPv6, 8 bytes, then an echo" \
    "1	58	0	128" "$got"
  # The upper-layer checksum on the wire is the one over the ULIDs, and the
  # tag is b's.  Then, from the same Python (a scapy import costs tens of
  # seconds under TCG), bad input as a Tester in r1's place: payload headers
  # to b with an unknown tag, and with b's tag from an address that is not
  # one of a's locators.
  before="$(counter b unknown-tag) $(counter b foreign-locator)"
  got=$(ip netns exec r1 python3 - $work/r2.pcap <<'PY'
import logging
import sys
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.compat import raw
from scapy.config import conf
from scapy.layers.inet6 import IPv6, ICMPv6EchoRequest, in6_chksum
from scapy.packet import Raw
from scapy.sendrecv import send
from scapy.utils import rdpcap
ok = 0
for p in rdpcap(sys.argv[1]):
    ip = p.getlayer(IPv6)
    if ip is None or ip.nh != 140 or ip.src != "2001:db8:a2::1":
        continue
    b = raw(ip.payload)
    tag = int.from_bytes(b[2:8], "big") & ((1 << 47) - 1)
    icmp = bytearray(b[8:])
    wire = int.from_bytes(icmp[2:4], "big")
    icmp[2:4] = b"\0\0"
    over_ulids = in6_chksum(58, IPv6(src="2001:db8:a1::1", dst="2001:db8:b1::1"), bytes(icmp))
    ok += tag == 0x1b0000000002 and b[0] == 58 and wire == over_ulids
print(ok, flush=True)
conf.verb = 0
def shim(tag, nh=58):
    # Next Header, Hdr Ext Len 0, P=1 and the 47-bit tag (RFC 5533 §5.2).
    return bytes([nh, 0]) + ((1 << 47) | tag).to_bytes(6, "big")
echo = bytes(ICMPv6EchoRequest(id=7, seq=1))
send(IPv6(src="2001:db8:a1::1", dst="2001:db8:b1::1", nh=140) / Raw(shim(0x123) + echo), iface="rb")
send(IPv6(src="2001:db8:b1::ff", dst="2001:db8:b1::1", nh=140) / Raw(shim(0x1b0000000002) + echo), iface="rb")
PY
)
  check "on the wire: b's tag, and the ICMPv6 checksum computed over the ULIDs" 3 "$got"
  check "unknown tag and foreign locator: each dropped and counted" \
    "$(echo "$before" | awk '{print $1 + 1, $2 + 1}')" "$(counter b unknown-tag) $(counter b foreign-locator)"
  # Shim6 sits below fragmentation (RFC 5533 §1.6, kernel/patches/0009): each
  # fragment carries the payload header, then the Fragment header, and b
  # reassembles between the ULIDs.
  capture r2 ra $work/frag.pcap
  check "a 3000-byte ping between the ULIDs on pair (a2, b2): answered" pass \
    "$(ip netns exec a ping -q -c 1 -s 3000 -W 3 $B1 >/dev/null 2>&1 && echo pass || echo fail)"
  stop_capture
  got=$(tshark -r $work/frag.pcap -Y 'ipv6.src == 2001:db8:a2::1 && ipv6.dst == 2001:db8:b2::1' \
    -T fields -e ipv6.nxt -e shim6.nxt 2>/dev/null | sort | uniq -c | awk '{print $2 "/" $3 "x" $1}')
  check "... its 3 fragments on r2's link: locators, Shim6 header, then the Fragment header" "140/44x3" "$got"
fi

# TCP between the ULIDs, switched back to the ULIDs' path in the middle.
# r2's link to b carries at most 1280 bytes: the first half, rewritten through
# r2, needs Path MTU Discovery, and r2's Packet Too Big quotes the locators and
# the Shim6 header, which only rv6_shim6 can map back to the TCP connection.
ip netns exec r1 sysctl -qw net.ipv6.conf.all.forwarding=1
ip -n r2 link set rb mtu 1280
pieces=8; quick && pieces=2
head -c $((pieces * 128 * 1024)) /dev/urandom >$work/in
ip netns exec b timeout $((120 * S)) socat -u TCP6-LISTEN:5001,reuseaddr OPEN:$work/out,creat,trunc &
srv=$!; wait_listening b tcp 5001
# The sender holds its second half until the pair has been switched, so that
# the switch lands mid-transfer however slow the kernel is.
rm -f $work/switched
( for i in $(seq 0 $((pieces - 1))); do
    if [ $i = $((pieces / 2)) ]; then
      for _ in $(seq $((300 * S))); do [ -e $work/switched ] && break; sleep 0.1; done
    fi
    dd if=$work/in bs=128k skip=$i count=1 status=none; sleep 0.1
  done ) | timeout $((100 * S)) ip netns exec a socat -u - TCP6:[$B1]:5001 &
cli=$!
# Switch once the first half is under way: some of its segments went rewritten.
for _ in $(seq $((100 * S))); do [ "$(counter a payload-out)" -gt 20 ] && break; sleep 0.1; done
pair a $A1 $B1; pair b $B1 $A1
before=$(counter a payload-out) got_then=$(stat -c %s $work/out 2>/dev/null || echo 0)
touch $work/switched
ip netns exec r2 sysctl -qw net.ipv6.conf.all.forwarding=0
wait $cli; wait $srv
check "TCP between the ULIDs: $((pieces * 128)) KiB intact across a pair switch" yes \
  "$(cmp -s $work/in $work/out && echo yes || echo no)"
check "... switched mid-transfer: the part before went rewritten, the rest not" yes \
  "$([ "$before" -gt 20 ] && [ "$(counter a payload-out)" = "$before" ] &&
     [ "$got_then" -lt $((pieces * 128 * 1024)) ] && echo yes ||
     echo "no: $before then $(counter a payload-out) packets, $got_then bytes in at the switch")"
check "Packet Too Big from r2 reached TCP through the context: counted, a2's route to b2 at 1280" \
  "yes 1280" "$([ "$(counter a icmp-errors)" -ge 1 ] && echo yes || echo no) $(ip -n a -6 route get $B2 from $A2 |
    grep -o 'mtu [0-9]*' | awk '{print $2}')"
check "back on the ULIDs: the state and policy are gone" 0 "$(ip -n a xfrm state | grep -c 'proto 140')"
ip netns exec r2 sysctl -qw net.ipv6.conf.all.forwarding=1

# IPsec above the shim (RFC 5533 §16): ESP transport SAs between the ULIDs, as
# an IKE daemon would install them, keep working on another locator pair; on
# the wire the payload header comes first and ESP after it.
# Not in the quick subset: xcbc.sh drives ESP on the debug kernel already.
if ! quick; then
  KE=0x0123456789abcdef0123456789abcdef KA=0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
  for n in a b; do
    ip -n $n xfrm state add src $A1 dst $B1 proto esp spi 0x100 mode transport enc 'cbc(aes)' $KE auth-trunc 'hmac(sha256)' $KA 128
    ip -n $n xfrm state add src $B1 dst $A1 proto esp spi 0x101 mode transport enc 'cbc(aes)' $KE auth-trunc 'hmac(sha256)' $KA 128
  done
  ip -n a xfrm policy add src $A1 dst $B1 dir out tmpl proto esp mode transport
  ip -n a xfrm policy add src $B1 dst $A1 dir in tmpl proto esp mode transport
  ip -n b xfrm policy add src $B1 dst $A1 dir out tmpl proto esp mode transport
  ip -n b xfrm policy add src $A1 dst $B1 dir in tmpl proto esp mode transport
  pair a $A2 $B2; pair b $B2 $A2
  ip netns exec r1 sysctl -qw net.ipv6.conf.all.forwarding=0
  capture r2 ra $work/esp.pcap
  check "ESP between the ULIDs on pair (a2, b2): ping works" pass "$(ping_ok)"
  stop_capture
  # Every packet from a2 to b2 on r2's link: the locators, then the Shim6
  # header, then ESP (ipv6.nxt and shim6.nxt per packet).
  got=$(tshark -r $work/esp.pcap -Y 'ipv6.src == 2001:db8:a2::1 && ipv6.dst == 2001:db8:b2::1' \
    -T fields -e ipv6.nxt -e shim6.nxt 2>/dev/null | sort | uniq -c | awk '{print $2 "/" $3 "x" ($1 > 0)}')
  check "... each packet on r2's link: locators, Shim6 header, then ESP" "140/50x1" "$got"
  ip netns exec r1 sysctl -qw net.ipv6.conf.all.forwarding=1
  pair a $A1 $B1; pair b $B1 $A1
  for n in a b; do ip -n $n xfrm policy flush; ip -n $n xfrm state flush; done
fi

# A path change under a stalled TCP connection.  r2 stops forwarding (and b
# goes back to its ULIDs, through r1) while a sends over pair (a2, b2): a's
# retransmission timer backs off, five times (its next expiry 6.4 s away).
# Then a's pair moves to (a2, b1), through r1: the kernel's XFRM state moves
# in place (same add time, new care-of address), and TCP is told
# (kernel/patches/0008): its backoff is reverted and it retransmits at once,
# where it would otherwise wait out its timer.
pair a $A2 $B2; pair b $B2 $A2
# (One process a call, as below.)
state_add() { local re='add ([0-9-]+ [0-9:]+)'; [[ $(ip -n a -s xfrm state) =~ $re ]] && echo "add ${BASH_REMATCH[1]}"; }
coa() { local re='coa ([0-9a-f:]+)'; [[ $(ip -n a xfrm state) =~ $re ]] && echo "coa ${BASH_REMATCH[1]}"; }
added=$(state_add)
kib=256; quick && kib=128
head -c $((kib * 1024)) /dev/urandom >$work/in2
ip netns exec b timeout $((120 * S)) socat -u TCP6-LISTEN:5002,reuseaddr OPEN:$work/out2,creat,trunc &
srv=$!; wait_listening b tcp 5002
rm -f $work/cut $work/moved
( for _ in $(seq $((300 * S))); do [ -e $work/cut ] && break; sleep 0.1; done
  dd if=$work/in2 bs=64k count=1 status=none
  for _ in $(seq $((300 * S))); do [ -e $work/moved ] && break; sleep 0.1; done
  dd if=$work/in2 bs=64k skip=1 status=none ) | timeout $((100 * S)) ip netns exec a socat -u - TCP6:[$B1]:5002 &
cli=$!
# backoff: a's retransmission backoff on the connection (ss shows it when not 0).
# One process a call: on the debug kernel each costs about a second.
conn() { ip netns exec a ss -tinH state established dst "[$B1]:5002"; }
backoff() { [[ $(conn) =~ backoff:([0-9]+) ]] && echo "${BASH_REMATCH[1]}" || echo 0; }
for _ in $(seq $((100 * S))); do [ -n "$(conn)" ] && break; sleep 0.1; done
ip netns exec r2 sysctl -qw net.ipv6.conf.all.forwarding=0
pair b $B1 $A1
sleep 1.1  # the move must fall in another second than the state's add
told=$(counter a tcp-told)
touch $work/cut
for _ in $(seq $((300 * S))); do was=$(backoff); [ "$was" -ge 5 ] && break; sleep 0.1; done
pair a $A2 $B1
now=$(backoff)
check "path change: a's XFRM state moved in place, to care-of b1" "$added coa $B1" "$(state_add) $(coa)"
check "... a's TCP told: backoff $was before (at least 5), at most 1 right after" "yes 1" \
  "$([ "$was" -ge 5 ] && [ "$now" -le 1 ] && echo yes || echo "no: $was then $now") $(( $(counter a tcp-told) - told ))"
touch $work/moved
wait $cli; wait $srv
check "... and the $kib KiB went through intact" yes "$(cmp -s $work/in2 $work/out2 && echo yes || echo no)"
ip netns exec r2 sysctl -qw net.ipv6.conf.all.forwarding=1
pair a $A1 $B1
check "path changes counted: a's two, b's one" "yes" \
  "$([ "$(counter a path-changes)" -ge 2 ] && [ "$(counter b path-changes)" -ge 1 ] && echo yes || echo no)"

# A barrage of random next-header-140 packets from r1 to b (RV6_FUZZ_N of
# them: 10^4, 10^5 on the debug kernel's full run, 500 in the quick subset):
# random lengths, P bits, lengths and tags, b's own tag among them.  Each must
# be dropped and counted exactly once (malformed, control, unknown tag or
# foreign locator: r1 is none of a's locators), and nothing may crash or leak.
fuzz_n=${RV6_FUZZ_N:-10000}; quick && fuzz_n=500
sum() { rv6 -j -n b shim6 stats | jq '.[0] | .malformed + ."control-in" + ."unknown-tag" + ."foreign-locator" + ."payload-in"'; }
before=$(sum)
ip netns exec r1 python3 - "$fuzz_n" <<'PY'
import random, socket, sys
r = random.Random(140)
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, 140)
for _ in range(int(sys.argv[1])):
    n = r.choice((0, 1, 7, 8, 8, 8, 16, r.randrange(64)))
    b = bytearray(r.randbytes(n))
    if n >= 8 and r.random() < 0.5:
        # A payload header: length 0, P set, an unknown tag or b's.
        tag = 0x1b0000000002 if r.random() < 0.3 else r.getrandbits(47)
        b[1] = 0
        b[2:8] = ((1 << 47) | tag).to_bytes(6, "big")
    s.sendto(bytes(b), ("2001:db8:b1::1", 0))
PY
for _ in $(seq 20); do [ "$(( $(sum) - before ))" -ge "$fuzz_n" ] && break; sleep 0.2; done
check "$fuzz_n random packets to b: each dropped and counted once" "$fuzz_n" "$(( $(sum) - before ))"
check "... and b's context still works" pass "$(ping_ok)"

check "contexts are per namespace: r1 has none, a one" "0 1" \
  "$(rv6 -j -n r1 shim6 context show | jq length) $(rv6 -j -n a shim6 context show | jq length)"
out=$(rv6 -n a shim6 context add local-tag $TA peer-tag $TB ulid-local $A1 ulid-peer $B1 2>&1); rc=$?
check "a taken local tag: EEXIST with the kernel's message" "1 yes" \
  "$rc $(grep -q 'a context has this local tag' <<<"$out" && echo yes || echo "no: $out")"
out=$(rv6 -n a shim6 context set local-tag $TA pair $A2 2001:db8:ff::1 2>&1); rc=$?
check "a current pair outside the locator sets: EINVAL with the kernel's message" "1 yes" \
  "$rc $(grep -q 'the current pair must come from the locator sets' <<<"$out" && echo yes || echo "no: $out")"
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$top/tools/target/release/rv6" -n a shim6 context flush 2>&1); rc=$?
check "context-flush as nobody: EPERM" "1 yes" "$rc $(grep -q 'Operation not permitted' <<<"$out" && echo yes || echo "no: $out")"

# A big table: b gets N more contexts, one request each (10^4; 10^3 in the
# quick subset), and the ULIDs' path still works through it; they are still
# there when the module goes below.
bulk=10000; quick && bulk=1000
check "$bulk more contexts in b: each added, a dump lists them all" \
  "added=$bulk errors=0 dumped=$((bulk + 1))" \
  "$(ip netns exec b env RV6_SRC="$RV6_SRC" python3 "$(dirname "$0")/shim6_bulk.py" $bulk 2>&1 | tail -n 1)"
check "... and the ULIDs' path still works beside them" pass "$(ping_ok)"

# Unloading: refused while a context is rewritten (its XFRM state pins the
# module), fine once the contexts are flushed.
pair a $A2 $B2
check "rmmod while a context is rewritten: refused" refused \
  "$(rmmod rv6_shim6 2>/dev/null && echo unloaded || echo refused)"
rv6 -n a shim6 context flush
for _ in $(seq 50); do rmmod rv6_shim6 2>/dev/null && break; sleep 0.2; done
check "rmmod once a's contexts are flushed (b's $((bulk + 1)) live on their ULIDs) works" gone \
  "$(grep -q '^rv6_shim6 ' /proc/modules && echo loaded || echo gone)"
# The quick subset stops at the unload: loading into live namespaces is
# nf_count's quick subset's business, on the same abstraction.
if ! quick; then
  ensure_module rv6_shim6
  check "loaded again: a fresh table" 0 "$(rv6 -j -n b shim6 context show | jq length)"
fi
ktap_finished
