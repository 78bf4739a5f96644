//! Following frames over time: steady guidance, hold still, auto-capture of the best frame.
//!
//! A [`Session`] wraps an [`Analyzer`] for one camera stream. Each frame it:
//! 1. analyses the frame into the latest [`Report`];
//! 2. measures how far the hand moved since the previous frame ([`MotionEstimator`], a block
//!    search on the reduced image around the hand) and turns it into millimetres per second with
//!    the estimated ppi, so the `hold_still` threshold is physical;
//! 3. smooths each reason's presence with an exponential average and switches it on and off at
//!    two thresholds (enter above `enter`, leave below `leave`), so a measurement that wavers
//!    around its threshold does not make the message flicker (`too_far` and `too_close` are
//!    present while the smoothed ppi is out of range, since distance changes smoothly while one
//!    frame's estimate may waver);
//! 4. shows the first active reason, but replaces the shown one only after the new one has held
//!    for [`SessionConfig::primary_hold_s`] and [`SessionConfig::primary_hold_frames`] (or, when
//!    the shown one no longer holds at all, after the same hold by whichever reason is first
//!    then, so reasons taking turns cannot leave a stale instruction up);
//! 5. when every check has passed for [`SessionConfig::capture_stable_s`], fires a capture made
//!    of the best frame of that stretch and each fingertip resampled to the target ppi (the
//!    ppi pooled over the stretch's frames). A reason that turns on for less than the primary
//!    hold, and so is never shown, pauses the stretch instead of restarting it.
//!
//! ```
//! use fingerqc::session::{Session, SessionConfig};
//! use fingerqc::{Config, FrameView, ReasonCode};
//! let mut session = Session::new(Config::default(), SessionConfig::default())?;
//! let gray = vec![0u8; 320 * 240];
//! let frame = FrameView::new_gray(&gray, 320, 240, 320)?;
//! let guidance = session.feed(&frame, 0.0)?;
//! assert_eq!(guidance.primary, Some(ReasonCode::NoHand));
//! assert!(!guidance.ready);
//! # Ok::<(), fingerqc::Error>(())
//! ```

use crate::analyzer::Analyzer;
use crate::config::Config;
use crate::distance::{combine_rulers_with_spread, median_in_place};
use crate::error::{Error, Result};
use crate::frame::{FrameView, LowRes, Rect};
use crate::report::{FingerName, FingerReport, Language, PpiSource, ReasonCode, Report, Verdict};
use crate::segment::HandMask;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Number of reason slots the session tracks (one per [`ReasonCode`] value).
const SLOTS: usize = ReasonCode::ALL.len();

/// Shown while every check passes and the capture is counting down.
pub const READY_MESSAGE_EN: &str = "Good. Hold still while the picture is taken.";
/// Arabic of [`READY_MESSAGE_EN`].
pub const READY_MESSAGE_AR: &str = "ممتاز. ثبّت يدك حتى يتم التقاط الصورة.";
/// Shown on the frame a capture fires and while the hand stays ready after it.
pub const CAPTURED_MESSAGE_EN: &str = "Captured. You can lower your hand.";
/// Arabic of [`CAPTURED_MESSAGE_EN`].
pub const CAPTURED_MESSAGE_AR: &str = "تم الالتقاط. يمكنك إنزال يدك.";

/// Enter and leave thresholds on a reason's smoothed presence (0 = never seen, 1 = every frame).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hysteresis {
    /// The reason becomes active when its smoothed presence reaches this. Default: 0.6.
    pub enter: f32,
    /// An active reason turns off when its smoothed presence falls to this. Default: 0.25.
    pub leave: f32,
}

impl Default for Hysteresis {
    fn default() -> Self {
        Hysteresis {
            enter: 0.6,
            leave: 0.25,
        }
    }
}

/// How a [`Session`] smooths guidance and when it captures. Every field has a documented default.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SessionConfig {
    /// Time constant of the exponential average of each reason's presence, seconds: a reason
    /// present on every frame reaches presence 0.6 after about this long. Default: 0.1 s.
    pub smoothing_s: f32,
    /// Enter/leave thresholds for every reason without an override. Default: 0.6 / 0.25.
    pub hysteresis: Hysteresis,
    /// Per-reason overrides of [`SessionConfig::hysteresis`], keyed by snake_case code.
    /// Default: none.
    pub reason_hysteresis: BTreeMap<ReasonCode, Hysteresis>,
    /// A new primary instruction replaces the shown one only after it has been the first active
    /// reason for this long (a shown one that is no longer active at all is replaced after this
    /// long by the first active reason of the moment). Default: 0.2 s.
    pub primary_hold_s: f32,
    /// ... and for at least this many frames (matters at low frame rates). Default: 2.
    pub primary_hold_frames: u32,
    /// Every check must pass for this long before the auto-capture fires. Default: 0.4 s.
    /// A reason active for less than [`SessionConfig::primary_hold_s`] (never shown) pauses
    /// this stretch rather than restarting it.
    pub capture_stable_s: f32,
    /// ... and over at least this many frames. Default: 3.
    pub capture_min_frames: u32,
    /// Whether the session captures by itself. Default: true.
    pub auto_capture: bool,
    /// Hand speed (millimetres per second at the finger, smoothed) above which the session asks
    /// to hold still. A 0.4 mm motion-blur budget over a 1/30 s exposure is 12 mm/s; hand tremor
    /// of a held-up hand stays well below. Default: 12 mm/s.
    pub max_motion_mm_s: f32,
    /// `hold_still` turns off once the smoothed speed falls below this share of
    /// [`SessionConfig::max_motion_mm_s`]. Default: 0.6.
    pub motion_leave_ratio: f32,
    /// Time constant of the exponential average of the hand speed, seconds. Default: 0.1 s.
    pub motion_smoothing_s: f32,
    /// A gap between frames longer than this (or a timestamp going back) restarts the smoothing,
    /// the motion estimate and the capture stretch. Default: 0.5 s.
    pub max_frame_gap_s: f32,
    /// Width of a finger crop as a multiple of the finger's width. Default: 1.2.
    pub crop_width_factor: f32,
    /// Length of a finger crop (from just above the tip toward the palm) as a multiple of the
    /// finger's width: the distal phalanx is about 1.3-1.5 finger widths long. Default: 1.5.
    pub crop_length_factor: f32,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            smoothing_s: 0.1,
            hysteresis: Hysteresis::default(),
            reason_hysteresis: BTreeMap::new(),
            primary_hold_s: 0.2,
            primary_hold_frames: 2,
            capture_stable_s: 0.4,
            capture_min_frames: 3,
            auto_capture: true,
            max_motion_mm_s: 12.0,
            motion_leave_ratio: 0.6,
            motion_smoothing_s: 0.1,
            max_frame_gap_s: 0.5,
            crop_width_factor: 1.2,
            crop_length_factor: 1.5,
        }
    }
}

fn field_in(field: &'static str, v: f32, lo: f32, hi: f32) -> Result<()> {
    if !v.is_finite() || v < lo || v > hi {
        return Err(Error::Config {
            field,
            reason: format!("{v} is not a number in {lo}..={hi}"),
        });
    }
    Ok(())
}

