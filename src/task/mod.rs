//! One task from the user's click to its results: what is known about it (persisted, so a
//! paid task is never lost), which step comes next, and how its stages read on screen. The
//! steps themselves, which talk to the wallet, the chain and the relay, are in [`flow`].

pub mod flow;

use crynux_protocol::abi::{create_task_calldata, Revert, TaskEvent};
use crynux_protocol::args::{task_hash, TaskType};
use crynux_protocol::profile::NetworkProfile;
use crynux_protocol::units::format_cnx;
use crynux_protocol::{Address, Log, H256};
use serde::{Deserialize, Serialize};

/// Everything known about one task, saved after every change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskRun {
    /// The account that pays.
    pub creator: Address,
    /// Stable Diffusion or GPT.
    pub task_type: TaskType,
    /// The exact arguments string that is hashed and uploaded.
    pub args: String,
    /// `vramLimit` in GB.
    pub vram_gb: u64,
    /// The `createTask` transaction, once the wallet sent it.
    pub tx_hash: Option<H256>,
    /// What `TaskCreated` said, once mined.
    pub created: Option<Created>,
    /// Whether the relay accepted the arguments.
    pub uploaded: bool,
    /// The next block to read events from.
    pub cursor: u64,
    /// When the three nodes had committed their results.
    pub commitments_block: Option<u64>,
    /// How it ended, once it did.
    pub outcome: Option<Outcome>,
}

/// The task as created on chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Created {
    /// The task id.
    pub task_id: u64,
    /// The block of `createTask`.
    pub block: u64,
    /// The three selected nodes, by round.
    pub nodes: Vec<Address>,
}

/// How a task ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    /// The `createTask` transaction was mined but reverted: no task, no fee taken.
    Reverted {
        /// Its block.
        block: u64,
        /// The decoded reason.
        reason: String,
    },
    /// Two nodes agreed: `TaskSuccess`.
    Success {
        /// Its block.
        block: u64,
        /// The on-chain proof (8 bytes per image, or the sha256 of the GPT file).
        result: Vec<u8>,
    },
    /// `TaskAborted`.
    Aborted {
        /// Its block.
        block: u64,
        /// The contract's reason.
        reason: String,
    },
}

/// What has to happen next for a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Simulate and send `createTask`.
    Send,
    /// Wait for the transaction's receipt.
    Mine,
    /// Sign and upload the arguments to the relay.
    Upload,
    /// Follow the task's events.
    Follow,
    /// Download the results.
    Download,
    /// Nothing: the task ended.
    Done,
}

impl TaskRun {
    /// A task not yet sent.
    pub fn new(creator: Address, task_type: TaskType, args: String, vram_gb: u64) -> Self {
        Self {
            creator,
            task_type,
            args,
            vram_gb,
            tx_hash: None,
            created: None,
            uploaded: false,
            cursor: 0,
            commitments_block: None,
            outcome: None,
        }
    }

    /// What to do next, given how many result files the caller holds already.
    pub fn next_step(&self, downloaded: usize) -> Step {
        match (&self.tx_hash, &self.created, &self.outcome) {
            (_, _, Some(Outcome::Success { .. })) if downloaded < self.result_count() as usize => {
                Step::Download
            }
            (_, _, Some(_)) => Step::Done,
            (None, _, None) => Step::Send,
            (Some(_), None, None) => Step::Mine,
            (Some(_), Some(_), None) if !self.uploaded => Step::Upload,
            (Some(_), Some(_), None) => Step::Follow,
        }
    }

    /// Whether the task is paid for and has not ended yet.
    pub fn is_running(&self) -> bool {
        self.is_paid() && self.outcome.is_none()
    }

    /// Whether the fee has (or may have) left the account: the task must not be lost.
    pub fn is_paid(&self) -> bool {
        self.tx_hash.is_some() && !matches!(self.outcome, Some(Outcome::Reverted { .. }))
    }

    /// `createTask` calldata for these arguments: what is simulated, sent, and replayed.
    pub fn create_task_calldata(&self) -> Vec<u8> {
        create_task_calldata(
            self.task_type.id(),
            task_hash(self.args.as_bytes()),
            self.vram_gb,
        )
    }

    /// The task id, once created.
    pub fn task_id(&self) -> Option<u64> {
        self.created.as_ref().map(|c| c.task_id)
    }

    /// How many result files there are: one per 8-byte image hash (SD), or one (GPT).
    pub fn result_count(&self) -> u32 {
        match (&self.outcome, self.task_type) {
            (Some(Outcome::Success { result, .. }), TaskType::StableDiffusion) => {
                (result.len() / 8) as u32
            }
            (Some(Outcome::Success { .. }), TaskType::Gpt) => 1,
            _ => 0,
        }
    }

