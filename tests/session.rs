//! Session behaviour against ground truth: steady guidance over a labelled sequence, motion
//! measured on known shifts, auto-capture of the sharpest frame, and crops at 500 ppi.

use fingerqc::frame::LowRes;
use fingerqc::report::{FingerReport, Reason};
use fingerqc::segment::{self, HandMask};
use fingerqc::session::{CropSpec, MotionEstimator, crop_finger};
use fingerqc::{Config, FrameView, ReasonCode, Report, Session, SessionConfig, Verdict};

/// Small deterministic generator (xorshift64*), so the tests need no extra crate.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn next_f32(&mut self) -> f32 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        ((self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 40) as f32) / (1u64 << 24) as f32
    }
    /// Roughly normal (sum of uniforms), mean 0, standard deviation 1.
    fn normal(&mut self) -> f32 {
        (0..12).map(|_| self.next_f32()).sum::<f32>() - 6.0
    }
}

/// What is true of one frame of a scripted capture.
#[derive(Clone, Copy, Debug)]
struct Label {
    t: f64,
    ppi: f32,
    blur_mm: f32,
    speed_mm_s: f32,
}

/// A hand approaching from 250 to 500 ppi over 2 s (about 30 mm/s toward the camera at 10 cm,
/// seen in the image as some 20 mm/s of motion), shaking for 1 s, then held still while the
/// camera focuses (blur falling from 0.2 to 0.03 mm) for 1.5 s, at 30 fps.
fn scripted_labels() -> Vec<Label> {
    let fps = 30.0;
    (0..(4.5 * fps) as usize)
        .map(|i| {
            let t = i as f64 / fps;
            let (ppi, blur_mm, speed_mm_s) = if t < 2.0 {
                (250.0 + 125.0 * t as f32, 0.06, 20.0)
            } else if t < 3.0 {
                let phase = (t - 2.0) as f32 * 2.0 * std::f32::consts::PI * 3.0;
                (500.0, 0.08, 40.0 + 15.0 * phase.sin())
            } else {
                let s = ((t - 3.0) / 0.8).min(1.0) as f32;
                (500.0, 0.2 + (0.03 - 0.2) * s, 2.0)
            };
            Label {
                t,
                ppi,
                blur_mm,
                speed_mm_s,
            }
        })
        .collect()
}

/// What an analyzer with realistic measurement noise would report for a label: ppi within about
/// 4%, blur within about 0.01 mm, reasons by the definitions of `notes/domain.md`.
fn noisy_report(l: &Label, rng: &mut Rng, config: &Config) -> (Report, f32) {
    let ppi = l.ppi * (1.0 + 0.04 * rng.normal());
    let blur = (l.blur_mm + 0.01 * rng.normal()).max(0.0);
    let speed = (l.speed_mm_s * (1.0 + 0.15 * rng.normal())).max(0.0);
    let mut r = Report {
        width: 1920,
        height: 1080,
        finger_count: 4,
        estimated_ppi: Some(ppi),
        ..Report::default()
    };
    r.focus.blur_mm = Some(blur);
    // Focus score: 100 when perfectly sharp, falling with blur, as the analyzer's would.
    r.focus.score = 100.0 * (-blur / 0.1).exp();
    for i in 0..4 {
        r.fingers.push(FingerReport {
            quality: (90.0 * (-blur / 0.15).exp()).round() as u8,
            bbox: fingerqc::Rect {
                x: 300 + 200 * i,
                y: 200,
                width: 160,
                height: 200,
            },
            tip: [380.0 + 200.0 * i as f32, 200.0],
            width_px: 160.0,
            inside_fraction: 1.0,
            ..FingerReport::default()
        });
    }
    let expected = config.expected_hand;
    if ppi < config.ppi.min {
        r.reasons.push(Reason::new(
            ReasonCode::TooFar,
            ppi,
            config.ppi.min,
            expected,
        ));
    }
    if blur >= config.focus.max_blur_mm {
        r.reasons.push(Reason::new(
            ReasonCode::TooBlurry,
            blur,
            config.focus.max_blur_mm,
            expected,
        ));
    }
    r.verdict = if r.reasons.is_empty() {
        Verdict::Accept
    } else {
        Verdict::Reject
    };
    (r, speed)
}

/// The shown instructions with each hold_still replaced by the instruction before it: the
/// session's own reason (the analyzer never says it), whose entry and exit are not flicker.
fn without_hold_still(shown: &[Option<ReasonCode>]) -> Vec<Option<ReasonCode>> {
    let mut last = None;
    shown
        .iter()
        .map(|&s| {
            if s != Some(ReasonCode::HoldStill) {
                last = s;
            }
            last
        })
        .collect()
}

fn changes(seq: &[Option<ReasonCode>]) -> usize {
    seq.windows(2).filter(|w| w[0] != w[1]).count()
}

