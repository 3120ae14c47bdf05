//! The rv6_shim6 module's family, `rv6-shim6`, through the rv6 crate's
//! generic netlink layer and the tables it generates from
//! Documentation/netlink/specs/rv6_shim6.yaml: one socket joined to the
//! `events` group (CAP_NET_ADMIN), which the event loop polls, and one for
//! requests (`context-add`, `context-del`), so that waiting for a request's
//! acknowledgement never skips an event.

use std::net::Ipv6Addr;
use std::os::fd::{
    AsRawFd,
    RawFd, //
};

use neli::attr::Attribute;
use rv6::error::{
    netlink,
    Error, //
};
use rv6::genl::{
    attr,
    Attrs,
    Family,
    Message,
    Socket, //
};
use rv6::spec::specs::rv6_shim6::{
    A_CONTEXT_CURRENT_LOCAL,
    A_CONTEXT_CURRENT_PEER,
    A_CONTEXT_EVENT,
    A_CONTEXT_LOCAL_LOCATOR,
    A_CONTEXT_LOCAL_TAG,
    A_CONTEXT_PEER_LOCATOR,
    A_CONTEXT_PEER_TAG,
    A_CONTEXT_ULID_LOCAL,
    A_CONTEXT_ULID_PEER,
    CMD_CONTEXT_ADD,
    CMD_CONTEXT_DEL,
    CMD_EVENT,
    EVENT,
    FAMILY_CONTEXT,
    NOTIFICATIONS, //
};
use rv6_cores::shim6_wire::Addr;

use crate::engine::{
    KernelContext,
    KernelRequest,
    Pair, //
};

/// An event of the family, as the daemon reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KernelEvent {
    /// `trigger`: the pair is worth a context.
    Trigger(Pair),
    /// `unknown-tag`: a payload header with this tag, which no context has,
    /// came from `peer` to `local` (its `peer-locator` and `local-locator`).
    UnknownTag { tag: u64, local: Addr, peer: Addr },
    /// Another event (its spec name, or its number): REAP's, for a later
    /// shim6d.
    Other(String),
}

/// Reads a notification of type `ty` (the family's id is `family`): an
/// event, or `None` for anything else.
pub fn event(ty: u16, family: u16, msg: &Message) -> Result<Option<KernelEvent>, Error> {
    if ty != family || *msg.cmd() != CMD_EVENT {
        return Ok(None);
    }
    let attrs = msg.attrs().get_attr_handle();
    let kind = attrs
        .get_attr_payload_as::<u32>(A_CONTEXT_EVENT)
        .map_err(netlink)?;
    let name = EVENT.name(kind);
    let address = |id| -> Result<Addr, Error> {
        attrs
            .get_attribute(id)
            .ok_or_else(|| {
                netlink(format!(
                    "a {} event without attribute {id}",
                    name.unwrap_or("")
                ))
            })?
            .get_payload_as::<[u8; 16]>()
            .map_err(netlink)
    };
    match name {
        Some("trigger") => Ok(Some(KernelEvent::Trigger(Pair {
            local: address(A_CONTEXT_ULID_LOCAL)?,
            peer: address(A_CONTEXT_ULID_PEER)?,
        }))),
        Some("unknown-tag") => Ok(Some(KernelEvent::UnknownTag {
            tag: attrs
                .get_attr_payload_as::<u64>(A_CONTEXT_LOCAL_TAG)
                .map_err(netlink)?,
            local: address(A_CONTEXT_LOCAL_LOCATOR)?,
            peer: address(A_CONTEXT_PEER_LOCATOR)?,
        })),
        _ => Ok(Some(KernelEvent::Other(
            name.map_or_else(|| kind.to_string(), str::to_string),
        ))),
    }
}

/// `context-add`'s attributes for `c`: the tags, the ULIDs, both locator
/// lists, and the current pair.
pub fn add_attrs(c: &KernelContext) -> Result<Attrs, Error> {
    let mut attrs = vec![
        attr(A_CONTEXT_LOCAL_TAG, c.local_tag)?,
        attr(A_CONTEXT_PEER_TAG, c.peer_tag)?,
        attr(A_CONTEXT_ULID_LOCAL, c.ulid_local)?,
        attr(A_CONTEXT_ULID_PEER, c.ulid_peer)?,
    ];
    for l in &c.local_locators {
        attrs.push(attr(A_CONTEXT_LOCAL_LOCATOR, *l)?);
    }
    for l in &c.peer_locators {
        attrs.push(attr(A_CONTEXT_PEER_LOCATOR, *l)?);
    }
    attrs.push(attr(A_CONTEXT_CURRENT_LOCAL, c.current.local)?);
    attrs.push(attr(A_CONTEXT_CURRENT_PEER, c.current.peer)?);
    Ok(attrs.into_iter().collect())
}

