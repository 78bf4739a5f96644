//! Zero-copy views over the buffers cameras deliver, and the two reads the pipeline makes of them:
//! a reduced-resolution luma + chroma image for segmentation, and full-resolution luma of small
//! regions (the fingertips) for focus and ridge measurements. Nothing here copies a whole frame.

use crate::error::{Error, Result};
use crate::kernels::{Kernel, RoundDiv, downsample};
use serde::{Deserialize, Serialize};

/// How the pixels of a frame are laid out in memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[repr(u32)]
#[non_exhaustive]
pub enum PixelFormat {
    /// One byte of luma per pixel.
    Gray8 = 0,
    /// Packed R, G, B bytes.
    Rgb8 = 1,
    /// Packed R, G, B, A bytes.
    Rgba8 = 2,
    /// Packed B, G, R, A bytes (iOS `kCVPixelFormatType_32BGRA`, Windows).
    Bgra8 = 3,
    /// Y plane, then interleaved V, U at half resolution (Android camera default).
    Nv21 = 4,
    /// Y plane, then interleaved U, V at half resolution (iOS, most hardware decoders).
    Nv12 = 5,
    /// Y plane, U plane, V plane, chroma at half resolution (YUV 4:2:0 planar).
    I420 = 6,
}

impl PixelFormat {
    /// Bytes per pixel of a packed format, or of the Y plane of a planar one.
    pub fn luma_bytes_per_pixel(self) -> usize {
        match self {
            PixelFormat::Rgb8 => 3,
            PixelFormat::Rgba8 | PixelFormat::Bgra8 => 4,
            _ => 1,
        }
    }

    /// Whether chroma is subsampled 2x2 (the YUV 4:2:0 formats), which requires even dimensions.
    pub fn is_yuv420(self) -> bool {
        matches!(
            self,
            PixelFormat::Nv21 | PixelFormat::Nv12 | PixelFormat::I420
        )
    }

    /// Every format, for tests and tools that iterate over them.
    pub const ALL: [PixelFormat; 7] = [
        PixelFormat::Gray8,
        PixelFormat::Rgb8,
        PixelFormat::Rgba8,
        PixelFormat::Bgra8,
        PixelFormat::Nv21,
        PixelFormat::Nv12,
        PixelFormat::I420,
    ];
}

/// An axis-aligned rectangle in pixel coordinates.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rect {
    /// Left edge (inclusive).
    pub x: u32,
    /// Top edge (inclusive).
    pub y: u32,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

impl Rect {
    /// Number of pixels covered.
    pub fn area(&self) -> u64 {
        self.width as u64 * self.height as u64
    }

    /// The part of this rectangle inside a `width` x `height` frame.
    pub fn clamp_to(&self, width: u32, height: u32) -> Rect {
        let x0 = self.x.min(width);
        let y0 = self.y.min(height);
        let x1 = self.x.saturating_add(self.width).min(width);
        let y1 = self.y.saturating_add(self.height).min(height);
        Rect {
            x: x0,
            y: y0,
            width: x1 - x0,
            height: y1 - y0,
        }
    }
}

#[derive(Clone, Copy, Debug, Default)]
struct Plane<'a> {
    data: &'a [u8],
    stride: usize,
}

impl<'a> Plane<'a> {
    fn checked(
        name: &'static str,
        data: &'a [u8],
        stride: usize,
        row_bytes: usize,
        rows: usize,
        dims: (u32, u32),
    ) -> Result<Self> {
        if stride < row_bytes {
            return Err(Error::StrideTooShort {
                plane: name,
                stride,
                min: row_bytes,
            });
        }
        // The last row need not be padded to the full stride (many camera HALs hand over such buffers).
        let needed = stride
            .checked_mul(rows.saturating_sub(1))
            .and_then(|v| v.checked_add(row_bytes))
            .ok_or(Error::SizeOverflow {
                width: dims.0,
                height: dims.1,
                stride,
            })?;
        if data.len() < needed {
            return Err(Error::BufferTooShort {
                plane: name,
                len: data.len(),
                needed,
            });
        }
        Ok(Plane { data, stride })
    }

    #[inline]
    fn row(&self, y: usize, len: usize) -> &'a [u8] {
        let start = y * self.stride;
        &self.data[start..start + len]
    }
}

/// A borrowed camera frame: size, pixel format and up to three planes with their row strides.
///
/// Built once per frame by one of the constructors, which check every size with checked
/// arithmetic; after that, reads never fail and never copy the whole frame.
///
/// ```
/// use fingerqc::{FrameView, PixelFormat};
/// let (w, h) = (64u32, 48u32);
/// let nv21 = vec![128u8; (w * h * 3 / 2) as usize];
/// let frame = FrameView::from_bytes(&nv21, w, h, PixelFormat::Nv21)?;
/// assert_eq!(frame.width(), 64);
/// # Ok::<(), fingerqc::Error>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct FrameView<'a> {
    width: u32,
    height: u32,
    format: PixelFormat,
    planes: [Plane<'a>; 3],
}

fn check_dims(width: u32, height: u32, format: PixelFormat) -> Result<()> {
    if width == 0 || height == 0 {
        return Err(Error::EmptyFrame { width, height });
    }
    if format.is_yuv420() && (width % 2 != 0 || height % 2 != 0) {
        return Err(Error::OddDimensions {
            format,
            width,
            height,
        });
    }
    Ok(())
}

fn row_bytes(width: u32, bpp: usize, height: u32, stride: usize) -> Result<usize> {
    (width as usize)
        .checked_mul(bpp)
        .ok_or(Error::SizeOverflow {
            width,
            height,
            stride,
        })
}

