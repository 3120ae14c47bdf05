//! What printing an XFRM or PF_KEY message looks up on the host, as
//! iproute2 does: protocol names (`getprotobynumber()`'s source,
//! /etc/protocols), interface names (`if_indextoname()`), the local time of
//! day; and addresses written as glibc's `inet_ntop()` writes them. Tests
//! use a [`Host`] with fixed answers.

use std::fs;
use std::net::Ipv4Addr;
use std::sync::OnceLock;

use chrono::{
    Local,
    TimeZone, //
};
use netlink_packet_xfrm::{
    Address,
    AF_INET,
    AF_INET6, //
};

/// The host's tables.
pub trait Host {
    /// The official name of IP protocol `number`, if the host knows it.
    fn protocol(&self, number: u8) -> Option<String>;
    /// The name of interface `index`, if there is one.
    fn interface(&self, index: u32) -> Option<String>;
    /// `secs` since the epoch as `YYYY-MM-DD HH:MM:SS` in the local zone.
    fn local_time(&self, secs: u64) -> String;
}

/// One line of /etc/protocols: the name, number and aliases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Protocol {
    pub name: String,
    pub number: u8,
    pub aliases: Vec<String>,
}

/// The lines of an /etc/protocols file, in order (the first of a number
/// is the one `getprotobynumber()` returns).
pub fn parse_protocols(text: &str) -> Vec<Protocol> {
    text.lines()
        .filter_map(|line| {
            let line = line.split('#').next().unwrap_or_default();
            let mut words = line.split_whitespace();
            let name = words.next()?.to_string();
            let number = words.next()?.parse().ok()?;
            Some(Protocol {
                name,
                number,
                aliases: words.map(str::to_string).collect(),
            })
        })
        .collect()
}

/// The names `rv6 xfrm` takes for a selector's protocol when the host has
/// no /etc/protocols (those the selector grammar gives ports or types).
const FALLBACK: &[(&str, u8)] = &[
    ("icmp", 1),
    ("tcp", 6),
    ("udp", 17),
    ("dccp", 33),
    ("gre", 47),
    ("ipv6-icmp", 58),
    ("sctp", 132),
    ("mobility-header", 135),
];

/// The protocol number named `name` (a name or alias of /etc/protocols, as
/// `getprotobyname()` finds it).
pub fn protocol_number(table: &[Protocol], name: &str) -> Option<u8> {
    if table.is_empty() {
        return FALLBACK.iter().find(|(n, _)| *n == name).map(|(_, p)| *p);
    }
    table
        .iter()
        .find(|p| p.name == name || p.aliases.iter().any(|a| a == name))
        .map(|p| p.number)
}

/// The host itself.
pub struct System {
    protocols: &'static [Protocol],
}

impl System {
    pub fn new() -> Self {
        System {
            protocols: system_protocols(),
        }
    }
}

/// /etc/protocols, or nothing: read the first time it is asked for, then
/// kept (a batch's lines name protocols without reading it again).
pub fn system_protocols() -> &'static [Protocol] {
    static PROTOCOLS: OnceLock<Vec<Protocol>> = OnceLock::new();
    PROTOCOLS.get_or_init(|| {
        fs::read_to_string("/etc/protocols")
            .map(|t| parse_protocols(&t))
            .unwrap_or_default()
    })
}

impl Host for System {
    fn protocol(&self, number: u8) -> Option<String> {
        self.protocols
            .iter()
            .find(|p| p.number == number)
            .map(|p| p.name.clone())
    }

    fn interface(&self, index: u32) -> Option<String> {
        nix::net::if_::if_indextoname(index)
            .ok()
            .map(|n| n.to_string_lossy().into_owned())
    }

    fn local_time(&self, secs: u64) -> String {
        match Local.timestamp_opt(secs as i64, 0).single() {
            Some(t) => t.format("%Y-%m-%d %H:%M:%S").to_string(),
            None => "invalid-time".to_string(),
        }
    }
}

/// An interface as iproute2's `ll_index_to_name()` writes it: `*` for 0,
/// `if<N>` for one the host does not have.
pub fn interface(host: &dyn Host, index: u32) -> String {
    if index == 0 {
        return "*".to_string();
    }
    host.interface(index)
        .unwrap_or_else(|| format!("if{index}"))
}

/// An XFRM address of `family` as iproute2's `rt_addr_n2a()` writes it,
/// `???` for a family that is neither IPv4 nor IPv6.
pub fn addr(family: u16, a: &Address) -> String {
    match family {
        AF_INET => a.to_ipv4().to_string(),
        AF_INET6 => ntop6(&a.addr),
        _ => "???".to_string(),
    }
}

