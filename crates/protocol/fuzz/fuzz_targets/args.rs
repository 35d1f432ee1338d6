//! Task arguments as the editor gives them: any text, parsed and validated against the
//! schema of either task type. Whatever parses must write out a string that parses back to
//! the same arguments (the string that is hashed and uploaded), and the reading by hand must
//! read what serde's derived readers read (src/args/read.rs).
#![no_main]

use crynux_protocol::args::{from_value_derived, read_json, TaskArgs, TaskType};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&kind, text)) = data.split_first() else {
        return;
    };
    let task_type = if kind % 2 == 0 {
        TaskType::StableDiffusion
    } else {
        TaskType::Gpt
    };
    let text = String::from_utf8_lossy(text);
    let derived = read_json(&text)
        .ok()
        .and_then(|value| from_value_derived(task_type, value));
    assert_eq!(TaskArgs::parse(task_type, &text).ok(), derived, "{text}");
    for parsed in [
        TaskArgs::parse(task_type, &text),
        TaskArgs::parse_checked(task_type, &text),
    ] {
        if let Ok(args) = parsed {
            let written = args.to_json();
            assert_eq!(TaskArgs::parse(task_type, &written), Ok(args), "{written}");
        }
    }
});
