//! The shared output layer: every object prints a list of [`Record`]s, one
//! per kernel reply, either as text (one line per record, `key value ...`,
//! which reads back as arguments) or as JSON (an array of objects whose keys
//! are the spec's attribute names, in spec order; `-p` indents it like
//! iproute2's json_writer, four spaces).

use std::fmt;

use serde::ser::{Serialize, SerializeMap, Serializer};

/// One field's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    U64(u64),
    Str(String),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::U64(v) => write!(f, "{v}"),
            Value::Str(s) => f.write_str(s),
        }
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::U64(v) => s.serialize_u64(*v),
            Value::Str(v) => s.serialize_str(v),
        }
    }
}

/// An ordered set of named fields: one reply, one text line, one JSON object.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Record {
    fields: Vec<(&'static str, Value)>,
}

impl Record {
    pub fn push(&mut self, key: &'static str, value: Value) {
        self.fields.push((key, value));
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.fields.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    pub fn fields(&self) -> &[(&'static str, Value)] {
        &self.fields
    }
}

impl Serialize for Record {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.fields.len()))?;
        for (k, v) in &self.fields {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// What a command leaves on stdout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Changes print nothing on success, in either format (as in ip).
    Nothing,
    Records(Vec<Record>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    JsonPretty,
}

/// The text for stdout, each line (and the JSON document) ending in a newline.
pub fn render(output: &Output, format: Format) -> String {
    let Output::Records(records) = output else {
        return String::new();
    };
    match format {
        Format::Text => records.iter().map(|r| text_line(r) + "\n").collect(),
        Format::Json => serde_json::to_string(records).expect("records serialise") + "\n",
        Format::JsonPretty => {
            let mut buf = Vec::new();
            let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
            let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
            records.serialize(&mut ser).expect("records serialise");
            String::from_utf8(buf).expect("JSON is UTF-8") + "\n"
        }
    }
}

/// `hook local-out packets 12 bytes 1248 echo 6`.
fn text_line(r: &Record) -> String {
    r.fields()
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(pairs: &[(&'static str, Value)]) -> Record {
        let mut r = Record::default();
        for (k, v) in pairs {
            r.push(k, v.clone());
        }
        r
    }

    #[test]
    fn text_is_one_line_per_record_in_field_order() {
        let out = Output::Records(vec![
            rec(&[("b", Value::U64(2)), ("a", Value::Str("x y".into()))]),
            rec(&[]),
            rec(&[("a", Value::U64(0))]),
        ]);
        assert_eq!(render(&out, Format::Text), "b 2 a x y\n\na 0\n");
        assert_eq!(render(&Output::Records(vec![]), Format::Text), "");
    }

    #[test]
    fn json_keeps_field_order_and_types() {
        let out = Output::Records(vec![rec(&[
            ("zz", Value::U64(u64::MAX)),
            ("aa", Value::Str("q\"uote".into())),
        ])]);
        assert_eq!(
            render(&out, Format::Json),
            "[{\"zz\":18446744073709551615,\"aa\":\"q\\\"uote\"}]\n"
        );
        assert_eq!(
            render(&out, Format::JsonPretty),
            "[\n    {\n        \"zz\": 18446744073709551615,\n        \"aa\": \"q\\\"uote\"\n    }\n]\n"
        );
        assert_eq!(render(&Output::Records(vec![]), Format::Json), "[]\n");
    }

    #[test]
    fn nothing_prints_nothing_even_as_json() {
        for f in [Format::Text, Format::Json, Format::JsonPretty] {
            assert_eq!(render(&Output::Nothing, f), "");
        }
    }
}
