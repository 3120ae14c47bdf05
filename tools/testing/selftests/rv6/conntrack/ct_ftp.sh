#!/bin/bash
# rv6_ct_ftp: curl fetches a file from vsftpd through a drop-by-default
# firewall, in active (EPRT, PORT) and passive (EPSV, PASV) mode over IPv6 and
# IPv4, with rv6's helper attached by an nft `ct helper` object; the same runs
# fail without a helper and pass with the C nf_conntrack_ftp (parity).  Then
# crafted control connections check what becomes an expectation (bounce,
# v4-mapped, bad ports, split and overlong lines), and the kernel's own
# nft_conntrack_helper.sh passes with rv6-ftp substituted for ftp.
. "$(dirname "$0")/../lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
work=/tmp/rv6-ftp

ktap_print_header
probes=$(python3 "$here/ct_ftp_probe.py" count)
plan $((4 * 3 + 5 + probes + 1)) $((2 + 3 + probes))
ensure_module rv6_ct_ftp || ktap_exit_fail_msg "cannot load rv6_ct_ftp"
quick || modprobe nf_conntrack_ftp || ktap_exit_fail_msg "cannot load nf_conntrack_ftp (the C twin)"

# c (client) -- fw (forwarding firewall) -- s (server), IPv6 and IPv4.
cleanup() {
  [ -n "${ev_pid:-}" ] && kill "$ev_pid" 2>/dev/null
  fw_chain_cleanup
}
trap cleanup EXIT
fw_chain_setup

# firewall HELPER: forward only what is established or related, and new
# control connections; HELPER (an nft helper type, or "none") is attached to
# them.
firewall() {
  local attach=""
  [ "$1" = none ] || attach="ct helper ftp-h { type \"$1\" protocol tcp; }
  chain pre { type filter hook prerouting priority 0; tcp dport 21 ct helper set \"ftp-h\"; }"
  ip netns exec fw nft -f - <<EOF
flush ruleset
table inet rv6fw {
  $attach
  chain forward {
    type filter hook forward priority 0; policy drop;
    ct state established,related accept
    tcp dport 21 ct state new accept
  }
}
EOF
  ip netns exec fw conntrack -F 2>/dev/null
  ip netns exec fw conntrack -F expect 2>/dev/null
}

# The server: vsftpd, anonymous read-only, with short data-connection timeouts
# so that a blocked data connection fails fast.
mkdir -p $work/pub $work/empty
head -c 200000 /dev/urandom > $work/pub/file
cat > $work/vsftpd.conf <<EOF
listen=NO
listen_ipv6=YES
background=NO
anonymous_enable=YES
no_anon_password=YES
anon_root=$work/pub
local_enable=NO
write_enable=NO
ftp_username=ftp
secure_chroot_dir=$work/empty
seccomp_sandbox=NO
connect_from_port_20=NO
pasv_min_port=40000
pasv_max_port=40100
connect_timeout=$((3 * S))
data_connection_timeout=$((5 * S))
accept_timeout=$((5 * S))
xferlog_enable=NO
EOF
ip netns exec s vsftpd $work/vsftpd.conf &
for _ in $(seq 50); do ip netns exec s ss -ltn | grep -q ':21 ' && break; sleep 0.1; done

# fetch MODE FAMILY: "ok" when curl gets the file byte for byte.
fetch() {
  local url opts=()
  if [ "$2" = 6 ]; then url="ftp://[2001:db8:2::2]/file"; else url="ftp://10.0.2.2/file"; fi
  case $1 in
    epsv) ;;
    pasv) opts=(--disable-epsv) ;;
    eprt) opts=(-P -) ;;
    port) opts=(-P - --disable-eprt) ;;
  esac
  rm -f $work/got
  ip netns exec c curl -s --connect-timeout $((3 * S)) -m $((10 * S)) "${opts[@]}" -o $work/got "$url"
  cmp -s $work/got $work/pub/file && echo ok || echo failed
}

