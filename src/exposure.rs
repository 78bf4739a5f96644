//! Exposure over finger pixels and specular glare on the fingers.
//!
//! The mean and percentiles come from the reduced-resolution luma (box averaging keeps the mean,
//! and a percentile of block means is what the eye judges as "the finger's brightness"). Clipped
//! pixels and glare spots are counted at FULL resolution, because a 5x5 specular spot vanishes in
//! a 6x6 block average: [`LowRes::max`] says which blocks hold a pixel bright enough, and only
//! those blocks are read again from the frame (Y plane in place, or BT.601 luma of RGB/BGRA).

use crate::config::{Config, GlareConfig};
use crate::frame::{FrameView, LowRes, PixelFormat, luma601};
use crate::report::{ExposureStats, GlareStats};

/// How far (in low-resolution blocks) a finger pixel may lie in each of the four directions for
/// a bright block outside the finger mask to count as a hole in the finger. Skin segmentation
/// drops near-white specular spots (their chroma is neutral), so they leave holes; requiring
/// finger on all four sides keeps the white background next to a finger's edge out.
const HOLE_REACH: usize = 4;

/// Measures exposure and glare; owns its scratch (a histogram, a per-block glare map and a
/// flood-fill stack), so a warm analyzer allocates nothing per frame.
#[derive(Debug)]
pub struct ExposureAnalyzer {
    hist: [u64; 256],
    glare_blocks: Vec<u8>,
    stack: Vec<u32>,
}

impl Default for ExposureAnalyzer {
    fn default() -> Self {
        ExposureAnalyzer {
            hist: [0; 256],
            glare_blocks: Vec::new(),
            stack: Vec::new(),
        }
    }
}

/// The smallest integer luma that is at or above `level` (256 when none is).
fn level_threshold(level: f32) -> u16 {
    if level.is_nan() {
        return 256;
    }
    level.ceil().clamp(0.0, 256.0) as u16
}

/// Value at quantile `q` (0-1) of a weighted histogram holding `total` weight (nearest rank).
fn percentile(hist: &[u64; 256], total: u64, q: f64) -> f32 {
    let rank = ((q * total as f64).ceil() as u64).clamp(1, total.max(1));
    let mut cum = 0u64;
    for (level, &c) in hist.iter().enumerate() {
        cum += c;
        if cum >= rank {
            return level as f32;
        }
    }
    255.0
}

/// Counts of bright full-resolution pixels in one block.
#[derive(Clone, Copy, Default)]
struct BlockCount {
    glare: u32,
    clipped: u32,
}

/// Counts the pixels of `x0..x1` x `y0..y1` at or above `glare_t` and at or above `clip_t`.
/// The caller guarantees the block lies inside the frame.
fn count_block(
    frame: &FrameView,
    x0: usize,
    x1: usize,
    y0: usize,
    y1: usize,
    glare_t: u16,
    clip_t: u16,
) -> BlockCount {
    let mut c = BlockCount::default();
    let mut tally = |l: u8| {
        c.glare += (l as u16 >= glare_t) as u32;
        c.clipped += (l as u16 >= clip_t) as u32;
    };
    for y in y0..y1 {
        if let Some(row) = frame.luma_row(y as u32) {
            if let Some(px) = row.get(x0..x1) {
                px.iter().for_each(|&l| tally(l));
            }
        } else {
            let bpp = frame.format().luma_bytes_per_pixel();
            let (ri, bi) = if frame.format() == PixelFormat::Bgra8 {
                (2, 0)
            } else {
                (0, 2)
            };
            let row = frame.packed_row(y as u32);
            if let Some(px) = row.get(x0 * bpp..x1 * bpp) {
                for p in px.chunks_exact(bpp) {
                    tally(luma601(p[ri], p[1], p[bi]));
                }
            }
        }
    }
    c
}

