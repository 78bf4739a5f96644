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

/// Bounding box `(x0, y0, x1, y1)` (ends exclusive) of the non-zero pixels of a `w` x `h`
/// row-major mask, or `None` when there are none (or the mask is shorter than `w * h`).
pub(crate) fn nonzero_bbox(
    mask: &[u8],
    w: usize,
    h: usize,
) -> Option<(usize, usize, usize, usize)> {
    if w == 0 || h == 0 || mask.len() < w * h {
        return None;
    }
    let (mut x0, mut y0, mut x1, mut y1) = (w, h, 0, 0);
    for (y, row) in mask.chunks_exact(w).take(h).enumerate() {
        if let Some(first) = row.iter().position(|&v| v != 0) {
            let last = row.iter().rposition(|&v| v != 0).unwrap_or(first);
            x0 = x0.min(first);
            x1 = x1.max(last + 1);
            y0 = y0.min(y);
            y1 = y1.max(y + 1);
        }
    }
    (x1 > x0 && y1 > y0).then_some((x0, y0, x1, y1))
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

impl HandMask {
    /// Makes `self` a copy of `other`, reusing its buffer (no allocation once warm, unlike
    /// `clone_from`, which a derived `Clone` implements by allocating a new vector).
    pub fn copy_from(&mut self, other: &HandMask) {
        self.width = other.width;
        self.height = other.height;
        self.factor = other.factor;
        self.mask.clear();
        self.mask.extend_from_slice(&other.mask);
        self.area = other.area;
        self.skin_mean = other.skin_mean;
        self.colour = other.colour;
    }
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

/// Passes of `Segmenter::edge_cut`'s growth back over the edge band: the thresholded,
/// thickened edge map eats about two low-resolution pixels into each side of a sharp step.
/// (One pass left the cut fingers of training frames 8% (720p) to 20% (1080p) narrower than
/// the others; two, 5%. Three or four made no difference end to end.)
const EDGE_CUT_GROWTH: usize = 2;

/// Mahalanobis distance squared below which a pixel may be skin (about 3.5 sigma in 2-D).
const SKIN_D2: f32 = 12.0;
/// Smallest chroma variance of a fitted model (quantisation and JPEG noise).
const MIN_CHROMA_VAR: f32 = 4.0;
/// Least edge strength (luma + chroma Sobel, levels) that cuts the mask in a normally lit frame.
const EDGE_FLOOR: f32 = 10.0;
/// Mean frame luma at and above which [`EDGE_FLOOR`] applies in full; below it the floor
/// scales down with the light.
const EDGE_FLOOR_LUMA: f32 = 100.0;
/// The edge floor in the dimmest frames: half the full one, still well above the smoothed
/// gradient noise.
const EDGE_FLOOR_MIN: f32 = 5.0;
/// A kept piece touching the left or right border whose mean luma differs from the kept
/// pieces' median by more than this share of it is background.
const SIDE_LUMA_TOL: f32 = 0.3;
/// A piece restored by `restore_through_pieces` has mean luma within this share of the kept
/// pieces' median.
const RESTORE_LUMA_TOL: f32 = 0.2;
/// Most candidate skin colours compared per frame.
const MAX_MODES: usize = 4;
/// Components smaller than this share of the largest kept component are dropped. Small: with
/// the palm out of the frame each finger is its own component, and the little finger, short
/// and low, may show a tenth of the middle finger's area.
const MIN_COMPONENT_SHARE: f32 = 0.03;

/// Which luma a gray frame's hand mask takes: one of the two classes Otsu's threshold splits
/// the frame into, or a band fitted on fingers already found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum GrayClass {
    /// The class that fills the centre of the frame: usually the hand.
    #[default]
    Centre,
    /// The other one: the hand when the background fills the centre too (a bright wall
    /// showing between and above dark fingers).
    Other,
    /// Luma from `lo` to `hi` inclusive: the band the fingers an earlier pass found fill
    /// (fingers between a brighter and a darker background, which neither class holds alone).
    Band {
        /// Darkest luma taken as hand.
        lo: u8,
        /// Brightest luma taken as hand.
        hi: u8,
    },
}

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
    comp_area: Vec<u32>,
    comp_border: Vec<u8>,
    comp_bottom: Vec<u8>,
    /// Luma sum per piece of the edge cut.
    comp_luma: Vec<u32>,
    /// Cb and Cr sums per piece of the edge cut.
    comp_cb: Vec<u32>,
    comp_cr: Vec<u32>,
    /// Whether `cut_background` runs for [`Segmenter::refine`].
    in_refine: bool,
    comp_score: Vec<f32>,
    /// Per-pixel vote for the skin colour.
    seed: Vec<f32>,
    /// Soft skin prior on a 64x64 chroma grid (filled once).
    prior_lut: Vec<f32>,
    lscratch: LabelScratch,
    cand: Vec<u8>,
    edge: Vec<u8>,
    sm_luma: Vec<u8>,
    sm_cb: Vec<u8>,
    sm_cr: Vec<u8>,
    /// The edge pixels of `cut_background` (thresholded, thickened by one), a function of the
    /// low-resolution planes alone: [`Segmenter::refine`] reuses the last `segment`'s map for
    /// the same frame instead of computing it again (a quarter of `refine`'s cost).
    barrier: Vec<u8>,
    /// Piece labels while `edge_cut` grows them back.
    grown: Vec<u32>,
    /// Which frame `barrier` belongs to; `None` when it is not valid.
    barrier_key: Option<PlaneKey>,
    /// The edge strength threshold `barrier` was cut at.
    barrier_t: u8,
    /// The same edge strength cut at another threshold, for [`Segmenter::edge_cut_at`].
    scaled_barrier: Vec<u8>,
}

/// Identifies the low-resolution planes an edge map was computed from: their buffers, size and
/// plane sums. The analyzer refines the frame it has just segmented, in the same buffers; a
/// caller that rewrites the planes in place between the calls changes the sums (all but
/// certainly), and the map is computed again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct PlaneKey {
    ptrs: [usize; 3],
    w: usize,
    h: usize,
    sums: [u32; 3],
}

impl PlaneKey {
    fn of(low: &LowRes, w: usize, h: usize) -> PlaneKey {
        let n = w * h;
        let sum = |p: &[u8]| p.get(..n).map_or(0, sum_u8);
        PlaneKey {
            ptrs: [
                low.luma.as_ptr() as usize,
                low.cb.as_ptr() as usize,
                low.cr.as_ptr() as usize,
            ],
            w,
            h,
            sums: [sum(&low.luma), sum(&low.cb), sum(&low.cr)],
        }
    }
}

impl Segmenter {
    /// A segmenter with empty scratch.
    pub fn new() -> Self {
        Segmenter::default()
    }

    /// Fills `out` with the hand mask of `low`.
    pub fn segment(&mut self, low: &LowRes, out: &mut HandMask) {
        self.segment_with(low, None, out);
    }

    /// [`Segmenter::segment`], from luma alone with luma class `luma` taken as hand when given,
    /// else from colour when the frame has it (luma's centre class otherwise).
    fn segment_with(&mut self, low: &LowRes, luma: Option<GrayClass>, out: &mut HandMask) {
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

        match luma {
            None if colour => self.colour_mask(low, w, h, out),
            class => self.gray_mask(low, w, h, class.unwrap_or_default(), out),
        }
        self.clean(w, h, &mut out.mask);
        self.cut_background(low, w, h, &mut out.mask);
        out.area = out.mask.iter().map(|&m| m as u32).sum();
    }

    /// Segments from luma alone, as a gray frame is, with luma class `class` taken as hand (see
    /// [`GrayClass`]), whatever colour the frame has (`out.colour` still says whether it has
    /// any): the later passes of a gray frame, and of a colour frame whose background shares
    /// the hand's colour but not its brightness.
    pub fn segment_luma_as(&mut self, low: &LowRes, class: GrayClass, out: &mut HandMask) {
        self.segment_with(low, Some(class), out);
    }

    /// Segments again with the skin colour refitted on `fingers` (a low-resolution mask of the
    /// digits a first pass found, same size as `low`), and the background on the pixels far
    /// from `previous`. Fingers are the surest skin samples in the frame: a colour model fitted
    /// on the whole first mask also learns whatever skin-coloured background it took in, and
    /// then takes in more. Leaves `out` unchanged and returns false when there are too few
    /// finger pixels to fit (a first pass that found no finger) or the frame has no colour.
    pub fn refine(&mut self, low: &LowRes, fingers: &[u8], out: &mut HandMask) -> bool {
        let (w, h) = (low.width as usize, low.height as usize);
        let n = w * h;
        if !out.colour
            || n == 0
            || fingers.len() != n
            || out.mask.len() != n
            || low.cb.len() < n
            || low.cr.len() < n
        {
            return false;
        }
        let (cb, cr) = (&low.cb[..n], &low.cr[..n]);
        let mut skin_m = Moments::default();
        for i in 0..n {
            if fingers[i] != 0 {
                skin_m.add(cb[i] as f32, cr[i] as f32, 1.0);
            }
        }
        // A few dozen pixels of one finger at low resolution already pin the chroma mean.
        if skin_m.w < 40.0 {
            return false;
        }
        let Some(skin) = Gauss2::from_moments(&skin_m, MIN_CHROMA_VAR) else {
            return false;
        };
        // Background: pixels the first mask left out, plus those taken in but clearly not of
        // the fingers' colour (so a flooded region is modelled as background).
        let mut bg_m = Moments::default();
        for i in (0..n).step_by(2) {
            let (b, r) = (cb[i] as f32, cr[i] as f32);
            if out.mask[i] == 0 || skin.d2(b, r) > 4.0 * SKIN_D2 {
                bg_m.add(b, r, 1.0);
            }
        }
        let back = if bg_m.w > 30.0 {
            Gauss2::from_moments(&bg_m, 25.0)
        } else {
            None
        };
        classify(cb, cr, &skin, back.as_ref(), &mut out.mask);
        self.clean(w, h, &mut out.mask);
        self.in_refine = true;
        self.cut_background(low, w, h, &mut out.mask);
        self.in_refine = false;
        out.area = out.mask.iter().map(|&m| m as u32).sum();
        out.skin_mean = skin.m;
        true
    }

