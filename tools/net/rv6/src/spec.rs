//! Static mirrors of the YNL specs (`Documentation/netlink/specs/*.yaml`):
//! a family's name and version, its attribute sets numbered the way
//! `ynl_gen_c.py --mode uapi` numbers them, its enums, and its multicast
//! side (groups and notifications). The generic netlink layer reads replies
//! and notifications and names attributes in kernel errors from these
//! tables; objects parse and print enum values through [`Enum`].
//!
//! The tables of the rv6 families are generated at build time (`build.rs`,
//! `build/specgen.rs`) into [`specs`]: one module per spec file, e.g.
//! `specs::rv6_nf_count` with its `FAMILY`, enums (`HOOK`), the uapi
//! header's numbers (`CMD_GET`, `A_HOOK`) and its `NOTIFICATIONS`; and
//! [`specs::NOTIFICATIONS`], every family's, for `rv6 monitor`. A spec the
//! generator cannot mirror faithfully fails the build.

use std::fmt;

use crate::cli::UsageError;

/// The generated tables: a module per `Documentation/netlink/specs/*.yaml`,
/// named after the file, then `NOTIFICATIONS`, each module's
/// `NOTIFICATIONS` in file name order. Not every constant is used by an
/// object.
#[allow(dead_code)]
pub mod specs {
    include!(concat!(env!("OUT_DIR"), "/specs.rs"));
}

/// A generic netlink family as its YAML spec describes it, with the
/// attribute set its requests and replies use (a spec with several sets
/// gives one `FamilySpec` per set; a nest names the one of its set).
#[derive(Debug)]
pub struct FamilySpec {
    /// The family name registered with nlctrl (`name:` in the spec).
    pub name: &'static str,
    /// The version sent in every request's genetlink header.
    pub version: u8,
    /// The kernel module registering the family, for the "not found" hint.
    pub module: Option<&'static str>,
    /// The attribute set, in spec order.
    pub attrs: &'static [AttrSpec],
}

impl FamilySpec {
    /// The attribute with number `id`.
    pub fn attr(&self, id: u16) -> Option<&'static AttrSpec> {
        self.attrs.iter().find(|a| a.id == id)
    }

    /// The spec name of attribute `id`, or `type N` for one the spec lacks.
    pub fn attr_name(&self, id: u16) -> String {
        match self.attr(id) {
            Some(a) => a.name.to_string(),
            None => format!("type {id}"),
        }
    }
}

/// One attribute of an attribute set.
#[derive(Debug)]
pub struct AttrSpec {
    pub id: u16,
    /// The spec name, which is also the JSON key.
    pub name: &'static str,
    pub kind: Kind,
}

/// How an attribute's payload reads (native byte order, as genetlink sends
/// it): one kind per spec `type:` the generator maps.
#[allow(dead_code)] // the generated tables use the kinds their specs need
pub enum Kind {
    /// Alignment padding for 64-bit attributes: never shown.
    Pad,
    U8,
    U16,
    U32,
    U64,
    /// YNL's `uint`: a u32 or a u64, whichever the value needs.
    Uint,
    /// A u32 holding an entry of the enum.
    EnumU32(&'static Enum),
    /// A NUL-terminated string.
    String,
    /// No payload: present or not.
    Flag,
    /// Binary data, shown as hex.
    Binary,
    /// A binary of 16 bytes with `display-hint: ipv6`, shown as an address.
    Ipv6,
    /// Attributes nested in this one, of the set whose table this is
    /// (`nested-attributes`).
    Nest(&'static FamilySpec),
    /// A `multi-attr` nest: the attribute repeats, each one a nest of the
    /// set, and all of them are read, in the order they came.
    MultiNest(&'static FamilySpec),
    /// A `multi-attr` scalar: the attribute repeats, each one of the inner
    /// kind (never a nest, a flag or a pad), and all of them are read, in
    /// the order they came.
    Multi(&'static Kind),
    /// Named in errors but never read: nlctrl's nested arrays, which the
    /// netlink layer reads through neli's own nlctrl types.
    Opaque,
}

/// By hand, as a nest's set may nest itself: a nest shows the attribute
/// names of its set, not the set.
impl fmt::Debug for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = |set: &FamilySpec| set.attrs.iter().map(|a| a.name).collect::<Vec<_>>();
        match self {
            Kind::Pad => f.write_str("Pad"),
            Kind::U8 => f.write_str("U8"),
            Kind::U16 => f.write_str("U16"),
            Kind::U32 => f.write_str("U32"),
            Kind::U64 => f.write_str("U64"),
            Kind::Uint => f.write_str("Uint"),
            Kind::EnumU32(e) => f.debug_tuple("EnumU32").field(e).finish(),
            Kind::String => f.write_str("String"),
            Kind::Flag => f.write_str("Flag"),
            Kind::Binary => f.write_str("Binary"),
            Kind::Ipv6 => f.write_str("Ipv6"),
            Kind::Nest(set) => f.debug_tuple("Nest").field(&names(set)).finish(),
            Kind::MultiNest(set) => f.debug_tuple("MultiNest").field(&names(set)).finish(),
            Kind::Multi(kind) => f.debug_tuple("Multi").field(kind).finish(),
            Kind::Opaque => f.write_str("Opaque"),
        }
    }
}

/// An enum of the spec (`definitions:`, `type: enum`): entries count from
/// `start` (the spec's `value-start`, default 0).
#[derive(Debug)]
pub struct Enum {
    /// The placeholder the help and man page use for it, e.g. `HOOK`.
    pub meta: &'static str,
    /// The value of the first entry; the others follow it.
    pub start: u32,
    pub entries: &'static [&'static str],
}

impl Enum {
    /// The value of the entry spelt `arg` (exactly: values are not keywords,
    /// so no prefixes, as iproute2 does for its tables).
    pub fn parse(&self, arg: &str) -> Result<u32, UsageError> {
        self.entries
            .iter()
            .position(|e| *e == arg)
            .map(|i| self.start + i as u32)
            .ok_or_else(|| UsageError::Wrong {
                arg: arg.to_string(),
                why: format!("{} must be one of {}", self.meta, self.entries.join(", ")),
            })
    }

