//! The session wallet in headless Chromium: its key sealed with WebCrypto (round trip, a
//! wrong passphrase, altered ciphertext, salt or nonce), and the wallet's life: created,
//! stored without its key in the clear, locked, unlocked, exported, idle-locked, forgotten;
//! and a task of a locked session wallet.
#![cfg(target_arch = "wasm32")]

use crynux_dapp::browser::{load, unix_millis};
use crynux_dapp::error::TaskError;
use crynux_dapp::payer::use_payer;
use crynux_dapp::session::vault::{open, seal, VaultError};
use crynux_dapp::session::{use_session_wallet, SessionError, DEFAULT_IDLE_MINUTES};
use crynux_dapp::task::flow::Flow;
use crynux_dapp::task::{Created, TaskRun};
use crynux_protocol::args::TaskType;
use crynux_protocol::signing::{PrivateKey, SignScheme};
use leptos::prelude::*;
use wasm_bindgen_test::*;

mod common;

use common::{devnet_profile, start_executor};

wasm_bindgen_test_configure!(run_in_browser);

/// Flips one bit of a hex string's first byte.
fn flip(hex_text: &str) -> String {
    let mut bytes = hex::decode(hex_text).unwrap();
    bytes[0] ^= 1;
    hex::encode(bytes)
}

#[wasm_bindgen_test]
async fn a_sealed_secret_opens_only_with_its_passphrase_and_unaltered() {
    let secret = [0x5a; 32];
    let sealed = seal(&secret, "correct horse battery").await.unwrap();
    assert_eq!(sealed.ciphertext.len(), 2 * (32 + 16), "secret and GCM tag");
    assert!(!sealed.ciphertext.contains(&hex::encode(secret)));
    assert_eq!(
        open(&sealed, "correct horse battery").await.unwrap(),
        secret
    );

    let again = seal(&secret, "correct horse battery").await.unwrap();
    assert_ne!(
        (&again.salt, &again.iv),
        (&sealed.salt, &sealed.iv),
        "fresh salt and nonce"
    );
    assert_ne!(again.ciphertext, sealed.ciphertext);

    assert_eq!(
        open(&sealed, "correct horse batterY").await,
        Err(VaultError::WrongPassphrase)
    );
    for altered in [
        {
            let mut s = sealed.clone();
            s.ciphertext = flip(&s.ciphertext);
            s
        },
        {
            let mut s = sealed.clone();
            s.iv = flip(&s.iv);
            s
        },
        {
            let mut s = sealed.clone();
            s.salt = flip(&s.salt);
            s
        },
        {
            let mut s = sealed.clone();
            s.ciphertext.truncate(s.ciphertext.len() - 2);
            s
        },
    ] {
        assert_eq!(
            open(&altered, "correct horse battery").await,
            Err(VaultError::WrongPassphrase)
        );
    }
}

#[wasm_bindgen_test]
async fn a_session_wallet_is_stored_sealed_and_unlocks_only_with_its_passphrase() {
    let profile = devnet_profile();
    let storage = web_sys::window().unwrap().local_storage().unwrap().unwrap();
    storage.clear().unwrap();
    let session = use_session_wallet(&profile);
    session
        .create("a long passphrase".into(), None)
        .await
        .unwrap();
    let address = session
        .unlocked
        .get_untracked()
        .expect("unlocked once made");
    let key = session.export("a long passphrase".into()).await.unwrap();
    assert_eq!(PrivateKey::from_hex(&key).unwrap().address(), address);
    let stored = (0..storage.length().unwrap())
        .filter_map(|i| storage.key(i).unwrap())
        .filter_map(|k| load(&k))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(stored.contains(&format!("{address:?}")));
    assert!(
        !stored.contains(key.trim_start_matches("0x")),
        "the key is never stored in the clear"
    );
    let record = session.stored().get_untracked().unwrap();
    assert_eq!(record.idle_minutes, DEFAULT_IDLE_MINUTES);

    // A wrong passphrase: a clear error, still locked, nothing lost.
    session.lock();
    assert_eq!(session.unlocked.get_untracked(), None);
    let wrong = session
        .unlock("a long passphrasE".into())
        .await
        .unwrap_err();
    assert!(matches!(
        wrong,
        SessionError::Vault(VaultError::WrongPassphrase)
    ));
    assert!(wrong.to_string().starts_with("Wrong passphrase"));
    assert_eq!(session.unlocked.get_untracked(), None);
    assert_eq!(session.stored().get_untracked(), Some(record.clone()));
    assert!(session.export("nope nope nope".into()).await.is_err());

    // A new page of the same browser: the stored key unlocks with the passphrase.
    let reloaded = use_session_wallet(&profile);
    assert_eq!(reloaded.stored().get_untracked(), Some(record));
    reloaded.unlock("a long passphrase".into()).await.unwrap();
    assert_eq!(reloaded.unlocked.get_untracked(), Some(address));

    // Idle: still unlocked a second before the idle time, locked at it.
    reloaded.set_idle_minutes(2).unwrap();
    let now = unix_millis();
    reloaded.lock_if_idle(now + 2 * 60_000 - 1_000);
    assert_eq!(reloaded.unlocked.get_untracked(), Some(address));
    reloaded.lock_if_idle(now + 2 * 60_000 + 1_000);
    assert_eq!(reloaded.unlocked.get_untracked(), None);

    reloaded.forget();
    assert_eq!(use_session_wallet(&profile).stored().get_untracked(), None);
}

