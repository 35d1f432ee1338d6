//! The API through `tower::ServiceExt::oneshot`: every error path answers 4xx with the era's
//! envelope and the right field, and the happy paths store and serve what they should. The
//! store is seeded with the events the chain follower would apply.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use crynux_protocol::abi::TaskEvent;
use crynux_protocol::hash::{keccak256, sha256};
use crynux_protocol::phash::{encode_png, phash_png};
use crynux_protocol::signing::{sign_request, PrivateKey, RelayRequest, SignScheme};
use crynux_protocol::H256;
use crynux_relay::api::TIMESTAMP_WINDOW_SECS;
use crynux_relay::{app, AppState, SignInRules, Store};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

/// A timestamp this far from now is refused: past the window by more than a test takes, so a
/// second ticking between signing and checking cannot bring it back in.
const OUTSIDE_WINDOW: u64 = TIMESTAMP_WINDOW_SECS + 30;

const KEYS: [&str; 5] = [
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
    "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
];
const CREATOR: usize = 0;
const NODES: [usize; 3] = [1, 2, 3];
const STRANGER: usize = 4;
const SD: u64 = 1;
/// The app that may sign in, and the network's chain.
const APP: &str = "http://127.0.0.1:8080";
const CHAIN_ID: u64 = 31337;
const GPT: u64 = 2;
const SD_ARGS: &str = r#"{"base_model":"runwayml/stable-diffusion-v1-5","prompt":"a <cat-toy> & co","task_config":{"num_images":2}}"#;
const GPT_ARGS: &str = r#"{"model":"gpt2","messages":[{"role":"user","content":"hi"}]}"#;

fn key(n: usize) -> PrivateKey {
    PrivateKey::from_hex(KEYS[n]).unwrap()
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A relay on a fresh store where tasks 1 (SD) and 2 (GPT) were created on chain.
async fn relay(schemes: Vec<SignScheme>) -> (Router, Store) {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "relay-api-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    let store = Store::open(&dir).unwrap();
    let mut events = Vec::new();
    for (task_id, task_type, args) in [(SD, 0, SD_ARGS), (GPT, 1, GPT_ARGS)] {
        for (round, node) in NODES.iter().enumerate() {
            events.push(TaskEvent::Created {
                task_id,
                task_type,
                creator: key(CREATOR).address(),
                selected_node: key(*node).address(),
                task_hash: H256(keccak256(args.as_bytes())),
                data_hash: H256::zero(),
                round: round as u64,
            });
        }
    }
    store.apply_events(events, 10).await.unwrap();
    let sign_in = SignInRules {
        app_origins: vec![APP.into()],
        chain_id: CHAIN_ID,
    };
    (app(AppState::new(store.clone(), schemes, sign_in)), store)
}

async fn both() -> (Router, Store) {
    relay(vec![SignScheme::Raw, SignScheme::Eip191]).await
}

async fn send(app: &Router, request: Request<Body>) -> (StatusCode, Vec<u8>) {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    (
        status,
        response
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec(),
    )
}

/// Asserts a 400 `validation_error` on `field` whose message contains `message`.
fn assert_invalid((status, body): (StatusCode, Vec<u8>), field: &str, message: &str) {
    let body: Value = serde_json::from_slice(&body)
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&body)));
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["message"], "validation_error", "{body}");
    assert_eq!(body["data"]["field_name"], field, "{body}");
    let text = body["data"]["message"].as_str().unwrap();
    assert!(text.contains(message), "{text:?} lacks {message:?}");
}

fn upload_body(
    signer: usize,
    scheme: SignScheme,
    task_id: u64,
    args: &str,
    timestamp: u64,
) -> Request<Body> {
    let request = RelayRequest::UploadArgs {
        task_id,
        task_args: args,
    };
    let signature = sign_request(&key(signer), scheme, &request, timestamp).to_hex();
    let body = json!({"task_args": args, "task_id": task_id, "timestamp": timestamp, "signature": signature});
    json_post("/v1/inference_tasks", body.to_string())
}

