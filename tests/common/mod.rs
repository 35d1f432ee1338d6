//! What the browser tests share: a place to mount, the shipped devnet profile, and waiting
//! on the browser's task loop for a condition.
#![allow(dead_code, reason = "each test binary uses a part of it")]

use crynux_protocol::profile::NetworkProfile;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// A fresh element in the page to mount into.
pub fn container() -> web_sys::HtmlElement {
    let element = document().create_element("div").unwrap();
    document().body().unwrap().append_child(&element).unwrap();
    element.unchecked_into()
}

/// The profile the app ships for the local network.
pub fn devnet_profile() -> NetworkProfile {
    NetworkProfile::from_json(include_str!("../../public/networks/devnet.json")).unwrap()
}

/// Resolves after the browser has run its pending tasks once.
async fn next_task() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        window()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 10)
            .unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
}

/// Waits until `done` holds, for at most ~5 s of browser tasks.
pub async fn until(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..500 {
        if done() {
            return;
        }
        next_task().await;
    }
    panic!("{what} never happened");
}
