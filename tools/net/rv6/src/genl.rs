//! The generic netlink layer, on neli's plain [`NlSocketHandle`] (not
//! `NlRouter`, whose error path drops the extended-ack attributes).
//!
//! One [`Socket`] per run: [`Socket::resolve`] asks nlctrl for a family's id,
//! [`Socket::request`] sends a do request and collects its replies up to the
//! ACK, [`Socket::dump`] collects a dump up to NLMSG_DONE. A refusal comes
//! back as a [`KernelError`] carrying the extack message and, when the kernel
//! pointed at an attribute (`NLMSGERR_ATTR_OFFS`) or reported one missing
//! (`NLMSGERR_ATTR_MISS_TYPE`), that attribute's spec name. For listening,
//! [`Socket::lookup`] also gives the family's multicast groups,
//! [`Socket::join`] subscribes to one and [`Socket::notifications`] waits for
//! what they bring. [`decode`] turns a reply or notification into an output
//! [`Record`] by the family's attribute table. Nothing here knows any object.

use std::fmt;
use std::io;
use std::net::Ipv6Addr;
use std::os::fd::{
    AsRawFd,
    RawFd, //
};

use neli::{
    attr::Attribute,
    consts::{
        genl::{
            CtrlAttr,
            CtrlAttrMcastGrp,
            Index, //
        },
        nl::{
            NlmF,
            Nlmsg,
            NlmsgerrAttr, //
        },
        socket::NlFamily, //
    },
    err::{
        DeError,
        SocketError, //
    },
    genl::{
        AttrTypeBuilder,
        Genlmsghdr,
        GenlmsghdrBuilder,
        Nlattr,
        NlattrBuilder,
        NoUserHeader, //
    },
    nl::{
        NlPayload,
        NlmsghdrBuilder, //
    },
    socket::synchronous::NlSocketHandle,
    types::{
        Buffer,
        GenlBuffer, //
    },
    utils::Groups,
    Size,
    ToBytes, //
};

use crate::error::{
    netlink,
    strerror,
    Error, //
};
use crate::output::{
    Record,
    Value, //
};
use crate::spec::{
    AttrSpec,
    Enum,
    FamilySpec,
    Kind, //
};

/// A request's or reply's top-level attributes.
pub type Attrs = GenlBuffer<u16, Buffer>;
/// A generic netlink message without a family header.
pub type Message = Genlmsghdr<u8, u16>;

/// `NLMSG_HDRLEN + GENL_HDRLEN`: where the first attribute starts, counted
/// as extack offsets count, from the start of the netlink header.
const FIRST_ATTR_OFFSET: usize = 16 + 4;

// enum nlmsgerr_attrs (include/uapi/linux/netlink.h)
const NLMSGERR_ATTR_MSG: u16 = 1;
const NLMSGERR_ATTR_OFFS: u16 = 2;
const NLMSGERR_ATTR_MISS_TYPE: u16 = 5;
const NLMSGERR_ATTR_MISS_NEST: u16 = 6;

/// `GENL_ID_CTRL`: nlctrl's id is fixed.
const GENL_ID_CTRL: u16 = 0x10;
const CTRL_CMD_GETFAMILY: u8 = 3;
const CTRL_ATTR_FAMILY_ID: u16 = 1;
const CTRL_ATTR_FAMILY_NAME: u16 = 2;

/// nlctrl itself (Documentation/netlink/specs/nlctrl.yaml, `ctrl-attrs`).
pub static NLCTRL: FamilySpec = FamilySpec {
    name: "nlctrl",
    version: 2,
    module: None,
    attrs: &[
        AttrSpec {
            id: CTRL_ATTR_FAMILY_ID,
            name: "family-id",
            kind: Kind::U16,
        },
        AttrSpec {
            id: CTRL_ATTR_FAMILY_NAME,
            name: "family-name",
            kind: Kind::String,
        },
        AttrSpec {
            id: 3,
            name: "version",
            kind: Kind::U32,
        },
        AttrSpec {
            id: 4,
            name: "hdrsize",
            kind: Kind::U32,
        },
        AttrSpec {
            id: 5,
            name: "maxattr",
            kind: Kind::U32,
        },
        AttrSpec {
            id: 6,
            name: "ops",
            kind: Kind::Opaque,
        },
        AttrSpec {
            id: 7,
            name: "mcast-groups",
            kind: Kind::Opaque,
        },
        AttrSpec {
            id: 8,
            name: "policy",
            kind: Kind::Opaque,
        },
        AttrSpec {
            id: 9,
            name: "op-policy",
            kind: Kind::Opaque,
        },
        AttrSpec {
            id: 10,
            name: "op",
            kind: Kind::U32,
        },
    ],
};

/// One attribute for a request: `attr(A_HOOK, 3u32)`, `attr(A_NAME, "x")`
/// (a `&str` goes out NUL-terminated).
pub fn attr<P: Size + ToBytes>(id: u16, payload: P) -> Result<Nlattr<u16, Buffer>, Error> {
    NlattrBuilder::default()
        .nla_type(
            AttrTypeBuilder::default()
                .nla_type(id)
                .build()
                .map_err(netlink)?,
        )
        .nla_payload(payload)
        .build()
        .map_err(netlink)
}

