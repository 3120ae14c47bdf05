//! PF_KEY v2 messages (RFC 2367), typed: no crate keeps them, so this is a
//! small encoder and decoder of its own, for the messages and extensions
//! `rv6 xfrm pfkey` sends and prints. Each wire struct is a
//! `#[repr(C, packed)]` zerocopy type named after the C one of
//! include/uapi/linux/pfkeyv2.h, its size checked at compile time.
//!
//! - §2.1 the base header (`sadb_msg`): version PF_KEY_V2, the type, an
//!   errno in answers, the SA type, the length in 64-bit words, a sequence
//!   number and the sender's pid;
//! - §2.2 each extension (`sadb_ext`) starts with its length in 64-bit
//!   words and its type, and is padded to 64 bits;
//! - §2.3.1 SA, §2.3.2 lifetime, §2.3.3 address (a `sockaddr` after the
//!   extension header), §2.3.4 key, §2.3.8 supported algorithms, §2.3.9
//!   SPI range; the KAME extensions of Linux's af_key.c: `sadb_x_policy`
//!   with its `sadb_x_ipsecrequest`s (each a byte length, a pair of
//!   `sockaddr`s, src then dst, padded to 64 bits), `sadb_x_sa2`,
//!   `sadb_x_nat_t_*`, and USAGI's `sadb_x_kmaddress` (local then remote);
//! - SADB_X_MIGRATE (af_key.c's `pfkey_migrate()`): a source and a
//!   destination address extension of the same family (the selector: the
//!   prefix lengths, the upper-layer protocol, ports in the sockaddrs), a
//!   policy extension (its direction, IPSEC_DIR_* = XFRM_POLICY_* + 1)
//!   holding an old and a new ipsecrequest per SA to move (same protocol,
//!   mode and reqid), and an optional kmaddress.

use std::mem::size_of;
use std::net::{
    IpAddr,
    Ipv4Addr,
    Ipv6Addr,
    SocketAddr,
    SocketAddrV4,
    SocketAddrV6, //
};

use zerocopy::{
    FromBytes,
    Immutable,
    IntoBytes,
    KnownLayout,
    Unaligned, //
};

pub const PF_KEY_V2: u8 = 2;

/// Message types (§2.3 of RFC 2367's list, then the KAME `SADB_X_*`), from
/// SADB_GETSPI (1); the name of type `t` is `MSG_TYPES[t - 1]`.
pub const MSG_TYPES: &[&str] = &[
    "SADB_GETSPI",
    "SADB_UPDATE",
    "SADB_ADD",
    "SADB_DELETE",
    "SADB_GET",
    "SADB_ACQUIRE",
    "SADB_REGISTER",
    "SADB_EXPIRE",
    "SADB_FLUSH",
    "SADB_DUMP",
    "SADB_X_PROMISC",
    "SADB_X_PCHANGE",
    "SADB_X_SPDUPDATE",
    "SADB_X_SPDADD",
    "SADB_X_SPDDELETE",
    "SADB_X_SPDGET",
    "SADB_X_SPDACQUIRE",
    "SADB_X_SPDDUMP",
    "SADB_X_SPDFLUSH",
    "SADB_X_SPDSETIDX",
    "SADB_X_SPDEXPIRE",
    "SADB_X_SPDDELETE2",
    "SADB_X_NAT_T_NEW_MAPPING",
    "SADB_X_MIGRATE",
];
pub const SADB_REGISTER: u8 = 7;
pub const SADB_X_PROMISC: u8 = 11;
pub const SADB_X_MIGRATE: u8 = 24;

/// SA types (`SADB_SATYPE_*`), by number.
pub const SATYPES: &[(u8, &str)] = &[
    (0, "unspec"),
    (2, "ah"),
    (3, "esp"),
    (5, "rsvp"),
    (6, "ospfv2"),
    (7, "ripv2"),
    (8, "mip"),
    (9, "ipcomp"),
];