    /// Reads the `TaskCreated` logs of a successful `createTask` receipt.
    pub fn record_creation(&mut self, block: u64, logs: &[Log], task_contract: Address) {
        let mut created: Option<Created> = None;
        for log in logs.iter().filter(|log| log.address == task_contract) {
            if let Some(Ok(TaskEvent::Created {
                task_id,
                selected_node,
                ..
            })) = TaskEvent::decode(log)
            {
                created
                    .get_or_insert_with(|| Created {
                        task_id,
                        block,
                        nodes: Vec::new(),
                    })
                    .nodes
                    .push(selected_node);
            }
        }
        if created.is_some() {
            self.created = created;
            self.cursor = block;
        }
    }

    /// Applies a log of the Task contract; logs of other tasks are ignored.
    pub fn record_event(&mut self, log: &Log) {
        let Some(Ok(event)) = TaskEvent::decode(log) else {
            return;
        };
        if Some(event.task_id()) != self.task_id() || self.outcome.is_some() {
            return;
        }
        let block = log.block_number.map_or(self.cursor, |b| b.as_u64());
        match event {
            TaskEvent::ResultCommitmentsReady { .. } => self.commitments_block = Some(block),
            TaskEvent::Success { result, .. } => {
                self.outcome = Some(Outcome::Success { block, result })
            }
            TaskEvent::Aborted { reason, .. } => {
                self.outcome = Some(Outcome::Aborted { block, reason })
            }
            TaskEvent::Created { .. } => {}
        }
    }

    /// The stages for the timeline, in order.
    pub fn timeline(&self) -> Vec<Stage> {
        let created_block = self.created.as_ref().map(|c| c.block);
        let mut stages = vec![
            Stage::new(
                "Paid and created on chain",
                created_block.is_some(),
                created_block,
            ),
            Stage::new("Arguments sent to the relay", self.uploaded, None),
            Stage::new(
                "Nodes committed their results",
                self.commitments_block.is_some(),
                self.commitments_block,
            ),
        ];
        stages.push(match &self.outcome {
            Some(Outcome::Success { block, .. }) => Stage::new("Succeeded", true, Some(*block)),
            Some(Outcome::Aborted { block, .. }) => Stage::new("Aborted", true, Some(*block)),
            Some(Outcome::Reverted { block, .. }) => {
                Stage::new("Refused by the contract", true, Some(*block))
            }
            None => Stage::new("Result agreed", false, None),
        });
        stages
    }

    /// Where this task is kept in the browser (one current task per network and account).
    pub fn storage_key(profile: &NetworkProfile, creator: Address) -> String {
        format!(
            "crynux/{}/{:?}/{creator:?}/current-task",
            profile.chain_id, profile.contracts.task
        )
    }
}

/// One line of the timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    /// What happened.
    pub label: &'static str,
    /// Whether it has happened.
    pub done: bool,
    /// The block it happened in, when known.
    pub block: Option<u64>,
}

impl Stage {
    fn new(label: &'static str, done: bool, block: Option<u64>) -> Self {
        Self { label, done, block }
    }
}

/// Why `createTask` would revert, in words, with what to do.
pub fn explain_create_refusal(revert: &Revert, profile: &NetworkProfile, vram_gb: u64) -> String {
    let fee = format_cnx(profile.task_fee);
    match revert {
        Revert::Error(reason) => match reason.as_str() {
            "Not enough tokens for task" => format!(
                "Your account does not hold the {fee} a task costs. Get more CNX, then try again."
            ),
            "Not enough allowance for task" | "Task fee payment failed" => format!(
                "The Task contract may not take the {fee} fee from your account yet. Approve \
                 at least {fee} first."
            ),
            "Invalid task type" => "The contract does not know this task type.".to_owned(),
            reason if reason.starts_with("No ") => format!(
                "No GPU node with at least {vram_gb} GB is free right now ({reason}). Try again \
                 in a minute, or ask for less GPU memory."
            ),
            reason => format!("The Task contract refuses this task: {reason}."),
        },
        other => format!("The Task contract refuses this task: {other}."),
    }
}

/// What an abort means for the user and their fee.
pub fn explain_abort(reason: &str) -> String {
    match reason {
        "Task Cancelled" => "The task was cancelled after its deadline. The fee was refunded to \
                             your account."
            .to_owned(),
        "Task error reported" => "The nodes could not run these arguments (for example an \
                                  unknown model) and reported an error. The fee paid the nodes \
                                  that reported it."
            .to_owned(),
        "Task result illegal" => "The three nodes returned three different results, so none \
                                  could be trusted. The fee was refunded to your account."
            .to_owned(),
        other => format!("The network aborted the task: {other}."),
    }
}

#[cfg(test)]
mod tests;
