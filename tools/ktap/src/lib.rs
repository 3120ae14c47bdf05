//! Reading an rv6 guest's console log: KUnit's KTAP results per suite, and the
//! kernel's bug reports (oops, WARN, sanitizers, lockdep, kmemleak).
//!
//! Console lines carry printk's `[    1.234567] ` prefix; KTAP lines may be
//! indented by nesting.  Only the structure KUnit emits is trusted: a suite
//! opens with `# Subtest: NAME` and closes with `ok|not ok N NAME`; a suite that
//! opened and never closed crashed (the kernel died or the module hung).

pub mod reports;

/// The outcome of one test case or suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Pass,
    Fail,
    Skip,
}

/// One test case result inside a suite.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    pub name: String,
    pub outcome: Outcome,
}

/// One KUnit suite as the console showed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suite {
    pub name: String,
    pub cases: Vec<Case>,
    /// The suite's own result line; `None` when it never came (crash/hang).
    pub outcome: Option<Outcome>,
}

impl Suite {
    pub fn count(&self, o: Outcome) -> usize {
        self.cases.iter().filter(|c| c.outcome == o).count()
    }
    /// Passed: closed with `ok`, and no case failed.
    pub fn passed(&self) -> bool {
        matches!(self.outcome, Some(Outcome::Pass | Outcome::Skip))
            && self.count(Outcome::Fail) == 0
    }
}

/// Strips printk's timestamp prefix (`[    1.234567] `) if present.
pub fn strip_printk_prefix(line: &str) -> (bool, &str) {
    let t = line.trim_end_matches('\r');
    if let Some(rest) = t.strip_prefix('[') {
        if let Some(end) = rest.find(']') {
            let stamp = rest[..end].trim();
            if !stamp.is_empty() && stamp.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
                let body = &rest[end + 1..];
                return (true, body.strip_prefix(' ').unwrap_or(body));
            }
        }
    }
    (false, t)
}

/// A KTAP result line: `ok 3 name`, `not ok 1 name # SKIP why`.
fn result_line(s: &str) -> Option<(Outcome, &str)> {
    let (ok, rest) = if let Some(r) = s.strip_prefix("not ok ") {
        (false, r)
    } else if let Some(r) = s.strip_prefix("ok ") {
        (true, r)
    } else {
        return None;
    };
    let (num, rest) = rest.split_once(' ').unwrap_or((rest, ""));
    if num.is_empty() || !num.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (name, directive) = match rest.split_once(" # ") {
        Some((n, d)) => (n.trim(), d.trim()),
        None => (rest.trim(), ""),
    };
    let name = name.strip_prefix("- ").unwrap_or(name);
    let skip = directive.len() >= 4 && directive[..4].eq_ignore_ascii_case("skip");
    let outcome = match (ok, skip) {
        (_, true) => Outcome::Skip,
        (true, false) => Outcome::Pass,
        (false, false) => Outcome::Fail,
    };
    Some((outcome, name))
}

/// Parses every KUnit suite in a console log, in the order they started.
pub fn parse<'a>(lines: impl IntoIterator<Item = &'a str>) -> Vec<Suite> {
    let mut done: Vec<Suite> = Vec::new();
    // Open subtests, outermost first; the outermost one is a suite.
    let mut stack: Vec<Suite> = Vec::new();
    for raw in lines {
        let (_, body) = strip_printk_prefix(raw);
        let s = body.trim_start();
        if let Some(name) = s.strip_prefix("# Subtest: ") {
            stack.push(Suite {
                name: name.trim().to_string(),
                cases: Vec::new(),
                outcome: None,
            });
            continue;
        }
        let Some((outcome, name)) = result_line(s) else {
            continue;
        };
        match stack.last() {
            Some(top) if top.name == name => {
                let mut closed = stack.pop().expect("top exists");
                closed.outcome = Some(outcome);
                match stack.len() {
                    0 => done.push(closed),
                    // A parameterised case closing inside its suite.
                    1 => stack[0].cases.push(Case {
                        name: closed.name,
                        outcome,
                    }),
                    _ => {}
                }
            }
            Some(_) if stack.len() == 1 => {
                stack[0].cases.push(Case {
                    name: name.to_string(),
                    outcome,
                });
            }
            _ => {}
        }
    }
    // Suites still open never finished: the kernel died or hung in them.
    done.extend(stack.into_iter().take(1));
    done
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str = "\
[    1.100000] KTAP version 1
[    1.100001] 1..1
[    1.200000]     KTAP version 1
[    1.200001]     # Subtest: rv6_netfilter
[    1.200002]     # speed: normal
[    1.200003]     1..3
[    1.300000]     ok 1 verdict_maps_to_c
[    1.300001]     not ok 2 hook_counts_packets
[    1.300002]     ok 3 needs_ipv6 # SKIP no IPv6
[    1.300003] # rv6_netfilter: pass:1 fail:1 skip:1 total:3
[    1.300004] not ok 1 rv6_netfilter
rv6-guest: exit status 0
";

    #[test]
    fn counts_pass_fail_skip_per_suite() {
        let suites = parse(LOG.lines());
        assert_eq!(suites.len(), 1);
        let s = &suites[0];
        assert_eq!(s.name, "rv6_netfilter");
        assert_eq!(
            (
                s.count(Outcome::Pass),
                s.count(Outcome::Fail),
                s.count(Outcome::Skip)
            ),
            (1, 1, 1)
        );
        assert_eq!(s.outcome, Some(Outcome::Fail));
        assert!(!s.passed());
    }

    #[test]
    fn a_suite_that_never_closes_is_reported_unfinished() {
        let log =
            "[ 1.0] # Subtest: crashy\n[ 1.0] 1..2\n[ 1.1] ok 1 first\n[ 1.2] Oops: 0000 [#1]\n";
        let suites = parse(log.lines());
        assert_eq!(suites.len(), 1);
        assert_eq!(suites[0].outcome, None);
        assert_eq!(suites[0].count(Outcome::Pass), 1);
        assert!(!suites[0].passed());
    }

    #[test]
    fn parameterised_cases_roll_up_into_their_suite() {
        let log = "\
# Subtest: s
1..1
    # Subtest: param
    ok 1 a
    not ok 2 b
not ok 1 param
not ok 1 s
";
        let suites = parse(log.lines());
        assert_eq!(
            suites[0].cases,
            vec![Case {
                name: "param".into(),
                outcome: Outcome::Fail
            }]
        );
    }

    #[test]
    fn printk_prefix_is_stripped_only_when_it_is_a_timestamp() {
        assert_eq!(strip_printk_prefix("[   12.5] ok 1 x"), (true, "ok 1 x"));
        assert_eq!(
            strip_printk_prefix("[not a stamp] ok"),
            (false, "[not a stamp] ok")
        );
    }

    #[test]
    fn result_lines_need_a_number() {
        assert_eq!(result_line("ok 12 name"), Some((Outcome::Pass, "name")));
        assert_eq!(result_line("ok computer"), None);
        assert_eq!(
            result_line("not ok 3 x # skip later"),
            Some((Outcome::Skip, "x"))
        );
    }
}
