//! Dev aid: finger count with the generator's true hand mask in place of the segmenter's, to
//! tell how much of the counting error is the mask and how much the finger tracker.
//! `cargo run --release --example oracle_mask -- [START] [COUNT] [W] [H]`
use fingerqc::fingers::{FingerFinder, HandGeometry};
use fingerqc::segment::HandMask;
use fingerqc::{Analyzer, Config, FrameView};

fn main() {
    let mut args = std::env::args().skip(1);
    let mut next = |d: u64| args.next().and_then(|s| s.parse().ok()).unwrap_or(d);
    let (start, count, w, h) = (next(0), next(200), next(1280) as u32, next(720) as u32);
    let (mut n, mut ok_real, mut ok_oracle) = (0, 0, 0);
    for seed in start..start + count {
        let scene = fingerqc::synth::scene(seed, w, h);
        let config = Config {
            mirrored: scene.labels.mirrored,
            ..Config::default()
        };
        let mut an = Analyzer::new(config.clone()).expect("config");
        let frame = FrameView::from_rgb_image(&scene.image).expect("frame");
        let report = an.analyze(&frame).expect("analyze");
        let m = an.internals().mask;
        let f = m.factor;
        let mut truth = HandMask::default();
        truth.copy_from(m);
        let mut area = 0;
        for y in 0..m.height {
            for x in 0..m.width {
                let (px, py) = ((x * f + f / 2).min(w - 1), (y * f + f / 2).min(h - 1));
                let t = scene.mask.get_pixel(px, py)[0] & fingerqc::synth::MASK_HAND != 0;
                truth.mask[(y * m.width + x) as usize] = t as u8;
                area += t as u32;
            }
        }
        truth.area = area;
        let mut finder = FingerFinder::new();
        let mut geo = HandGeometry::default();
        finder.find(&truth, an.internals().low, &config, &mut geo);
        let tc = scene.labels.finger_count;
        n += 1;
        ok_real += (report.finger_count == tc) as u32;
        ok_oracle += (geo.count() == tc) as u32;
        if geo.count() != tc || report.finger_count != tc {
            println!(
                "seed {seed}: truth {tc} real {} oracle {} bg {:?}",
                report.finger_count,
                geo.count(),
                scene.labels.background
            );
            if std::env::var_os("ORACLE_DETAIL").is_some() {
                for f in &geo.fingers {
                    println!(
                        "   found tip ({:.0},{:.0}) w {:.0} inside {:.2} counted {} cut {}",
                        f.tip[0], f.tip[1], f.width_px, f.inside_fraction, f.counted, f.tip_cut
                    );
                }
                for f in &scene.labels.fingers {
                    println!(
                        "   truth {:?} tip ({:.0},{:.0}) w {:.0} inside {:.2} counted {}",
                        f.name, f.tip[0], f.tip[1], f.width_px, f.inside_fraction, f.counted
                    );
                }
            }
        }
    }
    println!(
        "frames {n}: count exact real {:.3}, with true mask {:.3}",
        ok_real as f64 / n as f64,
        ok_oracle as f64 / n as f64
    );
}
