//! The Shim6 context state machine (RFC 5533) against a fake clock: the four-way exchange
//! between two machines, retransmissions and their jitter windows, the hold-downs, crossing
//! I1s, lost R2s, context recovery with R1bis / I2bis, Update Requests, confusion; and a
//! proptest that arbitrary event sequences keep the RFC's invariants.

use proptest::prelude::*;
use rv6_cores::shim6_ctx::*;

const S: u64 = NSEC_PER_SEC;
const TAG_A: u64 = 0x1a00_0000_0001;
const TAG_B: u64 = 0x1b00_0000_0002;

/// A `random` that counts up from `from`: nonces differ, jitter is predictable.
fn counter(from: u32) -> impl FnMut() -> u32 {
    let mut n = from;
    move || {
        n = n.wrapping_add(1);
        n
    }
}

/// Jitter at its low end (the nominal × 0.5) and nonces that differ.
fn low() -> impl FnMut() -> u32 {
    counter(0)
}

/// `d` is `at`, up to the jitter `low()` adds (a few nanoseconds).
#[track_caller]
fn near(d: Option<u64>, at: u64) {
    let d = d.expect("a deadline");
    assert!(d >= at && d < at + 1000, "deadline {d}, expected {at}");
}

fn actions(a: Actions) -> Vec<Action> {
    a.iter().collect()
}

fn ctx(tag: u64) -> Context {
    Context::new(Constants::RFC5533, tag)
}

/// The nonce of the single I1 (or I2, I2bis) in `a`.
fn nonce(a: &[Action]) -> u32 {
    match a {
        [Action::SendI1 { init_nonce }]
        | [Action::SendI2 { init_nonce }]
        | [Action::SendI2bis { init_nonce }] => *init_nonce,
        _ => panic!("expected one I1, I2 or I2bis, got {a:?}"),
    }
}

/// A establishes with B by the four-way exchange; both ESTABLISHED.
fn established() -> (Context, Context) {
    let (mut a, mut b) = (ctx(TAG_A), ctx(TAG_B));
    let r = &mut low();
    let n = nonce(&actions(a.handle(Event::Trigger, 0, r)));
    // B answers the I1 with an R1 without keeping state (§7.10): a fresh IDLE context.
    assert_eq!(
        actions(ctx(TAG_B).handle(Event::I1 { peer_tag: TAG_A }, S, r)),
        [Action::SendR1]
    );
    let i2 = actions(a.handle(Event::R1 { init_nonce: n }, S, r));
    assert_eq!(i2, [Action::SendI2 { init_nonce: n }]);
    assert_eq!(a.state(), State::I2Sent);
    let got = actions(b.handle(
        Event::I2 {
            peer_tag: TAG_A,
            locators_ok: true,
        },
        2 * S,
        r,
    ));
    assert_eq!(got, [Action::SendR2, Action::Install { peer_tag: TAG_A }]);
    let got = actions(a.handle(
        Event::R2 {
            init_nonce: n,
            peer_tag: TAG_B,
        },
        2 * S,
        r,
    ));
    assert_eq!(got, [Action::Install { peer_tag: TAG_B }]);
    (a, b)
}

#[test]
fn the_constants_are_rfc_5533s() {
    let c = Constants::RFC5533;
    assert_eq!((c.i1_timeout, c.i1_retries_max), (4 * S, 4));
    assert_eq!((c.i2_timeout, c.i2_retries_max), (4 * S, 2));
    assert_eq!((c.i2bis_timeout, c.i2bis_retries_max), (4 * S, 2));
    assert_eq!((c.no_r1_holddown, c.icmp_holddown), (60 * S, 600 * S));
    assert_eq!(c.validator_min_lifetime, 30 * S);
    assert_eq!((c.update_timeout, c.max_update_timeout), (4 * S, 120 * S));
}

#[test]
fn the_four_way_exchange_establishes_both_ends() {
    let (a, b) = established();
    for (c, peer) in [(a, TAG_B), (b, TAG_A)] {
        assert_eq!(c.state(), State::Established);
        assert_eq!(c.peer_tag(), Some(peer));
        assert!(c.may_send_payload());
        // No handshake timer is left behind.
        assert_eq!(c.deadline(), None);
    }
}

