//! REAP on the wire (RFC 5534) between two engines in memory: Keepalives
//! when the kernel says one is due, the Keepalive Timeout option, and
//! exploration over a wire where only some locator pairs work, ending with
//! both kernels on a pair that works and back in `operational`.

mod harness;
use harness::*;

use rv6_cores::shim6_explore::ReapState;
use rv6_cores::shim6_wire::{
    Addr, ContextTag, Message, ProbeReport, ProbeReports, ReapState as WireState,
};
use shim6d::engine::{
    Input,
    KernelRequest,
    Note,
    Packet,
    Pair,
    ReapEvent,
    ReapSet,
    Why, //
};
use shim6d::msg::{
    self,
    Options, //
};

const MS: u64 = SEC / 1000;

/// An established context between A and B, on the ULIDs.
fn established(config: impl Fn(&mut shim6d::engine::Config)) -> Net {
    let mut net = Net::with(config);
    net.trigger(A);
    net.settle();
    assert_eq!(
        (net.hosts[A].state(), net.hosts[B].state()),
        (
            Some(rv6_cores::shim6_ctx::State::Established),
            Some(rv6_cores::shim6_ctx::State::Established)
        )
    );
    net
}

/// Host `h`'s only kernel context.
fn kernel(net: &Net, h: usize) -> shim6d::engine::KernelContext {
    let k: Vec<_> = net.hosts[h].kernel.values().cloned().collect();
    assert_eq!(k.len(), 1, "host {h}'s kernel: {k:?}");
    k[0].clone()
}

/// The kernel's REAP event `event` for host `h`'s context, with its current
/// pair, as main.rs feeds it.
fn event(net: &mut Net, h: usize, event: ReapEvent) {
    let k = kernel(net, h);
    net.input(
        h,
        Input::Reap {
            local_tag: k.local_tag,
            event,
            current: Some(k.current),
        },
    );
}

/// A wire on which only the pairs (a2, b2) and (b2, a2) work: r1 is cut.
fn only_via_r2(_: usize, p: &mut Packet) -> Fate {
    let works = [a2(), b2()];
    if works.contains(&p.src) && works.contains(&p.dst) {
        Fate::Deliver
    } else {
        Fate::Lose
    }
}

/// A Probe on the wire.
struct SentProbe {
    t: u64,
    from: usize,
    src: Addr,
    dst: Addr,
    state: WireState,
    /// Its sent reports, its own first.
    sent: Vec<ProbeReport>,
    received: Vec<ProbeReport>,
}

/// Every Probe sent, in order.
fn probes(net: &Net) -> Vec<SentProbe> {
    net.sent
        .iter()
        .filter_map(|(t, h, p)| {
            let c = msg::parse(&p.bytes).ok()?;
            let Message::Probe(probe) = c.message else {
                return None;
            };
            Some(SentProbe {
                t: *t,
                from: *h,
                src: p.src,
                dst: p.dst,
                state: probe.state,
                sent: probe.sent.iter().collect(),
                received: probe.received.iter().collect(),
            })
        })
        .collect()
}

fn reap_state(net: &Net, h: usize) -> Option<(ReapState, Pair)> {
    net.hosts[h].context().and_then(|c| c.reap)
}

#[test]
fn a_keepalive_goes_on_the_current_pair_with_the_peers_tag() {
    let mut net = established(|_| {});
    let (ka, kb) = (kernel(&net, A), kernel(&net, B));
    let before = net.sent.len();
    event(&mut net, A, ReapEvent::Keepalive);
    let sent: Vec<_> = net.sent[before..].to_vec();
    assert_eq!(sent.len(), 1, "{sent:?}");
    let (_, from, p) = &sent[0];
    assert_eq!((*from, p.src, p.dst), (A, a1(), b1()));
    let c = msg::parse(&p.bytes).unwrap();
    assert_eq!(
        c.message,
        Message::Keepalive {
            receiver_context_tag: ContextTag::new(kb.local_tag).unwrap()
        }
    );
    assert_eq!(c.keepalive_timeout, None, "a Keepalive carries no option");
    // B takes it for its context: no answer, nothing dropped.
    net.settle();
    assert_eq!(net.sent.len(), before + 1);
    assert!(
        net.hosts[B].dropped().is_empty(),
        "{:?}",
        net.hosts[B].dropped()
    );
    assert_eq!(reap_state(&net, B), Some((ReapState::Operational, pair(B))));
    assert_eq!(ka.current, pair(A));

    // After a person moved the kernel's pair, the next one goes there.
    let tag = ka.local_tag;
    net.hosts[A].kernel.get_mut(&tag).unwrap().current = Pair {
        local: a2(),
        peer: b2(),
    };
    event(&mut net, A, ReapEvent::Keepalive);
    let (_, _, p) = net.sent.last().unwrap();
    assert_eq!((p.src, p.dst), (a2(), b2()));
}

