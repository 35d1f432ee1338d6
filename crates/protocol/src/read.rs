//! Reading JSON values into types by hand, field by field, where serde's derived readers
//! cost the app's modules more than this reader and its calls (the task arguments, the network
//! profile, the GPT result file, the tasks the app keeps). A value that cannot be read is
//! pointed at: where it is and what it must be. Each reader is held equal to serde's derived
//! reader by a test, which keeps that reader for itself.

use ethers_core::types::{Address, H256, U256};
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
        items
            .into_iter()
            .enumerate()
            .map(|(i, item)| T::from_json(item, &format!("{pointer}/{i}")))
            .collect()
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

/// A 256-bit number as serde writes it: 0x and 1 to 64 hexadecimal digits.
impl FromJson for U256 {
    fn from_json(value: Value, pointer: &str) -> Read<Self> {
        let digits = value.as_str().and_then(|text| text.strip_prefix("0x"));
        let number = digits
            .filter(|digits| (1..=64).contains(&digits.len()))
            .and_then(|digits| U256::from_str_radix(digits, 16).ok());
        found(
            number,
            pointer,
            "must be a number: 0x and 1 to 64 hexadecimal digits",
        )
    }
}

/// `document` with the value at `pointer` replaced by `new`, or removed when `new` is `None`
/// (in an array, `pointer` names its first item): the edits the readers' tests make.
#[cfg(test)]
pub(crate) fn edited(document: &Value, pointer: &str, new: Option<Value>) -> Value {
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
