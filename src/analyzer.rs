//! The pipeline: reduced image -> hand mask -> finger geometry -> full-resolution fingertip
//! measurements -> checks -> report. The analyzer owns every scratch buffer, so a warm analyzer
//! allocates nothing per frame when given a report to fill ([`Analyzer::analyze_into`]).
//!
//! The mask and geometry take up to three passes ([`MaskPass`]): the skin colour fitted on the
//! frame; when that pass is in doubt, the colour refitted on the fingers it found (kept when it
//! shows more finger evidence), or in a gray frame the other luma class and the luma band of the
//! fingers found; a colour frame still in doubt, its mask from luma alone (kept only when it
//! completes the hand); when fingers are still missing, the first or the refitted mask cut
//! along the frame's edge map (kept when it shows the expected count and keeps every finger
//! found).

use crate::config::{Config, Hand};
use crate::distance::{self, median_in_place};
use crate::error::{Error, Result};
use crate::exposure::ExposureAnalyzer;
use crate::fingers::{Finger, FingerFinder, HandGeometry};
use crate::focus::{FocusAnalyzer, FocusMeasure};
use crate::frame::{FrameView, LowRes, QuarterTurns, Rect};
use crate::report::{FingerName, FingerReport, PpiSource, Reason, ReasonCode, Report, Verdict};
use crate::ridge::{RidgeAnalyzer, RidgeMeasure};
use crate::segment::{self, GrayClass, HandMask, Segmenter};

/// Most fingers the analyzer measures at full resolution (five digits and some spare).
const MAX_FINGERS: usize = 10;

/// Scores frames. Keep one per camera stream: it reuses its buffers from frame to frame.
///
/// ```
/// use fingerqc::{Analyzer, Config, FrameView};
/// let mut analyzer = Analyzer::new(Config::default())?;
/// let gray = vec![0u8; 320 * 240];
/// let frame = FrameView::new_gray(&gray, 320, 240, 320)?;
/// let report = analyzer.analyze(&frame)?;
/// assert!(report.has(fingerqc::ReasonCode::NoHand));
/// # Ok::<(), fingerqc::Error>(())
/// ```
#[derive(Debug)]
pub struct Analyzer {
    config: Config,
    low: LowRes,
    /// The other orientation of `low` when frames arrive turned ([`Config::frame_rotation`]):
    /// upright during segmentation and geometry, the frame's own after.
    low_turned: LowRes,
    /// A mask plane being turned back to the frame's orientation.
    turn_buf: Vec<u8>,
    mask: HandMask,
    /// The first pass's mask while a refined one is tried.
    mask_first: HandMask,
    segmenter: Segmenter,
    finder: FingerFinder,
    geometry: HandGeometry,
    /// The geometry of the refined mask, kept when it shows more finger evidence (then of the
    /// edge-cut mask, kept when it finds the fingers missing).
    geometry_refined: HandGeometry,
    /// A mask cut along the edge map, tried when fingers are still missing.
    mask_cut: HandMask,
    /// The usual reduced image while a close-up is traced on a coarser one.
    low_spare: LowRes,
    /// A dark frame's reduced luma and chroma as they were, while segmentation and geometry
    /// read them brightened.
    dark_saved: [Vec<u8>; 3],
    /// The close-up probe's luma, mask and ridge measurement.
    probe_roi: Vec<u8>,
    probe_mask: Vec<u8>,
    probe_ridges: RidgeMeasure,
    /// Which pass the current mask and geometry come from.
    mask_pass: MaskPass,
    ridge: RidgeAnalyzer,
    focus: FocusAnalyzer,
    exposure: ExposureAnalyzer,
    // Full-resolution luma and finger mask of a counted finger's print box when it is not inside
    // its focus region's copy (never with a non-negative margin); otherwise the ridge and
    // exposure measurements read the box in place in `focus_rois` / `focus_roi_masks`.
    rois: [Vec<u8>; MAX_FINGERS],
    roi_masks: [Vec<u8>; MAX_FINGERS],
    roi_rects: [Rect; MAX_FINGERS],
    // Offset of the print box in the focus region's copy (None: in `rois` / `roi_masks`).
    roi_in_focus: [Option<usize>; MAX_FINGERS],
    // The focus region (print box and a margin) of each counted finger: copied from the frame
    // once and read by ridge (the print box, strided), exposure and focus, so the frame (cold in
    // cache at 1080p) is read once per finger and the mask upsampled once.
    focus_rois: [Vec<u8>; MAX_FINGERS],
    focus_roi_masks: [Vec<u8>; MAX_FINGERS],
    focus_rects: [Rect; MAX_FINGERS],
    ridges: [RidgeMeasure; MAX_FINGERS],
    focuses: [FocusMeasure; MAX_FINGERS],
    /// How many of `ridges` / `focuses` belong to the last frame.
    measured: usize,
}

/// Per-stage views an analyzer exposes after a frame, for overlays and benchmarks.
#[derive(Debug)]
pub struct Internals<'a> {
    /// The reduced-resolution image.
    pub low: &'a LowRes,
    /// The hand mask over it.
    pub mask: &'a HandMask,
    /// The finger geometry.
    pub geometry: &'a HandGeometry,
    /// Ridge measurements of the counted fingers' print areas, in report order.
    pub ridges: &'a [RidgeMeasure],
    /// Focus measurements of the same fingertips, in report order.
    pub focus: &'a [FocusMeasure],
    /// Which segmentation pass the mask and geometry come from.
    pub mask_pass: MaskPass,
}

/// The segmentation pass a frame's hand mask and finger geometry come from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum MaskPass {
    /// The first pass: the skin colour fitted on the frame.
    #[default]
    Colour,
    /// The skin colour refitted on the fingers the first pass found.
    Refitted,
    /// The first or the refitted mask cut along the frame's edge map.
    EdgeCut,
    /// A gray frame: the luma class that does not fill the frame's centre
    /// ([`GrayClass::Other`]).
    GrayOther,
    /// A gray frame: the band of luma the fingers of an earlier pass fill
    /// ([`GrayClass::Band`]).
    GrayBand,
    /// A colour frame's mask taken from luma alone, as a gray frame's is.
    Luma,
    /// The hand's outline: what the frame's top and sides cannot reach across the edge map
    /// ([`Segmenter::border_flood`]).
    Outline,
    /// The held mask cut along the edge map to free a fingertip that a background region
    /// joined to the frame's edge ([`Analyzer`]'s framing pass).
    Framing,
    /// The held mask cut along the edge map to find the finger missing beside a thumb in view
    /// ([`Analyzer`]'s fifth-digit pass).
    FifthDigit,
    /// A hand too close for the usual reduced image, traced again on a coarser one where its
    /// fingertips are of the usual reduced width ([`Analyzer`]'s close-up pass; the
    /// [`Internals::low`] image is then that coarser one).
    CloseUp,
}

/// Which of the analyzer's masks a cut is made from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum MaskSlot {
    /// The mask the frame's geometry was found on (`mask`).
    Held,
    /// The first colour mask, kept aside when a later pass replaced it (`mask_first`).
    First,
}

impl Analyzer {
    /// An analyzer for `config`, which is validated first.
    pub fn new(config: Config) -> Result<Self> {
        config.validate()?;
        Ok(Analyzer {
            config,
            low: LowRes::default(),
            low_turned: LowRes::default(),
            turn_buf: Vec::new(),
            mask: HandMask::default(),
            mask_first: HandMask::default(),
            segmenter: Segmenter::new(),
            finder: FingerFinder::new(),
            geometry: HandGeometry::default(),
            geometry_refined: HandGeometry::default(),
            mask_cut: HandMask::default(),
            low_spare: LowRes::default(),
            dark_saved: Default::default(),
            probe_roi: Vec::new(),
            probe_mask: Vec::new(),
            probe_ridges: RidgeMeasure::default(),
            mask_pass: MaskPass::Colour,
            ridge: RidgeAnalyzer::new(),
            focus: FocusAnalyzer::new(),
            exposure: ExposureAnalyzer::new(),
            rois: Default::default(),
            roi_masks: Default::default(),
            roi_rects: Default::default(),
            roi_in_focus: Default::default(),
            focus_rois: Default::default(),
            focus_roi_masks: Default::default(),
            focus_rects: Default::default(),
            measured: 0,
            ridges: Default::default(),
            focuses: Default::default(),
        })
    }

