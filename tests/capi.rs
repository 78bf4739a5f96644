//! The C ABI called from Rust as a C host would: every error path returns its status and a
//! message naming the problem, and a report read through the ABI equals the Rust API's (the
//! JSON byte for byte, up to the timing field). Run with `cargo test --features capi --test capi`.
#![cfg(feature = "capi")]

use fingerqc::capi::*;
use fingerqc::frame::ycbcr601;
use fingerqc::{Analyzer, Config, FrameView, PixelFormat, Verdict};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::ffi::{CStr, c_char};
use std::ptr;

/// Counts this thread's allocations, so tests running in parallel do not disturb the count.
struct Counting;

thread_local! {
    static ALLOCS: Cell<usize> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations() -> usize {
    ALLOCS.with(|c| c.get())
}

fn last_error() -> String {
    let mut buf = [0 as c_char; 512];
    let n = unsafe { fingerqc_last_error(buf.as_mut_ptr(), buf.len()) };
    let s = unsafe { CStr::from_ptr(buf.as_ptr()) }
        .to_str()
        .expect("messages are UTF-8")
        .to_owned();
    assert_eq!(n, s.len());
    s
}

/// Asserts the status and that the message mentions `needle`.
#[track_caller]
fn expect(status: fingerqc_status, want: fingerqc_status, needle: &str) {
    assert_eq!(status, want);
    let msg = last_error();
    assert!(
        msg.contains(needle),
        "message {msg:?} should mention {needle:?}"
    );
}

/// An owned frame and its C description (pointers into `data`, valid while it lives).
struct Owned {
    data: Vec<u8>,
    w: u32,
    h: u32,
    format: PixelFormat,
}

impl Owned {
    /// The frame in the tight `FrameView::from_bytes` layout.
    fn c(&self) -> fingerqc_frame {
        let (w, h) = (self.w as usize, self.h as usize);
        let base = self.data.as_ptr();
        let mut f = fingerqc_frame {
            width: self.w,
            height: self.h,
            format: self.format as u32,
            planes: [ptr::null(); 3],
            strides: [0; 3],
            lengths: [0; 3],
        };
        match self.format {
            PixelFormat::Nv21 | PixelFormat::Nv12 => {
                f.planes = [base, base.wrapping_add(w * h), ptr::null()];
                f.strides = [w, w, 0];
                f.lengths = [w * h, w * h / 2, 0];
            }
            PixelFormat::I420 => {
                let c = w / 2 * (h / 2);
                f.planes = [base, base.wrapping_add(w * h), base.wrapping_add(w * h + c)];
                f.strides = [w, w / 2, w / 2];
                f.lengths = [w * h, c, c];
            }
            other => {
                let row = w * other.luma_bytes_per_pixel();
                f.planes[0] = base;
                f.strides[0] = row;
                f.lengths[0] = row * h;
            }
        }
        assert_eq!(f.lengths.iter().sum::<usize>(), self.data.len());
        f
    }

    fn view(&self) -> FrameView<'_> {
        FrameView::from_bytes(&self.data, self.w, self.h, self.format).unwrap()
    }
}

