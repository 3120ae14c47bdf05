//! `rv6 nf-count`: the per-hook IPv6 counters of the rv6_nf_count module
//! (samples/rust/rv6_nf_count.rs), generic netlink family `rv6-nf-count`,
//! spec Documentation/netlink/specs/rv6_nf_count.yaml, whose tables
//! (`FAMILY`, `HOOK`, the `CMD_*` and `A_*` numbers) build.rs generates into
//! [`crate::spec::specs::rv6_nf_count`].
//!
//! ```text
//! rv6 nf-count show [ hook HOOK ]    dump every hook, or get one
//! rv6 nf-count reset [ hook HOOK ]   zero one hook, or all (CAP_NET_ADMIN)
//! ```

use crate::cli::{
    keyword,
    Args,
    UsageError, //
};
use crate::error::Error;
use crate::genl::{
    self,
    attr,
    Attrs, //
};
use crate::objects::{
    Action,
    Command,
    Object, //
};
use crate::output::Output;
use crate::sockets::Sockets;
use crate::spec::specs::rv6_nf_count::{
    A_HOOK,
    CMD_GET,
    CMD_RESET,
    FAMILY,
    HOOK, //
};

pub static OBJECT: Object = Object {
    name: "nf-count",
    summary: "IPv6 packet counters at each netfilter hook (rv6_nf_count)",
    commands: &[
        Command {
            name: "show",
            synopsis: "[ hook HOOK ]",
            parse: parse_show,
        },
        Command {
            name: "reset",
            synopsis: "[ hook HOOK ]",
            parse: parse_reset,
        },
    ],
    default_command: "show",
    enums: &[&HOOK],
};

/// `show`: a dump of every hook, or a get of one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Show {
    pub hook: Option<u32>,
}

/// `reset`: of one hook, or of all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reset {
    pub hook: Option<u32>,
}

/// `[ hook HOOK ]`, the only argument either command takes.
fn hook_filter(args: &mut Args) -> Result<Option<u32>, UsageError> {
    let mut hook = None;
    while let Some(arg) = args.next() {
        match keyword(&arg, &["hook"])? {
            Some(_) => {
                let value = args.value(&arg, "a HOOK")?;
                if hook.is_some() {
                    return Err(UsageError::Duplicate {
                        keyword: "hook",
                        arg: value,
                    });
                }
                hook = Some(HOOK.parse(&value)?);
            }
            None => {
                return Err(UsageError::Wrong {
                    arg,
                    why: "expected \"hook HOOK\"".to_string(),
                })
            }
        }
    }
    Ok(hook)
}

fn parse_show(args: &mut Args) -> Result<Box<dyn Action>, UsageError> {
    Ok(Box::new(Show {
        hook: hook_filter(args)?,
    }))
}

fn parse_reset(args: &mut Args) -> Result<Box<dyn Action>, UsageError> {
    Ok(Box::new(Reset {
        hook: hook_filter(args)?,
    }))
}

fn hook_attrs(hook: Option<u32>) -> Result<Attrs, Error> {
    hook.map(|h| attr(A_HOOK, h)).into_iter().collect()
}

impl Action for Show {
    fn run(&self, sockets: &mut Sockets) -> Result<Output, Error> {
        let nl = sockets.genl()?;
        let family = nl.resolve(&FAMILY)?;
        let replies = match self.hook {
            Some(_) => nl.request(&family, CMD_GET, hook_attrs(self.hook)?)?,
            None => nl.dump(&family, CMD_GET, Attrs::new())?,
        };
        let records = replies
            .iter()
            .map(|m| genl::decode(m, &FAMILY))
            .collect::<Result<_, _>>()?;
        Ok(Output::Records(records))
    }
}

