//! `fingerqc analyze`: find the files, analyse them in parallel, write one line per file in
//! input order.
//!
//! Ordering choice: lines come out in the sorted input order, each flushed as soon as it and
//! every line before it are done. Workers take files from a shared counter in that same order,
//! so at most `jobs - 1` finished results ever wait for an earlier one: an interrupted run loses
//! only those and the files in progress, and what it wrote is a prefix of the full output.

use super::output::{Outcome, Writer};
use super::{AnalyzeArgs, EXIT_USAGE};
use fingerqc::eval::{Scorecard, Truth, read_labels};
use fingerqc::{Analyzer, Config, Verdict};
use std::collections::{BTreeMap, HashMap};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;

/// One thing to analyse: a file, or a path that could not be listed (with why).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Input {
    /// The path as given or found.
    pub path: PathBuf,
    /// Set when the path cannot be analysed at all (missing, unreadable folder).
    pub problem: Option<String>,
    /// Whether the frame is mirrored, when known per file (from labels); else the config says.
    pub mirrored: Option<bool>,
}

impl Input {
    /// A file to analyse with the config's `mirrored` flag.
    pub fn file(path: PathBuf) -> Self {
        Input {
            path,
            problem: None,
            mirrored: None,
        }
    }

    /// A path that cannot be analysed, and why.
    pub fn broken(path: PathBuf, problem: String) -> Self {
        Input {
            path,
            problem: Some(problem),
            mirrored: None,
        }
    }
}

/// Whether a file found in a folder is an image we analyse (by extension, any case).
fn is_image_name(p: &Path) -> bool {
    p.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .is_some_and(|e| matches!(e.as_str(), "png" | "jpg" | "jpeg"))
}

/// Expands the command-line paths: files as given (whatever their extension: the user named
/// them), folders searched recursively for images. Symbolic links to folders are not followed
/// (no loops). Sorted and deduplicated so the output order is stable.
pub fn collect_inputs(paths: &[PathBuf]) -> Vec<Input> {
    let mut out = Vec::new();
    for p in paths {
        match std::fs::metadata(p) {
            Ok(m) if m.is_dir() => walk(p, &mut out),
            Ok(_) => out.push(Input::file(p.clone())),
            Err(e) => out.push(Input::broken(p.clone(), format!("cannot open: {e}"))),
        }
    }
    out.sort();
    out.dedup_by(|a, b| a.path == b.path);
    out
}

fn walk(dir: &Path, out: &mut Vec<Input>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            out.push(Input::broken(
                dir.to_path_buf(),
                format!("cannot read folder: {e}"),
            ));
            return;
        }
    };
    for entry in entries {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                out.push(Input::broken(
                    dir.to_path_buf(),
                    format!("cannot read folder entry: {e}"),
                ));
                continue;
            }
        };
        let path = entry.path();
        let Ok(ft) = entry.file_type() else { continue };
        if ft.is_dir() {
            walk(&path, out);
        } else if is_image_name(&path) {
            // Regular files and symbolic links to files; a dangling link gives an error line.
            let is_linked_dir = ft.is_symlink() && path.is_dir();
            if !is_linked_dir {
                out.push(Input::file(path));
            }
        }
    }
}

