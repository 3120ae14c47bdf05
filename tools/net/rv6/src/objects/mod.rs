//! The objects of `rv6 OBJECT COMMAND`: one module each, registered in
//! [`OBJECTS`]. An object is a table: its name, a one-line summary for
//! `rv6 help`, its commands (name, argument synopsis, parser) and the enums
//! its help defines. A command's parser reads the remaining words and returns
//! an [`Action`]; `main` runs it once the namespace and socket are ready, and
//! prints what it returns through the shared output layer.
//!
//! A command's name may be two words, `GROUP COMMAND`, for an object with
//! sub-objects, as `ip mptcp endpoint add` has: `shim6` has `context show`,
//! `context add`, ..., beside `stats`. `rv6 shim6 context` alone runs the
//! group's first command.
//!
//! To add an object: write `objects/<name>.rs` with a `pub static OBJECT`,
//! list it below, and document the lines its `help()` prints in `rv6.8`
//! (the `help_and_man_page_agree` test fails until you do). A family whose
//! only operation reads a set of counters needs no module of its own: add
//! an entry to [`stats`]; one that keeps settings per namespace, read by one
//! operation and changed by another, takes its `show` and `set` from a
//! [`settings::Settings`] table.

use std::fmt;
use std::io::Write;

use crate::cli::{
    Args,
    UsageError, //
};
use crate::error::Error;
use crate::output::{
    Format,
    Output, //
};
use crate::sockets::Sockets;
use crate::spec::Enum;

pub mod guard;
pub mod nf_count;
pub mod ninfo;
pub mod settings;
pub mod shim6;
pub mod shim6_hba;
pub mod stats;
pub mod xfrm;

/// Every object, in help order.
pub static OBJECTS: &[&Object] = &[
    &nf_count::OBJECT,
    &stats::MIP6,
    &stats::CT_FTP,
    &stats::CT_DHCPV6,
    &ninfo::OBJECT,
    &shim6::OBJECT,
    &guard::OBJECT,
    &xfrm::OBJECT,
];

/// A parsed command, ready to run against the kernel.
pub trait Action: fmt::Debug {
    /// Sends the command's requests through `sockets` (opening the ones it
    /// needs, or reusing those a batch's earlier lines opened) and returns
    /// what to print.
    fn run(&self, sockets: &mut Sockets) -> Result<Output, Error>;

    /// For a command that prints as things happen until interrupted (`rv6
    /// xfrm monitor`): what listens, which `main` calls instead of
    /// [`Action::run`], and which a batch refuses. `None`, the default,
    /// for a command that answers once.
    fn listener(&self) -> Option<&dyn Listener> {
        None
    }
}

/// A monitor among the commands.
pub trait Listener {
    /// Listens, writing each event to `out` in `format`, until interrupted
    /// (or, reading a file, until its end).
    fn listen(&self, format: Format, out: &mut dyn Write) -> Result<(), Error>;
}

pub type Parser = fn(&mut Args) -> Result<Box<dyn Action>, UsageError>;

pub struct Command {
    /// One word, or two: a group (sub-object) and a command on it.
    pub name: &'static str,
    /// What follows `rv6 OBJECT COMMAND` in the help, e.g. `[ hook HOOK ]`.
    pub synopsis: &'static str,
    pub parse: Parser,
}

pub struct Object {
    pub name: &'static str,
    pub summary: &'static str,
    pub commands: &'static [Command],
    /// What `rv6 OBJECT` alone runs (ip's habit: `ip link` lists links):
    /// a command's full name.
    pub default_command: &'static str,
    /// The placeholders the synopses use, defined under `where`.
    pub enums: &'static [&'static Enum],
}

impl Object {
    /// `rv6 nf-count show [ hook HOOK ]`, ..., `rv6 nf-count help`.
    pub fn usage_lines(&self) -> Vec<String> {
        let mut lines: Vec<String> = self
            .commands
            .iter()
            .map(|c| {
                format!("rv6 {} {} {}", self.name, c.name, c.synopsis)
                    .trim_end()
                    .to_string()
            })
            .collect();
        lines.push(format!("rv6 {} help", self.name));
        lines
    }