/// The fields of the extended ack this tool reads.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ExtAck {
    pub msg: Option<String>,
    pub offset: Option<u32>,
    pub miss_type: Option<u32>,
    pub miss_nest: Option<u32>,
}

impl ExtAck {
    /// Reads the TLVs after an nlmsgerr (or a dump's DONE); ignores the
    /// ones it does not know (cookie, policy).
    pub fn parse(tlvs: &GenlBuffer<NlmsgerrAttr, Buffer>) -> ExtAck {
        let mut ext = ExtAck::default();
        for a in tlvs.iter() {
            let ty: u16 = (*a.nla_type().nla_type()).into();
            let u32_payload = || a.get_payload_as::<u32>().ok();
            match ty {
                NLMSGERR_ATTR_MSG => {
                    let bytes = a.nla_payload().as_ref();
                    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
                    let msg = String::from_utf8_lossy(&bytes[..end]).into_owned();
                    ext.msg = (!msg.is_empty()).then_some(msg);
                }
                NLMSGERR_ATTR_OFFS => ext.offset = u32_payload(),
                NLMSGERR_ATTR_MISS_TYPE => ext.miss_type = u32_payload(),
                NLMSGERR_ATTR_MISS_NEST => ext.miss_nest = u32_payload(),
                _ => {}
            }
        }
        ext
    }
}

/// The top-level request attribute covering byte `offset` of the request
/// message (as NLMSGERR_ATTR_OFFS counts), if any.
pub fn attr_at_offset(request: &Attrs, offset: u32) -> Option<u16> {
    let offset = offset as usize;
    let mut start = FIRST_ATTR_OFFSET;
    for a in request.iter() {
        let end = start + a.padded_size();
        if (start..end).contains(&offset) {
            return Some(*a.nla_type().nla_type());
        }
        start = end;
    }
    None
}

/// A refusal from the kernel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KernelError {
    /// Positive errno.
    pub errno: i32,
    pub msg: Option<String>,
    /// The attribute the extack offset points at.
    pub bad_attr: Option<String>,
    /// The attribute the kernel wanted and did not get.
    pub missing_attr: Option<String>,
}

impl KernelError {
    /// `error` as nlmsgerr carries it (negative), the extack, and the request
    /// and family to name attributes by.
    pub fn new(error: i32, ext: ExtAck, request: &Attrs, family: &FamilySpec) -> Self {
        let bad_attr = ext.offset.map(|off| match attr_at_offset(request, off) {
            Some(id) => family.attr_name(id),
            None => format!("offset {off}"),
        });
        let missing_attr = ext.miss_type.map(|ty| {
            let ty = ty as u16;
            match ext.miss_nest {
                None => family.attr_name(ty),
                Some(nest) => match attr_at_offset(request, nest) {
                    Some(id) => format!("type {ty} in {}", family.attr_name(id)),
                    None => format!("type {ty} in the nest at offset {nest}"),
                },
            }
        });
        KernelError {
            errno: error.unsigned_abs() as i32,
            msg: ext.msg,
            bad_attr,
            missing_attr,
        }
    }
}

/// `<msg>: <strerror>[ (bad attribute: X)][ (missing attribute: Y)]`.
impl fmt::Display for KernelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(m) = &self.msg {
            write!(f, "{m}: ")?;
        }
        f.write_str(&strerror(self.errno))?;
        if let Some(a) = &self.bad_attr {
            write!(f, " (bad attribute: {a})")?;
        }
        if let Some(a) = &self.missing_attr {
            write!(f, " (missing attribute: {a})")?;
        }
        Ok(())
    }
}

/// A family resolved on this socket's namespace.
#[derive(Debug, Clone, Copy)]
pub struct Family {
    pub id: u16,
    pub spec: &'static FamilySpec,
}

/// A multicast group of a registered family, as nlctrl lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct McastGroup {
    pub name: String,
    pub id: u32,
}

/// The family id and multicast groups in nlctrl's answer to GETFAMILY,
/// read with neli's nlctrl types as its `NlRouter::resolve_nl_mcast_group`
/// reads them (`CTRL_ATTR_MCAST_GROUPS` is an array of nests, indexed from
/// 1; a family without groups has none).
fn family_info(reply: &Message) -> Result<(u16, Vec<McastGroup>), DeError> {
    let attrs = reply.attrs().get_typed_attr_handle::<CtrlAttr>()?;
    let id = attrs.get_attr_payload_as::<u16>(CtrlAttr::FamilyId)?;
    let Some(list) = attrs.get_attribute(CtrlAttr::McastGroups) else {
        return Ok((id, Vec::new()));
    };
    let groups = list
        .get_attr_handle::<Index>()?
        .iter()
        .map(|g| {
            let g = g.get_attr_handle::<CtrlAttrMcastGrp>()?;
            Ok(McastGroup {
                name: g.get_attr_payload_as_with_len::<String>(CtrlAttrMcastGrp::Name)?,
                id: g.get_attr_payload_as::<u32>(CtrlAttrMcastGrp::Id)?,
            })
        })
        .collect::<Result<_, DeError>>()?;
    Ok((id, groups))
}