    /// The configuration in use.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// What the stages produced for the last frame.
    pub fn internals(&self) -> Internals<'_> {
        Internals {
            low: &self.low,
            mask: &self.mask,
            geometry: &self.geometry,
            ridges: &self.ridges[..self.measured],
            focus: &self.focuses[..self.measured],
            mask_pass: self.mask_pass,
        }
    }

    /// Analyses one frame into a new report.
    pub fn analyze(&mut self, frame: &FrameView) -> Result<Report> {
        let mut report = Report::default();
        self.analyze_into(frame, &mut report)?;
        Ok(report)
    }

    /// Analyses one frame into `report`, reusing its vectors: no allocation once warm.
    pub fn analyze_into(&mut self, frame: &FrameView, report: &mut Report) -> Result<()> {
        let start = std::time::Instant::now();
        let (w, h) = (frame.width(), frame.height());
        let pixels = w as u64 * h as u64;
        if pixels > self.config.limits.max_frame_pixels {
            return Err(Error::FrameTooLarge {
                width: w,
                height: h,
                max_pixels: self.config.limits.max_frame_pixels,
            });
        }
        report.clear();
        self.measured = 0;
        report.width = w;
        report.height = h;

        frame.downsample_into(segment::work_factor(w, h), &mut self.low);
        let brightened = self.brighten_if_dark();
        // Segmentation and geometry assume an upright hand (fingers up, the hand entering from
        // below): a turned frame is turned upright at low resolution for them, and what they
        // found turned back.
        let turn = QuarterTurns::from_degrees(self.config.frame_rotation);
        if let Some(turn) = turn {
            self.low.turn_into(turn, &mut self.low_turned);
            std::mem::swap(&mut self.low, &mut self.low_turned);
        }
        self.segmenter.segment(&self.low, &mut self.mask);
        self.finder
            .find(&self.mask, &self.low, &self.config, &mut self.geometry);
        // Second pass: the skin colour refitted on the fingers just found. Kept only when it
        // shows more finger evidence, since a first pass that mistook background for a finger
        // refits on the background. Only when the first pass is in doubt (not the expected
        // count, or no hand side): it doubles the cost of segmentation and geometry.
        let doubtful = self.in_doubt();
        self.mask_pass = MaskPass::Colour;
        // Whether the second pass made a mask: the kept one is `mask`, the other `mask_first`.
        let mut refitted = false;
        if doubtful && self.geometry.count() > 0 && self.mask.colour {
            self.mask_first.copy_from(&self.mask);
            if self
                .segmenter
                .refine(&self.low, &self.geometry.finger_mask, &mut self.mask)
            {
                refitted = true;
                self.keep_if_more_evidence(MaskPass::Refitted);
            }
        }
        if !self.mask.colour {
            if doubtful {
                self.gray_passes();
            }
        } else if self.in_doubt() {
            self.colour_luma_passes();
        }
        // Third pass, for a hand still short of fingers or with too many: a mask cut along the
        // edge map. A finger the colour mask joined to a skin-coloured background, or to its
        // neighbour, is often still outlined there (the outline that the colour step could not
        // see), so its pieces show it; a finger the finder read as strips of a background-wide
        // mask comes out whole. Believed only when the pieces show exactly the expected count
        // and, short of fingers, every finger already found among them (the cut also splits
        // palms along their creases, and a piece of palm is not a finger the first pass
        // missed), or, with too many, two found pieces merged into one finger and no thumb lost
        // (a thumb in view must stay in view). The first mask is cut first, then the refitted
        // one when the second pass made one (it joins other things).
        let expected = self.config.expected_fingers;
        let found = self.geometry.count();
        let short = found >= MIN_FOUND_FOR_EDGE_CUT && found < expected;
        let over = found > expected;
        if short || over {
            let (first, second) = self.cut_sources();
            let sources = [first, second];
            let sources = if refitted {
                &sources[..]
            } else {
                &sources[..1]
            };
            self.adopt_first_cut(
                sources,
                &EDGE_CUT_SCALES,
                MaskPass::EdgeCut,
                |before, after| {
                    after.count() == expected
                        && if short {
                            keeps_every_finger(before, after)
                                && new_fingers_fit_the_hand(before, after)
                        } else {
                            merges_fragments(before, after)
                        }
                },
            );
        }
        self.fifth_digit_pass();
        self.framing_pass();
        // The hand's tilt from upright: its axis as found, before any turn back to the frame.
        let tilt_deg = self.geometry.angle_deg;
        if let Some(turn) = turn {
            std::mem::swap(&mut self.low, &mut self.low_turned);
            self.turn_geometry_back(turn, w, h);
        }
        if brightened {
            self.restore_dark();
        }
        geometry_into_report(&self.geometry, tilt_deg, report);

        // Full-resolution ridge measurements, counted fingers only.
        let mut periods = [0f32; MAX_FINGERS];
        let mut fingers = CountedFingers::of(&self.geometry);
        let nf = fingers.n;
        let (boxes, widths) = (&fingers.boxes, &fingers.widths);
        let mut np = self.measure_counted_ridges(frame, &fingers, &mut periods);
        if np == 0 && close_up_stubs(nf, self.geometry.hand_fraction) {
            // Fingers too large for the finder to trace (a hand a few cm from the lens) leave it
            // with stubs and no ridges measured on them (the ridge stage sizes its blocks to the
            // stub); the ridges around a stub, read in frame-sized blocks, still say how close
            // the hand is. Used only to tell a close-up: a lower reading is left to the rulers.
            let mut probe = None;
            for c in &boxes[..nf] {
                let centre = [
                    c.x as f32 + c.width as f32 / 2.0,
                    c.y as f32 + c.height as f32 / 2.0,
                ];
                probe = self.probe_close_up(frame, centre);
                if probe.is_some() {
                    break;
                }
            }
            if let Some(p) = probe {
                if distance::ppi_from_ridge_period(p, &self.config) > self.config.ppi.max {
                    periods[0] = p;
                    np = 1;
                }
            }
        }
        report.ppi = distance::estimate(&periods[..np], &widths[..nf], w, h, &self.config);
        // Still no ridges: a hand so close that its fingers fill the frame may not have been
        // traced at all (no mask, or a mask in fragments along its ridges, read as many thin
        // "fingers"). Its ridges still fill the frame's centre, read there without a mask. Only
        // a reading above the allowed range is used: it says the hand is too close. Not when
        // the trace found the expected fingers at widths that put the hand within the range:
        // that is a hand at that distance whose fingertips showed no ridges, and the frame's
        // other texture does not overrule it (training seeds 0-599 at 720p: too_close
        // reported on 26 of the 28 close-ups against 20 without this probe; it fired on no
        // scene whose hand was within range, and on one fist held at 850 ppi).
        let traced_in_range = nf == usize::from(self.config.expected_fingers)
            && report
                .ppi
                .ppi
                .is_some_and(|p| (self.config.ppi.min..=self.config.ppi.max).contains(&p));
        let mut close_up = false;
        if np == 0 && !traced_in_range {
            if let Some(p) = self.probe_frame_centre(frame) {
                if distance::ppi_from_ridge_period(p, &self.config) > self.config.ppi.max {
                    periods[0] = p;
                    np = 1;
                    close_up = true;
                    report.ppi =
                        distance::estimate(&periods[..np], &widths[..nf], w, h, &self.config);
                }
            }
        }
        distance::check_against_area(
            &mut report.ppi,
            self.geometry.hand_fraction * w as f32 * h as f32,
        );
        // (Training seeds 0-799: 11 width-only resolutions withdrawn, the 10 on hands at
        // 9-68% of the truth; 5 wrong `too_far` calls dropped and none right lost. Without a
        // resolution the blur is not read in millimetres: 5 wrong `too_blurry` calls dropped,
        // 1 right one lost. Held-out scenes from 1,000,000: too_far F1 0.80 -> 0.84 at
        // 1280x720 and 0.40 -> 0.67 at 1920x1080.)
        distance::check_against_spacing(
            &mut report.ppi,
            &fingers.tips[..nf],
            &fingers.axes[..nf],
            &widths[..nf],
        );
        report.ppi.close_up = close_up;
        report.estimated_ppi = report.ppi.ppi;
        // A hand closer than the allowed range whose trace does not fit it (no finger, more
        // than the frame can show at that distance, or widths no fingertip has there) is traced
        // again on a coarser image where its fingers are of the usual reduced size (held-out
        // scenes from 1,000,000, finger count: 300 at 1280x720 0.855 -> 0.858, 200 at
        // 1920x1080 0.813 -> 0.823; training seeds 0-799 0.884 / 0.875 / 0.850 -> 0.899 /
        // 0.880 / 0.850; no frame's count made wrong). Failing that, more fingers traced than
        // the frame can show are fragments of fingers too large to trace: none is counted or
        // measured.
        let mut traced = nf;
        let too_close = |p: &f32| close_up || *p > self.config.ppi.max;
        if let Some(ppi) = report.ppi.ppi.filter(too_close) {
            let fit = distance::fingers_that_fit(w, h, ppi);
            let finger_px = TYPICAL_FINGER_MM * ppi / 25.4;
            let traced_fit = (1..=fit).contains(&nf)
                && widths[..nf]
                    .iter()
                    .all(|&wd| fits_close_up_width(wd, finger_px));
            let traced_again = if traced_fit {
                None
            } else {
                self.close_up_pass(frame, ppi, fit, turn)
            };
            if let Some(tilt) = traced_again {
                geometry_into_report(&self.geometry, tilt, report);
                // Measured for the focus and exposure stages' regions; the resolution stays the
                // one the close-up was recognised by.
                fingers = CountedFingers::of(&self.geometry);
                self.measure_counted_ridges(frame, &fingers, &mut periods);
                traced = fingers.n;
            } else if close_up && nf > fit {
                traced = 0;
                report.finger_count = 0;
            }
        }

        let expected_period = report
            .ppi
            .ppi
            .map(|p| distance::ridge_period_at(p, &self.config));
        let clip = self.config.exposure.clipped_level;
        let geo = &self.geometry;
        let mut blur_seen = false;
        self.focus.begin_frame();
        for (i, finger) in geo
            .fingers
            .iter()
            .filter(|f| f.counted)
            .take(traced)
            .enumerate()
        {
            // The focus region was copied by `measure_ridges` for the same fingers, in the same
            // order; focus also reads the finger's silhouette, just outside the print box.
            let rect = self.roi_rects[i];
            let (roi, roi_mask, stride) = print_roi(
                self.roi_in_focus[i],
                (
                    &self.focus_rois[i],
                    &self.focus_roi_masks[i],
                    self.focus_rects[i],
                ),
                (&self.rois[i], &self.roi_masks[i], rect),
            );
            let (mean, glare_fraction) = crate::exposure::region_stats_strided(
                roi,
                roi_mask,
                rect.width as usize,
                rect.height as usize,
                stride,
                &self.config.glare,
            );
            let period = self.ridges[i].period_px.or(expected_period).unwrap_or(9.0);
            self.focus.measure(
                &self.focus_rois[i],
                &self.focus_roi_masks[i],
                self.focus_rects[i].width as usize,
                self.focus_rects[i].height as usize,
                period,
                &self.ridges[i],
                clip,
                &mut self.focuses[i],
            );
            let to_mm = |px: f32| report.ppi.ppi.map(|ppi| px * 25.4 / ppi);
            let ridge = &self.ridges[i];
            let fm = &self.focuses[i];
            blur_seen |= fm.judged && (ridge.period_px.is_some() || fm.edge_blur_px.is_some());
            let mut fr = FingerReport {
                name: finger.name,
                bbox: rect,
                tip: finger.tip,
                angle_deg: finger.direction[0].atan2(-finger.direction[1]).to_degrees(),
                width_px: finger.width_px,
                inside_fraction: finger.inside_fraction,
                ridge_period_px: ridge.period_px,
                ridge_coherence: ridge.coherence,
                ridge_clarity: ridge.clarity,
                ridge_modulation: ridge.modulation,
                // A fingertip too dark or noisy to judge focus on does not vote.
                blur_mm: to_mm(fm.blur_px).filter(|_| fm.judged),
                motion_mm: to_mm(fm.motion_px).filter(|_| fm.judged),
                focus_score: fm.score,
                mean_luma: mean,
                glare_fraction,
                quality: 0,
            };
            fr.quality = finger_quality(&fr, &self.config);
            report.fingers.push(fr);
        }

        self.exposure.measure(
            frame,
            &self.low,
            &self.geometry.finger_mask,
            &self.config,
            &mut report.exposure,
            &mut report.glare,
        );
        self.measured = report.fingers.len();
        summarise_focus(report, &self.focuses[..self.measured]);
        // A hand shaken along its fingers smears only the tips' caps, and one shaken across
        // them both sides of every finger: neither shows in the fingertips' own readings,
        // which need smeared edges on both sides of the motion and sharp ones beside.
        // The silhouette's anisotropy over all fingertips reads both. Read before the pooled
        // blur below, which keeps only the points strong enough for itself.
        // (Training seeds 0-799: too_blurry F1 0.848 / 0.736 / 0.875 -> 0.857 / 0.727 / 0.909.)
        let silhouette_motion_mm = report.ppi.ppi.and_then(|ppi| {
            self.focus
                .pooled_silhouette_motion()
                .map(|(len, _)| len * 25.4 / ppi)
        });
        // No fingertip resolved its ridges or showed enough of its silhouette to read: their
        // silhouette points read together still measure the blur, where otherwise it would be
        // a guess (missing ridges are blur as often as dirt or wear).
        // (Training seeds 0-799: too_blurry F1 0.80 / 0.73 / 0.88 -> 0.83 / 0.73 / 0.88, two
        // dirty frames no longer called blurred and one blurred frame missed.)
        if !blur_seen {
            if let (Some((sigma, motion)), Some(ppi)) =
                (self.focus.pooled_silhouette_blur(), report.ppi.ppi)
            {
                report.focus.blur_mm = Some(sigma * 25.4 / ppi);
                report.focus.motion_mm = Some(motion * 25.4 / ppi);
                blur_seen = true;
            }
        }
        // (Whenever the silhouette reads a motion, it holds enough points for a blur too:
        // `blur_seen` is already true.)
        if let Some(mm) = silhouette_motion_mm {
            if report.focus.motion_mm.is_none_or(|m| mm > m) {
                report.focus.motion_mm = Some(mm);
            }
        }
        report.focus.measured = blur_seen;
        decide(report, &self.geometry, &self.config);
        report.elapsed_us = start.elapsed().as_micros().min(u64::MAX as u128) as u64;
        Ok(())
    }

    /// The second passes of a gray frame in doubt. Its mask is one of the two luma classes
    /// Otsu's threshold makes, the one that fills the frame's centre; but a bright wall showing
    /// between and above dark fingers fills it too, so the other class is tried. Then, with
    /// fingers found but the hand still in doubt, the band of luma those fingers fill (fingers
    /// between a brighter and a darker background, which neither class holds alone). Each is
    /// kept when it shows more finger evidence. Last, still in doubt, the hand's outline
    /// ([`Segmenter::border_flood`]), on the same terms. Training seeds 0-199 as 8-bit gray,
    /// finger count: 0.576 with the centre's class alone, 0.646 with the other class, 0.687
    /// with the band too, 0.722 with the outline; 300 scenes from seed 1,000,000: 0.561,
    /// 0.639, 0.679, 0.709 (hand side 0.783 -> 0.846 with the outline).
    fn gray_passes(&mut self) {
        self.try_luma_pass(GrayClass::Other, MaskPass::GrayOther);
        if !self.in_doubt() {
            return;
        }
        if let Some((lo, hi)) = finger_luma_band(&self.geometry.finger_mask, &self.low.luma) {
            self.try_luma_pass(GrayClass::Band { lo, hi }, MaskPass::GrayBand);
        }
        if self.in_doubt() {
            self.mask_first.copy_from(&self.mask);
            if self
                .segmenter
                .border_flood(&self.low, &self.mask_first, &mut self.mask)
            {
                self.keep_if_more_evidence(MaskPass::Outline);
            }
        }
    }

    /// A gray frame's later pass: its mask from luma class `class`, kept as `pass` when it
    /// shows more finger evidence.
    fn try_luma_pass(&mut self, class: GrayClass, pass: MaskPass) {
        self.mask_first.copy_from(&self.mask);
        self.segmenter
            .segment_luma_as(&self.low, class, &mut self.mask);
        self.keep_if_more_evidence(pass);
    }

    /// Whether the geometry held is in doubt: not the expected count, or no hand side. The
    /// later passes run only then.
    fn in_doubt(&self) -> bool {
        !complete(&self.geometry, &self.config)
    }

    /// Runs the finder on `mask`, a later pass's mask (the one it replaces is in `mask_first`),
    /// and keeps both as `pass` when they show more finger evidence than the geometry held (or,
    /// on a gray frame, a complete hand where it held fragments); otherwise puts the previous
    /// mask back.
    fn keep_if_more_evidence(&mut self, pass: MaskPass) {
        self.finder.find(
            &self.mask,
            &self.low,
            &self.config,
            &mut self.geometry_refined,
        );
        let (before, after) = (&self.geometry, &self.geometry_refined);
        // On a gray frame, as on the colour frame's luma and outline passes, a complete hand
        // (four fingers and a side) replaces more "fingers" than a hand has digits whatever the
        // evidence (8-bit gray versions of training seeds 0-199, finger count 0.722 -> 0.742;
        // 300 held-out scenes 0.709 -> 0.726). Not on the colour refit: there it made four
        // fingers of the fragments of a real photo of the two-finger sign "V".
        let fragments = !self.mask.colour && fragmented(before) && complete(after, &self.config);
        if fragments || finger_evidence(after) > finger_evidence(before) {
            std::mem::swap(&mut self.geometry, &mut self.geometry_refined);
            self.mask_pass = pass;
        } else {
            std::mem::swap(&mut self.mask, &mut self.mask_first);
        }
    }

    /// Turns the mask and geometry found on the upright image (`low_turned`, the frame turned
    /// by `turn`) back to the frame's orientation (`low`; the frame is `width` x `height`).
    fn turn_geometry_back(&mut self, turn: QuarterTurns, width: u32, height: u32) {
        let (uw, uh) = (
            self.low_turned.width as usize,
            self.low_turned.height as usize,
        );
        let back = turn.inverse();
        for plane in [&mut self.mask.mask, &mut self.geometry.finger_mask] {
            if plane.len() == uw * uh {
                back.turn_plane(plane, uw, uh, &mut self.turn_buf);
                std::mem::swap(plane, &mut self.turn_buf);
            }
        }
        self.mask.width = self.low.width;
        self.mask.height = self.low.height;
        let f = self.low_turned.factor.max(1) as f32;
        let (tw, th) = (uw as f32 * f, uh as f32 * f);
        for finger in &mut self.geometry.fingers {
            let (x, y) = turn.point_back(finger.tip[0], finger.tip[1], tw, th);
            finger.tip = [x, y];
            let (dx, dy) = turn.vector_back(finger.direction[0], finger.direction[1]);
            finger.direction = [dx, dy];
            let b = finger.print_box;
            let (x0, y0) = turn.point_back(b.x as f32, b.y as f32, tw, th);
            let (x1, y1) = turn.point_back((b.x + b.width) as f32, (b.y + b.height) as f32, tw, th);
            let clamp = |v: f32, max: u32| (v.round().max(0.0) as u32).min(max);
            let (bx0, bx1) = (clamp(x0.min(x1), width), clamp(x0.max(x1), width));
            let (by0, by1) = (clamp(y0.min(y1), height), clamp(y0.max(y1), height));
            finger.print_box = Rect {
                x: bx0,
                y: by0,
                width: bx1 - bx0,
                height: by1 - by0,
            };
        }
        let up = turn.upright_angle_rad();
        self.geometry.angle_deg = wrap_pi(self.geometry.angle_deg.to_radians() + up).to_degrees();
    }

    /// Runs the finder on `mask_cut`, a later pass's candidate mask, into `geometry_refined`.
    fn find_on_cut(&mut self) {
        self.finder.find(
            &self.mask_cut,
            &self.low,
            &self.config,
            &mut self.geometry_refined,
        );
    }

    /// The masks the edge-cut passes cut, in order: the held one, or the first colour mask
    /// when the colour refit replaced it; then the other.
    fn cut_sources(&self) -> (MaskSlot, MaskSlot) {
        if self.mask_pass == MaskPass::Refitted {
            (MaskSlot::First, MaskSlot::Held)
        } else {
            (MaskSlot::Held, MaskSlot::First)
        }
    }

    /// Cuts each of `sources` along the edge map at each of `scales` in turn
    /// ([`Segmenter::edge_cut_at`]), runs the finder on the cut, and adopts, as `pass`, the
    /// first cut whose geometry `accept` takes (given the held geometry and the cut's). Stops
    /// at the first cut the segmenter cannot make.
    fn adopt_first_cut(
        &mut self,
        sources: &[MaskSlot],
        scales: &[f32],
        pass: MaskPass,
        accept: impl Fn(&HandGeometry, &HandGeometry) -> bool,
    ) {
        for &slot in sources {
            for &scale in scales {
                let source = match slot {
                    MaskSlot::Held => &self.mask,
                    MaskSlot::First => &self.mask_first,
                };
                if !self
                    .segmenter
                    .edge_cut_at(&self.low, source, scale, &mut self.mask_cut)
                {
                    return;
                }
                self.find_on_cut();
                if accept(&self.geometry, &self.geometry_refined) {
                    self.adopt_cut(pass);
                    return;
                }
            }
        }
    }

    /// Takes the candidate mask and the geometry found on it ([`Analyzer::find_on_cut`]) as
    /// the frame's, from `pass`.
    fn adopt_cut(&mut self, pass: MaskPass) {
        std::mem::swap(&mut self.geometry, &mut self.geometry_refined);
        std::mem::swap(&mut self.mask, &mut self.mask_cut);
        self.mask_pass = pass;
    }

    /// Fifth-digit pass, for four digits counted with a thumb among them: a thumb in view
    /// beside four fingers is five digits, so a finger is likely missing, joined by the colour
    /// mask to the thumb, to a neighbour or to a background of its colour (the largest group of
    /// missed `too_many_fingers` calls: five digits in view counted four, 40 frames over eight
    /// development sets). The mask is cut along the edge map as in the edge-cut pass
    /// ([`EDGE_CUT_SCALES`]), and the cut is kept only when it shows one digit more, keeps every
    /// digit found, and each new one fits the hand ([`new_fingers_fit_the_hand`]) and lies whole
    /// inside the frame (at least [`NEW_DIGIT_MIN_INSIDE`] of it, tip not cut): a piece at the
    /// frame's edge is as likely background. It runs on one or two frames in a hundred. Over
    /// the eight development sets (training seeds 0-799, held-out 1280x720 from 1,000,000,
    /// 1920x1080 from 1,000,000 and 2,000,000, 350 from 3,000,000): finger count right on 7
    /// more frames, wrong on 2 more, four-finger hands on which a background blob or the little
    /// finger had been read as a thumb (on one of them the little finger had been missed, and
    /// the cut finds it; the other was already rejected by a wrong `wrong_hand` call); the 500
    /// gray frames 1 more right; the real hand photos unchanged.
    fn fifth_digit_pass(&mut self) {
        let expected = self.config.expected_fingers;
        let thumb_in_view = counted(&self.geometry).any(|f| f.name == FingerName::Thumb);
        if self.geometry.count() != expected
            || !thumb_in_view
            || usize::from(expected) >= distance::MAX_DIGITS
        {
            return;
        }
        // The mask the edge-cut pass cuts first.
        let (first, _) = self.cut_sources();
        self.adopt_first_cut(
            &[first],
            &EDGE_CUT_SCALES,
            MaskPass::FifthDigit,
            |before, after| {
                let whole_if_new = |b: &Finger| {
                    counted(before).any(|a| same_tip(a, b))
                        || (!b.tip_cut && b.inside_fraction >= NEW_DIGIT_MIN_INSIDE)
                };
                after.count() == expected + 1
                    && keeps_every_finger(before, after)
                    && new_fingers_fit_the_hand(before, after)
                    && counted(after).all(whole_if_new)
            },
        );
    }

    /// Framing pass, for a fingertip read as cut by the frame edge: the held mask cut along the
    /// edge map's strong outlines ([`Segmenter::edge_cut_at`] at [`FRAMING_EDGE_SCALES`]). A
    /// background region of the hand's colour that touches the frame's edge and joins a
    /// fingertip extends that finger out of the frame, so the frame is called
    /// `partially_out_of_frame` for a tip well inside it; the tip's outline against that region
    /// is usually still in the edge map.
    /// Kept only when the cut shows the same count, keeps every finger, and every finger that
    /// was out of the frame has a counterpart whose tip is inside it (not extrapolated), as wide
    /// within [`FRAMING_MIN_WIDTH_RATIO`] (the cut also narrows a finger whose side runs along
    /// the frame edge, which moves its pad inward without finding any tip), and no finger out
    /// any more. Held-out scenes, partially_out_of_frame F1: 300 at 1280x720 from seed
    /// 1,000,000, 0.55 -> 0.60 (verdict 0.944 -> 0.951); 200 at 1920x1080 from 1,000,000,
    /// 0.53 -> 0.56; training seeds 0-199 / 200-599 / 600-799, 0.71 / 0.59 / 0.62 -> 0.75 /
    /// 0.60 / 0.65. Over those, 200 more at 1920x1080 and 500 gray frames: 11 wrong
    /// partially_out_of_frame calls dropped, none added, none of the right ones lost.
    fn framing_pass(&mut self) {
        let limit = self.config.framing.max_outside_fraction;
        let out = |f: &Finger| 1.0 - f.inside_fraction > limit;
        let count = self.geometry.count();
        if count == 0 || fragmented(&self.geometry) || !counted(&self.geometry).any(out) {
            return;
        }
        self.adopt_first_cut(
            &[MaskSlot::Held],
            &FRAMING_EDGE_SCALES,
            MaskPass::Framing,
            |before, after| {
                let freed = |a: &Finger| {
                    counted(after).any(|b| {
                        same_tip(a, b)
                            && !b.tip_cut
                            && b.width_px >= FRAMING_MIN_WIDTH_RATIO * a.width_px
                    })
                };
                after.count() == count
                    && keeps_every_finger(before, after)
                    && counted(before).filter(|a| out(a)).all(freed)
                    && !counted(after).any(out)
            },
        );
    }

    /// A colour frame still in doubt after the refit, with a finger found: its mask taken from
    /// luma alone (Otsu's two classes, each in turn), as a gray frame's is. A background that
    /// shares the hand's colour but not its brightness (a beige wall brighter than the hand, a
    /// dark room) takes the colour mask whole; brightness still tells them apart. Kept only
    /// when it shows the expected count with a hand side and more finger evidence, and, short
    /// of fingers, every finger already found plus new ones that fit the hand (the edge-cut
    /// pass's rule: on the real photos of other signs on paper, a luma class made a palm and a
    /// folded thumb the missing fingers). Training seeds 0-199 / 200-599 at 1280x720 and
    /// 600-799 at 1920x1080, finger count 0.879 / 0.855 / 0.825 -> 0.879 / 0.867 / 0.825;
    /// held-out seeds from 1,000,000 (300, 720p) and 2,000,000 (200, 1080p): 0.821 / 0.749 ->
    /// 0.841 / 0.769, hand side 0.889 / 0.842 -> 0.917 / 0.871.
    ///
    /// When the frame showed more "fingers" than a hand has digits, any complete hand is
    /// kept, whatever the evidence (finger count on the same sets 0.879 / 0.870 / 0.840 and
    /// 0.845 / 0.789; real hand photos, the target pose counted four on 25 of 37 against 23).
    /// Then, with such fragments still, the hand's outline ([`Segmenter::border_flood`]) on the
    /// same terms: 0.879 / 0.870 / 0.855 and 0.845 / 0.794, hand side 0.922 / 0.906 / 0.835
    /// and 0.921 / 0.865.
    fn colour_luma_passes(&mut self) {
        let expected = self.config.expected_fingers;
        if self.geometry.count() == 0 {
            return;
        }
        for class in [Some(GrayClass::Centre), Some(GrayClass::Other), None] {
            let pass = match class {
                Some(class) => {
                    self.segmenter
                        .segment_luma_as(&self.low, class, &mut self.mask_cut);
                    MaskPass::Luma
                }
                // Last, the outline, for a hand on a background of its own colour and shade
                // that the colour mask broke into more "fingers" than a hand has digits. (Tried
                // on every frame in doubt it mended a few more counts, but its mask also takes
                // in background between touching fingers, which exposure and glare then read:
                // 200 held-out 1080p scenes, too_bright F1 0.92 -> 0.86, glare 0.92 -> 0.86.)
                None => {
                    // (Fragments are in doubt: the expected count is at most five.)
                    if !fragmented(&self.geometry)
                        || !self
                            .segmenter
                            .border_flood(&self.low, &self.mask, &mut self.mask_cut)
                    {
                        continue;
                    }
                    MaskPass::Outline
                }
            };
            self.find_on_cut();
            let (before, after) = (&self.geometry, &self.geometry_refined);
            let adds_fingers = before.count() >= expected
                || (keeps_every_finger(before, after) && new_fingers_fit_the_hand(before, after));
            // More "fingers" than a hand has digits are fragments of a mask gone wrong, and
            // fragments pile up finger evidence (each counts up to three widths of length):
            // any complete hand is better.
            let better = fragmented(before) || finger_evidence(after) > finger_evidence(before);
            if complete(after, &self.config) && adds_fingers && better {
                self.adopt_cut(pass);
            }
        }
    }

    /// Ridge period (pixels) of a square of the frame, its side `CLOSE_UP_SIDE` of the frame's
    /// shorter side, centred on `centre` (moved inside the frame) and measured inside the hand
    /// mask.
    fn probe_close_up(&mut self, frame: &FrameView, centre: [f32; 2]) -> Option<f32> {
        let (cx, cy) = (centre[0] as f64, centre[1] as f64);
        let side = (frame.width().min(frame.height()) as f64 * CLOSE_UP_SIDE) as u32;
        let x0 = (cx - side as f64 / 2.0).clamp(0.0, (frame.width() - side) as f64) as u32;
        let y0 = (cy - side as f64 / 2.0).clamp(0.0, (frame.height() - side) as f64) as u32;
        let rect = frame.copy_luma(
            Rect {
                x: x0,
                y: y0,
                width: side,
                height: side,
            },
            &mut self.probe_roi,
        );
        fill_roi_mask(&self.mask, &self.mask.mask, rect, &mut self.probe_mask);
        self.measure_probe(rect);
        self.probe_ridges.period_px
    }

    /// Ridges of the probe region `rect` (copied into `probe_roi`, its mask in `probe_mask`),
    /// with no finger axis, into `probe_ridges`.
    fn measure_probe(&mut self, rect: Rect) {
        self.ridge.set_finger_axis(None);
        self.ridge.measure_strided(
            &self.probe_roi,
            &self.probe_mask,
            rect.width as usize,
            rect.height as usize,
            rect.width as usize,
            &mut self.probe_ridges,
        );
    }

    /// The ridge period across the frame's centre (a square of the shorter side), read
    /// without a mask: the close-up reading when no finger could be traced.
    fn probe_frame_centre(&mut self, frame: &FrameView) -> Option<f32> {
        let side = frame.width().min(frame.height());
        let rect = frame.copy_luma(
            Rect {
                x: (frame.width() - side) / 2,
                y: (frame.height() - side) / 2,
                width: side,
                height: side,
            },
            &mut self.probe_roi,
        );
        self.probe_mask.clear();
        self.probe_mask.resize(self.probe_roi.len(), 255);
        self.measure_probe(rect);
        // Without a mask nothing tells the blocks on a finger's crest from those on its
        // flanks, where the curve foreshortens the ridges: the median reads short (training
        // close-ups at 720p: 4-20% under the true period), the upper quartile of the blocks
        // much less so.
        // A spectral peak from fewer than four periods per block is as likely any texture (on
        // a small frame, hair or fabric at a ridge-like scale).
        let period = self.probe_ridges.period_px?;
        if (self.probe_ridges.block_px as f32) < MIN_PROBE_PERIODS_PER_BLOCK * period {
            return None;
        }
        let mut periods = [0f32; 64];
        let mut n = 0;
        for b in self.probe_ridges.detail.iter().filter(|b| b.valid) {
            if n == periods.len() {
                break;
            }
            periods[n] = b.period_px;
            n += 1;
        }
        let periods = &mut periods[..n];
        periods.sort_by(|a, b| a.total_cmp(b));
        periods.get(n * 3 / 4).copied()
    }

    /// A frame too dark for segmentation (its reduced luma's 99th percentile under
    /// `DARK_P99`) is brightened for segmentation and geometry: luma and the chroma's distance
    /// from neutral scaled by one gain, as a longer exposure would, so that skin colour and the
    /// outlines the masks are cut along stand out of the quantisation (a hand at luma 15-30 is
    /// plain to the eye once stretched, but its chroma sits within a few levels of neutral).
    /// The originals are kept for the exposure stage ([`Analyzer::restore_dark`]).
    fn brighten_if_dark(&mut self) -> bool {
        let low = &mut self.low;
        let n = (low.width * low.height) as usize;
        if n == 0 || low.luma.len() < n || low.cb.len() < n || low.cr.len() < n {
            return false;
        }
        // Most frames are not dark: a count that vectorises settles it before the histogram.
        // (At most 1% at or above the limit: the 99th percentile is under it.)
        let limit = DARK_P99 as u8;
        let bright = low.luma[..n].iter().filter(|&&v| v >= limit).count();
        if bright * 100 > n {
            return false;
        }
        let hist = segment::histogram_u8(&low.luma[..n]);
        // At least 99% at or below (not `segment::hist_percentile`'s "more than"), so that a
        // frame the count above lets through always reads under the limit.
        let want = (n as u64 * 99).div_ceil(100);
        let (mut acc, mut p99) = (0u64, 255usize);
        for (v, &c) in hist.iter().enumerate() {
            acc += u64::from(c);
            if acc >= want {
                p99 = v;
                break;
            }
        }
        let gain = (DARK_TARGET / (p99 as f32).max(1.0)).min(DARK_MAX_GAIN);
        if gain <= 1.0 {
            return false;
        }
        for (saved, plane) in self
            .dark_saved
            .iter_mut()
            .zip([&low.luma, &low.cb, &low.cr])
        {
            saved.clear();
            saved.extend_from_slice(&plane[..n]);
        }
        for v in &mut low.luma[..n] {
            *v = (f32::from(*v) * gain).round().min(255.0) as u8;
        }
        for plane in [&mut low.cb, &mut low.cr] {
            for v in &mut plane[..n] {
                *v = (128.0 + (f32::from(*v) - 128.0) * gain)
                    .round()
                    .clamp(0.0, 255.0) as u8;
            }
        }
        true
    }

    /// Puts back the reduced luma and chroma [`Analyzer::brighten_if_dark`] brightened.
    fn restore_dark(&mut self) {
        let low = &mut self.low;
        for (saved, plane) in self
            .dark_saved
            .iter()
            .zip([&mut low.luma, &mut low.cb, &mut low.cr])
        {
            if plane.len() >= saved.len() {
                plane[..saved.len()].copy_from_slice(saved);
            }
        }
    }

    /// Close-up pass: a hand whose ridges say it is closer than the allowed range has fingers
    /// too wide for the usual reduced image (ridges there read as the lines between fingers).
    /// Traced again on an image reduced until a fingertip is about `CLOSE_UP_FINGER_PX` wide,
    /// where the ridges average out. Kept when it shows between one and `fit` fingers, each as
    /// wide as a fingertip at `ppi`; then the coarse image, mask and geometry replace the usual
    /// ones (in the frame's orientation), and the hand's tilt from upright is returned.
    fn close_up_pass(
        &mut self,
        frame: &FrameView,
        ppi: f32,
        fit: usize,
        turn: Option<QuarterTurns>,
    ) -> Option<f32> {
        let (w, h) = (frame.width(), frame.height());
        let finger_px = TYPICAL_FINGER_MM * ppi / 25.4;
        let usual = segment::work_factor(w, h);
        let mut factor = (finger_px / CLOSE_UP_FINGER_PX).round().max(1.0) as u32;
        if factor % 2 == 1 {
            factor += 1;
        }
        // (Nor on a frame too small to hold a few reduced pixels per fingertip.)
        if factor <= usual || w.min(h) / factor < CLOSE_UP_MIN_SIDE {
            return None;
        }
        std::mem::swap(&mut self.low, &mut self.low_spare);
        frame.downsample_into(factor, &mut self.low);
        if let Some(t) = turn {
            self.low.turn_into(t, &mut self.low_turned);
            std::mem::swap(&mut self.low, &mut self.low_turned);
        }
        self.segmenter.segment(&self.low, &mut self.mask_cut);
        self.finder.find_from(
            &self.mask_cut,
            &self.low,
            &self.config,
            true,
            &mut self.geometry_refined,
        );
        if turn.is_some() {
            std::mem::swap(&mut self.low, &mut self.low_turned);
        }
        let geo = &self.geometry_refined;
        let count = usize::from(geo.count());
        let plausible = counted(geo).all(|f| fits_close_up_width(f.width_px, finger_px));
        if !(1..=fit).contains(&count) || !plausible {
            std::mem::swap(&mut self.low, &mut self.low_spare);
            return None;
        }
        std::mem::swap(&mut self.geometry, &mut self.geometry_refined);
        std::mem::swap(&mut self.mask, &mut self.mask_cut);
        self.mask_pass = MaskPass::CloseUp;
        let tilt_deg = self.geometry.angle_deg;
        if let Some(t) = turn {
            self.turn_geometry_back(t, w, h);
        }
        Some(tilt_deg)
    }

    /// Measures the ridges of each of `fingers` (see [`Analyzer::measure_ridges`]) and writes
    /// the periods found, in order, to the front of `periods`; returns how many.
    fn measure_counted_ridges(
        &mut self,
        frame: &FrameView,
        fingers: &CountedFingers,
        periods: &mut [f32; MAX_FINGERS],
    ) -> usize {
        let mut np = 0;
        for i in 0..fingers.n {
            self.ridge.set_finger_axis(Some(fingers.axes[i]));
            if let Some(p) = self.measure_ridges(frame, fingers.boxes[i], fingers.widths[i], i) {
                periods[np] = p;
                np += 1;
            }
        }
        np
    }

    fn measure_ridges(
        &mut self,
        frame: &FrameView,
        rect: Rect,
        width_px: f32,
        i: usize,
    ) -> Option<f32> {
        let frect = frame.copy_luma(
            crate::focus::focus_rect(rect, width_px),
            &mut self.focus_rois[i],
        );
        self.focus_rects[i] = frect;
        fill_roi_mask(
            &self.mask,
            &self.geometry.finger_mask,
            frect,
            &mut self.focus_roi_masks[i],
        );
        let rect = rect.clamp_to(frame.width(), frame.height());
        self.roi_rects[i] = rect;
        self.roi_in_focus[i] = sub_offset(frect, rect);
        if self.roi_in_focus[i].is_none() {
            // Not inside the focus region (cannot happen with a non-negative margin): read the
            // frame again.
            frame.copy_luma(rect, &mut self.rois[i]);
            fill_roi_mask(
                &self.mask,
                &self.geometry.finger_mask,
                rect,
                &mut self.roi_masks[i],
            );
        }
        self.ridge
            .set_clip_level(self.config.exposure.clipped_level);
        let (luma, mask, stride) = print_roi(
            self.roi_in_focus[i],
            (&self.focus_rois[i], &self.focus_roi_masks[i], frect),
            (&self.rois[i], &self.roi_masks[i], rect),
        );
        self.ridge.measure_strided(
            luma,
            mask,
            rect.width as usize,
            rect.height as usize,
            stride,
            &mut self.ridges[i],
        );
        self.ridges[i].period_px
    }
}

