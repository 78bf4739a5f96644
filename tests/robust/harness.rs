//! What the fuzz targets share: a small byte reader (so the seed generator can write inputs in
//! the same encoding), frame construction from fuzz bytes, and the checks that turn a wrong
//! answer into a crash.

#![allow(dead_code)]

use super::invariants;
use super::reference::{self, Expect, Layout};
use fingerqc::{Analyzer, Config, Error, FrameView, PixelFormat, Rect, Report};

/// Reads little-endian integers from fuzz bytes; past the end everything reads as zero, so every
/// input decodes to something.
pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// A reader over `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Reader { data, pos: 0 }
    }

    /// One byte.
    pub fn u8(&mut self) -> u8 {
        let v = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos = (self.pos + 1).min(self.data.len());
        v
    }

    /// `N` bytes.
    pub fn bytes<const N: usize>(&mut self) -> [u8; N] {
        let mut b = [0u8; N];
        for v in b.iter_mut() {
            *v = self.u8();
        }
        b
    }

    /// A little-endian u16.
    pub fn u16(&mut self) -> u16 {
        u16::from_le_bytes(self.bytes())
    }

    /// A little-endian u32.
    pub fn u32(&mut self) -> u32 {
        u32::from_le_bytes(self.bytes())
    }

    /// A little-endian u64.
    pub fn u64(&mut self) -> u64 {
        u64::from_le_bytes(self.bytes())
    }

    /// Everything not read yet.
    pub fn rest(&mut self) -> &'a [u8] {
        let r = &self.data[self.pos..];
        self.pos = self.data.len();
        r
    }

    /// A frame dimension: mostly small, sometimes anything, sometimes a known edge value.
    pub fn dim(&mut self) -> u32 {
        match self.u8() % 8 {
            0..=4 => self.u8() as u32,
            5 => self.u16() as u32,
            6 => self.u32(),
            _ => {
                const EDGE: [u32; 8] = [0, 1, 2, 3, 65_535, 65_536, 1 << 31, u32::MAX];
                EDGE[(self.u8() % 8) as usize]
            }
        }
    }

    /// A row stride for rows of `row` bytes: tight, padded, too short, or absurd.
    pub fn stride(&mut self, row: usize) -> usize {
        match self.u8() % 6 {
            0 => row,
            1 => row.saturating_add(self.u8() as usize),
            2 => row.saturating_sub(1 + self.u8() as usize),
            3 => self.u64() as usize,
            4 => usize::MAX,
            _ => 0,
        }
    }
}

/// The pixel format for a byte.
pub fn format_of(b: u8) -> PixelFormat {
    PixelFormat::ALL[(b as usize) % PixelFormat::ALL.len()]
}

/// Bytes per pixel of the packed or Y plane.
pub fn bpp(f: PixelFormat) -> usize {
    f.luma_bytes_per_pixel()
}

/// How the frame bytes are laid out, to rebuild the reference [`Layout`] of a view.
pub struct Planes {
    /// (bytes, stride) of each plane, as handed to the constructor.
    pub planes: [(Vec<u8>, usize); 3],
}

impl Planes {
    /// The reference layout over these planes.
    pub fn layout(&self, format: PixelFormat, w: u32, h: u32) -> Layout<'_> {
        Layout {
            format,
            width: w as usize,
            height: h as usize,
            planes: [
                (&self.planes[0].0, self.planes[0].1),
                (&self.planes[1].0, self.planes[1].1),
                (&self.planes[2].0, self.planes[2].1),
            ],
        }
    }

    /// The view, through the constructor that fits the format.
    pub fn view(&self, format: PixelFormat, w: u32, h: u32) -> fingerqc::Result<FrameView<'_>> {
        let [(p0, s0), (p1, s1), (p2, s2)] = &self.planes;
        match format {
            PixelFormat::Nv12 | PixelFormat::Nv21 => {
                FrameView::new_semiplanar(p0, *s0, p1, *s1, w, h, format)
            }
            PixelFormat::I420 => FrameView::new_i420(p0, *s0, p1, *s1, p2, *s2, w, h),
            _ => FrameView::new_packed(p0, w, h, *s0, format),
        }
    }

    /// What the constructor must answer.
    pub fn expect(&self, format: PixelFormat, w: u32, h: u32) -> Expect {
        let [(p0, s0), (p1, s1), (p2, s2)] = &self.planes;
        match format {
            PixelFormat::Nv12 | PixelFormat::Nv21 => {
                reference::expect_semiplanar(p0.len(), *s0, p1.len(), *s1, w, h, format)
            }
            PixelFormat::I420 => {
                reference::expect_i420([p0.len(), p1.len(), p2.len()], [*s0, *s1, *s2], w, h)
            }
            _ => reference::expect_packed(p0.len(), w, h, *s0, format),
        }
    }
}

