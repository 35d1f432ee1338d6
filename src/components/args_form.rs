//! The arguments being built, and the form controls bound to them. Every control is a view
//! of one JSON pointer of the arguments text, so the forms and the raw JSON editor always
//! show the same arguments; a value the schema refuses stays as typed and is reported next
//! to its control.

use crynux_protocol::args::form::{
    field_text, set_field, to_text, typed_integer, typed_number, value_at, with_scalar,
    without_field,
};
use crynux_protocol::args::options::{weight_percent, ModelFamily, Preset};
use crynux_protocol::args::{default_vram_gb, read_json, ArgsError, TaskArgs, TaskType};
use leptos::oco::Oco;
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::Value;

use crate::lazy::{args_check, args_check_built_in, when_idle, Check, PartMissing};

/// Said where the arguments' check could not be fetched.
pub const CHECK_MISSING: &str = "The arguments cannot be checked: part of the app could not be \
     downloaded. Check your connection; they are checked again as you edit them.";

/// `text` read as arguments of `kind` by `check`.
pub fn read_checked(check: Check, kind: TaskType, text: &str) -> Result<TaskArgs, ArgsError> {
    read_json(text).and_then(|value| check(kind, value))
}

/// The arguments of both task types (switching keeps both), the active one read once as
/// JSON and once against the schema for every control.
#[derive(Clone, Copy)]
pub struct ArgsForm {
    /// Which task type is being built.
    pub kind: RwSignal<TaskType>,
    sd_text: RwSignal<String>,
    gpt_text: RwSignal<String>,
    /// The active text as JSON; `None` while it is not JSON.
    pub json: Memo<Option<Value>>,
    /// The arguments' check: `None` while it is fetched (with the lazily loaded parts, when
    /// the page is next idle); if it cannot be, it is fetched again at the next edit.
    check: RwSignal<Option<Result<Check, PartMissing>>>,
    /// The active text read as arguments the network can run; `None` until the check is
    /// fetched.
    pub parsed: Memo<Option<Result<TaskArgs, ArgsError>>>,
    /// A new form is not wrong yet, only empty: its problems show once the user types.
    pub pristine: Memo<bool>,
    /// A GPU memory limit the user typed; `None` = the model's default.
    pub vram_override: RwSignal<Option<u64>>,
    initial: StoredValue<(String, String)>,
    /// The arguments a field's edit just wrote as text: `json` takes them instead of reading
    /// that text again.
    edited: StoredValue<Option<Value>>,
}

impl ArgsForm {
    /// A form holding `sd` and `gpt` as the untouched arguments of each type.
    pub fn new(sd: String, gpt: String) -> Self {
        let kind = RwSignal::new(TaskType::StableDiffusion);
        let initial = StoredValue::new((sd.clone(), gpt.clone()));
        let sd_text = RwSignal::new(sd);
        let gpt_text = RwSignal::new(gpt);

        let text = move || active_text(kind.get(), sd_text, gpt_text);
        let edited = StoredValue::new(None::<Value>);
        // A new text is new arguments: comparing the old and new (a 250 KB image each) would
        // cost more than what it saves. So for `parsed`.
        let json = Memo::new_with_compare(
            move |_| {
                let text = text();
                text.track();
                edited
                    .try_update_value(Option::take)
                    .flatten()
                    .or_else(|| text.with_untracked(|text| serde_json::from_str(text).ok()))
            },
            |_, _| true,
        );
        let check = RwSignal::new(args_check_built_in().map(Ok));
        let fetch_check = move || {
            spawn_local(async move {
                check.try_set(Some(args_check().await));
            })
        };
        // Once the first screen is drawn: this fetches the module of every part (src/lazy.rs).
        if check.with_untracked(Option::is_none) {
            when_idle(fetch_check);
        }
        Effect::new(move |_| {
            text().track();
            if check.with_untracked(|check| matches!(check, Some(Err(_)))) {
                check.set(None);
                fetch_check();
            }
        });
        Self {
            kind,
            sd_text,
            gpt_text,
            json,
            check,
            // From the JSON already read; the text again only to say where it is broken.
            parsed: Memo::new_with_compare(
                move |_| {
                    let check = check.get()?.ok()?;
                    Some(match json.get() {
                        Some(value) => check(kind.get(), value),
                        None => text().with(|text| read_checked(check, kind.get(), text)),
                    })
                },
                |_, _| true,
            ),
            pristine: Memo::new(move |_| {
                let kind = kind.get();
                active_text(kind, sd_text, gpt_text).with(|text| is_initial(initial, kind, text))
            }),
            vram_override: RwSignal::new(None),
            initial,
            edited,
        }
    }

