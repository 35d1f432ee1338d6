//! Go `encoding/json` string escaping, rule by rule (Go ≥ 1.22, `json.Marshal`).

use crynux_protocol::gojson::{go_json_object, go_json_string, GoValue};

#[test]
fn html_characters_are_escaped_as_go_does() {
    assert_eq!(
        go_json_string(b"<cat-toy> & co"),
        r#""\u003ccat-toy\u003e \u0026 co""#
    );
}

#[test]
fn line_and_paragraph_separators_are_escaped() {
    assert_eq!(
        go_json_string("a\u{2028}b\u{2029}c".as_bytes()),
        r#""a\u2028b\u2029c""#
    );
}

#[test]
fn control_characters_use_short_escapes_where_go_has_them() {
    assert_eq!(
        go_json_string(b"\n\r\t\x08\x0c\x00\x01\x1f"),
        r#""\n\r\t\b\f\u0000\u0001\u001f""#
    );
}

#[test]
fn quotes_and_backslashes_are_escaped_but_slash_and_del_are_not() {
    assert_eq!(go_json_string(b"\"\\/\x7f"), "\"\\\"\\\\/\x7f\"");
}

#[test]
fn other_non_ascii_stays_raw_utf8() {
    assert_eq!(go_json_string("héllo 猫 🐈".as_bytes()), "\"héllo 猫 🐈\"");
}

#[test]
fn each_invalid_utf8_byte_becomes_one_replacement_escape() {
    // A lone continuation byte, a truncated 3-byte sequence, an encoded surrogate.
    assert_eq!(go_json_string(b"a\x80b"), r#""a\ufffdb""#);
    assert_eq!(go_json_string(b"\xe2\x82x"), r#""\ufffd\ufffdx""#);
    assert_eq!(go_json_string(b"\xed\xa0\x80"), r#""\ufffd\ufffd\ufffd""#);
}

#[test]
fn objects_are_compact_in_field_order() {
    let json = go_json_object(&[
        ("task_args", GoValue::Str(b"{\"a\": 1}")),
        ("task_id", GoValue::Uint(18_446_744_073_709_551_615)),
    ]);
    assert_eq!(
        json,
        r#"{"task_args":"{\"a\": 1}","task_id":18446744073709551615}"#
    );
}

#[test]
fn agrees_with_serde_json_once_go_only_escapes_are_applied() {
    // serde_json writes the same JSON except for the Go-only escapes.
    let samples = [
        "plain",
        "tab\tquote\"",
        "mixed <b>&</b> \u{2028} é",
        "\u{1}\u{1f}\u{7f}",
    ];
    for sample in samples {
        let serde = serde_json::to_string(sample)
            .unwrap()
            .replace('<', "\\u003c")
            .replace('>', "\\u003e")
            .replace('&', "\\u0026")
            .replace('\u{2028}', "\\u2028");
        assert_eq!(go_json_string(sample.as_bytes()), serde, "{sample:?}");
    }
}