/// Whether block (`bx`, `by`), not itself finger, has finger within [`HOLE_REACH`] blocks to
/// its left, right, top and bottom: a hole the segmentation punched into a finger.
fn is_hole(mask: &[u8], w: usize, h: usize, bx: usize, by: usize) -> bool {
    let at = |x: usize, y: usize| mask[y * w + x] != 0;
    let left = (1..=HOLE_REACH.min(bx)).any(|d| at(bx - d, by));
    let right = (1..=HOLE_REACH)
        .take_while(|d| bx + d < w)
        .any(|d| at(bx + d, by));
    let up = (1..=HOLE_REACH.min(by)).any(|d| at(bx, by - d));
    let down = (1..=HOLE_REACH)
        .take_while(|d| by + d < h)
        .any(|d| at(bx, by + d));
    left && right && up && down
}

impl ExposureAnalyzer {
    /// An analyzer with empty scratch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Exposure statistics over the pixels where `finger_mask` (over `low`) is set, and glare
    /// found by revisiting at full resolution the blocks whose brightest pixel is bright enough.
    ///
    /// - `exposure.mean`, `p05`, `p50`, `p95`: from the block means of finger blocks, each
    ///   weighted by the number of frame pixels it covers (edge blocks are smaller).
    /// - `exposure.clipped_fraction`: full-resolution finger pixels at or above
    ///   `config.exposure.clipped_level`, over finger pixels.
    /// - `glare.level` = min(`level_cap`, mean + `level_above_mean`); `glare.pixels`: full-resolution
    ///   finger pixels at or above it; `glare.spots`: 8-connected groups of blocks holding glare.
    ///
    /// Bright blocks that the mask left out but that finger surrounds (specular spots are
    /// near-white, so skin segmentation drops them) count as finger. `finger_mask` must have
    /// `low`'s size and `low` must come from `frame`; otherwise only the low-resolution
    /// statistics are filled (nothing is counted at full resolution).
    pub fn measure(
        &mut self,
        frame: &FrameView,
        low: &LowRes,
        finger_mask: &[u8],
        config: &Config,
        exposure: &mut ExposureStats,
        glare: &mut GlareStats,
    ) {
        *exposure = ExposureStats::default();
        *glare = GlareStats::default();
        let (lw, lh) = (low.width as usize, low.height as usize);
        let n = lw * lh;
        if n == 0 || finger_mask.len() < n || low.luma.len() < n || low.max.len() < n {
            return;
        }
        let f = low.factor.max(1) as usize;
        let (w, h) = (frame.width() as usize, frame.height() as usize);
        // Whether `low` is this frame's reduction, so full-resolution blocks can be addressed.
        let same_frame = w.div_ceil(f) == lw && h.div_ceil(f) == lh;
        let (last_w, last_h) = if same_frame {
            (w - (lw - 1) * f, h - (lh - 1) * f)
        } else {
            (f, f)
        };
        let block_w = |bx: usize| if bx + 1 == lw { last_w } else { f } as u64;
        let block_h = |by: usize| if by + 1 == lh { last_h } else { f } as u64;

        self.hist.iter_mut().for_each(|v| *v = 0);
        for by in 0..lh {
            let bh = block_h(by);
            let m = &finger_mask[by * lw..(by + 1) * lw];
            let l = &low.luma[by * lw..(by + 1) * lw];
            for (bx, (&mi, &li)) in m.iter().zip(l.iter()).enumerate() {
                if mi != 0 {
                    self.hist[li as usize] += bh * block_w(bx);
                }
            }
        }
        let total: u64 = self.hist.iter().sum();
        if total == 0 {
            return;
        }
        let sum: u64 = self
            .hist
            .iter()
            .enumerate()
            .map(|(i, &c)| i as u64 * c)
            .sum();
        let mean = sum as f32 / total as f32;
        exposure.mean = mean;
        exposure.p05 = percentile(&self.hist, total, 0.05);
        exposure.p50 = percentile(&self.hist, total, 0.50);
        exposure.p95 = percentile(&self.hist, total, 0.95);
        exposure.pixels = total;

        let g = &config.glare;
        let level = g.level_cap.min(mean + g.level_above_mean);
        glare.level = level;
        if !same_frame {
            return;
        }
        let glare_t = level_threshold(level);
        let clip_t = config.exposure.clipped_level as u16;
        let revisit_t = glare_t.min(clip_t);
        self.glare_blocks.clear();
        self.glare_blocks.resize(n, 0);
        let (mut glare_px, mut clipped_px, mut hole_px) = (0u64, 0u64, 0u64);
        for by in 0..lh {
            for bx in 0..lw {
                let i = by * lw + bx;
                if (low.max[i] as u16) < revisit_t {
                    continue;
                }
                let in_mask = finger_mask[i] != 0;
                if !in_mask && !is_hole(finger_mask, lw, lh, bx, by) {
                    continue;
                }
                let (x0, y0) = (bx * f, by * f);
                let (x1, y1) = (x0 + block_w(bx) as usize, y0 + block_h(by) as usize);
                let c = count_block(frame, x0, x1, y0, y1, glare_t, clip_t);
                if !in_mask {
                    hole_px += block_w(bx) * block_h(by);
                }
                glare_px += c.glare as u64;
                clipped_px += c.clipped as u64;
                self.glare_blocks[i] = (c.glare > 0) as u8;
            }
        }
        let finger_px = total + hole_px;
        exposure.pixels = finger_px;
        exposure.clipped_fraction = clipped_px as f32 / finger_px as f32;
        glare.pixels = glare_px;
        glare.fraction = glare_px as f32 / finger_px as f32;
        glare.spots = self.count_spots(lw, lh);
    }

