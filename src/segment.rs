//! Hand segmentation on the reduced-resolution image: which low-resolution pixels are hand.
//!
//! A fixed skin box fails on dark skin in dim light, on beige walls and wooden floors and under
//! coloured light, so the colour model is fitted per frame and combined with two other cues:
//!
//! 1. **Colour, adapted per frame.** A loose chroma prior (skin has Cr above Cb under roughly
//!    neutral light) and a centre-weighted spatial prior pick seed pixels; a weighted mode search
//!    in (Cb, Cr) finds the skin cluster the hand belongs to and a Gaussian is fitted around it.
//!    Pixels are classified by Mahalanobis distance to it, against a background Gaussian fitted to
//!    the rest (a likelihood-ratio test), so a wall whose colour is close to skin but not the
//!    same is pushed out. The fit is repeated once on the largest component found.
//! 2. **Focus.** The camera focuses on the fingers; the background at capture distance is
//!    defocused. The per-block maximum minus the block mean (both from full resolution, kept in
//!    [`LowRes`]) is fine-texture energy that averaging hides; it weights the seed and breaks ties.
//! 3. **Shape.** A 3x3 close and open smooth the boundary, holes are filled, and only large
//!    components are kept (several: with the palm out of the frame each finger is its own blob).
//!
//! Gray frames (Cb = Cr = 128 everywhere) carry no colour; then luma and texture take its place.

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
    /// Mean (Cb, Cr) of the fitted skin colour model (diagnostics).
    pub skin_mean: [f32; 2],
    /// Whether the frame carried usable colour (false for gray frames).
    pub colour: bool,
}

/// A 2-D Gaussian in (Cb, Cr): mean and inverse covariance, with the log-determinant.
#[derive(Clone, Copy, Debug, Default)]
struct Gauss2 {
    m: [f32; 2],
    /// Inverse covariance entries (a, b; b, c).
    ia: f32,
    ib: f32,
    ic: f32,
    log_det: f32,
}

impl Gauss2 {
    /// From weighted sums; `min_var` regularises the covariance (chroma is quantised and a
    /// uniform patch would otherwise give a singular model).
    fn from_moments(s: &Moments, min_var: f32) -> Option<Gauss2> {
        if s.w <= 0.0 {
            return None;
        }
        let mx = s.x / s.w;
        let my = s.y / s.w;
        let vxx = (s.xx / s.w - mx * mx).max(0.0) + min_var;
        let vyy = (s.yy / s.w - my * my).max(0.0) + min_var;
        let vxy = s.xy / s.w - mx * my;
        let det = vxx * vyy - vxy * vxy;
        if det.is_nan() || det <= 1e-6 {
            return None;
        }
        Some(Gauss2 {
            m: [mx, my],
            ia: vyy / det,
            ib: -vxy / det,
            ic: vxx / det,
            log_det: det.ln(),
        })
    }

    #[inline]
    fn d2(&self, x: f32, y: f32) -> f32 {
        let dx = x - self.m[0];
        let dy = y - self.m[1];
        self.ia * dx * dx + 2.0 * self.ib * dx * dy + self.ic * dy * dy
    }
}

/// Weighted first and second moments of (x, y) samples.
#[derive(Clone, Copy, Debug, Default)]
struct Moments {
    w: f32,
    x: f32,
    y: f32,
    xx: f32,
    xy: f32,
    yy: f32,
}

impl Moments {
    #[inline]
    fn add(&mut self, x: f32, y: f32, w: f32) {
        self.w += w;
        self.x += w * x;
        self.y += w * y;
        self.xx += w * x * x;
        self.xy += w * x * y;
        self.yy += w * y * y;
    }
}

/// Mahalanobis distance squared below which a pixel may be skin (about 3.5 sigma in 2-D).
const SKIN_D2: f32 = 12.0;
/// Smallest chroma variance of a fitted model (quantisation and JPEG noise).
const MIN_CHROMA_VAR: f32 = 4.0;
/// Components smaller than this share of the largest kept component are dropped.
const MIN_COMPONENT_SHARE: f32 = 0.12;

/// Segments the hand; owns its scratch buffers.
#[derive(Debug, Default)]
pub struct Segmenter {
    /// Spatial prior per column and per row (separable centre weighting).
    wx: Vec<f32>,
    wy: Vec<f32>,
    /// Fine-texture energy per low-res pixel (block max - block mean, smoothed).
    texture: Vec<u8>,
    tmp: Vec<u8>,
    tmp2: Vec<u8>,
    labels: Vec<u32>,
    stack: Vec<u32>,
    comp_area: Vec<u32>,
    comp_border: Vec<u8>,
    comp_score: Vec<f32>,
}

