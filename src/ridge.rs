//! Ridges inside a fingertip at full resolution: orientation, coherence, period and clarity.
//!
//! The region is cut into square blocks on a grid (a sample of them when there are many). In
//! each block that lies inside the finger and is not clipped:
//! - the gradient structure tensor gives the ridge normal and the coherence
//!   (lambda_max - lambda_min) / (lambda_max + lambda_min);
//! - the pixels of a strip across the ridges are projected onto the normal (the x-signature of
//!   Hong, Wan and Jain, 1998), which averages the ridges along their length;
//! - a Hann-windowed DFT of that profile, searched on a fine frequency grid with parabolic
//!   interpolation of the log magnitude, gives the block's period, the ridge amplitude at it,
//!   the amplitudes at its second and third harmonics, and the share of the profile's energy in
//!   the spectral peak.
//!
//! The period of the fingertip is the weighted median of the block periods (weights: coherence
//! times peak share). Regions larger than about 700 ppi are box-decimated first so that blocks
//! hold about five ridges whatever the distance, and the cost stays bounded.

use std::f32::consts::PI;

/// Shortest ridge period (pixels) reported: below it ridges are not resolved.
pub const MIN_PERIOD_PX: f32 = 3.5;
/// Blocks per fingertip at most; more candidates are thinned on a coarser grid.
const MAX_BLOCKS: usize = 24;
/// Width of the projected strip along the ridges, as a share of the block side: long enough
/// to average noise, short enough that curved ridges stay straight within it.
const STRIP_SHARE: f32 = 0.4;
/// Fingertip size (pixels, after decimation) above which the region is box-decimated.
const MAX_WORK_SIZE: f32 = 560.0;
/// Block side as a share of the fingertip size, about five ridge periods.
const BLOCK_SHARE: f32 = 0.12;
/// Profile samples per pixel across the ridges.
const BINS_PER_PX: f32 = 2.0;
/// Default luma at and above which pixels count as clipped.
const DEFAULT_CLIP: u8 = 250;

/// What one block of the fingertip showed.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RidgeBlock {
    /// Block centre, x, in region pixels.
    pub x: f32,
    /// Block centre, y, in region pixels.
    pub y: f32,
    /// Direction of the ridge normal (across the ridges), radians in [-pi/2, pi/2].
    pub normal_rad: f32,
    /// Orientation coherence (lambda_max - lambda_min) / (lambda_max + lambda_min), 0-1.
    pub coherence: f32,
    /// The block's own ridge period, region pixels (0 when the block has no spectral peak).
    pub period_px: f32,
    /// Amplitude (half peak-to-peak of the fitted sinusoid) of the ridge profile at the
    /// period, luma levels.
    pub amplitude: f32,
    /// Amplitude at twice the ridge frequency (0 beyond Nyquist), luma levels.
    pub harmonic2: f32,
    /// Amplitude at three times the ridge frequency (0 beyond Nyquist), luma levels.
    pub harmonic3: f32,
    /// How much the finger's curvature shortens ridge periods here, 0-1: the surface turns
    /// away from the camera towards the silhouette, so ridges across that slope look closer
    /// together by this factor (1 on the pad's crown, or when the region has no silhouette).
    /// `period_px` is corrected for it.
    pub foreshortening: f32,
    /// Amplitude at the fingertip's period (the consensus of the blocks), luma levels; for
    /// blocks whose own peak is elsewhere or absent (ridges faded by motion, say), this is what
    /// is left of the ridges. Equals `amplitude` when the fingertip's period is unresolved.
    pub amplitude_at_period: f32,
    /// Amplitude at twice the fingertip's ridge frequency, luma levels.
    pub harmonic2_at_period: f32,
    /// Amplitude a profile of pure noise would show at any frequency, luma levels: the floor
    /// below which amplitudes mean nothing.
    pub noise_amplitude: f32,
    /// Mean luma of the block's measured pixels.
    pub mean: f32,
    /// Share of the profile's energy in the spectral peak, 0-1 (FDA-like).
    pub peak_fraction: f32,
    /// Share of the pixel variance explained by the ridge sinusoid, 0-1 (LCS-like).
    pub signal_fraction: f32,
    /// Whether the block's period counted towards the fingertip's.
    pub valid: bool,
}

/// What the ridge stage measured in one fingertip.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RidgeMeasure {
    /// Ridge period in pixels (coherence-weighted median over blocks), when resolved.
    pub period_px: Option<f32>,
    /// Orientation coherence, 0-1 (1 = perfectly line-like), mean over the measured blocks.
    pub coherence: f32,
    /// Ridge/valley separation, 0-1: over the measured blocks, the mean share of the pixel
    /// variance that the ridge sinusoid explains, counting blocks without ridges as 0. Sharp
    /// clean ridges score 0.5-0.9; noisy, broken or dirty ones well below 0.3.
    pub clarity: f32,
    /// Ridge amplitude at the period over local mean brightness (median over valid blocks).
    pub modulation: f32,
    /// Blocks that contributed to the period.
    pub blocks: u32,
    /// Blocks measured (inside the finger, not clipped), valid or not.
    pub blocks_measured: u32,
    /// Relative spread of the valid blocks' periods (median absolute deviation over median).
    pub period_spread: f32,
    /// Integer factor the region was box-decimated by before measuring (1 up to about 700 ppi).
    /// Amplitudes in `detail` are measured at that scale; positions and periods are in region
    /// pixels.
    pub scale: u32,
    /// Block side, region pixels.
    pub block_px: u32,
    /// Every measured block; its capacity is reused from call to call.
    pub detail: Vec<RidgeBlock>,
}

impl RidgeMeasure {
    /// Resets to "nothing measured" keeping `detail`'s capacity.
    fn reset(&mut self) {
        self.period_px = None;
        self.coherence = 0.0;
        self.clarity = 0.0;
        self.modulation = 0.0;
        self.blocks = 0;
        self.blocks_measured = 0;
        self.period_spread = 0.0;
        self.scale = 1;
        self.block_px = 0;
        self.detail.clear();
    }
}

/// Measures ridges; owns its scratch buffers.
#[derive(Debug)]
pub struct RidgeAnalyzer {
    clip_level: u8,
    dec: Vec<u8>,
    dec_mask: Vec<u8>,
    probe: Probe,
    sort: Vec<(f32, f32)>,
    /// Windowed profiles of the measured blocks, one after the other.
    profiles: Vec<f32>,
    /// The finger's direction (unit vector, image coordinates), when known.
    axis: Option<[f32; 2]>,
}

impl Default for RidgeAnalyzer {
    fn default() -> Self {
        RidgeAnalyzer {
            clip_level: DEFAULT_CLIP,
            dec: Vec::new(),
            dec_mask: Vec::new(),
            probe: Probe::default(),
            sort: Vec::new(),
            profiles: Vec::new(),
            axis: None,
        }
    }
}

impl RidgeAnalyzer {
    /// An analyzer with empty scratch.
    pub fn new() -> Self {
        RidgeAnalyzer::default()
    }

    /// Sets the luma at and above which pixels count as clipped and are left out (default 250).
    pub fn set_clip_level(&mut self, level: u8) {
        self.clip_level = level;
    }

