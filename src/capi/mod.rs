//! The C ABI (feature `capi`): opaque handles, a `#[repr(C)]` frame description, status codes
//! and a per-thread error message, for hosts that embed the analyzer from C, Swift or JNI.
//! `include/fingerqc.h` is generated from this module by cbindgen (`scripts/check-header.sh`).
//!
//! Every exported function
//! - runs inside a panic boundary: a panic returns [`fingerqc_status::Panic`], it never unwinds
//!   into the caller nor aborts the process;
//! - checks each pointer argument for NULL before using it;
//! - returns a [`fingerqc_status`] (except the `_free` functions and the static-string look-ups),
//!   and on failure stores the typed [`crate::Error`] message for [`fingerqc_last_error`];
//! - borrows caller memory for the duration of the call only, and never copies a frame.
//!
//! Type names follow C conventions, since the header is what users read.
#![allow(non_camel_case_types)]

mod analyzer;
mod report;
mod session;

pub use analyzer::*;
pub use report::*;
pub use session::*;

use crate::error::Error;
use crate::report::ReasonCode;
use std::cell::RefCell;
use std::ffi::{CStr, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr;

/// The outcome of a call. Values are stable; new ones may be added.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum fingerqc_status {
    /// Success.
    Ok = 0,
    /// A required pointer argument was NULL.
    NullPointer = 1,
    /// The frame description is unusable: zero size, unknown pixel format, odd size for a
    /// 4:2:0 format, a stride shorter than a row, a buffer shorter than its rows, or a frame
    /// larger than the configured limit.
    InvalidFrame = 2,
    /// The configuration JSON is malformed, not UTF-8, or has a field out of range.
    InvalidConfig = 3,
    /// The caller's buffer could not hold the whole text; it holds a NUL-terminated prefix and
    /// `*out_len` the full length.
    BufferTooSmall = 4,
    /// An index past the end of the report's reasons or fingers.
    IndexOutOfRange = 5,
    /// Some other argument is out of its domain (an unknown `fingerqc_language` value, a
    /// timestamp that is not a finite number).
    InvalidArgument = 6,
    /// The library panicked (a bug). An analyzer that panicked refuses further frames: free it.
    Panic = 7,
    /// Any other failure.
    Internal = 8,
}

impl fingerqc_status {
    /// The status a library error is reported as.
    pub fn of(error: &Error) -> Self {
        match error {
            Error::NullPointer { .. } => fingerqc_status::NullPointer,
            Error::EmptyFrame { .. }
            | Error::OddDimensions { .. }
            | Error::StrideTooShort { .. }
            | Error::BufferTooShort { .. }
            | Error::SizeOverflow { .. }
            | Error::FrameTooLarge { .. }
            | Error::UnsupportedShape { .. }
            | Error::UnsupportedFormat { .. }
            | Error::UnknownPixelFormat { .. } => fingerqc_status::InvalidFrame,
            Error::Config { .. } | Error::ConfigParse(_) => fingerqc_status::InvalidConfig,
            Error::OutputTooSmall { .. } => fingerqc_status::BufferTooSmall,
            Error::IndexOutOfRange { .. } => fingerqc_status::IndexOutOfRange,
            Error::InvalidArgument { .. } | Error::InvalidTimestamp(_) => {
                fingerqc_status::InvalidArgument
            }
            Error::Panic { .. } => fingerqc_status::Panic,
            _ => fingerqc_status::Internal,
        }
    }

    fn name(self) -> &'static CStr {
        match self {
            fingerqc_status::Ok => c"ok",
            fingerqc_status::NullPointer => c"null_pointer",
            fingerqc_status::InvalidFrame => c"invalid_frame",
            fingerqc_status::InvalidConfig => c"invalid_config",
            fingerqc_status::BufferTooSmall => c"buffer_too_small",
            fingerqc_status::IndexOutOfRange => c"index_out_of_range",
            fingerqc_status::InvalidArgument => c"invalid_argument",
            fingerqc_status::Panic => c"panic",
            fingerqc_status::Internal => c"internal",
        }
    }

    const ALL: [fingerqc_status; 9] = [
        fingerqc_status::Ok,
        fingerqc_status::NullPointer,
        fingerqc_status::InvalidFrame,
        fingerqc_status::InvalidConfig,
        fingerqc_status::BufferTooSmall,
        fingerqc_status::IndexOutOfRange,
        fingerqc_status::InvalidArgument,
        fingerqc_status::Panic,
        fingerqc_status::Internal,
    ];
}

