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

# shim6_setup: two multihomed hosts, each with a locator on each of two
# provider links, through two routers, without DAD:
#   a  a1 2001:db8:a1::1 -- r1 -- b1 2001:db8:b1::1  b
#      a2 2001:db8:a2::1 -- r2 -- b2 2001:db8:b2::1
# Each host reaches the peer's prefix on a link through that link's router
# only, so a locator pair picks the path.  A's ULID is 2001:db8:a1::1, B's
# 2001:db8:b1::1 (the path through r1).
shim6_setup() {
  local n l
  for n in a b r1 r2; do
    ip netns add "$n"; ip -n "$n" link set lo up
    ip netns exec "$n" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
  done
  ip link add a1 netns a type veth peer name ra netns r1
  ip link add b1 netns b type veth peer name rb netns r1
  ip link add a2 netns a type veth peer name ra netns r2
  ip link add b2 netns b type veth peer name rb netns r2
  for l in "a a1 2001:db8:a1::1" "a a2 2001:db8:a2::1" "b b1 2001:db8:b1::1" "b b2 2001:db8:b2::1" \
           "r1 ra 2001:db8:a1::ff" "r1 rb 2001:db8:b1::ff" "r2 ra 2001:db8:a2::ff" "r2 rb 2001:db8:b2::ff"; do
    set -- $l
    ip -n "$1" addr add "$3/64" dev "$2" nodad; ip -n "$1" link set "$2" up
  done
  for n in r1 r2; do ip netns exec "$n" sysctl -qw net.ipv6.conf.all.forwarding=1; done
  ip -n a -6 route add 2001:db8:b1::/64 via 2001:db8:a1::ff
  ip -n a -6 route add 2001:db8:b2::/64 via 2001:db8:a2::ff
  ip -n b -6 route add 2001:db8:a1::/64 via 2001:db8:b1::ff
  ip -n b -6 route add 2001:db8:a2::/64 via 2001:db8:b2::ff
}

shim6_cleanup() {
  local n
  for n in a b r1 r2; do ip netns pids "$n" 2>/dev/null | xargs -r kill 2>/dev/null; done
  for n in a b r1 r2; do ip netns del "$n" 2>/dev/null; done
}
