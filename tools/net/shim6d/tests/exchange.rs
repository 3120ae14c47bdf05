//! Two daemons' engines against each other in memory, as shim6d runs them
//! over sockets: host A (locators 2001:db8:a1::1, ULID, and
//! 2001:db8:a2::1) and host B (2001:db8:b1::1 and 2001:db8:b2::1), a wire
//! that carries each message to the host owning its destination (or loses
//! or changes it), a kernel per host that applies the engine's requests and
//! refuses what the real one would (a tag or ULID pair twice, a context
//! that is not there), and a fake clock that jumps to the next deadline
//! when the wire is quiet.

use std::net::Ipv6Addr;

use rv6_cores::shim6_ctx::State;
use rv6_cores::shim6_wire::{
    Addr,
    ContextTag,
    ControlHeader,
    ControlRepr,
    LocatorPreference,
    Message,
    OptionBody,
    OptionRepr,
    ERR_CRITICAL_OPTION,
    ERR_GENERATION_OUT_OF_SYNC,
    ERR_PREFERENCE_COUNT,
    ERR_UNKNOWN_TYPE,
    ERR_VERIFICATION_FAILED,
    IPPROTO_NONE,
    LOCATOR_BROKEN,
    VERIFY_CGA,
    VERIFY_HBA, //
};
use rv6_hba::cga::{
    CgaRefusal,
    SignatureRefusal, //
};
use rv6_hba::hba::HbaRefusal;
use rv6_hba::shim6;
use shim6d::binding::{
    Binding,
    Failure,
    Kind,
    Unverified, //
};
use shim6d::engine::{
    Config,
    ContextSet,
    Engine,
    Entropy,
    Input,
    KernelContext,
    KernelRequest,
    Note,
    Output,
    Packet,
    Pair,
    SideSet,
    SplitMix,
    Why, //
};
use shim6d::kernel::SetPlan;
use shim6d::msg::{
    self,
    Options,
    PreferenceBytes,
    Refusal, //
};

mod harness;
use harness::*;

#[test]
fn the_four_way_exchange_completes_with_mirrored_tags_and_locators() {
    let mut net = Net::new();
    net.trigger(A);
    net.settle();
    assert_eq!(net.sent_by(A), ["I1", "I2"]);
    assert_eq!(net.sent_by(B), ["R1", "R2"]);
    net.assert_established();
    assert_eq!(
        states(&net.hosts[A]),
        [
            "IDLE -> I1-SENT",
            "I1-SENT -> I2-SENT",
            "I2-SENT -> ESTABLISHED"
        ]
    );
    assert_eq!(states(&net.hosts[B]), ["IDLE -> ESTABLISHED"]);
    // Each message between the ULIDs, each kernel told once.
    for (_, from, p) in &net.sent {
        assert_eq!((p.src, p.dst), (pair(*from).local, pair(*from).peer));
    }
    assert_eq!(net.hosts[A].requests.len(), 1);
    assert_eq!(net.hosts[B].requests.len(), 1);
    assert!(net.hosts[A].dropped().is_empty() && net.hosts[B].dropped().is_empty());
}

#[test]
fn the_i2_echoes_the_r1s_validator_and_nonces_and_r2_carries_the_locators() {
    let mut net = Net::new();
    net.trigger(A);
    net.settle();
    let control = |i: usize| msg::parse(&net.sent[i].2.bytes).unwrap();
    let (i1, r1, i2, r2) = (control(0), control(1), control(2), control(3));
    let Message::I1 {
        initiator_context_tag: tag,
        initiator_nonce: nonce,
    } = i1.message
    else {
        panic!("{i1:?}")
    };
    let Message::R1 {
        initiator_nonce,
        responder_nonce,
    } = r1.message
    else {
        panic!("{r1:?}")
    };
    assert_eq!(initiator_nonce, nonce);
    assert_eq!(r1.validator.map(<[u8]>::len), Some(32));
    assert_eq!(
        i2.message,
        Message::I2 {
            initiator_context_tag: tag,
            initiator_nonce: nonce,
            responder_nonce,
        }
    );
    assert_eq!(i2.validator, r1.validator);
    assert_eq!(i2.locators, Some(vec![a1(), a2()]));
    let b_tag = net.hosts[B].context().unwrap().local_tag;
    assert_eq!(
        r2.message,
        Message::R2 {
            responder_context_tag: ContextTag::new(b_tag).unwrap(),
            initiator_nonce: nonce,
        }
    );
    assert_eq!(r2.locators, Some(vec![b1(), b2()]));
    assert_eq!(tag.get(), net.hosts[A].context().unwrap().local_tag);
}

#[test]
fn the_responder_keeps_no_state_for_an_i1() {
    let mut net = Net::new();
    net.trigger(A);
    net.run(0, &mut |from, _| {
        if from == A {
            Fate::Deliver
        } else {
            Fate::Lose
        }
    });
    assert_eq!(net.sent_by(B), ["R1"]);
    assert!(net.hosts[B].engine.is_empty(), "an I1 made state");
    assert!(net.hosts[B].kernel.is_empty());
}

#[test]
fn a_lost_i1_is_retransmitted_after_the_i1_timeout() {
    let mut net = Net::new();
    net.trigger(A);
    let mut lost = 0;
    net.run(600 * SEC, &mut |_, p| {
        if kind(p) == "I1" && lost == 0 {
            lost += 1;
            Fate::Lose
        } else {
            Fate::Deliver
        }
    });
    assert_eq!(net.sent_by(A), ["I1", "I1", "I2"]);
    let (t0, _, first) = &net.sent[0];
    let (t1, _, again) = &net.sent[1];
    assert_eq!(first.bytes, again.bytes, "the retransmission is another I1");
    // I1_TIMEOUT (4 s) randomized over [0.5, 1.5) of it (RFC 5533 §7.8).
    assert!(
        (2 * SEC..6 * SEC).contains(&(t1 - t0)),
        "retransmitted after {} ns",
        t1 - t0
    );
    net.assert_established();
}

#[test]
fn unanswered_i1s_end_in_e_failed_and_then_nothing_is_left() {
    let mut net = Net::new();
    net.trigger(A);
    for _ in 0..10 {
        if net.hosts[A].state() == Some(State::EFailed) {
            break;
        }
        assert!(net.step(&mut |_, _| Fate::Lose));
    }
    assert_eq!(net.hosts[A].state(), Some(State::EFailed));
    // The first I1 and I1_RETRIES_MAX (4) retransmissions, the timeout
    // doubling from I1_TIMEOUT (4 s), each randomized over [0.5, 1.5).
    assert_eq!(net.sent_by(A), ["I1"; 5]);
    let times: Vec<u64> = net.sent.iter().map(|(t, _, _)| *t).collect();
    for (k, w) in times.windows(2).enumerate() {
        let nominal = (4 * SEC) << k;
        assert!(
            (nominal / 2..nominal * 3 / 2).contains(&(w[1] - w[0])),
            "retransmission {k}: {times:?}"
        );
    }
    // A trigger in E-FAILED waits for the hold-down.
    net.trigger(A);
    assert_eq!(net.sent.len(), 5);
    net.run(net.now + 600 * SEC, &mut |_, _| Fate::Lose);
    assert_eq!(net.sent.len(), 5);
    assert!(
        net.hosts[A].engine.is_empty(),
        "the context outlived its hold-down"
    );
    assert!(net.hosts[A].kernel.is_empty() && net.hosts[A].requests.is_empty());
    assert_eq!(
        states(&net.hosts[A]),
        ["IDLE -> I1-SENT", "I1-SENT -> E-FAILED", "E-FAILED -> IDLE"]
    );
}

/// `p`, an I2, with its validator, nonce or locators replaced by what
/// `change` makes of them (the checksum made right again).
fn rebuilt_i2(p: &mut Packet, change: impl Fn(&mut Vec<u8>, &mut u32)) {
    let c = msg::parse(&p.bytes).unwrap();
    let Message::I2 {
        initiator_context_tag,
        mut initiator_nonce,
        responder_nonce,
    } = c.message
    else {
        panic!("not an I2: {c:?}")
    };
    let mut validator = c.validator.unwrap().to_vec();
    change(&mut validator, &mut initiator_nonce);
    let locators = c.locators.clone().unwrap();
    p.bytes = msg::build(
        Message::I2 {
            initiator_context_tag,
            initiator_nonce,
            responder_nonce,
        },
        &Options {
            validator: (!validator.is_empty()).then_some(&validator[..]),
            locators: Some((0, &locators)),
            ulids: None,
            ..Options::default()
        },
    )
    .unwrap();
}

fn refused_i2(change: impl Fn(&mut Vec<u8>, &mut u32), why: Why) {
    let mut net = Net::new();
    net.trigger(A);
    // Every I2 changed; the I1s after the first lost, so that the exchange
    // ends once the initiator gives the I2 up.
    let mut i1s = 0;
    net.run(600 * SEC, &mut |_, p| match kind(p).as_str() {
        "I2" => {
            rebuilt_i2(p, &change);
            Fate::Deliver
        }
        "I1" => {
            i1s += 1;
            if i1s == 1 {
                Fate::Deliver
            } else {
                Fate::Lose
            }
        }
        _ => Fate::Deliver,
    });
    let b = &net.hosts[B];
    assert_eq!(net.sent_by(B), ["R1"]);
    assert!(b.engine.is_empty(), "a refused I2 made a context");
    assert!(b.kernel.is_empty() && b.requests.is_empty());
    let i2s = net.sent_by(A).iter().filter(|k| *k == "I2").count();
    // The I2 and its I2_RETRIES_MAX (2) retransmissions, each refused.
    assert_eq!(i2s, 3, "{:?}", net.sent_by(A));
    assert_eq!(b.dropped(), vec![why; 3]);
    assert!(net.hosts[A].kernel.is_empty());
    // With no R2, the initiator starts again with an I1 (§7.12).
    assert_eq!(&net.sent_by(A)[..5], ["I1", "I2", "I2", "I2", "I1"]);
}

#[test]
fn an_i2_with_a_bad_validator_is_refused() {
    refused_i2(|v, _| v[0] ^= 1, Why::BadValidator);
}

#[test]
fn an_i2_whose_nonce_is_not_the_validated_one_is_refused() {
    refused_i2(|_, n| *n ^= 1, Why::BadValidator);
}

#[test]
fn an_i2_without_a_validator_is_refused() {
    refused_i2(|v, _| v.clear(), Why::NoValidator);
}

/// A's first I2, held back and delivered to B `after` its R1 was sent.
fn late_i2(after: u64) -> (Net, Output) {
    let mut net = Net::with(|c| c.secret_lifetime = 60 * SEC);
    net.trigger(A);
    let mut held = None;
    net.run(0, &mut |_, p| {
        if kind(p) == "I2" {
            held = Some(p.clone());
            Fate::Lose
        } else {
            Fate::Deliver
        }
    });
    let i2 = held.expect("an I2");
    // B handles something every second meanwhile, so that its secret is
    // replaced on time.
    let r1_at = net.sent.iter().find(|(_, _, p)| kind(p) == "R1").unwrap().0;
    let mut t = r1_at;
    while t < r1_at + after {
        t += SEC;
        let _ = net.hosts[B].engine.handle(Input::Tick, t);
    }
    let out = net.hosts[B].engine.handle(
        Input::Packet {
            src: i2.src,
            dst: i2.dst,
            bytes: &i2.bytes,
        },
        r1_at + after,
    );
    (net, out)
}

#[test]
fn a_validator_outlives_one_secret_change_but_not_two() {
    let (_, out) = late_i2(61 * SEC);
    assert_eq!(out.packets.iter().map(kind).collect::<Vec<_>>(), ["R2"]);
    assert_eq!(out.kernel.len(), 1);
    let (_, out) = late_i2(121 * SEC);
    assert!(out.packets.is_empty() && out.kernel.is_empty(), "{out:?}");
    assert!(out.notes.contains(&Note::Dropped {
        src: a1(),
        dst: b1(),
        why: Why::BadValidator
    }));
}

