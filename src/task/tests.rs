use crynux_protocol::abi::event_signatures::*;
use crynux_protocol::abi::{event_topic, Token};
use crynux_protocol::read::{assert_read_as_serde_reads, every_kind};
use crynux_protocol::U256;
use ethers_core::abi::encode;
use serde_json::json;

use super::*;

const TASK: &str = "0x9fe46736679d2d9a65f0992f2272de9f3c7fa6e0";
const USER: &str = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8";

fn profile() -> NetworkProfile {
    NetworkProfile::from_json(include_str!("../../public/networks/devnet.json")).unwrap()
}

fn log(signature: &str, topics: &[H256], data: &[Token], block: u64) -> Log {
    let mut all = vec![event_topic(signature)];
    all.extend_from_slice(topics);
    Log {
        address: TASK.parse().unwrap(),
        topics: all,
        data: encode(data).into(),
        block_number: Some(block.into()),
        ..Log::default()
    }
}

fn uint(n: u64) -> Token {
    Token::Uint(U256::from(n))
}

fn address_topic(address: Address) -> H256 {
    H256::from(address)
}

/// `TaskCreated` of round `round` of task `task_id`, for the arguments `args`.
fn created_for(args: &str, task_id: u64, node: Address, round: u64) -> Log {
    let creator = USER.parse().unwrap();
    log(
        TASK_CREATED,
        &[address_topic(creator), address_topic(node)],
        &[
            uint(task_id),
            uint(0),
            Token::FixedBytes(task_hash(args.as_bytes()).to_vec()),
            Token::FixedBytes(vec![0; 32]),
            uint(round),
        ],
        5,
    )
}

fn created(task_id: u64, node: Address, round: u64) -> Log {
    created_for("{}", task_id, node, round)
}

fn sd_run() -> TaskRun {
    TaskRun::new(
        USER.parse().unwrap(),
        TaskType::StableDiffusion,
        "{}".into(),
        8,
        1_000,
    )
}

#[test]
fn a_task_goes_send_mine_upload_follow_download() {
    let mut run = sd_run();
    assert_eq!(run.next_step(0), Step::Send);
    assert!(!run.is_paid());
    run.tx_hash = Some(H256::repeat_byte(1));
    assert_eq!(run.next_step(0), Step::Mine);
    assert!(run.is_paid());

    let nodes: Vec<Address> = (1..=3).map(Address::repeat_byte).collect();
    let mut logs: Vec<Log> = (0..3)
        .map(|round| created(42, nodes[round as usize], round))
        .collect();
    // Logs of the token (Approval, Transfer) come first in a real receipt.
    logs.insert(
        0,
        Log {
            address: Address::repeat_byte(9),
            ..created(99, nodes[0], 0)
        },
    );
    // And a task of other arguments, in the same block.
    logs.push(created_for("{\"other\": 1}", 43, nodes[0], 0));
    run.record_creation(&logs, TASK.parse().unwrap());
    assert_eq!(
        run.created,
        Some(Created {
            task_id: 42,
            block: 5,
            nodes: nodes.clone()
        })
    );
    assert_eq!(run.cursor, 5);
    assert_eq!(run.next_step(0), Step::Upload);
    assert_eq!(run.state_words(), "Paid, its arguments not sent yet");
    run.uploaded = true;
    assert_eq!(run.next_step(0), Step::Follow);
    assert_eq!(run.state_words(), "Waiting for the nodes");
    assert!(run.is_running());

    // Events of other tasks change nothing.
    run.record_event(&log(TASK_RESULT_COMMITMENTS_READY, &[], &[uint(41)], 7));
    assert_eq!(run.commitments_block, None);
    run.record_event(&log(TASK_RESULT_COMMITMENTS_READY, &[], &[uint(42)], 8));
    assert_eq!(run.commitments_block, Some(8));
    let proof = vec![0xab; 24];
    run.record_event(&log(
        TASK_SUCCESS,
        &[address_topic(nodes[1])],
        &[uint(42), Token::Bytes(proof.clone())],
        9,
    ));
    assert_eq!(
        run.outcome,
        Some(Outcome::Success {
            block: 9,
            result: proof
        })
    );
    assert_eq!(run.result_count(), 3);
    assert_eq!(run.next_step(0), Step::Download);
    assert_eq!(run.next_step(2), Step::Download);
    assert_eq!(run.next_step(3), Step::Done);
    // An ended task no longer holds back the next one, downloaded or not.
    assert!(!run.is_running());
    // A second success changes nothing.
    run.record_event(&log(
        TASK_SUCCESS,
        &[address_topic(nodes[0])],
        &[uint(42), Token::Bytes(vec![1; 8])],
        10,
    ));
    assert!(matches!(
        run.outcome,
        Some(Outcome::Success { block: 9, .. })
    ));

    let timeline = run.timeline(run.result_count() as usize);
    assert!(timeline.iter().all(|stage| stage.done));
    let blocks: Vec<_> = timeline.iter().map(|s| s.block).collect();
    assert_eq!(blocks, [Some(5), None, Some(8), Some(9), None]);
    // Until every result is in this browser, the download is the step to come.
    let waiting = run.timeline(run.result_count() as usize - 1);
    assert_eq!(
        waiting.last().map(|s| (s.label, s.done)),
        Some(("Results downloaded", false))
    );
}

