//! The whole local network with no browser: `crynux devnet --no-app` (chain, relay,
//! simulated nodes), driven as a user would with the protocol crate: approve, createTask,
//! upload the arguments, wait for the outcome on chain, download and verify the results.
//! Then the fault modes: a cheater, three different results, two error reports, and a result
//! node that never uploads.

mod common;

use std::path::PathBuf;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use common::{eventually, free_port, fresh_dir, read_json, read_profile, Server};
use crynux_chain::Chain;
use crynux_cli::devnet::chain::DevnetAccounts;
use crynux_protocol::abi::{
    approve_calldata, balance_of_calldata, cancel_task_calldata, create_task_calldata,
    decode_uint256, encode_call, event_signatures, event_topic, TaskEvent, Token,
};
use crynux_protocol::args::{task_hash, TaskArgs, TaskType};
use crynux_protocol::hash::sha256;
use crynux_protocol::phash::phash_png;
use crynux_protocol::profile::NetworkProfile;
use crynux_protocol::results::GptResponse;
use crynux_protocol::signing::{sign_request, PrivateKey, RelayRequest, SignScheme};
use crynux_protocol::{Address, U256};
use serde_json::{json, Value};

const SD_ARGS: &str = r#"{"base_model":"runwayml/stable-diffusion-v1-5","prompt":"a red fox in the snow","task_config":{"num_images":3,"image_width":256,"image_height":256,"seed":42}}"#;
const GPT_ARGS: &str = r#"{"model":"gpt2","messages":[{"role":"user","content":"Tell me about <b>foxes</b> & snow"}],"generation_config":{"max_new_tokens":20,"num_return_sequences":2}}"#;

struct Network {
    _server: Server,
    profile: NetworkProfile,
    accounts: DevnetAccounts,
    chain: Chain,
    user: PrivateKey,
    http: reqwest::Client,
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

impl Network {
    /// `crynux devnet --no-app` with these nodes (empty: the default seven), compute time 0.
    fn start(nodes: &[&str], extra: &[&str]) -> Self {
        let state_dir: PathBuf = fresh_dir("network");
        let mut args: Vec<String> = vec![
            "devnet".into(),
            "--no-app".into(),
            "--compute-ms".into(),
            "0".into(),
            "--port".into(),
            free_port().to_string(),
            "--relay-url".into(),
            format!("http://127.0.0.1:{}", free_port()),
            "--state-dir".into(),
            state_dir.display().to_string(),
        ];
        for node in nodes {
            args.extend(["--node".into(), node.to_string()]);
        }
        args.extend(extra.iter().map(ToString::to_string));
        let server = Server::start(&args, "Crynux devnet ready at");
        let profile = read_profile(state_dir.join("network.json"));
        let accounts: DevnetAccounts = read_json(state_dir.join("accounts.json"));
        let user = PrivateKey::from_hex(&accounts.users[0].private_key).unwrap();
        let chain = Chain::new(&profile.rpc_url);
        Self {
            _server: server,
            profile,
            accounts,
            chain,
            user,
            http: reqwest::Client::new(),
        }
    }

    async fn cnx(&self, account: Address) -> U256 {
        let data = self
            .chain
            .call(
                account,
                self.profile.contracts.token,
                balance_of_calldata(account),
            )
            .await
            .unwrap();
        decode_uint256(&data).unwrap()
    }

    /// Pays for a task and uploads its arguments; returns its id and creation block.
    async fn create(&self, task_type: TaskType, args: &str) -> (u64, u64) {
        let (task_id, block) = self.pay(task_type, args).await;
        self.upload(task_id, args).await;
        (task_id, block)
    }

    /// Pays for a task; returns its id and creation block.
    async fn pay(&self, task_type: TaskType, args: &str) -> (u64, u64) {
        let c = self.profile.contracts;
        let me = self.user.address();
        self.chain
            .transact(
                me,
                Some(c.token),
                approve_calldata(c.task, self.profile.task_fee),
            )
            .await
            .unwrap();
        let vram = TaskArgs::parse(task_type, args).unwrap().default_vram_gb();
        let create = create_task_calldata(task_type.id(), task_hash(args.as_bytes()), vram);
        let receipt = self.chain.transact(me, Some(c.task), create).await.unwrap();
        let task_id = TaskEvent::decode(&receipt.logs[2])
            .unwrap()
            .unwrap()
            .task_id();
        (task_id, receipt.block_number.unwrap().as_u64())
    }

