//! `rv6 xfrm monitor` and `rv6 xfrm pfkey monitor`: the messages of the
//! XFRM multicast groups, or of a PF_KEY socket registered for every SA
//! type and in promiscuous mode, printed as they come; or those saved in a
//! file (`file FILE`, as `ip xfrm monitor file` reads one: netlink messages
//! back to back, or PF_KEY messages back to back).

use std::fs;
use std::io::{
    self,
    Write, //
};
use std::sync::Arc;

use netlink_packet_core::NetlinkMessage;

use crate::error::Error;
use crate::genl::KernelError;
use crate::output::{
    render_event,
    Format, //
};
use crate::xfrm::json::Json;
use crate::xfrm::names::Host;
use crate::xfrm::pfkey::{
    Message,
    SADB_REGISTER,
    SADB_X_PROMISC, //
};
use crate::xfrm::pfkey_print;
use crate::xfrm::socket::{
    io_text,
    split,
    PfKeySocket,
    XfrmSocket, //
};
use crate::xfrm::text::Printer;
use crate::xfrm::wire::XfrmMsg;

/// The XFRM multicast groups by the names `ip xfrm monitor` takes
/// (XFRMNLGRP_*), and the two it does not name.
pub const GROUPS: &[(&str, u32)] = &[
    ("acquire", 1),
    ("expire", 2),
    ("SA", 3),
    ("policy", 4),
    ("aevent", 5),
    ("report", 6),
    ("migrate", 7),
    ("mapping", 8),
];

/// One XFRM message (header included) as `format` prints it, or why it
/// does not decode. `None` for what prints nothing (ACKs and the like).
pub fn render_xfrm(
    bytes: &[u8],
    format: Format,
    host: &dyn Host,
    nokeys: bool,
) -> Result<Option<String>, String> {
    let msg = NetlinkMessage::<XfrmMsg>::deserialize(bytes).map_err(|e| e.to_string())?;
    Ok(match format {
        Format::Text => Some(Printer { host, nokeys }.message(&msg.header, &msg.payload))
            .filter(|t| !t.is_empty()),
        _ => Json { host, nokeys }
            .event(&msg.header, &msg.payload)
            .map(|e| render_event(&e, format)),
    })
}

/// One PF_KEY message as `format` prints it, or why it does not decode.
pub fn render_pfkey(bytes: &[u8], format: Format, host: &dyn Host) -> Result<String, String> {
    let m = Message::decode(bytes).map_err(|e| e.0)?;
    Ok(match format {
        Format::Text => pfkey_print::text(host, &m),
        _ => render_event(&pfkey_print::event(host, &m), format),
    })
}

/// Writes `text`, flushed; `false` once `out` is a closed pipe.
fn emit(out: &mut dyn Write, text: &str) -> Result<bool, Error> {
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(Error::Output(e)),
    }
}

/// Prints the XFRM messages of `datagram` (or of a file's bytes); `false`
/// once `out` closed. A message that does not decode is a warning.
fn print_xfrm(
    datagram: &[u8],
    format: Format,
    host: &dyn Host,
    nokeys: bool,
    out: &mut dyn Write,
) -> Result<bool, Error> {
    for bytes in split(datagram) {
        match render_xfrm(bytes, format, host, nokeys) {
            Ok(Some(text)) => {
                if !emit(out, &text)? {
                    return Ok(false);
                }
            }
            Ok(None) => {}
            Err(e) => eprintln!("Warning: an XFRM message does not decode: {e} (skipped)"),
        }
    }
    Ok(true)
}

/// Where the messages come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The kernel, until interrupted.
    Kernel,
    /// A file of saved messages, to its end.
    File(String),
}

fn read(path: &str) -> Result<Vec<u8>, Error> {
    fs::read(path).map_err(|e| Error::Netlink(format!("reading \"{path}\": {}", io_text(&e))))
}

/// `rv6 xfrm monitor`: joins `groups` (XFRMNLGRP_* numbers) and prints.
pub fn xfrm(
    groups: &[u32],
    source: &Source,
    format: Format,
    host: &dyn Host,
    nokeys: bool,
    out: &mut dyn Write,
) -> Result<(), Error> {
    if let Source::File(path) = source {
        print_xfrm(&read(path)?, format, host, nokeys, out)?;
        return Ok(());
    }
    let mut sock = XfrmSocket::open()?;
    for &g in groups {
        sock.join(g).map_err(|err| Error::Join {
            family: "xfrm",
            group: GROUPS
                .iter()
                .find(|(_, n)| *n == g)
                .map_or_else(|| g.to_string(), |(name, _)| name.to_string()),
            err: Arc::new(err),
        })?;
    }
    loop {
        let datagram = match sock.receive() {
            Ok(d) => d,
            Err(e) if e.raw_os_error() == Some(libc::ENOBUFS) => {
                eprintln!(
                    "Warning: netlink receive error: {} (messages were lost)",
                    io_text(&e)
                );
                continue;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(Error::Netlink(format!(
                    "receiving from XFRM: {}",
                    io_text(&e)
                )))
            }
        };
        if !print_xfrm(&datagram, format, host, nokeys, out)? {
            return Ok(());
        }
    }
}

