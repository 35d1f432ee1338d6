//! Form fields as views of the arguments text: a field reads and writes one JSON pointer of
//! the text, so the form and the raw JSON editor always show the same arguments, and a
//! value the schema refuses is still kept (and reported at its pointer).

use serde_json::Value;

/// The value at `pointer` in `text`; `None` when the text is not JSON or has no such value.
pub fn field(text: &str, pointer: &str) -> Option<Value> {
    value_at(&serde_json::from_str(text).ok()?, pointer).cloned()
}

/// The value at `pointer` (RFC 6901) in `root`, as serde_json's `Value::pointer` finds it.
/// Its unescaping by `str::replace` would bring the standard library's substring search
/// into the first screen (1.2 KB brotli with the other substring searches).
pub fn value_at<'a>(root: &'a Value, pointer: &str) -> Option<&'a Value> {
    tokens(pointer)?.try_fold(root, |value, token| match value {
        Value::Object(map) => map.get(&token),
        Value::Array(items) => items.get(index(&token)?),
        _ => None,
    })
}

/// [`value_at`], to change the value.
pub fn value_at_mut<'a>(root: &'a mut Value, pointer: &str) -> Option<&'a mut Value> {
    tokens(pointer)?.try_fold(root, |value, token| match value {
        Value::Object(map) => map.get_mut(&token),
        Value::Array(items) => items.get_mut(index(&token)?),
        _ => None,
    })
}

/// The unescaped tokens of `pointer`; `None` unless it is empty or starts with `/`.
fn tokens(pointer: &str) -> Option<impl Iterator<Item = String> + '_> {
    if !pointer.is_empty() && !pointer.starts_with('/') {
        return None;
    }
    Some(pointer.split('/').skip(1).map(unescape))
}

/// An array index as a pointer writes it: digits, no sign, no leading zero.
fn index(token: &str) -> Option<usize> {
    if token.starts_with('+') || (token.starts_with('0') && token.len() != 1) {
        return None;
    }
    token.parse().ok()
}

/// `text` with the value at `pointer` set to `value` (missing objects are created, an array
/// grows by one at its end); `None` when `text` is not JSON or the pointer crosses a value
/// that is neither an object nor an array.
pub fn with_field(text: &str, pointer: &str, value: Value) -> Option<String> {
    edit(text, |root| set_field(root, pointer, value))
}

/// [`with_field`] on a document already read as JSON.
pub fn set_field(root: &mut Value, pointer: &str, value: Value) -> Option<()> {
    *slot(root, pointer)? = value;
    Some(())
}

/// `text` without the key at `pointer` (an optional field left to its default); the text
/// unchanged when there is no such key; `None` when `text` is not JSON.
pub fn without_field(text: &str, pointer: &str) -> Option<String> {
    edit(text, |root| {
        let (parent, key) = pointer.rsplit_once('/')?;
        if let Some(Value::Object(map)) = value_at_mut(root, parent) {
            map.remove(&unescape(key));
        }
        Some(())
    })
}

/// `text` with the items `from..` of the array at `pointer` replaced by `items` (insert at
/// the end, cut a conversation short, or both); `None` when there is no such array.
pub fn splice(text: &str, pointer: &str, from: usize, items: Vec<Value>) -> Option<String> {
    edit(text, |root| {
        let Value::Array(array) = value_at_mut(root, pointer)? else {
            return None;
        };
        array.truncate(from);
        array.extend(items);
        Some(())
    })
}

/// `text` with the item `index` of the array at `pointer` inserted or (when `value` is
/// `None`) removed; `None` when there is no such array or index.
pub fn set_item(text: &str, pointer: &str, index: usize, value: Option<Value>) -> Option<String> {
    edit(text, |root| {
        let Value::Array(array) = value_at_mut(root, pointer)? else {
            return None;
        };
        match value {
            Some(value) if index <= array.len() => array.insert(index, value),
            None if index < array.len() => {
                array.remove(index);
            }
            _ => return None,
        }
        Some(())
    })
}