#[wasm_bindgen_test]
async fn only_an_unlocked_session_wallet_is_watched_for_its_idle_time() {
    let profile = devnet_profile();
    web_sys::window()
        .unwrap()
        .local_storage()
        .unwrap()
        .unwrap()
        .clear()
        .unwrap();
    let session = use_session_wallet(&profile);
    assert!(
        !session.watching_idle(),
        "no timer while there is nothing to lock"
    );
    session
        .create("a long passphrase".into(), None)
        .await
        .unwrap();
    assert!(session.watching_idle());
    session.set_idle_minutes(1).unwrap();
    session.lock_if_idle(unix_millis() + 61_000);
    assert_eq!(session.unlocked.get_untracked(), None);
    assert!(
        !session.watching_idle(),
        "locked by its idle time, it is no longer watched"
    );
    session.unlock("a long passphrase".into()).await.unwrap();
    assert!(session.watching_idle());
    session.lock();
    assert!(!session.watching_idle());
    session.forget();
}

#[wasm_bindgen_test]
async fn an_imported_key_must_be_a_private_key() {
    let session = use_session_wallet(&devnet_profile());
    let bad = session
        .import("0x1234".into(), "a long passphrase".into(), None)
        .await;
    assert_eq!(bad, Err(SessionError::BadKey));
    let key = PrivateKey::from_bytes(&[9; 32]).unwrap();
    session
        .import(key.to_hex(), "a long passphrase".into(), None)
        .await
        .unwrap();
    assert_eq!(session.unlocked.get_untracked(), Some(key.address()));
    session.forget();
}

#[wasm_bindgen_test]
async fn a_task_of_a_locked_session_wallet_asks_for_the_unlock_and_sends_nothing() {
    start_executor();
    let mut profile = devnet_profile();
    // Only raw signatures: the session wallet's task must not be told to use another wallet.
    profile.relay_signature_schemes = vec![SignScheme::Raw];
    let payer = use_payer(&profile);
    payer
        .session
        .create("a long passphrase".into(), None)
        .await
        .unwrap();
    let address = payer.session.unlocked.get_untracked().unwrap();
    assert_eq!(
        payer.account_untracked(),
        Some(address),
        "the session wallet pays"
    );
    payer.session.lock();
    assert_eq!(payer.account_untracked(), None, "no wallet connected");

    let mut run = TaskRun::new(address, TaskType::Gpt, "{}".into(), 8, 1);
    run.tx_hash = Some(Default::default());
    run.created = Some(Created {
        task_id: 3,
        block: 2,
        nodes: vec![],
    });
    let flow = Flow::new(&profile, payer, Some(run), RwSignal::new(0));
    let error = flow.advance().await.unwrap_err();
    assert_eq!(error, TaskError::Session(SessionError::Locked));
    assert!(error.to_string().contains("Unlock it with its passphrase"));
    payer.session.forget();
}
