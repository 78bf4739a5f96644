//! Backgrounds: walls, gradients, wood, fabric, cluttered rooms with skin-coloured objects, dark
//! and bright rooms. Drawn at reduced resolution when the depth of field blurs them anyway,
//! then blurred and upsampled.

use super::degrade::{Planes, gaussian_blur};
use super::rng::{Rng, ValueNoise};
use super::{BackgroundKind, BackgroundSpec};

/// One object of a cluttered scene.
struct Shape {
    /// Axis-aligned bounds, for a cheap rejection.
    bb: [f32; 4],
    kind: u8,
    cx: f32,
    cy: f32,
    hx: f32,
    hy: f32,
    cos: f32,
    sin: f32,
    color: [f32; 3],
    shade: f32,
}

/// Colours of everyday objects, a third of them skin-like (beige, tan, brown, pink).
const PALETTE: [[f32; 3]; 18] = [
    [225.0, 190.0, 160.0],
    [205.0, 160.0, 120.0],
    [180.0, 130.0, 95.0],
    [235.0, 200.0, 185.0],
    [140.0, 95.0, 70.0],
    [215.0, 175.0, 140.0],
    [60.0, 60.0, 65.0],
    [30.0, 30.0, 35.0],
    [235.0, 235.0, 230.0],
    [170.0, 40.0, 40.0],
    [40.0, 80.0, 160.0],
    [60.0, 130.0, 70.0],
    [220.0, 190.0, 60.0],
    [120.0, 120.0, 125.0],
    [90.0, 60.0, 40.0],
    [200.0, 200.0, 205.0],
    [150.0, 110.0, 170.0],
    [245.0, 240.0, 225.0],
];

fn mix(a: [f32; 3], b: [f32; 3], t: f32) -> [f32; 3] {
    [
        a[0] + (b[0] - a[0]) * t,
        a[1] + (b[1] - a[1]) * t,
        a[2] + (b[2] - a[2]) * t,
    ]
}