#[test]
fn guidance_follows_a_labelled_sequence_without_flicker() {
    let config = Config::default();
    let labels = scripted_labels();
    let mut total_raw_changes = 0;
    for seed in 0..20u64 {
        let mut rng = Rng::new(seed);
        let mut session = Session::new(config.clone(), SessionConfig::default()).unwrap();
        let mut shown = Vec::new();
        let mut raw = Vec::new();
        let mut moving = Vec::new();
        let mut captured_at = Vec::new();
        let mut frames = Vec::new();
        for (i, l) in labels.iter().enumerate() {
            let (report, speed) = noisy_report(l, &mut rng, &config);
            let raw_primary = if speed > 12.0 {
                // What an unsmoothed session would show: hold_still by its priority.
                report
                    .reasons
                    .iter()
                    .map(|r| r.code)
                    .chain([ReasonCode::HoldStill])
                    .min()
            } else {
                report.primary().map(|r| r.code)
            };
            raw.push(raw_primary);
            let g = session
                .feed_report(&report, None, Some(speed), l.t)
                .unwrap();
            shown.push(g.primary);
            moving.push(g.moving);
            if g.captured {
                captured_at.push(i);
            }
            frames.push(report);
        }
        let fps = 30.0;
        let idx = |t: f64| (t * fps) as usize;
        // First instruction: too far (the hand starts at 250 ppi).
        assert_eq!(shown[0], Some(ReasonCode::TooFar), "seed {seed}");
        // Label ppi reaches 350 at t = 0.8 s. The 4% noise keeps single measurements under 350
        // until the label is about 3 sigma above it (~390 ppi, t = 1.1 s); then the smoothing
        // (~0.1 s) and the 0.2 s hold: allow 0.6 s (18 frames). Measured: 0.3-0.47 s over 20 seeds.
        let clear = idx(0.8) + 18;
        for (i, s) in shown.iter().enumerate().take(idx(0.8) - 6) {
            assert_eq!(*s, Some(ReasonCode::TooFar), "seed {seed} frame {i}");
        }
        eprintln!(
            "seed {seed}: too_far shown until frame {:?}",
            shown.iter().rposition(|s| *s == Some(ReasonCode::TooFar))
        );
        for (i, s) in shown.iter().enumerate().skip(clear) {
            assert_ne!(*s, Some(ReasonCode::TooFar), "seed {seed} frame {i}");
        }
        // The approach (until the shake) changes the instruction at most once: too_far -> next.
        assert!(
            changes(&shown[..idx(2.0)]) <= 1,
            "seed {seed}: {:?}",
            &shown[..idx(2.0)]
        );
        // Shaking (40 +/- 15 mm/s against 12 mm/s): hold_still from 0.3 s into it to its end.
        for i in idx(2.3)..idx(3.0) {
            assert_eq!(
                shown[i],
                Some(ReasonCode::HoldStill),
                "seed {seed} frame {i}"
            );
            assert!(moving[i]);
        }
        // Held still and sharpening: from 0.5 s after the hand stops (the speed's smoothing and
        // the 0.2 s hold make hold_still linger about 0.4 s), at most one change (too_blurry ->
        // ready).
        assert!(
            changes(&shown[idx(3.5)..]) <= 1,
            "seed {seed}: {:?}",
            &shown[idx(3.5)..]
        );
        // One capture, inside the still and sharp stretch (label blur below 0.125 mm from
        // t = 3.35 s), after the 0.4 s stable stretch.
        assert_eq!(captured_at.len(), 1, "seed {seed}: {captured_at:?}");
        let c = captured_at[0];
        let sharp_from = labels
            .iter()
            .position(|l| l.t >= 3.0 && l.blur_mm < 0.125)
            .unwrap();
        assert!(c >= sharp_from + 12, "seed {seed}: captured at frame {c}");
        let capture = session.take_capture().unwrap();
        // The kept frame is the sharpest (by label) of the frames the stretch could keep, within
        // the 0.01 mm measurement noise times three.
        let kept = labels
            .iter()
            .position(|l| (l.t - capture.timestamp_s).abs() < 1e-9)
            .unwrap();
        let min_blur = (sharp_from..=c)
            .filter(|&i| frames[i].verdict == Verdict::Accept)
            .map(|i| labels[i].blur_mm)
            .fold(f32::MAX, f32::min);
        assert!(
            labels[kept].blur_mm <= min_blur + 0.03,
            "seed {seed}: kept blur {} vs best {min_blur}",
            labels[kept].blur_mm
        );
        assert!(kept <= c);
        total_raw_changes += changes(&raw);
    }
    // The noise is real: without the session, the instruction would flicker (at least 5 changes
    // per sequence on average, against the 3-4 a steady display makes).
    assert!(
        total_raw_changes >= 20 * 5,
        "raw changes {total_raw_changes}"
    );
}

#[test]
fn capture_restarts_only_after_the_stretch_breaks() {
    let config = Config::default();
    let mut session = Session::new(config.clone(), SessionConfig::default()).unwrap();
    let mut rng = Rng::new(7);
    let good = Label {
        t: 0.0,
        ppi: 500.0,
        blur_mm: 0.04,
        speed_mm_s: 1.0,
    };
    let mut captures = 0;
    for i in 0..60 {
        let l = Label {
            t: i as f64 / 30.0,
            ..good
        };
        let (r, s) = noisy_report(&l, &mut rng, &config);
        captures += session
            .feed_report(&r, None, Some(s), l.t)
            .unwrap()
            .captured as usize;
    }
    assert_eq!(captures, 1, "one capture per stable stretch");
    // Take the hand away (no fingers, no hand) and bring it back: a second capture.
    for i in 60..70 {
        let mut r = Report::default();
        r.reasons.push(Reason::new(
            ReasonCode::NoHand,
            0.0,
            1.0,
            config.expected_hand,
        ));
        session
            .feed_report(&r, None, None, i as f64 / 30.0)
            .unwrap();
    }
    for i in 70..110 {
        let l = Label {
            t: i as f64 / 30.0,
            ..good
        };
        let (r, s) = noisy_report(&l, &mut rng, &config);
        captures += session
            .feed_report(&r, None, Some(s), l.t)
            .unwrap()
            .captured as usize;
    }
    assert_eq!(captures, 2);
}

/// A still, sharp hand at 500 ppi for `n` frames at 15 fps, miscounted (a fifth "finger") on the
/// frames `bad` says; returns the shown instruction per frame and the frames a capture fired on.
fn miscounted_stretch(
    n: usize,
    bad: impl Fn(usize) -> bool,
) -> (Vec<Option<ReasonCode>>, Vec<usize>) {
    let config = Config::default();
    let mut session = Session::new(config.clone(), SessionConfig::default()).unwrap();
    let mut rng = Rng::new(11);
    let (mut shown, mut fired) = (Vec::new(), Vec::new());
    for i in 0..n {
        let l = Label {
            t: i as f64 / 15.0,
            ppi: 500.0,
            blur_mm: 0.04,
            speed_mm_s: 1.0,
        };
        let (mut r, s) = noisy_report(&l, &mut rng, &config);
        if bad(i) {
            r.finger_count = 5;
            r.reasons.insert(
                0,
                Reason::new(ReasonCode::TooManyFingers, 5.0, 4.0, config.expected_hand),
            );
            r.verdict = Verdict::Reject;
        }
        let g = session.feed_report(&r, None, Some(s), l.t).unwrap();
        shown.push(g.primary);
        if g.captured {
            fired.push(i);
        }
    }
    (shown, fired)
}

#[test]
fn a_reason_too_brief_to_be_shown_pauses_the_capture_stretch() {
    // Two miscounted frames (0.13 s) 0.2 s into a stable stretch: too_many_fingers turns on (two
    // frames reach the 0.6 enter level of the 0.1 s smoothing) but is never shown (0.2 s hold),
    // so the stretch that began at t = 0 goes on: the capture fires on the first ready frame
    // 0.4 s or more after it began (frame 6, t = 0.4 s, once the reason has left), not 0.4 s
    // after the miscount.
    let (shown, fired) = miscounted_stretch(30, |i| i == 3 || i == 4);
    assert!(shown.iter().all(|s| s.is_none()), "shown {shown:?}");
    assert_eq!(fired, vec![6], "captures at frames {fired:?}");
    // A miscount that lasts (0.4 s: frames 3-8) is shown and restarts the stretch: the capture
    // fires 0.4 s or more after the instruction is gone again.
    let (shown, fired) = miscounted_stretch(40, |i| (3..9).contains(&i));
    assert!(shown.contains(&Some(ReasonCode::TooManyFingers)));
    let cleared = shown.iter().rposition(|s| s.is_some()).unwrap() + 1;
    assert_eq!(fired.len(), 1, "captures at frames {fired:?}");
    assert!(
        fired[0] >= cleared + 6,
        "capture at frame {} after {cleared}",
        fired[0]
    );
}

