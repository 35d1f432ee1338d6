//! Go `encoding/json`, reproduced byte for byte for what the relay signs: its signature check
//! hashes `json.Marshal(params)`, so a client must write the same bytes.

/// A value of the signed parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GoValue<'a> {
    /// A Go `string`; invalid UTF-8 is allowed and encoded as Go does.
    Str(&'a [u8]),
    /// A Go `uint64`.
    Uint(u64),
}

/// `json.Marshal` of a Go struct whose fields are `fields`, in declaration order.
pub fn go_json_object(fields: &[(&str, GoValue<'_>)]) -> String {
    let mut out = String::from("{");
    for (i, (name, value)) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_go_string(&mut out, name.as_bytes());
        out.push(':');
        match value {
            GoValue::Str(bytes) => push_go_string(&mut out, bytes),
            GoValue::Uint(n) => out.push_str(&n.to_string()),
        }
    }
    out.push('}');
    out
}

/// `json.Marshal` of a Go string: HTML-safe escaping of `<` `>` `&`, U+2028/U+2029 escaped,
/// control characters as Go ≥ 1.22 writes them, `\ufffd` for each invalid UTF-8 byte.
pub fn go_json_string(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + 2);
    push_go_string(&mut out, bytes);
    out
}

fn push_go_string(out: &mut String, bytes: &[u8]) {
    out.push('"');
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '\u{8}' => out.push_str("\\b"),
                '\u{c}' => out.push_str("\\f"),
                '<' | '>' | '&' | '\u{2028}' | '\u{2029}' | '\0'..='\u{1f}' => {
                    out.push_str(&format!("\\u{:04x}", c as u32))
                }
                c => out.push(c),
            }
        }
        // Go decodes each invalid byte as utf8.RuneError of width 1.
        for _ in chunk.invalid() {
            out.push_str("\\ufffd");
        }
    }
    out.push('"');
}
