//! The schemas the validators are compiled from are the era's, byte for byte, and the
//! network profile format reads and checks the shipped profile.

use std::path::{Path, PathBuf};

use crynux_protocol::profile::NetworkProfile;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn schemas_are_byte_identical_to_the_reference() {
    let reference = repo().join("../shared/reference/schemas");
    for name in [
        "sd-inference-task.schema.json",
        "gpt-inference-task.schema.json",
    ] {
        let ours = std::fs::read(repo().join("schemas").join(name)).unwrap();
        let theirs = std::fs::read(reference.join(name)).unwrap_or_else(|e| {
            panic!(
                "{}: {e} (shared/ must sit beside the repository)",
                reference.display()
            )
        });
        assert!(ours == theirs, "schemas/{name} differs from the reference");
    }
}

#[test]
fn the_shipped_profile_is_valid() {
    let text = std::fs::read_to_string(repo().join("public/networks/devnet.json")).unwrap();
    let profile = NetworkProfile::from_json(&text).unwrap();
    assert_eq!(profile.chain_id, 31337);
    assert_eq!(profile.task_fee.to_string(), "30000000000000000000");
}

#[test]
fn bad_profiles_are_refused_with_the_field_named() {
    let text = std::fs::read_to_string(repo().join("public/networks/devnet.json")).unwrap();
    let broken = text.replace("\"http://127.0.0.1:8545\"", "\"ftp://x\"");
    assert!(NetworkProfile::from_json(&broken)
        .unwrap_err()
        .contains("rpc_url"));
    let bad_fee = text.replace("\"30000000000000000000\"", "\"30 CNX\"");
    assert!(NetworkProfile::from_json(&bad_fee)
        .unwrap_err()
        .contains("not a decimal amount"));
}

/// `name(type,type,…)` of every function and event in an ABI file.
fn abi_signatures(file: &str) -> Vec<String> {
    let text = std::fs::read_to_string(repo().join("abi").join(file)).unwrap();
    let abi: serde_json::Value = serde_json::from_str(&text).unwrap();
    let entries = abi.get("abi").unwrap_or(&abi).as_array().unwrap().clone();
    entries
        .iter()
        .filter(|e| e["type"] == "function" || e["type"] == "event")
        .map(|e| {
            let types: Vec<&str> = e["inputs"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["type"].as_str().unwrap())
                .collect();
            format!("{}({})", e["name"].as_str().unwrap(), types.join(","))
        })
        .collect()
}

#[test]
fn what_the_protocol_crate_encodes_exists_in_the_abi_files() {
    use crynux_protocol::abi::event_signatures::*;
    let token = abi_signatures("CrynuxToken.json");
    for f in [
        "approve(address,uint256)",
        "allowance(address,address)",
        "balanceOf(address)",
    ] {
        assert!(token.iter().any(|s| s == f), "CrynuxToken.json lacks {f}");
    }
    let task = abi_signatures("Task.json");
    for f in [
        "createTask(uint256,bytes32,bytes32,uint256)",
        "cancelTask(uint256)",
        TASK_CREATED,
        TASK_RESULT_COMMITMENTS_READY,
        TASK_SUCCESS,
        TASK_ABORTED,
    ] {
        assert!(task.iter().any(|s| s == f), "Task.json lacks {f}");
    }
}
