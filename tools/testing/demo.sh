#!/bin/bash
# The guest half of `make run`: load every rv6 module and show each at work.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
: "${RV6_MODULES:?}"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

step "rv6 guest: $(uname -sr), $(nproc) CPUs"
"$top/tools/testing/load-modules.sh"

step "rv6_nf_count: IPv6 packets per netfilter hook, per namespace"
echo "Three namespaces: a -- r -- b over veth; r forwards between 2001:db8:1::/64 and 2001:db8:2::/64."
. "$top/tools/testing/selftests/rv6/lib.sh" 2>/dev/null || true
chain_setup
trap chain_cleanup EXIT
run ip netns exec a ping -c 3 -i 0.2 2001:db8:2::2
for n in a r b; do
  run "$top/tools/target/release/rv6" -n "$n" nf-count show
done
echo "(the same through the kernel's own YNL client, built from the family's spec alone:)"
run ip netns exec r python3 "$RV6_SRC/tools/net/ynl/pyynl/cli.py" --no-schema \
  --spec "$top/Documentation/netlink/specs/rv6_nf_count.yaml" --do get --json '{"hook": "forward"}'
echo "a and b saw 3 echo requests and 3 replies at their local hooks; r forwarded all 6."

step "rv6_genl_test: the generic netlink sample, a table in every namespace"
ynl() {
  ip netns exec "$1" python3 "$RV6_SRC/tools/net/ynl/pyynl/cli.py" --no-schema \
    --spec "$top/Documentation/netlink/specs/rv6_genl_test.yaml" "${@:2}"
}
run ynl a --do entry-add --json '{"key": 1, "name": "mn", "kind": "mobile", "addr": "2001:db8:1::1"}'
run ynl b --do entry-add --json '{"key": 1, "name": "cn", "kind": "host", "addr": "2001:db8:2::2"}'
run ynl a --dump entry-get
run ynl b --dump entry-get
echo "Key 1 exists twice: each namespace has its own table, and the family answers from the caller's."

step "rv6_xcbc: AES-XCBC-MAC-96 (RFC 3566) for IPsec, from a Rust crypto template"
echo "/proc/crypto: who serves xcbc(aes)?"
awk '/^name/ {n=$3} /^driver/ {d=$3} /^module/ {m=$3} /^priority/ {p=$3}
     /^selftest/ {if (n == "xcbc(aes)") printf "  driver %-14s module %-9s priority %s selftest %s\n", d, m, p, $3}' /proc/crypto
A=2001:db8:1::1 B=2001:db8:1::2
ip netns add ea; ip netns add eb
ip link add va netns ea type veth peer name vb netns eb
ip -n ea addr add $A/64 dev va nodad; ip -n eb addr add $B/64 dev vb nodad
ip -n ea link set va up; ip -n eb link set vb up; ip -n ea link set lo up; ip -n eb link set lo up
ip -n ea neigh add $B lladdr "$(ip -n eb -br link show vb | awk '{print $3}')" dev va nud permanent
ip -n eb neigh add $A lladdr "$(ip -n ea -br link show va | awk '{print $3}')" dev vb nud permanent
for n in ea eb; do
  for sd in "$A $B 0x1000" "$B $A 0x1001"; do set -- $sd
    ip -n $n xfrm state add src $1 dst $2 proto esp spi $3 mode transport \
      enc 'cbc(aes)' 0x0123456789abcdef0123456789abcdef auth-trunc 'xcbc(aes)' 0x000102030405060708090a0b0c0d0e0f 96
  done
done
for p in "ea $A $B" "eb $B $A"; do set -- $p
  ip -n $1 xfrm policy add src $2 dst $3 dir out tmpl proto esp mode transport
  ip -n $1 xfrm policy add src $3 dst $2 dir in tmpl proto esp mode transport
