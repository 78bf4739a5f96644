//! Every threshold the checks hold a frame against, with the defaults of `notes/domain.md`.
//!
//! Loadable from TOML or JSON; any field left out takes its default. [`Config::validate`] names
//! the first field that is out of range.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

/// Which hand the capture expects, or which hand was seen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
#[repr(u32)]
pub enum Hand {
    /// The left hand.
    #[default]
    Left = 0,
    /// The right hand.
    Right = 1,
    /// Not enough evidence either way.
    Unknown = 2,
}

/// Analyzer configuration. Every field has a documented default and unit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// The hand the capture asks for. Default: left.
    pub expected_hand: Hand,
    /// Whether the frames are mirrored left-right (a front camera's preview). Default: false.
    pub mirrored: bool,
    /// Clockwise rotation, in degrees, that turns a frame upright (fingers held up then point
    /// to its top): 0, 90, 180 or 270. Phone cameras deliver frames in the sensor's
    /// orientation, usually a quarter turn from what the user sees; pass what the platform
    /// reports (Android's `ImageInfo.getRotationDegrees()`, the rotation an iOS app applies
    /// for its interface orientation). Segmentation and finger geometry work on the frame
    /// turned upright at low resolution; positions in the report stay in the frame's own
    /// coordinates, and a hand tilted from upright is reported in `rotation_deg`. Default: 0.
    pub frame_rotation: u16,
    /// How many fingers the capture asks for. Default: 4.
    pub expected_fingers: u8,
    /// Distance, as the resolution at the fingers.
    pub ppi: PpiConfig,
    /// Sharpness.
    pub focus: FocusConfig,
    /// Brightness over finger pixels.
    pub exposure: ExposureConfig,
    /// Specular highlights on the fingertips.
    pub glare: GlareConfig,
    /// Fingers cut by the frame edge.
    pub framing: FramingConfig,
    /// Ridge clarity and the physical constants used to turn pixels into millimetres.
    pub ridge: RidgeConfig,
    /// Bounds on what a frame or a decoded file may cost.
    pub limits: Limits,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            expected_hand: Hand::Left,
            mirrored: false,
            frame_rotation: 0,
            expected_fingers: 4,
            ppi: PpiConfig::default(),
            focus: FocusConfig::default(),
            exposure: ExposureConfig::default(),
            glare: GlareConfig::default(),
            framing: FramingConfig::default(),
            ridge: RidgeConfig::default(),
            limits: Limits::default(),
        }
    }
}

/// Acceptable resolution at the fingers (pixels per inch), i.e. the distance.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PpiConfig {
    /// Below this the fingers are too far (`too_far`). Default: 350 ppi.
    pub min: f32,
    /// Above this the fingers are too close (`too_close`). Default: 700 ppi.
    pub max: f32,
    /// The resolution matchers want; crops are resampled to it. Default: 500 ppi.
    pub target: f32,
}

impl Default for PpiConfig {
    fn default() -> Self {
        PpiConfig {
            min: 350.0,
            max: 700.0,
            target: 500.0,
        }
    }
}

/// Sharpness thresholds, in millimetres at the finger so the verdict is the same at any distance.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FocusConfig {
    /// Optical blur (Gaussian sigma) at or above which a frame is `too_blurry`. Default: 0.125 mm.
    pub max_blur_mm: f32,
    /// Motion during the exposure at or above which a frame is `too_blurry`. Default: 0.4 mm.
    pub max_motion_mm: f32,
}

impl Default for FocusConfig {
    fn default() -> Self {
        FocusConfig {
            max_blur_mm: 0.125,
            max_motion_mm: 0.4,
        }
    }
}

/// Exposure thresholds over finger pixels (BT.601 luma, 0-255).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ExposureConfig {
    /// Mean finger luma below this is `too_dark`. Default: 60.
    pub dark_mean: f32,
    /// Mean finger luma above this is `too_bright`. Default: 200.
    pub bright_mean: f32,
    /// Luma at or above which a pixel counts as clipped. Default: 250.
    pub clipped_level: u8,
    /// Share of clipped finger pixels above which the frame is `too_bright`. Default: 0.05.
    pub max_clipped_fraction: f32,
}

impl Default for ExposureConfig {
    fn default() -> Self {
        ExposureConfig {
            dark_mean: 60.0,
            bright_mean: 200.0,
            clipped_level: 250,
            max_clipped_fraction: 0.05,
        }
    }
}

