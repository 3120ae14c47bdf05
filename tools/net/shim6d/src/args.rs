//! The command line:
//!
//! ```text
//! shim6d [ --locators ADDR[,ADDR...] ] [ --ulid ADDR ]
//!        [ --preference ADDR=[PRIO[,WEIGHT]][,FLAG...] ]...
//!        [ { --hba | --cga } FILE [ --key FILE ] ] [ --send-timeout SECS ]
//!        [ --log FILE ] [ -v ]
//! shim6d { -h | --help | -V | --version }
//! ```
//!
//! `--locators`: the addresses a context may use, each while the host has
//! it (rtnetlink says when one comes or goes), the first the ULID unless
//! `--ulid` names another of them; without it, every global address of the
//! host is a locator, and the ULID is `--ulid` or the lowest of them.
//! `--preference` (once per address): its Locator Preference (RFC 5533
//! §5.15.3) as sent to the peers, a priority and a weight (0-255: lower
//! priorities first, as DNS SRV's) and flags (`broken`, `temporary`).
//! `--hba FILE` or `--cga FILE`: the host's HBA set (RFC 5535) or CGA (RFC
//! 3972), as `rv6 shim6 hba|cga generate ... out FILE` writes it: the ULID
//! must be one of its addresses, and so must every locator that its key,
//! if it has one, does not sign for; its parameters go with every Locator
//! List, and the peers' lists are verified.  `--key FILE`: the private key
//! when FILE has none (the file `generate ... key FILE` read).
//! `--send-timeout SECS`: REAP's Send Timeout (RFC 5534 §7; 15 by default,
//! 1 to 65535): how long payload may go unanswered before exploration
//! starts; the peers learn it from a Keepalive Timeout option.
//! `--log`: append the log to FILE instead of writing it to stderr; `-v`:
//! log more (each message's bytes, the kernel's events the daemon does not
//! act on, each address rtnetlink tells).  An option's value follows it as
//! the next word or after `=`.  A usage error exits with status 2, as
//! iproute2's do.

use std::net::Ipv6Addr;
use std::path::PathBuf;

use rv6_cores::shim6_wire::{
    Addr,
    LocatorPreference,
    LOCATOR_BROKEN,
    LOCATOR_TEMPORARY, //
};

use crate::binding::Kind;

/// The grammar, for `--help` and usage errors.
pub const USAGE: &str = "Usage: shim6d [ --locators ADDR[,ADDR...] ] [ --ulid ADDR ]
              [ --preference ADDR=[PRIO[,WEIGHT]][,FLAG...] ]...
              [ { --hba | --cga } FILE [ --key FILE ] ] [ --send-timeout SECS ]
              [ --log FILE ] [ -v ]
       shim6d { -h | --help | -V | --version }
FLAG := { broken | temporary }";

/// A daemon's settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Args {
    /// The locators given, or `None`: the host's global addresses.
    pub locators: Option<Vec<Addr>>,
    pub ulid: Option<Addr>,
    /// Locator Preferences, one per address at most.
    pub preferences: Vec<(Addr, LocatorPreference)>,
    /// The HBA set's or CGA's file.
    pub binding: Option<(Kind, PathBuf)>,
    /// The file of its private key, if not that one.
    pub key: Option<PathBuf>,
    /// REAP's Send Timeout in seconds, if not RFC 5534's.
    pub send_timeout: Option<u16>,
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

/// `ADDR=[PRIO[,WEIGHT]][,FLAG...]`: the numbers first, then the flags;
/// at least one of them.
fn preference(word: &str) -> Result<(Addr, LocatorPreference), String> {
    let bad = || format!("--preference: \"{word}\" is not ADDR=[PRIO[,WEIGHT]][,FLAG...]");
    let (a, spec) = word.split_once('=').ok_or_else(bad)?;
    let a = addr(a, "--preference")?;
    let mut p = LocatorPreference {
        flags: 0,
        priority: None,
        weight: None,
    };
    for item in spec.split(',') {
        match item {
            "broken" => p.flags |= LOCATOR_BROKEN,
            "temporary" => p.flags |= LOCATOR_TEMPORARY,
            _ => {
                let n = item.parse::<u8>().map_err(|_| match item.parse::<u64>() {
                    Ok(_) => format!("--preference: {item} is more than 255"),
                    Err(_) => bad(),
                })?;
                // Numbers come before flags: PRIO, then WEIGHT.
                if p.flags != 0 || p.weight.is_some() {
                    return Err(bad());
                }
                if p.priority.is_none() {
                    p.priority = Some(n);
                } else {
                    p.weight = Some(n);
                }
            }
        }
    }
    Ok((a, p))
}

