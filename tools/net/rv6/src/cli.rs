//! The command line in iproute2's grammar:
//! `rv6 [ OPTIONS ] OBJECT { COMMAND | help }`, and beside the objects, as
//! `ip monitor` is, `rv6 [ OPTIONS ] monitor [ all | FAMILY ... ]`. A
//! command may be two words, a sub-object and what to do to it, as in
//! `ip mptcp endpoint add`: `rv6 shim6 context add`. As `ip -batch`,
//! `rv6 [ OPTIONS ] -batch FILE` takes its commands from the lines of FILE,
//! each parsed here by [`parse_line`] (see [`crate::batch`]).
//!
//! Keywords (options, objects, commands, argument keywords) match by unique
//! prefix, as iproute2's `matches()` does (`rv6 nf sh` is
//! `rv6 nf-count show`); an exact spelling always wins, and a prefix of two
//! keywords is an error naming both. Values (enum entries, names) are taken
//! as written. Everything here runs before any netlink or namespace work, so
//! a usage error (exit 2) never touches the kernel.

use std::fmt;

use crate::monitor::{
    self,
    Monitor, //
};
use crate::objects::{
    Action,
    Command,
    Object,
    OBJECTS, //
};
use crate::output::Format;

/// A mistake on the command line: exit status 2, the message on stderr.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UsageError {
    /// `rv6` alone: the usage text.
    NoObject,
    UnknownObject(String),
    UnknownCommand {
        object: &'static str,
        arg: String,
    },
    UnknownOption(String),
    /// A prefix of more than one keyword.
    Ambiguous {
        arg: String,
        candidates: Vec<&'static str>,
    },
    /// iproute2's `invarg()`: the argument and why it is wrong.
    Wrong {
        arg: String,
        why: String,
    },
    /// A keyword ended the line without its value.
    Incomplete {
        keyword: String,
        meta: String,
    },
    /// iproute2's `duparg()`: a keyword given twice.
    Duplicate {
        keyword: &'static str,
        arg: String,
    },
    /// iproute2's `missarg()`: a keyword the command cannot do without.
    Missing {
        keyword: &'static str,
    },
    /// A monitor on a line of `-batch FILE` (its words): it would never end.
    MonitorInBatch(String),
}

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UsageError::NoObject => write!(f, "{}", main_help().trim_end()),
            UsageError::UnknownObject(arg) => {
                write!(f, "Object \"{arg}\" is unknown, try \"rv6 help\".")
            }
            UsageError::UnknownCommand { object, arg } => write!(
                f,
                "Command \"{arg}\" is unknown, try \"rv6 {object} help\"."
            ),
            UsageError::UnknownOption(arg) => {
                write!(f, "Option \"{arg}\" is unknown, try \"rv6 -help\".")
            }
            UsageError::Ambiguous { arg, candidates } => write!(
                f,
                "Error: argument \"{arg}\" is ambiguous: it may be {}",
                candidates.join(", ")
            ),
            UsageError::Wrong { arg, why } => {
                write!(f, "Error: argument \"{arg}\" is wrong: {why}")
            }
            UsageError::Incomplete { keyword, meta } => write!(
                f,
                "Error: command line is not complete: \"{keyword}\" needs {meta}"
            ),
            UsageError::Duplicate { keyword, arg } => {
                write!(
                    f,
                    "Error: duplicate \"{keyword}\": \"{arg}\" is the second value."
                )
            }
            UsageError::Missing { keyword } => {
                write!(f, "Error: argument \"{keyword}\" is required")
            }
            UsageError::MonitorInBatch(line) => write!(
                f,
                "Error: \"{line}\" listens until interrupted: a batch cannot run it"
            ),
        }
    }
}

impl std::error::Error for UsageError {}

