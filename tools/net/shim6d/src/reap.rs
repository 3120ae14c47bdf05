//! REAP on the wire (RFC 5534): the engine's side of failure detection and
//! locator pair exploration.
//!
//! The kernel runs the Operational state's two timers over the payload it
//! sees (`shim6_reap`) and raises events; `shim6_explore`'s [`Explorer`]
//! runs the three REAP states, the probe series and the walk over the
//! candidate pairs.  This file joins them to the wire and to the kernel:
//!
//! - a `keepalive` event sends a Keepalive on the current pair (§5.1,
//!   §6.1);
//! - a `send-timeout` event (the kernel is exploring now) starts the probe
//!   series: one Probe to each candidate pair in turn, best first by the
//!   Locator Preferences (§4.3, appendix A), 4 at 0.5 s, then backing off
//!   to one a minute;
//! - an `inbound` event (payload while exploring), a Keepalive or a Probe
//!   from the peer moves the machine as §6 says, and a Probe answers;
//! - when a pair is known to work both ways (the peer reports having
//!   received one of our probes), the kernel gets it as its current pair
//!   and goes back to `operational` (a `context-set`, [`ReapSet`]).
//!
//! Every Probe carries the reports REAP needs (§5.2): the probes we sent,
//! this one first (its nonce is this probe's), and those we received since
//! exploration began, with their data echoed.  A Keepalive or Probe is for
//! the context whose local tag it names, between the context's locators;
//! anything else is dropped (a stale peer learns of it by the R1bis its
//! next payload packet draws, §7.17).
//!
//! The explorer's pairs are indices into this host's locators and the
//! peer's ([`Lists`]); the lists, and so the
//! candidates, are made again whenever either side's locators or
//! preferences changed, the current pair kept by its addresses.

use rv6_cores::shim6_explore::{
    self as explore,
    Action,
    Candidates,
    Event,
    ExploreConfig,
    Explorer,
    Preference,
    ReapState,
    MAX_LOCATORS, //
};
use rv6_cores::shim6_wire::{
    self as wire,
    Addr,
    ContextTag,
    LocatorPreference,
    Message,
    ProbeReport,
    ProbeReports,
    LOCATOR_BROKEN,
    LOCATOR_TEMPORARY, //
};

use super::{
    send,
    Engine,
    KernelRequest,
    Note,
    Output,
    Pair,
    Why, //
};
use crate::msg::Options;

/// A REAP event of the kernel's family (its `event` enum's names).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReapEvent {
    /// `send-timeout`: payload went out and nothing came back for the Send
    /// Timeout; the kernel is exploring.
    SendTimeout,
    /// `keepalive`: payload came in and none went out for a Keepalive
    /// Interval.
    Keepalive,
    /// `inbound`: payload came in while the kernel was exploring.
    Inbound,
    /// `idle`: no packet either way for the idle timeout.
    Idle,
}

impl ReapEvent {
    /// The event the family names `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "send-timeout" => Some(Self::SendTimeout),
            "keepalive" => Some(Self::Keepalive),
            "inbound" => Some(Self::Inbound),
            "idle" => Some(Self::Idle),
            _ => None,
        }
    }

    /// The family's name of the event.
    pub fn name(self) -> &'static str {
        match self {
            Self::SendTimeout => "send-timeout",
            Self::Keepalive => "keepalive",
            Self::Inbound => "inbound",
            Self::Idle => "idle",
        }
    }
}

/// A `context-set` of REAP's: the kernel's `reap-state`, and the current
/// pair (set only if it differs from the kernel's).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReapSet {
    pub local_tag: u64,
    /// `exploring` (its timers stopped) or `operational` (they start
    /// afresh).
    pub exploring: bool,
    pub current: Pair,
}

/// The name of a REAP state, as RFC 5534 §6 writes it.
pub fn reap_state_name(s: ReapState) -> &'static str {
    match s {
        ReapState::Operational => "Operational",
        ReapState::Exploring => "Exploring",
        ReapState::InboundOk => "InboundOk",
    }
}

/// The locator lists a context's exploration works over, with the
/// preferences its candidates were made from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Lists {
    /// This host's locators, as the explorer's `Pair::local` indexes them.
    pub(super) local: Vec<Addr>,
    /// The peer's, as `Pair::peer` indexes them.
    pub(super) peer: Vec<Addr>,
    local_preferences: Vec<Preference>,
    peer_preferences: Vec<Preference>,
}

impl Lists {
    fn candidates(&self) -> Candidates {
        Candidates::new(&self.local_preferences, &self.peer_preferences)
    }
}