/// The netlink socket of one run: opened after `-n` switched namespaces.
pub struct Socket {
    sock: NlSocketHandle,
    seq: u32,
    /// The ids nlctrl gave, by family name: a run (a whole batch) asks for
    /// each once, as iproute2's `genl_init_handle()` does.
    ids: Vec<(&'static str, u16)>,
}

impl Socket {
    pub fn open() -> Result<Self, Error> {
        let sock =
            NlSocketHandle::connect(NlFamily::Generic, None, Groups::empty()).map_err(netlink)?;
        sock.enable_ext_ack(true).map_err(netlink)?;
        Ok(Socket {
            sock,
            seq: 0,
            ids: Vec::new(),
        })
    }

    /// The family's id, from nlctrl (CTRL_CMD_GETFAMILY by name) the first
    /// time, then as it answered.
    pub fn resolve(&mut self, spec: &'static FamilySpec) -> Result<Family, Error> {
        if let Some(&(_, id)) = self.ids.iter().find(|(name, _)| *name == spec.name) {
            return Ok(Family { id, spec });
        }
        let (id, _) = self.lookup(spec.name, spec.module)?;
        self.ids.push((spec.name, id));
        Ok(Family { id, spec })
    }

    /// The id and multicast groups of the family `name`, from nlctrl
    /// (CTRL_CMD_GETFAMILY by name); `module`, which registers it, is named
    /// when nlctrl does not know it.
    pub fn lookup(
        &mut self,
        name: &'static str,
        module: Option<&'static str>,
    ) -> Result<(u16, Vec<McastGroup>), Error> {
        let ctrl = Family {
            id: GENL_ID_CTRL,
            spec: &NLCTRL,
        };
        let req: Attrs = [attr(CTRL_ATTR_FAMILY_NAME, name)?].into_iter().collect();
        let replies = match self.request(&ctrl, CTRL_CMD_GETFAMILY, req) {
            Err(Error::Kernel(e)) if e.errno == libc::ENOENT => {
                return Err(Error::FamilyNotFound {
                    family: name,
                    module,
                })
            }
            other => other?,
        };
        let reply = replies
            .first()
            .ok_or_else(|| netlink(format!("nlctrl gave no answer for {name}")))?;
        family_info(reply).map_err(|e| netlink(format!("nlctrl's answer for {name}: {e}")))
    }

    /// Subscribes to `group` of `family` (NETLINK_ADD_MEMBERSHIP): from now
    /// on the socket receives what the kernel multicasts to it.
    pub fn join(&mut self, family: &'static str, group: &McastGroup) -> Result<(), Error> {
        self.sock
            .add_mcast_membership(Groups::new_groups(&[group.id]))
            .map_err(|e| match e {
                SocketError::Io(err) => Error::Join {
                    family,
                    group: group.name.clone(),
                    err,
                },
                e => netlink(e),
            })
    }

    /// Waits for the next notifications of the groups joined: each as its
    /// netlink type (the family id) and message. When the socket overran
    /// (ENOBUFS), notifications were lost: that is said on stderr, as
    /// `ip monitor` does, and listening goes on.
    pub fn notifications(&mut self) -> Result<Vec<(u16, Message)>, Error> {
        let msgs = match self.sock.recv::<u16, Message>() {
            Ok((msgs, _)) => msgs,
            Err(SocketError::Io(e)) if e.raw_os_error() == Some(libc::ENOBUFS) => {
                eprintln!(
                    "Warning: notifications were lost: {}",
                    strerror(libc::ENOBUFS)
                );
                return Ok(Vec::new());
            }
            Err(SocketError::Io(e)) if e.kind() == io::ErrorKind::Interrupted => {
                return Ok(Vec::new())
            }
            Err(e) => return Err(netlink(e)),
        };
        let mut ntfs = Vec::new();
        for m in msgs {
            let m = m.map_err(netlink)?;
            if let NlPayload::Payload(p) = m.nl_payload() {
                ntfs.push((*m.nl_type(), p.clone()));
            }
        }
        Ok(ntfs)
    }

    /// A do request (NLM_F_ACK): the replies before the ACK.
    pub fn request(
        &mut self,
        family: &Family,
        cmd: u8,
        attrs: Attrs,
    ) -> Result<Vec<Message>, Error> {
        self.transact(family, cmd, attrs, NlmF::REQUEST | NlmF::ACK)
    }

    /// A dump request: every reply up to NLMSG_DONE.
    pub fn dump(&mut self, family: &Family, cmd: u8, attrs: Attrs) -> Result<Vec<Message>, Error> {
        self.transact(family, cmd, attrs, NlmF::REQUEST | NlmF::DUMP)
    }