/// A skin-coloured square with stripes on a blue background, in `format` (the analyzer must
/// find something there, whatever its verdict).
fn scene(w: u32, h: u32, format: PixelFormat) -> Owned {
    let rgb = |x: u32, y: u32| -> [u8; 3] {
        let inside = x > w / 4 && x < 3 * w / 4 && y > h / 5 && y < 4 * h / 5;
        if inside {
            let s = if (y / 4) % 2 == 0 { 1.0 } else { 0.85 };
            [(205.0 * s) as u8, (150.0 * s) as u8, (120.0 * s) as u8]
        } else {
            [40, 90, 160]
        }
    };
    let mut data = Vec::new();
    match format {
        PixelFormat::Nv21 | PixelFormat::Nv12 | PixelFormat::I420 => {
            for y in 0..h {
                for x in 0..w {
                    let [r, g, b] = rgb(x, y);
                    data.push(ycbcr601(r, g, b).0);
                }
            }
            let (mut u, mut v) = (Vec::new(), Vec::new());
            for y in 0..h / 2 {
                for x in 0..w / 2 {
                    let [r, g, b] = rgb(2 * x, 2 * y);
                    let (_, cb, cr) = ycbcr601(r, g, b);
                    u.push(cb);
                    v.push(cr);
                }
            }
            match format {
                PixelFormat::I420 => {
                    data.extend(&u);
                    data.extend(&v);
                }
                PixelFormat::Nv21 => data.extend(v.iter().zip(&u).flat_map(|(&a, &b)| [a, b])),
                _ => data.extend(u.iter().zip(&v).flat_map(|(&a, &b)| [a, b])),
            }
        }
        _ => {
            for y in 0..h {
                for x in 0..w {
                    let [r, g, b] = rgb(x, y);
                    match format {
                        PixelFormat::Gray8 => data.push(fingerqc::frame::luma601(r, g, b)),
                        PixelFormat::Rgb8 => data.extend([r, g, b]),
                        PixelFormat::Rgba8 => data.extend([r, g, b, 255]),
                        _ => data.extend([b, g, r, 255]),
                    }
                }
            }
        }
    }
    Owned { data, w, h, format }
}

/// A black gray frame: nothing hand-like, so the report holds exactly one reason, `no_hand`.
fn blank(w: u32, h: u32) -> Owned {
    Owned {
        data: vec![0; (w * h) as usize],
        w,
        h,
        format: PixelFormat::Gray8,
    }
}

fn new_analyzer(config: Option<&CStr>) -> *mut fingerqc_analyzer {
    let mut a = ptr::null_mut();
    let status = unsafe { fingerqc_analyzer_new(config.map_or(ptr::null(), CStr::as_ptr), &mut a) };
    assert_eq!(status, fingerqc_status::Ok, "{}", last_error());
    assert!(!a.is_null());
    a
}

fn json_of(report: *const fingerqc_report) -> String {
    let mut n = 0usize;
    let status = unsafe { fingerqc_report_json(report, ptr::null_mut(), 0, &mut n) };
    assert_eq!(status, fingerqc_status::BufferTooSmall, "a length query");
    let mut buf = vec![0u8; n + 1];
    let mut got = 0usize;
    let status =
        unsafe { fingerqc_report_json(report, buf.as_mut_ptr().cast(), buf.len(), &mut got) };
    assert_eq!(status, fingerqc_status::Ok);
    assert_eq!(got, n);
    assert_eq!(buf[n], 0, "NUL-terminated");
    buf.truncate(n);
    String::from_utf8(buf).expect("JSON is UTF-8")
}

/// The JSON with the timing field zeroed: two runs of the same frame differ only there.
fn untimed(json: &str) -> serde_json::Value {
    let mut v: serde_json::Value = serde_json::from_str(json).expect("valid JSON");
    v["elapsed_us"] = 0.into();
    v
}

