//! Writes frames as raw files for the C example (`examples/c/analyze.c`), in every pixel format,
//! together with what the Rust API says about each: the C program must say the same through
//! the C ABI. Used by `scripts/c-test.sh`.
//!
//! ```text
//! cargo run --example dump_raw --features capi -- OUT_DIR [IMAGE...]
//! ```
//!
//! Frames: scenes drawn here (a hand-like shape with ridges, an empty scene, a dark one, odd
//! sizes), generated capture scenes from `fingerqc::synth`, plus each IMAGE (PNG or JPEG) given. Each is written as Rgb8 as decoded and
//! converted to Gray8, Rgba8, Bgra8 and, at even size (cropped by one pixel if need be), to
//! NV21, NV12 and I420.
//!
//! Raw file: 24-byte header (`FQCRAW01`, then width, height, pixel format and 0 as u32
//! little-endian) followed by the planes, tightly packed, in `FrameView::from_bytes` layout.
//! OUT_DIR receives the `.raw` files, `frames.txt` (their names, one a line), `expected.txt`
//! (`name verdict code...` per frame, from the Rust API), `NAME.rust.json` (the report), and
//! `session.rgb8.raw`, a frame that passes under `examples/c/loose-config.json`.

use fingerqc::frame::{luma601, ycbcr601};
use fingerqc::{Analyzer, Config, FrameView, PixelFormat};
use image::{Rgb, RgbImage};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    if let Err(e) = run() {
        eprintln!("dump_raw: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args_os().skip(1);
    let out = PathBuf::from(args.next().ok_or("usage: dump_raw OUT_DIR [IMAGE...]")?);
    std::fs::create_dir_all(&out)?;
    let mut sources: Vec<(String, RgbImage)> = drawn_scenes();
    // Generated capture scenes (the scenario mix of `fingerqc::synth`), from the evaluation
    // seed range so they are not the frames anything was tuned on.
    for (seed, w, h) in [
        (1_000_000, 640, 480),
        (1_000_001, 640, 480),
        (1_000_002, 1280, 720),
        (1_000_003, 720, 1280),
        (1_000_004, 1920, 1080),
        (1_000_005, 800, 600),
    ] {
        sources.push((
            format!("synth{seed}_{w}x{h}"),
            fingerqc::synth::scene(seed, w, h).image,
        ));
    }
    let config = Config::default();
    for path in args {
        let path = PathBuf::from(path);
        let frame = fingerqc::io::load_image(&path, &config.limits)?;
        let rgb = match frame.format {
            PixelFormat::Rgb8 => RgbImage::from_raw(frame.width, frame.height, frame.data),
            _ => RgbImage::from_raw(
                frame.width,
                frame.height,
                frame.data.iter().flat_map(|&v| [v, v, v]).collect(),
            ),
        }
        .ok_or("decoded image has the wrong size")?;
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("image")
            .replace(|c: char| !c.is_ascii_alphanumeric(), "_");
        sources.push((format!("real_{stem}"), rgb));
    }

    let mut analyzer = Analyzer::new(config)?;
    let (mut names, mut expected) = (String::new(), String::new());
    for (stem, rgb) in &sources {
        for format in PixelFormat::ALL {
            let Some((w, h, data)) = convert(rgb, format) else {
                continue;
            };
            let name = format!("{stem}.{}.raw", format_name(format));
            write_raw(&out.join(&name), w, h, format, &data)?;
            let view = FrameView::from_bytes(&data, w, h, format)?;
            let report = analyzer.analyze(&view)?;
            write!(expected, "{name} {}", verdict_name(report.verdict))?;
            for reason in &report.reasons {
                write!(expected, " {}", reason.code)?;
            }
            expected.push('\n');
            names.push_str(&name);
            names.push('\n');
            std::fs::write(
                out.join(format!("{name}.rust.json")),
                serde_json::to_string(&report)?,
            )?;
        }
    }
    std::fs::write(out.join("frames.txt"), names)?;
    write_session_frame(&out)?;
    std::fs::write(out.join("expected.txt"), &expected)?;
    eprintln!(
        "dump_raw: {} frames from {} sources in {}",
        expected.lines().count(),
        sources.len(),
        out.display()
    );
    Ok(())
}

/// Writes `session.rgb8.raw`: the first generated 640x480 scene from seed 1_000_100 on that the
/// analyzer accepts under `examples/c/loose-config.json`, for `examples/c/session.c` to feed
/// until the session captures it.
fn write_session_frame(out: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let loose = Config::from_json_str(include_str!("c/loose-config.json"))?;
    let mut analyzer = Analyzer::new(loose)?;
    for seed in 1_000_100..1_000_200 {
        let image = fingerqc::synth::scene(seed, 640, 480).image;
        let view = FrameView::from_rgb_image(&image)?;
        if analyzer.analyze(&view)?.verdict == fingerqc::Verdict::Accept {
            let (w, h) = image.dimensions();
            write_raw(
                &out.join("session.rgb8.raw"),
                w,
                h,
                PixelFormat::Rgb8,
                image.as_raw(),
            )?;
            return Ok(());
        }
    }
    Err("no generated scene among 100 is accepted under the loose config".into())
}

fn format_name(f: PixelFormat) -> &'static str {
    match f {
        PixelFormat::Gray8 => "gray8",
        PixelFormat::Rgb8 => "rgb8",
        PixelFormat::Rgba8 => "rgba8",
        PixelFormat::Bgra8 => "bgra8",
        PixelFormat::Nv21 => "nv21",
        PixelFormat::Nv12 => "nv12",
        PixelFormat::I420 => "i420",
        _ => "unknown",
    }
}