impl<'a> FrameView<'a> {
    /// A packed frame (Gray8, Rgb8, Rgba8, Bgra8) with `stride` bytes between row starts.
    pub fn new_packed(
        data: &'a [u8],
        width: u32,
        height: u32,
        stride: usize,
        format: PixelFormat,
    ) -> Result<Self> {
        if format.is_yuv420() {
            return Err(Error::UnsupportedFormat {
                format,
                what: "new_packed takes Gray8, Rgb8, Rgba8 or Bgra8",
            });
        }
        check_dims(width, height, format)?;
        let rb = row_bytes(width, format.luma_bytes_per_pixel(), height, stride)?;
        let p = Plane::checked("packed", data, stride, rb, height as usize, (width, height))?;
        Ok(FrameView {
            width,
            height,
            format,
            planes: [p, Plane::default(), Plane::default()],
        })
    }

    /// A gray (luma only) frame.
    pub fn new_gray(data: &'a [u8], width: u32, height: u32, stride: usize) -> Result<Self> {
        Self::new_packed(data, width, height, stride, PixelFormat::Gray8)
    }

    /// A semi-planar YUV 4:2:0 frame (`Nv21` or `Nv12`): a Y plane and an interleaved chroma plane,
    /// each with its own stride (Android's `Image.Plane.getRowStride()`).
    pub fn new_semiplanar(
        y: &'a [u8],
        y_stride: usize,
        uv: &'a [u8],
        uv_stride: usize,
        width: u32,
        height: u32,
        format: PixelFormat,
    ) -> Result<Self> {
        if !matches!(format, PixelFormat::Nv21 | PixelFormat::Nv12) {
            return Err(Error::UnsupportedFormat {
                format,
                what: "new_semiplanar takes Nv21 or Nv12",
            });
        }
        check_dims(width, height, format)?;
        let yp = Plane::checked(
            "luma",
            y,
            y_stride,
            width as usize,
            height as usize,
            (width, height),
        )?;
        let cp = Plane::checked(
            "chroma",
            uv,
            uv_stride,
            width as usize,
            height as usize / 2,
            (width, height),
        )?;
        Ok(FrameView {
            width,
            height,
            format,
            planes: [yp, cp, Plane::default()],
        })
    }

    /// A planar YUV 4:2:0 frame (`I420`): Y, U and V planes with their strides.
    #[allow(clippy::too_many_arguments)]
    pub fn new_i420(
        y: &'a [u8],
        y_stride: usize,
        u: &'a [u8],
        u_stride: usize,
        v: &'a [u8],
        v_stride: usize,
        width: u32,
        height: u32,
    ) -> Result<Self> {
        let format = PixelFormat::I420;
        check_dims(width, height, format)?;
        let (cw, ch) = (width as usize / 2, height as usize / 2);
        let yp = Plane::checked(
            "luma",
            y,
            y_stride,
            width as usize,
            height as usize,
            (width, height),
        )?;
        let up = Plane::checked("u", u, u_stride, cw, ch, (width, height))?;
        let vp = Plane::checked("v", v, v_stride, cw, ch, (width, height))?;
        Ok(FrameView {
            width,
            height,
            format,
            planes: [yp, up, vp],
        })
    }

    /// A frame in the tight, contiguous layout of `format` (no row padding; for YUV the planes
    /// follow each other), as raw camera dumps and most C callers hold them.
    pub fn from_bytes(
        data: &'a [u8],
        width: u32,
        height: u32,
        format: PixelFormat,
    ) -> Result<Self> {
        check_dims(width, height, format)?;
        let w = width as usize;
        let h = height as usize;
        if !format.is_yuv420() {
            let stride = row_bytes(width, format.luma_bytes_per_pixel(), height, 0)?;
            return Self::new_packed(data, width, height, stride, format);
        }
        let y_len = w.checked_mul(h).ok_or(Error::SizeOverflow {
            width,
            height,
            stride: w,
        })?;
        // Both chroma planes together hold half as many bytes as luma: checked, since a frame
        // near u32::MAX x u32::MAX overflows here even when `y_len` did not.
        let c_len = (w / 2) * (h / 2);
        let needed = y_len.checked_add(2 * c_len).ok_or(Error::SizeOverflow {
            width,
            height,
            stride: w,
        })?;
        if data.len() < needed {
            return Err(Error::BufferTooShort {
                plane: "yuv420",
                len: data.len(),
                needed,
            });
        }
        let (y, rest) = data.split_at(y_len);
        match format {
            PixelFormat::I420 => {
                let (u, v) = rest.split_at(c_len);
                Self::new_i420(y, w, u, w / 2, v, w / 2, width, height)
            }
            _ => Self::new_semiplanar(y, w, rest, w, width, height, format),
        }
    }

    /// View of an `image::GrayImage`.
    pub fn from_gray_image(img: &'a image::GrayImage) -> Result<Self> {
        Self::new_packed(
            img.as_raw(),
            img.width(),
            img.height(),
            img.width() as usize,
            PixelFormat::Gray8,
        )
    }

    /// View of an `image::RgbImage`.
    pub fn from_rgb_image(img: &'a image::RgbImage) -> Result<Self> {
        Self::new_packed(
            img.as_raw(),
            img.width(),
            img.height(),
            img.width() as usize * 3,
            PixelFormat::Rgb8,
        )
    }

    /// View of an `image::RgbaImage`.
    pub fn from_rgba_image(img: &'a image::RgbaImage) -> Result<Self> {
        Self::new_packed(
            img.as_raw(),
            img.width(),
            img.height(),
            img.width() as usize * 4,
            PixelFormat::Rgba8,
        )
    }

