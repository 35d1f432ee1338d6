//! Task arguments: defaults, exact serialization, round trips, hashes, and validation errors
//! at their JSON pointers.

use crynux_protocol::args::*;
use serde_json::{json, Value};

fn issues(task_type: TaskType, value: Value) -> Vec<String> {
    match TaskArgs::parse(task_type, &value.to_string()) {
        Err(ArgsError::Invalid(issues)) => issues.iter().map(ToString::to_string).collect(),
        other => panic!("expected schema issues, got {other:?}"),
    }
}

fn full_sd_args() -> SdTaskArgs {
    let mut args = SdTaskArgs::new(DEFAULT_BASE_MODEL, "a <cat-toy> & a dog, (red hat)1.3");
    args.negative_prompt = "blurry".into();
    args.task_config.num_images = 3;
    args.task_config.seed = MAX_SEED;
    args.task_config.cfg = 7;
    args.lora = Some(LoraArgs {
        model: "some/lora".into(),
        weight: 60,
        extra: Default::default(),
    });
    args.controlnet = Some(ControlnetArgs {
        model: "lllyasviel/control_v11p_sd15_openpose".into(),
        image_dataurl: "data:image/png;base64,iVBORw0KGgo=".into(),
        weight: 70,
        preprocess: Some(Preprocess::with_default_args(PreprocessMethod::Canny)),
        extra: Default::default(),
    });
    args.vae = "stabilityai/sd-vae-ft-mse".into();
    args.refiner = Some(RefinerArgs {
        model: "stabilityai/stable-diffusion-xl-refiner-1.0".into(),
        denoising_cutoff: 80,
        steps: 20,
        extra: Default::default(),
    });
    args.textual_inversion = "sd-concepts-library/cat-toy".into();
    args
}

#[test]
fn sd_defaults_are_the_schema_defaults_and_num_images_is_always_written() {
    let json: Value =
        serde_json::from_str(&TaskArgs::Sd(SdTaskArgs::new("m", "p")).to_json()).unwrap();
    assert_eq!(
        json,
        json!({
            "base_model": "m", "prompt": "p", "negative_prompt": "",
            "task_config": {"image_width": 512, "image_height": 512, "steps": 25, "seed": 0,
                            "num_images": 6, "safety_checker": true, "cfg": 5},
            "lora": null, "controlnet": null, "vae": "", "refiner": null, "textual_inversion": ""
        })
    );
}

#[test]
fn parsing_fills_schema_defaults() {
    let parsed = TaskArgs::parse(
        TaskType::StableDiffusion,
        r#"{"base_model":"m","prompt":"p","task_config":{}}"#,
    )
    .unwrap();
    assert_eq!(parsed, TaskArgs::Sd(SdTaskArgs::new("m", "p")));
    let lora = r#"{"base_model":"m","prompt":"p","task_config":{},"lora":{"model":"l"},
        "controlnet":{"model":"c","image_dataurl":"d","preprocess":{"method":"mlsd","args":{}}}}"#;
    let TaskArgs::Sd(args) = TaskArgs::parse(TaskType::StableDiffusion, lora).unwrap() else {
        panic!()
    };
    assert_eq!(args.lora.unwrap().weight, 100);
    let controlnet = args.controlnet.unwrap();
    assert_eq!(controlnet.weight, 70);
    assert_eq!(
        controlnet.preprocess.unwrap().args,
        PreprocessMethod::Mlsd.default_args()
    );
}

#[test]
fn every_field_round_trips_through_the_exact_string() {
    let sd = TaskArgs::Sd(full_sd_args());
    let text = sd.to_json();
    assert!(
        !text.contains(": ") && !text.contains('\n'),
        "compact: {text}"
    );
    assert_eq!(
        TaskArgs::parse(TaskType::StableDiffusion, &text).unwrap(),
        sd
    );

    let mut gpt = GptTaskArgs::new(
        DEFAULT_GPT_MODEL,
        vec![
            Message::new(Role::System, "be brief"),
            Message::new(Role::User, "<b>hi</b>"),
        ],
    );
    gpt.generation_config = Some(GenerationConfig {
        max_new_tokens: Some(2048),
        do_sample: Some(true),
        num_beams: Some(1),
        temperature: Some(0.7),
        typical_p: Some(0.9),
        top_k: Some(50),
        top_p: Some(1.0),
        repetition_penalty: Some(1.1),
        num_return_sequences: Some(2),
        extra: Default::default(),
    });
    gpt.seed = 42;
    gpt.dtype = Dtype::Bfloat16;
    gpt.quantize_bits = Some(QuantizeBits::Eight);
    let gpt = TaskArgs::Gpt(gpt);
    assert_eq!(TaskArgs::parse(TaskType::Gpt, &gpt.to_json()).unwrap(), gpt);
}

