//! `rv6 xfrm bulk`: every IPsec policy, and its SAs, that uses an address
//! that moved, moved in one request by the rv6_xfrm_migrate module
//! (net/xfrm/rv6_xfrm_migrate.rs), generic netlink family `rv6-migrate`,
//! spec Documentation/netlink/specs/rv6_xfrm_migrate.yaml, whose tables
//! build.rs generates into [`crate::spec::specs::rv6_xfrm_migrate`]: the
//! attribute sets `FAMILY_MIGRATE` (requests and the migrate reply),
//! `FAMILY_POLICY` and `FAMILY_ENTRY` (a plan's policies and their
//! template moves) and `FAMILY_STATS`.
//!
//! ```text
//! rv6 xfrm bulk stats                          stats-get: the counters
//! rv6 xfrm bulk migrate ADDR to ADDR [ peer ADDR to ADDR ] [ FILTER ... ]
//!         [ kmaddress LOCAL REMOTE ] [ dry-run ]   migrate (do)
//! rv6 xfrm bulk plan ADDR to ADDR [ peer ADDR to ADDR ] [ FILTER ... ]
//!                                              plan (dump)
//! FILTER := dir DIR [ DIR ... ] | ptype PTYPE | reqid MIN[-MAX]
//!         | mark MARK [ mask MASK ] | if_id IF_ID | proto TMPL-PROTO
//!         | mode TMPL-MODE
//! ```
//!
//! `ADDR to ADDR` is the local move (`old-local`, `new-local`), `peer ADDR
//! to ADDR` the peer's (`old-peer`, `new-peer`); the two ends of a move are
//! one family, 4 bytes on the wire for IPv4 and 16 for IPv6. The words
//! come in any order, as the other `xfrm` commands' do, each once but
//! `dir`, whose directions add up to the `dirs` mask (`1 << XFRM_POLICY_IN`
//! and so on). `reqid 5` is `reqid-min` and `reqid-max` 5, `reqid 5-9` the
//! range. What the kernel checks with a message naming the culprit (a new
//! address that is unspecified or the old one, a policy that cannot move)
//! is left to it.
//!
//! `migrate` prints what moved, `policies N entries M` (JSON, as YNL
//! prints a do reply, one object: `{"policies":N,"entries":M}`); `stats`
//! the counters the same way. `plan` prints one block per policy, in `ip
//! xfrm policy`'s words, then a tab-indented line per template move in
//! those of `rv6 xfrm migrate`'s MIGRATE-ENTRY:
//!
//! ```text
//! src 2001:db8:1::/64 dst 2001:db8:2::/64 proto tcp dir out ptype main index 8 priority 0
//!     old src A dst B proto esp mode tunnel reqid 1 new src C dst B
//! ```
//!
//! and with `-j` an array of the policies as YNL names their attributes,
//! addresses as strings (their `display-hint: ipv4-or-v6`), enums by their
//! spec names.

use std::net::{
    IpAddr,
    Ipv4Addr,
    Ipv6Addr, //
};

use neli::{
    genl::Nlattr,
    types::Buffer, //
};

