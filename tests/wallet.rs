//! The wallet module and the header's wallet controls in headless Chromium, against a fake
//! EIP-1193 provider that records every request: no wallet, connect, wrong chain → switch →
//! unknown (4902) → add → switch, account change, a rejected request, EIP-6963 discovery,
//! reconnecting with no prompt when the wallet still grants the site, listener cleanup, and
//! which errors are read for a revert.
#![cfg(target_arch = "wasm32")]

use crynux_dapp::components::Header;
use crynux_dapp::state::provide_app;
use crynux_dapp::wallet::WalletError;
use crynux_protocol::abi::Revert;
use js_sys::Reflect;
use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

mod common;

use common::{container, devnet_profile, until};

wasm_bindgen_test_configure!(run_in_browser);

/// A fake wallet on chain 1 that knows only chain 1; `reject` lists methods it refuses (4001);
/// `granted`: whether the site was granted the account before (`eth_accounts` names it).
const FAKE_WALLET: &str = r#"((reject, granted) => {
  const listeners = {};
  const state = { chainId: '0x1', known: new Set(['0x1']), granted };
  const provider = {
    calls: [],
    listenerCount: () => Object.values(listeners).reduce((n, l) => n + l.length, 0),
    on(event, fn) { (listeners[event] ||= []).push(fn); },
    removeListener(event, fn) { listeners[event] = (listeners[event] || []).filter(f => f !== fn); },
    emit(event, arg) { (listeners[event] || []).forEach(f => f(arg)); },
    async request({ method, params }) {
      provider.calls.push(method);
      if (reject.includes(method)) throw { code: 4001, message: 'User rejected the request.' };
      switch (method) {
        case 'eth_requestAccounts': state.granted = true; return ['0x70997970c51812dc3a010c7d01b50e0d17dc79c8'];
        case 'eth_accounts': return state.granted ? ['0x70997970c51812dc3a010c7d01b50e0d17dc79c8'] : [];
        case 'eth_chainId': return state.chainId;
        case 'wallet_switchEthereumChain':
          if (!state.known.has(params[0].chainId)) throw { code: 4902, message: 'Unrecognized chain ID' };
          state.chainId = params[0].chainId;
          provider.emit('chainChanged', state.chainId);
          return null;
        case 'wallet_addEthereumChain':
          if (params[0].rpcUrls[0] !== 'http://127.0.0.1:8545') throw { code: -32602, message: 'bad params' };
          state.known.add(params[0].chainId);
          return null;
        default: throw { code: 4200, message: method };
      }
    },
  };
  return provider;
})"#;

fn fake_wallet(reject: &[&str]) -> JsValue {
    wallet_with_grant(reject, false)
}

fn wallet_with_grant(reject: &[&str], granted: bool) -> JsValue {
    let factory: js_sys::Function = js_sys::eval(FAKE_WALLET).unwrap().unchecked_into();
    let reject: js_sys::Array = reject.iter().map(|m| JsValue::from_str(m)).collect();
    factory
        .call2(&JsValue::NULL, &reject, &JsValue::from_bool(granted))
        .unwrap()
}

fn set_window_ethereum(value: &JsValue) {
    Reflect::set(&window(), &"ethereum".into(), value).unwrap();
}

fn mount() -> (web_sys::HtmlElement, impl Drop) {
    let root = container();
    let handle = leptos::mount::mount_to(root.clone(), || {
        provide_app(&devnet_profile());
        view! { <Header /> }
    });
    (root, handle)
}

fn text(root: &web_sys::HtmlElement) -> String {
    root.text_content().unwrap_or_default()
}

fn click_button(root: &web_sys::HtmlElement, label: &str) {
    let buttons = root.query_selector_all("button").unwrap();
    let button = (0..buttons.length())
        .filter_map(|i| buttons.item(i))
        .find(|b| b.text_content().unwrap_or_default().contains(label))
        .unwrap_or_else(|| panic!("no button {label:?} in {:?}", text(root)));
    button.unchecked_into::<web_sys::HtmlElement>().click();
}

fn calls(wallet: &JsValue) -> Vec<String> {
    let calls: js_sys::Array = Reflect::get(wallet, &"calls".into())
        .unwrap()
        .unchecked_into();
    calls.iter().filter_map(|c| c.as_string()).collect()
}

async fn until_shown(root: &web_sys::HtmlElement, what: &str) {
    until(
        &format!("{what:?} shown (the panel says {:?})", text(root)),
        || text(root).contains(what),
    )
    .await;
}

#[wasm_bindgen_test]
async fn without_a_wallet_the_panel_says_what_to_install() {
    set_window_ethereum(&JsValue::UNDEFINED);
    let (root, _mounted) = mount();
    click_button(&root, "Connect wallet");
    until_shown(&root, "No wallet found in this browser. Install MetaMask").await;
}

