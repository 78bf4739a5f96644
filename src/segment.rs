//! Hand segmentation on the reduced-resolution image: which low-resolution pixels are hand.

use crate::frame::LowRes;

/// The long side, in pixels, that the reduced-resolution work image aims for.
pub const WORK_LONG_SIDE: u32 = 400;

/// The integer downsampling factor that brings a `width` x `height` frame near
/// [`WORK_LONG_SIDE`] (even for YUV 4:2:0 so chroma blocks align; at least 1).
pub fn work_factor(width: u32, height: u32) -> u32 {
    let long = width.max(height);
    let f = (long as f32 / WORK_LONG_SIDE as f32).round().max(1.0) as u32;
    if f > 1 && f % 2 == 1 { f + 1 } else { f }
}

/// A hand mask over a [`LowRes`] image.
#[derive(Clone, Debug, Default)]
pub struct HandMask {
    /// Width in low-resolution pixels.
    pub width: u32,
    /// Height in low-resolution pixels.
    pub height: u32,
    /// Full-resolution pixels per mask pixel along each axis.
    pub factor: u32,
    /// 1 where the pixel is hand, 0 elsewhere; row-major.
    pub mask: Vec<u8>,
    /// Number of hand pixels.
    pub area: u32,
}

/// Segments the hand; owns its scratch buffers.
#[derive(Debug, Default)]
pub struct Segmenter {}

impl Segmenter {
    /// A segmenter with empty scratch.
    pub fn new() -> Self {
        Segmenter::default()
    }

    /// Fills `out` with the hand mask of `low`.
    pub fn segment(&mut self, low: &LowRes, out: &mut HandMask) {
        // Placeholder until the segmentation lands: loose fixed skin box in YCbCr.
        out.width = low.width;
        out.height = low.height;
        out.factor = low.factor;
        out.mask.resize(low.luma.len(), 0);
        let mut area = 0;
        for i in 0..low.luma.len() {
            let (cb, cr) = (low.cb[i], low.cr[i]);
            let skin = (77..=127).contains(&cb) && (133..=173).contains(&cr);
            out.mask[i] = skin as u8;
            area += skin as u32;
        }
        out.area = area;
    }
}