    /// `mask` cut along this frame's edge map into `out`: the pieces that `cut_background`
    /// labels, with the holes inside them filled (dirt, glare and ridge texture leave rings of
    /// edge inside a finger), then grown back over the edge band where no other piece is near
    /// (so a piece regains its outer sides, and neighbours stay apart by the band).
    /// False, leaving `out` as it was, when the edge map is not this frame's (`segment` or
    /// `refine` computes it) or `mask` is not of `low`'s size.
    pub fn edge_cut(&mut self, low: &LowRes, mask: &HandMask, out: &mut HandMask) -> bool {
        self.edge_cut_at(low, mask, 1.0, out)
    }

    /// [`Segmenter::edge_cut`] along the edge map thresholded at `scale` times its usual
    /// threshold (not below the dim-frame floor): below 1 a fainter outline cuts too, above 1
    /// only stronger ones (creases and ridge texture cut less). Same `false` cases.
    pub fn edge_cut_at(
        &mut self,
        low: &LowRes,
        mask: &HandMask,
        scale: f32,
        out: &mut HandMask,
    ) -> bool {
        let (w, h) = (low.width as usize, low.height as usize);
        let n = w * h;
        if w < 3 || h < 3 || mask.mask.len() != n || !self.edge_map_is_for(low) {
            return false;
        }
        let barrier = if scale == 1.0 {
            &self.barrier
        } else {
            self.scale_barrier(scale, w, h);
            &self.scaled_barrier
        };
        out.copy_from(mask);
        for (o, &e) in out.mask.iter_mut().zip(barrier) {
            *o &= (e == 0) as u8;
        }
        self.fill_holes(w, h, &mut out.mask);
        label(
            &out.mask,
            1,
            w,
            h,
            false,
            &mut self.labels,
            &mut self.lscratch,
        );
        // Grow each piece back over the edge band, a pixel a pass, into pixels of `mask` that
        // touch it and have no other piece within two pixels: the outer sides come back,
        // while the band between two pieces stays, as wide as the finder needs to see it.
        for _ in 0..EDGE_CUT_GROWTH {
            self.grown.clear();
            self.grown.extend_from_slice(&self.labels);
            let mut changed = false;
            for y in 2..h.saturating_sub(2) {
                for x in 2..w - 2 {
                    let i = y * w + x;
                    if self.labels[i] != 0 || mask.mask[i] == 0 {
                        continue;
                    }
                    // A labelled 4-neighbour, and no other piece in the 5x5 around (which holds
                    // the other 4-neighbours too).
                    let touching = [i - 1, i + 1, i - w, i + w]
                        .into_iter()
                        .map(|j| self.labels[j])
                        .find(|&l| l != 0);
                    if let Some(l) = touching.filter(|&l| alone_within_two(&self.labels, i, w, l)) {
                        self.grown[i] = l;
                        changed = true;
                    }
                }
            }
            std::mem::swap(&mut self.labels, &mut self.grown);
            if !changed {
                break;
            }
        }
        for (o, &l) in out.mask.iter_mut().zip(&self.labels) {
            *o = (l != 0) as u8;
        }
        out.area = out.mask.iter().map(|&m| m as u32).sum();
        true
    }

    /// A mask from the hand's outline alone, whatever its colours: everything the frame's top
    /// and the upper parts of its sides cannot reach without crossing the edge map, thresholded
    /// at half its usual level so that a soft silhouette still closes, then shrunk by a pixel
    /// (the thickened outline's outer side), holes filled, opened and only large components
    /// kept. For a hand on a background of nearly its own colour and brightness, where the
    /// colour mask breaks into patches and neither luma class holds it whole, but its outline
    /// is still an edge. The hand enters from below, so the bottom of the frame seeds nothing.
    /// `template` gives the mask's size, factor and colour flag. False, leaving `out` as it was,
    /// when the edge map is not this frame's or `template` is not of `low`'s size.
    pub fn border_flood(&mut self, low: &LowRes, template: &HandMask, out: &mut HandMask) -> bool {
        let (w, h) = (low.width as usize, low.height as usize);
        let n = w * h;
        if w < 3 || h < 3 || template.mask.len() != n || !self.edge_map_is_for(low) {
            return false;
        }
        self.scale_barrier(FLOOD_EDGE_SCALE, w, h);
        // What the border reaches: the edge-free components (4-connected) that touch it, as
        // `fill_holes` finds a mask's background, the sides only in their upper rows.
        let ncomp = label_runs(&self.scaled_barrier, 0, w, h, false, &mut self.lscratch);
        let side_rows = h * FLOOD_SIDE_SEED_NUM / FLOOD_SIDE_SEED_DEN;
        self.mark_border_components(ncomp, w, side_rows);
        self.cand.clear();
        self.cand.resize(n, 1);
        for (a, b, l) in self.lscratch.labelled_runs(w) {
            if self.comp_border.get(l as usize).copied() == Some(1) {
                if let Some(px) = self.cand.get_mut(a..b) {
                    px.fill(0);
                }
            }
        }
        out.copy_from(template);
        morph3(&self.cand, &mut self.tmp, &mut out.mask, w, h, false);
        let mut mask = std::mem::take(&mut out.mask);
        self.fill_holes(w, h, &mut mask);
        self.clean(w, h, &mut mask);
        self.keep_large(w, h, &mut mask);
        out.mask = mask;
        out.area = out.mask.iter().map(|&m| m as u32).sum();
        true
    }

    /// Whether the edge strength and barrier held (`edge_barrier`'s) are `low`'s.
    fn edge_map_is_for(&self, low: &LowRes) -> bool {
        let (w, h) = (low.width as usize, low.height as usize);
        self.barrier_key == Some(PlaneKey::of(low, w, h))
            && self.barrier.len() == w * h
            && self.edge.len() == w * h
    }

