//! Task results: the GPT result file and the checks of result files against the on-chain
//! proof of `TaskSuccess`.

use serde::{Deserialize, Serialize};

use crate::hash::sha256;
use crate::phash::{hamming_distance, PHASH_BYTES};

/// The GPT result file (`results/0`), as the nodes write it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GptResponse {
    /// The model that answered.
    pub model: String,
    /// One per returned sequence.
    pub choices: Vec<GptChoice>,
    /// Token counts.
    pub usage: GptUsage,
}

/// One generated reply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GptChoice {
    /// `stop` (the model finished) or `length` (`max_new_tokens` reached).
    pub finish_reason: String,
    /// The reply.
    pub message: GptReply,
    /// Position among the returned sequences.
    pub index: u32,
}

/// The reply of a choice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GptReply {
    /// Always `assistant`.
    pub role: String,
    /// The generated text (plain text: never to be interpreted as HTML).
    pub content: String,
}

/// Token counts of a GPT task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct GptUsage {
    /// Tokens of the conversation sent.
    pub prompt_tokens: u64,
    /// Tokens generated.
    pub completion_tokens: u64,
    /// The sum.
    pub total_tokens: u64,
}

impl GptResponse {
    /// Reads a result file.
    pub fn parse(bytes: &[u8]) -> Result<Self, String> {
        serde_json::from_slice(bytes).map_err(|e| format!("not a GPT result file: {e}"))
    }
}

/// Hamming distance between two pHashes below which the contract counts two images as the
/// same result.
pub const PHASH_AGREEMENT_DISTANCE: u32 = 5;

/// Whether a GPT result file is the one the chain agreed on: its sha256 is the on-chain
/// `TaskSuccess.result`. The error says why not, in words.
pub fn verify_gpt_result(file: &[u8], onchain_result: &[u8]) -> Result<(), String> {
    if sha256(file).as_slice() == onchain_result {
        Ok(())
    } else {
        Err("its SHA-256 differs from the hash on chain".into())
    }
}

/// Whether image `index` of an SD task, whose pHash is `image_hash`, is the one the chain
/// agreed on: within Hamming distance < 5 of its 8 bytes of `TaskSuccess.result`.
pub fn verify_image_hash(
    index: u32,
    image_hash: &[u8; PHASH_BYTES],
    onchain_result: &[u8],
) -> Result<(), String> {
    let start = index as usize * PHASH_BYTES;
    let proof: &[u8; PHASH_BYTES] = onchain_result
        .get(start..start + PHASH_BYTES)
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or("the chain holds no hash for this image")?;
    let distance = hamming_distance(image_hash, proof);
    if distance < PHASH_AGREEMENT_DISTANCE {
        Ok(())
    } else {
        Err(format!(
            "its perceptual hash is {distance} bits away from the one on chain (below \
             {PHASH_AGREEMENT_DISTANCE} is the same image)"
        ))
    }
}
