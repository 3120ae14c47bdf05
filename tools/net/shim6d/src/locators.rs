//! Which of the host's addresses are its locators (RFC 5533 §10.1: a host
//! tells its peers when its locators change), from what rtnetlink says of
//! them: the pure part, which `main.rs` feeds from [`crate::rtnl`] and
//! whose changes it gives the engine as [`Input::Locators`].
//!
//! A locator is a unicast address of global scope that is usable: not
//! tentative (Duplicate Address Detection has not finished: it may never
//! be ours), not DAD-failed (it is someone else's), not deprecated (its
//! preferred lifetime is over: no new communication should start from it,
//! RFC 4862 §5.5.4).  Where they may come from is the [`Universe`]: the
//! addresses given on the command line, each a locator while the host has
//! it, or every such address of the host, privacy (temporary) addresses
//! excepted (RFC 8981: a Locator List would tie them to the ULID).
//!
//! The list is ordered as the engine and the peers see it: the ULID first
//! when it is a locator, then the others in the order given or, for the
//! host's own, in address order; at most `max-locators`, the ULID counted
//! even when it is not one (the kernel's sets keep it).  Changes are taken
//! once per round of the event loop ([`Discovery::change`]): an address
//! that goes and comes back between two rounds changes nothing.
//!
//! [`Input::Locators`]: crate::engine::Input::Locators

use std::collections::BTreeMap;
use std::net::Ipv6Addr;

use rv6::spec::specs::rv6_shim6::MAX_LOCATORS;
use rv6_cores::shim6_wire::Addr;

/// `IFA_F_*` (linux/if_addr.h) that keep an address from being a locator,
/// or the host's own.
pub const IFA_F_TEMPORARY: u32 = libc::IFA_F_TEMPORARY;
/// See [`IFA_F_TEMPORARY`].
pub const IFA_F_DADFAILED: u32 = libc::IFA_F_DADFAILED;
/// See [`IFA_F_TEMPORARY`].
pub const IFA_F_DEPRECATED: u32 = libc::IFA_F_DEPRECATED;
/// See [`IFA_F_TEMPORARY`].
pub const IFA_F_TENTATIVE: u32 = libc::IFA_F_TENTATIVE;

/// One IPv6 address of an interface, as an `RTM_NEWADDR` gives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Address {
    /// The interface's index.
    pub index: u32,
    pub addr: Addr,
    /// `ifa_scope`: `RT_SCOPE_UNIVERSE` (0) for a global address.
    pub scope: u8,
    /// `IFA_FLAGS` (or `ifa_flags`, when the kernel sent no attribute).
    pub flags: u32,
}

/// What rtnetlink said happened to an address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddressEvent {
    /// `RTM_NEWADDR`: added, or changed (its flags: DAD finished, failed,
    /// or the address was deprecated).
    New(Address),
    /// `RTM_DELADDR`.
    Del(Address),
}

/// Where locators may come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Universe {
    /// These, in this order, each while the host has it usable.
    Given(Vec<Addr>),
    /// Every usable global address of the host but temporary ones.
    Host,
}

/// Why `a` cannot be a locator of `universe`, or `None` when it can.
pub fn unfit(a: &Address, universe: &Universe) -> Option<&'static str> {
    let ip = Ipv6Addr::from(a.addr);
    if ip.is_unspecified() || ip.is_loopback() || ip.is_multicast() {
        Some("not unicast")
    } else if a.scope != libc::RT_SCOPE_UNIVERSE {
        Some("not global")
    } else if a.flags & IFA_F_DADFAILED != 0 {
        Some("duplicate")
    } else if a.flags & IFA_F_TENTATIVE != 0 {
        Some("tentative")
    } else if a.flags & IFA_F_DEPRECATED != 0 {
        Some("deprecated")
    } else {
        match universe {
            Universe::Given(list) if !list.contains(&a.addr) => Some("not given"),
            Universe::Host if a.flags & IFA_F_TEMPORARY != 0 => Some("temporary"),
            _ => None,
        }
    }
}

/// The locators, and the usable addresses beyond `max-locators`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    pub locators: Vec<Addr>,
    pub left_out: Vec<Addr>,
}

/// The locators among `addresses` (see the module's documentation for the
/// order and the limit).
pub fn select<'a>(
    addresses: impl IntoIterator<Item = &'a Address>,
    universe: &Universe,
    ulid: Addr,
) -> Selection {
    let mut fit: Vec<Addr> = addresses
        .into_iter()
        .filter(|a| unfit(a, universe).is_none())
        .map(|a| a.addr)
        .collect();
    let rank = |a: &Addr| match universe {
        Universe::Given(list) => (*a != ulid, list.iter().position(|g| g == a), *a),
        Universe::Host => (*a != ulid, None, *a),
    };
    fit.sort_by_key(rank);
    fit.dedup();
    let room = MAX_LOCATORS as usize - usize::from(fit.first() != Some(&ulid));
    let left_out = fit.split_off(fit.len().min(room));
    Selection {
        locators: fit,
        left_out,
    }
}