/// Glare: specular spots at luma >= min(`level_cap`, finger mean + `level_above_mean`) covering
/// at least max(`min_pixels`, `min_fraction` of finger pixels).
///
/// A spot is a compact patch far brighter than the skin around it: a patch of such pixels counts
/// only when their mean luma is at least `min_spot_contrast` above the finger blocks around it
/// and it covers at most `max_spot_fraction` of the finger. A whole over-exposed finger, or the
/// ridge crests of bright skin reaching the level, is `too_bright` at most, not glare; the
/// price is that spots on skin brighter than about 255 - `min_spot_contrast` are not found.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GlareConfig {
    /// Highest luma a spot must reach to count, whatever the finger's mean. Default: 235.
    pub level_cap: f32,
    /// How far above the finger mean a spot's luma must be. Default: 90.
    pub level_above_mean: f32,
    /// Fewest spot pixels (full resolution) that make glare. Default: 25.
    pub min_pixels: u32,
    /// Smallest share of finger pixels that makes glare. Default: 0.0015 (0.15%).
    pub min_fraction: f32,
    /// How much brighter a spot's pixels (mean luma) must be than the finger around it.
    /// Default: 45 (tuned on generator seeds 0..499 against the spot footprints they label).
    pub min_spot_contrast: f32,
    /// Largest share of finger pixels one spot may cover. Default: 0.2.
    pub max_spot_fraction: f32,
}

impl Default for GlareConfig {
    fn default() -> Self {
        GlareConfig {
            level_cap: 235.0,
            level_above_mean: 90.0,
            min_pixels: 25,
            min_fraction: 0.0015,
            min_spot_contrast: 45.0,
            max_spot_fraction: 0.2,
        }
    }
}

/// Framing: how much of a fingertip's print area may lie outside the frame.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FramingConfig {
    /// A finger counts when at least this share of its print area is inside. Default: 0.5.
    pub min_inside_to_count: f32,
    /// `partially_out_of_frame` when a counted finger has more than this share outside. Default: 0.15.
    pub max_outside_fraction: f32,
    /// The print area: this share of the finger's visible length, from the tip. Default: 0.2.
    pub print_fraction_of_finger: f32,
}

impl Default for FramingConfig {
    fn default() -> Self {
        FramingConfig {
            min_inside_to_count: 0.5,
            max_outside_fraction: 0.15,
            print_fraction_of_finger: 0.2,
        }
    }
}

/// Physical constants behind the distance estimate, and the ridge clarity threshold.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RidgeConfig {
    /// Adult median ridge period. Default: 0.475 mm (range 0.43-0.52).
    pub period_mm: f32,
    /// Adult median fingertip width. Default: 17.5 mm (range 15-20).
    pub finger_width_mm: f32,
    /// Ridge clarity (0-1) below which sharp but unclear ridges give `low_ridge_contrast`. Default: 0.05.
    pub min_clarity: f32,
    /// Ridge modulation (ridge amplitude over the skin's local brightness) that at least two
    /// fingertips (the one, when only one is measured) must reach for the ridges to count as
    /// clear, whatever the clarity. Default: 0.02.
    /// Sharp clean ridges swing 2-8% of the skin's brightness; dirty or worn ones under 1.5%.
    /// Clarity alone also falls on clean ridges that are faint for other reasons (dim light,
    /// blur just under the `too_blurry` limit), which still swing more than this.
    pub min_modulation: f32,
}

impl Default for RidgeConfig {
    fn default() -> Self {
        RidgeConfig {
            period_mm: 0.475,
            finger_width_mm: 17.5,
            min_clarity: 0.05,
            min_modulation: 0.02,
        }
    }
}

/// Bounds on untrusted input, enforced before anything is allocated.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Largest frame the analyzer takes, in pixels. Default: 64 megapixels.
    pub max_frame_pixels: u64,
    /// Largest width or height of a decoded image file. Default: 16384.
    pub max_image_side: u32,
    /// Most bytes a decoder may allocate for one image file. Default: 512 MiB.
    pub max_decode_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_frame_pixels: 64_000_000,
            max_image_side: 16_384,
            max_decode_bytes: 512 << 20,
        }
    }
}

fn finite_in(field: &'static str, v: f32, lo: f32, hi: f32) -> Result<()> {
    if !v.is_finite() || v < lo || v > hi {
        return Err(Error::Config {
            field,
            reason: format!("{v} is not a number in {lo}..={hi}"),
        });
    }
    Ok(())
}

impl Config {
    /// Parses TOML, then validates.
    pub fn from_toml_str(s: &str) -> Result<Self> {
        let c: Config = toml::from_str(s).map_err(|e| Error::ConfigParse(e.to_string()))?;
        c.validate()?;
        Ok(c)
    }

    /// Parses JSON, then validates.
    pub fn from_json_str(s: &str) -> Result<Self> {
        let c: Config = serde_json::from_str(s).map_err(|e| Error::ConfigParse(e.to_string()))?;
        c.validate()?;
        Ok(c)
    }

