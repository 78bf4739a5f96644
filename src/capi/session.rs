//! Session handles: a camera stream followed over time (steady guidance, hold still,
//! auto-capture of the best frame with its fingertip crops).

use super::analyzer::fingerqc_frame;
use super::report::{fingerqc_report, language};
use super::{copy_out, fingerqc_status, guard, put};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::report::{FingerName, ReasonCode};
use crate::session::{Capture, Guidance, LumaImage, Session, SessionConfig};
use std::ffi::{CStr, c_char};
use std::ptr;

/// A session: an analyzer plus what it remembers of earlier frames. Keep one per camera
/// stream and use it from one thread at a time (it may move between threads).
#[derive(Debug)]
pub struct fingerqc_session {
    session: Session,
    /// As for `fingerqc_analyzer`: still true after a panic, when the state may be half-written.
    poisoned: bool,
}

/// An auto-capture taken from a session: the best frame of a stable stretch, its report and
/// one upright crop per finger at the target resolution. Owns its pixels; the pointers its
/// accessors return stay valid until `fingerqc_capture_free`.
#[derive(Debug)]
pub struct fingerqc_capture {
    capture: Capture,
    /// The capture's report, moved out of `capture` so a `fingerqc_report` pointer can be lent.
    report: fingerqc_report,
}

/// What to tell the user after a frame. Plain data, copied out by `fingerqc_session_feed` and
/// `fingerqc_session_guidance`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct fingerqc_guidance {
    /// Timestamp of the frame, seconds, as given to `fingerqc_session_feed`.
    pub timestamp_s: f64,
    /// Whether an instruction is shown: `primary` is valid only when true. When false every
    /// check passes; `fingerqc_session_message` then says to hold still for the capture.
    pub has_primary: bool,
    /// The instruction shown (a `fingerqc_reason_code` value), held steady over frames.
    pub primary: u32,
    /// Bit `c` is set when reason code `c` is active after smoothing (codes below 32).
    pub active_mask: u32,
    /// Every check passes after smoothing, the hand is still, no instruction is shown.
    pub ready: bool,
    /// The hand moves faster than the session's threshold (with hysteresis).
    pub moving: bool,
    /// True on the frame on which a capture fired: take it with `fingerqc_session_take_capture`.
    pub captured: bool,
    /// A capture fired earlier in the current stable stretch.
    pub capture_done: bool,
    /// Whether `motion_mm_s` is valid.
    pub has_motion: bool,
    /// Smoothed hand speed at the finger, millimetres per second.
    pub motion_mm_s: f32,
    /// 1 when the hand is perfectly still, 0 at or above the motion threshold.
    pub steadiness: f32,
    /// Share of the stable stretch done before the auto-capture fires, 0-1.
    pub progress: f32,
    /// Whether `ppi` is valid.
    pub has_ppi: bool,
    /// Smoothed resolution at the fingers, pixels per inch, for display.
    pub ppi: f32,
}

impl From<&Guidance> for fingerqc_guidance {
    fn from(g: &Guidance) -> Self {
        let active_mask = g
            .active
            .iter()
            .filter_map(|c| 1u32.checked_shl(*c as u32))
            .fold(0, |m, bit| m | bit);
        fingerqc_guidance {
            timestamp_s: g.timestamp_s,
            has_primary: g.primary.is_some(),
            primary: g.primary.map_or(0, |c: ReasonCode| c as u32),
            active_mask,
            ready: g.ready,
            moving: g.moving,
            captured: g.captured,
            capture_done: g.capture_done,
            has_motion: g.motion_mm_s.is_some(),
            motion_mm_s: g.motion_mm_s.unwrap_or(0.0),
            steadiness: g.steadiness,
            progress: g.progress,
            has_ppi: g.ppi.is_some(),
            ppi: g.ppi.unwrap_or(0.0),
        }
    }
}

/// An 8-bit gray image owned by a capture: `height` rows of `width` bytes, `stride` bytes apart.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct fingerqc_image {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Bytes between the starts of two rows.
    pub stride: usize,
    /// First pixel (BT.601 luma); valid until the capture is freed. NULL when empty.
    pub pixels: *const u8,
    /// Bytes at `pixels`.
    pub length: usize,
}

impl From<&LumaImage> for fingerqc_image {
    fn from(img: &LumaImage) -> Self {
        fingerqc_image {
            width: img.width,
            height: img.height,
            stride: img.width as usize,
            pixels: if img.pixels.is_empty() {
                ptr::null()
            } else {
                img.pixels.as_ptr()
            },
            length: img.pixels.len(),
        }
    }
}

