//! What the camera does to the scene, with known amounts: defocus (Gaussian), motion blur (a
//! line of known length), exposure (gain, gamma, clipping), sensor noise and JPEG.

use super::rng::{Rng, gauss_from_bits};

/// A float RGB image as three planes (scene values on a 0-255 display scale; highlights may
/// exceed 255 until exposure clips them).
#[derive(Clone, Debug, Default)]
pub(crate) struct Planes {
    pub w: usize,
    pub h: usize,
    pub c: [Vec<f32>; 3],
}

impl Planes {
    pub(crate) fn new(w: usize, h: usize) -> Self {
        Planes {
            w,
            h,
            c: [vec![0.0; w * h], vec![0.0; w * h], vec![0.0; w * h]],
        }
    }

    pub(crate) fn resize(&mut self, w: usize, h: usize) {
        self.w = w;
        self.h = h;
        for c in self.c.iter_mut() {
            c.resize(w * h, 0.0);
        }
    }
}

/// Gaussian blur of standard deviation `sigma` pixels on every plane (clamp-to-edge borders).
/// Small sigmas use an exact sampled kernel; larger ones three extended box filters whose
/// variances add up to sigma^2 exactly (Gwosdek et al. 2011), which is O(1) per pixel.
pub(crate) fn gaussian_blur(p: &mut Planes, sigma: f32) {
    if sigma < 0.2 || p.w == 0 || p.h == 0 {
        return;
    }
    let (w, h) = (p.w, p.h);
    let mut tmp = vec![0f32; w * h];
    if sigma <= 2.0 {
        let r = (3.0 * sigma).ceil() as usize;
        let mut k: Vec<f32> = (0..=2 * r)
            .map(|i| {
                let d = i as f32 - r as f32;
                (-0.5 * d * d / (sigma * sigma)).exp()
            })
            .collect();
        let s: f32 = k.iter().sum();
        k.iter_mut().for_each(|v| *v /= s);
        for plane in p.c.iter_mut() {
            conv_rows(plane, &mut tmp, w, h, &k);
            conv_cols(&tmp, plane, w, h, &k);
        }
    } else {
        let v = sigma * sigma / 3.0;
        for plane in p.c.iter_mut() {
            for _ in 0..3 {
                ext_box_rows(plane, &mut tmp, w, h, v);
                ext_box_cols(&tmp, plane, w, h, v);
            }
        }
    }
}

fn conv_rows(src: &[f32], dst: &mut [f32], w: usize, h: usize, k: &[f32]) {
    let r = k.len() / 2;
    // A clamped, padded copy of the row lets every tap run as one vectorisable pass over x.
    let mut pad = vec![0f32; w + 2 * r];
    for y in 0..h {
        let s = &src[y * w..(y + 1) * w];
        pad[r..r + w].copy_from_slice(s);
        let (first, last) = (s[0], s[w - 1]);
        pad[..r].iter_mut().for_each(|p| *p = first);
        pad[r + w..].iter_mut().for_each(|p| *p = last);
        let d = &mut dst[y * w..(y + 1) * w];
        for (o, a) in d.iter_mut().zip(&pad[..w]) {
            *o = a * k[0];
        }
        for (j, kv) in k.iter().enumerate().skip(1) {
            for (o, a) in d.iter_mut().zip(&pad[j..j + w]) {
                *o += a * kv;
            }
        }
    }
}

fn conv_cols(src: &[f32], dst: &mut [f32], w: usize, h: usize, k: &[f32]) {
    let r = k.len() / 2;
    let row = |i: isize| {
        let y = i.clamp(0, h as isize - 1) as usize;
        &src[y * w..(y + 1) * w]
    };
    for y in 0..h {
        let d = &mut dst[y * w..(y + 1) * w];
        let yi = y as isize - r as isize;
        for (o, a) in d.iter_mut().zip(row(yi)) {
            *o = a * k[0];
        }
        for (j, kv) in k.iter().enumerate().skip(1) {
            for (o, a) in d.iter_mut().zip(row(yi + j as isize)) {
                *o += a * kv;
            }
        }
    }
}

/// Integer radius and end weight of an extended box with variance `v`.
fn ext_box_params(v: f32) -> (usize, f32, f32) {
    let mut l = 0usize;
    while ((l + 1) * (l + 2)) as f32 / 3.0 <= v {
        l += 1;
    }
    let lf = l as f32;
    let a = (2.0 * lf + 1.0) * (v - lf * (lf + 1.0) / 3.0) / (2.0 * ((lf + 1.0) * (lf + 1.0) - v));
    let norm = 1.0 / (2.0 * lf + 1.0 + 2.0 * a);
    (l, a, norm)
}