    /// Tells the next measurements the finger's direction (a unit vector from base to tip, in
    /// image coordinates), or that it is unknown. With it, ridge periods are corrected for the
    /// finger's curvature across that direction (see [`RidgeBlock::foreshortening`]).
    pub fn set_finger_axis(&mut self, direction: Option<[f32; 2]>) {
        self.axis = direction
            .filter(|d| d[0].is_finite() && d[1].is_finite() && (d[0] != 0.0 || d[1] != 0.0));
    }

    /// Measures the ridges of a `width` x `height` luma region; `mask` (same size, 1 = finger)
    /// says which pixels belong to the finger. Regions too small or buffers too short give an
    /// empty measure.
    pub fn measure(
        &mut self,
        luma: &[u8],
        mask: &[u8],
        width: usize,
        height: usize,
        out: &mut RidgeMeasure,
    ) {
        self.measure_strided(luma, mask, width, height, width, out);
    }

    /// [`RidgeAnalyzer::measure`] of a region whose rows lie `stride` bytes apart in `luma` and
    /// `mask` (a sub-rectangle of a larger copy, read in place); the same result as measuring a
    /// contiguous copy of it. A stride below `width` gives an empty measure.
    pub fn measure_strided(
        &mut self,
        luma: &[u8],
        mask: &[u8],
        width: usize,
        height: usize,
        stride: usize,
        out: &mut RidgeMeasure,
    ) {
        out.reset();
        let n = width.saturating_mul(height);
        // Bytes spanned by the region's rows: the last row needs only `width`.
        let span = (height.saturating_sub(1))
            .saturating_mul(stride)
            .saturating_add(width);
        if n == 0 || stride < width || luma.len() < span || mask.len() < span {
            return;
        }
        // The print box's longer side: one finger width or a little more (boxes run from about
        // 0.7 to 1.3 widths tall), so blocks hold about five ridges at any distance.
        let size = width.max(height) as f32;
        let k = ((size / MAX_WORK_SIZE).ceil() as usize).clamp(1, 16);
        let clip = self.clip_level;
        // Above ~700 ppi blocks are measured on a k-fold box-decimated copy, made block by
        // block (only the sampled blocks are read).
        let (w, h) = (width / k, height / k);
        let b = ((size / k as f32 * BLOCK_SHARE).round() as usize)
            .clamp(24, 64)
            .min(w.min(h));
        if b < 16 {
            return;
        }
        out.scale = k as u32;
        out.block_px = (b * k) as u32;
        self.profiles.clear();
        // Block corners on a grid: blocks may overlap by a quarter when the region is small,
        // and spread out so that at most about MAX_BLOCKS fit when it is large.
        let spacing = (0.75 * b as f32).max((w as f32 * h as f32 / MAX_BLOCKS as f32).sqrt());
        let nx = ((w - b) as f32 / spacing) as usize + 1;
        let ny = ((h - b) as f32 / spacing) as usize + 1;
        let ox = (w - b) as f32 - (nx - 1) as f32 * spacing;
        let oy = (h - b) as f32 - (ny - 1) as f32 * spacing;
        let kf = k as f32;
        for by in 0..ny {
            for bx in 0..nx {
                let x0 = (0.5 * ox + bx as f32 * spacing) as usize;
                let y0 = (0.5 * oy + by as f32 * spacing) as usize;
                let found = if k == 1 {
                    let img = Image {
                        px: &luma[..span],
                        mask: &mask[..span],
                        w: width,
                        h: height,
                        stride,
                        clip,
                    };
                    self.probe.block(&img, x0, y0, b)
                } else {
                    decimate_block(
                        luma,
                        mask,
                        stride,
                        (x0 * k, y0 * k),
                        b,
                        k,
                        clip,
                        &mut self.dec,
                        &mut self.dec_mask,
                    );
                    let img = Image {
                        px: &self.dec,
                        mask: &self.dec_mask,
                        w: b,
                        h: b,
                        stride: b,
                        clip,
                    };
                    self.probe.block(&img, 0, 0, b).map(|mut blk| {
                        blk.x += x0 as f32;
                        blk.y += y0 as f32;
                        blk
                    })
                };
                if let Some(mut blk) = found {
                    self.profiles.extend_from_slice(&self.probe.prof);
                    blk.x = (blk.x + 0.5) * kf - 0.5;
                    blk.y = (blk.y + 0.5) * kf - 0.5;
                    blk.period_px *= kf;
                    out.detail.push(blk);
                }
            }
        }
        foreshorten(out, mask, width, height, stride, self.axis);
        summarise(out, &mut self.sort);
        self.amplitudes_at_period(out);
    }

    /// Fills each block's amplitudes at the fingertip's period from its stored profile.
    fn amplitudes_at_period(&self, out: &mut RidgeMeasure) {
        let len = self.probe.win.len();
        let wsum: f32 = self.probe.win.iter().sum();
        let kf = out.scale.max(1) as f32;
        for (i, blk) in out.detail.iter_mut().enumerate() {
            let (a1, a2) = match (out.period_px, self.profiles.get(i * len..(i + 1) * len)) {
                (Some(p), Some(prof)) if wsum > 0.0 && p > 0.0 => {
                    // Cycles per profile sample at the decimated scale, at the period the
                    // curvature leaves here.
                    let f = kf / (p * blk.foreshortening.max(0.2)) / BINS_PER_PX;
                    let amp = |f: f32| {
                        if f < 0.5 / BINS_PER_PX {
                            2.0 * power(prof, f).sqrt() / wsum
                        } else {
                            0.0
                        }
                    };
                    (amp(f), amp(2.0 * f))
                }
                _ => (blk.amplitude, blk.harmonic2),
            };
            blk.amplitude_at_period = a1;
            blk.harmonic2_at_period = a2;
        }
    }
}

/// Fingertip summary from the measured blocks.
fn summarise(out: &mut RidgeMeasure, sort: &mut Vec<(f32, f32)>) {
    let measured = out.detail.len();
    out.blocks_measured = measured as u32;
    if measured == 0 {
        return;
    }
    let mut coh = 0.0;
    let mut clar = 0.0;
    for b in &out.detail {
        coh += b.coherence;
        if b.valid {
            clar += b.signal_fraction;
        }
    }
    out.coherence = coh / measured as f32;
    out.clarity = clar / measured as f32;
    sort.clear();
    sort.extend(
        out.detail
            .iter()
            .filter(|b| b.valid)
            .map(|b| (b.period_px, b.coherence * b.peak_fraction)),
    );
    let nvalid = sort.len();
    out.blocks = nvalid as u32;
    let Some(period) = weighted_median(sort) else {
        return;
    };
    // Spread: median absolute relative deviation (unweighted).
    for s in sort.iter_mut() {
        *s = (((s.0 - period) / period).abs(), 1.0);
    }
    let spread = weighted_median(sort).unwrap_or(1.0);
    out.period_spread = spread;
    sort.clear();
    sort.extend(
        out.detail
            .iter()
            .filter(|b| b.valid && b.mean > 1.0)
            .map(|b| (b.amplitude / b.mean, 1.0)),
    );
    out.modulation = weighted_median(sort).unwrap_or(0.0);
    // Resolved when a few blocks agree: at least 3 (or a fifth of the measured ones), and their
    // periods cluster (a random-noise field gives scattered block periods).
    let enough = nvalid >= 3 && nvalid * 5 >= measured;
    if enough && spread < 0.2 && period >= MIN_PERIOD_PX {
        out.period_px = Some(period);
    }
}

/// Lateral position beyond which (as a share of the half-width) blocks are too foreshortened
/// to date the period: the surface there is tilted by more than ~58 degrees.
const MAX_LATERAL: f32 = 0.85;

