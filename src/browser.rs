//! The few browser services the app needs besides the wallet: waiting, the clock,
//! `localStorage` and `sessionStorage`, and object URLs for downloaded files.

use crynux_protocol::phash::luma;
use crynux_protocol::read::{self, FromJson};
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

/// Waits growing intervals, up to a ceiling.
pub struct Backoff {
    next_ms: u32,
    max_ms: u32,
}

impl Backoff {
    /// Waits starting at `first_ms`, growing by half up to `max_ms`.
    pub fn new(first_ms: u32, max_ms: u32) -> Self {
        Self {
            next_ms: first_ms,
            max_ms,
        }
    }

    /// Sleeps, then lengthens the next wait by half.
    pub async fn pause(&mut self) {
        sleep(self.next_ms).await;
        self.next_ms = (self.next_ms + self.next_ms / 2).min(self.max_ms);
    }

    /// The next wait, in whole seconds.
    pub fn seconds(&self) -> u32 {
        self.next_ms.div_ceil(1000)
    }
}

/// Seconds since the Unix epoch, as the relay's signed timestamps count them.
pub fn unix_seconds() -> u64 {
    unix_millis() / 1000
}

/// Milliseconds since the Unix epoch.
pub fn unix_millis() -> u64 {
    js_sys::Date::now() as u64
}

fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// The value stored under `key`, if storage is available and holds one.
pub fn load(key: &str) -> Option<String> {
    local_storage()?.get_item(key).ok()?
}

/// A record this browser kept (its `Serialize`) read back, `None` when `text` is not one
/// (written by another version of the app, or altered).
pub fn read_kept<T: FromJson>(text: &str) -> Option<T> {
    read::from_text(text, "kept record").ok()
}

/// Stores `value` under `key`; false when the browser refuses (private mode, quota).
pub fn save(key: &str, value: &str) -> bool {
    local_storage().is_some_and(|s| s.set_item(key, value).is_ok())
}

/// Deletes what is stored under `key`.
pub fn remove(key: &str) {
    if let Some(storage) = local_storage() {
        let _ = storage.remove_item(key);
    }
}

/// The values stored under keys that start with `prefix`.
pub fn load_all(prefix: &str) -> Vec<String> {
    let Some(storage) = local_storage() else {
        return Vec::new();
    };
    keys_with(&storage, prefix)
        .into_iter()
        .filter_map(|key| storage.get_item(&key).ok().flatten())
        .collect()
}

/// The keys of `storage` that start with `prefix`.
fn keys_with(storage: &web_sys::Storage, prefix: &str) -> Vec<String> {
    (0..storage.length().unwrap_or(0))
        .filter_map(|i| storage.key(i).ok().flatten())
        .filter(|key| key.starts_with(prefix))
        .collect()
}

fn tab_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok()?
}

/// The value this tab keeps under `key` (`sessionStorage`: a reload keeps it, a new tab
/// starts without it).
pub fn tab_load(key: &str) -> Option<String> {
    tab_storage()?.get_item(key).ok()?
}

/// Keeps `value` under `key` for this tab; false when the browser refuses.
pub fn tab_save(key: &str, value: &str) -> bool {
    tab_storage().is_some_and(|s| s.set_item(key, value).is_ok())
}

/// Deletes what this tab keeps under keys that start with `prefix`.
pub fn tab_remove_all(prefix: &str) {
    if let Some(storage) = tab_storage() {
        for key in keys_with(&storage, prefix) {
            let _ = storage.remove_item(&key);
        }
    }
}

fn blob(bytes: &[u8], mime: &str) -> Option<web_sys::Blob> {
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes).into());
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options).ok()
}

/// A `blob:` URL for `bytes`, valid until [`revoke_object_url`].
pub fn object_url(bytes: &[u8], mime: &str) -> Option<String> {
    web_sys::Url::create_object_url_with_blob(&blob(bytes, mime)?).ok()
}

/// A small JPEG data URL of an image file (at most `side` pixels wide and high), for lists.
pub async fn thumbnail(bytes: &[u8], side: u32) -> Option<String> {
    let (canvas, ..) = scaled_canvas(&blob(bytes, "image/png")?, side, side).await?;
    canvas
        .to_data_url_with_type_and_encoder_options("image/jpeg", &0.7.into())
        .ok()
}