/// Luma and mask of a print box, and their row stride: read in place in the focus region's
/// copy at `offset`, or the box's own copy when it was not inside it (`None`).
fn print_roi<'a>(
    offset: Option<usize>,
    focus: (&'a [u8], &'a [u8], Rect),
    own: (&'a [u8], &'a [u8], Rect),
) -> (&'a [u8], &'a [u8], usize) {
    match offset {
        Some(o) => (
            focus.0.get(o..).unwrap_or(&[]),
            focus.1.get(o..).unwrap_or(&[]),
            focus.2.width as usize,
        ),
        None => (own.0, own.1, own.2.width as usize),
    }
}

/// Where the `sub` rectangle starts in a `rect.width`-wide image of `rect`, when it lies inside.
fn sub_offset(rect: Rect, sub: Rect) -> Option<usize> {
    let inside = sub.x >= rect.x
        && sub.y >= rect.y
        && sub.x as u64 + sub.width as u64 <= rect.x as u64 + rect.width as u64
        && sub.y as u64 + sub.height as u64 <= rect.y as u64 + rect.height as u64;
    inside.then(|| (sub.y - rect.y) as usize * rect.width as usize + (sub.x - rect.x) as usize)
}

/// Nearest-neighbour upsampling of the finger mask into a full-resolution mask of `rect`: the mask
/// pixel advanced by a countdown (a per-pixel division here cost more than the ridge measurement
/// itself), and rows from the same mask row copied from the previous one.
fn fill_roi_mask(mask: &HandMask, finger_mask: &[u8], rect: Rect, out: &mut Vec<u8>) {
    let (w, h) = (rect.width as usize, rect.height as usize);
    out.resize(w * h, 0);
    let f = mask.factor.max(1) as usize;
    let (mw, mh) = (mask.width as usize, mask.height as usize);
    if finger_mask.len() < mw * mh || w == 0 || mw == 0 || mh == 0 {
        out.iter_mut().for_each(|v| *v = 1);
        return;
    }
    let x0 = rect.x as usize;
    let mut prev_my = usize::MAX;
    for row in 0..h {
        let my = ((rect.y as usize + row) / f).min(mh - 1);
        let (done, rest) = out.split_at_mut(row * w);
        let dst = &mut rest[..w];
        if my == prev_my {
            dst.copy_from_slice(&done[(row - 1) * w..]);
            continue;
        }
        prev_my = my;
        let src = &finger_mask[my * mw..(my + 1) * mw];
        // One mask pixel after another, without a division or a (call to) memset per run of
        // `f` bytes: both cost more than the few bytes they write.
        let mut mx = x0 / f;
        let mut left = (mx + 1) * f - x0;
        let mut val = src[mx.min(mw - 1)];
        for d in dst.iter_mut() {
            *d = val;
            left -= 1;
            if left == 0 {
                mx += 1;
                left = f;
                val = src[mx.min(mw - 1)];
            }
        }
    }
}

