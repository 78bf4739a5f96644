//! What the analyzer says about a frame: a verdict, the reasons in the order the user should fix
//! them (each with its measured value and threshold, in English and Arabic), and every measurement.

use crate::config::Hand;
use crate::frame::Rect;
use serde::{Deserialize, Serialize};

/// Accept the frame for matching, or reject it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
#[repr(u32)]
pub enum Verdict {
    /// Every check passed.
    Accept = 0,
    /// At least one reason holds.
    #[default]
    Reject = 1,
}

/// Language of a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
#[repr(u32)]
pub enum Language {
    /// English.
    #[default]
    English = 0,
    /// Arabic.
    Arabic = 1,
}

/// Why a frame is rejected: a stable public vocabulary. Codes are added, never renamed.
///
/// The declaration order is the order in which the user should fix things: the first reason
/// of a report is the one to show.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[repr(u32)]
#[non_exhaustive]
pub enum ReasonCode {
    /// Nothing hand-like in the frame.
    NoHand = 0,
    /// A right hand where the left is expected (or the reverse); judged only when the expected
    /// number of fingers (at least three) is counted.
    WrongHand = 1,
    /// More fingers than expected (usually the thumb).
    TooManyFingers = 2,
    /// Fewer fingers than expected.
    TooFewFingers = 3,
    /// A counted finger has more of its print area outside the frame than allowed.
    PartiallyOutOfFrame = 4,
    /// The estimated resolution at the fingers is below the minimum.
    TooFar = 5,
    /// The estimated resolution at the fingers is above the maximum.
    TooClose = 6,
    /// Mean finger luma too low.
    TooDark = 7,
    /// Mean finger luma too high, or too many clipped finger pixels.
    TooBright = 8,
    /// The hand moves between frames (from a [`crate::Session`] only).
    HoldStill = 9,
    /// Optical or motion blur at the fingers above the limit, in millimetres.
    TooBlurry = 10,
    /// Specular highlights on the fingers (wet or oily skin, direct light).
    Glare = 11,
    /// Sharp but faint or broken ridges (dirty, dry or worn fingers).
    LowRidgeContrast = 12,
    /// The camera cannot hold four fingers at the minimum resolution at all: not the user's fault.
    CameraLimit = 13,
}

impl ReasonCode {
    /// Every code, in priority order.
    pub const ALL: [ReasonCode; 14] = [
        ReasonCode::NoHand,
        ReasonCode::WrongHand,
        ReasonCode::TooManyFingers,
        ReasonCode::TooFewFingers,
        ReasonCode::PartiallyOutOfFrame,
        ReasonCode::TooFar,
        ReasonCode::TooClose,
        ReasonCode::TooDark,
        ReasonCode::TooBright,
        ReasonCode::HoldStill,
        ReasonCode::TooBlurry,
        ReasonCode::Glare,
        ReasonCode::LowRidgeContrast,
        ReasonCode::CameraLimit,
    ];