fn check_hysteresis(field: &'static str, h: &Hysteresis) -> Result<()> {
    field_in(field, h.enter, 0.0, 1.0)?;
    field_in(field, h.leave, 0.0, 1.0)?;
    if h.leave >= h.enter {
        return Err(Error::Config {
            field,
            reason: format!("leave {} must be below enter {}", h.leave, h.enter),
        });
    }
    Ok(())
}

impl SessionConfig {
    /// Parses TOML, then validates.
    pub fn from_toml_str(s: &str) -> Result<Self> {
        let c: SessionConfig = toml::from_str(s).map_err(|e| Error::ConfigParse(e.to_string()))?;
        c.validate()?;
        Ok(c)
    }

    /// Parses JSON, then validates.
    pub fn from_json_str(s: &str) -> Result<Self> {
        let c: SessionConfig =
            serde_json::from_str(s).map_err(|e| Error::ConfigParse(e.to_string()))?;
        c.validate()?;
        Ok(c)
    }

    /// Checks every field; the error names the first one out of range.
    pub fn validate(&self) -> Result<()> {
        field_in("session.smoothing_s", self.smoothing_s, 0.0, 10.0)?;
        check_hysteresis("session.hysteresis", &self.hysteresis)?;
        for h in self.reason_hysteresis.values() {
            check_hysteresis("session.reason_hysteresis", h)?;
        }
        field_in("session.primary_hold_s", self.primary_hold_s, 0.0, 10.0)?;
        if self.primary_hold_frames == 0 {
            return Err(Error::Config {
                field: "session.primary_hold_frames",
                reason: "must be at least 1".into(),
            });
        }
        field_in("session.capture_stable_s", self.capture_stable_s, 0.0, 60.0)?;
        if self.capture_min_frames == 0 {
            return Err(Error::Config {
                field: "session.capture_min_frames",
                reason: "must be at least 1".into(),
            });
        }
        field_in(
            "session.max_motion_mm_s",
            self.max_motion_mm_s,
            0.01,
            10_000.0,
        )?;
        field_in(
            "session.motion_leave_ratio",
            self.motion_leave_ratio,
            0.0,
            1.0,
        )?;
        field_in(
            "session.motion_smoothing_s",
            self.motion_smoothing_s,
            0.0,
            10.0,
        )?;
        field_in(
            "session.max_frame_gap_s",
            self.max_frame_gap_s,
            0.001,
            3600.0,
        )?;
        field_in(
            "session.crop_width_factor",
            self.crop_width_factor,
            0.2,
            5.0,
        )?;
        field_in(
            "session.crop_length_factor",
            self.crop_length_factor,
            0.2,
            5.0,
        )?;
        Ok(())
    }

    fn hysteresis_for(&self, code: ReasonCode) -> Hysteresis {
        self.reason_hysteresis
            .get(&code)
            .copied()
            .unwrap_or(self.hysteresis)
    }
}

/// What to tell the user after a frame: the one instruction to show, whether the capture is
/// counting down, and the full report of the frame.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Guidance {
    /// Timestamp of the frame, seconds.
    pub timestamp_s: f64,
    /// The instruction shown: the first active reason, held steady. `None` when every check
    /// passes (show [`Guidance::message`], which then says to hold still for the capture).
    pub primary: Option<ReasonCode>,
    /// Every reason active after smoothing, in priority order (`hold_still` included).
    pub active: Vec<ReasonCode>,
    /// Every check passes after smoothing, the hand is still, and the shown instruction is none.
    pub ready: bool,
    /// Whether the hand moves faster than [`SessionConfig::max_motion_mm_s`] (with hysteresis).
    pub moving: bool,
    /// Smoothed hand speed at the finger, millimetres per second, when it could be measured.
    pub motion_mm_s: Option<f32>,
    /// 1 when the hand is perfectly still, 0 at or above the motion threshold.
    pub steadiness: f32,
    /// Share of the stable stretch done before the auto-capture fires, 0-1.
    pub progress: f32,
    /// True on the frame on which a capture fired; take it with [`Session::take_capture`].
    pub captured: bool,
    /// Whether a capture fired earlier in the current stable stretch.
    pub capture_done: bool,
    /// Smoothed ppi at the fingers (geometric average), for display.
    pub ppi: Option<f32>,
    /// The full analysis of this frame.
    pub report: Report,
}

impl Guidance {
    /// The text to show in `lang`: the primary instruction, or the ready / captured message.
    pub fn message(&self, lang: Language, config: &Config) -> &'static str {
        match (self.primary, lang) {
            (Some(code), _) => code.message(lang, config.expected_hand),
            (None, Language::English) if self.capture_done => CAPTURED_MESSAGE_EN,
            (None, Language::Arabic) if self.capture_done => CAPTURED_MESSAGE_AR,
            (None, Language::English) => READY_MESSAGE_EN,
            (None, Language::Arabic) => READY_MESSAGE_AR,
        }
    }

    /// The stable code of what is shown: the primary reason, or `ready` / `captured`.
    pub fn code_str(&self) -> &'static str {
        match self.primary {
            Some(code) => code.as_str(),
            None if self.capture_done => "captured",
            None => "ready",
        }
    }
}

/// A grayscale image that owns its pixels, rows packed without padding.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LumaImage {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// BT.601 luma, `width * height` bytes.
    pub pixels: Vec<u8>,
}

impl LumaImage {
    /// A copy as an `image::GrayImage` (for saving), or `None` if the sizes disagree.
    pub fn to_gray_image(&self) -> Option<image::GrayImage> {
        image::GrayImage::from_raw(self.width, self.height, self.pixels.clone())
    }
}

/// One fingertip cut out of a captured frame, turned upright and resampled to the target ppi.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FingerCrop {
    /// Which finger.
    pub name: FingerName,
    /// The finger's quality in the captured frame, 0-100.
    pub quality: u8,
    /// Resolution of `image`, pixels per inch: the configured target (`config.ppi.target`) when
    /// the frame's ppi estimate is right; the estimate's uncertainty carries over.
    pub ppi: f32,
    /// The ppi of the captured frame the resampling used: the ridge and width rulers of every
    /// frame of the stable stretch that passed on its own, pooled (see [`Capture`]).
    pub source_ppi: f32,
    /// Frame pixels per crop pixel.
    pub scale: f32,
    /// The finger's direction in the frame (degrees clockwise from up); the crop is rotated by
    /// it so the fingertip points up.
    pub angle_deg: f32,
    /// Centre of the crop in frame pixels.
    pub centre: [f32; 2],
    /// The crop; pixels outside the frame are 255 (white, as a contact print's background).
    pub image: LumaImage,
}

/// An auto-capture: the best frame of a stable stretch and its fingertips at the target ppi.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Capture {
    /// Timestamp of the captured frame, seconds.
    pub timestamp_s: f64,
    /// The captured frame's analysis.
    pub report: Report,
    /// The captured frame's luma (empty when the session was fed reports without frames).
    pub image: LumaImage,
    /// One crop per finger of the report, in the report's order; none when no ppi was estimated
    /// (the scale would be unknown). The scale is the same for every crop: the stretch's frames
    /// show one hand held at one distance, so the median over those frames of the ridge ruler
    /// and of the width ruler, combined by their spreads between people and between those
    /// frames ([`crate::distance::combine_rulers_with_spread`]), stands for the captured frame.
    pub fingers: Vec<FingerCrop>,
}

