//! `rv6 [ OPTIONS ] -batch FILE`, as `ip -batch`: the lines of FILE (of
//! standard input for `-`), each a command as it would follow the options
//! on the command line, run one after the other under the options given
//! before `-batch` (`-n NETNS`, `-j`, `-p`).
//!
//! A line is read as iproute2's `getcmdline()` and `makeargs()` read it:
//! `#` starts a comment, to the end of the line; a backslash just before
//! the end of a line continues the command on the next; words are split at
//! blanks, and a word that starts with `"` or `'` runs to the next of the
//! same quote, blanks and all. Lines that leave no word are skipped.
//!
//! Unlike iproute2, whose parsers exit in the middle of a batch, every line
//! is parsed before the first one runs: a usage error on any line (an
//! option, a monitor, a wrong word) is reported with
//! `Command failed FILE:LINE` and exits 2 with nothing done. Then the
//! namespace is entered once and the commands run through one set of
//! [`Sockets`], which a command opens the first time it needs them: one
//! generic netlink socket, which asks nlctrl for each family once, and one
//! XFRM socket for all the `xfrm` lines. The first command the kernel
//! refuses prints its error and `Command failed FILE:LINE` on stderr and
//! ends the batch (exit 1); with `-force` the batch goes on, and exits 1
//! at its end. Each command's output is printed as it would be alone (with
//! `-j`, a JSON document per command that prints one).

use std::fs::File;
use std::io::{
    self,
    BufWriter,
    Read,
    Write, //
};

use crate::cli::{
    parse_line,
    Line,
    Options,
    UsageError, //
};
use crate::error::Error;
use crate::netns;
use crate::output::{
    render,
    Format, //
};
use crate::sockets::Sockets;

/// A command of the batch: the line it starts on, and its words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Words {
    /// 1 for the first line of the file.
    pub number: usize,
    /// Its words, quotes taken off.
    pub words: Vec<String>,
}

/// A command of the batch, parsed.
#[derive(Debug)]
pub struct Command {
    /// The line it starts on.
    pub number: usize,
    /// What it asks for.
    pub line: Line,
}

/// A mistake on a line of the batch: its number and the usage error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    /// The line the command starts on.
    pub number: usize,
    /// What is wrong with it.
    pub err: UsageError,
}

/// The blanks between words (iproute2's `makeargs()`).
const BLANKS: &[char] = &[' ', '\t', '\r', '\n'];

/// The commands of `text`, each with the number of the line it starts on;
/// comments, continuations and quotes as iproute2 reads them.
pub fn commands(text: &str) -> Result<Vec<Words>, LineError> {
    let mut out = Vec::new();
    let mut physical = text.split_inclusive('\n');
    let mut number = 0;
    while let Some(first) = physical.next() {
        number += 1;
        let start = number;
        let mut line = String::new();
        let mut piece = first;
        loop {
            let (body, ended) = match piece.strip_suffix('\n') {
                Some(body) => (body, true),
                None => (piece, false),
            };
            if let Some(hash) = body.find('#') {
                line += &body[..hash];
                break;
            }
            match body.strip_suffix('\\') {
                Some(body) if ended => {
                    line += body;
                    let Some(next) = physical.next() else {
                        return Err(LineError {
                            number: start,
                            err: UsageError::Incomplete {
                                keyword: "\\".to_string(),
                                meta: "a line to continue the command".to_string(),
                            },
                        });
                    };
                    number += 1;
                    piece = next;
                }
                _ => {
                    line += body;
                    break;
                }
            }
        }
        let words = words(&line).map_err(|err| LineError { number: start, err })?;
        if !words.is_empty() {
            out.push(Words {
                number: start,
                words,
            });
        }
    }
    Ok(out)
}

