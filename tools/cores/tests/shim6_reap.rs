//! The kernel's REAP timers (RFC 5534 §6.1–6.4) against a fake clock: when each timer starts
//! and stops, the Keepalive cadence, the Send Timeout, exploring and idle expiry, and a
//! proptest that arbitrary packet and timer sequences keep the RFC's invariants.

use proptest::prelude::*;
use rv6_cores::shim6_reap::*;

const S: u64 = NSEC_PER_SEC;

fn reap() -> Reap {
    Reap::new(ReapConfig::DEFAULT, 0)
}

#[test]
fn the_defaults_are_rfc_5534s() {
    let c = ReapConfig::DEFAULT;
    assert_eq!(c.send_timeout, 15 * S);
    assert_eq!(c.keepalive_timeout, 15 * S);
    assert_eq!(c.keepalive_interval(), 5 * S);
    assert_eq!(c.idle_timeout, 600 * S);
    let mut r = reap();
    // A fresh context waits for its idle expiry only.
    assert_eq!(r.start(), Some(600 * S));
    assert!(!r.send_timer_running() && !r.keepalive_timer_running());
}

#[test]
fn a_send_starts_the_send_timer_once_and_a_receive_stops_it() {
    let mut r = reap();
    r.start();
    assert_eq!(r.sent(S), Some(16 * S));
    // Not restarted by later sends (§6.2), and the timer is already asked for.
    assert_eq!(r.sent(2 * S), None);
    assert!(r.send_timer_running());
    let (arm, ev) = r.received(3 * S);
    assert!(ev.is_empty());
    assert!(!r.send_timer_running() && r.keepalive_timer_running());
    // The Keepalive Timer's first interval is earlier than the pending 16 s.
    assert_eq!(arm, Some(8 * S));
}

#[test]
fn a_send_without_answer_for_send_timeout_starts_exploration() {
    let mut r = reap();
    r.start();
    r.sent(0);
    r.sent(10 * S);
    let (ev, next) = r.expired(15 * S);
    assert_eq!(ev, Events::SEND_TIMEOUT);
    assert_eq!(r.mode(), Mode::Exploring);
    assert!(!r.send_timer_running() && !r.keepalive_timer_running());
    // Only the idle expiry is left, counted from the last packet.
    assert_eq!(next, Some(610 * S));
    // No timer runs while exploring (§6): sends start nothing.
    assert_eq!(r.sent(16 * S), None);
    assert!(!r.send_timer_running());
}

#[test]
fn keepalives_are_due_every_interval_then_one_last_at_the_timeout() {
    let mut r = reap();
    r.start();
    assert_eq!(r.received(0).0, Some(5 * S));
    assert_eq!(r.expired(5 * S), (Events::KEEPALIVE, Some(10 * S)));
    assert_eq!(r.expired(10 * S), (Events::KEEPALIVE, Some(15 * S)));
    // §6.3: one last Keepalive, and the timer is not restarted.
    assert_eq!(r.expired(15 * S), (Events::KEEPALIVE, Some(600 * S)));
    assert!(!r.keepalive_timer_running());
    // Payload received later starts it again.
    assert_eq!(r.received(20 * S).0, Some(25 * S));
}

#[test]
fn a_late_timer_asks_for_one_keepalive_not_a_burst() {
    let mut r = reap();
    r.start();
    r.received(0);
    assert_eq!(r.expired(12 * S), (Events::KEEPALIVE, Some(15 * S)));
    assert_eq!(r.expired(15 * S), (Events::KEEPALIVE, Some(600 * S)));
}

#[test]
fn an_early_timer_reports_nothing_and_comes_back() {
    let mut r = reap();
    r.start();
    r.sent(0);
    assert_eq!(r.expired(S), (Events::NONE, Some(15 * S)));
}

#[test]
fn a_keepalive_from_the_peer_stops_the_send_timer_only() {
    let mut r = reap();
    r.start();
    r.sent(0);
    assert_eq!(r.keepalive_received(S), None);
    assert!(!r.send_timer_running() && !r.keepalive_timer_running());
    // Nothing is due at the old Send Timeout; the next send starts the timer again.
    assert_eq!(r.expired(15 * S), (Events::NONE, Some(601 * S)));
    assert_eq!(r.sent(16 * S), Some(31 * S));
}

