//! The two hash functions of the protocol.

use sha2::{Digest as _, Sha256};
use sha3::Keccak256;

/// keccak256, Ethereum's hash (not NIST SHA3-256).
pub fn keccak256(bytes: &[u8]) -> [u8; 32] {
    Keccak256::digest(bytes).into()
}

/// sha256, the on-chain proof of a GPT result file.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}