    /// View of a `DynamicImage` holding 8-bit gray, RGB or RGBA; other kinds need converting
    /// first (see [`crate::io::OwnedFrame`]).
    pub fn from_dynamic_image(img: &'a image::DynamicImage) -> Result<Self> {
        match img {
            image::DynamicImage::ImageLuma8(g) => Self::from_gray_image(g),
            image::DynamicImage::ImageRgb8(c) => Self::from_rgb_image(c),
            image::DynamicImage::ImageRgba8(c) => Self::from_rgba_image(c),
            _ => Err(Error::UnsupportedFormat {
                format: PixelFormat::Rgb8,
                what: "DynamicImage must be Luma8, Rgb8 or Rgba8; convert with to_rgb8() first",
            }),
        }
    }

    /// View of an H x W gray `ndarray` whose rows are contiguous (any row stride).
    pub fn from_array2(a: &'a ndarray::ArrayView2<'a, u8>) -> Result<Self> {
        let (h, w) = a.dim();
        let strides = a.strides();
        if h == 0 || w == 0 {
            return Err(Error::EmptyFrame {
                width: w as u32,
                height: h as u32,
            });
        }
        if (w > 1 && strides[1] != 1) || strides[0] < 0 || (h > 1 && (strides[0] as usize) < w) {
            return Err(Error::UnsupportedShape { shape: vec![h, w] });
        }
        let stride = if h > 1 { strides[0] as usize } else { w };
        let len = stride * (h - 1) + w;
        // SAFETY: the view covers `len` bytes from its first element: rows are `stride` apart and
        // each holds `w` contiguous bytes, which the stride checks above establish.
        let data = unsafe { std::slice::from_raw_parts(a.as_ptr(), len) };
        Self::new_packed(data, to_u32(w)?, to_u32(h)?, stride, PixelFormat::Gray8)
    }

    /// View of an H x W x C `ndarray` with C = 1 (gray), 3 (RGB) or 4 (RGBA), pixels contiguous
    /// within each row.
    pub fn from_array3(a: &'a ndarray::ArrayView3<'a, u8>) -> Result<Self> {
        let (h, w, c) = a.dim();
        let format = match c {
            1 => PixelFormat::Gray8,
            3 => PixelFormat::Rgb8,
            4 => PixelFormat::Rgba8,
            _ => {
                return Err(Error::UnsupportedShape {
                    shape: vec![h, w, c],
                });
            }
        };
        if h == 0 || w == 0 {
            return Err(Error::EmptyFrame {
                width: w as u32,
                height: h as u32,
            });
        }
        let s = a.strides();
        let row = w * c;
        if s[2] != 1
            || (w > 1 && s[1] != c as isize)
            || s[0] < 0
            || (h > 1 && (s[0] as usize) < row)
        {
            return Err(Error::UnsupportedShape {
                shape: vec![h, w, c],
            });
        }
        let stride = if h > 1 { s[0] as usize } else { row };
        let len = stride * (h - 1) + row;
        // SAFETY: as in `from_array2`, the strides checked above make the `len` bytes from the
        // first element the memory of this view.
        let data = unsafe { std::slice::from_raw_parts(a.as_ptr(), len) };
        Self::new_packed(data, to_u32(w)?, to_u32(h)?, stride, format)
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// Pixel format.
    pub fn format(&self) -> PixelFormat {
        self.format
    }

    /// Row `y` of the luma plane, for formats that have one (Gray8 and the YUV formats);
    /// `None` for packed colour formats, whose luma must be computed ([`FrameView::copy_luma`]).
    #[inline]
    pub fn luma_row(&self, y: u32) -> Option<&'a [u8]> {
        if y >= self.height {
            return None;
        }
        match self.format {
            PixelFormat::Gray8 | PixelFormat::Nv21 | PixelFormat::Nv12 | PixelFormat::I420 => {
                Some(self.planes[0].row(y as usize, self.width as usize))
            }
            _ => None,
        }
    }

