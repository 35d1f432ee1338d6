//! Load on the relay over loopback: signed result downloads (`GET …/results/{n}`), each
//! request verified (signature recovery, task lookup, file read) as in production.
//! Prints requests per second and latency percentiles.
//!
//! `cargo run --release -p crynux-relay --example load [SECONDS] [CONNECTIONS] [FILE_KB]`

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crynux_protocol::abi::TaskEvent;
use crynux_protocol::signing::{sign_request, PrivateKey, RelayRequest, SignScheme};
use crynux_protocol::H256;
use crynux_relay::{app, AppState, SignInRules, Store};

const CREATOR: &str = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const FILES: u32 = 4;

#[tokio::main]
async fn main() {
    let mut args = std::env::args()
        .skip(1)
        .map(|a| a.parse::<u64>().expect("numbers"));
    let seconds = args.next().unwrap_or(5);
    let connections = args.next().unwrap_or(16) as usize;
    let file_kb = args.next().unwrap_or(256) as usize;

    // A store holding one SD task with uploaded results.
    let dir = std::env::temp_dir().join(format!("crynux-relay-load-{}", std::process::id()));
    let store = Store::open(&dir).expect("store");
    let creator = PrivateKey::from_hex(CREATOR).expect("key");
    let created = (0..3).map(|round| TaskEvent::Created {
        task_id: 1,
        task_type: 0,
        creator: creator.address(),
        selected_node: creator.address(),
        task_hash: H256::zero(),
        data_hash: H256::zero(),
        round,
    });
    let success = TaskEvent::Success {
        task_id: 1,
        result: vec![0; 8 * FILES as usize],
        result_node: creator.address(),
    };
    store
        .apply_events(created.chain([success]).collect(), 1)
        .await
        .expect("seed");
    let files = (0..FILES).map(|n| vec![n as u8; file_kb * 1024]).collect();
    store.save_results(1, files).await.expect("files");

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let sign_in = SignInRules {
        app_origins: Vec::new(),
        chain_id: 31337,
    };
    let state = AppState::new(store, vec![SignScheme::Raw, SignScheme::Eip191], sign_in);
    tokio::spawn(async move { axum::serve(listener, app(state)).await });

    // Signed URLs, one per file, made before the clock starts (signing is the client's cost).
    let timestamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let urls: Arc<Vec<String>> = Arc::new(
        (0..FILES)
            .map(|n| {
                let request = RelayRequest::GetResult {
                    task_id: 1,
                    image_num: n,
                };
                let signature = sign_request(&creator, SignScheme::Raw, &request, timestamp);
                format!("{url}{}", request.signed_get_path(timestamp, &signature))
            })
            .collect(),
    );

    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let workers: Vec<_> = (0..connections)
        .map(|worker| {
            let (client, urls) = (client.clone(), urls.clone());
            tokio::spawn(async move {
                let (mut latencies, mut errors, mut i) = (Vec::new(), 0u64, worker);
                while Instant::now() < deadline {
                    let start = Instant::now();
                    let ok = match client.get(&urls[i % urls.len()]).send().await {
                        Ok(response) => {
                            response.status().is_success() && response.bytes().await.is_ok()
                        }
                        Err(_) => false,
                    };
                    latencies.push(start.elapsed());
                    errors += u64::from(!ok);
                    i += 1;
                }
                (latencies, errors)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut errors = 0;
    for worker in workers {
        let (l, e) = worker.await.expect("worker");
        latencies.extend(l);
        errors += e;
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    let percentile =
        |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    println!(
        "relay load: signed result downloads of {file_kb} KiB, {connections} connections, {seconds} s, loopback, {} cores shared by client and relay",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!(
        "  requests {}  errors {errors}  throughput {:.0} req/s ({:.1} MiB/s)",
        latencies.len(),
        latencies.len() as f64 / elapsed,
        latencies.len() as f64 * file_kb as f64 / 1024.0 / elapsed
    );
    println!(
        "  latency p50 {:.2} ms  p90 {:.2} ms  p99 {:.2} ms  max {:.2} ms",
        percentile(0.50).as_secs_f64() * 1e3,
        percentile(0.90).as_secs_f64() * 1e3,
        percentile(0.99).as_secs_f64() * 1e3,
        latencies.last().map_or(0.0, |d| d.as_secs_f64() * 1e3),
    );
    let _ = std::fs::remove_dir_all(dir);
}
