//! The task builders' edits: every option the forms offer, written at its JSON pointer the way
//! the form writes it, gives arguments the schema accepts and that read back to the same
//! values; combinations the network cannot run as meant are refused with a message at
//! their pointer.

use crynux_protocol::args::form::{set_item, splice, with_field, without_field};
use crynux_protocol::args::options::*;
use crynux_protocol::args::*;
use serde_json::{json, Value};

fn sd_text() -> String {
    TaskArgs::Sd(SdTaskArgs::new(DEFAULT_BASE_MODEL, "a cat")).to_json()
}

fn gpt_text() -> String {
    TaskArgs::Gpt(GptTaskArgs::new(
        DEFAULT_GPT_MODEL,
        vec![Message::new(Role::User, "hi")],
    ))
    .to_json()
}

fn edit(text: &str, edits: &[(&str, Value)]) -> String {
    edits
        .iter()
        .fold(text.to_owned(), |text, (pointer, value)| {
            with_field(&text, pointer, value.clone()).expect("editable")
        })
}

fn sd(text: &str) -> SdTaskArgs {
    match TaskArgs::parse_checked(TaskType::StableDiffusion, text) {
        Ok(TaskArgs::Sd(args)) => args,
        other => panic!("expected valid SD args, got {other:?}"),
    }
}

fn gpt(text: &str) -> GptTaskArgs {
    match TaskArgs::parse_checked(TaskType::Gpt, text) {
        Ok(TaskArgs::Gpt(args)) => args,
        other => panic!("expected valid GPT args, got {other:?}"),
    }
}

fn refused(task_type: TaskType, text: &str) -> Vec<String> {
    match TaskArgs::parse_checked(task_type, text) {
        Err(ArgsError::Invalid(issues)) => issues.iter().map(ToString::to_string).collect(),
        other => panic!("expected issues, got {other:?}"),
    }
}

const PNG: &str = "data:image/png;base64,iVBORw0KGgo=";

#[test]
fn every_sd_option_validates_and_reads_back() {
    for preset in BASE_MODELS {
        let args = sd(&switch_base_model(&sd_text(), preset.id).unwrap());
        assert_eq!(args.base_model, preset.id);
        assert_eq!(TaskArgs::Sd(args).default_vram_gb(), preset.vram_gb);
    }
    let text = edit(
        &sd_text(),
        &[
            ("/prompt", json!("a <b>cat</b>+, (red hat)1.3")),
            ("/negative_prompt", json!("blurry")),
            ("/task_config/image_width", json!(576)),
            ("/task_config/image_height", json!(432)),
            ("/task_config/steps", json!(100)),
            ("/task_config/cfg", json!(20)),
            ("/task_config/num_images", json!(10)),
            ("/task_config/seed", json!(MAX_SEED)),
            ("/task_config/safety_checker", json!(false)),
            ("/lora", json!({"model": "", "weight": 100})),
            ("/lora/model", json!("latent-consistency/lcm-lora-sdv1-5")),
            ("/lora/weight", json!(weight_percent(0.02))),
            ("/vae", json!("stabilityai/sd-vae-ft-mse")),
            ("/textual_inversion", json!("sd-concepts-library/cat-toy")),
        ],
    );
    let args = sd(&text);
    assert_eq!(args.prompt, "a <b>cat</b>+, (red hat)1.3");
    assert_eq!(args.negative_prompt, "blurry");
    let c = &args.task_config;
    assert_eq!((c.image_width, c.image_height), (576, 432));
    assert_eq!(
        (c.steps, c.cfg, c.num_images, c.seed),
        (100, 20, 10, MAX_SEED)
    );
    assert!(!c.safety_checker);
    let lora = args.lora.unwrap();
    assert_eq!(lora.model, "latent-consistency/lcm-lora-sdv1-5");
    assert_eq!(lora.weight, 2);
    assert_eq!(args.vae, "stabilityai/sd-vae-ft-mse");
    assert_eq!(args.textual_inversion, "sd-concepts-library/cat-toy");
    // Every size preset of both families.
    for family in [ModelFamily::Sd15, ModelFamily::Sdxl] {
        for (_, w, h) in family.sizes() {
            let text = edit(
                &sd_text(),
                &[
                    ("/task_config/image_width", json!(w)),
                    ("/task_config/image_height", json!(h)),
                ],
            );
            let c = sd(&text).task_config;
            assert_eq!((c.image_width, c.image_height), (*w, *h));
        }
    }
    // LoRA sources: a Civitai model-version id and a URL.
    for model in ["128713", "https://example.org/lora.safetensors"] {
        let text = edit(
            &sd_text(),
            &[("/lora", json!({"model": model, "weight": 55}))],
        );
        assert_eq!(sd(&text).lora.unwrap().model, model);
    }
    assert!(is_civitai_id("128713"));
    assert!(!is_civitai_id("some/lora"));
    // SDXL with a refiner and an SDXL VAE.
    let xl = switch_base_model(&sd_text(), "stabilityai/stable-diffusion-xl-base-1.0").unwrap();
    let text = edit(
        &xl,
        &[
            (
                "/refiner",
                json!({"model": REFINER_MODELS[0].id, "denoising_cutoff": 80, "steps": 20}),
            ),
            ("/refiner/denoising_cutoff", json!(65)),
            ("/refiner/steps", json!(30)),
            ("/vae", json!("madebyollin/sdxl-vae-fp16-fix")),
        ],
    );
    let refiner = sd(&text).refiner.unwrap();
    assert_eq!((refiner.denoising_cutoff, refiner.steps), (65, 30));
}