/// The grey levels of a PNG file (PIL's `convert("L")`, row-major), its width and height,
/// decoded by the browser as stored, without colour conversion.
pub async fn grey_levels(png: &[u8]) -> Option<(Vec<u8>, usize, usize)> {
    let (canvas, width, height) =
        scaled_canvas(&blob(png, "image/png")?, u32::MAX, u32::MAX).await?;
    let context = canvas_context(&canvas)?;
    let rgba = context
        .get_image_data(0.0, 0.0, f64::from(width), f64::from(height))
        .ok()?
        .data();
    let grey = rgba
        .chunks_exact(4)
        .map(|p| luma(p[0], p[1], p[2]))
        .collect();
    Some((grey, width as usize, height as usize))
}

fn canvas_context(
    canvas: &web_sys::HtmlCanvasElement,
) -> Option<web_sys::CanvasRenderingContext2d> {
    use wasm_bindgen::JsCast;
    Some(canvas.get_context("2d").ok().flatten()?.unchecked_into())
}

/// Draws an image file on a new canvas, as stored (no colour conversion), scaled down
/// (never up) to fit `max_width` × `max_height`; the canvas and its size.
async fn scaled_canvas(
    image: &web_sys::Blob,
    max_width: u32,
    max_height: u32,
) -> Option<(web_sys::HtmlCanvasElement, u32, u32)> {
    use wasm_bindgen::JsCast;
    let window = web_sys::window()?;
    let options = web_sys::ImageBitmapOptions::new();
    options.set_color_space_conversion(web_sys::ColorSpaceConversion::None);
    options.set_premultiply_alpha(web_sys::PremultiplyAlpha::None);
    let promise = window
        .create_image_bitmap_with_blob_and_image_bitmap_options(image, &options)
        .ok()?;
    let bitmap: web_sys::ImageBitmap = JsFuture::from(promise).await.ok()?.unchecked_into();
    let (w, h) = (bitmap.width(), bitmap.height());
    let scale = (f64::from(max_width) / f64::from(w))
        .min(f64::from(max_height) / f64::from(h))
        .min(1.0);
    let width = ((f64::from(w) * scale).round() as u32).max(1);
    let height = ((f64::from(h) * scale).round() as u32).max(1);
    let canvas: web_sys::HtmlCanvasElement = window
        .document()?
        .create_element("canvas")
        .ok()?
        .unchecked_into();
    canvas.set_width(width);
    canvas.set_height(height);
    canvas_context(&canvas)?
        .draw_image_with_image_bitmap_and_dw_and_dh(
            &bitmap,
            0.0,
            0.0,
            f64::from(width),
            f64::from(height),
        )
        .ok()?;
    bitmap.close();
    Some((canvas, width, height))
}

/// Frees an object URL's memory.
pub fn revoke_object_url(url: &str) {
    let _ = web_sys::Url::revoke_object_url(url);
}

/// A random 31-bit number (for seeds), from the browser's random source.
pub fn random_u31() -> u32 {
    (js_sys::Math::random() * f64::from(1u32 << 31)) as u32
}

/// POSTs `body` as JSON to `url`, with a bearer token if given.
pub async fn post_json(
    url: &str,
    body: &serde_json::Value,
    bearer: Option<&str>,
) -> Result<gloo_net::http::Response, gloo_net::Error> {
    answered_in_time(gloo_net::http::Request::post(url), bearer)
        .header("content-type", "application/json")
        .body(body.to_string())?
        .send()
        .await
}

/// GETs `url`, with a bearer token if given.
pub async fn get(
    url: &str,
    bearer: Option<&str>,
) -> Result<gloo_net::http::Response, gloo_net::Error> {
    answered_in_time(gloo_net::http::Request::get(url), bearer)
        .send()
        .await
}

/// How long a request to the relay or the chain may go unanswered (a server that takes the
/// connection but never answers) before it fails as unreachable, and is tried again.
pub const REQUEST_TIMEOUT_MS: u32 = 30_000;

fn answered_in_time(
    request: gloo_net::http::RequestBuilder,
    bearer: Option<&str>,
) -> gloo_net::http::RequestBuilder {
    let request = request.abort_signal(Some(&web_sys::AbortSignal::timeout_with_u32(
        REQUEST_TIMEOUT_MS,
    )));
    match bearer {
        Some(token) => request.header("authorization", &format!("Bearer {token}")),
        None => request,
    }
}