/// Corrects block periods for the finger's curvature. A fingertip is close to a cylinder (a
/// sphere at the tip): at lateral position u (0 on the crown, 1 at the silhouette) the surface
/// is tilted by asin(u), so distances towards the silhouette shrink by cos = sqrt(1 - u^2) and
/// a ridge whose normal makes an angle beta with that direction shows a period shorter by
/// sqrt(cos^2 beta cos^2 + sin^2 beta). u comes from each block's distance to the mask's edge
/// (the half-width is the largest such distance); blocks with u > MAX_LATERAL do not vote on
/// the period. Regions whose mask covers nearly everything (flat contact prints, no mask)
/// are left alone.
fn foreshorten(
    out: &mut RidgeMeasure,
    mask: &[u8],
    w: usize,
    h: usize,
    stride: usize,
    axis: Option<[f32; 2]>,
) {
    for b in out.detail.iter_mut() {
        b.foreshortening = 1.0;
    }
    let n = w * h;
    if n == 0 || stride < w || mask.len() < (h - 1) * stride + w || out.detail.is_empty() {
        return;
    }
    // Every 7th pixel in row-major order of the region (as if it were contiguous).
    let inside = count_every_7th(mask, w, h, stride);
    if inside * 100 >= n.div_ceil(7) * 97 {
        return;
    }
    // For each block: along 8 axes, the distances to the mask's edge both ways; the axis
    // with the shortest chord is across the finger, and where the block sits on that chord
    // says how far round the curve it is (0 on the centre line, 1 at the silhouette).
    // Leaving the region is not the silhouette: such axes are open and skipped.
    const AXES: usize = 8;
    let step = ((w.min(h) as f32) / 100.0).max(1.5);
    let reach = 1.5 * w.max(h) as f32;
    // With the finger's direction known, the lateral axis is across it, and the region's
    // border counts as the silhouette (the print box is about one finger wide).
    let exit_is_edge = axis.is_some();
    let march = |x: f32, y: f32, c: f32, s: f32| -> Option<f32> {
        let mut t = 0.0;
        loop {
            let (px, py) = (x + t * c, y + t * s);
            if px < 0.0 || py < 0.0 || px >= w as f32 || py >= h as f32 || t > reach {
                return exit_is_edge.then_some(t);
            }
            if mask[py as usize * stride + px as usize] == 0 {
                return Some(t);
            }
            t += step;
        }
    };
    for b in out.detail.iter_mut() {
        let mut best: Option<(f32, f32, f32)> = None;
        let lateral = axis.map(|d| d[1].atan2(d[0]) + 0.5 * PI);
        for k in 0..if lateral.is_some() { 1 } else { AXES } {
            let a = lateral.unwrap_or(k as f32 * PI / AXES as f32);
            let (s, c) = a.sin_cos();
            if let (Some(d1), Some(d2)) = (march(b.x, b.y, c, s), march(b.x, b.y, -c, -s)) {
                if best.is_none_or(|(chord, _, _)| d1 + d2 < chord) {
                    best = Some((d1 + d2, (d1 - d2).abs(), a));
                }
            }
        }
        let Some((chord, off, dir)) = best else {
            continue;
        };
        if chord <= 0.0 {
            continue;
        }
        let u = (off / chord).clamp(0.0, 0.99);
        let cos_a2 = 1.0 - u * u;
        let cb = (b.normal_rad - dir).cos();
        let f = (cb * cb * cos_a2 + (1.0 - cb * cb)).sqrt().clamp(0.1, 1.0);
        b.foreshortening = f;
        if b.period_px > 0.0 {
            b.period_px /= f;
        }
        if u > MAX_LATERAL {
            b.valid = false;
        }
    }
}

/// Nonzero mask bytes among every 7th pixel of a `w` x `h` region in row-major order (pixel
/// `i` at row `i / w`, column `i % w`, rows `stride` apart). The column is carried from row to
/// row instead of divided out per pixel (the division was most of `foreshorten`'s time).
fn count_every_7th(mask: &[u8], w: usize, h: usize, stride: usize) -> usize {
    let mut count = 0;
    // Column of the first sampled pixel of the current row.
    let mut x0 = 0;
    for y in 0..h {
        let row = &mask[y * stride..y * stride + w];
        let mut x = x0;
        while x < w {
            count += (row[x] != 0) as usize;
            x += 7;
        }
        x0 = x - w;
    }
    count
}

/// Integer statistics of every other pixel of every other row of a block (see [`sample_stats`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct SampleStats {
    seen: u32,
    inside: u32,
    clipped: u32,
    sum: u32,
    sumsq: u32,
}

/// Counts, over pixels `(x0 + 2i, y0 + 2j)` of the `b` x `b` block at `(x0, y0)` (rows `w`
/// apart), the samples, those inside the mask, those at or above `clip`, and the sum and sum of
/// squares of their grey levels. Integer sums, so any order gives the same result; the pairs of
/// bytes are read as whole `u16` words (low byte = the sampled pixel) so the loop vectorises
/// (the `step_by(2)` form it replaced ran one pixel at a time and was a third of `block`).
/// The caller keeps the block inside the image; blocks are at most 64 px, far below the ~510
/// at which `sumsq` would leave `u32`.
#[inline]
fn sample_stats(
    px: &[u8],
    mask: &[u8],
    w: usize,
    x0: usize,
    y0: usize,
    b: usize,
    clip: u8,
) -> SampleStats {
    let mut s = SampleStats::default();
    for y in (y0..y0 + b).step_by(2) {
        let row = &px[y * w + x0..y * w + x0 + b];
        let mrow = &mask[y * w + x0..y * w + x0 + b];
        let (mut inside, mut clipped, mut sum, mut sumsq) = (0u32, 0u32, 0u32, 0u32);
        let pairs = row.chunks_exact(2).zip(mrow.chunks_exact(2));
        for (p2, m2) in pairs {
            let (p, m) = (p2[0], m2[0]);
            inside += (m != 0) as u32;
            clipped += (p >= clip) as u32;
            sum += p as u32;
            sumsq += p as u32 * p as u32;
        }
        // An odd width leaves its last pixel (an even offset) outside the pairs.
        if b % 2 == 1 {
            let (p, m) = (row[b - 1], mrow[b - 1]);
            inside += (m != 0) as u32;
            clipped += (p >= clip) as u32;
            sum += p as u32;
            sumsq += p as u32 * p as u32;
        }
        s.seen += b.div_ceil(2) as u32;
        s.inside += inside;
        s.clipped += clipped;
        s.sum += sum;
        s.sumsq += sumsq;
    }
    s
}

/// Reference for [`sample_stats`]: the `step_by(2)` loop it replaced.
#[cfg(test)]
fn sample_stats_scalar(
    px: &[u8],
    mask: &[u8],
    w: usize,
    x0: usize,
    y0: usize,
    b: usize,
    clip: u8,
) -> SampleStats {
    let mut s = SampleStats::default();
    for y in (y0..y0 + b).step_by(2) {
        let row = &px[y * w + x0..y * w + x0 + b];
        let mrow = &mask[y * w + x0..y * w + x0 + b];
        for (&p, &m) in row.iter().zip(mrow).step_by(2) {
            s.seen += 1;
            s.inside += (m != 0) as u32;
            s.clipped += (p >= clip) as u32;
            s.sum += p as u32;
            s.sumsq += p as u32 * p as u32;
        }
    }
    s
}

