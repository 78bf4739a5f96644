//! Following frames over time: steady guidance, hold still, auto-capture of the best frame.

use crate::analyzer::Analyzer;

/// Follows a stream of frames (to be completed by the session work).
#[derive(Debug)]
pub struct Session {
    /// The analyzer scoring each frame.
    pub analyzer: Analyzer,
}
