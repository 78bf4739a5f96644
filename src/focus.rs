//! Blur at a fingertip, in pixels of Gaussian sigma and of motion length, normalised for contrast
//! and ridge period so that the same optical blur reads the same at any distance.
//!
//! A Gaussian blur of sigma pixels multiplies the amplitude of ridges of period p by
//! exp(-2 pi^2 sigma^2 / p^2); a motion of length L across ridges whose normal makes an angle
//! phi with the motion multiplies it by |sinc(L cos(phi) / p)|. The ridge stage measured, per
//! block, the ridge amplitude at the block's period and the block's mean brightness; this stage
//! turns those into a blur estimate.

use crate::frame::Rect;
use crate::ridge::RidgeMeasure;
use std::f32::consts::PI;

/// Modulation (amplitude over mean) of sharp ridges, the reference blur is measured against
/// when neither the silhouette nor ridge harmonics can be read. Sharp generated fingers show
/// 0.022-0.081 (10th-90th percentile, median 0.044, tuning seeds 0-199); the phone photo of
/// `tests/ridge_real.rs` 0.028. A prior, not a measurement: see the module notes.
const SHARP_MODULATION: f32 = 0.05;
/// Second-harmonic over fundamental amplitude of sharp ridges (a phone photo of a fingertip
/// shows ~0.16 at ~1900 ppi; a pure sinusoid 0).
const SHARP_HARMONIC2: f32 = 0.2;
/// Second-harmonic power over the noise floor's above which harmonics are trusted.
const HARMONIC_SNR: f32 = 2.5;
/// Blocks less line-like than this have no usable orientation.
const MIN_COHERENCE: f32 = 0.15;
/// Resultant length (0-1) of the surviving blocks' doubled orientation angles above which they
/// are taken to crowd around one direction.
const CROWDED: f32 = 0.5;
/// Share of measured blocks whose ridges faded below which fading is not taken for motion.
const MIN_DEAD_SHARE: f32 = 0.25;
/// Fewest blocks a motion estimate rests on.
const MIN_MOTION_BLOCKS: usize = 6;
/// Blur sigma over ridge period at the default `too_blurry` threshold (0.125 mm / 0.475 mm):
/// the score is 50 there.
const SIGMA_AT_HALF_SCORE: f32 = 0.125 / 0.475;
/// Motion length over ridge period at the default threshold (0.4 mm / 0.475 mm).
const MOTION_AT_HALF_SCORE: f32 = 0.4 / 0.475;
/// Gray levels below which even sharp ridges would not be told from 8-bit quantisation and
/// compression (a dark frame: at a mean of 40, sharp ridges swing about 2 levels). Where the
/// ridges' expected amplitude is below it and no silhouette edge is readable, focus is not
/// judged rather than called blurred.
const MIN_SHARP_AMPLITUDE: f32 = 2.0;
/// Sigma over period reported when no ridges are found at all: beyond any threshold.
const UNRESOLVED_SIGMA: f32 = 0.5;

/// Blur measured in one fingertip.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FocusMeasure {
    /// Estimated Gaussian blur sigma, pixels.
    pub blur_px: f32,
    /// Estimated motion blur length, pixels.
    pub motion_px: f32,
    /// Direction of the estimated motion, radians in [-pi/2, pi/2] (image x axis = 0).
    pub motion_rad: f32,
    /// 0-100, higher is sharper: 50 at the default thresholds (sigma 0.26 period or motion
    /// 0.84 period).
    pub score: f32,
    /// Blocks the estimate rests on.
    pub blocks: u32,
    /// Gaussian sigma (pixels) of the finger's silhouette edges, when enough were measured.
    pub edge_blur_px: Option<f32>,
    /// Motion length (pixels) the silhouette edges show, when enough were measured.
    pub edge_motion_px: Option<f32>,
    /// Silhouette edge points measured.
    pub edge_points: u32,
    /// Silhouette edge points left unmeasured because their profile reached the clip level.
    pub edge_clipped: u32,
    /// Gaussian sigma (pixels) from the ridges alone.
    pub ridge_blur_px: f32,
    /// False when neither ridges nor silhouette could be read against the noise (a very dark
    /// or noisy fingertip): `blur_px` is then the silhouette's reading or 0, and `score` 50.
    pub judged: bool,
}

/// Share of the finger width added on every side of the print box for the focus measurement:
/// enough to hold the silhouette (tip and sides) with background beyond it.
const FOCUS_MARGIN: f32 = 0.2;

/// The region the focus stage should be given for a fingertip: its print box grown by a fifth
/// of the finger width on every side (the caller clamps it to the frame), so that the finger's
/// silhouette, the sharpest contrast-free edge there is, lies inside with background beyond.
pub fn focus_rect(print_box: Rect, finger_width_px: f32) -> Rect {
    let m = if finger_width_px.is_finite() {
        (FOCUS_MARGIN * finger_width_px).clamp(0.0, 4096.0) as u32
    } else {
        0
    };
    Rect {
        x: print_box.x.saturating_sub(m),
        y: print_box.y.saturating_sub(m),
        width: print_box.width.saturating_add(2 * m),
        height: print_box.height.saturating_add(2 * m),
    }
}

/// One block as the motion fit sees it.
#[derive(Clone, Copy, Debug, Default)]
struct Block {
    theta: f32,
    m: f32,
    x: f32,
    y: f32,
}

/// Measures blur; owns its scratch buffers.
#[derive(Debug, Default)]
pub struct FocusAnalyzer {
    vals: Vec<(f32, f32)>,
    pairs: Vec<Block>,
    dead: Vec<(usize, f32)>,
    tmp: Vec<(f32, f32)>,
    edges: EdgeProbe,
    /// Silhouette edge points of every fingertip measured since [`FocusAnalyzer::begin_frame`].
    pooled: Vec<(f32, f32, f32)>,
    /// Blocks with living ridges of every fingertip measured since
    /// [`FocusAnalyzer::begin_frame`].
    pooled_alive: Vec<Block>,
    /// Scratch: the pooled points strong enough to read.
    strong: Vec<(f32, f32, f32)>,
    /// Scratch: values of the points across a direction.
    tmp_across: Vec<(f32, f32)>,
}

impl FocusAnalyzer {
    /// An analyzer with empty scratch.
    pub fn new() -> Self {
        FocusAnalyzer::default()
    }

    /// Starts a frame: forgets the silhouette points pooled from the last one.
    pub fn begin_frame(&mut self) {
        self.pooled.clear();
        self.pooled_alive.clear();
    }

    /// Blur sigma and motion length (pixels) of the silhouette edges of every fingertip
    /// measured since [`FocusAnalyzer::begin_frame`], read together: optical blur is shared by
    /// the fingers in the focal plane, so points too few to read in each fingertip alone may be
    /// enough together. `None` with too few points in all.
    pub fn pooled_silhouette_blur(&mut self) -> Option<(f32, f32)> {
        edge_blur(&mut self.pooled, &mut self.tmp).map(|(var, len, _)| (var.sqrt(), len))
    }

