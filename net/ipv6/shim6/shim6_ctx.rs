// SPDX-License-Identifier: GPL-2.0

//! The Shim6 context state machine (RFC 5533 §6.2, §7, §10 and Appendix B): what a context
//! does on each control message, timer expiry and local decision, as a pure function of its
//! state, the event and the time.
//!
//! Pure `no_std` code for the daemon (shim6d), which owns the control protocol; the host
//! tests drive two of them against each other with a fake clock.  The machine decides; the
//! caller builds and parses the messages (`shim6_wire`), checks what needs keys or tables
//! (the Responder Validator and the Responder Nonce's age, HBA/CGA, which context a message
//! belongs to: RFC 5533 §12.4) and reports the outcome in the [`Event`].  The machine keeps
//! what decides transitions: the state, both context tags, the Initiator Nonce it sent, the
//! retransmission counter and deadline, and the outstanding Update Request.
//!
//! Where the RFC's text and its informative state table (Appendix B) disagree, the text is
//! normative (Appendix B says so), and this follows it:
//! - an ICMPv6 Parameter Problem (Unrecognized Next Header) about our I1 leads to NO-SUPPORT
//!   (§6.2, §7.8), not E-FAILED as one table row says;
//! - I2BIS-SENT gives up after `I2bis_RETRIES_MAX` I2bis retransmissions (the table names
//!   `I2_RETRIES_MAX`; both are 2);
//! - an Update Acknowledgement received in I2-SENT or I2BIS-SENT makes us resend the I2 or
//!   I2bis, as a payload packet or an Update Request does (§10.4); §10.5's "send R2" there
//!   cannot be meant: R2 answers an I1, I2 or I2bis.
//!
//! Times are nanoseconds of a monotonic clock.

/// Nanoseconds in a second.
pub const NSEC_PER_SEC: u64 = 1_000_000_000;

/// The context states (RFC 5533 §6.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// No context yet, or no longer.
    Idle,
    /// We sent an I1 and wait for an R1 or R2.
    I1Sent,
    /// We sent an I2 and wait for an R2.
    I2Sent,
    /// The peer lost its context (it sent an R1bis); we sent an I2bis and wait for an R2.
    I2bisSent,
    /// Both ends have the context.
    Established,
    /// No answer to our I1s: no new I1 until the hold-down ends (§7.8).
    EFailed,
    /// The peer does not know Shim6 (an ICMPv6 Unrecognized Next Header about our I1): no
    /// new I1 until the longer hold-down ends (§7.8).
    NoSupport,
}

/// The protocol constants (RFC 5533 §14), in nanoseconds and counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Constants {
    /// First I1 retransmission timeout (I1_TIMEOUT).
    pub i1_timeout: u64,
    /// I1 retransmissions before giving up (I1_RETRIES_MAX).
    pub i1_retries_max: u32,
    /// How long no I1 follows the failed ones (NO_R1_HOLDDOWN_TIME, "at most").
    pub no_r1_holddown: u64,
    /// How long no I1 follows an ICMPv6 error about one (ICMP_HOLDDOWN_TIME).
    pub icmp_holddown: u64,
    /// First I2 retransmission timeout (I2_TIMEOUT).
    pub i2_timeout: u64,
    /// I2 retransmissions before falling back to an I1 (I2_RETRIES_MAX).
    pub i2_retries_max: u32,
    /// First I2bis retransmission timeout (I2bis_TIMEOUT).
    pub i2bis_timeout: u64,
    /// I2bis retransmissions before falling back to an I1 (I2bis_RETRIES_MAX).
    pub i2bis_retries_max: u32,
    /// How long a Responder Nonce stays acceptable (VALIDATOR_MIN_LIFETIME): the caller's
    /// check when it verifies an I2 or I2bis.
    pub validator_min_lifetime: u64,
    /// First Update Request retransmission timeout (UPDATE_TIMEOUT).
    pub update_timeout: u64,
    /// The largest Update Request retransmission timeout (MAX_UPDATE_TIMEOUT).
    pub max_update_timeout: u64,
}

