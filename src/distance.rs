//! Distance as the resolution at the fingers (ppi), from the ridge period and from finger width.
//!
//! Two independent rulers: adult ridge periods (0.43-0.52 mm, median 0.475, about +-9% between
//! people) and fingertip widths (15-20 mm, median 17.5, about +-14%). The ridge ruler is the
//! sharper one, but a block spectrum can lock onto a harmonic (half the period) or a sub-harmonic,
//! and a finger's width is robust to blur but only as good as the segmentation. So: per finger, a
//! ridge estimate further below the fingers' width estimate than the two spreads allow (the
//! signature of a half-period harmonic) is dropped; the median of the survivors is used; with
//! none, the width median is used, and `source` says so, but only from two or more fingers
//! (one width is as likely a fragment of a finger or a background blob). A ridge
//! estimate above the width's is kept: a harmonic cannot read high, while a finger segmented
//! too narrow can. A width-only estimate must also agree with the fingertips' spacing: adjacent
//! fingertips stand one to about 1.7 finger widths apart, so widths read much narrower than that
//! are a mask that lost the fingers' rims, and no resolution is reported from them.

use crate::config::Config;
use crate::report::{PpiEstimate, PpiSource};

/// Four fingers side by side, from the index's outer edge to the little finger's.
const SPAN_MM: f32 = 80.0;
/// Length of the hand that must also be in view, across the span: the little finger's print
/// area sits ~20 mm below the middle fingertip, and its pad is ~20 mm long.
const DEPTH_MM: f32 = 40.0;
/// Relative spread (one standard deviation) of adult ridge periods between people.
const RIDGE_SPREAD: f32 = 0.09;
/// Relative spread of adult fingertip widths between people and fingers.
const WIDTH_SPREAD: f32 = 0.14;
/// A ridge estimate further than this factor below the width estimate is taken for a harmonic
/// or a misread (a half period is a factor 2; 2.3 standard deviations of the ratio of
/// the two rulers is about 1.5).
const MAX_DISAGREEMENT: f32 = 1.5;
/// Largest relative spread of the per-finger width estimates for them to overrule ridges.
const MAX_WIDTH_SPREAD_TO_JUDGE: f32 = 0.25;
/// Digits of a hand: more "fingers" than this are fragments of a mask that went wrong.
pub const MAX_DIGITS: usize = 5;
/// Most fingers combined (the analyzer measures at most ten).
const MAX_FINGERS: usize = 16;

/// The best ppi a `width` x `height` frame can give with four fingers in view, whichever way
/// the hand is turned: the four-finger span (~80 mm) along one side, and the fingertips' depth
/// (~40 mm) along the other. A 1280x720 frame gives ~406 ppi, 1920x1080 ~610, 3840x2160 ~1220.
pub fn max_reachable_ppi(width: u32, height: u32) -> f32 {
    let (long, short) = (width.max(height) as f32, width.min(height) as f32);
    let per_mm = (long / SPAN_MM).min(short / DEPTH_MM);
    per_mm * 25.4
}

/// Narrowest adult fingertip, mm (fingertips are 15-20 mm wide).
const MIN_FINGER_WIDTH_MM: f32 = 15.0;

/// Most fingers, side by side, of which a `width` x `height` frame can show at least a part at
/// `ppi`: its longer side over the narrowest adult fingertip, rounded up (a finger half in view
/// still counts).
pub fn fingers_that_fit(width: u32, height: u32, ppi: f32) -> usize {
    let finger_px = MIN_FINGER_WIDTH_MM * ppi.max(1.0) / 25.4;
    (width.max(height) as f32 / finger_px).ceil() as usize
}

/// Median of `v`, sorting it in place (the mean of the middle two for an even count); `None`
/// when empty.
pub(crate) fn median_in_place(v: &mut [f32]) -> Option<f32> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    })
}

/// Median of the first (up to 16) finite positive values, in a stack buffer.
fn median(v: &[f32]) -> Option<f32> {
    let mut buf = [0f32; MAX_FINGERS];
    let mut n = 0;
    for &x in v.iter().filter(|x| x.is_finite() && **x > 0.0) {
        if n == MAX_FINGERS {
            break;
        }
        buf[n] = x;
        n += 1;
    }
    median_in_place(&mut buf[..n])
}

