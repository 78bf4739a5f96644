//! Dev aid: writes the low-resolution luma and hand mask of generated scenes side by side.
//! `cargo run --release --example mask_dump -- SEED...` -> /tmp/dbg/<seed>_mask.png
use fingerqc::{Analyzer, Config, FrameView};
fn main() {
    for s in std::env::args().skip(1) {
        let seed: u64 = s.parse().expect("seed");
        let scene = fingerqc::synth::scene(seed, 1280, 720);
        let mut an = Analyzer::new(Config {
            mirrored: scene.labels.mirrored,
            ..Config::default()
        })
        .expect("config");
        let frame = FrameView::from_rgb_image(&scene.image).expect("frame");
        let _ = an.analyze(&frame).expect("analyze");
        let m = an.internals().mask;
        let (w, h) = (m.width, m.height);
        let low = an.internals().low;
        let mut img = image::GrayImage::new(w * 2, h);
        for y in 0..h {
            for x in 0..w {
                let i = (y * w + x) as usize;
                img.put_pixel(x, y, image::Luma([low.luma[i]]));
                img.put_pixel(
                    w + x,
                    y,
                    image::Luma([if m.mask[i] != 0 { 255 } else { 0 }]),
                );
            }
        }
        let img = image::imageops::resize(&img, w * 4, h * 2, image::imageops::FilterType::Nearest);
        img.save(format!("/tmp/dbg/{seed}_mask.png")).expect("save");
    }
}
