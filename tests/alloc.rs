//! A warm analyzer allocates nothing per frame: proved with a counting global allocator.
//!
//! This file holds a single test so no other test's allocations are counted.

use fingerqc::analyzer::MaskPass;
use fingerqc::{Analyzer, Config, FrameView, PixelFormat, Report};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};

struct Counting;

static ALLOCS: AtomicU64 = AtomicU64::new(0);

// SAFETY: forwards to the system allocator unchanged; only counts calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Frames of generated scene `seed` in every format, converted once up front.
fn frames(seed: u64, w: u32, h: u32) -> Vec<(PixelFormat, Vec<u8>)> {
    let scene = fingerqc::synth::scene(seed, w, h);
    let rgb = scene.image.as_raw();
    PixelFormat::ALL
        .iter()
        .map(|&f| (f, convert(rgb, w, h, f)))
        .collect()
}

#[path = "support/convert.rs"]
mod convert;
use convert::convert;

#[test]
fn warm_analyzer_allocates_nothing_per_frame() {
    let (w, h) = (1280, 720);
    // A frame the first pass reads right, one whose first passes miss a finger so the
    // edge-cut pass runs and is kept in some pixel format (asserted below, so the path stays
    // covered; the formats' chroma sampling differs, and with it which pass wins), and a hand
    // too close whose fingers the close-up pass traces on a coarser image (its image, mask and
    // geometry trade places with the usual ones' buffers), and a dark frame whose reduced
    // image is brightened for segmentation (its planes saved and put back).
    for (seed, pass) in [
        (1_000_123, None),
        (0, Some(MaskPass::EdgeCut)),
        (153, Some(MaskPass::CloseUp)),
        (315, None),
    ] {
        warm_frames_allocate_nothing(&frames(seed, w, h), w, h, pass);
    }
}

fn warm_frames_allocate_nothing(
    frames: &[(PixelFormat, Vec<u8>)],
    w: u32,
    h: u32,
    pass: Option<MaskPass>,
) {
    let mut analyzer = Analyzer::new(Config::default()).expect("default config is valid");
    let mut report = Report::default();
    let mut passes = Vec::new();
    for (format, data) in frames {
        let view = FrameView::from_bytes(data, w, h, *format).expect("valid frame");
        // Warm-up: the first frames of a size grow the scratch buffers and the report's vectors.
        for _ in 0..3 {
            analyzer
                .analyze_into(&view, &mut report)
                .expect("analysis succeeds");
        }
        let before = ALLOCS.load(Ordering::Relaxed);
        for _ in 0..5 {
            analyzer
                .analyze_into(&view, &mut report)
                .expect("analysis succeeds");
        }
        let allocs = ALLOCS.load(Ordering::Relaxed) - before;
        passes.push(analyzer.internals().mask_pass);
        // Tolerance: zero. Any allocation in steady state is a regression.
        assert_eq!(
            allocs, 0,
            "{format:?}: {allocs} allocations in 5 warm frames"
        );
    }
    if let Some(pass) = pass {
        assert!(passes.contains(&pass), "{pass:?} never taken: {passes:?}");
    }
}
