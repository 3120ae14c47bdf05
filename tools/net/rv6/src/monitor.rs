//! `rv6 monitor`, the counterpart of `ip monitor`: subscribes to the
//! multicast groups of generic netlink families and prints each
//! notification as it arrives, until interrupted.
//!
//! ```text
//! rv6 [ OPTIONS ] monitor [ all | FAMILY ... ]
//! ```
//!
//! Generic over every family the specs describe: what a family multicasts
//! comes from its generated `NOTIFICATIONS` table ([`specs::NOTIFICATIONS`]
//! lists them all), its `mcast-groups` and its operations with `notify:` or
//! `event:`, so a spec that gains a group is monitored with no code here.
//! `all`, the default, is every family with a group, skipping those the
//! kernel has not registered and the groups this process may not join (a
//! family may keep a group to CAP_NET_ADMIN, as rv6-shim6 does its
//! `events`), with a warning; a FAMILY named must be registered and its
//! groups joined. Each family's groups are looked up through nlctrl and
//! every one the kernel has is joined. The kernel multicasts to the listeners of one network
//! namespace, the socket's: `-n NETNS` listens there.
//!
//! A notification prints as `FAMILY NAME key value ...` (the operation's
//! spec name, then its attributes as every command prints them), or with
//! `-j` as one JSON object per line, `{"family":...,"name":...,"msg":{...}}`;
//! each is flushed as it is written, for a reader at the other end of a pipe.

use std::fmt;
use std::io::{self, Write};

use crate::cli::{keyword, Args, UsageError};
use crate::error::{netlink, Error};
use crate::genl::{self, Message, Socket};
use crate::output::{render_event, Event, Format, Record};
use crate::spec::{specs, Notifications};

/// The grammar, as `rv6 help` and `rv6 monitor help` print it.
pub const USAGE: &str = "rv6 [ OPTIONS ] monitor [ all | FAMILY ... ]";

/// The families that can be monitored: those with a multicast group, in
/// spec file order.
pub fn families() -> impl Iterator<Item = &'static Notifications> {
    specs::NOTIFICATIONS
        .iter()
        .copied()
        .filter(|n| !n.groups.is_empty())
}

/// The help's definition line, `FAMILY := { rv6-genl-test | ... }`.
pub fn family_line() -> String {
    let names: Vec<&str> = families().map(|n| n.family).collect();
    format!("FAMILY := {{ {} }}", names.join(" | "))
}

/// `rv6 monitor help`.
pub fn help() -> String {
    format!(
        "Usage: {USAGE}\n       rv6 monitor help\nwhere  {}\n",
        family_line()
    )
}

/// What the words after `monitor` ask for.
#[derive(Debug)]
pub enum Request {
    Listen(Monitor),
    Help,
}

/// What to listen to.
pub struct Monitor {
    /// Every family with a group (`all`, or no FAMILY named).
    all: bool,
    /// The families named, in order, each once: these must be registered.
    named: Vec<&'static Notifications>,
}

/// `Monitor { all: false, named: ["rv6-genl-test"] }`: the tables by name.
impl fmt::Debug for Monitor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let named: Vec<&str> = self.named.iter().map(|n| n.family).collect();
        f.debug_struct("Monitor")
            .field("all", &self.all)
            .field("named", &named)
            .finish()
    }
}

/// `[ all | FAMILY ... ]`, or `help` alone. FAMILY is a value, spelt in
/// full; `all` and `help` are keywords.
pub fn parse(args: &mut Args) -> Result<Request, UsageError> {
    let mut all = false;
    let mut named: Vec<&'static Notifications> = Vec::new();
    let mut first = true;
    while let Some(arg) = args.next() {
        if let Some(family) = specs::NOTIFICATIONS.iter().find(|n| n.family == arg) {
            if family.groups.is_empty() {
                return Err(UsageError::Wrong {
                    why: format!("{arg} has no multicast group to monitor"),
                    arg,
                });
            }
            if !named.iter().any(|n| std::ptr::eq(*n, *family)) {
                named.push(family);
            }
        } else {
            match keyword(&arg, &["all", "help"])? {
                Some("all") => all = true,
                Some(_) if first => {
                    args.finish("\"rv6 monitor help\" takes no arguments")?;
                    return Ok(Request::Help);
                }
                Some(_) => {
                    return Err(UsageError::Wrong {
                        arg,
                        why: "\"help\" comes alone".to_string(),
                    })
                }
                None => {
                    let names: Vec<&str> = families().map(|n| n.family).collect();
                    return Err(UsageError::Wrong {
                        arg,
                        why: format!("FAMILY must be one of {}", names.join(", ")),
                    });
                }
            }
        }
        first = false;
    }
    Ok(Request::Listen(Monitor {
        all: all || named.is_empty(),
        named,
    }))
}

