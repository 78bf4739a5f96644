//! Dev aid for the analyzer's third pass: the first-pass hand mask (left, white) and the same
//! mask cut along the frame's edge map at the usual threshold (right, grey), with the pieces
//! the finger finder takes for fingers on the cut in green; prints the fingers it finds.
//! `cargo run --release --example cut_dump -- IMAGE...` -> /tmp/dbg/<name>_cut.png
use fingerqc::fingers::{FingerFinder, HandGeometry};
use fingerqc::segment::{HandMask, Segmenter};
use fingerqc::{Analyzer, Config, FrameView};
fn main() {
    for path in std::env::args().skip(1) {
        let img = image::open(&path).expect("open").to_rgb8();
        let frame = FrameView::from_rgb_image(&img).expect("frame");
        let mut an = Analyzer::new(Config::default()).expect("config");
        an.analyze(&frame).expect("analyze");
        let low = an.internals().low;
        let mut seg = Segmenter::new();
        let mut mask = HandMask::default();
        seg.segment(low, &mut mask);
        let mut cut = HandMask::default();
        let ok = seg.edge_cut(low, &mask, &mut cut);
        let mut finder = FingerFinder::default();
        let mut geo = HandGeometry::default();
        let config = Config::default();
        finder.find(&mask, low, &config, &mut geo);
        let n0 = geo.count();
        let mut geo2 = HandGeometry::default();
        finder.find(&cut, low, &config, &mut geo2);
        println!("{path}: first {n0} cut ok {ok} -> {}", geo2.count());
        for f in &geo2.fingers {
            println!(
                "   tip ({:.0},{:.0}) w {:.1} len {:.0} inside {:.2} counted {}",
                f.tip[0], f.tip[1], f.width_px, f.length_px, f.inside_fraction, f.counted
            );
        }
        let (w, h) = (mask.width, mask.height);
        let mut out = image::RgbImage::new(w * 2, h);
        for y in 0..h {
            for x in 0..w {
                let i = (y * w + x) as usize;
                let a = mask.mask.get(i).copied().unwrap_or(0);
                out.put_pixel(x, y, image::Rgb([a * 255, a * 255, a * 255]));
                let b = cut.mask.get(i).copied().unwrap_or(0);
                let g = geo2.finger_mask.get(i).copied().unwrap_or(0);
                out.put_pixel(
                    w + x,
                    y,
                    image::Rgb([b * 200, if g > 0 { 255 } else { b * 200 }, b * 200]),
                );
            }
        }
        let name = std::path::Path::new(&path)
            .file_stem()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        std::fs::create_dir_all("/tmp/dbg").expect("output folder");
        out.save(format!("/tmp/dbg/{name}_cut.png")).expect("save");
    }
}
