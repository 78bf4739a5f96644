//! Shared by the benches and the allocation test: a frame's bytes in every pixel format, from
//! packed RGB, so both measure the same inputs. Included with `#[path]`.

use fingerqc::PixelFormat;
use fingerqc::frame::ycbcr601;

/// A frame's bytes in `format`, tightly packed (as `FrameView::from_bytes` reads them).
pub fn convert(rgb: &[u8], w: u32, h: u32, f: PixelFormat) -> Vec<u8> {
    let (w, h) = (w as usize, h as usize);
    let px = |i: usize| (rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2]);
    let ycc = |i: usize| {
        let (r, g, b) = px(i);
        ycbcr601(r, g, b)
    };
    match f {
        PixelFormat::Gray8 => (0..w * h).map(|i| ycc(i).0).collect(),
        PixelFormat::Rgb8 => rgb.to_vec(),
        PixelFormat::Rgba8 => (0..w * h)
            .flat_map(|i| {
                let (r, g, b) = px(i);
                [r, g, b, 255]
            })
            .collect(),
        PixelFormat::Bgra8 => (0..w * h)
            .flat_map(|i| {
                let (r, g, b) = px(i);
                [b, g, r, 255]
            })
            .collect(),
        _ => {
            let mut out: Vec<u8> = (0..w * h).map(|i| ycc(i).0).collect();
            let (mut u, mut v) = (Vec::new(), Vec::new());
            for cy in 0..h / 2 {
                for cx in 0..w / 2 {
                    let (_, cb, cr) = ycc(2 * cy * w + 2 * cx);
                    u.push(cb);
                    v.push(cr);
                }
            }
            match f {
                PixelFormat::I420 => {
                    out.extend(u);
                    out.extend(v);
                }
                PixelFormat::Nv12 => out.extend(u.iter().zip(&v).flat_map(|(&a, &b)| [a, b])),
                _ => out.extend(u.iter().zip(&v).flat_map(|(&a, &b)| [b, a])),
            }
            out
        }
    }
}