#[test]
fn every_controlnet_option_validates_and_reads_back() {
    for preset in CONTROLNET_MODELS {
        let base = match preset.family {
            Some(ModelFamily::Sdxl) => "stabilityai/stable-diffusion-xl-base-1.0",
            _ => DEFAULT_BASE_MODEL,
        };
        let text = edit(
            &switch_base_model(&sd_text(), base).unwrap(),
            &[
                (
                    "/controlnet",
                    json!({"model": preset.id, "image_dataurl": PNG, "weight": 70, "preprocess": null}),
                ),
                ("/controlnet/weight", json!(weight_percent(0.45))),
            ],
        );
        let controlnet = sd(&text).controlnet.unwrap();
        assert_eq!(
            (controlnet.model.as_str(), controlnet.weight),
            (preset.id, 45)
        );
    }
    // Each of the 24 methods with its own args, each arg edited.
    for method in PreprocessMethod::ALL {
        let preprocess = serde_json::to_value(Preprocess::with_default_args(*method)).unwrap();
        let mut text = edit(
            &sd_text(),
            &[
                (
                    "/controlnet",
                    json!({"model": CONTROLNET_MODELS[0].id, "image_dataurl": PNG, "weight": 70}),
                ),
                ("/controlnet/preprocess", preprocess.clone()),
            ],
        );
        let fields = preprocess["args"].as_object().cloned().unwrap_or_default();
        for (name, default) in &fields {
            let value = match default {
                Value::Bool(b) => json!(!b),
                _ => json!(7),
            };
            text =
                with_field(&text, &format!("/controlnet/preprocess/args/{name}"), value).unwrap();
        }
        let read = sd(&text).controlnet.unwrap().preprocess.unwrap();
        assert_eq!(read.method, *method);
        let args = read.args.map(|a| a.to_value()).unwrap_or(Value::Null);
        for (name, default) in &fields {
            let expected = match default {
                Value::Bool(b) => json!(!b),
                _ => json!(7),
            };
            assert_eq!(args[name], expected, "{} {name}", method.as_str());
        }
    }
}

#[test]
fn every_gpt_option_validates_and_reads_back() {
    for preset in GPT_MODELS {
        let args = gpt(&edit(&gpt_text(), &[("/model", json!(preset.id))]));
        assert_eq!(args.model, preset.id);
        assert_eq!(TaskArgs::Gpt(args).default_vram_gb(), preset.vram_gb);
    }
    let mut text = edit(
        &gpt_text(),
        &[
            ("/generation_config/max_new_tokens", json!(2048)),
            ("/generation_config/temperature", json!(0.7)),
            ("/generation_config/top_p", json!(0.9)),
            ("/generation_config/top_k", json!(50)),
            ("/generation_config/do_sample", json!(true)),
            ("/generation_config/num_beams", json!(2)),
            ("/generation_config/repetition_penalty", json!(1.1)),
            ("/generation_config/typical_p", json!(0.95)),
            ("/generation_config/num_return_sequences", json!(2)),
            ("/seed", json!(42)),
            ("/dtype", json!("bfloat16")),
            ("/quantize_bits", json!(4)),
        ],
    );
    // The system prompt goes first; a turn is added, then the conversation is cut after it.
    text = set_item(
        &text,
        "/messages",
        0,
        Some(json!({"role": "system", "content": "Be brief."})),
    )
    .unwrap();
    text = splice(
        &text,
        "/messages",
        2,
        vec![
            json!({"role": "assistant", "content": "Hello! <b>"}),
            json!({"role": "user", "content": "more"}),
            json!({"role": "user", "content": "dropped"}),
        ],
    )
    .unwrap();
    text = set_item(&text, "/messages", 4, None).unwrap();
    let args = gpt(&text);
    let roles: Vec<Role> = args.messages.iter().map(|m| m.role).collect();
    assert_eq!(
        roles,
        [Role::System, Role::User, Role::Assistant, Role::User]
    );
    assert_eq!(args.messages[2].content, "Hello! <b>");
    let c = args.generation_config.unwrap();
    assert_eq!(c.max_new_tokens, Some(2048));
    assert_eq!(
        (c.temperature, c.top_p, c.typical_p),
        (Some(0.7), Some(0.9), Some(0.95))
    );
    assert_eq!(
        (c.top_k, c.num_beams, c.num_return_sequences),
        (Some(50), Some(2), Some(2))
    );
    assert_eq!((c.do_sample, c.repetition_penalty), (Some(true), Some(1.1)));
    assert_eq!(
        (args.seed, args.dtype, args.quantize_bits),
        (42, Dtype::Bfloat16, Some(QuantizeBits::Four))
    );
    // An emptied optional field is the model's default again, not a null the schema refuses.
    let text = without_field(&text, "/generation_config/top_k").unwrap();
    assert_eq!(gpt(&text).generation_config.unwrap().top_k, None);
    let text = with_field(&text, "/quantize_bits", Value::Null).unwrap();
    assert_eq!(gpt(&text).quantize_bits, None);
}