#[test]
fn report_through_the_c_abi_equals_the_rust_api_in_every_format() {
    let analyzer = new_analyzer(None);
    let mut rust = Analyzer::new(Config::default()).unwrap();
    let mut verdicts = Vec::new();
    for format in PixelFormat::ALL {
        for (w, h) in [(320, 240), (64, 48)] {
            let frame = scene(w, h, format);
            let expected = rust.analyze(&frame.view()).unwrap();
            let c_frame = frame.c();
            let mut report = ptr::null_mut();
            let status = unsafe { fingerqc_analyze(analyzer, &c_frame, &mut report) };
            assert_eq!(status, fingerqc_status::Ok, "{}", last_error());

            let json = json_of(report);
            let rust_json = serde_json::to_string(&expected).unwrap();
            assert_eq!(untimed(&json), untimed(&rust_json), "{format:?} {w}x{h}");

            // The accessors agree with the Rust report field by field.
            let mut verdict = Verdict::Accept;
            let mut count = 0usize;
            unsafe {
                fingerqc_report_verdict(report, &mut verdict);
                fingerqc_report_reason_count(report, &mut count);
            }
            assert_eq!(verdict, expected.verdict);
            assert_eq!(count, expected.reasons.len());
            for (i, reason) in expected.reasons.iter().enumerate() {
                let (mut code, mut value, mut threshold) = (u32::MAX, f32::NAN, f32::NAN);
                unsafe {
                    fingerqc_report_reason_code(report, i, &mut code);
                    fingerqc_report_reason_value(report, i, &mut value);
                    fingerqc_report_reason_threshold(report, i, &mut threshold);
                }
                assert_eq!(code, reason.code as u32);
                assert_eq!(value.to_bits(), reason.value.to_bits());
                assert_eq!(threshold.to_bits(), reason.threshold.to_bits());
            }
            let (mut ppi, mut has) = (f32::NAN, false);
            let mut fingers = 0u32;
            unsafe {
                fingerqc_report_estimated_ppi(report, &mut ppi, &mut has);
                fingerqc_report_finger_count(report, &mut fingers);
            }
            assert_eq!(has, expected.estimated_ppi.is_some());
            assert_eq!(ppi, expected.estimated_ppi.unwrap_or(0.0));
            assert_eq!(fingers, u32::from(expected.finger_count));
            verdicts.push(json);
            unsafe { fingerqc_report_free(report) };
        }
    }
    unsafe { fingerqc_analyzer_free(analyzer) };
    assert_eq!(verdicts.len(), 14);
}

#[test]
fn real_photo_through_the_c_abi_equals_the_rust_api() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/data/real/mediapipe-samples/hand_landmarker_test_image.jpg"
    );
    if !std::path::Path::new(path).exists() {
        eprintln!("note: {path} is absent: skipping the real-photo check");
        return;
    }
    let owned = fingerqc::io::load_image(path.as_ref(), &Config::default().limits).unwrap();
    let frame = Owned {
        w: owned.width,
        h: owned.height,
        format: owned.format,
        data: owned.data,
    };
    let expected = Analyzer::new(Config::default())
        .unwrap()
        .analyze(&frame.view())
        .unwrap();
    let analyzer = new_analyzer(None);
    let mut report = ptr::null_mut();
    let status = unsafe { fingerqc_analyze(analyzer, &frame.c(), &mut report) };
    assert_eq!(status, fingerqc_status::Ok, "{}", last_error());
    let rust_json = serde_json::to_string(&expected).unwrap();
    assert_eq!(untimed(&json_of(report)), untimed(&rust_json));
    unsafe {
        fingerqc_report_free(report);
        fingerqc_analyzer_free(analyzer);
    }
}

#[test]
fn a_config_reaches_the_analyzer() {
    // A right-hand capture says so in its no_hand message: the config was applied.
    let analyzer = new_analyzer(Some(c"{\"expected_hand\": \"right\"}"));
    let frame = blank(64, 48);
    let mut report = ptr::null_mut();
    unsafe { fingerqc_analyze(analyzer, &frame.c(), &mut report) };
    let mut buf = [0 as c_char; 256];
    let status = unsafe {
        fingerqc_report_reason_message(report, 0, 0, buf.as_mut_ptr(), buf.len(), ptr::null_mut())
    };
    assert_eq!(status, fingerqc_status::Ok);
    let msg = unsafe { CStr::from_ptr(buf.as_ptr()) }.to_str().unwrap();
    assert!(msg.contains("right hand"), "{msg}");
    unsafe {
        fingerqc_report_free(report);
        fingerqc_analyzer_free(analyzer);
    }
}

