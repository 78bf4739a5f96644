//! Fast pixel kernels and the choice between their implementations.
//!
//! Every kernel here has a scalar reference elsewhere (for the downsample:
//! [`crate::frame::FrameView::downsample_into_scalar`]) that it must match exactly; the property
//! tests in `tests/kernels.rs` compare them on odd sizes, strides and factors, forcing each
//! [`Kernel`] this CPU can run.
//!
//! The fast code is written once, as plain loops over row slices that the compiler vectorises,
//! and compiled twice on x86-64: for the baseline (SSE2) and inside an AVX2 `target_feature`
//! function picked at run time. On aarch64 NEON is part of the baseline, so the portable build
//! is already the NEON one.

pub(crate) mod downsample;

/// Defines `$name`, a dispatcher that runs `$portable` compiled with AVX2 (the twin `$avx2`,
/// the same body in a `target_feature` function, so the compiler vectorises it twice as wide)
/// when the CPU has it, and `$portable` as built for the baseline otherwise. The twin only
/// changes the instruction set, never the arithmetic (Rust does not contract `a * b + c` into
/// a fused multiply-add unless told to), so both give the same bits; the kernels' property
/// tests compare them through [`Kernel`].
macro_rules! avx2_twin {
    (
        $(#[$doc:meta])*
        fn $name:ident / $avx2:ident ($($arg:ident: $ty:ty),* $(,)?) $(-> $ret:ty)? => $portable:ident
    ) => {
        $(#[$doc])*
        fn $name($($arg: $ty),*) $(-> $ret)? {
            #[cfg(target_arch = "x86_64")]
            if $crate::kernels::Kernel::best() == $crate::kernels::Kernel::Avx2 {
                // SAFETY: the CPU supports AVX2 (detected at run time just above).
                return unsafe { $avx2($($arg),*) };
            }
            $portable($($arg),*)
        }

        #[doc = concat!("[`", stringify!($portable), "`] compiled with AVX2.")]
        ///
        /// # Safety
        /// The CPU must support AVX2.
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx2")]
        unsafe fn $avx2($($arg: $ty),*) $(-> $ret)? {
            $portable($($arg),*)
        }
    };
}
pub(crate) use avx2_twin;

/// An implementation of the fast kernels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Kernel {
    /// The scalar reference: simple per-pixel code, the oracle the others are tested against.
    Scalar,
    /// The vectorisable code compiled for the target's baseline (SSE2 on x86-64, NEON on aarch64).
    Portable,
    /// The same code compiled with AVX2 enabled (x86-64 CPUs that have it).
    Avx2,
}

impl Kernel {
    /// Every kernel, whether or not this CPU can run it.
    pub const ALL: [Kernel; 3] = [Kernel::Scalar, Kernel::Portable, Kernel::Avx2];

    /// Whether this CPU can run the kernel.
    pub fn is_available(self) -> bool {
        match self {
            Kernel::Scalar | Kernel::Portable => true,
            Kernel::Avx2 => avx2_available(),
        }
    }

    /// The fastest kernel this CPU can run (detected at run time; the detection is cached by std).
    pub fn best() -> Kernel {
        if avx2_available() {
            Kernel::Avx2
        } else {
            Kernel::Portable
        }
    }

    /// The kernels this CPU can run.
    pub fn available() -> impl Iterator<Item = Kernel> {
        Kernel::ALL.into_iter().filter(|k| k.is_available())
    }
}

#[cfg(target_arch = "x86_64")]
fn avx2_available() -> bool {
    std::arch::is_x86_feature_detected!("avx2")
}

#[cfg(not(target_arch = "x86_64"))]
fn avx2_available() -> bool {
    false
}

/// Rounded division by a fixed `n`, `(a + n / 2) / n`, by multiplication: the downsample divides
/// each output pixel's sum by its pixel count, and a hardware divide per output pixel and
/// channel costs more than the vectorised sums themselves.
///
/// Exact for every `n` in 1..=65536 and every `a <= 255 * n` (a block's sum of 8-bit values):
/// with `m = ceil(2^40 / n) = (2^40 + e) / n`, `0 <= e < n`, and `x = a + n / 2 < 256 n`,
/// `x m / 2^40 = x / n + x e / (n 2^40)`; the error term is below `1 / n` because
/// `x e < 256 n (n - 1) < 2^40`, and the fractional part of `x / n` is at most `(n - 1) / n`,
/// so the floor does not change.
///
/// For `n` up to [`RoundDiv::MAX_SMALL_N`] (the divisors of the unrolled block widths: at most
/// 12 x 12), [`RoundDiv::div_small`] does the same in 32 bits with `m24 = ceil(2^24 / n)`, which
/// vectorises twice as wide: the error term is below `1 / n` because `x e < 256 n^2 <= 2^24`,
/// and `x m24 <= 255.5 n (2^24 / n + 1) < 2^32`, so the product does not overflow.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RoundDiv {
    half: u32,
    m: u64,
    /// `ceil(2^24 / n)` when `n <= MAX_SMALL_N`, else 0.
    m24: u32,
}