    /// Row `y` of a packed frame's bytes (`width * bytes_per_pixel` long), or of the Y plane.
    ///
    /// # Panics
    /// If `y >= self.height()`, like slice indexing ([`FrameView::luma_row`] returns `None`
    /// instead).
    #[inline]
    pub fn packed_row(&self, y: u32) -> &'a [u8] {
        let bpp = self.format.luma_bytes_per_pixel();
        self.planes[0].row(y as usize, self.width as usize * bpp)
    }

    /// Writes BT.601 luma of `rect` (clamped to the frame) into `dst`, row after row, and returns
    /// the clamped rectangle. `dst` is resized to hold it; once large enough it is not reallocated.
    ///
    /// Uses the fastest [`Kernel`] this CPU runs (packed colour formats compute luma; the others
    /// copy it); the result is exactly that of [`FrameView::copy_luma_scalar`].
    pub fn copy_luma(&self, rect: Rect, dst: &mut Vec<u8>) -> Rect {
        self.copy_luma_with(Kernel::best(), rect, dst)
    }

    /// [`FrameView::copy_luma`] with a chosen implementation (for tests and benches); a kernel
    /// this CPU cannot run is replaced by [`Kernel::Portable`].
    pub fn copy_luma_with(&self, kernel: Kernel, rect: Rect, dst: &mut Vec<u8>) -> Rect {
        let packed = self.format.luma_bytes_per_pixel() > 1;
        if kernel == Kernel::Scalar || !packed {
            return self.copy_luma_scalar(rect, dst);
        }
        let r = rect.clamp_to(self.width, self.height);
        dst.resize(r.width as usize * r.height as usize, 0);
        #[cfg(target_arch = "x86_64")]
        if kernel == Kernel::Avx2 && kernel.is_available() {
            // SAFETY: the CPU supports AVX2 (checked at run time just above).
            unsafe { self.packed_luma_avx2(r, dst) };
            return r;
        }
        self.packed_luma_fast(r, dst);
        r
    }

    /// The scalar reference of [`FrameView::copy_luma`]: per pixel, as the definition reads.
    pub fn copy_luma_scalar(&self, rect: Rect, dst: &mut Vec<u8>) -> Rect {
        let r = rect.clamp_to(self.width, self.height);
        let (w, h) = (r.width as usize, r.height as usize);
        dst.resize(w * h, 0);
        if w == 0 {
            return r;
        }
        for (row, out) in dst.chunks_exact_mut(w).take(h).enumerate() {
            let y = r.y + row as u32;
            if let Some(src) = self.luma_row(y) {
                out.copy_from_slice(&src[r.x as usize..r.x as usize + w]);
            } else {
                let bpp = self.format.luma_bytes_per_pixel();
                let src = &self.packed_row(y)[r.x as usize * bpp..(r.x as usize + w) * bpp];
                let (ri, bi) = if self.format == PixelFormat::Bgra8 {
                    (2, 0)
                } else {
                    (0, 2)
                };
                for (o, px) in out.iter_mut().zip(src.chunks_exact(bpp)) {
                    *o = luma601(px[ri], px[1], px[bi]);
                }
            }
        }
        r
    }

    /// Luma of the clamped rectangle `r` of a packed colour frame, vectorisable.
    fn packed_luma_fast(&self, r: Rect, dst: &mut [u8]) {
        self.packed_luma(r, dst);
    }

    /// [`FrameView::packed_luma_fast`] compiled with AVX2.
    ///
    /// # Safety
    /// The CPU must support AVX2.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn packed_luma_avx2(&self, r: Rect, dst: &mut [u8]) {
        self.packed_luma(r, dst);
    }

    #[inline(always)]
    fn packed_luma(&self, r: Rect, dst: &mut [u8]) {
        let (x0, w) = (r.x as usize, r.width as usize);
        if w == 0 {
            return;
        }
        for (row, out) in dst.chunks_exact_mut(w).enumerate() {
            let y = r.y + row as u32;
            let bpp = self.format.luma_bytes_per_pixel();
            let src = &self.packed_row(y)[x0 * bpp..(x0 + w) * bpp];
            match self.format {
                PixelFormat::Rgb8 => downsample::luma_row::<3, 0, 2>(src, out),
                PixelFormat::Rgba8 => downsample::luma_row::<4, 0, 2>(src, out),
                PixelFormat::Bgra8 => downsample::luma_row::<4, 2, 0>(src, out),
                // Not packed colour: callers copy those planes instead.
                _ => {}
            }
        }
    }

    /// Box-averages the frame by an integer `factor` into `out` (luma, Cb, Cr at reduced size,
    /// rounded up so partial blocks at the right and bottom edges are kept). For YUV 4:2:0 the
    /// chroma planes are read directly; for Gray8, Cb and Cr are filled with 128.
    ///
    /// Uses the fastest [`Kernel`] this CPU runs; the result is exactly that of
    /// [`FrameView::downsample_into_scalar`].
    pub fn downsample_into(&self, factor: u32, out: &mut LowRes) {
        self.downsample_into_with(Kernel::best(), factor, out);
    }

    /// [`FrameView::downsample_into`] with a chosen implementation (for tests and benches). A
    /// kernel this CPU cannot run ([`Kernel::is_available`]) is replaced by [`Kernel::Portable`];
    /// factors above 256 (beyond the fast kernels' `u16` sums) take the scalar reference.
    pub fn downsample_into_with(&self, kernel: Kernel, factor: u32, out: &mut LowRes) {
        let f = factor.max(1) as usize;
        if kernel == Kernel::Scalar || f > downsample::MAX_FACTOR {
            return self.downsample_into_scalar(factor, out);
        }
        #[cfg(target_arch = "x86_64")]
        if kernel == Kernel::Avx2 && kernel.is_available() {
            // SAFETY: the CPU supports AVX2 (checked at run time just above).
            return unsafe { self.downsample_avx2(f, out) };
        }
        self.downsample_portable(f, out);
    }

    /// The scalar reference of [`FrameView::downsample_into`]: per pixel, as the definition
    /// reads. The fast kernels are tested against it and must match it exactly.
    pub fn downsample_into_scalar(&self, factor: u32, out: &mut LowRes) {
        let f = factor.max(1) as usize;
        let (w, h) = (self.width as usize, self.height as usize);
        let (ow, oh) = out.shape_for(w, h, f);
        out.acc.resize(ow * 3, 0);
        out.max_row.resize(ow, 0);
        for oy in 0..oh {
            let y0 = oy * f;
            let y1 = (y0 + f).min(h);
            out.acc.iter_mut().for_each(|a| *a = 0);
            out.max_row.iter_mut().for_each(|a| *a = 0);
            let (acc_y, rest) = out.acc.split_at_mut(ow);
            let (acc_cb, acc_cr) = rest.split_at_mut(ow);
            for y in y0..y1 {
                self.accumulate_row(y, f, acc_y, acc_cb, acc_cr, &mut out.max_row);
            }
            out.max[oy * ow..(oy + 1) * ow].copy_from_slice(&out.max_row);
            let rows = (y1 - y0) as u64;
            let dst = oy * ow;
            for ox in 0..ow {
                let cols = ((ox * f + f).min(w) - ox * f) as u64;
                let n = rows * cols;
                out.luma[dst + ox] = ((acc_y[ox] + n / 2) / n) as u8;
                out.cb[dst + ox] = ((acc_cb[ox] + n / 2) / n) as u8;
                out.cr[dst + ox] = ((acc_cr[ox] + n / 2) / n) as u8;
            }
        }
    }

    fn downsample_portable(&self, f: usize, out: &mut LowRes) {
        self.downsample_fast(f, out);
    }

    /// The portable code compiled with AVX2: same source, twice the vector width.
    ///
    /// # Safety
    /// The CPU must support AVX2.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn downsample_avx2(&self, f: usize, out: &mut LowRes) {
        self.downsample_fast(f, out);
    }

    /// The fast downsample for factors 1..=256: per output row, a vertical pass adds its `f`
    /// input rows into per-column `u16` sums (several rows per pass, vectorised), then a
    /// horizontal pass adds `f` columns and divides by multiplication. Sums and roundings are
    /// those of the scalar reference, so the result is identical.
    #[inline(always)]
    fn downsample_fast(&self, f: usize, out: &mut LowRes) {
        let (w, h) = (self.width as usize, self.height as usize);
        let (ow, _) = out.shape_for(w, h, f);
        out.vsum.resize(w, 0);
        out.vmax.resize(w, 0);
        // Chroma column sums: interleaved (NV), U then V (I420), or Cb then Cr (packed, full width).
        out.csum.resize(2 * w, 0);
        if !self.format.is_yuv420() && self.format != PixelFormat::Gray8 {
            out.ycc.resize(3 * w, 0);
        }
        let LowRes {
            luma,
            cb,
            cr,
            max,
            vsum,
            vmax,
            csum,
            ycc,
            ..
        } = out;
        let (vsum, vmax) = (&mut vsum[..w], &mut vmax[..w]);
        let rows_out = luma
            .chunks_exact_mut(ow)
            .zip(max.chunks_exact_mut(ow))
            .zip(cb.chunks_exact_mut(ow).zip(cr.chunks_exact_mut(ow)));
        for (oy, ((l_row, m_row), (cb_row, cr_row))) in rows_out.enumerate() {
            let y0 = oy * f;
            let y1 = (y0 + f).min(h);
            let rows = y1 - y0;
            match self.format {
                PixelFormat::Rgb8 => self.rgb_rows::<3, 0, 2>(y0, y1, vsum, vmax, csum, ycc),
                PixelFormat::Rgba8 => self.rgb_rows::<4, 0, 2>(y0, y1, vsum, vmax, csum, ycc),
                PixelFormat::Bgra8 => self.rgb_rows::<4, 2, 0>(y0, y1, vsum, vmax, csum, ycc),
                _ => {
                    let plane = self.planes[0];
                    downsample::luma_rows(vsum, vmax, (y0..y1).map(|y| plane.row(y, w)));
                }
            }
            let div = RoundDiv::new((rows * f) as u32);
            let done = h_luma(f, vsum, vmax, div, l_row, m_row);
            if let (Some(o), Some(m)) = (l_row.get_mut(done), m_row.get_mut(done)) {
                // The partial block at the right edge.
                let x0 = done * f;
                let n = (rows * (w - x0)) as u32;
                let a: u32 = vsum[x0..].iter().map(|&v| v as u32).sum();
                *o = ((a + n / 2) / n) as u8;
                *m = vmax[x0..].iter().copied().max().unwrap_or(0);
            }
            match self.format {
                PixelFormat::Gray8 => {
                    cb_row.fill(128);
                    cr_row.fill(128);
                }
                PixelFormat::Rgb8 | PixelFormat::Rgba8 | PixelFormat::Bgra8 => {
                    let (scb, scr) = csum.split_at(w);
                    for (s, o) in [(scb, &mut *cb_row), (&scr[..w], &mut *cr_row)] {
                        let done = h_plain(f, 1, s, div, o);
                        if let Some(o) = o.get_mut(done) {
                            let x0 = done * f;
                            let n = (rows * (w - x0)) as u32;
                            let a: u32 = s[x0..].iter().map(|&v| v as u32).sum();
                            *o = ((a + n / 2) / n) as u8;
                        }
                    }
                }
                _ => self.chroma420_row(f, y0, y1, csum, cb_row, cr_row),
            }
        }
    }

    /// Vertical pass of a packed RGB(A) frame: converted luma into `vsum` / `vmax`, Cb and Cr into
    /// the two halves of `csum`.
    #[inline(always)]
    fn rgb_rows<const BPP: usize, const RI: usize, const BI: usize>(
        &self,
        y0: usize,
        y1: usize,
        vsum: &mut [u16],
        vmax: &mut [u8],
        csum: &mut [u16],
        ycc: &mut [u8],
    ) {
        let w = self.width as usize;
        let (scb, scr) = csum.split_at_mut(w);
        let (ry, rest) = ycc.split_at_mut(w);
        let (rcb, rcr) = rest.split_at_mut(w);
        for y in y0..y1 {
            let row = self.planes[0].row(y, w * BPP);
            downsample::rgb_to_ycc::<BPP, RI, BI>(row, ry, rcb, rcr);
            if y == y0 {
                downsample::luma_init(vsum, vmax, ry);
                downsample::chroma_init(scb, rcb, 1);
                downsample::chroma_init(scr, rcr, 1);
            } else {
                downsample::luma_add1(vsum, vmax, ry);
                downsample::chroma_add(scb, rcb, 1);
                downsample::chroma_add(scr, rcr, 1);
            }
        }
    }

    /// Chroma of one output row of a 4:2:0 frame (rows `y0..y1` of luma).
    #[inline(always)]
    fn chroma420_row(
        &self,
        f: usize,
        y0: usize,
        y1: usize,
        csum: &mut [u16],
        cb_row: &mut [u8],
        cr_row: &mut [u8],
    ) {
        let w = self.width as usize;
        let cw = w / 2;
        let rows = y1 - y0;
        let planar = self.format == PixelFormat::I420;
        // Vertical: chroma row `cy` is read by the luma rows 2cy and 2cy+1 that fall in y0..y1.
        for cy in y0 / 2..=(y1 - 1) / 2 {
            let weight = ((y1.min(2 * cy + 2)) - y0.max(2 * cy)) as u16;
            let first = cy == y0 / 2;
            if planar {
                let (su, sv) = csum.split_at_mut(cw);
                for (s, p) in [(su, 1), (&mut sv[..cw], 2)] {
                    let r = self.planes[p].row(cy, cw);
                    if first {
                        downsample::chroma_init(s, r, weight);
                    } else {
                        downsample::chroma_add(s, r, weight);
                    }
                }
            } else {
                let r = self.planes[1].row(cy, w);
                if first {
                    downsample::chroma_init(&mut csum[..w], r, weight);
                } else {
                    downsample::chroma_add(&mut csum[..w], r, weight);
                }
            }
        }
        // NV21 stores V first; NV12 and the (U, V) planes of I420 store U first.
        let (first_out, second_out) = if self.format == PixelFormat::Nv21 {
            (cr_row, cb_row)
        } else {
            (cb_row, cr_row)
        };
        let mut done = 0;
        if f % 2 == 0 {
            // Blocks start on even columns: each covers f/2 whole chroma columns, each read by
            // two luma columns.
            let div = RoundDiv::new((rows * f) as u32);
            done = if planar {
                let (su, sv) = csum.split_at(cw);
                h_plain(f / 2, 2, su, div, first_out).min(h_plain(
                    f / 2,
                    2,
                    &sv[..cw],
                    div,
                    second_out,
                ))
            } else {
                h_pairs(f, &csum[..w], div, first_out, second_out)
            };
        }
        // The partial block at the right edge, and every block for odd factors (whose blocks
        // split chroma columns): per luma column.
        let ow = first_out.len().min(second_out.len());
        for ox in done..ow {
            let x0 = ox * f;
            let x1 = (x0 + f).min(w);
            let (mut a, mut b) = (0u32, 0u32);
            for x in x0..x1 {
                let cx = x / 2;
                if planar {
                    a += csum[cx] as u32;
                    b += csum[cw + cx] as u32;
                } else {
                    a += csum[2 * cx] as u32;
                    b += csum[2 * cx + 1] as u32;
                }
            }
            let n = (rows * (x1 - x0)) as u32;
            first_out[ox] = ((a + n / 2) / n) as u8;
            second_out[ox] = ((b + n / 2) / n) as u8;
        }
    }

    /// Adds row `y`'s luma and chroma into per-output-column accumulators.
    fn accumulate_row(
        &self,
        y: usize,
        f: usize,
        acc_y: &mut [u64],
        acc_cb: &mut [u64],
        acc_cr: &mut [u64],
        max: &mut [u8],
    ) {
        let w = self.width as usize;
        match self.format {
            PixelFormat::Gray8 => {
                let row = self.planes[0].row(y, w);
                for (ox, chunk) in row.chunks(f).enumerate() {
                    acc_y[ox] += chunk.iter().map(|&v| v as u64).sum::<u64>();
                    max[ox] = max[ox].max(chunk.iter().copied().max().unwrap_or(0));
                    acc_cb[ox] += 128 * chunk.len() as u64;
                    acc_cr[ox] += 128 * chunk.len() as u64;
                }
            }
            PixelFormat::Rgb8 | PixelFormat::Rgba8 | PixelFormat::Bgra8 => {
                let bpp = self.format.luma_bytes_per_pixel();
                let (ri, bi) = if self.format == PixelFormat::Bgra8 {
                    (2, 0)
                } else {
                    (0, 2)
                };
                let row = self.planes[0].row(y, w * bpp);
                for (ox, chunk) in row.chunks(f * bpp).enumerate() {
                    let (mut sy, mut scb, mut scr) = (0u64, 0u64, 0u64);
                    for px in chunk.chunks_exact(bpp) {
                        let (yy, cb, cr) = ycbcr601(px[ri], px[1], px[bi]);
                        max[ox] = max[ox].max(yy);
                        sy += yy as u64;
                        scb += cb as u64;
                        scr += cr as u64;
                    }
                    acc_y[ox] += sy;
                    acc_cb[ox] += scb;
                    acc_cr[ox] += scr;
                }
            }
            PixelFormat::Nv21 | PixelFormat::Nv12 | PixelFormat::I420 => {
                let row = self.planes[0].row(y, w);
                for (ox, chunk) in row.chunks(f).enumerate() {
                    acc_y[ox] += chunk.iter().map(|&v| v as u64).sum::<u64>();
                    max[ox] = max[ox].max(chunk.iter().copied().max().unwrap_or(0));
                }
                // Each chroma sample covers 2x2 luma pixels; add it once per luma pixel it covers.
                let cy = y / 2;
                let cw = w / 2;
                let (u_row, v_row): (&[u8], &[u8]);
                let interleaved;
                match self.format {
                    PixelFormat::I420 => {
                        u_row = self.planes[1].row(cy, cw);
                        v_row = self.planes[2].row(cy, cw);
                        interleaved = None;
                    }
                    _ => {
                        u_row = &[];
                        v_row = &[];
                        interleaved = Some(self.planes[1].row(cy, cw * 2));
                    }
                }
                let v_first = self.format == PixelFormat::Nv21;
                for x in 0..w {
                    let cx = x / 2;
                    let (u, v) = match interleaved {
                        Some(uv) => {
                            let (a, b) = (uv[2 * cx], uv[2 * cx + 1]);
                            if v_first { (b, a) } else { (a, b) }
                        }
                        None => (u_row[cx], v_row[cx]),
                    };
                    let ox = x / f;
                    acc_cb[ox] += u as u64;
                    acc_cr[ox] += v as u64;
                }
            }
        }
    }
}

