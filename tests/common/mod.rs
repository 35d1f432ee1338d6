//! What the browser tests share: a place to mount, the shipped devnet profile, and waiting
//! on the browser's task loop for a condition.
#![allow(dead_code, reason = "each test binary uses a part of it")]

use crynux_protocol::profile::NetworkProfile;
use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};

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

/// The element under `root` matching `selector`.
pub fn element<T: JsCast>(root: &web_sys::HtmlElement, selector: &str) -> T {
    root.query_selector(selector)
        .unwrap()
        .unwrap_or_else(|| panic!("no {selector}"))
        .unchecked_into()
}

/// The text of the element matching `selector`, empty when there is none.
pub fn text_of(root: &web_sys::HtmlElement, selector: &str) -> String {
    root.query_selector(selector)
        .unwrap()
        .and_then(|e| e.text_content())
        .unwrap_or_default()
}

/// Sets `property` of `control` to `value`, then fires `event` as a person's edit would.
fn edit(control: &web_sys::HtmlElement, property: &str, value: JsValue, event: &str) {
    js_sys::Reflect::set(control, &property.into(), &value).unwrap();
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    let event = web_sys::Event::new_with_event_init_dict(event, &init).unwrap();
    control.dispatch_event(&event).unwrap();
}

/// Types `value` into a text field (or moves a slider) as a person would.
pub fn type_into(field: &web_sys::HtmlElement, value: &str) {
    edit(field, "value", value.into(), "input");
}

/// Types UTF-16 `units` into a text field: text a paste can bring but UTF-8 cannot hold, such
/// as a lone surrogate.
pub fn type_utf16_into(field: &web_sys::HtmlElement, units: &[u16]) {
    edit(
        field,
        "value",
        js_sys::JsString::from_char_code(units).into(),
        "input",
    );
}

/// Picks the option with `value` in a select.
pub fn choose(select: &web_sys::HtmlElement, value: &str) {
    edit(select, "value", value.into(), "change");
}

/// Ticks or clears a checkbox.
pub fn tick(checkbox: &web_sys::HtmlElement, checked: bool) {
    edit(checkbox, "checked", checked.into(), "change");
}

/// The current value of a form control.
pub fn value_of(field: &web_sys::HtmlElement) -> String {
    js_sys::Reflect::get(field, &"value".into())
        .unwrap()
        .as_string()
        .unwrap()
}

/// The Chat view of the devnet profile mounted in `root`, once its effects have run, with
/// its chat, studio and payer; unmounted when the handle drops.
pub async fn mount_chat(
    root: &web_sys::HtmlElement,
) -> (
    crynux_dapp::chat::Chat,
    crynux_dapp::studio::Studio,
    crynux_dapp::payer::Payer,
    impl Drop,
) {
    let slot = std::rc::Rc::new(std::cell::Cell::new(None));
    let mounted = slot.clone();
    let handle = leptos::mount::mount_to(root.clone(), move || {
        let state = crynux_dapp::state::provide_app(&devnet_profile());
        let studio = crynux_dapp::studio::provide_studio(state);
        let chat = crynux_dapp::chat::provide_chat(state, studio);
        mounted.set(Some((chat, studio, state.payer)));
        view! { <crynux_dapp::views::ChatView /> }
    });
    let (chat, studio, payer) = slot.get().unwrap();
    // The arguments' messages follow the (empty) thread: the effects have run.
    let gpt = studio.form.text_of(crynux_protocol::args::TaskType::Gpt);
    until("the thread's messages", || {
        gpt.with_untracked(|text| text.contains(r#""messages": []"#))
    })
    .await;
    (chat, studio, payer, handle)
}

/// Starts the browser's executor, which mounting starts, for a test whose effects (the
/// payer's) run without mounting anything.
pub fn start_executor() {
    drop(leptos::mount::mount_to(
        leptos::prelude::document().body().unwrap(),
        || (),
    ));
}
