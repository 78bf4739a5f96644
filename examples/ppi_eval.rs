//! Dev aid: truth against reported ppi, per generated frame with a hand, with the ridge and
//! width estimates behind it. `cargo run --release --example ppi_eval -- [START] [COUNT]`
use fingerqc::{Analyzer, Config, FrameView};

fn main() {
    let mut args = std::env::args().skip(1);
    let mut next = |d: u64| args.next().and_then(|s| s.parse().ok()).unwrap_or(d);
    let (start, count) = (next(0), next(150));
    let (mut n, mut ok) = (0, 0);
    let mut errs = Vec::new();
    for seed in start..start + count {
        let scene = fingerqc::synth::scene(seed, 1280, 720);
        let l = &scene.labels;
        if l.finger_count == 0 {
            continue;
        }
        let mut an = Analyzer::new(Config {
            mirrored: l.mirrored,
            ..Config::default()
        })
        .expect("config");
        let frame = FrameView::from_rgb_image(&scene.image).expect("frame");
        let r = an.analyze(&frame).expect("analyze");
        let p = &r.ppi;
        let rel = p.ppi.map(|v| v / l.ppi - 1.0);
        n += 1;
        if let Some(e) = rel {
            errs.push(e);
        }
        let good = rel.is_some_and(|e| e.abs() <= 0.1);
        ok += good as u32;
        if !good {
            println!(
                "seed {seed}: truth {:.0} reported {:?} ridges {:?} width {:?} {:?} count {} vs {} blur_px {:.1} contrast {:.2}",
                l.ppi,
                p.ppi.map(|v| v.round()),
                p.from_ridges.map(|v| v.round()),
                p.from_width.map(|v| v.round()),
                p.source,
                r.finger_count,
                l.finger_count,
                l.blur_sigma_px,
                l.ridge_contrast
            );
        }
    }
    errs.sort_by(f32::total_cmp);
    let q = |f: f32| {
        errs.get(((errs.len() as f32 - 1.0) * f) as usize)
            .copied()
            .unwrap_or(0.0)
    };
    println!(
        "signed error quartiles {:.3} {:.3} {:.3}",
        q(0.25),
        q(0.5),
        q(0.75)
    );
    println!("ppi within 10%: {ok}/{n}");
}
