#!/bin/bash
# rv6_nf_count (samples/rust): per-namespace IPv6 hook counters move by exactly
# the packets a ping sends, at exactly the hooks those packets cross, and the
# generic netlink family rv6-nf-count serves them to the kernel's own YNL
# client: dump and do, each namespace its own, resets for its admins only,
# bad requests refused with the kernel's extack.
. "$(dirname "$0")/../lib.sh"

# echo_counts NETNS: the ICMPv6 echo count at each hook, in hook order
# (pre-routing local-in forward local-out post-routing), from a dump.
echo_counts() { ip netns exec "$1" bash -c "$(declare -f ynl); top=$top RV6_SRC=$RV6_SRC ynl rv6_nf_count --dump get" |
  jq -r 'map(.echo) | join(" ")'; }
# diff_counts BEFORE AFTER: element-wise AFTER - BEFORE.
diff_counts() { paste -d' ' <(tr ' ' '\n' <<<"$1") <(tr ' ' '\n' <<<"$2") | awk '{print $2-$1}' | paste -sd' '; }

ktap_print_header
ktap_set_plan 15
ensure_module rv6_nf_count || ktap_exit_fail_msg "cannot load rv6_nf_count"
trap chain_cleanup EXIT

check "a dump in the initial namespace has the five hooks in order" \
  "pre-routing local-in forward local-out post-routing" \
  "$(ynl rv6_nf_count --dump get | jq -r 'map(.hook) | join(" ")')"

chain_setup
check "a namespace created after loading has its own counters" 5 \
  "$(echo_counts a | wc -w)"

before=$(echo_counts a)
ip netns exec a ping -q -c 3 -i 0.2 -W 5 ::1 >/dev/null
check "ping ::1 x3: each echo crosses OUTPUT, POSTROUTING, PREROUTING, INPUT" \
  "6 6 0 6 6" "$(diff_counts "$before" "$(echo_counts a)")"

ba=$(echo_counts a); br=$(echo_counts r); bb=$(echo_counts b)
ip netns exec a ping -q -c 3 -i 0.2 -W 5 2001:db8:2::2 >/dev/null
check "ping a->b x3: sender sees requests out, replies in" "3 3 0 3 3" "$(diff_counts "$ba" "$(echo_counts a)")"
check "ping a->b x3: router forwards all six" "6 0 6 0 6" "$(diff_counts "$br" "$(echo_counts r)")"
check "ping a->b x3: target sees requests in, replies out" "3 3 0 3 3" "$(diff_counts "$bb" "$(echo_counts b)")"

# do get: one hook, the same numbers the dump gave.
got=$(ip netns exec r python3 "$RV6_SRC/tools/net/ynl/pyynl/cli.py" --no-schema --output-json \
  --spec "$top/Documentation/netlink/specs/rv6_nf_count.yaml" --do get --json '{"hook": "forward"}')
check "do get forward answers that hook with the dump's count" \
  "forward $(echo_counts r | cut -d' ' -f3)" "$(jq -r '"\(.hook) \(.echo)"' <<<"$got")"

# Bad requests: refused by the policy or the handler, with an extack message.
out=$(ynl rv6_nf_count --do get --json '{"hook": 5}' 2>&1); rc=$?
check "a hook out of range: ERANGE, the policy's extack names the range and the attribute" "1 yes" \
  "$rc $(grep -q "integer out of range: Numerical result out of range.*'max-value': 4.*'bad-attr': '.hook'" <<<"$out" &&
         echo yes || echo "no: $out")"
out=$(ynl rv6_nf_count --do get 2>&1); rc=$?
check "no hook: EINVAL with 'missing attribute' naming it" "1 yes" \
  "$rc $(grep -q "missing attribute: Invalid argument.*'miss-type': 'hook'" <<<"$out" && echo yes || echo "no: $out")"

# Permissions: reset needs CAP_NET_ADMIN over the namespace (GENL_UNS_ADMIN_PERM).
# nobody cannot read root's kernel tree: give it a copy of YNL and the spec.
pub=$(mktemp -d); cp -r "$RV6_SRC/tools/net/ynl" "$top/Documentation/netlink/specs/rv6_nf_count.yaml" "$pub"
chmod -R a+rX "$pub"
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups python3 "$pub/ynl/pyynl/cli.py" --no-schema \
  --spec "$pub/rv6_nf_count.yaml" --do reset 2>&1); rc=$?
rm -rf "$pub"
check "an unprivileged reset: EPERM" "1 yes" \
  "$rc $(grep -q 'Operation not permitted' <<<"$out" && echo yes || echo "no: $out")"
out=$(unshare -U --map-root-user bash -c \
  "$(declare -f ynl); top=$top RV6_SRC=$RV6_SRC ynl rv6_nf_count --do reset" 2>&1); rc=$?
check "root of a user namespace, in a netns it does not own: EPERM" "1 yes" \
  "$rc $(grep -q 'Operation not permitted' <<<"$out" && echo yes || echo "no: $out")"
out=$(unshare -U -n --map-root-user bash -c "ip link set lo up && ping -q -c 2 -i 0.2 ::1 >/dev/null &&
  $(declare -f ynl); top=$top RV6_SRC=$RV6_SRC; ynl rv6_nf_count --do reset --json '{\"hook\": \"local-out\"}' >/dev/null &&
  ynl rv6_nf_count --dump get | jq -r 'map(.echo) | join(\" \")'" 2>&1); rc=$?
check "root of a user namespace resets one hook of its own netns" "0 4 4 0 0 4" "$rc $out"

br=$(echo_counts r)
ip netns exec a python3 "$RV6_SRC/tools/net/ynl/pyynl/cli.py" --no-schema --output-json \
  --spec "$top/Documentation/netlink/specs/rv6_nf_count.yaml" --do reset >/dev/null
check "reset without a hook zeroes every hook of that namespace only" "0 0 0 0 0 $br" \
  "$(echo_counts a) $(echo_counts r)"

rmmod rv6_nf_count
out=$(ynl rv6_nf_count --dump get 2>&1)
check "unloading with namespaces alive removes the family" yes \
  "$(grep -q "Family 'rv6-nf-count' not supported by the kernel" <<<"$out" && echo yes || echo "no: $out")"
insmod "$(rv6_ko rv6_nf_count)"
check "loading again sets up namespaces that already exist" "0 0 0 0 0" "$(echo_counts a)"
ktap_finished
