//! Drawing the preview: the frame scaled into a 0RGB window buffer, boxes, bars and text.

use ab_glyph::{Font, FontRef, PxScale, ScaleFont};

/// The window's pixels (0x00RRGGBB, as minifb takes them).
pub struct Canvas {
    pub width: usize,
    pub height: usize,
    pub pixels: Vec<u32>,
}

pub fn rgb(r: u8, g: u8, b: u8) -> u32 {
    (r as u32) << 16 | (g as u32) << 8 | b as u32
}

fn blend(dst: u32, src: u32, a: f32) -> u32 {
    let mix = |shift: u32| {
        let d = ((dst >> shift) & 0xFF) as f32;
        let s = ((src >> shift) & 0xFF) as f32;
        ((d + (s - d) * a).round().clamp(0.0, 255.0) as u32) << shift
    };
    mix(16) | mix(8) | mix(0)
}

impl Canvas {
    pub fn new(width: usize, height: usize) -> Self {
        Canvas {
            width,
            height,
            pixels: vec![0; width * height],
        }
    }

    /// Draws an RGB frame scaled to fill the canvas (box filter when shrinking by 2 or more,
    /// nearest otherwise: cheap and sharp enough for a preview).
    pub fn draw_frame(&mut self, rgb8: &[u8], fw: usize, fh: usize) {
        if fw == 0 || fh == 0 || rgb8.len() < fw * fh * 3 {
            return;
        }
        let sx = fw as f32 / self.width as f32;
        let sy = fh as f32 / self.height as f32;
        let step = (sx.min(sy).floor() as usize).clamp(1, 4);
        for y in 0..self.height {
            let y0 = ((y as f32 * sy) as usize).min(fh - step);
            let row = &mut self.pixels[y * self.width..(y + 1) * self.width];
            for (x, px) in row.iter_mut().enumerate() {
                let x0 = ((x as f32 * sx) as usize).min(fw - step);
                let (mut r, mut g, mut b) = (0u32, 0u32, 0u32);
                for yy in y0..y0 + step {
                    let base = (yy * fw + x0) * 3;
                    for p in rgb8[base..base + step * 3].chunks_exact(3) {
                        r += p[0] as u32;
                        g += p[1] as u32;
                        b += p[2] as u32;
                    }
                }
                let n = (step * step) as u32;
                *px = (r / n) << 16 | (g / n) << 8 | (b / n);
            }
        }
    }

    /// Blends `color` over a rectangle (clipped to the canvas).
    pub fn fill(&mut self, x: i32, y: i32, w: i32, h: i32, color: u32, alpha: f32) {
        let x0 = x.max(0) as usize;
        let y0 = y.max(0) as usize;
        let x1 = (x + w).clamp(0, self.width as i32) as usize;
        let y1 = (y + h).clamp(0, self.height as i32) as usize;
        for yy in y0..y1 {
            for px in &mut self.pixels[yy * self.width + x0..yy * self.width + x1] {
                *px = if alpha >= 1.0 {
                    color
                } else {
                    blend(*px, color, alpha)
                };
            }
        }
    }

    /// An outlined rectangle `t` pixels thick.
    pub fn frame_rect(&mut self, x: i32, y: i32, w: i32, h: i32, t: i32, color: u32) {
        self.fill(x, y, w, t, color, 1.0);
        self.fill(x, y + h - t, w, t, color, 1.0);
        self.fill(x, y, t, h, color, 1.0);
        self.fill(x + w - t, y, t, h, color, 1.0);
    }

    /// Pastes a `size.0` x `size.1` gray image at `at`, scaled (nearest) to `to`.
    pub fn paste_gray(
        &mut self,
        gray: &[u8],
        size: (usize, usize),
        at: (i32, i32),
        to: (usize, usize),
    ) {
        let ((gw, gh), (x, y), (w, h)) = (size, at, to);
        if gw == 0 || gh == 0 || gray.len() < gw * gh {
            return;
        }
        for oy in 0..h {
            let cy = y + oy as i32;
            if cy < 0 || cy >= self.height as i32 {
                continue;
            }
            let sy = (oy * gh / h).min(gh - 1);
            for ox in 0..w {
                let cx = x + ox as i32;
                if cx < 0 || cx >= self.width as i32 {
                    continue;
                }
                let sx = (ox * gw / w).min(gw - 1);
                let v = gray[sy * gw + sx];
                self.pixels[cy as usize * self.width + cx as usize] = rgb(v, v, v);
            }
        }
    }
}

/// Text drawn with ab_glyph from the font shipped in `assets/fonts`.
pub struct Text {
    font: FontRef<'static>,
}

static FONT_BYTES: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

impl Text {
    pub fn new() -> Result<Self, String> {
        let font = FontRef::try_from_slice(FONT_BYTES).map_err(|e| format!("font: {e}"))?;
        Ok(Text { font })
    }

    /// Width in pixels of `s` (already in visual order) at `size` pixels.
    pub fn width(&self, s: &str, size: f32) -> f32 {
        let scaled = self.font.as_scaled(PxScale::from(size));
        let mut w = 0.0;
        let mut prev = None;
        for c in s.chars() {
            let id = scaled.glyph_id(c);
            if let Some(p) = prev {
                w += scaled.kern(p, id);
            }
            w += scaled.h_advance(id);
            prev = Some(id);
        }
        w
    }

    /// Draws `s` (visual order) with its top-left corner at (x, y); returns the width.
    pub fn draw(&self, canvas: &mut Canvas, s: &str, x: f32, y: f32, size: f32, color: u32) -> f32 {
        let scale = PxScale::from(size);
        let scaled = self.font.as_scaled(scale);
        let baseline = y + scaled.ascent();
        let mut pen = x;
        let mut prev = None;
        for c in s.chars() {
            let id = scaled.glyph_id(c);
            if let Some(p) = prev {
                pen += scaled.kern(p, id);
            }
            let glyph = id.with_scale_and_position(scale, ab_glyph::point(pen, baseline));
            pen += scaled.h_advance(id);
            prev = Some(id);
            let Some(outline) = self.font.outline_glyph(glyph) else {
                continue;
            };
            let b = outline.px_bounds();
            let (w, h) = (canvas.width as i32, canvas.height as i32);
            outline.draw(|gx, gy, cov| {
                let px = b.min.x as i32 + gx as i32;
                let py = b.min.y as i32 + gy as i32;
                if px >= 0 && py >= 0 && px < w && py < h && cov > 0.0 {
                    let i = py as usize * canvas.width + px as usize;
                    canvas.pixels[i] = blend(canvas.pixels[i], color, cov.min(1.0));
                }
            });
        }
        pen - x
    }

    /// Breaks `s` (logical order) into lines no wider than `max_w` at `size`.
    pub fn wrap(
        &self,
        s: &str,
        size: f32,
        max_w: f32,
        shape: impl Fn(&str) -> String,
    ) -> Vec<String> {
        let mut lines = Vec::new();
        let mut line = String::new();
        for word in s.split(' ') {
            let candidate = if line.is_empty() {
                word.to_string()
            } else {
                format!("{line} {word}")
            };
            if !line.is_empty() && self.width(&shape(&candidate), size) > max_w {
                lines.push(std::mem::take(&mut line));
                line = word.to_string();
            } else {
                line = candidate;
            }
        }
        if !line.is_empty() {
            lines.push(line);
        }
        lines
    }
}
