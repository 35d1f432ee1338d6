//! The Stable Diffusion form: every option of the era schema, with presets per base-model
//! family.

use crynux_protocol::args::form::value_at;
use crynux_protocol::args::options::{
    compel_warning, is_civitai_id, switch_base_model, ModelFamily, BASE_MODELS, CONTROLNET_MODELS,
    LORA_MODELS, REFINER_MODELS, TEXTUAL_INVERSIONS, VAE_MODELS,
};
use crynux_protocol::args::{Preprocess, PreprocessMethod, MAX_SEED};
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::{json, Value};

use super::args_form::{
    control_id, ArgChoice, ArgField, ArgSection, ArgToggle, ArgWeight, ArgsForm, Kind, PresetList,
};
use crate::browser::{png_data_url, random_u31, MAX_IMAGE_FILE_BYTES};
use crate::lazy::{lazy_view, set_once, when_idle, ViewPart};

/// Whether the screen is wide enough for the options beside the results (the stylesheet's
/// two-column width).
pub(crate) fn is_wide() -> bool {
    window()
        .inner_width()
        .ok()
        .and_then(|w| w.as_f64())
        .is_some_and(|w| w >= 1024.0)
}

/// The family of the form's base model (tracked).
fn model_family(form: ArgsForm) -> ModelFamily {
    let base = form.value("/base_model");
    ModelFamily::of(base.as_ref().and_then(Value::as_str).unwrap_or_default())
}

/// A seed drawn at random from the browser's random source.
pub fn random_seed() -> u32 {
    random_u31() % (MAX_SEED + 1)
}

/// The Stable Diffusion form; `last_seed` is the seed of the last image task, if any.
#[component]
pub fn SdForm(form: ArgsForm, last_seed: Signal<Option<u32>>) -> impl IntoView {
    let family = Memo::new(move |_| model_family(form));
    let seed_button = move |seed: u32| move |_| form.set_field("/task_config/seed", json!(seed));
    let prompt_warning = move || {
        form.value("/prompt")
            .and_then(|p| p.as_str().and_then(compel_warning))
    };
    let lora_source = move || {
        let model = form.value("/lora/model")?;
        let model = model.as_str()?;
        Some(if is_civitai_id(model) {
            format!("Civitai model version {model}.")
        } else if model.starts_with("http://") || model.starts_with("https://") {
            "A file at this URL.".to_owned()
        } else if model.is_empty() {
            return None;
        } else {
            "A Hugging Face model id.".to_owned()
        })
    };
    let wide = is_wide();
    let options_made = RwSignal::new(wide);
    // The VAE, refiner and textual inversion options are a part, closed at first: made when
    // the page is next idle (as the parts are fetched), or as they are opened.
    let more_made = RwSignal::new(false);
    when_idle(move || {
        set_once(&options_made);
        set_once(&more_made);
    });
    view! {
        <ArgField form pointer="/prompt" label="Prompt" kind=Kind::Multiline rows=4
            hint="Ctrl+Enter generates. Compel: word+ weighs more, word- less, (a phrase)1.3." />
        {move || prompt_warning().map(|w| view! { <p class="warning" role="status" data-testid="prompt-warning">{w}</p> })}
        // Open on a wide screen, beside the results; on a phone the prompt and the button
        // come first, and the options are made once the first screen is (when the page is
        // next idle, or as they are opened).
        <details class="options" open=wide on:toggle=move |_| set_once(&options_made)>
        <summary>"Options"</summary>
        {move || options_made.get().then(|| view! {
            <ArgField form pointer="/negative_prompt" label="Negative prompt (what to avoid)" kind=Kind::Multiline rows=2 />
            <PresetList id="base-models" presets=BASE_MODELS family=None />
            <ArgField form pointer="/base_model" label="Base model" list="base-models" write=switch_base_model
                on_edit=Callback::new(move |_| form.vram_override.set(None))
                hint="A preset or any Hugging Face id; a new family resets what does not fit it." />
            <fieldset class="section">
                <legend>"Size, steps and seed"</legend>
                <SizePresets form family />
                <div class="row">
                    <ArgField form pointer="/task_config/image_width" label="Width (px)" kind=Kind::Integer />
                    <ArgField form pointer="/task_config/image_height" label="Height (px)" kind=Kind::Integer />
                </div>
                <div class="row">
                    <ArgField form pointer="/task_config/steps" label="Steps (1–100)" kind=Kind::Integer />
                    <ArgField form pointer="/task_config/cfg" label="Guidance (1–20)" kind=Kind::Integer />
                    <ArgField form pointer="/task_config/seed" label="Seed" kind=Kind::Integer />
                </div>
                <div class="actions">
                    <button type="button" class="secondary" on:click=move |_| {
                        form.set_field("/task_config/seed", json!(random_seed()))
                    }>"New seed"</button>
                    {move || last_seed.get().map(|seed| view! {
                        <button type="button" class="secondary" data-testid="last-seed" on:click=seed_button(seed)>
                            {format!("Use the last task's seed ({seed})")}
                        </button>
                    })}
                </div>
                <ArgToggle form pointer="/task_config/safety_checker" label="Safety checker (blurs images it flags)" />
            </fieldset>
            <ArgSection form pointer="/lora" label="LoRA" default=json!({"model": "", "weight": 100})>
                <PresetList id="lora-models" presets=LORA_MODELS family=Some(family) />
                <ArgField form pointer="/lora/model" label="LoRA model" list="lora-models"
                    hint="A preset, a Hugging Face id, a URL, or a Civitai model-version id (a number)." />
                <p class="field-hint">{lora_source}</p>
                <ArgWeight form pointer="/lora/weight" label="Weight" />
            </ArgSection>
            <ArgSection form pointer="/controlnet" label="ControlNet: guide the picture with an image"
                default=Signal::derive(move || controlnet_default(family.get(), ""))>
                <PresetList id="controlnet-models" presets=CONTROLNET_MODELS family=Some(family) />
                <ArgField form pointer="/controlnet/model" label="ControlNet model" list="controlnet-models"
                    hint="Presets for the base model's family, or any Hugging Face id." />
                {lazy_view(ViewPart::ControlnetTools)}
            </ArgSection>
            <details class="more" on:toggle=move |_| set_once(&more_made)>
                <summary>"VAE, refiner, textual inversion"</summary>
                {move || more_made.get().then(|| lazy_view(ViewPart::MoreOptions))}
            </details>
        })}
        </details>
    }
}