    /// Motion length (pixels) and direction (radians in [-pi/2, pi/2), image x axis = 0) that
    /// the silhouette edges of every fingertip measured since [`FocusAnalyzer::begin_frame`]
    /// show together, from their anisotropy: a motion of length L adds L^2 / 12 to the blur
    /// variance of the edges facing it and nothing to those across it. `None` with too few
    /// points along and across every direction, or when the ridges contradict the reading.
    ///
    /// Light from one side, a background that blurs into the skin beside one edge, or the
    /// limb's shading also make some edges softer than others; motion alone also wipes out the
    /// ridges whose normal lies along it (to at most the sinc's first side lobe, 22% of their
    /// sharp modulation). So a reading is withdrawn when any fingertip still shows ridges
    /// along the motion at 0.3 of sharp ridges' modulation or more.
    pub fn pooled_silhouette_motion(&mut self) -> Option<(f32, f32)> {
        let (len, dir) = silhouette_motion(
            &self.pooled,
            &mut self.strong,
            &mut self.tmp,
            &mut self.tmp_across,
        )?;
        let contradicted = self
            .pooled_alive
            .iter()
            .any(|b| b.m >= VETO_MODULATION && (b.theta - dir).cos().abs() > ALONG_COS);
        (!contradicted).then_some((len, dir))
    }

    /// Measures the blur of a `width` x `height` luma region whose ridges have period
    /// `period_px` (measured, or expected from the distance). Pixels at or above `clip_level`
    /// are left out.
    #[allow(clippy::too_many_arguments)]
    pub fn measure(
        &mut self,
        luma: &[u8],
        mask: &[u8],
        width: usize,
        height: usize,
        period_px: f32,
        ridge: &RidgeMeasure,
        clip_level: u8,
        out: &mut FocusMeasure,
    ) {
        *out = FocusMeasure::default();
        out.judged = true;
        let period = if period_px.is_finite() && period_px > 0.0 {
            period_px
        } else {
            9.0
        };
        // Every measured block counts, valid or not: blocks whose ridges motion has wiped out
        // are the evidence of that motion. Amplitudes are read at the fingertip's period.
        let resolved = ridge.period_px.is_some();
        self.vals.clear();
        self.pairs.clear();
        self.dead.clear();
        // Harmonic powers, summed over blocks: fundamental, second harmonic, noise floor.
        let (mut p1, mut p2, mut pn) = (0f32, 0f32, 0f32);
        for (i, b) in ridge.detail.iter().enumerate() {
            if b.mean <= 1.0 {
                continue;
            }
            let (a1, a2) = if resolved {
                (b.amplitude_at_period, b.harmonic2_at_period)
            } else if b.valid {
                (b.amplitude, b.harmonic2)
            } else {
                continue;
            };
            let alive = b.coherence >= MIN_COHERENCE && a1 > 2.0 * b.noise_amplitude;
            // What is left of the ridges, floored at the noise (below it nothing is measured).
            let m = a1.max(b.noise_amplitude).max(1e-3) / b.mean;
            if alive {
                // Sigma in pixels against the period the curvature leaves here.
                let local = period * b.foreshortening.clamp(0.2, 1.0);
                self.vals
                    .push((sigma_rel(m / SHARP_MODULATION) * local, 1.0));
                self.pairs.push(Block {
                    theta: b.normal_rad,
                    m,
                    x: b.x,
                    y: b.y,
                });
                // The second harmonic is measured only below ~0.4 cycles per pixel.
                if period / ridge.scale.max(1) as f32 >= 5.0 {
                    p1 += a1 * a1;
                    p2 += a2 * a2;
                    pn += b.noise_amplitude * b.noise_amplitude;
                }
            } else {
                self.dead.push((i, m));
            }
        }
        self.pooled_alive.extend_from_slice(&self.pairs);
        // A block whose ridges faded has no orientation of its own. When the surviving blocks'
        // orientations crowd around one direction (a fingertip shows ridges of every
        // orientation; motion wipes out those across it), the faded ones are taken to lie
        // across the motion: normal at right angles to the survivors' mean.
        let mut faded = false;
        if !self.dead.is_empty() {
            let (mut c, mut s, mut wsum) = (0f32, 0f32, 0f32);
            for b in &self.pairs {
                c += (2.0 * b.theta).cos();
                s += (2.0 * b.theta).sin();
                wsum += 1.0;
            }
            // Cores and deltas also leave a few blocks without clear ridges: only a good share
            // of faded blocks counts as evidence.
            let share = self.dead.len() as f32 / (self.dead.len() as f32 + wsum);
            if wsum >= 3.0 && share >= MIN_DEAD_SHARE && (c * c + s * s).sqrt() > CROWDED * wsum {
                let across = 0.5 * s.atan2(c) + 0.5 * PI;
                let across = if across > 0.5 * PI {
                    across - PI
                } else {
                    across
                };
                faded = true;
                for &(i, m) in &self.dead {
                    if let Some(d) = ridge.detail.get(i) {
                        self.pairs.push(Block {
                            theta: across,
                            m,
                            x: d.x,
                            y: d.y,
                        });
                    }
                }
            }
        }
        out.blocks = self.pairs.len() as u32;
        // The silhouette: contrast-free, whatever the ridges show.
        self.edges.measure(
            luma,
            mask,
            width,
            height,
            SIGMA_AT_HALF_SCORE * period,
            2.0 * period,
            clip_level,
        );
        out.edge_points = self.edges.samples.len() as u32;
        out.edge_clipped = self.edges.clipped;
        self.pooled.extend_from_slice(&self.edges.samples);
        let edge = edge_blur(&mut self.edges.samples, &mut self.tmp);
        out.edge_blur_px = edge.map(|e| e.0.sqrt());
        out.edge_motion_px = edge.map(|e| e.1);
        if self.vals.is_empty() {
            // No ridges at all: blurred beyond recognition, unless the silhouette says sharp
            // (then the ridges are worn or dirty: a clarity problem, not a focus one), or
            // unless even sharp ridges would not stand out of the noise or of 8-bit
            // quantisation here (a dark frame):
            // then focus cannot be judged and nothing is claimed.
            let (mut noise, mut level, mut k) = (0f32, 0f32, 0f32);
            for b in &ridge.detail {
                noise += b.noise_amplitude;
                level += b.mean;
                k += 1.0;
            }
            let sharp_amplitude = SHARP_MODULATION * level / k.max(1.0);
            let unreadable = noise / k.max(1.0) >= 0.5 * sharp_amplitude
                || (out.edge_blur_px.is_none() && sharp_amplitude < MIN_SHARP_AMPLITUDE);
            if k > 0.0 && unreadable {
                out.judged = false;
                out.ridge_blur_px = 0.0;
                out.blur_px = out.edge_blur_px.unwrap_or(0.0);
                out.score = 50.0;
                return;
            }
            out.ridge_blur_px = UNRESOLVED_SIGMA * period;
            out.blur_px = out.edge_blur_px.unwrap_or(out.ridge_blur_px);
            let r = out.blur_px / period / SIGMA_AT_HALF_SCORE;
            out.score = 100.0 / (1.0 + r * r);
            return;
        }
        let fit = motion_fit(&self.pairs);
        // The median block says how much the ridges faded (blocks wiped out by motion are not
        // among them).
        let rel_mod = crate::ridge::weighted_median(&mut self.vals).unwrap_or(0.0) / period;
        // Harmonics are contrast-free: when the second harmonic stands clear of the noise, its
        // ratio to the fundamental dates the blur directly (it fades as
        // exp(-6 pi^2 sigma^2 / p^2) relative to the fundamental).
        let rel = if p1 > 0.0 && p2 > HARMONIC_SNR * pn {
            let r2 = ((p2 - pn) / p1).sqrt();
            harmonic_sigma_rel(r2)
        } else {
            rel_mod
        };
        out.ridge_blur_px = rel * period;
        // The silhouette's width is the most direct reading (contrast-free, whatever the skin);
        // the ridges' decide when the region shows too little of it.
        out.blur_px = out.edge_blur_px.unwrap_or(rel * period);
        let rel = out.blur_px / period;
        // Light from one side also makes ridge contrast depend on ridge orientation (ridges
        // along the light cast no shading), exactly like motion does. So the ridges alone are
        // believed only when the blocks across the motion faded out completely, which light
        // does not do.
        let (mut motion_rel, mut dir) = match fit {
            Some((l, d, _)) if faded => (l, d),
            _ => (0.0, 0.0),
        };
        // Ridges read motion only up to about one period (beyond, the sinc's side lobes
        // bring ridges back); the silhouette's widths keep growing with it. The larger wins.
        if let Some((_, len, phi)) = edge {
            if len / period > motion_rel {
                motion_rel = len / period;
                dir = phi;
            }
        }
        out.motion_px = motion_rel * period;
        out.motion_rad = dir;
        let r = (rel / SIGMA_AT_HALF_SCORE).max(motion_rel / MOTION_AT_HALF_SCORE);
        out.score = 100.0 / (1.0 + r * r);
    }
}

