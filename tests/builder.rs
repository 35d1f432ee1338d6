//! The task builders in headless Chromium: every form control writes its JSON pointer of the
//! arguments, the JSON editor and the forms show the same arguments, options follow the base
//! model's family, and problems are shown at their control and their JSON line.
#![cfg(target_arch = "wasm32")]

use crynux_dapp::chat::{provide_chat, Conversation, Reply, ReplyTask, Said};
use crynux_dapp::components::{Builder, GenerateBar, SdForm};
use crynux_dapp::state::provide_app;
use crynux_dapp::studio::provide_studio;
use crynux_dapp::views::ChatView;
use crynux_protocol::args::form::with_field;
use crynux_protocol::args::{TaskArgs, TaskType};
use leptos::prelude::*;
use serde_json::{json, Value};
use wasm_bindgen_test::*;

mod common;

use common::{
    choose, container, devnet_profile, element, mount_chat, text_of, tick, type_into,
    type_utf16_into, until, value_of,
};

wasm_bindgen_test_configure!(run_in_browser);

/// The builder of `kind` tasks and its button that pays (image tasks: the generate bar;
/// chats: the Chat view and its composer), with the JSON editor open.
async fn mount_builder(kind: TaskType) -> (web_sys::HtmlElement, impl Drop) {
    let root = container();
    let handle = leptos::mount::mount_to(root.clone(), move || {
        let state = provide_app(&devnet_profile());
        let studio = provide_studio(state);
        match kind {
            TaskType::StableDiffusion => {
                let submit = Callback::new(|()| {});
                view! {
                    <Builder kind submit>
                        <SdForm form=studio.form last_seed=studio.last_seed() />
                    </Builder>
                    <GenerateBar />
                }
                .into_any()
            }
            TaskType::Gpt => {
                provide_chat(state, studio);
                view! { <ChatView /> }.into_any()
            }
        }
    });
    open_json_editor(&root).await;
    if kind == TaskType::StableDiffusion {
        options_made(&root).await;
    }
    (root, handle)
}

/// Waits until the image options under `root` are made (on a narrow screen, when the page is
/// next idle after the first screen).
async fn options_made(root: &web_sys::HtmlElement) {
    until("the options are made", || {
        root.query_selector("#field-negative_prompt")
            .unwrap()
            .is_some()
    })
    .await;
}

/// Waits until the VAE, refiner and textual inversion options (a part) are made.
async fn more_options_made(root: &web_sys::HtmlElement) {
    until("the VAE, refiner and textual inversion options", || {
        root.query_selector("#field-refiner").unwrap().is_some()
    })
    .await;
}

/// Types a textual inversion preset and waits for the hint naming its token: what was
/// queued before the edit has then run.
async fn type_cat_toy_inversion(root: &web_sys::HtmlElement) {
    type_into(
        &control(root, "field-textual_inversion"),
        "sd-concepts-library/cat-toy",
    );
    until("the token hint", || {
        text_of(root, "[data-testid=inversion-hint]").contains("<cat-toy>")
    })
    .await;
}

/// On a phone the options start closed, and are made once the first screen is, when the page
/// is next idle: the first screen is made sooner.
#[wasm_bindgen_test]
async fn closed_options_are_made_when_the_page_is_next_idle() {
    let width = window().inner_width().unwrap().as_f64().unwrap();
    assert!(width < 1024.0, "a narrow screen, not {width} px");
    let root = container();
    let _handle = leptos::mount::mount_to(root.clone(), move || {
        let studio = provide_studio(provide_app(&devnet_profile()));
        view! { <SdForm form=studio.form last_seed=studio.last_seed() /> }
    });
    assert!(root.query_selector("#field-prompt").unwrap().is_some());
    let options = element::<web_sys::HtmlElement>(&root, "details.options");
    assert!(!options.has_attribute("open"));
    assert!(
        root.query_selector("#field-negative_prompt")
            .unwrap()
            .is_none(),
        "the options are made with the first screen"
    );
    options_made(&root).await;
    // So are the VAE, refiner and textual inversion options, a part; opening and closing a
    // section does not make its controls again.
    more_options_made(&root).await;
    let vae = control(&root, "field-vae");
    let negative_prompt = control(&root, "field-negative_prompt");
    for section in [
        "details.options",
        "details.more",
        "details.more",
        "details.options",
    ] {
        toggle(&element(&root, section)).await;
    }
    type_cat_toy_inversion(&root).await;
    for (id, made) in [
        ("field-vae", &vae),
        ("field-negative_prompt", &negative_prompt),
    ] {
        let now = root.query_selector(&format!("#{id}")).unwrap();
        assert!(now.is_some_and(|c| c == **made), "#{id} made again");
    }
}

