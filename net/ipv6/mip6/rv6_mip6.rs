// SPDX-License-Identifier: GPL-2.0

//! Mobile IPv6 packet processing (RFC 6275), the part USAGI/MIPL put in the kernel: a
//! drop-in replacement for [`net/ipv6/mip6.c`](srctree/net/ipv6/mip6.c).
//!
//! - XFRM type `IPPROTO_DSTOPTS` (`ip xfrm state ... proto hao mode ro coa COA`): on output
//!   it inserts a Destination Options header with the Home Address option (RFC 6275 §6.3),
//!   moving the home address there and putting the care-of address in the source field; on
//!   input it accepts a packet whose care-of address matches the state.  When policy then
//!   refuses such a packet, it reports to the key manager (`XFRM_MSG_REPORT`), which is how a
//!   Mobile IPv6 daemon learns to send a Binding Error (§9.3.1).
//! - XFRM type `IPPROTO_ROUTING` (`proto route2`): the type 2 Routing Header (§6.4), carrying
//!   the home address while the destination field holds the care-of address.
//! - The raw-socket Mobility Header filter (§9.2): a header shorter than its type needs or
//!   with a Payload Proto other than `IPPROTO_NONE` is answered with an ICMPv6 Parameter
//!   Problem pointing at the field, and no daemon sees it.
//! - ICMPv6 errors about route-optimised packets (kernel/patches/0012's hook in
//!   `icmpv6_notify()`, which `mip6.ko` does not set): an error quoting a packet this node
//!   sent with a type 2 Routing Header (as a correspondent) or a Home Address option (as a
//!   mobile node), for which it has that binding, gets the quoted home and care-of addresses
//!   swapped back, so that TCP, UDP and raw sockets, which know the home address, find their
//!   socket: Packet Too Big lowers their path MTU, `IPV6_RECVERR` sees the error.  USAGI
//!   listed this ("swap RT address when receiving ICMP6 error") as work in progress in 2007.
//!
//! The IPv6 core keeps what it always did (the Home Address option's length and unicast
//! checks, type 2 header field checks, the address swap, MIB counters: a transform that fails
//! on output is `XfrmOutStateProtoError` in `/proc/net/xfrm_stat`); this module counts its own
//! decisions per network namespace, read through the generic netlink family `rv6-mip6`
//! (`Documentation/netlink/specs/rv6_mip6.yaml`, `rv6 mip6 stats`).  It carries `mip6.ko`'s module
//! aliases, so the XFRM core autoloads it when `mip6` is blacklisted; the two cannot be
//! loaded together (the second registration fails with `EEXIST`), and every XFRM state of
//! either type pins its module.

use kernel::{
    bindings,
    net::{
        ipv6::{
            Ipv6Header,
            MhFilter,
            MhFilterRegistration,
            MhPacket,
            QuotedFixup,
            QuotedFixupRegistration,
            QuotedPacket, //
        },
        namespace::{
            self,
            Namespace,
            NetState,
            PernetSlot, //
        },
        netlink::genl::{
            self,
            Counters,
            OpsFamily,
            StatsOps,
            Writer, //
        },
        skbuff::SkBuff,
        xfrm::{
            self,
            flags,
            Addr,
            Flow,
            InputPacket,
            OutputPacket,
            Refusal,
            Selector,
            State,
            Type, //
        }, //
    },
    prelude::*,
    sync::{
        atomic::{
            ordering::Relaxed,
            Atomic, //
        },
        Arc, //
    }, //
};

// The core is `pub` for the host tests; here it is private and partly unused.
#[expect(unreachable_pub, dead_code)]
#[path = "mip6_wire.rs"]
mod mip6_wire;

use mip6_wire::{
    check_mobility_header,
    quoted_home_addresses,
    Error as WireError,
    HomeAddressRepr,
    RoutingType2Repr,
    IPV6_DADDR,
    IPV6_SADDR,
    MH_FIXED_LEN,
    OPT_HOME_ADDRESS, //
};

module! {
    type: Mip6,
    name: "rv6_mip6",
    authors: ["rv6 developers"],
    description: "Mobile IPv6: Home Address option, type 2 Routing Header, Mobility Header filter",
    license: "GPL",
    // MODULE_ALIAS_XFRM_TYPE(AF_INET6, XFRM_PROTO_DSTOPTS / XFRM_PROTO_ROUTING), as mip6.ko.
    alias: ["xfrm-type-10-60", "xfrm-type-10-43"],
}

