// SPDX-License-Identifier: GPL-2.0

//! Bulk XFRM migration: one generic netlink request moves every IPsec policy of a namespace
//! whose templates use an address that moved, and the SAs they use, to the new address.
//!
//! The kernel's `XFRM_MSG_MIGRATE` (`xfrm_migrate()`, USAGI's MIGRATE of 2007) moves one
//! policy, found by its selector, and the SAs its entries name; a node whose address changed
//! must find every policy itself and send one message each.  USAGI's "XFRM bulk operation
//! support" (their 2007 report, table 1, item 1-3) was cancelled.  Here one `migrate`
//! request of the `rv6-migrate` family (`Documentation/netlink/specs/
//! rv6_xfrm_migrate.yaml`) does it for all:
//!
//! 1. the namespace's policies are walked ([`migrate::for_each_policy`]); the pure core
//!    (`xfrm_migrate_plan.rs`) says which move and with which entries, and those are held;
//! 2. each is moved with the core's own migration of that very policy
//!    ([`migrate::PolicyRef::migrate`], `kernel/patches/0011`);
//! 3. all or nothing: when one cannot move, the ones already moved are moved back, in
//!    reverse, and the request fails with an extack message naming the policy and the core's
//!    reason;
//! 4. once all moved, each move raises the standard `XFRM_MSG_MIGRATE` notification (with
//!    the request's `KMADDRESS`, [`migrate::PolicyRef::announce`]), so that IKE daemons
//!    learn exactly as if each policy had been migrated alone, and never of a move that was
//!    undone.
//!
//! Requests of a namespace are served one at a time.  A `plan` dump lists what a request
//! would move; `dry-run` counts it.  Per-namespace counters through `stats-get`.

use kernel::{
    net::{
        namespace::{
            self,
            Namespace,
            NetState,
            PernetSlot, //
        },
        netlink::{
            genl::{
                self,
                perm,
                Attr,
                AttrPolicy,
                Dump,
                DumpProgress,
                ExtackText,
                Operations,
                OpsFamily,
                Policy,
                Request,
                SplitOp,
                Writer, //
            },
            GENLMSG_DEFAULT_SIZE, //
        },
        xfrm::migrate::{
            self,
            KmAddress,
            MigrateEntry,
            PolicyRef,
            PolicyTemplate,
            PolicyView, //
        }, //
    },
    new_mutex,
    prelude::*,
    sync::{
        atomic::{
            ordering::Relaxed,
            Atomic, //
        },
        Arc,
        Mutex, //
    }, //
};

use core::ops::ControlFlow;

// The core is `pub` for the host tests; here it is private (and partly unused).
#[expect(unreachable_pub, dead_code)]
#[path = "xfrm_migrate_plan.rs"]
mod plan;

use plan::{
    Endpoint,
    Entries,
    Filter,
    Move,
    PolicyError,
    RequestError,
    Template,
    AF_INET,
    AF_INET6, //
};

module! {
    type: XfrmMigrate,
    name: "rv6_xfrm_migrate",
    authors: ["rv6 developers"],
    description: "Bulk XFRM migration: every policy and SA of a moved address, in one request",
    license: "GPL",
}

/// `XFRM_MAX_DEPTH`: templates a policy holds.
const MAX_DEPTH: usize = 6;

// The family (Documentation/netlink/specs/rv6_xfrm_migrate.yaml).
const CMD_STATS_GET: u8 = 1;
const CMD_MIGRATE: u8 = 2;
const CMD_PLAN: u8 = 3;

// Attribute set `migrate`.
const A_OLD_LOCAL: u16 = 1;
const A_NEW_LOCAL: u16 = 2;
const A_OLD_PEER: u16 = 3;
const A_NEW_PEER: u16 = 4;
const A_DIRS: u16 = 5;
const A_POLICY_TYPE: u16 = 6;
const A_REQID_MIN: u16 = 7;
const A_REQID_MAX: u16 = 8;
const A_MARK: u16 = 9;
const A_MARK_MASK: u16 = 10;
const A_IF_ID: u16 = 11;
const A_PROTO: u16 = 12;
const A_MODE: u16 = 13;
const A_KMADDRESS_LOCAL: u16 = 14;
const A_KMADDRESS_REMOTE: u16 = 15;
const A_DRY_RUN: u16 = 16;
const A_POLICIES: u16 = 17;
const A_ENTRIES: u16 = 18;
const A_POLICY: u16 = 19;

