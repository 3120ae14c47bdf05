//! The generator behind `build.rs`: a YNL spec (YAML) in, the Rust source of
//! one module of [`crate::spec::specs`] out. The crate's tests include this
//! file too (`spec.rs`, under `cfg(test)`), to feed it specs it must refuse.
//!
//! For a spec `rv6_foo.yaml` the module `rv6_foo` holds:
//!
//! - `FAMILY`, a `FamilySpec`: the family's `name`, its `version` (1 unless
//!   the spec says), `module: Some("rv6_foo")` (the kernel module is named
//!   after the spec file) and its attribute set. A spec with several sets
//!   gets one `FAMILY_<SET>` per set instead, for an object to pick the set
//!   its operation uses;
//! - one `Enum` static per `definitions:` entry of `type: enum`, named and
//!   with `meta` after it (`hook` is `HOOK`), and a `u64` const per `type:
//!   const`;
//! - `CMD_<OP>: u8` per operation and `A_<ATTR>: u16` per attribute
//!   (`A_<SET>_<ATTR>` with several sets), named as the uapi header names
//!   them without the family prefix;
//! - `NOTIFICATIONS`, a `Notifications`: the family's multicast groups
//!   (`mcast-groups`) by name, and each operation the kernel multicasts with
//!   its command number and the `FamilySpec` to read it by: for `notify: OP`
//!   OP's attribute set (the message is OP's reply), for `event:` the
//!   operation's own. Every spec has one, empty if it multicasts nothing.
//!
//! Numbers follow `tools/net/ynl/pyynl/lib/nlspec.py`, which
//! `ynl_gen_c.py --mode uapi` renders: in an attribute set the first
//! attribute is 1, an attribute with `value:` takes it, and each following
//! one counts up from its predecessor; operations number the same way;
//! enum entries count from `value-start` (default 0). The spec is read and
//! numbered by `model.rs`, which the test of the kernel modules' constants
//! (`tests/kernel_families.rs`) shares.
//!
//! Whatever would make a table wrong is refused with an error naming it
//! rather than skipped: other protocols and message-id models, fixed
//! headers, subsets, signed, big-endian, multi-attr flags, pads and enums,
//! and other attribute types the tool cannot read, nests without a known
//! `nested-attributes`, enums used as flags or at widths other than u32,
//! sparse enums, names that do not make identifiers or collide, and
//! notifications whose attributes cannot be told: a `notify` naming no
//! operation, or one without an attribute set or reply, an `event` without
//! an attribute set, attributes the set lacks, an `mcgrp` that is no group.
//! Keys that only concern C (name prefixes, policy checks, docs) are
//! ignored, and so are display hints but `ipv6` on a binary, which reads as
//! an address.

use std::collections::{BTreeMap, BTreeSet};

// The spec as read, and its numbers (nlspec.py's), shared with the test of
// the kernel modules' constants.
#[path = "model.rs"]
mod model;

use model::{Attr, AttrSet, Definition, Op, Spec};

/// The Rust module for the spec `yaml`: `module` names it (and the kernel
/// module in `FAMILY`), `source` is the spec's path for the docs.
pub fn generate(module: &str, source: &str, yaml: &str) -> Result<String, String> {
    let spec: Spec = model::parse(yaml)?;
    if !is_ident(module, false) {
        return Err(format!("\"{module}\" does not make a module name"));
    }
    match spec.protocol.as_str() {
        "genetlink" | "genetlink-c" | "genetlink-legacy" => {}
        p => return Err(format!("protocol {p} is not supported")),
    }
    if let Some(m) = spec.msg_id_model.as_deref().filter(|m| *m != "unified") {
        return Err(format!("msg-id-model {m} is not supported"));
    }
    if spec.operations.fixed_header.is_some() {
        return Err("fixed headers are not supported".into());
    }
    let version = spec.version();
    let version =
        u8::try_from(version).map_err(|_| format!("version {version} does not fit a u8"))?;

    let several = spec.attribute_sets.len() > 1;
    let mut g = Gen {
        code: String::new(),
        names: BTreeSet::new(),
        enums: BTreeMap::new(),
        statics: spec
            .attribute_sets
            .iter()
            .map(|s| (s.name.clone(), set_names(&s.name, several).0))
            .collect(),
    };
    let mut doc = format!("Family `{}`, from {source}.", spec.name);
    if let Some(d) = &spec.doc {
        doc += "\n\n";
        doc += d.trim_end();
    }
    g.line(0, &format!("#[doc = {doc:?}]"));
    g.line(0, &format!("pub mod {module} {{"));
    g.line(1, "#[allow(unused_imports)]");
    g.line(
        1,
        "use crate::spec::{AttrSpec, Enum, FamilySpec, Kind, Notification, Notifications};",
    );

    for d in &spec.definitions {
        g.definition(d)
            .map_err(|e| format!("definition {}: {e}", d.name))?;
    }

    let sets: BTreeMap<&str, &AttrSet> = spec
        .attribute_sets
        .iter()
        .map(|s| (s.name.as_str(), s))
        .collect();
    let cmds = g.ops(&spec.operations.numbered(), &sets)?;

    for set in &spec.attribute_sets {
        g.family(&spec, module, version, set, several)
            .map_err(|e| format!("attribute set {}: {e}", set.name))?;
    }
    g.notifications(&spec, module, &sets, &cmds)?;
    g.line(0, "}");
    Ok(g.code)
}

