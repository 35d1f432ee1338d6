//! Chain answers: any log of the Task contract (topics and data), and any revert data, bare
//! or inside a JSON-RPC error. Decoding reports an error or a value, never panics, a decoded
//! event's id is the one in its data, and the hand-written decoders of the events, of a
//! `uint256` and of `Error(string)` read what `ethabi` reads.
#![no_main]

use crynux_protocol::abi::{
    decode_uint256, event_signatures, event_topic, selector, Revert, TaskEvent,
};
use crynux_protocol::{Address, Log, H256, U256};
use ethers_core::abi::{self, ParamType, Token};
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
    let decoded = TaskEvent::decode(&log).and_then(Result::ok);
    assert_eq!(decoded, decoded_by_ethabi(&log));
    if let Some(event) = decoded {
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

/// `log` as `ethabi` decodes it: the reference of [`TaskEvent::decode`].
fn decoded_by_ethabi(log: &Log) -> Option<TaskEvent> {
    use event_signatures::*;
    use ParamType::{Bytes, FixedBytes, String, Uint};
    let read = |types: &[ParamType]| abi::decode(types, log.data.as_ref()).ok();
    let uint = |token: &Token| {
        let n = token.clone().into_uint()?;
        (n <= U256::from(u64::MAX)).then(|| n.as_u64())
    };
    let bytes32 = |token: &Token| Some(H256::from_slice(&token.clone().into_fixed_bytes()?));
    let address = |i: usize| Some(Address::from_slice(&log.topics.get(i)?.0[12..]));
    let topic0 = log.topics[0];
    if topic0 == event_topic(TASK_CREATED) {
        let t = read(&[
            Uint(256),
            Uint(256),
            FixedBytes(32),
            FixedBytes(32),
            Uint(256),
        ])?;
        Some(TaskEvent::Created {
            task_id: uint(&t[0])?,
            task_type: uint(&t[1])?,
            creator: address(1)?,
            selected_node: address(2)?,
            task_hash: bytes32(&t[2])?,
            data_hash: bytes32(&t[3])?,
            round: uint(&t[4])?,
        })
    } else if topic0 == event_topic(TASK_RESULT_COMMITMENTS_READY) {
        let t = read(&[Uint(256)])?;
        Some(TaskEvent::ResultCommitmentsReady {
            task_id: uint(&t[0])?,
        })
    } else if topic0 == event_topic(TASK_SUCCESS) {
        let t = read(&[Uint(256), Bytes])?;
        Some(TaskEvent::Success {
            task_id: uint(&t[0])?,
            result: t[1].clone().into_bytes()?,
            result_node: address(1)?,
        })
    } else {
        let t = read(&[Uint(256), String])?;
        Some(TaskEvent::Aborted {
            task_id: uint(&t[0])?,
            reason: t[1].clone().into_string()?,
        })
    }
}
