//! Scoring reports against ground truth: per-reason precision, recall and F1, finger-count,
//! hand-side and verdict accuracy, and the share of distance estimates within 10%.
//!
//! Ground truth comes as JSON lines, one frame each (`labels.jsonl` from `fingerqc synth`, or
//! the hand-made labels of the real photo sets). Only `file` is required; a field left out is
//! not scored. A reason listed in `near_threshold` is left out of that reason's score (and out of
//! the verdict score when it alone decides the verdict): its true value lies so close to the
//! threshold that either answer is right.
//!
//! ```
//! use fingerqc::eval::{Scorecard, Truth};
//! use fingerqc::{ReasonCode, Report};
//! let truth: Truth = serde_json::from_str(
//!     r#"{"file": "a.png", "finger_count": 0, "reasons": ["no_hand"], "near_threshold": []}"#,
//! ).unwrap();
//! let mut report = Report::default();
//! report.reasons.push(fingerqc::Reason::new(ReasonCode::NoHand, 0.0, 1.0, fingerqc::Hand::Left));
//! let mut card = Scorecard::new();
//! card.add(&truth, &report);
//! assert_eq!(card.reason(ReasonCode::NoHand).recall(), Some(1.0));
//! assert_eq!(card.finger_count.accuracy(), Some(1.0));
//! ```

use crate::config::Hand;
use crate::error::{Error, Result};
use crate::report::{ReasonCode, Report, Verdict};
use serde::{Deserialize, Serialize};

/// Ground truth for one frame. Unknown fields (the generator writes many) are ignored.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Truth {
    /// Image file, relative to the labels file's folder (or absolute).
    pub file: String,
    /// Digits that count (thumb included when extended).
    #[serde(default)]
    pub finger_count: Option<u8>,
    /// The hand an analyzer given the right `mirrored` flag should report; `null` when unknown.
    #[serde(default)]
    pub hand: Option<Hand>,
    /// Whether the frame is mirrored; when given, the frame is analysed with this flag.
    #[serde(default)]
    pub mirrored: Option<bool>,
    /// True resolution at the fingers (0 or absent: not scored).
    #[serde(default)]
    pub ppi: Option<f32>,
    /// Reasons that hold under the default config; absent: reasons not scored.
    #[serde(default)]
    pub reasons: Option<Vec<ReasonCode>>,
    /// Reasons too close to their threshold to score.
    #[serde(default)]
    pub near_threshold: Vec<ReasonCode>,
}

/// Reads a labels file: one [`Truth`] per non-empty line.
pub fn read_labels(path: &std::path::Path) -> Result<Vec<Truth>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::Io {
        path: path.display().to_string(),
        source: e,
    })?;
    parse_labels(&text)
}

/// Parses JSON lines of [`Truth`]; the error names the line.
pub fn parse_labels(text: &str) -> Result<Vec<Truth>> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l)
                .map_err(|e| Error::ConfigParse(format!("labels line {}: {e}", i + 1)))
        })
        .collect()
}

/// Confusion counts of one reason code (serialised with its precision, recall and F1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReasonScore {
    /// The code.
    pub code: Option<ReasonCode>,
    /// Reported and true.
    pub tp: u64,
    /// Reported, not true.
    pub fp: u64,
    /// True, not reported.
    pub fn_: u64,
    /// Neither.
    pub tn: u64,
    /// Frames left out because the code was near its threshold.
    pub excluded: u64,
}

fn ratio(num: u64, den: u64) -> Option<f32> {
    (den > 0).then(|| num as f32 / den as f32)
}

impl Serialize for ReasonScore {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("ReasonScore", 9)?;
        st.serialize_field("code", &self.code)?;
        st.serialize_field("tp", &self.tp)?;
        st.serialize_field("fp", &self.fp)?;
        st.serialize_field("fn", &self.fn_)?;
        st.serialize_field("tn", &self.tn)?;
        st.serialize_field("excluded", &self.excluded)?;
        st.serialize_field("precision", &self.precision())?;
        st.serialize_field("recall", &self.recall())?;
        st.serialize_field("f1", &self.f1())?;
        st.end()
    }
}

impl ReasonScore {
    /// TP / (TP + FP); `None` when the code was never reported.
    pub fn precision(&self) -> Option<f32> {
        ratio(self.tp, self.tp + self.fp)
    }

