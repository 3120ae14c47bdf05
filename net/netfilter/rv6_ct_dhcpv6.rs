// SPDX-License-Identifier: GPL-2.0

//! DHCPv6 connection tracking helper, `rv6-dhcpv6`: the answers to a multicast DHCPv6
//! message become `related` to it, so a stateful firewall that accepts only
//! `established,related` lets a client get its lease.
//!
//! A client sends to `ff02::1:2` port 547 (RFC 8415 §7.1) and servers or relays answer
//! unicast from their link-local address to port 546: nothing conntrack can match against the
//! multicast tuple.  Linux has no helper for this (conntrackd ships a userspace one).  For
//! each client message sent to a multicast address this helper expects UDP from any
//! link-local address (`fe80::/10`) port 547 to the client's address and port, for
//! [`EXPECT_SECS`] and for every answer (several servers may advertise), refreshed by each
//! retransmission.  The same holds for a relay agent that forwards to `ff05::1:3`
//! (All_DHCP_Servers, site scope): the servers' Relay-reply may come from any address to the
//! relay's port 547.  Unicast exchanges need no help: the answer is the reply direction.
//!
//! The helper is not a filter: messages it cannot parse or that expect nothing pass
//! unchanged and are counted, per network namespace, in the generic netlink family
//! `rv6-ct-dhcpv6` (`Documentation/netlink/specs/rv6_ct_dhcpv6.yaml`, `rv6 ct-dhcpv6 stats`).

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
                Registration, //
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

use core::net::{
    IpAddr,
    Ipv6Addr, //
};

// The core is `pub` for the host tests; here it is private and partly unused.
#[expect(unreachable_pub, dead_code)]
#[path = "dhcpv6_parse.rs"]
mod dhcpv6_parse;

use dhcpv6_parse::{
    Message,
    MessageType,
    CLIENT_PORT,
    SERVER_PORT, //
};

module! {
    type: CtDhcpv6,
    name: "rv6_ct_dhcpv6",
    authors: ["rv6 developers"],
    description: "DHCPv6 connection tracking helper rv6-dhcpv6",
    license: "GPL",
    alias: ["nfct-helper-rv6-dhcpv6"],
}

/// Seconds an expectation lives: longer than a Request's longest retransmission interval
/// (REQ_MAX_RT, 30 s) with room for a Solicit/Advertise/Request/Reply exchange; every
/// retransmission restarts it.
const EXPECT_SECS: u32 = 120;

/// Bytes of a UDP header.
const UDP_HEADER: usize = 8;
/// Bytes of a Relay-forw header, the longest header the helper reads.
const RELAY_HEADER: usize = 34;

/// What the helper saw and did in one network namespace.
struct Stats {
    /// DHCPv6 messages from clients or relays looked at.
    messages: Atomic<u64>,
    /// Expectations created (or refreshed).
    expected: Atomic<u64>,
    /// Messages sent unicast: their answer is the reply direction.
    unicast: Atomic<u64>,
    /// Messages that cannot be DHCPv6 (too short, unknown type, bad relay header).
    malformed: Atomic<u64>,
    /// Messages that expect no answer from the sender's side (server messages, wrong ports).
    ignored: Atomic<u64>,
    /// Expectations conntrack refused.
    expect_failed: Atomic<u64>,
}

static NET_SLOT: PernetSlot = PernetSlot::new();

impl NetState for Stats {
    type Shared = ();
    const SLOT: &'static PernetSlot = &NET_SLOT;

    fn init<'a>(_shared: &'a (), _net: &'a Namespace) -> impl PinInit<Self, Error> + 'a {
        Ok::<_, Error>(Stats {
            messages: Atomic::new(0),
            expected: Atomic::new(0),
            unicast: Atomic::new(0),
            malformed: Atomic::new(0),
            ignored: Atomic::new(0),
            expect_failed: Atomic::new(0),
        })
    }
}

fn bump(c: &Atomic<u64>) {
    c.add(1, Relaxed);
}

