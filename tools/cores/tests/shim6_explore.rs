//! REAP's exploration (RFC 5534) against a fake clock: the probe series' cadence, the
//! candidate order, the states' transitions, two explorers finding the one pair that works
//! between them over a simulated network, and a proptest of the invariants.

use proptest::prelude::*;
use rv6_cores::shim6_explore::*;

const S: u64 = NSEC_PER_SEC;
const MS: u64 = NSEC_PER_MSEC;

fn pair(local: u8, peer: u8) -> Pair {
    Pair { local, peer }
}

fn counter(from: u32) -> impl FnMut() -> u32 {
    let mut n = from;
    move || {
        n = n.wrapping_add(1);
        n
    }
}

fn acts(a: Actions) -> Vec<Action> {
    a.iter().collect()
}

fn two_by_two() -> Candidates {
    Candidates::new(&[Preference::default(); 2], &[Preference::default(); 2])
}

fn explorer() -> Explorer {
    Explorer::new(ExploreConfig::RFC5534, pair(0, 0), two_by_two())
}

#[test]
fn the_constants_are_rfc_5534s() {
    let c = ExploreConfig::RFC5534;
    assert_eq!(c.initial_probe_timeout, 500 * MS);
    assert_eq!(c.initial_probes, 4);
    assert_eq!(c.max_probe_timeout, 60 * S);
    assert_eq!(c.send_timeout, 15 * S);
    assert_eq!(ReapState::from_wire(2), Some(ReapState::InboundOk));
    assert_eq!(ReapState::from_wire(3), None);
}

#[test]
fn probes_go_four_at_half_a_second_then_back_off_to_one_a_minute() {
    let mut e = explorer();
    let r = &mut counter(0);
    e.handle(Event::SendTimeout, 0, r);
    let mut times = vec![0];
    for _ in 0..12 {
        let t = e.deadline().unwrap();
        assert_eq!(acts(e.handle(Event::Timer, t, r)).len(), 1);
        times.push(t);
    }
    let ms: Vec<u64> = times.iter().map(|t| t / MS).collect();
    assert_eq!(
        ms,
        [0, 500, 1000, 1500, 2000, 3000, 5000, 9000, 17000, 33000, 65000, 125000, 185000]
    );
    assert_eq!(e.state(), ReapState::Exploring);
}

#[test]
fn candidates_leave_out_broken_locators_and_try_transient_ones_last() {
    let p = |priority| Preference {
        priority,
        ..Preference::default()
    };
    let local = [
        p(1),
        Preference {
            broken: true,
            ..p(0)
        },
        p(0),
    ];
    let peer = [
        Preference {
            transient: true,
            ..p(0)
        },
        p(5),
    ];
    let c = Candidates::new(&local, &peer);
    assert_eq!(
        c.as_slice(),
        [
            // Local priority 0 (locator 2) first, then 1 (locator 0); the transient peer
            // locator last; locator 1 is broken.
            pair(2, 1),
            pair(0, 1),
            pair(2, 0),
            pair(0, 0),
        ]
    );
}

#[test]
fn exploring_walks_the_candidates_in_turn_from_the_current_pair() {
    let mut e = Explorer::new(ExploreConfig::RFC5534, pair(1, 0), two_by_two());
    let r = &mut counter(0);
    let mut pairs = Vec::new();
    let first = acts(e.handle(Event::SendTimeout, 0, r));
    pairs.push(first[0]);
    for _ in 0..4 {
        let t = e.deadline().unwrap();
        pairs.push(acts(e.handle(Event::Timer, t, r))[0]);
    }
    let went: Vec<(Pair, ReapState)> = pairs
        .iter()
        .map(|a| match a {
            Action::SendProbe { pair, sta, .. } => (*pair, *sta),
            other => panic!("{other:?}"),
        })
        .collect();
    let order = [pair(1, 0), pair(1, 1), pair(0, 0), pair(0, 1), pair(1, 0)];
    assert_eq!(went, order.map(|p| (p, ReapState::Exploring)));
    // The sent reports, newest first.
    let sent: Vec<Pair> = e.sent().iter().map(|s| s.pair).collect();
    assert_eq!(
        sent,
        [pair(1, 0), pair(0, 1), pair(0, 0), pair(1, 1), pair(1, 0)]
    );
}