/// One context's exploration, and the locator lists its pairs index.
#[derive(Clone, Debug)]
pub(super) struct Reaper {
    explorer: Explorer,
    lists: Lists,
}

impl Reaper {
    /// The explorer's pair for the addresses of `p`, if both are in the
    /// lists.
    fn slot(&self, p: Pair) -> Option<explore::Pair> {
        let local = self.lists.local.iter().position(|a| *a == p.local)?;
        let peer = self.lists.peer.iter().position(|a| *a == p.peer)?;
        Some(explore::Pair {
            local: local as u8,
            peer: peer as u8,
        })
    }

    /// The addresses of the explorer's pair `s`.
    fn addresses(&self, s: explore::Pair) -> Option<Pair> {
        Some(Pair {
            local: *self.lists.local.get(usize::from(s.local))?,
            peer: *self.lists.peer.get(usize::from(s.peer))?,
        })
    }

    /// The REAP state.
    pub(super) fn state(&self) -> ReapState {
        self.explorer.state()
    }

    /// The current pair, as addresses.
    pub(super) fn current(&self) -> Option<Pair> {
        self.addresses(self.explorer.current())
    }

    /// When the explorer wants its next timer event.
    pub(super) fn deadline(&self) -> Option<u64> {
        self.explorer.deadline()
    }

    /// The Probe reports of our probes sent (this one first) and of the
    /// peer's received since exploration began, as their bytes.
    fn reports(&self) -> (Vec<u8>, Vec<u8>) {
        let mut sent = Vec::new();
        for p in self.explorer.sent() {
            if let Some(a) = self.addresses(p.pair) {
                let r = ProbeReport {
                    source: a.local,
                    destination: a.peer,
                    nonce: p.nonce,
                    data: 0,
                };
                sent.extend(r.to_bytes());
            }
        }
        let mut received = Vec::new();
        for p in self.explorer.received() {
            if let Some(a) = self.addresses(p.pair) {
                let r = ProbeReport {
                    source: a.peer,
                    destination: a.local,
                    nonce: p.nonce,
                    data: p.data,
                };
                received.extend(r.to_bytes());
            }
        }
        (sent, received)
    }
}

/// A locator's preference as exploration orders it.
fn preference(p: Option<&LocatorPreference>) -> Preference {
    p.map_or(Preference::default(), |p| Preference {
        broken: p.flags & LOCATOR_BROKEN != 0,
        transient: p.flags & LOCATOR_TEMPORARY != 0,
        priority: p.priority.unwrap_or(0),
    })
}

impl Engine {
    /// The exploration's timing: RFC 5534's, with this host's Send Timeout
    /// for InboundOk's Send Timer.
    fn explore_config(&self) -> ExploreConfig {
        ExploreConfig {
            send_timeout: self.config.send_timeout_ns(),
            ..ExploreConfig::RFC5534
        }
    }

    /// The locator lists and preferences `pair`'s exploration works over:
    /// ours as we have them now, the peer's as its last list said (the
    /// set the kernel has, before any list came).
    fn reap_lists(&self, pair: Pair) -> Option<Lists> {
        let e = self.contexts.get(&pair)?;
        let local: Vec<Addr> = self
            .config
            .locators
            .iter()
            .take(MAX_LOCATORS)
            .copied()
            .collect();
        let ours = |a: &Addr| self.config.preferences.iter().find(|(l, _)| l == a);
        let local_preferences = local
            .iter()
            .map(|a| preference(ours(a).map(|(_, p)| p)))
            .collect();
        let (peer, peer_preferences) = if e.peer_list.is_empty() {
            let mut peer = if e.peer_locators.is_empty() {
                vec![pair.peer]
            } else {
                e.peer_locators.clone()
            };
            peer.truncate(MAX_LOCATORS);
            let n = peer.len();
            (peer, vec![Preference::default(); n])
        } else {
            let n = e.peer_list.len().min(MAX_LOCATORS);
            // The preferences are for the list only when they are as many.
            let theirs =
                (e.peer_preferences.len() == e.peer_list.len()).then_some(&e.peer_preferences);
            let prefs = (0..n)
                .map(|i| preference(theirs.and_then(|t| t.get(i))))
                .collect();
            (e.peer_list[..n].to_vec(), prefs)
        };
        Some(Lists {
            local,
            peer,
            local_preferences,
            peer_preferences,
        })
    }

