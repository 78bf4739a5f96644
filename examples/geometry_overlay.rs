//! Debug overlay of the segmentation and finger geometry stages.
//!
//! `cargo run --example geometry_overlay -- OUT_DIR IMAGE...` writes `OUT_DIR/<name>.png` for each
//! image: hand mask tinted green, finger pixels tinted blue, each finger's axis (yellow), tip
//! (red), print box (magenta when counted, grey when not), and prints the count and side.

use fingerqc::{Analyzer, Config, FrameView};
use image::{Rgb, RgbImage};
use imageproc::drawing::{draw_cross_mut, draw_hollow_rect_mut, draw_line_segment_mut};
use imageproc::rect::Rect as IRect;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let out_dir = args
        .next()
        .ok_or("usage: geometry_overlay OUT_DIR IMAGE...")?;
    std::fs::create_dir_all(&out_dir)?;
    let mut analyzer = Analyzer::new(Config::default())?;
    for path in args {
        let img = image::open(&path)?.to_rgb8();
        let frame = FrameView::from_rgb_image(&img)?;
        let report = analyzer.analyze(&frame)?;
        let overlay = draw(&img, &analyzer);
        let name = std::path::Path::new(&path)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "frame".into());
        let out = format!("{out_dir}/{name}.png");
        overlay.save(&out)?;
        let geo = analyzer.internals().geometry;
        println!(
            "{name}: count {} hand {:?} ({:.2}) angle {:.1} fingers {} -> {out}",
            report.finger_count,
            geo.hand,
            geo.hand_confidence,
            geo.angle_deg,
            geo.fingers.len()
        );
        for f in &geo.fingers {
            println!(
                "   tip ({:.0},{:.0}) w {:.1} len {:.0} inside {:.2} counted {} {:?} cut {} box {:?}",
                f.tip[0],
                f.tip[1],
                f.width_px,
                f.length_px,
                f.inside_fraction,
                f.counted,
                f.name,
                f.tip_cut,
                f.print_box
            );
        }
    }
    Ok(())
}

/// The frame with the stages' results drawn over it.
pub fn draw(img: &RgbImage, analyzer: &Analyzer) -> RgbImage {
    let int = analyzer.internals();
    let (mask, geo) = (int.mask, int.geometry);
    let mut out = img.clone();
    let f = mask.factor.max(1);
    let mw = mask.width as usize;
    for (x, y, p) in out.enumerate_pixels_mut() {
        let i = (y / f) as usize * mw + (x / f) as usize;
        let m = mask.mask.get(i).copied().unwrap_or(0);
        let fm = geo.finger_mask.get(i).copied().unwrap_or(0);
        if fm != 0 {
            p.0 = [p.0[0] / 2, p.0[1] / 2, p.0[2] / 2 + 120];
        } else if m != 0 {
            p.0 = [p.0[0] / 2, p.0[1] / 2 + 110, p.0[2] / 2];
        }
    }
    let thick = (img.width().max(img.height()) / 400).max(1) as i32;
    for fi in &geo.fingers {
        let len = fi.width_px * 2.5;
        let base = (
            fi.tip[0] - fi.direction[0] * len,
            fi.tip[1] - fi.direction[1] * len,
        );
        for t in 0..thick {
            let o = t as f32;
            draw_line_segment_mut(
                &mut out,
                (fi.tip[0] + o, fi.tip[1]),
                (base.0 + o, base.1),
                Rgb([255, 255, 0]),
            );
        }
        let colour = if fi.counted {
            Rgb([255, 0, 255])
        } else {
            Rgb([160, 160, 160])
        };
        let b = fi.print_box;
        if b.width > 0 && b.height > 0 {
            for t in 0..thick {
                let r = IRect::at(b.x as i32 + t, b.y as i32 + t).of_size(
                    (b.width as i32 - 2 * t).max(1) as u32,
                    (b.height as i32 - 2 * t).max(1) as u32,
                );
                draw_hollow_rect_mut(&mut out, r, colour);
            }
        }
        for t in 0..thick {
            draw_cross_mut(
                &mut out,
                Rgb([255, 0, 0]),
                fi.tip[0] as i32 + t,
                fi.tip[1] as i32,
            );
        }
    }
    out
}
