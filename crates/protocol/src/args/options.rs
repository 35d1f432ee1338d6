//! What the task builders offer beyond the schema: model presets, the base-model families
//! they belong to, and the combinations the schema accepts but the network cannot run as
//! meant (a ControlNet of the other family, a weight of 1, a size diffusers refuses…).

use serde_json::{json, Value};

use super::form::{decimal_as_json, field, value_at, with_field};
use super::schema::escape_pointer_token;
use super::{SchemaIssue, TaskArgs, TaskType};

/// The kinds of Stable Diffusion pipelines, which decide what else fits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelFamily {
    /// SD 1.x and its fine-tunes: 512 px, 8 GB.
    Sd15,
    /// SDXL: 1024 px, 10 GB, can use a refiner.
    Sdxl,
}

impl ModelFamily {
    /// The family of a base model id (anything not named XL is read as SD 1.5).
    pub fn of(base_model: &str) -> Self {
        if names(&base_model.to_ascii_lowercase(), "xl") {
            Self::Sdxl
        } else {
            Self::Sd15
        }
    }

    /// The family's native square size.
    pub fn default_side(self) -> i64 {
        match self {
            Self::Sd15 => 512,
            Self::Sdxl => 1024,
        }
    }

    /// Width × height presets for common aspect ratios, near the family's native area.
    pub fn sizes(self) -> &'static [(&'static str, i64, i64)] {
        match self {
            Self::Sd15 => &[
                ("1:1", 512, 512),
                ("4:3", 576, 432),
                ("3:4", 432, 576),
                ("3:2", 624, 416),
                ("2:3", 416, 624),
                ("16:9", 680, 384),
                ("9:16", 384, 680),
            ],
            Self::Sdxl => &[
                ("1:1", 1024, 1024),
                ("4:3", 1152, 864),
                ("3:4", 864, 1152),
                ("3:2", 1216, 808),
                ("2:3", 808, 1216),
                ("16:9", 1360, 768),
                ("9:16", 768, 1360),
            ],
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Sd15 => "SD 1.5",
            Self::Sdxl => "SDXL",
        }
    }
}

/// A model the builder offers by name; any other Hugging Face id can be typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Preset {
    /// The id sent to the network.
    pub id: &'static str,
    /// The base-model family it works with; `None` for any.
    pub family: Option<ModelFamily>,
    /// The `vramLimit` (GB) a task with it asks for; 0 for the presets (ControlNet, LoRA…)
    /// that do not decide it.
    pub vram_gb: u64,
}

const fn preset(id: &'static str, family: Option<ModelFamily>, vram_gb: u64) -> Preset {
    Preset {
        id,
        family,
        vram_gb,
    }
}

use ModelFamily::{Sd15, Sdxl};

/// Base models of the reference Image Generator.
pub const BASE_MODELS: &[Preset] = &[
    preset("runwayml/stable-diffusion-v1-5", Some(Sd15), 8),
    preset("stabilityai/stable-diffusion-xl-base-1.0", Some(Sdxl), 10),
    preset("emilianJR/chilloutmix_NiPrunedFp32Fix", Some(Sd15), 8),
];

/// ControlNet models per family (the first of each family is the reference default).
pub const CONTROLNET_MODELS: &[Preset] = &[
    preset("lllyasviel/control_v11p_sd15_openpose", Some(Sd15), 0),
    preset("lllyasviel/control_v11p_sd15_canny", Some(Sd15), 0),
    preset("lllyasviel/control_v11f1p_sd15_depth", Some(Sd15), 0),
    preset("lllyasviel/control_v11p_sd15_scribble", Some(Sd15), 0),
    preset("lllyasviel/control_v11p_sd15_lineart", Some(Sd15), 0),
    preset("thibaud/controlnet-openpose-sdxl-1.0", Some(Sdxl), 0),
    preset("diffusers/controlnet-canny-sdxl-1.0", Some(Sdxl), 0),
    preset("diffusers/controlnet-depth-sdxl-1.0", Some(Sdxl), 0),
];

/// LoRAs offered by name.
pub const LORA_MODELS: &[Preset] = &[
    preset("latent-consistency/lcm-lora-sdv1-5", Some(Sd15), 0),
    preset("latent-consistency/lcm-lora-sdxl", Some(Sdxl), 0),
    preset("nerijs/pixel-art-xl", Some(Sdxl), 0),
];

