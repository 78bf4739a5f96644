//! Dev aid: writes, for generated scenes, the low-resolution colour image, the hand mask and the
//! generator's true hand mask side by side.
//! `cargo run --release --example mask_dump -- [--1080] SEED...` -> /tmp/dbg/<seed>_mask.png
use fingerqc::{Analyzer, Config, FrameView};
fn main() {
    let mut size = (1280, 720);
    for s in std::env::args().skip(1) {
        if s == "--1080" {
            size = (1920, 1080);
            continue;
        }
        let seed: u64 = s.parse().expect("seed");
        let scene = fingerqc::synth::scene(seed, size.0, size.1);
        let mut an = Analyzer::new(Config {
            mirrored: scene.labels.mirrored,
            ..Config::default()
        })
        .expect("config");
        let frame = FrameView::from_rgb_image(&scene.image).expect("frame");
        let r = an.analyze(&frame).expect("analyze");
        let m = an.internals().mask;
        let (w, h) = (m.width, m.height);
        let f = m.factor;
        let mut img = image::RgbImage::new(w * 4, h);
        for y in 0..h {
            for x in 0..w {
                let i = (y * w + x) as usize;
                let (px, py) = (
                    (x * f + f / 2).min(size.0 - 1),
                    (y * f + f / 2).min(size.1 - 1),
                );
                let c = *scene.image.get_pixel(px, py);
                img.put_pixel(x, y, c);
                let g = an
                    .internals()
                    .geometry
                    .finger_mask
                    .get(i)
                    .copied()
                    .unwrap_or(0);
                let v = if m.mask[i] != 0 { 255 } else { 0 };
                img.put_pixel(w + x, y, image::Rgb([v, if g != 0 { 0 } else { v }, v]));
                let t = scene.mask.get_pixel(px, py)[0] & fingerqc::synth::MASK_HAND != 0;
                let t = if t { 255 } else { 0 };
                img.put_pixel(2 * w + x, y, image::Rgb([t, t, t]));
                let low = an.internals().low;
                let tx = low.max[i].saturating_sub(low.luma[i]).saturating_mul(8);
                img.put_pixel(3 * w + x, y, image::Rgb([tx, tx, tx]));
            }
        }
        println!(
            "seed {seed}: truth {} found {} bg {:?}",
            scene.labels.finger_count, r.finger_count, scene.labels.background
        );
        img.save(format!("/tmp/dbg/{seed}_mask.png")).expect("save");
    }
}
