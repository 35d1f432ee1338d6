//! The account's tasks: every `TaskCreated` naming it as creator (one `eth_getLogs` on the
//! indexed `creator` topic from the deployment block, paged), merged with the tasks this
//! browser stored, each with its outcome read from the chain. The chain is the authority:
//! clearing the browser's storage loses arguments, never tasks.

use crynux_protocol::abi::event_signatures::{TASK_ABORTED, TASK_CREATED, TASK_SUCCESS};
use crynux_protocol::abi::event_topic;
use crynux_protocol::args::task_hash;
use crynux_protocol::profile::NetworkProfile;
use crynux_protocol::{Address, Log, H256};

use super::{account_prefix, found_tasks, Outcome, TaskRun, LOG_RANGE};
use crate::browser::{load, load_all, save};
use crate::chain::{ChainError, ChainReader};

/// Block ranges of at most [`LOG_RANGE`] blocks covering `from..=to`.
pub fn pages(from: u64, to: u64) -> impl Iterator<Item = (u64, u64)> {
    (from..=to)
        .step_by(LOG_RANGE as usize)
        .map(move |start| (start, to.min(start + LOG_RANGE - 1)))
}

/// The tasks of `creator` this browser stored, in no order.
pub fn stored_runs(profile: &NetworkProfile, creator: Address) -> Vec<TaskRun> {
    load_all(&TaskRun::storage_prefix(profile, creator))
        .iter()
        .filter_map(|text| TaskRun::read(text))
        .filter(|run| run.creator == creator)
        .collect()
}

/// Makes room in a full storage for the task `keep` of `creator`: the other tasks that ended
/// forget their arguments (the history then says they are on the relay). False when there
/// was nothing to forget.
pub fn make_room(profile: &NetworkProfile, creator: Address, keep: u64) -> bool {
    let mut freed = false;
    for mut run in stored_runs(profile, creator) {
        if run.started_ms == keep || !run.args_known() || run.outcome.is_none() {
            continue;
        }
        run.args.clear();
        if let Ok(text) = serde_json::to_string(&run) {
            freed |= save(&run.storage_key(profile), &text);
        }
    }
    freed
}

/// The `TaskCreated` logs naming `creator`, in blocks `from..=to` (one `eth_getLogs` per
/// page, on the indexed creator topic).
pub async fn created_logs(
    chain: &ChainReader,
    profile: &NetworkProfile,
    creator: Address,
    from: u64,
    to: u64,
) -> Result<Vec<Log>, ChainError> {
    let topics = [event_topic(TASK_CREATED)];
    let creator_topic = Some(H256::from(creator));
    let mut logs = Vec::new();
    for (from, to) in pages(from, to) {
        let task = profile.contracts.task;
        logs.extend(chain.logs(task, &topics, creator_topic, from, to).await?);
    }
    Ok(logs)
}

/// Every task of `creator`, newest first: found on chain, with what this browser stored of
/// them (arguments, previews), and the ones whose payment this browser sent but the chain has
/// not shown yet. Reads only the blocks it has not read before: tasks known only from the
/// chain are stored (without arguments), with how far the chain was read.
pub async fn account_history(
    chain: &ChainReader,
    profile: &NetworkProfile,
    creator: Address,
) -> Result<Vec<TaskRun>, ChainError> {
    let task_contract = profile.contracts.task;
    let mut runs: Vec<TaskRun> = stored_runs(profile, creator)
        .into_iter()
        .filter(|run| run.tx_hash.is_some() || run.asked_at_block.is_some() || !run.args_known())
        .collect();
    let head = chain.block_number().await?;
    let scanned_key = format!("{}history-scanned", account_prefix(profile, creator));
    // A chain behind what was read (a restarted devnet) is read again from the start.
    let from = load(&scanned_key)
        .and_then(|block| block.parse::<u64>().ok())
        .filter(|block| *block <= head)
        .map_or(profile.deployment_block, |block| block + 1);
    let created_logs = created_logs(chain, profile, creator, from, head).await?;
    for found in found_tasks(&created_logs) {
        let task_id = found.created.task_id;
        // This browser's record of it: by id, or by its arguments when the wallet's answer
        // was lost before the id was known.
        let stored = runs.iter_mut().find(|run| {
            run.task_id() == Some(task_id)
                || (run.task_id().is_none() && task_hash(run.args.as_bytes()) == found.task_hash.0)
        });
        if let Some(run) = stored {
            run.created.get_or_insert(found.created);
            continue;
        }
        let time = chain.block_time(found.created.block).await?;
        let mut run = TaskRun::from_chain(creator, found, time * 1000);
        run.deadline = Some(time + profile.task_timeout_secs);
        runs.push(run);
    }

    // Outcomes of the tasks that may still change, from the first block one of them has not
    // read. A success whose results were downloaded was uploaded, so it cannot be cancelled.
    let open = |run: &TaskRun| {
        run.task_id().is_some()
            && match run.outcome {
                None => true,
                Some(Outcome::Success { .. }) => !run.results_seen,
                Some(_) => false,
            }
    };
    let first = runs
        .iter()
        .filter(|run| open(run))
        .map(|run| run.cursor)
        .min();
    if let Some(first) = first {
        let topics = [event_topic(TASK_SUCCESS), event_topic(TASK_ABORTED)];
        for (from, to) in pages(first, head) {
            let logs = chain.logs(task_contract, &topics, None, from, to).await?;
            for run in runs.iter_mut().filter(|run| open(run) && run.cursor <= to) {
                logs.iter().for_each(|log| run.record_event(log));
                run.cursor = to + 1;
            }
        }
    }
    // This browser writes a task it created only while following it: the history keeps
    // the ones known from the chain alone.
    for run in runs.iter().filter(|run| !run.args_known()) {
        if let Ok(text) = serde_json::to_string(run) {
            save(&run.storage_key(profile), &text);
        }
    }
    save(&scanned_key, &head.to_string());
    // A request the wallet never sent (refused, or closed) is no task.
    runs.retain(|run| run.tx_hash.is_some() || run.created.is_some());
    runs.sort_by_key(|run| std::cmp::Reverse(run.started_ms));
    Ok(runs)
}
