//! The `crynux` command as scripts see it: exit codes, stdout, stderr.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

const KEY: &str = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

fn crynux(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_crynux"))
        .args(args)
        .env_remove("CRYNUX_PRIVATE_KEY")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A command that fails before reading its input closes the pipe: that is fine.
    if let Err(e) = child.stdin.take().unwrap().write_all(stdin) {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
    }
    child.wait_with_output().unwrap()
}

fn file(name: &str, contents: &[u8]) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cli-tests");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn validate_accepts_valid_args_from_a_file_and_from_stdin() {
    let sd = file(
        "sd.json",
        br#"{"base_model":"m","prompt":"p","task_config":{"num_images":1}}"#,
    );
    let out = crynux(
        &["args", "validate", "--type", "sd", sd.to_str().unwrap()],
        b"",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = crynux(
        &["args", "validate", "--type", "1", "-"],
        br#"{"model":"gpt2","messages":[]}"#,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn validate_exits_1_with_one_line_per_error() {
    let bad = file(
        "bad.json",
        br#"{"base_model":"m","task_config":{"steps":101,"cfg":0}}"#,
    );
    let out = crynux(
        &["args", "validate", "--type", "0", bad.to_str().unwrap()],
        b"",
    );
    assert_eq!(out.status.code(), Some(1));
    let mut lines: Vec<String> = text(&out.stderr).lines().map(str::to_owned).collect();
    lines.sort();
    assert_eq!(
        lines,
        [
            "/prompt: is required",
            "/task_config/cfg: must be at least 1",
            "/task_config/steps: must be at most 100"
        ]
    );
}

#[test]
fn validate_exits_2_when_the_file_is_missing_or_not_json() {
    let out = crynux(
        &[
            "args",
            "validate",
            "--type",
            "gpt",
            "/nonexistent/args.json",
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("cannot read /nonexistent/args.json"));
    let out = crynux(&["args", "validate", "--type", "gpt", "-"], b"{\"model\": ");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("not valid JSON (line 1, column 10)"),
        "{}",
        text(&out.stderr)
    );
    let out = crynux(&["args", "validate", "--type", "gpt", "-"], b"\"\xff\"");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("not UTF-8"));
    let out = crynux(&["args", "validate", "--type", "image", "-"], b"{}");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn hash_is_keccak_of_the_exact_bytes() {
    let out = crynux(&["args", "hash", "-"], b"");
    assert_eq!(
        text(&out.stdout),
        "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470\n"
    );
    // Values from foundry's `cast keccak`: a space and a newline make another hash.
    let spaced = file("spaced.json", b"{\"a\": 1}\n");
    let out = crynux(&["args", "hash", spaced.to_str().unwrap()], b"");
    assert_eq!(
        text(&out.stdout),
        "0x149f00d9e0723f9f506722910c8911f6ac04b0fbfc00007ab12692bde003f66d\n"
    );
    let out = crynux(&["args", "hash", "-"], b"{\"a\":1}");
    assert_eq!(
        text(&out.stdout),
        "0x25e7c2a96531eb50246780c1f25742e489bf55210e26981dc02992bb585feb97\n"
    );
}

#[test]
fn sign_prints_cast_compatible_signatures_for_each_request() {
    let cases: [(&[&str], &str, &str); 3] = [
        (&["task", "--task-id", "7"], "raw", "0xefa870b4451b7707a0f0de340632ddec8c17ed45a3142d933c30f6aa9933feed53adc7b6786060bffe9d14c8e7b3b0972045b7f4ddc531ed6f367e4aff4690dd00"),
        (&["result", "--task-id", "7", "--image-num", "2"], "eip191", "0x0707ce7cadecdc7b554a41d162357c60b43dcdfb69e5645a412dcb088b51da4e7e8a948f5d44736da0f2d5bf175d7a8da684b9fc5118d5727af9cf910278a3a100"),
        (&["upload", "--task-id", "42", "--task-args-file", "-"], "raw", "0x2c414beca4e15a342e44c86606c0bc1db5ee7247bf797a07613c8a6e50e097b4126c3f24e8190f407cb8c1969702d75f5aa7eac039d8207b162e56cd7d68632001"),
    ];
    for (request, scheme, signature) in cases {
        let mut args = vec![
            "sign",
            "--key",
            KEY,
            "--scheme",
            scheme,
            "--timestamp",
            "1700000000",
        ];
        args.extend_from_slice(request);
        let out = crynux(&args, br#"{"prompt":"<cat-toy> & co"}"#);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        assert_eq!(text(&out.stdout).trim(), signature, "{request:?}");
    }
}

#[test]
fn print_message_shows_the_sign_bytes_and_needs_no_key() {
    let out = crynux(
        &[
            "sign",
            "--timestamp",
            "1700000000",
            "--print-message",
            "upload",
            "--task-id",
            "42",
            "--task-args-file",
            "-",
        ],
        br#"{"prompt":"<cat-toy> & co"}"#,
    );
    assert_eq!(
        text(&out.stdout),
        "{\"task_args\":\"{\\\"prompt\\\":\\\"\\u003ccat-toy\\u003e \\u0026 co\\\"}\",\"task_id\":42}1700000000\n"
    );
}

#[test]
fn sign_without_a_usable_key_exits_2() {
    let out = crynux(&["sign", "task", "--task-id", "1"], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--key"));
    let out = crynux(&["sign", "--key", "0x12", "task", "--task-id", "1"], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("not a valid private key"));
}
