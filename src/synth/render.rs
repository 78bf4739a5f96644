//! Scene rendering: background, then the hand (shaded digits with ridges and creases over a
//! palm), specular spots, optics, exposure, noise, JPEG; then the labels measured on the result.

use super::background;
use super::degrade::{self, Planes, Tone};
use super::hand::{self, Digit, HandModel, Xform, pattern_phase, smoothstep};
use super::labels;
use super::rng::{Lattice, ValueNoise};
use super::{GlareSpot, HandSpec, Scene, SceneSpec};

/// Mask bits of the per-pixel label buffer.
pub(crate) const M_DIGIT: u8 = 0b0000_0111; // extended digit slot + 1 (1..=5)
pub(crate) const M_HAND: u8 = 0b0000_1000; // any hand pixel (coverage >= 0.5)
pub(crate) const M_SPOT: u8 = 0b0001_0000; // inside a specular spot's footprint
pub(crate) const M_THUMB: u8 = 0b0010_0000; // thumb pixel, any pose

/// cos(2 pi t): range-reduced polynomial, ~1e-6 accurate, much cheaper than `f32::cos`.
#[inline]
pub(crate) fn cos_turns(t: f32) -> f32 {
    let x = t - t.floor(); // [0, 1)
    let y = (x - 0.5).abs(); // cos(2 pi x) = -cos(2 pi (x - 0.5)) = -cos(2 pi y)
    let (yy, sign) = if y > 0.25 { (0.5 - y, 1.0) } else { (y, -1.0) };
    let a = std::f32::consts::TAU * yy;
    let z = a * a;
    let c = 1.0 - z * (0.5 - z * (1.0 / 24.0 - z * (1.0 / 720.0 - z * (1.0 / 40320.0))));
    sign * c
}

/// arcsin for |s| < 1 (clamped at 0.98): enough to unroll the ridges around the finger.
#[inline]
fn asin_approx(s: f32) -> f32 {
    let s = s.clamp(-0.98, 0.98);
    let s2 = s * s;
    s * (1.0 + s2 * (1.0 / 6.0 + s2 * (3.0 / 40.0 + s2 * (15.0 / 336.0 + s2 * 0.0303))))
}

/// Noise fields of the skin. `tint` (hand mm): low-frequency colour + fine mottling.
/// `pad` (digit pad coordinates, mm): ridge phase jitter, ridge breaks, contrast patches, dirt.
struct Fields {
    tint: Lattice<2>,
    pad: Lattice<4>,
    /// Pore-scale texture on the pads (cell 0.09 mm): irregular ridge edges, pores.
    micro: Lattice<1>,
}

