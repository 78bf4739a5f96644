//! Property tests (proptest) over arbitrary frames and configs:
//! - every `FrameView` constructor answers what the per-pixel reference of `tests/robust/
//!   reference.rs` predicts (the exact error variant and fields, or a view), and a view's
//!   `downsample_into` and `copy_luma` agree with the reference (Gray8 and YUV exactly, RGB
//!   within one level) on 1xN, Nx1, odd sizes, padded strides and factors 1..=9;
//! - the analyzer on arbitrary valid frames (1x1 to 640x480, every format, uniform, noise,
//!   stripes, crude and generated hand scenes) never panics and keeps every report invariant;
//! - random configs either validate or name a known field, and accepted ones never make the
//!   analyzer panic.
//!
//! Case counts are modest so `cargo test --test properties` stays within about 20 s;
//! `PROPTEST_CASES=N` sets every property's count to N.

mod robust;

use fingerqc::frame::LowRes;
use fingerqc::{Analyzer, Config, Error, FrameView, PixelFormat, Rect};
use proptest::prelude::*;
use robust::harness::{encode, scene};
use robust::invariants::check_report;
use robust::reference::{self, Expect, Layout};

/// `PROPTEST_CASES` when set, else `default`.
fn cases(default: u32) -> ProptestConfig {
    let n = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    ProptestConfig {
        cases: n,
        // Shrinking a failure of the analyzer over a 640x480 frame can take minutes; the
        // printed seed reproduces it anyway.
        max_shrink_iters: 256,
        ..ProptestConfig::default()
    }
}

/// Sizes biased toward the edges: 0, 1, 2, small odd and even, and up to 70.
fn dim() -> impl Strategy<Value = u32> {
    prop_oneof![
        1 => Just(0u32),
        3 => Just(1u32),
        2 => Just(2u32),
        4 => 3u32..=9,
        4 => 10u32..=70,
    ]
}

/// A stride relative to a row of `row` bytes: short by a little, tight, or padded.
fn stride_delta() -> impl Strategy<Value = i64> {
    prop_oneof![
        1 => -3i64..=-1,
        3 => Just(0i64),
        3 => 1i64..=17,
    ]
}

/// A buffer length relative to what the layout needs: short by a little, exact, or longer.
fn len_delta() -> impl Strategy<Value = i64> {
    prop_oneof![1 => -3i64..=-1, 3 => Just(0i64), 2 => 1i64..=9]
}

fn offset(base: usize, delta: i64) -> usize {
    (base as i64 + delta).max(0) as usize
}

/// Bytes a plane of `rows` rows of `row` bytes `stride` apart needs (the last row unpadded).
fn needed(row: usize, rows: usize, stride: usize) -> usize {
    if rows == 0 {
        0
    } else {
        stride * (rows - 1) + row
    }
}

/// Deterministic bytes from a seed.
fn bytes(n: usize, seed: u64) -> Vec<u8> {
    let mut s = seed | 1;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 32) as u8
        })
        .collect()
}

/// Checks a view against the reference: reduced image at `factor`, luma of `rect`, and every
/// row read in bounds.
fn check_view(
    view: &FrameView,
    layout: &Layout,
    factor: u32,
    rect: Rect,
) -> Result<(), TestCaseError> {
    let tol = if layout.exact() { 0 } else { 1 };
    let mut low = LowRes::default();
    view.downsample_into(factor, &mut low);
    let want = reference::downsample(layout, factor as usize);
    prop_assert_eq!(
        (low.width as usize, low.height as usize),
        (want.width, want.height)
    );
    for (name, got, exp) in [
        ("luma", &low.luma, &want.luma),
        ("cb", &low.cb, &want.cb),
        ("cr", &low.cr, &want.cr),
        ("max", &low.max, &want.max),
    ] {
        let d = reference::max_diff(got, exp);
        prop_assert!(
            d.is_some_and(|d| d <= tol),
            "{} of {:?} {}x{} factor {}: max diff {:?} (tolerance {})",
            name,
            layout.format,
            layout.width,
            layout.height,
            factor,
            d,
            tol
        );
    }
    let mut roi = Vec::new();
    let got_rect = view.copy_luma(rect, &mut roi);
    let (want_rect, want_roi) = reference::copy_luma(layout, rect);
    prop_assert_eq!(got_rect, want_rect);
    let d = reference::max_diff(&roi, &want_roi);
    prop_assert!(
        d.is_some_and(|d| d <= tol),
        "copy_luma {:?}: max diff {:?}",
        rect,
        d
    );
    for y in 0..view.height() {
        if let Some(row) = view.luma_row(y) {
            prop_assert_eq!(row.len(), view.width() as usize);
        }
    }
    prop_assert!(view.luma_row(view.height()).is_none());
    Ok(())
}

