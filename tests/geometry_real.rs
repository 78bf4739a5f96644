//! Finger count and hand side on real photos of hands taken by people outside the team
//! (`shared/data/real-pose`: ASL digits at 100x100 on paper, ASL letters at 416x416 in rooms).
//! Labels were set by eye: `finger_count` counts extended digits (thumb included), `hand` is the
//! apparent side (or null when it cannot be told). ASL "4" and "B" are the capture pose.
//!
//! These are small, wide-angle photos (a fingertip is 8-40 px wide, no ridges), far from the
//! close-up frames the library is built for, so the floors below are modest; they are set a
//! few points under what the current code measures so a regression fails the test. Run with
//! `--nocapture` for the per-image table.

use fingerqc::{Analyzer, Config, Hand};
use std::path::{Path, PathBuf};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data/real-pose");

struct Item {
    path: PathBuf,
    name: String,
    class: String,
    count: u8,
    hand: Option<Hand>,
    palm: bool,
}

fn load_labels(dir: &Path) -> Vec<Item> {
    let mut items = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return items;
    };
    let mut dirs: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    dirs.sort();
    for sub in dirs {
        let Ok(text) = std::fs::read_to_string(sub.join("labels.jsonl")) else {
            continue;
        };
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let v: serde_json::Value = serde_json::from_str(line).expect("labels.jsonl line");
            let file = v["file"].as_str().expect("file").to_string();
            items.push(Item {
                path: sub.join(&file),
                name: file,
                class: v["source_label"].as_str().unwrap_or("").to_string(),
                count: v["finger_count"].as_u64().expect("finger_count") as u8,
                hand: match v["hand"].as_str() {
                    Some("left") => Some(Hand::Left),
                    Some("right") => Some(Hand::Right),
                    _ => None,
                },
                palm: v["palm_facing_camera"].as_bool().unwrap_or(false),
            });
        }
    }
    items
}

#[test]
fn finger_count_and_hand_side_on_real_photos() {
    let dir = Path::new(DATA);
    if !dir.exists() {
        eprintln!("skipping: {} not found", dir.display());
        return;
    }
    let items = load_labels(dir);
    assert!(
        items.len() >= 60,
        "expected the 81 labelled photos, found {}",
        items.len()
    );
    let config = Config::default();
    let mut analyzer = Analyzer::new(config.clone()).expect("default config");
    let (mut target_n, mut target_ok) = (0, 0);
    let (mut neg_n, mut neg_ok) = (0, 0);
    let mut exact = 0;
    let (mut side_n, mut side_decided, mut side_ok) = (0, 0, 0);
    let mut total_us = 0u64;
    println!(
        "{:<34} {:<9} {:>5} {:>5}  {:<6} {:<8} {:>5}",
        "image", "class", "truth", "found", "side", "found", "conf"
    );
    for it in &items {
        let frame = fingerqc::io::load_image(&it.path, &config.limits).expect("decodes");
        let view = frame.view().expect("view");
        let report = analyzer.analyze(&view).expect("analyses");
        total_us += report.elapsed_us;
        let geo = analyzer.internals().geometry;
        let found = report.finger_count;
        let target = it.class == "digit_4" || it.class == "letter_B";
        if target {
            target_n += 1;
            target_ok += (found == 4) as usize;
        } else if it.count != 4 {
            neg_n += 1;
            neg_ok += (found != 4) as usize;
        }
        exact += (found == it.count) as usize;
        let mut side_mark = "";
        if let Some(truth) = it.hand {
            if it.count >= 3 && it.palm && found >= 3 {
                side_n += 1;
                if geo.hand != Hand::Unknown {
                    side_decided += 1;
                    let ok = geo.hand == truth;
                    side_ok += ok as usize;
                    side_mark = if ok { "ok" } else { "WRONG" };
                }
            }
        }
        println!(
            "{:<34} {:<9} {:>5} {:>5}{} {:<6} {:<8} {:>5.2} {}",
            it.name,
            it.class,
            it.count,
            found,
            if found == it.count { " " } else { "*" },
            it.hand
                .map(|h| format!("{h:?}"))
                .unwrap_or_else(|| "-".into()),
            format!("{:?}", geo.hand),
            geo.hand_confidence,
            side_mark
        );
    }
    let rate = |a: usize, b: usize| a as f32 / b.max(1) as f32;
    println!(
        "target pose (ASL 4/B) counted 4: {target_ok}/{target_n} = {:.2}",
        rate(target_ok, target_n)
    );
    println!(
        "negatives not counted as 4: {neg_ok}/{neg_n} = {:.2}",
        rate(neg_ok, neg_n)
    );
    println!(
        "exact count: {exact}/{} = {:.2}",
        items.len(),
        rate(exact, items.len())
    );
    println!(
        "hand side (label known, >= 3 fingers truth and found): decided {side_decided}/{side_n}, right {side_ok}/{side_decided} = {:.2}",
        rate(side_ok, side_decided)
    );
    println!(
        "mean analysis time {:.0} us/frame",
        total_us as f32 / items.len() as f32
    );
    // Floors a few points under the measured values (see the module comment).
    // Measured: target 0.70 (26/37; 23 before fragments gave way to a complete hand),
    // negatives 0.89 (39/44), side 0.80 (37 of 46 decided).
    assert!(
        rate(target_ok, target_n) >= 0.62,
        "target pose counted as 4"
    );
    assert!(rate(neg_ok, neg_n) >= 0.88, "negatives not counted as 4");
    assert!(rate(side_ok, side_decided) >= 0.74, "hand side");
}
