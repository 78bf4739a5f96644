//! Straightforward per-pixel reference implementations of what `FrameView` does: which
//! constructor input is an error (and which one), the reduced image of `downsample_into` and the
//! luma of `copy_luma`. Written from the documented layouts and BT.601 in floating point, not
//! from the library's code, so they can serve as an oracle.
//!
//! Shared by `tests/properties.rs` and the fuzz targets (included by path).

#![allow(dead_code)]

use fingerqc::{Error, PixelFormat, Rect};

/// The layout a frame was built from: format, size and up to three planes with their strides,
/// indexed directly (a read outside a plane panics here, which the tests report).
#[derive(Clone, Copy, Debug)]
pub struct Layout<'a> {
    /// Pixel format.
    pub format: PixelFormat,
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
    /// (bytes, stride) of the packed or Y plane, then chroma (NV: interleaved; I420: U, V).
    pub planes: [(&'a [u8], usize); 3],
}

/// BT.601 full-range Y, Cb, Cr in floating point.
pub fn ycbcr_f64(r: u8, g: u8, b: u8) -> (f64, f64, f64) {
    let (r, g, b) = (r as f64, g as f64, b as f64);
    (
        0.299 * r + 0.587 * g + 0.114 * b,
        128.0 - 0.168736 * r - 0.331264 * g + 0.5 * b,
        128.0 + 0.5 * r - 0.418688 * g - 0.081312 * b,
    )
}

impl Layout<'_> {
    fn at(&self, plane: usize, x: usize, y: usize) -> u8 {
        let (data, stride) = self.planes[plane];
        data[y * stride + x]
    }

    /// Whether the library must match this reference exactly (bytes copied) or within one level
    /// (colour converted).
    pub fn exact(&self) -> bool {
        !matches!(
            self.format,
            PixelFormat::Rgb8 | PixelFormat::Rgba8 | PixelFormat::Bgra8
        )
    }

    /// Y, Cb, Cr of pixel (x, y).
    pub fn ycc(&self, x: usize, y: usize) -> (f64, f64, f64) {
        match self.format {
            PixelFormat::Gray8 => (self.at(0, x, y) as f64, 128.0, 128.0),
            PixelFormat::Rgb8 | PixelFormat::Rgba8 => {
                let bpp = if self.format == PixelFormat::Rgb8 {
                    3
                } else {
                    4
                };
                let (r, g, b) = (
                    self.at(0, bpp * x, y),
                    self.at(0, bpp * x + 1, y),
                    self.at(0, bpp * x + 2, y),
                );
                ycbcr_f64(r, g, b)
            }
            PixelFormat::Bgra8 => {
                let (b, g, r) = (
                    self.at(0, 4 * x, y),
                    self.at(0, 4 * x + 1, y),
                    self.at(0, 4 * x + 2, y),
                );
                ycbcr_f64(r, g, b)
            }
            PixelFormat::Nv12 | PixelFormat::Nv21 => {
                let luma = self.at(0, x, y) as f64;
                let a = self.at(1, 2 * (x / 2), y / 2) as f64;
                let b = self.at(1, 2 * (x / 2) + 1, y / 2) as f64;
                if self.format == PixelFormat::Nv12 {
                    (luma, a, b)
                } else {
                    (luma, b, a)
                }
            }
            PixelFormat::I420 => (
                self.at(0, x, y) as f64,
                self.at(1, x / 2, y / 2) as f64,
                self.at(2, x / 2, y / 2) as f64,
            ),
            other => panic!("reference does not know {other:?}"),
        }
    }
}

/// What `downsample_into` should produce.
#[derive(Clone, Debug, PartialEq)]
pub struct RefLowRes {
    /// Width.
    pub width: usize,
    /// Height.
    pub height: usize,
    /// Block means of Y, Cb, Cr, rounded half up, and block max of Y (rounded), row-major.
    pub luma: Vec<u8>,
    /// Cb means.
    pub cb: Vec<u8>,
    /// Cr means.
    pub cr: Vec<u8>,
    /// Block max of Y.
    pub max: Vec<u8>,
}

fn round_level(v: f64) -> u8 {
    (v + 0.5).floor().clamp(0.0, 255.0) as u8
}

