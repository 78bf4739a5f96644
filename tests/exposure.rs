//! Exposure and glare measured on frames built here with known content, in all seven pixel
//! formats. Each scene's luma is exact by construction (BT.601 integer luma of the RGB pixels),
//! so every format must give the same counts; means and percentiles may differ by the one level
//! of rounding in the block averages.

use fingerqc::exposure::{ExposureAnalyzer, region_stats};
use fingerqc::frame::{LowRes, luma601, ycbcr601};
use fingerqc::report::{ExposureStats, GlareStats};
use fingerqc::{Config, FrameView, PixelFormat};
use proptest::prelude::*;

/// An RGB scene, `w` x `h`, tightly packed.
#[derive(Clone)]
struct Scene {
    w: u32,
    h: u32,
    rgb: Vec<u8>,
}

impl Scene {
    fn filled(w: u32, h: u32, c: [u8; 3]) -> Scene {
        Scene {
            w,
            h,
            rgb: c.repeat((w * h) as usize),
        }
    }

    fn rect(&mut self, x: u32, y: u32, rw: u32, rh: u32, c: [u8; 3]) {
        for yy in y..(y + rh).min(self.h) {
            for xx in x..(x + rw).min(self.w) {
                let i = ((yy * self.w + xx) * 3) as usize;
                self.rgb[i..i + 3].copy_from_slice(&c);
            }
        }
    }

    /// The bytes of this scene in `format`'s tight layout.
    fn encode(&self, format: PixelFormat) -> Vec<u8> {
        let (w, h) = (self.w as usize, self.h as usize);
        let px = |x: usize, y: usize| {
            let i = (y * w + x) * 3;
            (self.rgb[i], self.rgb[i + 1], self.rgb[i + 2])
        };
        match format {
            PixelFormat::Gray8 => (0..h)
                .flat_map(|y| (0..w).map(move |x| (x, y)))
                .map(|(x, y)| {
                    let (r, g, b) = px(x, y);
                    luma601(r, g, b)
                })
                .collect(),
            PixelFormat::Rgb8 => self.rgb.clone(),
            PixelFormat::Rgba8 => self
                .rgb
                .chunks_exact(3)
                .flat_map(|p| [p[0], p[1], p[2], 255])
                .collect(),
            PixelFormat::Bgra8 => self
                .rgb
                .chunks_exact(3)
                .flat_map(|p| [p[2], p[1], p[0], 255])
                .collect(),
            _ => {
                let mut out = Vec::with_capacity(w * h * 3 / 2);
                for y in 0..h {
                    for x in 0..w {
                        let (r, g, b) = px(x, y);
                        out.push(luma601(r, g, b));
                    }
                }
                let (cw, ch) = (w / 2, h / 2);
                let mut u = vec![0u8; cw * ch];
                let mut v = vec![0u8; cw * ch];
                for cy in 0..ch {
                    for cx in 0..cw {
                        let (mut su, mut sv) = (0u32, 0u32);
                        for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                            let (r, g, b) = px(2 * cx + dx, 2 * cy + dy);
                            let (_, cb, cr) = ycbcr601(r, g, b);
                            su += cb as u32;
                            sv += cr as u32;
                        }
                        u[cy * cw + cx] = ((su + 2) / 4) as u8;
                        v[cy * cw + cx] = ((sv + 2) / 4) as u8;
                    }
                }
                match format {
                    PixelFormat::I420 => {
                        out.extend_from_slice(&u);
                        out.extend_from_slice(&v);
                    }
                    PixelFormat::Nv12 => {
                        for (a, b) in u.iter().zip(&v) {
                            out.extend_from_slice(&[*a, *b]);
                        }
                    }
                    _ => {
                        for (a, b) in u.iter().zip(&v) {
                            out.extend_from_slice(&[*b, *a]);
                        }
                    }
                }
                out
            }
        }
    }
}

/// A low-resolution mask that is 1 on blocks fully inside the full-res rectangle.
fn block_mask(low: &LowRes, x: u32, y: u32, rw: u32, rh: u32) -> Vec<u8> {
    let f = low.factor;
    let mut m = vec![0u8; (low.width * low.height) as usize];
    for by in y.div_ceil(f)..(y + rh) / f {
        for bx in x.div_ceil(f)..(x + rw) / f {
            m[(by * low.width + bx) as usize] = 1;
        }
    }
    m
}