use crate::cli::{
    keyword,
    Args,
    UsageError, //
};
use crate::error::{
    netlink,
    Error, //
};
use crate::genl::{
    self,
    attr,
    Attrs,
    Message, //
};
use crate::objects::Action;
use crate::output::{
    Output,
    Record,
    Value, //
};
use crate::sockets::Sockets;
use crate::spec::specs::rv6_xfrm_migrate::{
    A_ENTRY_MODE,
    A_ENTRY_NEW_DST,
    A_ENTRY_NEW_SRC,
    A_ENTRY_OLD_DST,
    A_ENTRY_OLD_SRC,
    A_ENTRY_PROTO,
    A_ENTRY_REQID,
    A_MIGRATE_DIRS,
    A_MIGRATE_DRY_RUN,
    A_MIGRATE_IF_ID,
    A_MIGRATE_KMADDRESS_LOCAL,
    A_MIGRATE_KMADDRESS_REMOTE,
    A_MIGRATE_MARK,
    A_MIGRATE_MARK_MASK,
    A_MIGRATE_MODE,
    A_MIGRATE_NEW_LOCAL,
    A_MIGRATE_NEW_PEER,
    A_MIGRATE_OLD_LOCAL,
    A_MIGRATE_OLD_PEER,
    A_MIGRATE_POLICY,
    A_MIGRATE_POLICY_TYPE,
    A_MIGRATE_PROTO,
    A_MIGRATE_REQID_MAX,
    A_MIGRATE_REQID_MIN,
    A_POLICY_DIR,
    A_POLICY_DST,
    A_POLICY_DST_LEN,
    A_POLICY_ENTRY,
    A_POLICY_FAMILY,
    A_POLICY_INDEX,
    A_POLICY_POLICY_TYPE,
    A_POLICY_PRIORITY,
    A_POLICY_PROTO,
    A_POLICY_SRC,
    A_POLICY_SRC_LEN,
    CMD_MIGRATE,
    CMD_PLAN,
    CMD_STATS_GET,
    FAMILY_ENTRY,
    FAMILY_MIGRATE,
    FAMILY_POLICY,
    FAMILY_STATS,
    MODE,
    POLICY_TYPE, //
};
use crate::spec::{
    Enum,
    FamilySpec, //
};
use crate::xfrm::args;
use crate::xfrm::names::{
    ntop6,
    Host,
    System, //
};
use crate::xfrm::text::{
    self,
    DIRS, //
};

/// What follows `rv6 xfrm bulk migrate` in the help.
pub const MIGRATE_SYNOPSIS: &str = "ADDR to ADDR [ peer ADDR to ADDR ] [ FILTER ... ] \
                                    [ kmaddress LOCAL REMOTE ] [ dry-run ]";
/// What follows `rv6 xfrm bulk plan` in the help.
pub const PLAN_SYNOPSIS: &str = "ADDR to ADDR [ peer ADDR to ADDR ] [ FILTER ... ]";

/// The help's definition of FILTER: what selects the policies and
/// templates that move.
pub static FILTER: Enum = Enum {
    meta: "FILTER",
    start: 0,
    entries: &[
        "dir DIR [ DIR ... ]",
        "ptype PTYPE",
        "reqid MIN[-MAX]",
        "mark MARK [ mask MASK ]",
        "if_id IF_ID",
        "proto TMPL-PROTO",
        "mode TMPL-MODE",
    ],
};

/// The protocols of the templates that hold endpoints, by `ip xfrm`'s
/// names.
pub static TMPL_PROTO: Enum = Enum {
    meta: "TMPL-PROTO",
    start: 0,
    entries: &["esp", "ah", "comp"],
};

/// Their IP protocol numbers, in [`TMPL_PROTO`]'s order.
const TMPL_PROTO_NUMBERS: [u8; 3] = [50, 51, 108];

/// The spec's `mode` enum (XFRM_MODE_*) in `ip xfrm`'s spelling
/// (`in_trigger`), for the grammar and the text.
pub static TMPL_MODE: Enum = Enum {
    meta: "TMPL-MODE",
    start: 0,
    entries: &["transport", "tunnel", "ro", "in_trigger", "beet", "iptfs"],
};

/// The selection and the moves of `bulk migrate` and `bulk plan`, as
/// given: what is not given is not sent, and the kernel takes every
/// direction, type, reqid, mark, interface, protocol and mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The local address that moved, and where to.
    pub local: (IpAddr, IpAddr),
    /// The peer's (both ends of the templates moving at once).
    pub peer: Option<(IpAddr, IpAddr)>,
    /// The directions, a bit each (`1 << XFRM_POLICY_*`).
    pub dirs: Option<u32>,
    /// XFRM_POLICY_TYPE_*.
    pub ptype: Option<u32>,
    /// The lowest and highest reqid.
    pub reqid: Option<(u32, u32)>,
    /// The mark's value, and its mask if given (else the kernel's, all
    /// bits).
    pub mark: Option<(u32, Option<u32>)>,
    /// The policies' XFRM interface id.
    pub if_id: Option<u32>,
    /// The templates' IP protocol.
    pub proto: Option<u8>,
    /// XFRM_MODE_*.
    pub mode: Option<u32>,
    /// The key manager's local and remote addresses, announced with each
    /// policy's move (`migrate` only).
    pub kmaddress: Option<(IpAddr, IpAddr)>,
    /// Count what would move, move nothing (`migrate` only).
    pub dry_run: bool,
}