    /// Uploads a paid task's arguments.
    async fn upload(&self, task_id: u64, args: &str) {
        // The relay learns the task from the chain: retry while it says "not found".
        let request = RelayRequest::UploadArgs {
            task_id,
            task_args: args,
        };
        eventually("the relay accepting the arguments", || async {
            let ts = now();
            let signature = sign_request(&self.user, SignScheme::Raw, &request, ts).to_hex();
            let body = json!({"task_args": args, "task_id": task_id, "timestamp": ts, "signature": signature});
            let url = format!("{}{}", self.profile.relay_url, request.path());
            let answer: Value = self.http.post(url).json(&body).send().await.ok()?.json().await.ok()?;
            (answer["message"] == "success").then_some(())
        })
        .await;
    }

    /// The task's TaskSuccess or TaskAborted.
    async fn outcome(&self, task_id: u64, from: u64) -> TaskEvent {
        let topics = [
            event_topic(event_signatures::TASK_SUCCESS),
            event_topic(event_signatures::TASK_ABORTED),
        ];
        eventually("the task's outcome on chain", || async {
            let head = self.chain.block_number().await.ok()?;
            let logs = self
                .chain
                .logs(self.profile.contracts.task, &topics, from, head)
                .await
                .ok()?;
            logs.iter()
                .filter_map(TaskEvent::decode)
                .filter_map(Result::ok)
                .find(|event| event.task_id() == task_id)
        })
        .await
    }

