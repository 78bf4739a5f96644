//! Broken and hostile input, one case per test: each asserts the exact error variant (with its
//! fields) or, for frames that are valid but empty of any hand, a `no_hand` report that keeps
//! every report invariant. Decoding tests also bound the largest single allocation, so a header
//! that lies about its size cannot make the decoder reserve gigabytes.

mod robust;

use fingerqc::config::Limits;
use fingerqc::{Analyzer, Config, Error, FrameView, PixelFormat, ReasonCode, Report, Verdict};
use robust::invariants::check_report;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// Records the largest single allocation made by the current thread, so a test can bound what
/// one call allocates while other tests run in parallel threads.
struct LargestAlloc;

thread_local! {
    static LARGEST: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: forwards to the system allocator unchanged; only records sizes in a thread-local Cell
// (const-initialised, so recording never allocates or recurses).
unsafe impl GlobalAlloc for LargestAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = LARGEST.try_with(|c| c.set(c.get().max(layout.size())));
        // SAFETY: the caller's layout, passed on.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: allocated by `System` in `alloc`/`realloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let _ = LARGEST.try_with(|c| c.set(c.get().max(layout.size())));
        // SAFETY: as in `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = LARGEST.try_with(|c| c.set(c.get().max(new_size)));
        // SAFETY: as in `dealloc`; `new_size` is the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: LargestAlloc = LargestAlloc;

/// Runs `f` and returns its result with the largest single allocation it made (this thread).
fn largest_alloc<T>(f: impl FnOnce() -> T) -> (T, usize) {
    LARGEST.with(|c| c.set(0));
    let r = f();
    (r, LARGEST.with(|c| c.get()))
}

/// What one call may allocate at most while refusing a hostile file: far below the gigabytes a
/// lying header asks for, far above the few kilobytes a decoder needs to read a header.
const REFUSAL_ALLOC_BOUND: usize = 16 << 20;

fn analyze(frame: &FrameView) -> Report {
    let mut a = Analyzer::new(Config::default()).expect("default config");
    let r = a.analyze(frame).expect("a valid frame is analysed");
    check_report(&r, frame.width(), frame.height()).expect("report invariants");
    r
}

fn assert_no_hand(r: &Report, what: &str) {
    assert!(r.has(ReasonCode::NoHand), "{what}: reasons {:?}", codes(r));
    assert_eq!(r.verdict, Verdict::Reject, "{what}");
    assert_eq!(r.finger_count, 0, "{what}");
}

fn codes(r: &Report) -> Vec<ReasonCode> {
    r.reasons.iter().map(|x| x.code).collect()
}

/// A view through the constructor a format calls for, over tight planes cut from `buf`.
fn tight(buf: &[u8], w: u32, h: u32, format: PixelFormat) -> fingerqc::Result<FrameView<'_>> {
    FrameView::from_bytes(buf, w, h, format)
}

#[test]
fn zero_width_or_height_is_an_empty_frame() {
    let buf = [0u8; 64];
    for format in PixelFormat::ALL {
        for (w, h) in [(0u32, 4u32), (4, 0), (0, 0)] {
            let want = |r: fingerqc::Result<FrameView>| {
                assert!(
                    matches!(r, Err(Error::EmptyFrame { width, height }) if (width, height) == (w, h)),
                    "{format:?} {w}x{h}"
                )
            };
            want(tight(&buf, w, h, format));
            match format {
                PixelFormat::Nv12 | PixelFormat::Nv21 => {
                    want(FrameView::new_semiplanar(&buf, 4, &buf, 4, w, h, format))
                }
                PixelFormat::I420 => want(FrameView::new_i420(&buf, 4, &buf, 2, &buf, 2, w, h)),
                _ => want(FrameView::new_packed(&buf, w, h, 16, format)),
            }
        }
    }
}

