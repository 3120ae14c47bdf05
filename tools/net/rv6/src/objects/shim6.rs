//! `rv6 shim6`: the Shim6 (RFC 5533) contexts and counters of the rv6_shim6
//! module (net/ipv6/shim6/rv6_shim6.rs), generic netlink family `rv6-shim6`,
//! spec Documentation/netlink/specs/rv6_shim6.yaml, whose tables build.rs
//! generates into [`crate::spec::specs::rv6_shim6`]: three attribute sets,
//! `FAMILY_CONTEXT`, `FAMILY_STATS` and `FAMILY_SETTINGS`.
//!
//! ```text
//! rv6 shim6 context show [ local-tag TAG ]   dump every context, or get one
//! rv6 shim6 context add local-tag TAG peer-tag TAG ulid-local ADDR
//!         ulid-peer ADDR [ local-locators ADDR[,ADDR...] ]
//!         [ peer-locators ADDR[,ADDR...] ] [ pair LOCAL PEER ]
//!         [ send-timeout MS ] [ keepalive-timeout MS ] [ idle-timeout MS ]
//!         [ fii FII ]
//! rv6 shim6 context set local-tag TAG [ local-locators ADDR[,ADDR...] ]
//!         [ peer-locators ADDR[,ADDR...] ] [ pair LOCAL PEER ]
//!         [ reap REAP_STATE ] [ send-timeout MS ] [ keepalive-timeout MS ]
//!         [ idle-timeout MS ]
//! rv6 shim6 context del local-tag TAG
//! rv6 shim6 context flush                    (these four: CAP_NET_ADMIN)
//! rv6 shim6 stats                            the namespace's counters
//! rv6 shim6 settings show                    the namespace's settings
//! rv6 shim6 settings set [ trigger { on | off } ] [ trigger-bytes N ]
//!         [ trigger-seconds N ]              (CAP_NET_ADMIN)
//! rv6 shim6 cga generate prefix PREFIX [ sec SEC ] [ key FILE ] [ out FILE ]
//! rv6 shim6 cga verify address ADDR params FILE
//! rv6 shim6 hba generate prefixes PREFIX[,PREFIX...] [ sec SEC ] [ key FILE ]
//!         [ out FILE ]
//! rv6 shim6 hba verify address ADDR params FILE
//!                                            (these four: no netlink)
//! ```
//!
//! `context` and `settings` are groups of commands, as `ip mptcp endpoint`
//! is, beside `stats`, which is [`stats`](super::stats)'s. The arguments
//! are not the spec's attributes one for one: a list stands for the
//! repeated `local-locator` (and `peer-locator`), `pair` for
//! `current-local` and `current-peer`, `reap` for `reap-state`. So a
//! context's text line is worded here, in the arguments' words, and up to
//! its REAP state reads back as `context add`: `local-tag 0x1 peer-tag 0x2
//! ulid-local A ulid-peer B local-locators A,C peer-locators B pair A B
//! send-timeout 15000 keepalive-timeout 15000 idle-timeout 600000 reap
//! operational rx 0 tx 0`; its JSON is the reply's attributes under the
//! spec's names, the locators as arrays. The timeouts are milliseconds
//! (`MS`), whose range (the spec's checks) the kernel enforces.
//!
//! The settings (the negotiation trigger heuristic's) print in the words of
//! `settings set` too, `trigger` as `on` or `off`: `trigger on trigger-bytes
//! 2048 trigger-seconds 60`; their JSON is the reply's attributes, `trigger`
//! the u8 it is (1 or 0). `trigger-seconds`'s range (the spec's checks, 1 to
//! 3600) is the kernel's to enforce, as the timeouts' is.
//!
//! The module's `event` notifications (group `events`) print through `rv6
//! monitor rv6-shim6`, from the spec alone.
//!
//! `cga` and `hba` make and check a host's CGA (RFC 3972) or HBA set (RFC
//! 5535) on the host alone: [`shim6_hba`].

use std::net::Ipv6Addr;

use neli::{
    genl::Nlattr,
    types::Buffer, //
};

use crate::cli::{
    keyword,
    Args,
    UsageError, //
};
use crate::error::Error;
use crate::genl::{
    self,
    attr,
    Attrs, //
};
use crate::objects::{
    shim6_hba,
    stats,
    Action,
    Command,
    Object, //
};
use crate::output::{
    field_words,
    Output,
    Record,
    Value, //
};
use crate::sockets::Sockets;
use crate::spec::specs::rv6_shim6::{
    A_CONTEXT_CURRENT_LOCAL,
    A_CONTEXT_CURRENT_PEER,
    A_CONTEXT_FII,
    A_CONTEXT_IDLE_TIMEOUT,
    A_CONTEXT_KEEPALIVE_TIMEOUT,
    A_CONTEXT_LOCAL_LOCATOR,
    A_CONTEXT_LOCAL_TAG,
    A_CONTEXT_PEER_LOCATOR,
    A_CONTEXT_PEER_TAG,
    A_CONTEXT_REAP_STATE,
    A_CONTEXT_SEND_TIMEOUT,
    A_CONTEXT_ULID_LOCAL,
    A_CONTEXT_ULID_PEER,
    A_SETTINGS_TRIGGER,
    A_SETTINGS_TRIGGER_BYTES,
    A_SETTINGS_TRIGGER_SECONDS,
    CMD_CONTEXT_ADD,
    CMD_CONTEXT_DEL,
    CMD_CONTEXT_FLUSH,
    CMD_CONTEXT_GET,
    CMD_CONTEXT_SET,
    CMD_SETTINGS_GET,
    CMD_SETTINGS_SET,
    CMD_STATS_GET,
    FAMILY_CONTEXT,
    FAMILY_SETTINGS,
    FAMILY_STATS,
    MAX_LOCATORS,
    REAP_STATE, //
};
use crate::spec::FamilySpec;

pub static OBJECT: Object = Object {
    name: "shim6",
    summary: "Shim6 contexts and counters of the namespace (rv6_shim6)",
    commands: &[
        Command {
            name: "context show",
            synopsis: "[ local-tag TAG ]",
            parse: parse_show,
        },
        Command {
            name: "context add",
            synopsis: "local-tag TAG peer-tag TAG ulid-local ADDR ulid-peer ADDR \
                       [ local-locators ADDR[,ADDR...] ] [ peer-locators ADDR[,ADDR...] ] \
                       [ pair LOCAL PEER ] [ send-timeout MS ] [ keepalive-timeout MS ] \
                       [ idle-timeout MS ] [ fii FII ]",
            parse: parse_add,
        },
        Command {
            name: "context set",
            synopsis: "local-tag TAG [ local-locators ADDR[,ADDR...] ] \
                       [ peer-locators ADDR[,ADDR...] ] [ pair LOCAL PEER ] \
                       [ reap REAP_STATE ] [ send-timeout MS ] [ keepalive-timeout MS ] \
                       [ idle-timeout MS ]",
            parse: parse_set,
        },
        Command {
            name: "context del",
            synopsis: "local-tag TAG",
            parse: parse_del,
        },
        Command {
            name: "context flush",
            synopsis: "",
            parse: parse_flush,
        },
        Command {
            name: "stats",
            synopsis: "",
            parse: |args| stats::parse_stats(args, "shim6", &FAMILY_STATS, CMD_STATS_GET),
        },
        Command {
            name: "settings show",
            synopsis: "",
            parse: parse_settings_show,
        },
        Command {
            name: "settings set",
            synopsis: "[ trigger { on | off } ] [ trigger-bytes N ] [ trigger-seconds N ]",
            parse: parse_settings_set,
        },
        Command {
            name: "cga generate",
            synopsis: shim6_hba::CGA_GENERATE,
            parse: shim6_hba::parse_cga_generate,
        },
        Command {
            name: "cga verify",
            synopsis: shim6_hba::VERIFY,
            parse: shim6_hba::parse_cga_verify,
        },
        Command {
            name: "hba generate",
            synopsis: shim6_hba::HBA_GENERATE,
            parse: shim6_hba::parse_hba_generate,
        },
        Command {
            name: "hba verify",
            synopsis: shim6_hba::VERIFY,
            parse: shim6_hba::parse_hba_verify,
        },
    ],
    default_command: "context show",
    enums: &[&REAP_STATE, &shim6_hba::SEC],
};

/// The largest context tag: tags are 47 bits (RFC 5533 §5.1), and not 0.
const MAX_TAG: u64 = (1 << 47) - 1;

/// `context show`: a dump of every context, or a get of one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Show {
    pub local_tag: Option<u64>,
}

/// A context's REAP timeouts (RFC 5534), in milliseconds, each as given:
/// `send-timeout`, `keepalive-timeout`, `idle-timeout`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Timeouts {
    pub send: Option<u32>,
    pub keepalive: Option<u32>,
    pub idle: Option<u32>,
}

/// `context add`. An empty locator list is one not given (the kernel then
/// takes the ULID alone), no pair the ULIDs, and a timeout not given the
/// kernel's default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Add {
    pub local_tag: u64,
    pub peer_tag: u64,
    pub ulid_local: Ipv6Addr,
    pub ulid_peer: Ipv6Addr,
    pub local_locators: Vec<Ipv6Addr>,
    pub peer_locators: Vec<Ipv6Addr>,
    pub pair: Option<(Ipv6Addr, Ipv6Addr)>,
    pub timeouts: Timeouts,
    /// The Forked Instance Identifier; `None` sends none (the kernel's 0).
    pub fii: Option<u32>,
}

/// `context set`: what is not given (an empty list, no pair, no REAP state,
/// no timeout) stays as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Set {
    pub local_tag: u64,
    pub local_locators: Vec<Ipv6Addr>,
    pub peer_locators: Vec<Ipv6Addr>,
    pub pair: Option<(Ipv6Addr, Ipv6Addr)>,
    /// An entry of the spec's `reap-state` enum.
    pub reap: Option<u32>,
    pub timeouts: Timeouts,
}

/// `context del`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Del {
    pub local_tag: u64,
}

/// `context flush`: every context of the namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flush;

/// `settings show`: a get of the namespace's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsShow;

/// `settings set`: what is not given stays as it is; at least one is given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SettingsSet {
    /// `on` or `off`, sent as the u8 1 or 0.
    pub trigger: Option<bool>,
    pub trigger_bytes: Option<u32>,
    pub trigger_seconds: Option<u32>,
}

/// The arguments of a context command, as given.
#[derive(Debug, Default)]
struct Given {
    local_tag: Option<u64>,
    peer_tag: Option<u64>,
    ulid_local: Option<Ipv6Addr>,
    ulid_peer: Option<Ipv6Addr>,
    local_locators: Vec<Ipv6Addr>,
    peer_locators: Vec<Ipv6Addr>,
    pair: Option<(Ipv6Addr, Ipv6Addr)>,
    reap: Option<u32>,
    timeouts: Timeouts,
    fii: Option<u32>,
}