// Attribute set `policy`.
const P_INDEX: u16 = 1;
const P_DIR: u16 = 2;
const P_POLICY_TYPE: u16 = 3;
const P_PRIORITY: u16 = 4;
const P_FAMILY: u16 = 5;
const P_SRC: u16 = 6;
const P_SRC_LEN: u16 = 7;
const P_DST: u16 = 8;
const P_DST_LEN: u16 = 9;
const P_PROTO: u16 = 10;
const P_ENTRY: u16 = 11;

// Attribute set `entry`.
const E_PROTO: u16 = 1;
const E_MODE: u16 = 2;
const E_REQID: u16 = 3;
const E_OLD_SRC: u16 = 4;
const E_OLD_DST: u16 = 5;
const E_NEW_SRC: u16 = 6;
const E_NEW_DST: u16 = 7;

// Attribute set `stats`.
const S_PAD: u16 = 1;
const S_REQUESTS: u16 = 2;
const S_MOVED_POLICIES: u16 = 3;
const S_MOVED_ENTRIES: u16 = 4;
const S_FAILED: u16 = 5;
const S_ROLLED_BACK: u16 = 6;
const S_ROLLBACK_FAILED: u16 = 7;

/// The highest value of enum `policy-type` and of enum `mode`.
const POLICY_TYPE_MAX: u32 = 1;
const MODE_MAX: u32 = 5;

static REQUEST_POLICY: Policy<{ A_DRY_RUN as usize + 1 }> = Policy::new()
    .with(A_OLD_LOCAL, AttrPolicy::min_len(4))
    .with(A_NEW_LOCAL, AttrPolicy::min_len(4))
    .with(A_OLD_PEER, AttrPolicy::min_len(4))
    .with(A_NEW_PEER, AttrPolicy::min_len(4))
    .with(A_DIRS, AttrPolicy::u32_range(0, 7))
    .with(A_POLICY_TYPE, AttrPolicy::u32_range(0, POLICY_TYPE_MAX))
    .with(A_REQID_MIN, AttrPolicy::u32())
    .with(A_REQID_MAX, AttrPolicy::u32())
    .with(A_MARK, AttrPolicy::u32())
    .with(A_MARK_MASK, AttrPolicy::u32())
    .with(A_IF_ID, AttrPolicy::u32())
    .with(A_PROTO, AttrPolicy::u8())
    .with(A_MODE, AttrPolicy::u32_range(0, MODE_MAX))
    .with(A_KMADDRESS_LOCAL, AttrPolicy::min_len(4))
    .with(A_KMADDRESS_REMOTE, AttrPolicy::min_len(4))
    .with(A_DRY_RUN, AttrPolicy::flag());

static OPS: [SplitOp<Family>; 3] = [
    SplitOp::doit_without_attributes(CMD_STATS_GET, perm::NONE),
    SplitOp::doit(CMD_MIGRATE, perm::NETNS_ADMIN, &REQUEST_POLICY),
    SplitOp::dumpit(CMD_PLAN, perm::NETNS_ADMIN, &REQUEST_POLICY),
];

static FAMILY: OpsFamily<Family> = OpsFamily::new(
    kernel::module::this_module::<crate::LocalModule>(),
    b"rv6-migrate\0",
    1,
    &OPS,
    &[],
);

/// A namespace's counters, and the lock that serves its requests one at a time.
#[pin_data]
struct NetMigrate {
    #[pin]
    serial: Mutex<()>,
    requests: Atomic<u64>,
    moved_policies: Atomic<u64>,
    moved_entries: Atomic<u64>,
    failed: Atomic<u64>,
    rolled_back: Atomic<u64>,
    rollback_failed: Atomic<u64>,
}

static SLOT: PernetSlot = PernetSlot::new();

impl NetState for NetMigrate {
    type Shared = ();
    const SLOT: &'static PernetSlot = &SLOT;

    fn init<'a>(_shared: &'a (), _net: &'a Namespace) -> impl PinInit<Self, Error> + 'a {
        try_pin_init!(NetMigrate {
            serial <- new_mutex!(()),
            requests: Atomic::new(0),
            moved_policies: Atomic::new(0),
            moved_entries: Atomic::new(0),
            failed: Atomic::new(0),
            rolled_back: Atomic::new(0),
            rollback_failed: Atomic::new(0),
        }? Error)
    }
}

