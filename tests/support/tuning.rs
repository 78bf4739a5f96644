//! One generated tuning scene analysed as the evaluation analyses it: seeds below 600 at
//! 1280x720, 600-799 at 1920x1080 (the development sets' sizes), with the `mirrored` flag the
//! scene was made with.

use fingerqc::synth::{self, Labels};
use fingerqc::{Analyzer, Config, FrameView, Report};

/// The labels of tuning scene `seed` and the analyzer's report on it.
pub fn analyse(seed: u64) -> (Labels, Report) {
    let (w, h) = if seed >= 600 {
        (1920, 1080)
    } else {
        (1280, 720)
    };
    let scene = synth::scene(seed, w, h);
    let config = Config {
        mirrored: scene.labels.mirrored,
        ..Config::default()
    };
    let mut analyzer = Analyzer::new(config).expect("config");
    let frame = FrameView::from_rgb_image(&scene.image).expect("frame");
    let report = analyzer.analyze(&frame).expect("analysis");
    (scene.labels, report)
}