#[test]
fn sending_stops_the_keepalives() {
    let mut r = reap();
    r.start();
    r.received(0);
    assert_eq!(r.sent(2 * S), None);
    assert!(!r.keepalive_timer_running() && r.send_timer_running());
    // The timer, asked for 5 s, finds no Keepalive due and waits for the Send Timeout.
    assert_eq!(r.expired(5 * S), (Events::NONE, Some(17 * S)));
}

#[test]
fn while_exploring_the_first_packet_in_is_reported_once() {
    let mut r = reap();
    r.start();
    r.sent(0);
    r.expired(15 * S);
    assert_eq!(r.received(16 * S).1, Events::INBOUND);
    assert_eq!(r.received(17 * S).1, Events::NONE);
    assert!(!r.keepalive_timer_running());
    // The daemon confirmed a pair: the timers run again from the next packets.
    r.set_mode(Mode::Operational);
    assert_eq!(r.received(18 * S).1, Events::NONE);
    assert!(r.keepalive_timer_running());
    // Exploring again later reports the first packet in again.
    r.set_mode(Mode::Exploring);
    assert_eq!(r.received(19 * S).1, Events::INBOUND);
}

#[test]
fn an_idle_context_is_reported_once_and_packets_wake_it() {
    let mut r = reap();
    assert_eq!(r.start(), Some(600 * S));
    assert_eq!(r.expired(600 * S), (Events::IDLE, None));
    assert_eq!(r.expired(700 * S), (Events::NONE, None));
    // Traffic again: the timer must be armed for the send timer.
    assert_eq!(r.sent(800 * S), Some(815 * S));
    assert_eq!(r.received(801 * S).0, Some(806 * S));
}

#[test]
fn new_settings_apply_to_running_timers() {
    let mut r = reap();
    r.start();
    r.sent(0);
    let cfg = ReapConfig {
        send_timeout: 10 * S,
        ..ReapConfig::DEFAULT
    };
    assert_eq!(r.configure(cfg), Some(10 * S));
    assert_eq!(r.expired(10 * S).0, Events::SEND_TIMEOUT);
}

#[derive(Clone, Debug)]
enum Op {
    Sent(u64),
    Received(u64),
    Keepalive(u64),
    Fire,
    Mode(bool),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..20 * S).prop_map(Op::Sent),
        (0..20 * S).prop_map(Op::Received),
        (0..20 * S).prop_map(Op::Keepalive),
        Just(Op::Fire),
        any::<bool>().prop_map(Op::Mode),
    ]
}

proptest! {
    /// Whatever happens: at most one of the two timers runs (§6); a time to arm for is never
    /// in the past; the timer, fired when asked, always has a next time unless the context
    /// went idle; a Send Timeout is reported only when no packet came in for Send Timeout
    /// since a packet went out.
    #[test]
    fn the_timers_keep_the_rfc_invariants(ops in proptest::collection::vec(op(), 1..60)) {
        let mut r = reap();
        let mut now = 0u64;
        let mut armed = r.start();
        let mut last_rx = 0u64;
        let mut first_unanswered_tx: Option<u64> = None;
        for o in ops {
            match o {
                Op::Sent(dt) => {
                    now += dt;
                    if let Some(at) = r.sent(now) { prop_assert!(at >= now); armed = Some(armed.map_or(at, |a| a.min(at))); }
                    if r.mode() == Mode::Operational { first_unanswered_tx.get_or_insert(now); }
                }
                Op::Received(dt) => {
                    now += dt;
                    let (at, _) = r.received(now);
                    if let Some(at) = at { prop_assert!(at >= now); armed = Some(armed.map_or(at, |a| a.min(at))); }
                    last_rx = now;
                    first_unanswered_tx = None;
                }
                Op::Keepalive(dt) => {
                    now += dt;
                    if let Some(at) = r.keepalive_received(now) { prop_assert!(at >= now); armed = Some(armed.map_or(at, |a| a.min(at))); }
                    if r.mode() == Mode::Operational { first_unanswered_tx = None; }
                }
                Op::Fire => {
                    let Some(at) = armed else { continue };
                    now = now.max(at);
                    let (ev, next) = r.expired(now);
                    if ev.contains(Events::SEND_TIMEOUT) {
                        let since = first_unanswered_tx.take();
                        prop_assert!(since.is_some());
                        prop_assert!(now >= since.unwrap() + r.config().send_timeout);
                        prop_assert!(last_rx < since.unwrap() || last_rx == 0);
                    }
                    if let Some(n) = next { prop_assert!(n > now); }
                    armed = next;
                }
                Op::Mode(explore) => {
                    r.set_mode(if explore { Mode::Exploring } else { Mode::Operational });
                    first_unanswered_tx = None;
                }
            }
            prop_assert!(!(r.send_timer_running() && r.keepalive_timer_running()));
            // Something is due: the timer is armed for no later than that.
            if let Some(d) = r.next_deadline() {
                prop_assert!(armed.is_some_and(|a| a <= d), "due {d}, armed {armed:?}");
            }
        }
    }
}

