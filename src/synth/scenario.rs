//! The scenario mix: which problems a random scene has, and every parameter drawn for it.
//!
//! About 35% of scenes are drawn clean; the rest have one problem (30% of them a second one) drawn
//! uniformly from thirteen: too far, too close, defocus, motion, too dark, too bright, glare,
//! wrong hand, too few fingers, too many fingers (thumb out), no hand (empty scene, fist, or the
//! hand slid out of frame), a fingertip cut by the frame edge, and low ridge contrast. Values
//! are drawn clearly inside or outside their thresholds, except that 15% of problem values
//! and 10% of clean scenes are drawn near a threshold (the labels then mark it).

use super::hand::{self, HandModel, Xform};
use super::rng::{Rng, mix64};
use super::{
    BackgroundKind, BackgroundSpec, CameraSpec, FingerSpec, GlareSpot, HandSpec, LightSpec,
    PatternKind, RidgePattern, SceneSpec, SequenceSpec, SkinSpec, ThumbPose, ThumbSpec,
};
use crate::config::Hand;
use crate::report::ReasonCode;

/// Share of clean scenes.
const P_CLEAN: f32 = 0.35;
/// Share of problem scenes with a second problem.
const P_SECOND: f32 = 0.30;
/// Share of problem values drawn near their threshold.
const P_NEAR: f32 = 0.15;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Problem {
    TooFar,
    TooClose,
    Defocus,
    Motion,
    Dark,
    Bright,
    Glare,
    WrongHand,
    TooFew,
    TooMany,
    NoHand,
    OutOfFrame,
    LowRidge,
}

const PROBLEMS: [Problem; 13] = [
    Problem::TooFar,
    Problem::TooClose,
    Problem::Defocus,
    Problem::Motion,
    Problem::Dark,
    Problem::Bright,
    Problem::Glare,
    Problem::WrongHand,
    Problem::TooFew,
    Problem::TooMany,
    Problem::NoHand,
    Problem::OutOfFrame,
    Problem::LowRidge,
];

/// Relative frequency of each problem, evened out for the incidental ones (e.g. too_far comes
/// with many thumb-out scenes; too_few with too_close ones).
const WEIGHTS: [f32; 13] = [
    0.8, 1.2, 0.9, 0.9, 1.0, 1.1, 1.2, 1.3, 0.8, 1.1, 1.3, 1.0, 1.4,
];

impl Problem {
    fn code(self) -> ReasonCode {
        match self {
            Problem::TooFar => ReasonCode::TooFar,
            Problem::TooClose => ReasonCode::TooClose,
            Problem::Defocus | Problem::Motion => ReasonCode::TooBlurry,
            Problem::Dark => ReasonCode::TooDark,
            Problem::Bright => ReasonCode::TooBright,
            Problem::Glare => ReasonCode::Glare,
            Problem::WrongHand => ReasonCode::WrongHand,
            Problem::TooFew => ReasonCode::TooFewFingers,
            Problem::TooMany => ReasonCode::TooManyFingers,
            Problem::NoHand => ReasonCode::NoHand,
            Problem::OutOfFrame => ReasonCode::PartiallyOutOfFrame,
            Problem::LowRidge => ReasonCode::LowRidgeContrast,
        }
    }

    fn compatible(self, other: Problem) -> bool {
        use Problem::*;
        if self == other || other == NoHand || self == NoHand {
            return false;
        }
        let pair = |a: Problem, b: Problem| (self == a && other == b) || (self == b && other == a);
        !(pair(TooFar, TooClose)
            || pair(Dark, Bright)
            || pair(TooFew, TooMany)
            || pair(Defocus, Motion)
            || pair(LowRidge, Defocus)
            || pair(LowRidge, Motion)
            || pair(LowRidge, TooFar)
            || pair(LowRidge, Dark)
            || pair(TooClose, OutOfFrame)
            || pair(TooMany, OutOfFrame))
    }
}

