//! The protocol engine: RFC 5533's context establishment (§7) for one host,
//! with no socket and no clock of its own.  It is fed what happened
//! ([`Input`]: a control message from the raw socket, a kernel `trigger`
//! event, or time passing) with the time, and answers what to do
//! ([`Output`]: messages to send, requests for the kernel's rv6-shim6
//! family, and lines for the log).  The daemon's event loop (`main.rs`)
//! does the sending; the tests run two engines against each other in
//! memory with a fake clock.
//!
//! Every decision is `shim6_ctx`'s ([`Context::handle`]): the engine finds
//! the context a message belongs to (§12.4: by ULID pair for I1 and I2, by
//! address pair for R1 and R2), makes the checks the machine leaves to its
//! caller (the Responder Validator, the I2's source among the locators it
//! lists, the peer's locators and CGA Parameter Data Structure), passes the
//! event on and carries out the actions, building the messages with
//! `shim6_wire`.  The responder keeps no state for an I1: an I1 with no
//! context is answered by a fresh IDLE machine that is then dropped, and
//! only an I2 whose validator and locators verify creates a context.
//!
//! HBA and CGA (§7.2, in [`crate::binding`]): with the host's HBA set or
//! CGA ([`Config::binding`]), every Locator List (I2, R2, I2bis, Update
//! Request) goes with each locator's verification method, the CGA
//! Parameter Data Structure of the ULID and, when a locator is CGA, the CGA
//! Signature, signed once per generation.  Every list received is verified
//! against the structure it came with or the one its context recorded: a
//! structure that is not ULID(peer)'s is discarded silently (§7.13, §7.16,
//! §7.20, §10.4), a locator that fails gets an Error Message with code 2 at
//! its method octet, and neither creates nor changes anything.
//!
//! Context recovery (§7.4, §7.17–§7.20): when the kernel finds a payload
//! header whose tag no context has (an [`Input::UnknownTag`]: this host lost
//! the context), the engine answers the packet's source with an R1bis,
//! statelessly again, its Responder Validator over the tag and the packet's
//! locators.  The peer, which finds its context by that tag as its peer tag
//! and the R1bis's locators, lets the machine answer it (ESTABLISHED ->
//! I2BIS-SENT, an I2bis echoing the R1bis over the same locator pair,
//! retransmitted until an R2 comes); the host that lost the context verifies
//! the I2bis's validator and re-creates the context with the Packet Context
//! Tag as its own tag (the peer's payload carries it), the peer's tag and
//! locators from the I2bis, and the I2bis's locator pair as the kernel's
//! current pair (the pair the peer sends on), and answers R2.
//!
//! Locator changes (§10, in [`update`]): a new set of local locators or
//! preferences ([`Input::Locators`], which `main.rs` feeds from rtnetlink
//! through [`crate::locators`]) gets a new Locator List Generation and an
//! Update Request on every ESTABLISHED (or I2BIS-SENT) context, carrying
//! the Locator List and, when the host has some, its Locator Preferences;
//! the machine retransmits it with the same Request Nonce until the Update
//! Acknowledgement echoes it (UPDATE_TIMEOUT, doubling to
//! MAX_UPDATE_TIMEOUT, randomized: §10.2, §14).  The peer checks the
//! request (§10.4: the context by its tag, the addresses among its
//! locators, the structure and the locators' verification, the
//! preferences' generation and number), records the locators and preferences, and acknowledges.  Each
//! side tells its kernel ([`KernelRequest::Set`]): the new set, and where
//! the current pair goes if its locator left or is no longer usable.
//! Control messages of a type or with a critical option it does not know
//! are answered with an Error Message (§5.14, §12.3), at most 20 at once
//! and 10 a second ([`crate::ratelimit`]); an Error about our pending
//! Update Request stops its retransmissions.
//!
//! REAP (RFC 5534, in [`reap`]): Keepalives when the kernel says one is
//! due, exploration when its Send Timer expired, the working pair given
//! back to the kernel; our Send Timeout goes to the peer in a Keepalive
//! Timeout option with every Locator List.
//!
//! Not yet (later increments): forked contexts (FII ≠ 0), ICMPv6 errors
//! about our I1, Locator Preferences in I2, R2 and I2bis (sent and read in
//! Update Requests only).

use std::collections::BTreeMap;
use std::fmt;
use std::net::Ipv6Addr;

#[path = "reap.rs"]
pub mod reap;
#[path = "update.rs"]
pub mod update;

pub use reap::{
    reap_state_name,
    ReapEvent,
    ReapSet, //
};

use rv6::spec::specs::rv6_shim6::MAX_LOCATORS;
use rv6_cores::shim6_ctx::{
    Action,
    Constants,
    Context,
    Event,
    State, //
};
use rv6_cores::shim6_wire::{
    self as wire,
    Addr,
    ContextTag,
    LocatorPreference,
    Message,
    UlidPair,
    ERR_CRITICAL_OPTION,
    ERR_UNKNOWN_TYPE,
    ERR_VERIFICATION_FAILED, //
};

use crate::binding::{
    self,
    Binding,
    PeerMessage,
    PeerRefusal,
    SignedList,
    Unverified, //
};
use crate::msg::{
    self,
    Options,
    Refusal, //
};
use crate::ratelimit::TokenBucket;
use crate::validator::{
    self,
    Inputs,
    RecoveryInputs,
    Secrets, //
};

/// Random numbers for nonces, tags, jitter and secrets.
pub trait Entropy {
    /// Fills `buf`.
    fn fill(&mut self, buf: &mut [u8]);

    /// A random u32.
    fn u32(&mut self) -> u32 {
        let mut b = [0; 4];
        self.fill(&mut b);
        u32::from_ne_bytes(b)
    }

    /// A random u64.
    fn u64(&mut self) -> u64 {
        let mut b = [0; 8];
        self.fill(&mut b);
        u64::from_ne_bytes(b)
    }
}

/// The kernel's random numbers (getrandom(2)).
pub struct OsEntropy;

impl Entropy for OsEntropy {
    fn fill(&mut self, buf: &mut [u8]) {
        // getrandom(2) blocks until the pool is ready and then does not fail.
        getrandom::fill(buf).expect("getrandom(2)");
    }
}

/// A deterministic generator (SplitMix64) from its seed: for tests and
/// simulations, never for the daemon's secrets.
pub struct SplitMix(pub u64);

impl Entropy for SplitMix {
    fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^= z >> 31;
            chunk.copy_from_slice(&z.to_ne_bytes()[..chunk.len()]);
        }
    }
}

/// A control message as it came: from `src` to `dst`, the Shim6 header's
/// bytes (what an Error Message about it carries).
#[derive(Clone, Copy)]
struct Incoming<'a> {
    src: Addr,
    dst: Addr,
    bytes: &'a [u8],
}

/// A ULID pair, ours first: what identifies a context (with FII 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pair {
    pub local: Addr,
    pub peer: Addr,
}

