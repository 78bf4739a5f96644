//! Ground truth: labels measured on the rendered frame, and the default definitions of the
//! reasons (`notes/domain.md`) applied to them.
//!
//! # Near-threshold bands
//! A reason is "near" (excluded from scoring) when the value that decides it lies within:
//! - ppi: +-[`NEAR_PPI_REL`] (5%) of `ppi.min` or `ppi.max` (too_far / too_close);
//! - defocus: +-[`NEAR_BLUR_REL`] (20%) of `focus.max_blur_mm`; motion: +-20% of
//!   `focus.max_motion_mm` (too_blurry);
//! - mean finger luma: +-[`NEAR_LUMA`] (6 levels) of `dark_mean` or `bright_mean`;
//! - clipped fraction: +-[`NEAR_CLIPPED_REL`] (30%, relative) of `max_clipped_fraction`
//!   (too_bright);
//! - glare pixels: within a factor [`NEAR_GLARE_FACTOR`] (1.5) of the minimum (glare);
//! - inside fraction: +-[`NEAR_INSIDE`] (0.05) of `min_inside_to_count` for any extended digit
//!   (the count, so too_few / too_many / no_hand / wrong_hand) or of `1 - max_outside_fraction`
//!   for a counted one (partially_out_of_frame);
//! - ridge contrast: in [`NEAR_RIDGE_CONTRAST`] (0.25-0.5) around [`LOW_RIDGE_CONTRAST`], or
//!   low contrast with blur, motion or ppi near their limits (low_ridge_contrast);
//! - camera_limit: the frame's reachable ppi within 5% of `ppi.min`.

use super::hand::{self, HandModel};
use super::render::{M_DIGIT, M_HAND, M_SPOT, M_THUMB};
use super::{FingerLabel, Labels, SceneSpec};
use crate::config::{Config, Hand};
use crate::report::ReasonCode;

/// Ridge contrast (1 = clean) below which a sharp, well-exposed frame at a resolvable distance
/// has `low_ridge_contrast`. Dirty-finger scenes use 0.05-0.25, clean ones 0.7-1.
pub const LOW_RIDGE_CONTRAST: f32 = 0.35;
/// Ridge contrast in this range is near the bound.
pub const NEAR_RIDGE_CONTRAST: [f32; 2] = [0.25, 0.5];
/// Relative band around the ppi limits.
pub const NEAR_PPI_REL: f32 = 0.05;
/// Relative band around the defocus and motion limits.
pub const NEAR_BLUR_REL: f32 = 0.2;
/// Luma levels around the dark and bright means.
pub const NEAR_LUMA: f32 = 6.0;
/// Relative band around the clipped-fraction limit.
pub const NEAR_CLIPPED_REL: f32 = 0.3;
/// Factor around the minimum glare pixel count.
pub const NEAR_GLARE_FACTOR: f32 = 1.5;
/// Band around the inside-fraction limits.
pub const NEAR_INSIDE: f32 = 0.05;

/// Thumb pixels (in mm^2 of skin) needed to call the thumb visible.
const THUMB_VISIBLE_MM2: f32 = 4.0;
/// Share of the frame the hand must cover to be "present".
const HAND_PRESENT_FRACTION: f32 = 0.002;

fn flip(h: Hand) -> Hand {
    match h {
        Hand::Left => Hand::Right,
        Hand::Right => Hand::Left,
        Hand::Unknown => Hand::Unknown,
    }
}

