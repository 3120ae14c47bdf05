#![no_main]
//! shim6d's engine (RFC 5533's context machine, updates, REAP's exploration, the message
//! parser and builder) driven by arbitrary events: two engines, A and B, joined by a wire
//! the input controls.  Each step of the input delivers, drops, corrupts or replaces the
//! next message in flight, or gives a host a trigger, an unknown-tag or REAP event, new
//! locators or time.  Whatever happens: no panic, every message an engine sends parses
//! back, the contexts stay few (one per ULID pair a host can name), and every kernel request
//! names a context tag of 47 bits.
use std::collections::VecDeque;

use libfuzzer_sys::fuzz_target;
use rv6_cores::shim6_wire::{
    Addr,
    ControlHeader, //
};
use shim6d::engine::{
    Config,
    Engine,
    Input,
    KernelRequest,
    Output,
    Packet,
    Pair,
    ReapEvent,
    SplitMix, //
};

fn addr(net: u8, host: u8) -> Addr {
    let mut a = [0u8; 16];
    a[..4].copy_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
    a[5] = net;
    a[15] = host;
    a
}

/// Addresses a message may come from or go to: A's two locators, B's two, a stranger.
fn pick(b: u8) -> Addr {
    match b % 5 {
        0 => addr(0xa1, 1),
        1 => addr(0xa2, 1),
        2 => addr(0xb1, 1),
        3 => addr(0xb2, 1),
        _ => addr(0xc0, 1),
    }
}

struct Host {
    engine: Engine,
    /// The local tags of the contexts the kernel was given.
    tags: Vec<u64>,
}

struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn u8(&mut self) -> Option<u8> {
        let (b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(*b)
    }

    fn take(&mut self, n: usize) -> &[u8] {
        let n = n.min(self.0.len());
        let (b, rest) = self.0.split_at(n);
        self.0 = rest;
        b
    }
}

fn apply(h: &mut Host, from: usize, out: Output, wire: &mut VecDeque<(usize, Packet)>) {
    for p in out.packets {
        // Every message an engine builds is one it can read.
        assert!(shim6d::msg::parse(&p.bytes).is_ok(), "{p:?}");
        wire.push_back((from, p));
    }
    for r in out.kernel {
        let tag = match &r {
            KernelRequest::Add(c) => {
                assert!(c.peer_tag != 0 && c.peer_tag < 1 << 47);
                h.tags.push(c.local_tag);
                c.local_tag
            }
            KernelRequest::Del { local_tag } => {
                h.tags.retain(|t| t != local_tag);
                *local_tag
            }
            KernelRequest::Set(s) => s.local_tag,
            KernelRequest::Reap(r) => r.local_tag,
            KernelRequest::KeepaliveTimeout { local_tag, .. } => *local_tag,
        };
        assert!(tag != 0 && tag < 1 << 47);
    }
    assert!(h.engine.len() <= 8, "{} contexts", h.engine.len());
    assert!(h.tags.len() <= 8, "{} kernel contexts", h.tags.len());
}