/// `bulk migrate`: the `migrate` do request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migrate(pub Request);

/// `bulk plan`: the `plan` dump.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan(pub Request);

/// `bulk stats`: the `stats-get` do request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stats;

/// The keywords of `bulk plan`, and with `migrate`'s two more.
const PLAN_WORDS: &[&str] = &[
    "peer", "dir", "ptype", "reqid", "mark", "if_id", "proto", "mode",
];
const MIGRATE_WORDS: &[&str] = &[
    "peer",
    "dir",
    "ptype",
    "reqid",
    "mark",
    "if_id",
    "proto",
    "mode",
    "kmaddress",
    "dry-run",
];

/// iproute2's `invarg()`: `arg` is wrong, `why`.
fn wrong<T>(arg: &str, why: impl Into<String>) -> Result<T, UsageError> {
    Err(UsageError::Wrong {
        arg: arg.to_string(),
        why: why.into(),
    })
}

/// The words after `bulk migrate`.
pub fn parse_migrate(args: &mut Args) -> Result<Box<dyn Action>, UsageError> {
    Ok(Box::new(Migrate(Request::parse(args, MIGRATE_WORDS)?)))
}

/// The words after `bulk plan`.
pub fn parse_plan(args: &mut Args) -> Result<Box<dyn Action>, UsageError> {
    Ok(Box::new(Plan(Request::parse(args, PLAN_WORDS)?)))
}

/// `bulk stats` takes no arguments.
pub fn parse_stats(args: &mut Args) -> Result<Box<dyn Action>, UsageError> {
    args.finish("\"rv6 xfrm bulk stats\" takes no arguments")?;
    Ok(Box::new(Stats))
}