/// The host's side of every context.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// This host's ULID: the local ULID of every context it sets up.
    pub ulid: Addr,
    /// This host's locators, the ULID first; sent in I2 and R2.
    pub locators: Vec<Addr>,
    /// The protocol's timers and retry counts (RFC 5533 §14).
    pub constants: Constants,
    /// How often the Responder Validator's secret is replaced (ns).
    pub secret_lifetime: u64,
    /// Preferences of some of our locators (§5.15.3), sent in Update
    /// Requests when there are any: one element per locator of the list,
    /// as long as the longest any locator needs (flags; then priority; then
    /// weight), a locator without one getting 0s.
    pub preferences: Vec<(Addr, LocatorPreference)>,
    /// The HBA set or CGA that binds the locators to the ULID: sent with
    /// every Locator List, and what makes the engine verify the peer's
    /// (RFC 5533 §7.2).  Without one, the lists say HBA with nothing to
    /// back it, and the peer's are taken on trust unless it sends a CGA
    /// Parameter Data Structure.
    pub binding: Option<Binding>,
    /// Our Send Timeout in seconds when it is not RFC 5534's 15 (§7): the
    /// kernel's contexts take it, and the peers learn it from the
    /// Keepalive Timeout option of our I2, R2, I2bis and Update Requests
    /// (§5.3), so that their Keepalives come often enough.
    pub send_timeout: Option<u16>,
}

impl Config {
    /// RFC 5534's Send Timeout (§7), in seconds.
    pub const DEFAULT_SEND_TIMEOUT: u16 = 15;

    /// Our Send Timeout in ns.
    pub fn send_timeout_ns(&self) -> u64 {
        u64::from(self.send_timeout.unwrap_or(Self::DEFAULT_SEND_TIMEOUT)) * 1_000_000_000
    }

    /// `locators` (at most the kernel's `max-locators`, each once, unicast),
    /// with `ulid` (one of them; the first by default) moved first, and
    /// RFC 5533's constants.
    pub fn new(locators: Vec<Addr>, ulid: Option<Addr>) -> Result<Config, String> {
        let Some(&first) = locators.first() else {
            return Err("no locator".into());
        };
        let ulid = ulid.unwrap_or(first);
        check_locators(&locators, ulid)?;
        let Some(at) = locators.iter().position(|a| *a == ulid) else {
            return Err(format!(
                "the ULID {} is not one of the locators",
                Ipv6Addr::from(ulid)
            ));
        };
        let mut locators = locators;
        let u = locators.remove(at);
        locators.insert(0, u);
        Ok(Config {
            ulid,
            locators,
            constants: Constants::RFC5533,
            secret_lifetime: validator::DEFAULT_LIFETIME,
            preferences: Vec::new(),
            binding: None,
            send_timeout: None,
        })
    }

    /// Why `locators` cannot be this host's: [`check_locators`]'s reasons,
    /// or, with a binding, a ULID it does not make or a locator it neither
    /// has in its HBA set nor signs for.
    pub fn refusal(&self, locators: &[Addr]) -> Result<(), String> {
        check_locators(locators, self.ulid)?;
        match &self.binding {
            Some(b) => b.check(&self.ulid, locators),
            None => Ok(()),
        }
    }
}

/// Why a set of locators cannot be this host's: none, too many for the
/// kernel with the ULID (which its sets keep), twice the same, or one that
/// cannot be a locator.
pub(crate) fn check_locators(locators: &[Addr], ulid: Addr) -> Result<(), String> {
    if locators.is_empty() {
        return Err("no locator".into());
    }
    if locators.len() > MAX_LOCATORS as usize {
        return Err(format!("more than {MAX_LOCATORS} locators"));
    }
    if locators.len() == MAX_LOCATORS as usize && !locators.contains(&ulid) {
        return Err(format!("more than {MAX_LOCATORS} locators with the ULID"));
    }
    for (i, a) in locators.iter().enumerate() {
        let ip = Ipv6Addr::from(*a);
        if ip.is_unspecified() || ip.is_loopback() || ip.is_multicast() {
            return Err(format!("{ip} cannot be a locator"));
        }
        if locators[..i].contains(a) {
            return Err(format!("{ip} is given twice"));
        }
    }
    Ok(())
}

/// What happened.
#[derive(Clone, Copy, Debug)]
pub enum Input<'a> {
    /// A packet from the raw socket for next header 140: its source and
    /// destination, and the bytes from the Shim6 header on.
    Packet {
        src: Addr,
        dst: Addr,
        bytes: &'a [u8],
    },
    /// The kernel's negotiation trigger heuristic found the pair worth a
    /// context (a `trigger` event).
    Trigger(Pair),
    /// A payload header came in with a tag no context of the kernel has (an
    /// `unknown-tag` event): the tag, and the packet's destination (`local`)
    /// and source (`peer`).
    UnknownTag { tag: u64, local: Addr, peer: Addr },
    /// A REAP event of the kernel for the context with `local_tag`, and the
    /// kernel's current pair for it, when it could be read.
    Reap {
        local_tag: u64,
        event: ReapEvent,
        current: Option<Pair>,
    },
    /// This host's locators (the ULID need not be one of them any more)
    /// and their preferences are now these: the peers are told (§10.1).
    Locators {
        locators: &'a [Addr],
        preferences: &'a [(Addr, LocatorPreference)],
    },
    /// Time passed: contexts whose [`Engine::deadline`] came act.
    Tick,
}

/// A control message to send: from `src` to `dst` (IPv6 next header 140).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Packet {
    pub src: Addr,
    pub dst: Addr,
    pub bytes: Vec<u8>,
}

/// A context as the kernel's `context-add` takes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KernelContext {
    pub local_tag: u64,
    pub peer_tag: u64,
    pub ulid_local: Addr,
    pub ulid_peer: Addr,
    /// Ours, the ULID first.
    pub local_locators: Vec<Addr>,
    /// The peer's, its ULID among them.
    pub peer_locators: Vec<Addr>,
    /// The current locator pair, ours first: the ULIDs, but for a context
    /// re-created from an I2bis, the pair the I2bis came over.
    pub current: Pair,
    /// Our Send Timeout, when it is not RFC 5534's 15 s (ms).
    pub send_timeout_ms: Option<u32>,
    /// The peer's, from its Keepalive Timeout option (ms).
    pub keepalive_timeout_ms: Option<u32>,
}

/// A request for the rv6-shim6 family.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KernelRequest {
    /// `context-add`.
    Add(KernelContext),
    /// `context-del` of the context with this local tag.
    Del { local_tag: u64 },
    /// `context-set`: new locator sets, and the current pair they leave.
    Set(ContextSet),
    /// `context-set` of REAP: the reap-state, and the current pair.
    Reap(ReapSet),
    /// `context-set` of the Keepalive Timeout the peer advertised (ms).
    KeepaliveTimeout { local_tag: u64, ms: u32 },
}

/// One side's locators in a [`ContextSet`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SideSet {
    /// The set the kernel keeps: the side's ULID first (the family wants it
    /// there; it stays the identifier, §1.3), then its locators.
    pub set: Vec<Addr>,
    /// Where the current locator may be: the side's locators as it has
    /// them (its ULID only while that is one of them), best first by their
    /// preferences, BROKEN ones left out (as REAP's exploration orders
    /// them, `shim6_explore::Candidates`).
    pub usable: Vec<Addr>,
}

impl SideSet {
    /// The current locator of this side after the set: `current` if it is
    /// in the set and usable, else the best usable one in the set, else
    /// `current` if the set keeps it, else the set's first (the ULID).
    pub fn current_after(&self, current: Addr) -> Addr {
        if self.set.contains(&current) && self.usable.contains(&current) {
            return current;
        }
        match self.usable.iter().find(|a| self.set.contains(a)) {
            Some(best) => *best,
            None if self.set.contains(&current) => current,
            None => self.set.first().copied().unwrap_or(current),
        }
    }
}

/// A `context-set` for the kernel: the context with `local_tag` takes the
/// sets given (each replaces the old one).  The current pair is the
/// kernel's (REAP or a person may have moved it): kernel.rs reads it and
/// moves a side whose locator leaves its set or is no longer usable, in the
/// same request ([`ContextSet::current_after`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContextSet {
    pub local_tag: u64,
    /// Ours.
    pub local: Option<SideSet>,
    /// The peer's.
    pub peer: Option<SideSet>,
}

