//! Report handles and their accessors.

use super::{copy_out, fingerqc_status, guard, put};
use crate::config::Hand;
use crate::error::{Error, Result};
use crate::frame::Rect;
use crate::report::{FingerName, FingerReport, Language, Reason, Report, Verdict};
use std::ffi::c_char;
use std::ptr;
use std::sync::OnceLock;

/// The analysis of one frame. Read it with the `fingerqc_report_*` accessors; they only read,
/// so several threads may read one report at once.
#[derive(Debug, Default)]
pub struct fingerqc_report {
    report: Report,
    /// The report as JSON, made on the first request and kept while the report is unchanged,
    /// so a length query followed by the copy serialises once. `OnceLock` because concurrent
    /// readers may ask at the same time.
    json: OnceLock<String>,
}

impl fingerqc_report {
    /// The report, for refilling: forgets the JSON made of the previous contents.
    pub(crate) fn report_mut(&mut self) -> &mut Report {
        self.json.take();
        &mut self.report
    }
}

/// A rectangle in frame pixels.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct fingerqc_rect {
    /// Left edge (inclusive).
    pub x: u32,
    /// Top edge (inclusive).
    pub y: u32,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

impl From<Rect> for fingerqc_rect {
    fn from(r: Rect) -> Self {
        fingerqc_rect {
            x: r.x,
            y: r.y,
            width: r.width,
            height: r.height,
        }
    }
}

/// # Safety
/// `report` is NULL or a live report.
unsafe fn get<'a>(report: *const fingerqc_report) -> Result<&'a Report> {
    // SAFETY: NULL checked by `as_ref`; otherwise live by contract.
    unsafe { report.as_ref() }
        .map(|r| &r.report)
        .ok_or(Error::NullPointer { argument: "report" })
}

fn reason(report: &Report, index: usize) -> Result<&Reason> {
    report.reasons.get(index).ok_or(Error::IndexOutOfRange {
        what: "reason",
        index,
        len: report.reasons.len(),
    })
}

fn finger(report: &Report, index: usize) -> Result<&FingerReport> {
    report.fingers.get(index).ok_or(Error::IndexOutOfRange {
        what: "finger",
        index,
        len: report.fingers.len(),
    })
}

pub(crate) fn language(value: u32) -> Result<Language> {
    [Language::English, Language::Arabic]
        .into_iter()
        .find(|l| *l as u32 == value)
        .ok_or_else(|| Error::InvalidArgument {
            argument: "language",
            reason: format!("{value} is no fingerqc_language (0 = English, 1 = Arabic)"),
        })
}

/// Releases a report. NULL is accepted and ignored.
///
/// # Safety
/// `report` is NULL or was returned by `fingerqc_analyze` or `fingerqc_report_new` and not
/// freed yet.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fingerqc_report_free(report: *mut fingerqc_report) {
    let _ = guard("fingerqc_report_free", || {
        if !report.is_null() {
            // SAFETY: allocated by Box in this module's constructors, freed once by contract.
            drop(unsafe { Box::from_raw(report) });
        }
        Ok(())
    });
}

/// Creates an empty report (verdict reject, no reasons) to be filled by `fingerqc_analyze_into`
/// and released with `fingerqc_report_free`. On failure `*out` is set to NULL.
///
/// # Safety
/// `out` is NULL or valid for writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fingerqc_report_new(out: *mut *mut fingerqc_report) -> fingerqc_status {
    guard("fingerqc_report_new", || {
        // SAFETY: checked for NULL by `put`, otherwise writable by contract.
        unsafe { put(out, "out", ptr::null_mut()) }?;
        let report = Box::<fingerqc_report>::default();
        // SAFETY: as above.
        unsafe { put(out, "out", Box::into_raw(report)) }
    })
}

/// Writes the verdict (`FINGERQC_VERDICT_ACCEPT` or `_REJECT`) to `*out`.
///
/// # Safety
/// `report` is NULL or a live report; `out` is NULL or valid for writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fingerqc_report_verdict(
    report: *const fingerqc_report,
    out: *mut Verdict,
) -> fingerqc_status {
    guard("fingerqc_report_verdict", || {
        // SAFETY: the documented contract; NULLs are checked inside.
        unsafe { put(out, "out", get(report)?.verdict) }
    })
}

