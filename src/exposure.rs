//! Exposure over finger pixels and specular glare on the fingers.

use crate::config::Config;
use crate::frame::{FrameView, LowRes};
use crate::report::{ExposureStats, GlareStats};

/// Measures exposure and glare; owns its scratch (a histogram).
#[derive(Debug)]
pub struct ExposureAnalyzer {
    hist: [u64; 256],
}

impl Default for ExposureAnalyzer {
    fn default() -> Self {
        ExposureAnalyzer { hist: [0; 256] }
    }
}

impl ExposureAnalyzer {
    /// An analyzer with empty scratch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Exposure statistics over the pixels where `finger_mask` (over `low`) is set, and glare
    /// found by revisiting at full resolution the blocks whose brightest pixel is bright enough.
    pub fn measure(
        &mut self,
        _frame: &FrameView,
        low: &LowRes,
        finger_mask: &[u8],
        _config: &Config,
        exposure: &mut ExposureStats,
        glare: &mut GlareStats,
    ) {
        self.hist.iter_mut().for_each(|h| *h = 0);
        for (&m, &l) in finger_mask.iter().zip(low.luma.iter()) {
            if m != 0 {
                self.hist[l as usize] += 1;
            }
        }
        let n: u64 = self.hist.iter().sum();
        let sum: u64 = self
            .hist
            .iter()
            .enumerate()
            .map(|(i, &c)| i as u64 * c)
            .sum();
        *exposure = ExposureStats::default();
        *glare = GlareStats::default();
        if n > 0 {
            exposure.mean = sum as f32 / n as f32;
            exposure.pixels = n * (low.factor as u64).pow(2);
        }
    }
}

/// Mean luma over the masked pixels of a full-resolution region, and the share of them that are
/// glare (at or above min(`level_cap`, mean + `level_above_mean`)).
pub fn region_stats(luma: &[u8], mask: &[u8], glare: &crate::config::GlareConfig) -> (f32, f32) {
    let (mut n, mut sum) = (0u64, 0u64);
    for (&l, &m) in luma.iter().zip(mask.iter()) {
        if m != 0 {
            n += 1;
            sum += l as u64;
        }
    }
    if n == 0 {
        return (0.0, 0.0);
    }
    let mean = sum as f32 / n as f32;
    let level = glare.level_cap.min(mean + glare.level_above_mean);
    let bright = luma
        .iter()
        .zip(mask.iter())
        .filter(|&(&l, &m)| m != 0 && l as f32 >= level)
        .count();
    (mean, bright as f32 / n as f32)
}
