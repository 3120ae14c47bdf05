// SPDX-License-Identifier: GPL-2.0

//! FTP connection tracking helper, `rv6-ftp`: the data connections an FTP control connection
//! announces become `related` to it.
//!
//! The C twin is [`net/netfilter/nf_conntrack_ftp.c`](srctree/net/netfilter/nf_conntrack_ftp.c)
//! (helper `ftp`); both can be loaded at once and attached to different connections.  What
//! this one does differently:
//!
//! - Commands split across TCP segments are reassembled (up to 512 bytes per line, per
//!   direction), where the C helper only looks at segments that start a line and drops a
//!   segment that ends inside a command, hoping the retransmission arrives whole.
//! - The endpoint must be the sender's own address, always: the C helper's `loose` mode is
//!   not offered, and a `PORT` on an IPv6 control connection (which C turns into an IPv4
//!   expectation with a truncated address) and `EPRT |2|::ffff:a.b.c.d|` (KAME's rule for
//!   v4-mapped addresses) are refused.
//! - No NAT: `nf_nat_ftp` rewrites only for the C helper.
//!
//! Its counters are kept per network namespace and read through the generic netlink family
//! `rv6-ct-ftp` (`Documentation/netlink/specs/rv6_ct_ftp.yaml`, `rv6 ct-ftp stats`); a
//! refused expectation is also logged through `nf_ct_helper_log`, as the C helper does.

use kernel::{
    net::{
        namespace::{
            self,
            Namespace,
            NetState,
            PernetSlot, //
        },
        netfilter::{
            conntrack::{
                Direction,
                Expect,
                ExpectPolicy,
                Helper,
                HelperSlot,
                Packet,
                Protocol,
                Registration,
                State, //
            },
            Family,
            Verdict, //
        },
        netlink::genl::{
            self,
            Counters,
            OpsFamily,
            StatsOps,
            Writer, //
        }, //
    },
    prelude::*,
    sync::{
        atomic::{
            ordering::Relaxed,
            Atomic, //
        },
        Arc, //
    }, //
};

// The core is `pub` for the host tests; here it is private and partly unused.
#[expect(unreachable_pub, dead_code)]
#[path = "ftp_parse.rs"]
mod ftp_parse;

use ftp_parse::{
    DataEndpoint,
    Refusal,
    Segment,
    Stream, //
};

module! {
    type: CtFtp,
    name: "rv6_ct_ftp",
    authors: ["rv6 developers"],
    description: "FTP connection tracking helper rv6-ftp (PORT/PASV, EPRT/EPSV)",
    license: "GPL",
    alias: ["nfct-helper-rv6-ftp"],
}

/// What the helper saw and did in one network namespace.
struct Stats {
    /// Control lines looked at.
    lines: Atomic<u64>,
    /// Expectations created.
    expected: Atomic<u64>,
    /// Endpoints refused: not the sender's address (FTP bounce).
    bounce: Atomic<u64>,
    /// Endpoints refused: IPv4-mapped IPv6 address.
    v4_mapped: Atomic<u64>,
    /// Expectations conntrack refused; the packet was dropped so that its retransmission
    /// tries again.
    expect_failed: Atomic<u64>,
    /// Segments whose connection state could not be had (first packet, or out of memory).
    no_state: Atomic<u64>,
}

static NET_SLOT: PernetSlot = PernetSlot::new();

impl NetState for Stats {
    type Shared = ();
    const SLOT: &'static PernetSlot = &NET_SLOT;

    fn init<'a>(_shared: &'a (), _net: &'a Namespace) -> impl PinInit<Self, Error> + 'a {
        Ok::<_, Error>(Stats {
            lines: Atomic::new(0),
            expected: Atomic::new(0),
            bounce: Atomic::new(0),
            v4_mapped: Atomic::new(0),
            expect_failed: Atomic::new(0),
            no_state: Atomic::new(0),
        })
    }
}

fn bump(c: &Atomic<u64>) {
    c.add(1, Relaxed);
}

/// Per control connection: one line stream per direction.
#[derive(Default)]
struct Control {
    streams: [Stream; 2],
}

/// Most data endpoints one segment may announce; more are ignored (a client sends one
/// command and waits for its reply).
const MAX_PER_SEGMENT: usize = 4;

/// Bytes of the TCP header the helper reads: up to the data offset.
const TCP_FIXED: usize = 20;

static SLOT: HelperSlot = HelperSlot::new();

struct RvFtp;

impl Helper for RvFtp {
    const NAME: &'static CStr = c"rv6-ftp";
    const PROTOCOL: Protocol = Protocol::Tcp;
    const FAMILIES: &'static [Family] = &[Family::Ipv4, Family::Ipv6];
    // As the C helper: one pending data connection per control connection, 5 minutes.
    const POLICY: ExpectPolicy = ExpectPolicy {
        max_expected: 1,
        timeout_secs: 5 * 60,
    };
    const SLOT: &'static HelperSlot = &SLOT;
    type Conn = Control;

