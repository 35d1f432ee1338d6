//! The era's HTTP API v1: paths, signed parameters, checks in the era's order, and its
//! envelopes (`{"message": "success", "data": …}`, 400 `validation_error` with the field).

use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use crynux_protocol::args::{validate, ArgsError, TaskType};
use crynux_protocol::hash::{keccak256, sha256};
use crynux_protocol::phash::{phash_png, PHASH_BYTES};
use crynux_protocol::relay::*;
use crynux_protocol::signing::{recover_request_signer, RelayRequest, SignScheme, Signature};
use crynux_protocol::Address;
use serde::Deserialize;
use serde_json::{json, Value};
use tower_http::cors::CorsLayer;

use crate::auth::{check_sign_in, new_token, token_hash, Nonces, SignInRules};
use crate::store::{Status, Store, StoreError, TaskRecord};

/// Largest request body: a result upload of 10 images.
pub const BODY_LIMIT: usize = 32 << 20;
/// How far a request's timestamp may be from the relay's clock.
pub const TIMESTAMP_WINDOW_SECS: u64 = 60;

/// What the handlers share.
#[derive(Clone)]
pub struct AppState {
    /// Tasks, results and sessions.
    pub store: Store,
    /// Signature schemes accepted.
    pub schemes: Vec<SignScheme>,
    /// What a sign-in must match (no app origin: sign-in is not offered).
    pub sign_in: SignInRules,
    /// Nonces handed out for sign-ins.
    pub nonces: Nonces,
}

impl AppState {
    /// The state of a relay over `store` accepting `schemes` and the sign-ins of `sign_in`.
    pub fn new(store: Store, schemes: Vec<SignScheme>, sign_in: SignInRules) -> Self {
        Self {
            store,
            schemes,
            sign_in,
            nonces: Nonces::default(),
        }
    }
}

/// The relay's routes, CORS open as the era relay's.
pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/", get(health))
        .route("/openapi.json", get(openapi))
        .route("/v1/auth/nonce", get(nonce))
        .route("/v1/auth/siwe", post(sign_in))
        .route("/v1/auth/logout", post(logout))
        .route("/v1/inference_tasks", post(upload_args))
        .route("/v1/inference_tasks/{task_id}", get(get_task))
        .route(
            "/v1/inference_tasks/{task_id}/results",
            post(upload_results),
        )
        .route(
            "/v1/inference_tasks/{task_id}/results/{image_num}",
            get(get_result),
        )
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(CorsLayer::very_permissive())
        .with_state(state)
}