#[test]
fn the_run_survives_a_round_trip_through_storage() {
    let mut run = sd_run();
    run.tx_hash = Some(H256::repeat_byte(3));
    run.outcome = Some(Outcome::Aborted {
        block: 3,
        reason: "Task Cancelled".into(),
    });
    let text = serde_json::to_string(&run).unwrap();
    assert_eq!(TaskRun::read(&text).unwrap(), run);
    assert_eq!(run.next_step(0), Step::Done);
    let key = run.storage_key(&profile());
    assert!(
        key.starts_with("crynux/31337/0x9fe4") && key.ends_with("/tasks/1000"),
        "{key}"
    );
    assert!(key.starts_with(&TaskRun::storage_prefix(&profile(), run.creator)));
    let current = TaskRun::current_key(&profile(), run.creator);
    assert!(current.ends_with("/current-task") && !current.contains("/tasks/"));
}

/// Every field of a task filled in, in each of the ways it can be.
fn runs_with_every_field() -> Vec<TaskRun> {
    let mut full = sd_run();
    full.args = r#"{"prompt": "<b>a cat</b>"}"#.into();
    full.asked_at_block = Some(7);
    full.tx_hash = Some(H256::repeat_byte(0xab));
    full.created = Some(Created {
        task_id: u64::MAX,
        block: 9,
        nodes: vec![Address::repeat_byte(1), Address::repeat_byte(2)],
    });
    full.uploaded = true;
    full.cursor = 11;
    full.commitments_block = Some(12);
    full.deadline = Some(1_900_000_000);
    full.refund = Some(Refund {
        before: U256::MAX,
        after: U256::zero(),
    });
    full.results_seen = true;
    let outcomes = [
        Outcome::Reverted {
            block: 1,
            reason: "Task fee is too low".into(),
        },
        Outcome::Success {
            block: 2,
            result: vec![0, 255, 7],
        },
        Outcome::Aborted {
            block: 3,
            reason: String::new(),
        },
    ];
    let previews = [
        Preview::Thumbnail("data:image/jpeg;base64,AA==".into()),
        Preview::Words("hi".into()),
    ];
    let mut runs = vec![sd_run(), full.clone()];
    for (outcome, preview) in outcomes.into_iter().zip(previews.into_iter().cycle()) {
        runs.push(TaskRun {
            task_type: TaskType::Gpt,
            outcome: Some(outcome),
            preview: Some(preview),
            ..full.clone()
        });
    }
    runs
}

#[test]
fn a_stored_task_is_read_by_hand_as_serde_s_derived_reader_reads_it() {
    let mut others = every_kind();
    others.extend([
        json!({"Words": "w", "Thumbnail": "t"}),
        json!({"Elsewhere": {"block": 1}}),
    ]);
    let (read, documents) = assert_read_as_serde_reads(&runs_with_every_field(), &others);
    // Not only refusals: the edits a task can take (an optional field absent or null, a
    // number that still fits) are read.
    assert!(read >= 100, "only {read} of {documents} read");
}

#[test]
fn tasks_found_on_chain_group_their_three_rounds() {
    let nodes: Vec<Address> = (1..=3).map(Address::repeat_byte).collect();
    let logs = [
        created(7, nodes[0], 0),
        created_for("{\"b\": 2}", 8, nodes[2], 0),
        created(7, nodes[1], 1),
        created(7, nodes[2], 2),
    ];
    let found = found_tasks(&logs);
    assert_eq!(found.len(), 2);
    assert_eq!(found[0].created.task_id, 7);
    assert_eq!(found[0].created.nodes, nodes);
    assert_eq!(found[0].task_hash.0, task_hash(b"{}"));
    assert_eq!(found[1].created.nodes, [nodes[2]]);

    // A task known only from the chain: its arguments are on the relay; it is followed.
    let run = TaskRun::from_chain(USER.parse().unwrap(), found[0].clone(), 5_000);
    assert!(!run.args_known() && run.summary().is_none());
    assert!(run.is_paid());
    assert_eq!(run.next_step(0), Step::Follow);
    assert_eq!(run.state_words(), "Waiting for the nodes");
}