/// Parses the arguments after the program's name.
pub fn parse(argv: impl IntoIterator<Item = String>) -> Result<Invocation, String> {
    let mut argv = argv.into_iter();
    let mut locators = None;
    let mut ulid = None;
    let mut preferences: Vec<(Addr, LocatorPreference)> = Vec::new();
    let mut binding: Option<(Kind, PathBuf)> = None;
    let mut key = None;
    let mut send_timeout = None;
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
            "--preference" => {
                let (a, p) = preference(&value("ADDR=[PRIO[,WEIGHT]][,FLAG...]")?)?;
                if preferences.iter().any(|(b, _)| *b == a) {
                    return Err(format!(
                        "--preference: {} is given twice",
                        Ipv6Addr::from(a)
                    ));
                }
                preferences.push((a, p));
            }
            "--hba" | "--cga" => {
                let kind = if option == "--hba" {
                    Kind::Hba
                } else {
                    Kind::Cga
                };
                let file = PathBuf::from(value("FILE")?);
                if binding.is_some() {
                    return Err(format!("{option}: one --hba or --cga only"));
                }
                binding = Some((kind, file));
            }
            "--key" => key = Some(PathBuf::from(value("FILE")?)),
            "--send-timeout" => {
                let v = value("SECS")?;
                match v.parse::<u16>() {
                    Ok(s) if s > 0 => send_timeout = Some(s),
                    _ => return Err(format!("--send-timeout: \"{v}\" is not 1 to 65535 seconds")),
                }
            }
            "--log" => log = Some(PathBuf::from(value("FILE")?)),
            _ => return Err(format!("unknown option \"{word}\"")),
        }
    }
    if key.is_some() && binding.is_none() {
        return Err("--key: the key of an --hba or --cga FILE, which is missing".into());
    }
    if let Some(list) = &locators {
        if let Some((a, _)) = preferences.iter().find(|(a, _)| !list.contains(a)) {
            return Err(format!(
                "--preference: {} is not one of the --locators",
                Ipv6Addr::from(*a)
            ));
        }
    }
    Ok(Invocation::Run(Args {
        locators,
        ulid,
        preferences,
        binding,
        key,
        send_timeout,
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
                locators: Some(vec![ip("2001:db8:a1::1"), ip("2001:db8:a2::1")]),
                ulid: None,
                preferences: vec![],
                binding: None,
                key: None,
                send_timeout: None,
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
                locators: Some(vec![ip("2001:db8:a1::1"), ip("2001:db8:a2::1")]),
                ulid: Some(ip("2001:db8:a2::1")),
                preferences: vec![],
                binding: None,
                key: None,
                send_timeout: None,
                log: None,
                verbose: false,
            }))
        );
        assert_eq!(run(&["--locators", "::1", "-h"]), Ok(Invocation::Help));
        assert_eq!(run(&["--version"]), Ok(Invocation::Version));
    }

    #[test]
    fn without_locators_the_host_s_addresses_are_and_preferences_say_how_much() {
        let pref = |flags, priority, weight| LocatorPreference {
            flags,
            priority,
            weight,
        };
        assert_eq!(
            run(&[
                "--ulid",
                "2001:db8:b1::1",
                "--preference",
                "2001:db8:b1::1=10,5",
                "--preference=2001:db8:b2::1=20,temporary",
                "--preference",
                "2001:db8:b3::1=broken",
                "--preference",
                "2001:db8:b4::1=0",
            ]),
            Ok(Invocation::Run(Args {
                locators: None,
                ulid: Some(ip("2001:db8:b1::1")),
                preferences: vec![
                    (ip("2001:db8:b1::1"), pref(0, Some(10), Some(5))),
                    (
                        ip("2001:db8:b2::1"),
                        pref(LOCATOR_TEMPORARY, Some(20), None)
                    ),
                    (ip("2001:db8:b3::1"), pref(LOCATOR_BROKEN, None, None)),
                    (ip("2001:db8:b4::1"), pref(0, Some(0), None)),
                ],
                binding: None,
                key: None,
                send_timeout: None,
                log: None,
                verbose: false,
            }))
        );
        assert_eq!(
            run(&[]),
            Ok(Invocation::Run(Args {
                locators: None,
                ulid: None,
                preferences: vec![],
                binding: None,
                key: None,
                send_timeout: None,
                log: None,
                verbose: false,
            }))
        );
    }

    #[test]
    fn an_hba_set_or_a_cga_with_its_key_once() {
        assert_eq!(
            run(&["--hba", "/etc/set.pem", "--locators", "2001:db8:a1::1"]),
            Ok(Invocation::Run(Args {
                locators: Some(vec![ip("2001:db8:a1::1")]),
                ulid: None,
                preferences: vec![],
                binding: Some((Kind::Hba, "/etc/set.pem".into())),
                key: None,
                send_timeout: None,
                log: None,
                verbose: false,
            }))
        );
        let Ok(Invocation::Run(a)) = run(&["--cga=c.pem", "--key", "k.pem"]) else {
            panic!()
        };
        assert_eq!(
            (a.binding, a.key),
            (Some((Kind::Cga, "c.pem".into())), Some("k.pem".into()))
        );
        assert_eq!(
            run(&["--hba", "a.pem", "--cga", "b.pem"]),
            Err("--cga: one --hba or --cga only".into())
        );
        assert_eq!(
            run(&["--key", "k.pem"]),
            Err("--key: the key of an --hba or --cga FILE, which is missing".into())
        );
        assert_eq!(run(&["--hba"]), Err("--hba needs FILE".into()));
    }

    #[test]
    fn bad_preferences_say_what_was_wrong() {
        let shape = |w: &str| {
            Err(format!(
                "--preference: \"{w}\" is not ADDR=[PRIO[,WEIGHT]][,FLAG...]"
            ))
        };
        for w in [
            "2001:db8::1",
            "2001:db8::1=",
            "2001:db8::1=1,2,3",
            "2001:db8::1=broken,1",
            "2001:db8::1=fast",
        ] {
            assert_eq!(run(&["--preference", w]), shape(w), "{w}");
        }
        assert_eq!(
            run(&["--preference", "2001:db8::1=256"]),
            Err("--preference: 256 is more than 255".into())
        );
        assert_eq!(
            run(&["--preference", "nope=1"]),
            Err("--preference: \"nope\" is not an IPv6 address".into())
        );
        assert_eq!(
            run(&[
                "--preference",
                "2001:db8::1=1",
                "--preference",
                "2001:db8::1=2"
            ]),
            Err("--preference: 2001:db8::1 is given twice".into())
        );
        assert_eq!(
            run(&["--locators", "2001:db8::1", "--preference", "2001:db8::2=1"]),
            Err("--preference: 2001:db8::2 is not one of the --locators".into())
        );
    }

    #[test]
    fn usage_errors_name_the_option_and_the_word() {
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

    #[test]
    fn the_send_timeout_is_1_to_65535_seconds() {
        let timeout = |w: &str| match run(&["--send-timeout", w]) {
            Ok(Invocation::Run(a)) => Ok(a.send_timeout),
            Ok(other) => panic!("{other:?}"),
            Err(e) => Err(e),
        };
        assert_eq!(timeout("2"), Ok(Some(2)));
        assert_eq!(timeout("65535"), Ok(Some(65535)));
        assert_eq!(
            run(&["--send-timeout=15"])
                .map(|i| matches!(i, Invocation::Run(a) if a.send_timeout == Some(15))),
            Ok(true)
        );
        for bad in ["0", "65536", "-1", "1.5", "soon"] {
            assert_eq!(
                timeout(bad),
                Err(format!(
                    "--send-timeout: \"{bad}\" is not 1 to 65535 seconds"
                )),
                "{bad}"
            );
        }
        assert_eq!(
            run(&["--send-timeout"]),
            Err("--send-timeout needs SECS".into())
        );
    }
}