/// Blur of the finger's silhouette, from edges between finger and background.
///
/// Along each sampled row (and column) the finger mask changes from background to finger; near
/// each change the steepest luma step is found, the luma profile across it (along its gradient,
/// averaged over 5 parallel lines) is read, and the step's peak slope is compared at two scales
/// of derivative-of-Gaussian (s1 < s2). For a step blurred by sigma the peak slopes are
/// H / sqrt(2 pi (sigma^2 + s^2)), so their ratio gives sigma whatever the step height H:
/// contrast-free, and independent of the ridges. Steps that are dips (the shadow between two
/// touching fingers) or too weak are skipped.
#[derive(Debug, Default)]
struct EdgeProbe {
    prof: Vec<f32>,
    kern1: Vec<f32>,
    kernm: Vec<f32>,
    kern2: Vec<f32>,
    /// (edge normal angle, sigma^2 in px^2, weight) per measured edge point.
    samples: Vec<(f32, f32, f32)>,
    /// Edge points whose profile reached the clip level.
    clipped: u32,
}

/// Smallest luma step across a silhouette edge that is measured.
const MIN_EDGE_STEP: f32 = 14.0;
/// Most edge points measured per fingertip.
const MAX_EDGE_SAMPLES: usize = 48;
/// Lines (rows, then columns) probed across a fingertip region for silhouette edges.
const EDGE_LINES: f32 = 12.0;
/// Fewest edge points an edge-based estimate rests on.
const MIN_EDGE_SAMPLES: usize = 6;

impl EdgeProbe {
    /// Fills `samples` from the silhouette edges of the region. `sig` is the blur sigma (px) of
    /// interest (the threshold), `reach` how far (px) the true edge may lie from the mask's.
    #[allow(clippy::too_many_arguments)]
    fn measure(
        &mut self,
        luma: &[u8],
        mask: &[u8],
        w: usize,
        h: usize,
        sig: f32,
        reach: f32,
        clip: u8,
    ) {
        self.samples.clear();
        self.clipped = 0;
        let n = w.saturating_mul(h);
        if n == 0 || luma.len() < n || mask.len() < n || sig.is_nan() || sig <= 0.0 {
            return;
        }
        let s1 = (0.5 * sig).max(0.7);
        let s2 = (2.0 * sig).max(2.5 * s1);
        let half = reach + 3.0 * s2 + 2.0;
        let margin = (half + 4.0).ceil() as usize;
        if w <= 2 * margin || h <= 2 * margin {
            return;
        }
        // Profile samples every half pixel.
        let ns = (4.0 * half) as usize + 1;
        make_dog(&mut self.kern1, 2.0 * s1);
        make_dog(&mut self.kernm, 2.0 * (s1 * s2).sqrt());
        make_dog(&mut self.kern2, 2.0 * s2);
        // About 12 lines each way: the blur is a percentile of the points, and twice as many
        // lines (the former 24) cost twice the CPU for the same verdicts on the dev sets.
        let step = ((h.min(w) as f32 / EDGE_LINES) as usize).max(2);
        let reach_i = reach.ceil() as usize;
        for pass in 0..2 {
            // Rows for edges whose normal is within 45 degrees of x, then columns.
            let (lines, along) = if pass == 0 { (h, w) } else { (w, h) };
            let mut l = margin;
            while l + margin < lines && self.samples.len() < MAX_EDGE_SAMPLES {
                let at = |i: usize| if pass == 0 { l * w + i } else { i * w + l };
                let mut i = margin;
                while i + margin < along {
                    if (mask[at(i)] != 0) == (mask[at(i + 1)] != 0) {
                        i += 1;
                        continue;
                    }
                    // Steepest smoothed step near the mask's edge.
                    let (mut best, mut bi) = (0i32, i);
                    for j in i.saturating_sub(reach_i).max(2)..(i + reach_i + 1).min(along - 3) {
                        let d = luma[at(j + 1)] as i32 + luma[at(j + 2)] as i32
                            - luma[at(j - 1)] as i32
                            - luma[at(j - 2)] as i32;
                        if d.abs() > best {
                            best = d.abs();
                            bi = j;
                        }
                    }
                    let (x, y) = if pass == 0 { (bi, l) } else { (l, bi) };
                    self.edge_point(luma, mask, w, h, x, y, pass, s1, s2, half, ns, clip);
                    // One point per mask edge crossing.
                    i += reach_i.max(2) + 1;
                }
                l += step;
            }
        }
    }

