//! The task view in headless Chromium: stages with blocks, results with HTML in them shown
//! as text, a chat task joining the Chat view's thread, and what happened to the fee.
#![cfg(target_arch = "wasm32")]

use crynux_dapp::browser::grey_levels;
use crynux_dapp::components::TaskView;
use crynux_dapp::error::TaskError;
use crynux_dapp::payer::use_payer;
use crynux_dapp::task::flow::{Flow, ResultContent, ResultFile};
use crynux_dapp::task::{Created, Outcome, Refund, TaskRun};
use crynux_protocol::abi::abort_reasons::CANCELLED;
use crynux_protocol::args::TaskType;
use crynux_protocol::phash::{encode_png, phash_grey, phash_png};
use crynux_protocol::profile::NetworkProfile;
use crynux_protocol::results::GptResponse;
use crynux_protocol::signing::SignScheme;
use crynux_protocol::Address;
use leptos::prelude::*;
use wasm_bindgen_test::*;

mod common;

use common::{container, devnet_profile, element, mount_chat, text_of, until};

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

/// Ends `run` as cancelled in `block`, the account's CNX going from `before` to `after`.
fn cancel(run: &mut TaskRun, block: u64, before: u64, after: u64) {
    let cnx = |n: u64| crynux_protocol::U256::from(n) * crynux_protocol::U256::exp10(18);
    run.outcome = Some(Outcome::Aborted {
        block,
        reason: CANCELLED.into(),
    });
    run.refund = Some(Refund {
        before: cnx(before),
        after: cnx(after),
    });
}

fn flow_for(profile: NetworkProfile, run: TaskRun, files: Vec<ResultFile>) -> Flow {
    let flow = Flow::new(&profile, use_payer(&profile), Some(run), RwSignal::new(0));
    flow.files.set(files);
    flow
}