#[test]
fn a_task_found_after_a_lost_wallet_answer_goes_on_without_a_second_payment() {
    let mut run = sd_run();
    run.asked_at_block = Some(4);
    // No transaction hash: the answer was lost to a reload, but the task is on chain.
    run.record_creation(
        &[created(9, Address::repeat_byte(1), 0)],
        TASK.parse().unwrap(),
    );
    assert_eq!(run.task_id(), Some(9));
    assert_eq!(run.next_step(0), Step::Upload);
    assert!(run.is_paid() && run.is_running());
}

#[test]
fn cancel_is_offered_after_the_deadline_until_results_are_in() {
    let mut run = sd_run();
    run.record_creation(
        &[created(9, Address::repeat_byte(1), 0)],
        TASK.parse().unwrap(),
    );
    run.deadline = Some(2_000);
    assert!(!run.may_cancel(2_000, 0));
    assert!(run.may_cancel(2_001, 0));
    // Success without the files (the result node never uploaded them): still offered.
    let success = log(
        TASK_SUCCESS,
        &[address_topic(Address::repeat_byte(1))],
        &[uint(9), Token::Bytes(vec![0; 16])],
        9,
    );
    run.record_event(&success);
    assert!(run.may_cancel(2_001, 1));
    assert!(!run.may_cancel(2_001, 2));
    // The cancellation replaces the success; nothing comes after it.
    let cancelled = |block| {
        log(
            TASK_ABORTED,
            &[],
            &[uint(9), Token::String(CANCELLED.into())],
            block,
        )
    };
    run.record_event(&cancelled(10));
    assert!(
        matches!(&run.outcome, Some(Outcome::Aborted { block: 10, reason }) if reason == CANCELLED)
    );
    run.record_event(&success);
    run.record_event(&cancelled(11));
    assert!(matches!(
        run.outcome,
        Some(Outcome::Aborted { block: 10, .. })
    ));
    assert!(!run.may_cancel(2_001, 0));
    assert_eq!(run.state_words(), "Cancelled: refunded");
}

#[test]
fn the_history_line_says_what_was_asked() {
    let sd = TaskRun::new(
        Address::zero(),
        TaskType::StableDiffusion,
        r#"{"prompt": "a <b>cat</b>"}"#.into(),
        8,
        1,
    );
    assert_eq!(sd.summary().as_deref(), Some("a <b>cat</b>"));
    let chat = r#"{"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Why is the sky blue?"}]}"#;
    let gpt = TaskRun::new(Address::zero(), TaskType::Gpt, chat.into(), 8, 1);
    assert_eq!(gpt.summary().as_deref(), Some("Why is the sky blue?"));
    let long = TaskRun::new(
        Address::zero(),
        TaskType::StableDiffusion,
        format!(r#"{{"prompt": "{}"}}"#, "x".repeat(500)),
        8,
        1,
    );
    assert_eq!(long.summary().map(|s| s.len()), Some(80));
}

#[test]
fn a_reverted_creation_is_done_and_unpaid() {
    let mut run = sd_run();
    run.tx_hash = Some(H256::repeat_byte(1));
    run.outcome = Some(Outcome::Reverted {
        block: 4,
        reason: "No available nodes".into(),
    });
    assert_eq!(run.next_step(0), Step::Done);
    assert!(!run.is_paid());
    assert_eq!(run.result_count(), 0);
}

#[test]
fn refusals_and_aborts_are_explained_with_what_to_do() {
    let profile = profile();
    let words = |reason: &str| explain_create_refusal(&Revert::Error(reason.into()), &profile, 24);
    assert!(words("Not enough tokens for task").contains("does not hold the 30 CNX"));
    assert!(words("Not enough allowance for task").contains("Approve at least 30 CNX"));
    assert!(words("No available nodes of such vram").contains("at least 24 GB"));
    assert!(words("Something else").contains("Something else"));
    assert!(explain_abort("Task result illegal").contains("refunded"));
    assert!(explain_abort("Task Cancelled").contains("refunded"));
    assert!(explain_abort("Task error reported").contains("paid the nodes"));
    assert!(explain_abort("<b>new</b>").contains("<b>new</b>"));
}

#[test]
fn log_scans_are_paged_without_gaps_or_overlaps() {
    use super::history::pages;
    let all: Vec<_> = pages(7, 7 + 2 * LOG_RANGE).collect();
    assert_eq!(
        all,
        [
            (7, 6 + LOG_RANGE),
            (7 + LOG_RANGE, 6 + 2 * LOG_RANGE),
            (7 + 2 * LOG_RANGE, 7 + 2 * LOG_RANGE)
        ]
    );
    assert_eq!(pages(5, 5).collect::<Vec<_>>(), [(5, 5)]);
    assert_eq!(pages(6, 5).count(), 0);
}
