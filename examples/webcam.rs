//! Live capture with fingerqc: a camera (or a replay) feeds a [`fingerqc::Session`]; a window
//! shows the preview with the finger boxes, each finger's quality, the estimated ppi and the one
//! instruction to follow; the auto-capture saves the frame, the 500 ppi finger crops and the
//! report. `--headless` prints one JSON line per frame instead.
//!
//! Build: `scripts/install-webcam-deps.sh`, then
//! `cargo run --release --features webcam --example webcam -- --help`.

#[path = "webcam/arabic.rs"]
mod arabic;
#[path = "webcam/overlay.rs"]
mod overlay;
#[path = "webcam/source.rs"]
mod source;

use fingerqc::session::{Capture, Guidance, SessionConfig};
use fingerqc::{Config, FrameView, Language, PixelFormat, Session};
use overlay::{Canvas, Text, rgb};
use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

const USAGE: &str = "\
webcam: live four-finger capture guidance with fingerqc

USAGE: webcam [OPTIONS]

Sources (default: camera 0):
  --camera N            capture from camera N
  --list                list cameras and exit
  --replay PATH         play a folder of PNG/JPEG frames in name order (labels.jsonl beside
                        them, as written by --write-sequence, gives timestamps and truth)
  --synth-sequence SEED play a generated sequence (approach, shake, hold still, focus)
  --size WxH            size of the generated frames (default 1920x1080)
  --fps F               replay rate when frames carry no timestamps (default 20); for
                        --synth-sequence, the sequence's frame rate (default 30)
  --loop                start a replay over when it ends (window only)
  --frames N            stop after N frames (a window stays open on the last one)

Output:
  --headless            no window: one JSON line per frame on stdout
  --out DIR             save each capture (frame, finger crops as PNG, report JSON) in DIR
  --write-sequence DIR  write the --synth-sequence frames and labels.jsonl to DIR and exit
  --lang en|ar          language of the instruction (default en)
  --config FILE         analyzer config (TOML or JSON)
  --session-config FILE session config (TOML or JSON)
  --mirrored            the frames are mirrored (front camera preview)
  -h, --help            this text

Keys in the window: Esc or Q quits, Space restarts the session.
";

#[derive(Default)]
struct Args {
    camera: u32,
    list: bool,
    replay: Option<PathBuf>,
    synth: Option<u64>,
    size: (u32, u32),
    fps: f64,
    fps_given: bool,
    looping: bool,
    frames: Option<u64>,
    headless: bool,
    out: Option<PathBuf>,
    write_sequence: Option<PathBuf>,
    lang: Language,
    config: Option<PathBuf>,
    session_config: Option<PathBuf>,
    mirrored: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        size: (1920, 1080),
        fps: 20.0,
        ..Args::default()
    };
    let mut it = std::env::args().skip(1);
    let value = |name: &str, it: &mut dyn Iterator<Item = String>| {
        it.next().ok_or_else(|| format!("{name} needs a value"))
    };
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "-h" | "--help" => {
                print!("{USAGE}");
                std::process::exit(0);
            }
            "--camera" => {
                a.camera = value(&arg, &mut it)?
                    .parse()
                    .map_err(|_| "--camera takes a number")?
            }
            "--list" => a.list = true,
            "--replay" => a.replay = Some(value(&arg, &mut it)?.into()),
            "--synth-sequence" => {
                a.synth = Some(
                    value(&arg, &mut it)?
                        .parse()
                        .map_err(|_| "--synth-sequence takes a seed (a number)")?,
                )
            }
            "--size" => {
                let v = value(&arg, &mut it)?;
                let (w, h) = v
                    .split_once('x')
                    .and_then(|(w, h)| Some((w.parse().ok()?, h.parse().ok()?)))
                    .ok_or("--size takes WxH, e.g. 1920x1080")?;
                if w < 64 || h < 64 || w > 8192 || h > 8192 {
                    return Err("--size must be between 64x64 and 8192x8192".into());
                }
                a.size = (w, h);
            }
            "--fps" => {
                a.fps = value(&arg, &mut it)?
                    .parse()
                    .map_err(|_| "--fps takes a number")?;
                if !(a.fps > 0.0 && a.fps <= 240.0) {
                    return Err("--fps must be in (0, 240]".into());
                }
                a.fps_given = true;
            }
            "--loop" => a.looping = true,
            "--frames" => {
                a.frames = Some(
                    value(&arg, &mut it)?
                        .parse()
                        .map_err(|_| "--frames takes a number")?,
                )
            }
            "--headless" => a.headless = true,
            "--out" => a.out = Some(value(&arg, &mut it)?.into()),
            "--write-sequence" => a.write_sequence = Some(value(&arg, &mut it)?.into()),
            "--lang" => {
                a.lang = match value(&arg, &mut it)?.as_str() {
                    "en" => Language::English,
                    "ar" => Language::Arabic,
                    other => return Err(format!("--lang takes en or ar, not {other}")),
                }
            }
            "--config" => a.config = Some(value(&arg, &mut it)?.into()),
            "--session-config" => a.session_config = Some(value(&arg, &mut it)?.into()),
            "--mirrored" => a.mirrored = true,
            other => return Err(format!("unknown argument {other} (see --help)")),
        }
    }
    if a.replay.is_some() && a.synth.is_some() {
        return Err("--replay and --synth-sequence are exclusive".into());
    }
    if a.write_sequence.is_some() && a.synth.is_none() {
        return Err("--write-sequence needs --synth-sequence SEED".into());
    }
    Ok(a)
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("webcam: {e}");
            std::process::exit(2);
        }
    };
    if let Err(e) = run(args) {
        eprintln!("webcam: {e}");
        std::process::exit(1);
    }
}

