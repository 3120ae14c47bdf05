//! `rv6 ninfo`: the settings and counters of the rv6_ninfo module
//! (net/ipv6/ni/rv6_ninfo.rs), an RFC 4620 Node Information responder;
//! generic netlink family `rv6-ninfo`, spec
//! Documentation/netlink/specs/rv6_ninfo.yaml, whose tables build.rs
//! generates into [`crate::spec::specs::rv6_ninfo`]: two attribute sets,
//! `FAMILY_SETTINGS` and `FAMILY_STATS`.
//!
//! ```text
//! rv6 ninfo show                  the namespace's settings
//! rv6 ninfo set [ querier-scope SCOPE ] [ refuse-with-reply { on | off } ]
//!         [ noop { on | off } ] [ node-name { on | off } ]
//!         [ node-addresses { on | off } ] [ ipv4-addresses { on | off } ]
//!         [ privacy-addresses { on | off } ] [ max-reply-len N ] [ rate N ]
//!         [ burst N ] [ name NAME ]        (CAP_NET_ADMIN)
//! rv6 ninfo stats                 the namespace's counters
//! ```
//!
//! `show` and `set` are [`settings`](super::settings)' on the `settings`
//! set: its keywords are the set's attributes, one for one; `querier-scope`
//! takes a `SCOPE`, an entry of the spec's enum `scope`; the six u8s are
//! switches, `on` or `off`; `max-reply-len` an `N` from 32 to 1240, `rate`
//! one of a u16, `burst` one from 1 to 10000, as the spec checks them;
//! `name` a `NAME` of at most 255 bytes, empty (`name ""`) for the host's.
//!
//! The settings print in the words of `set`, which reads them back:
//! `querier-scope link-local refuse-with-reply off noop on node-name on
//! node-addresses on ipv4-addresses on privacy-addresses off max-reply-len
//! 1240 rate 10 burst 10 name ""`; their JSON is the reply's attributes,
//! the scope by name as every enum prints, the switches the u8s they are.
//! `stats` is [`stats`](super::stats)'s.

use crate::objects::settings::{
    self,
    Bound,
    Settings, //
};
use crate::objects::Object;
use crate::spec::specs::rv6_ninfo::{
    A_SETTINGS_BURST,
    A_SETTINGS_IPV4_ADDRESSES,
    A_SETTINGS_MAX_REPLY_LEN,
    A_SETTINGS_NAME,
    A_SETTINGS_NODE_ADDRESSES,
    A_SETTINGS_NODE_NAME,
    A_SETTINGS_NOOP,
    A_SETTINGS_PRIVACY_ADDRESSES,
    A_SETTINGS_REFUSE_WITH_REPLY,
    CMD_SETTINGS_GET,
    CMD_SETTINGS_SET,
    CMD_STATS_GET,
    FAMILY_SETTINGS,
    FAMILY_STATS,
    SCOPE, //
};

pub static OBJECT: Object = Object {
    name: "ninfo",
    summary: "Node Information Queries responder settings and counters (rv6_ninfo)",
    commands: settings::commands!(
        SETTINGS,
        "[ querier-scope SCOPE ] [ refuse-with-reply { on | off } ] \
         [ noop { on | off } ] [ node-name { on | off } ] \
         [ node-addresses { on | off } ] [ ipv4-addresses { on | off } ] \
         [ privacy-addresses { on | off } ] [ max-reply-len N ] [ rate N ] \
         [ burst N ] [ name NAME ]"
    ),
    default_command: "show",
    enums: &[&SCOPE],
};