/// Mounts the view of `run`.
fn mount_view(run: TaskRun, files: Vec<ResultFile>) -> (web_sys::HtmlElement, impl Drop) {
    let root = container();
    let handle = leptos::mount::mount_to(root.clone(), move || {
        let flow = flow_for(devnet_profile(), run, files);
        let advance = Action::new_local(|_: &()| async { Ok(()) });
        view! { <TaskView flow advance /> }
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
    let (root, _mounted) = mount_view(run, files);
    let text = root.text_content().unwrap();
    assert!(text.contains("Task 7"), "{text}");
    for stage in [
        "Paid and created on chain: block 11",
        "Nodes committed their results: block 14",
        "Succeeded: block 15",
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
    assert!(text.contains("Aborted: block 20"), "{text}");
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
    assert!(text.contains("Refused by the contract: block 9"), "{text}");
    assert!(
        text.contains("No task was created and no fee was taken."),
        "{text}"
    );
}

#[wasm_bindgen_test]
async fn a_relay_without_sign_in_that_only_accepts_raw_signatures_is_explained_before_any_popup() {
    let mut profile = devnet_profile();
    profile.relay_signature_schemes = vec![SignScheme::Raw];
    profile.relay_sign_in = false;
    let owner = Owner::new();
    let flow = owner.with(|| flow_for(profile, created_run(), vec![]));
    let error = flow.advance().await.unwrap_err();
    assert_eq!(error, TaskError::RawSignaturesOnly);
    assert!(error.to_string().contains("cannot make"));
    assert!(error.to_string().contains("Create a session wallet"));
}

#[wasm_bindgen_test]
fn results_say_whether_they_match_the_chain_and_a_cancel_shows_its_refund() {
    let mut run = created_run();
    run.task_type = TaskType::StableDiffusion;
    run.uploaded = true;
    run.outcome = Some(Outcome::Success {
        block: 15,
        result: vec![0; 16],
    });
    let image = |index, verified| ResultFile {
        index,
        content: ResultContent::Image(format!("data:image/png;base64,{index}")),
        verified,
    };
    let files = vec![
        image(0, Ok(())),
        image(
            1,
            Err("its perceptual hash is 9 bits away from the one on chain".into()),
        ),
    ];
    let (root, _mounted) = mount_view(run, files);
    let text = root.text_content().unwrap();
    assert!(text.contains("✓ Verified against the chain"), "{text}");
    assert!(
        text.contains("⚠ Not the result the chain agreed on: its perceptual hash is 9 bits away"),
        "{text}"
    );
    assert_eq!(
        root.query_selector_all("[data-testid=verified]")
            .unwrap()
            .length(),
        1
    );

    // Known only from the chain, cancelled after its deadline, with the refund read.
    let mut run = created_run();
    run.args = String::new();
    run.uploaded = true;
    run.deadline = Some(1);
    cancel(&mut run, 30, 970, 980);
    let (root, _mounted) = mount_view(run, vec![]);
    let text = root.text_content().unwrap();
    assert!(
        text.contains("Refunded 10 CNX: your balance went from 970 CNX to 980 CNX."),
        "{text}"
    );
    assert!(
        text.contains("its arguments are only on the relay"),
        "{text}"
    );
    // Ended: nothing to cancel any more.
    assert!(root
        .query_selector("[data-testid=cancel]")
        .unwrap()
        .is_none());
}

#[wasm_bindgen_test]
fn a_paid_task_past_its_deadline_offers_cancel_and_refund() {
    let mut run = created_run();
    run.uploaded = true;
    run.deadline = Some(1);
    let (root, _mounted) = mount_view(run.clone(), vec![]);
    let cancel = root.query_selector("[data-testid=cancel]").unwrap();
    assert_eq!(cancel.unwrap().text_content().unwrap(), "Cancel and refund");
    // Before the deadline: not offered.
    run.deadline = Some(u64::MAX);
    let (root, _mounted) = mount_view(run, vec![]);
    assert!(root
        .query_selector("[data-testid=cancel]")
        .unwrap()
        .is_none());
}

/// A 300×200 RGB PNG: a colour gradient with a bright disc, as a node might draw.
fn rgb_png() -> Vec<u8> {
    let (w, h) = (300u32, 200u32);
    let pixels: Vec<u8> = (0..h)
        .flat_map(|y| {
            (0..w).flat_map(move |x| {
                let (dx, dy) = (x as i32 - 200, y as i32 - 80);
                if dx * dx + dy * dy < 50 * 50 {
                    [250, 240, 90]
                } else {
                    [
                        (x * 255 / w) as u8,
                        (y * 255 / h) as u8,
                        ((x + y) % 256) as u8,
                    ]
                }
            })
        })
        .collect();
    encode_png(w, h, &pixels)
}

#[wasm_bindgen_test]
async fn the_browser_reads_a_result_image_as_the_nodes_hash_it() {
    let png = rgb_png();
    let (grey, width, height) = grey_levels(&png).await.expect("decoded");
    assert_eq!((width, height), (300, 200));
    // The same grey levels, hence the same pHash, as the nodes' and the relay's decoder.
    assert_eq!(phash_grey(&grey, width, height), phash_png(&png).unwrap());
    assert!(grey_levels(b"not a png").await.is_none());
}

/// A GPT reply file of `words`.
fn reply_file(words: &str) -> ResultFile {
    let reply = serde_json::json!({"model": "gpt2", "choices": [{"finish_reason": "stop",
        "message": {"role": "assistant", "content": words}, "index": 0}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3}});
    ResultFile {
        index: 0,
        content: ResultContent::Reply(GptResponse::parse(reply.to_string().as_bytes()).unwrap()),
        verified: Ok(()),
    }
}

#[wasm_bindgen_test]
async fn a_chat_task_joins_the_thread_once_paid_and_its_end_is_said_there() {
    let root = container();
    let (chat, studio, payer, _mounted) = mount_chat(&root).await;
    let mut run = created_run();
    // The session wallet of the task's creator pays; the account's (empty) chat is loaded.
    payer.session.unlocked.set(Some(run.creator));
    until("the account's chat", || {
        chat.conversation
            .with_untracked(|(account, _)| *account == Some(run.creator))
    })
    .await;
    chat.set_draft("<i>hi</i>".into());

    // Paid: the message moves from the composer into the thread, and the reply's place
    // shows the task's stages.
    studio.run.set(Some(run.clone()));
    until("the message and the placeholder", || {
        text_of(&root, ".thread .bubble.user .words") == "<i>hi</i>"
            && root
                .query_selector("[data-testid=pending] [data-testid=timeline]")
                .unwrap()
                .is_some()
    })
    .await;
    let composer: web_sys::HtmlTextAreaElement = element(&root, "#message");
    assert_eq!(composer.value(), "");
    assert!(root.query_selector(".thread i").unwrap().is_none());

    // It is cancelled after its deadline: the thread says so, and where the fee went.
    cancel(&mut run, 20, 940, 970);
    studio.run.set(Some(run.clone()));
    until("the end in the thread", || {
        root.query_selector("[data-testid=pending]")
            .unwrap()
            .is_none()
            && text_of(&root, "[data-testid=no-reply]").contains(
                "No reply: The task was cancelled after its deadline. The part of the fee no \
                 node had earned yet was refunded to your account. Refunded 30 CNX: your \
                 balance went from 940 CNX to 970 CNX.",
            )
    })
    .await;
    assert!(text_of(&root, "[data-testid=no-reply]").contains("Try again"));

    // Sent again and answered: the reply joins the thread with its check and its task.
    run.started_ms = 2_000;
    run.outcome = Some(Outcome::Success {
        block: 30,
        result: vec![0; 32],
    });
    studio
        .flow
        .with_value(|flow| flow.files.set(vec![reply_file("<b>Hello</b>")]));
    studio.run.set(Some(run));
    until("the reply", || {
        text_of(&root, "[data-testid=reply] .words") == "<b>Hello</b>"
    })
    .await;
    let reply = text_of(&root, "[data-testid=reply]");
    assert!(
        reply.contains("✓ Verified")
            && reply.contains("Task 7 · gpt2 model · 1 prompt + 2 reply tokens = 3"),
        "{reply}"
    );
    assert_eq!(chat.conversation.with_untracked(|(_, c)| c.said.len()), 2);
    assert!(root
        .query_selector(".thread b, [data-testid=no-reply]")
        .unwrap()
        .is_none());
}
