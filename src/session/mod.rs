//! The session wallet: a key made in this browser that pays for tasks and signs their relay
//! requests itself, so a task needs no wallet prompt, and relays that accept only raw-hash
//! signatures (which browser wallets cannot make) can be used. The key is kept encrypted
//! with the user's passphrase and held in memory only while unlocked.

pub mod vault;

use std::fmt;
use std::time::Duration;

use crynux_protocol::abi::{
    allowance_calldata, approve_calldata, gas_limit_with_margin, transfer_calldata,
};
use crynux_protocol::profile::NetworkProfile;
use crynux_protocol::read::{Fields, FromJson, Read};
use crynux_protocol::signing::{sign_request, PrivateKey, RelayRequest, SignScheme, Signature};
use crynux_protocol::transaction::{Fees, Transaction, TRANSFER_GAS};
use crynux_protocol::{Address, H256, U256};
use leptos::prelude::*;
use serde::Serialize;
use serde_json::Value;

use crate::browser::{load, read_kept, remove, save, unix_millis};
use crate::chain::{wait_for_success, Call, ChainError, ChainReader};
use crate::task::{account_prefix, network_prefix};
use vault::{open, random_bytes, seal, Sealed, VaultError};

/// Minutes without a key press or a click after which an unlocked session wallet locks,
/// unless the user chose otherwise.
pub const DEFAULT_IDLE_MINUTES: u32 = 15;

/// The session wallet as this browser stores it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(serde::Deserialize))]
pub struct StoredSession {
    /// The key's address.
    pub address: Address,
    /// The main account that funded it, where withdrawals go.
    pub funded_by: Option<Address>,
    /// Minutes of inactivity before it locks.
    pub idle_minutes: u32,
    /// The key, encrypted with the passphrase.
    pub sealed: Sealed,
}

impl FromJson for StoredSession {
    fn from_json(value: Value, pointer: &str) -> Read<Self> {
        let mut fields = Fields::of(value, pointer)?;
        Ok(Self {
            address: fields.required("address")?,
            funded_by: fields.optional("funded_by")?,
            idle_minutes: fields.required("idle_minutes")?,
            sealed: fields.required("sealed")?,
        })
    }
}

/// Why the session wallet could not do something.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionError {
    /// Sealing or opening the key failed (a wrong passphrase, most often).
    Vault(VaultError),
    /// The key is locked.
    Locked,
    /// An imported key is not a private key.
    BadKey,
    /// The browser refused to store the encrypted key.
    StorageRefused,
    /// The chain refused or did not answer, or a transaction failed.
    Chain(ChainError),
}

impl fmt::Display for SessionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Vault(e) => e.fmt(f),
            Self::Locked => f.write_str(
                "The session wallet is locked. Unlock it with its passphrase to go on; \
                 nothing was sent.",
            ),
            Self::BadKey => {
                f.write_str("That is not a private key: 64 hexadecimal digits, with or without 0x.")
            }
            Self::StorageRefused => f.write_str(
                "This browser refused to store the encrypted key (storage full or disabled), \
                 so no session wallet was kept.",
            ),
            Self::Chain(e) => e.fmt(f),
        }
    }
}

impl From<ChainError> for SessionError {
    fn from(e: ChainError) -> Self {
        Self::Chain(e)
    }
}

impl From<VaultError> for SessionError {
    fn from(e: VaultError) -> Self {
        Self::Vault(e)
    }
}

/// The transaction sent last, so that a nonce is never reused or skipped across reloads
/// while the RPC server's pending count lags behind.
#[derive(Debug, PartialEq, Serialize)]
#[cfg_attr(test, derive(serde::Deserialize))]
struct LastSent {
    nonce: u64,
    hash: H256,
}

impl FromJson for LastSent {
    fn from_json(value: Value, pointer: &str) -> Read<Self> {
        let mut fields = Fields::of(value, pointer)?;
        Ok(Self {
            nonce: fields.required("nonce")?,
            hash: fields.required("hash")?,
        })
    }
}

/// The session wallet of one network, and what it can do.
#[derive(Clone, Copy)]
pub struct SessionWallet {
    /// The stored session wallet, once read ([`SessionWallet::stored`]).
    stored: RwSignal<Option<StoredSession>>,
    /// Whether `stored` has been read from this browser.
    read: StoredValue<bool>,
    /// Its address while it is unlocked.
    pub unlocked: RwSignal<Option<Address>>,
    key: StoredValue<Option<PrivateKey>, LocalStorage>,
    last_input_ms: StoredValue<u64>,
    idle_watch: StoredValue<Option<IdleWatch>>,
    profile: StoredValue<NetworkProfile>,
}

