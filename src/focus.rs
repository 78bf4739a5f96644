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
        for b in ridge.detail.iter().filter(usable) {
            let m = b.amplitude / b.mean;
            let rel = sigma_rel(m / SHARP_MODULATION);
            self.vals.push((rel * b.period_px, 1.0));
            self.pairs.push((b.normal_rad, m));
        }
        out.blocks = self.vals.len() as u32;
        if self.vals.is_empty() {
            out.blur_px = UNRESOLVED_SIGMA * period;
            out.score = 0.0;
            return;
        }
        out.blur_px = crate::ridge::weighted_median(&mut self.vals).unwrap_or(0.0);
        let (motion_rel, dir) = motion_rel(&self.pairs, &mut self.vals);
        out.motion_px = motion_rel * period;
        out.motion_rad = dir;
        let r = (out.blur_px / period / SIGMA_AT_HALF_SCORE).max(motion_rel / MOTION_AT_HALF_SCORE);
        out.score = 100.0 / (1.0 + r * r);
    }
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

/// Motion length over period from how ridge modulation depends on ridge orientation: ridges
/// across the motion fade, ridges along it survive. `pairs` holds (normal angle, modulation)
/// per block. Returns (length / period, motion direction).
fn motion_rel(pairs: &[(f32, f32)], scratch: &mut Vec<(f32, f32)>) -> (f32, f32) {
    let mut best = (1.0f32, 0.0f32);
    for step in 0..12 {
        let phi = -0.5 * PI + step as f32 * PI / 12.0;
        let med = |scratch: &mut Vec<(f32, f32)>, across: bool| -> Option<f32> {
            scratch.clear();
            scratch.extend(pairs.iter().filter_map(|&(t, m)| {
                let c = (t - phi).cos().abs();
                if (across && c > 0.85) || (!across && c < 0.5) {
                    Some((m, 1.0))
                } else {
                    None
                }
            }));
            if scratch.len() < 2 {
                return None;
            }
            crate::ridge::weighted_median(scratch)
        };
        if let (Some(a), Some(o)) = (med(scratch, true), med(scratch, false)) {
            if o > 0.0 && a / o < best.0 {
                best = (a / o, phi);
            }
        }
    }
    let ratio = best.0.clamp(0.0, 1.0);
    if ratio >= 0.999 {
        return (0.0, best.1);
    }
    // Invert |sinc(l * c)| = ratio on the main lobe, with c ~ 0.93 the mean |cos| of the
    // "across" blocks; bisection (sinc is monotonic on [0, 1]).
    let c = 0.93;
    let (mut lo, mut hi) = (0.0f32, 1.0f32);
    for _ in 0..30 {
        let mid = 0.5 * (lo + hi);
        if sinc(mid) > ratio {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (0.5 * (lo + hi) / c, best.1)
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