impl Constants {
    /// RFC 5533 §14's values.
    pub const RFC5533: Constants = Constants {
        i1_timeout: 4 * NSEC_PER_SEC,
        i1_retries_max: 4,
        no_r1_holddown: 60 * NSEC_PER_SEC,
        icmp_holddown: 600 * NSEC_PER_SEC,
        i2_timeout: 4 * NSEC_PER_SEC,
        i2_retries_max: 2,
        i2bis_timeout: 4 * NSEC_PER_SEC,
        i2bis_retries_max: 2,
        validator_min_lifetime: 30 * NSEC_PER_SEC,
        update_timeout: 4 * NSEC_PER_SEC,
        max_update_timeout: 120 * NSEC_PER_SEC,
    };
}

impl Default for Constants {
    fn default() -> Self {
        Self::RFC5533
    }
}

/// What happened to a context, as the caller found it.  Messages are the context's by the
/// look-up rules of RFC 5533 §12.4 and passed the checks the caller makes (§12.3, and the
/// ones each variant names).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// The heuristic or an application wants the context (§7.1).
    Trigger,
    /// The time the machine asked for ([`Context::deadline`]) came.
    Timer,
    /// An R1 answering an I1 with this Initiator Nonce (§7.11).
    R1 { init_nonce: u32 },
    /// An R2 answering an I1, I2 or I2bis with this Initiator Nonce, its CGA Parameter Data
    /// Structure (if any) matching the peer's ULID, with the peer's context tag (§7.16).
    R2 { init_nonce: u32, peer_tag: u64 },
    /// An I1 for the context's ULID pair and FII with the peer's context tag (§7.9).
    I1 { peer_tag: u64 },
    /// An I2 or I2bis whose Responder Validator, Responder Nonce and CGA Parameter Data
    /// Structure verified, with the peer's context tag; `locators_ok`: its source is one of
    /// the peer's locators or passed the HBA/CGA check (§7.13, §7.20).
    I2 { peer_tag: u64, locators_ok: bool },
    /// An R1bis whose Packet Context Tag is the peer's (§7.18): the peer lost the context.
    R1bis { packet_tag: u64 },
    /// A payload packet (one with a payload extension header) for the context (§12.2).
    Payload,
    /// An Update Request whose locators checked (§10.4).
    UpdateRequest,
    /// An Update Acknowledgement with this Request Nonce (§10.5).
    UpdateAck { nonce: u32 },
    /// Our locator set or preferences changed: the peer must be told (§10.1).
    LocatorsChanged,
    /// An Error Message (§5.14) about our Update Request with this Request Nonce: the peer
    /// did not process it (§10.4: a locator list it cannot verify, preferences for another
    /// generation or another number of locators; §12.3: a type or critical option it does
    /// not know) and will not acknowledge it, so it is no longer retransmitted.
    UpdateRefused { nonce: u32 },
    /// An ICMPv6 Parameter Problem, Unrecognized Next Header, about our I1 (§7.8).
    IcmpUnrecognized,
    /// Another context has the same peer tag and overlapping locators (context confusion,
    /// §7.6, §7.15): this older one must stop sending.
    Confused,
    /// The context is no longer wanted (§9: idle, no upper-layer state).
    Teardown,
}

/// What the caller must do for an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Send an I1 with our tag and this Initiator Nonce (§7.7).
    SendI1 { init_nonce: u32 },
    /// Send an I2 with this Initiator Nonce, copying the R1's Responder Validator and
    /// Responder Nonce (§7.12).
    SendI2 { init_nonce: u32 },
    /// Send an I2bis with this Initiator Nonce, copying the R1bis's Responder Validator,
    /// Packet Context Tag and Responder Nonce (§7.19).
    SendI2bis { init_nonce: u32 },
    /// Send an R1 for the I1 just received (stateless, §7.10).
    SendR1,
    /// Send an R2 for the I1, I2 or I2bis just received, copying its Initiator Nonce (§7.14).
    SendR2,
    /// Send an Update Request with our current locators and this Request Nonce (§10.1).
    SendUpdate { nonce: u32 },
    /// Send an Update Acknowledgement for the request just received (§10.4).
    SendUpdateAck,
    /// The context is established (or its peer tag changed): install it in (or move it to
    /// the new tag in) the kernel, so that payload packets flow (§7.14, §7.16).
    Install { peer_tag: u64 },
    /// The context is gone: remove it from the kernel.
    Remove,
}

/// Up to `N` things one step does, in order: a fixed array, no allocation.  The cores'
/// machines return their actions in one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Steps<T: Copy, const N: usize> {
    list: [Option<T>; N],
}

impl<T: Copy, const N: usize> Steps<T, N> {
    /// The most a step does.
    pub const CAPACITY: usize = N;

