#!/bin/bash
# Shim6 failover series for `make bench`, in the guest (its real time): the two
# multihomed hosts of shim6_setup (topo.sh), a shim6d daemon in each, one TCP
# stream from a's ULID to b's paced at RATE bytes/s for the whole series, and
# RUNS cuts: each takes down the router link of the pair the context is on
# (r1's or r2's towards a), waits until both kernels moved to the other pair
# and data flows again, then restores the link.  The receiver stamps every
# read; a run's failover is the cut to the first read that ends a silence of
# a second or more after it (the data already in flight at the cut arrives
# before that silence).  Once with --send-timeout 2, once with RFC
# 5534's default 15 s.  The stream must arrive byte-exact, or the series
# failed.  Writes "failover SEND_TIMEOUT RUN MS FROM-PAIR" lines and
# "failover-check SEND_TIMEOUT exact|corrupt BYTES" to $RV6_OUT/failover_bench.txt.
set -u
out=${RV6_OUT:?}/failover_bench.txt
: >"$out"
mods=${RV6_MODULES:?}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
rv6=$top/tools/target/release/rv6
shim6d=$top/tools/target/release/shim6d
A1=2001:db8:a1::1 A2=2001:db8:a2::1 B1=2001:db8:b1::1 B2=2001:db8:b2::1
RUNS=${FAILOVER_RUNS:-10} RATE=${FAILOVER_RATE:-50000}
work=/tmp/failover; rm -rf $work; mkdir -p $work
. "$top/tools/testing/selftests/rv6/topo.sh"
insmod "$(find "$mods" -name rv6_shim6.ko)"

# current NS: NS's context's current pair, "LOCAL PEER".
current() { "$rv6" -j -n "$1" shim6 context show | jq -r '.[0] | "\(.["current-local"]) \(.["current-peer"])"'; }
# until_ N CMD...: runs CMD every 0.1 s until it succeeds, N tries at most.
until_() { local n=$1; shift; for _ in $(seq "$n"); do "$@" && return 0; sleep 0.1; done; return 1; }
reads() { [ -s $work/reads ] && [ "$(tail -n1 $work/reads | cut -d' ' -f1)" \> "$1" ]; }

series() { # series SEND_TIMEOUT
  local st=$1 run cut t_cut from want pid_a pid_b size
  shim6_setup
  for r in r1 r2; do ip netns exec $r sysctl -qw net.ipv6.conf.all.keep_addr_on_down=1; done
  "$rv6" -n b shim6 settings set trigger-bytes 1000000
  ip netns exec a "$shim6d" --locators $A1,$A2 --send-timeout "$st" --log $work/a-$st.log & pid_a=$!
  ip netns exec b "$shim6d" --locators $B1,$B2 --send-timeout "$st" --log $work/b-$st.log & pid_b=$!
  until_ 300 grep -q ' ready: ' $work/a-$st.log; until_ 300 grep -q ' ready: ' $work/b-$st.log
  size=$(( RATE * (RUNS * (st + 12) + 10) ))
  head -c "$size" /dev/urandom >$work/data
  : >$work/reads
  # The receiver: every read stamped "SECONDS BYTES", the stream into a file.
  ip netns exec b python3 - "$B1" $work/got $work/reads <<'PY' &
import socket, sys, time
l = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind((sys.argv[1], 9100)); l.listen(1)
c, _ = l.accept()
with open(sys.argv[2], "wb") as f, open(sys.argv[3], "w", buffering=1) as r:
    while True:
        b = c.recv(65536)
        if not b:
            break
        f.write(b)
        r.write(f"{time.time():.6f} {len(b)}\n")
PY
  until_ 300 sh -c "ip netns exec b ss -Hltn 'sport = :9100' | grep -q ."
  ip netns exec a python3 - "$A1" "$B1" $work/data "$RATE" <<'PY' &
import socket, sys, time
data = open(sys.argv[3], "rb").read(); rate = float(sys.argv[4])
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.bind((sys.argv[1], 0)); s.connect((sys.argv[2], 9100))
t0, sent = time.monotonic(), 0
while sent < len(data):
    s.sendall(data[sent:sent + 8192]); sent = min(sent + 8192, len(data))
    ahead = sent / rate - (time.monotonic() - t0)
    if ahead > 0:
        time.sleep(ahead)
s.shutdown(socket.SHUT_WR); s.recv(1)
PY
  local sender=$!
  until_ 600 sh -c "\"$rv6\" -j -n a shim6 context show | jq -e 'length == 1' >/dev/null"
  until_ 600 sh -c "\"$rv6\" -j -n b shim6 context show | jq -e 'length == 1' >/dev/null"
  sleep 2
  for run in $(seq "$RUNS"); do
    from=$(current a)
    case $from in
      "$A1 $B1") cut=r1 want="$A2 $B2" ;;
      *) cut=r2 want="$A1 $B1" ;;
    esac
    t_cut=$(date +%s.%N)
    ip -n $cut link set ra down
    # Both kernels on the other pair, and data again after the cut.
    until_ $(( (st + 30) * 10 )) sh -c "[ \"\$(\"$rv6\" -j -n a shim6 context show | jq -r '.[0] | \"\\(.[\"current-local\"]) \\(.[\"current-peer\"])\"')\" = '$want' ]"
    sleep 1
    until_ 300 reads "$(awk -v t="$t_cut" 'BEGIN { printf "%.6f", t + 0.5 }')"
    sleep 1
    ip -n $cut link set ra up
    echo "failover-cut $st $run $t_cut ${from// /,}" >>"$out"
    sleep 2
  done
  wait $sender
  sleep 1
  kill $pid_a $pid_b 2>/dev/null; wait $pid_a $pid_b 2>/dev/null
  if cmp -s $work/data $work/got; then echo "failover-check $st exact $size" >>"$out"
  else echo "failover-check $st corrupt $(stat -c %s $work/got)" >>"$out"; fi
  # Each cut's failover, from the stamped reads: the first read after the cut that
  # ends a silence of a second or more (the stream reads every 0.16 s; what was in
  # flight at the cut arrives before the silence), before the next cut.
  awk -v st="$st" '
    FNR == NR { if ($1 == "failover-cut" && $2 == st) { n++; cut[n] = $4; from[n] = $5 } next }
    { t[++m] = $1 }
    END {
      for (i = 1; i <= n; i++) {
        end = (i < n) ? cut[i + 1] : cut[i] + 120; at = -1
        for (j = 2; j <= m && at < 0; j++) {
          if (t[j] <= cut[i] || t[j] >= end) continue
          if (t[j] - (t[j - 1] > cut[i] ? t[j - 1] : cut[i]) >= 1) at = t[j]
        }
        printf "failover %s %d %d %s\n", st, i, (at < 0 ? -1 : (at - cut[i]) * 1000), from[i]
      }
    }' "$out" $work/reads >>"$out"
  shim6_cleanup
}

series 2
series 15
for _ in $(seq 60); do grep -q "^rv6_shim6 " /proc/modules || break; rmmod rv6_shim6 2>/dev/null || sleep 0.5; done
cat "$out"