/// VAEs offered by name.
pub const VAE_MODELS: &[Preset] = &[
    preset("stabilityai/sd-vae-ft-mse", Some(Sd15), 0),
    preset("madebyollin/sdxl-vae-fp16-fix", Some(Sdxl), 0),
];

/// Refiners offered by name (refiners are SDXL only).
pub const REFINER_MODELS: &[Preset] = &[preset(
    "stabilityai/stable-diffusion-xl-refiner-1.0",
    Some(Sdxl),
    0,
)];

/// Textual inversions offered by name, with the token to use in the prompt.
pub const TEXTUAL_INVERSIONS: &[(Preset, &str)] = &[
    (
        preset("sd-concepts-library/cat-toy", Some(Sd15), 0),
        "<cat-toy>",
    ),
    (
        preset("sd-concepts-library/midjourney-style", Some(Sd15), 0),
        "<midjourney-style>",
    ),
];

/// GPT models of the reference chat, with the memory they need.
pub const GPT_MODELS: &[Preset] = &[
    preset("gpt2", None, 8),
    preset("mistralai/Mistral-7B-v0.1", None, 16),
    preset("tiiuae/falcon-7b-instruct", None, 16),
];

/// The preset with id `id` in `presets`.
pub fn find_preset(presets: &[Preset], id: &str) -> Option<Preset> {
    presets.iter().copied().find(|p| p.id == id)
}

/// The SD arguments `text` with `base_model` set, and every option that belonged to the old
/// family moved to the new one: a ControlNet preset becomes the same kind for the new family
/// (else its default), LoRA and VAE presets of the other family are dropped, a refiner is
/// dropped for SD 1.5, and the other family's default size becomes the new one's.
pub fn switch_base_model(text: &str, base_model: &str) -> Option<String> {
    let old = ModelFamily::of(field(text, "/base_model")?.as_str().unwrap_or_default());
    let new = ModelFamily::of(base_model);
    let mut text = with_field(text, "/base_model", json!(base_model))?;
    if old == new {
        return Some(text);
    }
    let string_at = |text: &str, pointer: &str| {
        field(text, pointer)
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    };
    let controlnet = string_at(&text, "/controlnet/model");
    if let Some(old_preset) = find_preset(CONTROLNET_MODELS, &controlnet) {
        if old_preset.family == Some(old) {
            let kind = controlnet_kind(&controlnet);
            let replacement = CONTROLNET_MODELS
                .iter()
                .filter(|p| p.family == Some(new))
                .find(|p| controlnet_kind(p.id) == kind)
                .or_else(|| CONTROLNET_MODELS.iter().find(|p| p.family == Some(new)));
            if let Some(replacement) = replacement {
                text = with_field(&text, "/controlnet/model", json!(replacement.id))?;
            }
        }
    }
    let of_family = |presets: &[Preset], id: &str, family| {
        find_preset(presets, id).is_some_and(|p| p.family == Some(family))
    };
    if of_family(LORA_MODELS, &string_at(&text, "/lora/model"), old) {
        text = with_field(&text, "/lora", Value::Null)?;
    }
    if of_family(VAE_MODELS, &string_at(&text, "/vae"), old) {
        text = with_field(&text, "/vae", json!(""))?;
    }
    if new == Sd15 && field(&text, "/refiner").is_some_and(|r| !r.is_null()) {
        text = with_field(&text, "/refiner", Value::Null)?;
    }
    let side = old.default_side();
    let size = (
        field(&text, "/task_config/image_width"),
        field(&text, "/task_config/image_height"),
    );
    if size == (Some(json!(side)), Some(json!(side))) {
        for pointer in ["/task_config/image_width", "/task_config/image_height"] {
            text = with_field(&text, pointer, json!(new.default_side()))?;
        }
    }
    Some(text)
}

/// Whether `id` has `word` in it, as `str::contains` finds it without the standard
/// library's substring search (see [`value_at`]).
pub(crate) fn names(id: &str, word: &str) -> bool {
    word.is_empty()
        || id
            .as_bytes()
            .windows(word.len())
            .any(|w| w == word.as_bytes())
}