/// The code written so far and the item names it defines.
struct Gen {
    code: String,
    names: BTreeSet<String>,
    /// The `Enum` static of each enum definition, by spec name.
    enums: BTreeMap<String, String>,
    /// The `FamilySpec` static of each attribute set, by spec name.
    statics: BTreeMap<String, String>,
}

impl Gen {
    fn line(&mut self, indent: usize, text: &str) {
        if !text.is_empty() {
            self.code += &"    ".repeat(indent);
            self.code += text;
        }
        self.code += "\n";
    }

    /// Takes `name` for an item: refused if it is no identifier or taken.
    fn claim(&mut self, name: &str) -> Result<(), String> {
        if !is_ident(name, true) {
            return Err(format!("\"{name}\" does not make an identifier"));
        }
        if !self.names.insert(name.to_string()) {
            return Err(format!("two items would be named {name}"));
        }
        Ok(())
    }

    /// `summary`, then the spec's `doc:` if it has one.
    fn doc(&mut self, indent: usize, summary: String, doc: Option<&str>) {
        let mut text = summary;
        match doc {
            Some(d) => {
                text += ": ";
                text += d.trim_end();
            }
            None => text += ".",
        }
        self.line(indent, &format!("#[doc = {text:?}]"));
    }

    /// An enum becomes an `Enum` static (recorded for the attributes that
    /// use it), a const a `u64` const; flags and structs, which no supported
    /// attribute can use, are left out.
    fn definition(&mut self, d: &Definition) -> Result<(), String> {
        let name = upper(&d.name);
        match d.ty.as_str() {
            "enum" => {
                let mut entries = Vec::new();
                let mut next = d.value_start;
                for (entry, value) in d.entry_values() {
                    if value != next {
                        return Err(format!(
                            "entry {entry} is not numbered {next}: sparse enums are not supported"
                        ));
                    }
                    entries.push(format!("{entry:?}"));
                    next += 1;
                }
                if u32::try_from(d.value_start).is_err() || next > u64::from(u32::MAX) + 1 {
                    return Err("the values do not fit a u32".into());
                }
                self.claim(&name)?;
                self.line(1, "");
                self.doc(1, format!("`definitions: {}`", d.name), d.doc.as_deref());
                self.line(1, &format!("pub static {name}: Enum = Enum {{"));
                self.line(2, &format!("meta: {name:?},"));
                self.line(2, &format!("start: {},", d.value_start));
                self.line(2, &format!("entries: &[{}],", entries.join(", ")));
                self.line(1, "};");
                self.enums.insert(d.name.clone(), name);
            }
            "const" => {
                let value = d.value.ok_or("a const needs an integer value")?;
                self.claim(&name)?;
                self.line(1, "");
                self.doc(1, format!("`definitions: {}`", d.name), d.doc.as_deref());
                self.line(1, &format!("pub const {name}: u64 = {value};"));
            }
            "flags" | "struct" => {}
            t => return Err(format!("type {t} is not supported")),
        }
        Ok(())
    }

