//! Reading a schema-valid document into the typed arguments, written by hand: serde's derived
//! readers of these types, which keeping every object's unknown keys (`flatten`) made large,
//! were 7 KB brotli more of the app's lazily loaded parts. They are kept, behind the
//! `serde-reference` feature and in this crate's unit tests, as the reference that a test and
//! the `args` fuzz target hold this reading equal to (`from_value_derived`).

use serde::Serialize;
use serde_json::{Map, Value};

use super::gpt::{Dtype, GenerationConfig, GptTaskArgs, Message, QuantizeBits, Role};
use super::sd::{
    eighty, hundred, seventy, twenty, ControlnetArgs, LoraArgs, Preprocess, PreprocessArgs,
    PreprocessMethod, RefinerArgs, SdTaskArgs, TaskConfig,
};
use super::TaskType;
use crate::read::{unreadable, Fields, FromJson, Read};

/// An enum written as the name of one of `variants`: the name their `Serialize` writes.
fn one_of<T: Copy + Serialize>(value: Value, pointer: &str, variants: &[T]) -> Read<T> {
    let named = |variant: &&T| serde_json::to_value(variant).is_ok_and(|name| name == value);
    match variants.iter().find(named) {
        Some(variant) => Ok(*variant),
        None => unreadable(pointer, "must be one of the names the schema gives"),
    }
}

impl FromJson for Role {
    fn from_json(value: Value, pointer: &str) -> Read<Self> {
        one_of(value, pointer, &[Role::System, Role::User, Role::Assistant])
    }
}

impl FromJson for Dtype {
    fn from_json(value: Value, pointer: &str) -> Read<Self> {
        let variants = [Dtype::Float16, Dtype::Bfloat16, Dtype::Float32, Dtype::Auto];
        one_of(value, pointer, &variants)
    }
}

impl FromJson for TaskType {
    fn from_json(value: Value, pointer: &str) -> Read<Self> {
        one_of(value, pointer, &[TaskType::StableDiffusion, TaskType::Gpt])
    }
}

impl FromJson for PreprocessMethod {
    fn from_json(value: Value, pointer: &str) -> Read<Self> {
        match value.as_str().and_then(PreprocessMethod::from_name) {
            Some(method) => Ok(method),
            None => unreadable(
                pointer,
                "must be one of the preprocess methods the schema gives",
            ),
        }
    }
}

impl FromJson for QuantizeBits {
    fn from_json(value: Value, pointer: &str) -> Read<Self> {
        let bits = value.as_u64().and_then(|n| u8::try_from(n).ok());
        match bits.map(QuantizeBits::try_from) {
            Some(Ok(bits)) => Ok(bits),
            _ => unreadable(pointer, "must be 4 or 8"),
        }
    }
}

// Each type starts from its defaults, and each field there is written over them: an error
// then drops one value, not each field read before it (0.5 KB brotli of the parts).

impl FromJson for SdTaskArgs {
    fn from_json(value: Value, pointer: &str) -> Read<Self> {
        let mut fields = Fields::of(value, pointer)?;
        let mut args = Self::new(
            fields.required::<String>("base_model")?,
            fields.required::<String>("prompt")?,
        );
        args.task_config = fields.required("task_config")?;
        fields.set("negative_prompt", &mut args.negative_prompt)?;
        fields.set("lora", &mut args.lora)?;
        fields.set("controlnet", &mut args.controlnet)?;
        fields.set("vae", &mut args.vae)?;
        fields.set("refiner", &mut args.refiner)?;
        fields.set("textual_inversion", &mut args.textual_inversion)?;
        args.extra = fields.extra();
        Ok(args)
    }
}

impl FromJson for TaskConfig {
    fn from_json(value: Value, pointer: &str) -> Read<Self> {
        let mut fields = Fields::of(value, pointer)?;
        let mut config = Self::default();
        fields.set("image_width", &mut config.image_width)?;
        fields.set("image_height", &mut config.image_height)?;
        fields.set("steps", &mut config.steps)?;
        fields.set("seed", &mut config.seed)?;
        fields.set("num_images", &mut config.num_images)?;
        fields.set("safety_checker", &mut config.safety_checker)?;
        fields.set("cfg", &mut config.cfg)?;
        config.extra = fields.extra();
        Ok(config)
    }
}

impl FromJson for LoraArgs {
    fn from_json(value: Value, pointer: &str) -> Read<Self> {
        let mut fields = Fields::of(value, pointer)?;
        let mut lora = Self {
            model: fields.required("model")?,
            weight: hundred(),
            extra: Map::new(),
        };
        fields.set("weight", &mut lora.weight)?;
        lora.extra = fields.extra();
        Ok(lora)
    }
}

