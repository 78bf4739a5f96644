//! Dev aid: one JSON line per counted finger with what the ridge and focus stages measured,
//! beside the frame's labels, for studying a reason's decision rule on generated frames.
//!
//! `cargo run --release --example finger_features -- LABELS.jsonl > features.jsonl`
//! (the frames sit beside the labels file, named by its `file` field).

use fingerqc::{Analyzer, Config, FrameView};
use std::io::{BufRead, Write};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let labels = std::env::args()
        .nth(1)
        .ok_or("usage: finger_features LABELS.jsonl")?;
    let dir = std::path::Path::new(&labels)
        .parent()
        .ok_or("labels file has no folder")?
        .to_path_buf();
    let mut analyzer = Analyzer::new(Config::default())?;
    let out = std::io::stdout();
    let mut out = out.lock();
    for line in std::io::BufReader::new(std::fs::File::open(&labels)?).lines() {
        let line = line?;
        let l: serde_json::Value = serde_json::from_str(&line)?;
        let file = l["file"].as_str().ok_or("label without file")?;
        let img = image::open(dir.join(file))?.to_rgb8();
        let report = analyzer.analyze(&FrameView::from_rgb_image(&img)?)?;
        let internals = analyzer.internals();
        for (i, (r, f)) in internals.ridges.iter().zip(internals.focus).enumerate() {
            let fr = &report.fingers[i];
            let v = serde_json::json!({
                "file": file,
                "finger": i,
                "truth_reasons": l["reasons"],
                "truth_near": l["near_threshold"],
                "truth_count": l["finger_count"],
                "extended_count": l["extended_count"],
                "hand_present": l["hand_present"],
                "skin_mean": internals.mask.skin_mean,
                "hand_fraction": internals.geometry.hand_fraction,
                "pass": format!("{:?}", internals.mask_pass),
                "count": report.finger_count,
                "width_px": fr.width_px,
                "tip": fr.tip,
                "angle": fr.angle_deg,
                "bbox": [fr.bbox.x, fr.bbox.y, fr.bbox.width, fr.bbox.height],
                "inside": fr.inside_fraction,
                "sharp_edge_px": f.edge_blur_px,
                "ridge_contrast": l["ridge_contrast"],
                "blur_sigma_mm": l["blur_sigma_mm"],
                "motion_mm": l["motion_mm"],
                "ppi": l["ppi"],
                "est_ppi": report.ppi.ppi,
                "period_px": r.period_px,
                "coherence": r.coherence,
                "clarity": r.clarity,
                "modulation": r.modulation,
                "blocks": r.blocks,
                "blocks_measured": r.blocks_measured,
                "blur_px": f.blur_px,
                "ridge_blur_px": f.ridge_blur_px,
                "edge_blur_px": f.edge_blur_px,
                "edge_points": f.edge_points,
                "edge_clipped": f.edge_clipped,
                "judged": f.judged,
                "mean_luma": fr.mean_luma,
                "report_reasons": report.reasons.iter().map(|x| x.code).collect::<Vec<_>>(),
            });
            writeln!(out, "{v}")?;
        }
    }
    Ok(())
}