impl Action for Reset {
    fn run(&self, sockets: &mut Sockets) -> Result<Output, Error> {
        let nl = sockets.genl()?;
        let family = nl.resolve(&FAMILY)?;
        nl.request(&family, CMD_RESET, hook_attrs(self.hook)?)?;
        Ok(Output::Nothing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::genl::{
        ExtAck,
        KernelError,
        Message, //
    };
    use crate::output::{
        render,
        Format,
        Record,
        Value, //
    };
    use crate::spec::specs::rv6_nf_count::{
        A_BYTES,
        A_ECHO,
        A_PACKETS,
        A_PAD, //
    };
    use crate::spec::Kind;
    use neli::{
        consts::nl::NlmF,
        genl::{
            GenlmsghdrBuilder,
            NoUserHeader, //
        },
        nl::{
            NlPayload,
            Nlmsghdr,
            NlmsghdrBuilder, //
        },
        FromBytes,
        Size,
        ToBytes, //
    };
    use std::io::Cursor;

    fn hook_of(line: &str) -> Result<Option<u32>, String> {
        hook_filter(&mut Args::new(line.split_whitespace())).map_err(|e| e.to_string())
    }

    #[test]
    fn hook_keyword_and_values() {
        assert_eq!(hook_of(""), Ok(None));
        assert_eq!(hook_of("hook pre-routing"), Ok(Some(0)));
        assert_eq!(hook_of("hook post-routing"), Ok(Some(4)));
        assert_eq!(hook_of("h local-out"), Ok(Some(3)));
        assert_eq!(
            hook_of("hook local"),
            Err(
                "Error: argument \"local\" is wrong: HOOK must be one of pre-routing, \
                 local-in, forward, local-out, post-routing"
                    .into()
            )
        );
        assert_eq!(
            hook_of("hook 3"),
            Err(
                "Error: argument \"3\" is wrong: HOOK must be one of pre-routing, \
                 local-in, forward, local-out, post-routing"
                    .into()
            )
        );
        assert_eq!(
            hook_of("hook forward hook local-in"),
            Err("Error: duplicate \"hook\": \"local-in\" is the second value.".into())
        );
        assert_eq!(
            hook_of("forward"),
            Err("Error: argument \"forward\" is wrong: expected \"hook HOOK\"".into())
        );
        assert_eq!(
            hook_of("hook"),
            Err("Error: command line is not complete: \"hook\" needs a HOOK".into())
        );
    }

    #[test]
    fn show_and_reset_parse_to_their_actions() {
        let show = parse_show(&mut Args::new(["hook", "forward"])).unwrap();
        assert_eq!(format!("{show:?}"), "Show { hook: Some(2) }");
        let reset = parse_reset(&mut Args::new(Vec::<String>::new())).unwrap();
        assert_eq!(format!("{reset:?}"), "Reset { hook: None }");
    }

    #[test]
    fn a_get_request_carries_the_hook_as_u32() {
        let a = hook_attrs(Some(3)).unwrap();
        let only: Vec<_> = a.iter().collect();
        assert_eq!(only.len(), 1);
        assert_eq!(*only[0].nla_type().nla_type(), A_HOOK);
        assert_eq!(only[0].nla_payload().as_ref(), 3u32.to_ne_bytes());
        assert!(hook_attrs(None).unwrap().iter().next().is_none());
    }

    /// A reply as the module builds it (hook, then each u64 after its pad),
    /// through neli's wire format and back.
    fn reply(hook: u32, packets: u64, bytes: u64, echo: u64) -> Message {
        let genl = GenlmsghdrBuilder::<u8, u16, NoUserHeader>::default()
            .cmd(CMD_GET)
            .version(1)
            .attrs(
                [
                    attr(A_HOOK, hook).unwrap(),
                    attr(A_PAD, ()).unwrap(),
                    attr(A_PACKETS, packets).unwrap(),
                    attr(A_PAD, ()).unwrap(),
                    attr(A_BYTES, bytes).unwrap(),
                    attr(A_PAD, ()).unwrap(),
                    attr(A_ECHO, echo).unwrap(),
                ]
                .into_iter()
                .collect(),
            )
            .build()
            .unwrap();
        let nl = NlmsghdrBuilder::default()
            .nl_type(0x20u16)
            .nl_flags(NlmF::MULTI)
            .nl_payload(NlPayload::Payload(genl))
            .build()
            .unwrap();
        let mut wire = Cursor::new(vec![0; nl.padded_size()]);
        nl.to_bytes(&mut wire).unwrap();
        let back: Nlmsghdr<u16, Message> =
            Nlmsghdr::from_bytes(&mut Cursor::new(wire.into_inner())).unwrap();
        back.get_payload().unwrap().clone()
    }

    fn records() -> Vec<Record> {
        [reply(3, 12, 1248, 6), reply(0, 0, 0, 0)]
            .iter()
            .map(|m| genl::decode(m, &FAMILY).unwrap())
            .collect()
    }

    #[test]
    fn counters_print_as_text_lines() {
        assert_eq!(
            render(&Output::Records(records()), Format::Text),
            "hook local-out packets 12 bytes 1248 echo 6\n\
             hook pre-routing packets 0 bytes 0 echo 0\n"
        );
    }

    #[test]
    fn counters_print_as_json_with_spec_keys() {
        assert_eq!(
            render(&Output::Records(records()), Format::Json),
            "[{\"hook\":\"local-out\",\"packets\":12,\"bytes\":1248,\"echo\":6},\
             {\"hook\":\"pre-routing\",\"packets\":0,\"bytes\":0,\"echo\":0}]\n"
        );
        let r = &records()[0];
        assert_eq!(r.get("bytes"), Some(&Value::U64(1248)));
        assert!(r.get("pad").is_none());
    }

    #[test]
    fn the_text_line_reads_back_as_a_filter() {
        let line = render(&Output::Records(records()), Format::Text);
        let words: Vec<&str> = line.lines().next().unwrap().split(' ').take(2).collect();
        assert_eq!(hook_of(&words.join(" ")), Ok(Some(3)));
    }

    #[test]
    fn a_range_error_names_hook() {
        let req = hook_attrs(Some(7)).unwrap();
        let e = KernelError::new(
            -libc::ERANGE,
            ExtAck {
                msg: Some("integer out of range".into()),
                offset: Some(20),
                ..ExtAck::default()
            },
            &req,
            &FAMILY,
        );
        assert_eq!(
            format!("Error: {e}"),
            "Error: integer out of range: Numerical result out of range (bad attribute: hook)"
        );
        let e = KernelError::new(
            -libc::EINVAL,
            ExtAck {
                miss_type: Some(A_HOOK.into()),
                ..ExtAck::default()
            },
            &Attrs::new(),
            &FAMILY,
        );
        assert_eq!(
            format!("Error: {e}"),
            "Error: Invalid argument (missing attribute: hook)"
        );
    }

    /// The generated table against the numbers the kernel module
    /// (samples/rust/rv6_nf_count.rs) registers: a renumbered spec, or a
    /// generator numbering otherwise than ynl_gen_c.py, fails here.
    #[test]
    fn the_generated_table_has_the_modules_numbers() {
        assert_eq!((FAMILY.name, FAMILY.version), ("rv6-nf-count", 1));
        assert_eq!(FAMILY.module, Some("rv6_nf_count"));
        let attrs: Vec<(u16, &str)> = FAMILY.attrs.iter().map(|a| (a.id, a.name)).collect();
        assert_eq!(
            attrs,
            [
                (1, "pad"),
                (2, "hook"),
                (3, "packets"),
                (4, "bytes"),
                (5, "echo")
            ]
        );
        assert_eq!((A_PAD, A_HOOK, A_PACKETS, A_BYTES, A_ECHO), (1, 2, 3, 4, 5));
        assert!(matches!(FAMILY.attrs[0].kind, Kind::Pad));
        assert!(matches!(FAMILY.attrs[1].kind, Kind::EnumU32(e) if std::ptr::eq(e, &HOOK)));
        assert!(FAMILY.attrs[2..]
            .iter()
            .all(|a| matches!(a.kind, Kind::U64)));
        assert_eq!((CMD_GET, CMD_RESET), (1, 2));
        assert_eq!((HOOK.meta, HOOK.start), ("HOOK", 0));
        assert_eq!(
            HOOK.entries,
            [
                "pre-routing",
                "local-in",
                "forward",
                "local-out",
                "post-routing"
            ]
        );
    }
}