impl Monitor {
    /// The families to listen to, each with whether it must be registered.
    fn targets(&self) -> Vec<(&'static Notifications, bool)> {
        let named = |n: &Notifications| self.named.iter().any(|m| std::ptr::eq(*m, n));
        if self.all {
            families().map(|n| (n, named(n))).collect()
        } else {
            self.named.iter().map(|n| (*n, true)).collect()
        }
    }

    /// Joins every group of the families, then prints each notification to
    /// `out` as it comes, flushed, until the process is interrupted or `out`
    /// closed (which ends it quietly, as for other commands).
    pub fn run(&self, nl: &mut Socket, format: Format, out: &mut impl Write) -> Result<(), Error> {
        let listening = self.subscribe(nl)?;
        listen(nl, &listening, format, out)
    }

    /// Looks each family up and joins those of its groups the kernel has;
    /// returns the families listened to, by id. A group a family not named
    /// refuses for want of privilege is passed over, with a warning once
    /// something is listened to; when nothing is, the first refusal is the
    /// error.
    fn subscribe(&self, nl: &mut Socket) -> Result<Vec<(u16, &'static Notifications)>, Error> {
        let targets = self.targets();
        let mut listening = Vec::new();
        let mut refused = Vec::new();
        for &(family, required) in &targets {
            let (id, groups) = match nl.lookup(family.family, family.module) {
                Err(Error::FamilyNotFound { .. }) if !required => continue,
                found => found?,
            };
            let mut joined = false;
            for group in groups
                .iter()
                .filter(|g| family.groups.contains(&g.name.as_str()))
            {
                match nl.join(family.family, group) {
                    Ok(()) => joined = true,
                    Err(e) if !required && not_permitted(&e) => refused.push(e),
                    Err(e) => return Err(e),
                }
            }
            if joined {
                listening.push((id, family));
            } else if required {
                return Err(netlink(format!(
                    "{}: the kernel has none of its multicast groups ({})",
                    family.family,
                    family.groups.join(", ")
                )));
            }
        }
        if listening.is_empty() {
            if let Some(e) = refused.into_iter().next() {
                return Err(e);
            }
            return Err(Error::NothingToMonitor {
                modules: targets.iter().filter_map(|(f, _)| f.module).collect(),
            });
        }
        for e in refused {
            eprintln!("Warning: {e} (skipped)");
        }
        Ok(listening)
    }
}

/// Whether joining a group failed for want of privilege (the family keeps
/// it to CAP_NET_ADMIN or CAP_SYS_ADMIN): what `all` passes over.
fn not_permitted(e: &Error) -> bool {
    matches!(e, Error::Join { err, .. }
        if matches!(err.raw_os_error(), Some(libc::EPERM | libc::EACCES)))
}