/// Palm-side skin albedo anchors (0-255 under white light), from very light to very dark.
const SKIN: [[f32; 3]; 6] = [
    [240.0, 206.0, 190.0],
    [229.0, 186.0, 162.0],
    [212.0, 160.0, 128.0],
    [186.0, 131.0, 100.0],
    [152.0, 102.0, 75.0],
    [112.0, 72.0, 55.0],
];

fn skin_rgb(tone: f32, redness: f32) -> [f32; 3] {
    let t = tone.clamp(0.0, 1.0) * 5.0;
    let i = (t as usize).min(4);
    let f = t - i as f32;
    let mut c = [0f32; 3];
    for (ch, v) in c.iter_mut().enumerate() {
        *v = SKIN[i][ch] + (SKIN[i + 1][ch] - SKIN[i][ch]) * f;
    }
    c[0] *= 1.0 + 0.02 * redness;
    c[1] *= 1.0 - 0.05 * redness;
    c[2] *= 1.0 - 0.07 * redness;
    c
}

const WALLS: [[f32; 3]; 10] = [
    [228.0, 225.0, 218.0],
    [215.0, 200.0, 176.0],
    [190.0, 192.0, 196.0],
    [178.0, 194.0, 212.0],
    [202.0, 196.0, 216.0],
    [226.0, 212.0, 170.0],
    [92.0, 92.0, 98.0],
    [120.0, 150.0, 122.0],
    [212.0, 176.0, 146.0],
    [40.0, 42.0, 48.0],
];

fn jitter_color(r: &mut Rng, c: [f32; 3], amount: f32) -> [f32; 3] {
    let g = r.range(1.0 - amount, 1.0 + amount);
    c.map(|v| v * g * r.range(1.0 - amount * 0.4, 1.0 + amount * 0.4))
}

fn pattern(r: &mut Rng, s: f32) -> RidgePattern {
    let kind = match r.weighted(&[0.6, 0.3, 0.05, 0.05]) {
        0 => PatternKind::Loop,
        1 => PatternKind::Whorl,
        2 => PatternKind::Arch,
        _ => PatternKind::TentedArch,
    };
    let side = if r.chance(0.5) { 1.0 } else { -1.0 };
    let (angle_deg, aspect) = match kind {
        PatternKind::Loop => (side * r.range(25.0, 55.0), 1.0),
        PatternKind::Whorl => (r.range(0.0, 180.0), r.range(0.7, 1.3)),
        PatternKind::Arch => (0.0, r.range(0.0, 1.0)),
        PatternKind::TentedArch => (r.range(-10.0, 10.0), 1.0),
    };
    RidgePattern {
        kind,
        core: [r.range(-1.5, 1.5) * s, r.range(7.5, 11.0) * s],
        angle_deg,
        aspect,
    }
}

fn base_hand(r: &mut Rng) -> HandSpec {
    let s = (1.0 + 0.06 * r.normal()).clamp(0.86, 1.14);
    let together = r.chance(0.55);
    let (gap, fan) = if together {
        (r.range(-0.8, 0.6), r.range(0.0, 2.5))
    } else {
        (r.range(1.0, 4.5), r.range(1.5, 5.5))
    };
    let lens = [64.0, 72.0, 68.0, 54.0];
    let widths = [16.5, 17.0, 16.0, 14.2];
    let fan_k = [-1.0, 0.0, 1.0, 1.8];
    let fingers: [FingerSpec; 4] = std::array::from_fn(|i| FingerSpec {
        extended: true,
        length_mm: lens[i] * s * r.range(0.96, 1.04),
        width_mm: widths[i] * s * r.range(0.95, 1.05),
        angle_deg: fan * fan_k[i] + 1.2 * r.normal(),
        pattern: pattern(r, s),
    });
    let tone = r.f32();
    let redness = r.range(-1.0, 1.0);
    HandSpec {
        side: Hand::Left,
        mirrored: false,
        ppi: 500.0,
        rotation_deg: 0.0,
        origin_px: [0.0, 0.0],
        size: s,
        finger_gap_mm: gap,
        finger_base_jitter_mm: std::array::from_fn(|_| r.range(-1.5, 1.5)),
        fingers,
        thumb: ThumbSpec {
            pose: ThumbPose::Folded,
            angle_deg: r.range(55.0, 75.0),
            length_mm: 60.0 * s * r.range(0.95, 1.05),
            width_mm: 20.0 * s * r.range(0.95, 1.05),
            pattern: pattern(r, s),
        },
        skin: SkinSpec {
            tone,
            rgb: skin_rgb(tone, redness).map(|v| v * r.range(0.97, 1.03)),
            ridge_depth: r.range(0.04, 0.10),
            ridge_contrast: r.range(0.8, 1.0),
            dirt: 0.0,
            sheen: r.range(0.0, 0.06),
        },
        ridge_period_mm: r.range(0.43, 0.52),
        palm_line_jitter: std::array::from_fn(|_| 2.0 * r.normal()),
        nail_rim_mm: if r.chance(0.25) {
            r.range(0.6, 2.0)
        } else {
            0.0
        },
    }
}

