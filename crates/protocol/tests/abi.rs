//! Calldata, event logs and revert data against encodings made by foundry's `cast`.

use crynux_protocol::abi::*;
use crynux_protocol::{Address, Log, H256, U256};

fn address(hex: &str) -> Address {
    hex.parse().unwrap()
}

fn bytes(hex: &str) -> Vec<u8> {
    hex::decode(hex.trim_start_matches("0x")).unwrap()
}

const USER: &str = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
const TASK: &str = "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0";
const NODE: &str = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const TASK_HASH: &str = "2d45570f670b27ee07c909e6c368004a1a863e1b8df76546426399918f27f855";

fn topic_of(address: Address) -> H256 {
    H256::from(address)
}

fn log(topics: Vec<H256>, data: &str) -> Log {
    Log {
        topics,
        data: bytes(data).into(),
        ..Default::default()
    }
}

#[test]
fn selectors_are_the_era_ones() {
    assert_eq!(
        hex::encode(selector("createTask(uint256,bytes32,bytes32,uint256)")),
        "6ab702ed"
    );
    assert_eq!(
        hex::encode(selector("approve(address,uint256)")),
        "095ea7b3"
    );
    assert_eq!(hex::encode(selector("cancelTask(uint256)")), "7eec20a8");
    assert_eq!(hex::encode(selector("balanceOf(address)")), "70a08231");
    assert_eq!(
        hex::encode(selector("allowance(address,address)")),
        "dd62ed3e"
    );
    assert_eq!(ERROR_SELECTOR, selector("Error(string)"));
    assert_eq!(PANIC_SELECTOR, selector("Panic(uint256)"));
}

#[test]
fn calldata_matches_cast() {
    let thirty_cnx = U256::exp10(18) * 30;
    assert_eq!(
        hex::encode(approve_calldata(address(TASK), thirty_cnx)),
        "095ea7b30000000000000000000000009fe46736679d2d9a65f0992f2272de9f3c7fa6e0000000000000000000000000000000000000000000000001a055690d9db80000"
    );
    assert_eq!(
        hex::encode(allowance_calldata(address(USER), address(TASK))),
        "dd62ed3e000000000000000000000000f39fd6e51aad88f6f4ce6ab8827279cfffb922660000000000000000000000009fe46736679d2d9a65f0992f2272de9f3c7fa6e0"
    );
    assert_eq!(
        hex::encode(balance_of_calldata(address(USER))),
        "70a08231000000000000000000000000f39fd6e51aad88f6f4ce6ab8827279cfffb92266"
    );
    let task_hash: [u8; 32] = bytes(TASK_HASH).try_into().unwrap();
    assert_eq!(
        hex::encode(create_task_calldata(1, task_hash, 10)),
        format!("6ab702ed{:064x}{TASK_HASH}{}{:064x}", 1, "0".repeat(64), 10)
    );
    assert_eq!(
        hex::encode(cancel_task_calldata(12)),
        format!("7eec20a8{:064x}", 12)
    );
}

#[test]
fn the_calls_written_word_by_word_equal_ethabi_s_encoding() {
    let (task, user) = (address(TASK), address(USER));
    let big = U256::MAX - 7;
    let task_hash = [0xab; 32];
    let cases = [
        (
            approve_calldata(task, big),
            encode_call(
                "approve(address,uint256)",
                &[Token::Address(task), Token::Uint(big)],
            ),
        ),
        (
            transfer_calldata(user, big),
            encode_call(
                "transfer(address,uint256)",
                &[Token::Address(user), Token::Uint(big)],
            ),
        ),
        (
            allowance_calldata(user, task),
            encode_call(
                "allowance(address,address)",
                &[Token::Address(user), Token::Address(task)],
            ),
        ),
        (
            balance_of_calldata(user),
            encode_call("balanceOf(address)", &[Token::Address(user)]),
        ),
        (
            create_task_calldata(255, task_hash, u64::MAX),
            encode_call(
                "createTask(uint256,bytes32,bytes32,uint256)",
                &[
                    Token::Uint(255.into()),
                    Token::FixedBytes(task_hash.to_vec()),
                    Token::FixedBytes(vec![0; 32]),
                    Token::Uint(u64::MAX.into()),
                ],
            ),
        ),
        (
            cancel_task_calldata(u64::MAX),
            encode_call("cancelTask(uint256)", &[Token::Uint(u64::MAX.into())]),
        ),
    ];
    for (words, encoded) in cases {
        assert_eq!(hex::encode(words), hex::encode(encoded));
    }
}