/// Prints each notification of the `listening` families (by id) to `out`,
/// flushed, until `out` is closed; messages of other families are ignored.
fn listen(
    nl: &mut Socket,
    listening: &[(u16, &'static Notifications)],
    format: Format,
    out: &mut impl Write,
) -> Result<(), Error> {
    loop {
        for (id, msg) in nl.notifications()? {
            let Some(&(_, family)) = listening.iter().find(|(f, _)| *f == id) else {
                continue;
            };
            let text = render_event(&event(family, &msg)?, format);
            match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(()),
                Err(e) => return Err(Error::Output(e)),
            }
        }
    }
}

/// A notification of `family` as it prints: named after the spec's
/// operation for its command and read by that operation's attribute set. A
/// command the spec lacks (a newer module) is named by its number, its
/// attributes unread.
pub fn event(family: &'static Notifications, msg: &Message) -> Result<Event, Error> {
    let cmd = *msg.cmd();
    Ok(match family.get(cmd) {
        Some(n) => Event {
            family: family.family,
            name: n.name.to_string(),
            msg: genl::decode(msg, n.set)?,
        },
        None => Event {
            family: family.family,
            name: cmd.to_string(),
            msg: Record::default(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{parse as parse_line, Invocation};
    use crate::genl::attr;
    use crate::output::Value;
    use crate::spec::specs::rv6_genl_test::{
        A_ENTRY_ADDR, A_ENTRY_GETS, A_ENTRY_KEY, A_ENTRY_KIND, A_ENTRY_LOCATOR, A_ENTRY_NAME,
        A_ENTRY_PAD, A_ENTRY_STICKY, A_LOCATOR_ADDR, A_LOCATOR_PRIO, CMD_ENTRY_ADD_NTF,
        CMD_ENTRY_DEL_NTF, CMD_ENTRY_GET, FAMILY_ENTRY, FAMILY_LOCATOR, NOTIFICATIONS,
    };
    use crate::spec::Kind;
    use neli::{
        consts::nl::NlmF,
        genl::{GenlmsghdrBuilder, Nlattr, NoUserHeader},
        nl::{NlPayload, Nlmsghdr, NlmsghdrBuilder},
        types::Buffer,
        FromBytes, Size, ToBytes,
    };
    use std::io::Cursor;
    use std::net::Ipv6Addr;

    /// `rv6 monitor WORDS`, parsed.
    fn monitor(words: &str) -> Result<String, String> {
        match parse(&mut Args::new(words.split_whitespace())).map_err(|e| e.to_string())? {
            Request::Listen(m) => Ok(format!("{m:?}")),
            Request::Help => Ok("help".into()),
        }
    }

    #[test]
    fn all_is_the_default_and_families_are_named_in_full() {
        let all = "Monitor { all: true, named: [] }";
        assert_eq!(monitor(""), Ok(all.into()));
        assert_eq!(monitor("all"), Ok(all.into()));
        assert_eq!(monitor("a"), Ok(all.into()));
        let one = "Monitor { all: false, named: [\"rv6-genl-test\"] }";
        assert_eq!(monitor("rv6-genl-test"), Ok(one.into()));
        assert_eq!(monitor("rv6-genl-test rv6-genl-test"), Ok(one.into()));
        assert_eq!(
            monitor("all rv6-genl-test"),
            Ok("Monitor { all: true, named: [\"rv6-genl-test\"] }".into())
        );
        assert_eq!(monitor("help"), Ok("help".into()));
        assert_eq!(monitor("h"), Ok("help".into()));
    }

    #[test]
    fn unknown_and_silent_families_are_usage_errors() {
        assert_eq!(
            monitor("rv6-genl"),
            Err("Error: argument \"rv6-genl\" is wrong: \
                 FAMILY must be one of rv6-genl-test, rv6-shim6"
                .into())
        );
        assert_eq!(
            monitor("all nope"),
            Err("Error: argument \"nope\" is wrong: \
                 FAMILY must be one of rv6-genl-test, rv6-shim6"
                .into())
        );
        assert_eq!(
            monitor("rv6-nf-count"),
            Err("Error: argument \"rv6-nf-count\" is wrong: \
                 rv6-nf-count has no multicast group to monitor"
                .into())
        );
        assert_eq!(
            monitor("help all"),
            Err("Error: argument \"all\" is wrong: \"rv6 monitor help\" takes no arguments".into())
        );
        assert_eq!(
            monitor("all help"),
            Err("Error: argument \"help\" is wrong: \"help\" comes alone".into())
        );
    }

    #[test]
    fn monitor_sits_beside_the_objects() {
        match parse_line("-j -n blue monitor rv6-genl-test".split_whitespace()) {
            Ok(Invocation::Monitor { options, monitor }) => {
                assert_eq!(options.format(), Format::Json);
                assert_eq!(options.netns.as_deref(), Some("blue"));
                assert_eq!(monitor.targets().len(), 1);
            }
            other => panic!("{other:?}"),
        }
        for line in ["monitor help", "mo help", "mon h"] {
            match parse_line(line.split_whitespace()) {
                Ok(Invocation::Help(text)) => assert_eq!(text, help(), "{line}"),
                other => panic!("{line}: {other:?}"),
            }
        }
        assert_eq!(
            help(),
            "Usage: rv6 [ OPTIONS ] monitor [ all | FAMILY ... ]\n       \
             rv6 monitor help\nwhere  FAMILY := { rv6-genl-test | rv6-shim6 }\n"
        );
    }

    /// `all` skips the families not registered, a named one must be.
    #[test]
    fn named_families_are_required() {
        let Ok(Request::Listen(all)) = parse(&mut Args::new(["all"])) else {
            panic!()
        };
        let targets: Vec<(&str, bool)> =
            all.targets().iter().map(|(n, r)| (n.family, *r)).collect();
        assert_eq!(targets, [("rv6-genl-test", false), ("rv6-shim6", false)]);
        for (line, want) in [
            ("rv6-genl-test", &[("rv6-genl-test", true)][..]),
            (
                "all rv6-genl-test",
                &[("rv6-genl-test", true), ("rv6-shim6", false)],
            ),
            (
                "rv6-shim6 rv6-genl-test",
                &[("rv6-shim6", true), ("rv6-genl-test", true)],
            ),
        ] {
            let Ok(Request::Listen(m)) = parse(&mut Args::new(line.split_whitespace())) else {
                panic!()
            };
            let targets: Vec<(&str, bool)> =
                m.targets().iter().map(|(n, r)| (n.family, *r)).collect();
            assert_eq!(targets, want, "{line}");
        }
    }

    /// The generated tables against what samples/rust/rv6_genl_test.rs
    /// registers and sends: the group `monitor`, commands 5 and 6 carrying
    /// entry-get's reply, locators as repeated nests.
    #[test]
    fn the_generated_tables_have_the_modules_numbers() {
        assert_eq!(NOTIFICATIONS.family, "rv6-genl-test");
        assert_eq!(NOTIFICATIONS.module, Some("rv6_genl_test"));
        assert_eq!(NOTIFICATIONS.groups, ["monitor"]);
        let list: Vec<(u8, &str)> = NOTIFICATIONS.list.iter().map(|n| (n.cmd, n.name)).collect();
        assert_eq!(list, [(5, "entry-add-ntf"), (6, "entry-del-ntf")]);
        assert_eq!(
            (CMD_ENTRY_GET, CMD_ENTRY_ADD_NTF, CMD_ENTRY_DEL_NTF),
            (1, 5, 6)
        );
        assert!(NOTIFICATIONS
            .list
            .iter()
            .all(|n| std::ptr::eq(n.set, &FAMILY_ENTRY)));
        assert_eq!((A_ENTRY_ADDR, A_ENTRY_LOCATOR), (4, 8));
        assert_eq!((A_LOCATOR_ADDR, A_LOCATOR_PRIO), (1, 2));
        let kind = |id| &FAMILY_ENTRY.attr(id).unwrap().kind;
        assert!(matches!(kind(A_ENTRY_ADDR), Kind::Ipv6));
        assert!(matches!(kind(A_ENTRY_STICKY), Kind::Flag));
        assert!(
            matches!(kind(A_ENTRY_LOCATOR), Kind::MultiNest(s) if std::ptr::eq(*s, &FAMILY_LOCATOR))
        );
        assert!(matches!(
            FAMILY_LOCATOR.attr(A_LOCATOR_ADDR).unwrap().kind,
            Kind::Ipv6
        ));
        assert!(matches!(
            FAMILY_LOCATOR.attr(A_LOCATOR_PRIO).unwrap().kind,
            Kind::U8
        ));
    }

    fn ip(s: &str) -> [u8; 16] {
        s.parse::<Ipv6Addr>().unwrap().octets()
    }

    fn locator(addr: &str, prio: u8) -> Nlattr<u16, Buffer> {
        attr(A_ENTRY_LOCATOR, ())
            .unwrap()
            .nest(&attr(A_LOCATOR_ADDR, ip(addr)).unwrap())
            .unwrap()
            .nest(&attr(A_LOCATOR_PRIO, prio).unwrap())
            .unwrap()
    }

    /// A notification as the module multicasts it (`put_entry`: key, name,
    /// addr, kind, gets after its pad, sticky, the locators), through
    /// neli's wire format and back.
    fn notification(cmd: u8, attrs: Vec<Nlattr<u16, Buffer>>) -> Message {
        let genl = GenlmsghdrBuilder::<u8, u16, NoUserHeader>::default()
            .cmd(cmd)
            .version(1)
            .attrs(attrs.into_iter().collect())
            .build()
            .unwrap();
        let nl = NlmsghdrBuilder::default()
            .nl_type(0x1cu16)
            .nl_flags(NlmF::empty())
            .nl_payload(NlPayload::Payload(genl))
            .build()
            .unwrap();
        let mut wire = Cursor::new(vec![0; nl.padded_size()]);
        nl.to_bytes(&mut wire).unwrap();
        let back: Nlmsghdr<u16, Message> =
            Nlmsghdr::from_bytes(&mut Cursor::new(wire.into_inner())).unwrap();
        back.get_payload().unwrap().clone()
    }

    fn added() -> Message {
        notification(
            CMD_ENTRY_ADD_NTF,
            vec![
                attr(A_ENTRY_KEY, 42u32).unwrap(),
                attr(A_ENTRY_NAME, "ctx").unwrap(),
                attr(A_ENTRY_ADDR, ip("2001:db8::1")).unwrap(),
                attr(A_ENTRY_KIND, 2u32).unwrap(),
                attr(A_ENTRY_PAD, ()).unwrap(),
                attr(A_ENTRY_GETS, 0u64).unwrap(),
                attr(A_ENTRY_STICKY, ()).unwrap(),
                locator("2001:db8:1::1", 10),
                locator("2001:db8:2::1", 20),
            ],
        )
    }

    #[test]
    fn a_notification_prints_as_one_text_line() {
        let e = event(&NOTIFICATIONS, &added()).unwrap();
        assert_eq!(
            render_event(&e, Format::Text),
            "rv6-genl-test entry-add-ntf key 42 name ctx addr 2001:db8::1 kind mobile gets 0 \
             sticky locator addr 2001:db8:1::1 prio 10 locator addr 2001:db8:2::1 prio 20\n"
        );
        let minimal = notification(
            CMD_ENTRY_DEL_NTF,
            vec![
                attr(A_ENTRY_KEY, 7u32).unwrap(),
                attr(A_ENTRY_PAD, ()).unwrap(),
                attr(A_ENTRY_GETS, 3u64).unwrap(),
            ],
        );
        assert_eq!(
            render_event(&event(&NOTIFICATIONS, &minimal).unwrap(), Format::Text),
            "rv6-genl-test entry-del-ntf key 7 gets 3\n"
        );
    }

    #[test]
    fn a_notification_prints_as_one_json_line() {
        let e = event(&NOTIFICATIONS, &added()).unwrap();
        assert_eq!(
            render_event(&e, Format::Json),
            "{\"family\":\"rv6-genl-test\",\"name\":\"entry-add-ntf\",\"msg\":{\
             \"key\":42,\"name\":\"ctx\",\"addr\":\"2001:db8::1\",\"kind\":\"mobile\",\
             \"gets\":0,\"sticky\":true,\"locator\":[\
             {\"addr\":\"2001:db8:1::1\",\"prio\":10},{\"addr\":\"2001:db8:2::1\",\"prio\":20}]}}\n"
        );
        assert_eq!(e.msg.get("kind"), Some(&Value::Str("mobile".into())));
    }

    /// A command newer than the spec is named by its number; a malformed
    /// notification is an error, as a malformed reply is.
    #[test]
    fn unknown_and_malformed_notifications() {
        let newer = notification(9, vec![attr(A_ENTRY_KEY, 1u32).unwrap()]);
        assert_eq!(
            render_event(&event(&NOTIFICATIONS, &newer).unwrap(), Format::Text),
            "rv6-genl-test 9\n"
        );
        let bad = notification(CMD_ENTRY_ADD_NTF, vec![attr(A_ENTRY_ADDR, 1u32).unwrap()]);
        assert_eq!(
            event(&NOTIFICATIONS, &bad).unwrap_err().to_string(),
            "netlink: attribute addr has 4 bytes, expected 16"
        );
    }

    /// Keeps the first write, then reports a closed pipe (as `head -1`).
    struct FirstLine(Vec<u8>);

    impl Write for FirstLine {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if !self.0.is_empty() {
                return Err(io::ErrorKind::BrokenPipe.into());
            }
            self.0.extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    /// The listening loop on a real socket, the kernel's multicast played
    /// by a unicast from another socket (which generic netlink allows with
    /// CAP_NET_ADMIN; skipped without): a message of another family is
    /// passed over, the notification printed as one JSON line and flushed,
    /// and a closed output ends the loop quietly.
    #[test]
    fn the_loop_prints_each_notification_as_it_comes() {
        let (Ok(mut nl), Ok(kernel)) = (Socket::open(), Socket::open()) else {
            eprintln!("skipped: no generic netlink socket here");
            return;
        };
        let id = 0x1c;
        let other = notification(1, vec![attr(1, 5u32).unwrap()]);
        if let Err(e) = kernel.send_to(&nl, id + 1, other) {
            eprintln!("skipped: no unicast between user sockets here: {e}");
            return;
        }
        kernel.send_to(&nl, id, added()).unwrap();
        kernel.send_to(&nl, id, added()).unwrap();
        let mut out = FirstLine(Vec::new());
        listen(&mut nl, &[(id, &NOTIFICATIONS)], Format::Json, &mut out).unwrap();
        let line = String::from_utf8(out.0).unwrap();
        assert!(
            line.starts_with(
                "{\"family\":\"rv6-genl-test\",\"name\":\"entry-add-ntf\",\"msg\":{\"key\":42,"
            ),
            "{line}"
        );
        assert_eq!(line.matches('\n').count(), 1, "{line}");
        assert!(line.ends_with("}]}}\n"), "{line}");
    }

    /// `all` passes over a group refused for want of privilege (rv6-shim6's
    /// `events` without CAP_NET_ADMIN); other failures stay errors.
    #[test]
    fn only_refusals_for_privilege_are_passed_over() {
        let join = |errno| Error::Join {
            family: "rv6-shim6",
            group: "events".into(),
            err: std::sync::Arc::new(io::Error::from_raw_os_error(errno)),
        };
        assert!(not_permitted(&join(libc::EPERM)));
        assert!(not_permitted(&join(libc::EACCES)));
        assert!(!not_permitted(&join(libc::ENOENT)));
        assert!(!not_permitted(&Error::Netlink("x".into())));
        assert_eq!(
            join(libc::EPERM).to_string(),
            "rv6-shim6: cannot join multicast group \"events\": Operation not permitted"
        );
    }

    /// Against the running kernel, without the rv6 modules (this host,
    /// usually): a family named must be there, `all` needs one of them.
    /// Where a module is loaded, the subscription succeeds instead (or,
    /// for rv6_shim6 without CAP_NET_ADMIN, its group is refused).
    #[test]
    fn a_missing_family_is_named_with_its_module() {
        let Ok(mut nl) = Socket::open() else {
            eprintln!("skipped: no generic netlink socket here");
            return;
        };
        for (line, want) in [
            (
                "rv6-genl-test",
                "rv6-genl-test: family not found (is rv6_genl_test loaded?)",
            ),
            (
                "rv6-shim6",
                "rv6-shim6: family not found (is rv6_shim6 loaded?)",
            ),
            (
                "all",
                "no family to monitor is registered (is rv6_genl_test or rv6_shim6 loaded?)",
            ),
        ] {
            let Ok(Request::Listen(m)) = parse(&mut Args::new([line])) else {
                panic!()
            };
            match m.subscribe(&mut nl) {
                Ok(_) => eprintln!("{line}: a module is loaded here"),
                Err(e @ Error::Join { .. }) => eprintln!("{line}: {e}"),
                Err(e) => assert_eq!(e.to_string(), want, "{line}"),
            }
        }
    }
}