    /// TP / (TP + FN); `None` when the code was never true.
    pub fn recall(&self) -> Option<f32> {
        ratio(self.tp, self.tp + self.fn_)
    }

    /// Harmonic mean of precision and recall: 2TP / (2TP + FP + FN); `None` when the code was
    /// neither true nor reported.
    pub fn f1(&self) -> Option<f32> {
        ratio(2 * self.tp, 2 * self.tp + self.fp + self.fn_)
    }

    /// Frames where the code was true.
    pub fn positives(&self) -> u64 {
        self.tp + self.fn_
    }
}

/// Correct answers out of the frames judged.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Accuracy {
    /// Right answers.
    pub correct: u64,
    /// Frames judged.
    pub judged: u64,
    /// Frames left out (near a threshold, or no truth).
    pub excluded: u64,
}

impl Accuracy {
    /// correct / judged.
    pub fn accuracy(&self) -> Option<f32> {
        ratio(self.correct, self.judged)
    }

    fn add(&mut self, ok: bool) {
        self.judged += 1;
        self.correct += ok as u64;
    }
}

/// How one frame fared, for listing the misses.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct FrameScore {
    /// The file.
    pub file: String,
    /// Reported but not true (near-threshold codes left out).
    pub false_positives: Vec<ReasonCode>,
    /// True but not reported (near-threshold codes left out).
    pub false_negatives: Vec<ReasonCode>,
    /// (truth, reported) finger count, when the truth has one.
    pub finger_count: Option<(u8, u8)>,
    /// (truth, reported) resolution, when both exist.
    pub ppi: Option<(f32, f32)>,
}

impl FrameScore {
    /// Whether every scored item of the frame is right.
    pub fn is_clean(&self) -> bool {
        self.false_positives.is_empty()
            && self.false_negatives.is_empty()
            && self.finger_count.is_none_or(|(t, r)| t == r)
    }
}

/// Largest finger count with its own row in the confusion matrix; more go in the last row.
pub const MAX_COUNT: usize = 6;

/// Scores accumulated over frames.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Scorecard {
    /// Frames scored (reports given).
    pub frames: u64,
    /// Frames whose file could not be analysed.
    pub errors: u64,
    /// One entry per [`ReasonCode::ALL`], in that order.
    pub reasons: Vec<ReasonScore>,
    /// Reported finger count equals the truth (frames near the too_few / too_many thresholds
    /// left out).
    pub finger_count: Accuracy,
    /// `confusion[truth][reported]` of finger counts, counts above [`MAX_COUNT`] in the last.
    pub finger_count_confusion: [[u64; MAX_COUNT + 1]; MAX_COUNT + 1],
    /// Reported hand equals the truth, over frames with a known hand and three or more true
    /// fingers (an `unknown` answer counts as wrong).
    pub hand: Accuracy,
    /// Of the judged hand frames, how many were answered `unknown`.
    pub hand_unknown: u64,
    /// Accept/reject equals the truth (accept iff no true reason).
    pub verdict: Accuracy,
    /// Estimated ppi within 10% of the truth, over frames with fingers and a true ppi (a missing
    /// estimate counts as a miss).
    pub ppi_within_10pct: Accuracy,
    /// Judged ppi frames without an estimate.
    pub ppi_missing: u64,
    /// Relative ppi errors |est/true - 1| of the frames with an estimate, for the median.
    #[serde(skip)]
    ppi_errors: Vec<f32>,
}

impl Default for Scorecard {
    fn default() -> Self {
        Self::new()
    }
}

fn code_index(code: ReasonCode) -> usize {
    ReasonCode::ALL.iter().position(|&c| c == code).unwrap_or(0)
}

impl Scorecard {
    /// An empty scorecard.
    pub fn new() -> Self {
        Scorecard {
            frames: 0,
            errors: 0,
            reasons: ReasonCode::ALL
                .iter()
                .map(|&c| ReasonScore {
                    code: Some(c),
                    ..ReasonScore::default()
                })
                .collect(),
            finger_count: Accuracy::default(),
            finger_count_confusion: [[0; MAX_COUNT + 1]; MAX_COUNT + 1],
            hand: Accuracy::default(),
            hand_unknown: 0,
            verdict: Accuracy::default(),
            ppi_within_10pct: Accuracy::default(),
            ppi_missing: 0,
            ppi_errors: Vec::new(),
        }
    }

