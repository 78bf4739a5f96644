//! Argument parsing and dispatch for the `fingerqc` binary.

mod analyze;
mod eval;
mod output;
mod synth;

use clap::{Parser, Subcommand, ValueEnum};
use fingerqc::{Config, Language};
use std::path::PathBuf;
use std::process::ExitCode;

/// Exit status when the arguments or the config are unusable (clap uses 2 as well).
const EXIT_USAGE: u8 = 2;

#[derive(Parser, Debug)]
#[command(
    name = "fingerqc",
    version,
    about = "Quality checks for contactless four-finger fingerprint capture frames"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Analyse image files (PNG, JPEG) and folders of them; one output line per file.
    ///
    /// Exit status: 0 when every file was analysed, 1 when any could not be read or decoded
    /// (or a PATH does not exist), 2 on bad arguments or config.
    Analyze(AnalyzeArgs),
    /// Analyse the frames of a labels file and score the reports against the labels:
    /// per-reason precision / recall / F1, finger-count, hand and verdict accuracy, ppi within
    /// 10%. Reasons marked near their threshold in a frame's labels are not scored there.
    Eval(EvalArgs),
    /// Write generated, labelled frames: DIR/<seed>.png (or DIR/<seed>-<frame>.png for
    /// sequences) and DIR/labels.jsonl, one labels object per frame with its `file`.
    Synth(SynthArgs),
}

#[derive(clap::Args, Debug)]
pub struct SynthArgs {
    /// Output folder (created when missing).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Number of scenes (or of sequences with --sequence).
    #[arg(long, default_value_t = 10)]
    n: u64,
    /// First seed; scenes use seed, seed+1, ... (tune on 0..999, evaluate on >= 1000000).
    #[arg(long, default_value_t = 1_000_000)]
    seed: u64,
    /// Frame width.
    #[arg(long, default_value_t = 1920, value_parser = clap::value_parser!(u32).range(16..=16384))]
    width: u32,
    /// Frame height.
    #[arg(long, default_value_t = 1080, value_parser = clap::value_parser!(u32).range(16..=16384))]
    height: u32,
    /// Write capture sequences (approach, shake, settle) instead of single scenes.
    #[arg(long)]
    sequence: bool,
    /// Write JPEG at this quality instead of PNG (the labels describe the frame before this
    /// compression).
    #[arg(long, value_name = "QUALITY", value_parser = clap::value_parser!(u8).range(1..=100))]
    jpeg: Option<u8>,
    /// Frames rendered in parallel (default: the number of cores).
    #[arg(long, short = 'j', value_name = "N")]
    jobs: Option<usize>,
}

#[derive(clap::Args, Debug)]
pub struct EvalArgs {
    /// Labels, one JSON object per line with at least `file` (relative to the labels' folder);
    /// `finger_count`, `hand`, `mirrored`, `ppi`, `reasons`, `near_threshold` are scored when
    /// present (the output of `fingerqc synth`, or the real-pose sets' labels).
    #[arg(long, value_name = "FILE")]
    labels: PathBuf,
    /// Config file (TOML or JSON); the labels' `mirrored` flag overrides its `mirrored`.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Clockwise rotation (0, 90, 180, 270) that turns the images upright (as for `analyze`);
    /// overrides the config's `frame_rotation`. The labels describe the upright scene.
    #[arg(long, value_name = "DEG", value_parser = ["0", "90", "180", "270"])]
    rotation: Option<String>,
    /// Files analysed in parallel (default: the number of cores).
    #[arg(long, short = 'j', value_name = "N")]
    jobs: Option<usize>,
    /// Print the scorecard as JSON instead of tables.
    #[arg(long)]
    json: bool,
    /// Write one JSON line per frame with a miss (false positive / negative, wrong count) here.
    #[arg(long, value_name = "FILE")]
    misses: Option<PathBuf>,
}

/// Output format of `analyze`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned human-readable table with the first message.
    Table,
    /// One JSON object per line: the full report plus `path` (or `path` and `error`).
    Jsonl,
    /// One CSV row per file, with a header.
    Csv,
}

/// Language of the messages in the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Lang {
    /// English.
    En,
    /// Arabic.
    Ar,
}

impl From<Lang> for Language {
    fn from(l: Lang) -> Language {
        match l {
            Lang::En => Language::English,
            Lang::Ar => Language::Arabic,
        }
    }
}

#[derive(clap::Args, Debug)]
pub struct AnalyzeArgs {
    /// Config file (TOML or JSON); fields left out take their defaults.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Clockwise rotation (0, 90, 180, 270) that turns the images upright, for frames saved in
    /// a phone camera's sensor orientation; overrides the config's `frame_rotation`.
    #[arg(long, value_name = "DEG", value_parser = ["0", "90", "180", "270"])]
    rotation: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Files analysed in parallel (default: the number of cores).
    #[arg(long, short = 'j', value_name = "N")]
    jobs: Option<usize>,
    /// Language of the table's messages (JSON and CSV carry both languages / codes).
    #[arg(long, value_enum, default_value_t = Lang::En)]
    lang: Lang,
    /// Also score the reports against these labels (see `eval`); the scorecard goes to stderr.
    #[arg(long, value_name = "FILE")]
    labels: Option<PathBuf>,
    /// Image files and folders (searched recursively for .png, .jpg, .jpeg).
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
}

/// Loads the config named on the command line, or the defaults, with `--rotation` (one of the
/// quarter turns clap allows) over its `frame_rotation`.
fn load_config(path: Option<&std::path::Path>, rotation: Option<&str>) -> Result<Config, String> {
    let mut config = match path {
        Some(p) => Config::from_file(p).map_err(|e| format!("config {}: {e}", p.display()))?,
        None => Config::default(),
    };
    if let Some(deg) = rotation.and_then(|d| d.parse().ok()) {
        config.frame_rotation = deg;
    }
    Ok(config)
}

/// Parses the arguments and runs the command.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let (path, rotation) = match &cli.command {
        Command::Analyze(a) => (a.config.as_deref(), a.rotation.as_deref()),
        Command::Eval(a) => (a.config.as_deref(), a.rotation.as_deref()),
        Command::Synth(_) => (None, None),
    };
    let config = match load_config(path, rotation) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("fingerqc: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    match cli.command {
        Command::Analyze(args) => analyze::run(&args, &config),
        Command::Eval(args) => eval::run(&args, &config),
        Command::Synth(args) => synth::run(&args),
    }
}
