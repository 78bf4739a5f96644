//! Times the segmentation and finger-geometry stages alone.
//!
//! `cargo run --release --example geometry_timing -- IMAGE [WIDTH HEIGHT]` resizes the image to
//! the given size (default 1280x720) and reports microseconds per call of each stage.

use fingerqc::fingers::{FingerFinder, HandGeometry};
use fingerqc::frame::LowRes;
use fingerqc::segment::{self, HandMask, Segmenter};
use fingerqc::{Config, FrameView};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or("usage: geometry_timing IMAGE [W H]")?;
    let w: u32 = args.next().map(|s| s.parse()).transpose()?.unwrap_or(1280);
    let h: u32 = args.next().map(|s| s.parse()).transpose()?.unwrap_or(720);
    let img = image::open(&path)?.to_rgb8();
    let img = image::imageops::resize(&img, w, h, image::imageops::FilterType::Triangle);
    let frame = FrameView::from_rgb_image(&img)?;
    let config = Config::default();
    let mut low = LowRes::default();
    let mut mask = HandMask::default();
    let mut seg = Segmenter::new();
    let mut finder = FingerFinder::new();
    let mut geo = HandGeometry::default();
    let reps = 50;
    let t0 = std::time::Instant::now();
    for _ in 0..reps {
        frame.downsample_into(segment::work_factor(w, h), &mut low);
    }
    let t1 = std::time::Instant::now();
    for _ in 0..reps {
        seg.segment(&low, &mut mask);
    }
    let t2 = std::time::Instant::now();
    for _ in 0..reps {
        finder.find(&mask, &low, &config, &mut geo);
    }
    let t3 = std::time::Instant::now();
    let us =
        |a: std::time::Instant, b: std::time::Instant| (b - a).as_micros() as f64 / reps as f64;
    println!(
        "{w}x{h} (low {}x{}): downsample {:.0} us, segment {:.0} us, fingers {:.0} us; count {}",
        low.width,
        low.height,
        us(t0, t1),
        us(t1, t2),
        us(t2, t3),
        geo.count()
    );
    Ok(())
}
