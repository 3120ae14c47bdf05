//! The words of `rv6 xfrm`'s commands, in `ip xfrm`'s grammar: a selector
//! as `ip xfrm policy` takes one, MIGRATE entries, addresses, numbers,
//! marks, encapsulations. Everything here runs before the namespace is
//! entered and any socket opened; a device name is kept as a name and
//! looked up in the namespace when the command runs.

use std::net::IpAddr;

use crate::cli::{
    keyword,
    Args,
    UsageError, //
};
use crate::xfrm::names::{
    protocol_number,
    system_protocols, //
};
use crate::xfrm::text::{
    DIRS,
    ENCAPS,
    MODES,
    PTYPES,
    XFRM_PROTOS, //
};
use crate::xfrm::wire::XFRM_MAX_DEPTH;

// IP protocol numbers the selector grammar treats apart.
const TCP: u8 = 6;
const UDP: u8 = 17;
const DCCP: u8 = 33;
const GRE: u8 = 47;
const SCTP: u8 = 132;
const ICMP: u8 = 1;
const ICMPV6: u8 = 58;
const MH: u8 = 135;

/// The selector's keywords.
pub const SELECTOR: &[&str] = &[
    "src", "dst", "dev", "proto", "sport", "dport", "type", "code", "key",
];
/// Those of a PF_KEY selector, which has no device, ICMP fields or key.
pub const PFKEY_SELECTOR: &[&str] = &["src", "dst", "proto", "sport", "dport"];

fn wrong<T>(arg: &str, why: impl Into<String>) -> Result<T, UsageError> {
    Err(UsageError::Wrong {
        arg: arg.to_string(),
        why: why.into(),
    })
}

/// A u32 in decimal or, after `0x`, hexadecimal (iproute2's `get_u32()`
/// less octal); `meta` names it in the error.
pub fn number(arg: &str, meta: &str) -> Result<u32, UsageError> {
    let (digits, radix) = match arg.strip_prefix("0x").or_else(|| arg.strip_prefix("0X")) {
        Some(hex) => (hex, 16),
        None => (arg, 10),
    };
    match u32::from_str_radix(digits, radix) {
        Ok(v) if !digits.is_empty() && digits.chars().all(|c| c.is_digit(radix)) => Ok(v),
        _ => wrong(
            arg,
            format!("{meta} must be a number, decimal or 0x-hex, at most 0xffffffff"),
        ),
    }
}

/// A number of at most `max`.
pub fn bounded(arg: &str, meta: &str, max: u32) -> Result<u32, UsageError> {
    match number(arg, meta)? {
        v if v <= max => Ok(v),
        _ => wrong(arg, format!("{meta} must be at most {max}")),
    }
}

/// An IPv4 or IPv6 address, without prefix length.
pub fn address(arg: &str, meta: &str) -> Result<IpAddr, UsageError> {
    arg.parse()
        .or_else(|_| wrong(arg, format!("{meta} must be an IPv4 or IPv6 address")))
}

/// `ADDR[/PLEN]`; no PLEN is the whole address.
pub fn prefix(arg: &str) -> Result<(IpAddr, u8), UsageError> {
    let (a, plen) = match arg.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (arg, None),
    };
    let addr = address(a, "ADDR")?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let plen = match plen {
        None => max,
        Some(p) => match p.parse::<u8>() {
            Ok(n) if n <= max && p.chars().all(|c| c.is_ascii_digit()) => n,
            _ => return wrong(arg, format!("PLEN must be 0 to {max}")),
        },
    };
    Ok((addr, plen))
}

/// Two addresses that must be of one family: iproute2's words when not.
pub fn same_family(
    a: &IpAddr,
    b: &IpAddr,
    b_arg: &str,
    a_kw: &str,
    b_kw: &str,
) -> Result<(), UsageError> {
    if a.is_ipv4() == b.is_ipv4() {
        return Ok(());
    }
    wrong(
        b_arg,
        format!(
            "the same address family is required between values after \"{a_kw}\" and \"{b_kw}\""
        ),
    )
}

