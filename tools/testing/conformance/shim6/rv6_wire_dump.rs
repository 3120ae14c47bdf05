// SPDX-License-Identifier: GPL-2.0

//! What rv6's own Shim6 parser makes of some bytes: reads Shim6 headers as hex, one a line,
//! and prints each as `shim6_wire` parses it, in the words `test_shim6_layer.py` prints a
//! scapy packet in (`key=value`, options as `opt(...)` with their offsets), or `error ...`.
//!
//! Built by the test with plain rustc from the kernel module's own `shim6_wire.rs` (pure,
//! `no_std`, no dependency), so the scapy layer is checked against the code the kernel and
//! shim6d run.  Not part of any crate.

use std::fmt::Write as _;
use std::io::BufRead;

#[path = "../../../../net/ipv6/shim6/shim6_wire.rs"]
#[allow(dead_code)]
mod shim6_wire;

use shim6_wire::{
    is_payload,
    ControlHeader,
    ControlRepr,
    Message,
    OptionBody,
    OptionRepr,
    PayloadHeader,
    PayloadRepr, //
};

fn hex(b: &[u8]) -> String {
    b.iter().fold(String::new(), |mut s, x| {
        let _ = write!(s, "{x:02x}");
        s
    })
}

fn addr(a: &[u8]) -> String {
    std::net::Ipv6Addr::from(<[u8; 16]>::try_from(a).unwrap()).to_string()
}

fn unhex(line: &str) -> Option<Vec<u8>> {
    let line = line.trim();
    (0..line.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(line.get(i..i + 2)?, 16).ok())
        .collect()
}

fn message(m: &Message<'_>) -> String {
    match m {
        Message::I1 {
            initiator_context_tag: t,
            initiator_nonce: n,
        } => format!("initiator_tag={:#x} initiator_nonce={n:#x}", t.get()),
        Message::R1 {
            initiator_nonce: i,
            responder_nonce: r,
        } => format!("initiator_nonce={i:#x} responder_nonce={r:#x}"),
        Message::I2 {
            initiator_context_tag: t,
            initiator_nonce: i,
            responder_nonce: r,
        } => format!(
            "initiator_tag={:#x} initiator_nonce={i:#x} responder_nonce={r:#x}",
            t.get()
        ),
        Message::R2 {
            responder_context_tag: t,
            initiator_nonce: i,
        } => format!("responder_tag={:#x} initiator_nonce={i:#x}", t.get()),
        Message::R1bis {
            packet_context_tag: t,
            responder_nonce: r,
        } => format!("packet_tag={:#x} responder_nonce={r:#x}", t.get()),
        Message::I2bis {
            initiator_context_tag: t,
            initiator_nonce: i,
            responder_nonce: r,
            packet_context_tag: p,
        } => format!(
            "initiator_tag={:#x} initiator_nonce={i:#x} responder_nonce={r:#x} packet_tag={:#x}",
            t.get(),
            p.get()
        ),
        Message::UpdateRequest {
            receiver_context_tag: t,
            request_nonce: n,
        }
        | Message::UpdateAck {
            receiver_context_tag: t,
            request_nonce: n,
        } => format!("receiver_tag={:#x} request_nonce={n:#x}", t.get()),
        Message::Keepalive {
            receiver_context_tag: t,
        } => format!("receiver_tag={:#x}", t.get()),
        Message::Probe(p) => {
            let reports = |r: &shim6_wire::ProbeReports<'_>| {
                r.iter()
                    .map(|r| {
                        format!(
                            "{}/{}/{:#x}/{:#x}",
                            addr(&r.source),
                            addr(&r.destination),
                            r.nonce,
                            r.data
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(",")
            };
            format!(
                "receiver_tag={:#x} sta={} sent=[{}] received=[{}]",
                p.receiver_context_tag.get(),
                p.state as u8,
                reports(&p.sent),
                reports(&p.received)
            )
        }
        Message::Error {
            code,
            pointer,
            packet_in_error,
        } => format!(
            "code={code} pointer={pointer} packet_in_error={}",
            hex(packet_in_error)
        ),
        Message::Unknown {
            type_specific,
            body,
            ..
        } => format!("type_specific={type_specific} body={}", hex(body)),
    }
}

fn option(o: &OptionRepr<'_>) -> String {
    match o.body {
        OptionBody::ResponderValidator(v) => format!("validator={}", hex(v)),
        OptionBody::LocatorList(l) => {
            let locators: Vec<String> = l.locators().map(|a| addr(&a)).collect();
            format!(
                "generation={:#x} methods={} locators={}",
                l.generation(),
                hex(l.methods()),
                locators.join(",")
            )
        }
        OptionBody::LocatorPreferences(p) => format!(
            "generation={:#x} elen={} elements={}",
            p.generation(),
            p.element_len(),
            hex(p.element_bytes())
        ),
        OptionBody::CgaParameterDataStructure(d) => format!("pds={}", hex(d)),
        OptionBody::CgaSignature(d) => format!("signature={}", hex(d)),
        OptionBody::UlidPair(u) => {
            format!("sender={} receiver={}", addr(&u.sender), addr(&u.receiver))
        }
        OptionBody::ForkedInstanceIdentifier(f) => format!("fii={f}"),
        OptionBody::KeepaliveTimeout(t) => format!("timeout={t}"),
        OptionBody::Unknown { data, .. } => format!("data={}", hex(data)),
    }
}

fn dump(b: &[u8]) -> String {
    match is_payload(b) {
        Err(e) => format!("error {e:?}"),
        Ok(true) => match PayloadHeader::new_checked(b) {
            Ok(h) => {
                let r = PayloadRepr::parse(&h);
                format!(
                    "payload nh={} tag={:#x}",
                    r.next_header,
                    r.context_tag.get()
                )
            }
            Err(e) => format!("error {e:?}"),
        },
        Ok(false) => {
            let h = match ControlHeader::new_checked(b) {
                Ok(h) => h,
                Err(e) => return format!("error {e:?}"),
            };
            let r = match ControlRepr::parse(&h) {
                Ok(r) => r,
                Err(e) => return format!("error {e:?}"),
            };
            let mut s = format!(
                "type={} nh={} {}",
                r.message.msg_type(),
                r.next_header,
                message(&r.message)
            );
            for o in r.options() {
                let o = match o {
                    Ok(o) => o,
                    Err(e) => return format!("error {e:?}"),
                };
                let at = o.offset;
                match OptionRepr::parse(&o) {
                    Ok(p) => {
                        let _ = write!(
                            s,
                            " opt(at={at},type={},c={},{})",
                            p.body.kind(),
                            u8::from(p.critical),
                            option(&p)
                        );
                    }
                    Err(e) => return format!("error {e:?}"),
                }
            }
            s
        }
    }
}

fn main() {
    for line in std::io::stdin().lock().lines() {
        let line = line.expect("stdin");
        match unhex(&line) {
            Some(b) => println!("{}", dump(&b)),
            None => println!("error not hex"),
        }
    }
}