#[test]
fn keepalives_are_sent_when_due_in_operational_only() {
    let mut e = explorer();
    let r = &mut counter(0);
    assert_eq!(
        acts(e.handle(Event::KeepaliveDue, 0, r)),
        [Action::SendKeepalive { pair: pair(0, 0) }]
    );
    e.handle(Event::SendTimeout, 0, r);
    assert!(e.handle(Event::KeepaliveDue, 0, r).is_empty());
}

#[test]
fn payload_while_exploring_means_inbound_ok_and_a_probe_to_say_so() {
    let mut e = explorer();
    let r = &mut counter(0);
    e.handle(Event::SendTimeout, 0, r);
    let got = acts(e.handle(Event::Payload, S, r));
    assert!(matches!(
        got[..],
        [Action::SendProbe {
            sta: ReapState::InboundOk,
            ..
        }]
    ));
    assert_eq!(e.state(), ReapState::InboundOk);
    // InboundOk's probes repeat; its Send Timer runs.
    assert_eq!(e.deadline(), Some(S + 500 * MS));
    // More payload stops the Send Timer; then nothing comes back and probing goes on.
    e.handle(Event::Payload, 2 * S, r);
    let t = e.deadline().unwrap();
    assert!(matches!(
        acts(e.handle(Event::Timer, t, r))[..],
        [Action::SendProbe {
            sta: ReapState::InboundOk,
            ..
        }]
    ));
}

#[test]
fn inbound_ok_that_hears_nothing_back_explores_again() {
    let mut e = explorer();
    let r = &mut counter(0);
    e.handle(Event::SendTimeout, 0, r);
    e.handle(Event::Keepalive, S, r);
    assert_eq!(e.state(), ReapState::InboundOk);
    // Probes every 0.5 s ... until the Send Timeout (15 s) ends InboundOk.
    let mut t;
    let last = loop {
        t = e.deadline().unwrap();
        let a = acts(e.handle(Event::Timer, t, r));
        if e.state() != ReapState::InboundOk {
            break a;
        }
    };
    assert_eq!((e.state(), t), (ReapState::Exploring, 16 * S));
    // The kernel is told again, so that it reports the next payload (§6: back to InboundOk).
    assert!(
        last.contains(&Action::Kernel {
            exploring: true,
            pair: pair(0, 0)
        }),
        "{last:?}"
    );
}

#[test]
fn new_locator_lists_keep_the_history_that_still_names_locators() {
    let mut e = explorer();
    let r = &mut counter(0);
    e.handle(Event::SendTimeout, 0, r);
    let t = e.deadline().unwrap();
    e.handle(Event::Timer, t, r);
    // Probes went on (0,0) and (0,1); one came in on (1,1).
    e.handle(
        Event::Probe {
            pair: pair(1, 1),
            sta: ReapState::Exploring,
            nonce: 77,
            data: 5,
            reported: &[],
        },
        t,
        r,
    );
    // The peer's first locator goes: its second becomes its first.
    let f = |p: Pair| (p.peer == 1).then_some(pair(p.local, 0));
    let one_peer = Candidates::new(&[Preference::default(); 2], &[Preference::default()]);
    e.remap(&f, one_peer);
    let sent: Vec<Pair> = e.sent().iter().map(|p| p.pair).collect();
    assert!(sent.iter().all(|p| p.peer == 0), "{sent:?}");
    assert!(
        sent.contains(&pair(0, 0)),
        "the probe on (0,1) is now on (0,0)"
    );
    assert_eq!(
        e.received()
            .iter()
            .map(|p| (p.pair, p.nonce))
            .collect::<Vec<_>>(),
        [(pair(1, 0), 77)]
    );
    // The current pair (0,0) named the lost locator: it stays for the caller to set.
    assert_eq!(e.current(), pair(0, 0));
}