#[test]
fn a_lost_r2_is_sent_again_for_the_retransmitted_i2() {
    let mut net = Net::new();
    net.trigger(A);
    let mut lost = false;
    net.run(600 * SEC, &mut |_, p| {
        if kind(p) == "R2" && !lost {
            lost = true;
            Fate::Lose
        } else {
            Fate::Deliver
        }
    });
    assert_eq!(net.sent_by(A), ["I1", "I2", "I2"]);
    assert_eq!(net.sent_by(B), ["R1", "R2", "R2"]);
    net.assert_established();
    // B installed once: the second I2 changed nothing.
    assert_eq!(net.hosts[B].requests.len(), 1);
}

#[test]
fn an_i1_with_the_context_peer_tag_is_answered_with_r2() {
    let mut net = Net::new();
    net.trigger(A);
    net.settle();
    let i1 = net.sent[0].2.clone();
    let before = net.hosts[B].requests.len();
    let out = net.hosts[B].engine.handle(
        Input::Packet {
            src: i1.src,
            dst: i1.dst,
            bytes: &i1.bytes,
        },
        net.now,
    );
    // Our R2 was lost (§7.9): the I1's nonce back, B's tag and locators.
    assert_eq!(out.packets.len(), 1, "{out:?}");
    let r2 = msg::parse(&out.packets[0].bytes).unwrap();
    let Message::I1 {
        initiator_nonce, ..
    } = msg::parse(&i1.bytes).unwrap().message
    else {
        unreachable!()
    };
    assert_eq!(
        r2.message,
        Message::R2 {
            responder_context_tag: ContextTag::new(net.hosts[B].context().unwrap().local_tag)
                .unwrap(),
            initiator_nonce,
        }
    );
    assert_eq!(r2.locators, Some(vec![b1(), b2()]));
    assert!(out.kernel.is_empty());
    assert_eq!(net.hosts[B].requests.len(), before);
}

#[test]
fn a_restarted_peer_sets_the_context_up_again_under_its_new_tag() {
    let mut net = Net::new();
    net.trigger(A);
    net.settle();
    let b_tag = net.hosts[B].context().unwrap().local_tag;
    let old_a_tag = net.hosts[A].context().unwrap().local_tag;
    // A's daemon restarts: its contexts left the kernel, its engine is new.
    net.hosts[A] = Host::new(&[a1(), a2()], Box::new(SplitMix(0xaa)), |_| {});
    net.sent.clear();
    net.trigger(A);
    net.settle();
    // B's context is ESTABLISHED with another peer tag: an R1 (§7.9), and
    // the I2 that follows moves B's kernel context to the new tag.
    assert_eq!(net.sent_by(A), ["I1", "I2"]);
    assert_eq!(net.sent_by(B), ["R1", "R2"]);
    net.assert_established();
    let a_tag = net.hosts[A].context().unwrap().local_tag;
    assert_ne!(a_tag, old_a_tag);
    assert_eq!(net.hosts[B].context().unwrap().local_tag, b_tag);
    assert_eq!(
        net.hosts[B].requests[1..],
        [
            KernelRequest::Del { local_tag: b_tag },
            KernelRequest::Add(net.hosts[B].kernel[&b_tag].clone())
        ]
    );
}

#[test]
fn simultaneous_initiations_resolve_into_one_context() {
    let mut net = Net::new();
    net.trigger(A);
    net.trigger(B);
    net.settle();
    // Crossing I1s are each answered with an R2 (§7.9), which establishes.
    assert_eq!(net.sent_by(A), ["I1", "R2"]);
    assert_eq!(net.sent_by(B), ["I1", "R2"]);
    net.assert_established();
    for h in [A, B] {
        assert_eq!(
            states(&net.hosts[h]),
            ["IDLE -> I1-SENT", "I1-SENT -> ESTABLISHED"]
        );
        assert_eq!(net.hosts[h].requests.len(), 1);
    }
}

#[test]
fn an_i1_crossing_the_exchange_half_way_resolves_too() {
    let mut net = Net::new();
    net.trigger(A);
    // A's I1 reaches B, whose R1 is still on the wire when B's own trigger
    // comes: B starts as well.
    let i1 = net.queue.pop_front().unwrap();
    net.deliver(i1.0, &i1.1);
    net.trigger(B);
    net.settle();
    net.assert_established();
    assert_eq!(net.sent_by(A), ["I1", "I2", "R2"]);
    assert_eq!(net.sent_by(B), ["R1", "I1", "R2"]);
    assert_eq!(net.hosts[A].requests.len(), 1);
    assert_eq!(net.hosts[B].requests.len(), 1);
}

#[test]
fn triggers_for_other_addresses_or_an_existing_context_send_nothing() {
    let mut net = Net::new();
    for p in [
        Pair {
            local: a2(),
            peer: b1(),
        },
        Pair {
            local: a1(),
            peer: a2(),
        },
    ] {
        net.input(A, Input::Trigger(p));
    }
    assert!(net.sent.is_empty() && net.hosts[A].engine.is_empty());
    net.trigger(A);
    net.trigger(A);
    assert_eq!(net.sent_by(A), ["I1"]);
    let outcomes: Vec<String> = net.hosts[A]
        .notes
        .iter()
        .filter(|n| matches!(n, Note::Trigger { .. }))
        .map(|n| n.to_string())
        .collect();
    assert_eq!(
        outcomes,
        [
            "trigger 2001:db8:a2::1 2001:db8:b1::1: ignored: not this host's ULID",
            "trigger 2001:db8:a1::1 2001:db8:a2::1: ignored: the peer is this host",
            "trigger 2001:db8:a1::1 2001:db8:b1::1: starting the exchange",
            "trigger 2001:db8:a1::1 2001:db8:b1::1: a context exists",
        ]
    );
}

#[test]
fn payload_headers_pass_silently_and_bad_messages_are_dropped_with_a_reason() {
    let mut net = Net::new();
    let b = |net: &mut Net, src: Addr, dst: Addr, bytes: &[u8]| {
        net.hosts[B]
            .engine
            .handle(Input::Packet { src, dst, bytes }, 0)
    };
    let payload = b(&mut net, a1(), b1(), &[17, 0, 0x80, 0, 0, 0, 0, 9]);
    assert_eq!(payload, Output::default());
    let i1 = msg::build(
        Message::I1 {
            initiator_context_tag: ContextTag::new(5).unwrap(),
            initiator_nonce: 6,
        },
        &Options::default(),
    )
    .unwrap();
    let mut bad_sum = i1.clone();
    bad_sum[15] ^= 1;
    let r1 = msg::build(
        Message::R1 {
            initiator_nonce: 1,
            responder_nonce: 2,
        },
        &Options {
            validator: Some(&[0; 32]),
            ..Options::default()
        },
    )
    .unwrap();
    let keepalive = msg::build(
        Message::Keepalive {
            receiver_context_tag: ContextTag::new(5).unwrap(),
        },
        &Options::default(),
    )
    .unwrap();
    let zero_tag = msg::build(
        Message::I1 {
            initiator_context_tag: ContextTag::new(0).unwrap(),
            initiator_nonce: 6,
        },
        &Options::default(),
    )
    .unwrap();
    let cases: [(&[u8], Addr, &str); 6] = [
        (&bad_sum, b1(), "bad checksum"),
        (&i1[..12], b1(), "truncated"),
        (&i1, b2(), "not for this host's ULID"),
        (&zero_tag, b1(), "context tag 0"),
        (&r1, b1(), "no context waits for it"),
        (&keepalive, b1(), "no context waits for it"),
    ];
    for (bytes, dst, why) in cases {
        let out = b(&mut net, a1(), dst, bytes);
        assert!(
            out.packets.is_empty() && out.kernel.is_empty(),
            "{why}: {out:?}"
        );
        let last = out.notes.last().map(Note::to_string).unwrap_or_default();
        assert_eq!(
            last,
            format!(
                "dropped a message (2001:db8:a1::1 -> {}): {why}",
                Ipv6Addr::from(dst)
            )
        );
    }
    assert!(net.hosts[B].engine.is_empty());
}

#[test]
fn shutdown_removes_what_the_kernel_has_once() {
    let mut net = Net::new();
    net.trigger(A);
    net.settle();
    for h in [A, B] {
        let tag = net.hosts[h].context().unwrap().local_tag;
        let out = net.hosts[h].engine.shutdown();
        assert_eq!(out.kernel, [KernelRequest::Del { local_tag: tag }]);
        net.hosts[h].apply(out);
        assert!(net.hosts[h].kernel.is_empty());
        assert_eq!(net.hosts[h].engine.shutdown(), Output::default());
    }
}

#[test]
fn the_log_says_what_went_where() {
    let mut net = Net::new();
    net.trigger(A);
    net.settle();
    let lines: Vec<String> = net.hosts[A].notes.iter().map(Note::to_string).collect();
    let tag = net.hosts[A].context().unwrap().local_tag;
    assert!(lines[0].ends_with(": starting the exchange"), "{lines:?}");
    assert_eq!(
        lines[1],
        format!("context 2001:db8:a1::1 2001:db8:b1::1 tag {tag:#x}: IDLE -> I1-SENT")
    );
    assert!(
        lines[2].starts_with(&format!("sent I1 tag {tag:#x} nonce 0x"))
            && lines[2].ends_with(" (2001:db8:a1::1 -> 2001:db8:b1::1)"),
        "{}",
        lines[2]
    );
    assert!(lines[3].starts_with("received R1 nonce 0x"), "{}", lines[3]);
    assert!(lines[3].contains(" validator ("), "{}", lines[3]);
    let words: Vec<&str> = lines
        .iter()
        .filter_map(|l| {
            l.strip_prefix("sent ")
                .or_else(|| l.strip_prefix("received "))
        })
        .map(|l| l.split(' ').next().unwrap())
        .collect();
    assert_eq!(words, ["I1", "R1", "I2", "R2"]);
    assert!(
        lines.last().unwrap().ends_with("I2-SENT -> ESTABLISHED"),
        "{lines:?}"
    );
}

/// An entropy whose context tags are scripted, the rest SplitMix's.
struct Tags(Vec<u64>, SplitMix);

impl Entropy for Tags {
    fn fill(&mut self, buf: &mut [u8]) {
        self.1.fill(buf);
    }
    fn u64(&mut self) -> u64 {
        self.0.remove(0)
    }
}

#[test]
fn context_tags_are_47_bits_not_zero_and_unique() {
    let script = vec![0, 0x8000_0000_0000 | 7, 7, u64::MAX, 0x8000_0000_0000, 9];
    let mut a = Host::new(&[a1(), a2()], Box::new(Tags(script, SplitMix(1))), |_| {});
    let peers = ["2001:db8:c::1", "2001:db8:c::2", "2001:db8:c::3"];
    for p in peers {
        let out = a.engine.handle(
            Input::Trigger(Pair {
                local: a1(),
                peer: ip(p),
            }),
            0,
        );
        a.apply(out);
    }
    let tags: Vec<u64> = peers
        .iter()
        .map(|p| {
            a.engine
                .context(&Pair {
                    local: a1(),
                    peer: ip(p),
                })
                .unwrap()
                .local_tag
        })
        .collect();
    // 0 skipped; the 48th bit dropped (7); 7 again skipped; u64::MAX's low
    // 47 bits; 2^47 is 0 once masked, skipped.
    assert_eq!(tags, [7, ContextTag::MAX, 9]);
}

#[test]
fn the_config_puts_the_ulid_first_and_refuses_what_the_kernel_would() {
    let c = Config::new(vec![a1(), a2()], Some(a2())).unwrap();
    assert_eq!((c.ulid, c.locators), (a2(), vec![a2(), a1()]));
    let c = Config::new(vec![a1(), a2()], None).unwrap();
    assert_eq!((c.ulid, c.locators), (a1(), vec![a1(), a2()]));
    let err = |l: Vec<Addr>, u: Option<Addr>| Config::new(l, u).unwrap_err();
    assert_eq!(err(vec![], None), "no locator");
    assert_eq!(
        err(vec![a1()], Some(b1())),
        "the ULID 2001:db8:b1::1 is not one of the locators"
    );
    assert_eq!(err(vec![a1(), a1()], None), "2001:db8:a1::1 is given twice");
    assert_eq!(
        err(vec![ip("ff02::1")], None),
        "ff02::1 cannot be a locator"
    );
    assert_eq!(err(vec![ip("::")], None), ":: cannot be a locator");
    let nine: Vec<Addr> = (1..=9).map(|i| ip(&format!("2001:db8::{i}"))).collect();
    assert_eq!(err(nine, None), "more than 8 locators");
}

