#!/bin/bash
# The Mobile IPv6 half of `make bench`, in the guest.  UDP floods of a fixed
# count (rv6-flood: 64-byte payloads, one send(2) each, into a socket that is
# never read) between a mobile node and a correspondent on one veth link, in
# three modes:
#   plain  home address <-> CN with no XFRM state or policy at all;
#   rv6    the route-optimisation states and policies of mip6_ro.sh, rv6_mip6;
#   mip6   the same, with the C mip6.ko.
# Two directions per mode:
#   out  MN -> CN: HAO inserted on output (MN), verified on input (CN);
#   in   CN -> MN: RT2 inserted on output (CN), processed on input (MN).
# Modes rotate every round so drift in the guest's speed favours none.
# Writes "mip6 MODE DIR ROUND PPS ARRIVED" lines to $RV6_OUT/mip6_bench.txt (ARRIVED:
# how many of the datagrams reached the receiver's UDP layer) and "mip6-check ..."
# lines that show the traffic took the path measured.
set -u
out=${RV6_OUT:?}/mip6_bench.txt
: >"$out"
mods=${RV6_MODULES:?}
H=2001:db8:9::1 A=2001:db8:1::100 C=2001:db8:1::2
N=${MIP6_BENCH_N:-100000} ROUNDS=${MIP6_BENCH_ROUNDS:-3}
flood=$(cd "$(dirname "$0")/../.." && pwd)/target/release/rv6-flood
rv6=$(cd "$(dirname "$0")/../.." && pwd)/target/release/rv6

for n in mn cn; do
  ip netns add $n; ip -n $n link set lo up
  ip netns exec $n sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
done
ip link add m0 netns mn type veth peer name c0 netns cn
ip -n mn addr add $A/64 dev m0 nodad
ip -n mn addr add $H/128 dev lo home nodad
ip -n cn addr add $C/64 dev c0 nodad
ip -n mn link set m0 up; ip -n cn link set c0 up
# Without states the home address is reached directly over the link.
ip -n cn -6 route add 2001:db8:9::/64 via $A dev c0
ip -n mn -6 route add default via $C dev m0
# Static neighbours: no ND traffic in the measurement.
ip -n mn -6 neigh replace $C lladdr "$(ip netns exec cn cat /sys/class/net/c0/address)" dev m0 nud permanent
ip -n cn -6 neigh replace $A lladdr "$(ip netns exec mn cat /sys/class/net/m0/address)" dev c0 nud permanent
# The sinks: their queued datagrams hold the secpath's states (and so the XFRM type's
# module), so they are restarted with every mode.
sinks() {
  for n in mn cn; do ip netns pids $n | xargs -r kill; done
  sleep 0.5
  ip netns exec cn "$flood" sink $C 9 >/dev/null &
  ip netns exec mn "$flood" sink $H 9 >/dev/null &
  sleep 0.5
}

. "$(dirname "$0")/../selftests/rv6/topo.sh"
bindings() { mip6_ro_bindings mn cn $H $C $A; }
unbind() { for n in mn cn; do ip -n $n xfrm policy flush; ip -n $n xfrm state flush; done; }

use_impl() {
  case $1 in
  plain) return ;;
  rv6)
    grep -q "^mip6 " /proc/modules && rmmod mip6
    grep -q "^rv6_mip6 " /proc/modules || insmod "$(find "$mods" -name rv6_mip6.ko)" ;;
  mip6)
    for _ in $(seq 60); do grep -q "^rv6_mip6 " /proc/modules || break; rmmod rv6_mip6 2>/dev/null || sleep 0.5; done
    # Never both: mip6.ko registering the same XFRM types WARNs and replaces rv6's.
    grep -q "^rv6_mip6 " /proc/modules && { echo "rv6_mip6 stays loaded" >&2; exit 1; }
    modprobe mip6 ;;
  esac
  bindings
}

# flood FROM TO SRC DST: "PPS ARRIVED" of one run of $N datagrams.
# Datagrams that reached the UDP layer: queued, or dropped at the full socket (InErrors).
udp_in() { ip netns exec "$1" awk '$1 == "Udp6InDatagrams" || $1 == "Udp6InErrors" { s += $2 } END { print s }' /proc/net/snmp6; }
flood() {
  local before pps
  before=$(udp_in "$2")
  pps=$(ip netns exec "$1" "$flood" send "$3" "$4" 9 "$N" | sed 's/.*pps=//')
  echo "$pps $(( $(udp_in "$2") - before ))"
}

xfrm_errors() { # XFRM error counters of both ends, summed
  cat /proc/net/xfrm_stat >/dev/null 2>&1 || { echo -; return; }
  for n in mn cn; do ip netns exec $n cat /proc/net/xfrm_stat; done | awk '{ s += $2 } END { print s + 0 }'
}

rotate() { local r=$1; shift; local a=("$@"); local i; for i in "${!a[@]}"; do echo -n "${a[(i + r) % ${#a[@]}]} "; done; }
for round in $(seq "$ROUNDS"); do
  for mode in $(rotate "$round" plain rv6 mip6); do
    sinks; use_impl $mode
    echo "mip6 $mode out $round $(flood mn cn $H $C)" >>"$out"
    echo "mip6 $mode in $round $(flood cn mn $C $H)" >>"$out"
    if [ $mode = rv6 ]; then
      echo "mip6-check rv6 round=$round mn: $("$rv6" -n mn mip6 stats) cn: $("$rv6" -n cn mip6 stats)" >>"$out"
    fi
    [ $mode = plain ] || echo "mip6-check $mode round=$round xfrm_errors=$(xfrm_errors)" >>"$out"
    unbind
  done
done
for n in mn cn; do ip netns pids $n | xargs -r kill; done
sleep 0.5
for n in mn cn; do ip netns del $n; done
for _ in $(seq 60); do grep -q "^rv6_mip6 " /proc/modules || break; rmmod rv6_mip6 2>/dev/null || sleep 0.5; done
grep -q "^mip6 " /proc/modules && rmmod mip6
cat "$out"