/// An address attribute: 4 bytes (IPv4) or 16 (IPv6).
fn endpoint(req: &Request<'_>, a: &Attr<'_>) -> Result<Endpoint> {
    match a.data() {
        d if d.len() == 16 => Ok(Endpoint::v6(d.try_into().map_err(|_| EINVAL)?)),
        d if d.len() == 4 => Ok(Endpoint::v4(d.try_into().map_err(|_| EINVAL)?)),
        _ => Err(req.error(
            EINVAL,
            c"an address is 4 bytes (IPv4) or 16 (IPv6)",
            Some(a),
        )),
    }
}

fn opt_endpoint(req: &Request<'_>, attr: u16) -> Result<Option<Endpoint>> {
    req.attr(attr)?.map(|a| endpoint(req, &a)).transpose()
}

fn opt_u32(req: &Request<'_>, attr: u16) -> Result<Option<u32>> {
    req.attr(attr)?.map(|a| a.u32()).transpose()
}

fn opt_u8(req: &Request<'_>, attr: u16) -> Result<Option<u8>> {
    req.attr(attr)?.map(|a| a.u8()).transpose()
}

/// A request's move, filters and key manager addresses.
struct Parsed {
    req: plan::Request,
    km: Option<KmAddress>,
    dry_run: bool,
}

fn parse(req: &Request<'_>) -> Result<Parsed> {
    let old = endpoint(req, &req.require(A_OLD_LOCAL)?)?;
    let new = endpoint(req, &req.require(A_NEW_LOCAL)?)?;
    let peer = match (
        opt_endpoint(req, A_OLD_PEER)?,
        opt_endpoint(req, A_NEW_PEER)?,
    ) {
        (Some(old), Some(new)) => Some(Move { old, new }),
        (None, None) => None,
        _ => return Err(req.error(EINVAL, c"old-peer and new-peer go together", None)),
    };
    let mark = opt_u32(req, A_MARK)?;
    let filter = Filter {
        dirs: opt_u32(req, A_DIRS)?.map_or(Filter::ALL.dirs, |d| d as u8),
        ptype: opt_u32(req, A_POLICY_TYPE)?.map(|t| t as u8),
        reqid: (
            opt_u32(req, A_REQID_MIN)?.unwrap_or(0),
            opt_u32(req, A_REQID_MAX)?.unwrap_or(u32::MAX),
        ),
        mark: (
            mark.unwrap_or(0),
            opt_u32(req, A_MARK_MASK)?.unwrap_or(if mark.is_some() { u32::MAX } else { 0 }),
        ),
        if_id: opt_u32(req, A_IF_ID)?,
        proto: opt_u8(req, A_PROTO)?,
        mode: opt_u32(req, A_MODE)?.map(|m| m as u8),
    };
    let r = plan::Request {
        local: Move { old, new },
        peer,
        filter,
    };
    r.check().map_err(|e| {
        let why = match e {
            RequestError::NullAddress => c"a new address is unspecified",
            RequestError::NoChange => c"the new addresses are the old ones",
            RequestError::Family => c"an address is of neither family",
            RequestError::SamePair => c"old-local and old-peer are one address",
            RequestError::ReqidRange => c"reqid-min is above reqid-max",
        };
        req.error(EINVAL, why, None)
    })?;
    let km = match (
        opt_endpoint(req, A_KMADDRESS_LOCAL)?,
        opt_endpoint(req, A_KMADDRESS_REMOTE)?,
    ) {
        (Some(l), Some(r)) if l.family == r.family => Some(KmAddress {
            family: l.family,
            local: l.addr,
            remote: r.addr,
        }),
        (None, None) => None,
        _ => {
            return Err(req.error(
                EINVAL,
                c"kmaddress-local and kmaddress-remote go together, of one family",
                None,
            ))
        }
    };
    Ok(Parsed {
        req: r,
        km,
        dry_run: req.attr(A_DRY_RUN)?.is_some(),
    })
}

/// A policy the request moves, held, with its entries.
struct Planned {
    pol: PolicyRef,
    entries: Entries,
}

/// What the walk found: the policies to move, or the first that cannot.
enum Found {
    All(KVVec<Planned>),
    Refused { index: u32, template: usize },
}

