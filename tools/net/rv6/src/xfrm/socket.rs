//! The sockets of `rv6 xfrm`: NETLINK_XFRM through `netlink-sys` (requests
//! acknowledged with their extended ack, multicast groups joined by number)
//! and PF_KEY v2 (RFC 2367) through `socket2`, both without `unsafe` here.

use std::io::{
    self,
    Read, //
};
use std::time::Duration;

use netlink_packet_core::{
    ErrorMessage,
    NetlinkBuffer,
    NetlinkHeader,
    NetlinkMessage,
    NetlinkPayload,
    NlasIterator,
    NLM_F_ACK,
    NLM_F_REQUEST, //
};
use netlink_sys::{
    protocols::NETLINK_XFRM,
    Socket,
    SocketAddr, //
};
use socket2::{
    Domain,
    Protocol,
    Type, //
};

use crate::error::{
    strerror,
    Error, //
};
use crate::genl::KernelError;
use crate::xfrm::wire::{
    XfrmMsg,
    XFRMA_NAT_KEEPALIVE_INTERVAL,
    XFRMA_SA_DIR,
    XFRMA_SA_PCPU, //
};

/// `sizeof(struct nlmsghdr)`.
const NLMSG_HDRLEN: usize = 16;
/// nlmsgerr's flags: the request was not echoed / TLVs follow.
const NLM_F_CAPPED: u16 = 0x100;
// enum nlmsgerr_attrs (include/uapi/linux/netlink.h)
const NLMSGERR_ATTR_MSG: u16 = 1;
const NLMSGERR_ATTR_OFFS: u16 = 2;
const NLMSGERR_ATTR_MISS_TYPE: u16 = 5;

/// The XFRM attribute names, for the kernel's "bad attribute" pointers.
const XFRMA_NAMES: &[&str] = &[
    "XFRMA_UNSPEC",
    "XFRMA_ALG_AUTH",
    "XFRMA_ALG_CRYPT",
    "XFRMA_ALG_COMP",
    "XFRMA_ENCAP",
    "XFRMA_TMPL",
    "XFRMA_SA",
    "XFRMA_POLICY",
    "XFRMA_SEC_CTX",
    "XFRMA_LTIME_VAL",
    "XFRMA_REPLAY_VAL",
    "XFRMA_REPLAY_THRESH",
    "XFRMA_ETIMER_THRESH",
    "XFRMA_SRCADDR",
    "XFRMA_COADDR",
    "XFRMA_LASTUSED",
    "XFRMA_POLICY_TYPE",
    "XFRMA_MIGRATE",
    "XFRMA_ALG_AEAD",
    "XFRMA_KMADDRESS",
    "XFRMA_ALG_AUTH_TRUNC",
    "XFRMA_MARK",
    "XFRMA_TFCPAD",
    "XFRMA_REPLAY_ESN_VAL",
    "XFRMA_SA_EXTRA_FLAGS",
    "XFRMA_PROTO",
    "XFRMA_ADDRESS_FILTER",
    "XFRMA_PAD",
    "XFRMA_OFFLOAD_DEV",
    "XFRMA_SET_MARK",
    "XFRMA_SET_MARK_MASK",
    "XFRMA_IF_ID",
    "XFRMA_MTIMER_THRESH",
];

/// The name of XFRM attribute `kind`, or its number.
pub fn attr_name(kind: u16) -> String {
    match kind {
        XFRMA_SA_DIR => "XFRMA_SA_DIR".to_string(),
        XFRMA_NAT_KEEPALIVE_INTERVAL => "XFRMA_NAT_KEEPALIVE_INTERVAL".to_string(),
        XFRMA_SA_PCPU => "XFRMA_SA_PCPU".to_string(),
        k => XFRMA_NAMES
            .get(k as usize)
            .map_or_else(|| format!("attribute {k}"), |n| n.to_string()),
    }
}

/// A NETLINK_XFRM socket in the current network namespace.
pub struct XfrmSocket {
    sock: Socket,
    seq: u32,
}