fn addrs(list: &[Addr]) -> String {
    let words: Vec<String> = list
        .iter()
        .map(|a| Ipv6Addr::from(*a).to_string())
        .collect();
    words.join(",")
}

/// A request as the log says it, in `rv6 shim6 context`'s words.
pub fn describe(r: &KernelRequest) -> String {
    match r {
        KernelRequest::Add(c) => format!(
            "context-add local-tag {:#x} peer-tag {:#x} ulid-local {} ulid-peer {} \
             local-locators {} peer-locators {} pair {} {}",
            c.local_tag,
            c.peer_tag,
            Ipv6Addr::from(c.ulid_local),
            Ipv6Addr::from(c.ulid_peer),
            addrs(&c.local_locators),
            addrs(&c.peer_locators),
            Ipv6Addr::from(c.current.local),
            Ipv6Addr::from(c.current.peer)
        ),
        KernelRequest::Del { local_tag } => format!("context-del local-tag {local_tag:#x}"),
    }
}

/// The family's two sockets.
pub struct Kernel {
    requests: Socket,
    family: Family,
    events: Socket,
}

impl Kernel {
    /// Resolves the family and joins its `events` group, in the current
    /// network namespace.
    pub fn open() -> Result<Self, Error> {
        let mut requests = Socket::open()?;
        let family = requests.resolve(&FAMILY_CONTEXT)?;
        let mut events = Socket::open()?;
        let (_, groups) = events.lookup(FAMILY_CONTEXT.name, FAMILY_CONTEXT.module)?;
        let name = NOTIFICATIONS.groups.first().copied().unwrap_or("events");
        let group = groups
            .iter()
            .find(|g| g.name == name)
            .ok_or_else(|| netlink(format!("{}: no group {name}", FAMILY_CONTEXT.name)))?;
        events.join(FAMILY_CONTEXT.name, group)?;
        Ok(Kernel {
            requests,
            family,
            events,
        })
    }

    /// The events socket's descriptor, to poll.
    pub fn events_fd(&self) -> RawFd {
        self.events.as_raw_fd()
    }

    /// The events of the next datagram on the events socket (call when it
    /// is readable: it blocks otherwise).
    pub fn events(&mut self) -> Result<Vec<KernelEvent>, Error> {
        let mut out = Vec::new();
        for (ty, msg) in self.events.notifications()? {
            if let Some(e) = event(ty, self.family.id, &msg)? {
                out.push(e);
            }
        }
        Ok(out)
    }

