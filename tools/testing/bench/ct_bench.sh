#!/bin/bash
# The conntrack-helper half of `make bench`, in the guest.
#  FTP: one control connection, client c -- firewall fw -- server s, 20000
#    command/reply round trips per run, with rv6-ftp, the C ftp helper, or no
#    helper attached in fw; five rounds in rotating order.
#  DHCPv6: 10^4 Solicit/Advertise exchanges between c and s, c behind an
#    input-drop firewall with rv6-dhcpv6, against no helper with a stateless
#    rule that accepts the answers instead.
# Writes "ftp MODE ROUND N SECONDS" and "dhcpv6 MODE ROUND N SECONDS LOST"
# lines to $RV6_OUT/ct_bench.txt.
set -u
here=$(cd "$(dirname "$0")" && pwd)
py="python3 $here/ct_bench.py"
out=${RV6_OUT:?}/ct_bench.txt
: > "$out"
mods=${RV6_MODULES:?}
insmod "$(find "$mods" -name rv6_ct_ftp.ko)"
insmod "$(find "$mods" -name rv6_ct_dhcpv6.ko)"
modprobe nf_conntrack_ftp
N_FTP=${N_FTP:-20000} N_DHCP=${N_DHCP:-10000}

. "$here/../selftests/rv6/topo.sh"
fw_chain_setup
ip netns exec s $py ftp-server & sleep 1

ftp_firewall() {
  local attach=""
  [ "$1" = none ] || attach="ct helper h { type \"$1\" protocol tcp; }
  chain pre { type filter hook prerouting priority 0; tcp dport 21 ct helper set \"h\"; }"
  ip netns exec fw nft -f - <<EOF2
flush ruleset
table inet rv6fw {
  $attach
  chain forward { type filter hook forward priority 0; policy drop;
    ct state established,related accept
    tcp dport 21 ct state new accept
  }
}
EOF2
}
# rotate R WORDS...: the words rotated left by R, so every mode takes every
# position in turn and drift in the guest's speed does not favour one.
rotate() { local r=$1; shift; local a=("$@"); local i; for i in "${!a[@]}"; do echo -n "${a[(i + r) % ${#a[@]}]} "; done; }
ROUNDS=5
for round in $(seq $ROUNDS); do
  for mode in $(rotate "$round" none rv6-ftp ftp); do
    ftp_firewall "$mode"
    echo "ftp $mode $round $(ip netns exec c $py ftp-client 2001:db8:2::2 "$N_FTP")" >> "$out"
  done
done
ip netns pids s | xargs -r kill

# DHCPv6 on a direct link c -- s (c0 moves over from fw).
ip -n fw link del f1
ip link add c1 netns c type veth peer name s1 netns s
ip -n c link set c1 up; ip -n s link set s1 up; sleep 1
ip netns exec s $py dhcp-server s1 & sleep 1
for round in $(seq $ROUNDS); do
  for mode in $(rotate "$round" none rv6-dhcpv6); do
    dhcp_client_firewall c "$mode"
    echo "dhcpv6 $mode $round $(ip netns exec c $py dhcp-client c1 "$N_DHCP")" >> "$out"
  done
done
ip netns pids s | xargs -r kill
for n in c fw s; do ip netns del "$n"; done
rmmod rv6_ct_ftp rv6_ct_dhcpv6 nf_conntrack_ftp
cat "$out"