    /// The name of value `v`, if the spec has it.
    pub fn name(&self, v: u32) -> Option<&'static str> {
        let i = v.checked_sub(self.start)?;
        self.entries.get(i as usize).copied()
    }

    /// The help's definition line, `HOOK := { a | b }`.
    pub fn where_line(&self) -> String {
        format!("{} := {{ {} }}", self.meta, self.entries.join(" | "))
    }
}

/// A family's multicast side, for `rv6 monitor`: one per spec, whether or
/// not it has any.
#[derive(Debug)]
pub struct Notifications {
    /// The family name registered with nlctrl.
    pub family: &'static str,
    /// The kernel module registering the family, for the "not found" hint.
    pub module: Option<&'static str>,
    /// Its multicast groups (`mcast-groups`), by name, in spec order.
    pub groups: &'static [&'static str],
    /// Its notifications, in spec order.
    pub list: &'static [Notification],
}

impl Notifications {
    /// The notification with command number `cmd`.
    pub fn get(&self, cmd: u8) -> Option<&'static Notification> {
        self.list.iter().find(|n| n.cmd == cmd)
    }
}

/// An operation the kernel multicasts: one with `notify: OP`, whose message
/// is OP's reply, or with `event:`.
#[derive(Debug)]
pub struct Notification {
    pub cmd: u8,
    /// The operation's spec name, e.g. `entry-add-ntf`.
    pub name: &'static str,
    /// The attribute set to read it with: OP's for `notify`, the
    /// operation's own for `event`.
    pub set: &'static FamilySpec,
}

/// The generator's test spec (`testdata/specs`), generated as the real
/// ones are: what the rv6 specs do not exercise yet.
#[cfg(test)]
#[allow(dead_code)]
pub mod test_specs {
    include!(concat!(env!("OUT_DIR"), "/test_specs.rs"));
}

/// The generator itself, for its refusals.
#[cfg(test)]
#[path = "../build/specgen.rs"]
mod specgen;

#[cfg(test)]
mod tests {
    use super::*;

    static COLOUR: Enum = Enum {
        meta: "COLOUR",
        start: 0,
        entries: &["red", "green", "red-ish"],
    };

    #[test]
    fn enum_values_are_exact_names_not_prefixes() {
        assert_eq!(COLOUR.parse("red"), Ok(0));
        assert_eq!(COLOUR.parse("red-ish"), Ok(2));
        assert_eq!(
            COLOUR.parse("gr").unwrap_err().to_string(),
            "Error: argument \"gr\" is wrong: COLOUR must be one of red, green, red-ish"
        );
        assert!(COLOUR.parse("1").is_err());
        assert_eq!(COLOUR.name(1), Some("green"));
        assert_eq!(COLOUR.name(3), None);
        assert_eq!(COLOUR.where_line(), "COLOUR := { red | green | red-ish }");
    }

    #[test]
    fn unknown_attributes_are_named_by_number() {
        static F: FamilySpec = FamilySpec {
            name: "x",
            version: 1,
            module: None,
            attrs: &[AttrSpec {
                id: 2,
                name: "hook",
                kind: Kind::U32,
            }],
        };
        assert_eq!(F.attr_name(2), "hook");
        assert_eq!(F.attr_name(9), "type 9");
    }

