//! The two-host harness the engine tests share: host A (locators
//! 2001:db8:a1::1, ULID, and 2001:db8:a2::1) and host B (2001:db8:b1::1
//! and 2001:db8:b2::1), a wire that carries each message to the host owning
//! its destination (or loses or changes it), a kernel per host that applies
//! the engine's requests and refuses what the real one would (a tag or ULID
//! pair twice, a context that is not there), and a fake clock that jumps to
//! the next deadline when the wire is quiet.
#![allow(dead_code, unused_imports)]
use std::collections::{
    BTreeMap,
    VecDeque, //
};
use std::net::Ipv6Addr;

use rv6_cores::shim6_ctx::{
    State,
    NSEC_PER_SEC, //
};
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
    ContextView,
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
use shim6d::kernel::{
    self,
    SetPlan, //
};
use shim6d::msg::{
    self,
    Options,
    PreferenceBytes,
    Refusal, //
};

pub const A: usize = 0;
pub const B: usize = 1;
pub const SEC: u64 = NSEC_PER_SEC;

pub fn ip(s: &str) -> Addr {
    s.parse::<Ipv6Addr>().unwrap().octets()
}

pub fn a1() -> Addr {
    ip("2001:db8:a1::1")
}
pub fn a2() -> Addr {
    ip("2001:db8:a2::1")
}
pub fn b1() -> Addr {
    ip("2001:db8:b1::1")
}
pub fn b2() -> Addr {
    ip("2001:db8:b2::1")
}

/// The context's ULID pair as host `h` sees it.
pub fn pair(h: usize) -> Pair {
    match h {
        A => Pair {
            local: a1(),
            peer: b1(),
        },
        _ => Pair {
            local: b1(),
            peer: a1(),
        },
    }
}

/// The type of a message on the wire, by name.
pub fn kind(p: &Packet) -> String {
    msg::type_name(p.bytes[2] & 0x7f)
}

pub struct Host {
    pub engine: Engine,
    /// The peer's ULID: the context is this host's and its.
    pub peer: Addr,
    /// The kernel's contexts, by local tag.
    pub kernel: BTreeMap<u64, KernelContext>,
    /// Every request the kernel got.
    pub requests: Vec<KernelRequest>,
    /// Every context-set the engine asked for.
    pub sets: Vec<ContextSet>,
    /// What kernel.rs would have sent for them (those that changed
    /// something).
    pub plans: Vec<SetPlan>,
    pub notes: Vec<Note>,
    /// The kernel's reap-state per context (true: exploring), as REAP's
    /// context-sets left it.
    pub exploring: BTreeMap<u64, bool>,
}

impl Host {
    /// A host with `locators` (the first the ULID), whose peer is b1, or
    /// a1 for b1 itself.
    pub fn new(locators: &[Addr], entropy: Box<dyn Entropy>, config: impl Fn(&mut Config)) -> Host {
        let mut c = Config::new(locators.to_vec(), None).unwrap();
        config(&mut c);
        let peer = if c.ulid == b1() { a1() } else { b1() };
        Host::with_config(c, peer, entropy)
    }

    pub fn with_config(c: Config, peer: Addr, entropy: Box<dyn Entropy>) -> Host {
        Host {
            engine: Engine::new(c, entropy, 0),
            peer,
            kernel: BTreeMap::new(),
            requests: Vec::new(),
            sets: Vec::new(),
            plans: Vec::new(),
            notes: Vec::new(),
            exploring: BTreeMap::new(),
        }
    }

    pub fn owns(&self, a: &Addr) -> bool {
        self.engine.config().locators.contains(a)
    }