done
run ip -n ea xfrm state list src $A dst $B
run ip netns exec ea ping -c 3 -i 0.2 $B
echo "ESP packets on the wire between the namespaces (tcpdump on eb's veth):"
ip netns exec eb timeout 3 tcpdump -n -i vb -c 2 esp 2>/dev/null &
dump=$!
sleep 1; ip netns exec ea ping -q -c 2 -i 0.2 $B >/dev/null; wait "$dump"
grep 'authenc(xcbc' /proc/crypto | head -n 2 | sed 's/^/  \/proc\/crypto: /'
ip netns del ea; ip netns del eb

step "rv6_ct_dhcpv6: a DHCPv6 lease through a stateful firewall"
echo "Client netns dc, server netns ds running dnsmasq; dc drops all input but established/related."
for n in dc ds; do ip netns add $n; ip -n $n link set lo up
  ip netns exec $n sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0; done
ip link add c0 netns dc type veth peer name s0 netns ds
ip -n ds addr add 2001:db8:1::2/64 dev s0; ip -n dc link set c0 up; ip -n ds link set s0 up
ip netns exec ds dnsmasq --keep-in-foreground --port=0 --interface=s0 --bind-interfaces --user=root \
  --dhcp-range=2001:db8:1::100,2001:db8:1::1ff,64,2h --dhcp-leasefile=/tmp/demo.leases --pid-file=/tmp/demo.pid &
cat > /tmp/demo.nft <<'NFT'
table ip6 rv6fw {
  ct helper dhcpv6 { type "rv6-dhcpv6" protocol udp; l3proto ip6; }
  chain out { type filter hook output priority 0; udp dport 547 ct helper set "dhcpv6"; }
  chain in {
    type filter hook input priority 0; policy drop;
    ct state established,related accept
    icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept
  }
}
NFT
run ip netns exec dc nft -f /tmp/demo.nft
run ip netns exec dc nft list chain ip6 rv6fw in
sleep 1
echo 'timeout 10;' > /tmp/demo-dhclient.conf
echo "$ ip netns exec dc dhclient -6 -1 -v c0"
ip netns exec dc dhclient -6 -1 -v -cf /tmp/demo-dhclient.conf -lf /tmp/demo.lease -pf /tmp/demo-dhc.pid c0 2>&1 |
  grep -E '^(XMT|RCV): [A-Z]|Bound'
run ip -n dc -6 addr show dev c0 scope global
echo "The expectation rv6-dhcpv6 created for the answers (any fe80::/10 address, port 547):"
run ip netns exec dc conntrack -L expect -f ipv6
run "$top/tools/target/release/rv6" -n dc ct-dhcpv6 stats
ip netns exec dc dhclient -6 -r -cf /tmp/demo-dhclient.conf -lf /tmp/demo.lease -pf /tmp/demo-dhc.pid c0 >/dev/null 2>&1
kill "$(cat /tmp/demo.pid)"; ip netns del dc; ip netns del ds

step "rv6_ct_ftp: active-mode FTP (EPRT) over IPv6 through a stateful firewall"
echo "Client netns fc runs curl, server netns fs runs vsftpd; fc drops all input but established/related,"
echo "so the server's data connection back to the client gets in only as rv6-ftp's expectation."
for n in fc fs; do ip netns add $n; ip -n $n link set lo up; done
ip link add c0 netns fc type veth peer name s0 netns fs
ip -n fc addr add 2001:db8:1::1/64 dev c0 nodad; ip -n fs addr add 2001:db8:1::2/64 dev s0 nodad
ip -n fc link set c0 up; ip -n fs link set s0 up
mkdir -p /tmp/demo-ftp/pub /tmp/demo-ftp/empty; echo "hello through rv6-ftp" > /tmp/demo-ftp/pub/hello
cat > /tmp/demo-ftp/vsftpd.conf <<'CONF'
listen=NO
listen_ipv6=YES
background=NO
anonymous_enable=YES
no_anon_password=YES
anon_root=/tmp/demo-ftp/pub
write_enable=NO
ftp_username=ftp
secure_chroot_dir=/tmp/demo-ftp/empty
seccomp_sandbox=NO
connect_from_port_20=NO
xferlog_enable=NO
CONF
ip netns exec fs vsftpd /tmp/demo-ftp/vsftpd.conf &
cat > /tmp/demo-ftp.nft <<'NFT'
table ip6 rv6fw {
  ct helper ftp { type "rv6-ftp" protocol tcp; }
  chain out { type filter hook output priority 0; tcp dport 21 ct helper set "ftp"; }
  chain in {
    type filter hook input priority 0; policy drop;
    ct state established,related accept
    icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept
  }
}
NFT
run ip netns exec fc nft -f /tmp/demo-ftp.nft
for _ in $(seq 50); do ip netns exec fs ss -ltn | grep -q ':21 ' && break; sleep 0.1; done
run ip netns exec fc curl -s -P - "ftp://[2001:db8:1::2]/hello"
run "$top/tools/target/release/rv6" -n fc ct-ftp stats
ip netns pids fs | xargs -r kill; ip netns del fc; ip netns del fs

