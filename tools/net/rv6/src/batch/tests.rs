//! A batch's lines as iproute2 reads them, parsed all before any runs, and
//! run in order through one set of sockets: stopping at the first failure
//! or, forced, going on.

use std::cell::RefCell;
use std::rc::Rc;

use super::*;
use crate::objects::Action;
use crate::output::{
    Record,
    Value, //
};

/// Each command's line number and its words, joined by `|`.
fn words_of(text: &str) -> Vec<(usize, String)> {
    commands(text)
        .unwrap()
        .into_iter()
        .map(|c| (c.number, c.words.join("|")))
        .collect()
}

/// The expected form of [`words_of`].
fn want(lines: &[(usize, &str)]) -> Vec<(usize, String)> {
    lines.iter().map(|(n, w)| (*n, w.to_string())).collect()
}

#[test]
fn comments_and_blank_lines_are_skipped_and_lines_keep_their_numbers() {
    let text = "# the moves\n\n  nf-count show   # all hooks\n\t\r\nxfrm bulk stats#x\n   # end\n";
    assert_eq!(
        words_of(text),
        want(&[(3, "nf-count|show"), (5, "xfrm|bulk|stats")])
    );
    assert_eq!(words_of(""), want(&[]));
    assert_eq!(words_of("nf"), want(&[(1, "nf")]), "no newline at the end");
    assert_eq!(words_of("nf\r\nmip6\r\n"), want(&[(1, "nf"), (2, "mip6")]));
}

/// A backslash just before the end of a line continues the command; it
/// is numbered by its first line, and the lines after it count on.
#[test]
fn a_backslash_continues_the_command_on_the_next_line() {
    let text = "xfrm bulk migrate ::1 \\\n  to ::2 \\\n dir out\nmip6\n";
    assert_eq!(
        words_of(text),
        want(&[(1, "xfrm|bulk|migrate|::1|to|::2|dir|out"), (4, "mip6")])
    );
    // In a comment, or not at the end, a backslash is no continuation.
    assert_eq!(
        words_of("nf # \\\nmip6 a\\b\n"),
        want(&[(1, "nf"), (2, "mip6|a\\b")])
    );
    assert_eq!(
        commands("nf \\\n").unwrap_err(),
        LineError {
            number: 1,
            err: UsageError::Incomplete {
                keyword: "\\".into(),
                meta: "a line to continue the command".into()
            }
        }
    );
}

/// Quotes hold blanks; the closing quote ends the word; `#` is a comment
/// even inside quotes, as in iproute2.
#[test]
fn quoted_words_keep_their_blanks() {
    assert_eq!(
        words_of("a \"b c\" 'd\te'f \"\"\n"),
        want(&[(1, "a|b c|d\te|f|")])
    );
    assert_eq!(
        commands("nf\n\"a b\n").unwrap_err().to_string_pair(),
        (
            2,
            "Error: argument \"\"a b\" is wrong: a quoted word must end with its quote".into()
        )
    );
    assert_eq!(
        commands("'a # b'\n").unwrap_err().number,
        1,
        "the comment cut the quote"
    );
}

impl LineError {
    fn to_string_pair(&self) -> (usize, String) {
        (self.number, self.err.to_string())
    }
}

/// Every line is parsed before any runs: the first wrong one fails the
/// batch, by its number.
#[test]
fn a_usage_error_on_any_line_fails_the_batch() {
    let ok = parse("nf help\n# c\nxfrm bulk stats\n").unwrap();
    assert_eq!(ok.iter().map(|c| c.number).collect::<Vec<_>>(), [1, 3]);
    assert!(matches!(ok[0].line, Line::Help(_)));
    assert!(matches!(ok[1].line, Line::Run(_)));
    for (text, number, msg) in [
        (
            "nf help\n\nnf show hook nope\nmip6 frob\n",
            3,
            "Error: argument \"nope\" is wrong: HOOK must be one of pre-routing, local-in, \
             forward, local-out, post-routing",
        ),
        (
            "nf\nxfrm monitor\n",
            2,
            "Error: \"xfrm monitor\" listens until interrupted: a batch cannot run it",
        ),
        (
            "monitor rv6-shim6\n",
            1,
            "Error: \"monitor rv6-shim6\" listens until interrupted: a batch cannot run it",
        ),
        (
            "nf\n-n blue nf\n",
            2,
            "Error: argument \"-n\" is wrong: options go before \"-batch\", for every line",
        ),
    ] {
        let e = parse(text).unwrap_err();
        assert_eq!(e.to_string_pair(), (number, msg.to_string()), "{text}");
    }
}

/// A command that records its running, and fails if told.
#[derive(Debug)]
struct Step {
    name: &'static str,
    fails: bool,
    ran: Rc<RefCell<Vec<&'static str>>>,
}

impl Action for Step {
    fn run(&self, _sockets: &mut Sockets) -> Result<crate::output::Output, Error> {
        self.ran.borrow_mut().push(self.name);
        if self.fails {
            return Err(Error::Netlink(format!("{} refused", self.name)));
        }
        let mut r = Record::default();
        r.push("step", Value::Str(self.name.to_string()));
        Ok(crate::output::Output::Object(r))
    }
}

