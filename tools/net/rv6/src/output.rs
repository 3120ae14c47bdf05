//! The shared output layer: every object prints a list of [`Record`]s, one
//! per kernel reply, either as text (one line per record, `key value ...`,
//! which reads back as arguments) or as JSON (an array of objects whose keys
//! are the spec's attribute names, in spec order; `-p` indents it like
//! iproute2's json_writer, four spaces). An object whose arguments are not
//! the spec's attributes one for one words its text lines itself
//! ([`Output::Worded`], iproute2's `PRINT_FP` beside `PRINT_JSON`); its JSON
//! stays the records'. A request answered by one message may print it as
//! one object ([`Output::Object`]), as YNL prints a do reply. `rv6
//! monitor` prints one [`Event`] at a time instead, a line each (JSON Lines
//! with `-j`).

use serde::ser::{
    Serialize,
    SerializeMap,
    Serializer, //
};

/// One field's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    U64(u64),
    /// Strings, enum entries, and binaries as hex or as an address.
    Str(String),
    /// A flag that is set: its key alone in text, `true` in JSON.
    Flag,
    /// A nest: its key then its fields in text, an object in JSON.
    Nest(Record),
    /// A repeated (multi-attr) nest: each one as a nest under the same key
    /// in text, an array of objects in JSON.
    List(Vec<Record>),
    /// A repeated (multi-attr) scalar: each value under the same key in
    /// text, an array of values in JSON.
    Repeated(Vec<Value>),
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::U64(v) => s.serialize_u64(*v),
            Value::Str(v) => s.serialize_str(v),
            Value::Flag => s.serialize_bool(true),
            Value::Nest(r) => r.serialize(s),
            Value::List(rs) => rs.serialize(s),
            Value::Repeated(vs) => vs.serialize(s),
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
    /// The one reply of a request that answers with one message, which YNL
    /// prints as an object: its text line, or the JSON object alone (no
    /// array around it).
    Object(Record),
    /// Records with the object's own text: the JSON is the records', the
    /// text `lines`, one per record.
    Worded {
        records: Vec<Record>,
        lines: Vec<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    JsonPretty,
}

/// The text for stdout, each line (and the JSON document) ending in a newline.
pub fn render(output: &Output, format: Format) -> String {
    let records = match output {
        Output::Nothing => return String::new(),
        Output::Object(record) => return render_object(record, format),
        Output::Worded { lines, .. } if format == Format::Text => {
            return lines.iter().map(|l| l.clone() + "\n").collect()
        }
        Output::Records(records) | Output::Worded { records, .. } => records,
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

/// One record as a line of text or a JSON object, ending in a newline.
fn render_object(record: &Record, format: Format) -> String {
    match format {
        Format::Text => text_line(record) + "\n",
        Format::Json => serde_json::to_string(record).expect("records serialise") + "\n",
        Format::JsonPretty => {
            let mut buf = Vec::new();
            let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
            let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
            record.serialize(&mut ser).expect("records serialise");
            String::from_utf8(buf).expect("JSON is UTF-8") + "\n"
        }
    }
}

/// `hook local-out packets 12 bytes 1248 echo 6`.
fn text_line(r: &Record) -> String {
    let mut words = Vec::new();
    text_words(r, &mut words);
    words.join(" ")
}

/// The words of `r`: `key value` per field, a flag's key alone, a nest's
/// key then its own words (iproute2's `nexthop via ... dev ...`), and a
/// repeated nest or scalar once per instance.
fn text_words(r: &Record, words: &mut Vec<String>) {
    for (k, v) in r.fields() {
        field_words(k, v, words);
    }
}

/// The words of one field, as a record's text line has them; for an
/// object that words its own lines but for some fields.
pub fn field_words(k: &str, v: &Value, words: &mut Vec<String>) {
    match v {
        Value::U64(n) => words.extend([k.to_string(), n.to_string()]),
        Value::Str(s) => words.extend([k.to_string(), s.clone()]),
        Value::Flag => words.push(k.to_string()),
        Value::Nest(inner) => {
            words.push(k.to_string());
            text_words(inner, words);
        }
        Value::List(list) => {
            for inner in list {
                words.push(k.to_string());
                text_words(inner, words);
            }
        }
        Value::Repeated(values) => {
            for v in values {
                field_words(k, v, words);
            }
        }
    }
}

/// A notification as `rv6 monitor` prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The family name, e.g. `rv6-genl-test`.
    pub family: &'static str,
    /// The notification's operation name, e.g. `entry-add-ntf`, or its
    /// command number for one the spec lacks.
    pub name: String,
    /// Its attributes.
    pub msg: Record,
}

impl Serialize for Event {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(3))?;
        map.serialize_entry("family", self.family)?;
        map.serialize_entry("name", &self.name)?;
        map.serialize_entry("msg", &self.msg)?;
        map.end()
    }
}