proptest! {
    /// A packet [`Reap::quiet`] calls quiet, recorded with [`Reap::seen`], leaves the context
    /// exactly as [`Reap::sent`] or [`Reap::received`] would: same events, same deadlines, same
    /// answers to every later call; the first packet of a flow one way is never quiet, the
    /// second always is.
    #[test]
    fn a_quiet_packet_changes_nothing_but_the_last_activity(
        ops in proptest::collection::vec(op(), 1..40),
        quiet_rx in any::<bool>(),
        dt in 0..20 * S,
        later in proptest::collection::vec(op(), 0..20),
    ) {
        let mut r = reap();
        let mut now = 0u64;
        let mut armed = r.start();
        for o in ops {
            apply(&mut r, &mut now, &mut armed, o);
        }
        let q = r.quiet();
        let way = if quiet_rx { Quiet::RECEIVED } else { Quiet::SENT };
        if q.contains(way) {
            now += dt;
            let mut slow = r.clone();
            let at = if quiet_rx { slow.received(now).0 } else { slow.sent(now) };
            prop_assert_eq!(at, None);
            if quiet_rx {
                prop_assert_eq!(r.clone().received(now).1, Events::NONE);
            }
            let mut fast = r.clone();
            fast.seen(now);
            prop_assert_eq!(fast.next_deadline(), slow.next_deadline());
            prop_assert_eq!(fast.quiet(), slow.quiet());
            let (mut now_f, mut now_s, mut armed_f, mut armed_s) = (now, now, armed, armed);
            for o in later {
                let ef = apply(&mut fast, &mut now_f, &mut armed_f, o.clone());
                let es = apply(&mut slow, &mut now_s, &mut armed_s, o);
                prop_assert_eq!(ef, es);
                prop_assert_eq!(fast.next_deadline(), slow.next_deadline());
                prop_assert_eq!(fast.quiet(), slow.quiet());
            }
        }
    }
}

/// Applies `o` to `r` at `now` as the kernel would; the events and times it gave.
fn apply(r: &mut Reap, now: &mut u64, armed: &mut Option<u64>, o: Op) -> (Events, Option<u64>) {
    let arm = |at: Option<u64>, armed: &mut Option<u64>| {
        if let Some(at) = at {
            *armed = Some(armed.map_or(at, |a| a.min(at)));
        }
        at
    };
    match o {
        Op::Sent(dt) => {
            *now += dt;
            (Events::NONE, arm(r.sent(*now), armed))
        }
        Op::Received(dt) => {
            *now += dt;
            let (at, ev) = r.received(*now);
            (ev, arm(at, armed))
        }
        Op::Keepalive(dt) => {
            *now += dt;
            (Events::NONE, arm(r.keepalive_received(*now), armed))
        }
        Op::Fire => {
            let Some(at) = *armed else {
                return (Events::NONE, None);
            };
            *now = (*now).max(at);
            let (ev, next) = r.expired(*now);
            *armed = next;
            (ev, next)
        }
        Op::Mode(explore) => {
            r.set_mode(if explore {
                Mode::Exploring
            } else {
                Mode::Operational
            });
            (Events::NONE, None)
        }
    }
}

#[test]
fn in_a_flow_one_way_every_packet_after_the_first_is_quiet() {
    let mut r = reap();
    r.start();
    assert_eq!(r.quiet(), Quiet::NONE);
    r.sent(S);
    assert_eq!(r.quiet(), Quiet::SENT);
    r.received(2 * S);
    assert_eq!(r.quiet(), Quiet::RECEIVED);
    // The last Keepalive asked for: the timer stops, the next packet in restarts it.
    for k in 1..=3 {
        r.expired(2 * S + k * 5 * S);
    }
    assert!(!r.keepalive_timer_running());
    assert_eq!(r.quiet(), Quiet::NONE);
    // Reported idle: a packet either way wakes the context.
    let mut idle = reap();
    idle.start();
    assert!(idle.expired(600 * S).0.contains(Events::IDLE));
    assert_eq!(idle.quiet(), Quiet::NONE);
}