fn to_u32(v: usize) -> Result<u32> {
    u32::try_from(v).map_err(|_| Error::SizeOverflow {
        width: u32::MAX,
        height: u32::MAX,
        stride: v,
    })
}

/// BT.601 full-range luma of an RGB pixel, in integers (exact to within one level).
#[inline]
pub fn luma601(r: u8, g: u8, b: u8) -> u8 {
    ((77 * r as u32 + 150 * g as u32 + 29 * b as u32 + 128) >> 8) as u8
}

/// BT.601 full-range (JPEG) Y, Cb, Cr of an RGB pixel.
#[inline]
pub fn ycbcr601(r: u8, g: u8, b: u8) -> (u8, u8, u8) {
    let (r, g, b) = (r as i32, g as i32, b as i32);
    let y = (77 * r + 150 * g + 29 * b + 128) >> 8;
    let cb = (-43 * r - 85 * g + 128 * b + 32768 + 128) >> 8;
    let cr = (128 * r - 107 * g - 21 * b + 32768 + 128) >> 8;
    (
        y.clamp(0, 255) as u8,
        cb.clamp(0, 255) as u8,
        cr.clamp(0, 255) as u8,
    )
}

/// A reduced-resolution luma + chroma image, the input of segmentation. Owned by the analyzer and
/// refilled each frame without reallocating once it has reached the frame's size.
#[derive(Clone, Debug, Default)]
pub struct LowRes {
    /// Width in low-resolution pixels.
    pub width: u32,
    /// Height in low-resolution pixels.
    pub height: u32,
    /// Full-resolution pixels per low-resolution pixel along each axis.
    pub factor: u32,
    /// Luma, row-major, `width * height`.
    pub luma: Vec<u8>,
    /// Blue-difference chroma (BT.601, 128 = neutral).
    pub cb: Vec<u8>,
    /// Red-difference chroma (BT.601, 128 = neutral).
    pub cr: Vec<u8>,
    /// Brightest full-resolution luma inside each block: where to look again for clipped pixels
    /// and specular spots, which averaging hides.
    pub max: Vec<u8>,
    // Scratch of the scalar reference. u64: one block may hold more than 2^32 / 255 pixels (a
    // large factor on a large frame).
    acc: Vec<u64>,
    max_row: Vec<u8>,
    // Scratch of the fast kernels: per-column sums and maxima of one output row's input rows.
    vsum: Vec<u16>,
    vmax: Vec<u8>,
    csum: Vec<u16>,
    // One packed RGB(A) row converted to Y, Cb, Cr planes.
    ycc: Vec<u8>,
}

