//! PF_KEY messages as `rv6 xfrm pfkey monitor` prints them. A first line
//! `TYPE satype S seq N pid P [ errno E (TEXT) ]`, then a tab-indented
//! line per extension. An SADB_X_MIGRATE that pairs its requests as
//! af_key.c sends them prints in the words of `rv6 xfrm pfkey migrate`
//! instead, as `rv6 xfrm monitor` prints XFRM_MSG_MIGRATE:
//!
//! ```text
//! SADB_X_MIGRATE satype esp seq 0 pid 0
//!         src 2001:db8:1::/64 dst 2001:db8:2::/64 dir out
//!         old src A dst B proto esp mode tunnel reqid 1
//!         new src C dst D
//!         kmaddress L R
//! ```
//!
//! With `-j`, one [`Event`] per message, family `pfkey`, named after the
//! type, each extension under its name.

use std::net::SocketAddr;

use crate::error::strerror;
use crate::output::{
    Event,
    Record,
    Value, //
};
use crate::xfrm::names::Host;
use crate::xfrm::pfkey::{
    satype_name,
    Alg,
    Ext,
    IpsecRequest,
    Message,
    Policy,
    EXT_ADDRESS_DST,
    EXT_ADDRESS_PROXY,
    EXT_ADDRESS_SRC,
    EXT_KEY_AUTH,
    EXT_LIFETIME_CURRENT,
    EXT_SUPPORTED_AUTH,
    EXT_X_NAT_T_SPORT,
    IPSEC_DIRS,
    IPSEC_LEVELS,
    IPSEC_MODES,
    IPSEC_POLICIES,
    IPSEC_PROTO_ANY,
    SADB_X_MIGRATE, //
};
use crate::xfrm::text::xfrm_proto;

/// The family name every PF_KEY event carries.
pub const FAMILY: &str = "pfkey";

fn name_of(table: &[&str], v: u8) -> String {
    table
        .get(v as usize)
        .map_or_else(|| v.to_string(), |n| n.to_string())
}

fn address_name(which: u16) -> &'static str {
    match which {
        EXT_ADDRESS_SRC => "src",
        EXT_ADDRESS_DST => "dst",
        EXT_ADDRESS_PROXY => "proxy",
        _ => "nat-t-oa",
    }
}

fn lifetime_name(which: u16) -> &'static str {
    match which {
        EXT_LIFETIME_CURRENT => "lifetime-current",
        3 => "lifetime-hard",
        _ => "lifetime-soft",
    }
}

/// An IP protocol for PF_KEY: IPSEC_ULPROTO_ANY is `any`.
fn ulproto(host: &dyn Host, p: u8) -> String {
    if p == IPSEC_PROTO_ANY {
        "any".to_string()
    } else {
        host.protocol(p).unwrap_or_else(|| p.to_string())
    }
}

/// The message as text, ending in a newline.
pub fn text(host: &dyn Host, m: &Message) -> String {
    let mut out = format!(
        "{} satype {} seq {} pid {}",
        m.type_name(),
        satype_name(m.satype),
        m.seq,
        m.pid
    );
    if m.errno != 0 {
        out += &format!(" errno {} ({})", m.errno, strerror(m.errno.into()));
    }
    out += "\n";
    if m.msg_type == SADB_X_MIGRATE && m.errno == 0 {
        if let Some(lines) = migrate_lines(host, m) {
            for l in lines {
                out += &format!("\t{l}\n");
            }
            return out;
        }
    }
    for e in &m.exts {
        out += &ext_text(host, e);
    }
    out
}

/// The parts of an SADB_X_MIGRATE that `rv6 xfrm pfkey migrate` words.
struct MigrateParts<'a> {
    /// The upper-layer protocol, the source prefix length and address.
    src: (u8, u8, SocketAddr),
    /// The destination prefix length and address.
    dst: (u8, SocketAddr),
    policy: &'a Policy,
    km: Option<&'a Ext>,
}

