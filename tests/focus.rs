//! Blur estimates against ground truth: synthetic fingertip patches with known ridge period,
//! Gaussian blur, motion, noise, contrast and JPEG.

use fingerqc::focus::{FocusAnalyzer, FocusMeasure};
use fingerqc::ridge::{RidgeAnalyzer, RidgeMeasure};
use std::f32::consts::PI;

/// A small deterministic generator (SplitMix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn uniform(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * ((self.next() >> 40) as f32 / (1u64 << 24) as f32)
    }
    fn gauss(&mut self) -> f32 {
        let u1 = self.uniform(1e-6, 1.0);
        let u2 = self.uniform(0.0, 1.0);
        (-2.0 * u1.ln()).sqrt() * (2.0 * PI * u2).cos()
    }
}

/// What a patch is made of.
#[derive(Clone, Debug)]
struct Patch {
    ppi: f32,
    period_mm: f32,
    blur_mm: f32,
    motion_mm: f32,
    motion_rad: f32,
    /// Mean skin luma.
    level: f32,
    /// Ridge amplitude over skin luma on a sharp finger.
    modulation: f32,
    /// 0 = sinusoidal ridges; 1 = flat-topped ridges with narrow valleys (harmonics).
    shape: f32,
    noise: f32,
    jpeg: Option<u8>,
    seed: u64,
}

impl Patch {
    fn period_px(&self) -> f32 {
        self.period_mm * self.ppi / 25.4
    }
}

/// Separable Gaussian blur of an f32 image (clamped borders).
fn gaussian(img: &mut [f32], w: usize, h: usize, sigma: f32) {
    if sigma < 0.05 {
        return;
    }
    let r = (3.5 * sigma).ceil() as isize;
    let k: Vec<f32> = (-r..=r)
        .map(|i| (-(i * i) as f32 / (2.0 * sigma * sigma)).exp())
        .collect();
    let s: f32 = k.iter().sum();
    let k: Vec<f32> = k.iter().map(|v| v / s).collect();
    let mut tmp = vec![0f32; w * h];
    for y in 0..h {
        for x in 0..w {
            let mut acc = 0.0;
            for (j, kv) in k.iter().enumerate() {
                let xx = (x as isize + j as isize - r).clamp(0, w as isize - 1) as usize;
                acc += kv * img[y * w + xx];
            }
            tmp[y * w + x] = acc;
        }
    }
    for y in 0..h {
        for x in 0..w {
            let mut acc = 0.0;
            for (j, kv) in k.iter().enumerate() {
                let yy = (y as isize + j as isize - r).clamp(0, h as isize - 1) as usize;
                acc += kv * tmp[yy * w + x];
            }
            img[y * w + x] = acc;
        }
    }
}

/// Motion blur: the mean of the image shifted along a line of `len` pixels (bilinear).
fn motion(img: &mut [f32], w: usize, h: usize, len: f32, angle: f32) {
    if len < 0.3 {
        return;
    }
    let n = (len * 2.0).ceil() as usize + 1;
    let (s, c) = angle.sin_cos();
    let src = img.to_vec();
    let at = |x: f32, y: f32| -> f32 {
        let x = x.clamp(0.0, (w - 1) as f32);
        let y = y.clamp(0.0, (h - 1) as f32);
        let (x0, y0) = (x.floor() as usize, y.floor() as usize);
        let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
        let (fx, fy) = (x - x0 as f32, y - y0 as f32);
        let top = src[y0 * w + x0] * (1.0 - fx) + src[y0 * w + x1] * fx;
        let bot = src[y1 * w + x0] * (1.0 - fx) + src[y1 * w + x1] * fx;
        top * (1.0 - fy) + bot * fy
    };
    for y in 0..h {
        for x in 0..w {
            let mut acc = 0.0;
            for i in 0..n {
                let t = (i as f32 / (n - 1) as f32 - 0.5) * len;
                acc += at(x as f32 + t * c, y as f32 + t * s);
            }
            img[y * w + x] = acc / n as f32;
        }
    }
}