/// Box means over `factor` x `factor` blocks (partial blocks at the right and bottom edges
/// average what they hold).
pub fn downsample(l: &Layout, factor: usize) -> RefLowRes {
    let f = factor.max(1);
    let (ow, oh) = (l.width.div_ceil(f), l.height.div_ceil(f));
    let mut out = RefLowRes {
        width: ow,
        height: oh,
        luma: vec![0; ow * oh],
        cb: vec![0; ow * oh],
        cr: vec![0; ow * oh],
        max: vec![0; ow * oh],
    };
    for oy in 0..oh {
        for ox in 0..ow {
            let (mut sy, mut scb, mut scr, mut max, mut n) = (0.0, 0.0, 0.0, 0.0f64, 0.0);
            for y in oy * f..((oy + 1) * f).min(l.height) {
                for x in ox * f..((ox + 1) * f).min(l.width) {
                    let (yy, cb, cr) = l.ycc(x, y);
                    sy += yy;
                    scb += cb;
                    scr += cr;
                    max = max.max(yy);
                    n += 1.0;
                }
            }
            let i = oy * ow + ox;
            out.luma[i] = round_level(sy / n);
            out.cb[i] = round_level(scb / n);
            out.cr[i] = round_level(scr / n);
            out.max[i] = round_level(max);
        }
    }
    out
}

/// `rect` clamped to the frame, and the luma inside it row after row.
pub fn copy_luma(l: &Layout, rect: Rect) -> (Rect, Vec<u8>) {
    let x0 = (rect.x as usize).min(l.width);
    let y0 = (rect.y as usize).min(l.height);
    let x1 = (rect.x as usize + rect.width as usize).min(l.width);
    let y1 = (rect.y as usize + rect.height as usize).min(l.height);
    let mut out = Vec::with_capacity((x1 - x0) * (y1 - y0));
    for y in y0..y1 {
        for x in x0..x1 {
            out.push(round_level(l.ycc(x, y).0));
        }
    }
    let r = Rect {
        x: x0 as u32,
        y: y0 as u32,
        width: (x1 - x0) as u32,
        height: (y1 - y0) as u32,
    };
    (r, out)
}

/// Largest difference between two equally long byte images, or `None` when lengths differ.
pub fn max_diff(a: &[u8], b: &[u8]) -> Option<u8> {
    if a.len() != b.len() {
        return None;
    }
    Some(
        a.iter()
            .zip(b)
            .map(|(&x, &y)| x.abs_diff(y))
            .max()
            .unwrap_or(0),
    )
}