/// Writes the number of reasons to `*out`: 0 when the frame is accepted. Reasons are ordered
/// by what the user should fix first, so reason 0 is the one to show.
///
/// # Safety
/// `report` is NULL or a live report; `out` is NULL or valid for writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fingerqc_report_reason_count(
    report: *const fingerqc_report,
    out: *mut usize,
) -> fingerqc_status {
    guard("fingerqc_report_reason_count", || {
        // SAFETY: the documented contract; NULLs are checked inside.
        unsafe { put(out, "out", get(report)?.reasons.len()) }
    })
}

/// Writes the code of reason `index` to `*out`: a `fingerqc_reason_code` value; name it with
/// `fingerqc_reason_code_str`. Codes are added in later versions, never renumbered.
///
/// # Safety
/// `report` is NULL or a live report; `out` is NULL or valid for writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fingerqc_report_reason_code(
    report: *const fingerqc_report,
    index: usize,
    out: *mut u32,
) -> fingerqc_status {
    guard("fingerqc_report_reason_code", || {
        // SAFETY: the documented contract; NULLs are checked inside.
        let r = reason(unsafe { get(report) }?, index)?;
        unsafe { put(out, "out", r.code as u32) }
    })
}

/// Writes the measured value of reason `index` to `*out` (its unit depends on the code: ppi
/// for too_far/too_close, luma for too_dark, millimetres for too_blurry, ...).
///
/// # Safety
/// `report` is NULL or a live report; `out` is NULL or valid for writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fingerqc_report_reason_value(
    report: *const fingerqc_report,
    index: usize,
    out: *mut f32,
) -> fingerqc_status {
    guard("fingerqc_report_reason_value", || {
        // SAFETY: the documented contract; NULLs are checked inside.
        let r = reason(unsafe { get(report) }?, index)?;
        unsafe { put(out, "out", r.value) }
    })
}

/// Writes the threshold reason `index` was held against to `*out` (same unit as its value).
///
/// # Safety
/// `report` is NULL or a live report; `out` is NULL or valid for writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fingerqc_report_reason_threshold(
    report: *const fingerqc_report,
    index: usize,
    out: *mut f32,
) -> fingerqc_status {
    guard("fingerqc_report_reason_threshold", || {
        // SAFETY: the documented contract; NULLs are checked inside.
        let r = reason(unsafe { get(report) }?, index)?;
        unsafe { put(out, "out", r.threshold) }
    })
}

/// Copies the user instruction of reason `index` in `language` (a `fingerqc_language` value)
/// into `buf` as NUL-terminated UTF-8, with the snprintf convention: `*out_len` (if `out_len`
/// is not NULL) receives the length in bytes without the NUL; when `len <= *out_len` the status
/// is `FINGERQC_STATUS_BUFFER_TOO_SMALL` and `buf` holds as many whole characters as fit,
/// NUL-terminated. `buf` may be NULL with `len` 0 to ask for the length. Messages are under
/// 256 bytes in every language.
///
/// # Safety
/// `report` is NULL or a live report; `buf` is NULL or valid for writing `len` bytes; `out_len`
/// is NULL or valid for writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fingerqc_report_reason_message(
    report: *const fingerqc_report,
    index: usize,
    language: u32,
    buf: *mut c_char,
    len: usize,
    out_len: *mut usize,
) -> fingerqc_status {
    guard("fingerqc_report_reason_message", || {
        // SAFETY: the documented contract; NULLs are checked inside.
        let r = reason(unsafe { get(report) }?, index)?;
        let text = r.message_in(self::language(language)?);
        unsafe { copy_out(text, buf, len, out_len) }
    })
}

/// Writes the number of fingers counted in the frame (thumb included) to `*out`.
///
/// # Safety
/// `report` is NULL or a live report; `out` is NULL or valid for writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fingerqc_report_finger_count(
    report: *const fingerqc_report,
    out: *mut u32,
) -> fingerqc_status {
    guard("fingerqc_report_finger_count", || {
        // SAFETY: the documented contract; NULLs are checked inside.
        unsafe { put(out, "out", u32::from(get(report)?.finger_count)) }
    })
}

