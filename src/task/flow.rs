//! The steps of a task that talk to the wallet, the chain and the relay. Each step moves a
//! [`TaskRun`] forward and saves it; [`Flow::advance`] runs steps until the task needs the
//! user or is finished. A failed step can be retried: nothing already paid is paid again.

use std::fmt;
use std::future::Future;

use crynux_protocol::abi::event_signatures::{
    TASK_ABORTED, TASK_RESULT_COMMITMENTS_READY, TASK_SUCCESS,
};
use crynux_protocol::abi::{event_topic, gas_limit_with_margin};
use crynux_protocol::args::TaskType;
use crynux_protocol::profile::NetworkProfile;
use crynux_protocol::results::GptResponse;
use crynux_protocol::signing::{RelayRequest, SignScheme, Signature};
use crynux_protocol::H256;
use leptos::prelude::*;

use super::{explain_create_refusal, Outcome, Step, TaskRun};
use crate::browser::{object_url, save, sleep, unix_seconds};
use crate::chain::{Call, ChainError, ChainReader, Receipt};
use crate::relay::{RelayClient, RelayError};
use crate::wallet::{Wallet, WalletError};

/// How many blocks one `eth_getLogs` asks for (public RPC servers cap the range).
const LOG_RANGE: u64 = 1_000;
/// A signed relay request is retried with the same signature while it is younger than this
/// (the relay accepts 60 s of difference to its clock).
const SIGNATURE_REUSE_SECS: u64 = 45;
/// Signatures asked for one relay request before giving up (each is a wallet popup).
const MAX_SIGNATURES: u32 = 3;

/// Why a task cannot go on for now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskError {
    /// The wallet refused or failed.
    Wallet(WalletError),
    /// Reading the chain failed.
    Chain(ChainError),
    /// The relay refused or failed.
    Relay(RelayError),
    /// The contract would refuse `createTask`; the reason in words.
    Refused(String),
    /// The wallet is on another chain.
    WrongChain(String),
    /// The wallet's account is not the task's creator.
    WrongAccount,
    /// The relay accepts no signature a browser wallet can make.
    RawSignaturesOnly,
    /// The relay kept failing while signatures expired.
    RelayUnavailable,
    /// The chain or the relay gave something that cannot be right.
    Unexpected(String),
}

impl fmt::Display for TaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Wallet(e) => e.fmt(f),
            Self::Chain(e) => e.fmt(f),
            Self::Relay(e) => e.fmt(f),
            Self::Refused(words) => f.write_str(words),
            Self::WrongChain(network) => write!(f, "Your wallet is on another network. Switch it to {network} first."),
            Self::WrongAccount => f.write_str("Your wallet's account is not the one that created this task. Switch back to that account to go on."),
            Self::RawSignaturesOnly => f.write_str(
                "This network's relay only accepts raw-hash signatures, which browser wallets \
                 such as MetaMask cannot make. A session key for such relays comes in a later \
                 version; use a network whose relay accepts eip191 signatures.",
            ),
            Self::RelayUnavailable => f.write_str("The relay kept failing. Your task is safe on chain; press Retry when the relay is back."),
            Self::Unexpected(what) => write!(f, "Something unexpected happened: {what}."),
        }
    }
}

impl From<WalletError> for TaskError {
    fn from(e: WalletError) -> Self {
        Self::Wallet(e)
    }
}

impl From<ChainError> for TaskError {
    fn from(e: ChainError) -> Self {
        Self::Chain(e)
    }
}

/// A downloaded result.
#[derive(Debug, Clone, PartialEq)]
pub enum ResultFile {
    /// An image, as a `blob:` URL.
    Image {
        /// Its number (0-based).
        index: u32,
        /// The object URL.
        url: String,
    },
    /// A GPT reply file.
    Reply(GptResponse),
}

/// Waits growing intervals, up to a ceiling.
struct Backoff {
    next_ms: u32,
    max_ms: u32,
}

impl Backoff {
    fn new(first_ms: u32, max_ms: u32) -> Self {
        Self {
            next_ms: first_ms,
            max_ms,
        }
    }

    /// Sleeps, then lengthens the next wait by half.
    async fn pause(&mut self) {
        sleep(self.next_ms).await;
        self.next_ms = (self.next_ms + self.next_ms / 2).min(self.max_ms);
    }

    fn seconds(&self) -> u32 {
        self.next_ms.div_ceil(1000)
    }
}

/// Everything the steps use, and the signals they report through.
#[derive(Clone)]
pub struct Flow {
    /// The network.
    pub profile: NetworkProfile,
    /// Chain reads.
    pub chain: ChainReader,
    /// The relay.
    pub relay: RelayClient,
    /// The user's wallet.
    pub wallet: Wallet,
    /// The task, saved after every change.
    pub run: RwSignal<Option<TaskRun>>,
    /// What is happening now, in words.
    pub activity: RwSignal<Option<String>>,
    /// The results downloaded so far.
    pub files: RwSignal<Vec<ResultFile>>,
}

