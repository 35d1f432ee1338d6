//! GPT result files and their check against the on-chain proof.

use crynux_protocol::hash::sha256;
use crynux_protocol::phash::{encode_png, phash_png};
use crynux_protocol::results::{verify_gpt_result, verify_image_hash, GptResponse};

const FILE: &[u8] = br#"{"model": "gpt2", "choices": [{"finish_reason": "length", "message": {"role": "assistant", "content": "<script>alert(1)</script> Hello"}, "index": 0}], "usage": {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12}}"#;

#[test]
fn a_result_file_parses() {
    let response = GptResponse::parse(FILE).unwrap();
    assert_eq!(response.model, "gpt2");
    assert_eq!(response.choices[0].finish_reason, "length");
    assert_eq!(
        response.choices[0].message.content,
        "<script>alert(1)</script> Hello"
    );
    assert_eq!(response.usage.total_tokens, 12);
    assert!(GptResponse::parse(b"{\"model\": 1}").is_err());
    assert!(GptResponse::parse(b"\xff").is_err());
}

#[test]
fn the_check_is_sha256_of_the_exact_bytes() {
    let proof = sha256(FILE);
    assert_eq!(
        hex::encode(sha256(b"abc")),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    let verify = verify_gpt_result;
    assert_eq!(verify(FILE, &proof), Ok(()));
    let mut reformatted = FILE.to_vec();
    reformatted.push(b'\n');
    assert!(verify(&reformatted, &proof)
        .unwrap_err()
        .contains("SHA-256"));
    assert!(verify(FILE, &proof[..31]).is_err());
}

/// A 64×48 grey PNG: a diagonal gradient with a bright square.
fn png_image() -> Vec<u8> {
    let (w, h) = (64u32, 48u32);
    let pixels: Vec<u8> = (0..h)
        .flat_map(|y| {
            (0..w).map(move |x| {
                let square = (20..40).contains(&x) && (10..30).contains(&y);
                if square {
                    250
                } else {
                    ((x + y) * 2) as u8
                }
            })
        })
        .collect();
    encode_png(w, h, &pixels)
}

#[test]
fn an_image_agrees_with_its_8_bytes_of_the_proof_below_distance_5() {
    let png = png_image();
    let hash = phash_png(&png).unwrap();
    // Image 1 of a task of 2: its hash is the second 8 bytes.
    let proof_with = |flipped_bits: u32| {
        let mut own = u64::from_be_bytes(hash);
        for bit in 0..flipped_bits {
            own ^= 1 << (bit * 7);
        }
        [[0xAA; 8], own.to_be_bytes()].concat()
    };
    let verify = |proof: &[u8]| verify_image_hash(1, &hash, proof);
    assert_eq!(verify(&proof_with(0)), Ok(()));
    assert_eq!(verify(&proof_with(4)), Ok(()));
    let far = verify(&proof_with(5)).unwrap_err();
    assert!(far.contains("5 bits away"), "{far}");
    // Image 0's hash is another image's: no agreement.
    assert!(verify_image_hash(0, &hash, &proof_with(0)).is_err());
    // No hash on chain for a third image.
    let missing = verify_image_hash(2, &hash, &proof_with(0));
    assert_eq!(
        missing,
        Err("the chain holds no hash for this image".into())
    );
}

mod units {
    use crynux_protocol::units::{
        decimal, format_cnx, format_units, format_units_truncated, parse_units,
    };
    use crynux_protocol::U256;

    #[test]
    fn the_decimal_digits_are_those_of_u256_s_own_writer() {
        // Every power of 10 and of 2 and its neighbours: every length, and the carries across
        // the 9-digit groups and the 32-bit halves.
        let mut amounts = vec![U256::MAX];
        for n in 0..78 {
            amounts.push(U256::exp10(n));
        }
        for n in 0..256 {
            amounts.push(U256::one() << n);
        }
        for amount in amounts.clone() {
            amounts.extend([
                amount.saturating_sub(U256::one()),
                amount.saturating_add(1.into()),
            ]);
        }
        for amount in &amounts {
            assert_eq!(decimal(*amount), amount.to_string());
        }
        assert!(amounts.len() > 1_000);
    }

    #[test]
    fn amounts_are_shown_as_decimal_numbers() {
        assert_eq!(format_cnx(U256::exp10(18) * 30), "30 CNX");
        assert_eq!(format_cnx(U256::exp10(17) * 5), "0.5 CNX");
        assert_eq!(format_cnx(U256::one()), "0.000000000000000001 CNX");
        assert_eq!(format_cnx(U256::zero()), "0 CNX");
        assert_eq!(format_units(U256::from(123_456), 3), "123.456");
        assert_eq!(format_units_truncated(U256::from(123_456), 3, 2), "123.45");
        assert_eq!(format_units_truncated(U256::from(123_009), 3, 2), "123");
        assert_eq!(format_units_truncated(U256::from(999), 3, 0), "0");
        assert_eq!(
            format_units(U256::MAX, 18),
            "115792089237316195423570985008687907853269984665640564039457.584007913129639935"
        );
    }

    #[test]
    fn typed_amounts_are_read_exactly_or_refused_with_a_reason() {
        assert_eq!(parse_units("30", 18).unwrap(), U256::exp10(18) * 30);
        assert_eq!(parse_units(" 0.5 ", 18).unwrap(), U256::exp10(17) * 5);
        assert_eq!(parse_units(".5", 18).unwrap(), U256::exp10(17) * 5);
        assert_eq!(parse_units("7.", 18).unwrap(), U256::exp10(18) * 7);
        assert_eq!(
            parse_units("0.000000000000000001", 18).unwrap(),
            U256::one()
        );
        for amount in [
            U256::zero(),
            U256::from(123_456),
            U256::exp10(18) * 1234 + 7,
        ] {
            assert_eq!(parse_units(&format_units(amount, 18), 18).unwrap(), amount);
        }
        for bad in ["", ".", "-1", "1e3", "1,000", "0x10", "1.2.3"] {
            assert!(
                parse_units(bad, 18).unwrap_err().contains("not an amount"),
                "{bad}"
            );
        }
        assert!(parse_units("0.0000000000000000001", 18)
            .unwrap_err()
            .contains("at most 18 digits"));
        assert!(parse_units(&"9".repeat(80), 18)
            .unwrap_err()
            .contains("too large"));
    }
}
