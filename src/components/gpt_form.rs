//! The chat settings: the model, the system prompt and every generation setting of the era
//! schema (the messages are the Chat view's conversation).

use crynux_protocol::args::form::{set_item, with_field};
use crynux_protocol::args::options::GPT_MODELS;
use leptos::prelude::*;
use serde_json::{json, Value};

use super::args_form::{control_id, ArgChoice, ArgField, ArgsForm, Kind, PresetList};

/// The chat settings.
#[component]
pub fn GptForm(form: ArgsForm) -> impl IntoView {
    let has_system = move || form.value("/messages/0/role") == Some(json!("system"));
    let system_id = control_id("/system");
    let on_system = move |e: leptos::ev::Event| {
        let input = event_target_value(&e);
        let present = has_system();
        form.edit(|text| match (present, input.is_empty()) {
            (true, true) => set_item(text, "/messages", 0, None),
            (true, false) => with_field(text, "/messages/0/content", json!(input)),
            (false, false) => set_item(
                text,
                "/messages",
                0,
                Some(json!({"role": "system", "content": input})),
            ),
            (false, true) => None,
        });
    };
    let system_text = Memo::new(move |_| {
        has_system()
            .then(|| form.value("/messages/0/content"))
            .flatten()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    });
    view! {
        <PresetList id="gpt-models" presets=GPT_MODELS family=None />
        <ArgField form pointer="/model" label="Model" list="gpt-models"
            hint="A preset or any Hugging Face id."
            on_edit=Callback::new(move |_| form.vram_override.set(None)) />
        <div class="field">
            <label for=system_id.clone()>"System prompt (optional)"</label>
            <textarea id=system_id rows="2" prop:value=system_text on:input=on_system
                disabled=move || !form.is_json() data-testid="system-prompt" />
        </div>
        <details class="more">
            <summary>"Generation settings"</summary>
            <p class="field-hint">"Empty fields use the model's defaults."</p>
            <div class="row">
                <ArgField form pointer="/generation_config/max_new_tokens" label="Most new tokens" kind=Kind::Integer optional=true />
                <ArgField form pointer="/generation_config/temperature" label="Temperature" kind=Kind::Number optional=true />
                <ArgField form pointer="/generation_config/top_p" label="Top p" kind=Kind::Number optional=true />
            </div>
            <div class="row">
                <ArgField form pointer="/generation_config/top_k" label="Top k" kind=Kind::Integer optional=true />
                <ArgField form pointer="/generation_config/typical_p" label="Typical p" kind=Kind::Number optional=true />
                <ArgField form pointer="/generation_config/repetition_penalty" label="Repetition penalty" kind=Kind::Number optional=true />
            </div>
            <div class="row">
                <ArgField form pointer="/generation_config/num_beams" label="Beams" kind=Kind::Integer optional=true />
                <ArgField form pointer="/generation_config/num_return_sequences" label="Replies" kind=Kind::Integer optional=true />
                <ArgChoice form pointer="/generation_config/do_sample" label="Sampling"
                    options=vec![("Model default", None), ("On", Some(json!(true))), ("Off", Some(json!(false)))] />
            </div>
            <div class="row">
                <ArgField form pointer="/seed" label="Seed" kind=Kind::Integer />
                <ArgChoice form pointer="/dtype" label="Number format"
                    options=["auto", "float16", "bfloat16", "float32"].into_iter().map(|d| (d, Some(json!(d)))).collect() />
                <ArgChoice form pointer="/quantize_bits" label="Quantization"
                    options=vec![("None", Some(Value::Null)), ("8 bit", Some(json!(8))), ("4 bit", Some(json!(4)))] />
            </div>
        </details>
    }
}
