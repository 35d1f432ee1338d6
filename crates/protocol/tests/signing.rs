//! Relay signatures against vectors produced independently by foundry's `cast wallet sign`
//! with the anvil dev key 0.

use crynux_protocol::signing::{
    recover_request_signer, sign_request, PrivateKey, RelayRequest, SignScheme, Signature,
    SignatureError,
};
use crynux_protocol::{to_checksum, H256};

const KEY: &str = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const ADDRESS: &str = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
const TS: u64 = 1_700_000_000;

/// (request, sign bytes, raw-scheme signature, eip191-scheme signature), v as 0/1.
fn vectors() -> Vec<(
    RelayRequest<'static>,
    &'static str,
    &'static str,
    &'static str,
)> {
    vec![
        (
            RelayRequest::GetTask { task_id: 7 },
            r#"{"task_id":7}1700000000"#,
            "0xefa870b4451b7707a0f0de340632ddec8c17ed45a3142d933c30f6aa9933feed53adc7b6786060bffe9d14c8e7b3b0972045b7f4ddc531ed6f367e4aff4690dd00",
            "0xff66d9a9ff65599c185abab4004bb5ea4e48a84d73ec13f0eaf2278a083fcb303f586701fa478a52ed11fe7f29f2c9f163ed55c8c1c712d1117ccdcaa4139ac001",
        ),
        (
            RelayRequest::GetResult { task_id: 7, image_num: 2 },
            r#"{"image_num":"2","task_id":7}1700000000"#,
            "0x161fa75c17fe31ea24efe768f4c66854a40b8a78cc51886ad287a5144538c82c4f5f0469a94cb2014fa0e0e0484d0daca38c57fddc7aa25642b5ab3a58eacc2100",
            "0x0707ce7cadecdc7b554a41d162357c60b43dcdfb69e5645a412dcb088b51da4e7e8a948f5d44736da0f2d5bf175d7a8da684b9fc5118d5727af9cf910278a3a100",
        ),
        (
            RelayRequest::UploadArgs { task_id: 42, task_args: r#"{"prompt":"<cat-toy> & co"}"# },
            r#"{"task_args":"{\"prompt\":\"\u003ccat-toy\u003e \u0026 co\"}","task_id":42}1700000000"#,
            "0x2c414beca4e15a342e44c86606c0bc1db5ee7247bf797a07613c8a6e50e097b4126c3f24e8190f407cb8c1969702d75f5aa7eac039d8207b162e56cd7d68632001",
            "0x631666a2330e2ab9fa12dfb591b4bc7454705f95bf9ed5ede34aab4dc9c28f6c54d326ad5b32837e22a8eccb80a2ed7348606377ad01935a62d69e920175a8dd00",
        ),
    ]
}

fn key() -> PrivateKey {
    PrivateKey::from_hex(KEY).unwrap()
}

#[test]
fn the_dev_key_has_the_well_known_address() {
    assert_eq!(to_checksum(&key().address(), None), ADDRESS);
}

#[test]
fn sign_bytes_are_go_json_plus_decimal_timestamp() {
    for (request, sign_bytes, _, _) in vectors() {
        assert_eq!(
            String::from_utf8(request.sign_bytes(TS)).unwrap(),
            sign_bytes
        );
    }
}

#[test]
fn signatures_match_cast_for_both_schemes_with_v_0_or_1() {
    for (request, _, raw, eip191) in vectors() {
        assert_eq!(
            sign_request(&key(), SignScheme::Raw, &request, TS).to_hex(),
            raw
        );
        assert_eq!(
            sign_request(&key(), SignScheme::Eip191, &request, TS).to_hex(),
            eip191
        );
    }
}

#[test]
fn the_schemes_hash_differently_and_recover_only_under_their_own_scheme() {
    let (request, _, _, _) = vectors().remove(0);
    let raw = sign_request(&key(), SignScheme::Raw, &request, TS);
    let signer = recover_request_signer(SignScheme::Raw, &request, TS, &raw).unwrap();
    assert_eq!(signer, key().address());
    let crossed = recover_request_signer(SignScheme::Eip191, &request, TS, &raw).unwrap();
    assert_ne!(crossed, key().address());
    // Another timestamp is another message.
    let later = recover_request_signer(SignScheme::Raw, &request, TS + 1, &raw).unwrap();
    assert_ne!(later, key().address());
}

#[test]
fn signatures_are_low_s_and_deterministic() {
    let half_order = H256::from_slice(
        &hex::decode("7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0").unwrap(),
    );
    for n in 0..200u64 {
        let request = RelayRequest::GetTask { task_id: n };
        let a = sign_request(&key(), SignScheme::Raw, &request, TS);
        let b = sign_request(&key(), SignScheme::Raw, &request, TS);
        assert_eq!(a, b);
        let bytes = hex::decode(&a.to_hex()[2..]).unwrap();
        assert!(
            H256::from_slice(&bytes[32..64]) <= half_order,
            "high s for task {n}"
        );
        assert!(bytes[64] <= 1);
    }
}

#[test]
fn parsing_accepts_v_27_28_and_normalizes_high_s() {
    let (request, _, raw, _) = vectors().remove(1);
    let mut bytes = hex::decode(&raw[2..]).unwrap();
    // v as wallets report it.
    bytes[64] += 27;
    let wallet_form = Signature::from_hex(&format!("0x{}", hex::encode(&bytes))).unwrap();
    assert_eq!(wallet_form.to_hex(), raw);
    assert!(!wallet_form.was_high_s());

    // The malleable twin: s' = n - s, parity flipped. Same signer, flagged.
    let n = ethers_core::types::U256::from_str_radix(
        "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141",
        16,
    )
    .unwrap();
    let s = ethers_core::types::U256::from_big_endian(&bytes[32..64]);
    let mut twin = bytes.clone();
    (n - s).to_big_endian(&mut twin[32..64]);
    twin[64] = if bytes[64] == 27 { 1 } else { 0 };
    let twin = Signature::from_hex(&hex::encode(&twin)).unwrap();
    assert!(twin.was_high_s());
    assert_eq!(twin.to_hex(), raw);
    let signer = recover_request_signer(SignScheme::Raw, &request, TS, &twin).unwrap();
    assert_eq!(signer, key().address());
}

#[test]
fn malformed_signatures_are_errors() {
    let raw = vectors().remove(0).2;
    assert!(matches!(
        Signature::from_hex("0xzz"),
        Err(SignatureError::NotHex(_))
    ));
    assert_eq!(
        Signature::from_hex(&raw[..130]),
        Err(SignatureError::WrongLength(64))
    );
    let bad_v = format!("{}1d", &raw[..130]);
    assert_eq!(
        Signature::from_hex(&bad_v),
        Err(SignatureError::BadRecoveryByte(29))
    );
    let zero_r = format!("0x{}{}", "00".repeat(32), &raw[66..]);
    assert_eq!(
        Signature::from_hex(&zero_r),
        Err(SignatureError::OutOfRange)
    );
    assert!(PrivateKey::from_hex(&format!("0x{}", "00".repeat(32))).is_err());
    assert!(PrivateKey::from_hex("0x1234").is_err());
}

#[test]
fn requests_know_their_relay_paths() {
    let paths = [
        (
            RelayRequest::UploadArgs {
                task_id: 4,
                task_args: "{}",
            },
            "/v1/inference_tasks",
        ),
        (
            RelayRequest::GetTask { task_id: 4 },
            "/v1/inference_tasks/4",
        ),
        (
            RelayRequest::UploadResults { task_id: 4 },
            "/v1/inference_tasks/4/results",
        ),
        (
            RelayRequest::GetResult {
                task_id: 4,
                image_num: 2,
            },
            "/v1/inference_tasks/4/results/2",
        ),
    ];
    for (request, path) in paths {
        assert_eq!(request.path(), path);
    }
    let request = RelayRequest::GetTask { task_id: 7 };
    let signature = sign_request(&key(), SignScheme::Raw, &request, TS);
    assert_eq!(
        request.signed_get_path(TS, &signature),
        format!(
            "/v1/inference_tasks/7?timestamp=1700000000&signature={}",
            signature.to_hex()
        )
    );
}
