//! The perceptual hash against Python's imagehash.phash, which the era's nodes used. The
//! images are generated here and in the Python script from the same formulas, encoded as
//! PNG; PIL's resampling is not reproduced bit for bit, so the test asks for what the
//! contract asks of two honest nodes: Hamming distance below 5.

use crynux_protocol::phash::{encode_png, hamming_distance, phash_grey, phash_png};

type Pattern = fn(u32, u32, u32, u32) -> [u8; 3];

const PATTERNS: [(&str, Pattern); 5] = [
    ("gradient", |x, y, w, h| {
        [(x * 255 / (w - 1)) as u8, (y * 255 / (h - 1)) as u8, 128]
    }),
    ("rings", |x, y, w, h| {
        let r = (x as f64 - w as f64 / 3.0).hypot(y as f64 - h as f64 / 2.0);
        [(127.5 + 127.5 * (r / 9.0).sin()) as u8; 3]
    }),
    ("waves", |x, y, _, _| {
        let (xf, yf) = (x as f64, y as f64);
        [
            (127.5 + 127.5 * (xf / 13.0).sin() * (yf / 7.0).cos()) as u8,
            (127.5 + 127.5 * ((xf + yf) / 23.0).sin()) as u8,
            ((x * y) / 97 % 256) as u8,
        ]
    }),
    ("blobs", |x, y, w, h| {
        let (xf, yf, wf, hf) = (x as f64, y as f64, w as f64, h as f64);
        let blob = |cx: f64, cy: f64, r: f64, a: f64| {
            a * (-((xf - cx).powi(2) + (yf - cy).powi(2)) / (2.0 * r * r)).exp()
        };
        let v = blob(wf * 0.3, hf * 0.4, wf * 0.12, 255.0)
            + blob(wf * 0.7, hf * 0.75, wf * 0.08, 120.0);
        [((v as i64) % 256) as u8; 3]
    }),
    ("diagonal", |x, y, _, _| {
        [
            ((x + 2 * y) % 256) as u8,
            ((3 * x + y) % 256) as u8,
            ((x * y) % 256) as u8,
        ]
    }),
];

/// imagehash.phash of each pattern (Pillow 12, imagehash 4.3). A flat checkerboard is left
/// out on purpose: its AC coefficients are all float noise around zero, so any two DCT
/// implementations disagree on its bits; pictures with texture do not have that problem.
const IMAGEHASH: [(&str, u32, u32, &str); 12] = [
    ("gradient", 512, 512, "aa17fc190310eb5f"),
    ("gradient", 96, 64, "a017fd21e337c525"),
    ("rings", 512, 512, "c712ee13452bef22"),
    ("rings", 96, 64, "c83727383dc73730"),
    ("diagonal", 512, 512, "f2a2dda200a7dda6"),
    ("diagonal", 96, 64, "92342d332d3b2d3e"),
    ("waves", 512, 512, "8103153f153b55fb"),
    ("waves", 512, 768, "83013f153f157f15"),
    ("waves", 96, 64, "eac085e09fe09fe1"),
    ("blobs", 512, 512, "c6c13c3e69c6c369"),
    ("blobs", 512, 768, "c6c13c3cc9c6c33d"),
    ("blobs", 96, 64, "c6c9383e69966939"),
];

fn png(w: u32, h: u32, pattern: Pattern) -> Vec<u8> {
    let data: Vec<u8> = (0..h)
        .flat_map(|y| (0..w).flat_map(move |x| pattern(x, y, w, h)))
        .collect();
    encode_png(w, h, &data)
}

fn pattern(name: &str) -> Pattern {
    PATTERNS.iter().find(|(n, _)| *n == name).unwrap().1
}

fn hash_of(name: &str, w: u32, h: u32) -> [u8; 8] {
    phash_png(&png(w, h, pattern(name))).unwrap()
}

#[test]
fn hashes_agree_with_imagehash() {
    let mut exact = 0;
    for (name, w, h, expected) in IMAGEHASH {
        let expected: [u8; 8] = hex::decode(expected).unwrap().try_into().unwrap();
        let ours = hash_of(name, w, h);
        let distance = hamming_distance(&ours, &expected);
        println!(
            "{name} {w}x{h}: ours {} imagehash {} distance {distance}",
            hex::encode(ours),
            hex::encode(expected)
        );
        assert!(
            distance < 5,
            "{name} {w}x{h}: distance {distance}, beyond the contract's threshold"
        );
        exact += usize::from(distance == 0);
    }
    assert_eq!(
        exact,
        IMAGEHASH.len(),
        "every textured picture hashes exactly as imagehash does"
    );
}

#[test]
fn different_pictures_are_far_apart_and_the_same_picture_is_stable() {
    let gradient = hash_of("gradient", 512, 512);
    let rings = hash_of("rings", 512, 512);
    let diagonal = hash_of("diagonal", 512, 512);
    assert!(hamming_distance(&gradient, &rings) >= 16);
    assert!(hamming_distance(&rings, &diagonal) >= 16);
    assert_eq!(hash_of("rings", 512, 512), rings, "deterministic");
    // The same pixels with an alpha channel hash the same.
    let (w, h) = (96, 64);
    let rgba: Vec<u8> = (0..h)
        .flat_map(|y| {
            (0..w).flat_map(move |x| {
                let [r, g, b] = pattern("blobs")(x, y, w, h);
                [r, g, b, 255]
            })
        })
        .collect();
    let bytes = encode_png(w, h, &rgba);
    assert_eq!(phash_png(&bytes).unwrap(), hash_of("blobs", w, h));
}

#[test]
fn grey_and_colour_inputs_and_bad_files() {
    // A grey image hashes like its RGB twin.
    let grey: Vec<u8> = (0..64 * 64).map(|i| ((i % 64) * 4) as u8).collect();
    let bytes = encode_png(64, 64, &grey);
    assert_eq!(phash_png(&bytes).unwrap(), phash_grey(&grey, 64, 64));
    assert!(phash_png(b"not a png").unwrap_err().contains("not a PNG"));
    // Pixels that fill no image make no file.
    assert!(encode_png(2, 2, &[0; 5]).is_empty());
    assert!(phash_png(&bytes[..bytes.len() / 2]).is_err());
}