/// Reference for [`count_every_7th`]: the per-pixel division it replaced.
#[cfg(test)]
fn count_every_7th_scalar(mask: &[u8], w: usize, h: usize, stride: usize) -> usize {
    (0..w * h)
        .step_by(7)
        .filter(|&i| mask[i / w * stride + i % w] != 0)
        .count()
}

/// Weighted median of (value, weight) pairs; sorts in place. None when the weights sum to 0.
pub(crate) fn weighted_median(v: &mut [(f32, f32)]) -> Option<f32> {
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total: f32 = v.iter().map(|p| p.1.max(0.0)).sum();
    if total <= 0.0 || !total.is_finite() {
        return None;
    }
    let mut acc = 0.0;
    for p in v.iter() {
        acc += p.1.max(0.0);
        if acc >= 0.5 * total {
            return Some(p.0);
        }
    }
    v.last().map(|p| p.0)
}

/// Box-decimates the `b * k` square of `luma` and `mask` at `origin` into a `b` x `b` block. A
/// decimated pixel is clipped (255) when any of its sources is, and inside the mask when at
/// least half its sources are. The caller keeps the square inside the region. Row by row: each
/// source row's `b * k` pixels are added into the `b` output columns' sums in one pass
/// (`k`-wide chunks, unrolled for k = 2, 3, 4), rather than `k` slices of `k` pixels per
/// output pixel; integer sums, so the same result as [`decimate_block_scalar`].
#[allow(clippy::too_many_arguments)]
fn decimate_block(
    luma: &[u8],
    mask: &[u8],
    stride: usize,
    origin: (usize, usize),
    b: usize,
    k: usize,
    clip: u8,
    dec: &mut Vec<u8>,
    dec_mask: &mut Vec<u8>,
) {
    dec.clear();
    dec.resize(b * b, 0);
    dec_mask.clear();
    dec_mask.resize(b * b, 0);
    // Blocks are at most 64 wide (the caller clamps b to 24..=64).
    const MAX_B: usize = 64;
    if b > MAX_B || k == 0 {
        return;
    }
    let area = (k * k) as u32;
    let inv_area = 1.0 / area as f32;
    for dy in 0..b {
        let (mut s, mut ms, mut top) = ([0u32; MAX_B], [0u32; MAX_B], [0u8; MAX_B]);
        let (s, ms, top) = (&mut s[..b], &mut ms[..b], &mut top[..b]);
        for yy in 0..k {
            let at = (origin.1 + dy * k + yy) * stride + origin.0;
            let (Some(p), Some(m)) = (luma.get(at..at + b * k), mask.get(at..at + b * k)) else {
                return;
            };
            match k {
                2 => decimate_row::<2>(p, m, s, ms, top),
                3 => decimate_row::<3>(p, m, s, ms, top),
                4 => decimate_row::<4>(p, m, s, ms, top),
                _ => {
                    let cols = p.chunks_exact(k).zip(m.chunks_exact(k));
                    for ((pc, mc), ((s, ms), top)) in
                        cols.zip(s.iter_mut().zip(&mut *ms).zip(&mut *top))
                    {
                        for (&p, &m) in pc.iter().zip(mc) {
                            *s += p as u32;
                            *ms += (m != 0) as u32;
                            *top = (*top).max(p);
                        }
                    }
                }
            }
        }
        let (drow, mrow) = (
            &mut dec[dy * b..(dy + 1) * b],
            &mut dec_mask[dy * b..(dy + 1) * b],
        );
        for ((((d, dm), &s), &ms), &top) in drow.iter_mut().zip(mrow).zip(&*s).zip(&*ms).zip(&*top)
        {
            // A multiply, not an integer division by a variable (~10x slower here).
            *d = if top >= clip {
                255
            } else {
                (s as f32 * inv_area + 0.5).min(254.0) as u8
            };
            *dm = (2 * ms >= area) as u8;
        }
    }
}

/// One source row of [`decimate_block`] for a compile-time `K`: `K` pixels into each output
/// column's sum, mask count and maximum.
#[inline(always)]
fn decimate_row<const K: usize>(p: &[u8], m: &[u8], s: &mut [u32], ms: &mut [u32], top: &mut [u8]) {
    let cols = p.chunks_exact(K).zip(m.chunks_exact(K));
    for ((pc, mc), ((s, ms), top)) in cols.zip(s.iter_mut().zip(ms.iter_mut()).zip(top.iter_mut()))
    {
        for i in 0..K {
            *s += pc[i] as u32;
            *ms += (mc[i] != 0) as u32;
            *top = (*top).max(pc[i]);
        }
    }
}

/// Reference for [`decimate_block`]: one output pixel at a time, `k` short row slices each.
#[cfg(test)]
#[allow(clippy::too_many_arguments)]
fn decimate_block_scalar(
    luma: &[u8],
    mask: &[u8],
    stride: usize,
    origin: (usize, usize),
    b: usize,
    k: usize,
    clip: u8,
    dec: &mut Vec<u8>,
    dec_mask: &mut Vec<u8>,
) {
    dec.clear();
    dec.resize(b * b, 0);
    dec_mask.clear();
    dec_mask.resize(b * b, 0);
    let area = (k * k) as u32;
    let inv_area = 1.0 / area as f32;
    for dy in 0..b {
        for dx in 0..b {
            let (mut s, mut ms, mut top) = (0u32, 0u32, 0u8);
            for yy in 0..k {
                let at = (origin.1 + dy * k + yy) * stride + origin.0 + dx * k;
                for (&p, &m) in luma[at..at + k].iter().zip(&mask[at..at + k]) {
                    s += p as u32;
                    ms += (m != 0) as u32;
                    top = top.max(p);
                }
            }
            // A multiply, not an integer division by a variable (~10x slower here).
            dec[dy * b + dx] = if top >= clip {
                255
            } else {
                (s as f32 * inv_area + 0.5).min(254.0) as u8
            };
            dec_mask[dy * b + dx] = (2 * ms >= area) as u8;
        }
    }
}

/// A borrowed luma region with its finger mask.
pub(crate) struct Image<'a> {
    pub(crate) px: &'a [u8],
    pub(crate) mask: &'a [u8],
    pub(crate) w: usize,
    pub(crate) h: usize,
    /// Distance between rows in `px` and `mask` (at least `w`).
    pub(crate) stride: usize,
    pub(crate) clip: u8,
}

/// Scratch for measuring one block: the projected profile and its spectrum.
#[derive(Debug, Default)]
pub(crate) struct Probe {
    sum: Vec<u32>,
    cnt: Vec<u32>,
    /// The last block's detrended, windowed profile.
    pub(crate) prof: Vec<f32>,
    /// The Hann window of the current block length.
    pub(crate) win: Vec<f32>,
    spec: Vec<f32>,
    table: Vec<f32>,
    table_len: usize,
    /// Windows and DFT tables of other block lengths (`len`, `win`, `table`), swapped back in
    /// when their length recurs: the fingers of one frame have different block lengths, and
    /// rebuilding the tables (a sine and a cosine per entry) for each finger of each frame
    /// cost more than measuring its blocks.
    spare_tables: Vec<(usize, Vec<f32>, Vec<f32>)>,
    /// The spare slot replaced next when all are taken.
    spare_next: usize,
}

