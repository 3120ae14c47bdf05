#!/bin/bash
# rv6_mip6 end to end: route optimisation between a mobile node away from home
# and a correspondent, both kernels' halves configured with iproute2 the way a
# Mobile IPv6 daemon does.  The MN's home network is a black hole on the way,
# so only route-optimised traffic gets through.  Run with rv6_mip6 and, for
# parity, with mip6.ko.
#
#   mn  m0 2001:db8:1::100 (care-of), lo 2001:db8:9::1 (home)
#   ha  h1 2001:db8:1::2, h2 2001:db8:2::1; 2001:db8:9::/64 -> blackhole
#   cn  c0 2001:db8:2::2
#
# Then the path MTU: ha's link to the MN carries 1280 bytes, the CN's TCP to the
# home address (via RT2, to the care-of address) needs more, and ha's Packet Too
# Big quotes the care-of address.  rv6_mip6 swaps the quoted addresses back
# (kernel patch 0012's hook), TCP shrinks its segments and the transfer
# completes; with mip6.ko the error finds no socket and the transfer stalls.
. "$(dirname "$0")/../lib.sh"
H=2001:db8:9::1 A=2001:db8:1::100 C=2001:db8:2::2
work=/tmp/rv6-mip6-ro; mkdir -p $work

ktap_print_header
impls="rv6 mip6"; quick && impls=rv6
plan 17 8

cleanup() {
  for n in mn ha cn; do ip netns pids "$n" 2>/dev/null | xargs -r kill 2>/dev/null; done
  for n in mn ha cn; do ip -n $n xfrm state flush 2>/dev/null; ip netns del "$n" 2>/dev/null; done
}
trap cleanup EXIT

topology() {
  local n
  for n in mn ha cn; do
    ip netns add $n; ip -n $n link set lo up
    ip netns exec $n sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
  done
  ip link add m0 netns mn type veth peer name h1 netns ha
  ip link add c0 netns cn type veth peer name h2 netns ha
  ip -n mn addr add $A/64 dev m0 nodad
  ip -n mn addr add $H/128 dev lo home nodad
  ip -n ha addr add 2001:db8:1::2/64 dev h1 nodad
  ip -n ha addr add 2001:db8:2::1/64 dev h2 nodad
  ip -n cn addr add $C/64 dev c0 nodad
  for l in "mn m0" "ha h1" "ha h2" "cn c0"; do set -- $l; ip -n $1 link set $2 up; done
  ip netns exec ha sysctl -qw net.ipv6.conf.all.forwarding=1
  ip -n ha -6 route add blackhole 2001:db8:9::/64
  ip -n mn -6 route add default via 2001:db8:1::2
  ip -n cn -6 route add default via 2001:db8:2::1
}


use_impl() {
  if [ "$1" = rv6 ]; then
    grep -q "^mip6 " /proc/modules && rmmod mip6
    ensure_module rv6_mip6
  else
    for _ in $(seq 60); do grep -q "^rv6_mip6 " /proc/modules || break; rmmod rv6_mip6 2>/dev/null || sleep 0.5; done
    # Never both: the second module's XFRM types would be refused (EEXIST).
    grep -q "^rv6_mip6 " /proc/modules && return 1
    modprobe mip6
  fi
}

for impl in $impls; do
  use_impl $impl || ktap_exit_fail_msg "cannot load $impl"
  topology; mip6_ro_bindings mn cn $H $C $A
  ip netns exec ha tcpdump -K -l -n -vv -i h1 ip6 >$work/wire.txt 2>$work/tcpdump.err &
  capture=$!
  wait_for $work/tcpdump.err "listening on"
  ip netns exec cn socat -T $((5 * S)) UDP6-RECVFROM:7,fork EXEC:cat >/dev/null 2>&1 &
  wait_listening cn udp 7
  ip netns exec mn ping -q -c 2 -W $((2 * S)) -I $H $C >/dev/null 2>&1
  check "[$impl] ping from the home address to the CN, route-optimised" 0 $?
  got=$(echo rv6-udp | ip netns exec mn socat -T $((3 * S)) - UDP6:[$C]:7,bind=[$H] 2>/dev/null)
  check "[$impl] UDP from the home address and back (checksums over the home address)" rv6-udp "$got"
  # The datagram is the last packet; once tcpdump printed it, it printed the rest.
  wait_for $work/wire.txt "homeaddr: $H\) .*UDP"
  kill $capture; wait $capture
  req=$(grep -c "$A > $C: DSTOPT (padn)(homeaddr: $H) .*ICMP6, echo request" $work/wire.txt)
  check "[$impl] requests leave from the care-of address with HAO = home address" 2 "$req"
  rep=$(grep -c "$C > $A: RT6 (len=2, type=2, segleft=1, rsv=0x0, \[0\]$H) .*ICMP6, echo reply" $work/wire.txt)
  check "[$impl] replies go to the care-of address with RT2 = home address" 2 "$rep"
  udp=$(grep -c "$A > $C: DSTOPT (padn)(homeaddr: $H) .*UDP" $work/wire.txt)
  check "[$impl] the UDP datagram carries the HAO too" 1 "$udp"
  # Path MTU across the 1280-byte link, with the MN's own link still at 1500 (so
  # it offers an MSS of 1440 and the CN sends segments that do not fit).
  ip -n ha link set h1 mtu 1280
  head -c 300000 /dev/urandom >$work/tcp.in
  rm -f $work/tcp.out
  ip netns exec mn socat -u TCP6-LISTEN:5001,bind=[$H],reuseaddr OPEN:$work/tcp.out,creat,trunc &
  receiver=$!
  wait_listening mn tcp 5001
  ip netns exec cn socat -u OPEN:$work/tcp.in TCP6:[$H]:5001 >/dev/null 2>&1 &
  for _ in $(seq $((50 * S))); do kill -0 $receiver 2>/dev/null || break; sleep 0.1; done
  kill $receiver 2>/dev/null; wait $receiver 2>/dev/null
  got=stalled; cmp -s $work/tcp.in $work/tcp.out && got=complete
  want=complete; [ $impl = mip6 ] && want=stalled
  check "[$impl] TCP from the CN to the home address across a 1280-byte link: $want" $want $got
  mtu=$(ip -n cn -6 route get $H | grep -o 'mtu [0-9]*'); want="mtu 1280"; [ $impl = mip6 ] && want=""
  check "[$impl] the CN's path MTU towards the home address: ${want:-unchanged}" "$want" "$mtu"
  ip netns pids cn | xargs -r kill 2>/dev/null
  ip -n ha link set h1 mtu 1500
  # Negative control: without the CN's RT2 state the reply heads for the home network.
  ip -n cn xfrm policy delete src $C/128 dst $H/128 dir out
  ip -n cn xfrm state delete src $C dst $H proto route2
  ip netns exec mn ping -q -c 1 -W $((1 * S)) -I $H $C >/dev/null 2>&1
  check "[$impl] without the CN's RT2 binding the reply is lost at home" 1 $?
  cleanup
done
if ! quick; then
  # mip6.ko is loaded now: rv6_mip6's types are refused by the core (kernel
  # patch 0005), which used to WARN and hand mip6.ko's states to rv6.
  out=$(insmod "$(rv6_ko rv6_mip6)" 2>&1); rc=$?
  check "rv6_mip6 beside mip6.ko: refused (the core's EEXIST), mip6.ko untouched" "1 loaded" \
    "$([ $rc = 0 ] && echo 0 || echo 1) $(grep -q '^mip6 ' /proc/modules && echo loaded || echo gone)"
fi
use_impl rv6
ktap_finished