#[test]
fn stride_shorter_than_a_row_is_refused_per_plane() {
    let buf = [0u8; 4096];
    for format in [
        PixelFormat::Gray8,
        PixelFormat::Rgb8,
        PixelFormat::Rgba8,
        PixelFormat::Bgra8,
    ] {
        let row = 10 * format.luma_bytes_per_pixel();
        let r = FrameView::new_packed(&buf, 10, 4, row - 1, format);
        assert!(
            matches!(r, Err(Error::StrideTooShort { plane: "packed", stride, min }) if stride == row - 1 && min == row),
            "{format:?}"
        );
    }
    for format in [PixelFormat::Nv21, PixelFormat::Nv12] {
        let r = FrameView::new_semiplanar(&buf, 9, &buf, 10, 10, 4, format);
        assert!(matches!(
            r,
            Err(Error::StrideTooShort {
                plane: "luma",
                stride: 9,
                min: 10
            })
        ));
        let r = FrameView::new_semiplanar(&buf, 10, &buf, 9, 10, 4, format);
        assert!(matches!(
            r,
            Err(Error::StrideTooShort {
                plane: "chroma",
                stride: 9,
                min: 10
            })
        ));
    }
    let r = FrameView::new_i420(&buf, 10, &buf, 4, &buf, 5, 10, 4);
    assert!(matches!(
        r,
        Err(Error::StrideTooShort {
            plane: "u",
            stride: 4,
            min: 5
        })
    ));
    let r = FrameView::new_i420(&buf, 10, &buf, 5, &buf, 4, 10, 4);
    assert!(matches!(
        r,
        Err(Error::StrideTooShort {
            plane: "v",
            stride: 4,
            min: 5
        })
    ));
}

#[test]
fn absurd_stride_overflows_instead_of_wrapping() {
    let buf = [0u8; 64];
    let r = FrameView::new_gray(&buf, 4, 3, usize::MAX);
    assert!(
        matches!(r, Err(Error::SizeOverflow { width: 4, height: 3, stride }) if stride == usize::MAX)
    );
    // Width x 4 bytes x height near u32::MAX fits usize on 64-bit but no buffer: too short.
    let r = FrameView::new_packed(&buf, u32::MAX, 2, u32::MAX as usize * 4, PixelFormat::Rgba8);
    assert!(matches!(
        r,
        Err(Error::BufferTooShort {
            plane: "packed",
            len: 64,
            ..
        })
    ));
}

#[test]
fn buffer_too_short_names_the_plane_and_the_need() {
    // The last row needs no padding: stride * (rows - 1) + row bytes.
    let buf = vec![0u8; 1000];
    let r = FrameView::new_gray(&buf[..10 * 3 + 9], 10, 4, 10);
    assert!(matches!(
        r,
        Err(Error::BufferTooShort {
            plane: "packed",
            len: 39,
            needed: 40
        })
    ));
    let r = FrameView::new_packed(&buf[..32 * 3 + 29], 10, 4, 32, PixelFormat::Rgb8);
    assert!(matches!(
        r,
        Err(Error::BufferTooShort {
            plane: "packed",
            len: 125,
            needed: 126
        })
    ));
    let r = FrameView::new_semiplanar(&buf, 10, &buf[..10 + 9], 10, 10, 4, PixelFormat::Nv21);
    assert!(matches!(
        r,
        Err(Error::BufferTooShort {
            plane: "chroma",
            len: 19,
            needed: 20
        })
    ));
    let r = FrameView::new_i420(&buf, 10, &buf, 5, &buf[..9], 5, 10, 4);
    assert!(matches!(
        r,
        Err(Error::BufferTooShort {
            plane: "v",
            len: 9,
            needed: 10
        })
    ));
    // The tight layout of a 10x4 I420 frame needs 40 + 2 * 10 bytes.
    let r = FrameView::from_bytes(&buf[..59], 10, 4, PixelFormat::I420);
    assert!(matches!(
        r,
        Err(Error::BufferTooShort {
            plane: "yuv420",
            len: 59,
            needed: 60
        })
    ));
    assert!(FrameView::from_bytes(&buf[..60], 10, 4, PixelFormat::I420).is_ok());
}

