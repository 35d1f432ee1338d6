//! Stable Diffusion task arguments (task type 0), field for field as the era schema
//! `schemas/sd-inference-task.schema.json`, with its defaults.
//!
//! Every object keeps the keys it does not know in `extra`, so that parsing and serializing
//! a valid string never drops anything the user wrote.

use serde::Serialize;
use serde_json::{Map, Value};

/// The base model the reference apps offer first.
pub const DEFAULT_BASE_MODEL: &str = "runwayml/stable-diffusion-v1-5";

/// Arguments of a Stable Diffusion task.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(any(test, feature = "serde-reference"), derive(serde::Deserialize))]
pub struct SdTaskArgs {
    /// Hugging Face id of the diffusers pipeline.
    pub base_model: String,
    /// What to draw, in Compel prompt syntax.
    pub prompt: String,
    /// What to avoid.
    #[serde(default)]
    pub negative_prompt: String,
    /// Size, steps, seed, number of images…
    pub task_config: TaskConfig,
    /// An optional LoRA applied to the base model.
    #[serde(default)]
    pub lora: Option<LoraArgs>,
    /// An optional ControlNet conditioning image.
    #[serde(default)]
    pub controlnet: Option<ControlnetArgs>,
    /// Hugging Face id of a VAE, `""` for the model's own.
    #[serde(default)]
    pub vae: String,
    /// An optional SDXL refiner pass.
    #[serde(default)]
    pub refiner: Option<RefinerArgs>,
    /// Hugging Face id of a textual inversion, `""` for none.
    #[serde(default)]
    pub textual_inversion: String,
    /// Keys the era schema does not name; kept as written.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl SdTaskArgs {
    /// Arguments with the schema defaults for everything but the model and the prompt.
    pub fn new(base_model: impl Into<String>, prompt: impl Into<String>) -> Self {
        Self {
            base_model: base_model.into(),
            prompt: prompt.into(),
            negative_prompt: String::new(),
            task_config: TaskConfig::default(),
            lora: None,
            controlnet: None,
            vae: String::new(),
            refiner: None,
            textual_inversion: String::new(),
            extra: Map::new(),
        }
    }
}

