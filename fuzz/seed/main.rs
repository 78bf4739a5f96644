//! Writes the starting corpus of every fuzz target into `<dir>/<target>/`: small generated
//! scenes in every pixel format and layout, small PNG/JPEG files (generated, and the shared real
//! images downscaled to at most 48 px when `../shared` is there), crafted hostile headers, frame
//! sequences and configs. Deterministic: the same files each run.
//!
//! `cargo run --manifest-path fuzz/Cargo.toml --bin seed-corpus -- fuzz/corpus`

use fingerqc::PixelFormat;
use fingerqc_fuzz::robust::harness::{encode, scene};
use std::io::Cursor;
use std::path::{Path, PathBuf};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "fuzz/corpus".into()),
    );
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data");
    let mut n = 0;
    for (target, files) in [
        ("analyze", analyze_seeds()),
        ("decode", decode_seeds(&shared)?),
        ("session", session_seeds()),
        ("config", config_seeds()),
        ("capi", capi_seeds()),
    ] {
        let d = dir.join(target);
        std::fs::create_dir_all(&d)?;
        for (name, bytes) in files {
            std::fs::write(d.join(name), bytes)?;
            n += 1;
        }
    }
    println!("wrote {n} seeds under {}", dir.display());
    Ok(())
}

/// Named seed files of one target.
type Seeds = Vec<(String, Vec<u8>)>;

/// A tiny deterministic generator (xorshift), so seeds need no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u8 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 24) as u8
    }
}

/// The analyze target's header (see `fuzz_targets/analyze.rs`): format, mode, width, height
/// (as "u16" dims), stride specs, cuts, factor, rect, config selector.
fn header(
    format: PixelFormat,
    mode: u8,
    w: u16,
    h: u16,
    stride_sel: u8,
    cuts: [u16; 2],
) -> Vec<u8> {
    let fi = PixelFormat::ALL
        .iter()
        .position(|&f| f == format)
        .unwrap_or(0) as u8;
    let mut b = vec![fi, mode];
    for d in [w, h] {
        b.push(5); // dim selector 5: a u16 follows
        b.extend(d.to_le_bytes());
    }
    for _ in 0..3 {
        let mut spec = [0u8; 9];
        spec[0] = stride_sel;
        spec[1] = 7; // padding bytes when the selector pads
        b.extend(spec);
    }
    for c in cuts {
        b.extend(c.to_le_bytes());
    }
    b.push(2); // factor 3
    for v in [3u16, 2, 40, 30] {
        b.extend(v.to_le_bytes());
    }
    b.push(0); // default config
    b.extend(0u16.to_le_bytes());
    b
}

