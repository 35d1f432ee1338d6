//! The GPT form: a chat composer (system prompt, the conversation with edit, delete and
//! regenerate-from-here) and every generation setting of the era schema.

use crynux_protocol::args::form::{set_item, splice, with_field};
use crynux_protocol::args::options::GPT_MODELS;
use leptos::prelude::*;
use serde_json::{json, Value};

use super::args_form::{control_id, ArgChoice, ArgField, ArgsForm, Kind, PresetList};

/// Who said a message, as the conversation shows it.
fn role_of(message: &Value) -> &str {
    message.get("role").and_then(Value::as_str).unwrap_or("")
}

/// The GPT form.
#[component]
pub fn GptForm(form: ArgsForm) -> impl IntoView {
    // The shape of the conversation (who speaks, in order), not the words: typing in a
    // message does not rebuild the list.
    let roles = Memo::new(move |_| {
        form.value("/messages")
            .and_then(|m| m.as_array().cloned())
            .unwrap_or_default()
            .iter()
            .map(|m| role_of(m).to_owned())
            .collect::<Vec<_>>()
    });
    let has_system = move || roles.with(|r| r.first().is_some_and(|r| r == "system"));
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
    let system_text = move || {
        has_system()
            .then(|| form.value("/messages/0/content"))
            .flatten()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    };
    let add = move |_| {
        let next = match roles.with(|r| r.last().cloned()).as_deref() {
            Some("user") => "assistant",
            _ => "user",
        };
        let count = roles.with(Vec::len);
        form.edit(|text| {
            splice(
                text,
                "/messages",
                count,
                vec![json!({"role": next, "content": ""})],
            )
        });
    };
    let turns = move || {
        let first = usize::from(has_system());
        let count = roles.with(Vec::len);
        (first..count)
            .map(|i| view! { <Turn form index=i number=i + 1 - first /> })
            .collect_view()
    };
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
        <fieldset class="section conversation">
            <legend>"Conversation"</legend>
            <p class="field-error">{move || form.problem_at("/messages")}</p>
            {turns}
            <div class="actions">
                <button type="button" class="secondary" on:click=add disabled=move || !form.is_json()
                    data-testid="add-message">"Add a message"</button>
            </div>
        </fieldset>
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

/// One message of the conversation.
#[component]
fn Turn(form: ArgsForm, index: usize, number: usize) -> impl IntoView {
    let is_reply =
        move || form.value(&format!("/messages/{index}/role")) == Some(json!("assistant"));
    let delete = move |_| form.edit(|text| set_item(text, "/messages", index, None));
    let regenerate = move |_| form.edit(|text| splice(text, "/messages", index, vec![]));
    view! {
        <div class="turn" class:reply=is_reply data-testid="turn">
            <ArgChoice form pointer=format!("/messages/{index}/role") label=format!("Message {number} from")
                options=vec![("You", Some(json!("user"))), ("The model", Some(json!("assistant"))), ("System", Some(json!("system")))] />
            <ArgField form pointer=format!("/messages/{index}/content") label=format!("Message {number}") kind=Kind::Multiline />
            <div class="actions">
                <button type="button" class="secondary" on:click=delete>{format!("Delete message {number}")}</button>
                {move || is_reply().then(|| view! {
                    <button type="button" class="secondary" on:click=regenerate
                        title="Removes this reply and what follows; the next task writes a new one.">
                        {format!("Regenerate from message {number}")}
                    </button>
                })}
            </div>
        </div>
    }
}