fn base_background(r: &mut Rng, width: f32) -> BackgroundSpec {
    let kind = match r.weighted(&[0.16, 0.12, 0.14, 0.1, 0.28, 0.1, 0.1]) {
        0 => BackgroundKind::Uniform,
        1 => BackgroundKind::Gradient,
        2 => BackgroundKind::Wood,
        3 => BackgroundKind::Fabric,
        4 => BackgroundKind::Cluttered,
        5 => BackgroundKind::DarkRoom,
        _ => BackgroundKind::BrightRoom,
    };
    let i = r.below(WALLS.len());
    let wall = jitter_color(r, WALLS[i], 0.08);
    let i = r.below(WALLS.len());
    let wall2 = jitter_color(r, WALLS[i], 0.08);
    let wood1 = jitter_color(r, [205.0, 152.0, 100.0], 0.15);
    let wood2 = jitter_color(r, [140.0, 88.0, 52.0], 0.15);
    let colors = match kind {
        BackgroundKind::Uniform | BackgroundKind::Gradient => [wall, wall2, wall],
        BackgroundKind::Wood => [wall, wood1, wood2],
        BackgroundKind::Fabric => {
            let i = r.below(WALLS.len());
            let c = jitter_color(r, WALLS[i], 0.25);
            [c, c.map(|v| v * 0.7), c]
        }
        BackgroundKind::Cluttered | BackgroundKind::DarkRoom => [wall, wood1, wood2],
        BackgroundKind::BrightRoom => [[235.0, 235.0, 230.0], wood1, wood2],
    };
    let level = match kind {
        BackgroundKind::DarkRoom => r.range(0.06, 0.25),
        BackgroundKind::BrightRoom => r.range(1.3, 2.2),
        _ => r.range(0.5, 1.15),
    };
    // The camera focuses a hand a hand's length away: the room behind is far out of focus,
    // except in some scenes (a table right behind the hand, or a mis-focused camera).
    let blur_px = if r.chance(0.15) {
        r.range(0.4, 2.0)
    } else {
        width * r.range(0.002, 0.015)
    };
    BackgroundSpec {
        kind,
        colors,
        level,
        blur_px,
        detail_seed: r.next_u64(),
    }
}

fn base_light(r: &mut Rng) -> LightSpec {
    const CASTS: [[f32; 3]; 6] = [
        [1.0, 1.0, 1.0],
        [1.0, 0.86, 0.66],
        [0.86, 0.97, 1.12],
        [0.93, 1.05, 0.9],
        [1.05, 0.9, 1.04],
        [1.0, 0.93, 0.82],
    ];
    // Camera white balance removes most of a cast: what is left is mild, warm more often.
    let cast = CASTS[r.weighted(&[0.4, 0.22, 0.12, 0.07, 0.05, 0.14])];
    let strength = r.range(0.2, 0.7);
    LightSpec {
        color: cast.map(|c| 1.0 + (c - 1.0) * strength),
        direction: [r.range(-0.7, 0.7), r.range(-0.5, 0.8)],
        ambient: r.range(0.35, 0.6),
        gradient: [r.range(-0.25, 0.25), r.range(-0.25, 0.25)],
        vignette: r.range(0.0, 0.3),
    }
}