/// Angle `a` (radians) brought into (-pi, pi].
fn wrap_pi(a: f32) -> f32 {
    use std::f32::consts::{PI, TAU};
    let r = a.rem_euclid(TAU);
    if r > PI { r - TAU } else { r }
}

/// The frame's focus from its fingertips' reports and, in the same order, their focus
/// measurements (for which fingertips' silhouettes were read).
fn summarise_focus(report: &mut Report, focus: &[FocusMeasure]) {
    let mut blur = [0f32; MAX_FINGERS];
    let mut motion = [0f32; MAX_FINGERS];
    let mut score = [0f32; MAX_FINGERS];
    let (mut nb, mut nm, mut ns) = (0, 0, 0);
    // Blur from the best evidence any fingertip gave: resolved ridges, else the silhouette's
    // edges. A box that missed its fingertip (background, a fragment) shows no ridges and
    // would read as blurred, and so would a dirty or worn fingertip whose silhouette was not
    // read, while optical blur is shared by all fingers in the focal plane.
    let outlined = |i: usize| focus.get(i).is_some_and(|m| m.edge_blur_px.is_some());
    let resolved = report
        .fingers
        .iter()
        .any(|f| f.ridge_period_px.is_some() && f.blur_mm.is_some());
    let any_outlined = report
        .fingers
        .iter()
        .enumerate()
        .any(|(i, f)| outlined(i) && f.blur_mm.is_some());
    for (i, f) in report.fingers.iter().take(MAX_FINGERS).enumerate() {
        let tier_ok = if resolved {
            f.ridge_period_px.is_some()
        } else if any_outlined {
            outlined(i)
        } else {
            true
        };
        if let Some(b) = f.blur_mm.filter(|_| tier_ok) {
            blur[nb] = b;
            nb += 1;
        }
        if let Some(m) = f.motion_mm {
            motion[nm] = m;
            nm += 1;
        }
        score[ns] = f.focus_score;
        ns += 1;
    }
    report.focus.blur_mm = median_in_place(&mut blur[..nb]);
    report.focus.motion_mm = median_in_place(&mut motion[..nm]);
    report.focus.score = median_in_place(&mut score[..ns]).unwrap_or(0.0);
}