#[test]
fn i1s_back_off_within_their_jitter_windows_then_the_context_fails() {
    // Lowest jitter: each timeout is half its nominal, which doubles: 2, 4, 8, 16, 32 s.
    let mut a = ctx(TAG_A);
    let r = &mut low();
    let n = nonce(&actions(a.handle(Event::Trigger, 0, r)));
    let mut t = 0;
    for half in [2, 4, 8, 16] {
        near(a.deadline(), t + half * S);
        t = a.deadline().unwrap();
        // The same nonce each time: an R1 to any of them will do.
        assert_eq!(
            actions(a.handle(Event::Timer, t, r)),
            [Action::SendI1 { init_nonce: n }]
        );
    }
    near(a.deadline(), t + 32 * S);
    // A fifth expiry: I1_RETRIES_MAX (4) retransmissions went unanswered (§7.8).
    t = a.deadline().unwrap();
    assert!(a.handle(Event::Timer, t, r).is_empty());
    assert_eq!(a.state(), State::EFailed);
    // A negative cache: no I1 for NO_R1_HOLDDOWN_TIME, even when asked.
    assert!(a.handle(Event::Trigger, t + S, r).is_empty());
    assert_eq!(a.deadline(), Some(t + 60 * S));
    assert!(a.handle(Event::Timer, t + 60 * S, r).is_empty());
    assert_eq!(a.state(), State::Idle);
    assert_eq!(a.deadline(), None);
    assert!(matches!(
        actions(a.handle(Event::Trigger, t + 61 * S, r))[..],
        [Action::SendI1 { .. }]
    ));
}

#[test]
fn the_highest_jitter_stays_below_one_and_a_half_times_the_nominal() {
    let mut a = ctx(TAG_A);
    let mut top = || u32::MAX;
    a.handle(Event::Trigger, 0, &mut top);
    let d = a.deadline().unwrap();
    assert!(d > 5 * S + 999 * S / 1000 && d < 6 * S, "{d}");
}

#[test]
fn an_icmp_unrecognized_next_header_means_no_support_for_ten_minutes() {
    let mut a = ctx(TAG_A);
    let r = &mut low();
    a.handle(Event::Trigger, 0, r);
    assert!(a.handle(Event::IcmpUnrecognized, S, r).is_empty());
    // The text (§6.2, §7.8) over App. B's table, which says E-FAILED.
    assert_eq!(a.state(), State::NoSupport);
    assert_eq!(a.deadline(), Some(601 * S));
    assert!(a.handle(Event::Trigger, 2 * S, r).is_empty());
    a.handle(Event::Timer, 601 * S, r);
    assert_eq!(a.state(), State::Idle);
}

#[test]
fn answers_with_another_nonce_are_discarded() {
    let mut a = ctx(TAG_A);
    let r = &mut low();
    let n = nonce(&actions(a.handle(Event::Trigger, 0, r)));
    let wrong = n.wrapping_add(1000);
    assert!(a.handle(Event::R1 { init_nonce: wrong }, S, r).is_empty());
    assert!(a
        .handle(
            Event::R2 {
                init_nonce: wrong,
                peer_tag: TAG_B
            },
            S,
            r
        )
        .is_empty());
    assert_eq!(a.state(), State::I1Sent);
    // Payload and R1bis before the context exists are discarded too (App. B).
    for ev in [
        Event::Payload,
        Event::R1bis { packet_tag: TAG_A },
        Event::UpdateRequest,
    ] {
        assert!(a.handle(ev, S, r).is_empty(), "{ev:?}");
    }
    assert_eq!(a.state(), State::I1Sent);
}