impl Segmenter {
    /// A segmenter with empty scratch.
    pub fn new() -> Self {
        Segmenter::default()
    }

    /// Fills `out` with the hand mask of `low`.
    pub fn segment(&mut self, low: &LowRes, out: &mut HandMask) {
        let (w, h) = (low.width as usize, low.height as usize);
        let n = w * h;
        out.width = low.width;
        out.height = low.height;
        out.factor = low.factor;
        out.mask.clear();
        out.mask.resize(n, 0);
        out.area = 0;
        out.skin_mean = [128.0, 128.0];
        out.colour = false;
        if n == 0 || low.luma.len() < n || low.cb.len() < n || low.cr.len() < n {
            return;
        }
        self.prepare_priors(w, h);
        self.texture_map(low, w, h);

        // Is there colour at all? Gray frames have Cb = Cr = 128 everywhere.
        let mut chroma_dev = 0u64;
        for i in (0..n).step_by(7) {
            chroma_dev += (low.cb[i] as i32 - 128).unsigned_abs() as u64
                + (low.cr[i] as i32 - 128).unsigned_abs() as u64;
        }
        let colour = chroma_dev as f32 / (n.div_ceil(7)) as f32 > 1.5;
        out.colour = colour;

        if colour {
            self.colour_mask(low, w, h, out);
        } else {
            self.gray_mask(low, w, h, out);
        }
        self.clean(w, h, &mut out.mask);
        out.area = out.mask.iter().map(|&m| m as u32).sum();
    }

    fn prepare_priors(&mut self, w: usize, h: usize) {
        // The hand sits near the centre; fingers in the upper half of a close-up. A broad
        // Gaussian (sigma = 0.3 of the side) keeps the edges in play without letting a large
        // skin-coloured floor at the border outvote the centre.
        self.wx.resize(w, 0.0);
        self.wy.resize(h, 0.0);
        for (x, v) in self.wx.iter_mut().enumerate() {
            let d = (x as f32 + 0.5) / w as f32 - 0.5;
            *v = (-d * d / (2.0 * 0.3 * 0.3)).exp();
        }
        for (y, v) in self.wy.iter_mut().enumerate() {
            let d = (y as f32 + 0.5) / h as f32 - 0.45;
            *v = (-d * d / (2.0 * 0.3 * 0.3)).exp();
        }
    }

    /// Block max minus block mean, box-smoothed 3x3: high where the full-resolution image has
    /// fine detail (ridges, in-focus skin texture), low on a defocused background.
    fn texture_map(&mut self, low: &LowRes, w: usize, h: usize) {
        let n = w * h;
        self.tmp.clear();
        self.tmp.resize(n, 0);
        if low.max.len() >= n && low.factor > 1 {
            for ((t, &m), &l) in self.tmp.iter_mut().zip(&low.max[..n]).zip(&low.luma[..n]) {
                *t = m.saturating_sub(l);
            }
        }
        box3(&self.tmp, &mut self.tmp2, &mut self.texture, w, h);
    }

