//! The hand's geometry in millimetres ("hand coordinates": X toward the little finger of a
//! left hand, Y toward the fingertips, origin at the middle finger's base on the palm side),
//! the mapping to image pixels, and the print-area bookkeeping behind the framing labels.

use super::{HandSpec, PatternKind, RidgePattern, ThumbPose};
use crate::config::Hand;
use crate::frame::Rect;
use crate::report::FingerName;

/// How far the digits reach below their base into the palm (mm), so tilted fingers leave no
/// gap at their base corners; the palm colour takes over there.
pub(crate) const BASE_OVERLAP_MM: f32 = 8.0;
/// Share of a digit's length (from the tip) that is its print area, as in
/// `FramingConfig::print_fraction_of_finger`.
pub const PRINT_FRACTION: f32 = 0.2;

/// One digit resolved into hand coordinates.
#[derive(Clone, Debug)]
pub(crate) struct Digit {
    pub name: FingerName,
    /// Whether the palm side of the fingertip faces the camera (it can count).
    pub extended: bool,
    /// A folded finger: a capsule lying on the palm, rounded at both ends, nail at its tip.
    pub curled: bool,
    pub thumb: bool,
    pub base: [f32; 2],
    pub dir: [f32; 2],
    pub len: f32,
    pub hw_base: f32,
    pub hw_tip: f32,
    /// Length of the rounded tip cap (mm).
    pub cap: f32,
    /// Distal and proximal interphalangeal creases, mm from the tip.
    pub dip: f32,
    pub pip: f32,
    pub pattern: RidgePattern,
    /// sin and cos of the pattern angle, hoisted out of the pixel loop.
    pub pattern_sc: (f32, f32),
    /// Hoisted constants of `hw`: [c0, 1/c0, u at the distal crease, u at the proximal one,
    /// 1/(c0 - ud), 1/(ud - up), 1/up].
    pub hw_k: [f32; 7],
}

impl Digit {
    /// Half width at distance `u` from the base.
    #[inline]
    pub(crate) fn hw(&self, u: f32) -> f32 {
        // Tapers from the base to the start of the tip cap, where it meets the cap's radius,
        // with the fleshy pads between the flexion creases bulging a little.
        let [_, inv_c0, ud, up, i1, i2, i3] = self.hw_k;
        let t = (u * inv_c0).clamp(0.0, 1.0);
        let taper = self.hw_base + (self.hw_tip - self.hw_base) * t;
        let (a, inv, amp) = if u > ud {
            (ud, i1, 0.025)
        } else if u > up {
            (up, i2, 0.03)
        } else {
            (0.0, i3, 0.02)
        };
        let q = ((u - a) * inv).clamp(0.0, 1.0);
        taper * (1.0 + amp * 4.0 * q * (1.0 - q))
    }

    /// Fills the hoisted constants; call after any change of the shape fields.
    pub(crate) fn prepare(&mut self) {
        let c0 = (self.len - self.cap).max(1.0);
        let ud = self.len - self.dip;
        let up = self.len - self.pip;
        self.hw_k = [
            c0,
            1.0 / c0,
            ud,
            up,
            1.0 / (c0 - ud).max(0.5),
            1.0 / (ud - up).max(0.5),
            1.0 / up.max(0.5),
        ];
    }

    /// (u along the axis from the base, v across toward +perp, normalised radius: < 1 inside).
    #[inline]
    pub(crate) fn local(&self, x: f32, y: f32) -> (f32, f32, f32) {
        let dx = x - self.base[0];
        let dy = y - self.base[1];
        let u = dx * self.dir[0] + dy * self.dir[1];
        let v = dx * self.dir[1] - dy * self.dir[0];
        let c0 = self.len - self.cap;
        let nr = if u > c0 {
            let du = (u - c0) / self.cap;
            let dv = v / self.hw_tip;
            (du * du + dv * dv).sqrt()
        } else if self.curled && u < self.cap {
            let du = (self.cap - u) / self.cap;
            let dv = v / self.hw_base;
            (du * du + dv * dv).sqrt()
        } else if u >= -BASE_OVERLAP_MM {
            v.abs() / self.hw(u)
        } else {
            f32::INFINITY
        };
        (u, v, nr)
    }

    /// The tip point in hand coordinates.
    pub(crate) fn tip(&self) -> [f32; 2] {
        [
            self.base[0] + self.dir[0] * self.len,
            self.base[1] + self.dir[1] * self.len,
        ]
    }

