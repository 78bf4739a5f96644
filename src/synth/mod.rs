//! Synthetic, labelled four-finger capture scenes (seeded and deterministic), for tests,
//! tuning and integration testing.
//!
//! A scene is a hand seen from the palm side, fingers up, in front of a background, through a
//! camera with known defocus, motion, exposure, noise and JPEG compression. [`random_spec`]
//! draws a scene description from the scenario mix (about a third clean, the rest with one or
//! two problems); [`render`] turns a [`SceneSpec`] into pixels and ground-truth [`Labels`],
//! deterministically (same spec, same bytes); [`truth_reasons`] applies the default
//! definitions of `notes/domain.md` to the labels.
//!
//! ```
//! let scene = fingerqc::synth::scene(7, 640, 360);
//! assert_eq!(scene.image.dimensions(), (640, 360));
//! assert_eq!(scene.labels.seed, 7);
//! ```
//!
//! # Geometry
//! Hand coordinates are millimetres: X toward the little finger of a left hand, Y toward the
//! fingertips, origin at the middle finger's base on the palm side. The image shows them scaled
//! by `ppi / 25.4`, mirrored for a hand that looks like a right hand, rotated clockwise by
//! `rotation_deg`, with the origin at `origin_px`. Adult proportions: finger widths 14-18 mm at
//! the pad (index and middle widest), palm-side lengths index 64, middle 72, ring 68, little 54
//! mm times the hand size; the little finger's tip sits lowest and the middle finger's highest.
//!
//! # Print area and counting
//! A digit's print area is the top [`PRINT_FRACTION`] (20%) of its length from the palm crease
//! to the tip. `inside_fraction` is the share of that area inside the frame (sampled on a 32x32
//! grid); a digit counts when it is extended and at least half of its print area is inside.

mod background;
mod degrade;
mod hand;
mod labels;
mod render;
mod rng;
mod scenario;

pub use hand::PRINT_FRACTION;
pub use labels::{
    LOW_RIDGE_CONTRAST, NEAR_BLUR_REL, NEAR_CLIPPED_REL, NEAR_GLARE_FACTOR, NEAR_INSIDE, NEAR_LUMA,
    NEAR_PPI_REL, NEAR_RIDGE_CONTRAST, truth_reasons,
};
pub use scenario::random_spec;

use crate::config::Hand;
use crate::frame::Rect;
use crate::report::{FingerName, ReasonCode};
use serde::{Deserialize, Serialize};

/// Fingerprint pattern class of a pad.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PatternKind {
    /// Ridges flow across, rising in the middle.
    Arch,
    /// A steep arch: a ray straight down from a high core.
    TentedArch,
    /// Nested hairpins opening toward one side.
    Loop,
    /// Concentric rings around a core.
    Whorl,
}

/// The fingerprint pattern on one pad.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RidgePattern {
    /// Class.
    pub kind: PatternKind,
    /// Core position in mm: [across the finger from its axis, along it from the tip].
    pub core: [f32; 2],
    /// Loops: direction of the opening (degrees from "down the finger", positive toward +across).
    /// Whorls: orientation of the ellipse.
    pub angle_deg: f32,
    /// Whorl ellipse aspect, or arch flatness (0-1).
    pub aspect: f32,
}

/// One of the four fingers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FingerSpec {
    /// Held straight up (true) or folded onto the palm (false).
    pub extended: bool,
    /// Palm-side length from the palm crease to the tip, mm.
    pub length_mm: f32,
    /// Width of the pad, mm.
    pub width_mm: f32,
    /// Direction, degrees from the hand's up axis toward the little finger (hand coordinates).
    pub angle_deg: f32,
    /// The print on the pad.
    pub pattern: RidgePattern,
}

/// What the thumb does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThumbPose {
    /// Folded across the palm (the requested pose); its print is hidden.
    Folded,
    /// Stretched out sideways and lower than the fingers: a fifth digit.
    Extended,
}

/// The thumb.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ThumbSpec {
    /// Pose.
    pub pose: ThumbPose,
    /// Direction, degrees from the hand's up axis (negative = away from the fingers).
    pub angle_deg: f32,
    /// Visible length, mm.
    pub length_mm: f32,
    /// Pad width, mm.
    pub width_mm: f32,
    /// The print on the pad.
    pub pattern: RidgePattern,
}