pub(crate) fn render(spec: &SceneSpec) -> Scene {
    let (w, h) = (spec.width.max(1) as usize, spec.height.max(1) as usize);
    let t0 = std::time::Instant::now();
    let timing = std::env::var_os("SYNTH_TIMING").is_some();
    let lap = |what: &str| {
        if timing {
            eprintln!("{what}: {:.1} ms", t0.elapsed().as_secs_f64() * 1e3);
        }
    };
    let mut planes = Planes::default();
    background::render(&spec.background, w as u32, h as u32, &mut planes);
    lap("background");
    let mut mask = vec![0u8; w * h];
    let model = spec.hand.as_ref().map(HandModel::new);
    let (blur_px, motion_px) = match &spec.hand {
        Some(hs) => {
            let k = hs.ppi / 25.4;
            (spec.camera.blur_sigma_mm * k, spec.camera.motion_mm * k)
        }
        None => (
            spec.camera.blur_sigma_mm * 20.0,
            spec.camera.motion_mm * 20.0,
        ),
    };
    if let (Some(hs), Some(m)) = (&spec.hand, &model) {
        draw_hand(spec, hs, m, &mut planes, &mut mask);
        mark_spots(&spec.glare, m, blur_px, motion_px, w, h, &mut mask);
    }
    lap("hand");
    degrade::gaussian_blur(&mut planes, blur_px);
    lap("blur");
    degrade::motion_blur(
        &mut planes,
        motion_px,
        spec.camera.motion_angle_deg.to_radians(),
    );

    // Exposure: aim the mean finger luma (or the frame mean without fingers) at the target.
    let light = &spec.light;
    let illum = degrade::Illumination {
        color: light.color,
        gradient: light.gradient,
        vignette: light.vignette,
    };
    lap("motion");
    let tone = Tone::new(spec.camera.gamma);
    let mut samples = Vec::with_capacity(20_000);
    let finger_px = mask.iter().filter(|m| **m & M_DIGIT != 0).count();
    let stride = ((if finger_px > 0 { finger_px } else { w * h }) / 8_000).max(1);
    let mut seen = 0usize;
    for (i, m) in mask.iter().enumerate() {
        if finger_px == 0 || *m & M_DIGIT != 0 {
            if seen % stride == 0 {
                let f = illum.at(i % w, i / w, w, h);
                samples.push([
                    planes.c[0][i] * f * light.color[0],
                    planes.c[1][i] * f * light.color[1],
                    planes.c[2][i] * f * light.color[2],
                ]);
            }
            seen += 1;
        }
    }
    let gain = degrade::solve_gain(&samples, &tone, spec.camera.target_luma);
    lap("gain+field");
    let mut raw = vec![0u8; w * h * 3];
    degrade::expose(
        &planes,
        gain,
        &illum,
        &tone,
        spec.camera.noise_sigma,
        spec.camera.noise_seed,
        &mut raw,
    );
    let mut image = image::RgbImage::from_raw(w as u32, h as u32, raw)
        .unwrap_or_else(|| image::RgbImage::new(w as u32, h as u32));
    lap("expose");
    let mut jpeg = spec.camera.jpeg_quality;
    if let Some(q) = jpeg {
        match degrade::jpeg_roundtrip(&image, q) {
            Some(dec) => image = dec,
            None => jpeg = None,
        }
    }
    lap("jpeg");
    let labels = labels::measure(
        spec,
        model.as_ref(),
        &image,
        &mask,
        blur_px,
        motion_px,
        jpeg,
    );
    lap("labels");
    let mask = image::GrayImage::from_raw(w as u32, h as u32, mask)
        .unwrap_or_else(|| image::GrayImage::new(w as u32, h as u32));
    Scene {
        image,
        labels,
        mask,
    }
}

/// Per-digit constants hoisted out of the pixel loop.
struct DigitCache {
    perp: [f32; 2],
    c0: f32,
    ridged: bool,
    /// Image-space bounds of the digit (px), grown by two pixels.
    bb: [f32; 4],
}