// Extension types (SADB_EXT_*, SADB_X_EXT_*).
pub const EXT_SA: u16 = 1;
pub const EXT_LIFETIME_CURRENT: u16 = 2;
pub const EXT_LIFETIME_SOFT: u16 = 4;
pub const EXT_ADDRESS_SRC: u16 = 5;
pub const EXT_ADDRESS_DST: u16 = 6;
pub const EXT_ADDRESS_PROXY: u16 = 7;
pub const EXT_KEY_AUTH: u16 = 8;
pub const EXT_KEY_ENCRYPT: u16 = 9;
pub const EXT_SUPPORTED_AUTH: u16 = 14;
pub const EXT_SUPPORTED_ENCRYPT: u16 = 15;
pub const EXT_SPIRANGE: u16 = 16;
pub const EXT_X_POLICY: u16 = 18;
pub const EXT_X_SA2: u16 = 19;
pub const EXT_X_NAT_T_TYPE: u16 = 20;
pub const EXT_X_NAT_T_SPORT: u16 = 21;
pub const EXT_X_NAT_T_DPORT: u16 = 22;
pub const EXT_X_NAT_T_OA: u16 = 23;
pub const EXT_X_KMADDRESS: u16 = 25;

/// IPSEC_POLICY_IPSEC: the policy type of a MIGRATE.
pub const IPSEC_POLICY_IPSEC: u16 = 2;
/// IPSEC_LEVEL_REQUIRE and _UNIQUE: a request's level without and with a
/// reqid, as af_key.c sets them.
pub const IPSEC_LEVEL_REQUIRE: u8 = 2;
pub const IPSEC_LEVEL_UNIQUE: u8 = 3;
/// IPSEC_PROTO_ANY, IPSEC_ULPROTO_ANY: no protocol.
pub const IPSEC_PROTO_ANY: u8 = 255;

/// IPSEC_MODE_*, from IPSEC_MODE_ANY (0).
pub const IPSEC_MODES: &[&str] = &["any", "transport", "tunnel", "beet", "iptfs"];
/// IPSEC_DIR_*, from IPSEC_DIR_ANY (0).
pub const IPSEC_DIRS: &[&str] = &["any", "in", "out", "fwd"];
/// IPSEC_LEVEL_*, from IPSEC_LEVEL_DEFAULT (0).
pub const IPSEC_LEVELS: &[&str] = &["default", "use", "require", "unique"];
/// IPSEC_POLICY_*, from IPSEC_POLICY_DISCARD (0).
pub const IPSEC_POLICIES: &[&str] = &["discard", "none", "ipsec", "entrust", "bypass"];

/// `struct sadb_msg` (§2.1).
#[derive(Debug, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C, packed)]
struct SadbMsg {
    version: u8,
    msg_type: u8,
    errno: u8,
    satype: u8,
    len: u16,
    reserved: u16,
    seq: u32,
    pid: u32,
}

/// `struct sadb_ext` (§2.2), the start of every extension.
#[derive(Debug, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C, packed)]
struct SadbExt {
    len: u16,
    ext_type: u16,
}

/// `struct sadb_sa` (§2.3.1), less its sadb_ext.
#[derive(Debug, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C, packed)]
struct SadbSa {
    spi: [u8; 4],
    replay: u8,
    state: u8,
    auth: u8,
    encrypt: u8,
    flags: u32,
}

/// `struct sadb_lifetime` (§2.3.2), less its sadb_ext.
#[derive(Debug, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C, packed)]
struct SadbLifetime {
    allocations: u32,
    bytes: u64,
    addtime: u64,
    usetime: u64,
}

/// `struct sadb_address` (§2.3.3), less its sadb_ext; a sockaddr follows.
#[derive(Debug, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C, packed)]
struct SadbAddress {
    proto: u8,
    prefixlen: u8,
    reserved: u16,
}

/// `struct sadb_key` (§2.3.4), less its sadb_ext; the key bits follow.
#[derive(Debug, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C, packed)]
struct SadbKey {
    bits: u16,
    reserved: u16,
}

/// `struct sadb_supported` (§2.3.8) less its sadb_ext, then `sadb_alg`s.
#[derive(Debug, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C, packed)]
struct SadbAlg {
    id: u8,
    ivlen: u8,
    minbits: u16,
    maxbits: u16,
    reserved: u16,
}

/// `struct sadb_spirange` (§2.3.9), less its sadb_ext.
#[derive(Debug, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C, packed)]
struct SadbSpiRange {
    min: u32,
    max: u32,
    reserved: u32,
}

/// `struct sadb_x_policy`, less its sadb_ext; ipsecrequests follow.
#[derive(Debug, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C, packed)]
struct SadbXPolicy {
    policy_type: u16,
    dir: u8,
    reserved: u8,
    id: u32,
    priority: u32,
}

/// `struct sadb_x_ipsecrequest`: its length in bytes, then a sockaddr
/// pair.
#[derive(Debug, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C, packed)]
struct SadbXIpsecRequest {
    len: u16,
    proto: u16,
    mode: u8,
    level: u8,
    reserved1: u16,
    reqid: u32,
    reserved2: u32,
}

