//! A small self-contained PRNG (SplitMix64) and smooth value noise, so scenes are reproducible
//! bit for bit across platforms without a `rand` dependency.

/// SplitMix64: one 64-bit state, good statistical quality for this use, trivially seedable.
#[derive(Clone, Debug)]
pub(crate) struct Rng(u64);

/// One SplitMix64 output for a given state; also the hash used for per-pixel noise.
#[inline]
pub(crate) fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Rng {
    /// A generator for `seed`; `stream` separates independent uses of the same seed.
    pub(crate) fn new(seed: u64, stream: u64) -> Self {
        Rng(mix64(
            seed ^ mix64(stream.wrapping_mul(0xA24B_AED4_963E_E407)),
        ))
    }

    #[inline]
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    #[inline]
    pub(crate) fn f32(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 * (1.0 / (1u64 << 24) as f32)
    }

    /// Uniform in [lo, hi).
    #[inline]
    pub(crate) fn range(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * self.f32()
    }

    /// True with probability `p`.
    #[inline]
    pub(crate) fn chance(&mut self, p: f32) -> bool {
        self.f32() < p
    }

    /// Uniform integer in [0, n) (n > 0).
    #[inline]
    pub(crate) fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() >> 32) as usize * n.max(1)) >> 32
    }

    /// Standard normal (Box-Muller); for parameter sampling, not per pixel.
    pub(crate) fn normal(&mut self) -> f32 {
        let u1 = self.f32().max(1e-7);
        let u2 = self.f32();
        (-2.0 * u1.ln()).sqrt() * (std::f32::consts::TAU * u2).cos()
    }

    /// Picks an index with the given (non-negative) weights.
    pub(crate) fn weighted(&mut self, weights: &[f32]) -> usize {
        let total: f32 = weights.iter().sum();
        let mut r = self.f32() * total;
        for (i, w) in weights.iter().enumerate() {
            if r < *w {
                return i;
            }
            r -= w;
        }
        weights.len().saturating_sub(1)
    }
}

/// Approximately standard-normal value from 64 random bits: the sum of four 16-bit uniforms
/// (Irwin-Hall), rescaled. Cheap enough for per-pixel sensor noise; tails end at +-3.46.
#[inline]
pub(crate) fn gauss_from_bits(b: u64) -> f32 {
    let s = (b & 0xFFFF) + ((b >> 16) & 0xFFFF) + ((b >> 32) & 0xFFFF) + (b >> 48);
    // Mean 2 * 65535, variance 4/12 * 65536^2.
    (s as f32 * (1.0 / 65536.0) - 2.0) * 1.732_050_8
}

/// Smooth 2-D value noise on a lattice (values in [-1, 1]), sampled with smoothstep
/// interpolation. A lattice covers a fixed rectangle; samples outside clamp to its border.
#[derive(Clone, Debug)]
pub(crate) struct ValueNoise {
    x0: f32,
    y0: f32,
    inv_cell: f32,
    nx: usize,
    ny: usize,
    vals: Vec<f32>,
}

impl ValueNoise {
    /// Noise over [x0, x1] x [y0, y1] with features about `cell` units apart.
    pub(crate) fn new(
        seed: u64,
        stream: u64,
        x0: f32,
        y0: f32,
        x1: f32,
        y1: f32,
        cell: f32,
    ) -> Self {
        let cell = cell.max(1e-3);
        let nx = (((x1 - x0) / cell).ceil().max(1.0) as usize + 2).min(4096);
        let ny = (((y1 - y0) / cell).ceil().max(1.0) as usize + 2).min(4096);
        let mut rng = Rng::new(seed, stream);
        let vals = (0..nx * ny).map(|_| rng.f32() * 2.0 - 1.0).collect();
        ValueNoise {
            x0,
            y0,
            inv_cell: 1.0 / cell,
            nx,
            ny,
            vals,
        }
    }

    /// The noise at (x, y).
    #[inline]
    pub(crate) fn at(&self, x: f32, y: f32) -> f32 {
        let fx = ((x - self.x0) * self.inv_cell).clamp(0.0, (self.nx - 2) as f32);
        let fy = ((y - self.y0) * self.inv_cell).clamp(0.0, (self.ny - 2) as f32);
        // The clamps above keep the (saturating) conversions within the lattice.
        let ix = fx as usize;
        let iy = fy as usize;
        let tx = fx - ix as f32;
        let ty = fy - iy as f32;
        let sx = tx * tx * (3.0 - 2.0 * tx);
        let sy = ty * ty * (3.0 - 2.0 * ty);
        let i = iy * self.nx + ix;
        let (a, b) = (self.vals[i], self.vals[i + 1]);
        let (c, d) = (self.vals[i + self.nx], self.vals[i + self.nx + 1]);
        let top = a + (b - a) * sx;
        let bot = c + (d - c) * sx;
        top + (bot - top) * sy
    }
}