/// Applies `change` to `text` read as JSON, written back in the text's own style (so that
/// the editor keeps one field per line).
fn edit(text: &str, change: impl FnOnce(&mut Value) -> Option<()>) -> Option<String> {
    let mut root: Value = serde_json::from_str(text).ok()?;
    change(&mut root)?;
    to_text(&root, text)
}

/// `value` as compact JSON. The first screen writes JSON only through `serde_json::to_string`,
/// not also through `Value`'s `Display` (`to_string()`): that is two more copies of the
/// writer, compact and indented (1.2 KB brotli of the first load).
pub fn json_text(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// `root` written in the style of `like`: indented when `like` spans lines, else compact.
pub fn to_text(root: &Value, like: &str) -> Option<String> {
    if like.contains('\n') {
        serde_json::to_string_pretty(root).ok()
    } else {
        serde_json::to_string(root).ok()
    }
}

/// The value at `pointer`, created (as `null`, with any missing objects on the way) if absent.
fn slot<'a>(root: &'a mut Value, pointer: &str) -> Option<&'a mut Value> {
    let mut slot = root;
    for token in pointer.split('/').skip(1) {
        let key = unescape(token);
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
    Some(slot)
}

/// RFC 6901: `~1` → `/`, `~0` → `~` (any other `~` kept, as serde_json keeps it).
fn unescape(token: &str) -> String {
    let mut out = String::with_capacity(token.len());
    let mut rest = token;
    while let Some(tilde) = rest.find('~') {
        out.push_str(&rest[..tilde]);
        rest = &rest[tilde + 1..];
        let (unescaped, taken) = match rest.as_bytes().first() {
            Some(b'1') => ('/', 1),
            Some(b'0') => ('~', 1),
            _ => ('~', 0),
        };
        out.push(unescaped);
        rest = &rest[taken..];
    }
    out.push_str(rest);
    out
}

/// What a number field holds: the integer typed, or the text itself when it is not one (so
/// that the schema names the problem and nothing typed is lost).
pub fn typed_integer(input: &str) -> Value {
    input
        .trim()
        .parse::<i64>()
        .map_or_else(|_| Value::String(input.to_owned()), Value::from)
}

/// Like [`typed_integer`] for fields that take any number (`0.7`, `.5`, `1e-3`).
pub fn typed_number(input: &str) -> Value {
    match typed_integer(input) {
        Value::String(_) => decimal_as_json(input.trim())
            .and_then(|json| json.parse::<serde_json::Number>().ok())
            .map_or_else(|| Value::String(input.to_owned()), Value::Number),
        integer => integer,
    }
}

/// A decimal number as people type it (`0.7`, `.5`, `5.`, `+1.5E-3`) in JSON's stricter
/// form (`0.7e0`, `0.5e0`, `5.0e0`, `1.5e-3`), or `None` when it is not one: read by
/// serde_json, whose parser of floating-point numbers the browser has anyway (the standard
/// library's would add its 10 KB of tables to the first screen).
pub(crate) fn decimal_as_json(text: &str) -> Option<String> {
    let (sign, unsigned) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text.strip_prefix('+').unwrap_or(text)),
    };
    let (mantissa, exponent) = unsigned.split_once(['e', 'E']).unwrap_or((unsigned, "0"));
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let exponent_digits = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
    let digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    let is_decimal = !(whole.is_empty() && fraction.is_empty())
        && digits(whole)
        && digits(fraction)
        && !exponent_digits.is_empty()
        && digits(exponent_digits);
    fn or_zero(part: &str) -> &str {
        if part.is_empty() {
            "0"
        } else {
            part
        }
    }
    is_decimal.then(|| {
        let whole = or_zero(whole.trim_start_matches('0'));
        format!("{sign}{whole}.{}e{exponent}", or_zero(fraction))
    })
}

/// A form field's text: strings as they are, other values as JSON, nothing as empty.
pub fn field_text(value: Option<Value>) -> String {
    match value {
        Some(Value::String(text)) => text,
        Some(Value::Null) | None => String::new(),
        Some(other) => json_text(&other),
    }
}