/// One fingertip of a capture, turned upright (tip at the top) and resampled to `ppi`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct fingerqc_finger_crop {
    /// Which finger.
    pub name: FingerName,
    /// The finger's quality in the captured frame, 0-100.
    pub quality: u8,
    /// Resolution of `image`, pixels per inch (the configured target).
    pub ppi: f32,
    /// The resolution estimated in the frame, which the resampling used.
    pub source_ppi: f32,
    /// Frame pixels per crop pixel.
    pub scale: f32,
    /// The finger's direction in the frame, degrees clockwise from up.
    pub angle_deg: f32,
    /// Centre of the crop in frame pixels.
    pub centre_x: f32,
    /// Centre of the crop in frame pixels.
    pub centre_y: f32,
    /// The crop; pixels outside the frame are 255.
    pub image: fingerqc_image,
}

/// # Safety
/// `json` is NULL or a NUL-terminated string.
unsafe fn json_arg<'a>(json: *const c_char, argument: &'static str) -> Result<Option<&'a str>> {
    if json.is_null() {
        return Ok(None);
    }
    // SAFETY: non-NULL and NUL-terminated by contract.
    let text = unsafe { CStr::from_ptr(json) }
        .to_str()
        .map_err(|e| Error::ConfigParse(format!("{argument} is not UTF-8: {e}")))?;
    Ok(Some(text))
}

/// # Safety
/// `session` is NULL or a live session.
unsafe fn session_ref<'a>(session: *const fingerqc_session) -> Result<&'a Session> {
    // SAFETY: NULL checked by `as_ref`; otherwise live by contract.
    unsafe { session.as_ref() }
        .map(|s| &s.session)
        .ok_or(Error::NullPointer {
            argument: "session",
        })
}

/// # Safety
/// `capture` is NULL or a live capture.
unsafe fn capture_ref<'a>(capture: *const fingerqc_capture) -> Result<&'a fingerqc_capture> {
    // SAFETY: NULL checked by `as_ref`; otherwise live by contract.
    unsafe { capture.as_ref() }.ok_or(Error::NullPointer {
        argument: "capture",
    })
}

/// Creates a session. `config_json` is the analyzer configuration and `session_config_json`
/// the session's (smoothing, hysteresis, auto-capture, crops), each a NUL-terminated UTF-8 JSON
/// object or NULL for the defaults. On success `*out` receives the session, to be released with
/// `fingerqc_session_free`; on failure `*out` is set to NULL.
///
/// # Safety
/// Both strings are NULL or NUL-terminated; `out` is NULL or valid for writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fingerqc_session_new(
    config_json: *const c_char,
    session_config_json: *const c_char,
    out: *mut *mut fingerqc_session,
) -> fingerqc_status {
    guard("fingerqc_session_new", || {
        // SAFETY: the documented contract; `put` checks for NULL.
        unsafe { put(out, "out", ptr::null_mut()) }?;
        let config = match unsafe { json_arg(config_json, "config_json") }? {
            Some(text) => Config::from_json_str(text)?,
            None => Config::default(),
        };
        let session_config = match unsafe { json_arg(session_config_json, "session_config_json") }?
        {
            Some(text) => SessionConfig::from_json_str(text)?,
            None => SessionConfig::default(),
        };
        let session = Session::new(config, session_config)?;
        let handle = Box::new(fingerqc_session {
            session,
            poisoned: false,
        });
        // SAFETY: as above.
        unsafe { put(out, "out", Box::into_raw(handle)) }
    })
}

/// Releases a session. NULL is accepted and ignored.
///
/// # Safety
/// `session` is NULL or was returned by `fingerqc_session_new` and not freed yet.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fingerqc_session_free(session: *mut fingerqc_session) {
    let _ = guard("fingerqc_session_free", || {
        if !session.is_null() {
            // SAFETY: allocated by Box in fingerqc_session_new, freed once by contract.
            drop(unsafe { Box::from_raw(session) });
        }
        Ok(())
    });
}