const IPPROTO_ROUTING: u8 = bindings::IPPROTO_ROUTING as u8;
const IPPROTO_DSTOPTS: u8 = bindings::IPPROTO_DSTOPTS as u8;
const IPPROTO_MH: u8 = bindings::IPPROTO_MH as u8;
/// The highest Mobility Header type RFC 6275 defines (`IP6_MH_TYPE_MAX`, Binding Error).
const MH_TYPE_MAX: u16 = 7;

/// Decisions of this module in one network namespace: the refusals and reports.  Packets a
/// state transforms are counted by the XFRM core in the state's lifetime counters (`ip -s
/// xfrm state`), and failed transforms in its MIB; counting them again here would put a shared
/// atomic on the fast path.
struct Mip6Net {
    /// Inbound packets whose care-of address did not match a state (the core then tries the
    /// next candidate state or drops the packet, counting `XfrmInNoStates`).
    hao_in_mismatch: Atomic<u64>,
    rt2_in_mismatch: Atomic<u64>,
    /// Binding Error reports passed to the key manager, and those suppressed as repeats of
    /// the same packet (the policy check can reject one packet more than once).
    reports: Atomic<u64>,
    reports_repeated: Atomic<u64>,
    /// Reports no key manager took.
    reports_unheard: Atomic<u64>,
    /// Mobility Headers delivered, and dropped by kind.
    mh_ok: Atomic<u64>,
    mh_truncated: Atomic<u64>,
    mh_bad_len: Atomic<u64>,
    mh_bad_proto: Atomic<u64>,
    /// ICMPv6 errors whose quoted packet got its addresses swapped back: sent with a type 2
    /// Routing Header, with a Home Address option.
    icmp_rt2_restored: Atomic<u64>,
    icmp_hao_restored: Atomic<u64>,
    /// Errors quoting a route-optimised packet of no binding this node has: left alone.
    icmp_unbound: Atomic<u64>,
    /// The last packet reported (see [`first_report_for`]).
    last_report: Atomic<u64>,
}

static NET_SLOT: PernetSlot = PernetSlot::new();

impl NetState for Mip6Net {
    type Shared = ();
    const SLOT: &'static PernetSlot = &NET_SLOT;

    fn init<'a>(_shared: &'a (), _net: &'a Namespace) -> impl PinInit<Self, Error> + 'a {
        Ok::<_, Error>(Mip6Net {
            hao_in_mismatch: Atomic::new(0),
            rt2_in_mismatch: Atomic::new(0),
            reports: Atomic::new(0),
            reports_repeated: Atomic::new(0),
            reports_unheard: Atomic::new(0),
            mh_ok: Atomic::new(0),
            mh_truncated: Atomic::new(0),
            mh_bad_len: Atomic::new(0),
            mh_bad_proto: Atomic::new(0),
            icmp_rt2_restored: Atomic::new(0),
            icmp_hao_restored: Atomic::new(0),
            icmp_unbound: Atomic::new(0),
            last_report: Atomic::new(0),
        })
    }
}

/// Counts one in the counter `which` picks from `net`'s state.  Nothing is counted while `net`
/// is set up or dismantled, when it has no traffic anyway.
fn bump(net: &Namespace, which: impl FnOnce(&Mip6Net) -> &Atomic<u64>) {
    Mip6Net::with(net, |n| which(n).add(1, Relaxed));
}

/// Checks common to both types (RFC 6275 has no SPI for them; they exist only in route
/// optimization mode and need a care-of address).
fn check_ro_state(x: &State) -> Result<(), Refusal> {
    if x.spi() != 0 {
        return Err(c"SPI must be 0");
    }
    if x.mode() != xfrm::MODE_ROUTE_OPTIMIZATION {
        return Err(c"XFRM mode must be XFRM_MODE_ROUTEOPTIMIZATION");
    }
    if x.coaddr().is_none() {
        return Err(c"Mobile IPv6 states need a care-of address");
    }
    Ok(())
}