    /// Whether the text of `kind` is still the one the form started with (untracked).
    pub fn is_untouched(&self, kind: TaskType) -> bool {
        self.text_of(kind)
            .with_untracked(|text| is_initial(self.initial, kind, text))
    }

    /// The text of the active task type.
    pub fn text(&self) -> RwSignal<String> {
        active_text(self.kind.get(), self.sd_text, self.gpt_text)
    }

    /// The text of `kind`.
    pub fn text_of(&self, kind: TaskType) -> RwSignal<String> {
        active_text(kind, self.sd_text, self.gpt_text)
    }

    /// Applies `change` to the active text (nothing while it is not JSON).
    pub fn edit(&self, change: impl FnOnce(&str) -> Option<String>) {
        let text = self.text();
        if let Some(edited) = text.with_untracked(|text| change(text)) {
            text.set(edited);
        }
    }

    /// Sets the value at `pointer` of the active text. Typing in a field neither writes nor
    /// reads the whole text again: a scalar is replaced where it stands in the text, and the
    /// arguments are edited as already read.
    pub fn set_field(&self, pointer: &str, value: Value) {
        let Some(mut root) = self.json.get_untracked() else {
            return;
        };
        let text = self.text();
        let in_place = text.with_untracked(|text| with_scalar(text, pointer, &value));
        if set_field(&mut root, pointer, value).is_none() {
            return;
        }
        let Some(edited) = in_place.or_else(|| text.with_untracked(|text| to_text(&root, text)))
        else {
            return;
        };
        // `json` still tracks the text: it takes the arguments as it updates, at once here.
        self.edited.set_value(Some(root));
        text.set(edited);
        self.json.with_untracked(|_| ());
        self.edited.set_value(None);
    }

    /// The value at `pointer` of the active text (tracked).
    pub fn value(&self, pointer: &str) -> Option<Value> {
        self.json.with(|json| {
            json.as_ref()
                .and_then(|json| value_at(json, pointer))
                .cloned()
        })
    }

    /// Whether there is a non-null value at `pointer` (tracked).
    pub fn has(&self, pointer: &str) -> bool {
        self.json.with(|json| {
            json.as_ref()
                .and_then(|json| value_at(json, pointer))
                .is_some_and(|value| !value.is_null())
        })
    }

    /// Whether the active text is JSON, so that the controls can edit it.
    pub fn is_json(&self) -> bool {
        self.json.with(Option::is_some)
    }

    /// Whether the arguments' check could not be fetched (tracked).
    pub fn check_missing(&self) -> bool {
        self.check.with(|check| matches!(check, Some(Err(_))))
    }

    /// What is wrong with the arguments, once the user has typed.
    pub fn problems(&self) -> Option<ArgsError> {
        if self.pristine.get() {
            return None;
        }
        self.parsed
            .with(|args| args.as_ref().and_then(|args| args.as_ref().err().cloned()))
    }

    /// The first problem found exactly at `pointer`, once the user has typed.
    pub fn problem_at(&self, pointer: &str) -> Option<String> {
        if self.pristine.get() {
            return None;
        }
        self.parsed.with(|args| match args {
            Some(Err(ArgsError::Invalid(issues))) => issues
                .iter()
                .find(|issue| issue.pointer == pointer)
                .map(|issue| issue.message.clone()),
            _ => None,
        })
    }