#[test]
fn odd_sizes_are_refused_for_yuv420() {
    let buf = vec![0u8; 4096];
    for format in [PixelFormat::Nv21, PixelFormat::Nv12, PixelFormat::I420] {
        for (w, h) in [(11u32, 8u32), (12, 7), (1, 1), (3, 5)] {
            let r = tight(&buf, w, h, format);
            assert!(
                matches!(r, Err(Error::OddDimensions { format: f, width, height }) if f == format && (width, height) == (w, h)),
                "{format:?} {w}x{h}"
            );
        }
    }
    assert!(matches!(
        FrameView::new_semiplanar(&buf, 12, &buf, 12, 11, 8, PixelFormat::Nv12),
        Err(Error::OddDimensions { .. })
    ));
    assert!(matches!(
        FrameView::new_i420(&buf, 12, &buf, 6, &buf, 6, 12, 7),
        Err(Error::OddDimensions { .. })
    ));
}

#[test]
fn one_pixel_frames_get_no_hand_and_odd_yuv_is_refused() {
    let px = [200u8, 150, 120, 255];
    for format in [
        PixelFormat::Gray8,
        PixelFormat::Rgb8,
        PixelFormat::Rgba8,
        PixelFormat::Bgra8,
    ] {
        let f = tight(&px, 1, 1, format).expect("1x1 packed frame");
        assert_no_hand(&analyze(&f), &format!("1x1 {format:?}"));
    }
    // 1x1 cannot be 4:2:0; the smallest such frame is 2x2.
    let yuv = [200u8, 200, 200, 200, 110, 150];
    for format in [PixelFormat::Nv21, PixelFormat::Nv12, PixelFormat::I420] {
        assert!(matches!(
            tight(&yuv, 1, 1, format),
            Err(Error::OddDimensions { .. })
        ));
        let f = tight(&yuv, 2, 2, format).expect("2x2 YUV frame");
        assert_no_hand(&analyze(&f), &format!("2x2 {format:?}"));
    }
}

/// Bytes of a uniform frame of luma `y` (neutral chroma) in `format`.
fn uniform(w: usize, h: usize, y: u8, format: PixelFormat) -> Vec<u8> {
    match format {
        PixelFormat::Rgb8 => vec![y; w * h * 3],
        PixelFormat::Rgba8 | PixelFormat::Bgra8 => vec![y; w * h * 4],
        PixelFormat::Gray8 => vec![y; w * h],
        _ => {
            let mut v = vec![y; w * h];
            v.extend(std::iter::repeat_n(128u8, w * h / 2));
            v
        }
    }
}

#[test]
fn uniform_black_frames_have_no_hand() {
    for format in PixelFormat::ALL {
        for (w, h) in [(640usize, 480usize), (1280, 720)] {
            let buf = uniform(w, h, 0, format);
            let f = tight(&buf, w as u32, h as u32, format).expect("valid frame");
            assert_no_hand(&analyze(&f), &format!("black {format:?} {w}x{h}"));
        }
    }
}

#[test]
fn uniform_white_frames_have_no_hand() {
    for format in PixelFormat::ALL {
        for (w, h) in [(640usize, 480usize), (1280, 720)] {
            let buf = uniform(w, h, 255, format);
            let f = tight(&buf, w as u32, h as u32, format).expect("valid frame");
            assert_no_hand(&analyze(&f), &format!("white {format:?} {w}x{h}"));
        }
    }
}

fn png_bytes(img: image::DynamicImage) -> Vec<u8> {
    let mut b = std::io::Cursor::new(Vec::new());
    img.write_to(&mut b, image::ImageFormat::Png)
        .expect("PNG encodes");
    b.into_inner()
}

fn jpeg_bytes(img: &image::RgbImage) -> Vec<u8> {
    let mut b = Vec::new();
    let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut b, 85);
    image::DynamicImage::ImageRgb8(img.clone())
        .write_with_encoder(enc)
        .expect("JPEG encodes");
    b
}

fn gradient(w: u32, h: u32) -> image::RgbImage {
    image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x * 3) as u8, (y * 5) as u8, 90]))
}

