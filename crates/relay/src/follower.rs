//! Follows the Task contract's events from the deployment block in bounded `eth_getLogs`
//! ranges. Each range is applied together with its last block number in one transaction, so
//! a restart resumes exactly where it stopped: nothing skipped, nothing applied twice.

use std::time::Duration;

use crynux_chain::Chain;
use crynux_protocol::abi::{event_signatures, event_topic, TaskEvent};
use crynux_protocol::Address;

use crate::store::Store;

/// Blocks per `eth_getLogs` request.
pub const BLOCK_RANGE: u64 = 500;
const POLL: Duration = Duration::from_millis(200);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// Runs forever; RPC and store errors are retried with exponential backoff.
pub async fn follow(chain: Chain, store: Store, task_contract: Address, deployment_block: u64) {
    let topics = [
        event_topic(event_signatures::TASK_CREATED),
        event_topic(event_signatures::TASK_RESULT_COMMITMENTS_READY),
        event_topic(event_signatures::TASK_SUCCESS),
        event_topic(event_signatures::TASK_ABORTED),
    ];
    let mut backoff = POLL;
    loop {
        match step(&chain, &store, task_contract, &topics, deployment_block).await {
            Ok(caught_up) => {
                backoff = POLL;
                if caught_up {
                    tokio::time::sleep(POLL).await;
                }
            }
            Err(e) => {
                eprintln!("relay: following the chain: {e}; retrying in {backoff:?}");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
}

/// Applies the next range; true when it reached the chain's head.
async fn step(
    chain: &Chain,
    store: &Store,
    task_contract: Address,
    topics: &[crynux_protocol::H256],
    deployment_block: u64,
) -> Result<bool, String> {
    let next = match store.last_block().await.map_err(|e| e.to_string())? {
        Some(last) => last + 1,
        None => deployment_block,
    };
    let head = chain.block_number().await.map_err(|e| e.to_string())?;
    if next > head {
        return Ok(true);
    }
    let to = head.min(next + BLOCK_RANGE - 1);
    let logs = chain
        .logs(task_contract, topics, next, to)
        .await
        .map_err(|e| e.to_string())?;
    let mut events = Vec::with_capacity(logs.len());
    for log in &logs {
        match TaskEvent::decode(log) {
            Some(Ok(event)) => events.push(event),
            Some(Err(e)) => eprintln!("relay: skipping an undecodable log: {e}"),
            None => {}
        }
    }
    store
        .apply_events(events, to)
        .await
        .map_err(|e| e.to_string())?;
    Ok(to == head)
}
