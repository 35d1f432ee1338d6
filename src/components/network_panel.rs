//! The network the app is connected to: chain, relay, contracts and the task fee.

use crynux_protocol::profile::NetworkProfile;
use crynux_protocol::to_checksum;
use crynux_protocol::units::format_cnx;
use leptos::prelude::*;

/// Facts of a network profile, as a description list.
#[component]
pub fn NetworkPanel(
    /// The profile to show.
    profile: NetworkProfile,
) -> impl IntoView {
    let schemes = profile
        .relay_signature_schemes
        .iter()
        .map(|scheme| scheme.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let contracts = [
        ("CNX token", profile.contracts.token),
        ("Node contract", profile.contracts.node),
        ("Task contract", profile.contracts.task),
    ];
    view! {
        <section class="card" aria-labelledby="network-title" data-testid="network-panel">
            <h2 id="network-title">{profile.name}</h2>
            <dl class="facts">
                <dt>"Chain ID"</dt>
                <dd data-testid="chain-id">{profile.chain_id}</dd>
                <dt>"Task fee"</dt>
                <dd data-testid="task-fee">{format_cnx(profile.task_fee)}</dd>
                <dt>"Cancellable after"</dt>
                <dd>{format!("{} min", profile.task_timeout_secs.div_ceil(60))}</dd>
                <dt>"Chain RPC"</dt>
                <dd><code>{profile.rpc_url}</code></dd>
                <dt>"Relay"</dt>
                <dd><code>{profile.relay_url}</code></dd>
                <dt>"Relay signatures"</dt>
                <dd>{schemes}</dd>
                <dt>"Relay sign-in"</dt>
                <dd data-testid="relay-sign-in">{match profile.relay_sign_in {
                    true => "Offered: one signature per tab instead of one per request",
                    false => "Not offered: each upload and download is signed",
                }}</dd>
                {contracts
                    .into_iter()
                    .map(|(label, address)| {
                        view! {
                            <dt>{label}</dt>
                            <dd><code class="address">{to_checksum(&address, None)}</code></dd>
                        }
                    })
                    .collect_view()}
            </dl>
        </section>
    }
}