/// Reads the 16 bytes of an address `offset` bytes after the network header.
fn ipv6_addr(skb: &SkBuff, offset: usize) -> Option<Addr> {
    let mut buf = [0u8; 16];
    // The view is either `buf` or the packet's own bytes: copy out of it, not out of `buf`.
    let mut a = [0u8; 16];
    a.copy_from_slice(skb.network_bytes(offset, &mut buf)?);
    Some(a)
}

/// What both types do on output: the home address moves from the IPv6 address `field`
/// picks into the new header (written by `emit` into the room the core opened), the care-of
/// address takes its place, and the preceding Next Header names `proto`.
#[inline]
fn insert_header(
    pkt: &mut OutputPacket<'_>,
    field: fn(&mut Ipv6Header) -> &mut Addr,
    proto: u8,
    emit: impl FnOnce(u8, Addr, &mut [u8]) -> Result<(), WireError>,
) -> Result {
    // Failures are counted by the XFRM core (XfrmOutStateProtoError).
    let Some(coa) = pkt.coaddr() else {
        return Err(EINVAL);
    };
    let next_header = pkt.next_header();
    let (ip, slot) = pkt.split();
    let addr = field(ip);
    if emit(next_header, *addr, slot).is_err() {
        return Err(EINVAL);
    }
    *addr = *coa;
    pkt.set_next_header(proto);
    Ok(())
}

/// The Home Address option's XFRM type.
struct HomeAddress;

#[vtable]
impl Type for HomeAddress {
    const PROTO: u8 = IPPROTO_DSTOPTS;
    const FLAGS: u8 = flags::NON_FRAGMENT | flags::LOCAL_COADDR;

    fn init_state(x: &State) -> Result<u32, Refusal> {
        check_ro_state(x)?;
        Ok(HomeAddressRepr::LEN as u32)
    }

    /// The core found the option valid and is about to swap it in: the packet's source is
    /// still the care-of address.
    #[inline]
    fn input(x: &State, pkt: &InputPacket<'_>) -> Result<u8> {
        let next = pkt.next_header();
        if !x.coaddr_matches(pkt.saddr()) {
            bump(x.net(), |n| &n.hao_in_mismatch);
            return Err(ENOENT);
        }
        Ok(next)
    }

    #[inline]
    fn output(_x: &State, pkt: &mut OutputPacket<'_>) -> Result {
        insert_header(
            pkt,
            |ip| &mut ip.saddr,
            IPPROTO_DSTOPTS,
            |next_header, home, slot| {
                HomeAddressRepr {
                    next_header,
                    home_address: home,
                }
                .emit(slot)
            },
        )
    }

    /// A packet with a Home Address option got through a state but no policy wants it: the
    /// sender thinks it has a binding we do not (RFC 6275 §9.3.1).  Report it (once per
    /// packet) so that the daemon answers with a Binding Error, status 1.
    fn reject(x: &State, skb: &SkBuff, fl: &Flow) -> Result {
        // Mobility Header signalling is the daemon's own business.
        if fl.proto() == IPPROTO_MH && fl.sport() <= MH_TYPE_MAX {
            return Ok(());
        }
        // After the core's swap the option holds the care-of address.
        let coa = hao_address(skb);
        let mut buf = [0u8; Ipv6Header::LEN];
        let ip = skb.ipv6_header(&mut buf).ok_or(EINVAL)?;
        let (src, dst) = (ip.saddr, ip.daddr);
        let first = Mip6Net::with(x.net(), |n| {
            let first = first_report_for(
                &n.last_report,
                skb.tstamp(),
                skb.ip6_iif(),
                coa.as_ref().unwrap_or(&src),
                &dst,
            );
            if !first {
                n.reports_repeated.add(1, Relaxed);
            }
            first
        });
        if first != Some(true) {
            return Ok(());
        }
        let sel = Selector {
            daddr: dst,
            prefixlen_d: 128,
            saddr: src,
            prefixlen_s: 128,
            proto: fl.proto(),
            dport: fl.dport(),
            sport: fl.sport(),
            ifindex: fl.oif(),
        };
        match x.report(IPPROTO_DSTOPTS, &sel, coa.as_ref()) {
            Ok(()) => bump(x.net(), |n| &n.reports),
            Err(_) => bump(x.net(), |n| &n.reports_unheard),
        }
        Ok(())
    }
}

