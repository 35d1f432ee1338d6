//! Validation of task arguments against the era schemas, compiled into the binary at build
//! time (no runtime schema compiler: it would be most of the DApp's download), with every
//! error reported at its JSON pointer in a sentence a user understands.

use std::fmt;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::ValidationError;
use serde_json::Value;

use super::TaskType;

#[jsonschema::validator(path = "../../schemas/sd-inference-task.schema.json", draft = Draft202012)]
struct SdArgsSchema;

#[jsonschema::validator(path = "../../schemas/gpt-inference-task.schema.json", draft = Draft202012)]
struct GptArgsSchema;

/// One reason why task arguments are not valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaIssue {
    /// JSON pointer of the offending value (`/task_config/steps`); for a missing field, the
    /// pointer the field would have; `""` for the whole document.
    pub pointer: String,
    /// What is wrong, for a person: "must be at most 100".
    pub message: String,
}

impl fmt::Display for SchemaIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pointer = if self.pointer.is_empty() {
            "/"
        } else {
            &self.pointer
        };
        write!(f, "{pointer}: {}", self.message)
    }
}

/// Every schema violation of `instance` for `task_type`; empty when valid.
pub fn schema_issues(task_type: TaskType, instance: &Value) -> Vec<SchemaIssue> {
    let errors = match task_type {
        TaskType::StableDiffusion => SdArgsSchema::iter_errors(instance),
        TaskType::Gpt => GptArgsSchema::iter_errors(instance),
    };
    let mut issues = Vec::new();
    for error in errors {
        explain(&error, &mut issues);
    }
    issues
}

/// Turns one validator error into issues, looking inside `anyOf`/`oneOf` for the branch the
/// user evidently meant (`lora` is "an object or null": when it is an object, what matters is
/// what is wrong with the object).
fn explain(error: &ValidationError<'_>, issues: &mut Vec<SchemaIssue>) {
    let pointer = error.instance_path().as_str().to_owned();
    let message = match error.kind() {
        ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context } => {
            return explain_alternatives(error, context, issues)
        }
        ValidationErrorKind::Required { property } => {
            let name = property.as_str().unwrap_or_default();
            issues.push(SchemaIssue {
                pointer: format!("{pointer}/{}", escape_pointer_token(name)),
                message: "is required".into(),
            });
            return;
        }
        ValidationErrorKind::Type { kind } => {
            let expected: Vec<&str> = match kind {
                TypeKind::Single(t) => vec![article(t.as_str())],
                TypeKind::Multiple(set) => set.iter().map(|t| article(t.as_str())).collect(),
            };
            format!(
                "must be {}, not {}",
                expected.join(" or "),
                article(json_type(error.instance()))
            )
        }
        ValidationErrorKind::MinLength { limit: 1 } => "must not be empty".into(),
        ValidationErrorKind::MinLength { limit } => format!("must be at least {limit} characters"),
        ValidationErrorKind::MaxLength { limit } => format!("must be at most {limit} characters"),
        ValidationErrorKind::Minimum { limit } => format!("must be at least {limit}"),
        ValidationErrorKind::Maximum { limit } => format!("must be at most {limit}"),
        ValidationErrorKind::ExclusiveMinimum { limit } => match limit.as_i64() {
            Some(n) if error.instance().is_i64() => format!("must be at least {}", n + 1),
            _ => format!("must be more than {limit}"),
        },
        ValidationErrorKind::ExclusiveMaximum { limit } => match limit.as_i64() {
            Some(n) if error.instance().is_i64() => format!("must be at most {}", n - 1),
            _ => format!("must be less than {limit}"),
        },
        ValidationErrorKind::Enum { options } => format!("must be one of {}", list(options)),
        ValidationErrorKind::Constant { expected_value } => format!("must be {expected_value}"),
        ValidationErrorKind::OneOfMultipleValid { .. } => "fits more than one of its forms".into(),
        // The schemas use no other keyword that fails (`the_schemas_use_only_keywords_worded_here`
        // in tests/args.rs); jsonschema's own wording of every kind stays out of the module.
        other => format!("breaks the schema's {} rule", other.keyword()),
    };
    issues.push(SchemaIssue { pointer, message });
}

/// `anyOf`/`oneOf` failed: drop the branches that are plainly not what the user meant (a
/// different JSON type, or another preprocess `method`); when one branch is left, report
/// its errors; otherwise summarise.
fn explain_alternatives(
    error: &ValidationError<'_>,
    branches: &[Vec<ValidationError<'static>>],
    issues: &mut Vec<SchemaIssue>,
) {
    let here = error.instance_path().as_str();
    let is_other_shape = |e: &ValidationError<'_>| {
        let at = e.instance_path().as_str();
        matches!(e.kind(), ValidationErrorKind::Type { .. }) && at == here
            || matches!(e.kind(), ValidationErrorKind::Constant { .. })
                && at.strip_prefix(here) == Some("/method")
    };
    let meant: Vec<&Vec<ValidationError<'static>>> = branches
        .iter()
        .filter(|branch| !branch.iter().any(is_other_shape))
        .collect();
    if let [branch] = meant.as_slice() {
        for e in branch.iter() {
            explain(e, issues);
        }
        return;
    }
    // No branch fits: name the allowed `method`s if that is what differed, else the types.
    let methods: Vec<String> = branches
        .iter()
        .flatten()
        .filter_map(|e| match e.kind() {
            ValidationErrorKind::Constant { expected_value } => Some(expected_value.to_string()),
            _ => None,
        })
        .collect();
    let instance = error.instance();
    let issue = if !methods.is_empty() && instance.get("method").is_some() {
        SchemaIssue {
            pointer: format!("{here}/method"),
            message: format!("must be one of {}", methods.join(", ")),
        }
    } else {
        SchemaIssue {
            pointer: here.to_owned(),
            message: format!(
                "{} is not one of the allowed forms",
                article(json_type(instance))
            ),
        }
    };
    issues.push(issue);
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_f64() => "number",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn article(json_type: &str) -> &'static str {
    match json_type {
        "null" => "null",
        "boolean" => "true or false",
        "integer" => "a whole number",
        "number" => "a number",
        "string" => "text",
        "array" => "a list",
        _ => "an object",
    }
}

fn list(options: &Value) -> String {
    match options {
        Value::Array(items) => items
            .iter()
            .map(Value::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    }
}

/// RFC 6901: `~` → `~0`, `/` → `~1`.
pub(crate) fn escape_pointer_token(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}