fn base_camera(r: &mut Rng, seed: u64, tone: f32) -> CameraSpec {
    CameraSpec {
        blur_sigma_mm: r.range(0.0, 0.06),
        motion_mm: if r.chance(0.5) {
            r.range(0.0, 0.15)
        } else {
            0.0
        },
        motion_angle_deg: r.range(0.0, 180.0),
        target_luma: (r.range(90.0, 175.0) - 20.0 * tone).max(78.0),
        gamma: r.range(0.85, 1.1),
        noise_sigma: r.range(0.8, 4.0),
        noise_seed: mix64(seed ^ 0x0153),
        jpeg_quality: if r.chance(0.3) {
            Some(r.range(70.0, 95.0) as u8)
        } else {
            None
        },
    }
}

/// Size (mm at 1 px/mm) of the box around the print areas, for the hand as specified.
fn print_box_mm(hs: &HandSpec) -> Option<[f32; 4]> {
    let m = HandModel::new(hs);
    let xf = Xform::new(
        25.4,
        hs.rotation_deg,
        hand::apparent_side(hs.side, hs.mirrored),
        [0.0, 0.0],
    );
    m.print_bbox(&xf)
}

/// The highest ppi at which the print areas fit inside a `w` x `h` frame with margin `m` px.
fn fit_ppi(hs: &HandSpec, w: f32, h: f32, m: f32) -> f32 {
    match print_box_mm(hs) {
        Some(b) => {
            let bw = (b[2] - b[0]).max(1.0);
            let bh = (b[3] - b[1]).max(1.0);
            25.4 * ((w - 2.0 * m) / bw).min((h - 2.0 * m) / bh).max(0.01)
        }
        None => 500.0,
    }
}

/// Places the hand origin so the print areas lie inside the frame (uniformly where there is
/// room; centred when they do not fit).
fn place(r: &mut Rng, hs: &mut HandSpec, w: f32, h: f32, m: f32) {
    let k = hs.ppi / 25.4;
    let Some(b) = print_box_mm(hs) else {
        hs.origin_px = [w * 0.5, h * 0.6];
        return;
    };
    let b = b.map(|v| v * k);
    let a = [m - b[0], m - b[1]];
    let z = [w - m - b[2], h - m - b[3]];
    // Across: uniform where there is room, else centred. Up-down: uniform where there is room,
    // else somewhere between the tips at the top margin and centred (people too close still
    // aim their fingertips at the camera).
    let x = if a[0] <= z[0] {
        r.range(a[0], z[0])
    } else {
        0.5 * (w - b[0] - b[2])
    };
    let y = if a[1] <= z[1] {
        r.range(a[1], z[1])
    } else {
        let centred = 0.5 * (h - b[1] - b[3]);
        a[1] + (centred - a[1]) * r.f32()
    };
    hs.origin_px = [x, y];
}

/// Inside fraction of one extended digit's print area for a hand spec.
fn inside_of(hs: &HandSpec, digit: usize, w: u32, h: u32) -> f32 {
    let m = HandModel::new(hs);
    m.digits
        .get(digit)
        .map(|d| hand::framing(d, &m.xform, w, h).inside_fraction)
        .unwrap_or(0.0)
}

fn max_inside(hs: &HandSpec, w: u32, h: u32) -> f32 {
    let m = HandModel::new(hs);
    m.digits
        .iter()
        .filter(|d| d.extended)
        .map(|d| hand::framing(d, &m.xform, w, h).inside_fraction)
        .fold(0.0, f32::max)
}