/// Decodes and analyses one file; any failure becomes the outcome's error. A panic inside the
/// analyzer is caught so one bad file cannot end the batch.
fn process(analyzers: &mut [Option<Analyzer>; 2], input: &Input, config: &Config) -> Outcome {
    let path = input.path.to_string_lossy().into_owned();
    if let Some(p) = &input.problem {
        return Outcome::failed(path, p.clone());
    }
    let frame = match fingerqc::io::load_image(&input.path, &config.limits) {
        Ok(f) => f,
        Err(e) => {
            let msg = strip_path(&e.to_string(), &input.path.display().to_string());
            return Outcome::failed(path, msg);
        }
    };
    // One analyzer per `mirrored` value, each keeping its scratch from file to file.
    let mirrored = input.mirrored.unwrap_or(config.mirrored);
    let analyzer = &mut analyzers[mirrored as usize];
    let an = match analyzer {
        Some(a) => a,
        None => {
            let mut c = config.clone();
            c.mirrored = mirrored;
            match Analyzer::new(c) {
                Ok(a) => analyzer.insert(a),
                Err(e) => return Outcome::failed(path, e.to_string()),
            }
        }
    };
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        frame.view().and_then(|v| an.analyze(&v))
    }));
    // `frame` (the decoded pixels) is dropped here, before the next file is read.
    drop(frame);
    match result {
        Ok(Ok(report)) => Outcome::analysed(path, report),
        Ok(Err(e)) => Outcome::failed(path, e.to_string()),
        Err(_) => {
            // The analyzer's scratch may be inconsistent after a panic: start afresh.
            *analyzer = None;
            Outcome::failed(
                path,
                "internal error: the analyzer panicked on this image".into(),
            )
        }
    }
}

/// I/O errors carry the path; the line already has it.
fn strip_path(msg: &str, path: &str) -> String {
    msg.strip_prefix(path)
        .and_then(|m| m.strip_prefix(": "))
        .unwrap_or(msg)
        .to_string()
}

/// Totals for the summary line.
#[derive(Default)]
pub struct Summary {
    files: usize,
    accepted: usize,
    rejected: usize,
    errors: usize,
    analysis_us: u64,
}

impl Summary {
    /// The summary line on stderr.
    pub fn print(&self, started: std::time::Instant, jobs: usize) {
        let analysed = self.accepted + self.rejected;
        let mean_ms = if analysed > 0 {
            self.analysis_us as f64 / analysed as f64 / 1000.0
        } else {
            0.0
        };
        eprintln!(
            "fingerqc: {} files, {} accepted, {} rejected, {} errors; {:.1} ms/frame analysis (mean), {:.1} s wall on {} threads",
            self.files,
            self.accepted,
            self.rejected,
            self.errors,
            mean_ms,
            started.elapsed().as_secs_f64(),
            jobs
        );
    }

    /// 1 when any file failed, else 0.
    pub fn exit_code(&self) -> ExitCode {
        if self.errors > 0 {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        }
    }

    /// Counts one outcome.
    pub fn add(&mut self, o: &Outcome) {
        self.files += 1;
        match &o.report {
            Some(r) if r.verdict == Verdict::Accept => self.accepted += 1,
            Some(_) => self.rejected += 1,
            None => self.errors += 1,
        }
        if let Some(r) = &o.report {
            self.analysis_us += r.elapsed_us;
        }
    }
}

/// Analyses `inputs` on `jobs` threads, calling `emit(index, outcome)` for each in input order
/// from the calling thread. Returns when all are done, or soon after `emit` returns `false`
/// (output closed): workers then stop taking files.
pub fn run_ordered(
    inputs: &[Input],
    config: &Config,
    jobs: usize,
    mut emit: impl FnMut(usize, Outcome) -> bool,
) -> Result<(), String> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .map_err(|e| format!("cannot start {jobs} threads: {e}"))?;
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let (tx, rx) = mpsc::channel::<(usize, Outcome)>();
    std::thread::scope(|s| {
        s.spawn(|| {
            let tx = tx; // moved in, so the channel closes when every worker is done
            pool.scope(|ps| {
                for _ in 0..jobs {
                    let tx = tx.clone();
                    let (next, stop) = (&next, &stop);
                    ps.spawn(move |_| {
                        let mut analyzers = [None, None];
                        while !stop.load(Ordering::Relaxed) {
                            let i = next.fetch_add(1, Ordering::Relaxed);
                            let Some(input) = inputs.get(i) else { break };
                            let o = process(&mut analyzers, input, config);
                            if tx.send((i, o)).is_err() {
                                break;
                            }
                        }
                    });
                }
            });
        });
        let mut pending = BTreeMap::new();
        let mut want = 0usize;
        for (i, o) in rx {
            pending.insert(i, o);
            while let Some(o) = pending.remove(&want) {
                if !emit(want, o) {
                    stop.store(true, Ordering::Relaxed);
                }
                want += 1;
            }
        }
    });
    Ok(())
}

