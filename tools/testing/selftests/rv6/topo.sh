# shellcheck shell=bash
# Network-namespace topologies and configurations shared by rv6's selftests
# (through lib.sh) and benchmarks (tools/testing/bench), which source it
# directly: nothing here prints KTAP.

# fw_chain_setup: client c -- forwarding firewall fw -- server s over veth,
# IPv6 and IPv4, without DAD (also for links added later, such as a second
# pair for DHCPv6 between c and s).
#   c  c0 2001:db8:1::1 10.0.1.1    fw  f1 2001:db8:1::2 10.0.1.2
#   s  s0 2001:db8:2::2 10.0.2.2        f2 2001:db8:2::1 10.0.2.1
fw_chain_setup() {
  local n l
  for n in c fw s; do
    ip netns add "$n"; ip -n "$n" link set lo up
    ip netns exec "$n" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
  done
  ip link add c0 netns c type veth peer name f1 netns fw
  ip link add s0 netns s type veth peer name f2 netns fw
  for l in "c c0 2001:db8:1::1 10.0.1.1" "fw f1 2001:db8:1::2 10.0.1.2" \
           "fw f2 2001:db8:2::1 10.0.2.1" "s s0 2001:db8:2::2 10.0.2.2"; do
    set -- $l
    ip -n "$1" addr add "$3/64" dev "$2" nodad; ip -n "$1" addr add "$4/24" dev "$2"
    ip -n "$1" link set "$2" up
  done
  ip netns exec fw sysctl -qw net.ipv6.conf.all.forwarding=1 net.ipv4.ip_forward=1
  ip -n c route add default via 10.0.1.2; ip -n c -6 route add default via 2001:db8:1::2
  ip -n s route add default via 10.0.2.1; ip -n s -6 route add default via 2001:db8:2::1
}

fw_chain_cleanup() {
  local n
  for n in c fw s; do ip netns pids "$n" 2>/dev/null | xargs -r kill 2>/dev/null; done
  for n in c fw s; do ip netns del "$n" 2>/dev/null; done
}

# mip6_ro_bindings MN CN HOA CN_ADDR COA: the XFRM states and policies of a
# Mobile IPv6 binding with route optimisation, on both ends, as a Mobile IPv6
# daemon (UMIP) installs them: the MN in netns MN sends from HOA with a Home
# Address option and takes replies with a type 2 Routing Header; the CN in
# netns CN does the reverse.  Both reach the MN at its care-of address COA.
mip6_ro_bindings() {
  local mn=$1 cn=$2 h=$3 c=$4 a=$5
  ip -n "$mn" xfrm state add src "$h" dst "$c" proto hao mode ro coa "$a"
  ip -n "$mn" xfrm policy add src "$h/128" dst "$c/128" dir out tmpl src "$h" dst "$c" proto hao mode ro
  ip -n "$mn" xfrm state add src "$c" dst "$h" proto route2 mode ro coa "$a"
  ip -n "$mn" xfrm policy add src "$c/128" dst "$h/128" dir in tmpl src "$c" dst "$h" proto route2 mode ro level use
  ip -n "$cn" xfrm state add src "$h" dst "$c" proto hao mode ro coa "$a"
  ip -n "$cn" xfrm policy add src "$h/128" dst "$c/128" dir in tmpl src "$h" dst "$c" proto hao mode ro level use
  ip -n "$cn" xfrm state add src "$c" dst "$h" proto route2 mode ro coa "$a"
  ip -n "$cn" xfrm policy add src "$c/128" dst "$h/128" dir out tmpl src "$c" dst "$h" proto route2 mode ro
}