#[allow(clippy::too_many_lines)]
fn draw_hand(spec: &SceneSpec, hs: &HandSpec, m: &HandModel, planes: &mut Planes, mask: &mut [u8]) {
    let (w, h) = (planes.w, planes.h);
    let xf: &Xform = &m.xform;
    let k = xf.k;
    let s = hs.size;
    // Hand-space bounds: the outline lies within these.
    let (hx0, hx1) = (m.palm.xl_top - 75.0 * s, m.palm.xr_top + 25.0 * s);
    let (hy0, hy1) = (-450.0 * s, 100.0 * s);
    let mut bb = [
        f32::INFINITY,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::NEG_INFINITY,
    ];
    for p in [[hx0, hy0], [hx0, hy1], [hx1, hy0], [hx1, hy1]] {
        let q = xf.to_image(p);
        bb = [
            bb[0].min(q[0]),
            bb[1].min(q[1]),
            bb[2].max(q[0]),
            bb[3].max(q[1]),
        ];
    }
    let x0 = bb[0].floor().clamp(0.0, w as f32) as usize;
    let x1 = bb[2].ceil().clamp(0.0, w as f32) as usize;
    let y0 = bb[1].floor().clamp(0.0, h as f32) as usize;
    let y1 = bb[3].ceil().clamp(0.0, h as f32) as usize;
    if x0 >= x1 || y0 >= y1 {
        return;
    }
    let seed = spec.seed;
    let fields = {
        // The lattices' own nodes carry the finest field (mottle, ridge breaks); the coarser
        // fields are sampled at the nodes. The tint lattice covers only what the frame shows.
        let mut vb = [
            f32::INFINITY,
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::NEG_INFINITY,
        ];
        for q in [
            [0.0, 0.0],
            [w as f32, 0.0],
            [0.0, h as f32],
            [w as f32, h as f32],
        ] {
            let p = xf.to_hand(q);
            vb = [
                vb[0].min(p[0]),
                vb[1].min(p[1]),
                vb[2].max(p[0]),
                vb[3].max(p[1]),
            ];
        }
        let (tx0, tx1) = (vb[0].max(hx0) - 1.0, vb[2].min(hx1) + 1.0);
        let (ty0, ty1) = (vb[1].max(-130.0 * s).max(hy0) - 1.0, vb[3].min(hy1) + 1.0);
        let color = ValueNoise::new(
            seed,
            11,
            tx0,
            ty0,
            tx1.max(tx0 + 1.0),
            ty1.max(ty0 + 1.0),
            7.0,
        );
        let jitter = ValueNoise::new(seed, 13, -15.0, -5.0, 15.0, 80.0, 3.5);
        let patches = ValueNoise::new(seed, 14, -15.0, -5.0, 15.0, 80.0, 2.2);
        let dirt = ValueNoise::new(seed, 16, -15.0, -5.0, 15.0, 80.0, 1.1);
        let mut r1 = super::rng::Rng::new(seed, 12);
        let mut r2 = super::rng::Rng::new(seed, 15);
        let mut r3 = super::rng::Rng::new(seed, 17);
        Fields {
            micro: Lattice::build(-14.0, -1.0, 14.0, 45.0, 0.09, |_, _| [2.0 * r3.f32() - 1.0]),
            tint: Lattice::build(
                tx0,
                ty0,
                tx1.max(tx0 + 1.0),
                ty1.max(ty0 + 1.0),
                0.9,
                |x, y| [color.at(x, y), 2.0 * r1.f32() - 1.0],
            ),
            pad: Lattice::build(-15.0, -5.0, 15.0, 80.0, 0.55, |a, b| {
                [
                    jitter.at(a, b),
                    2.0 * r2.f32() - 1.0,
                    patches.at(a, b),
                    dirt.at(a, b),
                ]
            }),
        }
    };
    let digits: &[Digit] = &m.digits;
    let cache: Vec<DigitCache> = digits
        .iter()
        .map(|d| {
            let perp = [d.dir[1], -d.dir[0]];
            let r = d.hw_base.max(d.hw_tip) + 0.5;
            let lo = -hand::BASE_OVERLAP_MM - 0.5;
            let hi = d.len + 0.5;
            let mut bb = [
                f32::INFINITY,
                f32::INFINITY,
                f32::NEG_INFINITY,
                f32::NEG_INFINITY,
            ];
            for (u, v) in [(lo, -r), (lo, r), (hi, -r), (hi, r)] {
                let p = [
                    d.base[0] + d.dir[0] * u + perp[0] * v,
                    d.base[1] + d.dir[1] * u + perp[1] * v,
                ];
                let q = xf.to_image(p);
                bb = [
                    bb[0].min(q[0]),
                    bb[1].min(q[1]),
                    bb[2].max(q[0]),
                    bb[3].max(q[1]),
                ];
            }
            DigitCache {
                perp,
                c0: d.len - d.cap,
                ridged: d.extended,
                bb: [bb[0] - 2.0, bb[1] - 2.0, bb[2] + 2.0, bb[3] + 2.0],
            }
        })
        .collect();
    let skin = &hs.skin;
    let alb = skin.rgb;
    let period = hs.ridge_period_mm.max(0.05);
    let inv_p = 1.0 / period;
    let contrast = skin.ridge_contrast.clamp(0.0, 1.5);
    let patchy = (1.0 - contrast).clamp(0.0, 1.0);
    let depth = skin.ridge_depth;
    let light = &spec.light;
    let l = {
        let v = [light.direction[0], light.direction[1], 1.0];
        let n = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
        [v[0] / n, v[1] / n, v[2] / n]
    };
    let hv = {
        let v = [l[0], l[1], l[2] + 1.0];
        let n = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
        [v[0] / n, v[1] / n, v[2] / n]
    };
    let amb = light.ambient.clamp(0.0, 1.0);
    let wrap = 0.35;
    let shade_of = |nx: f32, ny: f32, nz: f32| -> (f32, f32) {
        let ndl = nx * l[0] + ny * l[1] + nz * l[2];
        let diff = ((ndl + wrap) / (1.0 + wrap)).max(0.0);
        let ndh = (nx * hv[0] + ny * hv[1] + nz * hv[2]).max(0.0);
        let ndh2 = ndh * ndh;
        let ndh8 = ndh2 * ndh2 * ndh2 * ndh2;
        (amb + (1.0 - amb) * diff, ndh8 * ndh8 * ndh2)
    };
    let palm = &m.palm;
    let crease_boxes: Vec<[f32; 4]> = palm
        .creases
        .iter()
        .map(|c| {
            let mut b = [
                f32::INFINITY,
                f32::INFINITY,
                f32::NEG_INFINITY,
                f32::NEG_INFINITY,
            ];
            for p in c {
                b = [
                    b[0].min(p[0]),
                    b[1].min(p[1]),
                    b[2].max(p[0]),
                    b[3].max(p[1]),
                ];
            }
            [b[0] - 2.0, b[1] - 2.0, b[2] + 2.0, b[3] + 2.0]
        })
        .collect();
    let spots_by_digit: Vec<Vec<&GlareSpot>> = (0..digits.len())
        .map(|i| {
            spec.glare
                .iter()
                .filter(|g| g.digit as usize == i)
                .collect()
        })
        .collect();
    let (sx, sy) = xf.steps();
    let wrist_y = -100.0 * s;
    let aa = 0.5; // anti-aliasing half-width in px

    let mut row_digits: Vec<usize> = Vec::with_capacity(digits.len());
    for py in y0..y1 {
        let row0 = xf.to_hand([x0 as f32 + 0.5, py as f32 + 0.5]);
        let pyf = py as f32;
        row_digits.clear();
        row_digits
            .extend((0..digits.len()).filter(|i| pyf >= cache[*i].bb[1] && pyf <= cache[*i].bb[3]));
        for px in x0..x1 {
            let pxf = px as f32;
            let t = (px - x0) as f32;
            let hx = row0[0] + sx[0] * t;
            let hy = row0[1] + sx[1] * t;
            let _ = sy;
            if hx < hx0 || hx > hx1 || hy > hy1 {
                continue;
            }
            // Nearest digit by normalised radius, and the runner-up for contact shadows.
            let mut best = usize::MAX;
            let (mut bu, mut bv, mut bnr) = (0.0f32, 0.0f32, f32::INFINITY);
            let mut second_gap = f32::INFINITY; // mm outside the runner-up's edge
            for &i in &row_digits {
                let bbx = &cache[i].bb;
                if pxf < bbx[0] || pxf > bbx[2] {
                    continue;
                }
                let d = &digits[i];
                let (u, v, nr) = d.local(hx, hy);
                if nr < bnr {
                    if best != usize::MAX {
                        second_gap = second_gap.min((bnr - 1.0) * edge_hw(&digits[best], bu));
                    }
                    best = i;
                    bu = u;
                    bv = v;
                    bnr = nr;
                } else if nr.is_finite() {
                    second_gap = second_gap.min((nr - 1.0) * edge_hw(d, u));
                }
            }
            let mut alpha_d = 0.0;
            if best != usize::MAX && bnr.is_finite() {
                let edge_mm = (1.0 - bnr) * edge_hw(&digits[best], bu);
                alpha_d = (aa + edge_mm * k).clamp(0.0, 1.0);
            }
            // Palm (and forearm): not needed deep inside a digit, away from its base.
            let deep = alpha_d >= 1.0 && (bu > 3.5 || digits[best].curled);
            let (top, xl, xr, alpha_p) = if deep {
                (0.0, 0.0, 1.0, 0.0)
            } else {
                let top = palm.top(hx);
                let (xl, xr) = palm.sides(hy);
                let palm_edge = (top - hy).min(hx - xl).min(xr - hx);
                (top, xl, xr, (aa + palm_edge * k).clamp(0.0, 1.0))
            };
            if alpha_d <= 0.0 && alpha_p <= 0.0 {
                continue;
            }
            let [cn, mottle] = fields.tint.at(hx, hy);
            let tint = 1.0 + 0.04 * cn + 0.015 * mottle;
            // Blood under the skin: redness varies slowly across the hand.
            let hue = [1.0 + 0.02 * cn, 1.0 - 0.015 * cn, 1.0 - 0.03 * cn];
            // Contact shadow from the neighbouring digit.
            let ao = if second_gap < 5.0 {
                1.0 - 0.38 * (-(second_gap.max(0.0)) * (1.0 / 0.7)).exp()
            } else {
                1.0
            };

            // Palm colour.
            let mut palm_col = [0f32; 3];
            if alpha_p > 0.0 {
                let nx = ((2.0 * hx - xl - xr) / (xr - xl).max(1.0)).clamp(-1.0, 1.0);
                let ny = ((top - hy) / (12.0 * s)).clamp(0.0, 1.0);
                let top_round = 1.0 - ny; // rounding over the knuckle pads under the fingers
                let n = [0.8 * nx, 0.35 * top_round, 0.0];
                let nz = (1.0 - n[0] * n[0] - n[1] * n[1]).max(0.05).sqrt();
                let (sh, sp) = shade_of(n[0], n[1], nz);
                let mut crease = 1.0;
                for (c, b) in palm.creases.iter().zip(&crease_boxes) {
                    if hx >= b[0] && hx <= b[2] && hy >= b[1] && hy <= b[3] {
                        let d = polyline_dist(c, hx, hy);
                        // A soft fold: a faint dark core and a wider shadow.
                        crease *= line(d, 0.1, 0.1) * line(d, 0.06, 1.2);
                    }
                }
                // Wrist creases.
                let dw = hy - wrist_y;
                crease *= line(dw, 0.14, 0.3) * line(dw + 4.0 * s, 0.1, 0.3);
                // Shadow of the digits near them: the webs between finger bases, under a
                // folded thumb; not below the finger bases, where the finger merges in.
                let near = if bnr.is_finite() && alpha_d < 1.0 {
                    let gap = ((bnr - 1.0) * edge_hw(&digits[best], bu)).max(0.0);
                    let above = if digits[best].extended && !digits[best].thumb {
                        smoothstep(-3.0, 1.0, bu)
                    } else {
                        1.0
                    };
                    1.0 - 0.3 * above * (-gap / 1.2).exp()
                } else {
                    1.0
                };
                // Faint papillary ridges on the palm, running roughly across it.
                let ph = (hy + 0.15 * hx + 1.5 * cn) * inv_p * 0.9;
                let pr = 1.0 + 0.4 * depth * contrast * cos_turns(ph);
                let g = sh * crease * near * tint * pr;
                let redder = 1.0 - 0.2 * (1.0 - crease);
                palm_col = [
                    alb[0] * g * hue[0] + 255.0 * skin.sheen * sp,
                    alb[1] * g * redder * hue[1] + 255.0 * skin.sheen * sp,
                    alb[2] * g * redder * hue[2] + 255.0 * skin.sheen * sp,
                ];
            }

            // Digit colour.
            let mut dig_col = [0f32; 3];
            let mut weight_d = 0.0;
            let mut is_finger_px = false;
            if alpha_d > 0.0 {
                let d = &digits[best];
                let dc = &cache[best];
                let hw = d.hw(bu);
                let (nx, ny, nz, dv) = if bu > dc.c0 {
                    let du = (bu - dc.c0) / d.cap;
                    let dv = bv / d.hw_tip;
                    let nz = (1.0 - bnr * bnr).max(0.0).sqrt();
                    (
                        dc.perp[0] * dv + d.dir[0] * du,
                        dc.perp[1] * dv + d.dir[1] * du,
                        nz,
                        dv,
                    )
                } else if d.curled && bu < d.cap {
                    let du = (bu - d.cap) / d.cap;
                    let dv = bv / d.hw_base;
                    let nz = (1.0 - bnr * bnr).max(0.0).sqrt();
                    (
                        dc.perp[0] * dv + d.dir[0] * du,
                        dc.perp[1] * dv + d.dir[1] * du,
                        nz,
                        dv,
                    )
                } else {
                    let dv = (bv / hw).clamp(-1.0, 1.0);
                    (
                        dc.perp[0] * dv,
                        dc.perp[1] * dv,
                        (1.0 - dv * dv).max(0.0).sqrt(),
                        dv,
                    )
                };
                let (sh, sp) = shade_of(nx, ny, nz);
                let b = d.len - bu; // mm from the tip
                // Flexion creases: the distal one below the pad, a double one at the middle
                // joint, and the palmar digital crease at the base.
                let bend = 0.8 * dv * dv;
                let mut crease = 1.0;
                let (c1, c3, c5) = (b - d.dip - bend, b - d.pip - bend, bu - 1.5 + bend);
                let near_crease = c1 > -3.0 && c1 < 3.0 || c3 > -5.0 && c3 < 3.0 || c5 < 4.0;
                if !d.curled && near_crease {
                    // Each crease: fine dark lines in a broader soft fold, with the skin just
                    // above it catching a little more light.
                    crease = line(c1, 0.17, 0.05)
                        * line(c1 - 0.7, 0.1, 0.04)
                        * line(c1 - 0.3, 0.08, 0.9)
                        * line(c1 + 1.3, -0.03, 0.4)
                        * line(c3, 0.14, 0.05)
                        * line(c3 - 0.8, 0.12, 0.05)
                        * line(c3 - 1.7, 0.09, 0.05)
                        * line(c3 - 0.9, 0.08, 1.4)
                        * line(c5, 0.16, 0.08)
                        * line(c5 + 0.9, 0.08, 0.6);
                }
                // Ridges.
                let mut ridge = 1.0;
                let mut dirt = 1.0;
                if dc.ridged && bu > -1.0 {
                    let a = hw * asin_approx(dv);
                    // Arches already run across the finger; other patterns blend into the
                    // across-running ridges of the middle phalanx below the pad.
                    let wb = if d.pattern.kind == super::PatternKind::Arch {
                        0.0
                    } else {
                        smoothstep(d.dip - 10.0, d.dip - 1.0, b)
                    };
                    let h1 = if wb < 1.0 {
                        pattern_phase(&d.pattern, d.pattern_sc, a, b)
                    } else {
                        0.0
                    };
                    let [jit, bk, pn, dn] = fields.pad.at(a, b);
                    let mut ph = if wb > 0.0 {
                        let h2 = b / 0.9 + 0.15 * a * jit;
                        h1 + (h2 - h1) * wb
                    } else {
                        h1
                    };
                    ph += 0.12 * jit;
                    let [mi] = fields.micro.at(a, b);
                    let r = cos_turns(ph * inv_p) + 0.5 * mi;
                    let edge = (1.0 - bnr * bnr * bnr * bnr).max(0.0);
                    let mut amp = depth * (1.0 - 0.55 * wb) * edge;
                    if patchy > 0.0 {
                        amp *= contrast * (1.0 + 0.9 * pn).clamp(0.15, 1.9);
                    } else {
                        amp *= contrast;
                    }
                    amp *= 1.0 - 0.85 * smoothstep(0.45, 0.7, bk);
                    ridge = 1.0 + amp * r;
                    if skin.dirt > 0.0 && b < d.dip {
                        // Smudges: the dirt field sampled twice on rotated axes, so the
                        // thresholded shapes follow no lattice.
                        let dn2 = fields
                            .pad
                            .at(0.8 * a + 0.6 * b + 3.1, -0.6 * a + 0.8 * b + 7.3)[3];
                        let dd = 0.5 * (dn + dn2);
                        dirt = 1.0 - 0.2 * skin.dirt * smoothstep(0.2, 0.55, dd);
                    }
                }
                // Fingertips, creases and the silhouette (light scattered through the skin)
                // are redder.
                let tipred = 1.0
                    - 0.05 * smoothstep(9.0, 1.0, b)
                    - 0.2 * (1.0 - crease)
                    - 0.08 * smoothstep(0.75, 1.0, bnr);
                let g = sh * crease * ridge * dirt * ao * tint;
                let mut col = [
                    alb[0] * g * hue[0] + 255.0 * skin.sheen * sp,
                    alb[1] * g * tipred * hue[1] + 255.0 * skin.sheen * sp,
                    alb[2] * g * tipred * hue[2] + 255.0 * skin.sheen * sp,
                ];
                if dirt < 1.0 {
                    // Dirt is greyer than skin.
                    let l = 0.3 * col[0] + 0.55 * col[1] + 0.15 * col[2];
                    let k = (1.0 - dirt) * 1.2;
                    for c in col.iter_mut() {
                        *c += (l - *c) * k;
                    }
                }
                // Long nails peek over the fingertips of some hands: a pale rim at the tip.
                if hs.nail_rim_mm > 0.0 && d.extended && b < hs.nail_rim_mm && dv.abs() < 0.75 {
                    let k = smoothstep(hs.nail_rim_mm, 0.6 * hs.nail_rim_mm, b)
                        * smoothstep(0.75, 0.55, dv.abs());
                    let nail = [
                        alb[0] * 0.95 + 40.0,
                        alb[1] * 0.95 + 42.0,
                        alb[2] * 0.95 + 44.0,
                    ];
                    for c in 0..3 {
                        col[c] += (nail[c] * sh - col[c]) * k * 0.8;
                    }
                }
                // Nails show on the folded thumb and on curled fingers.
                if (d.curled || (d.thumb && !d.extended)) && b < 12.0 * s && dv.abs() < 0.72 {
                    let nb = smoothstep(12.0 * s, 10.5 * s, b) * smoothstep(0.72, 0.6, dv.abs());
                    let nail = [
                        (alb[0] * 1.05 + 25.0) * sh,
                        (alb[1] * 1.0 + 28.0) * sh,
                        (alb[2] * 1.0 + 30.0) * sh,
                    ];
                    for c in 0..3 {
                        col[c] += (nail[c] - col[c]) * nb * 0.85;
                    }
                }
                // Specular spots (glare).
                for g in &spots_by_digit[best] {
                    let qa = (bv - g.at[0]) / g.radius[0];
                    let qb = (b - g.at[1]) / g.radius[1];
                    let q = qa * qa + qb * qb;
                    if q < 9.0 {
                        // A flat bright core and a soft halo around it.
                        let e = g.intensity * 255.0 * (2.2 * (-(q * q)).exp() + 0.25 * (-q).exp());
                        for c in col.iter_mut() {
                            *c += e;
                        }
                    }
                }
                dig_col = col;
                // Digits blend into the palm over their last millimetres (the thumb into the
                // thenar eminence).
                weight_d = if !d.curled && alpha_p > 0.0 {
                    smoothstep(-hand::BASE_OVERLAP_MM, 2.0, bu)
                } else {
                    1.0
                };
                is_finger_px = d.extended && bu >= 0.0 && alpha_d >= 0.5;
            }
            let a_d = alpha_d * weight_d;
            let cover = alpha_d.max(alpha_p);
            let hand_col = if alpha_p > 0.0 {
                [
                    palm_col[0] + (dig_col[0] - palm_col[0]) * a_d / cover.max(1e-6),
                    palm_col[1] + (dig_col[1] - palm_col[1]) * a_d / cover.max(1e-6),
                    palm_col[2] + (dig_col[2] - palm_col[2]) * a_d / cover.max(1e-6),
                ]
            } else {
                dig_col
            };
            let i = py * w + px;
            for (plane, hc) in planes.c.iter_mut().zip(hand_col) {
                let bg = plane[i];
                plane[i] = bg + (hc - bg) * cover;
            }
            let mut mk = 0u8;
            if cover >= 0.5 {
                mk |= M_HAND;
            }
            if is_finger_px {
                mk |= (best as u8 + 1) & M_DIGIT;
            }
            if best != usize::MAX && digits[best].thumb && alpha_d >= 0.5 {
                mk |= M_THUMB;
            }
            mask[i] = mk;
        }
    }
}