#[test]
fn truncated_png_is_a_decode_error() {
    let png = png_bytes(gradient(64, 48).into());
    let limits = Limits::default();
    assert!(fingerqc::io::decode_image(&png, &limits).is_ok());
    // Cut in the image data, in the header chunk, and right after the signature.
    for cut in [png.len() - 20, png.len() / 2, 20, 8] {
        let r = fingerqc::io::decode_image(&png[..cut], &limits);
        assert!(matches!(r, Err(Error::Decode(_))), "cut at {cut}");
    }
}

#[test]
fn corrupt_jpeg_headers_are_decode_errors() {
    let jpg = jpeg_bytes(&gradient(64, 48));
    let limits = Limits::default();
    assert!(fingerqc::io::decode_image(&jpg, &limits).is_ok());
    let sof = jpg
        .windows(2)
        .position(|m| m == [0xFF, 0xC0])
        .expect("baseline JPEG has SOF0");
    // SOF0: marker, length (2), precision (1), height (2), width (2), components (1).
    let mut zero_size = jpg.clone();
    zero_size[sof + 5..sof + 9].fill(0);
    let mut no_components = jpg.clone();
    no_components[sof + 9] = 0;
    let mut bad_precision = jpg.clone();
    bad_precision[sof + 4] = 3;
    let truncated = jpg[..sof + 6].to_vec();
    for (what, bytes) in [
        ("zero width and height", zero_size),
        ("no components", no_components),
        ("precision 3", bad_precision),
        ("truncated in SOF", truncated),
    ] {
        let r = fingerqc::io::decode_image(&bytes, &limits);
        assert!(
            matches!(r, Err(Error::Decode(_)) | Err(Error::EmptyFrame { .. })),
            "{what}: {:?}",
            r.map(|f| (f.width, f.height))
        );
    }
}

#[test]
fn corrupt_jpeg_scan_data_errors_or_analyses_cleanly() {
    // Garbage inside the entropy-coded data may decode to garbage pixels (decoders conceal
    // errors) or fail; either way no panic, and a frame that decodes analyses within the
    // invariants.
    let jpg = jpeg_bytes(&gradient(64, 48));
    let sos = jpg.windows(2).position(|m| m == [0xFF, 0xDA]).expect("SOS");
    let limits = Limits::default();
    let mut state = 0x1234_5678u32;
    for trial in 0..20 {
        let mut bytes = jpg.clone();
        for b in bytes[sos + 14..jpg.len() - 2].iter_mut() {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            if state % 7 == 0 {
                *b = (state >> 8) as u8;
            }
        }
        match fingerqc::io::decode_image(&bytes, &limits) {
            Err(Error::Decode(_)) => {}
            Err(e) => panic!("trial {trial}: unexpected error {e}"),
            Ok(img) => {
                let view = img.view().expect("decoded frames are valid");
                analyze(&view);
            }
        }
    }
}