impl FromJson for ControlnetArgs {
    fn from_json(value: Value, pointer: &str) -> Read<Self> {
        let mut fields = Fields::of(value, pointer)?;
        let mut controlnet = Self {
            model: fields.required("model")?,
            image_dataurl: fields.required("image_dataurl")?,
            weight: seventy(),
            preprocess: None,
            extra: Map::new(),
        };
        fields.set("weight", &mut controlnet.weight)?;
        fields.set("preprocess", &mut controlnet.preprocess)?;
        controlnet.extra = fields.extra();
        Ok(controlnet)
    }
}

impl FromJson for RefinerArgs {
    fn from_json(value: Value, pointer: &str) -> Read<Self> {
        let mut fields = Fields::of(value, pointer)?;
        let mut refiner = Self {
            model: fields.required("model")?,
            denoising_cutoff: eighty(),
            steps: twenty(),
            extra: Map::new(),
        };
        fields.set("denoising_cutoff", &mut refiner.denoising_cutoff)?;
        fields.set("steps", &mut refiner.steps)?;
        refiner.extra = fields.extra();
        Ok(refiner)
    }
}

/// `args` are read by the kind of arguments the method has; a method without any keeps
/// them among its unknown keys.
impl FromJson for Preprocess {
    fn from_json(value: Value, pointer: &str) -> Read<Self> {
        let mut fields = Fields::of(value, pointer)?;
        let method: PreprocessMethod = fields.required("method")?;
        let args = match (method.default_args(), fields.map.remove("args")) {
            (_, None | Some(Value::Null)) => None,
            (Some(defaults), Some(value)) => {
                Some(read_args(defaults, value, &format!("{pointer}/args"))?)
            }
            (None, Some(value)) => {
                fields.map.insert("args".into(), value);
                None
            }
        };
        Ok(Self {
            method,
            args,
            extra: fields.extra(),
        })
    }
}

/// `value` read as arguments of the kind of `defaults`, written over them.
fn read_args(mut defaults: PreprocessArgs, value: Value, pointer: &str) -> Read<PreprocessArgs> {
    let mut fields = Fields::of(value, pointer)?;
    let extra = match &mut defaults {
        PreprocessArgs::Canny(args) => {
            fields.set("low_threshold", &mut args.low_threshold)?;
            fields.set("high_threshold", &mut args.high_threshold)?;
            &mut args.extra
        }
        PreprocessArgs::Mlsd(args) => {
            fields.set("thr_v", &mut args.thr_v)?;
            fields.set("thr_d", &mut args.thr_d)?;
            &mut args.extra
        }
        PreprocessArgs::PidiNet(args) => {
            fields.set("apply_filter", &mut args.apply_filter)?;
            &mut args.extra
        }
        PreprocessArgs::DepthZoe(args) => {
            fields.set("gamma_corrected", &mut args.gamma_corrected)?;
            &mut args.extra
        }
        PreprocessArgs::Leres(args) => {
            fields.set("thr_a", &mut args.thr_a)?;
            fields.set("thr_b", &mut args.thr_b)?;
            &mut args.extra
        }
        PreprocessArgs::Shuffle(args) => {
            fields.set("h", &mut args.h)?;
            fields.set("w", &mut args.w)?;
            fields.set("f", &mut args.f)?;
            &mut args.extra
        }
        PreprocessArgs::MediapipeFace(args) => {
            fields.set("max_faces", &mut args.max_faces)?;
            fields.set("min_confidence", &mut args.min_confidence)?;
            &mut args.extra
        }
    };
    *extra = fields.extra();
    Ok(defaults)
}

impl FromJson for GptTaskArgs {
    fn from_json(value: Value, pointer: &str) -> Read<Self> {
        let mut fields = Fields::of(value, pointer)?;
        let mut args = Self::new(
            fields.required::<String>("model")?,
            fields.required("messages")?,
        );
        fields.set("generation_config", &mut args.generation_config)?;
        fields.set("seed", &mut args.seed)?;
        fields.set("dtype", &mut args.dtype)?;
        fields.set("quantize_bits", &mut args.quantize_bits)?;
        args.extra = fields.extra();
        Ok(args)
    }
}

impl FromJson for Message {
    fn from_json(value: Value, pointer: &str) -> Read<Self> {
        let mut fields = Fields::of(value, pointer)?;
        let mut message = Self::new(
            fields.required("role")?,
            fields.required::<String>("content")?,
        );
        message.extra = fields.extra();
        Ok(message)
    }
}

