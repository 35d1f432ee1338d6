//! Reading JSON values into types by hand, field by field, where serde's derived readers
//! cost the app's modules more than this reader and its calls (the task arguments, the network
//! profile, the GPT result file, the tasks the app keeps). A value that cannot be read is
//! pointed at: where it is and what it must be. Each reader is held equal to serde's derived
//! reader by a test, which keeps that reader for itself.

use std::collections::BTreeMap;

use ethers_core::types::{Address, Bytes, H256, U256, U64};
use serde_json::{Map, Value};

use crate::args::SchemaIssue;

/// A value read, or where it is and what it must be.
pub type Read<T> = Result<T, SchemaIssue>;

/// The error of a value at `pointer` that is not what it must be (`message`).
pub fn unreadable<T>(pointer: &str, message: &str) -> Read<T> {
    Err(SchemaIssue {
        pointer: pointer.to_owned(),
        message: message.to_owned(),
    })
}

/// `found`, or the error of a value at `pointer` that is not what it must be (`message`).
fn found<T>(found: Option<T>, pointer: &str, message: &str) -> Read<T> {
    match found {
        Some(value) => Ok(value),
        None => unreadable(pointer, message),
    }
}

/// A `T` read from the JSON `text`, or why it is not a `what` ("not a {what}: {reason}").
/// Text, not bytes: a second reader of JSON bytes would add a copy of serde_json's parser.
pub fn from_text<T: FromJson>(text: &str, what: &str) -> Result<T, String> {
    let not_one = |reason: &dyn std::fmt::Display| format!("not a {what}: {reason}");
    let value: Value = serde_json::from_str(text).map_err(|e| not_one(&e))?;
    T::from_json(value, "").map_err(|e| not_one(&e))
}

/// A type read from a JSON value found at `pointer`.
pub trait FromJson: Sized {
    /// `value` read, or where it is and what it must be.
    fn from_json(value: Value, pointer: &str) -> Read<Self>;
}

/// An object's fields, taken by name; what is left are the keys its type does not name.
pub struct Fields {
    pub(crate) map: Map<String, Value>,
    pointer: String,
}

impl Fields {
    /// The fields of `value`, which must be an object (found at `pointer`).
    pub fn of(value: Value, pointer: &str) -> Read<Self> {
        match value {
            Value::Object(map) => Ok(Self {
                map,
                pointer: pointer.to_owned(),
            }),
            _ => unreadable(pointer, "must be an object"),
        }
    }

    /// `key`'s value and its pointer, `None` when it is absent. Every field of every type
    /// calls this one copy (inlined in each, the parts were 0.7 KB brotli larger).
    #[inline(never)]
    fn value(&mut self, key: &str) -> Option<(Value, String)> {
        let value = self.map.remove(key)?;
        Some((value, format!("{}/{key}", self.pointer)))
    }

    /// `key`'s value, `None` when it is absent.
    pub fn take<T: FromJson>(&mut self, key: &str) -> Read<Option<T>> {
        self.value(key)
            .map(|(value, pointer)| T::from_json(value, &pointer))
            .transpose()
    }

    /// `key`'s value, which must be there.
    pub fn required<T: FromJson>(&mut self, key: &str) -> Read<T> {
        match self.take(key)? {
            Some(value) => Ok(value),
            None => unreadable(&format!("{}/{key}", self.pointer), "is required"),
        }
    }

    /// `key`'s value, `None` when it is absent or null: an `Option` field as serde reads it.
    pub fn optional<T: FromJson>(&mut self, key: &str) -> Read<Option<T>> {
        Ok(self.take::<Option<T>>(key)?.flatten())
    }

    /// Writes `key`'s value over `field` (its default) when it is there.
    pub fn set<T: FromJson>(&mut self, key: &str, field: &mut T) -> Read<()> {
        if let Some(value) = self.take(key)? {
            *field = value;
        }
        Ok(())
    }

    /// The keys left: those the type does not name.
    pub fn extra(self) -> Map<String, Value> {
        self.map
    }
}

/// An enum's variant as serde writes it by default, `{"Name": content}`: its name, its
/// content and the content's pointer.
pub fn variant(value: Value, pointer: &str) -> Read<(String, Value, String)> {
    match value {
        Value::Object(map) if map.len() == 1 => {
            let (name, content) = map.into_iter().next().unwrap_or_default();
            let pointer = format!("{pointer}/{name}");
            Ok((name, content, pointer))
        }
        _ => unreadable(
            pointer,
            "must be an object with one key, the variant's name",
        ),
    }
}

impl<T: FromJson> FromJson for Option<T> {
    fn from_json(value: Value, pointer: &str) -> Read<Self> {
        match value {
            Value::Null => Ok(None),
            value => T::from_json(value, pointer).map(Some),
        }
    }
}

