//! Sign-In with Ethereum on a relay that offers it: one `personal_sign` per account and tab
//! opens a session whose token stands in for the per-request signatures. The token is kept
//! per relay and account in this tab's `sessionStorage` (a reload keeps it, a new tab signs
//! in again), and so is a refusal (the per-request signatures then go on as before).

use crynux_protocol::profile::NetworkProfile;
use crynux_protocol::read::{unreadable, variant, Fields, FromJson, Read};
use crynux_protocol::sign_in::SignIn;
use crynux_protocol::Address;
use leptos::prelude::*;
use serde::Serialize;
use serde_json::Value;

use crate::browser::{read_kept, tab_load, tab_remove_all, tab_save, unix_seconds, Backoff};
use crate::error::TaskError;
use crate::relay::{RelayClient, RelayError, Session};
use crate::wallet::{Wallet, WalletError};

/// Where this tab keeps its relay sessions.
const PREFIX: &str = "crynux/relay-session/";
/// A token this close to its end is not used (a task's requests may take that long).
const END_MARGIN_SECS: u64 = 10 * 60;

/// What this tab keeps for one relay and account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(serde::Deserialize))]
enum Kept {
    /// Signed in.
    Session { token: String, expires_at: u64 },
    /// The user refused to sign in, or the relay refused the sign-in.
    Declined,
}

impl FromJson for Kept {
    fn from_json(value: Value, pointer: &str) -> Read<Self> {
        if value == "Declined" {
            return Ok(Self::Declined);
        }
        let (name, content, pointer) = variant(value, pointer)?;
        match name.as_str() {
            "Session" => {
                let mut fields = Fields::of(content, &pointer)?;
                Ok(Self::Session {
                    token: fields.required("token")?,
                    expires_at: fields.required("expires_at")?,
                })
            }
            "Declined" if content.is_null() => Ok(Self::Declined),
            _ => unreadable(&pointer, "must be a Session or Declined"),
        }
    }
}

/// The relay sessions of this tab.
#[derive(Clone, Copy)]
pub struct RelayAuth {
    /// Whether the profile says the relay offers sign-in.
    pub offered: bool,
    chain_id: u64,
    relay: StoredValue<RelayClient>,
    /// Bumped on every change, for the views.
    changed: RwSignal<u32>,
}

impl RelayAuth {
    /// The sessions with `profile`'s relay.
    pub fn new(profile: &NetworkProfile) -> Self {
        Self {
            offered: profile.relay_sign_in,
            chain_id: profile.chain_id,
            relay: StoredValue::new(RelayClient::new(&profile.relay_url)),
            changed: RwSignal::new(0),
        }
    }

    fn key(&self, account: Address) -> String {
        self.relay
            .with_value(|relay| format!("{PREFIX}{}/{account:?}", relay.base()))
    }

    fn kept(&self, account: Address) -> Option<Kept> {
        read_kept(&tab_load(&self.key(account))?)
    }

    fn keep(&self, account: Address, kept: &Kept) {
        if let Ok(text) = serde_json::to_string(kept) {
            tab_save(&self.key(account), &text);
        }
        self.changed.update(|n| *n += 1);
    }

    /// The session token of `account`, if it has one that has not (nearly) ended.
    pub fn token(&self, account: Address) -> Option<String> {
        match self.kept(account)? {
            Kept::Session { token, expires_at }
                if expires_at > unix_seconds() + END_MARGIN_SECS =>
            {
                Some(token)
            }
            _ => None,
        }
    }

    /// Whether `account` is signed in (tracked).
    pub fn signed_in(&self, account: Address) -> bool {
        self.changed.track();
        self.token(account).is_some()
    }

    /// Whether this tab uses per-request signatures for `account`: sign-in not offered or
    /// declined.
    pub fn declined(&self, account: Address) -> bool {
        !self.offered || self.kept(account) == Some(Kept::Declined)
    }

    /// Forgets every session of this tab (the account or the network changed).
    pub fn forget_all(&self) {
        tab_remove_all(PREFIX);
        self.changed.update(|n| *n += 1);
    }

    /// Forgets the session of `account` (the relay no longer knows it).
    pub fn forget(&self, account: Address) {
        tab_remove_all(&self.key(account));
        self.changed.update(|n| *n += 1);
    }

    /// Ends the session of `account` on the relay, and forgets it here.
    pub async fn sign_out(&self, account: Address) -> Result<(), RelayError> {
        let token = self.token(account);
        self.forget(account);
        match token {
            Some(token) => self.relay.get_value().sign_out(&token).await,
            None => Ok(()),
        }
    }

    /// Asks `wallet` to sign in `account` with one `personal_sign` of an EIP-4361 message
    /// for this page and network; the token, or `None` when the user or the relay refused
    /// (remembered: per-request signatures then). While the relay is down or failing, `say`
    /// is told so and the request is made again.
    pub async fn sign_in(
        &self,
        wallet: &Wallet,
        account: Address,
        say: impl Fn(String),
    ) -> Result<Option<String>, TaskError> {
        let relay = self.relay.get_value();
        let nonce = again_while_down(&say, || relay.nonce())
            .await
            .map_err(TaskError::Relay)?;
        let location = window().location();
        let (domain, uri) = (
            location.host().unwrap_or_default(),
            location.origin().unwrap_or_default(),
        );
        let message = SignIn {
            domain: &domain,
            uri: &uri,
            address: account,
            chain_id: self.chain_id,
            nonce: &nonce,
            issued_at: unix_seconds(),
        }
        .message();
        let signature = match wallet.personal_sign(account, message.as_bytes()).await {
            Err(WalletError::UserRejected) => {
                self.keep(account, &Kept::Declined);
                return Ok(None);
            }
            other => other?,
        };
        match again_while_down(&say, || relay.sign_in(&message, &signature)).await {
            Ok(Session { token, expires_at }) => {
                self.keep(
                    account,
                    &Kept::Session {
                        token: token.clone(),
                        expires_at,
                    },
                );
                Ok(Some(token))
            }
            Err(RelayError::Refused { .. }) => {
                self.keep(account, &Kept::Declined);
                Ok(None)
            }
            Err(e) => Err(TaskError::Relay(e)),
        }
    }
}

/// Makes `request` until the relay answers it (a success or a refusal), telling `say`
/// about each failure and the pause after it.
async fn again_while_down<T, Fut>(
    say: &impl Fn(String),
    request: impl Fn() -> Fut,
) -> Result<T, RelayError>
where
    Fut: std::future::Future<Output = Result<T, RelayError>>,
{
    let mut backoff = Backoff::new(500, 4_000);
    loop {
        match request().await {
            Err(e) if e.is_transient() => {
                say(format!("{e} Next try in {} s.", backoff.seconds()));
                backoff.pause().await;
            }
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::Kept;

    #[test]
    fn a_kept_session_is_read_by_hand_as_serde_s_derived_reader_reads_it() {
        let examples = [
            Kept::Session {
                token: "t".into(),
                expires_at: 1_900_000_000,
            },
            Kept::Declined,
        ];
        let mut others = crynux_protocol::read::every_kind();
        others.extend([
            json!("Declined"),
            json!({"Declined": null}),
            json!({"Declined": {}}),
        ]);
        let (read, documents) =
            crynux_protocol::read::assert_read_as_serde_reads(&examples, &others);
        assert!(read >= 4, "only {read} of {documents} read");
    }
}