#[test]
fn all_24_preprocess_methods_validate_and_round_trip_with_their_args() {
    assert_eq!(PreprocessMethod::ALL.len(), 24);
    for &method in PreprocessMethod::ALL {
        let mut args = full_sd_args();
        args.controlnet.as_mut().unwrap().preprocess = Some(Preprocess::with_default_args(method));
        let args = TaskArgs::Sd(args);
        let text = args.to_json();
        let value: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["controlnet"]["preprocess"]["method"], method.as_str());
        assert_eq!(
            value["controlnet"]["preprocess"].get("args").is_some(),
            method.default_args().is_some(),
            "{method:?}"
        );
        assert_eq!(
            TaskArgs::parse(TaskType::StableDiffusion, &text).unwrap(),
            args,
            "{method:?}"
        );
    }
}

#[test]
fn unknown_keys_are_kept_at_every_level() {
    let text = r#"{"base_model":"m","prompt":"p","future":[1,2],
        "task_config":{"num_images":1,"tiling":true},
        "controlnet":{"model":"c","image_dataurl":"d","preprocess":{"method":"openpose","args":{"x":1},"hint":"h"}}}"#;
    let args = TaskArgs::parse(TaskType::StableDiffusion, text).unwrap();
    let written: Value = serde_json::from_str(&args.to_json()).unwrap();
    assert_eq!(written["future"], json!([1, 2]));
    assert_eq!(written["task_config"]["tiling"], json!(true));
    // openpose has no args in the schema: they are kept as written anyway.
    assert_eq!(
        written["controlnet"]["preprocess"],
        json!({"method": "openpose", "args": {"x": 1}, "hint": "h"})
    );
}

#[test]
fn integral_floats_count_as_integers_as_in_json_schema() {
    let text = r#"{"base_model":"m","prompt":"p","task_config":{"cfg":7.0,"num_images":2.0}}"#;
    let TaskArgs::Sd(args) = TaskArgs::parse(TaskType::StableDiffusion, text).unwrap() else {
        panic!()
    };
    assert_eq!((args.task_config.cfg, args.task_config.num_images), (7, 2));
    assert_eq!(
        issues(
            TaskType::StableDiffusion,
            json!({"base_model":"m","prompt":"p","task_config":{"cfg":7.5}})
        ),
        ["/task_config/cfg: must be a whole number, not a number"]
    );
}

#[test]
fn every_error_is_reported_at_its_pointer_in_words() {
    let bad = json!({
        "base_model": "",
        "task_config": {"steps": 0, "num_images": 11, "seed": 2147483648u64, "cfg": "high"},
        "lora": {"model": "", "weight": 101},
        "negative_prompt": 3
    });
    let mut got = issues(TaskType::StableDiffusion, bad);
    got.sort();
    let mut want = vec![
        "/base_model: must not be empty",
        "/prompt: is required",
        "/negative_prompt: must be text, not a whole number",
        "/task_config/steps: must be at least 1",
        "/task_config/num_images: must be at most 10",
        "/task_config/seed: must be at most 2147483647",
        "/task_config/cfg: must be a whole number, not text",
        "/lora/model: must not be empty",
        "/lora/weight: must be at most 100",
    ];
    want.sort();
    assert_eq!(got, want);
}

#[test]
fn a_number_the_schema_allows_beyond_its_typed_range_is_pointed_at() {
    let doc = |width: Value, thr_a: Value| {
        json!({"base_model": "m", "prompt": "p", "task_config": {"image_width": width},
               "controlnet": {"model": "c", "image_dataurl": "d",
                              "preprocess": {"method": "depth_leres", "args": {"thr_a": thr_a}}}})
    };
    assert_eq!(
        issues(TaskType::StableDiffusion, doc(json!(1u64 << 63), json!(0))),
        [
            "/task_config/image_width: must be a whole number from -9223372036854775808 to \
          9223372036854775807"
        ]
    );
    assert_eq!(
        issues(TaskType::StableDiffusion, doc(json!(512), json!(1e300))),
        [
            "/controlnet/preprocess/args/thr_a: must be a whole number from -9223372036854775808 \
          to 9223372036854775807"
        ]
    );
}

#[test]
fn an_unknown_preprocess_method_names_the_allowed_ones() {
    let bad = json!({"base_model":"m","prompt":"p","task_config":{},
        "controlnet":{"model":"c","image_dataurl":"d","preprocess":{"method":"dwpose"}}});
    let got = issues(TaskType::StableDiffusion, bad);
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(
        got[0].starts_with("/controlnet/preprocess/method: must be one of \"canny\""),
        "{got:?}"
    );
    assert!(got[0].contains("\"mediapipe_face\"") && !got[0].contains("dwpose"));
}