/// `struct sadb_x_sa2`, less its sadb_ext.
#[derive(Debug, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C, packed)]
struct SadbXSa2 {
    mode: u8,
    reserved1: u8,
    reserved2: u16,
    sequence: u32,
    reqid: u32,
}

/// `struct sockaddr_in`.
#[derive(Debug, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C, packed)]
struct SockaddrIn {
    family: u16,
    port: [u8; 2],
    addr: [u8; 4],
    zero: [u8; 8],
}

/// `struct sockaddr_in6`.
#[derive(Debug, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C, packed)]
struct SockaddrIn6 {
    family: u16,
    port: [u8; 2],
    flowinfo: [u8; 4],
    addr: [u8; 16],
    scope_id: u32,
}

const _: () = {
    assert!(size_of::<SadbMsg>() == 16);
    assert!(size_of::<SadbExt>() == 4);
    assert!(size_of::<SadbSa>() + 4 == 16);
    assert!(size_of::<SadbLifetime>() + 4 == 32);
    assert!(size_of::<SadbAddress>() + 4 == 8);
    assert!(size_of::<SadbKey>() + 4 == 8);
    assert!(size_of::<SadbAlg>() == 8);
    assert!(size_of::<SadbSpiRange>() + 4 == 16);
    assert!(size_of::<SadbXPolicy>() + 4 == 16);
    assert!(size_of::<SadbXIpsecRequest>() == 16);
    assert!(size_of::<SadbXSa2>() + 4 == 16);
    assert!(size_of::<SockaddrIn>() == 16);
    assert!(size_of::<SockaddrIn6>() == 28);
};

/// A message that does not decode: what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed(pub String);

fn malformed<T>(what: impl Into<String>) -> Result<T, Malformed> {
    Err(Malformed(what.into()))
}

/// A PF_KEY message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub msg_type: u8,
    /// In answers: the kernel's errno (positive), else 0.
    pub errno: u8,
    pub satype: u8,
    pub seq: u32,
    pub pid: u32,
    pub exts: Vec<Ext>,
}

/// A lifetime (§2.3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifetime {
    pub allocations: u32,
    pub bytes: u64,
    pub addtime: u64,
    pub usetime: u64,
}

/// A supported algorithm (§2.3.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Alg {
    pub id: u8,
    pub ivlen: u8,
    pub minbits: u16,
    pub maxbits: u16,
}

/// An IPsec request of a policy extension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpsecRequest {
    /// An IP protocol (IPPROTO_ESP, ...).
    pub proto: u16,
    /// IPSEC_MODE_*.
    pub mode: u8,
    /// IPSEC_LEVEL_*.
    pub level: u8,
    pub reqid: u32,
    /// The tunnel's source and destination, if any.
    pub endpoints: Option<(SocketAddr, SocketAddr)>,
}

/// A policy extension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// IPSEC_POLICY_*.
    pub policy_type: u16,
    /// IPSEC_DIR_*.
    pub dir: u8,
    pub id: u32,
    pub priority: u32,
    pub requests: Vec<IpsecRequest>,
}

/// An extension, by type; `which` is the extension type of those that
/// share a layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ext {
    Sa {
        spi: u32,
        replay: u8,
        state: u8,
        auth: u8,
        encrypt: u8,
        flags: u32,
    },
    Lifetime {
        which: u16,
        lifetime: Lifetime,
    },
    Address {
        which: u16,
        /// The upper-layer protocol, IPSEC_ULPROTO_ANY (255) for any.
        proto: u8,
        prefixlen: u8,
        addr: SocketAddr,
    },
    Key {
        which: u16,
        bits: u16,
        key: Vec<u8>,
    },
    Supported {
        which: u16,
        algs: Vec<Alg>,
    },
    SpiRange {
        min: u32,
        max: u32,
    },
    Policy(Policy),
    Sa2 {
        mode: u8,
        sequence: u32,
        reqid: u32,
    },
    NatTType(u8),
    NatTPort {
        which: u16,
        port: u16,
    },
    KmAddress {
        local: SocketAddr,
        remote: SocketAddr,
        reserved: u32,
    },
    /// One this decoder does not read: its type and the bytes after its
    /// sadb_ext.
    Other {
        ext_type: u16,
        body: Vec<u8>,
    },
}

/// `n` rounded up to 64 bits (PFKEY_ALIGN8).
fn align8(n: usize) -> usize {
    n.next_multiple_of(8)
}

