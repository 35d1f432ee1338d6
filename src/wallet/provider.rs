//! The EIP-1193 provider binding and EIP-6963 discovery: the only code that touches the
//! wallet's JavaScript objects.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Function, Reflect, JSON};
use serde_json::{json, Value};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::WalletError;
use crynux_protocol::args::form::json_text;

#[wasm_bindgen]
extern "C" {
    /// An EIP-1193 provider object (`window.ethereum` or an EIP-6963 announcement's).
    #[derive(Clone)]
    pub type Eip1193;

    #[wasm_bindgen(method, catch)]
    async fn request(this: &Eip1193, args: &JsValue) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(method)]
    fn on(this: &Eip1193, event: &str, listener: &Function);

    #[wasm_bindgen(method, js_name = removeListener)]
    fn remove_listener(this: &Eip1193, event: &str, listener: &Function);
}

/// A wallet the page can talk to.
#[derive(Clone)]
pub struct Provider {
    inner: Eip1193,
    /// The wallet's own name (EIP-6963), or "Browser wallet" for `window.ethereum`.
    pub name: String,
}

impl Provider {
    /// A JSON-RPC request that cannot revert (accounts, chains, signatures); the answer as
    /// JSON.
    pub async fn request(&self, method: &str, params: Value) -> Result<Value, WalletError> {
        self.request_raw(method, params)
            .await
            .map_err(|error| WalletError::from_rpc(error.code, &error.message))
    }

    /// Sends the transaction `tx` (`eth_sendTransaction`); its hash as JSON, or why it failed,
    /// with why the contract reverted if it did.
    pub async fn send_transaction(&self, tx: Value) -> Result<Value, WalletError> {
        self.request_raw("eth_sendTransaction", json!([tx]))
            .await
            .map_err(|error| {
                WalletError::from_transaction_rpc(error.code, &error.message, error.data.as_ref())
            })
    }

    async fn request_raw(&self, method: &str, params: Value) -> Result<Value, RpcError> {
        let request = json!({"method": method, "params": params});
        let args = JSON::parse(&json_text(&request)).map_err(|_| RpcError {
            code: Some(0),
            message: "unencodable request".into(),
            data: None,
        })?;
        match self.inner.request(&args).await {
            Ok(answer) => Ok(to_json(&answer)),
            Err(error) => Err(error_from_js(&error)),
        }
    }

    /// Calls `listener` with the event's argument (as JSON) until the returned guard drops.
    pub fn listen(&self, event: &'static str, listener: impl FnMut(Value) + 'static) -> Listener {
        let mut listener = listener;
        let closure = Closure::<dyn FnMut(JsValue)>::new(move |argument: JsValue| {
            listener(to_json(&argument))
        });
        self.inner.on(event, closure.as_ref().unchecked_ref());
        Listener {
            provider: self.inner.clone(),
            event,
            closure,
        }
    }
}

/// A registered provider event listener; dropping it removes it from the provider.
pub struct Listener {
    provider: Eip1193,
    event: &'static str,
    closure: Closure<dyn FnMut(JsValue)>,
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.provider
            .remove_listener(self.event, self.closure.as_ref().unchecked_ref());
    }
}

fn to_json(value: &JsValue) -> Value {
    JSON::stringify(value)
        .ok()
        .and_then(|text| text.as_string())
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or(Value::Null)
}

/// A rejected request's `{code, message, data}`.
struct RpcError {
    code: Option<i64>,
    message: String,
    data: Option<Value>,
}

/// Reads `{code, message, data}` off a rejected request.
fn error_from_js(error: &JsValue) -> RpcError {
    let field =
        |name: &str| Reflect::get(error, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED);
    let message = field("message")
        .as_string()
        .unwrap_or_else(|| json_text(&to_json(error)));
    let data = to_json(&field("data"));
    RpcError {
        code: field("code").as_f64().map(|c| c as i64),
        message,
        data: (!data.is_null()).then_some(data),
    }
}

/// The wallets in this browser: those that answer an EIP-6963 request (several wallets can
/// coexist), or else `window.ethereum`.
pub fn discover() -> Vec<Provider> {
    let Some(window) = web_sys::window() else {
        return Vec::new();
    };
    let found: Rc<RefCell<Vec<(String, Provider)>>> = Rc::default();
    let collect = {
        let found = found.clone();
        Closure::<dyn FnMut(web_sys::CustomEvent)>::new(move |event: web_sys::CustomEvent| {
            let detail = event.detail();
            let info = Reflect::get(&detail, &"info".into()).unwrap_or(JsValue::UNDEFINED);
            let text = |key: &str| {
                Reflect::get(&info, &key.into())
                    .ok()
                    .and_then(|v| v.as_string())
            };
            let provider = Reflect::get(&detail, &"provider".into()).unwrap_or(JsValue::UNDEFINED);
            let uuid = text("uuid").unwrap_or_default();
            let mut found = found.borrow_mut();
            if provider.is_object() && !found.iter().any(|(id, _)| *id == uuid) {
                let name = text("name").unwrap_or_else(|| "Wallet".into());
                found.push((
                    uuid,
                    Provider {
                        inner: provider.unchecked_into(),
                        name,
                    },
                ));
            }
        })
    };
    let callback = collect.as_ref().unchecked_ref();
    // Wallets answer the request synchronously, during dispatch.
    let _ = window.add_event_listener_with_callback("eip6963:announceProvider", callback);
    if let Ok(request) = web_sys::CustomEvent::new("eip6963:requestProvider") {
        let _ = window.dispatch_event(&request);
    }
    let _ = window.remove_event_listener_with_callback("eip6963:announceProvider", callback);
    let mut providers: Vec<Provider> = found.take().into_iter().map(|(_, p)| p).collect();
    if providers.is_empty() {
        let ethereum = Reflect::get(&window, &"ethereum".into()).unwrap_or(JsValue::UNDEFINED);
        if ethereum.is_object() {
            providers.push(Provider {
                inner: ethereum.unchecked_into(),
                name: "Browser wallet".into(),
            });
        }
    }
    providers
}