fn templates(p: &PolicyView) -> ([Template; MAX_DEPTH], usize) {
    let mut raw = [PolicyTemplate::default(); MAX_DEPTH];
    let n = p.templates(&mut raw);
    let mut out = [Template {
        proto: 0,
        mode: 0,
        reqid: 0,
        family: 0,
        saddr: [0; 16],
        daddr: [0; 16],
    }; MAX_DEPTH];
    for (o, t) in out.iter_mut().zip(&raw[..n]) {
        *o = Template {
            proto: t.proto,
            mode: t.mode,
            reqid: t.reqid,
            family: t.family,
            saddr: t.saddr,
            daddr: t.daddr,
        };
    }
    (out, n)
}

/// What `r` does to policy `p`.
fn plan_for(
    r: &plan::Request,
    p: &PolicyView,
) -> core::result::Result<Option<Entries>, PolicyError> {
    let (ts, n) = templates(p);
    let (mark, if_id) = (p.mark(), p.if_id());
    plan::plan(
        r,
        &plan::Policy {
            dir: p.dir(),
            ptype: p.ptype(),
            mark,
            if_id,
            templates: &ts[..n],
        },
    )
}

/// Walks `net`'s policies and holds those `r` moves.
///
/// The walk holds the namespace's policy lock, under which only atomic allocations may be
/// made, and 10^4 policies take megabytes: a first walk counts them, the list is allocated
/// between the walks (`GFP_KERNEL`, from vmalloc when large), and the second fills it.  A
/// policy added between the two walks that the request would move makes it `EAGAIN`.
fn find(req: &Request<'_>, r: &plan::Request) -> Result<Found> {
    let net = req.net();
    let mut count = 0usize;
    let mut refused = None;
    migrate::for_each_policy(net, |p| match plan_for(r, p) {
        Ok(None) => ControlFlow::Continue(()),
        Ok(Some(_)) => {
            count += 1;
            ControlFlow::Continue(())
        }
        Err(PolicyError::MixedFamilies(template)) => {
            refused = Some((p.index(), template));
            ControlFlow::Break(())
        }
    });
    if let Some((index, template)) = refused {
        return Ok(Found::Refused { index, template });
    }
    let mut all = KVVec::with_capacity(count, GFP_KERNEL)?;
    let mut grew = false;
    migrate::for_each_policy(net, |p| match plan_for(r, p) {
        Ok(None) => ControlFlow::Continue(()),
        Ok(Some(entries)) => {
            let planned = Planned {
                pol: p.hold(),
                entries,
            };
            if all.push_within_capacity(planned).is_err() {
                grew = true;
                return ControlFlow::Break(());
            }
            ControlFlow::Continue(())
        }
        Err(PolicyError::MixedFamilies(template)) => {
            refused = Some((p.index(), template));
            ControlFlow::Break(())
        }
    });
    if grew {
        return Err(req.error(
            EAGAIN,
            c"policies the request moves were added while it ran: try again",
            None,
        ));
    }
    Ok(match refused {
        Some((index, template)) => Found::Refused { index, template },
        None => Found::All(all),
    })
}

fn kernel_entries(e: &Entries) -> ([MigrateEntry; MAX_DEPTH], usize) {
    let blank = MigrateEntry {
        proto: 0,
        mode: 0,
        reqid: 0,
        old: (0, [0; 16], [0; 16]),
        new: (0, [0; 16], [0; 16]),
    };
    let mut out = [blank; MAX_DEPTH];
    for (o, x) in out.iter_mut().zip(e.iter()) {
        *o = MigrateEntry {
            proto: x.proto,
            mode: x.mode,
            reqid: x.reqid,
            old: (x.old_family, x.old_saddr, x.old_daddr),
            new: (x.new_family, x.new_saddr, x.new_daddr),
        };
    }
    (out, e.len())
}

fn dir_name(dir: u8) -> &'static str {
    match dir {
        0 => "in",
        1 => "out",
        2 => "fwd",
        _ => "socket",
    }
}

