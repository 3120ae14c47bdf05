// SPDX-License-Identifier: GPL-2.0

//! The test family of [`kernel::net::netlink::genl`]: a table of entries per network namespace,
//! served by the generic netlink family `rv6-genl-test`
//! (`Documentation/netlink/specs/rv6_genl_test.yaml`).
//!
//! It is what a control plane has (Shim6 contexts, guard rules): a keyed table that requests
//! add to, remove from, read and dump, with a notification to the namespace's listeners for
//! every change.  Its selftest (`tools/testing/selftests/rv6/netlink/genl_table.sh`) dumps
//! 10^4 entries and checks each arrives exactly once, changes the table in the middle of a dump
//! and checks the reader is told (`NLM_F_DUMP_INTR`), listens to the notifications of two
//! namespaces, and unloads the module with a dump open and a listener subscribed.

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
                AttrPolicy,
                Dump,
                DumpProgress,
                Operations,
                OpsFamily,
                Policy,
                Request,
                SplitOp,
                Writer, //
            },
            GenlMsg,
            MulticastGroup, //
        }, //
    },
    new_mutex,
    prelude::*,
    rbtree::{
        RBTree,
        RBTreeNode, //
    },
    sync::{
        atomic::{
            ordering::Relaxed,
            Atomic, //
        },
        Arc,
        Mutex, //
    }, //
};

module! {
    type: GenlTest,
    name: "rv6_genl_test",
    authors: ["rv6 developers"],
    description: "Test family of the Rust generic netlink abstraction (a table per namespace)",
    license: "GPL",
}

// The family (Documentation/netlink/specs/rv6_genl_test.yaml).
const CMD_ENTRY_GET: u8 = 1;
const CMD_ENTRY_ADD: u8 = 2;
const CMD_ENTRY_DEL: u8 = 3;
const CMD_ENTRY_FLUSH: u8 = 4;
const CMD_ENTRY_ADD_NTF: u8 = 5;
const CMD_ENTRY_DEL_NTF: u8 = 6;

const A_PAD: u16 = 1;
const A_KEY: u16 = 2;
const A_NAME: u16 = 3;
const A_ADDR: u16 = 4;
const A_KIND: u16 = 5;
const A_GETS: u16 = 6;
const A_STICKY: u16 = 7;
const A_LOCATOR: u16 = 8;
// The nested set `locator`.
const L_ADDR: u16 = 1;
const L_PRIO: u16 = 2;

/// `kind`: host, router, mobile.
const KIND_MAX: u32 = 2;
/// Bytes of a name before its NUL.
const NAME_MAX: usize = 31;
/// Locators one entry may have.
const MAX_LOCATORS: usize = 4;
/// An entry's locators, in request order: address and priority.
type Locators = [Option<([u8; 16], u8)>; MAX_LOCATORS];
/// Entries one namespace may hold (`max-entries`).
const MAX_ENTRIES: usize = 65536;
/// The multicast group `monitor`, index 0 of the family's groups.
const GROUP_MONITOR: u32 = 0;
/// Bytes of attributes an entry takes at most: key 8, name 36, addr 20, kind 8, gets 16 with
/// its pad, sticky 4, and per locator a nest of 4 holding addr 20 and prio 8.  Replies and
/// notifications are allocated this size: a listener's receive buffer is charged for what is
/// allocated, not for what is used.
const ENTRY_SIZE: usize = 8 + 36 + 20 + 8 + 16 + 4 + MAX_LOCATORS * (4 + 20 + 8);

static KEY_POLICY: Policy<{ A_KEY as usize + 1 }> =
    Policy::new().with(A_KEY, AttrPolicy::u32_min(1));
static LOCATOR_POLICY: Policy<{ L_PRIO as usize + 1 }> = Policy::new()
    .with(L_ADDR, AttrPolicy::in6_addr())
    .with(L_PRIO, AttrPolicy::u8());
static ADD_POLICY: Policy<{ A_LOCATOR as usize + 1 }> = Policy::new()
    .with(A_KEY, AttrPolicy::u32_min(1))
    .with(A_NAME, AttrPolicy::nul_string(NAME_MAX as u16))
    .with(A_ADDR, AttrPolicy::in6_addr())
    .with(A_KIND, AttrPolicy::u32_range(0, KIND_MAX))
    .with(A_STICKY, AttrPolicy::flag())
    .with(A_LOCATOR, AttrPolicy::nested(&LOCATOR_POLICY));

