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
  local n
  # Few processes (each costs about a second on the debug kernel under TCG):
  # one `ip -batch` per namespace, DAD off before the links exist.
  ip -batch - <<<"netns add c
netns add fw
netns add s"
  for n in c fw s; do
    ip netns exec "$n" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
      $([ "$n" = fw ] && echo net.ipv6.conf.all.forwarding=1 net.ipv4.ip_forward=1)
  done
  ip -batch - <<<"link add c0 netns c type veth peer name f1 netns fw
link add s0 netns s type veth peer name f2 netns fw"
  ip -n c -batch - <<<"link set lo up
addr add 2001:db8:1::1/64 dev c0 nodad
addr add 10.0.1.1/24 dev c0
link set c0 up
route add 0.0.0.0/0 via 10.0.1.2
route add ::/0 via 2001:db8:1::2"
  ip -n fw -batch - <<<"link set lo up
addr add 2001:db8:1::2/64 dev f1 nodad
addr add 10.0.1.2/24 dev f1
addr add 2001:db8:2::1/64 dev f2 nodad
addr add 10.0.2.1/24 dev f2
link set f1 up
link set f2 up"
  ip -n s -batch - <<<"link set lo up
addr add 2001:db8:2::2/64 dev s0 nodad
addr add 10.0.2.2/24 dev s0
link set s0 up
route add 0.0.0.0/0 via 10.0.2.1
route add ::/0 via 2001:db8:2::1"
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
  local n
  # A handful of processes, not forty: on the debug kernel under TCG each one
  # costs about a second.  DAD is off before the links exist (they take the
  # namespace's defaults when made), and the routers forward.
  ip -batch - <<<"netns add a
netns add b
netns add r1
netns add r2"
  for n in a b r1 r2; do
    ip netns exec "$n" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
      $(case $n in r*) echo net.ipv6.conf.all.forwarding=1 ;; esac)
  done
  ip -batch - <<<"link add a1 netns a type veth peer name ra netns r1
link add b1 netns b type veth peer name rb netns r1
link add a2 netns a type veth peer name ra netns r2
link add b2 netns b type veth peer name rb netns r2"
  ip -n a -batch - <<<"link set lo up
addr add 2001:db8:a1::1/64 dev a1 nodad
addr add 2001:db8:a2::1/64 dev a2 nodad
link set a1 up
link set a2 up
route add 2001:db8:b1::/64 via 2001:db8:a1::ff
route add 2001:db8:b2::/64 via 2001:db8:a2::ff"
  ip -n b -batch - <<<"link set lo up
addr add 2001:db8:b1::1/64 dev b1 nodad
addr add 2001:db8:b2::1/64 dev b2 nodad
link set b1 up
link set b2 up
route add 2001:db8:a1::/64 via 2001:db8:b1::ff
route add 2001:db8:a2::/64 via 2001:db8:b2::ff"
  ip -n r1 -batch - <<<"link set lo up
addr add 2001:db8:a1::ff/64 dev ra nodad
addr add 2001:db8:b1::ff/64 dev rb nodad
link set ra up
link set rb up"
  ip -n r2 -batch - <<<"link set lo up
addr add 2001:db8:a2::ff/64 dev ra nodad
addr add 2001:db8:b2::ff/64 dev rb nodad
link set ra up
link set rb up"
}

shim6_cleanup() {
  local n
  for n in a b r1 r2; do ip netns pids "$n" 2>/dev/null | xargs -r kill 2>/dev/null; done
  for n in a b r1 r2; do ip netns del "$n" 2>/dev/null || true; done
}

# dhcp_client_firewall NETNS MODE: a DHCPv6 client's firewall in NETNS (input
# policy drop, established/related and Neighbour Discovery accepted); MODE is
# a helper name, attached to the outgoing messages to port 547, or "none" for
# a stateless rule that accepts answers (port 547 to 546) instead.  Conntrack
# is left as it is: make bench's DHCPv6 rounds and ct_dhcpv6's replay of them.
dhcp_client_firewall() {
  local attach="" stateless=""
  if [ "$2" = none ]; then stateless="udp sport 547 udp dport 546 accept"
  else attach="ct helper h { type \"$2\" protocol udp; l3proto ip6; }
  chain out { type filter hook output priority 0; udp dport 547 ct helper set \"h\"; }"; fi
  ip netns exec "$1" nft -f - <<EOF2
flush ruleset
table ip6 rv6fw {
  $attach
  chain in { type filter hook input priority 0; policy drop;
    ct state established,related accept
    icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept
    $stateless
  }
}
EOF2
}

# tunnel_ends_setup A B OUTER_A OUTER_B INNER_A INNER_B NET_A NET_B: the two
# ends of an IPsec tunnel, namespaces A and B over one veth (va in A, vb in B)
# without DAD, each with its outer address (/64) on the link, its inner
# address (/128) on lo, and a route to the other's inner prefix on the link.
# The XFRM MIGRATE suites move OUTER_A and keep the inner prefixes.
tunnel_ends_setup() {
  local a=$1 b=$2 n
  ip -batch - <<<"netns add $a
netns add $b"
  for n in "$a" "$b"; do
    ip netns exec "$n" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
  done
  ip link add va netns "$a" type veth peer name vb netns "$b"
  ip -n "$a" -batch - <<<"link set lo up
addr add $5/128 dev lo
addr add $3/64 dev va nodad
link set va up
route add $8 dev va"
  ip -n "$b" -batch - <<<"link set lo up
addr add $6/128 dev lo
addr add $4/64 dev vb nodad
link set vb up
route add $7 dev vb"
}