    /// The score of one code.
    pub fn reason(&self, code: ReasonCode) -> ReasonScore {
        self.reasons
            .get(code_index(code))
            .copied()
            .unwrap_or_default()
    }

    /// Counts a frame whose file could not be analysed.
    pub fn add_error(&mut self) {
        self.errors += 1;
    }

    /// Scores one report against its truth.
    pub fn add(&mut self, truth: &Truth, report: &Report) -> FrameScore {
        self.frames += 1;
        let mut fs = FrameScore {
            file: truth.file.clone(),
            ..FrameScore::default()
        };
        let near = |c: ReasonCode| truth.near_threshold.contains(&c);
        if let Some(true_reasons) = &truth.reasons {
            for (score, &code) in self.reasons.iter_mut().zip(ReasonCode::ALL.iter()) {
                if near(code) {
                    score.excluded += 1;
                    continue;
                }
                match (true_reasons.contains(&code), report.has(code)) {
                    (true, true) => score.tp += 1,
                    (false, true) => {
                        score.fp += 1;
                        fs.false_positives.push(code);
                    }
                    (true, false) => {
                        score.fn_ += 1;
                        fs.false_negatives.push(code);
                    }
                    (false, false) => score.tn += 1,
                }
            }
            // The verdict is decided by the reasons away from their thresholds, unless there
            // are none and a near one could tip it either way.
            let firm_reject = true_reasons.iter().any(|&c| !near(c));
            let could_tip = !truth.near_threshold.is_empty();
            if firm_reject || !could_tip {
                let want = if firm_reject {
                    Verdict::Reject
                } else {
                    Verdict::Accept
                };
                self.verdict.add(report.verdict == want);
            } else {
                self.verdict.excluded += 1;
            }
        } else {
            self.verdict.excluded += 1;
        }

        match truth.finger_count {
            Some(t) if !near(ReasonCode::TooFewFingers) && !near(ReasonCode::TooManyFingers) => {
                let r = report.finger_count;
                self.finger_count.add(t == r);
                let (ti, ri) = ((t as usize).min(MAX_COUNT), (r as usize).min(MAX_COUNT));
                self.finger_count_confusion[ti][ri] += 1;
                fs.finger_count = Some((t, r));
            }
            _ => self.finger_count.excluded += 1,
        }

        match (truth.hand, truth.finger_count) {
            (Some(h), Some(n)) if h != Hand::Unknown && n >= 3 && !near(ReasonCode::WrongHand) => {
                self.hand.add(report.hand == h);
                self.hand_unknown += (report.hand == Hand::Unknown) as u64;
            }
            _ => self.hand.excluded += 1,
        }

        let has_fingers = truth.finger_count.is_none_or(|n| n > 0);
        match truth.ppi {
            Some(t) if t > 0.0 && has_fingers => match report.estimated_ppi {
                Some(e) => {
                    let err = (e / t - 1.0).abs();
                    self.ppi_within_10pct.add(err <= 0.10);
                    self.ppi_errors.push(err);
                    fs.ppi = Some((t, e));
                }
                None => {
                    self.ppi_within_10pct.add(false);
                    self.ppi_missing += 1;
                }
            },
            _ => self.ppi_within_10pct.excluded += 1,
        }
        fs
    }

    /// Median of |estimated / true ppi - 1| over frames with an estimate.
    pub fn ppi_median_error(&self) -> Option<f32> {
        let mut v = self.ppi_errors.clone();
        if v.is_empty() {
            return None;
        }
        v.sort_by(|a, b| a.total_cmp(b));
        Some(v[v.len() / 2])
    }

    /// Merges another scorecard (from another thread or batch) into this one.
    pub fn merge(&mut self, other: &Scorecard) {
        self.frames += other.frames;
        self.errors += other.errors;
        for (a, b) in self.reasons.iter_mut().zip(&other.reasons) {
            a.tp += b.tp;
            a.fp += b.fp;
            a.fn_ += b.fn_;
            a.tn += b.tn;
            a.excluded += b.excluded;
        }
        for (a, b) in [
            (&mut self.finger_count, &other.finger_count),
            (&mut self.hand, &other.hand),
            (&mut self.verdict, &other.verdict),
            (&mut self.ppi_within_10pct, &other.ppi_within_10pct),
        ] {
            a.correct += b.correct;
            a.judged += b.judged;
            a.excluded += b.excluded;
        }
        for (ra, rb) in self
            .finger_count_confusion
            .iter_mut()
            .zip(&other.finger_count_confusion)
        {
            for (a, b) in ra.iter_mut().zip(rb) {
                *a += b;
            }
        }
        self.hand_unknown += other.hand_unknown;
        self.ppi_missing += other.ppi_missing;
        self.ppi_errors.extend_from_slice(&other.ppi_errors);
    }

