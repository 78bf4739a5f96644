//! Frames and stage inputs shared by the benches: generated scenes and the sample photos in
//! `testdata/real`, converted to each pixel format once, outside every timed loop.

#![allow(dead_code)] // each bench binary uses a different subset

pub mod cpu_time;

use fingerqc::frame::Rect;
use fingerqc::segment::HandMask;
use fingerqc::{Analyzer, Config, FrameView, PixelFormat};

/// The frame sizes the issue sets targets for.
pub const SIZES: [(u32, u32); 3] = [(1280, 720), (1920, 1080), (3840, 2160)];

/// First generated seed whose scene the analyzer finds four fingers in (the common case: the
/// full-resolution stages then run on four fingertips). Searched from a fixed evaluation seed,
/// so every run benches the same frame.
pub fn four_finger_scene(w: u32, h: u32) -> image::RgbImage {
    let mut analyzer = Analyzer::new(Config::default()).expect("default config is valid");
    let mut first = None;
    for seed in 1_000_000..1_000_040u64 {
        let scene = fingerqc::synth::scene(seed, w, h);
        let view = FrameView::from_rgb_image(&scene.image).expect("valid frame");
        let report = analyzer.analyze(&view).expect("analysis succeeds");
        if report.finger_count == 4 {
            return scene.image;
        }
        first.get_or_insert(scene.image);
    }
    first.expect("at least one scene")
}

#[path = "../../tests/support/convert.rs"]
mod convert;
pub use convert::convert;

/// One benchmark frame: its name, size and bytes in every format the benches use.
pub struct BenchFrame {
    pub name: String,
    pub w: u32,
    pub h: u32,
    pub nv21: Vec<u8>,
    pub gray: Vec<u8>,
    pub rgb: Vec<u8>,
}

impl BenchFrame {
    pub fn from_rgb(name: String, img: &image::RgbImage) -> Self {
        // YUV 4:2:0 needs even sizes: drop a last odd row or column.
        let (w, h) = (img.width() & !1, img.height() & !1);
        let img = image::imageops::crop_imm(img, 0, 0, w, h).to_image();
        let rgb = img.as_raw();
        BenchFrame {
            name,
            w,
            h,
            nv21: convert(rgb, w, h, PixelFormat::Nv21),
            gray: convert(rgb, w, h, PixelFormat::Gray8),
            rgb: rgb.clone(),
        }
    }

    pub fn view(&self, format: PixelFormat) -> FrameView<'_> {
        let data = match format {
            PixelFormat::Gray8 => &self.gray,
            PixelFormat::Rgb8 => &self.rgb,
            _ => &self.nv21,
        };
        FrameView::from_bytes(data, self.w, self.h, format).expect("valid frame")
    }

    pub fn pixels(&self) -> u64 {
        self.w as u64 * self.h as u64
    }
}

/// Generated scenes at the three target sizes.
pub fn generated() -> Vec<BenchFrame> {
    SIZES
        .iter()
        .map(|&(w, h)| BenchFrame::from_rgb(format!("{w}x{h}"), &four_finger_scene(w, h)))
        .collect()
}

/// The hand photos in `testdata/real` (absent or unreadable files are skipped with a note).
pub fn samples() -> Vec<BenchFrame> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/real");
    let files = [
        "tfjs-models/hands.jpg",
        "utkarsh-fingerprint-enhancement/3_camera_finger.jpg",
        "mediapipe-samples/hand_victory.jpg",
    ];
    let mut out = Vec::new();
    for f in files {
        match image::open(format!("{dir}/{f}")) {
            Ok(img) => {
                let img = img.to_rgb8();
                let stem = f.rsplit('/').next().unwrap_or(f).trim_end_matches(".jpg");
                let name = format!("{stem}_{}x{}", img.width() & !1, img.height() & !1);
                out.push(BenchFrame::from_rgb(name, &img));
            }
            Err(e) => eprintln!("note: sample {f} skipped: {e}"),
        }
    }
    out
}