    fn colour_mask(&mut self, low: &LowRes, w: usize, h: usize, out: &mut HandMask) {
        let n = w * h;
        let (cb, cr) = (&low.cb[..n], &low.cr[..n]);
        // Texture weights seeds: in-focus pixels are likelier hand. Normalised by a high
        // percentile so the cue has the same weight at any exposure.
        let tex_ref = percentile_u8(&self.texture, 0.9).max(2) as f32;
        // 1. Weighted mode search in (Cb, Cr): every pixel votes with its centrality, its
        // texture and a soft skin prior on hue and saturation, so a large neutral or strongly
        // coloured background does not capture the mode.
        let seed_weight = |i: usize, x: usize, wy: f32| -> f32 {
            let t = 1.0 + (self.texture[i] as f32 / tex_ref).min(2.0);
            self.wx[x] * wy * t * skin_prior(cb[i], cr[i])
        };
        let mut mom = Moments::default();
        for y in (0..h).step_by(2) {
            let wy = self.wy[y];
            for x in (0..w).step_by(2) {
                let i = y * w + x;
                mom.add(cb[i] as f32, cr[i] as f32, seed_weight(i, x, wy));
            }
        }
        let mut centre = [110.0f32, 148.0];
        if mom.w > 1e-3 {
            centre = [mom.x / mom.w, mom.y / mom.w];
        }
        // Mean shift with a shrinking window toward the dominant weighted mode.
        for radius in [20.0f32, 14.0, 10.0, 8.0] {
            let r2 = radius * radius;
            let mut m = Moments::default();
            for y in (0..h).step_by(2) {
                let wy = self.wy[y];
                for x in (0..w).step_by(2) {
                    let i = y * w + x;
                    let (b, r) = (cb[i] as f32, cr[i] as f32);
                    let d = (b - centre[0]).powi(2) + (r - centre[1]).powi(2);
                    if d <= r2 {
                        m.add(b, r, seed_weight(i, x, wy));
                    }
                }
            }
            if m.w > 1e-3 {
                centre = [m.x / m.w, m.y / m.w];
            }
        }
        // 2. Gaussian around the mode (pixels within 10 chroma units, spatially weighted).
        let mut m = Moments::default();
        let mut bg = Moments::default();
        for y in 0..h {
            let wy = self.wy[y];
            let row = y * w;
            for x in 0..w {
                let i = row + x;
                let (b, r) = (cb[i] as f32, cr[i] as f32);
                let d = (b - centre[0]).powi(2) + (r - centre[1]).powi(2);
                if d <= 100.0 {
                    m.add(b, r, self.wx[x] * wy + 0.05);
                } else if d > 400.0 {
                    bg.add(b, r, 1.0);
                }
            }
        }
        let Some(mut skin) = Gauss2::from_moments(&m, MIN_CHROMA_VAR) else {
            return;
        };
        let mut back = Gauss2::from_moments(&bg, 25.0);
        self.classify(cb, cr, &skin, back.as_ref(), &mut out.mask);
        // 3. Refit once on the largest component: the hand, rather than every skin-ish pixel.
        self.clean(w, h, &mut out.mask);
        let mut m = Moments::default();
        let mut bg = Moments::default();
        for i in 0..n {
            if out.mask[i] != 0 {
                m.add(cb[i] as f32, cr[i] as f32, 1.0);
            } else {
                bg.add(cb[i] as f32, cr[i] as f32, 1.0);
            }
        }
        if m.w > 30.0 {
            if let Some(g) = Gauss2::from_moments(&m, MIN_CHROMA_VAR) {
                skin = g;
            }
            if bg.w > 30.0 {
                back = Gauss2::from_moments(&bg, 25.0).or(back);
            }
        }
        self.classify(cb, cr, &skin, back.as_ref(), &mut out.mask);
        out.skin_mean = skin.m;
    }

    fn classify(
        &self,
        cb: &[u8],
        cr: &[u8],
        skin: &Gauss2,
        back: Option<&Gauss2>,
        mask: &mut [u8],
    ) {
        for (i, m) in mask.iter_mut().enumerate() {
            let (b, r) = (cb[i] as f32, cr[i] as f32);
            let ds = skin.d2(b, r);
            let mut is = ds < SKIN_D2;
            if is {
                if let Some(bg) = back {
                    // Likelihood ratio: skin only where the skin model explains the pixel better.
                    is = ds + skin.log_det <= bg.d2(b, r) + bg.log_det + 2.0;
                }
            }
            *m = is as u8;
        }
    }

    /// Gray frames: Otsu on luma decides whether the hand is the bright or dark class, the
    /// centre-weighted majority picks the hand side.
    fn gray_mask(&mut self, low: &LowRes, w: usize, h: usize, out: &mut HandMask) {
        let n = w * h;
        let luma = &low.luma[..n];
        let mut hist = [0u32; 256];
        for &l in luma {
            hist[l as usize] += 1;
        }
        // A flat frame (lens cap, blank wall) has no hand in it.
        let mean = luma.iter().map(|&l| l as f32).sum::<f32>() / n as f32;
        let var = luma.iter().map(|&l| (l as f32 - mean).powi(2)).sum::<f32>() / n as f32;
        if var < 16.0 {
            return;
        }
        let t = otsu(&hist, n as u32);
        // Which class dominates the centre?
        let (mut above, mut below) = (0f32, 0f32);
        for y in 0..h {
            for x in 0..w {
                let wgt = self.wx[x] * self.wy[y];
                if luma[y * w + x] > t {
                    above += wgt;
                } else {
                    below += wgt;
                }
            }
        }
        let bright = above >= below;
        for (m, &l) in out.mask.iter_mut().zip(luma) {
            *m = ((l > t) == bright) as u8;
        }
    }