/// Reasons that hold for `labels` under `config`, and reasons near their thresholds.
///
/// Applies the default definitions: a finger counts with at least `min_inside_to_count` of its
/// print area inside; `no_hand` when none counts (and then nothing else is judged); the hand an
/// analyzer reports is the apparent side, flipped when `config.mirrored`; `wrong_hand` only with
/// three or more counted fingers; framing, distance, blur, exposure and glare as in the module
/// documentation; `low_ridge_contrast` when `ridge_contrast < LOW_RIDGE_CONTRAST` on a frame that
/// is sharp (blur and motion below their limits) at ppi >= `ppi.min`; `camera_limit` when
/// [`crate::distance::max_reachable_ppi`] of the frame is below `ppi.min`.
pub fn truth_reasons(labels: &Labels, config: &Config) -> (Vec<ReasonCode>, Vec<ReasonCode>) {
    let mut hold = Vec::new();
    let mut near = Vec::new();
    let fr = &config.framing;
    let count_lim = fr.min_inside_to_count;
    let part_lim = 1.0 - fr.max_outside_fraction;
    let count_near = labels
        .fingers
        .iter()
        .any(|f| (f.inside_fraction - count_lim).abs() <= NEAR_INSIDE);
    let counted: Vec<_> = labels
        .fingers
        .iter()
        .filter(|f| f.inside_fraction >= count_lim)
        .collect();
    let count = counted.len() as u8;
    if count == 0 {
        hold.push(ReasonCode::NoHand);
        if count_near {
            near.push(ReasonCode::NoHand);
        }
        return (hold, near);
    }
    if count_near && count <= 1 {
        near.push(ReasonCode::NoHand);
    }
    let reported = if config.mirrored {
        flip(labels.apparent_hand)
    } else {
        labels.apparent_hand
    };
    if count >= 3 && reported != config.expected_hand {
        hold.push(ReasonCode::WrongHand);
    }
    if count_near && (3..=4).contains(&count) && reported != config.expected_hand {
        near.push(ReasonCode::WrongHand);
    }
    let want = config.expected_fingers;
    if count > want {
        hold.push(ReasonCode::TooManyFingers);
    } else if count < want {
        hold.push(ReasonCode::TooFewFingers);
    }
    if count_near {
        // One finger more or less would change the verdict on the count.
        if count + 1 > want || count > want {
            near.push(ReasonCode::TooManyFingers);
        }
        if count < want || count.saturating_sub(1) < want {
            near.push(ReasonCode::TooFewFingers);
        }
    }
    if counted.iter().any(|f| f.inside_fraction < part_lim) {
        hold.push(ReasonCode::PartiallyOutOfFrame);
    }
    if counted
        .iter()
        .any(|f| (f.inside_fraction - part_lim).abs() <= NEAR_INSIDE)
        || count_near
    {
        near.push(ReasonCode::PartiallyOutOfFrame);
    }
    let p = &config.ppi;
    if labels.ppi < p.min {
        hold.push(ReasonCode::TooFar);
    } else if labels.ppi > p.max {
        hold.push(ReasonCode::TooClose);
    }
    if (labels.ppi / p.min - 1.0).abs() <= NEAR_PPI_REL {
        near.push(ReasonCode::TooFar);
    }
    if (labels.ppi / p.max - 1.0).abs() <= NEAR_PPI_REL {
        near.push(ReasonCode::TooClose);
    }
    let e = &config.exposure;
    if labels.finger_pixels > 0 {
        if labels.finger_mean_luma < e.dark_mean {
            hold.push(ReasonCode::TooDark);
        } else if labels.finger_mean_luma > e.bright_mean
            || labels.clipped_fraction > e.max_clipped_fraction
        {
            hold.push(ReasonCode::TooBright);
        }
        if (labels.finger_mean_luma - e.dark_mean).abs() <= NEAR_LUMA {
            near.push(ReasonCode::TooDark);
        }
        if (labels.finger_mean_luma - e.bright_mean).abs() <= NEAR_LUMA
            || (labels.clipped_fraction / e.max_clipped_fraction.max(1e-6) - 1.0).abs()
                <= NEAR_CLIPPED_REL
        {
            near.push(ReasonCode::TooBright);
        }
    }
    let f = &config.focus;
    let sharp = labels.blur_sigma_mm < f.max_blur_mm && labels.motion_mm < f.max_motion_mm;
    if !sharp {
        hold.push(ReasonCode::TooBlurry);
    }
    let blur_near = (labels.blur_sigma_mm / f.max_blur_mm - 1.0).abs() <= NEAR_BLUR_REL
        || (labels.motion_mm / f.max_motion_mm - 1.0).abs() <= NEAR_BLUR_REL;
    if blur_near {
        near.push(ReasonCode::TooBlurry);
    }
    let g = &config.glare;
    let min_glare = (g.min_pixels as f32).max(g.min_fraction * labels.finger_pixels as f32);
    if labels.glare_pixels > 0 && labels.glare_pixels as f32 >= min_glare {
        hold.push(ReasonCode::Glare);
    }
    let gp = labels.glare_pixels as f32;
    if gp >= min_glare / NEAR_GLARE_FACTOR && gp <= min_glare * NEAR_GLARE_FACTOR {
        near.push(ReasonCode::Glare);
    }
    let low = labels.ridge_contrast < LOW_RIDGE_CONTRAST;
    if low && sharp && labels.ppi >= p.min {
        hold.push(ReasonCode::LowRidgeContrast);
    }
    let rc_near = labels.ridge_contrast >= NEAR_RIDGE_CONTRAST[0]
        && labels.ridge_contrast <= NEAR_RIDGE_CONTRAST[1];
    let ppi_near = (labels.ppi / p.min - 1.0).abs() <= NEAR_PPI_REL;
    if rc_near || (low && (blur_near || ppi_near)) {
        near.push(ReasonCode::LowRidgeContrast);
    }
    let reach = crate::distance::max_reachable_ppi(labels.width, labels.height);
    if reach < p.min {
        hold.push(ReasonCode::CameraLimit);
    }
    if (reach / p.min - 1.0).abs() <= NEAR_PPI_REL {
        near.push(ReasonCode::CameraLimit);
    }
    hold.sort();
    near.sort();
    near.dedup();
    (hold, near)
}