    /// Points covering the print area (the top `PRINT_FRACTION` of the digit), in hand
    /// coordinates, on an n x n grid in (u, v) keeping those inside the outline.
    pub(crate) fn print_samples(&self, n: usize, out: &mut Vec<[f32; 2]>) {
        out.clear();
        let u0 = self.len * (1.0 - PRINT_FRACTION);
        let perp = [self.dir[1], -self.dir[0]];
        for i in 0..n {
            let u = u0 + (self.len - u0) * (i as f32 + 0.5) / n as f32;
            for j in 0..n {
                let hw = self.hw_tip.max(self.hw(u));
                let v = -hw + 2.0 * hw * (j as f32 + 0.5) / n as f32;
                let x = self.base[0] + self.dir[0] * u + perp[0] * v;
                let y = self.base[1] + self.dir[1] * u + perp[1] * v;
                if self.local(x, y).2 < 1.0 {
                    out.push([x, y]);
                }
            }
        }
    }
}

/// The palm outline: a tapered shape under the finger bases with a thenar bulge, running into
/// the forearm.
#[derive(Clone, Debug)]
pub(crate) struct Palm {
    /// Knots of the top edge (x, y): index outer edge, the four finger bases, little outer edge.
    pub tops: [[f32; 2]; 6],
    pub xl_top: f32,
    pub xr_top: f32,
    pub xc: f32,
    pub size: f32,
    /// Palm creases as polylines (hand mm).
    pub creases: Vec<[[f32; 2]; 9]>,
}

impl Palm {
    /// Top edge height at x.
    #[inline]
    pub(crate) fn top(&self, x: f32) -> f32 {
        let t = &self.tops;
        if x <= t[0][0] {
            // The thumb-side shoulder falls away toward the thenar.
            t[0][1] - (t[0][0] - x) * 0.7
        } else if x >= t[5][0] {
            t[5][1] - (x - t[5][0]) * 1.1
        } else {
            let mut i = 0;
            while i < 4 && x > t[i + 1][0] {
                i += 1;
            }
            let f = (x - t[i][0]) / (t[i + 1][0] - t[i][0]).max(1e-3);
            t[i][1] + (t[i + 1][1] - t[i][1]) * f
        }
    }

    /// Left and right edges at height y.
    #[inline]
    pub(crate) fn sides(&self, y: f32) -> (f32, f32) {
        let s = self.size;
        let t = smoothstep(-15.0 * s, -100.0 * s, y);
        let t2 = smoothstep(-100.0 * s, -220.0 * s, y);
        let bump = |c: f32, w: f32| {
            let q = (y - c) / w;
            (1.0 - q * q).max(0.0)
        };
        let thenar = 8.0 * s * bump(-62.0 * s, 30.0 * s);
        let hypo = 3.0 * s * bump(-55.0 * s, 35.0 * s);
        let xl = self.xl_top + (self.xc - 30.0 * s - self.xl_top) * t - thenar + 3.0 * s * t2;
        let xr = self.xr_top + (self.xc + 29.0 * s - self.xr_top) * t + hypo - 3.0 * s * t2;
        (xl, xr)
    }
}

#[inline]
pub(crate) fn smoothstep(e0: f32, e1: f32, x: f32) -> f32 {
    let t = ((x - e0) * (1.0 / (e1 - e0))).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

/// Hand coordinates (mm) <-> image pixels: scale, mirror (apparent right hands), rotation.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Xform {
    /// Pixels per millimetre.
    pub k: f32,
    /// +1 for a hand that looks like a left hand, -1 for one that looks like a right hand.
    pub mx: f32,
    pub cos: f32,
    pub sin: f32,
    pub origin: [f32; 2],
}

impl Xform {
    pub(crate) fn new(ppi: f32, rotation_deg: f32, apparent: Hand, origin: [f32; 2]) -> Self {
        let r = rotation_deg.to_radians();
        Xform {
            k: ppi / 25.4,
            mx: if apparent == Hand::Right { -1.0 } else { 1.0 },
            cos: r.cos(),
            sin: r.sin(),
            origin,
        }
    }

    /// Hand (mm) to image (px). Image y points down; positive rotation is clockwise.
    #[inline]
    pub(crate) fn to_image(self, p: [f32; 2]) -> [f32; 2] {
        let ax = self.mx * p[0];
        let ay = -p[1];
        [
            self.origin[0] + self.k * (ax * self.cos - ay * self.sin),
            self.origin[1] + self.k * (ax * self.sin + ay * self.cos),
        ]
    }