// Context recovery (RFC 5533 §7.4, §7.17–§7.20): B loses the context (its
// daemon stops, deleting it from B's kernel, and a new one starts), A's
// kernel still sends payload on locator pair (a2, b2) with B's tag.

/// A net whose context was established, moved to pair (a2, b2) in A's
/// kernel (as `rv6 shim6 context set ... pair` does), and lost by B: B's
/// daemon removed it from B's kernel and a new engine runs.  Also the
/// tags, A's and B's, and how many messages were sent before.
fn lost_by_b(config: impl Fn(&mut Config)) -> (Net, u64, u64, usize) {
    let mut net = Net::with(&config);
    net.trigger(A);
    net.settle();
    net.assert_established();
    let ta = net.hosts[A].context().unwrap().local_tag;
    let tb = net.hosts[B].context().unwrap().local_tag;
    net.hosts[A].kernel.get_mut(&ta).unwrap().current = Pair {
        local: a2(),
        peer: b2(),
    };
    let out = net.hosts[B].engine.shutdown();
    let _ = net.hosts[B].apply(out);
    assert!(net.hosts[B].kernel.is_empty());
    let c = net.hosts[B].engine.config().clone();
    net.hosts[B].engine = Engine::new(c, Box::new(SplitMix(0xbb)), net.now);
    net.hosts[B].notes.clear();
    net.hosts[B].requests.clear();
    net.hosts[A].notes.clear();
    net.hosts[A].requests.clear();
    let mark = net.sent.len();
    (net, ta, tb, mark)
}

/// A payload packet from a2 with B's tag hits B's kernel, which has no
/// context for it: its `unknown-tag` event.
fn unknown_tag(net: &mut Net, tag: u64) {
    net.input(
        B,
        Input::UnknownTag {
            tag,
            local: b2(),
            peer: a2(),
        },
    );
}

/// The types of the messages `h` sent since the `from`th, in order.
fn sent_since(net: &Net, h: usize, from: usize) -> Vec<String> {
    net.sent[from..]
        .iter()
        .filter(|(_, by, _)| *by == h)
        .map(|(_, _, p)| kind(p))
        .collect()
}

/// B's context as recovered: the original tags, A's locators, ESTABLISHED,
/// and in B's kernel on the pair the I2bis came over, (b2, a2).
#[track_caller]
fn assert_recovered(net: &Net, ta: u64, tb: u64) {
    let b = &net.hosts[B];
    let cb = b.context().expect("B has no context");
    assert_eq!(
        (cb.state, cb.local_tag, cb.peer_tag, cb.installed),
        (State::Established, tb, Some(ta), Some(ta))
    );
    assert_eq!(cb.deadline, None);
    assert_eq!(
        b.kernel.values().collect::<Vec<_>>(),
        [&KernelContext {
            local_tag: tb,
            peer_tag: ta,
            ulid_local: b1(),
            ulid_peer: a1(),
            local_locators: vec![b1(), b2()],
            peer_locators: vec![a1(), a2()],
            current: Pair {
                local: b2(),
                peer: a2(),
            },
            send_timeout_ms: None,
            keepalive_timeout_ms: None,
        }]
    );
    let ca = net.hosts[A].context().unwrap();
    assert_eq!(
        (
            ca.state,
            ca.local_tag,
            ca.peer_tag,
            ca.installed,
            ca.deadline
        ),
        (State::Established, ta, Some(tb), Some(tb), None)
    );
}

#[test]
fn a_lost_context_is_recovered_with_r1bis_i2bis_r2_and_the_same_tags() {
    let (mut net, ta, tb, mark) = lost_by_b(|_| {});
    unknown_tag(&mut net, tb);
    net.settle();
    assert_eq!(sent_since(&net, B, mark), ["R1bis", "R2"]);
    assert_eq!(sent_since(&net, A, mark), ["I2bis"]);
    assert_recovered(&net, ta, tb);
    assert_eq!(
        states(&net.hosts[A]),
        ["ESTABLISHED -> I2BIS-SENT", "I2BIS-SENT -> ESTABLISHED"]
    );
    assert_eq!(states(&net.hosts[B]), ["IDLE -> ESTABLISHED"]);
    // A's kernel kept its context, and its pair: no request.
    assert!(
        net.hosts[A].requests.is_empty(),
        "{:?}",
        net.hosts[A].requests
    );
    assert_eq!(net.hosts[A].kernel[&ta].current.local, a2());
    assert_eq!(net.hosts[B].requests.len(), 1);
    assert!(net.hosts[A].dropped().is_empty() && net.hosts[B].dropped().is_empty());

    // Every message over the payload's locators, the I2bis naming the ULIDs.
    let msgs: Vec<&Packet> = net.sent[mark..].iter().map(|(_, _, p)| p).collect();
    for p in &msgs {
        let (src, dst) = if kind(p) == "I2bis" {
            (a2(), b2())
        } else {
            (b2(), a2())
        };
        assert_eq!((p.src, p.dst), (src, dst), "{}", kind(p));
    }
    let (r1bis, i2bis, r2) = (
        msg::parse(&msgs[0].bytes).unwrap(),
        msg::parse(&msgs[1].bytes).unwrap(),
        msg::parse(&msgs[2].bytes).unwrap(),
    );
    let Message::R1bis {
        packet_context_tag,
        responder_nonce,
    } = r1bis.message
    else {
        panic!("{r1bis:?}")
    };
    assert_eq!(packet_context_tag.get(), tb, "the R1bis echoes the tag");
    assert_eq!(r1bis.validator.map(<[u8]>::len), Some(32));
    let Message::I2bis {
        initiator_context_tag,
        initiator_nonce,
        responder_nonce: echoed,
        packet_context_tag: echoed_tag,
    } = i2bis.message
    else {
        panic!("{i2bis:?}")
    };
    assert_eq!(
        (initiator_context_tag.get(), echoed, echoed_tag.get()),
        (ta, responder_nonce, tb)
    );
    assert_eq!(i2bis.validator, r1bis.validator);
    assert_eq!(i2bis.locators, Some(vec![a1(), a2()]));
    let u = i2bis.ulids.expect("no ULID Pair option in the I2bis");
    assert_eq!((u.sender, u.receiver), (a1(), b1()));
    assert_eq!(
        r2.message,
        Message::R2 {
            responder_context_tag: ContextTag::new(tb).unwrap(),
            initiator_nonce,
        }
    );
    assert_eq!(r2.locators, Some(vec![b1(), b2()]));
}

/// `p`, an I2bis, with its validator, Packet Context Tag or source changed
/// by `change` (the checksum made right again).
fn rebuilt_i2bis(p: &mut Packet, change: &dyn Fn(&mut Vec<u8>, &mut u64, &mut Addr)) {
    let c = msg::parse(&p.bytes).unwrap();
    let Message::I2bis {
        initiator_context_tag,
        initiator_nonce,
        responder_nonce,
        packet_context_tag,
    } = c.message
    else {
        panic!("not an I2bis: {c:?}")
    };
    let mut validator = c.validator.unwrap().to_vec();
    let mut tag = packet_context_tag.get();
    change(&mut validator, &mut tag, &mut p.src);
    let locators = c.locators.clone().unwrap();
    p.bytes = msg::build(
        Message::I2bis {
            initiator_context_tag,
            initiator_nonce,
            responder_nonce,
            packet_context_tag: ContextTag::new(tag).unwrap(),
        },
        &Options {
            validator: (!validator.is_empty()).then_some(&validator[..]),
            locators: Some((0, &locators)),
            ulids: c.ulids,
            ..Options::default()
        },
    )
    .unwrap();
}

fn refused_i2bis(change: &dyn Fn(&mut Vec<u8>, &mut u64, &mut Addr), why: Why) {
    let (mut net, ta, tb, mark) = lost_by_b(|_| {});
    unknown_tag(&mut net, tb);
    net.run(net.now + 600 * SEC, &mut |_, p| {
        if kind(p) == "I2bis" {
            rebuilt_i2bis(p, change);
        }
        Fate::Deliver
    });
    // The I2bis and its I2bis_RETRIES_MAX (2) retransmissions, each
    // refused, then A starts afresh with an I1 (§7.19).
    assert_eq!(
        sent_since(&net, A, mark),
        ["I2bis", "I2bis", "I2bis", "I1", "I2"]
    );
    assert_eq!(sent_since(&net, B, mark), ["R1bis", "R1", "R2"]);
    assert_eq!(net.hosts[B].dropped(), vec![why; 3]);
    // The new exchange set the context up under a new tag of B's, which A's
    // kernel took over (its context re-added on the pair it used).
    let cb = net.hosts[B].context().unwrap();
    assert_ne!(cb.local_tag, tb);
    assert_eq!(cb.peer_tag, Some(ta));
    let ka: Vec<&KernelContext> = net.hosts[A].kernel.values().collect();
    assert_eq!(ka.len(), 1);
    assert_eq!((ka[0].local_tag, ka[0].peer_tag), (ta, cb.local_tag));
    assert_eq!(
        ka[0].current,
        Pair {
            local: a2(),
            peer: b2()
        }
    );
    assert_eq!(
        net.hosts[A].requests,
        [
            KernelRequest::Del { local_tag: ta },
            KernelRequest::Add(ka[0].clone())
        ]
    );
}

#[test]
fn an_i2bis_with_a_bad_validator_is_refused() {
    refused_i2bis(&|v, _, _| v[5] ^= 1, Why::BadValidator);
}

#[test]
fn an_i2bis_for_another_packet_tag_or_from_another_locator_is_refused() {
    refused_i2bis(&|_, t, _| *t ^= 1, Why::BadValidator);
    refused_i2bis(&|_, _, src| *src = a1(), Why::BadValidator);
}

#[test]
fn an_i2bis_without_a_validator_is_refused() {
    refused_i2bis(&|v, _, _| v.clear(), Why::NoValidator);
}

/// A's first I2bis, held back and delivered to B `after` its R1bis.
fn late_i2bis(after: u64) -> (Net, u64, u64, Output) {
    let (mut net, ta, tb, _) = lost_by_b(|c| c.secret_lifetime = 60 * SEC);
    unknown_tag(&mut net, tb);
    // The wire alone, no time passing: A's I2bis stays unanswered.
    let mut held = None;
    while let Some((from, p)) = net.queue.pop_front() {
        if kind(&p) == "I2bis" && held.is_none() {
            held = Some(p);
        } else {
            net.deliver(from, &p);
        }
    }
    let i2bis = held.expect("an I2bis");
    let mut t = net.now;
    let start = t;
    while t < start + after {
        t += SEC;
        let _ = net.hosts[B].engine.handle(Input::Tick, t);
    }
    let out = net.hosts[B].engine.handle(
        Input::Packet {
            src: i2bis.src,
            dst: i2bis.dst,
            bytes: &i2bis.bytes,
        },
        start + after,
    );
    (net, ta, tb, out)
}

#[test]
fn an_r1bis_validator_outlives_one_secret_change_but_not_two() {
    let (_, _, tb, out) = late_i2bis(61 * SEC);
    assert_eq!(out.packets.iter().map(kind).collect::<Vec<_>>(), ["R2"]);
    assert!(
        matches!(&out.kernel[..], [KernelRequest::Add(c)] if c.local_tag == tb),
        "{out:?}"
    );
    let (_, _, _, out) = late_i2bis(121 * SEC);
    assert!(out.packets.is_empty() && out.kernel.is_empty(), "{out:?}");
    assert!(out.notes.contains(&Note::Dropped {
        src: a2(),
        dst: b2(),
        why: Why::BadValidator
    }));
}