/// The index of `arg` in `table`, spelt exactly (a value, not a keyword).
pub fn entry(arg: &str, meta: &str, table: &[&str]) -> Result<u8, UsageError> {
    match table.iter().position(|t| *t == arg) {
        Some(i) => Ok(i as u8),
        None => wrong(arg, format!("{meta} must be one of {}", table.join(", "))),
    }
}

/// `DIR`: in, out or fwd (XFRM_POLICY_*).
pub fn dir(arg: &str) -> Result<u8, UsageError> {
    entry(arg, "DIR", DIRS)
}

/// `PTYPE`: main or sub.
pub fn ptype(arg: &str) -> Result<u8, UsageError> {
    entry(arg, "PTYPE", PTYPES)
}

/// `MODE` (XFRM_MODE_*).
pub fn mode(arg: &str) -> Result<u8, UsageError> {
    entry(arg, "MODE", MODES)
}

/// `XFRM-PROTO`: esp, ah, comp, route2 or hao.
pub fn xfrm_proto(arg: &str) -> Result<u8, UsageError> {
    let names: Vec<&str> = XFRM_PROTOS
        .iter()
        .map(|(n, _)| *n)
        .filter(|n| *n != "ipsec-any")
        .collect();
    match XFRM_PROTOS
        .iter()
        .find(|(n, _)| *n == arg && *n != "ipsec-any")
    {
        Some((_, p)) => Ok(*p),
        None => wrong(
            arg,
            format!("XFRM-PROTO must be one of {}", names.join(", ")),
        ),
    }
}

/// `ENCAP-TYPE`.
pub fn encap_type(arg: &str) -> Result<u16, UsageError> {
    let names: Vec<&str> = ENCAPS.iter().map(|(n, _)| *n).collect();
    match ENCAPS.iter().find(|(n, _)| *n == arg) {
        Some((_, t)) => Ok(*t),
        None => wrong(
            arg,
            format!("ENCAP-TYPE must be one of {}", names.join(", ")),
        ),
    }
}

/// A port: 0 to 65535.
pub fn port(arg: &str, meta: &str) -> Result<u16, UsageError> {
    bounded(arg, meta, u16::MAX.into()).map(|p| p as u16)
}

/// `PROTO` of a selector: `any`, a name of /etc/protocols, or a number.
pub fn upper_proto(arg: &str) -> Result<u8, UsageError> {
    if arg == "any" {
        return Ok(0);
    }
    if let Some(p) = protocol_number(system_protocols(), arg) {
        return Ok(p);
    }
    bounded(arg, "PROTO", 255).map(|p| p as u8).or_else(|_| {
        wrong(
            arg,
            "PROTO must be a protocol name, a number to 255, or any",
        )
    })
}

/// A selector as given: `[ src ADDR[/PLEN] ] [ dst ADDR[/PLEN] ] [ dev
/// DEV ] [ proto PROTO [ sport PORT ] [ dport PORT ] | [ type N ] [ code N
/// ] | [ key KEY ] ]`. ICMP type and code, and a GRE key, travel in the
/// ports as the kernel keeps them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SelectorArgs {
    pub src: Option<(IpAddr, u8)>,
    pub dst: Option<(IpAddr, u8)>,
    /// A device name, looked up when the command runs.
    pub dev: Option<String>,
    pub proto: u8,
    pub sport: Option<u16>,
    pub dport: Option<u16>,
    /// The keywords given, for the checks that read them together.
    given: Vec<&'static str>,
    /// The value after `dst` (or `src`), to name in a family error.
    last_addr_arg: String,
}