    /// Number of 8-connected groups of set blocks in `glare_blocks` (consumed: cleared as visited).
    fn count_spots(&mut self, w: usize, h: usize) -> u32 {
        let mut spots = 0u32;
        for start in 0..w * h {
            if self.glare_blocks[start] == 0 {
                continue;
            }
            spots += 1;
            self.glare_blocks[start] = 0;
            self.stack.clear();
            self.stack.push(start as u32);
            while let Some(i) = self.stack.pop() {
                let (x, y) = (i as usize % w, i as usize / w);
                for ny in y.saturating_sub(1)..=(y + 1).min(h - 1) {
                    for nx in x.saturating_sub(1)..=(x + 1).min(w - 1) {
                        let j = ny * w + nx;
                        if self.glare_blocks[j] != 0 {
                            self.glare_blocks[j] = 0;
                            self.stack.push(j as u32);
                        }
                    }
                }
            }
        }
        spots
    }
}

/// Mean luma over the masked pixels of a full-resolution region, and the share of them that are
/// glare (at or above min(`level_cap`, mean + `level_above_mean`)). One pass into a histogram
/// on the stack; returns (0, 0) when the mask is empty.
pub fn region_stats(luma: &[u8], mask: &[u8], glare: &GlareConfig) -> (f32, f32) {
    let mut hist = [0u32; 256];
    for (&l, &m) in luma.iter().zip(mask.iter()) {
        // Branch-free: masked-out pixels add to bin l with weight 0.
        hist[l as usize] += (m != 0) as u32;
    }
    let n: u64 = hist.iter().map(|&c| c as u64).sum();
    if n == 0 {
        return (0.0, 0.0);
    }
    let sum: u64 = hist
        .iter()
        .enumerate()
        .map(|(i, &c)| i as u64 * c as u64)
        .sum();
    let mean = sum as f32 / n as f32;
    let t = level_threshold(glare.level_cap.min(mean + glare.level_above_mean)) as usize;
    let bright: u64 = hist.iter().skip(t).map(|&c| c as u64).sum();
    (mean, bright as f32 / n as f32)
}