/// A quarter-turn count: how a frame must be turned clockwise to stand upright.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum QuarterTurns {
    /// 90 degrees clockwise.
    One,
    /// 180 degrees.
    Two,
    /// 270 degrees clockwise (90 counter-clockwise).
    Three,
}

impl QuarterTurns {
    /// From degrees clockwise; `None` for 0 (and anything not a quarter turn, which the
    /// config's validation rules out).
    pub(crate) fn from_degrees(deg: u16) -> Option<Self> {
        match deg {
            90 => Some(QuarterTurns::One),
            180 => Some(QuarterTurns::Two),
            270 => Some(QuarterTurns::Three),
            _ => None,
        }
    }

    /// Size of a `w` x `h` image once turned.
    pub(crate) fn turned_size(self, w: usize, h: usize) -> (usize, usize) {
        match self {
            QuarterTurns::Two => (w, h),
            _ => (h, w),
        }
    }

    /// Where the point `(x, y)` of the turned image, `tw` x `th` (sizes and coordinates
    /// continuous, in any unit), lies in the image it was turned from.
    pub(crate) fn point_back(self, x: f32, y: f32, tw: f32, th: f32) -> (f32, f32) {
        match self {
            QuarterTurns::One => (y, tw - x),
            QuarterTurns::Two => (tw - x, th - y),
            QuarterTurns::Three => (th - y, x),
        }
    }