/// The 1-based line of `text` where the value at `pointer` starts, so that an error found at
/// a pointer can be shown at its line in the JSON editor. A missing value is placed at its
/// nearest present ancestor. `None` when `text` is not JSON.
pub fn pointer_line(text: &str, pointer: &str) -> Option<usize> {
    // Read as a `Value`, as the arguments are: a reader that only checks would be another
    // copy of serde_json's parser.
    serde_json::from_str::<Value>(text).ok()?;
    let start = Scanner::new(text)
        .find(&path_of(pointer))
        .unwrap_or_else(|ancestor| ancestor);
    Some(text[..start].matches('\n').count() + 1)
}

/// `text` with the value at `pointer` replaced by the scalar `value` in place: the rest of
/// the text, its layout and its other values (a 250 KB image) are neither written again nor
/// read as JSON. `None` when the value is not a scalar or `text` has no value at `pointer`.
/// `text` must be JSON.
pub fn with_scalar(text: &str, pointer: &str, value: &Value) -> Option<String> {
    if value.is_object() || value.is_array() {
        return None;
    }
    let mut scanner = Scanner::new(text);
    let start = scanner.find(&path_of(pointer)).ok()?;
    scanner.skip_value();
    let value = serde_json::to_string(value).ok()?;
    Some([&text[..start], &value, &text[scanner.at..]].concat())
}

fn path_of(pointer: &str) -> Vec<String> {
    pointer.split('/').skip(1).map(unescape).collect()
}