    fn help(pkt: &mut Packet<'_, Self>) -> Verdict {
        // Until traffic has passed both ways there is no control data to look at.
        if pkt.state() != State::Established {
            return Verdict::Accept;
        }
        let skb = pkt.skb();
        let mut th = [0u8; TCP_FIXED];
        let Some(th) = skb.bytes(pkt.protoff(), &mut th) else {
            return Verdict::Accept;
        };
        let seq = u32::from_be_bytes([th[4], th[5], th[6], th[7]]);
        let data_off = pkt.protoff() + usize::from(th[12] >> 4) * 4;
        // Segments without data (pure ACKs, most of a control connection's packets) leave
        // here, before any look-up.
        let Some(len) = (skb.len() as usize)
            .checked_sub(data_off)
            .filter(|&l| l > 0)
        else {
            return Verdict::Accept;
        };
        let seg = Seg { seq, data_off, len };
        // The counters exist from before the namespace's first device until the namespace
        // starts going away; a packet that arrives while it is dismantled passes unhelped.
        Stats::with(pkt.net(), |stats| help_counted(pkt, stats, seg)).unwrap_or(Verdict::Accept)
    }
}

/// Where a segment's data lies: its sequence number, offset from `skb->data` and length.
#[derive(Clone, Copy)]
struct Seg {
    seq: u32,
    data_off: usize,
    len: usize,
}

/// The helper for a segment with data, counting in `stats`.
fn help_counted(pkt: &mut Packet<'_, RvFtp>, stats: &Stats, seg: Seg) -> Verdict {
    let Seg { seq, data_off, len } = seg;
    let skb = pkt.skb();
    let dir = pkt.direction();
    let sender = pkt.tuple(dir).src;
    let from_client = dir == Direction::Original;

    let Ok(conn) = pkt.conn() else {
        bump(&stats.no_state);
        return Verdict::Accept;
    };
    let stream = &mut conn.streams[dir.index()];
    let Segment::Feed(skip) = stream.accept(seq, len) else {
        return Verdict::Accept;
    };
    let mut found = [None::<DataEndpoint>; MAX_PER_SEGMENT];
    let mut n = 0;
    let mut lines = 0;
    skb.for_each_chunk::<256>(data_off + skip, |c| {
        stream.feed(c, |line| {
            lines += 1;
            let Some((_, ep)) = ftp_parse::parse_line(line, from_client) else {
                return;
            };
            match ep.check(sender) {
                Ok(()) if n < MAX_PER_SEGMENT => {
                    found[n] = Some(ep);
                    n += 1;
                }
                Ok(()) => {}
                Err(Refusal::NotThePeer) => bump(&stats.bounce),
                Err(Refusal::V4Mapped) => bump(&stats.v4_mapped),
            }
        })
    });
    if lines > 0 {
        stats.lines.add(lines, Relaxed);
    }

    if n == 0 {
        return Verdict::Accept;
    }
    // The peer connects to the sender: from the other side's address, any port.
    let connector = pkt.tuple(dir.other());
    for ep in found.iter().flatten() {
        let e = Expect {
            src: Some(Expect::host(connector.src)),
            sport: None,
            dst: connector.dst,
            dport: ep.port,
            permanent: false,
        };
        if pkt.expect(&e).is_err() {
            bump(&stats.expect_failed);
            pkt.log(c"cannot add expectation");
            // Rewind, so that the retransmission of this segment is parsed again.
            if let Ok(conn) = pkt.conn() {
                conn.streams[dir.index()].rewind(seq);
            }
            return Verdict::Drop;
        }
        bump(&stats.expected);
    }
    Verdict::Accept
}

// The generic netlink family (Documentation/netlink/specs/rv6_ct_ftp.yaml).
const A_PAD: u16 = 1;
const A_LINES: u16 = 2;
const A_EXPECTED: u16 = 3;
const A_BOUNCE: u16 = 4;
const A_V4_MAPPED: u16 = 5;
const A_EXPECT_FAILED: u16 = 6;
const A_NO_STATE: u16 = 7;

static FAMILY: OpsFamily<StatsOps<Stats>> = OpsFamily::new(
    kernel::module::this_module::<crate::LocalModule>(),
    b"rv6-ct-ftp\0",
    1,
    &StatsOps::<Stats>::OPS,
    &[],
);

impl Counters for Stats {
    const FAMILY: &'static OpsFamily<StatsOps<Self>> = &FAMILY;

    /// Writes every counter, in spec order.
    fn put(&self, w: &mut Writer<'_>) -> Result {
        for (attr, c) in [
            (A_LINES, &self.lines),
            (A_EXPECTED, &self.expected),
            (A_BOUNCE, &self.bounce),
            (A_V4_MAPPED, &self.v4_mapped),
            (A_EXPECT_FAILED, &self.expect_failed),
            (A_NO_STATE, &self.no_state),
        ] {
            w.put_u64(attr, c.load(Relaxed), A_PAD)?;
        }
        Ok(())
    }
}

struct CtFtp {
    // Dropped in order: the helper first, then the family and the counters.
    _helper: Registration<RvFtp>,
    _family: genl::Registration<StatsOps<Stats>>,
}

impl kernel::Module for CtFtp {
    fn init(module: &'static ThisModule) -> Result<Self> {
        let stats = Arc::new(namespace::Registration::new(())?, GFP_KERNEL)?;
        let family = genl::Registration::new(stats)?;
        let helper = Registration::new(module)?;
        Ok(CtFtp {
            _helper: helper,
            _family: family,
        })
    }
}
