//! The few browser services the app needs besides the wallet: waiting, the clock,
//! `localStorage`, and object URLs for downloaded files.

use wasm_bindgen_futures::JsFuture;

/// Resolves after `ms` milliseconds.
pub async fn sleep(ms: u32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ =
                window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms as i32);
        }
    });
    let _ = JsFuture::from(promise).await;
}

/// Seconds since the Unix epoch, as the relay's signed timestamps count them.
pub fn unix_seconds() -> u64 {
    (js_sys::Date::now() / 1000.0) as u64
}

fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// The value stored under `key`, if storage is available and holds one.
pub fn load(key: &str) -> Option<String> {
    local_storage()?.get_item(key).ok()?
}

/// Stores `value` under `key`; false when the browser refuses (private mode, quota).
pub fn save(key: &str, value: &str) -> bool {
    local_storage().is_some_and(|s| s.set_item(key, value).is_ok())
}

/// A `blob:` URL for `bytes`, valid until [`revoke_object_url`].
pub fn object_url(bytes: &[u8], mime: &str) -> Option<String> {
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes).into());
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options).ok()?;
    web_sys::Url::create_object_url_with_blob(&blob).ok()
}

/// Frees an object URL's memory.
pub fn revoke_object_url(url: &str) {
    let _ = web_sys::Url::revoke_object_url(url);
}

/// A random 31-bit number (for seeds), from the browser's random source.
pub fn random_u31() -> u32 {
    (js_sys::Math::random() * f64::from(1u32 << 31)) as u32
}

/// POSTs `body` as JSON to `url`.
pub async fn post_json(
    url: &str,
    body: &serde_json::Value,
) -> Result<gloo_net::http::Response, gloo_net::Error> {
    gloo_net::http::Request::post(url)
        .header("content-type", "application/json")
        .body(body.to_string())?
        .send()
        .await
}
