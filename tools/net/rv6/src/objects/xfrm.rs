//! `rv6 xfrm`: moving IPsec SAs and the templates of their policy to new
//! addresses (XFRM MIGRATE, the key manager's side of Mobile IPv6, MOBIKE
//! and Shim6 locator changes), over XFRM netlink and over PF_KEY, and the
//! monitors of both. The kernel's own interfaces, no rv6 module needed (but
//! for `bulk`):
//!
//! ```text
//! rv6 xfrm migrate SELECTOR dir DIR [ ptype PTYPE ] MIGRATE-ENTRY...
//!         [ kmaddress LOCAL REMOTE ] [ encap ENCAP-TYPE SPORT DPORT OADDR ]
//!         [ if_id IF_ID ]                             XFRM_MSG_MIGRATE
//! rv6 xfrm migrate-state dst ADDR proto XFRM-PROTO spi SPI [ mark ... ]
//!         new src ADDR dst ADDR [ reqid REQID ] ...   XFRM_MSG_MIGRATE_STATE
//! rv6 xfrm monitor [ nokeys ] [ file FILE ] [ all | OBJECT ... ]
//! rv6 xfrm pfkey migrate SELECTOR dir DIR MIGRATE-ENTRY...
//!         [ kmaddress LOCAL REMOTE ]                  SADB_X_MIGRATE
//! rv6 xfrm pfkey monitor [ file FILE ]
//! rv6 xfrm bulk { stats | migrate ... | plan ... }   the rv6-migrate family
//! ```
//!
//! `bulk` is not the kernel's own: it drives the rv6_xfrm_migrate module,
//! which moves every policy of an address in one request (see [`bulk`]).
//!
//! The grammar is `ip xfrm`'s (its SELECTOR, XFRM-PROTO, MODE, `mark MARK
//! [ mask MASK ]`, `encap`, `if_id`, `ptype`), a MIGRATE-ENTRY `old src
//! ADDR dst ADDR proto XFRM-PROTO mode MODE [ reqid REQID ] new src ADDR
//! dst ADDR` (at most XFRM_MAX_DEPTH, 6, of them). Everything is checked
//! before the namespace and sockets are opened (exit 2); the kernel's
//! refusals exit 1 with its extended ack.
//!
//! XFRM_MSG_MIGRATE_STATE takes its struct's fields as they are: the new
//! reqid and selector are not "unchanged" when zero. So when `reqid` or
//! `sel` is not given, this command reads the SA first (XFRM_MSG_GETSA)
//! and sends its current ones. Its attributes are the other way round:
//! left out, the new SA inherits the old one's (mark, output mark,
//! encapsulation, offload unless `flag clear-offload`, mapping max age,
//! NAT keepalive interval); `encap none` removes the encapsulation.

use std::io::Write;
use std::net::IpAddr;

use netlink_packet_xfrm::{
    state::DelGetMessage,
    Address,
    EncapTmpl,
    Mark,
    Selector,
    UserKmAddress,
    UserMigrate,
    UserOffloadDev,
    UserPolicyId,
    UserPolicyType,
    UserSaId,
    UserSaInfo,
    XfrmAttrs,
    XfrmMessage,
    AF_INET,
    AF_INET6,
    XFRMA_MTIMER_THRESH,
    XFRM_USER_POLICY_ID_LEN,
    XFRM_USER_SA_ID_LEN, //
};

use crate::cli::{
    keyword,
    Args,
    UsageError, //
};
use crate::error::Error;
use crate::genl::KernelError;
use crate::objects::{
    Action,
    Command,
    Listener,
    Object, //
};
use crate::output::{
    Format,
    Output, //
};
use crate::sockets::Sockets;
use crate::spec::Enum;
use crate::xfrm::args::{
    self,
    EntryArgs,
    SelectorArgs,
    PFKEY_SELECTOR,
    SELECTOR, //
};
use crate::xfrm::monitor::{
    self,
    Source,
    GROUPS, //
};
use crate::xfrm::names::System;
use crate::xfrm::pfkey::{
    self,
    Ext,
    IpsecRequest,
    Message,
    Policy,
    EXT_ADDRESS_DST,
    EXT_ADDRESS_SRC,
    IPSEC_LEVEL_REQUIRE,
    IPSEC_LEVEL_UNIQUE,
    IPSEC_POLICY_IPSEC,
    IPSEC_PROTO_ANY,
    SADB_X_MIGRATE, //
};
use crate::xfrm::socket::{
    PfKeySocket,
    XfrmSocket, //
};
use crate::xfrm::text::MODES;
use crate::xfrm::wire::{
    u32_attr,
    Migrate as MigrateMsg,
    MigrateState as MigrateStateMsg,
    UserMigrateState,
    XfrmMsg,
    XFRMA_NAT_KEEPALIVE_INTERVAL,
    XFRM_MIGRATE_STATE_CLEAR_OFFLOAD,
    XFRM_MIGRATE_STATE_UPDATE_H2H_SEL,
    XFRM_USER_MIGRATE_STATE_LEN, //
};