#[test]
fn a_stale_instruction_gives_way_while_the_reasons_take_turns() {
    // 15 fps: the hand shakes (40 mm/s) for 10 frames, so hold_still is shown; then it is still
    // (1 mm/s) while the analyzer miscounts, two frames too few, two too many, over and over.
    // hold_still leaves the active set about 0.2 s after the hand stops (the speed's 0.1 s
    // smoothing from 40 to below 7.2 mm/s); the first active reason then keeps changing, and
    // the shown instruction must still give way within the 0.2 s hold (plus a frame each for
    // the reasons' smoothing): from frame 10 + 3 + 3 + 2 on, it is a reason the analyzer gives.
    let config = Config::default();
    let mut session = Session::new(config.clone(), SessionConfig::default()).unwrap();
    let mut rng = Rng::new(5);
    let mut shown = Vec::new();
    for i in 0..40 {
        let l = Label {
            t: i as f64 / 15.0,
            ppi: 500.0,
            blur_mm: 0.04,
            speed_mm_s: if i < 10 { 40.0 } else { 1.0 },
        };
        let (mut r, s) = noisy_report(&l, &mut rng, &config);
        if i >= 10 {
            let (code, n) = if (i / 2) % 2 == 0 {
                (ReasonCode::TooFewFingers, 3.0)
            } else {
                (ReasonCode::TooManyFingers, 5.0)
            };
            r.finger_count = n as u8;
            r.reasons
                .insert(0, Reason::new(code, n, 4.0, config.expected_hand));
            r.verdict = Verdict::Reject;
        }
        shown.push(session.feed_report(&r, None, Some(s), l.t).unwrap().primary);
    }
    assert_eq!(shown[9], Some(ReasonCode::HoldStill), "shown {shown:?}");
    for (i, s) in shown.iter().enumerate().skip(18) {
        assert!(
            matches!(
                s,
                Some(ReasonCode::TooFewFingers | ReasonCode::TooManyFingers)
            ),
            "frame {i}: shown {s:?}; all {shown:?}"
        );
    }
}

/// Smooth random texture in -1..1 (bilinear between random values on the integer grid), so
/// shifted copies match at one shift only (a periodic texture would alias).
fn value_noise(x: f32, y: f32) -> f32 {
    let hash = |i: i32, j: i32| -> f32 {
        let mut h = (i as u32).wrapping_mul(0x8DA6_B343) ^ (j as u32).wrapping_mul(0xD816_3841);
        h ^= h >> 13;
        h = h.wrapping_mul(0x5BD1_E995);
        h ^= h >> 15;
        (h & 0xFFFF) as f32 / 32767.5 - 1.0
    };
    let (x0, y0) = (x.floor(), y.floor());
    let (ax, ay) = (x - x0, y - y0);
    let (i, j) = (x0 as i32, y0 as i32);
    let top = hash(i, j) * (1.0 - ax) + hash(i + 1, j) * ax;
    let bottom = hash(i, j + 1) * (1.0 - ax) + hash(i + 1, j + 1) * ax;
    top * (1.0 - ay) + bottom * ay
}

/// A textured scene: four bright finger-like bars with rounded tips on a darker, gently
/// graded background, with random texture, sampled at `(x - dx, y - dy)` so shifts are exact.
fn scene(w: u32, h: u32, dx: f32, dy: f32) -> Vec<u8> {
    let mut out = vec![0u8; (w * h) as usize];
    for y in 0..h {
        for x in 0..w {
            let (fx, fy) = (x as f32 - dx, y as f32 - dy);
            let mut v = 60.0 + 30.0 * (fx / w as f32) + 20.0 * (fy / h as f32);
            for k in 0..4 {
                let cx = w as f32 * (0.3 + 0.13 * k as f32);
                let top = h as f32 * (0.2 + 0.05 * (k as f32 - 1.5).abs());
                let half = w as f32 * 0.05;
                let d_across = (fx - cx).abs() - half;
                let d_tip = top - fy;
                let inside = if d_tip > 0.0 {
                    half - ((fx - cx).powi(2) + d_tip.powi(2)).sqrt()
                } else {
                    -d_across
                };
                let a = (inside / 2.0).clamp(-1.0, 1.0) * 0.5 + 0.5;
                v += a * 90.0;
            }
            v +=
                14.0 * value_noise(fx / 11.0, fy / 11.0) + 10.0 * value_noise(fx / 37.0, fy / 37.0);
            out[(y * w + x) as usize] = v.clamp(0.0, 255.0) as u8;
        }
    }
    out
}

fn low_and_mask(pixels: &[u8], w: u32, h: u32, low: &mut LowRes, mask: &mut HandMask) {
    let frame = FrameView::new_gray(pixels, w, h, w as usize).unwrap();
    frame.downsample_into(segment::work_factor(w, h), low);
    mask.width = low.width;
    mask.height = low.height;
    mask.factor = low.factor;
    mask.mask = low.luma.iter().map(|&v| (v > 130) as u8).collect();
    mask.area = mask.mask.iter().map(|&v| v as u32).sum();
}

#[test]
fn motion_estimator_measures_known_shifts() {
    let mut low = LowRes::default();
    let mut mask = HandMask::default();
    // Up to the 6 mm a shaking hand moves between frames at 500 ppi (118 px).
    let shifts = [
        (0.0, 0.0),
        (3.0, -2.0),
        (7.5, 4.25),
        (-23.0, 11.0),
        (40.0, -18.5),
        (-55.0, -30.0),
        (90.0, 60.0),
        (-118.0, 35.0),
    ];
    for (w, h) in [(1280u32, 720u32), (1920, 1080)] {
        let factor = segment::work_factor(w, h) as f32;
        let mut worst: f32 = 0.0;
        let a = scene(w, h, 0.0, 0.0);
        for &(dx, dy) in &shifts {
            let mut est = MotionEstimator::new();
            let mut b = scene(w, h, dx, dy);
            if dx < -100.0 {
                // The camera's exposure changes too: 12 levels brighter.
                b.iter_mut().for_each(|v| *v = v.saturating_add(12));
            }
            low_and_mask(&a, w, h, &mut low, &mut mask);
            assert!(mask.area > 100, "the scene has a hand");
            assert_eq!(est.update(&low, &mask), None, "no previous frame");
            low_and_mask(&b, w, h, &mut low, &mut mask);
            let d = est.update(&low, &mask).unwrap();
            let err = ((d[0] - dx).powi(2) + (d[1] - dy).powi(2)).sqrt();
            worst = worst.max(err);
            // Tolerance: 0.4 reduced-image pixels (factor 4 at 720p: 1.6 frame pixels, 0.08 mm
            // at 500 ppi, 2.4 mm/s at 30 fps against a 12 mm/s threshold).
            assert!(
                err <= 0.4 * factor,
                "{w}x{h}: shift ({dx}, {dy}) measured {d:?}"
            );
        }
        eprintln!(
            "motion {w}x{h}: worst error {worst:.2} px ({:.2} reduced px) over {} shifts",
            worst / factor,
            shifts.len()
        );
    }
}