/// Shifts the hand along `dir` (image px direction) until `measure` falls to `target`.
fn shift_until(
    hs: &mut HandSpec,
    dir: [f32; 2],
    reach: f32,
    target: f32,
    measure: impl Fn(&HandSpec) -> f32,
) {
    let start = hs.origin_px;
    let at = |t: f32, hs: &mut HandSpec| {
        hs.origin_px = [start[0] + dir[0] * t, start[1] + dir[1] * t];
    };
    let (mut lo, mut hi) = (0.0f32, reach);
    for _ in 0..30 {
        let mid = 0.5 * (lo + hi);
        at(mid, hs);
        if measure(hs) > target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    at(hi, hs);
}

/// Picks the extended digit whose print centre is most extreme along `dir` in the image.
fn extreme_digit(hs: &HandSpec, w: u32, h: u32, dir: [f32; 2]) -> Option<usize> {
    let m = HandModel::new(hs);
    m.digits
        .iter()
        .enumerate()
        .filter(|(_, d)| d.extended)
        .map(|(i, d)| {
            let c = hand::framing(d, &m.xform, w, h).center;
            (i, c[0] * dir[0] + c[1] * dir[1])
        })
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(i, _)| i)
}

fn glare_spots(r: &mut Rng, hs: &HandSpec, heavy: bool, near: bool) -> Vec<GlareSpot> {
    let digits: Vec<u8> = (0..4u8)
        .filter(|i| hs.fingers[*i as usize].extended)
        .chain((hs.thumb.pose == ThumbPose::Extended).then_some(4))
        .collect();
    if digits.is_empty() {
        return Vec::new();
    }
    let s = hs.size;
    let mut out = Vec::new();
    if near {
        // A few small spots: close to the minimum area.
        for _ in 0..1 + r.below(2) {
            out.push(GlareSpot {
                digit: digits[r.below(digits.len())],
                at: [r.range(-4.0, 4.0) * s, r.range(3.0, 10.0) * s],
                radius: [r.range(0.2, 0.45), r.range(0.25, 0.6)],
                intensity: r.range(0.6, 1.2),
            });
        }
    } else if heavy || r.chance(0.4) {
        // Wet skin: many small spots over the pads and along the fingers.
        for _ in 0..15 + r.below(35) {
            let d = digits[r.below(digits.len())];
            out.push(GlareSpot {
                digit: d,
                at: [r.range(-5.5, 5.5) * s, r.range(1.5, 28.0) * s],
                radius: [r.range(0.15, 0.5), r.range(0.15, 0.7)],
                intensity: r.range(0.6, 1.3),
            });
        }
    } else {
        // Direct light: one to four larger spots on fingertips.
        for _ in 0..1 + r.below(4) {
            out.push(GlareSpot {
                digit: digits[r.below(digits.len())],
                at: [r.range(-3.5, 3.5) * s, r.range(2.0, 11.0) * s],
                radius: [r.range(0.7, 2.2), r.range(0.9, 3.0)],
                intensity: r.range(0.8, 1.6),
            });
        }
    }
    out
}

