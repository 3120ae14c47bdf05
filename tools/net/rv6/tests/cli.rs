//! The binary's exit status and streams for what never reaches the kernel:
//! usage errors (2), help and version (0), an unknown namespace (1).

use std::process::{Command, Output};

fn rv6(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rv6"))
        .args(args)
        .output()
        .expect("run rv6")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[track_caller]
fn usage_error(args: &[&str], stderr: &str) {
    let out = rv6(args);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{args:?}: {}",
        text(&out.stderr)
    );
    assert_eq!(text(&out.stderr), format!("{stderr}\n"), "{args:?}");
    assert!(out.stdout.is_empty(), "{args:?}");
}

#[test]
fn usage_errors_exit_2_naming_the_argument() {
    usage_error(
        &["nf-count", "show", "hook", "foo"],
        "Error: argument \"foo\" is wrong: HOOK must be one of pre-routing, local-in, \
         forward, local-out, post-routing",
    );
    usage_error(
        &["nf", "reset", "bogus"],
        "Error: argument \"bogus\" is wrong: expected \"hook HOOK\"",
    );
    usage_error(&["nope"], "Object \"nope\" is unknown, try \"rv6 help\".");
    usage_error(
        &["nf-count", "sow"],
        "Command \"sow\" is unknown, try \"rv6 nf-count help\".",
    );
    usage_error(
        &["mip6", "stats", "all"],
        "Error: argument \"all\" is wrong: \"rv6 mip6 stats\" takes no arguments",
    );
    usage_error(
        &["ct", "stats"],
        "Error: argument \"ct\" is ambiguous: it may be ct-ftp, ct-dhcpv6",
    );
    usage_error(
        &["-q", "nf"],
        "Option \"-q\" is unknown, try \"rv6 -help\".",
    );
    // Checked before the namespace is entered: still a usage error.
    usage_error(
        &["-n", "rv6-test-absent-ns", "nf", "show", "hook"],
        "Error: command line is not complete: \"hook\" needs a HOOK",
    );
}

#[test]
fn no_arguments_print_the_usage_on_stderr() {
    let out = rv6(&[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).starts_with("Usage: rv6 [ OPTIONS ] OBJECT"));
}

#[test]
fn help_and_version_go_to_stdout() {
    for args in [&["help"][..], &["-h"], &["nf-count", "help"], &["-V"]] {
        let out = rv6(args);
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        assert!(out.stderr.is_empty(), "{args:?}");
        assert!(!out.stdout.is_empty(), "{args:?}");
    }
    let out = rv6(&["nf", "help"]);
    assert!(text(&out.stdout).starts_with("Usage: rv6 nf-count show [ hook HOOK ]\n"));
    let out = rv6(&["ct-d", "help"]);
    assert_eq!(
        text(&out.stdout),
        "Usage: rv6 ct-dhcpv6 stats\n       rv6 ct-dhcpv6 help\n"
    );
    let out = rv6(&["-V"]);
    assert_eq!(
        text(&out.stdout),
        format!("rv6 utility, rv6-{}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn a_missing_namespace_exits_1() {
    let out = rv6(&["-n", "rv6-test-absent-ns", "nf-count", "show"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stderr),
        "Error: cannot open network namespace \"rv6-test-absent-ns\": \
         No such file or directory\n"
    );
}

/// `rv6 mip6` on a kernel without rv6_mip6 (this host, usually): exit 1
/// naming the module. Where it is loaded, the counters print instead.
#[test]
fn a_missing_family_exits_1_naming_its_module() {
    let out = rv6(&["mip6"]);
    let stderr = text(&out.stderr);
    match out.status.code() {
        Some(0) => assert!(text(&out.stdout).starts_with("hao-in-mismatch ")),
        Some(1) if stderr.starts_with("Error: netlink:") => {
            eprintln!("skipped: no generic netlink socket here: {stderr}")
        }
        code => {
            assert_eq!(code, Some(1), "{stderr}");
            assert_eq!(
                stderr,
                "Error: rv6-mip6: family not found (is rv6_mip6 loaded?)\n"
            );
            assert!(out.stdout.is_empty());
        }
    }
}
