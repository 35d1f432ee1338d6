//! `crynux relay` against `crynux devnet chain`: a task created on chain is learnt from the
//! chain, its arguments are checked and stored, the nodes read them, the result node's files
//! are checked against the on-chain pHashes and served to the creator; a crash loses no
//! accepted upload, and a restart catches up on what happened while the relay was down.

mod common;

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use common::{
    devnet, devnet_on, eventually, free_port, fresh_dir, read_json, read_profile, Server,
};
use crynux_chain::Chain;
use crynux_cli::devnet::chain::DevnetAccounts;
use crynux_node::simulate;
use crynux_protocol::abi::{approve_calldata, create_task_calldata, encode_call, TaskEvent, Token};
use crynux_protocol::args::{task_hash, TaskArgs, TaskType};
use crynux_protocol::hash::keccak256;
use crynux_protocol::profile::NetworkProfile;
use crynux_protocol::signing::{sign_request, PrivateKey, RelayRequest, SignScheme};
use crynux_protocol::Address;
use serde_json::{json, Value};

const SD_ARGS: &str = r#"{"base_model":"runwayml/stable-diffusion-v1-5","prompt":"a <cat-toy> & co","task_config":{"num_images":2,"seed":7}}"#;
const GPT_ARGS: &str = r#"{"model":"gpt2","messages":[{"role":"user","content":"hello"}]}"#;

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// The relay on a free port; its base URL from the ready line.
fn start_relay(profile: &Path, data_dir: &Path) -> (Server, String) {
    let args: Vec<String> = ["relay", "--listen", "127.0.0.1:0", "--profile"]
        .iter()
        .map(ToString::to_string)
        .chain([
            profile.display().to_string(),
            "--data-dir".into(),
            data_dir.display().to_string(),
        ])
        .collect();
    let server = Server::start(&args, "Relay ready at");
    let line = server.output.last().unwrap();
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap()
        .to_owned();
    (server, url)
}

struct Client {
    http: reqwest::Client,
    url: String,
}

impl Client {
    async fn upload_args(
        &self,
        key: &PrivateKey,
        task_id: u64,
        args: &str,
        timestamp: u64,
    ) -> Value {
        let request = RelayRequest::UploadArgs {
            task_id,
            task_args: args,
        };
        let signature = sign_request(key, SignScheme::Eip191, &request, timestamp).to_hex();
        let body = json!({"task_args": args, "task_id": task_id, "timestamp": timestamp, "signature": signature});
        answer(
            self.http
                .post(format!("{}{}", self.url, request.path()))
                .json(&body),
        )
        .await
    }

    async fn task(&self, key: &PrivateKey, task_id: u64) -> Value {
        let ts = now();
        let request = RelayRequest::GetTask { task_id };
        let signature = sign_request(key, SignScheme::Raw, &request, ts);
        let url = format!("{}{}", self.url, request.signed_get_path(ts, &signature));
        answer(self.http.get(url)).await
    }

    async fn upload_results(&self, key: &PrivateKey, task_id: u64, files: &[Vec<u8>]) -> Value {
        let ts = now();
        let request = RelayRequest::UploadResults { task_id };
        let mut form = reqwest::multipart::Form::new()
            .text("timestamp", ts.to_string())
            .text(
                "signature",
                sign_request(key, SignScheme::Raw, &request, ts).to_hex(),
            );
        for (n, file) in files.iter().enumerate() {
            form = form.part(
                "images",
                reqwest::multipart::Part::bytes(file.clone()).file_name(format!("{n}.png")),
            );
        }
        let url = format!("{}{}", self.url, request.path());
        answer(self.http.post(url).multipart(form)).await
    }

    /// `image_num` as written into the path, hostile values included.
    async fn result(&self, key: &PrivateKey, task_id: u64, image_num: &str) -> (u16, Vec<u8>) {
        let ts = now();
        let n = image_num.parse().unwrap_or(0);
        let request = RelayRequest::GetResult {
            task_id,
            image_num: n,
        };
        let signature = sign_request(key, SignScheme::Raw, &request, ts).to_hex();
        let url = format!("{}/v1/inference_tasks/{task_id}/results/{image_num}?timestamp={ts}&signature={signature}", self.url);
        let response = self.http.get(url).send().await.unwrap();
        (
            response.status().as_u16(),
            response.bytes().await.unwrap().to_vec(),
        )
    }
}

fn error_of(answer: &Value) -> (&str, &str) {
    (
        answer["data"]["field_name"].as_str().unwrap_or_default(),
        answer["data"]["message"].as_str().unwrap_or_default(),
    )
}

fn key(hex: &str) -> PrivateKey {
    PrivateKey::from_hex(hex).unwrap()
}