fn run(args: Args) -> Result<(), String> {
    if args.list {
        let cams = source::list_cameras()?;
        if cams.is_empty() {
            return Err("no camera found".into());
        }
        for c in cams {
            println!("{c}");
        }
        return Ok(());
    }
    let mut config = match &args.config {
        Some(p) => Config::from_file(p).map_err(|e| e.to_string())?,
        None => Config::default(),
    };
    config.mirrored |= args.mirrored;
    let session_config = match &args.session_config {
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
            if p.extension().is_some_and(|e| e == "json") {
                SessionConfig::from_json_str(&text)
            } else {
                SessionConfig::from_toml_str(&text)
            }
            .map_err(|e| e.to_string())?
        }
        None => SessionConfig::default(),
    };
    let mut src = if let Some(path) = &args.replay {
        source::open_folder(path, args.fps)?
    } else if let Some(seed) = args.synth {
        let fps = if args.fps_given {
            args.fps as f32
        } else {
            30.0
        };
        source::open_synth(seed, args.size.0, args.size.1, fps)?
    } else {
        source::open_camera(args.camera)?
    };
    if let Some(dir) = &args.write_sequence {
        return write_sequence(&mut src, dir);
    }
    let mut session = Session::new(config, session_config).map_err(|e| e.to_string())?;
    if args.headless {
        headless(&mut src, &mut session, &args)
    } else {
        windowed(&mut src, &mut session, &args)
    }
}

/// Writes a generated sequence as PNG frames plus `labels.jsonl` (file, t, labels per line).
fn write_sequence(src: &mut source::Source, dir: &std::path::Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let lpath = dir.join("labels.jsonl");
    let mut labels =
        std::fs::File::create(&lpath).map_err(|e| format!("{}: {e}", lpath.display()))?;
    let mut n = 0;
    while let Some(frame) = src.next_frame() {
        let f = frame?;
        let name = format!("frame_{n:04}.png");
        let img = image::RgbImage::from_raw(f.width, f.height, f.rgb).ok_or("frame size")?;
        img.save(dir.join(&name))
            .map_err(|e| format!("{name}: {e}"))?;
        let line = serde_json::json!({"file": name, "t": f.t, "labels": f.label});
        writeln!(labels, "{line}").map_err(|e| e.to_string())?;
        n += 1;
    }
    eprintln!(
        "webcam: wrote {n} frames and labels.jsonl to {}",
        dir.display()
    );
    Ok(())
}

fn analyze<'a>(session: &'a mut Session, frame: &source::Frame) -> Result<&'a Guidance, String> {
    let view = FrameView::new_packed(
        &frame.rgb,
        frame.width,
        frame.height,
        frame.width as usize * 3,
        PixelFormat::Rgb8,
    )
    .map_err(|e| e.to_string())?;
    session.feed(&view, frame.t).map_err(|e| e.to_string())
}