/// Relative spread of values about `centre`: root mean square of the relative deviations.
fn rel_spread(v: &[f32], centre: f32) -> f32 {
    if v.len() < 2 || centre <= 0.0 {
        return 0.0;
    }
    let ss: f32 = v.iter().map(|x| ((x - centre) / centre).powi(2)).sum();
    (ss / (v.len() - 1) as f32).sqrt()
}

/// The ridge ruler: the resolution (ppi) at which a ridge period of `period_px` pixels is the
/// adult median ridge period of `config.ridge.period_mm`.
pub fn ppi_from_ridge_period(period_px: f32, config: &Config) -> f32 {
    period_px * 25.4 / config.ridge.period_mm
}

/// The ridge ruler read the other way: the period, in pixels, the adult median ridge period of
/// `config.ridge.period_mm` has at `ppi`.
pub fn ridge_period_at(ppi: f32, config: &Config) -> f32 {
    ppi / 25.4 * config.ridge.period_mm
}

/// Combines per-fingertip ridge periods (pixels) and finger widths (pixels) into one estimate.
pub fn estimate(
    periods_px: &[f32],
    widths_px: &[f32],
    width: u32,
    height: u32,
    config: &Config,
) -> PpiEstimate {
    let mm = 25.4;
    let mut ridge_ppi = [0f32; MAX_FINGERS];
    let mut nr = 0;
    for &p in periods_px.iter().filter(|p| p.is_finite() && **p > 0.0) {
        if nr == MAX_FINGERS {
            break;
        }
        ridge_ppi[nr] = ppi_from_ridge_period(p, config);
        nr += 1;
    }
    let mut width_ppi = [0f32; MAX_FINGERS];
    let mut nw = 0;
    for &w in widths_px.iter().filter(|w| w.is_finite() && **w > 0.0) {
        if nw == MAX_FINGERS {
            break;
        }
        width_ppi[nw] = w * mm / config.ridge.finger_width_mm;
        nw += 1;
    }
    let from_width = median(&width_ppi[..nw]);
    let all_ridges = median(&ridge_ppi[..nr]);
    // The width ruler may overrule the ridges only when several fingers agree on it: one blob's
    // width is as likely a mask that took in background (reading high) as a finger.
    let width_judge = from_width
        .filter(|&w| nw >= 2 && rel_spread(&width_ppi[..nw], w) <= MAX_WIDTH_SPREAD_TO_JUDGE);
    // Keep the ridge estimates the width ruler does not contradict.
    let mut kept = [0f32; MAX_FINGERS];
    let mut nk = 0;
    for &r in &ridge_ppi[..nr] {
        let ok = match width_judge {
            // One-sided: the ridge ruler's failure is a harmonic, which reads a half period
            // and so a ppi too low. A ridge ppi far above the width's is not a harmonic; there
            // the width is the one misread (a finger segmented narrower than it is, or a
            // fragment of one), and overruling the ridges would report a close hand as far.
            Some(w) => w / r <= MAX_DISAGREEMENT,
            None => true,
        };
        if ok {
            kept[nk] = r;
            nk += 1;
        }
    }
    // Between fingers, too: one finger locked onto the second harmonic reads about half the
    // others (a harmonic never reads high), and with two fingers a median would average it in.
    let top = kept[..nk].iter().copied().fold(0.0f32, f32::max);
    let mut nh = 0;
    for i in 0..nk {
        if kept[i] * MAX_DISAGREEMENT >= top {
            kept[nh] = kept[i];
            nh += 1;
        }
    }
    let nk = nh;
    let from_ridges = median(&kept[..nk]);
    let (ppi, source, uncertainty) = match (from_ridges, from_width) {
        (Some(r), _) => {
            let agree = rel_spread(&kept[..nk], r) / (nk as f32).sqrt();
            (
                Some(r),
                PpiSource::Ridges,
                (RIDGE_SPREAD * RIDGE_SPREAD + agree * agree).sqrt(),
            )
        }
        // Without ridges, the width ruler alone, and only from two fingers or more: one blob's
        // width is as likely a fragment of a finger or a background blob as a finger (training
        // seeds 0-799: 11 width-only `too_far` calls from one finger, all wrong). Requiring the
        // widths to agree as well cut more wrong calls but lost far hands whose count was off.
        // And from five at most: a hand has five digits, so six or more "fingers" are
        // fragments of a mask that went wrong, and their widths measure nothing (seeds 0-799:
        // 6 such width-only too_far calls, 1 right).
        (None, Some(w)) if (2..=MAX_DIGITS).contains(&nw) => {
            let agree = rel_spread(&width_ppi[..nw], w) / (nw as f32).sqrt();
            (
                Some(w),
                PpiSource::Width,
                (WIDTH_SPREAD * WIDTH_SPREAD + agree * agree).sqrt(),
            )
        }
        _ => (None, PpiSource::None, 0.0),
    };
    let max_reachable_ppi = max_reachable_ppi(width, height);
    PpiEstimate {
        ppi,
        // What the ridges said, even when the width ruler overruled them.
        from_ridges: from_ridges.or(all_ridges),
        from_width,
        source,
        uncertainty,
        max_reachable_ppi,
        camera_limited: max_reachable_ppi < config.ppi.min,
        close_up: false,
    }
}