#[test]
fn null_pointers_are_refused_with_their_name() {
    let frame_data = blank(64, 48);
    let frame = frame_data.c();
    let analyzer = new_analyzer(None);
    let mut report = ptr::null_mut();
    let np = fingerqc_status::NullPointer;
    unsafe {
        expect(
            fingerqc_analyzer_new(ptr::null(), ptr::null_mut()),
            np,
            "`out`",
        );
        expect(
            fingerqc_analyze(ptr::null_mut(), &frame, &mut report),
            np,
            "`analyzer`",
        );
        expect(
            fingerqc_analyze(analyzer, ptr::null(), &mut report),
            np,
            "`frame`",
        );
        expect(
            fingerqc_analyze(analyzer, &frame, ptr::null_mut()),
            np,
            "`out`",
        );
        expect(
            fingerqc_analyze_into(analyzer, &frame, ptr::null_mut()),
            np,
            "`report`",
        );
        expect(fingerqc_report_new(ptr::null_mut()), np, "`out`");
        let mut no_plane = frame;
        no_plane.planes[0] = ptr::null();
        expect(
            fingerqc_analyze(analyzer, &no_plane, &mut report),
            np,
            "frame->planes[0]",
        );
        let mut i420 = frame;
        i420.format = PixelFormat::I420 as u32;
        i420.planes[1] = frame.planes[0];
        expect(
            fingerqc_analyze(analyzer, &i420, &mut report),
            np,
            "frame->planes[2]",
        );
        assert!(report.is_null(), "*out is NULL after a failure");

        let null = ptr::null();
        let (mut u, mut f, mut b, mut z) = (0u32, 0f32, false, 0usize);
        expect(
            fingerqc_report_verdict(null, &mut Verdict::Accept),
            np,
            "`report`",
        );
        expect(fingerqc_report_reason_count(null, &mut z), np, "`report`");
        expect(fingerqc_report_reason_code(null, 0, &mut u), np, "`report`");
        expect(
            fingerqc_report_reason_value(null, 0, &mut f),
            np,
            "`report`",
        );
        expect(
            fingerqc_report_reason_threshold(null, 0, &mut f),
            np,
            "`report`",
        );
        expect(fingerqc_report_finger_count(null, &mut u), np, "`report`");
        expect(
            fingerqc_report_estimated_ppi(null, &mut f, &mut b),
            np,
            "`report`",
        );
        expect(
            fingerqc_report_finger_entry_count(null, &mut z),
            np,
            "`report`",
        );
        expect(
            fingerqc_report_json(null, ptr::null_mut(), 0, &mut z),
            np,
            "`report`",
        );

        assert_eq!(
            fingerqc_analyze(analyzer, &frame, &mut report),
            fingerqc_status::Ok
        );
        expect(
            fingerqc_report_verdict(report, ptr::null_mut()),
            np,
            "`out`",
        );
        expect(fingerqc_report_hand(report, ptr::null_mut()), np, "`out`");
        expect(
            fingerqc_report_estimated_ppi(report, ptr::null_mut(), &mut b),
            np,
            "`ppi`",
        );
        expect(
            fingerqc_report_estimated_ppi(report, &mut f, ptr::null_mut()),
            np,
            "`has_value`",
        );
        let mut buf = [0 as c_char; 8];
        expect(
            fingerqc_report_json(report, ptr::null_mut(), 8, &mut z),
            np,
            "`buf`",
        );
        // Out-of-range index and language, short buffer.
        let ior = fingerqc_status::IndexOutOfRange;
        expect(
            fingerqc_report_reason_code(report, 2, &mut u),
            ior,
            "reason index 2 is out of range: the report has 2",
        );
        expect(
            fingerqc_report_finger_quality(report, 0, &mut 0u8),
            ior,
            "finger index 0",
        );
        expect(
            fingerqc_report_reason_message(report, 0, 9, buf.as_mut_ptr(), 8, &mut z),
            fingerqc_status::InvalidArgument,
            "9 is no fingerqc_language",
        );
        expect(
            fingerqc_report_json(report, buf.as_mut_ptr(), 8, &mut z),
            fingerqc_status::BufferTooSmall,
            "output buffer of 8 bytes",
        );
        assert_eq!(CStr::from_ptr(buf.as_ptr()).to_bytes().len(), 7);
        fingerqc_report_free(report);
        fingerqc_analyzer_free(analyzer);
        fingerqc_analyzer_free(ptr::null_mut());
        fingerqc_report_free(ptr::null_mut());
    }
}

