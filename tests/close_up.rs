//! A hand too close to the camera to trace: two or three fingers, each wider than a third of
//! the frame, that the finger finder reads as stubs with no ridges measured on them. The
//! analyzer probes the ridges of the frame around them, so the report still says `too_close`
//! with a ridge-based resolution.

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
        "too_close reported on {detected} of {}; {by_probe:?}",
        SEEDS.len()
    );
    // Measured: 20 of 28 (14 before the probe, which takes over when the fingers give no
    // ridges; 17 with a probe of 0.6 of the frame's shorter side, whose blocks held about three
    // ridge periods at 900-1000 ppi on a 720p frame; the rest are frames where the mask missed the
    // fingers). Allowed: two fewer.
    assert!(detected >= 18, "too_close on {detected} of {}", SEEDS.len());
    // A ridge-based too_close must be a real reading: within 20% of the scene's resolution (the
    // ridge ruler's person-to-person spread is +-9.5%, and blocks near the silhouette lean).
    for (seed, est, truth) in by_probe {
        assert!(
            (est / truth - 1.0).abs() < 0.20,
            "seed {seed}: {est} ppi against {truth}"
        );
    }
}
