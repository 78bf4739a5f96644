//! Dev aid: runs the analyzer over generated scenes and prints every frame whose finger count,
//! hand side, fingertips or partially_out_of_frame verdict disagrees with the labels.
//!
//! `cargo run --example geometry_synth_eval -- [START] [COUNT] [W] [H]`; with `DUMP=1` an
//! overlay of each failing frame is written to /tmp/geo/fail/<seed>.png.

use fingerqc::{Analyzer, Config, FrameView, Hand, ReasonCode};
#[path = "geometry_overlay.rs"]
#[allow(dead_code)]
mod overlay;

fn main() {
    let mut args = std::env::args().skip(1);
    let start: u64 = args.next().map(|s| s.parse().unwrap()).unwrap_or(0);
    let count: u64 = args.next().map(|s| s.parse().unwrap()).unwrap_or(100);
    let w: u32 = args.next().map(|s| s.parse().unwrap()).unwrap_or(1280);
    let h: u32 = args.next().map(|s| s.parse().unwrap()).unwrap_or(720);
    let dump = std::env::var("DUMP").is_ok();
    let _ = std::fs::create_dir_all("/tmp/geo/fail");
    let (mut n, mut ok, mut side_n, mut side_ok, mut side_unk) = (0, 0, 0, 0, 0);
    let (mut tip_n, mut tip_ok) = (0, 0);
    let (mut pof_tp, mut pof_fp, mut pof_fn) = (0, 0, 0);
    let (mut nh_tp, mut nh_fp, mut nh_fn) = (0, 0, 0);
    let mut us = 0u128;
    for seed in start..start + count {
        let scene = fingerqc::synth::scene(seed, w, h);
        let l = &scene.labels;
        let config = Config {
            mirrored: l.mirrored,
            ..Config::default()
        };
        let mut an = Analyzer::new(config).unwrap();
        let frame = FrameView::from_rgb_image(&scene.image).unwrap();
        let t = std::time::Instant::now();
        let rep = an.analyze(&frame).unwrap();
        us += t.elapsed().as_micros();
        let geo = an.internals().geometry;
        if std::env::var("GEO_DEBUG").is_ok() {
            for f in &geo.fingers {
                eprintln!(
                    "found tip ({:.0},{:.0}) w {:.0} inside {:.2} counted {} cut {} box {:?}",
                    f.tip[0],
                    f.tip[1],
                    f.width_px,
                    f.inside_fraction,
                    f.counted,
                    f.tip_cut,
                    f.print_box
                );
            }
            for f in &l.fingers {
                eprintln!(
                    "truth tip ({:.0},{:.0}) w {:.0} inside {:.2} counted {} box {:?}",
                    f.tip[0], f.tip[1], f.width_px, f.inside_fraction, f.counted, f.print_box
                );
            }
        }
        n += 1;
        let cok = rep.finger_count == l.finger_count;
        ok += cok as usize;
        let mut sok = true;
        if l.finger_count >= 3 && l.hand != Hand::Unknown {
            side_n += 1;
            if geo.hand == l.hand {
                side_ok += 1
            } else {
                sok = false;
                if geo.hand == Hand::Unknown {
                    side_unk += 1
                }
            }
        }
        // tips: match counted labels to nearest found tip
        let mut tip_bad = false;
        for fl in l.fingers.iter().filter(|f| f.counted) {
            tip_n += 1;
            let best = geo
                .fingers
                .iter()
                .map(|f| ((f.tip[0] - fl.tip[0]).powi(2) + (f.tip[1] - fl.tip[1]).powi(2)).sqrt())
                .fold(f32::MAX, f32::min);
            if best <= 0.3 * fl.width_px {
                tip_ok += 1
            } else {
                tip_bad = true
            }
        }
        let t_pof = l.reasons.contains(&ReasonCode::PartiallyOutOfFrame);
        let near_pof = l.near_threshold.contains(&ReasonCode::PartiallyOutOfFrame);
        let f_pof = rep.has(ReasonCode::PartiallyOutOfFrame);
        if !near_pof {
            match (t_pof, f_pof) {
                (true, true) => pof_tp += 1,
                (false, true) => pof_fp += 1,
                (true, false) => pof_fn += 1,
                _ => {}
            }
        }
        let t_nh = l.reasons.contains(&ReasonCode::NoHand);
        let f_nh = rep.has(ReasonCode::NoHand);
        match (t_nh, f_nh) {
            (true, true) => nh_tp += 1,
            (false, true) => nh_fp += 1,
            (true, false) => nh_fn += 1,
            _ => {}
        }
        if !cok || !sok || (t_pof != f_pof && !near_pof) || tip_bad {
            println!(
                "seed {seed}: count {} vs {} | hand {:?} vs {:?} ({:.2}) | pof {} vs {} | tipbad {} | bg {:?} tone {:.2} rot {:.0} ppi {:.0} intent {:?} thumb_ext {} mirrored {}",
                rep.finger_count,
                l.finger_count,
                geo.hand,
                l.hand,
                geo.hand_confidence,
                f_pof,
                t_pof,
                tip_bad,
                l.background,
                l.skin_tone,
                l.rotation_deg,
                l.ppi,
                l.intent,
                l.thumb_extended,
                l.mirrored
            );
            if dump {
                let img = overlay::draw(&scene.image, &an);
                let img = image::imageops::resize(
                    &img,
                    w / 2,
                    h / 2,
                    image::imageops::FilterType::Triangle,
                );
                img.save(format!("/tmp/geo/fail/{seed}.png")).unwrap();
            }
        }
    }
    let f1 = |tp: usize, fp: usize, fnn: usize| 2.0 * tp as f32 / (2 * tp + fp + fnn).max(1) as f32;
    println!(
        "count exact {ok}/{n} = {:.3}; side {side_ok}/{side_n} = {:.3} (unknown {side_unk}); tips {tip_ok}/{tip_n} = {:.3}; pof F1 {:.3} (tp {pof_tp} fp {pof_fp} fn {pof_fn}); no_hand F1 {:.3} (tp {nh_tp} fp {nh_fp} fn {nh_fn}); {} us/frame",
        ok as f32 / n as f32,
        side_ok as f32 / side_n.max(1) as f32,
        tip_ok as f32 / tip_n.max(1) as f32,
        f1(pof_tp, pof_fp, pof_fn),
        f1(nh_tp, nh_fp, nh_fn),
        us / n as u128
    );
}