    /// Reads a `.toml` or `.json` file (by extension; anything else is tried as TOML then JSON).
    pub fn from_file(path: &std::path::Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::Io {
            path: path.display().to_string(),
            source: e,
        })?;
        match path.extension().and_then(|e| e.to_str()) {
            Some("json") => Self::from_json_str(&text),
            Some("toml") => Self::from_toml_str(&text),
            _ => Self::from_toml_str(&text).or_else(|_| Self::from_json_str(&text)),
        }
    }

    /// Checks every field; the error names the first one out of range.
    pub fn validate(&self) -> Result<()> {
        if self.expected_hand == Hand::Unknown {
            return Err(Error::Config {
                field: "expected_hand",
                reason: "must be left or right".into(),
            });
        }
        if !matches!(self.frame_rotation, 0 | 90 | 180 | 270) {
            return Err(Error::Config {
                field: "frame_rotation",
                reason: format!("{} is not one of 0, 90, 180, 270", self.frame_rotation),
            });
        }
        if !(1..=5).contains(&self.expected_fingers) {
            return Err(Error::Config {
                field: "expected_fingers",
                reason: format!("{} is not in 1..=5", self.expected_fingers),
            });
        }
        finite_in("ppi.min", self.ppi.min, 50.0, 5000.0)?;
        finite_in("ppi.max", self.ppi.max, 50.0, 5000.0)?;
        finite_in("ppi.target", self.ppi.target, 50.0, 5000.0)?;
        if self.ppi.min >= self.ppi.max {
            return Err(Error::Config {
                field: "ppi.min",
                reason: format!("min {} must be below max {}", self.ppi.min, self.ppi.max),
            });
        }
        if self.ppi.target < self.ppi.min || self.ppi.target > self.ppi.max {
            return Err(Error::Config {
                field: "ppi.target",
                reason: format!(
                    "{} is outside min..max {}..{}",
                    self.ppi.target, self.ppi.min, self.ppi.max
                ),
            });
        }
        finite_in("focus.max_blur_mm", self.focus.max_blur_mm, 0.001, 10.0)?;
        finite_in(
            "focus.max_motion_mm",
            self.focus.max_motion_mm,
            0.001,
            100.0,
        )?;
        finite_in("exposure.dark_mean", self.exposure.dark_mean, 0.0, 255.0)?;
        finite_in(
            "exposure.bright_mean",
            self.exposure.bright_mean,
            0.0,
            255.0,
        )?;
        if self.exposure.dark_mean >= self.exposure.bright_mean {
            return Err(Error::Config {
                field: "exposure.dark_mean",
                reason: format!(
                    "{} must be below exposure.bright_mean {}",
                    self.exposure.dark_mean, self.exposure.bright_mean
                ),
            });
        }
        finite_in(
            "exposure.max_clipped_fraction",
            self.exposure.max_clipped_fraction,
            0.0,
            1.0,
        )?;
        finite_in("glare.level_cap", self.glare.level_cap, 0.0, 255.0)?;
        finite_in(
            "glare.level_above_mean",
            self.glare.level_above_mean,
            0.0,
            255.0,
        )?;
        finite_in("glare.min_fraction", self.glare.min_fraction, 0.0, 1.0)?;
        finite_in(
            "glare.min_spot_contrast",
            self.glare.min_spot_contrast,
            0.0,
            255.0,
        )?;
        finite_in(
            "glare.max_spot_fraction",
            self.glare.max_spot_fraction,
            0.0,
            1.0,
        )?;
        finite_in(
            "framing.min_inside_to_count",
            self.framing.min_inside_to_count,
            0.0,
            1.0,
        )?;
        finite_in(
            "framing.max_outside_fraction",
            self.framing.max_outside_fraction,
            0.0,
            1.0,
        )?;
        finite_in(
            "framing.print_fraction_of_finger",
            self.framing.print_fraction_of_finger,
            0.01,
            1.0,
        )?;
        finite_in("ridge.period_mm", self.ridge.period_mm, 0.1, 2.0)?;
        finite_in(
            "ridge.finger_width_mm",
            self.ridge.finger_width_mm,
            5.0,
            40.0,
        )?;
        finite_in("ridge.min_clarity", self.ridge.min_clarity, 0.0, 1.0)?;
        finite_in("ridge.min_modulation", self.ridge.min_modulation, 0.0, 1.0)?;
        if self.limits.max_frame_pixels == 0 {
            return Err(Error::Config {
                field: "limits.max_frame_pixels",
                reason: "must be at least 1".into(),
            });
        }
        if self.limits.max_image_side == 0 {
            return Err(Error::Config {
                field: "limits.max_image_side",
                reason: "must be at least 1".into(),
            });
        }
        Ok(())
    }
}