    fn transact(
        &mut self,
        family: &Family,
        cmd: u8,
        attrs: Attrs,
        flags: NlmF,
    ) -> Result<Vec<Message>, Error> {
        self.seq = self.seq.wrapping_add(1);
        let seq = self.seq;
        let genl = GenlmsghdrBuilder::<u8, u16, NoUserHeader>::default()
            .cmd(cmd)
            .version(family.spec.version)
            .attrs(attrs)
            .build()
            .map_err(netlink)?;
        let req = NlmsghdrBuilder::default()
            .nl_type(family.id)
            .nl_flags(flags)
            .nl_seq(seq)
            .nl_payload(NlPayload::Payload(genl))
            .build()
            .map_err(netlink)?;
        self.sock.send(&req).map_err(netlink)?;
        let sent = req.get_payload().expect("built with a payload").attrs();

        let mut replies = Vec::new();
        let mut interrupted = false;
        loop {
            let (msgs, _) = self.sock.recv::<u16, Message>().map_err(netlink)?;
            for m in msgs {
                let mut m = m.map_err(netlink)?;
                if *m.nl_seq() != seq {
                    continue; // a late answer to an earlier request
                }
                interrupted |= m.nl_flags().contains(NlmF::DUMP_INTR);
                if let Some(e) = m.get_err() {
                    let ext = ExtAck::parse(e.ext_ack());
                    return Err(Error::Kernel(KernelError::new(
                        *e.error(),
                        ext,
                        sent,
                        family.spec,
                    )));
                }
                let done = match m.nl_payload() {
                    NlPayload::Payload(p) => {
                        replies.push(p.clone());
                        false
                    }
                    NlPayload::Ack(_) => true,
                    // A dump's DONE carries the dump's status and extack.
                    NlPayload::DumpExtAck(e) if *e.error() != 0 => {
                        let ext = ExtAck::parse(e.ext_ack());
                        return Err(Error::Kernel(KernelError::new(
                            *e.error(),
                            ext,
                            sent,
                            family.spec,
                        )));
                    }
                    NlPayload::DumpExtAck(_) => true,
                    _ => *m.nl_type() == u16::from(Nlmsg::Done),
                };
                if done {
                    if interrupted {
                        // iproute2's words; the replies are still printed.
                        eprintln!("Dump was interrupted and may be inconsistent.");
                    }
                    return Ok(replies);
                }
            }
        }
    }
}

/// The socket's descriptor, for a program that waits on it beside others
/// (`poll(2)`) before calling [`Socket::notifications`].
impl AsRawFd for Socket {
    fn as_raw_fd(&self) -> RawFd {
        self.sock.as_raw_fd()
    }
}

/// For the tests: stand-ins for what only the kernel sends.
#[cfg(test)]
impl Socket {
    /// Sends `msg` as a message of netlink type `ty` to the socket `to`: a
    /// unicast between user sockets, in place of the kernel's multicast.
    /// Generic netlink allows it with CAP_NET_ADMIN only.
    pub fn send_to(&self, to: &Socket, ty: u16, msg: Message) -> Result<(), Error> {
        use neli::nl::NlmsghdrBuilder;
        use nix::sys::socket::{
            sendto,
            MsgFlags,
            NetlinkAddr, //
        };
        use std::io::Cursor;
        let nl = NlmsghdrBuilder::default()
            .nl_type(ty)
            .nl_flags(NlmF::empty())
            .nl_payload(NlPayload::Payload(msg))
            .build()
            .map_err(netlink)?;
        let mut buf = Cursor::new(vec![0; nl.padded_size()]);
        nl.to_bytes(&mut buf).map_err(netlink)?;
        let dst = NetlinkAddr::new(to.sock.pid(), 0);
        sendto(
            self.sock.as_raw_fd(),
            buf.get_ref(),
            &dst,
            MsgFlags::empty(),
        )
        .map_err(netlink)?;
        Ok(())
    }
}

/// A reply's or notification's attributes as a record, in the spec's
/// order, keyed by spec names. Pads and attributes the spec lacks are left
/// out; a payload of the wrong size is an error.
pub fn decode(msg: &Message, family: &FamilySpec) -> Result<Record, Error> {
    decode_attrs(msg.attrs().as_ref(), family)
}

/// `attrs`, a message's or a nest's, as a record by the table of their set.
fn decode_attrs(attrs: &[Nlattr<u16, Buffer>], set: &FamilySpec) -> Result<Record, Error> {
    let mut rec = Record::default();
    for spec in set.attrs {
        let mut given = attrs.iter().filter(|a| *a.nla_type().nla_type() == spec.id);
        let value = match spec.kind {
            Kind::Pad | Kind::Opaque => continue,
            Kind::MultiNest(nested) => {
                let list = given
                    .map(|a| nest(a, nested))
                    .collect::<Result<Vec<_>, _>>()?;
                if list.is_empty() {
                    continue;
                }
                Value::List(list)
            }
            Kind::Multi(kind) => {
                let list = given
                    .map(|a| value(a, spec.name, kind))
                    .collect::<Result<Vec<_>, _>>()?;
                if list.is_empty() {
                    continue;
                }
                Value::Repeated(list)
            }
            _ => match given.next() {
                Some(a) => value(a, spec.name, &spec.kind)?,
                None => continue,
            },
        };
        rec.push(spec.name, value);
    }
    Ok(rec)
}

/// The attributes nested in `a`, by the table of their set.
fn nest(a: &Nlattr<u16, Buffer>, set: &FamilySpec) -> Result<Record, Error> {
    let inner = a.get_attr_handle::<u16>().map_err(netlink)?;
    decode_attrs(inner.get_attrs(), set)
}

/// One attribute's value, `name` of `kind`; not for the kinds
/// [`decode_attrs`] handles itself.
fn value(a: &Nlattr<u16, Buffer>, name: &str, kind: &Kind) -> Result<Value, Error> {
    let bytes = a.nla_payload().as_ref();
    let sizes: &[usize] = match kind {
        Kind::U8 => &[1],
        Kind::U16 => &[2],
        Kind::U32 | Kind::EnumU32(_) => &[4],
        Kind::U64 => &[8],
        Kind::Uint => &[4, 8],
        Kind::Flag => &[0],
        Kind::Ipv6 => &[16],
        Kind::String
        | Kind::Binary
        | Kind::Nest(_)
        | Kind::MultiNest(_)
        | Kind::Multi(_)
        | Kind::Pad
        | Kind::Opaque => &[],
    };
    if !sizes.is_empty() && !sizes.contains(&bytes.len()) {
        let want: Vec<String> = sizes.iter().map(usize::to_string).collect();
        return Err(netlink(format!(
            "attribute {} has {} bytes, expected {}",
            name,
            bytes.len(),
            want.join(" or ")
        )));
    }
    Ok(match kind {
        Kind::U8 => Value::U64(a.get_payload_as::<u8>().map_err(netlink)?.into()),
        Kind::U16 => Value::U64(a.get_payload_as::<u16>().map_err(netlink)?.into()),
        Kind::U32 => Value::U64(a.get_payload_as::<u32>().map_err(netlink)?.into()),
        Kind::U64 => Value::U64(a.get_payload_as::<u64>().map_err(netlink)?),
        Kind::Uint if bytes.len() == 4 => {
            Value::U64(a.get_payload_as::<u32>().map_err(netlink)?.into())
        }
        Kind::Uint => Value::U64(a.get_payload_as::<u64>().map_err(netlink)?),
        Kind::EnumU32(e) => enum_value(e, a.get_payload_as::<u32>().map_err(netlink)?),
        Kind::Flag => Value::Flag,
        Kind::Binary => Value::Str(bytes.iter().map(|b| format!("{b:02x}")).collect()),
        Kind::Ipv6 => {
            let octets = a.get_payload_as::<[u8; 16]>().map_err(netlink)?;
            Value::Str(Ipv6Addr::from(octets).to_string())
        }
        Kind::Nest(set) => Value::Nest(nest(a, set)?),
        Kind::String => {
            let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
            Value::Str(String::from_utf8_lossy(&bytes[..end]).into_owned())
        }
        Kind::Pad | Kind::Opaque | Kind::MultiNest(_) | Kind::Multi(_) => {
            unreachable!("decode_attrs reads {kind:?} itself")
        }
    })
}

/// An enum's entry name; a value newer than this tool's spec prints as its
/// number (still a string, so the JSON type stays put).
fn enum_value(e: &Enum, v: u32) -> Value {
    Value::Str(e.name(v).map_or_else(|| v.to_string(), str::to_string))
}

#[cfg(test)]
mod tests {
    use super::*;
    use neli::genl::AttrTypeBuilder;