    /// `rv6 OBJECT help`.
    pub fn help(&self) -> String {
        let mut s = String::new();
        for (i, line) in self.usage_lines().iter().enumerate() {
            s += if i == 0 { "Usage: " } else { "       " };
            s += line;
            s += "\n";
        }
        for (i, e) in self.enums.iter().enumerate() {
            s += if i == 0 { "where  " } else { "       " };
            s += &e.where_line();
            s += "\n";
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{
        keyword,
        main_help, //
    };

    #[test]
    fn object_and_command_names_are_sound() {
        let mut names: Vec<&str> = OBJECTS.iter().map(|o| o.name).collect();
        names.extend(["help", "monitor"]);
        for o in OBJECTS {
            // Reachable by their full name (no object is another's prefix
            // in a way that hides it) and not clashing with "help" or
            // "monitor".
            assert_eq!(keyword(o.name, &names), Ok(Some(o.name)));
            let mut cmds: Vec<&str> = o.commands.iter().map(|c| c.name).collect();
            assert!(cmds.contains(&o.default_command), "{}", o.name);
            for c in &cmds {
                // One word or two, neither of them "help" (which is
                // implicit at either level), and a group's word is no
                // command of its own.
                let words: Vec<&str> = c.split(' ').collect();
                assert!(matches!(words.len(), 1 | 2), "{}: {c:?}", o.name);
                assert!(!words.contains(&"help"), "{}: help is implicit", o.name);
                assert!(words.iter().all(|w| !w.is_empty()), "{}: {c:?}", o.name);
                if words.len() == 2 {
                    assert!(!cmds.contains(&words[0]), "{}: {c:?}", o.name);
                }
            }
            cmds.sort();
            cmds.dedup();
            assert_eq!(
                cmds.len(),
                o.commands.len(),
                "{}: duplicate command",
                o.name
            );
        }
    }

    /// Every line `rv6 help`, `rv6 OBJECT help` and `rv6 monitor help`
    /// print appears, as text, in the man page: the grammar cannot drift
    /// from its documentation.
    #[test]
    fn help_and_man_page_agree() {
        let man = man_text(include_str!("../../rv6.8"));
        let mut helps = vec![main_help(), crate::monitor::help()];
        helps.extend(OBJECTS.iter().map(|o| o.help()));
        let mut checked = 0;
        for help in &helps {
            for line in help.lines() {
                let line = line
                    .trim_start_matches("Usage:")
                    .trim_start_matches("where ")
                    .trim();
                if line.is_empty() || line == "Objects:" {
                    continue;
                }
                let line = squash(line);
                assert!(man.contains(&line), "rv6.8 lacks \"{line}\"");
                checked += 1;
            }
        }
        // main: 4 usage lines, 3 definitions, 5 object lines; monitor:
        // 2 + 1; nf-count: 3 + 1; mip6, ct-ftp, ct-dhcpv6: 2 each; shim6:
        // 9 + 1.
        assert!(checked >= 35, "only {checked} lines checked");
        assert!(!man.contains("rv6 nf-count frobnicate"));
    }

    fn squash(s: &str) -> String {
        s.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    /// The words a reader of the man page sees: font macros and escapes
    /// resolved, other requests dropped, whitespace squashed.
    fn man_text(roff: &str) -> String {
        let mut out = Vec::new();
        for line in roff.replace("\\\n", "").lines() {
            if line.starts_with(".\\\"") || line.starts_with("'\\\"") {
                continue;
            }
            if let Some(req) = line.strip_prefix('.') {
                let (name, rest) = req.split_once(' ').unwrap_or((req, ""));
                match name {
                    // Alternating fonts: the arguments run together.
                    "BR" | "RB" | "IR" | "RI" | "BI" | "IB" => out.push(roff_args(rest).concat()),
                    "B" | "I" | "SH" | "SS" => out.push(roff_args(rest).join(" ")),
                    _ => {}
                }
            } else {
                out.push(line.to_string());
            }
        }
        let text = out
            .join(" ")
            .replace("\\fB", "")
            .replace("\\fI", "")
            .replace("\\fR", "")
            .replace("\\fP", "")
            .replace("\\-", "-")
            .replace("\\&", "")
            .replace("\\e", "\\");
        squash(&text)
    }

    /// A request's arguments, with roff's double quotes.
    fn roff_args(s: &str) -> Vec<String> {
        let mut args = Vec::new();
        let mut chars = s.chars().peekable();
        loop {
            while chars.peek() == Some(&' ') {
                chars.next();
            }
            let Some(&c) = chars.peek() else { break };
            let mut arg = String::new();
            if c == '"' {
                chars.next();
                for c in chars.by_ref() {
                    if c == '"' {
                        break;
                    }
                    arg.push(c);
                }
            } else {
                while let Some(&c) = chars.peek() {
                    if c == ' ' {
                        break;
                    }
                    arg.push(c);
                    chars.next();
                }
            }
            args.push(arg);
        }
        args
    }

    #[test]
    fn the_man_text_reader_resolves_fonts() {
        let roff = ".\\\" a comment\n.B rv6\n.RI \"[ \" OPTIONS \" ] \" OBJECT\n\
                    .BR help \" }\"\n.sp\n\\fB\\-j\\fR[\\fIson\\fR] |\n.IR HOOK \" ]\"\n";
        assert_eq!(
            man_text(roff),
            "rv6 [ OPTIONS ] OBJECT help } -j[son] | HOOK ]"
        );
    }
}