fn json_post(uri: &str, body: String) -> Request<Body> {
    Request::post(uri)
        .header("content-type", "application/json")
        .body(Body::from(body))
        .unwrap()
}

fn signed_get(
    path: &str,
    signer: usize,
    request: RelayRequest<'_>,
    timestamp: u64,
) -> Request<Body> {
    let signature = sign_request(&key(signer), SignScheme::Raw, &request, timestamp).to_hex();
    Request::get(format!(
        "{path}?timestamp={timestamp}&signature={signature}"
    ))
    .body(Body::empty())
    .unwrap()
}

fn get_task(task_id: u64, signer: usize) -> Request<Body> {
    signed_get(
        &format!("/v1/inference_tasks/{task_id}"),
        signer,
        RelayRequest::GetTask { task_id },
        now(),
    )
}

fn get_result(task_id: u64, image_num: &str, signer: usize) -> Request<Body> {
    let n = image_num.parse().unwrap_or(0);
    let path = format!("/v1/inference_tasks/{task_id}/results/{image_num}");
    signed_get(
        &path,
        signer,
        RelayRequest::GetResult {
            task_id,
            image_num: n,
        },
        now(),
    )
}

fn results_upload(task_id: u64, signer: usize, files: &[Vec<u8>]) -> Request<Body> {
    let timestamp = now();
    let signature = sign_request(
        &key(signer),
        SignScheme::Raw,
        &RelayRequest::UploadResults { task_id },
        timestamp,
    )
    .to_hex();
    let boundary = "crynux-test-boundary";
    let mut body = Vec::new();
    let mut part = |headers: String, bytes: &[u8]| {
        body.extend(format!("--{boundary}\r\n{headers}\r\n\r\n").as_bytes());
        body.extend(bytes);
        body.extend(b"\r\n");
    };
    for (n, file) in files.iter().enumerate() {
        part(format!("Content-Disposition: form-data; name=\"images\"; filename=\"{n}.png\"\r\nContent-Type: image/png"), file);
    }
    part(
        "Content-Disposition: form-data; name=\"timestamp\"".into(),
        timestamp.to_string().as_bytes(),
    );
    part(
        "Content-Disposition: form-data; name=\"signature\"".into(),
        signature.as_bytes(),
    );
    body.extend(format!("--{boundary}--\r\n").as_bytes());
    Request::post(format!("/v1/inference_tasks/{task_id}/results"))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .unwrap()
}

fn png(seed: u32) -> Vec<u8> {
    let pixels: Vec<u8> = (0..64 * 64 * 3)
        .map(|i: u32| ((i / 3 % 64 * seed + i / 192 * 7) % 256) as u8)
        .collect();
    encode_png(64, 64, &pixels)
}