/// What watches an unlocked session wallet for its idle time: the page's key presses and
/// clicks, and a timer. It runs only while the wallet is unlocked, so no timer wakes a page
/// with nothing to lock, and the first screen, which cannot unlock, carries none of it.
struct IdleWatch {
    keys: WindowListenerHandle,
    clicks: WindowListenerHandle,
    timer: IntervalHandle,
}

/// The session wallet of `profile`'s network; it locks after its idle time without input.
pub fn use_session_wallet(profile: &NetworkProfile) -> SessionWallet {
    let session = SessionWallet {
        stored: RwSignal::new(None),
        read: StoredValue::new(false),
        unlocked: RwSignal::new(None),
        key: StoredValue::new_local(None),
        last_input_ms: StoredValue::new(unix_millis()),
        idle_watch: StoredValue::new(None),
        profile: StoredValue::new(profile.clone()),
    };
    on_cleanup(move || session.stop_watching_idle());
    session
}

fn record_key(profile: &NetworkProfile) -> String {
    format!("{}session-wallet", network_prefix(profile))
}

impl SessionWallet {
    /// The stored session wallet, if there is one. Read from this browser when first asked
    /// for: only the lazily loaded parts ask (the Wallet view, a payment), so the first screen
    /// carries no code to read it. Until then it is locked, and nothing else reads it.
    pub fn stored(&self) -> RwSignal<Option<StoredSession>> {
        if !self.read.get_value() {
            self.read.set_value(true);
            let key = self.profile.with_value(record_key);
            let record = load(&key).and_then(|text| read_kept(&text));
            // No one has read it yet, so no one is told.
            self.stored.update_untracked(|stored| *stored = record);
        }
        self.stored
    }

    fn chain(&self) -> ChainReader {
        self.profile.with_value(|p| ChainReader::new(&p.rpc_url))
    }

    fn store(&self, record: StoredSession) -> Result<(), SessionError> {
        let text = serde_json::to_string(&record).unwrap_or_default();
        if !save(&self.profile.with_value(record_key), &text) {
            return Err(SessionError::StorageRefused);
        }
        self.stored.set(Some(record));
        Ok(())
    }

    fn change(&self, edit: impl FnOnce(&mut StoredSession)) -> Result<(), SessionError> {
        match self.stored().get_untracked() {
            Some(mut record) => {
                edit(&mut record);
                self.store(record)
            }
            None => Ok(()),
        }
    }

    /// A new key from the browser's secure random numbers, stored under `passphrase` and
    /// unlocked; `funded_by` is the account it will be funded from.
    pub async fn create(
        self,
        passphrase: String,
        funded_by: Option<Address>,
    ) -> Result<(), SessionError> {
        let key = loop {
            // Fails only for 0 or a number past the curve order: about 2^-128 of draws.
            if let Ok(key) = PrivateKey::from_bytes(&random_bytes::<32>()?) {
                break key;
            }
        };
        self.keep(key, &passphrase, funded_by).await
    }

    /// Stores the key `hex` under `passphrase` and unlocks it.
    pub async fn import(
        self,
        hex: String,
        passphrase: String,
        funded_by: Option<Address>,
    ) -> Result<(), SessionError> {
        let key = PrivateKey::from_hex(&hex).map_err(|_| SessionError::BadKey)?;
        self.keep(key, &passphrase, funded_by).await
    }

    async fn keep(
        self,
        key: PrivateKey,
        passphrase: &str,
        funded_by: Option<Address>,
    ) -> Result<(), SessionError> {
        let sealed = seal(&key.to_bytes(), passphrase).await?;
        let idle_minutes = self
            .stored()
            .with_untracked(|s| s.as_ref().map(|s| s.idle_minutes))
            .unwrap_or(DEFAULT_IDLE_MINUTES);
        self.store(StoredSession {
            address: key.address(),
            funded_by,
            idle_minutes,
            sealed,
        })?;
        self.hold(key);
        Ok(())
    }

    fn hold(&self, key: PrivateKey) {
        self.last_input_ms.set_value(unix_millis());
        self.unlocked.set(Some(key.address()));
        self.key.set_value(Some(key));
        self.watch_idle();
    }