/// Where a crop is cut relative to the finger, in multiples of the finger's width.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CropSpec {
    /// Crop width over finger width.
    pub width_factor: f32,
    /// Crop length over finger width.
    pub length_factor: f32,
}

/// Longest side of a crop, crop pixels: bounds what a bad estimate can allocate.
const MAX_CROP_SIDE: f32 = 2048.0;

/// Cuts one fingertip out of a `width` x `height` luma frame, upright and resampled from
/// `source_ppi` to `target_ppi`.
///
/// The crop is a rectangle along the finger's axis (`finger.angle_deg`), its top edge a tenth of
/// a finger width above the tip, `spec.width_factor` finger widths wide and `spec.length_factor`
/// long. Each output pixel averages `ceil(scale)`² bilinear taps, so downscaling does not alias
/// the ridges. Returns `None` when the scale or the finger's size is unusable or `luma` is shorter
/// than `width * height`.
pub fn crop_finger(
    luma: &[u8],
    width: u32,
    height: u32,
    finger: &FingerReport,
    source_ppi: f32,
    target_ppi: f32,
    spec: CropSpec,
) -> Option<FingerCrop> {
    let (w, h) = (width as usize, height as usize);
    if w == 0 || h == 0 || luma.len() < w.checked_mul(h)? {
        return None;
    }
    if !(source_ppi.is_finite() && target_ppi.is_finite() && source_ppi > 0.0 && target_ppi > 0.0) {
        return None;
    }
    let scale = source_ppi / target_ppi;
    let bbox = finger.bbox;
    let finger_w = if finger.width_px.is_finite() && finger.width_px > 1.0 {
        finger.width_px
    } else {
        bbox.width.min(bbox.height) as f32
    };
    if finger_w <= 1.0 {
        return None;
    }
    let angle = if finger.angle_deg.is_finite() {
        finger.angle_deg
    } else {
        0.0
    };
    let (sin, cos) = angle.to_radians().sin_cos();
    // Unit vectors in the frame: `dir` from base to tip, `across` to the finger's right.
    let dir = [sin, -cos];
    let across = [cos, sin];
    let crop_w = spec.width_factor * finger_w;
    let crop_l = spec.length_factor * finger_w;
    let tip = if finger.tip[0].is_finite() && finger.tip[1].is_finite() {
        finger.tip
    } else {
        [
            bbox.x as f32 + bbox.width as f32 * 0.5 + dir[0] * crop_l * 0.4,
            bbox.y as f32 + bbox.height as f32 * 0.5 + dir[1] * crop_l * 0.4,
        ]
    };
    let back = crop_l * 0.5 - 0.1 * finger_w;
    let centre = [tip[0] - dir[0] * back, tip[1] - dir[1] * back];
    let out_w = (crop_w / scale).round();
    let out_h = (crop_l / scale).round();
    if !(1.0..=MAX_CROP_SIDE).contains(&out_w) || !(1.0..=MAX_CROP_SIDE).contains(&out_h) {
        return None;
    }
    let (ow, oh) = (out_w as usize, out_h as usize);
    let taps = scale.ceil().clamp(1.0, 4.0) as usize;
    let tap_step = scale / taps as f32;
    let tap0 = -0.5 * scale + 0.5 * tap_step;
    let mut pixels = vec![0u8; ow * oh];
    let sample = |x: f32, y: f32| -> f32 {
        // Bilinear, with pixel centres at integer + 0.5; outside the frame reads white.
        let (fx, fy) = (x - 0.5, y - 0.5);
        let (x0, y0) = (fx.floor(), fy.floor());
        let (ax, ay) = (fx - x0, fy - y0);
        let at = |xi: f32, yi: f32| -> f32 {
            if xi < 0.0 || yi < 0.0 || xi >= w as f32 || yi >= h as f32 {
                255.0
            } else {
                luma.get(yi as usize * w + xi as usize)
                    .copied()
                    .unwrap_or(255) as f32
            }
        };
        let top = at(x0, y0) * (1.0 - ax) + at(x0 + 1.0, y0) * ax;
        let bottom = at(x0, y0 + 1.0) * (1.0 - ax) + at(x0 + 1.0, y0 + 1.0) * ax;
        top * (1.0 - ay) + bottom * ay
    };
    let norm = 1.0 / (taps * taps) as f32;
    for (oy, row) in pixels.chunks_exact_mut(ow).enumerate() {
        // v runs from the tip (top row) toward the base.
        let v = (oy as f32 + 0.5 - out_h * 0.5) * scale;
        for (ox, px) in row.iter_mut().enumerate() {
            let u = (ox as f32 + 0.5 - out_w * 0.5) * scale;
            let mut acc = 0.0;
            for ty in 0..taps {
                let dv = v + tap0 + ty as f32 * tap_step;
                for tx in 0..taps {
                    let du = u + tap0 + tx as f32 * tap_step;
                    let x = centre[0] + du * across[0] - dv * dir[0];
                    let y = centre[1] + du * across[1] - dv * dir[1];
                    acc += sample(x, y);
                }
            }
            *px = (acc * norm).round().clamp(0.0, 255.0) as u8;
        }
    }
    Some(FingerCrop {
        name: finger.name,
        quality: finger.quality,
        ppi: target_ppi,
        source_ppi,
        scale,
        angle_deg: angle,
        centre,
        image: LumaImage {
            width: ow as u32,
            height: oh as u32,
            pixels,
        },
    })
}

/// Largest shift searched at the coarsest pyramid level, in its pixels, per frame.
const SEARCH_RADIUS: i32 = 8;
/// Pyramid levels above the reduced image (each halves it): with the full search at the top,
/// a 1080p frame (reduced by 6) can move up to 8 x 4 x 6 = 192 pixels between frames.
const MAX_LEVELS: usize = 2;
/// Smallest side of the coarsest level.
const MIN_TOP_SIDE: usize = 4 * SEARCH_RADIUS as usize;

/// Frame-to-frame translation of the hand, measured on the analyzer's reduced image.
///
/// Coarse-to-fine block matching on a pyramid (the reduced image, halved up to twice): a full
/// search of ±8 pixels at the top (sum of absolute differences over the hand's box in the
/// previous frame, after removing the change in mean brightness), then at each finer level a
/// walk to the least cost among the ±1 neighbours of twice the coarser shift, and at the finest
/// an equiangular fit through the three costs along each axis for the sub-pixel part. The hand's
/// box includes its outline, which is what moves most visibly at low resolution. Where this
/// whole-box motion leaves pixels unexplained (a hand moving over a still background that the
/// mask took for skin: a wooden floor, a beige wall), a second search over those pixels only
/// finds the hand's own motion, and the larger of the two is the answer. Owns its buffers: no
/// allocation once warm.
#[derive(Debug, Default)]
pub struct MotionEstimator {
    prev: [Vec<u8>; MAX_LEVELS + 1],
    cur: [Vec<u8>; MAX_LEVELS + 1],
    sizes: [(usize, usize); MAX_LEVELS + 1],
    levels: usize,
    dims: (usize, usize, u32),
    prev_box: Option<[usize; 4]>,
    has_prev: bool,
    moving: Vec<u8>,
}