/// 0-100 fitness of one fingertip for matching: focus, ridge clarity, exposure and glare.
fn finger_quality(f: &FingerReport, config: &Config) -> u8 {
    let focus = (f.focus_score / 100.0).clamp(0.0, 1.0);
    let clarity = f.ridge_clarity.clamp(0.0, 1.0);
    let e = &config.exposure;
    let exposure = if f.mean_luma < e.dark_mean {
        (f.mean_luma / e.dark_mean).clamp(0.0, 1.0)
    } else if f.mean_luma > e.bright_mean {
        ((255.0 - f.mean_luma) / (255.0 - e.bright_mean).max(1.0)).clamp(0.0, 1.0)
    } else {
        1.0
    };
    let glare = (1.0 - 20.0 * f.glare_fraction).clamp(0.0, 1.0);
    let inside = f.inside_fraction.clamp(0.0, 1.0);
    let q = 100.0 * (0.45 * focus + 0.35 * clarity + 0.2 * exposure) * glare * inside;
    q.round().clamp(0.0, 100.0) as u8
}

/// Confidence in the hand side (0-1) from which `wrong_hand` is reported.
const WRONG_HAND_MIN_CONFIDENCE: f32 = 0.6;

/// Turns the measurements into reasons, in priority order, and the verdict.
fn decide(report: &mut Report, geo: &HandGeometry, config: &Config) {
    let expected = config.expected_hand;
    let mut push = |code, value: f32, threshold: f32| {
        report
            .reasons
            .push(Reason::new(code, value, threshold, expected));
    };
    let count = report.finger_count;
    // A close-up whose ridges fill the frame is a hand, traced or not.
    if (!geo.hand_present || count == 0) && !report.ppi.close_up {
        push(ReasonCode::NoHand, count as f32, 1.0);
        // In the dark no hand can be found: say what to fix.
        let e = &report.exposure;
        if e.pixels > 0 && e.mean < config.exposure.dark_mean {
            push(ReasonCode::TooDark, e.mean, config.exposure.dark_mean);
        }
    } else {
        // Telling the user to switch hands is costly when wrong, and a side decided from three
        // fingers or from tips at nearly equal heights is a coin flip (confidence 0.5 or just
        // above): only a clear decision counts.
        // And only with the expected number of fingers counted: with one missing or one extra
        // (often background taken for a digit) the length profile is read off the wrong
        // digits, and the side with it (training seeds 0-799: 2 of 31 such calls right,
        // against 38 of 48 with four counted). The count's own reason is what to fix first.
        if count >= 3
            && count == config.expected_fingers
            && geo.hand != Hand::Unknown
            && geo.hand != expected
            && geo.hand_confidence >= WRONG_HAND_MIN_CONFIDENCE
        {
            push(
                ReasonCode::WrongHand,
                geo.hand_confidence,
                WRONG_HAND_MIN_CONFIDENCE,
            );
        }
        let want = config.expected_fingers;
        if count > want {
            push(ReasonCode::TooManyFingers, count as f32, want as f32);
        } else if count < want {
            push(ReasonCode::TooFewFingers, count as f32, want as f32);
        }
        // With more fingers than a hand has digits, the "fingertips" are not known to be
        // fingertips: what is judged per fingertip (framing, focus, ridge clarity) is not
        // claimed, and the count is what to fix (training seeds 0-799, frames counted at six or
        // more: 9 of 10 partially_out_of_frame calls and all 4 too_blurry calls wrong).
        let digits_plausible = usize::from(count) <= distance::MAX_DIGITS;
        let worst_outside = geo
            .fingers
            .iter()
            .filter(|f| f.counted)
            .take(usize::from(count))
            .map(|f| 1.0 - f.inside_fraction)
            .fold(0.0f32, f32::max);
        if digits_plausible && worst_outside > config.framing.max_outside_fraction {
            push(
                ReasonCode::PartiallyOutOfFrame,
                worst_outside,
                config.framing.max_outside_fraction,
            );
        }
        let x = &report.exposure;
        let exposure_ok = x.pixels > 0
            && x.mean >= config.exposure.dark_mean
            && x.mean <= config.exposure.bright_mean
            && x.clipped_fraction <= config.exposure.max_clipped_fraction;
        // The width ruler reads a hand as far whenever its fingers come out narrow: in bad light
        // the mask loses their shaded or clipped edges, and with a miscount the "fingers" are
        // fragments or background. Without ridges to confirm it, `too_far` is claimed only
        // with the expected count in good light; otherwise the count or the light is what to
        // fix first, and distance is judged once they are right (the ppi is still reported).
        // Training seeds 0-199 / 200-599 / 600-799: too_far F1 0.78 / 0.70 / 0.60 -> 0.92 /
        // 0.74 / 0.79, nothing else moved; the count condition alone gave 0.90 / 0.71 / 0.67,
        // the light alone 0.84 / 0.74 / 0.69.
        // Nor when the width puts the ridges at a period the ridge stage resolves (at least
        // `RESOLVABLE_PERIOD_PX`): distance does not explain why no fingertip showed ridges, so
        // blur or faint ridges do, and those are the reasons (faint ridges are judged as at a
        // distance in range). Held-out 1280x720 / 1920x1080 scenes (300 and 200 from seed
        // 1,000,000), too_far F1 0.75 / 0.33 -> 0.79 / 0.36; 200 at 1920x1080 from 2,000,000,
        // 0.73 -> 0.80; as 8-bit gray, training 0-199 and 300 held-out, too_far 0.65 / 0.67 ->
        // 0.70 / 0.73 and low_ridge_contrast 0.56 / 0.38 -> 0.67 / 0.44; verdict unchanged on
        // every set (the far calls it drops were made on frames whose blur or faint ridges
        // were called as well).
        let width_judged = exposure_ok && count == config.expected_fingers;
        let ridges_expected = report.ppi.source == PpiSource::Width
            && width_judged
            && report
                .ppi
                .ppi
                .is_some_and(|p| distance::ridge_period_at(p, config) >= RESOLVABLE_PERIOD_PX);
        let far_judged =
            report.ppi.source != PpiSource::Width || (width_judged && !ridges_expected);
        if let Some(ppi) = report.ppi.ppi {
            if ppi < config.ppi.min && far_judged {
                push(ReasonCode::TooFar, ppi, config.ppi.min);
            } else if ppi > config.ppi.max {
                push(ReasonCode::TooClose, ppi, config.ppi.max);
            }
        }
        let e = &config.exposure;
        if report.exposure.pixels > 0 {
            if report.exposure.mean < e.dark_mean {
                push(ReasonCode::TooDark, report.exposure.mean, e.dark_mean);
            } else if report.exposure.mean > e.bright_mean {
                push(ReasonCode::TooBright, report.exposure.mean, e.bright_mean);
            } else if report.exposure.clipped_fraction > e.max_clipped_fraction {
                push(
                    ReasonCode::TooBright,
                    report.exposure.clipped_fraction,
                    e.max_clipped_fraction,
                );
            }
        }
        let f = &config.focus;
        let blur = report.focus.blur_mm.unwrap_or(0.0);
        let motion = report.focus.motion_mm.unwrap_or(0.0);
        // With no ridges and no silhouette seen in any fingertip, blur is a guess, and in a
        // dark or overexposed frame the light explains the missing ridges as well: the user is
        // told about the light, and focus is judged once it is right (training seeds 0-799:
        // 12 such too_blurry calls, all wrong; the 9 right guesses had the light right).
        // Nor in a close-up the finder traced as a few stubs: the ridge stage sized its blocks
        // to the stubs, so unresolved ridges there say how close the hand is, not how blurred
        // (the close-up probe's premise; training seeds 0-799: 4 such too_blurry calls, all
        // wrong).
        // Nor in a close-up read across the frame: its ridges resolved there, and the traced
        // stubs' focus, read at that ridge period, measures the stubs (training seeds 0-599 at
        // 720p: 3 such too_blurry calls, all wrong).
        let blur_judged = digits_plausible
            && !report.ppi.close_up
            && (report.focus.measured
                || (exposure_ok && !close_up_stubs(usize::from(count), report.hand_fraction)));
        if blur_judged && blur >= f.max_blur_mm {
            push(ReasonCode::TooBlurry, blur, f.max_blur_mm);
        } else if blur_judged && motion >= f.max_motion_mm {
            push(ReasonCode::TooBlurry, motion, f.max_motion_mm);
        }
        let g = &config.glare;
        let min_glare = (g.min_pixels as f32).max(g.min_fraction * report.exposure.pixels as f32);
        if report.glare.pixels as f32 >= min_glare && report.glare.pixels > 0 {
            push(ReasonCode::Glare, report.glare.fraction, g.min_fraction);
        }
        // Faint ridges in a dark or overexposed frame are the light's doing, not the skin's:
        // the user is told about the light, and ridge clarity is judged once it is right.
        // Likewise blur or motion past the limit (motion wipes out the ridges across it).
        let sharp = blur < f.max_blur_mm && motion < f.max_motion_mm;
        if digits_plausible && !report.fingers.is_empty() && sharp && exposure_ok {
            let mut clarity = [0f32; MAX_FINGERS];
            let n = report.fingers.len().min(MAX_FINGERS);
            for (c, fr) in clarity.iter_mut().zip(report.fingers.iter()) {
                *c = fr.ridge_clarity;
            }
            // Clarity also falls on clean ridges made faint by dim light or by blur just under
            // the limit; they still swing a few percent of the skin's brightness in more than
            // one fingertip, where dirty or worn ridges do not. The second best fingertip
            // decides, so that one box on other skin or on background cannot veto the call
            // (training seeds 0-799, frames with the light and focus right: of 37 clean frames
            // under the clarity bound 9 are kept, and all 42 dirty ones called by clarity stay
            // called; the best fingertip alone kept 15 clean ones but dropped dirty ones).
            let mut modulation = [0f32; MAX_FINGERS];
            for (m, fr) in modulation.iter_mut().zip(report.fingers.iter()) {
                *m = fr.ridge_modulation;
            }
            let modulation = &mut modulation[..n];
            modulation.sort_by(|a, b| b.total_cmp(a));
            let second_modulation = modulation.get(1).or(modulation.first()).copied();
            if let Some(c) = median_in_place(&mut clarity[..n]) {
                // (With no distance at all, no ridges were found and no finger widths agree:
                // with the fingers all there, nothing says their ridges can be read.)
                if c < config.ridge.min_clarity
                    && second_modulation.is_some_and(|m| m < config.ridge.min_modulation)
                    && report
                        .ppi
                        .ppi
                        .map_or(count == config.expected_fingers, |p| {
                            p >= config.ppi.min || ridges_expected
                        })
                {
                    push(ReasonCode::LowRidgeContrast, c, config.ridge.min_clarity);
                }
            }
        }
        if report.ppi.camera_limited {
            push(
                ReasonCode::CameraLimit,
                report.ppi.max_reachable_ppi,
                config.ppi.min,
            );
        }
    }
    report.reasons.sort_by_key(|r| r.code);
    report.verdict = if report.reasons.is_empty() {
        Verdict::Accept
    } else {
        Verdict::Reject
    };
}

