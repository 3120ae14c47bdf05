// SPDX-License-Identifier: GPL-2.0

//! REAP's locator pair exploration (RFC 5534 §4.3, §5.2, §6): the daemon's half of failure
//! detection, as a pure state machine.
//!
//! The kernel runs the Operational state's timers (`shim6_reap.rs`: the Send Timer and the
//! Keepalive Timer, driven by every payload packet) and tells the daemon when a Keepalive is
//! due, when the Send Timer expired and when payload arrives while exploring.  This machine
//! runs the rest: the three REAP states (Operational, Exploring, InboundOk), the Probe
//! series (4 probes 0.5 s apart, then backing off to one a minute), the sequential walk
//! over the candidate locator pairs, InboundOk's Send Timer, and the choice of the new
//! current pair from the probes the peer reports having received.  Its actions say which
//! Probe or Keepalive to send on which pair and what to tell the kernel (its REAP mode, the
//! current pair).
//!
//! Pure `no_std` code, shared with the host tests.  Times are nanoseconds of a monotonic
//! clock; pairs are indices into the context's local and peer locator lists.

/// Nanoseconds in a millisecond.
pub const NSEC_PER_MSEC: u64 = 1_000_000;
/// Nanoseconds in a second.
pub const NSEC_PER_SEC: u64 = 1_000_000_000;

/// The REAP states, numbered as a Probe's State field carries them (RFC 5534 §5.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum ReapState {
    /// The current pair works.
    Operational = 0,
    /// Nothing came back for a Send Timeout: probing for a pair that works.
    Exploring = 1,
    /// The peer's packets arrive; whether ours reach it is unknown.
    InboundOk = 2,
}

impl ReapState {
    /// The state a Probe's State field names; `None` for the reserved value 3.
    pub fn from_wire(sta: u8) -> Option<Self> {
        match sta {
            0 => Some(Self::Operational),
            1 => Some(Self::Exploring),
            2 => Some(Self::InboundOk),
            _ => None,
        }
    }
}

/// The exploration's timing (RFC 5534 §4.3, §7).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExploreConfig {
    /// Initial Probe Timeout: the interval of the first probes (0.5 s).
    pub initial_probe_timeout: u64,
    /// Number of Initial Probes sent at that interval (4).
    pub initial_probes: u32,
    /// Max Probe Timeout: the interval doubles up to it (60 s).
    pub max_probe_timeout: u64,
    /// Send Timeout: InboundOk's Send Timer (15 s by default).
    pub send_timeout: u64,
}

impl ExploreConfig {
    /// RFC 5534's values.
    pub const RFC5534: ExploreConfig = ExploreConfig {
        initial_probe_timeout: 500 * NSEC_PER_MSEC,
        initial_probes: 4,
        max_probe_timeout: 60 * NSEC_PER_SEC,
        send_timeout: 15 * NSEC_PER_SEC,
    };
}

impl Default for ExploreConfig {
    fn default() -> Self {
        Self::RFC5534
    }
}

/// A locator pair: indices into the context's local and peer locator lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Pair {
    /// Index of the local locator.
    pub local: u8,
    /// Index of the peer's locator.
    pub peer: u8,
}

/// What exploration knows of a locator: its Locator Preferences (RFC 5533 §5.15.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Preference {
    /// Flagged BROKEN: known not to work, never a candidate.
    pub broken: bool,
    /// Flagged TRANSIENT (the draft's name for a locator that may soon go): tried last.
    pub transient: bool,
    /// Priority: lower values are preferred.
    pub priority: u8,
}

/// Locators a side has at most (as `rv6_shim6` holds them).
pub const MAX_LOCATORS: usize = 8;
/// Candidate pairs at most.
pub const MAX_PAIRS: usize = MAX_LOCATORS * MAX_LOCATORS;

/// The candidate pairs in the order exploration tries them (RFC 5534 §4.3, appendix A):
/// BROKEN locators left out, then non-TRANSIENT before TRANSIENT, lower priority values
/// first (the local side's, then the peer's), and list order among equals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Candidates {
    pairs: [Pair; MAX_PAIRS],
    len: usize,
}

impl Candidates {
    /// The candidates for locator lists with preferences `local` and `peer` (at most
    /// [`MAX_LOCATORS`] each; more are ignored).
    pub fn new(local: &[Preference], peer: &[Preference]) -> Self {
        let mut c = Candidates {
            pairs: [Pair::default(); MAX_PAIRS],
            len: 0,
        };
        for (l, lp) in local.iter().enumerate().take(MAX_LOCATORS) {
            for (p, pp) in peer.iter().enumerate().take(MAX_LOCATORS) {
                if !lp.broken && !pp.broken {
                    c.pairs[c.len] = Pair {
                        local: l as u8,
                        peer: p as u8,
                    };
                    c.len += 1;
                }
            }
        }
        // List order among equals: the indices close the key.
        let key = |p: &Pair| {
            let (l, r) = (local[usize::from(p.local)], peer[usize::from(p.peer)]);
            (
                l.transient || r.transient,
                l.priority,
                r.priority,
                p.local,
                p.peer,
            )
        };
        c.pairs[..c.len].sort_unstable_by_key(key);
        c
    }

