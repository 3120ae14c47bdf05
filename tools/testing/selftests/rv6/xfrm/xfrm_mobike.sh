#!/bin/bash
# What libreswan's pluto announces when it moves with MOBIKE (RFC 4555): an
# IKEv2 tunnel (PSK, mobike=yes, ESP in tunnel mode between the inner
# prefixes) between two namespaces, a pluto in each (Debian's libreswan 4.10,
# unpacked by scripts/deps.sh since its package conflicts with strongSwan's).
# The initiator's outer address moves from A1 to A2: pluto sees A1 deleted
# (RTM_DELADDR), sends UPDATE_SA_ADDRESSES from A2, and each side moves its
# SAs and policies with XFRM_MSG_MIGRATE, one request for each of its out, in
# and fwd policies, without XFRMA_KMADDRESS.  `rv6 xfrm monitor` and `rv6 -j
# xfrm monitor` in each namespace must decode exactly those three, their
# selectors, endpoints, proto, mode and reqid those of the policies and SAs
# pluto had installed (as `ip xfrm` shows them before and after the move),
# and the SAs keep their SPIs at the new address while the traffic goes on.
#
# Over IPv4: pluto 4.10 acts only on IFA_LOCAL, which IPv6 addresses carry
# only with a peer, and only with a default route that has a gateway.
#   mob-a (initiator)  va 198.51.100.10 -> .20   lo 203.0.113.1 (inner)
#   mob-b (responder)  vb 198.51.100.30          lo 192.0.2.1   (inner)
. "$(dirname "$0")/../lib.sh"

ktap_print_header
quick && { ktap_skip_all "libreswan interop runs in the normal run only"; exit "$KSFT_SKIP"; }
# Beside the kernel source, in the kernel cache (scripts/deps.sh).
lsw=${RV6_LIBRESWAN:-$(dirname "$RV6_SRC")/libreswan}
X=$lsw/usr/libexec/ipsec
[ -x "$X/pluto" ] || { ktap_skip_all "libreswan not unpacked in $lsw (scripts/deps.sh)"; exit 4; }
command -v certutil >/dev/null || { ktap_skip_all "certutil (libnss3-tools) not installed"; exit 4; }
ktap_set_plan 17