/// Ridge period (pixels) from which the ridge stage resolves the ridges of a sharp, clean
/// fingertip with margin: its floor is 3.5 px (`ridge::MIN_PERIOD_PX`), and a width-only
/// reading is uncertain by about 14% (5 / 1.14 = 4.4 px). A period of 5 px is 267 ppi.
const RESOLVABLE_PERIOD_PX: f32 = 5.0;

/// Edge-map thresholds (as multiples of the usual one) the framing pass cuts at: only strong
/// outlines, a fingertip's against the background, so that creases and ridge texture do not cut
/// a finger out of the frame into a piece that merely ends inside it. (The edge-cut pass's finer
/// scales, 1.0 and 0.8, mended no frame more on colour frames and cost up to 6 ms more on the
/// frames that take the pass.)
const FRAMING_EDGE_SCALES: [f32; 2] = [1.3, 1.7];

/// Narrowest a finger freed by the framing pass may come out, as a share of its width before:
/// the width ruler's own spread between passes is under a tenth.
const FRAMING_MIN_WIDTH_RATIO: f32 = 0.9;

/// Fewest ridge periods a block of the frame-centre probe must span for its reading to count.
const MIN_PROBE_PERIODS_PER_BLOCK: f32 = 4.0;

/// Most counted fingers, and least share of the frame the hand mask covers, at which a frame
/// with no ridges measured on its fingers is probed for a hand too close to trace.
const CLOSE_UP_MAX_FINGERS: usize = 3;
const CLOSE_UP_MIN_FILL: f32 = 0.35;

/// Reduced-luma 99th percentile under which a frame is brightened for segmentation and
/// geometry, and the level the brightening takes it to. (Training seeds 0-799, finger count:
/// 0.899 / 0.880 / 0.850 without, 0.904 / 0.893 / 0.855 with these; a limit of 60 or 100, or a
/// target of 140, mended fewer frames or broke more.)
const DARK_P99: f32 = 80.0;
const DARK_TARGET: f32 = 180.0;
/// Largest brightening gain: the noise grows with it.
const DARK_MAX_GAIN: f32 = 6.0;

/// Fingertip width the close-up pass reduces the frame to, in reduced pixels.
const CLOSE_UP_FINGER_PX: f32 = 40.0;
/// Shortest side, in reduced pixels, of the close-up pass's image.
const CLOSE_UP_MIN_SIDE: u32 = 16;
/// Width of a typical adult fingertip (15-20 mm), for the close-up pass's scale.
const TYPICAL_FINGER_MM: f32 = 17.5;
/// Widths the close-up pass accepts, as a share of a typical fingertip at the measured ppi.
const CLOSE_UP_MIN_WIDTH_RATIO: f32 = 0.55;
const CLOSE_UP_MAX_WIDTH_RATIO: f32 = 1.6;

/// The counted fingers' print boxes, widths and axes, as many as a report holds, in the
/// geometry's order.
#[derive(Clone, Copy, Default)]
struct CountedFingers {
    boxes: [Rect; MAX_FINGERS],
    widths: [f32; MAX_FINGERS],
    axes: [[f32; 2]; MAX_FINGERS],
    tips: [[f32; 2]; MAX_FINGERS],
    n: usize,
}