/// Which outcome a constructor should have; compared with [`outcome`] of the real result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expect {
    /// A view.
    Ok,
    /// `Error::EmptyFrame`.
    Empty,
    /// `Error::OddDimensions`.
    Odd,
    /// `Error::UnsupportedFormat`.
    Unsupported,
    /// `Error::StrideTooShort` for this plane, stride and minimum.
    StrideTooShort(&'static str, usize, usize),
    /// `Error::BufferTooShort` for this plane, length and need.
    BufferTooShort(&'static str, usize, usize),
    /// `Error::SizeOverflow`.
    Overflow,
    /// Any other error (the test fails on it).
    Other(String),
}

/// The [`Expect`] of an actual constructor result.
pub fn outcome<T>(r: &Result<T, Error>) -> Expect {
    match r {
        Ok(_) => Expect::Ok,
        Err(Error::EmptyFrame { .. }) => Expect::Empty,
        Err(Error::OddDimensions { .. }) => Expect::Odd,
        Err(Error::UnsupportedFormat { .. }) => Expect::Unsupported,
        Err(Error::StrideTooShort { plane, stride, min }) => {
            Expect::StrideTooShort(plane, *stride, *min)
        }
        Err(Error::BufferTooShort { plane, len, needed }) => {
            Expect::BufferTooShort(plane, *len, *needed)
        }
        Err(Error::SizeOverflow { .. }) => Expect::Overflow,
        Err(e) => Expect::Other(e.to_string()),
    }
}

fn bpp(format: PixelFormat) -> u128 {
    match format {
        PixelFormat::Rgb8 => 3,
        PixelFormat::Rgba8 | PixelFormat::Bgra8 => 4,
        _ => 1,
    }
}

fn dims(format: PixelFormat, w: u32, h: u32) -> Option<Expect> {
    if w == 0 || h == 0 {
        return Some(Expect::Empty);
    }
    let yuv = matches!(
        format,
        PixelFormat::Nv12 | PixelFormat::Nv21 | PixelFormat::I420
    );
    if yuv && (w % 2 == 1 || h % 2 == 1) {
        return Some(Expect::Odd);
    }
    None
}

/// A plane of `rows` rows of `row` bytes, `stride` apart, in `len` bytes: the last row needs
/// no padding.
fn plane(name: &'static str, len: usize, stride: usize, row: u128, rows: u128) -> Option<Expect> {
    if (stride as u128) < row {
        return Some(Expect::StrideTooShort(name, stride, row as usize));
    }
    let needed = stride as u128 * rows.saturating_sub(1) + row;
    if needed > usize::MAX as u128 {
        return Some(Expect::Overflow);
    }
    if (len as u128) < needed {
        return Some(Expect::BufferTooShort(name, len, needed as usize));
    }
    None
}

/// Expected outcome of `FrameView::new_packed`.
pub fn expect_packed(len: usize, w: u32, h: u32, stride: usize, format: PixelFormat) -> Expect {
    if bpp(format) == 1 && format != PixelFormat::Gray8 {
        return Expect::Unsupported;
    }
    dims(format, w, h)
        .or_else(|| plane("packed", len, stride, w as u128 * bpp(format), h as u128))
        .unwrap_or(Expect::Ok)
}

/// Expected outcome of `FrameView::new_semiplanar`.
#[allow(clippy::too_many_arguments)]
pub fn expect_semiplanar(
    y_len: usize,
    y_stride: usize,
    uv_len: usize,
    uv_stride: usize,
    w: u32,
    h: u32,
    format: PixelFormat,
) -> Expect {
    if !matches!(format, PixelFormat::Nv12 | PixelFormat::Nv21) {
        return Expect::Unsupported;
    }
    dims(format, w, h)
        .or_else(|| plane("luma", y_len, y_stride, w as u128, h as u128))
        .or_else(|| plane("chroma", uv_len, uv_stride, w as u128, h as u128 / 2))
        .unwrap_or(Expect::Ok)
}

/// Expected outcome of `FrameView::new_i420`.
pub fn expect_i420(lens: [usize; 3], strides: [usize; 3], w: u32, h: u32) -> Expect {
    let (cw, ch) = (w as u128 / 2, h as u128 / 2);
    dims(PixelFormat::I420, w, h)
        .or_else(|| plane("luma", lens[0], strides[0], w as u128, h as u128))
        .or_else(|| plane("u", lens[1], strides[1], cw, ch))
        .or_else(|| plane("v", lens[2], strides[2], cw, ch))
        .unwrap_or(Expect::Ok)
}

/// Expected outcome of `FrameView::from_bytes` (tight layout, planes one after another).
pub fn expect_from_bytes(len: usize, w: u32, h: u32, format: PixelFormat) -> Expect {
    if let Some(e) = dims(format, w, h) {
        return e;
    }
    let yuv = matches!(
        format,
        PixelFormat::Nv12 | PixelFormat::Nv21 | PixelFormat::I420
    );
    if !yuv {
        let row = w as u128 * bpp(format);
        return plane("packed", len, row as usize, row, h as u128).unwrap_or(Expect::Ok);
    }
    let needed = w as u128 * h as u128 + 2 * (w as u128 / 2) * (h as u128 / 2);
    if needed > usize::MAX as u128 {
        return Expect::Overflow;
    }
    if (len as u128) < needed {
        return Expect::BufferTooShort("yuv420", len, needed as usize);
    }
    Expect::Ok
}

/// The planes `from_bytes` cuts a tight buffer into, as a [`Layout`] (only for an `Ok` case).
pub fn tight_layout(data: &[u8], w: usize, h: usize, format: PixelFormat) -> Layout<'_> {
    let none: (&[u8], usize) = (&[], 0);
    let planes = match format {
        PixelFormat::Nv12 | PixelFormat::Nv21 => {
            let (y, uv) = data.split_at(w * h);
            [(y, w), (uv, w), none]
        }
        PixelFormat::I420 => {
            let (y, rest) = data.split_at(w * h);
            let (u, v) = rest.split_at((w / 2) * (h / 2));
            [(y, w), (u, w / 2), (v, w / 2)]
        }
        _ => [(data, w * bpp(format) as usize), none, none],
    };
    Layout {
        format,
        width: w,
        height: h,
        planes,
    }
}