    async fn result(&self, task_id: u64, image_num: u32) -> Option<Vec<u8>> {
        let ts = now();
        let request = RelayRequest::GetResult { task_id, image_num };
        let signature = sign_request(&self.user, SignScheme::Raw, &request, ts);
        let url = format!(
            "{}{}",
            self.profile.relay_url,
            request.signed_get_path(ts, &signature)
        );
        let response = self.http.get(url).send().await.ok()?;
        if !response.status().is_success() {
            return None;
        }
        Some(response.bytes().await.ok()?.to_vec())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn sd_and_gpt_tasks_run_at_once_to_verified_results() {
    let net = Network::start(&[], &[]);
    let before = net.cnx(net.user.address()).await;

    // Both paid before either can run (no arguments yet): the default nodes take two tasks
    // at a time, the GPT task three of the same GPU.
    let started = Instant::now();
    let (task_id, block) = net.pay(TaskType::StableDiffusion, SD_ARGS).await;
    let (gpt_id, gpt_block) = net.pay(TaskType::Gpt, GPT_ARGS).await;
    net.upload(task_id, SD_ARGS).await;
    net.upload(gpt_id, GPT_ARGS).await;
    let TaskEvent::Success { result, .. } = net.outcome(task_id, block).await else {
        panic!("SD task did not succeed")
    };
    assert_eq!(result.len(), 3 * 8, "three 8-byte pHashes on chain");
    let mut images = Vec::new();
    for n in 0..3u32 {
        let image = eventually("the result upload", || net.result(task_id, n)).await;
        assert_eq!(
            phash_png(&image).unwrap().as_slice(),
            &result[n as usize * 8..][..8],
            "image {n}"
        );
        assert_eq!(&image[16..24], &[0, 0, 1, 0, 0, 0, 1, 0], "a 256×256 PNG");
        let saved = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("network-sd-{n}.png"));
        std::fs::write(saved, &image).unwrap();
        images.push(image);
    }
    let sd_time = started.elapsed();
    assert!(
        images[0] != images[1] && images[1] != images[2],
        "each image differs"
    );

    let TaskEvent::Success { result, .. } = net.outcome(gpt_id, gpt_block).await else {
        panic!("GPT task did not succeed")
    };
    let file = eventually("the GPT result upload", || net.result(gpt_id, 0)).await;
    let gpt_time = started.elapsed();
    assert_eq!(sha256(&file).to_vec(), result);
    let reply = GptResponse::parse(&file).unwrap();
    assert_eq!(reply.choices.len(), 2, "num_return_sequences");
    assert!(
        reply
            .choices
            .iter()
            .all(|c| c.message.content.split(' ').count() <= 20),
        "max_new_tokens"
    );
    assert_eq!(
        reply.usage.total_tokens,
        reply.usage.prompt_tokens + reply.usage.completion_tokens
    );
    assert_eq!(reply.usage.prompt_tokens, 6);

    assert_eq!(
        before - net.cnx(net.user.address()).await,
        net.profile.task_fee * 2,
        "two fees paid"
    );
    let report = format!("both paid → every result downloadable, two tasks at once, compute time 0: SD 3×256² {sd_time:.2?}, GPT {gpt_time:.2?}\n");
    print!("{report}");
    std::fs::write(
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("network-times.txt"),
        report,
    )
    .unwrap();
}

#[tokio::test(flavor = "current_thread")]
async fn a_cheating_node_is_slashed_and_the_task_succeeds() {
    let net = Network::start(&["RTX 4090:24:cheat", "RTX 4090:24", "RTX 4090:24"], &[]);
    let cheater = net.accounts.spare[0].address;
    let (task_id, block) = net.create(TaskType::StableDiffusion, SD_ARGS).await;
    assert!(matches!(
        net.outcome(task_id, block).await,
        TaskEvent::Success { .. }
    ));
    let c = net.profile.contracts;
    let status = eventually("the cheater's slashing", || async {
        let data = net
            .chain
            .call(
                cheater,
                c.node,
                encode_call("getNodeStatus(address)", &[Token::Address(cheater)]),
            )
            .await
            .ok()?;
        let total = net
            .chain
            .call(cheater, c.node, encode_call("totalNodes()", &[]))
            .await
            .ok()?;
        (decode_uint256(&total).ok()? == U256::from(2)).then(|| decode_uint256(&data).unwrap())
    })
    .await;
    assert_eq!(status, U256::zero(), "the cheater is out");
    assert!(
        eventually("the results", || net.result(task_id, 0))
            .await
            .len()
            > 100
    );
}

#[tokio::test(flavor = "current_thread")]
async fn three_different_results_abort_with_a_full_refund() {
    let net = Network::start(
        &["RTX 4090:24:cheat", "RTX 4090:24:cheat", "RTX 4090:24"],
        &[],
    );
    let before = net.cnx(net.user.address()).await;
    let (task_id, block) = net.create(TaskType::StableDiffusion, SD_ARGS).await;
    let outcome = net.outcome(task_id, block).await;
    assert_eq!(
        outcome,
        TaskEvent::Aborted {
            task_id,
            reason: "Task result illegal".into()
        }
    );
    assert_eq!(net.cnx(net.user.address()).await, before, "full refund");
}

#[tokio::test(flavor = "current_thread")]
async fn two_error_reports_abort_the_task() {
    let net = Network::start(
        &["RTX 4090:24:error", "RTX 4090:24:error", "RTX 4090:24"],
        &[],
    );
    let before = net.cnx(net.user.address()).await;
    let (task_id, block) = net.create(TaskType::Gpt, GPT_ARGS).await;
    let outcome = net.outcome(task_id, block).await;
    assert_eq!(
        outcome,
        TaskEvent::Aborted {
            task_id,
            reason: "Task error reported".into()
        }
    );
    let fee_per_node = net.profile.task_fee / 3;
    assert_eq!(
        before - net.cnx(net.user.address()).await,
        fee_per_node * 2,
        "the reporters are paid"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn without_an_upload_the_creator_cancels_after_the_deadline() {
    let net = Network::start(&["RTX 4090:24:no-upload"; 3], &["--task-timeout", "30"]);
    let (task_id, block) = net.create(TaskType::StableDiffusion, SD_ARGS).await;
    assert!(matches!(
        net.outcome(task_id, block).await,
        TaskEvent::Success { .. }
    ));
    assert_eq!(net.result(task_id, 0).await, None, "nothing uploaded");
    let c = net.profile.contracts;
    // The third node discloses after TaskSuccess: wait until only the result node is busy.
    eventually("the two other nodes being paid and free", || async {
        let me = net.user.address();
        let available = net
            .chain
            .call(me, c.node, encode_call("availableNodes()", &[]))
            .await
            .ok()?;
        (decode_uint256(&available).ok()? == U256::from(2)).then_some(())
    })
    .await;
    let before = net.cnx(net.user.address()).await;
    let _: Value = net
        .chain
        .request("evm_increaseTime", json!([31]))
        .await
        .unwrap();
    let _: Value = net.chain.request("evm_mine", json!([])).await.unwrap();
    let receipt = net
        .chain
        .transact(
            net.user.address(),
            Some(c.task),
            cancel_task_calldata(task_id),
        )
        .await
        .unwrap();
    let events: Vec<TaskEvent> = receipt
        .logs
        .iter()
        .filter_map(TaskEvent::decode)
        .filter_map(Result::ok)
        .collect();
    assert_eq!(
        events,
        [TaskEvent::Aborted {
            task_id,
            reason: "Task Cancelled".into()
        }]
    );
    assert_eq!(
        net.cnx(net.user.address()).await - before,
        net.profile.task_fee / 3,
        "the result node's share"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn a_task_abandoned_before_its_upload_is_cancelled_by_its_node() {
    let net = Network::start(&[], &["--task-timeout", "2", "--cancel-grace-secs", "0"]);
    let before = net.cnx(net.user.address()).await;
    let (task_id, block) = net.pay(TaskType::StableDiffusion, SD_ARGS).await;
    assert_eq!(
        net.outcome(task_id, block).await,
        TaskEvent::Aborted {
            task_id,
            reason: "Task Cancelled".into()
        }
    );
    assert_eq!(net.cnx(net.user.address()).await, before, "all refunded");
}