    /// The pairs, in order.
    pub fn as_slice(&self) -> &[Pair] {
        &self.pairs[..self.len]
    }
}

/// Probes remembered each way: a Probe reports at most 15 (its 4-bit counts).
pub const MAX_REPORTS: usize = 15;

/// A Probe we sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct SentProbe {
    /// The pair it went on.
    pub pair: Pair,
    /// Its nonce.
    pub nonce: u32,
}

/// A Probe we received: the pair it came on (as our local, its peer) and its nonce and data,
/// to be reported back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct ReceivedProbe {
    /// The pair it came on.
    pub pair: Pair,
    /// Its nonce.
    pub nonce: u32,
    /// Its data, copied back unchanged.
    pub data: u32,
}

/// The last [`MAX_REPORTS`] of something, newest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Recent<T: Copy + Default> {
    items: [T; MAX_REPORTS],
    len: usize,
}

impl<T: Copy + Default> Recent<T> {
    fn new() -> Self {
        Recent {
            items: [T::default(); MAX_REPORTS],
            len: 0,
        }
    }

    fn push(&mut self, t: T) {
        self.items.copy_within(0..MAX_REPORTS - 1, 1);
        self.items[0] = t;
        self.len = (self.len + 1).min(MAX_REPORTS);
    }

    fn clear(&mut self) {
        self.len = 0;
    }

    /// Keeps the items `f` maps, mapped, in order.
    fn retain_map(&mut self, f: &dyn Fn(T) -> Option<T>) {
        let mut kept = 0;
        for i in 0..self.len {
            if let Some(t) = f(self.items[i]) {
                self.items[kept] = t;
                kept += 1;
            }
        }
        self.len = kept;
    }

    /// Newest first.
    pub fn as_slice(&self) -> &[T] {
        &self.items[..self.len]
    }
}

/// What happened, as the kernel's events and the daemon's socket report it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event<'a> {
    /// The kernel's Send Timer expired (its `send-timeout` event): the kernel is exploring.
    SendTimeout,
    /// A Keepalive is due (the kernel's `keepalive` event).
    KeepaliveDue,
    /// Payload arrived while the kernel was exploring (its `inbound` event).
    Payload,
    /// A valid Keepalive arrived (RFC 5534 §5.1).
    Keepalive,
    /// A valid Probe arrived on `pair` with state `sta`, its own nonce and data, and the
    /// nonces of the probes it reports having received from us (newest first).
    Probe {
        pair: Pair,
        sta: ReapState,
        nonce: u32,
        data: u32,
        reported: &'a [u32],
    },
    /// The time [`Explorer::deadline`] asked for came.
    Timer,
}

/// What the daemon must do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Send a Probe on `pair` with State `sta` and this nonce, reporting
    /// [`Explorer::sent`] and [`Explorer::received`] (RFC 5534 §5.2).
    SendProbe {
        pair: Pair,
        sta: ReapState,
        nonce: u32,
    },
    /// Send a Keepalive on the current pair (RFC 5534 §5.1).
    SendKeepalive { pair: Pair },
    /// Tell the kernel: REAP mode `exploring` or not, and the current pair.
    Kernel { exploring: bool, pair: Pair },
}

/// The actions of one exploration step.
pub type Actions = super::shim6_ctx::Steps<Action, 2>;

/// The probe series in progress.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Series {
    /// When the next probe goes.
    at: u64,
    /// Probes sent in this series.
    sent: u32,
    /// The candidate the next probe goes to (Exploring).
    next: usize,
}

/// One context's exploration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Explorer {
    cfg: ExploreConfig,
    state: ReapState,
    current: Pair,
    candidates: Candidates,
    series: Option<Series>,
    /// InboundOk's Send Timer.
    send_timer: Option<u64>,
    sent: Recent<SentProbe>,
    received: Recent<ReceivedProbe>,
}

impl Explorer {
    /// An Operational context on `current`, exploring `candidates` when it must.
    pub fn new(cfg: ExploreConfig, current: Pair, candidates: Candidates) -> Self {
        Explorer {
            cfg,
            state: ReapState::Operational,
            current,
            candidates,
            series: None,
            send_timer: None,
            sent: Recent::new(),
            received: Recent::new(),
        }
    }