static OPS: [SplitOp<Table>; 5] = [
    SplitOp::doit(CMD_ENTRY_GET, perm::NONE, &KEY_POLICY),
    SplitOp::dumpit_without_attributes(CMD_ENTRY_GET, perm::NONE),
    SplitOp::doit(CMD_ENTRY_ADD, perm::NETNS_ADMIN, &ADD_POLICY),
    SplitOp::doit(CMD_ENTRY_DEL, perm::NETNS_ADMIN, &KEY_POLICY),
    SplitOp::doit_without_attributes(CMD_ENTRY_FLUSH, perm::NETNS_ADMIN),
];
static GROUPS: [MulticastGroup; 1] = [MulticastGroup::const_new(c"monitor")];
static FAMILY: OpsFamily<Table> = OpsFamily::new(
    kernel::module::this_module::<crate::LocalModule>(),
    b"rv6-genl-test\0",
    1,
    &OPS,
    &GROUPS,
);

/// One entry of the table.
struct Entry {
    name: [u8; NAME_MAX + 1],
    addr: Option<[u8; 16]>,
    kind: Option<u32>,
    sticky: bool,
    /// Address and priority of each locator, in the order given.
    locators: Locators,
    /// `entry-get` requests that read it.
    gets: Atomic<u64>,
}

/// A namespace's table, and its generation: bumped by every change, never 0 (the core takes a
/// dump's generation 0 for "not tracked").
struct Entries {
    tree: RBTree<u32, Entry>,
    len: usize,
    generation: u32,
}

impl Entries {
    fn changed(&mut self) {
        self.generation = self.generation.wrapping_add(1).max(1);
    }
}

/// The per-namespace state.
#[pin_data]
struct NetTable {
    #[pin]
    entries: Mutex<Entries>,
}

static NET_SLOT: PernetSlot = PernetSlot::new();

impl NetState for NetTable {
    type Shared = ();
    const SLOT: &'static PernetSlot = &NET_SLOT;

    fn init<'a>(_shared: &'a (), _net: &'a Namespace) -> impl PinInit<Self, Error> + 'a {
        try_pin_init!(NetTable {
            entries <- new_mutex!(Entries {
                tree: RBTree::new(),
                len: 0,
                generation: 1,
            }),
        }? Error)
    }
}

/// Writes an entry's attributes.
fn put_entry(w: &mut Writer<'_>, key: u32, e: &Entry) -> Result {
    w.put_u32(A_KEY, key)?;
    let len = e.name.iter().position(|&b| b == 0).unwrap_or(NAME_MAX);
    if len > 0 {
        let name = CStr::from_bytes_with_nul(&e.name[..=len]).map_err(|_| EINVAL)?;
        w.put_string(A_NAME, name)?;
    }
    if let Some(addr) = &e.addr {
        w.put_in6_addr(A_ADDR, addr)?;
    }
    if let Some(kind) = e.kind {
        w.put_u32(A_KIND, kind)?;
    }
    w.put_u64(A_GETS, e.gets.load(Relaxed), A_PAD)?;
    if e.sticky {
        w.put_flag(A_STICKY)?;
    }
    for (addr, prio) in e.locators.iter().flatten() {
        w.nest(A_LOCATOR, |w| {
            w.put_in6_addr(L_ADDR, addr)?;
            w.put_u8(L_PRIO, *prio)
        })?;
    }
    Ok(())
}

/// Tells the namespace's `monitor` listeners about entry `key`.
fn notify(net: &Namespace, cmd: u8, key: u32, e: &Entry) -> Result {
    let mut msg = GenlMsg::notification(&FAMILY, cmd, ENTRY_SIZE, GFP_KERNEL)?;
    put_entry(&mut msg.writer(), key, e)?;
    msg.multicast_netns(&FAMILY, net, GROUP_MONITOR, GFP_KERNEL)
}

/// The family's callbacks.
struct Table;

