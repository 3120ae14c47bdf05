#!/bin/bash
# rv6_ct_dhcpv6: a DHCPv6 client behind a stateful firewall (input policy
# drop, only established/related accepted) gets, confirms and releases a lease
# from dnsmasq with ISC dhclient, directly and through an ISC dhcrelay that
# forwards to All_DHCP_Servers behind its own such firewall, when rv6's helper
# is attached to the outgoing DHCPv6 messages; without it the same runs fail.
# A scripted client exercises every client message type; answers nobody asked
# for, or from outside the link, are not let in.
. "$(dirname "$0")/../lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
work=/tmp/rv6-dhcpv6
client="$here/dhcpv6_client.py"

ktap_print_header
plan 23 10
ensure_module rv6_ct_dhcpv6 || ktap_exit_fail_msg "cannot load rv6_ct_dhcpv6"
rm -rf $work; mkdir -p $work

cleanup() {
  for n in c r s; do ip netns pids "$n" 2>/dev/null | xargs -r kill 2>/dev/null; done
  for n in c r s; do ip netns del "$n" 2>/dev/null; done
}
trap cleanup EXIT

netns() { # netns NAME...: fresh namespaces without DAD, so addresses are usable at once
  local n
  for n in "$@"; do
    ip netns add "$n"; ip -n "$n" link set lo up
    ip netns exec "$n" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
  done
}

# firewall NETNS HELPER [RULE]: input policy drop, accepting established/related
# (and Neighbour Discovery, and RULE); HELPER ("none" for no helper) is attached
# to outgoing DHCPv6 client and relay messages.
firewall() {
  local attach=""
  [ "$2" = none ] || attach="ct helper dhcpv6 { type \"$2\" protocol udp; l3proto ip6; }
  chain out { type filter hook output priority 0; udp dport 547 ct helper set \"dhcpv6\"; }"
  ip netns exec "$1" nft -f - <<EOF
flush ruleset
table ip6 rv6fw {
  $attach
  chain in {
    type filter hook input priority 0; policy drop;
    ct state established,related accept
    icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-advert } accept
    ${3:-}
  }
}
EOF
  ip netns exec "$1" conntrack -F 2>/dev/null
  ip netns exec "$1" conntrack -F expect 2>/dev/null
}

dnsmasq_start() { # dnsmasq_start NETNS IFACE
  ip netns exec "$1" dnsmasq --keep-in-foreground --port=0 --interface="$2" --bind-interfaces \
    --dhcp-range=2001:db8:1::100,2001:db8:1::1ff,64,2h --dhcp-authoritative \
    --dhcp-leasefile=$work/leases --pid-file=$work/dnsmasq.pid --user=root \
    --log-dhcp --log-facility=$work/dnsmasq.log &
  for _ in $(seq 50); do ip netns exec "$1" ss -lun | grep -q ':547 ' && return; sleep 0.1; done
}

# dhclient_run ARGS...: one dhclient -6 run on c0 in c, giving up after 10 s (times S).
echo "timeout $((10 * S)); retry 1;" > $work/dhclient.conf
dhclient_run() {
  ip netns exec c dhclient -6 -v -cf $work/dhclient.conf -lf $work/lease -pf $work/dhclient.pid "$@" c0 2>&1
}
# fresh_client: forget every lease, so that the next dhclient Solicits.  With a lease
# left in its file it would Confirm instead, and RFC 8415 18.2.3 lets it keep the
# lease when no Reply comes: a negative control would then see a lease.
fresh_client() { rm -f $work/lease; ip -n c -6 addr flush dev c0 scope global; }
lease_addr() { ip -n c -6 addr show dev c0 scope global | awk '/inet6/ {sub("/.*", "", $2); print $2}'; }
lease_result() { case "$(lease_addr)" in 2001:db8:1::1[0-9a-f][0-9a-f]) echo lease ;; *) echo "no lease" ;; esac; }

# --- direct: c -- s ------------------------------------------------------
netns c s
ip link add c0 netns c type veth peer name s0 netns s
ip -n s addr add 2001:db8:1::2/64 dev s0
ip -n c link set c0 up; ip -n s link set s0 up
dnsmasq_start s s0

