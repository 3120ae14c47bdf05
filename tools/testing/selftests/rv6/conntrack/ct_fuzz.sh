#!/bin/bash
# rv6_ct_ftp and rv6_ct_dhcpv6 under malformed input from the client side:
# 10^4 random control-connection writes and 10^4 random DHCPv6 payloads
# (RV6_FUZZ_N sets the count; 10^5 for the debug-kernel run).  Nothing may
# crash or leak (the runner judges the console), expectations stay within the
# helpers' caps, every DHCPv6 payload is counted, and both helpers still do
# their job afterwards.
. "$(dirname "$0")/../lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
N=${RV6_FUZZ_N:-10000}
quick && N=$(( N < 200 ? N : 200 ))

ktap_print_header
ktap_set_plan 8
ensure_module rv6_ct_ftp || ktap_exit_fail_msg "cannot load rv6_ct_ftp"
ensure_module rv6_ct_dhcpv6 || ktap_exit_fail_msg "cannot load rv6_ct_dhcpv6"

trap fw_chain_cleanup EXIT
fw_chain_setup
ip netns exec fw nft -f - <<NFT
table inet rv6fw {
  ct helper ftp { type "rv6-ftp" protocol tcp; }
  chain pre { type filter hook prerouting priority 0; tcp dport 21 ct helper set "ftp"; }
}
NFT
ip netns exec c nft -f - <<NFT
table ip6 rv6fw {
  ct helper dhcpv6 { type "rv6-dhcpv6" protocol udp; l3proto ip6; }
  chain out { type filter hook output priority 0; udp dport 547 ct helper set "dhcpv6"; }
}
NFT
ip netns exec s python3 "$here/ct_ftp_probe.py" sink &
for _ in $(seq 100); do ip netns exec s ss -ltn | grep -q ':21 ' && break; sleep 0.1; done

# stat NETNS OBJECT COUNTER: one counter of a helper in a namespace (rv6 OBJECT stats):
# rv6-ftp counts in the firewall fw, rv6-dhcpv6 in the client c.
stat() { rv6 -j -n "$1" "$2" stats | jq -r --arg k "$3" '.[0][$k]'; }
ftp_lines0=$(stat fw ct-ftp lines)
d_msgs0=$(stat c ct-dhcpv6 messages) d_bad0=$(stat c ct-dhcpv6 malformed)

t0=$(date +%s)
out=$(ip netns exec c python3 "$here/ct_fuzz.py" ftp 2001:db8:2::2 "$N" 1 2>&1)
check "$N random FTP control writes sent through rv6-ftp" "sent $N" "$out"
exps=$(ip netns exec fw conntrack -L expect -f ipv6 2>/dev/null | grep -c rv6-ftp)
ktap_print_msg "rv6-ftp: $(($(stat fw ct-ftp lines) - ftp_lines0)) lines parsed, $exps expectations left, $(( $(date +%s) - t0 )) s"
check "expectations stay within one per control connection (8)" yes "$([ "$exps" -le 8 ] && echo yes)"

t0=$(date +%s)
out=$(ip netns exec c python3 "$here/ct_fuzz.py" dhcpv6 c0 "$N" 2 2>&1)
check "$N random DHCPv6 payloads sent through rv6-dhcpv6" "sent $N" "$out"
seen=$(( $(stat c ct-dhcpv6 messages) - d_msgs0 + $(stat c ct-dhcpv6 malformed) - d_bad0 ))
ktap_print_msg "rv6-dhcpv6: $seen payloads counted ($(( $(stat c ct-dhcpv6 malformed) - d_bad0 )) malformed), $(( $(date +%s) - t0 )) s"
check "every DHCPv6 payload is counted, as a message or as malformed" "$N" "$seen"
exps=$(ip netns exec c conntrack -L expect -f ipv6 2>/dev/null | grep -c rv6-dhcpv6)
check "at most one DHCPv6 expectation for the one client tuple" yes "$([ "$exps" -le 1 ] && echo yes)"

# Still working: a valid EPRT on a fresh connection gets its expectation.
ip netns exec fw conntrack -F expect 2>/dev/null
ip netns exec c python3 -c "import socket, time
s = socket.create_connection(('2001:db8:2::2', 21)); s.recv(100)
s.sendall(b'EPRT |2|2001:db8:1::1|50000|\r\n'); time.sleep(0.3 * $S)"
check "rv6-ftp still creates an expectation for a valid EPRT" 1 \
  "$(ip netns exec fw conntrack -L expect -f ipv6 2>/dev/null | grep -c 'dport=50000 .*rv6-ftp')"
# Unloading with live state: a control connection holding half a command has
# rv6-ftp state.  With the ruleset gone (its helper object pins the module),
# rmmod must free that state; the connection keeps working without a helper.
ip netns exec c python3 -c "import socket, time
s = socket.create_connection(('2001:db8:2::2', 21)); s.recv(100)
s.sendall(b'EPRT |2|2001:db8:1::1|'); time.sleep(4 * $S)
s.sendall(b'50001|\r\n' + b'NOOP\r\n' * 100); s.close(); print('connection survived')" > /tmp/rv6-live.out 2>&1 &
live=$!
sleep $((2 * S))
ip netns exec fw nft flush ruleset
rmmod rv6_ct_ftp; rc=$?
wait $live
check "rmmod rv6_ct_ftp with a connection holding helper state" 0 "$rc"
check "the connection carries on after the helper is gone" "connection survived" "$(cat /tmp/rv6-live.out)"
ensure_module rv6_ct_ftp
ktap_finished
