//! One task from the user's click to its results: what is known about it (persisted, so a
//! paid task is never lost), which step comes next, and how its stages read on screen. The
//! steps themselves, which talk to the wallet, the chain and the relay, are in [`flow`]; the
//! account's past tasks, found on chain and in this browser, in [`history`].

pub mod flow;
pub mod history;

use crynux_protocol::abi::abort_reasons::{CANCELLED, ERROR_REPORTED, RESULT_ILLEGAL};
use crynux_protocol::abi::{create_task_calldata, Revert, TaskEvent};
use crynux_protocol::args::form::{field, field_text};
use crynux_protocol::args::{task_hash, TaskType};
use crynux_protocol::profile::NetworkProfile;
use crynux_protocol::read::{unreadable, variant, Fields, FromJson, Read};
use crynux_protocol::units::format_cnx;
use crynux_protocol::{Address, Log, H256, U256};
use serde::Serialize;
use serde_json::Value;

use crate::browser::{load, read_kept};
use crate::payer::Payer;

/// How many blocks one `eth_getLogs` asks for (public RPC servers cap the range).
pub const LOG_RANGE: u64 = 5_000;
/// Characters of a task's prompt or first message the history shows.
const SUMMARY_CHARS: usize = 80;

/// Everything known about one task, saved after every change. Read back by hand
/// ([`TaskRun::read`]): serde's derived readers of it and its parts, the reference a test
/// holds the reading equal to, were with the GPT result file's 1.9 KB brotli more of the
/// lazily loaded parts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(serde::Deserialize))]
pub struct TaskRun {
    /// When the user asked for it (ms since the Unix epoch); names it in this browser.
    pub started_ms: u64,
    /// The account that pays.
    pub creator: Address,
    /// Stable Diffusion or GPT.
    pub task_type: TaskType,
    /// The exact arguments string that is hashed and uploaded; empty when this browser did
    /// not create the task (the arguments are then only on the relay).
    pub args: String,
    /// `vramLimit` in GB.
    pub vram_gb: u64,
    /// The latest block just before the wallet was asked to send `createTask`: a request
    /// whose answer was lost (a reload) is looked for in the blocks after it.
    pub asked_at_block: Option<u64>,
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
    /// When it may be cancelled (Unix seconds): the creation block's time plus the timeout.
    pub deadline: Option<u64>,
    /// CNX of the account before and after its cancellation.
    pub refund: Option<Refund>,
    /// What the history shows of its results.
    pub preview: Option<Preview>,
    /// Whether all its results were downloaded once (a reload then waits for the user to
    /// ask for them again: each download is a signature).
    pub results_seen: bool,
}

/// The account's CNX around a cancellation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(serde::Deserialize))]
pub struct Refund {
    /// Before `cancelTask`.
    pub before: U256,
    /// After it was mined.
    pub after: U256,
}

/// A small view of a task's results, kept with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(serde::Deserialize))]
pub enum Preview {
    /// The first image, as a small JPEG data URL.
    Thumbnail(String),
    /// The first words of the reply.
    Words(String),
}

/// The task as created on chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(serde::Deserialize))]
pub struct Created {
    /// The task id.
    pub task_id: u64,
    /// The block of `createTask`.
    pub block: u64,
    /// The three selected nodes, by round.
    pub nodes: Vec<Address>,
}