    /// The constants of attribute set `set` and the `FamilySpec` with it:
    /// `FAMILY` and `A_<ATTR>`, or with `several` sets in the spec,
    /// `FAMILY_<SET>` and `A_<SET>_<ATTR>`.
    fn family(
        &mut self,
        spec: &Spec,
        module: &str,
        version: u8,
        set: &AttrSet,
        several: bool,
    ) -> Result<(), String> {
        let (statik, prefix) = set_names(&set.name, several);
        let rows = self.attr_set(set, &prefix)?;
        self.claim(&statik)?;
        self.line(1, "");
        let doc = format!(
            "The family `{}` with its attribute set `{}`.",
            spec.name, set.name
        );
        self.line(1, &format!("#[doc = {doc:?}]"));
        self.line(
            1,
            &format!("pub static {statik}: FamilySpec = FamilySpec {{"),
        );
        self.line(2, &format!("name: {:?},", spec.name));
        self.line(2, &format!("version: {version},"));
        self.line(2, &format!("module: Some({module:?}),"));
        self.line(2, "attrs: &[");
        for (constant, name, kind) in rows {
            self.line(
                3,
                &format!("AttrSpec {{ id: {constant}, name: {name:?}, kind: {kind} }},"),
            );
        }
        self.line(2, "],");
        self.line(1, "};");
        Ok(())
    }

    /// `CMD_<OP>` for each operation, with the numbers nlspec.py gives
    /// them (`ops`); returns their names, in operation order.
    fn ops(
        &mut self,
        ops: &[(&Op, u64)],
        sets: &BTreeMap<&str, &AttrSet>,
    ) -> Result<Vec<String>, String> {
        let mut taken = BTreeSet::new();
        let mut names = Vec::new();
        for &(op, value) in ops {
            let err = |e: String| format!("operation {}: {e}", op.name);
            if op.fixed_header.is_some() {
                return Err(err("fixed headers are not supported".into()));
            }
            if let Some(set) = op
                .attribute_set
                .as_deref()
                .filter(|s| !sets.contains_key(s))
            {
                return Err(err(format!("no attribute set {set}")));
            }
            let cmd = u8::try_from(value).map_err(|_| err(format!("{value} is not a u8")))?;
            if !taken.insert(cmd) {
                return Err(err(format!("{cmd} is taken")));
            }
            let name = format!("CMD_{}", upper(&op.name));
            self.claim(&name).map_err(err)?;
            self.line(1, "");
            self.doc(1, format!("Operation `{}`", op.name), op.doc.as_deref());
            self.line(1, &format!("pub const {name}: u8 = {cmd};"));
            names.push(name);
        }
        Ok(names)
    }

    /// `NOTIFICATIONS`: the multicast groups and every operation with
    /// `notify` or `event`, by its `CMD_<OP>` (`cmds`, in operation order).
    fn notifications(
        &mut self,
        spec: &Spec,
        module: &str,
        sets: &BTreeMap<&str, &AttrSet>,
        cmds: &[String],
    ) -> Result<(), String> {
        let mut groups = Vec::new();
        for g in &spec.mcast_groups.list {
            if groups.contains(&g.name) {
                return Err(format!("two multicast groups are named {}", g.name));
            }
            groups.push(g.name.clone());
        }
        let ops = &spec.operations.list;
        let mut rows = Vec::new();
        for (op, cmd) in ops.iter().zip(cmds) {
            let err = |e: String| format!("operation {}: {e}", op.name);
            let set = match (&op.notify, &op.event) {
                (None, None) => continue,
                (Some(_), Some(_)) => return Err(err("it has both notify and event".into())),
                (Some(target), None) => notified_set(op, target, ops, sets).map_err(err)?,
                (None, Some(event)) => {
                    let set = op
                        .attribute_set
                        .as_deref()
                        .ok_or_else(|| err("an event needs an attribute-set".into()))?;
                    check_attrs(sets[set], &event.attributes)
                        .map_err(|e| err(format!("event: {e}")))?;
                    set
                }
            };
            if let Some(g) = op.mcgrp.as_ref().filter(|g| !groups.contains(g)) {
                return Err(err(format!("mcgrp {g} is no multicast group of the spec")));
            }
            rows.push(format!(
                "Notification {{ cmd: {cmd}, name: {:?}, set: &{} }},",
                op.name, self.statics[set]
            ));
        }
        self.claim("NOTIFICATIONS")?;
        self.line(1, "");
        let doc = format!(
            "The multicast groups and notifications of the family `{}`.",
            spec.name
        );
        self.line(1, &format!("#[doc = {doc:?}]"));
        self.line(
            1,
            "pub static NOTIFICATIONS: Notifications = Notifications {",
        );
        self.line(2, &format!("family: {:?},", spec.name));
        self.line(2, &format!("module: Some({module:?}),"));
        self.line(2, &format!("groups: &{groups:?},"));
        if rows.is_empty() {
            self.line(2, "list: &[],");
        } else {
            self.line(2, "list: &[");
            for row in rows {
                self.line(3, &row);
            }
            self.line(2, "],");
        }
        self.line(1, "};");
        Ok(())
    }