firewall c rv6-dhcpv6
ip netns exec c conntrack -E expect > $work/events 2>&1 & ev=$!
wait_nl_subscribed c 12
out=$(dhclient_run -1); echo "$out" | grep -E '^(XMT|RCV): [A-Z]' | sed 's/^/# dhclient: /'
check "rv6-dhcpv6: dhclient -6 gets a lease from dnsmasq through the firewall" lease "$(lease_result)"
# The quick subset (RV6_QUICK=1, the debug smoke, where every process start
# costs seconds) keeps a lease and its release, the events, two unsolicited
# answers, the counters and the relay's lease: every helper path once.
if ! quick; then
  out=$(dhclient_run -1)
  check "rv6-dhcpv6: a restarted dhclient confirms its lease (Confirm, Reply)" yes \
    "$(echo "$out" | grep -q 'RCV: Reply message' && echo "$out" | grep -q 'Confirm' && echo yes)"
fi
out=$(dhclient_run -r)
check "rv6-dhcpv6: dhclient -r releases it (Release, Reply)" yes \
  "$(echo "$out" | grep -q 'Release' && grep -q 'DHCPRELEASE' $work/dnsmasq.log && [ -z "$(lease_addr)" ] && echo yes)"
quick || while read -r sent got; do
  case $sent in solicit) want=advertise ;; *) want=reply ;; esac
  check "rv6-dhcpv6: scripted $sent is answered ($want)" "$want" "$got"
done < <(ip netns exec c python3 "$client" c0 exchange)
wait_for $work/events 'NEW.*helper=rv6-dhcpv6'; kill $ev
ktap_print_msg "expectation events in the client:"; sed 's/^/#   /' $work/events
check "conntrack -E expect shows rv6-dhcpv6 expectations from fe80::/10 port 547" yes \
  "$(grep -q 'NEW.*sport=547 dport=546 mask-src=ffc0::.*helper=rv6-dhcpv6' $work/events && echo yes)"

# Answers nobody asked for: s sends to c's port 546 from its link-local and
# its global address.  Only the link-local one, after a Solicit, gets in.
cll=$(ip -n c -6 addr show dev c0 scope link | awk '/inet6/ {sub("/.*", "", $2); print $2}')
sll=$(ip -n s -6 addr show dev s0 scope link | awk '/inet6/ {sub("/.*", "", $2); print $2}')
unsolicited() { # unsolicited SOURCE [solicit]: what c's port 546 hears from s
  ip netns exec c python3 "$client" c0 listen 60 ${2:-} > $work/heard & local l=$!
  for _ in $(seq 200); do grep -q ready $work/heard && break; sleep 0.05; done
  ip netns exec s python3 -c "import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind(('$1', 547, 0, socket.if_nametoindex('s0')))
s.sendto(b'\x07\x00\x00\x09', ('$cll', 546, 0, socket.if_nametoindex('s0')))" || echo "send failed" > $work/sent
  # Sent: a datagram that gets in is heard well within a second.
  sleep "$S"; kill $l; wait $l 2>/dev/null
  if [ -s $work/sent ]; then cat $work/sent; rm $work/sent
  elif grep -q heard $work/heard; then grep -m1 heard $work/heard
  else echo "heard nothing"; fi
}
# No server from here on: only the test sends from port 547, and only the
# test listens on 546 (dhclient -x stops any dhclient left behind).
kill "$(cat $work/dnsmasq.pid)"; sleep 0.3
dhclient_run -x > /dev/null
firewall c rv6-dhcpv6
check "unrequested answer from a link-local source is not related" "heard nothing" "$(unsolicited "$sll")"
quick || check "unrequested answer from a global source is not related" "heard nothing" "$(unsolicited 2001:db8:1::2)"
# A Solicit nobody answers leaves an expectation behind, for as long as its
# (unreplied, 30 s) master connection lives: the listener sends one first.
check "after a Solicit, a link-local source is related" "heard $sll" "$(unsolicited "$sll" solicit)"
quick || check "after a Solicit, a global source is still not related" "heard nothing" "$(unsolicited 2001:db8:1::2 solicit)"
dnsmasq_start s s0
# The counters are the client namespace's, where the firewall runs (rv6-ct-dhcpv6
# family, read with rv6); the server's namespace has no helper and counts nothing.
stats() { rv6 -j -n "$1" ct-dhcpv6 stats | jq -r '.[0] | "\(if .expected > 0 then "yes" else "no" end) \(.malformed)"'; }
check "rv6 ct-dhcpv6 stats in c: expectations and nothing malformed" "yes 0" "$(stats c)"
check "rv6 ct-dhcpv6 stats in s, without a helper: nothing counted" "no 0" "$(stats s)"
if ! quick; then
  check "YNL's stats-get in c agrees with rv6's" "$(rv6 -j -n c ct-dhcpv6 stats | jq -c '.[0]')" \
    "$(ip netns exec c bash -c "$(declare -f ynl); top=$top RV6_SRC=$RV6_SRC ynl rv6_ct_dhcpv6 --do stats-get" | jq -c .)"
