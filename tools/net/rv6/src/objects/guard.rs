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
//! `show` and `set` are [`settings`](super::settings)' on the `rules` set:
//! its keywords are the set's attributes, one for one; a rule takes a
//! `MODE`, an entry of the spec's enum `mode`; a limit an `N` within its
//! type (`max-headers` a u8, `max-chain-bytes` a u16); `icmp-errors`, a
//! switch, takes `on` or `off`, as shim6's `settings set trigger` does.
//!
//! The rules print in the words of `set`, which reads them back: `v4-mapped
//! drop v4-compatible drop 6to4 drop tcp-unspecified drop too-many-headers
//! drop chain-too-long drop max-headers 12 max-chain-bytes 0 icmp-errors
//! on`; their JSON is the reply's attributes, the modes by name as every
//! enum prints, `icmp-errors` the u8 it is. `stats` is
//! [`stats`](super::stats)'s.

use crate::objects::settings::{
    self,
    Settings, //
};
use crate::objects::Object;
use crate::spec::specs::rv6_guard::{
    A_RULES_ICMP_ERRORS,
    CMD_RULES_GET,
    CMD_RULES_SET,
    CMD_STATS_GET,
    FAMILY_RULES,
    FAMILY_STATS,
    MODE, //
};

pub static OBJECT: Object = Object {
    name: "guard",
    summary: "IPv6 address and header chain rules and counters (rv6_guard)",
    commands: settings::commands!(
        RULES,
        "[ v4-mapped MODE ] [ v4-compatible MODE ] [ 6to4 MODE ] \
         [ tcp-unspecified MODE ] [ too-many-headers MODE ] \
         [ chain-too-long MODE ] [ max-headers N ] [ max-chain-bytes N ] \
         [ icmp-errors { on | off } ]"
    ),
    default_command: "show",
    enums: &[&MODE],
};

/// The rules and limits: the set `rules`, whose modes are enums and whose
/// limits take any value of their types; `icmp-errors` is a switch.
pub static RULES: Settings = Settings {
    object: "guard",
    family: &FAMILY_RULES,
    get_cmd: CMD_RULES_GET,
    set_cmd: CMD_RULES_SET,
    stats: &FAMILY_STATS,
    stats_cmd: CMD_STATS_GET,
    switches: &[A_RULES_ICMP_ERRORS],
    bounds: &[],
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::genl::attr;
    use crate::objects::settings::tests::{
        assert_tables,
        request,
        sent,
        shown, //
    };
    use crate::objects::stats::tests::{
        action,
        err,
        output, //
    };
    use crate::output::{
        render,
        Format,
        Output,
        Record,
        Value, //
    };
    use crate::spec::specs::rv6_guard::*;

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

    /// Modes are u32s, max-headers and icmp-errors u8s, max-chain-bytes a
    /// u16, as the spec types them and the module's policy checks; what is
    /// not given is not sent.
    #[test]
    fn set_sends_what_is_given_in_spec_order_and_type() {
        assert_eq!(
            sent(&RULES, DEFAULTS),
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
            sent(
                &RULES,
                "icmp-errors off max-chain-bytes 65535 max-headers 255 v4-compatible count"
            ),
            request(vec![
                attr(A_RULES_V4_COMPATIBLE, 1u32),
                attr(A_RULES_MAX_HEADERS, 255u8),
                attr(A_RULES_MAX_CHAIN_BYTES, 65535u16),
                attr(A_RULES_ICMP_ERRORS, 0u8),
            ])
        );
        assert_eq!(
            sent(&RULES, "tcp-unspecified off"),
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
        let mut attrs: Vec<_> = ids.iter().zip(modes).map(|(&id, m)| attr(id, m)).collect();
        attrs.push(attr(A_RULES_MAX_HEADERS, max_headers));
        attrs.push(attr(A_RULES_MAX_CHAIN_BYTES, max_chain_bytes));
        attrs.push(attr(A_RULES_ICMP_ERRORS, icmp));
        shown(&RULES, request(attrs))
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
        assert_eq!(RULES.line(&r), "max-headers 5 icmp-errors off");
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

    /// `rv6 guard stats` is the stats objects' command on the `stats` set:
    /// its reply prints as theirs do.
    #[test]
    fn stats_print_as_one_line_of_spec_names() {
        let out = output(&FAMILY_STATS);
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
    /// pad 1, all u64s.
    #[test]
    fn the_generated_tables_have_the_modules_numbers() {
        assert_eq!((CMD_STATS_GET, CMD_RULES_GET, CMD_RULES_SET), (1, 2, 3));
        let mode =
            "EnumU32(Enum { meta: \"MODE\", start: 0, entries: [\"off\", \"count\", \"drop\"] })";
        assert_tables(
            &RULES,
            "rv6_guard",
            &[
                (1, "v4-mapped", mode),
                (2, "v4-compatible", mode),
                (3, "6to4", mode),
                (4, "tcp-unspecified", mode),
                (5, "too-many-headers", mode),
                (6, "chain-too-long", mode),
                (7, "max-headers", "U8"),
                (8, "max-chain-bytes", "U16"),
                (9, "icmp-errors", "U8"),
            ],
        );
        assert_eq!((A_STATS_PAD, A_STATS_COPIED), (1, 21));
    }
}
