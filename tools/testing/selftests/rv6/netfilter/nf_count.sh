#!/bin/bash
# rv6_nf_count (samples/rust): per-namespace IPv6 hook counters move by exactly
# the packets a ping sends, at exactly the hooks those packets cross.
. "$(dirname "$0")/../lib.sh"
dir=/sys/kernel/debug/rv6_nf_count

# echo_counts NETNS: the ICMPv6 echo count at each hook, in HookPoint order.
echo_counts() { awk 'NF {print $NF}' "$dir/$(netns_inum "$1")" | paste -sd' '; }
# diff_counts BEFORE AFTER: element-wise AFTER - BEFORE.
diff_counts() { paste -d' ' <(tr ' ' '\n' <<<"$1") <(tr ' ' '\n' <<<"$2") | awk '{print $2-$1}' | paste -sd' '; }

ktap_print_header
ktap_set_plan 9
ensure_module rv6_nf_count || ktap_exit_fail_msg "cannot load rv6_nf_count"
trap chain_cleanup EXIT

check "initial namespace has a counter file" yes \
  "$([ -f "$dir/$(stat -L -c %i /proc/self/ns/net)" ] && echo yes || echo no)"

chain_setup
check "a namespace created after loading gets a counter file" yes \
  "$([ -f "$dir/$(netns_inum a)" ] && echo yes || echo no)"

# Hook order in the file: PREROUTING INPUT FORWARD OUTPUT POSTROUTING.
before=$(echo_counts a)
ip netns exec a ping -q -c 3 -i 0.2 -W 5 ::1 >/dev/null
check "ping ::1 x3: each echo crosses OUTPUT, POSTROUTING, PREROUTING, INPUT" \
  "6 6 0 6 6" "$(diff_counts "$before" "$(echo_counts a)")"

ba=$(echo_counts a); br=$(echo_counts r); bb=$(echo_counts b)
ip netns exec a ping -q -c 3 -i 0.2 -W 5 2001:db8:2::2 >/dev/null
check "ping a->b x3: sender sees requests out, replies in" "3 3 0 3 3" "$(diff_counts "$ba" "$(echo_counts a)")"
check "ping a->b x3: router forwards all six" "6 0 6 0 6" "$(diff_counts "$br" "$(echo_counts r)")"
check "ping a->b x3: target sees requests in, replies out" "3 3 0 3 3" "$(diff_counts "$bb" "$(echo_counts b)")"

inum=$(netns_inum b)
ip netns del b
for _ in $(seq 50); do [ -f "$dir/$inum" ] || break; sleep 0.1; done
check "deleting a namespace removes its counters" gone "$([ -f "$dir/$inum" ] && echo present || echo gone)"

rmmod rv6_nf_count
check "unloading with namespaces alive removes everything" gone "$([ -d "$dir" ] && echo present || echo gone)"
insmod "$(rv6_ko rv6_nf_count)"
check "loading again sets up namespaces that already exist" yes \
  "$([ -f "$dir/$(netns_inum a)" ] && [ -f "$dir/$(netns_inum r)" ] && echo yes || echo no)"
ktap_finished