fn analyze_seeds() -> Seeds {
    let mut out = Vec::new();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for (fi, &format) in PixelFormat::ALL.iter().enumerate() {
        let name = format!("{format:?}").to_lowercase();
        // Tight layout (mode 1) of a scene, and the same bytes cut into planes (mode 0): the
        // crate's generated scenes (seeds 1, 2; small, to keep seeds small) and crude ones.
        for (w, h, synth) in [
            (96usize, 64usize, 1u64),
            (80, 60, 2),
            (96, 64, 0),
            (2, 2, 0),
            (64, 2, 0),
        ] {
            let rgb = if synth > 0 {
                synth_rgb(synth, w, h)
            } else {
                scene(w, h, 3)
            };
            let px = encode(&rgb, w, h, format);
            let mut b = header(format, 1, w as u16, h as u16, 0, [0, 0]);
            b.extend(&px);
            out.push((format!("scene{synth}-{name}-{w}x{h}-tight"), b));
            let (y_len, c_len) = (w * h, (w / 2) * (h / 2));
            let total = px.len().max(1);
            let cut = |n: usize| ((n * 65_536) / total).min(65_535) as u16;
            let cuts = match format {
                PixelFormat::I420 => [
                    cut(y_len),
                    ((c_len * 65_536) / (total - y_len).max(1)) as u16,
                ],
                PixelFormat::Nv12 | PixelFormat::Nv21 => [cut(y_len), 65_535],
                _ => [65_535, 0],
            };
            let mut b = header(format, 0, w as u16, h as u16, 0, cuts);
            b.extend(&px);
            out.push((format!("scene{synth}-{name}-{w}x{h}-planes"), b));
        }
        // Valid frames of many sizes (mode 2), filled from a short pattern: uniform, noise,
        // stripes.
        for (k, (w, h)) in [
            (1u16, 1u16),
            (1, 37),
            (37, 1),
            (33, 17),
            (320, 240),
            (640, 480),
            (1280, 720),
        ]
        .into_iter()
        .enumerate()
        {
            let pattern: Vec<u8> = match k % 3 {
                0 => vec![if fi % 2 == 0 { 0 } else { 255 }],
                1 => (0..61).map(|_| rng.next()).collect(),
                _ => (0..24).map(|i| if i < 12 { 40 } else { 220 }).collect(),
            };
            let mut b = header(format, 2, w, h, 1, [0, 0]);
            b.extend(&pattern);
            out.push((format!("valid-{name}-{w}x{h}"), b));
        }
        // Lies: a stride shorter than a row, an absurd stride, a buffer too short.
        for (sel, label) in [(2u8, "short-stride"), (4, "max-stride"), (3, "raw-stride")] {
            let mut b = header(format, 0, 16, 8, sel, [30_000, 40_000]);
            b.extend(vec![99u8; 100]);
            out.push((format!("lie-{name}-{label}"), b));
        }
        // ndarray views (mode 3), plain and with steps.
        for steps in [0u8, 0x81] {
            let mut b = header(format, 3, 12, 9, steps, [0, 0]);
            b.extend((0..50).map(|_| rng.next()));
            out.push((format!("ndarray-{name}-{steps}"), b));
        }
    }
    out
}

/// RGB of the crate's generated scene `seed` (any scenario) at `w` x `h`.
fn synth_rgb(seed: u64, w: usize, h: usize) -> Vec<[u8; 3]> {
    fingerqc::synth::scene(seed, w as u32, h as u32)
        .image
        .pixels()
        .map(|p| p.0)
        .collect()
}

fn png(img: &image::DynamicImage) -> Vec<u8> {
    let mut b = Vec::new();
    img.write_to(&mut Cursor::new(&mut b), image::ImageFormat::Png)
        .expect("PNG encodes");
    b
}

fn jpeg(img: &image::DynamicImage, quality: u8) -> Vec<u8> {
    let mut b = Vec::new();
    let rgb = image::DynamicImage::ImageRgb8(img.to_rgb8());
    let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut b, quality);
    rgb.write_with_encoder(enc).expect("JPEG encodes");
    b
}