#[test]
fn an_i1_answered_by_an_r2_establishes_at_once() {
    // The peer had the context already (§7.9: it answers an I1 with R2).
    let mut a = ctx(TAG_A);
    let r = &mut low();
    let n = nonce(&actions(a.handle(Event::Trigger, 0, r)));
    assert_eq!(
        actions(a.handle(
            Event::R2 {
                init_nonce: n,
                peer_tag: TAG_B
            },
            S,
            r
        )),
        [Action::Install { peer_tag: TAG_B }]
    );
    assert_eq!(a.state(), State::Established);
}

#[test]
fn crossing_i1s_are_answered_with_r2s_and_both_establish() {
    // Both ends start at once (§7.4, figure 5).
    let (mut a, mut b) = (ctx(TAG_A), ctx(TAG_B));
    let r = &mut low();
    let na = nonce(&actions(a.handle(Event::Trigger, 0, r)));
    let nb = nonce(&actions(b.handle(Event::Trigger, 0, r)));
    assert_eq!(
        actions(a.handle(Event::I1 { peer_tag: TAG_B }, S, r)),
        [Action::SendR2]
    );
    assert_eq!(
        actions(b.handle(Event::I1 { peer_tag: TAG_A }, S, r)),
        [Action::SendR2]
    );
    a.handle(
        Event::R2 {
            init_nonce: na,
            peer_tag: TAG_B,
        },
        S,
        r,
    );
    b.handle(
        Event::R2 {
            init_nonce: nb,
            peer_tag: TAG_A,
        },
        S,
        r,
    );
    assert_eq!(
        (a.state(), b.state()),
        (State::Established, State::Established)
    );
}

#[test]
fn a_lost_r2_is_recovered_by_the_initiators_retransmission() {
    let (mut a, mut b) = (ctx(TAG_A), ctx(TAG_B));
    let r = &mut low();
    let n = nonce(&actions(a.handle(Event::Trigger, 0, r)));
    a.handle(Event::R1 { init_nonce: n }, S, r);
    let i2 = Event::I2 {
        peer_tag: TAG_A,
        locators_ok: true,
    };
    b.handle(i2, S, r);
    // B's R2 is lost: A's I2 timer fires and it resends the I2 with the same nonce.
    let t = a.deadline().unwrap();
    assert_eq!(
        actions(a.handle(Event::Timer, t, r)),
        [Action::SendI2 { init_nonce: n }]
    );
    // B answers again; the context is installed already, with the same tag.
    assert_eq!(actions(b.handle(i2, t, r)), [Action::SendR2]);
    a.handle(
        Event::R2 {
            init_nonce: n,
            peer_tag: TAG_B,
        },
        t,
        r,
    );
    assert_eq!(a.state(), State::Established);
    // An I1 with the tag B knows means A never heard an R2: B sends one (§7.9); with
    // another tag, A lost the context and starts afresh: R1 (§7.5).
    assert_eq!(
        actions(b.handle(Event::I1 { peer_tag: TAG_A }, t, r)),
        [Action::SendR2]
    );
    assert_eq!(
        actions(b.handle(
            Event::I1 {
                peer_tag: TAG_A + 1
            },
            t,
            r
        )),
        [Action::SendR1]
    );
    assert_eq!(b.peer_tag(), Some(TAG_A));
}

#[test]
fn unanswered_i2s_fall_back_to_an_i1() {
    let mut a = ctx(TAG_A);
    let r = &mut low();
    let n = nonce(&actions(a.handle(Event::Trigger, 0, r)));
    a.handle(Event::R1 { init_nonce: n }, 0, r);
    // Two retransmissions (I2_RETRIES_MAX), at 2 s and 2 + 4 s.
    let mut sent = 0;
    let t = loop {
        let t = a.deadline().unwrap();
        match actions(a.handle(Event::Timer, t, r))[..] {
            [Action::SendI2 { init_nonce }] if init_nonce == n => sent += 1,
            [Action::SendI1 { init_nonce }] => {
                assert_ne!(init_nonce, n, "a new exchange, a new nonce");
                break t;
            }
            ref other => panic!("{other:?}"),
        }
    };
    assert_eq!(sent, 2);
    near(Some(t), 2 * S + 4 * S + 8 * S);
    assert_eq!(a.state(), State::I1Sent);
}

