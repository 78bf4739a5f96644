//! Analyzer handles and the C description of a frame.

use super::report::fingerqc_report;
use super::{fingerqc_status, guard, put};
use crate::analyzer::Analyzer;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::frame::{FrameView, PixelFormat};
use crate::report::Report;
use std::ffi::{CStr, c_char};
use std::ptr;

/// A camera frame as the caller holds it: size, pixel format and up to three planes. The
/// planes are borrowed for the duration of one call and never copied.
///
/// Which planes a format uses (the others are ignored and may be NULL):
/// - `FINGERQC_PIXEL_FORMAT_GRAY8`, `_RGB8`, `_RGBA8`, `_BGRA8`: `planes[0]` holds the packed
///   pixels; `strides[0] >= width * bytes per pixel`.
/// - `_NV21`, `_NV12`: `planes[0]` is Y (`strides[0] >= width`), `planes[1]` the interleaved
///   chroma at half resolution (V,U for NV21; U,V for NV12; `strides[1] >= width`).
/// - `_I420`: `planes[0]`, `planes[1]`, `planes[2]` are Y, U and V; `strides[1]` and
///   `strides[2] >= width / 2`. The 4:2:0 formats need an even width and height.
///
/// `lengths[i]` is how many bytes can be read at `planes[i]`: at least
/// `strides[i] * (rows - 1) + row bytes` (the last row need not be padded). The library reads
/// nothing outside `planes[i][0 .. lengths[i]]`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct fingerqc_frame {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// A `fingerqc_pixel_format` value.
    pub format: u32,
    /// First byte of each plane.
    pub planes: [*const u8; 3],
    /// Bytes between the starts of two rows, per plane.
    pub strides: [usize; 3],
    /// Readable bytes from `planes[i]`, per plane.
    pub lengths: [usize; 3],
}

const PLANE_NAMES: [&str; 3] = ["frame->planes[0]", "frame->planes[1]", "frame->planes[2]"];
const LENGTH_NAMES: [&str; 3] = [
    "frame->lengths[0]",
    "frame->lengths[1]",
    "frame->lengths[2]",
];

impl fingerqc_frame {
    /// Borrows plane `i` (0..3) as a slice.
    ///
    /// # Safety
    /// `planes[i]` is NULL or valid for reading `lengths[i]` bytes that nobody writes while the
    /// returned slice lives.
    unsafe fn plane(&self, i: usize) -> Result<&[u8]> {
        let (Some(&ptr), Some(&len)) = (self.planes.get(i), self.lengths.get(i)) else {
            return Err(Error::InvalidArgument {
                argument: "frame",
                reason: format!("plane {i} does not exist"),
            });
        };
        let name = PLANE_NAMES.get(i).copied().unwrap_or("frame->planes");
        if ptr.is_null() {
            return Err(Error::NullPointer { argument: name });
        }
        if len > isize::MAX as usize {
            return Err(Error::InvalidArgument {
                argument: LENGTH_NAMES.get(i).copied().unwrap_or("frame->lengths"),
                reason: format!("{len} bytes is more than any buffer can hold"),
            });
        }
        // SAFETY: non-NULL and at most isize::MAX bytes, checked above; readable for `len` bytes
        // and not written during the call by the caller's contract.
        Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
    }

    /// A checked, zero-copy view of the frame.
    ///
    /// # Safety
    /// As for [`fingerqc_frame::plane`], for every plane the format uses.
    pub(crate) unsafe fn view(&self) -> Result<FrameView<'_>> {
        let format = PixelFormat::ALL
            .iter()
            .copied()
            .find(|f| *f as u32 == self.format)
            .ok_or(Error::UnknownPixelFormat { value: self.format })?;
        let (w, h) = (self.width, self.height);
        // SAFETY (all three blocks): the caller's contract, passed on.
        match format {
            PixelFormat::Nv21 | PixelFormat::Nv12 => {
                let (y, uv) = unsafe { (self.plane(0)?, self.plane(1)?) };
                FrameView::new_semiplanar(y, self.strides[0], uv, self.strides[1], w, h, format)
            }
            PixelFormat::I420 => {
                let (y, u, v) = unsafe { (self.plane(0)?, self.plane(1)?, self.plane(2)?) };
                let s = self.strides;
                FrameView::new_i420(y, s[0], u, s[1], v, s[2], w, h)
            }
            _ => {
                let data = unsafe { self.plane(0)? };
                FrameView::new_packed(data, w, h, self.strides[0], format)
            }
        }
    }
}

