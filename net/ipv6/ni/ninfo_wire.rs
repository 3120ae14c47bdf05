// SPDX-License-Identifier: GPL-2.0

//! IPv6 Node Information Queries (RFC 4620), the responder's side: the pure core of
//! `rv6_ninfo`.
//!
//! A Querier sends an NI Query (ICMPv6 type 139) to a node, or to the link-scope "NI Group
//! Address" of a name, for the node's name (Qtype 2), some of its IPv6 addresses (3) or IPv4
//! addresses (4), or only to learn that it is there (0, NOOP); the node answers with an NI
//! Reply (type 140).  Both messages are an ICMPv6 header, a Qtype, Flags, an 8-octet Nonce
//! and Data (§4).  [`parse_query`] reads a Query from its ICMPv6 header on, [`decide`] runs
//! §5's checks in §5's order against the local [`Policy`] (§8), [`build_reply`] writes the
//! Reply, and [`respond`] does the three.  The node is whatever implements [`NodeInfo`]: its
//! name and its addresses with their states, which the module reads from `utsname()` and
//! the inet6/inet devices and the tests from slices ([`Node`]).
//!
//! What the RFC leaves open, or says in a way that needs choosing, is decided so:
//!
//! - A name subject is DNS wire format, "either a fully-qualified domain name, including the
//!   terminating zero-length label, or a single DNS label followed by two zero-length
//!   labels.  Since a Query contains at most one name, DNS name compression MUST NOT be
//!   used" (§4).  Anything else (a pointer, another label type, a longer name ended by two
//!   zero-length labels, octets after the name, more than 255 octets) is [`Malformed`], as is
//!   an address subject that is not exactly 16 (Code 0) or 4 (Code 2) octets.
//! - A Code other than 0, 1 and 2 says nothing of what the Data holds, so the subject cannot
//!   be shown to be the node's, and "a Responder must also silently discard a Query whose
//!   Subject Address or Name (in the Data field) does not belong to that node" (§5).  NOOP is
//!   the exception: "On reception of a NOOP Query or Reply, the Code must be ignored" (§6.1),
//!   and so is its Data, which it "never has".
//! - §5's order: the queried address ("a link-local scope multicast address" at most), the
//!   subject, then "if Qtype is unknown to the Responder, it must return an NI Reply with
//!   ICMPv6 Code = 2", then local policy, then the answer.  Qtype 1 is "unused" in §6's
//!   table (it was the drafts' Supported Qtypes) and is unknown like any other.
//! - Refusing: "the Responder can elect to silently discard the query or send an NI Reply
//!   with ICMPv6 Code = 1" (§5); silence is the default ([`Policy::refuse_with_reply`]).
//!   "An implementation of this protocol MUST have a default configuration that refuses to
//!   answer queries from global-scope addresses" (§8): by default only loopback and
//!   link-local queriers, and the node itself from any of its addresses, are answered.
//! - Privacy addresses (§8): "The default action of this policy SHOULD NOT provide a
//!   response to a Query that contains a node's Privacy Addresses", taken to cover a
//!   temporary address as the subject or as the queried address.  Allowed by policy, a Node
//!   Addresses reply never mixes them with public ones (see [`build_reply`]).
//! - Node Name (§6.2): TTL zero, then the name, "fully-qualified if the responder knows the
//!   domain suffix; otherwise, ... a single DNS label followed by two zero-length labels"; a
//!   node whose name is unknown or cannot be encoded sends the TTL alone.  A single-label
//!   subject "matches any fully-qualified name whose first label matches" (§5); a
//!   fully-qualified subject matches only the node's own fully-qualified name, never a bare
//!   hostname whose domain the node does not know (KAME's `ni6_dnsmatch` matched those too).
//! - Node Addresses and IPv4 Addresses (§6.3, §6.4): TTLs zero ("The TTL associated with
//!   each address MUST be zero"), the T flag when an address does not fit, the reply as large
//!   as the caller's buffer ([`respond`] caps it at [`Policy::max_reply_len`], by default
//!   [`MIN_MTU_REPLY_LEN`] so that no Reply needs fragmenting).
//!
//! Left to the module: the queried address being one of the node's (the kernel delivers
//! only those and the groups it joined), rate limiting ("as it would ICMPv6 error replies",
//! §5), the random delay of a Reply to a multicast Query ([`MULTICAST_REPLY_DELAY_MAX_MS`]),
//! the Reply's source address (RFC 3484, and never a temporary address other than the one
//! the Reply is about, §8) and the checksum, which [`build_reply`] leaves zero.
//!
//! Pure `no_std` code, no allocation, no panics: work is bounded by the input's length and
//! the number of addresses the node has.

use core::cmp::min;

/// An IPv6 address as bytes.
pub type Addr = [u8; 16];
/// An IPv4 address as bytes.
pub type Ipv4Addr = [u8; 4];

/// ICMPv6 type of an NI Query (§4).
pub const ICMPV6_NI_QUERY: u8 = 139;
/// ICMPv6 type of an NI Reply (§4).
pub const ICMPV6_NI_REPLY: u8 = 140;

/// Octets before the Data field: Type, Code, Checksum, Qtype, Flags, Nonce.
pub const HEADER_LEN: usize = 16;
/// The largest Reply that needs no fragmenting on any path: the IPv6 minimum MTU (RFC 8200
/// §5) less the IPv6 header.
pub const MIN_MTU_REPLY_LEN: usize = 1280 - 40;
/// Upper bound of the random delay before replying to a multicast Query: "a random interval
/// between zero and [Query Response Interval], as defined by Multicast Listener Discovery
/// Version 2" (§5), whose default is 10 seconds (RFC 3810 §9.3).
pub const MULTICAST_REPLY_DELAY_MAX_MS: u32 = 10_000;
/// Most octets of a DNS name in wire format, length octets and the final zero included (RFC
/// 1035 §3.1).
pub const MAX_NAME_LEN: usize = 255;
/// Most octets of one label (RFC 1035 §3.1).
pub const MAX_LABEL_LEN: usize = 63;

/// Offsets of the header's fields.
mod field {
    use core::ops::Range;
    pub(crate) const TYPE: usize = 0;
    pub(crate) const CODE: usize = 1;
    pub(crate) const QTYPE: Range<usize> = 4..6;
    pub(crate) const FLAGS: Range<usize> = 6..8;
    pub(crate) const NONCE: Range<usize> = 8..16;
}

/// Query Codes: what the Data of a Query holds (§4).
pub mod code {
    /// An IPv6 subject address.
    pub const SUBJECT_IPV6: u8 = 0;
    /// A subject name, or nothing (NOOP).
    pub const SUBJECT_NAME: u8 = 1;
    /// An IPv4 subject address.
    pub const SUBJECT_IPV4: u8 = 2;
}