pub static OBJECT: Object = Object {
    name: "xfrm",
    summary: "IPsec SA and policy migration (XFRM MIGRATE, PF_KEY) and XFRM events",
    commands: &[
        Command {
            name: "migrate",
            synopsis: "SELECTOR dir DIR [ ptype PTYPE ] MIGRATE-ENTRY [ MIGRATE-ENTRY ... ] \
                       [ kmaddress LOCAL REMOTE ] [ encap ENCAP-TYPE SPORT DPORT OADDR ] \
                       [ if_id IF_ID ]",
            parse: parse_migrate,
        },
        Command {
            name: "migrate-state",
            synopsis: "dst ADDR proto XFRM-PROTO spi SPI [ mark MARK [ mask MASK ] ] \
                       new src ADDR dst ADDR [ reqid REQID ] [ flag FLAG [ FLAG ] ] \
                       [ new-mark MARK [ mask MASK ] ] [ output-mark MARK [ mask MASK ] ] \
                       [ encap { ENCAP-TYPE SPORT DPORT OADDR | none } ] \
                       [ offload [ crypto | packet ] dev DEV dir { in | out } ] \
                       [ mapping-maxage SECONDS ] [ nat-keepalive-interval SECONDS ] \
                       [ sel SELECTOR ]",
            parse: parse_migrate_state,
        },
        Command {
            name: "monitor",
            synopsis: "[ nokeys ] [ file FILE ] [ all | GROUP ... ]",
            parse: parse_monitor,
        },
        Command {
            name: "pfkey migrate",
            synopsis:
                "src ADDR[/PLEN] dst ADDR[/PLEN] [ proto PROTO [ sport PORT ] [ dport PORT ] ] \
                       dir DIR MIGRATE-ENTRY [ MIGRATE-ENTRY ... ] [ kmaddress LOCAL REMOTE ]",
            parse: parse_pfkey_migrate,
        },
        Command {
            name: "pfkey monitor",
            synopsis: "[ file FILE ]",
            parse: parse_pfkey_monitor,
        },
        Command {
            name: "bulk stats",
            synopsis: "",
            parse: bulk::parse_stats,
        },
        Command {
            name: "bulk migrate",
            synopsis: bulk::MIGRATE_SYNOPSIS,
            parse: bulk::parse_migrate,
        },
        Command {
            name: "bulk plan",
            synopsis: bulk::PLAN_SYNOPSIS,
            parse: bulk::parse_plan,
        },
    ],
    default_command: "monitor",
    enums: &[
        &SELECTOR_SYNTAX,
        &UPSPEC,
        &MIGRATE_ENTRY,
        &DIR,
        &PTYPE,
        &XFRM_PROTO,
        &MODE,
        &ENCAP_TYPE,
        &FLAG,
        &MONITOR_OBJECT,
        &bulk::FILTER,
        &bulk::TMPL_PROTO,
        &bulk::TMPL_MODE,
    ],
};

// The help's definitions. A one-entry table defines a placeholder as a
// group of words ("SELECTOR := { ... }"); the others are choices.
static SELECTOR_SYNTAX: Enum = Enum {
    meta: "SELECTOR",
    start: 0,
    entries: &["[ src ADDR[/PLEN] ] [ dst ADDR[/PLEN] ] [ dev DEV ] [ UPSPEC ]"],
};
static UPSPEC: Enum = Enum {
    meta: "UPSPEC",
    start: 0,
    entries: &[
        "proto PROTO [ sport PORT ] [ dport PORT ]",
        "proto PROTO [ type NUMBER ] [ code NUMBER ]",
        "proto gre key KEY",
    ],
};
static MIGRATE_ENTRY: Enum = Enum {
    meta: "MIGRATE-ENTRY",
    start: 0,
    entries: &[
        "old src ADDR dst ADDR proto XFRM-PROTO mode MODE [ reqid REQID ] new src ADDR dst ADDR",
    ],
};
static DIR: Enum = Enum {
    meta: "DIR",
    start: 0,
    entries: &["in", "out", "fwd"],
};
static PTYPE: Enum = Enum {
    meta: "PTYPE",
    start: 0,
    entries: &["main", "sub"],
};
static XFRM_PROTO: Enum = Enum {
    meta: "XFRM-PROTO",
    start: 0,
    entries: &["esp", "ah", "comp", "route2", "hao"],
};
static MODE: Enum = Enum {
    meta: "MODE",
    start: 0,
    entries: &["transport", "tunnel", "ro", "in_trigger", "beet"],
};
static ENCAP_TYPE: Enum = Enum {
    meta: "ENCAP-TYPE",
    start: 0,
    entries: &["espinudp", "espinudp-nonike", "espintcp"],
};
static FLAG: Enum = Enum {
    meta: "FLAG",
    start: 0,
    entries: &["clear-offload", "update-h2h-sel"],
};
static MONITOR_OBJECT: Enum = Enum {
    meta: "GROUP",
    start: 0,
    entries: &[
        "acquire", "expire", "SA", "policy", "aevent", "report", "migrate", "mapping",
    ],
};

/// The modes PF_KEY can name (IPSEC_MODE_*; `pfkey_mode_from_xfrm()`).
const PFKEY_MODES: &[&str] = &["transport", "tunnel", "beet"];

fn wrong<T>(arg: &str, why: impl Into<String>) -> Result<T, UsageError> {
    Err(UsageError::Wrong {
        arg: arg.to_string(),
        why: why.into(),
    })
}