/// The words of one command line: split at blanks, a quoted word (from
/// `"` or `'` to the next same quote) taken whole, without its quotes.
fn words(line: &str) -> Result<Vec<String>, UsageError> {
    let mut words = Vec::new();
    let mut rest = line.trim_start_matches(BLANKS);
    while !rest.is_empty() {
        let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'');
        let (word, after) = match quote {
            Some(q) => match rest[1..].find(q) {
                Some(end) => (&rest[1..1 + end], &rest[end + 2..]),
                None => {
                    return Err(UsageError::Wrong {
                        arg: rest.to_string(),
                        why: "a quoted word must end with its quote".to_string(),
                    })
                }
            },
            None => {
                let end = rest.find(BLANKS).unwrap_or(rest.len());
                (&rest[..end], &rest[end..])
            }
        };
        words.push(word.to_string());
        rest = after.trim_start_matches(BLANKS);
    }
    Ok(words)
}

/// Every command of `text`, parsed; the first line with a usage error
/// fails them all.
pub fn parse(text: &str) -> Result<Vec<Command>, LineError> {
    commands(text)?
        .into_iter()
        .map(|w| match parse_line(w.words) {
            Ok(line) => Ok(Command {
                number: w.number,
                line,
            }),
            Err(err) => Err(LineError {
                number: w.number,
                err,
            }),
        })
        .collect()
}

/// The text of `file`, or of standard input for `-`.
fn read(file: &str) -> Result<String, Error> {
    let failed = |opening: bool| {
        move |err| Error::Batch {
            file: file.to_string(),
            opening,
            err,
        }
    };
    let mut text = String::new();
    if file == "-" {
        io::stdin()
            .read_to_string(&mut text)
            .map_err(failed(false))?;
    } else {
        File::open(file)
            .map_err(failed(true))?
            .read_to_string(&mut text)
            .map_err(failed(false))?;
    }
    Ok(text)
}

/// `rv6 [ OPTIONS ] -batch FILE [ -force ]`: the exit status, 0 when every
/// command succeeded, 1 when one failed (or FILE could not be read, or the
/// namespace entered), 2 for a usage error on any line.
pub fn main(file: &str, options: &Options, force: bool) -> u8 {
    let text = match read(file) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("Error: {e}");
            return 1;
        }
    };
    let commands = match parse(&text) {
        Ok(commands) => commands,
        Err(LineError { number, err }) => {
            eprintln!("{err}");
            eprintln!("Command failed {file}:{number}");
            return 2;
        }
    };
    if let Some(ns) = &options.netns {
        if let Err(e) = netns::enter(ns) {
            eprintln!("Error: {e}");
            return 1;
        }
    }
    let mut out = BufWriter::new(io::stdout().lock());
    let batch = Batch {
        file,
        format: options.format(),
        force,
    };
    let ok = batch.run(&commands, &mut Sockets::new(), &mut out, &mut io::stderr());
    match out.flush() {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            eprintln!("Error: {}", Error::Output(e));
            1
        }
        _ => u8::from(!ok),
    }
}

/// How a batch runs: its name for the messages, the output format, and
/// whether a failure ends it.
pub struct Batch<'a> {
    /// FILE as given (`-` for standard input).
    pub file: &'a str,
    /// Text or JSON, for every command.
    pub format: Format,
    /// `-force`: go on after a failure.
    pub force: bool,
}

impl Batch<'_> {
    /// Runs `commands` in order through `sockets`, their output to `out`,
    /// a failure's error and line to `err`; stops at the first failure
    /// unless forced. Whether every command succeeded. A closed `out` (a
    /// reader that went away) is not a failure: the commands still run.
    pub fn run(
        &self,
        commands: &[Command],
        sockets: &mut Sockets,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> bool {
        let mut ok = true;
        let mut closed = false;
        for c in commands {
            let printed = match &c.line {
                Line::Run(action) => action
                    .run(sockets)
                    .map(|output| render(&output, self.format)),
                Line::Help(text) => Ok(text.clone()),
            }
            .and_then(|text| {
                if closed {
                    return Ok(());
                }
                match out.write_all(text.as_bytes()) {
                    Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                        closed = true;
                        Ok(())
                    }
                    other => other.map_err(Error::Output),
                }
            });
            if let Err(e) = printed {
                ok = false;
                // What was printed before the failure comes first.
                let _ = out.flush();
                let _ = writeln!(err, "Error: {e}\nCommand failed {}:{}", self.file, c.number);
                if !self.force {
                    break;
                }
            }
        }
        ok
    }
}

#[cfg(test)]
mod tests;
