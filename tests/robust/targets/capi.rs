//! The C ABI (feature `capi`) called as a C host would, with arbitrary arguments inside the
//! documented contract: any width, height, format number, strides, lengths up to the real buffer,
//! NULL planes; configs as arbitrary NUL-terminated bytes or NULL; report accessors with any index
//! and language; text copied into buffers of any size. No call may panic (libFuzzer's panic hook
//! aborts even on a panic the ABI would catch), the status must match the Rust API's answer, and
//! copied text must be a NUL-terminated prefix of the full text cut at a character boundary.

use crate::robust::harness::{Reader, format_of, timeless};
use crate::robust::invariants;
use fingerqc::capi::*;
use fingerqc::{Config, FrameView};
use std::ffi::{CStr, c_char};
use std::ptr;

pub fn run(data: &[u8]) {
    let mut r = Reader::new(data);
    let sel = r.u8();
    // The config: NULL, the empty object, or arbitrary bytes up to the first NUL.
    let cfg_len = (r.u8() % 64) as usize;
    let mut cfg: Vec<u8> = (0..cfg_len).map(|_| r.u8()).collect();
    cfg.push(0);
    let cfg_ptr: *const c_char = match sel % 4 {
        0 => ptr::null(),
        1 => c"{}".as_ptr(),
        _ => cfg.as_ptr().cast(),
    };
    let mut analyzer: *mut fingerqc_analyzer = ptr::null_mut();
    let st = unsafe { fingerqc_analyzer_new(cfg_ptr, &mut analyzer) };
    let rust_cfg = if cfg_ptr.is_null() {
        Ok(Config::default())
    } else {
        let text = unsafe { CStr::from_ptr(cfg_ptr) }.to_str();
        match text {
            Ok(t) => Config::from_json_str(t),
            Err(_) => Err(fingerqc::Error::ConfigParse(String::new())),
        }
    };
    assert_ne!(st, fingerqc_status::Panic, "analyzer_new panicked");
    assert_eq!(
        st == fingerqc_status::Ok,
        rust_cfg.is_ok(),
        "analyzer_new status {st:?}"
    );
    if st != fingerqc_status::Ok {
        assert!(analyzer.is_null(), "failed analyzer_new left a handle");
        check_last_error(&mut r);
        return;
    }
    let config = rust_cfg.expect("checked above");

    // The frame: up to three planes of fuzz bytes; pointers may be NULL.
    let width = r.dim();
    let height = r.dim();
    let format_raw = match r.u8() % 8 {
        7 => r.u32(),
        f => format_of(f) as u32,
    };
    let mut planes: [Vec<u8>; 3] = Default::default();
    let mut frame = fingerqc_frame {
        width,
        height,
        format: format_raw,
        planes: [ptr::null(); 3],
        strides: [0; 3],
        lengths: [0; 3],
    };
    for (i, p) in planes.iter_mut().enumerate() {
        let bpp = fingerqc::PixelFormat::ALL
            .iter()
            .find(|p| **p as u32 == format_raw)
            .map_or(1, |p| p.luma_bytes_per_pixel());
        let row = match i {
            0 => (width as usize).saturating_mul(bpp),
            _ => width as usize,
        };
        frame.strides[i] = r.stride(row);
        let len = (r.u16() % 4096) as usize;
        *p = (0..len).map(|k| r.u8().wrapping_add(k as u8)).collect();
        // Lengths never exceed the real buffer: the contract says they are readable.
        frame.lengths[i] = len.saturating_sub((r.u8() % 4) as usize);
        frame.planes[i] = if r.u8() % 16 == 0 {
            ptr::null()
        } else {
            p.as_ptr()
        };
    }

    let mut report: *mut fingerqc_report = ptr::null_mut();
    let st = unsafe { fingerqc_analyze(analyzer, &frame, &mut report) };
    assert_ne!(st, fingerqc_status::Panic, "analyze panicked");
    // The same frame through the Rust API, where it can be built.
    let rust = rust_view(&frame, &planes).map(|v| {
        let mut a = fingerqc::Analyzer::new(config.clone()).expect("config");
        v.and_then(|v| a.analyze(&v))
    });
    match (&rust, st) {
        (Some(Ok(rep)), fingerqc_status::Ok) => {
            invariants::check_report(rep, width, height).expect("report invariants");
            check_report_handle(report, rep, &mut r);
        }
        (Some(Err(e)), s) => assert_eq!(s, fingerqc_status::of(e), "status for {e}"),
        (None, s) => assert!(
            matches!(
                s,
                fingerqc_status::NullPointer | fingerqc_status::InvalidFrame
            ),
            "a NULL plane or unknown format gave {s:?}"
        ),
        (Some(Ok(_)), s) => panic!("Rust API accepted a frame the C ABI refused with {s:?}"),
    }
    if st != fingerqc_status::Ok {
        assert!(report.is_null());
        check_last_error(&mut r);
    }
    // analyze_into over an existing report, and NULL arguments.
    let mut into: *mut fingerqc_report = ptr::null_mut();
    assert_eq!(
        unsafe { fingerqc_report_new(&mut into) },
        fingerqc_status::Ok
    );
    let st2 = unsafe { fingerqc_analyze_into(analyzer, &frame, into) };
    assert_eq!(st2, st, "analyze_into and analyze disagree");
    assert_eq!(
        unsafe { fingerqc_analyze_into(analyzer, ptr::null(), into) },
        fingerqc_status::NullPointer
    );
    let mut none: *mut fingerqc_report = ptr::null_mut();
    assert_eq!(
        unsafe { fingerqc_analyze(ptr::null_mut(), &frame, &mut none) },
        fingerqc_status::NullPointer
    );
    assert!(none.is_null(), "a failed analyze set *out to a report");
    let name = unsafe { CStr::from_ptr(fingerqc_status_str(r.u32())) };
    assert!(!name.to_bytes().is_empty());
    let code = fingerqc_reason_code_str(r.u32());
    if !code.is_null() {
        assert!(unsafe { CStr::from_ptr(code) }.to_str().is_ok());
    }
    unsafe {
        fingerqc_report_free(into);
        fingerqc_report_free(report);
        fingerqc_analyzer_free(analyzer);
    }
}

