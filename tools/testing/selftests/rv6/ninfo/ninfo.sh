#!/bin/bash
# rv6_ninfo: IPv6 Node Information Queries (RFC 4620) answered in the kernel.
# a -- b over veth; b answers.  iputils' ping -N from a asks b's name, its
# IPv6 addresses (global, link-local) and IPv4 addresses, by b's link-local
# address (a link-local querier: answered by default) and about a subject;
# a global querier gets nothing until b allows global queriers (rv6 ninfo set
# querier-scope global); the Replies decode in tshark without a malformed
# mark; a flood of Queries is answered at the configured rate, no more, and
# every Query is counted; hostile Queries (RV6_FUZZ_N, 10^4 by default) are
# counted and leave b answering.
. "$(dirname "$0")/../lib.sh"
here=$(dirname "$0")
work=/tmp/rv6-ninfo; rm -rf $work; mkdir -p $work
A=2001:db8:1::1 B=2001:db8:1::2 B4=192.0.2.2
N=${RV6_FUZZ_N:-10000}; quick && N=300

ktap_print_header
plan 20 17
ensure_module rv6_ninfo || ktap_exit_fail_msg "cannot load rv6_ninfo"
cleanup() { for n in a b; do ip netns pids $n 2>/dev/null | xargs -r kill 2>/dev/null; ip netns del $n 2>/dev/null; done; }
trap cleanup EXIT
# DAD off before the links exist: the link-local addresses are usable at once.
ip -batch - <<<"netns add a
netns add b"
for n in a b; do ip netns exec $n sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0; done
ip link add va netns a type veth peer name vb netns b
ip -n a -batch - <<<"link set lo up
addr add $A/64 dev va nodad
link set va up"
ip -n b -batch - <<<"link set lo up
addr add $B/64 dev vb nodad
addr add $B4/24 dev vb
link set vb up"
ll() { ip -n $1 -6 addr show dev $2 scope link | awk '/inet6/ { sub("/.*", "", $2); print $2 }'; }
for _ in $(seq 50); do LLB=$(ll b vb); [ -n "$LLB" ] && ip -n b -6 addr show dev vb scope link | grep -vq tentative && break; sleep 0.1; done
host=$(hostname)
ni() { ip netns exec a ping -c 1 -W $((2 * S)) "$@" 2>&1; }
# The answer ping prints after "bytes from ADDR: " up to "; seq".
answer() { sed -n 's/^[0-9]* bytes from [^ ]*: \(.*\); seq=1;.*/\1/p' <<<"$1"; }

check "ping -N name to b's link-local address: b's name" "$host" "$(answer "$(ni -N name $LLB%va)")"
check "ping -N ipv6-global: b's global address" "$B" "$(answer "$(ni -N ipv6-global $LLB%va)")"
check "ping -N ipv6-linklocal: b's link-local address" "$LLB" "$(answer "$(ni -N ipv6-linklocal $LLB%va)")"
check "ping -N ipv4: b's IPv4 address" "$B4" "$(answer "$(ni -N ipv4 $LLB%va)")"
check "ping -N ipv6 (no scope flag set): an empty address list, as KAME answers" "" \
  "$(answer "$(ni -N ipv6 $LLB%va)")"
check "ping -N name -N subject-ipv6=B: the name of b's global address" "$host" \
  "$(answer "$(ni -N name -N subject-ipv6=$B $LLB%va)")"
check "ping -N name -N subject-name=HOST: the name of the node called so" "$host" \
  "$(answer "$(ni -N name -N subject-name=$host $LLB%va)")"
out=$(ni -N name -N subject-ipv6=2001:db8:9::9 $LLB%va)
check "a subject that is not b's: no Reply (RFC 4620 §5: silently discarded)" "" "$(answer "$out")"

# A global querier: refused (silently) by default (§8), answered once allowed.
out=$(ni -N name $B)
check "a global querier: no Reply by default" "" "$(answer "$out")"
rv6 -n b ninfo set querier-scope global name rv6-b.example.org
check "querier-scope global, name rv6-b.example.org: the global querier gets the set name" \
  "rv6-b.example.org." "$(answer "$(ni -N name $B)")"
