//! The counters objects: families whose one operation, `stats-get`, is a do
//! request without attributes answered by every counter of the attribute
//! set `stats` (u64s, each after its pad), kept per network namespace.
//! One implementation, [`Stats`], parameterised by the generated family
//! table and operation; each object is only its table entry below.
//!
//! ```text
//! rv6 mip6 stats        the rv6_mip6 module's counters
//! rv6 ct-ftp stats      the rv6_ct_ftp conntrack helper's
//! rv6 ct-dhcpv6 stats   the rv6_ct_dhcpv6 conntrack helper's
//! ```
//!
//! The reply prints as one record whose keys are the spec's attribute
//! names, in spec order: `hao-in-mismatch 0 rt2-in-mismatch 0 ...`.
//!
//! An object with other commands besides takes its `stats` from here too,
//! through [`parse_stats`]: `rv6 shim6 stats`, and the settings objects'
//! (`rv6 guard stats`, `rv6 ninfo stats`); and reads another set the same
//! way through [`get`]: their `show`.

use std::fmt;

use crate::cli::{
    Args,
    UsageError, //
};
use crate::error::Error;
use crate::genl::{
    self,
    Attrs, //
};
use crate::objects::{
    Action,
    Command,
    Object, //
};
use crate::output::{
    Output,
    Record, //
};
use crate::sockets::Sockets;
use crate::spec::specs::{
    rv6_ct_dhcpv6,
    rv6_ct_ftp,
    rv6_mip6, //
};
use crate::spec::FamilySpec;

pub static MIP6: Object = Object {
    name: "mip6",
    summary: "Mobile IPv6 counters of the namespace (rv6_mip6)",
    commands: &[Command {
        name: "stats",
        synopsis: "",
        parse: |args| parse_stats(args, "mip6", &rv6_mip6::FAMILY, rv6_mip6::CMD_STATS_GET),
    }],
    default_command: "stats",
    enums: &[],
};

pub static CT_FTP: Object = Object {
    name: "ct-ftp",
    summary: "FTP connection tracking helper counters (rv6_ct_ftp)",
    commands: &[Command {
        name: "stats",
        synopsis: "",
        parse: |args| {
            parse_stats(
                args,
                "ct-ftp",
                &rv6_ct_ftp::FAMILY,
                rv6_ct_ftp::CMD_STATS_GET,
            )
        },
    }],
    default_command: "stats",
    enums: &[],
};

pub static CT_DHCPV6: Object = Object {
    name: "ct-dhcpv6",
    summary: "DHCPv6 connection tracking helper counters (rv6_ct_dhcpv6)",
    commands: &[Command {
        name: "stats",
        synopsis: "",
        parse: |args| {
            parse_stats(
                args,
                "ct-dhcpv6",
                &rv6_ct_dhcpv6::FAMILY,
                rv6_ct_dhcpv6::CMD_STATS_GET,
            )
        },
    }],
    default_command: "stats",
    enums: &[],
};

/// `stats`: a get of every counter of `family`, by operation `cmd`.
pub struct Stats {
    family: &'static FamilySpec,
    cmd: u8,
}

/// `Stats { family: "rv6-mip6", cmd: 1 }`: the table by its name.
impl fmt::Debug for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Stats")
            .field("family", &self.family.name)
            .field("cmd", &self.cmd)
            .finish()
    }
}

/// `rv6 OBJECT stats` takes no arguments.
pub fn parse_stats(
    args: &mut Args,
    object: &str,
    family: &'static FamilySpec,
    cmd: u8,
) -> Result<Box<dyn Action>, UsageError> {
    args.finish(&format!("\"rv6 {object} stats\" takes no arguments"))?;
    Ok(Box::new(Stats { family, cmd }))
}

/// A do request of `cmd` without attributes, its replies read by the
/// attribute set `set`: the counters, or an object's other values kept per
/// namespace.
pub fn get(sockets: &mut Sockets, set: &'static FamilySpec, cmd: u8) -> Result<Vec<Record>, Error> {
    let nl = sockets.genl()?;
    let family = nl.resolve(set)?;
    let replies = nl.request(&family, cmd, Attrs::new())?;
    replies.iter().map(|m| genl::decode(m, set)).collect()
}

impl Action for Stats {
    fn run(&self, sockets: &mut Sockets) -> Result<Output, Error> {
        Ok(Output::Records(get(sockets, self.family, self.cmd)?))
    }
}

