//! The devnet's app server over loopback: compressed by Accept-Encoding (brotli, else gzip,
//! else the plain file), the right types, and cache headers by file name.

use std::io::Read;

use crynux_cli::devnet::app_server::{precompress, router, IMMUTABLE, REVALIDATE};

const PAGE: &str = "<!DOCTYPE html><title>Crynux</title>";
const WASM: &str = "/crynux-dapp-adc60febaf01e60c_bg.wasm";

#[tokio::test]
async fn files_are_sent_compressed_as_asked_with_their_type_and_cache_policy() {
    let dir = std::env::temp_dir().join(format!("app-server-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("networks")).unwrap();
    let wasm: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(dir.join("index.html"), PAGE.repeat(50)).unwrap();
    std::fs::write(dir.join(WASM.trim_start_matches('/')), &wasm).unwrap();
    std::fs::write(
        dir.join("networks/devnet.json"),
        "{\"name\": \"Local devnet\"}",
    )
    .unwrap();
    precompress(&dir).unwrap();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = router(&dir);
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let client = reqwest::Client::new();
    let get = |path: &str, encodings: &str| {
        let mut request = client.get(format!("{base}{path}"));
        if !encodings.is_empty() {
            request = request.header("accept-encoding", encodings);
        }
        request.send()
    };
    let header = |r: &reqwest::Response, name: &str| {
        r.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };

    // The page: brotli when offered, revalidated on every load.
    let page = get("/", "gzip, deflate, br").await.unwrap();
    assert_eq!(header(&page, "content-encoding").as_deref(), Some("br"));
    assert_eq!(header(&page, "cache-control").as_deref(), Some(REVALIDATE));
    assert_eq!(header(&page, "vary").as_deref(), Some("accept-encoding"));
    assert!(header(&page, "content-type")
        .unwrap()
        .starts_with("text/html"));
    let mut text = String::new();
    brotli::Decompressor::new(&page.bytes().await.unwrap()[..], 4096)
        .read_to_string(&mut text)
        .unwrap();
    assert_eq!(text, PAGE.repeat(50));

    // The wasm: gzip for a client without brotli, application/wasm, cached for a year.
    let gz = get(WASM, "gzip").await.unwrap();
    assert_eq!(header(&gz, "content-encoding").as_deref(), Some("gzip"));
    assert_eq!(
        header(&gz, "content-type").as_deref(),
        Some("application/wasm")
    );
    assert_eq!(header(&gz, "cache-control").as_deref(), Some(IMMUTABLE));
    let compressed = gz.bytes().await.unwrap();
    assert!(
        compressed.len() < wasm.len() / 10,
        "{} bytes",
        compressed.len()
    );
    let mut bytes = Vec::new();
    flate2::read::GzDecoder::new(&compressed[..])
        .read_to_end(&mut bytes)
        .unwrap();
    assert_eq!(bytes, wasm);

    // Neither offered: the plain file.
    let plain = get(WASM, "").await.unwrap();
    assert_eq!(header(&plain, "content-encoding"), None);
    assert_eq!(plain.bytes().await.unwrap().to_vec(), wasm);

    // The network profile: revalidated, like the page.
    let profile = get("/networks/devnet.json", "br").await.unwrap();
    assert_eq!(
        header(&profile, "cache-control").as_deref(),
        Some(REVALIDATE)
    );
    assert_eq!(header(&profile, "content-encoding").as_deref(), Some("br"));
    server.abort();
    std::fs::remove_dir_all(&dir).unwrap();
}