/// The parts of `m`, if it has them all (but the kmaddress).
fn migrate_parts(m: &Message) -> Option<MigrateParts<'_>> {
    let (mut src, mut dst, mut policy, mut km) = (None, None, None, None);
    for e in &m.exts {
        match e {
            Ext::Address {
                which: EXT_ADDRESS_SRC,
                proto,
                prefixlen,
                addr,
            } => src = Some((*proto, *prefixlen, *addr)),
            Ext::Address {
                which: EXT_ADDRESS_DST,
                prefixlen,
                addr,
                ..
            } => dst = Some((*prefixlen, *addr)),
            Ext::Policy(p) => policy = Some(p),
            Ext::KmAddress { .. } => km = Some(e),
            _ => {}
        }
    }
    Some(MigrateParts {
        src: src?,
        dst: dst?,
        policy: policy?,
        km,
    })
}

/// The lines of a well-formed SADB_X_MIGRATE, in the words of `rv6 xfrm
/// pfkey migrate`.
fn migrate_lines(host: &dyn Host, m: &Message) -> Option<Vec<String>> {
    let MigrateParts {
        src: (proto, plen_s, src),
        dst: (plen_d, dst),
        policy,
        km,
    } = migrate_parts(m)?;
    if policy.requests.is_empty() || policy.requests.len() % 2 != 0 {
        return None;
    }
    let mut sel = format!("src {}/{plen_s} dst {}/{plen_d}", src.ip(), dst.ip());
    if proto != IPSEC_PROTO_ANY && proto != 0 {
        sel += &format!(" proto {}", ulproto(host, proto));
    }
    if src.port() != 0 {
        sel += &format!(" sport {}", src.port());
    }
    if dst.port() != 0 {
        sel += &format!(" dport {}", dst.port());
    }
    let dir = IPSEC_DIRS
        .get(policy.dir as usize)
        .filter(|_| policy.dir >= 1)?;
    let mut lines = vec![format!("{sel} dir {dir}")];
    for pair in policy.requests.chunks(2) {
        let (old, new) = (&pair[0], &pair[1]);
        let ((os, od), (ns, nd)) = (old.endpoints?, new.endpoints?);
        lines.push(format!(
            "old src {} dst {} proto {} mode {} reqid {}",
            os.ip(),
            od.ip(),
            xfrm_proto(old.proto as u8),
            name_of(IPSEC_MODES, old.mode),
            old.reqid
        ));
        lines.push(format!("new src {} dst {}", ns.ip(), nd.ip()));
    }
    if let Some(Ext::KmAddress { local, remote, .. }) = km {
        lines.push(format!("kmaddress {} {}", local.ip(), remote.ip()));
    }
    Some(lines)
}

fn hex(bytes: &[u8]) -> String {
    let h: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("0x{h}")
}

fn request_text(r: &IpsecRequest) -> String {
    let mut s = format!(
        "request proto {} mode {} level {} reqid {}",
        xfrm_proto(r.proto as u8),
        name_of(IPSEC_MODES, r.mode),
        name_of(IPSEC_LEVELS, r.level),
        r.reqid
    );
    if let Some((a, b)) = r.endpoints {
        s += &format!(" src {} dst {}", a.ip(), b.ip());
    }
    s
}

fn algs_text(algs: &[Alg]) -> String {
    algs.iter()
        .map(|a| {
            format!(
                " alg {} ivlen {} bits {}-{}",
                a.id, a.ivlen, a.minbits, a.maxbits
            )
        })
        .collect()
}