    /// The constants of one attribute set; returns its table rows
    /// (constant, spec name, kind), `unused` attributes left out.
    fn attr_set(
        &mut self,
        set: &AttrSet,
        prefix: &str,
    ) -> Result<Vec<(String, String, String)>, String> {
        if let Some(parent) = &set.subset_of {
            return Err(format!("subsets (of {parent}) are not supported"));
        }
        let mut rows = Vec::new();
        let mut taken = BTreeSet::new();
        for (a, value) in set.numbered() {
            let err = |e: String| format!("attribute {}: {e}", a.name);
            let id = u16::try_from(value).map_err(|_| err(format!("{value} is not a u16")))?;
            if !taken.insert(id) {
                return Err(err(format!("{id} is taken")));
            }
            let kind = kind(a, &self.enums, &self.statics).map_err(err)?;
            let constant = format!("{prefix}{}", upper(&a.name));
            self.claim(&constant).map_err(err)?;
            self.line(1, "");
            self.doc(1, format!("Attribute `{}`", a.name), a.doc.as_deref());
            self.line(1, &format!("pub const {constant}: u16 = {id};"));
            if let Some(kind) = kind {
                rows.push((constant, a.name.clone(), kind));
            }
        }
        Ok(rows)
    }
}

/// The static and the constant prefix of attribute set `set`: `FAMILY` and
/// `A_`, or with `several` sets in the spec, `FAMILY_<SET>` and `A_<SET>_`.
fn set_names(set: &str, several: bool) -> (String, String) {
    if several {
        let set = upper(set);
        (format!("FAMILY_{set}"), format!("A_{set}_"))
    } else {
        ("FAMILY".to_string(), "A_".to_string())
    }
}

/// The attribute set a `notify: target` notification of `op` is read by:
/// `target`'s, which must have a reply (the notification's attributes).
fn notified_set<'a>(
    op: &Op,
    target: &str,
    ops: &'a [Op],
    sets: &BTreeMap<&str, &AttrSet>,
) -> Result<&'a str, String> {
    let notified = ops
        .iter()
        .find(|o| o.name == target)
        .ok_or_else(|| format!("notify: no operation {target}"))?;
    let set = notified
        .attribute_set
        .as_deref()
        .ok_or_else(|| format!("notify: {target} has no attribute-set"))?;
    if let Some(own) = op.attribute_set.as_deref().filter(|s| *s != set) {
        return Err(format!(
            "notify: its attribute-set {own} is not {target}'s, {set}"
        ));
    }
    // As ynl_gen_c.py, the do reply, else the dump's.
    let reply = [&notified.doit, &notified.dump]
        .into_iter()
        .flatten()
        .find_map(|m| m.reply.as_ref())
        .ok_or_else(|| format!("notify: {target} has no reply"))?;
    check_attrs(sets[set], &reply.attributes).map_err(|e| format!("notify: {target}: {e}"))?;
    Ok(set)
}

/// Refuses an attribute name `set` lacks.
fn check_attrs(set: &AttrSet, names: &[String]) -> Result<(), String> {
    match names
        .iter()
        .find(|n| !set.attributes.iter().any(|a| a.name == **n))
    {
        Some(n) => Err(format!("no attribute {n} in attribute set {}", set.name)),
        None => Ok(()),
    }
}