struct Measured {
    exposure: ExposureStats,
    glare: GlareStats,
}

/// Runs the analyzer on `scene` in `format`, with `mask_fn` building the mask from the low-res image.
fn measure(
    scene: &Scene,
    format: PixelFormat,
    factor: u32,
    config: &Config,
    mask_fn: &dyn Fn(&LowRes) -> Vec<u8>,
) -> Measured {
    let bytes = scene.encode(format);
    let frame = FrameView::from_bytes(&bytes, scene.w, scene.h, format).expect("valid frame");
    let mut low = LowRes::default();
    frame.downsample_into(factor, &mut low);
    let mask = mask_fn(&low);
    let mut a = ExposureAnalyzer::new();
    let mut m = Measured {
        exposure: ExposureStats::default(),
        glare: GlareStats::default(),
    };
    a.measure(&frame, &low, &mask, config, &mut m.exposure, &mut m.glare);
    m
}

/// Measures in every format and checks they agree: counts exactly, levels within 1.
fn measure_all(
    scene: &Scene,
    factor: u32,
    config: &Config,
    mask_fn: &dyn Fn(&LowRes) -> Vec<u8>,
) -> Measured {
    let reference = measure(scene, PixelFormat::Gray8, factor, config, mask_fn);
    for format in PixelFormat::ALL {
        let m = measure(scene, format, factor, config, mask_fn);
        let (a, b) = (&reference.exposure, &m.exposure);
        // Levels: the YUV and RGB reductions round block means the same way; 1 level of slack.
        for (name, x, y) in [
            ("mean", a.mean, b.mean),
            ("p05", a.p05, b.p05),
            ("p50", a.p50, b.p50),
            ("p95", a.p95, b.p95),
            ("glare.level", reference.glare.level, m.glare.level),
        ] {
            assert!((x - y).abs() <= 1.0, "{format:?} {name}: {y} vs gray {x}");
        }
        // Counts are made at full resolution from exact luma: identical in every format.
        assert_eq!(a.pixels, b.pixels, "{format:?} finger pixels");
        assert_eq!(
            reference.glare.pixels, m.glare.pixels,
            "{format:?} glare pixels"
        );
        assert_eq!(reference.glare.spots, m.glare.spots, "{format:?} spots");
        assert!(
            (a.clipped_fraction - b.clipped_fraction).abs() < 1e-6,
            "{format:?} clipped fraction"
        );
    }
    reference
}

const SKIN: [u8; 3] = [200, 150, 120]; // BT.601 luma 162
const DARK_SKIN: [u8; 3] = [60, 40, 30]; // luma 45
const SPEC: [u8; 3] = [240, 240, 242]; // luma 240: above the 235 cap, below clipping (250)
const WHITE: [u8; 3] = [255, 255, 255];

fn all_mask(low: &LowRes) -> Vec<u8> {
    vec![1; low.luma.len()]
}

#[test]
fn uniform_frame_has_exact_statistics_and_no_glare() {
    let s = Scene::filled(640, 360, SKIN);
    assert_eq!(luma601(SKIN[0], SKIN[1], SKIN[2]), 162);
    let m = measure_all(&s, 4, &Config::default(), &all_mask);
    // Exact: every block mean is 162.
    assert_eq!(m.exposure.mean, 162.0);
    assert_eq!(
        (m.exposure.p05, m.exposure.p50, m.exposure.p95),
        (162.0, 162.0, 162.0)
    );
    assert_eq!(m.exposure.pixels, 640 * 360);
    assert_eq!(m.exposure.clipped_fraction, 0.0);
    // Level = min(235, 162 + 90) = 235 exactly.
    assert_eq!(m.glare.level, 235.0);
    assert_eq!((m.glare.pixels, m.glare.spots), (0, 0));
}