/// The length of the `sockaddr` for `a`.
fn sockaddr_len(a: &SocketAddr) -> usize {
    match a {
        SocketAddr::V4(_) => size_of::<SockaddrIn>(),
        SocketAddr::V6(_) => size_of::<SockaddrIn6>(),
    }
}

/// `a` as a `sockaddr_in` or `sockaddr_in6`, appended to `out`.
fn put_sockaddr(out: &mut Vec<u8>, a: &SocketAddr) {
    match a {
        SocketAddr::V4(a) => out.extend_from_slice(
            SockaddrIn {
                family: libc::AF_INET as u16,
                port: a.port().to_be_bytes(),
                addr: a.ip().octets(),
                zero: [0; 8],
            }
            .as_bytes(),
        ),
        SocketAddr::V6(a) => out.extend_from_slice(
            SockaddrIn6 {
                family: libc::AF_INET6 as u16,
                port: a.port().to_be_bytes(),
                flowinfo: a.flowinfo().to_be_bytes(),
                addr: a.ip().octets(),
                scope_id: a.scope_id(),
            }
            .as_bytes(),
        ),
    }
}

/// The `sockaddr` at the start of `b` and its length.
fn get_sockaddr(b: &[u8]) -> Result<(SocketAddr, usize), Malformed> {
    let family = b.get(..2).map(|f| u16::from_ne_bytes([f[0], f[1]]));
    match family.map(i32::from) {
        Some(libc::AF_INET) => {
            let (s, _) = SockaddrIn::ref_from_prefix(b).or(malformed("a short sockaddr_in"))?;
            let a = SocketAddrV4::new(Ipv4Addr::from(s.addr), u16::from_be_bytes(s.port));
            Ok((SocketAddr::V4(a), size_of::<SockaddrIn>()))
        }
        Some(libc::AF_INET6) => {
            let (s, _) = SockaddrIn6::ref_from_prefix(b).or(malformed("a short sockaddr_in6"))?;
            let a = SocketAddrV6::new(
                Ipv6Addr::from(s.addr),
                u16::from_be_bytes(s.port),
                u32::from_be_bytes(s.flowinfo),
                s.scope_id,
            );
            Ok((SocketAddr::V6(a), size_of::<SockaddrIn6>()))
        }
        Some(f) => malformed(format!("a sockaddr of family {f}")),
        None => malformed("a missing sockaddr"),
    }
}

/// A pair of `sockaddr`s of one family, padded to 64 bits, as af_key.c's
/// `parse_sockaddr_pair()` reads them.
fn put_pair(out: &mut Vec<u8>, a: &SocketAddr, b: &SocketAddr) {
    let start = out.len();
    put_sockaddr(out, a);
    put_sockaddr(out, b);
    out.resize(start + align8(out.len() - start), 0);
}

fn get_pair(b: &[u8]) -> Result<(SocketAddr, SocketAddr), Malformed> {
    let (first, n) = get_sockaddr(b)?;
    let (second, _) = get_sockaddr(&b[n..])?;
    if first.is_ipv4() != second.is_ipv4() {
        return malformed("a sockaddr pair of two families");
    }
    Ok((first, second))
}

/// Appends an extension of `ext_type` holding `body`, padded to 64 bits.
fn put_ext(out: &mut Vec<u8>, ext_type: u16, body: &[u8]) {
    let len = align8(size_of::<SadbExt>() + body.len());
    out.extend_from_slice(
        SadbExt {
            len: (len / 8) as u16,
            ext_type,
        }
        .as_bytes(),
    );
    out.extend_from_slice(body);
    out.resize(out.len() + len - size_of::<SadbExt>() - body.len(), 0);
}

impl IpsecRequest {
    fn encode(&self, out: &mut Vec<u8>) {
        let pair = self
            .endpoints
            .as_ref()
            .map_or(0, |(a, b)| align8(sockaddr_len(a) + sockaddr_len(b)));
        out.extend_from_slice(
            SadbXIpsecRequest {
                len: (size_of::<SadbXIpsecRequest>() + pair) as u16,
                proto: self.proto,
                mode: self.mode,
                level: self.level,
                reserved1: 0,
                reqid: self.reqid,
                reserved2: 0,
            }
            .as_bytes(),
        );
        if let Some((a, b)) = &self.endpoints {
            put_pair(out, a, b);
        }
    }

