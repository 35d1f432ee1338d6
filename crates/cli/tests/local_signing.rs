//! Transactions signed by `crynux_protocol::transaction` (the session wallet's) are accepted
//! by a real anvil: EIP-1559 and legacy, from the key's address, and a sweep of all ETH that
//! leaves exactly nothing.

mod common;

use crynux_chain::Chain;
use crynux_cli::devnet::chain::DevnetAccounts;
use crynux_protocol::abi::{
    allowance_calldata, approve_calldata, balance_of_calldata, decode_uint256, transfer_calldata,
};
use crynux_protocol::signing::PrivateKey;
use crynux_protocol::transaction::{Fees, Transaction, TRANSFER_GAS};
use crynux_protocol::{Address, H256, U256};
use serde_json::{json, Value};

async fn uint(chain: &Chain, to: Address, data: Vec<u8>) -> U256 {
    decode_uint256(&chain.call(Address::zero(), to, data).await.unwrap()).unwrap()
}

/// Signs `tx` with `key`, sends it raw, and checks anvil mined it from the key's address.
async fn send(chain: &Chain, key: &PrivateKey, tx: Transaction) {
    let signed = tx.sign(key);
    let hash: H256 = chain
        .request(
            "eth_sendRawTransaction",
            json!([format!("0x{}", hex::encode(&signed.raw))]),
        )
        .await
        .unwrap();
    assert_eq!(
        hash, signed.hash,
        "the node hashes the transaction as we do"
    );
    let receipt = chain.receipt(hash).await.unwrap();
    assert_eq!(receipt.status.unwrap().low_u64(), 1, "{tx:?}");
    assert_eq!(receipt.from, key.address());
    let kind = receipt.transaction_type.unwrap().low_u64();
    assert_eq!(kind, u64::from(matches!(tx.fees, Fees::Eip1559 { .. })) * 2);
}

#[tokio::test(flavor = "current_thread")]
async fn locally_signed_transactions_are_accepted_by_anvil() {
    let (_devnet, state_dir) = common::devnet(&["--users", "1"]);
    let profile = common::read_profile(state_dir.join("network.json"));
    let accounts: DevnetAccounts = common::read_json(state_dir.join("accounts.json"));
    let chain = Chain::new(&profile.rpc_url);
    let (token, task) = (profile.contracts.token, profile.contracts.task);
    let key = PrivateKey::from_bytes(&[7; 32]).unwrap();
    let session = key.address();
    let cnx = U256::exp10(18) * 10;

    // Funded as the DApp's "Fund" does: one ETH transfer, one CNX transfer.
    let deployer = accounts.deployer.address;
    let funding: H256 = chain
        .request(
            "eth_sendTransaction",
            json!([{"from": deployer, "to": session, "value": U256::exp10(18)}]),
        )
        .await
        .unwrap();
    chain.receipt(funding).await.unwrap();
    chain
        .transact(deployer, Some(token), transfer_calldata(session, cnx))
        .await
        .unwrap();

    let block: Value = chain
        .request("eth_getBlockByNumber", json!(["latest", false]))
        .await
        .unwrap();
    let base_fee: U256 = serde_json::from_value(block["baseFeePerGas"].clone()).unwrap();
    let tip: U256 = chain
        .request("eth_maxPriorityFeePerGas", json!([]))
        .await
        .unwrap();
    let gas_price: U256 = chain.request("eth_gasPrice", json!([])).await.unwrap();
    let tx = |nonce, to, value, data, fees| Transaction {
        chain_id: profile.chain_id,
        nonce,
        to,
        value,
        data,
        gas: U256::from(200_000),
        fees,
    };

    let eip1559 = Fees::eip1559(base_fee, tip);
    send(
        &chain,
        &key,
        tx(0, token, U256::zero(), approve_calldata(task, cnx), eip1559),
    )
    .await;
    assert_eq!(
        uint(&chain, token, allowance_calldata(session, task)).await,
        cnx
    );

    let legacy = Fees::Legacy { gas_price };
    let user = accounts.users[0].address;
    let before = uint(&chain, token, balance_of_calldata(user)).await;
    send(
        &chain,
        &key,
        tx(1, token, U256::zero(), transfer_calldata(user, cnx), legacy),
    )
    .await;
    assert_eq!(
        uint(&chain, token, balance_of_calldata(user)).await,
        before + cnx
    );
    assert!(uint(&chain, token, balance_of_calldata(session))
        .await
        .is_zero());

    // All the ETH back: with the exact fee, the transfer's cost is known in advance.
    let fees = eip1559.exact();
    let left = chain.balance(session).await.unwrap();
    let value = left - fees.max_per_gas() * TRANSFER_GAS;
    let mut sweep = tx(2, deployer, value, Vec::new(), fees);
    sweep.gas = TRANSFER_GAS.into();
    send(&chain, &key, sweep).await;
    assert!(chain.balance(session).await.unwrap().is_zero());
}