/// Row bytes and row counts of each plane of a `w` x `h` frame (zero for absent planes).
pub fn plane_shapes(format: PixelFormat, w: usize, h: usize) -> [(usize, usize); 3] {
    match format {
        PixelFormat::Nv12 | PixelFormat::Nv21 => [(w, h), (w / 2 * 2, h / 2), (0, 0)],
        PixelFormat::I420 => [(w, h), (w / 2, h / 2), (w / 2, h / 2)],
        f => [(w.saturating_mul(bpp(f)), h), (0, 0), (0, 0)],
    }
}

/// Bytes a plane needs: `rows` rows `stride` apart, the last one unpadded.
pub fn plane_len(row: usize, rows: usize, stride: usize) -> Option<usize> {
    if rows == 0 {
        return Some(0);
    }
    stride.checked_mul(rows - 1)?.checked_add(row)
}

/// Fills `n` bytes by repeating `pattern` (zeros when it is empty).
pub fn tile(pattern: &[u8], n: usize) -> Vec<u8> {
    if pattern.is_empty() {
        return vec![0; n];
    }
    pattern.iter().copied().cycle().take(n).collect()
}

/// Whether the library's reduced image and luma copy agree with the reference (exactly for
/// Gray8 and YUV, within one level for RGB); panics with the difference otherwise.
pub fn check_reads(view: &FrameView, layout: &Layout, factor: u32, rect: Rect) {
    let tol = if layout.exact() { 0 } else { 1 };
    let mut low = fingerqc::frame::LowRes::default();
    view.downsample_into(factor, &mut low);
    let want = reference::downsample(layout, factor as usize);
    assert_eq!(
        (low.width as usize, low.height as usize, low.factor),
        (want.width, want.height, factor.max(1)),
        "downsample size, factor {factor}"
    );
    for (name, got, exp) in [
        ("luma", &low.luma, &want.luma),
        ("cb", &low.cb, &want.cb),
        ("cr", &low.cr, &want.cr),
        ("max", &low.max, &want.max),
    ] {
        let d = reference::max_diff(got, exp);
        assert!(
            d.is_some_and(|d| d <= tol),
            "downsample {name} of {:?} {}x{} factor {factor}: max diff {d:?} > {tol}",
            layout.format,
            layout.width,
            layout.height
        );
    }
    let mut roi = Vec::new();
    let got_rect = view.copy_luma(rect, &mut roi);
    let (want_rect, want_roi) = reference::copy_luma(layout, rect);
    assert_eq!(got_rect, want_rect, "copy_luma rect of {rect:?}");
    let d = reference::max_diff(&roi, &want_roi);
    assert!(
        d.is_some_and(|d| d <= tol),
        "copy_luma {rect:?} of {:?}: max diff {d:?} > {tol}",
        layout.format
    );
}

/// A report with the time zeroed, to compare two analyses of the same frame.
pub fn timeless(mut r: Report) -> Report {
    r.elapsed_us = 0;
    r
}