#[test]
fn small_spot_is_counted_pixel_exact_though_block_means_hide_it() {
    // A 7x6 = 42 px spot straddling block borders (factor 6): no block mean reaches 235.
    let mut s = Scene::filled(960, 540, SKIN);
    s.rect(400, 200, 7, 6, SPEC);
    let m = measure_all(&s, 6, &Config::default(), &all_mask);
    assert_eq!(m.glare.pixels, 42, "exact full-res count");
    assert_eq!(m.glare.spots, 1);
    assert!(
        (m.glare.fraction - 42.0 / (960.0 * 540.0)).abs() < 1e-7,
        "fraction {}",
        m.glare.fraction
    );
    // 240 is below the clipping level 250.
    assert_eq!(m.exposure.clipped_fraction, 0.0);
    // The spot moves the mean by 42 * 78 / 518400 = 0.006 levels: within rounding (0.5).
    assert!(
        (m.exposure.mean - 162.0).abs() <= 0.5,
        "{}",
        m.exposure.mean
    );
}

#[test]
fn separate_spots_are_counted_and_clipping_measured() {
    let mut s = Scene::filled(640, 480, SKIN);
    s.rect(100, 100, 10, 10, WHITE); // 100 px at 255: glare and clipped
    s.rect(400, 300, 5, 4, SPEC); // 20 px at 240: glare only
    s.rect(500, 50, 3, 3, SPEC); // 9 px
    let m = measure_all(&s, 4, &Config::default(), &all_mask);
    assert_eq!(m.glare.pixels, 129);
    assert_eq!(m.glare.spots, 3);
    let n = 640.0 * 480.0;
    assert!((m.exposure.clipped_fraction - 100.0 / n).abs() < 1e-7);
}

#[test]
fn glare_level_follows_a_dark_finger_mean() {
    // Dark finger (luma 45): level = 45 + 90 = 135, so a 150-luma sheen is glare.
    let mut s = Scene::filled(400, 300, DARK_SKIN);
    assert_eq!(luma601(DARK_SKIN[0], DARK_SKIN[1], DARK_SKIN[2]), 45);
    s.rect(50, 60, 8, 8, [150, 150, 150]);
    s.rect(200, 200, 8, 8, [120, 120, 120]); // below the level: not glare
    let m = measure_all(&s, 2, &Config::default(), &all_mask);
    assert!((m.glare.level - 135.0).abs() <= 0.5, "{}", m.glare.level);
    assert_eq!(m.glare.pixels, 64);
    assert_eq!(m.glare.spots, 1);
}

#[test]
fn percentiles_of_a_two_level_finger() {
    // Left 30% at luma 45, right 70% at luma 162 (block-aligned split at factor 4).
    let mut s = Scene::filled(400, 200, SKIN);
    s.rect(0, 0, 120, 200, DARK_SKIN);
    let m = measure_all(&s, 4, &Config::default(), &all_mask);
    let want_mean = 0.3 * 45.0 + 0.7 * 162.0;
    assert!(
        (m.exposure.mean - want_mean).abs() < 0.01,
        "{}",
        m.exposure.mean
    );
    assert_eq!(m.exposure.p05, 45.0);
    assert_eq!(m.exposure.p50, 162.0);
    assert_eq!(m.exposure.p95, 162.0);
}

#[test]
fn only_finger_pixels_count() {
    // Finger region: a rectangle; a bright spot outside it (background) and one inside.
    let mut s = Scene::filled(640, 480, [30, 90, 40]);
    s.rect(200, 100, 240, 300, SKIN);
    s.rect(50, 50, 10, 10, WHITE); // background: ignored
    s.rect(300, 200, 6, 6, SPEC); // finger: 36 px
    let f = 4;
    let mask = |low: &LowRes| block_mask(low, 200, 100, 240, 300);
    let m = measure_all(&s, f, &Config::default(), &mask);
    assert_eq!(m.exposure.pixels, 240 * 300);
    // Finger pixels only: 162 plus the spot's share (36 * 78 / 72000 = 0.039), within the half
    // level of block rounding; one background block would pull it down by ~0.1 per block.
    let want = 162.0 + 36.0 * 78.0 / 72000.0;
    assert!((m.exposure.mean - want).abs() <= 0.5, "{}", m.exposure.mean);
    assert_eq!(
        m.exposure.p05, 162.0,
        "no background level among finger blocks"
    );
    assert_eq!(m.glare.pixels, 36);
    assert_eq!(m.exposure.clipped_fraction, 0.0);
}