#[test]
fn payload_or_an_update_before_the_r2_repeats_the_i2() {
    // The peer is ESTABLISHED, so its R2 was lost (§10.4, §12.2).
    let mut a = ctx(TAG_A);
    let r = &mut low();
    let n = nonce(&actions(a.handle(Event::Trigger, 0, r)));
    a.handle(Event::R1 { init_nonce: n }, 0, r);
    for ev in [
        Event::Payload,
        Event::UpdateRequest,
        Event::UpdateAck { nonce: 9 },
    ] {
        // In I2-SENT the peer's tag is unknown: no Update Ack can be addressed yet.
        assert_eq!(
            actions(a.handle(ev, S, r)),
            [Action::SendI2 { init_nonce: n }],
            "{ev:?}"
        );
    }
}

#[test]
fn an_r1bis_recovers_the_context_with_an_i2bis() {
    let (mut a, _) = established();
    let r = &mut low();
    // Not for the peer's tag: discarded.
    assert!(a
        .handle(
            Event::R1bis {
                packet_tag: TAG_B + 1
            },
            10 * S,
            r
        )
        .is_empty());
    let n = nonce(&actions(a.handle(
        Event::R1bis { packet_tag: TAG_B },
        10 * S,
        r,
    )));
    assert_eq!(a.state(), State::I2bisSent);
    // Payload may still go: the peer's tag and locators are known (§11).
    assert!(a.may_send_payload());
    near(a.deadline(), 12 * S);
    // An Update Request meanwhile: the I2bis again, then the request is acknowledged.
    assert_eq!(
        actions(a.handle(Event::UpdateRequest, 11 * S, r)),
        [Action::SendI2bis { init_nonce: n }, Action::SendUpdateAck]
    );
    // The peer's new context has a new tag: the kernel's moves to it.
    assert_eq!(
        actions(a.handle(
            Event::R2 {
                init_nonce: n,
                peer_tag: TAG_B + 7
            },
            11 * S,
            r
        )),
        [Action::Install {
            peer_tag: TAG_B + 7
        }]
    );
    assert_eq!(
        (a.state(), a.peer_tag()),
        (State::Established, Some(TAG_B + 7))
    );
}

#[test]
fn unanswered_i2bis_fall_back_to_an_i1() {
    let (mut a, _) = established();
    let r = &mut low();
    a.handle(Event::R1bis { packet_tag: TAG_B }, 0, r);
    let mut kinds = Vec::new();
    for _ in 0..3 {
        let t = a.deadline().unwrap();
        kinds.push(match actions(a.handle(Event::Timer, t, r))[..] {
            [Action::SendI2bis { .. }] => "I2bis",
            [Action::SendI1 { .. }] => "I1",
            ref other => panic!("{other:?}"),
        });
    }
    assert_eq!(kinds, ["I2bis", "I2bis", "I1"]);
    // The kernel's context stays until the new exchange ends, or the context goes.
    assert_eq!(
        actions(a.handle(Event::Teardown, 100 * S, r)),
        [Action::Remove]
    );
}

#[test]
fn update_requests_are_retransmitted_until_acknowledged_backing_off_to_two_minutes() {
    let (mut a, _) = established();
    let r = &mut low();
    let got = actions(a.handle(Event::LocatorsChanged, 0, r));
    let [Action::SendUpdate { nonce: n }] = got[..] else {
        panic!("{got:?}")
    };
    assert_eq!(a.pending_update(), Some(n));
    // Half of 4, 8, 16, 32, 64, 120, 120 s: the same nonce each time (§10.2).
    let mut t = 0;
    for half in [2, 4, 8, 16, 32, 60, 60] {
        near(a.deadline(), t + half * S);
        t = a.deadline().unwrap();
        assert_eq!(
            actions(a.handle(Event::Timer, t, r)),
            [Action::SendUpdate { nonce: n }]
        );
    }
    // Another nonce acknowledges nothing; ours ends it.
    a.handle(Event::UpdateAck { nonce: n ^ 1 }, t, r);
    assert_eq!(a.pending_update(), Some(n));
    a.handle(Event::UpdateAck { nonce: n }, t, r);
    assert_eq!((a.pending_update(), a.deadline()), (None, None));
}