#[test]
fn an_r1bis_for_a_tag_a_does_not_have_is_ignored() {
    let (mut net, ta, tb, mark) = lost_by_b(|_| {});
    unknown_tag(&mut net, tb ^ 0x5a5a);
    net.settle();
    assert_eq!(sent_since(&net, B, mark), ["R1bis"]);
    assert_eq!(sent_since(&net, A, mark), Vec::<String>::new());
    assert_eq!(net.hosts[A].dropped(), [Why::NoContext]);
    let ca = net.hosts[A].context().unwrap();
    assert_eq!(
        (ca.state, ca.peer_tag, ca.deadline),
        (State::Established, Some(tb), None)
    );
    assert!(net.hosts[B].engine.is_empty(), "an R1bis made state");

    // The right tag, but from an address that is none of B's locators, or
    // without a validator: dropped too.
    let r1bis = |validator: Option<&[u8]>| {
        msg::build(
            Message::R1bis {
                packet_context_tag: ContextTag::new(tb).unwrap(),
                responder_nonce: 7,
            },
            &Options {
                validator,
                ..Options::default()
            },
        )
        .unwrap()
    };
    let foreign = ip("2001:db8:ff::1");
    let a = &mut net.hosts[A];
    for (src, bytes, why) in [
        (foreign, r1bis(Some(&[1; 32])), Why::NoContext),
        (b2(), r1bis(None), Why::NoValidator),
    ] {
        let out = a.engine.handle(
            Input::Packet {
                src,
                dst: a2(),
                bytes: &bytes,
            },
            net.now,
        );
        assert!(out.packets.is_empty() && out.kernel.is_empty(), "{out:?}");
        assert!(
            out.notes.contains(&Note::Dropped {
                src,
                dst: a2(),
                why
            }),
            "{out:?}"
        );
    }
    assert_eq!(
        a.engine.context(&pair(A)).unwrap().state,
        State::Established
    );
    assert_eq!(a.engine.context(&pair(A)).unwrap().local_tag, ta);
}

#[test]
fn unknown_tags_that_are_not_lost_contexts_get_no_r1bis() {
    let (mut net, _, tb, mark) = lost_by_b(|_| {});
    // Not to one of B's locators, from B itself, tag 0.
    for (tag, local, peer) in [(tb, a2(), a1()), (tb, b2(), b1()), (0, b2(), a2())] {
        net.input(B, Input::UnknownTag { tag, local, peer });
    }
    assert_eq!(sent_since(&net, B, mark), Vec::<String>::new());
    // A tag of a context B's daemon has.
    unknown_tag(&mut net, tb);
    net.settle();
    let mark = net.sent.len();
    unknown_tag(&mut net, tb);
    assert_eq!(sent_since(&net, B, mark), Vec::<String>::new());
    let outcomes: Vec<&str> = net.hosts[B]
        .notes
        .iter()
        .filter_map(|n| match n {
            Note::UnknownTag { outcome, .. } => Some(*outcome),
            _ => None,
        })
        .collect();
    assert_eq!(
        outcomes,
        [
            "ignored: not to one of this host's locators",
            "ignored: from this host",
            "ignored: not a context tag",
            "sending an R1bis",
            "ignored: a context of this daemon has the tag",
        ]
    );
}

/// Recovers with the first message of type `lose` lost; gives the net and
/// how many messages were sent before the recovery.
fn recovered_despite(lose: &str) -> (Net, usize) {
    let (mut net, ta, tb, mark) = lost_by_b(|_| {});
    unknown_tag(&mut net, tb);
    let mut lost = false;
    net.run(net.now + 600 * SEC, &mut |_, p| {
        if kind(p) == lose && !lost {
            lost = true;
            Fate::Lose
        } else {
            Fate::Deliver
        }
    });
    assert!(lost);
    assert_recovered(&net, ta, tb);
    assert_eq!(sent_since(&net, A, mark), ["I2bis", "I2bis"]);
    // Retransmitted as sent: the same nonces and validator.
    let i2bis: Vec<&Packet> = net.sent[mark..]
        .iter()
        .filter(|(_, _, p)| kind(p) == "I2bis")
        .map(|(_, _, p)| p)
        .collect();
    assert_eq!(i2bis[0], i2bis[1]);
    // After I2bis_TIMEOUT (4 s, randomized over [2, 6) s).
    let at: Vec<u64> = net.sent[mark..]
        .iter()
        .filter(|(_, _, p)| kind(p) == "I2bis")
        .map(|(t, _, _)| *t)
        .collect();
    assert!((2 * SEC..6 * SEC).contains(&(at[1] - at[0])), "{at:?}");
    assert_eq!(net.hosts[B].requests.len(), 1, "B installed twice");
    assert!(net.hosts[A].requests.is_empty());
    (net, mark)
}

#[test]
fn a_lost_r2_after_an_i2bis_is_sent_again_for_its_retransmission() {
    let (net, mark) = recovered_despite("R2");
    assert_eq!(sent_since(&net, B, mark), ["R1bis", "R2", "R2"]);
}

#[test]
fn a_lost_i2bis_is_retransmitted() {
    let (net, mark) = recovered_despite("I2bis");
    assert_eq!(sent_since(&net, B, mark), ["R1bis", "R2"]);
}

// Updating the peer (RFC 5533 §10) and Error Messages (§5.14, §12.3).

fn a3() -> Addr {
    ip("2001:db8:a3::1")
}

fn ctag(v: u64) -> ContextTag {
    ContextTag::new(v).unwrap()
}

/// An established net with its notes and kernel requests cleared; the
/// tags, A's and B's, and how many messages were sent before.
fn established_net() -> (Net, u64, u64, usize) {
    let mut net = Net::new();
    net.trigger(A);
    net.settle();
    net.assert_established();
    let ta = net.hosts[A].context().unwrap().local_tag;
    let tb = net.hosts[B].context().unwrap().local_tag;
    for h in &mut net.hosts {
        h.notes.clear();
        h.requests.clear();
    }
    let mark = net.sent.len();
    (net, ta, tb, mark)
}

/// Host `h`'s locators and preferences are now these.
fn relocate(net: &mut Net, h: usize, locators: &[Addr], preferences: &[(Addr, LocatorPreference)]) {
    net.input(
        h,
        Input::Locators {
            locators,
            preferences,
        },
    );
}

/// The messages of type `name` sent since the `from`th: when, and what.
fn sent_of(net: &Net, from: usize, name: &str) -> Vec<(u64, Packet)> {
    net.sent[from..]
        .iter()
        .filter(|(_, _, p)| kind(p) == name)
        .map(|(t, _, p)| (*t, p.clone()))
        .collect()
}

/// The Update Request's receiver tag and nonce.
fn request(p: &Packet) -> (u64, u32) {
    match msg::parse(&p.bytes).unwrap().message {
        Message::UpdateRequest {
            receiver_context_tag,
            request_nonce,
        } => (receiver_context_tag.get(), request_nonce),
        m => panic!("not an Update Request: {m:?}"),
    }
}

/// Host `h`'s log lines about updates.
fn updates(h: &Host) -> Vec<String> {
    h.notes
        .iter()
        .filter(|n| matches!(n, Note::Update { .. } | Note::Locators { .. }))
        .map(Note::to_string)
        .collect()
}

#[test]
fn a_new_locator_goes_in_an_update_request_the_peer_records_and_acknowledges() {
    let (mut net, ta, tb, mark) = established_net();
    let g = net.hosts[B].context().unwrap().peer_generation.unwrap();
    relocate(&mut net, A, &[a1(), a2(), a3()], &[]);
    // A's kernel takes the new local set at once; its current pair stays.
    assert_eq!(
        net.hosts[A].sets,
        [ContextSet {
            local_tag: ta,
            local: Some(SideSet {
                set: vec![a1(), a2(), a3()],
                usable: vec![a1(), a2(), a3()],
            }),
            peer: None,
        }]
    );
    assert_eq!(
        net.hosts[A].plans,
        [SetPlan {
            local_tag: ta,
            local_locators: Some(vec![a1(), a2(), a3()]),
            peer_locators: None,
            current: None,
        }]
    );
    net.settle();
    assert_eq!(sent_since(&net, A, mark), ["Update-Request"]);
    assert_eq!(sent_since(&net, B, mark), ["Update-Ack"]);
    let (ur, ua) = (&net.sent[mark].2, &net.sent[mark + 1].2);
    // Between the ULIDs, B's tag in the request and A's in the answer,
    // which echoes the nonce (§10.4).
    assert_eq!((ur.src, ur.dst, ua.src, ua.dst), (a1(), b1(), b1(), a1()));
    let (to, nonce) = request(ur);
    assert_eq!(to, tb);
    let c = msg::parse(&ur.bytes).unwrap();
    assert_eq!(c.locators, Some(vec![a1(), a2(), a3()]));
    assert_eq!(c.list.unwrap().generation, g.wrapping_add(1));
    assert_eq!(c.preferences, None);
    assert_eq!(
        msg::parse(&ua.bytes).unwrap().message,
        Message::UpdateAck {
            receiver_context_tag: ctag(ta),
            request_nonce: nonce,
        }
    );
    // B's context has the new locators and generation, and so has its
    // kernel's, through a context-set.
    let cb = net.hosts[B].context().unwrap();
    assert_eq!(cb.peer_locators, [a1(), a2(), a3()]);
    assert_eq!(cb.peer_generation, Some(g.wrapping_add(1)));
    assert_eq!(
        net.hosts[B].sets,
        [ContextSet {
            local_tag: tb,
            local: None,
            peer: Some(SideSet {
                set: vec![a1(), a2(), a3()],
                usable: vec![a1(), a2(), a3()],
            }),
        }]
    );
    assert_eq!(
        net.hosts[B].plans,
        [SetPlan {
            local_tag: tb,
            local_locators: None,
            peer_locators: Some(vec![a1(), a2(), a3()]),
            current: None,
        }]
    );
    assert_eq!(net.hosts[B].kernel[&tb].peer_locators, [a1(), a2(), a3()]);
    // A is done: nothing pending, no timer.
    let ca = net.hosts[A].context().unwrap();
    assert_eq!((ca.pending_update, ca.deadline), (None, None));
    assert!(net.hosts[A].dropped().is_empty() && net.hosts[B].dropped().is_empty());
    assert!(net.hosts[A].requests.is_empty() && net.hosts[B].requests.is_empty());
    assert_eq!(
        updates(&net.hosts[A]),
        [
            format!(
                "locators: 2001:db8:a1::1,2001:db8:a2::1,2001:db8:a3::1 generation {:#x}, \
                 telling 1 context(s)",
                g.wrapping_add(1)
            ),
            format!(
                "context 2001:db8:a1::1 2001:db8:b1::1: Update Request {nonce:#010x} acknowledged"
            ),
        ]
    );
    assert_eq!(
        updates(&net.hosts[B]),
        [format!(
            "context 2001:db8:b1::1 2001:db8:a1::1: peer locators \
             2001:db8:a1::1,2001:db8:a2::1,2001:db8:a3::1 generation {:#x}",
            g.wrapping_add(1)
        )]
    );
}

#[test]
fn a_lost_update_request_is_retransmitted_with_its_nonce_the_timeout_doubling() {
    let (mut net, _, _, mark) = established_net();
    relocate(&mut net, A, &[a1(), a2(), a3()], &[]);
    let mut lost = 0;
    net.run(net.now + 600 * SEC, &mut |_, p| {
        if kind(p) == "Update-Request" && lost < 3 {
            lost += 1;
            Fate::Lose
        } else {
            Fate::Deliver
        }
    });
    assert_eq!(sent_since(&net, A, mark), ["Update-Request"; 4]);
    assert_eq!(sent_since(&net, B, mark), ["Update-Ack"]);
    let urs = sent_of(&net, mark, "Update-Request");
    // The same request each time (§10.1: the same nonce), after
    // UPDATE_TIMEOUT (4 s), then 8, then 16, each randomized over [0.5,
    // 1.5) of it (§10.2).
    for (k, w) in urs.windows(2).enumerate() {
        assert_eq!(w[0].1, w[1].1);
        let nominal = (4 * SEC) << k;
        let gap = w[1].0 - w[0].0;
        assert!((nominal / 2..nominal * 3 / 2).contains(&gap), "{k}: {gap}");
    }
    assert_eq!(net.hosts[A].context().unwrap().pending_update, None);
    assert_eq!(
        net.hosts[B].context().unwrap().peer_locators,
        [a1(), a2(), a3()]
    );
    assert_eq!(net.hosts[B].sets.len(), 1);
}