#[test]
fn bad_frames_are_refused_with_the_problem_named() {
    let data = blank(64, 48);
    let good = data.c();
    let analyzer = new_analyzer(None);
    let mut report = ptr::null_mut();
    let invalid = fingerqc_status::InvalidFrame;
    let run = |f: fingerqc_frame, report: &mut *mut fingerqc_report| unsafe {
        fingerqc_analyze(analyzer, &f, report)
    };

    let mut f = good;
    f.strides[0] = 63;
    expect(
        run(f, &mut report),
        invalid,
        "stride 63 bytes is shorter than a row of 64",
    );
    let mut f = good;
    f.width = 0;
    expect(run(f, &mut report), invalid, "0x48 is empty");
    let mut f = good;
    f.height = 0;
    expect(run(f, &mut report), invalid, "64x0 is empty");
    let mut f = good;
    f.format = 7;
    expect(run(f, &mut report), invalid, "unknown pixel format value 7");
    let mut f = good;
    f.format = u32::MAX;
    expect(
        run(f, &mut report),
        invalid,
        "unknown pixel format value 4294967295",
    );
    let mut f = good;
    f.lengths[0] -= 1;
    expect(
        run(f, &mut report),
        invalid,
        "has 3071 bytes, needs at least 3072",
    );
    let mut f = good;
    f.format = PixelFormat::Rgb8 as u32;
    expect(run(f, &mut report), invalid, "shorter than a row of 192");
    let mut f = good;
    f.lengths[0] = usize::MAX;
    expect(
        run(f, &mut report),
        fingerqc_status::InvalidArgument,
        "frame->lengths[0]",
    );
    // Odd size for 4:2:0, chroma plane short.
    let nv = scene(64, 48, PixelFormat::Nv21);
    let mut f = nv.c();
    f.width = 63;
    expect(run(f, &mut report), invalid, "even width and height");
    let mut f = nv.c();
    f.lengths[1] -= 1;
    expect(
        run(f, &mut report),
        invalid,
        "chroma plane buffer has 1535 bytes",
    );
    assert!(report.is_null());

    // A failing analyze_into leaves the report empty.
    let mut reused = ptr::null_mut();
    unsafe {
        assert_eq!(fingerqc_report_new(&mut reused), fingerqc_status::Ok);
        assert_eq!(
            fingerqc_analyze_into(analyzer, &good, reused),
            fingerqc_status::Ok
        );
        let mut n = 0usize;
        fingerqc_report_reason_count(reused, &mut n);
        assert_eq!(n, 2, "a black frame has two reasons, no_hand and too_dark");
        let mut f = good;
        f.format = 99;
        expect(fingerqc_analyze_into(analyzer, &f, reused), invalid, "99");
        fingerqc_report_reason_count(reused, &mut n);
        assert_eq!(n, 0);
        fingerqc_report_free(reused);
        fingerqc_analyzer_free(analyzer);
    }
}

#[test]
fn bad_configs_are_refused_with_the_field_named() {
    let ic = fingerqc_status::InvalidConfig;
    let new = |json: &CStr| {
        let mut a = ptr::dangling_mut::<fingerqc_analyzer>(); // must be overwritten with NULL
        let s = unsafe { fingerqc_analyzer_new(json.as_ptr(), &mut a) };
        assert!(a.is_null());
        s
    };
    expect(new(c"{\"ppi\": {\"min\": 400"), ic, "could not be parsed");
    expect(new(c"not json"), ic, "could not be parsed");
    expect(
        new(c"{\"ppi\": {\"min\": 800, \"max\": 600}}"),
        ic,
        "`ppi.min`: min 800 must be below max 600",
    );
    expect(new(c"{\"expected_fingers\": 9}"), ic, "expected_fingers");
    expect(new(c"{\"colour\": 1}"), ic, "unknown field `colour`");
    expect(new(c"{\"expected_hand\": \"\xff\"}"), ic, "not UTF-8");
    // The frame-size limit comes from the config.
    let analyzer = new_analyzer(Some(c"{\"limits\": {\"max_frame_pixels\": 100}}"));
    let frame = blank(64, 48);
    let mut report = ptr::null_mut();
    expect(
        unsafe { fingerqc_analyze(analyzer, &frame.c(), &mut report) },
        fingerqc_status::InvalidFrame,
        "larger than the limit of 100 pixels",
    );
    unsafe { fingerqc_analyzer_free(analyzer) };
}