/// Writes the hand seen (`FINGERQC_HAND_LEFT`, `_RIGHT` or `_UNKNOWN`) to `*out`.
///
/// # Safety
/// `report` is NULL or a live report; `out` is NULL or valid for writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fingerqc_report_hand(
    report: *const fingerqc_report,
    out: *mut Hand,
) -> fingerqc_status {
    guard("fingerqc_report_hand", || {
        // SAFETY: the documented contract; NULLs are checked inside.
        unsafe { put(out, "out", get(report)?.hand) }
    })
}

/// Writes the estimated resolution at the fingers (pixels per inch, i.e. the distance) to
/// `*ppi` and whether there is an estimate to `*has_value`; without one, `*ppi` is 0.
///
/// # Safety
/// `report` is NULL or a live report; `ppi` and `has_value` are NULL or valid for writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fingerqc_report_estimated_ppi(
    report: *const fingerqc_report,
    ppi: *mut f32,
    has_value: *mut bool,
) -> fingerqc_status {
    guard("fingerqc_report_estimated_ppi", || {
        // SAFETY: the documented contract; NULLs are checked inside, both before any write.
        let estimate = unsafe { get(report) }?.estimated_ppi;
        if has_value.is_null() {
            return Err(Error::NullPointer {
                argument: "has_value",
            });
        }
        unsafe { put(ppi, "ppi", estimate.unwrap_or(0.0)) }?;
        unsafe { put(has_value, "has_value", estimate.is_some()) }
    })
}

/// Writes the number of per-finger entries (one per counted finger) to `*out`.
///
/// # Safety
/// `report` is NULL or a live report; `out` is NULL or valid for writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fingerqc_report_finger_entry_count(
    report: *const fingerqc_report,
    out: *mut usize,
) -> fingerqc_status {
    guard("fingerqc_report_finger_entry_count", || {
        // SAFETY: the documented contract; NULLs are checked inside.
        unsafe { put(out, "out", get(report)?.fingers.len()) }
    })
}

/// Writes which finger entry `index` is (`FINGERQC_FINGER_NAME_INDEX`, ... `_UNKNOWN`) to
/// `*out`.
///
/// # Safety
/// `report` is NULL or a live report; `out` is NULL or valid for writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fingerqc_report_finger_name(
    report: *const fingerqc_report,
    index: usize,
    out: *mut FingerName,
) -> fingerqc_status {
    guard("fingerqc_report_finger_name", || {
        // SAFETY: the documented contract; NULLs are checked inside.
        let f = finger(unsafe { get(report) }?, index)?;
        unsafe { put(out, "out", f.name) }
    })
}

/// Writes the box around the print area (fingertip pad) of finger entry `index`, in frame
/// pixels and clamped to the frame, to `*out`.
///
/// # Safety
/// `report` is NULL or a live report; `out` is NULL or valid for writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fingerqc_report_finger_bbox(
    report: *const fingerqc_report,
    index: usize,
    out: *mut fingerqc_rect,
) -> fingerqc_status {
    guard("fingerqc_report_finger_bbox", || {
        // SAFETY: the documented contract; NULLs are checked inside.
        let f = finger(unsafe { get(report) }?, index)?;
        unsafe { put(out, "out", f.bbox.into()) }
    })
}

/// Writes the fitness of finger entry `index` for matching, 0-100, to `*out`.
///
/// # Safety
/// `report` is NULL or a live report; `out` is NULL or valid for writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fingerqc_report_finger_quality(
    report: *const fingerqc_report,
    index: usize,
    out: *mut u8,
) -> fingerqc_status {
    guard("fingerqc_report_finger_quality", || {
        // SAFETY: the documented contract; NULLs are checked inside.
        let f = finger(unsafe { get(report) }?, index)?;
        unsafe { put(out, "out", f.quality) }
    })
}