fn rect() -> impl Strategy<Value = Rect> {
    (0u32..80, 0u32..80, 0u32..90, 0u32..90).prop_map(|(x, y, width, height)| Rect {
        x,
        y,
        width,
        height,
    })
}

const PACKED: [PixelFormat; 4] = [
    PixelFormat::Gray8,
    PixelFormat::Rgb8,
    PixelFormat::Rgba8,
    PixelFormat::Bgra8,
];

proptest! {
    #![proptest_config(cases(512))]

    #[test]
    fn packed_constructor_matches_reference(
        fi in 0usize..4, w in dim(), h in dim(), sd in stride_delta(), ld in len_delta(),
        factor in 1u32..=9, rect in rect(), seed in any::<u64>(),
    ) {
        let format = PACKED[fi];
        let row = w as usize * format.luma_bytes_per_pixel();
        let stride = offset(row, sd);
        let len = offset(needed(row, h as usize, stride), ld);
        let data = bytes(len, seed);
        let r = FrameView::new_packed(&data, w, h, stride, format);
        prop_assert_eq!(reference::outcome(&r), reference::expect_packed(len, w, h, stride, format));
        if let Ok(view) = r {
            let none: (&[u8], usize) = (&[], 0);
            let layout = Layout {
                format,
                width: w as usize,
                height: h as usize,
                planes: [(&data, stride), none, none],
            };
            check_view(&view, &layout, factor, rect)?;
        }
    }

    #[test]
    fn semiplanar_constructor_matches_reference(
        nv21 in any::<bool>(), w in dim(), h in dim(), sd in (stride_delta(), stride_delta()),
        ld in (len_delta(), len_delta()), factor in 1u32..=9, rect in rect(), seed in any::<u64>(),
    ) {
        let format = if nv21 { PixelFormat::Nv21 } else { PixelFormat::Nv12 };
        let (wu, hu) = (w as usize, h as usize);
        let (ys, cs) = (offset(wu, sd.0), offset(wu, sd.1));
        let y = bytes(offset(needed(wu, hu, ys), ld.0), seed);
        let uv = bytes(offset(needed(wu, hu / 2, cs), ld.1), seed ^ 0xabcd);
        let r = FrameView::new_semiplanar(&y, ys, &uv, cs, w, h, format);
        let want = reference::expect_semiplanar(y.len(), ys, uv.len(), cs, w, h, format);
        prop_assert_eq!(reference::outcome(&r), want);
        if let Ok(view) = r {
            let layout = Layout {
                format,
                width: wu,
                height: hu,
                planes: [(&y, ys), (&uv, cs), (&[], 0)],
            };
            check_view(&view, &layout, factor, rect)?;
        }
    }

    #[test]
    fn i420_constructor_matches_reference(
        w in dim(), h in dim(), sd in (stride_delta(), stride_delta(), stride_delta()),
        ld in (len_delta(), len_delta(), len_delta()), factor in 1u32..=9, rect in rect(),
        seed in any::<u64>(),
    ) {
        let (wu, hu) = (w as usize, h as usize);
        let s = [offset(wu, sd.0), offset(wu / 2, sd.1), offset(wu / 2, sd.2)];
        let y = bytes(offset(needed(wu, hu, s[0]), ld.0), seed);
        let u = bytes(offset(needed(wu / 2, hu / 2, s[1]), ld.1), seed ^ 1);
        let v = bytes(offset(needed(wu / 2, hu / 2, s[2]), ld.2), seed ^ 2);
        let r = FrameView::new_i420(&y, s[0], &u, s[1], &v, s[2], w, h);
        let want = reference::expect_i420([y.len(), u.len(), v.len()], s, w, h);
        prop_assert_eq!(reference::outcome(&r), want);
        if let Ok(view) = r {
            let layout = Layout {
                format: PixelFormat::I420,
                width: wu,
                height: hu,
                planes: [(&y, s[0]), (&u, s[1]), (&v, s[2])],
            };
            check_view(&view, &layout, factor, rect)?;
        }
    }

    #[test]
    fn from_bytes_matches_reference(
        fi in 0usize..7, w in dim(), h in dim(), ld in len_delta(), factor in 1u32..=9,
        rect in rect(), seed in any::<u64>(),
    ) {
        let format = PixelFormat::ALL[fi];
        let (wu, hu) = (w as usize, h as usize);
        let tight = if format.is_yuv420() {
            wu * hu + 2 * (wu / 2) * (hu / 2)
        } else {
            wu * hu * format.luma_bytes_per_pixel()
        };
        let data = bytes(offset(tight, ld), seed);
        let r = FrameView::from_bytes(&data, w, h, format);
        prop_assert_eq!(reference::outcome(&r), reference::expect_from_bytes(data.len(), w, h, format));
        if let Ok(view) = r {
            let layout = reference::tight_layout(&data, wu, hu, format);
            check_view(&view, &layout, factor, rect)?;
        }
    }

    /// Absurd sizes with small buffers: always an error (overflow or too short), never a panic.
    #[test]
    fn huge_declared_sizes_are_errors(
        fi in 0usize..7, w in any::<u32>(), h in any::<u32>(), stride in any::<usize>(),
        len in 0usize..256,
    ) {
        let format = PixelFormat::ALL[fi];
        let data = vec![7u8; len];
        prop_assume!(w as u64 * h as u64 > 256);
        let r = if format.is_yuv420() {
            FrameView::from_bytes(&data, w, h, format)
        } else {
            FrameView::new_packed(&data, w, h, stride, format)
        };
        let want = if format.is_yuv420() {
            reference::expect_from_bytes(len, w, h, format)
        } else {
            reference::expect_packed(len, w, h, stride, format)
        };
        prop_assert_eq!(reference::outcome(&r), want.clone());
        prop_assert!(want != Expect::Ok);
    }
}

