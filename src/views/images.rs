//! The image studio: the prompt and options beside the current task, its gallery and the
//! account's recent generations; on a phone, the prompt and the button first, then the
//! results.

use crynux_protocol::args::TaskType;
use leptos::prelude::*;

use crate::components::{Builder, CurrentTask, GenerateBar, SdForm};
use crate::lazy::{lazy_view, parts_here, ViewPart};
use crate::route::{go, View};
use crate::studio::use_studio;
use crate::task::Preview;

/// Recent image tasks shown under the results.
const RECENT: usize = 8;

/// The Images view: the options and the button that pays beside the current task and its
/// results (on a phone: above them).
#[component]
pub fn ImagesView() -> impl IntoView {
    let studio = use_studio();
    let submit = Callback::new(move |()| {
        if untrack(|| studio.can_generate()) {
            studio.generate.dispatch(None);
        }
    });
    let kind = TaskType::StableDiffusion;
    view! {
        <h1 class="sr-only">"Images"</h1>
        <div class="studio">
            <section class="studio-options" aria-label="Image options">
                <Builder kind submit>
                    <SdForm form=studio.form last_seed=studio.last_seed() />
                </Builder>
                <GenerateBar />
            </section>
            <section class="studio-results" aria-labelledby="results-title">
                <h2 id="results-title" class="sr-only">"Results"</h2>
                <CurrentTask kind empty="Your images appear here. Describe one and press Generate." />
                // The account's tasks are read by the lazily loaded parts, and shown with them.
                {move || parts_here().then(|| lazy_view(ViewPart::RecentImages))}
            </section>
        </div>
    }
}

/// The account's last image tasks, as thumbnails that open them in the History view.
#[component]
pub fn RecentImages() -> impl IntoView {
    let studio = use_studio();
    let (history, opened) = (studio.history(), studio.opened);
    let recent = move || {
        history.get().flatten().and_then(Result::ok).map(|runs| {
            runs.into_iter()
                .filter(|run| run.task_type == TaskType::StableDiffusion)
                .filter_map(|run| match &run.preview {
                    Some(Preview::Thumbnail(url)) => Some((url.clone(), run)),
                    _ => None,
                })
                .take(RECENT)
                .collect::<Vec<_>>()
        })
    };
    move || {
        recent().filter(|r| !r.is_empty()).map(|recent| view! {
            <div class="recent">
                <h3>"Recent generations"</h3>
                <ul class="recent-list">
                    {recent.into_iter().map(|(url, run)| {
                        let name = run.task_id().map_or_else(|| "a task".to_owned(), |id| format!("task {id}"));
                        let summary = run.summary().unwrap_or_default();
                        view! {
                            <li>
                                <button type="button" class="thumb-button" title=summary
                                    aria-label=format!("Show {name} in the history")
                                    on:click=move |_| { opened.set(Some(run.clone())); go(View::History); }>
                                    <img src=url alt="" width="72" height="72" />
                                </button>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </div>
        })
    }
}