    /// The stable snake_case code, as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            ReasonCode::NoHand => "no_hand",
            ReasonCode::WrongHand => "wrong_hand",
            ReasonCode::TooManyFingers => "too_many_fingers",
            ReasonCode::TooFewFingers => "too_few_fingers",
            ReasonCode::PartiallyOutOfFrame => "partially_out_of_frame",
            ReasonCode::TooFar => "too_far",
            ReasonCode::TooClose => "too_close",
            ReasonCode::TooDark => "too_dark",
            ReasonCode::TooBright => "too_bright",
            ReasonCode::HoldStill => "hold_still",
            ReasonCode::TooBlurry => "too_blurry",
            ReasonCode::Glare => "glare",
            ReasonCode::LowRidgeContrast => "low_ridge_contrast",
            ReasonCode::CameraLimit => "camera_limit",
        }
    }

    /// Parses a snake_case code.
    pub fn from_code(s: &str) -> Option<ReasonCode> {
        ReasonCode::ALL.iter().copied().find(|c| c.as_str() == s)
    }

    /// The instruction to show, for a capture that expects `expected` hand.
    pub fn message(self, lang: Language, expected: Hand) -> &'static str {
        let right = expected == Hand::Right;
        match (self, lang) {
            (ReasonCode::NoHand, Language::English) if right => {
                "No hand found. Hold the four fingers of your right hand in front of the camera."
            }
            (ReasonCode::NoHand, Language::English) => {
                "No hand found. Hold the four fingers of your left hand in front of the camera."
            }
            (ReasonCode::NoHand, Language::Arabic) if right => {
                "لم يتم العثور على اليد. ضع أصابع يدك اليمنى الأربعة أمام الكاميرا."
            }
            (ReasonCode::NoHand, Language::Arabic) => {
                "لم يتم العثور على اليد. ضع أصابع يدك اليسرى الأربعة أمام الكاميرا."
            }
            (ReasonCode::WrongHand, Language::English) if right => {
                "This looks like your left hand. Please use your right hand."
            }
            (ReasonCode::WrongHand, Language::English) => {
                "This looks like your right hand. Please use your left hand."
            }
            (ReasonCode::WrongHand, Language::Arabic) if right => {
                "يبدو أنها يدك اليسرى. يرجى استخدام يدك اليمنى."
            }
            (ReasonCode::WrongHand, Language::Arabic) => {
                "يبدو أنها يدك اليمنى. يرجى استخدام يدك اليسرى."
            }
            (ReasonCode::TooManyFingers, Language::English) => {
                "Fold your thumb away: only the four fingers should show."
            }
            (ReasonCode::TooManyFingers, Language::Arabic) => {
                "اثنِ إبهامك بعيداً: يجب أن تظهر الأصابع الأربعة فقط."
            }
            (ReasonCode::TooFewFingers, Language::English) => {
                "Show all four fingers, held straight up and slightly apart."
            }
            (ReasonCode::TooFewFingers, Language::Arabic) => {
                "أظهر الأصابع الأربعة كلها، مستقيمة ومتباعدة قليلاً."
            }
            (ReasonCode::PartiallyOutOfFrame, Language::English) => {
                "Move your hand to the centre: a fingertip is outside the picture."
            }
            (ReasonCode::PartiallyOutOfFrame, Language::Arabic) => {
                "حرّك يدك إلى وسط الصورة: أحد أطراف الأصابع خارجها."
            }
            (ReasonCode::TooFar, Language::English) => "Move your hand closer to the camera.",
            (ReasonCode::TooFar, Language::Arabic) => "قرّب يدك من الكاميرا.",
            (ReasonCode::TooClose, Language::English) => {
                "Move your hand a little farther from the camera."
            }
            (ReasonCode::TooClose, Language::Arabic) => "أبعد يدك قليلاً عن الكاميرا.",
            (ReasonCode::TooDark, Language::English) => {
                "Too dark. Move to a brighter place or turn on a light."
            }
            (ReasonCode::TooDark, Language::Arabic) => {
                "المكان مظلم. انتقل إلى مكان أكثر إضاءة أو شغّل الضوء."
            }
            (ReasonCode::TooBright, Language::English) => "Too bright. Move out of direct light.",
            (ReasonCode::TooBright, Language::Arabic) => "الإضاءة قوية جداً. ابتعد عن الضوء المباشر.",
            (ReasonCode::HoldStill, Language::English) => "Hold your hand still.",
            (ReasonCode::HoldStill, Language::Arabic) => "ثبّت يدك ولا تحرّكها.",
            (ReasonCode::TooBlurry, Language::English) => {
                "The picture is blurry. Hold still and let the camera focus."
            }
            (ReasonCode::TooBlurry, Language::Arabic) => {
                "الصورة غير واضحة. ثبّت يدك وانتظر حتى تركّز الكاميرا."
            }
            (ReasonCode::Glare, Language::English) => {
                "Shiny spots on your fingers. Dry your fingers and avoid direct light."
            }
            (ReasonCode::Glare, Language::Arabic) => {
                "توجد لمعة على أصابعك. جفّف أصابعك وتجنّب الضوء المباشر."
            }
            (ReasonCode::LowRidgeContrast, Language::English) => {
                "Your fingerprint lines are faint. Clean your fingers, or moisten them if they are dry."
            }
            (ReasonCode::LowRidgeContrast, Language::Arabic) => {
                "خطوط البصمة باهتة. نظّف أصابعك، أو رطّبها إن كانت جافة."
            }
            (ReasonCode::CameraLimit, Language::English) => {
                "This camera's resolution is too low to capture four fingers; use a higher camera resolution or another device."
            }
            (ReasonCode::CameraLimit, Language::Arabic) => {
                "دقة هذه الكاميرا لا تكفي لالتقاط الأصابع الأربعة؛ استخدم دقة أعلى للكاميرا أو جهازاً آخر."
            }
        }
    }
}

