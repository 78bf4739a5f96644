//! Where frames come from: a camera (nokhwa), a folder of images, or a generated sequence.

use std::path::{Path, PathBuf};
use std::time::Instant;

/// One frame: when it was taken, its RGB pixels, and the ground truth when there is one.
pub struct Frame {
    pub t: f64,
    pub width: u32,
    pub height: u32,
    pub rgb: Vec<u8>,
    pub label: Option<serde_json::Value>,
}

pub enum Source {
    Camera {
        camera: Box<nokhwa::Camera>,
        start: Instant,
    },
    Folder {
        files: Vec<(PathBuf, f64, Option<serde_json::Value>)>,
        next: usize,
    },
    Synth {
        specs: Vec<(f64, fingerqc::synth::SceneSpec)>,
        next: usize,
    },
}

/// Lists the cameras the native backend sees.
pub fn list_cameras() -> Result<Vec<String>, String> {
    let cams = nokhwa::query(nokhwa::utils::ApiBackend::Auto)
        .map_err(|e| format!("cannot list cameras: {e}"))?;
    Ok(cams
        .iter()
        .map(|c| format!("{}: {} ({})", c.index(), c.human_name(), c.description()))
        .collect())
}

/// Opens camera `index` at its highest resolution (the ppi the fingers can reach grows with it).
pub fn open_camera(index: u32) -> Result<Source, String> {
    use nokhwa::pixel_format::RgbFormat;
    use nokhwa::utils::{CameraIndex, RequestedFormat, RequestedFormatType};
    let requested =
        RequestedFormat::new::<RgbFormat>(RequestedFormatType::AbsoluteHighestResolution);
    let mut camera = nokhwa::Camera::new(CameraIndex::Index(index), requested)
        .map_err(|e| format!("cannot open camera {index}: {e}"))?;
    camera
        .open_stream()
        .map_err(|e| format!("cannot start camera {index}: {e}"))?;
    Ok(Source::Camera {
        camera: Box::new(camera),
        start: Instant::now(),
    })
}

fn is_image(p: &Path) -> bool {
    matches!(
        p.extension()
            .and_then(|e| e.to_str())
            .map(|e| e.to_ascii_lowercase())
            .as_deref(),
        Some("png" | "jpg" | "jpeg")
    )
}

fn time_of(v: &serde_json::Value) -> Option<f64> {
    ["t", "timestamp_s", "time_s", "timestamp"]
        .iter()
        .find_map(|k| v.get(*k).and_then(|x| x.as_f64()))
}

fn file_of(v: &serde_json::Value) -> Option<String> {
    ["file", "image", "path", "frame"]
        .iter()
        .find_map(|k| v.get(*k).and_then(|x| x.as_str()))
        .and_then(|s| Path::new(s).file_name())
        .map(|s| s.to_string_lossy().into_owned())
}

/// A folder of PNG/JPEG frames in name order, paced at `fps` unless `labels.jsonl` beside them
/// gives timestamps (keys `t`/`timestamp_s`) and the file each line describes (`file`/`image`);
/// without a file key, line i describes the i-th image; a line's `labels` object, when there is
/// one, is the frame's truth, else the whole line. A single image file plays once.
pub fn open_folder(path: &Path, fps: f64) -> Result<Source, String> {
    let mut files: Vec<PathBuf> = if path.is_file() {
        vec![path.to_path_buf()]
    } else {
        let rd = std::fs::read_dir(path).map_err(|e| format!("{}: {e}", path.display()))?;
        rd.filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| is_image(p))
            .collect()
    };
    files.sort();
    if files.is_empty() {
        return Err(format!("{}: no PNG or JPEG images", path.display()));
    }
    let mut labels: Vec<serde_json::Value> = Vec::new();
    let lpath = path.join("labels.jsonl");
    if let Ok(text) = std::fs::read_to_string(&lpath) {
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let v: serde_json::Value = serde_json::from_str(line)
                .map_err(|e| format!("{}:{}: {e}", lpath.display(), n + 1))?;
            labels.push(v);
        }
    }
    let by_name = labels.iter().any(|v| file_of(v).is_some());
    let out = files
        .into_iter()
        .enumerate()
        .map(|(i, f)| {
            let name = f.file_name().map(|s| s.to_string_lossy().into_owned());
            let label = if by_name {
                labels
                    .iter()
                    .find(|v| file_of(v).is_some() && file_of(v) == name)
                    .cloned()
            } else {
                labels.get(i).cloned()
            };
            let t = label.as_ref().and_then(time_of).unwrap_or(i as f64 / fps);
            // Lines written by --write-sequence nest the generator's labels under "labels".
            let label = label.map(|v| match v.get("labels") {
                Some(inner) if inner.is_object() => inner.clone(),
                _ => v,
            });
            (f, t, label)
        })
        .collect();
    Ok(Source::Folder {
        files: out,
        next: 0,
    })
}

/// A generated capture sequence (approach, shake, hold still and focus), rendered frame by frame.
pub fn open_synth(seed: u64, width: u32, height: u32, fps: f32) -> Result<Source, String> {
    let spec = fingerqc::synth::SequenceSpec {
        fps,
        ..fingerqc::synth::SequenceSpec::new(seed, width, height)
    };
    Ok(Source::Synth {
        specs: fingerqc::synth::sequence_specs(&spec),
        next: 0,
    })
}

impl Source {
    /// The next frame, `None` at the end of a replay.
    pub fn next_frame(&mut self) -> Option<Result<Frame, String>> {
        match self {
            Source::Camera { camera, start } => {
                let buf = match camera.frame() {
                    Ok(b) => b,
                    Err(e) => return Some(Err(format!("camera frame: {e}"))),
                };
                let t = start.elapsed().as_secs_f64();
                let img = match buf.decode_image::<nokhwa::pixel_format::RgbFormat>() {
                    Ok(i) => i,
                    Err(e) => return Some(Err(format!("camera frame decode: {e}"))),
                };
                let (width, height) = img.dimensions();
                Some(Ok(Frame {
                    t,
                    width,
                    height,
                    rgb: img.into_raw(),
                    label: None,
                }))
            }
            Source::Folder { files, next } => {
                let (path, t, label) = files.get(*next)?.clone();
                *next += 1;
                let limits = fingerqc::config::Limits::default();
                Some(
                    fingerqc::io::load_image(&path, &limits)
                        .map_err(|e| e.to_string())
                        .map(|f| {
                            let rgb = match f.format {
                                fingerqc::PixelFormat::Gray8 => {
                                    f.data.iter().flat_map(|&v| [v, v, v]).collect()
                                }
                                _ => f.data,
                            };
                            Frame {
                                t,
                                width: f.width,
                                height: f.height,
                                rgb,
                                label,
                            }
                        }),
                )
            }
            Source::Synth { specs, next } => {
                let (t, spec) = specs.get(*next)?;
                *next += 1;
                let scene = fingerqc::synth::render(spec);
                let (width, height) = scene.image.dimensions();
                Some(Ok(Frame {
                    t: *t,
                    width,
                    height,
                    rgb: scene.image.into_raw(),
                    label: serde_json::to_value(&scene.labels).ok(),
                }))
            }
        }
    }

    /// Whether frames come from a replay (paced by the example) rather than a live camera.
    pub fn is_replay(&self) -> bool {
        !matches!(self, Source::Camera { .. })
    }

    /// Starts a replay over from its first frame.
    pub fn rewind(&mut self) {
        match self {
            Source::Folder { next, .. } | Source::Synth { next, .. } => *next = 0,
            Source::Camera { .. } => {}
        }
    }
}