    static SPEC: FamilySpec = FamilySpec {
        name: "test",
        version: 1,
        module: Some("test_mod"),
        attrs: &[
            AttrSpec {
                id: 1,
                name: "pad",
                kind: Kind::Pad,
            },
            AttrSpec {
                id: 2,
                name: "colour",
                kind: Kind::EnumU32(&Enum {
                    meta: "COLOUR",
                    start: 0,
                    entries: &["red", "green"],
                }),
            },
            AttrSpec {
                id: 3,
                name: "count",
                kind: Kind::U64,
            },
            AttrSpec {
                id: 4,
                name: "label",
                kind: Kind::String,
            },
        ],
    };

    fn errattr<P: Size + ToBytes>(ty: u16, p: P) -> Nlattr<NlmsgerrAttr, Buffer> {
        NlattrBuilder::default()
            .nla_type(
                AttrTypeBuilder::default()
                    .nla_type(NlmsgerrAttr::from(ty))
                    .build()
                    .unwrap(),
            )
            .nla_payload(p)
            .build()
            .unwrap()
    }

    fn msg(attrs: Vec<Nlattr<u16, Buffer>>) -> Message {
        GenlmsghdrBuilder::<u8, u16, NoUserHeader>::default()
            .cmd(1)
            .version(1)
            .attrs(attrs.into_iter().collect())
            .build()
            .unwrap()
    }

    #[test]
    fn extack_fields_are_read_and_unknown_ones_skipped() {
        let tlvs: GenlBuffer<NlmsgerrAttr, Buffer> = [
            errattr(NLMSGERR_ATTR_MSG, "integer out of range"),
            errattr(NLMSGERR_ATTR_OFFS, 28u32),
            errattr(3, 0x0102_0304u32), // cookie
            errattr(NLMSGERR_ATTR_MISS_TYPE, 4u32),
        ]
        .into_iter()
        .collect();
        assert_eq!(
            ExtAck::parse(&tlvs),
            ExtAck {
                msg: Some("integer out of range".into()),
                offset: Some(28),
                miss_type: Some(4),
                miss_nest: None,
            }
        );
        let empty: GenlBuffer<NlmsgerrAttr, Buffer> =
            [errattr(NLMSGERR_ATTR_MSG, "")].into_iter().collect();
        assert_eq!(ExtAck::parse(&empty), ExtAck::default());
    }