/// The tests, and the helpers other objects' tests share: a command
/// line's action, and replies as the kernel sends them.
#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::cli::{
        parse,
        Invocation, //
    };
    use crate::genl::{
        attr,
        Message, //
    };
    use crate::output::{
        render,
        Format,
        Record, //
    };
    use crate::spec::Kind;
    use neli::{
        consts::nl::NlmF,
        genl::{
            GenlmsghdrBuilder,
            Nlattr, //
            NoUserHeader,
        },
        nl::{
            NlPayload,
            Nlmsghdr,
            NlmsghdrBuilder, //
        },
        types::Buffer,
        FromBytes,
        Size,
        ToBytes, //
    };
    use std::io::Cursor;

    /// Each object with its family and the spec's counters, in order.
    fn objects() -> [(
        &'static Object,
        &'static FamilySpec,
        &'static str,
        &'static [&'static str],
    ); 3] {
        [
            (
                &MIP6,
                &rv6_mip6::FAMILY,
                "rv6_mip6",
                &[
                    "hao-in-mismatch",
                    "rt2-in-mismatch",
                    "reports",
                    "reports-repeated",
                    "reports-unheard",
                    "mh-ok",
                    "mh-truncated",
                    "mh-bad-len",
                    "mh-bad-proto",
                    "icmp-rt2-restored",
                    "icmp-hao-restored",
                    "icmp-unbound",
                ],
            ),
            (
                &CT_FTP,
                &rv6_ct_ftp::FAMILY,
                "rv6_ct_ftp",
                &[
                    "lines",
                    "expected",
                    "bounce",
                    "v4-mapped",
                    "expect-failed",
                    "no-state",
                ],
            ),
            (
                &CT_DHCPV6,
                &rv6_ct_dhcpv6::FAMILY,
                "rv6_ct_dhcpv6",
                &[
                    "messages",
                    "expected",
                    "unicast",
                    "malformed",
                    "ignored",
                    "expect-failed",
                ],
            ),
        ]
    }

    /// `rv6 WORDS` as its action's Debug form, or the usage error's text.
    pub(crate) fn action(line: &str) -> Result<String, String> {
        match parse(line.split_whitespace()).map_err(|e| e.to_string())? {
            Invocation::Run { action, .. } => Ok(format!("{action:?}")),
            other => panic!("{line}: not a command: {other:?}"),
        }
    }

    /// The usage error's text of `rv6 WORDS`, which must have one.
    pub(crate) fn err(line: &str) -> String {
        action(line).unwrap_err()
    }

    #[test]
    fn stats_is_the_default_and_takes_no_arguments() {
        for (o, family, ..) in objects() {
            let want = format!("Stats {{ family: {:?}, cmd: 1 }}", family.name);
            assert_eq!(action(o.name), Ok(want.clone()));
            assert_eq!(action(&format!("{} stats", o.name)), Ok(want.clone()));
            assert_eq!(action(&format!("{} st", o.name)), Ok(want));
            assert_eq!(
                action(&format!("{} stats all", o.name)),
                Err(format!(
                    "Error: argument \"all\" is wrong: \"rv6 {} stats\" takes no arguments",
                    o.name
                ))
            );
        }
        assert_eq!(action("mi"), action("mip6 stats"));
        // `rv6 monitor` sits beside the objects.
        assert_eq!(
            action("m").unwrap_err(),
            "Error: argument \"m\" is ambiguous: it may be mip6, monitor"
        );
        assert_eq!(action("ct-f"), action("ct-ftp"));
        assert_eq!(action("ct-d"), action("ct-dhcpv6"));
        assert_eq!(
            action("ct").unwrap_err(),
            "Error: argument \"ct\" is ambiguous: it may be ct-ftp, ct-dhcpv6"
        );
    }

    /// The generated tables against the kernel modules' numbering: pad 1,
    /// then the counters from 2 in spec order, all u64; stats-get is 1.
    #[test]
    fn the_generated_tables_have_the_modules_numbers() {
        for (_, family, module, counters) in objects() {
            assert_eq!(family.version, 1, "{}", family.name);
            assert_eq!(family.module, Some(module));
            assert_eq!(family.name, module.replace('_', "-"));
            let (pad, rest) = family.attrs.split_first().unwrap();
            assert_eq!((pad.id, pad.name), (1, "pad"));
            assert!(matches!(pad.kind, Kind::Pad));
            let names: Vec<&str> = rest.iter().map(|a| a.name).collect();
            assert_eq!(names, counters, "{}", family.name);
            for (i, a) in rest.iter().enumerate() {
                assert_eq!(a.id as usize, 2 + i, "{}", a.name);
                assert!(matches!(a.kind, Kind::U64), "{}", a.name);
            }
        }
        assert_eq!(
            (
                rv6_mip6::CMD_STATS_GET,
                rv6_ct_ftp::CMD_STATS_GET,
                rv6_ct_dhcpv6::CMD_STATS_GET
            ),
            (1, 1, 1)
        );
        assert_eq!(
            (
                rv6_mip6::A_MH_BAD_PROTO,
                rv6_ct_ftp::A_NO_STATE,
                rv6_ct_dhcpv6::A_EXPECT_FAILED
            ),
            (10, 7, 7)
        );
    }

    /// A reply as the modules build it (each u64 after a pad), with the
    /// counters numbered 0, 10, 20, ..., through neli's wire format and back.
    pub(crate) fn reply(family: &FamilySpec) -> Message {
        let pad = family.attrs[0].id;
        let attrs = family.attrs[1..]
            .iter()
            .enumerate()
            .flat_map(|(i, a)| [attr(pad, ()), attr(a.id, 10 * i as u64)])
            .collect::<Result<_, _>>()
            .unwrap();
        wire(1, attrs)
    }

    /// A message of command `cmd` with `attrs`, as the kernel sends it:
    /// through neli's wire format (each attribute padded) and back.
    pub(crate) fn wire(cmd: u8, attrs: Vec<Nlattr<u16, Buffer>>) -> Message {
        let genl = GenlmsghdrBuilder::<u8, u16, NoUserHeader>::default()
            .cmd(cmd)
            .version(1)
            .attrs(attrs.into_iter().collect())
            .build()
            .unwrap();
        let nl = NlmsghdrBuilder::default()
            .nl_type(0x20u16)
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

    /// The counters of [`reply`], as `stats` prints them.
    pub(crate) fn output(family: &FamilySpec) -> Output {
        let r: Record = genl::decode(&reply(family), family).unwrap();
        Output::Records(vec![r])
    }

    #[test]
    fn counters_print_as_one_line_of_spec_names() {
        assert_eq!(
            render(&output(&rv6_mip6::FAMILY), Format::Text),
            "hao-in-mismatch 0 rt2-in-mismatch 10 reports 20 reports-repeated 30 \
             reports-unheard 40 mh-ok 50 mh-truncated 60 mh-bad-len 70 mh-bad-proto 80 \
             icmp-rt2-restored 90 icmp-hao-restored 100 icmp-unbound 110\n"
        );
        assert_eq!(
            render(&output(&rv6_ct_ftp::FAMILY), Format::Text),
            "lines 0 expected 10 bounce 20 v4-mapped 30 expect-failed 40 no-state 50\n"
        );
        assert_eq!(
            render(&output(&rv6_ct_dhcpv6::FAMILY), Format::Text),
            "messages 0 expected 10 unicast 20 malformed 30 ignored 40 expect-failed 50\n"
        );
    }

    #[test]
    fn counters_print_as_one_json_object() {
        assert_eq!(
            render(&output(&rv6_mip6::FAMILY), Format::Json),
            "[{\"hao-in-mismatch\":0,\"rt2-in-mismatch\":10,\"reports\":20,\
             \"reports-repeated\":30,\"reports-unheard\":40,\"mh-ok\":50,\
             \"mh-truncated\":60,\"mh-bad-len\":70,\"mh-bad-proto\":80,\
             \"icmp-rt2-restored\":90,\"icmp-hao-restored\":100,\"icmp-unbound\":110}]\n"
        );
        assert_eq!(
            render(&output(&rv6_ct_ftp::FAMILY), Format::Json),
            "[{\"lines\":0,\"expected\":10,\"bounce\":20,\"v4-mapped\":30,\
             \"expect-failed\":40,\"no-state\":50}]\n"
        );
        assert_eq!(
            render(&output(&rv6_ct_dhcpv6::FAMILY), Format::Json),
            "[{\"messages\":0,\"expected\":10,\"unicast\":20,\"malformed\":30,\
             \"ignored\":40,\"expect-failed\":50}]\n"
        );
        assert!(render(&output(&rv6_ct_ftp::FAMILY), Format::JsonPretty)
            .starts_with("[\n    {\n        \"lines\": 0,\n"));
    }

    /// Against the running kernel: unless the module is loaded here, the
    /// family is missing and the error names the module to load.
    #[test]
    fn a_missing_family_names_its_module() {
        let Ok(mut nl) = crate::genl::Socket::open() else {
            eprintln!("skipped: no generic netlink socket here");
            return;
        };
        for (o, family, module, _) in objects() {
            match nl.resolve(family) {
                Ok(_) => eprintln!("{}: {} is loaded here", o.name, module),
                Err(e) => assert_eq!(
                    e.to_string(),
                    format!("{}: family not found (is {module} loaded?)", family.name)
                ),
            }
        }
    }
}