/// The ULID a host without `--ulid` takes: the lowest of its locators.
pub fn default_ulid<'a>(addresses: impl IntoIterator<Item = &'a Address>) -> Option<Addr> {
    addresses
        .into_iter()
        .filter(|a| unfit(a, &Universe::Host).is_none())
        .map(|a| a.addr)
        .min()
}

/// The host's addresses as rtnetlink told them, what may be a locator, and
/// whether anything changed since the last [`Discovery::change`].
#[derive(Clone, Debug)]
pub struct Discovery {
    addresses: BTreeMap<(u32, Addr), Address>,
    universe: Universe,
    ulid: Addr,
    changed: bool,
}

impl Discovery {
    /// Discovery in `universe` for a host whose ULID is `ulid`, starting
    /// from the address list `addresses` (a dump).
    pub fn new(universe: Universe, ulid: Addr, addresses: &[Address]) -> Self {
        let mut d = Discovery {
            addresses: BTreeMap::new(),
            universe,
            ulid,
            changed: false,
        };
        d.replace(addresses);
        d
    }

    /// The whole list again (a dump, after notifications were lost).
    pub fn replace(&mut self, addresses: &[Address]) {
        self.addresses = addresses.iter().map(|a| ((a.index, a.addr), *a)).collect();
        self.changed = true;
    }

    /// One notification.
    pub fn apply(&mut self, e: AddressEvent) {
        match e {
            AddressEvent::New(a) => {
                self.addresses.insert((a.index, a.addr), a);
            }
            AddressEvent::Del(a) => {
                self.addresses.remove(&(a.index, a.addr));
            }
        }
        self.changed = true;
    }

    /// The locators now.
    pub fn locators(&self) -> Selection {
        select(self.addresses.values(), &self.universe, self.ulid)
    }