/// The options most tasks leave alone (VAE, refiner, textual inversion), in the image
/// builder's closed section: a part.
#[component]
pub fn MoreOptions(form: ArgsForm) -> impl IntoView {
    let family = Memo::new(move |_| model_family(form));
    let inversion_hint = move || {
        let id = form.value("/textual_inversion")?;
        let token = TEXTUAL_INVERSIONS
            .iter()
            .find(|(preset, _)| Some(preset.id) == id.as_str())
            .map_or("its token", |(_, token)| token);
        (!id.as_str()?.is_empty()).then(|| format!("Use {token} in the prompt to apply it."))
    };
    view! {
        <PresetList id="vae-models" presets=VAE_MODELS family=Some(family) />
        <ArgField form pointer="/vae" label="VAE (empty: the model's own)" list="vae-models" />
        <ArgSection form pointer="/refiner" label="Refiner (SDXL only)"
            default=json!({"model": REFINER_MODELS[0].id, "denoising_cutoff": 80, "steps": 20})>
            <PresetList id="refiner-models" presets=REFINER_MODELS family=None />
            <ArgField form pointer="/refiner/model" label="Refiner model" list="refiner-models" />
            <div class="row">
                <ArgField form pointer="/refiner/denoising_cutoff" label="Base model's share of the steps (%)" kind=Kind::Integer />
                <ArgField form pointer="/refiner/steps" label="Refiner steps (1–100)" kind=Kind::Integer />
            </div>
        </ArgSection>
        <datalist id="textual-inversions">
            {TEXTUAL_INVERSIONS.iter().map(|(p, _)| view! { <option value=p.id /> }).collect_view()}
        </datalist>
        <ArgField form pointer="/textual_inversion" label="Textual inversion (empty: none)" list="textual-inversions" />
        <p class="field-hint" data-testid="inversion-hint">{inversion_hint}</p>
    }
}

/// ControlNet switched on for `family`, guided by `image` (a data URL, or empty).
fn controlnet_default(family: ModelFamily, image: &str) -> Value {
    json!({
        "model": CONTROLNET_MODELS.iter().find(|p| p.family == Some(family)).map(|p| p.id),
        "image_dataurl": image, "weight": 70, "preprocess": null,
    })
}

/// The largest ControlNet image the task's size takes: (width, height).
fn controlnet_limits(form: ArgsForm) -> (u32, u32) {
    let side = |p| {
        form.value(p)
            .and_then(|v| v.as_u64())
            .map_or(2048, |v| v.clamp(64, 2048) as u32)
    };
    (
        side("/task_config/image_width"),
        side("/task_config/image_height"),
    )
}

