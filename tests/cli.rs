//! Runs the built `fingerqc` binary over a folder of good and bad files and checks the output
//! of every format, the error lines and the exit status.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_fingerqc");

/// A fresh, empty folder for one test under cargo's temporary directory.
fn temp_dir(name: &str) -> PathBuf {
    let d =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// CRC-32 (ISO-HDLC, as PNG uses), bit by bit: small and obviously right.
fn crc32(bytes: &[u8]) -> u32 {
    let mut c = 0xFFFF_FFFFu32;
    for &b in bytes {
        c ^= b as u32;
        for _ in 0..8 {
            c = if c & 1 != 0 {
                (c >> 1) ^ 0xEDB8_8320
            } else {
                c >> 1
            };
        }
    }
    !c
}

fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut v = (data.len() as u32).to_be_bytes().to_vec();
    v.extend_from_slice(kind);
    v.extend_from_slice(data);
    let mut crc_in = kind.to_vec();
    crc_in.extend_from_slice(data);
    v.extend_from_slice(&crc32(&crc_in).to_be_bytes());
    v
}

/// A PNG whose header claims `w` x `h` RGB pixels, with a valid IHDR CRC and a tiny IDAT.
fn png_claiming(w: u32, h: u32) -> Vec<u8> {
    let mut v = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = w.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit, RGB, deflate, adaptive, no interlace
    v.extend(png_chunk(b"IHDR", &ihdr));
    v.extend(png_chunk(
        b"IDAT",
        &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    ));
    v.extend(png_chunk(b"IEND", &[]));
    v
}

fn encode(img: &image::DynamicImage, format: image::ImageFormat) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, format).unwrap();
    out.into_inner()
}

/// A hand-coloured blob on a dark background: decodes fine, whatever the analyzer says of it.
fn good_image(w: u32, h: u32) -> image::DynamicImage {
    image::RgbImage::from_fn(w, h, |x, y| {
        let inside = (x as i32 - w as i32 / 2).abs() < w as i32 / 4 && y > h / 5;
        if inside {
            image::Rgb([200, 150, 120])
        } else {
            image::Rgb([30, 40, 50])
        }
    })
    .into()
}

/// Good and bad files; returns the folder and the names expected in the output with whether
/// each is an error.
fn make_corpus(dir: &Path) -> Vec<(String, bool)> {
    let png = encode(&good_image(320, 240), image::ImageFormat::Png);
    let jpg = encode(&good_image(300, 200), image::ImageFormat::Jpeg);
    std::fs::write(dir.join("good1.png"), &png).unwrap();
    std::fs::write(dir.join("good2.jpg"), &jpg).unwrap();
    std::fs::write(dir.join("GOOD3.PNG"), &png).unwrap();
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    std::fs::write(dir.join("sub/good4.JPEG"), &jpg).unwrap();
    std::fs::write(dir.join("truncated.png"), &png[..png.len() / 2]).unwrap();
    // A JPEG cut inside its headers, then garbage: no decoder can recover a frame.
    let mut corrupt = jpg[..40.min(jpg.len())].to_vec();
    corrupt.extend(std::iter::repeat_n(0xA5u8, 500));
    std::fs::write(dir.join("corrupt.jpg"), &corrupt).unwrap();
    std::fs::write(dir.join("text.png"), b"this is not a PNG, just text\n").unwrap();
    std::fs::write(dir.join("huge.png"), png_claiming(100_000, 100_000)).unwrap();
    std::fs::write(dir.join("empty.jpg"), b"").unwrap();
    // Not an image extension: folders are searched for images only, so it is skipped.
    std::fs::write(dir.join("notes.txt"), b"skip me").unwrap();
    let mut v: Vec<(String, bool)> = [
        ("GOOD3.PNG", false),
        ("corrupt.jpg", true),
        ("empty.jpg", true),
        ("good1.png", false),
        ("good2.jpg", false),
        ("huge.png", true),
        ("sub/good4.JPEG", false),
        ("text.png", true),
        ("truncated.png", true),
    ]
    .iter()
    .map(|(n, e)| (dir.join(n).to_string_lossy().into_owned(), *e))
    .collect();
    v.sort();
    v
}

fn run(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().expect("binary runs")
}

