// SPDX-License-Identifier: GPL-2.0

//! FTP control-connection parsing for connection tracking: the commands and replies that name
//! a data connection (RFC 959 PORT / 227, RFC 2428 EPRT / EPSV 229), and reassembly of command
//! lines that TCP split across segments.
//!
//! Pure `no_std` code without allocation, shared by `rv6_ct_ftp` and the host tests/fuzzers.
//! Everything returns `None` (or an error) for malformed input; nothing here panics on any
//! input, which the host proptests check.
//!
//! What the helper does with a parsed endpoint (refusing addresses other than the control
//! connection's peer, v4-mapped addresses on IPv6, port 0) is policy and lives in
//! [`DataEndpoint::check`], so that the tests pin it too.

use core::net::{
    IpAddr,
    Ipv4Addr,
    Ipv6Addr, //
};

/// Longest control line the helper looks at, CRLF included: longer lines (10^4-byte attacks)
/// are skipped whole.  RFC 959 commands and replies are far shorter.
pub const MAX_LINE: usize = 512;

/// A data-connection endpoint named on the control connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DataEndpoint {
    /// The address, when the message names one (EPSV's 229 reply does not).
    pub addr: Option<IpAddr>,
    /// The TCP port, never 0.
    pub port: u16,
}

/// Why a parsed endpoint must not become an expectation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The address is not the control connection's peer (FTP bounce, RFC 2577).
    NotThePeer,
    /// An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) in EPRT: KAME's rule, a v4 endpoint
    /// must be named with net-prt 1.
    V4Mapped,
}

impl DataEndpoint {
    /// Checks the endpoint against the address the message came from.
    pub fn check(&self, peer: IpAddr) -> Result<(), Refusal> {
        match self.addr {
            None => Ok(()),
            Some(IpAddr::V6(a)) if a.to_ipv4_mapped().is_some() => Err(Refusal::V4Mapped),
            Some(a) if a == peer => Ok(()),
            Some(_) => Err(Refusal::NotThePeer),
        }
    }
}

/// Which message a control line carries, for the direction it travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Message {
    /// Client to server: `PORT h1,h2,h3,h4,p1,p2` (active, IPv4).
    Port,
    /// Client to server: `EPRT |proto|addr|port|` (active, both families).
    Eprt,
    /// Server to client: `227 ... (h1,h2,h3,h4,p1,p2)` (passive, IPv4).
    Pasv227,
    /// Server to client: `229 ... (|||port|)` (extended passive).
    Epsv229,
}

/// Parses a decimal number of at most `max`, with no sign and no leading `+`.
fn number(s: &[u8], max: u32) -> Option<u32> {
    if s.is_empty() || s.len() > 10 {
        return None;
    }
    let mut n: u32 = 0;
    for &c in s {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u32::from(c - b'0'))?;
    }
    (n <= max).then_some(n)
}

fn port(n: u32) -> Option<u16> {
    u16::try_from(n).ok().filter(|&p| p != 0)
}

/// `h1,h2,h3,h4,p1,p2` (RFC 959 host-port): the six numbers and nothing else.
pub fn parse_host_port(s: &[u8]) -> Option<DataEndpoint> {
    let mut f = [0u32; 6];
    let mut parts = s.split(|&c| c == b',');
    for slot in f.iter_mut() {
        *slot = number(parts.next()?, 255)?;
    }
    if parts.next().is_some() {
        return None;
    }
    let addr = Ipv4Addr::new(f[0] as u8, f[1] as u8, f[2] as u8, f[3] as u8);
    Some(DataEndpoint {
        addr: Some(IpAddr::V4(addr)),
        port: port(f[4] * 256 + f[5])?,
    })
}

/// `<d>proto<d>addr<d>port<d>` (RFC 2428 §2), `d` any printable ASCII but a digit or letter.
pub fn parse_eprt_args(s: &[u8]) -> Option<DataEndpoint> {
    let (&d, rest) = s.split_first()?;
    if !(33..=126).contains(&d) || d.is_ascii_alphanumeric() {
        return None;
    }
    let mut f = rest.split(|&c| c == d);
    let (proto, addr, p, end) = (f.next()?, f.next()?, f.next()?, f.next()?);
    if !end.is_empty() || f.next().is_some() {
        return None;
    }
    let text = core::str::from_utf8(addr).ok()?;
    let addr = match number(proto, 2)? {
        1 => IpAddr::V4(text.parse::<Ipv4Addr>().ok()?),
        2 => IpAddr::V6(text.parse::<Ipv6Addr>().ok()?),
        _ => return None,
    };
    Some(DataEndpoint {
        addr: Some(addr),
        port: port(number(p, 65535)?)?,
    })
}