/// Moves every policy of `found`, or none: on the first failure, moves back those moved.
/// The moves are announced (with the request's key manager addresses) only once all are
/// done: a key manager acts on each announcement (strongSwan reinstalls the CHILD_SA's
/// policies), and must neither see a move that is then undone nor act while the others are
/// still to move.
fn move_all(
    n: &NetMigrate,
    req: &Request<'_>,
    p: &Parsed,
    found: &[Planned],
) -> Result<(u32, u32)> {
    let mut entries_moved = 0u32;
    for (i, f) in found.iter().enumerate() {
        let (e, len) = kernel_entries(&f.entries);
        let Err(err) = f.pol.migrate(&e[..len], Some(req)) else {
            entries_moved += len as u32;
            continue;
        };
        // The core's reason, before the roll back's own messages replace it.
        let mut why = [0u8; ExtackText::CAP];
        let reason = req.message(&mut why).unwrap_or("refused");
        let mut back_failed = 0u64;
        for g in found[..i].iter().rev() {
            let (e, len) = kernel_entries(&g.entries.reversed());
            if g.pol.migrate(&e[..len], None).is_err() {
                back_failed += 1;
            }
        }
        n.failed.add(1, Relaxed);
        n.rolled_back.add(i as u64 - back_failed, Relaxed);
        n.rollback_failed.add(back_failed, Relaxed);
        let index = f.pol.index();
        let dir = dir_name(f.pol.dir());
        return Err(if back_failed == 0 {
            req.error_fmt(
                err,
                format_args!("policy {index} ({dir}): {reason}; {i} moved back"),
            )
        } else {
            req.error_fmt(
                err,
                format_args!("policy {index} ({dir}): {reason}; {back_failed} of {i} stuck"),
            )
        });
    }
    for f in found {
        let (e, len) = kernel_entries(&f.entries);
        // A key manager that misses one is told no less than by the core's own
        // migration, which ignores the announcement's outcome too.
        let _ = f.pol.announce(&e[..len], p.km.as_ref());
    }
    Ok((found.len() as u32, entries_moved))
}

/// Writes policy `p` and its entries as a `policy` nest.
fn put_policy(w: &mut Writer<'_>, p: &PolicyView, entries: &Entries) -> Result {
    let sel = p.selector();
    let len = |family| if family == AF_INET { 4 } else { 16 };
    w.nest(A_POLICY, |w| {
        w.put_u32(P_INDEX, p.index())?;
        w.put_u8(P_DIR, p.dir())?;
        w.put_u32(P_POLICY_TYPE, u32::from(p.ptype()))?;
        w.put_u32(P_PRIORITY, p.priority())?;
        w.put_u16(P_FAMILY, sel.family)?;
        w.put_binary(P_SRC, &sel.saddr[..len(sel.family)])?;
        w.put_u8(P_SRC_LEN, sel.prefixlen_s)?;
        w.put_binary(P_DST, &sel.daddr[..len(sel.family)])?;
        w.put_u8(P_DST_LEN, sel.prefixlen_d)?;
        w.put_u8(P_PROTO, sel.proto)?;
        for e in entries.iter() {
            w.nest(P_ENTRY, |w| {
                w.put_u8(E_PROTO, e.proto)?;
                w.put_u32(E_MODE, u32::from(e.mode))?;
                w.put_u32(E_REQID, e.reqid)?;
                w.put_binary(E_OLD_SRC, &e.old_saddr[..len(e.old_family)])?;
                w.put_binary(E_OLD_DST, &e.old_daddr[..len(e.old_family)])?;
                w.put_binary(E_NEW_SRC, &e.new_saddr[..len(e.new_family)])?;
                w.put_binary(E_NEW_DST, &e.new_daddr[..len(e.new_family)])
            })?;
        }
        Ok(())
    })
}

struct Family;

type Data = namespace::Registration<NetMigrate>;

/// A plan dump's state: the policies found when it started, and how many were sent.
struct PlanDump {
    found: KVVec<Planned>,
    next: usize,
}

impl Operations for Family {
    type Data = Data;
    type DumpState = Option<PlanDump>;
    const FAMILY: &'static OpsFamily<Self> = &FAMILY;

