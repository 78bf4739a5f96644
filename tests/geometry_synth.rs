//! Segmentation and finger geometry against generated scenes with known labels
//! (`fingerqc::synth`): finger count, hand side, fingertip positions, and the two framing
//! reasons that rest on geometry (`no_hand`, `partially_out_of_frame`).
//!
//! Held-out seeds only (>= 1_000_000; tuning used 0..999): 300 frames at 1280x720 and 200 at
//! 1920x1080, each analysed with the `mirrored` flag the scene was made with, as a caller
//! would set it. Floors sit a few points under what the current code measures, so a
//! regression fails; the targets the design aims for are higher (see the report in the
//! module's history). Run with `--nocapture` for the breakdown by background kind. Beside
//! them, regression cases from the tuning seeds, each pinning a failure a change mended.

use fingerqc::analyzer::MaskPass;
use fingerqc::synth::{self, Labels};
use fingerqc::{Analyzer, Config, FingerName, FrameView, Hand, ReasonCode};
use std::collections::BTreeMap;

/// The configuration a caller would use for a scene: the defaults, with the `mirrored` flag
/// the scene was made with.
fn config_for(labels: &Labels) -> Config {
    Config {
        mirrored: labels.mirrored,
        ..Config::default()
    }
}

/// What one frame contributes to the tallies.
#[derive(Default, Clone)]
struct Outcome {
    count_ok: bool,
    /// Some(right?) when the frame has >= 3 counted fingers and a known side.
    side: Option<bool>,
    tips: usize,
    tips_ok: usize,
    /// (truth, found) for each reason, or None when the truth is near its threshold.
    pof: Option<(bool, bool)>,
    no_hand: Option<(bool, bool)>,
    /// For each finger the frame's left or right side cuts (label inside fraction 0.3-0.98,
    /// tip inside the frame) and the finder found: |estimated - true| inside fraction, and
    /// whether both sit on the same side of the counting threshold (0.5).
    side_cut: Vec<(f32, bool)>,
    background: String,
}

fn judge(labels: &Labels, analyzer: &mut Analyzer, image: &image::RgbImage) -> Outcome {
    let frame = FrameView::from_rgb_image(image).expect("view of a generated frame");
    let report = analyzer.analyze(&frame).expect("analyses");
    let geo = analyzer.internals().geometry;
    let mut out = Outcome {
        count_ok: report.finger_count == labels.finger_count,
        background: format!("{:?}", labels.background),
        ..Outcome::default()
    };
    if labels.finger_count >= 3 && labels.hand != Hand::Unknown {
        out.side = Some(geo.hand == labels.hand);
    }
    // A counted fingertip is found when some finger's tip lies within 0.3 of its width.
    for truth in labels.fingers.iter().filter(|f| f.counted) {
        out.tips += 1;
        let found = geo.fingers.iter().any(|f| {
            let d = ((f.tip[0] - truth.tip[0]).powi(2) + (f.tip[1] - truth.tip[1]).powi(2)).sqrt();
            d <= 0.3 * truth.width_px
        });
        out.tips_ok += found as usize;
    }
    let pair = |code: ReasonCode| {
        (!labels.near_threshold.contains(&code))
            .then(|| (labels.reasons.contains(&code), report.has(code)))
    };
    let (w, h) = (image.width() as f32, image.height() as f32);
    for truth in &labels.fingers {
        let [x, y] = truth.tip;
        let b = truth.print_box;
        let at_side = b.x == 0 || (b.x + b.width) as f32 >= w;
        let tip_in = x >= 0.0 && x < w && y >= 0.0 && y < h;
        if !(at_side && tip_in && (0.3..=0.98).contains(&truth.inside_fraction)) {
            continue;
        }
        let near = geo.fingers.iter().find(|f| {
            let d = ((f.tip[0] - x).powi(2) + (f.tip[1] - y).powi(2)).sqrt();
            d <= 0.6 * truth.width_px
        });
        if let Some(f) = near {
            let err = (f.inside_fraction - truth.inside_fraction).abs();
            let agree = (f.inside_fraction >= 0.5) == (truth.inside_fraction >= 0.5);
            out.side_cut.push((err, agree));
        }
    }
    out.pof = pair(ReasonCode::PartiallyOutOfFrame);
    out.no_hand = pair(ReasonCode::NoHand);
    out
}

