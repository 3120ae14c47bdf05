#!/bin/bash
# XFRM MIGRATE with `rv6 xfrm` (rv6 issue 13, its userspace half), against the
# kernel's own xfrm_migrate(): an ESP tunnel between two namespaces, its SAs
# and out/in/fwd policies set up with iproute2, carries a ping every 10 ms
# while the mobile side changes its address and both sides move their SAs
# and templates, first with `rv6 xfrm migrate` (XFRM_MSG_MIGRATE), then with
# `rv6 xfrm pfkey migrate` (SADB_X_MIGRATE); then one SA alone moves with
# `rv6 xfrm migrate-state` (XFRM_MSG_MIGRATE_STATE).  The SAs keep their
# SPIs and counters, the traffic goes on.
#
# Beside it, in the mobile namespace, `ip xfrm monitor` and `rv6 xfrm
# monitor` listen: they must print the same text for every message but the
# migrations, which iproute2 prints as "Unknown message" and rv6 decodes into
# the words that were sent; `rv6 -j xfrm monitor` and `rv6 xfrm pfkey
# monitor` (whose SADB_X_MIGRATEs announce the migrations of both interfaces)
# listen too.  Then the refusals: a selector no policy matches (ENOENT), a
# seventh entry and mixed families (usage errors, exit 2), one SA twice and a
# null new address (the kernel's EINVAL with its message), an SA that is not
# there (ESRCH), and callers without CAP_NET_ADMIN over the namespace (EPERM,
# for the requests, the multicast groups and the PF_KEY socket).
#
#   a (mobile)  va 2001:db8:1::a1 -> ::a2 -> ::a3   lo 2001:db8:a::1 (inner)
#   b           vb 2001:db8:1::b                     lo 2001:db8:b::1 (inner)
. "$(dirname "$0")/../lib.sh"
A1=2001:db8:1::a1 A2=2001:db8:1::a2 A3=2001:db8:1::a3 A4=2001:db8:1::a4 B=2001:db8:1::b
IA=2001:db8:a::1 IB=2001:db8:b::1 NA=2001:db8:a::/64 NB=2001:db8:b::/64
RV6=$top/tools/target/release/rv6
work=/tmp/rv6-xfrm-migrate; rm -rf $work; mkdir -p $work