impl XfrmSocket {
    /// Opens and binds the socket, with extended acks on and the requests
    /// not echoed back in them.
    pub fn open() -> Result<Self, Error> {
        let failed = |e: io::Error| Error::Netlink(format!("XFRM socket: {}", io_text(&e)));
        let mut sock = Socket::new(NETLINK_XFRM).map_err(failed)?;
        sock.bind_auto().map_err(failed)?;
        sock.set_ext_ack(true).map_err(failed)?;
        sock.set_cap_ack(true).map_err(failed)?;
        Ok(XfrmSocket { sock, seq: 0 })
    }

    /// Sends `msg` asking for an ack; returns the messages the kernel
    /// answered with before it (a GETSA's SA), or its refusal. `fixed` is
    /// the length of the request's fixed header, where its attributes
    /// start, to name the one the kernel points at.
    pub fn request(&mut self, msg: XfrmMsg, fixed: usize) -> Result<Vec<XfrmMsg>, Error> {
        self.seq += 1;
        let request = serialize(msg, NLM_F_REQUEST | NLM_F_ACK, self.seq);
        self.sock
            .send_to(&request, &SocketAddr::new(0, 0), 0)
            .map_err(|e| Error::Netlink(format!("sending to XFRM: {}", io_text(&e))))?;
        let mut answers = Vec::new();
        loop {
            let (datagram, _) = self
                .sock
                .recv_from_full()
                .map_err(|e| Error::Netlink(format!("receiving from XFRM: {}", io_text(&e))))?;
            for bytes in split(&datagram) {
                let msg = NetlinkMessage::<XfrmMsg>::deserialize(bytes)
                    .map_err(|e| Error::Netlink(format!("an XFRM answer: {e}")))?;
                if msg.header.sequence_number != self.seq {
                    continue;
                }
                match msg.payload {
                    NetlinkPayload::Error(e) if e.code.is_none() => return Ok(answers),
                    NetlinkPayload::Error(e) => {
                        return Err(Error::Kernel(kernel_error(
                            &msg.header,
                            &e,
                            &request,
                            fixed,
                        )))
                    }
                    NetlinkPayload::InnerMessage(m) => answers.push(m),
                    _ => {}
                }
            }
        }
    }

    /// Joins XFRM multicast group `group` (an XFRMNLGRP_* number).
    pub fn join(&mut self, group: u32) -> io::Result<()> {
        self.sock.add_membership(group)
    }

    /// The next datagram: one or more netlink messages.
    pub fn receive(&mut self) -> io::Result<Vec<u8>> {
        self.sock.recv_from_full().map(|(datagram, _)| datagram)
    }
}

/// `msg` as a netlink message with `flags` and sequence number `seq`.
pub fn serialize(msg: XfrmMsg, flags: u16, seq: u32) -> Vec<u8> {
    let mut header = NetlinkHeader::default();
    header.flags = flags;
    header.sequence_number = seq;
    let mut nl = NetlinkMessage::new(header, NetlinkPayload::InnerMessage(msg));
    nl.finalize();
    let mut buf = vec![0; nl.buffer_len()];
    nl.serialize(&mut buf);
    buf
}

/// The netlink messages of `datagram`, each with its header, by their
/// length fields (aligned to 4, as NLMSG_NEXT steps); a truncated last
/// one is left out.
pub fn split(datagram: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut rest = datagram;
    while rest.len() >= NLMSG_HDRLEN {
        let len = NetlinkBuffer::new(rest).length() as usize;
        if len < NLMSG_HDRLEN || len > rest.len() {
            break;
        }
        out.push(&rest[..len]);
        rest = &rest[len.next_multiple_of(4).min(rest.len())..];
    }
    out
}