/// `(<d><d><d>port<d>)` inside an EPSV 229 reply (RFC 2428 §3).
pub fn parse_epsv_reply(s: &[u8]) -> Option<DataEndpoint> {
    let open = s.iter().position(|&c| c == b'(')?;
    let inner = &s[open + 1..];
    let close = inner.iter().position(|&c| c == b')')?;
    let inner = &inner[..close];
    let (&d, rest) = inner.split_first()?;
    if !(33..=126).contains(&d) || d.is_ascii_alphanumeric() {
        return None;
    }
    let mut f = rest.split(|&c| c == d);
    let (a, b, p, end) = (f.next()?, f.next()?, f.next()?, f.next()?);
    if !a.is_empty() || !b.is_empty() || !end.is_empty() || f.next().is_some() {
        return None;
    }
    Some(DataEndpoint {
        addr: None,
        port: port(number(p, 65535)?)?,
    })
}

/// The host-port in a 227 reply: the first run of `digit,digit,...` after the code, with or
/// without parentheses (RFC 1123 §4.1.2.6 warns servers differ).
pub fn parse_pasv_reply(s: &[u8]) -> Option<DataEndpoint> {
    let start = s.iter().position(|c| c.is_ascii_digit())?;
    let rest = &s[start..];
    let end = rest
        .iter()
        .position(|&c| !(c.is_ascii_digit() || c == b','))
        .unwrap_or(rest.len());
    parse_host_port(&rest[..end])
}

/// Parses one control line (without its CRLF) of the given direction.
///
/// `from_client` lines are commands (`PORT`, `EPRT`, case-insensitive); the others replies
/// (`227`, `229`).  Anything else, or a malformed argument, is `None`.
pub fn parse_line(line: &[u8], from_client: bool) -> Option<(Message, DataEndpoint)> {
    if from_client {
        // `VERB args`, the verb up to the first space: both verbs of interest have four
        // letters, so the space is the fifth byte (looked at first: most commands are not
        // these, and the helper sees every one).
        if line.get(4) != Some(&b' ') {
            return None;
        }
        let (verb, args) = (&line[..4], &line[5..]);
        if verb.eq_ignore_ascii_case(b"PORT") {
            Some((Message::Port, parse_host_port(args)?))
        } else if verb.eq_ignore_ascii_case(b"EPRT") {
            Some((Message::Eprt, parse_eprt_args(args)?))
        } else {
            None
        }
    } else if let Some(rest) = line.strip_prefix(b"227 ") {
        Some((Message::Pasv227, parse_pasv_reply(rest)?))
    } else if let Some(rest) = line.strip_prefix(b"229 ") {
        Some((Message::Epsv229, parse_epsv_reply(rest)?))
    } else {
        None
    }
}