/// Why a request to a server failed, in plain words: no answer in time, no connection (the
/// browser says only "Failed to fetch"), or the browser's own words.
pub fn request_failure(error: gloo_net::Error) -> String {
    match error {
        gloo_net::Error::JsError(e) if e.name == "TimeoutError" => {
            format!("no answer in {} s", REQUEST_TIMEOUT_MS / 1000)
        }
        gloo_net::Error::JsError(e) if e.name == "TypeError" => "cannot connect".to_owned(),
        other => other.to_string(),
    }
}

/// The largest image file the ControlNet picker reads.
pub const MAX_IMAGE_FILE_BYTES: u64 = 20 << 20;

/// The largest PNG data URL the arguments may hold (nodes download it with the task).
pub const MAX_IMAGE_DATA_URL_BYTES: usize = 10 << 20;

/// An image converted for the arguments.
pub struct PngImage {
    /// `data:image/png;base64,…`
    pub data_url: String,
    /// Pixels.
    pub width: u32,
    /// Pixels.
    pub height: u32,
}

/// Moves the keyboard focus to the element with `id`, if there is one that takes it.
pub fn focus_by_id(id: &str) {
    use wasm_bindgen::JsCast;
    let element = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(id))
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
    if let Some(element) = element {
        let _ = element.focus();
    }
}

/// The resource at `url` (a `blob:` URL of this page) as a file named `name` of type `mime`.
pub async fn file_of_url(url: &str, name: &str, mime: &str) -> Option<web_sys::File> {
    use wasm_bindgen::JsCast;
    let response = JsFuture::from(web_sys::window()?.fetch_with_str(url))
        .await
        .ok()?;
    let response: web_sys::Response = response.dyn_into().ok()?;
    let blob = JsFuture::from(response.blob().ok()?).await.ok()?;
    let options = web_sys::FilePropertyBag::new();
    options.set_type(mime);
    web_sys::File::new_with_blob_sequence_and_options(&js_sys::Array::of1(&blob), name, &options)
        .ok()
}

/// Decodes a PNG, JPEG or WebP `file` and re-encodes it as a PNG data URL, scaled down (never
/// up) to fit `max_width` × `max_height`. The error is a sentence for the user.
pub async fn png_data_url(
    file: &web_sys::File,
    max_width: u32,
    max_height: u32,
) -> Result<PngImage, String> {
    let name = file.name();
    if !["image/png", "image/jpeg", "image/webp"].contains(&file.type_().as_str()) {
        return Err(format!(
            "{name} is not a PNG, JPEG or WebP image. Choose one of those."
        ));
    }
    let size = file.size() as u64;
    if size > MAX_IMAGE_FILE_BYTES {
        return Err(format!(
            "{name} is {} MB; the limit is {} MB. Choose a smaller image.",
            megabytes(size),
            MAX_IMAGE_FILE_BYTES >> 20
        ));
    }
    let unreadable = || format!("{name} could not be read as an image. Choose another file.");
    let (canvas, width, height) = scaled_canvas(file, max_width, max_height)
        .await
        .ok_or_else(unreadable)?;
    let data_url = canvas.to_data_url().map_err(|_| unreadable())?;
    if data_url.len() > MAX_IMAGE_DATA_URL_BYTES {
        return Err(format!(
            "{name} becomes a {} MB PNG, more than the {} MB the arguments may hold. Choose a smaller or simpler image.",
            megabytes(data_url.len() as u64),
            MAX_IMAGE_DATA_URL_BYTES >> 20
        ));
    }
    Ok(PngImage {
        data_url,
        width,
        height,
    })
}

/// Bytes in megabytes to one decimal ("30.0"), rounded half up: integer arithmetic, so that
/// the standard library's formatting of floats stays out of the module.
fn megabytes(bytes: u64) -> String {
    let tenths = (bytes * 10 + (1 << 19)) >> 20;
    format!("{}.{}", tenths / 10, tenths % 10)
}

#[cfg(test)]
mod tests {
    use super::megabytes;

    #[test]
    fn megabytes_read_as_the_standard_formatting_reads_them() {
        for bytes in [
            0,
            1,
            52_428,
            1_572_864,
            10_433_331,
            (20 << 20) + 1,
            30 << 20,
        ] {
            let by_std = format!("{:.1}", bytes as f64 / f64::from(1 << 20));
            assert_eq!(megabytes(bytes), by_std, "{bytes} bytes");
        }
        // A tie (0.25 MB) rounds up, where the standard formatting rounds to even.
        assert_eq!(megabytes(1 << 18), "0.3");
    }
}