step "rv6_mip6: Mobile IPv6 route optimisation between a mobile node and a correspondent"
echo "MN netns mn: home address 2001:db8:9::1 (away from home), care-of 2001:db8:1::100."
echo "CN netns cn: 2001:db8:1::1.  Both bind HoA<->CoA with ip xfrm (what a MIPv6 daemon installs)."
for n in mn cn; do ip netns add $n; ip -n $n link set lo up
  ip netns exec $n sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0; done
ip link add m0 netns mn type veth peer name c0 netns cn
ip -n mn addr add 2001:db8:1::100/64 dev m0 nodad; ip -n cn addr add 2001:db8:1::1/64 dev c0 nodad
ip -n mn addr add 2001:db8:9::1/128 dev lo home nodad
ip -n mn link set m0 up; ip -n cn link set c0 up
ip -n cn -6 route add 2001:db8:9::/64 via 2001:db8:1::100
H=2001:db8:9::1 C=2001:db8:1::1 A=2001:db8:1::100
run ip -n mn xfrm state add src $H dst $C proto hao mode ro coa $A
run ip -n mn xfrm policy add src $H/128 dst $C/128 dir out tmpl src $H dst $C proto hao mode ro
run ip -n mn xfrm state add src $C dst $H proto route2 mode ro coa $A
run ip -n mn xfrm policy add src $C/128 dst $H/128 dir in tmpl src $C dst $H proto route2 mode ro level use
run ip -n cn xfrm state add src $H dst $C proto hao mode ro coa $A
run ip -n cn xfrm policy add src $H/128 dst $C/128 dir in tmpl src $H dst $C proto hao mode ro level use
run ip -n cn xfrm state add src $C dst $H proto route2 mode ro coa $A
run ip -n cn xfrm policy add src $C/128 dst $H/128 dir out tmpl src $C dst $H proto route2 mode ro
ip netns exec cn tcpdump -K -l -n -vv -i c0 ip6 2>/dev/null > /tmp/demo-mip6.txt &
sleep 1
run ip netns exec mn ping -c 1 -I $H $C
sleep 1; ip netns pids cn | xargs -r kill; sleep 0.5
echo "On the wire (tcpdump in cn; -K: it would check the request's checksum over the care-of"
echo "address, but RFC 6275 puts the home address in the pseudo-header; the conformance suite checks it):"
grep -E 'echo (request|reply)' /tmp/demo-mip6.txt | sed 's/^[0-9:.]* /  /'
for n in mn cn; do run "$top/tools/target/release/rv6" -n $n mip6 stats; done
echo "(rv6_mip6 counts its refusals and reports: none on this path; the XFRM core counts the"
echo " packets each state transformed, ip -s xfrm state)"
ip netns del mn; ip netns del cn