    /// The GPU memory the task asks for: what the user typed, else the model's default.
    pub fn vram_gb(&self) -> Option<u64> {
        self.vram_override.get().or_else(|| {
            let kind = self.kind.get();
            let pointer = match kind {
                TaskType::StableDiffusion => "/base_model",
                TaskType::Gpt => "/model",
            };
            let model = self.value(pointer)?;
            Some(default_vram_gb(kind, model.as_str()?))
        })
    }
}

fn is_initial(initial: StoredValue<(String, String)>, kind: TaskType, text: &str) -> bool {
    initial.with_value(|(sd, gpt)| match kind {
        TaskType::StableDiffusion => text == sd,
        TaskType::Gpt => text == gpt,
    })
}

fn active_text(
    kind: TaskType,
    sd_text: RwSignal<String>,
    gpt_text: RwSignal<String>,
) -> RwSignal<String> {
    match kind {
        TaskType::StableDiffusion => sd_text,
        TaskType::Gpt => gpt_text,
    }
}

/// The DOM id of the control of `pointer` (the problems list links to it).
pub fn control_id(pointer: &str) -> String {
    format!("field{}", pointer.replace(['/', '~', '+'], "-"))
}

/// How a text control writes what is typed.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub enum Kind {
    /// Text as it is.
    #[default]
    Text,
    /// Several lines of text.
    Multiline,
    /// A whole number.
    Integer,
    /// Any number.
    Number,
}

/// One text or number control bound to a JSON pointer, with its own problems.
#[component]
pub fn ArgField(
    form: ArgsForm,
    #[prop(into)] pointer: Oco<'static, str>,
    #[prop(into)] label: Oco<'static, str>,
    #[prop(optional)] kind: Kind,
    /// Empty removes the key (the model's default) instead of writing `""`.
    #[prop(optional)]
    optional: bool,
    /// Presets offered while typing (the id of a [`PresetList`]).
    #[prop(optional)]
    list: Option<&'static str>,
    /// A hint under the control.
    #[prop(optional, into)]
    hint: Option<Oco<'static, str>>,
    /// Writes what is typed into the arguments text its own way (a new base model moves
    /// the options of its family), instead of setting the value at `pointer`.
    #[prop(optional)]
    write: Option<fn(&str, &str) -> Option<String>>,
    /// Called after each edit with what was typed.
    #[prop(optional)]
    on_edit: Option<Callback<String>>,
    /// Lines of a multiline control (3 unless given).
    #[prop(default = 3)]
    rows: u32,
) -> impl IntoView {
    let id = control_id(&pointer);
    let note_id = format!("{id}-note");
    // Memos, here and in the other controls: a control is written again only when its own
    // value changes, not at every keystroke in another one (a browser does not skip writing
    // the same value).
    let value = {
        let pointer = pointer.clone();
        Memo::new(move |_| field_text(form.value(&pointer)))
    };
    let on_input = {
        let pointer = pointer.clone();
        move |e: leptos::ev::Event| {
            let input = event_target_value(&e);
            if let Some(write) = write {
                form.edit(|text| write(text, &input));
            } else if optional && input.trim().is_empty() {
                form.edit(|text| without_field(text, &pointer));
            } else {
                let value = match kind {
                    Kind::Integer => typed_integer(&input),
                    Kind::Number => typed_number(&input),
                    Kind::Text | Kind::Multiline => Value::String(input.clone()),
                };
                form.set_field(&pointer, value);
            }
            if let Some(on_edit) = on_edit {
                on_edit.run(input);
            }
        }
    };
    let problem = {
        let pointer = pointer.clone();
        Signal::derive(move || form.problem_at(&pointer))
    };
    let invalid = move || problem.with(Option::is_some).to_string();
    let placeholder = optional.then_some("model default");
    let control = if kind == Kind::Multiline {
        view! {
            <textarea id=id.clone() rows=rows prop:value=value on:input=on_input disabled=move || !form.is_json()
                aria-invalid=invalid aria-describedby=note_id.clone() />
        }
        .into_any()
    } else {
        let inputmode = match kind {
            Kind::Integer => "numeric",
            Kind::Number => "decimal",
            _ => "text",
        };
        view! {
            <input id=id.clone() type="text" inputmode=inputmode list=list placeholder=placeholder
                autocomplete="off" prop:value=value on:input=on_input disabled=move || !form.is_json()
                aria-invalid=invalid aria-describedby=note_id.clone() />
        }
        .into_any()
    };
    view! {
        <div class="field">
            <label for=id>{label}</label>
            {control}
            <FieldNote id=note_id problem hint />
        </div>
    }
}