#[test]
fn unanswered_update_requests_go_on_backing_off_to_two_minutes() {
    let (mut net, _, _, mark) = established_net();
    relocate(&mut net, A, &[a1(), a2(), a3()], &[]);
    for _ in 0..10 {
        assert!(net.step(&mut |_, _| Fate::Lose));
    }
    // No retry limit (§10.2): the request and 10 retransmissions, the
    // timeout 4, 8, 16, 32, 64 s and then MAX_UPDATE_TIMEOUT (120 s).
    let at: Vec<u64> = sent_of(&net, mark, "Update-Request")
        .iter()
        .map(|(t, _)| *t)
        .collect();
    assert_eq!(at.len(), 11);
    for (k, w) in at.windows(2).enumerate() {
        let nominal = ((4 * SEC) << k).min(120 * SEC);
        let gap = w[1] - w[0];
        assert!((nominal / 2..nominal * 3 / 2).contains(&gap), "{k}: {gap}");
    }
    assert!(net.hosts[A].context().unwrap().pending_update.is_some());
}

#[test]
fn a_lost_acknowledgement_is_sent_again_for_the_retransmission_and_nothing_redone() {
    let (mut net, _, _, mark) = established_net();
    relocate(&mut net, A, &[a1(), a2(), a3()], &[]);
    let mut lost = false;
    net.run(net.now + 600 * SEC, &mut |_, p| {
        if kind(p) == "Update-Ack" && !lost {
            lost = true;
            Fate::Lose
        } else {
            Fate::Deliver
        }
    });
    assert_eq!(sent_since(&net, A, mark), ["Update-Request"; 2]);
    assert_eq!(sent_since(&net, B, mark), ["Update-Ack"; 2]);
    let uas = sent_of(&net, mark, "Update-Ack");
    assert_eq!(uas[0].1, uas[1].1);
    // B's kernel was told once; its log says the second was a repeat.
    assert_eq!(net.hosts[B].sets.len(), 1);
    let (_, nonce) = request(&net.sent[mark].2);
    assert_eq!(
        updates(&net.hosts[B])[1],
        format!(
            "context 2001:db8:b1::1 2001:db8:a1::1: Update Request {nonce:#010x} again: \
             acknowledged again"
        )
    );
    assert_eq!(net.hosts[A].context().unwrap().pending_update, None);
}

#[test]
fn a_newer_change_replaces_the_request_and_stale_nonces_are_ignored_both_ways() {
    let (mut net, ta, tb, mark) = established_net();
    relocate(&mut net, A, &[a1(), a2(), a3()], &[]);
    let (_, first) = request(&net.queue[0].1);
    // Before the request goes, a newer change abandons it (§10.3): a new
    // request, nonce and generation, carrying all of it.
    relocate(&mut net, A, &[a1(), a3()], &[]);
    let (_, second) = request(&net.queue[1].1);
    assert_ne!(first, second);
    assert_eq!(net.hosts[A].context().unwrap().pending_update, Some(second));
    // An acknowledgement with a nonce that is not the pending one: ignored.
    let ack = |nonce| {
        msg::build(
            Message::UpdateAck {
                receiver_context_tag: ctag(ta),
                request_nonce: nonce,
            },
            &Options::default(),
        )
        .unwrap()
    };
    let forged = ack(second ^ 1);
    let out = net.hosts[A].engine.handle(
        Input::Packet {
            src: b1(),
            dst: a1(),
            bytes: &forged,
        },
        net.now,
    );
    assert!(out.packets.is_empty() && out.kernel.is_empty());
    assert!(out.notes.contains(&Note::Dropped {
        src: b1(),
        dst: a1(),
        why: Why::WrongNonce
    }));
    // Both requests arrive, in order: B acknowledges each; the first's
    // acknowledgement is stale at A.
    let stale = net.queue[0].1.clone();
    net.settle();
    assert_eq!(sent_since(&net, B, mark), ["Update-Ack"; 2]);
    assert_eq!(net.hosts[A].dropped(), [Why::WrongNonce]);
    assert_eq!(net.hosts[A].context().unwrap().pending_update, None);
    assert_eq!(net.hosts[B].context().unwrap().peer_locators, [a1(), a3()]);
    assert_eq!(
        net.hosts[B].kernel[&tb].peer_locators,
        [a1(), a3()],
        "the kernel has the newer list"
    );
    // A copy of the first request, late: older than the one B has, dropped
    // without an answer; B keeps the newer list.
    let sent = net.sent.len();
    net.deliver(A, &stale);
    assert_eq!(net.sent.len(), sent);
    assert_eq!(net.hosts[B].dropped(), [Why::StaleRequest]);
    assert_eq!(net.hosts[B].context().unwrap().peer_locators, [a1(), a3()]);
}

#[test]
fn an_update_request_for_a_tag_or_from_a_locator_b_does_not_have_gets_an_r1bis() {
    let (mut net, _, tb, _) = established_net();
    let ur = |tag| {
        msg::build(
            Message::UpdateRequest {
                receiver_context_tag: ctag(tag),
                request_nonce: 7,
            },
            &Options {
                locators: Some((1, &[a3()])),
                ..Options::default()
            },
        )
        .unwrap()
    };
    // Another tag (§10.4: no context), or B's tag from an address that is
    // none of A's locators (a stale context of another host's).
    for (tag, src, why) in [
        (tb ^ 1, a1(), Why::NoContext),
        (tb, a3(), Why::ForeignLocators),
    ] {
        let bytes = ur(tag);
        let out = net.hosts[B].engine.handle(
            Input::Packet {
                src,
                dst: b1(),
                bytes: &bytes,
            },
            net.now,
        );
        assert!(out.notes.contains(&Note::Dropped {
            src,
            dst: b1(),
            why
        }));
        let [p] = &out.packets[..] else {
            panic!("{out:?}")
        };
        assert_eq!((kind(p), p.src, p.dst), ("R1bis".to_string(), b1(), src));
        let Message::R1bis {
            packet_context_tag, ..
        } = msg::parse(&p.bytes).unwrap().message
        else {
            panic!()
        };
        assert_eq!(packet_context_tag.get(), tag);
        assert!(out.kernel.is_empty());
    }
    assert_eq!(net.hosts[B].context().unwrap().peer_locators, [a1(), a2()]);
}

#[test]
fn an_update_request_before_the_context_is_established_is_discarded_or_repeats_the_i2() {
    let mut net = Net::new();
    net.trigger(A);
    let ta = net.hosts[A].context().unwrap().local_tag;
    let ur = msg::build(
        Message::UpdateRequest {
            receiver_context_tag: ctag(ta),
            request_nonce: 7,
        },
        &Options::default(),
    )
    .unwrap();
    let send = |net: &mut Net| {
        net.hosts[A].engine.handle(
            Input::Packet {
                src: b1(),
                dst: a1(),
                bytes: &ur,
            },
            net.now,
        )
    };
    // I1-SENT: discarded (§10.4).
    let out = send(&mut net);
    assert!(out.packets.is_empty());
    assert!(out.notes.contains(&Note::Dropped {
        src: b1(),
        dst: a1(),
        why: Why::NotEstablished
    }));
    // I2-SENT: the I2 again (§10.4), no acknowledgement before the R2.
    net.run(0, &mut |from, p| {
        if from == B && kind(p) == "R2" {
            Fate::Lose
        } else {
            Fate::Deliver
        }
    });
    assert_eq!(net.hosts[A].state(), Some(State::I2Sent));
    let out = send(&mut net);
    assert_eq!(out.packets.iter().map(kind).collect::<Vec<_>>(), ["I2"]);
}

#[test]
fn preferences_go_with_the_list_and_the_peer_records_them() {
    let (mut net, _, _, mark) = established_net();
    let g = net.hosts[B].context().unwrap().peer_generation.unwrap();
    let broken = LocatorPreference {
        flags: LOCATOR_BROKEN,
        priority: Some(10),
        weight: None,
    };
    relocate(&mut net, A, &[a1(), a2()], &[(a2(), broken)]);
    // The list is the same: its generation stays, and the kernels' sets and
    // current pair (a1 is not BROKEN) too.
    assert!(net.hosts[A].plans.is_empty());
    net.settle();
    let urs = sent_of(&net, mark, "Update-Request");
    let c = msg::parse(&urs[0].1.bytes).unwrap();
    assert_eq!(c.locators, Some(vec![a1(), a2()]));
    assert_eq!(c.list.unwrap().generation, g);
    let p = c.preferences.unwrap();
    assert_eq!((p.generation, p.element_len), (g, 2));
    let elements = vec![
        LocatorPreference {
            flags: 0,
            priority: Some(0),
            weight: None,
        },
        broken,
    ];
    assert_eq!(p.elements, elements);
    assert_eq!(sent_since(&net, B, mark), ["Update-Ack"]);
    let cb = net.hosts[B].context().unwrap();
    assert_eq!(cb.peer_preferences, elements);
    assert!(net.hosts[B].plans.is_empty());
    // The same again: nothing to tell.
    let sent = net.sent.len();
    relocate(&mut net, A, &[a1(), a2()], &[(a2(), broken)]);
    assert_eq!(net.sent.len(), sent);
}

#[test]
fn a_current_locator_flagged_broken_moves_both_kernels_pairs() {
    let (mut net, ta, tb, mark) = established_net();
    let broken = LocatorPreference {
        flags: LOCATOR_BROKEN,
        priority: None,
        weight: None,
    };
    relocate(&mut net, A, &[a1(), a2()], &[(a1(), broken)]);
    // A's current local locator, its ULID, is BROKEN now: A's kernel moves
    // to a2 in the same context-set.
    assert_eq!(
        net.hosts[A].sets[0].local,
        Some(SideSet {
            set: vec![a1(), a2()],
            usable: vec![a2()],
        })
    );
    assert_eq!(
        net.hosts[A].plans,
        [SetPlan {
            local_tag: ta,
            local_locators: None,
            peer_locators: None,
            current: Some(Pair {
                local: a2(),
                peer: b1()
            }),
        }]
    );
    net.settle();
    // The request leaves from a2; B records the preferences and moves its
    // current peer locator off a1.
    let urs = sent_of(&net, mark, "Update-Request");
    assert_eq!((urs[0].1.src, urs[0].1.dst), (a2(), b1()));
    assert_eq!(
        net.hosts[B].plans,
        [SetPlan {
            local_tag: tb,
            local_locators: None,
            peer_locators: None,
            current: Some(Pair {
                local: b1(),
                peer: a2()
            }),
        }]
    );
    assert_eq!(
        net.hosts[B].kernel[&tb].current,
        Pair {
            local: b1(),
            peer: a2()
        }
    );
    assert_eq!(net.hosts[A].context().unwrap().pending_update, None);
}

#[test]
fn a_context_set_leaves_a_pair_someone_else_chose_while_it_stays_usable() {
    let (mut net, ta, _, _) = established_net();
    // REAP or a person moved A's kernel context to (a2, b2).
    let moved = Pair {
        local: a2(),
        peer: b2(),
    };
    net.hosts[A].kernel.get_mut(&ta).unwrap().current = moved;
    relocate(&mut net, A, &[a1(), a2(), a3()], &[]);
    assert_eq!(net.hosts[A].plans[0].current, None);
    assert_eq!(net.hosts[A].kernel[&ta].current, moved);
    // a2 goes: the kernel's pair moves to the best of what is left, a1,
    // and keeps its peer locator.
    relocate(&mut net, A, &[a1(), a3()], &[]);
    assert_eq!(
        net.hosts[A].plans[1],
        SetPlan {
            local_tag: ta,
            local_locators: Some(vec![a1(), a3()]),
            peer_locators: None,
            current: Some(Pair {
                local: a1(),
                peer: b2()
            }),
        }
    );
}