/// Qtype values (§6).
pub mod qtype {
    /// NOOP (§6.1).
    pub const NOOP: u16 = 0;
    /// "unused" (§6): the drafts' Supported Qtypes.
    pub const UNUSED: u16 = 1;
    /// Node Name (§6.2).
    pub const NODE_NAME: u16 = 2;
    /// Node Addresses (§6.3).
    pub const NODE_ADDRESSES: u16 = 3;
    /// IPv4 Addresses (§6.4).
    pub const IPV4_ADDRESSES: u16 = 4;
}

/// Flag bits of Node Addresses (§6.3) and IPv4 Addresses (§6.4) messages.
pub mod flags {
    /// Global-scope addresses are requested.
    pub const G: u16 = 0x0020;
    /// Site-local addresses are requested (deprecated, kept "for backward compatibility").
    pub const S: u16 = 0x0010;
    /// Link-local addresses are requested.
    pub const L: u16 = 0x0008;
    /// IPv4-compatible and IPv4-mapped addresses are requested.
    pub const C: u16 = 0x0004;
    /// All the Responder's addresses, not only the subject's interface's.
    pub const A: u16 = 0x0002;
    /// In a Reply: "the set of addresses is incomplete for space reasons".
    pub const T: u16 = 0x0001;
}

/// The Qtype of a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Qtype {
    /// 0: is the node there?
    Noop,
    /// 2: its name.
    NodeName,
    /// 3: its IPv6 addresses.
    NodeAddresses,
    /// 4: its IPv4 addresses.
    Ipv4Addresses,
    /// Any other value, 1 included: answered with Code 2.
    Unknown(u16),
}

impl Qtype {
    /// The Qtype of a Qtype field.
    pub const fn from_u16(v: u16) -> Self {
        match v {
            qtype::NOOP => Qtype::Noop,
            qtype::NODE_NAME => Qtype::NodeName,
            qtype::NODE_ADDRESSES => Qtype::NodeAddresses,
            qtype::IPV4_ADDRESSES => Qtype::Ipv4Addresses,
            v => Qtype::Unknown(v),
        }
    }

    /// Its Qtype field.
    pub const fn to_u16(self) -> u16 {
        match self {
            Qtype::Noop => qtype::NOOP,
            Qtype::NodeName => qtype::NODE_NAME,
            Qtype::NodeAddresses => qtype::NODE_ADDRESSES,
            Qtype::Ipv4Addresses => qtype::IPV4_ADDRESSES,
            Qtype::Unknown(v) => v,
        }
    }

    /// The Query flags a Reply copies: "Flags G, S, L, C, and A" for Node Addresses, "Flag
    /// A" for IPv4 Addresses, none otherwise ("must not be copied from a Query to a Reply
    /// unless so specified in the definition of the Qtype", §4).
    pub const fn copied_flags(self) -> u16 {
        match self {
            Qtype::NodeAddresses => flags::G | flags::S | flags::L | flags::C | flags::A,
            Qtype::Ipv4Addresses => flags::A,
            _ => 0,
        }
    }
}

/// Reply Codes (§4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplyCode {
    /// 0: the answer (Reply Data "may or may not be empty").
    Success = 0,
    /// 1: "the Responder refuses to supply the answer".
    Refused = 1,
    /// 2: "the Qtype of the Query is unknown to the Responder".
    UnknownQtype = 2,
}

/// Why a DNS name is not one §4 allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameError {
    /// It ends inside a label, or before its terminating zero-length label.
    Truncated,
    /// It has no label (the root, or empty text).
    Empty,
    /// Text with an empty label (`a..b`, `.a`).
    EmptyLabel,
    /// Text with a label of more than 63 octets.
    LabelTooLong,
    /// A compression pointer where none may be (§4: "MUST NOT be used").
    Compressed,
    /// A label type other than a plain label (length octet 64 to 191).
    LabelType,
    /// More than 255 octets.
    TooLong,
    /// Octets after the name, or a name of several labels followed by two zero-length ones.
    TrailingData,
}

/// Why a message is not a well-formed NI Query or Reply.  Each is dropped silently.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Malformed {
    /// Shorter than [`HEADER_LEN`].
    TooShort,
    /// Not ICMPv6 type 139 ([`parse_query`]) or 140 ([`parse_reply`]).
    WrongType,
    /// A Code the RFC does not define (a NOOP Query's is ignored).
    UnknownCode,
    /// An address subject of the wrong length for its Code.
    SubjectLength,
    /// A Node Name, Node Addresses or IPv4 Addresses Query without a subject.
    MissingSubject,
    /// A name that is not DNS wire format as §4 (Query) or §6.2 (Reply) wants it.
    Name(NameError),
    /// Reply Data whose length does not fit its Qtype and Code.
    DataLength,
}

/// The output buffer is too small.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NoRoom;

/// Copies `bytes` into `out` at `at` and returns the offset after them.
fn put(out: &mut [u8], at: usize, bytes: &[u8]) -> Result<usize, NoRoom> {
    let end = at.checked_add(bytes.len()).ok_or(NoRoom)?;
    out.get_mut(at..end).ok_or(NoRoom)?.copy_from_slice(bytes);
    Ok(end)
}

fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([
        b.get(at).copied().unwrap_or(0),
        b.get(at + 1).copied().unwrap_or(0),
    ])
}

/// The labels of a name, each without its length octet, following compression pointers
/// only backwards (so that every walk ends).
#[derive(Clone, Debug)]
pub struct Labels<'a> {
    msg: &'a [u8],
    at: usize,
}

impl<'a> Iterator for Labels<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        loop {
            let len = *self.msg.get(self.at)?;
            match len {
                0 => return None,
                1..=63 => {
                    let start = self.at + 1;
                    let label = self.msg.get(start..start + usize::from(len))?;
                    self.at = start + usize::from(len);
                    return Some(label);
                }
                0xc0..=0xff => {
                    let low = *self.msg.get(self.at + 1)?;
                    let target = usize::from(u16::from_be_bytes([len & 0x3f, low]));
                    if target >= self.at {
                        return None;
                    }
                    self.at = target;
                }
                _ => return None,
            }
        }
    }
}

/// Whether two label sequences are the same name, ASCII case aside (the DNSSEC canonical
/// form §5 names, RFC 4034 §6.2).
fn same_labels(a: Labels<'_>, mut b: Labels<'_>) -> bool {
    for x in a {
        match b.next() {
            Some(y) if x.eq_ignore_ascii_case(y) => {}
            _ => return false,
        }
    }
    b.next().is_none()
}

/// A DNS name as §4 allows it in a Query and [`build_reply`] writes it: uncompressed, at most
/// 255 octets, fully qualified or a single label.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Name<'a> {
    /// The labels with their length octets, without the terminating zero-length label(s).
    labels: &'a [u8],
    fully_qualified: bool,
}