impl ContextSet {
    /// The current pair after the set, from `current` before it.
    pub fn current_after(&self, current: Pair) -> Pair {
        let side = |s: &Option<SideSet>, a: Addr| s.as_ref().map_or(a, |s| s.current_after(a));
        Pair {
            local: side(&self.local, current.local),
            peer: side(&self.peer, current.peer),
        }
    }
}

impl fmt::Display for ContextSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |l: &[Addr]| {
            l.iter()
                .map(|a| ip(a).to_string())
                .collect::<Vec<_>>()
                .join(",")
        };
        write!(f, "context-set local-tag {:#x}", self.local_tag)?;
        if let Some(l) = &self.local {
            write!(f, " local-locators {}", list(&l.set))?;
        }
        if let Some(l) = &self.peer {
            write!(f, " peer-locators {}", list(&l.set))?;
        }
        Ok(())
    }
}

/// Why a received message was not acted on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Why {
    /// It does not parse, or its checksum is wrong.
    Refused(Refusal),
    /// Its receiver's ULID is not this host's.
    NotOurUlid,
    /// Its context tag is 0.
    ZeroTag,
    /// It is for a forked context (FII ≠ 0).
    Forked,
    /// No context is waiting for it.
    NoContext,
    /// It lacks the Responder Validator it must carry.
    NoValidator,
    /// Its Responder Validator is not the one this host would make.
    BadValidator,
    /// Its type is none RFC 5533 or 5534 defines (an Error Message
    /// answers it, §12.3).
    UnknownType(u8),
    /// It came from an address that is not one of its context's peer
    /// locators, or to one that is not ours: a stale context's (§10.4).
    ForeignLocators,
    /// Its context is not ESTABLISHED (I1-SENT discards it, §10.4).
    NotEstablished,
    /// An Update Request the context acknowledged before a newer one.
    StaleRequest,
    /// An Update Acknowledgement whose nonce is not the pending request's
    /// (§10.3, §10.5).
    WrongNonce,
    /// A Locator List with no locator.
    NoLocator,
    /// A CGA Parameter Data Structure that is not ULID(peer)'s (§7.13,
    /// §7.16, §7.20, §10.4: discarded silently).
    ForeignParameters(rv6_hba::shim6::Refusal),
    /// A locator that does not verify, or whose verification method this
    /// host cannot apply (an Error Message with code 2 answers it, §7.2,
    /// §10.4).
    Unverified(Unverified),
    /// Locator Preferences for another generation than the peer's list
    /// (code 3, §10.4).
    GenerationOutOfSync,
    /// Locator Preferences for another number of locators (code 4, §10.4).
    PreferenceCount,
    /// A Probe whose State is the unassigned value 3.
    ReservedState,
    /// A Probe without the report of itself (RFC 5534 §5.2: it MUST be
    /// there).
    NoProbeReport,
}

impl fmt::Display for Why {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Why::Refused(Refusal::Payload) => f.write_str("a payload header"),
            Why::Refused(Refusal::Malformed(wire::Error::Truncated)) => f.write_str("truncated"),
            Why::Refused(Refusal::Malformed(wire::Error::Field(at))) => {
                write!(f, "malformed at offset {at}")
            }
            Why::Refused(Refusal::Malformed(wire::Error::Checksum))
            | Why::Refused(Refusal::Checksum) => f.write_str("bad checksum"),
            Why::Refused(Refusal::CriticalOption { kind, offset }) => {
                write!(f, "unknown critical option {kind} at offset {offset}")
            }
            Why::NotOurUlid => f.write_str("not for this host's ULID"),
            Why::ZeroTag => f.write_str("context tag 0"),
            Why::Forked => f.write_str("forked contexts are for a later shim6d"),
            Why::NoContext => f.write_str("no context waits for it"),
            Why::NoValidator => f.write_str("no Responder Validator"),
            Why::BadValidator => f.write_str("bad Responder Validator"),
            Why::UnknownType(t) => write!(f, "unknown message type {t}"),
            Why::ForeignLocators => f.write_str("not between its context's locators"),
            Why::NotEstablished => f.write_str("its context is not established"),
            Why::StaleRequest => f.write_str("an older Update Request"),
            Why::WrongNonce => f.write_str("not the pending Update Request's nonce"),
            Why::NoLocator => f.write_str("an empty Locator List"),
            Why::ForeignParameters(r) => {
                write!(f, "a CGA Parameter Data Structure not its ULID's: {r}")
            }
            Why::Unverified(u) => write!(f, "a locator that does not verify: {u}"),
            Why::GenerationOutOfSync => {
                f.write_str("preferences for another locator list generation")
            }
            Why::PreferenceCount => f.write_str("preferences for another number of locators"),
            Why::ReservedState => f.write_str("a Probe with the unassigned State 3"),
            Why::NoProbeReport => f.write_str("a Probe without its own report"),
        }
    }
}

/// One line of the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Note {
    /// A control message came in; `what` describes it ([`msg::describe`]).
    Received { src: Addr, dst: Addr, what: String },
    /// A control message went out.
    Sent { src: Addr, dst: Addr, what: String },
    /// A message came in and was not acted on.
    Dropped { src: Addr, dst: Addr, why: Why },
    /// A message could not be built (a bug: logged, not sent).
    Unbuilt {
        what: &'static str,
        error: wire::Error,
    },
    /// A context changed state.
    State {
        pair: Pair,
        local_tag: u64,
        from: State,
        to: State,
    },
    /// A trigger event, and what came of it.
    Trigger { pair: Pair, outcome: &'static str },
    /// An unknown-tag event, and what came of it.
    UnknownTag {
        tag: u64,
        local: Addr,
        peer: Addr,
        outcome: &'static str,
    },
    /// The machine asked for something this shim6d does not do yet.
    NotYet { pair: Pair, what: &'static str },
    /// New local locators or preferences, and what came of them.
    Locators { outcome: String },
    /// What an Update Request or Acknowledgement did to a context.
    Update { pair: Pair, outcome: String },
    /// Error Messages not sent for the rate limit, since the last one sent
    /// (logged when the next goes).
    ErrorsLimited { count: u64 },
    /// A REAP event of the kernel, and what came of it.
    ReapEvent {
        local_tag: u64,
        event: ReapEvent,
        outcome: String,
    },
    /// REAP moved a context (a state change).
    Reap { pair: Pair, outcome: String },
    /// An Error Message came in: its code and pointer, and what it was
    /// about.
    PeerError {
        src: Addr,
        dst: Addr,
        code: u8,
        pointer: u16,
        outcome: String,
    },
}

/// RFC 5533's name of a state (§6.2).
pub fn state_name(s: State) -> &'static str {
    match s {
        State::Idle => "IDLE",
        State::I1Sent => "I1-SENT",
        State::I2Sent => "I2-SENT",
        State::I2bisSent => "I2BIS-SENT",
        State::Established => "ESTABLISHED",
        State::EFailed => "E-FAILED",
        State::NoSupport => "NO-SUPPORT",
    }
}

