//! `rv6 ninfo` through the binary: its usage errors (exit 2, before any
//! netlink or namespace), its help, and on a kernel without rv6_ninfo (this
//! host, usually) exit 1 naming the module. The requests and replies
//! themselves are the unit tests' (src/objects/ninfo.rs, and
//! src/objects/settings.rs for what it shares with `rv6 guard`); the module
//! is tested against the tool in the guests.

mod common;

use common::{
    rv6,
    text,
    usage_error,
    without_family, //
};

const SETTINGS: &str = "querier-scope, refuse-with-reply, noop, node-name, node-addresses, \
                        ipv4-addresses, privacy-addresses, max-reply-len, rate, burst, name";

/// `rv6 ninfo set`: at least one setting, a SCOPE, switches on or off,
/// numbers within the spec's checks, a name of at most 255 bytes, each
/// keyword once.
#[test]
fn set_usage_errors_exit_2_naming_the_argument() {
    usage_error(
        &["ninfo", "set"],
        &format!("Error: command line is not complete: \"rv6 ninfo set\" needs one of {SETTINGS}"),
    );
    usage_error(
        &["ninfo", "set", "querier-scope", "site"],
        "Error: argument \"site\" is wrong: SCOPE must be one of loopback, link-local, \
         site-local, global",
    );
    usage_error(
        &["ninfo", "set", "node-name", "yes"],
        "Error: argument \"yes\" is wrong: node-name must be on or off",
    );
    usage_error(
        &["ninfo", "set", "privacy-addresses"],
        "Error: command line is not complete: \"privacy-addresses\" needs on or off",
    );
    for (kw, n, range) in [
        ("max-reply-len", "31", "from 32 to 1240"),
        ("max-reply-len", "1241", "from 32 to 1240"),
        ("burst", "0", "from 1 to 10000"),
        ("burst", "10001", "from 1 to 10000"),
        ("rate", "65536", "at most 65535"),
    ] {
        // Checked before the namespace is entered: still a usage error.
        usage_error(
            &["-n", "rv6-test-absent-ns", "ninfo", "set", kw, n],
            &format!("Error: argument \"{n}\" is wrong: N must be a number in decimal, {range}"),
        );
    }
    let long = "a".repeat(256);
    usage_error(
        &["ninfo", "set", "name", &long],
        &format!("Error: argument \"{long}\" is wrong: NAME must be at most 255 bytes long"),
    );
    usage_error(
        &["ninfo", "set", "name"],
        "Error: command line is not complete: \"name\" needs a NAME",
    );
    usage_error(
        &["ninfo", "set", "name", "a", "rate", "5", "na", ""],
        "Error: duplicate \"name\": \"\" is the second value.",
    );
    usage_error(
        &["ninfo", "set", "node", "on"],
        "Error: argument \"node\" is ambiguous: it may be node-name, node-addresses",
    );
    usage_error(
        &["ninfo", "set", "scope", "global"],
        &format!("Error: argument \"scope\" is wrong: expected one of {SETTINGS}"),
    );
}

#[test]
fn show_and_stats_usage_errors_exit_2() {
    usage_error(
        &["ninfo", "show", "name"],
        "Error: argument \"name\" is wrong: \"rv6 ninfo show\" takes no arguments",
    );
    usage_error(
        &["ninfo", "stats", "all"],
        "Error: argument \"all\" is wrong: \"rv6 ninfo stats\" takes no arguments",
    );
    usage_error(
        &["ninfo", "s"],
        "Error: argument \"s\" is ambiguous: it may be show, set, stats",
    );
    usage_error(
        &["n"],
        "Error: argument \"n\" is ambiguous: it may be nf-count, ninfo",
    );
}

/// In a batch, `name ""` is a line's empty word, as on the command line;
/// a later line's usage error still stops the batch before anything runs.
#[test]
fn a_batch_takes_an_empty_name_and_checks_every_line_first() {
    let path = std::env::temp_dir().join(format!("rv6-ninfo-{}", std::process::id()));
    std::fs::write(
        &path,
        "ninfo set name \"\"\nninfo set name 'two words' burst 0\n",
    )
    .expect("write the batch");
    let shown = path.to_str().expect("a UTF-8 path");
    let out = rv6(&["-batch", shown]);
    std::fs::remove_file(&path).ok();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert_eq!(
        text(&out.stderr),
        format!(
            "Error: argument \"0\" is wrong: N must be a number in decimal, from 1 to 10000\n\
             Command failed {shown}:2\n"
        )
    );
}

#[test]
fn help_lists_the_commands_and_scopes() {
    let out = rv6(&["ninfo", "help"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stderr.is_empty());
    assert_eq!(
        text(&out.stdout),
        "Usage: rv6 ninfo show\n       \
         rv6 ninfo set [ querier-scope SCOPE ] [ refuse-with-reply { on | off } ] \
         [ noop { on | off } ] [ node-name { on | off } ] [ node-addresses { on | off } ] \
         [ ipv4-addresses { on | off } ] [ privacy-addresses { on | off } ] \
         [ max-reply-len N ] [ rate N ] [ burst N ] [ name NAME ]\n       \
         rv6 ninfo stats\n       \
         rv6 ninfo help\n\
         where  SCOPE := { loopback | link-local | site-local | global }\n"
    );
    let main = text(&rv6(&["help"]).stdout);
    assert!(main.contains(" | ct-dhcpv6 | ninfo | shim6 | "), "{main}");
    assert!(main.contains(
        "\n       ninfo      Node Information Queries responder settings and counters \
         (rv6_ninfo)\n"
    ));
}

/// `rv6 ninfo` (the settings), `rv6 ninfo show` and `rv6 ninfo stats`,
/// as text or JSON, on a kernel without rv6_ninfo: exit 1 naming the
/// module. Where it is loaded, they print.
#[test]
fn ninfo_without_its_family_exits_1_naming_its_module() {
    for (args, first) in [
        (&["ninfo"][..], "querier-scope "),
        (&["-j", "ninfo", "show"], "[{\"querier-scope\":"),
        (&["ninfo", "stats"], "queries "),
        (&["-j", "ninfo", "st"], "[{\"queries\":"),
    ] {
        if let Some(out) = without_family(args, "rv6-ninfo", "rv6_ninfo") {
            assert!(text(&out.stdout).starts_with(first), "{args:?}");
        }
    }
}

/// The values at the ends of their ranges, and the empty name, pass the
/// tool's checks: in a namespace that is not there, the command gets as
/// far as entering it (exit 1), and changes nothing.
#[test]
fn values_within_the_checks_go_on_to_the_namespace() {
    let longest = "a".repeat(255);
    for args in [
        &["name", ""][..],
        &[
            "name",
            &longest,
            "max-reply-len",
            "32",
            "burst",
            "10000",
            "rate",
            "0",
        ],
        &["max-reply-len", "1240", "burst", "1", "rate", "65535"],
    ] {
        let mut line = vec!["-n", "rv6-test-absent-ns", "ninfo", "set"];
        line.extend(args);
        let out = rv6(&line);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert_eq!(
            text(&out.stderr),
            "Error: cannot open network namespace \"rv6-test-absent-ns\": \
             No such file or directory\n",
            "{args:?}"
        );
    }
}