step "rv6_shim6: Shim6 (RFC 5533) moves a ULID pair's traffic to another locator pair"
echo "Hosts a and b, each with a locator on two provider links: a1/b1 through r1, a2/b2 through r2."
echo "ULIDs a1 and b1; contexts set up by hand (the daemon shim6d will do it after its exchange)."
# The first step's chain (a, r, b) makes way: this topology has an a and a b of its own.
chain_cleanup
shim6_setup
R=$top/tools/target/release/rv6
run $R -n a shim6 context add local-tag 0x1a peer-tag 0x1b ulid-local 2001:db8:a1::1 \
  ulid-peer 2001:db8:b1::1 local-locators 2001:db8:a1::1,2001:db8:a2::1 \
  peer-locators 2001:db8:b1::1,2001:db8:b2::1 pair 2001:db8:a2::1 2001:db8:b2::1
run $R -n b shim6 context add local-tag 0x1b peer-tag 0x1a ulid-local 2001:db8:b1::1 \
  ulid-peer 2001:db8:a1::1 local-locators 2001:db8:b1::1,2001:db8:b2::1 \
  peer-locators 2001:db8:a1::1,2001:db8:a2::1 pair 2001:db8:b2::1 2001:db8:a2::1
ip netns exec r2 tcpdump -l -n -i ra ip6 2>/dev/null > /tmp/demo-shim6.txt &
sleep 1
run ip netns exec a ping -c 2 -i 0.3 2001:db8:b1::1
sleep 1; ip netns pids r2 | xargs -r kill; sleep 0.5
echo "ping spoke ULID to ULID; on r2's link the packets carried the second locator pair (tcpdump in r2):"
grep -v -E 'ICMP6, (neighbor|router|multicast)' /tmp/demo-shim6.txt | sed 's/^[0-9:.]* /  /' | head -n 4
run $R -n a shim6 context show
run $R -n a shim6 stats
run ip -n a xfrm policy list ptype sub
shim6_cleanup

step "rv6_xfrm_migrate: one request moves every IPsec policy and SA of an address that moved"
echo "ma's ESP tunnel to mb: SAs and out/in/fwd policies from 2001:db8:1::a1; then ma moves to ::a2."
A1=2001:db8:1::a1 A2=2001:db8:1::a2 B=2001:db8:1::b K=0x2222222222222222222222222222222222222222
ip netns add ma; ip netns add mb
ip link add va netns ma type veth peer name vb netns mb
ip -n ma -batch - <<<"link set va up
addr add $A1/64 dev va nodad
addr add $A2/64 dev va nodad
xfrm state add src $A1 dst $B proto esp spi 0x1000 reqid 1 mode tunnel aead rfc4106(gcm(aes)) $K 128
xfrm state add src $B dst $A1 proto esp spi 0x2000 reqid 1 mode tunnel aead rfc4106(gcm(aes)) $K 128
xfrm policy add dir out src 2001:db8:a::/64 dst 2001:db8:b::/64 tmpl src $A1 dst $B proto esp reqid 1 mode tunnel
xfrm policy add dir in src 2001:db8:b::/64 dst 2001:db8:a::/64 tmpl src $B dst $A1 proto esp reqid 1 mode tunnel
xfrm policy add dir fwd src 2001:db8:b::/64 dst 2001:db8:a::/64 tmpl src $B dst $A1 proto esp reqid 1 mode tunnel"
ip netns exec ma "$top/tools/target/release/rv6" xfrm monitor migrate >/tmp/demo-migrate.txt 2>&1 &
sleep 1
mig() {
  ip netns exec ma python3 "$RV6_SRC/tools/net/ynl/pyynl/cli.py" --no-schema \
    --spec "$top/Documentation/netlink/specs/rv6_xfrm_migrate.yaml" "$@"
}
run mig --do migrate --json "{\"old-local\": \"$A1\", \"new-local\": \"$A2\", \"kmaddress-local\": \"$A2\", \"kmaddress-remote\": \"$B\"}"
sleep 1; ip netns pids ma | xargs -r kill; sleep 0.5
echo "The SAs, same SPIs, at the new address (ip xfrm state):"
ip -n ma xfrm state | grep -E '^src|spi' | sed 's/^/  /'
echo "Each policy's move announced as XFRM_MSG_MIGRATE, decoded by rv6 xfrm monitor (iproute2 cannot):"
sed 's/^/  /' /tmp/demo-migrate.txt | head -n 12
ip -n ma xfrm state flush; ip -n ma xfrm policy flush
ip netns del ma; ip netns del mb