fn ip(a: &Addr) -> Ipv6Addr {
    Ipv6Addr::from(*a)
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Note::Received { src, dst, what } => {
                write!(f, "received {what} ({} -> {})", ip(src), ip(dst))
            }
            Note::Sent { src, dst, what } => write!(f, "sent {what} ({} -> {})", ip(src), ip(dst)),
            Note::Dropped { src, dst, why } => {
                write!(f, "dropped a message ({} -> {}): {why}", ip(src), ip(dst))
            }
            Note::Unbuilt { what, error } => write!(f, "could not build an {what}: {error:?}"),
            Note::State {
                pair,
                local_tag,
                from,
                to,
            } => write!(
                f,
                "context {} {} tag {local_tag:#x}: {} -> {}",
                ip(&pair.local),
                ip(&pair.peer),
                state_name(*from),
                state_name(*to)
            ),
            Note::Trigger { pair, outcome } => write!(
                f,
                "trigger {} {}: {outcome}",
                ip(&pair.local),
                ip(&pair.peer)
            ),
            Note::UnknownTag {
                tag,
                local,
                peer,
                outcome,
            } => write!(
                f,
                "unknown tag {tag:#x} ({} -> {}): {outcome}",
                ip(peer),
                ip(local)
            ),
            Note::NotYet { pair, what } => write!(
                f,
                "context {} {}: {what} is for a later shim6d",
                ip(&pair.local),
                ip(&pair.peer)
            ),
            Note::Locators { outcome } => write!(f, "locators: {outcome}"),
            Note::Update { pair, outcome } => write!(
                f,
                "context {} {}: {outcome}",
                ip(&pair.local),
                ip(&pair.peer)
            ),
            Note::ReapEvent {
                local_tag,
                event,
                outcome,
            } => write!(f, "event {} tag {local_tag:#x}: {outcome}", event.name()),
            Note::Reap { pair, outcome } => write!(
                f,
                "context {} {}: {outcome}",
                ip(&pair.local),
                ip(&pair.peer)
            ),
            Note::ErrorsLimited { count } => {
                write!(f, "{count} Error message(s) not sent: rate limit")
            }
            Note::PeerError {
                src,
                dst,
                code,
                pointer,
                outcome,
            } => write!(
                f,
                "error {code} ({}) at {pointer} ({} -> {}): {outcome}",
                msg::error_name(*code),
                ip(src),
                ip(dst)
            ),
        }
    }
}

/// What to do, in order within each list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Output {
    pub packets: Vec<Packet>,
    pub kernel: Vec<KernelRequest>,
    pub notes: Vec<Note>,
}

/// What an I2bis echoes of the R1bis it answers (§7.19), and where it goes.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Recovery {
    responder_nonce: u32,
    validator: Vec<u8>,
    packet_tag: u64,
    /// The R1bis's locators, ours first: the I2bis goes back over them
    /// (the validator covers them), and so does the R2 that answers it.
    pair: Pair,
}

/// One context and what the engine keeps beside the machine.
struct Entry {
    ctx: Context,
    /// The peer's locators, from its I2, I2bis or R2.
    peer_locators: Vec<Addr>,
    /// The R1's Responder Nonce and Validator, which each I2 echoes.
    r1: Option<(u32, Vec<u8>)>,
    /// The R1bis the I2bis echoes, once the peer lost the context.
    r1bis: Option<Recovery>,
    /// The current pair for the kernel, when it is not the ULIDs: the
    /// locators the recovery exchange went over.
    current: Option<Pair>,
    /// The peer tag of the context installed in the kernel, if it is.
    installed: Option<u64>,
    /// The Locator List Generation of the peer's list (§6.1), and the list
    /// as it sent it (its count is the preferences', §10.4).
    peer_generation: Option<u32>,
    peer_list: Vec<Addr>,
    /// The peer's Locator Preferences, for `peer_list`.
    peer_preferences: Vec<LocatorPreference>,
    /// The peer's CGA Parameter Data Structure, once one came with a
    /// verified message: what verifies the lists of later messages that
    /// do not repeat it.
    peer_pds: Option<Vec<u8>>,
    /// The Request Nonces of the Update Requests acknowledged, the latest
    /// last (a few).
    requests: Vec<u32>,
    /// The Keepalive Timeout the peer advertised (s; RFC 5534 §5.3).
    peer_keepalive: Option<u16>,
    /// REAP's exploration, once the context is in the kernel.
    reap: Option<reap::Reaper>,
}

/// The message a step answers: where it came from and what a reply echoes.
#[derive(Default)]
struct Answer {
    src: Addr,
    dst: Addr,
    initiator_nonce: u32,
    initiator_tag: u64,
    /// An R1's Responder Nonce and Validator.
    r1: Option<(u32, Vec<u8>)>,
    /// An I2's, I2bis's or R2's locators, as the kernel takes them.
    locators: Option<Vec<Addr>>,
    /// Its Locator List as sent, with the generation.
    list: Option<(u32, Vec<Addr>)>,
    /// Its CGA Parameter Data Structure, verified.
    pds: Option<Vec<u8>>,
    /// An Update Request's nonce.
    request_nonce: u32,
    /// An R1bis's echo.
    r1bis: Option<Recovery>,
    /// The current pair an I2bis gives a re-created context.
    current: Option<Pair>,
    /// Its Keepalive Timeout option (s).
    keepalive: Option<u16>,
}

/// A context as the tests and the log see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContextView {
    pub state: State,
    pub local_tag: u64,
    pub peer_tag: Option<u64>,
    pub peer_locators: Vec<Addr>,
    /// Whether the kernel has it (with its peer tag then).
    pub installed: Option<u64>,
    pub deadline: Option<u64>,
    /// The generation of the peer's Locator List, once known.
    pub peer_generation: Option<u32>,
    /// The peer's Locator Preferences, if it sent any.
    pub peer_preferences: Vec<LocatorPreference>,
    /// Our Update Request awaiting its acknowledgement: its nonce.
    pub pending_update: Option<u32>,
    /// The peer's CGA Parameter Data Structure, once one came.
    pub peer_pds: Option<Vec<u8>>,
    /// REAP's state and current pair, once the context is in the kernel.
    pub reap: Option<(rv6_cores::shim6_explore::ReapState, Pair)>,
    /// The Keepalive Timeout the peer advertised (s).
    pub peer_keepalive: Option<u16>,
}

/// One host's contexts and secrets.
pub struct Engine {
    config: Config,
    secrets: Secrets,
    entropy: Box<dyn Entropy>,
    /// Our Locator List Generation (§5.15.2), random at start.
    generation: u32,
    /// With a binding: our list of that generation, its methods,
    /// parameters and signature (signed once for every context); `None`
    /// if it could not be made (then no list goes out).
    list: Option<SignedList>,
    contexts: BTreeMap<Pair, Entry>,
    /// The Error Messages' rate limit.
    errors: TokenBucket,
}

/// The peer's locators as the kernel takes them: its ULID first, then the
/// others of its list in its order, each once, at most `max-locators`.
fn peer_locators(list: Option<Vec<Addr>>, ulid: Addr) -> Vec<Addr> {
    let mut out = vec![ulid];
    for a in list.unwrap_or_default() {
        if !out.contains(&a) && out.len() < MAX_LOCATORS as usize {
            out.push(a);
        }
    }
    out
}

/// A message's Locator List as sent, with its generation.
fn peer_list(c: &msg::Control<'_>) -> Option<(u32, Vec<Addr>)> {
    Some((c.list.as_ref()?.generation, c.locators.clone()?))
}

/// The options that go with our Locator List (and our Keepalive Timeout,
/// when it is not the default): with a binding, the list
/// `signed`, its methods, parameters and signature (none if it could not
/// be made); without, the locators of `config` (each said HBA).
fn list_options<'a>(
    signed: &'a Option<SignedList>,
    config: &'a Config,
    generation: u32,
) -> Options<'a> {
    let keepalive = Options {
        keepalive_timeout: config.send_timeout,
        ..Options::default()
    };
    match (&config.binding, signed) {
        (None, _) => Options {
            locators: Some((generation, &config.locators)),
            ..keepalive
        },
        (Some(_), Some(l)) => Options {
            locators: Some((l.generation, &l.locators)),
            methods: Some(&l.methods),
            pds: Some(&l.pds),
            signature: l.signature.as_deref(),
            ..keepalive
        },
        (Some(_), None) => keepalive,
    }
}