/// Saves a capture under `out/capture_NNN/`; returns the folder.
fn save_capture(out: &std::path::Path, n: u32, cap: &Capture) -> Result<PathBuf, String> {
    let dir = out.join(format!("capture_{n:03}"));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    if let Some(img) = cap.image.to_gray_image() {
        img.save(dir.join("frame.png")).map_err(|e| e.to_string())?;
    }
    let mut crops = Vec::new();
    for (i, c) in cap.fingers.iter().enumerate() {
        let name = format!(
            "finger_{i}_{}.png",
            serde_json::to_value(c.name)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default()
        );
        if let Some(img) = c.image.to_gray_image() {
            img.save(dir.join(&name)).map_err(|e| e.to_string())?;
        }
        crops.push(serde_json::json!({
            "file": name, "name": c.name, "quality": c.quality, "ppi": c.ppi,
            "source_ppi": c.source_ppi, "scale": c.scale, "angle_deg": c.angle_deg,
            "width": c.image.width, "height": c.image.height,
        }));
    }
    let doc = serde_json::json!({
        "timestamp_s": cap.timestamp_s,
        "report": cap.report,
        "fingers": crops,
    });
    let text = serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("report.json"), text).map_err(|e| e.to_string())?;
    Ok(dir)
}

fn headless(src: &mut source::Source, session: &mut Session, args: &Args) -> Result<(), String> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut n = 0u64;
    let mut captures = 0u32;
    while let Some(frame) = src.next_frame() {
        if args.frames.is_some_and(|max| n >= max) {
            break;
        }
        let frame = frame?;
        let expected = session.config().clone();
        let g = analyze(session, &frame)?;
        let mut line = serde_json::json!({
            "t": g.timestamp_s,
            "code": g.code_str(),
            "message": g.message(args.lang, &expected),
            "active": g.active,
            "ready": g.ready,
            "moving": g.moving,
            "motion_mm_s": g.motion_mm_s,
            "progress": g.progress,
            "captured": g.captured,
            "finger_count": g.report.finger_count,
            "estimated_ppi": g.report.estimated_ppi,
            "verdict": g.report.verdict,
            "reasons": g.report.reasons.iter().map(|r| r.code).collect::<Vec<_>>(),
            "elapsed_ms": g.report.elapsed_us as f64 / 1000.0,
        });
        if g.captured {
            if let Some(cap) = session.take_capture() {
                captures += 1;
                line["capture"] = serde_json::json!({
                    "timestamp_s": cap.timestamp_s,
                    "crops": cap.fingers.len(),
                    "crop_ppi": cap.fingers.first().map(|c| c.ppi),
                    "scale": cap.fingers.first().map(|c| c.scale),
                });
                if let Some(dir) = &args.out {
                    let d = save_capture(dir, captures, &cap)?;
                    line["capture"]["dir"] = serde_json::json!(d.display().to_string());
                }
            }
        }
        if let Some(l) = frame.label {
            line["label"] = l;
        }
        writeln!(out, "{line}").map_err(|e| format!("stdout: {e}"))?;
        n += 1;
    }
    if n == 0 {
        return Err("no frames".into());
    }
    Ok(())
}

/// Largest preview window.
const MAX_W: usize = 1280;
const MAX_H: usize = 800;

fn quality_color(q: u8) -> u32 {
    if q >= 60 {
        rgb(60, 220, 90)
    } else if q >= 35 {
        rgb(250, 190, 40)
    } else {
        rgb(240, 70, 60)
    }
}

struct Shown {
    crops: Vec<(Vec<u8>, usize, usize)>,
    until: Instant,
    dir: Option<PathBuf>,
}

