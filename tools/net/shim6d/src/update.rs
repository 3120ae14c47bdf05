//! Updating the peer (RFC 5533 §10) and the Error Messages about it (§5.14):
//! the engine's side of a change of this host's locators, of an Update
//! Request or Acknowledgement from the peer, and of an Error Message.
//!
//! Sending (§10.1–§10.3): new locators get a new Locator List Generation
//! (§5.15.2 has it increase by one for each new list, §10.1 and §10.3 pick a
//! new random one: it starts random and increases by one, which is both),
//! the kernel's contexts their new local set, and each context an
//! [`Event::LocatorsChanged`]; the machine picks the Request Nonce, keeps at
//! most one request outstanding (a newer one replaces it, §10.3) and
//! retransmits it until acknowledged — forever, the timeout doubling from
//! UPDATE_TIMEOUT to MAX_UPDATE_TIMEOUT, randomized over [0.5, 1.5) of it
//! (§10.2, §14).  Every request carries the whole Locator List (§5.10 allows
//! it unchanged) so that its preferences always have their generation.
//!
//! Receiving (§10.4, §10.5): the context whose CT(local) the message
//! names, between its locators (else an R1bis, §7.17: the sender's context
//! is stale); a CGA Parameter Data Structure that is not ULID(peer)'s
//! discards the request silently; I1-SENT discards, I2-SENT and I2BIS-SENT
//! repeat their message first (the machine's).  The list is verified
//! against the structure the request carries or, since one need not come
//! again, the one the context recorded (HBA, RFC 5535; CGA, RFC 3972:
//! [`crate::binding`]); a locator that fails gets an Error Message with
//! code 2, and the request no further processing (§7.2).
//!
//! The kernel's side ([`ContextSet`]): the set that changed (the ULID kept
//! in it), and the locators its current pair may take, best first by their
//! preferences ([`best_first`]): a current locator that left the set, is no
//! longer one of the side's (a ULID the host lost) or is flagged BROKEN
//! gives way to the best of them, in the same `context-set`.  A new list or
//! new preferences of either side makes one.

use rv6_cores::shim6_ctx::{
    Event,
    State, //
};
use rv6_cores::shim6_explore::{
    Candidates,
    Preference, //
};
use rv6_cores::shim6_wire::{
    Addr,
    ContextTag,
    LocatorPreference,
    Message,
    ERR_GENERATION_OUT_OF_SYNC,
    ERR_PREFERENCE_COUNT,
    LOCATOR_BROKEN,
    LOCATOR_TEMPORARY, //
};

use super::{
    ip,
    list_options,
    peer_locators,
    send,
    Answer,
    ContextSet,
    Engine,
    Incoming,
    KernelRequest,
    Note,
    Output,
    Pair,
    SideSet,
    Why, //
};
use crate::binding;
use crate::msg::{
    self,
    Control,
    Options,
    PreferenceBytes, //
};

/// How many acknowledged Request Nonces a context remembers, to tell a
/// retransmission of the last request (acknowledged again) from an older
/// request still in flight (dropped).
const REQUESTS_KEPT: usize = 4;

