#!/bin/bash
# rv6_mip6 in place of mip6.ko the way a distribution would ship it: installed
# in the module tree (depmod) with mip6 blacklisted, the XFRM core's
# request_module("xfrm-type-10-60" / "-43") for the first HAO / RT2 state must
# load rv6_mip6 through its aliases.
# The module tree and /etc/modprobe.d are overlays for the test's duration,
# mounted in the initial mount namespace, where the modprobe the kernel starts
# looks; rv6_mip6 stays loaded, as guest-check's unload step expects.
. "$(dirname "$0")/../lib.sh"
moddir=/lib/modules/$(uname -r)
w=/run/rv6al

ktap_print_header
ktap_set_plan 5

loaded() { grep -q "^$1 " /proc/modules && echo yes || echo no; }
unload() { for _ in $(seq 60); do grep -q "^$1 " /proc/modules || return 0; rmmod "$1" 2>/dev/null || sleep 0.5; done; return 1; }
cleanup() {
  ip -n rv6al xfrm state flush 2>/dev/null; ip netns del rv6al 2>/dev/null
  in_root_mount_ns umount /etc/modprobe.d "$moddir" 2>/dev/null
  rm -rf "$w"
}
trap cleanup EXIT

unload rv6_mip6 && unload mip6 || ktap_exit_fail_msg "cannot unload the Mobile IPv6 modules"
mkdir -p $w/mod/upper $w/mod/work $w/conf/upper $w/conf/work
in_root_mount_ns sh -ec '
  mount -t overlay overlay -o "lowerdir=$2,upperdir=$1/mod/upper,workdir=$1/mod/work" "$2"
  mount -t overlay overlay -o "lowerdir=/etc/modprobe.d,upperdir=$1/conf/upper,workdir=$1/conf/work" /etc/modprobe.d
  mkdir -p "$2/extra"; cp "$3" "$2/extra/"; depmod -a "$(uname -r)"
  echo "blacklist mip6" >/etc/modprobe.d/rv6-mip6-autoload.conf' _ $w "$moddir" "$(rv6_ko rv6_mip6)" ||
  ktap_exit_fail_msg "cannot install rv6_mip6 into $moddir"
in_root_mount_ns modprobe -R xfrm-type-10-60 2>/dev/null | grep -qx rv6_mip6
check "after depmod the alias xfrm-type-10-60 names rv6_mip6" 0 $?

ip netns add rv6al
ip -n rv6al xfrm state add src 2001:db8::1 dst 2001:db8::2 proto hao mode ro coa 2001:db8::3
check "the first HAO state is accepted (the core loads its type on demand)" 0 $?
check "the module it loaded is rv6_mip6" yes "$(loaded rv6_mip6)"
check "mip6.ko stayed out" no "$(loaded mip6)"
ip -n rv6al xfrm state add src 2001:db8::2 dst 2001:db8::1 proto route2 mode ro coa 2001:db8::3
check "an RT2 state is served by the same module" 0 $?
ktap_finished