#[test]
fn a_side_s_current_locator_goes_to_the_best_usable_one_in_its_set() {
    let side = |set: &[Addr], usable: &[Addr]| SideSet {
        set: set.to_vec(),
        usable: usable.to_vec(),
    };
    // Kept while in the set and usable, even when not the best.
    assert_eq!(side(&[a1(), a2()], &[a1(), a2()]).current_after(a2()), a2());
    // Gone from the set, or no longer usable: the best usable one.
    assert_eq!(side(&[a1(), a3()], &[a3(), a1()]).current_after(a2()), a3());
    assert_eq!(side(&[a1(), a2()], &[a2()]).current_after(a1()), a2());
    // Nothing usable: kept if the set keeps it, else the set's first (the
    // ULID, which the family keeps in it).
    assert_eq!(side(&[a1(), a2()], &[]).current_after(a2()), a2());
    assert_eq!(side(&[a1(), a3()], &[]).current_after(a2()), a1());
    // A side not given is left alone.
    let set = ContextSet {
        local_tag: 1,
        local: None,
        peer: Some(side(&[b1(), b2()], &[b2()])),
    };
    assert_eq!(
        set.current_after(Pair {
            local: a3(),
            peer: b1()
        }),
        Pair {
            local: a3(),
            peer: b2()
        }
    );
}

/// B's answer to `bytes` from a1: its only packet, an Error Message to a1,
/// as code, pointer and packet in error; and its notes.
fn error_from_b(net: &mut Net, bytes: &[u8]) -> (u8, u16, Vec<u8>, Vec<Note>) {
    let out = net.hosts[B].engine.handle(
        Input::Packet {
            src: a1(),
            dst: b1(),
            bytes,
        },
        net.now,
    );
    let [p] = &out.packets[..] else {
        panic!("{out:?}")
    };
    assert_eq!((p.src, p.dst), (b1(), a1()));
    match msg::parse(&p.bytes).unwrap().message {
        Message::Error {
            code,
            pointer,
            packet_in_error,
        } => (code, pointer, packet_in_error.to_vec(), out.notes),
        m => panic!("not an Error: {m:?}"),
    }
}

#[test]
fn preferences_for_another_generation_or_number_of_locators_get_errors_3_and_4() {
    let (mut net, _, tb, _) = established_net();
    let g = net.hosts[B].context().unwrap().peer_generation.unwrap();
    let ours = [a1(), a2()];
    let ur = |list: Option<u32>, pref: u32, elements: &[u8]| {
        msg::build(
            Message::UpdateRequest {
                receiver_context_tag: ctag(tb),
                request_nonce: pref,
            },
            &Options {
                locators: list.map(|g| (g, &ours[..])),
                preferences: Some(PreferenceBytes {
                    generation: pref,
                    element_len: 1,
                    elements,
                }),
                ..Options::default()
            },
        )
        .unwrap()
    };
    // Preferences alone, for a generation B does not have: code 3, the
    // Pointer at their Locator List Generation (§10.4): the option right
    // after the 16 fixed bytes, 4 more, and the 40 of the IPv6 header.
    let bytes = ur(None, g ^ 5, &[0, 0]);
    let (code, pointer, packet, notes) = error_from_b(&mut net, &bytes);
    assert_eq!((code, pointer), (ERR_GENERATION_OUT_OF_SYNC, 40 + 16 + 4));
    assert_eq!(packet, msg::packet_in_error(a1(), b1(), &bytes));
    assert!(notes.contains(&Note::Dropped {
        src: a1(),
        dst: b1(),
        why: Why::GenerationOutOfSync
    }));
    assert!(net.hosts[B].context().unwrap().peer_preferences.is_empty());
    // A new list of 2 with 3 preferences: code 4, the Pointer at their
    // Length (the list takes 48 bytes after the 16).  The list was
    // verified and recorded before (§10.4), not acknowledged.
    let bytes = ur(Some(g + 1), g + 1, &[0, 0, 0]);
    let (code, pointer, _, notes) = error_from_b(&mut net, &bytes);
    assert_eq!((code, pointer), (ERR_PREFERENCE_COUNT, 40 + 64 + 2));
    assert!(notes.contains(&Note::Dropped {
        src: a1(),
        dst: b1(),
        why: Why::PreferenceCount
    }));
    let cb = net.hosts[B].context().unwrap();
    assert_eq!(
        (cb.peer_generation, cb.peer_preferences),
        (Some(g + 1), vec![])
    );
    // The right ones are recorded and acknowledged.
    let bytes = ur(Some(g + 2), g + 2, &[0, LOCATOR_BROKEN]);
    let out = net.hosts[B].engine.handle(
        Input::Packet {
            src: a1(),
            dst: b1(),
            bytes: &bytes,
        },
        net.now,
    );
    assert_eq!(
        out.packets.iter().map(kind).collect::<Vec<_>>(),
        ["Update-Ack"]
    );
    assert_eq!(
        net.hosts[B].context().unwrap().peer_preferences[1].flags,
        LOCATOR_BROKEN
    );
}

#[test]
fn a_locator_that_cannot_be_verified_gets_error_2_which_stops_the_request() {
    let (mut net, _, tb, mark) = established_net();
    relocate(&mut net, A, &[a1(), a2(), a3()], &[]);
    // On the wire the first locator's verification method becomes 201
    // (experimental: none this host can apply).
    net.run(net.now + 600 * SEC, &mut |_, p| {
        if kind(p) == "Update-Request" {
            p.bytes[16 + 9] = 201;
            ControlHeader::new_checked(&mut p.bytes[..])
                .unwrap()
                .fill_checksum();
        }
        Fate::Deliver
    });
    // B refuses it with code 2, the Pointer at that method's octet (§10.4),
    // and keeps A's locators as they were.
    assert_eq!(sent_since(&net, B, mark), ["Error"]);
    let errors = sent_of(&net, mark, "Error");
    let e = msg::parse(&errors[0].1.bytes).unwrap();
    let Message::Error { code, pointer, .. } = e.message else {
        panic!("{e:?}")
    };
    assert_eq!((code, pointer), (ERR_VERIFICATION_FAILED, 40 + 16 + 9));
    assert_eq!(
        net.hosts[B].dropped(),
        [Why::Unverified(Unverified {
            locator: 0,
            why: Failure::Refused(shim6::Why::UnknownMethod(201))
        })]
    );
    assert_eq!(net.hosts[B].context().unwrap().peer_locators, [a1(), a2()]);
    assert!(net.hosts[B].sets.is_empty());
    // A hears that its request will not be processed: no retransmission.
    assert_eq!(sent_since(&net, A, mark), ["Update-Request"]);
    let ca = net.hosts[A].context().unwrap();
    assert_eq!(
        (ca.pending_update, ca.deadline, ca.state),
        (None, None, State::Established)
    );
    let (_, nonce) = request(&sent_of(&net, mark, "Update-Request")[0].1);
    let line = net.hosts[A]
        .notes
        .iter()
        .find(|n| matches!(n, Note::PeerError { .. }))
        .map(Note::to_string)
        .unwrap();
    assert_eq!(
        line,
        format!(
            "error 2 (locator verification method failed) at 65 \
             (2001:db8:b1::1 -> 2001:db8:a1::1): about our Update-Request tag {tb:#x} \
             nonce {nonce:#010x} locators 2001:db8:a1::1,2001:db8:a2::1,2001:db8:a3::1 \
             methods 201,hba,hba: no longer retransmitted"
        )
    );
}

/// An R2 with an unknown option of type 99 (C set or not) after its 16
/// bytes.
fn r2_with_option(critical: bool) -> Vec<u8> {
    let opt = OptionRepr {
        critical,
        body: OptionBody::Unknown {
            kind: 99,
            data: &[1, 2, 3, 4],
        },
    };
    let mut area = vec![0; opt.buffer_len()];
    opt.emit(&mut area).unwrap();
    let repr = ControlRepr {
        next_header: IPPROTO_NONE,
        message: Message::R2 {
            responder_context_tag: ctag(3),
            initiator_nonce: 4,
        },
        options: &area,
    };
    let mut buf = vec![0; repr.buffer_len()];
    repr.emit(&mut buf).unwrap();
    buf
}

#[test]
fn an_unknown_critical_option_or_type_gets_an_error_pointing_at_it() {
    let mut net = Net::new();
    // §12.3: code 1, the Pointer at the option's Type, 16 bytes into the
    // Shim6 header, 40 more with the IPv6 header the packet in error has.
    let bytes = r2_with_option(true);
    let (code, pointer, packet, notes) = error_from_b(&mut net, &bytes);
    assert_eq!((code, pointer), (ERR_CRITICAL_OPTION, 56));
    assert_eq!(packet, msg::packet_in_error(a1(), b1(), &bytes));
    assert!(notes.contains(&Note::Dropped {
        src: a1(),
        dst: b1(),
        why: Why::Refused(Refusal::CriticalOption {
            kind: 99,
            offset: 16
        })
    }));
    // Without the C bit the option is skipped (§5.15) and the R2 read: no
    // context waits for it, and no Error goes.
    let bytes = r2_with_option(false);
    let out = net.hosts[B].engine.handle(
        Input::Packet {
            src: a1(),
            dst: b1(),
            bytes: &bytes,
        },
        0,
    );
    assert!(out.packets.is_empty());
    assert_eq!(
        out.notes.last(),
        Some(&Note::Dropped {
            src: a1(),
            dst: b1(),
            why: Why::NoContext
        })
    );
    // A type RFC 5533 does not define: code 0, the Pointer at the Type.
    let repr = ControlRepr {
        next_header: IPPROTO_NONE,
        message: Message::Unknown {
            msg_type: 100,
            type_specific: 0,
            body: &[0; 10],
        },
        options: &[],
    };
    let mut bytes = vec![0; repr.buffer_len()];
    repr.emit(&mut bytes).unwrap();
    let (code, pointer, packet, notes) = error_from_b(&mut net, &bytes);
    assert_eq!((code, pointer), (ERR_UNKNOWN_TYPE, 42));
    assert_eq!(packet[42], 100);
    assert!(notes.contains(&Note::Dropped {
        src: a1(),
        dst: b1(),
        why: Why::UnknownType(100)
    }));
    // An Error about a message that is no pending request of A's is only
    // logged; it is never answered.
    let out = net.hosts[B].engine.handle(
        Input::Packet {
            src: a1(),
            dst: b1(),
            bytes: &r2_with_option(true),
        },
        0,
    );
    let error = &out.packets[0];
    let out = net.hosts[A].engine.handle(
        Input::Packet {
            src: error.src,
            dst: error.dst,
            bytes: &error.bytes,
        },
        0,
    );
    assert!(out.packets.is_empty() && out.kernel.is_empty());
    assert_eq!(
        out.notes.last().map(Note::to_string).unwrap(),
        "error 1 (critical option not recognized) at 56 (2001:db8:b1::1 -> 2001:db8:a1::1): \
         about R2 tag 0x3 nonce 0x00000004"
    );
    assert!(net.hosts[A].engine.is_empty());
}

