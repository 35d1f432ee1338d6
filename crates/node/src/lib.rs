//! Simulated GPU nodes for the local network. A node joins the Node contract, watches for
//! the tasks it is selected for, fetches their arguments from the relay, "runs" them
//! ([`simulate`]), commits, discloses, and, as the result node, uploads the files and reports
//! it. Fault modes make a node misbehave on purpose, for tests and demos.

pub mod simulate;

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crynux_chain::{Chain, ChainError};
use crynux_protocol::abi::{
    approve_calldata, cancel_task_calldata, encode_call, event_signatures, event_topic, TaskEvent,
    Token,
};
use crynux_protocol::args::{TaskArgs, TaskType};
use crynux_protocol::hash::keccak256;
use crynux_protocol::profile::NetworkProfile;
use crynux_protocol::signing::{sign_request, PrivateKey, RelayRequest, SignScheme, Signature};
use crynux_protocol::{to_checksum, Address, U256};
use serde_json::Value;

/// How a node misbehaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Does everything right.
    Honest,
    /// Reports a task error instead of running the task.
    Error,
    /// Commits and discloses a different result.
    Cheat,
    /// As the result node, never uploads the files (nor reports them).
    NoUpload,
    /// Stops answering after its commitment: never discloses.
    Offline,
    /// Takes five times the compute time, plus two seconds.
    Slow,
}

impl FromStr for Fault {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "honest" | "none" => Self::Honest,
            "error" => Self::Error,
            "cheat" => Self::Cheat,
            "no-upload" => Self::NoUpload,
            "offline" => Self::Offline,
            "slow" => Self::Slow,
            other => {
                return Err(format!(
                    "unknown fault {other:?}: use honest, error, cheat, no-upload, offline or slow"
                ))
            }
        })
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Honest => "honest",
            Self::Error => "error",
            Self::Cheat => "cheat",
            Self::NoUpload => "no-upload",
            Self::Offline => "offline",
            Self::Slow => "slow",
        })
    }
}

/// One simulated node.
pub struct NodeConfig {
    /// Its account (anvil dev accounts on the devnet: the chain holds their keys).
    pub key: PrivateKey,
    /// GPU model name.
    pub gpu_name: String,
    /// GPU memory in GB.
    pub gpu_vram: u64,
    /// How it misbehaves.
    pub fault: Fault,
}

/// The stake the Node contract takes.
pub fn stake() -> U256 {
    U256::exp10(18) * 400
}

/// Joins the node unless it already has (approving the stake first). The account must hold
/// the 400 CNX stake.
pub async fn join(
    chain: &Chain,
    profile: &NetworkProfile,
    node: &NodeConfig,
) -> Result<(), String> {
    let me = node.key.address();
    let c = profile.contracts;
    let status = chain
        .call(
            me,
            c.node,
            encode_call("getNodeStatus(address)", &[Token::Address(me)]),
        )
        .await
        .map_err(|e| e.to_string())?;
    if status.iter().any(|&b| b != 0) {
        return Ok(());
    }
    chain
        .transact(me, Some(c.token), approve_calldata(c.node, stake()))
        .await
        .map_err(|e| e.to_string())?;
    let gpu = [
        Token::String(node.gpu_name.clone()),
        Token::Uint(node.gpu_vram.into()),
    ];
    chain
        .transact(me, Some(c.node), encode_call("join(string,uint256)", &gpu))
        .await
        .map_err(|e| e.to_string())?;
    Ok(())
}

/// What a node has seen of a task on chain.
#[derive(Debug, Clone, Default)]
struct TaskState {
    ready: bool,
    success: Option<Address>,
    aborted: bool,
}

struct Shared {
    chain: Chain,
    profile: NetworkProfile,
    http: reqwest::Client,
    compute: Duration,
    cancel_grace: Duration,
    tasks: Mutex<HashMap<u64, TaskState>>,
}

const POLL: Duration = Duration::from_millis(100);

/// Gas limit of a node's Task calls. A node cannot know whether its call will be the one that
/// settles the task (pays, slashes, refunds, deletes: up to ~750 k gas) until it is mined, so
/// it never relies on an estimate. Unused gas is not paid for.
const NODE_CALL_GAS: u64 = 2_000_000;