/// The frame as the Rust API sees it; `None` where a plane the format needs is NULL or the
/// format number is unknown (C-only failures).
fn rust_view<'a>(
    f: &fingerqc_frame,
    planes: &'a [Vec<u8>; 3],
) -> Option<fingerqc::Result<FrameView<'a>>> {
    let format = *fingerqc::PixelFormat::ALL
        .iter()
        .find(|p| **p as u32 == f.format)?;
    let needed = match format {
        fingerqc::PixelFormat::I420 => 3,
        fingerqc::PixelFormat::Nv12 | fingerqc::PixelFormat::Nv21 => 2,
        _ => 1,
    };
    if f.planes[..needed].iter().any(|p| p.is_null()) {
        return None;
    }
    let p = |i: usize| &planes[i][..f.lengths[i]];
    let (w, h, s) = (f.width, f.height, f.strides);
    Some(match needed {
        3 => FrameView::new_i420(p(0), s[0], p(1), s[1], p(2), s[2], w, h),
        2 => FrameView::new_semiplanar(p(0), s[0], p(1), s[1], w, h, format),
        _ => FrameView::new_packed(p(0), w, h, s[0], format),
    })
}

/// The accessors read what the Rust report holds; out-of-range indices are refused; the JSON
/// equals the Rust report's JSON.
fn check_report_handle(h: *mut fingerqc_report, rep: &fingerqc::Report, r: &mut Reader) {
    unsafe {
        let mut n = 0usize;
        assert_eq!(fingerqc_report_reason_count(h, &mut n), fingerqc_status::Ok);
        assert_eq!(n, rep.reasons.len());
        let idx = r.u8() as usize % (n + 2);
        let mut code = 0u32;
        let st = fingerqc_report_reason_code(h, idx, &mut code);
        if idx < n {
            assert_eq!(st, fingerqc_status::Ok);
            assert_eq!(code, rep.reasons[idx].code as u32);
        } else {
            assert_eq!(st, fingerqc_status::IndexOutOfRange);
        }
        let lang = r.u32() % 3;
        let cap = r.u8() as usize;
        let mut buf = vec![0x55 as c_char; cap];
        let mut full = 0usize;
        let bp = if cap == 0 {
            ptr::null_mut()
        } else {
            buf.as_mut_ptr()
        };
        let st = fingerqc_report_reason_message(h, idx, lang, bp, cap, &mut full);
        if idx < n && lang < 2 {
            let want = rep.reasons[idx].message_in(if lang == 0 {
                fingerqc::Language::English
            } else {
                fingerqc::Language::Arabic
            });
            check_copy(&buf, cap, full, want, st);
        } else {
            assert_ne!(st, fingerqc_status::Ok, "index {idx} lang {lang} accepted");
        }
        let mut fc = 0usize;
        assert_eq!(
            fingerqc_report_finger_entry_count(h, &mut fc),
            fingerqc_status::Ok
        );
        assert_eq!(fc, rep.fingers.len());
        let fi = r.u8() as usize % (fc + 2);
        let mut q = 0u8;
        let st = fingerqc_report_finger_quality(h, fi, &mut q);
        assert_eq!(st == fingerqc_status::Ok, fi < fc);
        let mut ppi = 0f32;
        let mut has = false;
        assert_eq!(
            fingerqc_report_estimated_ppi(h, &mut ppi, &mut has),
            fingerqc_status::Ok
        );
        assert_eq!(has, rep.estimated_ppi.is_some());
        // JSON: ask for the length, copy it whole, compare with the Rust report's (the time
        // spent differs between the two analyses), then copy into a buffer of arbitrary size.
        let mut len = 0usize;
        let st = fingerqc_report_json(h, ptr::null_mut(), 0, &mut len);
        assert_eq!(st, fingerqc_status::BufferTooSmall);
        let mut whole = vec![0 as c_char; len + 1];
        let st = fingerqc_report_json(h, whole.as_mut_ptr(), len + 1, &mut full);
        assert_eq!((st, full), (fingerqc_status::Ok, len));
        let text = CStr::from_ptr(whole.as_ptr()).to_str().expect("UTF-8 JSON");
        assert_eq!(text.len(), len);
        let got: serde_json::Value = serde_json::from_str(text).expect("JSON parses");
        let mut same_time = timeless(rep.clone());
        same_time.elapsed_us = got["elapsed_us"].as_u64().expect("elapsed_us");
        let want = serde_json::to_string(&same_time).expect("JSON");
        assert_eq!(text, want, "C ABI JSON differs from the Rust report's");
        let cap = r.u16() as usize % (len + 2);
        let mut buf = vec![0x55 as c_char; cap];
        let bp = if cap == 0 {
            ptr::null_mut()
        } else {
            buf.as_mut_ptr()
        };
        let st = fingerqc_report_json(h, bp, cap, &mut full);
        check_copy(&buf, cap, full, text, st);
    }
}

