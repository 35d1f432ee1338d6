//! The task view in headless Chromium: stages with blocks, results with HTML in them shown
//! as text, a chat taken on, and what happened to the fee.
#![cfg(target_arch = "wasm32")]

use crynux_dapp::components::TaskView;
use crynux_dapp::task::flow::{Flow, ResultContent, ResultFile, TaskError};
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

use common::{container, devnet_profile};

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
        1_000,
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
    let flow = Flow::new(&profile, use_wallet(&profile), Some(run), RwSignal::new(0));
    flow.files.set(files);
    flow
}

/// Mounts the view of `run`; a finished chat's "continue" hands its reply to `continued`.
fn mount_view(
    run: TaskRun,
    files: Vec<ResultFile>,
    continued: RwSignal<Option<String>>,
) -> (web_sys::HtmlElement, impl Drop) {
    let root = container();
    let handle = leptos::mount::mount_to(root.clone(), move || {
        let flow = flow_for(devnet_profile(), run, files);
        let advance = Action::new_local(|_: &()| async { Ok(()) });
        let continue_chat = Callback::new(move |reply| continued.set(Some(reply)));
        view! { <TaskView flow advance continue_chat /> }
    });
    (root, handle)
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
    let files = vec![ResultFile {
        index: 0,
        content: ResultContent::Reply(GptResponse::parse(reply.as_bytes()).unwrap()),
        verified: Ok(()),
    }];
    let continued = RwSignal::new(None);
    let (root, _mounted) = mount_view(run, files, continued);
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
    // Nothing left to do: no button to go on, but the chat can be taken on with its reply.
    assert!(root
        .query_selector("[data-testid=go-on]")
        .unwrap()
        .is_none());
    root.query_selector("[data-testid=continue-chat]")
        .unwrap()
        .expect("a continue button")
        .unchecked_into::<web_sys::HtmlElement>()
        .click();
    assert_eq!(
        continued.get_untracked().as_deref(),
        Some("<script>window.owned=1</script><b>bold?</b>")
    );
}

#[wasm_bindgen_test]
fn aborted_and_refused_tasks_say_what_happened_to_the_fee() {
    let mut run = created_run();
    run.uploaded = true;
    run.outcome = Some(Outcome::Aborted {
        block: 20,
        reason: "Task result illegal".into(),
    });
    let (root, _mounted) = mount_view(run, vec![], RwSignal::new(None));
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
    let (root, _mounted) = mount_view(run, vec![], RwSignal::new(None));
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
