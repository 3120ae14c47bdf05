#!/bin/bash
# rv6_nf_count (samples/rust): per-namespace IPv6 hook counters move by exactly
# the packets a ping sends, at exactly the hooks those packets cross, and the
# generic netlink family rv6-nf-count serves them: to the rv6 tool and to the
# kernel's own YNL client (an independent implementation built from the spec),
# each namespace its own, resets for its admins only, bad requests refused
# with the kernel's extack.  Counters are read with rv6 (a Python start costs
# seconds under TCG, tens of them on the debug kernel); YNL checks what rv6
# shows and every error path; the quick subset runs no YNL.
. "$(dirname "$0")/../lib.sh"

# echo_counts NETNS: the ICMPv6 echo count at each hook, in hook order
# (pre-routing local-in forward local-out post-routing).
echo_counts() { rv6 -j -n "$1" nf-count show | jq -r 'map(.echo) | join(" ")'; }
# diff_counts BEFORE AFTER: element-wise AFTER - BEFORE (builtins only).
diff_counts() {
  local -a a=($1) b=($2) d=(); local i
  for i in "${!a[@]}"; do d+=($(( b[i] - a[i] ))); done
  echo "${d[*]}"
}
# has TEXT PATTERN: yes if the (multi-line) TEXT matches the grep PATTERN, else what it was.
has() { grep -q "$2" <<<"$1" && echo yes || echo "no: $1"; }

ktap_print_header
plan 20 11
ensure_module rv6_nf_count || ktap_exit_fail_msg "cannot load rv6_nf_count"
trap chain_cleanup EXIT

check "the initial namespace has the five hooks in order" \
  "pre-routing local-in forward local-out post-routing" \
  "$(rv6 -j nf-count show | jq -r 'map(.hook) | join(" ")')"

chain_setup
check "a namespace created after loading has its own counters" 5 "$(echo_counts a | wc -w)"

before=$(echo_counts a)
ip netns exec a ping -q -c 3 -i 0.2 -W 5 ::1 >/dev/null
check "ping ::1 x3: each echo crosses OUTPUT, POSTROUTING, PREROUTING, INPUT" \
  "6 6 0 6 6" "$(diff_counts "$before" "$(echo_counts a)")"

ba=$(echo_counts a); br=$(echo_counts r); bb=$(echo_counts b)
ip netns exec a ping -q -c 3 -i 0.2 -W 5 2001:db8:2::2 >/dev/null
check "ping a->b x3: sender sees requests out, replies in" "3 3 0 3 3" "$(diff_counts "$ba" "$(echo_counts a)")"
check "ping a->b x3: router forwards all six" "6 0 6 0 6" "$(diff_counts "$br" "$(echo_counts r)")"
check "ping a->b x3: target sees requests in, replies out" "3 3 0 3 3" "$(diff_counts "$bb" "$(echo_counts b)")"

# YNL, from the spec alone, sees what rv6 shows: a dump, and a do of one hook.
# Not in the quick subset: a Python start costs tens of seconds on the debug
# kernel, where genl_table.sh already drives the same abstraction with YNL.
if ! quick; then
  check "YNL's dump in r agrees with rv6's" "$(echo_counts r)" \
    "$(ip netns exec r bash -c "$(declare -f ynl); top=$top RV6_SRC=$RV6_SRC ynl rv6_nf_count --dump get" |
       jq -r 'map(.echo) | join(" ")')"
  got=$(ip netns exec r bash -c "$(declare -f ynl); top=$top RV6_SRC=$RV6_SRC \
    ynl rv6_nf_count --do get --json '{\"hook\": \"forward\"}'")
  check "YNL's do get forward answers that hook with rv6's count" \
    "forward $(echo_counts r | cut -d' ' -f3)" "$(jq -r '"\(.hook) \(.echo)"' <<<"$got")"
fi
check "rv6 -n r nf-count show hook forward prints a line a person can read" \
  "hook forward packets" "$(rv6 -n r nf-count show hook forward | awk '{print $1, $2, $3}')"

