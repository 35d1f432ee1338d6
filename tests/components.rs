//! The app's components mounted in headless Chromium.
#![cfg(target_arch = "wasm32")]

use crynux_dapp::components::NetworkPanel;
use crynux_dapp::App;
use leptos::prelude::*;
use wasm_bindgen_test::*;

mod common;

use common::{container, devnet_profile, until};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn the_network_panel_shows_the_profile() {
    let profile = devnet_profile();
    let root = container();
    let _mounted =
        leptos::mount::mount_to(root.clone(), move || view! { <NetworkPanel profile /> });

    let text = root.text_content().unwrap();
    assert!(text.contains("Local devnet"), "{text}");
    let field = |id: &str| {
        root.query_selector(&format!("[data-testid={id}]"))
            .unwrap()
            .unwrap()
            .text_content()
            .unwrap()
    };
    assert_eq!(field("chain-id"), "31337");
    assert_eq!(field("task-fee"), "30 CNX");
    // Addresses are shown checksummed.
    assert!(
        text.contains("0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0"),
        "{text}"
    );
    assert!(text.contains("raw, eip191"));
    assert!(text.contains("15 min"));
}

#[wasm_bindgen_test]
async fn the_app_says_in_words_when_the_profile_is_missing() {
    // The test runner's server has no networks/devnet.json: the fetch gets a 404.
    let root = container();
    let _mounted = leptos::mount::mount_to(root.clone(), App);
    until("the error alert", || {
        root.query_selector("[data-testid=error]")
            .unwrap()
            .is_some()
    })
    .await;
    let message = root
        .query_selector("[data-testid=error]")
        .unwrap()
        .unwrap()
        .text_content()
        .unwrap();
    assert!(
        message.contains("There is no network profile at networks/devnet.json"),
        "{message}"
    );
    assert!(root
        .query_selector("[data-testid=network-panel]")
        .unwrap()
        .is_none());
}
