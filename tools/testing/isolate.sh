# shellcheck shell=bash
# Sourced by guest-check.sh (and by the runner's own selftest): run one suite
# so that nothing it leaves behind, whether it passes, fails or is killed by
# its timeout, can change the next suite's outcome.
#
# A suite runs in new network, mount and PID namespaces:
#  - network: links, addresses, routes, XFRM states and policies, nft tables,
#    iptables rules, conntrack entries and per-netns sysctls it makes in "its
#    initial namespace" die with it;
#  - mount: the namespaces it names with `ip netns add` are bind mounts that
#    vanish with its mount namespace (so do overlays such as mip6_autoload's
#    module tree), and it gets its own /proc;
#  - PID: when the suite's shell ends, or `timeout` kills it, the kernel kills
#    every process left in its PID namespace, daemons that double-forked
#    (dnsmasq, vsftpd, charon, dhclient) included.
# What namespaces cannot hold is put back by isolate_restore: names left in
# /run/netns (tmpfs files outlive the mounts on them), kernel modules loaded or
# unloaded, global sysctls (crypto.*, net.core.*), and mounts a suite made in
# the initial mount namespace on purpose (RV6_ROOT_MNTNS_FD, see lib.sh's
# in_root_mount_ns: the kernel's own helpers, such as the modprobe that
# request_module() starts, look there).

# The global state a suite can change, as restorable lines "KIND KEY VALUE".
# Bash builtins only, here and in isolate_restore: on the debug kernel under
# TCG every process start costs seconds, and these run around every suite.
isolate_snapshot() { # isolate_snapshot FILE
  local m f val rest
  {
    while read -r m rest; do echo "module $m"; done </proc/modules
    while read -r _ _ _ _ m rest; do echo "mount $m"; done </proc/self/mountinfo
    for f in /proc/sys/crypto/* /proc/sys/net/core/*; do
      [ -f "$f" ] && [ -w "$f" ] && IFS= read -r val <"$f" 2>/dev/null || continue
      echo "sysctl $f $val"
    done
  } >"$1"
}

module_loaded() { # module_loaded NAME
  local m rest
  while read -r m rest; do [ "$m" = "$1" ] && return 0; done </proc/modules
  return 1
}

# run_isolated SECONDS SCRIPT [ARGS...]: runs `bash SCRIPT` in its own
# namespaces, killed (with everything it started) after SECONDS; the exit
# status is the script's, or 124 when it timed out.
run_isolated() {
  local secs=$1 rc=0 t0=$SECONDS mntns; shift
  exec {mntns}</proc/self/ns/mnt
  # SIGKILL, because nothing softer arrives: unshare ignores SIGTERM while it
  # waits for its child, and the suite's shell is the init of its PID
  # namespace, which gets no signal it has no handler for.  --kill-child
  # turns unshare's death into SIGKILL for that init, and the kernel then
  # kills everything else in the namespace.
  RV6_ROOT_MNTNS_FD=$mntns timeout -s KILL "$secs" \
    unshare --net --mount --pid --fork --kill-child --mount-proc \
    bash -c 'ip link set lo up; exec bash "$@"' _ "$@" || rc=$?
  exec {mntns}<&-
  # timeout(1) reports a kill by SIGKILL as 137, as it would a suite killed
  # by someone else: the clock tells them apart.
  [ $rc = 137 ] && [ $((SECONDS - t0)) -ge "$secs" ] && rc=124
  return $rc
}

# isolate_restore FILE: undoes what run_isolated cannot contain, back to the
# snapshot in FILE; prints one line per repair (a suite that needed none
# prints nothing).
isolate_restore() {
  local snap=$1 kind key val f k i
  local -A before=() after=()
  local -a mounts=() modules=()
  # Named netns: the mounts went with the suite's mount namespace; the files
  # on /run's tmpfs stay and would fail the next `ip netns add` with EEXIST.
  for f in /run/netns/*; do
    [ -e "$f" ] || continue
    umount "$f" 2>/dev/null; rm -f "$f" && echo "removed /run/netns/${f##*/}"
  done
  while read -r kind key val; do before["$kind $key"]=$val; done <"$snap"
  isolate_snapshot "$snap.now"
  while read -r kind key val; do
    after["$kind $key"]=$val
    [ -n "${before["$kind $key"]+set}" ] && continue
    case $kind in
      mount) mounts=("$key" "${mounts[@]}") ;;  # innermost first
      module) modules+=("$key") ;;              # /proc/modules: newest first
    esac
  done <"$snap.now"
  rm -f "$snap.now"
  # Mounts made in this (the initial) mount namespace.
  for k in "${mounts[@]}"; do umount -l "$k" && echo "unmounted $k"; done
  # Modules the suite loaded (mip6.ko, nf_conntrack_ftp, ...), users before
  # what they use.  Namespaces are torn down asynchronously, and state in
  # them keeps a module busy for a moment.
  for k in "${modules[@]}"; do
    for ((i = 0; i < 100; i++)); do rmmod "$k" 2>/dev/null && break; sleep 0.2; done
    if module_loaded "$k"; then echo "could not unload $k"; else echo "unloaded $k"; fi
  done
  for k in "${!before[@]}"; do
    kind=${k%% *} key=${k#* }
    case $kind in
      module)  # unloaded by the suite and not loaded again
        [ -n "${after[$k]+set}" ] && continue
        f=$(find "${RV6_MODULES:-/nonexistent}" -name "$key.ko" 2>/dev/null | head -n1)
        if { [ -n "$f" ] && insmod "$f"; } || modprobe "$key" 2>/dev/null; then echo "loaded $key again"
        else echo "could not load $key again"; fi ;;
      sysctl)
        [ "${after[$k]-}" = "${before[$k]}" ] && continue
        echo "${before[$k]}" >"$key" 2>/dev/null && echo "restored $key to '${before[$k]}'" ;;
    esac
  done
}