    /// The request at the start of `b`, and its length.
    fn decode(b: &[u8]) -> Result<(IpsecRequest, usize), Malformed> {
        let (r, _) = SadbXIpsecRequest::ref_from_prefix(b).or(malformed("a short ipsecrequest"))?;
        let len = r.len as usize;
        if len < size_of::<SadbXIpsecRequest>() || len > b.len() {
            return malformed(format!("an ipsecrequest of length {len}"));
        }
        let pair = &b[size_of::<SadbXIpsecRequest>()..len];
        let endpoints = if pair.is_empty() {
            None
        } else {
            Some(get_pair(pair)?)
        };
        Ok((
            IpsecRequest {
                proto: r.proto,
                mode: r.mode,
                level: r.level,
                reqid: r.reqid,
                endpoints,
            },
            len,
        ))
    }
}

impl Ext {
    fn encode(&self, out: &mut Vec<u8>) {
        let mut body = Vec::new();
        let ext_type = match self {
            Ext::Sa {
                spi,
                replay,
                state,
                auth,
                encrypt,
                flags,
            } => {
                body.extend_from_slice(
                    SadbSa {
                        spi: spi.to_be_bytes(),
                        replay: *replay,
                        state: *state,
                        auth: *auth,
                        encrypt: *encrypt,
                        flags: *flags,
                    }
                    .as_bytes(),
                );
                EXT_SA
            }
            Ext::Lifetime { which, lifetime: l } => {
                body.extend_from_slice(
                    SadbLifetime {
                        allocations: l.allocations,
                        bytes: l.bytes,
                        addtime: l.addtime,
                        usetime: l.usetime,
                    }
                    .as_bytes(),
                );
                *which
            }
            Ext::Address {
                which,
                proto,
                prefixlen,
                addr,
            } => {
                body.extend_from_slice(
                    SadbAddress {
                        proto: *proto,
                        prefixlen: *prefixlen,
                        reserved: 0,
                    }
                    .as_bytes(),
                );
                put_sockaddr(&mut body, addr);
                *which
            }
            Ext::Key { which, bits, key } => {
                body.extend_from_slice(
                    SadbKey {
                        bits: *bits,
                        reserved: 0,
                    }
                    .as_bytes(),
                );
                body.extend_from_slice(key);
                *which
            }
            Ext::Supported { which, algs } => {
                body.extend_from_slice(&[0; 4]);
                for a in algs {
                    body.extend_from_slice(
                        SadbAlg {
                            id: a.id,
                            ivlen: a.ivlen,
                            minbits: a.minbits,
                            maxbits: a.maxbits,
                            reserved: 0,
                        }
                        .as_bytes(),
                    );
                }
                *which
            }
            Ext::SpiRange { min, max } => {
                body.extend_from_slice(
                    SadbSpiRange {
                        min: *min,
                        max: *max,
                        reserved: 0,
                    }
                    .as_bytes(),
                );
                EXT_SPIRANGE
            }
            Ext::Policy(p) => {
                body.extend_from_slice(
                    SadbXPolicy {
                        policy_type: p.policy_type,
                        dir: p.dir,
                        reserved: 0,
                        id: p.id,
                        priority: p.priority,
                    }
                    .as_bytes(),
                );
                for r in &p.requests {
                    r.encode(&mut body);
                }
                EXT_X_POLICY
            }
            Ext::Sa2 {
                mode,
                sequence,
                reqid,
            } => {
                body.extend_from_slice(
                    SadbXSa2 {
                        mode: *mode,
                        reserved1: 0,
                        reserved2: 0,
                        sequence: *sequence,
                        reqid: *reqid,
                    }
                    .as_bytes(),
                );
                EXT_X_SA2
            }
            Ext::NatTType(t) => {
                body.extend_from_slice(&[*t, 0, 0, 0]);
                EXT_X_NAT_T_TYPE
            }
            Ext::NatTPort { which, port } => {
                body.extend_from_slice(&port.to_be_bytes());
                body.extend_from_slice(&[0, 0]);
                *which
            }
            Ext::KmAddress {
                local,
                remote,
                reserved,
            } => {
                body.extend_from_slice(&reserved.to_ne_bytes());
                put_pair(&mut body, local, remote);
                EXT_X_KMADDRESS
            }
            Ext::Other { ext_type, body: b } => {
                body.extend_from_slice(b);
                *ext_type
            }
        };
        put_ext(out, ext_type, &body);
    }