A1=198.51.100.10 A2=198.51.100.20 B=198.51.100.30
IA=203.0.113.1 IB=192.0.2.1 NA=203.0.113.0/24 NB=192.0.2.0/24
RV6=$top/tools/target/release/rv6
w=$(mktemp -d)
pids=()
cleanup() {
  [ ${#pids[@]} = 0 ] || kill "${pids[@]}" 2>/dev/null
  for n in a b; do ip netns pids mob-$n 2>/dev/null | xargs -r kill 2>/dev/null; done
  sleep 0.5
  for n in a b; do ip -n mob-$n xfrm state flush 2>/dev/null; ip -n mob-$n xfrm policy flush 2>/dev/null; done
  ip netns del mob-a 2>/dev/null; ip netns del mob-b 2>/dev/null
  rm -rf "$w"
}
trap cleanup EXIT

ip -batch - <<<"netns add mob-a
netns add mob-b
link add va netns mob-a type veth peer name vb netns mob-b"
# Deleting the primary A1 must leave the secondary A2 (promoted), not take it
# along.
ip netns exec mob-a sysctl -qw net.ipv4.conf.all.promote_secondaries=1
ip -n mob-a -batch - <<<"link set lo up
addr add $IA/32 dev lo
addr add $A1/24 dev va
link set va up
route add default via $B"
ip -n mob-b -batch - <<<"link set lo up
addr add $IB/32 dev lo
addr add $B/24 dev vb
link set vb up
route add $NA dev vb"

# The monitors, before pluto: the programs themselves in the background, so
# that the cleanup's kill reaches them.
for n in a b; do
  "$RV6" -n mob-$n xfrm monitor >"$w/$n.txt" 2>"$w/$n.txt.err" & pids+=($!)
  "$RV6" -j -n mob-$n xfrm monitor >"$w/$n.json" 2>"$w/$n.json.err" & pids+=($!)
done
for n in a b; do
  for _ in $(seq $((100 * S))); do
    [ "$(ip netns exec mob-$n awk 'NR > 1 && $2 == 6 && $4 != "00000000" {k++} END {print k + 0}' /proc/net/netlink)" -ge 2 ] && break
    sleep 0.1
  done
done

# One pluto per namespace: its own configuration, NSS database (certutil -N
# is all `ipsec initnss` does), secrets, log and control socket.  pluto
# starts addconn from its compiled-in /usr/libexec/ipsec (no `listen`, no
# connection without it): the unpacked directory is bind-mounted there in
# pluto's own mount namespace (ip netns exec made one), over a tmpfs on
# /usr/libexec when the (read-only) root has no such directory.  No updown
# script: the default one is `ipsec _updown` through PATH, strongSwan's.
for n in a b; do
  d=$w/$n; mkdir -p "$d/nss" "$d/run" "$d/ipsec.d"
  certutil -N -d "sql:$d/nss" --empty-password
  : >"$d/pluto.log"
  echo '@north @east : PSK "rv6 MOBIKE interop test key, 32 bytes or more"' >"$d/ipsec.secrets"
  cat >"$d/ipsec.conf" <<CONF
config setup
	plutodebug=base
	dnssec-enable=no
	audit-log=no
	dumpdir=$d/run
conn mob
	ikev2=insist
	authby=secret
	mobike=yes
	type=tunnel
	esp=aes_gcm128
	leftupdown=%disabled
	rightupdown=%disabled
	left=$([ $n = a ] && echo $A1 || echo %any)
	leftid=@north
	leftsubnet=$NA
	right=$B
	rightid=@east
	rightsubnet=$NB
	auto=add
CONF
  ip netns exec mob-$n sh -c '[ -d /usr/libexec/ipsec ] || { mount -t tmpfs tmpfs /usr/libexec && mkdir /usr/libexec/ipsec; }
    mount --bind "$1" /usr/libexec/ipsec &&
    exec "$1/pluto" --config "$2/ipsec.conf" --nofork --rundir "$2/run" --nssdir "$2/nss" \
      --ipsecdir "$2/ipsec.d" --secretsfile "$2/ipsec.secrets" --logfile "$2/pluto.log"' \
    _ "$X" "$d" >"$d/pluto.out" 2>&1 &
done
whack() { local n=$1; shift; "$X/whack" --rundir "$w/$n/run" "$@" 2>&1; }
# Ready: addconn added the connection and pluto, told to listen, bound its
# interfaces and loaded the secrets (the last step of `listen`).
for n in a b; do wait_for "$w/$n/pluto.log" "loading secrets from" >/dev/null; done
check "both plutos run with the connection loaded" "1 1" \
  "$(whack a --status | grep -c '^000 "mob":.*===') $(whack b --status | grep -c '^000 "mob":.*===')"

out=$(timeout $((60 * S)) "$X/whack" --rundir "$w/a/run" --name mob --initiate 2>&1)
check "IKEv2 SA and its Child SA established between $A1 and $B" yes \
  "$(grep -q 'established Child SA' <<<"$out" && echo yes || echo "no: $(tail -n 3 <<<"$out")")"

# state NS: NS's SAs, "SRC DST PROTO SPI REQID MODE" a line, by SPI.
state() {
  ip -n "$1" xfrm state | awk '/^src / {s = $2; d = $4}
    $1 == "proto" && $3 == "spi" {r = m = ""; for (i = 3; i < NF; i++) {if ($i == "reqid") r = $(i + 1); if ($i == "mode") m = $(i + 1)}
      print s, d, $2, $4, r, m}' | sort -k4
}
# policies NS: NS's policies with a template (not pluto's socket and
# Neighbour Discovery bypasses), "DIR SEL-SRC SEL-DST TMPL-SRC TMPL-DST PROTO
# MODE REQID" a line, out, in, fwd.
policies() {
  ip -n "$1" xfrm policy | awk '/^src / {ss = $2; sd = $4; dir = ts = ""} $1 == "dir" {dir = $2} $1 == "tmpl" {ts = $3; td = $5}
    $1 == "proto" && ts != "" {r = m = ""; for (i = 3; i < NF; i++) {if ($i == "reqid") r = $(i + 1); if ($i == "mode") m = $(i + 1)}
      print dir, ss, sd, ts, td, $2, m, r; ts = ""}' |
    awk '{o = $1 == "out" ? 1 : $1 == "in" ? 2 : 3; print o, $0}' | sort -n | cut -d' ' -f2-
}
# templates NS: each of NS's policies' direction, template endpoints, proto
# and mode, and whether an SA with those endpoints, proto, mode and the
# template's reqid is there; then the number of SAs.
templates() {
  awk 'FILENAME == ARGV[1] {sa[$1 " " $2 " " $3 " " $6 " " $5] = 1; n++; next}
    {printf "%s %s>%s %s %s%s ", $1, $4, $5, $6, $7, (($4 " " $5 " " $6 " " $7 " " $8) in sa ? "" : " (no such SA, reqid " $8 ")")}
    END {print "of " n + 0 " SAs"}' "$w/$1.sa0" "$w/$1.pol0"
}
# packets NS SRC DST: the packets counted by NS's ESP SA from SRC to DST.
packets() {
  ip -s -n "$1" xfrm state | awk -v s="$2" -v d="$3" '/^src / {m = ($2 == s && $4 == d)}
    m && /[0-9]+\(bytes\), [0-9]+\(packets\)/ {sub(/\(packets\).*/, ""); sub(/.* /, ""); print; exit}'
}
# pings: three pings from a's inner address to b's, answered.
pings() { ip netns exec mob-a ping -q -c 3 -i 0.2 -W $((2 * S)) -I $IA $IB 2>&1 | grep -o '[0-9]* received'; }

for n in a b; do state mob-$n >"$w/$n.sa0"; policies mob-$n >"$w/$n.pol0"; done
p0=$(packets mob-a $A1 $B)
check "the inner prefixes talk through it (a's SA $A1>$B counts them)" "3 received yes" \
  "$(pings) $(p=$(packets mob-a $A1 $B); [ "${p:-0}" -ge $((${p0:-0} + 3)) ] && echo yes || echo "no: ${p0:-none} then ${p:-none}")"
check "a: pluto's out, in and fwd templates name its two SAs, ESP in tunnel mode" \
  "out $A1>$B esp tunnel in $B>$A1 esp tunnel fwd $B>$A1 esp tunnel of 2 SAs" "$(templates a)"
check "b: pluto's out, in and fwd templates name its two SAs, ESP in tunnel mode" \
  "out $B>$A1 esp tunnel in $A1>$B esp tunnel fwd $A1>$B esp tunnel of 2 SAs" "$(templates b)"

# a moves: the new address first, then the old one goes; pluto's MOBIKE does
# the rest.
ip -n mob-a addr add $A2/24 dev va
ip -n mob-a addr del $A1/24 dev va
wait_for "$w/a/pluto.log" "success MOBIKE update local address $A1:500 -> $A2:500" >/dev/null
wait_for "$w/b/pluto.log" "success MOBIKE update remote address $A1:500 -> $A2:500" >/dev/null
check "a's pluto moved its Child SA from $A1 to $A2 (MOBIKE response)" yes \
  "$(grep -q "success MOBIKE update local address $A1:500 -> $A2:500" "$w/a/pluto.log" && echo yes ||
     echo "no: $(grep -E 'MOBIKE|RTM_DELADDR|gateway' "$w/a/pluto.log" | tail -n 3)")"
check "b's pluto followed (MOBIKE request, UPDATE_SA_ADDRESSES)" yes \
  "$(grep -q "success MOBIKE update remote address $A1:500 -> $A2:500" "$w/b/pluto.log" && echo yes ||
     echo "no: $(grep -E 'MOBIKE' "$w/b/pluto.log" | tail -n 3)")"
