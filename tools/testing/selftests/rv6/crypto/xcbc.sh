#!/bin/bash
# rv6_xcbc: the crypto test manager passes it, it serves xcbc(aes), AF_ALG
# users reach it, and IPsec ESP and AH with auth-trunc 'xcbc(aes)' 96 work
# between namespaces, while a wrong key on one side lets nothing through.
. "$(dirname "$0")/../lib.sh"
here=$(cd "$(dirname "$0")" && pwd)

ktap_print_header
plan 17 9
ensure_module rv6_xcbc || ktap_exit_fail_msg "cannot load rv6_xcbc"

# /proc/crypto: the entry whose name is $1, as "driver module selftest priority".
crypto_entry() {
  awk -v n="$1" '/^name/ {m = ($3 == n)} m && /^driver/ {d=$3} m && /^module/ {mo=$3}
    m && /^priority/ {p=$3} m && /^selftest/ {s=$3} m && /^$/ {print d, mo, s, p; m=0}' /proc/crypto
}
best=$(crypto_entry 'xcbc(aes)' | sort -k4 -n | tail -n1)
ktap_print_msg "xcbc(aes) providers (driver module selftest priority):"
crypto_entry 'xcbc(aes)' | sed 's/^/#   /'
check "xcbc(aes) is served by rv6_xcbc at the highest priority" "rv6_xcbc" "$(echo "$best" | cut -d' ' -f2)"
check "the crypto test manager passed rv6's xcbc(aes)" "passed" "$(echo "$best" | cut -d' ' -f3)"

# afalg MODE: run xcbc_afalg.py; "pass" when it exits 0 having printed N "ok" lines.
afalg() {
  local out rc
  out=$(python3 "$here/xcbc_afalg.py" "$1" 2>&1); rc=$?
  echo "$out" | sed 's/^/# /' >&2
  [ $rc = 0 ] && [ "$(echo "$out" | grep -c ' ok')" = "$2" ] && echo pass || echo fail
}
check "AF_ALG (default restriction): RFC 3566 vectors, split sends, short key refused" pass "$(afalg mac96 9)"
# Each python start costs seconds on the debug kernel: the quick subset keeps
# one AF_ALG user (above), one ESP SA, and the unload with an SA alive.
if ! quick; then
sysctl -qw crypto.af_alg_restrict=0
check "AF_ALG (restriction off): xcbc-prf128(aes) gives the RFC 4434 vectors" pass "$(afalg prf128 3)"
python3 -c 'import socket
socket.socket(socket.AF_ALG, socket.SOCK_SEQPACKET, 0).bind(("hash", "xcbc(sm4)"))'
check "xcbc(sm4) instantiates from the same template" "rv6_xcbc" "$(crypto_entry 'xcbc(sm4)' | cut -d' ' -f2 | head -n1)"
check "xcbc over a cipher with 8-byte blocks (des) is refused" refused "$(python3 -c 'import socket
try:
    socket.socket(socket.AF_ALG, socket.SOCK_SEQPACKET, 0).bind(("hash", "xcbc(des)")); print("created")
except OSError: print("refused")')"
sysctl -qw crypto.af_alg_restrict=1
fi