/// The problem of a control, else its hint.
#[component]
fn FieldNote(
    id: String,
    problem: Signal<Option<String>>,
    hint: Option<Oco<'static, str>>,
) -> impl IntoView {
    view! {
        <p class="field-error" id=id.clone()>{move || problem.get()}</p>
        {hint.map(|hint| view! { <p class="field-hint">{hint}</p> })}
    }
}

/// A choice among fixed values at a pointer; a `None` value removes the key.
#[component]
pub fn ArgChoice(
    form: ArgsForm,
    #[prop(into)] pointer: Oco<'static, str>,
    #[prop(into)] label: Oco<'static, str>,
    options: Vec<(&'static str, Option<Value>)>,
    /// When the options are whole objects (a preprocess method with its arguments): the key
    /// that tells them apart. The control then stands for `pointer/by`.
    #[prop(optional)]
    by: Option<&'static str>,
    #[prop(optional)] testid: Option<&'static str>,
) -> impl IntoView {
    let stands_for = by.map_or_else(|| pointer.to_string(), |key| format!("{pointer}/{key}"));
    let id = control_id(&stands_for);
    let note_id = format!("{id}-note");
    let key_of = move |value: Option<Value>| match by {
        Some(key) => value.and_then(|v| v.get(key).cloned()),
        None => value,
    };
    let values: Vec<Option<Value>> = options.iter().map(|(_, v)| v.clone()).collect();
    let selected = {
        let (pointer, values) = (pointer.clone(), values.clone());
        Memo::new(move |_| {
            let current = key_of(form.value(&pointer));
            values
                .iter()
                .position(|v| key_of(v.clone()) == current)
                .map_or_else(String::new, |i| i.to_string())
        })
    };
    let on_change = {
        let pointer = pointer.clone();
        move |e: leptos::ev::Event| {
            let Some(value) = event_target_value(&e)
                .parse::<usize>()
                .ok()
                .and_then(|i| values.get(i).cloned())
            else {
                return;
            };
            match value {
                Some(value) => form.set_field(&pointer, value),
                None => form.edit(|text| without_field(text, &pointer)),
            }
        }
    };
    let problem = Signal::derive(move || form.problem_at(&stands_for));
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <select id=id prop:value=selected on:change=on_change disabled=move || !form.is_json()
                aria-describedby=note_id.clone() data-testid=testid>
                {options.into_iter().enumerate().map(|(i, (label, _))| view! {
                    <option value=i.to_string()>{label}</option>
                }).collect_view()}
            </select>
            <FieldNote id=note_id problem hint=None />
        </div>
    }
}

/// A yes/no switch at a pointer.
#[component]
pub fn ArgToggle(
    form: ArgsForm,
    #[prop(into)] pointer: Oco<'static, str>,
    #[prop(into)] label: Oco<'static, str>,
) -> impl IntoView {
    let id = control_id(&pointer);
    let checked = {
        let pointer = pointer.clone();
        Memo::new(move |_| form.value(&pointer) == Some(Value::Bool(true)))
    };
    let on_change =
        move |e: leptos::ev::Event| form.set_field(&pointer, Value::Bool(event_target_checked(&e)));
    view! {
        <div class="field check">
            <input id=id.clone() type="checkbox" prop:checked=checked on:change=on_change
                disabled=move || !form.is_json() />
            <label for=id>{label}</label>
        </div>
    }
}