fn run(seeds: std::ops::Range<u64>, width: u32, height: u32) -> Vec<Outcome> {
    let seeds: Vec<u64> = seeds.collect();
    let (a, b) = seeds.split_at(seeds.len() / 2);
    let work = |part: &[u64]| -> Vec<Outcome> {
        part.iter()
            .map(|&seed| {
                let scene = synth::scene(seed, width, height);
                let mut analyzer = Analyzer::new(config_for(&scene.labels)).expect("config");
                judge(&scene.labels, &mut analyzer, &scene.image)
            })
            .collect()
    };
    std::thread::scope(|s| {
        let h = s.spawn(|| work(b));
        let mut first = work(a);
        first.extend(h.join().expect("worker"));
        first
    })
}

struct Tally {
    frames: usize,
    count_ok: usize,
    side_n: usize,
    side_ok: usize,
    tips: usize,
    tips_ok: usize,
    pof: [usize; 3],
    no_hand: [usize; 3],
    side_cut: usize,
    side_cut_err: f32,
    side_cut_agree: usize,
}

fn tally(outs: &[Outcome]) -> Tally {
    let mut t = Tally {
        frames: outs.len(),
        count_ok: 0,
        side_n: 0,
        side_ok: 0,
        tips: 0,
        tips_ok: 0,
        pof: [0; 3],
        no_hand: [0; 3],
        side_cut: 0,
        side_cut_err: 0.0,
        side_cut_agree: 0,
    };
    let add = |acc: &mut [usize; 3], p: Option<(bool, bool)>| match p {
        Some((true, true)) => acc[0] += 1,
        Some((false, true)) => acc[1] += 1,
        Some((true, false)) => acc[2] += 1,
        _ => {}
    };
    for o in outs {
        t.count_ok += o.count_ok as usize;
        if let Some(ok) = o.side {
            t.side_n += 1;
            t.side_ok += ok as usize;
        }
        t.tips += o.tips;
        t.tips_ok += o.tips_ok;
        add(&mut t.pof, o.pof);
        add(&mut t.no_hand, o.no_hand);
        for &(err, agree) in &o.side_cut {
            t.side_cut += 1;
            t.side_cut_err += err;
            t.side_cut_agree += agree as usize;
        }
    }
    t
}

fn f1(c: [usize; 3]) -> f32 {
    2.0 * c[0] as f32 / (2 * c[0] + c[1] + c[2]).max(1) as f32
}

fn rate(a: usize, b: usize) -> f32 {
    a as f32 / b.max(1) as f32
}

fn print(name: &str, t: &Tally) {
    println!(
        "{name:<10} frames {:>3}  count {:.3}  side {:.3} ({}/{})  tips {:.3}  pof F1 {:.2} (tp {} fp {} fn {})  no_hand F1 {:.2} (tp {} fp {} fn {})",
        t.frames,
        rate(t.count_ok, t.frames),
        rate(t.side_ok, t.side_n),
        t.side_ok,
        t.side_n,
        rate(t.tips_ok, t.tips),
        f1(t.pof),
        t.pof[0],
        t.pof[1],
        t.pof[2],
        f1(t.no_hand),
        t.no_hand[0],
        t.no_hand[1],
        t.no_hand[2],
    );
    if t.side_cut > 0 {
        println!(
            "{:<10} side-cut fingers {}: mean |inside error| {:.3}, counted as labelled {:.3}",
            "",
            t.side_cut,
            t.side_cut_err / t.side_cut as f32,
            rate(t.side_cut_agree, t.side_cut)
        );
    }
}