/// The next word as one of `words`; a word that is none of them is wrong.
fn next_keyword(
    args: &mut Args,
    words: &[&'static str],
) -> Result<Option<(&'static str, String)>, UsageError> {
    let Some(arg) = args.next() else {
        return Ok(None);
    };
    match keyword(&arg, words)? {
        Some(kw) => Ok(Some((kw, arg))),
        None => wrong(&arg, format!("expected one of {}", words.join(", "))),
    }
}

/// Refuses a keyword given twice.
fn once(seen: &mut Vec<&'static str>, kw: &'static str, arg: &str) -> Result<(), UsageError> {
    if seen.contains(&kw) {
        return Err(UsageError::Duplicate {
            keyword: kw,
            arg: arg.to_string(),
        });
    }
    seen.push(kw);
    Ok(())
}

/// `rv6 xfrm migrate`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migrate {
    pub sel: SelectorArgs,
    pub dir: u8,
    pub ptype: Option<u8>,
    pub entries: Vec<EntryArgs>,
    pub kmaddress: Option<(IpAddr, IpAddr)>,
    /// Type, source and destination port, original address.
    pub encap: Option<(u16, u16, u16, IpAddr)>,
    pub if_id: Option<u32>,
}

const MIGRATE_WORDS: &[&str] = &[
    "src",
    "dst",
    "dev",
    "proto",
    "sport",
    "dport",
    "type",
    "code",
    "key",
    "dir",
    "ptype",
    "old",
    "kmaddress",
    "encap",
    "if_id",
];

fn parse_migrate(args: &mut Args) -> Result<Box<dyn Action>, UsageError> {
    Ok(Box::new(Migrate::parse(args)?))
}

impl Migrate {
    /// The words after `migrate`.
    pub fn parse(args: &mut Args) -> Result<Self, UsageError> {
        let mut sel = SelectorArgs::default();
        let (mut dir, mut ptype, mut kmaddress, mut encap, mut if_id) =
            (None, None, None, None, None);
        let mut entries = Vec::new();
        let mut seen = Vec::new();
        while let Some((kw, arg)) = next_keyword(args, MIGRATE_WORDS)? {
            if SELECTOR.contains(&kw) {
                sel.word(kw, &arg, args)?;
                continue;
            }
            if kw == "old" {
                args::push_entry(&mut entries, args, MODES)?;
                continue;
            }
            let value = args.peek().unwrap_or_default().to_string();
            once(&mut seen, kw, &value)?;
            match kw {
                "dir" => dir = Some(args::dir(&args.value(&arg, "a DIR")?)?),
                "ptype" => ptype = Some(args::ptype(&args.value(&arg, "a PTYPE")?)?),
                "kmaddress" => kmaddress = Some(args::kmaddress(args, &arg)?),
                "encap" => encap = Some(args::encap(args, &arg)?),
                _ => if_id = Some(args::number(&args.value(&arg, "an IF_ID")?, "IF_ID")?),
            }
        }
        sel.check()?;
        if sel.src.is_none() && sel.dst.is_none() {
            return Err(UsageError::Missing { keyword: "src" });
        }
        let dir = dir.ok_or(UsageError::Missing { keyword: "dir" })?;
        if entries.is_empty() {
            return Err(UsageError::Missing { keyword: "old" });
        }
        Ok(Migrate {
            sel,
            dir,
            ptype,
            entries,
            kmaddress,
            encap,
            if_id,
        })
    }
}

/// An address's XFRM family.
fn family(a: &IpAddr) -> u16 {
    if a.is_ipv4() {
        AF_INET
    } else {
        AF_INET6
    }
}

/// Looks up an interface in the current namespace.
pub type Ifindex<'a> = &'a dyn Fn(&str) -> Result<u32, Error>;

/// The interface `name` of this namespace.
pub fn system_ifindex(name: &str) -> Result<u32, Error> {
    nix::net::if_::if_nametoindex(name).map_err(|e| {
        Error::Kernel(KernelError {
            errno: e as i32,
            msg: Some(format!("cannot find device \"{name}\"")),
            bad_attr: None,
            missing_attr: None,
        })
    })
}

/// `struct xfrm_selector` for `sel`: the family of its addresses, full
/// port masks for the ports given, the device's index.
pub fn selector(sel: &SelectorArgs, ifindex: Ifindex) -> Result<Selector, Error> {
    let mut s = Selector::default();
    if let Some((a, plen)) = sel.src {
        s.saddr = Address::from_ip(&a);
        s.prefixlen_s = plen;
        s.family = family(&a);
    }
    if let Some((a, plen)) = sel.dst {
        s.daddr = Address::from_ip(&a);
        s.prefixlen_d = plen;
        s.family = family(&a);
    }
    s.proto = sel.proto;
    if let Some(p) = sel.sport {
        s.sport = p;
        s.sport_mask = u16::MAX;
    }
    if let Some(p) = sel.dport {
        s.dport = p;
        s.dport_mask = u16::MAX;
    }
    if let Some(dev) = &sel.dev {
        s.ifindex = ifindex(dev)? as i32;
    }
    Ok(s)
}

fn user_migrate(e: &EntryArgs) -> UserMigrate {
    UserMigrate {
        old_daddr: Address::from_ip(&e.old_dst),
        old_saddr: Address::from_ip(&e.old_src),
        new_daddr: Address::from_ip(&e.new_dst),
        new_saddr: Address::from_ip(&e.new_src),
        proto: e.proto,
        mode: e.mode,
        reserved: 0,
        reqid: e.reqid,
        old_family: family(&e.old_src),
        new_family: family(&e.new_src),
    }
}

