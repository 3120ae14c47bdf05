// SPDX-License-Identifier: GPL-2.0

//! Which XFRM policies a bulk migration moves, and to what: the pure core of
//! `rv6_xfrm_migrate`.
//!
//! A node whose address changed (a Mobile IPv6 care-of address, a MOBIKE or Shim6 locator)
//! must move every IPsec policy template and SA that uses the old address.  The kernel's
//! `XFRM_MSG_MIGRATE` moves one policy at a time, given its selector and one entry per
//! template; USAGI's bulk operation (their 2007 report, table 1, item 1-3) was cancelled.
//! Here a [`Request`] names the address that moved (or the address pair) and filters;
//! [`plan`] says, for one policy as the walk shows it, whether it moves and with which
//! [`Entry`]s, exactly what `XFRM_MSG_MIGRATE` would carry for it; [`Entry::reversed`] gives
//! what moves it back when the request must be undone.
//!
//! Only tunnel, BEET and IP-TFS templates hold endpoint addresses; a transport-mode template
//! holds none (its SA is found by the policy's selector), so it is never a reason to move a
//! policy, and the core moves its SAs only with the policy's other entries.
//!
//! Pure `no_std` code, no allocation: the module includes it with `#[path]`, the host tests
//! drive it with arbitrary policies.

/// `XFRM_MAX_DEPTH`: templates a policy holds, entries a migration carries.
pub const MAX_DEPTH: usize = 6;

/// `AF_INET`.
pub const AF_INET: u16 = 2;
/// `AF_INET6`.
pub const AF_INET6: u16 = 10;

/// `XFRM_MODE_TRANSPORT`, `XFRM_MODE_TUNNEL`, ... (`include/uapi/linux/xfrm.h`).
pub mod mode {
    /// Transport mode: the template holds no addresses.
    pub const TRANSPORT: u8 = 0;
    /// Tunnel mode.
    pub const TUNNEL: u8 = 1;
    /// Mobile IPv6 route optimization.
    pub const ROUTE_OPTIMIZATION: u8 = 2;
    /// In-trigger (Mobile IPv6).
    pub const IN_TRIGGER: u8 = 3;
    /// Bound end-to-end tunnel.
    pub const BEET: u8 = 4;
    /// IP traffic flow security.
    pub const IPTFS: u8 = 5;

    /// Whether a template of this mode holds its SA's endpoint addresses.
    pub fn has_endpoints(m: u8) -> bool {
        matches!(m, TUNNEL | BEET | IPTFS)
    }
}

/// An address and its family, as XFRM keeps one: 16 bytes, an IPv4 address in the first 4.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// [`AF_INET`] or [`AF_INET6`].
    pub family: u16,
    /// The address (`xfrm_address_t`).
    pub addr: [u8; 16],
}

impl Endpoint {
    /// An IPv6 address.
    pub fn v6(addr: [u8; 16]) -> Self {
        Self {
            family: AF_INET6,
            addr,
        }
    }

    /// An IPv4 address.
    pub fn v4(addr: [u8; 4]) -> Self {
        let mut a = [0u8; 16];
        a[..4].copy_from_slice(&addr);
        Self {
            family: AF_INET,
            addr: a,
        }
    }

    /// The unspecified address of its family (`0.0.0.0`, `::`).
    pub fn is_unspecified(&self) -> bool {
        let len = if self.family == AF_INET { 4 } else { 16 };
        self.addr[..len].iter().all(|&b| b == 0)
    }

    /// Whether `addr` of family `family` is this endpoint (the bytes past an IPv4
    /// address's 4 do not count, as `xfrm_addr_equal()` has it).
    pub fn is(&self, family: u16, addr: &[u8; 16]) -> bool {
        let len = if family == AF_INET { 4 } else { 16 };
        self.family == family && self.addr[..len] == addr[..len]
    }
}

/// A policy template as the walk shows it (`struct xfrm_tmpl`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Template {
    /// `id.proto`: ESP, AH or IPcomp.
    pub proto: u8,
    /// `mode`.
    pub mode: u8,
    /// `reqid`.
    pub reqid: u32,
    /// `encap_family`: the family of the endpoints.
    pub family: u16,
    /// `saddr`: the tunnel's source.
    pub saddr: [u8; 16],
    /// `id.daddr`: the tunnel's destination.
    pub daddr: [u8; 16],
}

