//! Finger geometry from the hand mask: the hand's axis, each finger's tip, width and print area,
//! the finger count, and which hand it is.

use crate::config::{Config, Hand};
use crate::frame::{LowRes, Rect};
use crate::report::FingerName;
use crate::segment::HandMask;

/// One finger, in full-resolution frame coordinates.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Finger {
    /// Fingertip (the far end of the finger along its axis); may lie outside the frame when cut.
    pub tip: [f32; 2],
    /// Unit vector from the finger's base toward its tip.
    pub direction: [f32; 2],
    /// Width across the finger, pixels.
    pub width_px: f32,
    /// Visible length from where it leaves the palm to the tip, pixels.
    pub length_px: f32,
    /// Axis-aligned box around the print area (the pad at the tip), clamped to the frame.
    pub print_box: Rect,
    /// Share of the print area inside the frame, 0-1.
    pub inside_fraction: f32,
    /// Whether the finger counts (enough of its print area is in the frame).
    pub counted: bool,
    /// Which finger it is, when the hand side is known.
    pub name: FingerName,
}

/// Everything the geometry stage found.
#[derive(Clone, Debug, Default)]
pub struct HandGeometry {
    /// Fingers in image order along the hand (counted and not counted).
    pub fingers: Vec<Finger>,
    /// Left, right, or unknown (fewer than three fingers, or no clear profile).
    pub hand: Hand,
    /// Confidence of the hand side, 0-1.
    pub hand_confidence: f32,
    /// Hand rotation, degrees clockwise from fingers-up.
    pub angle_deg: f32,
    /// Whether something hand-like is present at all.
    pub hand_present: bool,
    /// Share of the frame covered by the hand mask.
    pub hand_fraction: f32,
    /// Low-resolution mask (same size as the hand mask): 1 on finger pixels, 0 elsewhere.
    pub finger_mask: Vec<u8>,
}

impl HandGeometry {
    /// Number of counted fingers.
    pub fn count(&self) -> u8 {
        self.fingers
            .iter()
            .filter(|f| f.counted)
            .count()
            .min(u8::MAX as usize) as u8
    }
}

/// Finds fingers; owns its scratch buffers.
#[derive(Debug, Default)]
pub struct FingerFinder {}

impl FingerFinder {
    /// A finder with empty scratch.
    pub fn new() -> Self {
        FingerFinder::default()
    }

    /// Fills `out` from the mask. `frame_size` is the full-resolution width and height.
    pub fn find(
        &mut self,
        mask: &HandMask,
        _low: &LowRes,
        _config: &Config,
        out: &mut HandGeometry,
    ) {
        out.fingers.clear();
        out.hand = Hand::Unknown;
        out.hand_confidence = 0.0;
        out.angle_deg = 0.0;
        let total = (mask.width as usize * mask.height as usize).max(1);
        out.hand_fraction = mask.area as f32 / total as f32;
        out.hand_present = out.hand_fraction > 0.02;
        out.finger_mask.clear();
        out.finger_mask.extend_from_slice(&mask.mask);
    }
}
