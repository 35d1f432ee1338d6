//! The relay client: upload a task's arguments, download its results, sign in and out.
//! Signing is the caller's; this module only speaks HTTP and turns the relay's answers into
//! [`RelayError`].

use std::fmt;

use crynux_protocol::relay::*;
use crynux_protocol::signing::{RelayRequest, Signature};
use gloo_net::http::Response;
use serde_json::{json, Value};

use crate::browser::{get, post_json, request_failure};

/// Why a relay request failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RelayError {
    /// No answer (the relay is down or unreachable).
    Unreachable(String),
    /// HTTP 400 `validation_error`: the relay refused the request, naming the field.
    Refused {
        /// The request field at fault.
        field: String,
        /// The relay's reason.
        message: String,
    },
    /// Any other error status.
    Failed {
        /// The HTTP status.
        status: u16,
        /// The relay's message, if it gave one.
        message: String,
    },
}

impl RelayError {
    fn refused_with(&self, text: &str) -> bool {
        matches!(self, Self::Refused { message, .. } if message == text)
    }

    /// The relay has not yet seen the task on the chain (it follows the chain a little
    /// behind): ask again.
    pub fn task_not_seen_yet(&self) -> bool {
        self.refused_with(TASK_NOT_ON_CHAIN)
    }

    /// The result node has not uploaded the file yet: ask again.
    pub fn results_not_ready(&self) -> bool {
        self.refused_with(RESULTS_NOT_UPLOADED)
            || self.refused_with(FILE_NOT_FOUND)
            || matches!(self, Self::Failed { status: 404, .. })
    }

    /// The upload was already accepted (an earlier attempt whose answer got lost).
    pub fn already_uploaded(&self) -> bool {
        self.refused_with(ALREADY_UPLOADED)
    }

    /// The signed timestamp is too old: sign again.
    pub fn signature_expired(&self) -> bool {
        self.refused_with(TIMESTAMP_EXPIRED)
    }

    /// The sign-in session is unknown to the relay or ended: sign in again.
    pub fn session_ended(&self) -> bool {
        matches!(self, Self::Failed { status: 401, .. })
    }

    /// The relay is down or failing: the same request may succeed later.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Unreachable(_) => true,
            Self::Failed { status, .. } => *status >= 500 || *status == 429,
            Self::Refused { .. } => false,
        }
    }
}

impl fmt::Display for RelayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unreachable(reason) => write!(
                f,
                "The relay does not answer ({reason}). It may be restarting; the app keeps \
                 trying."
            ),
            _ if self.task_not_seen_yet() => f.write_str(
                "The relay has not seen this task on the chain yet; the app keeps trying.",
            ),
            _ if self.results_not_ready() => {
                f.write_str("The results are not on the relay yet; the app keeps trying.")
            }
            _ if self.refused_with(SIGNER_NOT_ALLOWED) => f.write_str(
                "The relay says this account did not create the task. Switch your wallet back \
                 to the account that paid for it.",
            ),
            _ if self.refused_with(INVALID_SIGNATURE) => f.write_str(
                "The relay did not accept your wallet's signature. Sign again; if it keeps \
                 failing, this relay may need a wallet that signs raw hashes.",
            ),
            _ if self.refused_with(TASK_HASH_MISMATCH) => {
                f.write_str("The relay says these arguments are not the ones that were paid for.")
            }
            _ if self.signature_expired() => f.write_str(
                "The signature is too old for the relay (or your computer's clock is off). \
                 Sign again.",
            ),
            _ if self.session_ended() => f.write_str(
                "The relay no longer knows this sign-in (it ended or the relay was reset). \
                 Sign in again.",
            ),
            Self::Refused { field, message } => {
                write!(f, "The relay refused the request: {field}: {message}.")
            }
            Self::Failed { status, message } => write!(
                f,
                "The relay failed (HTTP {status}{}{message}). Try again in a moment.",
                if message.is_empty() { "" } else { ": " }
            ),
        }
    }
}

impl std::error::Error for RelayError {}

/// How a relay request shows who asks.
#[derive(Debug, Clone)]
pub enum Auth {
    /// The era's signature of the request at `timestamp`.
    Signed {
        /// Unix seconds signed with the request.
        timestamp: u64,
        /// The signature.
        signature: Signature,
    },
    /// The token of a sign-in session (`Authorization: Bearer`).
    Bearer(String),
}

/// A session the relay granted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The bearer token.
    pub token: String,
    /// When it ends (Unix seconds).
    pub expires_at: u64,
}

/// The relay at one base URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelayClient {
    base: String,
}

impl RelayClient {
    /// A client for the relay at `base` (`http://host:port`).
    pub fn new(base: &str) -> Self {
        Self {
            base: base.trim_end_matches('/').to_owned(),
        }
    }

    /// Its base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// `POST /v1/inference_tasks`: uploads the exact arguments string that was hashed.
    pub async fn upload_args(
        &self,
        task_id: u64,
        task_args: &str,
        auth: &Auth,
    ) -> Result<(), RelayError> {
        let request = RelayRequest::UploadArgs { task_id, task_args };
        let mut body = json!({"task_args": task_args, "task_id": task_id});
        if let Auth::Signed {
            timestamp,
            signature,
        } = auth
        {
            body["timestamp"] = (*timestamp).into();
            body["signature"] = signature.to_hex().into();
        }
        let url = format!("{}{}", self.base, request.path());
        let response = post_json(&url, &body, bearer(auth))
            .await
            .map_err(unreachable)?;
        checked(response).await.map(drop)
    }