rv6 -n b ninfo set querier-scope link-local name ""
got=$(rv6 -j -n b ninfo stats | jq -c '.[0] | [.queries, .answered, ."ignored-subject", ."ignored-refused", .malformed]')
check "the counters: 10 Queries, 8 answered, 1 subject not ours, 1 refused silently" \
  "[10,8,1,1,0]" "$got"

# Every Qtype's Reply as it goes on the wire, read by tshark.
ip netns exec a tcpdump -U -i va -w $work/ni.pcap 'icmp6 and ip6[40] == 140' 2>$work/tcpdump.err &
wait_for $work/tcpdump.err "listening on"
got=$(ip netns exec a python3 $here/ninfo_query.py each $LLB%va)
sleep 1; ip netns pids a | xargs -r kill; sleep 0.5
check "seven Queries of every Qtype (one unknown), seven Replies" "queries 7 replies 7" "$got"
if ! quick; then
  bad=$(tshark -r $work/ni.pcap -Y '_ws.malformed || _ws.expert.severity >= error' -T fields -e frame.number 2>/dev/null | wc -l)
  codes=$(tshark -r $work/ni.pcap -T fields -e icmpv6.type -e icmpv6.code 2>/dev/null | sort | uniq -c | awk '{ print $1 "x" $2 "/" $3 }' | tr '\n' ' ')
  check "tshark decodes the seven Replies: six of Code 0, one of Code 2 (unknown Qtype), nothing malformed" \
    "6x140/0 1x140/2  0" "$codes $bad"
fi

# Rate limit: the default 10 a second, burst 10; then 2 a second, burst 5.
rv6 -n b ninfo set rate 2 burst 5
before=$(rv6 -j -n b ninfo stats | jq '.[0]."rate-limited"')
got=$(ip netns exec a python3 $here/ninfo_query.py flood $LLB%va 60)
read -r _ sent _ replies _ secs <<<"$got"
limited=$(( $(rv6 -j -n b ninfo stats | jq '.[0]."rate-limited"') - before ))
# At most the burst plus what the rate refills while the flood lasts (and the
# second the script waits for late Replies), and at least the burst.
max=$(python3 -c "import math; print(5 + math.ceil(2 * ($secs + 1.0)))")
check "60 Queries at rate 2 burst 5: between 5 and $max Replies ($got)" yes \
  "$([ "$replies" -ge 5 ] && [ "$replies" -le "$max" ] && echo yes || echo "no: $replies")"
check "... every Query not answered counted as rate-limited" "$((sent - replies))" "$limited"
rv6 -n b ninfo set rate 0

# Hostile Queries: counted, none answered but the valid ones, b still answers.
before=$(rv6 -j -n b ninfo stats | jq '.[0].queries')
got=$(ip netns exec a python3 $here/ninfo_query.py fuzz $LLB%va $N 4620)
read -r _ sent _ _ _ refused <<<"$got"
queries=$(( $(rv6 -j -n b ninfo stats | jq '.[0].queries') - before ))
check "$N hostile Queries ($refused too short to send): every one sent counted ($got)" "$sent" "$queries"
s=$(rv6 -j -n b ninfo stats | jq -c '.[0]')
sum=$(jq '.answered + ."unknown-qtype" + .refused + ."ignored-querier" + ."ignored-queried" + ."ignored-subject" + ."ignored-refused" + .malformed' <<<"$s")
check "... and each under one decision (answered, unknown Qtype, ignored or malformed)" \
  "$(jq .queries <<<"$s")" "$sum"
check "after them, b still answers ping -N name" "$host" "$(answer "$(ni -N name $LLB%va)")"
if ! quick; then
  check "... and an echo" 0 "$(ip netns exec a ping -c 1 -W $((2 * S)) $B >/dev/null 2>&1; echo $?)"
  check "no reply failed to go" 0 "$(rv6 -j -n b ninfo stats | jq '.[0]."send-failed"')"
fi
ktap_finished