impl<'a> Name<'a> {
    /// Parses `wire`, which must be exactly one name: labels then one zero-length label
    /// (fully qualified), or one label then two (single label).
    pub fn parse(wire: &'a [u8]) -> Result<Self, NameError> {
        let mut at = 0;
        let mut labels = 0;
        loop {
            let len = *wire.get(at).ok_or(NameError::Truncated)?;
            match len {
                0 => break,
                1..=63 => {
                    at += 1 + usize::from(len);
                    labels += 1;
                    if at >= MAX_NAME_LEN {
                        return Err(NameError::TooLong);
                    }
                }
                0xc0..=0xff => return Err(NameError::Compressed),
                _ => return Err(NameError::LabelType),
            }
        }
        if labels == 0 {
            return Err(NameError::Empty);
        }
        let labels_octets = wire.get(..at).unwrap_or(&[]);
        match wire.get(at + 1..) {
            Some([]) => Ok(Name {
                labels: labels_octets,
                fully_qualified: true,
            }),
            Some([0]) if labels == 1 => Ok(Name {
                labels: labels_octets,
                fully_qualified: false,
            }),
            _ => Err(NameError::TrailingData),
        }
    }

    /// Whether the name is fully qualified (else it is a single label whose domain is not
    /// given).
    pub fn fully_qualified(&self) -> bool {
        self.fully_qualified
    }

    /// Its labels.
    pub fn labels(&self) -> Labels<'a> {
        Labels {
            msg: self.labels,
            at: 0,
        }
    }

    /// Its first label: the hostname.
    pub fn first_label(&self) -> &'a [u8] {
        self.labels().next().unwrap_or(&[])
    }

    /// Octets [`Name::emit`] writes.
    pub fn wire_len(&self) -> usize {
        self.labels.len() + if self.fully_qualified { 1 } else { 2 }
    }

    /// Writes the name in wire format at `at` in `out`; returns the offset after it.
    pub fn emit(&self, out: &mut [u8], at: usize) -> Result<usize, NoRoom> {
        let at = put(out, at, self.labels)?;
        put(out, at, if self.fully_qualified { &[0] } else { &[0, 0] })
    }

    /// Whether this name, a Query's subject, names the node called `node`: "A single-
    /// component Subject Name matches any fully-qualified name whose first label matches the
    /// Subject.  All name matching is done in a case-independent manner" (§5).  A fully
    /// qualified subject matches only a fully qualified `node` equal to it.
    pub fn matches(&self, node: &Name<'_>) -> bool {
        if self.fully_qualified {
            node.fully_qualified && same_labels(self.labels(), node.labels())
        } else {
            self.first_label().eq_ignore_ascii_case(node.first_label())
        }
    }
}

/// A node's name in wire format, made from its hostname and domain as text.
#[derive(Clone, Debug)]
pub struct NodeName {
    buf: [u8; MAX_NAME_LEN],
    len: usize,
    fully_qualified: bool,
}

impl NodeName {
    /// The name of a node whose hostname is `hostname` (`host` or `host.example.com`) and
    /// whose DNS domain is `domain`.  A hostname with a dot (more than one label, or a
    /// trailing dot) is fully qualified already; a single label is completed with `domain`
    /// when there is one, and stays a single label otherwise (§6.2: "Each name MUST be
    /// fully-qualified if the responder knows the domain suffix").
    pub fn new(hostname: &[u8], domain: Option<&[u8]>) -> Result<Self, NameError> {
        let mut n = NodeName {
            buf: [0; MAX_NAME_LEN],
            len: 0,
            fully_qualified: false,
        };
        n.fully_qualified = n.push_text(hostname)?;
        if let Some(domain) = domain.filter(|d| !n.fully_qualified && !d.is_empty() && *d != b".") {
            n.push_text(domain)?;
            n.fully_qualified = true;
        }
        Ok(n)
    }

    /// Appends the labels of `text`; returns whether it had a dot (more than one label, or
    /// a trailing one).
    fn push_text(&mut self, text: &[u8]) -> Result<bool, NameError> {
        let (text, trailing_dot) = match text.split_last() {
            Some((b'.', rest)) => (rest, true),
            _ => (text, false),
        };
        if text.is_empty() {
            return Err(NameError::Empty);
        }
        let mut labels = 0;
        for label in text.split(|&b| b == b'.') {
            if label.is_empty() {
                return Err(NameError::EmptyLabel);
            }
            let len = u8::try_from(label.len())
                .ok()
                .filter(|&l| usize::from(l) <= MAX_LABEL_LEN)
                .ok_or(NameError::LabelTooLong)?;
            // One octet stays free for the terminating zero-length label.
            let at = put(&mut self.buf[..MAX_NAME_LEN - 1], self.len, &[len])
                .map_err(|_| NameError::TooLong)?;
            self.len = put(&mut self.buf[..MAX_NAME_LEN - 1], at, label)
                .map_err(|_| NameError::TooLong)?;
            labels += 1;
        }
        Ok(trailing_dot || labels > 1)
    }

    /// The name.
    pub fn name(&self) -> Name<'_> {
        Name {
            labels: self.buf.get(..self.len).unwrap_or(&[]),
            fully_qualified: self.fully_qualified,
        }
    }
}

/// The input to MD5 for the NI Group Address of a name whose first label is `label`: "the
/// first label of the Subject Name--the portion beginning with the first one-octet length
/// field and up to, but excluding, any subsequent length field", in the canonical form,
/// "with all alphabetic characters in lowercase" (§5).  `None` if `label` is empty or longer
/// than 63 octets.
pub fn ni_group_hash_input<'b>(label: &[u8], buf: &'b mut [u8; 64]) -> Option<&'b [u8]> {
    let len = u8::try_from(label.len())
        .ok()
        .filter(|&l| l != 0 && l <= 63)?;
    let out = buf.get_mut(..=label.len())?;
    let (first, rest) = out.split_first_mut()?;
    *first = len;
    for (o, &c) in rest.iter_mut().zip(label) {
        *o = c.to_ascii_lowercase();
    }
    Some(out)
}

/// The NI Group Address for a name whose [`ni_group_hash_input`] has the MD5 digest
/// `digest`: "Append the first 24 bits of that 128-bit hash to the prefix
/// FF02:0:0:0:0:2:FF00::/104" (§5), `ff02::2:ffXX:XXXX`.
pub fn ni_group_address(digest: &[u8; 16]) -> Addr {
    let mut a = [0u8; 16];
    a[0] = 0xff;
    a[1] = 0x02;
    a[11] = 0x02;
    a[12] = 0xff;
    a[13] = digest[0];
    a[14] = digest[1];
    a[15] = digest[2];
    a
}

/// The NI Group Address of the drafts before RFC 4620 (draft-ietf-ipngwg-icmp-name-lookups),
/// the first 32 bits of the same digest after `ff02::2:0:0/96`, `ff02::2:XXXX:XXXX`, which
/// KAME-derived stacks still join and query (FreeBSD's `icmp6_nodeinfo_oldmcprefix`).
pub fn ni_group_address_draft(digest: &[u8; 16]) -> Addr {
    let mut a = ni_group_address(digest);
    a[12] = digest[0];
    a[13] = digest[1];
    a[14] = digest[2];
    a[15] = digest[3];
    a
}

