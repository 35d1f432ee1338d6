//! Task results: the GPT result file and the checks of result files against the on-chain
//! proof of `TaskSuccess`.

use serde::Serialize;
use serde_json::Value;

use crate::hash::sha256;
use crate::phash::{hamming_distance, PHASH_BYTES};
use crate::read::{self, Fields, FromJson, Read};

/// The GPT result file (`results/0`), as the nodes write it. Read by hand
/// ([`GptResponse::parse`]); serde's derived reader is the reference a test holds it equal to.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(serde::Deserialize))]
pub struct GptResponse {
    /// The model that answered.
    pub model: String,
    /// One per returned sequence.
    pub choices: Vec<GptChoice>,
    /// Token counts.
    pub usage: GptUsage,
}

/// One generated reply.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(serde::Deserialize))]
pub struct GptChoice {
    /// `stop` (the model finished) or `length` (`max_new_tokens` reached).
    pub finish_reason: String,
    /// The reply.
    pub message: GptReply,
    /// Position among the returned sequences.
    pub index: u32,
}

/// The reply of a choice.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(serde::Deserialize))]
pub struct GptReply {
    /// Always `assistant`.
    pub role: String,
    /// The generated text (plain text: never to be interpreted as HTML).
    pub content: String,
}

/// Token counts of a GPT task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(serde::Deserialize))]
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
        let text = std::str::from_utf8(bytes)
            .map_err(|_| "not a GPT result file: it is not UTF-8 text".to_owned())?;
        read::from_text(text, "GPT result file")
    }
}

impl FromJson for GptResponse {
    fn from_json(value: Value, pointer: &str) -> Read<Self> {
        let mut fields = Fields::of(value, pointer)?;
        Ok(Self {
            model: fields.required("model")?,
            choices: fields.required("choices")?,
            usage: fields.required("usage")?,
        })
    }
}

impl FromJson for GptChoice {
    fn from_json(value: Value, pointer: &str) -> Read<Self> {
        let mut fields = Fields::of(value, pointer)?;
        Ok(Self {
            finish_reason: fields.required("finish_reason")?,
            message: fields.required("message")?,
            index: fields.required("index")?,
        })
    }
}

impl FromJson for GptReply {
    fn from_json(value: Value, pointer: &str) -> Read<Self> {
        let mut fields = Fields::of(value, pointer)?;
        Ok(Self {
            role: fields.required("role")?,
            content: fields.required("content")?,
        })
    }
}

impl FromJson for GptUsage {
    fn from_json(value: Value, pointer: &str) -> Read<Self> {
        let mut fields = Fields::of(value, pointer)?;
        Ok(Self {
            prompt_tokens: fields.required("prompt_tokens")?,
            completion_tokens: fields.required("completion_tokens")?,
            total_tokens: fields.required("total_tokens")?,
        })
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::GptResponse;
    use crate::read::edited;

    #[test]
    fn the_reading_by_hand_equals_serde_s_derived_reader() {
        let file = json!({
            "model": "m",
            "choices": [{"finish_reason": "stop", "message": {"role": "assistant",
                         "content": "<b>hi</b>"}, "index": 0}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 5, "total_tokens": 8},
        });
        let mut documents = vec![file.clone(), json!(null), json!([]), json!("m")];
        let pointers = [
            "/model",
            "/choices",
            "/usage",
            "/usage/prompt_tokens",
            "/usage/total_tokens",
            "/choices/0",
            "/choices/0/index",
            "/choices/0/message",
            "/choices/0/message/content",
            "/choices/0/finish_reason",
        ];
        for pointer in pointers {
            for new in [
                None,
                Some(json!(null)),
                Some(json!(-1)),
                Some(json!(1.5)),
                Some(json!(4294967296_u64)),
                Some(json!("text")),
                Some(json!([])),
                Some(json!({"unknown": 1})),
            ] {
                documents.push(edited(&file, pointer, new));
            }
        }
        let mut extra = file.clone();
        extra["choices"]
            .as_array_mut()
            .unwrap()
            .push(file["choices"][0].clone());
        extra["unknown"] = json!({"a": [1]});
        documents.push(extra);
        let mut read = 0;
        for document in &documents {
            let bytes = document.to_string().into_bytes();
            let by_hand = GptResponse::parse(&bytes).ok();
            let derived = serde_json::from_slice::<GptResponse>(&bytes).ok();
            assert_eq!(by_hand, derived, "{document}");
            read += usize::from(by_hand.is_some());
        }
        // Not only refusals: the documents that are result files are read.
        assert!(read >= 8, "only {read} of {} read", documents.len());
        let error = GptResponse::parse(br#"{"model": "m", "choices": [], "usage": 1}"#);
        assert_eq!(
            error.unwrap_err(),
            "not a GPT result file: /usage: must be an object"
        );
    }
}
