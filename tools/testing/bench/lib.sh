# SPDX-License-Identifier: GPL-2.0
# What the packet-path benchmarks (guard_bench.sh, shim6_bench.sh) share: a UDP
# flood of a fixed count from namespace a to a sink in b that never reads,
# and what tells that every datagram arrived.  Sourced after $flood (the
# rv6-flood binary), $N (datagrams a flood) and $out (the results file) are set.

# udp_in NS: datagrams NS's UDP layer took, delivered or dropped at the full
# socket (the sink never reads: Udp6InDatagrams counts only at recvmsg).
udp_in() { ip netns exec "$1" awk '$1 == "Udp6InDatagrams" || $1 == "Udp6InErrors" { s += $2 } END { print s }' /proc/net/snmp6; }
# Packets the receive backlogs dropped (softnet_stat's second column), all CPUs.
backlog_drops() { local s=0 _p d _r; while read -r _p d _r; do s=$((s + 16#$d)); done </proc/net/softnet_stat; echo $s; }
# measured_flood LABEL SRC DST: one flood a -> b, "PPS ARRIVED", and a
# "LABEL-backlog-drops N" line in $out when the backlog dropped.
measured_flood() {
  local label=$1 before pps drops
  before=$(udp_in b) drops=$(backlog_drops)
  pps=$(ip netns exec a "$flood" send "$2" "$3" 9 "$N" | sed 's/.*pps=//')
  drops=$(( $(backlog_drops) - drops ))
  [ "$drops" = 0 ] || echo "$label-backlog-drops $drops" >>"$out"
  echo "$pps $(( $(udp_in b) - before ))"
}
# rotate R WORDS...: the words, starting at the Rth (modulo their number).
rotate() { local r=$1; shift; local a=("$@"); local i; for i in "${!a[@]}"; do echo -n "${a[(i + r) % ${#a[@]}]} "; done; }