    /// The test spec's tables, numbered as ynl_gen_c.py numbers its uapi
    /// header: `unused` 0 then counting up, `value:` mid-set resets the
    /// count, two sets give two families and set-prefixed constants,
    /// operations count across `value:`, the enum from `value-start`; nests
    /// point at their set's table.
    #[test]
    fn the_test_spec_generates_ynl_numbers() {
        use test_specs::rv6_test::*;
        let main: Vec<(u16, &str)> = FAMILY_MAIN.attrs.iter().map(|a| (a.id, a.name)).collect();
        assert_eq!(
            main,
            [
                (1, "pad"),
                (2, "colour"),
                (10, "small"),
                (11, "medium"),
                (12, "count"),
                (13, "any"),
                (14, "label"),
                (15, "on"),
                (16, "blob"),
                (17, "inner"),
                (18, "addr"),
                (19, "mac"),
                (20, "inners"),
                (21, "addrs"),
            ]
        );
        assert_eq!((A_MAIN_UNSPEC, A_MAIN_PAD, A_MAIN_INNER), (0, 1, 17));
        let kinds: Vec<String> = FAMILY_MAIN
            .attrs
            .iter()
            .map(|a| format!("{:?}", a.kind))
            .map(|k| k.split('(').next().unwrap_or_default().to_string())
            .collect();
        assert_eq!(
            kinds,
            [
                "Pad",
                "EnumU32",
                "U8",
                "U16",
                "U64",
                "Uint",
                "String",
                "Flag",
                "Binary",
                "Nest",
                "Ipv6",
                "Binary",
                "MultiNest",
                "Multi"
            ]
        );
        assert_eq!(format!("{:?}", FAMILY_MAIN.attrs[13].kind), "Multi(Ipv6)");
        assert!(matches!(FAMILY_MAIN.attrs[1].kind, Kind::EnumU32(e) if std::ptr::eq(e, &COLOUR)));
        assert!(
            matches!(FAMILY_MAIN.attrs[9].kind, Kind::Nest(s) if std::ptr::eq(s, &FAMILY_INNER))
        );
        assert!(
            matches!(FAMILY_MAIN.attrs[12].kind, Kind::MultiNest(s) if std::ptr::eq(s, &FAMILY_INNER))
        );
        assert_eq!(
            format!("{:?}", FAMILY_MAIN.attrs[12].kind),
            "MultiNest([\"count\"])"
        );
        assert_eq!(FAMILY_INNER.attrs.len(), 1);
        assert_eq!((A_INNER_COUNT, FAMILY_INNER.attrs[0].name), (1, "count"));
        for f in [&FAMILY_MAIN, &FAMILY_INNER] {
            assert_eq!(
                (f.name, f.version, f.module),
                ("rv6-test", 2, Some("rv6_test"))
            );
        }
        assert_eq!(
            (CMD_GET, CMD_SET_ALL, CMD_NTF, CMD_GET_NTF, CMD_ALARM),
            (1, 7, 8, 9, 20)
        );
        assert_eq!(MAX_LABEL, 15);
        assert_eq!((COLOUR.meta, COLOUR.start), ("COLOUR", 3));
        assert_eq!(COLOUR.entries, ["red", "green", "blue"]);
        assert_eq!(COLOUR.parse("green"), Ok(4));
        assert_eq!(
            (COLOUR.name(3), COLOUR.name(5)),
            (Some("red"), Some("blue"))
        );
        assert_eq!((COLOUR.name(2), COLOUR.name(6)), (None, None));
    }

    /// The test spec's multicast side: both groups, a `notify` read by the
    /// notified operation's set (main), an `event` by its own (inner), each
    /// under its operation's number; plain operations are not listed.
    #[test]
    fn the_test_spec_lists_its_notifications() {
        use test_specs::rv6_test::*;
        let n = &NOTIFICATIONS;
        assert_eq!(
            (n.family, n.module, n.groups),
            ("rv6-test", Some("rv6_test"), &["changes", "alarms"][..])
        );
        let list: Vec<(u8, &str)> = n.list.iter().map(|n| (n.cmd, n.name)).collect();
        assert_eq!(list, [(9, "get-ntf"), (20, "alarm")]);
        assert!(std::ptr::eq(n.list[0].set, &FAMILY_MAIN));
        assert!(std::ptr::eq(n.list[1].set, &FAMILY_INNER));
        assert_eq!(n.get(CMD_ALARM).map(|n| n.name), Some("alarm"));
        assert!(n.get(CMD_GET).is_none());
        assert_eq!(test_specs::NOTIFICATIONS.len(), 1);
        assert!(std::ptr::eq(test_specs::NOTIFICATIONS[0], n));
    }

    /// Every real spec has its table in the list, in file order.
    #[test]
    fn every_spec_lists_its_notifications() {
        let families: Vec<&str> = specs::NOTIFICATIONS.iter().map(|n| n.family).collect();
        assert_eq!(
            families,
            [
                "rv6-ct-dhcpv6",
                "rv6-ct-ftp",
                "rv6-genl-test",
                "rv6-guard",
                "rv6-mip6",
                "rv6-nf-count",
                "rv6-ninfo",
                "rv6-shim6",
                "rv6-migrate"
            ]
        );
        for n in specs::NOTIFICATIONS {
            // A family is named after its module, but for one whose name does
            // not fit GENL_NAMSIZ (15 characters): rv6_xfrm_migrate's.
            let family = match n.module {
                Some("rv6_xfrm_migrate") => Some("rv6-migrate".to_string()),
                m => m.map(|m| m.replace('_', "-")),
            };
            assert_eq!(family.as_deref(), Some(n.family));
        }
    }
}