/// A crease across the skin: darkening `depth` with a Gaussian profile of variance `var` mm^2,
/// `c` mm from its centre line.
#[inline]
fn line(c: f32, depth: f32, var: f32) -> f32 {
    // `var` is always a literal: the reciprocal folds to a constant after inlining.
    let q = c * c * (1.0 / var);
    if q > 9.0 {
        1.0
    } else {
        1.0 - depth * (-q).exp()
    }
}

/// The half width that converts a normalised radius to millimetres at `u`.
#[inline]
fn edge_hw(d: &Digit, u: f32) -> f32 {
    if u > d.len - d.cap {
        d.hw_tip.min(d.cap)
    } else {
        d.hw(u)
    }
}

fn polyline_dist(c: &[[f32; 2]; 9], x: f32, y: f32) -> f32 {
    let mut best = f32::INFINITY;
    for s in c.windows(2) {
        let (a, b) = (s[0], s[1]);
        let (vx, vy) = (b[0] - a[0], b[1] - a[1]);
        let (wx, wy) = (x - a[0], y - a[1]);
        let t = ((wx * vx + wy * vy) / (vx * vx + vy * vy).max(1e-6)).clamp(0.0, 1.0);
        let dx = wx - t * vx;
        let dy = wy - t * vy;
        best = best.min(dx * dx + dy * dy);
    }
    best.sqrt()
}