fn stdout_lines(o: &Output) -> Vec<String> {
    String::from_utf8(o.stdout.clone())
        .expect("UTF-8 output")
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn jsonl_has_one_valid_line_per_file_and_errors_for_bad_ones() {
    let dir = temp_dir("jsonl");
    let expected = make_corpus(&dir);
    let o = run(&[
        "analyze",
        "--format",
        "jsonl",
        "--jobs",
        "2",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "some files failed: exit 1");
    let lines = stdout_lines(&o);
    assert_eq!(lines.len(), expected.len(), "one line per file: {lines:#?}");
    for (line, (path, is_error)) in lines.iter().zip(&expected) {
        let v: serde_json::Value = serde_json::from_str(line).expect("valid JSON line");
        assert_eq!(
            v["path"].as_str(),
            Some(path.as_str()),
            "sorted input order"
        );
        if *is_error {
            assert!(v["error"].as_str().is_some_and(|e| !e.is_empty()), "{line}");
            assert!(v.get("verdict").is_none(), "{line}");
        } else {
            for key in [
                "width",
                "height",
                "verdict",
                "reasons",
                "finger_count",
                "hand",
                "estimated_ppi",
                "fingers",
                "elapsed_us",
            ] {
                assert!(v.get(key).is_some(), "{key} missing in {line}");
            }
            let (w, h) = if path.ends_with(".png") || path.ends_with(".PNG") {
                (320, 240)
            } else {
                (300, 200)
            };
            assert_eq!(
                (v["width"].as_u64(), v["height"].as_u64()),
                (Some(w), Some(h))
            );
            for r in v["reasons"].as_array().unwrap() {
                for key in ["code", "message", "message_ar", "value", "threshold"] {
                    assert!(r.get(key).is_some(), "reason {key} missing in {line}");
                }
            }
        }
    }
    // The oversized header is refused by the limits, not attempted.
    let huge = lines.iter().find(|l| l.contains("huge.png")).unwrap();
    assert!(huge.contains("limit") || huge.contains("Limit"), "{huge}");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("9 files") && err.contains("5 errors"),
        "summary: {err}"
    );
}

#[test]
fn all_good_files_exit_zero_and_output_is_independent_of_jobs() {
    let dir = temp_dir("good");
    let png = encode(&good_image(320, 240), image::ImageFormat::Png);
    for i in 0..7 {
        std::fs::write(dir.join(format!("f{i}.png")), &png).unwrap();
    }
    let strip = |o: &Output| -> Vec<serde_json::Value> {
        stdout_lines(o)
            .iter()
            .map(|l| {
                let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
                v.as_object_mut().unwrap().remove("elapsed_us");
                v
            })
            .collect()
    };
    let d = dir.to_str().unwrap();
    let one = run(&["analyze", "--format", "jsonl", "-j", "1", d]);
    let three = run(&["analyze", "--format", "jsonl", "-j", "3", d]);
    assert_eq!(one.status.code(), Some(0));
    assert_eq!(three.status.code(), Some(0));
    assert_eq!(strip(&one).len(), 7);
    assert_eq!(strip(&one), strip(&three));
}

/// Splits one CSV line (RFC 4180 quoting; no embedded line breaks in these tests).
fn parse_csv_line(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                fields.last_mut().unwrap().push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(String::new()),
            (c, _) => fields.last_mut().unwrap().push(c),
        }
    }
    fields
}

