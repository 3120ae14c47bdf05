//! `rv6 guard` through the binary: its usage errors (exit 2, before any
//! netlink or namespace), its help, and on a kernel without rv6_guard (this
//! host, usually) exit 1 naming the module. The requests and replies
//! themselves are the unit tests' (src/objects/guard.rs); the module is
//! tested against the tool in the guests.

mod common;

use common::{
    rv6,
    text,
    usage_error,
    without_family, //
};

const RULES: &str = "v4-mapped, v4-compatible, 6to4, tcp-unspecified, too-many-headers, \
                     chain-too-long, max-headers, max-chain-bytes, icmp-errors";

/// `rv6 guard set`: at least one rule or limit, a MODE for a rule, each
/// limit within its type, `icmp-errors` on or off, each keyword once.
#[test]
fn set_usage_errors_exit_2_naming_the_argument() {
    usage_error(
        &["guard", "set"],
        &format!("Error: command line is not complete: \"rv6 guard set\" needs one of {RULES}"),
    );
    usage_error(
        &["guard", "set", "v4-mapped", "reject"],
        "Error: argument \"reject\" is wrong: MODE must be one of off, count, drop",
    );
    usage_error(
        &["guard", "set", "6to4"],
        "Error: command line is not complete: \"6to4\" needs a MODE",
    );
    usage_error(
        &["guard", "set", "max-headers", "256"],
        "Error: argument \"256\" is wrong: N must be a number in decimal, at most 255",
    );
    // Checked before the namespace is entered: still a usage error.
    usage_error(
        &[
            "-n",
            "rv6-test-absent-ns",
            "guard",
            "set",
            "max-chain-bytes",
            "65536",
        ],
        "Error: argument \"65536\" is wrong: N must be a number in decimal, at most 65535",
    );
    usage_error(
        &["guard", "set", "icmp-errors", "1"],
        "Error: argument \"1\" is wrong: icmp-errors must be on or off",
    );
    usage_error(
        &[
            "guard",
            "set",
            "tcp-unspecified",
            "count",
            "tcp-unspecified",
            "off",
        ],
        "Error: duplicate \"tcp-unspecified\": \"off\" is the second value.",
    );
    usage_error(
        &["guard", "set", "v4", "drop"],
        "Error: argument \"v4\" is ambiguous: it may be v4-mapped, v4-compatible",
    );
    usage_error(
        &["guard", "set", "ipv4-mapped", "drop"],
        &format!("Error: argument \"ipv4-mapped\" is wrong: expected one of {RULES}"),
    );
}

#[test]
fn show_and_stats_usage_errors_exit_2() {
    usage_error(
        &["guard", "show", "v4-mapped"],
        "Error: argument \"v4-mapped\" is wrong: \"rv6 guard show\" takes no arguments",
    );
    usage_error(
        &["guard", "stats", "all"],
        "Error: argument \"all\" is wrong: \"rv6 guard stats\" takes no arguments",
    );
    usage_error(
        &["guard", "s"],
        "Error: argument \"s\" is ambiguous: it may be show, set, stats",
    );
    usage_error(
        &["guard", "reset"],
        "Command \"reset\" is unknown, try \"rv6 guard help\".",
    );
}

#[test]
fn help_lists_the_commands_and_modes() {
    let out = rv6(&["guard", "help"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stderr.is_empty());
    assert_eq!(
        text(&out.stdout),
        "Usage: rv6 guard show\n       \
         rv6 guard set [ v4-mapped MODE ] [ v4-compatible MODE ] [ 6to4 MODE ] \
         [ tcp-unspecified MODE ] [ too-many-headers MODE ] [ chain-too-long MODE ] \
         [ max-headers N ] [ max-chain-bytes N ] [ icmp-errors { on | off } ]\n       \
         rv6 guard stats\n       \
         rv6 guard help\n\
         where  MODE := { off | count | drop }\n"
    );
    let main = text(&rv6(&["help"]).stdout);
    assert!(main.contains(" | shim6 | guard | xfrm }\n"), "{main}");
    assert!(main.contains(
        "\n       guard      IPv6 address and header chain rules and counters (rv6_guard)\n"
    ));
}

/// `rv6 guard` (the rules), `rv6 guard show` and `rv6 guard stats`, as
/// text or JSON, on a kernel without rv6_guard: exit 1 naming the module.
/// Where it is loaded, they print.
#[test]
fn guard_without_its_family_exits_1_naming_its_module() {
    for (args, first) in [
        (&["guard"][..], "v4-mapped "),
        (&["-j", "guard", "show"], "[{\"v4-mapped\":"),
        (&["guard", "stats"], "v4-mapped-dropped "),
        (&["-j", "guard", "st"], "[{\"v4-mapped-dropped\":"),
    ] {
        if let Some(out) = without_family(args, "rv6-guard", "rv6_guard") {
            assert!(text(&out.stdout).starts_with(first), "{args:?}");
        }
    }
}