impl Request {
    /// The words of a command taking the keywords `words`, in any order.
    pub fn parse(args: &mut Args, words: &[&'static str]) -> Result<Self, UsageError> {
        let mut r = Request {
            local: (Ipv6Addr::UNSPECIFIED.into(), Ipv6Addr::UNSPECIFIED.into()),
            peer: None,
            dirs: None,
            ptype: None,
            reqid: None,
            mark: None,
            if_id: None,
            proto: None,
            mode: None,
            kmaddress: None,
            dry_run: false,
        };
        let mut local = None;
        let mut seen: Vec<&'static str> = Vec::new();
        while let Some(arg) = args.next() {
            let Some(kw) = keyword(&arg, words)? else {
                let Ok(old) = arg.parse::<IpAddr>() else {
                    return wrong(
                        &arg,
                        format!("expected \"ADDR to ADDR\" or one of {}", words.join(", ")),
                    );
                };
                if local.is_some() {
                    return Err(UsageError::Duplicate {
                        keyword: "ADDR to ADDR",
                        arg,
                    });
                }
                local = Some(move_to(args, old, &arg)?);
                continue;
            };
            if kw == "dir" {
                r.dirs = Some(dirs(args, &arg, r.dirs.unwrap_or(0))?);
                continue;
            }
            if seen.contains(&kw) {
                // The second value, or the flag itself.
                let value = match kw {
                    "dry-run" => arg,
                    _ => args.peek().unwrap_or_default().to_string(),
                };
                return Err(UsageError::Duplicate {
                    keyword: kw,
                    arg: value,
                });
            }
            seen.push(kw);
            match kw {
                "peer" => {
                    let old = args.value(&arg, "ADDR to ADDR")?;
                    let addr = args::address(&old, "ADDR")?;
                    r.peer = Some(move_to(args, addr, &old)?);
                }
                "ptype" => r.ptype = Some(args::ptype(&args.value(&arg, "a PTYPE")?)?.into()),
                "reqid" => r.reqid = Some(reqids(&args.value(&arg, "MIN[-MAX]")?)?),
                "mark" => {
                    let value = args::number(&args.value(&arg, "a MARK")?, "MARK")?;
                    let mut mask = None;
                    if args.peek() == Some("mask") {
                        args.next();
                        mask = Some(args::number(&args.value("mask", "a MASK")?, "MASK")?);
                    }
                    r.mark = Some((value, mask));
                }
                "if_id" => r.if_id = Some(args::number(&args.value(&arg, "an IF_ID")?, "IF_ID")?),
                "proto" => {
                    let p = TMPL_PROTO.parse(&args.value(&arg, "a TMPL-PROTO")?)?;
                    r.proto = Some(TMPL_PROTO_NUMBERS[p as usize]);
                }
                "mode" => r.mode = Some(TMPL_MODE.parse(&args.value(&arg, "a TMPL-MODE")?)?),
                "kmaddress" => r.kmaddress = Some(args::kmaddress(args, &arg)?),
                _ => r.dry_run = true,
            }
        }
        r.local = local.ok_or(UsageError::Missing {
            keyword: "ADDR to ADDR",
        })?;
        Ok(r)
    }
}

/// `to ADDR` after the address `old` (spelt `old_arg`): the move, both
/// ends of one family.
fn move_to(args: &mut Args, old: IpAddr, old_arg: &str) -> Result<(IpAddr, IpAddr), UsageError> {
    let Some(to) = args.next() else {
        return Err(UsageError::Incomplete {
            keyword: old_arg.to_string(),
            meta: "\"to ADDR\"".to_string(),
        });
    };
    if keyword(&to, &["to"])?.is_none() {
        return wrong(&to, format!("expected \"to ADDR\" after \"{old_arg}\""));
    }
    let new_arg = args.value(&to, "an ADDR")?;
    let new = args::address(&new_arg, "ADDR")?;
    if old.is_ipv4() != new.is_ipv4() {
        return wrong(
            &new_arg,
            format!("\"{old_arg}\" and \"{new_arg}\" are not of one address family"),
        );
    }
    Ok((old, new))
}

/// `DIR [ DIR ... ]` after `dir` (spelt `arg`): the directions added to
/// `dirs`, each once.
fn dirs(args: &mut Args, arg: &str, mut dirs: u32) -> Result<u32, UsageError> {
    let mut value = args.value(arg, "a DIR")?;
    loop {
        let bit = 1 << args::dir(&value)?;
        if dirs & bit != 0 {
            return Err(UsageError::Duplicate {
                keyword: "dir",
                arg: value,
            });
        }
        dirs |= bit;
        match args.peek() {
            Some(next) if DIRS.contains(&next) => value = args.next().unwrap_or_default(),
            _ => return Ok(dirs),
        }
    }
}

/// `MIN[-MAX]`: one reqid, or a range whose MIN is not above its MAX.
fn reqids(arg: &str) -> Result<(u32, u32), UsageError> {
    let (min, max) = match arg.split_once('-') {
        Some((min, max)) => (args::number(min, "MIN")?, args::number(max, "MAX")?),
        None => {
            let r = args::number(arg, "MIN")?;
            (r, r)
        }
    };
    if min > max {
        return wrong(arg, "MIN must not be above MAX");
    }
    Ok((min, max))
}

/// An address attribute: its 4 or 16 bytes.
fn addr_attr(id: u16, a: &IpAddr) -> Result<Nlattr<u16, Buffer>, Error> {
    match a {
        IpAddr::V4(a) => attr(id, a.octets()),
        IpAddr::V6(a) => attr(id, a.octets()),
    }
}

impl Request {
    /// The request's attributes, in the spec's order: `migrate`'s and
    /// `plan`'s are the same.
    pub fn attrs(&self) -> Result<Attrs, Error> {
        let mut attrs = vec![
            addr_attr(A_MIGRATE_OLD_LOCAL, &self.local.0)?,
            addr_attr(A_MIGRATE_NEW_LOCAL, &self.local.1)?,
        ];
        if let Some((old, new)) = &self.peer {
            attrs.push(addr_attr(A_MIGRATE_OLD_PEER, old)?);
            attrs.push(addr_attr(A_MIGRATE_NEW_PEER, new)?);
        }
        let reqid = self.reqid.map(|(min, max)| [min, max]);
        let (mark, mask) = match self.mark {
            Some((value, mask)) => (Some(value), mask),
            None => (None, None),
        };
        for (id, value) in [
            (A_MIGRATE_DIRS, self.dirs),
            (A_MIGRATE_POLICY_TYPE, self.ptype),
            (A_MIGRATE_REQID_MIN, reqid.map(|r| r[0])),
            (A_MIGRATE_REQID_MAX, reqid.map(|r| r[1])),
            (A_MIGRATE_MARK, mark),
            (A_MIGRATE_MARK_MASK, mask),
            (A_MIGRATE_IF_ID, self.if_id),
        ] {
            if let Some(v) = value {
                attrs.push(attr(id, v)?);
            }
        }
        if let Some(p) = self.proto {
            attrs.push(attr(A_MIGRATE_PROTO, p)?);
        }
        if let Some(m) = self.mode {
            attrs.push(attr(A_MIGRATE_MODE, m)?);
        }
        if let Some((local, remote)) = &self.kmaddress {
            attrs.push(addr_attr(A_MIGRATE_KMADDRESS_LOCAL, local)?);
            attrs.push(addr_attr(A_MIGRATE_KMADDRESS_REMOTE, remote)?);
        }
        if self.dry_run {
            attrs.push(attr(A_MIGRATE_DRY_RUN, ())?);
        }
        Ok(attrs.into_iter().collect())
    }
}

/// The first reply of a do request, read by `set`, as one object.
fn object(replies: &[Message], set: &'static FamilySpec) -> Result<Output, Error> {
    let reply = replies
        .first()
        .ok_or_else(|| netlink(format!("{}: no reply", set.name)))?;
    Ok(Output::Object(genl::decode(reply, set)?))
}

impl Action for Migrate {
    /// The `migrate` do request; its reply, one object.
    fn run(&self, sockets: &mut Sockets) -> Result<Output, Error> {
        let nl = sockets.genl()?;
        let family = nl.resolve(&FAMILY_MIGRATE)?;
        let replies = nl.request(&family, CMD_MIGRATE, self.0.attrs()?)?;
        object(&replies, &FAMILY_MIGRATE)
    }
}

impl Action for Plan {
    /// The `plan` dump; a block (a JSON object) per policy.
    fn run(&self, sockets: &mut Sockets) -> Result<Output, Error> {
        let nl = sockets.genl()?;
        let family = nl.resolve(&FAMILY_MIGRATE)?;
        let replies = nl.dump(&family, CMD_PLAN, self.0.attrs()?)?;
        let policies = replies
            .iter()
            .map(Planned::from_reply)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(plan_output(
            &policies.into_iter().flatten().collect::<Vec<_>>(),
            &System::new(),
        ))
    }
}

impl Action for Stats {
    /// The `stats-get` do request; its reply, one object.
    fn run(&self, sockets: &mut Sockets) -> Result<Output, Error> {
        let nl = sockets.genl()?;
        let family = nl.resolve(&FAMILY_STATS)?;
        let replies = nl.request(&family, CMD_STATS_GET, Attrs::new())?;
        object(&replies, &FAMILY_STATS)
    }
}

/// One template move of a plan (a `policy`'s `entry`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedEntry {
    /// The template's IPsec protocol (IPPROTO_ESP, _AH, _COMP).
    pub proto: u8,
    /// XFRM_MODE_*.
    pub mode: u32,
    /// The template's reqid, which finds its SA.
    pub reqid: u32,
    /// The template's (and SA's) endpoints now.
    pub old_src: IpAddr,
    pub old_dst: IpAddr,
    /// Its endpoints once moved.
    pub new_src: IpAddr,
    pub new_dst: IpAddr,
}