#[test]
fn spot_the_mask_left_out_counts_when_finger_surrounds_it() {
    // Segmentation drops near-white blocks; the spot leaves a hole in the mask.
    let mut s = Scene::filled(640, 480, [30, 90, 40]);
    s.rect(200, 100, 240, 300, SKIN);
    s.rect(296, 196, 12, 12, WHITE); // 144 px, blocks (74..77, 49..52) at factor 4
    let mask = |low: &LowRes| {
        let mut m = block_mask(low, 200, 100, 240, 300);
        for by in 49..52 {
            for bx in 74..77 {
                m[(by * low.width + bx) as usize] = 0;
            }
        }
        m
    };
    let m = measure_all(&s, 4, &Config::default(), &mask);
    assert_eq!(m.glare.pixels, 144);
    assert_eq!(m.glare.spots, 1);
    // The 9 hole blocks become finger pixels again: 240*300 in total.
    assert_eq!(m.exposure.pixels, 240 * 300);
    assert!((m.exposure.clipped_fraction - 144.0 / 72000.0).abs() < 1e-7);

    // The same white patch at the finger's edge (finger on one side only) is background.
    let mut s2 = Scene::filled(640, 480, [30, 90, 40]);
    s2.rect(200, 100, 240, 300, SKIN);
    s2.rect(440, 196, 12, 12, WHITE);
    let m2 = measure_all(&s2, 4, &Config::default(), &|low: &LowRes| {
        block_mask(low, 200, 100, 240, 300)
    });
    assert_eq!(m2.glare.pixels, 0);
}

#[test]
fn partial_edge_blocks_are_read_and_weighted() {
    // 642x362 at factor 4: the last block column is 2 px wide and the last row 2 px high.
    let mut s = Scene::filled(642, 362, SKIN);
    s.rect(640, 360, 2, 2, WHITE); // 4 px in the corner block
    s.rect(641, 100, 1, 30, WHITE); // 30 px along the right edge
    let m = measure_all(&s, 4, &Config::default(), &all_mask);
    assert_eq!(m.exposure.pixels, 642 * 362);
    assert_eq!(m.glare.pixels, 34);
    assert_eq!(m.glare.spots, 2);
}

#[test]
fn empty_or_mismatched_mask_gives_zeros_or_the_whole_frame_not_a_panic() {
    let s = Scene::filled(64, 48, SKIN);
    let m = measure(&s, PixelFormat::Rgb8, 4, &Config::default(), &|_| {
        Vec::new()
    });
    assert_eq!(m.exposure, ExposureStats::default());
    let m = measure(&s, PixelFormat::Rgb8, 4, &Config::default(), &|l| {
        vec![0; l.luma.len()]
    });
    // No finger: the whole frame's brightness, flagged as such; no glare is judged.
    assert!(m.exposure.whole_frame);
    assert_eq!(m.exposure.pixels, 64 * 48);
    assert_eq!(m.glare.pixels, 0);
}

#[test]
fn low_res_from_another_frame_skips_full_resolution_counts() {
    let s = Scene::filled(64, 48, SKIN);
    let other = Scene::filled(128, 96, WHITE);
    let ob = other.encode(PixelFormat::Gray8);
    let of = FrameView::from_bytes(&ob, 128, 96, PixelFormat::Gray8).unwrap();
    let mut low = LowRes::default();
    of.downsample_into(4, &mut low);
    let sb = s.encode(PixelFormat::Gray8);
    let sf = FrameView::from_bytes(&sb, 64, 48, PixelFormat::Gray8).unwrap();
    let (mut e, mut g) = (ExposureStats::default(), GlareStats::default());
    let mask = vec![1; low.luma.len()];
    ExposureAnalyzer::new().measure(&sf, &low, &mask, &Config::default(), &mut e, &mut g);
    assert_eq!(e.mean, 255.0);
    assert_eq!(g.pixels, 0);
}

#[test]
fn region_stats_mean_and_glare_share() {
    // 100 px: 90 at 150, 10 at 245 (glare level min(235, 159.5 + 90) = 235); 5 masked-out 255s.
    let mut luma = vec![150u8; 90];
    luma.extend_from_slice(&[245; 10]);
    luma.extend_from_slice(&[255; 5]);
    let mut mask = vec![1u8; 100];
    mask.extend_from_slice(&[0; 5]);
    let (mean, share) = region_stats(&luma, &mask, &Config::default().glare);
    assert!((mean - 159.5).abs() < 1e-4, "{mean}");
    assert!((share - 0.10).abs() < 1e-6, "{share}");
    assert_eq!(
        region_stats(&luma, &[0; 105], &Config::default().glare),
        (0.0, 0.0)
    );
}