    /// Measures the edge through (`x`, `y`) and records it when it is a clean step.
    #[allow(clippy::too_many_arguments)]
    fn edge_point(
        &mut self,
        luma: &[u8],
        mask: &[u8],
        w: usize,
        h: usize,
        x: usize,
        y: usize,
        pass: usize,
        s1: f32,
        s2: f32,
        half: f32,
        ns: usize,
        clip: u8,
    ) {
        let px = |xx: usize, yy: usize| luma[yy * w + xx] as f32;
        // Gradient direction from 3x3 box differences.
        let (mut gx, mut gy) = (0f32, 0f32);
        for o in 0..3 {
            gx += px(x + 2, y + o - 1) + px(x + 1, y + o - 1)
                - px(x - 1, y + o - 1)
                - px(x - 2, y + o - 1);
            gy += px(x + o - 1, y + 2) + px(x + o - 1, y + 1)
                - px(x + o - 1, y - 1)
                - px(x + o - 1, y - 2);
        }
        let g = (gx * gx + gy * gy).sqrt();
        if g <= 0.0 {
            return;
        }
        let (c, s) = (gx / g, gy / g);
        // Rows measure edges whose normal is nearer x, columns those nearer y.
        if (pass == 0 && c.abs() < 0.7) || (pass == 1 && s.abs() < 0.7) {
            return;
        }
        let reach_t = half + 3.0;
        let (xf, yf) = (x as f32, y as f32);
        for &(dx, dy) in &[(1.0f32, 1.0f32), (-1.0, 1.0), (1.0, -1.0), (-1.0, -1.0)] {
            let ex = xf + dx * reach_t * c.abs() + 2.0 * s.abs() * dx;
            let ey = yf + dy * reach_t * s.abs() + 2.0 * c.abs() * dy;
            if ex < 1.0 || ey < 1.0 || ex > (w - 2) as f32 || ey > (h - 2) as f32 {
                return;
            }
        }
        #[cfg(target_arch = "x86_64")]
        let clean = if crate::kernels::Kernel::best() == crate::kernels::Kernel::Avx2 {
            // SAFETY: the CPU supports AVX2 (detected at run time just above).
            unsafe { edge_profile_avx2(luma, w, (xf, yf), (c, s), half, ns, clip, &mut self.prof) }
        } else {
            edge_profile(luma, w, (xf, yf), (c, s), half, ns, clip, &mut self.prof)
        };
        #[cfg(not(target_arch = "x86_64"))]
        let clean = edge_profile(luma, w, (xf, yf), (c, s), half, ns, clip, &mut self.prof);
        // A clipped profile is not measured.
        if !clean {
            self.clipped += 1;
            return;
        }
        // The step is where the coarse derivative peaks (ridges beside it are small at that
        // scale); the fine derivative is read around the same place.
        let centre = ns / 2;
        let span = ((half - 3.0 * s2).max(1.0) * 2.0) as usize;
        let (g2, at) = peak_response(&self.prof, &self.kern2, centre, span);
        let near = (2.0 * s2) as usize;
        let (g1, _) = peak_response(&self.prof, &self.kern1, at, near);
        let (gm, _) = peak_response(&self.prof, &self.kernm, at, near);
        if g1 <= 0.0 || g2 <= 0.0 || gm <= 0.0 {
            return;
        }
        // A step, not a dip or a ridge: just beyond the coarse kernel's reach on either side
        // the levels differ by most of the range between them (the gap between two touching
        // fingers is a dip; a finger right beside is fine as long as its edge is further).
        let d = (2.0 * (3.0 * s2 + 1.0)) as usize;
        if at < d + 2 || at + d + 3 > ns {
            return;
        }
        let left = self.prof[at - d - 2..=at - d + 2].iter().sum::<f32>() / 5.0;
        let right = self.prof[at + d - 2..=at + d + 2].iter().sum::<f32>() / 5.0;
        let (lo, hi) = self.prof[at - d..=at + d]
            .iter()
            .fold((f32::MAX, f32::MIN), |(a, b), &v| (a.min(v), b.max(v)));
        // And the step must be the finger's own edge: the mask differs on its two sides
        // (a background edge near the finger, blurred by the depth of field, has background
        // on both).
        let off = at as f32 * 0.5 - half;
        let dpx = d as f32 * 0.5;
        let mask_at = |t: f32| -> bool {
            let (px_, py_) = (xf + t * c, yf + t * s);
            let (xi, yi) = (px_.round() as usize, py_.round() as usize);
            xi < w && yi < h && mask[yi * w + xi] != 0
        };
        if mask_at(off - dpx) == mask_at(off + dpx) {
            return;
        }
        let step = right - left;
        if step.abs() < MIN_EDGE_STEP || step.abs() < 0.6 * (hi - lo) {
            return;
        }
        let rho = g1 / g2;
        let r2 = rho * rho;
        // sigma^2 + the sampling blur (bilinear interpolation, ~0.3 px).
        let var = if r2 > 1.0 + 1e-3 {
            ((s2 * s2 - r2 * s1 * s1) / (r2 - 1.0) - 0.09).max(0.0)
        } else {
            // No sharper at the finer scale: blurred far beyond s2.
            25.0 * s2 * s2
        };
        // A blurred step answers the middle scale as the model says; a ramp with a small sharp
        // step on it (JPEG blocks on a blurred edge, a ridge beside a soft edge) does not.
        let sm2 = s1 * s2;
        let predicted = ((var + s2 * s2) / (var + sm2)).sqrt();
        if (gm / g2 / predicted).ln().abs() > 0.15 {
            return;
        }
        self.samples
            .push((s.atan2(c), var.min(25.0 * s2 * s2), step.abs()));
    }
}

/// Derivative-of-Gaussian kernel of standard deviation `sd` samples, unit response to a unit
/// step (its taps sum, weighted by position, to -1).
fn make_dog(k: &mut Vec<f32>, sd: f32) {
    let r = (3.0 * sd).ceil() as isize;
    k.clear();
    let mut norm = 0.0;
    for i in -r..=r {
        let t = i as f32;
        let v = -t * (-(t * t) / (2.0 * sd * sd)).exp();
        k.push(v);
        norm += v * t;
    }
    if norm != 0.0 {
        for v in k.iter_mut() {
            *v /= -norm;
        }
    }
}

/// The profile across an edge through (`xf`, `yf`) with unit normal `cs` = (c, s): `ns`
/// samples every half pixel from `-half`, each the mean of 5 bilinear reads on parallel lines
/// one pixel apart, into `prof`. False (profile unusable) as soon as a read reaches `clip`.
/// Every read must lie inside the `w`-wide `luma` with a pixel to its right and below (the
/// caller checked the region's corners).
#[allow(clippy::too_many_arguments)]
fn edge_profile(
    luma: &[u8],
    w: usize,
    (xf, yf): (f32, f32),
    (c, s): (f32, f32),
    half: f32,
    ns: usize,
    clip: u8,
    prof: &mut Vec<f32>,
) -> bool {
    prof.clear();
    edge_profile_from(luma, w, (xf, yf), (c, s), half, 0..ns, clip, prof)
}