/// An IPv6 address as glibc's `inet_ntop()` writes it: lower-case hex, the
/// longest run of two or more zero groups (the first of equals) as `::`,
/// and the last 32 bits dotted after 96 zero bits (not 112: `::1`) or
/// after `::ffff:`.
pub fn ntop6(octets: &[u8; 16]) -> String {
    let words: Vec<u16> = octets
        .chunks(2)
        .map(|w| u16::from_be_bytes([w[0], w[1]]))
        .collect();
    let (mut best, mut cur): ((usize, usize), Option<(usize, usize)>) = ((0, 0), None);
    for (i, &w) in words.iter().enumerate() {
        cur = match (w, cur) {
            (0, Some((base, len))) => Some((base, len + 1)),
            (0, None) => Some((i, 1)),
            _ => None,
        };
        if let Some(run) = cur {
            if run.1 > best.1 {
                best = run;
            }
        }
    }
    let run = (best.1 >= 2).then_some(best);
    let mut s = String::new();
    let mut i = 0;
    while i < 8 {
        if let Some((base, len)) = run {
            if i == base {
                s.push(':');
                i += len;
                continue;
            }
        }
        if i != 0 {
            s.push(':');
        }
        let embedded =
            matches!(run, Some((0, 6))) || matches!(run, Some((0, 5))) && words[5] == 0xffff;
        if i == 6 && embedded {
            s += &Ipv4Addr::new(octets[12], octets[13], octets[14], octets[15]).to_string();
            return s;
        }
        s += &format!("{:x}", words[i]);
        i += 1;
    }
    if matches!(run, Some((base, len)) if base + len == 8) {
        s.push(':');
    }
    s
}

/// A host with fixed tables, for tests: the first lines of Debian's
/// /etc/protocols that matter here, interfaces `lo` (1) and `eth0` (2),
/// times in UTC.
#[cfg(test)]
pub struct TestHost;

#[cfg(test)]
impl Host for TestHost {
    fn protocol(&self, number: u8) -> Option<String> {
        let names = [
            (0, "ip"),
            (1, "icmp"),
            (6, "tcp"),
            (17, "udp"),
            (47, "gre"),
            (50, "esp"),
            (51, "ah"),
            (58, "ipv6-icmp"),
            (108, "ipcomp"),
            (132, "sctp"),
            (135, "mobility-header"),
        ];
        names
            .iter()
            .find(|(n, _)| *n == number)
            .map(|(_, name)| name.to_string())
    }

    fn interface(&self, index: u32) -> Option<String> {
        match index {
            1 => Some("lo".to_string()),
            2 => Some("eth0".to_string()),
            _ => None,
        }
    }

    fn local_time(&self, secs: u64) -> String {
        match chrono::Utc.timestamp_opt(secs as i64, 0).single() {
            Some(t) => t.format("%Y-%m-%d %H:%M:%S").to_string(),
            None => "invalid-time".to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv6Addr;

    fn n(s: &str) -> String {
        ntop6(&s.parse::<Ipv6Addr>().unwrap().octets())
    }

    /// glibc's inet_ntop(AF_INET6) output for each.
    #[test]
    fn ipv6_addresses_print_as_glibc_prints_them() {
        assert_eq!(n("::"), "::");
        assert_eq!(n("::1"), "::1");
        assert_eq!(n("::2"), "::2");
        assert_eq!(n("2001:db8::1"), "2001:db8::1");
        assert_eq!(n("2001:db8:0:0:1:0:0:1"), "2001:db8::1:0:0:1");
        assert_eq!(n("2001:db8:0:1:0:0:0:1"), "2001:db8:0:1::1");
        assert_eq!(n("2001:db8:1:2:3:4:5:0"), "2001:db8:1:2:3:4:5:0");
        assert_eq!(n("2001:db8::"), "2001:db8::");
        assert_eq!(n("::ffff:192.0.2.1"), "::ffff:192.0.2.1");
        assert_eq!(n("::192.0.2.1"), "::192.0.2.1");
        assert_eq!(n("::c000:0"), "::192.0.0.0");
        assert_eq!(n("fe80::1:2"), "fe80::1:2");
        assert_eq!(n("1:0:0:2:0:0:0:3"), "1:0:0:2::3");
    }

    #[test]
    fn addresses_by_family() {
        let v4 = Address::from_ipv4(&"192.0.2.7".parse().unwrap());
        assert_eq!(addr(AF_INET, &v4), "192.0.2.7");
        assert_eq!(addr(0, &v4), "???");
        assert_eq!(addr(AF_INET6, &Address::default()), "::");
    }

    #[test]
    fn protocols_file_lines() {
        let t = parse_protocols(
            "# comment\nip\t0\tIP\t\t# internet protocol\nipv6-icmp 58 IPv6-ICMP\nbad x\n",
        );
        assert_eq!(t.len(), 2);
        assert_eq!(protocol_number(&t, "ipv6-icmp"), Some(58));
        assert_eq!(protocol_number(&t, "IPv6-ICMP"), Some(58));
        assert_eq!(protocol_number(&t, "tcp"), None);
        assert_eq!(protocol_number(&[], "tcp"), Some(6));
        assert_eq!(interface(&TestHost, 0), "*");
        assert_eq!(interface(&TestHost, 9), "if9");
        assert_eq!(TestHost.local_time(86400 + 61), "1970-01-02 00:01:01");
    }
}