fn verdict_name(v: fingerqc::Verdict) -> &'static str {
    match v {
        fingerqc::Verdict::Accept => "accept",
        fingerqc::Verdict::Reject => "reject",
    }
}

fn write_raw(path: &Path, w: u32, h: u32, format: PixelFormat, data: &[u8]) -> std::io::Result<()> {
    let mut bytes = Vec::with_capacity(24 + data.len());
    bytes.extend_from_slice(b"FQCRAW01");
    for v in [w, h, format as u32, 0] {
        bytes.extend_from_slice(&v.to_le_bytes());
    }
    bytes.extend_from_slice(data);
    std::fs::write(path, bytes)
}

/// `rgb` in `format`, tightly packed; 4:2:0 formats crop an odd row or column, and are skipped
/// for images smaller than 2x2.
fn convert(rgb: &RgbImage, format: PixelFormat) -> Option<(u32, u32, Vec<u8>)> {
    let (w, h) = rgb.dimensions();
    let px = |x: u32, y: u32| rgb.get_pixel(x, y).0;
    match format {
        PixelFormat::Rgb8 => Some((w, h, rgb.as_raw().clone())),
        PixelFormat::Gray8 => Some((
            w,
            h,
            rgb.pixels().map(|p| luma601(p[0], p[1], p[2])).collect(),
        )),
        PixelFormat::Rgba8 => Some((
            w,
            h,
            rgb.pixels().flat_map(|p| [p[0], p[1], p[2], 255]).collect(),
        )),
        PixelFormat::Bgra8 => Some((
            w,
            h,
            rgb.pixels().flat_map(|p| [p[2], p[1], p[0], 255]).collect(),
        )),
        PixelFormat::Nv21 | PixelFormat::Nv12 | PixelFormat::I420 => {
            let (w, h) = (w & !1, h & !1);
            if w == 0 || h == 0 {
                return None;
            }
            let mut y_plane = Vec::with_capacity((w * h) as usize);
            for y in 0..h {
                for x in 0..w {
                    let [r, g, b] = px(x, y);
                    y_plane.push(ycbcr601(r, g, b).0);
                }
            }
            let (cw, ch) = (w / 2, h / 2);
            let (mut u, mut v) = (Vec::new(), Vec::new());
            for cy in 0..ch {
                for cx in 0..cw {
                    let (mut su, mut sv) = (0u32, 0u32);
                    for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                        let [r, g, b] = px(2 * cx + dx, 2 * cy + dy);
                        let (_, cb, cr) = ycbcr601(r, g, b);
                        su += cb as u32;
                        sv += cr as u32;
                    }
                    u.push(((su + 2) / 4) as u8);
                    v.push(((sv + 2) / 4) as u8);
                }
            }
            let mut data = y_plane;
            match format {
                PixelFormat::I420 => {
                    data.extend_from_slice(&u);
                    data.extend_from_slice(&v);
                }
                PixelFormat::Nv21 => data.extend(v.iter().zip(&u).flat_map(|(&v, &u)| [v, u])),
                _ => data.extend(u.iter().zip(&v).flat_map(|(&u, &v)| [u, v])),
            }
            Some((w, h, data))
        }
        _ => None,
    }
}