    /// A direction (unit, hand coordinates) in image coordinates.
    pub(crate) fn dir_to_image(self, d: [f32; 2]) -> [f32; 2] {
        let ax = self.mx * d[0];
        let ay = -d[1];
        [ax * self.cos - ay * self.sin, ax * self.sin + ay * self.cos]
    }

    /// Image (px) to hand (mm).
    #[inline]
    pub(crate) fn to_hand(self, q: [f32; 2]) -> [f32; 2] {
        let dx = (q[0] - self.origin[0]) / self.k;
        let dy = (q[1] - self.origin[1]) / self.k;
        let ax = dx * self.cos + dy * self.sin;
        let ay = -dx * self.sin + dy * self.cos;
        [self.mx * ax, -ay]
    }

    /// d(hand)/d(image x) and d(hand)/d(image y): the per-pixel increments.
    pub(crate) fn steps(&self) -> ([f32; 2], [f32; 2]) {
        let sx = [self.mx * self.cos / self.k, self.sin / self.k];
        let sy = [self.mx * self.sin / self.k, -self.cos / self.k];
        (sx, sy)
    }
}

/// A whole hand resolved from its spec.
#[derive(Clone, Debug)]
pub(crate) struct HandModel {
    pub digits: Vec<Digit>,
    pub palm: Palm,
    pub xform: Xform,
}

/// The side the hand looks like in the image.
pub(crate) fn apparent_side(side: Hand, mirrored: bool) -> Hand {
    match (side, mirrored) {
        (Hand::Left, false) | (Hand::Right, true) => Hand::Left,
        (Hand::Right, false) | (Hand::Left, true) => Hand::Right,
        (Hand::Unknown, _) => Hand::Unknown,
    }
}

const FINGER_NAMES: [FingerName; 4] = [
    FingerName::Index,
    FingerName::Middle,
    FingerName::Ring,
    FingerName::Little,
];

