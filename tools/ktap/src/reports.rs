//! Kernel bug reports in a console log.  Any of them fails a guest run,
//! whatever the tests printed.
//!
//! Only lines that carry printk's timestamp are considered, so a test that
//! echoes the word "WARNING:" from userspace cannot fail or fake a run.

use crate::strip_printk_prefix;

/// Markers that open a kernel report, matched at the start of a printk line.
const OPENERS: &[&str] = &[
    "BUG:",     // KASAN, NULL deref, sleeping in atomic, list corruption, ...
    "WARNING:", // WARN_ON and lockdep's "possible ... detected"
    "Oops:",    // oops header
    "general protection fault",
    "Kernel panic",
    "UBSAN:",
    "kernel BUG at",
    "INFO: task",          // hung tasks
    "rcu: INFO:",          // RCU stalls
    "unreferenced object", // kmemleak's report (cat /sys/kernel/debug/kmemleak)
    "kmemleak:",           // "kmemleak: N new suspected memory leaks"
];

/// Benign lines that happen to start like a report.
const IGNORED: &[&str] = &[
    "kmemleak: Kernel memory leak detector initialized",
    "kmemleak: Automatic memory scanning thread started",
];

/// Returns each report-opening line (without its timestamp), in order.
pub fn kernel_reports<'a>(lines: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut out = Vec::new();
    for line in lines {
        let (stamped, body) = strip_printk_prefix(line);
        if !stamped {
            continue;
        }
        let body = body.trim();
        if IGNORED.iter().any(|i| body.starts_with(i)) {
            continue;
        }
        if OPENERS.iter().any(|o| body.starts_with(o)) {
            out.push(body.to_string());
        }
    }
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_warn_oops_kasan_and_leaks() {
        let log = "\
[    2.0] WARNING: CPU: 0 PID: 1 at net/core/dev.c:1 foo+0x1/0x2
[    2.1] ==================================================================
[    2.1] BUG: KASAN: slab-out-of-bounds in bar+0x10/0x20
[    2.2] unreferenced object 0xffff888003c2b000 (size 64):
[    2.3] kmemleak: Kernel memory leak detector initialized (mem pool available: 1)
WARNING: this line came from userspace
";
        let r = kernel_reports(log.lines());
        assert_eq!(r.len(), 3, "{r:?}");
        assert!(r[0].starts_with("WARNING: CPU"));
        assert!(r[1].starts_with("BUG: KASAN"));
        assert!(r[2].starts_with("unreferenced object"));
    }

    #[test]
    fn a_clean_boot_has_no_reports() {
        let log = "[    0.0] Linux version 7.3.4\n[    1.0] ok 1 rv6_netfilter\n";
        assert!(kernel_reports(log.lines()).is_empty());
    }
}