/// Luma difference (top pyramid level) above which a pixel is not explained by the first,
/// whole-box motion and joins the second search.
const RESIDUAL: u8 = 12;
/// Share of the box's top-level pixels that must be unexplained for the second search.
const MIN_MOVING_SHARE: f32 = 0.03;

/// Margin added around the hand's box, low-resolution pixels.
const BOX_MARGIN: usize = 4;

impl MotionEstimator {
    /// An estimator with no previous frame.
    pub fn new() -> Self {
        MotionEstimator::default()
    }

    /// Forgets the previous frame.
    pub fn reset(&mut self) {
        self.has_prev = false;
    }

    /// Takes the current reduced image and hand mask; returns the hand's displacement since the
    /// previous frame in full-resolution pixels `[dx, dy]`, or `None` for the first frame, after a
    /// change of size, or when the images are too small to search.
    pub fn update(&mut self, low: &LowRes, mask: &HandMask) -> Option<[f32; 2]> {
        let (w, h) = (low.width as usize, low.height as usize);
        if w < MIN_TOP_SIDE || h < MIN_TOP_SIDE || low.luma.len() < w * h {
            self.has_prev = false;
            return None;
        }
        // Pyramid: level 0 is the reduced image itself.
        self.cur[0].clear();
        self.cur[0].extend_from_slice(&low.luma[..w * h]);
        self.sizes[0] = (w, h);
        let mut levels = 0;
        while levels < MAX_LEVELS {
            let (lw, lh) = self.sizes[levels];
            if lw / 2 < MIN_TOP_SIDE || lh / 2 < MIN_TOP_SIDE {
                break;
            }
            let (lower, upper) = self.cur.split_at_mut(levels + 1);
            halve(&lower[levels], lw, lh, &mut upper[0]);
            self.sizes[levels + 1] = (lw / 2, lh / 2);
            levels += 1;
        }
        let cur_box = hand_box(mask, w, h);
        let same = self.dims == (w, h, low.factor) && self.levels == levels;
        let result = if self.has_prev && same {
            let b = self.prev_box.unwrap_or([0, 0, w, h]);
            self.two_layer(b, levels)
                .map(|d| [d[0] * low.factor as f32, d[1] * low.factor as f32])
        } else {
            None
        };
        std::mem::swap(&mut self.prev, &mut self.cur);
        self.levels = levels;
        self.prev_box = cur_box;
        self.dims = (w, h, low.factor);
        self.has_prev = true;
        result
    }

    /// The whole box's motion, then the motion of what it leaves unexplained (a hand moving
    /// over a still background that the mask took for skin); the larger of the two.
    fn two_layer(&mut self, b: [usize; 4], levels: usize) -> Option<[f32; 2]> {
        let first = self.search(b, levels, None)?;
        let top = levels;
        let (tw, th) = self.sizes[top];
        let k = (1usize << top) as f32;
        let tb = [
            b[0] >> top,
            b[1] >> top,
            (b[2] >> top).min(tw),
            (b[3] >> top).min(th),
        ];
        let mut moving = std::mem::take(&mut self.moving);
        moving.clear();
        moving.resize(tw * th, 0);
        // Residual of the first motion on the reduced image itself, the current frame sampled
        // bilinearly at the sub-pixel shift (so outlines that moved exactly as measured are not
        // flagged); each flagged pixel counts in its top-level cell.
        let (w0, h0) = self.sizes[0];
        let (p0, c0) = (&self.prev[0], &self.cur[0]);
        let offset = inside(
            b,
            w0,
            h0,
            first[0].round() as i32,
            first[1].round() as i32,
            1,
        )
        .map_or(0, |ib| {
            mean_offset(
                p0,
                c0,
                w0,
                ib,
                first[0].round() as i32,
                first[1].round() as i32,
            )
        }) as f32;
        let sample = |x: f32, y: f32| -> Option<f32> {
            let (x0, y0) = (x.floor(), y.floor());
            if x0 < 0.0 || y0 < 0.0 || x0 + 1.0 >= w0 as f32 || y0 + 1.0 >= h0 as f32 {
                return None;
            }
            let (ax, ay) = (x - x0, y - y0);
            let i = y0 as usize * w0 + x0 as usize;
            let at = |k: usize| c0.get(k).copied().unwrap_or(0) as f32;
            let top_row = at(i) * (1.0 - ax) + at(i + 1) * ax;
            let bottom = at(i + w0) * (1.0 - ax) + at(i + w0 + 1) * ax;
            Some(top_row * (1.0 - ay) + bottom * ay)
        };
        for y in b[1]..b[3].min(h0) {
            let row = (y >> top) * tw;
            for x in b[0]..b[2].min(w0) {
                let Some(c) = sample(x as f32 + first[0], y as f32 + first[1]) else {
                    continue;
                };
                if (p0[y * w0 + x] as f32 + offset - c).abs() > RESIDUAL as f32 {
                    if let Some(m) = moving.get_mut(row + (x >> top)) {
                        *m = m.saturating_add(1);
                    }
                }
            }
        }
        // A top-level cell moves when a quarter of its reduced pixels do.
        let cell = (1usize << top) * (1usize << top);
        let mut count = 0usize;
        for m in moving.iter_mut() {
            *m = (*m as usize * 4 >= cell && *m > 0) as u8;
            count += *m as usize;
        }
        let (prev, cur) = (&self.prev[top], &self.cur[top]);
        let area = (tb[2].saturating_sub(tb[0])) * (tb[3].saturating_sub(tb[1]));
        let second = if count >= 16 && count as f32 >= MIN_MOVING_SHARE * area as f32 {
            self.search(b, levels, Some(&moving))
        } else {
            None
        };
        // The second motion must explain the flagged pixels clearly better than the first.
        let flagged_cost = |d: [f32; 2]| -> Option<u64> {
            let (sx, sy) = ((d[0] / k).round() as i32, (d[1] / k).round() as i32);
            let ib = inside(tb, tw, th, sx, sy, 1)?;
            let weights = Some(Weights {
                mask: &moving,
                width: tw,
                shift: 0,
            });
            let mut least = u64::MAX;
            for j in -1..=1 {
                for i in -1..=1 {
                    least = least.min(sad(prev, cur, tw, ib, sx + i, sy + j, 0, weights));
                }
            }
            Some(least)
        };
        let mag = |d: [f32; 2]| d[0].hypot(d[1]);
        let result = match second {
            Some(d) if mag(d) > mag(first) + 0.5 => match (flagged_cost(first), flagged_cost(d)) {
                (Some(c1), Some(c2)) if 2 * c2 < c1 => d,
                _ => first,
            },
            _ => first,
        };
        self.moving = moving;
        Some(result)
    }

