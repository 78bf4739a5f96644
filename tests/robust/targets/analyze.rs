//! Arbitrary bytes -> a frame of any pixel format, size and strides (lies included: strides
//! shorter than rows, buffers too short, absurd sizes) through the checked constructors, then
//! `Analyzer::analyze`.
//!
//! Input: format (u8), mode (u8), width and height (see `Reader::dim`), three stride specs,
//! two plane cut points (u16), a factor (u8), a rectangle (4 x u16), a config selector (u8 + u16),
//! then pixel bytes. Modes:
//! 0. the planes are cut from the pixel bytes as given: the constructor must answer exactly what
//!    the reference predicts (error variant and fields);
//! 1. `FrameView::from_bytes` over the pixel bytes, checked the same way;
//! 2. a valid frame of the declared size (capped) with padded strides, filled by repeating the
//!    pixel bytes: the frame the analyzer must survive;
//! 3. an `ndarray` view with arbitrary steps (negative included) and axis order.
//!
//! Whenever a view is built, its reduced image and luma copy are checked against the reference
//! and the analyzer's report against the documented invariants.

use crate::robust::harness::{
    Planes, Reader, analyze_checked, check_reads, config_of, format_of, plane_len, plane_shapes,
    tile,
};
use crate::robust::reference;
use fingerqc::{Error, FrameView, PixelFormat, Rect};

/// Frames up to this many bytes are built in mode 2 (the analyzer's cost grows with the size).
/// The analyzer takes ~10-50 ms per frame of 160x120 to 640x480 (dev profile, more under ASan),
/// so frames stay small enough for tens of executions per second; long thin frames (e.g.
/// 4000 x 40 gray) still reach reduced images of factor 2-10. Large frames are the business of
/// `tests/bad_input.rs` and `tests/properties.rs`.
const MAX_TILED_BYTES: usize = 160 << 10;
/// Frames up to this many pixels are also compared with the per-pixel reference.
const MAX_REFERENCE_PIXELS: u64 = 1 << 16;

pub fn run(data: &[u8]) {
    let mut r = Reader::new(data);
    let format = format_of(r.u8());
    let mode = r.u8() % 4;
    let (mut w, mut h) = (r.dim(), r.dim());
    let stride_specs: [[u8; 9]; 3] = [r.bytes(), r.bytes(), r.bytes()];
    let cuts = [r.u16(), r.u16()];
    let factor = match r.u8() {
        f @ 0..=200 => 1 + (f % 9) as u32,
        f => f as u32 * 1000,
    };
    let rect = Rect {
        x: r.u16() as u32,
        y: r.u16() as u32,
        width: r.u16() as u32,
        height: r.u16() as u32,
    };
    let config = config_of(r.u8(), r.u16());
    let pixels = r.rest();

    if mode == 3 {
        ndarray_case(format, w, h, &stride_specs, pixels);
        return;
    }
    if mode == 2 {
        // A valid frame: bring the size under the cap, keep only padding in the strides.
        w %= 4097;
        h %= 4097;
        while w as usize * h as usize * 4 > MAX_TILED_BYTES {
            if w > h {
                w /= 2;
            } else {
                h /= 2;
            }
        }
    }
    let shapes = plane_shapes(format, w as usize, h as usize);
    let mut planes = Planes {
        planes: Default::default(),
    };
    if mode == 1 {
        let res = FrameView::from_bytes(pixels, w, h, format);
        let want = reference::expect_from_bytes(pixels.len(), w, h, format);
        assert_eq!(
            reference::outcome(&res),
            want,
            "from_bytes {format:?} {w}x{h}"
        );
        if let Ok(view) = res {
            let layout = reference::tight_layout(pixels, w as usize, h as usize, format);
            check_view(&view, &layout, factor, rect, config);
        }
        return;
    }
    let mut offset = 0;
    for (i, ((row, rows), spec)) in shapes.iter().zip(&stride_specs).enumerate() {
        let stride = if mode == 2 {
            row + (spec[1] % 17) as usize
        } else {
            Reader::new(spec).stride(*row)
        };
        let bytes = if mode == 2 {
            let len = plane_len(*row, *rows, stride).unwrap_or(0);
            tile(pixels.get(offset..).unwrap_or(&[]), len)
        } else {
            // Cut the pixel bytes into up to three planes at the given fractions.
            let end = if i < 2 {
                offset + (pixels.len() - offset) * cuts[i] as usize / 65_536
            } else {
                pixels.len()
            };
            let p = pixels[offset..end].to_vec();
            offset = end;
            p
        };
        planes.planes[i] = (bytes, stride);
    }
    let res = planes.view(format, w, h);
    let want = planes.expect(format, w, h);
    let got = reference::outcome(&res);
    if mode == 2 {
        // Only odd YUV sizes and empty frames may fail here.
        assert!(
            got == want
                && matches!(
                    got,
                    reference::Expect::Ok | reference::Expect::Odd | reference::Expect::Empty
                ),
            "valid {format:?} {w}x{h}: got {got:?}, want {want:?}"
        );
    } else {
        assert_eq!(got, want, "{format:?} {w}x{h}");
    }
    if let Ok(view) = res {
        let layout = planes.layout(format, w, h);
        check_view(&view, &layout, factor, rect, config);
    }
}