#[test]
fn without_the_ulid_among_its_locators_a_host_updates_from_one_the_peer_knows() {
    let (mut net, ta, tb, mark) = established_net();
    let g = net.hosts[B].context().unwrap().peer_generation.unwrap();
    relocate(&mut net, A, &[a2()], &[]);
    // The kernel's sets keep the ULID (the family wants it there), but the
    // current pair leaves it: a1 is no longer an address of A's.
    assert_eq!(
        net.hosts[A].sets,
        [ContextSet {
            local_tag: ta,
            local: Some(SideSet {
                set: vec![a1(), a2()],
                usable: vec![a2()],
            }),
            peer: None,
        }]
    );
    assert_eq!(
        net.hosts[A].plans,
        [SetPlan {
            local_tag: ta,
            local_locators: None,
            peer_locators: None,
            current: Some(Pair {
                local: a2(),
                peer: b1()
            }),
        }]
    );
    net.settle();
    let urs = sent_of(&net, mark, "Update-Request");
    assert_eq!((urs.len(), urs[0].1.src, urs[0].1.dst), (1, a2(), b1()));
    let uas = sent_of(&net, mark, "Update-Ack");
    assert_eq!((uas.len(), uas[0].1.src, uas[0].1.dst), (1, b1(), a2()));
    let cb = net.hosts[B].context().unwrap();
    assert_eq!(cb.peer_generation, Some(g.wrapping_add(1)));
    // B's kernel set was a1, a2 and stays so, but A's ULID is no longer
    // one of A's locators: B's current peer locator moves to a2.
    assert_eq!(cb.peer_locators, [a1(), a2()]);
    assert_eq!(
        net.hosts[B].plans,
        [SetPlan {
            local_tag: tb,
            local_locators: None,
            peer_locators: None,
            current: Some(Pair {
                local: b1(),
                peer: a2()
            }),
        }]
    );
    assert_eq!(net.hosts[B].kernel[&tb].peer_locators, [a1(), a2()]);
    assert_eq!(net.hosts[A].context().unwrap().pending_update, None);
}

#[test]
fn locators_the_kernel_could_not_take_are_refused_and_nothing_is_sent() {
    let (mut net, _, _, mark) = established_net();
    let nine: Vec<Addr> = (1..=8).map(|i| ip(&format!("2001:db8:c::{i}"))).collect();
    for (list, why) in [
        (vec![], "no locator"),
        (nine, "more than 8 locators with the ULID"),
        (vec![a1(), a1()], "2001:db8:a1::1 is given twice"),
        (vec![a1(), ip("ff02::1")], "ff02::1 cannot be a locator"),
    ] {
        relocate(&mut net, A, &list, &[]);
        let line = net.hosts[A].notes.last().map(Note::to_string).unwrap();
        assert!(line.ends_with(&format!("refused: {why}")), "{line}");
    }
    assert_eq!(net.sent.len(), mark);
    assert!(net.hosts[A].sets.is_empty());
    assert_eq!(net.hosts[A].engine.config().locators, [a1(), a2()]);
}

#[test]
fn error_messages_are_rate_limited_to_a_burst_of_20_then_10_a_second() {
    let mut net = Net::new();
    let repr = ControlRepr {
        next_header: IPPROTO_NONE,
        message: Message::Unknown {
            msg_type: 100,
            type_specific: 0,
            body: &[0; 10],
        },
        options: &[],
    };
    let mut bytes = vec![0; repr.buffer_len()];
    repr.emit(&mut bytes).unwrap();
    // 50 messages of an unknown type from a1 at `at`: how many Errors B
    // sends, and its last note about the limit.
    let mut flood = |at: u64, n: usize| {
        let mut errors = 0;
        let mut limited = None;
        for _ in 0..n {
            let out = net.hosts[B].engine.handle(
                Input::Packet {
                    src: a1(),
                    dst: b1(),
                    bytes: &bytes,
                },
                at,
            );
            errors += out.packets.iter().filter(|p| kind(p) == "Error").count();
            for note in out.notes {
                if let Note::ErrorsLimited { count } = note {
                    limited = Some(count);
                }
            }
        }
        (errors, limited)
    };
    // Every message is dropped with its reason; only the first 20 get an
    // Error.
    assert_eq!(flood(10 * SEC, 50), (20, None));
    // A tenth of a second later, one more, which says how many were not sent.
    assert_eq!(flood(10 * SEC + SEC / 20, 5), (0, None));
    assert_eq!(flood(10 * SEC + SEC / 10, 5), (1, Some(35)));
    // A second later, ten.
    assert_eq!(flood(11 * SEC + SEC / 10, 50), (10, Some(4)));
    let line = Note::ErrorsLimited { count: 4 }.to_string();
    assert_eq!(line, "4 Error message(s) not sent: rate limit");
}

// HBA and CGA (RFC 5533 §7.2, §5.15.4, §5.15.5; RFC 5535, RFC 3972), with
// the parameters of tests/data (see its README).

/// The contents of tests/data/`name`.pem.
fn data(name: &str) -> rv6_hba::file::Contents {
    let text = match name {
        "a.hba" => include_str!("data/a.hba.pem"),
        "b.hba" => include_str!("data/b.hba.pem"),
        "e.hba" => include_str!("data/e.hba.pem"),
        "a.cga" => include_str!("data/a.cga.pem"),
        "a.hba-key" => include_str!("data/a.hba-key.pem"),
        "key1024" => include_str!("data/key1024.pem"),
        _ => panic!("no {name}"),
    };
    rv6_hba::file::decode(text).unwrap()
}

/// A's HBA set (tests/data/a.hba.pem).
fn ah1() -> Addr {
    ip("2001:db8:a1:0:280a:464c:91db:c5b2")
}
fn ah2() -> Addr {
    ip("2001:db8:a2:0:28e3:b407:ce93:c033")
}
fn ah3() -> Addr {
    ip("2001:db8:a3:0:385b:8396:cdeb:b3db")
}
/// B's (b.hba.pem).
fn bh1() -> Addr {
    ip("2001:db8:b1:0:30a7:2a7e:35b7:a00b")
}
fn bh2() -> Addr {
    ip("2001:db8:b2:0:34c4:325f:9418:270d")
}
/// A's CGA (a.cga.pem), and the first of A's CGA-compatible HBA set
/// (a.hba-key.pem, whose key is key1024.pem).
fn ac1() -> Addr {
    ip("2001:db8:a1:0:2831:8f52:fea2:cd5")
}
fn ak1() -> Addr {
    ip("2001:db8:a1:0:24e3:660c:2470:c82c")
}
fn ak2() -> Addr {
    ip("2001:db8:a2:0:2841:fc50:9ad1:c8")
}

/// A host with the HBA set or CGA of `file` (`key`: key1024.pem beside
/// it), or none, with `locators` (the first the ULID), whose peer is
/// `peer`.
fn bound(file: Option<&str>, key: bool, locators: &[Addr], peer: Addr, seed: u64) -> Host {
    let mut c = Config::new(locators.to_vec(), None).unwrap();
    if let Some(f) = file {
        let kind = if f.ends_with(".cga") {
            Kind::Cga
        } else {
            Kind::Hba
        };
        let key = key.then(|| data("key1024").key.unwrap());
        c.binding = Some(Binding::new(kind, data(f), key).unwrap());
        c.refusal(&c.locators).unwrap();
    }
    Host::with_config(c, peer, Box::new(SplitMix(seed)))
}

/// A with its HBA set on ah1 and ah2, B with its set on bh1 and bh2.
fn hba_net() -> Net {
    Net::of([
        bound(Some("a.hba"), false, &[ah1(), ah2()], bh1(), 0xa),
        bound(Some("b.hba"), false, &[bh1(), bh2()], ah1(), 0xb),
    ])
}

/// `net` after its exchange, notes and kernel requests cleared; B's tag,
/// and the mark past what was sent.
fn established(mut net: Net) -> (Net, u64, usize) {
    net.trigger(A);
    net.settle();
    net.assert_established();
    let tb = net.hosts[B].context().unwrap().local_tag;
    for h in &mut net.hosts {
        h.notes.clear();
        h.requests.clear();
    }
    let mark = net.sent.len();
    (net, tb, mark)
}

/// A message's options as owned parts, to change and build again.
struct Parts {
    validator: Option<Vec<u8>>,
    generation: u32,
    locators: Vec<Addr>,
    methods: Vec<u8>,
    pds: Option<Vec<u8>>,
    signature: Option<Vec<u8>>,
}

/// `p` built again with its options changed by `change`.
fn rebuilt(p: &mut Packet, change: impl FnOnce(&mut Parts)) {
    let old = p.bytes.clone();
    let c = msg::parse(&old).unwrap();
    let list = c.list.clone().unwrap();
    let mut parts = Parts {
        validator: c.validator.map(<[u8]>::to_vec),
        generation: list.generation,
        locators: c.locators.clone().unwrap(),
        methods: list.methods,
        pds: c.pds.map(<[u8]>::to_vec),
        signature: c.signature.map(<[u8]>::to_vec),
    };
    change(&mut parts);
    p.bytes = msg::build(
        c.message,
        &Options {
            validator: parts.validator.as_deref(),
            locators: Some((parts.generation, &parts.locators)),
            methods: Some(&parts.methods),
            pds: parts.pds.as_deref(),
            signature: parts.signature.as_deref(),
            ulids: c.ulids,
            ..Options::default()
        },
    )
    .unwrap();
}

/// An Update Request of A to B (tag `tb`) from ah1 to bh1 with `nonce`,
/// generation `g`, `locators` said HBA, and `pds`; what B answers.
fn a_requests(
    net: &mut Net,
    tb: u64,
    nonce: u32,
    (g, locators): (u32, &[Addr]),
    pds: Option<&[u8]>,
) -> (Vec<u8>, Output) {
    let methods = vec![VERIFY_HBA; locators.len()];
    let bytes = msg::build(
        Message::UpdateRequest {
            receiver_context_tag: ctag(tb),
            request_nonce: nonce,
        },
        &Options {
            locators: Some((g, locators)),
            methods: Some(&methods),
            pds,
            ..Options::default()
        },
    )
    .unwrap();
    let out = net.hosts[B].engine.handle(
        Input::Packet {
            src: ah1(),
            dst: bh1(),
            bytes: &bytes,
        },
        net.now,
    );
    net.hosts[B].apply(out.clone());
    (bytes, out)
}

/// The code and pointer of `p`, an Error Message.
fn error_of(p: &Packet) -> (u8, u16) {
    match msg::parse(&p.bytes).unwrap().message {
        Message::Error { code, pointer, .. } => (code, pointer),
        m => panic!("not an Error: {m:?}"),
    }
}

#[test]
fn hosts_with_hba_sets_exchange_and_update_verified_lists() {
    let mut net = hba_net();
    net.trigger(A);
    net.settle();
    assert_eq!(net.sent_by(A), ["I1", "I2"]);
    assert_eq!(net.sent_by(B), ["R1", "R2"]);
    net.assert_established();
    assert!(net.hosts[A].dropped().is_empty() && net.hosts[B].dropped().is_empty());
    // The I2 and R2: each locator HBA, the CGA Parameter Data Structure of
    // the sender's ULID (its set's Multi-Prefix extension covering every
    // locator), no signature; each side keeps the other's.
    let control = |i: usize| msg::parse(&net.sent[i].2.bytes).unwrap();
    let (i2, r2) = (control(2), control(3));
    for (c, ulid, file) in [(&i2, ah1(), "a.hba"), (&r2, bh1(), "b.hba")] {
        assert_eq!(c.list.as_ref().unwrap().methods, [VERIFY_HBA; 2]);
        let ours = data(file)
            .params
            .into_iter()
            .find(|p| p.subnet_prefix == ulid[..8]);
        assert_eq!(c.pds.map(<[u8]>::to_vec), ours.map(|p| p.to_bytes()));
        assert_eq!(c.signature, None);
    }
    assert_eq!(net.hosts[B].context().unwrap().peer_pds.as_deref(), i2.pds);
    assert_eq!(net.hosts[A].context().unwrap().peer_pds.as_deref(), r2.pds);
    drop((i2, r2));
    // A's third address: an Update Request with the list and structure,
    // verified, recorded and acknowledged.
    let mark = net.sent.len();
    relocate(&mut net, A, &[ah1(), ah2(), ah3()], &[]);
    net.settle();
    assert_eq!(sent_since(&net, A, mark), ["Update-Request"]);
    assert_eq!(sent_since(&net, B, mark), ["Update-Ack"]);
    let ur = msg::parse(&net.sent[mark].2.bytes).unwrap();
    assert_eq!(ur.pds, msg::parse(&net.sent[2].2.bytes).unwrap().pds);
    let tb = net.hosts[B].context().unwrap().local_tag;
    assert_eq!(
        net.hosts[B].kernel[&tb].peer_locators,
        [ah1(), ah2(), ah3()]
    );
    // A request without the structure is verified against the one B
    // recorded (§10.4 lets it be left out once sent).
    let g = net.hosts[B].context().unwrap().peer_generation.unwrap();
    let (_, out) = a_requests(&mut net, tb, 7, (g + 1, &[ah1(), ah3()]), None);
    assert_eq!(
        out.packets.iter().map(kind).collect::<Vec<_>>(),
        ["Update-Ack"]
    );
    assert_eq!(net.hosts[B].kernel[&tb].peer_locators, [ah1(), ah3()]);
    assert!(net.hosts[B].dropped().is_empty());
}