    /// Displacement in level-0 pixels of `cur` relative to `prev` inside box `b` (level 0),
    /// counting only the pixels flagged in `only` (top-level resolution) when given.
    fn search(&self, b: [usize; 4], levels: usize, only: Option<&[u8]>) -> Option<[f32; 2]> {
        let r = SEARCH_RADIUS;
        let top = levels;
        let tw0 = self.sizes[top].0;
        let weights = |l: usize| {
            only.map(|m| Weights {
                mask: m,
                width: tw0,
                shift: top - l,
            })
        };
        let (tw, th) = self.sizes[top];
        let scale_box = |l: usize| {
            [
                b[0] >> l,
                b[1] >> l,
                (b[2] >> l).max((b[0] >> l) + 1),
                (b[3] >> l).max((b[1] >> l) + 1),
            ]
        };
        // Full search at the top level.
        let tb = inside(scale_box(top), tw, th, 0, 0, r)?;
        let (prev, cur) = (&self.prev[top], &self.cur[top]);
        // Brightness is matched only once the shift is roughly known (a mean over an unshifted
        // box would compare different content when the hand moved far).
        let offset = 0;
        let mut best = (u64::MAX, 0i32, 0i32);
        for dy in -r..=r {
            for dx in -r..=r {
                let s = sad(prev, cur, tw, tb, dx, dy, offset, weights(top));
                if s < best.0 {
                    best = (s, dx, dy);
                }
            }
        }
        let (mut cx, mut cy) = (best.1, best.2);
        let mut costs = [[0u64; 3]; 3];
        for l in (0..top).rev() {
            cx *= 2;
            cy *= 2;
            let (lw, lh) = self.sizes[l];
            let (prev, cur) = (&self.prev[l], &self.cur[l]);
            // Walk downhill on the 3x3 cost grid until its centre is the minimum (a few steps).
            for _ in 0..4 {
                let lb = inside(scale_box(l), lw, lh, cx, cy, 1)?;
                let offset = mean_offset(prev, cur, lw, lb, cx, cy);
                for (j, row) in costs.iter_mut().enumerate() {
                    for (i, c) in row.iter_mut().enumerate() {
                        *c = sad(
                            prev,
                            cur,
                            lw,
                            lb,
                            cx + i as i32 - 1,
                            cy + j as i32 - 1,
                            offset,
                            weights(l),
                        );
                    }
                }
                let mut bi = (1usize, 1usize);
                for (j, row) in costs.iter().enumerate() {
                    for (i, &c) in row.iter().enumerate() {
                        if c < costs[bi.1][bi.0] {
                            bi = (i, j);
                        }
                    }
                }
                if bi == (1, 1) {
                    break;
                }
                cx += bi.0 as i32 - 1;
                cy += bi.1 as i32 - 1;
            }
        }
        if top == 0 {
            // No finer level: fit around the top-level minimum.
            let lb = inside(scale_box(0), tw, th, cx, cy, 1)?;
            let (prev, cur) = (&self.prev[0], &self.cur[0]);
            let offset = mean_offset(prev, cur, tw, lb, cx, cy);
            for (j, row) in costs.iter_mut().enumerate() {
                for (i, c) in row.iter_mut().enumerate() {
                    *c = sad(
                        prev,
                        cur,
                        tw,
                        lb,
                        cx + i as i32 - 1,
                        cy + j as i32 - 1,
                        offset,
                        weights(0),
                    );
                }
            }
        }
        // Equiangular (V-shaped) fit: the sum of absolute differences of a smooth image grows
        // linearly, not quadratically, away from the true shift.
        let sub = |a: u64, b: u64, c: u64| -> f32 {
            let (a, b, c) = (a as f32, b as f32, c as f32);
            let den = a.max(c) - b;
            if b <= a && b <= c && den > 0.0 {
                (0.5 * (a - c) / den).clamp(-0.5, 0.5)
            } else {
                0.0
            }
        };
        let dx = cx as f32 + sub(costs[1][0], costs[1][1], costs[1][2]);
        let dy = cy as f32 + sub(costs[0][1], costs[1][1], costs[2][1]);
        Some([dx, dy])
    }
}

/// Box `b` shrunk so that it stays inside a `w` x `h` image when shifted by any `(cx ± r,
/// cy ± r)`; `None` when too little of it is left.
fn inside(b: [usize; 4], w: usize, h: usize, cx: i32, cy: i32, r: i32) -> Option<[usize; 4]> {
    // x + dx must stay in 0..w for every x in x0..x1 and dx in cx - r..=cx + r.
    let span = |b0: usize, b1: usize, n: usize, c: i32| -> (i64, i64) {
        let lo = (b0 as i64).max((r - c) as i64).max(0);
        let hi = (b1 as i64).min(n as i64 - (c + r) as i64).min(n as i64);
        (lo, hi)
    };
    let (x0, x1) = span(b[0], b[2], w, cx);
    let (y0, y1) = span(b[1], b[3], h, cy);
    if x1 <= x0 + 2 || y1 <= y0 + 2 {
        return None;
    }
    Some([x0 as usize, y0 as usize, x1 as usize, y1 as usize])
}

/// Box average by two.
fn halve(src: &[u8], w: usize, h: usize, dst: &mut Vec<u8>) {
    let (hw, hh) = (w / 2, h / 2);
    dst.resize(hw * hh, 0);
    for (y, out) in dst.chunks_exact_mut(hw).enumerate() {
        let r0 = &src[2 * y * w..2 * y * w + w];
        let r1 = &src[(2 * y + 1) * w..(2 * y + 1) * w + w];
        for (x, o) in out.iter_mut().enumerate() {
            let s =
                r0[2 * x] as u32 + r0[2 * x + 1] as u32 + r1[2 * x] as u32 + r1[2 * x + 1] as u32;
            *o = ((s + 2) / 4) as u8;
        }
    }
}

/// The hand mask's bounding box `[x0, y0, x1, y1)` plus a margin, or `None` when the mask is
/// empty or of another size (then the whole image is searched).
fn hand_box(mask: &HandMask, w: usize, h: usize) -> Option<[usize; 4]> {
    if mask.width as usize != w || mask.height as usize != h {
        return None;
    }
    let (x0, y0, x1, y1) = crate::segment::nonzero_bbox(&mask.mask, w, h)?;
    Some([
        x0.saturating_sub(BOX_MARGIN),
        y0.saturating_sub(BOX_MARGIN),
        (x1 + BOX_MARGIN).min(w),
        (y1 + BOX_MARGIN).min(h),
    ])
}

/// Mean of `cur` over box `b` shifted by `(dx, dy)` minus mean of `prev` over `b`, rounded:
/// undoes a change of exposure. The caller keeps the shifted box inside the image.
fn mean_offset(prev: &[u8], cur: &[u8], w: usize, b: [usize; 4], dx: i32, dy: i32) -> i32 {
    let (mut sp, mut sc, mut n) = (0i64, 0i64, 0i64);
    let xs = (b[0] as i64 + dx as i64) as usize;
    let len = b[2] - b[0];
    for y in b[1]..b[3] {
        let ys = (y as i64 + dy as i64) as usize;
        let p = &prev[y * w + b[0]..y * w + b[0] + len];
        let c = &cur[ys * w + xs..ys * w + xs + len];
        sp += p.iter().map(|&v| v as i64).sum::<i64>();
        sc += c.iter().map(|&v| v as i64).sum::<i64>();
        n += len as i64;
    }
    if n == 0 {
        0
    } else {
        ((sc - sp) as f64 / n as f64).round() as i32
    }
}

/// Which pixels count in a matching cost: a 0/1 mask at the top pyramid level, read at a level
/// `shift` levels finer.
#[derive(Clone, Copy)]
struct Weights<'a> {
    mask: &'a [u8],
    width: usize,
    shift: usize,
}