    /// Applies the kernel requests as rv6_shim6 would, keeps the notes,
    /// and gives the packets.
    pub fn apply(&mut self, out: Output) -> Vec<Packet> {
        for r in out.kernel {
            match &r {
                KernelRequest::Add(c) => {
                    assert!(
                        !self.kernel.contains_key(&c.local_tag),
                        "context-add of a tag the kernel has: {c:?}"
                    );
                    assert!(
                        !self
                            .kernel
                            .values()
                            .any(|k| (k.ulid_local, k.ulid_peer) == (c.ulid_local, c.ulid_peer)),
                        "context-add of a ULID pair the kernel has: {c:?}"
                    );
                    assert!(c.local_locators.contains(&c.ulid_local), "{c:?}");
                    assert!(c.peer_locators.contains(&c.ulid_peer), "{c:?}");
                    assert!(c.local_locators.contains(&c.current.local), "{c:?}");
                    assert!(c.peer_locators.contains(&c.current.peer), "{c:?}");
                    assert!(c.local_tag != 0 && c.local_tag <= ContextTag::MAX, "{c:?}");
                    assert!(c.peer_tag != 0 && c.peer_tag <= ContextTag::MAX, "{c:?}");
                    self.kernel.insert(c.local_tag, c.clone());
                }
                KernelRequest::Del { local_tag } => {
                    assert!(
                        self.kernel.remove(local_tag).is_some(),
                        "context-del of a tag the kernel lacks: {local_tag:#x}"
                    );
                }
                KernelRequest::Set(set) => {
                    // As kernel.rs plans it against the kernel's context,
                    // and rv6_shim6's context-set applies it: each given set
                    // replaces the old one, and the result must hold the
                    // ULIDs and the current pair.
                    let c = self.kernel.get_mut(&set.local_tag).unwrap_or_else(|| {
                        panic!("context-set of a tag the kernel lacks: {set:?}")
                    });
                    let plan = kernel::plan_set(set, c);
                    if let Some(p) = &plan {
                        if let Some(l) = &p.local_locators {
                            c.local_locators = l.clone();
                        }
                        if let Some(l) = &p.peer_locators {
                            c.peer_locators = l.clone();
                        }
                        if let Some(pair) = p.current {
                            c.current = pair;
                        }
                    }
                    assert!(c.local_locators.contains(&c.ulid_local), "{set:?}");
                    assert!(c.peer_locators.contains(&c.ulid_peer), "{set:?}");
                    assert!(c.local_locators.contains(&c.current.local), "{set:?}");
                    assert!(c.peer_locators.contains(&c.current.peer), "{set:?}");
                    assert!(c.local_locators.len() <= 8 && c.peer_locators.len() <= 8);
                    self.sets.push(set.clone());
                    self.plans.extend(plan);
                    continue;
                }
                KernelRequest::Reap(r) => {
                    // rv6_shim6's context-set: reap-state, and the current
                    // pair, which must be from the sets.
                    let c = self.kernel.get_mut(&r.local_tag).unwrap_or_else(|| {
                        panic!("REAP's context-set of a tag the kernel lacks: {r:?}")
                    });
                    assert!(c.local_locators.contains(&r.current.local), "{r:?}");
                    assert!(c.peer_locators.contains(&r.current.peer), "{r:?}");
                    c.current = r.current;
                    self.exploring.insert(r.local_tag, r.exploring);
                }
                KernelRequest::KeepaliveTimeout { local_tag, ms } => {
                    let c = self.kernel.get_mut(local_tag).unwrap_or_else(|| {
                        panic!("context-set of a tag the kernel lacks: {local_tag:#x}")
                    });
                    c.keepalive_timeout_ms = Some(*ms);
                }
            }
            self.requests.push(r);
        }
        self.notes.extend(out.notes);
        out.packets
    }

    /// This host's context with its peer.
    pub fn pair(&self) -> Pair {
        Pair {
            local: self.engine.config().ulid,
            peer: self.peer,
        }
    }

    pub fn context(&self) -> Option<ContextView> {
        self.engine.context(&self.pair())
    }

    pub fn state(&self) -> Option<State> {
        self.context().map(|c| c.state)
    }

    pub fn dropped(&self) -> Vec<Why> {
        self.notes
            .iter()
            .filter_map(|n| match n {
                Note::Dropped { why, .. } => Some(*why),
                _ => None,
            })
            .collect()
    }
}

/// What the wire does with a message in flight: deliver it (maybe
/// changed) or lose it.
pub enum Fate {
    Deliver,
    Lose,
}

pub struct Net {
    pub hosts: [Host; 2],
    pub now: u64,
    pub queue: VecDeque<(usize, Packet)>,
    /// Every message sent: when, by whom.
    pub sent: Vec<(u64, usize, Packet)>,
}

impl Net {
    pub fn new() -> Net {
        Net::with(|_| {})
    }

    /// Both hosts with their config changed by `config`.
    pub fn with(config: impl Fn(&mut Config)) -> Net {
        Net::of([
            Host::new(&[a1(), a2()], Box::new(SplitMix(0xa)), &config),
            Host::new(&[b1(), b2()], Box::new(SplitMix(0xb)), &config),
        ])
    }

    pub fn of(hosts: [Host; 2]) -> Net {
        Net {
            hosts,
            now: 0,
            queue: VecDeque::new(),
            sent: Vec::new(),
        }
    }

    pub fn input(&mut self, h: usize, input: Input<'_>) {
        let out = self.hosts[h].engine.handle(input, self.now);
        for p in self.hosts[h].apply(out) {
            self.sent.push((self.now, h, p.clone()));
            self.queue.push_back((h, p));
        }
    }

