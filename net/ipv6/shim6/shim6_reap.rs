// SPDX-License-Identifier: GPL-2.0

//! The kernel's half of REAP (RFC 5534): a context's Send Timer and Keepalive Timer, driven
//! by the payload packets the data path sees, and its idle expiry.
//!
//! Pure `no_std` code: `rv6_shim6` keeps one [`Reap`] per context under the context's lock,
//! tells it what the data path saw and when its timer fired, and turns the [`Events`] it
//! returns into notifications for the daemon; the host tests drive it with a fake clock.
//!
//! Division of work with the daemon (shim6d), which owns the REAP state machine: the kernel
//! sees every payload packet, so it runs the two timers of the Operational state (RFC 5534
//! §6.1–6.4) and says when a Keepalive is due and when the Send Timer expired; the daemon
//! sends Keepalives and Probes on its raw socket, explores, and puts the kernel back into
//! [`Mode::Operational`] when a working pair is confirmed.  While the kernel is in
//! [`Mode::Exploring`] its timers are stopped (RFC 5534 §6: "No timer is running in the
//! Exploring state") and the first payload packet received is reported ([`Events::INBOUND`]):
//! the daemon answers it with a Probe in state InboundOk (§6.1).
//!
//! Times are nanoseconds of a monotonic clock.

/// Nanoseconds in a second.
pub const NSEC_PER_SEC: u64 = 1_000_000_000;

/// A context's timer settings, in nanoseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReapConfig {
    /// Send Timeout (RFC 5534 §7: 15 s; other values advertised to the peer in the Keepalive
    /// Timeout option, RECOMMENDED between 10 and 100 s).
    pub send_timeout: u64,
    /// Keepalive Timeout: the peer's Send Timeout, 15 s if it sent none (§7).  Keepalives
    /// are due every third of it (the Keepalive Interval, §7: a third to a half).
    pub keepalive_timeout: u64,
    /// How long a context may carry no packet before it is reported idle (RFC 5533 §7.19
    /// leaves the value to the implementation; LinShim6 used 10 minutes).
    pub idle_timeout: u64,
}

impl ReapConfig {
    /// RFC 5534's defaults and a 10-minute idle expiry.
    pub const DEFAULT: ReapConfig = ReapConfig {
        send_timeout: 15 * NSEC_PER_SEC,
        keepalive_timeout: 15 * NSEC_PER_SEC,
        idle_timeout: 600 * NSEC_PER_SEC,
    };

    /// Keepalives per Keepalive Timeout: the interval is a third of it.
    pub const KEEPALIVES: u64 = 3;

    /// The Keepalive Interval.
    pub fn keepalive_interval(&self) -> u64 {
        self.keepalive_timeout / Self::KEEPALIVES
    }
}

impl Default for ReapConfig {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Where the context is in failure detection, as far as the kernel's timers go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// The current pair is assumed to work: the timers run.
    Operational,
    /// The daemon is exploring: the timers are stopped.
    Exploring,
}

/// What a context's timers have to tell the daemon; a set of flags.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Events(pub u8);

impl Events {
    /// The Send Timer expired: the current pair is presumed broken, exploration must start
    /// (RFC 5534 §6.4); the kernel is now in [`Mode::Exploring`].
    pub const SEND_TIMEOUT: Events = Events(1);
    /// A Keepalive is due (§6.1, §6.3): payload came in and none went out for a Keepalive
    /// Interval.
    pub const KEEPALIVE: Events = Events(2);
    /// A payload packet came in while exploring (§6.1: InboundOk).
    pub const INBOUND: Events = Events(4);
    /// No packet for the idle timeout (RFC 5533 §7.19: the context may be garbage collected).
    pub const IDLE: Events = Events(8);

    /// No event.
    pub const NONE: Events = Events(0);

    /// Whether every flag of `other` is set.
    pub fn contains(self, other: Events) -> bool {
        self.0 & other.0 == other.0 && other.0 != 0
    }

    /// Whether no flag is set.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

impl core::ops::BitOr for Events {
    type Output = Events;
    fn bitor(self, rhs: Events) -> Events {
        Events(self.0 | rhs.0)
    }
}

impl core::ops::BitOrAssign for Events {
    fn bitor_assign(&mut self, rhs: Events) {
        self.0 |= rhs.0;
    }
}

/// Which payload packets are *quiet*: in the state the context is in, a packet that way would
/// change nothing but the time of the last activity (no timer starts or stops, no event, no
/// earlier deadline).  The data path may then record it with [`Reap::seen`] instead of
/// [`Reap::sent`] or [`Reap::received`], without the context's lock; a set of flags.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Quiet(pub u8);

impl Quiet {
    /// Payload sent is quiet.
    pub const SENT: Quiet = Quiet(1);
    /// Payload received is quiet.
    pub const RECEIVED: Quiet = Quiet(2);
    /// No packet is.
    pub const NONE: Quiet = Quiet(0);