/// A lattice of N-channel values over a rectangle, interpolated with smoothstep weights: one
/// lookup serves several noise fields (each channel built from any function of position).
#[derive(Clone, Debug)]
pub(crate) struct Lattice<const N: usize> {
    x0: f32,
    y0: f32,
    inv_cell: f32,
    nx: usize,
    ny: usize,
    vals: Vec<[f32; N]>,
}

impl<const N: usize> Lattice<N> {
    /// Nodes every `cell` over [x0, x1] x [y0, y1], valued by `f(x, y)`.
    pub(crate) fn build(
        x0: f32,
        y0: f32,
        x1: f32,
        y1: f32,
        cell: f32,
        mut f: impl FnMut(f32, f32) -> [f32; N],
    ) -> Self {
        let cell = cell.max(1e-3);
        let nx = (((x1 - x0) / cell).ceil().max(1.0) as usize + 2).min(8192);
        let ny = (((y1 - y0) / cell).ceil().max(1.0) as usize + 2).min(8192);
        let mut vals = Vec::with_capacity(nx * ny);
        for j in 0..ny {
            for i in 0..nx {
                vals.push(f(x0 + i as f32 * cell, y0 + j as f32 * cell));
            }
        }
        Lattice {
            x0,
            y0,
            inv_cell: 1.0 / cell,
            nx,
            ny,
            vals,
        }
    }

    /// All channels at (x, y); outside the rectangle the border values hold.
    #[inline(always)]
    pub(crate) fn at(&self, x: f32, y: f32) -> [f32; N] {
        let fx = ((x - self.x0) * self.inv_cell).clamp(0.0, (self.nx - 2) as f32);
        let fy = ((y - self.y0) * self.inv_cell).clamp(0.0, (self.ny - 2) as f32);
        // The clamps above keep the (saturating) conversions within the lattice.
        let ix = fx as usize;
        let iy = fy as usize;
        let tx = fx - ix as f32;
        let ty = fy - iy as f32;
        let sx = tx * tx * (3.0 - 2.0 * tx);
        let sy = ty * ty * (3.0 - 2.0 * ty);
        let i = iy * self.nx + ix;
        // Two slices of two nodes each: one bounds check per row.
        let (Some(r0), Some(r1)) = (
            self.vals.get(i..i + 2),
            self.vals.get(i + self.nx..i + self.nx + 2),
        ) else {
            return [0.0; N];
        };
        let mut out = [0f32; N];
        for (k, o) in out.iter_mut().enumerate() {
            let top = r0[0][k] + (r0[1][k] - r0[0][k]) * sx;
            let bot = r1[0][k] + (r1[1][k] - r1[0][k]) * sx;
            *o = top + (bot - top) * sy;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uniform_and_gauss_moments() {
        let mut r = Rng::new(1, 2);
        let n = 200_000;
        let (mut s, mut s2) = (0.0f64, 0.0f64);
        for _ in 0..n {
            let g = gauss_from_bits(r.next_u64()) as f64;
            s += g;
            s2 += g * g;
        }
        let mean = s / n as f64;
        let var = s2 / n as f64 - mean * mean;
        // Tolerances: 5 standard errors of the sample mean / variance.
        assert!(mean.abs() < 0.012, "mean {mean}");
        assert!((var - 1.0).abs() < 0.02, "var {var}");
        let m: f32 = (0..n).map(|_| r.f32()).sum::<f32>() / n as f32;
        assert!((m - 0.5).abs() < 0.005, "uniform mean {m}");
    }

    #[test]
    fn streams_differ_and_repeat() {
        let a: Vec<u64> = (0..4)
            .map({
                let mut r = Rng::new(7, 1);
                move |_| r.next_u64()
            })
            .collect();
        let b: Vec<u64> = (0..4)
            .map({
                let mut r = Rng::new(7, 1);
                move |_| r.next_u64()
            })
            .collect();
        let c: Vec<u64> = (0..4)
            .map({
                let mut r = Rng::new(7, 2);
                move |_| r.next_u64()
            })
            .collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }
}