impl FromJson for GenerationConfig {
    fn from_json(value: Value, pointer: &str) -> Read<Self> {
        let mut fields = Fields::of(value, pointer)?;
        let mut config = Self::default();
        fields.set("max_new_tokens", &mut config.max_new_tokens)?;
        fields.set("do_sample", &mut config.do_sample)?;
        fields.set("num_beams", &mut config.num_beams)?;
        fields.set("temperature", &mut config.temperature)?;
        fields.set("typical_p", &mut config.typical_p)?;
        fields.set("top_k", &mut config.top_k)?;
        fields.set("top_p", &mut config.top_p)?;
        fields.set("repetition_penalty", &mut config.repetition_penalty)?;
        fields.set("num_return_sequences", &mut config.num_return_sequences)?;
        config.extra = fields.extra();
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::super::{from_value_derived, TaskArgs, TaskType};

    /// Documents of each task type that reach the typed reading (and some that the schema or
    /// the typed ranges refuse): every optional part absent, null and written out, unknown
    /// keys at every level, every preprocess method, integral floats, numbers out of range.
    fn documents() -> Vec<(TaskType, Value)> {
        // A seed's first byte chooses the task type (fuzz_targets/args.rs).
        let read = |seed: &str| serde_json::from_str::<Value>(&seed[1..]).unwrap();
        let sd_seed = read(include_str!("../../fuzz/seeds/args/sd"));
        let gpt_seed = read(include_str!("../../fuzz/seeds/args/gpt"));
        let mut sd = vec![
            sd_seed.clone(),
            json!({"base_model": "m", "prompt": "p", "task_config": {}}),
            json!({"base_model": "m", "prompt": "p", "task_config": {"steps": 30.0, "x": 1},
                   "lora": null, "controlnet": null, "refiner": null, "y": [1]}),
            json!({"base_model": "m", "prompt": "p", "negative_prompt": null, "task_config": {}}),
            json!({"base_model": "m", "prompt": "p",
                   "task_config": {"image_width": 18446744073709551615_u64}}),
            json!({"base_model": "m", "prompt": "p", "task_config": {"image_height": 1e300}}),
            json!({"base_model": "m", "prompt": "p", "task_config": {"image_width": -7}}),
            json!({"prompt": "p", "task_config": {}}),
            json!({"base_model": "m", "prompt": "p", "task_config": {},
                   "lora": {"model": "l", "z": true}, "refiner": {"model": "r", "steps": 3, "w": 0},
                   "controlnet": {"model": "c", "image_dataurl": "d", "v": "x",
                                  "preprocess": {"method": "canny", "args": null, "u": 2}}}),
        ];
        for method in super::PreprocessMethod::ALL {
            for args in [
                Value::Null,
                json!({"extra": 1}),
                json!({"low_threshold": 1, "thr_v": 5, "thr_d": 6, "apply_filter": true,
                       "gamma_corrected": true, "thr_a": -1, "thr_b": 2, "h": null, "w": 9,
                       "f": 3, "max_faces": 2, "min_confidence": 40}),
                json!({"thr_a": 9223372036854775808_u64, "low_threshold": 2.0}),
                json!([]),
            ] {
                let mut doc = sd_seed.clone();
                doc["controlnet"]["preprocess"] = json!({"method": method.as_str(), "args": args});
                sd.push(doc);
            }
        }
        let gpt = [
            gpt_seed,
            json!({"model": "m", "messages": []}),
            json!({"model": "m", "messages": [{"role": "user", "content": "c", "name": "n"}],
                   "generation_config": {"max_new_tokens": 9, "do_sample": true, "num_beams": 2,
                                         "temperature": 1, "typical_p": 0.5, "top_k": 3.0,
                                         "top_p": 0.9, "repetition_penalty": 1.1,
                                         "num_return_sequences": 1, "k": null},
                   "seed": -5, "dtype": "bfloat16", "quantize_bits": 8, "other": {}}),
            json!({"model": "m", "messages": [{"role": "system", "content": "s"}],
                   "generation_config": null, "quantize_bits": null, "seed": 4.0}),
            json!({"model": "m", "messages": [], "quantize_bits": 4.0}),
            json!({"model": "m", "messages": [], "seed": 9223372036854775808_u64}),
            json!({"model": "m", "messages": [{"role": "user"}]}),
        ];
        let mut documents: Vec<_> = sd
            .into_iter()
            .map(|d| (TaskType::StableDiffusion, d))
            .collect();
        documents.extend(gpt.into_iter().map(|d| (TaskType::Gpt, d)));
        documents
    }

    #[test]
    fn the_reading_by_hand_equals_serde_s_derived_readers() {
        let mut read = 0;
        for (task_type, document) in documents() {
            let by_hand = TaskArgs::from_value(task_type, document.clone()).ok();
            assert_eq!(
                by_hand,
                from_value_derived(task_type, document.clone()),
                "{document}"
            );
            read += usize::from(by_hand.is_some());
        }
        // Most documents are read, so the equality is not only of two refusals.
        assert!(read >= 60, "only {read} documents read");
    }
}