impl std::fmt::Display for ReasonCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One reason a frame is rejected, with the number behind it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Reason {
    /// The stable code.
    pub code: ReasonCode,
    /// The instruction in English.
    pub message: &'static str,
    /// The instruction in Arabic.
    pub message_ar: &'static str,
    /// The measured value (unit depends on the code; see the README's table).
    pub value: f32,
    /// The threshold it was held against.
    pub threshold: f32,
}

impl Reason {
    /// A reason with both messages filled for a capture expecting `expected`.
    pub fn new(code: ReasonCode, value: f32, threshold: f32, expected: Hand) -> Self {
        Reason {
            code,
            message: code.message(Language::English, expected),
            message_ar: code.message(Language::Arabic, expected),
            value,
            threshold,
        }
    }

    /// The message in `lang`.
    pub fn message_in(&self, lang: Language) -> &'static str {
        match lang {
            Language::English => self.message,
            Language::Arabic => self.message_ar,
        }
    }
}

/// Which finger an entry is, as far as the geometry tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
#[repr(u32)]
pub enum FingerName {
    /// Index finger.
    Index = 0,
    /// Middle finger.
    Middle = 1,
    /// Ring finger.
    Ring = 2,
    /// Little finger.
    Little = 3,
    /// Thumb.
    Thumb = 4,
    /// Not identified (hand side unknown or count unusual).
    #[default]
    Unknown = 5,
}

/// Where the distance estimate came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum PpiSource {
    /// Ridge period inside the fingertips (most direct).
    Ridges,
    /// Finger width (ridges not resolved).
    Width,
    /// No estimate.
    #[default]
    None,
}

/// The resolution at the fingers, i.e. the distance, estimated twice and cross-checked.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct PpiEstimate {
    /// The estimate used for the checks.
    pub ppi: Option<f32>,
    /// From the ridge period (median over fingertips).
    pub from_ridges: Option<f32>,
    /// From finger width.
    pub from_width: Option<f32>,
    /// Which estimate `ppi` is.
    pub source: PpiSource,
    /// Relative uncertainty (one standard deviation) of `ppi`, from the spread of adult ridge
    /// periods or finger widths and the agreement between fingers.
    pub uncertainty: f32,
    /// The best resolution this frame size can give with four fingers in view.
    pub max_reachable_ppi: f32,
    /// True when `max_reachable_ppi` is below the configured minimum: the camera, not the user.
    pub camera_limited: bool,
    /// True when the ridges were read across the frame's centre rather than in traced
    /// fingertips, and put the hand closer than the allowed range: fingers too large to trace.
    pub close_up: bool,
}

/// Exposure over finger pixels (or the whole frame when no finger was found: `whole_frame`).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ExposureStats {
    /// Mean BT.601 luma over finger pixels.
    pub mean: f32,
    /// 5th percentile.
    pub p05: f32,
    /// Median.
    pub p50: f32,
    /// 95th percentile.
    pub p95: f32,
    /// Share of finger pixels at or above the clipping level.
    pub clipped_fraction: f32,
    /// Finger pixels measured (full-resolution equivalent).
    pub pixels: u64,
    /// True when no finger was found and the statistics cover the whole frame instead (so a
    /// frame too dark to find a hand in can still be called too dark).
    pub whole_frame: bool,
}

/// Specular highlights on the fingers.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct GlareStats {
    /// The luma a pixel had to reach to count as glare in this frame.
    pub level: f32,
    /// Full-resolution glare pixels on the fingers.
    pub pixels: u64,
    /// Glare pixels as a share of finger pixels.
    pub fraction: f32,
    /// Number of separate spots.
    pub spots: u32,
}

