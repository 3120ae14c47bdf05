//! `rv6 -batch FILE` through the binary, with lines that need no rv6
//! module: help lines (which print), a line that fails before any request
//! (an unknown device), lines with usage errors, monitors and options (all
//! refused before anything runs), and `xfrm migrate` lines against this
//! host's kernel in a namespace of their own where `unshare -n` makes one.

mod common;

use common::{
    rv6,
    text, //
};

use std::fs;
use std::io::Write;
use std::path::PathBuf;
use std::process::{
    Command,
    Output,
    Stdio, //
};

/// A batch file named after the test, with `lines`.
fn file(name: &str, lines: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("rv6-batch-{}-{name}", std::process::id()));
    fs::write(&path, lines).expect("write the batch");
    path
}

/// What `rv6 OPTIONS -batch FILE` (FILE holding `lines`) printed, and its
/// exit status; FILE's path as the messages name it.
fn batch(name: &str, options: &[&str], lines: &str) -> (Output, String) {
    let path = file(name, lines);
    let shown = path.to_str().expect("a UTF-8 path").to_string();
    let mut args = options.to_vec();
    args.extend(["-batch", &shown]);
    let out = rv6(&args);
    fs::remove_file(&path).ok();
    (out, shown)
}

const NF_HELP: &str = "Usage: rv6 nf-count show [ hook HOOK ]\n       \
                       rv6 nf-count reset [ hook HOOK ]\n       rv6 nf-count help\n\
                       where  HOOK := { pre-routing | local-in | forward | local-out | \
                       post-routing }\n";
const DHCPV6_HELP: &str = "Usage: rv6 ct-dhcpv6 stats\n       rv6 ct-dhcpv6 help\n";

/// A line that fails when it runs, before any request: its device is not
/// in this namespace.
const FAILING: &str = "xfrm migrate src ::/0 dev rv6-nosuch0 dir out \\\n  \
                       old src ::1 dst ::2 proto esp mode tunnel new src ::3 dst ::2";
const NO_DEVICE: &str = "Error: cannot find device \"rv6-nosuch0\": No such device";

#[test]
fn the_lines_run_in_order_skipping_comments_and_blank_lines() {
    let (out, _) = batch(
        "order",
        &[],
        "# help, twice\n\n  nf-count help   # the hooks\n\t\nct-dhcpv6 \\\n  help\n",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), format!("{NF_HELP}{DHCPV6_HELP}"));
    assert!(out.stderr.is_empty());
}

#[test]
fn the_first_failing_line_is_named_and_ends_the_batch() {
    let lines =
        format!("nf-count help\n# next, a device that is not there\n{FAILING}\nct-d help\n");
    let (out, path) = batch("fails", &[], &lines);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), NF_HELP);
    assert_eq!(
        text(&out.stderr),
        format!("{NO_DEVICE}\nCommand failed {path}:3\n")
    );
}

#[test]
fn forced_the_batch_goes_on_and_exits_1() {
    let lines = format!("{FAILING}\nnf-count help\n{FAILING}\nct-d help\n");
    let (out, path) = batch("force", &["-force"], &lines);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), format!("{NF_HELP}{DHCPV6_HELP}"));
    assert_eq!(
        text(&out.stderr),
        format!("{NO_DEVICE}\nCommand failed {path}:1\n{NO_DEVICE}\nCommand failed {path}:4\n")
    );
}

/// Every line is parsed first: a usage error on the last one exits 2 with
/// nothing run, even forced, even before the namespace is entered.
#[test]
fn a_usage_error_on_any_line_exits_2_with_nothing_run() {
    for options in [&[][..], &["-f"], &["-n", "rv6-test-absent-ns"]] {
        let (out, path) = batch(
            "usage",
            options,
            "nf-count help\n\nnf-count show hook nope\nnf-count help\n",
        );
        assert_eq!(out.status.code(), Some(2), "{options:?}");
        assert!(out.stdout.is_empty(), "{options:?}");
        assert_eq!(
            text(&out.stderr),
            format!(
                "Error: argument \"nope\" is wrong: HOOK must be one of pre-routing, \
                 local-in, forward, local-out, post-routing\nCommand failed {path}:3\n"
            )
        );
    }
}

