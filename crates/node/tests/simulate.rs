//! Simulated inference: deterministic, dependent on what the user asked, in the era formats.

use crynux_node::simulate::run;
use crynux_protocol::args::{TaskArgs, TaskType};
use crynux_protocol::hash::sha256;
use crynux_protocol::phash::{hamming_distance, phash_png};
use crynux_protocol::results::GptResponse;

fn sd(prompt: &str, seed: u32, extra: &str) -> TaskArgs {
    let text = format!(
        r#"{{"base_model":"m","prompt":"{prompt}","task_config":{{"num_images":2,"seed":{seed}{extra}}}}}"#
    );
    TaskArgs::parse(TaskType::StableDiffusion, &text).unwrap()
}

fn gpt(config: &str, seed: i64) -> TaskArgs {
    let text = format!(
        r#"{{"model":"gpt2","messages":[{{"role":"system","content":"be brief"}},{{"role":"user","content":"three little words"}}],"generation_config":{config},"seed":{seed}}}"#
    );
    TaskArgs::parse(TaskType::Gpt, &text).unwrap()
}

fn phash(file: &[u8]) -> [u8; 8] {
    phash_png(file).unwrap()
}

#[test]
fn sd_output_is_deterministic_and_its_onchain_result_is_the_phashes() {
    let a = run(&sd("a fox", 1, ""), b"").unwrap();
    assert_eq!(
        a,
        run(&sd("a fox", 1, ""), b"").unwrap(),
        "same args, same bytes"
    );
    assert_eq!(a.files.len(), 2);
    let expected: Vec<u8> = a.files.iter().flat_map(|f| phash(f)).collect();
    assert_eq!(a.onchain, expected);
}

#[test]
fn pictures_depend_on_prompt_seed_and_image_number() {
    let base = run(&sd("a fox", 1, ""), b"").unwrap();
    let other_prompt = run(&sd("a cat", 1, ""), b"").unwrap();
    let other_seed = run(&sd("a fox", 2, ""), b"").unwrap();
    let cheat = run(&sd("a fox", 1, ""), b"cheat").unwrap();
    for other in [&other_prompt, &other_seed, &cheat] {
        // Far beyond the contract's agreement threshold (distance < 5).
        assert!(hamming_distance(&phash(&base.files[0]), &phash(&other.files[0])) >= 5);
    }
    assert!(hamming_distance(&phash(&base.files[0]), &phash(&base.files[1])) >= 5);
}

#[test]
fn the_requested_size_is_drawn_and_impossible_sizes_are_refused() {
    let out = run(
        &sd("a fox", 1, r#","image_width":320,"image_height":200"#),
        b"",
    )
    .unwrap();
    let header = &out.files[0][16..24];
    assert_eq!(
        header,
        &[0, 0, 1, 64, 0, 0, 0, 200],
        "320×200 in the PNG header"
    );
    assert!(run(&sd("a fox", 1, r#","image_width":0"#), b"").is_err());
    assert!(run(&sd("a fox", 1, r#","image_width":100000"#), b"").is_err());
}

#[test]
fn gpt_replies_honour_the_generation_config_and_count_tokens() {
    let out = run(
        &gpt(r#"{"max_new_tokens":5,"num_return_sequences":3}"#, 0),
        b"",
    )
    .unwrap();
    assert_eq!(out.onchain, sha256(&out.files[0]).to_vec());
    let reply = GptResponse::parse(&out.files[0]).unwrap();
    assert_eq!(reply.choices.len(), 3);
    for (i, choice) in reply.choices.iter().enumerate() {
        assert_eq!(choice.index as usize, i);
        assert_eq!(choice.message.role, "assistant");
        assert_eq!(
            choice.message.content.split(' ').count(),
            5,
            "cut at max_new_tokens"
        );
        assert_eq!(choice.finish_reason, "length");
    }
    assert_eq!(reply.usage.prompt_tokens, 5, "2 + 3 words");
    assert_eq!(reply.usage.completion_tokens, 15);
    assert_eq!(reply.usage.total_tokens, 20);

    let long = GptResponse::parse(
        &run(&gpt(r#"{"max_new_tokens":1000}"#, 0), b"")
            .unwrap()
            .files[0],
    )
    .unwrap();
    assert_eq!(
        long.choices[0].finish_reason, "stop",
        "finished before the limit"
    );
    let other_seed = run(&gpt(r#"{"max_new_tokens":1000}"#, 1), b"").unwrap();
    assert_ne!(
        GptResponse::parse(&other_seed.files[0]).unwrap().choices[0]
            .message
            .content,
        long.choices[0].message.content
    );
}