#[test]
fn motion_of_a_hand_over_a_still_skin_coloured_background() {
    // A wooden floor or beige wall the mask takes for skin: the whole frame is "hand", the
    // background (textured, 60% of the frame) stays still while the fingers move. The estimate
    // must be the fingers' motion, not the background's zero.
    let (w, h) = (1920u32, 1080u32);
    let factor = segment::work_factor(w, h) as f32;
    let frame = |dx: f32, dy: f32| -> Vec<u8> {
        let fingers = scene(w, h, dx, dy);
        let still = scene(w, h, 0.0, 0.0);
        let mut out = vec![0u8; (w * h) as usize];
        for y in 0..h {
            for x in 0..w {
                let i = (y * w + x) as usize;
                let (fx, fy) = (x as f32, y as f32);
                // Background: stripes and grain of a wooden floor, about the fingers' brightness.
                let wood = 135.0
                    + 18.0 * value_noise(fx / 90.0, fy / 9.0)
                    + 8.0 * value_noise(fx / 7.0, fy / 7.0);
                // Where the moved fingers are (bright in `fingers`), show them, 30 levels lighter.
                let on_finger = fingers[i] as f32 - still[i] as f32 * 0.0 > 130.0;
                let v = if on_finger {
                    fingers[i] as f32 * 0.75 + 40.0
                } else {
                    wood
                };
                out[i] = v.clamp(0.0, 255.0) as u8;
            }
        }
        out
    };
    let mut low = LowRes::default();
    let mut mask = HandMask::default();
    let a = frame(0.0, 0.0);
    for &(dx, dy) in &[(12.0f32, -8.0f32), (30.0, 20.0), (-45.0, 10.0), (0.0, 0.0)] {
        let mut est = MotionEstimator::new();
        let b = frame(dx, dy);
        for (i, img) in [&a, &b].into_iter().enumerate() {
            let f = FrameView::new_gray(img, w, h, w as usize).unwrap();
            f.downsample_into(segment::work_factor(w, h), &mut low);
            mask.width = low.width;
            mask.height = low.height;
            mask.factor = low.factor;
            mask.mask.clear();
            mask.mask.resize(low.luma.len(), 1);
            mask.area = low.luma.len() as u32;
            let d = est.update(&low, &mask);
            if i == 1 {
                let d = d.unwrap();
                let (got, want) = (d[0].hypot(d[1]), dx.hypot(dy));
                eprintln!("fingers moved ({dx}, {dy}) over a still floor: measured {d:?}");
                // hold_still needs the speed, within a factor of two of the truth (the fingers'
                // outline mixes with the floor they uncover); still fingers read under one
                // reduced pixel (6 frame pixels).
                if want == 0.0 {
                    assert!(got <= factor, "still, measured {d:?}");
                } else {
                    assert!(
                        got >= 0.5 * want && got <= 1.5 * want,
                        "moved ({dx}, {dy}), measured {d:?}"
                    );
                }
            }
        }
    }
}

/// A `w` x `h` frame holding one finger pointing at `angle_deg` (clockwise from up), `width_px`
/// wide, tip at `tip`, with ridges across the finger at `period_px`, on a dark background.
fn finger_frame(
    w: u32,
    h: u32,
    tip: [f32; 2],
    angle_deg: f32,
    width_px: f32,
    period_px: f32,
) -> Vec<u8> {
    let (s, c) = angle_deg.to_radians().sin_cos();
    let dir = [s, -c];
    let across = [c, s];
    let mut out = vec![30u8; (w * h) as usize];
    for y in 0..h {
        for x in 0..w {
            let (px, py) = (x as f32 + 0.5 - tip[0], y as f32 + 0.5 - tip[1]);
            let along = -(px * dir[0] + py * dir[1]); // distance from the tip toward the base
            let side = px * across[0] + py * across[1];
            let half = width_px / 2.0;
            let inside = along >= 0.0 && side.abs() <= half && {
                let r = along - half;
                r >= 0.0 || side * side + r * r <= half * half
            };
            if inside {
                let ridge = (2.0 * std::f32::consts::PI * along / period_px).cos();
                out[(y * w + x) as usize] = (140.0 + 60.0 * ridge) as u8;
            }
        }
    }
    out
}

/// Period (pixels) of the strongest oscillation of `profile` between 4 and 24 pixels, and its
/// amplitude (grey levels).
fn dominant_period(profile: &[f32]) -> (f32, f32) {
    let n = profile.len() as f32;
    let mean = profile.iter().sum::<f32>() / n;
    let mut best = (0.0, 0.0);
    let mut p = 4.0;
    while p <= 24.0 {
        let (mut re, mut im) = (0.0f32, 0.0f32);
        for (i, v) in profile.iter().enumerate() {
            let ph = 2.0 * std::f32::consts::PI * i as f32 / p;
            re += (v - mean) * ph.cos();
            im += (v - mean) * ph.sin();
        }
        let amp = 2.0 * (re * re + im * im).sqrt() / n;
        if amp > best.1 {
            best = (p, amp);
        }
        p += 0.01;
    }
    best
}

