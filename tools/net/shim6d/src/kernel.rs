//! The rv6_shim6 module's family, `rv6-shim6`, through the rv6 crate's
//! generic netlink layer and the tables it generates from
//! Documentation/netlink/specs/rv6_shim6.yaml: one socket joined to the
//! `events` group (CAP_NET_ADMIN), which the event loop polls, and one for
//! requests (`context-add`, `context-del`, `context-get` and `context-set`),
//! so that waiting for a request's acknowledgement never skips an event.
//!
//! A [`ContextSet`] is planned against the kernel's context as it is
//! ([`plan_set`], after a `context-get`): REAP or a person may have moved
//! the current pair since the daemon set it, so the daemon's view is not
//! trusted for it.

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
    A_CONTEXT_KEEPALIVE_TIMEOUT,
    A_CONTEXT_LOCAL_LOCATOR,
    A_CONTEXT_LOCAL_TAG,
    A_CONTEXT_PEER_LOCATOR,
    A_CONTEXT_PEER_TAG,
    A_CONTEXT_REAP_STATE,
    A_CONTEXT_SEND_TIMEOUT,
    A_CONTEXT_ULID_LOCAL,
    A_CONTEXT_ULID_PEER,
    CMD_CONTEXT_ADD,
    CMD_CONTEXT_DEL,
    CMD_CONTEXT_GET,
    CMD_CONTEXT_SET,
    CMD_EVENT,
    EVENT,
    FAMILY_CONTEXT,
    NOTIFICATIONS,
    REAP_STATE, //
};
use rv6_cores::shim6_wire::Addr;

use crate::engine::{
    ContextSet,
    KernelContext,
    KernelRequest,
    Pair,
    ReapEvent,
    ReapSet, //
};