/// [`edge_profile`] for samples `js` only, appended to `prof` (which holds the earlier ones).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn edge_profile_from(
    luma: &[u8],
    w: usize,
    (xf, yf): (f32, f32),
    (c, s): (f32, f32),
    half: f32,
    js: std::ops::Range<usize>,
    clip: u8,
    prof: &mut Vec<f32>,
) -> bool {
    let px = |xx: usize, yy: usize| luma[yy * w + xx] as f32;
    let bil = |fx: f32, fy: f32| -> f32 {
        // Equal to `fx as usize` for every position below 2^31 (the region checked by the
        // caller keeps them in the frame), without the saturating conversion's extra tests.
        let (x0, y0) = ((fx as i32).max(0) as usize, (fy as i32).max(0) as usize);
        let (ax, ay) = (fx - x0 as f32, fy - y0 as f32);
        let a = px(x0, y0) * (1.0 - ax) + px(x0 + 1, y0) * ax;
        let b = px(x0, y0 + 1) * (1.0 - ax) + px(x0 + 1, y0 + 1) * ax;
        a * (1.0 - ay) + b * ay
    };
    let mut top = 0f32;
    for j in js {
        let t = -half + 0.5 * j as f32;
        let mut v = [0f32; 5];
        for (k, o) in (-2..=2).enumerate() {
            let o = o as f32;
            v[k] = bil(xf + t * c - o * s, yf + t * s + o * c);
        }
        // The sum in the same order as before (so the same bits); the maximum, exact in any
        // order, as a small tree so the running `top` waits on one max per sample, not five
        // (that chain across the whole profile was the loop's critical path).
        let acc = 0.0 + v[0] + v[1] + v[2] + v[3] + v[4];
        top = top.max(v[0].max(v[1]).max(v[2].max(v[3])).max(v[4]));
        // A clipped profile is not measured: no need to read the rest of it.
        if top >= clip as f32 {
            return false;
        }
        prof.push(acc / 5.0);
    }
    true
}

/// [`edge_profile`] eight samples at a time, one per lane: the same f32 operations per read in
/// the same order (no fused multiply-add), each pixel pair read by one 32-bit gather. A group
/// with a read too close to the end of `luma` for a 4-byte gather is left, with the rest, to
/// the scalar code.
///
/// # Safety
/// The CPU must support AVX2.
#[cfg(target_arch = "x86_64")]
#[allow(clippy::too_many_arguments)]
#[target_feature(enable = "avx2")]
unsafe fn edge_profile_avx2(
    luma: &[u8],
    w: usize,
    (xf, yf): (f32, f32),
    (c, s): (f32, f32),
    half: f32,
    ns: usize,
    clip: u8,
    prof: &mut Vec<f32>,
) -> bool {
    use std::arch::x86_64::*;
    prof.clear();
    let mut j = 0usize;
    // Largest start index of a 4-byte gather on the second row: idx + w + 3 < len.
    let limit = luma.len() as i64 - w as i64 - 4;
    if limit >= 0 && limit < i32::MAX as i64 && w < i32::MAX as usize && ns < 1 << 24 {
        let lanes = _mm256_setr_ps(0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0);
        let (xv, yv, cv, sv) = (
            _mm256_set1_ps(xf),
            _mm256_set1_ps(yf),
            _mm256_set1_ps(c),
            _mm256_set1_ps(s),
        );
        let (neg_half, halfs) = (_mm256_set1_ps(-half), _mm256_set1_ps(0.5));
        let one = _mm256_set1_ps(1.0);
        let wv = _mm256_set1_epi32(w as i32);
        let limv = _mm256_set1_epi32(limit as i32);
        let byte = _mm256_set1_epi32(0xff);
        let clipv = _mm256_set1_ps(clip as f32);
        let five = _mm256_set1_ps(5.0);
        let base = luma.as_ptr() as *const i32;
        while j + 8 <= ns {
            // j + lane is exact in f32 (ns < 2^24).
            let jf = _mm256_add_ps(_mm256_set1_ps(j as f32), lanes);
            let t = _mm256_add_ps(neg_half, _mm256_mul_ps(halfs, jf));
            let (tc, ts) = (_mm256_mul_ps(t, cv), _mm256_mul_ps(t, sv));
            let (bx, by) = (_mm256_add_ps(xv, tc), _mm256_add_ps(yv, ts));
            let mut v = [_mm256_setzero_ps(); 5];
            let mut bad = _mm256_setzero_si256();
            for (k, o) in (-2..=2).enumerate() {
                let o = o as f32;
                let fx = _mm256_sub_ps(bx, _mm256_set1_ps(o * s));
                let fy = _mm256_add_ps(by, _mm256_set1_ps(o * c));
                let zero = _mm256_setzero_si256();
                let x0 = _mm256_max_epi32(_mm256_cvttps_epi32(fx), zero);
                let y0 = _mm256_max_epi32(_mm256_cvttps_epi32(fy), zero);
                let ax = _mm256_sub_ps(fx, _mm256_cvtepi32_ps(x0));
                let ay = _mm256_sub_ps(fy, _mm256_cvtepi32_ps(y0));
                let idx = _mm256_add_epi32(_mm256_mullo_epi32(y0, wv), x0);
                // idx > limit (or wrapped negative) cannot be gathered safely.
                bad = _mm256_or_si256(bad, _mm256_cmpgt_epi32(idx, limv));
                bad = _mm256_or_si256(bad, _mm256_cmpgt_epi32(zero, idx));
                if _mm256_movemask_epi8(bad) != 0 {
                    break;
                }
                // SAFETY: 0 <= idx <= limit, so idx + w + 3 < luma.len(): both 4-byte reads
                // lie inside `luma`.
                let (g0, g1) = unsafe {
                    (
                        _mm256_i32gather_epi32::<1>(base, idx),
                        _mm256_i32gather_epi32::<1>(base, _mm256_add_epi32(idx, wv)),
                    )
                };
                let p = |g: __m256i, sh: i32| -> __m256 {
                    let g = if sh == 0 {
                        g
                    } else {
                        _mm256_srli_epi32::<8>(g)
                    };
                    _mm256_cvtepi32_ps(_mm256_and_si256(g, byte))
                };
                let (p00, p10, p01, p11) = (p(g0, 0), p(g0, 8), p(g1, 0), p(g1, 8));
                let nax = _mm256_sub_ps(one, ax);
                let a = _mm256_add_ps(_mm256_mul_ps(p00, nax), _mm256_mul_ps(p10, ax));
                let b = _mm256_add_ps(_mm256_mul_ps(p01, nax), _mm256_mul_ps(p11, ax));
                v[k] = _mm256_add_ps(
                    _mm256_mul_ps(a, _mm256_sub_ps(one, ay)),
                    _mm256_mul_ps(b, ay),
                );
            }
            if _mm256_movemask_epi8(bad) != 0 {
                break;
            }
            let mut acc = _mm256_add_ps(_mm256_setzero_ps(), v[0]);
            for vk in &v[1..] {
                acc = _mm256_add_ps(acc, *vk);
            }
            let top = _mm256_max_ps(
                _mm256_max_ps(_mm256_max_ps(v[0], v[1]), _mm256_max_ps(v[2], v[3])),
                v[4],
            );
            if _mm256_movemask_ps(_mm256_cmp_ps::<_CMP_GE_OQ>(top, clipv)) != 0 {
                return false;
            }
            let mut out = [0f32; 8];
            // SAFETY: `out` holds 8 f32.
            unsafe { _mm256_storeu_ps(out.as_mut_ptr(), _mm256_div_ps(acc, five)) };
            prof.extend_from_slice(&out);
            j += 8;
        }
    }
    edge_profile_from(luma, w, (xf, yf), (c, s), half, j..ns, clip, prof)
}