/// Renders a fingertip's focus region (the print box grown by a fifth of the finger width on
/// every side: 1.4 finger widths wide, 1.3 tall) with a loop-like ridge
/// field, its finger mask, and the true ridge period in pixels.
fn render(p: &Patch) -> (Vec<u8>, Vec<u8>, usize, usize) {
    let mut rng = Rng(p.seed);
    let per_mm = p.ppi / 25.4;
    // The region the analyzer gives the focus stage: the print box (one finger width, 17.5 mm,
    // wide) grown by a fifth of the width on every side.
    let finger = 17.5 * per_mm;
    let w = (1.4 * finger) as usize;
    let h = (1.3 * finger) as usize;
    let period = p.period_px();
    let (cx, cy) = (
        w as f32 * rng.uniform(0.35, 0.65),
        h as f32 * rng.uniform(0.45, 0.7),
    );
    let half = 0.5 * finger;
    let tip = 0.2 * finger;
    let bg = rng.uniform(20.0, 90.0);
    let warp = rng.uniform(0.0, 0.3);
    let ambient = rng.uniform(0.35, 0.6);
    let mut img = vec![0f32; w * h];
    let mut mask = vec![0u8; w * h];
    for y in 0..h {
        for x in 0..w {
            let dx = x as f32 - 0.5 * w as f32;
            // Finger outline: straight sides, a round tip.
            let top = tip + half - (half * half - dx * dx).max(0.0).sqrt();
            let inside = dx.abs() < half && (y as f32) > top;
            if !inside {
                img[y * w + x] = bg;
                continue;
            }
            // Ridges live on the skin: across the finger, surface distance is
            // half * asin(dx / half), so they crowd towards the silhouette as on a real finger.
            let a = half * (dx / half).clamp(-1.0, 1.0).asin();
            let (ex, ey) = (a + 0.5 * w as f32 - cx, y as f32 - cy);
            let r = (ex * ex + ey * ey).sqrt();
            let phase = r / period + warp * (ex / w as f32 * 3.0).sin();
            let c = (2.0 * PI * phase).cos();
            // Flat-topped profile: sign(c) |c|^(1 - 0.7 shape), renormalised to unit amplitude.
            let prof = c.signum() * c.abs().powf(1.0 - 0.7 * p.shape);
            // Ambient plus wrapped diffuse light: the silhouette stays at about half the
            // brightness of the pad, a step against the background.
            let nz = (1.0 - (dx / half).powi(2)).max(0.0).sqrt();
            let shade = ambient + (1.0 - ambient) * (nz + 0.35) / 1.35;
            img[y * w + x] = p.level * shade * (1.0 + p.modulation * prof);
            // The low-resolution mask: a little inside the outline.
            let m = dx.abs() < half - 0.03 * finger && (y as f32) > top + 0.03 * finger;
            mask[y * w + x] = m as u8;
        }
    }
    gaussian(&mut img, w, h, p.blur_mm * per_mm);
    motion(&mut img, w, h, p.motion_mm * per_mm, p.motion_rad);
    let mut out: Vec<u8> = img
        .iter()
        .map(|&v| (v + p.noise * rng.gauss()).round().clamp(0.0, 255.0) as u8)
        .collect();
    if let Some(q) = p.jpeg {
        let mut buf = Vec::new();
        let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut buf, q);
        image::ImageEncoder::write_image(
            enc,
            &out,
            w as u32,
            h as u32,
            image::ExtendedColorType::L8,
        )
        .expect("jpeg encodes");
        out = image::load_from_memory(&buf)
            .expect("jpeg decodes")
            .to_luma8()
            .into_raw();
    }
    (out, mask, w, h)
}

/// Runs the ridge and focus stages on a patch; returns (period px, focus).
fn analyse(p: &Patch) -> (RidgeMeasure, FocusMeasure) {
    let (img, mask, w, h) = render(p);
    let mut ra = RidgeAnalyzer::new();
    let mut rm = RidgeMeasure::default();
    ra.measure(&img, &mask, w, h, &mut rm);
    let mut fa = FocusAnalyzer::new();
    let mut fm = FocusMeasure::default();
    let period = rm.period_px.unwrap_or(p.period_px());
    fa.measure(&img, &mask, w, h, period, &rm, 250, &mut fm);
    (rm, fm)
}

fn random_patch(rng: &mut Rng, seed: u64) -> Patch {
    let blurry = rng.uniform(0.0, 1.0) < 0.5;
    Patch {
        ppi: rng.uniform(330.0, 750.0),
        period_mm: rng.uniform(0.43, 0.52),
        blur_mm: if blurry {
            rng.uniform(0.0, 0.25)
        } else {
            rng.uniform(0.0, 0.08)
        },
        motion_mm: if rng.uniform(0.0, 1.0) < 0.3 {
            rng.uniform(0.0, 0.8)
        } else {
            0.0
        },
        motion_rad: rng.uniform(-PI / 2.0, PI / 2.0),
        level: rng.uniform(60.0, 200.0),
        modulation: rng.uniform(0.1, 0.3),
        shape: rng.uniform(0.0, 1.0),
        noise: rng.uniform(1.0, 6.0),
        jpeg: if rng.uniform(0.0, 1.0) < 0.5 {
            Some(rng.uniform(60.0, 95.0) as u8)
        } else {
            None
        },
        seed,
    }
}

/// Too blurry by the default definition (0.125 mm Gaussian sigma, or 0.4 mm motion).
fn blurry_mm(blur_mm: f32, motion_mm: f32) -> bool {
    blur_mm >= 0.125 || motion_mm >= 0.4
}

/// Estimated blur and motion in mm at the patch's true ppi.
fn estimate_mm(p: &Patch) -> (f32, f32, RidgeMeasure, FocusMeasure) {
    let (rm, fm) = analyse(p);
    let per_mm = p.ppi / 25.4;
    (fm.blur_px / per_mm, fm.motion_px / per_mm, rm, fm)
}

#[test]
fn ridge_period_is_within_3_percent_on_resolvable_patches() {
    let mut rng = Rng(11);
    let mut worst = 0f32;
    for i in 0..24 {
        let mut p = random_patch(&mut rng, 100 + i);
        // Sharp to mildly blurred: ridges resolvable.
        p.blur_mm = rng.uniform(0.0, 0.08);
        p.motion_mm = 0.0;
        let (rm, _) = analyse(&p);
        let got = rm.period_px.expect("resolved");
        let err = (got - p.period_px()).abs() / p.period_px();
        worst = worst.max(err);
        // The ridge field is concentric circles: the local period is exact.
        assert!(err < 0.03, "{p:?}: {got} vs {}", p.period_px());
    }
    eprintln!("worst period error {:.1}%", 100.0 * worst);
}

