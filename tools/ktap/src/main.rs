//! `rv6-ktap`: summarise the KUnit suites in guest console logs.

use ktap::{parse, reports::kernel_reports, Outcome};
use std::process::exit;

const USAGE: &str = "\
usage: rv6-ktap [--kernel-only] [--expect SUITE]... [--counts FILE] LOG...

Reads guest console logs, prints a table of KUnit suites (pass/fail/skip per
suite) and a closing 'N passed, N failed, N skipped' line counting test cases.
Exits 1 when a suite failed, never finished (crash or hang), an --expect'ed
suite is missing, or the kernel printed a bug report.
--counts FILE writes 'passed failed skipped' for make check's summary.
--kernel-only reads only printk lines (with a timestamp): KUnit's output on a
console that userspace writes to as well.
";

fn main() {
    let mut expect = Vec::new();
    let mut logs = Vec::new();
    let mut counts_file = None;
    let mut kernel_only = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--expect" => expect.push(args.next().unwrap_or_default()),
            "--counts" => counts_file = args.next(),
            "--kernel-only" => kernel_only = true,
            "-h" | "--help" => {
                print!("{USAGE}");
                return;
            }
            _ => logs.push(a),
        }
    }
    if logs.is_empty() {
        eprint!("{USAGE}");
        exit(2);
    }
    let mut text = String::new();
    for l in &logs {
        match std::fs::read(l) {
            Ok(b) => text.push_str(&String::from_utf8_lossy(&b)),
            Err(e) => {
                eprintln!("rv6-ktap: {l}: {e}");
                exit(2);
            }
        }
    }
    let suites = if kernel_only {
        parse(text.lines().filter(|l| ktap::strip_printk_prefix(l).0))
    } else {
        parse(text.lines())
    };
    let mut bad = false;
    let (mut p, mut f, mut s) = (0, 0, 0);
    println!(
        "{:<36} {:>5} {:>5} {:>5}  result",
        "KUnit suite", "pass", "fail", "skip"
    );
    for suite in &suites {
        let (sp, sf, ss) = (
            suite.count(Outcome::Pass),
            suite.count(Outcome::Fail),
            suite.count(Outcome::Skip),
        );
        let result = match suite.outcome {
            None => "CRASHED (no result line)",
            Some(_) if suite.passed() => "ok",
            Some(_) => "FAILED",
        };
        println!("{:<36} {sp:>5} {sf:>5} {ss:>5}  {result}", suite.name);
        p += sp;
        f += sf;
        s += ss;
        if !suite.passed() {
            bad = true;
            // A crashed suite counts as one more failure: its unrun cases are lost.
            if suite.outcome.is_none() {
                f += 1;
            }
        }
    }
    for e in &expect {
        if !suites.iter().any(|s| &s.name == e) {
            println!(
                "{e:<36} {:>5} {:>5} {:>5}  MISSING (never ran)",
                "-", "-", "-"
            );
            f += 1;
            bad = true;
        }
    }
    let reports = kernel_reports(text.lines());
    for r in &reports {
        println!("kernel report: {r}");
        bad = true;
    }
    if let Some(path) = counts_file {
        if let Err(e) = std::fs::write(&path, format!("{p} {f} {s}\n")) {
            eprintln!("rv6-ktap: {path}: {e}");
            exit(2);
        }
    }
    println!("kunit: {p} passed, {f} failed, {s} skipped");
    exit(i32::from(bad));
}
