//! The perceptual hash of a result image: 8 bytes per image, concatenated, are the on-chain
//! result of a Stable Diffusion task. The algorithm is imagehash's `phash`, as the era's
//! nodes ran it: Pillow's grey levels, Pillow's Lanczos resize to 32×32 (reproduced to the
//! bit: smooth images leave most coefficients near zero, where any other resampling flips
//! bits), a 2-D DCT-II, the 8×8 lowest frequencies compared with their median, bits
//! row-major, most significant bit first.

/// Bytes of one image's hash.
pub const PHASH_BYTES: usize = 8;

const SIDE: usize = 32;
const LOW: usize = 8;

/// The perceptual hash of a PNG file.
pub fn phash_png(png_bytes: &[u8]) -> Result<[u8; PHASH_BYTES], String> {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder
        .read_info()
        .map_err(|e| format!("not a PNG image: {e}"))?;
    let mut pixels = vec![0; reader.output_buffer_size().ok_or("PNG image too large")?];
    let frame = reader
        .next_frame(&mut pixels)
        .map_err(|e| format!("broken PNG image: {e}"))?;
    let channels = frame.color_type.samples();
    let (width, height) = (frame.width as usize, frame.height as usize);
    let grey: Vec<u8> = pixels[..frame.buffer_size()]
        .chunks_exact(channels)
        .map(|p| match channels {
            1 | 2 => p[0],
            _ => luma(p[0], p[1], p[2]),
        })
        .collect();
    Ok(phash_grey(&grey, width, height))
}

/// A PNG file of `width × height` 8-bit pixels, row-major: grey (1 byte per pixel), RGB (3)
/// or RGBA (4), told apart by the length of `pixels`. Empty when they fit none of those.
pub fn encode_png(width: u32, height: u32, pixels: &[u8]) -> Vec<u8> {
    let color = match pixels.len() / (width as usize * height as usize).max(1) {
        1 => png::ColorType::Grayscale,
        3 => png::ColorType::Rgb,
        4 => png::ColorType::Rgba,
        _ => return Vec::new(),
    };
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, width, height);
    encoder.set_color(color);
    encoder.set_depth(png::BitDepth::Eight);
    // Writing to memory fails only for pixels that do not fill the image.
    let written = encoder
        .write_header()
        .and_then(|mut writer| writer.write_image_data(pixels));
    if written.is_err() {
        bytes.clear();
    }
    bytes
}

/// PIL's `convert("L")` of one pixel: ITU-R 601-2 luma in 16-bit fixed point.
pub fn luma(r: u8, g: u8, b: u8) -> u8 {
    ((r as u32 * 19595 + g as u32 * 38470 + b as u32 * 7471 + 0x8000) >> 16) as u8
}

/// The perceptual hash of `width × height` grey levels, row-major.
pub fn phash_grey(grey: &[u8], width: usize, height: usize) -> [u8; PHASH_BYTES] {
    let small = shrink(grey, width, height);
    // DCT-II along rows then columns, keeping the 8 lowest frequencies of each.
    let mut rows = [[0.0f64; LOW]; SIDE];
    for (y, row) in rows.iter_mut().enumerate() {
        *row = dct_low(|x| small[y * SIDE + x]);
    }
    let mut low = [0.0f64; LOW * LOW];
    for u in 0..LOW {
        let column = dct_low(|y| rows[y][u]);
        for (v, value) in column.into_iter().enumerate() {
            low[v * LOW + u] = value;
        }
    }
    // Sorted by insertion: 64 values, and a library sort is 3 KB of the app's code.
    let mut sorted = low;
    for i in 1..sorted.len() {
        let mut j = i;
        while j > 0 && sorted[j - 1].total_cmp(&sorted[j]).is_gt() {
            sorted.swap(j - 1, j);
            j -= 1;
        }
    }
    let median = (sorted[31] + sorted[32]) / 2.0;
    let mut hash = [0u8; PHASH_BYTES];
    for (i, value) in low.iter().enumerate() {
        if *value > median {
            hash[i / 8] |= 0x80 >> (i % 8);
        }
    }
    hash
}

/// Number of differing bits.
pub fn hamming_distance(a: &[u8; PHASH_BYTES], b: &[u8; PHASH_BYTES]) -> u32 {
    a.iter().zip(b).map(|(x, y)| (x ^ y).count_ones()).sum()
}