/// The worker count: `--jobs`, or the number of cores.
pub fn job_count(jobs: Option<usize>) -> usize {
    jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .clamp(1, 256)
}

/// A progress bar on stderr when stderr is a terminal, else a hidden one.
pub fn progress_bar(len: usize) -> indicatif::ProgressBar {
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let pb = indicatif::ProgressBar::with_draw_target(
        Some(len as u64),
        indicatif::ProgressDrawTarget::stderr(),
    );
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} files, {per_sec}, eta {eta}")
    {
        pb.set_style(style);
    }
    pb
}

/// Labels keyed by the canonical path of their image, for `analyze --labels`.
fn labels_by_path(labels: &Path) -> Result<HashMap<PathBuf, Truth>, String> {
    let truths = read_labels(labels).map_err(|e| e.to_string())?;
    let base = labels.parent().unwrap_or(Path::new("."));
    Ok(truths
        .into_iter()
        .filter_map(|t| {
            let p = std::fs::canonicalize(base.join(&t.file)).ok()?;
            Some((p, t))
        })
        .collect())
}

/// The `analyze` command.
pub fn run(args: &AnalyzeArgs, config: &Config) -> ExitCode {
    let mut inputs = collect_inputs(&args.paths);
    let labels = match args.labels.as_deref().map(labels_by_path).transpose() {
        Ok(l) => l,
        Err(e) => {
            eprintln!("fingerqc: labels: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    // Per input, its truth (when labelled), whose `mirrored` flag the analysis then follows.
    let truths: Vec<Option<&Truth>> = inputs
        .iter_mut()
        .map(|input| {
            let t = labels.as_ref().and_then(|l| {
                let p = std::fs::canonicalize(&input.path).ok()?;
                l.get(&p)
            });
            input.mirrored = t.and_then(|t| t.mirrored);
            t
        })
        .collect();
    let jobs = job_count(args.jobs);
    let progress = progress_bar(inputs.len());
    let path_width = inputs
        .iter()
        .map(|i| i.path.to_string_lossy().chars().count())
        .max()
        .unwrap_or(4);
    let mut writer = Writer::new(args.format, args.lang.into(), path_width);
    let mut summary = Summary::default();
    let mut card = Scorecard::new();
    let mut unlabelled = 0usize;
    let mut write_failed = None;
    if let Err(e) = progress.suspend(|| writer.header()) {
        eprintln!("fingerqc: cannot write output: {e}");
        return ExitCode::from(EXIT_USAGE);
    }
    let started = std::time::Instant::now();
    let res = run_ordered(&inputs, config, jobs, |i, o| {
        summary.add(&o);
        match (truths.get(i).copied().flatten(), &o.report) {
            (Some(t), Some(r)) => {
                card.add(t, r);
            }
            (Some(_), None) => card.add_error(),
            (None, _) => unlabelled += 1,
        }
        if write_failed.is_none() {
            if let Err(e) = progress.suspend(|| writer.write(&o)) {
                write_failed = Some(e);
            }
        }
        progress.inc(1);
        write_failed.is_none()
    });
    progress.finish_and_clear();
    if let Err(e) = res {
        eprintln!("fingerqc: {e}");
        return ExitCode::from(EXIT_USAGE);
    }
    summary.print(started, jobs);
    if labels.is_some() {
        eprintln!("{}", card.to_table());
        if unlabelled > 0 {
            eprintln!("fingerqc: {unlabelled} files had no label and were not scored");
        }
    }
    if let Some(e) = write_failed {
        // A closed pipe (`| head`) is not worth a message; other write errors are.
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("fingerqc: cannot write output: {e}");
        }
        return ExitCode::from(1);
    }
    summary.exit_code()
}