/// Renders the background into `out` (full resolution; resized as needed).
pub(crate) fn render(spec: &BackgroundSpec, width: u32, height: u32, out: &mut Planes) {
    let (w, h) = (width as usize, height as usize);
    // Blurred backgrounds are drawn coarser: the blur hides the difference.
    // Drawn at half resolution or coarser: the upsampling adds about half a pixel of blur.
    let f = (spec.blur_px.floor() as usize).clamp(2, 8);
    let lw = w.div_ceil(f) + 1;
    let lh = h.div_ceil(f) + 1;
    let mut low = Planes::new(lw, lh);
    let diag = ((w * w + h * h) as f32).sqrt();
    let mut rng = Rng::new(spec.detail_seed, 0xB6);
    let low_noise = ValueNoise::new(
        spec.detail_seed,
        1,
        0.0,
        0.0,
        w as f32,
        h as f32,
        diag / 6.0,
    );
    let mid_noise = ValueNoise::new(
        spec.detail_seed,
        2,
        0.0,
        0.0,
        w as f32,
        h as f32,
        diag / 40.0,
    );
    let fine_noise = ValueNoise::new(
        spec.detail_seed,
        3,
        0.0,
        0.0,
        w as f32,
        h as f32,
        diag / 300.0,
    );
    let c = spec.colors;
    let lvl = spec.level;
    let gdir = rng.range(0.0, std::f32::consts::TAU);
    let (gs, gc) = gdir.sin_cos();
    let shapes = match spec.kind {
        BackgroundKind::Cluttered | BackgroundKind::DarkRoom | BackgroundKind::BrightRoom => {
            make_shapes(&mut rng, spec.kind, w as f32, h as f32)
        }
        _ => Vec::new(),
    };
    let horizon = rng.range(0.25, 0.75) * h as f32;
    let wood_angle = rng.range(-0.6, 0.6)
        + if rng.chance(0.5) {
            std::f32::consts::FRAC_PI_2
        } else {
            0.0
        };
    let (ws, wc) = wood_angle.sin_cos();
    let plank = rng.range(0.06, 0.16) * diag;
    let grain = rng.range(0.004, 0.012) * diag;
    let weave = rng.range(3.0, 9.0);
    let weave_angle = rng.range(0.0, std::f32::consts::PI);
    let (vs, vc) = weave_angle.sin_cos();
    for ly in 0..lh {
        for lx in 0..lw {
            let x = (lx * f) as f32;
            let y = (ly * f) as f32;
            let n1 = low_noise.at(x, y);
            let n2 = mid_noise.at(x, y);
            let col = match spec.kind {
                BackgroundKind::Uniform => {
                    let t = 1.0 + 0.06 * n1 + 0.02 * n2;
                    [c[0][0] * t, c[0][1] * t, c[0][2] * t]
                }
                BackgroundKind::Gradient => {
                    let t = ((x - w as f32 * 0.5) * gc + (y - h as f32 * 0.5) * gs) / diag + 0.5;
                    let col = mix(c[0], c[1], t.clamp(0.0, 1.0));
                    let g = 1.0 + 0.04 * n1;
                    [col[0] * g, col[1] * g, col[2] * g]
                }
                BackgroundKind::Wood => wood(x, y, wc, ws, plank, grain, &c, n1, n2, &fine_noise),
                BackgroundKind::Fabric => {
                    let u = x * vc + y * vs;
                    let v = -x * vs + y * vc;
                    let p = std::f32::consts::TAU / weave;
                    let wv = (u * p).sin() * (v * p).sin();
                    let fold = 0.18 * n1 + 0.08 * n2;
                    let t = 0.5 + 0.5 * wv;
                    let col = mix(c[0], c[1], 0.35 * t);
                    let g = 1.0 + fold + 0.05 * fine_noise.at(x, y);
                    [col[0] * g, col[1] * g, col[2] * g]
                }
                BackgroundKind::Cluttered
                | BackgroundKind::DarkRoom
                | BackgroundKind::BrightRoom => {
                    let base = if y < horizon {
                        let g = 1.0 + 0.08 * n1;
                        [c[0][0] * g, c[0][1] * g, c[0][2] * g]
                    } else {
                        wood(
                            x,
                            y,
                            1.0,
                            0.05,
                            plank,
                            grain,
                            &[c[1], c[2], c[2]],
                            n1,
                            n2,
                            &fine_noise,
                        )
                    };
                    draw_shapes(&shapes, x, y, base, n2)
                }
            };
            let i = ly * lw + lx;
            low.c[0][i] = col[0] * lvl;
            low.c[1][i] = col[1] * lvl;
            low.c[2][i] = col[2] * lvl;
        }
    }
    let sigma_low = (spec.blur_px * spec.blur_px - (0.5 * f as f32).powi(2))
        .max(0.0)
        .sqrt()
        / f as f32;
    if sigma_low > 0.3 {
        gaussian_blur(&mut low, sigma_low);
    }
    upsample(&low, f, w, h, out);
}

#[allow(clippy::too_many_arguments)]
fn wood(
    x: f32,
    y: f32,
    wc: f32,
    ws: f32,
    plank: f32,
    grain: f32,
    c: &[[f32; 3]; 3],
    n1: f32,
    n2: f32,
    fine: &ValueNoise,
) -> [f32; 3] {
    let s = x * wc + y * ws;
    let t = -x * ws + y * wc;
    let pi = (t / plank).floor();
    let ft = t / plank - pi;
    let h = super::rng::mix64(pi as i64 as u64);
    let tint = ((h & 0xFF) as f32 / 255.0 - 0.5) * 0.25;
    let offset = ((h >> 8) & 0xFFFF) as f32;
    let g =
        ((t + 6.0 * n2 * grain + 0.3 * (s + offset) * 0.02) / grain * std::f32::consts::TAU).sin();
    let fg = fine.at(s * 0.2 + offset, t * 3.0);
    let seam = if !(0.01..=0.99).contains(&ft) {
        0.55
    } else {
        1.0
    };
    let m = (0.5 + 0.3 * g + 0.2 * fg).clamp(0.0, 1.0);
    let col = mix(c[1], c[2], m);
    let g = (1.0 + tint + 0.06 * n1) * seam;
    [col[0] * g, col[1] * g, col[2] * g]
}