fn ext_box_rows(src: &[f32], dst: &mut [f32], w: usize, h: usize, v: f32) {
    let (l, a, norm) = ext_box_params(v);
    let li = l as isize;
    let at = |s: &[f32], i: isize| s[i.clamp(0, w as isize - 1) as usize];
    for y in 0..h {
        let s = &src[y * w..(y + 1) * w];
        let d = &mut dst[y * w..(y + 1) * w];
        let mut sum = 0.0f32;
        for i in -li..=li {
            sum += at(s, i);
        }
        for (x, o) in d.iter_mut().enumerate() {
            let xi = x as isize;
            *o = (sum + a * (at(s, xi - li - 1) + at(s, xi + li + 1))) * norm;
            sum += at(s, xi + li + 1) - at(s, xi - li);
        }
    }
}

fn ext_box_cols(src: &[f32], dst: &mut [f32], w: usize, h: usize, v: f32) {
    let (l, a, norm) = ext_box_params(v);
    let li = l as isize;
    let row = |i: isize| {
        let y = i.clamp(0, h as isize - 1) as usize;
        &src[y * w..(y + 1) * w]
    };
    let mut sum = vec![0f32; w];
    for i in -li..=li {
        for (s, v) in sum.iter_mut().zip(row(i)) {
            *s += v;
        }
    }
    for y in 0..h {
        let yi = y as isize;
        let lo = row(yi - li - 1);
        let hi = row(yi + li + 1);
        let out = row(yi - li);
        let d = &mut dst[y * w..(y + 1) * w];
        for x in 0..w {
            d[x] = (sum[x] + a * (lo[x] + hi[x])) * norm;
            sum[x] += hi[x] - out[x];
        }
    }
}

/// Motion blur: a box of `len` pixels along `angle` (radians, image coordinates), built as
/// repeated halving: the average of two copies shifted by +-len/4, each itself a line of len/2.
/// After n passes the kernel is 2^n equally spaced taps spanning the line.
pub(crate) fn motion_blur(p: &mut Planes, len: f32, angle: f32) {
    if len < 0.7 || p.w < 2 || p.h < 2 {
        return;
    }
    let (w, h) = (p.w, p.h);
    let passes = (len.log2().ceil() as i32 + 1).clamp(1, 10);
    let (s, c) = angle.sin_cos();
    let mut tmp = vec![0f32; w * h];
    for plane in p.c.iter_mut() {
        let mut off = len / 4.0;
        for _ in 0..passes {
            shift_average(plane, &mut tmp, w, h, off * c, off * s);
            plane.copy_from_slice(&tmp);
            off *= 0.5;
        }
    }
}

/// dst = (src shifted by +d + src shifted by -d) / 2, bilinear, clamp-to-edge.
fn shift_average(src: &[f32], dst: &mut [f32], w: usize, h: usize, dx: f32, dy: f32) {
    // One bilinear sample of a whole row, shifted by (dx, dy); clamping only near the ends.
    let sample_row = |dst: &mut [f32], y: usize, dx: f32, dy: f32, add: bool| {
        let fy = y as f32 + dy;
        let y0 = fy.floor();
        let ty = fy - y0;
        let ya = (y0 as isize).clamp(0, h as isize - 1) as usize;
        let yb = (y0 as isize + 1).clamp(0, h as isize - 1) as usize;
        let ra = &src[ya * w..(ya + 1) * w];
        let rb = &src[yb * w..(yb + 1) * w];
        let x0 = dx.floor();
        let tx = dx - x0;
        let ox = x0 as isize;
        let wi = w as isize;
        // Interior: x + ox and x + ox + 1 both inside the row.
        let lo = (-ox).clamp(0, wi) as usize;
        let hi = (wi - 1 - ox).clamp(lo as isize, wi) as usize;
        let (wa, wb, wc, wd) = (
            0.5 * (1.0 - tx) * (1.0 - ty),
            0.5 * tx * (1.0 - ty),
            0.5 * (1.0 - tx) * ty,
            0.5 * tx * ty,
        );
        let edge = |x: usize| {
            let xa = (x as isize + ox).clamp(0, wi - 1) as usize;
            let xb = (x as isize + ox + 1).clamp(0, wi - 1) as usize;
            wa * ra[xa] + wb * ra[xb] + wc * rb[xa] + wd * rb[xb]
        };
        for x in (0..lo).chain(hi..w) {
            let v = edge(x);
            if add {
                dst[x] += v;
            } else {
                dst[x] = v;
            }
        }
        if hi > lo {
            let s0 = (lo as isize + ox) as usize;
            let n = hi - lo;
            let (a0, a1) = (&ra[s0..s0 + n], &ra[s0 + 1..s0 + 1 + n]);
            let (b0, b1) = (&rb[s0..s0 + n], &rb[s0 + 1..s0 + 1 + n]);
            let d = &mut dst[lo..hi];
            let it = d.iter_mut().zip(a0.iter().zip(a1)).zip(b0.iter().zip(b1));
            if add {
                for ((o, (p, q)), (r, t)) in it {
                    *o += wa * p + wb * q + wc * r + wd * t;
                }
            } else {
                for ((o, (p, q)), (r, t)) in it {
                    *o = wa * p + wb * q + wc * r + wd * t;
                }
            }
        }
    };
    for y in 0..h {
        let d = &mut dst[y * w..(y + 1) * w];
        sample_row(d, y, dx, dy, false);
        sample_row(d, y, -dx, -dy, true);
    }
}