/// A copy into a `cap`-byte buffer: success iff it fits; otherwise a NUL-terminated prefix cut
/// at a character boundary; `full` is the whole length.
fn check_copy(buf: &[c_char], cap: usize, full: usize, want: &str, st: fingerqc_status) {
    assert_eq!(full, want.len(), "reported length");
    assert_eq!(
        st == fingerqc_status::Ok,
        cap > want.len(),
        "status {st:?} for cap {cap}"
    );
    if cap == 0 {
        return;
    }
    let bytes: Vec<u8> = buf.iter().map(|&c| c as u8).collect();
    let nul = bytes.iter().position(|&b| b == 0).expect("NUL-terminated");
    let prefix = std::str::from_utf8(&bytes[..nul]).expect("cut at a char boundary");
    assert!(want.starts_with(prefix), "prefix of the text");
    if cap > want.len() {
        assert_eq!(prefix, want, "whole text when it fits");
    } else {
        // As much as fits, backed off at most 3 bytes to a character boundary.
        assert!(
            prefix.len() < cap && prefix.len() + 3 >= cap - 1,
            "prefix {} for cap {cap}",
            prefix.len()
        );
    }
}

/// The last error message: a NUL-terminated text of the returned length.
fn check_last_error(r: &mut Reader) {
    let n = unsafe { fingerqc_last_error(ptr::null_mut(), 0) };
    let cap = r.u8() as usize % (n + 2);
    let mut buf = vec![0x55 as c_char; cap.max(1)];
    let n2 = unsafe { fingerqc_last_error(buf.as_mut_ptr(), cap) };
    assert_eq!(n, n2);
    assert!(n > 0, "a failed call left no message");
    if cap > 0 {
        let s = unsafe { CStr::from_ptr(buf.as_ptr()) };
        assert!(s.to_str().is_ok(), "message cut inside a character");
        assert!(s.to_bytes().len() <= n.min(cap - 1));
    }
}