#[test]
fn a_wrong_arg_of_a_known_method_is_pointed_at() {
    let bad = json!({"base_model":"m","prompt":"p","task_config":{},
        "controlnet":{"model":"c","image_dataurl":"d","preprocess":{"method":"mlsd","args":{"thr_v":0}}}});
    assert_eq!(
        issues(TaskType::StableDiffusion, bad),
        ["/controlnet/preprocess/args/thr_v: must be at least 1"]
    );
}

#[test]
fn gpt_errors_are_pointed_at() {
    let bad = json!({"model": "gpt2", "messages": [{"role": "robot", "content": "x"}, {"role": "user"}],
                     "dtype": "int4", "quantize_bits": 16});
    let mut got = issues(TaskType::Gpt, bad);
    got.sort();
    assert_eq!(
        got,
        [
            "/dtype: must be one of \"float16\", \"bfloat16\", \"float32\", \"auto\"",
            "/messages/0/role: must be one of \"system\", \"user\", \"assistant\"",
            "/messages/1/content: is required",
            "/quantize_bits: must be one of 4, 8",
        ]
    );
}

#[test]
fn not_json_is_an_error_with_a_position_never_a_panic() {
    for (text, line, column) in [
        ("", 1, 0),
        ("{\"model\": ", 1, 10),
        ("{\n  \"a\": @\n}", 2, 8),
    ] {
        match TaskArgs::parse(TaskType::Gpt, text) {
            Err(ArgsError::NotJson {
                line: l, column: c, ..
            }) => assert_eq!((l, c), (line, column), "{text:?}"),
            other => panic!("{text:?}: {other:?}"),
        }
    }
    let array = TaskArgs::parse(TaskType::Gpt, "[1]");
    assert_eq!(
        array,
        Err(ArgsError::Invalid(vec![SchemaIssue {
            pointer: "".into(),
            message: "must be an object, not a list".into()
        }]))
    );
}

#[test]
fn task_hash_is_keccak_of_the_exact_bytes() {
    // keccak256 of the empty string, and of bytes that differ only by a space.
    assert_eq!(
        hex::encode(task_hash(b"")),
        "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
    );
    assert_ne!(task_hash(br#"{"a":1}"#), task_hash(br#"{"a": 1}"#));
}

#[test]
fn vram_defaults_follow_the_model_family() {
    assert_eq!(default_sd_vram_gb("runwayml/stable-diffusion-v1-5"), 8);
    assert_eq!(
        default_sd_vram_gb("emilianJR/chilloutmix_NiPrunedFp32Fix"),
        8
    );
    assert_eq!(
        default_sd_vram_gb("stabilityai/stable-diffusion-xl-base-1.0"),
        10
    );
    assert_eq!(default_sd_vram_gb("stabilityai/stable-diffusion-2-1"), 10);
    let gpt = TaskArgs::Gpt(GptTaskArgs::new("gpt2", vec![]));
    assert_eq!(gpt.default_vram_gb(), 8);
}

#[test]
fn task_types_have_their_chain_numbers_and_names() {
    assert_eq!("sd".parse::<TaskType>().unwrap().id(), 0);
    assert_eq!("1".parse::<TaskType>().unwrap(), TaskType::Gpt);
    assert_eq!(TaskType::from_id(2), None);
    assert!("image".parse::<TaskType>().is_err());
}

/// `explain` words the failures of these keywords; any other would reach users as "breaks the
/// schema's … rule", so a schema that gains one must gain its wording too.
#[test]
fn the_schemas_use_only_keywords_worded_here() {
    // The failures `explain` words, then the keywords that never fail by themselves.
    let allowed: Vec<&str> = "type minLength maxLength minimum maximum exclusiveMinimum \
        exclusiveMaximum enum const required anyOf oneOf \
        properties items $ref $defs default title discriminator"
        .split_whitespace()
        .collect();
    fn walk(schema: &Value, seen: &mut Vec<String>) {
        let Some(object) = schema.as_object() else {
            return;
        };
        for (keyword, value) in object {
            seen.push(keyword.clone());
            match keyword.as_str() {
                "properties" | "$defs" => value
                    .as_object()
                    .unwrap()
                    .values()
                    .for_each(|s| walk(s, seen)),
                "anyOf" | "oneOf" => value.as_array().unwrap().iter().for_each(|s| walk(s, seen)),
                "items" => walk(value, seen),
                _ => {}
            }
        }
    }
    let mut seen = Vec::new();
    for text in [
        include_str!("../../../schemas/sd-inference-task.schema.json"),
        include_str!("../../../schemas/gpt-inference-task.schema.json"),
    ] {
        walk(&serde_json::from_str(text).unwrap(), &mut seen);
    }
    assert!(
        seen.iter().any(|k| k == "exclusiveMinimum"),
        "the walk reaches the fields"
    );
    for keyword in &seen {
        assert!(
            allowed.contains(&keyword.as_str()),
            "{keyword} fails without a wording of ours"
        );
    }
}