#[test]
fn a_newer_change_replaces_the_unacknowledged_request() {
    let (mut a, _) = established();
    let r = &mut low();
    a.handle(Event::LocatorsChanged, 0, r);
    let first = a.pending_update().unwrap();
    a.handle(Event::LocatorsChanged, S, r);
    let second = a.pending_update().unwrap();
    assert_ne!(first, second);
    // The old request's acknowledgement no longer counts (§10.3).
    a.handle(Event::UpdateAck { nonce: first }, S, r);
    assert_eq!(a.pending_update(), Some(second));
    near(a.deadline(), 3 * S);
}

#[test]
fn an_error_about_the_pending_request_stops_its_retransmissions_and_nothing_else() {
    let (mut a, _) = established();
    let r = &mut low();
    a.handle(Event::LocatorsChanged, 0, r);
    let n = a.pending_update().unwrap();
    // An Error about another request (an abandoned one, or a guess) changes nothing.
    assert!(a
        .handle(Event::UpdateRefused { nonce: n ^ 1 }, S, r)
        .is_empty());
    assert_eq!(a.pending_update(), Some(n));
    // About ours: no more retransmissions, no other action, still ESTABLISHED (§10.4).
    assert!(a.handle(Event::UpdateRefused { nonce: n }, S, r).is_empty());
    assert_eq!(
        (a.pending_update(), a.deadline(), a.state()),
        (None, None, State::Established)
    );
    // In I2BIS-SENT the handshake's timer keeps running.
    let (mut a, _) = established();
    a.handle(Event::R1bis { packet_tag: TAG_B }, 0, r);
    a.handle(Event::LocatorsChanged, 0, r);
    let n = a.pending_update().unwrap();
    assert!(a.handle(Event::UpdateRefused { nonce: n }, S, r).is_empty());
    assert_eq!((a.pending_update(), a.state()), (None, State::I2bisSent));
    near(a.deadline(), 2 * S);
}

#[test]
fn an_update_request_is_acknowledged() {
    let (_, mut b) = established();
    assert_eq!(
        actions(b.handle(Event::UpdateRequest, 0, &mut low())),
        [Action::SendUpdateAck]
    );
}

#[test]
fn a_verified_i2_with_a_new_tag_moves_the_kernels_context() {
    // The peer lost the context, sent an I1 (we answered R1) and now its I2 (§7.5).
    let (_, mut b) = established();
    let r = &mut low();
    let got = actions(b.handle(
        Event::I2 {
            peer_tag: TAG_A + 5,
            locators_ok: true,
        },
        S,
        r,
    ));
    assert_eq!(
        got,
        [
            Action::SendR2,
            Action::Install {
                peer_tag: TAG_A + 5
            }
        ]
    );
    // From a source that is none of the peer's locators: discarded (§7.13).
    assert!(b
        .handle(
            Event::I2 {
                peer_tag: TAG_A + 6,
                locators_ok: false
            },
            S,
            r
        )
        .is_empty());
    assert_eq!(b.peer_tag(), Some(TAG_A + 5));
}

#[test]
fn a_confused_or_idle_context_goes_and_the_kernel_is_told() {
    for ev in [Event::Confused, Event::Teardown] {
        let (mut a, _) = established();
        assert_eq!(actions(a.handle(ev, 0, &mut low())), [Action::Remove]);
        assert_eq!(
            (a.state(), a.peer_tag(), a.deadline()),
            (State::Idle, None, None)
        );
        assert!(!a.may_send_payload());
    }
    // A context that never reached the kernel has nothing to remove.
    let mut a = ctx(TAG_A);
    a.handle(Event::Trigger, 0, &mut low());
    assert!(a.handle(Event::Teardown, 0, &mut low()).is_empty());
    assert_eq!(a.state(), State::Idle);
}

