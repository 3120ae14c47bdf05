//! Static mirrors of the YNL specs (`Documentation/netlink/specs/*.yaml`):
//! a family's name and version, its attribute set numbered the way
//! `ynl_gen_c.py --mode uapi` numbers it, and its enums. The generic netlink
//! layer reads replies and names attributes in kernel errors from these
//! tables; objects parse and print enum values through [`Enum`].

use crate::cli::UsageError;

/// A generic netlink family as its YAML spec describes it.
#[derive(Debug)]
pub struct FamilySpec {
    /// The family name registered with nlctrl (`name:` in the spec).
    pub name: &'static str,
    /// The version sent in every request's genetlink header.
    pub version: u8,
    /// The kernel module registering the family, for the "not found" hint.
    pub module: Option<&'static str>,
    /// The attribute set requests and replies use, in spec order.
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

/// How an attribute's payload reads (native byte order, as genetlink sends it).
#[derive(Debug)]
pub enum Kind {
    /// Alignment padding for 64-bit attributes: never shown.
    Pad,
    U16,
    U32,
    U64,
    /// A u32 holding an entry of the enum.
    EnumU32(&'static Enum),
    /// A NUL-terminated string.
    String,
    /// Nested attributes: named in errors, not decoded.
    Nest,
}

/// An enum of the spec (`definitions:`, `type: enum`): entries count from 0.
#[derive(Debug)]
pub struct Enum {
    /// The placeholder the help and man page use for it, e.g. `HOOK`.
    pub meta: &'static str,
    pub entries: &'static [&'static str],
}

impl Enum {
    /// The value of the entry spelt `arg` (exactly: values are not keywords,
    /// so no prefixes, as iproute2 does for its tables).
    pub fn parse(&self, arg: &str) -> Result<u32, UsageError> {
        self.entries
            .iter()
            .position(|e| *e == arg)
            .map(|i| i as u32)
            .ok_or_else(|| UsageError::Wrong {
                arg: arg.to_string(),
                why: format!("{} must be one of {}", self.meta, self.entries.join(", ")),
            })
    }

    /// The name of value `v`, if the spec has it.
    pub fn name(&self, v: u32) -> Option<&'static str> {
        self.entries.get(v as usize).copied()
    }

    /// The help's definition line, `HOOK := { a | b }`.
    pub fn where_line(&self) -> String {
        format!("{} := {{ {} }}", self.meta, self.entries.join(" | "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static COLOUR: Enum = Enum {
        meta: "COLOUR",
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
}
