//! The fast kernels (downsample, luma copy) against their scalar references, forcing every implementation this CPU runs
//! ([`Kernel::available`]): odd sizes, 1xN and Nx1 frames, strides longer than the row, every
//! pixel format, factors 1..=12 (and a few large ones). The downsample is integer arithmetic, so
//! the tolerance is zero: every output byte must be equal.

use fingerqc::frame::LowRes;
use fingerqc::kernels::Kernel;
use fingerqc::{FrameView, PixelFormat, Rect};
use proptest::prelude::*;

/// A frame's planes, with padding after every row and arbitrary bytes everywhere (padding
/// included, so a kernel that reads it shows up).
#[derive(Debug, Clone)]
struct Frame {
    format: PixelFormat,
    width: u32,
    height: u32,
    /// Row padding in bytes of each plane.
    pad: [usize; 3],
    planes: [Vec<u8>; 3],
}

impl Frame {
    fn view(&self) -> FrameView<'_> {
        let (w, h) = (self.width, self.height);
        let bpp = self.format.luma_bytes_per_pixel();
        let s0 = w as usize * bpp + self.pad[0];
        let cw = w as usize / 2;
        let result = match self.format {
            PixelFormat::Nv21 | PixelFormat::Nv12 => FrameView::new_semiplanar(
                &self.planes[0],
                s0,
                &self.planes[1],
                2 * cw + self.pad[1],
                w,
                h,
                self.format,
            ),
            PixelFormat::I420 => FrameView::new_i420(
                &self.planes[0],
                s0,
                &self.planes[1],
                cw + self.pad[1],
                &self.planes[2],
                cw + self.pad[2],
                w,
                h,
            ),
            _ => FrameView::new_packed(&self.planes[0], w, h, s0, self.format),
        };
        result.expect("generated frame is valid")
    }
}

/// Bytes from a seed: cheap, deterministic, and every value 0..=255 occurs (extremes included,
/// which is where rounding and clamping differ).
fn fill(seed: u64, len: usize, style: u8) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            match style {
                // Saturated: only 0 and 255 (sums at their maximum, RGB chroma clamping).
                0 => (x & 1) as u8 * 255,
                // A smooth ramp with a little noise (camera-like).
                1 => ((i % 251) as u8).wrapping_add((x % 5) as u8),
                _ => x as u8,
            }
        })
        .collect()
}

fn frame_strategy(max_side: u32) -> impl Strategy<Value = Frame> {
    (
        prop::sample::select(PixelFormat::ALL.to_vec()),
        1..=max_side,
        1..=max_side,
        [0usize..40, 0usize..40, 0usize..40],
        any::<u64>(),
        0u8..3,
    )
        .prop_map(|(format, w, h, pad, seed, style)| {
            // 4:2:0 needs even sizes.
            let (w, h) = if format.is_yuv420() {
                ((w + 1) & !1, (h + 1) & !1)
            } else {
                (w, h)
            };
            let bpp = format.luma_bytes_per_pixel();
            let (wu, hu) = (w as usize, h as usize);
            let s0 = wu * bpp + pad[0];
            // The last row is not padded (camera HALs hand over such buffers).
            let len = |stride: usize, row: usize, rows: usize| stride * (rows - 1) + row;
            let p0 = fill(seed, len(s0, wu * bpp, hu), style);
            let (cw, ch) = (wu / 2, hu / 2);
            let (p1, p2) = match format {
                PixelFormat::Nv21 | PixelFormat::Nv12 => (
                    fill(seed ^ 1, len(2 * cw + pad[1], 2 * cw, ch), style),
                    Vec::new(),
                ),
                PixelFormat::I420 => (
                    fill(seed ^ 1, len(cw + pad[1], cw, ch), style),
                    fill(seed ^ 2, len(cw + pad[2], cw, ch), style),
                ),
                _ => (Vec::new(), Vec::new()),
            };
            Frame {
                format,
                width: w,
                height: h,
                pad,
                planes: [p0, p1, p2],
            }
        })
}