#[test]
fn a_new_base_model_moves_the_options_to_its_family() {
    let text = edit(
        &sd_text(),
        &[
            (
                "/controlnet",
                json!({"model": "lllyasviel/control_v11p_sd15_canny", "image_dataurl": PNG, "weight": 70}),
            ),
            (
                "/lora",
                json!({"model": "latent-consistency/lcm-lora-sdv1-5", "weight": 80}),
            ),
            ("/vae", json!("stabilityai/sd-vae-ft-mse")),
        ],
    );
    let xl = sd(&switch_base_model(&text, "stabilityai/stable-diffusion-xl-base-1.0").unwrap());
    assert_eq!(
        xl.controlnet.as_ref().unwrap().model,
        "diffusers/controlnet-canny-sdxl-1.0"
    );
    assert_eq!(xl.lora, None);
    assert_eq!(xl.vae, "");
    assert_eq!(
        (xl.task_config.image_width, xl.task_config.image_height),
        (1024, 1024)
    );
    let with_refiner = edit(
        &TaskArgs::Sd(xl).to_json(),
        &[("/refiner", json!({"model": REFINER_MODELS[0].id}))],
    );
    let back =
        sd(&switch_base_model(&with_refiner, "emilianJR/chilloutmix_NiPrunedFp32Fix").unwrap());
    assert_eq!(
        back.controlnet.unwrap().model,
        "lllyasviel/control_v11p_sd15_canny"
    );
    assert_eq!(back.refiner, None);
    assert_eq!(back.task_config.image_width, 512);
    // Within a family nothing else changes; a custom size is kept across families.
    let custom = edit(&text, &[("/task_config/image_width", json!(640))]);
    let same = sd(&switch_base_model(&custom, "emilianJR/chilloutmix_NiPrunedFp32Fix").unwrap());
    assert_eq!(same.lora.unwrap().weight, 80);
    let xl = sd(&switch_base_model(&custom, "stabilityai/stable-diffusion-xl-base-1.0").unwrap());
    assert_eq!(xl.task_config.image_width, 640);
}

