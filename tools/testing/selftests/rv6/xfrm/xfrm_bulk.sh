#!/bin/bash
# rv6_xfrm_migrate: one request of the rv6-migrate family moves every policy
# and SA that uses an address that moved, driven by the kernel's own YNL
# client from the spec (Documentation/netlink/specs/rv6_xfrm_migrate.yaml)
# and by `rv6 xfrm bulk`.
#
# An ESP tunnel between two namespaces, SAs and out/in/fwd policies on each
# side set up with iproute2, carries a ping every 10 ms while a changes its
# address; one bulk request on each side moves everything: the plan dump
# and the dry run list what will move, the SAs keep their SPIs and counters,
# each policy's move is announced as an XFRM_MSG_MIGRATE with its
# KMADDRESS, no ping is lost once both sides moved.  Then all or nothing: a
# request that meets an SA in the way of its last policy moves the others
# back and fails naming the policy, leaving the policies and SAs as they
# were; the refusals (a null or mixed-family address, nothing to move, no
# CAP_NET_ADMIN); and 1000 policies moved while `ip xfrm state flush` runs.
#
#   a  va 2001:db8:1::a1 -> ::a2   lo 2001:db8:a::1 (inner)
#   b  vb 2001:db8:1::b            lo 2001:db8:b::1 (inner)
. "$(dirname "$0")/../lib.sh"
A1=2001:db8:1::a1 A2=2001:db8:1::a2 B=2001:db8:1::b B2=2001:db8:1::b2
IA=2001:db8:a::1 IB=2001:db8:b::1 NA=2001:db8:a::/64 NB=2001:db8:b::/64
work=/tmp/rv6-xfrm-bulk; rm -rf $work; mkdir -p $work
K1=0x1111111111111111111111111111111111111111111111111111111111111111
K2=0x2222222222222222222222222222222222222222
SPI_AB=0x1000 SPI_BA=0x2000

