//! `fingerqc eval`: analyse the frames a labels file lists and score the reports.

use super::analyze::{Input, Summary, job_count, progress_bar, run_ordered};
use super::{EXIT_USAGE, EvalArgs};
use fingerqc::Config;
use fingerqc::eval::{Scorecard, read_labels};
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

/// The `eval` command.
pub fn run(args: &EvalArgs, config: &Config) -> ExitCode {
    let truths = match read_labels(&args.labels) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("fingerqc: labels: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let base = args.labels.parent().unwrap_or(Path::new("."));
    // Label order, not sorted: the labels file already fixes the order.
    let inputs: Vec<Input> = truths
        .iter()
        .map(|t| {
            let mut i = Input::file(base.join(&t.file));
            i.mirrored = t.mirrored;
            i
        })
        .collect();
    let mut misses = match &args.misses {
        Some(p) => match std::fs::File::create(p) {
            Ok(f) => Some(std::io::BufWriter::new(f)),
            Err(e) => {
                eprintln!("fingerqc: cannot create {}: {e}", p.display());
                return ExitCode::from(EXIT_USAGE);
            }
        },
        None => None,
    };
    let jobs = job_count(args.jobs);
    let progress = progress_bar(inputs.len());
    let mut card = Scorecard::new();
    let mut summary = Summary::default();
    let started = std::time::Instant::now();
    let res = run_ordered(&inputs, config, jobs, |i, o| {
        summary.add(&o);
        match (&o.report, truths.get(i)) {
            (Some(r), Some(t)) => {
                let fs = card.add(t, r);
                if let Some(w) = misses.as_mut().filter(|_| !fs.is_clean()) {
                    let _ = serde_json::to_writer(&mut *w, &fs);
                    let _ = w.write_all(b"\n");
                }
            }
            _ => {
                card.add_error();
                let err = o.error.as_deref().unwrap_or("no report");
                progress.suspend(|| eprintln!("{}: {err}", o.path));
            }
        }
        progress.inc(1);
        true
    });
    progress.finish_and_clear();
    if let Err(e) = res {
        eprintln!("fingerqc: {e}");
        return ExitCode::from(EXIT_USAGE);
    }
    if let Some(mut w) = misses {
        if let Err(e) = w.flush() {
            eprintln!("fingerqc: cannot write misses: {e}");
        }
    }
    if args.json {
        match serde_json::to_string_pretty(&card) {
            Ok(s) => println!("{s}"),
            Err(e) => eprintln!("fingerqc: {e}"),
        }
    } else {
        println!("{}", card.to_table());
    }
    summary.print(started, jobs);
    summary.exit_code()
}