/// Commands `a`, `b`, ... on lines 1, 3, 5, ..., those in `failing`
/// failing, and the record of what ran.
fn steps(
    names: &[&'static str],
    failing: &[&str],
) -> (Vec<Command>, Rc<RefCell<Vec<&'static str>>>) {
    let ran = Rc::new(RefCell::new(Vec::new()));
    let commands = names
        .iter()
        .enumerate()
        .map(|(i, name)| Command {
            number: 2 * i + 1,
            line: Line::Run(Box::new(Step {
                name,
                fails: failing.contains(name),
                ran: ran.clone(),
            })),
        })
        .collect();
    (commands, ran)
}

/// What a batch named `cmds` printed on stdout and stderr, and whether it
/// succeeded.
fn run(commands: &[Command], format: Format, force: bool) -> (String, String, bool) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let batch = Batch {
        file: "cmds",
        format,
        force,
    };
    let ok = batch.run(commands, &mut Sockets::new(), &mut out, &mut err);
    (
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
        ok,
    )
}

#[test]
fn every_command_runs_in_order_and_prints_as_alone() {
    let (commands, ran) = steps(&["a", "b", "c"], &[]);
    let (out, err, ok) = run(&commands, Format::Text, false);
    assert_eq!(*ran.borrow(), ["a", "b", "c"]);
    assert_eq!(out, "step a\nstep b\nstep c\n");
    assert_eq!((err.as_str(), ok), ("", true));
    let (out, ..) = run(&commands, Format::Json, false);
    assert_eq!(
        out,
        "{\"step\":\"a\"}\n{\"step\":\"b\"}\n{\"step\":\"c\"}\n"
    );
}

#[test]
fn the_first_failure_ends_the_batch_naming_its_line() {
    let (commands, ran) = steps(&["a", "b", "c"], &["b"]);
    let (out, err, ok) = run(&commands, Format::Text, false);
    assert_eq!(*ran.borrow(), ["a", "b"]);
    assert_eq!(out, "step a\n");
    assert_eq!(err, "Error: netlink: b refused\nCommand failed cmds:3\n");
    assert!(!ok);
}

#[test]
fn forced_the_batch_goes_on_and_still_fails() {
    let (commands, ran) = steps(&["a", "b", "c", "d"], &["b", "d"]);
    let (out, err, ok) = run(&commands, Format::Text, true);
    assert_eq!(*ran.borrow(), ["a", "b", "c", "d"]);
    assert_eq!(out, "step a\nstep c\n");
    assert_eq!(
        err,
        "Error: netlink: b refused\nCommand failed cmds:3\n\
         Error: netlink: d refused\nCommand failed cmds:7\n"
    );
    assert!(!ok);
}

/// A reader that went away: the commands still run, and that is no
/// failure.
#[test]
fn a_closed_output_does_not_stop_the_commands() {
    struct Closed;
    impl Write for Closed {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let (commands, ran) = steps(&["a", "b"], &[]);
    let batch = Batch {
        file: "-",
        format: Format::Text,
        force: false,
    };
    let mut err = Vec::new();
    assert!(batch.run(&commands, &mut Sockets::new(), &mut Closed, &mut err));
    assert_eq!(*ran.borrow(), ["a", "b"]);
    assert!(err.is_empty());
}

/// Help lines print their text.
#[test]
fn help_lines_print_their_help() {
    let commands = parse("ct-dhcpv6 help\n").unwrap();
    let (out, _, ok) = run(&commands, Format::Json, false);
    assert_eq!(
        out,
        "Usage: rv6 ct-dhcpv6 stats\n       rv6 ct-dhcpv6 help\n"
    );
    assert!(ok);
}

/// Against this host's kernel: `xfrm migrate` lines (of a selector no
/// policy has, refused with EPERM or ENOENT) all go through one XFRM
/// socket, and `xfrm bulk` lines (refused unless rv6_xfrm_migrate is
/// loaded) through one generic netlink socket; nothing else is opened.
#[test]
fn a_batch_opens_each_socket_once() {
    let migrate = "xfrm migrate src 2001:db8:ffff::/64 dst 2001:db8:fffe::/64 dir out \
                   old src 2001:db8:ffff::1 dst 2001:db8:fffe::1 proto esp mode tunnel \
                   reqid 4242 new src 2001:db8:ffff::2 dst 2001:db8:fffe::1\n";
    let commands = parse(&migrate.repeat(3)).unwrap();
    let mut sockets = Sockets::new();
    if let Err(e) = sockets.xfrm() {
        eprintln!("skipped: no XFRM netlink socket here: {e}");
        return;
    }
    let batch = Batch {
        file: "cmds",
        format: Format::Text,
        force: true,
    };
    let (mut out, mut err) = (Vec::new(), Vec::new());
    assert!(!batch.run(&commands, &mut sockets, &mut out, &mut err));
    let err = String::from_utf8(err).unwrap();
    assert_eq!(err.matches("Command failed cmds:").count(), 3, "{err}");
    assert_eq!(sockets.opened(), (0, 1), "{err}");

    let commands = parse("xfrm bulk stats\nxfrm bulk plan ::1 to ::2\n").unwrap();
    let mut sockets = Sockets::new();
    if let Err(e) = sockets.genl() {
        eprintln!("skipped: no generic netlink socket here: {e}");
        return;
    }
    batch.run(&commands, &mut sockets, &mut out, &mut Vec::new());
    assert_eq!(sockets.opened(), (1, 0));
}