scenarios=("epsv 6" "eprt 6" "pasv 4" "port 4")
# The quick subset: one command of each family (EPSV's reply, PORT).
quick && scenarios=("epsv 6" "port 4")
name() { case $1 in epsv|eprt) echo "$1 over IPv6" ;; *) echo "$1 over IPv4" ;; esac; }

firewall rv6-ftp
ip netns exec fw conntrack -E expect -o id > $work/events 2>&1 & ev_pid=$!
wait_nl_subscribed fw 12
for sc in "${scenarios[@]}"; do set -- $sc
  check "rv6-ftp: $(name "$1") through the firewall" ok "$(fetch "$1" "$2")"
done
n=${#scenarios[@]}
wait_for $work/events 'NEW.*helper=rv6-ftp' $n; kill $ev_pid; ev_pid=
ktap_print_msg "expectation events:"; sed 's/^/#   /' $work/events
check "conntrack -E expect shows rv6-ftp's $n expectations" $n "$(grep -c 'NEW.*helper=rv6-ftp' $work/events)"
# The counters are the firewall namespace's (rv6-ct-ftp family, read with rv6).
stats() { rv6 -j -n "$1" ct-ftp stats | jq -r '.[0] | "\(.expected) \(.bounce) \(."v4-mapped")"'; }
check "rv6 ct-ftp stats in fw: $n expectations and no refusal" "$n 0 0" "$(stats fw)"
check "rv6 ct-ftp stats in c, whose conntrack has no helper: nothing counted" "0 0 0" "$(stats c)"
if ! quick; then
  check "YNL's stats-get in fw agrees with rv6's" "$(rv6 -j -n fw ct-ftp stats | jq -c '.[0]')" \
    "$(ip netns exec fw bash -c "$(declare -f ynl); top=$top RV6_SRC=$RV6_SRC ynl rv6_ct_ftp --do stats-get" | jq -c .)"
fi

if ! quick; then
  # The iptables way of attaching a helper: the raw table's CT target.
  firewall none
  ip netns exec fw ip6tables -t raw -A PREROUTING -p tcp --dport 21 -j CT --helper rv6-ftp
  check "rv6-ftp attached by ip6tables -t raw -j CT --helper: eprt over IPv6" ok "$(fetch eprt 6)"
  ip netns exec fw ip6tables -t raw -F

  firewall none
  for sc in "${scenarios[@]}"; do set -- $sc
    check "no helper: $(name "$1") data connection is blocked" failed "$(fetch "$1" "$2")"
  done

  firewall ftp
  for sc in "${scenarios[@]}"; do set -- $sc
    check "C nf_conntrack_ftp (parity): $(name "$1") through the firewall" ok "$(fetch "$1" "$2")"
  done
fi

# Crafted control connections against a sink in place of vsftpd.
ip netns pids s | xargs -r kill; sleep 0.3
firewall rv6-ftp
ip netns exec s python3 "$here/ct_ftp_probe.py" sink &
for _ in $(seq 50); do ip netns exec s ss -ltn | grep -q ':21 ' && break; sleep 0.1; done
while read -r case got want; do
  check "probe $case: $want expectation(s)" "$want" "$got"
done < <(ip netns exec c python3 "$here/ct_ftp_probe.py")
ip netns pids s | xargs -r kill

# The kernel's own helper-assignment test, with rv6-ftp for ftp.
quick && ktap_finished
mkdir -p $work/kselftest
sed -e 's/type "ftp"/type "rv6-ftp"/' -e 's/helper=ftp/helper=rv6-ftp/' \
  "$RV6_SRC/tools/testing/selftests/net/netfilter/nft_conntrack_helper.sh" > $work/kselftest/nft_conntrack_helper.sh
out=$(cd "$RV6_SRC/tools/testing/selftests/net/netfilter" && bash $work/kselftest/nft_conntrack_helper.sh 2>&1); rc=$?
echo "$out" | sed 's/^/# /'
check "selftests/net/netfilter/nft_conntrack_helper.sh with rv6-ftp" "0 0" "$rc $(echo "$out" | grep -c FAIL)"

ktap_finished
