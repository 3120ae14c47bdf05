#!/bin/bash
# The XFRM MIGRATE part of `make bench`, in the guest: a node whose address
# moved (2001:db8:1::a -> ::aa) has N outbound tunnel-mode ESP policies, each
# to its own peer with its own SA (reqid i, SPI 0x10000 + i).  Two ways to
# move them all, timed in icount time (1 ns per guest instruction):
#   bulk      one rv6-migrate request (rv6 xfrm bulk migrate): rv6_xfrm_migrate
#             walks the policies and moves each with the core's migration;
#   messages  N XFRM_MSG_MIGRATE requests, one per policy, from one process
#             on one socket (rv6 -batch of N `rv6 xfrm migrate` lines), each
#             found by the core by its selector.
# Both run the same kernel work per policy (clone the SA with its crypto,
# install it, delete the old one, announce the move); the difference is what
# reaches it: parsing, a system call and a policy look-up per message against
# one walk.  Sizes 10^2, 10^3, 10^4, each moved back and forth K times in one
# process (101, 11, 3 times: 10^4 moves and more a run), each size set up
# afresh for each way, ways alternating, each measured twice (the lower
# counts).  Then the same without
# SAs (policies an IKE daemon installs before it negotiates, or whose SAs are
# yet to be acquired): only the templates move, and what reaches the kernel's
# work is all that differs.  Every run must have moved every policy and SA, or
# it failed.  Writes
# $RV6_OUT/xfrm_bench.txt as "xfrm-bench WAY N K NS MOVED SAS rc=RC" (WAY with
# -nosa for the runs without SAs) and the fixed cost as "xfrm-fixed NS".
set -u
out=${RV6_OUT:?}/xfrm_bench.txt
: >"$out"
mods=${RV6_MODULES:?}
top=$(cd "$(dirname "$0")/../../.." && pwd)
rv6=$top/tools/target/release/rv6
K=0x2222222222222222222222222222222222222222
OLD=2001:db8:1::a NEW=2001:db8:1::aa
work=$(mktemp -d)

insmod "$(find "$mods" -name rv6_xfrm_migrate.ko)"
ip netns add x
ip -n x link set lo up

# peer I: the tunnel's far end of policy I; net I: its destination prefix.
setup() { # setup N SAS: N policies from OLD, with their SAs unless SAS is 0
  ip -n x xfrm policy flush; ip -n x xfrm state flush
  awk -v n="$1" -v sas="$2" -v old=$OLD -v k=$K 'BEGIN {
    for (i = 0; i < n; i++) {
      peer = sprintf("2001:db8:2:%x::1", i); net = sprintf("2001:db8:3:%x::", i)
      if (sas) printf "xfrm state add src %s dst %s proto esp spi %d reqid %d mode tunnel aead rfc4106(gcm(aes)) %s 128\n", old, peer, 65536 + i, i + 1, k
      printf "xfrm policy add dir out src 2001:db8:a::/64 dst %s/64 tmpl src %s dst %s proto esp reqid %d mode tunnel\n", net, old, peer, i + 1
    } }' >"$work/setup"
  ip -n x -batch "$work/setup"
}
# messages N K: the batch file of K moves of the N policies, one line each,
# back and forth (K odd: they end on NEW); bulk K: K bulk requests likewise.
messages() {
  awk -v n="$1" -v k="$2" -v old=$OLD -v new=$NEW 'BEGIN {
    for (r = 0; r < k; r++) {
      from = r % 2 ? new : old; to = r % 2 ? old : new
      for (i = 0; i < n; i++) {
        peer = sprintf("2001:db8:2:%x::1", i); net = sprintf("2001:db8:3:%x::", i)
        printf "xfrm migrate src 2001:db8:a::/64 dst %s/64 dir out old src %s dst %s proto esp mode tunnel reqid %d new src %s dst %s\n", net, from, peer, i + 1, to, peer
      }
    } }' >"$work/messages"
}
bulk() {
  awk -v k="$1" -v old=$OLD -v new=$NEW 'BEGIN {
    for (r = 0; r < k; r++) printf "xfrm bulk migrate %s to %s\n", r % 2 ? new : old, r % 2 ? old : new }' >"$work/bulk"
}
moved() { ip -n x xfrm policy | grep -c "tmpl src $NEW "; }
sas() { ip -n x xfrm state | grep -c "^src $NEW "; }
now() { date +%s%N; }

# run WAY N K SAS: K timed moves of N policies (with their SAs, or without: SAS
# 0), one process, the counts checked after.
run() {
  local way=$1 n=$2 k=$3 with=$4 t0 t1 rc
  setup "$n" "$with"
  # The flush's deferred work (state GC, RCU frees) runs now, not in the window.
  sleep 1
  t0=$(now)
  ip netns exec x "$rv6" -batch "$work/$way" >/dev/null
  rc=$?
  t1=$(now)
  echo "xfrm-bench $way$([ "$with" = 0 ] && echo -nosa) $n $k $((t1 - t0)) $(moved) $(( with ? $(sas) : n )) rc=$rc" >>"$out"
}
# RV6_PROFILE=WAY:N[:nosa] (scripts/tbprof.sh xfrm ...): one move of N policies
# between two sync(2) calls, the marks of tbprof.c's window; kallsyms beside it.
if [ -n "${RV6_PROFILE:-}" ]; then
  IFS=: read -r way n nosa <<<"$RV6_PROFILE"
  messages "$n" 1; bulk 1; setup "$n" "$([ "$nosa" = nosa ] && echo 0 || echo 1)"
  cat /proc/kallsyms >"$RV6_OUT/kallsyms"
  sync
  ip netns exec x "$rv6" -batch "$work/$way" >/dev/null
  sync
  echo "xfrm-profile $way $n $(moved)" >>"$out"
  exit 0
fi
# A first move of 10 policies each way, not recorded: what runs once per boot
# (the module's first request, the first SA of the AEAD) stays out of the figures.
messages 10 1; bulk 1; run bulk 10 1 1; run messages 10 1 1; : >"$out"
# The fixed cost of either way, whatever the size: ip netns exec, the rv6
# process, its socket, one request (the counters).
for r in 1 2 3; do
  sleep 1
  t0=$(now); ip netns exec x "$rv6" xfrm bulk stats >/dev/null; t1=$(now)
  echo "xfrm-fixed $((t1 - t0))" >>"$out"
done
# K moves of N policies, about 10^4 policy moves a run or more: the fixed cost
# is small beside them, the tick's resolution (4 ms) smaller still.
for nk in "100 101" "1000 11" "10000 3"; do
  read -r n k <<<"$nk"
  messages "$n" "$k"; bulk "$k"
  for r in 1 2; do
    for way in bulk messages; do
      run $way "$n" "$k" 1
      run $way "$n" "$k" 0
    done
  done
done
ip -n x xfrm policy flush; ip -n x xfrm state flush
ip netns del x
rm -rf "$work"
for _ in $(seq 60); do grep -q "^rv6_xfrm_migrate " /proc/modules || break; rmmod rv6_xfrm_migrate 2>/dev/null || sleep 0.5; done
cat "$out"
