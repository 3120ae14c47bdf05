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