/// The `Kind` expression for an attribute; `None` for `unused`, which only
/// holds its number. `statics` names each attribute set's `FamilySpec`, for
/// nests.
fn kind(
    a: &Attr,
    enums: &BTreeMap<String, String>,
    statics: &BTreeMap<String, String>,
) -> Result<Option<String>, String> {
    // A repeated nest reads as a list of records, a repeated scalar as a
    // list of values; a repeated flag or pad means nothing, and an enum's
    // entries are only named in a u32 of their own.
    if a.multi_attr && matches!(a.ty.as_str(), "flag" | "pad" | "unused") {
        return Err(format!("multi-attr is not supported on a {}", a.ty));
    }
    if a.multi_attr && a.enumeration.is_some() {
        return Err("multi-attr is not supported on an enum".into());
    }
    if let Some(order) = &a.byte_order {
        return Err(format!("byte-order {order} is not supported"));
    }
    if let Some(e) = &a.enumeration {
        if a.ty != "u32" {
            return Err(format!("an enum in a {} is not supported (only u32)", a.ty));
        }
        if a.enum_as_flags {
            return Err("enum-as-flags is not supported".into());
        }
        let name = enums
            .get(e)
            .ok_or_else(|| format!("{e} is no enum of the definitions"))?;
        return Ok(Some(format!("Kind::EnumU32(&{name})")));
    }
    let kind = match a.ty.as_str() {
        "unused" => return Ok(None),
        "pad" => "Pad",
        "u8" => "U8",
        "u16" => "U16",
        "u32" => "U32",
        "u64" => "U64",
        "uint" => "Uint",
        "string" => "String",
        "flag" => "Flag",
        "binary" if a.display_hint.as_deref() == Some("ipv6") => "Ipv6",
        "binary" => "Binary",
        "nest" => {
            let set = a
                .nested_attributes
                .as_deref()
                .ok_or("a nest needs nested-attributes")?;
            let statik = statics
                .get(set)
                .ok_or_else(|| format!("nested-attributes: no attribute set {set}"))?;
            let nest = if a.multi_attr { "MultiNest" } else { "Nest" };
            return Ok(Some(format!("Kind::{nest}(&{statik})")));
        }
        t => return Err(format!("type {t} is not supported")),
    };
    if a.multi_attr {
        return Ok(Some(format!("Kind::Multi(&Kind::{kind})")));
    }
    Ok(Some(format!("Kind::{kind}")))
}

/// `stats-get` is `STATS_GET`, as the uapi header spells it.
fn upper(name: &str) -> String {
    name.to_uppercase().replace('-', "_")
}