#[test]
fn a_probe_reporting_ours_makes_its_pair_current() {
    let mut e = explorer();
    let r = &mut counter(100);
    e.handle(Event::SendTimeout, 0, r);
    let t = e.deadline().unwrap();
    let got = acts(e.handle(Event::Timer, t, r));
    let Action::SendProbe { pair: p, nonce, .. } = got[0] else {
        panic!("{got:?}")
    };
    assert_eq!(p, pair(0, 1));
    // The peer heard that probe and hears us: it says InboundOk, reporting our nonce.
    let got = acts(e.handle(
        Event::Probe {
            pair: pair(1, 1),
            sta: ReapState::InboundOk,
            nonce: 7,
            data: 9,
            reported: &[12345, nonce],
        },
        t,
        r,
    ));
    assert!(matches!(
        got[..],
        [
            Action::SendProbe {
                pair: Pair { local: 1, peer: 1 },
                sta: ReapState::Operational,
                ..
            },
            Action::Kernel {
                exploring: false,
                pair: Pair { local: 0, peer: 1 }
            }
        ]
    ));
    assert_eq!(
        (e.state(), e.current(), e.deadline()),
        (ReapState::Operational, pair(0, 1), None)
    );
    // Its probe is remembered for our reports.
    assert_eq!(
        e.received()[0],
        ReceivedProbe {
            pair: pair(1, 1),
            nonce: 7,
            data: 9
        }
    );
}

#[test]
fn a_probe_from_an_exploring_peer_is_answered_and_the_kernel_stops_its_timers() {
    let mut e = explorer();
    let r = &mut counter(0);
    let got = acts(e.handle(
        Event::Probe {
            pair: pair(1, 0),
            sta: ReapState::Exploring,
            nonce: 1,
            data: 2,
            reported: &[],
        },
        0,
        r,
    ));
    assert!(matches!(
        got[..],
        [
            Action::Kernel {
                exploring: true,
                ..
            },
            Action::SendProbe {
                pair: Pair { local: 1, peer: 0 },
                sta: ReapState::InboundOk,
                ..
            }
        ]
    ));
    assert_eq!(e.state(), ReapState::InboundOk);
}

#[test]
fn reports_keep_the_newest_fifteen_and_restart_with_each_exploration() {
    let mut e = explorer();
    let r = &mut counter(0);
    for n in 0..20u32 {
        e.handle(
            Event::Probe {
                pair: pair(0, 0),
                sta: ReapState::Exploring,
                nonce: n,
                data: 0,
                reported: &[],
            },
            u64::from(n),
            r,
        );
    }
    let nonces: Vec<u32> = e.received().iter().map(|p| p.nonce).collect();
    assert_eq!(nonces, (5..20).rev().collect::<Vec<_>>());
    assert_eq!(e.sent().len(), MAX_REPORTS);
    let t = e.deadline().unwrap().max(100 * S);
    e.handle(Event::SendTimeout, t, r);
    assert!(e.received().is_empty());
}

/// Two hosts, A and B, with two locators each; only A's second locator and B's second
/// reach each other.  A's pair (l, p) is B's (p, l).  Both were Operational on the first
/// locators when that path broke, and both kernels' Send Timers expired: they explore,
/// and must agree on the pair that works.
#[test]
fn two_explorers_find_the_one_pair_that_works() {
    let works = |p: Pair| p == pair(1, 1);
    let mirror = |p: Pair| pair(p.peer, p.local);
    let mut hosts = [explorer(), explorer()];
    let mut randoms = [counter(1000), counter(2000)];
    // Probes in flight: (to host, its pair, state, nonce, data, reported nonces).
    type Wire = (usize, Pair, ReapState, u32, Vec<u32>);
    let mut wire: Vec<Wire> = Vec::new();
    let mut kernel = [None, None];
    let deliver = |from: usize,
                   a: &Actions,
                   hosts: &[Explorer; 2],
                   wire: &mut Vec<Wire>,
                   kernel: &mut [Option<(bool, Pair)>; 2]| {
        for act in a.iter() {
            match act {
                Action::SendProbe {
                    pair: p,
                    sta,
                    nonce,
                } if works(p) => {
                    let reported = hosts[from].received().iter().map(|r| r.nonce).collect();
                    wire.push((1 - from, mirror(p), sta, nonce, reported));
                }
                Action::Kernel { exploring, pair } => kernel[from] = Some((exploring, pair)),
                _ => {}
            }
        }
    };
    let mut now = 0;
    for h in 0..2 {
        let a = hosts[h].handle(Event::SendTimeout, now, &mut randoms[h]);
        deliver(h, &a, &hosts, &mut wire, &mut kernel);
    }
    for _ in 0..200 {
        if let Some((to, p, sta, nonce, reported)) = (!wire.is_empty()).then(|| wire.remove(0)) {
            let a = hosts[to].handle(
                Event::Probe {
                    pair: p,
                    sta,
                    nonce,
                    data: 0,
                    reported: &reported,
                },
                now,
                &mut randoms[to],
            );
            deliver(to, &a, &hosts, &mut wire, &mut kernel);
            continue;
        }
        let Some((h, t)) = (0..2)
            .filter_map(|h| hosts[h].deadline().map(|t| (h, t)))
            .min_by_key(|x| x.1)
        else {
            break;
        };
        now = now.max(t);
        let a = hosts[h].handle(Event::Timer, now, &mut randoms[h]);
        deliver(h, &a, &hosts, &mut wire, &mut kernel);
    }
    for h in 0..2 {
        assert_eq!(hosts[h].state(), ReapState::Operational, "host {h}");
        assert_eq!(hosts[h].current(), pair(1, 1), "host {h}");
        assert_eq!(kernel[h], Some((false, pair(1, 1))), "host {h}");
    }
    // Within the initial probes: a 2x2 walk needs at most four.
    assert!(now <= 2 * S, "took {now}");
}