impl HandModel {
    pub(crate) fn new(h: &HandSpec) -> HandModel {
        let s = h.size;
        let mut digits = Vec::with_capacity(5);
        // Base x positions: fingers side by side with `finger_gap_mm` between their bases.
        let hwb: Vec<f32> = h
            .fingers
            .iter()
            .map(|f| 0.5 * f.width_mm + 1.2 * s)
            .collect();
        let mut xs = [0f32; 4];
        xs[0] = -(hwb[1] + h.finger_gap_mm + hwb[0]);
        xs[2] = hwb[1] + h.finger_gap_mm + hwb[2];
        xs[3] = xs[2] + hwb[2] + h.finger_gap_mm + hwb[3];
        let base_y = [-3.0 * s, 0.0, -2.0 * s, -9.0 * s];
        for i in 0..4 {
            let f = &h.fingers[i];
            let a = f.angle_deg.to_radians();
            let dir = [a.sin(), a.cos()];
            let hw_tip = 0.5 * f.width_mm;
            if f.extended {
                digits.push(Digit {
                    name: FINGER_NAMES[i],
                    extended: true,
                    curled: false,
                    thumb: false,
                    base: [xs[i], base_y[i] + h.finger_base_jitter_mm[i]],
                    dir,
                    len: f.length_mm,
                    hw_base: hwb[i],
                    hw_tip,
                    cap: hw_tip * 1.35,
                    dip: f.length_mm * 0.33,
                    pip: f.length_mm * 0.33 + f.length_mm * 0.36,
                    pattern: f.pattern.clone(),
                    pattern_sc: f.pattern.angle_deg.to_radians().sin_cos(),
                    hw_k: [0.0; 7],
                });
            } else {
                // Folded down over the palm: the knuckle pokes just above the base line and the
                // finger lies pointing down, its nail at the lower end.
                let len = 30.0 * s * (f.length_mm / (68.0 * s)).sqrt();
                digits.push(Digit {
                    name: FINGER_NAMES[i],
                    extended: false,
                    curled: true,
                    thumb: false,
                    base: [xs[i], base_y[i] + 7.0 * s],
                    dir: [0.0, -1.0],
                    len,
                    hw_base: hwb[i] * 0.95,
                    hw_tip: hwb[i] * 0.85,
                    cap: hwb[i] * 0.85,
                    dip: len * 0.3,
                    pip: len * 0.7,
                    pattern: f.pattern.clone(),
                    pattern_sc: f.pattern.angle_deg.to_radians().sin_cos(),
                    hw_k: [0.0; 7],
                });
            }
        }
        let xl_top = xs[0] - hwb[0] - 0.5;
        let xr_top = xs[3] + hwb[3] + 0.5;
        let xc = 0.5 * (xl_top + xr_top) - 2.0 * s;
        let web = 2.5 * s;
        let by: Vec<f32> = (0..4)
            .map(|i| base_y[i] + h.finger_base_jitter_mm[i])
            .collect();
        let tops = [
            [xl_top, by[0] + web - 2.0 * s],
            [xs[0], by[0] + web],
            [xs[1], by[1] + web],
            [xs[2], by[2] + web],
            [xs[3], by[3] + web],
            [xr_top, by[3] + web - 2.0 * s],
        ];
        // Thumb.
        let t = &h.thumb;
        let a = t.angle_deg.to_radians();
        let thumb = match t.pose {
            ThumbPose::Folded => {
                // Lies across the palm from the thenar, its tip below the ring finger's base.
                let base = [xl_top + 2.0 * s, -60.0 * s];
                Digit {
                    name: FingerName::Thumb,
                    extended: false,
                    curled: false,
                    thumb: true,
                    base,
                    dir: [a.sin(), a.cos()],
                    len: t.length_mm * 0.85,
                    hw_base: 0.5 * t.width_mm + 1.5 * s,
                    hw_tip: 0.5 * t.width_mm,
                    cap: 0.5 * t.width_mm * 1.1,
                    dip: t.length_mm * 0.4,
                    pip: t.length_mm,
                    pattern: t.pattern.clone(),
                    pattern_sc: t.pattern.angle_deg.to_radians().sin_cos(),
                    hw_k: [0.0; 7],
                }
            }
            ThumbPose::Extended => {
                let base = [xl_top + 3.0 * s, -40.0 * s];
                Digit {
                    name: FingerName::Thumb,
                    extended: true,
                    curled: false,
                    thumb: true,
                    base,
                    dir: [a.sin(), a.cos()],
                    len: t.length_mm,
                    hw_base: 0.5 * t.width_mm + 2.0 * s,
                    hw_tip: 0.5 * t.width_mm,
                    cap: 0.5 * t.width_mm * 1.15,
                    dip: t.length_mm * 0.42,
                    pip: t.length_mm,
                    pattern: t.pattern.clone(),
                    pattern_sc: t.pattern.angle_deg.to_radians().sin_cos(),
                    hw_k: [0.0; 7],
                }
            }
        };
        digits.push(thumb);
        for d in digits.iter_mut() {
            d.prepare();
        }
        let creases = palm_creases(s, xl_top, xr_top, &h.palm_line_jitter);
        let apparent = apparent_side(h.side, h.mirrored);
        HandModel {
            digits,
            palm: Palm {
                tops,
                xl_top,
                xr_top,
                xc,
                size: s,
                creases,
            },
            xform: Xform::new(h.ppi, h.rotation_deg, apparent, h.origin_px),
        }
    }

    /// Image-space bounding box of the print areas of the extended digits, relative to the
    /// placement origin, for the given transform (origin ignored).
    pub(crate) fn print_bbox(&self, xf: &Xform) -> Option<[f32; 4]> {
        let xf0 = Xform {
            origin: [0.0, 0.0],
            ..*xf
        };
        let mut pts = Vec::new();
        let mut bb = [
            f32::INFINITY,
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::NEG_INFINITY,
        ];
        let mut any = false;
        for d in self.digits.iter().filter(|d| d.extended) {
            d.print_samples(10, &mut pts);
            for p in &pts {
                let q = xf0.to_image(*p);
                bb[0] = bb[0].min(q[0]);
                bb[1] = bb[1].min(q[1]);
                bb[2] = bb[2].max(q[0]);
                bb[3] = bb[3].max(q[1]);
                any = true;
            }
        }
        any.then_some(bb)
    }
}