    /// `GET /v1/inference_tasks/{task_id}`: the arguments the creator uploaded.
    pub async fn task_args(&self, task_id: u64, auth: &Auth) -> Result<Option<String>, RelayError> {
        let body: Value = self
            .authorized_get(RelayRequest::GetTask { task_id }, auth)
            .await?
            .json()
            .await
            .map_err(unreachable)?;
        Ok(body["data"]["task_args"].as_str().map(str::to_owned))
    }

    /// `GET /v1/inference_tasks/{task_id}/results/{image_num}`: one result file's bytes.
    pub async fn result_file(
        &self,
        task_id: u64,
        image_num: u32,
        auth: &Auth,
    ) -> Result<Vec<u8>, RelayError> {
        let request = RelayRequest::GetResult { task_id, image_num };
        self.authorized_get(request, auth)
            .await?
            .binary()
            .await
            .map_err(unreachable)
    }

    async fn authorized_get(
        &self,
        request: RelayRequest<'_>,
        auth: &Auth,
    ) -> Result<Response, RelayError> {
        let path = match auth {
            Auth::Signed {
                timestamp,
                signature,
            } => request.signed_get_path(*timestamp, signature),
            Auth::Bearer(_) => request.path(),
        };
        let url = format!("{}{path}", self.base);
        checked(get(&url, bearer(auth)).await.map_err(unreachable)?).await
    }

    /// `GET /v1/auth/nonce`: a fresh nonce for a sign-in message.
    pub async fn nonce(&self) -> Result<String, RelayError> {
        let url = format!("{}/v1/auth/nonce", self.base);
        let response = checked(get(&url, None).await.map_err(unreachable)?).await?;
        let body: Value = response.json().await.map_err(unreachable)?;
        body["data"]["nonce"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| unreadable("nonce"))
    }

    /// `POST /v1/auth/siwe`: a signed EIP-4361 message for a session.
    pub async fn sign_in(
        &self,
        message: &str,
        signature: &Signature,
    ) -> Result<Session, RelayError> {
        let url = format!("{}/v1/auth/siwe", self.base);
        let body = json!({"message": message, "signature": signature.to_hex()});
        let response = post_json(&url, &body, None).await.map_err(unreachable)?;
        let body: Value = checked(response).await?.json().await.map_err(unreachable)?;
        match (
            body["data"]["token"].as_str(),
            body["data"]["expires_at"].as_u64(),
        ) {
            (Some(token), Some(expires_at)) => Ok(Session {
                token: token.to_owned(),
                expires_at,
            }),
            _ => Err(unreadable("session")),
        }
    }

    /// `POST /v1/auth/logout`: ends the session of `token`.
    pub async fn sign_out(&self, token: &str) -> Result<(), RelayError> {
        let url = format!("{}/v1/auth/logout", self.base);
        let response = post_json(&url, &Value::Null, Some(token))
            .await
            .map_err(unreachable)?;
        checked(response).await.map(drop)
    }
}

fn bearer(auth: &Auth) -> Option<&str> {
    match auth {
        Auth::Bearer(token) => Some(token),
        Auth::Signed { .. } => None,
    }
}

fn unreadable(what: &str) -> RelayError {
    RelayError::Failed {
        status: 200,
        message: format!("an unreadable {what}"),
    }
}

fn unreachable(e: gloo_net::Error) -> RelayError {
    RelayError::Unreachable(request_failure(e))
}

/// The response when its status is a success, else the relay's error envelope as an error.
async fn checked(response: Response) -> Result<Response, RelayError> {
    if response.ok() {
        return Ok(response);
    }
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    Err(error_from_envelope(status, &body))
}

/// `400 {"message": "validation_error", "data": {"field_name", "message"}}` or another
/// status with `{"message": …}`.
fn error_from_envelope(status: u16, body: &Value) -> RelayError {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    if status == 400 && body["message"] == "validation_error" {
        RelayError::Refused {
            field: text(&body["data"]["field_name"]),
            message: text(&body["data"]["message"]),
        }
    } else {
        RelayError::Failed {
            status,
            message: text(&body["message"]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(field: &str, message: &str) -> RelayError {
        error_from_envelope(
            400,
            &json!({"message": "validation_error", "data": {"field_name": field, "message": message}}),
        )
    }

    #[test]
    fn the_relays_answers_sort_into_wait_retry_and_stop() {
        assert!(refused("task_id", "Task not found on the Blockchain").task_not_seen_yet());
        assert!(refused("task_id", "Task results not uploaded").results_not_ready());
        assert!(refused("image_num", "File not found").results_not_ready());
        assert!(error_from_envelope(404, &Value::Null).results_not_ready());
        assert!(refused("task_id", "Task already uploaded").already_uploaded());
        assert!(refused("timestamp", "Timestamp expired").signature_expired());
        assert!(RelayError::Unreachable("refused".into()).is_transient());
        assert!(error_from_envelope(500, &json!({"message": "Internal error"})).is_transient());
        let mismatch = refused("task_hash", "Task hash mismatch");
        assert!(!mismatch.is_transient() && !mismatch.task_not_seen_yet());
    }

    #[test]
    fn every_relay_error_reads_as_a_sentence() {
        for error in [
            refused("signature", "Signer not allowed"),
            refused("signature", "Invalid signature"),
            refused("task_hash", "Task hash mismatch"),
            refused("timestamp", "Timestamp expired"),
            refused("task_args", "/prompt: must be a string"),
            error_from_envelope(502, &Value::Null),
            error_from_envelope(401, &Value::Null),
            RelayError::Unreachable("connection refused".into()),
        ] {
            let text = error.to_string();
            assert!(text.ends_with('.') && text.len() > 30, "{text}");
        }
        assert!(refused("task_args", "/prompt: must be a string")
            .to_string()
            .contains("task_args: /prompt: must be a string"));
    }
}