/// The index of the first LF in `data`, eight bytes at a time: the helper looks at every byte
/// of every control segment, and a byte loop was most of its cost per segment.
pub fn find_lf(data: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    const LFS: u64 = ONES * b'\n' as u64;
    let mut words = data.chunks_exact(8);
    let mut at = 0;
    for c in &mut words {
        // Zero bytes of `w` are the LFs of `c`.  The lowest byte flagged by the zero-byte test
        // is the first zero (a borrow only flags bytes above a zero), and the little-endian
        // load makes the lowest byte the first in memory.
        let w = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]) ^ LFS;
        let zeros = w.wrapping_sub(ONES) & !w & HIGHS;
        if zeros != 0 {
            return Some(at + (zeros.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    words
        .remainder()
        .iter()
        .position(|&c| c == b'\n')
        .map(|i| at + i)
}

/// Reassembles control lines from TCP segments, per direction: at most [`MAX_LINE`] bytes are
/// kept, a longer line is dropped whole (up to its CRLF), and nothing is ever allocated.
#[derive(Clone, Debug)]
pub struct LineBuffer {
    buf: [u8; MAX_LINE],
    len: usize,
    /// Inside a line that outgrew the buffer: skip up to the next LF.
    skipping: bool,
}

impl LineBuffer {
    /// An empty buffer.
    pub const fn new() -> Self {
        Self {
            buf: [0; MAX_LINE],
            len: 0,
            skipping: false,
        }
    }

    /// Feeds `data`, calling `line` for every complete line (CRLF or LF stripped) in order.
    pub fn feed(&mut self, mut data: &[u8], mut line: impl FnMut(&[u8])) {
        while !data.is_empty() {
            let lf = find_lf(data);
            let (chunk, rest, complete) = match lf {
                Some(i) => (&data[..i], &data[i + 1..], true),
                None => (data, &[][..], false),
            };
            // A whole line in one segment (the usual case): handed over in place.
            if complete && self.len == 0 && !self.skipping {
                if chunk.len() <= MAX_LINE {
                    line(chunk.strip_suffix(b"\r").unwrap_or(chunk));
                }
                data = rest;
                continue;
            }
            if !self.skipping {
                if self.len + chunk.len() > MAX_LINE {
                    self.skipping = true;
                    self.len = 0;
                } else {
                    self.buf[self.len..self.len + chunk.len()].copy_from_slice(chunk);
                    self.len += chunk.len();
                }
            }
            if complete {
                if !self.skipping {
                    let l = &self.buf[..self.len];
                    line(l.strip_suffix(b"\r").unwrap_or(l));
                }
                self.len = 0;
                self.skipping = false;
            }
            data = rest;
        }
    }

    /// Bytes of an unfinished line held.
    pub fn pending(&self) -> usize {
        self.len
    }

    /// Forgets the unfinished line and skips up to the next LF: the bytes before it are lost.
    pub fn resync(&mut self) {
        self.len = 0;
        self.skipping = true;
    }
}

/// One direction of a control connection: the line buffer plus the TCP sequence number of the
/// next byte it expects, so that retransmitted bytes are fed once and a gap (a segment the
/// helper never saw) never splices two lines together.
#[derive(Clone, Debug, Default)]
pub struct Stream {
    lines: LineBuffer,
    next: Option<u32>,
}

/// What [`Stream::accept`] decided about a segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Segment {
    /// Feed the segment from this byte on (non-zero when its start was seen already).
    Feed(usize),
    /// Everything in it was seen already.
    Old,
}

impl Stream {
    /// A stream that has seen nothing; its first segment is taken to start a line.
    pub const fn new() -> Self {
        Self {
            lines: LineBuffer::new(),
            next: None,
        }
    }

    /// Places a segment of `len` bytes starting at sequence number `seq` (mod 2^32).
    ///
    /// After this the stream expects `seq + len`, unless the whole segment was old.  A segment
    /// that starts beyond the expected byte means bytes were missed: the line they belonged
    /// to is dropped.
    pub fn accept(&mut self, seq: u32, len: usize) -> Segment {
        let end = seq.wrapping_add(len as u32);
        let Some(next) = self.next else {
            self.next = Some(end);
            return Segment::Feed(0);
        };
        // Signed distance of the segment's start and end from the expected byte (RFC 793
        // sequence arithmetic: valid while segments are shorter than 2^31).
        let start = seq.wrapping_sub(next) as i32;
        let stop = end.wrapping_sub(next) as i32;
        if stop <= 0 {
            return Segment::Old;
        }
        self.next = Some(end);
        if start > 0 {
            self.lines.resync();
            return Segment::Feed(0);
        }
        Segment::Feed(start.unsigned_abs() as usize)
    }

    /// Forgets everything since the segment that started at `seq`, so that its retransmission
    /// is taken as new data starting a line: for a segment whose expectation could not be
    /// created.  Without copying the line buffer, the part of a line that came in earlier
    /// segments is lost; a command that starts in the segment is parsed again.
    pub fn rewind(&mut self, seq: u32) {
        self.next = Some(seq);
        self.lines = LineBuffer::new();
    }

    /// Feeds bytes of the segment last accepted, in order; see [`LineBuffer::feed`].
    pub fn feed(&mut self, data: &[u8], line: impl FnMut(&[u8])) {
        self.lines.feed(data, line);
    }

    /// Bytes of an unfinished line held.
    pub fn pending(&self) -> usize {
        self.lines.pending()
    }
}

impl Default for LineBuffer {
    fn default() -> Self {
        Self::new()
    }
}