    #[test]
    fn offsets_name_the_request_attribute_they_fall_in() {
        // colour (4+4) at 20..28, label "abcde\0" (4+6, padded to 12) at 28..40.
        let req: Attrs = [attr(2, 1u32).unwrap(), attr(4, "abcde").unwrap()]
            .into_iter()
            .collect();
        assert_eq!(attr_at_offset(&req, 19), None);
        assert_eq!(attr_at_offset(&req, 20), Some(2));
        assert_eq!(attr_at_offset(&req, 24), Some(2));
        assert_eq!(attr_at_offset(&req, 28), Some(4));
        assert_eq!(attr_at_offset(&req, 39), Some(4));
        assert_eq!(attr_at_offset(&req, 40), None);
    }

    #[test]
    fn kernel_errors_read_like_iproute2() {
        let req: Attrs = [attr(2, 7u32).unwrap()].into_iter().collect();
        let e = KernelError::new(
            -libc::ERANGE,
            ExtAck {
                msg: Some("integer out of range".into()),
                offset: Some(20),
                ..ExtAck::default()
            },
            &req,
            &SPEC,
        );
        assert_eq!(e.errno, libc::ERANGE);
        assert_eq!(
            e.to_string(),
            "integer out of range: Numerical result out of range (bad attribute: colour)"
        );
        let missing = KernelError::new(
            -libc::EINVAL,
            ExtAck {
                miss_type: Some(3),
                ..ExtAck::default()
            },
            &Attrs::new(),
            &SPEC,
        );
        assert_eq!(
            missing.to_string(),
            "Invalid argument (missing attribute: count)"
        );
        let nested = KernelError::new(
            -libc::EINVAL,
            ExtAck {
                miss_type: Some(9),
                miss_nest: Some(20),
                offset: Some(4),
                ..ExtAck::default()
            },
            &req,
            &SPEC,
        );
        assert_eq!(
            nested.to_string(),
            "Invalid argument (bad attribute: offset 4) (missing attribute: type 9 in colour)"
        );
        let plain = KernelError::new(-libc::EPERM, ExtAck::default(), &req, &SPEC);
        assert_eq!(plain.to_string(), "Operation not permitted");
    }

    #[test]
    fn replies_decode_in_spec_order_by_kind() {
        let m = msg(vec![
            attr(4, "blue").unwrap(),
            attr(1, 0u32).unwrap(), // pad
            attr(3, 1234u64).unwrap(),
            attr(99, 5u32).unwrap(), // newer than the spec
            attr(2, 1u32).unwrap(),
        ]);
        let r = decode(&m, &SPEC).unwrap();
        assert_eq!(
            r.fields(),
            &[
                ("colour", Value::Str("green".into())),
                ("count", Value::U64(1234)),
                ("label", Value::Str("blue".into())),
            ]
        );
        let unknown_entry = decode(&msg(vec![attr(2, 9u32).unwrap()]), &SPEC).unwrap();
        assert_eq!(unknown_entry.get("colour"), Some(&Value::Str("9".into())));
    }

    /// The kinds only the generator's test spec has: u8, uint at either
    /// width, a flag (present: shown), a binary as hex.
    #[test]
    fn small_and_variable_integers_decode() {
        use crate::spec::test_specs::rv6_test::*;
        let m = msg(vec![
            attr(A_MAIN_SMALL, 200u8).unwrap(),
            attr(A_MAIN_ANY, 7u32).unwrap(),
            attr(A_MAIN_ON, ()).unwrap(),
            attr(A_MAIN_BLOB, [0x0au8, 0xff, 0]).unwrap(),
            attr(A_MAIN_COLOUR, 5u32).unwrap(),
        ]);
        assert_eq!(
            decode(&m, &FAMILY_MAIN).unwrap().fields(),
            &[
                ("colour", Value::Str("blue".into())),
                ("small", Value::U64(200)),
                ("any", Value::U64(7)),
                ("on", Value::Flag),
                ("blob", Value::Str("0aff00".into())),
            ]
        );
        let wide = msg(vec![attr(A_MAIN_ANY, u64::MAX).unwrap()]);
        assert_eq!(
            decode(&wide, &FAMILY_MAIN).unwrap().get("any"),
            Some(&Value::U64(u64::MAX))
        );
        let odd = msg(vec![attr(A_MAIN_ANY, 1u16).unwrap()]);
        assert_eq!(
            decode(&odd, &FAMILY_MAIN).unwrap_err().to_string(),
            "netlink: attribute any has 2 bytes, expected 4 or 8"
        );
    }

    /// A message through neli's wire format and back, as the kernel's
    /// would arrive: nests carry NLA_F_NESTED, payloads their padding.
    fn wire(m: Message) -> Message {
        use neli::{
            nl::Nlmsghdr,
            FromBytes, //
        };
        use std::io::Cursor;
        let nl = NlmsghdrBuilder::default()
            .nl_type(0x20u16)
            .nl_flags(NlmF::empty())
            .nl_payload(NlPayload::Payload(m))
            .build()
            .unwrap();
        let mut buf = Cursor::new(vec![0; nl.padded_size()]);
        nl.to_bytes(&mut buf).unwrap();
        let back: Nlmsghdr<u16, Message> =
            Nlmsghdr::from_bytes(&mut Cursor::new(buf.into_inner())).unwrap();
        back.get_payload().unwrap().clone()
    }

