//! Dev aid: the live session over generated capture sequences (the session tests' generator),
//! per frame and per sequence: when the capture fires, the frame it keeps, and the true
//! resolution of its crops. `cargo run --release --example session_eval -- [START] [COUNT]
//! [--frames] [--json DIR]`; tune on seeds under 1_000_000, evaluate on those above.
//! With `--json DIR`, each frame's report goes to `DIR/<seed>.jsonl` with its labels, for
//! offline study of the per-frame estimates.
use fingerqc::session::{Session, SessionConfig};
use fingerqc::synth::{self, SequenceSpec};
use fingerqc::{Config, FrameView};
use std::io::Write;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let nums: Vec<u64> = args.iter().filter_map(|s| s.parse().ok()).collect();
    let start = nums.first().copied().unwrap_or(0);
    let count = nums.get(1).copied().unwrap_or(10);
    let frames = args.iter().any(|a| a == "--frames");
    let json_dir = args
        .iter()
        .position(|a| a == "--json")
        .and_then(|i| args.get(i + 1))
        .cloned();
    let (mut fired, mut crop_errs) = (0, Vec::new());
    // Sequences whose settled stretch is clean by its labels (a capture is due), and captures
    // on the others (a capture the labels say should not happen).
    let (mut due, mut due_fired, mut undue_fired) = (0, 0, 0);
    for seed in start..start + count {
        let spec = SequenceSpec {
            fps: 15.0,
            ..SequenceSpec::new(seed, 1920, 1080)
        };
        let settle = (spec.approach_s + spec.shake_s) as f64;
        let mut session =
            Session::new(Config::default(), SessionConfig::default()).expect("config");
        let mut out = json_dir.as_ref().map(|d| {
            std::fs::create_dir_all(d).expect("dir");
            std::io::BufWriter::new(
                std::fs::File::create(format!("{d}/{seed}.jsonl")).expect("file"),
            )
        });
        let mut labels = Vec::new();
        let mut capture = None;
        // Settled frames, and those among them whose labels hold no reason.
        let mut settled = (0usize, 0usize);
        for (t, scene_spec) in synth::sequence_specs(&spec) {
            let scene = synth::render(&scene_spec);
            let frame = FrameView::from_rgb_image(&scene.image).expect("frame");
            let g = session.feed(&frame, t).expect("feed");
            let l = &scene.labels;
            if frames && t >= settle {
                let p = &g.report.ppi;
                println!(
                    "  {seed} t {t:.2} n {}/{} blur {:.3} ppi {:.0} est {:?} ridges {:?} width \
                     {:?} speed {:?} ready {} shown {:?} raw {:?}{}",
                    g.report.finger_count,
                    l.finger_count,
                    l.blur_sigma_mm,
                    l.ppi,
                    g.report.estimated_ppi.map(|v| v.round()),
                    p.from_ridges.map(|v| v.round()),
                    p.from_width.map(|v| v.round()),
                    g.motion_mm_s.map(|v| v.round()),
                    g.ready,
                    g.primary,
                    g.report.reasons.iter().map(|x| x.code).collect::<Vec<_>>(),
                    if g.captured { " CAPTURED" } else { "" }
                );
            }
            if let Some(o) = out.as_mut() {
                let line = serde_json::json!({
                    "t": t,
                    "label": l,
                    "report": &g.report,
                    "ready": g.ready,
                    "shown": g.primary,
                    "captured": g.captured,
                });
                writeln!(o, "{line}").expect("write");
            }
            if g.captured && capture.is_none() {
                capture = session
                    .take_capture()
                    .map(|c| (c, l.ppi, l.ridge_period_mm));
            }
            labels.push((t, l.ppi, l.blur_sigma_mm, l.ridge_period_mm));
            if t >= settle {
                settled.0 += 1;
                settled.1 += usize::from(l.reasons.is_empty());
            }
        }
        // Due when at least half the settled frames are clean by their labels: the hold lasts
        // about a second, the capture needs 0.4 s of it.
        let is_due = settled.1 * 2 >= settled.0 && settled.0 > 0;
        due += usize::from(is_due);
        due_fired += usize::from(is_due && capture.is_some());
        undue_fired += usize::from(!is_due && capture.is_some());
        if !is_due {
            println!(
                "seed {seed}: labels clean on {} of {} settled frames: no capture due",
                settled.1, settled.0
            );
        }
        match capture {
            None => println!("seed {seed}: no capture"),
            Some((c, true_ppi, period)) => {
                fired += 1;
                let src = c.fingers.first().map_or(f32::NAN, |f| f.source_ppi);
                let crop = true_ppi * 500.0 / src;
                crop_errs.push(crop / 500.0 - 1.0);
                let best_blur = labels
                    .iter()
                    .filter(|x| x.0 >= settle)
                    .map(|x| x.2)
                    .fold(f32::MAX, f32::min);
                let kept_blur = labels
                    .iter()
                    .find(|x| (x.0 - c.timestamp_s).abs() < 1e-9)
                    .map_or(f32::NAN, |x| x.2);
                println!(
                    "seed {seed}: kept t {:.2} (blur {kept_blur:.3}, best settled {best_blur:.3}) \
                     frame {true_ppi:.0} ppi est {src:.1} crop {crop:.1} ppi ({:+.1}%), period \
                     {period:.3} mm, {} crops",
                    c.timestamp_s,
                    100.0 * (crop / 500.0 - 1.0),
                    c.fingers.len()
                );
            }
        }
    }
    crop_errs.sort_by(f32::total_cmp);
    let within = crop_errs.iter().filter(|e| e.abs() < 0.10).count();
    let rms = (crop_errs.iter().map(|e| e * e).sum::<f32>() / crop_errs.len().max(1) as f32).sqrt();
    println!(
        "capture due on {due} of {count} sequences, fired on {due_fired}; fired on {undue_fired} \
         of the {} not due",
        count as usize - due
    );
    println!(
        "captured {fired}/{count}; crops within 10%: {within}/{}; rms error {:.1}%; errors {:?}",
        crop_errs.len(),
        100.0 * rms,
        crop_errs
            .iter()
            .map(|e| (1000.0 * e).round() / 10.0)
            .collect::<Vec<_>>()
    );
}