/// A scene description drawn from the scenario mix.
pub fn random_spec(seed: u64, width: u32, height: u32) -> SceneSpec {
    let mut r = Rng::new(seed, 0x5CE7E);
    let (w, h) = (width.max(1), height.max(1));
    let (wf, hf) = (w as f32, h as f32);
    let margin = 0.04 * wf.min(hf);
    let mut problems: Vec<Problem> = Vec::new();
    if !r.chance(P_CLEAN) {
        let p = PROBLEMS[r.weighted(&WEIGHTS)];
        problems.push(p);
        if r.chance(P_SECOND) {
            let q = PROBLEMS[r.weighted(&WEIGHTS)];
            if p.compatible(q) {
                problems.push(q);
            }
        }
    }
    let has = |p: Problem| problems.contains(&p);
    let near_p = r.chance(P_NEAR);
    let clean_near = problems.is_empty() && r.chance(0.10);
    let clean_near_which = r.below(6);

    let mut hs = base_hand(&mut r);
    let background = base_background(&mut r, wf);
    let mut light = base_light(&mut r);
    let mut camera = base_camera(&mut r, seed, hs.skin.tone);
    let mut glare = Vec::new();
    let mut hand_present = true;

    // Hand pose and identity.
    hs.rotation_deg = if r.chance(0.75) {
        r.range(-25.0, 25.0)
    } else {
        r.range(-30.0, 30.0)
    };
    // A front camera's mirrored preview: the left hand then looks like a right hand, and an
    // analyzer told `mirrored` must still call it left.
    hs.mirrored = r.chance(0.08);
    if has(Problem::WrongHand) {
        hs.side = Hand::Right;
        // A mirrored right hand looks like a left one: only the flag tells them apart.
        hs.mirrored = r.chance(0.3);
    }
    if has(Problem::TooFew) {
        let n = 1 + r.below(3);
        let keep: Vec<usize> = match n {
            3 => match r.weighted(&[0.45, 0.2, 0.35]) {
                0 => vec![0, 1, 2],
                1 => vec![1, 2, 3],
                _ => {
                    let drop = r.below(4);
                    (0..4).filter(|i| *i != drop).collect()
                }
            },
            2 => {
                if r.chance(0.5) {
                    vec![0, 1]
                } else {
                    let a = r.below(4);
                    let b = (a + 1 + r.below(3)) % 4;
                    vec![a, b]
                }
            }
            _ => vec![if r.chance(0.6) { 0 } else { r.below(4) }],
        };
        for (i, f) in hs.fingers.iter_mut().enumerate() {
            f.extended = keep.contains(&i);
        }
    }
    if has(Problem::TooMany) {
        hs.thumb.pose = ThumbPose::Extended;
        hs.thumb.angle_deg = -r.range(20.0, 40.0);
        hs.thumb.width_mm = 20.5 * hs.size * r.range(0.95, 1.05);
    }
    let mut no_hand_mode = 0;
    if has(Problem::NoHand) {
        no_hand_mode = r.weighted(&[0.4, 0.3, 0.3]);
        match no_hand_mode {
            0 => hand_present = false,
            1 => {
                for f in hs.fingers.iter_mut() {
                    f.extended = false;
                }
            }
            _ => {}
        }
    }

    // Distance.
    let mut ppi_fixed = None;
    if has(Problem::TooFar) {
        ppi_fixed = Some(if near_p {
            r.range(333.0, 349.5)
        } else {
            r.range(200.0, 330.0)
        });
    }
    if has(Problem::TooClose) {
        ppi_fixed = Some(if near_p {
            r.range(701.0, 735.0)
        } else {
            r.range(740.0, 1000.0)
        });
    }
    if clean_near && clean_near_which == 0 {
        ppi_fixed = Some(if r.chance(0.5) {
            r.range(351.0, 367.0)
        } else {
            r.range(666.0, 699.0)
        });
    }
    // Keep the rotation and the spread within what lets the fingertips fit at a usable
    // resolution: people facing a narrow frame hold their fingers closer and straighter.
    if has(Problem::TooMany) {
        // The thumb needs room: of a few rotations, take the one that fits best.
        let mut best = (f32::MIN, hs.rotation_deg);
        for _ in 0..6 {
            hs.rotation_deg = r.range(-30.0, 30.0);
            let f = fit_ppi(&hs, wf, hf, margin);
            if f > best.0 {
                best = (f, hs.rotation_deg);
            }
        }
        hs.rotation_deg = best.1;
    }
    for i in 0..8 {
        if has(Problem::TooMany) || fit_ppi(&hs, wf, hf, margin) >= 385.0 {
            break;
        }
        hs.rotation_deg *= 0.6;
        if i >= 2 {
            hs.finger_gap_mm = hs.finger_gap_mm.min(0.5) * 0.5;
            for (j, f) in hs.fingers.iter_mut().enumerate() {
                f.angle_deg *= if j == 1 { 1.0 } else { 0.5 };
            }
        }
    }
    let fit = fit_ppi(&hs, wf, hf, margin);
    hs.ppi = match ppi_fixed {
        Some(p) => p,
        None => {
            let lo = 370.0f32;
            let hi = 680.0f32.min(fit);
            if hi > lo + 5.0 {
                lo + (hi - lo) * r.f32().sqrt()
            } else {
                // The frame cannot hold the fingertips at a usable resolution: fill it.
                hi.max(150.0)
            }
        }
    };
    place(&mut r, &mut hs, wf, hf, margin);

    // Framing problems.
    if has(Problem::OutOfFrame) {
        let edge = r.weighted(&[0.4, 0.3, 0.3]);
        let dir = match edge {
            0 => [0.0, -1.0],
            1 => [-1.0, 0.0],
            _ => [1.0, 0.0],
        };
        let target = if near_p {
            if r.chance(0.5) {
                r.range(0.8, 0.9)
            } else {
                r.range(0.45, 0.55)
            }
        } else {
            r.range(0.52, 0.78)
        };
        if let Some(d) = extreme_digit(&hs, w, h, dir) {
            let reach = wf.max(hf);
            shift_until(&mut hs, dir, reach, target, |s| inside_of(s, d, w, h));
        }
    }
    if has(Problem::NoHand) && no_hand_mode == 2 {
        let dir = match r.weighted(&[0.5, 0.25, 0.25]) {
            0 => [0.0, -1.0],
            1 => [-1.0, 0.0],
            _ => [1.0, 0.0],
        };
        let target = r.range(0.0, 0.3);
        let reach = wf.max(hf) * 1.5;
        shift_until(&mut hs, dir, reach, target, |s| max_inside(s, w, h));
    }

    // Camera and light.
    if has(Problem::Defocus) {
        camera.blur_sigma_mm = if near_p {
            r.range(0.126, 0.15)
        } else {
            r.range(0.16, 0.45)
        };
    }
    if has(Problem::Motion) {
        camera.motion_mm = if near_p {
            r.range(0.405, 0.48)
        } else {
            r.range(0.5, 2.0)
        };
    }
    if has(Problem::Dark) {
        camera.target_luma = if near_p {
            r.range(54.5, 59.0)
        } else {
            r.range(12.0, 50.0)
        };
        camera.noise_sigma = r.range(2.0, 7.0);
    }
    if has(Problem::Bright) {
        if near_p {
            camera.target_luma = r.range(201.0, 206.0);
        } else {
            camera.target_luma = r.range(208.0, 246.0);
            if r.chance(0.3) {
                camera.gamma = r.range(0.6, 0.8);
            }
        }
        light.ambient = r.range(0.2, 0.4);
    }
    if has(Problem::LowRidge) {
        hs.skin.ridge_contrast = if near_p {
            r.range(0.26, 0.34)
        } else {
            r.range(0.05, 0.25)
        };
        if r.chance(0.6) {
            hs.skin.dirt = r.range(0.3, 1.0);
        }
        camera.blur_sigma_mm = r.range(0.0, 0.05);
        camera.motion_mm = r.range(0.0, 0.12);
    }
    if has(Problem::Glare) && hand_present {
        glare = glare_spots(&mut r, &hs, false, near_p);
    } else if hand_present && r.chance(0.12) {
        // Incidental tiny highlights.
        glare.push(GlareSpot {
            digit: r.below(4) as u8,
            at: [r.range(-3.0, 3.0), r.range(3.0, 9.0)],
            radius: [r.range(0.08, 0.2), r.range(0.1, 0.25)],
            intensity: r.range(0.1, 0.35),
        });
    }
    if clean_near {
        match clean_near_which {
            1 => camera.blur_sigma_mm = r.range(0.1, 0.124),
            2 => camera.motion_mm = r.range(0.32, 0.395),
            3 => {
                camera.target_luma = if r.chance(0.5) {
                    r.range(61.0, 66.0)
                } else {
                    r.range(194.0, 199.0)
                }
            }
            4 => hs.skin.ridge_contrast = r.range(0.36, 0.5),
            _ => {}
        }
    }

    let intent = problems.iter().map(|p| p.code()).collect();
    SceneSpec {
        seed,
        width: w,
        height: h,
        intent,
        hand: hand_present.then_some(hs),
        glare,
        background,
        light,
        camera,
    }
}