    /// The extension of `ext_type` whose bytes after its sadb_ext are
    /// `body` (its padding included).
    fn decode(ext_type: u16, body: &[u8]) -> Result<Ext, Malformed> {
        let short = || Malformed(format!("extension {ext_type} is too short"));
        Ok(match ext_type {
            EXT_SA => {
                let (s, _) = SadbSa::ref_from_prefix(body).map_err(|_| short())?;
                Ext::Sa {
                    spi: u32::from_be_bytes(s.spi),
                    replay: s.replay,
                    state: s.state,
                    auth: s.auth,
                    encrypt: s.encrypt,
                    flags: s.flags,
                }
            }
            EXT_LIFETIME_CURRENT..=EXT_LIFETIME_SOFT => {
                let (l, _) = SadbLifetime::ref_from_prefix(body).map_err(|_| short())?;
                Ext::Lifetime {
                    which: ext_type,
                    lifetime: Lifetime {
                        allocations: l.allocations,
                        bytes: l.bytes,
                        addtime: l.addtime,
                        usetime: l.usetime,
                    },
                }
            }
            EXT_ADDRESS_SRC | EXT_ADDRESS_DST | EXT_ADDRESS_PROXY | EXT_X_NAT_T_OA => {
                let (a, rest) = SadbAddress::ref_from_prefix(body).map_err(|_| short())?;
                Ext::Address {
                    which: ext_type,
                    proto: a.proto,
                    prefixlen: a.prefixlen,
                    addr: get_sockaddr(rest)?.0,
                }
            }
            EXT_KEY_AUTH | EXT_KEY_ENCRYPT => {
                let (k, rest) = SadbKey::ref_from_prefix(body).map_err(|_| short())?;
                let n = (k.bits as usize).div_ceil(8);
                Ext::Key {
                    which: ext_type,
                    bits: k.bits,
                    key: rest.get(..n).ok_or_else(short)?.to_vec(),
                }
            }
            EXT_SUPPORTED_AUTH | EXT_SUPPORTED_ENCRYPT => {
                let algs = body.get(4..).ok_or_else(short)?;
                let algs = <[SadbAlg]>::ref_from_bytes(&algs[..algs.len() / 8 * 8])
                    .map_err(|_| short())?;
                Ext::Supported {
                    which: ext_type,
                    algs: algs
                        .iter()
                        .map(|a| Alg {
                            id: a.id,
                            ivlen: a.ivlen,
                            minbits: a.minbits,
                            maxbits: a.maxbits,
                        })
                        .collect(),
                }
            }
            EXT_SPIRANGE => {
                let (r, _) = SadbSpiRange::ref_from_prefix(body).map_err(|_| short())?;
                Ext::SpiRange {
                    min: r.min,
                    max: r.max,
                }
            }
            EXT_X_POLICY => {
                Ext::Policy(decode_policy(body).map_err(|e| Malformed(format!("policy: {}", e.0)))?)
            }
            EXT_X_SA2 => {
                let (s, _) = SadbXSa2::ref_from_prefix(body).map_err(|_| short())?;
                Ext::Sa2 {
                    mode: s.mode,
                    sequence: s.sequence,
                    reqid: s.reqid,
                }
            }
            EXT_X_NAT_T_TYPE => Ext::NatTType(*body.first().ok_or_else(short)?),
            EXT_X_NAT_T_SPORT | EXT_X_NAT_T_DPORT => {
                let p = body.get(..2).ok_or_else(short)?;
                Ext::NatTPort {
                    which: ext_type,
                    port: u16::from_be_bytes([p[0], p[1]]),
                }
            }
            EXT_X_KMADDRESS => {
                let r = body.get(..4).ok_or_else(short)?;
                let (local, remote) = get_pair(&body[4..])?;
                Ext::KmAddress {
                    local,
                    remote,
                    reserved: u32::from_ne_bytes([r[0], r[1], r[2], r[3]]),
                }
            }
            _ => Ext::Other {
                ext_type,
                body: body.to_vec(),
            },
        })
    }
}

/// A policy extension's body: its header, then requests up to its end.
fn decode_policy(body: &[u8]) -> Result<Policy, Malformed> {
    let (p, mut rest) = SadbXPolicy::ref_from_prefix(body).or(malformed("too short"))?;
    let mut requests = Vec::new();
    while !rest.is_empty() {
        let (r, n) = IpsecRequest::decode(rest)?;
        requests.push(r);
        rest = &rest[n..];
    }
    Ok(Policy {
        policy_type: p.policy_type,
        dir: p.dir,
        id: p.id,
        priority: p.priority,
        requests,
    })
}