/// The PF_KEY messages of a file: each as long as its sadb_msg_len says.
fn pfkey_messages(bytes: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut rest = bytes;
    while rest.len() >= 8 {
        let len = 8 * u16::from_ne_bytes([rest[4], rest[5]]) as usize;
        if len < 16 || len > rest.len() {
            break;
        }
        out.push(&rest[..len]);
        rest = &rest[len..];
    }
    out
}

/// Prints one PF_KEY message; `false` once `out` closed.
fn print_pfkey(
    bytes: &[u8],
    format: Format,
    host: &dyn Host,
    out: &mut dyn Write,
) -> Result<bool, Error> {
    match render_pfkey(bytes, format, host) {
        Ok(text) => emit(out, &text),
        Err(e) => {
            eprintln!("Warning: a PF_KEY message does not decode: {e} (skipped)");
            Ok(true)
        }
    }
}

/// The SA types a monitor registers for (RFC 2367 §3.1.2: then the kernel
/// sends it the ACQUIREs and EXPIREs of those types).
const REGISTER: &[u8] = &[2, 3, 9];

/// `rv6 xfrm pfkey monitor`: registers for AH, ESP and IPComp, turns
/// promiscuous mode on (SADB_X_PROMISC, so that the messages other sockets
/// send show too), and prints everything but the answers to its own.
pub fn pfkey(
    source: &Source,
    format: Format,
    host: &dyn Host,
    out: &mut dyn Write,
) -> Result<(), Error> {
    if let Source::File(path) = source {
        for m in pfkey_messages(&read(path)?) {
            if !print_pfkey(m, format, host, out)? {
                break;
            }
        }
        return Ok(());
    }
    let mut sock = PfKeySocket::open()?;
    let pid = std::process::id();
    let failed = |e: io::Error| {
        Error::Kernel(KernelError {
            errno: e.raw_os_error().unwrap_or(libc::EIO),
            msg: Some("PF_KEY".to_string()),
            bad_attr: None,
            missing_attr: None,
        })
    };
    let setup = REGISTER
        .iter()
        .map(|&satype| (SADB_REGISTER, satype))
        .chain([(SADB_X_PROMISC, 1)]);
    for (seq, (msg_type, satype)) in setup.enumerate() {
        let m = Message {
            msg_type,
            errno: 0,
            satype,
            seq: seq as u32 + 1,
            pid,
            exts: Vec::new(),
        };
        sock.send(&m.encode()).map_err(failed)?;
    }
    loop {
        let bytes = match sock.receive() {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(failed(e)),
        };
        if matches!(Message::decode(&bytes), Ok(m) if m.pid == pid) {
            continue;
        }
        if !print_pfkey(&bytes, format, host, out)? {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xfrm::names::TestHost;

    /// A FLUSHPOLICY and an ACK in one buffer: the one prints, the other
    /// not; an undecodable message is skipped, the next still printed.
    #[test]
    fn a_file_of_messages_prints_each() {
        let flush = [16u8, 0, 0, 0, 0x1d, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        let mut ack = vec![36u8, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        ack.extend([0; 20]);
        let short_sa = [
            20u8, 0, 0, 0, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4,
        ];
        let mut all = flush.to_vec();
        all.extend(&ack);
        all.extend(short_sa);
        all.extend(flush);
        let mut out = Vec::new();
        assert!(print_xfrm(&all, Format::Text, &TestHost, false, &mut out).unwrap());
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "Flushed policy \nFlushed policy \n"
        );
    }

    #[test]
    fn pfkey_files_split_by_their_lengths() {
        let m = Message {
            msg_type: 9,
            errno: 0,
            satype: 3,
            seq: 1,
            pid: 2,
            exts: vec![],
        }
        .encode();
        let mut all = m.clone();
        all.extend(&m);
        all.extend([2, 9, 0, 3, 9, 0]);
        assert_eq!(pfkey_messages(&all).len(), 2);
        let mut out = Vec::new();
        print_pfkey(&m, Format::Json, &TestHost, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"family\":\"pfkey\",\"name\":\"SADB_FLUSH\",\"msg\":{\"satype\":\"esp\",\"seq\":1,\
             \"pid\":2,\"errno\":0}}\n"
        );
    }
}
