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
//!   them without the family prefix.
//!
//! Numbers follow `tools/net/ynl/pyynl/lib/nlspec.py`, which
//! `ynl_gen_c.py --mode uapi` renders: in an attribute set the first
//! attribute is 1, an attribute with `value:` takes it, and each following
//! one counts up from its predecessor; operations number the same way;
//! enum entries count from `value-start` (default 0).
//!
//! Whatever would make a table wrong is refused with an error naming it
//! rather than skipped: other protocols and message-id models, fixed
//! headers, subsets, signed, big-endian, multi-attr (but on nests) and other attribute
//! types the tool cannot read, enums used as flags or at widths other than
//! u32, sparse enums, and names that do not make identifiers or collide.
//! Keys that only concern C (name prefixes, policy checks, docs, display
//! hints) are ignored.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

/// A spec, as far as the tables need it.
#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct Spec {
    name: String,
    #[serde(default = "genetlink")]
    protocol: String,
    version: Option<u64>,
    msg_id_model: Option<String>,
    doc: Option<String>,
    #[serde(default)]
    definitions: Vec<Definition>,
    #[serde(default)]
    attribute_sets: Vec<AttrSet>,
    #[serde(default)]
    operations: Operations,
}

fn genetlink() -> String {
    "genetlink".to_string()
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct Definition {
    name: String,
    #[serde(rename = "type")]
    ty: String,
    doc: Option<String>,
    #[serde(default)]
    entries: Vec<Entry>,
    #[serde(default)]
    value_start: u64,
    /// A const's value.
    value: Option<u64>,
}

/// An enum entry: a bare name, or a map that may carry its value.
#[derive(Deserialize)]
#[serde(untagged)]
enum Entry {
    Name(String),
    Full { name: String, value: Option<u64> },
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct AttrSet {
    name: String,
    subset_of: Option<String>,
    #[serde(default)]
    attributes: Vec<Attr>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct Attr {
    name: String,
    #[serde(rename = "type")]
    ty: String,
    value: Option<u64>,
    #[serde(rename = "enum")]
    enumeration: Option<String>,
    #[serde(default)]
    enum_as_flags: bool,
    #[serde(default)]
    multi_attr: bool,
    byte_order: Option<String>,
    doc: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
struct Operations {
    fixed_header: Option<String>,
    #[serde(default)]
    list: Vec<Op>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct Op {
    name: String,
    value: Option<u64>,
    attribute_set: Option<String>,
    fixed_header: Option<String>,
    doc: Option<String>,
}

/// The Rust module for the spec `yaml`: `module` names it (and the kernel
/// module in `FAMILY`), `source` is the spec's path for the docs.
pub fn generate(module: &str, source: &str, yaml: &str) -> Result<String, String> {
    let spec: Spec = serde_yaml_ng::from_str(yaml).map_err(|e| e.to_string())?;
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
    let version = spec.version.unwrap_or(1);
    let version =
        u8::try_from(version).map_err(|_| format!("version {version} does not fit a u8"))?;

    let mut g = Gen {
        code: String::new(),
        names: BTreeSet::new(),
        enums: BTreeMap::new(),
    };
    let mut doc = format!("Family `{}`, from {source}.", spec.name);
    if let Some(d) = &spec.doc {
        doc += "\n\n";
        doc += d.trim_end();
    }
    g.line(0, &format!("#[doc = {doc:?}]"));
    g.line(0, &format!("pub mod {module} {{"));
    g.line(1, "#[allow(unused_imports)]");
    g.line(1, "use crate::spec::{AttrSpec, Enum, FamilySpec, Kind};");

    for d in &spec.definitions {
        g.definition(d)
            .map_err(|e| format!("definition {}: {e}", d.name))?;
    }

    let sets: BTreeSet<&str> = spec
        .attribute_sets
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    g.ops(&spec.operations.list, &sets)?;

    let several = spec.attribute_sets.len() > 1;
    for set in &spec.attribute_sets {
        g.family(&spec, module, version, set, several)
            .map_err(|e| format!("attribute set {}: {e}", set.name))?;
    }
    g.line(0, "}");
    Ok(g.code)
}

/// The code written so far and the item names it defines.
struct Gen {
    code: String,
    names: BTreeSet<String>,
    /// The `Enum` static of each enum definition, by spec name.
    enums: BTreeMap<String, String>,
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
                for e in &d.entries {
                    let (entry, value) = match e {
                        Entry::Name(n) => (n, None),
                        Entry::Full { name, value } => (name, *value),
                    };
                    if value.is_some_and(|v| v != next) {
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
        let (statik, prefix) = if several {
            let set_name = upper(&set.name);
            (format!("FAMILY_{set_name}"), format!("A_{set_name}_"))
        } else {
            ("FAMILY".to_string(), "A_".to_string())
        };
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

    /// `CMD_<OP>` for each operation, numbered as nlspec.py numbers them.
    fn ops(&mut self, ops: &[Op], sets: &BTreeSet<&str>) -> Result<(), String> {
        let mut value = 1;
        let mut taken = BTreeSet::new();
        for op in ops {
            let err = |e: String| format!("operation {}: {e}", op.name);
            value = op.value.unwrap_or(value);
            if op.fixed_header.is_some() {
                return Err(err("fixed headers are not supported".into()));
            }
            if let Some(set) = op.attribute_set.as_deref().filter(|s| !sets.contains(s)) {
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
            value += 1;
        }
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
        let mut value = 1;
        let mut taken = BTreeSet::new();
        for a in &set.attributes {
            let err = |e: String| format!("attribute {}: {e}", a.name);
            value = a.value.unwrap_or(value);
            let id = u16::try_from(value).map_err(|_| err(format!("{value} is not a u16")))?;
            if !taken.insert(id) {
                return Err(err(format!("{id} is taken")));
            }
            let kind = kind(a, &self.enums).map_err(err)?;
            let constant = format!("{prefix}{}", upper(&a.name));
            self.claim(&constant).map_err(err)?;
            self.line(1, "");
            self.doc(1, format!("Attribute `{}`", a.name), a.doc.as_deref());
            self.line(1, &format!("pub const {constant}: u16 = {id};"));
            if let Some(kind) = kind {
                rows.push((constant, a.name.clone(), kind));
            }
            value += 1;
        }
        Ok(rows)
    }
}

/// The `Kind` expression for an attribute; `None` for `unused`, which only
/// holds its number.
fn kind(a: &Attr, enums: &BTreeMap<String, String>) -> Result<Option<String>, String> {
    // A nest is named in errors, never decoded, so repeating one is harmless.
    if a.multi_attr && a.ty != "nest" {
        return Err("multi-attr is only supported on nests".into());
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
        "binary" => "Binary",
        "nest" => "Nest",
        t => return Err(format!("type {t} is not supported")),
    };
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
            attr_err("type: u64\n        multi-attr: true"),
            "attribute set s: attribute x: multi-attr is only supported on nests"
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
}