/// Agreement, in standard deviations of the two rulers' combined spread, within which a ridge
/// and a width estimate are taken for two readings of one resolution.
const MAX_RULER_SIGMAS: f32 = 2.0;

/// One resolution from a ridge-ruler and a width-ruler estimate of the same hand (ppi, each
/// already pooled over fingers or frames): their geometric mean weighted by the inverse of each
/// ruler's spread between people squared (ridges 9%, widths 14%: weights 0.71 and 0.29, a
/// spread of 7.6% instead of 9%), since one person's ridge period and finger width depart from
/// the adult medians independently. When the two disagree by more than twice their combined
/// spread, one of them is misread (a finger segmented too narrow or with background, a ridge
/// harmonic), and the ridge estimate, the sharper ruler, is returned alone. Non-finite or
/// non-positive inputs give the other one (`None` when neither is usable).
pub fn combine_rulers(from_ridges: Option<f32>, from_width: Option<f32>) -> Option<f32> {
    combine_rulers_with_spread(from_ridges, 0.0, from_width, 0.0)
}

/// [`combine_rulers`] with each reading's own relative spread (one standard deviation, e.g.
/// between the frames it was pooled over) added to its ruler's spread between people: a
/// width reading that wanders from frame to frame while the hand is still comes from a mask
/// that is not holding the fingers' outline, and counts for less. Negative or non-finite
/// spreads count as 0.
pub fn combine_rulers_with_spread(
    from_ridges: Option<f32>,
    ridges_spread: f32,
    from_width: Option<f32>,
    width_spread: f32,
) -> Option<f32> {
    let ok = |v: Option<f32>| v.filter(|p| p.is_finite() && *p > 0.0);
    let extra = |s: f32| if s.is_finite() { s.max(0.0) } else { 0.0 };
    match (ok(from_ridges), ok(from_width)) {
        (Some(r), Some(w)) => {
            let (sr, sw) = (extra(ridges_spread), extra(width_spread));
            let (vr, vw) = (
                RIDGE_SPREAD * RIDGE_SPREAD + sr * sr,
                WIDTH_SPREAD * WIDTH_SPREAD + sw * sw,
            );
            let d = (w / r).ln();
            if d.abs() > MAX_RULER_SIGMAS * (vr + vw).sqrt() {
                return Some(r);
            }
            // Weight of the width ruler: the ridge ruler's variance over the sum.
            Some(r * (d * vr / (vr + vw)).exp())
        }
        (r, w) => r.or(w),
    }
}

/// Most area, in mm², that a hand in view can cover: an adult hand's silhouette is about
/// 15,000 mm² (190 x 85 mm less the gaps), and a far hand brings its forearm into the frame.
const MAX_HAND_AREA_MM2: f32 = 40_000.0;

/// Withdraws a width-based estimate that the hand's area contradicts: at the estimated ppi the
/// `hand_area_px` pixels of hand would cover more millimetres than any hand can. Widths read off
/// a mask that took in background, or off fragments of fingers, give such low ppi; reporting
/// "too far" for a hand that fills the frame would send the user the wrong way. Ridge-based
/// estimates are left alone (they do not depend on the mask's outline).
pub fn check_against_area(est: &mut PpiEstimate, hand_area_px: f32) {
    if est.source != PpiSource::Width {
        return;
    }
    let Some(ppi) = est.ppi else {
        return;
    };
    let mm_per_px = 25.4 / ppi.max(1e-3);
    if hand_area_px * mm_per_px * mm_per_px > MAX_HAND_AREA_MM2 {
        withdraw(est);
    }
}