/// Gaussian blur verdicts against truth, outside a +-20% band around the threshold, over
/// 330-750 ppi, dark and light skin, sinusoidal and flat-topped ridges, modulation 0.1-0.3,
/// noise 1-6 levels, JPEG 60-95 on half: at least 90% right.
#[test]
fn gaussian_blur_verdict_holds_across_distance_contrast_noise_and_jpeg() {
    let mut rng = Rng(2024);
    let (mut right, mut total) = (0, 0);
    for i in 0..60 {
        let mut p = random_patch(&mut rng, 1000 + i);
        p.motion_mm = 0.0;
        p.blur_mm = if i % 2 == 0 {
            rng.uniform(0.0, 0.1)
        } else {
            rng.uniform(0.15, 0.3)
        };
        let (est, _, _, fm) = estimate_mm(&p);
        total += 1;
        if blurry_mm(est, 0.0) == blurry_mm(p.blur_mm, 0.0) {
            right += 1;
        } else {
            eprintln!(
                "  wrong: truth {:.3} est {:.3} (edge {:?} pts {}) ppi {:.0} mod {:.2} noise {:.1} jpeg {:?}",
                p.blur_mm,
                est,
                fm.edge_blur_px.map(|e| e * 25.4 / p.ppi),
                fm.edge_points,
                p.ppi,
                p.modulation,
                p.noise,
                p.jpeg
            );
        }
    }
    eprintln!("gaussian verdicts {right}/{total}");
    assert!(right * 10 >= total * 9, "{right}/{total}");
}

/// Near the threshold (0.09-0.17 mm) the estimate is calibrated: median ratio to the truth
/// within 0.85-1.15, and 80% of patches within +-30%.
#[test]
fn blur_estimate_is_calibrated_near_the_threshold() {
    let mut rng = Rng(99);
    let mut ratios = Vec::new();
    for i in 0..40 {
        let mut p = random_patch(&mut rng, 3000 + i);
        p.motion_mm = 0.0;
        p.blur_mm = rng.uniform(0.09, 0.17);
        let (est, _, _, _) = estimate_mm(&p);
        ratios.push(est / p.blur_mm);
    }
    ratios.sort_by(f32::total_cmp);
    let median = ratios[ratios.len() / 2];
    let within = ratios.iter().filter(|r| (**r - 1.0).abs() <= 0.3).count();
    eprintln!(
        "near-threshold est/truth: median {median:.3}, 10-90% {:.2}-{:.2}, within 30%: {within}/{}",
        ratios[ratios.len() / 10],
        ratios[ratios.len() * 9 / 10],
        ratios.len()
    );
    assert!((0.85..=1.15).contains(&median), "{median}");
    assert!(within * 10 >= ratios.len() * 8, "{within}");
}

/// Motion verdicts against truth (no motion or up to 0.3 mm, against 0.5-0.8 mm), with mild
/// Gaussian blur: at least 85% right.
#[test]
fn motion_verdict_holds() {
    let mut rng = Rng(77);
    let (mut right, mut total) = (0, 0);
    for i in 0..40 {
        let mut p = random_patch(&mut rng, 5000 + i);
        p.blur_mm = rng.uniform(0.0, 0.06);
        p.motion_mm = if i % 2 == 0 {
            rng.uniform(0.0, 0.3)
        } else {
            rng.uniform(0.5, 0.8)
        };
        let (est_b, est_m, _, _) = estimate_mm(&p);
        let truth = blurry_mm(p.blur_mm, p.motion_mm);
        let got = blurry_mm(est_b, est_m);
        total += 1;
        if truth == got {
            right += 1;
        } else {
            eprintln!(
                "  wrong: motion {:.2} est {:.2}, blur {:.3} est {:.3}, ppi {:.0}",
                p.motion_mm, est_m, p.blur_mm, est_b, p.ppi
            );
        }
    }
    eprintln!("motion verdicts {right}/{total}");
    assert!(right * 100 >= total * 85, "{right}/{total}");
}

/// The same finger at a third of the ridge contrast (dirty, dry, flat light) keeps its focus
/// verdict: blur is read from the silhouette, not from the ridges' contrast. Its clarity drops.
#[test]
fn low_ridge_contrast_is_not_blur() {
    let mut rng = Rng(5);
    let mut flips = 0;
    for i in 0..12 {
        let mut p = random_patch(&mut rng, 9000 + i);
        p.motion_mm = 0.0;
        p.blur_mm = if i % 2 == 0 { 0.04 } else { 0.2 };
        p.modulation = 0.25;
        let (hi, _, _, _) = estimate_mm(&p);
        p.modulation = 0.25 / 3.0;
        let (lo, _, _, _) = estimate_mm(&p);
        if blurry_mm(hi, 0.0) != blurry_mm(lo, 0.0) {
            flips += 1;
            eprintln!("  flip: truth {:.2}: {hi:.3} vs {lo:.3}", p.blur_mm);
        }
    }
    // At most one patch in twelve changes verdict with contrast.
    assert!(flips <= 1, "{flips}");
}

/// Exploration table: `cargo test --test focus -- --ignored --nocapture explore`.
#[test]
#[ignore]
fn explore() {
    let mut rng = Rng(7);
    for i in 0..40 {
        let p = random_patch(&mut rng, i);
        let (rm, fm) = analyse(&p);
        let per_mm = p.ppi / 25.4;
        eprintln!(
            "ppi {:3.0} p {:5.2}/{:5.2} blur {:.3} est {:.3} edge {:.3} ({}) ridge {:.3} | motion {:.2} est {:.2} | mod {:.2}->{:.3} shape {:.1} noise {:.1} jpeg {:?} | clar {:.2} coh {:.2} blocks {}/{} score {:.0}",
            p.ppi,
            p.period_px(),
            rm.period_px.unwrap_or(0.0),
            p.blur_mm,
            fm.blur_px / per_mm,
            fm.edge_blur_px.unwrap_or(-1.0) / per_mm,
            fm.edge_points,
            fm.ridge_blur_px / per_mm,
            p.motion_mm,
            fm.motion_px / per_mm,
            p.modulation,
            rm.modulation,
            p.shape,
            p.noise,
            p.jpeg,
            rm.clarity,
            rm.coherence,
            rm.blocks,
            rm.blocks_measured,
            fm.score
        );
    }
}