    /// Open, fill holes, keep the large components.
    fn clean(&mut self, w: usize, h: usize, mask: &mut [u8]) {
        // Open only: a close would fill the one-pixel gaps between fingers at low resolution;
        // holes are filled below instead.
        self.tmp2.clear();
        self.tmp2.resize(w * h, 0);
        morph3(mask, &mut self.tmp, &mut self.tmp2, w, h, false);
        morph3(&self.tmp2, &mut self.tmp, mask, w, h, true);
        self.fill_holes(w, h, mask);
        self.keep_large(w, h, mask);
    }

    fn fill_holes(&mut self, w: usize, h: usize, mask: &mut [u8]) {
        // Background components that do not touch the border are holes (glare, shadows).
        let ncomp = label(mask, 0, w, h, false, &mut self.labels, &mut self.stack);
        self.comp_border.clear();
        self.comp_border.resize(ncomp as usize + 1, 0);
        for x in 0..w {
            mark(&self.labels, x, &mut self.comp_border);
            mark(&self.labels, (h - 1) * w + x, &mut self.comp_border);
        }
        for y in 0..h {
            mark(&self.labels, y * w, &mut self.comp_border);
            mark(&self.labels, y * w + w - 1, &mut self.comp_border);
        }
        for (m, &l) in mask.iter_mut().zip(&self.labels) {
            if l != 0 && self.comp_border.get(l as usize).copied() == Some(0) {
                *m = 1;
            }
        }
    }

    fn keep_large(&mut self, w: usize, h: usize, mask: &mut [u8]) {
        let ncomp = label(mask, 1, w, h, true, &mut self.labels, &mut self.stack) as usize;
        if ncomp == 0 {
            return;
        }
        self.comp_area.clear();
        self.comp_area.resize(ncomp + 1, 0);
        self.comp_score.clear();
        self.comp_score.resize(ncomp + 1, 0.0);
        for y in 0..h {
            for x in 0..w {
                let l = self.labels[y * w + x] as usize;
                if l != 0 {
                    self.comp_area[l] += 1;
                    self.comp_score[l] += self.wx[x] * self.wy[y];
                }
            }
        }
        // The hand component: most centre-weighted area.
        let best = self.comp_score.iter().copied().fold(0.0f32, f32::max);
        let best_area = (1..=ncomp)
            .filter(|&c| self.comp_score[c] >= best)
            .map(|c| self.comp_area[c])
            .max()
            .unwrap_or(0);
        let min_area = (best_area as f32 * MIN_COMPONENT_SHARE).max(4.0) as u32;
        for (m, &l) in mask.iter_mut().zip(&self.labels) {
            if *m != 0 {
                let keep = self
                    .comp_area
                    .get(l as usize)
                    .is_some_and(|&a| a >= min_area);
                *m = keep as u8;
            }
        }
    }
}

/// Soft prior that a chroma pair is skin under roughly neutral light: skin hue lies around
/// 130 degrees from the +Cb axis (Cr up, Cb down: R > G > B), and near-neutral pixels (walls,
/// paper) are down-weighted but not excluded (dark skin in dim light is close to neutral).
#[inline]
fn skin_prior(cb: u8, cr: u8) -> f32 {
    let (x, y) = (cb as f32 - 128.0, cr as f32 - 128.0);
    let sat = (x * x + y * y).sqrt();
    let hue = y.atan2(x).to_degrees();
    let dh = (hue - 132.0) / 22.0;
    let w_sat = ((sat - 2.0) / 10.0).clamp(0.05, 1.0);
    (-0.5 * dh * dh).exp() * w_sat
}

#[inline]
fn mark(labels: &[u32], i: usize, border: &mut [u8]) {
    if let Some(&l) = labels.get(i) {
        if let Some(b) = border.get_mut(l as usize) {
            *b = 1;
        }
    }
}

/// Labels connected components of pixels equal to `value` (8- or 4-connectivity) into `labels`
/// (0 = not `value`), returning the number of components.
fn label(
    mask: &[u8],
    value: u8,
    w: usize,
    h: usize,
    eight: bool,
    labels: &mut Vec<u32>,
    stack: &mut Vec<u32>,
) -> u32 {
    let n = w * h;
    labels.clear();
    labels.resize(n, 0);
    let mut next = 0u32;
    for start in 0..n {
        if mask[start] != value || labels[start] != 0 {
            continue;
        }
        next += 1;
        labels[start] = next;
        stack.clear();
        stack.push(start as u32);
        while let Some(p) = stack.pop() {
            let p = p as usize;
            let (x, y) = (p % w, p / w);
            let x0 = x.saturating_sub(1);
            let x1 = (x + 1).min(w - 1);
            let y0 = y.saturating_sub(1);
            let y1 = (y + 1).min(h - 1);
            for ny in y0..=y1 {
                for nx in x0..=x1 {
                    if !eight && nx != x && ny != y {
                        continue;
                    }
                    let q = ny * w + nx;
                    if mask[q] == value && labels[q] == 0 {
                        labels[q] = next;
                        stack.push(q as u32);
                    }
                }
            }
        }
    }
    next
}