fn encap_tmpl(&(t, sport, dport, oa): &(u16, u16, u16, IpAddr)) -> EncapTmpl {
    EncapTmpl {
        encap_type: t,
        encap_sport: sport,
        encap_dport: dport,
        encap_oa: Address::from_ip(&oa),
    }
}

impl Migrate {
    /// The XFRM_MSG_MIGRATE this command sends.
    pub fn message(&self, ifindex: Ifindex) -> Result<MigrateMsg, Error> {
        let policy = UserPolicyId {
            selector: selector(&self.sel, ifindex)?,
            index: 0,
            direction: self.dir,
        };
        let mut nlas = Vec::new();
        if let Some((local, remote)) = self.kmaddress {
            nlas.push(XfrmAttrs::KmAddress(UserKmAddress {
                local: Address::from_ip(&local),
                remote: Address::from_ip(&remote),
                reserved: 0,
                family: family(&local),
            }));
        }
        if let Some(e) = &self.encap {
            nlas.push(XfrmAttrs::EncapsulationTemplate(encap_tmpl(e)));
        }
        if let Some(ptype) = self.ptype {
            nlas.push(XfrmAttrs::PolicyType(UserPolicyType {
                ptype,
                ..UserPolicyType::default()
            }));
        }
        if let Some(id) = self.if_id {
            nlas.push(XfrmAttrs::IfId(id));
        }
        Ok(MigrateMsg {
            policy,
            entries: self.entries.iter().map(user_migrate).collect(),
            nlas,
        })
    }
}

impl Action for Migrate {
    /// Through the run's XFRM socket: a batch's lines share one.
    fn run(&self, sockets: &mut Sockets) -> Result<Output, Error> {
        let msg = self.message(&system_ifindex)?;
        sockets
            .xfrm()?
            .request(XfrmMsg::Migrate(msg), XFRM_USER_POLICY_ID_LEN)?;
        Ok(Output::Nothing)
    }
}

/// `rv6 xfrm migrate-state`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MigrateState {
    pub dst: Option<IpAddr>,
    pub proto: u8,
    pub spi: u32,
    /// Value and mask; none is 0/0.
    pub mark: Option<(u32, u32)>,
    pub new_src: Option<IpAddr>,
    pub new_dst: Option<IpAddr>,
    /// None: the SA's.
    pub reqid: Option<u32>,
    /// None: the SA's (or one from the new addresses, with
    /// update-h2h-sel).
    pub sel: Option<SelectorArgs>,
    pub flags: u32,
    pub new_mark: Option<(u32, u32)>,
    pub output_mark: Option<(u32, u32)>,
    /// `Some(None)`: `encap none`.
    pub encap: Option<Option<(u16, u16, u16, IpAddr)>>,
    /// Packet offload (else crypto), the device, inbound.
    pub offload: Option<(bool, String, bool)>,
    pub mapping_maxage: Option<u32>,
    pub nat_keepalive_interval: Option<u32>,
}

const MIGRATE_STATE_WORDS: &[&str] = &[
    "dst",
    "proto",
    "spi",
    "mark",
    "new",
    "reqid",
    "flag",
    "new-mark",
    "output-mark",
    "encap",
    "offload",
    "mapping-maxage",
    "nat-keepalive-interval",
    "sel",
];

fn parse_migrate_state(args: &mut Args) -> Result<Box<dyn Action>, UsageError> {
    Ok(Box::new(MigrateState::parse(args)?))
}

impl MigrateState {
    /// The words after `migrate-state`.
    pub fn parse(args: &mut Args) -> Result<Self, UsageError> {
        let mut m = MigrateState::default();
        let mut seen = Vec::new();
        let (mut proto, mut spi) = (None, None);
        while let Some((kw, arg)) = next_keyword(args, MIGRATE_STATE_WORDS)? {
            let value = args.peek().unwrap_or_default().to_string();
            once(&mut seen, kw, &value)?;
            match kw {
                "dst" => m.dst = Some(args::address(&args.value(&arg, "an ADDR")?, "ADDR")?),
                "proto" => proto = Some(args::xfrm_proto(&args.value(&arg, "an XFRM-PROTO")?)?),
                "spi" => spi = Some(args::number(&args.value(&arg, "an SPI")?, "SPI")?),
                "mark" => m.mark = Some(args::mark(args, &arg)?),
                "new" => {
                    let (s, d) = new_endpoints(args)?;
                    (m.new_src, m.new_dst) = (Some(s), Some(d));
                }
                "reqid" => m.reqid = Some(args::number(&args.value(&arg, "a REQID")?, "REQID")?),
                "flag" => m.flags = flags(args, &arg)?,
                "new-mark" => m.new_mark = Some(args::mark(args, &arg)?),
                "output-mark" => m.output_mark = Some(args::mark(args, &arg)?),
                "encap" if args.peek() == Some("none") => {
                    args.next();
                    m.encap = Some(None);
                }
                "encap" => m.encap = Some(Some(args::encap(args, &arg)?)),
                "offload" => m.offload = Some(offload(args, &arg)?),
                "mapping-maxage" => {
                    m.mapping_maxage = Some(args::number(&args.value(&arg, "SECONDS")?, "SECONDS")?)
                }
                "nat-keepalive-interval" => {
                    m.nat_keepalive_interval =
                        Some(args::number(&args.value(&arg, "SECONDS")?, "SECONDS")?)
                }
                _ => m.sel = Some(sel_block(args)?),
            }
        }
        m.proto = proto.ok_or(UsageError::Missing { keyword: "proto" })?;
        m.spi = spi.ok_or(UsageError::Missing { keyword: "spi" })?;
        if m.spi == 0 {
            return wrong("0", "SPI must not be 0");
        }
        m.dst.ok_or(UsageError::Missing { keyword: "dst" })?;
        m.new_src.ok_or(UsageError::Missing { keyword: "new" })?;
        Ok(m)
    }
}