/// What a test frame shows.
#[derive(Clone, Copy, Debug)]
enum Content {
    Uniform(u8),
    Noise(u64),
    /// Stripes of this period (px) between two levels, vertical or diagonal.
    Stripes(u8, bool),
    /// A crude hand-like scene with ridge stripes of this period.
    Scene(u8),
    /// A scene of the crate's generator (`fingerqc::synth`), any scenario, this seed.
    Synth(u64),
}

fn content() -> impl Strategy<Value = Content> {
    prop_oneof![
        (0u8..=255).prop_map(Content::Uniform),
        any::<u64>().prop_map(Content::Noise),
        (2u8..40, any::<bool>()).prop_map(|(p, d)| Content::Stripes(p, d)),
        (2u8..12).prop_map(Content::Scene),
        (0u64..1_000).prop_map(Content::Synth),
    ]
}

fn render(c: Content, w: usize, h: usize) -> Vec<[u8; 3]> {
    match c {
        Content::Uniform(v) => vec![[v, v, v]; w * h],
        Content::Noise(seed) => bytes(w * h * 3, seed)
            .chunks_exact(3)
            .map(|p| [p[0], p[1], p[2]])
            .collect(),
        Content::Stripes(p, diagonal) => (0..w * h)
            .map(|i| {
                let (x, y) = (i % w, i / w);
                let t = if diagonal { x + y } else { x };
                if (t / p as usize) % 2 == 0 {
                    [200, 150, 120]
                } else {
                    [60, 40, 30]
                }
            })
            .collect(),
        Content::Scene(p) => scene(w, h, p as usize),
        Content::Synth(seed) => fingerqc::synth::scene(seed, w as u32, h as u32)
            .image
            .pixels()
            .map(|p| p.0)
            .collect(),
    }
}