/// The address in the packet's Home Address option, if the input path recorded one.
fn hao_address(skb: &SkBuff) -> Option<Addr> {
    let at = skb.ip6_dsthao();
    if at == 0 {
        return None;
    }
    // The option's type and length, then the address.
    ipv6_addr(skb, skb.ipv6_find_tlv(at, OPT_HOME_ADDRESS)? + 2)
}

/// Whether the packet identified by its receive time, interface and addresses is not the one
/// `last` holds, which it becomes.  Like `mip6.ko`'s `mip6_report_rl`, but a hash in one
/// atomic word (per namespace) instead of a locked copy: a collision can only suppress one
/// report of a packet the daemon will hear about again on the next one.
fn first_report_for(last: &Atomic<u64>, stamp: i64, iif: i32, src: &Addr, dst: &Addr) -> bool {
    // FNV-1a over the fields.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for &b in bytes {
            h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    eat(&stamp.to_ne_bytes());
    eat(&iif.to_ne_bytes());
    eat(src);
    eat(dst);
    last.xchg(h, Relaxed) != h
}

/// The type 2 Routing Header's XFRM type.
struct RoutingType2;

#[vtable]
impl Type for RoutingType2 {
    const PROTO: u8 = IPPROTO_ROUTING;
    const FLAGS: u8 = flags::NON_FRAGMENT | flags::REMOTE_COADDR;

    fn init_state(x: &State) -> Result<u32, Refusal> {
        check_ro_state(x)?;
        Ok(RoutingType2Repr::LEN as u32)
    }

    /// The core checked Hdr Ext Len (2), the Routing Type and Segments Left (1) before it
    /// looked the state up, as `mip6.c` relies on too; the destination is still the care-of
    /// address.
    #[inline]
    fn input(x: &State, pkt: &InputPacket<'_>) -> Result<u8> {
        let next = pkt.next_header();
        if !x.coaddr_matches(pkt.daddr()) {
            bump(x.net(), |n| &n.rt2_in_mismatch);
            return Err(ENOENT);
        }
        Ok(next)
    }

    #[inline]
    fn output(_x: &State, pkt: &mut OutputPacket<'_>) -> Result {
        insert_header(
            pkt,
            |ip| &mut ip.daddr,
            IPPROTO_ROUTING,
            |next_header, home, slot| {
                RoutingType2Repr {
                    next_header,
                    segments_left: 1,
                    home_address: home,
                }
                .emit(slot)
            },
        )
    }
}

/// The raw-socket Mobility Header filter.
struct MhCheck;

impl MhFilter for MhCheck {
    fn filter(pkt: &mut MhPacket<'_>) -> Result {
        let mut buf = [0u8; MH_FIXED_LEN];
        let net = pkt.net();
        // Copied out of the view, which borrows the packet `param_prob` needs.
        let head: Option<[u8; MH_FIXED_LEN]> =
            pkt.mh_bytes(0, &mut buf).and_then(|b| b.try_into().ok());
        let checked = match head {
            Some(head) => check_mobility_header(&head, pkt.mh_len() as usize),
            None => Err(WireError::Truncated),
        };
        match checked {
            Ok(_) => {
                bump(net, |n| &n.mh_ok);
                Ok(())
            }
            Err(WireError::Truncated) => {
                bump(net, |n| &n.mh_truncated);
                Err(EINVAL)
            }
            Err(WireError::Field(at)) => {
                bump(net, |n| {
                    if at == 1 {
                        &n.mh_bad_len
                    } else {
                        &n.mh_bad_proto
                    }
                });
                // RFC 6275 §9.2: Parameter Problem, Code 0, pointing at the field.
                pkt.param_prob(0, at as u32);
                Err(EINVAL)
            }
        }
    }
}

/// The hook for ICMPv6 errors about route-optimised packets.
struct RestoreQuoted;

/// The most of a quoted packet read to find its home addresses: the IPv6 header, a
/// Hop-by-Hop and a Destination Options header of up to 64 bytes each, the type 2 Routing
/// Header and the Home Address option's header.
const QUOTED_HEAD: usize = 40 + 64 + 64 + 24 + 24;