/// The settings: the set `settings`, whose u8s are switches and whose
/// limits and name the spec checks.
pub static SETTINGS: Settings = Settings {
    object: "ninfo",
    family: &FAMILY_SETTINGS,
    get_cmd: CMD_SETTINGS_GET,
    set_cmd: CMD_SETTINGS_SET,
    stats: &FAMILY_STATS,
    stats_cmd: CMD_STATS_GET,
    switches: &[
        A_SETTINGS_REFUSE_WITH_REPLY,
        A_SETTINGS_NOOP,
        A_SETTINGS_NODE_NAME,
        A_SETTINGS_NODE_ADDRESSES,
        A_SETTINGS_IPV4_ADDRESSES,
        A_SETTINGS_PRIVACY_ADDRESSES,
    ],
    bounds: &[
        Bound {
            id: A_SETTINGS_MAX_REPLY_LEN,
            min: 32,
            max: 1240,
        },
        Bound {
            id: A_SETTINGS_BURST,
            min: 1,
            max: 10000,
        },
        Bound {
            id: A_SETTINGS_NAME,
            min: 0,
            max: 255,
        },
    ],
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Args;
    use crate::genl::{
        attr,
        ExtAck,
        KernelError, //
    };
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
    use crate::spec::specs::rv6_ninfo::*;

    /// Every setting, as `show` prints the module's defaults but for the
    /// name (which `show` prints as `name ""`, the host's).
    const DEFAULTS: &str = "querier-scope link-local refuse-with-reply off noop on node-name on \
                            node-addresses on ipv4-addresses on privacy-addresses off \
                            max-reply-len 1240 rate 10 burst 10";

    /// The switches, in spec order.
    const SWITCHES: [&str; 6] = [
        "refuse-with-reply",
        "noop",
        "node-name",
        "node-addresses",
        "ipv4-addresses",
        "privacy-addresses",
    ];

    const ALL: &str = "querier-scope, refuse-with-reply, noop, node-name, node-addresses, \
                       ipv4-addresses, privacy-addresses, max-reply-len, rate, burst, name";

    #[test]
    fn every_command_parses_to_its_action() {
        assert_eq!(action("ninfo show"), Ok("Show".into()));
        assert_eq!(
            action(&format!("ninfo set {DEFAULTS} name node.example.")),
            Ok(
                "Set { querier-scope: 1, refuse-with-reply: 0, noop: 1, node-name: 1, \
                 node-addresses: 1, ipv4-addresses: 1, privacy-addresses: 0, \
                 max-reply-len: 1240, rate: 10, burst: 10, name: \"node.example.\" }"
                    .into()
            )
        );
        assert_eq!(
            action("ninfo set name host privacy-addresses on querier-scope global"),
            Ok("Set { querier-scope: 3, privacy-addresses: 1, name: \"host\" }".into())
        );
        assert_eq!(
            action("ninfo set max-reply-len 32 rate 0 burst 1"),
            Ok("Set { max-reply-len: 32, rate: 0, burst: 1 }".into())
        );
        assert_eq!(
            action("ninfo set max-reply-len 1240 rate 65535 burst 10000"),
            Ok("Set { max-reply-len: 1240, rate: 65535, burst: 10000 }".into())
        );
        assert_eq!(
            action("ninfo stats"),
            Ok("Stats { family: \"rv6-ninfo\", cmd: 1 }".into())
        );
    }

    /// `name ""` (an empty word, which a shell or a `-batch` line passes
    /// quoted) is a name too: the host's.
    #[test]
    fn an_empty_name_is_sent_as_a_lone_nul() {
        let set = SETTINGS.set_args(&mut Args::new(["name", ""])).unwrap();
        assert_eq!(format!("{set:?}"), "Set { name: \"\" }");
        let attrs = set.attrs().unwrap();
        assert_eq!(attrs, request(vec![attr(A_SETTINGS_NAME, "")]));
        let sent: Vec<&[u8]> = attrs.iter().map(|a| a.nla_payload().as_ref()).collect();
        assert_eq!(sent, [&[0u8][..]]);
    }

    #[test]
    fn defaults_and_prefixes() {
        // `rv6 ninfo` shows the settings.
        assert_eq!(action("ninfo"), Ok("Show".into()));
        assert_eq!(action("ni sh"), Ok("Show".into()));
        assert_eq!(action("ni st"), action("ninfo stats"));
        assert_eq!(
            action(
                "ni se q global ref on noo off node-n off node-a on i off p on m 32 ra 0 b 1 na x"
            ),
            action(
                "ninfo set querier-scope global refuse-with-reply on noop off node-name off \
                 node-addresses on ipv4-addresses off privacy-addresses on max-reply-len 32 \
                 rate 0 burst 1 name x"
            )
        );
        assert_eq!(
            err("n"),
            "Error: argument \"n\" is ambiguous: it may be nf-count, ninfo"
        );
        assert_eq!(
            err("ninfo s"),
            "Error: argument \"s\" is ambiguous: it may be show, set, stats"
        );
        for (arg, candidates) in [
            ("n", "noop, node-name, node-addresses, name"),
            ("no", "noop, node-name, node-addresses"),
            ("node", "node-name, node-addresses"),
            ("r", "refuse-with-reply, rate"),
        ] {
            assert_eq!(
                err(&format!("ninfo set {arg} on")),
                format!("Error: argument \"{arg}\" is ambiguous: it may be {candidates}")
            );
        }
    }

    /// A SCOPE and on/off are spelt in full; N is decimal within the
    /// spec's checks (max-reply-len 32 to 1240, burst 1 to 10000) or its
    /// type (rate, a u16); NAME at most 255 bytes.
    #[test]
    fn bad_values_are_named() {
        for scope in ["link", "Global", "1", "site", "all"] {
            assert_eq!(
                err(&format!("ninfo set querier-scope {scope}")),
                format!(
                    "Error: argument \"{scope}\" is wrong: SCOPE must be one of loopback, \
                     link-local, site-local, global"
                )
            );
        }
        for kw in SWITCHES {
            for v in ["1", "0", "yes", "o", "ON"] {
                assert_eq!(
                    err(&format!("ninfo set {kw} {v}")),
                    format!("Error: argument \"{v}\" is wrong: {kw} must be on or off")
                );
            }
        }
        for (kw, range, bad) in [
            (
                "max-reply-len",
                "from 32 to 1240",
                &["31", "1241", "0", "-1", "0x20"][..],
            ),
            ("burst", "from 1 to 10000", &["0", "10001", "65535", "+1"]),
            ("rate", "at most 65535", &["65536", "-1", "1.5", "ten"]),
        ] {
            for n in bad {
                assert_eq!(
                    err(&format!("ninfo set {kw} {n}")),
                    format!(
                        "Error: argument \"{n}\" is wrong: N must be a number in decimal, {range}"
                    )
                );
            }
        }
        let long = "a".repeat(256);
        assert_eq!(
            err(&format!("ninfo set name {long}")),
            format!("Error: argument \"{long}\" is wrong: NAME must be at most 255 bytes long")
        );
        // Bytes, not characters: 128 two-byte characters are 256.
        let wide = "é".repeat(128);
        assert!(err(&format!("ninfo set name {wide}")).ends_with("at most 255 bytes long"));
        let longest = "a".repeat(255);
        assert!(action(&format!("ninfo set name {longest}")).is_ok());
    }

    #[test]
    fn missing_duplicate_and_stray_arguments_are_named() {
        for (line, why) in [
            (
                "ninfo set",
                format!("command line is not complete: \"rv6 ninfo set\" needs one of {ALL}"),
            ),
            (
                "ninfo set global",
                format!("argument \"global\" is wrong: expected one of {ALL}"),
            ),
            (
                "ninfo set querier-scope",
                "command line is not complete: \"querier-scope\" needs a SCOPE".into(),
            ),
            (
                "ninfo set bu",
                "command line is not complete: \"bu\" needs an N".into(),
            ),
            (
                "ninfo set noop",
                "command line is not complete: \"noop\" needs on or off".into(),
            ),
            (
                "ninfo set name",
                "command line is not complete: \"name\" needs a NAME".into(),
            ),
            // A prefix is the same keyword.
            (
                "ninfo set rate 1 burst 2 ra 3",
                "duplicate \"rate\": \"3\" is the second value.".into(),
            ),
            (
                "ninfo show name",
                "argument \"name\" is wrong: \"rv6 ninfo show\" takes no arguments".into(),
            ),
            (
                "ninfo stats all",
                "argument \"all\" is wrong: \"rv6 ninfo stats\" takes no arguments".into(),
            ),
        ] {
            assert_eq!(err(line), format!("Error: {why}"), "{line}");
        }
        assert_eq!(
            err("ninfo reset"),
            "Command \"reset\" is unknown, try \"rv6 ninfo help\"."
        );
    }

    /// The scope is a u32, the switches u8s, the limits u16s, the name a
    /// NUL-terminated string, as the spec types them and the module's
    /// policy checks; what is not given is not sent.
    #[test]
    fn set_sends_what_is_given_in_spec_order_and_type() {
        assert_eq!(
            sent(&SETTINGS, &format!("{DEFAULTS} name node")),
            request(vec![
                attr(A_SETTINGS_QUERIER_SCOPE, 1u32),
                attr(A_SETTINGS_REFUSE_WITH_REPLY, 0u8),
                attr(A_SETTINGS_NOOP, 1u8),
                attr(A_SETTINGS_NODE_NAME, 1u8),
                attr(A_SETTINGS_NODE_ADDRESSES, 1u8),
                attr(A_SETTINGS_IPV4_ADDRESSES, 1u8),
                attr(A_SETTINGS_PRIVACY_ADDRESSES, 0u8),
                attr(A_SETTINGS_MAX_REPLY_LEN, 1240u16),
                attr(A_SETTINGS_RATE, 10u16),
                attr(A_SETTINGS_BURST, 10u16),
                attr(A_SETTINGS_NAME, "node"),
            ])
        );
        // The command line's order does not matter.
        assert_eq!(
            sent(
                &SETTINGS,
                "name n.example. burst 10000 noop off querier-scope loopback"
            ),
            request(vec![
                attr(A_SETTINGS_QUERIER_SCOPE, 0u32),
                attr(A_SETTINGS_NOOP, 0u8),
                attr(A_SETTINGS_BURST, 10000u16),
                attr(A_SETTINGS_NAME, "n.example."),
            ])
        );
    }

    /// A settings-get reply as the module builds it (the scope a u32, the
    /// switches u8s, the limits u16s, then the name), through neli's wire
    /// format and back, as the output.
    fn settings_output(scope: u32, switches: [u8; 6], limits: [u16; 3], name: &str) -> Output {
        let mut attrs = vec![attr(A_SETTINGS_QUERIER_SCOPE, scope)];
        attrs.extend(
            (A_SETTINGS_REFUSE_WITH_REPLY..)
                .zip(switches)
                .map(|(id, v)| attr(id, v)),
        );
        attrs.extend(
            (A_SETTINGS_MAX_REPLY_LEN..)
                .zip(limits)
                .map(|(id, v)| attr(id, v)),
        );
        attrs.push(attr(A_SETTINGS_NAME, name));
        shown(&SETTINGS, request(attrs))
    }

    /// The module's defaults.
    fn defaults() -> Output {
        settings_output(1, [0, 1, 1, 1, 1, 0], [1240, 10, 10], "")
    }

    #[test]
    fn settings_print_as_a_line_in_the_words_of_set() {
        assert_eq!(
            render(&defaults(), Format::Text),
            format!("{DEFAULTS} name \"\"\n")
        );
        assert_eq!(
            render(
                &settings_output(3, [1, 0, 0, 0, 0, 1], [32, 0, 10000], "node.example."),
                Format::Text
            ),
            "querier-scope global refuse-with-reply on noop off node-name off \
             node-addresses off ipv4-addresses off privacy-addresses on max-reply-len 32 \
             rate 0 burst 10000 name node.example.\n"
        );
        // Values a newer module may send print as their numbers.
        assert_eq!(
            render(
                &settings_output(4, [2, 1, 1, 1, 1, 0], [1240, 10, 10], "n"),
                Format::Text
            ),
            "querier-scope 4 refuse-with-reply 2 noop on node-name on node-addresses on \
             ipv4-addresses on privacy-addresses off max-reply-len 1240 rate 10 burst 10 \
             name n\n"
        );
        // What the reply lacks is left out.
        let mut r = Record::default();
        r.push("rate", Value::U64(5));
        r.push("name", Value::Str(String::new()));
        assert_eq!(SETTINGS.line(&r), "rate 5 name \"\"");
    }

    /// With -j, the spec's names, the scope by name, the switches the
    /// numbers they are and the name as it is, empty for the host's.
    #[test]
    fn settings_print_as_json_with_spec_keys() {
        assert_eq!(
            render(&defaults(), Format::Json),
            "[{\"querier-scope\":\"link-local\",\"refuse-with-reply\":0,\"noop\":1,\
             \"node-name\":1,\"node-addresses\":1,\"ipv4-addresses\":1,\
             \"privacy-addresses\":0,\"max-reply-len\":1240,\"rate\":10,\"burst\":10,\
             \"name\":\"\"}]\n"
        );
        assert!(render(&defaults(), Format::JsonPretty).starts_with(
            "[\n    {\n        \"querier-scope\": \"link-local\",\n        \"refuse-with-reply\": 0,\n"
        ));
    }

    /// `rv6 ninfo stats` is the stats objects' command on the `stats` set:
    /// its reply prints as theirs do.
    #[test]
    fn stats_print_as_one_line_of_spec_names() {
        let out = output(&FAMILY_STATS);
        assert_eq!(
            render(&out, Format::Text),
            "queries 0 malformed 10 answered 20 unknown-qtype 30 refused 40 \
             ignored-querier 50 ignored-queried 60 ignored-subject 70 ignored-refused 80 \
             rate-limited 90 send-failed 100\n"
        );
        assert_eq!(
            render(&out, Format::Json),
            "[{\"queries\":0,\"malformed\":10,\"answered\":20,\"unknown-qtype\":30,\
             \"refused\":40,\"ignored-querier\":50,\"ignored-queried\":60,\
             \"ignored-subject\":70,\"ignored-refused\":80,\"rate-limited\":90,\
             \"send-failed\":100}]\n"
        );
    }

    /// The generated tables against the module's numbering: the operations
    /// 1 to 3, the settings from 1 with their types, and the counters after
    /// pad 1, all u64s.
    #[test]
    fn the_generated_tables_have_the_modules_numbers() {
        assert_eq!(
            (CMD_STATS_GET, CMD_SETTINGS_GET, CMD_SETTINGS_SET),
            (1, 2, 3)
        );
        let scope = "EnumU32(Enum { meta: \"SCOPE\", start: 0, entries: [\"loopback\", \
                     \"link-local\", \"site-local\", \"global\"] })";
        assert_tables(
            &SETTINGS,
            "rv6_ninfo",
            &[
                (1, "querier-scope", scope),
                (2, "refuse-with-reply", "U8"),
                (3, "noop", "U8"),
                (4, "node-name", "U8"),
                (5, "node-addresses", "U8"),
                (6, "ipv4-addresses", "U8"),
                (7, "privacy-addresses", "U8"),
                (8, "max-reply-len", "U16"),
                (9, "rate", "U16"),
                (10, "burst", "U16"),
                (11, "name", "String"),
            ],
        );
        assert_eq!((A_STATS_PAD, A_STATS_SEND_FAILED), (1, 12));
    }

    /// A name the module does not take as a DNS name: its message, and the
    /// attribute it points at.
    #[test]
    fn a_refused_name_is_named() {
        let req = sent(&SETTINGS, "rate 10 name a..b");
        let e = KernelError::new(
            -libc::EINVAL,
            ExtAck {
                msg: Some("the name is no DNS name".into()),
                // After the headers (20 bytes) and rate (8).
                offset: Some(28),
                ..ExtAck::default()
            },
            &req,
            &FAMILY_SETTINGS,
        );
        assert_eq!(
            format!("Error: {e}"),
            "Error: the name is no DNS name: Invalid argument (bad attribute: name)"
        );
    }
}
