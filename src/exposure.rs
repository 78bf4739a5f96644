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
use crate::segment::{LabelScratch, label};

/// Measures exposure and glare; owns its scratch (a histogram, a per-block glare map and a
/// flood-fill stack), so a warm analyzer allocates nothing per frame.
#[derive(Debug)]
pub struct ExposureAnalyzer {
    hist: [u64; 256],
    /// Per low-resolution block: [`FINGER`], [`GLARE`], [`SEEN`] bits.
    state: Vec<u8>,
    /// Per block: full-resolution glare pixels counted in it.
    block_glare: Vec<u32>,
    /// Per block: sum of the luma of those glare pixels.
    block_glare_sum: Vec<u32>,
    stack: Vec<u32>,
    rim: Vec<u32>,
    edge: Vec<u32>,
    /// Labels of the non-finger blocks (4-connected), and the state each label's blocks get.
    labels: Vec<u32>,
    lscratch: LabelScratch,
    comp_state: Vec<u8>,
}

/// Block state bit: finger (in the mask, or a bright hole inside a finger).
const FINGER: u8 = 1;
/// Block state bit: holds full-resolution glare pixels (interior finger blocks only).
const GLARE: u8 = 2;
/// Block state bit: visited by the patch search.
const SEEN: u8 = 4;
/// Block state bit: background (not finger, not a hole in a finger).
const OUTSIDE: u8 = 8;
/// Block state bit: glare on at least half of the block's pixels.
const DENSE: u8 = 16;
/// Block state bit: counted in the rim of the current candidate.
const RIM: u8 = 64;