impl<T: FromJson> FromJson for Vec<T> {
    fn from_json(value: Value, pointer: &str) -> Read<Self> {
        let Value::Array(items) = value else {
            return unreadable(pointer, "must be an array");
        };
        // Pushed one by one: collecting into a `Result` adds an adapter per item type.
        let mut read = Vec::with_capacity(items.len());
        for (i, item) in items.into_iter().enumerate() {
            read.push(T::from_json(item, &format!("{pointer}/{i}"))?);
        }
        Ok(read)
    }
}

impl<T: FromJson> FromJson for BTreeMap<String, T> {
    fn from_json(value: Value, pointer: &str) -> Read<Self> {
        let Value::Object(map) = value else {
            return unreadable(pointer, "must be an object");
        };
        // Inserted one by one: collecting sorts first, and a sort is 5 KB of code.
        let mut read = Self::new();
        for (key, item) in map {
            let item = T::from_json(item, &format!("{pointer}/{key}"))?;
            read.insert(key, item);
        }
        Ok(read)
    }
}

impl FromJson for String {
    fn from_json(value: Value, pointer: &str) -> Read<Self> {
        match value {
            Value::String(text) => Ok(text),
            _ => unreadable(pointer, "must be text"),
        }
    }
}

impl FromJson for bool {
    fn from_json(value: Value, pointer: &str) -> Read<Self> {
        match value {
            Value::Bool(b) => Ok(b),
            _ => unreadable(pointer, "must be true or false"),
        }
    }
}

impl FromJson for f64 {
    fn from_json(value: Value, pointer: &str) -> Read<Self> {
        found(value.as_f64(), pointer, "must be a number")
    }
}

impl FromJson for i64 {
    fn from_json(value: Value, pointer: &str) -> Read<Self> {
        found(
            value.as_i64(),
            pointer,
            "must be a whole number from -9223372036854775808 to 9223372036854775807",
        )
    }
}

impl FromJson for u32 {
    fn from_json(value: Value, pointer: &str) -> Read<Self> {
        found(
            value.as_u64().and_then(|n| u32::try_from(n).ok()),
            pointer,
            "must be a whole number from 0 to 4294967295",
        )
    }
}

impl FromJson for u64 {
    fn from_json(value: Value, pointer: &str) -> Read<Self> {
        found(
            value.as_u64(),
            pointer,
            "must be a whole number from 0 to 18446744073709551615",
        )
    }
}

impl FromJson for usize {
    fn from_json(value: Value, pointer: &str) -> Read<Self> {
        found(
            value.as_u64().and_then(|n| usize::try_from(n).ok()),
            pointer,
            "must be a whole number, not negative",
        )
    }
}

impl FromJson for Address {
    fn from_json(value: Value, pointer: &str) -> Read<Self> {
        found(
            value.as_str().and_then(|text| text.parse().ok()),
            pointer,
            "must be an address: 0x and 40 hexadecimal digits",
        )
    }
}

impl FromJson for u8 {
    fn from_json(value: Value, pointer: &str) -> Read<Self> {
        found(
            value.as_u64().and_then(|n| u8::try_from(n).ok()),
            pointer,
            "must be a whole number from 0 to 255",
        )
    }
}

impl FromJson for H256 {
    fn from_json(value: Value, pointer: &str) -> Read<Self> {
        found(
            value.as_str().and_then(|text| text.parse().ok()),
            pointer,
            "must be a hash: 0x and 64 hexadecimal digits",
        )
    }
}

/// The hexadecimal digits of `value` with or without 0x, as serde reads the numbers and
/// bytes of `ethers`: 1 to `max` of them.
fn hex_digits(value: &Value, max: usize) -> Option<&str> {
    let text = value.as_str()?;
    let digits = text.strip_prefix("0x").unwrap_or(text);
    (1..=max).contains(&digits.len()).then_some(digits)
}

/// A 256-bit number as serde writes it: 0x and 1 to 64 hexadecimal digits.
impl FromJson for U256 {
    fn from_json(value: Value, pointer: &str) -> Read<Self> {
        found(
            hex_digits(&value, 64).and_then(|digits| U256::from_str_radix(digits, 16).ok()),
            pointer,
            "must be a number: 0x and 1 to 64 hexadecimal digits",
        )
    }
}

/// A 64-bit number as the chain's RPC writes it: 0x and 1 to 16 hexadecimal digits.
impl FromJson for U64 {
    fn from_json(value: Value, pointer: &str) -> Read<Self> {
        found(
            hex_digits(&value, 16).and_then(|digits| U64::from_str_radix(digits, 16).ok()),
            pointer,
            "must be a number: 0x and 1 to 16 hexadecimal digits",
        )
    }
}