/// `fe80::/10`, where on-link servers and relays answer from.
const LINK_LOCAL: (IpAddr, u8) = (IpAddr::V6(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0)), 10);

/// What a message sent from `sport` to `dst` port `dport` asks the helper to expect, if
/// anything: the answer's source prefix and port, and the port it goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Answer {
    /// Expect the answer from `from` (a prefix, `None` for anywhere) port 547 to `port`.
    Expect {
        from: Option<(IpAddr, u8)>,
        port: u16,
    },
    /// Sent unicast: conntrack's reply direction is the answer.
    Unicast,
    /// Nothing answers this message on the sender's side.
    Nothing,
}

fn answer(kind: MessageType, sport: u16, dst: IpAddr, dport: u16) -> Answer {
    if dport != SERVER_PORT {
        return Answer::Nothing;
    }
    let (from, port) = if kind.is_from_client() && sport == CLIENT_PORT {
        (Some(LINK_LOCAL), CLIENT_PORT)
    } else if kind == MessageType::RelayForw && sport == SERVER_PORT {
        (None, SERVER_PORT)
    } else {
        return Answer::Nothing;
    };
    if dst.is_multicast() {
        Answer::Expect { from, port }
    } else {
        Answer::Unicast
    }
}

static SLOT: HelperSlot = HelperSlot::new();

struct RvDhcpv6;

impl Helper for RvDhcpv6 {
    const NAME: &'static CStr = c"rv6-dhcpv6";
    const PROTOCOL: Protocol = Protocol::Udp;
    const FAMILIES: &'static [Family] = &[Family::Ipv6];
    // One master connection is one client (or relay) address and port talking to one
    // multicast group: it never needs more than one pending answer tuple.
    const POLICY: ExpectPolicy = ExpectPolicy {
        max_expected: 1,
        timeout_secs: EXPECT_SECS,
    };
    const SLOT: &'static HelperSlot = &SLOT;
    type Conn = ();

    fn help(pkt: &mut Packet<'_, Self>) -> Verdict {
        if pkt.direction() != Direction::Original {
            return Verdict::Accept;
        }
        // The counters exist from before the namespace's first device until the namespace
        // starts going away; a packet that arrives while it is dismantled passes unhelped.
        Stats::with(pkt.net(), |stats| help_counted(pkt, stats)).unwrap_or(Verdict::Accept)
    }
}

/// The helper, counting in `stats`.
fn help_counted(pkt: &mut Packet<'_, RvDhcpv6>, stats: &Stats) -> Verdict {
    let t = pkt.tuple(Direction::Original);
    let skb = pkt.skb();
    let start = pkt.protoff() + UDP_HEADER;
    let have = (skb.len() as usize).saturating_sub(start).min(RELAY_HEADER);
    let mut buf = [0u8; RELAY_HEADER];
    let Some(msg) = skb.bytes(start, &mut buf[..have]).and_then(Message::parse) else {
        bump(&stats.malformed);
        return Verdict::Accept;
    };
    bump(&stats.messages);
    match answer(msg.kind(), t.sport, t.dst, t.dport) {
        Answer::Nothing => bump(&stats.ignored),
        Answer::Unicast => bump(&stats.unicast),
        Answer::Expect { from, port } => {
            let e = Expect {
                src: from,
                sport: Some(SERVER_PORT),
                dst: t.src,
                dport: port,
                permanent: true,
            };
            if pkt.expect(&e).is_ok() {
                bump(&stats.expected);
            } else {
                bump(&stats.expect_failed);
            }
        }
    }
    Verdict::Accept
}

// The generic netlink family (Documentation/netlink/specs/rv6_ct_dhcpv6.yaml).
const A_PAD: u16 = 1;
const A_MESSAGES: u16 = 2;
const A_EXPECTED: u16 = 3;
const A_UNICAST: u16 = 4;
const A_MALFORMED: u16 = 5;
const A_IGNORED: u16 = 6;
const A_EXPECT_FAILED: u16 = 7;