/// Opens or closes `details` and waits for its `toggle` event, after which the app's own
/// listener has run.
async fn toggle(details: &web_sys::HtmlElement) {
    let mut listener = None;
    let toggled = js_sys::Promise::new(&mut |resolve, _| {
        details
            .add_event_listener_with_callback("toggle", &resolve)
            .unwrap();
        listener = Some(resolve);
    });
    details.toggle_attribute("open").unwrap();
    wasm_bindgen_futures::JsFuture::from(toggled).await.unwrap();
    details
        .remove_event_listener_with_callback("toggle", &listener.unwrap())
        .unwrap();
}

/// Opens the JSON editor under `root` and waits for it.
async fn open_json_editor(root: &web_sys::HtmlElement) {
    element::<web_sys::HtmlElement>(root, "details.json-editor")
        .set_attribute("open", "")
        .unwrap();
    until("the JSON editor opens", || {
        root.query_selector("[data-testid=json]").unwrap().is_some()
    })
    .await;
}

/// The builder's current arguments, as the JSON editor shows them.
fn args_in(root: &web_sys::HtmlElement) -> Value {
    serde_json::from_str(&value_of(&element(root, "[data-testid=json]"))).unwrap_or(Value::Null)
}

fn control(root: &web_sys::HtmlElement, id: &str) -> web_sys::HtmlElement {
    element(root, &format!("#{id}"))
}

fn button(root: &web_sys::HtmlElement, label: &str) -> web_sys::HtmlElement {
    let buttons = root.query_selector_all("button").unwrap();
    (0..buttons.length())
        .filter_map(|i| buttons.get(i))
        .map(|b| b.unchecked_into::<web_sys::HtmlElement>())
        .find(|b| b.text_content().unwrap_or_default().contains(label))
        .unwrap_or_else(|| panic!("no button {label}"))
}

use wasm_bindgen::{JsCast, JsValue};

/// A keystroke in the prompt writes no other control: each control is written when its own
/// value changes, not at every edit of the arguments (16 property writes a keystroke before).
#[wasm_bindgen_test]
async fn a_keystroke_in_the_prompt_writes_no_other_control() {
    let (root, _handle) = mount_builder(TaskType::StableDiffusion).await;
    // Each control is given, behind the app's back, what the arguments do not hold: a write
    // of the app's would put the arguments' value back.
    let marks = [
        ("field-negative_prompt", "value", JsValue::from("mark")),
        ("field-task_config-seed", "value", JsValue::from("mark")),
        ("field-base_model", "value", JsValue::from("mark")),
        ("vram", "value", JsValue::from("mark")),
        ("size-preset", "value", JsValue::from("custom")),
        (
            "field-task_config-safety_checker",
            "checked",
            JsValue::from(false),
        ),
    ];
    for (id, property, mark) in &marks {
        let field = control(&root, id);
        assert_ne!(
            js_sys::Reflect::get(&field, &(*property).into()).unwrap(),
            *mark,
            "{id}"
        );
        js_sys::Reflect::set(&field, &(*property).into(), mark).unwrap();
    }
    for typed in ["a", "a c", "a cat"] {
        type_into(&control(&root, "field-prompt"), typed);
        until("the arguments take the keystroke", || {
            args_in(&root)["prompt"] == typed
        })
        .await;
    }
    for (id, property, mark) in &marks {
        let shown = js_sys::Reflect::get(&control(&root, id), &(*property).into()).unwrap();
        assert_eq!(
            shown, *mark,
            "{id} was written at a keystroke in the prompt"
        );
    }
}