#[test]
#[ignore]
fn debug_one() {
    let p = Patch {
        ppi: 519.0,
        period_mm: 0.46,
        blur_mm: 0.129,
        motion_mm: 0.0,
        motion_rad: 0.5,
        level: 120.0,
        modulation: 0.12,
        shape: 0.6,
        noise: 1.8,
        jpeg: Some(63),
        seed: 5,
    };
    // FQ_PATCH=i: the i-th patch of `explore` instead.
    let p = match std::env::var("FQ_PATCH")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        Some(i) => {
            let mut rng = Rng(7);
            let mut q = random_patch(&mut rng, 0);
            for j in 1..=i {
                q = random_patch(&mut rng, j);
            }
            q
        }
        None => p,
    };
    eprintln!("{p:?}");
    let (rm, fm) = analyse(&p);
    eprintln!("{fm:?} period {:?} true {}", rm.period_px, p.period_px());
    for b in &rm.detail {
        eprintln!(
            "  ({:4.0},{:4.0}) th {:6.1} coh {:.2} mod@p {:.3} own {:.3} n {:.3} valid {}",
            b.x,
            b.y,
            b.normal_rad.to_degrees(),
            b.coherence,
            b.amplitude_at_period / b.mean,
            b.amplitude / b.mean,
            b.noise_amplitude / b.mean,
            b.valid
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Generated scenes (fingerqc::synth), measured through the label print boxes so that the result
// does not depend on segmentation.

use fingerqc::ReasonCode;
use fingerqc::config::Config;
use fingerqc::synth::{self, MASK_DIGIT};

/// What the ridge, distance and focus stages say about one scene.
struct SceneResult {
    seed: u64,
    has_hand: bool,
    true_ppi: f32,
    ppi: Option<f32>,
    source: fingerqc::report::PpiSource,
    blur_mm: Option<f32>,
    motion_mm: Option<f32>,
    truth_blurry: bool,
    near: bool,
    true_blur_mm: f32,
    true_motion_mm: f32,
    contrast: f32,
    periods: Vec<(f32, Option<f32>)>,
    edge_pts: Vec<u32>,
    modulation: f32,
}

/// The median as the analyzer takes it over fingers (mean of the middle two for an even count).
fn median(v: &mut [f32]) -> Option<f32> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f32::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    })
}

/// Measures a scene's counted fingers inside their label print boxes, with a finger mask as
/// coarse as the analyzer's (the per-pixel truth reduced to work-factor cells, majority vote).
fn measure_scene(seed: u64, w: u32, h: u32) -> SceneResult {
    let scene = synth::scene(seed, w, h);
    let l = &scene.labels;
    let frame = fingerqc::FrameView::from_rgb_image(&scene.image).expect("frame");
    let config = Config::default();
    let f = fingerqc::segment::work_factor(w, h) as usize;
    let (mw, mh) = ((w as usize).div_ceil(f), (h as usize).div_ceil(f));
    let mut low = vec![0u8; mw * mh];
    for (i, v) in low.iter_mut().enumerate() {
        let (cx, cy) = (i % mw, i / mw);
        let (mut on, mut all) = (0, 0);
        for y in cy * f..((cy + 1) * f).min(h as usize) {
            for x in cx * f..((cx + 1) * f).min(w as usize) {
                all += 1;
                on += (scene.mask.get_pixel(x as u32, y as u32)[0] & MASK_DIGIT != 0) as u32;
            }
        }
        *v = (2 * on >= all) as u8;
    }
    let mut ra = RidgeAnalyzer::new();
    let mut fa = FocusAnalyzer::new();
    let mut roi = Vec::new();
    let dump = std::env::var("FQ_DUMP").is_ok();
    let mut measures = Vec::new();
    let (mut periods, mut widths) = (Vec::new(), Vec::new());
    let mut out_periods = Vec::new();
    for fl in l.fingers.iter().filter(|f| f.counted) {
        let r = frame.copy_luma(fl.print_box, &mut roi);
        let (rw, rh) = (r.width as usize, r.height as usize);
        let mut mask = vec![0u8; rw * rh];
        for y in 0..rh {
            for x in 0..rw {
                let (gx, gy) = ((r.x as usize + x) / f, (r.y as usize + y) / f);
                mask[y * rw + x] = low[gy.min(mh - 1) * mw + gx.min(mw - 1)];
            }
        }
        let mut rm = RidgeMeasure::default();
        ra.set_finger_axis(Some(fl.direction));
        ra.measure(&roi, &mask, rw, rh, &mut rm);
        if let Some(p) = rm.period_px {
            periods.push(p);
        }
        out_periods.push((l.ridge_period_px, rm.period_px));
        widths.push(fl.width_px);
        measures.push((roi.clone(), mask, rw, rh, rm));
    }
    let est = fingerqc::distance::estimate(&periods, &widths, w, h, &config);
    let mut blur = Vec::new();
    let mut motion = Vec::new();
    let mut edge_pts = Vec::new();
    if let Some(ppi) = est.ppi {
        let expected = ppi / 25.4 * config.ridge.period_mm;
        for (fl, (_, _, _, _, rm)) in l.fingers.iter().filter(|f| f.counted).zip(&measures) {
            // As the analyzer does: the print box grown to hold the silhouette.
            let r = frame.copy_luma(
                fingerqc::focus::focus_rect(fl.print_box, fl.width_px),
                &mut roi,
            );
            let (rw, rh) = (r.width as usize, r.height as usize);
            let mut mask = vec![0u8; rw * rh];
            for y in 0..rh {
                for x in 0..rw {
                    let (gx, gy) = ((r.x as usize + x) / f, (r.y as usize + y) / f);
                    mask[y * rw + x] = low[gy.min(mh - 1) * mw + gx.min(mw - 1)];
                }
            }
            let mut fm = FocusMeasure::default();
            let period = rm.period_px.unwrap_or(expected);
            if dump {
                let img = image::GrayImage::from_raw(
                    rw as u32,
                    rh as u32,
                    roi.iter()
                        .zip(&mask)
                        .map(|(&v, &m)| if m != 0 { v } else { v / 2 })
                        .collect(),
                )
                .expect("img");
                img.save(format!("/tmp/ridge/roi_{seed}_{:?}.png", fl.name))
                    .expect("save");
                eprintln!("== {:?} rect {rw}x{rh} period {period}", fl.name);
            }
            fa.measure(&roi, &mask, rw, rh, period, rm, 250, &mut fm);
            // As the analyzer does: fingertips too dark to judge do not vote.
            if fm.judged {
                blur.push(fm.blur_px * 25.4 / ppi);
                motion.push(fm.motion_px * 25.4 / ppi);
            }
            edge_pts.push(fm.edge_points);
        }
    }
    SceneResult {
        seed,
        has_hand: l.hand_present && l.finger_count > 0,
        true_ppi: l.ppi,
        ppi: est.ppi,
        source: est.source,
        blur_mm: median(&mut blur),
        motion_mm: median(&mut motion),
        truth_blurry: l.reasons.contains(&ReasonCode::TooBlurry),
        near: l.near_threshold.contains(&ReasonCode::TooBlurry),
        true_blur_mm: l.blur_sigma_mm,
        true_motion_mm: l.motion_mm,
        contrast: l.ridge_contrast,
        periods: out_periods,
        edge_pts,
        modulation: median(&mut measures.iter().map(|m| m.4.modulation).collect::<Vec<_>>())
            .unwrap_or(0.0),
    }
}