for n in a b; do state mob-$n >"$w/$n.sa1"; policies mob-$n >"$w/$n.pol1"; done
p0=$(packets mob-a $A2 $B)
check "the inner traffic goes on through the moved SAs" "3 received yes" \
  "$(pings) $(p=$(packets mob-a $A2 $B); [ "${p:-0}" -ge $((${p0:-0} + 3)) ] && echo yes || echo "no: ${p0:-none} then ${p:-none}")"

# What the monitors decoded.  The kernel announced each migration when it
# made it, before pluto logged its success; the monitors print as they read.
for n in a b; do wait_for "$w/$n.txt" "^migrate " 3 >/dev/null; done
sleep 0.5
kill "${pids[@]}" 2>/dev/null; wait "${pids[@]}" 2>/dev/null; pids=()
# Under load pluto may announce its update a second time once the address
# events settle (its log: "MOBIKE update local address .20:500 -> .20:500"):
# migrations to where the SAs already are, which move nothing.  moves_text
# FILE and moves_json FILE keep the migrations that move an endpoint.
moves_text() {
  awk '/^migrate / {flush(); blk = $0 "\n"; moved = 0; next}
       blk != "" && /^\told / {blk = blk $0 "\n"; o = $3 " " $5; next}
       blk != "" && /^\tnew / {blk = blk $0 "\n"; if ($3 " " $5 != o) moved = 1; next}
       blk != "" && /^\t/ {blk = blk $0 "\n"; next}
       {flush()}
       function flush() { if (blk != "" && moved) printf "%s", blk; blk = "" }
       END {flush()}' "$1"
}
moves_json() {
  jq -c 'select(.name == "migrate" and ([.msg.entries[] | .old.src != .new.src or .old.dst != .new.dst] | any))' "$1"
}
# counts NS: the migrations each monitor of NS decoded, "DIR:ENTRIES" each.
counts() {
  echo "$(moves_text "$w/$1.txt" | awk '/^migrate / {if (d != "") printf "%s:%d ", d, k; d = $0; sub(/.* dir /, "", d); sub(/ .*/, "", d); k = 0; next}
               d != "" && /^\told / {k++} END {if (d != "") printf "%s:%d", d, k}') |" \
       "$(moves_json "$w/$1.json" | jq -r '"\(.msg.dir):\(.msg.entries | length)"' | paste -sd' ')"
}
check "a: each monitor decoded 3 migrations, out, in and fwd, of one SA each" \
  "out:1 in:1 fwd:1 | out:1 in:1 fwd:1" "$(counts a)"