/// Largest |response| of `prof` filtered by `k`, over centres within `span` of `centre`, and
/// where it is. Eight centres at a time, one per lane: each lane sums its products in the same
/// order as [`peak_response_scalar`] does (so the same bits), but the eight sums no longer wait
/// on each other (one long chain of dependent additions was this stage's critical path).
fn peak_response(prof: &[f32], k: &[f32], centre: usize, span: usize) -> (f32, usize) {
    const L: usize = 8;
    let r = k.len() / 2;
    let n = k.len();
    let (mut best, mut at) = (0f32, centre);
    let lo = centre.saturating_sub(span).max(r);
    let hi = (centre + span).min(prof.len().saturating_sub(r + 1));
    let mut c = lo;
    while c + L <= hi + 1 {
        let Some(win) = prof.get(c - r..c - r + n + L - 1) else {
            break;
        };
        let mut acc = [-0.0f32; L];
        for (t, &kv) in k.iter().rev().enumerate() {
            let seg = &win[t..t + L];
            for q in 0..L {
                acc[q] += seg[q] * kv;
            }
        }
        for (q, &v) in acc.iter().enumerate() {
            if v.abs() > best {
                best = v.abs();
                at = c + q;
            }
        }
        c += L;
    }
    for c in c..=hi {
        if c < r || c + r >= prof.len() {
            continue;
        }
        let v = response_at(prof, k, c);
        if v.abs() > best {
            best = v.abs();
            at = c;
        }
    }
    (best, at)
}

/// Response of kernel `k` (odd length) centred on `prof[c]`; the caller keeps it inside.
#[inline]
fn response_at(prof: &[f32], k: &[f32], c: usize) -> f32 {
    let r = k.len() / 2;
    prof[c - r..=c + r]
        .iter()
        .zip(k.iter().rev())
        .map(|(a, b)| a * b)
        .sum()
}

/// Reference for [`peak_response`]: one centre at a time.
#[cfg(test)]
fn peak_response_scalar(prof: &[f32], k: &[f32], centre: usize, span: usize) -> (f32, usize) {
    let r = k.len() / 2;
    let (mut best, mut at) = (0f32, centre);
    let lo = centre.saturating_sub(span).max(r);
    let hi = (centre + span).min(prof.len().saturating_sub(r + 1));
    for c in lo..=hi {
        if c < r || c + r >= prof.len() {
            continue;
        }
        let v = response_at(prof, k, c);
        if v.abs() > best {
            best = v.abs();
            at = c;
        }
    }
    (best, at)
}

/// Gaussian blur and motion from the silhouette samples (normal angle, sigma^2, weight):
/// returns (Gaussian sigma^2, motion length, motion direction), or None with too few samples.
///
/// Shading only widens an edge (a side turned away from the light falls off gradually), so the
/// Gaussian part is the 40th percentile of the samples' sigma^2. Motion widens the edges whose
/// normal lies along it, on both sides of the finger alike, which shading does not: for each
/// candidate direction the excess over the Gaussian part is taken on the less widened of the
/// two opposite sides (motion along the finger, where only the tip shows, is left to the
/// ridges).
fn edge_blur(
    samples: &mut Vec<(f32, f32, f32)>,
    tmp: &mut Vec<(f32, f32)>,
) -> Option<(f32, f32, f32)> {
    if samples.len() < MIN_EDGE_SAMPLES {
        return None;
    }
    let floor = contrast_floor(samples, tmp)?;
    samples.retain(|s| s.2 >= floor);
    if samples.len() < MIN_EDGE_SAMPLES {
        return None;
    }
    tmp.clear();
    tmp.extend(samples.iter().map(|s| (s.1, 1.0)));
    tmp.sort_by(|a, b| a.0.total_cmp(&b.0));
    let gauss = tmp.get(tmp.len() * 2 / 5).map(|v| v.0)?;
    let (mut best_len, mut best_dir) = (0f32, 0f32);
    for k in 0..12 {
        let phi = -0.5 * PI + k as f32 * PI / 12.0;
        let mut side = [0f32; 2];
        let mut seen = [0usize; 2];
        for (j, sd) in side.iter_mut().enumerate() {
            tmp.clear();
            tmp.extend(samples.iter().filter_map(|&(t, var, _)| {
                let c = (t - phi).cos();
                let on = if j == 0 { c > 0.85 } else { c < -0.85 };
                on.then_some((var, 1.0))
            }));
            seen[j] = tmp.len();
            *sd = crate::ridge::weighted_median(tmp).unwrap_or(0.0);
        }
        // One side alone (the tip, for motion along the finger) cannot tell motion from
        // shading: the ridges' fading speaks for that case.
        let excess = if seen[0] >= 3 && seen[1] >= 3 {
            side[0].min(side[1]) - gauss
        } else {
            0.0
        };
        // A box of length L has variance L^2 / 12 along it (|cos| ~0.95 on these edges).
        let len = (12.0 * excess.max(0.0) / 0.9).sqrt();
        if len > best_len {
            best_len = len;
            best_dir = phi;
        }
    }
    Some((gauss, best_len, best_dir))
}

/// Contrast below which a silhouette point is not read: half that of the strongest points (the
/// 90th percentile). Where the background is nearly as bright as the skin's darkened limb, the
/// limb's shading ramp passes for a soft edge. `tmp` is scratch; `None` without points.
fn contrast_floor(samples: &[(f32, f32, f32)], tmp: &mut Vec<(f32, f32)>) -> Option<f32> {
    tmp.clear();
    tmp.extend(samples.iter().map(|s| (s.2, 1.0)));
    tmp.sort_by(|a, b| a.0.total_cmp(&b.0));
    tmp.get(tmp.len() * 9 / 10).map(|v| 0.5 * v.0)
}

/// Modulation of living ridges, along a motion the silhouette reads, that contradicts it:
/// 0.3 of sharp ridges' (the sinc's side lobes leave at most 0.22).
const VETO_MODULATION: f32 = 0.3 * SHARP_MODULATION;
/// |cos| between a ridge normal and a motion above which the ridges lie across the motion
/// (within 20 degrees).
const ALONG_COS: f32 = 0.94;

/// Fewest silhouette points along, and across, a direction that a motion estimate from the
/// silhouette's anisotropy rests on.
const MIN_ANISOTROPY_POINTS: usize = 6;