/// An event of the family, as the daemon reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KernelEvent {
    /// `trigger`: the pair is worth a context.
    Trigger(Pair),
    /// `unknown-tag`: a payload header with this tag, which no context has,
    /// came from `peer` to `local` (its `peer-locator` and `local-locator`).
    UnknownTag { tag: u64, local: Addr, peer: Addr },
    /// One of REAP's, for the context with `local_tag`.
    Reap { local_tag: u64, event: ReapEvent },
    /// An event this shim6d does not know (its spec name, or its number).
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
        Some(n) if ReapEvent::from_name(n).is_some() => Ok(Some(KernelEvent::Reap {
            local_tag: attrs
                .get_attr_payload_as::<u64>(A_CONTEXT_LOCAL_TAG)
                .map_err(netlink)?,
            event: ReapEvent::from_name(n).unwrap_or(ReapEvent::Idle),
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
    if let Some(ms) = c.send_timeout_ms {
        attrs.push(attr(A_CONTEXT_SEND_TIMEOUT, ms)?);
    }
    if let Some(ms) = c.keepalive_timeout_ms {
        attrs.push(attr(A_CONTEXT_KEEPALIVE_TIMEOUT, ms)?);
    }
    Ok(attrs.into_iter().collect())
}

/// `context-set`'s attributes for REAP's `r` on a kernel whose context is
/// `now`: the reap-state, and the current pair if it moves.
pub fn reap_attrs(r: &ReapSet, now: &KernelContext) -> Result<Attrs, Error> {
    let state = if r.exploring {
        "exploring"
    } else {
        "operational"
    };
    let value = REAP_STATE
        .parse(state)
        .map_err(|e| netlink(format!("reap-state {state}: {e}")))?;
    let mut attrs = vec![
        attr(A_CONTEXT_LOCAL_TAG, r.local_tag)?,
        attr(A_CONTEXT_REAP_STATE, value)?,
    ];
    if r.current != now.current {
        attrs.push(attr(A_CONTEXT_CURRENT_LOCAL, r.current.local)?);
        attrs.push(attr(A_CONTEXT_CURRENT_PEER, r.current.peer)?);
    }
    Ok(attrs.into_iter().collect())
}

/// REAP's `r` as the log says it, the pair only if it moves.
pub fn describe_reap(r: &ReapSet, now: Option<&KernelContext>) -> String {
    let mut s = format!(
        "context-set local-tag {:#x} reap {}",
        r.local_tag,
        if r.exploring {
            "exploring"
        } else {
            "operational"
        }
    );
    if now.is_none_or(|n| n.current != r.current) {
        s += &format!(
            " pair {} {}",
            Ipv6Addr::from(r.current.local),
            Ipv6Addr::from(r.current.peer)
        );
    }
    s
}

/// A `context-get` reply as a [`KernelContext`]: tags, ULIDs, both sets and
/// the current pair.
pub fn context_of(msg: &Message) -> Result<KernelContext, Error> {
    let attrs = msg.attrs().get_attr_handle();
    let u64_of = |id| attrs.get_attr_payload_as::<u64>(id).map_err(netlink);
    let address = |id| -> Result<Addr, Error> {
        attrs
            .get_attribute(id)
            .ok_or_else(|| netlink(format!("a context without attribute {id}")))?
            .get_payload_as::<[u8; 16]>()
            .map_err(netlink)
    };
    let list = |id| -> Result<Vec<Addr>, Error> {
        msg.attrs()
            .iter()
            .filter(|a| *a.nla_type().nla_type() == id)
            .map(|a| a.get_payload_as::<[u8; 16]>().map_err(netlink))
            .collect()
    };
    Ok(KernelContext {
        local_tag: u64_of(A_CONTEXT_LOCAL_TAG)?,
        peer_tag: u64_of(A_CONTEXT_PEER_TAG)?,
        ulid_local: address(A_CONTEXT_ULID_LOCAL)?,
        ulid_peer: address(A_CONTEXT_ULID_PEER)?,
        local_locators: list(A_CONTEXT_LOCAL_LOCATOR)?,
        peer_locators: list(A_CONTEXT_PEER_LOCATOR)?,
        current: Pair {
            local: address(A_CONTEXT_CURRENT_LOCAL)?,
            peer: address(A_CONTEXT_CURRENT_PEER)?,
        },
        send_timeout_ms: attrs
            .get_attr_payload_as::<u32>(A_CONTEXT_SEND_TIMEOUT)
            .ok(),
        keepalive_timeout_ms: attrs
            .get_attr_payload_as::<u32>(A_CONTEXT_KEEPALIVE_TIMEOUT)
            .ok(),
    })
}

/// A `context-set` as it goes: the sets that change, and the current pair
/// if it moves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SetPlan {
    pub local_tag: u64,
    pub local_locators: Option<Vec<Addr>>,
    pub peer_locators: Option<Vec<Addr>>,
    pub current: Option<Pair>,
}

/// What `context-set` sends for `s` to a kernel whose context is `now`:
/// each set that differs, and the current pair [`ContextSet::current_after`]
/// gives if it differs; `None` when nothing would change.
pub fn plan_set(s: &ContextSet, now: &KernelContext) -> Option<SetPlan> {
    let differs = |new: Option<&Vec<Addr>>, old: &Vec<Addr>| new.filter(|n| *n != old).cloned();
    let local_locators = differs(s.local.as_ref().map(|l| &l.set), &now.local_locators);
    let peer_locators = differs(s.peer.as_ref().map(|p| &p.set), &now.peer_locators);
    let current = Some(s.current_after(now.current)).filter(|c| *c != now.current);
    if local_locators.is_none() && peer_locators.is_none() && current.is_none() {
        return None;
    }
    Some(SetPlan {
        local_tag: s.local_tag,
        local_locators,
        peer_locators,
        current,
    })
}

/// `context-set`'s attributes for `p`.
pub fn set_attrs(p: &SetPlan) -> Result<Attrs, Error> {
    let mut attrs = vec![attr(A_CONTEXT_LOCAL_TAG, p.local_tag)?];
    for l in p.local_locators.iter().flatten() {
        attrs.push(attr(A_CONTEXT_LOCAL_LOCATOR, *l)?);
    }
    for l in p.peer_locators.iter().flatten() {
        attrs.push(attr(A_CONTEXT_PEER_LOCATOR, *l)?);
    }
    if let Some(c) = p.current {
        attrs.push(attr(A_CONTEXT_CURRENT_LOCAL, c.local)?);
        attrs.push(attr(A_CONTEXT_CURRENT_PEER, c.peer)?);
    }
    Ok(attrs.into_iter().collect())
}

/// A plan as the log says it, in `rv6 shim6 context`'s words.
pub fn describe_plan(p: &SetPlan) -> String {
    let mut s = format!("context-set local-tag {:#x}", p.local_tag);
    if let Some(l) = &p.local_locators {
        s += &format!(" local-locators {}", addrs(l));
    }
    if let Some(l) = &p.peer_locators {
        s += &format!(" peer-locators {}", addrs(l));
    }
    if let Some(c) = &p.current {
        s += &format!(
            " pair {} {}",
            Ipv6Addr::from(c.local),
            Ipv6Addr::from(c.peer)
        );
    }
    s
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
        KernelRequest::Set(s) => s.to_string(),
        KernelRequest::Reap(r) => describe_reap(r, None),
        KernelRequest::KeepaliveTimeout { local_tag, ms } => {
            format!("context-set local-tag {local_tag:#x} keepalive-timeout {ms}")
        }
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

    /// The kernel's context with `local_tag` (`context-get`).
    pub fn context(&mut self, local_tag: u64) -> Result<KernelContext, Error> {
        let attrs = [attr(A_CONTEXT_LOCAL_TAG, local_tag)?]
            .into_iter()
            .collect();
        let replies = self
            .requests
            .request(&self.family, CMD_CONTEXT_GET, attrs)?;
        let reply = replies
            .first()
            .ok_or_else(|| netlink(format!("no answer to context-get {local_tag:#x}")))?;
        context_of(reply)
    }

    /// Sends `r` and waits for the kernel's answer: what was done, in the
    /// log's words (a context-set as planned against the kernel's context).
    pub fn apply(&mut self, r: &KernelRequest) -> Result<String, Error> {
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
            KernelRequest::Set(s) => {
                let now = self.context(s.local_tag)?;
                let Some(plan) = plan_set(s, &now) else {
                    return Ok(format!("{s}: unchanged"));
                };
                self.requests
                    .request(&self.family, CMD_CONTEXT_SET, set_attrs(&plan)?)?;
                return Ok(describe_plan(&plan));
            }
            KernelRequest::Reap(reap) => {
                let now = self.context(reap.local_tag)?;
                self.requests
                    .request(&self.family, CMD_CONTEXT_SET, reap_attrs(reap, &now)?)?;
                return Ok(describe_reap(reap, Some(&now)));
            }
            KernelRequest::KeepaliveTimeout { local_tag, ms } => {
                let attrs = [
                    attr(A_CONTEXT_LOCAL_TAG, *local_tag)?,
                    attr(A_CONTEXT_KEEPALIVE_TIMEOUT, *ms)?,
                ]
                .into_iter()
                .collect();
                self.requests
                    .request(&self.family, CMD_CONTEXT_SET, attrs)?;
            }
        }
        Ok(describe(r))
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
            Some(KernelEvent::Reap {
                local_tag: 0x1a,
                event: ReapEvent::Keepalive
            })
        );
        for name in ["send-timeout", "inbound", "idle"] {
            let m = message(
                CMD_EVENT,
                vec![
                    attr(A_CONTEXT_EVENT, EVENT.parse(name).unwrap()).unwrap(),
                    attr(A_CONTEXT_LOCAL_TAG, 0x1au64).unwrap(),
                ],
            );
            let Some(KernelEvent::Reap {
                local_tag,
                event: e,
            }) = event(0x20, 0x20, &m).unwrap()
            else {
                panic!("{name}: not a REAP event");
            };
            assert_eq!((local_tag, e.name()), (0x1a, name));
            // Without its tag, a REAP event is refused.
            let m = message(
                CMD_EVENT,
                vec![attr(A_CONTEXT_EVENT, EVENT.parse(name).unwrap()).unwrap()],
            );
            assert!(event(0x20, 0x20, &m).is_err(), "{name}");
        }
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
            send_timeout_ms: None,
            keepalive_timeout_ms: None,
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

    #[test]
    fn a_context_set_is_planned_against_the_kernels_context_and_sent_as_planned() {
        use crate::engine::SideSet;
        let (a1, a2, a3) = (
            ip("2001:db8:a1::1"),
            ip("2001:db8:a2::1"),
            ip("2001:db8:a3::1"),
        );
        let (b1, b2) = (ip("2001:db8:b1::1"), ip("2001:db8:b2::1"));
        // context-get's reply, as the kernel writes it (counters and
        // timeouts too, which the plan ignores).
        let reply = message(
            CMD_CONTEXT_GET,
            vec![
                attr(A_CONTEXT_LOCAL_TAG, 0x1au64).unwrap(),
                attr(A_CONTEXT_PEER_TAG, 0x1bu64).unwrap(),
                attr(A_CONTEXT_ULID_LOCAL, a1).unwrap(),
                attr(A_CONTEXT_ULID_PEER, b1).unwrap(),
                attr(A_CONTEXT_LOCAL_LOCATOR, a1).unwrap(),
                attr(A_CONTEXT_LOCAL_LOCATOR, a2).unwrap(),
                attr(A_CONTEXT_PEER_LOCATOR, b1).unwrap(),
                attr(A_CONTEXT_PEER_LOCATOR, b2).unwrap(),
                attr(A_CONTEXT_CURRENT_LOCAL, a2).unwrap(),
                attr(A_CONTEXT_CURRENT_PEER, b2).unwrap(),
                attr(A_CONTEXT_PAD, ()).unwrap(),
                attr(rv6::spec::specs::rv6_shim6::A_CONTEXT_RX_PACKETS, 7u64).unwrap(),
            ],
        );
        let now = context_of(&reply).unwrap();
        assert_eq!(
            now,
            KernelContext {
                local_tag: 0x1a,
                peer_tag: 0x1b,
                ulid_local: a1,
                ulid_peer: b1,
                local_locators: vec![a1, a2],
                peer_locators: vec![b1, b2],
                current: Pair {
                    local: a2,
                    peer: b2
                },
                send_timeout_ms: None,
                keepalive_timeout_ms: None,
            }
        );
        let without_current = message(
            CMD_CONTEXT_GET,
            vec![
                attr(A_CONTEXT_LOCAL_TAG, 0x1au64).unwrap(),
                attr(A_CONTEXT_PEER_TAG, 0x1bu64).unwrap(),
                attr(A_CONTEXT_ULID_LOCAL, a1).unwrap(),
                attr(A_CONTEXT_ULID_PEER, b1).unwrap(),
            ],
        );
        assert!(context_of(&without_current).is_err());
        // a2 leaves: the kernel's current a2 moves to the best usable one.
        let local = |set: &[Addr], usable: &[Addr]| {
            Some(SideSet {
                set: set.to_vec(),
                usable: usable.to_vec(),
            })
        };
        let s = ContextSet {
            local_tag: 0x1a,
            local: local(&[a1, a3], &[a3, a1]),
            peer: None,
        };
        let plan = plan_set(&s, &now).unwrap();
        assert_eq!(
            plan,
            SetPlan {
                local_tag: 0x1a,
                local_locators: Some(vec![a1, a3]),
                peer_locators: None,
                current: Some(Pair {
                    local: a3,
                    peer: b2
                }),
            }
        );
        let sent: Vec<(u16, Vec<u8>)> = set_attrs(&plan)
            .unwrap()
            .iter()
            .map(|a| (*a.nla_type().nla_type(), a.nla_payload().as_ref().to_vec()))
            .collect();
        assert_eq!(
            sent,
            [
                (A_CONTEXT_LOCAL_TAG, 0x1au64.to_ne_bytes().to_vec()),
                (A_CONTEXT_LOCAL_LOCATOR, a1.to_vec()),
                (A_CONTEXT_LOCAL_LOCATOR, a3.to_vec()),
                (A_CONTEXT_CURRENT_LOCAL, a3.to_vec()),
                (A_CONTEXT_CURRENT_PEER, b2.to_vec()),
            ]
        );
        assert_eq!(
            describe_plan(&plan),
            "context-set local-tag 0x1a local-locators 2001:db8:a1::1,2001:db8:a3::1 \
             pair 2001:db8:a3::1 2001:db8:b2::1"
        );
        // The sets the kernel has and a current pair that stays: nothing to
        // send.
        let same = ContextSet {
            local_tag: 0x1a,
            local: local(&[a1, a2], &[a1, a2]),
            peer: None,
        };
        assert_eq!(plan_set(&same, &now), None);
        assert_eq!(
            describe(&KernelRequest::Set(same)),
            "context-set local-tag 0x1a local-locators 2001:db8:a1::1,2001:db8:a2::1"
        );
        // A new peer set that keeps b2: only the set goes.
        let peer = ContextSet {
            local_tag: 0x1a,
            local: None,
            peer: Some(SideSet {
                set: vec![b1, b2, ip("2001:db8:b3::1")],
                usable: vec![b1, b2, ip("2001:db8:b3::1")],
            }),
        };
        let plan = plan_set(&peer, &now).unwrap();
        assert_eq!((plan.local_locators, plan.current), (None, None));
        assert_eq!(plan.peer_locators.unwrap().len(), 3);
    }
}