impl Message {
    /// The message on the wire, its length filled in.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = vec![0; size_of::<SadbMsg>()];
        for e in &self.exts {
            e.encode(&mut out);
        }
        let header = SadbMsg {
            version: PF_KEY_V2,
            msg_type: self.msg_type,
            errno: self.errno,
            satype: self.satype,
            len: (out.len() / 8) as u16,
            reserved: 0,
            seq: self.seq,
            pid: self.pid,
        };
        out[..size_of::<SadbMsg>()].copy_from_slice(header.as_bytes());
        out
    }

    /// The message in `b`, which must be exactly its length.
    pub fn decode(b: &[u8]) -> Result<Message, Malformed> {
        let (h, mut rest) = SadbMsg::ref_from_prefix(b).or(malformed("shorter than a sadb_msg"))?;
        if h.version != PF_KEY_V2 {
            return malformed(format!("version {}", h.version));
        }
        if h.len as usize * 8 != b.len() {
            let words = h.len;
            return malformed(format!("sadb_msg_len {words} for {} bytes", b.len()));
        }
        let mut exts = Vec::new();
        while !rest.is_empty() {
            let (e, _) =
                SadbExt::ref_from_prefix(rest).or(malformed("a short extension header"))?;
            let len = e.len as usize * 8;
            if len < 8 || len > rest.len() {
                let ext_type = e.ext_type;
                return malformed(format!("extension {ext_type} of {len} bytes"));
            }
            exts.push(Ext::decode(e.ext_type, &rest[size_of::<SadbExt>()..len])?);
            rest = &rest[len..];
        }
        Ok(Message {
            msg_type: h.msg_type,
            errno: h.errno,
            satype: h.satype,
            seq: h.seq,
            pid: h.pid,
            exts,
        })
    }

    /// The message's type name, or its number.
    pub fn type_name(&self) -> String {
        (self.msg_type as usize)
            .checked_sub(1)
            .and_then(|i| MSG_TYPES.get(i))
            .map_or_else(|| self.msg_type.to_string(), |n| n.to_string())
    }
}

/// An SA type's name, or its number.
pub fn satype_name(satype: u8) -> String {
    SATYPES
        .iter()
        .find(|(n, _)| *n == satype)
        .map_or_else(|| satype.to_string(), |(_, s)| s.to_string())
}

/// The SA type of an IPsec protocol (af_key.c's `pfkey_proto2satype()`).
pub fn proto_satype(proto: u8) -> u8 {
    match proto {
        51 => 2,
        50 => 3,
        108 => 9,
        _ => 0,
    }
}