/// A 0.02–1.00 weight slider at a pointer holding the integer percent the network reads.
#[component]
pub fn ArgWeight(
    form: ArgsForm,
    #[prop(into)] pointer: Oco<'static, str>,
    #[prop(into)] label: Oco<'static, str>,
) -> impl IntoView {
    let id = control_id(&pointer);
    let note_id = format!("{id}-note");
    let percent = {
        let pointer = pointer.clone();
        Memo::new(move |_| form.value(&pointer).and_then(|v| v.as_u64()))
    };
    let slider = move || as_weight(percent.get().unwrap_or(100));
    let shown = move || match percent.get() {
        Some(p) => format!("{} ({p} %)", as_weight(p)),
        None => "—".into(),
    };
    let on_input = {
        let pointer = pointer.clone();
        // The browser reads the slider's number: no code that parses floating-point numbers.
        move |e: leptos::ev::Event| {
            let slider = event_target::<web_sys::HtmlInputElement>(&e).value_as_number();
            if slider.is_finite() {
                form.set_field(&pointer, Value::from(weight_percent(slider)));
            }
        }
    };
    let problem = Signal::derive(move || form.problem_at(&pointer));
    view! {
        <div class="field">
            <label for=id.clone()>{label}" "<output for=id.clone()>{shown}</output></label>
            <input id=id type="range" min="0.02" max="1" step="0.01" prop:value=slider on:input=on_input
                disabled=move || !form.is_json() aria-describedby=note_id.clone() />
            <FieldNote id=note_id problem hint=None />
        </div>
    }
}

/// An integer percent as the weight it stands for, "0.45": in integers, so that the first
/// screen needs no code that formats floating-point numbers.
fn as_weight(percent: u64) -> String {
    format!("{}.{:02}", percent / 100, percent % 100)
}

/// An optional part of the arguments (LoRA, ControlNet…): a switch that writes `default` at
/// `pointer` or `null`, and the part's controls while it is on.
#[component]
pub fn ArgSection(
    form: ArgsForm,
    #[prop(into)] pointer: Oco<'static, str>,
    #[prop(into)] label: Oco<'static, str>,
    /// What switching it on writes.
    #[prop(into)]
    default: Signal<Value>,
    children: ChildrenFn,
) -> impl IntoView {
    let id = control_id(&pointer);
    let on = {
        let pointer = pointer.clone();
        Memo::new(move |_| form.has(&pointer))
    };
    let on_change = {
        let pointer = pointer.clone();
        move |e: leptos::ev::Event| {
            let value = if event_target_checked(&e) {
                default.get_untracked()
            } else {
                Value::Null
            };
            form.set_field(&pointer, value);
        }
    };
    let problem = Signal::derive(move || form.problem_at(&pointer));
    view! {
        <fieldset class="section">
            <legend>
                <input id=id.clone() type="checkbox" prop:checked=move || on.get() on:change=on_change
                    disabled=move || !form.is_json() />
                <label for=id>{label}</label>
            </legend>
            <p class="field-error">{move || problem.get()}</p>
            {move || on.get().then(|| children())}
        </fieldset>
    }
}

/// The presets offered by the controls that name it in `list`: those of `family` when given.
#[component]
pub fn PresetList(
    id: &'static str,
    presets: &'static [Preset],
    family: Option<Memo<ModelFamily>>,
) -> impl IntoView {
    let fits = move |p: &&Preset| match (family, p.family) {
        (Some(family), Some(of)) => family.get() == of,
        _ => true,
    };
    view! {
        <datalist id=id>
            {move || presets.iter().filter(fits).map(|p| view! { <option value=p.id /> }).collect_view()}
        </datalist>
    }
}