/// Builds `message` and queues it from `src` to `dst`, with its log line.
fn send(
    out: &mut Output,
    what: &'static str,
    src: Addr,
    dst: Addr,
    message: Message<'_>,
    options: &Options<'_>,
) {
    match msg::build(message, options) {
        Ok(bytes) => {
            let what = msg::parse(&bytes)
                .map(|c| msg::describe(&c))
                .unwrap_or_else(|_| what.to_string());
            out.notes.push(Note::Sent { src, dst, what });
            out.packets.push(Packet { src, dst, bytes });
        }
        Err(error) => out.notes.push(Note::Unbuilt { what, error }),
    }
}

impl Engine {
    /// An engine with no context at `now`; `entropy` gives its secrets,
    /// tags and nonces.
    pub fn new(config: Config, mut entropy: Box<dyn Entropy>, now: u64) -> Self {
        let secrets = Secrets::new(&mut *entropy, now, config.secret_lifetime);
        let generation = entropy.u32();
        let mut engine = Engine {
            config,
            secrets,
            entropy,
            generation,
            list: None,
            contexts: BTreeMap::new(),
            errors: TokenBucket::for_errors(now),
        };
        // A binding the config checked (main.rs signed once to be sure);
        // should signing fail after all, no list goes out.
        let _ = engine.sign_list();
        engine
    }

    /// Our list of the current generation, signed when a locator is CGA
    /// (with a binding; nothing to do without).
    pub(crate) fn sign_list(&mut self) -> Result<(), String> {
        self.list = None;
        if let Some(b) = &self.config.binding {
            let l = b.list(&self.config.ulid, self.generation, &self.config.locators)?;
            self.list = Some(l);
        }
        Ok(())
    }

    /// The checks of the peer's CGA Parameter Data Structure and Locator
    /// List ([`binding::check_peer`]) on `c`, which came as `m` from
    /// `ulid`, `pair`'s context (if any) having recorded an earlier
    /// structure.  A refusal is logged, and a locator that fails is
    /// answered with an Error Message with code 2, the Pointer at its
    /// method octet (§5.15.2, §7.2); the structure, when the message goes
    /// on.
    fn verified(
        &mut self,
        m: &Incoming<'_>,
        c: &msg::Control<'_>,
        ulid: Addr,
        pair: Option<Pair>,
        now: u64,
        out: &mut Output,
    ) -> Result<Option<Vec<u8>>, ()> {
        let recorded = pair
            .and_then(|p| self.contexts.get(&p))
            .and_then(|e| e.peer_pds.as_deref());
        let list = match (&c.locators, &c.list) {
            (Some(locators), Some(info)) => Some(rv6_hba::shim6::LocatorList {
                generation: info.generation,
                locators,
                methods: &info.methods,
            }),
            _ => None,
        };
        let peer = PeerMessage {
            carried: c.pds,
            recorded,
            list,
            signature: c.signature,
        };
        let verifying = self.config.binding.is_some();
        let refusal = match binding::check_peer(verifying, &ulid, &peer) {
            Ok(()) => return Ok(c.pds.map(<[u8]>::to_vec)),
            Err(r) => r,
        };
        let (src, dst) = (m.src, m.dst);
        match refusal {
            PeerRefusal::Parameters(r) => out.notes.push(Note::Dropped {
                src,
                dst,
                why: Why::ForeignParameters(r),
            }),
            PeerRefusal::Locator(u) => {
                out.notes.push(Note::Dropped {
                    src,
                    dst,
                    why: Why::Unverified(u),
                });
                if let Some(info) = &c.list {
                    let at = info.method_offset(u.locator);
                    self.send_error(now, out, ERR_VERIFICATION_FAILED, at, m);
                }
            }
        }
        Err(())
    }

    /// The host's side.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Acts on `input` at `now` (ns of a monotonic clock).
    pub fn handle(&mut self, input: Input<'_>, now: u64) -> Output {
        let mut out = Output::default();
        self.secrets.rotate(now, &mut *self.entropy);
        match input {
            Input::Packet { src, dst, bytes } => self.packet(src, dst, bytes, now, &mut out),
            Input::Trigger(pair) => self.trigger(pair, now, &mut out),
            Input::UnknownTag { tag, local, peer } => self.unknown_tag(tag, local, peer, &mut out),
            Input::Reap {
                local_tag,
                event,
                current,
            } => self.reap_event(local_tag, event, current, now, &mut out),
            Input::Locators {
                locators,
                preferences,
            } => self.locators_changed(locators, preferences, now, &mut out),
            Input::Tick => {
                let due: Vec<Pair> = self
                    .contexts
                    .iter()
                    .filter(|(_, e)| e.ctx.deadline().is_some_and(|d| d <= now))
                    .map(|(p, _)| *p)
                    .collect();
                for pair in due {
                    self.step(pair, Event::Timer, now, &Answer::default(), &mut out);
                }
                self.reap_due(now, &mut out);
            }
        }
        out
    }

    /// When the next [`Input::Tick`] is due: the earliest of the contexts'
    /// retransmission and hold-down timers and REAP's probes.
    pub fn deadline(&self) -> Option<u64> {
        self.contexts
            .values()
            .flat_map(|e| {
                [
                    e.ctx.deadline(),
                    e.reap.as_ref().and_then(reap::Reaper::deadline),
                ]
            })
            .flatten()
            .min()
    }

    /// The context of `pair`, if any.
    pub fn context(&self, pair: &Pair) -> Option<ContextView> {
        self.contexts.get(pair).map(|e| ContextView {
            state: e.ctx.state(),
            local_tag: e.ctx.local_tag(),
            peer_tag: e.ctx.peer_tag(),
            peer_locators: e.peer_locators.clone(),
            installed: e.installed,
            deadline: e.ctx.deadline(),
            peer_generation: e.peer_generation,
            peer_preferences: e.peer_preferences.clone(),
            pending_update: e.ctx.pending_update(),
            peer_pds: e.peer_pds.clone(),
            reap: e
                .reap
                .as_ref()
                .and_then(|r| Some((r.state(), r.current()?))),
            peer_keepalive: e.peer_keepalive,
        })
    }

    /// How many contexts the engine keeps.
    pub fn len(&self) -> usize {
        self.contexts.len()
    }

    /// Whether it keeps none.
    pub fn is_empty(&self) -> bool {
        self.contexts.is_empty()
    }

    /// Stopping: every context the kernel has is removed from it.
    pub fn shutdown(&mut self) -> Output {
        let mut out = Output::default();
        for e in self.contexts.values_mut() {
            if e.installed.take().is_some() {
                out.kernel.push(KernelRequest::Del {
                    local_tag: e.ctx.local_tag(),
                });
            }
        }
        out
    }

    /// A fresh context tag: 47 random bits, not 0, unique among ours (§7.7).
    fn new_tag(&mut self) -> u64 {
        loop {
            let t = self.entropy.u64() & ContextTag::MAX;
            if t != 0 && self.contexts.values().all(|e| e.ctx.local_tag() != t) {
                return t;
            }
        }
    }

    fn new_context(&mut self, pair: Pair) {
        let t = self.new_tag();
        self.new_context_tagged(pair, t);
    }

