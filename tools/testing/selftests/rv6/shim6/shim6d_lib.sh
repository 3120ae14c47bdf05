# shellcheck shell=bash
# What the shim6d suites share (sourced after lib.sh, with $work, $pids, the
# shim6_setup addresses and $SHIM6D set).

# stop: ends what the suite started in the background, by pid.
stop() { [ ${#pids[@]} = 0 ] || kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; pids=(); }
counter() { rv6 -j -n "$1" shim6 stats | jq -r ".[0][\"$2\"]"; }
# context NS: NS's contexts as "COUNT ULID-LOCAL ULID-PEER LOCAL-LOCATORS
# PEER-LOCATORS CURRENT-LOCAL CURRENT-PEER" (the first context's).
context() {
  rv6 -j -n "$1" shim6 context show | jq -r 'length as $n | if $n == 0 then "0" else .[0] |
    [$n, .["ulid-local"], .["ulid-peer"], (.["local-locator"] | join(",")),
     (.["peer-locator"] | join(",")), .["current-local"], .["current-peer"]] | map(tostring) | join(" ") end'
}
# tag NS local-tag|peer-tag: a tag of NS's first context, in hex.
tag() { printf '%#x' "$(rv6 -j -n "$1" shim6 context show | jq -r ".[0][\"$2\"] // 0")"; }
# exchange LOG [FROM]: the Shim6 messages a daemon logged in $work/LOG.log
# from its line FROM on (1), in order, each once.
exchange() {
  tail -n +"${2:-1}" "$work/$1.log" | grep -oE '(sent|received) (I1|R1|I2|R2|R1bis|I2bis) ' |
    sed 's/ $//' | awk '!seen[$0]++' | paste -sd, -
}
# gone PID: whether the process PID exited (a zombie not yet waited for
# counts: kill -0 still finds it).
gone() { local st; st=$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null) || return 0; [ "${st:-Z}" = Z ]; }
# terminate PID: sends SIGTERM to the daemon PID (a child of this shell)
# and sets $status to its exit status once it exited, or to "alive" (and
# kills it) if it did not within 10 s.
terminate() {
  kill -TERM "$1"
  for _ in $(seq $((100 * S))); do gone "$1" && break; sleep 0.1; done
  if ! gone "$1"; then status=alive; kill -9 "$1"; wait "$1" 2>/dev/null; return; fi
  wait "$1"; status=$?
}
# daemon HOST NAME [ARGS...]: starts a daemon in HOST's namespace (a or b,
# with its two locators; ARGS for the daemon too) logging to $work/NAME.log
# (-v: each message's bytes too), waits until it says it is ready (it joined
# the events group and opened its raw socket), and sets $pid to its pid.
daemon() {
  local host=$1 name=$2 locators=$A1,$A2; shift 2
  [ "$host" = b ] && locators=$B1,$B2
  ip netns exec "$host" "$SHIM6D" --locators $locators "$@" --log "$work/$name.log" -v \
    2>"$work/$name.err" & pid=$!
  pids+=("$pid")
  wait_for "$work/$name.log" ' ready: ' >/dev/null
}
# trigger_traffic: UDP from a's ULID to b's, 10 datagrams of 300 bytes (3480
# with their headers: past the default trigger-bytes), into a socket on b
# (its pid in $socat).
trigger_traffic() {
  ip netns exec b socat -u UDP6-RECV:9000 /dev/null & socat=$!; pids+=("$socat")
  wait_listening b udp 9000
  ip netns exec a python3 - "$A1" "$B1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 0))
for _ in range(10):
    s.sendto(b"x" * 300, (sys.argv[2], 9000))
PY
}
# daemon_host HOST NAME ULID [ARGS...]: as daemon, but without --locators:
# every global address of HOST's namespace is a locator (rtnetlink tells the
# daemon when one comes or goes), ULID the ULID; ARGS for the daemon too.
daemon_host() {
  local host=$1 name=$2 ulid=$3; shift 3
  ip netns exec "$host" "$SHIM6D" --ulid "$ulid" "$@" --log "$work/$name.log" -v \
    2>"$work/$name.err" & pid=$!
  pids+=("$pid")
  wait_for "$work/$name.log" ' ready: ' >/dev/null
}
# updates LOG [FROM]: the Update Requests, Acknowledgements and Errors a
# daemon logged in $work/LOG.log from its line FROM on (1), in order, each
# kind once.
updates() {
  tail -n +"${2:-1}" "$work/$1.log" | grep -oE '(sent|received) (Update-Request|Update-Ack|Error) ' |
    sed 's/ $//' | awk '!seen[$0]++' | paste -sd, -
}
# wait_context NS REGEX: until NS's context (as `context` prints it) matches
# REGEX, 10 s (scaled) at most.
wait_context() {
  for _ in $(seq $((100 * S))); do
    context "$1" | grep -qE "$2" && return 0
    sleep 0.1
  done
  ktap_print_msg "$1's context: no match for '$2': $(context "$1")"; return 1
}