/// One policy of a plan (a reply's `policy` nest).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    /// The policy's index, as `ip xfrm policy` shows it.
    pub index: u32,
    /// XFRM_POLICY_IN, _OUT, _FWD.
    pub dir: u8,
    /// XFRM_POLICY_TYPE_*.
    pub ptype: u32,
    /// The policy's priority.
    pub priority: u32,
    /// The selector's AF_INET or AF_INET6.
    pub family: u16,
    /// The selector's source prefix and its length.
    pub src: IpAddr,
    pub src_len: u8,
    /// The selector's destination prefix and its length.
    pub dst: IpAddr,
    pub dst_len: u8,
    /// The selector's upper-layer protocol, 0 for any.
    pub proto: u8,
    /// The template moves, in template order.
    pub entries: Vec<PlannedEntry>,
}

/// An attribute's payload of the size `N` of its type.
fn fixed<const N: usize>(set: &FamilySpec, id: u16, bytes: &[u8]) -> Result<[u8; N], Error> {
    bytes.try_into().map_err(|_| {
        netlink(format!(
            "attribute {} has {} bytes, expected {N}",
            set.attr_name(id),
            bytes.len()
        ))
    })
}

/// An address attribute: 4 bytes for IPv4, 16 for IPv6.
fn address(set: &FamilySpec, id: u16, bytes: &[u8]) -> Result<IpAddr, Error> {
    match bytes.len() {
        4 => Ok(Ipv4Addr::from(fixed::<4>(set, id, bytes)?).into()),
        16 => Ok(Ipv6Addr::from(fixed::<16>(set, id, bytes)?).into()),
        n => Err(netlink(format!(
            "attribute {} has {n} bytes, expected 4 or 16",
            set.attr_name(id)
        ))),
    }
}