/// A result image (at the `blob:` URL `url`) as the image task's ControlNet image: switched
/// on with its family's model if it was off. An image that cannot be read changes nothing.
pub async fn use_as_controlnet(form: ArgsForm, url: &str) {
    let Some(file) = crate::browser::file_of_url(url, "result.png", "image/png").await else {
        return;
    };
    let (max_w, max_h) = untrack(|| controlnet_limits(form));
    let Ok(image) = png_data_url(&file, max_w, max_h).await else {
        return;
    };
    if untrack(|| form.has("/controlnet")) {
        form.set_field("/controlnet/image_dataurl", Value::String(image.data_url));
    } else {
        let family = untrack(|| model_family(form));
        form.set_field("/controlnet", controlnet_default(family, &image.data_url));
    }
}

/// Width × height presets of the base model's family.
#[component]
fn SizePresets(form: ArgsForm, family: Memo<ModelFamily>) -> impl IntoView {
    let size = move || {
        let side = |p| form.value(p).and_then(|v| v.as_i64());
        (
            side("/task_config/image_width"),
            side("/task_config/image_height"),
        )
    };
    let selected = Memo::new(move |_| {
        let (w, h) = size();
        family
            .get()
            .sizes()
            .iter()
            .position(|(_, pw, ph)| Some(*pw) == w && Some(*ph) == h)
            .map_or_else(|| "custom".to_owned(), |i| i.to_string())
    });
    let on_change = move |e: leptos::ev::Event| {
        let sizes = family.get_untracked().sizes();
        if let Some((_, w, h)) = event_target_value(&e)
            .parse::<usize>()
            .ok()
            .and_then(|i| sizes.get(i))
        {
            form.set_field("/task_config/image_width", json!(w));
            form.set_field("/task_config/image_height", json!(h));
        }
    };
    view! {
        <div class="field">
            <label for="size-preset">"Aspect ratio"</label>
            <select id="size-preset" prop:value=selected on:change=on_change disabled=move || !form.is_json()>
                {move || family.get().sizes().iter().enumerate().map(|(i, (ratio, w, h))| view! {
                    <option value=i.to_string()>{format!("{ratio} · {w}×{h}")}</option>
                }).collect_view()}
                <option value="custom">"Custom size"</option>
            </select>
        </div>
    }
}

/// The ControlNet image, its weight and its preprocess method (fetched with the lazily
/// loaded parts, as ControlNet is switched on).
#[component]
pub fn ControlnetTools(form: ArgsForm) -> impl IntoView {
    view! {
        <ControlnetImage form />
        <ArgWeight form pointer="/controlnet/weight" label="Weight" />
        <PreprocessFields form />
    }
}

/// The ControlNet image: a file picker and a drop zone; the image is converted to a PNG data
/// URL in the browser (no larger than the task's size), previewed, and refused with a
/// reason when it is not an image or too large.
#[component]
fn ControlnetImage(form: ArgsForm) -> impl IntoView {
    let pointer = "/controlnet/image_dataurl";
    let id = control_id(pointer);
    let status = RwSignal::new(None::<Result<String, String>>);
    let dragging = RwSignal::new(false);
    let load = move |file: web_sys::File| {
        let (max_w, max_h) = controlnet_limits(form);
        status.set(Some(Ok(format!("Reading {}…", file.name()))));
        spawn_local(async move {
            match png_data_url(&file, max_w, max_h).await {
                Ok(image) => {
                    status.set(Some(Ok(format!(
                        "{}: {}×{} PNG, {} KB.",
                        file.name(),
                        image.width,
                        image.height,
                        image.data_url.len().div_ceil(1024)
                    ))));
                    form.set_field(pointer, Value::String(image.data_url));
                }
                Err(reason) => status.set(Some(Err(reason))),
            }
        });
    };
    let first_file = |files: Option<web_sys::FileList>| files.and_then(|files| files.get(0));
    let on_pick = move |e: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&e);
        if let Some(file) = first_file(input.files()) {
            load(file);
        }
        input.set_value("");
    };
    let on_drop = move |e: leptos::ev::DragEvent| {
        e.prevent_default();
        dragging.set(false);
        if let Some(file) = first_file(e.data_transfer().and_then(|d| d.files())) {
            load(file);
        }
    };
    // A memo: the preview is redrawn when the image changes, not on every keystroke; the
    // image (250 KB) is kept, not copied again, while it stays the same.
    let preview = Memo::new_owning(move |kept: Option<Option<String>>| {
        form.json.with(|json| {
            let url = json
                .as_ref()
                .and_then(|json| value_at(json, pointer)?.as_str())
                .filter(|url| url.starts_with("data:image/"));
            match kept {
                Some(kept) if same_text(kept.as_deref(), url) => (kept, false),
                _ => (url.map(str::to_owned), true),
            }
        })
    });
    let problem = move || {
        form.problem_at(pointer).map(|p| {
            if p == "must not be empty" {
                "Choose an image.".to_owned()
            } else {
                p
            }
        })
    };
    view! {
        <div class="field">
            <label for=id.clone()>"Control image"</label>
            <div class="dropzone" class:dragging=move || dragging.get()
                on:dragover=move |e: leptos::ev::DragEvent| { e.prevent_default(); dragging.set(true); }
                on:dragleave=move |_| dragging.set(false)
                on:drop=on_drop>
                <input id=id type="file" accept="image/png,image/jpeg,image/webp" on:change=on_pick
                    aria-describedby="controlnet-image-note" data-testid="controlnet-file" />
                <p class="field-hint">{format!(
                    "PNG, JPEG or WebP up to {} MB; choose a file or drop it here. It is sent as a PNG no larger than the task's size.",
                    MAX_IMAGE_FILE_BYTES >> 20
                )}</p>
                {move || preview.get().map(|url| view! {
                    <img class="preview" src=url alt="The control image" data-testid="controlnet-preview" />
                })}
            </div>
            <p id="controlnet-image-note" role="status" data-testid="controlnet-status"
                class=move || match status.get() { Some(Err(_)) => "field-error", _ => "field-hint" }>
                {move || match status.get() {
                    Some(Ok(line) | Err(line)) => Some(line),
                    None => None,
                }}
            </p>
            <p class="field-error">{problem}</p>
        </div>
    }
}