    /// Starts watching for the idle time, unless it is watched already.
    fn watch_idle(self) {
        if self.watching_idle() {
            return;
        }
        let Ok(timer) = set_interval_with_handle(
            move || self.lock_if_idle(unix_millis()),
            Duration::from_secs(5),
        ) else {
            return;
        };
        let touch = move || self.last_input_ms.set_value(unix_millis());
        self.idle_watch.set_value(Some(IdleWatch {
            keys: window_event_listener(leptos::ev::keydown, move |_| touch()),
            clicks: window_event_listener(leptos::ev::pointerdown, move |_| touch()),
            timer,
        }));
    }

    fn stop_watching_idle(&self) {
        if let Some(watch) = self.idle_watch.try_update_value(Option::take).flatten() {
            watch.keys.remove();
            watch.clicks.remove();
            watch.timer.clear();
        }
    }

    /// Whether the idle time is being watched (while unlocked, and only then).
    pub fn watching_idle(&self) -> bool {
        self.idle_watch.with_value(Option::is_some)
    }

    /// The stored key, decrypted with `passphrase`.
    async fn decrypt(&self, passphrase: &str) -> Result<PrivateKey, SessionError> {
        let record = self.stored().get_untracked().ok_or(SessionError::Locked)?;
        let secret = open(&record.sealed, passphrase).await?;
        let key = <[u8; 32]>::try_from(secret.as_slice())
            .ok()
            .and_then(|bytes| PrivateKey::from_bytes(&bytes).ok())
            .filter(|key| key.address() == record.address)
            .ok_or(SessionError::Vault(VaultError::WrongPassphrase))?;
        Ok(key)
    }

    /// Decrypts the key with `passphrase` and holds it until locked.
    pub async fn unlock(self, passphrase: String) -> Result<(), SessionError> {
        let key = self.decrypt(&passphrase).await?;
        self.hold(key);
        Ok(())
    }

    /// Forgets the decrypted key; the encrypted one stays.
    pub fn lock(&self) {
        self.key.set_value(None);
        self.unlocked.set(None);
        self.stop_watching_idle();
    }

    /// Locks when the user has done nothing for the idle time at `now_ms`.
    pub fn lock_if_idle(&self, now_ms: u64) {
        // Unread, it is locked ([`SessionWallet::stored`]).
        let minutes = self
            .stored
            .with_untracked(|s| s.as_ref().map(|s| s.idle_minutes));
        let idle_ms = now_ms.saturating_sub(self.last_input_ms.get_value());
        if self.unlocked.get_untracked().is_some()
            && minutes.is_some_and(|m| idle_ms >= u64::from(m) * 60_000)
        {
            self.lock();
        }
    }

    /// The private key, shown to the user after they typed the passphrase again.
    pub async fn export(self, passphrase: String) -> Result<String, SessionError> {
        Ok(self.decrypt(&passphrase).await?.to_hex())
    }

    /// Deletes the stored key (its funds stay on chain, out of reach without an export).
    pub fn forget(&self) {
        self.lock();
        remove(&self.profile.with_value(record_key));
        self.stored.set(None);
    }

    /// Sets the minutes of inactivity before it locks.
    pub fn set_idle_minutes(&self, minutes: u32) -> Result<(), SessionError> {
        self.change(|record| record.idle_minutes = minutes)
    }

    /// Records the main account that funds it.
    pub fn set_funded_by(&self, account: Address) -> Result<(), SessionError> {
        self.change(|record| record.funded_by = Some(account))
    }

    fn key(&self) -> Result<PrivateKey, SessionError> {
        self.key
            .with_value(Clone::clone)
            .ok_or(SessionError::Locked)
    }

    /// Signs `request` for the relay with `scheme`.
    pub fn sign_request(
        &self,
        scheme: SignScheme,
        request: &RelayRequest<'_>,
        timestamp: u64,
    ) -> Result<Signature, SessionError> {
        Ok(sign_request(&self.key()?, scheme, request, timestamp))
    }

    /// Signs a transaction locally and sends it to the network's RPC server; its hash.
    pub async fn send(
        &self,
        to: Address,
        value: U256,
        data: Vec<u8>,
        gas: U256,
    ) -> Result<H256, SessionError> {
        self.send_with(to, value, data, gas, None).await
    }