/// The floor: one read pass summing every luma byte, as fast as this CPU reads (AVX2 `vpsadbw`:
/// one instruction sums 32 bytes; portable `u16` lanes otherwise). A pipeline that reads the
/// whole frame cannot be faster than this.
pub fn floor_sum(frame: &FrameView) -> u64 {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: AVX2 is present (checked just above).
        return unsafe { floor_sum_avx2(frame) };
    }
    floor_sum_portable(frame)
}

/// The portable floor (also the check of the AVX2 one: both must give the same sum).
pub fn floor_sum_portable(frame: &FrameView) -> u64 {
    let mut total = 0u64;
    for y in 0..frame.height() {
        let Some(row) = frame.luma_row(y) else {
            continue;
        };
        // 32 u16 lanes, flushed every 256 chunks (256 x 255 fits in u16).
        for block in row.chunks(32 * 256) {
            let mut lanes = [0u16; 32];
            let chunks = block.chunks_exact(32);
            let tail = chunks.remainder();
            for c in chunks {
                for (l, &v) in lanes.iter_mut().zip(c) {
                    *l += v as u16;
                }
            }
            total += lanes.iter().map(|&v| v as u64).sum::<u64>();
            total += tail.iter().map(|&v| v as u64).sum::<u64>();
        }
    }
    total
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn floor_sum_avx2(frame: &FrameView) -> u64 {
    use std::arch::x86_64::*;
    let mut total = 0u64;
    for y in 0..frame.height() {
        let Some(row) = frame.luma_row(y) else {
            continue;
        };
        let chunks = row.chunks_exact(32);
        let tail = chunks.remainder();
        let zero = _mm256_setzero_si256();
        let mut acc = _mm256_setzero_si256();
        for c in chunks {
            // SAFETY: `c` is 32 readable bytes; loadu has no alignment requirement.
            let v = unsafe { _mm256_loadu_si256(c.as_ptr().cast()) };
            acc = _mm256_add_epi64(acc, _mm256_sad_epu8(v, zero));
        }
        let mut lanes = [0u64; 4];
        // SAFETY: `lanes` is 32 writable bytes.
        unsafe { _mm256_storeu_si256(lanes.as_mut_ptr().cast(), acc) };
        total += lanes.iter().sum::<u64>() + tail.iter().map(|&v| v as u64).sum::<u64>();
    }
    total
}

/// Evicts `data` from every cache level (x86-64 `clflush`; a no-op elsewhere), so the next pass
/// reads it from memory as it would a frame the camera just wrote by DMA. Benches named `*_cold`
/// call this before each timed iteration (outside the timing).
pub fn evict(data: &[u8]) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_clflush, _mm_mfence};
        for line in data.chunks(64) {
            // SAFETY: `line` points into a live slice; clflush only needs a mapped address.
            unsafe { _mm_clflush(line.as_ptr()) };
        }
        // SAFETY: a fence has no memory-safety preconditions.
        unsafe { _mm_mfence() };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = data;
}

/// Full-resolution finger mask of `rect`, upsampled from the low-resolution one (what the
/// analyzer hands the ridge stage).
pub fn roi_mask(mask: &HandMask, finger_mask: &[u8], rect: Rect) -> Vec<u8> {
    let (w, h) = (rect.width as usize, rect.height as usize);
    let f = mask.factor.max(1) as usize;
    let (mw, mh) = (mask.width as usize, mask.height as usize);
    let mut out = vec![1u8; w * h];
    if finger_mask.len() < mw * mh || w == 0 {
        return out;
    }
    for (row, dst) in out.chunks_exact_mut(w).enumerate() {
        let my = ((rect.y as usize + row) / f).min(mh - 1);
        for (col, d) in dst.iter_mut().enumerate() {
            let mx = ((rect.x as usize + col) / f).min(mw - 1);
            *d = finger_mask[my * mw + mx];
        }
    }
    out
}