#[test]
fn uint256_return_values_decode() {
    assert_eq!(
        decode_uint256(&bytes(&format!("{:064x}", 12345))).unwrap(),
        U256::from(12345)
    );
    assert!(decode_uint256(&[1, 2, 3]).is_err());
}

#[test]
fn event_topics_are_the_measured_ones() {
    use event_signatures::*;
    let topics = [
        (
            TASK_CREATED,
            "bb7c6b96a3c44e4d2f31e6c30253c53b53f88b24017a672bc1781402f646a8ad",
        ),
        (
            TASK_RESULT_COMMITMENTS_READY,
            "b16812d8924e5125b1e331ca0097225a801aaa45b056a9ab12ab6ba658e6c9e5",
        ),
        (
            TASK_SUCCESS,
            "3cd644a756687c7dd87bbe74e2fd65bde569a3335e26f68f8fa334b2849673f7",
        ),
        (
            TASK_ABORTED,
            "346216bb718ede47b40f85e7caf58cd997eebda879d146a8b49091c106c851d9",
        ),
    ];
    for (signature, topic) in topics {
        assert_eq!(hex::encode(event_topic(signature)), topic, "{signature}");
    }
}

#[test]
fn task_created_decodes_with_indexed_creator_and_node() {
    let data = format!(
        "{:064x}{:064x}{TASK_HASH}{}{:064x}",
        12,
        0,
        "0".repeat(64),
        2
    );
    let topics = vec![
        event_topic(event_signatures::TASK_CREATED),
        topic_of(address(USER)),
        topic_of(address(NODE)),
    ];
    let event = TaskEvent::decode(&log(topics, &data)).unwrap().unwrap();
    assert_eq!(
        event,
        TaskEvent::Created {
            task_id: 12,
            task_type: 0,
            creator: address(USER),
            selected_node: address(NODE),
            task_hash: H256::from_slice(&bytes(TASK_HASH)),
            data_hash: H256::zero(),
            round: 2,
        }
    );
}

#[test]
fn success_aborted_and_ready_decode() {
    let success = "0x000000000000000000000000000000000000000000000000000000000000000c000000000000000000000000000000000000000000000000000000000000004000000000000000000000000000000000000000000000000000000000000000100102030405060708a1a2a3a4a5a6a7a800000000000000000000000000000000";
    let topics = vec![
        event_topic(event_signatures::TASK_SUCCESS),
        topic_of(address(NODE)),
    ];
    assert_eq!(
        TaskEvent::decode(&log(topics, success)).unwrap().unwrap(),
        TaskEvent::Success {
            task_id: 12,
            result: bytes("0102030405060708a1a2a3a4a5a6a7a8"),
            result_node: address(NODE)
        }
    );
    let aborted = "0x000000000000000000000000000000000000000000000000000000000000000c000000000000000000000000000000000000000000000000000000000000004000000000000000000000000000000000000000000000000000000000000000135461736b20726573756c7420696c6c6567616c00000000000000000000000000";
    let event = TaskEvent::decode(&log(
        vec![event_topic(event_signatures::TASK_ABORTED)],
        aborted,
    ))
    .unwrap()
    .unwrap();
    assert_eq!(
        event,
        TaskEvent::Aborted {
            task_id: 12,
            reason: "Task result illegal".into()
        }
    );
    let ready = format!("{:064x}", 12);
    let topics = vec![event_topic(event_signatures::TASK_RESULT_COMMITMENTS_READY)];
    let event = TaskEvent::decode(&log(topics, &ready)).unwrap().unwrap();
    assert_eq!(event.task_id(), 12);
}

