//! The page: the header, then the view in the address (Images, Chat, History, Wallet &
//! settings); the document title follows a running task, and a task that ends while
//! another view is shown is announced with a link to it.

use crynux_protocol::profile::NetworkProfile;
use leptos::prelude::*;

use crate::chat::provide_chat;
use crate::components::Header;
use crate::lazy::{lazy_view, parts_here, ViewPart};
use crate::network::load_profile;
use crate::route::View;
use crate::state::{provide_app, use_app};
use crate::studio::{provide_studio, use_studio, view_of};
use crate::views::ImagesView;

/// The whole app: the first paint of index.html stays until the network profile is read,
/// then the app, or why there is none.
#[component]
pub fn App() -> impl IntoView {
    let search = window().location().search().unwrap_or_default();
    let profile = RwSignal::new(None);
    leptos::task::spawn_local(async move {
        let loaded = load_profile(search).await;
        // The app may have been unmounted meanwhile.
        profile.try_set(Some(loaded));
    });
    move || match profile.get() {
        None => {
            view! { <p class="sr-only" role="status">"Loading the network profile…"</p> }.into_any()
        }
        Some(Ok(profile)) => view! { <Session profile /> }.into_any(),
        Some(Err(error)) => view! {
            <main>
                <h1>"Crynux"</h1>
                <p class="alert" role="alert" data-testid="error">{error.to_string()}</p>
            </main>
        }
        .into_any(),
    }
}

/// Everything that depends on the network profile and the wallet.
#[component]
fn Session(profile: NetworkProfile) -> impl IntoView {
    let state = provide_app(&profile);
    let studio = provide_studio(state);
    provide_chat(state, studio);
    let view = state.view;
    // index.html's first paint, hidden by the style as this page shows, goes for good.
    Effect::new(|_| {
        if let Ok(Some(first_paint)) = document().query_selector(".boot") {
            first_paint.remove();
        }
    });
    view! {
        <Header />
        // A task runs only with the lazily loaded parts, so its notice comes with them.
        {move || parts_here().then(|| lazy_view(ViewPart::TaskNotice))}
        <main>
            {move || match view.get() {
                View::Images => view! { <ImagesView /> }.into_any(),
                View::Chat => lazy_view(ViewPart::Chat).into_any(),
                View::History => lazy_view(ViewPart::History).into_any(),
                View::Wallet => lazy_view(ViewPart::Wallet).into_any(),
            }}
        </main>
    }
}

/// The document title while a task runs, and a notice when a task ends on another view.
#[component]
pub fn TaskNotice() -> impl IntoView {
    let app = use_app();
    let run = use_studio().run;
    let running = Memo::new(move |_| run.with(|run| run.as_ref().is_some_and(|r| r.is_running())));
    Effect::new(move |_| {
        let title = match (running.get(), app.view.get()) {
            (true, _) => "Generating… · Crynux".to_owned(),
            (false, View::Images) => "Crynux".to_owned(),
            (false, view) => format!("{} · Crynux", view.name()),
        };
        document().set_title(&title);
    });
    // (what ended, its view), set when the current task ends out of sight.
    let notice = RwSignal::new(None::<(String, View)>);
    Effect::new(move |was_running: Option<bool>| {
        let now = running.get();
        if was_running == Some(true) && !now {
            let ended = run.with_untracked(|run| {
                run.as_ref()
                    .map(|run| (run.task_id(), run.state_words(), view_of(run.task_type)))
            });
            if let Some((id, state, view)) = ended {
                if untrack(|| app.view.get()) != view {
                    let name = id.map_or("Your task".to_owned(), |id| format!("Task {id}"));
                    notice.set(Some((
                        format!("{name}: {}.", state.to_ascii_lowercase()),
                        view,
                    )));
                }
            }
        }
        now
    });
    // Seeing the task's view is reading the notice.
    Effect::new(move |_| {
        let view = app.view.get();
        if notice.with_untracked(|n| n.as_ref().is_some_and(|(_, of)| *of == view)) {
            notice.set(None);
        }
    });
    view! {
        <div class="notice-area" role="status">
            {move || notice.get().map(|(words, view)| view! {
                <p class="notice" data-testid="task-notice">
                    {words} " " <a href=view.hash()>{format!("Open {}", view.name())}</a>
                    <button type="button" class="secondary small" on:click=move |_| notice.set(None)>"Dismiss"</button>
                </p>
            })}
        </div>
    }
}
