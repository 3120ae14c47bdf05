//! The settings objects: values a module keeps per network namespace as
//! one attribute set of its family, all read by one operation and any of
//! them changed by another, beside its counters. One implementation,
//! [`Settings`], parameterised by the generated sets and operations; each
//! object is its table, and its commands are `commands!`'s `show` (the
//! default), `set` and `stats` (the [`stats`] objects' command):
//!
//! ```text
//! rv6 guard { show | set ... | stats }    rv6_guard's `rules`
//! rv6 ninfo { show | set ... | stats }    rv6_ninfo's `settings`
//! ```
//!
//! The keywords of `set` are the attributes of the set, one for one, so
//! they are read from its table, and so is what each takes: an entry of
//! the attribute's enum, spelt in full (a `MODE`); `on` or `off` for a u8
//! the table names a switch, sent as 1 or 0; else a number in decimal
//! within the attribute's type (an `N`), or for a string any text (its
//! placeholder the attribute's name in capitals, `NAME`). The spec's
//! `checks:`, which the generated tables do not carry, narrow a number or
//! a string's length through the table's [`Bound`]s, so that a value out
//! of range is a usage error before any netlink work; the tests hold the
//! bounds and the switches to the specs.
//!
//! `show` prints the reply in the words of `set`, which reads them back:
//! a switch as `on` or `off`, an enum by its name, a string as one word,
//! quoted where it is empty or would not stay one (`name ""`). Its JSON is
//! the reply's attributes, the enums by name as every enum prints, a
//! switch the u8 it is.

use std::fmt;

use crate::cli::{
    keyword,
    Args,
    UsageError, //
};
use crate::error::Error;
use crate::genl::{
    attr,
    Attrs, //
};
use crate::objects::{
    stats,
    Action, //
};
use crate::output::{
    field_words,
    Output,
    Record,
    Value, //
};
use crate::sockets::Sockets;
use crate::spec::{
    AttrSpec,
    Enum,
    FamilySpec,
    Kind, //
};

/// A settings object's table: its family's sets and operations, and what
/// the spec checks that the settings' table does not say.
#[derive(Debug)]
pub struct Settings {
    /// The object, as `rv6 OBJECT set` names it in messages.
    pub object: &'static str,
    /// The family with the attribute set both operations carry.
    pub family: &'static FamilySpec,
    /// The operation that reads every setting (a do without attributes).
    pub get_cmd: u8,
    /// The operation that changes the settings given.
    pub set_cmd: u8,
    /// The family with its set of counters, and the operation reading them.
    pub stats: &'static FamilySpec,
    pub stats_cmd: u8,
    /// The u8 attributes that are switches: `on` (1) or `off` (0).
    pub switches: &'static [u16],
    /// The attributes whose values the spec bounds more narrowly than
    /// their type does.
    pub bounds: &'static [Bound],
}

/// An attribute's `checks:`: a number's least and greatest values, or a
/// string's least and greatest lengths in bytes.
#[derive(Debug)]
pub struct Bound {
    pub id: u16,
    pub min: u32,
    pub max: u32,
}

/// `show`: a get of every setting.
pub struct Show {
    settings: &'static Settings,
}

/// `Show`: the object's own table says which settings.
impl fmt::Debug for Show {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Show")
    }
}

/// `set`: the settings given, each with what it is sent as, in spec order;
/// at least one. What is not given stays as it is.
#[derive(Clone)]
pub struct Set {
    settings: &'static Settings,
    given: Vec<(&'static AttrSpec, Given)>,
}

/// A value of `set`, as it is sent.
#[derive(Clone)]
enum Given {
    /// An enum entry's value, a switch's 1 or 0, or a number.
    Number(u32),
    Text(String),
}

/// `Set { v4-mapped: 2, name: "" }`: each attribute by its name.
impl fmt::Debug for Set {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("Set");
        for (a, v) in &self.given {
            match v {
                Given::Number(n) => s.field(a.name, n),
                Given::Text(t) => s.field(a.name, t),
            };
        }
        s.finish()
    }
}