#[test]
fn csv_parses_with_one_row_per_file() {
    let dir = temp_dir("csv");
    let expected = make_corpus(&dir);
    let o = run(&["analyze", "--format", "csv", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let lines = stdout_lines(&o);
    let header = parse_csv_line(&lines[0]);
    assert_eq!(
        header,
        [
            "path",
            "width",
            "height",
            "verdict",
            "finger_count",
            "hand",
            "estimated_ppi",
            "reasons",
            "elapsed_us",
            "error"
        ]
    );
    assert_eq!(lines.len() - 1, expected.len());
    for (line, (path, is_error)) in lines[1..].iter().zip(&expected) {
        let f = parse_csv_line(line);
        assert_eq!(f.len(), header.len(), "{line}");
        assert_eq!(&f[0], path);
        assert_eq!(f[9].is_empty(), !is_error, "{line}");
        if !is_error {
            assert!(f[1].parse::<u32>().is_ok() && f[2].parse::<u32>().is_ok());
            assert!(["accept", "reject"].contains(&f[3].as_str()));
            assert!(f[8].parse::<u64>().is_ok());
            for code in f[7].split(';').filter(|c| !c.is_empty()) {
                assert!(fingerqc::ReasonCode::from_code(code).is_some(), "{code}");
            }
        }
    }
}

#[test]
fn table_has_header_and_aligned_rows_in_both_languages() {
    let dir = temp_dir("table");
    let expected = make_corpus(&dir);
    for lang in ["en", "ar"] {
        let o = run(&["analyze", "--lang", lang, dir.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(1));
        let lines = stdout_lines(&o);
        assert!(lines[0].starts_with("PATH"));
        assert_eq!(lines.len() - 1, expected.len());
        // The verdict column starts at the same character in every row.
        let col = lines[0].find("VERDICT").unwrap();
        for (line, (path, is_error)) in lines[1..].iter().zip(&expected) {
            assert!(line.starts_with(path.as_str()));
            let verdict: String = line.chars().skip(col).take(7).collect();
            let want = if *is_error { "error" } else { "" };
            assert!(
                verdict.starts_with(want)
                    && ["error", "accept", "reject"]
                        .iter()
                        .any(|v| verdict.starts_with(v)),
                "{lang}: {line}"
            );
        }
    }
}

#[test]
fn missing_path_is_reported_and_fails() {
    let dir = temp_dir("missing");
    let good = dir.join("ok.png");
    std::fs::write(&good, encode(&good_image(64, 48), image::ImageFormat::Png)).unwrap();
    let missing = dir.join("nope.png");
    let o = run(&[
        "analyze",
        "--format",
        "jsonl",
        good.to_str().unwrap(),
        missing.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let lines = stdout_lines(&o);
    assert_eq!(lines.len(), 2);
    let v: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
    assert_eq!(v["path"].as_str(), Some(missing.to_str().unwrap()));
    assert!(v["error"].as_str().unwrap().contains("cannot open"));
}

#[cfg(unix)]
#[test]
fn non_utf8_file_names_are_printed_lossily() {
    use std::os::unix::ffi::OsStrExt;
    let dir = temp_dir("nonutf8");
    let name = std::ffi::OsStr::from_bytes(b"bad\xffname.png");
    std::fs::write(
        dir.join(name),
        encode(&good_image(64, 48), image::ImageFormat::Png),
    )
    .unwrap();
    let o = run(&["analyze", "--format", "jsonl", dir.to_str().unwrap()]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let lines = stdout_lines(&o);
    assert_eq!(lines.len(), 1);
    let v: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
    assert!(v["path"].as_str().unwrap().ends_with("bad\u{FFFD}name.png"));
}

#[test]
fn bad_config_is_a_usage_error() {
    let dir = temp_dir("config");
    let cfg = dir.join("c.toml");
    std::fs::write(&cfg, "[ppi]\nmin = 900.0\n").unwrap();
    let o = run(&[
        "analyze",
        "--config",
        cfg.to_str().unwrap(),
        dir.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("ppi.min"));
}

#[test]
fn eval_scores_every_labelled_frame_and_counts_missing_files_as_errors() {
    let dir = temp_dir("eval");
    let png = encode(&good_image(320, 240), image::ImageFormat::Png);
    std::fs::write(dir.join("a.png"), &png).unwrap();
    std::fs::write(dir.join("b.png"), &png).unwrap();
    let labels = dir.join("labels.jsonl");
    std::fs::write(
        &labels,
        concat!(
            r#"{"file": "a.png", "finger_count": 4, "hand": "left", "mirrored": false, "ppi": 500.0, "reasons": [], "near_threshold": []}"#,
            "\n",
            r#"{"file": "b.png", "finger_count": 4, "hand": "left", "mirrored": true, "ppi": 500.0, "reasons": ["glare"], "near_threshold": ["glare"], "extra": 1}"#,
            "\n",
            r#"{"file": "gone.png", "finger_count": 0, "reasons": ["no_hand"], "near_threshold": []}"#,
            "\n"
        ),
    )
    .unwrap();
    let misses = dir.join("misses.jsonl");
    let o = run(&[
        "eval",
        "--labels",
        labels.to_str().unwrap(),
        "--json",
        "--misses",
        misses.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "a missing file fails the run");
    let card: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON scorecard");
    assert_eq!(card["frames"], 2);
    assert_eq!(card["errors"], 1);
    let reasons = card["reasons"].as_array().unwrap();
    assert_eq!(reasons.len(), fingerqc::ReasonCode::ALL.len());
    for r in reasons {
        let n: u64 = ["tp", "fp", "fn", "tn", "excluded"]
            .iter()
            .map(|k| r[*k].as_u64().unwrap())
            .sum();
        assert_eq!(n, 2, "every scored frame lands in one cell: {r}");
    }
    let glare = reasons.iter().find(|r| r["code"] == "glare").unwrap();
    assert_eq!(glare["excluded"], 1, "near-threshold glare left out");
    assert_eq!(card["finger_count"]["judged"], 2);
    assert_eq!(card["ppi_within_10pct"]["judged"], 2);
    for line in std::fs::read_to_string(&misses).unwrap().lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(v["file"] == "a.png" || v["file"] == "b.png");
    }
    // The table form prints the same scores.
    let o = run(&["eval", "--labels", labels.to_str().unwrap()]);
    let table = String::from_utf8(o.stdout).unwrap();
    assert!(table.contains("| glare |") && table.contains("finger-count accuracy"));
}

#[test]
fn shipped_real_images_all_decode_and_analyse() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata");
    let (real, pose) = (root.join("real"), root.join("real-pose"));
    if !real.is_dir() || !pose.is_dir() {
        eprintln!("testdata/real not present: skipped");
        return;
    }
    let o = run(&[
        "analyze",
        "--format",
        "jsonl",
        real.to_str().unwrap(),
        pose.to_str().unwrap(),
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let lines = stdout_lines(&o);
    // 17 in real/ and 81 in real-pose/ (ATTRIBUTION.md); labels and licences are not images.
    assert_eq!(lines.len(), 17 + 81);
    let size = |name: &str| {
        let l = lines.iter().find(|l| l.contains(name)).unwrap();
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        (v["width"].as_u64().unwrap(), v["height"].as_u64().unwrap())
    };
    // Known sizes from ATTRIBUTION.md (gray+alpha PNG, 12 MP JPEG, iPhone JPEG).
    assert_eq!(size("examples_prints_arch.png"), (256, 240));
    assert_eq!(size("hand_victory.jpg"), (3000, 4000));
    assert_eq!(size("3_camera_finger.jpg"), (2847, 1671));
    assert_eq!(size("probe.png"), (388, 374));
}

#[test]
fn synth_writes_deterministic_frames_and_labels_that_eval_reads() {
    let dir = temp_dir("synth");
    let (a, b) = (dir.join("a"), dir.join("b"));
    for out in [&a, &b] {
        let o = run(&[
            "synth",
            "--out",
            out.to_str().unwrap(),
            "--n",
            "3",
            "--seed",
            "1000000",
            "--width",
            "480",
            "--height",
            "320",
        ]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    let labels = std::fs::read_to_string(a.join("labels.jsonl")).unwrap();
    let lines: Vec<serde_json::Value> = labels
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    for (i, v) in lines.iter().enumerate() {
        let file = format!("{}.png", 1_000_000 + i);
        assert_eq!(v["file"], file.as_str());
        assert_eq!(v["seed"], 1_000_000 + i as u64);
        assert!(v["reasons"].is_array() && v["near_threshold"].is_array());
        // Same seed, same bytes.
        assert_eq!(
            std::fs::read(a.join(&file)).unwrap(),
            std::fs::read(b.join(&file)).unwrap()
        );
        let img = image::open(a.join(&file)).unwrap();
        assert_eq!((img.width(), img.height()), (480, 320));
    }
    let o = run(&[
        "eval",
        "--labels",
        a.join("labels.jsonl").to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(0));
    let card: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        (card["frames"].as_u64(), card["errors"].as_u64()),
        (Some(3), Some(0))
    );
}

#[test]
fn shipped_synthetic_frames_cover_every_single_frame_reason_and_evaluate() {
    let labels = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/synth/labels.jsonl");
    if !labels.is_file() {
        eprintln!("testdata/synth not present: skipped");
        return;
    }
    let text = std::fs::read_to_string(&labels).unwrap();
    let truths = fingerqc::eval::parse_labels(&text).unwrap();
    assert!(truths.len() >= 24, "a few dozen frames: {}", truths.len());
    // Every code a single frame can have, away from its threshold (hold_still needs a
    // sequence; scripts/make-testdata.sh says so).
    for code in fingerqc::ReasonCode::ALL {
        if code == fingerqc::ReasonCode::HoldStill {
            continue;
        }
        let firm = truths
            .iter()
            .filter(|t| {
                t.reasons.as_ref().is_some_and(|r| r.contains(&code))
                    && !t.near_threshold.contains(&code)
            })
            .count();
        assert!(firm >= 2, "{code}: {firm} frames");
    }
    assert!(
        truths
            .iter()
            .any(|t| t.reasons.as_ref().is_some_and(|r| r.is_empty()))
    );
    let o = run(&["eval", "--labels", labels.to_str().unwrap(), "--json"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let card: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(card["frames"].as_u64(), Some(truths.len() as u64));
    assert_eq!(card["errors"].as_u64(), Some(0));
}

/// `--rotation` on `analyze` and `eval`: frames saved a quarter turn from upright read as the
/// upright ones when the turn that makes them upright is given; another angle is refused.
#[test]
fn rotation_flag_reads_turned_frames_as_upright_ones() {
    let dir = temp_dir("rotation");
    let (up, turned) = (dir.join("up"), dir.join("turned"));
    let o = run(&[
        "synth",
        "--out",
        up.to_str().unwrap(),
        "--n",
        "4",
        "--seed",
        "5000000",
        "--width",
        "640",
        "--height",
        "360",
    ]);
    assert_eq!(o.status.code(), Some(0));
    std::fs::create_dir_all(&turned).unwrap();
    let labels = std::fs::read_to_string(up.join("labels.jsonl")).unwrap();
    std::fs::write(turned.join("labels.jsonl"), &labels).unwrap();
    let mut files = Vec::new();
    for line in labels.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let file = v["file"].as_str().unwrap().to_string();
        // Turned a quarter counter-clockwise: 90 degrees clockwise makes it upright.
        let img = image::open(up.join(&file)).unwrap().rotate270();
        img.save(turned.join(&file)).unwrap();
        files.push(file);
    }
    let read = |dir: &Path, rotation: Option<&str>| -> Vec<(u64, String)> {
        let mut args = vec!["analyze", "--format", "jsonl", "-j", "1"];
        if let Some(r) = rotation {
            args.extend(["--rotation", r]);
        }
        let paths: Vec<String> = files
            .iter()
            .map(|f| dir.join(f).to_str().unwrap().to_string())
            .collect();
        args.extend(paths.iter().map(String::as_str));
        let o = run(&args);
        stdout_lines(&o)
            .iter()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                (
                    v["finger_count"].as_u64().unwrap(),
                    v["hand"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let upright = read(&up, None);
    assert_eq!(upright.len(), 4);
    assert!(upright.iter().any(|(n, _)| *n >= 3), "{upright:?}");
    // The generated frames divide into whole reduced blocks, so the turn is exact.
    assert_eq!(read(&turned, Some("90")), upright);
    let score = |dir: &Path, rotation: Option<&str>| -> serde_json::Value {
        let labels = dir.join("labels.jsonl");
        let mut args = vec!["eval", "--json", "--labels", labels.to_str().unwrap()];
        if let Some(r) = rotation {
            args.extend(["--rotation", r]);
        }
        let o = run(&args);
        let card: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        card["finger_count"].clone()
    };
    assert_eq!(score(&turned, Some("90")), score(&up, None));
    for cmd in ["analyze", "eval"] {
        let labels = turned.join("labels.jsonl");
        let target = if cmd == "analyze" {
            vec!["analyze", "--rotation", "45", turned.to_str().unwrap()]
        } else {
            vec![
                "eval",
                "--rotation",
                "45",
                "--labels",
                labels.to_str().unwrap(),
            ]
        };
        assert_eq!(run(&target).status.code(), Some(2), "{cmd} --rotation 45");
    }
}