/// Pads every row of a tight packed frame to `stride` bytes.
fn pad_rows(tight: &[u8], row: usize, rows: usize, stride: usize) -> Vec<u8> {
    let mut out = vec![0xA5u8; needed(row, rows, stride)];
    for y in 0..rows {
        out[y * stride..y * stride + row].copy_from_slice(&tight[y * row..(y + 1) * row]);
    }
    out
}

proptest! {
    #![proptest_config(cases(96))]

    #[test]
    fn analyzer_reports_keep_their_invariants(
        fi in 0usize..7, w in 1usize..=640, h in 1usize..=480, c in content(), pad in 0usize..9,
    ) {
        let format = PixelFormat::ALL[fi];
        let (w, h) = if format.is_yuv420() {
            ((w + 1) & !1, (h + 1) & !1)
        } else {
            (w, h)
        };
        let tight = encode(&render(c, w, h), w, h, format);
        let mut analyzer = Analyzer::new(Config::default()).expect("default config");
        let report = if format.is_yuv420() {
            let view = FrameView::from_bytes(&tight, w as u32, h as u32, format).expect("valid");
            analyzer.analyze(&view)
        } else {
            // Padded rows, so strided reads are exercised too.
            let row = w * format.luma_bytes_per_pixel();
            let data = pad_rows(&tight, row, h, row + pad);
            let view = FrameView::new_packed(&data, w as u32, h as u32, row + pad, format)
                .expect("valid");
            analyzer.analyze(&view)
        };
        let report = report.map_err(|e| TestCaseError::fail(format!("analyze failed: {e}")))?;
        if let Err(e) = check_report(&report, w as u32, h as u32) {
            return Err(TestCaseError::fail(format!("{format:?} {w}x{h} {c:?}: {e}")));
        }
    }
}

/// Every field name `Config::validate` may name.
const CONFIG_FIELDS: [&str; 25] = [
    "expected_hand",
    "expected_fingers",
    "ppi.min",
    "ppi.max",
    "ppi.target",
    "focus.max_blur_mm",
    "focus.max_motion_mm",
    "exposure.dark_mean",
    "exposure.bright_mean",
    "exposure.max_clipped_fraction",
    "exposure.clipped_level",
    "glare.level_cap",
    "glare.level_above_mean",
    "glare.min_fraction",
    "glare.min_pixels",
    "framing.min_inside_to_count",
    "framing.max_outside_fraction",
    "framing.print_fraction_of_finger",
    "ridge.period_mm",
    "ridge.finger_width_mm",
    "ridge.min_clarity",
    "ridge.min_modulation",
    "limits.max_frame_pixels",
    "limits.max_image_side",
    "limits.max_decode_bytes",
];

/// A float near `default` (0 to 3 times it) most of the time, else anything (NaN, infinities,
/// negatives, subnormals).
fn near(default: f32) -> impl Strategy<Value = f32> {
    prop_oneof![
        4 => (0.0f32..3.0).prop_map(move |k| k * default),
        1 => prop::num::f32::ANY,
        1 => Just(default),
    ]
}