# Bad requests: refused by the policy or the handler, with an extack message.
if ! quick; then
  out=$(ynl rv6_nf_count --do get --json '{"hook": 5}' 2>&1); rc=$?
  check "a hook out of range: ERANGE, the policy's extack names the range and the attribute" "1 yes" \
    "$rc $(has "$out" "integer out of range: Numerical result out of range.*'max-value': 4.*'bad-attr': '.hook'")"
  out=$(ynl rv6_nf_count --do get 2>&1); rc=$?
  check "no hook: EINVAL with 'missing attribute' naming it" "1 yes" \
    "$rc $(has "$out" "missing attribute: Invalid argument.*'miss-type': 'hook'")"
fi
out=$(rv6 nf-count show hook nine 2>&1); rc=$?
check "rv6 with a wrong hook: exit 2, the argument named" "2 yes" "$rc $(has "$out" 'argument "nine" is wrong')"

# Permissions: reset needs CAP_NET_ADMIN over the namespace (GENL_UNS_ADMIN_PERM).
# nobody cannot read root's trees: it gets copies of rv6, YNL and the spec.
# Not in the quick subset (the debug smoke): the genetlink core checks the
# permission before any rv6 code runs (an op only carries the flag), so there is
# nothing for KASAN to find, and each check starts processes that cost seconds.
if ! quick; then
  pub=$(mktemp -d); cp "$top/tools/target/release/rv6" "$pub/"
  out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$pub/rv6" nf-count reset 2>&1); rc=$?
  check "rv6 nf-count reset as nobody: exit 1, the kernel's EPERM" "1 yes" "$rc $(has "$out" 'Operation not permitted')"
  cp -r "$RV6_SRC/tools/net/ynl" "$top/Documentation/netlink/specs/rv6_nf_count.yaml" "$pub"
  chmod -R a+rX "$pub"
  out=$(setpriv --reuid=65534 --regid=65534 --clear-groups python3 "$pub/ynl/pyynl/cli.py" --no-schema \
    --spec "$pub/rv6_nf_count.yaml" --do reset 2>&1); rc=$?
  check "YNL's reset as nobody: EPERM" "1 yes" "$rc $(has "$out" 'Operation not permitted')"
  rm -rf "$pub"
  out=$(unshare -U --map-root-user "$top/tools/target/release/rv6" nf-count reset 2>&1); rc=$?
  check "root of a user namespace, in a netns it does not own: EPERM" "1 yes" "$rc $(has "$out" 'Operation not permitted')"
  out=$(unshare -U -n --map-root-user bash -c "ip link set lo up && ping -q -c 2 -i 0.2 ::1 >/dev/null &&
    $(declare -f rv6); top=$top; rv6 nf-count reset hook local-out &&
    rv6 -j nf-count show | jq -r 'map(.echo) | join(\" \")'" 2>&1); rc=$?
  check "root of a user namespace resets one hook of its own netns" "0 4 4 0 0 4" "$rc $out"
fi

br=$(echo_counts r)
rv6 -n a nf-count reset
check "reset without a hook zeroes every hook of that namespace only" "0 0 0 0 0 $br" \
  "$(echo_counts a) $(echo_counts r)"

rmmod rv6_nf_count
out=$(rv6 nf-count show 2>&1); rc=$?
check "unloading with namespaces alive removes the family (rv6: exit 1, says so)" "1 yes" \
  "$rc $(has "$out" 'rv6-nf-count: family not found')"
if ! quick; then
  out=$(ynl rv6_nf_count --dump get 2>&1)
  check "YNL finds no family either" yes "$(has "$out" "Family 'rv6-nf-count' not supported by the kernel")"
fi
insmod "$(rv6_ko rv6_nf_count)"
check "loading again sets up namespaces that already exist" "0 0 0 0 0" "$(echo_counts a)"
ktap_finished
