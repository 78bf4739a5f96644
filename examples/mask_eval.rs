//! Dev aid: scores the hand mask against the generator's per-pixel truth.
//!
//! `cargo run --release --example mask_eval -- [START] [COUNT] [W] [H]` prints, per frame with a
//! hand, the share of truth hand pixels missed and of background pixels taken as hand, and the
//! mean IoU; frames with IoU under 0.8 are listed.
use fingerqc::{Analyzer, Config, FrameView};

fn main() {
    let mut args = std::env::args().skip(1);
    let mut next = |d: u64| args.next().and_then(|s| s.parse().ok()).unwrap_or(d);
    let (start, count, w, h) = (next(0), next(200), next(1280) as u32, next(720) as u32);
    let (mut n, mut iou_sum, mut bad) = (0, 0.0, 0);
    let mut an = Analyzer::new(Config::default()).expect("config");
    for seed in start..start + count {
        let scene = fingerqc::synth::scene(seed, w, h);
        if scene.labels.finger_count == 0 {
            continue;
        }
        let frame = FrameView::from_rgb_image(&scene.image).expect("frame");
        let _ = an.analyze(&frame).expect("analyze");
        let m = an.internals().mask;
        let f = m.factor;
        let (mut inter, mut union, mut miss, mut truth_n, mut extra, mut bg_n) = (0, 0, 0, 0, 0, 0);
        for y in 0..m.height {
            for x in 0..m.width {
                let (px, py) = (x * f + f / 2, y * f + f / 2);
                if px >= w || py >= h {
                    continue;
                }
                let t = scene.mask.get_pixel(px, py)[0] & fingerqc::synth::MASK_HAND != 0;
                let p = m.mask[(y * m.width + x) as usize] != 0;
                inter += (t && p) as u32;
                union += (t || p) as u32;
                truth_n += t as u32;
                miss += (t && !p) as u32;
                bg_n += (!t) as u32;
                extra += (!t && p) as u32;
            }
        }
        let iou = inter as f64 / union.max(1) as f64;
        n += 1;
        iou_sum += iou;
        if iou < 0.8 {
            bad += 1;
            println!(
                "seed {seed}: iou {iou:.2} missed {:.2} of hand, took {:.2} of background ({:?})",
                miss as f64 / truth_n.max(1) as f64,
                extra as f64 / bg_n.max(1) as f64,
                scene.labels.background
            );
        }
    }
    println!(
        "mean IoU {:.3} over {n} frames; {bad} under 0.8",
        iou_sum / n.max(1) as f64
    );
}