check "b: each monitor decoded 3 migrations, out, in and fwd, of one SA each" \
  "out:1 in:1 fwd:1 | out:1 in:1 fwd:1" "$(counts b)"
# expected NS: the migration of each of NS's policies, "DIR SEL-SRC SEL-DST
# OLD-SRC OLD-DST NEW-SRC NEW-DST PROTO MODE REQID": the selector from the
# policy, the old endpoints, proto, mode and reqid from the SA its template
# named before the move, the new endpoints from that SA (its SPI) after it.
expected() {
  local dir ss sd ts td s d pr spi rq md s1 d1
  [ -s "$w/$1.pol0" ] || { echo "(no policy before the move)"; return; }
  while read -r dir ss sd ts td _; do
    read -r s d pr spi rq md < <(awk -v s="$ts" -v d="$td" '$1 == s && $2 == d' "$w/$1.sa0")
    read -r s1 d1 < <(awk -v spi="$spi" '$4 == spi {print $1, $2}' "$w/$1.sa1")
    echo "$dir $ss $sd $s $d $s1 $d1 $pr $md $rq"
  done <"$w/$1.pol0"
}
decoded() {
  moves_json "$w/$1.json" | jq -r '.msg as $m | $m.entries[] |
    [$m.dir, $m.sel.src, $m.sel.dst, .old.src, .old.dst, .new.src, .new.dst, .proto, .mode, .reqid] | map(tostring) | join(" ")'
}
check "a: rv6 -j xfrm monitor: selectors, endpoints, proto, mode, reqid of pluto's policies and SAs" \
  "$(expected a | paste -sd';')" "$(decoded a | paste -sd';')"
