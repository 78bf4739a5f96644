//! Ridges inside a fingertip at full resolution: orientation, coherence, period and clarity.

/// What the ridge stage measured in one fingertip.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RidgeMeasure {
    /// Ridge period in pixels (coherence-weighted median over blocks), when resolved.
    pub period_px: Option<f32>,
    /// Orientation coherence, 0-1 (1 = perfectly line-like).
    pub coherence: f32,
    /// Ridge/valley separation, 0-1.
    pub clarity: f32,
    /// Ridge amplitude at the period over local mean brightness.
    pub modulation: f32,
    /// Blocks that contributed.
    pub blocks: u32,
}

/// Measures ridges; owns its scratch buffers.
#[derive(Debug, Default)]
pub struct RidgeAnalyzer {}

impl RidgeAnalyzer {
    /// An analyzer with empty scratch.
    pub fn new() -> Self {
        RidgeAnalyzer::default()
    }

    /// Measures the ridges of a `width` x `height` luma region; `mask` (same size, 1 = finger)
    /// says which pixels belong to the finger.
    pub fn measure(
        &mut self,
        _luma: &[u8],
        _mask: &[u8],
        _width: usize,
        _height: usize,
        out: &mut RidgeMeasure,
    ) {
        *out = RidgeMeasure::default();
    }
}
