//! Frame sequences through `fingerqc::Session`: sizes and formats change from frame to frame
//! (every scratch buffer reused at a different size), timestamps jump, repeat, go back or are
//! not finite, and the session config comes from the input. No panic; each frame's report equals
//! what a fresh analyzer says about the same frame (no state leaks between frames) and keeps the
//! invariants; the guidance keeps its documented ranges; a capture's crops are sized and finite.

use crate::robust::harness::{Reader, format_of, tile, timeless};
use crate::robust::invariants;
use fingerqc::session::{Session, SessionConfig};
use fingerqc::{Analyzer, Config, Error, FrameView, PixelFormat};

pub fn run(data: &[u8]) {
    let mut r = Reader::new(data);
    let mut sc = SessionConfig::default();
    if r.u8() % 2 == 1 {
        let mut f = |scale: f32| (r.u16() as f32 / 65_535.0) * scale;
        sc.smoothing_s = f(1.0);
        sc.primary_hold_s = f(1.0);
        sc.capture_stable_s = f(1.0);
        sc.capture_min_frames = 1 + (f(8.0) as u32);
        sc.max_motion_mm_s = 0.01 + f(100.0);
        sc.max_frame_gap_s = 0.001 + f(2.0);
        sc.crop_width_factor = 0.2 + f(4.0);
        sc.crop_length_factor = 0.2 + f(4.0);
        if sc.validate().is_err() {
            sc = SessionConfig::default();
        }
    }
    let mut session = Session::new(Config::default(), sc).expect("valid configs");
    let n = 1 + r.u8() % 6;
    let mut t = 0.0f64;
    let mut specs = Vec::new();
    for _ in 0..n {
        let format = format_of(r.u8());
        let mut w = 1 + r.u16() as u32 % 200;
        let mut h = 1 + r.u16() as u32 % 150;
        if matches!(
            format,
            PixelFormat::Nv12 | PixelFormat::Nv21 | PixelFormat::I420
        ) {
            w = (w + 1) & !1;
            h = (h + 1) & !1;
        }
        let ts = match r.u8() % 10 {
            0 => f64::NAN,
            1 => f64::INFINITY,
            2 => t - 0.5,
            3 => t,
            4 => t + 10.0,
            5 => [f64::MAX, -1e300, 1e-300][(r.u8() % 3) as usize],
            _ => t + 1.0 / 30.0,
        };
        if ts.is_finite() {
            t = ts;
        }
        specs.push((format, w, h, r.u8(), ts, r.u8()));
    }
    let pattern = r.rest();
    for (format, w, h, fill, t, mode) in specs {
        let len = (w * h) as usize * format.luma_bytes_per_pixel() * 2;
        let px = match fill % 3 {
            0 => tile(pattern, len),
            1 => vec![fill; len],
            _ => tile(
                &pattern
                    .iter()
                    .map(|b| b.wrapping_add(fill))
                    .collect::<Vec<_>>(),
                len,
            ),
        };
        let view = FrameView::from_bytes(&px, w, h, format).expect("valid frame");
        if mode % 4 == 0 {
            feed_hostile_report(&mut session, &view, t, mode);
            continue;
        }
        let g = match session.feed(&view, t) {
            Err(Error::InvalidTimestamp(_)) => {
                assert!(!t.is_finite(), "finite timestamp {t} refused");
                continue;
            }
            Err(e) => panic!("feed failed: {e}"),
            Ok(g) => g.clone(),
        };
        assert!(t.is_finite(), "non-finite timestamp accepted");
        if let Err(e) = invariants::check_report(&g.report, w, h) {
            panic!("{format:?} {w}x{h}: {e}");
        }
        if let Some(path) = invariants::first_non_finite(&g) {
            panic!("guidance has a non-finite value at {path}");
        }
        check_guidance(&g);
        if g.captured {
            check_capture(&mut session);
        }
        let fresh = Analyzer::new(Config::default())
            .expect("default config")
            .analyze(&view)
            .expect("fresh analysis");
        assert_eq!(
            timeless(g.report),
            timeless(fresh),
            "state leaked between frames"
        );
    }
}