/// The attributes nested in `a`.
fn nested(a: &Nlattr<u16, Buffer>) -> Result<Vec<Nlattr<u16, Buffer>>, Error> {
    Ok(a.get_attr_handle::<u16>()
        .map_err(netlink)?
        .get_attrs()
        .to_vec())
}

/// The value of attribute `id` of `set`, which the kernel always sends.
fn required<T>(value: Option<T>, set: &FamilySpec, id: u16) -> Result<T, Error> {
    value.ok_or_else(|| netlink(format!("no attribute {} in a plan", set.attr_name(id))))
}

impl PlannedEntry {
    /// An `entry` nest's attributes; those the spec lacks are skipped.
    pub fn parse(attrs: &[Nlattr<u16, Buffer>]) -> Result<Self, Error> {
        let set = &FAMILY_ENTRY;
        let (mut proto, mut mode, mut reqid) = (None, None, None);
        let mut addrs: [Option<IpAddr>; 4] = [None; 4];
        for a in attrs {
            let id = *a.nla_type().nla_type();
            let bytes = a.nla_payload().as_ref();
            match id {
                A_ENTRY_PROTO => proto = Some(fixed::<1>(set, id, bytes)?[0]),
                A_ENTRY_MODE => mode = Some(u32::from_ne_bytes(fixed(set, id, bytes)?)),
                A_ENTRY_REQID => reqid = Some(u32::from_ne_bytes(fixed(set, id, bytes)?)),
                A_ENTRY_OLD_SRC | A_ENTRY_OLD_DST | A_ENTRY_NEW_SRC | A_ENTRY_NEW_DST => {
                    addrs[usize::from(id - A_ENTRY_OLD_SRC)] = Some(address(set, id, bytes)?)
                }
                _ => {}
            }
        }
        let addr = |id: u16| required(addrs[usize::from(id - A_ENTRY_OLD_SRC)], set, id);
        Ok(PlannedEntry {
            proto: required(proto, set, A_ENTRY_PROTO)?,
            mode: required(mode, set, A_ENTRY_MODE)?,
            reqid: required(reqid, set, A_ENTRY_REQID)?,
            old_src: addr(A_ENTRY_OLD_SRC)?,
            old_dst: addr(A_ENTRY_OLD_DST)?,
            new_src: addr(A_ENTRY_NEW_SRC)?,
            new_dst: addr(A_ENTRY_NEW_DST)?,
        })
    }
}