#[test]
fn geometry_on_generated_scenes() {
    let start = std::time::Instant::now();
    let mut outs = run(1_000_000..1_000_300, 1280, 720);
    let t720 = tally(&outs);
    let hd = run(2_000_000..2_000_200, 1920, 1080);
    let t1080 = tally(&hd);
    outs.extend(hd);
    let all = tally(&outs);
    print("1280x720", &t720);
    print("1920x1080", &t1080);
    print("all", &all);
    let mut by_bg: BTreeMap<String, Vec<Outcome>> = BTreeMap::new();
    for o in &outs {
        by_bg
            .entry(o.background.clone())
            .or_default()
            .push(o.clone());
    }
    for (bg, v) in &by_bg {
        print(bg, &tally(v));
    }
    println!("{:.1} s", start.elapsed().as_secs_f32());
    // Floors about 0.06 under the held-out measurement: count 0.820, side 0.899, tips 0.875,
    // no_hand F1 0.50, partially_out_of_frame F1 0.52 with fragments giving way to a complete
    // hand and the outline pass (0.808, 0.899, 0.876, 0.49, 0.53 before them, with the luma
    // pass for colour frames in doubt; 0.788, 0.870, 0.872, 0.49, 0.52 before it; 0.762, 0.856, 0.86, 0.49, 0.51
    // before that with the edge-cut pass and side-cut fingers placed by their apex; 0.720,
    // 0.833, 0.848, 0.49, 0.47 before both). The design targets are far higher (0.97 / 0.95
    // / 0.9): see the report for what still fails (same-colour and cluttered backgrounds
    // above all).
    assert!(rate(all.count_ok, all.frames) >= 0.76, "finger count");
    assert!(rate(all.side_ok, all.side_n) >= 0.83, "hand side");
    assert!(rate(all.tips_ok, all.tips) >= 0.81, "fingertips");
    assert!(f1(all.no_hand) >= 0.43, "no_hand F1");
    assert!(f1(all.pof) >= 0.47, "partially_out_of_frame F1");
    // Fingers cut at the frame's side, placed by their cap's apex and their own inner edge:
    // 16 on these seeds, mean |inside fraction error| 0.097 (0.152 when they took the typical
    // width), 14/16 counted as labelled (13/16). Floor with a margin of a few fingers' worth.
    assert!(
        all.side_cut >= 10,
        "side-cut fingers found: {}",
        all.side_cut
    );
    assert!(
        all.side_cut_err / all.side_cut as f32 <= 0.13,
        "side-cut inside fraction error {:.3}",
        all.side_cut_err / all.side_cut as f32
    );
}

/// Training scene 430 (1280x720): four fingers, no thumb, and a fragment of skin-coloured
/// background at the frame's left edge that the finder keeps as a short fifth candidate. Five
/// candidates used to mean five digits, so one end had to be the thumb: the low, narrow little
/// finger was taken for it, and the side came out right instead of left. A candidate shorter
/// than half a finger width is no digit for that rule (training seeds 0-799: hand side and
/// verdict up on 720p seeds 200-599, nothing lost).
#[test]
fn an_edge_fragment_does_not_make_the_little_finger_a_thumb() {
    let scene = synth::scene(430, 1280, 720);
    assert_eq!(scene.labels.finger_count, 4);
    assert!(!scene.labels.thumb_visible);
    let mut analyzer = Analyzer::new(config_for(&scene.labels)).expect("config");
    let frame = FrameView::from_rgb_image(&scene.image).expect("frame");
    let report = analyzer.analyze(&frame).expect("analysis");
    let names: Vec<_> = report.fingers.iter().map(|f| f.name).collect();
    assert!(!names.contains(&FingerName::Thumb), "fingers {names:?}");
    assert_eq!(report.finger_count, 4, "fingers {names:?}");
    assert_eq!(report.hand, Hand::Left, "fingers {names:?}");
}

/// Training scene 15 (1280x720): a right hand, four fingers, no thumb in view. The finder named
/// an uncounted piece at the frame's edge "thumb", and a thumb on the left of the fingers read
/// as a left palm, overruling a finger-length profile that said right with full confidence.
/// Only a counted thumb settles the side now (training seeds 0-799: hand side right on 3 more
/// frames, none lost; held-out 1280x720 from 1,000,000: one wrong `wrong_hand` call dropped).
#[test]
fn an_uncounted_thumb_does_not_overrule_the_length_profile() {
    let scene = synth::scene(15, 1280, 720);
    assert_eq!(scene.labels.finger_count, 4);
    assert!(!scene.labels.thumb_visible);
    assert_eq!(scene.labels.apparent_hand, Hand::Right);
    let mut analyzer = Analyzer::new(config_for(&scene.labels)).expect("config");
    let frame = FrameView::from_rgb_image(&scene.image).expect("frame");
    let report = analyzer.analyze(&frame).expect("analysis");
    assert_eq!(report.finger_count, 4);
    assert_eq!(report.hand, Hand::Right);
    assert!(report.has(ReasonCode::WrongHand), "{:?}", report.reasons);
}

