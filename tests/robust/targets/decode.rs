//! The CLI's path for image files: `fingerqc::io::decode_image` with the default `Limits`, then
//! the analysis. Anything may fail to decode; nothing may panic, allocate past the limits
//! (libFuzzer's `-malloc_limit_mb` catches that), or give a report that breaks an invariant.

use crate::robust::harness::analyze_checked;
use fingerqc::Config;
use fingerqc::config::Limits;

pub fn run(data: &[u8]) {
    let limits = Limits::default();
    let Ok(img) = fingerqc::io::decode_image(data, &limits) else {
        return;
    };
    assert!(img.width >= 1 && img.height >= 1);
    assert!(img.width <= limits.max_image_side && img.height <= limits.max_image_side);
    let bpp = img.format.luma_bytes_per_pixel();
    assert_eq!(
        img.data.len(),
        img.width as usize * img.height as usize * bpp
    );
    let view = img.view().expect("a decoded image is a valid frame");
    analyze_checked(&view, Config::default());
}