#[wasm_bindgen_test]
async fn connect_then_switch_adding_the_unknown_chain() {
    let wallet = fake_wallet(&[]);
    set_window_ethereum(&wallet);
    let (root, mounted) = mount();
    // The silent check for an earlier grant finds none: the user connects.
    until("the grant is asked for", || {
        calls(&wallet) == ["eth_accounts"]
    })
    .await;
    click_button(&root, "Connect wallet");
    until_shown(&root, "0x70997970C51812dc3A010C7d01b50e0d17dc79C8").await;
    assert!(text(&root).contains("your wallet is on chain 1, not on Local devnet"));

    click_button(&root, "Switch to Local devnet");
    until_shown(&root, "Network: Local devnet").await;
    assert_eq!(
        calls(&wallet),
        [
            "eth_accounts",
            "eth_requestAccounts",
            "eth_chainId",
            "wallet_switchEthereumChain",
            "wallet_addEthereumChain",
            "wallet_switchEthereumChain",
            "eth_chainId"
        ]
    );

    // The wallet switches account: the panel follows.
    let emit: js_sys::Function = Reflect::get(&wallet, &"emit".into())
        .unwrap()
        .unchecked_into();
    let accounts = js_sys::Array::of1(&"0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc".into());
    emit.call2(&wallet, &"accountsChanged".into(), &accounts)
        .unwrap();
    until_shown(&root, "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC").await;

    // Unmounting removes the wallet listeners.
    let count: js_sys::Function = Reflect::get(&wallet, &"listenerCount".into())
        .unwrap()
        .unchecked_into();
    assert_eq!(count.call0(&wallet).unwrap().as_f64(), Some(2.0));
    drop(mounted);
    assert_eq!(count.call0(&wallet).unwrap().as_f64(), Some(0.0));
}

#[wasm_bindgen_test]
async fn a_rejected_connection_is_explained_and_can_be_retried() {
    let wallet = fake_wallet(&["eth_requestAccounts"]);
    set_window_ethereum(&wallet);
    let (root, _mounted) = mount();
    until("the grant is asked for", || {
        calls(&wallet) == ["eth_accounts"]
    })
    .await;
    click_button(&root, "Connect wallet");
    until_shown(&root, "You declined the request in your wallet").await;
    assert!(root.query_selector("[role=alert]").unwrap().is_some());
    // Still offered: the user can try again, and is told again.
    click_button(&root, "Connect wallet");
    until("a second request", || calls(&wallet).len() == 3).await;
    until_shown(&root, "You declined").await;
    assert!(
        root.query_selector("[data-testid=account-chip]")
            .unwrap()
            .is_none(),
        "not connected"
    );
}

#[wasm_bindgen_test]
async fn several_wallets_announced_by_eip6963_are_offered_by_name() {
    set_window_ethereum(&JsValue::UNDEFINED);
    let wallet = fake_wallet(&[]);
    let announce: js_sys::Function = js_sys::eval(
        r#"(provider => () => [['test-uuid', 'Test Wallet'], ['other-uuid', 'Other Wallet']].forEach(([uuid, name]) =>
            window.dispatchEvent(new CustomEvent('eip6963:announceProvider', {
            detail: Object.freeze({ info: { uuid, name, icon: '', rdns: uuid }, provider }) }))))"#,
    )
    .unwrap()
    .unchecked_into::<js_sys::Function>()
    .call1(&JsValue::NULL, &wallet)
    .unwrap()
    .unchecked_into();
    window()
        .add_event_listener_with_callback("eip6963:requestProvider", &announce)
        .unwrap();
    let (root, _mounted) = mount();
    window()
        .remove_event_listener_with_callback("eip6963:requestProvider", &announce)
        .unwrap();
    click_button(&root, "Connect wallet");
    until_shown(&root, "Other Wallet").await;
    click_button(&root, "Test Wallet");
    until_shown(&root, "0x70997970C51812dc3A010C7d01b50e0d17dc79C8").await;
}

#[wasm_bindgen_test]
async fn a_wallet_that_still_grants_the_site_reconnects_with_no_prompt() {
    let wallet = wallet_with_grant(&[], true);
    set_window_ethereum(&wallet);
    let (root, _mounted) = mount();
    until_shown(&root, "0x70997970C51812dc3A010C7d01b50e0d17dc79C8").await;
    // Only questions that prompt nobody were asked.
    assert_eq!(calls(&wallet), ["eth_accounts", "eth_chainId"]);
    assert!(!text(&root).contains("Connect wallet"), "{}", text(&root));
}

#[wasm_bindgen_test]
async fn only_a_transaction_s_error_is_read_for_why_the_contract_reverted() {
    // MetaMask's -32603 wrapper around the node's revert ("Not enough tokens for task"), for
    // every request.
    let wallet = js_sys::eval(
        r#"({ on() {}, removeListener() {}, async request() { throw { code: -32603,
            message: 'Internal JSON-RPC error.', data: { code: 3, message: 'execution reverted',
            data: '0x08c379a00000000000000000000000000000000000000000000000000000000000000020000000000000000000000000000000000000000000000000000000000000001a4e6f7420656e6f75676820746f6b656e7320666f72207461736b000000000000' } }; } })"#,
    )
    .unwrap();
    set_window_ethereum(&wallet);
    let provider = crynux_dapp::wallet::discover().pop().unwrap();
    assert_eq!(
        provider.send_transaction(serde_json::json!({})).await,
        Err(WalletError::Reverted(Revert::Error(
            "Not enough tokens for task".into()
        )))
    );
    assert_eq!(
        provider
            .request("personal_sign", serde_json::json!([]))
            .await,
        Err(WalletError::Rpc {
            code: -32603,
            message: "Internal JSON-RPC error.".into()
        })
    );
}