    /// `pair`'s exploration, made or brought up to date with the locator
    /// lists (its current pair kept by its addresses); `None` while the
    /// context is not in the kernel.
    pub(super) fn reaper(&mut self, pair: Pair) -> Option<&mut Reaper> {
        let lists = self.reap_lists(pair)?;
        let cfg = self.explore_config();
        let e = self.contexts.get_mut(&pair)?;
        e.installed?;
        let (explorer, current) = match &e.reap {
            Some(r) if r.lists == lists => return e.reap.as_mut(),
            Some(r) => {
                // The history (probes sent and received) and the current pair move to the
                // new lists' indices by their addresses; what names a locator that left
                // is forgotten.
                let mut explorer = r.explorer;
                let old = &r.lists;
                let map = |p: explore::Pair| {
                    let l = old.local.get(usize::from(p.local))?;
                    let q = old.peer.get(usize::from(p.peer))?;
                    Some(explore::Pair {
                        local: lists.local.iter().position(|a| a == l)? as u8,
                        peer: lists.peer.iter().position(|a| a == q)? as u8,
                    })
                };
                explorer.remap(&map, lists.candidates());
                (explorer, r.current().unwrap_or(pair))
            }
            None => (
                Explorer::new(cfg, explore::Pair::default(), lists.candidates()),
                e.current.unwrap_or(pair),
            ),
        };
        let mut r = Reaper { explorer, lists };
        if let Some(s) = r.slot(current) {
            r.explorer.set_current(s);
        }
        e.reap = Some(r);
        e.reap.as_mut()
    }

    /// The context whose local tag is `tag`.
    fn by_local_tag(&self, tag: u64) -> Option<Pair> {
        self.contexts
            .iter()
            .find(|(_, e)| tag != 0 && e.ctx.local_tag() == tag)
            .map(|(p, _)| *p)
    }

    /// A REAP event of the kernel for the context with `local_tag`, whose
    /// current pair the kernel says is `current` (a person or an Update
    /// may have moved it since the explorer last set it).
    pub(super) fn reap_event(
        &mut self,
        local_tag: u64,
        event: ReapEvent,
        current: Option<Pair>,
        now: u64,
        out: &mut Output,
    ) {
        let Some(pair) = self.by_local_tag(local_tag) else {
            return out.notes.push(Note::ReapEvent {
                local_tag,
                event,
                outcome: "ignored: no context of this daemon has the tag".into(),
            });
        };
        let ev = match event {
            ReapEvent::SendTimeout => Event::SendTimeout,
            ReapEvent::Keepalive => Event::KeepaliveDue,
            ReapEvent::Inbound => Event::Payload,
            // RFC 5533 §7.19 lets a host forget an idle context; the peer
            // would recover it with R1bis/I2bis.  Kept: a context costs the
            // kernel no timer while idle.
            ReapEvent::Idle => {
                return out.notes.push(Note::ReapEvent {
                    local_tag,
                    event,
                    outcome: "kept".into(),
                })
            }
        };
        let Some(r) = self.reaper(pair) else {
            return out.notes.push(Note::ReapEvent {
                local_tag,
                event,
                outcome: "ignored: the context is not in the kernel".into(),
            });
        };
        if let Some(s) = current.and_then(|c| r.slot(c)) {
            if r.state() == ReapState::Operational {
                r.explorer.set_current(s);
            }
        }
        out.notes.push(Note::ReapEvent {
            local_tag,
            event,
            outcome: format!("in {}", reap_state_name(r.state())),
        });
        self.explore(pair, ev, now, out);
    }

    /// A Keepalive (RFC 5534 §5.1) for our context `tag` from `src` to
    /// `dst`.
    pub(super) fn keepalive(
        &mut self,
        src: Addr,
        dst: Addr,
        tag: ContextTag,
        now: u64,
        out: &mut Output,
    ) {
        let Some(pair) = self.reap_context(src, dst, tag, out) else {
            return;
        };
        self.explore(pair, Event::Keepalive, now, out);
    }