#[test]
fn a_report_can_be_read_from_several_threads_at_once() {
    let analyzer = new_analyzer(None);
    let frame = scene(320, 240, PixelFormat::Nv12);
    let mut report = ptr::null_mut();
    unsafe { fingerqc_analyze(analyzer, &frame.c(), &mut report) };
    struct Shared(*const fingerqc_report);
    // SAFETY: the accessors only read, and the JSON cache is a OnceLock: documented thread-safe.
    unsafe impl Sync for Shared {}
    let shared = Shared(report);
    let jsons: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let shared = &shared;
                s.spawn(move || json_of(shared.0))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(jsons.windows(2).all(|w| w[0] == w[1]));
    unsafe {
        fingerqc_report_free(report);
        fingerqc_analyzer_free(analyzer);
    }
}

#[test]
fn the_c_abi_adds_no_allocation_to_a_warm_analyze_into() {
    // Compared with the Rust API on the same frames, so the test is about the ABI layer only,
    // whatever the pipeline stages allocate.
    let frame = scene(640, 480, PixelFormat::Nv21);
    let c_frame = frame.c();
    let analyzer = new_analyzer(None);
    let mut report = ptr::null_mut();
    let mut rust = Analyzer::new(Config::default()).unwrap();
    let mut rust_report = fingerqc::Report::default();
    unsafe { assert_eq!(fingerqc_report_new(&mut report), fingerqc_status::Ok) };
    let view = frame.view();
    for _ in 0..3 {
        // Warm-up.
        unsafe { fingerqc_analyze_into(analyzer, &c_frame, report) };
        rust.analyze_into(&view, &mut rust_report).unwrap();
    }
    let before = allocations();
    rust.analyze_into(&view, &mut rust_report).unwrap();
    let rust_allocs = allocations() - before;
    let before = allocations();
    let status = unsafe { fingerqc_analyze_into(analyzer, &c_frame, report) };
    let (mut n, mut code, mut verdict) = (0usize, 0u32, Verdict::Accept);
    unsafe {
        fingerqc_report_verdict(report, &mut verdict);
        fingerqc_report_reason_count(report, &mut n);
        fingerqc_report_reason_code(report, 0, &mut code);
    }
    let c_allocs = allocations() - before;
    assert_eq!(status, fingerqc_status::Ok);
    assert_eq!(
        c_allocs, rust_allocs,
        "the C path allocated {c_allocs} times, the Rust path {rust_allocs}"
    );
    unsafe {
        fingerqc_report_free(report);
        fingerqc_analyzer_free(analyzer);
    }
}

/// Thresholds opened wide (`examples/c/loose-config.json`) so that a generated hand passes
/// every check and a session captures it: the session tests are about the C ABI carrying the
/// session's results, not about the checks.
const LOOSE: &str = include_str!("../examples/c/loose-config.json");
const QUICK: &CStr = c"{\"capture_stable_s\": 0.1, \"capture_min_frames\": 2}";

/// The first generated 640x480 scene from seed 1_000_100 on that the analyzer accepts under
/// [`LOOSE`] (about a third are: most fail only on finger count under these thresholds).
fn accepted_scene() -> Owned {
    let mut analyzer = Analyzer::new(Config::from_json_str(LOOSE).unwrap()).unwrap();
    for seed in 1_000_100..1_000_200 {
        let image = fingerqc::synth::scene(seed, 640, 480).image;
        let view = FrameView::from_rgb_image(&image).unwrap();
        if analyzer.analyze(&view).unwrap().verdict == Verdict::Accept {
            let (w, h) = image.dimensions();
            return Owned {
                data: image.into_raw(),
                w,
                h,
                format: PixelFormat::Rgb8,
            };
        }
    }
    panic!("no generated scene among 100 is accepted under the loose config");
}