#[test]
fn foreign_and_broken_logs_are_told_apart() {
    // An ERC-20 Transfer in the same receipt is not a task event.
    let transfer = event_topic("Transfer(address,address,uint256)");
    assert!(TaskEvent::decode(&log(vec![transfer], "0x")).is_none());
    assert!(TaskEvent::decode(&log(vec![], "0x")).is_none());
    // A TaskSuccess without its indexed node, or with short data, is an error.
    let short = log(vec![event_topic(event_signatures::TASK_SUCCESS)], "0x01");
    assert!(TaskEvent::decode(&short).unwrap().is_err());
    let huge_id = "f".repeat(64);
    let ready = log(
        vec![event_topic(event_signatures::TASK_RESULT_COMMITMENTS_READY)],
        &huge_id,
    );
    assert!(TaskEvent::decode(&ready).unwrap().is_err());
}

#[test]
fn revert_data_decodes_to_reasons() {
    let not_enough = "0x08c379a00000000000000000000000000000000000000000000000000000000000000020000000000000000000000000000000000000000000000000000000000000001a4e6f7420656e6f75676820746f6b656e7320666f72207461736b000000000000";
    assert_eq!(
        Revert::from_hex(not_enough),
        Revert::Error("Not enough tokens for task".into())
    );
    let panic = Revert::from_hex(
        "0x4e487b710000000000000000000000000000000000000000000000000000000000000011",
    );
    assert_eq!(panic, Revert::Panic(U256::from(0x11)));
    assert_eq!(
        panic.to_string(),
        "contract panic 0x11: arithmetic overflow or underflow"
    );
    assert_eq!(Revert::decode(&[]), Revert::Empty);
    assert_eq!(
        Revert::from_hex("0xdeadbeef"),
        Revert::Unknown("0xdeadbeef".into())
    );
    // Error(string) with a broken body is still reported, as hex.
    assert_eq!(
        Revert::from_hex("0x08c379a0ff"),
        Revert::Unknown("0x08c379a0ff".into())
    );
    assert!(matches!(Revert::from_hex("not hex"), Revert::Unknown(_)));
}

#[test]
fn the_gas_limit_covers_the_measured_spread_of_create_task() {
    // createTask's estimate on the devnet is ~740 k and a mined one uses up to ~600 k, but a
    // different node selection in the mined block can cost more than the estimate's.
    assert_eq!(
        gas_limit_with_margin(U256::from(740_000)),
        U256::from(1_160_000)
    );
    assert_eq!(gas_limit_with_margin(U256::zero()), U256::from(50_000));
}

#[test]
fn reverts_are_found_wherever_nodes_and_wallets_put_them() {
    use serde_json::json;
    let not_enough = "0x08c379a00000000000000000000000000000000000000000000000000000000000000020000000000000000000000000000000000000000000000000000000000000001a4e6f7420656e6f75676820746f6b656e7320666f72207461736b000000000000";
    let expected = Some(Revert::Error("Not enough tokens for task".into()));
    // anvil/geth (code 3), MetaMask's wrapper, and its originalError form.
    for data in [
        json!(not_enough),
        json!({"code": 3, "message": "execution reverted", "data": not_enough}),
        json!({"originalError": {"code": 3, "data": not_enough}}),
        json!({"cause": {"data": {"data": not_enough}}}),
    ] {
        assert_eq!(
            Revert::from_rpc_error("Internal JSON-RPC error.", Some(&data)),
            expected,
            "{data}"
        );
    }
    assert_eq!(
        Revert::from_rpc_error("execution reverted", Some(&json!("0x"))),
        Some(Revert::Empty)
    );
    assert_eq!(
        Revert::from_rpc_error("execution reverted", None),
        Some(Revert::Empty)
    );
    assert_eq!(Revert::from_rpc_error("nonce too low", None), None);
    assert_eq!(
        Revert::from_rpc_error("header not found", Some(&json!({"x": 1}))),
        None
    );
}