/// One extension's line(s).
fn ext_text(host: &dyn Host, e: &Ext) -> String {
    let line = match e {
        Ext::Sa {
            spi,
            replay,
            state,
            auth,
            encrypt,
            flags,
        } => {
            let state = ["larval", "mature", "dying", "dead"]
                .get(*state as usize)
                .map_or_else(|| state.to_string(), |s| s.to_string());
            format!("sa spi 0x{spi:08x} replay {replay} state {state} auth {auth} encrypt {encrypt} flags 0x{flags:x}")
        }
        Ext::Lifetime { which, lifetime: l } => format!(
            "{} allocations {} bytes {} addtime {} usetime {}",
            lifetime_name(*which),
            l.allocations,
            l.bytes,
            l.addtime,
            l.usetime
        ),
        Ext::Address {
            which,
            proto,
            prefixlen,
            addr,
        } => format!(
            "{} {}/{prefixlen} port {} proto {}",
            address_name(*which),
            addr.ip(),
            addr.port(),
            ulproto(host, *proto)
        ),
        Ext::Key { which, bits, key } => format!(
            "{} bits {bits} {}",
            if *which == EXT_KEY_AUTH {
                "key-auth"
            } else {
                "key-encrypt"
            },
            hex(key)
        ),
        Ext::Supported { which, algs } => format!(
            "{}{}",
            if *which == EXT_SUPPORTED_AUTH {
                "supported-auth"
            } else {
                "supported-encrypt"
            },
            algs_text(algs)
        ),
        Ext::SpiRange { min, max } => format!("spirange min 0x{min:x} max 0x{max:x}"),
        Ext::Policy(p) => {
            let mut s = format!(
                "policy type {} dir {} id {} priority {}",
                name_of(IPSEC_POLICIES, p.policy_type as u8),
                name_of(IPSEC_DIRS, p.dir),
                p.id,
                p.priority
            );
            for r in &p.requests {
                s += &format!("\n\t\t{}", request_text(r));
            }
            s
        }
        Ext::Sa2 {
            mode,
            sequence,
            reqid,
        } => format!(
            "sa2 mode {} reqid {reqid} sequence {sequence}",
            name_of(IPSEC_MODES, *mode)
        ),
        Ext::NatTType(t) => format!("nat-t-type {t}"),
        Ext::NatTPort { which, port } => format!(
            "{} {port}",
            if *which == EXT_X_NAT_T_SPORT {
                "nat-t-sport"
            } else {
                "nat-t-dport"
            }
        ),
        Ext::KmAddress { local, remote, .. } => format!("kmaddress {} {}", local.ip(), remote.ip()),
        Ext::Other { ext_type, body } => format!("ext {ext_type} len {}", body.len()),
    };
    format!("\t{line}\n")
}

fn num(n: impl Into<u64>) -> Value {
    Value::U64(n.into())
}

fn str(s: impl Into<String>) -> Value {
    Value::Str(s.into())
}

fn request_record(r: &IpsecRequest) -> Record {
    let mut rec = Record::default();
    rec.push("proto", str(xfrm_proto(r.proto as u8)));
    rec.push("mode", str(name_of(IPSEC_MODES, r.mode)));
    rec.push("level", str(name_of(IPSEC_LEVELS, r.level)));
    rec.push("reqid", num(r.reqid));
    if let Some((a, b)) = r.endpoints {
        rec.push("src", str(a.ip().to_string()));
        rec.push("dst", str(b.ip().to_string()));
    }
    rec
}

/// One extension's key and value.
fn ext_value(host: &dyn Host, e: &Ext) -> (String, Value) {
    let mut r = Record::default();
    let key = match e {
        Ext::Sa {
            spi,
            replay,
            state,
            auth,
            encrypt,
            flags,
        } => {
            r.push("spi", num(*spi));
            r.push("replay", num(*replay));
            r.push("state", num(*state));
            r.push("auth", num(*auth));
            r.push("encrypt", num(*encrypt));
            r.push("flags", num(*flags));
            "sa".to_string()
        }
        Ext::Lifetime { which, lifetime: l } => {
            r.push("allocations", num(l.allocations));
            r.push("bytes", num(l.bytes));
            r.push("addtime", num(l.addtime));
            r.push("usetime", num(l.usetime));
            lifetime_name(*which).to_string()
        }
        Ext::Address {
            which,
            proto,
            prefixlen,
            addr,
        } => {
            r.push("addr", str(addr.ip().to_string()));
            r.push("prefixlen", num(*prefixlen));
            r.push("port", num(addr.port()));
            r.push("proto", str(ulproto(host, *proto)));
            address_name(*which).to_string()
        }
        Ext::Key { which, bits, key } => {
            r.push("bits", num(*bits));
            r.push("key", str(hex(key)));
            (if *which == EXT_KEY_AUTH {
                "key-auth"
            } else {
                "key-encrypt"
            })
            .to_string()
        }
        Ext::Supported { which, algs } => {
            let list = algs
                .iter()
                .map(|a| {
                    let mut ar = Record::default();
                    ar.push("id", num(a.id));
                    ar.push("ivlen", num(a.ivlen));
                    ar.push("minbits", num(a.minbits));
                    ar.push("maxbits", num(a.maxbits));
                    ar
                })
                .collect();
            let name = if *which == EXT_SUPPORTED_AUTH {
                "supported-auth"
            } else {
                "supported-encrypt"
            };
            return (name.to_string(), Value::List(list));
        }
        Ext::SpiRange { min, max } => {
            r.push("min", num(*min));
            r.push("max", num(*max));
            "spirange".to_string()
        }
        Ext::Policy(p) => {
            r.push("type", str(name_of(IPSEC_POLICIES, p.policy_type as u8)));
            r.push("dir", str(name_of(IPSEC_DIRS, p.dir)));
            r.push("id", num(p.id));
            r.push("priority", num(p.priority));
            r.push(
                "requests",
                Value::List(p.requests.iter().map(request_record).collect()),
            );
            "policy".to_string()
        }
        Ext::Sa2 {
            mode,
            sequence,
            reqid,
        } => {
            r.push("mode", str(name_of(IPSEC_MODES, *mode)));
            r.push("reqid", num(*reqid));
            r.push("sequence", num(*sequence));
            "sa2".to_string()
        }
        Ext::NatTType(t) => return ("nat-t-type".to_string(), num(*t)),
        Ext::NatTPort { which, port } => {
            let name = if *which == EXT_X_NAT_T_SPORT {
                "nat-t-sport"
            } else {
                "nat-t-dport"
            };
            return (name.to_string(), num(*port));
        }
        Ext::KmAddress { local, remote, .. } => {
            r.push("local", str(local.ip().to_string()));
            r.push("remote", str(remote.ip().to_string()));
            "kmaddress".to_string()
        }
        Ext::Other { ext_type, body } => return (format!("ext-{ext_type}"), str(hex(body))),
    };
    (key, Value::Nest(r))
}