    /// None yet.
    pub const fn new() -> Self {
        Steps { list: [None; N] }
    }

    /// Adds `t` after the others (each machine pushes at most `N` a step: its tests check).
    pub fn push(&mut self, t: T) {
        if let Some(slot) = self.list.iter_mut().find(|s| s.is_none()) {
            *slot = Some(t);
        }
    }

    /// The things, in order.
    pub fn iter(&self) -> impl Iterator<Item = T> + '_ {
        self.list.iter().map_while(|a| *a)
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        matches!(self.list.first(), None | Some(None))
    }
}

impl<T: Copy, const N: usize> Default for Steps<T, N> {
    fn default() -> Self {
        Self::new()
    }
}

/// The actions of one context step.
pub type Actions = Steps<Action, 3>;

/// A retransmission in progress: of an I1, I2 or I2bis, or a hold-down.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Retransmit {
    /// When the timer fires.
    at: u64,
    /// Retransmissions sent so far.
    count: u32,
}

/// The outstanding Update Request (§10.2): at most one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Update {
    nonce: u32,
    at: u64,
    /// The timeout the last (re)transmission used, before randomization.
    nominal: u64,
}

/// One context's protocol state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Context {
    c: Constants,
    state: State,
    local_tag: u64,
    peer_tag: Option<u64>,
    /// The Initiator Nonce of our last I1, I2 or I2bis: an R1 or R2 must carry it back.
    init_nonce: u32,
    retransmit: Option<Retransmit>,
    update: Option<Update>,
}

/// `nominal` randomized uniformly over [0.5, 1.5) × nominal (§7.8, §14), from `r`.
fn jitter(nominal: u64, r: u32) -> u64 {
    nominal / 2 + ((u128::from(nominal) * u128::from(r)) >> 32) as u64
}

impl Context {
    /// A context in IDLE with our tag `local_tag` (47 random bits, unique among our
    /// contexts: §7.7 and §7.15 are the caller's).
    pub fn new(c: Constants, local_tag: u64) -> Self {
        Context {
            c,
            state: State::Idle,
            local_tag,
            peer_tag: None,
            init_nonce: 0,
            retransmit: None,
            update: None,
        }
    }

    /// The state.
    pub fn state(&self) -> State {
        self.state
    }

    /// Our context tag.
    pub fn local_tag(&self) -> u64 {
        self.local_tag
    }

    /// The peer's context tag, once known.
    pub fn peer_tag(&self) -> Option<u64> {
        self.peer_tag
    }

    /// The Request Nonce of the Update Request awaiting its acknowledgement, if any.
    pub fn pending_update(&self) -> Option<u32> {
        self.update.map(|u| u.nonce)
    }