/// Skin colour and surface.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SkinSpec {
    /// 0 = very light, 1 = very dark (palm side; a melanin-like axis).
    pub tone: f32,
    /// Palm-side albedo on the 0-255 scale under white light, derived from tone and redness.
    pub rgb: [f32; 3],
    /// Depth of the ridge modulation on a clean pad (ridge amplitude over skin brightness).
    pub ridge_depth: f32,
    /// 1 = clean ridges; lower = dirty, dry or worn (multiplies the ridge amplitude).
    pub ridge_contrast: f32,
    /// Dirt smudges on the pads, 0-1.
    pub dirt: f32,
    /// Surface sheen (broad soft highlight), 0-0.1.
    pub sheen: f32,
}

/// The hand and how it sits in the image.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HandSpec {
    /// The physical hand.
    pub side: Hand,
    /// Whether the image is mirrored (a front camera preview): a left hand then looks right.
    pub mirrored: bool,
    /// Resolution at the fingers (pixels per inch): the distance.
    pub ppi: f32,
    /// Rotation of the whole hand, degrees clockwise from fingers-up.
    pub rotation_deg: f32,
    /// Image position (px) of the hand origin (the middle finger's base).
    pub origin_px: [f32; 2],
    /// Hand size relative to an adult median.
    pub size: f32,
    /// Gap between neighbouring finger bases, mm (0 = touching, negative = pressed together).
    pub finger_gap_mm: f32,
    /// Per-finger offsets of the base height, mm.
    pub finger_base_jitter_mm: [f32; 4],
    /// Index, middle, ring, little.
    pub fingers: [FingerSpec; 4],
    /// The thumb.
    pub thumb: ThumbSpec,
    /// Skin.
    pub skin: SkinSpec,
    /// Ridge period, mm (adults 0.43-0.52).
    pub ridge_period_mm: f32,
    /// Offsets of the palm creases, mm.
    pub palm_line_jitter: [f32; 6],
    /// Width of the nail rim showing beyond the fingertips, mm (0 = short nails).
    #[serde(default)]
    pub nail_rim_mm: f32,
}

/// Kinds of background.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BackgroundKind {
    /// A plain wall.
    Uniform,
    /// A two-colour gradient.
    Gradient,
    /// Wooden planks.
    Wood,
    /// Woven fabric.
    Fabric,
    /// A room with objects, some skin-coloured.
    Cluttered,
    /// A dim room.
    DarkRoom,
    /// A bright room with a window.
    BrightRoom,
}

/// The background.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BackgroundSpec {
    /// Kind.
    pub kind: BackgroundKind,
    /// Main colours on the 0-255 scale under white light.
    pub colors: [[f32; 3]; 3],
    /// Brightness relative to the hand's light (the hand is lit at 1).
    pub level: f32,
    /// Depth-of-field blur of the background, pixels (Gaussian sigma).
    pub blur_px: f32,
    /// Seed of the procedural detail (texture, object layout).
    pub detail_seed: u64,
}

/// Light on the scene.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LightSpec {
    /// Colour multipliers (a colour cast; [1, 1, 1] is neutral).
    pub color: [f32; 3],
    /// Direction of the key light in hand coordinates (x, y; z toward the camera is implied).
    pub direction: [f32; 2],
    /// Share of light that is ambient (soft), 0-1.
    pub ambient: f32,
    /// Brightness gradient across the frame: relative change per frame width / height.
    pub gradient: [f32; 2],
    /// Darkening of the frame corners, 0-0.5.
    pub vignette: f32,
}

/// A specular spot on a digit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GlareSpot {
    /// Digit: 0 index, 1 middle, 2 ring, 3 little, 4 thumb.
    pub digit: u8,
    /// Position in mm: [across from the axis, along from the tip].
    pub at: [f32; 2],
    /// Radii in mm: [across, along].
    pub radius: [f32; 2],
    /// Peak brightness added, as a multiple of a white surface (1 = as bright as white paper).
    pub intensity: f32,
}

/// The camera.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CameraSpec {
    /// Defocus at the finger: Gaussian sigma in mm.
    pub blur_sigma_mm: f32,
    /// Motion during the exposure, mm at the finger (length of a straight path).
    pub motion_mm: f32,
    /// Direction of that motion, degrees in the image (0 = +x, clockwise).
    pub motion_angle_deg: f32,
    /// Mean luma the exposure aims for over finger pixels (over the whole frame without a
    /// hand); the rendered mean is measured into the labels.
    pub target_luma: f32,
    /// Tone curve exponent (output = (gain x input)^gamma, clipped).
    pub gamma: f32,
    /// Sensor noise, standard deviation in output levels per channel.
    pub noise_sigma: f32,
    /// Seed of the sensor noise.
    pub noise_seed: u64,
    /// JPEG quality, or None for an uncompressed frame.
    pub jpeg_quality: Option<u8>,
}