#[test]
fn a_send_timeout_on_both_sides_finds_the_one_pair_that_works() {
    let mut net = established(|_| {});
    let start = net.now;
    // r1 is cut: both kernels' Send Timers expire.
    event(&mut net, A, ReapEvent::SendTimeout);
    event(&mut net, B, ReapEvent::SendTimeout);
    net.run(start + 30 * SEC, &mut only_via_r2);
    for (h, want) in [
        (
            A,
            Pair {
                local: a2(),
                peer: b2(),
            },
        ),
        (
            B,
            Pair {
                local: b2(),
                peer: a2(),
            },
        ),
    ] {
        assert_eq!(
            reap_state(&net, h),
            Some((ReapState::Operational, want)),
            "host {h}"
        );
        assert_eq!(kernel(&net, h).current, want, "host {h}");
        assert_eq!(
            net.hosts[h].exploring.values().collect::<Vec<_>>(),
            [&false],
            "host {h}"
        );
    }
    // The 2x2 walk needs the initial probes only: four at 0.5 s at most.
    let p = probes(&net);
    let last = p.iter().map(|x| x.t).max().unwrap();
    assert!(last - start <= 2 * SEC, "took {} ms", (last - start) / MS);
    // Each probe's first sent report is itself (§5.2), its State what the
    // sender is in after sending it.
    for x in &p {
        assert_eq!((x.sent[0].source, x.sent[0].destination), (x.src, x.dst));
    }
    // A's exploring probes went to each candidate in turn from the current
    // pair: (a1,b1), (a1,b2), (a2,b1), (a2,b2).
    let a_exploring: Vec<(Addr, Addr)> = p
        .iter()
        .filter(|x| x.from == A && x.state == WireState::Exploring)
        .map(|x| (x.src, x.dst))
        .take(4)
        .collect();
    assert_eq!(
        a_exploring,
        [(a1(), b1()), (a1(), b2()), (a2(), b1()), (a2(), b2())]
    );
    // Nothing more is sent once both are operational.
    let n = net.sent.len();
    net.run(net.now + 600 * SEC, &mut only_via_r2);
    assert_eq!(net.sent.len(), n);
}

#[test]
fn one_sided_timeout_the_peer_answers_in_inbound_ok_and_both_move() {
    let mut net = established(|_| {});
    event(&mut net, A, ReapEvent::SendTimeout);
    net.run(net.now + 30 * SEC, &mut only_via_r2);
    let p = probes(&net);
    // B heard A's exploring probe on (b2, a2) and answered InboundOk there,
    // reporting it; A then went operational and said so.
    let b_first = p.iter().find(|x| x.from == B).expect("B sent no probe");
    assert_eq!(
        (b_first.src, b_first.dst, b_first.state),
        (b2(), a2(), WireState::InboundOk)
    );
    let a_heard = p
        .iter()
        .find(|x| x.from == A && x.src == a2() && x.dst == b2())
        .unwrap();
    assert_eq!(
        b_first.received[0].nonce, a_heard.sent[0].nonce,
        "B reports A's probe"
    );
    assert_eq!(
        (b_first.received[0].source, b_first.received[0].destination),
        (a2(), b2())
    );
    assert!(p
        .iter()
        .any(|x| x.from == A && x.state == WireState::Operational));
    assert_eq!(
        kernel(&net, A).current,
        Pair {
            local: a2(),
            peer: b2()
        }
    );
    assert_eq!(
        kernel(&net, B).current,
        Pair {
            local: b2(),
            peer: a2()
        }
    );
    // B's kernel was told to explore (its timers stop) and then not.
    let b_sets: Vec<bool> = net.hosts[B]
        .notes
        .iter()
        .filter_map(|n| match n {
            Note::Reap { outcome, .. } => Some(outcome.contains("-> Operational")),
            _ => None,
        })
        .collect();
    assert_eq!(b_sets, [false, true], "B: InboundOk, then Operational");
    assert_eq!(
        net.hosts[B].exploring.values().collect::<Vec<_>>(),
        [&false]
    );
}