#[wasm_bindgen_test]
async fn the_form_and_the_json_editor_edit_the_same_validated_arguments() {
    let (root, _mounted) = mount_builder(TaskType::StableDiffusion).await;
    let json: web_sys::HtmlElement = element(&root, "[data-testid=json]");
    let prompt: web_sys::HtmlElement = element(&root, "#field-prompt");
    let images: web_sys::HtmlElement = element(&root, "#field-task_config-num_images");
    let create: web_sys::HtmlButtonElement = element(&root, "[data-testid=create]");

    // A new form is empty, not wrong: no problems shown yet, a random seed, nothing to pay.
    assert!(root
        .query_selector("[data-testid=problems]")
        .unwrap()
        .is_none());
    assert_eq!(
        element::<web_sys::HtmlElement>(&root, "#field-prompt")
            .get_attribute("aria-invalid")
            .as_deref(),
        Some("false")
    );
    let seed_field: web_sys::HtmlElement = element(&root, "#field-task_config-seed");
    until("the form shows its values", || {
        !value_of(&seed_field).is_empty()
    })
    .await;
    let seed: u64 = value_of(&seed_field).parse().unwrap();
    assert!(seed < 1 << 31);
    assert!(create.disabled());
    assert!(root
        .text_content()
        .unwrap()
        .contains("Connect your wallet or unlock the session wallet first."));

    // The form writes into the JSON; an emptied prompt is a problem once typed.
    type_into(&prompt, "");
    type_into(&prompt, "a <b>cat</b>");
    until("the prompt reaches the JSON", || {
        value_of(&json).contains(r#""prompt": "a <b>cat</b>""#)
    })
    .await;
    assert!(root
        .query_selector("[data-testid=problems]")
        .unwrap()
        .is_none());

    // A value the schema refuses is kept, reported at its pointer and next to its field.
    type_into(&images, "20");
    let problems = || {
        root.query_selector("[data-testid=problems]")
            .unwrap()
            .map(|p| p.text_content().unwrap())
            .unwrap_or_default()
    };
    until("the schema problem is shown", || {
        problems().contains("/task_config/num_images")
    })
    .await;
    assert!(value_of(&json).contains(r#""num_images": 20"#));
    assert_eq!(
        images.get_attribute("aria-invalid").as_deref(),
        Some("true")
    );
    assert!(create.disabled());

    // Broken JSON pauses the form and says where the JSON breaks.
    type_into(&json, r#"{"prompt": "x", "#);
    until("the JSON error is shown", || {
        problems().contains("not valid JSON (line 1")
    })
    .await;
    assert!(js_sys::Reflect::get(&prompt, &"disabled".into())
        .unwrap()
        .is_truthy());

    // Text UTF-8 cannot hold (a lone surrogate), raw in a cut-off document or escaped in a
    // whole one, is a JSON error too, not a crash.
    let cut_off: Vec<u16> = r#"{"prompt": ""#.encode_utf16().chain([0xD800]).collect();
    let not_json = || problems().contains("not valid JSON (line 1");
    type_into(&json, "{}");
    until("the JSON is read again", || !not_json()).await;
    type_utf16_into(&json, &cut_off);
    until("a raw lone surrogate is a JSON error", not_json).await;
    type_into(&json, "{}");
    until("the JSON is read again", || !not_json()).await;
    type_into(&json, r#"{"prompt": "\ud800 cat"}"#);
    until("an escaped lone surrogate is a JSON error", not_json).await;

    // Valid JSON typed by hand fills the form.
    type_into(
        &json,
        r#"{"base_model":"runwayml/stable-diffusion-v1-5","prompt":"typed","task_config":{"num_images":2}}"#,
    );
    until("the form follows the JSON", || value_of(&prompt) == "typed").await;
    assert_eq!(value_of(&images), "2");
    assert!(root
        .query_selector("[data-testid=problems]")
        .unwrap()
        .is_none());
}

#[wasm_bindgen_test]
async fn every_sd_section_writes_its_arguments_and_follows_the_base_model() {
    let (root, _mounted) = mount_builder(TaskType::StableDiffusion).await;
    let at = |pointer: &str| args_in(&root).pointer(pointer).cloned();

    // Prompt syntax: the AUTOMATIC1111 form is explained, not refused.
    type_into(&control(&root, "field-prompt"), "a (red hat:1.2) cat");
    until("the prompt warning", || {
        text_of(&root, "[data-testid=prompt-warning]").contains("write \"(red hat)1.2\"")
    })
    .await;

    // An SDXL base model: its size and its GPU memory.
    type_into(
        &control(&root, "field-base_model"),
        "stabilityai/stable-diffusion-xl-base-1.0",
    );
    until("the SDXL size", || {
        at("/task_config/image_width") == Some(json!(1024))
    })
    .await;
    until("the SDXL memory", || {
        value_of(&control(&root, "vram")) == "10"
    })
    .await;
    choose(&control(&root, "size-preset"), "1");
    until("the 4:3 preset", || {
        at("/task_config/image_width") == Some(json!(1152))
            && at("/task_config/image_height") == Some(json!(864))
    })
    .await;

    // LoRA: a Civitai version id and a weight slider sent as a percent of at least 2.
    tick(&control(&root, "field-lora"), true);
    until("a LoRA", || at("/lora/weight") == Some(json!(100))).await;
    let weight_shown = || text_of(&root, "output[for=field-lora-weight]");
    assert_eq!(weight_shown(), "1.00 (100 %)");
    type_into(&control(&root, "field-lora-model"), "128713");
    type_into(&control(&root, "field-lora-weight"), "0.01");
    until("the LoRA weight", || at("/lora/weight") == Some(json!(2))).await;
    until("the LoRA weight shown", || weight_shown() == "0.02 (2 %)").await;
    assert_eq!(value_of(&control(&root, "field-lora-weight")), "0.02");
    assert!(root
        .text_content()
        .unwrap()
        .contains("Civitai model version 128713."));

    // ControlNet: the family's model, a preprocess method with its own arguments.
    tick(&control(&root, "field-controlnet"), true);
    until("an SDXL ControlNet", || {
        at("/controlnet/model") == Some(json!("thibaud/controlnet-openpose-sdxl-1.0"))
    })
    .await;
    // Its image and preprocess controls come with the lazily loaded parts.
    until("the ControlNet tools", || {
        root.query_selector("[data-testid=preprocess]")
            .unwrap()
            .is_some()
    })
    .await;
    choose(&element(&root, "[data-testid=preprocess]"), "1");
    until("canny with its defaults", || {
        at("/controlnet/preprocess")
            == Some(
                json!({"method": "canny", "args": {"low_threshold": 100, "high_threshold": 200}}),
            )
    })
    .await;
    until("the canny fields", || {
        root.query_selector("#field-controlnet-preprocess-args-low_threshold")
            .unwrap()
            .is_some()
    })
    .await;
    type_into(
        &control(&root, "field-controlnet-preprocess-args-low_threshold"),
        "50",
    );
    until("the threshold", || {
        at("/controlnet/preprocess/args/low_threshold") == Some(json!(50))
    })
    .await;

    // No image yet: said at the image and in the list, with the JSON line.
    let json = value_of(&element(&root, "[data-testid=json]"));
    let line = json
        .lines()
        .position(|l| l.contains("\"image_dataurl\""))
        .unwrap()
        + 1;
    until("the missing image", || {
        text_of(&root, "[data-testid=problems]").contains(&format!(
            "/controlnet/image_dataurl: must not be empty (JSON line {line})"
        ))
    })
    .await;
    assert!(root.text_content().unwrap().contains("Choose an image."));

    // A key no control shows is kept through form edits and named.
    let json_editor: web_sys::HtmlElement = element(&root, "[data-testid=json]");
    let edited = with_field(
        &json,
        "/controlnet/image_dataurl",
        json!("data:image/png;base64,iVBORw0KGgo="),
    )
    .unwrap();
    type_into(
        &json_editor,
        &with_field(&edited, "/my_note", json!("<b>keep</b>")).unwrap(),
    );
    until("the unknown key", || {
        text_of(&root, "[data-testid=unknown-keys]").contains("/my_note")
    })
    .await;
    let preview_src = || {
        root.query_selector("[data-testid=controlnet-preview]")
            .unwrap()
            .and_then(|img| img.get_attribute("src"))
    };
    until("the image's preview", || {
        preview_src().as_deref() == Some("data:image/png;base64,iVBORw0KGgo=")
    })
    .await;
    let preview = element::<web_sys::HtmlElement>(&root, "[data-testid=controlnet-preview]");
    type_into(&control(&root, "field-negative_prompt"), "blurry");
    until("the edit", || {
        at("/negative_prompt") == Some(json!("blurry"))
    })
    .await;
    assert_eq!(at("/my_note"), Some(json!("<b>keep</b>")));
    // An edit elsewhere keeps the preview as it is drawn; another image of the same length
    // replaces it.
    assert!(root
        .query_selector("[data-testid=controlnet-preview]")
        .unwrap()
        .is_some_and(|img| img == *preview));
    let other_image = with_field(
        &value_of(&json_editor),
        "/controlnet/image_dataurl",
        json!("data:image/png;base64,iVBORx0KGgo="),
    )
    .unwrap();
    type_into(&json_editor, &other_image);
    until("the other image's preview", || {
        preview_src().as_deref() == Some("data:image/png;base64,iVBORx0KGgo=")
    })
    .await;
    until("no problems", || {
        root.query_selector("[data-testid=problems]")
            .unwrap()
            .is_none()
    })
    .await;

    // Refiner, VAE, textual inversion: they come with the lazily loaded parts.
    more_options_made(&root).await;
    tick(&control(&root, "field-refiner"), true);
    type_into(
        &control(&root, "field-vae"),
        "madebyollin/sdxl-vae-fp16-fix",
    );
    type_cat_toy_inversion(&root).await;
    until("the refiner", || {
        at("/refiner/model") == Some(json!("stabilityai/stable-diffusion-xl-refiner-1.0"))
    })
    .await;
    let parsed =
        TaskArgs::parse_checked(TaskType::StableDiffusion, &value_of(&json_editor)).unwrap();
    let TaskArgs::Sd(sd) = parsed else {
        unreachable!()
    };
    assert_eq!(sd.lora.unwrap().model, "128713");
    assert_eq!(sd.vae, "madebyollin/sdxl-vae-fp16-fix");

    // Back to SD 1.5: the SDXL-only parts go, the ControlNet follows, the custom size stays.
    type_into(
        &control(&root, "field-base_model"),
        "runwayml/stable-diffusion-v1-5",
    );
    until("the SD 1.5 ControlNet", || {
        at("/controlnet/model") == Some(json!("lllyasviel/control_v11p_sd15_openpose"))
    })
    .await;
    assert_eq!(at("/refiner"), Some(Value::Null));
    assert_eq!(at("/vae"), Some(json!("")));
    assert_eq!(at("/task_config/image_width"), Some(json!(1152)));
    until("the SD 1.5 memory", || {
        value_of(&control(&root, "vram")) == "8"
    })
    .await;

    // A size diffusers refuses blocks the task with a reason at its field.
    type_into(&control(&root, "field-task_config-image_width"), "1150");
    until("the size problem", || {
        text_of(&root, "[data-testid=problems]").contains("must be a multiple of 8")
    })
    .await;
    assert_eq!(
        control(&root, "field-task_config-image_width")
            .get_attribute("aria-invalid")
            .as_deref(),
        Some("true")
    );
    // Its entry in the list of problems moves the focus to the field.
    element::<web_sys::HtmlElement>(
        &root,
        "[data-testid=problems] a[href='#field-task_config-image_width']",
    )
    .click();
    assert_eq!(
        document().active_element().map(|e| e.id()).as_deref(),
        Some("field-task_config-image_width")
    );

    // Seeds: a new random one, and the safety checker switched off.
    let seed = at("/task_config/seed");
    button(&root, "New seed").click();
    until("a new seed", || at("/task_config/seed") != seed).await;
    tick(&control(&root, "field-task_config-safety_checker"), false);
    until("no safety checker", || {
        at("/task_config/safety_checker") == Some(json!(false))
    })
    .await;

    // The memory limit can be typed.
    type_into(&control(&root, "vram"), "24");
    until("the typed memory", || {
        value_of(&control(&root, "vram")) == "24"
    })
    .await;
}

#[wasm_bindgen_test]
async fn the_chat_composer_and_settings_write_the_arguments() {
    let (root, _mounted) = mount_builder(TaskType::Gpt).await;
    let at = |pointer: &str| args_in(&root).pointer(pointer).cloned();
    until("the chat form", || {
        root.query_selector("[data-testid=system-prompt]")
            .unwrap()
            .is_some()
    })
    .await;

    // The composer's message and the system prompt are the messages sent.
    type_into(&control(&root, "message"), "Hello <b>");
    type_into(&element(&root, "[data-testid=system-prompt]"), "Be brief.");
    until("the system prompt first", || {
        at("/messages") == Some(json!([{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hello <b>"}]))
    })
    .await;
    // An empty message is not sent, and is no problem of the settings.
    type_into(&control(&root, "message"), "");
    until("no message", || {
        at("/messages") == Some(json!([{"role": "system", "content": "Be brief."}]))
    })
    .await;
    assert!(root
        .query_selector("[data-testid=problems]")
        .unwrap()
        .is_none());
    type_into(&control(&root, "message"), "Hi!");

    // Generation settings: typed, emptied back to the model default, chosen.
    // A model preset sets the GPU memory.
    type_into(&control(&root, "field-model"), "mistralai/Mistral-7B-v0.1");
    until("the 7B memory", || {
        value_of(&control(&root, "vram")) == "16"
    })
    .await;

    let temperature = control(&root, "field-generation_config-temperature");
    type_into(&temperature, "0.7");
    until("the temperature", || {
        at("/generation_config/temperature") == Some(json!(0.7))
    })
    .await;
    type_into(&temperature, "");
    until("the default temperature", || {
        at("/generation_config/temperature").is_none()
    })
    .await;
    choose(&control(&root, "field-quantize_bits"), "2");
    choose(&control(&root, "field-dtype"), "2");
    type_into(&control(&root, "field-seed"), "42");
    until("the choices", || {
        at("/quantize_bits") == Some(json!(4))
            && at("/dtype") == Some(json!("bfloat16"))
            && at("/seed") == Some(json!(42))
    })
    .await;
    type_into(
        &control(&root, "field-generation_config-num_return_sequences"),
        "3",
    );
    until("the greedy problem", || {
        text_of(&root, "[data-testid=problems]").contains("turn on sampling")
    })
    .await;
    choose(&control(&root, "field-generation_config-do_sample"), "1");
    until("sampling on", || {
        root.query_selector("[data-testid=problems]")
            .unwrap()
            .is_none()
    })
    .await;

    // Clearing the system prompt removes it.
    type_into(&element(&root, "[data-testid=system-prompt]"), "");
    until("no system prompt", || {
        at("/messages/0/role") == Some(json!("user"))
    })
    .await;
    let text = value_of(&element(&root, "[data-testid=json]"));
    let TaskArgs::Gpt(gpt) = TaskArgs::parse_checked(TaskType::Gpt, &text).unwrap() else {
        unreachable!()
    };
    assert_eq!(gpt.messages.len(), 1);
    assert_eq!(gpt.generation_config.unwrap().num_return_sequences, Some(3));
}

#[wasm_bindgen_test]
async fn several_replies_are_choices_and_the_chosen_one_is_sent_on() {
    let root = container();
    let (chat, _, _, _mounted) = mount_chat(&root).await;
    {
        let reply = Reply {
            choices: vec!["One <b>bold</b>".into(), "Two".into(), "Three".into()],
            chosen: 0,
            task: Some(ReplyTask {
                task_id: 7,
                usage: "gpt2 model · 3 prompt + 9 reply tokens = 12".into(),
                cut: vec![false, true, false],
                verified: Ok(()),
            }),
        };
        let said = vec![Said::You("Count".into()), Said::Model(reply)];
        chat.conversation.set((
            None,
            Conversation {
                said,
                ..Conversation::default()
            },
        ));
    }
    open_json_editor(&root).await;
    until("the choices", || {
        root.query_selector("[data-testid=choice]")
            .unwrap()
            .is_some()
    })
    .await;
    assert_eq!(text_of(&root, "[data-testid=choice]"), "1 of 3");
    let reply = || text_of(&root, "[data-testid=reply]");
    assert!(reply().contains("One <b>bold</b>"), "{}", reply());
    assert!(root.query_selector(".thread b").unwrap().is_none());
    assert!(reply().contains("✓ Verified"));
    assert!(!reply().contains("cut at the token limit"));
    let sent = |root: &web_sys::HtmlElement| args_in(root).pointer("/messages/1/content").cloned();
    assert_eq!(sent(&root), Some(json!("One <b>bold</b>")));

    element::<web_sys::HtmlElement>(&root, "[aria-label='Next reply']").click();
    until("the second reply", || {
        text_of(&root, "[data-testid=choice]") == "2 of 3" && sent(&root) == Some(json!("Two"))
    })
    .await;
    assert!(reply()
        .contains("Task 7 · gpt2 model · 3 prompt + 9 reply tokens = 12 · cut at the token limit"));
    element::<web_sys::HtmlElement>(&root, "[aria-label='Previous reply']").click();
    element::<web_sys::HtmlElement>(&root, "[aria-label='Previous reply']").click();
    until("the third reply, going round", || {
        text_of(&root, "[data-testid=choice]") == "3 of 3" && sent(&root) == Some(json!("Three"))
    })
    .await;
}