/// 3x3 box mean of `src` into `dst` (edges replicate), via `tmp`.
fn box3(src: &[u8], tmp: &mut Vec<u8>, dst: &mut Vec<u8>, w: usize, h: usize) {
    let n = w * h;
    tmp.clear();
    tmp.resize(n, 0);
    dst.clear();
    dst.resize(n, 0);
    if w == 0 || h == 0 {
        return;
    }
    for y in 0..h {
        let s = &src[y * w..(y + 1) * w];
        let d = &mut tmp[y * w..(y + 1) * w];
        for x in 0..w {
            let a = s[x.saturating_sub(1)] as u32;
            let b = s[x] as u32;
            let c = s[(x + 1).min(w - 1)] as u32;
            d[x] = ((a + b + c + 1) / 3) as u8;
        }
    }
    for y in 0..h {
        let (ya, yc) = (y.saturating_sub(1), (y + 1).min(h - 1));
        for x in 0..w {
            let s = tmp[ya * w + x] as u32 + tmp[y * w + x] as u32 + tmp[yc * w + x] as u32;
            dst[y * w + x] = ((s + 1) / 3) as u8;
        }
    }
}

/// 3x3 max (`max` = true, dilation) or min (erosion) of `src` into `dst`; `tmp` is scratch.
/// Edges replicate, so a hand entering from the frame edge is not eaten away there.
fn morph3(src: &[u8], tmp: &mut Vec<u8>, dst: &mut [u8], w: usize, h: usize, max: bool) {
    let n = w * h;
    tmp.clear();
    tmp.resize(n, 0);
    let op = |a: u8, b: u8| if max { a.max(b) } else { a.min(b) };
    for (s, d) in src.chunks_exact(w).zip(tmp.chunks_exact_mut(w)) {
        for x in 0..w {
            let a = s[x.saturating_sub(1)];
            let c = s[(x + 1).min(w - 1)];
            d[x] = op(op(a, s[x]), c);
        }
    }
    for y in 0..h {
        let (ya, yc) = (y.saturating_sub(1), (y + 1).min(h - 1));
        for x in 0..w {
            dst[y * w + x] = op(op(tmp[ya * w + x], tmp[y * w + x]), tmp[yc * w + x]);
        }
    }
}

fn percentile_u8(v: &[u8], q: f32) -> u8 {
    let mut hist = [0u32; 256];
    for &x in v {
        hist[x as usize] += 1;
    }
    let target = (v.len() as f32 * q) as u32;
    let mut acc = 0;
    for (i, &c) in hist.iter().enumerate() {
        acc += c;
        if acc > target {
            return i as u8;
        }
    }
    255
}

/// Otsu's threshold of a 256-bin histogram.
fn otsu(hist: &[u32; 256], n: u32) -> u8 {
    let total: f64 = hist
        .iter()
        .enumerate()
        .map(|(i, &c)| i as f64 * c as f64)
        .sum();
    let (mut sum_b, mut w_b) = (0f64, 0f64);
    let (mut best, mut best_t) = (0f64, 128u8);
    for (t, &c) in hist.iter().enumerate() {
        w_b += c as f64;
        if w_b == 0.0 {
            continue;
        }
        let w_f = n as f64 - w_b;
        if w_f <= 0.0 {
            break;
        }
        sum_b += t as f64 * c as f64;
        let m_b = sum_b / w_b;
        let m_f = (total - sum_b) / w_f;
        let between = w_b * w_f * (m_b - m_f) * (m_b - m_f);
        if between > best {
            best = between;
            best_t = t as u8;
        }
    }
    best_t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn work_factor_targets_400() {
        assert_eq!(work_factor(1280, 720), 4);
        assert_eq!(work_factor(1920, 1080), 6);
        assert_eq!(work_factor(100, 100), 1);
        assert_eq!(work_factor(416, 416), 1);
    }
}