/// A ridge-like pattern: luma `base` +- `amp`, ridges at 30 degrees from vertical with a
/// period of 9 px (in the 7-10 px of real prints at capture distance; not a multiple of the
/// 4-px blocks, so block means average crests and valleys as on real skin).
fn ridged(w: u32, h: u32, base: i32, amp: i32) -> Scene {
    let mut s = Scene::filled(w, h, [0, 0, 0]);
    for y in 0..h {
        for x in 0..w {
            let u = 0.866 * x as f32 + 0.5 * y as f32;
            let v = base as f32 + amp as f32 * (2.0 * std::f32::consts::PI * u / 9.0).sin();
            let v = v.round().clamp(0.0, 255.0) as u8;
            s.rect(x, y, 1, 1, [v, v, v]);
        }
    }
    s
}

#[test]
fn ridge_crests_on_bright_skin_are_not_glare_but_a_spot_there_is() {
    // Mean 195, crests at 237 (above the 235 level): bright skin, no spot. The crests stand
    // about 42 above the skin around them, a white spot about 55: the 45 required lies
    // between. (Above a skin mean of about 200 the two cannot be told apart this way; such
    // fingers are close to too_bright.)
    let s = ridged(640, 360, 195, 42);
    let m = measure_all(&s, 4, &Config::default(), &all_mask);
    assert!(
        (m.exposure.mean - 195.0).abs() <= 1.0,
        "{}",
        m.exposure.mean
    );
    assert_eq!(m.glare.level, 235.0);
    assert_eq!(
        (m.glare.pixels, m.glare.spots),
        (0, 0),
        "crests are not spots"
    );
    // The same skin with a 12x12 white spot (3 x 4 blocks): one spot of its 144 pixels, plus
    // the crest pixels of the ring of blocks taken as its edge (one crest column in every
    // other 4-px-wide block: at most 4 px in each of 18 blocks).
    let mut s2 = s.clone();
    s2.rect(300, 150, 12, 12, WHITE);
    let m2 = measure_all(&s2, 4, &Config::default(), &all_mask);
    assert_eq!(m2.glare.spots, 1);
    assert!(
        (144..=144 + 72).contains(&m2.glare.pixels),
        "{}",
        m2.glare.pixels
    );
}

#[test]
fn an_overexposed_finger_is_not_glare() {
    // Mean 240 with crests clipping at 255: too bright, but no spot stands out.
    let s = ridged(640, 360, 240, 20);
    let m = measure_all(&s, 4, &Config::default(), &all_mask);
    assert_eq!((m.glare.pixels, m.glare.spots), (0, 0));
    // Clipped share exact (every block is interior: the whole frame is finger).
    let luma = s.encode(PixelFormat::Gray8);
    let clipped = luma.iter().filter(|&&v| v >= 250).count() as f32 / luma.len() as f32;
    assert!(clipped > 0.2, "the scene clips: {clipped}");
    assert!(
        (m.exposure.clipped_fraction - clipped).abs() < 1e-6,
        "{} vs {clipped}",
        m.exposure.clipped_fraction
    );
}

#[test]
fn a_patch_larger_than_a_spot_is_not_glare() {
    // One bright patch over more than 20% of the finger is exposure, not a spot.
    let mut s = Scene::filled(480, 480, SKIN);
    s.rect(100, 100, 240, 240, WHITE); // 57600 px = 25% of the finger
    let m = measure_all(&s, 4, &Config::default(), &all_mask);
    assert_eq!(m.glare.pixels, 0);
    // Under the default 20% share it counts.
    let mut s = Scene::filled(480, 480, SKIN);
    s.rect(100, 100, 200, 200, WHITE); // 40000 px = 17%
    let m = measure_all(&s, 4, &Config::default(), &all_mask);
    assert_eq!(m.glare.pixels, 40000);
}