fn assert_same(fast: &LowRes, reference: &LowRes, what: &str) {
    assert_eq!(
        (fast.width, fast.height, fast.factor),
        (reference.width, reference.height, reference.factor),
        "{what}: size"
    );
    // Tolerance: zero (integer kernels).
    assert_eq!(fast.luma, reference.luma, "{what}: luma");
    assert_eq!(fast.cb, reference.cb, "{what}: cb");
    assert_eq!(fast.cr, reference.cr, "{what}: cr");
    assert_eq!(fast.max, reference.max, "{what}: max");
}

fn check(frame: &Frame, factor: u32) {
    let view = frame.view();
    let mut reference = LowRes::default();
    view.downsample_into_scalar(factor, &mut reference);
    for kernel in Kernel::available() {
        // A reused LowRes holding another frame's result, as in the analyzer.
        let mut fast = LowRes::default();
        view.downsample_into_with(kernel, factor + 1, &mut fast);
        view.downsample_into_with(kernel, factor, &mut fast);
        let what = format!(
            "{kernel:?} {:?} {}x{} pad {:?} factor {factor}",
            frame.format, frame.width, frame.height, frame.pad
        );
        assert_same(&fast, &reference, &what);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn downsample_matches_scalar(frame in frame_strategy(70), factor in 1u32..=12) {
        check(&frame, factor);
    }

    #[test]
    fn downsample_matches_scalar_one_row_or_column(
        frame in frame_strategy(90).prop_map(|mut f| {
            // 1xN / Nx1 (2xN / Nx2 for 4:2:0, their smallest), keeping the generated bytes.
            let thin = if f.format.is_yuv420() { 2 } else { 1 };
            if f.planes[0].len() % 2 == 0 { f.height = thin } else { f.width = thin }
            f
        }),
        factor in 1u32..=12,
    ) {
        check(&frame, factor);
    }

    #[test]
    fn downsample_matches_scalar_large_factors(frame in frame_strategy(300), factor in 13u32..=300) {
        check(&frame, factor);
    }
}

fn check_copy(frame: &Frame, rect: Rect) {
    let view = frame.view();
    let mut reference = Vec::new();
    let want = view.copy_luma_scalar(rect, &mut reference);
    for kernel in Kernel::available() {
        // A reused buffer holding a larger copy, as in the analyzer.
        let mut fast = vec![7u8; reference.len() + 13];
        let got = view.copy_luma_with(kernel, rect, &mut fast);
        let what = format!(
            "{kernel:?} {:?} {}x{} {rect:?}",
            frame.format, frame.width, frame.height
        );
        assert_eq!(got, want, "{what}: clamped rectangle");
        // Tolerance: zero (integer kernel).
        assert_eq!(fast, reference, "{what}: luma");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// Rectangles inside, across the edges of and beyond the frame (clamped), empty ones included.
    #[test]
    fn copy_luma_matches_scalar(
        frame in frame_strategy(70),
        x in 0u32..80, y in 0u32..80, w in 0u32..90, h in 0u32..90,
    ) {
        check_copy(&frame, Rect { x, y, width: w, height: h });
    }
}

/// The factors and sizes the pipeline uses, on the whole frame (exercises the unrolled block
/// widths and the 4-row vertical groups end to end).
#[test]
fn downsample_matches_scalar_at_pipeline_sizes() {
    for (w, h) in [(1280u32, 720u32), (1920, 1080), (642, 362)] {
        let factor = fingerqc::segment::work_factor(w, h);
        for format in PixelFormat::ALL {
            let bpp = format.luma_bytes_per_pixel();
            let cw = w as usize / 2;
            let frame = Frame {
                format,
                width: w,
                height: h,
                pad: [0; 3],
                planes: [
                    fill(7, (w * h) as usize * bpp, 2),
                    fill(8, cw * h as usize, 1),
                    fill(9, cw * h as usize / 2, 1),
                ],
            };
            for f in [factor, 2, 4, 6, 8, 10] {
                check(&frame, f);
            }
        }
    }
}