check "b: rv6 -j xfrm monitor: selectors, endpoints, proto, mode, reqid of pluto's policies and SAs" \
  "$(expected b | paste -sd';')" "$(decoded b | paste -sd';')"
# words NS: the same, in the words of `rv6 xfrm migrate` (what the text
# monitor prints), and what it printed.
words() {
  local dir ss sd s d s1 d1 pr md rq
  while read -r dir ss sd s d s1 d1 pr md rq; do
    printf 'migrate src %s dst %s dir %s ptype main\\n\\told src %s dst %s proto %s mode %s reqid %s\\n\\tnew src %s dst %s\\n' \
      "$ss" "$sd" "$dir" "$s" "$d" "$pr" "$md" "$rq" "$s1" "$d1"
  done < <(expected "$1")
}
printed() {
  moves_text "$w/$1.txt" | sed -z 's/\t/\\t/g; s/\n/\\n/g'
}
check "a: rv6 xfrm monitor printed them so, nothing more" "$(words a)" "$(printed a)"
check "b: rv6 xfrm monitor printed them so, nothing more" "$(words b)" "$(printed b)"
check "no KMADDRESS in any of them (pluto sends none)" "0 0 0 0" \
  "$(for n in a b; do grep -c 'kmaddress' "$w/$n.txt"; jq -s '[.[] | select(.name == "migrate" and .msg.kmaddress != null)] | length' "$w/$n.json"; done | paste -sd' ')"
# moved NS: NS's SAs and policies before the move, with A1 for A2.
moved() {
  [ -s "$w/$1.sa0" ] || echo "(no SA before the move)"
  awk -v o=$A1 -v n=$A2 '{for (i = 1; i <= NF; i++) if ($i == o) $i = n; print}' "$w/$1.sa0" "$w/$1.pol0" | paste -sd';'
}
check "a's SAs kept their SPIs at $A2, the templates followed" "$(moved a)" "$(cat "$w/a.sa1" "$w/a.pol1" | paste -sd';')"
check "b's SAs kept their SPIs at $A2, the templates followed" "$(moved b)" "$(cat "$w/b.sa1" "$w/b.pol1" | paste -sd';')"

grep -hE "success MOBIKE|MOBIKE (request|response)" "$w/a/pluto.log" "$w/b/pluto.log" | head -n 4 | sed 's/^/# /'
if [ "$KTAP_CNT_FAIL" != 0 ]; then
  for n in a b; do
    echo "# --- $n: SAs and policies before, then after"
    cat "$w/$n.sa0" "$w/$n.pol0" "$w/$n.sa1" "$w/$n.pol1" 2>/dev/null | sed 's/^/#   /'
    echo "# --- $n: pluto's stdout and stderr"; sed 's/^/# /' "$w/$n/pluto.out" 2>/dev/null | tail -n 10
    echo "# --- $n: pluto's log, MOBIKE and address lines"
    grep -E "MOBIKE|RTM_(NEW|DEL)ADDR|gateway|no interface|FAILED" "$w/$n/pluto.log" 2>/dev/null | tail -n 15 | sed 's/^/# /'
    echo "# --- $n: pluto's log (tail, debug lines left out)"
    grep -v ': |' "$w/$n/pluto.log" 2>/dev/null | tail -n 25 | sed 's/^/# /'
    echo "# --- $n: rv6 xfrm monitor"; tail -n 30 "$w/$n.txt" | sed 's/^/# /'; cat "$w/$n.txt.err" "$w/$n.json.err" | sed 's/^/# /'
  done
fi
ktap_finished