// The header promises that analyzers and sessions may move between threads and that reports
// and captures may be read from several threads at once; fail the build if that stops being true.
const _: () = {
    const fn send<T: Send>() {}
    const fn sync<T: Sync>() {}
    send::<fingerqc_analyzer>();
    send::<fingerqc_session>();
    send::<fingerqc_report>();
    sync::<fingerqc_report>();
    send::<fingerqc_capture>();
};

thread_local! {
    /// The message of this thread's last failing call. The String keeps its capacity, so
    /// repeated errors do not allocate once it has grown.
    static LAST_ERROR: RefCell<String> = const { RefCell::new(String::new()) };
}

fn set_last_error(function: &str, error: &Error) {
    use std::fmt::Write;
    // `try_with`/`try_borrow_mut`: during thread teardown, or if a Display impl re-entered
    // here, skip the message rather than panic outside the boundary.
    let _ = LAST_ERROR.try_with(|slot| {
        if let Ok(mut msg) = slot.try_borrow_mut() {
            msg.clear();
            let _ = write!(msg, "{function}: {error}");
        }
    });
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic with a non-text payload".to_owned()
    }
}

/// The panic boundary every exported function runs in: runs `body`, turns its error or panic
/// into a status and records the message (prefixed with `function`) for [`fingerqc_last_error`].
pub(crate) fn guard(
    function: &'static str,
    body: impl FnOnce() -> Result<(), Error>,
) -> fingerqc_status {
    // AssertUnwindSafe: after a panic nothing the body touched is used again, except an
    // analyzer, which marks itself poisoned for the duration of the call.
    let error = match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => return fingerqc_status::Ok,
        Ok(Err(e)) => e,
        Err(payload) => {
            let message = panic_message(payload.as_ref());
            // Dropping a payload can itself panic; keep that inside a boundary too.
            let _ = catch_unwind(AssertUnwindSafe(move || drop(payload)));
            Error::Panic { message }
        }
    };
    set_last_error(function, &error);
    fingerqc_status::of(&error)
}

/// Writes `value` through an output pointer after checking it for NULL.
///
/// # Safety
/// `out` is NULL or valid for writing a `T`.
pub(crate) unsafe fn put<T>(out: *mut T, argument: &'static str, value: T) -> Result<(), Error> {
    if out.is_null() {
        return Err(Error::NullPointer { argument });
    }
    // SAFETY: non-NULL checked above; validity for writes is the caller's contract.
    // `write` does not read the old value, which may be uninitialised.
    unsafe { out.write(value) };
    Ok(())
}

/// Copies `text` into `buf` (capacity `len` bytes), NUL-terminated, truncated at a UTF-8
/// character boundary when it does not fit. Returns whether all of it fit.
///
/// # Safety
/// `buf` is NULL or valid for writing `len` bytes.
unsafe fn write_c_string(text: &str, buf: *mut c_char, len: usize) -> bool {
    if buf.is_null() || len == 0 {
        return false;
    }
    let mut n = text.len().min(len - 1);
    while !text.is_char_boundary(n) {
        n -= 1;
    }
    // SAFETY: `n + 1 <= len` bytes are written into a buffer the caller says holds `len`;
    // `text` is ours, so the two cannot overlap.
    unsafe {
        ptr::copy_nonoverlapping(text.as_ptr(), buf.cast::<u8>(), n);
        buf.add(n).write(0);
    }
    n == text.len()
}

