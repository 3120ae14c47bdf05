//! The binary's exit status and streams for what never reaches the kernel:
//! usage errors (2), help and version (0), an unknown namespace (1), a
//! family not registered (1).

mod common;

use common::{
    rv6,
    text,
    usage_error, //
};

use std::process::{Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

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

/// `rv6 shim6 context ...`: its values, its required arguments and its
/// second command word, all refused before any netlink.
#[test]
fn shim6_usage_errors_exit_2_naming_the_argument() {
    let tag = "TAG must be 1 to 0x7fffffffffff (47 bits), in decimal or 0x-hex";
    usage_error(
        &["shim6", "context", "del", "local-tag", "0x800000000000"],
        &format!("Error: argument \"0x800000000000\" is wrong: {tag}"),
    );
    usage_error(
        &["shim6", "context", "show", "local-tag", "0"],
        &format!("Error: argument \"0\" is wrong: {tag}"),
    );
    usage_error(
        &[
            "shim6",
            "context",
            "add",
            "local-tag",
            "1",
            "peer-tag",
            "2",
            "ulid-local",
            "2001:db8::1",
            "ulid-peer",
            "2001:db8::300::2",
        ],
        "Error: argument \"2001:db8::300::2\" is wrong: ADDR must be an IPv6 address",
    );
    usage_error(
        &[
            "-n",
            "rv6-test-absent-ns",
            "sh",
            "co",
            "set",
            "local-tag",
            "1",
            "local-locators",
            "2001:db8::1,192.0.2.1",
        ],
        "Error: argument \"2001:db8::1,192.0.2.1\" is wrong: \"192.0.2.1\" is not an IPv6 address",
    );
    usage_error(
        &["shim6", "context", "add", "local-tag", "1", "peer-tag", "2"],
        "Error: argument \"ulid-local\" is required",
    );
    usage_error(
        &["shim6", "context", "set", "local-tag", "1", "pair", "::1"],
        "Error: command line is not complete: \"pair\" needs a PEER locator",
    );
    usage_error(
        &["shim6", "context", "remove"],
        "Command \"remove\" is unknown, try \"rv6 shim6 help\".",
    );
    usage_error(
        &[
            "shim6",
            "context",
            "set",
            "local-tag",
            "1",
            "reap",
            "probing",
        ],
        "Error: argument \"probing\" is wrong: REAP_STATE must be one of operational, exploring",
    );
    usage_error(
        &[
            "shim6",
            "context",
            "add",
            "local-tag",
            "1",
            "peer-tag",
            "2",
            "ulid-local",
            "::1",
            "ulid-peer",
            "::2",
            "send-timeout",
            "15s",
        ],
        "Error: argument \"15s\" is wrong: MS must be milliseconds in decimal, at most 4294967295",
    );
    usage_error(
        &["shim6", "context", "set", "local-tag", "1", "idle-timeout"],
        "Error: command line is not complete: \"idle-timeout\" needs an MS",
    );
    usage_error(
        &["shim6", "context", "flush", "now"],
        "Error: argument \"now\" is wrong: \"rv6 shim6 context flush\" takes no arguments",
    );
}

/// `rv6 shim6 settings ...`: at least one setting, `trigger` on or off, the
/// numbers decimal, all refused before any netlink.
#[test]
fn shim6_settings_usage_errors_exit_2_naming_the_argument() {
    usage_error(
        &["shim6", "settings", "set"],
        "Error: command line is not complete: \"rv6 shim6 settings set\" needs one of \
         trigger, trigger-bytes, trigger-seconds",
    );
    usage_error(
        &["shim6", "settings", "set", "trigger", "1"],
        "Error: argument \"1\" is wrong: trigger must be on or off",
    );
    usage_error(
        &["shim6", "settings", "set", "trigger"],
        "Error: command line is not complete: \"trigger\" needs on or off",
    );
    usage_error(
        &[
            "-n",
            "rv6-test-absent-ns",
            "shim6",
            "settings",
            "set",
            "trigger-seconds",
            "60s",
        ],
        "Error: argument \"60s\" is wrong: N must be a number in decimal, at most 4294967295",
    );
    usage_error(
        &["shim6", "settings", "set", "trigger-bytes", "4294967296"],
        "Error: argument \"4294967296\" is wrong: N must be a number in decimal, \
         at most 4294967295",
    );
    usage_error(
        &[
            "shim6", "settings", "set", "trigger", "on", "trigger", "off",
        ],
        "Error: duplicate \"trigger\": \"off\" is the second value.",
    );
    usage_error(
        &["shim6", "settings", "set", "trig", "on"],
        "Error: argument \"trig\" is ambiguous: it may be trigger, trigger-bytes, \
         trigger-seconds",
    );
    usage_error(
        &["shim6", "settings", "show", "all"],
        "Error: argument \"all\" is wrong: \"rv6 shim6 settings show\" takes no arguments",
    );
    usage_error(
        &["shim6", "s"],
        "Error: argument \"s\" is ambiguous: it may be stats, settings",
    );
}

#[test]
fn monitor_usage_errors_exit_2_naming_the_argument() {
    usage_error(
        &["monitor", "nope"],
        "Error: argument \"nope\" is wrong: FAMILY must be one of rv6-genl-test, rv6-shim6",
    );
    usage_error(
        &[
            "-n",
            "rv6-test-absent-ns",
            "-j",
            "monitor",
            "all",
            "rv6-genl",
        ],
        "Error: argument \"rv6-genl\" is wrong: FAMILY must be one of rv6-genl-test, rv6-shim6",
    );
    usage_error(
        &["monitor", "rv6-mip6"],
        "Error: argument \"rv6-mip6\" is wrong: rv6-mip6 has no multicast group to monitor",
    );
    usage_error(
        &["m"],
        "Error: argument \"m\" is ambiguous: it may be mip6, monitor",
    );
}

/// Runs rv6 for at most `limit`: `None` if it was still running then (and
/// was killed), as a monitor that found its family keeps listening.
fn rv6_for(args: &[&str], limit: Duration) -> Option<Output> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rv6"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run rv6");
    let start = Instant::now();
    while child.try_wait().expect("wait for rv6").is_none() {
        if start.elapsed() > limit {
            child.kill().expect("kill rv6");
            child.wait().expect("reap rv6");
            return None;
        }
        thread::sleep(Duration::from_millis(20));
    }
    Some(child.wait_with_output().expect("read rv6's output"))
}

