//! The devnet's app server: the release build as a static host should serve it. Each text
//! and wasm file is compressed once at start (brotli and gzip beside it) and sent by the
//! client's `Accept-Encoding`; files whose names carry trunk's content hash are cached for a
//! year, the page and the network profiles are revalidated on every load.

use std::io::Write;
use std::path::Path;

use axum::extract::Request;
use axum::http::header::{HeaderValue, CACHE_CONTROL, VARY};
use axum::middleware::{self, Next};
use axum::response::Response;
use tower_http::services::ServeDir;

/// What the compressed copies are made of.
const COMPRESSIBLE: &[&str] = &["html", "js", "wasm", "css", "svg", "json"];
/// Cache-Control of a file named by its content.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Cache-Control of the rest: asked again on every load.
pub const REVALIDATE: &str = "no-cache";

/// Writes `NAME.br` and `NAME.gz` beside every compressible file below `dir`.
pub fn precompress(dir: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            precompress(&path)?;
            continue;
        }
        let compressible = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| COMPRESSIBLE.contains(&e));
        if !compressible {
            continue;
        }
        let bytes = std::fs::read(&path)?;
        let beside = |suffix: &str| {
            let mut name = path.clone().into_os_string();
            name.push(suffix);
            std::fs::File::create(name)
        };
        let mut br = brotli::CompressorWriter::new(beside(".br")?, 1 << 16, 11, 22);
        br.write_all(&bytes)?;
        br.flush()?;
        let mut gz = flate2::write::GzEncoder::new(beside(".gz")?, flate2::Compression::best());
        gz.write_all(&bytes)?;
        gz.finish()?;
    }
    Ok(())
}

/// Whether a file's name carries trunk's content hash (`main-b536edad432d06f3.css`,
/// `app-adc60febaf01e60c_bg.wasm`): 16 hex digits between dashes or underscores.
fn named_by_content(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or_default();
    let stem = name.split('.').next().unwrap_or_default();
    stem.split(['-', '_'])
        .any(|part| part.len() == 16 && part.bytes().all(|b| b.is_ascii_hexdigit()))
}

async fn cache_headers(request: Request, next: Next) -> Response {
    let immutable = named_by_content(request.uri().path());
    let mut response = next.run(request).await;
    if response.status().is_success() {
        let headers = response.headers_mut();
        let policy = if immutable { IMMUTABLE } else { REVALIDATE };
        headers.insert(CACHE_CONTROL, HeaderValue::from_static(policy));
        headers.insert(VARY, HeaderValue::from_static("accept-encoding"));
    }
    response
}

/// The app in `dir` (already precompressed), as served on the devnet.
pub fn router(dir: &Path) -> axum::Router {
    let files = ServeDir::new(dir).precompressed_br().precompressed_gzip();
    axum::Router::new()
        .fallback_service(files)
        .layer(middleware::from_fn(cache_headers))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trunks_hashed_names_are_told_from_the_rest() {
        assert!(named_by_content("/crynux-dapp-adc60febaf01e60c_bg.wasm"));
        assert!(named_by_content("/main-b536edad432d06f3.css"));
        assert!(!named_by_content("/"));
        assert!(!named_by_content("/index.html"));
        assert!(!named_by_content("/networks/devnet.json"));
        assert!(!named_by_content("/a-b536edad432d06f.css"), "15 digits");
    }
}