/// The keyword `arg` names among `words`: the exact one, else the only one
/// it is a prefix of. `Ok(None)` when it names none.
pub fn keyword(arg: &str, words: &[&'static str]) -> Result<Option<&'static str>, UsageError> {
    if arg.is_empty() {
        return Ok(None);
    }
    if let Some(w) = words.iter().find(|w| **w == arg) {
        return Ok(Some(w));
    }
    let hits: Vec<&'static str> = words
        .iter()
        .copied()
        .filter(|w| w.starts_with(arg))
        .collect();
    match hits.len() {
        0 => Ok(None),
        1 => Ok(Some(hits[0])),
        _ => Err(UsageError::Ambiguous {
            arg: arg.to_string(),
            candidates: hits,
        }),
    }
}

/// The words after the object and command, consumed left to right.
#[derive(Debug)]
pub struct Args {
    items: Vec<String>,
    pos: usize,
}

impl Args {
    pub fn new<I: IntoIterator<Item = S>, S: Into<String>>(items: I) -> Self {
        Args {
            items: items.into_iter().map(Into::into).collect(),
            pos: 0,
        }
    }

    #[allow(clippy::should_implement_trait)] // a cursor, not an iterator
    pub fn next(&mut self) -> Option<String> {
        let a = self.items.get(self.pos).cloned();
        self.pos += a.is_some() as usize;
        a
    }

    pub fn peek(&self) -> Option<&str> {
        self.items.get(self.pos).map(String::as_str)
    }

    /// The value following `keyword`, described as `meta` if it is missing.
    pub fn value(&mut self, keyword: &str, meta: &str) -> Result<String, UsageError> {
        self.next().ok_or_else(|| UsageError::Incomplete {
            keyword: keyword.to_string(),
            meta: meta.to_string(),
        })
    }

    /// Refuses whatever is left: `why` says what could have come instead.
    pub fn finish(&mut self, why: &str) -> Result<(), UsageError> {
        match self.next() {
            None => Ok(()),
            Some(arg) => Err(UsageError::Wrong {
                arg,
                why: why.to_string(),
            }),
        }
    }
}

/// A global option: its full spelling (matched by prefix) and its value's
/// placeholder, if it takes one.
struct Opt {
    name: &'static str,
    value: Option<&'static str>,
}

/// In help order. `--json` works too: a second dash is dropped, as in ip.
const OPTIONS: &[Opt] = &[
    Opt {
        name: "-Version",
        value: None,
    },
    Opt {
        name: "-json",
        value: None,
    },
    Opt {
        name: "-pretty",
        value: None,
    },
    Opt {
        name: "-netns",
        value: Some("NETNS"),
    },
    Opt {
        name: "-batch",
        value: Some("FILE"),
    },
    Opt {
        name: "-force",
        value: None,
    },
    Opt {
        name: "-help",
        value: None,
    },
];

/// `-j[son]`: the shortest unique prefix, then the rest in brackets.
fn option_synopsis(opt: &Opt) -> String {
    let names: Vec<&str> = OPTIONS.iter().map(|o| o.name).collect();
    let cut = (2..=opt.name.len())
        .find(|&n| {
            let p = &opt.name[..n];
            names.iter().filter(|o| o.starts_with(p)).count() == 1
        })
        .unwrap_or(opt.name.len());
    let mut s = opt.name[..cut].to_string();
    if cut < opt.name.len() {
        s += &format!("[{}]", &opt.name[cut..]);
    }
    if let Some(v) = opt.value {
        s += &format!(" {v}");
    }
    s
}

/// The grammar of a batch, as `rv6 help` prints it.
pub const BATCH_USAGE: &str = "rv6 [ OPTIONS ] -batch FILE";

/// `rv6 help`: the grammar, options and objects.
pub fn main_help() -> String {
    let objects: Vec<&str> = OBJECTS.iter().map(|o| o.name).collect();
    let options: Vec<String> = OPTIONS.iter().map(option_synopsis).collect();
    let mut s = String::new();
    s += "Usage: rv6 [ OPTIONS ] OBJECT { COMMAND | help }\n";
    s += &format!("       {}\n", monitor::USAGE);
    s += &format!("       {BATCH_USAGE}\n");
    s += "       rv6 help\n";
    s += &format!("       rv6 {}\n", option_synopsis(&OPTIONS[0]));
    s += &format!("where  OBJECT := {{ {} }}\n", objects.join(" | "));
    s += &format!("       {}\n", monitor::family_line());
    s += &format!("       OPTIONS := {{ {} }}\n", options.join(" | "));
    s += "Objects:\n";
    let width = objects.iter().map(|o| o.len()).max().unwrap_or(0);
    for o in OBJECTS {
        s += &format!("       {:width$}  {}\n", o.name, o.summary);
    }
    s
}

/// Global options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub json: bool,
    pub pretty: bool,
    pub netns: Option<String>,
}

impl Options {
    /// `-p` only shapes JSON, as in ip: text output ignores it.
    pub fn format(&self) -> Format {
        match (self.json, self.pretty) {
            (false, _) => Format::Text,
            (true, false) => Format::Json,
            (true, true) => Format::JsonPretty,
        }
    }
}

/// What the command line asks for.
#[derive(Debug)]
pub enum Invocation {
    Version,
    /// Print this help text on stdout, exit 0.
    Help(String),
    Run {
        options: Options,
        action: Box<dyn Action>,
    },
    /// `rv6 monitor`: listen until interrupted.
    Monitor {
        options: Options,
        monitor: Monitor,
    },
    /// `-batch FILE` (`-` for stdin): each line a command, every one under
    /// `options`; with `-force`, a failing line does not end the batch.
    Batch {
        options: Options,
        file: String,
        force: bool,
    },
}

/// What the words from the object on ask for.
#[derive(Debug)]
enum Task {
    /// A command (which may be a monitor: see [`Action::listener`]).
    Run(Box<dyn Action>),
    /// `rv6 monitor`: listen until interrupted.
    Monitor(Monitor),
    /// Print this help text on stdout.
    Help(String),
}

/// What a line of a batch asks for: never a monitor.
#[derive(Debug)]
pub enum Line {
    /// A command that answers once.
    Run(Box<dyn Action>),
    /// Print this help text, as `rv6 ... help` does.
    Help(String),
}

/// Parses the arguments after the program name.
pub fn parse<I: IntoIterator<Item = S>, S: Into<String>>(
    argv: I,
) -> Result<Invocation, UsageError> {
    let mut args = Args::new(argv);
    let mut options = Options {
        json: false,
        pretty: false,
        netns: None,
    };
    let (mut batch, mut force) = (None, false);
    while let Some(a) = args.peek() {
        if !a.starts_with('-') {
            break;
        }
        let arg = args.next().unwrap_or_default();
        let spelt = arg
            .strip_prefix('-')
            .filter(|s| s.starts_with('-'))
            .unwrap_or(&arg);
        let names: Vec<&'static str> = OPTIONS.iter().map(|o| o.name).collect();
        let opt = if spelt.len() < 2 {
            None
        } else {
            keyword(spelt, &names)?
        };
        match opt {
            Some("-Version") => return Ok(Invocation::Version),
            Some("-help") => return Ok(Invocation::Help(main_help())),
            Some("-json") => options.json = true,
            Some("-pretty") => options.pretty = true,
            Some("-netns") => {
                let ns = args.value(&arg, "a NETNS name")?;
                if ns.is_empty() || ns.contains('/') || ns == "." || ns == ".." {
                    return Err(UsageError::Wrong {
                        arg: ns,
                        why: "NETNS must be a name under /run/netns".to_string(),
                    });
                }
                if options.netns.is_some() {
                    return Err(UsageError::Duplicate {
                        keyword: "-netns",
                        arg: ns,
                    });
                }
                options.netns = Some(ns);
            }
            Some("-batch") => {
                let file = args.value(&arg, "a FILE")?;
                if batch.is_some() {
                    return Err(UsageError::Duplicate {
                        keyword: "-batch",
                        arg: file,
                    });
                }
                batch = Some(file);
            }
            Some("-force") => force = true,
            _ => return Err(UsageError::UnknownOption(arg)),
        }
    }

    if let Some(file) = batch {
        args.finish("the commands of \"-batch\" are the lines of its FILE")?;
        return Ok(Invocation::Batch {
            options,
            file,
            force,
        });
    }
    if force {
        return Err(UsageError::Wrong {
            arg: "-force".to_string(),
            why: "\"-force\" goes with \"-batch FILE\"".to_string(),
        });
    }
    Ok(match parse_task(&mut args)? {
        Task::Run(action) => Invocation::Run { options, action },
        Task::Monitor(monitor) => Invocation::Monitor { options, monitor },
        Task::Help(text) => Invocation::Help(text),
    })
}

/// A line of a batch, as words: a command as it would follow the options
/// on the command line. Options are not allowed on it (they go before
/// `-batch`, for every line, as in iproute2), nor is a monitor, which
/// would never end.
pub fn parse_line(words: Vec<String>) -> Result<Line, UsageError> {
    if let Some(option) = words.first().filter(|w| w.starts_with('-')) {
        return Err(UsageError::Wrong {
            arg: option.clone(),
            why: "options go before \"-batch\", for every line".to_string(),
        });
    }
    let mut args = Args::new(words);
    let monitor = |args: Args| Err(UsageError::MonitorInBatch(args.items.join(" ")));
    match parse_task(&mut args)? {
        Task::Monitor(_) => monitor(args),
        Task::Run(action) if action.listener().is_some() => monitor(args),
        Task::Run(action) => Ok(Line::Run(action)),
        Task::Help(text) => Ok(Line::Help(text)),
    }
}

/// The words from the object on: `OBJECT [ COMMAND [ ARGS ] | help ]`,
/// `monitor ...` or `help`.
fn parse_task(args: &mut Args) -> Result<Task, UsageError> {
    let Some(arg) = args.next() else {
        return Err(UsageError::NoObject);
    };
    let mut words: Vec<&'static str> = OBJECTS.iter().map(|o| o.name).collect();
    words.extend(["help", "monitor"]);
    let object = match keyword(&arg, &words)? {
        None => return Err(UsageError::UnknownObject(arg)),
        Some("help") => {
            args.finish("\"rv6 help\" takes no arguments")?;
            return Ok(Task::Help(main_help()));
        }
        Some("monitor") => {
            return Ok(match monitor::parse(args)? {
                monitor::Request::Listen(monitor) => Task::Monitor(monitor),
                monitor::Request::Help => Task::Help(monitor::help()),
            })
        }
        Some(name) => OBJECTS
            .iter()
            .copied()
            .find(|o| o.name == name)
            .expect("matched an object name"),
    };

    let Some(command) = command(object, args)? else {
        args.finish(&format!("\"rv6 {} help\" takes no arguments", object.name))?;
        return Ok(Task::Help(object.help()));
    };
    Ok(Task::Run((command.parse)(args)?))
}

/// The command the next words name, `None` for `help`; none at all names
/// the default. A command of two words, `GROUP COMMAND`, is found by its
/// group among the object's commands and groups, then by its second word
/// among the group's (or `help`); a group alone runs its first command.
fn command(object: &Object, args: &mut Args) -> Result<Option<&'static Command>, UsageError> {
    let named = |name: &str| {
        object
            .commands
            .iter()
            .find(|c| c.name == name)
            .expect("matched a command name")
    };
    let unknown = |arg| UsageError::UnknownCommand {
        object: object.name,
        arg,
    };
    let Some(arg) = args.next() else {
        return Ok(Some(named(object.default_command)));
    };
    let mut words: Vec<&'static str> = Vec::new();
    for c in object.commands {
        let first = c.name.split(' ').next().unwrap_or_default();
        if !words.contains(&first) {
            words.push(first);
        }
    }
    words.push("help");
    let first = match keyword(&arg, &words)? {
        None => return Err(unknown(arg)),
        Some("help") => return Ok(None),
        Some(first) => first,
    };
    let group: Vec<(&'static str, &'static Command)> = object
        .commands
        .iter()
        .filter_map(|c| match c.name.split_once(' ') {
            Some((g, second)) if g == first => Some((second, c)),
            _ => None,
        })
        .collect();
    let Some(&(_, default)) = group.first() else {
        return Ok(Some(named(first)));
    };
    let Some(arg) = args.next() else {
        return Ok(Some(default));
    };
    let mut words: Vec<&'static str> = group.iter().map(|(second, _)| *second).collect();
    words.push("help");
    match keyword(&arg, &words)? {
        None => Err(unknown(arg)),
        Some("help") => Ok(None),
        Some(second) => Ok(group.iter().find(|(s, _)| *s == second).map(|(_, c)| *c)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The options and the parsed action (its Debug form names the command).
    fn run(line: &str) -> Result<(Options, String), UsageError> {
        match parse(line.split_whitespace())? {
            Invocation::Run { options, action } => Ok((options, format!("{action:?}"))),
            other => panic!("{line}: not a command: {other:?}"),
        }
    }

    fn err(line: &str) -> String {
        parse(line.split_whitespace()).unwrap_err().to_string()
    }

    #[test]
    fn keywords_match_exactly_or_by_unique_prefix() {
        let w = ["show", "set", "reset", "help"];
        assert_eq!(keyword("show", &w), Ok(Some("show")));
        assert_eq!(keyword("sh", &w), Ok(Some("show")));
        assert_eq!(keyword("r", &w), Ok(Some("reset")));
        assert_eq!(keyword("x", &w), Ok(None));
        assert_eq!(keyword("", &w), Ok(None));
        assert_eq!(keyword("showw", &w), Ok(None));
        assert_eq!(
            keyword("s", &w),
            Err(UsageError::Ambiguous {
                arg: "s".into(),
                candidates: vec!["show", "set"]
            })
        );
        // An exact spelling wins over being a prefix of a longer keyword.
        assert_eq!(keyword("ni", &["ni", "nif"]), Ok(Some("ni")));
        assert_eq!(
            err_text(keyword("n", &["ni", "nf-count"])),
            "Error: argument \"n\" is ambiguous: it may be ni, nf-count"
        );
    }

    fn err_text<T: fmt::Debug>(r: Result<T, UsageError>) -> String {
        r.unwrap_err().to_string()
    }

    #[test]
    fn prefixes_reach_the_same_command_as_full_words() {
        let full = run("nf-count show").unwrap();
        assert_eq!(run("nf sh").unwrap(), full);
        assert_eq!(run("nf s").unwrap(), full);
        assert_eq!(full.1, "Show { hook: None }");
        assert_eq!(
            run("nf sh h local-out").unwrap(),
            run("nf-count show hook local-out").unwrap()
        );
        assert_eq!(run("nf res").unwrap().1, "Reset { hook: None }");
        assert_eq!(
            run("nf-count reset hook forward").unwrap().1,
            "Reset { hook: Some(2) }"
        );
    }

    #[test]
    fn an_object_without_command_shows() {
        assert_eq!(run("nf-count").unwrap().1, "Show { hook: None }");
    }

    #[test]
    fn options_come_before_the_object() {
        let (o, ..) = run("-j -p -n blue nf-count show").unwrap();
        assert_eq!(
            o,
            Options {
                json: true,
                pretty: true,
                netns: Some("blue".into())
            }
        );
        assert_eq!(o.format(), Format::JsonPretty);
        let (o, ..) = run("--json -netns red nf").unwrap();
        assert_eq!(
            (o.format(), o.netns.as_deref()),
            (Format::Json, Some("red"))
        );
        let (o, ..) = run("-pretty nf").unwrap();
        assert_eq!(o.format(), Format::Text);
        assert!(matches!(parse(["-V"]), Ok(Invocation::Version)));
        assert!(matches!(parse(["-Version", "nf"]), Ok(Invocation::Version)));
        // Options end at the object: after it, "-j" is an argument.
        assert_eq!(
            err("nf-count show -j"),
            "Error: argument \"-j\" is wrong: expected \"hook HOOK\""
        );
    }

    #[test]
    fn help_at_each_level() {
        for line in ["help", "h", "-h", "--help", "-help nf-count"] {
            match parse(line.split_whitespace()) {
                Ok(Invocation::Help(t)) => assert_eq!(t, main_help(), "{line}"),
                other => panic!("{line}: {other:?}"),
            }
        }
        for line in ["nf-count help", "nf he"] {
            match parse(line.split_whitespace()) {
                Ok(Invocation::Help(t)) => assert!(t.contains("rv6 nf-count reset"), "{line}"),
                other => panic!("{line}: {other:?}"),
            }
        }
        assert_eq!(
            err("help me"),
            "Error: argument \"me\" is wrong: \"rv6 help\" takes no arguments"
        );
    }

    #[test]
    fn wrong_words_are_named() {
        assert!(err("").starts_with("Usage: rv6 [ OPTIONS ] OBJECT"));
        assert_eq!(err("frob"), "Object \"frob\" is unknown, try \"rv6 help\".");
        assert_eq!(
            err("nf-count frob"),
            "Command \"frob\" is unknown, try \"rv6 nf-count help\"."
        );
        assert_eq!(err("-x nf"), "Option \"-x\" is unknown, try \"rv6 -help\".");
        assert_eq!(err("- nf"), "Option \"-\" is unknown, try \"rv6 -help\".");
        assert_eq!(
            err("nf show hook foo"),
            "Error: argument \"foo\" is wrong: HOOK must be one of pre-routing, \
             local-in, forward, local-out, post-routing"
        );
        assert_eq!(
            err("nf reset hook"),
            "Error: command line is not complete: \"hook\" needs a HOOK"
        );
        assert_eq!(
            err("-n"),
            "Error: command line is not complete: \"-n\" needs a NETNS name"
        );
        assert_eq!(
            err("-n ../etc nf"),
            "Error: argument \"../etc\" is wrong: NETNS must be a name under /run/netns"
        );
        assert_eq!(
            err("-n a -n b nf"),
            "Error: duplicate \"-netns\": \"b\" is the second value."
        );
    }

    /// `-batch FILE` with the options for every line, `-force` beside it;
    /// no command after them.
    #[test]
    fn batch_takes_a_file_and_the_options_of_every_line() {
        let batch = |line: &str| match parse(line.split_whitespace()) {
            Ok(Invocation::Batch {
                options,
                file,
                force,
            }) => (options, file, force),
            other => panic!("{line}: not a batch: {other:?}"),
        };
        let (o, file, force) = batch("-n blue -j -batch cmds");
        assert_eq!(
            (o.netns.as_deref(), o.json, file.as_str()),
            (Some("blue"), true, "cmds")
        );
        assert!(!force);
        let (o, file, force) = batch("-b - -f -p");
        assert_eq!((o.pretty, file.as_str(), force), (true, "-", true));
        assert!(batch("--force --batch f").2);
        assert_eq!(
            err("-batch f nf-count show"),
            "Error: argument \"nf-count\" is wrong: the commands of \"-batch\" are the \
             lines of its FILE"
        );
        assert_eq!(
            err("-force nf-count"),
            "Error: argument \"-force\" is wrong: \"-force\" goes with \"-batch FILE\""
        );
        assert_eq!(
            err("-batch"),
            "Error: command line is not complete: \"-batch\" needs a FILE"
        );
        assert_eq!(
            err("-batch a -batch b"),
            "Error: duplicate \"-batch\": \"b\" is the second value."
        );
    }

    fn line(words: &str) -> Result<Line, String> {
        parse_line(words.split_whitespace().map(String::from).collect()).map_err(|e| e.to_string())
    }

    /// A batch's line is the command line less its options: a command, or
    /// help; never a monitor, never an option.
    #[test]
    fn a_batch_line_is_a_command_or_help() {
        let Ok(Line::Run(a)) = line("nf sh hook forward") else {
            panic!("a command")
        };
        assert_eq!(format!("{a:?}"), "Show { hook: Some(2) }");
        let Ok(Line::Help(text)) = line("nf help") else {
            panic!("help")
        };
        assert!(text.starts_with("Usage: rv6 nf-count show"));
        assert!(matches!(line("help"), Ok(Line::Help(t)) if t == main_help()));
        assert_eq!(
            line("-j nf show").unwrap_err(),
            "Error: argument \"-j\" is wrong: options go before \"-batch\", for every line"
        );
        for monitor in [
            "monitor",
            "mon all",
            "xfrm monitor nokeys",
            "xfrm pfkey monitor",
        ] {
            assert_eq!(
                line(monitor).unwrap_err(),
                format!("Error: \"{monitor}\" listens until interrupted: a batch cannot run it")
            );
        }
        // The monitor's own usage errors come first, as on the command line.
        assert_eq!(
            line("monitor nope").unwrap_err(),
            "Error: argument \"nope\" is wrong: FAMILY must be one of rv6-genl-test, rv6-shim6"
        );
        assert_eq!(
            line("nf show hook").unwrap_err(),
            "Error: command line is not complete: \"hook\" needs a HOOK"
        );
    }

    #[test]
    fn option_synopses_show_the_shortest_unique_prefix() {
        let all: Vec<String> = OPTIONS.iter().map(option_synopsis).collect();
        assert_eq!(
            all,
            [
                "-V[ersion]",
                "-j[son]",
                "-p[retty]",
                "-n[etns] NETNS",
                "-b[atch] FILE",
                "-f[orce]",
                "-h[elp]"
            ]
        );
        // And that prefix really parses as the option.
        for o in OPTIONS {
            let short = option_synopsis(o);
            let short = short.split('[').next().unwrap();
            let names: Vec<&str> = OPTIONS.iter().map(|o| o.name).collect();
            assert_eq!(keyword(short, &names), Ok(Some(o.name)));
        }
    }
}