/// `openpose`, `canny`, `depth`… as found in a ControlNet model id.
fn controlnet_kind(id: &str) -> Option<&'static str> {
    ["openpose", "canny", "depth", "scribble", "lineart"]
        .into_iter()
        .find(|kind| names(id, kind))
}

/// A 0.02–1.00 weight slider as the integer percent the network reads (never 1, which it
/// reads as 100 %).
pub fn weight_percent(slider: f64) -> u32 {
    ((slider * 100.0).round() as u32).clamp(2, 100)
}

/// A prompt warning: the AUTOMATIC1111 weighting `(word:1.2)` is not Compel syntax and would
/// be drawn literally.
pub fn compel_warning(prompt: &str) -> Option<String> {
    let found = prompt.match_indices('(').find_map(|(open, _)| {
        let inside = &prompt[open + 1..];
        let close = inside.find(')')?;
        let (words, weight) = inside[..close].rsplit_once(':')?;
        let is_weight = decimal_as_json(weight.trim()).is_some() && !words.is_empty();
        is_weight.then(|| (words.trim().to_owned(), weight.trim().to_owned()))
    })?;
    let (words, weight) = found;
    Some(format!(
        "\"({words}:{weight})\" is AUTOMATIC1111 syntax, which the network reads as plain text. \
         In Compel syntax write \"({words}){weight}\"."
    ))
}

/// Whether a LoRA model id is a Civitai model-version id (a number), not a Hugging Face id
/// or URL.
pub fn is_civitai_id(model: &str) -> bool {
    !model.is_empty() && model.bytes().all(|b| b.is_ascii_digit())
}

impl TaskArgs {
    /// JSON pointers of the keys the era schema does not name (kept and sent as written,
    /// but no form field shows them).
    pub fn unknown_keys(&self) -> Vec<String> {
        let mut keys = Vec::new();
        let mut add = |at: &str, extra: &serde_json::Map<String, Value>| {
            keys.extend(
                extra
                    .keys()
                    .map(|key| format!("{at}/{}", escape_pointer_token(key))),
            )
        };
        match self {
            TaskArgs::Sd(sd) => {
                add("", &sd.extra);
                add("/task_config", &sd.task_config.extra);
                if let Some(lora) = &sd.lora {
                    add("/lora", &lora.extra);
                }
                if let Some(refiner) = &sd.refiner {
                    add("/refiner", &refiner.extra);
                }
                if let Some(controlnet) = &sd.controlnet {
                    add("/controlnet", &controlnet.extra);
                    if let Some(preprocess) = &controlnet.preprocess {
                        add("/controlnet/preprocess", &preprocess.extra);
                        if let Some(args) = &preprocess.args {
                            add("/controlnet/preprocess/args", args.extra());
                        }
                    }
                }
            }
            TaskArgs::Gpt(gpt) => {
                add("", &gpt.extra);
                for (i, message) in gpt.messages.iter().enumerate() {
                    add(&format!("/messages/{i}"), &message.extra);
                }
                if let Some(config) = &gpt.generation_config {
                    add("/generation_config", &config.extra);
                }
            }
        }
        keys
    }
}

/// Combinations the schema accepts but the network cannot run as the user meant. Read from
/// the arguments as JSON, so that they are found beside the schema's problems; a value of
/// the wrong type is the schema's to report and is passed over here.
pub fn combination_issues(task_type: TaskType, args: &Value) -> Vec<SchemaIssue> {
    let mut issues = Vec::new();
    let mut issue = |pointer: &str, message: String| {
        issues.push(SchemaIssue {
            pointer: pointer.into(),
            message,
        })
    };
    let at = Reader(args);
    match task_type {
        TaskType::StableDiffusion => sd_issues(at, &mut issue),
        TaskType::Gpt => gpt_issues(at, &mut issue),
    }
    issues
}

/// Typed reads at JSON pointers; `None` when absent or of another type.
#[derive(Clone, Copy)]
struct Reader<'a>(&'a Value);

impl<'a> Reader<'a> {
    fn int(self, pointer: &str) -> Option<i64> {
        value_at(self.0, pointer)?.as_i64()
    }
    fn number(self, pointer: &str) -> Option<f64> {
        value_at(self.0, pointer)?.as_f64()
    }
    fn text(self, pointer: &str) -> Option<&'a str> {
        value_at(self.0, pointer)?.as_str()
    }
    fn present(self, pointer: &str) -> bool {
        value_at(self.0, pointer).is_some_and(|v| !v.is_null())
    }
}