impl Default for ExposureAnalyzer {
    fn default() -> Self {
        ExposureAnalyzer {
            hist: [0; 256],
            state: Vec::new(),
            block_glare: Vec::new(),
            block_glare_sum: Vec::new(),
            stack: Vec::new(),
            rim: Vec::new(),
            edge: Vec::new(),
            labels: Vec::new(),
            lscratch: LabelScratch::default(),
            comp_state: Vec::new(),
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
    glare_sum: u32,
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
        let is_glare = l as u16 >= glare_t;
        c.glare += is_glare as u32;
        c.glare_sum += if is_glare { l as u32 } else { 0 };
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
    /// - `glare.level` = min(`level_cap`, mean + `level_above_mean`); `glare.pixels`:
    ///   full-resolution finger pixels at or above it inside specular spots; `glare.spots`: the
    ///   number of spots.
    ///
    /// Holes in the mask that finger encloses (specular spots are near-white, so skin
    /// segmentation drops them) count as finger. Bright pixels are counted in interior finger
    /// blocks only (an outline block also holds background), and glare only in patches that
    /// look like specular spots (see `accept_spots`): a spot's pixels must average
    /// `glare.min_spot_contrast` above the skin around it, so an over-exposed finger, the lit
    /// side of a finger or ridge crests on bright skin are not glare. `finger_mask` must have
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
        let mut mask_blocks = 0u64;
        for by in 0..lh {
            let bh = block_h(by);
            let m = &finger_mask[by * lw..(by + 1) * lw];
            let l = &low.luma[by * lw..(by + 1) * lw];
            // Every block of a row but the last is `f` pixels wide.
            let (body, last) = (bh * f as u64, bh * block_w(lw - 1));
            let (m_body, m_last) = m.split_at(lw - 1);
            let (l_body, l_last) = l.split_at(lw - 1);
            for (&mi, &li) in m_body.iter().zip(l_body) {
                if mi != 0 {
                    self.hist[li as usize] += body;
                    mask_blocks += 1;
                }
            }
            if m_last[0] != 0 {
                self.hist[l_last[0] as usize] += last;
                mask_blocks += 1;
            }
        }
        let mut total: u64 = self.hist.iter().sum();
        if total == 0 {
            // No finger: the whole frame's brightness, so that a frame too dark to find a hand
            // in says so. No glare or clipping is judged without fingers.
            for by in 0..lh {
                let bh = block_h(by);
                let l = &low.luma[by * lw..(by + 1) * lw];
                for (bx, &li) in l.iter().enumerate() {
                    self.hist[li as usize] += bh * block_w(bx);
                }
            }
            total = self.hist.iter().sum();
            if total == 0 {
                return;
            }
            let sum: u64 = self
                .hist
                .iter()
                .enumerate()
                .map(|(i, &c)| i as u64 * c)
                .sum();
            exposure.mean = sum as f32 / total as f32;
            exposure.p05 = percentile(&self.hist, total, 0.05);
            exposure.p50 = percentile(&self.hist, total, 0.50);
            exposure.p95 = percentile(&self.hist, total, 0.95);
            exposure.pixels = total;
            exposure.whole_frame = true;
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

        // Which blocks are finger: the mask, plus the holes it left inside a finger (skin
        // segmentation drops near-white specular spots, whose chroma is neutral).
        let max_hole_blocks = (g.max_spot_fraction * mask_blocks as f32) as usize;
        let hole_px = self.mark_finger(finger_mask, lw, lh, max_hole_blocks, &block_w, &block_h);
        let finger_px = total + hole_px;
        exposure.pixels = finger_px;

        // Count bright pixels in interior finger blocks only: a block on the finger's outline
        // also holds background, and a white wall behind a finger is neither glare nor clipping.
        // Sized, not cleared: they are read only at blocks marked GLARE, which are written
        // below in this frame (the state is rebuilt per frame).
        self.block_glare.resize(n, 0);
        self.block_glare_sum.resize(n, 0);
        let (mut clipped_px, mut any_glare) = (0u64, false);
        // Candidates (finger blocks bright enough to revisit) are rare: runs of `SKIP` blocks
        // are first tested together, branch-free so the test vectorises, and skipped whole
        // when none qualifies (the same blocks visited in the same order).
        const SKIP: usize = 16;
        for by in 0..lh {
            for start in (0..lw).step_by(SKIP) {
                let row = by * lw;
                let end = (start + SKIP).min(lw);
                let any = self.state[row + start..row + end]
                    .iter()
                    .zip(&low.max[row + start..row + end])
                    .fold(false, |a, (&s, &m)| {
                        a | ((s & FINGER != 0) & (m as u16 >= revisit_t))
                    });
                if !any {
                    continue;
                }
                for bx in start..end {
                    let i = row + bx;
                    if self.state[i] & FINGER == 0 || (low.max[i] as u16) < revisit_t {
                        continue;
                    }
                    // Neighbours outside the frame count as finger: nothing shows from there.
                    let finger_at = |x: usize, y: usize| self.state[y * lw + x] & FINGER != 0;
                    let interior = (bx == 0 || finger_at(bx - 1, by))
                        && (bx + 1 == lw || finger_at(bx + 1, by))
                        && (by == 0 || finger_at(bx, by - 1))
                        && (by + 1 == lh || finger_at(bx, by + 1));
                    if !interior {
                        continue;
                    }
                    let (x0, y0) = (bx * f, by * f);
                    let (x1, y1) = (x0 + block_w(bx) as usize, y0 + block_h(by) as usize);
                    let c = count_block(frame, x0, x1, y0, y1, glare_t, clip_t);
                    clipped_px += c.clipped as u64;
                    if c.glare > 0 {
                        self.block_glare[i] = c.glare;
                        self.block_glare_sum[i] = c.glare_sum;
                        let area = (block_w(bx) * block_h(by)) as u32;
                        self.state[i] |= GLARE;
                        if 2 * c.glare >= area {
                            self.state[i] |= DENSE;
                        }
                        any_glare = true;
                    }
                }
            }
        }
        exposure.clipped_fraction = clipped_px as f32 / finger_px as f32;
        if any_glare {
            let max_spot_px = g.max_spot_fraction * finger_px as f32;
            let (px, spots) = self.accept_spots(low, g.min_spot_contrast, max_spot_px);
            glare.pixels = px;
            glare.spots = spots;
        }
        glare.fraction = glare.pixels as f32 / finger_px as f32;
    }

    /// Sets [`FINGER`] on the mask's blocks and on the holes in it: the groups of non-mask
    /// blocks (4-connected) that do not reach the frame's border, up to `max_hole_blocks` each
    /// (a larger enclosed area is background seen through touching fingers, not a spot). The
    /// gaps between fingers open onto the border, so they stay background. Returns the frame
    /// pixels the holes add.
    fn mark_finger(
        &mut self,
        finger_mask: &[u8],
        w: usize,
        h: usize,
        max_hole_blocks: usize,
        block_w: &dyn Fn(usize) -> u64,
        block_h: &dyn Fn(usize) -> u64,
    ) -> u64 {
        let n = w * h;
        // The groups of non-mask blocks, labelled by runs (union-find), rather than flooded
        // block by block: the same sets, so the same states, at a fraction of the cost.
        let ncomp = label(
            &finger_mask[..n],
            0,
            w,
            h,
            false,
            &mut self.labels,
            &mut self.lscratch,
        ) as usize;
        // Groups reaching the frame's border are background.
        self.comp_state.clear();
        self.comp_state.resize(ncomp + 1, 0);
        let rows = [0, h - 1];
        for &y in &rows {
            for &l in &self.labels[y * w..(y + 1) * w] {
                self.comp_state[l as usize] = OUTSIDE;
            }
        }
        for y in 0..h {
            for x in [0, w - 1] {
                let l = self.labels[y * w + x] as usize;
                self.comp_state[l] = OUTSIDE;
            }
        }
        // The others are enclosed by finger: holes, finger when small enough.
        self.comp_state[0] = FINGER;
        for (c, st) in self.comp_state.iter_mut().enumerate().skip(1) {
            if *st == 0 {
                let area = self.lscratch.area.get(c).copied().unwrap_or(u32::MAX) as usize;
                *st = if area <= max_hole_blocks {
                    FINGER
                } else {
                    OUTSIDE
                };
            }
        }
        let mut hole_px = 0u64;
        for (a, b, l) in self.lscratch.labelled_runs(w) {
            if l != 0 && self.comp_state.get(l as usize) == Some(&FINGER) {
                let bh = block_h(a / w);
                for x in a % w..a % w + (b - a) {
                    hole_px += block_w(x) * bh;
                }
            }
        }
        self.state.clear();
        let comp_state = &self.comp_state;
        self.state.extend(
            self.labels[..n]
                .iter()
                .map(|&l| comp_state.get(l as usize).copied().unwrap_or(OUTSIDE)),
        );
        hole_px
    }

    /// Reference for `mark_finger`: the block-by-block flood fill it replaced.
    #[cfg(test)]
    fn mark_finger_flood(
        &mut self,
        finger_mask: &[u8],
        w: usize,
        h: usize,
        max_hole_blocks: usize,
        block_w: &dyn Fn(usize) -> u64,
        block_h: &dyn Fn(usize) -> u64,
    ) -> u64 {
        let n = w * h;
        self.state.clear();
        self.state.extend(
            finger_mask[..n]
                .iter()
                .map(|&m| if m != 0 { FINGER } else { 0 }),
        );
        // Background: everything not finger reachable from the border.
        self.stack.clear();
        for i in 0..n {
            let (x, y) = (i % w, i / w);
            let border = x == 0 || y == 0 || x + 1 == w || y + 1 == h;
            if border && self.state[i] == 0 {
                self.state[i] = OUTSIDE;
                self.stack.push(i as u32);
            }
        }
        while let Some(i) = self.stack.pop() {
            let i = i as usize;
            let (x, y) = (i % w, i / w);
            let mut visit = |j: usize, stack: &mut Vec<u32>| {
                if self.state[j] == 0 {
                    self.state[j] = OUTSIDE;
                    stack.push(j as u32);
                }
            };
            if x > 0 {
                visit(i - 1, &mut self.stack);
            }
            if x + 1 < w {
                visit(i + 1, &mut self.stack);
            }
            if y > 0 {
                visit(i - w, &mut self.stack);
            }
            if y + 1 < h {
                visit(i + w, &mut self.stack);
            }
        }
        // What is left unmarked is enclosed by finger: one hole at a time.
        let mut hole_px = 0u64;
        for start in 0..n {
            if self.state[start] != 0 {
                continue;
            }
            self.rim.clear();
            self.stack.clear();
            self.state[start] = OUTSIDE;
            self.stack.push(start as u32);
            while let Some(i) = self.stack.pop() {
                let i = i as usize;
                self.rim.push(i as u32);
                let (x, y) = (i % w, i / w);
                for (ok, j) in [
                    (x > 0, i.wrapping_sub(1)),
                    (x + 1 < w, i + 1),
                    (y > 0, i.wrapping_sub(w)),
                    (y + 1 < h, i + w),
                ] {
                    if ok && self.state[j] == 0 {
                        self.state[j] = OUTSIDE;
                        self.stack.push(j as u32);
                    }
                }
            }
            if self.rim.len() <= max_hole_blocks {
                for &i in &self.rim {
                    let i = i as usize;
                    self.state[i] = FINGER;
                    hole_px += block_w(i % w) * block_h(i / w);
                }
            }
        }
        self.rim.clear();
        hole_px
    }

    /// Finds the specular spots among the blocks holding glare pixels and returns their glare
    /// pixels and how many there are.
    ///
    /// First, spots with a core: 8-connected dense blocks (glare on at least half of the
    /// block) plus the glare blocks touching them (the spot's edge, taken but not grown from).
    /// Then the glare blocks left, 8-connected (spots smaller than a block, wet-skin speckle),
    /// kept as candidates when they span at most [`SMALL_SPOT_BLOCKS`] blocks each way or glare
    /// covers at least [`SPARSE_MIN_DENSITY`] of their blocks. Ridge crests of bright skin that
    /// reach the level make large, thin networks of sparse glare: growing only through dense
    /// blocks keeps a spot from merging with them, and the density rule keeps them from
    /// passing for a spot (against their darker rim, the valleys, they stand out as much as a
    /// spot does).
    ///
    /// A candidate is kept when the mean luma of its glare pixels is at least `min_contrast`
    /// above the mean of the finger blocks bordering it (glare pixels, not block means, so a
    /// small spot is not diluted), and it holds at most `max_spot_px` glare pixels. Broad
    /// bright areas (an over-exposed finger, the lit side of a finger) lack the darker rim or
    /// are too large.
    fn accept_spots(&mut self, low: &LowRes, min_contrast: f32, max_spot_px: f32) -> (u64, u32) {
        let (w, h) = (low.width as usize, low.height as usize);
        let (mut pixels, mut spots) = (0u64, 0u32);
        // Seeds are rare: runs of `SKIP` blocks are first tested together, branch-free so the
        // test vectorises, and skipped whole when none is a seed. A run is tested when the scan
        // reaches it, after the floods started before it, so the same seeds are taken in the
        // same order as block by block.
        const SKIP: usize = 32;
        let n = (w * h).min(self.state.len());
        for pass in [DENSE, GLARE] {
            let is_seed = |s: u8| s & (pass | SEEN) == pass;
            for run in (0..n).step_by(SKIP) {
                let end = (run + SKIP).min(n);
                if !self.state[run..end]
                    .iter()
                    .fold(false, |any, &s| any | is_seed(s))
                {
                    continue;
                }
                for start in run..end {
                    if !is_seed(self.state[start]) {
                        continue;
                    }
                    let p = self.patch(low, start, pass == DENSE);
                    let area = p.blocks * (low.factor as u64).pow(2);
                    let small = p.bbox[2] - p.bbox[0] < SMALL_SPOT_BLOCKS
                        && p.bbox[3] - p.bbox[1] < SMALL_SPOT_BLOCKS;
                    let compact =
                        pass == DENSE || small || p.px as f32 >= SPARSE_MIN_DENSITY * area as f32;
                    if compact && p.rim_n > 0 && p.in_n > 0 {
                        let contrast =
                            p.in_sum as f32 / p.in_n as f32 - p.rim_sum as f32 / p.rim_n as f32;
                        if contrast >= min_contrast && p.px as f32 <= max_spot_px {
                            pixels += p.px;
                            spots += 1;
                        }
                    }
                }
            }
        }
        (pixels, spots)
    }

    /// Floods one candidate from `start`: through dense blocks (attaching partly covered
    /// neighbours) when `dense`, else through any unvisited glare blocks. Marks what it takes.
    fn patch(&mut self, low: &LowRes, start: usize, dense: bool) -> Patch {
        let (w, h) = (low.width as usize, low.height as usize);
        let mut p = Patch::default();
        self.state[start] |= SEEN;
        self.stack.clear();
        self.stack.push(start as u32);
        self.rim.clear();
        self.edge.clear();
        let take = |i: usize, p: &mut Patch| {
            p.px += self.block_glare[i] as u64;
            p.in_sum += self.block_glare_sum[i] as u64;
            p.in_n += self.block_glare[i] as u64;
            p.blocks += 1;
            let (x, y) = ((i % w) as u32, (i / w) as u32);
            p.bbox = if p.blocks == 1 {
                [x, y, x, y]
            } else {
                [
                    p.bbox[0].min(x),
                    p.bbox[1].min(y),
                    p.bbox[2].max(x),
                    p.bbox[3].max(y),
                ]
            };
        };
        while let Some(i) = self.stack.pop() {
            let i = i as usize;
            take(i, &mut p);
            let (x, y) = (i % w, i / w);
            for ny in y.saturating_sub(1)..=(y + 1).min(h - 1) {
                for nx in x.saturating_sub(1)..=(x + 1).min(w - 1) {
                    let j = ny * w + nx;
                    let st = self.state[j];
                    if st & (SEEN | RIM) != 0 || st & FINGER == 0 {
                        continue;
                    }
                    let grow = if dense {
                        st & DENSE != 0
                    } else {
                        st & GLARE != 0
                    };
                    if grow {
                        self.state[j] |= SEEN;
                        self.stack.push(j as u32);
                    } else if st & GLARE != 0 {
                        // Next to a dense core: the spot's edge, counted, not grown from
                        // (its other neighbours are rim, below).
                        self.state[j] |= SEEN;
                        take(j, &mut p);
                        self.edge.push(j as u32);
                    } else {
                        // Skin around the candidate.
                        self.state[j] |= RIM;
                        self.rim.push(j as u32);
                        p.rim_sum += low.luma[j] as u64;
                        p.rim_n += 1;
                    }
                }
            }
        }
        // The skin beyond the spot's edge blocks.
        for k in 0..self.edge.len() {
            let i = self.edge[k] as usize;
            let (x, y) = (i % w, i / w);
            for ny in y.saturating_sub(1)..=(y + 1).min(h - 1) {
                for nx in x.saturating_sub(1)..=(x + 1).min(w - 1) {
                    let j = ny * w + nx;
                    let st = self.state[j];
                    if st & (SEEN | RIM) == 0 && st & FINGER != 0 {
                        self.state[j] |= RIM;
                        self.rim.push(j as u32);
                        p.rim_sum += low.luma[j] as u64;
                        p.rim_n += 1;
                    }
                }
            }
        }
        self.edge.clear();
        // Rim marks are per candidate: the next one may border the same skin.
        for &j in &self.rim {
            self.state[j as usize] &= !RIM;
        }
        self.rim.clear();
        p
    }
}

/// Widest and tallest (in blocks) a group of sparse glare blocks may be and still be a candidate
/// whatever its density. A spot with no dense block holds no whole block, so one of its sides
/// is under two blocks and it straddles at most three; a roundish spot, three each way.
const SMALL_SPOT_BLOCKS: u32 = 3;
/// Least share of its blocks' pixels that a larger group of sparse glare blocks must cover to
/// be a candidate (ridge crests on bright skin cover 10-20%; set on generator seeds 0..499,
/// where 0.2 and 0.3 score alike, and on the ridge-crest unit test).
const SPARSE_MIN_DENSITY: f32 = 0.3;

/// Statistics of one glare candidate.
#[derive(Default)]
struct Patch {
    /// Glare pixels.
    px: u64,
    /// Sum and count of the glare pixels' luma.
    in_sum: u64,
    in_n: u64,
    /// Blocks taken.
    blocks: u64,
    /// Bounding box of the blocks taken: x0, y0, x1, y1 (inclusive).
    bbox: [u32; 4],
    /// Sum and count of the bordering finger blocks' mean luma.
    rim_sum: u64,
    rim_n: u64,
}

/// Mean luma over the masked pixels of a full-resolution region, and the share of them that are
/// glare (at or above min(`level_cap`, mean + `level_above_mean`)). One pass into a histogram
/// on the stack; returns (0, 0) when the mask is empty.
pub fn region_stats(luma: &[u8], mask: &[u8], glare: &GlareConfig) -> (f32, f32) {
    let w = luma.len().min(mask.len());
    region_stats_strided(luma, mask, w, 1, w, glare)
}

/// [`region_stats`] of a `width` x `height` region whose rows lie `stride` bytes apart in `luma`
/// and `mask` (a sub-rectangle of a larger copy, read in place): the same result as on a
/// contiguous copy. (0, 0) when the buffers are too short or `stride < width`.
pub fn region_stats_strided(
    luma: &[u8],
    mask: &[u8],
    width: usize,
    height: usize,
    stride: usize,
    glare: &GlareConfig,
) -> (f32, f32) {
    let span = height
        .saturating_sub(1)
        .saturating_mul(stride)
        .saturating_add(width);
    if stride < width || luma.len() < span || mask.len() < span {
        return (0.0, 0.0);
    }
    region_stats_fast(luma, mask, width, height, stride, glare)
}

crate::kernels::avx2_twin! {
    /// [`region_stats_portable`], as AVX2 when the CPU has it: 32 pixels a vector instruction
    /// instead of 16, the same exact integer sums, so the same result.
    fn region_stats_fast / region_stats_avx2(
        luma: &[u8],
        mask: &[u8],
        width: usize,
        height: usize,
        stride: usize,
        glare: &GlareConfig,
    ) -> (f32, f32) => region_stats_portable
}

/// The caller checked that `height` rows of `width` bytes, `stride` apart, fit both buffers.
#[inline(always)]
fn region_stats_portable(
    luma: &[u8],
    mask: &[u8],
    width: usize,
    height: usize,
    stride: usize,
    glare: &GlareConfig,
) -> (f32, f32) {
    // Two vectorised passes (count and sum; then the pixels at or above the level), exact
    // integers as the histogram gave, so the same mean and fraction as `region_stats_hist`.
    // Chunks of 255 pixels let the counts run in u8 lanes and the sums in u16 lanes (255 *
    // 255 < 2^16), 16 and 8 pixels a vector instruction.
    const CHUNK: usize = 255;
    let rows = || {
        (0..height).map(move |r| {
            let a = r * stride;
            (&luma[a..a + width], &mask[a..a + width])
        })
    };
    let (mut n, mut sum) = (0u64, 0u64);
    for (lr, mr) in rows() {
        for (lc, mc) in lr.chunks(CHUNK).zip(mr.chunks(CHUNK)) {
            let (mut c, mut s) = (0u8, 0u16);
            for (&l, &m) in lc.iter().zip(mc) {
                let k = (m != 0) as u8;
                c += k;
                s += (l & 0u8.wrapping_sub(k)) as u16;
            }
            n += c as u64;
            sum += s as u64;
        }
    }
    if n == 0 {
        return (0.0, 0.0);
    }
    let mean = sum as f32 / n as f32;
    let t = level_threshold(glare.level_cap.min(mean + glare.level_above_mean));
    let mut bright = 0u64;
    if let Ok(t) = u8::try_from(t) {
        for (lr, mr) in rows() {
            for (lc, mc) in lr.chunks(CHUNK).zip(mr.chunks(CHUNK)) {
                let mut c = 0u8;
                for (&l, &m) in lc.iter().zip(mc) {
                    c += ((l >= t) & (m != 0)) as u8;
                }
                bright += c as u64;
            }
        }
    }
    (mean, bright as f32 / n as f32)
}

/// Reference for [`region_stats`]: the histogram form it replaced.
#[cfg(test)]
fn region_stats_hist(luma: &[u8], mask: &[u8], glare: &GlareConfig) -> (f32, f32) {
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

#[cfg(test)]
mod kernel_tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        // Integer results: tolerance zero (the f32 mean and fraction come from equal integers).
        #[test]
        fn region_stats_matches_histogram(
            luma in proptest::collection::vec(any::<u8>(), 0..3000),
            mask in proptest::collection::vec(0u8..3, 0..3000),
            cap in 100f32..256.0,
            above in 0f32..120.0,
        ) {
            let g = GlareConfig { level_cap: cap, level_above_mean: above, ..GlareConfig::default() };
            prop_assert_eq!(region_stats(&luma, &mask, &g), region_stats_hist(&luma, &mask, &g));
            let w = luma.len().min(mask.len());
            prop_assert_eq!(
                region_stats_portable(&luma, &mask, w, 1, w, &g),
                region_stats_hist(&luma, &mask, &g)
            );
        }

        // Sparse finger masks make many holes, some on the border, some large.
        #[test]
        fn mark_finger_matches_flood(
            (w, h, mask) in (1usize..30, 1usize..30).prop_flat_map(|(w, h)| {
                (Just(w), Just(h), proptest::collection::vec(prop_oneof![2 => Just(1u8), 1 => Just(0u8), 1 => Just(7u8)], w * h))
            }),
            max_hole in 0usize..12,
            f in 1u64..7,
        ) {
            let bw = |x: usize| f + (x as u64 % 3);
            let bh = |y: usize| f + (y as u64 % 2);
            let mut a = ExposureAnalyzer::new();
            let mut b = ExposureAnalyzer::new();
            let pa = a.mark_finger(&mask, w, h, max_hole, &bw, &bh);
            let pb = b.mark_finger_flood(&mask, w, h, max_hole, &bw, &bh);
            prop_assert_eq!(pa, pb);
            prop_assert_eq!(a.state, b.state);
        }
    }
}