impl SelectorArgs {
    /// Reads the value of selector keyword `kw` (already taken from
    /// `args`, spelt `arg`).
    pub fn word(&mut self, kw: &'static str, arg: &str, args: &mut Args) -> Result<(), UsageError> {
        let meta = match kw {
            "src" | "dst" => "an ADDR[/PLEN]",
            "dev" => "a DEV",
            "proto" => "a PROTO",
            "sport" | "dport" => "a PORT",
            "key" => "a KEY",
            _ => "a NUMBER",
        };
        let value = args.value(arg, meta)?;
        if self.given.contains(&kw) {
            return Err(UsageError::Duplicate {
                keyword: kw,
                arg: value,
            });
        }
        self.given.push(kw);
        match kw {
            "src" => self.src = Some(prefix(&value)?),
            "dst" => self.dst = Some(prefix(&value)?),
            "dev" => self.dev = Some(value.clone()),
            "proto" => self.proto = upper_proto(&value)?,
            // A port of 0 is any port: no mask, as iproute2 sets none.
            "sport" => self.sport = Some(port(&value, "PORT")?).filter(|p| *p != 0),
            "dport" => self.dport = Some(port(&value, "PORT")?).filter(|p| *p != 0),
            "type" => self.sport = Some(bounded(&value, "type", 255)? as u16),
            "code" => self.dport = Some(bounded(&value, "code", 255)? as u16),
            _ => {
                let key = match value.parse::<std::net::Ipv4Addr>() {
                    Ok(a) => u32::from(a),
                    Err(_) => number(&value, "KEY")?,
                };
                self.sport = Some((key >> 16) as u16);
                self.dport = Some(key as u16);
            }
        }
        if matches!(kw, "src" | "dst") {
            self.last_addr_arg = value;
        }
        Ok(())
    }

    /// Whether any selector word was given.
    pub fn is_empty(&self) -> bool {
        self.given.is_empty()
    }

    /// The checks of iproute2's selector parser once all words are read:
    /// one family for src and dst; ports only for TCP, UDP, SCTP, DCCP or
    /// no protocol; type and code only for ICMP, ICMPv6 or MH; a key only
    /// for GRE.
    pub fn check(&self) -> Result<(), UsageError> {
        if let (Some((s, _)), Some((d, _))) = (&self.src, &self.dst) {
            same_family(s, d, &self.last_addr_arg, "src", "dst")?;
        }
        let has = |k| self.given.contains(&k);
        let proto_name = self.proto.to_string();
        if (has("sport") || has("dport")) && !matches!(self.proto, 0 | TCP | UDP | SCTP | DCCP) {
            return wrong(
                &proto_name,
                "\"sport\" and \"dport\" need PROTO tcp, udp, sctp or dccp",
            );
        }
        if (has("type") || has("code")) && !matches!(self.proto, ICMP | ICMPV6 | MH) {
            return wrong(
                &proto_name,
                "\"type\" and \"code\" need PROTO icmp, ipv6-icmp or mobility-header",
            );
        }
        if has("key") && self.proto != GRE {
            return wrong(&proto_name, "\"key\" needs PROTO gre");
        }
        Ok(())
    }
}

/// One MIGRATE entry: `old src ADDR dst ADDR proto XFRM-PROTO mode MODE [
/// reqid REQID ] new src ADDR dst ADDR`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryArgs {
    pub old_src: IpAddr,
    pub old_dst: IpAddr,
    pub proto: u8,
    pub mode: u8,
    /// 0: any reqid.
    pub reqid: u32,
    pub new_src: IpAddr,
    pub new_dst: IpAddr,
}

/// The words of an entry's `old` part, and of its `new` part.
const OLD: &[&str] = &["src", "dst", "proto", "mode", "reqid", "new"];
const NEW: &[&str] = &["src", "dst"];