/// Every parameter of a scene. Procedural detail (ridge jitter, dirt, background layout) is
/// drawn from `seed` and the seeds inside.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SceneSpec {
    /// Seed the scene was drawn from (also seeds fine procedural detail).
    pub seed: u64,
    /// Frame width, px.
    pub width: u32,
    /// Frame height, px.
    pub height: u32,
    /// The problems the generator aimed for (informational; truth is in the labels).
    pub intent: Vec<ReasonCode>,
    /// The hand, or None for an empty scene.
    pub hand: Option<HandSpec>,
    /// Specular spots.
    pub glare: Vec<GlareSpot>,
    /// Background.
    pub background: BackgroundSpec,
    /// Light.
    pub light: LightSpec,
    /// Camera.
    pub camera: CameraSpec,
}

/// Ground truth for one digit that is extended (can count).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FingerLabel {
    /// Which digit.
    pub name: FingerName,
    /// Fingertip in full-resolution image pixels (may lie outside the frame).
    pub tip: [f32; 2],
    /// Unit vector from base to tip, image coordinates.
    pub direction: [f32; 2],
    /// Pad width, px.
    pub width_px: f32,
    /// Length from the palm crease to the tip, px.
    pub length_px: f32,
    /// Bounding box of the print area, clamped to the frame.
    pub print_box: Rect,
    /// Share of the print area inside the frame.
    pub inside_fraction: f32,
    /// Whether the digit counts (inside_fraction >= 0.5).
    pub counted: bool,
    /// Pattern class of its print.
    pub pattern: PatternKind,
}

/// Ground truth for a scene.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Labels {
    /// Seed of the scene.
    pub seed: u64,
    /// Frame width.
    pub width: u32,
    /// Frame height.
    pub height: u32,
    /// Whether any part of a hand is in the frame.
    pub hand_present: bool,
    /// True resolution at the fingers (0 without a hand).
    pub ppi: f32,
    /// Ridge period, mm.
    pub ridge_period_mm: f32,
    /// Ridge period in pixels = ridge_period_mm x ppi / 25.4.
    pub ridge_period_px: f32,
    /// The physical hand: what an analyzer told the right `mirrored` flag should report.
    pub hand: Hand,
    /// The side the hand looks like in the image as stored (flipped when `mirrored`).
    pub apparent_hand: Hand,
    /// Whether the image is mirrored.
    pub mirrored: bool,
    /// Digits that count (thumb included when extended and in frame).
    pub finger_count: u8,
    /// Extended digits, in or out of frame.
    pub extended_count: u8,
    /// Whether any part of the thumb is in the frame.
    pub thumb_visible: bool,
    /// Whether the thumb is stretched out (a fifth digit) rather than folded.
    pub thumb_extended: bool,
    /// Hand rotation, degrees clockwise from fingers-up.
    pub rotation_deg: f32,
    /// Extended digits in image order along the hand.
    pub fingers: Vec<FingerLabel>,
    /// Defocus, mm (Gaussian sigma at the finger).
    pub blur_sigma_mm: f32,
    /// Defocus, px.
    pub blur_sigma_px: f32,
    /// Motion during the exposure, mm.
    pub motion_mm: f32,
    /// Motion, px.
    pub motion_px: f32,
    /// Motion direction, degrees (image, 0 = +x, clockwise).
    pub motion_angle_deg: f32,
    /// Mean BT.601 luma over finger pixels of the final image (0 without finger pixels).
    pub finger_mean_luma: f32,
    /// Share of finger pixels with luma >= 250.
    pub clipped_fraction: f32,
    /// Finger pixels inside specular spots at luma >= `glare_level`.
    pub glare_pixels: u64,
    /// glare_pixels / finger_pixels.
    pub glare_fraction: f32,
    /// min(235, finger mean + 90): the level glare pixels reach.
    pub glare_level: f32,
    /// Pixels of extended digits in the frame (the set the means are taken over).
    pub finger_pixels: u64,
    /// Sensor noise, output levels.
    pub noise_sigma: f32,
    /// JPEG quality, when compressed.
    pub jpeg_quality: Option<u8>,
    /// Ridge amplitude relative to a clean finger (1 = clean, lower = dirty/worn).
    pub ridge_contrast: f32,
    /// Ridge modulation depth of the clean skin (amplitude over brightness).
    pub ridge_depth: f32,
    /// Skin tone, 0 very light - 1 very dark.
    pub skin_tone: f32,
    /// Skin albedo (0-255 scale).
    pub skin_rgb: [f32; 3],
    /// Background kind.
    pub background: BackgroundKind,
    /// What the generator aimed for.
    pub intent: Vec<ReasonCode>,
    /// Reasons that hold ([`truth_reasons`]) under the default config with `mirrored` set to
    /// this frame's flag, as an analyzer of this camera is configured.
    pub reasons: Vec<ReasonCode>,
    /// Reasons whose value is near its threshold under that config: exclude from scoring.
    pub near_threshold: Vec<ReasonCode>,
}

