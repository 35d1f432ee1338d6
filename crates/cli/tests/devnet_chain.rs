//! `crynux devnet chain` against a real anvil: what it prints and writes is what the chain
//! holds, the contracts are wired, and a whole task runs through them. Prints the gas of each
//! step and writes it to `target/tmp/devnet-gas.txt`.

mod common;

use std::path::PathBuf;

use crynux_chain::{Chain, ChainError};
use crynux_cli::devnet::chain::DevnetAccounts;
use crynux_protocol::abi::{
    allowance_calldata, approve_calldata, balance_of_calldata, cancel_task_calldata,
    create_task_calldata, decode_uint256, encode_call, Revert, TaskEvent, Token,
};
use crynux_protocol::args::{task_hash, TaskArgs, TaskType};
use crynux_protocol::hash::keccak256;
use crynux_protocol::profile::NetworkProfile;
use crynux_protocol::{Address, U256};
use ethers_core::types::TransactionReceipt;
use serde_json::json;

const CNX: u64 = 1_000_000_000_000_000_000;

async fn uint(chain: &Chain, to: Address, data: Vec<u8>) -> U256 {
    decode_uint256(&chain.call(Address::zero(), to, data).await.unwrap()).unwrap()
}

async fn revert_reason(chain: &Chain, from: Address, to: Address, data: Vec<u8>) -> String {
    match chain.call(from, to, data).await {
        Err(ChainError::Reverted(Revert::Error(reason))) => reason,
        other => panic!("expected a revert, got {other:?}"),
    }
}

fn task_events(receipt: &TransactionReceipt, task: Address) -> Vec<TaskEvent> {
    receipt
        .logs
        .iter()
        .filter(|log| log.address == task)
        .filter_map(TaskEvent::decode)
        .map(Result::unwrap)
        .collect()
}