impl RoundDiv {
    /// Largest divisor for which [`RoundDiv::div`] is exact.
    pub(crate) const MAX_N: u32 = 1 << 16;

    /// Largest divisor for which [`RoundDiv::div_small`] is exact.
    pub(crate) const MAX_SMALL_N: u32 = 255;

    /// A divider by `n` (1..=[`RoundDiv::MAX_N`]; callers check).
    #[inline]
    pub(crate) fn new(n: u32) -> Self {
        let n = n.clamp(1, Self::MAX_N);
        RoundDiv {
            half: n / 2,
            m: (1u64 << 40).div_ceil(n as u64),
            m24: if n <= Self::MAX_SMALL_N {
                (1u32 << 24).div_ceil(n)
            } else {
                0
            },
        }
    }

    /// `(a + n / 2) / n` for `a <= 255 * n`, as a byte.
    #[inline(always)]
    pub(crate) fn div(&self, a: u32) -> u8 {
        (((a + self.half) as u64 * self.m) >> 40) as u8
    }

    /// [`RoundDiv::div`] in 32-bit arithmetic, for a divider made with `n <=`
    /// [`RoundDiv::MAX_SMALL_N`] (callers guarantee it; others read 0).
    #[inline(always)]
    pub(crate) fn div_small(&self, a: u32) -> u8 {
        debug_assert!(self.m24 != 0, "div_small on a divider above MAX_SMALL_N");
        ((a + self.half).wrapping_mul(self.m24) >> 24) as u8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_div_matches_division() {
        // Every sum for the divisors a downsample by up to 16 can produce (rows x cols), and
        // the edges of the exactness argument for large ones. Tolerance: exact.
        let check = |n: u32, a: u32| {
            let want = ((a + n / 2) / n) as u8;
            let d = RoundDiv::new(n);
            assert_eq!(d.div(a), want, "n {n} a {a}");
            if n <= RoundDiv::MAX_SMALL_N {
                assert_eq!(d.div_small(a), want, "small: n {n} a {a}");
            }
        };
        for n in 1..=256u32 {
            for a in 0..=255 * n {
                check(n, a);
            }
        }
        for n in [257, 1000, 4095, 4096, 65535, 65536] {
            for a in (0..=255 * n)
                .step_by(97)
                .chain([255 * n, 255 * n - 1, n / 2, n - 1])
            {
                check(n, a);
            }
            for k in 0..=255u32 {
                // Just below and at each rounding boundary.
                let edge = k * n + n.div_ceil(2);
                for a in [edge.saturating_sub(1), edge] {
                    if a <= 255 * n {
                        check(n, a);
                    }
                }
            }
        }
    }

    #[test]
    fn best_kernel_is_available() {
        assert!(Kernel::best().is_available());
        assert!(Kernel::available().any(|k| k == Kernel::Scalar));
    }
}