    /// Into `scaled_barrier`: the edge strength `edge_barrier` left in `edge`, thresholded at
    /// `scale` times its threshold (not below the dim-frame floor) and thickened as it does.
    /// `edge` must be `w * h` long.
    fn scale_barrier(&mut self, scale: f32, w: usize, h: usize) {
        let t = (self.barrier_t as f32 * scale).max(EDGE_FLOOR_MIN) as u8;
        self.cand.clear();
        self.cand.extend(self.edge.iter().map(|&e| (e >= t) as u8));
        self.scaled_barrier.clear();
        self.scaled_barrier.resize(w * h, 0);
        morph3(
            &self.cand,
            &mut self.tmp,
            &mut self.scaled_barrier,
            w,
            h,
            true,
        );
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
        if self.prior_lut.len() != 64 * 64 {
            // Once per segmenter: the soft skin prior on a 4-level chroma grid.
            self.prior_lut.clear();
            for b in 0..64u32 {
                for r in 0..64u32 {
                    self.prior_lut
                        .push(skin_prior((b * 4 + 2) as u8, (r * 4 + 2) as u8));
                }
            }
        }
        // Every pixel's vote for the skin colour: centrality, texture (in-focus pixels are
        // likelier hand; normalised by a high percentile so the cue weighs the same at any
        // exposure) and the soft skin prior, so a large neutral or strongly coloured background
        // does not capture the mode.
        let tex_ref = percentile_u8(&self.texture, 0.9).max(2) as f32;
        // The texture weight takes 256 values: one division each, not one per pixel.
        let mut tex_w = [0f32; 256];
        for (v, t) in tex_w.iter_mut().enumerate() {
            *t = 1.0 + (v as f32 / tex_ref).min(2.0);
        }
        self.seed.resize(n, 0.0);
        let prior: &[f32; 64 * 64] = match self.prior_lut.as_slice().try_into() {
            Ok(p) => p,
            Err(_) => return,
        };
        let wx = &self.wx[..w];
        for (y, &wy) in self.wy[..h].iter().enumerate() {
            let row = y * w..(y + 1) * w;
            let (rb, rr) = (&cb[row.clone()], &cr[row.clone()]);
            let (rt, rs) = (&self.texture[row.clone()], &mut self.seed[row]);
            for ((((s, &wxx), &t), &b), &r) in rs.iter_mut().zip(wx).zip(rt).zip(rb).zip(rr) {
                let p = prior[(b as usize >> 2) * 64 + (r as usize >> 2)];
                *s = wxx * wy * tex_w[t as usize] * p;
            }
        }
        // 1. Candidate skin colours: peaks of the vote histogram in (Cb, Cr), each refined by
        // mean shift. Several are kept because a wall or floor near skin colour can outvote
        // the hand; the masks they give are compared below.
        let mut hist = [[0f32; 32]; 32];
        for y in (0..h).step_by(2) {
            for x in (0..w).step_by(2) {
                let i = y * w + x;
                hist[(cb[i] >> 3) as usize][(cr[i] >> 3) as usize] += self.seed[i];
            }
        }
        let mut peaks = [([0f32; 2], 0f32); MAX_MODES];
        let mut npeaks = 0;
        let hmax = hist.iter().flatten().copied().fold(0.0f32, f32::max);
        for bi in 0..32 {
            for ri in 0..32 {
                let v = hist[bi][ri];
                if v <= 0.05 * hmax {
                    continue;
                }
                let mut is_max = true;
                for db in -1i32..=1 {
                    for dr in -1i32..=1 {
                        let (nb, nr) = (bi as i32 + db, ri as i32 + dr);
                        if (db, dr) != (0, 0) && (0..32).contains(&nb) && (0..32).contains(&nr) {
                            let u = hist[nb as usize][nr as usize];
                            // Ties broken by index so a plateau yields one peak.
                            if u > v || (u == v && (nb, nr) < (bi as i32, ri as i32)) {
                                is_max = false;
                            }
                        }
                    }
                }
                if is_max {
                    let c = [bi as f32 * 8.0 + 4.0, ri as f32 * 8.0 + 4.0];
                    if npeaks < MAX_MODES {
                        peaks[npeaks] = (c, v);
                        npeaks += 1;
                    } else if let Some(minp) = peaks.iter_mut().min_by(|a, b| a.1.total_cmp(&b.1)) {
                        if minp.1 < v {
                            *minp = (c, v);
                        }
                    }
                }
            }
        }
        let mut modes = [[0f32; 2]; MAX_MODES];
        let mut nmodes = 0;
        for &(start, _) in &peaks[..npeaks] {
            let mut centre = start;
            for radius in [14.0f32, 10.0, 8.0] {
                let r2 = radius * radius;
                let mut m = Moments::default();
                for y in (0..h).step_by(3) {
                    for x in (0..w).step_by(3) {
                        let i = y * w + x;
                        let (b, r) = (cb[i] as f32, cr[i] as f32);
                        let d = (b - centre[0]).powi(2) + (r - centre[1]).powi(2);
                        if d <= r2 {
                            m.add(b, r, self.seed[i]);
                        }
                    }
                }
                if m.w > 1e-6 {
                    centre = [m.x / m.w, m.y / m.w];
                }
            }
            let dup = modes[..nmodes]
                .iter()
                .any(|m| (m[0] - centre[0]).powi(2) + (m[1] - centre[1]).powi(2) < 36.0);
            if !dup {
                modes[nmodes] = centre;
                nmodes += 1;
            }
        }
        if nmodes == 0 {
            modes[0] = [110.0, 148.0];
            nmodes = 1;
        }
        // 2. For each candidate: a Gaussian around the mode, and how much the mask it gives
        // (judged on every second pixel) looks like a hand: skin-like colour, central, entering
        // from the bottom rather than touching the top and sides like a wall or floor.
        let mut best_score = f32::MIN;
        let mut skin = Gauss2::default();
        let mut back = None;
        for &centre in &modes[..nmodes] {
            let mut m = Moments::default();
            let mut bg = Moments::default();
            for y in (0..h).step_by(2) {
                let wy = self.wy[y];
                for x in (0..w).step_by(2) {
                    let i = y * w + x;
                    let (b, r) = (cb[i] as f32, cr[i] as f32);
                    let d = (b - centre[0]).powi(2) + (r - centre[1]).powi(2);
                    if d <= 100.0 {
                        m.add(b, r, self.wx[x] * wy + 0.05);
                    } else if d > 400.0 {
                        bg.add(b, r, 1.0);
                    }
                }
            }
            let Some(g) = Gauss2::from_moments(&m, MIN_CHROMA_VAR) else {
                continue;
            };
            let bgm = Gauss2::from_moments(&bg, 25.0);
            let score = self.hand_likeness(cb, cr, &g, bgm.as_ref(), w, h)
                * (0.2 + skin_prior(centre[0].round() as u8, centre[1].round() as u8));
            if score > best_score {
                best_score = score;
                skin = g;
                back = bgm;
            }
        }
        if best_score == f32::MIN {
            return;
        }
        classify(cb, cr, &skin, back.as_ref(), &mut out.mask);
        self.clean(w, h, &mut out.mask);
        // 3. Refit once on the chosen mask: the hand, rather than every skin-ish pixel.
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
        classify(cb, cr, &skin, back.as_ref(), &mut out.mask);
        out.skin_mean = skin.m;
    }

    /// How much the mask a colour model gives looks like a hand in a capture frame, judged on
    /// every second pixel: centre-weighted coverage, little contact with the top, left and right
    /// borders (a hand enters from the bottom; a wall or floor touches the sides), and a
    /// plausible area.
    fn hand_likeness(
        &self,
        cb: &[u8],
        cr: &[u8],
        skin: &Gauss2,
        back: Option<&Gauss2>,
        w: usize,
        h: usize,
    ) -> f32 {
        let is_skin = |i: usize| -> bool {
            let (b, r) = (cb[i] as f32, cr[i] as f32);
            let ds = skin.d2(b, r);
            ds < SKIN_D2
                && back.is_none_or(|bg| ds + skin.log_det <= bg.d2(b, r) + bg.log_det + 2.0)
        };
        let (mut inside, mut total, mut area, mut cells) = (0f32, 0f32, 0usize, 0usize);
        for y in (0..h).step_by(2) {
            let wy = self.wy[y];
            for x in (0..w).step_by(2) {
                let wgt = self.wx[x] * wy;
                total += wgt;
                cells += 1;
                if is_skin(y * w + x) {
                    inside += wgt;
                    area += 1;
                }
            }
        }
        let (mut border, mut bcells) = (0usize, 0usize);
        for x in (0..w).step_by(2) {
            border += is_skin(x) as usize;
            bcells += 1;
        }
        for y in (0..h).step_by(2) {
            border += is_skin(y * w) as usize + is_skin(y * w + w - 1) as usize;
            bcells += 2;
        }
        let bfrac = border as f32 / bcells.max(1) as f32;
        let afrac = area as f32 / cells.max(1) as f32;
        let area_ok = if (0.005..=0.8).contains(&afrac) {
            1.0
        } else {
            0.3
        };
        (inside / total.max(1e-6)) * (1.0 - bfrac).powi(2) * area_ok
    }