#[test]
fn payload_while_exploring_is_answered_with_an_inbound_ok_probe() {
    let mut net = established(|_| {});
    event(&mut net, A, ReapEvent::SendTimeout);
    let before = net.sent.len();
    event(&mut net, A, ReapEvent::Inbound);
    let p: Vec<_> = net.sent[before..].to_vec();
    assert_eq!(p.len(), 1);
    let Message::Probe(probe) = msg::parse(&p[0].2.bytes).unwrap().message else {
        panic!("not a probe");
    };
    assert_eq!(probe.state, WireState::InboundOk);
    assert_eq!(reap_state(&net, A).unwrap().0, ReapState::InboundOk);
}

#[test]
fn the_keepalive_timeout_option_tells_the_peer_our_send_timeout() {
    let net = established(|c| c.send_timeout = Some(3));
    for kind in ["I2", "R2"] {
        let (_, _, p) = net
            .sent
            .iter()
            .find(|(_, _, p)| msg::type_name(p.bytes[2] & 0x7f) == kind)
            .unwrap();
        assert_eq!(
            msg::parse(&p.bytes).unwrap().keepalive_timeout,
            Some(3),
            "{kind}"
        );
    }
    for h in [A, B] {
        let k = kernel(&net, h);
        assert_eq!(
            (k.send_timeout_ms, k.keepalive_timeout_ms),
            (Some(3000), Some(3000)),
            "host {h}"
        );
        assert_eq!(net.hosts[h].context().unwrap().peer_keepalive, Some(3));
    }
    // Without the option (the default), neither is given.
    let net = established(|_| {});
    for h in [A, B] {
        let k = kernel(&net, h);
        assert_eq!((k.send_timeout_ms, k.keepalive_timeout_ms), (None, None));
    }
}

#[test]
fn an_update_request_with_a_new_keepalive_timeout_sets_the_kernels() {
    let mut net = established(|c| c.send_timeout = Some(4));
    assert_eq!(kernel(&net, B).keepalive_timeout_ms, Some(4000));
    // A loses a2: its Update Request carries the option again, which the
    // wire changes to 5 s (as a restarted A with another setting would
    // send it).
    let locators = [a1()];
    net.input(
        A,
        Input::Locators {
            locators: &locators,
            preferences: &[],
        },
    );
    net.run(net.now + 60 * SEC, &mut |_, p: &mut Packet| {
        let Ok(c) = msg::parse(&p.bytes) else {
            return Fate::Deliver;
        };
        if let (Message::UpdateRequest { .. }, Some(4)) = (c.message, c.keepalive_timeout) {
            let list = c.locators.clone().unwrap();
            let generation = c.list.as_ref().unwrap().generation;
            p.bytes = msg::build(
                c.message,
                &Options {
                    locators: Some((generation, &list)),
                    keepalive_timeout: Some(5),
                    ..Options::default()
                },
            )
            .unwrap();
        }
        Fate::Deliver
    });
    assert_eq!(kernel(&net, B).keepalive_timeout_ms, Some(5000));
    assert_eq!(
        net.hosts[B]
            .requests
            .iter()
            .filter(|r| matches!(r, KernelRequest::KeepaliveTimeout { ms: 5000, .. }))
            .count(),
        1
    );
    assert_eq!(net.hosts[B].context().unwrap().peer_keepalive, Some(5));
}

/// Delivers `bytes` from `src` to `dst` at B and gives B's notes.
fn at_b(net: &mut Net, src: Addr, dst: Addr, bytes: &[u8]) -> Vec<Note> {
    let n = net.hosts[B].notes.len();
    net.input(B, Input::Packet { src, dst, bytes });
    net.hosts[B].notes[n..].to_vec()
}