    /// When [`Event::Timer`] is due: the earliest of the retransmission (or hold-down) and
    /// the Update Request timers.
    pub fn deadline(&self) -> Option<u64> {
        match (self.retransmit.map(|r| r.at), self.update.map(|u| u.at)) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Whether payload may be sent: the peer's tag and locators are known (§11: in
    /// ESTABLISHED and I2BIS-SENT).
    pub fn may_send_payload(&self) -> bool {
        matches!(self.state, State::Established | State::I2bisSent)
    }

    /// Handles `ev` at time `now`; `random` gives the nonces and timer jitter (RFC 4086
    /// quality is the caller's).  Returns what to do, in order.
    pub fn handle(&mut self, ev: Event, now: u64, random: &mut dyn FnMut() -> u32) -> Actions {
        let mut out = Actions::new();
        match (self.state, ev) {
            // Starting (§7.7, §7.8).  E-FAILED and NO-SUPPORT are negative caches: a trigger
            // there waits for the hold-down to end.
            (State::Idle, Event::Trigger) => self.send_i1(now, random, &mut out),

            // The responder's side: an I2 or I2bis that verified establishes the context in
            // any state but I2-SENT / I2BIS-SENT, which merely learn the new tag (§7.13,
            // §7.20); I1-SENT and the negative caches process it as IDLE does (App. B).
            (
                State::Idle
                | State::I1Sent
                | State::EFailed
                | State::NoSupport
                | State::Established,
                Event::I2 {
                    peer_tag,
                    locators_ok,
                },
            ) => {
                // The source-locator check needs the peer's locators (§7.13): IDLE and the
                // negative caches have none.
                if matches!(self.state, State::I1Sent | State::Established) && !locators_ok {
                    return out;
                }
                let changed = self.peer_tag != Some(peer_tag);
                self.peer_tag = Some(peer_tag);
                out.push(Action::SendR2);
                if changed || self.state != State::Established {
                    out.push(Action::Install { peer_tag });
                }
                self.established();
            }
            (
                State::I2Sent | State::I2bisSent,
                Event::I2 {
                    peer_tag,
                    locators_ok: true,
                },
            ) => {
                self.peer_tag = Some(peer_tag);
                out.push(Action::SendR2);
            }

            // Crossing I1s and lost R2s (§7.4, §7.9).
            (State::I1Sent | State::I2Sent | State::I2bisSent, Event::I1 { .. }) => {
                out.push(Action::SendR2)
            }
            (State::Established, Event::I1 { peer_tag }) => {
                // The same tag: our R2 was lost; another: the peer lost the context and
                // starts afresh (§7.5), and a new I2 will follow our R1.
                out.push(if self.peer_tag == Some(peer_tag) {
                    Action::SendR2
                } else {
                    Action::SendR1
                });
            }
            (State::Idle | State::EFailed | State::NoSupport, Event::I1 { .. }) => {
                out.push(Action::SendR1)
            }

            (State::I1Sent, Event::R1 { init_nonce }) if init_nonce == self.init_nonce => {
                self.state = State::I2Sent;
                self.retransmit_after(self.c.i2_timeout, 0, now, random);
                out.push(Action::SendI2 { init_nonce });
            }

            (
                State::I1Sent | State::I2Sent | State::I2bisSent,
                Event::R2 {
                    init_nonce,
                    peer_tag,
                },
            ) if init_nonce == self.init_nonce => {
                self.peer_tag = Some(peer_tag);
                out.push(Action::Install { peer_tag });
                self.established();
            }

            (State::I1Sent, Event::IcmpUnrecognized) => {
                self.state = State::NoSupport;
                self.retransmit = Some(Retransmit {
                    at: now + self.c.icmp_holddown,
                    count: 0,
                });
            }

            // The peer lost the context (§7.18).
            (State::Established, Event::R1bis { packet_tag })
                if Some(packet_tag) == self.peer_tag =>
            {
                self.state = State::I2bisSent;
                self.init_nonce = random();
                self.retransmit_after(self.c.i2bis_timeout, 0, now, random);
                out.push(Action::SendI2bis {
                    init_nonce: self.init_nonce,
                });
            }

            // The peer has the context but we never heard its R2 (§10.4, §10.5, §12.2): it
            // is sent again, and the packet is processed.
            (State::I2Sent, Event::Payload | Event::UpdateRequest | Event::UpdateAck { .. }) => {
                out.push(Action::SendI2 {
                    init_nonce: self.init_nonce,
                });
                self.after_repeat(ev, &mut out);
            }
            (State::I2bisSent, Event::Payload | Event::UpdateRequest | Event::UpdateAck { .. }) => {
                out.push(Action::SendI2bis {
                    init_nonce: self.init_nonce,
                });
                self.after_repeat(ev, &mut out);
            }
            (State::Established, Event::UpdateRequest) => out.push(Action::SendUpdateAck),
            (State::Established, Event::UpdateAck { nonce }) => self.acknowledged(nonce),
            (_, Event::UpdateRefused { nonce }) => self.acknowledged(nonce),
            (State::Established | State::I2bisSent, Event::LocatorsChanged) => {
                // A new request replaces an unacknowledged one, carrying its information too
                // (§10.3): the caller sends the locators as they are now.
                let nonce = random();
                let nominal = self.c.update_timeout;
                self.update = Some(Update {
                    nonce,
                    at: now + jitter(nominal, random()),
                    nominal,
                });
                out.push(Action::SendUpdate { nonce });
            }

            (_, Event::Timer) => self.expired(now, random, &mut out),

            // Context confusion (§7.15): the older context must not send and may not stay
            // established beside the newer; it goes.  Teardown likewise.
            (
                State::Established | State::I2bisSent | State::I2Sent | State::I1Sent,
                Event::Confused | Event::Teardown,
            ) => self.remove(&mut out),

            // Everything else is discarded silently: R1s and R2s that answer retransmissions
            // or carry another nonce, R1bis outside ESTABLISHED, payload before the context
            // exists, and the rest (App. B).
            _ => {}
        }
        out
    }

    /// The context reached ESTABLISHED: the handshake's timers stop.
    fn established(&mut self) {
        self.state = State::Established;
        self.retransmit = None;
    }

    fn remove(&mut self, out: &mut Actions) {
        let installed = self.may_send_payload() || self.peer_tag.is_some();
        self.state = State::Idle;
        self.peer_tag = None;
        self.retransmit = None;
        self.update = None;
        if installed {
            out.push(Action::Remove);
        }
    }

    /// After resending the I2 or I2bis for a packet, the packet itself (§10.4, §10.5).
    fn after_repeat(&mut self, ev: Event, out: &mut Actions) {
        match ev {
            Event::UpdateRequest if self.state == State::I2bisSent => {
                out.push(Action::SendUpdateAck)
            }
            Event::UpdateAck { nonce } => self.acknowledged(nonce),
            _ => {}
        }
    }

    fn acknowledged(&mut self, nonce: u32) {
        if self.update.is_some_and(|u| u.nonce == nonce) {
            self.update = None;
        }
    }

    /// The handshake's timer: after `nominal` randomized, the `count`th retransmission sent.
    fn retransmit_after(
        &mut self,
        nominal: u64,
        count: u32,
        now: u64,
        random: &mut dyn FnMut() -> u32,
    ) {
        self.retransmit = Some(Retransmit {
            at: now + jitter(nominal, random()),
            count,
        });
    }

    fn send_i1(&mut self, now: u64, random: &mut dyn FnMut() -> u32, out: &mut Actions) {
        self.state = State::I1Sent;
        // An Update Request needs a context at the peer, which a new exchange re-creates.
        self.update = None;
        self.init_nonce = random();
        self.retransmit_after(self.c.i1_timeout, 0, now, random);
        out.push(Action::SendI1 {
            init_nonce: self.init_nonce,
        });
    }

    fn expired(&mut self, now: u64, random: &mut dyn FnMut() -> u32, out: &mut Actions) {
        if let Some(r) = self.retransmit.filter(|r| r.at <= now) {
            self.handshake_expired(r, now, random, out);
        }
        // (After the handshake's timer, which may have given the context up.)
        if let Some(u) = self.update.filter(|u| u.at <= now) {
            // Update Requests are retransmitted until acknowledged, with the same nonce,
            // the timeout doubling up to MAX_UPDATE_TIMEOUT (§10.2).
            let nominal = (u.nominal * 2).min(self.c.max_update_timeout);
            self.update = Some(Update {
                nonce: u.nonce,
                at: now + jitter(nominal, random()),
                nominal,
            });
            out.push(Action::SendUpdate { nonce: u.nonce });
        }
    }

    fn handshake_expired(
        &mut self,
        r: Retransmit,
        now: u64,
        random: &mut dyn FnMut() -> u32,
        out: &mut Actions,
    ) {
        // The next retransmission's timeout doubles (binary exponential backoff) and is
        // randomized (§7.8, §7.12, §7.19, §14).
        let backoff = |first: u64| first << (r.count + 1).min(16);
        match self.state {
            State::I1Sent if r.count < self.c.i1_retries_max => {
                self.retransmit_after(backoff(self.c.i1_timeout), r.count + 1, now, random);
                out.push(Action::SendI1 {
                    init_nonce: self.init_nonce,
                });
            }
            State::I1Sent => {
                self.state = State::EFailed;
                self.retransmit = Some(Retransmit {
                    at: now + self.c.no_r1_holddown,
                    count: 0,
                });
            }
            State::I2Sent if r.count < self.c.i2_retries_max => {
                self.retransmit_after(backoff(self.c.i2_timeout), r.count + 1, now, random);
                out.push(Action::SendI2 {
                    init_nonce: self.init_nonce,
                });
            }
            State::I2bisSent if r.count < self.c.i2bis_retries_max => {
                self.retransmit_after(backoff(self.c.i2bis_timeout), r.count + 1, now, random);
                out.push(Action::SendI2bis {
                    init_nonce: self.init_nonce,
                });
            }
            // No R2 after the I2s or I2bis's: start again with an I1 (§7.12, §7.19).  From
            // I2BIS-SENT the kernel's context stays (its tags are still ours) until the new
            // exchange ends.
            State::I2Sent | State::I2bisSent => self.send_i1(now, random, out),
            // The hold-downs end (§7.8).
            State::EFailed | State::NoSupport => {
                self.state = State::Idle;
                self.retransmit = None;
            }
            State::Idle | State::Established => self.retransmit = None,
        }
    }
}