/// How a task ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(serde::Deserialize))]
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
    /// A task not yet sent, asked for at `started_ms`.
    pub fn new(
        creator: Address,
        task_type: TaskType,
        args: String,
        vram_gb: u64,
        started_ms: u64,
    ) -> Self {
        Self {
            started_ms,
            creator,
            task_type,
            args,
            vram_gb,
            asked_at_block: None,
            tx_hash: None,
            created: None,
            uploaded: false,
            cursor: 0,
            commitments_block: None,
            outcome: None,
            deadline: None,
            refund: None,
            preview: None,
            results_seen: false,
        }
    }

    /// A task this browser knows only from the chain: its arguments are on the relay.
    pub fn from_chain(creator: Address, found: FoundTask, started_ms: u64) -> Self {
        let cursor = found.created.block;
        Self {
            uploaded: true,
            created: Some(found.created),
            cursor,
            ..Self::new(creator, found.task_type, String::new(), 0, started_ms)
        }
    }

    /// Whether this browser holds the arguments.
    pub fn args_known(&self) -> bool {
        !self.args.is_empty()
    }

    /// What to do next, given how many result files the caller holds already.
    pub fn next_step(&self, downloaded: usize) -> Step {
        match (&self.outcome, &self.created, &self.tx_hash) {
            (Some(Outcome::Success { .. }), ..) if downloaded < self.result_count() as usize => {
                Step::Download
            }
            (Some(_), ..) => Step::Done,
            (None, Some(_), _) if !self.uploaded => Step::Upload,
            (None, Some(_), _) => Step::Follow,
            (None, None, Some(_)) => Step::Mine,
            (None, None, None) => Step::Send,
        }
    }

    /// Whether the task is paid for and has not ended yet.
    pub fn is_running(&self) -> bool {
        self.is_paid() && self.outcome.is_none()
    }

    /// Whether the fee has (or may have) left the account: the task must not be lost.
    pub fn is_paid(&self) -> bool {
        (self.tx_hash.is_some() || self.created.is_some())
            && !matches!(self.outcome, Some(Outcome::Reverted { .. }))
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

    /// Reads the task from the `TaskCreated` logs of its `createTask` transaction: those of
    /// its receipt, or those found by its arguments' hash after a lost answer.
    pub fn record_creation(&mut self, logs: &[Log], task_contract: Address) {
        let ours = task_hash(self.args.as_bytes());
        let own_logs = logs.iter().filter(|log| log.address == task_contract);
        if let Some(found) = found_tasks(own_logs)
            .into_iter()
            .find(|found| found.task_hash.0 == ours)
        {
            self.cursor = found.created.block;
            self.created = Some(found.created);
        }
    }

    /// Applies a log of the Task contract; logs of other tasks are ignored. A cancellation
    /// may follow a success whose results never came.
    pub fn record_event(&mut self, log: &Log) {
        let Some(Ok(event)) = TaskEvent::decode(log) else {
            return;
        };
        let ended = !matches!(
            (&self.outcome, &event),
            (None, _) | (Some(Outcome::Success { .. }), TaskEvent::Aborted { .. })
        );
        if Some(event.task_id()) != self.task_id() || ended {
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

    /// The stages for the timeline, in order, `downloaded` results being in this browser: paid,
    /// arguments sent, the nodes' work, the end on chain, and for a success the download.
    pub fn timeline(&self, downloaded: usize) -> Vec<Stage> {
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
                // A success needs the commitments, even when their event was not read.
                self.commitments_block.is_some()
                    || matches!(self.outcome, Some(Outcome::Success { .. })),
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
        if matches!(self.outcome, None | Some(Outcome::Success { .. })) {
            let all = self.outcome.is_some() && downloaded >= self.result_count() as usize;
            stages.push(Stage::new("Results downloaded", all, None));
        }
        stages
    }

    /// What the task asked, in a line: the prompt, or the first message that is not the
    /// system prompt.
    pub fn summary(&self) -> Option<String> {
        if !self.args_known() {
            return None;
        }
        let text = match self.task_type {
            TaskType::StableDiffusion => field_text(field(&self.args, "/prompt")),
            TaskType::Gpt => field(&self.args, "/messages")?
                .as_array()?
                .iter()
                .find(|m| m.get("role").and_then(|r| r.as_str()) != Some("system"))
                .map(|m| field_text(m.get("content").cloned()))?,
        };
        Some(text.chars().take(SUMMARY_CHARS).collect())
    }

    /// The seed of an image task.
    pub fn seed(&self) -> Option<u32> {
        if self.task_type != TaskType::StableDiffusion {
            return None;
        }
        let seed = field(&self.args, "/task_config/seed")?.as_u64()?;
        u32::try_from(seed).ok()
    }

    /// How the task stands, in a few words.
    pub fn state_words(&self) -> &'static str {
        match &self.outcome {
            Some(Outcome::Reverted { .. }) => "Refused by the contract: no fee taken",
            Some(Outcome::Success { .. }) => "Succeeded",
            Some(Outcome::Aborted { reason, .. }) => match reason.as_str() {
                CANCELLED => "Cancelled: refunded",
                RESULT_ILLEGAL => "Aborted, the nodes disagreed: refunded",
                ERROR_REPORTED => "Aborted, the task could not run: fee paid to the nodes",
                _ => "Aborted",
            },
            None if self.created.is_some() && self.args_known() && !self.uploaded => {
                "Paid, its arguments not sent yet"
            }
            None if self.created.is_some() => "Waiting for the nodes",
            None => "Payment not mined yet",
        }
    }

    /// What its cancellation gave back, in words, once it was cancelled.
    pub fn refund_words(&self) -> Option<String> {
        self.refund.map(|refund| {
            format!(
                "Refunded {}: your balance went from {} to {}.",
                format_cnx(refund.after.saturating_sub(refund.before)),
                format_cnx(refund.before),
                format_cnx(refund.after)
            )
        })
    }

    /// Whether `cancelTask` is worth offering at `now` (Unix seconds): paid, past its
    /// deadline, and without results to show.
    pub fn may_cancel(&self, now: u64, downloaded: usize) -> bool {
        let unfinished = match &self.outcome {
            None => true,
            Some(Outcome::Success { .. }) => downloaded < self.result_count() as usize,
            Some(_) => false,
        };
        self.is_paid() && unfinished && self.deadline.is_some_and(|deadline| now > deadline)
    }

    /// Where this task is kept in the browser.
    pub fn storage_key(&self, profile: &NetworkProfile) -> String {
        Self::storage_key_of(profile, self.creator, self.started_ms)
    }

    /// Where the task of `creator` asked for at `started_ms` is kept in the browser.
    pub fn storage_key_of(profile: &NetworkProfile, creator: Address, started_ms: u64) -> String {
        format!("{}{started_ms}", Self::storage_prefix(profile, creator))
    }

    /// The prefix of the keys of `creator`'s tasks in the browser.
    pub fn storage_prefix(profile: &NetworkProfile, creator: Address) -> String {
        format!("{}tasks/", account_prefix(profile, creator))
    }

    /// The current task `creator` left in this browser, if any.
    pub fn kept(profile: &NetworkProfile, creator: Address) -> Option<TaskRun> {
        let started = load(&Self::current_key(profile, creator))?.parse().ok()?;
        Self::read(&load(&Self::storage_key_of(profile, creator, started))?)
    }

    /// A task as this browser stored it (its `Serialize`), `None` when `text` is not one.
    pub fn read(text: &str) -> Option<TaskRun> {
        read_kept(text)
    }

    /// Whether this task, read back after a reload, goes on by itself with `payer`: not
    /// when its payment was never asked for, nor when its results were seen and downloading
    /// them again would cost the wallet a signature each (unless it is signed in to the
    /// relay; the session wallet signs silently).
    pub fn resumes(&self, payer: &Payer) -> bool {
        match self.next_step(0) {
            Step::Done => false,
            Step::Send => self.asked_at_block.is_some(),
            Step::Download => !self.results_seen || payer.signs_silently(self.creator),
            Step::Mine | Step::Upload | Step::Follow => true,
        }
    }

    /// The key holding the `started_ms` of `creator`'s current task.
    pub fn current_key(profile: &NetworkProfile, creator: Address) -> String {
        format!("{}current-task", account_prefix(profile, creator))
    }
}

/// The prefix of what this browser keeps for `profile`'s network (its chain and Task
/// contract).
pub fn network_prefix(profile: &NetworkProfile) -> String {
    format!("crynux/{}/{:?}/", profile.chain_id, profile.contracts.task)
}

/// The prefix of what this browser keeps for `account` on `profile`'s network.
pub fn account_prefix(profile: &NetworkProfile, account: Address) -> String {
    format!("{}{account:?}/", network_prefix(profile))
}

/// A task as `TaskCreated` tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundTask {
    /// Stable Diffusion or GPT.
    pub task_type: TaskType,
    /// keccak256 of its arguments.
    pub task_hash: H256,
    /// Its id, block and nodes.
    pub created: Created,
}

