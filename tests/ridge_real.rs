//! Ridge period, clarity and focus on real images from `../shared/data/real` (skipped with a note
//! when that folder is absent).

use fingerqc::config::Limits;
use fingerqc::frame::Rect;
use fingerqc::ridge::{RidgeAnalyzer, RidgeMeasure};
use std::path::PathBuf;

fn data(rel: &str) -> Option<PathBuf> {
    let p = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data/real")).join(rel);
    if p.exists() {
        Some(p)
    } else {
        eprintln!("note: {} absent, test skipped", p.display());
        None
    }
}

/// Luma of a whole image file.
fn luma(path: &std::path::Path) -> (Vec<u8>, usize, usize) {
    let img = fingerqc::io::load_image(path, &Limits::default()).expect("decodes");
    let view = img.view().expect("view");
    let mut out = Vec::new();
    let r = view.copy_luma(
        Rect {
            x: 0,
            y: 0,
            width: img.width,
            height: img.height,
        },
        &mut out,
    );
    (out, r.width as usize, r.height as usize)
}

/// Contact scanners saturate the valleys by design: nothing counts as clipped there.
fn measure(l: &[u8], w: usize, h: usize) -> RidgeMeasure {
    let mask = vec![1u8; w * h];
    let mut an = RidgeAnalyzer::new();
    an.set_clip_level(255);
    let mut m = RidgeMeasure::default();
    an.measure(l, &mask, w, h, &mut m);
    m
}

#[test]
fn contact_prints_at_500_ppi_have_8_to_11_px_ridges() {
    // FVC2002 DB1 (388x374, 500 ppi): adult ridge periods of 0.43-0.52 mm are 8.5-10.2 px;
    // the acceptance band is 8-11 px.
    for f in ["sourceafis-java/probe.png", "sourceafis-java/matching.png"] {
        let Some(p) = data(f) else { return };
        let (l, w, h) = luma(&p);
        let m = measure(&l, w, h);
        let period = m.period_px.expect("ridges resolved");
        eprintln!(
            "{f}: period {period:.2} px, coherence {:.2}, clarity {:.2}, blocks {}/{}",
            m.coherence, m.clarity, m.blocks, m.blocks_measured
        );
        assert!((8.0..=11.0).contains(&period), "{f}: {period}");
        // Clean optical prints: most measured blocks carry ridges.
        assert!(
            m.blocks * 2 >= m.blocks_measured,
            "{f}: {}/{}",
            m.blocks,
            m.blocks_measured
        );
    }
}

fn blur(l: &[u8], w: usize, h: usize, sigma: f32) -> Vec<u8> {
    let img = image::GrayImage::from_raw(w as u32, h as u32, l.to_vec()).expect("size");
    imageproc::filter::gaussian_blur_f32(&img, sigma).into_raw()
}

/// The fingertip pad of the phone photo (2847x1671, side view): full-resolution crop around
/// the ridges (found by eye in a 25% preview).
fn camera_pad() -> Option<(Vec<u8>, usize, usize)> {
    let p = data("utkarsh-fingerprint-enhancement/3_camera_finger.jpg")?;
    let (l, w, _h) = luma(&p);
    let (x0, y0, cw, ch) = (1500usize, 400usize, 1100usize, 900usize);
    let crop = (y0..y0 + ch)
        .flat_map(|y| l[y * w + x0..y * w + x0 + cw].iter().copied())
        .collect();
    Some((crop, cw, ch))
}

#[test]
fn phone_photo_ridges_are_found() {
    let Some((img, w, h)) = camera_pad() else {
        return;
    };
    let mask = vec![1u8; w * h];
    let mut an = RidgeAnalyzer::new();
    let mut m = RidgeMeasure::default();
    an.measure(&img, &mask, w, h, &mut m);
    eprintln!(
        "phone photo: period {:?}, coherence {:.2}, clarity {:.2}, modulation {:.3}, blocks {}/{}",
        m.period_px, m.coherence, m.clarity, m.modulation, m.blocks, m.blocks_measured
    );
    // The finger is ~1320 px tall in the photo (17.5 mm +-14%): ~1900 ppi, so 0.475 mm ridges
    // are ~36 px; +-25% covers both spreads.
    let period = m.period_px.expect("ridges resolved");
    assert!((27.0..=45.0).contains(&period), "{period}");
}