/// Whether `a` is in `ff02::2:0:0/96`, which holds every NI Group Address, RFC 4620's
/// `ff02::2:ff00:0/104` and the drafts'.
pub fn is_ni_group(a: &Addr) -> bool {
    a[..12] == [0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02]
}

/// The scope of a unicast address (RFC 4291 §2.5), narrowest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    /// `::1`, or one of the node's own addresses when it queries itself.
    Loopback,
    /// `fe80::/10`.
    LinkLocal,
    /// `fec0::/10`, deprecated by RFC 3879.
    SiteLocal,
    /// Anything else that is unicast: global, unique local (RFC 4193 §3.3 gives those
    /// global scope), IPv4-compatible and IPv4-mapped.
    Global,
}

/// The scope of unicast address `a`; `None` for the unspecified address and multicast.
pub fn unicast_scope(a: &Addr) -> Option<Scope> {
    if a[0] == 0xff || *a == [0; 16] {
        return None;
    }
    let mut loopback = [0u8; 16];
    loopback[15] = 1;
    Some(match (a[0], a[1] & 0xc0) {
        _ if *a == loopback => Scope::Loopback,
        (0xfe, 0x80) => Scope::LinkLocal,
        (0xfe, 0xc0) => Scope::SiteLocal,
        _ => Scope::Global,
    })
}

/// Whether `a` is an IPv4-compatible (`::a.b.c.d`, not `::` or `::1`) or IPv4-mapped
/// (`::ffff:a.b.c.d`) address, the ones flag C asks for (§6.3).
pub fn is_ipv4_embedded(a: &Addr) -> bool {
    let compatible = a[..12] == [0; 12] && unicast_scope(a) == Some(Scope::Global);
    let mapped = a[..10] == [0; 10] && a[10..12] == [0xff, 0xff];
    compatible || mapped
}

/// Whether IPv4 address `a` is a unicast address worth announcing: not `0.0.0.0/8`, the
/// loopback `127.0.0.0/8`, multicast `224.0.0.0/4` nor `240.0.0.0/4` (broadcast included).
pub fn ipv4_is_unicast(a: &Ipv4Addr) -> bool {
    !matches!(a[0], 0 | 127 | 224..=255)
}

fn ipv4_mapped(a: &Ipv4Addr) -> Addr {
    let mut m = [0u8; 16];
    m[10] = 0xff;
    m[11] = 0xff;
    m[12..].copy_from_slice(a);
    m
}

/// One of the node's IPv6 addresses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ipv6Address {
    /// The address.
    pub addr: Addr,
    /// The interface it is on.
    pub ifindex: u32,
    /// Still being checked by DAD (or DAD failed): not yet the node's (RFC 4862 §5.4), so
    /// never a subject that matches nor an address announced.
    pub tentative: bool,
    /// Deprecated (preferred lifetime over): listed after the preferred ones (§6.3).
    pub deprecated: bool,
    /// A temporary ("privacy", RFC 8981) address, kept apart as §8 wants.
    pub temporary: bool,
    /// An anycast address: a subject that matches and a queried address that is answered,
    /// but not among the "unicast addresses" a Node Addresses Reply lists.
    pub anycast: bool,
}

/// One of the node's IPv4 addresses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ipv4Address {
    /// The address.
    pub addr: Ipv4Addr,
    /// The interface it is on; an IPv4 and an IPv6 address are on "the same interface"
    /// (§6.4.1) when their `ifindex` is the same, as Linux's net devices carry both.
    pub ifindex: u32,
}

/// The node a Query asks about.  The callbacks may not call back into the core.
pub trait NodeInfo {
    /// The hostname (`host` or `host.example.com`), empty if unknown.
    fn hostname(&self) -> &[u8];
    /// The DNS domain, if known.
    fn domain(&self) -> Option<&[u8]>;
    /// Calls `f` with each IPv6 address of the node, in the order to list them.
    fn for_each_ipv6(&self, f: &mut dyn FnMut(&Ipv6Address));
    /// Calls `f` with each IPv4 address of the node, in the order to list them.
    fn for_each_ipv4(&self, f: &mut dyn FnMut(&Ipv4Address));
}

/// A [`NodeInfo`] made of slices.
#[derive(Clone, Copy, Debug, Default)]
pub struct Node<'a> {
    /// See [`NodeInfo::hostname`].
    pub hostname: &'a [u8],
    /// See [`NodeInfo::domain`].
    pub domain: Option<&'a [u8]>,
    /// Its IPv6 addresses.
    pub ipv6: &'a [Ipv6Address],
    /// Its IPv4 addresses.
    pub ipv4: &'a [Ipv4Address],
}

impl NodeInfo for Node<'_> {
    fn hostname(&self) -> &[u8] {
        self.hostname
    }

    fn domain(&self) -> Option<&[u8]> {
        self.domain
    }

    fn for_each_ipv6(&self, f: &mut dyn FnMut(&Ipv6Address)) {
        self.ipv6.iter().for_each(f)
    }

    fn for_each_ipv4(&self, f: &mut dyn FnMut(&Ipv4Address)) {
        self.ipv4.iter().for_each(f)
    }
}

/// The subject of a Query (§4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Subject<'a> {
    /// None: a NOOP, or an unknown Qtype with an empty name (Code 1).
    None,
    /// Code 0.
    Ipv6(Addr),
    /// Code 1.
    Name(Name<'a>),
    /// Code 2.
    Ipv4(Ipv4Addr),
}

/// A parsed NI Query.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Query<'a> {
    /// What is asked.
    pub qtype: Qtype,
    /// The Flags field as received (undefined bits included; they are "ignored on
    /// reception").
    pub flags: u16,
    /// Echoed in the Reply.
    pub nonce: [u8; 8],
    /// About what.
    pub subject: Subject<'a>,
}

/// Parses an NI Query, `icmp` starting at its ICMPv6 header and ending with its Data.  The
/// checksum is the kernel's to check.
pub fn parse_query(icmp: &[u8]) -> Result<Query<'_>, Malformed> {
    let (head, data) = header(icmp, ICMPV6_NI_QUERY)?;
    let code = head.get(field::CODE).copied().unwrap_or(0);
    let qtype = Qtype::from_u16(be16(head, field::QTYPE.start));
    let subject = match (qtype, code) {
        (Qtype::Noop, _) => Subject::None,
        (_, code::SUBJECT_IPV6) => {
            Subject::Ipv6(data.try_into().map_err(|_| Malformed::SubjectLength)?)
        }
        (_, code::SUBJECT_IPV4) => {
            Subject::Ipv4(data.try_into().map_err(|_| Malformed::SubjectLength)?)
        }
        (Qtype::Unknown(_), code::SUBJECT_NAME) if data.is_empty() => Subject::None,
        (_, code::SUBJECT_NAME) if data.is_empty() => return Err(Malformed::MissingSubject),
        (_, code::SUBJECT_NAME) => Subject::Name(Name::parse(data).map_err(Malformed::Name)?),
        _ => return Err(Malformed::UnknownCode),
    };
    Ok(Query {
        qtype,
        flags: be16(head, field::FLAGS.start),
        nonce: nonce(head),
        subject,
    })
}