fn probe_bytes(tag: u64, state: WireState, sent: &[ProbeReport]) -> Vec<u8> {
    let sent: Vec<u8> = sent.iter().flat_map(|r| r.to_bytes()).collect();
    msg::build(
        Message::Probe(rv6_cores::shim6_wire::Probe {
            receiver_context_tag: ContextTag::new(tag).unwrap(),
            state,
            sent: ProbeReports::new(&sent).unwrap(),
            received: ProbeReports::default(),
        }),
        &Options::default(),
    )
    .unwrap()
}

#[test]
fn bad_keepalives_and_probes_are_dropped_with_a_reason() {
    let mut net = established(|_| {});
    let tb = kernel(&net, B).local_tag;
    let own = |src, dst| ProbeReport {
        source: src,
        destination: dst,
        nonce: 7,
        data: 9,
    };
    let keepalive = |tag| {
        msg::build(
            Message::Keepalive {
                receiver_context_tag: ContextTag::new(tag).unwrap(),
            },
            &Options::default(),
        )
        .unwrap()
    };
    let cases: Vec<(Vec<u8>, Addr, Addr, Why)> = vec![
        (keepalive(tb ^ 1), a1(), b1(), Why::NoContext),
        (
            keepalive(tb),
            ip("2001:db8:c::1"),
            b1(),
            Why::ForeignLocators,
        ),
        (
            probe_bytes(tb, WireState::Unassigned, &[own(a1(), b1())]),
            a1(),
            b1(),
            Why::ReservedState,
        ),
        (
            probe_bytes(tb, WireState::Exploring, &[]),
            a1(),
            b1(),
            Why::NoProbeReport,
        ),
        (
            probe_bytes(tb ^ 1, WireState::Exploring, &[own(a1(), b1())]),
            a1(),
            b1(),
            Why::NoContext,
        ),
        (
            probe_bytes(tb, WireState::Exploring, &[own(a1(), b1())]),
            ip("2001:db8:c::1"),
            b1(),
            Why::ForeignLocators,
        ),
    ];
    for (bytes, src, dst, why) in cases {
        let before = net.sent.len();
        let notes = at_b(&mut net, src, dst, &bytes);
        assert!(
            notes
                .iter()
                .any(|n| matches!(n, Note::Dropped { why: w, .. } if *w == why)),
            "{why:?}: {notes:?}"
        );
        assert_eq!(net.sent.len(), before, "{why:?}: answered");
        assert_eq!(reap_state(&net, B).unwrap().0, ReapState::Operational);
    }
    // A good exploring probe is answered in InboundOk, its data echoed.
    let notes = at_b(
        &mut net,
        a2(),
        b2(),
        &probe_bytes(tb, WireState::Exploring, &[own(a2(), b2())]),
    );
    assert!(
        !notes.iter().any(|n| matches!(n, Note::Dropped { .. })),
        "{notes:?}"
    );
    let (_, _, p) = net.sent.last().unwrap();
    let Message::Probe(probe) = msg::parse(&p.bytes).unwrap().message else {
        panic!("not a probe");
    };
    assert_eq!(
        (p.src, p.dst, probe.state),
        (b2(), a2(), WireState::InboundOk)
    );
    let echoed: Vec<ProbeReport> = probe.received.iter().collect();
    assert_eq!(echoed, [own(a2(), b2())]);
    assert!(net.hosts[B].requests.iter().any(|r| matches!(
        r,
        KernelRequest::Reap(ReapSet {
            exploring: true,
            ..
        })
    )));
}

#[test]
fn reap_events_for_unknown_tags_and_idle_contexts_change_nothing() {
    let mut net = established(|_| {});
    let before = net.sent.len();
    net.input(
        A,
        Input::Reap {
            local_tag: 0x1234,
            event: ReapEvent::SendTimeout,
            current: None,
        },
    );
    event(&mut net, A, ReapEvent::Idle);
    assert_eq!(net.sent.len(), before);
    assert_eq!(
        reap_state(&net, A).map(|r| r.0),
        Some(ReapState::Operational)
    );
    let lines: Vec<String> = net.hosts[A]
        .notes
        .iter()
        .rev()
        .take(2)
        .map(|n| n.to_string())
        .collect();
    assert_eq!(
        lines[1],
        "event send-timeout tag 0x1234: ignored: no context of this daemon has the tag"
    );
    assert!(lines[0].ends_with(": kept"), "{lines:?}");
}