    fn new_context_tagged(&mut self, pair: Pair, tag: u64) {
        self.contexts.insert(
            pair,
            Entry {
                ctx: Context::new(self.config.constants, tag),
                peer_locators: Vec::new(),
                r1: None,
                r1bis: None,
                current: None,
                installed: None,
                peer_generation: None,
                peer_list: Vec::new(),
                peer_preferences: Vec::new(),
                peer_pds: None,
                requests: Vec::new(),
                peer_keepalive: None,
                reap: None,
            },
        );
    }

    /// The payload packet from `peer` to `local` carried `tag`, which no
    /// context of the kernel has: this host lost the context, and asks the
    /// peer to recreate it with an R1bis (§7.17), keeping no state.
    fn unknown_tag(&mut self, tag: u64, local: Addr, peer: Addr, out: &mut Output) {
        let ignored = if !self.config.locators.contains(&local) {
            Some("ignored: not to one of this host's locators")
        } else if self.config.locators.contains(&peer) {
            Some("ignored: from this host")
        } else if self.contexts.values().any(|e| e.ctx.local_tag() == tag) {
            // The kernel's context went (deleted by hand) while this one
            // stays: an R1bis would make the peer resend what this host has.
            Some("ignored: a context of this daemon has the tag")
        } else {
            None
        };
        let Some(packet_tag) = ContextTag::new(tag).filter(|_| tag != 0) else {
            return out.notes.push(Note::UnknownTag {
                tag,
                local,
                peer,
                outcome: "ignored: not a context tag",
            });
        };
        out.notes.push(Note::UnknownTag {
            tag,
            local,
            peer,
            outcome: ignored.unwrap_or("sending an R1bis"),
        });
        if ignored.is_none() {
            self.send_r1bis(packet_tag, local, peer, out);
        }
    }

    /// An R1bis for a packet with `packet_tag` from `peer` to `local`
    /// (§7.17), keeping no state: its validator covers them.
    fn send_r1bis(&mut self, packet_tag: ContextTag, local: Addr, peer: Addr, out: &mut Output) {
        let tag = packet_tag.get();
        let responder_nonce = self.entropy.u32();
        let validator = self.secrets.recovery_validator(&RecoveryInputs {
            responder_nonce,
            packet_tag: tag,
            initiator_locator: peer,
            responder_locator: local,
        });
        send(
            out,
            "R1bis",
            local,
            peer,
            Message::R1bis {
                packet_context_tag: packet_tag,
                responder_nonce,
            },
            &Options {
                validator: Some(&validator),
                ..Options::default()
            },
        );
    }

    /// An Error Message with `code` about the field `offset` bytes into the
    /// Shim6 header of `m`, back to its sender (§5.14): the invoking
    /// packet, its IPv6 header rebuilt, as much as fits; at most
    /// [`ERROR_BURST`](crate::ratelimit::ERROR_BURST) at once and then
    /// [`ERROR_RATE`](crate::ratelimit::ERROR_RATE) a second (§5.14's
    /// SHOULD: any stranger can provoke one).
    fn send_error(&mut self, now: u64, out: &mut Output, code: u8, offset: usize, m: &Incoming) {
        let Incoming { src, dst, bytes } = *m;
        match self.errors.take(now) {
            None => return,
            Some(0) => {}
            Some(count) => out.notes.push(Note::ErrorsLimited { count }),
        }
        let packet = msg::packet_in_error(src, dst, bytes);
        send(
            out,
            "Error",
            dst,
            src,
            Message::Error {
                code,
                pointer: msg::pointer(offset),
                packet_in_error: &packet,
            },
            &Options::default(),
        );
    }

    fn trigger(&mut self, pair: Pair, now: u64, out: &mut Output) {
        let ignored = if pair.local != self.config.ulid {
            Some("ignored: not this host's ULID")
        } else if self.config.locators.contains(&pair.peer) {
            Some("ignored: the peer is this host")
        } else {
            None
        };
        if let Some(outcome) = ignored {
            return out.notes.push(Note::Trigger { pair, outcome });
        }
        let exists = self.contexts.contains_key(&pair);
        out.notes.push(Note::Trigger {
            pair,
            outcome: if exists {
                "a context exists"
            } else {
                "starting the exchange"
            },
        });
        if !exists {
            self.new_context(pair);
        }
        // The machine decides: IDLE sends an I1, an exchange under way goes
        // on, E-FAILED and NO-SUPPORT wait for their hold-down (§7.8).
        self.step(pair, Event::Trigger, now, &Answer::default(), out);
    }

