//! The three output formats of `analyze`, written line by line and flushed per line.

use super::Format;
use fingerqc::{Language, Report, Verdict};
use serde::Serialize;
use std::io::Write;

/// What became of one file.
#[derive(Debug)]
pub struct Outcome {
    /// The path, printed lossily when it is not UTF-8.
    pub path: String,
    /// The report, when the file was decoded and analysed.
    pub report: Option<Report>,
    /// Why there is no report.
    pub error: Option<String>,
}

impl Outcome {
    /// A file that was analysed.
    pub fn analysed(path: String, report: Report) -> Self {
        Outcome {
            path,
            report: Some(report),
            error: None,
        }
    }

    /// A file that could not be analysed. The message is put on one line (decoders end some
    /// with a line break), so every format keeps one line per file.
    pub fn failed(path: String, error: String) -> Self {
        let one_line: String = error
            .split(|c: char| c.is_control())
            .filter(|s| !s.trim().is_empty())
            .map(str::trim)
            .collect::<Vec<_>>()
            .join(" ");
        Outcome {
            path,
            report: None,
            error: Some(if one_line.is_empty() {
                "unknown error".into()
            } else {
                one_line
            }),
        }
    }
}

/// A report line: the library's report with the file's path in front.
#[derive(Serialize)]
struct JsonReport<'a> {
    path: &'a str,
    #[serde(flatten)]
    report: &'a Report,
}

/// An error line.
#[derive(Serialize)]
struct JsonError<'a> {
    path: &'a str,
    error: &'a str,
}

/// The CSV columns, in order.
pub const CSV_HEADER: &str =
    "path,width,height,verdict,finger_count,hand,estimated_ppi,reasons,elapsed_us,error";

/// Quotes a CSV field when it holds a comma, quote, line break or surrounding space (RFC 4180).
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) || s.starts_with(' ') || s.ends_with(' ') {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn verdict_str(v: Verdict) -> &'static str {
    match v {
        Verdict::Accept => "accept",
        Verdict::Reject => "reject",
    }
}

fn hand_str(h: fingerqc::Hand) -> &'static str {
    match h {
        fingerqc::Hand::Left => "left",
        fingerqc::Hand::Right => "right",
        fingerqc::Hand::Unknown => "unknown",
    }
}

/// One CSV row (no line break).
pub fn csv_row(o: &Outcome) -> String {
    let path = csv_field(&o.path);
    match &o.report {
        Some(r) => {
            let reasons: Vec<&str> = r.reasons.iter().map(|x| x.code.as_str()).collect();
            format!(
                "{path},{},{},{},{},{},{},{},{},",
                r.width,
                r.height,
                verdict_str(r.verdict),
                r.finger_count,
                hand_str(r.hand),
                r.estimated_ppi
                    .map(|p| format!("{p:.1}"))
                    .unwrap_or_default(),
                reasons.join(";"),
                r.elapsed_us
            )
        }
        None => format!(
            "{path},,,error,,,,,,{}",
            csv_field(o.error.as_deref().unwrap_or("unknown error"))
        ),
    }
}

/// Pads `s` with spaces to `width` characters (longer strings are left whole).
fn pad(s: &str, width: usize) -> String {
    let n = s.chars().count();
    if n >= width {
        s.to_string()
    } else {
        format!("{s}{}", " ".repeat(width - n))
    }
}