/// The keywords `context add` takes, in synopsis order; the other commands
/// take some of them (and `set` takes `reap` too).
const ADD: &[&str] = &[
    "local-tag",
    "peer-tag",
    "ulid-local",
    "ulid-peer",
    "local-locators",
    "peer-locators",
    "pair",
    "send-timeout",
    "keepalive-timeout",
    "idle-timeout",
    "fii",
];
const SET: &[&str] = &[
    "local-tag",
    "local-locators",
    "peer-locators",
    "pair",
    "reap",
    "send-timeout",
    "keepalive-timeout",
    "idle-timeout",
];
const TAG_ONLY: &[&str] = &["local-tag"];
/// The keywords `settings set` takes, in synopsis (and spec) order.
const SETTINGS: &[&str] = &["trigger", "trigger-bytes", "trigger-seconds"];

/// Reads `keywords` and their values, in any order, each at most once.
fn context_args(args: &mut Args, keywords: &[&'static str]) -> Result<Given, UsageError> {
    let mut g = Given::default();
    let mut seen: Vec<&'static str> = Vec::new();
    while let Some(arg) = args.next() {
        let Some(kw) = keyword(&arg, keywords)? else {
            let why = match keywords {
                [only] => format!("expected \"{only} TAG\""),
                _ => format!("expected one of {}", keywords.join(", ")),
            };
            return Err(UsageError::Wrong { arg, why });
        };
        let meta = match kw {
            "local-tag" | "peer-tag" => "a TAG",
            "ulid-local" | "ulid-peer" => "an ADDR",
            "pair" => "a LOCAL and a PEER locator",
            "reap" => "a REAP_STATE",
            "send-timeout" | "keepalive-timeout" | "idle-timeout" => "an MS",
            "fii" => "an FII",
            _ => "ADDR[,ADDR...]",
        };
        let value = args.value(&arg, meta)?;
        if seen.contains(&kw) {
            return Err(UsageError::Duplicate {
                keyword: kw,
                arg: value,
            });
        }
        seen.push(kw);
        match kw {
            "local-tag" => g.local_tag = Some(tag(&value)?),
            "peer-tag" => g.peer_tag = Some(tag(&value)?),
            "ulid-local" => g.ulid_local = Some(addr(&value, "ADDR")?),
            "ulid-peer" => g.ulid_peer = Some(addr(&value, "ADDR")?),
            "local-locators" => g.local_locators = locators(&value)?,
            "peer-locators" => g.peer_locators = locators(&value)?,
            "reap" => g.reap = Some(REAP_STATE.parse(&value)?),
            "send-timeout" => g.timeouts.send = Some(ms(&value)?),
            "keepalive-timeout" => g.timeouts.keepalive = Some(ms(&value)?),
            "idle-timeout" => g.timeouts.idle = Some(ms(&value)?),
            "fii" => g.fii = Some(decimal(&value, "FII must be a number in decimal")?),
            _ => {
                let local = addr(&value, "LOCAL")?;
                let peer = args.value(&arg, "a PEER locator")?;
                g.pair = Some((local, addr(&peer, "PEER")?));
            }
        }
    }
    Ok(g)
}

/// A context tag: decimal, or hexadecimal after `0x`; 1 to [`MAX_TAG`].
fn tag(arg: &str) -> Result<u64, UsageError> {
    let (digits, radix) = match arg.strip_prefix("0x").or_else(|| arg.strip_prefix("0X")) {
        Some(hex) => (hex, 16),
        None => (arg, 10),
    };
    let digits_only = !digits.is_empty() && digits.chars().all(|c| c.is_digit(radix));
    match u64::from_str_radix(digits, radix) {
        Ok(t) if digits_only && (1..=MAX_TAG).contains(&t) => Ok(t),
        _ => Err(UsageError::Wrong {
            arg: arg.to_string(),
            why: format!("TAG must be 1 to {MAX_TAG:#x} (47 bits), in decimal or 0x-hex"),
        }),
    }
}

/// A timeout in milliseconds: decimal digits, a u32. Its range (the spec's
/// checks, 100 ms to a day) is the kernel's to enforce: its refusal names
/// the attribute.
fn ms(arg: &str) -> Result<u32, UsageError> {
    decimal(arg, "MS must be milliseconds in decimal")
}

/// A setting's number (`N`): decimal digits, a u32; the kernel enforces
/// its range (`trigger-seconds`: 1 to 3600), naming the attribute.
fn number(arg: &str) -> Result<u32, UsageError> {
    decimal(arg, "N must be a number in decimal")
}

/// Decimal digits making a u32; else wrong, `what` and the largest.
fn decimal(arg: &str, what: &str) -> Result<u32, UsageError> {
    match arg.parse() {
        Ok(v) if arg.chars().all(|c| c.is_ascii_digit()) => Ok(v),
        _ => Err(UsageError::Wrong {
            arg: arg.to_string(),
            why: format!("{what}, at most {}", u32::MAX),
        }),
    }
}

/// `on` or `off`, spelt in full as values are: true or false.
fn on_off(arg: &str, keyword: &str) -> Result<bool, UsageError> {
    match arg {
        "on" => Ok(true),
        "off" => Ok(false),
        _ => Err(UsageError::Wrong {
            arg: arg.to_string(),
            why: format!("{keyword} must be on or off"),
        }),
    }
}

/// An IPv6 address, `meta` in the synopsis.
fn addr(arg: &str, meta: &str) -> Result<Ipv6Addr, UsageError> {
    arg.parse().map_err(|_| UsageError::Wrong {
        arg: arg.to_string(),
        why: format!("{meta} must be an IPv6 address"),
    })
}

/// `ADDR[,ADDR...]`: a locator set, in order, of at most `max-locators`.
fn locators(arg: &str) -> Result<Vec<Ipv6Addr>, UsageError> {
    let wrong = |why: String| UsageError::Wrong {
        arg: arg.to_string(),
        why,
    };
    let list = arg
        .split(',')
        .map(|a| {
            a.parse()
                .map_err(|_| wrong(format!("\"{a}\" is not an IPv6 address")))
        })
        .collect::<Result<Vec<Ipv6Addr>, _>>()?;
    if list.len() as u64 > MAX_LOCATORS {
        return Err(wrong(format!("a set has at most {MAX_LOCATORS} locators")));
    }
    Ok(list)
}

fn required<T>(value: Option<T>, keyword: &'static str) -> Result<T, UsageError> {
    value.ok_or(UsageError::Missing { keyword })
}

fn parse_show(args: &mut Args) -> Result<Box<dyn Action>, UsageError> {
    let g = context_args(args, TAG_ONLY)?;
    Ok(Box::new(Show {
        local_tag: g.local_tag,
    }))
}

fn parse_add(args: &mut Args) -> Result<Box<dyn Action>, UsageError> {
    let g = context_args(args, ADD)?;
    Ok(Box::new(Add {
        local_tag: required(g.local_tag, "local-tag")?,
        peer_tag: required(g.peer_tag, "peer-tag")?,
        ulid_local: required(g.ulid_local, "ulid-local")?,
        ulid_peer: required(g.ulid_peer, "ulid-peer")?,
        local_locators: g.local_locators,
        peer_locators: g.peer_locators,
        pair: g.pair,
        timeouts: g.timeouts,
        fii: g.fii,
    }))
}

fn parse_set(args: &mut Args) -> Result<Box<dyn Action>, UsageError> {
    let g = context_args(args, SET)?;
    Ok(Box::new(Set {
        local_tag: required(g.local_tag, "local-tag")?,
        local_locators: g.local_locators,
        peer_locators: g.peer_locators,
        pair: g.pair,
        reap: g.reap,
        timeouts: g.timeouts,
    }))
}

fn parse_del(args: &mut Args) -> Result<Box<dyn Action>, UsageError> {
    let g = context_args(args, TAG_ONLY)?;
    Ok(Box::new(Del {
        local_tag: required(g.local_tag, "local-tag")?,
    }))
}

fn parse_flush(args: &mut Args) -> Result<Box<dyn Action>, UsageError> {
    args.finish("\"rv6 shim6 context flush\" takes no arguments")?;
    Ok(Box::new(Flush))
}

fn parse_settings_show(args: &mut Args) -> Result<Box<dyn Action>, UsageError> {
    args.finish("\"rv6 shim6 settings show\" takes no arguments")?;
    Ok(Box::new(SettingsShow))
}

/// [`SETTINGS`] and their values, in any order, each at most once, and at
/// least one of them.
fn parse_settings_set(args: &mut Args) -> Result<Box<dyn Action>, UsageError> {
    let mut s = SettingsSet::default();
    let mut seen: Vec<&'static str> = Vec::new();
    while let Some(arg) = args.next() {
        let Some(kw) = keyword(&arg, SETTINGS)? else {
            return Err(UsageError::Wrong {
                arg,
                why: format!("expected one of {}", SETTINGS.join(", ")),
            });
        };
        let meta = match kw {
            "trigger" => "on or off",
            _ => "an N",
        };
        let value = args.value(&arg, meta)?;
        if seen.contains(&kw) {
            return Err(UsageError::Duplicate {
                keyword: kw,
                arg: value,
            });
        }
        seen.push(kw);
        match kw {
            "trigger" => s.trigger = Some(on_off(&value, kw)?),
            "trigger-bytes" => s.trigger_bytes = Some(number(&value)?),
            _ => s.trigger_seconds = Some(number(&value)?),
        }
    }
    if seen.is_empty() {
        return Err(UsageError::Incomplete {
            keyword: "rv6 shim6 settings set".to_string(),
            meta: format!("one of {}", SETTINGS.join(", ")),
        });
    }
    Ok(Box::new(s))
}

/// The request attributes for a context's paths: each locator set, one
/// attribute per locator in order, then the current pair.
fn path_attrs(
    local: &[Ipv6Addr],
    peer: &[Ipv6Addr],
    pair: Option<(Ipv6Addr, Ipv6Addr)>,
) -> Result<Vec<Nlattr<u16, Buffer>>, Error> {
    let locals = local.iter().map(|a| (A_CONTEXT_LOCAL_LOCATOR, a));
    let peers = peer.iter().map(|a| (A_CONTEXT_PEER_LOCATOR, a));
    let current = pair
        .iter()
        .flat_map(|(l, p)| [(A_CONTEXT_CURRENT_LOCAL, l), (A_CONTEXT_CURRENT_PEER, p)]);
    locals
        .chain(peers)
        .chain(current)
        .map(|(id, a)| attr(id, a.octets()))
        .collect()
}

impl Timeouts {
    /// The request attributes for the timeouts given, in spec order.
    fn attrs(&self) -> Result<Vec<Nlattr<u16, Buffer>>, Error> {
        [
            (A_CONTEXT_SEND_TIMEOUT, self.send),
            (A_CONTEXT_KEEPALIVE_TIMEOUT, self.keepalive),
            (A_CONTEXT_IDLE_TIMEOUT, self.idle),
        ]
        .into_iter()
        .filter_map(|(id, ms)| ms.map(|ms| attr(id, ms)))
        .collect()
    }
}

fn tag_attrs(local_tag: u64) -> Result<Attrs, Error> {
    Ok([attr(A_CONTEXT_LOCAL_TAG, local_tag)?]
        .into_iter()
        .collect())
}

impl Add {
    fn attrs(&self) -> Result<Attrs, Error> {
        let mut attrs = vec![
            attr(A_CONTEXT_LOCAL_TAG, self.local_tag)?,
            attr(A_CONTEXT_PEER_TAG, self.peer_tag)?,
            attr(A_CONTEXT_ULID_LOCAL, self.ulid_local.octets())?,
            attr(A_CONTEXT_ULID_PEER, self.ulid_peer.octets())?,
        ];
        attrs.extend(path_attrs(
            &self.local_locators,
            &self.peer_locators,
            self.pair,
        )?);
        attrs.extend(self.timeouts.attrs()?);
        if let Some(fii) = self.fii {
            attrs.push(attr(A_CONTEXT_FII, fii)?);
        }
        Ok(attrs.into_iter().collect())
    }
}

impl Set {
    fn attrs(&self) -> Result<Attrs, Error> {
        let mut attrs = vec![attr(A_CONTEXT_LOCAL_TAG, self.local_tag)?];
        attrs.extend(path_attrs(
            &self.local_locators,
            &self.peer_locators,
            self.pair,
        )?);
        if let Some(state) = self.reap {
            attrs.push(attr(A_CONTEXT_REAP_STATE, state)?);
        }
        attrs.extend(self.timeouts.attrs()?);
        Ok(attrs.into_iter().collect())
    }
}

impl SettingsSet {
    /// The settings given, in spec order: `trigger` as a u8.
    fn attrs(&self) -> Result<Attrs, Error> {
        let mut attrs = Vec::new();
        if let Some(on) = self.trigger {
            attrs.push(attr(A_SETTINGS_TRIGGER, u8::from(on))?);
        }
        for (id, n) in [
            (A_SETTINGS_TRIGGER_BYTES, self.trigger_bytes),
            (A_SETTINGS_TRIGGER_SECONDS, self.trigger_seconds),
        ] {
            if let Some(n) = n {
                attrs.push(attr(id, n)?);
            }
        }
        Ok(attrs.into_iter().collect())
    }
}

/// Contexts as records (the spec's names, for JSON) and as text lines.
fn contexts(records: Vec<Record>) -> Output {
    let lines = records.iter().map(context_line).collect();
    Output::Worded { records, lines }
}

/// Settings as records (the spec's names, `trigger` a number, for JSON) and
/// as text lines.
fn settings(records: Vec<Record>) -> Output {
    let lines = records.iter().map(settings_line).collect();
    Output::Worded { records, lines }
}

/// The settings in the words of `settings set`: `trigger` as `on` or `off`
/// (another value, from a newer module, as its number), the others as any
/// record's, in spec order.
fn settings_line(r: &Record) -> String {
    let mut words = Vec::new();
    for (key, value) in r.fields() {
        match (*key, value) {
            ("trigger", Value::U64(v @ (0 | 1))) => {
                let word = if *v == 1 { "on" } else { "off" };
                words.extend([key.to_string(), word.to_string()]);
            }
            _ => field_words(key, value, &mut words),
        }
    }
    words.join(" ")
}

/// A context in the words of `context add`: tags in hex, each locator set
/// as a list, the current pair as `pair`, the timeouts as they are; then
/// what `add` does not take: the REAP state as `reap` (`set`'s word), and
/// last the counters as `rx` and `tx`. Attributes it does not reword print
/// as any record's, in their place.
fn context_line(r: &Record) -> String {
    let addr = |key: &str| match r.get(key) {
        Some(Value::Str(a)) => Some(a.clone()),
        _ => None,
    };
    let pair = addr("current-local").zip(addr("current-peer"));
    let mut words = Vec::new();
    let mut state = Vec::new();
    let mut counters = Vec::new();
    for (key, value) in r.fields() {
        match (*key, value, &pair) {
            ("local-tag" | "peer-tag", Value::U64(tag), _) => {
                words.extend([key.to_string(), format!("{tag:#x}")])
            }
            ("local-locator" | "peer-locator", Value::Repeated(list), _) => {
                let list: Vec<&str> = list
                    .iter()
                    .filter_map(|v| match v {
                        Value::Str(a) => Some(a.as_str()),
                        _ => None,
                    })
                    .collect();
                // The keyword is the attribute's name in the plural.
                words.extend([format!("{key}s"), list.join(",")]);
            }
            ("current-local", _, Some((local, peer))) => {
                words.extend(["pair".to_string(), local.clone(), peer.clone()]);
            }
            ("current-peer", _, Some(_)) => {}
            ("reap-state", ..) => field_words("reap", value, &mut state),
            ("rx-packets", ..) => field_words("rx", value, &mut counters),
            ("tx-packets", ..) => field_words("tx", value, &mut counters),
            _ => field_words(key, value, &mut words),
        }
    }
    words.extend(state);
    words.extend(counters);
    words.join(" ")
}

impl Action for Show {
    fn run(&self, sockets: &mut Sockets) -> Result<Output, Error> {
        let nl = sockets.genl()?;
        let family = nl.resolve(&FAMILY_CONTEXT)?;
        let replies = match self.local_tag {
            Some(t) => nl.request(&family, CMD_CONTEXT_GET, tag_attrs(t)?)?,
            None => nl.dump(&family, CMD_CONTEXT_GET, Attrs::new())?,
        };
        let records = replies
            .iter()
            .map(|m| genl::decode(m, &FAMILY_CONTEXT))
            .collect::<Result<_, _>>()?;
        Ok(contexts(records))
    }
}

/// A change: the request (of attribute set `set`), then nothing to print.
fn change(
    sockets: &mut Sockets,
    set: &'static FamilySpec,
    cmd: u8,
    attrs: Attrs,
) -> Result<Output, Error> {
    let nl = sockets.genl()?;
    let family = nl.resolve(set)?;
    nl.request(&family, cmd, attrs)?;
    Ok(Output::Nothing)
}

impl Action for Add {
    fn run(&self, sockets: &mut Sockets) -> Result<Output, Error> {
        change(sockets, &FAMILY_CONTEXT, CMD_CONTEXT_ADD, self.attrs()?)
    }
}

impl Action for Set {
    fn run(&self, sockets: &mut Sockets) -> Result<Output, Error> {
        change(sockets, &FAMILY_CONTEXT, CMD_CONTEXT_SET, self.attrs()?)
    }
}

impl Action for Del {
    fn run(&self, sockets: &mut Sockets) -> Result<Output, Error> {
        change(
            sockets,
            &FAMILY_CONTEXT,
            CMD_CONTEXT_DEL,
            tag_attrs(self.local_tag)?,
        )
    }
}

impl Action for Flush {
    fn run(&self, sockets: &mut Sockets) -> Result<Output, Error> {
        change(sockets, &FAMILY_CONTEXT, CMD_CONTEXT_FLUSH, Attrs::new())
    }
}

impl Action for SettingsShow {
    fn run(&self, sockets: &mut Sockets) -> Result<Output, Error> {
        let nl = sockets.genl()?;
        let family = nl.resolve(&FAMILY_SETTINGS)?;
        let replies = nl.request(&family, CMD_SETTINGS_GET, Attrs::new())?;
        let records = replies
            .iter()
            .map(|m| genl::decode(m, &FAMILY_SETTINGS))
            .collect::<Result<_, _>>()?;
        Ok(settings(records))
    }
}

impl Action for SettingsSet {
    fn run(&self, sockets: &mut Sockets) -> Result<Output, Error> {
        change(sockets, &FAMILY_SETTINGS, CMD_SETTINGS_SET, self.attrs()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// How the tool reports an ERANGE refusal with extack message `msg` pointing at the
    /// attribute at `offset` of request `req` to `family`.
    fn erange(msg: &str, offset: u32, req: &Attrs, family: &FamilySpec) -> String {
        let e = KernelError::new(
            -libc::ERANGE,
            ExtAck {
                msg: Some(msg.into()),
                offset: Some(offset),
                ..ExtAck::default()
            },
            req,
            family,
        );
        format!("Error: {e}")
    }
    use crate::cli::{
        parse,
        Invocation, //
    };
    use crate::genl::{
        ExtAck,
        KernelError,
        Message, //
    };
    use crate::output::{
        render,
        render_event,
        Format, //
    };
    use crate::spec::specs::rv6_shim6::*;
    use crate::spec::Kind;
    use neli::{
        consts::nl::NlmF,
        genl::{
            GenlmsghdrBuilder,
            NoUserHeader, //
        },
        nl::{
            NlPayload,
            Nlmsghdr,
            NlmsghdrBuilder, //
        },
        FromBytes,
        Size,
        ToBytes, //
    };
    use std::io::Cursor;

    /// `rv6 WORDS` as its action's Debug form, or the usage error's text.
    fn action(line: &str) -> Result<String, String> {
        match parse(line.split_whitespace()).map_err(|e| e.to_string())? {
            Invocation::Run { action, .. } => Ok(format!("{action:?}")),
            other => panic!("{line}: not a command: {other:?}"),
        }
    }

    fn ip(s: &str) -> Ipv6Addr {
        s.parse().unwrap()
    }

    const ADD_ALL: &str = "shim6 context add local-tag 0x1 peer-tag 2 ulid-local 2001:db8::1 \
                           ulid-peer 2001:db8::2 local-locators 2001:db8::1,2001:db8:2::1 \
                           peer-locators 2001:db8:2::2,2001:db8::2 pair 2001:db8:2::1 2001:db8::2 \
                           send-timeout 10000 keepalive-timeout 30000 idle-timeout 600000 \
                           fii 7";

    /// The Debug form of timeouts none of which is given.
    const NO_TIMEOUTS: &str = "Timeouts { send: None, keepalive: None, idle: None }";

    #[test]
    fn every_command_parses_to_its_action() {
        assert_eq!(
            action("shim6 context show"),
            Ok("Show { local_tag: None }".into())
        );
        assert_eq!(
            action("shim6 context show local-tag 0x2a"),
            Ok("Show { local_tag: Some(42) }".into())
        );
        assert_eq!(
            action(ADD_ALL),
            Ok("Add { local_tag: 1, peer_tag: 2, ulid_local: 2001:db8::1, \
                ulid_peer: 2001:db8::2, local_locators: [2001:db8::1, 2001:db8:2::1], \
                peer_locators: [2001:db8:2::2, 2001:db8::2], \
                pair: Some((2001:db8:2::1, 2001:db8::2)), \
                timeouts: Timeouts { send: Some(10000), keepalive: Some(30000), \
                idle: Some(600000) }, fii: Some(7) }"
                .into())
        );
        assert_eq!(
            action("shim6 context set local-tag 7 pair 2001:db8::1 2001:db8::2"),
            Ok(format!(
                "Set {{ local_tag: 7, local_locators: [], peer_locators: [], \
                 pair: Some((2001:db8::1, 2001:db8::2)), reap: None, timeouts: {NO_TIMEOUTS} }}"
            ))
        );
        assert_eq!(
            action("shim6 context set peer-locators ::2 local-tag 7 local-locators ::1"),
            Ok(format!(
                "Set {{ local_tag: 7, local_locators: [::1], peer_locators: [::2], pair: None, \
                 reap: None, timeouts: {NO_TIMEOUTS} }}"
            ))
        );
        assert_eq!(
            action(
                "shim6 context set local-tag 7 idle-timeout 100 reap exploring \
                 keepalive-timeout 86400000 send-timeout 4294967295"
            ),
            Ok(
                "Set { local_tag: 7, local_locators: [], peer_locators: [], pair: None, \
                 reap: Some(1), timeouts: Timeouts { send: Some(4294967295), \
                 keepalive: Some(86400000), idle: Some(100) } }"
                    .into()
            )
        );
        assert_eq!(
            action("shim6 context del local-tag 140737488355327"),
            Ok("Del { local_tag: 140737488355327 }".into())
        );
        assert_eq!(action("shim6 context flush"), Ok("Flush".into()));
        assert_eq!(
            action("shim6 stats"),
            Ok("Stats { family: \"rv6-shim6\", cmd: 1 }".into())
        );
        assert_eq!(action("shim6 settings show"), Ok("SettingsShow".into()));
        assert_eq!(
            action("shim6 settings set trigger off trigger-bytes 4096 trigger-seconds 3600"),
            Ok(
                "SettingsSet { trigger: Some(false), trigger_bytes: Some(4096), \
                 trigger_seconds: Some(3600) }"
                    .into()
            )
        );
        assert_eq!(
            action("shim6 settings set trigger-seconds 1 trigger on"),
            Ok("SettingsSet { trigger: Some(true), trigger_bytes: None, \
                 trigger_seconds: Some(1) }"
                .into())
        );
        assert_eq!(
            action("shim6 settings set trigger-bytes 0"),
            Ok(
                "SettingsSet { trigger: None, trigger_bytes: Some(0), trigger_seconds: None }"
                    .into()
            )
        );
    }

    #[test]
    fn defaults_and_prefixes() {
        let show = Ok("Show { local_tag: None }".to_string());
        // `rv6 shim6` lists the contexts, and so does the group alone.
        assert_eq!(action("shim6"), show);
        assert_eq!(action("shim6 context"), show);
        assert_eq!(action("sh co sh"), show);
        assert_eq!(action("sh st"), action("shim6 stats"));
        // `rv6 shim6 settings` shows them, as `settings show` does.
        let settings = Ok("SettingsShow".to_string());
        assert_eq!(action("shim6 settings"), settings);
        assert_eq!(action("sh se"), settings);
        assert_eq!(action("sh se sh"), settings);
        assert_eq!(
            action("sh se se trigger-b 10 trigger-s 5"),
            Ok("SettingsSet { trigger: None, trigger_bytes: Some(10), \
                 trigger_seconds: Some(5) }"
                .into())
        );
        assert_eq!(action("shim6 co f"), Ok("Flush".into()));
        // `c` is `context` or `cga`: a prefix of two keywords names neither.
        assert_eq!(
            action("shim6 c f"),
            Err("Error: argument \"c\" is ambiguous: it may be context, cga".into())
        );
        assert_eq!(
            action("shim6 co d l 0X10"),
            Ok("Del { local_tag: 16 }".into())
        );
        // Optional arguments left out: no locators, no pair (the kernel's
        // defaults: the ULIDs), no timeouts (the kernel's defaults).
        assert_eq!(
            action("shim6 context add local-tag 1 peer-tag 2 ulid-local ::1 ulid-peer ::2"),
            Ok(format!(
                "Add {{ local_tag: 1, peer_tag: 2, ulid_local: ::1, ulid_peer: ::2, \
                 local_locators: [], peer_locators: [], pair: None, timeouts: {NO_TIMEOUTS}, \
                 fii: None }}"
            ))
        );
        assert_eq!(
            action(
                "shim6 context add ulid-p ::2 ulid-l ::1 peer-t 2 local-t 1 pa ::1 ::2 \
                 s 1000 k 3000 i 60000"
            ),
            Ok(
                "Add { local_tag: 1, peer_tag: 2, ulid_local: ::1, ulid_peer: ::2, \
                local_locators: [], peer_locators: [], pair: Some((::1, ::2)), \
                timeouts: Timeouts { send: Some(1000), keepalive: Some(3000), \
                idle: Some(60000) }, fii: None }"
                    .into()
            )
        );
        assert_eq!(
            action("shim6 context set local-tag 1"),
            Ok(format!(
                "Set {{ local_tag: 1, local_locators: [], peer_locators: [], pair: None, \
                 reap: None, timeouts: {NO_TIMEOUTS} }}"
            ))
        );
        assert_eq!(
            action("shim6 co se local-t 1 r operational"),
            Ok(format!(
                "Set {{ local_tag: 1, local_locators: [], peer_locators: [], pair: None, \
                 reap: Some(0), timeouts: {NO_TIMEOUTS} }}"
            ))
        );
    }

    fn err(line: &str) -> String {
        action(line).unwrap_err()
    }

    #[test]
    fn bad_tags_are_named() {
        let why = "TAG must be 1 to 0x7fffffffffff (47 bits), in decimal or 0x-hex";
        for tag in [
            "0",
            "0x0",
            "140737488355328",
            "0x800000000000",
            "18446744073709551616",
            "-1",
            "+1",
            "0x",
            "1a",
            "0x-1",
            "one",
        ] {
            assert_eq!(
                err(&format!("shim6 context del local-tag {tag}")),
                format!("Error: argument \"{tag}\" is wrong: {why}")
            );
        }
        assert_eq!(
            err("shim6 context add local-tag 1 peer-tag 0x0 ulid-local ::1 ulid-peer ::2"),
            format!("Error: argument \"0x0\" is wrong: {why}")
        );
        assert_eq!(tag("0x7fffffffffff"), Ok(MAX_TAG));
        assert_eq!(tag("0X7FFFFFFFFFFF"), Ok(MAX_TAG));
        assert_eq!(tag("1"), Ok(1));
    }

    #[test]
    fn bad_addresses_are_named() {
        let add = "shim6 context add local-tag 1 peer-tag 2";
        assert_eq!(
            err(&format!("{add} ulid-local 10.0.0.1 ulid-peer ::2")),
            "Error: argument \"10.0.0.1\" is wrong: ADDR must be an IPv6 address"
        );
        assert_eq!(
            err(&format!("{add} ulid-local ::1 ulid-peer 2001:db8::/64")),
            "Error: argument \"2001:db8::/64\" is wrong: ADDR must be an IPv6 address"
        );
        assert_eq!(
            err("shim6 context set local-tag 1 pair ::1 nope"),
            "Error: argument \"nope\" is wrong: PEER must be an IPv6 address"
        );
        assert_eq!(
            err("shim6 context set local-tag 1 pair fe80::1%2 ::2"),
            "Error: argument \"fe80::1%2\" is wrong: LOCAL must be an IPv6 address"
        );
        assert_eq!(
            err("shim6 context set local-tag 1 local-locators ::1,x,::3"),
            "Error: argument \"::1,x,::3\" is wrong: \"x\" is not an IPv6 address"
        );
        assert_eq!(
            err("shim6 context set local-tag 1 peer-locators ::1,"),
            "Error: argument \"::1,\" is wrong: \"\" is not an IPv6 address"
        );
        let nine = ["::1"; 9].join(",");
        assert_eq!(
            err(&format!(
                "shim6 context set local-tag 1 local-locators {nine}"
            )),
            format!("Error: argument \"{nine}\" is wrong: a set has at most 8 locators")
        );
        let eight = ["::1"; 8].join(",");
        assert!(action(&format!(
            "shim6 context set local-tag 1 local-locators {eight}"
        ))
        .is_ok());
    }

    /// Timeouts are decimal u32s (the kernel checks their range); the REAP
    /// state is an entry of the spec's enum, spelt in full.
    #[test]
    fn bad_timeouts_and_reap_states_are_named() {
        let why = "MS must be milliseconds in decimal, at most 4294967295";
        for ms in ["", "-1", "+100", "1e3", "0x64", "4294967296", "15s", "1.5"] {
            for kw in ["send-timeout", "keepalive-timeout", "idle-timeout"] {
                let line = format!("shim6 context set local-tag 1 {kw} {ms}");
                // An empty word splits away: the keyword then lacks its value.
                let want = if ms.is_empty() {
                    format!("Error: command line is not complete: \"{kw}\" needs an MS")
                } else {
                    format!("Error: argument \"{ms}\" is wrong: {why}")
                };
                assert_eq!(err(&line), want, "{line}");
            }
        }
        assert_eq!(
            err(
                "shim6 context add local-tag 1 peer-tag 2 ulid-local ::1 ulid-peer ::2 \
                 idle-timeout ten"
            ),
            format!("Error: argument \"ten\" is wrong: {why}")
        );
        // Out of the spec's range, yet a u32: the kernel's to refuse.
        assert_eq!(ms("0"), Ok(0));
        assert_eq!(ms("99"), Ok(99));
        assert_eq!(ms("4294967295"), Ok(u32::MAX));
        let states = "REAP_STATE must be one of operational, exploring";
        for state in ["op", "Operational", "0", "1", "inbound"] {
            assert_eq!(
                err(&format!("shim6 context set local-tag 1 reap {state}")),
                format!("Error: argument \"{state}\" is wrong: {states}")
            );
        }
        assert_eq!(
            err("shim6 context set local-tag 1 reap"),
            "Error: command line is not complete: \"reap\" needs a REAP_STATE"
        );
        assert_eq!(
            err("shim6 context set local-tag 1 reap exploring reap operational"),
            "Error: duplicate \"reap\": \"operational\" is the second value."
        );
        assert_eq!(
            err("shim6 context add local-tag 1 send-timeout 1000 send-timeout 2000"),
            "Error: duplicate \"send-timeout\": \"2000\" is the second value."
        );
        // The REAP state is set's: add starts operational.
        assert_eq!(
            err(
                "shim6 context add local-tag 1 peer-tag 2 ulid-local ::1 ulid-peer ::2 \
                 reap exploring"
            ),
            "Error: argument \"reap\" is wrong: expected one of local-tag, peer-tag, \
             ulid-local, ulid-peer, local-locators, peer-locators, pair, send-timeout, \
             keepalive-timeout, idle-timeout, fii"
        );
    }

    #[test]
    fn missing_duplicate_and_stray_arguments_are_named() {
        assert_eq!(
            err("shim6 context add local-tag 1 peer-tag 2 ulid-local ::1"),
            "Error: argument \"ulid-peer\" is required"
        );
        assert_eq!(
            err("shim6 context add peer-tag 2 ulid-local ::1 ulid-peer ::2"),
            "Error: argument \"local-tag\" is required"
        );
        assert_eq!(
            err("shim6 context add local-tag 1 ulid-local ::1 ulid-peer ::2"),
            "Error: argument \"peer-tag\" is required"
        );
        assert_eq!(
            err("shim6 context add local-tag 1 peer-tag 2 ulid-peer ::2"),
            "Error: argument \"ulid-local\" is required"
        );
        assert_eq!(
            err("shim6 context set pair ::1 ::2"),
            "Error: argument \"local-tag\" is required"
        );
        assert_eq!(
            err("shim6 context del"),
            "Error: argument \"local-tag\" is required"
        );
        assert_eq!(
            err("shim6 context del local-tag 1 local-tag 2"),
            "Error: duplicate \"local-tag\": \"2\" is the second value."
        );
        assert_eq!(
            err("shim6 context set local-tag 1 pair ::1 ::2 pair ::3 ::4"),
            "Error: duplicate \"pair\": \"::3\" is the second value."
        );
        assert_eq!(
            err("shim6 context set local-tag 1 pair ::1"),
            "Error: command line is not complete: \"pair\" needs a PEER locator"
        );
        assert_eq!(
            err("shim6 context set local-tag 1 pair"),
            "Error: command line is not complete: \"pair\" needs a LOCAL and a PEER locator"
        );
        assert_eq!(
            err("shim6 context set local-tag 1 local-locators"),
            "Error: command line is not complete: \"local-locators\" needs ADDR[,ADDR...]"
        );
        assert_eq!(
            err("shim6 context show local-tag"),
            "Error: command line is not complete: \"local-tag\" needs a TAG"
        );
        assert_eq!(
            err("shim6 context add local-tag 1 ulid-local"),
            "Error: command line is not complete: \"ulid-local\" needs an ADDR"
        );
        // Keywords of another command, and prefixes of two.
        assert_eq!(
            err("shim6 context set local-tag 1 peer-tag 2"),
            "Error: argument \"peer-tag\" is wrong: expected one of local-tag, \
             local-locators, peer-locators, pair, reap, send-timeout, keepalive-timeout, \
             idle-timeout"
        );
        assert_eq!(
            err("shim6 context show peer-tag 2"),
            "Error: argument \"peer-tag\" is wrong: expected \"local-tag TAG\""
        );
        assert_eq!(
            err("shim6 context del 5"),
            "Error: argument \"5\" is wrong: expected \"local-tag TAG\""
        );
        assert_eq!(
            err("shim6 context add local 1"),
            "Error: argument \"local\" is ambiguous: it may be local-tag, local-locators"
        );
        assert_eq!(
            err("shim6 context add p 1"),
            "Error: argument \"p\" is ambiguous: it may be peer-tag, peer-locators, pair"
        );
        assert_eq!(
            err("shim6 context flush all"),
            "Error: argument \"all\" is wrong: \"rv6 shim6 context flush\" takes no arguments"
        );
        assert_eq!(
            err("shim6 stats all"),
            "Error: argument \"all\" is wrong: \"rv6 shim6 stats\" takes no arguments"
        );
        // The group's commands, and the object's, are commands of shim6.
        assert_eq!(
            err("shim6 context frob"),
            "Command \"frob\" is unknown, try \"rv6 shim6 help\"."
        );
        assert_eq!(
            err("shim6 add"),
            "Command \"add\" is unknown, try \"rv6 shim6 help\"."
        );
        assert_eq!(
            err("shim6 context s"),
            "Error: argument \"s\" is ambiguous: it may be show, set"
        );
        assert_eq!(
            err("shim6 context local-tag 1"),
            "Command \"local-tag\" is unknown, try \"rv6 shim6 help\"."
        );
        // `stats` and the `settings` group share their first letter, and
        // the group's commands theirs.
        assert_eq!(
            err("shim6 s"),
            "Error: argument \"s\" is ambiguous: it may be stats, settings"
        );
        assert_eq!(
            err("shim6 settings s trigger on"),
            "Error: argument \"s\" is ambiguous: it may be show, set"
        );
        assert_eq!(
            err("shim6 settings show trigger"),
            "Error: argument \"trigger\" is wrong: \"rv6 shim6 settings show\" takes no \
             arguments"
        );
        assert_eq!(
            err("shim6 settings add trigger on"),
            "Command \"add\" is unknown, try \"rv6 shim6 help\"."
        );
    }

    /// `settings set` takes one or more of its three settings, each once:
    /// `trigger` as `on` or `off` spelt in full, the others decimal u32s
    /// (the kernel checks `trigger-seconds`' range).
    #[test]
    fn bad_settings_are_named() {
        assert_eq!(
            err("shim6 settings set"),
            "Error: command line is not complete: \"rv6 shim6 settings set\" needs one of \
             trigger, trigger-bytes, trigger-seconds"
        );
        for value in ["1", "0", "On", "yes", "o", "enable"] {
            assert_eq!(
                err(&format!("shim6 settings set trigger {value}")),
                format!("Error: argument \"{value}\" is wrong: trigger must be on or off")
            );
        }
        assert_eq!(
            err("shim6 settings set trigger"),
            "Error: command line is not complete: \"trigger\" needs on or off"
        );
        let why = "N must be a number in decimal, at most 4294967295";
        for n in [
            "-1",
            "+60",
            "0x10",
            "4294967296",
            "60s",
            "1.5",
            "1e3",
            "many",
        ] {
            for kw in ["trigger-bytes", "trigger-seconds"] {
                let line = format!("shim6 settings set {kw} {n}");
                assert_eq!(
                    err(&line),
                    format!("Error: argument \"{n}\" is wrong: {why}"),
                    "{line}"
                );
            }
        }
        assert_eq!(
            err("shim6 settings set trigger on trigger-seconds"),
            "Error: command line is not complete: \"trigger-seconds\" needs an N"
        );
        // Out of the spec's range, yet a u32: the kernel's to refuse.
        assert_eq!(number("0"), Ok(0));
        assert_eq!(number("3601"), Ok(3601));
        assert_eq!(number("4294967295"), Ok(u32::MAX));
        assert_eq!(
            err("shim6 settings set trigger on trigger off"),
            "Error: duplicate \"trigger\": \"off\" is the second value."
        );
        assert_eq!(
            err("shim6 settings set trigger-bytes 1 trigger-b 2"),
            "Error: duplicate \"trigger-bytes\": \"2\" is the second value."
        );
        // `trigger` is exact, a shorter prefix names all three.
        assert_eq!(
            err("shim6 settings set trig on"),
            "Error: argument \"trig\" is ambiguous: it may be trigger, trigger-bytes, \
             trigger-seconds"
        );
        assert_eq!(
            err("shim6 settings set trigger- 1"),
            "Error: argument \"trigger-\" is ambiguous: it may be trigger-bytes, \
             trigger-seconds"
        );
        assert_eq!(
            err("shim6 settings set local-tag 1"),
            "Error: argument \"local-tag\" is wrong: expected one of trigger, \
             trigger-bytes, trigger-seconds"
        );
    }

    #[test]
    fn help_at_the_object_and_the_group() {
        for line in [
            "shim6 help",
            "shim6 context help",
            "sh co he",
            "shim6 hba help",
            "shim6 settings help",
        ] {
            match parse(line.split_whitespace()) {
                Ok(Invocation::Help(t)) => assert_eq!(t, OBJECT.help(), "{line}"),
                other => panic!("{line}: {other:?}"),
            }
        }
        assert_eq!(
            parse("shim6 context help me".split_whitespace())
                .unwrap_err()
                .to_string(),
            "Error: argument \"me\" is wrong: \"rv6 shim6 help\" takes no arguments"
        );
        assert_eq!(
            OBJECT.help(),
            "Usage: rv6 shim6 context show [ local-tag TAG ]\n       \
             rv6 shim6 context add local-tag TAG peer-tag TAG ulid-local ADDR ulid-peer ADDR \
             [ local-locators ADDR[,ADDR...] ] [ peer-locators ADDR[,ADDR...] ] \
             [ pair LOCAL PEER ] [ send-timeout MS ] [ keepalive-timeout MS ] \
             [ idle-timeout MS ] [ fii FII ]\n       \
             rv6 shim6 context set local-tag TAG [ local-locators ADDR[,ADDR...] ] \
             [ peer-locators ADDR[,ADDR...] ] [ pair LOCAL PEER ] [ reap REAP_STATE ] \
             [ send-timeout MS ] [ keepalive-timeout MS ] [ idle-timeout MS ]\n       \
             rv6 shim6 context del local-tag TAG\n       \
             rv6 shim6 context flush\n       \
             rv6 shim6 stats\n       \
             rv6 shim6 settings show\n       \
             rv6 shim6 settings set [ trigger { on | off } ] [ trigger-bytes N ] \
             [ trigger-seconds N ]\n       \
             rv6 shim6 cga generate prefix PREFIX [ sec SEC ] [ key FILE ] [ out FILE ]\n       \
             rv6 shim6 cga verify address ADDR params FILE\n       \
             rv6 shim6 hba generate prefixes PREFIX[,PREFIX...] [ sec SEC ] [ key FILE ] \
             [ out FILE ]\n       \
             rv6 shim6 hba verify address ADDR params FILE\n       \
             rv6 shim6 help\n\
             where  REAP_STATE := { operational | exploring }\n       \
             SEC := { 0 | 1 | 2 }\n"
        );
    }

    /// Each attribute of a request as (id, payload).
    fn sent(attrs: &Attrs) -> Vec<(u16, Vec<u8>)> {
        attrs
            .iter()
            .map(|a| (*a.nla_type().nla_type(), a.nla_payload().as_ref().to_vec()))
            .collect()
    }

    fn octets(s: &str) -> Vec<u8> {
        ip(s).octets().to_vec()
    }

    #[test]
    fn add_sends_tags_ulids_locators_in_order_and_the_pair() {
        let add = Add {
            local_tag: 1,
            peer_tag: 0x7fff_ffff_ffff,
            ulid_local: ip("2001:db8::1"),
            ulid_peer: ip("2001:db8::2"),
            local_locators: vec![ip("2001:db8::1"), ip("2001:db8:2::1"), ip("2001:db8:3::1")],
            peer_locators: vec![ip("2001:db8:2::2"), ip("2001:db8::2")],
            pair: Some((ip("2001:db8:2::1"), ip("2001:db8:2::2"))),
            timeouts: Timeouts {
                send: Some(10_000),
                keepalive: Some(30_000),
                idle: Some(600_000),
            },
            fii: Some(7),
        };
        assert_eq!(
            sent(&add.attrs().unwrap()),
            [
                (A_CONTEXT_LOCAL_TAG, 1u64.to_ne_bytes().to_vec()),
                (
                    A_CONTEXT_PEER_TAG,
                    0x7fff_ffff_ffffu64.to_ne_bytes().to_vec()
                ),
                (A_CONTEXT_ULID_LOCAL, octets("2001:db8::1")),
                (A_CONTEXT_ULID_PEER, octets("2001:db8::2")),
                (A_CONTEXT_LOCAL_LOCATOR, octets("2001:db8::1")),
                (A_CONTEXT_LOCAL_LOCATOR, octets("2001:db8:2::1")),
                (A_CONTEXT_LOCAL_LOCATOR, octets("2001:db8:3::1")),
                (A_CONTEXT_PEER_LOCATOR, octets("2001:db8:2::2")),
                (A_CONTEXT_PEER_LOCATOR, octets("2001:db8::2")),
                (A_CONTEXT_CURRENT_LOCAL, octets("2001:db8:2::1")),
                (A_CONTEXT_CURRENT_PEER, octets("2001:db8:2::2")),
                (A_CONTEXT_SEND_TIMEOUT, 10_000u32.to_ne_bytes().to_vec()),
                (
                    A_CONTEXT_KEEPALIVE_TIMEOUT,
                    30_000u32.to_ne_bytes().to_vec()
                ),
                (A_CONTEXT_IDLE_TIMEOUT, 600_000u32.to_ne_bytes().to_vec()),
                (A_CONTEXT_FII, 7u32.to_ne_bytes().to_vec()),
            ]
        );
        // One timeout given, one attribute.
        let idle = Add {
            timeouts: Timeouts {
                idle: Some(100),
                ..Timeouts::default()
            },
            fii: None,
            ..add.clone()
        };
        assert_eq!(
            sent(&idle.attrs().unwrap()).last(),
            Some(&(A_CONTEXT_IDLE_TIMEOUT, 100u32.to_ne_bytes().to_vec()))
        );
        assert_eq!(sent(&idle.attrs().unwrap()).len(), 12);
        // Without the optional arguments, only what the kernel requires.
        let bare = Add {
            local_locators: vec![],
            peer_locators: vec![],
            pair: None,
            timeouts: Timeouts::default(),
            fii: None,
            ..add
        };
        let ids: Vec<u16> = sent(&bare.attrs().unwrap()).iter().map(|a| a.0).collect();
        assert_eq!(
            ids,
            [
                A_CONTEXT_LOCAL_TAG,
                A_CONTEXT_PEER_TAG,
                A_CONTEXT_ULID_LOCAL,
                A_CONTEXT_ULID_PEER
            ]
        );
    }

    #[test]
    fn set_and_del_send_the_tag_and_what_changes() {
        let set = Set {
            local_tag: 9,
            local_locators: vec![],
            peer_locators: vec![ip("::3"), ip("::2")],
            pair: None,
            reap: None,
            timeouts: Timeouts::default(),
        };
        assert_eq!(
            sent(&set.attrs().unwrap()),
            [
                (A_CONTEXT_LOCAL_TAG, 9u64.to_ne_bytes().to_vec()),
                (A_CONTEXT_PEER_LOCATOR, octets("::3")),
                (A_CONTEXT_PEER_LOCATOR, octets("::2")),
            ]
        );
        let pair = Set {
            local_locators: vec![ip("::1")],
            peer_locators: vec![],
            pair: Some((ip("::1"), ip("::2"))),
            ..set.clone()
        };
        assert_eq!(
            sent(&pair.attrs().unwrap()),
            [
                (A_CONTEXT_LOCAL_TAG, 9u64.to_ne_bytes().to_vec()),
                (A_CONTEXT_LOCAL_LOCATOR, octets("::1")),
                (A_CONTEXT_CURRENT_LOCAL, octets("::1")),
                (A_CONTEXT_CURRENT_PEER, octets("::2")),
            ]
        );
        // The REAP state and the timeouts, as u32s after the paths, in
        // spec order.
        let reap = Set {
            reap: Some(REAP_STATE.parse("operational").unwrap()),
            timeouts: Timeouts {
                send: Some(15_000),
                keepalive: None,
                idle: Some(86_400_000),
            },
            ..set.clone()
        };
        assert_eq!(
            sent(&reap.attrs().unwrap()),
            [
                (A_CONTEXT_LOCAL_TAG, 9u64.to_ne_bytes().to_vec()),
                (A_CONTEXT_PEER_LOCATOR, octets("::3")),
                (A_CONTEXT_PEER_LOCATOR, octets("::2")),
                (A_CONTEXT_REAP_STATE, 0u32.to_ne_bytes().to_vec()),
                (A_CONTEXT_SEND_TIMEOUT, 15_000u32.to_ne_bytes().to_vec()),
                (A_CONTEXT_IDLE_TIMEOUT, 86_400_000u32.to_ne_bytes().to_vec()),
            ]
        );
        let exploring = Set {
            peer_locators: vec![],
            reap: Some(1),
            ..set
        };
        assert_eq!(
            sent(&exploring.attrs().unwrap()),
            [
                (A_CONTEXT_LOCAL_TAG, 9u64.to_ne_bytes().to_vec()),
                (A_CONTEXT_REAP_STATE, 1u32.to_ne_bytes().to_vec()),
            ]
        );
        assert_eq!(
            sent(&tag_attrs(0x2a).unwrap()),
            [(A_CONTEXT_LOCAL_TAG, 0x2au64.to_ne_bytes().to_vec())]
        );
    }

    /// A context's REAP state and timeouts, as its reply carries them.
    struct Reap {
        state: u32,
        send: u32,
        keepalive: u32,
        idle: u32,
    }

    /// The kernel's defaults, in the state a context starts in.
    const DEFAULTS: Reap = Reap {
        state: 0,
        send: 15_000,
        keepalive: 15_000,
        idle: 600_000,
    };

    /// A context-get reply as the module builds it (each u64 after a pad,
    /// then each locator set in order, then the REAP state and timeouts),
    /// through neli's wire format and back.
    fn reply(
        local_tag: u64,
        locals: &[&str],
        peers: &[&str],
        rx: u64,
        tx: u64,
        reap: &Reap,
    ) -> Message {
        let addr = |id, s: &str| attr(id, ip(s).octets()).unwrap();
        let mut attrs = vec![
            attr(A_CONTEXT_PAD, ()).unwrap(),
            attr(A_CONTEXT_LOCAL_TAG, local_tag).unwrap(),
            attr(A_CONTEXT_PAD, ()).unwrap(),
            attr(A_CONTEXT_PEER_TAG, local_tag + 1).unwrap(),
            addr(A_CONTEXT_ULID_LOCAL, locals[0]),
            addr(A_CONTEXT_ULID_PEER, peers[0]),
        ];
        attrs.extend(locals.iter().map(|a| addr(A_CONTEXT_LOCAL_LOCATOR, a)));
        attrs.extend(peers.iter().map(|a| addr(A_CONTEXT_PEER_LOCATOR, a)));
        attrs.extend([
            addr(A_CONTEXT_CURRENT_LOCAL, locals[locals.len() - 1]),
            addr(A_CONTEXT_CURRENT_PEER, peers[peers.len() - 1]),
            attr(A_CONTEXT_PAD, ()).unwrap(),
            attr(A_CONTEXT_RX_PACKETS, rx).unwrap(),
            attr(A_CONTEXT_PAD, ()).unwrap(),
            attr(A_CONTEXT_TX_PACKETS, tx).unwrap(),
            attr(A_CONTEXT_REAP_STATE, reap.state).unwrap(),
            attr(A_CONTEXT_SEND_TIMEOUT, reap.send).unwrap(),
            attr(A_CONTEXT_KEEPALIVE_TIMEOUT, reap.keepalive).unwrap(),
            attr(A_CONTEXT_IDLE_TIMEOUT, reap.idle).unwrap(),
        ]);
        message(CMD_CONTEXT_GET, NlmF::MULTI, attrs)
    }

    /// A message of command `cmd` with `attrs`, through neli's wire format
    /// and back.
    fn message(cmd: u8, flags: NlmF, attrs: Vec<Nlattr<u16, Buffer>>) -> Message {
        let genl = GenlmsghdrBuilder::<u8, u16, NoUserHeader>::default()
            .cmd(cmd)
            .version(1)
            .attrs(attrs.into_iter().collect())
            .build()
            .unwrap();
        let nl = NlmsghdrBuilder::default()
            .nl_type(0x20u16)
            .nl_flags(flags)
            .nl_payload(NlPayload::Payload(genl))
            .build()
            .unwrap();
        let mut wire = Cursor::new(vec![0; nl.padded_size()]);
        nl.to_bytes(&mut wire).unwrap();
        let back: Nlmsghdr<u16, Message> =
            Nlmsghdr::from_bytes(&mut Cursor::new(wire.into_inner())).unwrap();
        back.get_payload().unwrap().clone()
    }

    fn output() -> Output {
        let records = [
            reply(
                1,
                &["2001:db8::1", "2001:db8:2::1"],
                &["2001:db8::2", "2001:db8:2::2"],
                3,
                4,
                &DEFAULTS,
            ),
            reply(
                0x7fff_ffff_fffe,
                &["2001:db8::a"],
                &["2001:db8::b"],
                0,
                0,
                &Reap {
                    state: 1,
                    send: 3_000,
                    keepalive: 45_000,
                    idle: 100,
                },
            ),
        ]
        .iter()
        .map(|m| genl::decode(m, &FAMILY_CONTEXT).unwrap())
        .collect();
        contexts(records)
    }

    #[test]
    fn contexts_print_as_lines_in_the_words_of_add() {
        assert_eq!(
            render(&output(), Format::Text),
            "local-tag 0x1 peer-tag 0x2 ulid-local 2001:db8::1 ulid-peer 2001:db8::2 \
             local-locators 2001:db8::1,2001:db8:2::1 peer-locators 2001:db8::2,2001:db8:2::2 \
             pair 2001:db8:2::1 2001:db8:2::2 send-timeout 15000 keepalive-timeout 15000 \
             idle-timeout 600000 reap operational rx 3 tx 4\n\
             local-tag 0x7ffffffffffe peer-tag 0x7fffffffffff ulid-local 2001:db8::a \
             ulid-peer 2001:db8::b local-locators 2001:db8::a peer-locators 2001:db8::b \
             pair 2001:db8::a 2001:db8::b send-timeout 3000 keepalive-timeout 45000 \
             idle-timeout 100 reap exploring rx 0 tx 0\n"
        );
    }

    #[test]
    fn contexts_print_as_json_with_spec_keys_and_locator_arrays() {
        assert_eq!(
            render(&output(), Format::Json),
            "[{\"local-tag\":1,\"peer-tag\":2,\"ulid-local\":\"2001:db8::1\",\
             \"ulid-peer\":\"2001:db8::2\",\
             \"local-locator\":[\"2001:db8::1\",\"2001:db8:2::1\"],\
             \"peer-locator\":[\"2001:db8::2\",\"2001:db8:2::2\"],\
             \"current-local\":\"2001:db8:2::1\",\"current-peer\":\"2001:db8:2::2\",\
             \"rx-packets\":3,\"tx-packets\":4,\"reap-state\":\"operational\",\
             \"send-timeout\":15000,\"keepalive-timeout\":15000,\"idle-timeout\":600000},\
             {\"local-tag\":140737488355326,\"peer-tag\":140737488355327,\
             \"ulid-local\":\"2001:db8::a\",\"ulid-peer\":\"2001:db8::b\",\
             \"local-locator\":[\"2001:db8::a\"],\"peer-locator\":[\"2001:db8::b\"],\
             \"current-local\":\"2001:db8::a\",\"current-peer\":\"2001:db8::b\",\
             \"rx-packets\":0,\"tx-packets\":0,\"reap-state\":\"exploring\",\
             \"send-timeout\":3000,\"keepalive-timeout\":45000,\"idle-timeout\":100}]\n"
        );
    }

    /// The text line, up to its REAP state, is a `context add` command line
    /// for the same context; `set` takes the REAP state as it prints.
    #[test]
    fn the_text_line_reads_back_as_add() {
        let text = render(&output(), Format::Text);
        let line = text.lines().next().unwrap();
        let args = line.split(" reap ").next().unwrap();
        assert_eq!(
            action(&format!("shim6 context add {args}")),
            Ok("Add { local_tag: 1, peer_tag: 2, ulid_local: 2001:db8::1, \
                ulid_peer: 2001:db8::2, local_locators: [2001:db8::1, 2001:db8:2::1], \
                peer_locators: [2001:db8::2, 2001:db8:2::2], \
                pair: Some((2001:db8:2::1, 2001:db8:2::2)), \
                timeouts: Timeouts { send: Some(15000), keepalive: Some(15000), \
                idle: Some(600000) }, fii: None }"
                .into())
        );
        let second = text.lines().nth(1).unwrap();
        let state = second.split(" reap ").nth(1).unwrap().split(' ').next();
        assert_eq!(state, Some("exploring"));
        assert_eq!(
            action(&format!(
                "shim6 context set local-tag 1 reap {}",
                state.unwrap()
            )),
            Ok(format!(
                "Set {{ local_tag: 1, local_locators: [], peer_locators: [], pair: None, \
                 reap: Some(1), timeouts: {NO_TIMEOUTS} }}"
            ))
        );
        let first: Vec<&str> = line.split(' ').take(2).collect();
        assert_eq!(
            action(&format!("shim6 context show {}", first.join(" "))),
            Ok("Show { local_tag: Some(1) }".into())
        );
    }

    /// What the line does with a context lacking attributes (a newer or
    /// older module): no pair without both halves, the others as any record
    /// in their place, the REAP state then the counters last; an entry the
    /// enum lacks as its number.
    #[test]
    fn a_partial_context_prints_what_it_has() {
        let mut r = Record::default();
        r.push("local-tag", Value::U64(5));
        r.push("current-peer", Value::Str("::2".into()));
        r.push("rx-packets", Value::U64(1));
        r.push("reap-state", Value::Str("7".into()));
        r.push("flags", Value::U64(9));
        r.push("idle-timeout", Value::U64(100));
        assert_eq!(
            context_line(&r),
            "local-tag 0x5 current-peer ::2 flags 9 idle-timeout 100 reap 7 rx 1"
        );
    }

    #[test]
    fn kernel_refusals_name_the_attribute() {
        let add = Add {
            local_tag: 1,
            peer_tag: 2,
            ulid_local: ip("::1"),
            ulid_peer: ip("::2"),
            local_locators: vec![ip("::1"), ip("::3")],
            peer_locators: vec![],
            pair: None,
            timeouts: Timeouts {
                send: Some(50),
                keepalive: None,
                idle: Some(600_000),
            },
            fii: None,
        };
        let req = add.attrs().unwrap();
        // Tags of 12 bytes at 20 and 32, ULIDs of 20 at 44 and 64, the
        // locators at 84 and 104, then the timeouts of 8 at 124 and 132.
        let e = KernelError::new(
            -libc::ERANGE,
            ExtAck {
                msg: Some("a context tag is 47 bits and not 0".into()),
                offset: Some(32),
                ..ExtAck::default()
            },
            &req,
            &FAMILY_CONTEXT,
        );
        assert_eq!(
            format!("Error: {e}"),
            "Error: a context tag is 47 bits and not 0: Numerical result out of range \
             (bad attribute: peer-tag)"
        );
        let e = KernelError::new(
            -libc::E2BIG,
            ExtAck {
                msg: Some("a context has at most 8 locators per side".into()),
                offset: Some(104),
                ..ExtAck::default()
            },
            &req,
            &FAMILY_CONTEXT,
        );
        assert_eq!(
            format!("Error: {e}"),
            "Error: a context has at most 8 locators per side: Argument list too long \
             (bad attribute: local-locator)"
        );
        // rv6_shim6 checks the timeouts' range itself (a policy range holds 16 bits only),
        // with its own message and the attribute's offset.
        for (offset, name) in [(124, "send-timeout"), (132, "idle-timeout")] {
            assert_eq!(
                erange(
                    "a timeout is 100 ms to a day (86400000 ms)",
                    offset,
                    &req,
                    &FAMILY_CONTEXT
                ),
                format!(
                    "Error: a timeout is 100 ms to a day (86400000 ms): Numerical result \
                     out of range (bad attribute: {name})"
                )
            );
        }
        let e = KernelError::new(
            -libc::EINVAL,
            ExtAck {
                msg: Some("each locator set must hold its ULID".into()),
                ..ExtAck::default()
            },
            &req,
            &FAMILY_CONTEXT,
        );
        assert_eq!(
            format!("Error: {e}"),
            "Error: each locator set must hold its ULID: Invalid argument"
        );
        let e = KernelError::new(
            -libc::ENOENT,
            ExtAck {
                msg: Some("no context has this local tag".into()),
                ..ExtAck::default()
            },
            &tag_attrs(7).unwrap(),
            &FAMILY_CONTEXT,
        );
        assert_eq!(
            format!("Error: {e}"),
            "Error: no context has this local tag: No such file or directory"
        );
        let e = KernelError::new(
            -libc::EINVAL,
            ExtAck {
                miss_type: Some(A_CONTEXT_ULID_PEER.into()),
                ..ExtAck::default()
            },
            &Attrs::new(),
            &FAMILY_CONTEXT,
        );
        assert_eq!(
            format!("Error: {e}"),
            "Error: Invalid argument (missing attribute: ulid-peer)"
        );
    }

    /// The generated tables against the numbers the kernel module
    /// (net/ipv6/shim6/rv6_shim6.rs) registers.
    #[test]
    fn the_generated_tables_have_the_modules_numbers() {
        for f in [&FAMILY_CONTEXT, &FAMILY_STATS, &FAMILY_SETTINGS] {
            assert_eq!(
                (f.name, f.version, f.module),
                ("rv6-shim6", 1, Some("rv6_shim6"))
            );
        }
        assert_eq!(
            (
                CMD_STATS_GET,
                CMD_CONTEXT_GET,
                CMD_CONTEXT_ADD,
                CMD_CONTEXT_DEL,
                CMD_CONTEXT_SET,
                CMD_CONTEXT_FLUSH,
                CMD_EVENT,
                CMD_SETTINGS_GET,
                CMD_SETTINGS_SET
            ),
            (1, 2, 3, 4, 5, 6, 7, 8, 9)
        );
        // An enum by its placeholder: its entries are checked below.
        let attrs: Vec<(u16, &str, String)> = FAMILY_CONTEXT
            .attrs
            .iter()
            .map(|a| match a.kind {
                Kind::EnumU32(e) => (a.id, a.name, format!("EnumU32({})", e.meta)),
                ref k => (a.id, a.name, format!("{k:?}")),
            })
            .collect();
        let want: Vec<(u16, &str, String)> = [
            (1, "pad", "Pad"),
            (2, "local-tag", "U64"),
            (3, "peer-tag", "U64"),
            (4, "ulid-local", "Ipv6"),
            (5, "ulid-peer", "Ipv6"),
            (6, "local-locator", "Multi(Ipv6)"),
            (7, "peer-locator", "Multi(Ipv6)"),
            (8, "current-local", "Ipv6"),
            (9, "current-peer", "Ipv6"),
            (10, "rx-packets", "U64"),
            (11, "tx-packets", "U64"),
            (12, "reap-state", "EnumU32(REAP_STATE)"),
            (13, "send-timeout", "U32"),
            (14, "keepalive-timeout", "U32"),
            (15, "idle-timeout", "U32"),
            (16, "event", "EnumU32(EVENT)"),
            (17, "fii", "U32"),
        ]
        .into_iter()
        .map(|(id, name, kind)| (id, name, kind.to_string()))
        .collect();
        assert_eq!(attrs, want);
        assert!(matches!(
            FAMILY_CONTEXT.attr(A_CONTEXT_REAP_STATE).unwrap().kind,
            Kind::EnumU32(e) if std::ptr::eq(e, &REAP_STATE)
        ));
        assert!(matches!(
            FAMILY_CONTEXT.attr(A_CONTEXT_EVENT).unwrap().kind,
            Kind::EnumU32(e) if std::ptr::eq(e, &EVENT)
        ));
        assert_eq!(
            (REAP_STATE.start, REAP_STATE.entries),
            (0, &["operational", "exploring"][..])
        );
        assert_eq!(
            (EVENT.start, EVENT.entries),
            (
                1,
                &[
                    "send-timeout",
                    "keepalive",
                    "inbound",
                    "idle",
                    "unknown-tag",
                    "trigger"
                ][..]
            )
        );
        let stats: Vec<(u16, &str)> = FAMILY_STATS.attrs.iter().map(|a| (a.id, a.name)).collect();
        assert_eq!(
            stats,
            [
                (1, "pad"),
                (2, "payload-in"),
                (3, "payload-out"),
                (4, "control-in"),
                (5, "unknown-tag"),
                (6, "foreign-locator"),
                (7, "malformed"),
                (8, "out-no-context"),
                (9, "contexts"),
                (10, "events"),
                (11, "events-lost"),
                (12, "trigger-pairs"),
                (13, "triggers"),
                (14, "icmp-errors"),
                (15, "path-changes"),
                (16, "tcp-told")
            ]
        );
        assert!(FAMILY_STATS.attrs[1..]
            .iter()
            .all(|a| matches!(a.kind, Kind::U64)));
        let settings: Vec<(u16, &str, String)> = FAMILY_SETTINGS
            .attrs
            .iter()
            .map(|a| (a.id, a.name, format!("{:?}", a.kind)))
            .collect();
        let want: Vec<(u16, &str, String)> = [
            (1, "trigger", "U8"),
            (2, "trigger-bytes", "U32"),
            (3, "trigger-seconds", "U32"),
        ]
        .into_iter()
        .map(|(id, name, kind)| (id, name, kind.to_string()))
        .collect();
        assert_eq!(settings, want);
        assert_eq!((MAX_LOCATORS, MAX_CONTEXTS), (8, 1 << 20));
    }

    /// The module's `event` notifications (`notify()`: the event, then the
    /// local tag after its pad and the locators it concerns, or for
    /// `trigger` the ULID pair without a context), as `rv6
    /// monitor` reads them from the generated tables: the family has the
    /// group `events`, the notification reads by the `context` set, whose
    /// order (as for every reply) the attributes print in.
    #[test]
    fn event_notifications_print_through_the_monitor() {
        assert_eq!(
            (NOTIFICATIONS.family, NOTIFICATIONS.module),
            ("rv6-shim6", Some("rv6_shim6"))
        );
        assert_eq!(NOTIFICATIONS.groups, ["events"]);
        let list: Vec<(u8, &str)> = NOTIFICATIONS.list.iter().map(|n| (n.cmd, n.name)).collect();
        assert_eq!(list, [(CMD_EVENT, "event")]);
        assert!(std::ptr::eq(NOTIFICATIONS.list[0].set, &FAMILY_CONTEXT));
        assert!(crate::monitor::families().any(|n| std::ptr::eq(n, &NOTIFICATIONS)));
        match parse("monitor rv6-shim6".split_whitespace()) {
            Ok(Invocation::Monitor { monitor, .. }) => assert_eq!(
                format!("{monitor:?}"),
                "Monitor { all: false, named: [\"rv6-shim6\"] }"
            ),
            other => panic!("{other:?}"),
        }

        let ev = |event: &str, attrs: Vec<Nlattr<u16, Buffer>>| {
            let mut all = vec![attr(A_CONTEXT_EVENT, EVENT.parse(event).unwrap()).unwrap()];
            all.extend(attrs);
            let m = message(CMD_EVENT, NlmF::empty(), all);
            crate::monitor::event(&NOTIFICATIONS, &m).unwrap()
        };
        let unknown = ev(
            "unknown-tag",
            vec![
                attr(A_CONTEXT_PAD, ()).unwrap(),
                attr(A_CONTEXT_LOCAL_TAG, 0x1au64).unwrap(),
                attr(A_CONTEXT_LOCAL_LOCATOR, ip("2001:db8:a2::1").octets()).unwrap(),
                attr(A_CONTEXT_PEER_LOCATOR, ip("2001:db8:b2::1").octets()).unwrap(),
            ],
        );
        assert_eq!(
            render_event(&unknown, Format::Text),
            "rv6-shim6 event local-tag 26 local-locator 2001:db8:a2::1 \
             peer-locator 2001:db8:b2::1 event unknown-tag\n"
        );
        assert_eq!(
            render_event(&unknown, Format::Json),
            "{\"family\":\"rv6-shim6\",\"name\":\"event\",\"msg\":{\
             \"local-tag\":26,\"local-locator\":[\"2001:db8:a2::1\"],\
             \"peer-locator\":[\"2001:db8:b2::1\"],\"event\":\"unknown-tag\"}}\n"
        );
        let keepalive = ev(
            "keepalive",
            vec![
                attr(A_CONTEXT_PAD, ()).unwrap(),
                attr(A_CONTEXT_LOCAL_TAG, 0x1au64).unwrap(),
            ],
        );
        assert_eq!(
            render_event(&keepalive, Format::Text),
            "rv6-shim6 event local-tag 26 event keepalive\n"
        );
        // A pair worth a context: its ULIDs, no tag.
        let trigger = ev(
            "trigger",
            vec![
                attr(A_CONTEXT_ULID_LOCAL, ip("2001:db8:a1::1").octets()).unwrap(),
                attr(A_CONTEXT_ULID_PEER, ip("2001:db8:b1::1").octets()).unwrap(),
            ],
        );
        assert_eq!(
            render_event(&trigger, Format::Text),
            "rv6-shim6 event ulid-local 2001:db8:a1::1 ulid-peer 2001:db8:b1::1 event trigger\n"
        );
        assert_eq!(
            render_event(&trigger, Format::Json),
            "{\"family\":\"rv6-shim6\",\"name\":\"event\",\"msg\":{\
             \"ulid-local\":\"2001:db8:a1::1\",\"ulid-peer\":\"2001:db8:b1::1\",\
             \"event\":\"trigger\"}}\n"
        );
        // Every entry by its name; a newer one by its number.
        for (v, name) in [
            (1u32, "send-timeout"),
            (3, "inbound"),
            (4, "idle"),
            (6, "trigger"),
            (7, "7"),
            (9, "9"),
        ] {
            let m = message(
                CMD_EVENT,
                NlmF::empty(),
                vec![attr(A_CONTEXT_EVENT, v).unwrap()],
            );
            let e = crate::monitor::event(&NOTIFICATIONS, &m).unwrap();
            assert_eq!(e.msg.get("event"), Some(&Value::Str(name.into())));
        }
    }

    /// `rv6 shim6 stats` is the stats objects' command on the `stats` set:
    /// its reply prints as theirs do.
    #[test]
    fn stats_print_as_one_line_of_spec_names() {
        let attrs = FAMILY_STATS.attrs[1..]
            .iter()
            .enumerate()
            .flat_map(|(i, a)| [attr(A_STATS_PAD, ()), attr(a.id, i as u64)])
            .collect::<Result<_, _>>()
            .unwrap();
        let m = GenlmsghdrBuilder::<u8, u16, NoUserHeader>::default()
            .cmd(CMD_STATS_GET)
            .version(1)
            .attrs(attrs)
            .build()
            .unwrap();
        let out = Output::Records(vec![genl::decode(&m, &FAMILY_STATS).unwrap()]);
        assert_eq!(
            render(&out, Format::Text),
            "payload-in 0 payload-out 1 control-in 2 unknown-tag 3 foreign-locator 4 \
             malformed 5 out-no-context 6 contexts 7 events 8 events-lost 9 trigger-pairs 10 \
             triggers 11 icmp-errors 12 path-changes 13 tcp-told 14\n"
        );
        assert!(render(&out, Format::Json)
            .ends_with(",\"icmp-errors\":12,\"path-changes\":13,\"tcp-told\":14}]\n"));
        assert!(render(&out, Format::Json).starts_with("[{\"payload-in\":0,\"payload-out\":1,"));
    }

    #[test]
    fn settings_set_sends_what_is_given_in_spec_order() {
        let all = SettingsSet {
            trigger: Some(true),
            trigger_bytes: Some(2048),
            trigger_seconds: Some(60),
        };
        assert_eq!(
            sent(&all.attrs().unwrap()),
            [
                (A_SETTINGS_TRIGGER, vec![1]),
                (A_SETTINGS_TRIGGER_BYTES, 2048u32.to_ne_bytes().to_vec()),
                (A_SETTINGS_TRIGGER_SECONDS, 60u32.to_ne_bytes().to_vec()),
            ]
        );
        // `off` is a 0, and what is not given is not sent.
        let off = SettingsSet {
            trigger: Some(false),
            ..SettingsSet::default()
        };
        assert_eq!(sent(&off.attrs().unwrap()), [(A_SETTINGS_TRIGGER, vec![0])]);
        let seconds = SettingsSet {
            trigger_seconds: Some(3600),
            ..SettingsSet::default()
        };
        assert_eq!(
            sent(&seconds.attrs().unwrap()),
            [(A_SETTINGS_TRIGGER_SECONDS, 3600u32.to_ne_bytes().to_vec())]
        );
        // The command line's order does not matter.
        assert_eq!(
            action("shim6 settings set trigger-seconds 60 trigger-bytes 2048 trigger on"),
            Ok(format!("{all:?}"))
        );
    }

    /// A settings-get reply as the module builds it (`settings()`: the
    /// trigger as a u8, then the two u32s), through neli's wire format and
    /// back, as the output.
    fn settings_output(trigger: u8, bytes: u32, seconds: u32) -> Output {
        let m = message(
            CMD_SETTINGS_GET,
            NlmF::empty(),
            vec![
                attr(A_SETTINGS_TRIGGER, trigger).unwrap(),
                attr(A_SETTINGS_TRIGGER_BYTES, bytes).unwrap(),
                attr(A_SETTINGS_TRIGGER_SECONDS, seconds).unwrap(),
            ],
        );
        settings(vec![genl::decode(&m, &FAMILY_SETTINGS).unwrap()])
    }

    #[test]
    fn settings_print_as_a_line_in_the_words_of_set() {
        assert_eq!(
            render(&settings_output(1, 2048, 60), Format::Text),
            "trigger on trigger-bytes 2048 trigger-seconds 60\n"
        );
        assert_eq!(
            render(&settings_output(0, 4_294_967_295, 3600), Format::Text),
            "trigger off trigger-bytes 4294967295 trigger-seconds 3600\n"
        );
        // A value a newer module may send prints as its number.
        assert_eq!(
            render(&settings_output(2, 1, 1), Format::Text),
            "trigger 2 trigger-bytes 1 trigger-seconds 1\n"
        );
        // What the reply lacks is left out.
        let mut r = Record::default();
        r.push("trigger-seconds", Value::U64(5));
        assert_eq!(settings_line(&r), "trigger-seconds 5");
    }

    /// With -j, the spec's names and the u8 as the number it is, as every
    /// integer of every reply prints.
    #[test]
    fn settings_print_as_json_with_spec_keys_and_trigger_a_number() {
        assert_eq!(
            render(&settings_output(1, 2048, 60), Format::Json),
            "[{\"trigger\":1,\"trigger-bytes\":2048,\"trigger-seconds\":60}]\n"
        );
        assert_eq!(
            render(&settings_output(0, 0, 1), Format::JsonPretty),
            "[\n    {\n        \"trigger\": 0,\n        \"trigger-bytes\": 0,\n        \
             \"trigger-seconds\": 1\n    }\n]\n"
        );
    }

    /// The text line is a `settings set` command line for the same settings.
    #[test]
    fn the_settings_line_reads_back_as_set() {
        for (trigger, on) in [(1, true), (0, false)] {
            let text = render(&settings_output(trigger, 100, 7), Format::Text);
            assert_eq!(
                action(&format!("shim6 settings set {}", text.trim_end())),
                Ok(format!(
                    "SettingsSet {{ trigger: Some({on}), trigger_bytes: Some(100), \
                     trigger_seconds: Some(7) }}"
                ))
            );
        }
    }

    /// trigger-seconds' range is the policy's (the spec's checks), and the
    /// kernel points at the attribute.
    #[test]
    fn settings_refusals_name_the_attribute() {
        let req = SettingsSet {
            trigger: Some(true),
            trigger_bytes: Some(1),
            trigger_seconds: Some(3601),
        }
        .attrs()
        .unwrap();
        // The u8 of 8 bytes (padded) at 20, the u32s of 8 at 28 and 36.
        for (offset, name) in [
            (20, "trigger"),
            (28, "trigger-bytes"),
            (36, "trigger-seconds"),
        ] {
            assert_eq!(
                erange("integer out of range", offset, &req, &FAMILY_SETTINGS),
                format!(
                    "Error: integer out of range: Numerical result out of range \
                     (bad attribute: {name})"
                )
            );
        }
        let e = KernelError::new(-libc::EPERM, ExtAck::default(), &req, &FAMILY_SETTINGS);
        assert_eq!(format!("Error: {e}"), "Error: Operation not permitted");
    }

    /// Against the running kernel: unless rv6_shim6 is loaded here, the
    /// family is missing and the error names the module.
    #[test]
    fn a_missing_family_names_its_module() {
        let mut sockets = Sockets::new();
        if let Err(e) = sockets.genl() {
            eprintln!("skipped: no generic netlink socket here: {e}");
            return;
        }
        let show = Show { local_tag: None };
        for run in [show.run(&mut sockets), SettingsShow.run(&mut sockets)] {
            match run {
                Ok(_) => eprintln!("rv6_shim6 is loaded here"),
                Err(e) => assert_eq!(
                    e.to_string(),
                    "rv6-shim6: family not found (is rv6_shim6 loaded?)"
                ),
            }
        }
    }
}