fn any_event() -> impl Strategy<Value = Event> {
    let tag = prop_oneof![Just(TAG_A), Just(TAG_B), 1u64..(1 << 47)];
    let nonce = prop_oneof![Just(1u32), Just(2u32), any::<u32>()];
    prop_oneof![
        Just(Event::Trigger),
        Just(Event::Timer),
        Just(Event::Timer),
        nonce
            .clone()
            .prop_map(|init_nonce| Event::R1 { init_nonce }),
        (nonce.clone(), tag.clone()).prop_map(|(init_nonce, peer_tag)| Event::R2 {
            init_nonce,
            peer_tag
        }),
        tag.clone().prop_map(|peer_tag| Event::I1 { peer_tag }),
        (tag.clone(), any::<bool>()).prop_map(|(peer_tag, locators_ok)| Event::I2 {
            peer_tag,
            locators_ok
        }),
        tag.prop_map(|packet_tag| Event::R1bis { packet_tag }),
        Just(Event::Payload),
        Just(Event::UpdateRequest),
        nonce.clone().prop_map(|nonce| Event::UpdateAck { nonce }),
        nonce.prop_map(|nonce| Event::UpdateRefused { nonce }),
        Just(Event::LocatorsChanged),
        Just(Event::IcmpUnrecognized),
        Just(Event::Confused),
        Just(Event::Teardown),
    ]
}

proptest! {
    /// Whatever happens, in whatever order and at whatever times: the machine only sends
    /// what its state allows, never asks for a time in the past, never holds more than one
    /// Update Request, and an established context knows its peer and runs no handshake timer.
    #[test]
    fn any_event_sequence_keeps_the_rfcs_invariants(
        steps in prop::collection::vec((any_event(), 0u64..300 * S), 1..60),
        seed in any::<u32>(),
    ) {
        let mut c = ctx(TAG_A);
        let r = &mut counter(seed);
        let mut now = 0u64;
        let mut i1s_in_a_row = 0;
        for (ev, dt) in steps {
            // Timers fire at their deadline, other events whenever.
            now = match (ev, c.deadline()) {
                (Event::Timer, Some(d)) => d.max(now),
                _ => now + dt,
            };
            let before = c.state();
            let acts: Vec<Action> = c.handle(ev, now, r).iter().collect();
            prop_assert!(acts.len() <= Actions::CAPACITY);
            if let Some(d) = c.deadline() {
                prop_assert!(d > now || ev != Event::Timer, "{d} <= {now} after {ev:?}");
            }
            for a in &acts {
                match a {
                    // I1s start from IDLE, or retransmit/fall back in the handshake states.
                    Action::SendI1 { .. } => prop_assert!(
                        matches!(before, State::Idle | State::I1Sent | State::I2Sent | State::I2bisSent)
                    ),
                    Action::SendI2 { .. } => prop_assert!(matches!(before, State::I1Sent | State::I2Sent)),
                    Action::SendI2bis { .. } => prop_assert!(matches!(before, State::Established | State::I2bisSent)),
                    Action::SendUpdate { .. } => prop_assert!(c.may_send_payload()),
                    Action::Install { peer_tag } => prop_assert_eq!(c.peer_tag(), Some(*peer_tag)),
                    _ => {}
                }
            }
            // At most I1_RETRIES_MAX retransmissions follow an I1 before the context fails.
            if acts.iter().any(|a| matches!(a, Action::SendI1 { .. })) {
                i1s_in_a_row = if before == State::I1Sent { i1s_in_a_row + 1 } else { 1 };
                prop_assert!(i1s_in_a_row <= 5);
            }
            match c.state() {
                State::Established => {
                    prop_assert!(c.peer_tag().is_some());
                    prop_assert_eq!(c.deadline(), c.pending_update().and(c.deadline()));
                }
                State::Idle => prop_assert!(c.deadline().is_none()),
                State::EFailed | State::NoSupport => {
                    prop_assert!(c.deadline().is_some() && c.pending_update().is_none());
                }
                _ => prop_assert!(c.deadline().is_some()),
            }
        }
    }
}
