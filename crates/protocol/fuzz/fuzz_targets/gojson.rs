//! The Go `json.Marshal` string writer the relay signatures hash, compared with an
//! independent model: Go reads the bytes character by character, writes each invalid UTF-8
//! byte as `\ufffd`, and each character as `serde_json` writes it, except `<` `>` `&`
//! U+2028 U+2029, which it escapes as `\u` sequences.
#![no_main]

use crynux_protocol::gojson::go_json_string;
use libfuzzer_sys::fuzz_target;

/// Go's `range` over a string: `Some` valid character, or `None` for one invalid byte.
fn go_chars(mut bytes: &[u8]) -> Vec<Option<char>> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let valid = (1..=bytes.len().min(4))
            .find_map(|len| std::str::from_utf8(&bytes[..len]).ok())
            .and_then(|s| s.chars().next());
        out.push(valid);
        bytes = &bytes[valid.map_or(1, char::len_utf8)..];
    }
    out
}

fn go_char(c: char) -> String {
    match c {
        '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => format!("\\u{:04x}", c as u32),
        c => {
            let quoted = serde_json::to_string(&c.to_string()).unwrap();
            quoted[1..quoted.len() - 1].to_owned()
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let chars = go_chars(data);
    let body: String = chars
        .iter()
        .map(|c| c.map_or_else(|| "\\ufffd".to_owned(), go_char))
        .collect();
    let written = go_json_string(data);
    assert_eq!(written, format!("\"{body}\""));
    let text: String = chars.iter().map(|c| c.unwrap_or('\u{fffd}')).collect();
    assert_eq!(serde_json::from_str::<String>(&written).unwrap(), text);
});
