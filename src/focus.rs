//! Blur at a fingertip, in pixels of Gaussian sigma and of motion length, normalised for contrast
//! and ridge period so that the same optical blur reads the same at any distance.
//!
//! A Gaussian blur of sigma pixels multiplies the amplitude of ridges of period p by
//! exp(-2 pi^2 sigma^2 / p^2); a motion of length L across ridges whose normal makes an angle
//! phi with the motion multiplies it by |sinc(L cos(phi) / p)|. The ridge stage measured, per
//! block, the ridge amplitude at the block's period and the block's mean brightness; this stage
//! turns those into a blur estimate.

use crate::ridge::{RidgeBlock, RidgeMeasure};
use std::f32::consts::PI;

/// Modulation (amplitude over mean) of sharp ridges, the reference blur is measured against.
const SHARP_MODULATION: f32 = 0.30;
/// Second-harmonic over fundamental amplitude of sharp ridges (a phone photo of a fingertip
/// shows ~0.16 at ~1900 ppi; a pure sinusoid 0).
const SHARP_HARMONIC2: f32 = 0.2;
/// Second-harmonic power over the noise floor's above which harmonics are trusted.
const HARMONIC_SNR: f32 = 2.5;
/// Fewest blocks a motion estimate rests on.
const MIN_MOTION_BLOCKS: usize = 6;
/// Blur sigma over ridge period at the default `too_blurry` threshold (0.125 mm / 0.475 mm):
/// the score is 50 there.
const SIGMA_AT_HALF_SCORE: f32 = 0.125 / 0.475;
/// Motion length over ridge period at the default threshold (0.4 mm / 0.475 mm).
const MOTION_AT_HALF_SCORE: f32 = 0.4 / 0.475;
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
}

/// Measures blur; owns its scratch buffers.
#[derive(Debug, Default)]
pub struct FocusAnalyzer {
    vals: Vec<(f32, f32)>,
    pairs: Vec<(f32, f32)>,
}

impl FocusAnalyzer {
    /// An analyzer with empty scratch.
    pub fn new() -> Self {
        FocusAnalyzer::default()
    }

    /// Measures the blur of a `width` x `height` luma region whose ridges have period
    /// `period_px` (measured, or expected from the distance). Pixels at or above `clip_level`
    /// are left out.
    #[allow(clippy::too_many_arguments)]
    pub fn measure(
        &mut self,
        _luma: &[u8],
        _mask: &[u8],
        _width: usize,
        _height: usize,
        period_px: f32,
        ridge: &RidgeMeasure,
        _clip_level: u8,
        out: &mut FocusMeasure,
    ) {
        *out = FocusMeasure::default();
        let period = if period_px.is_finite() && period_px > 0.0 {
            period_px
        } else {
            9.0
        };
        let usable = |b: &&RidgeBlock| b.valid && b.mean > 1.0 && b.amplitude > 0.0;
        self.vals.clear();
        self.pairs.clear();
        // Harmonic powers, summed over blocks: fundamental, second harmonic, noise floor.
        let (mut p1, mut p2, mut pn) = (0f32, 0f32, 0f32);
        for b in ridge.detail.iter().filter(usable) {
            let m = b.amplitude / b.mean;
            let rel = sigma_rel(m / SHARP_MODULATION);
            self.vals.push((rel, 1.0));
            self.pairs.push((b.normal_rad, m));
            // The second harmonic is only measured below ~0.4 cycles per pixel (decimated).
            if b.period_px / ridge.scale.max(1) as f32 >= 5.0 {
                p1 += b.amplitude * b.amplitude;
                p2 += b.harmonic2 * b.harmonic2;
                pn += b.noise_amplitude * b.noise_amplitude;
            }
        }
        out.blocks = self.vals.len() as u32;
        if self.vals.is_empty() {
            out.blur_px = UNRESOLVED_SIGMA * period;
            out.score = 0.0;
            return;
        }
        let fit = motion_fit(&self.pairs);
        // Without motion the median block says how much the ridges faded; with it, the
        // blocks across the motion do.
        let rel_mod = match fit {
            Some((_, _, ln_across)) => sigma_rel(ln_across.exp() / SHARP_MODULATION),
            None => crate::ridge::weighted_median(&mut self.vals).unwrap_or(0.0),
        };
        // Harmonics are contrast-free: when the second harmonic stands clear of the noise, its
        // ratio to the fundamental dates the blur directly (it fades as
        // exp(-6 pi^2 sigma^2 / p^2) relative to the fundamental).
        let rel = if p1 > 0.0 && p2 > HARMONIC_SNR * pn {
            let r2 = ((p2 - pn) / p1).sqrt();
            harmonic_sigma_rel(r2)
        } else {
            rel_mod
        };
        out.blur_px = rel * period;
        let (motion_rel, dir) = fit.map(|f| (f.0, f.1)).unwrap_or((0.0, 0.0));
        out.motion_px = motion_rel * period;
        out.motion_rad = dir;
        let r = (rel / SIGMA_AT_HALF_SCORE).max(motion_rel / MOTION_AT_HALF_SCORE);
        out.score = 100.0 / (1.0 + r * r);
    }
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
fn motion_fit(pairs: &[(f32, f32)]) -> Option<(f32, f32, f32)> {
    let n = pairs.len();
    if n < MIN_MOTION_BLOCKS {
        return None;
    }
    // Normal equations of the 3-parameter fit.
    let mut m = [[0f64; 3]; 3];
    let mut v = [0f64; 3];
    let (mut rc, mut rs) = (0f64, 0f64);
    for &(t, md) in pairs {
        if md <= 0.0 {
            continue;
        }
        let (s2, c2) = (2.0 * t as f64).sin_cos();
        rc += c2;
        rs += s2;
        let x = [1.0, c2, s2];
        let y = (md as f64).ln();
        for i in 0..3 {
            for j in 0..3 {
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
    let sol = solve3(m, v)?;
    // Residual scatter of ln(modulation) about the fit: skin, light and curvature make block
    // modulations differ by 2-5x whatever the motion. An orientation term of amplitude `amp`
    // fitted to n such blocks has a standard error of about s * sqrt(2 / n); only what stands
    // above two standard errors is taken as motion.
    let mut rss = 0f64;
    let mut used = 0usize;
    for &(t, md) in pairs {
        if md <= 0.0 {
            continue;
        }
        let (s2, c2) = (2.0 * t as f64).sin_cos();
        let r = (md as f64).ln() - (sol[0] + sol[1] * c2 + sol[2] * s2);
        rss += r * r;
        used += 1;
    }
    let s2 = rss / (used.max(4) - 3) as f64;
    let se2 = 2.0 * s2 / used.max(1) as f64;
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

/// Solves a 3x3 linear system by Cramer's rule; None when singular.
fn solve3(m: [[f64; 3]; 3], v: [f64; 3]) -> Option<[f64; 3]> {
    let det = |a: &[[f64; 3]; 3]| {
        a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1])
            - a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0])
            + a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0])
    };
    let d = det(&m);
    if d.abs() < 1e-9 {
        return None;
    }
    let mut out = [0f64; 3];
    for (k, o) in out.iter_mut().enumerate() {
        let mut a = m;
        for i in 0..3 {
            a[i][k] = v[i];
        }
        *o = det(&a) / d;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(out.score, 0.0);
        assert!(out.blur_px >= 0.26 * 10.0);
    }
}
