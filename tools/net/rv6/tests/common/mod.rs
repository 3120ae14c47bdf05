//! What the binary's integration tests share: running `rv6` and reading what
//! it printed.
#![allow(dead_code)] // each test crate uses what it needs

use std::process::{
    Command,
    Output, //
};

/// Runs the binary with `args` (in UTC: the monitors print times).
pub fn rv6(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rv6"))
        .args(args)
        .env("TZ", "UTC")
        .output()
        .expect("run rv6")
}

/// A stream as text.
pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `rv6 ARGS` is a usage error: exit 2, `stderr` (a line) on stderr, nothing on stdout.
#[track_caller]
pub fn usage_error(args: &[&str], stderr: &str) {
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

/// `rv6 ARGS` on a kernel without `family` (this host, usually): exit 1,
/// the error naming `module`, nothing on stdout; then `None`. Where the
/// module is loaded, what it printed, for the caller to check; where no
/// generic netlink socket opens, `None` too, said on stderr.
#[track_caller]
pub fn without_family(args: &[&str], family: &str, module: &str) -> Option<Output> {
    let out = rv6(args);
    let stderr = text(&out.stderr);
    match out.status.code() {
        Some(0) => return Some(out),
        Some(1) if stderr.starts_with("Error: netlink:") => {
            eprintln!("skipped: no generic netlink socket here: {stderr}")
        }
        code => {
            assert_eq!(code, Some(1), "{args:?}: {stderr}");
            assert_eq!(
                stderr,
                format!("Error: {family}: family not found (is {module} loaded?)\n"),
                "{args:?}"
            );
            assert!(out.stdout.is_empty(), "{args:?}");
        }
    }
    None
}
