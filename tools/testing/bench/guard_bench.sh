#!/bin/bash
# The rv6_guard part of `make bench`, in the guest.  a -- r -- b over veth
# (lib.sh's chain: r forwards between 2001:db8:1::/64 and 2001:db8:2::/64),
# static neighbours.  UDP floods of a fixed count (rv6-flood: 64-byte payloads,
# one send(2) each, into a socket that is never read) from a to b, so that the
# guard judges every datagram twice (forwarded at r, received at b), in modes:
#   bare      plain UDP, rv6_guard unloaded;
#   guard     plain UDP, rv6_guard loaded with its defaults: the fast path
#             (an upper layer right after the IPv6 header);
#   bare-ro   UDP from a's home address with Mobile IPv6 route optimisation
#             (rv6_mip6's HAO type: a Destination Options header with a Home
#             Address option in every datagram), rv6_guard unloaded;
#   guard-ro  the same with rv6_guard loaded: the full walk of the chain, the
#             home address checked, at r and at b.
# Modes alternate every round.  With RV6_PROFILE=MODE, one flood of that mode
# runs instead, between two sync(2) calls (scripts/tbprof.sh's window).
# Writes "guard-sent N", "guard MODE ROUND PPS ARRIVED" and, from the loaded
# runs, "guard-check MODE DROPS" (every counter of the guard's summed: a
# legitimate flood must move none) to $RV6_OUT/guard_bench.txt.  Then
# rv6_ninfo's cost per NI Query answered: "ninfo on|off N NS REPLIES".
set -u
out=${RV6_OUT:?}/guard_bench.txt
: >"$out"
mods=${RV6_MODULES:?}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
flood=$top/tools/target/release/rv6-flood
rv6=$top/tools/target/release/rv6
. "$top/tools/testing/selftests/rv6/lib.sh" 2>/dev/null || true
N=${GUARD_BENCH_N:-100000} ROUNDS=${GUARD_BENCH_ROUNDS:-3}
. "$here/lib.sh"
A=2001:db8:1::1 B=2001:db8:2::2 H=2001:db8:9::1

ko=$(find "$mods" -name rv6_guard.ko)
echo "guard-sent $N" >>"$out"
chain_setup
mac() { ip netns exec "$1" cat "/sys/class/net/$2/address"; }
ip -n a -6 neigh replace 2001:db8:1::2 lladdr "$(mac r vra)" dev va nud permanent
ip -n r -6 neigh replace $A lladdr "$(mac a va)" dev vra nud permanent
ip -n r -6 neigh replace $B lladdr "$(mac b vb)" dev vrb nud permanent
ip -n b -6 neigh replace 2001:db8:2::1 lladdr "$(mac r vrb)" dev vb nud permanent
# Route optimisation from a's home address H at its care-of address A to b, as a Mobile
# IPv6 daemon sets it up (see demo.sh's rv6_mip6 step): a inserts the HAO, b accepts it.
insmod "$(find "$mods" -name rv6_mip6.ko)"
ip -n a -batch - <<<"addr add $H/128 dev lo home nodad
xfrm state add src $H dst $B proto hao mode ro coa $A
xfrm policy add src $H/128 dst $B/128 dir out tmpl src $H dst $B proto hao mode ro"
ip -n b -batch - <<<"xfrm state add src $H dst $B proto hao mode ro coa $A
xfrm policy add src $H/128 dst $B/128 dir in tmpl src $H dst $B proto hao mode ro level use"
ip netns exec b "$flood" sink :: 9 >/dev/null &
for _ in $(seq 100); do ip netns exec b ss -Hlun 'sport = :9' | grep -q . && break; sleep 0.1; done
# Fill the sink's receive queue first (see shim6_bench.sh): every measured datagram that
# reaches b's UDP layer is then counted.
ip netns exec a "$flood" send $A $B 9 1000 >/dev/null
ip netns exec a "$flood" send $H $B 9 1000 >/dev/null

flood() { measured_flood guard "$@"; }
loaded() { grep -q "^rv6_guard " /proc/modules; }
load() { loaded || insmod "$ko"; }
unload() { if loaded; then rmmod rv6_guard; fi; }
# Every counter of the guard in r and b, summed: a legitimate flood moves none.
moved() { local n s=0 v; for n in r b; do
  for v in $("$rv6" -j -n $n guard stats | jq '.[0] | to_entries | map(.value) | .[]'); do s=$((s + v)); done
done; echo $s; }

run_mode() { # run_mode MODE ROUND
  local mode=$1 round=$2 src=$A dst=$B
  case $mode in *-ro) src=$H ;; esac
  case $mode in
  bare*) unload; echo "guard $mode $round $(flood $src $dst)" >>"$out" ;;
  guard*)
    load
    echo "guard $mode $round $(flood $src $dst)" >>"$out"
    echo "guard-check $mode $(moved)" >>"$out" ;;
  esac
}

if [ -n "${RV6_PROFILE:-}" ]; then
  flood() { sync; ip netns exec a "$flood" send "$1" "$2" 9 "$N" >/dev/null; sync; echo "0 $N"; }
  # The guard's symbols too: loaded before kallsyms is read.
  case $RV6_PROFILE in guard*) load ;; esac
  cat /proc/kallsyms >"$RV6_OUT/kallsyms"
  run_mode "$RV6_PROFILE" 1
  ip netns pids b | xargs -r kill
  exit 0
fi

for round in $(seq "$ROUNDS"); do
  for mode in $(rotate "$round" bare guard bare-ro guard-ro); do
    run_mode "$mode" "$round"
  done
done

# rv6_ninfo: the cost of answering an NI Query (NOOP, from a to r's link-local address), in
# icount time: the same flood of Queries with the module loaded (each answered, no rate
# limit) and unloaded (each ignored by icmpv6_rcv), the difference per Query.
ninfo_ko=$(find "$mods" -name rv6_ninfo.ko)
NQ=${GUARD_BENCH_NI_N:-20000}
llr=$(ip -n r -6 addr show dev vra scope link | awk '/inet6/ { sub("/.*", "", $2); print $2 }')
# The querier's socket buffer holds a few hundred Replies: r's own count says how many
# Queries it answered.
answered() { if grep -q "^rv6_ninfo " /proc/modules; then "$rv6" -j -n r ninfo stats | jq '.[0].answered'; else echo 0; fi; }
ni_flood() { # ni_flood MODE: "ninfo MODE N NS ANSWERED"
  local t0 t1 a0
  a0=$(answered)
  t0=$(date +%s%N)
  ip netns exec a python3 "$top/tools/testing/selftests/rv6/ninfo/ninfo_query.py" flood "$llr%va" "$NQ" >/dev/null
  t1=$(date +%s%N)
  echo "ninfo $1 $NQ $((t1 - t0)) $(( $(answered) - a0 ))" >>"$out"
}
for round in $(seq "$ROUNDS"); do
  insmod "$ninfo_ko"
  "$rv6" -n r ninfo set rate 0
  ni_flood on
  rmmod rv6_ninfo
  ni_flood off
done

ip netns pids b | xargs -r kill
sleep 0.5
for n in a b; do ip -n $n xfrm state flush; ip -n $n xfrm policy flush; done
chain_cleanup
unload
for _ in $(seq 60); do grep -q "^rv6_mip6 " /proc/modules || break; rmmod rv6_mip6 2>/dev/null || sleep 0.5; done
cat "$out"