/// Feeds `frame` at `t` to a C-ABI session and a Rust session and checks they say the same:
/// guidance, message, report and, when one fires, the capture. Returns whether one fired.
fn step_both(
    session: *mut fingerqc_session,
    rust: &mut fingerqc::session::Session,
    frame: &Owned,
    t: f64,
    i: usize,
) -> bool {
    let mut g = fingerqc_guidance::default();
    let status = unsafe { fingerqc_session_feed(session, &frame.c(), t, &mut g) };
    assert_eq!(status, fingerqc_status::Ok, "{}", last_error());
    let want = rust.feed(&frame.view(), t).unwrap().clone();
    assert_eq!(g.timestamp_s, want.timestamp_s);
    assert_eq!(g.has_primary, want.primary.is_some(), "frame {i}");
    assert_eq!(g.primary, want.primary.map_or(0, |c| c as u32));
    let mask = want.active.iter().fold(0u32, |m, c| m | 1 << *c as u32);
    assert_eq!(g.active_mask, mask);
    assert_eq!(
        (g.ready, g.moving, g.captured, g.capture_done),
        (want.ready, want.moving, want.captured, want.capture_done)
    );
    assert_eq!((g.progress, g.steadiness), (want.progress, want.steadiness));
    assert_eq!(g.has_ppi, want.ppi.is_some());
    assert_eq!(g.ppi, want.ppi.unwrap_or(0.0));

    // The message shown and the frame's report.
    let mut buf = [0 as c_char; 256];
    let status = unsafe {
        fingerqc_session_message(session, 1, buf.as_mut_ptr(), buf.len(), ptr::null_mut())
    };
    assert_eq!(status, fingerqc_status::Ok);
    let msg = unsafe { CStr::from_ptr(buf.as_ptr()) }.to_str().unwrap();
    assert_eq!(msg, want.message(fingerqc::Language::Arabic, rust.config()));
    let mut report = ptr::null_mut();
    unsafe {
        fingerqc_report_new(&mut report);
        assert_eq!(
            fingerqc_session_report_into(session, report),
            fingerqc_status::Ok
        );
    }
    let rust_json = serde_json::to_string(&want.report).unwrap();
    assert_eq!(untimed(&json_of(report)), untimed(&rust_json));
    unsafe { fingerqc_report_free(report) };

    let mut capture = ptr::null_mut();
    let status = unsafe { fingerqc_session_take_capture(session, &mut capture) };
    assert_eq!(status, fingerqc_status::Ok);
    let want_capture = rust.take_capture();
    assert_eq!(capture.is_null(), want_capture.is_none(), "frame {i}");
    let Some(want_capture) = want_capture else {
        return false;
    };
    unsafe {
        let mut t = 0f64;
        fingerqc_capture_timestamp(capture, &mut t);
        assert_eq!(t, want_capture.timestamp_s);
        let mut report: *const fingerqc_report = ptr::null();
        fingerqc_capture_report(capture, &mut report);
        let rust_json = serde_json::to_string(&want_capture.report).unwrap();
        assert_eq!(untimed(&json_of(report)), untimed(&rust_json));
        let mut image = std::mem::zeroed::<fingerqc_image>();
        fingerqc_capture_image(capture, &mut image);
        assert_eq!((image.width, image.height), (640, 480));
        let pixels = std::slice::from_raw_parts(image.pixels, image.length);
        assert_eq!(pixels, &want_capture.image.pixels[..]);
        let mut n = 0usize;
        fingerqc_capture_finger_count(capture, &mut n);
        assert_eq!(n, want_capture.fingers.len());
        for (k, want_crop) in want_capture.fingers.iter().enumerate() {
            let mut crop = std::mem::zeroed::<fingerqc_finger_crop>();
            fingerqc_capture_finger(capture, k, &mut crop);
            assert_eq!(crop.name, want_crop.name);
            assert_eq!((crop.ppi, crop.scale), (want_crop.ppi, want_crop.scale));
            let img = crop.image;
            assert_eq!(
                (img.width, img.height),
                (want_crop.image.width, want_crop.image.height)
            );
            let pixels = std::slice::from_raw_parts(img.pixels, img.length);
            assert_eq!(pixels, &want_crop.image.pixels[..]);
        }
        let mut crop = std::mem::zeroed::<fingerqc_finger_crop>();
        expect(
            fingerqc_capture_finger(capture, n, &mut crop),
            fingerqc_status::IndexOutOfRange,
            "finger crop index",
        );
        fingerqc_capture_free(capture);
    }
    true
}