/// An analyzer: owns its configuration and scratch buffers, so keep one per camera stream.
/// Use it from one thread at a time (it may move between threads).
#[derive(Debug)]
pub struct fingerqc_analyzer {
    analyzer: Analyzer,
    /// True while a frame is being analysed; still true after a panic, when the scratch state
    /// may be half-written, so later frames are refused rather than analysed with it.
    poisoned: bool,
}

impl fingerqc_analyzer {
    /// Analyses `frame` into `report`.
    ///
    /// # Safety
    /// As for [`fingerqc_frame::view`].
    unsafe fn run(&mut self, frame: &fingerqc_frame, report: &mut Report) -> Result<()> {
        if self.poisoned {
            return Err(Error::Panic {
                message: "this analyzer panicked in an earlier call and is unusable: \
                          free it and create a new one"
                    .into(),
            });
        }
        // SAFETY: passed on from our caller.
        let view = unsafe { frame.view() }?;
        self.poisoned = true;
        let result = self.analyzer.analyze_into(&view, report);
        self.poisoned = false;
        result
    }
}

/// Creates an analyzer. `config_json` is a NUL-terminated UTF-8 JSON object with any of the
/// configuration fields (the others take their defaults), or NULL for the defaults. On success
/// `*out` receives the analyzer, to be released with `fingerqc_analyzer_free`; on failure
/// `*out` is set to NULL and the status is `FINGERQC_STATUS_INVALID_CONFIG` (or
/// `_NULL_POINTER` when `out` is NULL).
///
/// # Safety
/// `config_json` is NULL or a NUL-terminated string; `out` is NULL or valid for writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fingerqc_analyzer_new(
    config_json: *const c_char,
    out: *mut *mut fingerqc_analyzer,
) -> fingerqc_status {
    guard("fingerqc_analyzer_new", || {
        // SAFETY: `out` is NULL (checked) or writable by contract.
        unsafe { put(out, "out", ptr::null_mut()) }?;
        let config = if config_json.is_null() {
            Config::default()
        } else {
            // SAFETY: non-NULL and NUL-terminated by contract.
            let text = unsafe { CStr::from_ptr(config_json) }
                .to_str()
                .map_err(|e| Error::ConfigParse(format!("config_json is not UTF-8: {e}")))?;
            Config::from_json_str(text)?
        };
        let analyzer = Analyzer::new(config)?;
        let handle = Box::new(fingerqc_analyzer {
            analyzer,
            poisoned: false,
        });
        // SAFETY: checked above.
        unsafe { put(out, "out", Box::into_raw(handle)) }
    })
}

/// Releases an analyzer. NULL is accepted and ignored.
///
/// # Safety
/// `analyzer` is NULL or was returned by `fingerqc_analyzer_new` and not freed yet.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fingerqc_analyzer_free(analyzer: *mut fingerqc_analyzer) {
    let _ = guard("fingerqc_analyzer_free", || {
        if !analyzer.is_null() {
            // SAFETY: allocated by Box in fingerqc_analyzer_new, freed once by contract.
            drop(unsafe { Box::from_raw(analyzer) });
        }
        Ok(())
    });
}