/// One table row; the path column is `path_width` wide.
pub fn table_row(o: &Outcome, lang: Language, path_width: usize) -> String {
    // A line break in a file name would split the row.
    let shown: String = o
        .path
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    let path = pad(&shown, path_width);
    match &o.report {
        Some(r) => {
            let ppi = r
                .estimated_ppi
                .map(|p| format!("{p:.0}"))
                .unwrap_or_else(|| "-".into());
            let msg = match r.primary() {
                Some(p) => format!("{}: {}", p.code, p.message_in(lang)),
                None => "ok".to_string(),
            };
            let more = r.reasons.len().saturating_sub(1);
            let msg = if more > 0 {
                format!("{msg} (+{more})")
            } else {
                msg
            };
            format!(
                "{path}  {:>9}  {:<7}  {:>4}  {:<7}  {:>5}  {:>7.1}  {msg}",
                format!("{}x{}", r.width, r.height),
                verdict_str(r.verdict),
                r.finger_count,
                hand_str(r.hand),
                ppi,
                r.elapsed_us as f64 / 1000.0,
            )
        }
        None => format!(
            "{path}  {:>9}  {:<7}  {:>4}  {:<7}  {:>5}  {:>7}  {}",
            "-",
            "error",
            "-",
            "-",
            "-",
            "-",
            o.error.as_deref().unwrap_or("unknown error")
        ),
    }
}

/// The table's header row.
pub fn table_header(path_width: usize) -> String {
    format!(
        "{}  {:>9}  {:<7}  {:>4}  {:<7}  {:>5}  {:>7}  MESSAGE",
        pad("PATH", path_width),
        "SIZE",
        "VERDICT",
        "FING",
        "HAND",
        "PPI",
        "MS"
    )
}

/// One JSON line (no line break).
pub fn json_line(o: &Outcome) -> String {
    let r = match &o.report {
        Some(report) => serde_json::to_string(&JsonReport {
            path: &o.path,
            report,
        }),
        None => serde_json::to_string(&JsonError {
            path: &o.path,
            error: o.error.as_deref().unwrap_or("unknown error"),
        }),
    };
    // Serialising these plain structs cannot fail; keep a valid line if it ever does.
    r.unwrap_or_else(|e| format!("{{\"path\":null,\"error\":\"serialisation failed: {e}\"}}"))
}

/// Writes outcomes to stdout in one format, flushing after every line.
pub struct Writer {
    format: Format,
    lang: Language,
    path_width: usize,
    out: std::io::Stdout,
}

impl Writer {
    /// A writer for `format`; `path_width` aligns the table's first column (capped at 80).
    pub fn new(format: Format, lang: Language, path_width: usize) -> Self {
        Writer {
            format,
            lang,
            path_width: path_width.clamp(4, 80),
            out: std::io::stdout(),
        }
    }

    fn line(&mut self, s: &str) -> std::io::Result<()> {
        let mut lock = self.out.lock();
        lock.write_all(s.as_bytes())?;
        lock.write_all(b"\n")?;
        lock.flush()
    }

    /// The header line (CSV, table); nothing for JSONL.
    pub fn header(&mut self) -> std::io::Result<()> {
        match self.format {
            Format::Jsonl => Ok(()),
            Format::Csv => self.line(CSV_HEADER),
            Format::Table => {
                let h = table_header(self.path_width);
                self.line(&h)
            }
        }
    }

    /// One outcome.
    pub fn write(&mut self, o: &Outcome) -> std::io::Result<()> {
        let s = match self.format {
            Format::Jsonl => json_line(o),
            Format::Csv => csv_row(o),
            Format::Table => table_row(o, self.lang, self.path_width),
        };
        self.line(&s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quoting() {
        assert_eq!(csv_field("a.png"), "a.png");
        assert_eq!(csv_field("a,b.png"), "\"a,b.png\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("x\ny"), "\"x\ny\"");
    }

    #[test]
    fn rows_have_every_column() {
        let ok = Outcome::analysed("a.png".into(), Report::default());
        let bad = Outcome::failed("b,c.png".into(), "truncated".into());
        let cols = CSV_HEADER.split(',').count();
        assert_eq!(csv_row(&ok).split(',').count(), cols);
        // The quoted path holds one comma.
        assert_eq!(csv_row(&bad).split(',').count(), cols + 1);
        let v: serde_json::Value = serde_json::from_str(&json_line(&ok)).unwrap();
        assert_eq!(v["path"], "a.png");
        assert_eq!(v["verdict"], "reject");
        let v: serde_json::Value = serde_json::from_str(&json_line(&bad)).unwrap();
        assert_eq!(v["error"], "truncated");
    }
}