/// `rv6 monitor` on a kernel without rv6_genl_test and rv6_shim6 (this
/// host, usually): exit 1 naming the module, whether the family is named or
/// `all` finds none. Where one is loaded, the monitor listens (and is
/// stopped), or cannot join rv6-shim6's group without CAP_NET_ADMIN.
#[test]
fn monitor_without_its_family_exits_1_naming_its_module() {
    for (args, want) in [
        (
            &["monitor", "rv6-genl-test"][..],
            "Error: rv6-genl-test: family not found (is rv6_genl_test loaded?)\n",
        ),
        (
            &["monitor", "rv6-shim6"][..],
            "Error: rv6-shim6: family not found (is rv6_shim6 loaded?)\n",
        ),
        (
            &["-j", "monitor"],
            "Error: no family to monitor is registered \
             (is rv6_genl_test or rv6_shim6 loaded?)\n",
        ),
    ] {
        let Some(out) = rv6_for(args, Duration::from_secs(10)) else {
            eprintln!("{args:?}: a module is loaded here, the monitor listened");
            continue;
        };
        let stderr = text(&out.stderr);
        if stderr.starts_with("Error: netlink:") {
            eprintln!("skipped: no generic netlink socket here: {stderr}");
            continue;
        }
        if stderr.contains("cannot join multicast group") {
            eprintln!("{args:?}: a module is loaded here, its group refused: {stderr}");
            continue;
        }
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert_eq!(stderr, want, "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn no_arguments_print_the_usage_on_stderr() {
    let out = rv6(&[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).starts_with("Usage: rv6 [ OPTIONS ] OBJECT"));
}

#[test]
fn help_and_version_go_to_stdout() {
    for args in [
        &["help"][..],
        &["-h"],
        &["nf-count", "help"],
        &["monitor", "help"],
        &["-V"],
    ] {
        let out = rv6(args);
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        assert!(out.stderr.is_empty(), "{args:?}");
        assert!(!out.stdout.is_empty(), "{args:?}");
    }
    let out = rv6(&["nf", "help"]);
    assert!(text(&out.stdout).starts_with("Usage: rv6 nf-count show [ hook HOOK ]\n"));
    let out = rv6(&["shim6", "context", "help"]);
    assert!(text(&out.stdout).starts_with(
        "Usage: rv6 shim6 context show [ local-tag TAG ]\n       \
         rv6 shim6 context add local-tag TAG peer-tag TAG "
    ));
    assert!(text(&out.stdout).ends_with(
        "\n       rv6 shim6 stats\n       rv6 shim6 settings show\n       \
         rv6 shim6 settings set [ trigger { on | off } ] [ trigger-bytes N ] \
         [ trigger-seconds N ]\n       \
         rv6 shim6 cga generate prefix PREFIX [ sec SEC ] [ key FILE ] [ out FILE ]\n       \
         rv6 shim6 cga verify address ADDR params FILE\n       \
         rv6 shim6 hba generate prefixes PREFIX[,PREFIX...] [ sec SEC ] [ key FILE ] \
         [ out FILE ]\n       \
         rv6 shim6 hba verify address ADDR params FILE\n       rv6 shim6 help\n\
         where  REAP_STATE := { operational | exploring }\n       SEC := { 0 | 1 | 2 }\n"
    ));
    let out = rv6(&["ct-d", "help"]);
    assert_eq!(
        text(&out.stdout),
        "Usage: rv6 ct-dhcpv6 stats\n       rv6 ct-dhcpv6 help\n"
    );
    let out = rv6(&["monitor", "help"]);
    assert_eq!(
        text(&out.stdout),
        "Usage: rv6 [ OPTIONS ] monitor [ all | FAMILY ... ]\n       rv6 monitor help\n\
         where  FAMILY := { rv6-genl-test | rv6-shim6 }\n"
    );
    assert!(text(&rv6(&["help"]).stdout)
        .contains("\n       rv6 [ OPTIONS ] monitor [ all | FAMILY ... ]\n"));
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

/// `rv6 shim6` (the contexts), `rv6 shim6 stats` and `rv6 shim6 settings`
/// on a kernel without rv6_shim6: exit 1 naming the module. Where it is
/// loaded, they print.
#[test]
fn shim6_without_its_family_exits_1_naming_its_module() {
    for args in [
        &["shim6"][..],
        &["-j", "shim6", "stats"],
        &["shim6", "settings"],
        &["-j", "shim6", "settings", "show"],
    ] {
        let out = rv6(args);
        let stderr = text(&out.stderr);
        match out.status.code() {
            Some(0) => eprintln!("{args:?}: rv6_shim6 is loaded here"),
            Some(1) if stderr.starts_with("Error: netlink:") => {
                eprintln!("skipped: no generic netlink socket here: {stderr}")
            }
            code => {
                assert_eq!(code, Some(1), "{args:?}: {stderr}");
                assert_eq!(
                    stderr,
                    "Error: rv6-shim6: family not found (is rv6_shim6 loaded?)\n"
                );
                assert!(out.stdout.is_empty(), "{args:?}");
            }
        }
    }
}