/// Analyses one frame into a new report. On success `*out` receives the report, to be
/// released with `fingerqc_report_free`; on failure `*out` is set to NULL. A frame that is not
/// accepted is a success: the report's verdict says reject and its reasons say why.
///
/// This allocates a report per frame; `fingerqc_analyze_into` reuses one instead.
///
/// # Safety
/// `analyzer` is NULL or a live analyzer not used by another thread during the call; `frame` is
/// NULL or points to a `fingerqc_frame` whose planes satisfy its documented contract; `out` is
/// NULL or valid for writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fingerqc_analyze(
    analyzer: *mut fingerqc_analyzer,
    frame: *const fingerqc_frame,
    out: *mut *mut fingerqc_report,
) -> fingerqc_status {
    guard("fingerqc_analyze", || {
        // SAFETY (this and the next two): each pointer is checked for NULL, and otherwise valid
        // by contract.
        unsafe { put(out, "out", ptr::null_mut()) }?;
        let handle = unsafe { analyzer.as_mut() }.ok_or(Error::NullPointer {
            argument: "analyzer",
        })?;
        let frame = unsafe { frame.as_ref() }.ok_or(Error::NullPointer { argument: "frame" })?;
        let mut report = Box::<fingerqc_report>::default();
        // SAFETY: the frame contract, passed on.
        unsafe { handle.run(frame, report.report_mut()) }?;
        // SAFETY: checked above.
        unsafe { put(out, "out", Box::into_raw(report)) }
    })
}

/// Analyses one frame into an existing report, replacing its contents and reusing its memory:
/// with a warm analyzer and report this allocates nothing per frame. On failure the report is
/// left empty (verdict reject, no reasons, no fingers).
///
/// # Safety
/// As for `fingerqc_analyze`; `report` is NULL or a live report that no other thread reads
/// during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fingerqc_analyze_into(
    analyzer: *mut fingerqc_analyzer,
    frame: *const fingerqc_frame,
    report: *mut fingerqc_report,
) -> fingerqc_status {
    guard("fingerqc_analyze_into", || {
        // SAFETY (all three): checked for NULL, otherwise valid by contract.
        let report = unsafe { report.as_mut() }.ok_or(Error::NullPointer { argument: "report" })?;
        let handle = unsafe { analyzer.as_mut() }.ok_or(Error::NullPointer {
            argument: "analyzer",
        })?;
        let frame = unsafe { frame.as_ref() }.ok_or(Error::NullPointer { argument: "frame" })?;
        let out = report.report_mut();
        // SAFETY: the frame contract, passed on.
        let result = unsafe { handle.run(frame, out) };
        if result.is_err() {
            out.clear();
        }
        result
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_analyzer_that_panicked_refuses_further_frames() {
        let pixels = vec![0u8; 64 * 48];
        let frame = fingerqc_frame {
            width: 64,
            height: 48,
            format: PixelFormat::Gray8 as u32,
            planes: [pixels.as_ptr(), ptr::null(), ptr::null()],
            strides: [64, 0, 0],
            lengths: [pixels.len(), 0, 0],
        };
        let mut analyzer = ptr::null_mut();
        let mut report = ptr::null_mut();
        unsafe {
            assert_eq!(
                fingerqc_analyzer_new(ptr::null(), &mut analyzer),
                fingerqc_status::Ok
            );
            assert_eq!(
                fingerqc_analyze(analyzer, &frame, &mut report),
                fingerqc_status::Ok
            );
            super::super::fingerqc_report_free(report);
            // What a panic inside `analyze_into` leaves behind.
            (*analyzer).poisoned = true;
            assert_eq!(
                fingerqc_analyze(analyzer, &frame, &mut report),
                fingerqc_status::Panic
            );
            assert!(report.is_null());
            let mut buf = [0 as c_char; 256];
            super::super::fingerqc_last_error(buf.as_mut_ptr(), buf.len());
            let msg = CStr::from_ptr(buf.as_ptr()).to_str().unwrap();
            assert!(msg.contains("free it and create a new one"), "{msg}");
            fingerqc_analyzer_free(analyzer);
        }
    }
}