impl Planned {
    /// The policies of one reply of the `plan` dump (one each, as the
    /// module sends them).
    pub fn from_reply(reply: &Message) -> Result<Vec<Self>, Error> {
        reply
            .attrs()
            .iter()
            .filter(|a| *a.nla_type().nla_type() == A_MIGRATE_POLICY)
            .map(|a| Planned::parse(&nested(a)?))
            .collect()
    }

    /// A `policy` nest's attributes; those the spec lacks are skipped.
    pub fn parse(attrs: &[Nlattr<u16, Buffer>]) -> Result<Self, Error> {
        let set = &FAMILY_POLICY;
        let u32_of = |id, bytes| fixed(set, id, bytes).map(u32::from_ne_bytes);
        let u8_of = |id, bytes| fixed::<1>(set, id, bytes).map(|b| b[0]);
        let (mut index, mut dir, mut ptype, mut priority, mut family) =
            (None, None, None, None, None);
        let (mut src, mut src_len, mut dst, mut dst_len, mut proto) =
            (None, None, None, None, None);
        let mut entries = Vec::new();
        for a in attrs {
            let id = *a.nla_type().nla_type();
            let bytes = a.nla_payload().as_ref();
            match id {
                A_POLICY_INDEX => index = Some(u32_of(id, bytes)?),
                A_POLICY_DIR => dir = Some(u8_of(id, bytes)?),
                A_POLICY_POLICY_TYPE => ptype = Some(u32_of(id, bytes)?),
                A_POLICY_PRIORITY => priority = Some(u32_of(id, bytes)?),
                A_POLICY_FAMILY => family = Some(u16::from_ne_bytes(fixed(set, id, bytes)?)),
                A_POLICY_SRC => src = Some(address(set, id, bytes)?),
                A_POLICY_SRC_LEN => src_len = Some(u8_of(id, bytes)?),
                A_POLICY_DST => dst = Some(address(set, id, bytes)?),
                A_POLICY_DST_LEN => dst_len = Some(u8_of(id, bytes)?),
                A_POLICY_PROTO => proto = Some(u8_of(id, bytes)?),
                A_POLICY_ENTRY => entries.push(PlannedEntry::parse(&nested(a)?)?),
                _ => {}
            }
        }
        Ok(Planned {
            index: required(index, set, A_POLICY_INDEX)?,
            dir: required(dir, set, A_POLICY_DIR)?,
            ptype: required(ptype, set, A_POLICY_POLICY_TYPE)?,
            priority: required(priority, set, A_POLICY_PRIORITY)?,
            family: required(family, set, A_POLICY_FAMILY)?,
            src: required(src, set, A_POLICY_SRC)?,
            src_len: required(src_len, set, A_POLICY_SRC_LEN)?,
            dst: required(dst, set, A_POLICY_DST)?,
            dst_len: required(dst_len, set, A_POLICY_DST_LEN)?,
            proto: required(proto, set, A_POLICY_PROTO)?,
            entries,
        })
    }
}

/// An address as `ip xfrm` prints it (glibc's `inet_ntop()`).
fn ip_text(a: &IpAddr) -> String {
    match a {
        IpAddr::V4(a) => a.to_string(),
        IpAddr::V6(a) => ntop6(&a.octets()),
    }
}

/// The name of `v` in `e`, or its number.
fn entry_name(e: &Enum, v: u32) -> String {
    e.name(v).map_or_else(|| v.to_string(), str::to_string)
}