/// The tasks in `TaskCreated` logs (one log per selected node), in order of appearance.
pub fn found_tasks<'a>(logs: impl IntoIterator<Item = &'a Log>) -> Vec<FoundTask> {
    let mut found: Vec<FoundTask> = Vec::new();
    for log in logs {
        let Some(Ok(TaskEvent::Created {
            task_id,
            task_type,
            selected_node,
            task_hash,
            ..
        })) = TaskEvent::decode(log)
        else {
            continue;
        };
        match found.iter_mut().find(|f| f.created.task_id == task_id) {
            Some(task) => task.created.nodes.push(selected_node),
            None => found.push(FoundTask {
                task_type: TaskType::from_id(task_type).unwrap_or(TaskType::StableDiffusion),
                task_hash,
                created: Created {
                    task_id,
                    block: log.block_number.map_or(0, |b| b.as_u64()),
                    nodes: vec![selected_node],
                },
            }),
        }
    }
    found
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
        CANCELLED => "The task was cancelled after its deadline. The part of the fee no \
                      node had earned yet was refunded to your account."
            .to_owned(),
        ERROR_REPORTED => "The nodes could not run these arguments (for example an \
                                  unknown model) and reported an error. The fee paid the nodes \
                                  that reported it."
            .to_owned(),
        RESULT_ILLEGAL => "The three nodes returned three different results, so none \
                                  could be trusted. The fee was refunded to your account."
            .to_owned(),
        other => format!("The network aborted the task: {other}."),
    }
}