impl QuotedFixup for RestoreQuoted {
    fn fixup(pkt: &mut QuotedPacket<'_>) {
        let mut buf = [0u8; QUOTED_HEAD];
        let n = pkt.len().min(QUOTED_HEAD);
        let Some(head) = pkt.bytes(0, &mut buf[..n]) else {
            return;
        };
        let found = quoted_home_addresses(head);
        if found.routing.is_none() && found.home_address.is_none() {
            return;
        }
        let addr = |at: usize| -> Addr { head[at..at + 16].try_into().unwrap_or([0; 16]) };
        let (src, dst) = (addr(IPV6_SADDR), addr(IPV6_DADDR));
        let net = pkt.net();
        // A correspondent's packet to a care-of address (the destination) for a home address
        // (in the header): its route2 state from the source to that home address, with that
        // care-of address, is the binding (`ip xfrm state add src CN dst HOA proto route2
        // coa COA`).
        let rt2 = found.routing.filter(|&at| {
            State::with_by_addr(net, &addr(at), &src, IPPROTO_ROUTING, |x| {
                x.coaddr_matches(&dst)
            }) == Some(true)
        });
        // A mobile node's packet from a care-of address (the source) for a home address (in
        // the option): its hao state from that home address to the destination.  Between two
        // mobile nodes, the destination is the peer's home address once the routing header's
        // swap is undone.
        let hao = found.home_address.filter(|&at| {
            let peer = rt2.map_or(dst, addr);
            State::with_by_addr(net, &peer, &addr(at), IPPROTO_DSTOPTS, |x| {
                x.coaddr_matches(&src)
            }) == Some(true)
        });
        // The path the packet took leads to the care-of address, which is what the XFRM
        // bundle for the home address sends on: a Packet Too Big's MTU belongs there too (the
        // error handler records it for the home address once the addresses are swapped).
        if rt2.is_some() || hao.is_some() {
            pkt.update_pmtu();
        }
        if let Some(at) = rt2 {
            if pkt.swap(IPV6_DADDR, at).is_ok() {
                bump(net, |n| &n.icmp_rt2_restored);
            }
        }
        if let Some(at) = hao {
            if pkt.swap(IPV6_SADDR, at).is_ok() {
                bump(net, |n| &n.icmp_hao_restored);
            }
        }
        if found.routing.is_some() != rt2.is_some() || found.home_address.is_some() != hao.is_some()
        {
            bump(net, |n| &n.icmp_unbound);
        }
    }
}

// The generic netlink family (Documentation/netlink/specs/rv6_mip6.yaml).
const A_PAD: u16 = 1;
const A_HAO_IN_MISMATCH: u16 = 2;
const A_RT2_IN_MISMATCH: u16 = 3;
const A_REPORTS: u16 = 4;
const A_REPORTS_REPEATED: u16 = 5;
const A_REPORTS_UNHEARD: u16 = 6;
const A_MH_OK: u16 = 7;
const A_MH_TRUNCATED: u16 = 8;
const A_MH_BAD_LEN: u16 = 9;
const A_MH_BAD_PROTO: u16 = 10;
const A_ICMP_RT2_RESTORED: u16 = 11;
const A_ICMP_HAO_RESTORED: u16 = 12;
const A_ICMP_UNBOUND: u16 = 13;

static FAMILY: OpsFamily<StatsOps<Mip6Net>> = OpsFamily::new(
    kernel::module::this_module::<crate::LocalModule>(),
    b"rv6-mip6\0",
    1,
    &StatsOps::<Mip6Net>::OPS,
    &[],
);

impl Counters for Mip6Net {
    const FAMILY: &'static OpsFamily<StatsOps<Self>> = &FAMILY;

    /// Writes every counter, in spec order.
    fn put(&self, w: &mut Writer<'_>) -> Result {
        for (attr, c) in [
            (A_HAO_IN_MISMATCH, &self.hao_in_mismatch),
            (A_RT2_IN_MISMATCH, &self.rt2_in_mismatch),
            (A_REPORTS, &self.reports),
            (A_REPORTS_REPEATED, &self.reports_repeated),
            (A_REPORTS_UNHEARD, &self.reports_unheard),
            (A_MH_OK, &self.mh_ok),
            (A_MH_TRUNCATED, &self.mh_truncated),
            (A_MH_BAD_LEN, &self.mh_bad_len),
            (A_MH_BAD_PROTO, &self.mh_bad_proto),
            (A_ICMP_RT2_RESTORED, &self.icmp_rt2_restored),
            (A_ICMP_HAO_RESTORED, &self.icmp_hao_restored),
            (A_ICMP_UNBOUND, &self.icmp_unbound),
        ] {
            w.put_u64(attr, c.load(Relaxed), A_PAD)?;
        }
        Ok(())
    }
}