    fn packet(&mut self, src: Addr, dst: Addr, bytes: &[u8], now: u64, out: &mut Output) {
        let c = match msg::parse(bytes) {
            Ok(c) => c,
            // Copies of payload packets: the kernel's to handle.
            Err(Refusal::Payload) => return,
            Err(r) => {
                out.notes.push(Note::Dropped {
                    src,
                    dst,
                    why: Why::Refused(r),
                });
                if let Refusal::CriticalOption { offset, .. } = r {
                    // §5.15, §12.3: the Pointer at the option's Type.
                    let m = Incoming { src, dst, bytes };
                    self.send_error(now, out, ERR_CRITICAL_OPTION, offset, &m);
                }
                return;
            }
        };
        out.notes.push(Note::Received {
            src,
            dst,
            what: msg::describe(&c),
        });
        let drop = |out: &mut Output, why| out.notes.push(Note::Dropped { src, dst, why });
        if c.fii != 0 {
            return drop(out, Why::Forked);
        }
        // I1 and I2 name their ULIDs when the addresses are other locators.
        let ulids = c.ulids.map_or(
            Pair {
                local: dst,
                peer: src,
            },
            |u| Pair {
                local: u.receiver,
                peer: u.sender,
            },
        );
        let addresses = Pair {
            local: dst,
            peer: src,
        };
        match c.message {
            Message::I1 {
                initiator_context_tag,
                initiator_nonce,
            } => {
                let peer_tag = initiator_context_tag.get();
                if ulids.local != self.config.ulid {
                    return drop(out, Why::NotOurUlid);
                }
                if peer_tag == 0 {
                    return drop(out, Why::ZeroTag);
                }
                let answer = Answer {
                    src,
                    dst,
                    initiator_nonce,
                    initiator_tag: peer_tag,
                    ..Answer::default()
                };
                let ev = Event::I1 { peer_tag };
                if self.contexts.contains_key(&ulids) {
                    self.step(ulids, ev, now, &answer, out);
                } else {
                    // Stateless (§7.10): a fresh IDLE machine answers, and goes.
                    let mut idle = Context::new(self.config.constants, 0);
                    let entropy = &mut self.entropy;
                    let actions = idle.handle(ev, now, &mut || entropy.u32());
                    for a in actions.iter() {
                        match a {
                            Action::SendR1 => self.send_r1(ulids, &answer, out),
                            _ => out.notes.push(Note::NotYet {
                                pair: ulids,
                                what: "an action without a context",
                            }),
                        }
                    }
                }
            }
            Message::R1 {
                initiator_nonce,
                responder_nonce,
            } => {
                if !self.contexts.contains_key(&addresses) {
                    return drop(out, Why::NoContext);
                }
                let Some(v) = c.validator else {
                    return drop(out, Why::NoValidator);
                };
                let answer = Answer {
                    src,
                    dst,
                    initiator_nonce,
                    r1: Some((responder_nonce, v.to_vec())),
                    ..Answer::default()
                };
                let ev = Event::R1 {
                    init_nonce: initiator_nonce,
                };
                self.step(addresses, ev, now, &answer, out);
            }
            Message::I2 {
                initiator_context_tag,
                initiator_nonce,
                responder_nonce,
            } => {
                let peer_tag = initiator_context_tag.get();
                if ulids.local != self.config.ulid {
                    return drop(out, Why::NotOurUlid);
                }
                if peer_tag == 0 {
                    return drop(out, Why::ZeroTag);
                }
                let Some(v) = c.validator else {
                    return drop(out, Why::NoValidator);
                };
                let inputs = Inputs {
                    responder_nonce,
                    initiator_tag: peer_tag,
                    initiator_nonce,
                    initiator_ulid: ulids.peer,
                    responder_ulid: ulids.local,
                    fii: 0,
                };
                if !self.secrets.verify(&inputs, v) {
                    return drop(out, Why::BadValidator);
                }
                // §7.13: the parameters are ULID(peer)'s, the locators
                // verify; else no context.
                let m = Incoming { src, dst, bytes };
                let Ok(pds) = self.verified(&m, &c, ulids.peer, Some(ulids), now, out) else {
                    return;
                };
                let list = peer_list(&c);
                let locators = peer_locators(c.locators, ulids.peer);
                let locators_ok = locators.contains(&src);
                if !self.contexts.contains_key(&ulids) {
                    self.new_context(ulids);
                }
                let answer = Answer {
                    src,
                    dst,
                    initiator_nonce,
                    initiator_tag: peer_tag,
                    locators: Some(locators),
                    list,
                    pds,
                    keepalive: c.keepalive_timeout.filter(|t| *t > 0),
                    ..Answer::default()
                };
                let ev = Event::I2 {
                    peer_tag,
                    locators_ok,
                };
                self.step(ulids, ev, now, &answer, out);
            }
            Message::R2 {
                responder_context_tag,
                initiator_nonce,
            } => {
                let peer_tag = responder_context_tag.get();
                // An R2 for an I2bis comes over the locators the I2bis took.
                let key = if self.contexts.contains_key(&addresses) {
                    Some(addresses)
                } else {
                    self.contexts
                        .iter()
                        .find(|(_, e)| e.r1bis.as_ref().is_some_and(|r| r.pair == addresses))
                        .map(|(p, _)| *p)
                };
                let Some(key) = key else {
                    return drop(out, Why::NoContext);
                };
                if peer_tag == 0 {
                    return drop(out, Why::ZeroTag);
                }
                // §7.16: the parameters are ULID(peer)'s, the locators
                // verify; else the context waits on.
                let m = Incoming { src, dst, bytes };
                let Ok(pds) = self.verified(&m, &c, key.peer, Some(key), now, out) else {
                    return;
                };
                let answer = Answer {
                    src,
                    dst,
                    initiator_nonce,
                    list: peer_list(&c),
                    locators: Some(peer_locators(c.locators, key.peer)),
                    pds,
                    keepalive: c.keepalive_timeout.filter(|t| *t > 0),
                    ..Answer::default()
                };
                let ev = Event::R2 {
                    init_nonce: initiator_nonce,
                    peer_tag,
                };
                self.step(key, ev, now, &answer, out);
            }
            Message::R1bis {
                packet_context_tag,
                responder_nonce,
            } => {
                // §7.18: the context whose peer tag is the packet's, and
                // whose locators the R1bis's addresses are.
                let packet_tag = packet_context_tag.get();
                let key = self
                    .contexts
                    .iter()
                    .find(|(_, e)| {
                        e.ctx.peer_tag() == Some(packet_tag)
                            && e.peer_locators.contains(&src)
                            && self.config.locators.contains(&dst)
                    })
                    .map(|(p, _)| *p);
                let Some(key) = key.filter(|_| packet_tag != 0) else {
                    return drop(out, Why::NoContext);
                };
                let Some(v) = c.validator else {
                    return drop(out, Why::NoValidator);
                };
                let answer = Answer {
                    src,
                    dst,
                    r1bis: Some(Recovery {
                        responder_nonce,
                        validator: v.to_vec(),
                        packet_tag,
                        pair: addresses,
                    }),
                    ..Answer::default()
                };
                self.step(key, Event::R1bis { packet_tag }, now, &answer, out);
            }
            Message::I2bis {
                initiator_context_tag,
                initiator_nonce,
                responder_nonce,
                packet_context_tag,
            } => {
                let peer_tag = initiator_context_tag.get();
                let packet_tag = packet_context_tag.get();
                if ulids.local != self.config.ulid {
                    return drop(out, Why::NotOurUlid);
                }
                if peer_tag == 0 || packet_tag == 0 {
                    return drop(out, Why::ZeroTag);
                }
                let Some(v) = c.validator else {
                    return drop(out, Why::NoValidator);
                };
                // §7.20: the R1bis's validator, over the I2bis's own fields
                // and locators (the payload packet's, the R1bis's reversed).
                let inputs = RecoveryInputs {
                    responder_nonce,
                    packet_tag,
                    initiator_locator: src,
                    responder_locator: dst,
                };
                if !self.secrets.verify_recovery(&inputs, v) {
                    return drop(out, Why::BadValidator);
                }
                // §7.20: as an I2's.
                let m = Incoming { src, dst, bytes };
                let Ok(pds) = self.verified(&m, &c, ulids.peer, Some(ulids), now, out) else {
                    return;
                };
                let list = peer_list(&c);
                let locators = peer_locators(c.locators, ulids.peer);
                let locators_ok = locators.contains(&src);
                if !self.contexts.contains_key(&ulids) {
                    // The peer's payload carries the Packet Context Tag: it
                    // is ours again, unless another context took it since
                    // (then a new one, which the R2 tells the peer).
                    let tag = if self
                        .contexts
                        .values()
                        .any(|e| e.ctx.local_tag() == packet_tag)
                    {
                        self.new_tag()
                    } else {
                        packet_tag
                    };
                    self.new_context_tagged(ulids, tag);
                }
                let answer = Answer {
                    src,
                    dst,
                    initiator_nonce,
                    initiator_tag: peer_tag,
                    locators: Some(locators),
                    list,
                    pds,
                    keepalive: c.keepalive_timeout.filter(|t| *t > 0),
                    // The pair the peer sends on, if its source checked.
                    current: locators_ok.then_some(addresses),
                    ..Answer::default()
                };
                let ev = Event::I2 {
                    peer_tag,
                    locators_ok,
                };
                self.step(ulids, ev, now, &answer, out);
            }
            Message::UpdateRequest {
                receiver_context_tag,
                request_nonce,
            } => {
                let m = Incoming { src, dst, bytes };
                self.update_request(&m, &c, receiver_context_tag, request_nonce, now, out)
            }
            Message::UpdateAck {
                receiver_context_tag,
                request_nonce,
            } => self.update_ack(src, dst, receiver_context_tag, request_nonce, now, out),
            Message::Error {
                code,
                pointer,
                packet_in_error,
            } => {
                let m = Incoming { src, dst, bytes };
                self.peer_error(&m, code, pointer, packet_in_error, now, out)
            }
            Message::Keepalive {
                receiver_context_tag,
            } => self.keepalive(src, dst, receiver_context_tag, now, out),
            Message::Probe(p) => self.probe(src, dst, &p, now, out),
            Message::Unknown { msg_type, .. } => {
                drop(out, Why::UnknownType(msg_type));
                // §12.3: the Pointer at the Type field.
                let m = Incoming { src, dst, bytes };
                self.send_error(now, out, ERR_UNKNOWN_TYPE, 2, &m);
            }
        }
    }