/// Reads an `src ADDR dst ADDR` pair in either order, as `old` or `new`
/// (`which`); with `more`, other keywords of `words` until `stop`.
fn endpoints(
    args: &mut Args,
    which: &'static str,
    words: &[&'static str],
    mut more: impl FnMut(&'static str, String, &mut Args) -> Result<(), UsageError>,
) -> Result<(IpAddr, IpAddr), UsageError> {
    // Each address, and its word to name in a family error.
    type Given = Option<(IpAddr, String)>;
    let (mut src, mut dst): (Given, Given) = (None, None);
    while let Some(peek) = args.peek() {
        let Some(kw) = keyword(peek, words)? else {
            if words == NEW {
                break;
            }
            let arg = args.next().unwrap_or_default();
            return wrong(
                &arg,
                format!(
                    "expected one of {} in an \"{which}\" part",
                    words.join(", ")
                ),
            );
        };
        if kw == "new" {
            break;
        }
        if words == NEW && ((kw == "src" && src.is_some()) || (kw == "dst" && dst.is_some())) {
            break;
        }
        let arg = args.next().unwrap_or_default();
        match kw {
            "src" | "dst" => {
                let value = args.value(&arg, "an ADDR")?;
                let slot = if kw == "src" { &mut src } else { &mut dst };
                if slot.is_some() {
                    return Err(UsageError::Duplicate {
                        keyword: kw,
                        arg: value,
                    });
                }
                *slot = Some((address(&value, "ADDR")?, value));
            }
            _ => {
                let value = args.value(
                    &arg,
                    if kw == "proto" {
                        "an XFRM-PROTO"
                    } else {
                        "a value"
                    },
                )?;
                more(kw, value, args)?;
            }
        }
        if words == NEW && src.is_some() && dst.is_some() {
            break;
        }
    }
    let missing = |k: &'static str| UsageError::Missing { keyword: k };
    let (s, _) = src.ok_or(missing(if which == "old" { "old src" } else { "new src" }))?;
    let (d, d_arg) = dst.ok_or(missing(if which == "old" { "old dst" } else { "new dst" }))?;
    same_family(&s, &d, &d_arg, "src", "dst")?;
    Ok((s, d))
}

impl EntryArgs {
    /// Reads an entry after its `old`; `modes` are the names of the modes
    /// allowed (PF_KEY has fewer than XFRM), its mode the XFRM_MODE_*.
    pub fn parse(args: &mut Args, modes: &[&str]) -> Result<Self, UsageError> {
        let (mut proto, mut mode_, mut reqid) = (None, None, None);
        let (old_src, old_dst) = endpoints(args, "old", OLD, |kw, value, _| {
            let seen = match kw {
                "proto" => proto.replace(xfrm_proto(&value)?).is_some(),
                "mode" => {
                    entry(&value, "MODE", modes)?;
                    mode_.replace(mode(&value)?).is_some()
                }
                _ => reqid.replace(number(&value, "REQID")?).is_some(),
            };
            if seen {
                return Err(UsageError::Duplicate {
                    keyword: kw,
                    arg: value,
                });
            }
            Ok(())
        })?;
        let proto = proto.ok_or(UsageError::Missing {
            keyword: "old proto",
        })?;
        let mode_ = mode_.ok_or(UsageError::Missing {
            keyword: "old mode",
        })?;
        match args.next() {
            Some(w) if w == "new" => {}
            _ => return Err(UsageError::Missing { keyword: "new" }),
        }
        let (new_src, new_dst) = endpoints(args, "new", NEW, |_, _, _| Ok(()))?;
        Ok(EntryArgs {
            old_src,
            old_dst,
            proto,
            mode: mode_,
            reqid: reqid.unwrap_or(0),
            new_src,
            new_dst,
        })
    }
}

/// Adds an entry, refusing the one past XFRM_MAX_DEPTH.
pub fn push_entry(
    entries: &mut Vec<EntryArgs>,
    args: &mut Args,
    modes: &[&str],
) -> Result<(), UsageError> {
    if entries.len() == XFRM_MAX_DEPTH {
        return wrong(
            "old",
            format!("one MIGRATE moves at most {XFRM_MAX_DEPTH} SAs (XFRM_MAX_DEPTH)"),
        );
    }
    entries.push(EntryArgs::parse(args, modes)?);
    Ok(())
}

/// `VALUE [ mask MASK ]`, after `mark` or `output-mark`: the mask all
/// ones when not given, as iproute2's `xfrm_parse_mark()` has it.
pub fn mark(args: &mut Args, arg: &str) -> Result<(u32, u32), UsageError> {
    let value = number(&args.value(arg, "a MARK")?, "MARK")?;
    if args.peek() != Some("mask") {
        return Ok((value, u32::MAX));
    }
    args.next();
    let mask = number(&args.value("mask", "a MASK")?, "MASK")?;
    Ok((value, mask))
}

/// `ENCAP-TYPE SPORT DPORT OADDR`, after `encap`.
pub fn encap(args: &mut Args, arg: &str) -> Result<(u16, u16, u16, IpAddr), UsageError> {
    let t = encap_type(&args.value(arg, "an ENCAP-TYPE")?)?;
    let sport = port(
        &args.value(arg, "an ENCAP-TYPE SPORT DPORT OADDR")?,
        "SPORT",
    )?;
    let dport = port(
        &args.value(arg, "an ENCAP-TYPE SPORT DPORT OADDR")?,
        "DPORT",
    )?;
    let oa = address(
        &args.value(arg, "an ENCAP-TYPE SPORT DPORT OADDR")?,
        "OADDR",
    )?;
    Ok((t, sport, dport, oa))
}

/// `LOCAL REMOTE`, after `kmaddress`, of one family.
pub fn kmaddress(args: &mut Args, arg: &str) -> Result<(IpAddr, IpAddr), UsageError> {
    let local = address(&args.value(arg, "a LOCAL and a REMOTE address")?, "LOCAL")?;
    let remote_arg = args.value(arg, "a REMOTE address")?;
    let remote = address(&remote_arg, "REMOTE")?;
    same_family(&local, &remote, &remote_arg, "kmaddress LOCAL", "REMOTE")?;
    Ok((local, remote))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Args {
        Args::new(s.split_whitespace())
    }

    #[test]
    fn numbers_and_prefixes() {
        assert_eq!(number("17", "N"), Ok(17));
        assert_eq!(number("0x11", "N"), Ok(17));
        assert!(number("0x", "N").is_err());
        assert!(number("-1", "N").is_err());
        assert!(number("4294967296", "N").is_err());
        assert_eq!(
            bounded("256", "PROTO", 255).unwrap_err().to_string(),
            "Error: argument \"256\" is wrong: PROTO must be at most 255"
        );
        assert_eq!(
            prefix("2001:db8::/32"),
            Ok(("2001:db8::".parse().unwrap(), 32))
        );
        assert_eq!(prefix("192.0.2.1"), Ok(("192.0.2.1".parse().unwrap(), 32)));
        assert!(prefix("192.0.2.1/33").is_err());
        assert!(prefix("2001:db8::/+1").is_err());
    }

    fn entry_of(s: &str) -> Result<EntryArgs, String> {
        EntryArgs::parse(&mut args(s), MODES).map_err(|e| e.to_string())
    }

    #[test]
    fn entries_take_their_words_in_any_order() {
        let e = entry_of("mode tunnel proto esp dst 2001:db8::b src 2001:db8::a reqid 0x10 new dst 2001:db8::b src 2001:db8::c").unwrap();
        assert_eq!(
            (e.proto, e.mode, e.reqid, e.new_src.to_string()),
            (50, 1, 16, "2001:db8::c".to_string())
        );
        assert_eq!(
            entry_of("src ::1 dst ::2 proto esp mode tunnel new src ::3"),
            Err("Error: argument \"new dst\" is required".into())
        );
        assert_eq!(
            entry_of("src ::1 dst ::2 proto esp new src ::3 dst ::4"),
            Err("Error: argument \"old mode\" is required".into())
        );
        assert_eq!(
            entry_of("src ::1 dst ::2 proto esp mode tunnel"),
            Err("Error: argument \"new\" is required".into())
        );
        assert_eq!(
            entry_of("src ::1 dst 192.0.2.1 proto esp mode tunnel new src ::3 dst ::4"),
            Err(
                "Error: argument \"192.0.2.1\" is wrong: the same address family is required \
                 between values after \"src\" and \"dst\""
                    .into()
            )
        );
        assert_eq!(
            entry_of("src ::1 dst ::2 proto udp mode tunnel new src ::3 dst ::4"),
            Err("Error: argument \"udp\" is wrong: XFRM-PROTO must be one of esp, ah, comp, route2, hao".into())
        );
        assert_eq!(
            entry_of("src ::1 src ::2"),
            Err("Error: duplicate \"src\": \"::2\" is the second value.".into())
        );
        assert_eq!(
            entry_of("src ::1 dst ::2 proto esp mode tunnel spi 5"),
            Err("Error: argument \"spi\" is wrong: expected one of src, dst, proto, mode, reqid, new \
                 in an \"old\" part".into())
        );
    }

    /// The `new` part ends after its two addresses: what follows is the
    /// command's again, a second `src` included.
    #[test]
    fn the_new_part_ends_after_src_and_dst() {
        let mut a = args("src ::1 dst ::2 proto esp mode beet new src ::3 dst ::4 src ::5");
        EntryArgs::parse(&mut a, MODES).unwrap();
        assert_eq!(a.peek(), Some("src"));
        let pfkey = ["transport", "tunnel", "beet"];
        let e = EntryArgs::parse(
            &mut args("src ::1 dst ::2 proto esp mode beet new src ::3 dst ::4"),
            &pfkey,
        );
        assert_eq!(e.unwrap().mode, 4, "XFRM_MODE_BEET");
        assert!(EntryArgs::parse(
            &mut args("src ::1 dst ::2 proto esp mode ro new src ::3 dst ::4"),
            &pfkey
        )
        .unwrap_err()
        .to_string()
        .contains("MODE must be one of transport, tunnel, beet"));
    }

    #[test]
    fn selectors_check_their_words_together() {
        let sel = |s: &str| {
            let mut a = args(s);
            let mut sel = SelectorArgs::default();
            while let Some(w) = a.next() {
                let kw = keyword(&w, SELECTOR).unwrap().unwrap();
                sel.word(kw, &w, &mut a)?;
            }
            sel.check().map(|()| sel)
        };
        let s = sel("src 2001:db8:1::/64 dst 2001:db8:2::/64 proto tcp dport 80").unwrap();
        assert_eq!((s.proto, s.sport, s.dport), (6, None, Some(80)));
        let s = sel("dst ::/0 proto gre key 1.2.3.4").unwrap();
        assert_eq!((s.sport, s.dport), (Some(0x0102), Some(0x0304)));
        assert_eq!(
            sel("src ::/0 dst 0.0.0.0/0").unwrap_err().to_string(),
            "Error: argument \"0.0.0.0/0\" is wrong: the same address family is required \
             between values after \"src\" and \"dst\""
        );
        assert!(sel("src ::/0 proto gre sport 1").is_err());
        assert!(sel("src ::/0 proto tcp type 1").is_err());
        assert!(sel("src ::/0 proto tcp key 1").is_err());
        assert!(sel("src ::/0 proto 58 type 128 code 0").is_ok());
        assert!(sel("src ::/0 type 256").is_err());
        assert!(sel("src ::/0 src ::1").is_err());
    }

    #[test]
    fn marks_encaps_and_kmaddresses() {
        assert_eq!(mark(&mut args("5"), "mark"), Ok((5, u32::MAX)));
        assert_eq!(mark(&mut args("5 mask 0xff"), "mark"), Ok((5, 0xff)));
        let mut a = args("5 dir out");
        assert_eq!(mark(&mut a, "mark"), Ok((5, u32::MAX)));
        assert_eq!(a.peek(), Some("dir"));
        assert_eq!(
            encap(&mut args("espinudp 4500 4501 192.0.2.1"), "encap"),
            Ok((2, 4500, 4501, "192.0.2.1".parse().unwrap()))
        );
        assert!(encap(&mut args("espinudp 4500 70000 192.0.2.1"), "encap").is_err());
        assert!(encap(&mut args("udp 1 2 ::1"), "encap").is_err());
        assert!(kmaddress(&mut args("::1 192.0.2.1"), "kmaddress").is_err());
        assert_eq!(
            kmaddress(&mut args("::1"), "kmaddress")
                .unwrap_err()
                .to_string(),
            "Error: command line is not complete: \"kmaddress\" needs a REMOTE address"
        );
    }
}