/// Sum over box `b` of |prev(x, y) + offset - cur(x + dx, y + dy)| (over the pixels `weights`
/// flags, when given); the caller keeps the shifted box inside the image.
#[allow(clippy::too_many_arguments)]
fn sad(
    prev: &[u8],
    cur: &[u8],
    w: usize,
    b: [usize; 4],
    dx: i32,
    dy: i32,
    offset: i32,
    weights: Option<Weights>,
) -> u64 {
    let mut total = 0u64;
    let xs = (b[0] as i64 + dx as i64) as usize;
    let len = b[2] - b[0];
    for y in b[1]..b[3] {
        let ys = (y as i64 + dy as i64) as usize;
        let p = &prev[y * w + b[0]..y * w + b[0] + len];
        let c = &cur[ys * w + xs..ys * w + xs + len];
        let mut s = 0u32;
        match weights {
            None => {
                for (&a, &bb) in p.iter().zip(c) {
                    s += (a as i32 + offset - bb as i32).unsigned_abs();
                }
            }
            Some(m) => {
                let mrow = (y >> m.shift) * m.width;
                for (i, (&a, &bb)) in p.iter().zip(c).enumerate() {
                    let flag = m
                        .mask
                        .get(mrow + ((b[0] + i) >> m.shift))
                        .copied()
                        .unwrap_or(0);
                    if flag != 0 {
                        s += (a as i32 + offset - bb as i32).unsigned_abs();
                    }
                }
            }
        }
        total += s as u64;
    }
    total
}

#[derive(Clone, Copy, Debug, Default)]
struct ReasonState {
    level: f32,
    active: bool,
}

/// The best frame of the current stable stretch.
#[derive(Debug, Default)]
struct Best {
    score: f32,
    timestamp_s: f64,
    report: Report,
    luma: Vec<u8>,
    width: u32,
    height: u32,
    valid: bool,
}

/// Frames of a stable stretch whose rulers are pooled for the capture's scale (the most recent
/// ones when a stretch is longer: 64 frames are 2 s at 30 fps).
const POOL: usize = 64;

/// The per-frame ppi rulers of the frames a stretch could keep, in fixed arrays (no allocation).
#[derive(Debug)]
struct PpiPool {
    ridge: [f32; POOL],
    width: [f32; POOL],
    nr: usize,
    nw: usize,
}

impl Default for PpiPool {
    fn default() -> Self {
        PpiPool {
            ridge: [0.0; POOL],
            width: [0.0; POOL],
            nr: 0,
            nw: 0,
        }
    }
}

impl PpiPool {
    fn clear(&mut self) {
        self.nr = 0;
        self.nw = 0;
    }

    /// Adds a frame's rulers: the ridge estimate when it is the one the frame used (not
    /// overruled as a harmonic), the width estimate when two or more fingers gave it and the
    /// frame did not withdraw it (a frame left without a resolution read its widths off
    /// fragments, or off a mask the hand's area or the fingertips' spacing contradicts).
    fn push(&mut self, report: &Report) {
        let p = &report.ppi;
        if p.source == PpiSource::None {
            return;
        }
        if let Some(r) = p.from_ridges.filter(|v| v.is_finite() && *v > 0.0) {
            if p.source == PpiSource::Ridges {
                if let Some(slot) = self.ridge.get_mut(self.nr % POOL) {
                    *slot = r;
                }
                self.nr += 1;
            }
        }
        if let Some(w) = p.from_width.filter(|v| v.is_finite() && *v > 0.0) {
            if report.fingers.len() >= 2 {
                if let Some(slot) = self.width.get_mut(self.nw % POOL) {
                    *slot = w;
                }
                self.nw += 1;
            }
        }
    }

    /// The pooled resolution: per ruler the median over the frames, then the two combined.
    fn estimate(&self) -> Option<f32> {
        let median = |v: &[f32; POOL], n: usize| -> Option<f32> {
            let mut buf = *v;
            median_in_place(buf.get_mut(..n.min(POOL))?)
        };
        let (r, w) = (median(&self.ridge, self.nr), median(&self.width, self.nw));
        let spread = |v: &[f32; POOL], n: usize, centre: Option<f32>| -> f32 {
            let (Some(c), Some(vals)) = (centre, v.get(..n.min(POOL))) else {
                return 0.0;
            };
            let mut dev = [0f32; POOL];
            for (d, &x) in dev.iter_mut().zip(vals) {
                *d = ((x - c) / c.max(1e-3)).abs();
            }
            // The median absolute deviation, as a standard deviation.
            median_in_place(&mut dev[..vals.len()]).map_or(0.0, |m| 1.4826 * m)
        };
        combine_rulers_with_spread(
            r,
            spread(&self.ridge, self.nr, r),
            w,
            spread(&self.width, self.nw, w),
        )
    }
}

/// Follows one camera stream: steady guidance, `hold_still`, and auto-capture of the best frame.
#[derive(Debug)]
pub struct Session {
    analyzer: Analyzer,
    config: SessionConfig,
    motion: MotionEstimator,
    guidance: Guidance,
    reasons: [ReasonState; SLOTS],
    last_t: Option<f64>,
    speed: Option<f32>,
    log_ppi: Option<f32>,
    shown_init: bool,
    pending: Option<Option<ReasonCode>>,
    pending_since: f64,
    pending_frames: u32,
    /// Since when (and over how many frames) the shown instruction has been stale: a reason no
    /// longer active, or none while one is.
    stale_since: Option<f64>,
    stale_frames: u32,
    stretch_start: Option<f64>,
    stretch_frames: u32,
    /// First frame of the current run of frames that are not ready within a stretch.
    pause_since: Option<f64>,
    best: Best,
    pool: PpiPool,
    capture: Option<Capture>,
}

impl Session {
    /// A session over a new analyzer; both configs are validated.
    pub fn new(config: Config, session_config: SessionConfig) -> Result<Self> {
        session_config.validate()?;
        let analyzer = Analyzer::new(config)?;
        Ok(Session {
            analyzer,
            config: session_config,
            motion: MotionEstimator::new(),
            guidance: Guidance {
                active: Vec::with_capacity(SLOTS),
                ..Guidance::default()
            },
            reasons: [ReasonState::default(); SLOTS],
            last_t: None,
            speed: None,
            log_ppi: None,
            shown_init: false,
            pending: None,
            pending_since: 0.0,
            pending_frames: 0,
            stale_since: None,
            stale_frames: 0,
            stretch_start: None,
            stretch_frames: 0,
            pause_since: None,
            best: Best::default(),
            pool: PpiPool::default(),
            capture: None,
        })
    }

    /// The analyzer's configuration.
    pub fn config(&self) -> &Config {
        self.analyzer.config()
    }

    /// The session's configuration.
    pub fn session_config(&self) -> &SessionConfig {
        &self.config
    }

    /// The analyzer (for its [`Analyzer::internals`] after a frame, e.g. to draw overlays).
    pub fn analyzer(&self) -> &Analyzer {
        &self.analyzer
    }

    /// The guidance after the last frame.
    pub fn guidance(&self) -> &Guidance {
        &self.guidance
    }