fn config() -> impl Strategy<Value = Config> {
    let d = Config::default();
    (
        (near(d.ppi.min), near(d.ppi.max), near(d.ppi.target)),
        (near(d.focus.max_blur_mm), near(d.focus.max_motion_mm)),
        (
            near(d.exposure.dark_mean),
            near(d.exposure.bright_mean),
            any::<u8>(),
            near(d.exposure.max_clipped_fraction),
        ),
        (
            near(d.glare.level_cap),
            near(d.glare.level_above_mean),
            0u32..200,
            near(d.glare.min_fraction),
        ),
        (
            near(d.framing.min_inside_to_count),
            near(d.framing.max_outside_fraction),
            near(d.framing.print_fraction_of_finger),
        ),
        (
            near(d.ridge.period_mm),
            near(d.ridge.finger_width_mm),
            near(d.ridge.min_clarity),
            near(d.ridge.min_modulation),
        ),
        (0u8..8, 0u32..3, any::<bool>(), 0u64..100_000_000),
    )
        .prop_map(|(ppi, focus, exp, glare, framing, ridge, misc)| {
            let mut c = Config::default();
            (c.ppi.min, c.ppi.max, c.ppi.target) = ppi;
            (c.focus.max_blur_mm, c.focus.max_motion_mm) = focus;
            (
                c.exposure.dark_mean,
                c.exposure.bright_mean,
                c.exposure.clipped_level,
                c.exposure.max_clipped_fraction,
            ) = exp;
            (
                c.glare.level_cap,
                c.glare.level_above_mean,
                c.glare.min_pixels,
                c.glare.min_fraction,
            ) = glare;
            (
                c.framing.min_inside_to_count,
                c.framing.max_outside_fraction,
                c.framing.print_fraction_of_finger,
            ) = framing;
            (
                c.ridge.period_mm,
                c.ridge.finger_width_mm,
                c.ridge.min_clarity,
                c.ridge.min_modulation,
            ) = ridge;
            c.expected_fingers = misc.0;
            c.expected_hand = [
                fingerqc::Hand::Left,
                fingerqc::Hand::Right,
                fingerqc::Hand::Unknown,
            ][misc.1 as usize];
            c.mirrored = misc.2;
            c.limits.max_frame_pixels = misc.3;
            c
        })
}

proptest! {
    #![proptest_config(cases(256))]

    #[test]
    fn configs_validate_or_name_a_field(c in config(), seed in any::<u64>()) {
        match c.validate() {
            Err(Error::Config { field, reason }) => {
                prop_assert!(CONFIG_FIELDS.contains(&field), "unknown field name {field}");
                prop_assert!(!reason.is_empty());
                prop_assert!(Analyzer::new(c).is_err());
            }
            Err(e) => prop_assert!(false, "validate gave a non-Config error: {e}"),
            Ok(()) => {
                // Accepted: the analyzer runs on a scene and on noise without panicking, and its
                // reports keep their invariants.
                let mut a = Analyzer::new(c.clone()).expect("validated config");
                for (w, h, content) in [(160usize, 120usize, Content::Scene(3)), (37, 23, Content::Noise(seed))] {
                    let px = encode(&render(content, w, h), w, h, PixelFormat::Rgb8);
                    let view = FrameView::from_bytes(&px, w as u32, h as u32, PixelFormat::Rgb8)
                        .expect("valid frame");
                    match a.analyze(&view) {
                        Ok(r) => {
                            if let Err(e) = check_report(&r, w as u32, h as u32) {
                                return Err(TestCaseError::fail(format!("{e} with {c:?}")));
                            }
                        }
                        Err(Error::FrameTooLarge { .. }) => {
                            prop_assert!((w * h) as u64 > c.limits.max_frame_pixels)
                        }
                        Err(e) => prop_assert!(false, "analyze failed: {e}"),
                    }
                }
                // Accepted configs survive both text formats unchanged.
                let toml = toml::to_string(&c).expect("TOML");
                prop_assert_eq!(Config::from_toml_str(&toml).expect("TOML round trip"), c.clone());
                let json = serde_json::to_string(&c).expect("JSON");
                prop_assert_eq!(Config::from_json_str(&json).expect("JSON round trip"), c);
            }
        }
    }
}
