//! Reading image files into frames, with limits enforced before anything large is allocated.

use crate::config::Limits;
use crate::error::{Error, Result};
use crate::frame::{FrameView, PixelFormat};

/// A decoded image that owns its pixels (8-bit gray or RGB), to be viewed as a frame.
#[derive(Clone, Debug)]
pub struct OwnedFrame {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// `Gray8` or `Rgb8`.
    pub format: PixelFormat,
    /// Tightly packed pixels.
    pub data: Vec<u8>,
}

impl OwnedFrame {
    /// A zero-copy view of the pixels.
    pub fn view(&self) -> Result<FrameView<'_>> {
        FrameView::from_bytes(&self.data, self.width, self.height, self.format)
    }
}

/// Decodes PNG or JPEG bytes (format guessed from the content) within `limits`.
pub fn decode_image(bytes: &[u8], limits: &Limits) -> Result<OwnedFrame> {
    let mut reader = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| Error::Decode(e.to_string()))?;
    let mut l = image::Limits::default();
    l.max_image_width = Some(limits.max_image_side);
    l.max_image_height = Some(limits.max_image_side);
    l.max_alloc = Some(limits.max_decode_bytes);
    reader.limits(l);
    let img = reader.decode().map_err(|e| Error::Decode(e.to_string()))?;
    let (width, height) = (img.width(), img.height());
    if width == 0 || height == 0 {
        return Err(Error::EmptyFrame { width, height });
    }
    let (format, data) = match img {
        image::DynamicImage::ImageLuma8(g) => (PixelFormat::Gray8, g.into_raw()),
        image::DynamicImage::ImageLumaA8(_)
        | image::DynamicImage::ImageLuma16(_)
        | image::DynamicImage::ImageLumaA16(_) => (PixelFormat::Gray8, img.to_luma8().into_raw()),
        other => (PixelFormat::Rgb8, other.to_rgb8().into_raw()),
    };
    Ok(OwnedFrame {
        width,
        height,
        format,
        data,
    })
}

/// Reads and decodes an image file within `limits`.
pub fn load_image(path: &std::path::Path, limits: &Limits) -> Result<OwnedFrame> {
    let bytes = std::fs::read(path).map_err(|e| Error::Io {
        path: path.display().to_string(),
        source: e,
    })?;
    decode_image(&bytes, limits)
}