    /// The REAP state.
    pub fn state(&self) -> ReapState {
        self.state
    }

    /// The current pair.
    pub fn current(&self) -> Pair {
        self.current
    }

    /// New candidates (the locator sets or preferences changed, RFC 5533 §10); an
    /// exploration goes on from the first.
    pub fn set_candidates(&mut self, candidates: Candidates) {
        self.candidates = candidates;
        if let Some(s) = &mut self.series {
            s.next = 0;
        }
    }

    /// The current pair moved outside exploration (the locator sets changed, or a person set
    /// it): Operational's Keepalives and the next exploration start from it; a series under
    /// way goes on.
    pub fn set_current(&mut self, current: Pair) {
        self.current = current;
    }

    /// The locator lists changed (RFC 5533 §10): `f` maps a pair of the old lists to the new
    /// ones.  The current pair, the probes sent and those received are mapped; a probe whose
    /// pair is gone is forgotten (its reports would name other locators), and a current pair
    /// that is gone stays as it was until the caller sets another.  Exploration goes on over
    /// `candidates`.
    pub fn remap(&mut self, f: &dyn Fn(Pair) -> Option<Pair>, candidates: Candidates) {
        if let Some(c) = f(self.current) {
            self.current = c;
        }
        self.sent
            .retain_map(&|p: SentProbe| f(p.pair).map(|pair| SentProbe { pair, ..p }));
        self.received
            .retain_map(&|p: ReceivedProbe| f(p.pair).map(|pair| ReceivedProbe { pair, ..p }));
        self.set_candidates(candidates);
    }

    /// Our recent probes, for a Probe's sent reports (newest first).
    pub fn sent(&self) -> &[SentProbe] {
        self.sent.as_slice()
    }

    /// The probes received since exploration began, for a Probe's received reports.
    pub fn received(&self) -> &[ReceivedProbe] {
        self.received.as_slice()
    }