impl CountedFingers {
    fn of(geo: &HandGeometry) -> Self {
        let mut out = CountedFingers::default();
        for finger in counted(geo) {
            out.boxes[out.n] = finger.print_box;
            out.widths[out.n] = finger.width_px;
            out.axes[out.n] = finger.direction;
            out.tips[out.n] = finger.tip;
            out.n += 1;
        }
        out
    }
}

/// The report's hand, tilt, hand share and finger count from `geo`.
fn geometry_into_report(geo: &HandGeometry, tilt_deg: f32, report: &mut Report) {
    report.hand = geo.hand;
    report.rotation_deg = tilt_deg;
    report.hand_fraction = geo.hand_fraction;
    // Capped like the per-finger entries, so the count and the list agree even when the finder
    // sees more finger-like shapes than a hand has (stripes, grilles).
    report.finger_count = geo.count().min(MAX_FINGERS as u8);
}

/// Whether a finger `width` pixels wide could be a fingertip `finger_px` wide typically.
fn fits_close_up_width(width: f32, finger_px: f32) -> bool {
    (CLOSE_UP_MIN_WIDTH_RATIO..=CLOSE_UP_MAX_WIDTH_RATIO).contains(&(width / finger_px.max(1.0)))
}

/// Side of the close-up probe, as a share of the frame's shorter side. The ridge stage's blocks
/// are about an eighth of the region's side (decimated above 560 px), so the whole side gives
/// 86-px blocks on a 720p frame: 4.6 ridge periods at 1000 ppi. (0.6 gave 52-px blocks, 2.8
/// periods at 1000 ppi, too few for a spectral peak: training seeds 0-599 at 720p, too_close
/// F1 0.70 / 0.77 -> 0.82 / 0.81.)
const CLOSE_UP_SIDE: f64 = 1.0;

/// Whether `fingers` counted fingers over a hand mask covering `hand_fraction` of the frame
/// look like a close-up the finder traced as stubs: the probe looks for its ridges, and its
/// unread focus is not called blurred.
fn close_up_stubs(fingers: usize, hand_fraction: f32) -> bool {
    fingers <= CLOSE_UP_MAX_FINGERS && hand_fraction >= CLOSE_UP_MIN_FILL
}

/// Fewest fingers the first passes must have found before the edge-cut pass may complete the
/// hand: it recovers a finger or two the colour mask joined to something, not a hand the
/// colour mask missed (on a real photo of an open hand whose first passes found one broad
/// "finger", the pieces of its palm's creases made four).
const MIN_FOUND_FOR_EDGE_CUT: u8 = 2;
/// Edge thresholds the third pass cuts at, as multiples of the usual one, in the order tried:
/// the usual map first; a finer one where a finger's outline against a background of nearly
/// its colour is too faint for it; coarser ones where the usual map also cuts a finger along
/// its crease or ridge texture into pieces too short to be fingers. (Training seeds 0-799,
/// finger count: 0.823 / 0.824 / 0.790 with the usual map alone, 0.848 / 0.844 / 0.800 with
/// these; each extra map costs one cut and one finder pass, on frames short of fingers only.)
const EDGE_CUT_SCALES: [f32; 4] = [1.0, 0.8, 1.3, 1.7];

/// Whether each counted finger of `after` that `before` lacks could be one more finger of the
/// same hand: its tip no more than `NEW_FINGER_MAX_DROP_W` of the found fingers' median width
/// below their median tip, along their mean direction. A little finger's tip sits about a width
/// below the middle one's; a curled finger or a knuckle under the palm, which a finer cut also
/// separates, sits three or more widths lower.
fn new_fingers_fit_the_hand(before: &HandGeometry, after: &HandGeometry) -> bool {
    let found = || counted(before);
    let (dx, dy) = found().fold((0.0, 0.0), |(x, y), f| {
        (x + f.direction[0], y + f.direction[1])
    });
    let norm = dx.hypot(dy);
    if norm < 1e-3 {
        return true;
    }
    let along = |p: [f32; 2]| (p[0] * dx + p[1] * dy) / norm;
    let (mut widths, mut tips) = ([0f32; MAX_FINGERS], [0f32; MAX_FINGERS]);
    let mut n = 0;
    for f in found() {
        (widths[n], tips[n]) = (f.width_px, along(f.tip));
        n += 1;
    }
    let (Some(width), Some(tip)) = (
        median_in_place(&mut widths[..n]),
        median_in_place(&mut tips[..n]),
    ) else {
        return true;
    };
    counted(after).all(|b| {
        found().any(|a| same_tip(a, b)) || tip - along(b.tip) <= NEW_FINGER_MAX_DROP_W * width
    })
}

/// Farthest below the found fingers' median tip (in their median widths) an added tip may be.
const NEW_FINGER_MAX_DROP_W: f32 = 3.0;

/// Least share of a digit the fifth-digit pass adds that must lie inside the frame.
const NEW_DIGIT_MIN_INSIDE: f32 = 0.99;

/// Whether every counted finger of `before` has a counted finger of `after` within one finger
/// width of its tip: the new pass must add fingers, not trade the ones found for others.
fn keeps_every_finger(before: &HandGeometry, after: &HandGeometry) -> bool {
    counted(before).all(|a| counted(after).any(|b| same_tip(a, b)))
}

/// Whether `after` (fewer fingers) reads some of `before`'s fingers as pieces of one: a finger
/// of `after` holds the tips of two or more of them, and no thumb of `before` is lost. A
/// finger the colour mask split along its ridges or crease becomes whole in the cut; a thumb
/// in view, which the cut may drop, must stay.
fn merges_fragments(before: &HandGeometry, after: &HandGeometry) -> bool {
    let merged = counted(after).any(|b| counted(before).filter(|a| holds_tip(b, a)).count() >= 2);
    let thumb_kept = counted(before)
        .filter(|a| a.name == FingerName::Thumb)
        .all(|a| counted(after).any(|b| same_tip(a, b)));
    merged && thumb_kept
}

/// Whether `geo` holds the expected count of fingers and a hand side: nothing left in doubt.
fn complete(geo: &HandGeometry, config: &Config) -> bool {
    geo.count() == config.expected_fingers && geo.hand != Hand::Unknown
}

/// Whether `geo` counts more "fingers" than a hand has digits: fragments of a mask gone wrong.
fn fragmented(geo: &HandGeometry) -> bool {
    usize::from(geo.count()) > distance::MAX_DIGITS
}

/// The counted fingers of a geometry, as many as a report holds.
fn counted(geo: &HandGeometry) -> impl Iterator<Item = &Finger> {
    geo.fingers.iter().filter(|f| f.counted).take(MAX_FINGERS)
}

/// Whether `a`'s tip lies on `b`: within one width of `b`'s tip, or on its axis below the tip
/// (within `b`'s half width across it, and its visible length and one width more along it: the
/// cut may end `b` at the crease a first-pass piece starts from).
fn holds_tip(b: &Finger, a: &Finger) -> bool {
    let (dx, dy) = (a.tip[0] - b.tip[0], a.tip[1] - b.tip[1]);
    let below = -(dx * b.direction[0] + dy * b.direction[1]);
    let across = (dx * b.direction[1] - dy * b.direction[0]).abs();
    same_tip(a, b)
        || (below >= 0.0 && below <= b.length_px + b.width_px && across <= 0.5 * b.width_px)
}

/// Whether two fingers' tips lie within one finger width of each other.
fn same_tip(a: &Finger, b: &Finger) -> bool {
    let (dx, dy) = (a.tip[0] - b.tip[0], a.tip[1] - b.tip[1]);
    (dx * dx + dy * dy).sqrt() < a.width_px.max(b.width_px)
}

/// Share of the found fingers' pixels cut off at each end of the luma band a gray frame's
/// band pass takes (the 10th and 90th percentiles).
const FINGER_BAND_QUANTILE: f32 = 0.1;
/// How far the band reaches past those percentiles, as a share of the span between them (at
/// least `FINGER_BAND_MIN_SPAN` levels): shading across a finger and along it.
const FINGER_BAND_MARGIN: f32 = 0.5;
/// Narrowest span, in luma levels, the band's margin is reckoned from (a flat-lit finger).
const FINGER_BAND_MIN_SPAN: f32 = 4.0;
/// Fewest finger pixels a band is fitted on.
const FINGER_BAND_MIN_PIXELS: u32 = 20;

/// The luma band `(lo, hi)` the pixels marked in `finger_mask` fill: between their
/// [`FINGER_BAND_QUANTILE`] percentiles, widened by [`FINGER_BAND_MARGIN`] of that span on
/// each side. None with fewer than [`FINGER_BAND_MIN_PIXELS`] marked pixels.
fn finger_luma_band(finger_mask: &[u8], luma: &[u8]) -> Option<(u8, u8)> {
    let mut hist = [0u32; 256];
    let mut total = 0u32;
    for (&m, &l) in finger_mask.iter().zip(luma) {
        if m != 0 {
            hist[l as usize] += 1;
            total += 1;
        }
    }
    if total < FINGER_BAND_MIN_PIXELS {
        return None;
    }
    let percentile = |q: f32| segment::hist_percentile(&hist, total, q) as f32;
    let (a, b) = (
        percentile(FINGER_BAND_QUANTILE),
        percentile(1.0 - FINGER_BAND_QUANTILE),
    );
    let margin = FINGER_BAND_MARGIN * (b - a).max(FINGER_BAND_MIN_SPAN);
    Some((
        (a - margin).clamp(0.0, 255.0) as u8,
        (b + margin).clamp(0.0, 255.0) as u8,
    ))
}

