#!/bin/bash
# What strongSwan's charon does with a bulk migration: an IKEv2 tunnel
# between two namespaces (charon in each, Debian's), its CHILD_SA between the
# inner prefixes; the initiator's outer address moves from ::a1 to ::a2 and
# `rv6 xfrm bulk migrate ... kmaddress` on each side moves the kernel's SAs and
# policies, announcing each policy's move as an XFRM_MSG_MIGRATE with
# XFRMA_KMADDRESS.  charon's kernel-netlink plugin acts on those (it ignores a
# migration without KMADDRESS): a migrate job per policy moves its IKE_SA to
# the KMADDRESS addresses (port 500) and updates the CHILD_SA.  Then the
# IKE_SA works on the new addresses: a CHILD_SA rekey, negotiated over them,
# installs SAs between ::a2 and ::b, and the inner traffic goes on.
. "$(dirname "$0")/../lib.sh"

ktap_print_header
quick && { ktap_skip_all "strongSwan interop runs in the normal run only"; exit "$KSFT_SKIP"; }
charon=/usr/lib/ipsec/charon
[ -x "$charon" ] || { ktap_skip_all "strongSwan (strongswan-charon) not installed"; exit 4; }
ktap_set_plan 8
ensure_module rv6_xfrm_migrate || ktap_exit_fail_msg "cannot load rv6_xfrm_migrate"

A1=2001:db8:7::a1 A2=2001:db8:7::a2 B=2001:db8:7::b
IA=2001:db8:a::1 IB=2001:db8:b::1 NA=2001:db8:a::/64 NB=2001:db8:b::/64
w=$(mktemp -d)
cleanup() {
  for n in a b; do ip netns pids ike-$n 2>/dev/null | xargs -r kill 2>/dev/null; done
  sleep 0.5
  for n in a b; do ip -n ike-$n xfrm state flush 2>/dev/null; ip -n ike-$n xfrm policy flush 2>/dev/null; done
  ip netns del ike-a 2>/dev/null; ip netns del ike-b 2>/dev/null
  rm -rf "$w"
}
trap cleanup EXIT

tunnel_ends_setup ike-a ike-b $A1 $B $IA $IB $NA $NB

# One charon per namespace, each with its own configuration and VICI socket.
for n in a b; do
  mkdir -p "$w/$n"
  if [ $n = a ]; then me=$A1 peer=$B lts=$NA rts=$NB; else me=$B peer=$A1 lts=$NB rts=$NA; fi
  cat >"$w/$n/strongswan.conf" <<CONF
charon {
  load_modular = no
  load = random nonce aes sha1 sha2 hmac gcm kdf gmp pem pkcs1 x509 pubkey kernel-netlink socket-default vici
  install_routes = no
  plugins { vici { socket = unix://$w/$n/charon.vici } }
  filelog { log { path = $w/$n/charon.log
    # Each line written at once: the checks read the log while charon runs.
    flush_line = yes
    default = 1
    knl = 2
    job = 2
    ike = 2
    chd = 2 } }
}
CONF
  cat >"$w/$n/swanctl.conf" <<CONF
connections {
  rv6 {
    version = 2
    local_addrs = $me
    remote_addrs = $([ $n = a ] && echo "$peer" || echo "%any")
    proposals = aes128-sha256-modp2048
    local { auth = psk
      id = $n@rv6.test }
    remote { auth = psk
      id = $([ $n = a ] && echo b || echo a)@rv6.test }
    children {
      esp {
        mode = tunnel
        local_ts = $lts
        remote_ts = $rts
        esp_proposals = aes128gcm16
      }
    }
  }
}
secrets {
  ike-rv6 { id-a = a@rv6.test
    id-b = b@rv6.test
    secret = "rv6 migrate interop key" }
}
CONF
  charon_start ike-$n "$w/$n"
done
for n in a b; do charon_load "$w/$n"; done
sas() { swanctl --list-sas --uri "unix://$w/$1/charon.vici" 2>&1; }
out=$(swanctl --initiate --child esp --uri "unix://$w/a/charon.vici" --timeout 30 2>&1)
check "IKEv2 tunnel between $A1 and $B established" yes \
  "$(grep -q 'initiate completed successfully' <<<"$out" && echo yes || echo "no: $(tail -n 2 <<<"$out")")"
check "the inner prefixes talk through it" pass \
  "$(ip netns exec ike-a ping -q -c 3 -i 0.2 -W 5 -I $IA $IB >/dev/null 2>&1 && echo pass || echo fail)"

# a moves: the new address first, then one bulk request a side.
ip -n ike-a addr add $A2/64 dev va nodad
ra=$(rv6 -j -n ike-a xfrm bulk migrate $A1 to $A2 kmaddress $A2 $B 2>&1)
rb=$(rv6 -j -n ike-b xfrm bulk migrate $A1 to $A2 kmaddress $B $A2 2>&1)
check "one bulk request a side moved charon's policies (out, in, fwd)" "3 3" \
  "$(jq -r .policies <<<"$ra" 2>/dev/null || echo "$ra") $(jq -r .policies <<<"$rb" 2>/dev/null || echo "$rb")"
wait_for "$w/a/charon.log" "creating migrate job" 3 >/dev/null
wait_for "$w/b/charon.log" "creating migrate job" 3 >/dev/null
check "charon made a migrate job of each announcement, on both sides" "3 3" \
  "$(grep -c 'creating migrate job' "$w/a/charon.log") $(grep -c 'creating migrate job' "$w/b/charon.log")"
# The migrate jobs run after the log line: wait for the IKE_SAs to show it.
for _ in $(seq $((50 * S))); do sas a | grep -q "local .*$A2\[500\]" && break; sleep 0.1; done
check "a's IKE_SA now runs from $A2, b's to it (swanctl --list-sas)" "yes yes" \
  "$(sas a | grep -q "local .*$A2\[500\]" && echo yes || echo no) $(sas b | grep -q "remote .*$A2\[500\]" && echo yes || echo no)"
check "the inner traffic goes on through the moved SAs" pass \
  "$(ip netns exec ike-a ping -q -c 3 -i 0.2 -W 5 -I $IA $IB >/dev/null 2>&1 && echo pass || echo fail)"
# The IKE_SA itself works on the new addresses: a rekey is negotiated over them.
out=$(swanctl --rekey --child esp --uri "unix://$w/a/charon.vici" 2>&1)
for _ in $(seq $((50 * S))); do grep -q "CHILD_SA esp{2} established" "$w/a/charon.log" && break; sleep 0.1; done
check "a CHILD_SA rekey over the new addresses installs SAs between $A2 and $B" yes \
  "$(grep -q 'CHILD_SA esp{2} established' "$w/a/charon.log" && [ "$(ip -n ike-a xfrm state | grep -c "^src $A2 dst $B")" -ge 1 ] && echo yes || echo "no: $out")"
check "and the inner traffic takes them" pass \
  "$(ip netns exec ike-a ping -q -c 3 -i 0.2 -W 5 -I $IA $IB >/dev/null 2>&1 && echo pass || echo fail)"
grep -E "creating migrate job|received a XFRM_MSG_MIGRATE|CHILD_SA .* established" "$w/a/charon.log" | head -n 6 | sed 's/^/# /'
if [ "$KTAP_CNT_FAIL" != 0 ]; then
  for n in a b; do echo "# --- charon $n log (tail)"; tail -n 25 "$w/$n/charon.log" 2>/dev/null | sed 's/^/# /'; done
fi
ktap_finished
