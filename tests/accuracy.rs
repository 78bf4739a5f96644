//! Accuracy of the whole analyzer against generated scenes it was not tuned on (seeds from
//! 1_000_000; tuning uses seeds below 1_000). The floors are those of the core issue.
//!
//! `FINGERQC_ACCURACY_N=100` shortens the run for a quick look; the table is printed with
//! `--nocapture`.

use fingerqc::eval::{Scorecard, Truth};
use fingerqc::{Analyzer, Config, FrameView, ReasonCode};

const FIRST_SEED: u64 = 1_000_000;

fn score(width: u32, height: u32, frames: u64) -> Scorecard {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(4) as u64;
    let cards: Vec<Scorecard> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                s.spawn(move || {
                    let mut card = Scorecard::new();
                    let mut analyzers = [false, true].map(|mirrored| {
                        Analyzer::new(Config {
                            mirrored,
                            ..Config::default()
                        })
                        .expect("valid config")
                    });
                    for i in (t..frames).step_by(threads as usize) {
                        let scene = fingerqc::synth::scene(FIRST_SEED + i, width, height);
                        let mut json =
                            serde_json::to_value(&scene.labels).expect("labels serialise");
                        json["file"] = serde_json::Value::String(format!("{}.png", FIRST_SEED + i));
                        let truth: Truth = serde_json::from_value(json).expect("labels are truth");
                        let frame = FrameView::from_rgb_image(&scene.image).expect("valid frame");
                        let analyzer = &mut analyzers[scene.labels.mirrored as usize];
                        let report = analyzer.analyze(&frame).expect("analysis succeeds");
                        card.add(&truth, &report);
                    }
                    card
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("worker finished"))
            .collect()
    });
    let mut total = Scorecard::new();
    for c in &cards {
        total.merge(c);
    }
    total
}

fn frames_for(default: u64) -> u64 {
    std::env::var("FINGERQC_ACCURACY_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn check(card: &Scorecard, label: &str) {
    println!("== {label}\n{}", card.to_table());
    let mut failures = Vec::new();
    let count = card.finger_count.accuracy().unwrap_or(0.0);
    // Floor from the core issue: finger count exact on >= 97% of frames.
    if count < 0.97 {
        failures.push(format!("finger count {count:.3} < 0.97"));
    }
    let verdict = card.verdict.accuracy().unwrap_or(0.0);
    // Floor: verdict accuracy >= 97%.
    if verdict < 0.97 {
        failures.push(format!("verdict {verdict:.3} < 0.97"));
    }
    let ppi = card.ppi_within_10pct.accuracy().unwrap_or(0.0);
    // Floor: estimated ppi within 10% of the truth on >= 90% of frames with a hand.
    if ppi < 0.90 {
        failures.push(format!("ppi within 10% {ppi:.3} < 0.90"));
    }
    for code in ReasonCode::ALL {
        let s = card.reason(code);
        // Floor: F1 >= 0.90 for every reason code the generator produces (hold_still needs a
        // sequence and camera_limit a small frame: neither occurs in single scenes).
        if s.positives() == 0 {
            continue;
        }
        let f1 = s.f1().unwrap_or(0.0);
        if f1 < 0.90 {
            failures.push(format!("{code} F1 {f1:.3} < 0.90"));
        }
    }
    assert!(failures.is_empty(), "{label}: {}", failures.join("; "));
}

#[test]
#[ignore = "integration in progress: run with --ignored; floors asserted once the stages land"]
fn accuracy_1280x720() {
    let card = score(1280, 720, frames_for(300));
    check(&card, "1280x720");
}

#[test]
#[ignore = "integration in progress: run with --ignored; floors asserted once the stages land"]
fn accuracy_1920x1080() {
    let card = score(1920, 1080, frames_for(200));
    check(&card, "1920x1080");
}