/// What a keyword of `set` takes, by its attribute in the spec.
#[derive(Debug)]
enum Takes {
    /// An entry of the enum, spelt in full (a `MODE`).
    Entry(&'static Enum),
    OnOff,
    /// Decimal digits, from `min` to `max`.
    Number {
        min: u32,
        max: u32,
    },
    /// Text of `min` to `max` bytes.
    Text {
        min: u32,
        max: u32,
    },
}

impl Takes {
    /// What a keyword `a` lacking its value needs.
    fn meta(&self, a: &AttrSpec) -> String {
        match self {
            Takes::Entry(e) => format!("a {}", e.meta),
            Takes::OnOff => "on or off".to_string(),
            Takes::Number { .. } => "an N".to_string(),
            Takes::Text { .. } => format!("a {}", a.name.to_uppercase()),
        }
    }

    /// `arg`, given to keyword `a`, as it is sent.
    fn parse(&self, arg: &str, a: &AttrSpec) -> Result<Given, UsageError> {
        let wrong = |why: String| UsageError::Wrong {
            arg: arg.to_string(),
            why,
        };
        let range = |min: u32, max: u32| match min {
            0 => format!("at most {max}"),
            _ => format!("from {min} to {max}"),
        };
        match (self, arg) {
            (Takes::Entry(e), _) => e.parse(arg).map(Given::Number),
            (Takes::OnOff, "on") => Ok(Given::Number(1)),
            (Takes::OnOff, "off") => Ok(Given::Number(0)),
            (Takes::OnOff, _) => Err(wrong(format!("{} must be on or off", a.name))),
            (&Takes::Number { min, max }, _) => match arg.parse() {
                Ok(n) if (min..=max).contains(&n) && arg.chars().all(|c| c.is_ascii_digit()) => {
                    Ok(Given::Number(n))
                }
                _ => Err(wrong(format!(
                    "N must be a number in decimal, {}",
                    range(min, max)
                ))),
            },
            (&Takes::Text { min, max }, _) => match u32::try_from(arg.len()) {
                Ok(len) if (min..=max).contains(&len) => Ok(Given::Text(arg.to_string())),
                _ => Err(wrong(format!(
                    "{} must be {} bytes long",
                    a.name.to_uppercase(),
                    range(min, max)
                ))),
            },
        }
    }
}

/// The commands of the settings object `$settings` (a [`Settings`]
/// static), whose `set` has the synopsis `$set`: `show`, `set` and
/// `stats`, for its [`Object`](super::Object)'s `commands`.
macro_rules! commands {
    ($settings:path, $set:expr) => {
        &[
            $crate::objects::Command {
                name: "show",
                synopsis: "",
                parse: |args| $settings.parse_show(args),
            },
            $crate::objects::Command {
                name: "set",
                synopsis: $set,
                parse: |args| $settings.parse_set(args),
            },
            $crate::objects::Command {
                name: "stats",
                synopsis: "",
                parse: |args| $settings.parse_stats(args),
            },
        ]
    };
}
pub(crate) use commands;

impl Settings {
    /// `rv6 OBJECT show` takes no arguments.
    pub fn parse_show(&'static self, args: &mut Args) -> Result<Box<dyn Action>, UsageError> {
        args.finish(&format!("\"rv6 {} show\" takes no arguments", self.object))?;
        Ok(Box::new(Show { settings: self }))
    }

    /// `rv6 OBJECT set` with at least one of the settings.
    pub fn parse_set(&'static self, args: &mut Args) -> Result<Box<dyn Action>, UsageError> {
        Ok(Box::new(self.set_args(args)?))
    }

    /// `rv6 OBJECT stats`, the stats objects' command on the counters.
    pub fn parse_stats(&'static self, args: &mut Args) -> Result<Box<dyn Action>, UsageError> {
        stats::parse_stats(args, self.object, self.stats, self.stats_cmd)
    }

    /// What keyword `a` takes: its bound, where it has one, else its
    /// type's.
    fn takes(&self, a: &AttrSpec) -> Takes {
        let (min, max) = match self.bounds.iter().find(|b| b.id == a.id) {
            Some(b) => (b.min, b.max),
            None => match a.kind {
                Kind::U8 => (0, u8::MAX.into()),
                Kind::U16 => (0, u16::MAX.into()),
                _ => (0, u32::MAX),
            },
        };
        match a.kind {
            Kind::EnumU32(e) => Takes::Entry(e),
            Kind::U8 if self.switches.contains(&a.id) => Takes::OnOff,
            Kind::String => Takes::Text { min, max },
            _ => Takes::Number { min, max },
        }
    }

