# shellcheck shell=bash
# Shared by rv6's guest selftests: KTAP output through the kernel's own
# helpers, and small network-namespace topologies.
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../../.." && pwd)
. "${RV6_SRC:?RV6_SRC: the kernel source tree}/tools/testing/selftests/kselftest/ktap_helpers.sh"
. "$(dirname "${BASH_SOURCE[0]}")/topo.sh"

# Timeouts in the selftests are multiplied by this: the debug kernel (KASAN,
# lockdep) runs several times slower under TCG.
S=${RV6_TIME_SCALE:-1}

# quick: true in a suite's fast subset (RV6_QUICK=1, the debug smoke of make
# check).  The subset still drives every rv6 code path the suite reaches,
# unloading with live state included; it leaves out the C twin's parity runs,
# negative controls that only wait for a timeout, and barrages.
quick() { [ "${RV6_QUICK:-0}" = 1 ]; }
# plan FULL QUICK: the KTAP plan of the suite in its mode.
plan() { if quick; then ktap_set_plan "$2"; else ktap_set_plan "$1"; fi; }

# in_root_mount_ns COMMAND...: runs COMMAND in the initial mount namespace.
# The runner gives every suite a mount namespace of its own (isolate.sh), but
# the kernel's own helpers (the modprobe that request_module() starts) look
# at the initial one; a suite that must change what they see mounts there,
# and the runner unmounts whatever it leaves.
in_root_mount_ns() {
  if [ -n "${RV6_ROOT_MNTNS_FD:-}" ]; then
    nsenter --mount="/proc/self/fd/$RV6_ROOT_MNTNS_FD" -- "$@"
  else
    "$@"
  fi
}

# The module file of an rv6 module, by name.
rv6_ko() { find "${RV6_MODULES:-$top/build/modules}" -name "$1.ko" | head -n1; }

# ensure_module NAME: load an rv6 module unless it is loaded.
ensure_module() {
  grep -q "^$1 " /proc/modules || insmod "$(rv6_ko "$1")"
}

# ynl SPEC ARGS...: the kernel's own YNL client (tools/net/ynl/pyynl/cli.py) on
# an rv6 family's spec (Documentation/netlink/specs/SPEC.yaml), JSON out; an
# independent client, built from the spec alone.  The specs are validated
# against the kernel's schema on the host (make check's host tests).
ynl() {
  local spec=$top/Documentation/netlink/specs/$1.yaml; shift
  python3 "$RV6_SRC/tools/net/ynl/pyynl/cli.py" --spec "$spec" --no-schema --output-json "$@"
}

# rv6 ARGS...: the project's own tool (tools/net/rv6).
rv6() { "$top/tools/target/release/rv6" "$@"; }

# The inode number of a named netns (what /proc/<pid>/ns/net links to).
netns_inum() { stat -L -c %i "/run/netns/$1"; }

_check_t0=${EPOCHREALTIME/./}
check_time() { # bash builtins only: this runs around every result
  [ -n "${RV6_OUT:-}" ] || return 0
  local now=${EPOCHREALTIME/./} d
  d=$(( (now - _check_t0) / 100000 )); _check_t0=$now
  echo "${0##*/} $((d / 10)).$((d % 10)) $1" >>"$RV6_OUT/check-times"
}

# check DESCRIPTION EXPECTED ACTUAL: one KTAP result, with the values on failure.
# With RV6_OUT set (the guest runner), each result's time since the previous
# one (since the suite began, for the first) goes to $RV6_OUT/check-times as
# "SUITE SECONDS DESCRIPTION": where a suite spends its time, every run.
check() {
  check_time "$1"
  if [ "$2" = "$3" ]; then
    ktap_test_pass "$1"
  else
    ktap_print_msg "$1: expected '$2', got '$3'"
    ktap_test_fail "$1"
  fi
}

