//! What an `ErrorBoundary` shows: every error, in the sentence its type wrote for people.

use leptos::error::Errors;
use leptos::prelude::*;

/// The errors caught by an error boundary, as an alert.
#[component]
pub fn ErrorList(
    /// The boundary's errors.
    errors: ArcRwSignal<Errors>,
) -> impl IntoView {
    view! {
        <div class="alert" role="alert" data-testid="error">
            {move || {
                errors
                    .get()
                    .into_iter()
                    .map(|(_, error)| view! { <p>{error.to_string()}</p> })
                    .collect_view()
            }}
        </div>
    }
}