fn make_shapes(rng: &mut Rng, kind: BackgroundKind, w: f32, h: f32) -> Vec<Shape> {
    let n = match kind {
        BackgroundKind::Cluttered => 8 + rng.below(18),
        _ => 3 + rng.below(6),
    };
    let scale = w.max(h);
    (0..n)
        .map(|_| {
            let kind = rng.weighted(&[4.0, 3.0, 1.5, 1.0]) as u8;
            let a = if rng.chance(0.6) {
                0.0
            } else {
                rng.range(-0.8, 0.8)
            };
            let mut color = PALETTE[rng.below(PALETTE.len())];
            for c in color.iter_mut() {
                *c *= rng.range(0.8, 1.15);
            }
            let (hx, hy) = match kind {
                2 => (rng.range(0.2, 0.6) * scale, rng.range(0.002, 0.008) * scale),
                _ => (rng.range(0.03, 0.25) * scale, rng.range(0.03, 0.25) * scale),
            };
            let cx = rng.range(-0.1, 1.1) * w;
            let cy = rng.range(-0.1, 1.1) * h;
            let ext = hx.hypot(hy);
            Shape {
                bb: [cx - ext, cy - ext, cx + ext, cy + ext],
                kind,
                cx,
                cy,
                hx,
                hy,
                cos: a.cos(),
                sin: a.sin(),
                color,
                shade: rng.range(-0.25, 0.25),
            }
        })
        .collect()
}

fn draw_shapes(shapes: &[Shape], x: f32, y: f32, mut col: [f32; 3], n2: f32) -> [f32; 3] {
    for s in shapes {
        if x < s.bb[0] || x > s.bb[2] || y < s.bb[1] || y > s.bb[3] {
            continue;
        }
        let dx = x - s.cx;
        let dy = y - s.cy;
        let u = (dx * s.cos + dy * s.sin) / s.hx;
        let v = (-dx * s.sin + dy * s.cos) / s.hy;
        let inside = match s.kind {
            0 | 2 => u.abs() <= 1.0 && v.abs() <= 1.0,
            1 => u * u + v * v <= 1.0,
            // A keyboard-like grid of keys on a dark slab.
            _ => u.abs() <= 1.0 && v.abs() <= 1.0,
        };
        if inside {
            let g = 1.0 + s.shade * v + 0.05 * n2;
            col = [s.color[0] * g, s.color[1] * g, s.color[2] * g];
            if s.kind == 3 {
                let kx = ((u + 1.0) * 12.0).fract();
                let ky = ((v + 1.0) * 4.0).fract();
                if kx > 0.12 && ky > 0.15 {
                    col = [
                        col[0] * 0.55 + 12.0,
                        col[1] * 0.55 + 12.0,
                        col[2] * 0.55 + 12.0,
                    ];
                }
            }
        }
    }
    col
}

/// Bilinear upsampling of a planes image drawn at 1/f resolution: each needed low-resolution
/// row is stretched horizontally once, then output rows blend two stretched rows.
fn upsample(low: &Planes, f: usize, w: usize, h: usize, out: &mut Planes) {
    out.resize(w, h);
    let lw = low.w;
    let inv = 1.0 / f as f32;
    let cols: Vec<(usize, f32)> = (0..w)
        .map(|x| {
            let fx = x as f32 * inv;
            let ix = (fx as usize).min(lw - 2);
            (ix, fx - ix as f32)
        })
        .collect();
    let stretch = |src: &[f32], dst: &mut Vec<f32>| {
        dst.clear();
        dst.extend(
            cols.iter()
                .map(|&(ix, tx)| src[ix] + (src[ix + 1] - src[ix]) * tx),
        );
    };
    let mut ha = Vec::with_capacity(w);
    let mut hb = Vec::with_capacity(w);
    for ch in 0..3 {
        let src = &low.c[ch];
        let dst = &mut out.c[ch];
        let mut have = usize::MAX;
        for y in 0..h {
            let fy = y as f32 * inv;
            let iy = (fy as usize).min(low.h - 2);
            let ty = fy - iy as f32;
            if have != iy {
                if have.wrapping_add(1) == iy {
                    std::mem::swap(&mut ha, &mut hb);
                } else {
                    stretch(&src[iy * lw..(iy + 1) * lw], &mut ha);
                }
                stretch(&src[(iy + 1) * lw..(iy + 2) * lw], &mut hb);
                have = iy;
            }
            let drow = &mut dst[y * w..(y + 1) * w];
            for ((d, a), b) in drow.iter_mut().zip(&ha).zip(&hb) {
                *d = a + (b - a) * ty;
            }
        }
    }
}