/// Block lengths whose tables are kept beside the current one.
const SPARE_TABLES: usize = 8;

impl Probe {
    /// Measures the `b` x `b` block at (`x0`, `y0`). None when the block is mostly outside the
    /// finger, clipped, or flat.
    pub(crate) fn block(
        &mut self,
        img: &Image,
        x0: usize,
        y0: usize,
        b: usize,
    ) -> Option<RidgeBlock> {
        if x0 + b > img.w || y0 + b > img.h || b < 8 {
            return None;
        }
        let w = img.stride;
        let clip = img.clip;
        // Mask, clipping and contrast, on every other pixel of every other row.
        let SampleStats {
            seen,
            inside,
            clipped,
            sum,
            sumsq,
        } = sample_stats(img.px, img.mask, w, x0, y0, b, clip);
        if inside * 5 < seen * 4 || clipped * 25 > seen {
            return None;
        }
        // A block whose grey levels spread less than ~1.5 levels holds no measurable ridges.
        let mean = sum as f32 / seen as f32;
        if sumsq as f32 / (seen as f32) - mean * mean < 2.0 {
            return None;
        }
        // Structure tensor on a 2x2-subsampled grid. The 5-tap derivative (1, -8, 0, 8, -1) / 12
        // stays close to an ideal one up to ~4-pixel ridges; central differences bias the
        // orientation of fine ridges towards the diagonals by several degrees.
        let (mut gxx, mut gyy, mut gxy) = (0f32, 0f32, 0f32);
        for y in (y0 + 2..y0 + b - 2).step_by(2) {
            let r = |yy: usize| &img.px[yy * w + x0..yy * w + x0 + b];
            let (u2, u1, row, d1, d2) = (r(y - 2), r(y - 1), r(y), r(y + 1), r(y + 2));
            if clipped == 0 {
                // Every column of the row, in integer arithmetic the compiler vectorises
                // (float sums would have to stay in order). |g| <= 9 * 255, so a row of up to
                // 64 columns stays within i32.
                let (mut sxx, mut syy, mut sxy) = (0i32, 0i32, 0i32);
                let n = b - 4;
                let horiz = row[..n]
                    .iter()
                    .zip(&row[1..])
                    .zip(row[3..].iter().zip(&row[4..]));
                let vert = u2[2..n + 2]
                    .iter()
                    .zip(&u1[2..])
                    .zip(d1[2..].iter().zip(&d2[2..]));
                for (((&l2, &l1), (&r1, &r2)), ((&a2, &a1), (&b1, &b2))) in horiz.zip(vert) {
                    // i16 derivatives, i32 products: SSE2's pmaddwd (the baseline target has no
                    // 32-bit vector multiply).
                    let gx = 8 * (r1 as i16 - l1 as i16) - (r2 as i16 - l2 as i16);
                    let gy = 8 * (b1 as i16 - a1 as i16) - (b2 as i16 - a2 as i16);
                    sxx += gx as i32 * gx as i32;
                    syy += gy as i32 * gy as i32;
                    sxy += gx as i32 * gy as i32;
                }
                gxx += sxx as f32;
                gyy += syy as f32;
                gxy += sxy as f32;
            } else {
                for x in 2..b - 2 {
                    let (l2, l1, r1, r2) = (row[x - 2], row[x - 1], row[x + 1], row[x + 2]);
                    let (a2, a1, b1, b2) = (u2[x], u1[x], d1[x], d2[x]);
                    if l2.max(l1).max(r1).max(r2).max(a2).max(a1).max(b1).max(b2) >= clip {
                        continue;
                    }
                    let gx = 8.0 * (r1 as f32 - l1 as f32) - (r2 as f32 - l2 as f32);
                    let gy = 8.0 * (b1 as f32 - a1 as f32) - (b2 as f32 - a2 as f32);
                    gxx += gx * gx;
                    gyy += gy * gy;
                    gxy += gx * gy;
                }
            }
        }
        let t = gxx + gyy;
        if t < 288.0 {
            return None;
        }
        let dd = ((gxx - gyy) * (gxx - gyy) + 4.0 * gxy * gxy).sqrt();
        let coherence = (dd / t).clamp(0.0, 1.0);
        let theta = 0.5 * (2.0 * gxy).atan2(gxx - gyy);
        let (s, c) = theta.sin_cos();
        let stats = self.project(img, x0, y0, b, c, s, inside == seen && clipped == 0)?;
        let mut blk = self.spectrum(stats)?;
        blk.x = x0 as f32 + (b as f32 - 1.0) * 0.5;
        blk.y = y0 as f32 + (b as f32 - 1.0) * 0.5;
        blk.normal_rad = theta;
        blk.coherence = coherence;
        blk.valid = blk.valid && coherence >= 0.2;
        Some(blk)
    }