fn windowed(src: &mut source::Source, session: &mut Session, args: &Args) -> Result<(), String> {
    let text = Text::new()?;
    let first = match src.next_frame() {
        Some(f) => f?,
        None => return Err("no frames".into()),
    };
    let (fw, fh) = (first.width as usize, first.height as usize);
    let scale = (MAX_W as f32 / fw as f32)
        .min(MAX_H as f32 / fh as f32)
        .min(1.0);
    let (ww, wh) = (
        ((fw as f32 * scale).round() as usize).max(320),
        ((fh as f32 * scale).round() as usize).max(240),
    );
    let mut window = minifb::Window::new(
        "fingerqc — live capture",
        ww,
        wh,
        minifb::WindowOptions::default(),
    )
    .map_err(|e| format!("cannot open a window ({e}); is there a display? try --headless"))?;
    let mut canvas = Canvas::new(ww, wh);
    let mut pending = Some(Ok(first));
    let mut n = 0u64;
    let mut captures = 0u32;
    let mut shown: Option<Shown> = None;
    let mut fps_ema = 0.0f64;
    let mut ended = false;
    let mut last_frame = Instant::now();
    let frame_time = Duration::from_secs_f64(1.0 / args.fps);
    while window.is_open()
        && !window.is_key_down(minifb::Key::Escape)
        && !window.is_key_down(minifb::Key::Q)
    {
        if window.is_key_pressed(minifb::Key::Space, minifb::KeyRepeat::No) {
            session.reset();
        }
        let next = if args.frames.is_some_and(|max| n >= max) {
            None
        } else {
            pending.take().or_else(|| src.next_frame())
        };
        let frame = match next {
            Some(f) => f?,
            None if args.looping && src.is_replay() && args.frames.is_none() => {
                src.rewind();
                session.reset();
                continue;
            }
            None => {
                if !ended {
                    ended = true;
                    eprintln!("webcam: replay ended after {n} frames; close the window to quit");
                }
                // Keep the last picture up until the user closes the window.
                window
                    .update_with_buffer(&canvas.pixels, ww, wh)
                    .map_err(|e| e.to_string())?;
                std::thread::sleep(Duration::from_millis(30));
                continue;
            }
        };
        let cfg = session.config().clone();
        let g = analyze(session, &frame)?.clone();
        if g.captured {
            if let Some(cap) = session.take_capture() {
                captures += 1;
                let dir = match &args.out {
                    Some(d) => Some(save_capture(d, captures, &cap)?),
                    None => None,
                };
                if let Some(d) = &dir {
                    eprintln!("webcam: capture {captures} saved in {}", d.display());
                }
                shown = Some(Shown {
                    crops: cap
                        .fingers
                        .iter()
                        .map(|c| {
                            (
                                c.image.pixels.clone(),
                                c.image.width as usize,
                                c.image.height as usize,
                            )
                        })
                        .collect(),
                    until: Instant::now() + Duration::from_secs(4),
                    dir,
                });
            }
        }
        let dt = last_frame.elapsed().as_secs_f64();
        last_frame = Instant::now();
        if dt > 0.0 {
            fps_ema = if fps_ema == 0.0 {
                1.0 / dt
            } else {
                0.9 * fps_ema + 0.1 / dt
            };
        }
        draw(
            &mut canvas,
            &text,
            &frame,
            &g,
            &cfg,
            args.lang,
            shown.as_ref().filter(|s| s.until > Instant::now()),
            fps_ema,
        );
        window
            .update_with_buffer(&canvas.pixels, ww, wh)
            .map_err(|e| e.to_string())?;
        if src.is_replay() {
            let spent = last_frame.elapsed();
            if spent < frame_time {
                std::thread::sleep(frame_time - spent);
            }
        }
        n += 1;
    }
    Ok(())
}

fn shaped(s: &str, lang: Language) -> String {
    if lang == Language::Arabic && arabic::is_arabic(s) {
        arabic::shape(s)
    } else {
        s.to_string()
    }
}