/// `task_config`: every field has a schema default.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(any(test, feature = "serde-reference"), derive(serde::Deserialize))]
#[serde(default)]
pub struct TaskConfig {
    /// Pixels; default 512.
    pub image_width: i64,
    /// Pixels; default 512.
    pub image_height: i64,
    /// Denoising steps, 1..=100; default 25.
    pub steps: u32,
    /// 0..2^31; default 0.
    pub seed: u32,
    /// 1..=10; default 6. Always serialized: the reference bridge crashes without it.
    pub num_images: u32,
    /// Blur images the safety checker flags; default true.
    pub safety_checker: bool,
    /// Guidance scale, an integer 1..=20; default 5.
    pub cfg: u32,
    /// Keys the era schema does not name; kept as written.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The largest seed the schema accepts (`exclusiveMaximum` 2^31).
pub const MAX_SEED: u32 = (1 << 31) - 1;

impl Default for TaskConfig {
    fn default() -> Self {
        Self {
            image_width: 512,
            image_height: 512,
            steps: 25,
            seed: 0,
            num_images: 6,
            safety_checker: true,
            cfg: 5,
            extra: Map::new(),
        }
    }
}

/// `lora`: `model` must be non-empty; send no `lora` at all for none.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(any(test, feature = "serde-reference"), derive(serde::Deserialize))]
pub struct LoraArgs {
    /// Hugging Face id, Civitai id or URL.
    pub model: String,
    /// Percent 1..=100; default 100. The network reads `1` as 100 %, so the smallest real
    /// weight is 2.
    #[serde(default = "hundred")]
    pub weight: u32,
    /// Keys the era schema does not name; kept as written.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `controlnet`: a conditioning image and the model that reads it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(any(test, feature = "serde-reference"), derive(serde::Deserialize))]
pub struct ControlnetArgs {
    /// Hugging Face id of the ControlNet model.
    pub model: String,
    /// `data:image/png;base64,…`
    pub image_dataurl: String,
    /// Percent 1..=100; default 70.
    #[serde(default = "seventy")]
    pub weight: u32,
    /// How to turn the image into the control map; `None` = use the image as it is.
    #[serde(default)]
    pub preprocess: Option<Preprocess>,
    /// Keys the era schema does not name; kept as written.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `refiner`: a second pass with another model.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(any(test, feature = "serde-reference"), derive(serde::Deserialize))]
pub struct RefinerArgs {
    /// Hugging Face id of the refiner.
    pub model: String,
    /// Percent of the steps done by the base model, 1..=100; default 80.
    #[serde(default = "eighty")]
    pub denoising_cutoff: u32,
    /// 1..=100; default 20.
    #[serde(default = "twenty")]
    pub steps: u32,
    /// Keys the era schema does not name; kept as written.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

pub(super) fn hundred() -> u32 {
    100
}
pub(super) fn eighty() -> u32 {
    80
}
pub(super) fn seventy() -> u32 {
    70
}
pub(super) fn twenty() -> u32 {
    20
}

/// A ControlNet preprocessor: one of the 24 methods the era schema accepts, with its
/// arguments when the method has any.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(any(test, feature = "serde-reference"), derive(serde::Deserialize))]
#[serde(try_from = "RawPreprocess", into = "RawPreprocess")]
pub struct Preprocess {
    /// Which preprocessor.
    pub method: PreprocessMethod,
    /// Its arguments; `None` = the method's defaults (or a method without arguments).
    pub args: Option<PreprocessArgs>,
    /// Keys the era schema does not name (including `args` of a method that has none).
    pub extra: Map<String, Value>,
}

impl Preprocess {
    /// The method with its default arguments written out, ready to edit.
    pub fn with_default_args(method: PreprocessMethod) -> Self {
        Self {
            method,
            args: method.default_args(),
            extra: Map::new(),
        }
    }
}

/// The wire form of [`Preprocess`]: `args` is read by the method's own type.
#[derive(Serialize)]
#[cfg_attr(any(test, feature = "serde-reference"), derive(serde::Deserialize))]
struct RawPreprocess {
    method: PreprocessMethod,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    args: Option<Value>,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

#[cfg(any(test, feature = "serde-reference"))]
impl TryFrom<RawPreprocess> for Preprocess {
    type Error = String;

    fn try_from(raw: RawPreprocess) -> Result<Self, String> {
        let RawPreprocess {
            method,
            args,
            mut extra,
        } = raw;
        let args = match (method.default_args(), args) {
            (_, None | Some(Value::Null)) => None,
            (Some(kind), Some(value)) => Some(kind.read_same_kind(value)?),
            (None, Some(value)) => {
                extra.insert("args".into(), value);
                None
            }
        };
        Ok(Self {
            method,
            args,
            extra,
        })
    }
}

impl From<Preprocess> for RawPreprocess {
    fn from(p: Preprocess) -> Self {
        let mut extra = p.extra;
        let args = match p.args {
            Some(args) => Some(args.to_value()),
            None => extra.remove("args"),
        };
        Self {
            method: p.method,
            args,
            extra,
        }
    }
}

macro_rules! preprocess_methods {
    ($($variant:ident = $name:literal => $args:expr,)*) => {
        /// The 24 preprocess methods of the era schema (`dwpose` and `softedge_hed` are not
        /// among them: the network rejects them).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
        #[cfg_attr(any(test, feature = "serde-reference"), derive(serde::Deserialize))]
        pub enum PreprocessMethod {
            $(
                #[doc = concat!("`", $name, "`")]
                #[serde(rename = $name)]
                $variant,
            )*
        }

        impl PreprocessMethod {
            /// Every method, in the schema's order.
            pub const ALL: &'static [PreprocessMethod] = &[$(PreprocessMethod::$variant),*];

            /// The name on the wire.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(PreprocessMethod::$variant => $name,)*
                }
            }

            /// The method named `name` on the wire.
            pub fn from_name(name: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|method| method.as_str() == name)
            }