#[cfg(test)]
mod tests;

impl FromJson for TaskRun {
    fn from_json(value: Value, pointer: &str) -> Read<Self> {
        let mut fields = Fields::of(value, pointer)?;
        Ok(Self {
            started_ms: fields.required("started_ms")?,
            creator: fields.required("creator")?,
            task_type: fields.required("task_type")?,
            args: fields.required("args")?,
            vram_gb: fields.required("vram_gb")?,
            asked_at_block: fields.optional("asked_at_block")?,
            tx_hash: fields.optional("tx_hash")?,
            created: fields.optional("created")?,
            uploaded: fields.required("uploaded")?,
            cursor: fields.required("cursor")?,
            commitments_block: fields.optional("commitments_block")?,
            outcome: fields.optional("outcome")?,
            deadline: fields.optional("deadline")?,
            refund: fields.optional("refund")?,
            preview: fields.optional("preview")?,
            results_seen: fields.required("results_seen")?,
        })
    }
}

impl FromJson for Refund {
    fn from_json(value: Value, pointer: &str) -> Read<Self> {
        let mut fields = Fields::of(value, pointer)?;
        Ok(Self {
            before: fields.required("before")?,
            after: fields.required("after")?,
        })
    }
}

impl FromJson for Preview {
    fn from_json(value: Value, pointer: &str) -> Read<Self> {
        let (name, content, pointer) = variant(value, pointer)?;
        match name.as_str() {
            "Thumbnail" => String::from_json(content, &pointer).map(Self::Thumbnail),
            "Words" => String::from_json(content, &pointer).map(Self::Words),
            _ => unreadable(&pointer, "is not a kind of preview"),
        }
    }
}

impl FromJson for Created {
    fn from_json(value: Value, pointer: &str) -> Read<Self> {
        let mut fields = Fields::of(value, pointer)?;
        Ok(Self {
            task_id: fields.required("task_id")?,
            block: fields.required("block")?,
            nodes: fields.required("nodes")?,
        })
    }
}

impl FromJson for Outcome {
    fn from_json(value: Value, pointer: &str) -> Read<Self> {
        let (name, content, pointer) = variant(value, pointer)?;
        let mut fields = Fields::of(content, &pointer)?;
        let block = fields.required("block")?;
        match name.as_str() {
            "Reverted" => Ok(Self::Reverted {
                block,
                reason: fields.required("reason")?,
            }),
            "Success" => Ok(Self::Success {
                block,
                result: fields.required("result")?,
            }),
            "Aborted" => Ok(Self::Aborted {
                block,
                reason: fields.required("reason")?,
            }),
            _ => unreadable(&pointer, "is not a way a task ends"),
        }
    }
}
