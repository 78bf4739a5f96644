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

#[allow(dead_code)]
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
