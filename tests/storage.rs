//! The browser's storage when it is full: a paid task is still saved, by forgetting the
//! arguments of tasks that ended (the history then finds them on the relay).

use crynux_dapp::browser::save;
use crynux_dapp::task::history::{make_room, stored_runs};
use crynux_dapp::task::{Outcome, TaskRun};
use crynux_protocol::abi::abort_reasons::CANCELLED;
use crynux_protocol::args::TaskType;
use crynux_protocol::Address;
use wasm_bindgen_test::*;

mod common;

use common::devnet_profile;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn a_full_storage_makes_room_by_forgetting_the_arguments_of_ended_tasks() {
    let profile = devnet_profile();
    let creator = Address::repeat_byte(0x42);
    let storage = web_sys::window().unwrap().local_storage().unwrap().unwrap();
    storage.clear().unwrap();
    let run =
        |started, args: String| TaskRun::new(creator, TaskType::StableDiffusion, args, 8, started);
    let store = |run: &TaskRun| {
        save(
            &run.storage_key(&profile),
            &serde_json::to_string(run).unwrap(),
        )
    };
    // Two tasks that ended, with 1 M characters of arguments each, and one still running.
    for started in [1, 2] {
        let mut ended = run(
            started,
            format!(r#"{{"prompt": "{}"}}"#, "x".repeat(1 << 20)),
        );
        ended.outcome = Some(Outcome::Aborted {
            block: 1,
            reason: CANCELLED.into(),
        });
        assert!(store(&ended));
    }
    assert!(store(&run(3, "w".repeat(1 << 20))));
    // The rest of the storage taken.
    let filler = "y".repeat(256 << 10);
    let mut n = 0;
    while save(&format!("filler/{n}"), &filler) {
        n += 1;
    }
    let current = run(4, "z".repeat(600 << 10));
    assert!(!store(&current), "the storage is full");

    assert!(make_room(&profile, creator, current.started_ms));
    assert!(store(&current));
    let mut runs = stored_runs(&profile, creator);
    runs.sort_by_key(|run| run.started_ms);
    let known: Vec<bool> = runs.iter().map(TaskRun::args_known).collect();
    assert_eq!(
        known,
        [false, false, true, true],
        "ended tasks forget their arguments"
    );
    // Nothing left to forget.
    assert!(!make_room(&profile, creator, current.started_ms));
    storage.clear().unwrap();
}