/// Analyses `view` with `config`, checks the error (only `FrameTooLarge`, and only above the
/// limit) or the report's invariants. (That a reused analyzer answers like a fresh one is the
/// session target's check.)
pub fn analyze_checked(view: &FrameView, config: Config) -> Option<Report> {
    let limit = config.limits.max_frame_pixels;
    let mut analyzer = Analyzer::new(config).expect("a validated config is accepted");
    let (w, h) = (view.width(), view.height());
    match analyzer.analyze(view) {
        Err(Error::FrameTooLarge { .. }) => {
            assert!(
                w as u64 * h as u64 > limit,
                "FrameTooLarge at {w}x{h} <= {limit}"
            );
            None
        }
        Err(e) => panic!("analyze of a valid {w}x{h} frame failed: {e}"),
        Ok(r) => {
            assert!(
                w as u64 * h as u64 <= limit,
                "{w}x{h} accepted above {limit}"
            );
            if let Err(e) = invariants::check_report(&r, w, h) {
                panic!(
                    "report of {:?} {w}x{h} breaks an invariant: {e}",
                    view.format()
                );
            }
            Some(r)
        }
    }
}

/// The configuration a byte selects: the default, or one with a small frame limit.
pub fn config_of(sel: u8, extra: u16) -> Config {
    let mut c = Config::default();
    match sel % 4 {
        1 => c.limits.max_frame_pixels = 1 + extra as u64,
        2 => c.expected_hand = fingerqc::Hand::Right,
        3 => c.mirrored = true,
        _ => {}
    }
    c
}

/// RGB of a simple scene: dark background, a skin-coloured palm with four finger bars whose tips
/// carry ridge-like stripes (period `period` px). Enough for the segmenter and finger finder to
/// have something to find; the real generator is `fingerqc::synth`.
pub fn scene(w: usize, h: usize, period: usize) -> Vec<[u8; 3]> {
    let mut px = vec![[30u8, 32, 35]; w * h];
    let skin = [200u8, 150, 120];
    let finger_w = w / 10;
    for (i, x0) in [w / 5, w * 7 / 20, w / 2, w * 13 / 20].iter().enumerate() {
        let top = h / 8 + [h / 10, 0, h / 20, h / 6][i];
        for y in top..h {
            for x in *x0..(*x0 + finger_w).min(w) {
                let stripe = ((x + y) / period.max(1)) % 2 == 0 && y < top + h / 5;
                let mut c = skin;
                if stripe {
                    c = [170, 120, 95];
                }
                px[y * w + x] = c;
            }
        }
    }
    for y in h * 3 / 5..h {
        for x in w / 6..w * 4 / 5 {
            px[y * w + x] = skin;
        }
    }
    px
}

/// The bytes of `rgb` in `format`, tightly packed (the `from_bytes` layout).
pub fn encode(rgb: &[[u8; 3]], w: usize, h: usize, format: PixelFormat) -> Vec<u8> {
    let y_of = |p: &[u8; 3]| fingerqc::frame::ycbcr601(p[0], p[1], p[2]);
    match format {
        PixelFormat::Gray8 => rgb.iter().map(|p| y_of(p).0).collect(),
        PixelFormat::Rgb8 => rgb.iter().flatten().copied().collect(),
        PixelFormat::Rgba8 => rgb.iter().flat_map(|p| [p[0], p[1], p[2], 255]).collect(),
        PixelFormat::Bgra8 => rgb.iter().flat_map(|p| [p[2], p[1], p[0], 255]).collect(),
        yuv => {
            let mut out: Vec<u8> = rgb.iter().map(|p| y_of(p).0).collect();
            let (cw, ch) = (w / 2, h / 2);
            let mut u = Vec::new();
            let mut v = Vec::new();
            for cy in 0..ch {
                for cx in 0..cw {
                    let (_, cb, cr) = y_of(&rgb[(2 * cy) * w + 2 * cx]);
                    u.push(cb);
                    v.push(cr);
                }
            }
            match yuv {
                PixelFormat::I420 => {
                    out.extend(&u);
                    out.extend(&v);
                }
                PixelFormat::Nv12 => out.extend(u.iter().zip(&v).flat_map(|(&a, &b)| [a, b])),
                _ => out.extend(u.iter().zip(&v).flat_map(|(&a, &b)| [b, a])),
            }
            out
        }
    }
}
