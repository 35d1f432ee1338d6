//! Chain answers: any log of the Task contract (topics and data), and any revert data, bare
//! or inside a JSON-RPC error. Decoding reports an error or a value, never panics, and a
//! decoded event's id is the one in its data.
#![no_main]

use crynux_protocol::abi::{event_signatures, event_topic, Revert, TaskEvent};
use crynux_protocol::{Log, H256};
use libfuzzer_sys::fuzz_target;

const EVENTS: [&str; 4] = [
    event_signatures::TASK_CREATED,
    event_signatures::TASK_RESULT_COMMITMENTS_READY,
    event_signatures::TASK_SUCCESS,
    event_signatures::TASK_ABORTED,
];

fuzz_target!(|data: &[u8]| {
    let Some((&shape, rest)) = data.split_first() else {
        return;
    };
    // Low bits: which event's topic0; next bits: how many more topics come from the input.
    let extra_topics = usize::from(shape >> 2 & 3).min(rest.len() / 32);
    let (topic_bytes, body) = rest.split_at(extra_topics * 32);
    let mut log = Log::default();
    log.topics.push(event_topic(EVENTS[usize::from(shape & 3)]));
    log.topics
        .extend(topic_bytes.chunks(32).map(H256::from_slice));
    log.data = body.to_vec().into();
    if let Some(Ok(event)) = TaskEvent::decode(&log) {
        let word: [u8; 32] = body[..32].try_into().expect("an event has a first word");
        assert!(word[..24].iter().all(|&b| b == 0));
        assert_eq!(
            event.task_id(),
            u64::from_be_bytes(word[24..].try_into().unwrap())
        );
    }

    let revert = Revert::decode(body);
    let _ = revert.to_string();
    let text = String::from_utf8_lossy(body);
    let _ = Revert::from_hex(&text);
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(&text) {
        let _ = Revert::from_rpc_error("execution reverted", Some(&value));
    }
});
