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