step "rv6_guard: KAME's invalid addresses and RFC 8883 header chain limits, on a router"
echo "a -- r -- b again; r forwards.  Every namespace gets the guard's defaults:"
chain_setup
run "$top/tools/target/release/rv6" -n r guard show
echo "a sends b three packets r must refuse, through a raw socket (IPV6_HDRINCL): from"
echo "::ffff:10.0.0.1 (v4-mapped), with 2002:c0a8:101::1 (6to4 of 192.168.1.1) in a type 0"
echo "routing header, and behind 13 Destination Options headers; then an ordinary ping."
ip netns exec a tcpdump -l -n -i va 'icmp6 and ip6[40] == 4' >/tmp/demo-guard.txt 2>/dev/null &
sleep 1
ip netns exec a python3 - <<'PY'
import socket, struct
A, B = "2001:db8:1::1", "2001:db8:2::2"
a6 = lambda s: socket.inet_pton(socket.AF_INET6, s)
echo = bytes([128, 0, 0, 0, 0, 1, 0, 1]) + b"rv6-guard"
def packet(src, nh, chain):
    body = chain + echo
    return struct.pack("!IHBB", 0x60000000, len(body), nh, 64) + a6(src) + a6(B) + body
rh0 = bytes([58, 2, 0, 0, 0, 0, 0, 0]) + a6("2002:c0a8:101::1")
dstopts = b"".join(bytes([60 if i < 12 else 58, 0, 1, 4, 0, 0, 0, 0]) for i in range(13))
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_RAW)
for p in (packet("::ffff:10.0.0.1", 58, b""), packet(A, 43, rh0), packet(A, 60, dstopts)):
    s.sendto(p, (B, 0))
PY
run ip netns exec a ping -c 1 2001:db8:2::2
sleep 1; ip netns pids a | xargs -r kill; sleep 0.5
echo "r's answer to the 13 headers (tcpdump in a): RFC 8883's Parameter Problem, code 8:"
sed 's/^[0-9:.]* /  /' /tmp/demo-guard.txt
run "$top/tools/target/release/rv6" -n r guard stats
echo "(b's guard counted nothing: r stopped all three; the ping passed untouched)"
chain_cleanup

step "rv6_ninfo: IPv6 Node Information Queries (RFC 4620) answered in the kernel"
echo "a -- r -- b again.  iputils' ping -N asks r over a's link (a link-local querier: answered):"
chain_setup
# Until both ends' link-local addresses are past DAD (a tentative one is not a source).
for _ in $(seq 100); do
  [ -z "$(ip -n a -6 addr show dev va scope link tentative)$(ip -n r -6 addr show dev vra scope link tentative)" ] && break
  sleep 0.1
done
LLR=$(ip -n r -6 addr show dev vra scope link | awk '/inet6/ { sub("/.*", "", $2); print $2 }')
for q in name ipv6-global ipv6-linklocal; do run ip netns exec a ping -c 1 -N $q "$LLR%va"; done
echo "A global querier gets nothing (RFC 4620 section 8) until r allows it:"
run ip netns exec a ping -c 1 -W 1 -N name 2001:db8:1::2 || true
run "$top/tools/target/release/rv6" -n r ninfo set querier-scope global name r.rv6.example
run ip netns exec a ping -c 1 -N name 2001:db8:1::2
run "$top/tools/target/release/rv6" -n r ninfo stats
chain_cleanup

step "unloading"
# Namespaces are torn down asynchronously, and the state in them (a Shim6
# context rewriting a's traffic holds its XFRM state) keeps a module busy for
# a moment: a minute at most, as the test runner allows.
for m in $(lsmod | awk '/^rv6/ {print $1}'); do
  printf '$ rmmod %s\n' "$m"
  for _ in $(seq 120); do rmmod "$m" 2>/dev/null && break; sleep 0.5; done
  if grep -q "^$m " /proc/modules; then rmmod "$m"; fi
done
echo "done."
