//! Signatures as a relay receives them: any text. What parses writes back to a canonical
//! form that parses to the same signature, and recovering a signer never panics.
#![no_main]

use crynux_protocol::signing::Signature;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (hash, text) = data.split_at(data.len().min(32));
    let mut digest = [0u8; 32];
    digest[..hash.len()].copy_from_slice(hash);
    let Ok(signature) = Signature::from_hex(&String::from_utf8_lossy(text)) else {
        return;
    };
    let canonical = signature.to_hex();
    let again = Signature::from_hex(&canonical).expect("the canonical form parses");
    assert!(
        again.to_bytes() == signature.to_bytes() && !again.was_high_s(),
        "{canonical}"
    );
    assert_eq!(signature.recover(&digest).ok(), again.recover(&digest).ok());
});
