//! GPT task arguments (task type 1), field for field as the era schema
//! `schemas/gpt-inference-task.schema.json`, with its defaults.

use serde::Serialize;
use serde_json::{Map, Value};

/// The model the reference chat uses.
pub const DEFAULT_GPT_MODEL: &str = "gpt2";

/// Arguments of a GPT task.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(any(test, feature = "serde-reference"), derive(serde::Deserialize))]
pub struct GptTaskArgs {
    /// Hugging Face id of the model.
    pub model: String,
    /// The conversation so far.
    pub messages: Vec<Message>,
    /// Sampling settings; `None` = the model's own.
    #[serde(default)]
    pub generation_config: Option<GenerationConfig>,
    /// Default 0.
    #[serde(default)]
    pub seed: i64,
    /// Default `auto`.
    #[serde(default)]
    pub dtype: Dtype,
    /// 4 or 8 bit quantization; `None` = none.
    #[serde(default)]
    pub quantize_bits: Option<QuantizeBits>,
    /// Keys the era schema does not name; kept as written.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl GptTaskArgs {
    /// Arguments with the schema defaults for everything but the model and the messages.
    pub fn new(model: impl Into<String>, messages: Vec<Message>) -> Self {
        Self {
            model: model.into(),
            messages,
            generation_config: None,
            seed: 0,
            dtype: Dtype::Auto,
            quantize_bits: None,
            extra: Map::new(),
        }
    }
}

/// One message of the conversation.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(any(test, feature = "serde-reference"), derive(serde::Deserialize))]
pub struct Message {
    /// Who speaks.
    pub role: Role,
    /// What was said.
    pub content: String,
    /// Keys the era schema does not name; kept as written.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Message {
    /// A message of `role`.
    pub fn new(role: Role, content: impl Into<String>) -> Self {
        Self {
            role,
            content: content.into(),
            extra: Map::new(),
        }
    }
}

/// The speaker of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(any(test, feature = "serde-reference"), derive(serde::Deserialize))]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Instructions for the model.
    System,
    /// The person.
    User,
    /// The model.
    Assistant,
}

/// `generation_config`: every field optional, `None` = the model's default.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(any(test, feature = "serde-reference"), derive(serde::Deserialize))]
#[serde(default)]
pub struct GenerationConfig {
    /// Upper bound of generated tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_new_tokens: Option<i64>,
    /// Sample instead of greedy decoding.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub do_sample: Option<bool>,
    /// Beam search width.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub num_beams: Option<i64>,
    /// Sampling temperature.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    /// Typical sampling mass.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub typical_p: Option<f64>,
    /// Top-k sampling.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_k: Option<i64>,
    /// Nucleus sampling mass.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    /// Penalty for repeated tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repetition_penalty: Option<f64>,
    /// How many replies to generate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub num_return_sequences: Option<i64>,
    /// Keys the era schema does not name; kept as written.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Weights' number format on the node.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(any(test, feature = "serde-reference"), derive(serde::Deserialize))]
#[serde(rename_all = "lowercase")]
pub enum Dtype {
    /// `float16`
    Float16,
    /// `bfloat16`
    Bfloat16,
    /// `float32`
    Float32,
    /// `auto` (the default)
    #[default]
    Auto,
}

/// Quantization: the schema allows exactly 4 or 8.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(any(test, feature = "serde-reference"), derive(serde::Deserialize))]
#[serde(try_from = "u8", into = "u8")]
pub enum QuantizeBits {
    /// 4 bit.
    Four,
    /// 8 bit.
    Eight,
}

impl TryFrom<u8> for QuantizeBits {
    type Error = String;
    fn try_from(bits: u8) -> Result<Self, String> {
        match bits {
            4 => Ok(Self::Four),
            8 => Ok(Self::Eight),
            other => Err(format!("quantize_bits must be 4 or 8, not {other}")),
        }
    }
}

impl From<QuantizeBits> for u8 {
    fn from(bits: QuantizeBits) -> u8 {
        match bits {
            QuantizeBits::Four => 4,
            QuantizeBits::Eight => 8,
        }
    }
}