/// The refusal in `err` (the NLMSG_ERROR of `header`) to `request`, with
/// what its extended ack says: the message, and the attribute its offset
/// falls in, or the one it says is missing.
pub fn kernel_error(
    header: &NetlinkHeader,
    err: &ErrorMessage,
    request: &[u8],
    fixed: usize,
) -> KernelError {
    let echoed = &err.header;
    let skip = if header.flags & NLM_F_CAPPED != 0 || echoed.len() < NLMSG_HDRLEN {
        NLMSG_HDRLEN
    } else {
        (NetlinkBuffer::new(&echoed[..]).length() as usize).next_multiple_of(4)
    };
    let mut ke = KernelError {
        errno: err.raw_code().unsigned_abs() as i32,
        msg: None,
        bad_attr: None,
        missing_attr: None,
    };
    for nla in NlasIterator::new(echoed.get(skip..).unwrap_or_default()).flatten() {
        let value = nla.value();
        let u32_value = || {
            value
                .get(..4)
                .map(|b| u32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
        };
        match nla.kind() {
            NLMSGERR_ATTR_MSG => {
                let end = value.iter().position(|&b| b == 0).unwrap_or(value.len());
                let msg = String::from_utf8_lossy(&value[..end]).into_owned();
                ke.msg = (!msg.is_empty()).then_some(msg);
            }
            NLMSGERR_ATTR_OFFS => {
                ke.bad_attr = u32_value().map(|off| attr_at(request, fixed, off as usize));
            }
            NLMSGERR_ATTR_MISS_TYPE => {
                ke.missing_attr = u32_value().map(|t| attr_name(t as u16));
            }
            _ => {}
        }
    }
    ke
}

/// The attribute of `request` (whose fixed header is `fixed` bytes) that
/// byte `offset` falls in, or where it is.
fn attr_at(request: &[u8], fixed: usize, offset: usize) -> String {
    let start = NLMSG_HDRLEN + fixed;
    let mut at = start;
    for nla in NlasIterator::new(request.get(start..).unwrap_or_default()).flatten() {
        let end = at + (nla.length() as usize).next_multiple_of(4);
        if (at..end).contains(&offset) {
            return attr_name(nla.kind());
        }
        at = end;
    }
    if (NLMSG_HDRLEN..start).contains(&offset) {
        format!("the header, byte {}", offset - NLMSG_HDRLEN)
    } else {
        format!("offset {offset}")
    }
}

/// An io::Error as `Error: ...` says it: strerror for an errno.
pub fn io_text(e: &io::Error) -> String {
    match e.raw_os_error() {
        Some(n) => strerror(n),
        None => e.to_string(),
    }
}

/// `PF_KEY_V2`, the protocol of a PF_KEY socket.
const PF_KEY_V2: i32 = 2;
/// The largest PF_KEY message (sadb_msg_len counts 8-byte words in a u16).
const PFKEY_MAX: usize = 8 * u16::MAX as usize;

/// A PF_KEY v2 socket (RFC 2367 §2): one message per read and write.
/// Opening one needs CAP_NET_ADMIN (`pfkey_create()`).
pub struct PfKeySocket {
    sock: socket2::Socket,
}

impl PfKeySocket {
    pub fn open() -> Result<Self, Error> {
        let sock = socket2::Socket::new(
            Domain::from(libc::AF_KEY),
            Type::from(libc::SOCK_RAW),
            Some(Protocol::from(PF_KEY_V2)),
        )
        .map_err(|e| {
            Error::Kernel(KernelError {
                errno: e.raw_os_error().unwrap_or(libc::EIO),
                msg: Some("PF_KEY socket".to_string()),
                bad_attr: None,
                missing_attr: None,
            })
        })?;
        Ok(PfKeySocket { sock })
    }

    pub fn send(&self, msg: &[u8]) -> io::Result<()> {
        self.sock.send(msg).map(|_| ())
    }

    /// The next message; an error of kind WouldBlock or TimedOut once
    /// `timeout` (if set) passed without one.
    pub fn receive(&mut self) -> io::Result<Vec<u8>> {
        let mut buf = vec![0; PFKEY_MAX];
        let n = self.sock.read(&mut buf)?;
        buf.truncate(n);
        Ok(buf)
    }

    pub fn set_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.sock.set_read_timeout(timeout)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use netlink_packet_xfrm::XfrmMessage;

    /// An NLMSG_ERROR as the kernel sends it with NETLINK_CAP_ACK and
    /// NETLINK_EXT_ACK: the request's header alone, then the TLVs.
    fn nack(request: &[u8], errno: i32, msg: &str, offset: Option<u32>) -> Vec<u8> {
        let mut tlvs = Vec::new();
        let mut tlv = |kind: u16, value: &[u8]| {
            tlvs.extend(((4 + value.len()) as u16).to_ne_bytes());
            tlvs.extend(kind.to_ne_bytes());
            tlvs.extend(value);
            while tlvs.len() % 4 != 0 {
                tlvs.push(0);
            }
        };
        let mut text = msg.as_bytes().to_vec();
        text.push(0);
        tlv(NLMSGERR_ATTR_MSG, &text);
        if let Some(o) = offset {
            tlv(NLMSGERR_ATTR_OFFS, &o.to_ne_bytes());
        }
        let mut body = (-errno).to_ne_bytes().to_vec();
        body.extend(&request[..16]);
        body.extend(tlvs);
        let mut out = ((16 + body.len()) as u32).to_ne_bytes().to_vec();
        out.extend(2u16.to_ne_bytes());
        out.extend((NLM_F_CAPPED | 0x200).to_ne_bytes());
        out.extend(7u32.to_ne_bytes());
        out.extend(0u32.to_ne_bytes());
        out.extend(body);
        out
    }

    fn request() -> Vec<u8> {
        use netlink_packet_xfrm::policy::FlushMessage;
        let msg = XfrmMsg::Crate(XfrmMessage::FlushPolicy(FlushMessage {
            nlas: vec![
                netlink_packet_xfrm::XfrmAttrs::IfId(1),
                netlink_packet_xfrm::XfrmAttrs::Proto(50),
            ],
        }));
        serialize(msg, NLM_F_REQUEST | NLM_F_ACK, 7)
    }

    #[test]
    fn a_refusal_names_the_attribute_its_offset_falls_in() {
        let req = request();
        assert_eq!(req.len(), 16 + 8 + 8);
        let answer = nack(&req, libc::EINVAL, "Invalid attribute", Some(16 + 8 + 2));
        let msg = NetlinkMessage::<XfrmMsg>::deserialize(&answer).unwrap();
        let NetlinkPayload::Error(e) = &msg.payload else {
            panic!("{msg:?}")
        };
        let ke = kernel_error(&msg.header, e, &req, 0);
        assert_eq!(
            ke.to_string(),
            "Invalid attribute: Invalid argument (bad attribute: XFRMA_PROTO)"
        );
        let answer = nack(&req, libc::EINVAL, "x", Some(16 + 2));
        let msg = NetlinkMessage::<XfrmMsg>::deserialize(&answer).unwrap();
        let NetlinkPayload::Error(e) = &msg.payload else {
            panic!("{msg:?}")
        };
        assert_eq!(
            kernel_error(&msg.header, e, &req, 0).bad_attr.as_deref(),
            Some("XFRMA_IF_ID")
        );
        assert_eq!(
            kernel_error(&msg.header, e, &req, 8).bad_attr.as_deref(),
            Some("the header, byte 2")
        );
    }

    #[test]
    fn a_refusal_without_extack_is_the_errno_alone() {
        let req = request();
        let answer = nack(&req, libc::ESRCH, "", None);
        let msg = NetlinkMessage::<XfrmMsg>::deserialize(&answer).unwrap();
        let NetlinkPayload::Error(e) = &msg.payload else {
            panic!()
        };
        assert_eq!(
            kernel_error(&msg.header, e, &req, 0).to_string(),
            "No such process"
        );
    }

    #[test]
    fn datagrams_split_at_the_aligned_lengths() {
        let mut dgram = vec![
            17, 0, 0, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0,
        ];
        dgram.extend([16, 0, 0, 0, 0x1d, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        dgram.extend([99, 0, 0, 0]);
        let parts = split(&dgram);
        assert_eq!(parts.len(), 2);
        assert_eq!((parts[0].len(), parts[0][16]), (17, 9));
        assert_eq!(parts[1][4], 0x1d);
    }

    #[test]
    fn attribute_names() {
        assert_eq!(attr_name(17), "XFRMA_MIGRATE");
        assert_eq!(attr_name(32), "XFRMA_MTIMER_THRESH");
        assert_eq!(attr_name(34), "XFRMA_NAT_KEEPALIVE_INTERVAL");
        assert_eq!(attr_name(99), "attribute 99");
        assert_eq!(attr_at(&request(), 0, 17), "XFRMA_IF_ID");
        assert_eq!(attr_at(&request(), 8, 20), "the header, byte 4");
        assert_eq!(attr_at(&request(), 0, 100), "offset 100");
    }
}
