//! The session wallet, approvals and the network profile.

use leptos::prelude::*;

use crate::components::{AccountPanel, NetworkPanel, SessionPanel};
use crate::state::use_app;

/// The Wallet & settings view.
#[component]
pub fn WalletView() -> impl IntoView {
    let app = use_app();
    let profile = app.profile();
    view! {
        <h1 class="page-title">"Wallet & settings"</h1>
        <div class="settings">
            <SessionPanel profile=profile.clone() payer=app.payer info=app.info refresh=app.refresh />
            <AccountPanel />
            <NetworkPanel profile />
        </div>
    }
}