/// The tone curve of the camera: value after gain -> 255 * (x / 255)^gamma, clipped at 255.
pub(crate) struct Tone {
    lut: Vec<f32>,
}

const LUT_STEPS: f32 = 16.0;

impl Tone {
    pub(crate) fn new(gamma: f32) -> Self {
        let n = (255.0 * LUT_STEPS) as usize + 2;
        let lut = (0..n)
            .map(|i| {
                let x = (i as f32 / LUT_STEPS / 255.0).min(1.0);
                255.0 * x.powf(gamma)
            })
            .collect();
        Tone { lut }
    }

    #[inline]
    pub(crate) fn apply(&self, x: f32) -> f32 {
        // Saturating float-to-int conversion maps negatives to 0 and overflow to the top.
        let i = ((x * LUT_STEPS) as usize).min(self.lut.len() - 1);
        self.lut[i]
    }
}

/// The gain that brings the mean BT.601 luma of `samples` (scene RGB) to `target` after the
/// tone curve (bisection in log gain).
pub(crate) fn solve_gain(samples: &[[f32; 3]], tone: &Tone, target: f32) -> f32 {
    if samples.is_empty() {
        return 1.0;
    }
    let mean_at = |g: f32| {
        let mut s = 0.0f64;
        for p in samples {
            let r = tone.apply(g * p[0]);
            let gg = tone.apply(g * p[1]);
            let b = tone.apply(g * p[2]);
            s += (0.299 * r + 0.587 * gg + 0.114 * b) as f64;
        }
        (s / samples.len() as f64) as f32
    };
    let (mut lo, mut hi) = ((0.005f32).ln(), (80.0f32).ln());
    for _ in 0..22 {
        let mid = 0.5 * (lo + hi);
        if mean_at(mid.exp()) < target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (0.5 * (lo + hi)).exp()
}

/// Light colour and the smooth illumination field over the frame (gradient and vignette).
pub(crate) struct Illumination {
    pub color: [f32; 3],
    pub gradient: [f32; 2],
    pub vignette: f32,
}

impl Illumination {
    /// The field at pixel (x, y) of a w x h frame (colour excluded).
    #[inline]
    pub(crate) fn at(&self, x: usize, y: usize, w: usize, h: usize) -> f32 {
        let fx = x as f32 / w as f32 - 0.5;
        let fy = y as f32 / h as f32 - 0.5;
        let r2 = (fx * fx + fy * fy) * 2.0;
        (1.0 + self.gradient[0] * fx + self.gradient[1] * fy) * (1.0 - self.vignette * r2)
    }
}

/// Illumination, gain, tone curve, sensor noise and quantisation to 8 bits. The noise is
/// Gaussian with `noise_sigma` levels per channel: a part shared between the channels (as real
/// luma noise is, 0.6 sigma) plus a part of each channel's own (0.8 sigma). Each row reads its
/// noise contiguously from a table of 64k Gaussian values at random offsets, which keeps the
/// loops vectorisable; rows and channels use independent offsets.
#[allow(clippy::too_many_arguments)]
pub(crate) fn expose(
    p: &Planes,
    gain: f32,
    illum: &Illumination,
    tone: &Tone,
    noise_sigma: f32,
    noise_seed: u64,
    out: &mut [u8],
) {
    let (w, h) = (p.w, p.h);
    const TABLE: usize = 1 << 16;
    let mut rng = Rng::new(noise_seed, 0x5E);
    let table: Vec<f32> = (0..TABLE + w)
        .map(|_| gauss_from_bits(rng.next_u64()))
        .collect();
    let shared = 0.6 * noise_sigma;
    let own = 0.8 * noise_sigma;
    // The field is separable but for the vignette: precompute the per-column terms.
    let gx: Vec<f32> = (0..w)
        .map(|x| illum.gradient[0] * (x as f32 / w as f32 - 0.5))
        .collect();
    let vx: Vec<f32> = (0..w)
        .map(|x| {
            let fx = x as f32 / w as f32 - 0.5;
            2.0 * fx * fx
        })
        .collect();
    let mut fr = vec![0f32; w];
    let mut ch = vec![0f32; w];
    let mut off = || (rng.next_u64() >> 48) as usize & (TABLE - 1);
    for y in 0..h {
        let fy = y as f32 / h as f32 - 0.5;
        let gy = 1.0 + illum.gradient[1] * fy;
        let vy = 2.0 * fy * fy;
        for ((f, g), v) in fr.iter_mut().zip(&gx).zip(&vx) {
            *f = gain * (gy + g) * (1.0 - illum.vignette * (v + vy));
        }
        let os = off();
        let ns = &table[os..os + w];
        let orow = &mut out[3 * y * w..3 * (y + 1) * w];
        for c in 0..3 {
            let src = &p.c[c][y * w..(y + 1) * w];
            let k = illum.color[c];
            for ((o, f), v) in ch.iter_mut().zip(&fr).zip(src) {
                *o = tone.apply(f * k * v);
            }
            if noise_sigma > 0.0 {
                let oc = off();
                let nc = &table[oc..oc + w];
                for ((o, a), b) in ch.iter_mut().zip(ns).zip(nc) {
                    *o += shared * a + own * b;
                }
            }
            // `as u8` saturates: negatives become 0, values above 255 become 255.
            for (o, v) in orow.chunks_exact_mut(3).zip(&ch) {
                o[c] = (v + 0.5) as u8;
            }
        }
    }
}

/// JPEG round trip with the `image` crate's encoder; `None` if encoding or decoding failed
/// (the caller keeps the uncompressed image and labels it so).
pub(crate) fn jpeg_roundtrip(img: &image::RgbImage, quality: u8) -> Option<image::RgbImage> {
    let mut buf = Vec::new();
    let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut buf, quality.clamp(1, 100));
    image::ImageEncoder::write_image(
        enc,
        img.as_raw(),
        img.width(),
        img.height(),
        image::ExtendedColorType::Rgb8,
    )
    .ok()?;
    let dec = image::load_from_memory_with_format(&buf, image::ImageFormat::Jpeg).ok()?;
    let rgb = dec.to_rgb8();
    (rgb.dimensions() == img.dimensions()).then_some(rgb)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn impulse(w: usize, h: usize) -> Planes {
        let mut p = Planes::new(w, h);
        p.c[0][(h / 2) * w + w / 2] = 1000.0;
        p
    }

    fn second_moment_x(p: &Planes) -> (f32, f32) {
        let (w, h) = (p.w, p.h);
        let mut s = 0.0;
        let mut sxx = 0.0;
        let mut syy = 0.0;
        for y in 0..h {
            for x in 0..w {
                let v = p.c[0][y * w + x];
                let dx = x as f32 - (w / 2) as f32;
                let dy = y as f32 - (h / 2) as f32;
                s += v;
                sxx += v * dx * dx;
                syy += v * dy * dy;
            }
        }
        (sxx / s, syy / s)
    }

    #[test]
    fn blur_variance_matches_sigma() {
        for sigma in [0.8f32, 1.7, 2.6, 5.3] {
            let mut p = impulse(81, 81);
            gaussian_blur(&mut p, sigma);
            let (vx, vy) = second_moment_x(&p);
            // Sampled kernels and extended boxes reproduce the variance to within 3%.
            let want = sigma * sigma;
            assert!((vx - want).abs() / want < 0.03, "sigma {sigma}: var x {vx}");
            assert!((vy - want).abs() / want < 0.03, "sigma {sigma}: var y {vy}");
        }
    }

    #[test]
    fn motion_blur_is_a_line_of_the_given_length() {
        let len = 16.0f32;
        let mut p = impulse(81, 81);
        motion_blur(&mut p, len, 0.0);
        let (vx, vy) = second_moment_x(&p);
        // A box of length L has variance L^2/12; bilinear taps add a little (< 10%).
        let want = len * len / 12.0;
        assert!((vx - want).abs() / want < 0.1, "var x {vx} want {want}");
        assert!(vy < 0.05, "var y {vy}");
    }
}