    /// The set's attributes and their values, in any order, each at most
    /// once, and at least one of them.
    pub(super) fn set_args(&'static self, args: &mut Args) -> Result<Set, UsageError> {
        let attrs = self.family.attrs;
        let names: Vec<&'static str> = attrs.iter().map(|a| a.name).collect();
        let mut given: Vec<(&'static AttrSpec, Given)> = Vec::new();
        while let Some(arg) = args.next() {
            let Some(a) = keyword(&arg, &names)?.and_then(|kw| attrs.iter().find(|a| a.name == kw))
            else {
                return Err(UsageError::Wrong {
                    arg,
                    why: format!("expected one of {}", names.join(", ")),
                });
            };
            let takes = self.takes(a);
            let value = args.value(&arg, &takes.meta(a))?;
            if given.iter().any(|(g, _)| g.id == a.id) {
                return Err(UsageError::Duplicate {
                    keyword: a.name,
                    arg: value,
                });
            }
            given.push((a, takes.parse(&value, a)?));
        }
        if given.is_empty() {
            return Err(UsageError::Incomplete {
                keyword: format!("rv6 {} set", self.object),
                meta: format!("one of {}", names.join(", ")),
            });
        }
        given.sort_by_key(|(a, _)| a.id);
        Ok(Set {
            settings: self,
            given,
        })
    }

    /// A reply in the words of `set`: switches as `on` or `off` (another
    /// value, from a newer module, as its number), enums by name as every
    /// enum prints, strings as one word each.
    pub(super) fn line(&self, r: &Record) -> String {
        let mut words = Vec::new();
        for (key, value) in r.fields() {
            let a = self.family.attrs.iter().find(|a| a.name == *key);
            let word = match (a, value) {
                (Some(a), Value::U64(v @ (0 | 1))) if self.switches.contains(&a.id) => {
                    Some(if *v == 1 { "on" } else { "off" }.to_string())
                }
                (Some(a), Value::Str(s)) if matches!(a.kind, Kind::String) => Some(one_word(s)),
                _ => None,
            };
            match word {
                Some(word) => words.extend([key.to_string(), word]),
                None => field_words(key, value, &mut words),
            }
        }
        words.join(" ")
    }

    /// Replies as records (the spec's names, switches as numbers, for
    /// JSON) and as text lines.
    pub(super) fn output(&self, records: Vec<Record>) -> Output {
        let lines = records.iter().map(|r| self.line(r)).collect();
        Output::Worded { records, lines }
    }
}

/// `s` as one word of a command line, as the shell and `-batch` read it:
/// in double quotes where it is empty or holds a blank or a quote (in
/// single quotes where it holds a double one).
fn one_word(s: &str) -> String {
    if s.contains('"') {
        format!("'{s}'")
    } else if s.is_empty() || s.contains(|c: char| c.is_whitespace() || c == '\'') {
        format!("\"{s}\"")
    } else {
        s.to_string()
    }
}

impl Set {
    /// The values given, in spec order, each in its attribute's type
    /// (within it: [`Takes::parse`] checked); a string NUL-terminated.
    pub(super) fn attrs(&self) -> Result<Attrs, Error> {
        self.given
            .iter()
            .map(|(a, v)| match (v, &a.kind) {
                (Given::Text(s), _) => attr(a.id, s.as_str()),
                (&Given::Number(n), Kind::U8) => attr(a.id, n as u8),
                (&Given::Number(n), Kind::U16) => attr(a.id, n as u16),
                (&Given::Number(n), _) => attr(a.id, n),
            })
            .collect()
    }
}

impl Action for Show {
    fn run(&self, sockets: &mut Sockets) -> Result<Output, Error> {
        let s = self.settings;
        Ok(s.output(stats::get(sockets, s.family, s.get_cmd)?))
    }
}

impl Action for Set {
    fn run(&self, sockets: &mut Sockets) -> Result<Output, Error> {
        let nl = sockets.genl()?;
        let family = nl.resolve(self.settings.family)?;
        nl.request(&family, self.settings.set_cmd, self.attrs()?)?;
        Ok(Output::Nothing)
    }
}

/// The specs as rv6 reads them, for the tests to hold the tables' bounds
/// and switches to their `checks:` (the generator's own copy, under
/// `spec`, is private to it).
#[cfg(test)]
#[allow(dead_code, clippy::duplicate_mod)] // the generator reads the rest
#[path = "../../build/model.rs"]
mod model;

/// The tests every settings object shares, and the helpers their own
/// tests use.
#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::batch;
    use crate::genl::{
        self,
        ExtAck,
        KernelError, //
    };
    use crate::objects::stats::tests::wire;
    use crate::objects::{
        guard,
        ninfo,
        Object, //
    };
    use crate::output::{
        render,
        Format, //
    };
    use neli::{
        genl::Nlattr,
        types::Buffer,
        Size, //
    };