/// Gaussian-blurred copies of the phone photo (sigma 3 and 6 px, ~0.04 and 0.08 mm at
/// ~1900 ppi) must score clearly lower than the original: the estimated blur grows by at least
/// half the added sigma in quadrature, and the score drops by at least 5 points at each step.
#[test]
fn phone_photo_blurred_copies_score_lower() {
    let Some((img0, w, h)) = camera_pad() else {
        return;
    };
    let mask = vec![1u8; w * h];
    let mut results = Vec::new();
    for s in [0.0f32, 3.0, 6.0] {
        let img = if s > 0.0 {
            blur(&img0, w, h, s)
        } else {
            img0.clone()
        };
        let mut an = RidgeAnalyzer::new();
        let mut m = RidgeMeasure::default();
        an.measure(&img, &mask, w, h, &mut m);
        let mut f = fingerqc::focus::FocusAnalyzer::new();
        let mut fm = fingerqc::focus::FocusMeasure::default();
        let period = m.period_px.expect("ridges resolved");
        f.measure(&img, &mask, w, h, period, &m, 250, &mut fm);
        eprintln!(
            "added sigma {s}: period {period:.1} px, blur {:.2} px, motion {:.2} px, score {:.1}, modulation {:.3}",
            fm.blur_px, fm.motion_px, fm.score, m.modulation
        );
        eprintln!("{fm:?}");
        results.push((s, fm.blur_px, fm.score));
    }
    for pair in results.windows(2) {
        let ((s0, b0, sc0), (s1, b1, sc1)) = (pair[0], pair[1]);
        // sqrt(b0^2 + (s1^2 - s0^2)) would be exact; ask for half the added variance.
        let expected = (b0 * b0 + 0.5 * (s1 * s1 - s0 * s0)).sqrt();
        assert!(b1 >= expected, "blur {b0} -> {b1} for sigma {s0} -> {s1}");
        assert!(
            sc1 <= sc0 - 5.0,
            "score {sc0} -> {sc1} for sigma {s0} -> {s1}"
        );
    }
}

/// Cost per fingertip: `cargo test --test ridge_real -- --ignored --nocapture timing`.
#[test]
#[ignore]
fn timing() {
    let Some(p) = data("sourceafis-java/wsq-converted.png") else {
        return;
    };
    let (l, w, _h) = luma(&p);
    let mut an = RidgeAnalyzer::new();
    an.set_clip_level(255);
    let mut m = RidgeMeasure::default();
    let mut f = fingerqc::focus::FocusAnalyzer::new();
    let mut fm = fingerqc::focus::FocusMeasure::default();
    for (cw, ch) in [(240usize, 310usize), (340, 440), (480, 620), (760, 760)]
        .into_iter()
        .rev()
    {
        let sub: Vec<u8> = (0..ch)
            .flat_map(|y| l[y * w..y * w + cw].to_vec())
            .collect();
        let mask = vec![1u8; cw * ch];
        // Worst case: ridges everywhere (a concentric field of 9.5 px, 500 ppi-like).
        let sub: Vec<u8> = if std::env::var("FQ_TIMING_REAL").is_ok() {
            sub
        } else {
            (0..cw * ch)
                .map(|i| {
                    let (x, y) = ((i % cw) as f32 - 0.5 * cw as f32, (i / cw) as f32);
                    (120.0 + 30.0 * ((x * x + y * y).sqrt() / 9.5 * std::f32::consts::TAU).cos())
                        as u8
                })
                .collect()
        };
        an.measure(&sub, &mask, cw, ch, &mut m);
        // The machine is shared: the fastest of many runs is the cost without interference.
        let mut best = u128::MAX;
        let reps: usize = std::env::var("FQ_TIMING_REPS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(200);
        for _ in 0..reps {
            let t = std::time::Instant::now();
            an.measure(&sub, &mask, cw, ch, &mut m);
            f.measure(&sub, &mask, cw, ch, 9.0, &m, 255, &mut fm);
            best = best.min(t.elapsed().as_nanos());
        }
        eprintln!(
            "{cw}x{ch}: {:.0} us per fingertip (fastest of 200), blocks {}",
            best as f64 / 1000.0,
            m.blocks_measured
        );
    }
}

/// The whole phone photo through the analyzer: one fingertip filling the frame, far too close
/// for a four-finger capture, too large for the finder to trace. The ridges read across the
/// frame's centre must say so, at a resolution the finger's size agrees with.
#[test]
fn phone_photo_of_one_fingertip_is_too_close() {
    let Some(p) = data("utkarsh-fingerprint-enhancement/3_camera_finger.jpg") else {
        return;
    };
    let img = fingerqc::io::load_image(&p, &Limits::default()).expect("decodes");
    let view = img.view().expect("view");
    let mut analyzer = fingerqc::Analyzer::new(fingerqc::Config::default()).expect("config");
    let report = analyzer.analyze(&view).expect("analysis");
    let codes: Vec<_> = report.reasons.iter().map(|r| r.code).collect();
    eprintln!("phone photo: {codes:?}, ppi {:?}", report.ppi);
    assert!(codes.contains(&fingerqc::ReasonCode::TooClose), "{codes:?}");
    assert!(!codes.contains(&fingerqc::ReasonCode::NoHand), "{codes:?}");
    // The finger is ~1320 px across: 1680-2240 ppi for a 15-20 mm fingertip, and the ridge
    // ruler's person-to-person spread (+-10%) widens that to 1510-2460.
    let ppi = report.estimated_ppi.expect("a resolution");
    let (lo, hi) = (1320.0 * 25.4 / 20.0 * 0.9, 1320.0 * 25.4 / 15.0 * 1.1);
    assert!((lo..=hi).contains(&ppi), "{ppi} outside {lo}-{hi}");
}