/// Leaves `est` without a resolution; what each ruler read stays for diagnostics.
fn withdraw(est: &mut PpiEstimate) {
    est.ppi = None;
    est.source = PpiSource::None;
    est.uncertainty = 0.0;
}

/// Most a hand's adjacent fingertips stand apart, across the hand, in finger widths: touching
/// fingers one width, spread ones up to about 1.6 (training frames 0-799 whose width-only
/// estimate was within 10% of the truth: 1.55 at most; those whose mask lost the fingers' rims:
/// 1.8-9).
const MAX_TIP_SPACING_WIDTHS: f32 = 1.75;

/// Withdraws a width-based estimate that the fingers' spacing contradicts: with three or more
/// fingers, adjacent fingertips standing further apart across the hand than the spacing limit
/// (1.75 widths; median gap against median width) mean the widths are not the fingers' own (a
/// mask that lost the rims of over-exposed, shaded or blurred fingers reads them half as wide),
/// and a resolution read from them reports a hand at arm's length that is within reach.
/// `tips` are the fingertips, `axes` the fingers' directions and `widths` their widths
/// (pixels), one per finger. Ridge-based estimates are left alone.
pub fn check_against_spacing(
    est: &mut PpiEstimate,
    tips: &[[f32; 2]],
    axes: &[[f32; 2]],
    widths: &[f32],
) {
    let n = tips
        .len()
        .min(axes.len())
        .min(widths.len())
        .min(MAX_FINGERS);
    if est.source != PpiSource::Width || n < 3 {
        return;
    }
    let (mut ux, mut uy) = (0f32, 0f32);
    for a in &axes[..n] {
        ux += a[0];
        uy += a[1];
    }
    let norm = (ux * ux + uy * uy).sqrt();
    if !(norm.is_finite() && norm > 0.0) {
        return;
    }
    let across = [-uy / norm, ux / norm];
    let mut along = [0f32; MAX_FINGERS];
    for (p, t) in along.iter_mut().zip(&tips[..n]) {
        *p = t[0] * across[0] + t[1] * across[1];
    }
    let along = &mut along[..n];
    along.sort_by(|a, b| a.total_cmp(b));
    let mut gaps = [0f32; MAX_FINGERS];
    for i in 1..n {
        gaps[i - 1] = along[i] - along[i - 1];
    }
    let (Some(gap), Some(width)) = (median_in_place(&mut gaps[..n - 1]), median(&widths[..n]))
    else {
        return;
    };
    if gap > MAX_TIP_SPACING_WIDTHS * width {
        withdraw(est);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingers_that_fit_across_the_frame_at_a_resolution() {
        // A 15 mm fingertip is 295 px at 500 ppi: 4.3 of them across 1280 px, so five show
        // at least in part; 531 px at 900 ppi: 2.4, so three.
        assert_eq!(fingers_that_fit(1280, 720, 500.0), 5);
        assert_eq!(fingers_that_fit(720, 1280, 900.0), 3);
        // No resolution is not a division by zero.
        assert!(fingers_that_fit(1280, 720, 0.0) >= 1);
    }

    fn ppi_of_period(p: f32) -> f32 {
        p * 25.4 / 0.475
    }

    #[test]
    fn reachable_ppi_matches_the_domain_figures() {
        // domain.md: 1280 wide tops out near 400-430, 1920 near 550-650, 4000 far above 500.
        let a = max_reachable_ppi(1280, 720);
        assert!((395.0..=435.0).contains(&a), "{a}");
        let b = max_reachable_ppi(1080, 1920);
        assert!((550.0..=650.0).contains(&b), "{b}");
        assert!(max_reachable_ppi(4000, 3000) > 1000.0);
        // Orientation does not matter.
        assert_eq!(max_reachable_ppi(1920, 1080), max_reachable_ppi(1080, 1920));
        // A square-ish small frame is limited by the span.
        assert!(max_reachable_ppi(640, 480) < 350.0);
    }

    #[test]
    fn ridges_win_when_they_agree() {
        let c = Config::default();
        let p = [9.0, 9.3, 9.1, 8.8];
        let w = [330.0, 360.0, 340.0, 300.0];
        let e = estimate(&p, &w, 1920, 1080, &c);
        assert_eq!(e.source, PpiSource::Ridges);
        let ppi = e.ppi.expect("estimate");
        // Median of the ridge ppis, 9.05 px -> 484 ppi.
        assert!((ppi - ppi_of_period(9.05)).abs() < 1.0, "{ppi}");
        assert!(e.uncertainty >= RIDGE_SPREAD && e.uncertainty < 0.12);
        assert!(!e.camera_limited);
    }

    #[test]
    fn a_half_period_is_overruled_by_width_and_the_others() {
        let c = Config::default();
        // One finger locked onto the second harmonic (4.5 px instead of 9).
        let p = [9.0, 4.5, 9.2];
        let w = [340.0, 340.0, 330.0, 320.0];
        let e = estimate(&p, &w, 1920, 1080, &c);
        let ppi = e.ppi.expect("estimate");
        assert!((ppi - ppi_of_period(9.1)).abs() < 2.0, "{ppi}");
        // Two fingers, one at the harmonic, no width to judge: the harmonic is dropped, not
        // averaged in.
        let e = estimate(&[9.0, 4.6], &[], 1920, 1080, &c);
        let ppi = e.ppi.expect("estimate");
        assert!((ppi - ppi_of_period(9.0)).abs() < 1.0, "{ppi}");
        // One finger's width (a blob that may hold background) does not overrule ridges.
        let e = estimate(&[4.5], &[340.0], 1920, 1080, &c);
        assert_eq!(e.source, PpiSource::Ridges);
        // All ridges at half period: width takes over and says so.
        let e = estimate(&[4.5, 4.6], &w, 1920, 1080, &c);
        assert_eq!(e.source, PpiSource::Width);
        assert!((e.ppi.expect("w") - 335.0 * 25.4 / 17.5).abs() < 2.0);
        assert!(e.uncertainty >= WIDTH_SPREAD);
    }

    #[test]
    fn a_width_estimate_the_fingertip_spacing_contradicts_is_withdrawn() {
        let c = Config::default();
        // Four upright fingers 250 px apart; tilted hands project the same way.
        let tips = [
            [100.0, 300.0],
            [350.0, 200.0],
            [600.0, 220.0],
            [850.0, 400.0],
        ];
        let axes = [[0.0, -1.0]; 4];
        let est = |w: f32| estimate(&[], &[w; 4], 1280, 720, &c);
        // Touching fingers 230 px wide: kept.
        let mut kept = est(230.0);
        assert_eq!(kept.source, PpiSource::Width);
        check_against_spacing(&mut kept, &tips, &axes, &[230.0; 4]);
        assert!(kept.ppi.is_some());
        // The same tips read 120 px wide (2.1 widths apart): withdrawn.
        let mut narrow = est(120.0);
        check_against_spacing(&mut narrow, &tips, &axes, &[120.0; 4]);
        assert_eq!((narrow.ppi, narrow.source), (None, PpiSource::None));
        // Turned a quarter (fingers pointing left), the spacing is read along the fingers' normal.
        let turned: Vec<[f32; 2]> = tips.iter().map(|t| [t[1], 1000.0 - t[0]]).collect();
        let mut narrow_turned = est(120.0);
        check_against_spacing(&mut narrow_turned, &turned, &[[-1.0, 0.0]; 4], &[120.0; 4]);
        assert_eq!(narrow_turned.ppi, None);
        // Two fingers (one may be missing between them), or a ridge estimate: left alone.
        let mut two = est(120.0);
        check_against_spacing(&mut two, &tips[..2], &axes[..2], &[120.0; 2]);
        assert!(two.ppi.is_some());
        let mut ridges = estimate(&[9.0; 4], &[120.0; 4], 1280, 720, &c);
        check_against_spacing(&mut ridges, &tips, &axes, &[120.0; 4]);
        assert_eq!(ridges.source, PpiSource::Ridges);
        assert!(ridges.ppi.is_some());
    }

    #[test]
    fn a_width_estimate_the_hand_area_contradicts_is_withdrawn() {
        let c = Config::default();
        // Fingers 40 px wide read as 58 ppi; at that ppi a hand covering half of a 1280x720
        // frame would be 0.19 mm² per px x 460,800 px = 88,000 mm², more than any hand.
        let mut e = estimate(&[], &[40.0, 41.0], 1280, 720, &c);
        assert_eq!(e.source, PpiSource::Width);
        check_against_area(&mut e, 0.5 * 1280.0 * 720.0);
        assert_eq!((e.ppi, e.source), (None, PpiSource::None));
        assert!(
            e.from_width.is_some(),
            "what the width said is still reported"
        );
        // The same widths over a small hand (3% of the frame: 5,300 mm²) stand.
        let mut e = estimate(&[], &[40.0, 41.0], 1280, 720, &c);
        check_against_area(&mut e, 0.03 * 1280.0 * 720.0);
        assert_eq!(e.source, PpiSource::Width);
        // Ridge-based estimates are not judged by the mask.
        let mut e = estimate(&[3.0, 3.1], &[], 1280, 720, &c);
        check_against_area(&mut e, 0.9 * 1280.0 * 720.0);
        assert_eq!(e.source, PpiSource::Ridges);
    }

    #[test]
    fn rulers_combine_by_their_spreads_unless_they_disagree() {
        // Agreeing rulers: the geometric mean weighted 0.71 / 0.29 (variances 0.09^2, 0.14^2).
        let c = combine_rulers(Some(500.0), Some(450.0)).expect("both");
        let a = 0.14f32.powi(2) / (0.09f32.powi(2) + 0.14f32.powi(2));
        let want = (a * 500f32.ln() + (1.0 - a) * 450f32.ln()).exp();
        assert!((c - want).abs() < 0.01, "{c} vs {want}");
        assert!(c < 500.0 && c > 475.0, "{c}");
        // A width 40% below the ridges (beyond 2 x 16.6%): a misread, the ridges stand.
        assert_eq!(combine_rulers(Some(500.0), Some(300.0)), Some(500.0));
        assert_eq!(combine_rulers(Some(500.0), Some(800.0)), Some(500.0));
        // One ruler alone, or garbage.
        assert_eq!(combine_rulers(None, Some(400.0)), Some(400.0));
        assert_eq!(combine_rulers(Some(400.0), Some(f32::NAN)), Some(400.0));
        assert_eq!(combine_rulers(Some(-1.0), None), None);
    }

    #[test]
    fn a_wandering_reading_counts_for_less() {
        // A width reading that wanders 15% between frames: its variance grows to 0.14^2 +
        // 0.15^2, and its weight falls from 0.29 to 0.16.
        let steady = combine_rulers_with_spread(Some(500.0), 0.0, Some(420.0), 0.0).expect("both");
        let wandering =
            combine_rulers_with_spread(Some(500.0), 0.0, Some(420.0), 0.15).expect("both");
        let (vr, vw) = (0.09f32.powi(2), 0.14f32.powi(2) + 0.15f32.powi(2));
        let want = 500.0 * ((420f32 / 500.0).ln() * vr / (vr + vw)).exp();
        assert!((wandering - want).abs() < 0.01, "{wandering} vs {want}");
        assert!(
            steady < wandering && wandering < 500.0,
            "{steady} {wandering}"
        );
        // No spread is combine_rulers; garbage spreads count as none.
        assert_eq!(
            Some(steady),
            combine_rulers(Some(500.0), Some(420.0)),
            "zero spread"
        );
        for bad in [f32::NAN, -0.3, f32::NEG_INFINITY] {
            assert_eq!(
                combine_rulers_with_spread(Some(500.0), bad, Some(420.0), bad),
                Some(steady)
            );
        }
    }

    #[test]
    fn width_fallback_and_nothing() {
        let c = Config::default();
        // Two fingers: the width ruler stands alone.
        let e = estimate(&[], &[340.0, 320.0], 1280, 720, &c);
        assert_eq!(e.source, PpiSource::Width);
        assert_eq!(e.from_ridges, None);
        // One finger's width is no measurement (a fragment, background), though what it said
        // is still reported.
        let e = estimate(&[], &[340.0], 1280, 720, &c);
        assert_eq!(e.source, PpiSource::None);
        assert_eq!(e.ppi, None);
        assert!(e.from_width.is_some());
        // Five digits are a hand (thumb in view); six or more "fingers" are fragments.
        let e = estimate(&[], &[340.0; 5], 1280, 720, &c);
        assert_eq!(e.source, PpiSource::Width);
        let e = estimate(&[], &[340.0; 6], 1280, 720, &c);
        assert_eq!(e.source, PpiSource::None);
        assert_eq!(e.ppi, None);
        let e = estimate(&[], &[], 640, 480, &c);
        assert_eq!(e.source, PpiSource::None);
        assert_eq!(e.ppi, None);
        assert!(e.camera_limited);
        // Garbage in: ignored, not propagated.
        let e = estimate(&[f32::NAN, -1.0], &[f32::INFINITY, 0.0], 1920, 1080, &c);
        assert_eq!(e.ppi, None);
    }
}