    /// Sends `r` and waits for the kernel's answer.
    pub fn apply(&mut self, r: &KernelRequest) -> Result<(), Error> {
        match r {
            KernelRequest::Add(c) => {
                self.requests
                    .request(&self.family, CMD_CONTEXT_ADD, add_attrs(c)?)?;
            }
            KernelRequest::Del { local_tag } => {
                let attrs = [attr(A_CONTEXT_LOCAL_TAG, *local_tag)?]
                    .into_iter()
                    .collect();
                self.requests
                    .request(&self.family, CMD_CONTEXT_DEL, attrs)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use neli::genl::{
        GenlmsghdrBuilder,
        NoUserHeader, //
    };
    use rv6::spec::specs::rv6_shim6::A_CONTEXT_PAD;

    fn ip(s: &str) -> Addr {
        s.parse::<Ipv6Addr>().unwrap().octets()
    }

    fn message(cmd: u8, attrs: Vec<neli::genl::Nlattr<u16, neli::types::Buffer>>) -> Message {
        GenlmsghdrBuilder::<u8, u16, NoUserHeader>::default()
            .cmd(cmd)
            .version(1)
            .attrs(attrs.into_iter().collect())
            .build()
            .unwrap()
    }

    #[test]
    fn a_trigger_event_gives_its_pair_and_others_their_names() {
        let trigger = EVENT.parse("trigger").unwrap();
        let m = message(
            CMD_EVENT,
            vec![
                attr(A_CONTEXT_EVENT, trigger).unwrap(),
                attr(A_CONTEXT_ULID_LOCAL, ip("2001:db8:a1::1")).unwrap(),
                attr(A_CONTEXT_ULID_PEER, ip("2001:db8:b1::1")).unwrap(),
            ],
        );
        assert_eq!(
            event(0x20, 0x20, &m).unwrap(),
            Some(KernelEvent::Trigger(Pair {
                local: ip("2001:db8:a1::1"),
                peer: ip("2001:db8:b1::1"),
            }))
        );
        // Another family's message, or another command: not an event.
        assert_eq!(event(0x21, 0x20, &m).unwrap(), None);
        let unknown = message(
            CMD_EVENT,
            vec![
                attr(A_CONTEXT_EVENT, EVENT.parse("unknown-tag").unwrap()).unwrap(),
                attr(A_CONTEXT_PAD, ()).unwrap(),
                attr(A_CONTEXT_LOCAL_TAG, 0x1b_0000_0002u64).unwrap(),
                attr(A_CONTEXT_LOCAL_LOCATOR, ip("2001:db8:b2::1")).unwrap(),
                attr(A_CONTEXT_PEER_LOCATOR, ip("2001:db8:a2::1")).unwrap(),
            ],
        );
        assert_eq!(
            event(0x20, 0x20, &unknown).unwrap(),
            Some(KernelEvent::UnknownTag {
                tag: 0x1b_0000_0002,
                local: ip("2001:db8:b2::1"),
                peer: ip("2001:db8:a2::1"),
            })
        );
        let unknown_short = message(
            CMD_EVENT,
            vec![
                attr(A_CONTEXT_EVENT, EVENT.parse("unknown-tag").unwrap()).unwrap(),
                attr(A_CONTEXT_PAD, ()).unwrap(),
                attr(A_CONTEXT_LOCAL_TAG, 0x1b_0000_0002u64).unwrap(),
                attr(A_CONTEXT_LOCAL_LOCATOR, ip("2001:db8:b2::1")).unwrap(),
            ],
        );
        assert!(event(0x20, 0x20, &unknown_short).is_err());
        let keepalive = message(
            CMD_EVENT,
            vec![
                attr(A_CONTEXT_EVENT, EVENT.parse("keepalive").unwrap()).unwrap(),
                attr(A_CONTEXT_PAD, ()).unwrap(),
                attr(A_CONTEXT_LOCAL_TAG, 0x1au64).unwrap(),
            ],
        );
        assert_eq!(
            event(0x20, 0x20, &keepalive).unwrap(),
            Some(KernelEvent::Other("keepalive".into()))
        );
        let newer = message(CMD_EVENT, vec![attr(A_CONTEXT_EVENT, 99u32).unwrap()]);
        assert_eq!(
            event(0x20, 0x20, &newer).unwrap(),
            Some(KernelEvent::Other("99".into()))
        );
        let short = message(
            CMD_EVENT,
            vec![
                attr(A_CONTEXT_EVENT, trigger).unwrap(),
                attr(A_CONTEXT_ULID_LOCAL, ip("2001:db8:a1::1")).unwrap(),
            ],
        );
        assert!(event(0x20, 0x20, &short).is_err());
    }

    #[test]
    fn context_add_sends_tags_ulids_locators_and_the_current_pair() {
        let c = KernelContext {
            local_tag: 0x1a,
            peer_tag: 0x1b,
            ulid_local: ip("2001:db8:a1::1"),
            ulid_peer: ip("2001:db8:b1::1"),
            local_locators: vec![ip("2001:db8:a1::1"), ip("2001:db8:a2::1")],
            peer_locators: vec![ip("2001:db8:b1::1"), ip("2001:db8:b2::1")],
            current: Pair {
                local: ip("2001:db8:a2::1"),
                peer: ip("2001:db8:b2::1"),
            },
        };
        let sent: Vec<(u16, Vec<u8>)> = add_attrs(&c)
            .unwrap()
            .iter()
            .map(|a| (*a.nla_type().nla_type(), a.nla_payload().as_ref().to_vec()))
            .collect();
        let v = |a: Addr| a.to_vec();
        assert_eq!(
            sent,
            [
                (A_CONTEXT_LOCAL_TAG, 0x1au64.to_ne_bytes().to_vec()),
                (A_CONTEXT_PEER_TAG, 0x1bu64.to_ne_bytes().to_vec()),
                (A_CONTEXT_ULID_LOCAL, v(ip("2001:db8:a1::1"))),
                (A_CONTEXT_ULID_PEER, v(ip("2001:db8:b1::1"))),
                (A_CONTEXT_LOCAL_LOCATOR, v(ip("2001:db8:a1::1"))),
                (A_CONTEXT_LOCAL_LOCATOR, v(ip("2001:db8:a2::1"))),
                (A_CONTEXT_PEER_LOCATOR, v(ip("2001:db8:b1::1"))),
                (A_CONTEXT_PEER_LOCATOR, v(ip("2001:db8:b2::1"))),
                (A_CONTEXT_CURRENT_LOCAL, v(ip("2001:db8:a2::1"))),
                (A_CONTEXT_CURRENT_PEER, v(ip("2001:db8:b2::1"))),
            ]
        );
        assert_eq!(
            describe(&KernelRequest::Add(c)),
            "context-add local-tag 0x1a peer-tag 0x1b ulid-local 2001:db8:a1::1 \
             ulid-peer 2001:db8:b1::1 local-locators 2001:db8:a1::1,2001:db8:a2::1 \
             peer-locators 2001:db8:b1::1,2001:db8:b2::1 pair 2001:db8:a2::1 2001:db8:b2::1"
        );
        assert_eq!(
            describe(&KernelRequest::Del { local_tag: 0x1a }),
            "context-del local-tag 0x1a"
        );
    }
}