/// A PNG signature and IHDR chunk with a correct CRC for any size, and nothing else.
pub fn png_header(width: u32, height: u32, depth: u8, color: u8) -> Vec<u8> {
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend(width.to_be_bytes());
    ihdr.extend(height.to_be_bytes());
    ihdr.extend([depth, color, 0, 0, 0]);
    let mut b = b"\x89PNG\r\n\x1a\n".to_vec();
    b.extend(13u32.to_be_bytes());
    b.extend(&ihdr);
    b.extend(crc32(&ihdr).to_be_bytes());
    b
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &byte in data {
        crc ^= byte as u32;
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn decode_seeds(shared: &Path) -> Result<Seeds, Box<dyn std::error::Error>> {
    let mut out = Vec::new();
    let (w, h) = (48usize, 32usize);
    let rgb = scene(w, h, 2);
    let buf: Vec<u8> = rgb.iter().flatten().copied().collect();
    let img = image::DynamicImage::ImageRgb8(
        image::RgbImage::from_raw(w as u32, h as u32, buf).ok_or("scene size")?,
    );
    // Every colour type the decoder hands back, so each conversion path is a seed.
    let kinds = [
        ("rgb8", img.clone()),
        ("rgba8", image::DynamicImage::ImageRgba8(img.to_rgba8())),
        ("luma8", image::DynamicImage::ImageLuma8(img.to_luma8())),
        (
            "lumaa8",
            image::DynamicImage::ImageLumaA8(img.to_luma_alpha8()),
        ),
        ("luma16", image::DynamicImage::ImageLuma16(img.to_luma16())),
        ("rgb16", image::DynamicImage::ImageRgb16(img.to_rgb16())),
    ];
    for (name, k) in &kinds {
        out.push((format!("scene-{name}.png"), png(k)));
    }
    out.push(("scene-q80.jpg".into(), jpeg(&img, 80)));
    for seed in [1u64, 2, 3, 4] {
        let rgb = synth_rgb(seed, 120, 90);
        let buf: Vec<u8> = rgb.iter().flatten().copied().collect();
        let img = image::DynamicImage::ImageRgb8(
            image::RgbImage::from_raw(120, 90, buf).ok_or("synth size")?,
        );
        out.push((format!("synth{seed}.jpg"), jpeg(&img, 70)));
        if seed % 2 == 0 {
            out.push((format!("synth{seed}.png"), png(&img)));
        }
    }
    out.push(("scene-q20.jpg".into(), jpeg(&img, 20)));
    out.push(("gray-q50.jpg".into(), {
        let mut b = Vec::new();
        let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut b, 50);
        image::DynamicImage::ImageLuma8(img.to_luma8()).write_with_encoder(enc)?;
        b
    }));
    out.push(("huge-ihdr.png".into(), png_header(100_000, 100_000, 8, 2)));
    out.push(("wide-ihdr.png".into(), png_header(16_384, 1, 16, 6)));
    let mut truncated = png(&kinds[0].1);
    truncated.truncate(truncated.len() / 2);
    out.push(("truncated.png".into(), truncated));
    // The shared real images, downscaled (keep seeds small).
    if shared.is_dir() {
        for sub in ["real", "real-pose"] {
            let mut files = Vec::new();
            collect(&shared.join(sub), &mut files);
            files.sort();
            for (i, f) in files.iter().enumerate().filter(|(i, _)| i % 4 == 0) {
                let Ok(img) = image::open(f) else { continue };
                let small = img.thumbnail(48, 48);
                let stem = f.file_stem().and_then(|s| s.to_str()).unwrap_or("img");
                if i % 8 == 0 {
                    out.push((format!("real-{stem}.png"), png(&small)));
                } else {
                    out.push((format!("real-{stem}.jpg"), jpeg(&small, 60)));
                }
            }
        }
    } else {
        eprintln!("note: {} not found; no real-image seeds", shared.display());
    }
    Ok(out)
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out);
        } else if matches!(
            p.extension()
                .and_then(|e| e.to_str())
                .map(|e| e.to_ascii_lowercase())
                .as_deref(),
            Some("png" | "jpg" | "jpeg")
        ) {
            out.push(p);
        }
    }
}

fn session_seeds() -> Seeds {
    let mut out = Vec::new();
    // n frames of (format, w u16, h u16, fill), then a pattern.
    let seqs: [&[(u8, u16, u16, u8)]; 4] = [
        &[(0, 320, 240, 0), (0, 160, 120, 0), (0, 320, 240, 0)],
        &[
            (4, 64, 48, 0),
            (1, 63, 47, 1),
            (6, 2, 2, 2),
            (3, 319, 239, 0),
        ],
        &[
            (1, 0, 0, 0),
            (1, 319, 239, 3),
            (2, 100, 1, 0),
            (5, 1, 100, 1),
        ],
        &[(5, 200, 150, 255), (5, 200, 150, 0)],
    ];
    for (i, seq) in seqs.iter().enumerate() {
        let mut b = vec![(seq.len() as u8).wrapping_sub(1)];
        for &(f, w, h, fill) in seq.iter() {
            b.push(f);
            b.extend((w.saturating_sub(1)).to_le_bytes());
            b.extend((h.saturating_sub(1)).to_le_bytes());
            b.push(fill);
        }
        b.extend((0..48u8).map(|v| v.wrapping_mul(37)));
        out.push((format!("seq-{i}"), b));
    }
    out
}