    /// Projects the pixels of a strip (length `b` across the ridges, `b / 2` along them) onto
    /// the normal (`c`, `s`), in half-pixel bins (1-pixel bins would average away 15% of the
    /// amplitude of 4-pixel ridges). Returns (mean, pixel variance, residual variance
    /// about the profile, mean samples per bin).
    #[allow(clippy::too_many_arguments)]
    fn project(
        &mut self,
        img: &Image,
        x0: usize,
        y0: usize,
        b: usize,
        c: f32,
        s: f32,
        clean: bool,
    ) -> Option<ProjStats> {
        let len = (b as f32 * BINS_PER_PX) as usize;
        let mut sq = 0f64;
        for v in [&mut self.sum, &mut self.cnt] {
            v.clear();
            v.resize(2 * (len + 1), 0);
        }
        self.prof.clear();
        self.prof.resize(len, 0.0);
        let centre = (b as f32 - 1.0) * 0.5;
        let half_v = b as f32 * STRIP_SHARE * 0.5;
        let half_u = b as f32 * 0.5;
        let w = img.stride;
        for yy in 0..b {
            let y = y0 + yy;
            let row = &img.px[y * w + x0..y * w + x0 + b];
            let mrow = &img.mask[y * w + x0..y * w + x0 + b];
            let dy = yy as f32 - centre;
            // v (along the ridges) at column x is v0 - x * s: only the columns of the strip
            // |v| < half_v are visited.
            let v0 = centre * s + dy * c;
            let (mut xa, mut xb) = if s.abs() < 1e-6 {
                if v0.abs() < half_v { (0, b) } else { (0, 0) }
            } else {
                let (e1, e2) = ((v0 - half_v) / s, (v0 + half_v) / s);
                let (lo, hi) = (e1.min(e2), e1.max(e2));
                (
                    lo.ceil().max(0.0) as usize,
                    (hi.floor() + 1.0).clamp(0.0, b as f32) as usize,
                )
            };
            // And only those whose bin u0 + x * cu falls in [0, len).
            let u0 = (-centre * c + dy * s + half_u) * BINS_PER_PX;
            let cu = c * BINS_PER_PX;
            if cu.abs() > 1e-6 {
                let (e1, e2) = (-u0 / cu, (len as f32 - 1e-3 - u0) / cu);
                let (lo, hi) = (e1.min(e2), e1.max(e2));
                xa = xa.max(lo.ceil().max(0.0) as usize);
                xb = xb.min((hi.floor() + 1.0).clamp(0.0, b as f32) as usize);
            } else if u0 < 0.0 || u0 >= len as f32 {
                continue;
            }
            if xa >= xb {
                continue;
            }
            let (sa, sb) = self.sum.split_at_mut(len + 1);
            let (ca, cb) = self.cnt.split_at_mut(len + 1);
            if clean {
                // Fast path (block wholly inside the finger, nothing clipped): bin positions in
                // 16.16 fixed point, integer sums. Even and odd columns use separate
                // accumulators so that neighbouring pixels, which often fall into the same bin,
                // do not wait on each other's stores.
                let ufp = ((u0 + xa as f32 * cu) * 65536.0) as i64;
                let cfp = (cu * 65536.0) as i64;
                let mut rsq = 0u32;
                for (x, &p) in row[xa..xb].iter().enumerate() {
                    let u = ufp + x as i64 * cfp;
                    // In range by construction of xa..xb, up to rounding at the ends.
                    let i = ((u.max(0) >> 16) as usize).min(len - 1);
                    let pv = p as u32;
                    rsq += pv * pv;
                    if x & 1 == 0 {
                        sa[i] += pv;
                        ca[i] += 1;
                    } else {
                        sb[i] += pv;
                        cb[i] += 1;
                    }
                }
                sq += rsq as f64;
                continue;
            }
            // General path: invalid pixels go to a dump bin at `len`.
            for (x, (&p, &m)) in row[xa..xb].iter().zip(&mrow[xa..xb]).enumerate() {
                let u = u0 + (xa + x) as f32 * cu;
                let i = (u.max(0.0) as usize).min(len - 1);
                let ok = p < img.clip && m != 0;
                let i = if ok { i } else { len };
                let pv = p as u32;
                sq += if ok { (pv * pv) as f64 } else { 0.0 };
                if x & 1 == 0 {
                    sa[i] += pv;
                    ca[i] += 1;
                } else {
                    sb[i] += pv;
                    cb[i] += 1;
                }
            }
        }
        for i in 0..len {
            self.sum[i] += self.sum[len + 1 + i];
            self.cnt[i] += self.cnt[len + 1 + i];
        }
        // Residual about the profile: sum of squares minus what the bin means explain.
        let (mut n, mut tot, mut explained, mut empty) = (0f64, 0f64, 0f64, 0usize);
        for i in 0..len {
            let k = self.cnt[i];
            if k > 0 {
                let sm = self.sum[i] as f64;
                let m = sm / k as f64;
                self.prof[i] = m as f32;
                n += k as f64;
                tot += sm;
                explained += sm * m;
            } else {
                empty += 1;
            }
        }
        // Ridges along a pixel axis leave every other half-pixel bin empty.
        if n < 16.0 || empty * 5 > len * 3 {
            return None;
        }
        // Fill empty bins by linear interpolation between their neighbours.
        if empty > 0 {
            for i in 0..len {
                if self.cnt[i] == 0 {
                    let l = (0..i).rev().find(|&j| self.cnt[j] > 0);
                    let r = (i + 1..len).find(|&j| self.cnt[j] > 0);
                    self.prof[i] = match (l, r) {
                        (Some(l), Some(r)) => {
                            let t = (i - l) as f32 / (r - l) as f32;
                            (1.0 - t) * self.prof[l] + t * self.prof[r]
                        }
                        (Some(l), None) => self.prof[l],
                        (None, Some(r)) => self.prof[r],
                        (None, None) => 0.0,
                    };
                }
            }
        }
        let mean = tot / n;
        Some(ProjStats {
            mean: mean as f32,
            var: (sq / n - mean * mean).max(0.0) as f32,
            resid: ((sq - explained) / n).max(0.0) as f32,
            per_bin: (n / (len - empty) as f64) as f32,
            filled: (len - empty) as f32 / len as f32,
        })
    }

    /// Makes the window and table of block length `len` current when a spare holds them (the
    /// values are a function of `len` alone, so a kept table equals a rebuilt one); otherwise
    /// stores the current ones as a spare and leaves vectors for `spectrum` to rebuild in.
    fn switch_tables(&mut self, len: usize) {
        if let Some(t) = self.spare_tables.iter_mut().find(|t| t.0 == len) {
            std::mem::swap(&mut self.table_len, &mut t.0);
            std::mem::swap(&mut self.win, &mut t.1);
            std::mem::swap(&mut self.table, &mut t.2);
            return;
        }
        if self.table_len != 0 {
            if self.spare_tables.len() < SPARE_TABLES {
                let (win, table) = (
                    std::mem::take(&mut self.win),
                    std::mem::take(&mut self.table),
                );
                self.spare_tables.push((self.table_len, win, table));
            } else if let Some(t) = self.spare_tables.get_mut(self.spare_next) {
                // The oldest spare goes; its vectors are rebuilt in below.
                self.spare_next = (self.spare_next + 1) % SPARE_TABLES;
                std::mem::swap(&mut self.table_len, &mut t.0);
                std::mem::swap(&mut self.win, &mut t.1);
                std::mem::swap(&mut self.table, &mut t.2);
            }
        }
        // Empty: `spectrum` rebuilds both for `len`.
        self.table_len = len;
        self.win.clear();
        self.table.clear();
    }