/// A failed request, as the era relay answers it.
#[derive(Debug)]
pub enum ApiError {
    /// 400 `validation_error` naming the field.
    Validation {
        /// The request field at fault.
        field: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// 401: no session under the token (unknown, ended or expired).
    Unauthorized,
    /// 403: the session's account may not use this task.
    Forbidden,
    /// 500: the relay's own fault; the details go to the log, not to the client.
    Internal(String),
}

fn invalid(field: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::Validation {
        field,
        message: message.into(),
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        Self::Internal(e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            Self::Validation { field, message } => (
                StatusCode::BAD_REQUEST,
                Json(json!({"message": "validation_error", "data": {"field_name": field, "message": message}})),
            )
                .into_response(),
            Self::Internal(detail) => {
                eprintln!("relay: internal error: {detail}");
                (StatusCode::INTERNAL_SERVER_ERROR, Json(json!({"message": "Internal error"}))).into_response()
            }
            Self::Unauthorized => {
                (StatusCode::UNAUTHORIZED, Json(json!({"message": "Unauthorized: sign in again"}))).into_response()
            }
            Self::Forbidden => {
                (StatusCode::FORBIDDEN, Json(json!({"message": "This account may not use this task"}))).into_response()
            }
        }
    }
}

fn success(data: Value) -> Json<Value> {
    Json(json!({"message": "success", "data": data}))
}

async fn health(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let last_block = state.store.last_block().await?;
    let sign_in = !state.sign_in.app_origins.is_empty();
    Ok(success(
        json!({"name": "crynux-relay", "last_block": last_block, "sign_in": sign_in}),
    ))
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `GET /v1/auth/nonce`: a fresh single-use nonce for a sign-in message.
async fn nonce(State(state): State<AppState>) -> Json<Value> {
    success(json!({"nonce": state.nonces.issue(unix_now())}))
}

#[derive(Deserialize)]
struct SignInBody {
    message: String,
    signature: String,
}

/// `POST /v1/auth/siwe`: an EIP-4361 message and its `personal_sign` for a session token.
async fn sign_in(
    State(state): State<AppState>,
    body: Result<Json<SignInBody>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let Json(body) = body.map_err(|e| invalid("body", e.body_text()))?;
    let now = unix_now();
    let grant = check_sign_in(
        &body.message,
        &body.signature,
        &state.sign_in,
        &state.nonces,
        now,
    )
    .map_err(|refusal| invalid(refusal.field, refusal.message))?;
    let (token, hash) = new_token();
    state
        .store
        .start_session(hash, grant.address, grant.expires_at, now)
        .await?;
    Ok(success(json!({
        "token": token,
        "expires_at": grant.expires_at,
        "address": format!("{:?}", grant.address),
    })))
}

/// `POST /v1/auth/logout`: ends the session of the bearer token.
async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let token = bearer(&headers)?.ok_or(ApiError::Unauthorized)?;
    state.store.end_session(token_hash(token)).await?;
    Ok(success(Value::Null))
}

/// The token of an `Authorization: Bearer` header, if there is such a header.
fn bearer(headers: &HeaderMap) -> Result<Option<&str>, ApiError> {
    headers
        .get(header::AUTHORIZATION)
        .map(|value| {
            value
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .filter(|t| !t.is_empty())
                .ok_or(ApiError::Unauthorized)
        })
        .transpose()
}

/// Who calls: the accounts that could have signed an era request, or a session's account.
enum Caller {
    Signers(Vec<Address>),
    Session(Address),
}

/// The caller of `request`: the session of a bearer token, else the era's signature.
async fn caller(
    state: &AppState,
    headers: &HeaderMap,
    request: &RelayRequest<'_>,
    timestamp: Option<u64>,
    signature: Option<&str>,
) -> Result<Caller, ApiError> {
    if let Some(token) = bearer(headers)? {
        let address = state.store.session(token_hash(token), unix_now()).await?;
        return address.map(Caller::Session).ok_or(ApiError::Unauthorized);
    }
    let signature = signature.ok_or_else(|| invalid("signature", INVALID_SIGNATURE))?;
    let timestamp = timestamp.ok_or_else(|| invalid("timestamp", "Invalid timestamp"))?;
    signers(state, request, timestamp, signature).map(Caller::Signers)
}

async fn openapi() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        include_str!("../openapi.json"),
    )
}

#[derive(Deserialize)]
struct UploadArgsBody {
    task_args: String,
    task_id: u64,
    timestamp: Option<u64>,
    signature: Option<String>,
}

/// `POST /v1/inference_tasks`: checks in the era's order — signature, task known, schema,
/// signer is the creator, not yet uploaded, hash.
async fn upload_args(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Json<UploadArgsBody>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let Json(body) = body.map_err(|e| invalid("body", e.body_text()))?;
    let request = RelayRequest::UploadArgs {
        task_id: body.task_id,
        task_args: &body.task_args,
    };
    let signers = caller(
        &state,
        &headers,
        &request,
        body.timestamp,
        body.signature.as_deref(),
    )
    .await?;
    let task = known_task(&state, body.task_id).await?;
    let task_type =
        TaskType::from_id(task.task_type).ok_or_else(|| invalid("task_id", "Unknown task type"))?;
    match validate(task_type, &body.task_args) {
        Ok(_) => {}
        Err(ArgsError::Invalid(issues)) => {
            let text = issues
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ");
            return Err(invalid("task_args", text));
        }
        Err(not_json) => return Err(invalid("task_args", not_json.to_string())),
    }
    allow(&signers, &[task.creator])?;
    if task.status != Status::Created {
        return Err(invalid("task_id", ALREADY_UPLOADED));
    }
    if format!("0x{}", hex::encode(keccak256(body.task_args.as_bytes()))) != task.task_hash {
        return Err(invalid("task_hash", TASK_HASH_MISMATCH));
    }
    if !state
        .store
        .save_args(body.task_id, body.task_args.clone())
        .await?
    {
        return Err(invalid("task_id", ALREADY_UPLOADED));
    }
    // What was stored, without reading it back.
    let task = TaskRecord {
        status: Status::ArgsUploaded,
        task_args: Some(body.task_args),
        ..task
    };
    Ok(success(serde_json::to_value(task).unwrap_or_default()))
}