# Readiness, proven rather than slept for (a sleep that is long enough here is
# too short on a loaded machine).  Each waits up to 10 s (scaled) and says what
# it waited for when it gives up.

# wait_listening NS tcp|udp PORT: until a socket in NS listens on PORT.
wait_listening() {
  local opt=-ltn; [ "$2" = udp ] && opt=-lun
  for _ in $(seq $((100 * S))); do
    [ -n "$(ip netns exec "$1" ss -H $opt "sport = :$3")" ] && return 0
    sleep 0.1
  done
  ktap_print_msg "nothing listens on $2 port $3 in $1"; return 1
}

# wait_nl_subscribed NS PROTO: until a netlink socket of protocol PROTO in NS
# (12 netfilter, 6 xfrm) has joined a multicast group, as "conntrack -E" does
# once it is ready for events.
wait_nl_subscribed() {
  for _ in $(seq $((100 * S))); do
    ip netns exec "$1" awk -v p="$2" 'NR > 1 && $2 == p && $4 != "00000000" {f = 1} END {exit !f}' \
      /proc/net/netlink && return 0
    sleep 0.1
  done
  ktap_print_msg "no netlink protocol $2 listener in $1"; return 1
}

# wait_for FILE REGEX [COUNT]: until COUNT (1) lines of FILE match REGEX, e.g.
# tcpdump's "listening on" or an event a monitor is due to print.
wait_for() {
  local n
  for _ in $(seq $((100 * S))); do
    # A FILE not there yet counts no line (grep prints nothing then).
    n=$(grep -cE "$2" "$1" 2>/dev/null)
    [ "${n:-0}" -ge "${3:-1}" ] && return 0
    sleep 0.1
  done
  ktap_print_msg "$1: no ${3:-1} line(s) matching '$2'"; return 1
}

# A chain of namespaces: a -- r -- b over veth, r forwarding IPv6.
#   a: 2001:db8:1::1/64   r: 2001:db8:1::2, 2001:db8:2::1   b: 2001:db8:2::2/64
chain_setup() {
  # One `ip -batch` per namespace: on the debug kernel under TCG every process
  # start costs about a second.
  ip -batch - <<<"netns add a
netns add r
netns add b
link add va netns a type veth peer name vra netns r
link add vb netns b type veth peer name vrb netns r"
  ip -n a -batch - <<<"link set lo up
addr add 2001:db8:1::1/64 dev va nodad
link set va up
route add ::/0 via 2001:db8:1::2"
  ip -n r -batch - <<<"link set lo up
addr add 2001:db8:1::2/64 dev vra nodad
addr add 2001:db8:2::1/64 dev vrb nodad
link set vra up
link set vrb up"
  ip -n b -batch - <<<"link set lo up
addr add 2001:db8:2::2/64 dev vb nodad
link set vb up
route add ::/0 via 2001:db8:2::1"
  ip netns exec r sysctl -qw net.ipv6.conf.all.forwarding=1
}

chain_cleanup() { for n in a r b; do ip netns del "$n" 2>/dev/null || true; done; }

# charon_start NS DIR: strongSwan's charon (Debian's) in NS, configured by
# DIR/strongswan.conf, in the background, with a /run of its own (charon keeps
# its pid file there whatever its configuration says; ip netns exec already
# gave it a mount namespace of its own).
charon_start() {
  ip netns exec "$1" sh -c 'mount -t tmpfs tmpfs /run && exec env STRONGSWAN_CONF="$1" "$2"' \
    _ "$2/strongswan.conf" /usr/lib/ipsec/charon >/dev/null 2>&1 &
}
# charon_load DIR: once the charon of DIR answers on DIR/charon.vici, loads
# DIR/swanctl.conf into it.
charon_load() {
  for _ in $(seq $((100 * S))); do [ -S "$1/charon.vici" ] && break; sleep 0.1; done
  swanctl --load-all --file "$1/swanctl.conf" --uri "unix://$1/charon.vici" >/dev/null 2>&1
}
