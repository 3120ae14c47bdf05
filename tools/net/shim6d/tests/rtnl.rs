//! rtnetlink's address notifications, in a network namespace of the test's
//! own (one thread unshares it: CAP_SYS_ADMIN; skipped, with a note, where
//! that or `ip` is missing): addresses `ip` adds come as new ones with
//! their flags, a deprecated one is no locator, a deleted one goes, and
//! discovery follows, one change per round.

use std::net::Ipv6Addr;
use std::process::Command;
use std::thread;
use std::time::Duration;

use nix::sched::{
    unshare,
    CloneFlags, //
};
use shim6d::locators::{
    AddressEvent,
    Discovery,
    Universe,
    IFA_F_DEPRECATED, //
};
use shim6d::rtnl::AddressWatch;

fn addr(s: &str) -> [u8; 16] {
    s.parse::<Ipv6Addr>().unwrap().octets()
}

/// Runs `ip ARGS` in the calling thread's namespace.
fn ip(args: &str) -> bool {
    Command::new("ip")
        .args(args.split(' '))
        .status()
        .is_ok_and(|s| s.success())
}

/// The notifications of the next second, once some came.
fn events(w: &mut AddressWatch) -> Vec<AddressEvent> {
    for _ in 0..100 {
        let n = w.notifications().unwrap();
        assert!(!n.lost);
        if !n.events.is_empty() {
            return n.events;
        }
        thread::sleep(Duration::from_millis(10));
    }
    Vec::new()
}

#[test]
fn addresses_that_come_change_and_go_reach_discovery() {
    // A thread of its own: unshare(CLONE_NEWNET) moves only it, and the
    // `ip` it runs, to the new namespace.
    let ran = thread::spawn(|| {
        if let Err(e) = unshare(CloneFlags::CLONE_NEWNET) {
            eprintln!("skipped: no network namespace of our own here: {e}");
            return false;
        }
        if !ip("link set lo up") {
            eprintln!("skipped: no ip(8) here");
            return false;
        }
        let mut w = AddressWatch::open().unwrap();
        let dump = w.dump().unwrap();
        let a1 = addr("2001:db8:1::1");
        let mut d = Discovery::new(Universe::Host, a1, &dump);
        assert_eq!(d.change(&[]), None, "only ::1, which is no locator");

        assert!(ip("-6 addr add 2001:db8:1::1/64 dev lo nodad"));
        let got = events(&mut w);
        let new = got.iter().find_map(|e| match e {
            AddressEvent::New(a) if a.addr == a1 => Some(*a),
            _ => None,
        });
        let new = new.unwrap_or_else(|| panic!("{got:?}"));
        assert_eq!(
            (new.scope, new.flags & libc::IFA_F_NODAD),
            (0, libc::IFA_F_NODAD)
        );
        got.into_iter().for_each(|e| d.apply(e));
        assert_eq!(d.change(&[]).map(|s| s.locators), Some(vec![a1]));

        // An address whose preferred lifetime is over is deprecated.
        assert!(ip(
            "-6 addr add 2001:db8:1::2/64 dev lo nodad preferred_lft 0"
        ));
        let got = events(&mut w);
        assert!(
            got.iter().any(|e| matches!(e, AddressEvent::New(a)
                if a.addr == addr("2001:db8:1::2") && a.flags & IFA_F_DEPRECATED != 0)),
            "{got:?}"
        );
        got.into_iter().for_each(|e| d.apply(e));
        assert_eq!(d.change(&[a1]), None);

        assert!(ip("-6 addr del 2001:db8:1::1/64 dev lo"));
        let got = events(&mut w);
        assert!(
            got.iter()
                .any(|e| matches!(e, AddressEvent::Del(a) if a.addr == a1)),
            "{got:?}"
        );
        got.into_iter().for_each(|e| d.apply(e));
        assert_eq!(d.change(&[a1]).map(|s| s.locators), Some(vec![]));
        true
    })
    .join()
    .unwrap();
    if ran {
        eprintln!("ran in a network namespace of its own");
    }
}