/// Runs `n` scenes from `first` on up to 4 threads.
fn run_scenes(first: u64, n: u64, w: u32, h: u32) -> Vec<SceneResult> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(4) as u64;
    let mut all: Vec<(u64, SceneResult)> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..threads)
            .map(|t| {
                s.spawn(move || {
                    (t..n)
                        .step_by(threads as usize)
                        .map(|i| (i, measure_scene(first + i, w, h)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        hs.into_iter()
            .flat_map(|h| h.join().expect("worker"))
            .collect()
    });
    all.sort_by_key(|(i, _)| *i);
    all.into_iter().map(|(_, r)| r).collect()
}

/// (ppi within 10% share over frames with a hand, too_blurry F1 excluding near-threshold
/// frames, counts) for printed summaries and assertions.
fn summarise(results: &[SceneResult], verbose: bool) -> (f32, f32) {
    let (mut hand, mut ppi_ok) = (0, 0);
    let (mut tp, mut fp, mut fneg) = (0, 0, 0);
    for r in results {
        if !r.has_hand {
            continue;
        }
        hand += 1;
        let ok = r
            .ppi
            .is_some_and(|p| (p - r.true_ppi).abs() <= 0.1 * r.true_ppi);
        ppi_ok += ok as u32;
        let said = r.blur_mm.is_some_and(|b| b >= 0.125) || r.motion_mm.is_some_and(|m| m >= 0.4);
        if !r.near {
            match (r.truth_blurry, said) {
                (true, true) => tp += 1,
                (false, true) => fp += 1,
                (true, false) => fneg += 1,
                _ => {}
            }
        }
        if verbose && (!ok || (!r.near && said != r.truth_blurry)) {
            eprintln!(
                "  seed {} ppi {:.0} est {:?} ({:?}) | blur {:.3} est {:?} motion {:.2} est {:?} truth {} near {} contrast {:.2} periods {:?} edges {:?}",
                r.seed,
                r.true_ppi,
                r.ppi.map(|p| p.round()),
                r.source,
                r.true_blur_mm,
                r.blur_mm,
                r.true_motion_mm,
                r.motion_mm,
                r.truth_blurry,
                r.near,
                r.contrast,
                r.periods,
                r.edge_pts
            );
        }
    }
    let ppi_share = ppi_ok as f32 / hand.max(1) as f32;
    let f1 = 2.0 * tp as f32 / (2 * tp + fp + fneg).max(1) as f32;
    eprintln!(
        "frames with a hand {hand}: ppi within 10% {ppi_ok} ({:.3}); too_blurry tp {tp} fp {fp} fn {fneg} F1 {f1:.3}",
        ppi_share
    );
    (ppi_share, f1)
}

/// Tuning view over seeds 0..N: `FQ_N=200 cargo test --test focus -- --ignored --nocapture synth_tune`.
#[test]
#[ignore]
fn synth_tune() {
    let n = std::env::var("FQ_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let first = std::env::var("FQ_FIRST")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    assert!(first + n <= 1000, "tuning seeds are 0-999");
    let r = run_scenes(first, n, 1280, 720);
    summarise(&r, true);
    if std::env::var("FQ_MOD").is_ok() {
        for x in &r {
            if x.has_hand {
                eprintln!(
                    "MOD {:.4} blur {:.3} motion {:.2} contrast {:.2}",
                    x.modulation, x.true_blur_mm, x.true_motion_mm, x.contrast
                );
            }
        }
    }
}

#[test]
#[ignore]
fn synth_one() {
    let seed: u64 = std::env::var("FQ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let r = measure_scene(seed, 1280, 720);
    summarise(&[r], true);
}

#[test]
#[ignore]
fn synth_dump() {
    let seed: u64 = std::env::var("FQ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let scene = synth::scene(seed, 1280, 720);
    let mut img = scene.image.clone();
    for f in &scene.labels.fingers {
        let b = f.print_box;
        for x in b.x..b.x + b.width {
            for y in [b.y, b.y + b.height.saturating_sub(1)] {
                if x < img.width() && y < img.height() {
                    img.put_pixel(x, y, image::Rgb([255, 0, 0]));
                }
            }
        }
        for y in b.y..b.y + b.height {
            for x in [b.x, b.x + b.width.saturating_sub(1)] {
                if x < img.width() && y < img.height() {
                    img.put_pixel(x, y, image::Rgb([255, 0, 0]));
                }
            }
        }
        eprintln!("{:?} box {:?} width_px {}", f.name, f.print_box, f.width_px);
    }
    img.save("/tmp/ridge/synth.png").expect("save");
    eprintln!("{:?}", scene.labels.ppi);
}

#[test]
#[ignore]
fn synth_ridge_debug() {
    let seed: u64 = std::env::var("FQ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(97);
    let scene = synth::scene(seed, 1280, 720);
    let frame = fingerqc::FrameView::from_rgb_image(&scene.image).expect("frame");
    let mut roi = Vec::new();
    eprintln!(
        "labels: ppi {} period {} blur {} motion {} noise {} jpeg {:?} depth {} contrast {}",
        scene.labels.ppi,
        scene.labels.ridge_period_px,
        scene.labels.blur_sigma_mm,
        scene.labels.motion_mm,
        scene.labels.noise_sigma,
        scene.labels.jpeg_quality,
        scene.labels.ridge_depth,
        scene.labels.ridge_contrast
    );
    for fl in scene.labels.fingers.iter().filter(|f| f.counted) {
        let r = frame.copy_luma(fl.print_box, &mut roi);
        let (rw, rh) = (r.width as usize, r.height as usize);
        let mask: Vec<u8> = (0..rw * rh)
            .map(|i| {
                (scene
                    .mask
                    .get_pixel(r.x + (i % rw) as u32, r.y + (i / rw) as u32)[0]
                    & MASK_DIGIT
                    != 0) as u8
            })
            .collect();
        let mut ra = RidgeAnalyzer::new();
        ra.set_finger_axis(Some(fl.direction));
        let mut rm = RidgeMeasure::default();
        ra.measure(&roi, &mask, rw, rh, &mut rm);
        eprintln!(
            "{:?} {rw}x{rh} period {:?} blocks {}/{} spread {:.3} B {} k {}",
            fl.name,
            rm.period_px,
            rm.blocks,
            rm.blocks_measured,
            rm.period_spread,
            rm.block_px,
            rm.scale
        );
        for b in &rm.detail {
            eprintln!(
                "   ({:4.0},{:4.0}) th {:6.1} coh {:.2} p {:5.2} fs {:.2} mod {:.3} pf {:.2} valid {}",
                b.x,
                b.y,
                b.normal_rad.to_degrees(),
                b.coherence,
                b.period_px,
                b.foreshortening,
                b.amplitude / b.mean,
                b.peak_fraction,
                b.valid
            );
        }
        image::GrayImage::from_raw(rw as u32, rh as u32, roi.clone())
            .expect("img")
            .save(format!("/tmp/ridge/rd_{seed}_{:?}.png", fl.name))
            .expect("save");
    }
}

/// Held-out generated scenes (seeds from 1_000_000; tuning used 0-199) at 1280x720, through
/// the label print boxes: the brief's targets are ppi within 10% on >= 90% of frames with a
/// hand and too_blurry F1 >= 0.9 (near-threshold frames excluded). Not yet met (see the
/// report printed): run with `--ignored`. `FQ_N` sets the number of scenes (default 120).
#[test]
#[ignore = "targets not yet met: prints the held-out numbers"]
fn synth_heldout_targets() {
    let n = std::env::var("FQ_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(120);
    let r = run_scenes(1_000_000, n, 1280, 720);
    let (ppi, f1) = summarise(&r, false);
    assert!(ppi >= 0.90, "ppi within 10%: {ppi:.3}");
    assert!(f1 >= 0.90, "too_blurry F1: {f1:.3}");
}

/// Cost per fingertip at 500 ppi (ridges on the print box, focus on the grown region):
/// `cargo test --release --test focus -- --ignored --nocapture timing_per_fingertip`.
#[test]
#[ignore]
fn timing_per_fingertip() {
    for ppi in [350.0f32, 500.0, 700.0] {
        let p = Patch {
            ppi,
            period_mm: 0.475,
            blur_mm: 0.05,
            motion_mm: 0.0,
            motion_rad: 0.0,
            level: 130.0,
            modulation: 0.08,
            shape: 0.0,
            noise: 3.0,
            jpeg: None,
            seed: 1,
        };
        let (img, mask, w, h) = render(&p);
        // The print box: one finger width, centred, from the top of the grown region.
        let m = (w as f32 / 1.4 * 0.2) as usize;
        let (bw, bh) = (w - 2 * m, h - m);
        let sub: Vec<u8> = (m..m + bh)
            .flat_map(|y| img[y * w + m..y * w + m + bw].to_vec())
            .collect();
        let sub_mask: Vec<u8> = (m..m + bh)
            .flat_map(|y| mask[y * w + m..y * w + m + bw].to_vec())
            .collect();
        let mut ra = RidgeAnalyzer::new();
        ra.set_finger_axis(Some([0.0, -1.0]));
        let mut rm = RidgeMeasure::default();
        let mut fa = FocusAnalyzer::new();
        let mut fm = FocusMeasure::default();
        let (mut best_r, mut best_f) = (u128::MAX, u128::MAX);
        for _ in 0..200 {
            let t = std::time::Instant::now();
            ra.measure(&sub, &sub_mask, bw, bh, &mut rm);
            let t1 = t.elapsed().as_nanos();
            let t = std::time::Instant::now();
            fa.measure(
                &img,
                &mask,
                w,
                h,
                rm.period_px.unwrap_or(9.35),
                &rm,
                250,
                &mut fm,
            );
            let t2 = t.elapsed().as_nanos();
            best_r = best_r.min(t1);
            best_f = best_f.min(t2);
        }
        eprintln!(
            "{ppi} ppi: print box {bw}x{bh} ridge {:.0} us ({} blocks), focus region {w}x{h} {:.0} us ({} edge points); fastest of 200",
            best_r as f64 / 1000.0,
            rm.blocks_measured,
            best_f as f64 / 1000.0,
            fm.edge_points
        );
    }
}

/// Held-out 1280x720 scenes from `seeds` whose truth is too_dark or too_bright and, as
/// `blurred` asks, too_blurry or clearly not (never near the too_blurry threshold).
fn badly_lit_scenes(
    seeds: std::ops::Range<u64>,
    blurred: bool,
) -> impl Iterator<Item = (u64, synth::Scene)> {
    let is_light = |c: &ReasonCode| matches!(c, ReasonCode::TooDark | ReasonCode::TooBright);
    seeds.filter_map(move |seed| {
        let spec = synth::random_spec(seed, 1280, 720);
        // The intent first: rendering is the costly part.
        if !spec.intent.iter().any(is_light)
            || spec.intent.contains(&ReasonCode::TooBlurry) != blurred
        {
            return None;
        }
        let scene = synth::render(&spec);
        let l = &scene.labels;
        let keep = l.reasons.iter().any(is_light)
            && l.reasons.contains(&ReasonCode::TooBlurry) == blurred
            && !l.near_threshold.contains(&ReasonCode::TooBlurry);
        keep.then_some((seed, scene))
    })
}

/// In a dark or overexposed frame the light explains missing ridges as well as blur does: where
/// no fingertip shows ridges or a silhouette edge, the analyzer tells the user about the light
/// and does not claim blur. Held-out seeds; sharp scenes (truth not `too_blurry`, not near its
/// threshold) whose truth is `too_dark` or `too_bright`. Measured on 1280x720 seeds
/// 1,000,000-1,000,299: too_blurry on 0 of 38 such frames (5 when this rule landed, before the
/// distance and segmentation changes that followed it); on the tuning seeds 0-799, 10 of 108
/// when it landed, down from 20 when a blur guess counted. Floor: at most 20% of them, and never
/// a blur call that rests on nothing seen beside a reported light problem.
#[test]
fn bad_light_alone_is_not_called_blur() {
    let mut analyzer = fingerqc::Analyzer::new(Config::default()).expect("analyzer");
    let (mut judged, mut blamed) = (0u32, 0u32);
    for (seed, scene) in badly_lit_scenes(1_000_000..1_000_300, false) {
        let frame = fingerqc::FrameView::from_rgb_image(&scene.image).expect("frame");
        let report = analyzer.analyze(&frame).expect("analysis");
        judged += 1;
        let said = |code| report.reasons.iter().any(|r| r.code == code);
        if said(ReasonCode::TooBlurry) {
            blamed += 1;
            assert!(
                report.focus.measured
                    || !(said(ReasonCode::TooDark) || said(ReasonCode::TooBright)),
                "seed {seed}: too_blurry from no ridges and no silhouette beside a light reason"
            );
        }
    }
    println!("too_blurry on {blamed} of {judged} sharp, badly lit frames");
    assert!(judged >= 15, "only {judged} badly lit scenes to judge");
    assert!(
        blamed as f32 <= 0.2 * judged as f32,
        "too_blurry on {blamed} of {judged} sharp, badly lit frames"
    );
}

/// The other side of `bad_light_alone_is_not_called_blur`: a badly lit frame that IS blurred
/// must still be called blurred, or the light rule has gone too far. Held-out 1280x720 seeds
/// 1,000,000-1,000,999 whose truth is too_blurry (not near its threshold) and too_dark or
/// too_bright: the generator makes few (7). Measured: too_blurry on 5 of 7; the two missed have
/// no blur reading at all (no ridges or silhouette in the fingertips found). A rule that
/// believed only contrast-free readings (silhouette, ridge harmonics) in bad light, tried
/// after it removed 4 wrong calls on the tuning seeds, called 1 of these 7 and was dropped.
/// Floor: half of them.
#[test]
fn blur_in_bad_light_is_still_called() {
    let mut analyzer = fingerqc::Analyzer::new(Config::default()).expect("analyzer");
    let (mut judged, mut called) = (0u32, 0u32);
    for (_, scene) in badly_lit_scenes(1_000_000..1_001_000, true) {
        let frame = fingerqc::FrameView::from_rgb_image(&scene.image).expect("frame");
        let report = analyzer.analyze(&frame).expect("analysis");
        judged += 1;
        if report
            .reasons
            .iter()
            .any(|r| r.code == ReasonCode::TooBlurry)
        {
            called += 1;
        }
    }
    println!("too_blurry on {called} of {judged} blurred, badly lit frames");
    assert!(
        judged >= 5,
        "only {judged} blurred, badly lit scenes to judge"
    );
    assert!(
        called as f32 >= 0.5 * judged as f32,
        "too_blurry on only {called} of {judged} blurred, badly lit frames"
    );
}

/// `low_ridge_contrast` against ground truth on held-out generated frames with the light and
/// focus right (truth neither too_dark, too_bright nor too_blurry, and not near the
/// low_ridge_contrast bound): dirty or worn fingertips (truth low_ridge_contrast) must be
/// called, clean ones must not. Clarity alone also falls on clean ridges made faint by dim light
/// or by blur just under the limit; requiring the second best fingertip's modulation under
/// `ridge.min_modulation` as well keeps those. Measured on 1280x720 seeds
/// 1,000,000-1,000,999: 21 of 40 dirty frames called and 4 false calls on 360 clean ones;
/// clarity alone (min_modulation = 1), 21 and 7. Most dirty frames missed by both had a
/// miscount or a far estimate, which withhold the reason. Floors: the modulation condition
/// loses at most one dirty frame against clarity alone and makes fewer false calls than it,
/// and at least 40% of dirty frames are called.
#[test]
fn low_ridge_contrast_follows_dirt_not_dim_or_soft_ridges() {
    let mut with = fingerqc::Analyzer::new(Config::default()).expect("analyzer");
    let mut clarity_only = Config::default();
    clarity_only.ridge.min_modulation = 1.0;
    let mut without = fingerqc::Analyzer::new(clarity_only).expect("analyzer");
    let (mut dirty, mut clean) = (0u32, 0u32);
    let (mut hit, mut hit_without, mut false_calls, mut false_without) = (0, 0, 0, 0);
    for seed in 1_000_000u64..1_001_000 {
        let spec = synth::random_spec(seed, 1280, 720);
        // Only scenes aimed at nothing or at dirty ridges alone need rendering.
        if spec
            .intent
            .iter()
            .any(|c| *c != ReasonCode::LowRidgeContrast)
        {
            continue;
        }
        let scene = synth::render(&spec);
        let l = &scene.labels;
        let excluded = [
            ReasonCode::TooDark,
            ReasonCode::TooBright,
            ReasonCode::TooBlurry,
            ReasonCode::NoHand,
        ];
        if l.reasons.iter().any(|c| excluded.contains(c))
            || l.near_threshold.contains(&ReasonCode::LowRidgeContrast)
        {
            continue;
        }
        let is_dirty = l.reasons.contains(&ReasonCode::LowRidgeContrast);
        let frame = fingerqc::FrameView::from_rgb_image(&scene.image).expect("frame");
        let says = |a: &mut fingerqc::Analyzer| {
            a.analyze(&frame)
                .expect("analysis")
                .reasons
                .iter()
                .any(|r| r.code == ReasonCode::LowRidgeContrast)
        };
        let (a, b) = (says(&mut with), says(&mut without));
        if is_dirty {
            dirty += 1;
            hit += a as u32;
            hit_without += b as u32;
        } else {
            clean += 1;
            false_calls += a as u32;
            false_without += b as u32;
        }
    }
    println!(
        "dirty {hit}/{dirty} called (clarity alone {hit_without}); clean {false_calls}/{clean} \
         called (clarity alone {false_without})"
    );
    assert!(
        dirty >= 15 && clean >= 50,
        "{dirty} dirty, {clean} clean scenes"
    );
    assert!(
        hit + 1 >= hit_without && hit as f32 >= 0.4 * dirty as f32,
        "{hit} of {dirty} dirty frames called, clarity alone {hit_without}"
    );
    assert!(
        false_without >= 3 && false_calls < false_without,
        "{false_calls} false calls, clarity alone {false_without}"
    );
}

/// Silhouette points pooled over the fingertips of a frame read the blur they share, and a new
/// frame forgets the last one's: ridgeless patches (worn or dirty skin, modulation 0) sharp at
/// 0.04 mm and blurred at 0.20 mm Gaussian sigma, three fingertips a frame.
#[test]
fn pooled_silhouettes_read_the_shared_blur() {
    let mut rng = Rng(11);
    let mut fa = FocusAnalyzer::new();
    for (frame, blur_mm) in [0.04f32, 0.20, 0.04].into_iter().enumerate() {
        fa.begin_frame();
        let mut ppi = 0.0;
        for k in 0..3 {
            let mut p = random_patch(&mut rng, 9100 + 10 * frame as u64 + k);
            p.motion_mm = 0.0;
            p.modulation = 0.0;
            p.blur_mm = blur_mm;
            // All three at the first patch's resolution, as the fingers of one frame are.
            if k == 0 {
                ppi = p.ppi;
            }
            p.ppi = ppi;
            let (img, mask, w, h) = render(&p);
            let mut ra = RidgeAnalyzer::new();
            let mut rm = RidgeMeasure::default();
            ra.measure(&img, &mask, w, h, &mut rm);
            let mut fm = FocusMeasure::default();
            fa.measure(&img, &mask, w, h, p.period_px(), &rm, 250, &mut fm);
        }
        let (sigma_px, _) = fa
            .pooled_silhouette_blur()
            .expect("enough silhouette points");
        let read_mm = sigma_px * 25.4 / ppi;
        eprintln!("frame {frame}: truth {blur_mm} mm, pooled {read_mm:.3} mm");
        // The verdict must follow the truth (threshold 0.125 mm), and the reading sit within
        // 0.05 mm of it (the silhouette's shading widens the edge a little).
        assert_eq!(
            read_mm >= 0.125,
            blur_mm >= 0.125,
            "{read_mm} for {blur_mm}"
        );
        assert!((read_mm - blur_mm).abs() <= 0.05, "{read_mm} for {blur_mm}");
    }
}