fn list(l: &[Addr]) -> String {
    l.iter()
        .map(|a| ip(a).to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// The Locator Preferences elements for `locators` (§5.15.3): Element Len
/// the longest any preference needs, a locator without one all 0s.
fn preference_elements(
    locators: &[Addr],
    preferences: &[(Addr, LocatorPreference)],
) -> Option<(u8, Vec<u8>)> {
    if preferences.is_empty() {
        return None;
    }
    let needs = |p: &LocatorPreference| match (p.priority, p.weight) {
        (_, Some(_)) => 3,
        (Some(_), None) => 2,
        (None, None) => 1,
    };
    let len = preferences.iter().map(|(_, p)| needs(p)).max().unwrap_or(1);
    let mut elements = Vec::with_capacity(locators.len() * len);
    for l in locators {
        let p = preferences.iter().find(|(a, _)| a == l).map(|(_, p)| *p);
        let full = p.map_or([0; 3], |p| {
            [p.flags, p.priority.unwrap_or(0), p.weight.unwrap_or(0)]
        });
        elements.extend(&full[..len]);
    }
    Some((len as u8, elements))
}

/// `list` best first by the preference `of` each of its locators (by
/// index), BROKEN ones left out: non-TEMPORARY before TEMPORARY, lower
/// priorities first, list order among equals, as REAP's exploration tries
/// them (`shim6_explore::Candidates`).
pub fn best_first(list: &[Addr], of: impl Fn(usize) -> Option<LocatorPreference>) -> Vec<Addr> {
    let preferences: Vec<Preference> = (0..list.len())
        .map(|i| {
            of(i).map_or(Preference::default(), |p| Preference {
                broken: p.flags & LOCATOR_BROKEN != 0,
                transient: p.flags & LOCATOR_TEMPORARY != 0,
                priority: p.priority.unwrap_or(0),
            })
        })
        .collect();
    Candidates::new(&preferences, &[Preference::default()])
        .as_slice()
        .iter()
        .map(|p| list[usize::from(p.local)])
        .collect()
}

impl Engine {
    /// Our locators for the kernel's contexts: the ULID first (the family
    /// wants it in the set, §1.3 keeps it the identifier), then the list.
    fn kernel_local_locators(&self) -> Vec<Addr> {
        let mut out = vec![self.config.ulid];
        out.extend(
            self.config
                .locators
                .iter()
                .filter(|a| **a != self.config.ulid),
        );
        out
    }

    /// This host's locators or preferences changed (§10.1): a new
    /// generation for a new list, the kernel's contexts their new local
    /// set, and each context the machine's say (an Update Request from
    /// ESTABLISHED and I2BIS-SENT; the I2 and I2bis of the handshakes take
    /// the list as it is when they go).
    pub(super) fn locators_changed(
        &mut self,
        locators: &[Addr],
        preferences: &[(Addr, LocatorPreference)],
        now: u64,
        out: &mut Output,
    ) {
        if let Err(e) = self.config.refusal(locators) {
            return out.notes.push(Note::Locators {
                outcome: format!("{} refused: {e}", list(locators)),
            });
        }
        let new_list = locators != self.config.locators;
        if !new_list && preferences == self.config.preferences {
            return out.notes.push(Note::Locators {
                outcome: format!("{} unchanged", list(locators)),
            });
        }
        self.config.locators = locators.to_vec();
        self.config.preferences = preferences.to_vec();
        if new_list {
            self.generation = self.generation.wrapping_add(1);
            if let Err(e) = self.sign_list() {
                out.notes.push(Note::Locators {
                    outcome: format!("no Locator List can be sent: {e}"),
                });
            }
        }
        out.notes.push(Note::Locators {
            outcome: format!(
                "{} generation {:#x}{}, telling {} context(s)",
                list(locators),
                self.generation,
                if preferences.is_empty() {
                    ""
                } else {
                    " with preferences"
                },
                self.contexts.len()
            ),
        });
        // The kernel's contexts take the new local set (the ULID kept in
        // it), and their current locator moves if it is no longer ours or
        // is now BROKEN.
        let ours = SideSet {
            set: self.kernel_local_locators(),
            usable: best_first(&self.config.locators, |i| {
                let l = self.config.locators[i];
                self.config
                    .preferences
                    .iter()
                    .find(|(a, _)| *a == l)
                    .map(|(_, p)| *p)
            }),
        };
        let pairs: Vec<Pair> = self.contexts.keys().copied().collect();
        for pair in pairs {
            if let Some(e) = self.contexts.get_mut(&pair) {
                let set = ContextSet {
                    local_tag: e.ctx.local_tag(),
                    local: Some(ours.clone()),
                    peer: None,
                };
                e.current = Some(set.current_after(e.current.unwrap_or(pair)));
                if e.installed.is_some() {
                    out.kernel.push(KernelRequest::Set(set));
                }
            }
            self.step(pair, Event::LocatorsChanged, now, &Answer::default(), out);
        }
    }

    /// The peer's side of `pair`'s context for the kernel, from what the
    /// engine recorded: its ULID and list, its list ordered by its
    /// preferences; the context-set for it if the kernel has the context.
    fn peer_changed(&mut self, pair: Pair, out: &mut Output) {
        let Some(e) = self.contexts.get_mut(&pair) else {
            return;
        };
        let list = if e.peer_list.is_empty() {
            vec![pair.peer]
        } else {
            e.peer_list.clone()
        };
        let preferences = &e.peer_preferences;
        let usable = best_first(&list, |i| {
            (preferences.len() == list.len()).then(|| preferences[i])
        });
        let set = ContextSet {
            local_tag: e.ctx.local_tag(),
            local: None,
            peer: Some(SideSet {
                set: e.peer_locators.clone(),
                usable,
            }),
        };
        e.current = Some(set.current_after(e.current.unwrap_or(pair)));
        if e.installed.is_some() {
            out.kernel.push(KernelRequest::Set(set));
        }
    }

    /// The locators an Update Request goes between: the context's current
    /// pair, from a locator still ours (its current one, else the ULID,
    /// else the first of the list: the peer checks the source against the
    /// locators it has, §10.4, and answers one it lacks with an R1bis).
    fn update_pair(&self, pair: Pair) -> Pair {
        let Some(e) = self.contexts.get(&pair) else {
            return pair;
        };
        let current = e.current.unwrap_or(pair);
        let ours = &self.config.locators;
        let local = [current.local, pair.local]
            .into_iter()
            .find(|a| ours.contains(a))
            .unwrap_or(ours[0]);
        Pair {
            local,
            peer: current.peer,
        }
    }

    /// Our Update Request with `nonce` on `pair`'s context (§5.10, §10.1):
    /// the peer's tag, our Locator List and, if we have some, preferences.
    pub(super) fn send_update(&mut self, pair: Pair, nonce: u32, out: &mut Output) {
        let Some(peer_tag) = self
            .contexts
            .get(&pair)
            .and_then(|e| e.ctx.peer_tag())
            .and_then(ContextTag::new)
        else {
            return;
        };
        let via = self.update_pair(pair);
        let elements = preference_elements(&self.config.locators, &self.config.preferences);
        let preferences = elements.as_ref().map(|(len, e)| PreferenceBytes {
            generation: self.generation,
            element_len: *len,
            elements: e,
        });
        send(
            out,
            "Update Request",
            via.local,
            via.peer,
            Message::UpdateRequest {
                receiver_context_tag: peer_tag,
                request_nonce: nonce,
            },
            &Options {
                preferences,
                ..list_options(&self.list, &self.config, self.generation)
            },
        );
    }

    /// The context an Update Request or Acknowledgement with `tag` from
    /// `src` to `dst` is for (§10.4, §10.5): the one whose CT(local) it
    /// is, if the addresses are its locators.  None: an R1bis goes back
    /// (§7.17), after the log's line.
    fn updated_context(
        &mut self,
        src: Addr,
        dst: Addr,
        tag: ContextTag,
        out: &mut Output,
    ) -> Option<Pair> {
        let found = self
            .contexts
            .iter()
            .find(|(_, e)| tag.get() != 0 && e.ctx.local_tag() == tag.get())
            .map(|(p, e)| {
                let peers = if e.peer_locators.is_empty() {
                    vec![p.peer]
                } else {
                    e.peer_locators.clone()
                };
                let ours = dst == p.local || self.config.locators.contains(&dst);
                (*p, peers.contains(&src) && ours)
            });
        let why = match found {
            Some((pair, true)) => return Some(pair),
            Some((_, false)) => Why::ForeignLocators,
            None => Why::NoContext,
        };
        out.notes.push(Note::Dropped { src, dst, why });
        if tag.get() != 0 {
            self.send_r1bis(tag, dst, src, out);
        }
        None
    }

    /// An Update Request (§10.4) that came as `m`.
    pub(super) fn update_request(
        &mut self,
        m: &Incoming<'_>,
        c: &Control<'_>,
        tag: ContextTag,
        nonce: u32,
        now: u64,
        out: &mut Output,
    ) {
        let (src, dst) = (m.src, m.dst);
        let drop = |out: &mut Output, why| out.notes.push(Note::Dropped { src, dst, why });
        let Some(pair) = self.updated_context(src, dst, tag, out) else {
            return;
        };
        let answer = Answer {
            src,
            dst,
            request_nonce: nonce,
            ..Answer::default()
        };
        // A CGA Parameter Data Structure must be ULID(peer)'s, else the
        // request is discarded silently (§10.4).
        if let Some(Err(r)) = c.pds.map(|p| binding::check_parameters(p, &pair.peer)) {
            return drop(out, Why::ForeignParameters(r));
        }
        let Some(e) = self.contexts.get(&pair) else {
            return;
        };
        match e.ctx.state() {
            State::Established | State::I2bisSent => {}
            // The I2 again (the machine); the request itself once the R2
            // brings the peer's tag, which its acknowledgement needs.
            State::I2Sent => return self.step(pair, Event::UpdateRequest, now, &answer, out),
            _ => return drop(out, Why::NotEstablished),
        }
        if e.requests.last() == Some(&nonce) {
            // Our acknowledgement was lost: the same again, nothing redone.
            out.notes.push(Note::Update {
                pair,
                outcome: format!("Update Request {nonce:#010x} again: acknowledged again"),
            });
            return self.step(pair, Event::UpdateRequest, now, &answer, out);
        }
        if e.requests.contains(&nonce) {
            return drop(out, Why::StaleRequest);
        }
        // §7.2, §10.4: each locator verified by its method, against the
        // structure the request carries or the one the context has; one
        // that fails gets an Error Message with code 2 at its method octet,
        // and the request no further processing.
        let Ok(pds) = self.verified(m, c, pair.peer, Some(pair), now, out) else {
            return;
        };
        if let (Some(pds), Some(e)) = (pds, self.contexts.get_mut(&pair)) {
            e.peer_pds = Some(pds);
        }
        // Whether what the kernel's peer side is made of changed: the
        // peer's locators, or their preferences (the order a current one
        // is picked in).
        let mut changed = false;
        // No further processing, and an Error Message with `code` about the
        // field at `offset` (§10.4): `(why, code, offset)`.
        let mut refusal = None;
        if let (Some(locators), Some(info)) = (&c.locators, &c.list) {
            if locators.is_empty() {
                return drop(out, Why::NoLocator);
            }
            // Verified: the peer's generation and locators are these now
            // (the preferences of another list no longer apply).
            let kernel_set = peer_locators(Some(locators.clone()), pair.peer);
            let Some(e) = self.contexts.get_mut(&pair) else {
                return;
            };
            if e.peer_generation != Some(info.generation) {
                e.peer_preferences.clear();
            }
            changed = kernel_set != e.peer_locators || *locators != e.peer_list;
            e.peer_generation = Some(info.generation);
            e.peer_list = locators.clone();
            e.peer_locators = kernel_set;
            out.notes.push(Note::Update {
                pair,
                outcome: format!(
                    "peer locators {} generation {:#x}",
                    list(locators),
                    info.generation
                ),
            });
        }
        if let Some(p) = &c.preferences {
            let Some(e) = self.contexts.get_mut(&pair) else {
                return;
            };
            if e.peer_generation != Some(p.generation) {
                let at = p.generation_offset();
                refusal = Some((Why::GenerationOutOfSync, ERR_GENERATION_OUT_OF_SYNC, at));
            } else if p.elements.len() != e.peer_list.len().max(1) {
                // Ls(peer): the ULID alone until the peer sends a list.
                let at = p.length_offset();
                refusal = Some((Why::PreferenceCount, ERR_PREFERENCE_COUNT, at));
            } else {
                changed |= e.peer_preferences != p.elements;
                e.peer_preferences = p.elements.clone();
                out.notes.push(Note::Update {
                    pair,
                    outcome: format!("peer preferences for generation {:#x}", p.generation),
                });
            }
        }
        // The kernel follows what the engine recorded, even of a request
        // whose preferences are refused: its list was verified (§10.4).
        if changed {
            self.peer_changed(pair, out);
        }
        // A new Send Timeout of the peer's is our Keepalive Timeout (RFC
        // 5534 §5.3: SHOULD update it).
        if let Some(t) = c.keepalive_timeout.filter(|t| *t > 0) {
            if let Some(e) = self.contexts.get_mut(&pair) {
                if e.peer_keepalive != Some(t) {
                    e.peer_keepalive = Some(t);
                    if e.installed.is_some() {
                        out.kernel.push(KernelRequest::KeepaliveTimeout {
                            local_tag: e.ctx.local_tag(),
                            ms: u32::from(t) * 1000,
                        });
                    }
                }
            }
        }
        if let Some((why, code, at)) = refusal {
            drop(out, why);
            return self.send_error(now, out, code, at, m);
        }
        if let Some(e) = self.contexts.get_mut(&pair) {
            if e.requests.len() == REQUESTS_KEPT {
                e.requests.remove(0);
            }
            e.requests.push(nonce);
        }
        self.step(pair, Event::UpdateRequest, now, &answer, out);
    }

    /// An Update Acknowledgement (§10.5).
    pub(super) fn update_ack(
        &mut self,
        src: Addr,
        dst: Addr,
        tag: ContextTag,
        nonce: u32,
        now: u64,
        out: &mut Output,
    ) {
        let Some(pair) = self.updated_context(src, dst, tag, out) else {
            return;
        };
        let Some(e) = self.contexts.get(&pair) else {
            return;
        };
        let pending = e.ctx.pending_update();
        if e.ctx.state() == State::I1Sent {
            return out.notes.push(Note::Dropped {
                src,
                dst,
                why: Why::NotEstablished,
            });
        }
        if pending != Some(nonce) {
            out.notes.push(Note::Dropped {
                src,
                dst,
                why: Why::WrongNonce,
            });
        }
        // I2-SENT and I2BIS-SENT repeat their message first (the machine).
        self.step(
            pair,
            Event::UpdateAck { nonce },
            now,
            &Answer::default(),
            out,
        );
        if pending == Some(nonce) {
            out.notes.push(Note::Update {
                pair,
                outcome: format!("Update Request {nonce:#010x} acknowledged"),
            });
        }
    }

    /// An Error Message (§5.14) with `code` and `pointer` that came as `m`,
    /// unacknowledged: logged, and if it is about our pending Update Request
    /// (its packet in error names the peer's tag and our nonce, which an
    /// off-path sender cannot know, and it comes from one of the peer's
    /// locators), that request stops: the peer will not process it (§10.4,
    /// §12.3).
    pub(super) fn peer_error(
        &mut self,
        m: &Incoming<'_>,
        code: u8,
        pointer: u16,
        packet_in_error: &[u8],
        now: u64,
        out: &mut Output,
    ) {
        let (src, dst) = (m.src, m.dst);
        let note = |out: &mut Output, outcome: String| {
            out.notes.push(Note::PeerError {
                src,
                dst,
                code,
                pointer,
                outcome,
            })
        };
        let (_, shim) = msg::invoking(packet_in_error);
        let about = match msg::parse_echoed(shim) {
            Ok(c) => c,
            Err(_) => return note(out, "about a message it does not show whole".into()),
        };
        let what = msg::describe(&about);
        let Message::UpdateRequest {
            receiver_context_tag,
            request_nonce,
        } = about.message
        else {
            return note(out, format!("about {what}"));
        };
        let ours = self
            .contexts
            .iter()
            .find(|(p, e)| {
                e.ctx.peer_tag() == Some(receiver_context_tag.get())
                    && e.ctx.pending_update() == Some(request_nonce)
                    && (e.peer_locators.contains(&src) || p.peer == src)
            })
            .map(|(p, _)| *p);
        let Some(pair) = ours else {
            return note(out, format!("about {what}, not a pending request of ours"));
        };
        note(out, format!("about our {what}: no longer retransmitted"));
        let ev = Event::UpdateRefused {
            nonce: request_nonce,
        };
        self.step(pair, ev, now, &Answer::default(), out);
    }
}