fuzz_target!(|data: &[u8]| {
    let mut input = Bytes(data);
    let mut hosts = [0xa1u8, 0xb1].map(|n| {
        let mut c = Config::new(vec![addr(n, 1), addr(n + 1, 1)], None).unwrap();
        c.send_timeout = Some(2);
        Host {
            engine: Engine::new(c, Box::new(SplitMix(u64::from(n))), 0),
            tags: Vec::new(),
        }
    });
    let peer = [addr(0xb1, 1), addr(0xa1, 1)];
    let mut wire: VecDeque<(usize, Packet)> = VecDeque::new();
    let mut now = 0u64;
    // A starts: most inputs then explore a context that exists.
    let out = hosts[0].engine.handle(
        Input::Trigger(Pair {
            local: addr(0xa1, 1),
            peer: peer[0],
        }),
        now,
    );
    apply(&mut hosts[0], 0, out, &mut wire);
    for _ in 0..256 {
        let Some(op) = input.u8() else {
            break;
        };
        let h = usize::from(op & 1);
        let input_for = match op >> 1 {
            // The next message in flight, delivered as it is (most often).
            0..=79 => {
                let Some((from, p)) = wire.pop_front() else {
                    continue;
                };
                let to = 1 - from;
                let out = hosts[to].engine.handle(
                    Input::Packet {
                        src: p.src,
                        dst: p.dst,
                        bytes: &p.bytes,
                    },
                    now,
                );
                apply(&mut hosts[to], to, out, &mut wire);
                continue;
            }
            // Lost.
            80..=89 => {
                wire.pop_front();
                continue;
            }
            // Corrupted at a byte (checksum fixed or not), or from other addresses.
            90..=99 => {
                let Some((from, mut p)) = wire.pop_front() else {
                    continue;
                };
                let at = usize::from(input.u8().unwrap_or(0));
                let x = input.u8().unwrap_or(1);
                if !p.bytes.is_empty() {
                    let i = at % p.bytes.len();
                    p.bytes[i] ^= x;
                }
                if x & 1 == 1 {
                    if let Ok(mut c) = ControlHeader::new_checked(&mut p.bytes[..]) {
                        c.fill_checksum();
                    }
                }
                if x & 2 == 2 {
                    p.src = pick(x >> 2);
                }
                let to = 1 - from;
                let out = hosts[to].engine.handle(
                    Input::Packet {
                        src: p.src,
                        dst: p.dst,
                        bytes: &p.bytes,
                    },
                    now,
                );
                apply(&mut hosts[to], to, out, &mut wire);
                continue;
            }
            // Arbitrary bytes from anywhere to host h.
            100..=104 => {
                let src = pick(input.u8().unwrap_or(4));
                let n = usize::from(input.u8().unwrap_or(0));
                let bytes = input.take(n).to_vec();
                let dst = hosts[h].engine.config().locators[0];
                let out = hosts[h].engine.handle(
                    Input::Packet {
                        src,
                        dst,
                        bytes: &bytes,
                    },
                    now,
                );
                apply(&mut hosts[h], h, out, &mut wire);
                continue;
            }
            105..=107 => Input::Trigger(Pair {
                local: hosts[h].engine.config().ulid,
                peer: if op & 4 == 0 {
                    peer[h]
                } else {
                    pick(input.u8().unwrap_or(4))
                },
            }),
            108..=109 => Input::UnknownTag {
                tag: u64::from(input.u8().unwrap_or(1)) << 8 | 1,
                local: hosts[h].engine.config().locators[0],
                peer: pick(input.u8().unwrap_or(2)),
            },
            110..=119 => {
                let tag = hosts[h].tags.first().copied().unwrap_or(7);
                let event = match input.u8().unwrap_or(0) % 4 {
                    0 => ReapEvent::SendTimeout,
                    1 => ReapEvent::Keepalive,
                    2 => ReapEvent::Inbound,
                    _ => ReapEvent::Idle,
                };
                let current = input.u8().map(|b| Pair {
                    local: pick(b),
                    peer: pick(b >> 3),
                });
                Input::Reap {
                    local_tag: tag,
                    event,
                    current,
                }
            }
            120..=121 => {
                // The host's locators change: one of them, or both (never none).
                let ulid = hosts[h].engine.config().ulid;
                let n = ulid[5];
                let which = input.u8().unwrap_or(0) % 3;
                let locators: Vec<Addr> = match which {
                    0 => vec![addr(n, 1)],
                    1 => vec![addr(n + 1, 1)],
                    _ => vec![addr(n, 1), addr(n + 1, 1)],
                };
                let out = hosts[h].engine.handle(
                    Input::Locators {
                        locators: &locators,
                        preferences: &[],
                    },
                    now,
                );
                apply(&mut hosts[h], h, out, &mut wire);
                continue;
            }
            // Time: to the next deadline, or a step of up to 25.5 s.
            _ => {
                let step = u64::from(input.u8().unwrap_or(0)) * 100_000_000;
                let next = hosts.iter().filter_map(|h| h.engine.deadline()).min();
                now = match next {
                    Some(d) if step == 0 => now.max(d),
                    _ => now + step,
                };
                Input::Tick
            }
        };
        let out = hosts[h].engine.handle(input_for, now);
        apply(&mut hosts[h], h, out, &mut wire);
        // The wire holds what a few rounds of retransmission make, no more.
        assert!(wire.len() <= 4096, "{} messages in flight", wire.len());
    }
});