    /// The locators, if anything happened since the last call and they
    /// are not `current` (the engine's): once per round of the event loop.
    pub fn change(&mut self, current: &[Addr]) -> Option<Selection> {
        if !std::mem::take(&mut self.changed) {
            return None;
        }
        Some(self.locators()).filter(|s| s.locators != current)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Addr {
        s.parse::<Ipv6Addr>().unwrap().octets()
    }

    fn global(index: u32, s: &str) -> Address {
        Address {
            index,
            addr: ip(s),
            scope: libc::RT_SCOPE_UNIVERSE,
            flags: libc::IFA_F_PERMANENT,
        }
    }

    fn with(flags: u32, mut a: Address) -> Address {
        a.flags |= flags;
        a
    }

    fn list(s: &Selection) -> Vec<String> {
        s.locators
            .iter()
            .map(|a| Ipv6Addr::from(*a).to_string())
            .collect()
    }

    #[test]
    fn only_usable_global_unicast_addresses_are_locators() {
        let link_local = Address {
            scope: libc::RT_SCOPE_LINK,
            ..global(2, "fe80::1")
        };
        let host = Address {
            scope: libc::RT_SCOPE_HOST,
            ..global(1, "::1")
        };
        let cases = [
            (global(2, "2001:db8:a1::1"), None),
            (global(2, "fd00::1"), None),
            (link_local, Some("not global")),
            (host, Some("not unicast")),
            (
                with(IFA_F_TENTATIVE, global(2, "2001:db8:a1::2")),
                Some("tentative"),
            ),
            (
                with(
                    IFA_F_DADFAILED | IFA_F_TENTATIVE,
                    global(2, "2001:db8:a1::3"),
                ),
                Some("duplicate"),
            ),
            (
                with(IFA_F_DEPRECATED, global(2, "2001:db8:a1::4")),
                Some("deprecated"),
            ),
            (
                with(IFA_F_TEMPORARY, global(2, "2001:db8:a1::5")),
                Some("temporary"),
            ),
        ];
        for (a, why) in cases {
            assert_eq!(unfit(&a, &Universe::Host), why, "{a:?}");
        }
        // Given on the command line, a temporary address is one; an
        // address not given is none.
        let given = Universe::Given(vec![ip("2001:db8:a1::5")]);
        assert_eq!(
            unfit(&with(IFA_F_TEMPORARY, global(2, "2001:db8:a1::5")), &given),
            None
        );
        assert_eq!(
            unfit(&global(2, "2001:db8:a1::1"), &given),
            Some("not given")
        );
    }

    #[test]
    fn the_ulid_comes_first_then_the_given_order_or_address_order() {
        let addrs = [
            global(3, "2001:db8:a2::1"),
            global(2, "2001:db8:a1::1"),
            global(4, "2001:db8:a3::1"),
            // The same address on a second interface counts once.
            global(5, "2001:db8:a3::1"),
        ];
        let s = select(&addrs, &Universe::Host, ip("2001:db8:a2::1"));
        assert_eq!(
            list(&s),
            ["2001:db8:a2::1", "2001:db8:a1::1", "2001:db8:a3::1"]
        );
        let given = Universe::Given(vec![
            ip("2001:db8:a1::1"),
            ip("2001:db8:a3::1"),
            ip("2001:db8:a2::1"),
            ip("2001:db8:a9::1"),
        ]);
        let s = select(&addrs, &given, ip("2001:db8:a1::1"));
        assert_eq!(
            list(&s),
            ["2001:db8:a1::1", "2001:db8:a3::1", "2001:db8:a2::1"]
        );
        // The ULID gone: the others, in the same order.
        let s = select(&addrs[..1], &given, ip("2001:db8:a1::1"));
        assert_eq!(list(&s), ["2001:db8:a2::1"]);
        assert_eq!(
            default_ulid(&addrs),
            Some(ip("2001:db8:a1::1")),
            "the lowest"
        );
        assert_eq!(default_ulid(&[]), None);
    }

    #[test]
    fn at_most_max_locators_the_ulid_counted_even_when_gone() {
        let addrs: Vec<Address> = (1..=10)
            .map(|i| global(2, &format!("2001:db8:c::{i:x}")))
            .collect();
        let s = select(&addrs, &Universe::Host, ip("2001:db8:c::5"));
        assert_eq!(s.locators.len(), 8);
        assert_eq!(s.locators[0], ip("2001:db8:c::5"));
        assert_eq!(
            s.left_out,
            [ip("2001:db8:c::9"), ip("2001:db8:c::a")],
            "the highest go"
        );
        let s = select(&addrs, &Universe::Host, ip("2001:db8:d::1"));
        assert_eq!((s.locators.len(), s.left_out.len()), (7, 3));
    }

    #[test]
    fn a_tentative_address_becomes_a_locator_once_dad_finishes_and_a_failed_one_never() {
        let a1 = global(2, "2001:db8:a1::1");
        let mut d = Discovery::new(Universe::Host, a1.addr, &[a1]);
        let now = d.locators().locators;
        assert_eq!(d.change(&[]).map(|s| s.locators), Some(now.clone()));
        assert_eq!(d.change(&[]), None, "once per change");
        // Added: tentative while DAD runs.
        let a3 = global(3, "2001:db8:a3::1");
        d.apply(AddressEvent::New(with(IFA_F_TENTATIVE, a3)));
        assert_eq!(d.change(&now), None);
        // DAD finished: RTM_NEWADDR again, without the flag.
        d.apply(AddressEvent::New(a3));
        let s = d.change(&now).unwrap();
        assert_eq!(list(&s), ["2001:db8:a1::1", "2001:db8:a3::1"]);
        // Another whose DAD fails: never one.
        let a4 = global(3, "2001:db8:a4::1");
        d.apply(AddressEvent::New(with(IFA_F_TENTATIVE, a4)));
        d.apply(AddressEvent::New(with(
            IFA_F_TENTATIVE | IFA_F_DADFAILED,
            a4,
        )));
        assert_eq!(d.change(&s.locators), None);
        // Deprecated, then removed.
        d.apply(AddressEvent::New(with(IFA_F_DEPRECATED, a3)));
        assert_eq!(d.change(&s.locators).map(|s| s.locators), Some(now.clone()));
        d.apply(AddressEvent::Del(a3));
        assert_eq!(d.change(&now), None);
    }

    #[test]
    fn changes_within_one_round_give_one_change_or_none() {
        let a1 = global(2, "2001:db8:a1::1");
        let a2 = global(3, "2001:db8:a2::1");
        let given = Universe::Given(vec![a1.addr, a2.addr]);
        let mut d = Discovery::new(given, a1.addr, &[a1, a2]);
        let both = d.locators().locators;
        assert_eq!(both, [a1.addr, a2.addr]);
        // a2 goes and comes back before the loop looks: nothing to tell.
        d.apply(AddressEvent::Del(a2));
        d.apply(AddressEvent::New(a2));
        assert_eq!(d.change(&both), None);
        // a2 goes and a3, not given, comes: one change, a1 alone.
        d.apply(AddressEvent::Del(a2));
        d.apply(AddressEvent::New(global(3, "2001:db8:a3::1")));
        assert_eq!(d.change(&both).map(|s| s.locators), Some(vec![a1.addr]));
        // A dump after lost notifications replaces the list.
        d.replace(&[a2]);
        assert_eq!(
            d.change(&[a1.addr]).map(|s| s.locators),
            Some(vec![a2.addr])
        );
        // The address on another interface is another entry: removing
        // one leaves the other.
        d.apply(AddressEvent::New(Address { index: 7, ..a2 }));
        d.apply(AddressEvent::Del(a2));
        assert_eq!(d.change(&[a2.addr]), None);
    }
}