    /// A direction of the turned image in the original one.
    pub(crate) fn vector_back(self, dx: f32, dy: f32) -> (f32, f32) {
        match self {
            QuarterTurns::One => (dy, -dx),
            QuarterTurns::Two => (-dx, -dy),
            QuarterTurns::Three => (-dy, dx),
        }
    }

    /// Writes `src` (`w` x `h`, row-major) turned clockwise by `self` into `dst`.
    pub(crate) fn turn_plane<T: Copy + Default>(
        self,
        src: &[T],
        w: usize,
        h: usize,
        dst: &mut Vec<T>,
    ) {
        let (tw, _) = self.turned_size(w, h);
        dst.clear();
        dst.resize(w * h, T::default());
        if src.len() < w * h {
            return;
        }
        for (y, row) in src.chunks_exact(w).take(h).enumerate() {
            for (x, &v) in row.iter().enumerate() {
                let (tx, ty) = match self {
                    QuarterTurns::One => (h - 1 - y, x),
                    QuarterTurns::Two => (w - 1 - x, h - 1 - y),
                    QuarterTurns::Three => (y, w - 1 - x),
                };
                dst[ty * tw + tx] = v;
            }
        }
    }

    /// The direction fingers held upright point in the frame before it is turned, radians
    /// clockwise from its up, in (-pi, pi].
    pub(crate) fn upright_angle_rad(self) -> f32 {
        use std::f32::consts::{FRAC_PI_2, PI};
        match self {
            QuarterTurns::One => -FRAC_PI_2,
            QuarterTurns::Two => PI,
            QuarterTurns::Three => FRAC_PI_2,
        }
    }

    /// The turn that undoes this one.
    pub(crate) fn inverse(self) -> Self {
        match self {
            QuarterTurns::One => QuarterTurns::Three,
            QuarterTurns::Two => QuarterTurns::Two,
            QuarterTurns::Three => QuarterTurns::One,
        }
    }
}

