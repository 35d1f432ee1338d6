//! Form fields as views of the arguments text: a field reads and writes one JSON pointer of
//! the text, so the form and the raw JSON editor always show the same arguments, and a
//! value the schema refuses is still kept (and reported at its pointer).

use serde_json::Value;

/// The value at `pointer` in `text`; `None` when the text is not JSON or has no such value.
pub fn field(text: &str, pointer: &str) -> Option<Value> {
    serde_json::from_str::<Value>(text)
        .ok()?
        .pointer(pointer)
        .cloned()
}

/// `text` with the value at `pointer` set to `value` (missing objects are created, an array
/// grows by one at its end); `None` when `text` is not JSON or the pointer crosses a value
/// that is neither an object nor an array.
pub fn with_field(text: &str, pointer: &str, value: Value) -> Option<String> {
    let mut root: Value = serde_json::from_str(text).ok()?;
    let mut slot = &mut root;
    for token in pointer.split('/').skip(1) {
        let key = token.replace("~1", "/").replace("~0", "~");
        slot = match slot {
            Value::Object(map) => map.entry(key).or_insert(Value::Null),
            Value::Array(items) => {
                let index: usize = key.parse().ok()?;
                if index == items.len() {
                    items.push(Value::Null);
                }
                items.get_mut(index)?
            }
            Value::Null => {
                *slot = Value::Object(Default::default());
                let Value::Object(map) = slot else {
                    return None;
                };
                map.entry(key).or_insert(Value::Null)
            }
            _ => return None,
        };
    }
    *slot = value;
    serde_json::to_string(&root).ok()
}

/// What a number field holds: the integer typed, or the text itself when it is not one (so
/// that the schema names the problem and nothing typed is lost).
pub fn typed_integer(input: &str) -> Value {
    input
        .trim()
        .parse::<i64>()
        .map_or_else(|_| Value::String(input.to_owned()), Value::from)
}

/// A form field's text: strings as they are, other values as JSON, nothing as empty.
pub fn field_text(value: Option<Value>) -> String {
    match value {
        Some(Value::String(text)) => text,
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fields_read_and_write_one_pointer_and_keep_the_rest() {
        let text = r#"{"prompt":"a cat","task_config":{"num_images":6},"extra":{"x":1}}"#;
        assert_eq!(field(text, "/task_config/num_images"), Some(json!(6)));
        let edited = with_field(text, "/task_config/num_images", json!(3)).unwrap();
        assert_eq!(field(&edited, "/task_config/num_images"), Some(json!(3)));
        assert_eq!(field(&edited, "/extra/x"), Some(json!(1)));
        assert_eq!(field(&edited, "/prompt"), Some(json!("a cat")));
        // Missing objects are created; an array grows at its end only.
        let edited = with_field("{}", "/task_config/seed", json!(7)).unwrap();
        assert_eq!(edited, r#"{"task_config":{"seed":7}}"#);
        let chat = r#"{"messages":[]}"#;
        let edited = with_field(chat, "/messages/0/content", json!("<b>hi</b>")).unwrap();
        assert_eq!(
            field(&edited, "/messages/0/content"),
            Some(json!("<b>hi</b>"))
        );
        assert_eq!(with_field(chat, "/messages/3/content", json!("x")), None);
        assert_eq!(with_field("not json", "/prompt", json!("x")), None);
        assert_eq!(with_field(r#"{"prompt":5}"#, "/prompt/x", json!(1)), None);
        assert_eq!(field("{", "/prompt"), None);
    }

    #[test]
    fn number_fields_keep_what_was_typed() {
        assert_eq!(typed_integer("12"), json!(12));
        assert_eq!(typed_integer(" 3 "), json!(3));
        assert_eq!(typed_integer("3.5"), json!("3.5"));
        assert_eq!(typed_integer(""), json!(""));
        assert_eq!(field_text(Some(json!("a"))), "a");
        assert_eq!(field_text(Some(json!(4))), "4");
        assert_eq!(field_text(None), "");
    }
}