static FAMILY: OpsFamily<StatsOps<Stats>> = OpsFamily::new(
    kernel::module::this_module::<crate::LocalModule>(),
    b"rv6-ct-dhcpv6\0",
    1,
    &StatsOps::<Stats>::OPS,
    &[],
);

impl Counters for Stats {
    const FAMILY: &'static OpsFamily<StatsOps<Self>> = &FAMILY;

    /// Writes every counter, in spec order.
    fn put(&self, w: &mut Writer<'_>) -> Result {
        for (attr, c) in [
            (A_MESSAGES, &self.messages),
            (A_EXPECTED, &self.expected),
            (A_UNICAST, &self.unicast),
            (A_MALFORMED, &self.malformed),
            (A_IGNORED, &self.ignored),
            (A_EXPECT_FAILED, &self.expect_failed),
        ] {
            w.put_u64(attr, c.load(Relaxed), A_PAD)?;
        }
        Ok(())
    }
}

struct CtDhcpv6 {
    // Dropped in order: the helper first, then the family and the counters.
    _helper: Registration<RvDhcpv6>,
    _family: genl::Registration<StatsOps<Stats>>,
}

impl kernel::Module for CtDhcpv6 {
    fn init(module: &'static ThisModule) -> Result<Self> {
        let stats = Arc::new(namespace::Registration::new(())?, GFP_KERNEL)?;
        let family = genl::Registration::new(stats)?;
        let helper = Registration::new(module)?;
        Ok(CtDhcpv6 {
            _helper: helper,
            _family: family,
        })
    }
}

#[kunit_tests(rv6_ct_dhcpv6)]
mod tests {
    use super::*;

    const ALL_AGENTS: IpAddr = IpAddr::V6(Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 1, 2));
    const ALL_SERVERS: IpAddr = IpAddr::V6(Ipv6Addr::new(0xff05, 0, 0, 0, 0, 0, 1, 3));
    const SERVER: IpAddr = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1));

    #[test]
    fn client_messages_to_the_agents_expect_a_link_local_answer() {
        use MessageType::*;
        for kind in [
            Solicit,
            Request,
            Confirm,
            Renew,
            Rebind,
            Release,
            Decline,
            InformationRequest,
        ] {
            assert_eq!(
                answer(kind, CLIENT_PORT, ALL_AGENTS, SERVER_PORT),
                Answer::Expect {
                    from: Some(LINK_LOCAL),
                    port: CLIENT_PORT
                }
            );
        }
    }

    #[test]
    fn relays_forwarding_to_all_servers_expect_an_answer_from_anywhere() {
        assert_eq!(
            answer(
                MessageType::RelayForw,
                SERVER_PORT,
                ALL_SERVERS,
                SERVER_PORT
            ),
            Answer::Expect {
                from: None,
                port: SERVER_PORT
            }
        );
    }

    #[test]
    fn unicast_server_messages_and_wrong_ports_expect_nothing() {
        use MessageType::*;
        assert_eq!(
            answer(Request, CLIENT_PORT, SERVER, SERVER_PORT),
            Answer::Unicast
        );
        assert_eq!(
            answer(RelayForw, SERVER_PORT, SERVER, SERVER_PORT),
            Answer::Unicast
        );
        for kind in [Advertise, Reply, Reconfigure, RelayRepl] {
            assert_eq!(
                answer(kind, SERVER_PORT, ALL_AGENTS, SERVER_PORT),
                Answer::Nothing
            );
        }
        // A client message from the wrong port, or to the client port.
        assert_eq!(
            answer(Solicit, 5000, ALL_AGENTS, SERVER_PORT),
            Answer::Nothing
        );
        assert_eq!(
            answer(Solicit, CLIENT_PORT, ALL_AGENTS, CLIENT_PORT),
            Answer::Nothing
        );
        // Relay-forw from a client port.
        assert_eq!(
            answer(RelayForw, CLIENT_PORT, ALL_SERVERS, SERVER_PORT),
            Answer::Nothing
        );
    }
}