#[test]
fn a_session_through_the_c_abi_guides_and_captures_like_the_rust_session() {
    use fingerqc::session::{Session, SessionConfig};
    let frame = accepted_scene();
    let c_frame = frame.c();
    let config = Config::from_json_str(LOOSE).unwrap();
    let session_config = SessionConfig::from_json_str(QUICK.to_str().unwrap()).unwrap();
    let mut rust = Session::new(config, session_config).unwrap();
    let mut session = ptr::null_mut();
    let loose = std::ffi::CString::new(LOOSE).unwrap();
    let status = unsafe { fingerqc_session_new(loose.as_ptr(), QUICK.as_ptr(), &mut session) };
    assert_eq!(status, fingerqc_status::Ok, "{}", last_error());

    let mut captures = 0;
    for i in 0..12 {
        let t = i as f64 / 30.0;
        captures += usize::from(step_both(session, &mut rust, &frame, t, i));
    }
    assert!(
        captures >= 1,
        "a still, accepted frame should be captured within 12 frames"
    );

    // Errors: NULLs, a non-finite timestamp, bad session config.
    unsafe {
        let np = fingerqc_status::NullPointer;
        expect(
            fingerqc_session_feed(ptr::null_mut(), &c_frame, 0.0, ptr::null_mut()),
            np,
            "`session`",
        );
        expect(
            fingerqc_session_feed(session, ptr::null(), 0.0, ptr::null_mut()),
            np,
            "`frame`",
        );
        expect(
            fingerqc_session_feed(session, &c_frame, f64::NAN, ptr::null_mut()),
            fingerqc_status::InvalidArgument,
            "timestamp NaN",
        );
        expect(
            fingerqc_session_guidance(ptr::null(), ptr::null_mut()),
            np,
            "`session`",
        );
        expect(
            fingerqc_session_take_capture(session, ptr::null_mut()),
            np,
            "`out`",
        );
        expect(
            fingerqc_capture_finger_count(ptr::null(), &mut 0),
            np,
            "`capture`",
        );
        assert_eq!(fingerqc_session_reset(session), fingerqc_status::Ok);
        fingerqc_session_free(session);
        fingerqc_session_free(ptr::null_mut());
        fingerqc_capture_free(ptr::null_mut());
        let mut s = ptr::dangling_mut::<fingerqc_session>();
        expect(
            fingerqc_session_new(
                ptr::null(),
                c"{\"primary_hold_frames\": 0}".as_ptr(),
                &mut s,
            ),
            fingerqc_status::InvalidConfig,
            "session.primary_hold_frames",
        );
        assert!(s.is_null());
    }
}

#[test]
fn a_session_over_a_generated_capture_sequence_matches_the_rust_session() {
    // A generated attempt (approach, shake, settle) at default settings: whatever the checks
    // conclude frame by frame, the C ABI must carry exactly what the Rust session says.
    use fingerqc::session::{Session, SessionConfig};
    use fingerqc::synth::{SequenceSpec, sequence};
    // Shortened (1.5 s instead of 3.5 s) to keep the test quick; every phase is still there.
    let spec = SequenceSpec {
        approach_s: 0.5,
        shake_s: 0.3,
        settle_s: 0.7,
        ..SequenceSpec::new(1_000_007, 640, 480)
    };
    let mut rust = Session::new(Config::default(), SessionConfig::default()).unwrap();
    let mut session = ptr::null_mut();
    let status = unsafe { fingerqc_session_new(ptr::null(), ptr::null(), &mut session) };
    assert_eq!(status, fingerqc_status::Ok, "{}", last_error());
    let frames = sequence(&spec);
    assert!(frames.len() >= 40, "1.5 s at 30 fps");
    for (i, (t, scene)) in frames.into_iter().enumerate() {
        let (w, h) = scene.image.dimensions();
        let frame = Owned {
            data: scene.image.into_raw(),
            w,
            h,
            format: PixelFormat::Rgb8,
        };
        step_both(session, &mut rust, &frame, t, i);
    }
    unsafe { fingerqc_session_free(session) };
}