async fn succeed(store: &Store, task_id: u64, result: Vec<u8>) {
    let result_node = key(NODES[1]).address();
    store
        .apply_events(
            vec![TaskEvent::Success {
                task_id,
                result,
                result_node,
            }],
            20,
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn args_upload_is_checked_in_the_era_order() {
    let (app, store) = both().await;
    let ts = now();
    // Not JSON, missing fields.
    assert_invalid(
        send(&app, json_post("/v1/inference_tasks", "{".into())).await,
        "body",
        "",
    );
    assert_invalid(
        send(&app, json_post("/v1/inference_tasks", "{}".into())).await,
        "body",
        "task_args",
    );
    // Signature first: stale, malformed.
    assert_invalid(
        send(
            &app,
            upload_body(CREATOR, SignScheme::Raw, SD, SD_ARGS, ts - OUTSIDE_WINDOW),
        )
        .await,
        "timestamp",
        "expired",
    );
    assert_invalid(
        send(
            &app,
            upload_body(CREATOR, SignScheme::Raw, SD, SD_ARGS, ts + OUTSIDE_WINDOW),
        )
        .await,
        "timestamp",
        "expired",
    );
    let bad = json!({"task_args": SD_ARGS, "task_id": SD, "timestamp": ts, "signature": "0x1234"});
    assert_invalid(
        send(&app, json_post("/v1/inference_tasks", bad.to_string())).await,
        "signature",
        "Invalid signature",
    );
    // Then the task, then the schema, then the signer, then the hash.
    assert_invalid(
        send(&app, upload_body(CREATOR, SignScheme::Raw, 99, SD_ARGS, ts)).await,
        "task_id",
        "Task not found on the Blockchain",
    );
    let schema_error = r#"{"base_model":"m","prompt":"","task_config":{}}"#;
    assert_invalid(
        send(
            &app,
            upload_body(STRANGER, SignScheme::Raw, SD, schema_error, ts),
        )
        .await,
        "task_args",
        "/prompt: must not be empty",
    );
    assert_invalid(
        send(
            &app,
            upload_body(STRANGER, SignScheme::Raw, SD, SD_ARGS, ts),
        )
        .await,
        "signature",
        "Signer not allowed",
    );
    assert_invalid(
        send(
            &app,
            upload_body(NODES[0], SignScheme::Raw, SD, SD_ARGS, ts),
        )
        .await,
        "signature",
        "Signer not allowed",
    );
    let other = SD_ARGS.replace("co\"", "co \"");
    assert_invalid(
        send(&app, upload_body(CREATOR, SignScheme::Raw, SD, &other, ts)).await,
        "task_hash",
        "Task hash mismatch",
    );
    assert!(
        store.task(SD).await.unwrap().unwrap().task_args.is_none(),
        "nothing stored by failures"
    );

    let (status, body) = send(&app, upload_body(CREATOR, SignScheme::Raw, SD, SD_ARGS, ts)).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        (body["message"].as_str(), body["data"]["status"].as_u64()),
        (Some("success"), Some(1))
    );
    assert_eq!(
        store.task(SD).await.unwrap().unwrap().task_args.as_deref(),
        Some(SD_ARGS)
    );
    assert_invalid(
        send(&app, upload_body(CREATOR, SignScheme::Raw, SD, SD_ARGS, ts)).await,
        "task_id",
        "Task already uploaded",
    );
}

#[tokio::test]
async fn signature_schemes_are_configuration() {
    let (app, _) = both().await;
    let (status, _) = send(
        &app,
        upload_body(CREATOR, SignScheme::Eip191, GPT, GPT_ARGS, now()),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "personal_sign accepted by default");

    let (raw_only, _) = relay(vec![SignScheme::Raw]).await;
    assert_invalid(
        send(
            &raw_only,
            upload_body(CREATOR, SignScheme::Eip191, GPT, GPT_ARGS, now()),
        )
        .await,
        "signature",
        "Signer not allowed",
    );
    let (status, _) = send(
        &raw_only,
        upload_body(CREATOR, SignScheme::Raw, GPT, GPT_ARGS, now()),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn wallet_style_v_is_accepted_and_high_s_refused() {
    let (app, _) = both().await;
    let ts = now();
    let request = RelayRequest::UploadArgs {
        task_id: GPT,
        task_args: GPT_ARGS,
    };
    let signature = sign_request(&key(CREATOR), SignScheme::Raw, &request, ts).to_hex();
    let mut bytes = hex::decode(&signature[2..]).unwrap();
    // The malleable twin (s' = n - s, parity flipped) recovers the same signer: refused.
    let n = crynux_protocol::U256::from_str_radix(
        "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141",
        16,
    )
    .unwrap();
    let s = crynux_protocol::U256::from_big_endian(&bytes[32..64]);
    let mut twin = bytes.clone();
    (n - s).to_big_endian(&mut twin[32..64]);
    twin[64] ^= 1;
    let body = json!({"task_args": GPT_ARGS, "task_id": GPT, "timestamp": ts, "signature": format!("0x{}", hex::encode(twin))});
    assert_invalid(
        send(&app, json_post("/v1/inference_tasks", body.to_string())).await,
        "signature",
        "Invalid signature",
    );
    bytes[64] += 27;
    let body = json!({"task_args": GPT_ARGS, "task_id": GPT, "timestamp": ts, "signature": format!("0x{}", hex::encode(bytes))});
    let (status, _) = send(&app, json_post("/v1/inference_tasks", body.to_string())).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn the_task_record_is_for_the_creator_and_the_selected_nodes() {
    let (app, _) = both().await;
    for who in [CREATOR, NODES[0], NODES[2]] {
        let (status, body) = send(&app, get_task(SD, who)).await;
        assert_eq!(status, StatusCode::OK);
        let body: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["data"]["status"], 0);
        assert_eq!(body["data"]["selected_nodes"].as_array().unwrap().len(), 3);
        assert_eq!(body["data"]["creator"], json!(key(CREATOR).address()));
    }
    assert_invalid(
        send(&app, get_task(SD, STRANGER)).await,
        "signature",
        "Signer not allowed",
    );
    assert_invalid(
        send(&app, get_task(7, CREATOR)).await,
        "task_id",
        "Task not found on the Blockchain",
    );
    let no_query = Request::get("/v1/inference_tasks/1")
        .body(Body::empty())
        .unwrap();
    assert_invalid(send(&app, no_query).await, "signature", "");
    let bad_id = Request::get("/v1/inference_tasks/abc?timestamp=1&signature=0x")
        .body(Body::empty())
        .unwrap();
    assert_invalid(send(&app, bad_id).await, "task_id", "Invalid task id");
}

#[tokio::test]
async fn sd_results_are_checked_by_phash_and_served_to_the_creator() {
    let (app, store) = both().await;
    let files = vec![png(3), png(5)];
    assert_invalid(
        send(&app, get_result(SD, "0", CREATOR)).await,
        "task_id",
        "Task results not uploaded",
    );
    assert_invalid(
        send(&app, results_upload(SD, NODES[1], &files)).await,
        "signature",
        "Signer not allowed",
    );

    let onchain: Vec<u8> = files.iter().flat_map(|f| phash_png(f).unwrap()).collect();
    succeed(&store, SD, onchain).await;
    assert_invalid(
        send(&app, results_upload(SD, NODES[0], &files)).await,
        "signature",
        "Signer not allowed",
    );
    assert_invalid(
        send(&app, results_upload(SD, NODES[1], &files[..1])).await,
        "images",
        "Expected 2 result files, got 1",
    );
    let swapped = vec![files[1].clone(), files[0].clone()];
    assert_invalid(
        send(&app, results_upload(SD, NODES[1], &swapped)).await,
        "images",
        "do not match",
    );
    assert_invalid(
        send(
            &app,
            results_upload(SD, NODES[1], &[b"x".to_vec(), files[1].clone()]),
        )
        .await,
        "images",
        "not a PNG",
    );
    assert_invalid(
        send(&app, get_result(SD, "0", CREATOR)).await,
        "task_id",
        "Task results not uploaded",
    );

    let (status, body) = send(&app, results_upload(SD, NODES[1], &files)).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    assert_eq!(store.task(SD).await.unwrap().unwrap().result_count, Some(2));
    assert_invalid(
        send(&app, results_upload(SD, NODES[1], &files)).await,
        "task_id",
        "already uploaded",
    );

    for (n, file) in files.iter().enumerate() {
        let (status, body) = send(&app, get_result(SD, &n.to_string(), CREATOR)).await;
        assert_eq!((status, &body), (StatusCode::OK, file));
    }
    assert_invalid(
        send(&app, get_result(SD, "0", NODES[1])).await,
        "signature",
        "Signer not allowed",
    );
    assert_invalid(
        send(&app, get_result(SD, "2", CREATOR)).await,
        "image_num",
        "File not found",
    );
    for hostile in [
        "..%2F..%2Frelay.sqlite",
        "-1",
        "1e0",
        "0x1",
        "%2e%2e",
        "1000",
        "",
    ] {
        let path = format!("/v1/inference_tasks/{SD}/results/{hostile}");
        let request = signed_get(
            &path,
            CREATOR,
            RelayRequest::GetResult {
                task_id: SD,
                image_num: 0,
            },
            now(),
        );
        let (status, body) = send(&app, request).await;
        assert!(status.is_client_error(), "{hostile}: {status}");
        assert_ne!(body, files[0], "{hostile} served a file");
    }
}

#[tokio::test]
async fn a_gpt_result_is_checked_by_sha256() {
    let (app, store) = both().await;
    let file = br#"{"model": "gpt2", "choices": [], "usage": {"prompt_tokens": 1, "completion_tokens": 0, "total_tokens": 1}}"#.to_vec();
    succeed(&store, GPT, sha256(&file).to_vec()).await;
    let mut tampered = file.clone();
    tampered.push(b' ');
    assert_invalid(
        send(&app, results_upload(GPT, NODES[1], &[tampered])).await,
        "images",
        "do not match",
    );
    let (status, _) = send(
        &app,
        results_upload(GPT, NODES[1], std::slice::from_ref(&file)),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = send(&app, get_result(GPT, "0", CREATOR)).await;
    assert_eq!((status, body), (StatusCode::OK, file));
}

#[tokio::test]
async fn an_aborted_task_takes_no_results_and_bodies_over_32_mib_are_refused() {
    let (app, store) = both().await;
    store
        .apply_events(
            vec![TaskEvent::Aborted {
                task_id: SD,
                reason: "Task Cancelled".into(),
            }],
            30,
        )
        .await
        .unwrap();
    assert_invalid(
        send(&app, results_upload(SD, NODES[1], &[png(3)])).await,
        "signature",
        "Signer not allowed",
    );
    let big = json!({"task_args": "x".repeat(33 << 20), "task_id": SD, "timestamp": now(), "signature": "0x"});
    assert_invalid(
        send(&app, json_post("/v1/inference_tasks", big.to_string())).await,
        "body",
        "length limit",
    );
    let huge_upload = results_upload(SD, NODES[1], &[vec![0; 33 << 20]]);
    let (status, _) = send(&app, huge_upload).await;
    assert!(status.is_client_error(), "{status}");
}

#[tokio::test]
async fn health_and_openapi_answer() {
    let (app, _) = both().await;
    let (status, body) = send(&app, Request::get("/").body(Body::empty()).unwrap()).await;
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        (status, body["data"]["last_block"].as_u64()),
        (StatusCode::OK, Some(10))
    );
    assert_eq!(body["data"]["sign_in"], true, "sign-in is offered");
    let (status, body) = send(
        &app,
        Request::get("/openapi.json").body(Body::empty()).unwrap(),
    )
    .await;
    let spec: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(status, StatusCode::OK);
    assert_eq!(spec["paths"].as_object().unwrap().len(), 8);
    assert!(spec["paths"]["/v1/auth/siwe"]["post"].is_object());
    assert_eq!(
        spec["components"]["securitySchemes"]["session"]["scheme"],
        "bearer"
    );
    // CORS is open, as the era relay's.
    let preflight = Request::options("/v1/inference_tasks")
        .header("origin", "http://127.0.0.1:8080")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization,content-type",
        )
        .body(Body::empty())
        .unwrap();
    let response = app.clone().oneshot(preflight).await.unwrap();
    assert!(response
        .headers()
        .contains_key("access-control-allow-origin"));
    // ...and lets the app send its session token.
    let allowed = response.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap();
    assert!(allowed.contains("authorization"), "{allowed}");
}

/// Every route, hostile requests: stale, future and forged signatures, unknown or unreadable
/// task ids. Each answer is a 4xx in the era's envelope, never a 5xx, and serves nothing.
#[tokio::test]
async fn hostile_requests_get_4xx_on_every_route() {
    let (app, store) = both().await;
    let file = png(1);
    succeed(&store, SD, phash_png(&file).unwrap().to_vec()).await;
    let (status, _) = send(
        &app,
        results_upload(SD, NODES[1], std::slice::from_ref(&file)),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    let get_task_at = |task_id: &str, timestamp: u64, signature: &str| {
        Request::get(format!(
            "/v1/inference_tasks/{task_id}?timestamp={timestamp}&signature={signature}"
        ))
        .body(Body::empty())
        .unwrap()
    };
    let get_result_at = |task_id: &str, timestamp: u64, signature: &str| {
        Request::get(format!(
            "/v1/inference_tasks/{task_id}/results/0?timestamp={timestamp}&signature={signature}"
        ))
        .body(Body::empty())
        .unwrap()
    };
    let ts = now();
    let sign = |request: RelayRequest<'_>, timestamp: u64| {
        sign_request(&key(CREATOR), SignScheme::Raw, &request, timestamp).to_hex()
    };
    let task = |timestamp| sign(RelayRequest::GetTask { task_id: SD }, timestamp);
    let result = |timestamp| {
        sign(
            RelayRequest::GetResult {
                task_id: SD,
                image_num: 0,
            },
            timestamp,
        )
    };
    let zeros = format!("0x{}", "00".repeat(65));
    let high_bytes = format!("0x{}1b", "ff".repeat(64));
    let mut cases: Vec<(String, Request<Body>)> = Vec::new();
    for (what, timestamp, task_sig, result_sig) in [
        (
            "stale",
            ts - OUTSIDE_WINDOW,
            task(ts - OUTSIDE_WINDOW),
            result(ts - OUTSIDE_WINDOW),
        ),
        (
            "future",
            ts + OUTSIDE_WINDOW,
            task(ts + OUTSIDE_WINDOW),
            result(ts + OUTSIDE_WINDOW),
        ),
        // Signed for another second, for another route, all zeros, r and s past the order.
        ("forged: other time", ts, task(ts - 1), result(ts - 1)),
        ("forged: other route", ts, result(ts), task(ts)),
        ("forged: zeros", ts, zeros.clone(), zeros.clone()),
        (
            "forged: out of range",
            ts,
            high_bytes.clone(),
            high_bytes.clone(),
        ),
        ("forged: not hex", ts, "0xzz".into(), "%3Cscript%3E".into()),
    ] {
        cases.push((
            format!("get task, {what}"),
            get_task_at("1", timestamp, &task_sig),
        ));
        cases.push((
            format!("get result, {what}"),
            get_result_at("1", timestamp, &result_sig),
        ));
    }
    for id in [
        "99",
        "18446744073709551615",
        "18446744073709551616",
        "-1",
        "abc",
        "%2e%2e",
    ] {
        cases.push((format!("get task {id}"), get_task_at(id, ts, &task(ts))));
        cases.push((
            format!("get result {id}"),
            get_result_at(id, ts, &result(ts)),
        ));
        cases.push((
            format!("upload results {id}"),
            Request::post(format!("/v1/inference_tasks/{id}/results"))
                .header("content-type", "multipart/form-data; boundary=x")
                .body(Body::from("--x--\r\n"))
                .unwrap(),
        ));
    }
    cases.push((
        "upload args for an unknown task".into(),
        upload_body(CREATOR, SignScheme::Raw, 99, SD_ARGS, ts),
    ));
    cases.push((
        "upload results by a forged node".into(),
        results_upload(SD, STRANGER, std::slice::from_ref(&file)),
    ));
    cases.push((
        "upload results, not multipart".into(),
        json_post(&format!("/v1/inference_tasks/{SD}/results"), "{}".into()),
    ));

    for (what, request) in cases {
        let (status, body) = send(&app, request).await;
        assert!(status.is_client_error(), "{what}: {status}");
        assert_ne!(body, file, "{what}: served the file");
        if let Ok(envelope) = serde_json::from_slice::<Value>(&body) {
            assert_ne!(envelope["message"], "success", "{what}: {envelope}");
        }
    }
}

/// An EIP-4361 message of account `signer` for `nonce`; `change` edits its lines first.
fn siwe_message(signer: usize, nonce: &str, change: impl FnOnce(&mut Vec<String>)) -> String {
    let time = |t: u64| {
        time::OffsetDateTime::from_unix_timestamp(t as i64)
            .unwrap()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap()
    };
    let mut lines = vec![
        "127.0.0.1:8080 wants you to sign in with your Ethereum account:".to_owned(),
        crynux_protocol::to_checksum(&key(signer).address(), None),
        String::new(),
        "Send task arguments and download results of your Crynux tasks from this relay".into(),
        String::new(),
        format!("URI: {APP}"),
        "Version: 1".into(),
        format!("Chain ID: {CHAIN_ID}"),
        format!("Nonce: {nonce}"),
        format!("Issued At: {}", time(now())),
        format!("Expiration Time: {}", time(now() + 3600)),
    ];
    change(&mut lines);
    lines.join("\n")
}

async fn new_nonce(app: &Router) -> String {
    let (status, body) = send(
        app,
        Request::get("/v1/auth/nonce").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let body: Value = serde_json::from_slice(&body).unwrap();
    body["data"]["nonce"].as_str().unwrap().to_owned()
}

/// `message` signed (EIP-191) by `signer`, posted to the sign-in route.
fn sign_in_request(signer: usize, message: &str) -> Request<Body> {
    let hash = SignScheme::Eip191.hash(message.as_bytes());
    let signature = key(signer).sign_hash(&hash).to_hex();
    json_post(
        "/v1/auth/siwe",
        json!({"message": message, "signature": signature}).to_string(),
    )
}

/// Signs `signer` in; its session token.
async fn token_of(app: &Router, signer: usize) -> String {
    let nonce = new_nonce(app).await;
    let (status, body) = send(
        app,
        sign_in_request(signer, &siwe_message(signer, &nonce, |_| {})),
    )
    .await;
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["data"]["address"],
        format!("{:?}", key(signer).address())
    );
    assert_eq!(body["data"]["token"].as_str().unwrap().len(), 64);
    body["data"]["token"].as_str().unwrap().to_owned()
}

fn with_bearer(mut request: Request<Body>, token: &str) -> Request<Body> {
    request
        .headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    request
}

fn bearer_get(path: &str, token: &str) -> Request<Body> {
    with_bearer(Request::get(path).body(Body::empty()).unwrap(), token)
}

#[tokio::test]
async fn every_bad_sign_in_is_refused_with_its_field() {
    let (app, _) = both().await;
    let line = |n: usize, text: String| move |lines: &mut Vec<String>| lines[n] = text;
    let at = |t: u64| {
        time::OffsetDateTime::from_unix_timestamp(t as i64)
            .unwrap()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap()
    };
    type Change = Box<dyn FnOnce(&mut Vec<String>)>;
    let cases: Vec<(Change, usize, &str, &str)> = vec![
        (
            Box::new(|lines: &mut Vec<String>| lines.truncate(3)),
            CREATOR,
            "message",
            "Not an EIP-4361 message",
        ),
        (
            Box::new(line(
                0,
                "evil.example wants you to sign in with your Ethereum account:".into(),
            )),
            CREATOR,
            "message",
            "is not an app of this relay",
        ),
        (
            Box::new(line(5, "URI: http://evil.example/".into())),
            CREATOR,
            "message",
            "is not on http://127.0.0.1:8080",
        ),
        (
            Box::new(line(7, "Chain ID: 1".into())),
            CREATOR,
            "message",
            "Chain ID 1 is not this relay's network",
        ),
        (
            Box::new(line(8, "Nonce: neverHandedOut1".into())),
            CREATOR,
            "message",
            "Nonce unknown, used or expired",
        ),
        (
            Box::new(line(9, format!("Issued At: {}", at(now() - 600)))),
            CREATOR,
            "message",
            "Issued At is too far",
        ),
        (
            Box::new(|lines: &mut Vec<String>| drop(lines.pop())),
            CREATOR,
            "message",
            "Expiration Time is missing",
        ),
        (
            Box::new(line(10, format!("Expiration Time: {}", at(now() - 1)))),
            CREATOR,
            "message",
            "Expiration Time has passed",
        ),
        (
            Box::new(line(
                10,
                format!("Expiration Time: {}", at(now() + 25 * 3600)),
            )),
            CREATOR,
            "message",
            "more than 24 hours ahead",
        ),
        (
            Box::new(|_: &mut Vec<String>| {}),
            STRANGER,
            "signature",
            "not the address's",
        ),
    ];
    for (change, signer, field, words) in cases {
        let nonce = new_nonce(&app).await;
        let message = siwe_message(CREATOR, &nonce, change);
        assert_invalid(
            send(&app, sign_in_request(signer, &message)).await,
            field,
            words,
        );
    }
    // A nonce is used once.
    let nonce = new_nonce(&app).await;
    let message = siwe_message(CREATOR, &nonce, |_| {});
    assert_eq!(
        send(&app, sign_in_request(CREATOR, &message)).await.0,
        StatusCode::OK
    );
    assert_invalid(
        send(&app, sign_in_request(CREATOR, &message)).await,
        "message",
        "Nonce unknown, used or expired",
    );
}

#[tokio::test]
async fn a_session_token_stands_in_for_the_signatures_of_its_account() {
    let (app, store) = both().await;
    let token = token_of(&app, CREATOR).await;
    // Upload, read and download with the token alone.
    let upload = json_post(
        "/v1/inference_tasks",
        json!({"task_args": GPT_ARGS, "task_id": GPT}).to_string(),
    );
    let (status, body) = send(&app, with_bearer(upload, &token)).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    let task = |token: &str| bearer_get(&format!("/v1/inference_tasks/{GPT}"), token);
    assert_eq!(send(&app, task(&token)).await.0, StatusCode::OK);
    let reply = br#"{"model":"gpt2","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":0,"total_tokens":1}}"#.to_vec();
    succeed(&store, GPT, sha256(&reply).to_vec()).await;
    assert_eq!(
        send(
            &app,
            results_upload(GPT, NODES[1], std::slice::from_ref(&reply))
        )
        .await
        .0,
        StatusCode::OK
    );
    let download = |token: &str| bearer_get(&format!("/v1/inference_tasks/{GPT}/results/0"), token);
    assert_eq!(send(&app, download(&token)).await, (StatusCode::OK, reply));

    // Another account's session gets nothing of this task.
    let stranger = token_of(&app, STRANGER).await;
    let (status, body) = send(&app, download(&stranger)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(!body.starts_with(b"{\"model"));
    assert_eq!(send(&app, task(&stranger)).await.0, StatusCode::FORBIDDEN);

    // A token in the address is refused; an unknown one is 401.
    let in_query = Request::get(format!("/v1/inference_tasks/{GPT}/results/0?token={token}"))
        .body(Body::empty())
        .unwrap();
    assert_invalid(send(&app, in_query).await, "token", "Authorization header");
    assert_eq!(
        send(&app, download("0123")).await.0,
        StatusCode::UNAUTHORIZED
    );

    // After logout, and after its expiry, the token is refused.
    let logout = with_bearer(
        Request::post("/v1/auth/logout")
            .body(Body::empty())
            .unwrap(),
        &token,
    );
    assert_eq!(send(&app, logout).await.0, StatusCode::OK);
    assert_eq!(
        send(&app, download(&token)).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (expired, hash) = crynux_relay::auth::new_token();
    store
        .start_session(hash, key(CREATOR).address(), now() - 1, now() - 100)
        .await
        .unwrap();
    assert_eq!(
        send(&app, download(&expired)).await.0,
        StatusCode::UNAUTHORIZED
    );

    // Neither a token nor a signature: the era's signature error; era signatures still work.
    let bare = Request::get(format!("/v1/inference_tasks/{GPT}"))
        .body(Body::empty())
        .unwrap();
    assert_invalid(send(&app, bare).await, "signature", "Invalid signature");
    assert_eq!(
        send(&app, get_result(GPT, "0", CREATOR)).await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn ten_thousand_nonce_requests_keep_the_table_at_its_bound() {
    let (app, _) = both().await;
    let first = new_nonce(&app).await;
    let mut last = String::new();
    for _ in 0..10_000 {
        last = new_nonce(&app).await;
    }
    // The oldest were dropped to make room; the newest still signs in.
    let refused = send(
        &app,
        sign_in_request(CREATOR, &siwe_message(CREATOR, &first, |_| {})),
    )
    .await;
    assert_invalid(refused, "message", "Nonce unknown, used or expired");
    let accepted = send(
        &app,
        sign_in_request(CREATOR, &siwe_message(CREATOR, &last, |_| {})),
    )
    .await;
    assert_eq!(accepted.0, StatusCode::OK);
}