/// Frames too dark to see a hand in until stretched (finger luma 13-60): the training scenes at
/// 1280x720 among seeds 0-599 labelled too_dark with fingers in view. Their chroma sits within a
/// few levels of neutral, so the colour mask found nothing or fragments; the analyzer now
/// brightens a dark frame's reduced image for segmentation and geometry.
#[test]
fn fingers_of_a_dark_frame_are_counted() {
    const SEEDS: [u64; 37] = [
        22, 45, 56, 66, 68, 70, 74, 98, 141, 149, 169, 181, 190, 196, 205, 211, 219, 221, 276, 297,
        315, 375, 385, 411, 418, 424, 455, 464, 466, 490, 520, 523, 526, 529, 546, 549, 557,
    ];
    let mut right = 0;
    for seed in SEEDS {
        let scene = synth::scene(seed, 1280, 720);
        let labels = &scene.labels;
        assert!(
            labels.reasons.contains(&ReasonCode::TooDark) && labels.finger_count > 0,
            "seed {seed} is a dark scene with fingers"
        );
        let mut analyzer = Analyzer::new(config_for(labels)).expect("config");
        let frame = FrameView::from_rgb_image(&scene.image).expect("frame");
        let report = analyzer.analyze(&frame).expect("analysis");
        right += usize::from(report.finger_count == labels.finger_count);
        // The exposure stage still reads the frame as it is.
        assert!(
            report.has(ReasonCode::TooDark) || report.exposure.mean >= 40.0,
            "seed {seed}"
        );
    }
    println!("dark frames counted right: {right} of {}", SEEDS.len());
    // Measured: 31 of 37 (25 without the brightening). Allowed: two fewer.
    assert!(
        right >= 29,
        "dark frames counted right: {right} of {}",
        SEEDS.len()
    );
}

/// Tallies of the later segmentation passes on 200 held-out scenes at 1280x720 (seeds from
/// 3,000,000): finger counts right, frames, and, over the frames whose mask came from one of
/// `passes`, how many that pass mended and broke against the first pass's own count (its mask
/// through the finder, without the later passes). `gray` feeds the scenes as BT.601 luma.
struct LaterPasses {
    right: usize,
    frames: usize,
    kept: usize,
    mended: usize,
    broken: usize,
}

impl LaterPasses {
    /// Asserts that the passes mended at least `floor` frames and three times as many as they
    /// broke.
    fn assert_mends(&self, floor: usize, what: &str) {
        assert!(
            self.mended >= floor && self.mended >= 3 * self.broken,
            "{what}: mended {} broken {}",
            self.mended,
            self.broken
        );
    }
}

fn later_passes(passes: &[MaskPass], gray: bool) -> LaterPasses {
    later_passes_at(passes, gray, (1280, 720), 200)
}

/// [`later_passes`] on `n` held-out scenes of size `(w, h)`.
fn later_passes_at(passes: &[MaskPass], gray: bool, (w, h): (u32, u32), n: u64) -> LaterPasses {
    use fingerqc::fingers::{FingerFinder, HandGeometry};
    use fingerqc::frame::LowRes;
    use fingerqc::segment::{self, HandMask, Segmenter};
    let seeds: Vec<u64> = (3_000_000..3_000_000 + n).collect();
    let (a, b) = seeds.split_at(seeds.len() / 2);
    let work = |part: &[u64]| -> [usize; 5] {
        let mut t = [0usize; 5];
        let (mut low, mut mask, mut geo) = (
            LowRes::default(),
            HandMask::default(),
            HandGeometry::default(),
        );
        let (mut seg, mut finder) = (Segmenter::new(), FingerFinder::new());
        for &seed in part {
            let scene = synth::scene(seed, w, h);
            let luma: Vec<u8> = if gray {
                scene
                    .image
                    .pixels()
                    .map(|p| fingerqc::frame::luma601(p[0], p[1], p[2]))
                    .collect()
            } else {
                Vec::new()
            };
            let frame = if gray {
                FrameView::new_gray(&luma, w, h, w as usize).expect("gray frame")
            } else {
                FrameView::from_rgb_image(&scene.image).expect("frame")
            };
            let config = config_for(&scene.labels);
            let mut analyzer = Analyzer::new(config.clone()).expect("config");
            let report = analyzer.analyze(&frame).expect("analysis");
            let right = report.finger_count == scene.labels.finger_count;
            t[0] += usize::from(right);
            t[1] += 1;
            if passes.contains(&analyzer.internals().mask_pass) {
                frame.downsample_into(segment::work_factor(w, h), &mut low);
                seg.segment(&low, &mut mask);
                finder.find(&mask, &low, &config, &mut geo);
                let first_right = geo.count() == scene.labels.finger_count;
                t[2] += 1;
                t[3] += usize::from(right && !first_right);
                t[4] += usize::from(!right && first_right);
            }
        }
        t
    };
    let (ta, tb) = std::thread::scope(|s| {
        let h = s.spawn(|| work(b));
        (work(a), h.join().expect("worker"))
    });
    let t: Vec<usize> = ta.iter().zip(&tb).map(|(x, y)| x + y).collect();
    LaterPasses {
        right: t[0],
        frames: t[1],
        kept: t[2],
        mended: t[3],
        broken: t[4],
    }
}