/// What the walk shows of a policy.
#[derive(Clone, Copy, Debug)]
pub struct Policy<'a> {
    /// `XFRM_POLICY_IN` (0), `OUT` (1) or `FWD` (2).
    pub dir: u8,
    /// `XFRM_POLICY_TYPE_MAIN` (0) or `SUB` (1).
    pub ptype: u8,
    /// The mark's value and mask.
    pub mark: (u32, u32),
    /// The XFRM interface id.
    pub if_id: u32,
    /// The templates, in order.
    pub templates: &'a [Template],
}

/// Which policies a request may move; every field narrows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Filter {
    /// Directions, a bit each: `1 << dir`.
    pub dirs: u8,
    /// The policy type, any when `None`.
    pub ptype: Option<u8>,
    /// Templates whose reqid is in this range (inclusive).
    pub reqid: (u32, u32),
    /// Policies whose mark value, under this mask, is this value: `(value, mask)`.
    pub mark: (u32, u32),
    /// Policies of this XFRM interface id.
    pub if_id: Option<u32>,
    /// Templates of this protocol.
    pub proto: Option<u8>,
    /// Templates of this mode.
    pub mode: Option<u8>,
}

impl Filter {
    /// Everything: all directions and types, any reqid, mark, interface, protocol and mode.
    pub const ALL: Filter = Filter {
        dirs: 0b111,
        ptype: None,
        reqid: (0, u32::MAX),
        mark: (0, 0),
        if_id: None,
        proto: None,
        mode: None,
    };

    fn policy(&self, p: &Policy<'_>) -> bool {
        let (value, mask) = self.mark;
        p.dir < 3
            && self.dirs & (1 << p.dir) != 0
            && self.ptype.is_none_or(|t| t == p.ptype)
            && p.mark.0 & mask == value & mask
            && self.if_id.is_none_or(|i| i == p.if_id)
    }

    fn template(&self, t: &Template) -> bool {
        (self.reqid.0..=self.reqid.1).contains(&t.reqid)
            && self.proto.is_none_or(|p| p == t.proto)
            && self.mode.is_none_or(|m| m == t.mode)
    }
}

/// A move of one address: from `old` to `new`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Move {
    /// The address templates and SAs use now.
    pub old: Endpoint,
    /// The address they are to use.
    pub new: Endpoint,
}

/// A bulk migration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Request {
    /// The address that moved: a template with it at either end moves it.
    pub local: Move,
    /// With a second move, only templates between the two old addresses (either way round)
    /// move, both ends at once (a path's two ends changed, or one path of several).
    pub peer: Option<Move>,
    /// Which policies and templates.
    pub filter: Filter,
}

/// Why a request cannot be served.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestError {
    /// A new address is unspecified (`XFRM_MSG_MIGRATE` refuses them too).
    NullAddress,
    /// A move changes nothing.
    NoChange,
    /// An address is of neither family.
    Family,
    /// The pair's two old addresses are one.
    SamePair,
    /// The reqid range is empty.
    ReqidRange,
}

impl Request {
    /// Checks the request on its own, before any policy is looked at.
    pub fn check(&self) -> Result<(), RequestError> {
        let moves = [Some(self.local), self.peer];
        for m in moves.iter().flatten() {
            for e in [m.old, m.new] {
                if e.family != AF_INET && e.family != AF_INET6 {
                    return Err(RequestError::Family);
                }
            }
            if m.new.is_unspecified() {
                return Err(RequestError::NullAddress);
            }
        }
        match self.peer {
            None if self.local.old == self.local.new => return Err(RequestError::NoChange),
            Some(p) if self.local.old == self.local.new && p.old == p.new => {
                return Err(RequestError::NoChange)
            }
            Some(p) if p.old == self.local.old => return Err(RequestError::SamePair),
            _ => {}
        }
        if self.filter.reqid.0 > self.filter.reqid.1 {
            return Err(RequestError::ReqidRange);
        }
        Ok(())
    }
}

/// One template's move: what an `xfrm_user_migrate` entry of `XFRM_MSG_MIGRATE` carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The protocol.
    pub proto: u8,
    /// The mode.
    pub mode: u8,
    /// The template's reqid (`old_reqid`: the SA to move is found by it).
    pub reqid: u32,
    /// The old endpoints' family.
    pub old_family: u16,
    /// The old source.
    pub old_saddr: [u8; 16],
    /// The old destination.
    pub old_daddr: [u8; 16],
    /// The new endpoints' family.
    pub new_family: u16,
    /// The new source.
    pub new_saddr: [u8; 16],
    /// The new destination.
    pub new_daddr: [u8; 16],
}