impl Table {
    /// The request's `locator` nests (a multi-attr: every one, in order).
    fn locators(req: &Request<'_>) -> Result<Locators> {
        let mut locators = [None; MAX_LOCATORS];
        for (n, loc) in req.attrs().filter(|a| a.kind() == A_LOCATOR).enumerate() {
            if n == MAX_LOCATORS {
                return Err(req.error(E2BIG, c"an entry has at most 4 locators", Some(&loc)));
            }
            let Some(addr) = loc.nested().find(L_ADDR) else {
                return Err(req.error(EINVAL, c"a locator needs an address", Some(&loc)));
            };
            let prio = loc.nested().find(L_PRIO).map(|p| p.u8()).transpose()?;
            locators[n] = Some((addr.in6_addr()?, prio.unwrap_or(0)));
        }
        Ok(locators)
    }

    fn add(table: &NetTable, req: &Request<'_>) -> Result {
        let key_attr = req.require(A_KEY)?;
        let key = key_attr.u32()?;
        let mut name = [0u8; NAME_MAX + 1];
        if let Some(a) = req.attr(A_NAME)? {
            let s = a.string()?.to_bytes();
            // The policy bounds the length; a longer one would be the core's bug, not a panic.
            let n = s.len().min(NAME_MAX);
            name[..n].copy_from_slice(&s[..n]);
        }
        let entry = Entry {
            name,
            addr: req.attr(A_ADDR)?.map(|a| a.in6_addr()).transpose()?,
            kind: req.attr(A_KIND)?.map(|a| a.u32()).transpose()?,
            sticky: req.attr(A_STICKY)?.is_some(),
            locators: Self::locators(req)?,
            gets: Atomic::new(0),
        };
        // Allocated before the lock is taken.
        let node = RBTreeNode::new(key, entry, GFP_KERNEL)?;
        let mut entries = table.entries.lock();
        if entries.tree.get(&key).is_some() {
            return Err(req.error(EEXIST, c"an entry with this key exists", Some(&key_attr)));
        }
        if entries.len >= MAX_ENTRIES {
            return Err(req.error(ENOSPC, c"the namespace's table is full", None));
        }
        entries.tree.insert(node);
        entries.len += 1;
        entries.changed();
        let e = entries.tree.get(&key).ok_or(EINVAL)?;
        notify(req.net(), CMD_ENTRY_ADD_NTF, key, e)
    }

    fn del(table: &NetTable, req: &Request<'_>) -> Result {
        let key_attr = req.require(A_KEY)?;
        let key = key_attr.u32()?;
        let mut entries = table.entries.lock();
        let Some(e) = entries.tree.remove(&key) else {
            return Err(req.error(ENOENT, c"no entry with this key", Some(&key_attr)));
        };
        entries.len -= 1;
        entries.changed();
        notify(req.net(), CMD_ENTRY_DEL_NTF, key, &e)
    }

    fn flush(table: &NetTable, req: &Request<'_>) -> Result {
        let mut entries = table.entries.lock();
        let mut removed = 0;
        let mut next = entries.tree.cursor_front_mut();
        while let Some(cursor) = next {
            if cursor.current().1.sticky {
                next = cursor.move_next();
                continue;
            }
            let (after, node) = cursor.remove_current();
            let (key, e) = node.to_key_value();
            // A listener that cannot take every notification sees the socket overrun
            // (ENOBUFS on its next read), as with any multicast burst.
            let _ = notify(req.net(), CMD_ENTRY_DEL_NTF, key, &e);
            removed += 1;
            next = after;
        }
        if removed > 0 {
            entries.len -= removed;
            entries.changed();
        }
        Ok(())
    }
}

impl Operations for Table {
    type Data = namespace::Registration<NetTable>;
    /// The next key to dump.
    type DumpState = Option<u32>;
    const FAMILY: &'static OpsFamily<Self> = &FAMILY;