#[test]
fn white_background_in_outline_blocks_is_neither_glare_nor_clipping() {
    // The finger's edge falls inside blocks (x = 202, not a multiple of 4): the outline blocks
    // hold white background pixels, and the mask (any finger pixel) includes them.
    let mut s = Scene::filled(640, 480, WHITE);
    s.rect(202, 101, 237, 298, SKIN);
    let mask = |low: &LowRes| {
        let f = low.factor;
        let mut m = vec![0u8; low.luma.len()];
        for by in 0..low.height {
            for bx in 0..low.width {
                let (x0, y0) = (bx * f, by * f);
                let hit = x0 + f > 202 && x0 < 439 && y0 + f > 101 && y0 < 399;
                m[(by * low.width + bx) as usize] = hit as u8;
            }
        }
        m
    };
    let m = measure_all(&s, 4, &Config::default(), &mask);
    assert_eq!(m.glare.pixels, 0);
    assert_eq!(m.exposure.clipped_fraction, 0.0);
}

/// One generated scene's measurement and its labels.
struct SceneResult {
    seed: u64,
    mean: f32,
    true_mean: f32,
    clipped: f32,
    true_clipped: f32,
    /// Glare reported with the true finger mask, and with that mask minus the spots.
    glare: [bool; 2],
    true_glare: bool,
    near: bool,
}