    /// A Probe (RFC 5534 §5.2) from `src` to `dst`.
    pub(super) fn probe(
        &mut self,
        src: Addr,
        dst: Addr,
        p: &wire::Probe<'_>,
        now: u64,
        out: &mut Output,
    ) {
        let drop = |out: &mut Output, why| out.notes.push(Note::Dropped { src, dst, why });
        let Some(pair) = self.reap_context(src, dst, p.receiver_context_tag, out) else {
            return;
        };
        let sta = match p.state {
            wire::ReapState::Operational => ReapState::Operational,
            wire::ReapState::Exploring => ReapState::Exploring,
            wire::ReapState::InboundOk => ReapState::InboundOk,
            wire::ReapState::Unassigned => return drop(out, Why::ReservedState),
        };
        // The first sent report is this probe's (§5.2: it MUST be there).
        let Some(this) = p.sent.iter().next() else {
            return drop(out, Why::NoProbeReport);
        };
        let reported: Vec<u32> = p.received.iter().map(|r| r.nonce).collect();
        let Some(slot) = self.reaper(pair).and_then(|r| {
            r.slot(Pair {
                local: dst,
                peer: src,
            })
        }) else {
            return drop(out, Why::ForeignLocators);
        };
        let ev = Event::Probe {
            pair: slot,
            sta,
            nonce: this.nonce,
            data: this.data,
            reported: &reported,
        };
        self.explore(pair, ev, now, out);
    }

    /// The context a Keepalive or Probe with `tag` from `src` to `dst` is
    /// for: the one whose local tag it is, in the kernel, between its
    /// locators.
    fn reap_context(
        &mut self,
        src: Addr,
        dst: Addr,
        tag: ContextTag,
        out: &mut Output,
    ) -> Option<Pair> {
        let why = match self.by_local_tag(tag.get()) {
            None => Why::NoContext,
            Some(pair) => match self.reaper(pair) {
                None => Why::NotEstablished,
                Some(r) if r.lists.peer.contains(&src) && r.lists.local.contains(&dst) => {
                    return Some(pair)
                }
                Some(_) => Why::ForeignLocators,
            },
        };
        out.notes.push(Note::Dropped { src, dst, why });
        None
    }

    /// Explorers whose timer is due.
    pub(super) fn reap_due(&mut self, now: u64, out: &mut Output) {
        let due: Vec<Pair> = self
            .contexts
            .iter()
            .filter(|(_, e)| {
                e.reap
                    .as_ref()
                    .and_then(Reaper::deadline)
                    .is_some_and(|d| d <= now)
            })
            .map(|(p, _)| *p)
            .collect();
        for pair in due {
            self.explore(pair, Event::Timer, now, out);
        }
    }

    /// Passes `ev` to `pair`'s explorer and carries out its actions.
    fn explore(&mut self, pair: Pair, ev: Event<'_>, now: u64, out: &mut Output) {
        let Some(e) = self.contexts.get_mut(&pair) else {
            return;
        };
        let local_tag = e.ctx.local_tag();
        let Some(peer_tag) = e.ctx.peer_tag().and_then(ContextTag::new) else {
            return;
        };
        let Some(r) = e.reap.as_mut() else {
            return;
        };
        let from = r.state();
        let entropy = &mut self.entropy;
        let actions = r.explorer.handle(ev, now, &mut || entropy.u32());
        let to = r.state();
        if from != to {
            out.notes.push(Note::Reap {
                pair,
                outcome: format!("REAP {} -> {}", reap_state_name(from), reap_state_name(to)),
            });
        }
        let r = r.clone();
        for a in actions.iter() {
            match a {
                Action::SendKeepalive { pair: s } => {
                    let Some(at) = r.addresses(s) else { continue };
                    send(
                        out,
                        "Keepalive",
                        at.local,
                        at.peer,
                        Message::Keepalive {
                            receiver_context_tag: peer_tag,
                        },
                        &Options::default(),
                    );
                }
                Action::SendProbe { pair: s, sta, .. } => {
                    let Some(at) = r.addresses(s) else { continue };
                    let (sent, received) = r.reports();
                    let state = match sta {
                        ReapState::Operational => wire::ReapState::Operational,
                        ReapState::Exploring => wire::ReapState::Exploring,
                        ReapState::InboundOk => wire::ReapState::InboundOk,
                    };
                    let (Some(sent), Some(received)) =
                        (ProbeReports::new(&sent), ProbeReports::new(&received))
                    else {
                        continue;
                    };
                    send(
                        out,
                        "Probe",
                        at.local,
                        at.peer,
                        Message::Probe(wire::Probe {
                            receiver_context_tag: peer_tag,
                            state,
                            sent,
                            received,
                        }),
                        &Options::default(),
                    );
                }
                Action::Kernel { exploring, pair: s } => {
                    let Some(current) = r.addresses(s) else {
                        continue;
                    };
                    if let Some(e) = self.contexts.get_mut(&pair) {
                        e.current = Some(current);
                    }
                    out.kernel.push(KernelRequest::Reap(ReapSet {
                        local_tag,
                        exploring,
                        current,
                    }));
                }
            }
        }
    }
}