/// `src ADDR dst ADDR` after `new`, in either order, of one family.
fn new_endpoints(args: &mut Args) -> Result<(IpAddr, IpAddr), UsageError> {
    let (mut src, mut dst) = (None, None);
    while src.is_none() || dst.is_none() {
        let Some((kw, arg)) = next_keyword(args, &["src", "dst"])? else {
            break;
        };
        let value = args.value(&arg, "an ADDR")?;
        let slot = if kw == "src" { &mut src } else { &mut dst };
        if slot.is_some() {
            return Err(UsageError::Duplicate {
                keyword: kw,
                arg: value,
            });
        }
        *slot = Some((args::address(&value, "ADDR")?, value));
    }
    let (s, _) = src.ok_or(UsageError::Missing { keyword: "new src" })?;
    let (d, d_arg) = dst.ok_or(UsageError::Missing { keyword: "new dst" })?;
    args::same_family(&s, &d, &d_arg, "src", "dst")?;
    Ok((s, d))
}

/// `FLAG [ FLAG ]` after `flag`: the words that are flag names.
fn flags(args: &mut Args, arg: &str) -> Result<u32, UsageError> {
    let mut flags = 0;
    while let Some(f) = args.peek() {
        let bit = match f {
            "clear-offload" => XFRM_MIGRATE_STATE_CLEAR_OFFLOAD,
            "update-h2h-sel" => XFRM_MIGRATE_STATE_UPDATE_H2H_SEL,
            _ => break,
        };
        flags |= bit;
        args.next();
    }
    if flags == 0 {
        let next = args.next();
        return match next {
            Some(w) => wrong(&w, "FLAG must be one of clear-offload, update-h2h-sel"),
            None => Err(UsageError::Incomplete {
                keyword: arg.to_string(),
                meta: "a FLAG".to_string(),
            }),
        };
    }
    Ok(flags)
}

/// `[ crypto | packet ] dev DEV dir { in | out }` after `offload`.
fn offload(args: &mut Args, arg: &str) -> Result<(bool, String, bool), UsageError> {
    let packet = match args.peek() {
        Some("packet") => true,
        Some("crypto") => false,
        _ => {
            return offload_rest(args, arg, false);
        }
    };
    args.next();
    offload_rest(args, arg, packet)
}

fn offload_rest(
    args: &mut Args,
    arg: &str,
    packet: bool,
) -> Result<(bool, String, bool), UsageError> {
    match args.next() {
        Some(w) if w == "dev" => {}
        Some(w) => return wrong(&w, "expected \"dev DEV\" after \"offload\""),
        None => {
            return Err(UsageError::Incomplete {
                keyword: arg.to_string(),
                meta: "dev DEV dir DIR".to_string(),
            })
        }
    }
    let dev = args.value("dev", "a DEV")?;
    match args.next() {
        Some(w) if w == "dir" => {}
        Some(w) => {
            return wrong(
                &w,
                "expected \"dir { in | out }\" after the offload's device",
            )
        }
        None => {
            return Err(UsageError::Incomplete {
                keyword: "dev".to_string(),
                meta: "dir { in | out }".to_string(),
            })
        }
    }
    let dir = args.value("dir", "in or out")?;
    match dir.as_str() {
        "in" => Ok((packet, dev, true)),
        "out" => Ok((packet, dev, false)),
        _ => wrong(&dir, "the offload's dir must be in or out"),
    }
}

/// The SELECTOR after `sel`: selector words, each once, up to the first
/// word that is not one or repeats one.
fn sel_block(args: &mut Args) -> Result<SelectorArgs, UsageError> {
    let mut sel = SelectorArgs::default();
    let mut taken: Vec<&'static str> = Vec::new();
    while let Some(peek) = args.peek() {
        let Some(kw) = keyword(peek, SELECTOR)? else {
            break;
        };
        if taken.contains(&kw) {
            break;
        }
        taken.push(kw);
        let arg = args.next().unwrap_or_default();
        sel.word(kw, &arg, args)?;
    }
    if sel.is_empty() {
        return Err(UsageError::Incomplete {
            keyword: "sel".to_string(),
            meta: "a SELECTOR".to_string(),
        });
    }
    sel.check()?;
    if sel.src.is_none() && sel.dst.is_none() {
        return wrong("sel", "a SELECTOR needs src or dst");
    }
    Ok(sel)
}