    /// Forgets everything about earlier frames (the next frame starts a new stream).
    pub fn reset(&mut self) {
        self.motion.reset();
        self.reasons = [ReasonState::default(); SLOTS];
        self.last_t = None;
        self.speed = None;
        self.log_ppi = None;
        self.shown_init = false;
        self.pending = None;
        self.pending_frames = 0;
        self.stale_since = None;
        self.stale_frames = 0;
        self.stretch_start = None;
        self.stretch_frames = 0;
        self.pause_since = None;
        self.best.valid = false;
        self.pool.clear();
        self.guidance.primary = None;
        self.guidance.active.clear();
        self.guidance.capture_done = false;
    }

    /// Analyses `frame`, taken at `timestamp_s` seconds (any origin, increasing), and updates
    /// the guidance. Allocates nothing once warm, except when a frame becomes the best of a
    /// stable stretch (its pixels are copied) and when a capture fires.
    pub fn feed(&mut self, frame: &FrameView, timestamp_s: f64) -> Result<&Guidance> {
        check_time(timestamp_s)?;
        self.analyzer
            .analyze_into(frame, &mut self.guidance.report)?;
        let internals = self.analyzer.internals();
        // Motion is the session's own measurement: it needs a hand-like region, not a finger
        // count the geometry may miss on a blurred, moving frame.
        let hand = self.guidance.report.finger_count > 0 || internals.geometry.hand_present;
        let shift = if hand {
            self.motion.update(internals.low, internals.mask)
        } else {
            self.motion.reset();
            None
        };
        let speed = shift.and_then(|d| self.speed_mm_s(d, timestamp_s));
        self.step(Some(frame), speed, hand, timestamp_s);
        Ok(&self.guidance)
    }

    /// Updates the guidance from a report made elsewhere (for callers that run the analyzer
    /// themselves, and for tests of the session's logic): `motion_mm_s` is the hand speed at the
    /// finger if known (used while the report counts fingers), and `frame` the pixels the report
    /// describes (needed for a capture's image and crops).
    pub fn feed_report(
        &mut self,
        report: &Report,
        frame: Option<&FrameView>,
        motion_mm_s: Option<f32>,
        timestamp_s: f64,
    ) -> Result<&Guidance> {
        check_time(timestamp_s)?;
        self.guidance.report.clone_from(report);
        let speed = motion_mm_s.filter(|v| v.is_finite() && *v >= 0.0);
        let hand = self.guidance.report.finger_count > 0;
        self.step(frame, speed, hand, timestamp_s);
        Ok(&self.guidance)
    }

    /// The capture that fired most recently, if not taken yet.
    pub fn capture(&self) -> Option<&Capture> {
        self.capture.as_ref()
    }

    /// Takes the capture that fired most recently.
    pub fn take_capture(&mut self) -> Option<Capture> {
        self.capture.take()
    }

    /// Converts a displacement in frame pixels since the last frame into mm/s at the finger.
    fn speed_mm_s(&self, d: [f32; 2], t: f64) -> Option<f32> {
        let dt = (t - self.last_t?) as f32;
        if dt.is_nan() || dt <= 0.0 || dt > self.config.max_frame_gap_s {
            return None;
        }
        // The ppi of this frame if measured, else the running one, else the minimum ppi (which
        // overstates millimetres and so errs on the side of asking to hold still).
        let ppi = self
            .guidance
            .report
            .estimated_ppi
            .or(self.log_ppi.map(f32::exp))
            .unwrap_or(self.analyzer.config().ppi.min);
        let px = (d[0] * d[0] + d[1] * d[1]).sqrt();
        Some(px * 25.4 / ppi / dt)
    }