    pub fn trigger(&mut self, h: usize) {
        let pair = self.hosts[h].pair();
        self.input(h, Input::Trigger(pair));
    }

    /// Delivers `p` from `from` to the host that owns its destination.
    pub fn deliver(&mut self, from: usize, p: &Packet) {
        let to = 1 - from;
        assert!(self.hosts[to].owns(&p.dst), "a message to {:?}", p.dst);
        self.input(
            to,
            Input::Packet {
                src: p.src,
                dst: p.dst,
                bytes: &p.bytes,
            },
        );
    }

    /// Delivers what is in flight (`wire` decides each message's fate),
    /// then moves the clock to the next deadline and ticks both hosts;
    /// false when no deadline is left.
    pub fn step(&mut self, wire: &mut dyn FnMut(usize, &mut Packet) -> Fate) -> bool {
        while let Some((from, mut p)) = self.queue.pop_front() {
            if let Fate::Deliver = wire(from, &mut p) {
                self.deliver(from, &p);
            }
        }
        let Some(d) = self.hosts.iter().filter_map(|h| h.engine.deadline()).min() else {
            return false;
        };
        self.now = self.now.max(d);
        self.input(A, Input::Tick);
        self.input(B, Input::Tick);
        true
    }

    /// Runs the wire and the clock until nothing is in flight and no
    /// deadline falls before `until`.
    pub fn run(&mut self, until: u64, wire: &mut dyn FnMut(usize, &mut Packet) -> Fate) {
        loop {
            let next = self.hosts.iter().filter_map(|h| h.engine.deadline()).min();
            if self.queue.is_empty() && next.is_none_or(|d| d > until) {
                return;
            }
            if next.is_some_and(|d| d > until) {
                // Only the wire: deliver, and stop before the deadline.
                while let Some((from, mut p)) = self.queue.pop_front() {
                    if let Fate::Deliver = wire(from, &mut p) {
                        self.deliver(from, &p);
                    }
                }
                continue;
            }
            self.step(wire);
        }
    }

    /// Runs with every message delivered as sent.
    pub fn settle(&mut self) {
        self.run(self.now + 600 * SEC, &mut |_, _| Fate::Deliver);
    }

    /// The types of the messages `h` sent, in order.
    pub fn sent_by(&self, h: usize) -> Vec<String> {
        self.sent
            .iter()
            .filter(|(_, from, _)| *from == h)
            .map(|(_, _, p)| kind(p))
            .collect()
    }

    /// The contexts are established and mirror each other, in the engines
    /// and in the kernels: each host's tag is the other's peer tag, the
    /// ULIDs and locators are each other's.
    #[track_caller]
    pub fn assert_established(&self) {
        let (a, b) = (&self.hosts[A], &self.hosts[B]);
        let (ca, cb) = (a.context().unwrap(), b.context().unwrap());
        assert_eq!(
            (ca.state, cb.state),
            (State::Established, State::Established)
        );
        assert_eq!(ca.peer_tag, Some(cb.local_tag));
        assert_eq!(cb.peer_tag, Some(ca.local_tag));
        assert_eq!(ca.installed, Some(cb.local_tag));
        assert_eq!(cb.installed, Some(ca.local_tag));
        assert_eq!(
            (ca.deadline, cb.deadline),
            (None, None),
            "a timer still runs"
        );
        let (la, lb) = (&a.engine.config().locators, &b.engine.config().locators);
        assert_eq!(
            a.kernel.values().collect::<Vec<_>>(),
            [&KernelContext {
                local_tag: ca.local_tag,
                peer_tag: cb.local_tag,
                ulid_local: a.pair().local,
                ulid_peer: b.pair().local,
                local_locators: la.clone(),
                peer_locators: lb.clone(),
                current: a.pair(),
                send_timeout_ms: None,
                keepalive_timeout_ms: None,
            }]
        );
        assert_eq!(
            b.kernel.values().collect::<Vec<_>>(),
            [&KernelContext {
                local_tag: cb.local_tag,
                peer_tag: ca.local_tag,
                ulid_local: b.pair().local,
                ulid_peer: a.pair().local,
                local_locators: lb.clone(),
                peer_locators: la.clone(),
                current: b.pair(),
                send_timeout_ms: None,
                keepalive_timeout_ms: None,
            }]
        );
    }
}

pub fn states(h: &Host) -> Vec<String> {
    h.notes
        .iter()
        .filter_map(|n| match n {
            Note::State { from, to, .. } => Some(format!(
                "{} -> {}",
                shim6d::engine::state_name(*from),
                shim6d::engine::state_name(*to)
            )),
            _ => None,
        })
        .collect()
}
