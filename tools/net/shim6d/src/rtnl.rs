//! The host's IPv6 addresses from rtnetlink, through neli: one socket
//! joined to `RTNLGRP_IPV6_IFADDR`, non-blocking, which the event loop
//! polls and drains each round, and one for `RTM_GETADDR` dumps (the list
//! at start, and again when the kernel dropped notifications: ENOBUFS).
//! The group is joined before the first dump, so no change falls between
//! the two; one that the dump already shows is applied again, harmlessly.
//! What the messages mean for the locators is [`crate::locators`]'s.

use std::io;
use std::os::fd::{
    AsRawFd,
    RawFd, //
};

use neli::consts::nl::{
    NlmF,
    Nlmsg, //
};
use neli::consts::rtnl::{
    Ifa,
    RtAddrFamily,
    RtScope,
    Rtm, //
};
use neli::consts::socket::NlFamily;
use neli::err::SocketError;
use neli::nl::{
    NlPayload,
    NlmsghdrBuilder, //
};
use neli::rtnl::{
    Ifaddrmsg,
    IfaddrmsgBuilder, //
};
use neli::socket::synchronous::NlSocketHandle;
use neli::utils::Groups;
use nix::fcntl::{
    fcntl,
    FcntlArg,
    OFlag, //
};
use rv6::error::{
    netlink,
    Error, //
};

use crate::locators::{
    Address,
    AddressEvent, //
};

/// An `RTM_NEWADDR` or `RTM_DELADDR` of type `ty` as an event; `None` for
/// another message, another family, or one without an address.
pub fn address_event(ty: Rtm, msg: &Ifaddrmsg) -> Option<AddressEvent> {
    let a = address(msg)?;
    match ty {
        Rtm::Newaddr => Some(AddressEvent::New(a)),
        Rtm::Deladdr => Some(AddressEvent::Del(a)),
        _ => None,
    }
}

/// An IPv6 `ifaddrmsg`'s address: `IFA_LOCAL` (the address itself when a
/// peer address is set too) or else `IFA_ADDRESS`, with its scope and its
/// flags (`IFA_FLAGS`, which has the bits beyond `ifa_flags`'s 8).
pub fn address(msg: &Ifaddrmsg) -> Option<Address> {
    if *msg.ifa_family() != RtAddrFamily::Inet6 {
        return None;
    }
    let attrs = msg.rtattrs().get_attr_handle();
    let addr = attrs
        .get_attr_payload_as::<[u8; 16]>(Ifa::Local)
        .or_else(|_| attrs.get_attr_payload_as::<[u8; 16]>(Ifa::Address))
        .ok()?;
    let flags = attrs
        .get_attr_payload_as::<u32>(Ifa::Flags)
        .unwrap_or_else(|_| u32::from(msg.ifa_flags().bits()));
    Some(Address {
        index: *msg.ifa_index(),
        addr,
        scope: u8::from(*msg.ifa_scope()),
        flags,
    })
}

/// What a round's notifications said.
#[derive(Debug, Default)]
pub struct Notifications {
    pub events: Vec<AddressEvent>,
    /// Some were lost (the socket overran, or a message did not parse):
    /// dump the list again.
    pub lost: bool,
}

/// The two rtnetlink sockets.
pub struct AddressWatch {
    events: NlSocketHandle,
    dumps: NlSocketHandle,
    seq: u32,
}

impl AddressWatch {
    /// Joins `RTNLGRP_IPV6_IFADDR` in the current network namespace.
    pub fn open() -> Result<Self, Error> {
        let groups = Groups::new_groups(&[libc::RTNLGRP_IPV6_IFADDR]);
        let events = NlSocketHandle::connect(NlFamily::Route, None, groups).map_err(netlink)?;
        fcntl(events.as_raw_fd(), FcntlArg::F_SETFL(OFlag::O_NONBLOCK)).map_err(netlink)?;
        let dumps =
            NlSocketHandle::connect(NlFamily::Route, None, Groups::empty()).map_err(netlink)?;
        Ok(AddressWatch {
            events,
            dumps,
            seq: 0,
        })
    }

    /// The notifications socket's descriptor, to poll.
    pub fn events_fd(&self) -> RawFd {
        self.events.as_raw_fd()
    }

    /// Every IPv6 address of the host (`RTM_GETADDR`, dumped).
    pub fn dump(&mut self) -> Result<Vec<Address>, Error> {
        self.seq = self.seq.wrapping_add(1);
        let seq = self.seq;
        let request = IfaddrmsgBuilder::default()
            .ifa_family(RtAddrFamily::Inet6)
            .ifa_prefixlen(0)
            .ifa_scope(RtScope::Universe)
            .ifa_index(0)
            .build()
            .map_err(netlink)?;
        let nl = NlmsghdrBuilder::default()
            .nl_type(Rtm::Getaddr)
            .nl_flags(NlmF::REQUEST | NlmF::DUMP)
            .nl_seq(seq)
            .nl_payload(NlPayload::Payload(request))
            .build()
            .map_err(netlink)?;
        self.dumps.send(&nl).map_err(netlink)?;
        let mut out = Vec::new();
        loop {
            let (msgs, _) = self.dumps.recv::<Rtm, Ifaddrmsg>().map_err(netlink)?;
            for m in msgs {
                let m = m.map_err(netlink)?;
                if *m.nl_seq() != seq {
                    continue;
                }
                match m.nl_payload() {
                    NlPayload::Payload(p) => out.extend(address(p)),
                    NlPayload::Err(e) => {
                        let err = io::Error::from_raw_os_error(-*e.error());
                        return Err(netlink(format!("RTM_GETADDR: {err}")));
                    }
                    NlPayload::DumpExtAck(e) if *e.error() != 0 => {
                        let err = io::Error::from_raw_os_error(-*e.error());
                        return Err(netlink(format!("RTM_GETADDR: {err}")));
                    }
                    _ if u16::from(*m.nl_type()) == u16::from(Nlmsg::Done) => return Ok(out),
                    _ => {}
                }
            }
        }
    }