    /// A nest `id` holding `attrs`, built by neli.
    fn nested(id: u16, attrs: Vec<Nlattr<u16, Buffer>>) -> Nlattr<u16, Buffer> {
        attrs
            .iter()
            .fold(attr(id, ()).unwrap(), |n, a| n.nest(a).unwrap())
    }

    /// Nests read by their set's table (a multi-attr one as a list, in
    /// order), a binary with display-hint ipv6 as an address, any other
    /// hint as hex.
    #[test]
    fn nests_and_addresses_decode() {
        use crate::spec::test_specs::rv6_test::*;
        let addr: Ipv6Addr = "2001:db8::1".parse().unwrap();
        let m = wire(msg(vec![
            nested(A_MAIN_INNERS, vec![attr(A_INNER_COUNT, 1u32).unwrap()]),
            attr(A_MAIN_MAC, [0x02u8, 0, 0, 0, 0, 0x2a]).unwrap(),
            nested(A_MAIN_INNER, vec![attr(A_INNER_COUNT, 3u32).unwrap()]),
            attr(A_MAIN_ADDR, addr.octets()).unwrap(),
            nested(A_MAIN_INNERS, vec![]),
            nested(A_MAIN_INNERS, vec![attr(A_INNER_COUNT, 2u32).unwrap()]),
        ]));
        let count = |n: u64| {
            let mut r = Record::default();
            r.push("count", Value::U64(n));
            r
        };
        assert_eq!(
            decode(&m, &FAMILY_MAIN).unwrap().fields(),
            &[
                ("inner", Value::Nest(count(3))),
                ("addr", Value::Str("2001:db8::1".into())),
                ("mac", Value::Str("02000000002a".into())),
                (
                    "inners",
                    Value::List(vec![count(1), Record::default(), count(2)])
                ),
            ]
        );
        let short = msg(vec![attr(A_MAIN_ADDR, [0u8; 4]).unwrap()]);
        assert_eq!(
            decode(&short, &FAMILY_MAIN).unwrap_err().to_string(),
            "netlink: attribute addr has 4 bytes, expected 16"
        );
        let bad_nest = wire(msg(vec![nested(
            A_MAIN_INNERS,
            vec![attr(A_INNER_COUNT, 1u8).unwrap()],
        )]));
        assert_eq!(
            decode(&bad_nest, &FAMILY_MAIN).unwrap_err().to_string(),
            "netlink: attribute count has 1 bytes, expected 4"
        );
        let flag = msg(vec![attr(A_MAIN_ON, 1u32).unwrap()]);
        assert_eq!(
            decode(&flag, &FAMILY_MAIN).unwrap_err().to_string(),
            "netlink: attribute on has 4 bytes, expected 0"
        );
    }

    /// A repeated scalar reads as a list of its values, in the order they
    /// came, wherever the others of its kind are; each one's size is
    /// checked as a single one's.
    #[test]
    fn repeated_addresses_decode_in_order() {
        use crate::spec::test_specs::rv6_test::*;
        let ip = |s: &str| s.parse::<Ipv6Addr>().unwrap().octets();
        let m = wire(msg(vec![
            attr(A_MAIN_ADDRS, ip("2001:db8::2")).unwrap(),
            attr(A_MAIN_ADDR, ip("::1")).unwrap(),
            attr(A_MAIN_ADDRS, ip("2001:db8::1")).unwrap(),
            attr(A_MAIN_ADDRS, ip("2001:db8::2")).unwrap(),
        ]));
        let addr = |s: &str| Value::Str(s.into());
        assert_eq!(
            decode(&m, &FAMILY_MAIN).unwrap().fields(),
            &[
                ("addr", addr("::1")),
                (
                    "addrs",
                    Value::Repeated(vec![
                        addr("2001:db8::2"),
                        addr("2001:db8::1"),
                        addr("2001:db8::2")
                    ])
                ),
            ]
        );
        let none = decode(
            &msg(vec![attr(A_MAIN_ADDR, ip("::1")).unwrap()]),
            &FAMILY_MAIN,
        );
        assert_eq!(none.unwrap().get("addrs"), None);
        let short = msg(vec![
            attr(A_MAIN_ADDRS, ip("::1")).unwrap(),
            attr(A_MAIN_ADDRS, [0u8; 15]).unwrap(),
        ]);
        assert_eq!(
            decode(&short, &FAMILY_MAIN).unwrap_err().to_string(),
            "netlink: attribute addrs has 15 bytes, expected 16"
        );
    }