#[tokio::test(flavor = "current_thread")]
async fn a_task_goes_from_chain_to_results_through_the_relay() {
    let (_chain_server, state_dir) = devnet(&["--users", "2"]);
    let profile_path: PathBuf = state_dir.join("network.json");
    let profile = read_profile(profile_path.clone());
    let accounts: DevnetAccounts = read_json(state_dir.join("accounts.json"));
    let chain = Chain::new(&profile.rpc_url);
    let c = profile.contracts;
    let data_dir = fresh_dir("relay-data");
    let (mut relay, url) = start_relay(&profile_path, &data_dir);
    let client = Client {
        http: reqwest::Client::new(),
        url,
    };

    // Three nodes join; the user pays for an SD task.
    let deployer = accounts.deployer.address;
    let nodes: Vec<Address> = accounts.spare[..3].iter().map(|a| a.address).collect();
    common::join_nodes(&chain, &c, deployer, &nodes).await;
    let user = key(&accounts.users[0].private_key);
    let other_user = key(&accounts.users[1].private_key);
    chain
        .transact(
            user.address(),
            Some(c.token),
            approve_calldata(c.task, profile.task_fee * 2),
        )
        .await
        .unwrap();
    let create = create_task_calldata(0, task_hash(SD_ARGS.as_bytes()), 8);
    let receipt = chain
        .transact(user.address(), Some(c.task), create)
        .await
        .unwrap();
    let created: Vec<TaskEvent> = receipt
        .logs
        .iter()
        .filter_map(TaskEvent::decode)
        .map(Result::unwrap)
        .collect();
    let task_id = created[0].task_id();
    let mut selected = [Address::zero(); 3];
    for event in &created {
        if let TaskEvent::Created {
            round,
            selected_node,
            ..
        } = event
        {
            selected[*round as usize] = *selected_node;
        }
    }
    let node_key = |address: Address| {
        key(&accounts
            .spare
            .iter()
            .find(|a| a.address == address)
            .unwrap()
            .private_key)
    };

    // The relay learns the task from the chain: until then, "Task not found".
    eventually("the relay learning the task", || async {
        let answer = client.task(&user, task_id).await;
        (answer["message"] == "success").then_some(())
    })
    .await;

    // Every refusal on real chain data, then the upload.
    let answer = client
        .upload_args(&other_user, task_id, SD_ARGS, now())
        .await;
    assert_eq!(error_of(&answer), ("signature", "Signer not allowed"));
    let answer = client
        .upload_args(&user, task_id, SD_ARGS, now() - 120)
        .await;
    assert_eq!(error_of(&answer), ("timestamp", "Timestamp expired"));
    let answer = client
        .upload_args(&user, task_id, &SD_ARGS.replace("co\"", "co!\""), now())
        .await;
    assert_eq!(error_of(&answer), ("task_hash", "Task hash mismatch"));
    let answer = client
        .upload_args(&user, task_id, r#"{"prompt":"x"}"#, now())
        .await;
    assert_eq!(error_of(&answer).0, "task_args");
    assert!(
        error_of(&answer).1.contains("/base_model: is required"),
        "{answer}"
    );
    let answer = client.upload_args(&user, task_id, SD_ARGS, now()).await;
    assert_eq!(answer["data"]["status"], 1, "{answer}");

    // A crash right after the acknowledgement loses nothing.
    relay.crash();
    let (restarted, url) = start_relay(&profile_path, &data_dir);
    relay = restarted;
    let client = Client { url, ..client };
    let answer = client.upload_args(&user, task_id, SD_ARGS, now()).await;
    assert_eq!(error_of(&answer), ("task_id", "Task already uploaded"));
    // A selected node reads the exact string.
    let answer = client.task(&node_key(selected[1]), task_id).await;
    assert_eq!(answer["data"]["task_args"], SD_ARGS);

    // The nodes agree on the two images a node draws; the result node uploads them.
    let args = TaskArgs::parse(TaskType::StableDiffusion, SD_ARGS).unwrap();
    let simulate::Output {
        files,
        onchain: result,
    } = simulate::run(&args, b"").unwrap();
    for (round, &node) in selected.iter().enumerate() {
        let nonce = keccak256(&[round as u8, 42]);
        let commitment = keccak256(&[result.as_slice(), &nonce].concat());
        let args = [
            Token::Uint(task_id.into()),
            Token::Uint(round.into()),
            Token::FixedBytes(commitment.to_vec()),
            Token::FixedBytes(nonce.to_vec()),
        ];
        let commit = encode_call(
            "submitTaskResultCommitment(uint256,uint256,bytes32,bytes32)",
            &args,
        );
        chain.transact(node, Some(c.task), commit).await.unwrap();
    }
    for (round, &node) in selected.iter().enumerate().take(2) {
        let args = [
            Token::Uint(task_id.into()),
            Token::Uint(round.into()),
            Token::Bytes(result.clone()),
        ];
        chain
            .transact(
                node,
                Some(c.task),
                encode_call("discloseTaskResult(uint256,uint256,bytes)", &args),
            )
            .await
            .unwrap();
    }
    let result_node = node_key(selected[0]);
    eventually("the relay seeing TaskSuccess", || async {
        (client.task(&user, task_id).await["data"]["status"] == 3).then_some(())
    })
    .await;
    let (status, _) = client.result(&user, task_id, "0").await;
    assert_eq!(status, 400, "no results before the upload");
    let answer = client
        .upload_results(&node_key(selected[1]), task_id, &files)
        .await;
    assert_eq!(error_of(&answer), ("signature", "Signer not allowed"));
    let answer = client
        .upload_results(&result_node, task_id, &[files[1].clone(), files[0].clone()])
        .await;
    assert_eq!(error_of(&answer).0, "images");
    let answer = client.upload_results(&result_node, task_id, &files).await;
    assert_eq!(answer["message"], "success", "{answer}");

    for (n, file) in files.iter().enumerate() {
        assert_eq!(
            client.result(&user, task_id, &n.to_string()).await,
            (200, file.clone())
        );
    }
    let (status, body) = client
        .result(&user, task_id, "..%2F..%2Frelay.sqlite")
        .await;
    assert_eq!(status, 400, "{}", String::from_utf8_lossy(&body));
    assert_eq!(client.result(&other_user, task_id, "0").await.0, 400);

    // The third node discloses and the result node reports the upload: all three are free.
    let args = [
        Token::Uint(task_id.into()),
        Token::Uint(2.into()),
        Token::Bytes(result.clone()),
    ];
    let disclose = encode_call("discloseTaskResult(uint256,uint256,bytes)", &args);
    chain
        .transact(selected[2], Some(c.task), disclose)
        .await
        .unwrap();
    let args = [Token::Uint(task_id.into()), Token::Uint(0.into())];
    let uploaded = encode_call("reportResultsUploaded(uint256,uint256)", &args);
    chain
        .transact(selected[0], Some(c.task), uploaded)
        .await
        .unwrap();

    // While the relay is down a GPT task is created; the restarted relay catches up.
    relay.stop();
    let gpt = chain
        .transact(
            user.address(),
            Some(c.task),
            create_task_calldata(1, task_hash(GPT_ARGS.as_bytes()), 8),
        )
        .await
        .unwrap();
    let gpt_id = TaskEvent::decode(&gpt.logs[2]).unwrap().unwrap().task_id();
    let (_relay, url) = start_relay(&profile_path, &data_dir);
    let client = Client { url, ..client };
    let answer = eventually("the restarted relay catching up", || async {
        let answer = client.upload_args(&user, gpt_id, GPT_ARGS, now()).await;
        (answer["message"] == "success").then_some(answer)
    })
    .await;
    assert_eq!(answer["data"]["task_type"], 1);
    // What was done before the restart is as it was: nothing re-applied over it.
    let first = client.task(&user, task_id).await;
    assert_eq!(
        (
            first["data"]["status"].as_u64(),
            first["data"]["result_count"].as_u64()
        ),
        (Some(4), Some(2))
    );
    let health: Value = reqwest::get(&client.url)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let head = chain.block_number().await.unwrap();
    let last = health["data"]["last_block"].as_u64().unwrap();
    assert!(
        last >= gpt.block_number.unwrap().as_u64() && last <= head,
        "{last} vs head {head}"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn the_relay_waits_out_a_chain_that_is_down_and_catches_up() {
    // The devnet's contracts are at fixed addresses: a profile can name a chain not yet up.
    let port = free_port();
    let shipped = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../public/networks/devnet.json"
    );
    let mut profile =
        NetworkProfile::from_json(&std::fs::read_to_string(shipped).unwrap()).unwrap();
    profile.rpc_url = format!("http://127.0.0.1:{port}");
    let dir = fresh_dir("relay-down");
    std::fs::create_dir_all(&dir).unwrap();
    let profile_path = dir.join("network.json");
    std::fs::write(&profile_path, serde_json::to_string(&profile).unwrap()).unwrap();
    let (_relay, url) = start_relay(&profile_path, &dir.join("data"));
    let health = || async {
        reqwest::get(&url)
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()
    };
    assert_eq!(
        health().await["data"]["last_block"],
        Value::Null,
        "nothing applied without a chain"
    );

    let (_chain, _) = devnet_on(port, &[]);
    let head = Chain::new(&profile.rpc_url).block_number().await.unwrap();
    eventually("the relay reaching the chain head", || async {
        (health().await["data"]["last_block"].as_u64() == Some(head)).then_some(())
    })
    .await;
}

/// Sends `request`; the relay's JSON answer.
async fn answer(request: reqwest::RequestBuilder) -> Value {
    request.send().await.unwrap().json().await.unwrap()
}
