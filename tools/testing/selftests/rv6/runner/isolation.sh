#!/bin/bash
# The runner's isolation (tools/testing/isolate.sh), tested the way it is
# used: a misbehaving suite makes state of every kind the runner must contain
# or undo (a named netns, a daemon that double-forked, a process inside that
# netns, a link and an XFRM state in its own namespace, a kernel module, a
# global sysctl, a mount in the mount namespace the runner calls initial),
# then hangs until its timeout kills it.  Afterwards nothing
# of it may remain, and the runner must say what it repaired.
. "$(dirname "$0")/../lib.sh"
. "$top/tools/testing/isolate.sh"
work=$(mktemp -d)

ktap_print_header
# The runner is the same on every kernel: the normal run proves it.
quick && { ktap_skip_all "the runner's own test runs in the normal run only"; exit "$KSFT_SKIP"; }
ktap_set_plan 9
restrict=/proc/sys/crypto/af_alg_restrict
[ -w $restrict ] || ktap_exit_fail_msg "$restrict missing (kernel/patches/0002)"
grep -q '^nf_conntrack_ftp ' /proc/modules && rmmod nf_conntrack_ftp
echo 1 >$restrict

cat >"$work/dirty.sh" <<'DIRTY'
ip netns add rv6-leak
ip netns exec rv6-leak sleep 4243 &
setsid -f sleep 4242
ip link add rv6leak0 type dummy
ip xfrm state add src 2001:db8::1 dst 2001:db8::2 proto esp spi 0x4242 mode transport \
  enc 'cbc(aes)' 0x0123456789abcdef0123456789abcdef
modprobe nf_conntrack_ftp
echo 0 >/proc/sys/crypto/af_alg_restrict
mkdir -p /run/rv6-leak-mnt
nsenter --mount="/proc/self/fd/$RV6_ROOT_MNTNS_FD" mount -t tmpfs rv6leak /run/rv6-leak-mnt
echo dirty >"$1/started"
sleep 1000
DIRTY

snap=$work/snap
isolate_snapshot "$snap"
t0=$SECONDS limit=$((20 * S))
run_isolated $limit "$work/dirty.sh" "$work" >"$work/out" 2>&1
rc=$?
sed 's/^/# dirty suite: /' "$work/out"
isolate_restore "$snap" >"$work/repairs"
sed 's/^/# repair: /' "$work/repairs"

check "the suite made its state before the timeout" dirty "$(cat "$work/started" 2>/dev/null)"
check "a suite that overruns its timeout is killed (124), without waiting for its sleep" "124 yes" \
  "$rc $([ $((SECONDS - t0)) -lt $((limit + 15 * S)) ] && echo yes || echo no)"
check "no process it started is left, double-forked daemons included" "" \
  "$(pgrep -a -f 'sleep 424[23]')"
check "its netns name can be used again" 0 "$(ip netns add rv6-leak && echo 0; ip netns del rv6-leak 2>/dev/null)"
check "its link and XFRM state died with its network namespace" "" \
  "$(ip link show rv6leak0 2>/dev/null; ip xfrm state list spi 0x4242 2>/dev/null)"
check "the module it loaded is unloaded" no "$(grep -q '^nf_conntrack_ftp ' /proc/modules && echo yes || echo no)"
check "the global sysctl it changed is restored" 1 "$(cat $restrict)"
check "its mount in the initial mount namespace is gone" "" "$(grep rv6leak /proc/self/mountinfo)"
check "the runner names its repairs" "yes yes yes yes" "$(for r in 'removed /run/netns/rv6-leak' \
  'unloaded nf_conntrack_ftp' "restored $restrict" 'unmounted /run/rv6-leak-mnt'; do grep -qF "$r" "$work/repairs" && echo -n 'yes ' || echo -n 'no '; done | sed 's/ $//')"
rm -rf "$work"
ktap_finished