/// One notification for stdout, ending in a newline: text
/// `FAMILY NAME key value ...`, or one JSON object
/// `{"family":...,"name":...,"msg":{...}}` on one line (a JSON Lines
/// stream), which `-p` indents.
pub fn render_event(event: &Event, format: Format) -> String {
    match format {
        Format::Text => {
            let mut words = vec![event.family.to_string(), event.name.clone()];
            text_words(&event.msg, &mut words);
            words.join(" ") + "\n"
        }
        Format::Json => serde_json::to_string(event).expect("events serialise") + "\n",
        Format::JsonPretty => {
            let mut buf = Vec::new();
            let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
            let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
            event.serialize(&mut ser).expect("events serialise");
            String::from_utf8(buf).expect("JSON is UTF-8") + "\n"
        }
    }
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

    fn locator(addr: &str, prio: u64) -> Record {
        rec(&[
            ("addr", Value::Str(addr.into())),
            ("prio", Value::U64(prio)),
        ])
    }

    #[test]
    fn flags_and_nests_print_as_words_and_objects() {
        let out = Output::Records(vec![rec(&[
            ("key", Value::U64(5)),
            ("sticky", Value::Flag),
            ("inner", Value::Nest(rec(&[("count", Value::U64(3))]))),
            (
                "locator",
                Value::List(vec![locator("2001:db8::a", 1), locator("2001:db8::b", 2)]),
            ),
        ])]);
        assert_eq!(
            render(&out, Format::Text),
            "key 5 sticky inner count 3 \
             locator addr 2001:db8::a prio 1 locator addr 2001:db8::b prio 2\n"
        );
        assert_eq!(
            render(&out, Format::Json),
            "[{\"key\":5,\"sticky\":true,\"inner\":{\"count\":3},\
             \"locator\":[{\"addr\":\"2001:db8::a\",\"prio\":1},\
             {\"addr\":\"2001:db8::b\",\"prio\":2}]}]\n"
        );
    }

    #[test]
    fn repeated_scalars_print_once_each_and_as_an_array() {
        let addrs = Value::Repeated(vec![
            Value::Str("2001:db8::a".into()),
            Value::Str("2001:db8::b".into()),
        ]);
        let out = Output::Records(vec![rec(&[
            ("addr", addrs),
            ("id", Value::Repeated(vec![Value::U64(7)])),
        ])]);
        assert_eq!(
            render(&out, Format::Text),
            "addr 2001:db8::a addr 2001:db8::b id 7\n"
        );
        assert_eq!(
            render(&out, Format::Json),
            "[{\"addr\":[\"2001:db8::a\",\"2001:db8::b\"],\"id\":[7]}]\n"
        );
    }

    /// An object's own words replace the records' in text only.
    #[test]
    fn worded_output_is_its_lines_as_text_and_its_records_as_json() {
        let out = Output::Worded {
            records: vec![rec(&[("local-tag", Value::U64(16))]), rec(&[])],
            lines: vec!["tag 0x10".into(), "none".into()],
        };
        assert_eq!(render(&out, Format::Text), "tag 0x10\nnone\n");
        assert_eq!(render(&out, Format::Json), "[{\"local-tag\":16},{}]\n");
        assert_eq!(
            render(&out, Format::JsonPretty),
            "[\n    {\n        \"local-tag\": 16\n    },\n    {}\n]\n"
        );
        let empty = Output::Worded {
            records: vec![],
            lines: vec![],
        };
        assert_eq!(render(&empty, Format::Text), "");
        assert_eq!(render(&empty, Format::Json), "[]\n");
    }

    #[test]
    fn an_event_is_one_line_as_text_or_json() {
        let e = Event {
            family: "rv6-genl-test",
            name: "entry-del-ntf".into(),
            msg: rec(&[
                ("key", Value::U64(7)),
                ("locator", Value::List(vec![locator("::1", 0)])),
            ]),
        };
        assert_eq!(
            render_event(&e, Format::Text),
            "rv6-genl-test entry-del-ntf key 7 locator addr ::1 prio 0\n"
        );
        assert_eq!(
            render_event(&e, Format::Json),
            "{\"family\":\"rv6-genl-test\",\"name\":\"entry-del-ntf\",\
             \"msg\":{\"key\":7,\"locator\":[{\"addr\":\"::1\",\"prio\":0}]}}\n"
        );
        assert!(render_event(&e, Format::JsonPretty)
            .starts_with("{\n    \"family\": \"rv6-genl-test\",\n    \"name\": "));
        let bare = Event {
            family: "f",
            name: "9".into(),
            msg: Record::default(),
        };
        assert_eq!(render_event(&bare, Format::Text), "f 9\n");
        assert_eq!(
            render_event(&bare, Format::Json),
            "{\"family\":\"f\",\"name\":\"9\",\"msg\":{}}\n"
        );
    }

    /// A single reply's record: one line, or one JSON object with no
    /// array around it.
    #[test]
    fn an_object_is_one_line_or_one_json_object() {
        let out = Output::Object(rec(&[
            ("policies", Value::U64(2)),
            ("entries", Value::U64(3)),
        ]));
        assert_eq!(render(&out, Format::Text), "policies 2 entries 3\n");
        assert_eq!(
            render(&out, Format::Json),
            "{\"policies\":2,\"entries\":3}\n"
        );
        assert_eq!(
            render(&out, Format::JsonPretty),
            "{\n    \"policies\": 2,\n    \"entries\": 3\n}\n"
        );
    }

    #[test]
    fn nothing_prints_nothing_even_as_json() {
        for f in [Format::Text, Format::Json, Format::JsonPretty] {
            assert_eq!(render(&Output::Nothing, f), "");
        }
    }
}
