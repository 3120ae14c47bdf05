//! A YNL spec (YAML) as far as rv6 reads it, and its numbers as
//! `tools/net/ynl/pyynl/lib/nlspec.py` gives them: in an attribute set the
//! first attribute is 1, an attribute with `value:` takes it, and each
//! following one counts up from its predecessor; operations (the `unified`
//! message-id model) number the same way; enum entries count from
//! `value-start` (default 0), an entry with `value:` taking it.
//!
//! Shared by the table generator (`specgen.rs`, run by `build.rs`) and the
//! test that holds the kernel modules' hand-written constants to the specs
//! (`tests/kernel_families.rs`). Unknown keys are ignored: the generator
//! refuses what it cannot mirror, and the schema check of
//! `scripts/test-host.sh` refuses what YNL does not know.

use serde::Deserialize;

/// A spec.
#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Spec {
    pub name: String,
    #[serde(default = "genetlink")]
    pub protocol: String,
    pub version: Option<u64>,
    pub msg_id_model: Option<String>,
    pub doc: Option<String>,
    #[serde(default)]
    pub definitions: Vec<Definition>,
    #[serde(default)]
    pub attribute_sets: Vec<AttrSet>,
    #[serde(default)]
    pub operations: Operations,
    #[serde(default)]
    pub mcast_groups: McastGroups,
}

fn genetlink() -> String {
    "genetlink".to_string()
}

/// Reads a spec.
pub fn parse(yaml: &str) -> Result<Spec, String> {
    serde_yaml_ng::from_str(yaml).map_err(|e| e.to_string())
}

impl Spec {
    /// The family's version: `version:`, 1 without.
    pub fn version(&self) -> u64 {
        self.version.unwrap_or(1)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Definition {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: String,
    pub doc: Option<String>,
    #[serde(default)]
    pub entries: Vec<Entry>,
    #[serde(default)]
    pub value_start: u64,
    /// A const's value.
    pub value: Option<u64>,
}

/// An enum entry: a bare name, or a map that may carry its value.
#[derive(Deserialize)]
#[serde(untagged)]
pub enum Entry {
    Name(String),
    Full { name: String, value: Option<u64> },
}

impl Definition {
    /// An enum's entries with their values, as nlspec.py numbers them.
    pub fn entry_values(&self) -> Vec<(&str, u64)> {
        let mut next = self.value_start;
        self.entries
            .iter()
            .map(|e| {
                let (name, value) = match e {
                    Entry::Name(n) => (n.as_str(), next),
                    Entry::Full { name, value } => (name.as_str(), value.unwrap_or(next)),
                };
                next = value + 1;
                (name, value)
            })
            .collect()
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct AttrSet {
    pub name: String,
    pub subset_of: Option<String>,
    #[serde(default)]
    pub attributes: Vec<Attr>,
}

impl AttrSet {
    /// Each attribute with its number, as nlspec.py numbers a set that is
    /// no subset.
    pub fn numbered(&self) -> Vec<(&Attr, u64)> {
        let mut value = 1;
        self.attributes
            .iter()
            .map(|a| {
                value = a.value.unwrap_or(value);
                value += 1;
                (a, value - 1)
            })
            .collect()
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Attr {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: String,
    pub value: Option<u64>,
    #[serde(rename = "enum")]
    pub enumeration: Option<String>,
    #[serde(default)]
    pub enum_as_flags: bool,
    #[serde(default)]
    pub multi_attr: bool,
    pub byte_order: Option<String>,
    pub nested_attributes: Option<String>,
    pub display_hint: Option<String>,
    pub doc: Option<String>,
    /// What the kernel's policy validates (the tables do not need it).
    #[allow(dead_code)]
    #[serde(default)]
    pub checks: Checks,
}

/// An attribute's `checks:`, which `ynl_gen_c.py` renders into the kernel's
/// policy.
#[derive(Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
#[allow(dead_code)]
pub struct Checks {
    pub min: Option<Limit>,
    pub max: Option<Limit>,
    pub min_len: Option<Limit>,
    pub max_len: Option<Limit>,
    pub exact_len: Option<Limit>,
    #[serde(default)]
    pub unterminated_ok: bool,
    pub flags_mask: Option<String>,
}

/// A limit of `checks:`: a number, or the name of a `const` definition or of
/// a type's bound (`u32-max`, `s16-min`, ...).
#[derive(Deserialize)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum Limit {
    Int(i64),
    Name(String),
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub struct Operations {
    pub fixed_header: Option<String>,
    #[serde(default)]
    pub list: Vec<Op>,
}

impl Operations {
    /// Each operation with its command number, as nlspec.py numbers the
    /// `unified` model.
    pub fn numbered(&self) -> Vec<(&Op, u64)> {
        let mut value = 1;
        self.list
            .iter()
            .map(|op| {
                value = op.value.unwrap_or(value);
                value += 1;
                (op, value - 1)
            })
            .collect()
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Op {
    pub name: String,
    pub value: Option<u64>,
    pub attribute_set: Option<String>,
    pub fixed_header: Option<String>,
    pub doc: Option<String>,
    /// `admin-perm`, `uns-admin-perm`, ... (the tables do not need them).
    #[allow(dead_code)]
    #[serde(default)]
    pub flags: Vec<String>,
    #[serde(rename = "do")]
    pub doit: Option<OpMode>,
    pub dump: Option<OpMode>,
    /// The operation whose reply this notification is.
    pub notify: Option<String>,
    /// A notification of its own attributes, in its own attribute set.
    pub event: Option<Msg>,
    /// The multicast group the notification goes to.
    pub mcgrp: Option<String>,
}

/// `do:` or `dump:` of an operation.
#[derive(Deserialize)]
pub struct OpMode {
    /// What the kernel's policy for it accepts (the tables do not need it).
    #[allow(dead_code)]
    pub request: Option<Msg>,
    pub reply: Option<Msg>,
}

/// A request, reply or event: the attributes it carries.
#[derive(Deserialize)]
pub struct Msg {
    #[serde(default)]
    pub attributes: Vec<String>,
}

#[derive(Deserialize, Default)]
pub struct McastGroups {
    #[serde(default)]
    pub list: Vec<McastGroup>,
}

#[derive(Deserialize)]
pub struct McastGroup {
    pub name: String,
}