fn check_view(
    view: &FrameView,
    layout: &reference::Layout,
    factor: u32,
    rect: Rect,
    config: fingerqc::Config,
) {
    let (w, h) = (view.width(), view.height());
    for y in 0..h {
        if let Some(row) = view.luma_row(y) {
            assert_eq!(row.len(), w as usize);
        }
    }
    if w as u64 * h as u64 <= MAX_REFERENCE_PIXELS {
        check_reads(view, layout, factor.min(64), rect);
    }
    if w as u64 * h as u64 <= (MAX_TILED_BYTES as u64) {
        analyze_checked(view, config);
    }
}

/// Frames from `ndarray` views: `from_array2` / `from_array3` must either refuse with
/// `UnsupportedShape` / `EmptyFrame`, or give a view whose pixels are the array's.
fn ndarray_case(format: PixelFormat, w: u32, h: u32, specs: &[[u8; 9]; 3], pixels: &[u8]) {
    use ndarray::{Array3, Axis, Slice};
    let c = match format {
        PixelFormat::Rgb8 => 3,
        PixelFormat::Rgba8 | PixelFormat::Bgra8 => 4,
        PixelFormat::Gray8 => 1,
        // The other formats ask for a shape the adapters refuse: 2 or 5 channels.
        PixelFormat::Nv12 | PixelFormat::Nv21 => 2,
        _ => 5,
    };
    let (bh, bw) = ((h % 49) as usize, (w % 49) as usize);
    let base = Array3::from_shape_vec((bh, bw, c), tile(pixels, bh * bw * c)).expect("shape");
    let mut v = base.view();
    let step = |b: u8| -> isize {
        let s = (b % 4) as isize + 1;
        if b & 0x80 != 0 { -s } else { s }
    };
    v.slice_axis_inplace(Axis(0), Slice::new(0, None, step(specs[0][0])));
    v.slice_axis_inplace(Axis(1), Slice::new(0, None, step(specs[1][0])));
    if specs[2][0] & 1 == 1 {
        v.swap_axes(0, 1);
    }
    if specs[2][0] & 2 == 2 && c > 1 {
        v.slice_axis_inplace(Axis(2), Slice::new(0, None, -1));
    }
    let (vh, vw, _) = v.dim();
    let two_d = specs[2][1] & 1 == 1 && c == 1;
    let res = if two_d {
        let v2 = v.index_axis(Axis(2), 0);
        FrameView::from_array2(&v2).map(|f| (f.width(), f.height(), rows_of(&f)))
    } else {
        FrameView::from_array3(&v).map(|f| (f.width(), f.height(), rows_of(&f)))
    };
    match res {
        Ok((fw, fh, rows)) => {
            assert_eq!((fw as usize, fh as usize), (vw, vh), "view size");
            for (y, row) in rows.iter().enumerate() {
                for (x, px) in row.chunks_exact(c).enumerate() {
                    for (k, &b) in px.iter().enumerate() {
                        assert_eq!(b, v[[y, x, k]], "pixel ({x},{y}) channel {k}");
                    }
                }
            }
        }
        Err(Error::UnsupportedShape { .. }) => {
            // Refusing is right for shapes without 1, 3 or 4 channels and for views whose rows
            // are not contiguous and ascending.
            let s = v.strides();
            let contiguous_rows = (vw <= 1 || s[1] == c as isize)
                && (c == 1 || s[2] == 1)
                && (vh <= 1 || s[0] >= (vw * c) as isize);
            assert!(
                !matches!(c, 1 | 3 | 4)
                    || !contiguous_rows
                    || (vh == 1 && s[0] < 0)
                    || (c == 1 && s[2] != 1),
                "refused a supported view: shape {:?} strides {s:?}",
                v.dim()
            );
        }
        Err(Error::EmptyFrame { .. }) => assert!(vw == 0 || vh == 0, "EmptyFrame for {vw}x{vh}"),
        Err(e) => panic!("unexpected error from an ndarray view: {e}"),
    }
}

/// Every row of a view's packed bytes, copied.
fn rows_of(f: &FrameView) -> Vec<Vec<u8>> {
    (0..f.height()).map(|y| f.packed_row(y).to_vec()).collect()
}