impl Flow {
    /// Runs the task's steps until it needs the user or is finished.
    pub async fn advance(self) -> Result<(), TaskError> {
        let result = self.run_steps().await;
        self.activity.set(None);
        result
    }

    async fn run_steps(&self) -> Result<(), TaskError> {
        loop {
            let Some(run) = self.run.get_untracked() else {
                return Ok(());
            };
            match run.next_step(self.files.with_untracked(Vec::len)) {
                Step::Send => self.send(&run).await?,
                Step::Mine => self.mine(&run).await?,
                Step::Upload => self.upload(&run).await?,
                Step::Follow => self.follow().await?,
                Step::Download => return self.download(&run).await,
                Step::Done => return Ok(()),
            }
        }
    }

    fn say(&self, words: impl Into<String>) {
        self.activity.set(Some(words.into()));
    }

    /// Changes the task and saves it; never another account's task (the wallet may have
    /// switched accounts while a step was waiting).
    fn update(&self, change: impl FnOnce(&mut TaskRun)) {
        let account = self.wallet.account.get_untracked();
        self.run.update(|run| {
            if let Some(run) = run.as_mut().filter(|run| Some(run.creator) == account) {
                change(run);
                if let Ok(text) = serde_json::to_string(run) {
                    save(&TaskRun::storage_key(&self.profile, run.creator), &text);
                }
            }
        });
    }

    fn check_account(&self, run: &TaskRun) -> Result<(), TaskError> {
        if self.wallet.account.get_untracked() == Some(run.creator) {
            Ok(())
        } else {
            Err(TaskError::WrongAccount)
        }
    }