#[derive(Deserialize)]
struct SignedQuery {
    timestamp: Option<u64>,
    signature: Option<String>,
    token: Option<String>,
}

impl SignedQuery {
    /// Its timestamp and signature; a token in the address is refused (addresses are logged
    /// and kept in histories).
    fn signed(&self) -> Result<(Option<u64>, Option<&str>), ApiError> {
        if self.token.is_some() {
            return Err(invalid(
                "token",
                "A token goes in the Authorization header, never in the address",
            ));
        }
        Ok((self.timestamp, self.signature.as_deref()))
    }
}

/// `GET /v1/inference_tasks/{task_id}`: for the creator and the selected nodes.
async fn get_task(
    State(state): State<AppState>,
    headers: HeaderMap,
    task_id: Result<Path<u64>, PathRejection>,
    query: Result<Query<SignedQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Path(task_id) = task_id.map_err(|_| invalid("task_id", "Invalid task id"))?;
    let Query(query) = query.map_err(|e| invalid("signature", e.body_text()))?;
    let (timestamp, signature) = query.signed()?;
    let request = RelayRequest::GetTask { task_id };
    let signers = caller(&state, &headers, &request, timestamp, signature).await?;
    let task = known_task(&state, task_id).await?;
    let mut allowed = vec![task.creator];
    allowed.extend(&task.selected_nodes);
    allow(&signers, &allowed)?;
    Ok(success(serde_json::to_value(task).unwrap_or_default()))
}

/// `POST /v1/inference_tasks/{task_id}/results`: the result node's files, checked against
/// the result the chain agreed on (pHash per PNG for SD, sha256 for GPT).
async fn upload_results(
    State(state): State<AppState>,
    headers: HeaderMap,
    task_id: Result<Path<u64>, PathRejection>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Json<Value>, ApiError> {
    let Path(task_id) = task_id.map_err(|_| invalid("task_id", "Invalid task id"))?;
    let mut multipart = multipart.map_err(|e| invalid("images", e.body_text()))?;
    let (mut files, mut timestamp, mut signature) = (Vec::new(), None, None);
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| invalid("images", e.body_text()))?
    {
        let name = field.name().unwrap_or_default().to_owned();
        let bytes = field
            .bytes()
            .await
            .map_err(|e| invalid("images", e.body_text()))?;
        match name.as_str() {
            "images" | "images[]" => files.push(bytes.to_vec()),
            "timestamp" => {
                timestamp = std::str::from_utf8(&bytes)
                    .ok()
                    .and_then(|t| t.parse().ok())
            }
            "signature" => signature = String::from_utf8(bytes.to_vec()).ok(),
            _ => {}
        }
    }
    let request = RelayRequest::UploadResults { task_id };
    let signers = caller(&state, &headers, &request, timestamp, signature.as_deref()).await?;
    let task = known_task(&state, task_id).await?;
    allow(&signers, &task.result_node.into_iter().collect::<Vec<_>>())?;
    match task.status {
        Status::PendingResults => {}
        Status::ResultsUploaded => return Err(invalid("task_id", "Task results already uploaded")),
        _ => {
            return Err(invalid(
                "task_id",
                "Task is not successful on the Blockchain",
            ))
        }
    }
    let onchain = hex::decode(
        task.result
            .as_deref()
            .unwrap_or_default()
            .trim_start_matches("0x"),
    )
    .map_err(|e| ApiError::Internal(e.to_string()))?;
    check_results(task.task_type, &onchain, &files)?;
    if !state.store.save_results(task_id, files).await? {
        return Err(invalid("task_id", "Task results already uploaded"));
    }
    Ok(success(Value::Null))
}