fn sd_issues(at: Reader<'_>, issue: &mut impl FnMut(&str, String)) {
    let family = ModelFamily::of(at.text("/base_model").unwrap_or_default());
    for pointer in ["/task_config/image_width", "/task_config/image_height"] {
        let Some(side) = at.int(pointer) else {
            continue;
        };
        if !(64..=2048).contains(&side) {
            issue(pointer, "must be between 64 and 2048 pixels".into());
        } else if side % 8 != 0 {
            issue(
                pointer,
                format!(
                    "must be a multiple of 8 (diffusers refuses {side}; try {})",
                    side / 8 * 8
                ),
            );
        }
    }
    let mut mismatch = |pointer: &str, what: &str, presets: &[Preset]| {
        let preset = at.text(pointer).and_then(|id| find_preset(presets, id));
        if let Some(of) = preset.and_then(|p| p.family).filter(|f| *f != family) {
            issue(
                pointer,
                format!(
                    "is {what} for {}, but the base model is {}",
                    of.name(),
                    family.name()
                ),
            );
        }
    };
    mismatch("/lora/model", "a LoRA", LORA_MODELS);
    mismatch("/controlnet/model", "a ControlNet", CONTROLNET_MODELS);
    mismatch("/vae", "a VAE", VAE_MODELS);
    for pointer in ["/lora/weight", "/controlnet/weight"] {
        if at.int(pointer) == Some(1) {
            issue(pointer, "1 means 100 % on the network; use 2 to 100".into());
        }
    }
    let image = at.text("/controlnet/image_dataurl").unwrap_or_default();
    if !image.is_empty() && !image.starts_with(PNG_DATA_URL_PREFIX) {
        issue(
            "/controlnet/image_dataurl",
            "must be a PNG data URL (data:image/png;base64,…)".into(),
        );
    }
    if at.present("/refiner") && family != Sdxl {
        issue(
            "/refiner",
            "a refiner works only with an SDXL base model".into(),
        );
    }
}

/// What every ControlNet image must start with.
pub const PNG_DATA_URL_PREFIX: &str = "data:image/png;base64,";

fn gpt_issues(at: Reader<'_>, issue: &mut impl FnMut(&str, String)) {
    if let Some(messages) = at.0.get("messages").and_then(Value::as_array) {
        if messages.is_empty() {
            issue("/messages", "needs at least one message".into());
        }
        for i in 0..messages.len() {
            let pointer = format!("/messages/{i}/content");
            if at.text(&pointer).is_some_and(|c| c.trim().is_empty()) {
                issue(&pointer, "must not be empty".into());
            }
        }
    }
    let setting = |name: &str| format!("/generation_config/{name}");
    for name in ["max_new_tokens", "num_beams", "num_return_sequences"] {
        if at.int(&setting(name)).is_some_and(|v| v < 1) {
            issue(&setting(name), "must be at least 1".into());
        }
    }
    if at.int(&setting("top_k")).is_some_and(|k| k < 0) {
        issue(
            &setting("top_k"),
            "must be at least 0 (0 turns it off)".into(),
        );
    }
    for name in ["top_p", "typical_p"] {
        if at
            .number(&setting(name))
            .is_some_and(|p| !(p > 0.0 && p <= 1.0))
        {
            issue(&setting(name), "must be more than 0 and at most 1".into());
        }
    }
    for name in ["temperature", "repetition_penalty"] {
        if at.number(&setting(name)).is_some_and(|v| v <= 0.0) {
            issue(&setting(name), "must be more than 0".into());
        }
    }
    let beams = at.int(&setting("num_beams")).unwrap_or(1);
    let sequences = at.int(&setting("num_return_sequences")).unwrap_or(1);
    let sampling = value_at(at.0, &setting("do_sample")) == Some(&Value::Bool(true));
    if !sampling && sequences > beams {
        issue(
            &setting("num_return_sequences"),
            format!(
                "without sampling, at most the number of beams ({beams}); turn on sampling \
                 or add beams"
            ),
        );
    }
}