#[test]
fn a_forged_locator_in_an_update_request_gets_error_2_and_no_update() {
    let (mut net, tb, mark) = established(hba_net());
    let pds = msg::parse(&net.sent[2].2.bytes)
        .unwrap()
        .pds
        .unwrap()
        .to_vec();
    let g = net.hosts[B].context().unwrap().peer_generation.unwrap();
    // On one of A's prefixes, but not A's address there.
    let forged = ip("2001:db8:a3::1");
    for (nonce, pds) in [(1, Some(&pds[..])), (2, None)] {
        let (bytes, out) = a_requests(&mut net, tb, nonce, (g + 1, &[ah1(), ah2(), forged]), pds);
        // Code 2, the Pointer at the third locator's method octet: 40
        // (IPv6) + 16 (the request) + 9 (the list's fields) + 2.
        let [e] = &out.packets[..] else {
            panic!("{out:?}")
        };
        assert_eq!(error_of(e), (ERR_VERIFICATION_FAILED, 40 + 16 + 9 + 2));
        assert_eq!(bytes[16 + 9 + 2], VERIFY_HBA);
        assert!(out.notes.contains(&Note::Dropped {
            src: ah1(),
            dst: bh1(),
            why: Why::Unverified(Unverified {
                locator: 2,
                why: Failure::Refused(shim6::Why::NotInHbaSet(HbaRefusal::Cga(CgaRefusal::Hash1))),
            }),
        }));
    }
    // No update: B and its kernel keep A's two locators.
    let cb = net.hosts[B].context().unwrap();
    assert_eq!(
        (cb.peer_locators, cb.peer_generation),
        (vec![ah1(), ah2()], Some(g))
    );
    assert!(net.hosts[B].sets.is_empty());
    assert_eq!(net.sent.len(), mark);
}

#[test]
fn a_cga_list_whose_signature_fails_gets_error_2_and_no_update() {
    // A's CGA signs its ULID and a2, B verifies them.
    let net = Net::of([
        bound(Some("a.cga"), false, &[ac1(), a2()], bh1(), 0xa),
        bound(Some("b.hba"), false, &[bh1(), bh2()], ac1(), 0xb),
    ]);
    let (mut net, _, mark) = established(net);
    let i2 = msg::parse(&net.sent[2].2.bytes).unwrap();
    assert_eq!(i2.list.unwrap().methods, [VERIFY_CGA; 2]);
    assert_eq!(i2.signature.map(<[u8]>::len), Some(128));
    assert_eq!(net.hosts[B].context().unwrap().peer_locators, [ac1(), a2()]);
    // A's Update Request for a3, its signature changed on the wire.
    relocate(&mut net, A, &[ac1(), a2(), a3()], &[]);
    net.run(net.now + 600 * SEC, &mut |_, p| {
        if kind(p) == "Update-Request" {
            rebuilt(p, |parts| {
                let s = parts.signature.as_mut().unwrap();
                s[64] ^= 1;
            });
        }
        Fate::Deliver
    });
    // Code 2 at the first CGA locator's method octet; no update; A stops.
    assert_eq!(sent_since(&net, B, mark), ["Error"]);
    let errors = sent_of(&net, mark, "Error");
    assert_eq!(
        error_of(&errors[0].1),
        (ERR_VERIFICATION_FAILED, 40 + 16 + 9)
    );
    assert_eq!(
        net.hosts[B].dropped(),
        [Why::Unverified(Unverified {
            locator: 0,
            why: Failure::Refused(shim6::Why::Signature(SignatureRefusal::Signature)),
        })]
    );
    assert_eq!(net.hosts[B].context().unwrap().peer_locators, [ac1(), a2()]);
    assert!(net.hosts[B].sets.is_empty());
    assert_eq!(sent_since(&net, A, mark), ["Update-Request"]);
    assert_eq!(net.hosts[A].context().unwrap().pending_update, None);
}

#[test]
fn a_cga_compatible_set_says_hba_for_its_addresses_and_signs_the_others() {
    let net = Net::of([
        bound(Some("a.hba-key"), true, &[ak1(), ak2(), a3()], bh1(), 0xa),
        bound(Some("b.hba"), false, &[bh1(), bh2()], ak1(), 0xb),
    ]);
    let (net, _, _) = established(net);
    let i2 = msg::parse(&net.sent[2].2.bytes).unwrap();
    assert_eq!(
        i2.list.unwrap().methods,
        [VERIFY_HBA, VERIFY_HBA, VERIFY_CGA]
    );
    assert!(i2.signature.is_some());
    assert_eq!(
        net.hosts[B].context().unwrap().peer_locators,
        [ak1(), ak2(), a3()]
    );
}

#[test]
fn parameters_that_are_not_the_ulids_are_dropped_silently() {
    // Every I2 with another set's structure: B drops each, sends nothing
    // but its R1, keeps no context.
    let e = data("e.hba").params[0].to_bytes();
    let mut net = hba_net();
    net.trigger(A);
    let mut i1s = 0;
    net.run(600 * SEC, &mut |_, p| match kind(p).as_str() {
        "I2" => {
            rebuilt(p, |parts| parts.pds = Some(e.clone()));
            Fate::Deliver
        }
        "I1" => {
            i1s += 1;
            if i1s == 1 {
                Fate::Deliver
            } else {
                Fate::Lose
            }
        }
        _ => Fate::Deliver,
    });
    assert_eq!(net.sent_by(B), ["R1"]);
    assert!(net.hosts[B].engine.is_empty());
    let dropped = net.hosts[B].dropped();
    assert_eq!(dropped.len(), 3, "the I2 and its two retransmissions");
    assert!(dropped.iter().all(|w| matches!(
        w,
        Why::ForeignParameters(shim6::Refusal {
            locator: None,
            why: shim6::Why::UlidNotInSet(HbaRefusal::PrefixNotInSet)
        })
    )));
    // An R2 with it: A drops it silently, and waits on in I2-SENT.
    let mut net = hba_net();
    net.trigger(A);
    net.run(0, &mut |_, p| {
        if kind(p) == "R2" {
            rebuilt(p, |parts| parts.pds = Some(e.clone()));
        }
        Fate::Deliver
    });
    assert_eq!(net.sent_by(A), ["I1", "I2"]);
    assert_eq!(net.hosts[A].state(), Some(State::I2Sent));
    assert!(matches!(
        net.hosts[A].dropped()[..],
        [Why::ForeignParameters(_)]
    ));
    assert!(net.hosts[A].kernel.is_empty());
    // An Update Request with it: no Error, no acknowledgement, no update.
    let (mut net, tb, mark) = established(hba_net());
    let g = net.hosts[B].context().unwrap().peer_generation.unwrap();
    let (_, out) = a_requests(&mut net, tb, 3, (g + 1, &[ah1(), ah2(), ah3()]), Some(&e));
    assert!(out.packets.is_empty(), "{out:?}");
    assert!(matches!(
        net.hosts[B].dropped()[..],
        [Why::ForeignParameters(_)]
    ));
    assert_eq!(
        net.hosts[B].context().unwrap().peer_locators,
        [ah1(), ah2()]
    );
    assert_eq!(net.sent.len(), mark);
}

/// A host with an HBA set and one without: the one without verifies what
/// comes with a structure and takes the rest on trust; the one with takes
/// a list without a structure only if it holds the ULID alone (§7.2: only
/// locators other than the ULID need verifying), and refuses any other
/// with Error 2 at its first other locator's method.
#[test]
fn a_host_with_an_hba_set_and_one_without_interwork_only_on_the_ulid() {
    // B without a set, and without locators but its ULID: a context.
    let net = Net::of([
        bound(Some("a.hba"), false, &[ah1(), ah2()], b1(), 0xa),
        bound(None, false, &[b1()], ah1(), 0xb),
    ]);
    let (net, _, _) = established(net);
    let r2 = msg::parse(&net.sent[3].2.bytes).unwrap();
    assert_eq!((r2.locators, r2.pds), (Some(vec![b1()]), None));
    assert!(net.hosts[B].context().unwrap().peer_pds.is_some());
    assert_eq!(net.hosts[A].context().unwrap().peer_locators, [b1()]);
    // B with a second locator: A refuses its R2, and its I2.
    for initiator in [A, B] {
        let mut net = Net::of([
            bound(Some("a.hba"), false, &[ah1(), ah2()], b1(), 0xa),
            bound(None, false, &[b1(), b2()], ah1(), 0xb),
        ]);
        net.trigger(initiator);
        net.run(0, &mut |_, _| Fate::Deliver);
        let errors = sent_of(&net, 0, "Error");
        let [(_, e)] = &errors[..] else {
            panic!("{:?}", net.sent_by(A))
        };
        assert_eq!((e.src, e.dst), (ah1(), b1()));
        // The Pointer at b2's method octet, in a list right after the 16
        // fixed bytes of an R2 (or the 24 of an I2 and its validator's 40).
        let list_at = if initiator == A { 16 } else { 24 + 40 };
        assert_eq!(error_of(e), (ERR_VERIFICATION_FAILED, 40 + list_at + 9 + 1));
        assert_eq!(
            net.hosts[A].dropped(),
            [Why::Unverified(Unverified {
                locator: 1,
                why: Failure::NoParameters,
            })]
        );
        assert!(net.hosts[A].kernel.is_empty());
        let a_state = net.hosts[A].state();
        match initiator {
            A => assert_eq!(a_state, Some(State::I2Sent)),
            _ => assert_eq!(a_state, None, "a refused I2 made a context"),
        }
    }
}

/// §7.20: an I2bis's list and structure are checked as an I2's.
#[test]
fn a_context_of_hba_sets_is_recovered_by_a_verified_i2bis_and_not_by_a_forged_one() {
    for forge in [false, true] {
        let (mut net, tb, _) = established(hba_net());
        let ta = net.hosts[A].context().unwrap().local_tag;
        // B's daemon restarts, its context gone, and A's payload comes.
        let out = net.hosts[B].engine.shutdown();
        let _ = net.hosts[B].apply(out);
        let c = net.hosts[B].engine.config().clone();
        net.hosts[B].engine = Engine::new(c, Box::new(SplitMix(0xbb)), net.now);
        let mark = net.sent.len();
        net.input(
            B,
            Input::UnknownTag {
                tag: tb,
                local: bh1(),
                peer: ah1(),
            },
        );
        let forged = ip("2001:db8:a2::1");
        net.run(net.now, &mut |_, p| {
            if forge && kind(p) == "I2bis" {
                rebuilt(p, |parts| parts.locators[1] = forged);
            }
            Fate::Deliver
        });
        let i2bis = &sent_of(&net, mark, "I2bis")[0].1;
        let c = msg::parse(&i2bis.bytes).unwrap();
        assert_eq!(c.list.as_ref().unwrap().methods, [VERIFY_HBA; 2]);
        assert!(c.pds.is_some());
        if forge {
            // Each I2bis (the clock moved to its retransmission) refused.
            let b = sent_since(&net, B, mark);
            assert_eq!(b[0], "R1bis");
            assert!(b.len() > 1 && b[1..].iter().all(|k| k == "Error"), "{b:?}");
            assert!(
                net.hosts[B].engine.is_empty(),
                "a forged I2bis made a context"
            );
            assert!(net.hosts[B].kernel.is_empty());
            continue;
        }
        assert_eq!(sent_since(&net, B, mark), ["R1bis", "R2"]);
        let cb = net.hosts[B].context().unwrap();
        assert_eq!((cb.local_tag, cb.peer_tag), (tb, Some(ta)));
        assert_eq!(cb.peer_locators, [ah1(), ah2()]);
        assert_eq!(cb.peer_pds.as_deref(), c.pds);
    }
}