#[test]
fn finger_crops_are_upright_at_the_target_ppi() {
    let target = 500.0;
    let spec = CropSpec {
        width_factor: 1.2,
        length_factor: 1.5,
    };
    for &(ppi, angle, period_mm) in &[
        (350.0f32, 0.0f32, 0.475f32),
        (500.0, -20.0, 0.43),
        (650.0, 25.0, 0.52),
        (900.0, 10.0, 0.475),
    ] {
        let (w, h) = (1600u32, 1200u32);
        let period_px = period_mm * ppi / 25.4;
        let width_px = 17.5 * ppi / 25.4;
        let tip = [800.0, 250.0];
        let pixels = finger_frame(w, h, tip, angle, width_px, period_px);
        let finger = FingerReport {
            tip,
            angle_deg: angle,
            width_px,
            ..FingerReport::default()
        };
        let crop = crop_finger(&pixels, w, h, &finger, ppi, target, spec).unwrap();
        assert_eq!(crop.ppi, target);
        let (cw, ch) = (crop.image.width as usize, crop.image.height as usize);
        // Size: 1.2 x 17.5 mm wide, 1.5 x 17.5 mm long at 500 ppi, within a pixel.
        let want_w = 1.2 * 17.5 * target / 25.4;
        let want_h = 1.5 * 17.5 * target / 25.4;
        assert!((cw as f32 - want_w).abs() <= 1.0, "width {cw} vs {want_w}");
        assert!((ch as f32 - want_h).abs() <= 1.0, "height {ch} vs {want_h}");
        // Ridges run across the upright finger: a column profile through the pad's middle
        // (rows from 30% to 95%, columns in the central third) shows the period.
        let rows = (ch * 3 / 10)..(ch * 95 / 100);
        let cols = (cw / 3)..(2 * cw / 3);
        let vertical: Vec<f32> = rows
            .clone()
            .map(|y| {
                cols.clone()
                    .map(|x| crop.image.pixels[y * cw + x] as f32)
                    .sum::<f32>()
                    / cols.len() as f32
            })
            .collect();
        let horizontal: Vec<f32> = cols
            .clone()
            .map(|x| {
                rows.clone()
                    .map(|y| crop.image.pixels[y * cw + x] as f32)
                    .sum::<f32>()
                    / rows.len() as f32
            })
            .collect();
        let (p, strength) = dominant_period(&vertical);
        let (_, across) = dominant_period(&horizontal);
        let expected = period_mm / 25.4 * target;
        // Resampling alone must be exact to 2% (the 10% budget belongs to the ppi estimate).
        assert!(
            (p / expected - 1.0).abs() < 0.02,
            "ppi {ppi} angle {angle}: period {p:.2} px vs {expected:.2}"
        );
        // Upright: strong oscillation down the crop (the source's is 60 grey levels; averaging
        // over a misaligned crop would wash it out), none worth the name across it.
        assert!(strength > 30.0, "ridge amplitude {strength}");
        assert!(
            across < 0.1 * strength,
            "across {across} vs along {strength}"
        );
        // The tip sits near the top: the top rows (above the tip) are background.
        let top_mean = crop.image.pixels[..cw * 3]
            .iter()
            .map(|&v| v as f32)
            .sum::<f32>()
            / (3 * cw) as f32;
        assert!(top_mean < 40.0, "top rows {top_mean}");
    }
}

#[test]
fn feed_report_capture_crops_the_kept_frame() {
    // A frame with one finger at 420 ppi; the report says so; the capture's crop is 500 ppi.
    let config = Config::default();
    let ppi = 420.0f32;
    let (w, h) = (1280u32, 960u32);
    let width_px = 17.5 * ppi / 25.4;
    let period_px = 0.475 * ppi / 25.4;
    let tip = [640.0, 200.0];
    let pixels = finger_frame(w, h, tip, 12.0, width_px, period_px);
    let frame = FrameView::new_gray(&pixels, w, h, w as usize).unwrap();
    let mut report = Report {
        width: w,
        height: h,
        finger_count: 1,
        estimated_ppi: Some(ppi),
        verdict: Verdict::Accept,
        ..Report::default()
    };
    report.fingers.push(FingerReport {
        tip,
        angle_deg: 12.0,
        width_px,
        quality: 80,
        ..FingerReport::default()
    });
    let mut session = Session::new(
        Config {
            expected_fingers: 1,
            ..config
        },
        SessionConfig::default(),
    )
    .unwrap();
    let mut fired = None;
    for i in 0..30 {
        let t = i as f64 / 30.0;
        if session
            .feed_report(&report, Some(&frame), Some(0.5), t)
            .unwrap()
            .captured
        {
            fired = Some(i);
            break;
        }
    }
    // 0.4 s stable stretch at 30 fps: the 13th frame (index 12).
    assert_eq!(fired, Some(12));
    let capture = session.take_capture().unwrap();
    assert_eq!((capture.image.width, capture.image.height), (w, h));
    assert_eq!(capture.image.pixels, pixels);
    assert_eq!(capture.fingers.len(), 1);
    let crop = &capture.fingers[0];
    assert!((crop.scale - ppi / 500.0).abs() < 1e-6);
    let cw = crop.image.width as usize;
    let col: Vec<f32> = (crop.image.height as usize / 3..crop.image.height as usize * 9 / 10)
        .map(|y| crop.image.pixels[y * cw + cw / 2] as f32)
        .collect();
    let (p, _) = dominant_period(&col);
    assert!((p / 9.35 - 1.0).abs() < 0.02, "period {p}");
}

mod alloc_count {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::cell::Cell;

    thread_local!(static COUNT: Cell<usize> = const { Cell::new(0) });

    /// Counts allocations made by the current thread (tests run on several threads).
    pub struct Counting;

    // SAFETY: forwards every call to the system allocator unchanged; only counts.
    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            let _ = COUNT.try_with(|c| c.set(c.get() + 1));
            // SAFETY: same contract as the caller's.
            unsafe { System.alloc(layout) }
        }
        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            // SAFETY: same contract as the caller's.
            unsafe { System.dealloc(ptr, layout) }
        }
        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            let _ = COUNT.try_with(|c| c.set(c.get() + 1));
            // SAFETY: same contract as the caller's.
            unsafe { System.realloc(ptr, layout, new_size) }
        }
    }

    pub fn count() -> usize {
        COUNT.with(|c| c.get())
    }
}

#[global_allocator]
static ALLOC: alloc_count::Counting = alloc_count::Counting;