ktap_print_header
plan 36 36
pids=()
stop() { [ ${#pids[@]} = 0 ] || kill "${pids[@]}" 2>/dev/null; wait "${pids[@]}" 2>/dev/null; pids=(); }
cleanup() {
  stop
  for n in a b; do ip netns pids $n 2>/dev/null | xargs -r kill 2>/dev/null; done
  for n in a b; do ip -n $n xfrm state flush 2>/dev/null; ip -n $n xfrm policy flush 2>/dev/null; done
  for n in a b; do ip netns del $n 2>/dev/null; done
}
trap 'cleanup; rm -rf $work' EXIT

topology() { tunnel_ends_setup a b $A1 $B $IA $IB $NA $NB; }

K16=0x0123456789abcdef0123456789abcdef
K20=0x0123456789abcdef0123456789abcdef01234567
K32=0x0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
# tunnel NS: the SA pair (A->B 0x1000 reqid 1, B->A 0x2000 reqid 2) on both
# sides, and the policies of side NS (a: out towards b, in and fwd from b).
tunnel() {
  local n=$1 local_net remote_net out_src out_dst out_reqid in_reqid
  ip -n "$n" -batch - <<<"xfrm state add src $A1 dst $B proto esp spi 0x1000 reqid 1 mode tunnel aead rfc4106(gcm(aes)) $K20 128 sel src $NA dst $NB
xfrm state add src $B dst $A1 proto esp spi 0x2000 reqid 2 mode tunnel enc cbc(aes) $K16 auth-trunc hmac(sha256) $K32 128 sel src $NB dst $NA"
  if [ "$n" = a ]; then
    local_net=$NA remote_net=$NB out_src=$A1 out_dst=$B out_reqid=1 in_reqid=2
  else
    local_net=$NB remote_net=$NA out_src=$B out_dst=$A1 out_reqid=2 in_reqid=1
  fi
  ip -n "$n" -batch - <<<"xfrm policy add src $local_net dst $remote_net dir out tmpl src $out_src dst $out_dst proto esp reqid $out_reqid mode tunnel
xfrm policy add src $remote_net dst $local_net dir in tmpl src $out_dst dst $out_src proto esp reqid $in_reqid mode tunnel
xfrm policy add src $remote_net dst $local_net dir fwd tmpl src $out_dst dst $out_src proto esp reqid $in_reqid mode tunnel"
}

# move HOW OLD NEW [KM]: both sides move the tunnel from a's address OLD to
# NEW with `rv6 xfrm HOW` (migrate, or pfkey migrate); prints the six exit
# statuses.  The out migration of a carries a kmaddress when KM is given.
move() {
  local how old=$2 new=$3 km=() rc=() d
  read -r -a how <<<"$1"
  [ -n "${4:-}" ] && km=(kmaddress "$3" "$B")
  rv6 -n a xfrm "${how[@]}" src $NA dst $NB dir out old src "$old" dst $B proto esp mode tunnel reqid 1 \
    new src "$new" dst $B "${km[@]}"; rc+=($?)
  for d in in fwd; do
    rv6 -n a xfrm "${how[@]}" src $NB dst $NA dir $d old src $B dst "$old" proto esp mode tunnel reqid 2 \
      new src $B dst "$new"; rc+=($?)
  done
  rv6 -n b xfrm "${how[@]}" src $NB dst $NA dir out old src $B dst "$old" proto esp mode tunnel reqid 2 \
    new src $B dst "$new"; rc+=($?)
  for d in in fwd; do
    rv6 -n b xfrm "${how[@]}" src $NA dst $NB dir $d old src "$old" dst $B proto esp mode tunnel reqid 1 \
      new src "$new" dst $B; rc+=($?)
  done
  echo "${rc[*]}"
}
# result COMMAND...: what COMMAND prints on stdout and stderr, then "rc N",
# on one line.
result() { { "$@" 2>&1; echo "rc $?"; } | paste -sd' '; }

# spis NS: NS's SAs of the tunnel (SPIs 0x1000 and 0x2000), "SRC DST SPI"
# each, on one line: their addresses now and the SPIs they kept.
spis() {
  ip -n "$1" xfrm state |
    awk '/^src / {s = $2; d = $4} $1 == "proto" && ($4 == "0x00001000" || $4 == "0x00002000") {print s, d, $4}' |
    sort -k3 | tr '\n' ' ' | sed 's/ $//'
}
# packets NS SRC SPI: the packets counted by NS's SA from SRC (or to it, for
# 0x2000).
packets() {
  local src=$2 dst=$B
  [ "$3" = 0x2000 ] && { src=$B; dst=$2; }
  ip -s -n "$1" xfrm state get src "$src" dst "$dst" proto esp spi "$3" |
    sed -En 's/.*\(bytes\), ([0-9]+)\(packets\).*/\1/p'
}
# pings: three pings from a's inner address to b's, answered.
pings() { ip netns exec a ping -6 -q -c 3 -W $((2 * S)) -I $IA $IB 2>&1 | grep -o '[0-9]* received'; }
# subscribers NS: netlink XFRM sockets of NS that joined a group.
subscribers() {
  ip netns exec "$1" awk 'NR > 1 && $2 == 6 && $4 != "00000000" {n++} END {print n + 0}' /proc/net/netlink
}
# flat FILE: FILE on one line, tabs and newlines as \t and \n.
flat() { sed -z 's/\t/\\t/g; s/\n/\\n/g' "$1"; }
has() { [[ "$(flat "$1")" == *"$2"* ]] && echo yes || echo "no: $(flat "$1" | head -c 2000)"; }

topology

# The monitors of a, before anything is set up: the programs themselves in
# the background (not lib.sh's rv6 function, whose subshell a kill would
# leave them behind), ip's output line-buffered.
stdbuf -oL ip -n a xfrm monitor >$work/ip.txt 2>$work/ip.err & pids+=($!)
"$RV6" -n a xfrm monitor >$work/rv6.txt 2>$work/rv6.err & pids+=($!)
"$RV6" -j -n a xfrm monitor >$work/rv6.json 2>$work/rv6j.err & pids+=($!)
"$RV6" -n a xfrm pfkey monitor >$work/pfkey.txt 2>$work/pfkey.err & pids+=($!)
for _ in $(seq $((100 * S))); do [ "$(subscribers a)" -ge 3 ] && break; sleep 0.1; done
[ "$(subscribers a)" -ge 3 ] || ktap_exit_fail_msg "the XFRM monitors of a did not subscribe"
# The PF_KEY monitor is ready once it sees a request (promiscuous mode): a
# migration no policy matches, refused with ENOENT.
probe() {
  rv6 -n a xfrm pfkey migrate src 2001:db8:ffff::/128 dst 2001:db8:fffe::/128 dir out \
    old src 2001:db8:ffff::1 dst 2001:db8:fffe::1 proto esp mode tunnel new src 2001:db8:ffff::2 dst 2001:db8:fffe::1
}
for _ in $(seq $((50 * S))); do
  probed=$(result probe)
  grep -q "src 2001:db8:ffff::/128" $work/pfkey.txt && break
  sleep 0.1
done
grep -q "src 2001:db8:ffff::/128" $work/pfkey.txt || ktap_exit_fail_msg "rv6 xfrm pfkey monitor heard nothing"
check "pfkey migrate: a selector no policy matches is ENOENT" \
  "Error: No such file or directory rc 1" "$probed"

tunnel a; tunnel b
ip -n a xfrm state add src $A1 dst $B proto esp spi 0x3000 reqid 3 mode tunnel aead "rfc4106(gcm(aes))" $K20 128 sel src 2001:db8:c::/64 dst 2001:db8:d::/64
check "the tunnel carries pings before the move" "3 received" "$(pings)"
before=$(packets a $A1 0x1000)

# 1. XFRM_MSG_MIGRATE under traffic: a takes A2, both sides move, A1 goes.
ip netns exec a ping -6 -i 0.01 -c 100000 -I $IA $IB >$work/ping1.txt 2>&1 & ping=$!
wait_for $work/ping1.txt "bytes from $IB" 3 || true
ip -n a addr add $A2/64 dev va nodad
check "rv6 xfrm migrate, out/in/fwd on both sides, exit 0" "0 0 0 0 0 0" "$(move migrate $A1 $A2 km)"
ip -n a addr del $A1/64 dev va
check "the pings still come back after the move" "3 received" "$(pings)"
kill -INT $ping; wait $ping
sent=$(grep -o '[0-9]* packets transmitted' $work/ping1.txt | cut -d' ' -f1)
got=$(grep -o '[0-9]* received' $work/ping1.txt | cut -d' ' -f1)
check "the ping every 10 ms lost less than half its packets ($got of $sent back)" yes \
  "$([ "${sent:-0}" -gt 0 ] && [ $((2 * ${got:-0})) -gt "$sent" ] && echo yes || echo no)"
check "a's SAs moved to A2 with their SPIs" "$A2 $B 0x00001000 $B $A2 0x00002000" "$(spis a)"
check "b's SAs moved to A2 with their SPIs" "$A2 $B 0x00001000 $B $A2 0x00002000" "$(spis b)"
check "a's out, in and fwd templates name A2, none A1" "3 0" \
  "$(ip -n a xfrm policy | grep -c "tmpl src \($A2\|$B\) dst \($A2\|$B\)") $(ip -n a xfrm policy | grep -c "$A1")"
after=$(packets a $A2 0x1000)
check "the moved SA kept its packet counter and went on counting" yes \
  "$([ "${before:-x}" -gt 0 ] && [ "${after:-0}" -gt "$((before + sent / 2))" ] && echo yes || echo "no: $before then $after")"
check "b's copy of the SA kept counting what came in (it moved too)" yes \
  "$(b_in=$(packets b $A2 0x1000); [ "${b_in:-0}" -gt $((sent / 2)) ] && echo yes || echo "no: $b_in of $sent")"

# 2. SADB_X_MIGRATE under traffic: A2 -> A3 over PF_KEY.
ip netns exec a ping -6 -i 0.01 -c 100000 -I $IA $IB >$work/ping2.txt 2>&1 & ping=$!
wait_for $work/ping2.txt "bytes from $IB" 3 || true
ip -n a addr add $A3/64 dev va nodad
check "rv6 xfrm pfkey migrate, out/in/fwd on both sides, exit 0" "0 0 0 0 0 0" "$(move "pfkey migrate" $A2 $A3 km)"
ip -n a addr del $A2/64 dev va
check "the pings still come back after the PF_KEY move" "3 received" "$(pings)"
kill -INT $ping; wait $ping
check "a's SAs moved to A3 with their SPIs" "$A3 $B 0x00001000 $B $A3 0x00002000" "$(spis a)"
check "b's SAs moved to A3 with their SPIs" "$A3 $B 0x00001000 $B $A3 0x00002000" "$(spis b)"

# 3. XFRM_MSG_MIGRATE_STATE: the spare SA alone, its reqid and selector read
# by rv6 and kept.
check "rv6 xfrm migrate-state without reqid or sel, exit 0" 0 \
  "$(rv6 -n a xfrm migrate-state dst $B proto esp spi 0x3000 new src $A4 dst $B; echo $?)"
st=$(ip -n a xfrm state get src $A4 dst $B proto esp spi 0x3000 2>&1)
check "the SA moved alone, its reqid and selector kept" "reqid 3 sel src 2001:db8:c::/64 dst 2001:db8:d::/64" \
  "$(grep -o 'reqid [0-9]*\|sel src [^ ]* dst [^ ]*' <<<"$st" | paste -sd' ')"

# A last change each of policies and SAs, then the monitors stop (before
# the cleanup's flushes: iproute2 6.1 cannot print the kernel's FLUSHSA).
ip -n a xfrm policy update src $NA dst $NB dir out priority 5 tmpl src $A3 dst $B proto esp reqid 1 mode tunnel
ip -n a xfrm state delete src $A4 dst $B proto esp spi 0x3000
wait_for $work/rv6.txt "^Deleted src $A4" || true
wait_for $work/ip.txt "^Deleted src $A4" || true
stop

# What the monitors heard.
check "rv6 xfrm monitor decoded the out migration as it was sent" yes "$(has $work/rv6.txt \
"migrate src $NA dst $NB dir out ptype main\n\told src $A1 dst $B proto esp mode tunnel reqid 1\n\tnew src $A2 dst $B\n\tkmaddress $A2 $B\n")"
check "... and the in migration" yes "$(has $work/rv6.txt \
"migrate src $NB dst $NA dir in ptype main\n\told src $B dst $A1 proto esp mode tunnel reqid 2\n\tnew src $B dst $A2\n")"
check "... and the PF_KEY one as the kernel relayed it" yes "$(has $work/rv6.txt \
"migrate src $NA dst $NB dir out ptype main\n\told src $A2 dst $B proto esp mode tunnel reqid 1\n\tnew src $A3 dst $B\n\tkmaddress $A3 $B\n")"
check "... and the MIGRATE_STATE" yes "$(has $work/rv6.txt \
"migrate-state dst $B proto esp spi 0x00003000 mark 0x0 mask 0x0\n\tnew src $A4 dst $B reqid 3\n\tsel src 2001:db8:c::/64 dst 2001:db8:d::/64\n")"
check "rv6 -j xfrm monitor: six migrations to A2 then A3, one MIGRATE_STATE" "$A2 $A2 $A2 $A3 $A3 $A3 migrate-state" \
  "$(jq -r --arg b $B 'if .name == "migrate" then .msg.entries[0].new | if .src == $b then .dst else .src end
                       elif .name == "migrate-state" then .name else empty end' $work/rv6.json | paste -sd' ')"
check "ip xfrm monitor printed the 7 migrations as unknown messages" 7 \
  "$(grep -c '^Unknown message: [0-9]* 0x000000\(21\|29\) ' $work/ip.txt)"
# Everything else, line for line: SAs and policies added, updated, deleted.
grep -v '^Unknown message: [0-9]* 0x000000\(21\|29\) ' $work/ip.txt >$work/ip.rest
awk '/^(migrate|migrate-state) /{skip = 1; next} skip && /^\t/ {next} {skip = 0; print}' $work/rv6.txt >$work/rv6.rest
check "ip and rv6 monitors print every other message alike" "" \
  "$(diff $work/ip.rest $work/rv6.rest | head -n 20)"
check "... and there were some: NEWSA, NEWPOLICY, UPDPOLICY, DELSA" "3 3 1 1" \
  "$(grep -c '^src .* dst [^ ]*$' $work/rv6.rest) $(grep -c '^src .*/64 ' $work/rv6.rest) \
$(grep -c '^Updated src ' $work/rv6.rest) $(grep -c '^Deleted src ' $work/rv6.rest)"
check "rv6 xfrm pfkey monitor heard the XFRM migration announced, decoded" yes "$(has $work/pfkey.txt \
"SADB_X_MIGRATE satype esp seq 0 pid 0\n\tsrc $NA dst $NB dir out\n\told src $A1 dst $B proto esp mode tunnel reqid 1\n\tnew src $A2 dst $B\n\tkmaddress $A2 $B\n")"
check "... and the PF_KEY request itself" yes "$(has $work/pfkey.txt \
"dir out\n\told src $A2 dst $B proto esp mode tunnel reqid 1\n\tnew src $A3 dst $B\n\tkmaddress $A3 $B\n")"

# The refusals.
check "migrate: a selector no policy matches is ENOENT" \
  "Error: Target policy not found: No such file or directory rc 1" \
  "$(result rv6 -n a xfrm migrate src 2001:db8:dead::/64 dst $NB dir out \
     old src $A3 dst $B proto esp mode tunnel new src $A1 dst $B)"
entry=(old src "$A3" dst "$B" proto esp mode tunnel new src "$A1" dst "$B")
check "migrate: a seventh entry is a usage error" \
  "Error: argument \"old\" is wrong: one MIGRATE moves at most 6 SAs (XFRM_MAX_DEPTH) rc 2" \
  "$(result rv6 -n a xfrm migrate src $NA dst $NB dir out "${entry[@]}" "${entry[@]}" "${entry[@]}" \
     "${entry[@]}" "${entry[@]}" "${entry[@]}" "${entry[@]}")"
check "migrate: old addresses of two families are a usage error" \
  "Error: argument \"192.0.2.1\" is wrong: the same address family is required between values after \"src\" and \"dst\" rc 2" \
  "$(result rv6 -n a xfrm migrate src $NA dst $NB dir out old src $A3 dst 192.0.2.1 proto esp mode tunnel \
     new src $A1 dst $B)"
# The kernel's own refusals (xfrm_migrate_check(), before any look-up), its
# extack passed on: one SA named twice, and a null new address.
twice=(old src "$A3" dst "$B" proto esp mode tunnel reqid 1 new src "$A1" dst "$B")
out=$(result rv6 -n a xfrm migrate src $NA dst $NB dir out "${twice[@]}" "${twice[@]}")
check "migrate: the same SA twice is the kernel's EINVAL, its message passed on" yes \
  "$(grep -q "Entries in the MIGRATE attribute's list must be unique.* rc 1" <<<"$out" && echo yes || echo "no: $out")"
out=$(result rv6 -n a xfrm migrate src $NA dst $NB dir out old src "$A3" dst "$B" proto esp mode tunnel \
  reqid 1 new src :: dst "$B")
check "migrate: a null new address is the kernel's EINVAL, its message passed on" yes \
  "$(grep -q "Addresses in the MIGRATE attribute's list cannot be null.* rc 1" <<<"$out" && echo yes || echo "no: $out")"
check "migrate-state: an SA that is not there is ESRCH" \
  "Error: reading the SA for its reqid and selector: No such process rc 1" \
  "$(result rv6 -n a xfrm migrate-state dst $B proto esp spi 0x4000 new src $A1 dst $B)"
nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all)
check "migrate without CAP_NET_ADMIN is EPERM" "Error: Operation not permitted rc 1" \
  "$(result ip netns exec a "${nobody[@]}" "$RV6" xfrm migrate src $NA dst $NB dir out "${entry[@]}")"
check "... and so from the root of a user namespace that does not own the network one" \
  "Error: Operation not permitted rc 1" \
  "$(result ip netns exec a unshare -U --map-root-user "$RV6" xfrm migrate src $NA dst $NB dir out "${entry[@]}")"
check "monitor without CAP_NET_ADMIN cannot join the XFRM groups" \
  "Error: xfrm: cannot join multicast group \"acquire\": Operation not permitted rc 1" \
  "$(result ip netns exec a "${nobody[@]}" "$RV6" xfrm monitor)"
check "pfkey monitor without CAP_NET_ADMIN cannot open a PF_KEY socket" \
  "Error: PF_KEY socket: Operation not permitted rc 1" \
  "$(result ip netns exec a "${nobody[@]}" "$RV6" xfrm pfkey monitor)"
ktap_finished