            /// The method's arguments with their defaults, `None` for a method without any.
            pub fn default_args(self) -> Option<PreprocessArgs> {
                match self {
                    $(PreprocessMethod::$variant => $args,)*
                }
            }
        }
    };
}

preprocess_methods! {
    Canny = "canny" => Some(PreprocessArgs::Canny(CannyArgs::default())),
    ScribbleHed = "scribble_hed" => None,
    ScribbleHedSafe = "scribble_hedsafe" => None,
    SoftEdgeHedSafe = "softedge_hedsafe" => None,
    DepthMidas = "depth_midas" => None,
    Mlsd = "mlsd" => Some(PreprocessArgs::Mlsd(MlsdArgs::default())),
    OpenPose = "openpose" => None,
    OpenPoseFace = "openpose_face" => None,
    OpenPoseFaceOnly = "openpose_faceonly" => None,
    OpenPoseFull = "openpose_full" => None,
    OpenPoseHand = "openpose_hand" => None,
    ScribblePidiNet = "scribble_pidinet" => Some(PreprocessArgs::PidiNet(PidiNetArgs::default())),
    SoftEdgePidiNet = "softedge_pidinet" => Some(PreprocessArgs::PidiNet(PidiNetArgs::default())),
    ScribblePidiSafe = "scribble_pidisafe" => Some(PreprocessArgs::PidiNet(PidiNetArgs::default())),
    SoftEdgePidiSafe = "softedge_pidisafe" => Some(PreprocessArgs::PidiNet(PidiNetArgs::default())),
    NormalBae = "normal_bae" => None,
    LineartCoarse = "lineart_coarse" => None,
    LineartRealistic = "lineart_realistic" => None,
    LineartAnime = "lineart_anime" => None,
    DepthZoe = "depth_zoe" => Some(PreprocessArgs::DepthZoe(DepthZoeArgs::default())),
    DepthLeres = "depth_leres" => Some(PreprocessArgs::Leres(LeresArgs::default())),
    DepthLeresPlusPlus = "depth_leres++" => Some(PreprocessArgs::Leres(LeresArgs::default())),
    Shuffle = "shuffle" => Some(PreprocessArgs::Shuffle(ShuffleArgs::default())),
    MediapipeFace = "mediapipe_face" => Some(PreprocessArgs::MediapipeFace(MediapipeFaceArgs::default())),
}

/// The arguments of the methods that have any; several methods share one kind.
#[derive(Debug, Clone, PartialEq)]
pub enum PreprocessArgs {
    /// `canny`
    Canny(CannyArgs),
    /// `mlsd`
    Mlsd(MlsdArgs),
    /// the four `*_pidinet` / `*_pidisafe` methods
    PidiNet(PidiNetArgs),
    /// `depth_zoe`
    DepthZoe(DepthZoeArgs),
    /// `depth_leres`, `depth_leres++`
    Leres(LeresArgs),
    /// `shuffle`
    Shuffle(ShuffleArgs),
    /// `mediapipe_face`
    MediapipeFace(MediapipeFaceArgs),
}

impl PreprocessArgs {
    /// Reads `value` as arguments of the same kind as `self` (the reference's way).
    #[cfg(any(test, feature = "serde-reference"))]
    fn read_same_kind(&self, value: Value) -> Result<Self, String> {
        fn read<T: serde::de::DeserializeOwned>(value: Value) -> Result<T, String> {
            serde_json::from_value(value).map_err(|e| e.to_string())
        }
        Ok(match self {
            Self::Canny(_) => Self::Canny(read(value)?),
            Self::Mlsd(_) => Self::Mlsd(read(value)?),
            Self::PidiNet(_) => Self::PidiNet(read(value)?),
            Self::DepthZoe(_) => Self::DepthZoe(read(value)?),
            Self::Leres(_) => Self::Leres(read(value)?),
            Self::Shuffle(_) => Self::Shuffle(read(value)?),
            Self::MediapipeFace(_) => Self::MediapipeFace(read(value)?),
        })
    }