fi

# Negative controls (each waits for dhclient to give up): not in the quick subset.
if ! quick; then
  firewall c none
  fresh_client
  dhclient_run -1 > /dev/null
  check "no helper: dhclient -6 gets no lease through the firewall" "no lease" "$(lease_result)"
  check "no helper: scripted solicit is not answered" "solicit none" \
    "$(ip netns exec c python3 "$client" c0 solicit)"
fi
kill "$(cat $work/dnsmasq.pid)" 2>/dev/null
cleanup

# --- through a relay: c -- r -- s, r forwarding to ff05::1:3 --------------
netns c r s
ip link add c0 netns c type veth peer name r1 netns r
ip link add s0 netns s type veth peer name r2 netns r
ip -n r addr add 2001:db8:1::1/64 dev r1
ip -n r addr add 2001:db8:2::1/64 dev r2
ip -n s addr add 2001:db8:2::2/64 dev s0
for l in "c c0" "r r1" "r r2" "s s0"; do set -- $l; ip -n "$1" link set "$2" up; done
ip -n s -6 route add 2001:db8:1::/64 via 2001:db8:2::1
rm -f $work/leases $work/lease
dnsmasq_start s s0
relay() {
  ip netns exec r dhcrelay -6 -d -q -l r1 -u r2 > $work/dhcrelay.log 2>&1 &
  for _ in $(seq 50); do ip netns exec r ss -lun | grep -q ':547 ' && break; sleep 0.1; done
}
relay
# The relay serves the clients on r1; from the servers' side only answers may come in.
relay_rule="iifname r1 udp dport 547 accept"
firewall c rv6-dhcpv6; firewall r rv6-dhcpv6 "$relay_rule"
dhclient_run -1 > /dev/null
check "relay: dhclient -6 gets a lease through dhcrelay to ff05::1:3, both firewalled" lease "$(lease_result)"
check "relay: the relay's Relay-forw to ff05::1:3 was expected from any source" yes \
  "$(ip netns exec r conntrack -L expect -f ipv6 2>/dev/null | grep -q 'dport=547 .*master-dst=ff05::1:3 .*helper=rv6-dhcpv6' && echo yes)"
dhclient_run -r > /dev/null
if ! quick; then
  firewall r none "$relay_rule"
  fresh_client
  dhclient_run -1 > /dev/null
  check "relay: no helper on the relay: no lease" "no lease" "$(lease_result)"
fi
cleanup

# --- make bench's sequence: one long-lived client, the helper on and off ---
# The benchmark alternates rounds of Solicit/Advertise exchanges behind the
# firewall with rv6-dhcpv6 attached and with a stateless rule instead, on one
# client address and port, without flushing conntrack in between: the master
# connection, its expectation and the answers' connection live across `nft
# flush ruleset` and every re-attachment.  Once (2026-11-29) a helper round
# lost every exchange; a client that keeps retransmitting must never be cut
# off.  Five rounds of each mode, in the benchmark's rotating order.
netns c s
ip link add c1 netns c type veth peer name s1 netns s
ip -n c link set c1 up; ip -n s link set s1 up
bench="python3 $here/../../../bench/ct_bench.py"
ip netns exec s $bench dhcp-server s1 &
for _ in $(seq 50); do ip netns exec s ss -lun | grep -q ':547 ' && break; sleep 0.1; done
n=$(quick && echo 100 || echo 1000); lost=""
for round in 1 2 3 4 5; do
  if [ $((round % 2)) = 1 ]; then modes="rv6-dhcpv6 none"; else modes="none rv6-dhcpv6"; fi
  for mode in $modes; do
    dhcp_client_firewall c "$mode"
    got=$(ip netns exec c $bench dhcp-client c1 "$n" 3)
    ktap_print_msg "round $round, $mode: $got (exchanges, seconds, lost)"
    lost="$lost ${got##* }"
  done
done
check "bench sequence: 5 rounds with rv6-dhcpv6 and 5 without, $n exchanges each, on one client tuple: none lost" \
  " 0 0 0 0 0 0 0 0 0 0" "$lost"
cleanup

ktap_finished
