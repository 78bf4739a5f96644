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

/// Decodes PNG or JPEG bytes (format guessed from the content) within `limits`, turned upright
/// by the EXIF orientation a phone camera writes (fingers up in the file mean fingers up here).
///
/// The header's width and height are checked against `limits.max_image_side` and
/// `limits.max_frame_pixels` (as [`Error::FrameTooLarge`]), and the pixel buffer against
/// `limits.max_decode_bytes`, before pixels are allocated, so a hostile header (a PNG claiming
/// 100000x100000) is an error, not an allocation.
pub fn decode_image(bytes: &[u8], limits: &Limits) -> Result<OwnedFrame> {
    use image::ImageDecoder;
    let mut reader = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| Error::Decode(e.to_string()))?;
    let mut l = image::Limits::default();
    l.max_image_width = Some(limits.max_image_side);
    l.max_image_height = Some(limits.max_image_side);
    l.max_alloc = Some(limits.max_decode_bytes);
    reader.limits(l);
    let mut decoder = reader
        .into_decoder()
        .map_err(|e| Error::Decode(e.to_string()))?;
    // A missing or unreadable orientation tag means "as stored".
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    // `from_decoder` allocates the whole pixel buffer without the `max_alloc` check that
    // `ImageReader::decode` makes, so the budget is enforced here, before that allocation (a
    // 16384 x 16384 RGBA header within the side limit would otherwise take 1 GiB at once).
    // A frame the analyzer would refuse (`limits.max_frame_pixels`) is not worth decoding:
    // a few hundred bytes of JPEG claiming 13000 x 13000 otherwise cost 480 MB and seconds.
    let (w, h) = decoder.dimensions();
    if w as u64 * h as u64 > limits.max_frame_pixels {
        return Err(Error::FrameTooLarge {
            width: w,
            height: h,
            max_pixels: limits.max_frame_pixels,
        });
    }
    let total = decoder.total_bytes();
    if total > limits.max_decode_bytes {
        return Err(Error::Decode(format!(
            "image of {w} x {h} needs {total} bytes, more than the limit of {} bytes",
            limits.max_decode_bytes
        )));
    }
    let mut img =
        image::DynamicImage::from_decoder(decoder).map_err(|e| Error::Decode(e.to_string()))?;
    img.apply_orientation(orientation);
    let (width, height) = (img.width(), img.height());
    if width == 0 || height == 0 {
        return Err(Error::EmptyFrame { width, height });
    }
    let (format, data) = match img {
        image::DynamicImage::ImageLuma8(g) => (PixelFormat::Gray8, g.into_raw()),
        image::DynamicImage::ImageLumaA8(_)
        | image::DynamicImage::ImageLuma16(_)
        | image::DynamicImage::ImageLumaA16(_) => (PixelFormat::Gray8, img.to_luma8().into_raw()),
        image::DynamicImage::ImageRgb8(c) => (PixelFormat::Rgb8, c.into_raw()),
        other => (PixelFormat::Rgb8, other.to_rgb8().into_raw()),
    };
    Ok(OwnedFrame {
        width,
        height,
        format,
        data,
    })
}

/// Reads and decodes an image file within `limits`. A file larger than
/// `limits.max_decode_bytes` is refused before it is read (no PNG or JPEG that decodes within
/// the limit is that large).
pub fn load_image(path: &std::path::Path, limits: &Limits) -> Result<OwnedFrame> {
    use std::io::Read;
    let io_err = |e| Error::Io {
        path: path.display().to_string(),
        source: e,
    };
    let file = std::fs::File::open(path).map_err(io_err)?;
    let len = file.metadata().map_err(io_err)?.len();
    if len > limits.max_decode_bytes {
        return Err(Error::Decode(format!(
            "file of {len} bytes is larger than the limit of {} bytes",
            limits.max_decode_bytes
        )));
    }
    let mut bytes = Vec::with_capacity(len as usize);
    // `take` bounds the read even if the file grows after the size check.
    file.take(limits.max_decode_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io_err)?;
    if bytes.len() as u64 > limits.max_decode_bytes {
        return Err(Error::Decode(format!(
            "file grew beyond the limit of {} bytes while read",
            limits.max_decode_bytes
        )));
    }
    decode_image(&bytes, limits)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(img: &image::DynamicImage) -> Vec<u8> {
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    }

    #[test]
    fn decodes_gray_rgb_and_rgba_png() {
        let limits = Limits::default();
        let g = image::GrayImage::from_fn(5, 3, |x, y| image::Luma([(x * 10 + y) as u8]));
        let f = decode_image(&png(&g.clone().into()), &limits).unwrap();
        assert_eq!((f.width, f.height, f.format), (5, 3, PixelFormat::Gray8));
        assert_eq!(f.data, g.into_raw());
        let c = image::RgbaImage::from_pixel(4, 2, image::Rgba([10, 20, 30, 40]));
        let f = decode_image(&png(&c.into()), &limits).unwrap();
        assert_eq!(
            (f.format, &f.data[..3]),
            (PixelFormat::Rgb8, &[10u8, 20, 30][..])
        );
        assert!(f.view().is_ok());
    }

    #[test]
    fn side_limit_is_enforced() {
        let limits = Limits {
            max_image_side: 8,
            ..Limits::default()
        };
        let g = image::GrayImage::new(9, 2);
        assert!(matches!(
            decode_image(&png(&g.into()), &limits),
            Err(Error::Decode(_))
        ));
    }

    #[test]
    fn garbage_is_an_error() {
        let limits = Limits::default();
        assert!(decode_image(b"", &limits).is_err());
        assert!(decode_image(b"not an image at all", &limits).is_err());
        let mut truncated = png(&image::GrayImage::new(64, 64).into());
        truncated.truncate(truncated.len() / 2);
        assert!(decode_image(&truncated, &limits).is_err());
    }
}