/// Heart, head and life lines as 9-point polylines.
fn palm_creases(s: f32, xl: f32, xr: f32, jit: &[f32; 6]) -> Vec<[[f32; 2]; 9]> {
    let bez = |p0: [f32; 2], p1: [f32; 2], p2: [f32; 2]| {
        let mut out = [[0f32; 2]; 9];
        for (i, o) in out.iter_mut().enumerate() {
            let t = i as f32 / 8.0;
            let a = (1.0 - t) * (1.0 - t);
            let b = 2.0 * t * (1.0 - t);
            let c = t * t;
            *o = [
                a * p0[0] + b * p1[0] + c * p2[0],
                a * p0[1] + b * p1[1] + c * p2[1],
            ];
        }
        out
    };
    vec![
        // Heart line: from the little-finger edge, rising toward the index/middle gap.
        bez(
            [xr + 1.0, (-24.0 + jit[0]) * s],
            [12.0 * s, (-26.0 + jit[1]) * s],
            [-12.0 * s, (-10.0 + jit[2]) * s],
        ),
        // Head line: across the palm, sloping down toward the little-finger side.
        bez(
            [xl + 1.0, (-30.0 + jit[3]) * s],
            [0.0, (-38.0 + jit[4]) * s],
            [xr - 10.0 * s, (-52.0 + jit[5]) * s],
        ),
        // Life line: around the thenar eminence.
        bez(
            [xl + 2.0, (-31.0 + jit[3]) * s],
            [-6.0 * s, (-62.0 + jit[1]) * s],
            [-12.0 * s, (-100.0 + jit[2]) * s],
        ),
    ]
}

/// The print-area framing of one digit in an image: samples inside the frame, the clamped
/// bounding box, the tip and direction in pixels.
pub(crate) struct Framing {
    pub inside_fraction: f32,
    pub print_box: Rect,
    pub tip: [f32; 2],
    pub direction: [f32; 2],
    pub center: [f32; 2],
}

pub(crate) fn framing(d: &Digit, xf: &Xform, width: u32, height: u32) -> Framing {
    let mut pts = Vec::with_capacity(1024);
    d.print_samples(32, &mut pts);
    let (w, h) = (width as f32, height as f32);
    let mut inside = 0usize;
    let mut bb = [
        f32::INFINITY,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::NEG_INFINITY,
    ];
    let mut c = [0f32; 2];
    for p in &pts {
        let q = xf.to_image(*p);
        if q[0] >= 0.0 && q[0] < w && q[1] >= 0.0 && q[1] < h {
            inside += 1;
        }
        bb[0] = bb[0].min(q[0]);
        bb[1] = bb[1].min(q[1]);
        bb[2] = bb[2].max(q[0]);
        bb[3] = bb[3].max(q[1]);
        c[0] += q[0];
        c[1] += q[1];
    }
    let n = pts.len().max(1) as f32;
    let x0 = bb[0].floor().clamp(0.0, w);
    let y0 = bb[1].floor().clamp(0.0, h);
    let x1 = bb[2].ceil().clamp(0.0, w);
    let y1 = bb[3].ceil().clamp(0.0, h);
    Framing {
        inside_fraction: inside as f32 / n,
        print_box: Rect {
            x: x0 as u32,
            y: y0 as u32,
            width: (x1 - x0).max(0.0) as u32,
            height: (y1 - y0).max(0.0) as u32,
        },
        tip: xf.to_image(d.tip()),
        direction: xf.dir_to_image(d.dir),
        center: [c[0] / n, c[1] / n],
    }
}

/// The phase field (mm) of a fingerprint pattern at pad coordinates (a across, b from the tip).
#[inline]
pub(crate) fn pattern_phase(p: &RidgePattern, sc: (f32, f32), a: f32, b: f32) -> f32 {
    let qa = a - p.core[0];
    let qb = b - p.core[1];
    match p.kind {
        PatternKind::Whorl => {
            // Concentric ellipses, elongated along `angle`.
            let (s, c) = sc;
            let r1 = qa * c + qb * s;
            let r2 = -qa * s + qb * c;
            (r1 * r1 * p.aspect + r2 * r2 / p.aspect).sqrt()
        }
        PatternKind::Loop | PatternKind::TentedArch => {
            // Distance to a ray from the core: nested hairpins opening along the ray.
            let (s, c) = sc;
            let proj = qa * s + qb * c;
            if proj <= 0.0 {
                (qa * qa + qb * qb).sqrt()
            } else {
                (qa * c - qb * s).abs()
            }
        }
        PatternKind::Arch => {
            // Arcs around a centre far below the core.
            let r = 12.0 + 20.0 * p.aspect;
            let db = qb - r;
            (qa * qa * 0.8 + db * db).sqrt() - r
        }
    }
}