/// The message as a JSON event. The extension keys are `&'static` in the
/// output records: they come from a fixed set of names, interned here.
pub fn event(host: &dyn Host, m: &Message) -> Event {
    let mut r = Record::default();
    r.push("satype", str(satype_name(m.satype)));
    r.push("seq", num(m.seq));
    r.push("pid", num(m.pid));
    r.push("errno", num(m.errno));
    for e in &m.exts {
        let (key, value) = ext_value(host, e);
        r.push(intern(&key), value);
    }
    Event {
        family: FAMILY,
        name: m.type_name(),
        msg: r,
    }
}

/// The `&'static` spelling of an extension key.
fn intern(key: &str) -> &'static str {
    const KEYS: &[&str] = &[
        "sa",
        "lifetime-current",
        "lifetime-hard",
        "lifetime-soft",
        "src",
        "dst",
        "proxy",
        "nat-t-oa",
        "key-auth",
        "key-encrypt",
        "supported-auth",
        "supported-encrypt",
        "spirange",
        "policy",
        "sa2",
        "nat-t-type",
        "nat-t-sport",
        "nat-t-dport",
        "kmaddress",
    ];
    KEYS.iter().find(|k| **k == key).copied().unwrap_or("ext")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::{
        render_event,
        Format, //
    };
    use crate::xfrm::names::TestHost;
    use crate::xfrm::pfkey::{
        sockaddr,
        IPSEC_LEVEL_UNIQUE,
        IPSEC_POLICY_IPSEC, //
    };

    fn sa(s: &str) -> SocketAddr {
        sockaddr(s.parse().unwrap(), 0)
    }

    fn migrate(errno: u8) -> Message {
        let request = |src: &str, dst: &str| IpsecRequest {
            proto: 50,
            mode: 2,
            level: IPSEC_LEVEL_UNIQUE,
            reqid: 1,
            endpoints: Some((sa(src), sa(dst))),
        };
        Message {
            msg_type: SADB_X_MIGRATE,
            errno,
            satype: 3,
            seq: 0,
            pid: 0,
            exts: vec![
                Ext::KmAddress {
                    local: sa("2001:db8:a::2"),
                    remote: sa("2001:db8:b::1"),
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
                    proto: IPSEC_PROTO_ANY,
                    prefixlen: 64,
                    addr: sa("2001:db8:2::"),
                },
                Ext::Policy(Policy {
                    policy_type: IPSEC_POLICY_IPSEC,
                    dir: 2,
                    id: 0,
                    priority: 0,
                    requests: vec![
                        request("2001:db8:a::1", "2001:db8:b::1"),
                        request("2001:db8:a::2", "2001:db8:b::1"),
                    ],
                }),
            ],
        }
    }

    #[test]
    fn a_migrate_prints_in_the_words_of_the_command() {
        assert_eq!(
            text(&TestHost, &migrate(0)),
            "SADB_X_MIGRATE satype esp seq 0 pid 0\n\
             \tsrc 2001:db8:1::/64 dst 2001:db8:2::/64 dir out\n\
             \told src 2001:db8:a::1 dst 2001:db8:b::1 proto esp mode tunnel reqid 1\n\
             \tnew src 2001:db8:a::2 dst 2001:db8:b::1\n\
             \tkmaddress 2001:db8:a::2 2001:db8:b::1\n"
        );
    }

    /// A refusal echoes the request with an errno: printed extension by
    /// extension.
    #[test]
    fn an_error_answer_prints_its_errno_and_extensions() {
        let t = text(&TestHost, &migrate(22));
        assert_eq!(
            t.lines().collect::<Vec<_>>(),
            [
                "SADB_X_MIGRATE satype esp seq 0 pid 0 errno 22 (Invalid argument)",
                "\tkmaddress 2001:db8:a::2 2001:db8:b::1",
                "\tsrc 2001:db8:1::/64 port 0 proto any",
                "\tdst 2001:db8:2::/64 port 0 proto any",
                "\tpolicy type ipsec dir out id 0 priority 0",
                "\t\trequest proto esp mode tunnel level unique reqid 1 src 2001:db8:a::1 dst 2001:db8:b::1",
                "\t\trequest proto esp mode tunnel level unique reqid 1 src 2001:db8:a::2 dst 2001:db8:b::1",
            ]
        );
    }

    #[test]
    fn other_messages_print_each_extension() {
        let m = Message {
            msg_type: 3,
            errno: 0,
            satype: 3,
            seq: 5,
            pid: 77,
            exts: vec![
                Ext::Sa {
                    spi: 0x1000,
                    replay: 32,
                    state: 1,
                    auth: 5,
                    encrypt: 12,
                    flags: 0,
                },
                Ext::Sa2 {
                    mode: 2,
                    sequence: 0,
                    reqid: 9,
                },
                Ext::Key {
                    which: EXT_KEY_AUTH,
                    bits: 16,
                    key: vec![0xab, 0xcd],
                },
                Ext::Other {
                    ext_type: 24,
                    body: vec![0; 4],
                },
            ],
        };
        assert_eq!(
            text(&TestHost, &m),
            "SADB_ADD satype esp seq 5 pid 77\n\
             \tsa spi 0x00001000 replay 32 state mature auth 5 encrypt 12 flags 0x0\n\
             \tsa2 mode tunnel reqid 9 sequence 0\n\
             \tkey-auth bits 16 0xabcd\n\
             \text 24 len 4\n"
        );
    }

    #[test]
    fn json_has_every_extension_under_its_name() {
        let e = event(&TestHost, &migrate(0));
        assert_eq!(
            render_event(&e, Format::Json),
            "{\"family\":\"pfkey\",\"name\":\"SADB_X_MIGRATE\",\"msg\":{\"satype\":\"esp\",\
             \"seq\":0,\"pid\":0,\"errno\":0,\
             \"kmaddress\":{\"local\":\"2001:db8:a::2\",\"remote\":\"2001:db8:b::1\"},\
             \"src\":{\"addr\":\"2001:db8:1::\",\"prefixlen\":64,\"port\":0,\"proto\":\"any\"},\
             \"dst\":{\"addr\":\"2001:db8:2::\",\"prefixlen\":64,\"port\":0,\"proto\":\"any\"},\
             \"policy\":{\"type\":\"ipsec\",\"dir\":\"out\",\"id\":0,\"priority\":0,\"requests\":[\
             {\"proto\":\"esp\",\"mode\":\"tunnel\",\"level\":\"unique\",\"reqid\":1,\
             \"src\":\"2001:db8:a::1\",\"dst\":\"2001:db8:b::1\"},\
             {\"proto\":\"esp\",\"mode\":\"tunnel\",\"level\":\"unique\",\"reqid\":1,\
             \"src\":\"2001:db8:a::2\",\"dst\":\"2001:db8:b::1\"}]}}}\n"
        );
    }
}