    /// Every notification waiting (call when the socket is readable; it
    /// does not block).
    pub fn notifications(&mut self) -> Result<Notifications, Error> {
        let mut out = Notifications::default();
        loop {
            let msgs = match self.events.recv::<Rtm, Ifaddrmsg>() {
                Ok((msgs, _)) => msgs,
                Err(SocketError::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => return Ok(out),
                Err(SocketError::Io(e)) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(SocketError::Io(e)) if e.raw_os_error() == Some(libc::ENOBUFS) => {
                    out.lost = true;
                    continue;
                }
                Err(e) => return Err(netlink(e)),
            };
            for m in msgs {
                match m {
                    Ok(m) => {
                        if let NlPayload::Payload(p) = m.nl_payload() {
                            out.events.extend(address_event(*m.nl_type(), p));
                        }
                    }
                    Err(_) => out.lost = true,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use neli::consts::rtnl::IfaF;
    use neli::rtnl::RtattrBuilder;
    use neli::types::RtBuffer;
    use std::net::Ipv6Addr;

    fn ip(s: &str) -> [u8; 16] {
        s.parse::<Ipv6Addr>().unwrap().octets()
    }

    fn msg(family: RtAddrFamily, flags: IfaF, attrs: Vec<(Ifa, Vec<u8>)>) -> Ifaddrmsg {
        let rtattrs: RtBuffer<Ifa, neli::types::Buffer> = attrs
            .into_iter()
            .map(|(t, p)| {
                RtattrBuilder::default()
                    .rta_type(t)
                    .rta_payload(neli::types::Buffer::from(p))
                    .build()
                    .unwrap()
            })
            .collect();
        IfaddrmsgBuilder::default()
            .ifa_family(family)
            .ifa_prefixlen(64)
            .ifa_flags(flags)
            .ifa_scope(RtScope::Universe)
            .ifa_index(3)
            .rtattrs(rtattrs)
            .build()
            .unwrap()
    }

    #[test]
    fn new_and_deleted_ipv6_addresses_with_their_flags() {
        let a = ip("2001:db8:a3::1");
        let m = msg(
            RtAddrFamily::Inet6,
            IfaF::TENTATIVE,
            vec![
                (Ifa::Address, a.to_vec()),
                (
                    Ifa::Flags,
                    (libc::IFA_F_TENTATIVE | 0x100).to_ne_bytes().to_vec(),
                ),
            ],
        );
        let want = Address {
            index: 3,
            addr: a,
            scope: 0,
            flags: libc::IFA_F_TENTATIVE | 0x100,
        };
        assert_eq!(
            address_event(Rtm::Newaddr, &m),
            Some(AddressEvent::New(want))
        );
        assert_eq!(
            address_event(Rtm::Deladdr, &m),
            Some(AddressEvent::Del(want))
        );
        assert_eq!(address_event(Rtm::Newroute, &m), None);
        // Without IFA_FLAGS, ifa_flags; with a peer address, IFA_LOCAL is
        // ours.
        let m = msg(
            RtAddrFamily::Inet6,
            IfaF::DEPRECATED,
            vec![
                (Ifa::Address, ip("2001:db8:ff::1").to_vec()),
                (Ifa::Local, a.to_vec()),
            ],
        );
        assert_eq!(
            address(&m),
            Some(Address {
                flags: libc::IFA_F_DEPRECATED,
                ..want
            })
        );
        // IPv4, or no address: nothing.
        let v4 = msg(
            RtAddrFamily::Inet,
            IfaF::empty(),
            vec![(Ifa::Local, vec![10, 0, 0, 1])],
        );
        assert_eq!(address(&v4), None);
        assert_eq!(
            address(&msg(RtAddrFamily::Inet6, IfaF::empty(), vec![])),
            None
        );
    }

    #[test]
    fn the_dump_lists_loopback_and_joins_the_group() {
        // Any network namespace has ::1 on lo; the dump needs no privilege.
        let Ok(mut w) = AddressWatch::open() else {
            return;
        };
        let all = w.dump().unwrap();
        if all.is_empty() {
            return; // a host without IPv6
        }
        assert!(
            all.iter()
                .any(|a| a.addr == ip("::1") && a.scope == libc::RT_SCOPE_HOST),
            "{all:?}"
        );
        // Nothing waiting: no block, nothing lost.
        let n = w.notifications().unwrap();
        assert!(!n.lost);
    }
}