    /// Detrends and windows the profile, finds the spectral peak and measures the amplitudes.
    fn spectrum(&mut self, st: ProjStats) -> Option<RidgeBlock> {
        let len = self.prof.len();
        let lf = len as f32;
        // Block length in pixels; frequencies below are in cycles per pixel.
        let lpx = lf / BINS_PER_PX;
        // Remove the least-squares line (illumination gradient across the block).
        let xm = (lf - 1.0) * 0.5;
        let (mut sy, mut sxy, mut sxx) = (0f32, 0f32, 0f32);
        for (i, &p) in self.prof.iter().enumerate() {
            let x = i as f32 - xm;
            sy += p;
            sxy += x * p;
            sxx += x * x;
        }
        let (a, slope) = (sy / lf, if sxx > 0.0 { sxy / sxx } else { 0.0 });
        if self.table_len != len {
            self.switch_tables(len);
        }
        if self.win.len() != len {
            self.win.clear();
            self.win
                .extend((0..len).map(|i| 0.5 - 0.5 * (2.0 * PI * (i as f32 + 0.5) / lf).cos()));
        }
        let mut wsum = 0f32;
        let mut wsq = 0f32;
        let mut energy = 0f32;
        for (i, p) in self.prof.iter_mut().enumerate() {
            let x = i as f32 - xm;
            let wv = self.win[i];
            *p = (*p - a - slope * x) * wv;
            wsum += wv;
            wsq += wv * wv;
            energy += *p * *p;
        }
        if energy <= 0.0 || wsum <= 0.0 {
            return None;
        }
        let f_lo = 2.5 / lpx;
        let f_hi = 1.0 / 3.2f32;
        let df = 1.0 / (3.0 * lpx);
        if f_hi <= f_lo + 2.0 * df {
            return None;
        }
        let nf = ((f_hi - f_lo) / df) as usize + 1;
        // The grid depends only on the block length: its cosines and sines are tabulated once
        // and reused for every block (a phasor recurrence per frequency is a serial chain).
        if self.table_len != len || self.table.len() != 2 * nf * len {
            self.table.clear();
            for j in 0..nf {
                let f = (f_lo + j as f32 * df) / BINS_PER_PX;
                for n in 0..len {
                    let a = 2.0 * PI * f * n as f32;
                    self.table.push(a.cos());
                }
                for n in 0..len {
                    let a = 2.0 * PI * f * n as f32;
                    self.table.push(a.sin());
                }
            }
            self.table_len = len;
        }
        self.spec.clear();
        let (mut best, mut best_i) = (0f32, 0usize);
        for (j, row) in self.table.chunks_exact(2 * len).enumerate() {
            let (cr, sr) = row.split_at(len);
            let (re, im) = (dot(&self.prof, cr), dot(&self.prof, sr));
            let p = re * re + im * im;
            if p > best {
                best = p;
                best_i = j;
            }
            self.spec.push(p);
        }
        let interior = best_i > 0 && best_i + 1 < nf;
        let f_peak = if interior {
            let (l, c, r) = (
                self.spec[best_i - 1].max(1e-12).ln(),
                best.max(1e-12).ln(),
                self.spec[best_i + 1].max(1e-12).ln(),
            );
            let den = l - 2.0 * c + r;
            let delta = if den < 0.0 {
                (0.5 * (l - r) / den).clamp(-0.5, 0.5)
            } else {
                0.0
            };
            f_lo + (best_i as f32 + delta) * df
        } else {
            f_lo + best_i as f32 * df
        };
        let amp = |f: f32, prof: &[f32]| -> f32 {
            if f < 0.5 {
                2.0 * power(prof, f / BINS_PER_PX).sqrt() / wsum
            } else {
                0.0
            }
        };
        let amplitude = amp(f_peak, &self.prof);
        let harmonic2 = amp(2.0 * f_peak, &self.prof);
        let harmonic3 = amp(3.0 * f_peak, &self.prof);
        // Main lobe of the Hann window: +-2 bins of 1/len.
        let lobe: f32 = self
            .spec
            .iter()
            .enumerate()
            .filter(|(j, _)| ((f_lo + *j as f32 * df) - f_peak).abs() <= 2.0 / lpx)
            .map(|(_, p)| *p)
            .sum();
        // Parseval over the half band, in cycles per sample.
        let peak_fraction = (2.0 * lobe * df / BINS_PER_PX / energy).clamp(0.0, 1.0);
        let signal_fraction = if st.var > 0.0 {
            (0.5 * amplitude * amplitude / st.var).clamp(0.0, 1.0)
        } else {
            0.0
        };
        // White noise of variance resid per pixel averages to resid / per_bin per filled bin;
        // through the window its DFT has expected power wsq * that (interpolated bins add no
        // independent noise).
        let noise_amplitude =
            2.0 * (wsq * st.filled * st.resid / st.per_bin.max(1.0)).sqrt() / wsum;
        let period = 1.0 / f_peak;
        let valid =
            interior && peak_fraction >= 0.25 && period >= MIN_PERIOD_PX && period <= lpx / 2.5;
        Some(RidgeBlock {
            period_px: if interior { period } else { 0.0 },
            amplitude,
            harmonic2,
            harmonic3,
            noise_amplitude,
            mean: st.mean,
            peak_fraction,
            signal_fraction,
            valid,
            ..RidgeBlock::default()
        })
    }
}

/// Mean, variance, residual variance and samples per bin of a projected strip.
#[derive(Clone, Copy, Debug)]
struct ProjStats {
    mean: f32,
    var: f32,
    resid: f32,
    per_bin: f32,
    filled: f32,
}

/// Dot product with eight partial sums, so the compiler can keep it in vector registers.
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for i in 0..8 {
            acc[i] += x[i] * y[i];
        }
    }
    let mut s: f32 = acc.iter().sum();
    for (x, y) in ra.iter().zip(rb) {
        s += x * y;
    }
    s
}

/// |X(f)|^2 of a real sequence at frequency `f` (cycles per sample), by a rotating phasor.
fn power(x: &[f32], f: f32) -> f32 {
    let (s, c) = (2.0 * PI * f).sin_cos();
    let (mut pr, mut pi) = (1f32, 0f32);
    let (mut re, mut im) = (0f32, 0f32);
    for &v in x {
        re += v * pr;
        im -= v * pi;
        let npr = pr * c - pi * s;
        pi = pr * s + pi * c;
        pr = npr;
    }
    re * re + im * im
}

#[cfg(test)]
mod tests {

    use proptest::prelude::*;

    proptest! {
        // Integer result: tolerance zero. Odd sizes, strides from the width up to width + 9.
        #[test]
        fn every_7th_count_matches_division(
            (w, h, pad, mask) in (1usize..60, 1usize..40, 0usize..10).prop_flat_map(|(w, h, pad)| {
                (
                    Just(w),
                    Just(h),
                    Just(pad),
                    proptest::collection::vec(prop_oneof![Just(0u8), Just(1u8), Just(9u8)], (w + pad) * h),
                )
            }),
        ) {
            let stride = w + pad;
            prop_assert_eq!(
                count_every_7th(&mask, w, h, stride),
                count_every_7th_scalar(&mask, w, h, stride)
            );
        }
    }
    proptest! {
        // Integer and one-float-expression results: tolerance zero (the same sums, so the same
        // bytes). Block sizes 1..=64, factors 1..=6 (the unrolled 2-4 and the general path),
        // offsets and padded strides, any clip level.
        #[test]
        fn decimate_block_matches_scalar(
            (b, k, ox, oy, pad, clip, px, mask) in (1usize..=64, 1usize..=6, 0usize..4, 0usize..4, 0usize..7, 1u8..=255)
                .prop_flat_map(|(b, k, ox, oy, pad, clip)| {
                    let stride = ox + b * k + pad;
                    let n = stride * (oy + b * k);
                    (Just(b), Just(k), Just(ox), Just(oy), Just(pad), Just(clip),
                     proptest::collection::vec(any::<u8>(), n),
                     proptest::collection::vec(prop_oneof![Just(0u8), Just(1u8), Just(7u8)], n))
                }),
        ) {
            let stride = ox + b * k + pad;
            let (mut d1, mut m1, mut d2, mut m2) = (vec![3u8; 5], vec![3u8; 2], Vec::new(), Vec::new());
            super::decimate_block(&px, &mask, stride, (ox, oy), b, k, clip, &mut d1, &mut m1);
            super::decimate_block_scalar(&px, &mask, stride, (ox, oy), b, k, clip, &mut d2, &mut m2);
            prop_assert_eq!(d1, d2);
            prop_assert_eq!(m1, m2);
        }
    }
    proptest! {
        // Integer results: tolerance zero. Odd block sizes, offsets and strides.
        #[test]
        fn sample_stats_matches_step_by(
            (b, x0, y0, pad, clip, px, mask) in (8usize..70, 0usize..5, 0usize..5, 0usize..9, 1u8..=255)
                .prop_flat_map(|(b, x0, y0, pad, clip)| {
                    let w = x0 + b + pad;
                    let n = w * (y0 + b);
                    (
                        Just(b),
                        Just(x0),
                        Just(y0),
                        Just(pad),
                        Just(clip),
                        proptest::collection::vec(any::<u8>(), n),
                        proptest::collection::vec(prop_oneof![Just(0u8), Just(1u8), Just(255u8)], n),
                    )
                }),
        ) {
            let w = x0 + b + pad;
            prop_assert_eq!(
                super::sample_stats(&px, &mask, w, x0, y0, b, clip),
                super::sample_stats_scalar(&px, &mask, w, x0, y0, b, clip)
            );
        }
    }
    use super::*;