/// The guidance's own fields (not its report) within their documented ranges.
fn check_guidance(g: &fingerqc::session::Guidance) {
    assert!(
        g.active.windows(2).all(|p| p[0] < p[1]),
        "active not sorted: {:?}",
        g.active
    );
    assert!(
        (0.0..=1.0).contains(&g.steadiness),
        "steadiness {}",
        g.steadiness
    );
    assert!((0.0..=1.0).contains(&g.progress), "progress {}", g.progress);
    assert!(
        g.motion_mm_s.is_none_or(|v| v.is_finite() && v >= 0.0),
        "{:?}",
        g.motion_mm_s
    );
    assert!(
        g.ppi.is_none_or(|v| v.is_finite() && v > 0.0),
        "ppi {:?}",
        g.ppi
    );
    if g.ready {
        assert!(
            g.primary.is_none() && !g.moving,
            "ready with {:?}",
            g.primary
        );
    }
}

/// A capture's images are as large as they say, bounded, with a finite positive scale.
fn check_capture(session: &mut Session) {
    let c = session.take_capture().expect("captured without a capture");
    assert_eq!(
        c.image.pixels.len(),
        c.image.width as usize * c.image.height as usize
    );
    for crop in &c.fingers {
        let im = &crop.image;
        assert!(im.width >= 1 && im.height >= 1 && im.width <= 2048 && im.height <= 2048);
        assert_eq!(im.pixels.len(), (im.width * im.height) as usize);
        assert!(
            crop.scale.is_finite() && crop.scale > 0.0,
            "scale {}",
            crop.scale
        );
    }
}

/// `Session::feed_report` with a report a caller could build by hand: the analyzer's report of
/// the frame, bent by `mode` (accepted so captures fire, NaN or absurd ppi, finger boxes and
/// tips outside the frame, NaN widths and angles, a size that is not the frame's), and a motion
/// that may be NaN or negative. No panic, sane guidance, bounded crops.
fn feed_hostile_report(session: &mut Session, view: &FrameView, t: f64, mode: u8) {
    let mut rep = Analyzer::new(Config::default())
        .expect("default config")
        .analyze(view)
        .expect("analysis");
    let odd = [f32::NAN, 0.0, f32::INFINITY, 1e-30, 1e30, -500.0, 500.0];
    if mode & 0x04 != 0 {
        rep.verdict = fingerqc::Verdict::Accept;
        rep.reasons.clear();
    }
    if mode & 0x08 != 0 {
        rep.estimated_ppi = Some(odd[(mode as usize >> 5) % odd.len()]);
    }
    if mode & 0x10 != 0 {
        if rep.fingers.is_empty() {
            rep.fingers.push(fingerqc::FingerReport::default());
        }
        for (i, f) in rep.fingers.iter_mut().enumerate() {
            f.bbox = fingerqc::Rect {
                x: u32::MAX - i as u32,
                y: 7,
                width: u32::MAX,
                height: 3,
            };
            f.width_px = odd[(mode as usize + i) % odd.len()];
            f.angle_deg = odd[(mode as usize + 2 * i) % odd.len()];
            f.tip = [odd[i % odd.len()], -1e9];
        }
    }
    if mode & 0x20 != 0 {
        rep.width = rep.width.wrapping_mul(3);
        rep.height = 1;
    }
    let motion = [None, Some(f32::NAN), Some(-1.0), Some(1e9), Some(3.0)][(mode as usize >> 2) % 5];
    let frame = (mode & 0x40 == 0).then_some(view);
    match session.feed_report(&rep, frame, motion, t) {
        Err(Error::InvalidTimestamp(_)) => assert!(!t.is_finite(), "finite {t} refused"),
        Err(e) => panic!("feed_report failed: {e}"),
        Ok(g) => {
            assert!(t.is_finite(), "non-finite timestamp accepted");
            let g = g.clone();
            check_guidance(&g);
            if g.captured {
                check_capture(session);
            }
        }
    }
}
