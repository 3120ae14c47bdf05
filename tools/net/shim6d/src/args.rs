//! The command line:
//!
//! ```text
//! shim6d --locators ADDR[,ADDR...] [ --ulid ADDR ] [ --log FILE ] [ -v ]
//! shim6d { -h | --help | -V | --version }
//! ```
//!
//! `--locators`: this host's addresses a context may use, the first its
//! ULID unless `--ulid` names another of them; `--log`: append the log to
//! FILE instead of writing it to stderr; `-v`: log more (each message's
//! bytes, the kernel's events the daemon does not act on).  An option's
//! value follows it as the next word or after `=`.  A usage error exits
//! with status 2, as iproute2's do.

use std::net::Ipv6Addr;
use std::path::PathBuf;

use rv6_cores::shim6_wire::Addr;

/// The grammar, for `--help` and usage errors.
pub const USAGE: &str =
    "Usage: shim6d --locators ADDR[,ADDR...] [ --ulid ADDR ] [ --log FILE ] [ -v ]
       shim6d { -h | --help | -V | --version }";

/// A daemon's settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Args {
    pub locators: Vec<Addr>,
    pub ulid: Option<Addr>,
    pub log: Option<PathBuf>,
    pub verbose: bool,
}

/// What the command line asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Invocation {
    Run(Args),
    Help,
    Version,
}

fn addr(word: &str, option: &str) -> Result<Addr, String> {
    word.parse::<Ipv6Addr>()
        .map(|a| a.octets())
        .map_err(|_| format!("{option}: \"{word}\" is not an IPv6 address"))
}

/// Parses the arguments after the program's name.
pub fn parse(argv: impl IntoIterator<Item = String>) -> Result<Invocation, String> {
    let mut argv = argv.into_iter();
    let mut locators = None;
    let mut ulid = None;
    let mut log = None;
    let mut verbose = false;
    while let Some(word) = argv.next() {
        let (option, inline) = match word.split_once('=') {
            Some((o, v)) if o.starts_with("--") => (o.to_string(), Some(v.to_string())),
            _ => (word.clone(), None),
        };
        if inline.is_some() && matches!(option.as_str(), "--help" | "--version" | "--verbose") {
            return Err(format!("{option} takes no value"));
        }
        let mut value = |what: &str| {
            inline
                .clone()
                .or_else(|| argv.next())
                .ok_or_else(|| format!("{option} needs {what}"))
        };
        match option.as_str() {
            "-h" | "--help" => return Ok(Invocation::Help),
            "-V" | "--version" => return Ok(Invocation::Version),
            "-v" | "--verbose" => verbose = true,
            "--locators" => {
                let list = value("ADDR[,ADDR...]")?;
                let addrs = list
                    .split(',')
                    .map(|w| addr(w, "--locators"))
                    .collect::<Result<Vec<_>, _>>()?;
                locators = Some(addrs);
            }
            "--ulid" => ulid = Some(addr(&value("ADDR")?, "--ulid")?),
            "--log" => log = Some(PathBuf::from(value("FILE")?)),
            _ => return Err(format!("unknown option \"{word}\"")),
        }
    }
    let locators = locators.ok_or("--locators is required")?;
    Ok(Invocation::Run(Args {
        locators,
        ulid,
        log,
        verbose,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(words: &[&str]) -> Result<Invocation, String> {
        parse(words.iter().map(|w| w.to_string()))
    }

    fn ip(s: &str) -> Addr {
        s.parse::<Ipv6Addr>().unwrap().octets()
    }

    #[test]
    fn every_option_in_both_spellings() {
        assert_eq!(
            run(&[
                "--locators",
                "2001:db8:a1::1,2001:db8:a2::1",
                "--log",
                "/tmp/a.log",
                "-v"
            ]),
            Ok(Invocation::Run(Args {
                locators: vec![ip("2001:db8:a1::1"), ip("2001:db8:a2::1")],
                ulid: None,
                log: Some("/tmp/a.log".into()),
                verbose: true,
            }))
        );
        assert_eq!(
            run(&[
                "--ulid=2001:db8:a2::1",
                "--locators=2001:db8:a1::1,2001:db8:a2::1"
            ]),
            Ok(Invocation::Run(Args {
                locators: vec![ip("2001:db8:a1::1"), ip("2001:db8:a2::1")],
                ulid: Some(ip("2001:db8:a2::1")),
                log: None,
                verbose: false,
            }))
        );
        assert_eq!(run(&["--locators", "::1", "-h"]), Ok(Invocation::Help));
        assert_eq!(run(&["--version"]), Ok(Invocation::Version));
    }

    #[test]
    fn usage_errors_name_the_option_and_the_word() {
        assert_eq!(run(&[]), Err("--locators is required".into()));
        assert_eq!(
            run(&["--locators"]),
            Err("--locators needs ADDR[,ADDR...]".into())
        );
        assert_eq!(
            run(&["--locators", "2001:db8::1,nope"]),
            Err("--locators: \"nope\" is not an IPv6 address".into())
        );
        assert_eq!(
            run(&["--locators", "2001:db8::1", "--ulid", "10.0.0.1"]),
            Err("--ulid: \"10.0.0.1\" is not an IPv6 address".into())
        );
        assert_eq!(
            run(&["--locators", "2001:db8::1", "--colour"]),
            Err("unknown option \"--colour\"".into())
        );
        assert_eq!(
            run(&["--verbose=yes", "--locators", "2001:db8::1"]),
            Err("--verbose takes no value".into())
        );
        assert_eq!(run(&["--log"]), Err("--log needs FILE".into()));
    }
}
