//! Simulated inference: the same arguments give the same bytes on every node, as real
//! deterministic inference would. SD: real PNG files of the requested size whose picture
//! depends on the prompt, the seed and the image number. GPT: a result file in the era's
//! format whose reply depends on the messages and the seed.

use crynux_protocol::args::{GptTaskArgs, Role, SdTaskArgs, TaskArgs};
use crynux_protocol::hash::{keccak256, sha256};
use crynux_protocol::phash::{encode_png, phash_png};
use crynux_protocol::results::{GptChoice, GptReply, GptResponse, GptUsage};

/// The largest side a simulated node draws.
pub const MAX_SIDE: i64 = 2048;

/// What a task produced: the files for the relay and the result for the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// SD: one PNG per image; GPT: the one result JSON file.
    pub files: Vec<Vec<u8>>,
    /// SD: 8-byte pHash per image, concatenated; GPT: sha256 of the file.
    pub onchain: Vec<u8>,
}

/// Runs a task; `salt` is empty for an honest node (a cheating node passes something else).
/// An error means the arguments cannot be run (the node reports a task error).
pub fn run(args: &TaskArgs, salt: &[u8]) -> Result<Output, String> {
    match args {
        TaskArgs::Sd(sd) => stable_diffusion(sd, salt),
        TaskArgs::Gpt(gpt) => Ok(gpt_reply(gpt, salt)),
    }
}

fn stable_diffusion(args: &SdTaskArgs, salt: &[u8]) -> Result<Output, String> {
    let config = &args.task_config;
    let (w, h) = (config.image_width, config.image_height);
    if !(8..=MAX_SIDE).contains(&w) || !(8..=MAX_SIDE).contains(&h) {
        return Err(format!("image size {w}×{h} is outside 8..={MAX_SIDE}"));
    }
    let mut files = Vec::new();
    let mut onchain = Vec::new();
    for n in 0..config.num_images {
        let seed = keccak256(
            &[
                args.base_model.as_bytes(),
                args.prompt.as_bytes(),
                args.negative_prompt.as_bytes(),
                &config.seed.to_be_bytes(),
                &n.to_be_bytes(),
                salt,
            ]
            .join(&0u8),
        );
        let png = draw(&seed, w as u32, h as u32);
        onchain.extend(phash_png(&png)?);
        files.push(png);
    }
    Ok(Output { files, onchain })
}

/// A sky-to-ground gradient with soft discs, all chosen by `seed`.
fn draw(seed: &[u8; 32], w: u32, h: u32) -> Vec<u8> {
    let byte = |i: usize| seed[i % 32] as f64;
    let top = [byte(0), byte(1), byte(2)];
    let bottom = [byte(3), byte(4), byte(5)];
    let discs: Vec<([f64; 3], f64, f64, f64)> = (0..5)
        .map(|k| {
            let b = 6 + k * 5;
            let colour = [byte(b), byte(b + 1), byte(b + 2)];
            let cx = byte(b + 3) / 255.0 * w as f64;
            let cy = byte(b + 4) / 255.0 * h as f64;
            let r = (0.08 + byte(b + 2 + k) / 255.0 * 0.22) * w.min(h) as f64;
            (colour, cx, cy, r)
        })
        .collect();
    let mut pixels = Vec::with_capacity((w * h * 3) as usize);
    for y in 0..h {
        let t = y as f64 / (h - 1).max(1) as f64;
        for x in 0..w {
            let mut rgb = [0.0; 3];
            for c in 0..3 {
                rgb[c] = top[c] * (1.0 - t) + bottom[c] * t;
            }
            for (colour, cx, cy, r) in &discs {
                let d = ((x as f64 - cx).powi(2) + (y as f64 - cy).powi(2)).sqrt();
                let alpha = (1.0 - (d - r) / 6.0).clamp(0.0, 1.0) * 0.85;
                for c in 0..3 {
                    rgb[c] = rgb[c] * (1.0 - alpha) + colour[c] * alpha;
                }
            }
            pixels.extend(rgb.map(|v| v.round() as u8));
        }
    }
    encode_png(w, h, &pixels)
}

const WORDS: &[&str] = &[
    "the",
    "network",
    "of",
    "nodes",
    "answers",
    "your",
    "question",
    "with",
    "a",
    "simulated",
    "reply",
    "that",
    "depends",
    "on",
    "messages",
    "and",
    "seed",
    "so",
    "every",
    "honest",
    "node",
    "writes",
    "same",
    "bytes",
    "crynux",
    "gpu",
    "task",
    "result",
    "is",
    "here",
];

fn gpt_reply(args: &GptTaskArgs, salt: &[u8]) -> Output {
    let config = args.generation_config.clone().unwrap_or_default();
    let max_new_tokens = config.max_new_tokens.unwrap_or(2048).max(0) as u64;
    let sequences = config.num_return_sequences.unwrap_or(1).clamp(1, 8) as u32;
    let conversation: String = args
        .messages
        .iter()
        .map(|m| format!("{:?}:{}\n", m.role, m.content))
        .collect();
    let prompt_tokens = args
        .messages
        .iter()
        .map(|m| m.content.split_whitespace().count() as u64)
        .sum();
    // A reply begins by quoting the question, as models often do, so what a client shows of
    // a reply also holds what its user typed.
    let quote: Vec<String> = args
        .messages
        .iter()
        .rev()
        .find(|m| m.role == Role::User)
        .map(|m| format!("You asked: {}.", m.content.trim()))
        .map(|q| q.split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default();
    let mut completion_tokens = 0;
    let choices = (0..sequences)
        .map(|index| {
            let seed = keccak256(
                &[
                    args.model.as_bytes(),
                    conversation.as_bytes(),
                    &args.seed.to_be_bytes(),
                    &index.to_be_bytes(),
                    salt,
                ]
                .join(&0u8),
            );
            let natural = quote.len() as u64 + 8 + seed[0] as u64 % 40;
            let tokens = natural.min(max_new_tokens);
            let words = (0..).map(|k: u64| {
                WORDS[keccak256(&[&seed[..], &k.to_be_bytes()].concat())[0] as usize % WORDS.len()]
            });
            let content = quote
                .iter()
                .map(String::as_str)
                .chain(words)
                .take(tokens as usize)
                .collect::<Vec<_>>()
                .join(" ");
            completion_tokens += tokens;
            GptChoice {
                finish_reason: if natural > max_new_tokens {
                    "length"
                } else {
                    "stop"
                }
                .into(),
                message: GptReply {
                    role: "assistant".into(),
                    content,
                },
                index,
            }
        })
        .collect();
    let response = GptResponse {
        model: args.model.clone(),
        choices,
        usage: GptUsage {
            prompt_tokens,
            completion_tokens,
            total_tokens: prompt_tokens + completion_tokens,
        },
    };
    let file = serde_json::to_vec(&response).unwrap_or_default();
    let onchain = sha256(&file).to_vec();
    Output {
        files: vec![file],
        onchain,
    }
}