/// The header of a message of ICMPv6 type `kind`, and its Data.
fn header(icmp: &[u8], kind: u8) -> Result<(&[u8], &[u8]), Malformed> {
    if icmp.len() < HEADER_LEN {
        return Err(Malformed::TooShort);
    }
    let (head, data) = icmp.split_at(HEADER_LEN);
    if head.get(field::TYPE) != Some(&kind) {
        return Err(Malformed::WrongType);
    }
    Ok((head, data))
}

fn nonce(head: &[u8]) -> [u8; 8] {
    head.get(field::NONCE)
        .and_then(|n| n.try_into().ok())
        .unwrap_or([0; 8])
}

/// Writes the ICMPv6 header of an NI message (checksum zero) into `out`.
fn emit_header(
    out: &mut [u8],
    kind: u8,
    code: u8,
    qtype: Qtype,
    flags: u16,
    nonce: &[u8; 8],
) -> Result<usize, NoRoom> {
    let at = put(out, 0, &[kind, code, 0, 0])?;
    let at = put(out, at, &qtype.to_u16().to_be_bytes())?;
    let at = put(out, at, &flags.to_be_bytes())?;
    put(out, at, nonce)
}

impl Query<'_> {
    /// The Code that says what the Data holds; NOOP's is 1 (§6.1: "the ICMPv6 Code in a NOOP
    /// Query must be set to 1").
    pub fn code(&self) -> u8 {
        match (self.qtype, self.subject) {
            (Qtype::Noop, _) | (_, Subject::None | Subject::Name(_)) => code::SUBJECT_NAME,
            (_, Subject::Ipv6(_)) => code::SUBJECT_IPV6,
            (_, Subject::Ipv4(_)) => code::SUBJECT_IPV4,
        }
    }

    /// Octets [`Query::emit`] writes.
    pub fn buffer_len(&self) -> usize {
        HEADER_LEN
            + match (self.qtype, self.subject) {
                (Qtype::Noop, _) | (_, Subject::None) => 0,
                (_, Subject::Ipv6(_)) => 16,
                (_, Subject::Ipv4(_)) => 4,
                (_, Subject::Name(n)) => n.wire_len(),
            }
    }

    /// Writes the Query (checksum zero) into `out`; returns its length.  A NOOP's subject is
    /// not written: it "never has a Data field" (§6.1).
    pub fn emit(&self, out: &mut [u8]) -> Result<usize, NoRoom> {
        let at = emit_header(
            out,
            ICMPV6_NI_QUERY,
            self.code(),
            self.qtype,
            self.flags,
            &self.nonce,
        )?;
        match (self.qtype, self.subject) {
            (Qtype::Noop, _) | (_, Subject::None) => Ok(at),
            (_, Subject::Ipv6(a)) => put(out, at, &a),
            (_, Subject::Ipv4(a)) => put(out, at, &a),
            (_, Subject::Name(n)) => n.emit(out, at),
        }
    }
}

/// Where a Query came from and went to (the IPv6 header's addresses).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Context {
    /// The Querier: the Query's source address.
    pub querier: Addr,
    /// The Queried Address: its destination address.
    pub queried: Addr,
}

impl Context {
    /// Whether the Reply must wait a random time up to [`MULTICAST_REPLY_DELAY_MAX_MS`]
    /// (§5: "If the Query was sent to a multicast address").
    pub fn multicast(&self) -> bool {
        self.queried[0] == 0xff
    }
}

/// What the node answers, and whom (§5, §8).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    /// The widest scope of querier answered: by default [`Scope::LinkLocal`] (loopback and
    /// link-local).  The node's own addresses count as loopback.
    pub querier_scope: Scope,
    /// Refusals send a Reply with Code 1 (else, the default, the Query is dropped).
    pub refuse_with_reply: bool,
    /// NOOP is answered.
    pub noop: bool,
    /// Node Name is answered.
    pub node_name: bool,
    /// Node Addresses is answered.
    pub node_addresses: bool,
    /// IPv4 Addresses is answered.
    pub ipv4_addresses: bool,
    /// Queries about or to a temporary address are answered (§8: off by default).
    pub privacy_addresses: bool,
    /// Only link-scope multicast Queries to an NI Group Address are answered (§5: "A node
    /// MAY be configured to discard NI Queries to multicast addresses other than its NI
    /// Group Address(es), but if so, the default configuration SHOULD be not to discard
    /// them").
    pub ni_group_only: bool,
    /// The largest Reply [`respond`] writes, ICMPv6 header included.
    pub max_reply_len: u16,
}

impl Policy {
    /// The default: §8's.
    pub const DEFAULT: Policy = Policy {
        querier_scope: Scope::LinkLocal,
        refuse_with_reply: false,
        noop: true,
        node_name: true,
        node_addresses: true,
        ipv4_addresses: true,
        privacy_addresses: false,
        ni_group_only: false,
        max_reply_len: MIN_MTU_REPLY_LEN as u16,
    };

    /// Whether `qtype` (a known one) is answered.
    pub fn answers(&self, qtype: Qtype) -> bool {
        match qtype {
            Qtype::Noop => self.noop,
            Qtype::NodeName => self.node_name,
            Qtype::NodeAddresses => self.node_addresses,
            Qtype::Ipv4Addresses => self.ipv4_addresses,
            Qtype::Unknown(_) => false,
        }
    }
}

impl Default for Policy {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Why a Query is refused (§5: "based on local policy").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    /// The querier's scope is wider than [`Policy::querier_scope`].
    QuerierScope,
    /// The Qtype is turned off.
    Qtype,
    /// The subject or queried address is a temporary address.
    PrivacyAddress,
}

/// Why a Query is dropped without a Reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ignored {
    /// From the unspecified address or a multicast one: nobody to answer.
    QuerierInvalid,
    /// To a multicast address that is not of link-local scope (§5).
    QueriedScope,
    /// To a multicast address that is no NI Group Address, with [`Policy::ni_group_only`].
    NotNiGroup,
    /// The subject is not the node's (§5: "silently discard").
    SubjectNotOurs,
    /// Refused, silently ([`Policy::refuse_with_reply`] off).
    Refused(Refused),
}

/// What to do with a Query.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Reply with Code 0 and the answer.
    Answer,
    /// Reply with Code 2.
    UnknownQtype,
    /// Reply with Code 1.
    Refuse(Refused),
    /// Drop it.
    Ignore(Ignored),
}

