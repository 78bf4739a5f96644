//! The distance stage on generated scenes with known resolution: when the width ruler is the
//! only one (no ridges resolved), the fingertips' spacing must agree with the widths read
//! before a `too_far` rests on them.
//!
//! Tuning seeds (0-599 at 1280x720), each frame analysed with the `mirrored` flag it was made
//! with.

use fingerqc::report::PpiSource;
use fingerqc::synth::{self, Labels};
use fingerqc::{Analyzer, Config, FrameView, ReasonCode, Report};

fn analyse(seed: u64) -> (Labels, Report) {
    let scene = synth::scene(seed, 1280, 720);
    let config = Config {
        mirrored: scene.labels.mirrored,
        ..Config::default()
    };
    let mut analyzer = Analyzer::new(config).expect("config");
    let frame = FrameView::from_rgb_image(&scene.image).expect("frame");
    let report = analyzer.analyze(&frame).expect("analysis");
    (scene.labels, report)
}

/// Frames whose mask lost the fingers' rims (over-exposed, shaded or dirty fingers) read their
/// widths at 15-50% of the truth, so the width ruler put hands within reach (true 390-400 ppi)
/// at 60-200 ppi and reported `too_far` on every one of them. Their fingertips stand 1.8-6.8
/// read widths apart, where a hand's adjacent fingertips stand 1-1.7 widths apart.
#[test]
fn widths_the_fingertip_spacing_contradicts_do_not_call_a_hand_far() {
    for seed in [56, 148, 334, 420, 506] {
        let (labels, report) = analyse(seed);
        assert!(
            labels.hand_present && !labels.reasons.contains(&ReasonCode::TooFar),
            "seed {seed} is a hand within reach ({} ppi)",
            labels.ppi
        );
        assert_eq!(
            report.ppi.from_ridges, None,
            "seed {seed}: no ridges resolved, the width ruler is the only one"
        );
        assert!(!report.has(ReasonCode::TooFar), "seed {seed}: {report:?}");
        // No resolution rather than a wrong one (the truth is 390-400 ppi).
        assert_eq!(report.ppi.ppi, None, "seed {seed}");
        assert_eq!(report.ppi.source, PpiSource::None, "seed {seed}");
    }
}

/// Frames whose width-only estimate is right (within 10% of the truth, fingertips 1.0-1.6 read
/// widths apart, fingers together or spread) keep it.
#[test]
fn widths_the_fingertip_spacing_agrees_with_are_kept() {
    for seed in [22, 45, 98, 103, 135, 151, 175, 196, 288, 335, 441, 464, 523] {
        let (labels, report) = analyse(seed);
        assert_eq!(report.ppi.source, PpiSource::Width, "seed {seed}");
        let ppi = report.ppi.ppi.expect("a width-based estimate");
        // Tolerance: 10%, the core issue's bound (measured 0.91-1.08 of the truth).
        assert!(
            (ppi / labels.ppi - 1.0).abs() <= 0.10,
            "seed {seed}: {ppi} against {}",
            labels.ppi
        );
    }
}