impl MigrateState {
    /// Whether the SA must be read first: for a reqid or selector not
    /// given, which the kernel would otherwise take as zero.
    pub fn needs_current(&self) -> bool {
        self.reqid.is_none()
            || (self.sel.is_none() && self.flags & XFRM_MIGRATE_STATE_UPDATE_H2H_SEL == 0)
    }

    fn sa_id(&self) -> UserSaId {
        let dst = self.dst.expect("dst is required");
        UserSaId {
            daddr: Address::from_ip(&dst),
            spi: self.spi,
            family: family(&dst),
            proto: self.proto,
        }
    }

    fn old_mark(&self) -> Mark {
        let (value, mask) = self.mark.unwrap_or((0, 0));
        Mark { value, mask }
    }

    /// The XFRM_MSG_GETSA that reads the SA.
    pub fn get_sa(&self) -> XfrmMsg {
        let mut nlas = Vec::new();
        if self.mark.is_some() {
            nlas.push(XfrmAttrs::Mark(self.old_mark()));
        }
        XfrmMsg::Crate(XfrmMessage::GetSa(DelGetMessage {
            user_sa_id: self.sa_id(),
            nlas,
        }))
    }

    /// The XFRM_MSG_MIGRATE_STATE this command sends; `current`, the SA as
    /// read, gives the reqid and selector not given.
    pub fn message(
        &self,
        current: Option<&UserSaInfo>,
        ifindex: Ifindex,
    ) -> Result<MigrateStateMsg, Error> {
        let (new_src, new_dst) = (
            self.new_src.expect("required"),
            self.new_dst.expect("required"),
        );
        let inherited = || current.ok_or_else(|| Error::Netlink("the SA was not read".to_string()));
        let new_reqid = match self.reqid {
            Some(r) => r,
            None => inherited()?.reqid,
        };
        // With update-h2h-sel the kernel derives the selector and ignores
        // this one (which `sel` may still give, as the monitor prints it).
        let new_sel = match (&self.sel, self.flags & XFRM_MIGRATE_STATE_UPDATE_H2H_SEL) {
            (Some(sel), _) => selector(sel, ifindex)?,
            (None, 0) => inherited()?.selector,
            (None, _) => Selector::default(),
        };
        let mut nlas = Vec::new();
        if let Some((value, mask)) = self.new_mark {
            nlas.push(XfrmAttrs::Mark(Mark { value, mask }));
        }
        if let Some((value, mask)) = self.output_mark {
            nlas.push(XfrmAttrs::MarkVal(value));
            nlas.push(XfrmAttrs::MarkMask(mask));
        }
        match &self.encap {
            Some(Some(e)) => nlas.push(XfrmAttrs::EncapsulationTemplate(encap_tmpl(e))),
            Some(None) => nlas.push(XfrmAttrs::EncapsulationTemplate(EncapTmpl::default())),
            None => {}
        }
        if let Some((packet, dev, inbound)) = &self.offload {
            nlas.push(XfrmAttrs::OffloadDevice(UserOffloadDev {
                ifindex: ifindex(dev)? as i32,
                flags: (if *inbound { 2 } else { 0 }) | (if *packet { 4 } else { 0 }),
            }));
        }
        if let Some(t) = self.mapping_maxage {
            nlas.push(u32_attr(XFRMA_MTIMER_THRESH, t));
        }
        if let Some(t) = self.nat_keepalive_interval {
            nlas.push(u32_attr(XFRMA_NAT_KEEPALIVE_INTERVAL, t));
        }
        Ok(MigrateStateMsg {
            state: UserMigrateState {
                id: self.sa_id(),
                new_daddr: Address::from_ip(&new_dst),
                new_saddr: Address::from_ip(&new_src),
                old_mark: self.old_mark(),
                new_sel,
                new_reqid,
                flags: self.flags,
                new_family: family(&new_dst),
                reserved: 0,
            },
            nlas,
        })
    }
}

/// The SA `get` answered with.
fn read_sa(sock: &mut XfrmSocket, get: XfrmMsg) -> Result<UserSaInfo, Error> {
    let answers = sock
        .request(get, XFRM_USER_SA_ID_LEN)
        .map_err(|e| match e {
            Error::Kernel(mut k) => {
                k.msg = Some(format!(
                    "reading the SA for its {}",
                    k.msg.map_or("reqid and selector".to_string(), |m| format!(
                        "reqid and selector: {m}"
                    ))
                ));
                Error::Kernel(k)
            }
            e => e,
        })?;
    answers
        .into_iter()
        .find_map(|m| match m {
            XfrmMsg::Crate(XfrmMessage::AddSa(sa)) => Some(sa.user_sa_info),
            _ => None,
        })
        .ok_or_else(|| Error::Netlink("XFRM_MSG_GETSA: no SA in the answer".to_string()))
}

impl Action for MigrateState {
    fn run(&self, sockets: &mut Sockets) -> Result<Output, Error> {
        let sock = sockets.xfrm()?;
        let current = match self.needs_current() {
            true => Some(read_sa(sock, self.get_sa())?),
            false => None,
        };
        let msg = self.message(current.as_ref(), &system_ifindex)?;
        sock.request(XfrmMsg::MigrateState(msg), XFRM_USER_MIGRATE_STATE_LEN)?;
        Ok(Output::Nothing)
    }
}

/// `rv6 xfrm monitor`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Monitor {
    /// XFRMNLGRP_* numbers.
    pub groups: Vec<u32>,
    pub nokeys: bool,
    pub source: Source,
}