    /// nlctrl's answer as the kernel builds it (id, name, then the groups
    /// as an array of nests indexed from 1), read back by `family_info`.
    #[test]
    fn family_info_reads_the_id_and_groups() {
        let group = |index: u16, name: &str, id: u32| {
            nested(
                index,
                vec![attr(1, name).unwrap(), attr(2, id).unwrap()], // NAME, ID
            )
        };
        let reply = wire(msg(vec![
            attr(CTRL_ATTR_FAMILY_ID, 0x1cu16).unwrap(),
            attr(CTRL_ATTR_FAMILY_NAME, "rv6-genl-test").unwrap(),
            nested(7, vec![group(1, "monitor", 9), group(2, "other", 12)]),
        ]));
        assert_eq!(
            family_info(&reply).unwrap(),
            (
                0x1c,
                vec![
                    McastGroup {
                        name: "monitor".into(),
                        id: 9
                    },
                    McastGroup {
                        name: "other".into(),
                        id: 12
                    }
                ]
            )
        );
        let no_groups = wire(msg(vec![attr(CTRL_ATTR_FAMILY_ID, 0x1du16).unwrap()]));
        assert_eq!(family_info(&no_groups).unwrap(), (0x1d, vec![]));
        assert!(family_info(&msg(vec![])).is_err());
    }

    #[test]
    fn a_payload_of_the_wrong_size_is_refused() {
        let e = decode(&msg(vec![attr(3, 5u32).unwrap()]), &SPEC).unwrap_err();
        assert_eq!(
            e.to_string(),
            "netlink: attribute count has 4 bytes, expected 8"
        );
    }

    // Against the running kernel's nlctrl, which every Linux host has: the
    // do, dump and extack paths end to end. Skipped (with a note) only when
    // the sandbox refuses netlink sockets altogether.
    fn socket() -> Option<Socket> {
        match Socket::open() {
            Ok(s) => Some(s),
            Err(e) => {
                eprintln!("skipped: no generic netlink socket here: {e}");
                None
            }
        }
    }

    #[test]
    fn resolves_nlctrl_and_misses_an_unknown_family() {
        let Some(mut s) = socket() else { return };
        let f = s.resolve(&NLCTRL).unwrap();
        assert_eq!(f.id, GENL_ID_CTRL);
        // Asked once: the second resolution sends nothing.
        assert_eq!(s.seq, 1);
        assert_eq!(s.resolve(&NLCTRL).unwrap().id, GENL_ID_CTRL);
        assert_eq!(s.seq, 1);
        static NOSUCH: FamilySpec = FamilySpec {
            name: "rv6-nosuch-fam",
            version: 1,
            module: Some("rv6_nosuch"),
            attrs: &[],
        };
        let e = s.resolve(&NOSUCH).unwrap_err();
        assert_eq!(
            e.to_string(),
            "rv6-nosuch-fam: family not found (is rv6_nosuch loaded?)"
        );
    }

    /// nlctrl itself has one group, `notify`, whose id is nlctrl's.
    #[test]
    fn looks_up_the_groups_of_nlctrl() {
        let Some(mut s) = socket() else { return };
        let (id, groups) = s.lookup("nlctrl", None).unwrap();
        assert_eq!(id, GENL_ID_CTRL);
        assert_eq!(
            groups,
            [McastGroup {
                name: "notify".into(),
                id: GENL_ID_CTRL.into()
            }]
        );
        // Joining it needs no privilege.
        s.join("nlctrl", &groups[0]).unwrap();
        assert_eq!(
            s.lookup("rv6-nosuch-fam", Some("rv6_nosuch"))
                .unwrap_err()
                .to_string(),
            "rv6-nosuch-fam: family not found (is rv6_nosuch loaded?)"
        );
    }

    #[test]
    fn dumps_nlctrl_families() {
        let Some(mut s) = socket() else { return };
        let ctrl = Family {
            id: GENL_ID_CTRL,
            spec: &NLCTRL,
        };
        let all = s.dump(&ctrl, CTRL_CMD_GETFAMILY, Attrs::new()).unwrap();
        let names: Vec<Record> = all.iter().map(|m| decode(m, &NLCTRL).unwrap()).collect();
        let me = names
            .iter()
            .find(|r| r.get("family-name") == Some(&Value::Str("nlctrl".into())))
            .expect("nlctrl lists itself");
        assert_eq!(me.get("family-id"), Some(&Value::U64(GENL_ID_CTRL.into())));
        // The socket is still in step afterwards.
        assert_eq!(s.resolve(&NLCTRL).unwrap().id, GENL_ID_CTRL);
    }

    #[test]
    fn a_policy_violation_names_the_attribute() {
        let Some(mut s) = socket() else { return };
        let ctrl = Family {
            id: GENL_ID_CTRL,
            spec: &NLCTRL,
        };
        // family-name is NLA_NUL_STRING of at most GENL_NAMSIZ - 1 = 15 bytes;
        // put a harmless attribute first so the offset is not simply 20.
        let req: Attrs = [
            attr(CTRL_ATTR_FAMILY_ID, 0u16).unwrap(),
            attr(CTRL_ATTR_FAMILY_NAME, "a-name-far-too-long-for-genl").unwrap(),
        ]
        .into_iter()
        .collect();
        match s.request(&ctrl, CTRL_CMD_GETFAMILY, req) {
            Err(Error::Kernel(e)) => {
                assert_eq!(e.errno, libc::EINVAL, "{e}");
                assert_eq!(e.bad_attr.as_deref(), Some("family-name"), "{e}");
                assert!(e.msg.is_some(), "{e}");
            }
            other => panic!("expected a policy error, got {other:?}"),
        }
    }
}