#[test]
fn monitors_and_options_are_refused_naming_the_line() {
    for (lines, number, msg) in [
        (
            "nf help\nmonitor\n",
            2,
            "Error: \"monitor\" listens until interrupted: a batch cannot run it",
        ),
        (
            "xfrm monitor file /dev/null\n",
            1,
            "Error: \"xfrm monitor file /dev/null\" listens until interrupted: a batch \
             cannot run it",
        ),
        (
            "nf help\n\n# json\n-j nf show\n",
            4,
            "Error: argument \"-j\" is wrong: options go before \"-batch\", for every line",
        ),
    ] {
        let (out, path) = batch("refused", &[], lines);
        assert_eq!(out.status.code(), Some(2), "{lines}");
        assert!(out.stdout.is_empty(), "{lines}");
        assert_eq!(
            text(&out.stderr),
            format!("{msg}\nCommand failed {path}:{number}\n"),
            "{lines}"
        );
    }
}

#[test]
fn a_dash_reads_standard_input() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rv6"))
        .args(["-b", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run rv6");
    let mut stdin = child.stdin.take().expect("a pipe");
    stdin
        .write_all(format!("ct-dhcpv6 help\n{FAILING}\n").as_bytes())
        .expect("write the batch");
    drop(stdin);
    let out = child.wait_with_output().expect("wait for rv6");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), DHCPV6_HELP);
    assert_eq!(
        text(&out.stderr),
        format!("{NO_DEVICE}\nCommand failed -:2\n")
    );
}

#[test]
fn the_batch_options_are_checked() {
    let out = rv6(&["-batch", "/nonexistent/rv6-batch"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        "Error: cannot open file \"/nonexistent/rv6-batch\" for reading: \
         No such file or directory\n"
    );
    let (out, _) = batch("netns", &["-n", "rv6-test-absent-ns"], "nf help\n");
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert_eq!(
        text(&out.stderr),
        "Error: cannot open network namespace \"rv6-test-absent-ns\": \
         No such file or directory\n"
    );
    for (args, msg) in [
        (
            &["-force", "nf"][..],
            "Error: argument \"-force\" is wrong: \"-force\" goes with \"-batch FILE\"\n",
        ),
        (
            &["-batch", "f", "nf", "show"],
            "Error: argument \"nf\" is wrong: the commands of \"-batch\" are the lines of \
             its FILE\n",
        ),
        (
            &["-batch"],
            "Error: command line is not complete: \"-batch\" needs a FILE\n",
        ),
    ] {
        let out = rv6(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert_eq!(text(&out.stderr), msg, "{args:?}");
    }
}

/// Against this host's kernel, in a namespace of its own where it can:
/// `xfrm migrate` lines of a selector no policy has each reach the kernel
/// and are refused, with its words (or, where XFRM or its MIGRATE is not
/// built in, its errno), every one named.
#[test]
fn xfrm_migrate_lines_reach_the_kernel() {
    let line = "xfrm migrate src 2001:db8:ffff::/64 dst 2001:db8:fffe::/64 dir out \
                old src 2001:db8:ffff::1 dst 2001:db8:fffe::1 proto esp mode tunnel reqid 4242 \
                new src 2001:db8:ffff::2 dst 2001:db8:fffe::1\n";
    let path = file("xfrm", &line.repeat(3));
    let shown = path.to_str().expect("a UTF-8 path");
    let args = ["-force", "-batch", shown];
    let isolated = Command::new("unshare")
        .args(["-n", "true"])
        .status()
        .is_ok_and(|s| s.success());
    let out = if isolated {
        Command::new("unshare")
            .arg("-n")
            .arg(env!("CARGO_BIN_EXE_rv6"))
            .args(args)
            .output()
            .expect("run rv6 under unshare")
    } else {
        rv6(&args)
    };
    fs::remove_file(&path).ok();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let failed: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("Command failed "))
        .collect();
    assert_eq!(
        failed,
        [1, 2, 3].map(|n| format!("Command failed {shown}:{n}")),
        "{stderr}"
    );
    if stderr.contains("Target policy not found") {
        assert_eq!(
            stderr
                .matches("Error: Target policy not found: No such file or directory\n")
                .count(),
            3,
            "{stderr}"
        );
    } else {
        eprintln!("this host's XFRM: {stderr}");
    }
}