fn file_arg(args: &mut Args, arg: &str, source: &mut Source) -> Result<(), UsageError> {
    let path = args.value(arg, "a FILE")?;
    if *source != Source::Kernel {
        return Err(UsageError::Duplicate {
            keyword: "file",
            arg: path,
        });
    }
    *source = Source::File(path);
    Ok(())
}

fn parse_monitor(args: &mut Args) -> Result<Box<dyn Action>, UsageError> {
    Ok(Box::new(Monitor::parse(args)?))
}

impl Monitor {
    /// The words after `monitor`.
    pub fn parse(args: &mut Args) -> Result<Self, UsageError> {
        let mut words: Vec<&'static str> = vec!["nokeys", "file", "all"];
        words.extend(GROUPS.iter().map(|(n, _)| *n));
        let (mut groups, mut nokeys, mut all) = (Vec::new(), false, false);
        let mut source = Source::Kernel;
        while let Some((kw, arg)) = next_keyword(args, &words)? {
            match kw {
                "nokeys" => nokeys = true,
                "file" => file_arg(args, &arg, &mut source)?,
                "all" => all = true,
                g => {
                    let n = GROUPS
                        .iter()
                        .find(|(name, _)| *name == g)
                        .map_or(0, |(_, n)| *n);
                    if !groups.contains(&n) {
                        groups.push(n);
                    }
                }
            }
        }
        if all || groups.is_empty() {
            groups = GROUPS.iter().map(|(_, n)| *n).collect();
        }
        Ok(Monitor {
            groups,
            nokeys,
            source,
        })
    }
}

impl Action for Monitor {
    fn run(&self, _sockets: &mut Sockets) -> Result<Output, Error> {
        self.listen(Format::Text, &mut std::io::stdout())?;
        Ok(Output::Nothing)
    }

    fn listener(&self) -> Option<&dyn Listener> {
        Some(self)
    }
}

impl Listener for Monitor {
    /// Through a socket of its own, which joins the groups.
    fn listen(&self, format: Format, out: &mut dyn Write) -> Result<(), Error> {
        let host = System::new();
        monitor::xfrm(&self.groups, &self.source, format, &host, self.nokeys, out)
    }
}

/// `rv6 xfrm pfkey migrate`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PfkeyMigrate {
    pub sel: SelectorArgs,
    pub dir: u8,
    pub entries: Vec<EntryArgs>,
    pub kmaddress: Option<(IpAddr, IpAddr)>,
}

const PFKEY_MIGRATE_WORDS: &[&str] = &[
    "src",
    "dst",
    "proto",
    "sport",
    "dport",
    "dir",
    "old",
    "kmaddress",
];

fn parse_pfkey_migrate(args: &mut Args) -> Result<Box<dyn Action>, UsageError> {
    Ok(Box::new(PfkeyMigrate::parse(args)?))
}

impl PfkeyMigrate {
    /// The words after `pfkey migrate`.
    pub fn parse(args: &mut Args) -> Result<Self, UsageError> {
        let mut sel = SelectorArgs::default();
        let (mut dir, mut kmaddress) = (None, None);
        let mut entries = Vec::new();
        let mut seen = Vec::new();
        while let Some((kw, arg)) = next_keyword(args, PFKEY_MIGRATE_WORDS)? {
            if PFKEY_SELECTOR.contains(&kw) {
                sel.word(kw, &arg, args)?;
                continue;
            }
            if kw == "old" {
                args::push_entry(&mut entries, args, PFKEY_MODES)?;
                continue;
            }
            let value = args.peek().unwrap_or_default().to_string();
            once(&mut seen, kw, &value)?;
            match kw {
                "dir" => dir = Some(args::dir(&args.value(&arg, "a DIR")?)?),
                _ => kmaddress = Some(args::kmaddress(args, &arg)?),
            }
        }
        sel.check()?;
        sel.src.ok_or(UsageError::Missing { keyword: "src" })?;
        sel.dst.ok_or(UsageError::Missing { keyword: "dst" })?;
        let dir = dir.ok_or(UsageError::Missing { keyword: "dir" })?;
        if entries.is_empty() {
            return Err(UsageError::Missing { keyword: "old" });
        }
        Ok(PfkeyMigrate {
            sel,
            dir,
            entries,
            kmaddress,
        })
    }
}

/// IPSEC_MODE_* of an XFRM mode PF_KEY can name.
fn ipsec_mode(xfrm_mode: u8) -> u8 {
    match xfrm_mode {
        0 => 1,
        1 => 2,
        _ => 3,
    }
}