impl Decision {
    /// The Reply Code to send, if any.
    pub fn reply_code(&self) -> Option<ReplyCode> {
        match self {
            Decision::Answer => Some(ReplyCode::Success),
            Decision::UnknownQtype => Some(ReplyCode::UnknownQtype),
            Decision::Refuse(_) => Some(ReplyCode::Refused),
            Decision::Ignore(_) => None,
        }
    }
}

/// What one walk over the node's IPv6 addresses learns about a Query's addresses.
#[derive(Clone, Copy, Debug, Default)]
struct Survey {
    /// The querier is one of the node's addresses.
    querier_ours: bool,
    /// The queried address, if it is one of the node's.
    queried: Option<Ipv6Address>,
    /// The IPv6 subject, if it is one of the node's.
    subject: Option<Ipv6Address>,
}

fn survey<N: NodeInfo + ?Sized>(query: &Query<'_>, ctx: &Context, node: &N) -> Survey {
    let mut s = Survey::default();
    let subject = match query.subject {
        Subject::Ipv6(a) => Some(a),
        _ => None,
    };
    node.for_each_ipv6(&mut |e| {
        if e.tentative {
            return;
        }
        s.querier_ours |= e.addr == ctx.querier;
        if e.addr == ctx.queried && s.queried.is_none() {
            s.queried = Some(*e);
        }
        if Some(e.addr) == subject && s.subject.is_none() {
            s.subject = Some(*e);
        }
    });
    s
}

fn ipv4_of<N: NodeInfo + ?Sized>(node: &N, a: &Ipv4Addr) -> Option<Ipv4Address> {
    let mut found = None;
    node.for_each_ipv4(&mut |e| {
        if e.addr == *a && found.is_none() {
            found = Some(*e);
        }
    });
    found
}

fn subject_ours<N: NodeInfo + ?Sized>(query: &Query<'_>, node: &N, survey: &Survey) -> bool {
    match query.subject {
        Subject::None => true,
        Subject::Ipv6(_) => survey.subject.is_some(),
        Subject::Ipv4(a) => ipv4_of(node, &a).is_some(),
        Subject::Name(n) => NodeName::new(node.hostname(), node.domain())
            .map(|own| n.matches(&own.name()))
            .unwrap_or(false),
    }
}

/// Whether the Query's subject belongs to the node (§5): one of its IPv6 addresses (not a
/// tentative one) or IPv4 addresses, or its name as [`Name::matches`] says.  A Query without
/// subject (NOOP) is about the node.
pub fn subject_matches<N: NodeInfo + ?Sized>(query: &Query<'_>, node: &N) -> bool {
    let ctx = Context {
        querier: [0; 16],
        queried: [0; 16],
    };
    subject_ours(query, node, &survey(query, &ctx, node))
}

/// Decides what to do with `query`, in the order of §5: the queried address, the subject,
/// the Qtype, then `policy` (§8).
pub fn decide<N: NodeInfo + ?Sized>(
    query: &Query<'_>,
    ctx: &Context,
    node: &N,
    policy: &Policy,
) -> Decision {
    let Some(querier_scope) = unicast_scope(&ctx.querier) else {
        return Decision::Ignore(Ignored::QuerierInvalid);
    };
    if ctx.multicast() {
        if ctx.queried[1] & 0x0f != 2 {
            return Decision::Ignore(Ignored::QueriedScope);
        }
        if policy.ni_group_only && !is_ni_group(&ctx.queried) {
            return Decision::Ignore(Ignored::NotNiGroup);
        }
    }
    let survey = survey(query, ctx, node);
    if !subject_ours(query, node, &survey) {
        return Decision::Ignore(Ignored::SubjectNotOurs);
    }
    if let Qtype::Unknown(_) = query.qtype {
        return Decision::UnknownQtype;
    }
    let querier_scope = if survey.querier_ours {
        Scope::Loopback
    } else {
        querier_scope
    };
    let temporary = |e: Option<Ipv6Address>| e.is_some_and(|e| e.temporary);
    let refused = if querier_scope > policy.querier_scope {
        Some(Refused::QuerierScope)
    } else if !policy.answers(query.qtype) {
        Some(Refused::Qtype)
    } else if !policy.privacy_addresses && (temporary(survey.queried) || temporary(survey.subject))
    {
        Some(Refused::PrivacyAddress)
    } else {
        None
    };
    match refused {
        None => Decision::Answer,
        Some(r) if policy.refuse_with_reply => Decision::Refuse(r),
        Some(r) => Decision::Ignore(Ignored::Refused(r)),
    }
}

/// Which interface's addresses a Node Addresses or IPv4 Addresses Reply lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Interfaces {
    All,
    Only(u32),
    None,
}

/// §6.3, §6.4: with flag A, all; without, "only those addresses ... that belong to the
/// interface (or any one interface) that has the Subject Address or that are associated with
/// the Subject Name", and a node's name is associated with all of them.
fn interfaces<N: NodeInfo + ?Sized>(query: &Query<'_>, node: &N, survey: &Survey) -> Interfaces {
    if query.flags & flags::A != 0 {
        return Interfaces::All;
    }
    let found = match query.subject {
        Subject::Ipv6(_) => survey.subject.map(|e| e.ifindex),
        Subject::Ipv4(a) => ipv4_of(node, &a).map(|e| e.ifindex),
        Subject::Name(_) | Subject::None => return Interfaces::All,
    };
    found.map_or(Interfaces::None, Interfaces::Only)
}

impl Interfaces {
    fn has(self, ifindex: u32) -> bool {
        match self {
            Interfaces::All => true,
            Interfaces::Only(i) => i == ifindex,
            Interfaces::None => false,
        }
    }
}

/// Appends TTL-and-address entries to a Reply's Data, setting T once one does not fit.
struct Entries<'o> {
    out: &'o mut [u8],
    at: usize,
    truncated: bool,
}

impl Entries<'_> {
    fn push(&mut self, addr: &[u8]) {
        if self.truncated {
            return;
        }
        // The TTL: "The TTL associated with each address MUST be zero" (§6.3, §6.4).
        match put(self.out, self.at, &[0; 4]).and_then(|at| put(self.out, at, addr)) {
            Ok(at) => self.at = at,
            Err(NoRoom) => self.truncated = true,
        }
    }
}

/// Which temporary address, if any, a Node Addresses Reply may hold (§8).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Privacy {
    /// Public addresses only.
    Public,
    /// This temporary address only.
    Only(Addr),
    /// Nothing at all.
    Nothing,
}

/// §8: "A node MUST NOT include Privacy Addresses in any Node Addresses response that
/// includes a public address, or for which the source address of the response, the
/// destination address of the request, or the Subject Address of the request is a public
/// address.  Similarly, a node MUST NOT include any address other than the (single) Privacy
/// Address in any Node Addresses response that includes the Privacy Address, or for which
/// [those addresses are] the Privacy Address."  The Reply's source is the queried address
/// for a unicast Query, and the module picks a public one for a multicast Query.
fn privacy(survey: &Survey) -> Privacy {
    let mut temporary = None;
    let mut public = false;
    for e in [survey.queried, survey.subject].into_iter().flatten() {
        if !e.temporary {
            public = true;
        } else if temporary.is_some_and(|t| t != e.addr) {
            return Privacy::Nothing;
        } else {
            temporary = Some(e.addr);
        }
    }
    match temporary {
        None => Privacy::Public,
        Some(_) if public => Privacy::Nothing,
        Some(t) => Privacy::Only(t),
    }
}