static HAO_TYPE: xfrm::TypeVtable<HomeAddress> =
    xfrm::TypeVtable::new(kernel::module::this_module::<crate::LocalModule>());
static RT2_TYPE: xfrm::TypeVtable<RoutingType2> =
    xfrm::TypeVtable::new(kernel::module::this_module::<crate::LocalModule>());

struct Mip6 {
    // Dropped in reverse of registration: the hooks first, like mip6_fini; the counters
    // last.
    _quoted: QuotedFixupRegistration<RestoreQuoted>,
    _mh: MhFilterRegistration<MhCheck>,
    _rt2: xfrm::Registration<RoutingType2>,
    _hao: xfrm::Registration<HomeAddress>,
    _family: genl::Registration<StatsOps<Mip6Net>>,
}

impl kernel::Module for Mip6 {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let nets = Arc::new(namespace::Registration::new(())?, GFP_KERNEL)?;
        let family = genl::Registration::new(nets)?;
        // The XFRM types first: they fail with EEXIST while mip6.ko is loaded, before the
        // filter (whose slot registration would silently replace mip6.ko's) is touched.
        let hao = xfrm::Registration::new(&HAO_TYPE).inspect_err(|e| {
            pr_err!("cannot register the HAO XFRM type ({e:?}): is mip6.ko loaded?\n")
        })?;
        let rt2 = xfrm::Registration::new(&RT2_TYPE)?;
        let mh = MhFilterRegistration::<MhCheck>::new()?;
        // Last, and dropped first: the hook reads the namespaces' counters.
        let quoted = QuotedFixupRegistration::<RestoreQuoted>::new()?;
        Ok(Mip6 {
            _quoted: quoted,
            _mh: mh,
            _rt2: rt2,
            _hao: hao,
            _family: family,
        })
    }
}

#[kunit_tests(rv6_mip6)]
mod tests {
    use super::*;

    #[test]
    fn one_report_per_packet() {
        let (a, b) = ([1u8; 16], [2u8; 16]);
        let last = Atomic::new(0);
        assert!(first_report_for(&last, 100, 2, &a, &b));
        assert!(!first_report_for(&last, 100, 2, &a, &b));
        assert!(first_report_for(&last, 101, 2, &a, &b));
        assert!(first_report_for(&last, 101, 3, &a, &b));
        assert!(first_report_for(&last, 101, 3, &b, &a));
        // Another namespace keeps its own.
        let other = Atomic::new(0);
        assert!(first_report_for(&other, 101, 3, &b, &a));
    }

    #[test]
    fn headers_are_what_linux_inserts() -> Result {
        let mut b = [0u8; 24];
        HomeAddressRepr {
            next_header: 17,
            home_address: [0x20; 16],
        }
        .emit(&mut b)
        .map_err(|_| EINVAL)?;
        // Next Header, Hdr Ext Len 2, PadN of 4, HAO type 0xc9 length 16 at offset 6.
        assert_eq!(&b[..8], &[17, 2, 1, 2, 0, 0, 0xc9, 16]);
        RoutingType2Repr {
            next_header: 58,
            segments_left: 1,
            home_address: [0x20; 16],
        }
        .emit(&mut b)
        .map_err(|_| EINVAL)?;
        assert_eq!(&b[..8], &[58, 2, 2, 1, 0, 0, 0, 0]);
        Ok(())
    }

    #[test]
    fn mobility_header_checks_point_where_icmp_must() {
        // Binding Update with Header Len 0 (needs 1): Header Len, offset 1.
        assert_eq!(
            check_mobility_header(&[59, 0, 5, 0, 0, 0], 8),
            Err(WireError::Field(1))
        );
        // Payload Proto TCP: offset 0.
        assert_eq!(
            check_mobility_header(&[6, 1, 5, 0, 0, 0], 16),
            Err(WireError::Field(0))
        );
        assert_eq!(check_mobility_header(&[59, 1, 5, 0, 0, 0], 16), Ok(16));
    }
}