# IPsec between two namespaces over veth; static neighbours so that no
# unprotected Neighbour Discovery is needed under an all-traffic policy.
A=2001:db8:1::1 B=2001:db8:1::2
KE=0x0123456789abcdef0123456789abcdef  # cbc(aes) key
KA=0x000102030405060708090a0b0c0d0e0f  # xcbc(aes) key, RFC 3566's
# Two namespaces, made once: on the debug kernel each namespace costs seconds
# to create and more to tear down, so the cases below only swap the SAs.
# Each namespace's commands go through one `ip -batch`: on the debug kernel
# under TCG every process start costs about a second.
MA=02:00:00:00:0a:01 MB=02:00:00:00:0b:01
ipsec_netns() {
  ip netns del a 2>/dev/null; ip netns del b 2>/dev/null
  ip -batch - <<<"netns add a
netns add b
link add va netns a address $MA type veth peer name vb netns b address $MB"
  ip -n a -batch - <<<"link set lo up
addr add $A/64 dev va nodad
link set va up
neigh add $B lladdr $MB dev va nud permanent"
  ip -n b -batch - <<<"link set lo up
addr add $B/64 dev vb nodad
link set vb up
neigh add $A lladdr $MA dev vb nud permanent"
}
ipsec_setup() { # ipsec_setup esp|ah B-side-auth-key: replaces every SA and policy
  local proto=$1 kb=$2 n k algs out in
  for n in a b; do
    k=$KA; [ $n = b ] && k=$kb
    if [ "$proto" = esp ]; then algs="enc cbc(aes) $KE auth-trunc xcbc(aes) $k 96"
    else algs="auth-trunc xcbc(aes) $k 96"; fi
    if [ $n = a ]; then out="src $A dst $B" in="src $B dst $A"; else out="src $B dst $A" in="src $A dst $B"; fi
    ip -n $n -batch - <<<"xfrm state flush
xfrm policy flush
xfrm state add src $A dst $B proto $proto spi 0x1000 mode transport $algs
xfrm state add src $B dst $A proto $proto spi 0x1001 mode transport $algs
xfrm policy add $out dir out tmpl proto $proto mode transport
xfrm policy add $in dir in tmpl proto $proto mode transport" || return 1
  done
}
ipsec_cleanup() { ip netns del a 2>/dev/null; ip netns del b 2>/dev/null; }
trap ipsec_cleanup EXIT
ping_ok() { ip netns exec a ping -q -c 3 -i 0.2 -W 3 $B >/dev/null 2>&1 && echo pass || echo fail; }
tcp_ok() { # 1 MiB over TCP, compared byte for byte
  head -c 1048576 /dev/urandom >/tmp/xcbc.in
  # Both ends are bounded: a transfer that stalls fails the check, never hangs it.
  ip netns exec b timeout $((120 * S)) socat -u TCP6-LISTEN:5001,reuseaddr OPEN:/tmp/xcbc.out,creat,trunc &
  local srv=$!; wait_listening b tcp 5001
  timeout $((100 * S)) ip netns exec a socat -u OPEN:/tmp/xcbc.in TCP6:[$B]:5001 2>/dev/null
  wait $srv
  cmp -s /tmp/xcbc.in /tmp/xcbc.out && echo pass || echo fail
}
in_errors() { ip netns exec b awk '/XfrmInStateProtoError/ {print $2}' /proc/net/xfrm_stat; }

protos="esp ah"; quick && protos=esp
ipsec_netns
for proto in $protos; do
  ipsec_setup $proto $KA || ktap_print_msg "ip xfrm state add ($proto) failed"
  check "$proto with xcbc(aes): ping6 a->b" pass "$(ping_ok)"
  quick || check "$proto with xcbc(aes): 1 MiB TCP transfer intact" pass "$(tcp_ok)"
  ipsec_setup $proto 0x0f0e0d0c0b0a09080706050403020100
  before=$(in_errors)
  check "$proto with a wrong xcbc key on one side: nothing passes" fail "$(ping_ok)"
  check "$proto wrong key: integrity failures counted in xfrm_stat" yes \
    "$([ "$(in_errors)" -gt "${before:-0}" ] 2>/dev/null && echo yes || echo no)"
done
check "rv6's driver is the one IPsec used" yes \
  "$(grep -q 'authenc(xcbc-aes-rv6,' /proc/crypto && echo yes || echo no)"

# Unloading while an SA uses the template is refused; once the SAs are gone it
# works (and the module is loaded again for the rest of the run).
ipsec_setup esp $KA
check "rmmod rv6_xcbc while an ESP SA uses it is refused" refused \
  "$(rmmod rv6_xcbc 2>/dev/null && echo unloaded || echo refused)"
ip -n a xfrm state flush; ip -n b xfrm state flush
for _ in $(seq 50); do rmmod rv6_xcbc 2>/dev/null && break; sleep 0.2; done
check "rmmod rv6_xcbc once the SAs are gone works" gone \
  "$(grep -q '^rv6_xcbc ' /proc/modules && echo loaded || echo gone)"
# Loaded again for the suites after this one; the debug smoke has none that
# need it, and a load there re-runs KUnit and the crypto test manager's fuzzing.
quick || ensure_module rv6_xcbc
ktap_finished