/// Pillow's `resize((32, 32), LANCZOS)` of an 8-bit grey image: a horizontal then a
/// vertical pass, each with 22-bit fixed-point weights and 8-bit results.
fn shrink(grey: &[u8], width: usize, height: usize) -> [f64; SIDE * SIDE] {
    let mut out = [0.0; SIDE * SIDE];
    if width == 0 || height == 0 {
        return out;
    }
    let horizontal = Weights::new(width, SIDE);
    let vertical = Weights::new(height, SIDE);
    // Only the rows the vertical pass reads go through the horizontal pass.
    let first_row = vertical.bounds[0].0;
    let last_row = vertical.bounds[SIDE - 1].0 + vertical.bounds[SIDE - 1].1;
    let mut temp = vec![0u8; (last_row - first_row) * SIDE];
    if width == SIDE {
        temp.copy_from_slice(&grey[first_row * width..last_row * width]);
    } else {
        for y in first_row..last_row {
            let row = &grey[y * width..(y + 1) * width];
            for x in 0..SIDE {
                temp[(y - first_row) * SIDE + x] = horizontal.apply(x, |i| row[i]);
            }
        }
    }
    for y in 0..SIDE {
        for x in 0..SIDE {
            let value = if height == SIDE {
                temp[(y - first_row) * SIDE + x]
            } else {
                vertical.apply(y, |i| temp[(i - first_row) * SIDE + x])
            };
            out[y * SIDE + x] = value as f64;
        }
    }
    out
}

/// Pillow's resampling weights (`precompute_coeffs` + `normalize_coeffs_8bpc`).
struct Weights {
    /// Per output pixel: first input pixel and count.
    bounds: Vec<(usize, usize)>,
    /// Per output pixel: fixed-point weights.
    weights: Vec<Vec<i64>>,
}

const PRECISION_BITS: u32 = 32 - 8 - 2;

impl Weights {
    fn new(in_size: usize, out_size: usize) -> Self {
        let scale = in_size as f64 / out_size as f64;
        let filter_scale = scale.max(1.0);
        let support = 3.0 * filter_scale;
        let (mut bounds, mut weights) = (Vec::new(), Vec::new());
        for xx in 0..out_size {
            let center = (xx as f64 + 0.5) * scale;
            let min = ((center - support + 0.5) as i64).max(0) as usize;
            let max = ((center + support + 0.5) as i64).min(in_size as i64) as usize - min;
            let raw: Vec<f64> = (0..max)
                .map(|x| lanczos((x as f64 + min as f64 - center + 0.5) / filter_scale))
                .collect();
            let total: f64 = raw.iter().sum();
            let fixed = raw
                .iter()
                .map(|w| {
                    let w = if total != 0.0 { w / total } else { *w };
                    let scaled = w * (1u64 << PRECISION_BITS) as f64;
                    (if w < 0.0 { scaled - 0.5 } else { scaled + 0.5 }) as i64
                })
                .collect();
            bounds.push((min, max));
            weights.push(fixed);
        }
        Self { bounds, weights }
    }

    fn apply(&self, out: usize, input: impl Fn(usize) -> u8) -> u8 {
        let (min, _) = self.bounds[out];
        let sum = self.weights[out]
            .iter()
            .enumerate()
            .fold(1i64 << (PRECISION_BITS - 1), |sum, (i, w)| {
                sum + input(min + i) as i64 * w
            });
        (sum >> PRECISION_BITS).clamp(0, 255) as u8
    }
}

fn lanczos(x: f64) -> f64 {
    fn sinc(x: f64) -> f64 {
        if x == 0.0 {
            1.0
        } else {
            let x = x * std::f64::consts::PI;
            x.sin() / x
        }
    }
    if (-3.0..3.0).contains(&x) {
        sinc(x) * sinc(x / 3.0)
    } else {
        0.0
    }
}

/// The 8 lowest coefficients of scipy's unnormalized DCT-II of a 32-point signal.
fn dct_low(signal: impl Fn(usize) -> f64) -> [f64; LOW] {
    let mut out = [0.0; LOW];
    for (k, coefficient) in out.iter_mut().enumerate() {
        *coefficient = 2.0
            * (0..SIDE)
                .map(|n| {
                    let angle =
                        std::f64::consts::PI * k as f64 * (2 * n + 1) as f64 / (2 * SIDE) as f64;
                    signal(n) * angle.cos()
                })
                .sum::<f64>();
    }
    out
}