    /// A plain-text table of every score (Markdown-compatible), for reports and the terminal.
    pub fn to_table(&self) -> String {
        let pct = |v: Option<f32>| v.map_or("-".to_string(), |x| format!("{:.3}", x));
        let mut s = String::new();
        s.push_str(&format!(
            "frames scored: {}, errors: {}\n\n",
            self.frames, self.errors
        ));
        s.push_str(
            "| reason | true | reported | TP | FP | FN | excluded | precision | recall | F1 |\n",
        );
        s.push_str("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for r in &self.reasons {
            let name = r.code.map_or("?", |c| c.as_str());
            s.push_str(&format!(
                "| {name} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
                r.positives(),
                r.tp + r.fp,
                r.tp,
                r.fp,
                r.fn_,
                r.excluded,
                pct(r.precision()),
                pct(r.recall()),
                pct(r.f1()),
            ));
        }
        let acc = |name: &str, a: &Accuracy| {
            format!(
                "| {name} | {} | {} | {} | {} |\n",
                pct(a.accuracy()),
                a.correct,
                a.judged,
                a.excluded
            )
        };
        s.push_str("\n| measure | value | correct | judged | excluded |\n");
        s.push_str("|---|---:|---:|---:|---:|\n");
        s.push_str(&acc("finger-count accuracy", &self.finger_count));
        s.push_str(&acc("hand accuracy (>= 3 fingers)", &self.hand));
        s.push_str(&acc("verdict accuracy", &self.verdict));
        s.push_str(&acc("ppi within 10%", &self.ppi_within_10pct));
        s.push_str(&format!(
            "\nhand answered unknown: {}; ppi missing: {}; median |ppi error|: {}\n",
            self.hand_unknown,
            self.ppi_missing,
            self.ppi_median_error()
                .map_or("-".into(), |e| format!("{:.1}%", 100.0 * e))
        ));
        s.push_str("\nfinger count confusion (rows: truth, columns: reported; last = 6+):\n");
        s.push_str("      ");
        for c in 0..=MAX_COUNT {
            s.push_str(&format!("{c:>6}"));
        }
        s.push('\n');
        for (t, row) in self.finger_count_confusion.iter().enumerate() {
            if row.iter().all(|&v| v == 0) {
                continue;
            }
            s.push_str(&format!("{t:>6}"));
            for v in row {
                s.push_str(&format!("{v:>6}"));
            }
            s.push('\n');
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Reason;

    fn report(codes: &[ReasonCode], count: u8, hand: Hand, ppi: Option<f32>) -> Report {
        let mut r = Report {
            finger_count: count,
            hand,
            estimated_ppi: ppi,
            ..Report::default()
        };
        for &c in codes {
            r.reasons.push(Reason::new(c, 0.0, 0.0, Hand::Left));
        }
        r.verdict = if codes.is_empty() {
            Verdict::Accept
        } else {
            Verdict::Reject
        };
        r
    }

    fn truth(codes: &[ReasonCode], near: &[ReasonCode], count: u8, ppi: f32) -> Truth {
        Truth {
            file: "f.png".into(),
            finger_count: Some(count),
            hand: Some(Hand::Left),
            mirrored: Some(false),
            ppi: Some(ppi),
            reasons: Some(codes.to_vec()),
            near_threshold: near.to_vec(),
        }
    }

    #[test]
    fn counts_precision_recall_f1() {
        use ReasonCode::*;
        let mut c = Scorecard::new();
        // TP glare, FP too_dark, FN too_far.
        c.add(
            &truth(&[Glare, TooFar], &[], 4, 300.0),
            &report(&[Glare, TooDark], 4, Hand::Left, Some(310.0)),
        );
        // TN glare; TP too_far.
        c.add(
            &truth(&[TooFar], &[], 4, 300.0),
            &report(&[TooFar], 4, Hand::Left, Some(400.0)),
        );
        let g = c.reason(Glare);
        assert_eq!((g.tp, g.fp, g.fn_, g.tn), (1, 0, 0, 1));
        let f = c.reason(TooFar);
        assert_eq!((f.tp, f.fn_), (1, 1));
        assert_eq!(f.recall(), Some(0.5));
        assert_eq!(f.precision(), Some(1.0));
        assert!((f.f1().unwrap() - 2.0 / 3.0).abs() < 1e-6);
        assert_eq!(c.reason(TooDark).precision(), Some(0.0));
        assert_eq!(c.reason(TooDark).recall(), None);
        assert_eq!(c.reason(NoHand).f1(), None);
        // 310 vs 300 within 10%, 400 vs 300 not.
        assert_eq!(
            (c.ppi_within_10pct.correct, c.ppi_within_10pct.judged),
            (1, 2)
        );
        assert_eq!(c.verdict.accuracy(), Some(1.0));
        assert_eq!(c.finger_count.accuracy(), Some(1.0));
        assert_eq!(c.hand.accuracy(), Some(1.0));
    }

    #[test]
    fn near_threshold_codes_are_left_out() {
        use ReasonCode::*;
        let mut c = Scorecard::new();
        // Only a near-threshold glare: verdict could go either way, glare not scored.
        let fs = c.add(
            &truth(&[Glare], &[Glare], 4, 500.0),
            &report(&[], 4, Hand::Left, Some(500.0)),
        );
        assert!(fs.false_negatives.is_empty());
        assert_eq!(c.reason(Glare).excluded, 1);
        assert_eq!(c.reason(Glare).positives(), 0);
        assert_eq!((c.verdict.judged, c.verdict.excluded), (0, 1));
        // A firm reason besides the near one: the verdict is judged.
        c.add(
            &truth(&[TooDark], &[Glare], 4, 500.0),
            &report(&[TooDark, Glare], 4, Hand::Left, Some(500.0)),
        );
        assert_eq!(c.verdict.judged, 1);
        assert_eq!(c.reason(Glare).fp, 0);
        // Near too_few_fingers: the count is not judged.
        c.add(
            &truth(&[], &[TooFewFingers], 4, 500.0),
            &report(&[TooFewFingers], 3, Hand::Left, Some(500.0)),
        );
        assert_eq!(c.finger_count.excluded, 1);
    }

    #[test]
    fn real_pose_labels_score_count_and_hand_only() {
        let t: Vec<Truth> = parse_labels(
            "{\"file\": \"a.jpg\", \"finger_count\": 4, \"hand\": \"right\", \"notes\": \"x\"}\n\n\
             {\"file\": \"b.jpg\", \"finger_count\": 2, \"hand\": null}\n",
        )
        .unwrap();
        assert_eq!(t.len(), 2);
        let mut c = Scorecard::new();
        c.add(&t[0], &report(&[], 4, Hand::Unknown, None));
        c.add(&t[1], &report(&[], 3, Hand::Left, None));
        assert_eq!((c.finger_count.correct, c.finger_count.judged), (1, 2));
        assert_eq!((c.hand.correct, c.hand.judged, c.hand_unknown), (0, 1, 1));
        assert_eq!(c.verdict.judged, 0);
        assert_eq!(c.ppi_within_10pct.judged, 0);
        assert_eq!(c.finger_count_confusion[2][3], 1);
        assert!(parse_labels("{\"nofile\": 1}").is_err());
    }

    #[test]
    fn merge_equals_sequential() {
        use ReasonCode::*;
        let pairs = [
            (
                truth(&[Glare], &[], 4, 500.0),
                report(&[Glare], 4, Hand::Left, Some(520.0)),
            ),
            (
                truth(&[], &[], 4, 500.0),
                report(&[TooFar], 3, Hand::Right, None),
            ),
        ];
        let mut all = Scorecard::new();
        let (mut a, mut b) = (Scorecard::new(), Scorecard::new());
        all.add(&pairs[0].0, &pairs[0].1);
        all.add(&pairs[1].0, &pairs[1].1);
        a.add(&pairs[0].0, &pairs[0].1);
        b.add(&pairs[1].0, &pairs[1].1);
        a.merge(&b);
        assert_eq!(a, all);
        assert!(
            all.to_table()
                .contains("| glare | 1 | 1 | 1 | 0 | 0 | 0 | 1.000 | 1.000 | 1.000 |")
        );
    }
}