/// A socket address for `ip` and `port`.
pub fn sockaddr(ip: IpAddr, port: u16) -> SocketAddr {
    SocketAddr::new(ip, port)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sa(s: &str) -> SocketAddr {
        sockaddr(s.parse().unwrap(), 0)
    }

    fn migrate() -> Message {
        let request = |src: &str, dst: &str| IpsecRequest {
            proto: 50,
            mode: 2,
            level: IPSEC_LEVEL_UNIQUE,
            reqid: 7,
            endpoints: Some((sa(src), sa(dst))),
        };
        Message {
            msg_type: SADB_X_MIGRATE,
            errno: 0,
            satype: 3,
            seq: 1,
            pid: 4242,
            exts: vec![
                Ext::KmAddress {
                    local: sa("2001:db8::c"),
                    remote: sa("2001:db8::b"),
                    reserved: 0,
                },
                Ext::Address {
                    which: EXT_ADDRESS_SRC,
                    proto: IPSEC_PROTO_ANY,
                    prefixlen: 64,
                    addr: sa("2001:db8:1::"),
                },
                Ext::Address {
                    which: EXT_ADDRESS_DST,
                    proto: 6,
                    prefixlen: 64,
                    addr: sockaddr("2001:db8:2::".parse().unwrap(), 80),
                },
                Ext::Policy(Policy {
                    policy_type: IPSEC_POLICY_IPSEC,
                    dir: 2,
                    id: 0,
                    priority: 0,
                    requests: vec![
                        request("2001:db8::a", "2001:db8::b"),
                        request("2001:db8::c", "2001:db8::b"),
                    ],
                }),
            ],
        }
    }

    /// The lengths af_key.c checks: the message's in 64-bit words; an
    /// address extension of 5 words for IPv6 (8 + sockaddr_in6, rounded
    /// up); a request of 16 + 56 bytes; a kmaddress of 8 + 56.
    #[test]
    fn a_migrate_has_the_lengths_af_key_checks() {
        let b = migrate().encode();
        assert_eq!(b.len(), 16 + 64 + 40 + 40 + 16 + 2 * 72);
        assert_eq!(u16::from_ne_bytes([b[4], b[5]]) as usize * 8, b.len());
        assert_eq!((b[0], b[1], b[3]), (2, 24, 3));
        // kmaddress: 8 words, type 25.
        assert_eq!(&b[16..20], &[8, 0, 25, 0]);
        // The source address: 5 words, type 5, proto any, prefix 64, then
        // AF_INET6 and port 0.
        assert_eq!(&b[80..88], &[5, 0, 5, 0, 255, 64, 0, 0]);
        assert_eq!(&b[88..90], &10u16.to_ne_bytes());
        // The destination's port 80, big-endian.
        assert_eq!(&b[130..132], &[0, 80]);
        // The policy: 2 + 18 words, dir out (2); its first request's byte
        // length 72, proto esp, mode tunnel, level unique, reqid 7.
        let p = 160;
        assert_eq!(&b[p..p + 8], &[20, 0, 18, 0, 2, 0, 2, 0]);
        assert_eq!(&b[p + 16..p + 24], &[72, 0, 50, 0, 2, 3, 0, 0]);
        assert_eq!(&b[p + 24..p + 28], &7u32.to_ne_bytes());
    }

    #[test]
    fn messages_round_trip() {
        let m = migrate();
        assert_eq!(Message::decode(&m.encode()).unwrap(), m);
        let v4 = Message {
            msg_type: SADB_X_MIGRATE,
            errno: 22,
            satype: 2,
            seq: 9,
            pid: 1,
            exts: vec![
                Ext::Address {
                    which: EXT_ADDRESS_SRC,
                    proto: 17,
                    prefixlen: 24,
                    addr: sockaddr("192.0.2.0".parse().unwrap(), 53),
                },
                Ext::KmAddress {
                    local: sa("192.0.2.1"),
                    remote: sa("198.51.100.1"),
                    reserved: 0,
                },
            ],
        };
        let b = v4.encode();
        assert_eq!(b.len(), 16 + 24 + 40);
        assert_eq!(Message::decode(&b).unwrap(), v4);
        let all = Message {
            msg_type: 3,
            errno: 0,
            satype: 3,
            seq: 2,
            pid: 3,
            exts: vec![
                Ext::Sa {
                    spi: 0x1000,
                    replay: 32,
                    state: 1,
                    auth: 5,
                    encrypt: 12,
                    flags: 0x4000_0000,
                },
                Ext::Lifetime {
                    which: EXT_LIFETIME_CURRENT,
                    lifetime: Lifetime {
                        allocations: 1,
                        bytes: 2,
                        addtime: 3,
                        usetime: 4,
                    },
                },
                Ext::Key {
                    which: EXT_KEY_AUTH,
                    bits: 160,
                    key: (0..20).collect(),
                },
                Ext::Supported {
                    which: EXT_SUPPORTED_ENCRYPT,
                    algs: vec![Alg {
                        id: 12,
                        ivlen: 16,
                        minbits: 128,
                        maxbits: 256,
                    }],
                },
                Ext::SpiRange {
                    min: 0x100,
                    max: 0x200,
                },
                Ext::Sa2 {
                    mode: 2,
                    sequence: 0,
                    reqid: 9,
                },
                Ext::NatTType(2),
                Ext::NatTPort {
                    which: EXT_X_NAT_T_SPORT,
                    port: 4500,
                },
                Ext::Other {
                    ext_type: 24,
                    body: vec![1, 0, 4, 0, b'a', b'b', b'c', b'd', 0, 0, 0, 0],
                },
            ],
        };
        assert_eq!(Message::decode(&all.encode()).unwrap(), all);
    }

    #[test]
    fn malformed_messages_are_refused() {
        let b = migrate().encode();
        assert!(Message::decode(&b[..15]).is_err());
        assert!(
            Message::decode(&b[..b.len() - 8]).is_err(),
            "length mismatch"
        );
        let mut v1 = b.clone();
        v1[0] = 1;
        assert_eq!(Message::decode(&v1).unwrap_err().0, "version 1");
        let mut zero_ext = b.clone();
        zero_ext[16] = 0;
        assert!(Message::decode(&zero_ext).is_err());
        let mut long_request = b.clone();
        long_request[176] = 200;
        assert!(Message::decode(&long_request).is_err());
    }

    #[test]
    fn names() {
        assert_eq!(migrate().type_name(), "SADB_X_MIGRATE");
        assert_eq!(satype_name(9), "ipcomp");
        assert_eq!(satype_name(4), "4");
        assert_eq!(proto_satype(108), 9);
    }
}