/// Bytes as serde writes them: 0x and an even number of hexadecimal digits.
impl FromJson for Bytes {
    fn from_json(value: Value, pointer: &str) -> Read<Self> {
        let bytes = value
            .as_str()
            .and_then(|text| hex::decode(text.strip_prefix("0x").unwrap_or(text)).ok());
        found(
            bytes.map(Bytes::from),
            pointer,
            "must be bytes: 0x and an even number of hexadecimal digits",
        )
    }
}

/// Any JSON, as it is.
impl FromJson for Value {
    fn from_json(value: Value, _pointer: &str) -> Read<Self> {
        Ok(value)
    }
}

/// `document` with the value at `pointer` replaced by `new`, or removed when `new` is `None`
/// (in an array, `pointer` names its first item): the edits the readers' tests make.
#[cfg(any(test, feature = "serde-reference"))]
pub fn edited(document: &Value, pointer: &str, new: Option<Value>) -> Value {
    let mut document = document.clone();
    let (parent, key) = pointer.rsplit_once('/').unwrap_or_default();
    match (document.pointer_mut(parent), new) {
        (Some(Value::Object(map)), None) => drop(map.remove(key)),
        (Some(Value::Object(map)), Some(new)) => drop(map.insert(key.into(), new)),
        (Some(Value::Array(items)), None) => drop(items.remove(0)),
        (Some(Value::Array(items)), Some(new)) => items[0] = new,
        _ => panic!("{pointer} is not in {document}"),
    }
    document
}

/// The documents a reader's test reads both ways: `document`, and `document` with each value
/// below it (in an array, its first item) absent, null, or replaced by each of `others`.
#[cfg(any(test, feature = "serde-reference"))]
pub fn edits(document: &Value, others: &[Value]) -> Vec<Value> {
    let mut documents = vec![document.clone()];
    let mut pending = vec![(String::new(), document.clone())];
    while let Some((pointer, value)) = pending.pop() {
        match value {
            Value::Object(map) => pending.extend(
                map.into_iter()
                    .map(|(key, value)| (format!("{pointer}/{key}"), value)),
            ),
            Value::Array(items) if !items.is_empty() => {
                pending.push((format!("{pointer}/0"), items[0].clone()))
            }
            _ => {}
        }
        if pointer.is_empty() {
            continue;
        }
        let replaced = [None, Some(Value::Null)].into_iter();
        for new in replaced.chain(others.iter().cloned().map(Some)) {
            documents.push(edited(document, &pointer, new));
        }
    }
    documents
}

/// Values of every kind, for [`edits`]: numbers negative, too large for a `u8` or a `u64`,
/// fractional; text, hexadecimal or not; an empty object and array; a boolean.
#[cfg(any(test, feature = "serde-reference"))]
pub fn every_kind() -> Vec<Value> {
    use serde_json::json;
    vec![
        json!(-1),
        json!(256),
        json!(1e20),
        json!(1.5),
        json!(""),
        json!("0x"),
        json!("0x1"),
        json!("0xzz"),
        json!(format!("0x{}", "f".repeat(65))),
        json!("Words"),
        json!({}),
        json!([]),
        json!(true),
    ]
}

/// Asserts that each of `examples` as stored (its `Serialize`), each of its [`edits`] with
/// `others`, and each of `others` itself, is read by hand as serde's derived reader reads it,
/// and that each example reads back as itself; how many of the documents were read, and how
/// many there were.
#[cfg(any(test, feature = "serde-reference"))]
pub fn assert_read_as_serde_reads<T>(examples: &[T], others: &[Value]) -> (usize, usize)
where
    T: FromJson + serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let mut documents = others.to_vec();
    for example in examples {
        let stored = serde_json::to_value(example).unwrap_or_default();
        assert_eq!(
            from_text::<T>(&stored.to_string(), "").as_ref(),
            Ok(example)
        );
        documents.extend(edits(&stored, others));
    }
    let mut read = 0;
    for document in &documents {
        let text = document.to_string();
        let derived = serde_json::from_str::<T>(&text).ok();
        assert_eq!(from_text::<T>(&text, "").ok(), derived, "{text}");
        read += usize::from(derived.is_some());
    }
    (read, documents.len())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::{assert_read_as_serde_reads, every_kind};

    #[test]
    fn a_map_of_names_is_read_by_hand_as_serde_s_derived_reader_reads_it() {
        let names = BTreeMap::from([("a".to_owned(), 1_usize), ("b c".to_owned(), 0)]);
        let (read, documents) =
            assert_read_as_serde_reads(&[names, BTreeMap::new()], &every_kind());
        assert!(read >= 4, "only {read} of {documents} read");
    }
}