/// Runs the nodes (already joined) until the future is dropped: follows the Task contract
/// from the current block and works on every task one of them is selected for, taking
/// `compute` per task. A task still open `cancel_grace` after its deadline (its creator never
/// uploaded the arguments, or its results never came) is cancelled by its first node, which
/// frees the nodes and refunds the creator.
pub async fn run(
    profile: NetworkProfile,
    nodes: Vec<NodeConfig>,
    compute: Duration,
    cancel_grace: Duration,
) -> Result<(), String> {
    let chain = Chain::new(&profile.rpc_url);
    let shared = Arc::new(Shared {
        chain: chain.clone(),
        profile,
        http: reqwest::Client::new(),
        compute,
        cancel_grace,
        tasks: Mutex::new(HashMap::new()),
    });
    let nodes: HashMap<Address, Arc<NodeConfig>> = nodes
        .into_iter()
        .map(|n| (n.key.address(), Arc::new(n)))
        .collect();
    let topics = [
        event_signatures::TASK_CREATED,
        event_signatures::TASK_RESULT_COMMITMENTS_READY,
        event_signatures::TASK_SUCCESS,
        event_signatures::TASK_ABORTED,
    ]
    .map(event_topic);
    let mut next = chain.block_number().await.map_err(|e| e.to_string())?;
    loop {
        let head = match chain.block_number().await {
            Ok(head) => head,
            Err(e) => {
                eprintln!("nodes: {e}");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if head >= next {
            match chain
                .logs(shared.profile.contracts.task, &topics, next, head)
                .await
            {
                Ok(logs) => {
                    for event in logs
                        .iter()
                        .filter_map(TaskEvent::decode)
                        .filter_map(Result::ok)
                    {
                        shared.note(&event);
                        if let TaskEvent::Created {
                            task_id,
                            task_type,
                            selected_node,
                            round,
                            ..
                        } = event
                        {
                            if let Some(node) = nodes.get(&selected_node).filter(|_| round == 0) {
                                let (shared, node) = (shared.clone(), node.clone());
                                tokio::spawn(async move {
                                    shared.cancel_when_abandoned(&node, task_id).await
                                });
                            }
                            if let Some(node) = nodes.get(&selected_node) {
                                let (shared, node) = (shared.clone(), node.clone());
                                tokio::spawn(async move {
                                    if let Err(e) =
                                        shared.work(&node, task_id, task_type, round).await
                                    {
                                        let who = to_checksum(&node.key.address(), None);
                                        eprintln!("node {who}: task {task_id}: {e}");
                                    }
                                });
                            }
                        }
                    }
                    next = head + 1;
                }
                Err(e) => eprintln!("nodes: {e}"),
            }
        }
        tokio::time::sleep(POLL).await;
    }
}

impl Shared {
    fn note(&self, event: &TaskEvent) {
        let mut tasks = self.tasks.lock().unwrap_or_else(|p| p.into_inner());
        let state = tasks.entry(event.task_id()).or_default();
        match event {
            TaskEvent::Created { .. } => {}
            TaskEvent::ResultCommitmentsReady { .. } => state.ready = true,
            TaskEvent::Success { result_node, .. } => state.success = Some(*result_node),
            TaskEvent::Aborted { .. } => state.aborted = true,
        }
    }

    /// Waits until `done` holds for the task's state, or the task is aborted (`None`).
    async fn wait(&self, task_id: u64, done: impl Fn(&TaskState) -> bool) -> Option<TaskState> {
        loop {
            let state = self
                .tasks
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get(&task_id)
                .cloned()
                .unwrap_or_default();
            if state.aborted {
                return None;
            }
            if done(&state) {
                return Some(state);
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Cancels the task once it is `cancel_grace` past its deadline, unless it ended. The
    /// contract refuses a cancellation before the deadline (the chain's clock may lag a
    /// little: tried again) and of a task that ended (nothing to do).
    async fn cancel_when_abandoned(&self, node: &NodeConfig, task_id: u64) {
        let timeout = Duration::from_secs(self.profile.task_timeout_secs);
        tokio::time::sleep(timeout + self.cancel_grace).await;
        let task = self.profile.contracts.task;
        for _ in 0..10 {
            let cancel = cancel_task_calldata(task_id);
            match self
                .chain
                .transact(node.key.address(), Some(task), cancel)
                .await
            {
                Err(ChainError::Reverted(revert)) if revert.to_string().contains("deadline") => {
                    tokio::time::sleep(Duration::from_secs(1)).await
                }
                Ok(_) => {
                    let who = to_checksum(&node.key.address(), None);
                    return println!(
                        "node {who}: cancelled task {task_id}, abandoned past its deadline"
                    );
                }
                // It ended (or the chain is gone): nothing to cancel.
                Err(_) => return,
            }
        }
    }

    /// Sends a Task contract call; retried a few times unless it reverts (a revert is an
    /// answer, the rest are accidents: an unreachable chain, gas).
    async fn send(&self, node: &NodeConfig, signature: &str, args: &[Token]) -> Result<(), String> {
        let data = encode_call(signature, args);
        let mut attempt = 0;
        loop {
            let task = Some(self.profile.contracts.task);
            let gas = NODE_CALL_GAS.into();
            let sent = self
                .chain
                .transact_with_gas(node.key.address(), task, data.clone(), gas)
                .await;
            match sent {
                Ok(_) => return Ok(()),
                Err(e @ ChainError::Reverted(_)) => return Err(format!("{signature}: {e}")),
                Err(e) if attempt == 3 => return Err(format!("{signature}: {e}")),
                Err(_) => attempt += 1,
            }
            tokio::time::sleep(POLL * attempt).await;
        }
    }

    async fn work(
        &self,
        node: &NodeConfig,
        task_id: u64,
        task_type: u64,
        round: u64,
    ) -> Result<(), String> {
        let id_round = [Token::Uint(task_id.into()), Token::Uint(round.into())];
        let Some(text) = self.fetch_args(node, task_id).await? else {
            return Ok(());
        };
        // Each cheater lies differently: two cheaters never agree with each other.
        let salt = if node.fault == Fault::Cheat {
            node.key.address().as_bytes().to_vec()
        } else {
            Vec::new()
        };
        let output = TaskType::from_id(task_type)
            .ok_or_else(|| format!("unknown task type {task_type}"))
            .and_then(|t| TaskArgs::parse(t, &text).map_err(|e| e.to_string()))
            .and_then(|args| simulate::run(&args, &salt));
        let compute = match node.fault {
            Fault::Slow => self.compute * 5 + Duration::from_secs(2),
            _ => self.compute,
        };
        tokio::time::sleep(compute).await;
        let output = match (node.fault, output) {
            (Fault::Error, _) | (_, Err(_)) => {
                return self
                    .send(node, "reportTaskError(uint256,uint256)", &id_round)
                    .await;
            }
            (_, Ok(output)) => output,
        };

        let nonce = keccak256(format!("{}:{task_id}:{round}", node.key.to_hex()).as_bytes());
        let commitment = keccak256(&[output.onchain.as_slice(), &nonce].concat());
        let mut commit = id_round.to_vec();
        commit.extend([
            Token::FixedBytes(commitment.to_vec()),
            Token::FixedBytes(nonce.to_vec()),
        ]);
        self.send(
            node,
            "submitTaskResultCommitment(uint256,uint256,bytes32,bytes32)",
            &commit,
        )
        .await?;
        if node.fault == Fault::Offline || self.wait(task_id, |s| s.ready).await.is_none() {
            return Ok(());
        }
        let mut disclose = id_round.to_vec();
        disclose.push(Token::Bytes(output.onchain.clone()));
        self.send(node, "discloseTaskResult(uint256,uint256,bytes)", &disclose)
            .await?;

        let Some(state) = self.wait(task_id, |s| s.success.is_some()).await else {
            return Ok(());
        };
        if state.success == Some(node.key.address()) && node.fault != Fault::NoUpload {
            self.upload(node, task_id, output.files).await?;
            self.send(node, "reportResultsUploaded(uint256,uint256)", &id_round)
                .await?;
        }
        Ok(())
    }

    fn signed(&self, node: &NodeConfig, request: &RelayRequest<'_>) -> (u64, Signature) {
        let timestamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        (
            timestamp,
            sign_request(&node.key, SignScheme::Raw, request, timestamp),
        )
    }

    /// The arguments from the relay, once the creator has uploaded them; `None` if the task
    /// is aborted first.
    async fn fetch_args(&self, node: &NodeConfig, task_id: u64) -> Result<Option<String>, String> {
        loop {
            let request = RelayRequest::GetTask { task_id };
            let (timestamp, signature) = self.signed(node, &request);
            let url = format!(
                "{}{}",
                self.profile.relay_url,
                request.signed_get_path(timestamp, &signature)
            );
            let answer: Option<Value> = match self.http.get(url).send().await {
                Ok(response) => response.json().await.ok(),
                Err(_) => None,
            };
            if let Some(answer) = answer {
                if let Some(args) = answer["data"]["task_args"].as_str() {
                    return Ok(Some(args.to_owned()));
                }
                if answer["data"]["status"] == 2 {
                    return Ok(None);
                }
            }
            let aborted = self
                .tasks
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get(&task_id)
                .is_some_and(|s| s.aborted);
            if aborted {
                return Ok(None);
            }
            tokio::time::sleep(POLL * 2).await;
        }
    }

    /// Uploads the result files, retrying while the relay has not seen `TaskSuccess` yet.
    async fn upload(
        &self,
        node: &NodeConfig,
        task_id: u64,
        files: Vec<Vec<u8>>,
    ) -> Result<(), String> {
        let request = RelayRequest::UploadResults { task_id };
        let url = format!("{}{}", self.profile.relay_url, request.path());
        let mut last = String::new();
        for _ in 0..100 {
            let (timestamp, signature) = self.signed(node, &request);
            let mut form = reqwest::multipart::Form::new()
                .text("timestamp", timestamp.to_string())
                .text("signature", signature.to_hex());
            for (n, file) in files.iter().enumerate() {
                form = form.part(
                    "images",
                    reqwest::multipart::Part::bytes(file.clone()).file_name(n.to_string()),
                );
            }
            match self.http.post(&url).multipart(form).send().await {
                Ok(response) => {
                    let answer: Value = response.json().await.unwrap_or_default();
                    if answer["message"] == "success" {
                        return Ok(());
                    }
                    last = answer.to_string();
                }
                Err(e) => last = e.to_string(),
            }
            tokio::time::sleep(POLL * 2).await;
        }
        Err(format!("uploading the results failed: {last}"))
    }
}