    /// The session logic for one frame whose report is in `self.guidance.report`.
    fn step(&mut self, frame: Option<&FrameView>, raw_speed: Option<f32>, hand: bool, t: f64) {
        let cfg = &self.config;
        let continuous = self
            .last_t
            .is_some_and(|last| t > last && t - last <= cfg.max_frame_gap_s as f64);
        if !continuous {
            // First frame, a gap, or time going back: start over, keeping nothing smoothed.
            self.reasons = [ReasonState::default(); SLOTS];
            self.speed = None;
            self.log_ppi = None;
            self.shown_init = false;
            self.pending = None;
            self.stale_since = None;
            self.stale_frames = 0;
            self.stretch_start = None;
            self.pause_since = None;
            self.best.valid = false;
            self.pool.clear();
            self.guidance.capture_done = false;
        }
        let dt = self.last_t.map_or(0.0, |last| (t - last) as f32);
        self.last_t = Some(t);
        let alpha = |tau: f32| -> f32 {
            if !continuous || tau <= 0.0 {
                1.0
            } else {
                1.0 - (-dt / tau).exp()
            }
        };
        let a_reason = alpha(cfg.smoothing_s);
        let a_motion = alpha(cfg.motion_smoothing_s);

        let g = &mut self.guidance;
        g.timestamp_s = t;
        g.captured = false;

        // Distance, smoothed geometrically for display.
        if let Some(p) = g.report.estimated_ppi.filter(|p| p.is_finite() && *p > 0.0) {
            let lp = p.ln();
            self.log_ppi = Some(match self.log_ppi {
                Some(prev) => prev + a_reason * (lp - prev),
                None => lp,
            });
        }
        g.ppi = self.log_ppi.map(f32::exp);

        // Motion, smoothed, with hysteresis on the speed itself.
        self.speed = match (raw_speed, hand) {
            (Some(v), true) => Some(match self.speed {
                Some(prev) => prev + a_motion * (v - prev),
                None => v,
            }),
            (None, true) => self.speed,
            (_, false) => None,
        };
        let max_speed = cfg.max_motion_mm_s;
        g.motion_mm_s = self.speed;
        let was_moving = g.moving;
        g.moving = match self.speed {
            Some(v) if was_moving && continuous => v > max_speed * cfg.motion_leave_ratio,
            Some(v) => v > max_speed,
            None => false,
        };
        g.steadiness = self
            .speed
            .map_or(0.0, |v| (1.0 - v / max_speed).clamp(0.0, 1.0));

        // Each reason's presence, smoothed, with enter/leave thresholds.
        g.active.clear();
        for (slot, code) in self.reasons.iter_mut().zip(ReasonCode::ALL) {
            let present = match code {
                ReasonCode::HoldStill => g.moving,
                // Distance changes smoothly while one frame's estimate wavers (a frame whose
                // ridges were not read, a fragment taken for a finger): judged on the smoothed
                // ppi while a hand is in view.
                ReasonCode::TooFar | ReasonCode::TooClose if g.report.finger_count > 0 => {
                    let range = &self.analyzer.config().ppi;
                    match g.ppi {
                        Some(p) if code == ReasonCode::TooFar => p < range.min,
                        Some(p) => p > range.max,
                        None => g.report.has(code),
                    }
                }
                _ => g.report.has(code),
            };
            let x = if present { 1.0 } else { 0.0 };
            slot.level += a_reason * (x - slot.level);
            if code == ReasonCode::HoldStill {
                // The speed already has its own smoothing and hysteresis.
                slot.active = present;
            } else {
                let hy = cfg.hysteresis_for(code);
                slot.active = if slot.active {
                    slot.level > hy.leave
                } else {
                    slot.level >= hy.enter
                };
            }
            if slot.active {
                g.active.push(code);
            }
        }

        // The shown instruction changes only after the new one has held.
        let candidate = g.active.first().copied();
        if !self.shown_init {
            g.primary = candidate;
            self.shown_init = true;
            self.pending = None;
        } else if candidate == g.primary {
            self.pending = None;
        } else if self.pending == Some(candidate) {
            self.pending_frames += 1;
            if self.pending_frames >= cfg.primary_hold_frames
                && t - self.pending_since >= cfg.primary_hold_s as f64 - 1e-9
            {
                g.primary = candidate;
                self.pending = None;
            }
        } else {
            self.pending = Some(candidate);
            self.pending_since = t;
            self.pending_frames = 1;
            if cfg.primary_hold_frames <= 1 && cfg.primary_hold_s <= 0.0 {
                g.primary = candidate;
                self.pending = None;
            }
        }
        // A shown instruction that no longer holds at all (a reason no longer active, or none
        // while one is) is replaced after the same hold even when the first active reason keeps
        // changing (a miscounting analyzer alternating too_few and too_many would otherwise
        // leave `hold_still` shown to a hand that has long been still): by the first active
        // reason at that frame.
        let stale = match g.primary {
            Some(code) => !g.active.contains(&code),
            None => candidate.is_some(),
        };
        if stale && self.shown_init {
            let since = *self.stale_since.get_or_insert(t);
            self.stale_frames += 1;
            if self.stale_frames >= cfg.primary_hold_frames
                && t - since >= cfg.primary_hold_s as f64 - 1e-9
            {
                g.primary = candidate;
                self.pending = None;
                self.stale_since = None;
                self.stale_frames = 0;
            }
        } else {
            self.stale_since = None;
            self.stale_frames = 0;
        }
        g.ready = candidate.is_none() && g.primary.is_none();

        // Auto-capture over the stable stretch.
        if !g.ready {
            // A reason that has not held long enough to be shown (the hold that keeps the
            // instruction steady) pauses the stretch instead of restarting it: the user was not
            // told anything, and one frame's miscount or misread would otherwise restart the
            // countdown over and over. Paused frames are neither kept nor counted, and no
            // capture fires on them; a reason that is shown, or a pause as long as the hold
            // (reasons taking turns never get shown), ends the stretch.
            let since = *self.pause_since.get_or_insert(t);
            let paused = self.stretch_start.is_some()
                && g.primary.is_none()
                && t - since < cfg.primary_hold_s as f64 - 1e-9;
            if !paused {
                self.stretch_start = None;
                self.stretch_frames = 0;
                self.pause_since = None;
                self.best.valid = false;
                self.pool.clear();
                g.progress = 0.0;
                g.capture_done = false;
            }
            return;
        }
        self.pause_since = None;
        let start = *self.stretch_start.get_or_insert(t);
        self.stretch_frames += 1;
        g.progress = if cfg.capture_stable_s > 0.0 {
            ((t - start) as f32 / cfg.capture_stable_s).clamp(0.0, 1.0)
        } else {
            1.0
        };
        if g.capture_done || !cfg.auto_capture {
            return;
        }
        // A frame may be kept only if it passes on its own and was not caught moving.
        let still = raw_speed.is_none_or(|v| v <= max_speed);
        if g.report.verdict == Verdict::Accept && still {
            self.pool.push(&g.report);
            let score = frame_score(&g.report);
            if !self.best.valid || score > self.best.score {
                let best = &mut self.best;
                best.valid = true;
                best.score = score;
                best.timestamp_s = t;
                best.report.clone_from(&g.report);
                match frame {
                    Some(f) => {
                        let full = Rect {
                            x: 0,
                            y: 0,
                            width: f.width(),
                            height: f.height(),
                        };
                        f.copy_luma(full, &mut best.luma);
                        best.width = f.width();
                        best.height = f.height();
                    }
                    None => {
                        best.luma.clear();
                        best.width = 0;
                        best.height = 0;
                    }
                }
            }
        }
        if self.best.valid
            && (t - start) as f32 >= cfg.capture_stable_s - 1e-6
            && self.stretch_frames >= cfg.capture_min_frames
        {
            let target = self.analyzer.config().ppi.target;
            let ppi = self.pool.estimate().or(self.best.report.estimated_ppi);
            self.capture = Some(build_capture(&self.best, ppi, cfg, target));
            g.captured = true;
            g.capture_done = true;
        }
    }
}

fn check_time(t: f64) -> Result<()> {
    if t.is_finite() {
        Ok(())
    } else {
        Err(Error::InvalidTimestamp(t))
    }
}

/// How good a frame is for keeping: mean finger quality, ties broken by the focus score.
fn frame_score(report: &Report) -> f32 {
    if report.fingers.is_empty() {
        return 0.0;
    }
    let q: f32 =
        report.fingers.iter().map(|f| f.quality as f32).sum::<f32>() / report.fingers.len() as f32;
    q + 1e-3 * report.focus.score
}

fn build_capture(best: &Best, ppi: Option<f32>, cfg: &SessionConfig, target_ppi: f32) -> Capture {
    let spec = CropSpec {
        width_factor: cfg.crop_width_factor,
        length_factor: cfg.crop_length_factor,
    };
    let fingers = match ppi {
        Some(ppi) if best.width > 0 => best
            .report
            .fingers
            .iter()
            .filter_map(|f| {
                crop_finger(
                    &best.luma,
                    best.width,
                    best.height,
                    f,
                    ppi,
                    target_ppi,
                    spec,
                )
            })
            .collect(),
        _ => Vec::new(),
    };
    Capture {
        timestamp_s: best.timestamp_s,
        report: best.report.clone(),
        image: LumaImage {
            width: best.width,
            height: best.height,
            pixels: best.luma.clone(),
        },
        fingers,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_round_trips_and_rejects_bad_values() {
        let c = SessionConfig::default();
        c.validate().unwrap();
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(SessionConfig::from_json_str(&json).unwrap(), c);
        let toml = "[reason_hysteresis.too_far]\nenter = 0.7\nleave = 0.2\n";
        let parsed = SessionConfig::from_toml_str(toml).unwrap();
        assert_eq!(
            parsed.hysteresis_for(ReasonCode::TooFar),
            Hysteresis {
                enter: 0.7,
                leave: 0.2
            }
        );
        assert_eq!(
            parsed.hysteresis_for(ReasonCode::TooClose),
            Hysteresis::default()
        );
        let bad = SessionConfig {
            hysteresis: Hysteresis {
                enter: 0.3,
                leave: 0.5,
            },
            ..SessionConfig::default()
        };
        assert!(matches!(
            bad.validate(),
            Err(Error::Config {
                field: "session.hysteresis",
                ..
            })
        ));
        assert!(SessionConfig::from_json_str("{\"max_motion_mm_s\": -1}").is_err());
        assert!(SessionConfig::from_json_str("{\"bogus\": 1}").is_err());
    }

    #[test]
    fn non_finite_timestamp_is_an_error() {
        let mut s = Session::new(Config::default(), SessionConfig::default()).unwrap();
        let r = Report::default();
        assert!(matches!(
            s.feed_report(&r, None, None, f64::NAN),
            Err(Error::InvalidTimestamp(_))
        ));
    }
}
