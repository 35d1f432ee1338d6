//! Who pays for tasks and signs their relay requests: the session wallet while it is
//! unlocked, else the user's wallet (signed in to the relay once when the relay offers it).

use crynux_protocol::profile::NetworkProfile;
use crynux_protocol::signing::{RelayRequest, SignScheme, Signature};
use crynux_protocol::{Address, H256, U256};
use leptos::prelude::*;

use crate::error::TaskError;
use crate::relay_auth::RelayAuth;
use crate::session::{use_session_wallet, SessionError, SessionWallet};
use crate::wallet::{use_wallet, Wallet};

/// The paying account and how it sends and signs.
#[derive(Clone, Copy)]
pub struct Payer {
    /// The user's wallet (MetaMask and the like).
    pub wallet: Wallet,
    /// The session wallet.
    pub session: SessionWallet,
    /// The wallet's sign-in sessions with the relay.
    pub relay_auth: RelayAuth,
}

/// The wallet and the session wallet of `profile`'s network. The relay sessions of this tab
/// are dropped when the wallet's account or chain changes.
pub fn use_payer(profile: &NetworkProfile) -> Payer {
    let wallet = use_wallet(profile);
    let relay_auth = RelayAuth::new(profile);
    Effect::watch(
        move || (wallet.account.get(), wallet.chain_id.get()),
        move |now, before, _| {
            if before.is_some_and(|before| before.0.is_some() && before != now) {
                relay_auth.forget_all();
            }
        },
        false,
    );
    Payer {
        wallet,
        session: use_session_wallet(profile),
        relay_auth,
    }
}

impl Payer {
    /// The paying account (tracked).
    pub fn account(&self) -> Option<Address> {
        self.session
            .unlocked
            .get()
            .or_else(|| self.wallet.account.get())
    }

    /// The paying account, untracked.
    pub fn account_untracked(&self) -> Option<Address> {
        untrack(|| self.account())
    }

    /// Whether the session wallet pays (tracked).
    pub fn is_session(&self) -> bool {
        self.session.unlocked.get().is_some()
    }

    /// Whether relay requests for `account` need no prompt: the session wallet pays, or the
    /// wallet is signed in to the relay in this tab (untracked).
    pub fn signs_silently(&self, account: Address) -> bool {
        untrack(|| self.is_session()) || self.relay_auth.token(account).is_some()
    }

    /// Whether the payer can send on chain `chain_id` (tracked): the session wallet signs
    /// for the profile's chain; the user's wallet must be switched to it.
    pub fn on_chain(&self, chain_id: u64) -> bool {
        self.is_session() || self.wallet.chain_id.get() == Some(chain_id)
    }

    /// Why `creator` cannot act now, if it cannot: the session wallet that created a task is
    /// locked, or the wallet is on another account.
    pub fn check_account(&self, creator: Address) -> Result<(), TaskError> {
        if self.account_untracked() == Some(creator) {
            return Ok(());
        }
        let session_locked = self
            .session
            .stored()
            .with_untracked(|s| s.as_ref().is_some_and(|s| s.address == creator));
        Err(match session_locked {
            true => TaskError::Session(SessionError::Locked),
            false => TaskError::WrongAccount,
        })
    }

    /// "Confirm `what` in your wallet…", or what the session wallet does instead.
    pub fn asking(&self, what: &str) -> String {
        match untrack(|| self.is_session()) {
            true => format!("The session wallet sends {what}…"),
            false => format!("Confirm {what} in your wallet…"),
        }
    }

    /// Sends a transaction from `from` (checked to be the payer); its hash once sent.
    pub async fn send_transaction(
        &self,
        from: Address,
        to: Address,
        data: &[u8],
        gas: U256,
    ) -> Result<H256, TaskError> {
        self.check_account(from)?;
        if untrack(|| self.is_session()) {
            Ok(self
                .session
                .send(to, U256::zero(), data.to_vec(), gas)
                .await?)
        } else {
            Ok(self
                .wallet
                .send_transaction(from, to, U256::zero(), data, gas)
                .await?)
        }
    }

    /// Signs a relay request for `signer` with a scheme the relay accepts: the session wallet
    /// prefers raw (the era's), the wallet can only make EIP-191.
    pub async fn sign_relay(
        &self,
        profile: &NetworkProfile,
        signer: Address,
        request: &RelayRequest<'_>,
        timestamp: u64,
    ) -> Result<Signature, TaskError> {
        let accepts = |scheme| profile.relay_signature_schemes.contains(&scheme);
        let session = untrack(|| self.is_session());
        match self.check_account(signer) {
            // The task's session wallet is locked: unlocking it is the way on.
            Err(locked @ TaskError::Session(_)) => return Err(locked),
            // Said before any wallet prompt, whatever the account.
            _ if !session && !accepts(SignScheme::Eip191) => {
                return Err(TaskError::RawSignaturesOnly)
            }
            checked => checked?,
        }
        if session {
            let scheme = match accepts(SignScheme::Raw) {
                true => SignScheme::Raw,
                false => SignScheme::Eip191,
            };
            return Ok(self.session.sign_request(scheme, request, timestamp)?);
        }
        Ok(self
            .wallet
            .personal_sign(signer, &request.sign_bytes(timestamp))
            .await?)
    }
}
