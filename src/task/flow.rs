//! The steps of a task that talk to the wallet, the chain and the relay. Each step moves a
//! [`TaskRun`] forward and saves it; [`Flow::advance`] runs steps until the task needs the
//! user or is finished. A failed step can be retried: nothing already paid is paid again.

use std::future::Future;

use crynux_protocol::abi::event_signatures::{
    TASK_ABORTED, TASK_RESULT_COMMITMENTS_READY, TASK_SUCCESS,
};
use crynux_protocol::abi::{cancel_task_calldata, event_topic, gas_limit_with_margin, Revert};
use crynux_protocol::args::{task_hash, TaskType};
use crynux_protocol::phash::phash_grey;
use crynux_protocol::profile::NetworkProfile;
use crynux_protocol::results::{verify_gpt_result, verify_image_hash, GptResponse};
use crynux_protocol::signing::RelayRequest;
use crynux_protocol::Log;
use leptos::prelude::*;

use super::history::{created_logs, make_room};
use super::{
    explain_create_refusal, found_tasks, Outcome, Preview, Refund, Step, TaskRun, LOG_RANGE,
};
use crate::browser::{
    grey_levels, object_url, revoke_object_url, save, sleep, thumbnail, unix_seconds, Backoff,
};
use crate::chain::{wait_for_receipt, wait_for_success, Call, ChainError, ChainReader};
use crate::error::TaskError;
use crate::payer::Payer;
use crate::relay::{Auth, RelayClient, RelayError};

/// Side of the thumbnail the history shows of an image task, in pixels.
const THUMBNAIL_SIDE: u32 = 96;
/// Characters of a reply the history shows.
const PREVIEW_CHARS: usize = 80;
/// A signed relay request is retried with the same signature while it is younger than this
/// (the relay accepts 60 s of difference to its clock).
const SIGNATURE_REUSE_SECS: u64 = 45;
/// Signatures asked for one relay request before giving up (each is a wallet popup).
const MAX_SIGNATURES: u32 = 3;
/// How long following waits at the chain's head before asking for it again: one
/// `eth_blockNumber` per poll (at most 30 a minute) while no block comes, the task's logs
/// only when one has.
const FOLLOW_POLL_MS: u32 = 2_000;

/// A downloaded result, with its check against the chain's proof.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultFile {
    /// Its number (0-based).
    pub index: u32,
    /// What it holds.
    pub content: ResultContent,
    /// `Ok` when it is the result the chain agreed on; else why not, in words.
    pub verified: Result<(), String>,
}

/// What a result file holds.
#[derive(Debug, Clone, PartialEq)]
pub enum ResultContent {
    /// An image, as a `blob:` URL.
    Image(String),
    /// A GPT reply file.
    Reply(GptResponse),
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
    /// Who pays and signs.
    pub payer: Payer,
    /// The task, saved after every change.
    pub run: RwSignal<Option<TaskRun>>,
    /// What is happening now, in words.
    pub activity: RwSignal<Option<String>>,
    /// The results downloaded so far.
    pub files: RwSignal<Vec<ResultFile>>,
    /// Whether the browser refused to store the task.
    pub storage_refused: RwSignal<bool>,
    /// Bumped after steps that may have changed the account's balances.
    pub balances: RwSignal<u32>,
}

impl Flow {
    /// The flow of `run` on `profile`'s network, with nothing downloaded yet; `balances` is
    /// bumped when the account's balances may have changed.
    pub fn new(
        profile: &NetworkProfile,
        payer: Payer,
        run: Option<TaskRun>,
        balances: RwSignal<u32>,
    ) -> Self {
        Self {
            profile: profile.clone(),
            chain: ChainReader::new(&profile.rpc_url),
            relay: RelayClient::new(&profile.relay_url),
            payer,
            run: RwSignal::new(run),
            activity: RwSignal::new(None),
            files: RwSignal::new(Vec::new()),
            storage_refused: RwSignal::new(false),
            balances,
        }
    }

    /// Runs the task's steps until it needs the user or is finished.
    pub async fn advance(self) -> Result<(), TaskError> {
        let result = match crate::lazy::run_steps(self.clone()).await {
            Ok(steps) => steps.await,
            Err(missing) => Err(missing.into()),
        };
        self.activity.set(None);
        self.balances.update(|n| *n += 1);
        result
    }

    /// Cancels the task after its deadline, then reads the refund.
    pub async fn cancel(self) -> Result<(), TaskError> {
        let result = self.cancel_task().await;
        self.activity.set(None);
        self.balances.update(|n| *n += 1);
        result
    }