/// An identifier of ASCII letters, digits and `_`, not starting with a
/// digit: upper case for items, lower case for modules.
fn is_ident(s: &str, upper: bool) -> bool {
    let letter = |c: char| {
        c == '_'
            || if upper {
                c.is_ascii_uppercase()
            } else {
                c.is_ascii_lowercase()
            }
    };
    s.starts_with(letter) && s.chars().all(|c| letter(c) || c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gen(yaml: &str) -> Result<String, String> {
        generate("rv6_t", "t.yaml", yaml)
    }

    fn err(body: &str) -> String {
        gen(&format!("name: t\n{body}")).unwrap_err()
    }

    /// A one-attribute spec whose attribute carries `fields`.
    fn attr_err(fields: &str) -> String {
        err(&format!(
            "attribute-sets:\n  - name: s\n    attributes:\n      - name: x\n        {fields}\n"
        ))
    }

    #[test]
    fn numbers_follow_nlspec() {
        let code = gen("name: t\n\
             attribute-sets:\n  - name: s\n    attributes:\n\
             \x20     - { name: a, type: u32 }\n\
             \x20     - { name: b, type: u32, value: 7 }\n\
             \x20     - { name: c, type: u32 }\n\
             \x20     - { name: d, type: u32, value: 3 }\n\
             operations:\n  list:\n    - { name: x }\n    - { name: y-z, value: 9 }\n    - { name: w }\n")
        .unwrap();
        for line in [
            "pub const A_A: u16 = 1;",
            "pub const A_B: u16 = 7;",
            "pub const A_C: u16 = 8;",
            "pub const A_D: u16 = 3;",
            "pub const CMD_X: u8 = 1;",
            "pub const CMD_Y_Z: u8 = 9;",
            "pub const CMD_W: u8 = 10;",
            "pub static FAMILY: FamilySpec",
            "version: 1,",
            "module: Some(\"rv6_t\"),",
        ] {
            assert!(code.contains(line), "{line}\n{code}");
        }
    }

    #[test]
    fn unsupported_specs_are_refused_by_name() {
        assert_eq!(
            attr_err("type: s32"),
            "attribute set s: attribute x: type s32 is not supported"
        );
        assert_eq!(
            attr_err("type: flag\n        multi-attr: true"),
            "attribute set s: attribute x: multi-attr is not supported on a flag"
        );
        assert_eq!(
            attr_err("type: pad\n        multi-attr: true"),
            "attribute set s: attribute x: multi-attr is not supported on a pad"
        );
        assert_eq!(
            attr_err("type: u32\n        enum: e\n        multi-attr: true"),
            "attribute set s: attribute x: multi-attr is not supported on an enum"
        );
        assert_eq!(
            attr_err("type: u32\n        byte-order: big-endian"),
            "attribute set s: attribute x: byte-order big-endian is not supported"
        );
        assert_eq!(
            attr_err("type: u8\n        enum: e"),
            "attribute set s: attribute x: an enum in a u8 is not supported (only u32)"
        );
        assert_eq!(
            attr_err("type: u32\n        enum: e"),
            "attribute set s: attribute x: e is no enum of the definitions"
        );
        assert_eq!(
            err("protocol: netlink-raw\n"),
            "protocol netlink-raw is not supported"
        );
        assert_eq!(
            err("msg-id-model: directional\n"),
            "msg-id-model directional is not supported"
        );
        assert_eq!(err("version: 256\n"), "version 256 does not fit a u8");
        assert_eq!(
            err("definitions:\n  - { name: e, type: enum, entries: [ a, { name: b, value: 5 } ] }\n"),
            "definition e: entry b is not numbered 1: sparse enums are not supported"
        );
        assert_eq!(
            err("definitions:\n  - { name: 2e, type: enum, entries: [ a ] }\n"),
            "definition 2e: \"2E\" does not make an identifier"
        );
        assert_eq!(
            err("attribute-sets:\n  - { name: s, subset-of: p, attributes: [] }\n"),
            "attribute set s: subsets (of p) are not supported"
        );
        assert_eq!(
            err("operations:\n  list:\n    - { name: a, value: 2 }\n    - { name: b, value: 2 }\n"),
            "operation b: 2 is taken"
        );
        assert_eq!(
            err("operations:\n  list:\n    - { name: a, value: 256 }\n"),
            "operation a: 256 is not a u8"
        );
        assert_eq!(
            err("operations:\n  list:\n    - { name: a, attribute-set: nope }\n"),
            "operation a: no attribute set nope"
        );
        // Names that clash once upper-cased.
        assert_eq!(
            err(
                "definitions:\n  - { name: family, type: const, value: 1 }\n\
                 attribute-sets:\n  - { name: s, attributes: [] }\n"
            ),
            "attribute set s: two items would be named FAMILY"
        );
        assert_eq!(
            err("attribute-sets:\n  - name: s\n    attributes:\n\
                 \x20     - { name: a-b, type: u8 }\n      - { name: a_b, type: u8 }\n"),
            "attribute set s: attribute a_b: two items would be named A_A_B"
        );
        assert!(gen("name: t\nattribute-sets: 3\n").is_err());
        assert!(generate("Rv6", "t.yaml", "name: t\n").is_err());
    }

    /// Two sets (`s`: a u32 `a`, a locator-like multi-attr nest `l` of
    /// `e`; `e`: a u8 `b`, an ipv6 `ip`, multi-attr ipv6s `ips`), a group
    /// `m`, then `ops`.
    fn with_ops(ops: &str) -> Result<String, String> {
        gen(&format!(
            "name: t\n\
             attribute-sets:\n\
             \x20 - name: s\n    attributes:\n\
             \x20     - {{ name: a, type: u32 }}\n\
             \x20     - {{ name: l, type: nest, nested-attributes: e, multi-attr: true }}\n\
             \x20 - name: e\n    attributes:\n\
             \x20     - {{ name: b, type: u8 }}\n\
             \x20     - {{ name: ip, type: binary, display-hint: ipv6 }}\n\
             \x20     - {{ name: ips, type: binary, display-hint: ipv6, multi-attr: true }}\n\
             mcast-groups:\n  list:\n    - {{ name: m }}\n    - {{ name: n }}\n\
             operations:\n  list:\n{ops}"
        ))
    }

    fn ops_err(ops: &str) -> String {
        with_ops(ops).unwrap_err()
    }

    #[test]
    fn notifications_resolve_notify_and_event() {
        let code = with_ops(
            "    - { name: get, attribute-set: s, do: { reply: { attributes: [ a, l ] } } }\n\
             \x20   - { name: get-ntf, notify: get, mcgrp: m }\n\
             \x20   - { name: dump-ntf, notify: dump, mcgrp: n }\n\
             \x20   - { name: ev, value: 7, attribute-set: e, event: { attributes: [ b ] }, mcgrp: m }\n\
             \x20   - { name: set }\n\
             \x20   - { name: dump, attribute-set: e, dump: { reply: { attributes: [ ip ] } } }\n",
        )
        .unwrap();
        for line in [
            "pub const CMD_GET_NTF: u8 = 2;",
            "pub const CMD_DUMP_NTF: u8 = 3;",
            "pub const CMD_EV: u8 = 7;",
            "pub const CMD_SET: u8 = 8;",
            "pub const CMD_DUMP: u8 = 9;",
            "AttrSpec { id: A_S_L, name: \"l\", kind: Kind::MultiNest(&FAMILY_E) },",
            "AttrSpec { id: A_E_IP, name: \"ip\", kind: Kind::Ipv6 },",
            "AttrSpec { id: A_E_IPS, name: \"ips\", kind: Kind::Multi(&Kind::Ipv6) },",
            "pub static NOTIFICATIONS: Notifications = Notifications {",
            "family: \"t\",",
            "groups: &[\"m\", \"n\"],",
            "Notification { cmd: CMD_GET_NTF, name: \"get-ntf\", set: &FAMILY_S },",
            "Notification { cmd: CMD_DUMP_NTF, name: \"dump-ntf\", set: &FAMILY_E },",
            "Notification { cmd: CMD_EV, name: \"ev\", set: &FAMILY_E },",
        ] {
            assert!(code.contains(line), "{line}\n{code}");
        }
        assert_eq!(code.matches("Notification {").count(), 3, "{code}");
        // A spec that multicasts nothing still gets its (empty) table.
        let quiet = gen("name: q\n").unwrap();
        assert!(
            quiet.contains("groups: &[],\n        list: &[],"),
            "{quiet}"
        );
    }

    #[test]
    fn notifications_that_cannot_be_read_are_refused() {
        let get = "    - { name: get, attribute-set: s, do: { reply: { attributes: [ a ] } } }\n";
        for (ops, why) in [
            (
                "    - { name: n, notify: nope }\n".to_string(),
                "operation n: notify: no operation nope",
            ),
            (
                "    - { name: get }\n    - { name: n, notify: get }\n".into(),
                "operation n: notify: get has no attribute-set",
            ),
            (
                "    - { name: get, attribute-set: s, do: { request: { attributes: [ a ] } } }\n\
                 \x20   - { name: n, notify: get }\n"
                    .into(),
                "operation n: notify: get has no reply",
            ),
            (
                "    - { name: get, attribute-set: s, do: { reply: { attributes: [ z ] } } }\n\
                 \x20   - { name: n, notify: get }\n"
                    .into(),
                "operation n: notify: get: no attribute z in attribute set s",
            ),
            (
                format!("{get}    - {{ name: n, notify: get, attribute-set: e }}\n"),
                "operation n: notify: its attribute-set e is not get's, s",
            ),
            (
                "    - { name: n, event: { attributes: [ a ] } }\n".into(),
                "operation n: an event needs an attribute-set",
            ),
            (
                "    - { name: n, attribute-set: s, event: { attributes: [ b ] } }\n".into(),
                "operation n: event: no attribute b in attribute set s",
            ),
            (
                format!("{get}    - {{ name: n, notify: get, event: {{ attributes: [] }} }}\n"),
                "operation n: it has both notify and event",
            ),
            (
                format!("{get}    - {{ name: n, notify: get, mcgrp: x }}\n"),
                "operation n: mcgrp x is no multicast group of the spec",
            ),
        ] {
            assert_eq!(ops_err(&ops), why, "{ops}");
        }
        assert_eq!(
            err("mcast-groups:\n  list:\n    - { name: m }\n    - { name: m }\n"),
            "two multicast groups are named m"
        );
        assert_eq!(
            attr_err("type: nest"),
            "attribute set s: attribute x: a nest needs nested-attributes"
        );
        assert_eq!(
            attr_err("type: nest\n        nested-attributes: q"),
            "attribute set s: attribute x: nested-attributes: no attribute set q"
        );
    }
}
