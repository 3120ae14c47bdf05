//! `rv6 guard`: the rules and counters of the rv6_guard module
//! (net/ipv6/netfilter/rv6_guard.rs), generic netlink family `rv6-guard`,
//! spec Documentation/netlink/specs/rv6_guard.yaml, whose tables build.rs
//! generates into [`crate::spec::specs::rv6_guard`]: two attribute sets,
//! `FAMILY_RULES` and `FAMILY_STATS`.
//!
//! ```text
//! rv6 guard show                  the namespace's rules and limits
//! rv6 guard set [ v4-mapped MODE ] [ v4-compatible MODE ] [ 6to4 MODE ]
//!         [ tcp-unspecified MODE ] [ too-many-headers MODE ]
//!         [ chain-too-long MODE ] [ max-headers N ] [ max-chain-bytes N ]
//!         [ icmp-errors { on | off } ]   (CAP_NET_ADMIN)
//! rv6 guard stats                 the namespace's counters
//! ```
//!
//! The keywords of `set` are the attributes of the `rules` set, one for
//! one, so they are read from its table: a rule takes a `MODE`, an entry of
//! the spec's enum `mode`; a limit an `N` within its type (`max-headers` a
//! u8, `max-chain-bytes` a u16); `icmp-errors`, a u8 of 1 or 0, takes `on`
//! or `off`, as shim6's `settings set trigger` does.
//!
//! The rules print in the words of `set`, which reads them back: `v4-mapped
//! drop v4-compatible drop 6to4 drop tcp-unspecified drop too-many-headers
//! drop chain-too-long drop max-headers 12 max-chain-bytes 0 icmp-errors
//! on`; their JSON is the reply's attributes, the modes by name as every
//! enum prints, `icmp-errors` the u8 it is. `stats` is
//! [`stats`](super::stats)'s.

use std::fmt;