/// Copies `text` to a caller buffer with the snprintf convention: `*out_len` (when `out_len`
/// is not NULL) receives the full length in bytes without the NUL; the call succeeds only when
/// `len > text.len()`, else `buf` holds a NUL-terminated prefix (when `len > 0`) and the error
/// is [`Error::OutputTooSmall`]. `buf` may be NULL when `len` is 0, to ask for the length.
///
/// # Safety
/// `buf` is NULL or valid for writing `len` bytes; `out_len` is NULL or valid for writing.
pub(crate) unsafe fn copy_out(
    text: &str,
    buf: *mut c_char,
    len: usize,
    out_len: *mut usize,
) -> Result<(), Error> {
    if buf.is_null() && len > 0 {
        return Err(Error::NullPointer { argument: "buf" });
    }
    if !out_len.is_null() {
        // SAFETY: non-NULL, and valid for writes by the caller's contract.
        unsafe { out_len.write(text.len()) };
    }
    // SAFETY: as promised by our caller.
    if unsafe { write_c_string(text, buf, len) } {
        Ok(())
    } else {
        Err(Error::OutputTooSmall {
            len,
            needed: text.len() + 1,
        })
    }
}

/// Copies the message of this thread's last failing call into `buf` (NUL-terminated, truncated
/// at a UTF-8 character boundary to fit `len` bytes) and returns its full length in bytes
/// without the NUL, like `snprintf`; 0 and an empty string when no call has failed on this
/// thread. `buf` may be NULL when `len` is 0, to ask for the length.
///
/// Every failing call replaces the message; successful calls leave it alone (like `errno`),
/// so read it right after the call that returned an error.
///
/// # Safety
/// `buf` is NULL or valid for writing `len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fingerqc_last_error(buf: *mut c_char, len: usize) -> usize {
    catch_unwind(AssertUnwindSafe(|| {
        LAST_ERROR
            .try_with(|slot| match slot.try_borrow() {
                Ok(msg) => {
                    // SAFETY: the caller's contract on `buf` and `len`.
                    unsafe { write_c_string(&msg, buf, len) };
                    msg.len()
                }
                Err(_) => 0,
            })
            .unwrap_or(0)
    }))
    .unwrap_or(0)
}

/// The snake_case name of a status (`"ok"`, `"invalid_frame"`, ...), a static NUL-terminated
/// string; `"unknown"` for a value that is no status.
#[unsafe(no_mangle)]
pub extern "C" fn fingerqc_status_str(status: u32) -> *const c_char {
    catch_unwind(|| {
        fingerqc_status::ALL
            .iter()
            .find(|s| **s as u32 == status)
            .map_or(c"unknown", |s| s.name())
            .as_ptr()
    })
    .unwrap_or(ptr::null())
}

pub(crate) fn reason_code_from_u32(code: u32) -> Option<ReasonCode> {
    ReasonCode::ALL.iter().copied().find(|c| *c as u32 == code)
}

/// The NUL-terminated twin of [`ReasonCode::as_str`]. An exhaustive match, so a new code does
/// not compile until it has its C string here (a test checks the two spellings agree).
fn reason_code_cstr(code: ReasonCode) -> &'static CStr {
    match code {
        ReasonCode::NoHand => c"no_hand",
        ReasonCode::WrongHand => c"wrong_hand",
        ReasonCode::TooManyFingers => c"too_many_fingers",
        ReasonCode::TooFewFingers => c"too_few_fingers",
        ReasonCode::PartiallyOutOfFrame => c"partially_out_of_frame",
        ReasonCode::TooFar => c"too_far",
        ReasonCode::TooClose => c"too_close",
        ReasonCode::TooDark => c"too_dark",
        ReasonCode::TooBright => c"too_bright",
        ReasonCode::HoldStill => c"hold_still",
        ReasonCode::TooBlurry => c"too_blurry",
        ReasonCode::Glare => c"glare",
        ReasonCode::LowRidgeContrast => c"low_ridge_contrast",
        ReasonCode::CameraLimit => c"camera_limit",
    }
}

/// The stable snake_case name of a `fingerqc_reason_code` value (`"too_far"`, ...) as in the
/// JSON report: a static NUL-terminated string, or NULL for a value that is no reason code
/// (for instance one added by a newer library than the caller was written for).
#[unsafe(no_mangle)]
pub extern "C" fn fingerqc_reason_code_str(code: u32) -> *const c_char {
    catch_unwind(|| {
        reason_code_from_u32(code).map_or(ptr::null(), |c| reason_code_cstr(c).as_ptr())
    })
    .unwrap_or(ptr::null())
}

const VERSION: &CStr =
    match CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
        Ok(v) => v,
        Err(_) => panic!("the package version contains a NUL byte"),
    };