#[tokio::test(flavor = "current_thread")]
async fn the_devnet_chain_is_set_up_as_printed_and_runs_a_task() {
    let (mut devnet, state_dir) = common::devnet(&[
        "--users",
        "2",
        "--fee-per-node",
        "5",
        "--task-timeout",
        "60",
    ]);
    let profile = common::read_profile(state_dir.join("network.json"));
    let accounts: DevnetAccounts = common::read_json(state_dir.join("accounts.json"));
    let chain = Chain::new(&profile.rpc_url);
    let c = profile.contracts;

    // The profile and the printed facts are what the chain holds.
    assert_eq!(chain.chain_id().await.unwrap(), profile.chain_id);
    assert_eq!(profile.task_fee, U256::from(15) * CNX);
    assert_eq!(profile.task_timeout_secs, 60);
    assert_eq!(accounts.users.len(), 2);
    for account in accounts
        .users
        .iter()
        .chain([&accounts.deployer])
        .chain(&accounts.spare)
    {
        assert_eq!(
            uint(&chain, c.token, balance_of_calldata(account.address)).await,
            account.cnx
        );
        let allowance = uint(&chain, c.token, allowance_calldata(account.address, c.task)).await;
        assert_eq!(allowance, account.cnx_allowance_to_task);
        assert_eq!(chain.balance(account.address).await.unwrap(), account.eth);
        let printed = devnet
            .output
            .iter()
            .any(|l| l.contains(&account.private_key));
        assert!(printed, "{} not printed", account.private_key);
    }
    assert!(accounts
        .users
        .iter()
        .all(|u| u.cnx == U256::from(1000) * CNX));
    assert!(accounts
        .spare
        .iter()
        .all(|s| s.cnx.is_zero() && !s.eth.is_zero()));

    // The DApp's shipped profile names the contracts this command deploys.
    let shipped = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../public/networks/devnet.json"
    ));
    let shipped = NetworkProfile::from_json(&shipped.unwrap()).unwrap();
    assert_eq!(
        (shipped.contracts, shipped.deployment_block),
        (c, profile.deployment_block)
    );

    // Wiring: Node obeys only the Task contract, and Task reads our CNX.
    let spare = accounts.spare[0].address;
    let start = encode_call("startTask(address)", &[Token::Address(spare)]);
    assert_eq!(
        revert_reason(&chain, c.task, c.node, start.clone()).await,
        "Node is not available"
    );
    assert_eq!(
        revert_reason(&chain, spare, c.node, start).await,
        "Not called by the task contract"
    );
    let user = accounts.users[0].address;
    let create = create_task_calldata(0, [1; 32], 0);
    assert_eq!(
        revert_reason(&chain, user, c.task, create.clone()).await,
        "Not enough allowance for task"
    );
    assert_eq!(
        revert_reason(&chain, spare, c.task, create.clone()).await,
        "Not enough tokens for task"
    );

    // A whole task: three nodes join, a user pays, commits, disclosures, upload report.
    let mut gas = Vec::new();
    let nodes: Vec<Address> = accounts.spare[..3].iter().map(|a| a.address).collect();
    let deployer = accounts.deployer.address;
    gas.extend(common::join_nodes(&chain, &c, deployer, &nodes).await);
    assert_eq!(
        revert_reason(&chain, user, c.task, create).await,
        "Not enough allowance for task"
    );
    let r = chain
        .transact(
            user,
            Some(c.token),
            approve_calldata(c.task, profile.task_fee * 3),
        )
        .await
        .unwrap();
    gas.push(("user: approve", r.gas_used.unwrap()));

    let args = TaskArgs::parse(
        TaskType::StableDiffusion,
        r#"{"base_model":"runwayml/stable-diffusion-v1-5","prompt":"a <red> cat & a dog","task_config":{"num_images":2}}"#,
    )
    .unwrap();
    let hash = task_hash(args.to_json().as_bytes());
    let before = uint(&chain, c.token, balance_of_calldata(user)).await;
    let receipt = chain
        .transact(
            user,
            Some(c.task),
            create_task_calldata(0, hash, args.default_vram_gb()),
        )
        .await
        .unwrap();
    gas.push(("user: createTask (SD)", receipt.gas_used.unwrap()));
    assert_eq!(receipt.logs.len(), 5, "Approval, Transfer, 3 × TaskCreated");
    let created = task_events(&receipt, c.task);
    let mut selected = vec![Address::zero(); 3];
    let mut task_id = 0;
    for event in &created {
        let TaskEvent::Created {
            task_id: id,
            task_type,
            creator,
            selected_node,
            task_hash: h,
            round,
            ..
        } = event
        else {
            panic!("{event:?}")
        };
        assert_eq!((*task_type, *creator, h.0), (0, user, hash));
        selected[*round as usize] = *selected_node;
        task_id = *id;
    }
    let mut sorted = selected.clone();
    sorted.sort();
    let mut expected = nodes.clone();
    expected.sort();
    assert_eq!(sorted, expected, "the three joined nodes, one per round");
    assert_eq!(
        before - uint(&chain, c.token, balance_of_calldata(user)).await,
        profile.task_fee
    );

    // Two 8-byte pHashes per node; all agree.
    let result = hex::decode("0102030405060708a1a2a3a4a5a6a7a8").unwrap();
    let mut commit_receipt = None;
    for (round, &node) in selected.iter().enumerate() {
        let nonce = keccak256(&[round as u8]);
        let commitment = keccak256(&[result.as_slice(), &nonce].concat());
        let commit = encode_call(
            "submitTaskResultCommitment(uint256,uint256,bytes32,bytes32)",
            &[
                Token::Uint(task_id.into()),
                Token::Uint(round.into()),
                Token::FixedBytes(commitment.to_vec()),
                Token::FixedBytes(nonce.to_vec()),
            ],
        );
        let r = chain.transact(node, Some(c.task), commit).await.unwrap();
        gas.push(("node: submitTaskResultCommitment", r.gas_used.unwrap()));
        commit_receipt = Some(r);
    }
    let ready = task_events(&commit_receipt.unwrap(), c.task);
    assert_eq!(ready, [TaskEvent::ResultCommitmentsReady { task_id }]);
    let mut success = Vec::new();
    for (round, &node) in selected.iter().enumerate() {
        let disclose = encode_call(
            "discloseTaskResult(uint256,uint256,bytes)",
            &[
                Token::Uint(task_id.into()),
                Token::Uint(round.into()),
                Token::Bytes(result.clone()),
            ],
        );
        let r = chain.transact(node, Some(c.task), disclose).await.unwrap();
        gas.push(("node: discloseTaskResult", r.gas_used.unwrap()));
        success.extend(task_events(&r, c.task));
    }
    assert_eq!(
        success,
        [TaskEvent::Success {
            task_id,
            result: result.clone(),
            result_node: selected[0]
        }]
    );
    let uploaded = encode_call(
        "reportResultsUploaded(uint256,uint256)",
        &[Token::Uint(task_id.into()), Token::Uint(0.into())],
    );
    let r = chain
        .transact(selected[0], Some(c.task), uploaded)
        .await
        .unwrap();
    gas.push(("node: reportResultsUploaded", r.gas_used.unwrap()));
    for &node in &nodes {
        assert_eq!(
            uint(&chain, c.token, balance_of_calldata(node)).await,
            U256::from(5) * CNX,
            "paid its share"
        );
    }

    // GPT picks three nodes of one GPU model; then cancel after the 60 s deadline refunds.
    let gpt = chain
        .transact(user, Some(c.task), create_task_calldata(1, [2; 32], 8))
        .await
        .unwrap();
    gas.push(("user: createTask (GPT)", gpt.gas_used.unwrap()));
    let gpt_id = task_events(&gpt, c.task)[0].task_id();
    let before = uint(&chain, c.token, balance_of_calldata(user)).await;
    let early = revert_reason(&chain, user, c.task, cancel_task_calldata(gpt_id)).await;
    assert_eq!(early, "Task has not exceeded the deadline yet");
    let _: serde_json::Value = chain
        .request("evm_increaseTime", json!([61]))
        .await
        .unwrap();
    let _: serde_json::Value = chain.request("evm_mine", json!([])).await.unwrap();
    let cancelled = chain
        .transact(user, Some(c.task), cancel_task_calldata(gpt_id))
        .await
        .unwrap();
    gas.push(("user: cancelTask", cancelled.gas_used.unwrap()));
    assert_eq!(
        task_events(&cancelled, c.task),
        [TaskEvent::Aborted {
            task_id: gpt_id,
            reason: "Task Cancelled".into()
        }]
    );
    assert_eq!(
        uint(&chain, c.token, balance_of_calldata(user)).await - before,
        profile.task_fee
    );

    let report: String = gas
        .iter()
        .map(|(what, used)| format!("{what:<36} {used:>9}\n"))
        .collect();
    println!("gas used on anvil:\n{report}");
    std::fs::write(
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("devnet-gas.txt"),
        report,
    )
    .unwrap();

    // SIGTERM stops the command and anvil with it.
    assert!(devnet.stop().success());
    assert!(
        chain.chain_id().await.is_err(),
        "anvil still answers after the stop"
    );
}