use crate::cli::{
    keyword,
    Args,
    UsageError, //
};
use crate::error::Error;
use crate::genl::{
    attr,
    Attrs, //
};
use crate::objects::{
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
use crate::spec::specs::rv6_guard::{
    A_RULES_ICMP_ERRORS,
    CMD_RULES_GET,
    CMD_RULES_SET,
    CMD_STATS_GET,
    FAMILY_RULES,
    FAMILY_STATS,
    MODE, //
};
use crate::spec::{
    AttrSpec,
    Enum,
    Kind, //
};

pub static OBJECT: Object = Object {
    name: "guard",
    summary: "IPv6 address and header chain rules and counters (rv6_guard)",
    commands: &[
        Command {
            name: "show",
            synopsis: "",
            parse: parse_show,
        },
        Command {
            name: "set",
            synopsis: "[ v4-mapped MODE ] [ v4-compatible MODE ] [ 6to4 MODE ] \
                       [ tcp-unspecified MODE ] [ too-many-headers MODE ] \
                       [ chain-too-long MODE ] [ max-headers N ] [ max-chain-bytes N ] \
                       [ icmp-errors { on | off } ]",
            parse: parse_set,
        },
        Command {
            name: "stats",
            synopsis: "",
            parse: |args| stats::parse_stats(args, "guard", &FAMILY_STATS, CMD_STATS_GET),
        },
    ],
    default_command: "show",
    enums: &[&MODE],
};

/// `show`: a get of the namespace's rules and limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Show;

/// `set`: the rules and limits given, each with the number it is sent as
/// (a MODE's value, a limit, `icmp-errors`' 1 or 0), in spec order; at
/// least one. What is not given stays as it is.
#[derive(Clone)]
pub struct Set {
    given: Vec<(&'static AttrSpec, u32)>,
}

/// `Set { v4-mapped: 2, max-headers: 12 }`: each attribute by its name.
impl fmt::Debug for Set {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("Set");
        for (a, v) in &self.given {
            s.field(a.name, v);
        }
        s.finish()
    }
}

/// What a keyword of `set` takes, by its attribute in the spec.
enum Takes {
    /// An entry of the enum, spelt in full (a `MODE`).
    Entry(&'static Enum),
    OnOff,
    /// Decimal digits, at most this (the attribute's type's largest).
    Number(u32),
}

impl Takes {
    fn of(a: &AttrSpec) -> Takes {
        match a.kind {
            Kind::EnumU32(e) => Takes::Entry(e),
            _ if a.id == A_RULES_ICMP_ERRORS => Takes::OnOff,
            Kind::U8 => Takes::Number(u8::MAX.into()),
            Kind::U16 => Takes::Number(u16::MAX.into()),
            _ => Takes::Number(u32::MAX),
        }
    }

    /// What a keyword lacking its value needs.
    fn meta(&self) -> String {
        match self {
            Takes::Entry(e) => format!("a {}", e.meta),
            Takes::OnOff => "on or off".to_string(),
            Takes::Number(_) => "an N".to_string(),
        }
    }

    /// `arg` as it is sent; `name` is the keyword's.
    fn parse(&self, arg: &str, name: &str) -> Result<u32, UsageError> {
        let wrong = |why: String| UsageError::Wrong {
            arg: arg.to_string(),
            why,
        };
        match (self, arg) {
            (Takes::Entry(e), _) => e.parse(arg),
            (Takes::OnOff, "on") => Ok(1),
            (Takes::OnOff, "off") => Ok(0),
            (Takes::OnOff, _) => Err(wrong(format!("{name} must be on or off"))),
            (Takes::Number(max), _) => match arg.parse() {
                Ok(n) if n <= *max && arg.chars().all(|c| c.is_ascii_digit()) => Ok(n),
                _ => Err(wrong(format!(
                    "N must be a number in decimal, at most {max}"
                ))),
            },
        }
    }
}

fn parse_show(args: &mut Args) -> Result<Box<dyn Action>, UsageError> {
    args.finish("\"rv6 guard show\" takes no arguments")?;
    Ok(Box::new(Show))
}

fn parse_set(args: &mut Args) -> Result<Box<dyn Action>, UsageError> {
    Ok(Box::new(set_args(args)?))
}

/// The `rules` set's attributes and their values, in any order, each at
/// most once, and at least one of them.
fn set_args(args: &mut Args) -> Result<Set, UsageError> {
    let names: Vec<&'static str> = FAMILY_RULES.attrs.iter().map(|a| a.name).collect();
    let mut given: Vec<(&'static AttrSpec, u32)> = Vec::new();
    while let Some(arg) = args.next() {
        let Some(a) =
            keyword(&arg, &names)?.and_then(|kw| FAMILY_RULES.attrs.iter().find(|a| a.name == kw))
        else {
            return Err(UsageError::Wrong {
                arg,
                why: format!("expected one of {}", names.join(", ")),
            });
        };
        let takes = Takes::of(a);
        let value = args.value(&arg, &takes.meta())?;
        if given.iter().any(|(g, _)| g.id == a.id) {
            return Err(UsageError::Duplicate {
                keyword: a.name,
                arg: value,
            });
        }
        given.push((a, takes.parse(&value, a.name)?));
    }
    if given.is_empty() {
        return Err(UsageError::Incomplete {
            keyword: "rv6 guard set".to_string(),
            meta: format!("one of {}", names.join(", ")),
        });
    }
    given.sort_by_key(|(a, _)| a.id);
    Ok(Set { given })
}

impl Set {
    /// The values given, in spec order, each in its attribute's type
    /// (within it: [`Takes::parse`] checked).
    fn attrs(&self) -> Result<Attrs, Error> {
        self.given
            .iter()
            .map(|&(a, v)| match a.kind {
                Kind::U8 => attr(a.id, v as u8),
                Kind::U16 => attr(a.id, v as u16),
                _ => attr(a.id, v),
            })
            .collect()
    }
}

/// The rules in the words of `set`: the modes by name, as every enum
/// prints, and `icmp-errors` as `on` or `off` (another value, from a newer
/// module, as its number).
fn rules_line(r: &Record) -> String {
    let mut words = Vec::new();
    for (key, value) in r.fields() {
        let on_off = match (*key, value) {
            ("icmp-errors", Value::U64(1)) => Some("on"),
            ("icmp-errors", Value::U64(0)) => Some("off"),
            _ => None,
        };
        match on_off {
            Some(word) => words.extend([key.to_string(), word.to_string()]),
            None => field_words(key, value, &mut words),
        }
    }
    words.join(" ")
}

/// Rules as records (the spec's names, `icmp-errors` a number, for JSON)
/// and as text lines.
fn rules(records: Vec<Record>) -> Output {
    let lines = records.iter().map(rules_line).collect();
    Output::Worded { records, lines }
}

impl Action for Show {
    fn run(&self, sockets: &mut Sockets) -> Result<Output, Error> {
        Ok(rules(stats::get(sockets, &FAMILY_RULES, CMD_RULES_GET)?))
    }
}

impl Action for Set {
    fn run(&self, sockets: &mut Sockets) -> Result<Output, Error> {
        let nl = sockets.genl()?;
        let family = nl.resolve(&FAMILY_RULES)?;
        nl.request(&family, CMD_RULES_SET, self.attrs()?)?;
        Ok(Output::Nothing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::genl::{
        self,
        ExtAck,
        KernelError, //
    };
    use crate::objects::stats::tests::{
        action,
        reply,
        wire, //
    };
    use crate::output::{
        render,
        Format, //
    };
    use crate::spec::specs::rv6_guard::*;
    use neli::{
        genl::Nlattr,
        types::Buffer, //
    };

    fn err(line: &str) -> String {
        action(line).unwrap_err()
    }

    /// Every rule and limit, as `show` prints the module's defaults.
    const DEFAULTS: &str = "v4-mapped drop v4-compatible drop 6to4 drop tcp-unspecified drop \
                            too-many-headers drop chain-too-long drop max-headers 12 \
                            max-chain-bytes 0 icmp-errors on";

    #[test]
    fn every_command_parses_to_its_action() {
        assert_eq!(action("guard show"), Ok("Show".into()));
        assert_eq!(
            action(&format!("guard set {DEFAULTS}")),
            Ok(
                "Set { v4-mapped: 2, v4-compatible: 2, 6to4: 2, tcp-unspecified: 2, \
                too-many-headers: 2, chain-too-long: 2, max-headers: 12, \
                max-chain-bytes: 0, icmp-errors: 1 }"
                    .into()
            )
        );
        assert_eq!(
            action("guard set icmp-errors off 6to4 count v4-mapped off"),
            Ok("Set { v4-mapped: 0, 6to4: 1, icmp-errors: 0 }".into())
        );
        assert_eq!(
            action("guard set max-headers 0 max-chain-bytes 65535"),
            Ok("Set { max-headers: 0, max-chain-bytes: 65535 }".into())
        );
        assert_eq!(
            action("guard set max-headers 255"),
            Ok("Set { max-headers: 255 }".into())
        );
        assert_eq!(
            action("guard stats"),
            Ok("Stats { family: \"rv6-guard\", cmd: 1 }".into())
        );
    }

    #[test]
    fn defaults_and_prefixes() {
        // `rv6 guard` shows the rules.
        assert_eq!(action("guard"), Ok("Show".into()));
        assert_eq!(action("gu sh"), Ok("Show".into()));
        assert_eq!(action("g st"), action("guard stats"));
        assert_eq!(
            action(
                "g se v4-m count v4-c drop 6 off tc count to drop ch count max-h 8 max-c 5 i off"
            ),
            action(
                "guard set v4-mapped count v4-compatible drop 6to4 off tcp-unspecified count \
                 too-many-headers drop chain-too-long count max-headers 8 max-chain-bytes 5 \
                 icmp-errors off"
            )
        );
        assert_eq!(
            err("guard s"),
            "Error: argument \"s\" is ambiguous: it may be show, set, stats"
        );
        for (arg, candidates) in [
            ("v4", "v4-mapped, v4-compatible"),
            ("t", "tcp-unspecified, too-many-headers"),
            ("max", "max-headers, max-chain-bytes"),
        ] {
            assert_eq!(
                err(&format!("guard set {arg} drop")),
                format!("Error: argument \"{arg}\" is ambiguous: it may be {candidates}")
            );
        }
    }

    /// A MODE and on/off are spelt in full; N is decimal within its
    /// attribute's type: 0 to 255 for max-headers, 0 to 65535 for
    /// max-chain-bytes.
    #[test]
    fn bad_values_are_named() {
        let modes = "MODE must be one of off, count, drop";
        for mode in ["dr", "Drop", "2", "on", "none"] {
            for kw in ["v4-mapped", "6to4", "chain-too-long"] {
                assert_eq!(
                    err(&format!("guard set {kw} {mode}")),
                    format!("Error: argument \"{mode}\" is wrong: {modes}")
                );
            }
        }
        for n in ["256", "-1", "+1", "0x10", "1e2", "twelve", "4294967296"] {
            assert_eq!(
                err(&format!("guard set max-headers {n}")),
                format!(
                    "Error: argument \"{n}\" is wrong: N must be a number in decimal, at most 255"
                )
            );
        }
        for n in ["65536", "-1", "1.5", "0x100"] {
            assert_eq!(
                err(&format!("guard set max-chain-bytes {n}")),
                format!(
                    "Error: argument \"{n}\" is wrong: N must be a number in decimal, \
                     at most 65535"
                )
            );
        }
        for v in ["1", "0", "yes", "o"] {
            assert_eq!(
                err(&format!("guard set icmp-errors {v}")),
                format!("Error: argument \"{v}\" is wrong: icmp-errors must be on or off")
            );
        }
    }

    #[test]
    fn missing_duplicate_and_stray_arguments_are_named() {
        let all = "v4-mapped, v4-compatible, 6to4, tcp-unspecified, too-many-headers, \
                   chain-too-long, max-headers, max-chain-bytes, icmp-errors";
        assert_eq!(
            err("guard set"),
            format!("Error: command line is not complete: \"rv6 guard set\" needs one of {all}")
        );
        assert_eq!(
            err("guard set drop"),
            format!("Error: argument \"drop\" is wrong: expected one of {all}")
        );
        assert_eq!(
            err("guard set tcp-unspecified"),
            "Error: command line is not complete: \"tcp-unspecified\" needs a MODE"
        );
        assert_eq!(
            err("guard set max-h"),
            "Error: command line is not complete: \"max-h\" needs an N"
        );
        assert_eq!(
            err("guard set icmp-errors"),
            "Error: command line is not complete: \"icmp-errors\" needs on or off"
        );
        assert_eq!(
            err("guard set 6to4 drop max-headers 3 6to4 count"),
            "Error: duplicate \"6to4\": \"count\" is the second value."
        );
        // A prefix is the same keyword.
        assert_eq!(
            err("guard set icmp-errors on i off"),
            "Error: duplicate \"icmp-errors\": \"off\" is the second value."
        );
        assert_eq!(
            err("guard show all"),
            "Error: argument \"all\" is wrong: \"rv6 guard show\" takes no arguments"
        );
        assert_eq!(
            err("guard stats all"),
            "Error: argument \"all\" is wrong: \"rv6 guard stats\" takes no arguments"
        );
        assert_eq!(
            err("guard flush"),
            "Command \"flush\" is unknown, try \"rv6 guard help\"."
        );
    }

    /// `set` with `args`.
    fn set(args: &str) -> Set {
        set_args(&mut Args::new(args.split_whitespace())).unwrap()
    }

    /// The attributes `attrs`, as a request carries them.
    fn request(attrs: Vec<Result<Nlattr<u16, Buffer>, Error>>) -> Attrs {
        attrs.into_iter().collect::<Result<_, _>>().unwrap()
    }

    /// Modes are u32s, max-headers and icmp-errors u8s, max-chain-bytes a
    /// u16, as the spec types them and the module's policy checks; what is
    /// not given is not sent.
    #[test]
    fn set_sends_what_is_given_in_spec_order_and_type() {
        assert_eq!(
            set(DEFAULTS).attrs().unwrap(),
            request(vec![
                attr(A_RULES_V4_MAPPED, 2u32),
                attr(A_RULES_V4_COMPATIBLE, 2u32),
                attr(A_RULES_6TO4, 2u32),
                attr(A_RULES_TCP_UNSPECIFIED, 2u32),
                attr(A_RULES_TOO_MANY_HEADERS, 2u32),
                attr(A_RULES_CHAIN_TOO_LONG, 2u32),
                attr(A_RULES_MAX_HEADERS, 12u8),
                attr(A_RULES_MAX_CHAIN_BYTES, 0u16),
                attr(A_RULES_ICMP_ERRORS, 1u8),
            ])
        );
        // The command line's order does not matter.
        assert_eq!(
            set("icmp-errors off max-chain-bytes 65535 max-headers 255 v4-compatible count")
                .attrs()
                .unwrap(),
            request(vec![
                attr(A_RULES_V4_COMPATIBLE, 1u32),
                attr(A_RULES_MAX_HEADERS, 255u8),
                attr(A_RULES_MAX_CHAIN_BYTES, 65535u16),
                attr(A_RULES_ICMP_ERRORS, 0u8),
            ])
        );
        assert_eq!(
            set("tcp-unspecified off").attrs().unwrap(),
            request(vec![attr(A_RULES_TCP_UNSPECIFIED, 0u32)])
        );
    }

    /// A rules-get reply as the module builds it (the modes as u32s, then
    /// the u8, the u16 and the u8), through neli's wire format and back, as
    /// the output.
    fn rules_output(modes: [u32; 6], max_headers: u8, max_chain_bytes: u16, icmp: u8) -> Output {
        let ids = [
            A_RULES_V4_MAPPED,
            A_RULES_V4_COMPATIBLE,
            A_RULES_6TO4,
            A_RULES_TCP_UNSPECIFIED,
            A_RULES_TOO_MANY_HEADERS,
            A_RULES_CHAIN_TOO_LONG,
        ];
        let mut attrs: Vec<_> = ids
            .iter()
            .zip(modes)
            .map(|(&id, m)| attr(id, m).unwrap())
            .collect();
        attrs.push(attr(A_RULES_MAX_HEADERS, max_headers).unwrap());
        attrs.push(attr(A_RULES_MAX_CHAIN_BYTES, max_chain_bytes).unwrap());
        attrs.push(attr(A_RULES_ICMP_ERRORS, icmp).unwrap());
        let m = wire(CMD_RULES_GET, attrs);
        rules(vec![genl::decode(&m, &FAMILY_RULES).unwrap()])
    }

    #[test]
    fn rules_print_as_a_line_in_the_words_of_set() {
        assert_eq!(
            render(&rules_output([2; 6], 12, 0, 1), Format::Text),
            format!("{DEFAULTS}\n")
        );
        assert_eq!(
            render(
                &rules_output([0, 1, 2, 0, 1, 2], 255, 65535, 0),
                Format::Text
            ),
            "v4-mapped off v4-compatible count 6to4 drop tcp-unspecified off \
             too-many-headers count chain-too-long drop max-headers 255 \
             max-chain-bytes 65535 icmp-errors off\n"
        );
        // Values a newer module may send print as their numbers.
        assert_eq!(
            render(&rules_output([3, 2, 2, 2, 2, 2], 12, 0, 2), Format::Text),
            "v4-mapped 3 v4-compatible drop 6to4 drop tcp-unspecified drop \
             too-many-headers drop chain-too-long drop max-headers 12 \
             max-chain-bytes 0 icmp-errors 2\n"
        );
        // What the reply lacks is left out.
        let mut r = Record::default();
        r.push("max-headers", Value::U64(5));
        r.push("icmp-errors", Value::U64(0));
        assert_eq!(rules_line(&r), "max-headers 5 icmp-errors off");
    }

    /// With -j, the spec's names, the modes by name and icmp-errors the
    /// number it is, as every enum and integer of every reply prints.
    #[test]
    fn rules_print_as_json_with_spec_keys() {
        assert_eq!(
            render(&rules_output([2; 6], 12, 0, 1), Format::Json),
            "[{\"v4-mapped\":\"drop\",\"v4-compatible\":\"drop\",\"6to4\":\"drop\",\
             \"tcp-unspecified\":\"drop\",\"too-many-headers\":\"drop\",\
             \"chain-too-long\":\"drop\",\"max-headers\":12,\"max-chain-bytes\":0,\
             \"icmp-errors\":1}]\n"
        );
        assert!(
            render(&rules_output([1; 6], 0, 1280, 0), Format::JsonPretty).starts_with(
                "[\n    {\n        \"v4-mapped\": \"count\",\n        \"v4-compatible\": \"count\",\n"
            )
        );
    }

    /// The text line is a `set` command line for the same rules.
    #[test]
    fn the_rules_line_reads_back_as_set() {
        for (modes, max_headers, max_chain_bytes, icmp) in [
            ([2; 6], 12, 0, 1),
            ([0, 1, 2, 1, 0, 2], 0, 65535, 0),
            ([1; 6], 255, 40, 1),
        ] {
            let text = render(
                &rules_output(modes, max_headers, max_chain_bytes, icmp),
                Format::Text,
            );
            let mut want = modes
                .iter()
                .zip(&FAMILY_RULES.attrs[..6])
                .map(|(m, a)| format!("{}: {m}", a.name))
                .collect::<Vec<_>>();
            want.extend([
                format!("max-headers: {max_headers}"),
                format!("max-chain-bytes: {max_chain_bytes}"),
                format!("icmp-errors: {icmp}"),
            ]);
            assert_eq!(
                action(&format!("guard set {}", text.trim_end())),
                Ok(format!("Set {{ {} }}", want.join(", ")))
            );
        }
    }

    /// `rv6 guard stats` is the stats objects' command on the `stats` set:
    /// its reply prints as theirs do.
    #[test]
    fn stats_print_as_one_line_of_spec_names() {
        let out = Output::Records(vec![
            genl::decode(&reply(&FAMILY_STATS), &FAMILY_STATS).unwrap()
        ]);
        assert_eq!(
            render(&out, Format::Text),
            "v4-mapped-dropped 0 v4-mapped-counted 10 v4-compatible-dropped 20 \
             v4-compatible-counted 30 6to4-dropped 40 6to4-counted 50 \
             tcp-unspecified-dropped 60 tcp-unspecified-counted 70 \
             too-many-headers-dropped 80 too-many-headers-counted 90 \
             chain-too-long-dropped 100 chain-too-long-counted 110 at-source 120 \
             at-destination 130 at-home-address 140 at-routing 150 at-inner 160 \
             icmp-errors 170 truncated 180 copied 190\n"
        );
        assert!(render(&out, Format::Json)
            .starts_with("[{\"v4-mapped-dropped\":0,\"v4-mapped-counted\":10,"));
        assert!(render(&out, Format::Json)
            .ends_with(",\"icmp-errors\":170,\"truncated\":180,\"copied\":190}]\n"));
    }

    /// The generated tables against the module's numbering: the operations
    /// 1 to 3, the rules from 1 with their types, and the counters after
    /// pad 1, all u64s; `set`'s synopsis names the rules in spec order.
    #[test]
    fn the_generated_tables_have_the_modules_numbers() {
        assert_eq!(
            (FAMILY_RULES.name, FAMILY_RULES.version, FAMILY_RULES.module),
            ("rv6-guard", 1, Some("rv6_guard"))
        );
        assert_eq!(
            (FAMILY_STATS.name, FAMILY_STATS.version, FAMILY_STATS.module),
            ("rv6-guard", 1, Some("rv6_guard"))
        );
        assert_eq!((CMD_STATS_GET, CMD_RULES_GET, CMD_RULES_SET), (1, 2, 3));
        let rules: Vec<(u16, &str, String)> = FAMILY_RULES
            .attrs
            .iter()
            .map(|a| (a.id, a.name, format!("{:?}", a.kind)))
            .collect();
        let mode =
            "EnumU32(Enum { meta: \"MODE\", start: 0, entries: [\"off\", \"count\", \"drop\"] })";
        let want: Vec<(u16, &str, String)> = [
            (1, "v4-mapped", mode),
            (2, "v4-compatible", mode),
            (3, "6to4", mode),
            (4, "tcp-unspecified", mode),
            (5, "too-many-headers", mode),
            (6, "chain-too-long", mode),
            (7, "max-headers", "U8"),
            (8, "max-chain-bytes", "U16"),
            (9, "icmp-errors", "U8"),
        ]
        .into_iter()
        .map(|(id, name, kind)| (id, name, kind.to_string()))
        .collect();
        assert_eq!(rules, want);
        let (pad, counters) = FAMILY_STATS.attrs.split_first().unwrap();
        assert_eq!((pad.id, pad.name), (A_STATS_PAD, "pad"));
        for (i, a) in counters.iter().enumerate() {
            assert_eq!(a.id as usize, 2 + i, "{}", a.name);
            assert!(matches!(a.kind, Kind::U64), "{}", a.name);
        }
        assert_eq!(A_STATS_COPIED, 21);
        let synopsis = OBJECT.commands[1].synopsis;
        let keywords: Vec<&str> = synopsis
            .split(" [ ")
            .map(|s| s.trim_start_matches("[ ").split(' ').next().unwrap())
            .collect();
        let names: Vec<&str> = FAMILY_RULES.attrs.iter().map(|a| a.name).collect();
        assert_eq!(keywords, names);
    }

    /// The ranges are the types': whatever else the module refuses, it
    /// points at the attribute, which the error names.
    #[test]
    fn refusals_name_the_attribute() {
        let req = set(DEFAULTS).attrs().unwrap();
        // Each attribute takes 8 bytes (4 of header, the payload padded to
        // 4), from offset 20.
        for (i, a) in FAMILY_RULES.attrs.iter().enumerate() {
            let e = KernelError::new(
                -libc::EINVAL,
                ExtAck {
                    offset: Some(20 + 8 * i as u32),
                    ..ExtAck::default()
                },
                &req,
                &FAMILY_RULES,
            );
            assert_eq!(
                format!("Error: {e}"),
                format!("Error: Invalid argument (bad attribute: {})", a.name)
            );
        }
        let e = KernelError::new(-libc::EPERM, ExtAck::default(), &req, &FAMILY_RULES);
        assert_eq!(format!("Error: {e}"), "Error: Operation not permitted");
    }
}