/// Whether a Node Addresses Reply with flags `f` lists IPv6 address `a` by its kind (§6.3).
fn requested(f: u16, a: &Addr) -> bool {
    if is_ipv4_embedded(a) {
        return f & flags::C != 0;
    }
    match unicast_scope(a) {
        Some(Scope::LinkLocal) => f & flags::L != 0,
        Some(Scope::SiteLocal) => f & flags::S != 0,
        Some(Scope::Global) => f & flags::G != 0,
        // The loopback address "must not be assigned to any physical interface" (RFC 4291
        // §2.5.3): no address to give a querier.
        Some(Scope::Loopback) | None => false,
    }
}

fn node_addresses<N: NodeInfo + ?Sized>(
    query: &Query<'_>,
    node: &N,
    survey: &Survey,
    e: &mut Entries<'_>,
) {
    let f = query.flags;
    let on = interfaces(query, node, survey);
    let privacy = privacy(survey);
    if privacy == Privacy::Nothing {
        return;
    }
    let listed = |a: &Ipv6Address| {
        !a.tentative
            && !a.anycast
            && on.has(a.ifindex)
            && requested(f, &a.addr)
            && match privacy {
                Privacy::Only(t) => a.addr == t,
                _ => !a.temporary,
            }
    };
    // "with Preferred addresses listed before Deprecated addresses" (§6.3).
    node.for_each_ipv6(&mut |a| {
        if listed(a) && !a.deprecated {
            e.push(&a.addr)
        }
    });
    // C: "Responses SHOULD include IPv4 addresses in IPv4-mapped form", none of them
    // deprecated; in a Reply about a temporary address, nothing else.
    if f & flags::C != 0 && privacy == Privacy::Public {
        node.for_each_ipv4(&mut |a| {
            if ipv4_is_unicast(&a.addr) && on.has(a.ifindex) {
                e.push(&ipv4_mapped(&a.addr))
            }
        });
    }
    node.for_each_ipv6(&mut |a| {
        if listed(a) && a.deprecated {
            e.push(&a.addr)
        }
    });
}

fn ipv4_addresses<N: NodeInfo + ?Sized>(
    query: &Query<'_>,
    node: &N,
    survey: &Survey,
    e: &mut Entries<'_>,
) {
    let on = interfaces(query, node, survey);
    node.for_each_ipv4(&mut |a| {
        if ipv4_is_unicast(&a.addr) && on.has(a.ifindex) {
            e.push(&a.addr)
        }
    });
}

/// Writes the Reply with `code` to `query` into `out` (checksum zero, for the kernel to
/// fill); returns its length.  The Reply copies the Qtype and Nonce, and the flags
/// [`Qtype::copied_flags`] names; with Code 1 or 2 it has no Data, and with Code 0:
///
/// - NOOP: no Data (§6.1);
/// - Node Name: a zero TTL, then the node's name (§6.2), or nothing more if the name is not
///   known or not encodable: "If the Responder does not know its name at all, it MUST send a
///   Reply with TTL=0 and no Node Names";
/// - Node Addresses: a zero TTL and an address for each of the node's addresses that the
///   flags ask for (§6.3): by scope (G, S, L) or IPv4 embedding (C, plus the node's IPv4
///   addresses in IPv4-mapped form), of all interfaces (A) or the subject's; never tentative,
///   anycast or loopback addresses; temporary addresses only as §8 allows; preferred before
///   deprecated;
/// - IPv4 Addresses: the same for the node's IPv4 addresses (§6.4), the loopback, multicast
///   and broadcast ones left out;
///
/// with flag T set when an address did not fit in `out`.
pub fn build_reply<N: NodeInfo + ?Sized>(
    query: &Query<'_>,
    ctx: &Context,
    node: &N,
    code: ReplyCode,
    out: &mut [u8],
) -> Result<usize, NoRoom> {
    let copied = query.flags & query.qtype.copied_flags();
    let at = emit_header(
        out,
        ICMPV6_NI_REPLY,
        code as u8,
        query.qtype,
        copied,
        &query.nonce,
    )?;
    if code != ReplyCode::Success {
        return Ok(at);
    }
    if query.qtype == Qtype::NodeName {
        // "The Responder must fill in the TTL field of the Reply with zero" (§6.2).
        let at = put(out, at, &[0; 4])?;
        return match NodeName::new(node.hostname(), node.domain()) {
            Ok(own) => own.name().emit(out, at),
            Err(_) => Ok(at),
        };
    }
    let survey = survey(query, ctx, node);
    let mut entries = Entries {
        out,
        at,
        truncated: false,
    };
    match query.qtype {
        Qtype::NodeAddresses => node_addresses(query, node, &survey, &mut entries),
        Qtype::Ipv4Addresses => ipv4_addresses(query, node, &survey, &mut entries),
        _ => {}
    }
    if entries.truncated {
        put(
            entries.out,
            field::FLAGS.start,
            &(copied | flags::T).to_be_bytes(),
        )?;
    }
    Ok(entries.at)
}

/// What [`respond`] sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Replied {
    /// Octets of the Reply written.
    pub len: usize,
    /// Why ([`Decision::Answer`], [`Decision::UnknownQtype`] or [`Decision::Refuse`]).
    pub decision: Decision,
}

/// Why [`respond`] sent nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dropped {
    /// Not a well-formed Query.
    Malformed(Malformed),
    /// Dropped by §5 or the policy.
    Ignored(Ignored),
    /// `out` cannot hold the Reply's header or name.
    NoRoom,
}

/// Parses the Query `icmp`, decides, and writes the Reply into `out`, at most
/// [`Policy::max_reply_len`] octets of it.
pub fn respond<N: NodeInfo + ?Sized>(
    icmp: &[u8],
    ctx: &Context,
    node: &N,
    policy: &Policy,
    out: &mut [u8],
) -> Result<Replied, Dropped> {
    let query = parse_query(icmp).map_err(Dropped::Malformed)?;
    let decision = decide(&query, ctx, node, policy);
    let code = match decision {
        Decision::Answer => ReplyCode::Success,
        Decision::UnknownQtype => ReplyCode::UnknownQtype,
        Decision::Refuse(_) => ReplyCode::Refused,
        Decision::Ignore(why) => return Err(Dropped::Ignored(why)),
    };
    let limit = min(out.len(), usize::from(policy.max_reply_len));
    let out = out.get_mut(..limit).ok_or(Dropped::NoRoom)?;
    let len = build_reply(&query, ctx, node, code, out).map_err(|NoRoom| Dropped::NoRoom)?;
    Ok(Replied { len, decision })
}

