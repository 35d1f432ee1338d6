//! The layout of the views that build and run tasks: the options and the button that pays
//! beside the current task and its results (on a phone: above them).

use crynux_protocol::args::TaskType;
use leptos::prelude::*;

use super::{Builder, CurrentTask, GenerateBar};

/// A view of `kind` tasks, headed `title`; `children` follow the current task.
#[component]
pub fn StudioLayout(
    kind: TaskType,
    /// The view's heading (for screen readers; the header names the view on screen).
    title: &'static str,
    /// The accessible name of the options.
    options: &'static str,
    /// The heading of the results region.
    results: &'static str,
    /// What the results say before the first task.
    empty: &'static str,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    view! {
        <h1 class="sr-only">{title}</h1>
        <div class="studio">
            <section class="studio-options" aria-label=options>
                <Builder kind />
                <GenerateBar kind />
            </section>
            <section class="studio-results" aria-labelledby="results-title">
                <h2 id="results-title" class="sr-only">{results}</h2>
                <CurrentTask kind empty />
                {children.map(|children| children())}
            </section>
        </div>
    }
}
