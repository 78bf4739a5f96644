//! Inputs that once crashed or misled the library, replayed on every `cargo test`.
//!
//! Two kinds live here: the fuzzers' crash files, kept under `tests/regression/<target>/` and run
//! through the same code as the fuzz target (`tests/robust/replay.rs`), and hand-written cases for
//! bugs found by reading the code, each with a note on what went wrong.

mod robust;

use fingerqc::frame::LowRes;
use fingerqc::{Error, FrameView, PixelFormat};
use std::path::Path;

/// Runs `run` on every file of `tests/regression/<target>/`, naming each file before it runs so
/// a failure says which one.
fn replay(target: &str, run: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/regression")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .map(|rd| rd.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    for f in &files {
        eprintln!("replaying {}", f.display());
        let bytes = std::fs::read(f).expect("readable regression file");
        run(&bytes);
    }
    eprintln!("{target}: {} files replayed", files.len());
}

#[test]
fn replay_analyze() {
    replay("analyze", robust::targets::analyze::run);
}

#[test]
fn replay_decode() {
    replay("decode", robust::targets::decode::run);
}

#[test]
fn replay_session() {
    replay("session", robust::targets::session::run);
}

#[test]
fn replay_config() {
    replay("config", robust::targets::config::run);
}

#[cfg(feature = "capi")]
#[test]
fn replay_capi() {
    replay("capi", robust::targets::capi::run);
}

/// `from_bytes` added the chroma length to the luma length unchecked: a YUV frame of
/// 0xFFFF_FFFE x 0xFFFF_FFFE overflowed `usize` (a panic with overflow checks, and with them off
/// a wrapped length that passed the buffer check, then a panic in `split_at`).
#[test]
fn from_bytes_yuv_size_overflow_is_an_error() {
    for format in [PixelFormat::Nv21, PixelFormat::Nv12, PixelFormat::I420] {
        let r = FrameView::from_bytes(&[0u8; 64], 0xFFFF_FFFE, 0xFFFF_FFFE, format);
        assert!(
            matches!(r, Err(Error::SizeOverflow { .. })),
            "{format:?}: {:?}",
            r.map(|f| f.width())
        );
    }
}

/// `downsample_into` summed a block in a `u32`: a block of more than 2^32 / 255 (16.8 M) white
/// pixels overflowed (a panic with overflow checks, a wrong mean without). 5000 x 5000 white
/// pixels with factor 5000 is one such block; its mean must be 255.
#[test]
fn downsample_of_one_huge_block_does_not_overflow() {
    let (w, h) = (5000u32, 5000u32);
    let white = vec![255u8; (w * h) as usize];
    let frame = FrameView::new_gray(&white, w, h, w as usize).expect("valid frame");
    let mut low = LowRes::default();
    frame.downsample_into(w, &mut low);
    assert_eq!((low.width, low.height), (1, 1));
    assert_eq!((low.luma[0], low.max[0]), (255, 255));
}
