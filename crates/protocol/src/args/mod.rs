//! Task arguments: the typed forms, their validation, and the exact JSON string that is both
//! hashed into `taskHash` and uploaded to the relay.

pub mod form;
mod gpt;
pub mod options;
mod read;
mod schema;
mod sd;

use std::fmt;
use std::str::FromStr;

use serde_json::Value;

pub use gpt::*;
pub use schema::{schema_issues, SchemaIssue};
pub use sd::*;

use crate::hash::keccak256;

/// `taskType` of `createTask`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum TaskType {
    /// 0: image generation.
    #[serde(rename = "sd")]
    StableDiffusion,
    /// 1: text generation.
    #[serde(rename = "gpt")]
    Gpt,
}

impl TaskType {
    /// The number on chain.
    pub fn id(self) -> u8 {
        match self {
            Self::StableDiffusion => 0,
            Self::Gpt => 1,
        }
    }

    /// The task type with chain number `id`.
    pub fn from_id(id: u64) -> Option<Self> {
        match id {
            0 => Some(Self::StableDiffusion),
            1 => Some(Self::Gpt),
            _ => None,
        }
    }
}

impl FromStr for TaskType {
    type Err = String;

    /// `sd`, `gpt`, `0` or `1`.
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "sd" | "0" => Ok(Self::StableDiffusion),
            "gpt" | "1" => Ok(Self::Gpt),
            other => Err(format!(
                "unknown task type {other:?}: use sd (or 0) for Stable Diffusion, gpt (or 1) for GPT"
            )),
        }
    }
}

impl fmt::Display for TaskType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::StableDiffusion => "Stable Diffusion",
            Self::Gpt => "GPT",
        })
    }
}

/// Why a task-arguments string cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArgsError {
    /// The text is not JSON at all.
    #[error("not valid JSON (line {line}, column {column}): {reason}")]
    NotJson {
        /// 1-based line of the first problem.
        line: usize,
        /// 1-based column of the first problem.
        column: usize,
        /// What the JSON reader found.
        reason: String,
    },
    /// JSON, but the network's schema rejects it.
    #[error("{} problem(s) with the task arguments", .0.len())]
    Invalid(Vec<SchemaIssue>),
}

/// Task arguments of either type.
#[derive(Debug, Clone, PartialEq)]
#[allow(
    clippy::large_enum_variant,
    reason = "one value per task form, rarely moved; boxing would only obscure matches"
)]
pub enum TaskArgs {
    /// Stable Diffusion.
    Sd(SdTaskArgs),
    /// GPT.
    Gpt(GptTaskArgs),
}

impl TaskArgs {
    /// Validates `text` against the schema of `task_type` and reads it into the typed form.
    pub fn parse(task_type: TaskType, text: &str) -> Result<Self, ArgsError> {
        Self::from_value(task_type, read_json(text)?)
    }

    /// [`TaskArgs::parse`] of a document already read as JSON.
    pub fn from_value(task_type: TaskType, value: Value) -> Result<Self, ArgsError> {
        let issues = schema_issues(task_type, &value);
        if !issues.is_empty() {
            return Err(ArgsError::Invalid(issues));
        }
        Self::read_valid(task_type, value)
    }

    /// Reads a schema-valid document into the typed form.
    fn read_valid(task_type: TaskType, mut value: Value) -> Result<Self, ArgsError> {
        use crate::read::FromJson;
        normalize_integral_floats(&mut value);
        let typed = match task_type {
            TaskType::StableDiffusion => SdTaskArgs::from_json(value, "").map(Self::Sd),
            TaskType::Gpt => GptTaskArgs::from_json(value, "").map(Self::Gpt),
        };
        // The schema accepted it, so this only fails beyond the typed ranges (a width > 2^63).
        typed.map_err(|issue| ArgsError::Invalid(vec![issue]))
    }

    /// Which `taskType` these arguments are for.
    pub fn task_type(&self) -> TaskType {
        match self {
            Self::Sd(_) => TaskType::StableDiffusion,
            Self::Gpt(_) => TaskType::Gpt,
        }
    }

    /// The JSON string to hash and upload (compact, every field written out).
    pub fn to_json(&self) -> String {
        let json = match self {
            Self::Sd(args) => serde_json::to_string(args),
            Self::Gpt(args) => serde_json::to_string(args),
        };
        // Serializing these types cannot fail: every map key is a string.
        json.unwrap_or_default()
    }