    pub(crate) async fn run_steps(&self) -> Result<(), TaskError> {
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

    /// Forgets the downloaded results, freeing their object URLs.
    pub fn clear_files(&self) {
        self.files.update(|files| {
            for file in files.drain(..) {
                if let ResultContent::Image(url) = file.content {
                    revoke_object_url(&url);
                }
            }
        })
    }

    fn say(&self, words: impl Into<String>) {
        self.activity.set(Some(words.into()));
    }

    /// Changes the task and saves it; never another account's task (the wallet may have
    /// switched accounts while a step was waiting).
    fn update(&self, change: impl FnOnce(&mut TaskRun)) {
        let account = self.payer.account_untracked();
        self.run.update(|run| {
            if let Some(run) = run.as_mut().filter(|run| Some(run.creator) == account) {
                change(run);
                if let Ok(text) = serde_json::to_string(run) {
                    let key = run.storage_key(&self.profile);
                    let saved = save(&key, &text)
                        || (make_room(&self.profile, run.creator, run.started_ms)
                            && save(&key, &text));
                    self.storage_refused.set(!saved);
                }
            }
        });
    }

    /// Before a transaction: the task's account, on the network's chain.
    fn check_wallet(&self, run: &TaskRun) -> Result<(), TaskError> {
        self.payer.check_account(run.creator)?;
        if !untrack(|| self.payer.on_chain(self.profile.chain_id)) {
            return Err(TaskError::WrongChain(self.profile.name.clone()));
        }
        Ok(())
    }

    fn ended(&self) -> bool {
        self.run.with_untracked(|run| {
            run.as_ref()
                .is_some_and(|run| matches!(run.outcome, Some(Outcome::Aborted { .. })))
        })
    }

    fn create_call<'a>(&self, run: &TaskRun, data: &'a [u8]) -> Call<'a> {
        Call {
            from: run.creator,
            to: self.profile.contracts.task,
            data,
        }
    }

    /// Simulates `createTask`, then asks the wallet to send it; never for a task whose earlier
    /// request may have been sent (its answer lost to a reload) before that is ruled out.
    async fn send(&self, run: &TaskRun) -> Result<(), TaskError> {
        if let Some(block) = run.asked_at_block {
            if self.find_sent(run, block).await? {
                return Ok(());
            }
        }
        self.check_wallet(run)?;
        if untrack(|| self.payer.is_session()) {
            self.say("The session wallet allows the Task contract to take its CNX…");
            self.payer.session.allow_fee(self.profile.task_fee).await?;
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
        let head = self.chain.block_number().await?;
        self.update(|run| run.asked_at_block = Some(head));
        self.say(self.payer.asking("the payment"));
        let hash = self
            .payer
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
            return match self.record_created(&receipt.logs).await? {
                true => Ok(()),
                false => Err(TaskError::Unexpected(
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

    /// Records the task from `TaskCreated` logs, with its deadline; false when none is ours.
    async fn record_created(&self, logs: &[Log]) -> Result<bool, ChainError> {
        self.update(|run| run.record_creation(logs, self.profile.contracts.task));
        let block = self
            .run
            .with_untracked(|run| run.as_ref()?.created.as_ref().map(|c| c.block));
        let Some(block) = block else {
            return Ok(false);
        };
        let deadline = self.chain.block_time(block).await? + self.profile.task_timeout_secs;
        self.update(|run| run.deadline = Some(deadline));
        Ok(true)
    }

    /// Whether an earlier `createTask` request, whose answer was lost, created the task
    /// (then recorded). Waits while a transaction of the account is still pending.
    async fn find_sent(&self, run: &TaskRun, asked_at_block: u64) -> Result<bool, TaskError> {
        self.say("Looking for the payment you confirmed before…");
        loop {
            let head = self.chain.block_number().await?;
            let logs = created_logs(
                &self.chain,
                &self.profile,
                run.creator,
                asked_at_block,
                head,
            )
            .await?;
            if self.record_created(&logs).await? {
                return Ok(true);
            }
            let pending = self.chain.transaction_count(run.creator, true).await?;
            let mined = self.chain.transaction_count(run.creator, false).await?;
            if pending == mined {
                return Ok(false);
            }
            self.say("A transaction from your account is still pending; waiting for it before asking again…");
            sleep(2_000).await;
        }
    }

    /// Signs and uploads the arguments; waits while the relay has not seen the task yet.
    async fn upload(&self, run: &TaskRun) -> Result<(), TaskError> {
        let task_id = run.task_id().unwrap_or_default();
        let request = RelayRequest::UploadArgs {
            task_id,
            task_args: &run.args,
        };
        let upload = |auth: Auth| async move {
            match self.relay.upload_args(task_id, &run.args, &auth).await {
                Err(e) if e.already_uploaded() => Ok(()),
                other => other,
            }
        };
        self.authorized(
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
                    .logs(self.profile.contracts.task, &topics, None, run.cursor, to)
                    .await?;
                self.update(|run| {
                    logs.iter().for_each(|log| run.record_event(log));
                    run.cursor = to + 1;
                });
                Ok::<_, ChainError>(to < head)
            };
            match read.await {
                Ok(_)
                    if self.run.with_untracked(|run| {
                        run.as_ref().is_some_and(|r| r.outcome.is_some())
                    }) =>
                {
                    return Ok(());
                }
                Ok(more) => {
                    backoff = Backoff::new(1_000, 10_000);
                    self.say("Waiting for the nodes to run the task…");
                    if !more {
                        sleep(FOLLOW_POLL_MS).await;
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
        let proof = match &run.outcome {
            Some(Outcome::Success { result, .. }) => result.as_slice(),
            _ => &[],
        };
        for image_num in 0..count {
            let have = self
                .files
                .with_untracked(|files| files.iter().any(|file| file.index == image_num));
            if have {
                continue;
            }
            let request = RelayRequest::GetResult { task_id, image_num };
            let what = format!("the download of result {} of {count}", image_num + 1);
            let fetch =
                |auth: Auth| async move { self.relay.result_file(task_id, image_num, &auth).await };
            let bytes = self
                .authorized(run, request, &what, RelayError::results_not_ready, fetch)
                .await?;
            let content = match run.task_type {
                TaskType::Gpt => {
                    ResultContent::Reply(GptResponse::parse(&bytes).map_err(TaskError::Unexpected)?)
                }
                TaskType::StableDiffusion => {
                    ResultContent::Image(object_url(&bytes, "image/png").ok_or_else(|| {
                        TaskError::Unexpected("the browser could not hold the image".into())
                    })?)
                }
            };
            if image_num == 0 && run.preview.is_none() {
                let preview = match &content {
                    ResultContent::Image(_) => thumbnail(&bytes, THUMBNAIL_SIDE)
                        .await
                        .map(Preview::Thumbnail),
                    ResultContent::Reply(reply) => reply.choices.first().map(|choice| {
                        Preview::Words(choice.message.content.chars().take(PREVIEW_CHARS).collect())
                    }),
                };
                self.update(|run| run.preview = preview);
            }
            let verified = match run.task_type {
                TaskType::Gpt => verify_gpt_result(&bytes, proof),
                TaskType::StableDiffusion => match grey_levels(&bytes).await {
                    Some((grey, width, height)) => {
                        verify_image_hash(image_num, &phash_grey(&grey, width, height), proof)
                    }
                    None => Err("the browser could not read it as an image".into()),
                },
            };
            self.files.update(|files| {
                files.push(ResultFile {
                    index: image_num,
                    content,
                    verified,
                })
            });
        }
        self.update(|run| run.results_seen = true);
        Ok(())
    }

    /// Asks the relay for the arguments of a task this browser did not create, checks them
    /// against the hash the chain holds, and keeps them with the task.
    pub async fn fetch_args(&self) -> Result<(), TaskError> {
        let Some(run) = self.run.get_untracked() else {
            return Ok(());
        };
        let task_id = run.task_id().unwrap_or_default();
        let fetch = |auth: Auth| async move { self.relay.task_args(task_id, &auth).await };
        let request = RelayRequest::GetTask { task_id };
        let what = "the request for the task's arguments";
        let args = self
            .authorized(&run, request, what, |_| false, fetch)
            .await?
            .ok_or_else(|| {
                TaskError::Unexpected("the relay holds no arguments for this task".into())
            })?;
        let block = run.created.as_ref().map_or(0, |created| created.block);
        let logs = created_logs(&self.chain, &self.profile, run.creator, block, block).await?;
        let hash = task_hash(args.as_bytes());
        let on_chain = found_tasks(&logs)
            .into_iter()
            .find(|found| Some(found.created.task_id) == run.task_id());
        if on_chain.is_none_or(|found| found.task_hash.0 != hash) {
            return Err(TaskError::Unexpected(
                "the relay's arguments for this task do not match the hash on chain".into(),
            ));
        }
        self.update(|run| run.args = args);
        Ok(())
    }

    /// Simulates `cancelTask`, asks the wallet to send it, and records the outcome and the
    /// account's CNX before and after.
    async fn cancel_task(&self) -> Result<(), TaskError> {
        let Some(run) = self.run.get_untracked() else {
            return Ok(());
        };
        self.check_wallet(&run)?;
        let task_contract = self.profile.contracts.task;
        let data = cancel_task_calldata(run.task_id().unwrap_or_default());
        let call = Call {
            from: run.creator,
            to: task_contract,
            data: &data,
        };
        self.say("Checking the cancellation with the contract…");
        let estimate = match self.chain.estimate_gas(call).await {
            Err(ChainError::Reverted(revert)) => {
                return Err(TaskError::Refused(explain_cancel_refusal(&revert)))
            }
            other => other?,
        };
        let before = self
            .chain
            .token_balance(self.profile.contracts.token, run.creator)
            .await?;
        self.say(self.payer.asking("the cancellation"));
        let hash = self
            .payer
            .send_transaction(
                run.creator,
                task_contract,
                &data,
                gas_limit_with_margin(estimate),
            )
            .await?;
        self.say("Waiting for the cancellation to be mined…");
        let receipt = wait_for_success(&self.chain, hash, "cancellation").await?;
        let after = self
            .chain
            .token_balance(self.profile.contracts.token, run.creator)
            .await?;
        self.update(|run| {
            receipt
                .logs
                .iter()
                .filter(|log| log.address == task_contract)
                .for_each(|log| run.record_event(log));
            run.refund = Some(Refund { before, after });
        });
        Ok(())
    }

    /// Sends `request` with `send` as `run`'s creator: with the relay session when the relay
    /// offers sign-in (signing in first, and once more if the relay forgot the session), else
    /// signed (the payer picks the scheme). Sends again while the relay is down or answers
    /// what `wait_on` accepts.
    async fn authorized<T, Fut>(
        &self,
        run: &TaskRun,
        request: RelayRequest<'_>,
        what: &str,
        wait_on: fn(&RelayError) -> bool,
        send: impl Fn(Auth) -> Fut,
    ) -> Result<T, TaskError>
    where
        Fut: Future<Output = Result<T, RelayError>>,
    {
        let auth = self.payer.relay_auth;
        let wallet_signs = !untrack(|| self.payer.is_session());
        if wallet_signs && !auth.declined(run.creator) {
            self.payer.check_account(run.creator)?;
            for _ in 0..2 {
                let token = match auth.token(run.creator) {
                    Some(token) => token,
                    None => {
                        self.say(
                            "Sign in to the relay in your wallet: one signature lets this tab \
                             send arguments and download results for 24 hours…",
                        );
                        let say = |words| self.say(words);
                        match auth.sign_in(&self.payer.wallet, run.creator, say).await? {
                            Some(token) => token,
                            None => break,
                        }
                    }
                };
                match self
                    .keep_sending(what, wait_on, None, || send(Auth::Bearer(token.clone())))
                    .await
                {
                    Err(TaskError::Relay(e)) if e.session_ended() => auth.forget(run.creator),
                    Ok(Some(value)) => return Ok(value),
                    Ok(None) => return Err(TaskError::RelayUnavailable),
                    Err(e) => return Err(e),
                }
            }
        }
        for _ in 0..MAX_SIGNATURES {
            if wallet_signs {
                self.say(format!("Sign {what} in your wallet…"));
            }
            let timestamp = unix_seconds();
            let signature = self
                .payer
                .sign_relay(&self.profile, run.creator, &request, timestamp)
                .await?;
            let signed = Auth::Signed {
                timestamp,
                signature,
            };
            if let Some(value) = self
                .keep_sending(what, wait_on, Some(timestamp), || send(signed.clone()))
                .await?
            {
                return Ok(value);
            }
        }
        Err(TaskError::RelayUnavailable)
    }

    /// Sends with `send` until it succeeds, fails for good, or (`None`) a signature made at
    /// `signed_at` is too old to send again.
    async fn keep_sending<T, Fut>(
        &self,
        what: &str,
        wait_on: fn(&RelayError) -> bool,
        signed_at: Option<u64>,
        send: impl Fn() -> Fut,
    ) -> Result<Option<T>, TaskError>
    where
        Fut: Future<Output = Result<T, RelayError>>,
    {
        let too_old =
            || signed_at.is_some_and(|t| unix_seconds().saturating_sub(t) > SIGNATURE_REUSE_SECS);
        let mut backoff = Backoff::new(500, 4_000);
        loop {
            self.say(format!("Waiting for the relay ({what})…"));
            match send().await {
                Ok(value) => return Ok(Some(value)),
                Err(e) if e.signature_expired() && signed_at.is_some() => return Ok(None),
                Err(e) if wait_on(&e) || e.is_transient() => {
                    if self.ended() {
                        return Err(TaskError::Ended);
                    }
                    if too_old() {
                        return Ok(None);
                    }
                    self.say(format!("{e} Next try in {} s.", backoff.seconds()));
                    backoff.pause().await;
                }
                Err(e) => return Err(TaskError::Relay(e)),
            }
        }
    }
}

/// Why `cancelTask` would revert, in words, with what to do.
fn explain_cancel_refusal(revert: &Revert) -> String {
    match revert {
        Revert::Error(reason) if reason.contains("deadline") => "The chain's clock has not \
            passed the task's deadline yet. Try again in a minute."
            .to_owned(),
        Revert::Error(reason) if reason.contains("not exist") => "The task has already ended \
            on chain: there is nothing left to cancel."
            .to_owned(),
        other => format!("The Task contract refuses to cancel this task: {other}."),
    }
}
