//! Chain answers: any log of the Task contract (topics and data), and any revert data, bare
//! or inside a JSON-RPC error. Decoding reports an error or a value, never panics, a decoded
//! event's id is the one in its data, and the hand-written decoders of a `uint256` and of
//! `Error(string)` read what `ethabi` reads.
#![no_main]

use crynux_protocol::abi::{
    decode_uint256, event_signatures, event_topic, selector, Revert, TaskEvent,
};
use crynux_protocol::{Log, H256};
use ethers_core::abi::{self, ParamType};
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

    assert_eq!(
        decode_uint256(body).ok(),
        abi::decode(&[ParamType::Uint(256)], body)
            .ok()
            .and_then(|t| t.into_iter().next()?.into_uint())
    );
    let reason = abi::decode(&[ParamType::String], body)
        .ok()
        .and_then(|t| t.into_iter().next()?.into_string());
    let error = [&selector("Error(string)")[..], body].concat();
    match Revert::decode(&error) {
        Revert::Error(decoded) => assert_eq!(Some(decoded), reason),
        _ => assert_eq!(reason, None),
    }

    let revert = Revert::decode(body);
    let _ = revert.to_string();
    let text = String::from_utf8_lossy(body);
    let _ = Revert::from_hex(&text);
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(&text) {
        let _ = Revert::from_rpc_error("execution reverted", Some(&value));
    }
});