    /// Gray frames: Otsu on luma decides whether the hand is the bright or dark class, the
    /// centre-weighted majority picks the hand side.
    fn gray_mask(
        &mut self,
        low: &LowRes,
        w: usize,
        h: usize,
        class: GrayClass,
        out: &mut HandMask,
    ) {
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
        if let GrayClass::Band { lo, hi } = class {
            for (m, &l) in out.mask.iter_mut().zip(luma) {
                *m = (l >= lo && l <= hi) as u8;
            }
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
        let bright = (above >= below) != (class == GrayClass::Other);
        for (m, &l) in out.mask.iter_mut().zip(luma) {
            *m = ((l > t) == bright) as u8;
        }
    }

    /// Removes background that has the hand's colour (a beige wall, a wooden floor): the mask
    /// is cut along luma and chroma edges (the hand's outline is an edge even where colours
    /// match), pieces that reach the top corners of the frame or run along much of its top
    /// edge are background (the hand enters from the bottom, fingers up), so are pieces at the
    /// left or right border much brighter or darker than the rest (a floor beside the hand),
    /// and the rest is grown back over the edge pixels that touch it. In the first pass only,
    /// side pieces are judged by brightness, and a top-corner piece that runs down to the
    /// bottom with the hand's colour and brightness (a close-up's finger) is kept.
    fn cut_background(&mut self, low: &LowRes, w: usize, h: usize, mask: &mut [u8]) {
        let n = w * h;
        if w < 8 || h < 8 {
            return;
        }
        let key = PlaneKey::of(low, w, h);
        // The first pass always computes the map; a refinement of the same frame reuses it.
        if !(self.in_refine && self.barrier_key == Some(key) && self.barrier.len() == w * h) {
            self.edge_barrier(low, w, h, key.sums[0]);
            self.barrier_key = Some(key);
        }
        self.cand.clear();
        self.cand.resize(w * h, 0);
        for ((c, &m), &e) in self.cand.iter_mut().zip(mask.iter()).zip(&self.barrier) {
            *c = (m != 0 && e == 0) as u8;
        }
        let ncomp = label(
            &self.cand,
            1,
            w,
            h,
            false,
            &mut self.labels,
            &mut self.lscratch,
        ) as usize;
        if ncomp == 0 {
            return;
        }
        self.comp_area.clear();
        self.comp_area.extend_from_slice(&self.lscratch.area);
        self.comp_border.clear();
        self.comp_border.resize(ncomp + 1, 0);
        // Top-border contact per component, and the top corners.
        let mut top = std::mem::take(&mut self.comp_score);
        top.clear();
        top.resize(ncomp + 1, 0.0);
        for x in 0..w {
            top[self.labels[x] as usize] += 1.0;
        }
        let (cw, ch) = ((w / 12).max(2), (h / 12).max(2));
        for y in 0..ch {
            for x in (0..cw).chain(w - cw..w) {
                let l = self.labels[y * w + x] as usize;
                if l != 0 {
                    self.comp_border[l] = 1;
                }
            }
        }
        let mut kept = 0u32;
        let mut any_dropped = false;
        for (c, &t) in top.iter().enumerate().skip(1) {
            let background = self.comp_border[c] != 0 || t > 0.4 * w as f32;
            if background {
                self.comp_border[c] = 0;
                any_dropped = true;
            } else {
                self.comp_border[c] = 1;
                kept += self.comp_area[c];
            }
        }
        // Only in the first pass: the refined colour model, fitted on the fingers, already leaves
        // out most of such a floor, and what it leaves at the sides is mostly shaded hand.
        if kept > 0 && !self.in_refine {
            any_dropped |= self.drop_side_pieces(low, w, h, &mut top, &mut kept);
        }
        self.comp_score = top;
        // Nothing looked like background, or nothing is left: keep the mask as it was.
        if !any_dropped || kept < (n as u32 / 200).max(16) {
            return;
        }
        for (c, &l) in self.cand.iter_mut().zip(&self.labels) {
            *c = (l != 0 && self.comp_border[l as usize] != 0) as u8;
        }
        // Grow the kept pieces back over the edges between them (creases, the lines between
        // touching fingers), staying inside the colour mask.
        for _ in 0..3 {
            morph3(&self.cand, &mut self.tmp, &mut self.tmp2, w, h, true);
            for ((c, &d), &m) in self.cand.iter_mut().zip(&self.tmp2).zip(mask.iter()) {
                *c = d & m;
            }
        }
        mask.copy_from_slice(&self.cand);
    }

    /// The edge pixels `cut_background` cuts the mask along, into `barrier`: Sobel of luma
    /// plus chroma on 3x3-smoothed planes, thresholded, thickened by one. `luma_sum` is the
    /// sum of the luma plane. Needs `w, h >= 8`.
    fn edge_barrier(&mut self, low: &LowRes, w: usize, h: usize, luma_sum: u32) {
        let n = w * h;
        // Edge strength: Sobel of luma plus chroma, on 3x3-smoothed planes.
        box3(&low.luma[..n], &mut self.tmp, &mut self.sm_luma, w, h);
        box3(&low.cb[..n], &mut self.tmp, &mut self.sm_cb, w, h);
        box3(&low.cr[..n], &mut self.tmp, &mut self.sm_cr, w, h);
        self.edge.clear();
        self.edge.resize(n, 0);
        for y in 1..h - 1 {
            let rows = (y - 1) * w..(y + 2) * w;
            let e = &mut self.edge[y * w + 1..(y + 1) * w - 1];
            edge_row(
                &self.sm_luma[rows.clone()],
                &self.sm_cb[rows.clone()],
                &self.sm_cr[rows],
                w,
                e,
            );
        }
        // Interior pixels only: the border is 0 in `edge` and was never counted.
        let mut hist = histogram_u8(&self.edge);
        hist[0] -= (n - (w - 2) * (h - 2)) as u32;
        // Edges: well above the typical gradient (texture and noise set the median).
        let mut acc = 0;
        let mut median = 0;
        for (v, &c) in hist.iter().enumerate() {
            acc += c;
            if acc * 2 >= ((w - 2) * (h - 2)) as u32 {
                median = v as u32;
                break;
            }
        }
        // The floor is in luma and chroma levels, but the same outline under half the light
        // gives half the gradient: it scales with the frame's mean luma, so a dim frame's hand
        // outline still cuts the mask (down to a floor that stays above sensor noise).
        let mean_luma = luma_sum as f32 / n as f32;
        let floor = (EDGE_FLOOR * mean_luma / EDGE_FLOOR_LUMA).clamp(EDGE_FLOOR_MIN, EDGE_FLOOR);
        let t = (3 * median).clamp(floor as u32, 255) as u8;
        self.barrier_t = t;
        // Edge pixels, thickened by one so small breaks in an outline do not let the
        // background leak into the hand.
        self.cand.clear();
        self.cand.extend(self.edge.iter().map(|&e| (e >= t) as u8));
        self.barrier.clear();
        self.barrier.resize(n, 0);
        morph3(&self.cand, &mut self.tmp, &mut self.barrier, w, h, true);
    }

    /// Drops kept pieces that touch the left or right border and whose mean luma is far from
    /// the kept pieces' area-weighted median luma: a floor or wall of the hand's colour seen
    /// beside it; then [`Self::restore_through_pieces`]. Returns whether any was dropped. `scratch` (one entry per piece) is
    /// overwritten.
    fn drop_side_pieces(
        &mut self,
        low: &LowRes,
        w: usize,
        h: usize,
        scratch: &mut [f32],
        kept: &mut u32,
    ) -> bool {
        let np = self.comp_border.len();
        // Which pieces reach the bottom, and whether any rule can apply (a kept piece at a
        // side, a dropped one at the bottom): most frames have neither, and skip the sums.
        self.comp_bottom.clear();
        self.comp_bottom.resize(np, 0);
        if let Some(last) = self.labels.get((h - 1) * w..h * w) {
            for &l in last {
                if let Some(b) = self.comp_bottom.get_mut(l as usize) {
                    *b = 1;
                }
            }
        }
        let candidates = self
            .comp_border
            .iter()
            .zip(&self.comp_bottom)
            .skip(1)
            .any(|(&keep, &bottom)| keep == 0 && bottom != 0);
        let at_side = (0..h).any(|y| {
            [0, w - 1].iter().any(|&x| {
                let c = self.labels[y * w + x] as usize;
                c != 0 && self.comp_border[c] != 0
            })
        });
        if !candidates && !at_side {
            return false;
        }
        self.comp_luma.clear();
        self.comp_luma.resize(np, 0);
        self.comp_cb.clear();
        self.comp_cb.resize(np, 0);
        self.comp_cr.clear();
        self.comp_cr.resize(np, 0);
        for (a, b, l) in self.lscratch.labelled_runs(w) {
            let l = l as usize;
            if let (Some(px), Some(sum)) = (low.luma.get(a..b), self.comp_luma.get_mut(l)) {
                *sum += sum_u8(px);
            }
            // Chroma only for the restore (side-dropped pieces are too far in luma for it).
            if !candidates {
                continue;
            }
            let (Some(pb), Some(pr), Some(sb), Some(sr)) = (
                low.cb.get(a..b),
                low.cr.get(a..b),
                self.comp_cb.get_mut(l),
                self.comp_cr.get_mut(l),
            ) else {
                continue;
            };
            *sb += sum_u8(pb);
            *sr += sum_u8(pr);
        }
        // Area-weighted histogram of the kept pieces' mean luma.
        let mut hist = [0u32; 256];
        let mut total = 0u32;
        let pieces = scratch
            .iter_mut()
            .zip(&self.comp_area)
            .zip(&self.comp_luma)
            .zip(&self.comp_border)
            .skip(1);
        for (((mean_out, &area), &sum), &keep) in pieces {
            let area = area.max(1);
            let mean = sum / area;
            *mean_out = mean as f32;
            if keep != 0 {
                hist[mean.min(255) as usize] += area;
                total += area;
            }
        }
        let mut acc = 0;
        let mut median = 0f32;
        for (v, &c) in hist.iter().enumerate() {
            acc += c;
            if 2 * acc >= total {
                median = v as f32;
                break;
            }
        }
        let tol = SIDE_LUMA_TOL * median.max(20.0);
        let mut dropped = false;
        for y in 0..h {
            for x in [0, w - 1] {
                let c = self.labels[y * w + x] as usize;
                if c != 0 && self.comp_border[c] != 0 && (scratch[c] - median).abs() > tol {
                    self.comp_border[c] = 0;
                    *kept -= self.comp_area[c];
                    dropped = true;
                }
            }
        }
        if candidates {
            self.restore_through_pieces(scratch, median, kept);
        }
        dropped
    }

    /// Keeps again the pieces dropped for reaching a top corner that also reach the bottom
    /// border and have the kept pieces' colour (median Cb and Cr within 2 levels) and
    /// brightness (mean luma within 0.2 of `median`): the fingers of a close-up, which run
    /// through the frame. A wall or floor in a top corner rarely matches the hand so closely.
    /// `means` holds each piece's mean luma; `comp_cb` / `comp_cr` its chroma sums,
    /// `comp_bottom` whether it reaches the bottom border.
    fn restore_through_pieces(&mut self, means: &[f32], median: f32, kept: &mut u32) {
        let (mut hb, mut hr) = ([0u32; 256], [0u32; 256]);
        let mut total = 0u32;
        let pieces = self
            .comp_area
            .iter()
            .zip(&self.comp_border)
            .zip(&self.comp_cb)
            .zip(&self.comp_cr)
            .skip(1);
        for (((&area, &keep), &sb), &sr) in pieces.clone() {
            if keep != 0 {
                let area = area.max(1);
                hb[(sb / area).min(255) as usize] += area;
                hr[(sr / area).min(255) as usize] += area;
                total += area;
            }
        }
        let (mb, mr) = (hist_median(&hb, total), hist_median(&hr, total));
        let tol = RESTORE_LUMA_TOL * median.max(20.0);
        let pieces = self
            .comp_border
            .iter_mut()
            .zip(&self.comp_area)
            .zip(&self.comp_cb)
            .zip(&self.comp_cr)
            .zip(&self.comp_bottom)
            .zip(means)
            .skip(1);
        for (((((keep, &area), &sb), &sr), &bottom), &mean) in pieces {
            let a = area.max(1) as f32;
            let dc2 = (sb as f32 / a - mb).powi(2) + (sr as f32 / a - mr).powi(2);
            if *keep == 0 && bottom != 0 && dc2 < 4.0 && (mean - median).abs() < tol {
                *keep = 1;
                *kept += area;
            }
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
        // Background components that do not touch the top, left or right border are holes
        // (glare, shadows). Not the bottom: the hand enters from there, and the desaturated
        // highlight along a pale finger (outside the skin colour model) runs down to the bottom
        // edge; left open, it splits the finger lengthwise and its width reads too narrow.
        let ncomp = label_runs(mask, 0, w, h, false, &mut self.lscratch);
        self.mark_border_components(ncomp, w, h);
        // By runs (the same pixels as testing each label, without reading the hand's pixels).
        for (a, b, l) in self.lscratch.labelled_runs(w) {
            if self.comp_border.get(l as usize).copied() == Some(0) {
                if let Some(px) = mask.get_mut(a..b) {
                    px.fill(1);
                }
            }
        }
    }

    /// Marks in `comp_border` the `ncomp` components `label_runs` left in `lscratch` that have
    /// a pixel in the top row, or in the left or right column within the first `side_rows`
    /// rows: those with a run in row 0, or starting at column 0 or ending at column `w` there.
    fn mark_border_components(&mut self, ncomp: u32, w: usize, side_rows: usize) {
        self.comp_border.clear();
        self.comp_border.resize(ncomp as usize + 1, 0);
        for (a, b, l) in self.lscratch.labelled_runs(w) {
            if a < w || (a / w < side_rows && (a % w == 0 || b % w == 0)) {
                if let Some(c) = self.comp_border.get_mut(l as usize) {
                    *c = 1;
                }
            }
        }
    }

    fn keep_large(&mut self, w: usize, h: usize, mask: &mut [u8]) {
        let ncomp = label_runs(mask, 1, w, h, true, &mut self.lscratch) as usize;
        if ncomp == 0 {
            return;
        }
        self.comp_area.clear();
        self.comp_area.extend_from_slice(&self.lscratch.area);
        self.comp_score.clear();
        self.comp_score.resize(ncomp + 1, 0.0);
        // By runs in raster order: each component's weights are summed in the same order as
        // a pixel-by-pixel pass would, so the float sums are the same.
        for (a, b, l) in self.lscratch.labelled_runs(w) {
            let (y, x0, x1) = (a / w, a % w, a % w + (b - a));
            let (Some(&wy), Some(wx), Some(sc)) = (
                self.wy.get(y),
                self.wx.get(x0..x1),
                self.comp_score.get_mut(l as usize),
            ) else {
                continue;
            };
            for &wxx in wx {
                *sc += wxx * wy;
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
        // Labelled pixels (value 1) stay unless their component is small; any other non-zero
        // value was never labelled and goes (label 0 had area 0 in the per-pixel form). By runs:
        // one vectorised pass, then only the small components' runs are touched.
        for m in mask.iter_mut() {
            *m = (*m == 1) as u8;
        }
        for (a, b, l) in self.lscratch.labelled_runs(w) {
            let keep = self
                .comp_area
                .get(l as usize)
                .is_some_and(|&a| a >= min_area);
            if !keep {
                if let Some(px) = mask.get_mut(a..b) {
                    px.fill(0);
                }
            }
        }
    }
}

/// Whether every labelled pixel within two pixels (5x5) of `i` carries label `l`. `i` must be
/// at least two pixels inside the `w`-wide image.
fn alone_within_two(labels: &[u32], i: usize, w: usize, l: u32) -> bool {
    (0..5).all(|dy| {
        let row = i + dy * w - 2 * w - 2;
        labels[row..row + 5].iter().all(|&m| m == 0 || m == l)
    })
}

/// Share of the frame's height, from the top, whose side columns seed `border_flood`
/// (3/5): a hand turned 30 degrees reaches the sides only in the lower part of the frame.
const FLOOD_SIDE_SEED_NUM: usize = 3;
const FLOOD_SIDE_SEED_DEN: usize = 5;
/// The edge threshold `border_flood` stops at, as a multiple of the usual one: a silhouette
/// that fades into a background of its own shade (its shading ramp, not a step) still closes.
/// (At the usual threshold the flood ran through the soft sides of the fingers it was meant
/// for. Training seeds 0-799, finger count with the colour flood pass alone: 0.884 / 0.870 /
/// 0.835 at 0.7 of the usual threshold, 0.889 / 0.870 / 0.830 at 0.5, against 0.879 / 0.867 /
/// 0.825 without; 0.5 closed more of those outlines.)
const FLOOD_EDGE_SCALE: f32 = 0.5;

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

crate::kernels::avx2_twin! {
    /// Skin by the colour models: close to the skin Gaussian and better explained by it than by
    /// the background Gaussian. (The AVX2 twin runs 8 lanes of the same f32 expressions
    /// instead of 4, with no fused multiply-add, so the same bits.)
    fn classify / classify_avx2(
        cb: &[u8],
        cr: &[u8],
        skin: &Gauss2,
        back: Option<&Gauss2>,
        mask: &mut [u8],
    ) => classify_portable
}

#[inline(always)]
fn classify_portable(cb: &[u8], cr: &[u8], skin: &Gauss2, back: Option<&Gauss2>, mask: &mut [u8]) {
    // Branch-free (both tests evaluated, combined with `&`) so the loop vectorises; the same
    // expressions as `classify_scalar`, so the same bits.
    let pix = mask.iter_mut().zip(cb).zip(cr);
    match back {
        Some(bg) => {
            for ((m, &b), &r) in pix {
                let (b, r) = (b as f32, r as f32);
                let ds = skin.d2(b, r);
                // Likelihood ratio: skin only where the skin model explains the pixel better.
                let better = ds + skin.log_det <= bg.d2(b, r) + bg.log_det + 2.0;
                *m = ((ds < SKIN_D2) & better) as u8;
            }
        }
        None => {
            for ((m, &b), &r) in pix {
                *m = (skin.d2(b as f32, r as f32) < SKIN_D2) as u8;
            }
        }
    }
}

/// Reference for [`classify`]: the per-pixel form it replaced.
#[cfg(test)]
fn classify_scalar(cb: &[u8], cr: &[u8], skin: &Gauss2, back: Option<&Gauss2>, mask: &mut [u8]) {
    for (i, m) in mask.iter_mut().enumerate() {
        let (b, r) = (cb[i] as f32, cr[i] as f32);
        let ds = skin.d2(b, r);
        let mut is = ds < SKIN_D2;
        if is {
            if let Some(bg) = back {
                is = ds + skin.log_det <= bg.d2(b, r) + bg.log_det + 2.0;
            }
        }
        *m = is as u8;
    }
}

/// Scratch for [`label`].
#[derive(Debug, Default)]
pub(crate) struct LabelScratch {
    /// Runs as (row, start, end).
    runs: Vec<(u32, u32, u32)>,
    /// Union-find parent of each run, then its compact label (with [`LABELLED`] set).
    parent: Vec<u32>,
    /// Pixels per label (index 0: pixels not labelled).
    pub(crate) area: Vec<u32>,
}

/// Marks an entry of [`LabelScratch::parent`] that holds a compact label.
const LABELLED: u32 = 1 << 31;

impl LabelScratch {
    /// Runs in raster order with their labels: (first pixel index, end pixel index, label).
    pub(crate) fn labelled_runs(&self, w: usize) -> impl Iterator<Item = (usize, usize, u32)> + '_ {
        self.runs
            .iter()
            .zip(&self.parent)
            .map(move |(&(y, a, b), &p)| {
                let row = y as usize * w;
                (row + a as usize, row + b as usize, p & !LABELLED)
            })
    }
}

fn find(parent: &mut [u32], mut i: u32) -> u32 {
    while parent[i as usize] != i {
        let p = parent[parent[i as usize] as usize];
        parent[i as usize] = p;
        i = p;
    }
    i
}

/// Labels connected components of pixels equal to `value` (8- or 4-connectivity) into `labels`
/// (0 = not `value`, else 1..=count), returning the count. Works on runs with union-find: a few
/// operations per run rather than per pixel. [`label_runs`] without the per-pixel labels.
pub(crate) fn label(
    mask: &[u8],
    value: u8,
    w: usize,
    h: usize,
    eight: bool,
    labels: &mut Vec<u32>,
    s: &mut LabelScratch,
) -> u32 {
    let n = w * h;
    let count = label_runs(mask, value, w, h, eight, s);
    // Every entry is written (runs and the gaps between them): no clearing needed.
    labels.resize(n, 0);
    let mut pos = 0usize;
    for (a, b, lab) in s.labelled_runs(w) {
        labels[pos..a].fill(0);
        labels[a..b].fill(lab);
        pos = b;
    }
    labels[pos..n].fill(0);
    count
}

/// The components of [`label`] as labelled runs only ([`LabelScratch::labelled_runs`], with
/// each label's area in [`LabelScratch::area`]), for callers that read no per-pixel label: it
/// saves writing a `u32` per pixel.
pub(crate) fn label_runs(
    mask: &[u8],
    value: u8,
    w: usize,
    h: usize,
    eight: bool,
    s: &mut LabelScratch,
) -> u32 {
    let n = w * h;
    s.runs.clear();
    s.parent.clear();
    let e = eight as u32;
    let (mut prev_start, mut prev_end) = (0usize, 0usize);
    for y in 0..h {
        let row = &mask[y * w..(y + 1) * w];
        let cur_start = s.runs.len();
        let mut j = prev_start;
        let mut x = find_byte(row, 0, value, true);
        while x < w {
            let a = x;
            x = find_byte(row, x, value, false);
            let (a, b) = (a as u32, x as u32);
            let id = s.runs.len() as u32;
            s.runs.push((y as u32, a, b));
            s.parent.push(id);
            // Runs of the previous row that touch this one (sorted, so walk forward).
            x = find_byte(row, x, value, true);
            while j < prev_end && s.runs[j].2 + e <= a {
                j += 1;
            }
            let mut k = j;
            while k < prev_end && s.runs[k].1 < b + e {
                let (ra, rb) = (find(&mut s.parent, id), find(&mut s.parent, k as u32));
                if ra != rb {
                    let (lo, hi) = (ra.min(rb), ra.max(rb));
                    s.parent[hi as usize] = lo;
                }
                k += 1;
            }
        }
        prev_start = cur_start;
        prev_end = s.runs.len();
    }
    // Point every run at its root, then give roots compact labels in order (a root has the
    // smallest index of its component, so it is labelled before its members are read).
    for i in 0..s.runs.len() {
        let r = find(&mut s.parent, i as u32);
        s.parent[i] = r;
    }
    let mut next = 0u32;
    s.area.clear();
    s.area.push(n as u32);
    for i in 0..s.runs.len() {
        let r = s.parent[i] as usize;
        let lab = if r == i {
            next += 1;
            s.area.push(0);
            next
        } else {
            s.parent[r] & !LABELLED
        };
        // Roots are read by later runs; the other entries are not read again, so every run
        // can hold its label from here on.
        s.parent[i] = lab | LABELLED;
        let (_, a, b) = s.runs[i];
        s.area[lab as usize] += b - a;
        s.area[0] -= b - a;
    }
    next
}

/// The first index from `x` at which `row` holds `value` (`equal`) or holds something else
/// (`!equal`); `row.len()` when there is none. Eight bytes at a time: masks are long runs.
fn find_byte(row: &[u8], mut x: usize, value: u8, equal: bool) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let broadcast = value as u64 * ONES;
    while let Some(chunk) = row.get(x..x + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        // Zero bytes of `diff` are where the row holds `value`.
        let diff = u64::from_le_bytes(word) ^ broadcast;
        // Lowest byte that is zero (equal) or non-zero (!equal); the zero-byte test can flag a
        // byte above a true zero byte too, never below one, so the lowest flag is exact.
        let hits = if equal {
            diff.wrapping_sub(ONES) & !diff & HIGHS
        } else {
            diff
        };
        if hits != 0 {
            return x + (hits.trailing_zeros() / 8) as usize;
        }
        x += 8;
    }
    while x < row.len() && (row[x] == value) != equal {
        x += 1;
    }
    x.min(row.len())
}

crate::kernels::avx2_twin! {
    /// Edge strength of the interior pixels of one row: `l`, `b`, `r` hold the three rows around it
    /// (3 * `w` bytes) of the smoothed luma, Cb and Cr planes; `out` gets the `w` - 2 interior
    /// values of `sobel(luma) + 2 * (sobel(cb) + sobel(cr))`, capped at 255. Row slices of equal
    /// length so the loop has no bounds checks and vectorises.
    fn edge_row / edge_row_avx2(l: &[u8], b: &[u8], r: &[u8], w: usize, out: &mut [u8]) => edge_row_portable
}

#[inline(always)]
fn edge_row_portable(l: &[u8], b: &[u8], r: &[u8], w: usize, out: &mut [u8]) {
    let m = w - 2;
    if l.len() < 3 * w || b.len() < 3 * w || r.len() < 3 * w || out.len() != m {
        return;
    }
    // Each plane's three rows, each as three column-shifted windows of length `m`.
    fn split(p: &[u8], w: usize, m: usize) -> [[&[u8]; 3]; 3] {
        let row = |k: usize| {
            let s = &p[k * w..(k + 1) * w];
            [&s[..m], &s[1..m + 1], &s[2..m + 2]]
        };
        [row(0), row(1), row(2)]
    }
    let (pl, pb, pr) = (split(l, w, m), split(b, w, m), split(r, w, m));
    #[inline(always)]
    fn sob(p: &[[&[u8]; 3]; 3], x: usize) -> i32 {
        let v = |k: usize, c: usize| p[k][c][x] as i32;
        let gx = (v(0, 2) + 2 * v(1, 2) + v(2, 2)) - (v(0, 0) + 2 * v(1, 0) + v(2, 0));
        let gy = (v(2, 0) + 2 * v(2, 1) + v(2, 2)) - (v(0, 0) + 2 * v(0, 1) + v(0, 2));
        ((gx.unsigned_abs() + gy.unsigned_abs()) / 4) as i32
    }
    for (x, o) in out.iter_mut().enumerate() {
        let g = sob(&pl, x) + 2 * (sob(&pb, x) + sob(&pr, x));
        *o = g.min(255) as u8;
    }
}

/// Sobel gradient magnitude (|gx| + |gy|, scaled to one level per level) at interior pixel `i`.
#[cfg(test)]
#[inline]
fn sobel(p: &[u8], i: usize, w: usize) -> u32 {
    let v = |j: usize| p[j] as i32;
    let gx =
        (v(i - w + 1) + 2 * v(i + 1) + v(i + w + 1)) - (v(i - w - 1) + 2 * v(i - 1) + v(i + w - 1));
    let gy =
        (v(i + w - 1) + 2 * v(i + w) + v(i + w + 1)) - (v(i - w - 1) + 2 * v(i - w) + v(i - w + 1));
    (gx.unsigned_abs() + gy.unsigned_abs()) / 4
}

/// 3x3 box mean of `src` into `dst` (edges replicate), via `tmp`: separable, over row slices
/// in u16 so both passes vectorise (same rounding as [`box3_scalar`]).
fn box3(src: &[u8], tmp: &mut Vec<u8>, dst: &mut Vec<u8>, w: usize, h: usize) {
    let n = w * h;
    dst.resize(n, 0);
    if src.len() < n {
        tmp.resize(n, 0);
        return;
    }
    separable3(&src[..n], tmp, dst, w, h, |a, b, c| {
        ((a as u16 + b as u16 + c as u16 + 1) / 3) as u8
    });
}

/// Reference for [`box3`]: the per-pixel form it replaced.
#[cfg(test)]
fn box3_scalar(src: &[u8], tmp: &mut Vec<u8>, dst: &mut Vec<u8>, w: usize, h: usize) {
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

/// 3x3 max (`max` = true, dilation) or min (erosion) of a 0/1 mask `src` into `dst`; `tmp`
/// is scratch. Edges replicate, so a hand entering from the frame edge is not eaten away there.
fn morph3(src: &[u8], tmp: &mut Vec<u8>, dst: &mut [u8], w: usize, h: usize, max: bool) {
    if max {
        morph3_op(src, tmp, dst, w, h, |a, b| a | b);
    } else {
        morph3_op(src, tmp, dst, w, h, |a, b| a & b);
    }
}

/// Separable 3x3 morphology with a bytewise `op` (OR dilates, AND erodes a 0/1 mask).
fn morph3_op(
    src: &[u8],
    tmp: &mut Vec<u8>,
    dst: &mut [u8],
    w: usize,
    h: usize,
    op: impl Fn(u8, u8) -> u8 + Copy,
) {
    separable3(src, tmp, dst, w, h, move |a, b, c| op(op(a, b), c));
}

crate::kernels::avx2_twin! {
    /// A separable 3x3 filter: `f` over each row's three neighbours into `tmp`, then over each
    /// column's three into `dst`, edges replicated. Written as slice zips so the compiler
    /// vectorises it; `f` must be symmetric enough that `f(a, a, b)` is the edge value wanted
    /// (true of a rounded mean and of min/max).
    fn separable3 / separable3_avx2(
        src: &[u8],
        tmp: &mut Vec<u8>,
        dst: &mut [u8],
        w: usize,
        h: usize,
        f: impl Fn(u8, u8, u8) -> u8 + Copy,
    ) => separable3_portable
}

#[inline(always)]
fn separable3_portable(
    src: &[u8],
    tmp: &mut Vec<u8>,
    dst: &mut [u8],
    w: usize,
    h: usize,
    f: impl Fn(u8, u8, u8) -> u8 + Copy,
) {
    let n = w * h;
    // Every byte is written below: no clearing needed.
    tmp.resize(n, 0);
    if w == 0 || h == 0 || dst.len() < n {
        return;
    }
    for (s, d) in src.chunks_exact(w).zip(tmp.chunks_exact_mut(w)) {
        if w == 1 {
            d[0] = f(s[0], s[0], s[0]);
            continue;
        }
        d[0] = f(s[0], s[0], s[1]);
        d[w - 1] = f(s[w - 2], s[w - 1], s[w - 1]);
        for (((o, &a), &b), &c) in d[1..w - 1]
            .iter_mut()
            .zip(&s[..w - 2])
            .zip(&s[1..w - 1])
            .zip(&s[2..])
        {
            *o = f(a, b, c);
        }
    }
    for y in 0..h {
        let (ya, yc) = (y.saturating_sub(1), (y + 1).min(h - 1));
        let (ra, rb, rc) = (
            &tmp[ya * w..(ya + 1) * w],
            &tmp[y * w..(y + 1) * w],
            &tmp[yc * w..(yc + 1) * w],
        );
        for (((o, &a), &b), &c) in dst[y * w..(y + 1) * w].iter_mut().zip(ra).zip(rb).zip(rc) {
            *o = f(a, b, c);
        }
    }
}

/// Sum of a byte slice.
fn sum_u8(v: &[u8]) -> u32 {
    let mut s = 0u32;
    for &x in v {
        s += x as u32;
    }
    s
}

/// The value at which a 256-bin histogram of `total` counts reaches half of them.
fn hist_median(hist: &[u32; 256], total: u32) -> f32 {
    let mut acc = 0;
    for (v, &c) in hist.iter().enumerate() {
        acc += c;
        if 2 * acc >= total {
            return v as f32;
        }
    }
    0.0
}

fn percentile_u8(v: &[u8], q: f32) -> u8 {
    hist_percentile(&histogram_u8(v), v.len() as u32, q)
}

/// The `q` quantile (0-1) of the `total` values a 256-bin histogram counts: the first level
/// with more than `q * total` values at or below it (255 when there is none).
pub(crate) fn hist_percentile(hist: &[u32; 256], total: u32, q: f32) -> u8 {
    let target = (total as f32 * q) as u32;
    let mut acc = 0;
    for (i, &c) in hist.iter().enumerate() {
        acc += c;
        if acc > target {
            return i as u8;
        }
    }
    255
}

/// Histogram of `v`, counted into four interleaved tables and summed: on smooth images
/// neighbouring values repeat, and one table would make every increment wait for the last.
pub(crate) fn histogram_u8(v: &[u8]) -> [u32; 256] {
    let mut h = [[0u32; 256]; 4];
    let mut quads = v.chunks_exact(4);
    for q in &mut quads {
        h[0][q[0] as usize] += 1;
        h[1][q[1] as usize] += 1;
        h[2][q[2] as usize] += 1;
        h[3][q[3] as usize] += 1;
    }
    for &x in quads.remainder() {
        h[0][x as usize] += 1;
    }
    let mut out = h[0];
    for t in &h[1..] {
        for (o, &c) in out.iter_mut().zip(t) {
            *o += c;
        }
    }
    out
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
    use proptest::prelude::*;

    /// A `w` x `h` plane of arbitrary bytes.
    fn plane() -> impl Strategy<Value = (usize, usize, Vec<u8>)> {
        (1usize..40, 1usize..30).prop_flat_map(|(w, h)| {
            (
                Just(w),
                Just(h),
                proptest::collection::vec(any::<u8>(), w * h),
            )
        })
    }

    /// Reference labelling: a flood fill from each unlabelled `value` pixel in raster order.
    fn flood_labels(mask: &[u8], value: u8, w: usize, h: usize, eight: bool) -> (Vec<u32>, u32) {
        let mut out = vec![0u32; w * h];
        let mut next = 0;
        let mut stack = Vec::new();
        for start in 0..w * h {
            if mask[start] != value || out[start] != 0 {
                continue;
            }
            next += 1;
            out[start] = next;
            stack.push(start);
            while let Some(i) = stack.pop() {
                let (x, y) = ((i % w) as i64, (i / w) as i64);
                for dy in -1i64..=1 {
                    for dx in -1i64..=1 {
                        if (dx, dy) == (0, 0) || (!eight && dx != 0 && dy != 0) {
                            continue;
                        }
                        let (nx, ny) = (x + dx, y + dy);
                        if nx < 0 || ny < 0 || nx >= w as i64 || ny >= h as i64 {
                            continue;
                        }
                        let j = ny as usize * w + nx as usize;
                        if mask[j] == value && out[j] == 0 {
                            out[j] = next;
                            stack.push(j);
                        }
                    }
                }
            }
        }
        (out, next)
    }

    /// A regularised Gaussian from arbitrary moments of chroma-like samples.
    fn gauss(seed: [f32; 5]) -> Option<Gauss2> {
        let mut m = Moments::default();
        m.add(seed[0], seed[1], 1.0);
        m.add(seed[1], seed[2], 1.0 + seed[4] / 255.0);
        m.add(seed[2], seed[3], 0.5);
        m.add(seed[3], seed[0], 2.0);
        Gauss2::from_moments(&m, MIN_CHROMA_VAR)
    }

    proptest! {
        // Integer kernels: tolerance zero, every byte equal to the reference.
        #[test]
        fn find_byte_matches_scan(
            row in proptest::collection::vec(0u8..3, 0..40),
            x in 0usize..45,
            value in 0u8..3,
            equal in any::<bool>(),
        ) {
            let mut naive = x;
            while naive < row.len() && (row[naive] == value) != equal {
                naive += 1;
            }
            prop_assert_eq!(find_byte(&row, x, value, equal), naive.min(row.len()));
        }

        #[test]
        fn box3_matches_scalar((w, h, src) in plane()) {
            let (mut t1, mut d1, mut t2, mut d2) = (vec![7; 3], vec![9; 5], Vec::new(), Vec::new());
            box3(&src, &mut t1, &mut d1, w, h);
            box3_scalar(&src, &mut t2, &mut d2, w, h);
            prop_assert_eq!(d1, d2);
        }

        #[test]
        fn edge_row_matches_sobel(
            (w, h, l) in (3usize..40, 3usize..12).prop_flat_map(|(w, h)| {
                (Just(w), Just(h), proptest::collection::vec(any::<u8>(), w * h))
            }),
            rot in 1usize..100,
        ) {
            // Cb and Cr: the luma plane rotated, so the three planes differ.
            let n = w * h;
            let b: Vec<u8> = (0..n).map(|i| l[(i + rot) % n]).collect();
            let r: Vec<u8> = (0..n).map(|i| l[(i + 2 * rot) % n].wrapping_mul(3)).collect();
            for y in 1..h - 1 {
                let rows = (y - 1) * w..(y + 2) * w;
                let mut out = vec![0u8; w - 2];
                edge_row(&l[rows.clone()], &b[rows.clone()], &r[rows], w, &mut out);
                for x in 1..w - 1 {
                    let i = y * w + x;
                    let g = (sobel(&l, i, w) + 2 * (sobel(&b, i, w) + sobel(&r, i, w))).min(255);
                    prop_assert_eq!(out[x - 1] as u32, g);
                }
            }
        }

        // Integer result, tolerance zero: the run labelling equals a flood fill that numbers
        // components by their first pixel in raster order (4- and 8-connected), pixel labels
        // and areas alike; fill_holes equals filling the 0-components that no flood from the
        // top row or the side columns reaches.
        #[test]
        fn labels_match_flood_fill(
            (w, h, mask) in (1usize..30, 1usize..25).prop_flat_map(|(w, h)| {
                (Just(w), Just(h), proptest::collection::vec(prop_oneof![1 => Just(0u8), 1 => Just(1u8), 1 => Just(3u8)], w * h))
            }),
            value in prop_oneof![Just(0u8), Just(1u8)],
            eight in any::<bool>(),
        ) {
            let (want, want_n) = flood_labels(&mask, value, w, h, eight);
            let mut s = LabelScratch::default();
            let mut labels = vec![7u32; 2];
            let n = label(&mask, value, w, h, eight, &mut labels, &mut s);
            prop_assert_eq!(n, want_n);
            prop_assert_eq!(&labels, &want);
            let mut area = vec![0u32; n as usize + 1];
            for &l in &want {
                area[l as usize] += 1;
            }
            prop_assert_eq!(&s.area, &area);
            let m = label_runs(&mask, value, w, h, eight, &mut s);
            prop_assert_eq!(m, n);
            prop_assert_eq!(&s.area, &area);

            let bin: Vec<u8> = mask.iter().map(|&v| (v != 0) as u8).collect();
            let mut filled = bin.clone();
            Segmenter::new().fill_holes(w, h, &mut filled);
            let (bg, _) = flood_labels(&bin, 0, w, h, false);
            let mut border = std::collections::HashSet::new();
            for y in 0..h {
                for x in 0..w {
                    if y == 0 || x == 0 || x + 1 == w {
                        border.insert(bg[y * w + x]);
                    }
                }
            }
            let want_filled: Vec<u8> = bin
                .iter()
                .zip(&bg)
                .map(|(&v, l)| if v == 0 && !border.contains(l) { 1 } else { v })
                .collect();
            prop_assert_eq!(filled, want_filled);
        }

        // Float kernel: the same expressions in the same order, so bit-equal (tolerance zero).
        #[test]
        fn classify_matches_scalar(
            (w, h, cb) in plane(),
            s in proptest::array::uniform5(0f32..255.0),
            t in proptest::array::uniform5(0f32..255.0),
            with_back in any::<bool>(),
        ) {
            let cr: Vec<u8> = cb.iter().rev().copied().collect();
            let (Some(skin), back) = (gauss(s), gauss(t)) else { return Ok(()) };
            let back = if with_back { back } else { None };
            let (mut m1, mut m2) = (vec![0u8; w * h], vec![0u8; w * h]);
            classify(&cb, &cr, &skin, back.as_ref(), &mut m1);
            classify_scalar(&cb, &cr, &skin, back.as_ref(), &mut m2);
            prop_assert_eq!(m1, m2);
        }
    }

    /// `refine` after `segment` reuses the first pass's edge map; a segmenter that has never
    /// seen the frame computes it afresh. Both must give the same mask, byte for byte
    /// (tolerance zero), also when the planes were rewritten in place between the calls (the
    /// cache must notice). Generated scenes at 1280x720, seeds 0..12 (tuning range), each
    /// refined on the first mask's lower half as a stand-in for the fingers.
    #[test]
    fn refine_reuses_edge_map_only_for_the_same_frame() {
        let mut refined = 0;
        for seed in 0..12u64 {
            let scene = crate::synth::scene(seed, 1280, 720);
            let Ok(view) = crate::FrameView::from_rgb_image(&scene.image) else {
                panic!("valid frame");
            };
            let mut low = LowRes::default();
            for rewrite in [false, true] {
                view.downsample_into(work_factor(1280, 720), &mut low);
                let mut seg = Segmenter::new();
                let mut mask = HandMask::default();
                seg.segment(&low, &mut mask);
                let (w, h) = (mask.width as usize, mask.height as usize);
                let fingers: Vec<u8> = mask
                    .mask
                    .iter()
                    .enumerate()
                    .map(|(i, &m)| m * (i / w < h / 2) as u8)
                    .collect();
                if rewrite {
                    // In place: same buffers, other content (a brighter frame).
                    for l in &mut low.luma {
                        *l = l.saturating_add(40);
                    }
                }
                let mut cached = HandMask::default();
                cached.copy_from(&mask);
                let a = seg.refine(&low, &fingers, &mut cached);
                let mut fresh = HandMask::default();
                fresh.copy_from(&mask);
                let b = Segmenter::new().refine(&low, &fingers, &mut fresh);
                assert_eq!(a, b, "seed {seed} rewrite {rewrite}");
                assert_eq!(cached.mask, fresh.mask, "seed {seed} rewrite {rewrite}");
                refined += a as u32;
            }
        }
        // The comparison is empty unless refine ran: most colour scenes have fingers.
        assert!(refined >= 12, "refine ran {refined} times of 24");
    }

    /// Two bars of skin side by side, touching, of different brightness (a finger beside a
    /// skin-coloured object, or two fingers pressed together): one blob in a colour mask.
    fn touching_bars() -> (LowRes, HandMask) {
        let (w, h) = (64usize, 48usize);
        let mut low = LowRes::default();
        (low.width, low.height, low.factor) = (w as u32, h as u32, 1);
        let mut mask = HandMask {
            width: w as u32,
            height: h as u32,
            factor: 1,
            mask: vec![0; w * h],
            ..HandMask::default()
        };
        for y in 0..h {
            for x in 0..w {
                let l = match x {
                    _ if y < 8 => 60,
                    10..24 => 150,
                    24..38 => 210,
                    _ => 60,
                };
                low.luma.push(l);
                mask.mask[y * w + x] = (y >= 8 && (10..38).contains(&x)) as u8;
            }
        }
        low.cb = vec![110; w * h];
        low.cr = vec![150; w * h];
        low.max = low.luma.clone();
        mask.area = mask.mask.iter().map(|&m| m as u32).sum();
        (low, mask)
    }

    #[test]
    fn edge_cut_separates_touching_pieces_and_keeps_their_width() {
        let (low, blob) = touching_bars();
        let (w, h) = (low.width as usize, low.height as usize);
        let mut seg = Segmenter::new();
        let mut scratch = HandMask::default();
        seg.segment(&low, &mut scratch);
        let mut cut = HandMask::default();
        assert!(seg.edge_cut(&low, &blob, &mut cut));
        let (mut labels, mut s) = (Vec::new(), LabelScratch::default());
        assert_eq!(label(&cut.mask, 1, w, h, false, &mut labels, &mut s), 2);
        // Each piece stays on its own side of the shared edge at x = 24 (the edge map's band
        // between them is left out) and gets its outer side (columns 10 and 37) back: the
        // thickened edge map eats about two pixels into each side of a sharp step, and the
        // growth restores them where no other piece is near.
        let (left, right) = (labels[30 * w + 12], labels[30 * w + 35]);
        assert!(left != 0 && right != 0 && left != right);
        for y in 12..h - 2 {
            let row = &labels[y * w..(y + 1) * w];
            let cols = |l: u32| {
                let xs: Vec<usize> = (0..w).filter(|&x| row[x] == l).collect();
                (xs[0], xs[xs.len() - 1])
            };
            let (a0, a1) = cols(left);
            let (b0, b1) = cols(right);
            assert!(
                a0 <= 12 && (20..24).contains(&a1),
                "row {y}: left piece {a0}..={a1}"
            );
            assert!(
                (24..28).contains(&b0) && b1 >= 35,
                "row {y}: right piece {b0}..={b1}"
            );
        }
        // Measured: 752 of the blob's 1120 pixels (the top edge's band goes too); floor 60%.
        assert!(
            cut.area < blob.area && cut.area * 10 > blob.area * 6,
            "area {}",
            cut.area
        );
    }

    /// The threshold scale of `edge_cut_at`: at 1 it is `edge_cut`; above the strongest edge
    /// between the bars nothing separates them; below 1 the cut keeps them apart too.
    #[test]
    fn edge_cut_at_scales_the_edge_threshold() {
        let (low, blob) = touching_bars();
        let (w, h) = (low.width as usize, low.height as usize);
        let mut seg = Segmenter::new();
        let mut scratch = HandMask::default();
        seg.segment(&low, &mut scratch);
        let pieces = |seg: &mut Segmenter, scale: f32| {
            let mut cut = HandMask::default();
            assert!(seg.edge_cut_at(&low, &blob, scale, &mut cut));
            let (mut labels, mut s) = (Vec::new(), LabelScratch::default());
            (label(&cut.mask, 1, w, h, false, &mut labels, &mut s), cut)
        };
        let mut plain = HandMask::default();
        assert!(seg.edge_cut(&low, &blob, &mut plain));
        let (n1, at1) = pieces(&mut seg, 1.0);
        assert_eq!((n1, &at1.mask), (2, &plain.mask));
        assert_eq!(pieces(&mut seg, 0.6).0, 2);
        // A threshold above every edge strength in the frame: no barrier, the blob stays whole.
        let strongest = seg.edge.iter().copied().max().unwrap_or(0);
        assert!(strongest < 255, "edge strength saturates: {strongest}");
        let above = (strongest as f32 + 1.0) / seg.barrier_t.max(1) as f32;
        let (n, whole) = pieces(&mut seg, above);
        assert_eq!((n, whole.area), (1, blob.area));
    }

    #[test]
    fn edge_cut_needs_this_frames_edge_map() {
        let (low, blob) = touching_bars();
        let mut cut = HandMask::default();
        assert!(!Segmenter::new().edge_cut(&low, &blob, &mut cut));
        let mut seg = Segmenter::new();
        let mut scratch = HandMask::default();
        seg.segment(&low, &mut scratch);
        let mut other = low.clone();
        other.luma[5] ^= 1;
        assert!(
            !seg.edge_cut(&other, &blob, &mut cut),
            "another frame's edge map"
        );
        assert!(seg.edge_cut(&low, &blob, &mut cut));
    }

    #[test]
    fn work_factor_targets_400() {
        assert_eq!(work_factor(1280, 720), 4);
        assert_eq!(work_factor(1920, 1080), 6);
        assert_eq!(work_factor(100, 100), 1);
        assert_eq!(work_factor(416, 416), 1);
    }
}
