//! `fingerqc synth`: write generated, labelled frames (and their labels) to a folder.

use super::analyze::{job_count, progress_bar};
use super::{EXIT_USAGE, SynthArgs};
use fingerqc::synth::{self, Labels, SequenceSpec};
use rayon::prelude::*;
use serde::Serialize;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

/// One line of `labels.jsonl`: the file name, for sequences the time and sequence seed, then
/// every field of the generator's labels.
#[derive(Serialize)]
struct LabelLine<'a> {
    file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    sequence: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    t: Option<f64>,
    #[serde(flatten)]
    labels: &'a Labels,
}

/// Writes `img` as PNG, or as JPEG at `quality` when given.
fn save(img: &image::RgbImage, path: &Path, jpeg: Option<u8>) -> Result<(), String> {
    let res = match jpeg {
        Some(q) => std::fs::File::create(path)
            .map_err(|e| e.to_string())
            .and_then(|f| {
                let mut w = std::io::BufWriter::new(f);
                image::codecs::jpeg::JpegEncoder::new_with_quality(&mut w, q)
                    .encode_image(img)
                    .map_err(|e| e.to_string())
            }),
        None => img
            .save_with_format(path, image::ImageFormat::Png)
            .map_err(|e| e.to_string()),
    };
    res.map_err(|e| format!("{}: {e}", path.display()))
}

/// The `synth` command.
pub fn run(args: &SynthArgs) -> ExitCode {
    if let Err(e) = std::fs::create_dir_all(&args.out) {
        eprintln!("fingerqc: cannot create {}: {e}", args.out.display());
        return ExitCode::from(EXIT_USAGE);
    }
    let ext = if args.jpeg.is_some() { "jpg" } else { "png" };
    let pool = match rayon::ThreadPoolBuilder::new()
        .num_threads(job_count(args.jobs))
        .build()
    {
        Ok(p) => p,
        Err(e) => {
            eprintln!("fingerqc: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let seeds: Vec<u64> = (0..args.n).map(|i| args.seed.wrapping_add(i)).collect();
    let progress = progress_bar(seeds.len());
    // Each task renders, saves and drops its frames, keeping only the label lines.
    let results: Vec<Result<Vec<String>, String>> = pool.install(|| {
        seeds
            .par_iter()
            .map(|&seed| {
                let mut lines = Vec::new();
                if args.sequence {
                    let spec = SequenceSpec::new(seed, args.width, args.height);
                    for (i, (t, scene)) in synth::sequence(&spec).into_iter().enumerate() {
                        let file = format!("{seed}-{i:04}.{ext}");
                        save(&scene.image, &args.out.join(&file), args.jpeg)?;
                        let line = LabelLine {
                            file,
                            sequence: Some(seed),
                            t: Some(t),
                            labels: &scene.labels,
                        };
                        lines.push(serde_json::to_string(&line).map_err(|e| e.to_string())?);
                    }
                } else {
                    let scene = synth::scene(seed, args.width, args.height);
                    let file = format!("{seed}.{ext}");
                    save(&scene.image, &args.out.join(&file), args.jpeg)?;
                    let line = LabelLine {
                        file,
                        sequence: None,
                        t: None,
                        labels: &scene.labels,
                    };
                    lines.push(serde_json::to_string(&line).map_err(|e| e.to_string())?);
                }
                progress.inc(1);
                Ok(lines)
            })
            .collect()
    });
    progress.finish_and_clear();
    let labels_path = args.out.join("labels.jsonl");
    let mut out = match std::fs::File::create(&labels_path) {
        Ok(f) => std::io::BufWriter::new(f),
        Err(e) => {
            eprintln!("fingerqc: cannot create {}: {e}", labels_path.display());
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let (mut frames, mut failed) = (0usize, 0usize);
    for r in results {
        match r {
            Ok(lines) => {
                for l in lines {
                    frames += 1;
                    if let Err(e) = writeln!(out, "{l}") {
                        eprintln!("fingerqc: {}: {e}", labels_path.display());
                        return ExitCode::from(1);
                    }
                }
            }
            Err(e) => {
                failed += 1;
                eprintln!("fingerqc: {e}");
            }
        }
    }
    if let Err(e) = out.flush() {
        eprintln!("fingerqc: {}: {e}", labels_path.display());
        return ExitCode::from(1);
    }
    eprintln!(
        "fingerqc: wrote {frames} frames to {1} and their labels to {0}{2}",
        labels_path.display(),
        args.out.display(),
        if failed > 0 {
            format!("; {failed} failed")
        } else {
            String::new()
        }
    );
    if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