ktap_print_header
plan 20 19
pids=()
stop() { [ ${#pids[@]} = 0 ] || kill "${pids[@]}" 2>/dev/null; wait "${pids[@]}" 2>/dev/null; pids=(); }
cleanup() {
  stop
  for n in a b; do ip netns pids $n 2>/dev/null | xargs -r kill 2>/dev/null; done
  for n in a b; do ip -n $n xfrm state flush 2>/dev/null; ip -n $n xfrm policy flush 2>/dev/null; done
  for n in a b; do ip netns del $n 2>/dev/null; done
}
trap 'cleanup; rm -rf $work' EXIT
ensure_module rv6_xfrm_migrate || ktap_exit_fail_msg "cannot load rv6_xfrm_migrate"

tunnel_ends_setup a b $A1 $B $IA $IB $NA $NB

# tunnel NS SRC DST: the SA pair and the out/in/fwd policies of NS's end of the
# tunnel from SRC (its address) to DST, for the inner prefixes.  The out
# policy goes in first: the walk meets the newest policy first.
tunnel() {
  local ns=$1 src=$2 dst=$3 lnet=$NA rnet=$NB spi_out=$SPI_AB spi_in=$SPI_BA
  [ "$ns" = b ] && lnet=$NB rnet=$NA spi_out=$SPI_BA spi_in=$SPI_AB
  ip -n "$ns" -batch - <<<"xfrm state add src $src dst $dst proto esp spi $spi_out reqid 1 mode tunnel aead 'rfc4106(gcm(aes))' $K2 128
xfrm state add src $dst dst $src proto esp spi $spi_in reqid 1 mode tunnel aead 'rfc4106(gcm(aes))' $K2 128
xfrm policy add dir out src $lnet dst $rnet tmpl src $src dst $dst proto esp reqid 1 mode tunnel
xfrm policy add dir in src $rnet dst $lnet tmpl src $dst dst $src proto esp reqid 1 mode tunnel
xfrm policy add dir fwd src $rnet dst $lnet tmpl src $dst dst $src proto esp reqid 1 mode tunnel"
}
tunnel a $A1 $B
tunnel b $B $A1

# bulk NS JSON: the migrate request, YNL's JSON reply on stdout, its error on stderr.
bulk() { ip netns exec "$1" bash -c "$(declare -f ynl); top=$top RV6_SRC=$RV6_SRC ynl rv6_xfrm_migrate --do migrate --json '$2'"; }
plan_of() { ip netns exec "$1" bash -c "$(declare -f ynl); top=$top RV6_SRC=$RV6_SRC ynl rv6_xfrm_migrate --dump plan --json '$2'"; }
stats() { ip netns exec "$1" bash -c "$(declare -f ynl); top=$top RV6_SRC=$RV6_SRC ynl rv6_xfrm_migrate --do stats-get"; }
# spis NS: "SRC DST SPI" of each SA, sorted; sa_packets NS SPI: its packet count.
spis() { ip -n "$1" xfrm state | awk '/^src/ { s = $2; d = $4 } /proto esp spi/ { print s, d, $4 }' | sort; }
sa_packets() { ip -s -n "$1" xfrm state | awk -v spi="$(printf '0x%08x' "$2")" '
  /proto esp spi/ { cur = (index($4, spi) == 1) }
  cur && /\(bytes\), [0-9]+\(packets\)/ { sub(/\(packets\)/, "", $2); print $2; exit }'; }
tmpls() { ip -n "$1" xfrm policy | awk '/tmpl src/ { print $3, $5 }' | sort | uniq -c | tr -s ' ' | sed 's/^ //'; }

ip netns exec a ping -q -c 3 -i 0.2 -I $IA $IB >/dev/null 2>&1
check "the tunnel carries the inner traffic" "$B $A1 $(printf 0x%08x $SPI_BA) yes" \
  "$(spis a | grep "^$B $A1 ") $([ "$(sa_packets a $SPI_AB)" -ge 3 ] && echo yes || echo no)"
before_out=$(sa_packets a $SPI_AB)

# a moves: the new address is on its link; the old one stays until both moved.
ip -n a addr add $A2/64 dev va nodad
move_a="{\"old-local\": \"$A1\", \"new-local\": \"$A2\", \"kmaddress-local\": \"$A2\", \"kmaddress-remote\": \"$B\"}"
planned=$(plan_of a "$move_a")
check "the plan lists a's three policies, each with one entry to $A2" "3 3" \
  "$(jq 'length' <<<"$planned") $(jq "[.[].policy.entry[] | select(.[\"new-src\"] == \"$A2\" or .[\"new-dst\"] == \"$A2\")] | length" <<<"$planned")"
dry=$(bulk a "${move_a%\}}, \"dry-run\": true}")
check "dry run: 3 policies, 3 entries, nothing moved" "3 3 $A1" \
  "$(jq -r '"\(.policies) \(.entries)"' <<<"$dry") $(ip -n a xfrm policy | awk '/tmpl src/ && $3 != "'$B'" { print $3; exit }')"

# The moves, under a ping every 10 ms, with `ip xfrm monitor` listening on a.
ip netns exec a ip xfrm monitor >$work/monitor 2>&1 & pids+=($!)
wait_nl_subscribed a 6
# Six seconds of pings (scaled: on the debug kernel each request's client
# takes seconds to start), so that some go after both moves.
pings=$((600 * S))
ip netns exec a ping -D -O -i 0.01 -c $pings -I $IA $IB >$work/ping 2>&1 & ping_pid=$!
sleep 1
reply_a=$(bulk a "$move_a" 2>$work/bulk_a.err)
# b asks with the rv6 tool (a with YNL, above): the same request, either client.
reply_b=$(rv6 -j -n b xfrm bulk migrate $A1 to $A2 2>$work/bulk_b.err)
moved_at=$(date +%s.%N)
check "one request on a moved its 3 policies (3 entries)" "3 3" "$(jq -r '"\(.policies) \(.entries)"' <<<"$reply_a")"
check "one rv6 xfrm bulk migrate on b moved its 3 (the peer's address is in them too)" "3 3" \
  "$(jq -r '"\(.policies) \(.entries)"' <<<"$reply_b")"
check "a's templates and SAs use $A2 now, not $A1" "0 2" \
  "$(ip -n a xfrm policy | grep -c "$A1 ") $(ip -n a xfrm state | grep -c "^src $A2\|dst $A2$")"
check "the SAs kept their SPIs" "$(printf '%s %s 0x%08x\n%s %s 0x%08x' $A2 $B $SPI_AB $B $A2 $SPI_BA | sort | tr -d '\n')" \
  "$(spis a | tr -d '\n')"
wait $ping_pid
# The first echo answered after the moves, and the ones after it unanswered.
lost_after=$(awk -v t="$moved_at" -v last=$pings '
  /icmp_seq=/ && !/no answer/ { ts = $1; gsub(/[\[\]]/, "", ts); match($0, /icmp_seq=[0-9]+/)
    seq = substr($0, RSTART + 9, RLENGTH - 9) + 0; got[seq] = 1
    if (ts + 0 > t + 0.1 && (first == "" || seq < first)) first = seq }
  END { if (first == "") { print "none answered"; exit } for (s = first; s <= last; s++) if (!(s in got)) n++; print n + 0 }' $work/ping)
check "the ping went on: nothing lost once both sides moved" 0 "$lost_after"
check "the SA's counters went on from where they were" yes \
  "$([ "$(sa_packets a $SPI_AB)" -gt "$((before_out + 500))" ] && echo yes || echo "no: $before_out, then $(sa_packets a $SPI_AB)")"
wait_for $work/monitor "Unknown message.*|[Mm]igrate" 3 >/dev/null
check "each policy's move announced (XFRM_MSG_MIGRATE, which ip xfrm monitor cannot decode)" 3 \
  "$(grep -cE "Unknown message|[Mm]igrate" $work/monitor)"
stop

# All or nothing: b moves to b2, but a already has an SA for b2 with the out
# SA's SPI.  The walk meets fwd, then in (their SA moves, to be moved back),
# then out, whose SA cannot move.
ip -n a xfrm state add src $A2 dst $B2 proto esp spi $SPI_AB reqid 9 mode tunnel aead 'rfc4106(gcm(aes))' $K2 128
ip -n a xfrm policy >$work/pol_before; spis a >$work/sa_before
st0=$(stats a)
out=$(bulk a "{\"old-local\": \"$B\", \"new-local\": \"$B2\"}" 2>&1)
st1=$(stats a)
check "a move that meets an SA in its way fails naming the policy" yes \
  "$(grep -qE 'policy [0-9]+ \(out\):.*2 moved back' <<<"$out" && echo yes || echo "no: $out")"
check "... and leaves every policy and SA as it was" "same same" \
  "$(ip -n a xfrm policy | diff -q - $work/pol_before >/dev/null && echo same || echo differ) $(spis a | diff -q - $work/sa_before >/dev/null && echo same || echo differ)"
check "... counted: one failure, two policies moved back" "1 2" \
  "$(( $(jq .failed <<<"$st1") - $(jq .failed <<<"$st0") )) $(( $(jq '.["rolled-back"]' <<<"$st1") - $(jq '.["rolled-back"]' <<<"$st0") ))"
ip -n a xfrm state del src $A2 dst $B2 proto esp spi $SPI_AB

# Refusals.
# YNL prints the kernel's refusal (with the extack) on stdout.
err() { bulk "$1" "$2" 2>&1 | tr '\n' ' '; }
check "a null new address: EINVAL" yes \
  "$(grep -q 'unspecified' <<<"$(err a "{\"old-local\": \"$A2\", \"new-local\": \"::\"}")" && echo yes || echo no)"
check "one end to IPv4, the other left IPv6: EINVAL naming the policy" yes \
  "$(grep -qE 'policy [0-9]+: template 0 would end with two families' <<<"$(err a "{\"old-local\": \"$A2\", \"new-local\": \"192.0.2.1\"}")" && echo yes || echo no)"
check "an address no template uses: nothing to move, ENOENT" yes \
  "$(grep -q "no policy the filters select" <<<"$(err a "{\"old-local\": \"2001:db8:9::9\", \"new-local\": \"$A1\"}")" && echo yes || echo no)"
check "old-peer without new-peer: EINVAL" yes \
  "$(grep -q 'go together' <<<"$(err a "{\"old-local\": \"$A2\", \"new-local\": \"$A1\", \"old-peer\": \"$B\"}")" && echo yes || echo no)"
# nobody cannot read root's trees: it gets copies of YNL and the spec.
pub=$(mktemp -d)
cp -r "$RV6_SRC/tools/net/ynl" "$top/Documentation/netlink/specs/rv6_xfrm_migrate.yaml" "$pub"
chmod -R a+rX "$pub"
unpriv=$(ip netns exec a setpriv --reuid=65534 --regid=65534 --clear-groups python3 "$pub/ynl/pyynl/cli.py" \
  --no-schema --spec "$pub/rv6_xfrm_migrate.yaml" --do migrate \
  --json "{\"old-local\": \"$A2\", \"new-local\": \"$A1\"}" 2>&1)
rm -rf "$pub"
check "without CAP_NET_ADMIN: EPERM, nothing moved" "yes 0" \
  "$(grep -q 'Operation not permitted' <<<"$unpriv" && echo yes || echo "no: $unpriv") $(ip -n a xfrm policy | grep -c "$A1 ")"

# A barrage of random requests (xfrm_bulk_fuzz.py: migrations, dry runs and
# plan dumps over a pool of addresses, random filters, bad addresses) against
# 24 policies and their SAs between the pool's addresses: every request
# answered with a reply or the module's errnos, and every template still
# between pool addresses (or the IPv4 ones a pair may move both ends to).
fuzz_n=${RV6_FUZZ_N:-10000}; quick && fuzz_n=300
ip netns add f
python3 - "$K2" >$work/f.batch <<'EOF'
import sys
key, pool = sys.argv[1], [f"2001:db8:f::{i:x}" for i in range(1, 9)]
for i in range(24):
    s, d = pool[i % 8], pool[(i * 3 + 1) % 8]
    if s == d:
        d = pool[(i + 1) % 8]
    print(f"xfrm state add src {s} dst {d} proto esp spi {0x20000 + i} reqid {i % 5} "
          f"mode tunnel aead 'rfc4106(gcm(aes))' {key} 128")
    print(f"xfrm policy add dir {('out', 'in', 'fwd')[i % 3]} src 2001:db8:e:{i:x}::/64 "
          f"dst 2001:db8:d:{i:x}::/64 tmpl src {s} dst {d} proto esp reqid {i % 5} mode tunnel")
EOF
ip -n f -batch $work/f.batch
fz=$(ip netns exec f python3 "$(dirname "$0")/xfrm_bulk_fuzz.py" "$fuzz_n" \
  "$top/Documentation/netlink/specs/rv6_xfrm_migrate.yaml" 2>&1); rc=$?
ktap_print_msg "$fuzz_n requests: $fz"
stray=$(ip -n f xfrm policy | awk '/tmpl src/ { print $3; print $5 }' | sort -u |
  grep -vE '^(2001:db8:f::[1-8]|192\.0\.2\.[1-3])$' | tr '\n' ' ')
check "$fuzz_n random requests answered as the module answers, every template between pool addresses" "0 " \
  "$rc $stray"
ip -n f xfrm policy flush; ip -n f xfrm state flush; ip netns del f

if ! quick; then
  # 1000 policies on c, each with its SA, moved in one request while another
  # process flushes the SAs: no report, and a consistent end (each policy at
  # the new address, or all at the old one).
  ip netns add c
  python3 - "$K2" >$work/c.batch <<'EOF'
import sys
key = sys.argv[1]
for i in range(1000):
    net = f"2001:db8:c{i // 256:x}:{i % 256:x}::"
    print(f"xfrm state add src 2001:db8:1::c dst 2001:db8:1::d proto esp spi {0x10000 + i} reqid {i + 1} "
          f"mode tunnel aead 'rfc4106(gcm(aes))' {key} 128")
    print(f"xfrm policy add dir out src 2001:db8:e::/64 dst {net}/64 "
          f"tmpl src 2001:db8:1::c dst 2001:db8:1::d proto esp reqid {i + 1} mode tunnel")
EOF
  ip -n c -batch $work/c.batch
  (sleep 0.2; ip -n c xfrm state flush) & flusher=$!
  r=$(bulk c '{"old-local": "2001:db8:1::c", "new-local": "2001:db8:1::cc"}' 2>&1)
  wait $flusher
  moved=$(ip -n c xfrm policy | grep -c 'tmpl src 2001:db8:1::cc ')
  check "1000 policies moved in one request beside a state flush: all, or none" yes \
    "$([ "$moved" = 1000 ] || [ "$moved" = 0 ] && echo yes || echo "no: $moved moved; $r")"
  ip -n c xfrm policy flush; ip netns del c
fi
ktap_finished