    fn doit(nets: &Data, req: &Request<'_>) -> Result {
        let n = nets.state(req.net()).ok_or(ENODEV)?;
        match req.cmd() {
            CMD_STATS_GET => {
                let mut msg = req.reply(GENLMSG_DEFAULT_SIZE, CMD_STATS_GET)?;
                {
                    let mut w = msg.writer();
                    for (attr, c) in [
                        (S_REQUESTS, &n.requests),
                        (S_MOVED_POLICIES, &n.moved_policies),
                        (S_MOVED_ENTRIES, &n.moved_entries),
                        (S_FAILED, &n.failed),
                        (S_ROLLED_BACK, &n.rolled_back),
                        (S_ROLLBACK_FAILED, &n.rollback_failed),
                    ] {
                        w.put_u64(attr, c.load(Relaxed), S_PAD)?;
                    }
                }
                msg.reply(req)
            }
            CMD_MIGRATE => {
                let p = parse(req)?;
                let _serial = n.serial.lock();
                n.requests.add(1, Relaxed);
                let found = match find(req, &p.req)? {
                    Found::All(found) => found,
                    Found::Refused { index, template } => {
                        n.failed.add(1, Relaxed);
                        return Err(req.error_fmt(
                            EINVAL,
                            format_args!(
                                "policy {index}: template {template} would end with two families"
                            ),
                        ));
                    }
                };
                if found.is_empty() && !p.dry_run {
                    return Err(req.error(
                        ENOENT,
                        c"no policy the filters select has a template with old-local",
                        None,
                    ));
                }
                let (policies, entries) = if p.dry_run {
                    let e = found.iter().map(|f| f.entries.len() as u32).sum();
                    (found.len() as u32, e)
                } else {
                    let moved = move_all(n, req, &p, &found)?;
                    n.moved_policies.add(u64::from(moved.0), Relaxed);
                    n.moved_entries.add(u64::from(moved.1), Relaxed);
                    moved
                };
                let mut msg = req.reply(GENLMSG_DEFAULT_SIZE, CMD_MIGRATE)?;
                {
                    let mut w = msg.writer();
                    w.put_u32(A_POLICIES, policies)?;
                    w.put_u32(A_ENTRIES, entries)?;
                }
                msg.reply(req)
            }
            _ => Err(EOPNOTSUPP),
        }
    }

    fn dump_start(nets: &Data, req: &Request<'_>) -> Result<Option<PlanDump>> {
        let n = nets.state(req.net()).ok_or(ENODEV)?;
        let p = parse(req)?;
        let _serial = n.serial.lock();
        match find(req, &p.req)? {
            Found::All(found) => Ok(Some(PlanDump { found, next: 0 })),
            Found::Refused { index, template } => Err(req.error_fmt(
                EINVAL,
                format_args!("policy {index}: template {template} would end with two families"),
            )),
        }
    }

    fn dumpit(_: &Data, state: &mut Option<PlanDump>, dump: &mut Dump<'_>) -> Result<DumpProgress> {
        let Some(s) = state else {
            return Ok(DumpProgress::Done);
        };
        while let Some(f) = s.found.get(s.next) {
            if !dump.entry(CMD_PLAN, |w| put_policy(w, &f.pol, &f.entries))? {
                return Ok(DumpProgress::More);
            }
            s.next += 1;
        }
        Ok(DumpProgress::Done)
    }
}

struct XfrmMigrate {
    _family: genl::Registration<Family>,
}

impl kernel::Module for XfrmMigrate {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let nets = Arc::new(namespace::Registration::new(())?, GFP_KERNEL)?;
        Ok(XfrmMigrate {
            _family: genl::Registration::new(nets)?,
        })
    }
}

#[kunit_tests(rv6_xfrm_migrate)]
mod tests {
    use super::*;

    #[test]
    fn the_core_and_the_module_agree_on_the_kernels_numbers() {
        use kernel::bindings;
        assert_eq!(MAX_DEPTH, bindings::XFRM_MAX_DEPTH as usize);
        assert_eq!(plan::MAX_DEPTH, MAX_DEPTH);
        assert_eq!(AF_INET, bindings::AF_INET as u16);
        assert_eq!(AF_INET6, bindings::AF_INET6 as u16);
        assert_eq!(plan::mode::TUNNEL, bindings::XFRM_MODE_TUNNEL as u8);
        assert_eq!(plan::mode::BEET, bindings::XFRM_MODE_BEET as u8);
        assert_eq!(plan::mode::IPTFS, bindings::XFRM_MODE_IPTFS as u8);
        assert_eq!(MODE_MAX, bindings::XFRM_MODE_IPTFS);
        assert_eq!(POLICY_TYPE_MAX, bindings::XFRM_POLICY_TYPE_SUB);
    }
}