/// A parsed NI Reply, its Data checked against its Qtype and Code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reply<'a> {
    /// Code 0, 1 or 2.
    pub code: u8,
    /// The Query's Qtype.
    pub qtype: Qtype,
    /// The Flags field.
    pub flags: u16,
    /// The Query's Nonce.
    pub nonce: [u8; 8],
    /// The Reply Data.
    pub data: &'a [u8],
}

/// Parses an NI Reply, `icmp` starting at its ICMPv6 header: Code 1 and 2 with no Data,
/// Code 0 with the Data its Qtype defines (Node Name: a TTL and names, compressed or not;
/// Node Addresses: 20-octet entries; IPv4 Addresses: 8-octet entries; NOOP: none).
pub fn parse_reply(icmp: &[u8]) -> Result<Reply<'_>, Malformed> {
    let (head, data) = header(icmp, ICMPV6_NI_REPLY)?;
    let reply = Reply {
        code: head.get(field::CODE).copied().unwrap_or(0),
        qtype: Qtype::from_u16(be16(head, field::QTYPE.start)),
        flags: be16(head, field::FLAGS.start),
        nonce: nonce(head),
        data,
    };
    let ok = match (reply.code, reply.qtype) {
        (1 | 2, _) | (0, Qtype::Noop) => data.is_empty(),
        (0, Qtype::NodeAddresses) => data.len() % 20 == 0,
        (0, Qtype::Ipv4Addresses) => data.len() % 8 == 0,
        (0, Qtype::NodeName) => {
            if data.len() < 4 {
                return Err(Malformed::DataLength);
            }
            let mut names = reply.names();
            for n in &mut names {
                n.map_err(Malformed::Name)?;
            }
            true
        }
        (0, Qtype::Unknown(_)) => true,
        _ => return Err(Malformed::UnknownCode),
    };
    if ok {
        Ok(reply)
    } else {
        Err(Malformed::DataLength)
    }
}

impl<'a> Reply<'a> {
    /// A Node Name Reply's TTL ("Any non-zero value received MUST be treated as zero",
    /// §6.2, which is the reader's to do).
    pub fn ttl(&self) -> Option<u32> {
        let t = self.data.get(..4)?;
        Some(u32::from_be_bytes(t.try_into().ok()?))
    }

    /// A Node Name Reply's names.
    pub fn names(&self) -> ReplyNames<'a> {
        ReplyNames {
            data: self.data,
            at: 4,
        }
    }

    /// A Node Addresses Reply's (TTL, address) entries.
    pub fn ipv6_addresses(&self) -> impl Iterator<Item = (u32, Addr)> + 'a {
        self.data.chunks_exact(20).filter_map(|c| {
            let (ttl, a) = c.split_at(4);
            Some((u32::from_be_bytes(ttl.try_into().ok()?), a.try_into().ok()?))
        })
    }

    /// An IPv4 Addresses Reply's (TTL, address) entries.
    pub fn ipv4_addresses(&self) -> impl Iterator<Item = (u32, Ipv4Addr)> + 'a {
        self.data.chunks_exact(8).filter_map(|c| {
            let (ttl, a) = c.split_at(4);
            Some((u32::from_be_bytes(ttl.try_into().ok()?), a.try_into().ok()?))
        })
    }
}

/// A name in a Node Name Reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReplyName<'a> {
    data: &'a [u8],
    at: usize,
    fully_qualified: bool,
}

impl<'a> ReplyName<'a> {
    /// Its labels, compression pointers followed (their offsets "counted from the first octet
    /// of the Data field", §6.2).
    pub fn labels(&self) -> Labels<'a> {
        Labels {
            msg: self.data,
            at: self.at,
        }
    }

    /// Whether it is fully qualified (else a single label followed by two zero-length ones).
    pub fn fully_qualified(&self) -> bool {
        self.fully_qualified
    }

    /// Whether it is `name`, ASCII case aside, fully qualified or not alike.
    pub fn is(&self, name: &Name<'_>) -> bool {
        self.fully_qualified == name.fully_qualified && same_labels(self.labels(), name.labels())
    }
}

/// The names of a Node Name Reply; an error ends them.
#[derive(Clone, Debug)]
pub struct ReplyNames<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> Iterator for ReplyNames<'a> {
    type Item = Result<ReplyName<'a>, NameError>;

    fn next(&mut self) -> Option<Self::Item> {
        let start = self.at;
        self.data.get(start)?;
        self.at = self.data.len();
        let mut at = start;
        let mut labels = 0;
        let mut expanded = 0;
        let end = loop {
            let Some(&len) = self.data.get(at) else {
                return Some(Err(NameError::Truncated));
            };
            match len {
                0 => break at + 1,
                1..=63 => {
                    labels += 1;
                    expanded += 1 + usize::from(len);
                    at += 1 + usize::from(len);
                }
                0xc0..=0xff => {
                    // A pointer ends the name where it stands; what it points to must be a
                    // name earlier in the Data, of at most 255 octets in all.
                    let name = ReplyName {
                        data: self.data,
                        at,
                        fully_qualified: true,
                    };
                    let (Some(_), Some(len)) = (self.data.get(at + 1), checked_len(name)) else {
                        return Some(Err(NameError::Compressed));
                    };
                    if expanded + len > MAX_NAME_LEN {
                        return Some(Err(NameError::TooLong));
                    }
                    self.at = at + 2;
                    return Some(Ok(ReplyName { at: start, ..name }));
                }
                _ => return Some(Err(NameError::LabelType)),
            }
            if expanded >= MAX_NAME_LEN {
                return Some(Err(NameError::TooLong));
            }
        };
        if labels == 0 {
            return Some(Err(NameError::Empty));
        }
        let single = labels == 1 && self.data.get(end) == Some(&0);
        self.at = end + usize::from(single);
        Some(Ok(ReplyName {
            data: self.data,
            at: start,
            fully_qualified: !single,
        }))
    }
}

/// The length in octets of `name` expanded (the final zero included), if every pointer in it
/// points backwards to labels that end with a zero-length one.
fn checked_len(name: ReplyName<'_>) -> Option<usize> {
    let mut pos = name.at;
    let mut len = 1;
    // Each hop goes strictly backwards: at most one per octet of the Data.
    for _ in 0..=name.data.len() {
        match *name.data.get(pos)? {
            0 => return Some(len),
            l @ 1..=63 => {
                len += 1 + usize::from(l);
                pos += 1 + usize::from(l);
            }
            hi @ 0xc0..=0xff => {
                let target = usize::from(u16::from_be_bytes([hi & 0x3f, *name.data.get(pos + 1)?]));
                if target >= pos {
                    return None;
                }
                pos = target;
            }
            _ => return None,
        }
        if len > MAX_NAME_LEN {
            return None;
        }
    }
    None
}