fn check_results(task_type: u64, onchain: &[u8], files: &[Vec<u8>]) -> Result<(), ApiError> {
    let expected_files = if task_type == 1 {
        1
    } else {
        onchain.len() / PHASH_BYTES
    };
    if files.len() != expected_files {
        return Err(invalid(
            "images",
            format!(
                "Expected {expected_files} result files, got {}",
                files.len()
            ),
        ));
    }
    let computed: Vec<u8> = if task_type == 1 {
        sha256(&files[0]).to_vec()
    } else {
        let mut hashes = Vec::with_capacity(onchain.len());
        for file in files {
            hashes.extend(phash_png(file).map_err(|e| invalid("images", e))?);
        }
        hashes
    };
    if computed != onchain {
        return Err(invalid(
            "images",
            "Result files do not match the result on the Blockchain",
        ));
    }
    Ok(())
}

/// `GET /v1/inference_tasks/{task_id}/results/{image_num}`: raw bytes, for the creator.
async fn get_result(
    State(state): State<AppState>,
    headers: HeaderMap,
    path: Result<Path<(u64, String)>, PathRejection>,
    query: Result<Query<SignedQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Path((task_id, image_num)) = path.map_err(|_| invalid("task_id", "Invalid task id"))?;
    let Query(query) = query.map_err(|e| invalid("signature", e.body_text()))?;
    // Only plain decimal numbers name files: no signs, no paths.
    let number: Option<u32> = (!image_num.is_empty()
        && image_num.len() <= 3
        && image_num.bytes().all(|b| b.is_ascii_digit()))
    .then(|| image_num.parse().ok())
    .flatten();
    let number = number.ok_or_else(|| invalid("image_num", FILE_NOT_FOUND))?;
    let request = RelayRequest::GetResult {
        task_id,
        image_num: number,
    };
    let (timestamp, signature) = query.signed()?;
    let signers = caller(&state, &headers, &request, timestamp, signature).await?;
    let task = known_task(&state, task_id).await?;
    allow(&signers, &[task.creator])?;
    let count = match (task.status, task.result_count) {
        (Status::ResultsUploaded, Some(count)) => count,
        _ => return Err(invalid("task_id", RESULTS_NOT_UPLOADED)),
    };
    if number >= count {
        return Err(invalid("image_num", FILE_NOT_FOUND));
    }
    let bytes = state.store.result_file(task_id, number).await?;
    Ok(([(header::CONTENT_TYPE, "application/octet-stream")], bytes).into_response())
}

/// Everyone who could have signed `request`: one address per accepted scheme. Fails when
/// the timestamp is stale or the signature malformed or malleable (high s).
fn signers(
    state: &AppState,
    request: &RelayRequest<'_>,
    timestamp: u64,
    signature: &str,
) -> Result<Vec<Address>, ApiError> {
    if unix_now().abs_diff(timestamp) > TIMESTAMP_WINDOW_SECS {
        return Err(invalid("timestamp", TIMESTAMP_EXPIRED));
    }
    let signature = Signature::from_hex(signature)
        .ok()
        .filter(|s| !s.was_high_s())
        .ok_or_else(|| invalid("signature", INVALID_SIGNATURE))?;
    let signers: Vec<Address> = state
        .schemes
        .iter()
        .filter_map(|&scheme| recover_request_signer(scheme, request, timestamp, &signature).ok())
        .collect();
    if signers.is_empty() {
        return Err(invalid("signature", INVALID_SIGNATURE));
    }
    Ok(signers)
}

/// Lets `caller` through when it is one of `allowed`: else the era's signer error, or 403
/// for a session.
fn allow(caller: &Caller, allowed: &[Address]) -> Result<(), ApiError> {
    match caller {
        Caller::Signers(signers) if signers.iter().any(|s| allowed.contains(s)) => Ok(()),
        Caller::Signers(_) => Err(invalid("signature", SIGNER_NOT_ALLOWED)),
        Caller::Session(address) if allowed.contains(address) => Ok(()),
        Caller::Session(_) => Err(ApiError::Forbidden),
    }
}

async fn known_task(state: &AppState, task_id: u64) -> Result<TaskRecord, ApiError> {
    state
        .store
        .task(task_id)
        .await?
        .ok_or_else(|| invalid("task_id", TASK_NOT_ON_CHAIN))
}