impl LowRes {
    /// Makes `out` this image turned clockwise by `turn` (its luma, chroma and block maxima;
    /// `out` keeps its own scratch), reusing `out`'s buffers.
    pub(crate) fn turn_into(&self, turn: QuarterTurns, out: &mut LowRes) {
        let (w, h) = (self.width as usize, self.height as usize);
        let (tw, th) = turn.turned_size(w, h);
        out.width = tw as u32;
        out.height = th as u32;
        out.factor = self.factor;
        turn.turn_plane(&self.luma, w, h, &mut out.luma);
        turn.turn_plane(&self.cb, w, h, &mut out.cb);
        turn.turn_plane(&self.cr, w, h, &mut out.cr);
        turn.turn_plane(&self.max, w, h, &mut out.max);
    }

    /// Sets the size for a `w` x `h` frame reduced by `f` and sizes the output planes to it
    /// (reusing their capacity); returns the reduced width and height.
    fn shape_for(&mut self, w: usize, h: usize, f: usize) -> (usize, usize) {
        let (ow, oh) = (w.div_ceil(f), h.div_ceil(f));
        self.width = ow as u32;
        self.height = oh as u32;
        self.factor = f as u32;
        self.luma.resize(ow * oh, 0);
        self.cb.resize(ow * oh, 0);
        self.cr.resize(ow * oh, 0);
        self.max.resize(ow * oh, 0);
        (ow, oh)
    }
}

/// Horizontal luma pass, with the factors the pipeline uses unrolled at compile time.
#[inline(always)]
fn h_luma(
    f: usize,
    sum: &[u16],
    max: &[u8],
    div: RoundDiv,
    out: &mut [u8],
    om: &mut [u8],
) -> usize {
    use downsample::{hreduce_max, hreduce_max_dyn};
    match f {
        2 => hreduce_max::<2>(sum, max, div, out, om),
        4 => hreduce_max::<4>(sum, max, div, out, om),
        6 => hreduce_max::<6>(sum, max, div, out, om),
        8 => hreduce_max::<8>(sum, max, div, out, om),
        10 => hreduce_max::<10>(sum, max, div, out, om),
        12 => hreduce_max::<12>(sum, max, div, out, om),
        _ => hreduce_max_dyn(f, sum, max, div, out, om),
    }
}

/// Horizontal pass of `k`-weighted sums without maxima, unrolled for common block widths.
#[inline(always)]
fn h_plain(f: usize, k: u32, sum: &[u16], div: RoundDiv, out: &mut [u8]) -> usize {
    use downsample::{hreduce, hreduce_dyn};
    match (f, k) {
        (1, 2) => hreduce::<1, 2>(sum, div, out),
        (2, 2) => hreduce::<2, 2>(sum, div, out),
        (3, 2) => hreduce::<3, 2>(sum, div, out),
        (4, 2) => hreduce::<4, 2>(sum, div, out),
        (5, 2) => hreduce::<5, 2>(sum, div, out),
        (2, 1) => hreduce::<2, 1>(sum, div, out),
        (4, 1) => hreduce::<4, 1>(sum, div, out),
        (6, 1) => hreduce::<6, 1>(sum, div, out),
        (8, 1) => hreduce::<8, 1>(sum, div, out),
        (10, 1) => hreduce::<10, 1>(sum, div, out),
        _ => hreduce_dyn(f, k, sum, div, out),
    }
}

/// Horizontal pass of interleaved chroma sums for an even factor.
#[inline(always)]
fn h_pairs(f: usize, sum: &[u16], div: RoundDiv, a: &mut [u8], b: &mut [u8]) -> usize {
    use downsample::{hreduce_pairs, hreduce_pairs_dyn};
    match f {
        2 => hreduce_pairs::<2>(sum, div, a, b),
        4 => hreduce_pairs::<4>(sum, div, a, b),
        6 => hreduce_pairs::<6>(sum, div, a, b),
        8 => hreduce_pairs::<8>(sum, div, a, b),
        10 => hreduce_pairs::<10>(sum, div, a, b),
        12 => hreduce_pairs::<12>(sum, div, a, b),
        _ => hreduce_pairs_dyn(f, sum, div, a, b),
    }
}

#[cfg(test)]
mod turn_tests {
    use super::QuarterTurns;

    /// Every pixel lands where `point_back` says it came from, and turning back restores the
    /// plane, on odd sizes.
    #[test]
    fn turned_planes_and_points_agree() {
        for (w, h) in [(1usize, 1usize), (3, 5), (7, 2), (6, 6)] {
            let src: Vec<u16> = (0..(w * h) as u16).collect();
            for turn in [QuarterTurns::One, QuarterTurns::Two, QuarterTurns::Three] {
                let (tw, th) = turn.turned_size(w, h);
                let mut dst = Vec::new();
                turn.turn_plane(&src, w, h, &mut dst);
                for ty in 0..th {
                    for tx in 0..tw {
                        let (x, y) =
                            turn.point_back(tx as f32 + 0.5, ty as f32 + 0.5, tw as f32, th as f32);
                        let (x, y) = ((x - 0.5) as usize, (y - 0.5) as usize);
                        assert_eq!(dst[ty * tw + tx], src[y * w + x], "{turn:?} {w}x{h}");
                    }
                }
                let mut back = Vec::new();
                turn.inverse().turn_plane(&dst, tw, th, &mut back);
                assert_eq!(back, src, "{turn:?} {w}x{h}");
                // A direction turns with the points.
                let (dx, dy) = turn.vector_back(1.0, 0.0);
                let (x0, y0) = turn.point_back(0.0, 0.0, tw as f32, th as f32);
                let (x1, y1) = turn.point_back(1.0, 0.0, tw as f32, th as f32);
                assert_eq!((dx, dy), (x1 - x0, y1 - y0), "{turn:?}");
                // Upright "up" lands where `upright_angle_rad` says (clockwise from up).
                let (ux, uy) = turn.vector_back(0.0, -1.0);
                let diff = ux.atan2(-uy) - turn.upright_angle_rad();
                assert!(diff.sin().abs() < 1e-6 && diff.cos() > 0.0, "{turn:?}");
            }
        }
    }
}