/// The library version (`"0.1.0"`), a static NUL-terminated string.
#[unsafe(no_mangle)]
pub extern "C" fn fingerqc_version() -> *const c_char {
    VERSION.as_ptr()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn last_error() -> String {
        let mut buf = [0 as c_char; 512];
        let n = unsafe { fingerqc_last_error(buf.as_mut_ptr(), buf.len()) };
        let s = unsafe { CStr::from_ptr(buf.as_ptr()) }
            .to_str()
            .unwrap()
            .to_owned();
        assert_eq!(n, s.len(), "returned length is the message length");
        s
    }

    #[test]
    fn panic_inside_the_boundary_becomes_a_status_and_a_message() {
        let status = guard("fingerqc_test", || panic!("boom {}", 42));
        assert_eq!(status, fingerqc_status::Panic);
        assert_eq!(last_error(), "fingerqc_test: internal panic: boom 42");
        // A &'static str payload too.
        let status = guard("fingerqc_test", || std::panic::panic_any("static boom"));
        assert_eq!(status, fingerqc_status::Panic);
        assert!(last_error().ends_with("static boom"));
    }

    #[test]
    fn success_leaves_the_last_error_alone() {
        let _ = guard("fingerqc_a", || Err(Error::NullPointer { argument: "x" }));
        assert_eq!(guard("fingerqc_b", || Ok(())), fingerqc_status::Ok);
        assert_eq!(last_error(), "fingerqc_a: argument `x` is NULL");
    }

    #[test]
    fn last_error_is_per_thread() {
        let _ = guard("fingerqc_main", || {
            Err(Error::NullPointer { argument: "x" })
        });
        let other = std::thread::spawn(last_error).join().unwrap();
        assert_eq!(other, "", "a fresh thread has no error");
        assert!(last_error().starts_with("fingerqc_main"));
    }

    #[test]
    fn copies_follow_snprintf_and_never_split_a_character() {
        // "ab" + U+0627 (2 bytes in UTF-8) = 4 bytes.
        let text = "ab\u{627}";
        let mut n = 0usize;
        // Length query.
        let e = unsafe { copy_out(text, ptr::null_mut(), 0, &mut n) };
        assert!(matches!(
            e,
            Err(Error::OutputTooSmall { len: 0, needed: 5 })
        ));
        assert_eq!(n, 4);
        // 4 bytes of room: 3 for text, the Arabic letter would be split, so only "ab" fits.
        let mut buf = [0x55 as c_char; 4];
        let e = unsafe { copy_out(text, buf.as_mut_ptr(), 4, &mut n) };
        assert!(e.is_err());
        assert_eq!(unsafe { CStr::from_ptr(buf.as_ptr()) }.to_bytes(), b"ab");
        // Exactly enough room.
        let mut buf = [0x55 as c_char; 5];
        unsafe { copy_out(text, buf.as_mut_ptr(), 5, &mut n) }.unwrap();
        assert_eq!(
            unsafe { CStr::from_ptr(buf.as_ptr()) }.to_str().unwrap(),
            text
        );
        // NULL buffer with a non-zero length is a NULL-pointer error.
        let e = unsafe { copy_out(text, ptr::null_mut(), 8, ptr::null_mut()) };
        assert!(matches!(e, Err(Error::NullPointer { argument: "buf" })));
    }

    #[test]
    fn c_names_match_the_rust_names() {
        for code in ReasonCode::ALL {
            let c = unsafe { CStr::from_ptr(fingerqc_reason_code_str(code as u32)) };
            assert_eq!(c.to_str().unwrap(), code.as_str());
        }
        assert!(fingerqc_reason_code_str(ReasonCode::ALL.len() as u32).is_null());
        assert!(fingerqc_reason_code_str(u32::MAX).is_null());
        let ok = unsafe { CStr::from_ptr(fingerqc_status_str(0)) };
        assert_eq!(ok.to_str().unwrap(), "ok");
        let unknown = unsafe { CStr::from_ptr(fingerqc_status_str(999)) };
        assert_eq!(unknown.to_str().unwrap(), "unknown");
        let v = unsafe { CStr::from_ptr(fingerqc_version()) };
        assert_eq!(v.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
    }
}