/// Just enough of a JSON reader to find where a value starts (the text is known to be JSON).
struct Scanner<'a> {
    text: &'a str,
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Scanner<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            text,
            bytes: text.as_bytes(),
            at: 0,
        }
    }

    /// Skips to the value at `path` below the value here: `Ok` where it starts, else `Err`
    /// where the deepest value of `path` that exists starts.
    fn find(&mut self, path: &[String]) -> Result<usize, usize> {
        self.skip_space();
        let start = self.at;
        let Some((first, rest)) = path.split_first() else {
            return Ok(start);
        };
        match self.bytes.get(self.at) {
            Some(b'{') => {
                self.at += 1;
                loop {
                    self.skip_space();
                    if self.bytes.get(self.at) != Some(&b'"') {
                        return Err(start);
                    }
                    let key_start = self.at;
                    self.skip_value();
                    // Read as a `Value` from text, as the arguments are: a reader of bytes or of
                    // strings only would be another copy of serde_json's parser.
                    let key = serde_json::from_str(&self.text[key_start..self.at]);
                    let key = match key {
                        Ok(Value::String(key)) => key,
                        _ => String::new(),
                    };
                    self.skip_space();
                    self.at += 1; // ':'
                    if key == *first {
                        return self.find(rest);
                    }
                    self.skip_value();
                    self.skip_space();
                    self.at += 1; // ',' or '}'
                }
            }
            Some(b'[') => {
                self.at += 1;
                let Ok(index) = first.parse::<usize>() else {
                    return Err(start);
                };
                for _ in 0..index {
                    self.skip_space();
                    if self.bytes.get(self.at) == Some(&b']') {
                        return Err(start);
                    }
                    self.skip_value();
                    self.skip_space();
                    if self.bytes.get(self.at) != Some(&b',') {
                        return Err(start);
                    }
                    self.at += 1;
                }
                self.skip_space();
                if self.bytes.get(self.at) == Some(&b']') {
                    return Err(start);
                }
                self.find(rest)
            }
            _ => Err(start),
        }
    }

    fn skip_space(&mut self) {
        while self.bytes.get(self.at).is_some_and(u8::is_ascii_whitespace) {
            self.at += 1;
        }
    }

    fn skip_value(&mut self) {
        self.skip_space();
        match self.bytes.get(self.at) {
            Some(b'"') => {
                // To the next quote not escaped, by memchr (a base64 image has neither
                // quotes nor backslashes: one call crosses it).
                let mut from = self.at + 1;
                self.at = loop {
                    let Some(quote) = self.text[from..].find('"').map(|i| from + i) else {
                        break self.text.len();
                    };
                    let backslashes = self.bytes[..quote]
                        .iter()
                        .rev()
                        .take_while(|&&b| b == b'\\')
                        .count();
                    if backslashes % 2 == 0 {
                        break quote + 1;
                    }
                    from = quote + 1;
                };
            }
            Some(b'{' | b'[') => {
                let mut depth = 0usize;
                while let Some(&b) = self.bytes.get(self.at) {
                    match b {
                        b'"' => {
                            self.skip_value();
                            continue;
                        }
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth -= 1;
                            if depth == 0 {
                                self.at += 1;
                                return;
                            }
                        }
                        _ => {}
                    }
                    self.at += 1;
                }
            }
            _ => {
                while self
                    .bytes
                    .get(self.at)
                    .is_some_and(|b| !matches!(b, b',' | b'}' | b']') && !b.is_ascii_whitespace())
                {
                    self.at += 1;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_scalar_is_replaced_in_place_and_the_rest_of_the_text_is_kept() {
        let doc = json!({
            "a/b": "x\\\"y\\",
            "controlnet": {"image_dataurl": format!("data:image/png;base64,{}", "QUJD".repeat(5000)), "weight": 70},
            "list": [1, {"k": "v\""}, [true, null]],
            "prompt": "a \"quoted\" cat",
            "zz": 1.5
        });
        let pointers = [
            "/a~1b",
            "/controlnet/weight",
            "/controlnet/image_dataurl",
            "/list/0",
            "/list/1/k",
            "/list/2/1",
            "/prompt",
            "/zz",
        ];
        for text in [doc.to_string(), serde_json::to_string_pretty(&doc).unwrap()] {
            for pointer in pointers {
                for value in [
                    json!("new \"one\" \\"),
                    json!(42),
                    json!(null),
                    json!(false),
                ] {
                    let edited = with_scalar(&text, pointer, &value).unwrap();
                    let mut expected = doc.clone();
                    set_field(&mut expected, pointer, value.clone()).unwrap();
                    assert_eq!(
                        serde_json::from_str::<Value>(&edited).unwrap(),
                        expected,
                        "{pointer}"
                    );
                    assert_eq!(
                        edited.lines().count(),
                        text.lines().count(),
                        "layout kept at {pointer}"
                    );
                }
            }
            // Not in place: a missing value, a value inside a scalar, an object or an array.
            assert_eq!(with_scalar(&text, "/missing", &json!(1)), None);
            assert_eq!(with_scalar(&text, "/zz/deeper", &json!(1)), None);
            assert_eq!(with_scalar(&text, "/list/3", &json!(1)), None);
            assert_eq!(with_scalar(&text, "/prompt", &json!({"a": 1})), None);
            assert_eq!(with_scalar(&text, "/prompt", &json!([1])), None);
        }
    }

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
        // An indented text stays indented.
        let edited = with_field("{\n  \"a\": 1\n}", "/b", json!(2)).unwrap();
        assert_eq!(edited, "{\n  \"a\": 1,\n  \"b\": 2\n}");
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

    #[test]
    fn optional_fields_are_removed_and_lists_edited_in_place() {
        let text = r#"{"generation_config":{"top_k":5,"top_p":0.9},"messages":[1,2,3]}"#;
        let edited = without_field(text, "/generation_config/top_k").unwrap();
        assert_eq!(
            edited,
            r#"{"generation_config":{"top_p":0.9},"messages":[1,2,3]}"#
        );
        assert_eq!(without_field(text, "/nothing/here").unwrap(), text);
        let cut = splice(text, "/messages", 1, vec![json!(9)]).unwrap();
        assert_eq!(field(&cut, "/messages"), Some(json!([1, 9])));
        let inserted = set_item(text, "/messages", 0, Some(json!(0))).unwrap();
        assert_eq!(field(&inserted, "/messages"), Some(json!([0, 1, 2, 3])));
        let removed = set_item(text, "/messages", 2, None).unwrap();
        assert_eq!(field(&removed, "/messages"), Some(json!([1, 2])));
        assert_eq!(set_item(text, "/messages", 3, None), None);
        assert_eq!(splice(text, "/generation_config", 0, vec![]), None);
        assert_eq!(typed_number("0.7"), json!(0.7));
        assert_eq!(typed_number("2"), json!(2));
        assert_eq!(typed_number("1e400"), json!("1e400"));
        assert_eq!(typed_number("x"), json!("x"));
    }

    #[test]
    fn a_typed_number_reads_as_the_standard_library_reads_it() {
        let mut typed = vec![String::new()];
        for sign in ["", "-", "+", "+-"] {
            for whole in ["", "0", "1", "007", "12", "x"] {
                for fraction in ["", ".", ".5", ".25", ".7", ".1e", ".."] {
                    for exponent in ["", "e3", "E-2", "e+05", "e", "e400", "e-400"] {
                        typed.push(format!(" {sign}{whole}{fraction}{exponent} "));
                    }
                }
            }
        }
        typed.extend(
            [
                "0.9",
                "1.15",
                "0.123456789012345678901",
                "inf",
                "NaN",
                "1_0",
            ]
            .map(String::from),
        );
        for input in typed {
            let by_std = input.trim().parse::<f64>().ok().filter(|n| n.is_finite());
            let read = typed_number(&input);
            assert_eq!(read.as_f64(), by_std, "{input:?} read as {read}");
            assert_eq!(
                read.is_string(),
                by_std.is_none(),
                "{input:?} read as {read}"
            );
        }
    }

    #[test]
    fn a_pointer_is_found_at_its_line_in_the_editor() {
        let text = "{\n  \"prompt\": \"a \\\"}{ cat\",\n  \"task_config\": {\n    \"steps\": 500,\n    \"seed\": 1\n  },\n  \"list\": [\n    {\"a\": 1},\n    {\"a\": 2}\n  ],\n  \"a/b\": 0\n}";
        assert_eq!(pointer_line(text, ""), Some(1));
        assert_eq!(pointer_line(text, "/prompt"), Some(2));
        assert_eq!(pointer_line(text, "/task_config/steps"), Some(4));
        assert_eq!(pointer_line(text, "/task_config/seed"), Some(5));
        assert_eq!(pointer_line(text, "/list/1/a"), Some(9));
        assert_eq!(pointer_line(text, "/a~1b"), Some(11));
        // Missing: its nearest present ancestor.
        assert_eq!(pointer_line(text, "/task_config/num_images"), Some(3));
        assert_eq!(pointer_line(text, "/list/5"), Some(7));
        assert_eq!(pointer_line("{", "/prompt"), None);
    }

    /// `value_at` and `value_at_mut` find what serde_json's `pointer` and `pointer_mut` find,
    /// for every pointer made of these tokens, up to three deep.
    #[test]
    fn values_are_found_at_pointers_as_serde_json_finds_them() {
        let doc = json!({
            "": {"": 1}, "a/b": {"~": [2, 3]}, "~1": 4, "~01": 5, "~": {"0": 6}, "x~y": 7,
            "list": [[8, {"k": 9}], 10, 11], "01": 12, "+1": 13, "k": null,
        });
        let tokens = [
            "", "a~1b", "~0", "~1", "~01", "~001", "~", "x~y", "x~2y", "0", "1", "01", "+1", "2",
            "3", "k", "list", "-", "a/b",
        ];
        let mut pointers = vec![String::new(), "list".to_owned(), "list/0".to_owned()];
        let mut level = vec![String::new()];
        for _ in 0..3 {
            level = level
                .iter()
                .flat_map(|p| tokens.iter().map(move |t| format!("{p}/{t}")))
                .collect();
            pointers.extend(level.iter().cloned());
        }
        let mut found = 0;
        for pointer in &pointers {
            assert_eq!(value_at(&doc, pointer), doc.pointer(pointer), "{pointer}");
            let (mut ours, mut theirs) = (doc.clone(), doc.clone());
            assert_eq!(
                value_at_mut(&mut ours, pointer),
                theirs.pointer_mut(pointer),
                "{pointer}"
            );
            found += usize::from(doc.pointer(pointer).is_some());
        }
        // Most of them find nothing: the test must also see the ones that do.
        assert!(found >= 20, "{found}");
        assert_eq!(unescape("~01~10~~1"), "~1/0~/");
    }
}