    /// Whether every flag of `other` is set.
    pub fn contains(self, other: Quiet) -> bool {
        self.0 & other.0 == other.0 && other.0 != 0
    }
}

/// One context's kernel-side REAP timers.
///
/// The data path calls [`Reap::sent`] and [`Reap::received`] for every payload packet of the
/// context; each returns the time the context's timer must fire by when that is earlier than
/// what the timer was last asked for (rarely: once per timer start).  The timer callback calls
/// [`Reap::expired`], which returns the events due and when to run next.
#[derive(Clone, Debug)]
pub struct Reap {
    cfg: ReapConfig,
    mode: Mode,
    /// When the Send Timer started (the first payload sent since the last one received).
    send_since: Option<u64>,
    /// When the Keepalive Timer started (the first payload received since the last one sent),
    /// and how many Keepalives were asked for since.
    keepalive_since: Option<u64>,
    keepalives: u64,
    /// The last payload packet either way.
    last_activity: u64,
    idle_reported: bool,
    inbound_reported: bool,
    /// The earliest time the timer was asked to fire by and has not fired since.
    scheduled: Option<u64>,
}

impl Reap {
    /// A context set up at `now`, in [`Mode::Operational`] with no timer running (the idle
    /// expiry counts from `now`: [`Reap::start`] gives the time to arm for).
    pub fn new(cfg: ReapConfig, now: u64) -> Self {
        Self {
            cfg,
            mode: Mode::Operational,
            send_since: None,
            keepalive_since: None,
            keepalives: 0,
            last_activity: now,
            idle_reported: false,
            inbound_reported: false,
            scheduled: None,
        }
    }

    /// The time to arm the timer for once the context is in place.
    pub fn start(&mut self) -> Option<u64> {
        self.ask(self.next_deadline())
    }

    /// The settings.
    pub fn config(&self) -> ReapConfig {
        self.cfg
    }

    /// The mode.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Whether the Send Timer runs.
    pub fn send_timer_running(&self) -> bool {
        self.send_since.is_some()
    }

    /// Whether the Keepalive Timer runs.
    pub fn keepalive_timer_running(&self) -> bool {
        self.keepalive_since.is_some()
    }

    /// New settings from the daemon (e.g. the peer's Keepalive Timeout option); running
    /// timers keep their start and use the new values from now on.
    pub fn configure(&mut self, cfg: ReapConfig) -> Option<u64> {
        self.cfg = cfg;
        // The timer may have to fire earlier than it was asked to.
        self.scheduled = None;
        self.ask(self.next_deadline())
    }

    /// The daemon's word on the mode: [`Mode::Operational`] once exploration confirmed a
    /// working pair (timers start afresh with the next packets), [`Mode::Exploring`] when it
    /// explores of its own accord (e.g. after an ICMP error or a lost locator).
    pub fn set_mode(&mut self, mode: Mode) -> Option<u64> {
        self.mode = mode;
        self.send_since = None;
        self.keepalive_since = None;
        self.keepalives = 0;
        self.inbound_reported = false;
        None
    }

    /// A payload packet of the context was sent (RFC 5534 §6.2): the Keepalive Timer stops,
    /// the Send Timer starts unless it runs.
    pub fn sent(&mut self, now: u64) -> Option<u64> {
        self.activity(now);
        if self.mode == Mode::Exploring {
            return self.ask(self.idle_deadline());
        }
        self.keepalive_since = None;
        self.keepalives = 0;
        if self.send_since.is_none() {
            self.send_since = Some(now);
        }
        self.ask(self.next_deadline())
    }

    /// A payload packet of the context was received (RFC 5534 §6.1): the Send Timer stops,
    /// the Keepalive Timer starts unless it runs; while exploring, the first one is an
    /// [`Events::INBOUND`].
    pub fn received(&mut self, now: u64) -> (Option<u64>, Events) {
        self.activity(now);
        if self.mode == Mode::Exploring {
            let ev = if self.inbound_reported {
                Events::NONE
            } else {
                self.inbound_reported = true;
                Events::INBOUND
            };
            return (self.ask(self.idle_deadline()), ev);
        }
        self.send_since = None;
        if self.keepalive_since.is_none() {
            self.keepalive_since = Some(now);
            self.keepalives = 0;
        }
        (self.ask(self.next_deadline()), Events::NONE)
    }