    fn doit(tables: &Self::Data, req: &Request<'_>) -> Result {
        let table = tables.state(req.net()).ok_or(ENODEV)?;
        match req.cmd() {
            CMD_ENTRY_GET => {
                let key_attr = req.require(A_KEY)?;
                let key = key_attr.u32()?;
                let mut msg = req.reply(ENTRY_SIZE, CMD_ENTRY_GET)?;
                {
                    let entries = table.entries.lock();
                    let Some(e) = entries.tree.get(&key) else {
                        return Err(req.error(ENOENT, c"no entry with this key", Some(&key_attr)));
                    };
                    e.gets.add(1, Relaxed);
                    put_entry(&mut msg.writer(), key, e)?;
                }
                msg.reply(req)
            }
            CMD_ENTRY_ADD => Self::add(table, req),
            CMD_ENTRY_DEL => Self::del(table, req),
            CMD_ENTRY_FLUSH => Self::flush(table, req),
            _ => Err(EOPNOTSUPP),
        }
    }

    fn dump_start(_: &Self::Data, _: &Request<'_>) -> Result<Option<u32>> {
        Ok(Some(0))
    }

    /// Resumes at the first key not yet dumped, so an entry that stays in the table is dumped
    /// exactly once whatever else changes; the generation tells the reader when something did.
    fn dumpit(
        tables: &Self::Data,
        next: &mut Option<u32>,
        dump: &mut Dump<'_>,
    ) -> Result<DumpProgress> {
        let table = tables.state(dump.net()).ok_or(ENODEV)?;
        let entries = table.entries.lock();
        dump.set_generation(entries.generation);
        while let Some(from) = *next {
            let Some(c) = entries.tree.cursor_lower_bound(&from) else {
                break;
            };
            let (&key, e) = c.current();
            if !dump.entry(CMD_ENTRY_GET, |w| put_entry(w, key, e))? {
                return Ok(DumpProgress::More);
            }
            *next = key.checked_add(1);
        }
        *next = None;
        Ok(DumpProgress::Done)
    }
}

struct GenlTest {
    _family: genl::Registration<Table>,
}

impl kernel::Module for GenlTest {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let tables = Arc::new(namespace::Registration::new(())?, GFP_KERNEL)?;
        let family = genl::Registration::new(tables)?;
        Ok(GenlTest { _family: family })
    }
}

#[kunit_tests(rv6_genl_test)]
mod tests {
    use super::*;

    fn entry(name: &[u8]) -> Entry {
        let mut n = [0u8; NAME_MAX + 1];
        n[..name.len()].copy_from_slice(name);
        Entry {
            name: n,
            addr: None,
            kind: None,
            sticky: false,
            locators: [None; MAX_LOCATORS],
            gets: Atomic::new(0),
        }
    }

    #[test]
    fn generations_skip_zero() {
        let mut e = Entries {
            tree: RBTree::new(),
            len: 0,
            generation: u32::MAX,
        };
        e.changed();
        assert_eq!(e.generation, 1);
        e.changed();
        assert_eq!(e.generation, 2);
    }

    #[test]
    fn the_policies_match_the_spec() {
        assert_eq!(KEY_POLICY.maxattr(), A_KEY);
        assert_eq!(ADD_POLICY.maxattr(), A_LOCATOR);
        assert_eq!(LOCATOR_POLICY.maxattr(), L_PRIO);
        assert_eq!(
            u32::from(ADD_POLICY.entry(A_NAME).kind()),
            kernel::bindings::NLA_NUL_STRING
        );
        assert_eq!(
            u32::from(ADD_POLICY.entry(A_STICKY).kind()),
            kernel::bindings::NLA_FLAG
        );
        // Reply-only attributes are refused in requests.
        assert_eq!(ADD_POLICY.entry(A_GETS).kind(), 0);
        assert_eq!(ADD_POLICY.entry(A_PAD).kind(), 0);
    }

    #[test]
    fn a_lower_bound_cursor_resumes_after_the_last_dumped_key() -> Result {
        let mut tree = RBTree::new();
        for k in [3u32, 7, 9] {
            tree.insert(RBTreeNode::new(k, entry(b"x"), GFP_KERNEL)?);
        }
        let key = |c: Option<kernel::rbtree::Cursor<'_, u32, Entry>>| c.map(|c| *c.current().0);
        assert_eq!(key(tree.cursor_lower_bound(&0)), Some(3));
        assert_eq!(key(tree.cursor_lower_bound(&4)), Some(7));
        assert_eq!(key(tree.cursor_lower_bound(&9)), Some(9));
        assert_eq!(key(tree.cursor_lower_bound(&10)), None);
        Ok(())
    }
}