    fn create_call<'a>(&self, run: &TaskRun, data: &'a [u8]) -> Call<'a> {
        Call {
            from: run.creator,
            to: self.profile.contracts.task,
            data,
        }
    }

    /// Simulates `createTask`, then asks the wallet to send it.
    async fn send(&self, run: &TaskRun) -> Result<(), TaskError> {
        self.check_account(run)?;
        if self.wallet.chain_id.get_untracked() != Some(self.profile.chain_id) {
            return Err(TaskError::WrongChain(self.profile.name.clone()));
        }
        let data = run.create_task_calldata();
        self.say("Checking the task with the contract…");
        let estimate = match self.chain.estimate_gas(self.create_call(run, &data)).await {
            Err(ChainError::Reverted(revert)) => {
                let words = explain_create_refusal(&revert, &self.profile, run.vram_gb);
                return Err(TaskError::Refused(words));
            }
            other => other?,
        };
        self.say("Confirm the payment in your wallet…");
        let hash = self
            .wallet
            .send_transaction(
                run.creator,
                self.profile.contracts.task,
                &data,
                gas_limit_with_margin(estimate),
            )
            .await?;
        self.update(|run| run.tx_hash = Some(hash));
        Ok(())
    }

    /// Waits for the `createTask` receipt and reads the task id from it.
    async fn mine(&self, run: &TaskRun) -> Result<(), TaskError> {
        let hash = run.tx_hash.unwrap_or_default();
        self.say("Waiting for the payment to be mined…");
        let receipt = wait_for_receipt(&self.chain, hash).await?;
        if receipt.succeeded() {
            self.update(|run| {
                run.record_creation(receipt.block(), &receipt.logs, self.profile.contracts.task)
            });
            return match self.run.get_untracked().and_then(|run| run.created) {
                Some(_) => Ok(()),
                None => Err(TaskError::Unexpected(
                    "the payment was mined but created no task".into(),
                )),
            };
        }
        let data = run.create_task_calldata();
        let replay = self
            .chain
            .call(self.create_call(run, &data), Some(receipt.block()))
            .await;
        let reason = match replay {
            Err(ChainError::Reverted(revert)) => {
                explain_create_refusal(&revert, &self.profile, run.vram_gb)
            }
            _ => "The transaction failed without a reason (it may have run out of gas). No \
                  task was created and no fee was taken."
                .to_owned(),
        };
        self.update(|run| {
            run.outcome = Some(Outcome::Reverted {
                block: receipt.block(),
                reason,
            })
        });
        Ok(())
    }

    /// Signs and uploads the arguments; waits while the relay has not seen the task yet.
    async fn upload(&self, run: &TaskRun) -> Result<(), TaskError> {
        let task_id = run.task_id().unwrap_or_default();
        let request = RelayRequest::UploadArgs {
            task_id,
            task_args: &run.args,
        };
        let upload = |timestamp, signature| async move {
            match self
                .relay
                .upload_args(task_id, &run.args, timestamp, &signature)
                .await
            {
                Err(e) if e.already_uploaded() => Ok(()),
                other => other,
            }
        };
        self.signed(
            run,
            request,
            "the upload of the arguments",
            RelayError::task_not_seen_yet,
            upload,
        )
        .await?;
        self.update(|run| run.uploaded = true);
        Ok(())
    }

    /// Reads the task's events from the cursor to the chain's head until it ends.
    async fn follow(&self) -> Result<(), TaskError> {
        let topics = [
            event_topic(TASK_RESULT_COMMITMENTS_READY),
            event_topic(TASK_SUCCESS),
            event_topic(TASK_ABORTED),
        ];
        let mut backoff = Backoff::new(1_000, 10_000);
        loop {
            let Some(run) = self.run.get_untracked() else {
                return Ok(());
            };
            if run.outcome.is_some() {
                return Ok(());
            }
            let read = async {
                let head = self.chain.block_number().await?;
                if run.cursor > head {
                    return Ok(false);
                }
                let to = head.min(run.cursor + LOG_RANGE - 1);
                let logs = self
                    .chain
                    .logs(self.profile.contracts.task, &topics, run.cursor, to)
                    .await?;
                self.update(|run| {
                    logs.iter().for_each(|log| run.record_event(log));
                    run.cursor = to + 1;
                });
                Ok::<_, ChainError>(to < head)
            };
            match read.await {
                Ok(more) => {
                    backoff = Backoff::new(1_000, 10_000);
                    self.say("Waiting for the nodes to run the task…");
                    if !more {
                        sleep(1_000).await;
                    }
                }
                Err(ChainError::Unreachable(reason)) => {
                    self.say(format!(
                        "The network's RPC server does not answer ({reason}); trying again in {} s…",
                        backoff.seconds()
                    ));
                    backoff.pause().await;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Downloads every result not downloaded yet.
    async fn download(&self, run: &TaskRun) -> Result<(), TaskError> {
        let task_id = run.task_id().unwrap_or_default();
        let count = run.result_count();
        for image_num in 0..count {
            let have = self.files.with_untracked(|files| {
                files.iter().any(|file| match file {
                    ResultFile::Image { index, .. } => *index == image_num,
                    ResultFile::Reply(_) => true,
                })
            });
            if have {
                continue;
            }
            let request = RelayRequest::GetResult { task_id, image_num };
            let what = format!("the download of result {} of {count}", image_num + 1);
            let fetch = |timestamp, signature| async move {
                self.relay
                    .result_file(task_id, image_num, timestamp, &signature)
                    .await
            };
            let bytes = self
                .signed(run, request, &what, RelayError::results_not_ready, fetch)
                .await?;
            let file = match run.task_type {
                TaskType::Gpt => {
                    ResultFile::Reply(GptResponse::parse(&bytes).map_err(TaskError::Unexpected)?)
                }
                TaskType::StableDiffusion => ResultFile::Image {
                    index: image_num,
                    url: object_url(&bytes, "image/png").ok_or_else(|| {
                        TaskError::Unexpected("the browser could not hold the image".into())
                    })?,
                },
            };
            self.files.update(|files| files.push(file));
        }
        Ok(())
    }

    /// Signs `request` with the wallet (EIP-191) and sends it with `send`, again while the
    /// relay is down or answers what `wait_on` accepts; signs again when the signature
    /// gets too old.
    async fn signed<T, Fut>(
        &self,
        run: &TaskRun,
        request: RelayRequest<'_>,
        what: &str,
        wait_on: fn(&RelayError) -> bool,
        send: impl Fn(u64, Signature) -> Fut,
    ) -> Result<T, TaskError>
    where
        Fut: Future<Output = Result<T, RelayError>>,
    {
        if !self
            .profile
            .relay_signature_schemes
            .contains(&SignScheme::Eip191)
        {
            return Err(TaskError::RawSignaturesOnly);
        }
        for _ in 0..MAX_SIGNATURES {
            self.check_account(run)?;
            self.say(format!("Sign {what} in your wallet…"));
            let timestamp = unix_seconds();
            let signature = self
                .wallet
                .personal_sign(run.creator, &request.sign_bytes(timestamp))
                .await?;
            let mut backoff = Backoff::new(500, 4_000);
            loop {
                self.say(format!("Waiting for the relay ({what})…"));
                match send(timestamp, signature).await {
                    Ok(value) => return Ok(value),
                    Err(e) if e.signature_expired() => break,
                    Err(e) if wait_on(&e) || e.is_transient() => {
                        if unix_seconds().saturating_sub(timestamp) > SIGNATURE_REUSE_SECS {
                            break;
                        }
                        self.say(format!("{e} Next try in {} s.", backoff.seconds()));
                        backoff.pause().await;
                    }
                    Err(e) => return Err(TaskError::Relay(e)),
                }
            }
        }
        Err(TaskError::RelayUnavailable)
    }
}

/// Polls for a transaction's receipt with growing intervals, riding out RPC hiccups.
pub async fn wait_for_receipt(chain: &ChainReader, hash: H256) -> Result<Receipt, ChainError> {
    let mut backoff = Backoff::new(250, 3_000);
    let mut failures = 0;
    loop {
        match chain.receipt(hash).await {
            Ok(Some(receipt)) => return Ok(receipt),
            Ok(None) => {}
            Err(ChainError::Unreachable(_)) if failures < 10 => failures += 1,
            Err(e) => return Err(e),
        }
        backoff.pause().await;
    }
}