/// Exposure and glare on generated scenes, given the TRUE finger mask (so the score is this
/// stage's alone, not segmentation's), against the generator's labels; and glare again with
/// the near-white blocks of the spots cut out of the mask, as skin segmentation cuts them out
/// (holes, or notches where a spot meets the outline). Evaluation seeds from 1_000_000 (the
/// thresholds were tuned on seeds 0..499; `FINGERQC_EXPOSURE_FIRST` / `_N` change the range).
#[test]
fn generated_scenes_with_true_finger_mask() {
    use fingerqc::ReasonCode;
    use fingerqc::synth::{MASK_DIGIT, MASK_SPOT};
    let env = |k: &str, d: u64| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(d)
    };
    let (first, n) = (
        env("FINGERQC_EXPOSURE_FIRST", 1_000_000),
        env("FINGERQC_EXPOSURE_N", 200),
    );
    let (w, h) = (1280u32, 720u32);
    let config = Config::default();
    let threads = 2u64;
    let results: Vec<SceneResult> = std::thread::scope(|sc| {
        let hs: Vec<_> = (0..threads)
            .map(|t| {
                let config = &config;
                sc.spawn(move || {
                    let mut out = Vec::new();
                    let mut a = ExposureAnalyzer::new();
                    let mut low = LowRes::default();
                    for seed in (first + t..first + n).step_by(threads as usize) {
                        let s = fingerqc::synth::scene(seed, w, h);
                        let l = &s.labels;
                        if l.finger_pixels == 0 {
                            continue;
                        }
                        let frame = FrameView::from_rgb_image(&s.image).unwrap();
                        let f = fingerqc::segment::work_factor(w, h);
                        frame.downsample_into(f, &mut low);
                        // Per block: extended-digit pixels, and those inside a spot footprint.
                        let mut digit = vec![0u32; low.luma.len()];
                        let mut spot = vec![0u32; low.luma.len()];
                        for (x, y, p) in s.mask.enumerate_pixels() {
                            let b = ((y / f) * low.width + x / f) as usize;
                            digit[b] += (p[0] & MASK_DIGIT != 0) as u32;
                            spot[b] += (p[0] & MASK_DIGIT != 0 && p[0] & MASK_SPOT != 0) as u32;
                        }
                        // A block is finger when most of its pixels are digit pixels.
                        let mask: Vec<u8> = digit.iter().map(|&c| (2 * c > f * f) as u8).collect();
                        // What skin segmentation drops: near-white blocks inside a spot.
                        let level = l.glare_level.ceil() as u8;
                        let cut: Vec<u8> = (0..mask.len())
                            .map(|b| {
                                let white = 2 * spot[b] > f * f && low.luma[b] >= level;
                                (mask[b] != 0 && !white) as u8
                            })
                            .collect();
                        let gc = &config.glare;
                        let mut glare = [false; 2];
                        let (mut e, mut g) = (ExposureStats::default(), GlareStats::default());
                        // The true mask last, so `e` keeps its measurement.
                        for (k, m) in [(1, &cut), (0, &mask)] {
                            a.measure(&frame, &low, m, config, &mut e, &mut g);
                            let min = (gc.min_pixels as f32).max(gc.min_fraction * e.pixels as f32);
                            glare[k] = g.pixels > 0 && g.pixels as f32 >= min;
                        }
                        out.push(SceneResult {
                            seed,
                            mean: e.mean,
                            true_mean: l.finger_mean_luma,
                            clipped: e.clipped_fraction,
                            true_clipped: l.clipped_fraction,
                            glare,
                            true_glare: l.reasons.contains(&ReasonCode::Glare),
                            near: l.near_threshold.contains(&ReasonCode::Glare),
                        });
                    }
                    out
                })
            })
            .collect();
        hs.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    assert!(results.len() as u64 > n / 2, "most scenes show fingers");
    let mut counts = [[0u32; 3]; 2]; // [mask][tp, fp, fn]
    let (mut mean_errors, mut clip_errors) = (Vec::new(), Vec::new());
    for r in &results {
        let seed = r.seed;
        mean_errors.push((r.mean - r.true_mean).abs());
        clip_errors.push((r.clipped - r.true_clipped).abs());
        if r.near {
            continue;
        }
        for (k, name) in ["true mask", "mask without spots"].iter().enumerate() {
            match (r.true_glare, r.glare[k]) {
                (true, true) => counts[k][0] += 1,
                (false, true) => {
                    counts[k][1] += 1;
                    eprintln!("{name}, seed {seed}: glare reported, not labelled");
                }
                (true, false) => {
                    counts[k][2] += 1;
                    eprintln!("{name}, seed {seed}: glare labelled, not reported");
                }
                _ => {}
            }
        }
    }
    let quantile = |v: &mut Vec<f32>, q: f32| {
        v.sort_by(|a, b| a.total_cmp(b));
        v[((v.len() - 1) as f32 * q) as usize]
    };
    let (m95, mmax) = (
        quantile(&mut mean_errors, 0.95),
        quantile(&mut mean_errors, 1.0),
    );
    let (c95, cmax) = (
        quantile(&mut clip_errors, 0.95),
        quantile(&mut clip_errors, 1.0),
    );
    println!(
        "|mean - true mean|: p95 {m95:.2}, max {mmax:.2}; |clipped share error|: p95 {c95:.4}, max {cmax:.4}"
    );
    // Block means over majority-finger blocks vs the exact mean over finger pixels: outline
    // blocks mix in background (or leave out finger). Seeds 0..499 gave p95 1.06, max 4.65.
    assert!(
        m95 <= 1.5 && mmax <= 6.0,
        "mean error p95 {m95}, max {mmax}"
    );
    // Clipped share, counted in interior blocks over all finger blocks (seeds 0..499: p95
    // 0.0012, max 0.033).
    assert!(
        c95 <= 0.005 && cmax <= 0.05,
        "clipped share error p95 {c95}, max {cmax}"
    );
    for (k, name) in ["true mask", "mask without spots"].iter().enumerate() {
        let [tp, fp, fn_] = counts[k];
        let f1 = 2.0 * tp as f32 / (2 * tp + fp + fn_).max(1) as f32;
        println!(
            "glare, {name}, {} scenes: TP {tp} FP {fp} FN {fn_}, F1 {f1:.3}",
            results.len()
        );
        assert!(tp >= 3, "the mix holds glare scenes: {tp}");
        // Floor of the core issue for every reason: F1 >= 0.90.
        assert!(
            f1 >= 0.90,
            "{name}: glare F1 {f1:.3} (TP {tp} FP {fp} FN {fn_})"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]
    /// Against a brute-force count over every full-resolution pixel, with random spots and random
    /// frame sizes (odd ones for packed formats), the whole frame being finger.
    #[test]
    fn matches_brute_force(
        w in 48u32..200, h in 48u32..160, factor in 1u32..7,
        // Up to four roundish spots (sides within a factor 2), each in its own 24-px cell so
        // that they stay apart by more than two blocks, at or above the glare level (235 on
        // this skin): blocks without glare pixels are plain skin, every spot 73+ levels above
        // it. (Thin lines of glare spanning more than three blocks without covering a whole
        // one are outside what the spot rules promise; see `accept_spots`.)
        spots in proptest::collection::vec((0u32..9, 0u32..9, 1u32..9, 0u32..2, 235u8..=255), 0..5),
        fmt in 0usize..7,
    ) {
        let format = PixelFormat::ALL[fmt];
        let (w, h) = if format.is_yuv420() { (w & !1, h & !1) } else { (w, h) };
        let mut s = Scene::filled(w, h, SKIN);
        for (k, &(x, y, side, tall, v)) in spots.iter().enumerate() {
            let (sw, sh) = if tall == 1 { (side, side.div_ceil(2).max(side.min(2))) } else { (side, side) };
            s.rect(24 * (k as u32 % 2) + x, 24 * (k as u32 / 2) + y, sw, sh, [v, v, v]);
        }
        let bytes = s.encode(format);
        let frame = FrameView::from_bytes(&bytes, w, h, format).unwrap();
        let mut low = LowRes::default();
        frame.downsample_into(factor, &mut low);
        let mask = vec![1u8; low.luma.len()];
        let config = Config::default();
        let (mut e, mut g) = (ExposureStats::default(), GlareStats::default());
        ExposureAnalyzer::new().measure(&frame, &low, &mask, &config, &mut e, &mut g);
        // Brute force over the exact luma.
        let luma = s.encode(PixelFormat::Gray8);
        let mean = luma.iter().map(|&v| v as f64).sum::<f64>() / luma.len() as f64;
        // The block-mean estimate is within half a level of the true mean.
        prop_assert!((e.mean as f64 - mean).abs() <= 0.5 + 1e-3, "{} vs {}", e.mean, mean);
        let t = g.level.ceil() as u16;
        let want = luma.iter().filter(|&&v| v as u16 >= t).count() as u64;
        prop_assert_eq!(g.pixels, want);
        let clipped = luma.iter().filter(|&&v| v >= 250).count() as f32 / luma.len() as f32;
        prop_assert!((e.clipped_fraction - clipped).abs() < 1e-6);
        prop_assert_eq!(e.pixels, (w * h) as u64);
    }
}

/// Counts allocations made by the current thread, so other test threads do not interfere.
mod counting {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::cell::Cell;

    thread_local! {
        pub static ALLOCS: Cell<u64> = const { Cell::new(0) };
    }

    pub struct Counting;

    // SAFETY: forwards to the system allocator; only bumps a thread-local counter.
    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, l: Layout) -> *mut u8 {
            ALLOCS.with(|c| c.set(c.get() + 1));
            // SAFETY: same contract as our caller's.
            unsafe { System.alloc(l) }
        }
        unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
            // SAFETY: same contract as our caller's.
            unsafe { System.dealloc(p, l) }
        }
        unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
            ALLOCS.with(|c| c.set(c.get() + 1));
            // SAFETY: same contract as our caller's.
            unsafe { System.realloc(p, l, n) }
        }
    }
}

#[global_allocator]
static GLOBAL: counting::Counting = counting::Counting;

#[test]
fn warm_analyzer_allocates_nothing() {
    let mut s = Scene::filled(640, 480, SKIN);
    s.rect(100, 100, 30, 30, WHITE);
    s.rect(300, 300, 9, 9, SPEC);
    let config = Config::default();
    for format in PixelFormat::ALL {
        let bytes = s.encode(format);
        let frame = FrameView::from_bytes(&bytes, 640, 480, format).unwrap();
        let mut low = LowRes::default();
        frame.downsample_into(4, &mut low);
        let mask = vec![1u8; low.luma.len()];
        let mut a = ExposureAnalyzer::new();
        let (mut e, mut g) = (ExposureStats::default(), GlareStats::default());
        a.measure(&frame, &low, &mask, &config, &mut e, &mut g); // warm-up
        let before = counting::ALLOCS.with(|c| c.get());
        for _ in 0..3 {
            a.measure(&frame, &low, &mask, &config, &mut e, &mut g);
        }
        let after = counting::ALLOCS.with(|c| c.get());
        assert_eq!(after - before, 0, "{format:?} allocated per frame");
        assert_eq!(g.spots, 2);
    }
}