impl Entry {
    /// The entry that moves the template back.
    pub fn reversed(&self) -> Entry {
        Entry {
            old_family: self.new_family,
            old_saddr: self.new_saddr,
            old_daddr: self.new_daddr,
            new_family: self.old_family,
            new_saddr: self.old_saddr,
            new_daddr: self.old_daddr,
            ..*self
        }
    }

    /// Whether `XFRM_MSG_MIGRATE` would take `self` and `other` for one entry (its
    /// `xfrm_migrate_check()` refuses such duplicates).
    fn same_old(&self, other: &Entry) -> bool {
        self.old_saddr == other.old_saddr
            && self.old_daddr == other.old_daddr
            && self.proto == other.proto
            && self.mode == other.mode
            && self.reqid == other.reqid
            && self.old_family == other.old_family
    }
}

/// A policy's entries: at most [`MAX_DEPTH`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entries {
    entries: [Option<Entry>; MAX_DEPTH],
    len: usize,
}

impl Entries {
    /// No entry.
    pub const fn new() -> Self {
        Self {
            entries: [None; MAX_DEPTH],
            len: 0,
        }
    }

    /// The entries, in template order.
    pub fn iter(&self) -> impl Iterator<Item = &Entry> {
        self.entries[..self.len].iter().flatten()
    }

    /// How many.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The entries that move them all back.
    pub fn reversed(&self) -> Entries {
        let mut r = *self;
        for e in r.entries[..r.len].iter_mut().flatten() {
            *e = e.reversed();
        }
        r
    }

    fn push(&mut self, e: Entry) {
        if self.iter().any(|o| o.same_old(&e)) || self.len == MAX_DEPTH {
            return;
        }
        self.entries[self.len] = Some(e);
        self.len += 1;
    }
}

impl Default for Entries {
    fn default() -> Self {
        Self::new()
    }
}

/// Why a policy the request selects cannot be moved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolicyError {
    /// Template `usize` would end with endpoints of two families (one end moved to the
    /// other family, the other stayed).
    MixedFamilies(usize),
}

/// What the request does to policy `p`: `Ok(None)` when it leaves it alone, else the
/// entries of its `XFRM_MSG_MIGRATE` (one per template it moves, duplicates merged).
pub fn plan(req: &Request, p: &Policy<'_>) -> Result<Option<Entries>, PolicyError> {
    if !req.filter.policy(p) {
        return Ok(None);
    }
    let mut entries = Entries::new();
    for (i, t) in p.templates.iter().take(MAX_DEPTH).enumerate() {
        if !mode::has_endpoints(t.mode) || !req.filter.template(t) {
            continue;
        }
        let Some((saddr, daddr)) = moved(req, t) else {
            continue;
        };
        if saddr.family != daddr.family {
            return Err(PolicyError::MixedFamilies(i));
        }
        entries.push(Entry {
            proto: t.proto,
            mode: t.mode,
            reqid: t.reqid,
            old_family: t.family,
            old_saddr: t.saddr,
            old_daddr: t.daddr,
            new_family: saddr.family,
            new_saddr: saddr.addr,
            new_daddr: daddr.addr,
        });
    }
    Ok((!entries.is_empty()).then_some(entries))
}

/// Template `t`'s new endpoints (source, destination) under `req`, if it moves.
fn moved(req: &Request, t: &Template) -> Option<(Endpoint, Endpoint)> {
    let l = &req.local;
    let selected = match &req.peer {
        None => l.old.is(t.family, &t.saddr) || l.old.is(t.family, &t.daddr),
        Some(p) => {
            (l.old.is(t.family, &t.saddr) && p.old.is(t.family, &t.daddr))
                || (p.old.is(t.family, &t.saddr) && l.old.is(t.family, &t.daddr))
        }
    };
    if !selected {
        return None;
    }
    // Each end moves at most once, by the move whose old address it is.
    let new = |addr: &[u8; 16]| {
        [Some(l), req.peer.as_ref()]
            .into_iter()
            .flatten()
            .find(|m| m.old.is(t.family, addr))
            .map_or(
                Endpoint {
                    family: t.family,
                    addr: *addr,
                },
                |m| m.new,
            )
    };
    Some((new(&t.saddr), new(&t.daddr)))
}
