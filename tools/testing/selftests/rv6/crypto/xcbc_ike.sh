#!/bin/bash
# Interop: strongSwan's charon (Debian's) negotiates IKEv2 between two
# namespaces with an ESP proposal of aes128-aesxcbc; the kernel SAs it
# installs use xcbc(aes), which rv6 serves, and traffic flows.
. "$(dirname "$0")/../lib.sh"

ktap_print_header
# Interop: the kernel path it drives (an ESP SA with xcbc(aes)) is xcbc.sh's.
quick && { ktap_skip_all "strongSwan interop runs in the normal run only"; exit "$KSFT_SKIP"; }
ktap_set_plan 6
ensure_module rv6_xcbc || ktap_exit_fail_msg "cannot load rv6_xcbc"
charon=/usr/lib/ipsec/charon
[ -x "$charon" ] || { ktap_skip_all "strongSwan (strongswan-charon) not installed"; exit 4; }

A=2001:db8:7::1 B=2001:db8:7::2
w=$(mktemp -d)
cleanup() {
  for n in a b; do ip netns pids ike-$n 2>/dev/null | xargs -r kill 2>/dev/null; done
  sleep 0.5; ip netns del ike-a 2>/dev/null; ip netns del ike-b 2>/dev/null
}
trap cleanup EXIT

ip netns add ike-a; ip netns add ike-b
ip link add va netns ike-a type veth peer name vb netns ike-b
for n in a b; do ip -n ike-$n link set lo up; done
ip -n ike-a addr add $A/64 dev va nodad; ip -n ike-b addr add $B/64 dev vb nodad
ip -n ike-a link set va up; ip -n ike-b link set vb up
ip -n ike-a neigh add $B lladdr "$(ip -n ike-b -br link show vb | awk '{print $3}')" dev va nud permanent
ip -n ike-b neigh add $A lladdr "$(ip -n ike-a -br link show va | awk '{print $3}')" dev vb nud permanent

# One charon per namespace, each with its own configuration and VICI socket.
for n in a b; do
  mkdir -p "$w/$n"
  if [ $n = a ]; then me=$A peer=$B; else me=$B peer=$A; fi
  cat >"$w/$n/strongswan.conf" <<CONF
charon {
  load_modular = no
  load = random nonce aes sha1 sha2 hmac xcbc kdf gmp pem pkcs1 x509 pubkey kernel-netlink socket-default vici
  install_routes = no
  plugins { vici { socket = unix://$w/$n/charon.vici } }
  filelog { log { path = $w/$n/charon.log
    default = 1
    ike = 2
    knl = 2 } }
}
CONF
  cat >"$w/$n/swanctl.conf" <<CONF
connections {
  rv6 {
    version = 2
    local_addrs = $me
    remote_addrs = $peer
    proposals = aes128-sha256-modp2048
    local { auth = psk
      id = $n@rv6.test }
    remote { auth = psk
      id = $([ $n = a ] && echo b || echo a)@rv6.test }
    children {
      esp {
        mode = transport
        esp_proposals = aes128-aesxcbc
      }
    }
  }
}
secrets {
  ike-rv6 { id-a = a@rv6.test
    id-b = b@rv6.test
    secret = "rv6 interop test key" }
}
CONF
  charon_start ike-$n "$w/$n"
done
for n in a b; do charon_load "$w/$n"; done
check "both charon daemons are up" yes "$([ -S "$w/a/charon.vici" ] && [ -S "$w/b/charon.vici" ] && echo yes || echo no)"

out=$(swanctl --initiate --child esp --uri "unix://$w/a/charon.vici" --timeout 30 2>&1)
echo "$out" | tail -n 3 | sed 's/^/# /'
check "IKEv2 with ESP aes128-aesxcbc established" yes "$(echo "$out" | grep -q 'initiate completed successfully' && echo yes || echo no)"
check "the kernel SA carries auth-trunc xcbc(aes) 96" yes \
  "$(ip -n ike-a xfrm state | grep -q "auth-trunc xcbc(aes) 0x[0-9a-f]* 96" && echo yes || echo no)"
# Packets the SAs of namespace $1 processed, summed.
sa_packets() { ip -n "$1" -s xfrm state | awk '/lifetime current/ {getline; sub(/\(packets\)/, "", $2); n += $2} END {print n + 0}'; }
before=$(sa_packets ike-b)
check "ping6 through the negotiated SAs" pass \
  "$(ip netns exec ike-a ping -q -c 3 -i 0.2 -W 5 $B >/dev/null 2>&1 && echo pass || echo fail)"
check "the responder's SAs processed the pings (6 packets)" 6 "$(( $(sa_packets ike-b) - before ))"
check "the SA used rv6's driver" yes "$(grep -q 'authenc(xcbc-aes-rv6,' /proc/crypto && echo yes || echo no)"
[ -f "$w/a/charon.log" ] && grep -E "selected proposal|CHILD_SA .* established" "$w/a/charon.log" | sed 's/^/# /'
if [ "$KTAP_CNT_FAIL" != 0 ]; then
  for n in a b; do echo "# --- charon $n log (tail)"; tail -n 15 "$w/$n/charon.log" 2>/dev/null | sed 's/^/# /'; done
fi
ktap_finished