    /// The `vramLimit` (GB) the reference apps send for these arguments.
    pub fn default_vram_gb(&self) -> u64 {
        match self {
            Self::Sd(args) => default_vram_gb(TaskType::StableDiffusion, &args.base_model),
            Self::Gpt(args) => default_vram_gb(TaskType::Gpt, &args.model),
        }
    }

    /// [`TaskArgs::parse`], also refusing the [`options::combination_issues`] (reported
    /// together with the schema's problems, one per pointer): what a builder may pay for.
    pub fn parse_checked(task_type: TaskType, text: &str) -> Result<Self, ArgsError> {
        Self::from_value_checked(task_type, read_json(text)?)
    }

    /// [`TaskArgs::parse_checked`] of a document already read as JSON.
    pub fn from_value_checked(task_type: TaskType, value: Value) -> Result<Self, ArgsError> {
        let mut issues = schema_issues(task_type, &value);
        for issue in options::combination_issues(task_type, &value) {
            if !issues.iter().any(|known| known.pointer == issue.pointer) {
                issues.push(issue);
            }
        }
        if !issues.is_empty() {
            return Err(ArgsError::Invalid(issues));
        }
        Self::read_valid(task_type, value)
    }
}

/// [`TaskArgs::from_value`] by serde's derived readers: the reference that the reading by
/// hand (`read.rs`) is held equal to, by a test and the `args` fuzz target. `None` where
/// either the schema or the typed ranges refuse the document.
#[cfg(any(test, feature = "serde-reference"))]
pub fn from_value_derived(task_type: TaskType, mut value: Value) -> Option<TaskArgs> {
    if !schema_issues(task_type, &value).is_empty() {
        return None;
    }
    normalize_integral_floats(&mut value);
    match task_type {
        TaskType::StableDiffusion => serde_json::from_value(value).ok().map(TaskArgs::Sd),
        TaskType::Gpt => serde_json::from_value(value).ok().map(TaskArgs::Gpt),
    }
}

/// The `vramLimit` (GB) for a task of `task_type` with `model` (the base model of an SD
/// task): a preset's own; other SD models by family; other GPT models 8.
pub fn default_vram_gb(task_type: TaskType, model: &str) -> u64 {
    use options::{find_preset, BASE_MODELS, GPT_MODELS};
    match task_type {
        TaskType::StableDiffusion => {
            find_preset(BASE_MODELS, model).map_or_else(|| default_sd_vram_gb(model), |p| p.vram_gb)
        }
        TaskType::Gpt => find_preset(GPT_MODELS, model).map_or(8, |p| p.vram_gb),
    }
}

/// SDXL and SD 2.x need 10 GB; the SD 1.5 family 8.
pub fn default_sd_vram_gb(base_model: &str) -> u64 {
    let model = base_model.to_ascii_lowercase();
    if options::names(&model, "xl") || options::names(&model, "stable-diffusion-2") {
        10
    } else {
        8
    }
}

/// Checks `text` against the schema of `task_type`; returns the parsed JSON when valid.
pub fn validate(task_type: TaskType, text: &str) -> Result<Value, ArgsError> {
    let value = read_json(text)?;
    let issues = schema_issues(task_type, &value);
    if issues.is_empty() {
        Ok(value)
    } else {
        Err(ArgsError::Invalid(issues))
    }
}

/// `text` as JSON, or where and why it is not.
pub fn read_json(text: &str) -> Result<Value, ArgsError> {
    serde_json::from_str(text).map_err(|e| ArgsError::NotJson {
        line: e.line(),
        column: e.column(),
        reason: json_error_reason(&e),
    })
}

/// serde_json's message without its trailing " at line L column C".
fn json_error_reason(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let position = format!(" at line {} column {}", e.line(), e.column());
    text.strip_suffix(&position).unwrap_or(&text).to_owned()
}

/// `taskHash`: keccak256 of the exact bytes of the arguments string.
pub fn task_hash(task_args: &[u8]) -> [u8; 32] {
    keccak256(task_args)
}

/// JSON Schema counts `5.0` as an integer; serde's integer fields do not. Rewrites such
/// numbers as integers so that every schema-valid document reads into the typed form.
fn normalize_integral_floats(value: &mut Value) {
    match value {
        Value::Number(n) => {
            if let Some(f) = n.as_f64().filter(|f| n.is_f64() && f.fract() == 0.0) {
                if f >= i64::MIN as f64 && f < i64::MAX as f64 {
                    *value = Value::from(f as i64);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(normalize_integral_floats),
        Value::Object(map) => map.values_mut().for_each(normalize_integral_floats),
        _ => {}
    }
}