/// Gray frames (a luma-only camera, or a caller that passes the Y plane alone) carry no colour,
/// so the hand mask is one of the two luma classes Otsu's threshold makes, the one filling the
/// frame's centre; in doubt, the other class (a bright wall between and above dark fingers
/// fills the centre too) and then the luma band the fingers found fill, each kept when it shows
/// more finger evidence.
#[test]
fn gray_frames_are_counted_from_either_luma_class() {
    let t = later_passes(&[MaskPass::GrayOther, MaskPass::GrayBand], true);
    let rate = t.right as f32 / t.frames as f32;
    println!(
        "gray finger count {}/{} = {rate:.3}; a later pass kept on {} frames: {} mended, {} broken",
        t.right, t.frames, t.kept, t.mended, t.broken
    );
    // Measured: 147/200 = 0.735 with the outline pass after these and fragments giving way to
    // a complete hand (138 before both; 131 with the other class alone, about 114 with the
    // centre's class alone); these two passes kept on 80 frames, 34 mended, 4 broken (90 / 35
    // / 4 before the outline pass took some of their frames). Floors: the rate 7 frames under
    // the measurement, mended at least 25 and at least three times as many as broken.
    assert!(rate >= 0.70, "gray finger count {rate:.3}");
    t.assert_mends(25, "gray later passes");
}

/// A colour frame still in doubt after the skin colour's refit may take its mask from luma
/// alone (a background sharing the hand's colour but not its brightness), kept only when that
/// completes the hand.
#[test]
fn a_colour_frame_in_doubt_may_be_completed_from_luma() {
    let t = later_passes(&[MaskPass::Luma], false);
    println!(
        "luma pass kept on {} frames: {} mended, {} broken",
        t.kept, t.mended, t.broken
    );
    // Measured: kept on 10 frames, 9 mended, 1 broken (9 / 8 / 1 before a frame of more
    // "fingers" than a hand has digits took any complete hand). Floors: at least 5 mended and
    // three times as many as broken.
    t.assert_mends(5, "luma pass");
}

/// A hand on a background of its own colour and shade, which the colour mask breaks into
/// patches and neither luma class holds whole, may be found by its outline (what the frame's
/// top and sides cannot reach across the edge map): on a colour frame read as more "fingers"
/// than a hand has digits, kept on the luma passes' terms; on a gray frame still in doubt
/// after its luma passes, when it shows more finger evidence or completes a hand of
/// fragments.
#[test]
fn a_hand_in_doubt_may_be_found_by_its_outline() {
    let gray = later_passes(&[MaskPass::Outline], true);
    let colour = [((1280, 720), 200), ((1920, 1080), 150)]
        .map(|(size, n)| later_passes_at(&[MaskPass::Outline], false, size, n));
    println!(
        "gray: outline kept on {} frames, {} mended, {} broken; colour 720p / 1080p: kept {} / {}, mended {} / {}, broken {} / {}",
        gray.kept,
        gray.mended,
        gray.broken,
        colour[0].kept,
        colour[1].kept,
        colour[0].mended,
        colour[1].mended,
        colour[0].broken,
        colour[1].broken
    );
    // Measured: gray kept on 22 of 200 frames, 14 mended, 2 broken. Floors: at least 10
    // mended and three times as many as broken.
    gray.assert_mends(10, "gray outline pass");
    // Colour frames rarely need it (the colour, refitted and luma masks come first, and it
    // runs on fragments only): measured kept on 0 + 1 of 350 frames, 1 mended. It must mend
    // at least as many as it breaks.
    let (mended, broken) = (
        colour[0].mended + colour[1].mended,
        colour[0].broken + colour[1].broken,
    );
    assert!(mended >= broken, "colour: mended {mended} broken {broken}");
}