/// A rendered scene.
#[derive(Clone, Debug)]
pub struct Scene {
    /// The frame.
    pub image: image::RgbImage,
    /// Its ground truth.
    pub labels: Labels,
    /// Per-pixel ground truth, same size as the image: bits [`MASK_DIGIT`] hold 1-5 on pixels
    /// of an extended digit (index, middle, ring, little, thumb; the set `finger_mean_luma` is
    /// taken over), [`MASK_HAND`] marks any hand pixel (palm, forearm, folded digits),
    /// [`MASK_SPOT`] the footprint of a specular spot, [`MASK_THUMB`] thumb pixels.
    pub mask: image::GrayImage,
}

/// Mask bits holding the extended digit (1 index, 2 middle, 3 ring, 4 little, 5 thumb; 0 none).
pub const MASK_DIGIT: u8 = render::M_DIGIT;
/// Mask bit: any hand pixel (coverage at least one half).
pub const MASK_HAND: u8 = render::M_HAND;
/// Mask bit: inside a specular spot's footprint (grown by the blur).
pub const MASK_SPOT: u8 = render::M_SPOT;
/// Mask bit: a thumb pixel, folded or extended.
pub const MASK_THUMB: u8 = render::M_THUMB;

/// Renders a scene description: same spec, same bytes.
pub fn render(spec: &SceneSpec) -> Scene {
    render::render(spec)
}

/// A random scene from the scenario mix: `render(&random_spec(seed, width, height))`.
pub fn scene(seed: u64, width: u32, height: u32) -> Scene {
    render(&random_spec(seed, width, height))
}

/// A capture attempt over time: the hand approaches, shakes, then holds still while the camera
/// focuses.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SequenceSpec {
    /// Seed of the hand, background and light.
    pub seed: u64,
    /// Frame width.
    pub width: u32,
    /// Frame height.
    pub height: u32,
    /// Frames per second.
    pub fps: f32,
    /// Duration of the approach, s.
    pub approach_s: f32,
    /// Duration of the shaking, s.
    pub shake_s: f32,
    /// Duration of the still, focusing phase, s.
    pub settle_s: f32,
    /// Resolution at the start (too far).
    pub start_ppi: f32,
    /// Resolution reached (capped at what the frame can hold with all fingertips in view).
    pub end_ppi: f32,
    /// Motion blur while shaking, mm.
    pub shake_motion_mm: f32,
    /// Displacement amplitude while shaking, mm.
    pub shake_displacement_mm: f32,
    /// Defocus when the hand stops (decays to sharp during the settle phase), mm.
    pub settle_blur_mm: f32,
}

impl SequenceSpec {
    /// The default scenario for `seed` at `width` x `height`: 30 fps, 1.5 s approach from
    /// 250 ppi to 500 ppi, 0.5 s of shaking, 1.5 s of focusing.
    pub fn new(seed: u64, width: u32, height: u32) -> Self {
        SequenceSpec {
            seed,
            width,
            height,
            fps: 30.0,
            approach_s: 1.5,
            shake_s: 0.5,
            settle_s: 1.5,
            start_ppi: 250.0,
            end_ppi: 500.0,
            shake_motion_mm: 0.9,
            shake_displacement_mm: 3.0,
            settle_blur_mm: 0.3,
        }
    }
}

/// Renders a sequence: (timestamp in seconds, scene) per frame.
pub fn sequence(spec: &SequenceSpec) -> Vec<(f64, Scene)> {
    scenario::sequence_specs(spec)
        .into_iter()
        .map(|(t, s)| (t, render(&s)))
        .collect()
}

/// The per-frame scene descriptions of a sequence, without rendering them.
pub fn sequence_specs(spec: &SequenceSpec) -> Vec<(f64, SceneSpec)> {
    scenario::sequence_specs(spec)
}