    /// The keys of these arguments the era schema does not name.
    pub fn extra(&self) -> &Map<String, Value> {
        match self {
            Self::Canny(a) => &a.extra,
            Self::Mlsd(a) => &a.extra,
            Self::PidiNet(a) => &a.extra,
            Self::DepthZoe(a) => &a.extra,
            Self::Leres(a) => &a.extra,
            Self::Shuffle(a) => &a.extra,
            Self::MediapipeFace(a) => &a.extra,
        }
    }

    /// The arguments as JSON (every field written out).
    pub fn to_value(&self) -> Value {
        let value = match self {
            Self::Canny(a) => serde_json::to_value(a),
            Self::Mlsd(a) => serde_json::to_value(a),
            Self::PidiNet(a) => serde_json::to_value(a),
            Self::DepthZoe(a) => serde_json::to_value(a),
            Self::Leres(a) => serde_json::to_value(a),
            Self::Shuffle(a) => serde_json::to_value(a),
            Self::MediapipeFace(a) => serde_json::to_value(a),
        };
        value.unwrap_or(Value::Null)
    }
}

/// `canny` arguments.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(any(test, feature = "serde-reference"), derive(serde::Deserialize))]
#[serde(default)]
pub struct CannyArgs {
    /// Default 100.
    pub low_threshold: i64,
    /// Default 200.
    pub high_threshold: i64,
    /// Keys the era schema does not name; kept as written.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Default for CannyArgs {
    fn default() -> Self {
        Self {
            low_threshold: 100,
            high_threshold: 200,
            extra: Map::new(),
        }
    }
}

/// `mlsd` arguments.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(any(test, feature = "serde-reference"), derive(serde::Deserialize))]
#[serde(default)]
pub struct MlsdArgs {
    /// Value threshold, 1..=100; default 10.
    pub thr_v: u32,
    /// Distance threshold, 1..=100; default 10.
    pub thr_d: u32,
    /// Keys the era schema does not name; kept as written.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Default for MlsdArgs {
    fn default() -> Self {
        Self {
            thr_v: 10,
            thr_d: 10,
            extra: Map::new(),
        }
    }
}

/// Arguments of the PidiNet methods.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(any(test, feature = "serde-reference"), derive(serde::Deserialize))]
#[serde(default)]
pub struct PidiNetArgs {
    /// Default false.
    pub apply_filter: bool,
    /// Keys the era schema does not name; kept as written.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `depth_zoe` arguments.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(any(test, feature = "serde-reference"), derive(serde::Deserialize))]
#[serde(default)]
pub struct DepthZoeArgs {
    /// Default false.
    pub gamma_corrected: bool,
    /// Keys the era schema does not name; kept as written.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Arguments of the LeReS depth methods.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(any(test, feature = "serde-reference"), derive(serde::Deserialize))]
#[serde(default)]
pub struct LeresArgs {
    /// Default 0.
    pub thr_a: i64,
    /// Default 0.
    pub thr_b: i64,
    /// Keys the era schema does not name; kept as written.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `shuffle` arguments; `None` lets the preprocessor choose.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(any(test, feature = "serde-reference"), derive(serde::Deserialize))]
#[serde(default)]
pub struct ShuffleArgs {
    /// Height.
    pub h: Option<i64>,
    /// Width.
    pub w: Option<i64>,
    /// Frequency.
    pub f: Option<i64>,
    /// Keys the era schema does not name; kept as written.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `mediapipe_face` arguments.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(any(test, feature = "serde-reference"), derive(serde::Deserialize))]
#[serde(default)]
pub struct MediapipeFaceArgs {
    /// Default 1.
    pub max_faces: i64,
    /// Percent 1..=100; default 50.
    pub min_confidence: u32,
    /// Keys the era schema does not name; kept as written.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Default for MediapipeFaceArgs {
    fn default() -> Self {
        Self {
            max_faces: 1,
            min_confidence: 50,
            extra: Map::new(),
        }
    }
}