/// Copies the whole report as JSON (the same document as the Rust API's serde serialisation
/// and the CLI's output) into `buf`, NUL-terminated, with the snprintf convention of
/// `fingerqc_report_reason_message`: call with `buf` NULL and `len` 0 to get the length in
/// `*out_len`, then again with a buffer of at least `*out_len + 1` bytes.
///
/// # Safety
/// `report` is NULL or a live report; `buf` is NULL or valid for writing `len` bytes; `out_len`
/// is NULL or valid for writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fingerqc_report_json(
    report: *const fingerqc_report,
    buf: *mut c_char,
    len: usize,
    out_len: *mut usize,
) -> fingerqc_status {
    guard("fingerqc_report_json", || {
        // SAFETY: NULL checked by `as_ref`; otherwise live by contract.
        let handle = unsafe { report.as_ref() }.ok_or(Error::NullPointer { argument: "report" })?;
        let json = match handle.json.get() {
            Some(json) => json,
            None => {
                let text = serde_json::to_string(&handle.report).map_err(|e| Error::Io {
                    path: "report JSON".into(),
                    source: e.into(),
                })?;
                handle.json.get_or_init(|| text)
            }
        };
        // SAFETY: the documented contract on `buf`, `len` and `out_len`.
        unsafe { copy_out(json, buf, len, out_len) }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::ReasonCode;

    #[test]
    fn accessors_read_what_the_report_holds() {
        let mut handle = fingerqc_report::default();
        let r = handle.report_mut();
        r.verdict = Verdict::Reject;
        r.reasons
            .push(Reason::new(ReasonCode::TooFar, 300.0, 350.0, Hand::Left));
        r.fingers.push(FingerReport {
            name: FingerName::Ring,
            bbox: Rect {
                x: 1,
                y: 2,
                width: 3,
                height: 4,
            },
            quality: 77,
            ..Default::default()
        });
        r.estimated_ppi = Some(300.0);
        let p: *const fingerqc_report = &handle;
        unsafe {
            let mut code = 0u32;
            assert_eq!(
                fingerqc_report_reason_code(p, 0, &mut code),
                fingerqc_status::Ok
            );
            assert_eq!(code, ReasonCode::TooFar as u32);
            assert_eq!(
                fingerqc_report_reason_code(p, 1, &mut code),
                fingerqc_status::IndexOutOfRange
            );
            let (mut ppi, mut has) = (0f32, false);
            fingerqc_report_estimated_ppi(p, &mut ppi, &mut has);
            assert!(has);
            assert_eq!(ppi, 300.0);
            let mut bbox = fingerqc_rect::default();
            fingerqc_report_finger_bbox(p, 0, &mut bbox);
            assert_eq!((bbox.x, bbox.y, bbox.width, bbox.height), (1, 2, 3, 4));
            let mut name = FingerName::Unknown;
            fingerqc_report_finger_name(p, 0, &mut name);
            assert_eq!(name, FingerName::Ring);
            let mut q = 0u8;
            fingerqc_report_finger_quality(p, 0, &mut q);
            assert_eq!(q, 77);
            let mut buf = [0 as c_char; 256];
            let mut n = 0usize;
            assert_eq!(
                fingerqc_report_reason_message(p, 0, 1, buf.as_mut_ptr(), buf.len(), &mut n),
                fingerqc_status::Ok
            );
            let text = std::ffi::CStr::from_ptr(buf.as_ptr()).to_str().unwrap();
            assert_eq!(
                text,
                ReasonCode::TooFar.message(Language::Arabic, Hand::Left)
            );
            assert_eq!(n, text.len());
            assert_eq!(
                fingerqc_report_reason_message(p, 0, 2, buf.as_mut_ptr(), buf.len(), &mut n),
                fingerqc_status::InvalidArgument
            );
        }
    }

    #[test]
    fn messages_fit_the_documented_256_bytes() {
        for code in ReasonCode::ALL {
            for lang in [Language::English, Language::Arabic] {
                for hand in [Hand::Left, Hand::Right] {
                    assert!(code.message(lang, hand).len() < 256, "{code} {lang:?}");
                }
            }
        }
    }

    #[test]
    fn refilling_forgets_the_old_json() {
        let mut handle = fingerqc_report::default();
        let mut n = 0usize;
        unsafe { fingerqc_report_json(&handle, ptr::null_mut(), 0, &mut n) };
        let before = n;
        handle.report_mut().width = 123_456;
        unsafe { fingerqc_report_json(&handle, ptr::null_mut(), 0, &mut n) };
        assert_eq!(
            n,
            before + 5,
            "width \"0\" -> \"123456\" is five bytes longer"
        );
    }
}