/// Blur at the fingers, in pixels and millimetres.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct FocusStats {
    /// Estimated optical blur (Gaussian sigma) in millimetres at the finger (median over fingers).
    pub blur_mm: Option<f32>,
    /// Estimated motion during the exposure, in millimetres.
    pub motion_mm: Option<f32>,
    /// 0-100, higher is sharper (median over fingers).
    pub score: f32,
    /// Whether the blur rests on something seen: ridges, or the silhouette's edges, in at least
    /// one fingertip. False when no fingertip showed either, and `blur_mm` is the prior for
    /// ridges blurred beyond recognition, which darkness, overexposure or dirt explain as well.
    pub measured: bool,
}

/// One finger's measurements.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct FingerReport {
    /// Which finger.
    pub name: FingerName,
    /// Box around the print area (the fingertip pad), clamped to the frame.
    pub bbox: Rect,
    /// Fingertip position in frame pixels (may lie outside the frame when cut).
    pub tip: [f32; 2],
    /// Direction from base to tip, degrees clockwise from image up.
    pub angle_deg: f32,
    /// Finger width in pixels.
    pub width_px: f32,
    /// Share of the print area inside the frame.
    pub inside_fraction: f32,
    /// Ridge period in pixels, when ridges were resolved.
    pub ridge_period_px: Option<f32>,
    /// Ridge orientation coherence, 0-1.
    pub ridge_coherence: f32,
    /// Ridge clarity (ridge/valley separation), 0-1.
    pub ridge_clarity: f32,
    /// Ridge amplitude over the skin's local brightness (median over the blocks with ridges;
    /// 0 when none).
    pub ridge_modulation: f32,
    /// Estimated optical blur in mm.
    pub blur_mm: Option<f32>,
    /// Estimated motion blur in mm.
    pub motion_mm: Option<f32>,
    /// Focus, 0-100.
    pub focus_score: f32,
    /// Mean luma over the print area.
    pub mean_luma: f32,
    /// Share of print-area pixels that are glare.
    pub glare_fraction: f32,
    /// Overall fitness of this fingertip for matching, 0-100.
    pub quality: u8,
}

/// The analysis of one frame.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Report {
    /// Frame width.
    pub width: u32,
    /// Frame height.
    pub height: u32,
    /// Accept or reject.
    pub verdict: Verdict,
    /// Reasons, first the one to fix first. Empty when accepted.
    pub reasons: Vec<Reason>,
    /// Fingers counted (thumb included), at most 10 (more finger-like shapes still count as 10);
    /// equal to the length of [`Report::fingers`].
    pub finger_count: u8,
    /// The hand seen.
    pub hand: Hand,
    /// The distance estimate used, as ppi at the fingers.
    pub estimated_ppi: Option<f32>,
    /// Both distance estimates and the camera's limit.
    pub ppi: PpiEstimate,
    /// Exposure over finger pixels (or the whole frame when no finger was found: `whole_frame`).
    pub exposure: ExposureStats,
    /// Glare.
    pub glare: GlareStats,
    /// Focus.
    pub focus: FocusStats,
    /// Hand rotation, degrees clockwise from fingers-up.
    pub rotation_deg: f32,
    /// Share of the frame the hand covers.
    pub hand_fraction: f32,
    /// One entry per counted finger, in image order along the hand.
    pub fingers: Vec<FingerReport>,
    /// Time spent in the analysis, microseconds.
    pub elapsed_us: u64,
}

impl Report {
    /// Whether `code` is among the reasons.
    pub fn has(&self, code: ReasonCode) -> bool {
        self.reasons.iter().any(|r| r.code == code)
    }

    /// The first reason: the one to show the user.
    pub fn primary(&self) -> Option<&Reason> {
        self.reasons.first()
    }

    /// Clears every field, keeping the vectors' capacity.
    pub fn clear(&mut self) {
        let mut reasons = std::mem::take(&mut self.reasons);
        let mut fingers = std::mem::take(&mut self.fingers);
        reasons.clear();
        fingers.clear();
        *self = Report {
            reasons,
            fingers,
            ..Report::default()
        };
    }
}