    /// A sinusoidal ridge field of `period` px, normal at `angle` radians.
    fn field(w: usize, h: usize, period: f32, angle: f32, mean: f32, amp: f32) -> Vec<u8> {
        let (s, c) = angle.sin_cos();
        let mut v = vec![0u8; w * h];
        for y in 0..h {
            for x in 0..w {
                let u = x as f32 * c + y as f32 * s;
                let val = mean + amp * (2.0 * PI * u / period).cos();
                v[y * w + x] = val.round().clamp(0.0, 255.0) as u8;
            }
        }
        v
    }

    /// Measuring a sub-rectangle in place (strided) gives exactly what measuring its
    /// contiguous copy gives, with a partial mask so the foreshortening path runs too; also
    /// at a size that decimates (k > 1).
    #[test]
    fn strided_measure_equals_contiguous_copy() {
        for &(big_w, big_h, x0, y0, w, h) in &[
            (260usize, 300usize, 17usize, 9usize, 200usize, 260usize),
            (900, 1000, 31, 12, 820, 950),
        ] {
            let luma = field(big_w, big_h, 9.0, 0.4, 120.0, 40.0);
            // An elliptical finger silhouette inside the sub-rectangle.
            let mut mask = vec![0u8; big_w * big_h];
            let (cx, cy) = ((x0 + w / 2) as f32, (y0 + h / 2) as f32);
            let (rx, ry) = (0.45 * w as f32, 0.6 * h as f32);
            for y in 0..big_h {
                for x in 0..big_w {
                    let (dx, dy) = ((x as f32 - cx) / rx, (y as f32 - cy) / ry);
                    mask[y * big_w + x] = (dx * dx + dy * dy <= 1.0) as u8;
                }
            }
            let cut = |src: &[u8]| -> Vec<u8> {
                (0..h)
                    .flat_map(|r| src[(y0 + r) * big_w + x0..(y0 + r) * big_w + x0 + w].to_vec())
                    .collect()
            };
            let (cl, cm) = (cut(&luma), cut(&mask));
            let mut an = RidgeAnalyzer::new();
            let (mut a, mut b) = (RidgeMeasure::default(), RidgeMeasure::default());
            an.measure(&cl, &cm, w, h, &mut a);
            let o = y0 * big_w + x0;
            an.measure_strided(&luma[o..], &mask[o..], w, h, big_w, &mut b);
            // Exact: the same pixels in the same order.
            assert!(a.period_px.is_some(), "the field's ridges are measured");
            assert_eq!(a, b);
        }
    }

    // Exact: one analyzer measuring regions of 11 sizes (more block lengths than it keeps
    // tables for) in turn, twice round, gives each region the measure a fresh analyzer gives.
    #[test]
    fn kept_tables_equal_fresh_ones() {
        // Block lengths 24, 27, 30, ... 55 px (an eighth of the size).
        let sizes: Vec<usize> = (0..11).map(|i| 200 + 26 * i).collect();
        let fields: Vec<Vec<u8>> = sizes
            .iter()
            .map(|&n| field(n, n, 7.0 + n as f32 / 60.0, 0.3, 120.0, 40.0))
            .collect();
        let mut shared = RidgeAnalyzer::new();
        let mut resolved = 0;
        for round in 0..2 {
            for (&n, f) in sizes.iter().zip(&fields) {
                let mask = vec![1u8; n * n];
                let (mut a, mut b) = (RidgeMeasure::default(), RidgeMeasure::default());
                shared.measure(f, &mask, n, n, &mut a);
                RidgeAnalyzer::new().measure(f, &mask, n, n, &mut b);
                resolved += a.period_px.is_some() as usize;
                assert_eq!(a, b, "size {n}, round {round}");
            }
        }
        assert!(
            resolved >= 18,
            "the fields' ridges are measured: {resolved} of 22"
        );
    }

    #[test]
    fn sinusoid_period_is_recovered_at_any_angle() {
        let (w, h) = (300, 400);
        let mask = vec![1u8; w * h];
        let mut an = RidgeAnalyzer::new();
        let mut m = RidgeMeasure::default();
        // 350-700 ppi for a 300-px-wide fingertip, and 4.5 px (too far, still resolved).
        for &period in &[4.5f32, 6.5, 9.5, 13.0] {
            for a in 0..6 {
                let angle = a as f32 * 0.52 + 0.1;
                let img = field(w, h, period, angle, 120.0, 40.0);
                an.measure(&img, &mask, w, h, &mut m);
                let p = m.period_px.expect("resolved");
                // Sub-pixel interpolation: within 2% of truth.
                assert!((p - period).abs() < 0.02 * period, "{period} {angle}: {p}");
                // A clean sinusoid: modulation amp/mean within 10%, clarity near 1.
                // A clean sinusoid: modulation amp/mean within 5%, clarity near 1.
                assert!(
                    (m.modulation - 40.0 / 120.0).abs() < 0.05 / 3.0,
                    "{}",
                    m.modulation
                );
                assert!(m.clarity > 0.8, "{}", m.clarity);
                assert!(m.coherence > 0.9, "{}", m.coherence);
            }
        }
    }

    #[test]
    fn flat_and_noise_regions_are_unresolved() {
        let (w, h) = (300, 400);
        let mask = vec![1u8; w * h];
        let mut an = RidgeAnalyzer::new();
        let mut m = RidgeMeasure::default();
        an.measure(&vec![128u8; w * h], &mask, w, h, &mut m);
        assert_eq!(m.period_px, None);
        // Uniform noise from a simple LCG.
        let mut state = 12345u32;
        let noise: Vec<u8> = (0..w * h)
            .map(|_| {
                state = state.wrapping_mul(1664525).wrapping_add(1013904223);
                (60 + (state >> 24) % 120) as u8
            })
            .collect();
        an.measure(&noise, &mask, w, h, &mut m);
        assert_eq!(m.period_px, None, "{m:?}");
        assert!(m.clarity < 0.1, "{}", m.clarity);
    }

    #[test]
    fn bad_input_gives_empty_measure() {
        let mut an = RidgeAnalyzer::new();
        let mut m = RidgeMeasure::default();
        an.measure(&[1, 2, 3], &[1, 1, 1], 10, 10, &mut m);
        assert_eq!(m.period_px, None);
        an.measure(&[], &[], 0, 0, &mut m);
        assert_eq!(m.blocks_measured, 0);
        an.measure(&[9; 100], &[1; 100], 10, 10, &mut m);
        assert_eq!(m.period_px, None);
    }

    #[test]
    fn masked_out_region_is_not_measured() {
        let (w, h) = (300, 400);
        let img = field(w, h, 9.0, 0.3, 120.0, 40.0);
        let mask = vec![0u8; w * h];
        let mut an = RidgeAnalyzer::new();
        let mut m = RidgeMeasure::default();
        an.measure(&img, &mask, w, h, &mut m);
        assert_eq!(m.blocks_measured, 0);
        assert_eq!(m.period_px, None);
    }

    #[test]
    fn large_regions_are_decimated_and_periods_rescaled() {
        let (w, h) = (1200, 1500);
        let img = field(w, h, 33.0, 0.7, 120.0, 40.0);
        let mask = vec![1u8; w * h];
        let mut an = RidgeAnalyzer::new();
        let mut m = RidgeMeasure::default();
        an.measure(&img, &mask, w, h, &mut m);
        assert!(m.scale > 1);
        let p = m.period_px.expect("resolved");
        assert!((p - 33.0).abs() < 0.03 * 33.0, "{p}");
    }
}
