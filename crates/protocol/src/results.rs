//! Task results: the GPT result file and the checks of result files against the on-chain
//! proof of `TaskSuccess`.

use serde::{Deserialize, Serialize};

use crate::hash::sha256;

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

/// Whether a GPT result file is the one the chain agreed on: its sha256 is the on-chain
/// `TaskSuccess.result`.
pub fn gpt_result_matches(file: &[u8], onchain_result: &[u8]) -> bool {
    sha256(file).as_slice() == onchain_result
}