#[allow(clippy::too_many_arguments)]
fn draw(
    canvas: &mut Canvas,
    text: &Text,
    frame: &source::Frame,
    g: &Guidance,
    cfg: &Config,
    lang: Language,
    shown: Option<&Shown>,
    fps: f64,
) {
    let (ww, wh) = (canvas.width as f32, canvas.height as f32);
    canvas.draw_frame(&frame.rgb, frame.width as usize, frame.height as usize);
    let s = ww / frame.width as f32;
    let unit = (wh / 720.0).clamp(0.6, 1.5);

    // The instruction, in a banner at the top.
    let msg = g.message(lang, cfg);
    let good = g.primary.is_none();
    let size = 30.0 * unit;
    let lines = text.wrap(msg, size, ww - 40.0, |l| shaped(l, lang));
    let banner_h = (lines.len() as f32 * size * 1.25 + 20.0 * unit) as i32;
    canvas.fill(0, 0, ww as i32, banner_h, rgb(10, 10, 14), 0.72);
    let color = if good {
        rgb(90, 235, 120)
    } else {
        rgb(255, 214, 80)
    };
    for (i, l) in lines.iter().enumerate() {
        let vis = shaped(l, lang);
        let lw = text.width(&vis, size);
        let x = if lang == Language::Arabic {
            ww - 20.0 - lw
        } else {
            20.0
        };
        text.draw(
            canvas,
            &vis,
            x,
            10.0 * unit + i as f32 * size * 1.25,
            size,
            color,
        );
    }
    let code = g.code_str();
    let cs = 14.0 * unit;
    let cw = text.width(code, cs);
    let cx = if lang == Language::Arabic {
        8.0
    } else {
        ww - cw - 10.0
    };
    text.draw(
        canvas,
        code,
        cx,
        banner_h as f32 - cs * 1.3,
        cs,
        rgb(170, 170, 180),
    );

    // Finger boxes with name and quality.
    for f in &g.report.fingers {
        let b = f.bbox;
        let (x, y) = ((b.x as f32 * s) as i32, (b.y as f32 * s) as i32);
        let (w, h) = (
            ((b.width as f32 * s) as i32).max(4),
            ((b.height as f32 * s) as i32).max(4),
        );
        let c = quality_color(f.quality);
        canvas.frame_rect(x, y, w, h, (2.0 * unit).round().max(2.0) as i32, c);
        let name = serde_json::to_value(f.name)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let label = if f.name == fingerqc::FingerName::Unknown {
            format!("q {}", f.quality)
        } else {
            format!("{name}  q {}", f.quality)
        };
        let size = 17.0 * unit;
        let lw = text.width(&label, size);
        let ly = (y as f32 - size * 1.3).max(banner_h as f32 + 2.0);
        canvas.fill(x, ly as i32, lw as i32 + 8, (size * 1.25) as i32, 0, 0.6);
        text.draw(canvas, &label, x as f32 + 4.0, ly, size, c);
    }

    // Status line and the capture progress at the bottom.
    let ss = 16.0 * unit;
    let bar_h = (ss * 1.6) as i32;
    let y0 = wh as i32 - bar_h - 8;
    canvas.fill(0, y0 - 6, ww as i32, bar_h + 14, rgb(10, 10, 14), 0.72);
    let ppi = match (g.report.estimated_ppi, g.report.ppi.source) {
        (Some(p), src) => format!(
            "{p:.0} ppi ({})",
            serde_json::to_value(src)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default()
        ),
        (None, _) => "ppi ?".to_string(),
    };
    let motion = g
        .motion_mm_s
        .map_or("motion ?".to_string(), |m| format!("motion {m:.1} mm/s"));
    let status = format!(
        "{ppi}   fingers {}/{}   {motion}   {:.0} ms   {fps:.0} fps",
        g.report.finger_count,
        cfg.expected_fingers,
        g.report.elapsed_us as f64 / 1000.0
    );
    text.draw(
        canvas,
        &status,
        12.0,
        y0 as f32 + 2.0,
        ss,
        rgb(230, 230, 235),
    );
    // Progress bar of the auto-capture (right), green when done.
    let pw = (ww * 0.22) as i32;
    let px = ww as i32 - pw - 12;
    let py = y0 + (bar_h - 14) / 2;
    canvas.frame_rect(px, py, pw, 14, 1, rgb(200, 200, 205));
    let fill_c = if g.capture_done {
        rgb(60, 220, 90)
    } else {
        rgb(80, 160, 250)
    };
    canvas.fill(
        px + 2,
        py + 2,
        ((pw - 4) as f32 * g.progress) as i32,
        10,
        fill_c,
        1.0,
    );
    let label = if g.capture_done {
        "captured"
    } else {
        "capture"
    };
    let lw = text.width(label, ss * 0.85);
    text.draw(
        canvas,
        label,
        px as f32 - lw - 8.0,
        y0 as f32 + 3.0,
        ss * 0.85,
        rgb(200, 200, 205),
    );

    // The last capture's crops, bottom right, for a few seconds.
    if let Some(sh) = shown {
        let th = (wh * 0.3) as usize;
        let mut x = ww as i32 - 12;
        let y = y0 - 12 - th as i32;
        for (px, cw, ch) in sh.crops.iter().rev() {
            let tw = (th * cw / (*ch).max(1)).max(1);
            x -= tw as i32 + 6;
            canvas.fill(
                x - 2,
                y - 2,
                tw as i32 + 4,
                th as i32 + 4,
                rgb(60, 220, 90),
                1.0,
            );
            canvas.paste_gray(px, (*cw, *ch), (x, y), (tw, th));
        }
        let note = match &sh.dir {
            Some(d) => format!("500 ppi crops saved in {}", d.display()),
            None => "500 ppi crops (use --out DIR to save)".to_string(),
        };
        let nw = text.width(&note, ss * 0.85);
        canvas.fill(
            (ww - nw - 20.0) as i32,
            y - (ss * 1.4) as i32 - 4,
            nw as i32 + 12,
            (ss * 1.3) as i32,
            0,
            0.6,
        );
        text.draw(
            canvas,
            &note,
            ww - nw - 14.0,
            y as f32 - ss * 1.4 - 3.0,
            ss * 0.85,
            rgb(230, 230, 235),
        );
    }
}