fn any_event() -> impl Strategy<Value = (u8, Pair, u8, u32, bool)> {
    (
        0u8..6,
        (0u8..2, 0u8..2).prop_map(|(l, p)| pair(l, p)),
        0u8..3,
        any::<u32>(),
        any::<bool>(),
    )
}

proptest! {
    /// Any sequence of kernel events, probes and timers: the state's timers are the ones it
    /// may run, probes carry the state the sender is in after sending, time never runs
    /// backwards, and a probe goes to a candidate pair or the one a probe came on.
    #[test]
    fn any_event_sequence_keeps_reaps_invariants(
        steps in prop::collection::vec((any_event(), 0u64..20 * S), 1..80),
        seed in any::<u32>(),
    ) {
        let mut e = explorer();
        let r = &mut counter(seed);
        let mut now = 0;
        for ((kind, p, sta, nonce, ours), dt) in steps {
            let reported_ours = e.sent().first().map(|s| s.nonce).filter(|_| ours);
            let reported: Vec<u32> = reported_ours.into_iter().collect();
            let ev = match kind {
                0 => Event::SendTimeout,
                1 => Event::KeepaliveDue,
                2 => Event::Payload,
                3 => Event::Keepalive,
                4 => Event::Probe {
                    pair: p,
                    sta: ReapState::from_wire(sta).unwrap(),
                    nonce,
                    data: 0,
                    reported: &reported,
                },
                _ => Event::Timer,
            };
            now = match (ev, e.deadline()) {
                (Event::Timer, Some(d)) => d.max(now),
                _ => now + dt,
            };
            let got: Vec<Action> = e.handle(ev, now, r).iter().collect();
            prop_assert!(got.len() <= Actions::CAPACITY);
            if ev == Event::Timer {
                prop_assert!(e.deadline().is_none_or(|d| d > now));
            }
            for a in &got {
                if let Action::SendProbe { pair: sent, sta, .. } = a {
                    // A probe carries the state its sender is in after sending (§5.2).
                    prop_assert_eq!(*sta, e.state());
                    prop_assert!(two_by_two().as_slice().contains(sent));
                }
            }
            match e.state() {
                ReapState::Operational => prop_assert_eq!(e.deadline(), None),
                ReapState::Exploring => prop_assert!(e.deadline().is_some()),
                ReapState::InboundOk => prop_assert!(e.deadline().is_some()),
            }
            prop_assert!(e.received().len() <= MAX_REPORTS && e.sent().len() <= MAX_REPORTS);
        }
    }
}

#[test]
fn a_current_pair_set_from_outside_is_where_keepalives_and_exploration_start() {
    let mut e = explorer();
    e.set_current(pair(1, 1));
    let r = &mut counter(0);
    assert_eq!(
        acts(e.handle(Event::KeepaliveDue, 0, r)),
        [Action::SendKeepalive { pair: pair(1, 1) }]
    );
    let a = acts(e.handle(Event::SendTimeout, 0, r));
    assert!(
        matches!(a[..], [Action::SendProbe { pair: p, sta: ReapState::Exploring, .. }] if p == pair(1, 1)),
        "{a:?}"
    );
}