/// A PNG signature and IHDR chunk (with a correct CRC) for any size, then `rest`.
fn png_with_header(width: u32, height: u32, depth: u8, color: u8, rest: &[u8]) -> Vec<u8> {
    fn crc32(data: &[u8]) -> u32 {
        let mut crc = 0xffff_ffffu32;
        for &byte in data {
            crc ^= byte as u32;
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xedb8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend(width.to_be_bytes());
    ihdr.extend(height.to_be_bytes());
    ihdr.extend([depth, color, 0, 0, 0]);
    let mut b = b"\x89PNG\r\n\x1a\n".to_vec();
    b.extend(13u32.to_be_bytes());
    b.extend(&ihdr);
    b.extend(crc32(&ihdr).to_be_bytes());
    b.extend(rest);
    b
}

#[test]
fn png_header_claiming_100000_squared_is_refused_without_allocating() {
    // The crafted header is well-formed (the CRC matches, so the decoder reads the size), then
    // an IDAT of real zlib data and IEND, as a hostile file would have.
    let idat_payload = {
        let mut z = Vec::new();
        let enc = image::codecs::png::PngEncoder::new(&mut z);
        use image::ImageEncoder;
        enc.write_image(&[0u8; 16], 4, 4, image::ExtendedColorType::L8)
            .expect("tiny PNG");
        z
    };
    let bytes = png_with_header(100_000, 100_000, 8, 2, &idat_payload[33..]);
    let (r, largest) =
        largest_alloc(|| fingerqc::io::decode_image(&bytes, &Limits::default()).map(|f| f.width));
    assert!(matches!(r, Err(Error::Decode(_))), "{r:?}");
    assert!(
        largest < REFUSAL_ALLOC_BOUND,
        "refusing the file allocated {largest} bytes at once (bound {REFUSAL_ALLOC_BOUND})"
    );
    // Within the side limit but over the pixel limit: 16384 x 16384 (268 MP) is refused as the
    // frame the analyzer would refuse, before its 1 GiB is allocated.
    let bytes = png_with_header(16_384, 16_384, 8, 6, &idat_payload[33..]);
    let (r, largest) =
        largest_alloc(|| fingerqc::io::decode_image(&bytes, &Limits::default()).map(|f| f.width));
    assert!(
        matches!(
            r,
            Err(Error::FrameTooLarge {
                width: 16_384,
                height: 16_384,
                max_pixels: 64_000_000
            })
        ),
        "{r:?}"
    );
    assert!(largest < REFUSAL_ALLOC_BOUND, "allocated {largest} bytes");
    // Within both but over the byte budget: 5000 x 5000 RGBA is 100 MB > 64 MiB.
    let limits = Limits {
        max_decode_bytes: 64 << 20,
        ..Limits::default()
    };
    let bytes = png_with_header(5000, 5000, 8, 6, &idat_payload[33..]);
    let (r, largest) =
        largest_alloc(|| fingerqc::io::decode_image(&bytes, &limits).map(|f| f.width));
    assert!(matches!(r, Err(Error::Decode(_))), "{r:?}");
    assert!(largest < REFUSAL_ALLOC_BOUND, "allocated {largest} bytes");
}

#[test]
fn frame_above_max_frame_pixels_is_too_large() {
    let mut config = Config::default();
    config.limits.max_frame_pixels = 1000;
    let mut a = Analyzer::new(config).expect("valid config");
    let buf = vec![0u8; 40 * 30];
    let over = FrameView::new_gray(&buf, 40, 30, 40).expect("valid frame");
    assert!(matches!(
        a.analyze(&over),
        Err(Error::FrameTooLarge {
            width: 40,
            height: 30,
            max_pixels: 1000
        })
    ));
    // Exactly at the limit is analysed.
    let at = FrameView::new_gray(&buf, 40, 25, 40).expect("valid frame");
    let r = a.analyze(&at).expect("1000 pixels are allowed");
    assert_no_hand(&r, "40x25 black");
    // The default limit refuses a 9000 x 8000 frame (72 MP) before touching its pixels.
    let (w, h) = (9000u32, 8000u32);
    let big = vec![0u8; (w * h) as usize];
    let frame = FrameView::new_gray(&big, w, h, w as usize).expect("valid frame");
    let mut a = Analyzer::new(Config::default()).expect("default config");
    let (r, largest) = largest_alloc(|| a.analyze(&frame).map(|_| ()));
    assert!(
        matches!(
            r,
            Err(Error::FrameTooLarge {
                width: 9000,
                height: 8000,
                max_pixels: 64_000_000
            })
        ),
        "{r:?}"
    );
    assert!(largest < 1 << 20, "refusal allocated {largest} bytes");
}

#[test]
fn ndarray_views_with_unsupported_shapes_or_strides_are_refused() {
    use ndarray::{Array2, Array3, s};
    let unsupported = |r: fingerqc::Result<FrameView>, what: &str| {
        assert!(
            matches!(r, Err(Error::UnsupportedShape { .. })),
            "{what}: {:?}",
            r.map(|f| (f.width(), f.height()))
        )
    };
    for c in [2usize, 5, 0] {
        let a = Array3::<u8>::zeros((4, 6, c));
        unsupported(FrameView::from_array3(&a.view()), &format!("{c} channels"));
    }
    let a = Array3::<u8>::from_shape_fn((4, 6, 3), |(y, x, k)| (y * 100 + x * 10 + k) as u8);
    let v = a.slice(s![..;-1, .., ..]);
    unsupported(FrameView::from_array3(&v), "rows reversed");
    let v = a.slice(s![.., ..;-1, ..]);
    unsupported(FrameView::from_array3(&v), "columns reversed");
    let v = a.slice(s![.., .., ..;-1]);
    unsupported(FrameView::from_array3(&v), "channels reversed (BGR view)");
    let v = a.slice(s![.., ..;2, ..]);
    unsupported(FrameView::from_array3(&v), "every other column");
    let t = a.view().permuted_axes([1, 0, 2]);
    unsupported(FrameView::from_array3(&t), "transposed");
    let g = Array2::<u8>::from_shape_fn((5, 7), |(y, x)| (y * 7 + x) as u8);
    unsupported(FrameView::from_array2(&g.t()), "transposed gray");
    unsupported(
        FrameView::from_array2(&g.slice(s![..;-1, ..])),
        "gray rows reversed",
    );
    unsupported(
        FrameView::from_array2(&g.slice(s![.., ..;3])),
        "gray column step 3",
    );
    // An empty array is an empty frame; a row slice with a positive step is fine and reads the
    // right pixels.
    let e = Array2::<u8>::zeros((0, 7));
    assert!(matches!(
        FrameView::from_array2(&e.view()),
        Err(Error::EmptyFrame {
            width: 7,
            height: 0
        })
    ));
    let rows = g.slice(s![..;2, 1..]);
    let f = FrameView::from_array2(&rows).expect("rows two apart are supported");
    assert_eq!((f.width(), f.height()), (6, 3));
    assert_eq!(f.luma_row(1), Some(&[15u8, 16, 17, 18, 19, 20][..]));
}

#[test]
fn absurd_configs_name_their_field() {
    let field_of = |c: &Config| match c.validate() {
        Err(Error::Config { field, .. }) => field,
        other => panic!("expected a config error, got {other:?}"),
    };
    type Setter = fn(&mut Config);
    let cases: Vec<(&str, Setter)> = vec![
        ("ppi.min", |c| c.ppi.min = f32::NAN),
        ("ppi.max", |c| c.ppi.max = f32::INFINITY),
        ("ppi.min", |c| c.ppi.min = -350.0),
        ("ppi.min", |c| (c.ppi.min, c.ppi.max) = (800.0, 400.0)),
        ("ppi.target", |c| c.ppi.target = 900.0),
        ("focus.max_blur_mm", |c| c.focus.max_blur_mm = -0.1),
        ("focus.max_motion_mm", |c| c.focus.max_motion_mm = f32::NAN),
        ("exposure.dark_mean", |c| c.exposure.dark_mean = 230.0),
        ("exposure.bright_mean", |c| c.exposure.bright_mean = 1e9),
        ("exposure.max_clipped_fraction", |c| {
            c.exposure.max_clipped_fraction = 1.5
        }),
        ("glare.min_fraction", |c| {
            c.glare.min_fraction = f32::NEG_INFINITY
        }),
        ("framing.min_inside_to_count", |c| {
            c.framing.min_inside_to_count = -0.0001
        }),
        ("ridge.period_mm", |c| c.ridge.period_mm = 0.0),
        ("ridge.finger_width_mm", |c| {
            c.ridge.finger_width_mm = f32::NAN
        }),
        ("expected_fingers", |c| c.expected_fingers = 0),
        ("expected_fingers", |c| c.expected_fingers = 200),
        ("expected_hand", |c| {
            c.expected_hand = fingerqc::Hand::Unknown
        }),
        ("limits.max_frame_pixels", |c| c.limits.max_frame_pixels = 0),
        ("limits.max_image_side", |c| c.limits.max_image_side = 0),
    ];
    for (field, set) in &cases {
        let mut c = Config::default();
        set(&mut c);
        assert_eq!(field_of(&c), *field, "{c:?}");
        // Analyzer::new refuses it the same way.
        assert!(matches!(Analyzer::new(c), Err(Error::Config { field: f, .. }) if f == *field));
    }
    // The same through the text formats: TOML's `nan` and `-inf`, JSON's out-of-range number.
    let r = Config::from_toml_str("[focus]\nmax_blur_mm = nan\n");
    assert!(
        matches!(
            r,
            Err(Error::Config {
                field: "focus.max_blur_mm",
                ..
            })
        ),
        "{r:?}"
    );
    let r = Config::from_toml_str("[ppi]\nmin = -inf\n");
    assert!(
        matches!(
            r,
            Err(Error::Config {
                field: "ppi.min",
                ..
            })
        ),
        "{r:?}"
    );
    let r = Config::from_json_str(r#"{"ppi": {"min": 800, "max": 400}}"#);
    assert!(
        matches!(
            r,
            Err(Error::Config {
                field: "ppi.min",
                ..
            })
        ),
        "{r:?}"
    );
    let r = Config::from_json_str(r#"{"ppi": {"max": 1e999}}"#);
    assert!(matches!(r, Err(Error::ConfigParse(_))), "{r:?}");
    let r = Config::from_json_str(r#"{"expected_fingers": -1}"#);
    assert!(matches!(r, Err(Error::ConfigParse(_))), "{r:?}");
    let r = Config::from_toml_str("colour = 3\n");
    assert!(
        matches!(r, Err(Error::ConfigParse(_))),
        "unknown field: {r:?}"
    );
}

#[test]
fn session_survives_hand_made_reports_with_absurd_values() {
    use fingerqc::session::{Session, SessionConfig};
    // Capture on the first accepted frame, so every hostile report reaches the crop code.
    let sc = SessionConfig {
        smoothing_s: 0.0,
        primary_hold_s: 0.0,
        primary_hold_frames: 1,
        capture_stable_s: 0.0,
        capture_min_frames: 1,
        ..SessionConfig::default()
    };
    let px: Vec<u8> = (0..64 * 48).map(|i| (i * 7 % 251) as u8).collect();
    let frame = FrameView::new_gray(&px, 64, 48, 64).expect("valid frame");
    let odd = [f32::NAN, 0.0, -1.0, f32::INFINITY, 1e-30, 1e30, 500.0];
    let (mut captures, mut crops) = (0, 0);
    for (k, &ppi) in odd.iter().enumerate() {
        for (j, &v) in odd.iter().enumerate() {
            let mut session = Session::new(Config::default(), sc.clone()).expect("valid configs");
            let finger = fingerqc::FingerReport {
                bbox: fingerqc::Rect {
                    x: [0, 60, u32::MAX][j % 3],
                    y: 40,
                    width: [4, u32::MAX, 0][k % 3],
                    height: 30,
                },
                tip: [v, -v],
                angle_deg: v,
                width_px: odd[(j + k) % odd.len()],
                quality: 90,
                ..Default::default()
            };
            let report = Report {
                width: 64,
                height: 48,
                verdict: Verdict::Accept,
                estimated_ppi: Some(ppi),
                finger_count: 1,
                fingers: vec![finger],
                ..Report::default()
            };
            let with_frame = (j + k) % 2 == 0;
            let g = session
                .feed_report(&report, with_frame.then_some(&frame), Some(v), k as f64)
                .expect("finite timestamp");
            assert!((0.0..=1.0).contains(&g.progress) && (0.0..=1.0).contains(&g.steadiness));
            assert!(g.motion_mm_s.is_none_or(|m| m.is_finite() && m >= 0.0));
            if g.captured {
                captures += 1;
                let c = session.take_capture().expect("capture");
                crops += c.fingers.len();
                for crop in &c.fingers {
                    let im = &crop.image;
                    assert!((1..=2048).contains(&im.width) && (1..=2048).contains(&im.height));
                    assert_eq!(im.pixels.len(), (im.width * im.height) as usize);
                    assert!(crop.scale.is_finite() && crop.scale > 0.0);
                }
            }
        }
    }
    // The hostile reports were accepted as such and reached the capture (and crop) code.
    assert!(
        captures > 0 && crops > 0,
        "{captures} captures, {crops} crops: nothing was checked"
    );
}
