//! Distance as the resolution at the fingers (ppi), from the ridge period and from finger width.

use crate::config::Config;
use crate::report::{PpiEstimate, PpiSource};

/// The best ppi a `width` x `height` frame can give with four fingers (about 80 mm) in view,
/// whichever way the hand is turned.
pub fn max_reachable_ppi(width: u32, height: u32) -> f32 {
    // Four fingers span 70-90 mm; a frame must hold the wider span along its long side.
    let long = width.max(height) as f32;
    long / (80.0 / 25.4)
}

/// Combines per-fingertip ridge periods (pixels) and finger widths (pixels) into one estimate.
pub fn estimate(
    periods_px: &[f32],
    widths_px: &[f32],
    width: u32,
    height: u32,
    config: &Config,
) -> PpiEstimate {
    let median = |v: &[f32]| -> Option<f32> {
        let mut buf = [0f32; 16];
        let n = v.len().min(16);
        if n == 0 {
            return None;
        }
        buf[..n].copy_from_slice(&v[..n]);
        let s = &mut buf[..n];
        s.sort_by(|a, b| a.total_cmp(b));
        Some(if n % 2 == 1 {
            s[n / 2]
        } else {
            0.5 * (s[n / 2 - 1] + s[n / 2])
        })
    };
    let from_ridges = median(periods_px).map(|p| p * 25.4 / config.ridge.period_mm);
    let from_width = median(widths_px).map(|w| w * 25.4 / config.ridge.finger_width_mm);
    let (ppi, source, uncertainty) = match (from_ridges, from_width) {
        (Some(r), _) => (Some(r), PpiSource::Ridges, 0.06),
        (None, Some(w)) => (Some(w), PpiSource::Width, 0.10),
        _ => (None, PpiSource::None, 0.0),
    };
    let max_reachable_ppi = max_reachable_ppi(width, height);
    PpiEstimate {
        ppi,
        from_ridges,
        from_width,
        source,
        uncertainty,
        max_reachable_ppi,
        camera_limited: max_reachable_ppi < config.ppi.min,
    }
}