    /// When [`Event::Timer`] is due: the next probe or InboundOk's Send Timer.
    pub fn deadline(&self) -> Option<u64> {
        match (self.series.map(|s| s.at), self.send_timer) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The interval after the `sent`th probe of a series: Initial Probe Timeout for the
    /// first Number of Initial Probes, then doubling up to Max Probe Timeout (§4.3).
    pub fn interval(&self, sent: u32) -> u64 {
        let beyond = sent.saturating_sub(self.cfg.initial_probes);
        let t = self.cfg.initial_probe_timeout << beyond.min(32);
        t.min(self.cfg.max_probe_timeout)
    }

    /// Handles `ev` at `now`; `random` gives the probe nonces.
    pub fn handle(&mut self, ev: Event<'_>, now: u64, random: &mut dyn FnMut() -> u32) -> Actions {
        let mut out = Actions::new();
        match (self.state, ev) {
            (ReapState::Operational, Event::KeepaliveDue) => {
                out.push(Action::SendKeepalive { pair: self.current })
            }
            // The Send Timer expired: full exploration (§6.4).
            (ReapState::Operational | ReapState::InboundOk, Event::SendTimeout) => {
                self.explore(now, random, &mut out)
            }
            // The peer's packets arrive: probe to say so, and wait a Send Timeout for it to
            // hear us (§6.1, §6.6).
            (ReapState::Exploring, Event::Payload | Event::Keepalive) => {
                self.state = ReapState::InboundOk;
                self.send_timer = Some(now + self.cfg.send_timeout);
                self.start_series(now);
                self.probe(self.current, now, random, &mut out);
            }
            (ReapState::InboundOk, Event::Payload | Event::Keepalive) => self.send_timer = None,
            (
                _,
                Event::Probe {
                    pair,
                    sta,
                    nonce,
                    data,
                    reported,
                },
            ) => {
                self.received.push(ReceivedProbe { pair, nonce, data });
                self.probed(pair, sta, reported, now, random, &mut out);
            }
            (_, Event::Timer) => self.expired(now, random, &mut out),
            // The kernel sees Operational's payload and Keepalives itself.
            _ => {}
        }
        out
    }

    /// Enters Exploring: probes go to each candidate in turn, starting with the current
    /// pair's place in the order.
    fn explore(&mut self, now: u64, random: &mut dyn FnMut() -> u32, out: &mut Actions) {
        self.state = ReapState::Exploring;
        self.send_timer = None;
        // Reports are of the probes received since the last transition to Exploring (§5.2).
        self.received.clear();
        let first = self
            .candidates
            .as_slice()
            .iter()
            .position(|p| *p == self.current)
            .unwrap_or(0);
        self.series = Some(Series {
            at: now,
            sent: 0,
            next: first,
        });
        self.next_exploring_probe(now, random, out);
    }

    fn start_series(&mut self, now: u64) {
        self.series = Some(Series {
            at: now,
            sent: 0,
            next: 0,
        });
    }

    /// Sends the series' next probe and schedules the one after.
    fn probe(&mut self, pair: Pair, now: u64, random: &mut dyn FnMut() -> u32, out: &mut Actions) {
        let nonce = random();
        self.sent.push(SentProbe { pair, nonce });
        out.push(Action::SendProbe {
            pair,
            sta: self.state,
            nonce,
        });
        if let Some(s) = &mut self.series {
            s.sent += 1;
        }
        if let Some(s) = self.series {
            let at = now + self.interval(s.sent);
            self.series = Some(Series { at, ..s });
        }
    }

    /// Exploring: the next candidate gets a probe (sequentially, §4.3).
    fn next_exploring_probe(
        &mut self,
        now: u64,
        random: &mut dyn FnMut() -> u32,
        out: &mut Actions,
    ) {
        let Some(s) = self.series else {
            return;
        };
        let pairs = self.candidates.as_slice();
        let pair = match pairs.len() {
            0 => self.current,
            n => pairs[s.next % n],
        };
        self.series = Some(Series {
            next: (s.next + 1) % pairs.len().max(1),
            ..s
        });
        self.probe(pair, now, random, out);
    }

    fn probed(
        &mut self,
        pair: Pair,
        sta: ReapState,
        reported: &[u32],
        now: u64,
        random: &mut dyn FnMut() -> u32,
        out: &mut Actions,
    ) {
        // The first of our probes the peer saw (newest first) is a pair that works our way.
        let heard = reported
            .iter()
            .find_map(|n| self.sent.as_slice().iter().find(|p| p.nonce == *n))
            .map(|p| p.pair);
        match sta {
            // The peer hears nothing from us: answer that we hear it (§6.7).
            ReapState::Exploring => {
                let was = self.state;
                self.state = ReapState::InboundOk;
                self.send_timer = Some(now + self.cfg.send_timeout);
                self.start_series(now);
                if was == ReapState::Operational {
                    out.push(Action::Kernel {
                        exploring: true,
                        pair: self.current,
                    });
                }
                // Back on the pair the peer's probe came on, reversed: it works its way.
                self.probe(pair, now, random, out);
            }
            // It hears us and we hear it: operational, on a pair it reported (§6.8).
            ReapState::InboundOk => {
                self.operational(heard);
                self.probe_once(pair, random, out);
                out.push(Action::Kernel {
                    exploring: false,
                    pair: self.current,
                });
            }
            // Exploration ended at the peer (§6.9).
            ReapState::Operational => {
                let was = self.state;
                self.operational(heard);
                if was != ReapState::Operational || heard.is_some() {
                    out.push(Action::Kernel {
                        exploring: false,
                        pair: self.current,
                    });
                }
            }
        }
    }

    /// Operational again, on `pair` if one was reported to work.
    fn operational(&mut self, pair: Option<Pair>) {
        self.state = ReapState::Operational;
        self.series = None;
        self.send_timer = None;
        if let Some(p) = pair {
            self.current = p;
        }
    }

    /// A single probe outside any series (the Operational answer, §6.8).
    fn probe_once(&mut self, pair: Pair, random: &mut dyn FnMut() -> u32, out: &mut Actions) {
        let nonce = random();
        self.sent.push(SentProbe { pair, nonce });
        out.push(Action::SendProbe {
            pair,
            sta: ReapState::Operational,
            nonce,
        });
    }

    fn expired(&mut self, now: u64, random: &mut dyn FnMut() -> u32, out: &mut Actions) {
        if self.send_timer.is_some_and(|t| t <= now) {
            // InboundOk heard nothing back for a Send Timeout: explore again (§6.4), and the
            // kernel, exploring all along, reports the next payload anew (what moves us back
            // to InboundOk, §6).
            self.explore(now, random, out);
            out.push(Action::Kernel {
                exploring: true,
                pair: self.current,
            });
            return;
        }
        if self.series.filter(|s| s.at <= now).is_none() {
            return;
        }
        match self.state {
            ReapState::Exploring => self.next_exploring_probe(now, random, out),
            // InboundOk keeps telling the peer on the pair its probes come on (§6.5).
            ReapState::InboundOk => {
                let pair = self
                    .received
                    .as_slice()
                    .first()
                    .map_or(self.current, |r| r.pair);
                self.probe(pair, now, random, out);
            }
            ReapState::Operational => self.series = None,
        }
    }
}