/// Measures the labels of a rendered frame.
pub(crate) fn measure(
    spec: &SceneSpec,
    model: Option<&HandModel>,
    image: &image::RgbImage,
    mask: &[u8],
    blur_px: f32,
    motion_px: f32,
    jpeg: Option<u8>,
) -> Labels {
    let (w, h) = (spec.width, spec.height);
    let raw = image.as_raw();
    let mut n = 0u64;
    let mut sum = 0u64;
    let mut clipped = 0u64;
    let mut hand_px = 0u64;
    let mut thumb_px = 0u64;
    for (i, m) in mask.iter().enumerate() {
        if m & M_HAND != 0 {
            hand_px += 1;
        }
        if m & M_THUMB != 0 {
            thumb_px += 1;
        }
        if m & M_DIGIT != 0 {
            let y = crate::frame::luma601(raw[3 * i], raw[3 * i + 1], raw[3 * i + 2]);
            n += 1;
            sum += y as u64;
            if y >= 250 {
                clipped += 1;
            }
        }
    }
    let mean = if n > 0 { sum as f32 / n as f32 } else { 0.0 };
    let level = (mean + 90.0).min(235.0);
    let mut glare = 0u64;
    if n > 0 && !spec.glare.is_empty() {
        for (i, m) in mask.iter().enumerate() {
            if m & M_DIGIT != 0 && m & M_SPOT != 0 {
                let y = crate::frame::luma601(raw[3 * i], raw[3 * i + 1], raw[3 * i + 2]);
                if y as f32 >= level {
                    glare += 1;
                }
            }
        }
    }
    let mut fingers = Vec::new();
    let mut ppi = 0.0;
    let mut rotation = 0.0;
    let mut side = Hand::Unknown;
    let mut apparent = Hand::Unknown;
    let mut mirrored = false;
    let mut thumb_extended = false;
    let mut period_mm = 0.0;
    let mut tone = 0.0;
    let mut rgb = [0.0; 3];
    let mut contrast = 1.0;
    let mut depth = 0.0;
    let mut thumb_visible = false;
    if let (Some(hs), Some(m)) = (&spec.hand, model) {
        ppi = hs.ppi;
        rotation = hs.rotation_deg;
        side = hs.side;
        mirrored = hs.mirrored;
        apparent = hand::apparent_side(hs.side, hs.mirrored);
        thumb_extended = hs.thumb.pose == super::ThumbPose::Extended;
        period_mm = hs.ridge_period_mm;
        tone = hs.skin.tone;
        rgb = hs.skin.rgb;
        contrast = hs.skin.ridge_contrast;
        depth = hs.skin.ridge_depth;
        let k = m.xform.k;
        thumb_visible = thumb_px as f32 >= THUMB_VISIBLE_MM2 * k * k;
        let (c, s) = (rotation.to_radians().cos(), rotation.to_radians().sin());
        let mut with_order: Vec<(f32, FingerLabel)> = m
            .digits
            .iter()
            .filter(|d| d.extended)
            .map(|d| {
                let fr = hand::framing(d, &m.xform, w, h);
                let order = fr.center[0] * c + fr.center[1] * s;
                (
                    order,
                    FingerLabel {
                        name: d.name,
                        tip: fr.tip,
                        direction: fr.direction,
                        width_px: 2.0 * d.hw_tip * k,
                        length_px: d.len * k,
                        print_box: fr.print_box,
                        inside_fraction: fr.inside_fraction,
                        counted: fr.inside_fraction >= 0.5,
                        pattern: d.pattern.kind,
                    },
                )
            })
            .collect();
        with_order.sort_by(|a, b| a.0.total_cmp(&b.0));
        fingers = with_order.into_iter().map(|(_, f)| f).collect();
    }
    let finger_count = fingers.iter().filter(|f| f.counted).count() as u8;
    let extended_count = fingers.len() as u8;
    let k = ppi / 25.4;
    let mut labels = Labels {
        seed: spec.seed,
        width: w,
        height: h,
        hand_present: spec.hand.is_some()
            && hand_px as f32 >= HAND_PRESENT_FRACTION * (w as f32 * h as f32),
        ppi,
        ridge_period_mm: period_mm,
        ridge_period_px: period_mm * k,
        hand: side,
        apparent_hand: apparent,
        mirrored,
        finger_count,
        extended_count,
        thumb_visible,
        thumb_extended,
        rotation_deg: rotation,
        fingers,
        blur_sigma_mm: spec.camera.blur_sigma_mm,
        blur_sigma_px: blur_px,
        motion_mm: spec.camera.motion_mm,
        motion_px,
        motion_angle_deg: spec.camera.motion_angle_deg,
        finger_mean_luma: mean,
        clipped_fraction: if n > 0 {
            clipped as f32 / n as f32
        } else {
            0.0
        },
        glare_pixels: glare,
        glare_fraction: if n > 0 { glare as f32 / n as f32 } else { 0.0 },
        glare_level: level,
        finger_pixels: n,
        noise_sigma: spec.camera.noise_sigma,
        jpeg_quality: jpeg,
        ridge_contrast: contrast,
        ridge_depth: depth,
        skin_tone: tone,
        skin_rgb: rgb,
        background: spec.background.kind,
        intent: spec.intent.clone(),
        reasons: Vec::new(),
        near_threshold: Vec::new(),
    };
    // An analyzer of this camera is told whether its frames are mirrored.
    let config = Config {
        mirrored: labels.mirrored,
        ..Config::default()
    };
    let (r, nr) = truth_reasons(&labels, &config);
    labels.reasons = r;
    labels.near_threshold = nr;
    labels
}