/// Finger evidence of a geometry: each counted finger by its visible length in widths, up to
/// three (a finger-shaped blob scores more than a stub of background).
fn finger_evidence(geo: &HandGeometry) -> f32 {
    geo.fingers
        .iter()
        .filter(|f| f.counted)
        .map(|f| (f.length_px / f.width_px.max(1.0)).min(3.0))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The band a gray frame's band pass takes: the fingers' 10th-90th luma percentiles,
    /// widened by half their span (at least 4 levels) on each side; none from too few pixels.
    #[test]
    fn finger_luma_band_spans_the_fingers_with_a_margin() {
        // 100 finger pixels at luma 100..=199, one each; background pixels are ignored.
        let luma: Vec<u8> = (0..200u32)
            .map(|i| if i < 100 { 100 + i as u8 } else { 20 })
            .collect();
        let mut mask = vec![0u8; 200];
        mask[..100].fill(1);
        // Percentiles 110 and 190 (the 10th and 90th values counted from 0): span 80,
        // margin 40.
        assert_eq!(finger_luma_band(&mask, &luma), Some((70, 230)));
        // A flat finger: span 0, margin from the 4-level minimum.
        let flat = vec![128u8; 200];
        assert_eq!(finger_luma_band(&mask, &flat), Some((126, 130)));
        // Too few pixels to fit on.
        mask[19..].fill(0);
        assert_eq!(finger_luma_band(&mask, &luma), None);
    }

    /// Four fingertips without resolved ridges (dirty or worn): two whose silhouettes read
    /// sharp, two read neither way, which report the unresolved ceiling.
    fn dirty_fingers(silhouettes: [bool; 4]) -> (Report, Vec<FocusMeasure>) {
        let mut report = Report::default();
        let mut focus = Vec::new();
        for &s in &silhouettes {
            report.fingers.push(crate::report::FingerReport {
                blur_mm: Some(if s { 0.02 } else { 0.2375 }),
                ..Default::default()
            });
            focus.push(FocusMeasure {
                edge_blur_px: s.then_some(0.4),
                ..Default::default()
            });
        }
        (report, focus)
    }

    #[test]
    fn focus_rests_on_the_silhouettes_when_no_ridges_resolve() {
        // Measured on training frames of dirty fingers: two sharp silhouettes and two
        // unresolved tips gave a median of 0.13 mm, a false too_blurry.
        let (mut report, sil) = dirty_fingers([true, false, true, false]);
        summarise_focus(&mut report, &sil);
        assert_eq!(report.focus.blur_mm, Some(0.02));
        // With no silhouette read anywhere, every tip votes (blur beyond recognition).
        let (mut report, sil) = dirty_fingers([false; 4]);
        summarise_focus(&mut report, &sil);
        assert_eq!(report.focus.blur_mm, Some(0.2375));
        // Resolved ridges still come first.
        let (mut report, sil) = dirty_fingers([true, false, true, false]);
        report.fingers[1].ridge_period_px = Some(9.0);
        summarise_focus(&mut report, &sil);
        assert_eq!(report.focus.blur_mm, Some(0.2375));
    }

    /// The definition: each full-resolution pixel takes the mask pixel it falls in.
    fn fill_roi_mask_reference(mask: &HandMask, finger_mask: &[u8], rect: Rect) -> Vec<u8> {
        let (w, h) = (rect.width as usize, rect.height as usize);
        let f = mask.factor.max(1) as usize;
        let (mw, mh) = (mask.width as usize, mask.height as usize);
        let mut out = vec![0u8; w * h];
        for row in 0..h {
            for col in 0..w {
                let my = ((rect.y as usize + row) / f).min(mh - 1);
                let mx = ((rect.x as usize + col) / f).min(mw - 1);
                out[row * w + col] = finger_mask[my * mw + mx];
            }
        }
        out
    }

    /// The reason codes `decide` gives a hand of the expected side with `count` fingers, in
    /// good light (mean luma 120 over 100,000 pixels) unless `edit` changes the report.
    fn decided_codes(count: u8, edit: impl FnOnce(&mut Report)) -> Vec<ReasonCode> {
        let config = Config::default();
        let geo = HandGeometry {
            hand_present: true,
            hand: config.expected_hand,
            ..HandGeometry::default()
        };
        let mut report = Report {
            finger_count: count,
            ..Report::default()
        };
        report.exposure.mean = 120.0;
        report.exposure.pixels = 100_000;
        edit(&mut report);
        decide(&mut report, &geo, &config);
        report.reasons.iter().map(|r| r.code).collect()
    }

    /// A frame whose only distance reading is the width ruler at 250 ppi (below the 350 minimum):
    /// `too_far` is said with four fingers in good light, and left to the count or the light
    /// otherwise; a ridge reading at the same ppi is believed whatever the count or light.
    #[test]
    fn width_only_far_needs_the_count_and_the_light() {
        let reasons = |count: u8, mean: f32, source: PpiSource| {
            decided_codes(count, |report| {
                report.ppi.ppi = Some(250.0);
                report.ppi.source = source;
                report.exposure.mean = mean;
            })
        };
        let far = |codes: Vec<ReasonCode>| codes.contains(&ReasonCode::TooFar);
        assert!(far(reasons(4, 120.0, PpiSource::Width)));
        assert!(!far(reasons(3, 120.0, PpiSource::Width)));
        assert!(!far(reasons(5, 120.0, PpiSource::Width)));
        assert!(!far(reasons(4, 30.0, PpiSource::Width)));
        assert!(!far(reasons(4, 230.0, PpiSource::Width)));
        assert!(far(reasons(3, 120.0, PpiSource::Ridges)));
        assert!(far(reasons(4, 30.0, PpiSource::Ridges)));
    }

    /// Four fingers in good light, sharp, no ridges found on any, and the width ruler alone at
    /// 330 ppi: ridges of 0.475 mm would be 6.2 px there, which the ridge stage resolves, so
    /// distance does not explain their absence and the frame is called for faint ridges, not
    /// for distance. At 250 ppi (4.7 px) distance may explain it: `too_far`. A ridge reading
    /// of 330 ppi is `too_far` whatever the ridges' clarity.
    #[test]
    fn ridges_missing_at_a_resolvable_period_are_faint_not_far() {
        let reasons = |ppi: f32, source: PpiSource| {
            decided_codes(4, |report| {
                report.ppi.ppi = Some(ppi);
                report.ppi.source = source;
                report.focus.measured = true;
                report.focus.blur_mm = Some(0.05);
                report.fingers.clear();
                report.fingers.resize(4, FingerReport::default());
            })
        };
        let (far, faint) = (ReasonCode::TooFar, ReasonCode::LowRidgeContrast);
        let width_330 = reasons(330.0, PpiSource::Width);
        assert!(
            !width_330.contains(&far) && width_330.contains(&faint),
            "{width_330:?}"
        );
        let width_250 = reasons(250.0, PpiSource::Width);
        assert!(
            width_250.contains(&far) && !width_250.contains(&faint),
            "{width_250:?}"
        );
        let ridges_330 = reasons(330.0, PpiSource::Ridges);
        assert!(
            ridges_330.contains(&far) && !ridges_330.contains(&faint),
            "{ridges_330:?}"
        );
    }

    /// Focus read nowhere (no ridges, no silhouette) in good light: the unresolved ceiling is
    /// reported as `too_blurry` for four traced fingers, but not for two or three stubs
    /// covering much of the frame (a close-up: its ridges were sought in blocks sized to the
    /// stubs), nor for a frame whose focus was read and found sharp.
    #[test]
    fn unread_focus_is_not_called_blurry_in_a_close_up() {
        let reasons = |count: u8, hand_fraction: f32, measured: bool| {
            decided_codes(count, |report| {
                report.hand_fraction = hand_fraction;
                report.focus.measured = measured;
                report.focus.blur_mm = Some(if measured { 0.05 } else { 0.24 });
            })
        };
        let blurry = |codes: Vec<ReasonCode>| codes.contains(&ReasonCode::TooBlurry);
        assert!(blurry(reasons(4, 0.5, false)));
        assert!(blurry(reasons(2, 0.2, false)));
        assert!(!blurry(reasons(2, 0.5, false)));
        assert!(!blurry(reasons(3, 0.35, false)));
        assert!(!blurry(reasons(4, 0.5, true)));
    }

    /// The edge-cut pass's guard: an added finger whose tip sits about where a little finger's
    /// would (1.25 widths below the others' median tip) is one more finger of the hand; one
    /// four widths lower (a curled finger under the palm) is not; the found ones must stay.
    #[test]
    fn an_added_finger_must_stand_with_the_others() {
        let finger = |x: f32, y: f32| Finger {
            tip: [x, y],
            direction: [0.0, -1.0],
            width_px: 40.0,
            counted: true,
            ..Finger::default()
        };
        let hand = |fingers: Vec<Finger>| HandGeometry {
            fingers,
            ..HandGeometry::default()
        };
        let found = hand(vec![
            finger(100.0, 100.0),
            finger(150.0, 80.0),
            finger(200.0, 95.0),
        ]);
        let with = |extra: Finger| {
            let mut f = found.fingers.clone();
            f.push(extra);
            hand(f)
        };
        let little = with(finger(250.0, 145.0));
        let curled = with(finger(120.0, 255.0));
        assert!(keeps_every_finger(&found, &little) && new_fingers_fit_the_hand(&found, &little));
        assert!(keeps_every_finger(&found, &curled) && !new_fingers_fit_the_hand(&found, &curled));
        // Trading a found finger for another fails the first test.
        let traded = hand(vec![
            finger(100.0, 100.0),
            finger(150.0, 80.0),
            finger(400.0, 95.0),
        ]);
        assert!(!keeps_every_finger(&found, &traded));
    }

    #[test]
    fn a_cut_that_merges_pieces_may_not_drop_a_thumb() {
        let finger = |x: f32, y: f32, width_px: f32, name: FingerName| Finger {
            tip: [x, y],
            direction: [0.0, -1.0],
            width_px,
            counted: true,
            name,
            ..Finger::default()
        };
        let hand = |fingers: Vec<Finger>| HandGeometry {
            fingers,
            ..HandGeometry::default()
        };
        let whole = |x: f32, y: f32| finger(x, y, 80.0, FingerName::Unknown);
        let cut = hand(vec![
            whole(100.0, 120.0),
            whole(200.0, 90.0),
            whole(300.0, 100.0),
            whole(400.0, 130.0),
        ]);
        // The first pass read the middle finger as two strips 40 px apart, half a finger wide
        // each: the cut, whole fingers 80 px wide, holds both tips in one.
        let mut split = cut.fingers.clone();
        split[1] = finger(180.0, 92.0, 40.0, FingerName::Unknown);
        split.push(finger(220.0, 92.0, 40.0, FingerName::Unknown));
        assert!(merges_fragments(&hand(split.clone()), &cut));
        // A piece cut off below a crease lies on the whole finger's axis, under its tip.
        let mut creased = cut.fingers.clone();
        creased.push(finger(205.0, 230.0, 60.0, FingerName::Unknown));
        let mut cut_short = cut.clone();
        cut_short.fingers[1].length_px = 100.0;
        assert!(merges_fragments(&hand(creased.clone()), &cut_short));
        // Beside the finger (more than half its width off the axis) it is not a piece of it.
        creased[4].tip[0] = 250.0;
        assert!(!merges_fragments(&hand(creased), &cut_short));
        // The same, with a thumb beside the index finger that the cut lost: not believed.
        split.push(finger(520.0, 300.0, 90.0, FingerName::Thumb));
        assert!(!merges_fragments(&hand(split), &cut));
        // Five whole fingers (one a thumb) against four: nothing merged, not believed.
        let mut five = cut.fingers.clone();
        five.push(finger(520.0, 300.0, 90.0, FingerName::Unknown));
        assert!(!merges_fragments(&hand(five), &cut));
    }

    #[test]
    fn fill_roi_mask_matches_reference() {
        let mut out = Vec::new();
        let mut seed = 12345u32;
        for factor in 1..=7u32 {
            for (mw, mh) in [(1u32, 1u32), (5, 3), (13, 9)] {
                let mask = HandMask {
                    width: mw,
                    height: mh,
                    factor,
                    ..HandMask::default()
                };
                let finger_mask: Vec<u8> = (0..mw * mh)
                    .map(|_| {
                        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                        (seed >> 16) as u8 & 1
                    })
                    .collect();
                // Rectangles inside, straddling and beyond the mask's frame (clamped reads).
                for (x, y, w, h) in [
                    (0, 0, 1, 1),
                    (3, 2, 17, 11),
                    (0, 0, mw * factor, mh * factor),
                    (5, 1, 40, 30),
                    (0, 0, 0, 4),
                ] {
                    let rect = Rect {
                        x,
                        y,
                        width: w,
                        height: h,
                    };
                    fill_roi_mask(&mask, &finger_mask, rect, &mut out);
                    // Tolerance: exact (a copy).
                    assert_eq!(
                        out,
                        fill_roi_mask_reference(&mask, &finger_mask, rect),
                        "factor {factor} mask {mw}x{mh} rect {rect:?}"
                    );
                }
            }
        }
    }
}