/// Analyses a frame taken at `timestamp_s` seconds (any origin, increasing; a gap or a step
/// back starts the smoothing over) and updates the guidance, copied to `*out` unless `out` is
/// NULL. Allocates nothing once warm, except when a frame becomes the best of a stable stretch
/// (its luma is copied) and when a capture fires.
///
/// # Safety
/// `session` is NULL or a live session not used by another thread during the call; `frame` as
/// for `fingerqc_analyze`; `out` is NULL or valid for writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fingerqc_session_feed(
    session: *mut fingerqc_session,
    frame: *const fingerqc_frame,
    timestamp_s: f64,
    out: *mut fingerqc_guidance,
) -> fingerqc_status {
    guard("fingerqc_session_feed", || {
        // SAFETY (both): checked for NULL, otherwise valid by contract.
        let handle = unsafe { session.as_mut() }.ok_or(Error::NullPointer {
            argument: "session",
        })?;
        let frame = unsafe { frame.as_ref() }.ok_or(Error::NullPointer { argument: "frame" })?;
        if handle.poisoned {
            return Err(Error::Panic {
                message: "this session panicked in an earlier call and is unusable: \
                          free it and create a new one"
                    .into(),
            });
        }
        // SAFETY: the frame contract, passed on.
        let view = unsafe { frame.view() }?;
        handle.poisoned = true;
        let guidance = handle
            .session
            .feed(&view, timestamp_s)
            .map(fingerqc_guidance::from);
        handle.poisoned = false;
        let guidance = guidance?;
        if !out.is_null() {
            // SAFETY: non-NULL, writable by contract.
            unsafe { out.write(guidance) };
        }
        Ok(())
    })
}

/// Copies the guidance after the last frame to `*out`.
///
/// # Safety
/// `session` is NULL or a live session; `out` is NULL or valid for writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fingerqc_session_guidance(
    session: *const fingerqc_session,
    out: *mut fingerqc_guidance,
) -> fingerqc_status {
    guard("fingerqc_session_guidance", || {
        // SAFETY: the documented contract; NULLs are checked inside.
        let g = unsafe { session_ref(session) }?.guidance();
        unsafe { put(out, "out", g.into()) }
    })
}

/// Copies the text to show after the last frame in `language` (a `fingerqc_language` value):
/// the primary instruction, or the hold-still-for-the-capture / captured message when there is
/// none. Same buffer convention as `fingerqc_report_reason_message`.
///
/// # Safety
/// `session` is NULL or a live session; `buf` is NULL or valid for writing `len` bytes;
/// `out_len` is NULL or valid for writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fingerqc_session_message(
    session: *const fingerqc_session,
    language: u32,
    buf: *mut c_char,
    len: usize,
    out_len: *mut usize,
) -> fingerqc_status {
    guard("fingerqc_session_message", || {
        // SAFETY: the documented contract; NULLs are checked inside.
        let s = unsafe { session_ref(session) }?;
        let text = s.guidance().message(self::language(language)?, s.config());
        unsafe { copy_out(text, buf, len, out_len) }
    })
}

/// Copies the full report of the last frame into `report` (made with `fingerqc_report_new`),
/// reusing its memory.
///
/// # Safety
/// `session` is NULL or a live session; `report` is NULL or a live report that no other thread
/// reads during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fingerqc_session_report_into(
    session: *const fingerqc_session,
    report: *mut fingerqc_report,
) -> fingerqc_status {
    guard("fingerqc_session_report_into", || {
        // SAFETY (both): checked for NULL, otherwise valid by contract.
        let s = unsafe { session_ref(session) }?;
        let report = unsafe { report.as_mut() }.ok_or(Error::NullPointer { argument: "report" })?;
        report.report_mut().clone_from(&s.guidance().report);
        Ok(())
    })
}

/// Forgets earlier frames: the next frame starts a new stream.
///
/// # Safety
/// `session` is NULL or a live session not used by another thread during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fingerqc_session_reset(session: *mut fingerqc_session) -> fingerqc_status {
    guard("fingerqc_session_reset", || {
        // SAFETY: checked for NULL, otherwise valid by contract.
        let handle = unsafe { session.as_mut() }.ok_or(Error::NullPointer {
            argument: "session",
        })?;
        handle.session.reset();
        Ok(())
    })
}

/// Takes the capture that fired most recently: `*out` receives it (release it with
/// `fingerqc_capture_free`), or NULL when no capture is waiting (still `FINGERQC_STATUS_OK`).
/// A capture fires on the frame whose guidance has `captured` set.
///
/// # Safety
/// `session` is NULL or a live session not used by another thread during the call; `out` is
/// NULL or valid for writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fingerqc_session_take_capture(
    session: *mut fingerqc_session,
    out: *mut *mut fingerqc_capture,
) -> fingerqc_status {
    guard("fingerqc_session_take_capture", || {
        // SAFETY (all): checked for NULL, otherwise valid by contract.
        unsafe { put(out, "out", ptr::null_mut()) }?;
        let handle = unsafe { session.as_mut() }.ok_or(Error::NullPointer {
            argument: "session",
        })?;
        let Some(mut capture) = handle.session.take_capture() else {
            return Ok(());
        };
        let mut report = fingerqc_report::default();
        std::mem::swap(report.report_mut(), &mut capture.report);
        let boxed = Box::new(fingerqc_capture { capture, report });
        unsafe { put(out, "out", Box::into_raw(boxed)) }
    })
}