#[test]
fn combinations_the_network_cannot_run_are_refused_at_their_pointer() {
    let text = edit(
        &sd_text(),
        &[
            ("/task_config/image_width", json!(513)),
            ("/task_config/image_height", json!(4096)),
            (
                "/lora",
                json!({"model": "nerijs/pixel-art-xl", "weight": 1}),
            ),
            (
                "/controlnet",
                json!({"model": "thibaud/controlnet-openpose-sdxl-1.0", "image_dataurl": "data:image/jpeg;base64,/9j/", "weight": 1}),
            ),
            ("/vae", json!("madebyollin/sdxl-vae-fp16-fix")),
            ("/refiner", json!({"model": REFINER_MODELS[0].id})),
        ],
    );
    assert_eq!(
        refused(TaskType::StableDiffusion, &text),
        [
            "/task_config/image_width: must be a multiple of 8 (diffusers refuses 513; try 512)",
            "/task_config/image_height: must be between 64 and 2048 pixels",
            "/lora/model: is a LoRA for SDXL, but the base model is SD 1.5",
            "/controlnet/model: is a ControlNet for SDXL, but the base model is SD 1.5",
            "/vae: is a VAE for SDXL, but the base model is SD 1.5",
            "/lora/weight: 1 means 100 % on the network; use 2 to 100",
            "/controlnet/weight: 1 means 100 % on the network; use 2 to 100",
            "/controlnet/image_dataurl: must be a PNG data URL (data:image/png;base64,…)",
            "/refiner: a refiner works only with an SDXL base model",
        ]
    );
    // The relay and the nodes check only the schema: the same text passes there.
    assert!(TaskArgs::parse(TaskType::StableDiffusion, &text).is_ok());

    let text = edit(
        &gpt_text(),
        &[
            ("/messages/1", json!({"role": "assistant", "content": "  "})),
            ("/generation_config/num_return_sequences", json!(3)),
            ("/generation_config/num_beams", json!(2)),
            ("/generation_config/top_p", json!(1.5)),
            ("/generation_config/temperature", json!(0)),
            ("/generation_config/top_k", json!(-1)),
            ("/generation_config/max_new_tokens", json!(0)),
        ],
    );
    assert_eq!(
        refused(TaskType::Gpt, &text),
        [
            "/messages/1/content: must not be empty",
            "/generation_config/max_new_tokens: must be at least 1",
            "/generation_config/top_k: must be at least 0 (0 turns it off)",
            "/generation_config/top_p: must be more than 0 and at most 1",
            "/generation_config/temperature: must be more than 0",
            "/generation_config/num_return_sequences: without sampling, at most the number of beams (2); turn on sampling or add beams",
        ]
    );
    // Found beside the schema's problems, one per pointer; wrong types are the schema's.
    let both = edit(
        &sd_text(),
        &[
            ("/task_config/image_width", json!(513)),
            ("/task_config/steps", json!(500)),
            ("/task_config/image_height", json!("wide")),
            ("/lora", json!({"model": "", "weight": 1})),
        ],
    );
    assert_eq!(
        refused(TaskType::StableDiffusion, &both),
        [
            "/lora/model: must not be empty",
            "/task_config/image_height: must be a whole number, not text",
            "/task_config/steps: must be at most 100",
            "/task_config/image_width: must be a multiple of 8 (diffusers refuses 513; try 512)",
            "/lora/weight: 1 means 100 % on the network; use 2 to 100",
        ]
    );
    let no_messages = edit(&gpt_text(), &[("/messages", json!([]))]);
    assert_eq!(
        refused(TaskType::Gpt, &no_messages),
        ["/messages: needs at least one message"]
    );
}

#[test]
fn keys_no_field_shows_are_kept_and_listed() {
    let text = edit(
        &sd_text(),
        &[
            ("/my_note", json!("keep")),
            ("/task_config/clip_skip", json!(2)),
            (
                "/controlnet",
                json!({"model": CONTROLNET_MODELS[0].id, "image_dataurl": PNG, "x": 1, "preprocess": {"method": "canny", "args": {"low_threshold": 1, "y/z": 2}}}),
            ),
        ],
    );
    let args = TaskArgs::parse_checked(TaskType::StableDiffusion, &text).unwrap();
    assert_eq!(
        args.unknown_keys(),
        [
            "/my_note",
            "/task_config/clip_skip",
            "/controlnet/x",
            "/controlnet/preprocess/args/y~1z"
        ]
    );
    assert!(args.to_json().contains(r#""my_note":"keep""#));
    let chat = edit(
        &gpt_text(),
        &[
            ("/messages/0/name", json!("ann")),
            ("/generation_config/min_p", json!(0.1)),
        ],
    );
    let args = TaskArgs::parse_checked(TaskType::Gpt, &chat).unwrap();
    assert_eq!(
        args.unknown_keys(),
        ["/messages/0/name", "/generation_config/min_p"]
    );
}

#[test]
fn weights_and_prompt_syntax_are_explained() {
    assert_eq!(weight_percent(0.02), 2);
    assert_eq!(weight_percent(0.0), 2);
    assert_eq!(weight_percent(0.704), 70);
    assert_eq!(weight_percent(1.0), 100);
    assert_eq!(
        compel_warning("a (red hat:1.2) cat").as_deref(),
        Some("\"(red hat:1.2)\" is AUTOMATIC1111 syntax, which the network reads as plain text. In Compel syntax write \"(red hat)1.2\".")
    );
    assert_eq!(
        compel_warning("a (red hat)1.2 cat, word+, time: 12:30"),
        None
    );
    assert_eq!(compel_warning("(:3) (a:)"), None);
    assert!(compel_warning("(a:.5)").is_some());
    assert!(compel_warning("(a:-1)").is_some());
    assert_eq!(compel_warning("(a:.) (b:1.2.3) (c:1,2) (d:-)"), None);
}
