//! The one error type of the crate.

use crate::frame::PixelFormat;

/// Everything that can go wrong, with the offending values in the message.
///
/// Building an error never allocates except for the messages of `Config`, `Decode` and `Io`,
/// which are produced outside the per-frame path.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Width or height is zero.
    #[error("frame size {width}x{height} is empty: width and height must be at least 1")]
    EmptyFrame {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
    },
    /// The pixel format needs even dimensions (4:2:0 chroma subsampling) and one was odd.
    #[error("{format:?} needs an even width and height, got {width}x{height}")]
    OddDimensions {
        /// The pixel format.
        format: PixelFormat,
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
    },
    /// A row stride is shorter than one row of pixels.
    #[error("{plane} plane stride {stride} bytes is shorter than a row of {min} bytes")]
    StrideTooShort {
        /// Which plane: "luma", "chroma", "u", "v" or "packed".
        plane: &'static str,
        /// The stride given.
        stride: usize,
        /// The smallest valid stride.
        min: usize,
    },
    /// A buffer is too short for the size and stride it was described with.
    #[error("{plane} plane buffer has {len} bytes, needs at least {needed}")]
    BufferTooShort {
        /// Which plane.
        plane: &'static str,
        /// Bytes given.
        len: usize,
        /// Bytes needed.
        needed: usize,
    },
    /// Size arithmetic overflowed `usize`.
    #[error("frame size {width}x{height} with stride {stride} overflows the address space")]
    SizeOverflow {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
        /// Row stride in bytes.
        stride: usize,
    },
    /// The frame is larger than the configured limit.
    #[error("frame {width}x{height} is larger than the limit of {max_pixels} pixels")]
    FrameTooLarge {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
        /// The limit.
        max_pixels: u64,
    },
    /// An array handed over has a shape the frame adapters cannot take.
    #[error("array shape {shape:?} is not H x W (gray) or H x W x 1/3/4 (gray, RGB, RGBA)")]
    UnsupportedShape {
        /// The shape.
        shape: Vec<usize>,
    },
    /// The operation does not support this pixel format.
    #[error("pixel format {format:?} is not supported here: {what}")]
    UnsupportedFormat {
        /// The format.
        format: PixelFormat,
        /// What was attempted.
        what: &'static str,
    },
    /// A configuration value is out of range or inconsistent.
    #[error("invalid config field `{field}`: {reason}")]
    Config {
        /// Dotted path of the field, e.g. `ppi.min`.
        field: &'static str,
        /// What is wrong with it, with the value.
        reason: String,
    },
    /// A configuration file could not be parsed.
    #[error("config could not be parsed: {0}")]
    ConfigParse(String),
    /// An image file could not be decoded.
    #[error("image could not be decoded: {0}")]
    Decode(String),
    /// A frame timestamp is NaN or infinite.
    #[error("frame timestamp {0} is not a finite number of seconds")]
    InvalidTimestamp(f64),
    /// An I/O error, with the path when there is one.
    #[error("{path}: {source}")]
    Io {
        /// The path involved, or empty.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A pixel-format number (from the C ABI or a raw file header) names no [`PixelFormat`].
    #[error(
        "unknown pixel format value {value}: expected 0..=6 (gray8, rgb8, rgba8, bgra8, nv21, nv12, i420)"
    )]
    UnknownPixelFormat {
        /// The value given.
        value: u32,
    },
    /// A required pointer argument of the C ABI is NULL.
    #[error("argument `{argument}` is NULL")]
    NullPointer {
        /// The argument's name as in the C header, e.g. `frame->planes[0]`.
        argument: &'static str,
    },
    /// An argument of the C ABI is out of its domain (e.g. an unknown language value).
    #[error("argument `{argument}` is invalid: {reason}")]
    InvalidArgument {
        /// The argument's name as in the C header.
        argument: &'static str,
        /// What is wrong with it, with the value.
        reason: String,
    },
    /// An index past the end of a list (reasons, fingers) of a report.
    #[error("{what} index {index} is out of range: the report has {len}")]
    IndexOutOfRange {
        /// Which list.
        what: &'static str,
        /// The index given.
        index: usize,
        /// The list's length.
        len: usize,
    },
    /// A caller's output buffer cannot hold the text and its terminating NUL.
    #[error(
        "output buffer of {len} bytes is too small: the text needs {needed} bytes with its NUL"
    )]
    OutputTooSmall {
        /// Bytes given.
        len: usize,
        /// Bytes needed, the terminating NUL included.
        needed: usize,
    },
    /// A panic inside the library, caught at the C ABI boundary (a bug: please report it).
    #[error("internal panic: {message}")]
    Panic {
        /// The panic's message.
        message: String,
    },
}

/// Result with the crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