/// Releases a capture. NULL is accepted and ignored.
///
/// # Safety
/// `capture` is NULL or was returned by `fingerqc_session_take_capture` and not freed yet.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fingerqc_capture_free(capture: *mut fingerqc_capture) {
    let _ = guard("fingerqc_capture_free", || {
        if !capture.is_null() {
            // SAFETY: allocated by Box in fingerqc_session_take_capture, freed once by contract.
            drop(unsafe { Box::from_raw(capture) });
        }
        Ok(())
    });
}

/// Writes the timestamp of the captured frame, seconds, to `*out`.
///
/// # Safety
/// `capture` is NULL or a live capture; `out` is NULL or valid for writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fingerqc_capture_timestamp(
    capture: *const fingerqc_capture,
    out: *mut f64,
) -> fingerqc_status {
    guard("fingerqc_capture_timestamp", || {
        // SAFETY: the documented contract; NULLs are checked inside.
        unsafe { put(out, "out", capture_ref(capture)?.capture.timestamp_s) }
    })
}

/// Writes to `*out` the captured frame's report, owned by the capture: read it with the
/// `fingerqc_report_*` accessors while the capture lives, and do not free it.
///
/// # Safety
/// `capture` is NULL or a live capture; `out` is NULL or valid for writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fingerqc_capture_report(
    capture: *const fingerqc_capture,
    out: *mut *const fingerqc_report,
) -> fingerqc_status {
    guard("fingerqc_capture_report", || {
        // SAFETY: the documented contract; NULLs are checked inside.
        let c = unsafe { capture_ref(capture) }?;
        unsafe { put(out, "out", &c.report as *const fingerqc_report) }
    })
}

/// Writes the captured frame's luma (full resolution) to `*out`; its pixels belong to the
/// capture.
///
/// # Safety
/// `capture` is NULL or a live capture; `out` is NULL or valid for writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fingerqc_capture_image(
    capture: *const fingerqc_capture,
    out: *mut fingerqc_image,
) -> fingerqc_status {
    guard("fingerqc_capture_image", || {
        // SAFETY: the documented contract; NULLs are checked inside.
        let c = unsafe { capture_ref(capture) }?;
        unsafe { put(out, "out", (&c.capture.image).into()) }
    })
}

/// Writes the number of fingertip crops to `*out` (one per finger of the report; none when the
/// frame had no resolution estimate).
///
/// # Safety
/// `capture` is NULL or a live capture; `out` is NULL or valid for writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fingerqc_capture_finger_count(
    capture: *const fingerqc_capture,
    out: *mut usize,
) -> fingerqc_status {
    guard("fingerqc_capture_finger_count", || {
        // SAFETY: the documented contract; NULLs are checked inside.
        unsafe { put(out, "out", capture_ref(capture)?.capture.fingers.len()) }
    })
}

/// Writes fingertip crop `index` to `*out`; its pixels belong to the capture.
///
/// # Safety
/// `capture` is NULL or a live capture; `out` is NULL or valid for writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fingerqc_capture_finger(
    capture: *const fingerqc_capture,
    index: usize,
    out: *mut fingerqc_finger_crop,
) -> fingerqc_status {
    guard("fingerqc_capture_finger", || {
        // SAFETY: the documented contract; NULLs are checked inside.
        let fingers = &unsafe { capture_ref(capture) }?.capture.fingers;
        let f = fingers.get(index).ok_or(Error::IndexOutOfRange {
            what: "finger crop",
            index,
            len: fingers.len(),
        })?;
        let crop = fingerqc_finger_crop {
            name: f.name,
            quality: f.quality,
            ppi: f.ppi,
            source_ppi: f.source_ppi,
            scale: f.scale,
            angle_deg: f.angle_deg,
            centre_x: f.centre[0],
            centre_y: f.centre[1],
            image: (&f.image).into(),
        };
        unsafe { put(out, "out", crop) }
    })
}