    /// Each settings object, its table, its spec and the name of its set.
    fn objects() -> [(
        &'static Object,
        &'static Settings,
        &'static str,
        &'static str,
    ); 2] {
        [
            (
                &guard::OBJECT,
                &guard::RULES,
                include_str!("../../../../../Documentation/netlink/specs/rv6_guard.yaml"),
                "rules",
            ),
            (
                &ninfo::OBJECT,
                &ninfo::SETTINGS,
                include_str!("../../../../../Documentation/netlink/specs/rv6_ninfo.yaml"),
                "settings",
            ),
        ]
    }

    /// What `set` of `settings` with `args` (split at blanks) sends.
    pub(crate) fn sent(settings: &'static Settings, args: &str) -> Attrs {
        let set = settings.set_args(&mut Args::new(args.split_whitespace()));
        set.unwrap().attrs().unwrap()
    }

    /// The attributes `attrs`, as a request carries them.
    pub(crate) fn request(attrs: Vec<Result<Nlattr<u16, Buffer>, Error>>) -> Attrs {
        attrs.into_iter().collect::<Result<_, _>>().unwrap()
    }

    /// A get reply of `settings` with `attrs`, through neli's wire format
    /// and back, as `show` prints it.
    pub(crate) fn shown(settings: &Settings, attrs: Attrs) -> Output {
        let m = wire(settings.get_cmd, attrs.into_iter().collect());
        settings.output(vec![genl::decode(&m, settings.family).unwrap()])
    }

    /// The generated tables of `settings`' family against its module's
    /// numbering: the family named after `module`, version 1; the settings
    /// `want`, each its number, name and kind; the counters after pad 1,
    /// all u64s, read by operation 1.
    pub(crate) fn assert_tables(settings: &Settings, module: &str, want: &[(u16, &str, &str)]) {
        assert_eq!(settings.stats_cmd, 1);
        for f in [settings.family, settings.stats] {
            assert_eq!(
                (f.name, f.version, f.module),
                (module.replace('_', "-").as_str(), 1, Some(module))
            );
        }
        let attrs: Vec<(u16, &str, String)> = settings
            .family
            .attrs
            .iter()
            .map(|a| (a.id, a.name, format!("{:?}", a.kind)))
            .collect();
        let want: Vec<(u16, &str, String)> = want
            .iter()
            .map(|&(id, name, kind)| (id, name, kind.to_string()))
            .collect();
        assert_eq!(attrs, want);
        let (pad, counters) = settings.stats.attrs.split_first().unwrap();
        assert_eq!((pad.id, pad.name), (1, "pad"));
        for (i, a) in counters.iter().enumerate() {
            assert_eq!(a.id as usize, 2 + i, "{}", a.name);
            assert!(matches!(a.kind, Kind::U64), "{}", a.name);
        }
    }

    /// Each switch and bound is an attribute of the set; a switch is a
    /// u8, and what each keyword takes is what the spec's type and
    /// `checks:` allow: a u8 of at most 1 is a switch, a number or a
    /// string's length is bounded by `min`/`max` or `min-len`/`max-len`,
    /// else by its type.
    #[test]
    fn the_keywords_take_what_the_spec_checks() {
        let limit = |l: &Option<model::Limit>, default: u32| match l {
            None => default,
            Some(model::Limit::Int(n)) => u32::try_from(*n).unwrap(),
            Some(model::Limit::Name(n)) => panic!("checks by name ({n}): resolve them here"),
        };
        for (o, settings, yaml, set) in objects() {
            let spec = model::parse(yaml).unwrap();
            let set = spec.attribute_sets.iter().find(|s| s.name == set).unwrap();
            assert_eq!(set.attributes.len(), settings.family.attrs.len());
            for id in settings
                .switches
                .iter()
                .chain(settings.bounds.iter().map(|b| &b.id))
            {
                assert!(settings.family.attr(*id).is_some(), "{}: {id}", o.name);
            }
            for (sa, a) in set.attributes.iter().zip(settings.family.attrs) {
                assert_eq!(sa.name, a.name);
                let c = &sa.checks;
                let type_max = match sa.ty.as_str() {
                    "u8" => u8::MAX.into(),
                    "u16" => u16::MAX.into(),
                    _ => u32::MAX,
                };
                let want = match (sa.ty.as_str(), &a.kind) {
                    (_, Kind::EnumU32(e)) => Takes::Entry(e),
                    ("u8", _) if c.min.is_none() && limit(&c.max, 255) == 1 => Takes::OnOff,
                    ("string", _) => Takes::Text {
                        min: limit(&c.min_len, 0),
                        max: limit(&c.max_len, u32::MAX),
                    },
                    _ => Takes::Number {
                        min: limit(&c.min, 0),
                        max: limit(&c.max, type_max),
                    },
                };
                assert_eq!(
                    format!("{:?}", settings.takes(a)),
                    format!("{want:?}"),
                    "{} set {}",
                    o.name,
                    a.name
                );
            }
        }
    }