/// Frames of a capture sequence.
pub(crate) fn sequence_specs(spec: &SequenceSpec) -> Vec<(f64, SceneSpec)> {
    let (w, h) = (spec.width.max(1), spec.height.max(1));
    let (wf, hf) = (w as f32, h as f32);
    let margin = 0.04 * wf.min(hf);
    let mut r = Rng::new(spec.seed, 0x5E0);
    let mut base = random_spec(spec.seed, w, h);
    base.intent.clear();
    base.glare.clear();
    let mut hs = base_hand(&mut r);
    hs.rotation_deg = r.range(-12.0, 12.0);
    base.camera.target_luma = r.range(100.0, 160.0);
    base.camera.blur_sigma_mm = 0.02;
    base.camera.motion_mm = 0.0;
    let end_ppi = spec
        .end_ppi
        .min(0.98 * fit_ppi(&hs, wf, hf, margin))
        .max(spec.start_ppi);
    // Keep the centre of the fingertips' box at a fixed point while the scale changes.
    hs.ppi = end_ppi;
    let centre = [wf * r.range(0.42, 0.58), hf * r.range(0.4, 0.55)];
    let rel_centre = |hs: &HandSpec| -> [f32; 2] {
        let k = hs.ppi / 25.4;
        match print_box_mm(hs) {
            Some(b) => [0.5 * (b[0] + b[2]) * k, 0.5 * (b[1] + b[3]) * k],
            None => [0.0, 0.0],
        }
    };
    let fps = spec.fps.max(1.0);
    let total = spec.approach_s.max(0.0) + spec.shake_s.max(0.0) + spec.settle_s.max(0.0);
    let n = (total * fps).round().max(1.0) as usize;
    let mut out = Vec::with_capacity(n);
    let mut shake = Rng::new(spec.seed, 0x5A4E);
    for i in 0..n {
        let t = i as f32 / fps;
        let mut s = base.clone();
        let mut hs_t = hs.clone();
        let mut disp = [0.0f32, 0.0];
        if t < spec.approach_s {
            let u = t / spec.approach_s.max(1e-3);
            let e = u * u * (3.0 - 2.0 * u);
            hs_t.ppi = spec.start_ppi + (end_ppi - spec.start_ppi) * e;
            // Approaching fast: some motion, focus lagging behind.
            let speed = 6.0 * u * (1.0 - u);
            s.camera.motion_mm = 0.12 + 0.25 * speed;
            s.camera.motion_angle_deg = 90.0;
            s.camera.blur_sigma_mm = 0.06 + 0.1 * speed;
        } else if t < spec.approach_s + spec.shake_s {
            hs_t.ppi = end_ppi;
            let k = end_ppi / 25.4;
            let a = spec.shake_displacement_mm * k;
            disp = [shake.range(-a, a), shake.range(-a, a)];
            s.camera.motion_mm = spec.shake_motion_mm * shake.range(0.6, 1.4);
            s.camera.motion_angle_deg = shake.range(0.0, 180.0);
            s.camera.blur_sigma_mm = 0.08;
        } else {
            hs_t.ppi = end_ppi;
            let ts = t - spec.approach_s - spec.shake_s;
            s.camera.motion_mm = 0.05 * (-ts / 0.2).exp();
            s.camera.blur_sigma_mm = 0.02 + spec.settle_blur_mm * (-ts / 0.35).exp();
        }
        let rc = rel_centre(&hs_t);
        hs_t.origin_px = [centre[0] - rc[0] + disp[0], centre[1] - rc[1] + disp[1]];
        s.hand = Some(hs_t);
        s.camera.noise_seed = mix64(spec.seed.wrapping_mul(1_000_003).wrapping_add(i as u64));
        out.push((i as f64 / fps as f64, s));
    }
    out
}