impl Planned {
    /// The policy in `ip xfrm policy`'s words, then a tab-indented line per
    /// template move; protocol names from `host`.
    pub fn text(&self, host: &dyn Host) -> String {
        let mut s = format!(
            "src {}/{} dst {}/{} ",
            ip_text(&self.src),
            self.src_len,
            ip_text(&self.dst),
            self.dst_len
        );
        if self.proto != 0 {
            let name = host.protocol(self.proto);
            s += &format!("proto {} ", name.unwrap_or_else(|| self.proto.to_string()));
        }
        let dir = DIRS
            .get(usize::from(self.dir))
            .map_or_else(|| self.dir.to_string(), |d| d.to_string());
        s += &format!(
            "dir {dir} ptype {} index {} priority {}",
            entry_name(&POLICY_TYPE, self.ptype),
            self.index,
            self.priority
        );
        for e in &self.entries {
            s += &format!(
                "\n\told src {} dst {} proto {} mode {} reqid {} new src {} dst {}",
                ip_text(&e.old_src),
                ip_text(&e.old_dst),
                text::xfrm_proto(e.proto),
                entry_name(&TMPL_MODE, e.mode),
                e.reqid,
                ip_text(&e.new_src),
                ip_text(&e.new_dst)
            );
        }
        s
    }

    /// The policy as YNL reads it: the attributes under their spec names,
    /// in spec order, addresses as strings, enums by their entries' names.
    pub fn record(&self) -> Record {
        let key = |set: &'static FamilySpec, id| set.attr(id).map_or("?", |a| a.name);
        let ip = |a: &IpAddr| Value::Str(a.to_string());
        let name = |e: &Enum, v| Value::Str(entry_name(e, v));
        let p = &FAMILY_POLICY;
        let mut r = Record::default();
        r.push(key(p, A_POLICY_INDEX), Value::U64(self.index.into()));
        r.push(key(p, A_POLICY_DIR), Value::U64(self.dir.into()));
        r.push(key(p, A_POLICY_POLICY_TYPE), name(&POLICY_TYPE, self.ptype));
        r.push(key(p, A_POLICY_PRIORITY), Value::U64(self.priority.into()));
        r.push(key(p, A_POLICY_FAMILY), Value::U64(self.family.into()));
        r.push(key(p, A_POLICY_SRC), ip(&self.src));
        r.push(key(p, A_POLICY_SRC_LEN), Value::U64(self.src_len.into()));
        r.push(key(p, A_POLICY_DST), ip(&self.dst));
        r.push(key(p, A_POLICY_DST_LEN), Value::U64(self.dst_len.into()));
        r.push(key(p, A_POLICY_PROTO), Value::U64(self.proto.into()));
        if !self.entries.is_empty() {
            let e = &FAMILY_ENTRY;
            let entries = self
                .entries
                .iter()
                .map(|x| {
                    let mut r = Record::default();
                    r.push(key(e, A_ENTRY_PROTO), Value::U64(x.proto.into()));
                    r.push(key(e, A_ENTRY_MODE), name(&MODE, x.mode));
                    r.push(key(e, A_ENTRY_REQID), Value::U64(x.reqid.into()));
                    r.push(key(e, A_ENTRY_OLD_SRC), ip(&x.old_src));
                    r.push(key(e, A_ENTRY_OLD_DST), ip(&x.old_dst));
                    r.push(key(e, A_ENTRY_NEW_SRC), ip(&x.new_src));
                    r.push(key(e, A_ENTRY_NEW_DST), ip(&x.new_dst));
                    r
                })
                .collect();
            r.push(key(p, A_POLICY_ENTRY), Value::List(entries));
        }
        r
    }
}

/// A plan as text blocks and JSON records, one per policy.
pub fn plan_output(policies: &[Planned], host: &dyn Host) -> Output {
    Output::Worded {
        records: policies.iter().map(Planned::record).collect(),
        lines: policies.iter().map(|p| p.text(host)).collect(),
    }
}

#[cfg(test)]
mod tests;
