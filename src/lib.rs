#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![forbid(unsafe_op_in_unsafe_fn)]

pub mod analyzer;
#[cfg(feature = "capi")]
pub mod capi;
pub mod config;
pub mod distance;
pub mod error;
pub mod eval;
pub mod exposure;
pub mod fingers;
pub mod focus;
pub mod frame;
pub mod io;
pub mod kernels;
pub mod report;
pub mod ridge;
pub mod segment;
pub mod session;
pub mod synth;

pub use analyzer::Analyzer;
pub use config::{Config, Hand};
pub use error::{Error, Result};
pub use frame::{FrameView, PixelFormat, Rect};
pub use report::{FingerName, FingerReport, Language, Reason, ReasonCode, Report, Verdict};
pub use session::{Capture, FingerCrop, Guidance, Session, SessionConfig};