/// The two passes that run on frames whose count is already the expected four, tallied over
/// one sweep of held-out frames (600 from seed 3,000,000: 400 at 1280x720, 200 at 1920x1080):
/// `[kept, mended, broken]` for the framing pass and for the fifth-digit pass.
fn passes_on_four_fingers() -> [[usize; 3]; 2] {
    let tally = |(w, h): (u32, u32), n: u64| -> [[usize; 3]; 2] {
        let mut t = [[0usize; 3]; 2];
        for seed in 3_000_000..3_000_000 + n {
            let scene = synth::scene(seed, w, h);
            let labels = &scene.labels;
            let mut analyzer = Analyzer::new(config_for(labels)).expect("config");
            let frame = FrameView::from_rgb_image(&scene.image).expect("frame");
            let report = analyzer.analyze(&frame).expect("analysis");
            match analyzer.internals().mask_pass {
                MaskPass::Framing => {
                    let pof = ReasonCode::PartiallyOutOfFrame;
                    assert!(
                        !report.has(pof),
                        "seed {seed}: framing pass kept with the call"
                    );
                    t[0][0] += 1;
                    if !labels.near_threshold.contains(&pof) {
                        let truth = labels.reasons.contains(&pof);
                        t[0][1] += usize::from(!truth);
                        t[0][2] += usize::from(truth);
                    }
                }
                MaskPass::FifthDigit => {
                    assert_eq!(report.finger_count, 5, "seed {seed}: fifth-digit pass kept");
                    t[1][0] += 1;
                    t[1][1] += usize::from(labels.finger_count == 5);
                    t[1][2] += usize::from(labels.finger_count == 4);
                }
                _ => {}
            }
        }
        t
    };
    let (a, b) = std::thread::scope(|s| {
        let h = s.spawn(|| tally((1920, 1080), 200));
        (tally((1280, 720), 400), h.join().expect("worker"))
    });
    [0, 1].map(|p| [0, 1, 2].map(|k| a[p][k] + b[p][k]))
}

/// A fingertip that a background region of the hand's colour joins to the frame's edge reads
/// as cut by the frame; the framing pass cuts the mask along the edge map and keeps the cut
/// only when the tip then stands inside the frame, as wide as before. Every frame it keeps
/// loses its `partially_out_of_frame` call, so each kept frame is a call mended (the label has
/// no such reason) or broken (it has).
///
/// A thumb in view beside four fingers is five digits; when four are counted with a thumb
/// among them, the fifth-digit pass cuts the mask along the edge map and keeps the cut only
/// when it shows a fifth digit whole inside the frame. Each kept frame is a count mended (the
/// label has five digits) or broken (four).
#[test]
fn later_passes_on_four_fingers_mend_more_than_they_break() {
    let [framing, fifth] = passes_on_four_fingers();
    let (kept, mended, broken) = (framing[0], framing[1], framing[2]);
    println!("framing pass kept on {kept} of 600 frames: {mended} mended, {broken} broken");
    // Measured: kept on 5 frames (400 at 1280x720, 200 at 1920x1080), 4 mended, 1 broken.
    // Floors: at least 3 mended and twice as many as broken.
    assert!(
        mended >= 3 && mended >= 2 * broken,
        "framing: mended {mended} broken {broken}"
    );
    let (kept, mended, broken) = (fifth[0], fifth[1], fifth[2]);
    println!("fifth-digit pass kept on {kept} of 600 frames: {mended} mended, {broken} broken");
    // Measured: kept on 3 frames, 3 mended, none broken. Floors: at least 2 mended and twice
    // as many as broken.
    assert!(
        mended >= 2 && mended >= 2 * broken,
        "fifth digit: mended {mended} broken {broken}"
    );
}