    /// Passes `ev` to `pair`'s machine and carries out its actions; a
    /// context back in IDLE with nothing in the kernel is forgotten.
    fn step(&mut self, pair: Pair, ev: Event, now: u64, answer: &Answer, out: &mut Output) {
        let Some(e) = self.contexts.get_mut(&pair) else {
            return;
        };
        let from = e.ctx.state();
        let entropy = &mut self.entropy;
        let actions = e.ctx.handle(ev, now, &mut || entropy.u32());
        let to = e.ctx.state();
        if from != to {
            out.notes.push(Note::State {
                pair,
                local_tag: e.ctx.local_tag(),
                from,
                to,
            });
        }
        for a in actions.iter() {
            self.act(pair, a, answer, out);
        }
        // A context the kernel has now is watched by REAP from here on.
        if self
            .contexts
            .get(&pair)
            .is_some_and(|e| e.installed.is_some() && e.reap.is_none())
        {
            self.reaper(pair);
        }
        if self
            .contexts
            .get(&pair)
            .is_some_and(|e| e.ctx.state() == State::Idle && e.installed.is_none())
        {
            self.contexts.remove(&pair);
        }
    }

    fn act(&mut self, pair: Pair, a: Action, answer: &Answer, out: &mut Output) {
        let Some(e) = self.contexts.get_mut(&pair) else {
            return;
        };
        let local_tag = e.ctx.local_tag();
        let my_tag = ContextTag::new(local_tag).unwrap_or_default();
        match a {
            Action::SendI1 { init_nonce } => send(
                out,
                "I1",
                pair.local,
                pair.peer,
                Message::I1 {
                    initiator_context_tag: my_tag,
                    initiator_nonce: init_nonce,
                },
                &Options::default(),
            ),
            Action::SendI2 { init_nonce } => {
                if let Some(r1) = &answer.r1 {
                    e.r1 = Some(r1.clone());
                }
                let Some((responder_nonce, validator)) = &e.r1 else {
                    return out.notes.push(Note::NotYet {
                        pair,
                        what: "an I2 without an R1",
                    });
                };
                send(
                    out,
                    "I2",
                    pair.local,
                    pair.peer,
                    Message::I2 {
                        initiator_context_tag: my_tag,
                        initiator_nonce: init_nonce,
                        responder_nonce: *responder_nonce,
                    },
                    &Options {
                        validator: Some(validator),
                        ulids: None,
                        ..list_options(&self.list, &self.config, self.generation)
                    },
                );
            }
            Action::SendR1 => self.send_r1(pair, answer, out),
            Action::SendR2 => send(
                out,
                "R2",
                answer.dst,
                answer.src,
                Message::R2 {
                    responder_context_tag: my_tag,
                    initiator_nonce: answer.initiator_nonce,
                },
                &list_options(&self.list, &self.config, self.generation),
            ),
            Action::Install { peer_tag } => {
                if let Some(l) = &answer.locators {
                    e.peer_locators = l.clone();
                }
                if let Some((generation, list)) = &answer.list {
                    e.peer_generation = Some(*generation);
                    e.peer_list = list.clone();
                }
                if let Some(pds) = &answer.pds {
                    e.peer_pds = Some(pds.clone());
                }
                if e.peer_locators.is_empty() {
                    e.peer_locators = vec![pair.peer];
                }
                if let Some(c) = answer.current {
                    e.current = Some(c);
                }
                if e.installed == Some(peer_tag) {
                    // The R2 of a recovery: the kernel kept the context, and
                    // its current pair, all along; a new Keepalive Timeout
                    // of the peer's is all it may need.
                    if let Some(k) = answer.keepalive.filter(|k| e.peer_keepalive != Some(*k)) {
                        e.peer_keepalive = Some(k);
                        out.kernel.push(KernelRequest::KeepaliveTimeout {
                            local_tag,
                            ms: u32::from(k) * 1000,
                        });
                    }
                    return;
                }
                // A new association: the peer's Keepalive Timeout is what this
                // exchange said (RFC 5534 §7's default without the option).
                e.peer_keepalive = answer.keepalive;
                e.reap = None;
                if e.installed.is_some() {
                    out.kernel.push(KernelRequest::Del { local_tag });
                }
                e.installed = Some(peer_tag);
                let current = e
                    .current
                    .filter(|c| {
                        self.config.locators.contains(&c.local) && e.peer_locators.contains(&c.peer)
                    })
                    .unwrap_or(pair);
                out.kernel.push(KernelRequest::Add(KernelContext {
                    local_tag,
                    peer_tag,
                    ulid_local: pair.local,
                    ulid_peer: pair.peer,
                    local_locators: self.config.locators.clone(),
                    peer_locators: e.peer_locators.clone(),
                    current,
                    send_timeout_ms: self.config.send_timeout.map(|s| u32::from(s) * 1000),
                    keepalive_timeout_ms: e.peer_keepalive.map(|s| u32::from(s) * 1000),
                }));
            }
            Action::Remove => {
                if e.installed.take().is_some() {
                    out.kernel.push(KernelRequest::Del { local_tag });
                }
            }
            Action::SendI2bis { init_nonce } => {
                if let Some(r) = &answer.r1bis {
                    e.r1bis = Some(r.clone());
                    // The kernel sends on these locators; a context the
                    // peer re-creates under another tag is re-added on them.
                    e.current = Some(r.pair);
                }
                let Some(r) = &e.r1bis else {
                    return out.notes.push(Note::NotYet {
                        pair,
                        what: "an I2bis without an R1bis",
                    });
                };
                let Some(packet_context_tag) = ContextTag::new(r.packet_tag) else {
                    return;
                };
                // The ULIDs, which the peer lost with the context, when the
                // locators are others (§5.9).
                let ulids = (r.pair != pair).then_some(UlidPair {
                    sender: pair.local,
                    receiver: pair.peer,
                });
                send(
                    out,
                    "I2bis",
                    r.pair.local,
                    r.pair.peer,
                    Message::I2bis {
                        initiator_context_tag: my_tag,
                        initiator_nonce: init_nonce,
                        responder_nonce: r.responder_nonce,
                        packet_context_tag,
                    },
                    &Options {
                        validator: Some(&r.validator),
                        ulids,
                        ..list_options(&self.list, &self.config, self.generation)
                    },
                );
            }
            Action::SendUpdate { nonce } => self.send_update(pair, nonce, out),
            Action::SendUpdateAck => {
                // §10.4: the nonce copied, the peer's tag, back whence it came.
                let Some(peer_tag) = e.ctx.peer_tag().and_then(ContextTag::new) else {
                    return;
                };
                send(
                    out,
                    "Update Acknowledgement",
                    answer.dst,
                    answer.src,
                    Message::UpdateAck {
                        receiver_context_tag: peer_tag,
                        request_nonce: answer.request_nonce,
                    },
                    &Options::default(),
                );
            }
        }
    }

    /// An R1 for the I1 `answer` describes, with a fresh Responder Nonce
    /// and its validator (§7.10).
    fn send_r1(&mut self, ulids: Pair, answer: &Answer, out: &mut Output) {
        let responder_nonce = self.entropy.u32();
        let validator = self.secrets.validator(&Inputs {
            responder_nonce,
            initiator_tag: answer.initiator_tag,
            initiator_nonce: answer.initiator_nonce,
            initiator_ulid: ulids.peer,
            responder_ulid: ulids.local,
            fii: 0,
        });
        send(
            out,
            "R1",
            answer.dst,
            answer.src,
            Message::R1 {
                initiator_nonce: answer.initiator_nonce,
                responder_nonce,
            },
            &Options {
                validator: Some(&validator),
                ..Options::default()
            },
        );
    }
}