impl PfkeyMigrate {
    /// The SADB_X_MIGRATE this command sends, as `pid` with sequence
    /// number `seq`: laid out as af_key.c's `pfkey_send_migrate()` lays
    /// out its own.
    pub fn message(&self, seq: u32, pid: u32) -> Message {
        let (src, plen_s) = self.sel.src.expect("src is required");
        let (dst, plen_d) = self.sel.dst.expect("dst is required");
        let proto = if self.sel.proto == 0 {
            IPSEC_PROTO_ANY
        } else {
            self.sel.proto
        };
        let mut exts = Vec::new();
        if let Some((local, remote)) = self.kmaddress {
            exts.push(Ext::KmAddress {
                local: pfkey::sockaddr(local, 0),
                remote: pfkey::sockaddr(remote, 0),
                reserved: 0,
            });
        }
        for (which, addr, plen, port) in [
            (EXT_ADDRESS_SRC, src, plen_s, self.sel.sport),
            (EXT_ADDRESS_DST, dst, plen_d, self.sel.dport),
        ] {
            exts.push(Ext::Address {
                which,
                proto,
                prefixlen: plen,
                addr: pfkey::sockaddr(addr, port.unwrap_or(0)),
            });
        }
        let mut requests = Vec::new();
        for e in &self.entries {
            let request = |s: IpAddr, d: IpAddr| IpsecRequest {
                proto: e.proto.into(),
                mode: ipsec_mode(e.mode),
                level: if e.reqid != 0 {
                    IPSEC_LEVEL_UNIQUE
                } else {
                    IPSEC_LEVEL_REQUIRE
                },
                reqid: e.reqid,
                endpoints: Some((pfkey::sockaddr(s, 0), pfkey::sockaddr(d, 0))),
            };
            requests.push(request(e.old_src, e.old_dst));
            requests.push(request(e.new_src, e.new_dst));
        }
        exts.push(Ext::Policy(Policy {
            policy_type: IPSEC_POLICY_IPSEC,
            dir: self.dir + 1,
            id: 0,
            priority: 0,
            requests,
        }));
        Message {
            msg_type: SADB_X_MIGRATE,
            errno: 0,
            satype: pfkey::proto_satype(self.entries[0].proto),
            seq,
            pid,
            exts,
        }
    }
}

/// Whether `m` is the kernel's announcement of `sent`: an SADB_X_MIGRATE
/// without errno, with the same selector addresses, prefix lengths, ports
/// and upper-layer protocol (IPSEC_ULPROTO_ANY in a request is 0 in the
/// kernel's), and the same direction.
fn announces(m: &Message, sent: &Message) -> bool {
    let selector = |m: &Message| -> Vec<(u16, u8, u8, std::net::SocketAddr)> {
        m.exts
            .iter()
            .filter_map(|e| match e {
                Ext::Address {
                    which,
                    proto,
                    prefixlen,
                    addr,
                } => Some((
                    *which,
                    if *proto == IPSEC_PROTO_ANY { 0 } else { *proto },
                    *prefixlen,
                    *addr,
                )),
                _ => None,
            })
            .collect()
    };
    let dir = |m: &Message| {
        m.exts.iter().find_map(|e| match e {
            Ext::Policy(p) => Some(p.dir),
            _ => None,
        })
    };
    m.msg_type == SADB_X_MIGRATE
        && m.errno == 0
        && selector(m) == selector(sent)
        && dir(m) == dir(sent)
}

impl Action for PfkeyMigrate {
    /// Sends the message; the kernel answers an error with the message and
    /// an errno, and a success by announcing the migration to every PF_KEY
    /// socket, this one included. The socket is the command's own, even in
    /// a batch: it holds no announcement older than the request.
    fn run(&self, _sockets: &mut Sockets) -> Result<Output, Error> {
        let mut sock = PfKeySocket::open()?;
        let pid = std::process::id();
        let sent = self.message(1, pid);
        let kernel = |errno: i32, msg: Option<String>| {
            Error::Kernel(KernelError {
                errno,
                msg,
                bad_attr: None,
                missing_attr: None,
            })
        };
        let io = |e: std::io::Error| {
            kernel(e.raw_os_error().unwrap_or(libc::EIO), Some("PF_KEY".into()))
        };
        sock.set_timeout(Some(std::time::Duration::from_secs(5)))
            .map_err(io)?;
        sock.send(&sent.encode()).map_err(io)?;
        loop {
            let bytes = sock.receive().map_err(|e| match e.kind() {
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => kernel(
                    libc::ETIMEDOUT,
                    Some("PF_KEY: no answer to SADB_X_MIGRATE".into()),
                ),
                _ => io(e),
            })?;
            let Ok(m) = Message::decode(&bytes) else {
                continue;
            };
            if m.pid == pid && m.seq == sent.seq && m.errno != 0 {
                return Err(kernel(m.errno.into(), None));
            }
            if announces(&m, &sent) {
                return Ok(Output::Nothing);
            }
        }
    }
}

/// `rv6 xfrm pfkey monitor`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PfkeyMonitor {
    pub source: Source,
}

fn parse_pfkey_monitor(args: &mut Args) -> Result<Box<dyn Action>, UsageError> {
    let mut source = Source::Kernel;
    while let Some((_, arg)) = next_keyword(args, &["file"])? {
        file_arg(args, &arg, &mut source)?;
    }
    Ok(Box::new(PfkeyMonitor { source }))
}

impl Action for PfkeyMonitor {
    fn run(&self, _sockets: &mut Sockets) -> Result<Output, Error> {
        self.listen(Format::Text, &mut std::io::stdout())?;
        Ok(Output::Nothing)
    }

    fn listener(&self) -> Option<&dyn Listener> {
        Some(self)
    }
}

impl Listener for PfkeyMonitor {
    fn listen(&self, format: Format, out: &mut dyn Write) -> Result<(), Error> {
        monitor::pfkey(&self.source, format, &System::new(), out)
    }
}

pub mod bulk;

#[cfg(test)]
mod tests;