    /// A Keepalive for the context came in (RFC 5534 §6.6): the peer hears us, so the Send
    /// Timer stops; the Keepalive Timer does not start (a Keepalive is not payload).  While
    /// exploring, the daemon (which gets the message too) acts on it.
    pub fn keepalive_received(&mut self, now: u64) -> Option<u64> {
        self.activity(now);
        if self.mode == Mode::Operational {
            self.send_since = None;
        }
        // An idle context is awake again.
        self.ask(self.next_deadline())
    }

    /// The packets that are quiet now (see [`Quiet`]).  In a flow one way, every packet after
    /// the first is: while the Send Timer runs, more payload sent only moves the idle expiry
    /// later; while the Keepalive Timer runs, so does more payload received.  Never while the
    /// context is reported idle (a packet wakes it) or before the timer was asked for.
    pub fn quiet(&self) -> Quiet {
        if self.idle_reported || self.scheduled.is_none() {
            return Quiet::NONE;
        }
        match self.mode {
            // Only the idle expiry runs; the first packet in is an event.
            Mode::Exploring if self.inbound_reported => Quiet(Quiet::SENT.0 | Quiet::RECEIVED.0),
            Mode::Exploring => Quiet::SENT,
            Mode::Operational => match (self.send_since, self.keepalive_since) {
                (Some(_), None) => Quiet::SENT,
                (None, Some(_)) => Quiet::RECEIVED,
                _ => Quiet::NONE,
            },
        }
    }

    /// A quiet packet passed at `at` (the data path's record of the latest one, folded in
    /// before the state is read again): only the last activity moves.
    pub fn seen(&mut self, at: u64) {
        self.last_activity = self.last_activity.max(at);
    }

    /// The timer fired at `now`: the events due, and when it must fire next.
    pub fn expired(&mut self, now: u64) -> (Events, Option<u64>) {
        self.scheduled = None;
        let mut ev = Events::NONE;
        if let Some(since) = self.send_since {
            if now >= since.saturating_add(self.cfg.send_timeout) {
                // §6.4: Operational → Exploring; no timer runs while exploring.
                ev |= Events::SEND_TIMEOUT;
                self.mode = Mode::Exploring;
                self.send_since = None;
                self.keepalive_since = None;
                self.keepalives = 0;
                self.inbound_reported = false;
            }
        }
        if let Some(since) = self.keepalive_since {
            let ki = self.cfg.keepalive_interval().max(1);
            // Keepalives due by now: one per interval since the timer started, at most
            // KEEPALIVES (the last at the Keepalive Timeout, §6.3).
            let due = (now.saturating_sub(since) / ki).min(ReapConfig::KEEPALIVES);
            if due > self.keepalives {
                ev |= Events::KEEPALIVE;
                self.keepalives = due;
            }
            if self.keepalives >= ReapConfig::KEEPALIVES {
                // §6.3: one last Keepalive at expiry; the timer is not restarted.
                self.keepalive_since = None;
                self.keepalives = 0;
            }
        }
        if !self.idle_reported && now >= self.last_activity.saturating_add(self.cfg.idle_timeout) {
            ev |= Events::IDLE;
            self.idle_reported = true;
        }
        let next = self.next_deadline();
        self.scheduled = next;
        (ev, next)
    }

    fn activity(&mut self, now: u64) {
        self.last_activity = self.last_activity.max(now);
        self.idle_reported = false;
    }

    fn idle_deadline(&self) -> Option<u64> {
        (!self.idle_reported).then(|| self.last_activity.saturating_add(self.cfg.idle_timeout))
    }

    /// The earliest time something is due.
    pub fn next_deadline(&self) -> Option<u64> {
        let send = self
            .send_since
            .map(|s| s.saturating_add(self.cfg.send_timeout));
        let keepalive = self.keepalive_since.map(|s| {
            s.saturating_add(
                (self.keepalives + 1).saturating_mul(self.cfg.keepalive_interval().max(1)),
            )
        });
        [send, keepalive, self.idle_deadline()]
            .into_iter()
            .flatten()
            .min()
    }

    /// `at` if the timer must be armed for it: earlier than what it was last asked for.
    fn ask(&mut self, at: Option<u64>) -> Option<u64> {
        let at = at?;
        match self.scheduled {
            Some(s) if s <= at => None,
            _ => {
                self.scheduled = Some(at);
                Some(at)
            }
        }
    }
}