    async fn send_with(
        &self,
        to: Address,
        value: U256,
        data: Vec<u8>,
        gas: U256,
        fees: Option<Fees>,
    ) -> Result<H256, SessionError> {
        let key = self.key()?;
        let chain = self.chain();
        let from = key.address();
        let last_key = self
            .profile
            .with_value(|p| format!("{}last-sent", account_prefix(p, from)));
        let mut nonce = chain.transaction_count(from, true).await?;
        if let Some(last) = load(&last_key).and_then(|t| read_kept::<LastSent>(&t)) {
            if last.nonce >= nonce && chain.transaction_known(last.hash).await? {
                nonce = last.nonce + 1;
            }
        }
        let fees = match fees {
            Some(fees) => fees,
            None => chain.fees().await?,
        };
        let tx = Transaction {
            chain_id: self.profile.with_value(|p| p.chain_id),
            nonce,
            to,
            value,
            data,
            gas,
            fees,
        };
        let hash = chain.send_raw_transaction(&tx.sign(&key).raw).await?;
        let last = serde_json::to_string(&LastSent { nonce, hash }).unwrap_or_default();
        save(&last_key, &last);
        Ok(hash)
    }

    async fn send_and_wait(
        &self,
        to: Address,
        data: Vec<u8>,
        what: &'static str,
    ) -> Result<(), SessionError> {
        let from = self.key()?.address();
        let chain = self.chain();
        let estimate = chain
            .estimate_gas(Call {
                from,
                to,
                data: &data,
            })
            .await?;
        let hash = self
            .send(to, U256::zero(), data, gas_limit_with_margin(estimate))
            .await?;
        wait_for_success(&chain, hash, what).await?;
        Ok(())
    }

    /// Before a task: lets the Task contract take all of the session wallet's CNX if it may
    /// take less than `fee` (the session wallet holds CNX only to pay tasks).
    pub async fn allow_fee(&self, fee: U256) -> Result<(), SessionError> {
        let from = self.key()?.address();
        let chain = self.chain();
        let (token, task) = self
            .profile
            .with_value(|p| (p.contracts.token, p.contracts.task));
        let allowance = chain
            .call_uint(Call {
                from,
                to: token,
                data: &allowance_calldata(from, task),
            })
            .await?;
        if allowance >= fee {
            return Ok(());
        }
        let cnx = chain.token_balance(token, from).await?;
        self.send_and_wait(token, approve_calldata(task, cnx.max(fee)), "approval")
            .await
    }

    /// Sends all its CNX, then all its ETH but the transfer's gas, to `to`.
    pub async fn withdraw_all(&self, to: Address) -> Result<(), SessionError> {
        let from = self.key()?.address();
        let chain = self.chain();
        let token = self.profile.with_value(|p| p.contracts.token);
        let cnx = chain.token_balance(token, from).await?;
        if !cnx.is_zero() {
            self.send_and_wait(token, transfer_calldata(to, cnx), "CNX transfer")
                .await?;
        }
        let eth = chain.balance(from).await?;
        // Fees paid in full, so that the transfer's cost is known and nothing is left.
        let fees = chain.fees().await?.exact();
        let gas_cost = fees.max_per_gas() * TRANSFER_GAS;
        if eth > gas_cost {
            let hash = self
                .send_with(
                    to,
                    eth - gas_cost,
                    Vec::new(),
                    TRANSFER_GAS.into(),
                    Some(fees),
                )
                .await?;
            wait_for_success(&chain, hash, "ETH transfer").await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stored_wallet_is_read_by_hand_as_serde_s_derived_reader_reads_it() {
        let funded = StoredSession {
            address: Address::repeat_byte(1),
            funded_by: Some(Address::repeat_byte(2)),
            idle_minutes: DEFAULT_IDLE_MINUTES,
            sealed: Sealed {
                salt: "00ff".into(),
                iterations: 600_000,
                iv: "0a".into(),
                ciphertext: "<script>".into(),
            },
        };
        let imported = StoredSession {
            funded_by: None,
            ..funded.clone()
        };
        let every_kind = crynux_protocol::read::every_kind();
        let (read, documents) =
            crynux_protocol::read::assert_read_as_serde_reads(&[funded, imported], &every_kind);
        assert!(read >= 10, "only {read} of {documents} read");
        let last = LastSent {
            nonce: u64::MAX,
            hash: H256::repeat_byte(9),
        };
        let (read, documents) =
            crynux_protocol::read::assert_read_as_serde_reads(&[last], &every_kind);
        assert!(read >= 1, "only {read} of {documents} read");
    }
}
