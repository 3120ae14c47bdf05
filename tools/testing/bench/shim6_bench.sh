#!/bin/bash
# The Shim6 part of `make bench`, in the guest.  Hosts a and b on one veth link,
# each with a ULID (2001:db8:1::/64) and a second locator (2001:db8:2::/64),
# static neighbours.  UDP floods of a fixed count (rv6-flood: 64-byte payloads,
# one send(2) each, into a socket that is never read) from a to b in two modes:
#   bare   locator to locator (a2 -> b2) with rv6_shim6 unloaded;
#   plain  locator to locator (a2 -> b2), no context: the path the shim uses;
#   ulids  ULID to ULID (a1 -> b1) with a context on each side on its ULIDs:
#          no rewriting, only the REAP accounting of the netfilter hooks;
#   shim6  ULID to ULID (a1 -> b1) with a context on each side whose current
#          pair is (a2, b2): rewritten on output at a (XFRM, payload header),
#          looked up, checked and restored on input at b.
# Same link, same hops; the shim6 packets are 8 bytes longer.  Modes alternate
# every round.  With RV6_PROFILE=MODE, one flood of that mode runs instead,
# between two sync(2) calls: the marks of tbprof.c's window (scripts/tbprof.sh),
# and the guest's kallsyms is saved beside the results.  Then the control plane: 10^4 contexts added through the family
# (shim6_bulk.py, one request each), timed, and the slab memory they took.
# Writes "shim6-sent N", "shim6 MODE ROUND PPS ARRIVED" and "shim6-setup N NS
# SLAB_KB" lines to $RV6_OUT/shim6_bench.txt.
set -u
out=${RV6_OUT:?}/shim6_bench.txt
: >"$out"
mods=${RV6_MODULES:?}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
flood=$top/tools/target/release/rv6-flood
rv6=$top/tools/target/release/rv6
A1=2001:db8:1::1 A2=2001:db8:2::1 B1=2001:db8:1::2 B2=2001:db8:2::2
N=${SHIM6_BENCH_N:-100000} ROUNDS=${SHIM6_BENCH_ROUNDS:-3} CONTEXTS=${SHIM6_BENCH_CONTEXTS:-10000}
. "$here/lib.sh"

ko=$(find "$mods" -name rv6_shim6.ko)
insmod "$ko"
# How many each flood sends: every one must arrive, or the run failed.
echo "shim6-sent $N" >>"$out"
for n in a b; do
  ip netns add $n; ip -n $n link set lo up
  ip netns exec $n sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
done
ip link add a0 netns a type veth peer name b0 netns b
ip -n a -batch - <<<"addr add $A1/64 dev a0 nodad
addr add $A2/64 dev a0 nodad
link set a0 up"
ip -n b -batch - <<<"addr add $B1/64 dev b0 nodad
addr add $B2/64 dev b0 nodad
link set b0 up"
for d in $B1 $B2; do ip -n a -6 neigh replace $d lladdr "$(ip netns exec b cat /sys/class/net/b0/address)" dev a0 nud permanent; done
for d in $A1 $A2; do ip -n b -6 neigh replace $d lladdr "$(ip netns exec a cat /sys/class/net/a0/address)" dev b0 nud permanent; done
# The sink listens on both of b's addresses.
ip netns exec b "$flood" sink :: 9 >/dev/null &
for _ in $(seq 100); do ip netns exec b ss -Hlun 'sport = :9' | grep -q . && break; sleep 0.1; done
# The sink never reads: its receive queue fills with the first ~240 datagrams, which no
# counter shows until read (Udp6InDatagrams counts at recvmsg), and every later one is a
# Udp6RcvbufErrors.  A flood that is not measured fills it first, so that each measured
# datagram that reaches b's UDP layer is counted.
ip netns exec a "$flood" send $A2 $B2 9 1000 >/dev/null

contexts() { # contexts add [ulids]|flush
  if [ "$1" = add ]; then
    local pa="$A2 $B2" pb="$B2 $A2"
    [ "${2:-}" = ulids ] && pa="$A1 $B1" pb="$B1 $A1"
    "$rv6" -n a shim6 context add local-tag 0x1a peer-tag 0x1b ulid-local $A1 ulid-peer $B1 \
      local-locators $A1,$A2 peer-locators $B1,$B2 pair $pa
    "$rv6" -n b shim6 context add local-tag 0x1b peer-tag 0x1a ulid-local $B1 ulid-peer $A1 \
      local-locators $B1,$B2 peer-locators $A1,$A2 pair $pb
  else
    for n in a b; do "$rv6" -n $n shim6 context flush; done
  fi
}
flood() { measured_flood shim6 "$@"; }
payload_in() { "$rv6" -j -n b shim6 stats | jq '.[0]."payload-in"'; }

run_mode() { # run_mode MODE ROUND
  local mode=$1 round=$2
  case $mode in
  bare)
    rmmod rv6_shim6
    echo "shim6 bare $round $(flood $A2 $B2)" >>"$out"
    insmod "$ko" ;;
  plain) echo "shim6 plain $round $(flood $A2 $B2)" >>"$out" ;;
  ulids)
    contexts add ulids
    echo "shim6 ulids $round $(flood $A1 $B1)" >>"$out"
    contexts flush ;;
  shim6)
    contexts add
    before=$(payload_in)
    echo "shim6 shim6 $round $(flood $A1 $B1)" >>"$out"
    # Every datagram went through the shim: b restored each one.
    echo "shim6-check round=$round payload-in=$(( $(payload_in) - before ))" >>"$out"
    contexts flush ;;
  esac
}

if [ -n "${RV6_PROFILE:-}" ]; then
  flood() { # one flood inside the profile's window
    sync
    ip netns exec a "$flood" send "$1" "$2" 9 "$N" >/dev/null
    sync
    echo "0 $N"
  }
  cat /proc/kallsyms >"$RV6_OUT/kallsyms"
  run_mode "$RV6_PROFILE" 1
  ip netns pids b | xargs -r kill
  exit 0
fi

for round in $(seq "$ROUNDS"); do
  for mode in $(rotate "$round" bare plain ulids shim6); do
    run_mode "$mode" "$round"
  done
done

# The control plane: contexts added one request each, in icount time, and the slab they take.
slab() { awk '$1 == "Slab:" { print $2 }' /proc/meminfo; }
s0=$(slab); t0=$(date +%s%N)
ip netns exec b env RV6_SRC="${RV6_SRC:-}" python3 "$top/tools/testing/selftests/rv6/shim6/shim6_bulk.py" "$CONTEXTS" >/dev/null
t1=$(date +%s%N); s1=$(slab)
echo "shim6-setup $CONTEXTS $((t1 - t0)) $((s1 - s0))" >>"$out"

ip netns pids b | xargs -r kill
sleep 0.5
for n in a b; do ip netns del $n; done
for _ in $(seq 60); do grep -q "^rv6_shim6 " /proc/modules || break; rmmod rv6_shim6 2>/dev/null || sleep 0.5; done
cat "$out"