/// Motion of the whole hand from its silhouette: a motion of length L in direction phi adds
/// L^2 / 12 (a box) to the blur variance of edges whose normal lies along phi and nothing to
/// edges whose normal lies across it, while optical blur and the DoG probe's own bias add the
/// same to both. So the median variance of the edges along each of 12 directions, less that
/// of the edges across it, gives L^2 / 12 there; the largest is taken. Unlike [`edge_blur`]'s
/// two-sided reading this needs no edges on both sides of the motion, so it reads a hand
/// shaken along its fingers (only the tips' caps face that way) and one whose sides are both
/// smeared (most of its points). `strong`, `along` and `across` are scratch. Returns the
/// length in pixels and the direction (radians, image x axis = 0, in [-pi/2, pi/2)).
fn silhouette_motion(
    samples: &[(f32, f32, f32)],
    strong: &mut Vec<(f32, f32, f32)>,
    along: &mut Vec<(f32, f32)>,
    across: &mut Vec<(f32, f32)>,
) -> Option<(f32, f32)> {
    if samples.len() < 2 * MIN_ANISOTROPY_POINTS {
        return None;
    }
    let floor = contrast_floor(samples, along)?;
    strong.clear();
    strong.extend(samples.iter().copied().filter(|s| s.2 >= floor));
    let (mut best_len, mut best_dir, mut read) = (0f32, 0f32, false);
    for k in 0..12 {
        let phi = -0.5 * PI + k as f32 * PI / 12.0;
        along.clear();
        across.clear();
        for &(t, var, _) in strong.iter() {
            let c = (t - phi).cos().abs();
            if c > 0.85 {
                along.push((var, 1.0));
            } else if c < 0.35 {
                across.push((var, 1.0));
            }
        }
        if along.len() < MIN_ANISOTROPY_POINTS || across.len() < MIN_ANISOTROPY_POINTS {
            continue;
        }
        read = true;
        let excess = crate::ridge::weighted_median(along).unwrap_or(0.0)
            - crate::ridge::weighted_median(across).unwrap_or(0.0);
        // |cos| ~0.95 on the edges along, as in `edge_blur`.
        let len = (12.0 * excess.max(0.0) / 0.9).sqrt();
        if len > best_len {
            best_len = len;
            best_dir = phi;
        }
    }
    read.then_some((best_len, best_dir))
}

/// Sigma over period from the ratio of the second harmonic to the fundamental.
fn harmonic_sigma_rel(r2: f32) -> f32 {
    if r2 >= SHARP_HARMONIC2 {
        return 0.0;
    }
    if r2.is_nan() || r2 <= 0.0 {
        return UNRESOLVED_SIGMA;
    }
    ((SHARP_HARMONIC2 / r2).ln() / (6.0 * PI * PI))
        .sqrt()
        .min(UNRESOLVED_SIGMA)
}

/// Sigma over period that attenuates ridges by `ratio` (1 = sharp).
fn sigma_rel(ratio: f32) -> f32 {
    if ratio.is_nan() || ratio <= 0.0 {
        return UNRESOLVED_SIGMA;
    }
    if ratio >= 1.0 {
        return 0.0;
    }
    ((-ratio.ln()) / (2.0 * PI * PI))
        .sqrt()
        .min(UNRESOLVED_SIGMA)
}

/// |sinc(x)| = |sin(pi x) / (pi x)|.
fn sinc(x: f32) -> f32 {
    if x.abs() < 1e-4 {
        1.0
    } else {
        ((PI * x).sin() / (PI * x)).abs()
    }
}

