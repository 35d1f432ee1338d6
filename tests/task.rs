//! The task builder and the task view in headless Chromium: live validation at JSON
//! pointers with the submit button disabled, the form and the JSON editor showing the same
//! arguments, and results with HTML in them shown as text.
#![cfg(target_arch = "wasm32")]

use crynux_dapp::chain::ChainReader;
use crynux_dapp::components::{TaskPanel, TaskView};
use crynux_dapp::relay::RelayClient;
use crynux_dapp::task::flow::{Flow, ResultFile, TaskError};
use crynux_dapp::task::{Created, Outcome, TaskRun};
use crynux_dapp::wallet::use_wallet;
use crynux_protocol::args::TaskType;
use crynux_protocol::profile::NetworkProfile;
use crynux_protocol::results::GptResponse;
use crynux_protocol::signing::SignScheme;
use crynux_protocol::Address;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

mod common;

use common::{container, devnet_profile, until};

wasm_bindgen_test_configure!(run_in_browser);

/// A GPT task of the devnet profile's user 1, created as task 7 at block 11.
fn created_run() -> TaskRun {
    let creator: Address = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8"
        .parse()
        .unwrap();
    let mut run = TaskRun::new(
        creator,
        TaskType::Gpt,
        r#"{"model":"gpt2","messages":[{"role":"user","content":"<i>hi</i>"}]}"#.into(),
        8,
    );
    run.tx_hash = Some(Default::default());
    run.created = Some(Created {
        task_id: 7,
        block: 11,
        nodes: vec![
            Address::repeat_byte(1),
            Address::repeat_byte(2),
            Address::repeat_byte(3),
        ],
    });
    run
}

fn flow_for(profile: NetworkProfile, run: TaskRun, files: Vec<ResultFile>) -> Flow {
    Flow {
        chain: ChainReader::new(&profile.rpc_url),
        relay: RelayClient::new(&profile.relay_url),
        wallet: use_wallet(&profile),
        profile,
        run: RwSignal::new(Some(run)),
        activity: RwSignal::new(None),
        files: RwSignal::new(files),
    }
}

fn mount_view(run: TaskRun, files: Vec<ResultFile>) -> (web_sys::HtmlElement, impl Drop) {
    let root = container();
    let handle = leptos::mount::mount_to(root.clone(), move || {
        let flow = flow_for(devnet_profile(), run, files);
        let advance = Action::new_local(|_: &()| async { Ok(()) });
        view! { <TaskView flow advance /> }
    });
    (root, handle)
}

fn mount_builder() -> (web_sys::HtmlElement, impl Drop) {
    let root = container();
    let handle = leptos::mount::mount_to(root.clone(), || {
        let profile = devnet_profile();
        let wallet = use_wallet(&profile);
        let info = LocalResource::new(|| async { None });
        let refresh = RwSignal::new(0);
        view! { <TaskPanel profile wallet info refresh /> }
    });
    (root, handle)
}

fn element<T: JsCast>(root: &web_sys::HtmlElement, selector: &str) -> T {
    root.query_selector(selector)
        .unwrap()
        .unwrap_or_else(|| panic!("no {selector}"))
        .unchecked_into()
}

/// Types `value` into a text field as a person would (value, then an input event).
fn type_into(field: &web_sys::HtmlElement, value: &str) {
    js_sys::Reflect::set(field, &"value".into(), &value.into()).unwrap();
    let event = web_sys::Event::new_with_event_init_dict("input", &{
        let init = web_sys::EventInit::new();
        init.set_bubbles(true);
        init
    })
    .unwrap();
    field.dispatch_event(&event).unwrap();
}

fn value_of(field: &web_sys::HtmlElement) -> String {
    js_sys::Reflect::get(field, &"value".into())
        .unwrap()
        .as_string()
        .unwrap()
}

#[wasm_bindgen_test]
async fn the_form_and_the_json_editor_edit_the_same_validated_arguments() {
    let (root, _mounted) = mount_builder();
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
        .contains("Connect your wallet first."));

    // The form writes into the JSON; an emptied prompt is a problem once typed.
    type_into(&prompt, "");
    type_into(&prompt, "a <b>cat</b>");
    until("the prompt reaches the JSON", || {
        value_of(&json).contains(r#""prompt":"a <b>cat</b>""#)
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
    assert!(value_of(&json).contains(r#""num_images":20"#));
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
async fn a_finished_chat_task_shows_its_stages_and_html_as_text() {
    let reply = r#"{"model":"gpt2","choices":[{"finish_reason":"length","message":{"role":"assistant","content":"<script>window.owned=1</script><b>bold?</b>"},"index":0}],"usage":{"prompt_tokens":3,"completion_tokens":5,"total_tokens":8}}"#;
    let mut run = created_run();
    run.uploaded = true;
    run.commitments_block = Some(14);
    run.outcome = Some(Outcome::Success {
        block: 15,
        result: vec![0; 32],
    });
    let files = vec![ResultFile::Reply(
        GptResponse::parse(reply.as_bytes()).unwrap(),
    )];
    let (root, _mounted) = mount_view(run, files);
    let text = root.text_content().unwrap();
    assert!(text.contains("Task 7"), "{text}");
    for stage in [
        "Paid and created on chain · block 11",
        "Nodes committed their results · block 14",
        "Succeeded · block 15",
    ] {
        assert!(text.contains(stage), "{stage} in {text}");
    }
    assert!(text.contains("<script>window.owned=1</script><b>bold?</b>"));
    assert!(text.contains("<i>hi</i>"));
    assert!(
        text.contains("Selected nodes: 0x0101…0101, 0x0202…0202, 0x0303…0303"),
        "{text}"
    );
    assert!(text.contains("3 prompt + 5 reply tokens = 8 · cut at the token limit"));
    assert!(root.query_selector("script, b, i").unwrap().is_none());
    // Nothing left to do: no button to go on.
    assert!(root
        .query_selector("[data-testid=go-on]")
        .unwrap()
        .is_none());
}

#[wasm_bindgen_test]
fn aborted_and_refused_tasks_say_what_happened_to_the_fee() {
    let mut run = created_run();
    run.uploaded = true;
    run.outcome = Some(Outcome::Aborted {
        block: 20,
        reason: "Task result illegal".into(),
    });
    let (root, _mounted) = mount_view(run, vec![]);
    let text = root.text_content().unwrap();
    assert!(text.contains("Aborted · block 20"), "{text}");
    assert!(text.contains("three different results"), "{text}");
    assert!(
        text.contains("The fee was refunded to your account."),
        "{text}"
    );

    let mut run = created_run();
    run.created = None;
    run.outcome = Some(Outcome::Reverted {
        block: 9,
        reason: "No GPU node with at least 8 GB is free right now.".into(),
    });
    let (root, _mounted) = mount_view(run, vec![]);
    let text = root.text_content().unwrap();
    assert!(text.contains("Refused by the contract · block 9"), "{text}");
    assert!(
        text.contains("No task was created and no fee was taken."),
        "{text}"
    );
}

#[wasm_bindgen_test]
async fn a_relay_that_only_accepts_raw_signatures_is_explained_before_any_popup() {
    let mut profile = devnet_profile();
    profile.relay_signature_schemes = vec![SignScheme::Raw];
    let owner = Owner::new();
    let flow = owner.with(|| flow_for(profile, created_run(), vec![]));
    let error = flow.advance().await.unwrap_err();
    assert_eq!(error, TaskError::RawSignaturesOnly);
    assert!(error.to_string().contains("cannot make"));
}