#[test]
fn feed_allocates_nothing_once_warm() {
    // Skin-tinted moving fingers (so the hand mask is not empty and the motion search runs),
    // at 1280x720.
    let (w, h) = (1280u32, 720u32);
    let frames: Vec<Vec<u8>> = (0..4)
        .map(|k| {
            scene(w, h, 6.0 * k as f32, -3.0 * k as f32)
                .iter()
                .flat_map(|&v| {
                    let v = v as f32;
                    [
                        (v * 1.1).min(255.0) as u8,
                        (v * 0.8) as u8,
                        (v * 0.65) as u8,
                    ]
                })
                .collect()
        })
        .collect();
    let mut session = Session::new(Config::default(), SessionConfig::default()).unwrap();
    let mut t = 0.0;
    let feed = |session: &mut Session, i: usize, t: &mut f64| {
        let f = FrameView::new_packed(
            &frames[i % frames.len()],
            w,
            h,
            w as usize * 3,
            fingerqc::PixelFormat::Rgb8,
        )
        .unwrap();
        *t += 1.0 / 30.0;
        session.feed(&f, *t).unwrap().primary
    };
    for i in 0..10 {
        feed(&mut session, i, &mut t);
    }
    let mut seen = Vec::with_capacity(64);
    let before = alloc_count::count();
    for i in 0..40 {
        let p = feed(&mut session, i, &mut t);
        if seen.len() < seen.capacity() {
            seen.push(p);
        }
    }
    let allocations = alloc_count::count() - before;
    assert_eq!(
        allocations, 0,
        "allocations over 40 warm frames; shown {seen:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// The whole pipeline on generated capture sequences (fingerqc::synth): evaluation seeds
// (>= 1_000_000), 1920x1080 at 15 fps so a sequence renders in seconds.

mod generated {
    use super::*;
    use fingerqc::ridge::{RidgeAnalyzer, RidgeMeasure};
    use fingerqc::synth::{self, Labels, SequenceSpec};
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex, OnceLock};

    pub struct Run {
        pub spec: SequenceSpec,
        pub labels: Vec<Labels>,
        pub t: Vec<f64>,
        pub shown: Vec<Option<ReasonCode>>,
        pub active: Vec<Vec<ReasonCode>>,
        pub raw: Vec<Option<ReasonCode>>,
        pub raw_all: Vec<Vec<ReasonCode>>,
        pub captured: Vec<usize>,
        pub capture: Option<fingerqc::Capture>,
    }

    /// The run of one sequence, rendered and analysed once per test binary: several tests read
    /// the same sequences, and rendering them is most of this file's time.
    pub fn run(seed: u64, width: u32, height: u32, fps: f32) -> Arc<Run> {
        type Cell = Arc<OnceLock<Arc<Run>>>;
        type Runs = Mutex<HashMap<(u64, u32, u32, u32), Cell>>;
        static RUNS: OnceLock<Runs> = OnceLock::new();
        let cell = {
            let mut runs = RUNS
                .get_or_init(Default::default)
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            runs.entry((seed, width, height, fps.to_bits()))
                .or_default()
                .clone()
        };
        cell.get_or_init(|| Arc::new(render_and_feed(seed, width, height, fps)))
            .clone()
    }

    fn render_and_feed(seed: u64, width: u32, height: u32, fps: f32) -> Run {
        let spec = SequenceSpec {
            fps,
            ..SequenceSpec::new(seed, width, height)
        };
        let mut session = Session::new(Config::default(), SessionConfig::default()).unwrap();
        let mut r = Run {
            spec: spec.clone(),
            labels: Vec::new(),
            t: Vec::new(),
            shown: Vec::new(),
            active: Vec::new(),
            raw: Vec::new(),
            raw_all: Vec::new(),
            captured: Vec::new(),
            capture: None,
        };
        for (i, (t, scene_spec)) in synth::sequence_specs(&spec).into_iter().enumerate() {
            let scene = synth::render(&scene_spec);
            let frame = FrameView::from_rgb_image(&scene.image).unwrap();
            let g = session.feed(&frame, t).unwrap();
            if std::env::var("FINGERQC_DEBUG_SEQUENCE").is_ok() {
                eprintln!(
                    "t {t:.3} n {} speed {:?} moving {} shown {:?} raw {:?} label motion {:.2}",
                    g.report.finger_count,
                    g.motion_mm_s,
                    g.moving,
                    g.primary,
                    g.report.reasons.iter().map(|x| x.code).collect::<Vec<_>>(),
                    scene.labels.motion_mm
                );
            }
            r.shown.push(g.primary);
            r.active.push(g.active.clone());
            r.raw.push(g.report.primary().map(|x| x.code));
            r.raw_all
                .push(g.report.reasons.iter().map(|x| x.code).collect());
            if g.captured {
                r.captured.push(i);
                if r.capture.is_none() {
                    r.capture = session.take_capture();
                }
            }
            r.t.push(t);
            r.labels.push(scene.labels);
        }
        r
    }

    /// Ridge period of a crop (pixels), measured by the library's ridge stage over its central
    /// part (the pad).
    pub fn crop_period(c: &fingerqc::FingerCrop) -> Option<f32> {
        let (w, h) = (c.image.width as usize, c.image.height as usize);
        let (x0, x1, y0, y1) = (w / 5, w * 4 / 5, h / 6, h * 2 / 3);
        let (cw, ch) = (x1 - x0, y1 - y0);
        let mut roi = Vec::with_capacity(cw * ch);
        for y in y0..y1 {
            roi.extend_from_slice(&c.image.pixels[y * w + x0..y * w + x1]);
        }
        let mask = vec![1u8; cw * ch];
        let mut out = RidgeMeasure::default();
        RidgeAnalyzer::new().measure(&roi, &mask, cw, ch, &mut out);
        out.period_px
    }
}

#[test]
fn session_smooths_the_analyzer_on_a_generated_sequence() {
    // Whatever the analyzer's accuracy, the session must follow what it says, steadily: each
    // reason's smoothed state agrees with the majority of the analyzer's last five frames, the
    // shown instruction changes at most half as often as the analyzer's first reason, and
    // hold_still (the session's own measurement) clears after the shake.
    let seed = 1_000_000u64;
    let r = generated::run(seed, 1920, 1080, 15.0);
    let n = r.t.len();
    let mut agree = 0;
    let mut total = 0;
    for code in ReasonCode::ALL {
        if code == ReasonCode::HoldStill {
            continue;
        }
        for i in 4..n {
            let votes = (i - 4..=i)
                .filter(|&j| r.raw_all[j].contains(&code))
                .count();
            if votes == 0 || votes == 5 {
                // A clear majority over the whole window: the smoothed state must match.
                total += 1;
                agree += (r.active[i].contains(&code) == (votes == 5)) as usize;
            }
        }
    }
    eprintln!("seed {seed}: smoothed state matches a unanimous 5-frame window on {agree}/{total}");
    // A unanimous window of 5 frames (0.33 s at 15 fps) outlasts the 0.1 s smoothing: allow
    // only the frames right after the window turned unanimous (under 3%).
    assert!(agree * 100 >= total * 97, "{agree}/{total}");
    // hold_still is the session's own reason (the analyzer never says it): its entry and exit
    // are not flicker, so the comparison with the analyzer's first reason leaves it out.
    let shown_wo_hold = without_hold_still(&r.shown);
    let (shown_changes, raw_changes) = (changes(&shown_wo_hold), changes(&r.raw));
    eprintln!("seed {seed}: shown changes {shown_changes}, analyzer's first reason {raw_changes}");
    assert!(
        shown_changes * 2 <= raw_changes.max(2),
        "shown {:?}",
        r.shown
    );
    // hold_still clears 0.5 s after the shake ends (whether it was seen is the next test's).
    let shake_end = (r.spec.approach_s + r.spec.shake_s) as f64;
    for i in (0..n).filter(|&i| r.t[i] >= shake_end + 0.5) {
        assert!(
            !r.active[i].contains(&ReasonCode::HoldStill),
            "t {}",
            r.t[i]
        );
    }
}

#[test]
fn hold_still_covers_the_shake_of_generated_sequences() {
    for seed in [1_000_000u64, 1_000_001] {
        let r = generated::run(seed, 1920, 1080, 15.0);
        let n = r.t.len();
        let approach = r.spec.approach_s as f64;
        let shake_end = approach + r.spec.shake_s as f64;
        let shaking: Vec<usize> = (0..n)
            .filter(|&i| r.t[i] >= approach + 0.2 && r.t[i] < shake_end)
            .collect();
        let held = shaking
            .iter()
            .filter(|&&i| r.active[i].contains(&ReasonCode::HoldStill))
            .count();
        eprintln!(
            "seed {seed}: hold_still on {held}/{} shaking frames",
            shaking.len()
        );
        assert!(held * 10 >= shaking.len() * 8, "seed {seed}");
    }
}

#[test]
fn guidance_follows_generated_sequences() {
    for seed in [1_000_000u64, 1_000_001] {
        let r = generated::run(seed, 1920, 1080, 15.0);
        let n = r.t.len();
        let approach = r.spec.approach_s as f64;
        let shake_end = approach + r.spec.shake_s as f64;
        // Far: too_far is active on most frames whose label ppi is under 330 (after the first
        // 0.3 s of smoothing). It is the shown instruction unless a reason of higher priority
        // (finger count, hand side) holds as well.
        let far: Vec<usize> = (0..n)
            .filter(|&i| r.t[i] >= 0.3 && r.labels[i].ppi > 0.0 && r.labels[i].ppi < 330.0)
            .collect();
        assert!(far.len() >= 3, "seed {seed}: the sequence starts far");
        let far_shown = far
            .iter()
            .filter(|&&i| r.active[i].contains(&ReasonCode::TooFar))
            .count();
        assert!(
            far_shown * 10 >= far.len() * 8,
            "seed {seed}: too_far active on {far_shown}/{} far frames: {:?}",
            far.len(),
            &r.active[..far.len()]
        );
        for &i in &far {
            if let Some(p) = r.shown[i] {
                assert!(p <= ReasonCode::TooFar, "seed {seed}: {p} shown while far");
            }
        }
        // Close enough: too_far leaves the active set 0.5 s after the label reaches 350 ppi and
        // the shown instruction 0.8 s after (estimate error + smoothing + the 0.2 s hold).
        let t350 = (0..n)
            .find(|&i| r.labels[i].ppi >= 350.0)
            .map(|i| r.t[i])
            .expect("the sequence reaches 350 ppi");
        for i in 0..n {
            if r.t[i] >= t350 + 0.5 {
                assert!(
                    !r.active[i].contains(&ReasonCode::TooFar),
                    "seed {seed} t {:.2}: too_far still active (label {:.0} ppi)",
                    r.t[i],
                    r.labels[i].ppi
                );
            }
            if r.t[i] >= t350 + 0.8 {
                assert_ne!(
                    r.shown[i],
                    Some(ReasonCode::TooFar),
                    "seed {seed} t {}",
                    r.t[i]
                );
            }
        }
        // Shaking: hold_still is active on at least 80% of the frames from 0.2 s into the shake
        // to its end.
        let shaking: Vec<usize> = (0..n)
            .filter(|&i| r.t[i] >= approach + 0.2 && r.t[i] < shake_end)
            .collect();
        let held = shaking
            .iter()
            .filter(|&&i| r.active[i].contains(&ReasonCode::HoldStill))
            .count();
        assert!(
            held * 10 >= shaking.len() * 8,
            "seed {seed}: hold_still on {held}/{} shaking frames",
            shaking.len()
        );
        // Still again: hold_still is gone 0.5 s after the shake ends.
        for i in 0..n {
            if r.t[i] >= shake_end + 0.5 {
                assert!(
                    !r.active[i].contains(&ReasonCode::HoldStill),
                    "seed {seed} t {:.2}: hold_still after the hand stopped",
                    r.t[i]
                );
            }
        }
        // Steadiness: the shown instruction changes far less often than the raw first reason.
        // hold_still is the session's own reason (the analyzer never says it): its entry and exit
        // are not flicker, so the comparison with the analyzer's first reason leaves it out.
        let shown_wo_hold = without_hold_still(&r.shown);
        let (shown_changes, raw_changes) = (changes(&shown_wo_hold), changes(&r.raw));
        eprintln!(
            "seed {seed}: {n} frames, shown changes {shown_changes}, raw changes {raw_changes}, \
             too_far {far_shown}/{}, hold_still {held}/{}",
            far.len(),
            shaking.len()
        );
        assert!(
            shown_changes <= 6 && shown_changes * 2 <= raw_changes.max(2),
            "seed {seed}: shown {:?}",
            r.shown
        );
    }
}

#[test]
fn capture_on_generated_sequences_is_sharp_and_500_ppi() {
    // Ten held-out sequences at 1080p, 15 fps: approach, shake, then 1.47 s settled and sharp.
    // Measured: a capture fires on 9 of 10 (on 1000009 the index finger merges with the
    // background, so three fingers are counted through the still stretch; a miscount too brief
    // to be shown only pauses the stretch, which is what 1000003 needs); the floor is 7. Every
    // capture that fires must be right: after the hand settled, sharp, the sharpest
    // frame of its stretch within 0.02 mm, and its crops at 500 ppi: their true resolution
    // (generator ppi x target / estimate) within 12% each and 5% over the captures (median);
    // the ridge period read back from the crops within 20% each and 10% over the captures
    // (the ppi rests on the adult median ridge period, and one person's departs from it by
    // up to +-9.5%).
    let mut fired = 0;
    let mut ratios = Vec::new();
    let mut crop_ppis = Vec::new();
    let seeds = 1_000_000u64..1_000_010;
    // Rendered two at a time (the runs are cached), so this test is not the one long thread.
    std::thread::scope(|s| {
        for half in [0, 1] {
            let seeds = seeds.clone();
            s.spawn(move || {
                for seed in seeds.skip(half).step_by(2) {
                    generated::run(seed, 1920, 1080, 15.0);
                }
            });
        }
    });
    for seed in seeds {
        let r = generated::run(seed, 1920, 1080, 15.0);
        let settle = (r.spec.approach_s + r.spec.shake_s) as f64;
        assert!(
            r.captured.len() <= 1,
            "seed {seed}: captures at {:?}",
            r.captured
        );
        let Some(&c) = r.captured.first() else {
            println!("seed {seed}: no capture");
            continue;
        };
        fired += 1;
        let l = &r.labels[c];
        assert!(r.t[c] > settle, "seed {seed}: captured while not settled");
        assert!(l.blur_sigma_mm < 0.125 && l.motion_mm < 0.4);
        let cap = r.capture.as_ref().expect("a fired capture is kept");
        let kept =
            r.t.iter()
                .position(|&t| (t - cap.timestamp_s).abs() < 1e-9)
                .expect("the kept frame is one of the sequence");
        let stretch_start = (0..=c)
            .rev()
            .find(|&i| r.shown[i].is_some())
            .map_or(0, |i| i + 1);
        let best = (stretch_start..=c)
            .map(|i| r.labels[i].blur_sigma_mm)
            .fold(f32::MAX, f32::min);
        assert!(r.labels[kept].blur_sigma_mm <= best + 0.02);
        assert!(!cap.fingers.is_empty());
        // The crops' true resolution, from the generator's ppi at the kept frame and the
        // estimate the resampling used (ground truth, not read back through the ridge stage).
        // The estimate (the stretch's ridge and width rulers, combined by their spreads) rests
        // mostly on the adult median ridge period (0.475 mm), and people range over 0.43-0.52 mm
        // (+-9.5%): with the ridge stage's own ~2% error, each capture lands within 12%;
        // measured 503-551 ppi over 9 captures, 8 within 10% (1000000, whose ridge period is
        // 0.433 mm, at +10.2%).
        for f in &cap.fingers {
            let true_crop_ppi = r.labels[kept].ppi * f.ppi / f.source_ppi;
            println!(
                "seed {seed}: crop at {true_crop_ppi:.1} ppi (frame {:.1} ppi, estimated {:.1}, \
                 ridge period {:.3} mm)",
                r.labels[kept].ppi, f.source_ppi, r.labels[kept].ridge_period_mm
            );
            assert!(
                (true_crop_ppi / 500.0 - 1.0).abs() < 0.12,
                "seed {seed}: crop at {true_crop_ppi} ppi, not 500 +- 12%"
            );
            crop_ppis.push(true_crop_ppi);
        }
        let want = 500.0 * r.labels[kept].ridge_period_mm / 25.4;
        let mut periods: Vec<f32> = cap
            .fingers
            .iter()
            .filter_map(generated::crop_period)
            .collect();
        assert!(!periods.is_empty(), "seed {seed}: no ridges in any crop");
        periods.sort_by(f32::total_cmp);
        let median = periods[periods.len() / 2];
        println!(
            "seed {seed}: captured at {:.2} s, crop periods {periods:?}, want {want:.2}",
            r.t[c]
        );
        // One person's ridge period departs from the adult median the ppi assumes by +-9%
        // (one sigma), so a single capture may miss 500 ppi by more than 10%; 20% is far out.
        assert!(
            (median / want - 1.0).abs() < 0.20,
            "seed {seed}: median crop period {median} vs {want}"
        );
        ratios.push(median / want);
    }
    assert!(fired >= 7, "captures fired on {fired} of 10 sequences");
    // Over the captures, the crops' true resolution sits at 500 ppi within 5% (median; the
    // people's ridge periods average out). Measured: 521 ppi (the nine people's ridge periods
    // happen to sit mostly below the adult median: 0.433-0.469 mm but one).
    crop_ppis.sort_by(f32::total_cmp);
    let median_ppi = crop_ppis[crop_ppis.len() / 2];
    assert!(
        (median_ppi / 500.0 - 1.0).abs() < 0.05,
        "median true crop resolution {median_ppi} ppi over {crop_ppis:?}"
    );
    // Over the captures, the crops sit at 500 ppi within 10%.
    ratios.sort_by(f32::total_cmp);
    let typical = ratios[ratios.len() / 2];
    assert!(
        (typical - 1.0).abs() < 0.10,
        "median crop scale {typical} over {ratios:?}"
    );
}

#[test]
fn crops_of_generated_fingers_measure_500_ppi() {
    // Generated scenes at many distances, with the generator's geometry and ppi; the library's
    // crop at 500 ppi and the same region cut at the frame's own resolution; the library's ridge
    // stage measuring both. The 500 ppi crop must show the ridges at 500/ppi times their size in
    // the frame (median over fingers within 3%: bilinear resampling; each finger within 10%),
    // and come out at 500 ppi against the labelled ridge period within 10% (median over
    // fingers; the ridge stage's own bias on the frame-resolution crops is printed beside it).
    let spec = CropSpec {
        width_factor: 1.2,
        length_factor: 1.5,
    };
    let (mut rel, mut abs, mut native) = (Vec::new(), Vec::new(), Vec::new());
    let mut seed = 1_000_000u64;
    while rel.len() < 16 && seed < 1_000_400 {
        seed += 1;
        let scene = fingerqc::synth::scene(seed, 1920, 1080);
        let l = &scene.labels;
        let clean = l.hand_present
            && l.blur_sigma_mm < 0.06
            && l.motion_mm < 0.1
            && l.ridge_contrast > 0.8
            && l.glare_fraction < 0.001
            && l.noise_sigma < 4.0
            && (l.ppi - 500.0).abs() > 40.0
            && (300.0..=900.0).contains(&l.ppi);
        if !clean {
            continue;
        }
        let luma: Vec<u8> = scene
            .image
            .pixels()
            .map(|p| fingerqc::frame::luma601(p[0], p[1], p[2]))
            .collect();
        let (w, h) = (scene.image.width(), scene.image.height());
        let want = 500.0 * l.ridge_period_mm / 25.4;
        for f in l
            .fingers
            .iter()
            .filter(|f| f.inside_fraction > 0.99 && f.counted)
        {
            let fr = FingerReport {
                tip: f.tip,
                angle_deg: f.direction[0].atan2(-f.direction[1]).to_degrees(),
                width_px: f.width_px,
                bbox: f.print_box,
                ..FingerReport::default()
            };
            let Some(crop) = crop_finger(&luma, w, h, &fr, l.ppi, 500.0, spec) else {
                panic!("seed {seed}: no crop");
            };
            // The same region at the frame's own resolution (scale 1): only the resampling differs.
            let Some(same) = crop_finger(&luma, w, h, &fr, l.ppi, l.ppi, spec) else {
                panic!("seed {seed}: no native crop");
            };
            let (Some(p), Some(pn)) =
                (generated::crop_period(&crop), generated::crop_period(&same))
            else {
                continue;
            };
            let r = p * crop.scale / pn - 1.0;
            eprintln!(
                "seed {seed} {:?} {:.0} ppi: crop {p:.2} px (want {want:.2}), frame {pn:.2} px \
                 (label {:.2}); crop/frame scale error {r:+.3}",
                f.name, l.ppi, l.ridge_period_px
            );
            // Per finger, the ridge stage reads the same region a few percent differently at two
            // resolutions (its blocks cover different areas of a pad whose period varies): 10%.
            assert!(
                r.abs() < 0.10,
                "seed {seed} {:?}: crop/frame {r:+.3}",
                f.name
            );
            rel.push(r);
            abs.push(p / want - 1.0);
            native.push(pn / l.ridge_period_px - 1.0);
        }
    }
    assert!(rel.len() >= 12, "fingers measured: {}", rel.len());
    let med = |v: &mut Vec<f32>| {
        v.sort_by(f32::total_cmp);
        v[v.len() / 2]
    };
    let (a, n, m) = (med(&mut abs), med(&mut native), med(&mut rel));
    eprintln!(
        "{} fingers: crop vs 500 ppi median {a:+.3} (range {:+.3}..{:+.3}); ridge stage on the \
         frames themselves median {n:+.3}",
        abs.len(),
        abs[0],
        abs[abs.len() - 1]
    );
    eprintln!("crop/frame scale error: median {m:+.3}");
    assert!(m.abs() < 0.03, "median crop/frame scale error {m:+.3}");
    assert!(a.abs() < 0.10, "median crop period error {a:+.3}");
}
