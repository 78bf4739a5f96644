//! A hand too close to the camera to trace: two or three fingers, each wider than a third of
//! the frame, that the finger finder reads as stubs with no ridges measured on them. The
//! analyzer probes the ridges of the frame around them, so the report still says `too_close`
//! with a ridge-based resolution. With no finger traced at all, or only fragments of fingers,
//! it reads the ridges across the frame's centre; that reading must never call a hand within
//! the allowed range, or an empty scene, too close.

use fingerqc::report::PpiSource;
use fingerqc::{Analyzer, Config, FrameView, ReasonCode};

/// The 1280x720 generated scenes labelled too_close (not near its threshold) among training
/// seeds 0-599, where the probe was developed.
const SEEDS: [u64; 28] = [
    17, 66, 82, 93, 95, 108, 109, 110, 140, 153, 155, 168, 169, 207, 273, 277, 305, 326, 330, 376,
    404, 409, 412, 455, 480, 485, 496, 505,
];

#[test]
fn too_close_hands_are_reported_too_close() {
    let mut detected = 0;
    let mut by_probe = Vec::new();
    let mut counted_right = 0;
    for seed in SEEDS {
        let scene = fingerqc::synth::scene(seed, 1280, 720);
        let labels = &scene.labels;
        assert!(
            labels.reasons.contains(&ReasonCode::TooClose),
            "seed {seed} is a too_close scene"
        );
        let mut analyzer = Analyzer::new(Config {
            mirrored: labels.mirrored,
            ..Config::default()
        })
        .unwrap();
        let frame = FrameView::from_rgb_image(&scene.image).unwrap();
        let report = analyzer.analyze(&frame).unwrap();
        counted_right += usize::from(report.finger_count == labels.finger_count);
        if report
            .reasons
            .iter()
            .any(|r| r.code == ReasonCode::TooClose)
        {
            detected += 1;
            if report.ppi.source == PpiSource::Ridges {
                by_probe.push((seed, report.estimated_ppi.unwrap_or(0.0), labels.ppi));
            }
        }
    }
    println!(
        "too_close reported on {detected} of {}; finger count right on {counted_right}; \
         {by_probe:?}",
        SEEDS.len()
    );
    // Measured: 26 of 28 (14 before the probes, which take over when the fingers give no
    // ridges; 17 with a probe of 0.6 of the frame's shorter side, whose blocks held about three
    // ridge periods at 900-1000 ppi on a 720p frame; 20 with the stub probe alone, before the
    // frame-centre probe read the close-ups the mask missed or broke into fragments).
    // Allowed: two fewer.
    assert!(detected >= 24, "too_close on {detected} of {}", SEEDS.len());
    // The fingers of a close-up are counted on a coarser image, where they have the usual
    // reduced width and their ridges average out. Measured: 23 of 28 (19 with the
    // usual image alone). Allowed: two fewer.
    assert!(
        counted_right >= 21,
        "finger count right on {counted_right} of {}",
        SEEDS.len()
    );
    // A ridge-based too_close must be a real reading: within 20% of the scene's resolution (the
    // ridge ruler's person-to-person spread is +-9.5%, and blocks near the silhouette lean).
    for (seed, est, truth) in by_probe {
        assert!(
            (est / truth - 1.0).abs() < 0.20,
            "seed {seed}: {est} ppi against {truth}"
        );
    }
}

/// The frame-centre probe reads texture without a mask, so it must not fire where no hand is
/// too close: 200 held-out 1280x720 scenes (seeds from 3,000,000, not used in tuning), every
/// one whose hand is within or beyond the allowed range, or absent.
#[test]
fn no_close_up_is_read_where_the_hand_is_not_too_close() {
    let config = Config::default();
    let (mut judged, mut false_close_ups) = (0, Vec::new());
    for seed in 3_000_000..3_000_200u64 {
        let scene = fingerqc::synth::scene(seed, 1280, 720);
        let labels = &scene.labels;
        if labels.ppi > config.ppi.max {
            continue;
        }
        judged += 1;
        let mut analyzer = Analyzer::new(Config {
            mirrored: labels.mirrored,
            ..config.clone()
        })
        .unwrap();
        let frame = FrameView::from_rgb_image(&scene.image).unwrap();
        let report = analyzer.analyze(&frame).unwrap();
        if report.ppi.close_up {
            false_close_ups.push((seed, report.estimated_ppi, labels.ppi));
        }
    }
    println!("{judged} scenes judged; false close-ups: {false_close_ups:?}");
    // Measured: none. Zero tolerance: a false close-up tells a user at the right distance to
    // move back and drops the fingers found.
    assert!(judged >= 150, "only {judged} scenes judged");
    assert!(false_close_ups.is_empty(), "{false_close_ups:?}");
}