    /// `show` is the default; `show` and `set` name their object.
    #[test]
    fn the_synopsis_names_the_set_in_spec_order() {
        for (o, settings, ..) in objects() {
            assert_eq!((o.name, o.default_command), (settings.object, "show"));
            let set = o.commands.iter().find(|c| c.name == "set").unwrap();
            let keywords: Vec<&str> = set
                .synopsis
                .split(" [ ")
                .map(|s| s.trim_start_matches("[ ").split(' ').next().unwrap())
                .collect();
            let names: Vec<&str> = settings.family.attrs.iter().map(|a| a.name).collect();
            assert_eq!(keywords, names, "{}", o.name);
        }
    }

    /// A value for each attribute of `settings`, the `i`th of a few: each
    /// enum entry, on and off, a number's least, greatest and middle
    /// values, strings empty, plain, with a blank and with quotes.
    fn values(settings: &'static Settings, i: usize) -> Set {
        let given = settings
            .family
            .attrs
            .iter()
            .enumerate()
            .map(|(k, a)| {
                let v = match settings.takes(a) {
                    Takes::Entry(e) => Given::Number(e.start + ((i + k) % e.entries.len()) as u32),
                    Takes::OnOff => Given::Number(((i + k) % 2) as u32),
                    Takes::Number { min, max } => {
                        Given::Number([min, max, min + (max - min) / 2][(i + k) % 3])
                    }
                    Takes::Text { .. } => {
                        let texts = ["", "node.example.", "two words", "say \"hi\""];
                        Given::Text(texts[i % texts.len()].to_string())
                    }
                };
                (a, v)
            })
            .collect();
        Set { settings, given }
    }

    /// `show`'s line, given to `set` (on a command line or a `-batch`
    /// line), sends back the reply's attributes, each in its type.
    #[test]
    fn show_reads_back_as_set() {
        for (o, settings, ..) in objects() {
            for i in 0..4 {
                let reply = values(settings, i).attrs().unwrap();
                let line = render(&shown(settings, reply.clone()), Format::Text);
                let words = batch::commands(&line).unwrap().remove(0).words;
                let back = settings.set_args(&mut Args::new(words)).unwrap();
                assert_eq!(back.attrs().unwrap(), reply, "{} {i}: {line}", o.name);
            }
        }
    }

    #[test]
    fn a_string_stays_one_word() {
        for (s, word) in [
            ("host", "host"),
            ("node.example.", "node.example."),
            ("", "\"\""),
            ("two words", "\"two words\""),
            ("tab\there", "\"tab\there\""),
            ("'x", "\"'x\""),
            ("it's", "\"it's\""),
            ("say \"hi\"", "'say \"hi\"'"),
        ] {
            assert_eq!(one_word(s), word);
        }
    }

    /// Whatever else the module refuses, it points at the attribute, which
    /// the error names.
    #[test]
    fn refusals_name_the_attribute() {
        for (o, settings, ..) in objects() {
            let req = values(settings, 1).attrs().unwrap();
            // The attributes follow the headers, 20 bytes.
            let mut offset = 20;
            for (a, sent) in settings.family.attrs.iter().zip(req.iter()) {
                let e = KernelError::new(
                    -libc::EINVAL,
                    ExtAck {
                        offset: Some(offset as u32),
                        ..ExtAck::default()
                    },
                    &req,
                    settings.family,
                );
                assert_eq!(
                    format!("Error: {e}"),
                    format!("Error: Invalid argument (bad attribute: {})", a.name),
                    "{}",
                    o.name
                );
                offset += sent.padded_size();
            }
            let e = KernelError::new(-libc::EPERM, ExtAck::default(), &req, settings.family);
            assert_eq!(format!("Error: {e}"), "Error: Operation not permitted");
        }
    }
}