/// Marks the footprint of each specular spot (grown by the blur) in the mask.
fn mark_spots(
    spots: &[GlareSpot],
    m: &HandModel,
    blur_px: f32,
    motion_px: f32,
    w: usize,
    h: usize,
    mask: &mut [u8],
) {
    let xf = &m.xform;
    for g in spots {
        let Some(d) = m.digits.get(g.digit as usize) else {
            continue;
        };
        let perp = [d.dir[1], -d.dir[0]];
        let u = d.len - g.at[1];
        let p = [
            d.base[0] + d.dir[0] * u + perp[0] * g.at[0],
            d.base[1] + d.dir[1] * u + perp[1] * g.at[0],
        ];
        let c = xf.to_image(p);
        let r = g.radius[0].max(g.radius[1]) * 1.6 * xf.k + 2.0 * blur_px + 0.5 * motion_px + 1.5;
        let xa = (c[0] - r).floor().clamp(0.0, w as f32) as usize;
        let xb = (c[0] + r).ceil().clamp(0.0, w as f32) as usize;
        let ya = (c[1] - r).floor().clamp(0.0, h as f32) as usize;
        let yb = (c[1] + r).ceil().clamp(0.0, h as f32) as usize;
        for y in ya..yb {
            for x in xa..xb {
                let dx = x as f32 + 0.5 - c[0];
                let dy = y as f32 + 0.5 - c[1];
                if dx * dx + dy * dy <= r * r {
                    mask[y * w + x] |= M_SPOT;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_cos_matches_std() {
        for i in -2000..2000 {
            let t = i as f32 * 0.00377;
            let want = (std::f32::consts::TAU * t).cos();
            // Polynomial range reduction: 1e-4 absolute is far below one grey level of ridge.
            assert!((cos_turns(t) - want).abs() < 1e-4, "t {t}");
        }
    }
}