/// Deterministic pseudo-random numbers (splitmix64), so the scenes are the same everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f32 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 40) as f32 / (1u64 << 24) as f32
    }
}

/// Hand-like scenes drawn in code: four rounded fingers with ridges above a palm, on a plain
/// background; plus an empty scene, a dark one, and odd sizes (packed formats only). The C test
/// needs frames on which the analyzer says different things, not realistic ones.
fn drawn_scenes() -> Vec<(String, RgbImage)> {
    let mut out = Vec::new();
    for (i, (w, h)) in [(640, 480), (1280, 720), (333, 251), (720, 1280)]
        .into_iter()
        .enumerate()
    {
        out.push((format!("drawn{i}_{w}x{h}"), draw_hand(i as u64, w, h, 1.0)));
    }
    out.push(("drawn_dark_640x480".into(), draw_hand(7, 640, 480, 0.12)));
    out.push((
        "drawn_empty_640x480".into(),
        RgbImage::from_pixel(640, 480, Rgb([40, 90, 160])),
    ));
    out.push(("drawn_tiny_3x1".into(), draw_hand(9, 3, 1, 1.0)));
    out
}

fn draw_hand(seed: u64, w: u32, h: u32, gain: f32) -> RgbImage {
    let mut rng = Rng(seed);
    let bg = [
        40.0 + 60.0 * rng.next(),
        60.0 + 80.0 * rng.next(),
        90.0 + 100.0 * rng.next(),
    ];
    let skin = [200.0, 145.0 + 20.0 * rng.next(), 115.0 + 20.0 * rng.next()];
    let (wf, hf) = (w as f32, h as f32);
    let unit = wf.min(hf);
    let finger_w = 0.09 * unit;
    let gap = 0.02 * unit;
    let cx = wf * (0.45 + 0.1 * rng.next());
    let palm_top = hf * 0.62;
    // Index, middle, ring, little: the middle is the longest, the little the shortest.
    let lengths = [0.36, 0.42, 0.38, 0.28].map(|l: f32| l * unit);
    let period = 6.0 + 4.0 * rng.next();
    RgbImage::from_fn(w, h, |x, y| {
        let (xf, yf) = (x as f32 + 0.5, y as f32 + 0.5);
        let mut inside = yf >= palm_top && (xf - cx).abs() < 2.2 * (finger_w + gap);
        for (k, len) in lengths.iter().enumerate() {
            let fx = cx + (k as f32 - 1.5) * (finger_w + gap);
            let tip = palm_top - len + finger_w / 2.0;
            let dx = xf - fx;
            let in_shaft = dx.abs() < finger_w / 2.0 && yf >= tip && yf <= palm_top;
            let in_cap = dx * dx + (yf - tip).powi(2) < (finger_w / 2.0).powi(2);
            inside |= in_shaft || in_cap;
        }
        let c = if inside {
            let ridge = 0.85 + 0.15 * (std::f32::consts::TAU * (yf + 0.3 * xf) / period).sin();
            skin.map(|s| s * ridge)
        } else {
            bg
        };
        Rgb(c.map(|v| (v * gain).round().clamp(0.0, 255.0) as u8))
    })
}