/// The C ABI target's encoding (see `tests/robust/targets/capi.rs`): config selector and bytes,
/// width, height, format, then per plane a stride spec, a length, the bytes, a shortening and a
/// NULL selector, then accessor arguments.
fn capi_seeds() -> Seeds {
    let mut out = Vec::new();
    let (w, h) = (32usize, 24usize);
    for (fi, &format) in PixelFormat::ALL.iter().enumerate() {
        let px = encode(&scene(w, h, 2), w, h, format);
        let (y_len, c_len) = (w * h, (w / 2) * (h / 2));
        let planes: Vec<&[u8]> = match format {
            PixelFormat::I420 => vec![
                &px[..y_len],
                &px[y_len..y_len + c_len],
                &px[y_len + c_len..],
            ],
            PixelFormat::Nv12 | PixelFormat::Nv21 => vec![&px[..y_len], &px[y_len..], &[]],
            _ => vec![&px[..], &[], &[]],
        };
        for (ci, cfg) in [
            &b""[..],
            b"{\"expected_hand\":\"right\"}",
            b"{\"ppi\":{\"min\":-1}}",
        ]
        .iter()
        .enumerate()
        {
            let mut b = vec![[0u8, 1, 2][ci], cfg.len() as u8];
            b.extend(*cfg);
            b.extend([0, w as u8, 0, h as u8, fi as u8]);
            for p in &planes {
                b.push(0); // tight stride
                b.extend((p.len() as u16).to_le_bytes());
                // The target adds the byte's index (mod 256) to each byte it reads.
                b.extend(p.iter().enumerate().map(|(k, &v)| v.wrapping_sub(k as u8)));
                b.push(0); // full length
                b.push(1); // not NULL
            }
            b.extend([0, 1, 0, 0, 0, 200, 3, 0, 1, 0, 9, 0, 0, 0, 5, 0, 0, 0]);
            out.push((
                format!("{}-cfg{ci}", format!("{format:?}").to_lowercase()),
                b,
            ));
        }
    }
    out
}

fn config_seeds() -> Seeds {
    let default = fingerqc::Config::default();
    let toml = toml::to_string(&default).expect("TOML");
    let json = serde_json::to_string_pretty(&default).expect("JSON");
    let mut out = vec![
        (
            "default.toml".to_string(),
            [&[0u8][..], toml.as_bytes()].concat(),
        ),
        (
            "default.json".to_string(),
            [&[1u8][..], json.as_bytes()].concat(),
        ),
        (
            "partial.toml".to_string(),
            b"\x00expected_hand = \"right\"\n[ppi]\nmin = 300.0\n".to_vec(),
        ),
        (
            "nan.toml".to_string(),
            b"\x00[focus]\nmax_blur_mm = nan\n".to_vec(),
        ),
        (
            "minmax.json".to_string(),
            b"\x01{\"ppi\":{\"min\":800,\"max\":400}}".to_vec(),
        ),
        ("unknown.toml".to_string(), b"\x00colour = 3\n".to_vec()),
    ];
    // Structured: the default's fields in the target's "tame" encoding (odd bits: (bits >> 8) /
    // 1000).
    let mut b = vec![2u8];
    for v in [
        350.0f32, 700.0, 500.0, 0.125, 0.4, 60.0, 200.0, 0.05, 235.0, 90.0, 0.0015, 0.5, 0.15, 0.2,
        0.475, 17.5, 0.25,
    ] {
        b.extend(((((v * 1000.0).round() as u32) << 8) | 1).to_le_bytes());
    }
    b.push(250);
    b.extend(25u32.to_le_bytes());
    b.push(4);
    b.push(0);
    b.push(0);
    b.extend(64_000_000u64.to_le_bytes());
    b.extend(16_384u32.to_le_bytes());
    b.extend((512u64 << 20).to_le_bytes());
    out.push(("structured-default".into(), b));
    out
}