/// Whether `a` and `b` are the same text, compared eight bytes at a time: the byte-at-a-time
/// comparison of a wasm build takes ~0.1 ms for an image, at every keystroke.
fn same_text(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) if a.len() == b.len() => {
            let (a, b) = (a.as_bytes().chunks_exact(8), b.as_bytes().chunks_exact(8));
            let word = |bytes: &[u8]| bytes.try_into().map(u64::from_ne_bytes).ok();
            a.remainder() == b.remainder() && a.zip(b).all(|(a, b)| word(a) == word(b))
        }
        (a, b) => a.is_none() && b.is_none(),
    }
}

/// The preprocess method and that method's own arguments.
#[component]
fn PreprocessFields(form: ArgsForm) -> impl IntoView {
    let method = Memo::new(move |_| {
        form.value("/controlnet/preprocess/method")
            .and_then(|v| v.as_str().and_then(PreprocessMethod::from_name))
    });
    let mut options = vec![("None: use the image as it is", Some(Value::Null))];
    options.extend(PreprocessMethod::ALL.iter().map(|m| {
        let value = serde_json::to_value(Preprocess::with_default_args(*m));
        (m.as_str(), value.ok())
    }));
    let fields = move || {
        let defaults = method.get()?.default_args()?.to_value();
        Some(
            PREPROCESS_ARG_LABELS
                .iter()
                .filter_map(|(name, label)| Some((*name, *label, defaults.get(*name)?.clone())))
                .map(|(name, label, default)| {
                    let pointer = format!("/controlnet/preprocess/args/{name}");
                    match default {
                        Value::Bool(_) => view! { <ArgToggle form pointer label /> }.into_any(),
                        Value::Null => view! { <ArgField form pointer label kind=Kind::Integer optional=true /> }.into_any(),
                        _ => view! { <ArgField form pointer label kind=Kind::Integer /> }.into_any(),
                    }
                })
                .collect_view(),
        )
    };
    view! {
        <ArgChoice form pointer="/controlnet/preprocess" by="method" label="Preprocess the image"
            options testid="preprocess" />
        <div class="row">{fields}</div>
    }
}

/// Every argument of a preprocess method, in the schema's order, with its label.
const PREPROCESS_ARG_LABELS: &[(&str, &str)] = &[
    ("low_threshold", "Low threshold"),
    ("high_threshold", "High threshold"),
    ("thr_v", "Value threshold (1–100)"),
    ("thr_d", "Distance threshold (1–100)"),
    ("thr_a", "Threshold A"),
    ("thr_b", "Threshold B"),
    ("apply_filter", "Apply filter"),
    ("gamma_corrected", "Gamma corrected"),
    ("h", "Height (empty: automatic)"),
    ("w", "Width (empty: automatic)"),
    ("f", "Frequency (empty: automatic)"),
    ("max_faces", "Most faces"),
    ("min_confidence", "Least confidence (%)"),
];