/// Motion from how ridge modulation depends on ridge orientation: a motion of length L along
/// phi fades ridges whose normal is along phi (by |sinc(L / p)|) and spares those across it.
/// Fits ln(modulation) = a + c1 cos(2 theta) + c2 sin(2 theta) over the blocks (`pairs`:
/// normal angle, modulation) by least squares; the peak-to-peak of the orientation term gives
/// L / p, whatever the skin's contrast (which only moves `a`). Returns (L / p, motion
/// direction, ln of the modulation across the motion, i.e. without it). None when the blocks
/// are too few or their orientations too alike to tell motion from contrast.
fn motion_fit(pairs: &[Block]) -> Option<(f32, f32, f32)> {
    let n = pairs.len();
    if n < MIN_MOTION_BLOCKS {
        return None;
    }
    // Light and curvature change modulation smoothly across the fingertip: a linear trend in
    // position is fitted beside the orientation term, so that it is not taken for motion.
    let (mut cx, mut cy, mut sx) = (0f64, 0f64, 0f64);
    for b in pairs {
        cx += b.x as f64;
        cy += b.y as f64;
    }
    cx /= n as f64;
    cy /= n as f64;
    for b in pairs {
        sx += (b.x as f64 - cx).powi(2) + (b.y as f64 - cy).powi(2);
    }
    let scale = (sx / n as f64).sqrt().max(1.0);
    let row = |b: &Block| -> [f64; 5] {
        let (s2, c2) = (2.0 * b.theta as f64).sin_cos();
        [
            1.0,
            c2,
            s2,
            (b.x as f64 - cx) / scale,
            (b.y as f64 - cy) / scale,
        ]
    };
    let mut m = [[0f64; 5]; 5];
    let mut v = [0f64; 5];
    let (mut rc, mut rs) = (0f64, 0f64);
    for b in pairs {
        let x = row(b);
        rc += x[1];
        rs += x[2];
        let y = (b.m.max(1e-6) as f64).ln();
        for i in 0..5 {
            for j in 0..5 {
                m[i][j] += x[i] * x[j];
            }
            v[i] += x[i] * y;
        }
    }
    // Orientations concentrated in one direction (resultant length near 1) cannot separate the
    // orientation term from the mean.
    if (rc * rc + rs * rs).sqrt() / n as f64 > 0.75 {
        return None;
    }
    let sol = solve(m, v)?;
    // Residual scatter of ln(modulation) about the fit: skin, light and curvature make block
    // modulations differ by 2-5x whatever the motion. An orientation term of amplitude `amp`
    // fitted to n such blocks has a standard error of about s * sqrt(2 / n); only what stands
    // above two standard errors is taken as motion.
    let mut rss = 0f64;
    for b in pairs {
        let x = row(b);
        let fit: f64 = x.iter().zip(&sol).map(|(a, c)| a * c).sum();
        let r = (b.m.max(1e-6) as f64).ln() - fit;
        rss += r * r;
    }
    let s2 = rss / (n.max(7) - 5) as f64;
    let se2 = 2.0 * s2 / n as f64;
    let raw = (sol[1] * sol[1] + sol[2] * sol[2]).sqrt();
    let amp = (raw * raw - 4.0 * se2).max(0.0).sqrt();
    // The fitted term is most negative along the motion: cos(2 (theta - phi)) = -1 there.
    let phi = (0.5 * sol[2].atan2(sol[1]) + std::f64::consts::FRAC_PI_2) as f32;
    let phi = if phi > 0.5 * PI { phi - PI } else { phi };
    let drop = (2.0 * amp) as f32;
    // |sinc(l)| = exp(-drop) on the main lobe, by bisection.
    let target = (-drop).exp();
    let (mut lo, mut hi) = (0.0f32, 1.0f32);
    for _ in 0..30 {
        let mid = 0.5 * (lo + hi);
        if sinc(mid) > target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Some((0.5 * (lo + hi), phi, (sol[0] + raw) as f32))
}

/// Solves a small linear system by Gaussian elimination with partial pivoting; None when
/// (nearly) singular.
fn solve<const N: usize>(mut m: [[f64; N]; N], mut v: [f64; N]) -> Option<[f64; N]> {
    for col in 0..N {
        let piv = (col..N).max_by(|&a, &b| m[a][col].abs().total_cmp(&m[b][col].abs()))?;
        if m[piv][col].abs() < 1e-9 {
            return None;
        }
        m.swap(col, piv);
        v.swap(col, piv);
        let pivot_row = m[col];
        for r in col + 1..N {
            let f = m[r][col] / pivot_row[col];
            for (a, b) in m[r][col..].iter_mut().zip(&pivot_row[col..]) {
                *a -= f * b;
            }
            v[r] -= f * v[col];
        }
    }
    let mut out = [0f64; N];
    for r in (0..N).rev() {
        let mut acc = v[r];
        for c in r + 1..N {
            acc -= m[r][c] * out[c];
        }
        out[r] = acc / m[r][r];
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        // Float kernel: the same products summed in the same order per centre, so bit-equal
        // (tolerance zero): profiles of luma-like values, kernels as the probe makes them.
        #[test]
        fn peak_response_matches_scalar(
            prof in proptest::collection::vec(0f32..255.0, 0..200),
            sd in 0.3f32..12.0,
            centre in 0usize..220,
            span in 0usize..120,
        ) {
            let mut k = Vec::new();
            make_dog(&mut k, sd);
            let (a, b) = (
                peak_response(&prof, &k, centre, span),
                peak_response_scalar(&prof, &k, centre, span),
            );
            prop_assert_eq!(a.0.to_bits(), b.0.to_bits());
            prop_assert_eq!(a.1, b.1);
        }
    }

    proptest! {
        // Float kernel: the same operations per read in the same order, so bit-equal profiles
        // (tolerance zero) and the same clipped / not clipped answer. Odd frame sizes, any
        // direction, every read inside the frame as the caller guarantees (edge points up to
        // the last rows, so that gathers near the buffer's end are refused and left to the
        // scalar code); clip levels low enough to trigger at times.
        #[test]
        fn avx2_edge_profile_matches_scalar(
            (w, h, luma) in (25usize..90, 25usize..70).prop_flat_map(|(w, h)| {
                (Just(w), Just(h), proptest::collection::vec(any::<u8>(), w * h))
            }),
            (fx, fy) in (0f32..1.0, 0f32..1.0),
            angle in -3.2f32..3.2,
            half in 0.5f32..10.0,
            clip in prop_oneof![Just(255u8), 200u8..=255],
        ) {
            if crate::kernels::Kernel::best() != crate::kernels::Kernel::Avx2 {
                return Ok(());
            }
            let r = half + 3.0;
            prop_assume!(w as f32 > 2.0 * r + 4.0 && h as f32 > 2.0 * r + 4.0);
            // Reads within `r` of the point; keep them in 1..=w-3 so x0 + 1 <= w - 2.
            let xf = r + 1.0 + fx * (w as f32 - 2.0 * r - 4.0);
            let yf = r + 1.0 + fy * (h as f32 - 2.0 * r - 4.0);
            let (s, c) = angle.sin_cos();
            let ns = (4.0 * half) as usize + 1;
            let (mut a, mut b) = (vec![9f32; 3], Vec::new());
            let ka = edge_profile(&luma, w, (xf, yf), (c, s), half, ns, clip, &mut a);
            #[cfg(target_arch = "x86_64")]
            // SAFETY: AVX2 checked above.
            let kb = unsafe { edge_profile_avx2(&luma, w, (xf, yf), (c, s), half, ns, clip, &mut b) };
            prop_assert_eq!(ka, kb);
            if ka {
                let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                prop_assert_eq!(bits(&a), bits(&b));
            }
        }
    }

    #[test]
    fn sigma_rel_inverts_the_gaussian_attenuation() {
        for &s in &[0.05f32, 0.1, 0.2, 0.263, 0.35] {
            let att = (-2.0 * PI * PI * s * s).exp();
            assert!((sigma_rel(att) - s).abs() < 1e-4);
        }
        assert_eq!(sigma_rel(1.5), 0.0);
        assert_eq!(sigma_rel(0.0), UNRESOLVED_SIGMA);
        assert_eq!(sigma_rel(f32::NAN), UNRESOLVED_SIGMA);
    }

    #[test]
    fn no_ridges_means_blurry() {
        let mut f = FocusAnalyzer::new();
        let mut out = FocusMeasure::default();
        f.measure(
            &[],
            &[],
            0,
            0,
            10.0,
            &RidgeMeasure::default(),
            250,
            &mut out,
        );
        // Beyond the threshold (0.263 period), so below half score.
        assert!(out.score < 50.0, "{}", out.score);
        assert!(out.blur_px >= 0.263 * 10.0);
    }

    /// Silhouette points around a fingertip's outline (normals every 7.5 degrees, all as
    /// strong), each with the variance a Gaussian blur of `sigma` plus a motion of `len`
    /// pixels at `dir` give an edge whose normal is at that angle: sigma^2 + (len cos)^2 / 12.
    fn outline(sigma: f32, len: f32, dir: f32) -> Vec<(f32, f32, f32)> {
        (0..48)
            .map(|i| {
                let t = -PI + i as f32 * PI / 24.0;
                let along = len * (t - dir).cos();
                (t, sigma * sigma + along * along / 12.0, 40.0)
            })
            .collect()
    }

    fn motion_of(points: &[(f32, f32, f32)]) -> Option<(f32, f32)> {
        let (mut strong, mut along, mut across) = (Vec::new(), Vec::new(), Vec::new());
        silhouette_motion(points, &mut strong, &mut along, &mut across)
    }

    #[test]
    fn silhouette_motion_reads_length_and_direction() {
        for (len, dir) in [(8.0f32, 0.0f32), (12.0, 0.5 * PI - 0.01), (6.0, -PI / 4.0)] {
            let (got, at) = motion_of(&outline(1.5, len, dir)).expect("read");
            // The points along a direction span |cos| 0.85-1, about the 0.9 the reading divides
            // by (0.6-0.9% long here), and the directions are 15 degrees apart: within 3% (a
            // reading without that division would be 5% short) and 8 degrees.
            assert!((got / len - 1.0).abs() < 0.03, "length {got} for {len}");
            let off = (at - dir).sin().abs().asin();
            assert!(off < 8f32.to_radians(), "direction {at} for {dir}");
        }
        // Optical blur alone is the same on every edge: no motion, whatever its size.
        for sigma in [0.5f32, 2.0, 6.0] {
            let (got, _) = motion_of(&outline(sigma, 0.0, 0.0)).expect("read");
            assert!(got < 0.05, "sigma {sigma}: motion {got}");
        }
    }

    #[test]
    fn silhouette_motion_needs_points_along_and_across() {
        // Only the caps (normals within 30 degrees of up): nothing across to compare with.
        let caps: Vec<_> = outline(1.0, 8.0, -0.5 * PI)
            .into_iter()
            .filter(|p| (p.0 + 0.5 * PI).cos() > 0.87)
            .collect();
        assert!(caps.len() >= 6);
        assert_eq!(motion_of(&caps), None);
        assert_eq!(motion_of(&[]), None);
        // Weak points (under half the strong ones' contrast) are not read.
        let mut weak = outline(1.0, 10.0, 0.0);
        for p in weak.iter_mut().filter(|p| p.0.cos().abs() > 0.5) {
            p.2 = 5.0;
        }
        let (got, _) = motion_of(&weak).unwrap_or((0.0, 0.0));
        assert!(got < 0.05, "motion {got} from weak edges");
    }
}
