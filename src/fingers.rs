//! Finger geometry from the hand mask: the hand's axis, each finger's tip, width and print area,
//! the finger count, and which hand it is.
//!
//! Method (all at low resolution):
//! 1. **Axis.** The structure tensor of the mask's boundary gives the dominant edge direction;
//!    the long sides of the fingers dominate it, so it is the finger direction whether or not
//!    the palm is in view. After a first pass it is refined to the mean direction of the fingers
//!    found, and the pass repeated when that differs.
//! 2. **Rotated scanlines.** The mask is resampled on a grid whose rows run across the fingers
//!    (fingers point up in the grid). Each row is cut into runs of hand pixels; wide runs are
//!    split at luma valleys (the shadow line between touching fingers).
//! 3. **Chains.** Runs are linked from the tip side down: a run with nothing above starts a
//!    chain at a fingertip; chains end where they merge (the palm) or leave the frame. A chain
//!    long enough for its width is a finger; its runs give the width, its centre line the
//!    direction, its first row the tip. Chains about 2-4 times the typical width hold touching
//!    fingers and are divided.
//! 4. **Framing.** The print area (the pad, about 1.3 widths from the tip) is modelled as a
//!    rounded strip along the finger's axis; a tip cut by the frame edge is extrapolated from
//!    the width of the cut (how much of the rounded cap is visible). The share of that strip
//!    inside the frame is `inside_fraction`.
//! 5. **Side.** In the rotated frame the little finger's tip sits lowest and the middle finger's
//!    highest; with the image orientation (`mirrored`) this tells a left palm from a right one.

use crate::config::{Config, Hand};
use crate::frame::{LowRes, Rect};
use crate::report::FingerName;
use crate::segment::{HandMask, LabelScratch, label_runs};

/// One finger, in full-resolution frame coordinates.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Finger {
    /// Fingertip (the far end of the finger along its axis); may lie outside the frame when cut.
    pub tip: [f32; 2],
    /// Unit vector from the finger's base toward its tip.
    pub direction: [f32; 2],
    /// Width across the finger, pixels.
    pub width_px: f32,
    /// Visible length from where it leaves the palm to the tip, pixels.
    pub length_px: f32,
    /// Axis-aligned box around the print area (the pad at the tip), clamped to the frame.
    pub print_box: Rect,
    /// Share of the print area inside the frame, 0-1.
    pub inside_fraction: f32,
    /// Whether the finger counts (enough of its print area is in the frame).
    pub counted: bool,
    /// Which finger it is, when the hand side is known.
    pub name: FingerName,
    /// Whether the tip was cut by the frame edge and extrapolated.
    pub tip_cut: bool,
}

/// Everything the geometry stage found.
#[derive(Clone, Debug, Default)]
pub struct HandGeometry {
    /// Fingers in image order along the hand (counted and not counted).
    pub fingers: Vec<Finger>,
    /// Left, right, or unknown (fewer than three fingers, or no clear profile).
    pub hand: Hand,
    /// Confidence of the hand side, 0-1.
    pub hand_confidence: f32,
    /// Hand rotation, degrees clockwise from fingers-up.
    pub angle_deg: f32,
    /// Whether something hand-like is present at all.
    pub hand_present: bool,
    /// Share of the frame covered by the hand mask.
    pub hand_fraction: f32,
    /// Low-resolution mask (same size as the hand mask): 1 on finger pixels, 0 elsewhere.
    pub finger_mask: Vec<u8>,
}

impl HandGeometry {
    /// Number of counted fingers.
    pub fn count(&self) -> u8 {
        self.fingers
            .iter()
            .filter(|f| f.counted)
            .count()
            .min(u8::MAX as usize) as u8
    }

    /// How far the tips of four counted fingers (no thumb) stand from a hand's finger-length
    /// profile (middle highest, index and ring about half a width short, little about one and
    /// a half): the summed absolute deviation in finger widths, after the best shift along the
    /// hand axis, for the side that fits better. `None` unless exactly four such fingers are
    /// counted.
    pub fn profile_cost(&self) -> Option<f32> {
        let mut tips = [[0f32; 3]; 4];
        let mut n = 0;
        for f in self.fingers.iter().filter(|f| f.counted) {
            if f.name == FingerName::Thumb || n == 4 {
                return None;
            }
            tips[n] = [f.tip[0], f.tip[1], f.width_px];
            n += 1;
        }
        if n != 4 {
            return None;
        }
        let (s, c) = self.angle_deg.to_radians().sin_cos();
        // Across the hand (left to right) and up along it, for a hand turned clockwise.
        let (across, up) = ([c, s], [s, -c]);
        let width = tips.iter().map(|t| t[2]).sum::<f32>() / 4.0;
        if !width.is_finite() || width <= 0.0 {
            return None;
        }
        tips.sort_by(|a, b| {
            (a[0] * across[0] + a[1] * across[1]).total_cmp(&(b[0] * across[0] + b[1] * across[1]))
        });
        let heights = tips.map(|t| (t[0] * up[0] + t[1] * up[1]) / width);
        Some(profile_cost(&heights, false).min(profile_cost(&heights, true)))
    }
}

/// Tip heights of a left palm's four fingers seen unmirrored, left to right (index, middle,
/// ring, little), in finger widths from the middle finger's tip along the hand axis: the middle
/// finger reaches farthest, index and ring about half a width short, the little finger about
/// one and a half (its base also sits lower on the palm).
const LEFT_PALM_PROFILE: [f32; 4] = [-0.5, 0.0, -0.4, -1.5];

/// Profile cost (finger widths) above which four fingers' tips are taken not to stand in a
/// hand's profile.
const MAX_PLAUSIBLE_PROFILE_COST: f32 = 1.5;

/// Highest confidence a hand side read from an implausible profile is reported with: under the
/// 0.6 a `wrong_hand` call needs, over the 0.3 below which the side is unknown.
const IMPLAUSIBLE_PROFILE_CONFIDENCE: f32 = 0.5;

/// How far four tip heights (in widths, left to right) are from a palm's profile: the summed
/// absolute deviation after the best shift (the median of the deviations), so that one tip
/// out of place (a crease taken for the tip) costs its own error and does not drag the others.
/// `right` mirrors the left palm's profile.
fn profile_cost(heights: &[f32; 4], right: bool) -> f32 {
    let mut dev = [0f32; 4];
    for (i, d) in dev.iter_mut().enumerate() {
        let t = if right {
            LEFT_PALM_PROFILE[3 - i]
        } else {
            LEFT_PALM_PROFILE[i]
        };
        *d = heights[i] - t;
    }
    let mut sorted = dev;
    sorted.sort_by(|a, b| a.total_cmp(b));
    let shift = 0.5 * (sorted[1] + sorted[2]);
    dev.iter().map(|d| (d - shift).abs()).sum()
}

/// A finger's palm-side length (crease to tip) in pad widths: index 64, middle 72, ring 68,
/// little 54 mm against pads 14-18 mm wide. The print area is `print_fraction_of_finger` (0.2)
/// of it from the tip, about 0.84 widths.
const FINGER_LENGTH_W: f32 = 4.2;
/// The print area's length in finger widths at the default fraction.
const PAD_LENGTH_W: f32 = 0.2 * FINGER_LENGTH_W;
/// Length of a fingertip's rounded cap, in widths (a pad is a little longer than a half
/// circle).
const CAP_LENGTH_W: f32 = 0.6;
/// Shortest visible length, in median finger widths, of a candidate that counts as one of five
/// digits when the thumb is sought.
const MIN_DIGIT_LENGTH_W: f32 = 0.5;
/// A chain must be at least this many widths long to be a finger (a curled finger's knuckle
/// shows as a short bump), unless it runs out of the frame.
const MIN_FINGER_LENGTH_W: f32 = 1.1;
/// Narrowest chain (grid pixels) taken as past its cap: narrower tops are specks.
const MIN_EST_W: f32 = 7.0;
/// A segment starting within this many widths below the end of a chain of its width, over the
/// same columns, continues that finger below a crease.
const CREASE_GAP_W: f32 = 0.5;
/// How far (in widths) the chain above may go on past the top of the part below.
const CREASE_BESIDE_W: f32 = 0.4;
/// Rows (in widths) below a segment's top over which its extent is compared with the chain above.
const CREASE_WINDOW_W: f32 = 0.5;
/// The chain above must reach this many widths above the segment's top (a finger's distal part).
const CREASE_ABOVE_W: f32 = 0.8;
/// A tip within this share of a finger width of another finger's centre line is nested in it.
const NESTED_SPAN_W: f32 = 0.45;
/// How far below another finger's visible length (in its widths) a nested tip may lie.
const NESTED_BELOW_W: f32 = 1.0;
/// Bins of the luma profile across a strip in which `split_fused` looks for the lines between
/// fingers pressed together (about a dozen per finger when four are fused).
const NB: usize = 48;
/// Largest glare hole filled in the mask, as a share of the frame's long side.
const HOLE_SPAN: f32 = 0.06;
/// Mean luma of a hole taken as glare (near saturation: specular highlights).
const GLARE_LUMA: u8 = 200;
/// Grid sample values.
const BG: u8 = 0;
const HAND: u8 = 1;
const OUT: u8 = 2;
/// No chain.
const NONE: u32 = u32::MAX;

#[derive(Clone, Copy, Debug, Default)]
struct Run {
    a: u16,
    b: u16,
    row: u16,
    chain: u32,
    /// The run's left / right neighbour sample is outside the frame.
    out_left: bool,
    out_right: bool,
    /// For pieces: the left / right side is a real boundary (the mask's edge, or a luma valley
    /// where touching fingers meet), not just where a run was divided.
    real_left: bool,
    real_right: bool,
}

impl Run {
    fn width(&self) -> f32 {
        (self.b - self.a) as f32
    }
    fn centre(&self) -> f32 {
        0.5 * (self.a as f32 + self.b as f32)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
enum Start {
    /// Nothing above: a fingertip (or the top of some other blob).
    #[default]
    Tip,
    /// Born where chains merged (palm) or where a chain forked.
    Joint,
}

#[derive(Clone, Copy, Debug, Default)]
struct Chain {
    start: Start,
    top: u16,
    bottom: u16,
    /// Extent of the last piece.
    last_a: f32,
    last_b: f32,
    /// Drift of the centre per row (smoothed): where the next piece is expected.
    vel: f32,
    /// Widest piece while the rounded cap grows: the finger's width scale.
    wmax: f32,
    /// Rows since the tip.
    age: u16,
    /// Age at which the cap last widened markedly (by more than a tenth): a ragged tip, a
    /// speck a few pixels wide on top of the cap, is narrow for a few rows, and the width seen
    /// there is no finger width.
    grown_at: u16,
    /// Width when `grown_at` was set.
    grown_w: f32,
    /// Index of this chain's first piece in the per-chain piece list.
    first: u32,
    nruns: u32,
    /// The run this chain continues into in the row being linked.
    best_run: u32,
    /// Rows in a row without a piece (a crease or speck cut the mask): the chain coasts.
    miss: u16,
    /// Ended on purpose (joined the palm, or absorbed as a ragged tip): no coasting.
    ended: bool,
    /// Where the chain last resumed after coasting over a gap: the index of its first piece
    /// below the gap, the row, the width just above the gap (0 when it never coasted) and the
    /// width of that first piece as stored.
    resumed_piece: u32,
    resumed_row: u16,
    gap_width: f32,
    resumed_width: f32,
}

impl Chain {
    /// The width this chain should have in the next row: its finger width once past the cap,
    /// the growing cap's width (plus growth) before.
    fn width_scale(&self) -> f32 {
        if self.established() {
            self.wmax
        } else {
            // A rounded cap widens fast in its first rows.
            2.0 * (self.last_b - self.last_a) + 4.0
        }
    }

    /// Where the next piece is expected: the last extent moved by the drift.
    fn predicted(&self) -> (f32, f32) {
        let d = self.vel * (self.miss + 1) as f32;
        (self.last_a + d, self.last_b + d)
    }

    /// Rows a chain may coast without a piece: a crease line across an established finger is
    /// a gap of a few rows in the edge-cut mask.
    fn gap_limit(&self) -> u16 {
        if self.established() {
            (0.2 * self.wmax).max(2.0) as u16
        } else {
            2
        }
    }

    /// Past its rounded cap: the width is known. The cap must also have stopped widening for
    /// a while (a third of its width): below a narrow ragged top, a cap still widens fast.
    fn established(&self) -> bool {
        self.wmax >= MIN_EST_W
            && self.age as f32 >= 0.7 * self.wmax
            && (self.age - self.grown_at) as f32 >= 0.3 * self.wmax
    }

    /// One more row of width `w` below the tip: ages the chain and, while its cap is still
    /// growing, tracks the cap's width.
    fn grow(&mut self, w: f32) {
        self.age = self.age.saturating_add(1);
        if !self.established() {
            // (Measured from the width at the last mark, so slow steady growth still counts.)
            if w > 1.1 * self.grown_w + 0.5 {
                self.grown_at = self.age;
                self.grown_w = w;
            }
            self.wmax = self.wmax.max(w);
        }
    }
}

/// A finger candidate in grid coordinates.
#[derive(Clone, Copy, Debug, Default)]
struct Cand {
    chain: u32,
    /// Rows of the chain that are finger (from the chain's top down to where it widens). The
    /// fingers `split_fused` cuts out of one strip share their chain and so these rows, though
    /// each has its own tip and a shorter `length`: the rows mark the whole strip as finger.
    rows: u16,
    /// Tip in grid coordinates (u across, r down).
    tip_u: f32,
    tip_r: f32,
    /// Slope du/dr of the centre line (toward the base).
    slope: f32,
    /// Width across the finger (perpendicular to its own axis), grid pixels.
    width: f32,
    /// Visible length along the axis, grid pixels.
    length: f32,
    /// Tip cut by the frame edge.
    cut: bool,
    /// Width of the topmost visible row when cut.
    cut_width: f32,
    /// Pad rows touch the frame edge on the left / right.
    side_left: bool,
    side_right: bool,
    /// Where the rounded cap peaks (grid u; see `apex`), NaN when its first rows touch the
    /// frame's side or the tip is cut: it places a finger cut at the side.
    apex_u: f32,
    /// How many fingers the chain holds (touching fingers not split by valleys).
    multiplicity: u8,
    thumb: bool,
    keep: bool,
    /// Starts right below another finger candidate: the part of a finger below a crease.
    below_crease: bool,
}

/// Grid geometry: sample (c, r) lies at image point `o + (c + 0.5) eu + (r + 0.5) ed`.
#[derive(Clone, Copy, Debug, Default)]
struct Grid {
    o: [f32; 2],
    eu: [f32; 2],
    ed: [f32; 2],
    w: usize,
    h: usize,
}

impl Grid {
    #[inline]
    fn to_image(self, u: f32, r: f32) -> [f32; 2] {
        [
            self.o[0] + u * self.eu[0] + r * self.ed[0],
            self.o[1] + u * self.eu[1] + r * self.ed[1],
        ]
    }
    #[inline]
    fn to_grid(self, p: [f32; 2]) -> (f32, f32) {
        let d = [p[0] - self.o[0], p[1] - self.o[1]];
        (
            d[0] * self.eu[0] + d[1] * self.eu[1],
            d[0] * self.ed[0] + d[1] * self.ed[1],
        )
    }
}

/// What one axis's `scan`, `track` and `candidates` leave for the rest of `find` and `emit`.
/// `find` keeps the first candidate axis's in a spare while it tries the second, so that
/// choosing the first needs no second scan. (A field that those three functions fill and later
/// steps read belongs here too.)
#[derive(Debug, Default)]
struct AxisState {
    grid: Grid,
    rot: Vec<u8>,
    rot_luma: Vec<u8>,
    runs: Vec<Run>,
    row_start: Vec<u32>,
    pieces: Vec<Run>,
    chains: Vec<Chain>,
    chain_runs: Vec<u32>,
    cands: Vec<Cand>,
}

/// Finds fingers; owns its scratch buffers.
#[derive(Debug, Default)]
pub struct FingerFinder {
    /// The other candidate axis's results (see [`AxisState`]).
    spare: AxisState,
    grid: Grid,
    rot: Vec<u8>,
    rot_luma: Vec<u8>,
    /// Grid samples on a kept finger's pieces (1), else 0.
    rot_chain: Vec<u8>,
    runs: Vec<Run>,
    row_start: Vec<u32>,
    pieces: Vec<Run>,
    group: Vec<u32>,
    sort_buf: Vec<f32>,
    pairs: Vec<(f32, f32)>,
    chains: Vec<Chain>,
    chain_runs: Vec<u32>,
    active: Vec<u32>,
    next_active: Vec<u32>,
    widths: Vec<f32>,
    cands: Vec<Cand>,
    order: Vec<usize>,
    /// The hand mask with glare holes filled.
    filled: Vec<u8>,
    /// Labelling scratch for the glare holes.
    holes: HoleScratch,
    /// The filled mask and the luma interleaved for the AVX2 grid sampler.
    packed: Vec<u16>,
    /// 3x3 box sums of the filled mask, for its edge orientations.
    boxes: Vec<u16>,
    /// Profile bin of each column of one strip row in `split_fused`.
    bins: Vec<u8>,
}

impl FingerFinder {
    /// A finder with empty scratch.
    pub fn new() -> Self {
        FingerFinder::default()
    }

    /// Exchanges the current axis's results with the spare's.
    fn swap_axis_state(&mut self) {
        let sp = &mut self.spare;
        std::mem::swap(&mut self.grid, &mut sp.grid);
        std::mem::swap(&mut self.rot, &mut sp.rot);
        std::mem::swap(&mut self.rot_luma, &mut sp.rot_luma);
        std::mem::swap(&mut self.runs, &mut sp.runs);
        std::mem::swap(&mut self.row_start, &mut sp.row_start);
        std::mem::swap(&mut self.pieces, &mut sp.pieces);
        std::mem::swap(&mut self.chains, &mut sp.chains);
        std::mem::swap(&mut self.chain_runs, &mut sp.chain_runs);
        std::mem::swap(&mut self.cands, &mut sp.cands);
    }

    /// Fills `out` from the mask and the reduced image it was made from.
    pub fn find(&mut self, mask: &HandMask, low: &LowRes, config: &Config, out: &mut HandGeometry) {
        self.find_from(mask, low, config, false, out);
    }

    /// [`FingerFinder::find`], trying the upright axis first rather than the boundary's
    /// dominant direction when `upright_first`: for a close-up, whose boundary is mostly the
    /// fingertips' caps and the frame-wide base, so its dominant direction is often across the
    /// fingers.
    pub(crate) fn find_from(
        &mut self,
        mask: &HandMask,
        low: &LowRes,
        config: &Config,
        upright_first: bool,
        out: &mut HandGeometry,
    ) {
        out.fingers.clear();
        out.hand = Hand::Unknown;
        out.hand_confidence = 0.0;
        out.angle_deg = 0.0;
        let (w, h) = (mask.width as usize, mask.height as usize);
        let n = w * h;
        out.finger_mask.clear();
        out.finger_mask.resize(n, 0);
        out.hand_fraction = mask.area as f32 / n.max(1) as f32;
        out.hand_present = false;
        self.cands.clear();
        if n == 0 || mask.mask.len() < n || mask.area < 8 {
            return;
        }
        out.hand_present = out.hand_fraction > 0.01;
        let luma = if low.luma.len() >= n && low.width == mask.width {
            &low.luma[..n]
        } else {
            &mask.mask[..n]
        };
        // Glare spots punch small bright holes into a finger's mask, which cut its rows in two
        // and its chain into fragments: track on the mask with those holes filled.
        let mut filled = std::mem::take(&mut self.filled);
        fill_glare_holes(&mask.mask[..n], luma, w, h, &mut filled, &mut self.holes);
        let src = &filled[..n];
        let mut packed_buf = std::mem::take(&mut self.packed);
        let packed = pack_mask_luma(src, luma, &mut packed_buf);
        // Candidate axes: the dominant boundary orientation (fingers are long parallel edges)
        // and straight up; keep the one under which the most finger evidence shows.
        let nz = crate::segment::nonzero_bbox(src, w, h);
        let peak = mask_axis(src, w, h, nz, &mut self.sort_buf, &mut self.boxes);
        let mut angle = peak;
        let mut best = f32::MIN;
        // The axis the scratch (grid, runs, chains, candidates) was last computed for: the
        // first refinement pass reuses it when it is the axis chosen, rather than scanning the
        // same grid again (scan, track and candidates depend only on the mask, luma and axis).
        let mut scanned = None;
        // The axis whose results the spare holds.
        let mut spare = None;
        // (The whole frame when the mask is empty.)
        let bbox = nz.unwrap_or((0, 0, w, h));
        let first = if upright_first { 0.0 } else { peak };
        for a in [first, 0.0] {
            let same = scanned == Some(a.to_bits());
            if same || (a != first && (a - first).abs() < 5f32.to_radians()) {
                continue;
            }
            if scanned.is_some() {
                self.swap_axis_state();
                spare = scanned;
            }
            self.scan(src, luma, packed, w, h, bbox, a);
            self.track();
            self.candidates();
            scanned = Some(a.to_bits());
            // A mild prior for upright hands (captures are rarely turned past 30 degrees).
            let tilt = a.to_degrees() / 60.0;
            let score = self.evidence() * (1.0 - tilt * tilt).max(0.1);
            if score > best {
                best = score;
                angle = a;
            }
        }
        // Then refine: the fingers found give the axis more precisely than the boundary.
        for pass in 0..3 {
            if scanned != Some(angle.to_bits()) {
                if spare == Some(angle.to_bits()) {
                    self.swap_axis_state();
                    std::mem::swap(&mut scanned, &mut spare);
                } else {
                    self.scan(src, luma, packed, w, h, bbox, angle);
                    self.track();
                    self.candidates();
                    scanned = Some(angle.to_bits());
                }
            }
            if pass == 2 {
                break;
            }
            match self.mean_finger_angle(angle) {
                Some(a) if (a - angle).abs() > 2.5f32.to_radians() => angle = a,
                _ => break,
            }
        }
        self.filled = filled;
        self.packed = packed_buf;
        out.angle_deg = angle.to_degrees();
        self.emit(mask, config, out);
    }

    /// Samples the mask (and luma) on the rotated grid for hand axis `angle` (radians clockwise
    /// from up), then cuts every grid row into runs. `packed`, when given (AVX2 CPUs), holds
    /// the same mask and luma as [`pack_mask_luma`] interleaves them, read eight samples at a
    /// time.
    #[allow(clippy::too_many_arguments)]
    fn scan(
        &mut self,
        mask: &[u8],
        luma: &[u8],
        packed: Option<&[u16]>,
        w: usize,
        h: usize,
        bbox: (usize, usize, usize, usize),
        angle: f32,
    ) {
        let (s, c) = angle.sin_cos();
        // eu: across the fingers, left to right; ed: down, from the tips toward the palm.
        let eu = [c, s];
        let ed = [-s, c];
        let (x0, y0, x1, y1) = bbox;
        let corners = [
            [x0 as f32 - 2.0, y0 as f32 - 2.0],
            [x1 as f32 + 2.0, y0 as f32 - 2.0],
            [x0 as f32 - 2.0, y1 as f32 + 2.0],
            [x1 as f32 + 2.0, y1 as f32 + 2.0],
        ];
        let (mut umin, mut umax, mut dmin, mut dmax) = (f32::MAX, f32::MIN, f32::MAX, f32::MIN);
        for p in corners {
            let u = p[0] * eu[0] + p[1] * eu[1];
            let d = p[0] * ed[0] + p[1] * ed[1];
            umin = umin.min(u);
            umax = umax.max(u);
            dmin = dmin.min(d);
            dmax = dmax.max(d);
        }
        let limit = 4 * (w + h);
        let gw = ((umax - umin).ceil() as usize).clamp(1, limit.min(u16::MAX as usize - 1));
        let gh = ((dmax - dmin).ceil() as usize).clamp(1, limit.min(u16::MAX as usize - 1));
        let o = [umin * eu[0] + dmin * ed[0], umin * eu[1] + dmin * ed[1]];
        self.grid = Grid {
            o,
            eu,
            ed,
            w: gw,
            h: gh,
        };
        // Sized without a clear: each row is written in full below (its span sampled, the rest
        // set to OUT / 0), which saves clearing the whole grid first.
        self.rot.resize(gw * gh, OUT);
        self.rot_luma.resize(gw * gh, 0);
        let (mask, luma) = (&mask[..w * h], &luma[..w * h]);
        let grid = self.grid;
        self.runs.clear();
        self.row_start.clear();
        for r in 0..gh {
            let p0 = grid.to_image(0.5, r as f32 + 0.5);
            let dst = &mut self.rot[r * gw..(r + 1) * gw];
            let dl = &mut self.rot_luma[r * gw..(r + 1) * gw];
            // The samples inside the frame form one span of the row (each coordinate is
            // monotonic in `cc`, rounding included): find its ends with the same arithmetic as
            // the samples, then read the span without per-sample bounds tests.
            let (lo, hi) = inside_span(p0, eu, gw, w, h);
            // lo <= hi <= gw; the loop below writes every column of lo..hi.
            dst[..lo].fill(OUT);
            dl[..lo].fill(0);
            dst[hi..].fill(OUT);
            dl[hi..].fill(0);
            #[cfg(target_arch = "x86_64")]
            if let Some(packed) = packed {
                // SAFETY: `packed` is only built when the CPU has AVX2; lo <= hi <= gw.
                unsafe { sample_span_avx2(packed, w, p0, eu, lo, hi, dst, dl) };
            } else {
                sample_span(mask, luma, w, p0, eu, lo, hi, dst, dl);
            }
            #[cfg(not(target_arch = "x86_64"))]
            {
                let _ = packed;
                sample_span(mask, luma, w, p0, eu, lo, hi, dst, dl);
            }
            // Cut the row into runs (while it is in cache); outside the span all is OUT.
            self.row_start.push(self.runs.len() as u32);
            let row = &self.rot[r * gw..(r + 1) * gw];
            let mut cc = lo;
            while cc < hi {
                let a = next_hand(row, cc, hi);
                if a >= hi {
                    break;
                }
                // No gap bridging: neighbouring fingers may be a single pixel apart here.
                let b = next_not_hand(row, a + 1, hi);
                cc = b;
                if b - a < 2 {
                    continue;
                }
                // Touching the outside counts as a side cut only where the outside is not below
                // the frame: the palm and finger bases leaving at the bottom are not cut fingers.
                let beside = |u: f32| grid.to_image(u, r as f32 + 0.5)[1] < h as f32;
                self.runs.push(Run {
                    a: a as u16,
                    b: b as u16,
                    row: r as u16,
                    chain: NONE,
                    out_left: (a == 0 || row[a - 1] == OUT) && beside(a as f32 - 0.5),
                    out_right: (b >= gw || row[b] == OUT) && beside(b as f32 + 0.5),
                    real_left: true,
                    real_right: true,
                });
            }
        }
        self.row_start.push(self.runs.len() as u32);
    }

    /// Links runs from the tip side down into chains, one piece per chain and row. A run that
    /// several chains continue into (touching fingers below their separate caps) is divided
    /// among them at the predicted boundaries, snapped to the luma valley between the fingers;
    /// a bulge beside an established chain (a touching neighbour whose tip sits lower) starts a
    /// chain of its own.
    fn track(&mut self) {
        self.chains.clear();
        self.pieces.clear();
        self.active.clear();
        let nrows = self.row_start.len().saturating_sub(1);
        let gw = self.grid.w;
        for r in 0..nrows {
            let (s, e) = (self.row_start[r] as usize, self.row_start[r + 1] as usize);
            // Each active chain picks the run it overlaps most at its predicted position.
            for &c in &self.active {
                let ch = &mut self.chains[c as usize];
                let (pa, pb) = ch.predicted();
                ch.best_run = NONE;
                let mut best = 0.0f32;
                for k in s..e {
                    let run = &self.runs[k];
                    let ov = (run.b as f32).min(pb) - (run.a as f32).max(pa);
                    if ov > best {
                        best = ov;
                        ch.best_run = k as u32;
                    }
                }
            }
            self.next_active.clear();
            for k in s..e {
                let run = self.runs[k];
                self.group.clear();
                let mut touched = false;
                for &c in &self.active {
                    let ch = &self.chains[c as usize];
                    let (pa, pb) = ch.predicted();
                    // A fork hangs well under its chain; a new cap beside a chain may graze it.
                    let ov = (run.b as f32).min(pb) - (run.a as f32).max(pa);
                    if ov > (0.3 * run.width()).max(1.0) {
                        touched = true;
                    }
                    if ch.best_run == k as u32 {
                        self.group.push(c);
                    }
                }
                if self.group.is_empty() {
                    // Nothing continues into it: a new tip, unless it hangs below a chain that
                    // continued elsewhere (a fork).
                    let start = if touched { Start::Joint } else { Start::Tip };
                    let id = self.new_chain(start, r, run.a as f32, run.b as f32, run);
                    self.next_active.push(id);
                    continue;
                }
                let chains = &self.chains;
                self.group.sort_by(|&x, &y| {
                    let cx = &chains[x as usize];
                    let cy = &chains[y as usize];
                    (cx.last_a + cx.last_b).total_cmp(&(cy.last_a + cy.last_b))
                });
                // Chains only a row or two old that run together are one ragged tip, not two
                // fingers (touching caps meet only about half a width below their tops).
                if self.group.len() >= 2 {
                    let lim = (0.15 * run.width()).max(2.0);
                    let mature = self
                        .group
                        .iter()
                        .any(|&c| chains[c as usize].age as f32 >= lim);
                    // (A young chain beside a mature one was spawned from its side: keep it.)
                    let keep = self
                        .group
                        .iter()
                        .copied()
                        .min_by_key(|&c| chains[c as usize].top)
                        .unwrap_or(NONE);
                    for gi in 0..self.group.len() {
                        let c = self.group[gi] as usize;
                        if !mature && c as u32 != keep {
                            self.chains[c].ended = true;
                        }
                    }
                    let chains = &self.chains;
                    self.group.retain(|&c| !chains[c as usize].ended);
                }
                let lrow = r * gw..(r + 1) * gw;
                let (mut cur_a, mut cur_b) = (run.a as f32, run.b as f32);
                // A bulge on the outer side of an established chain, narrower than a finger:
                // a touching finger's cap appearing beside it.
                let first = self.chains[self.group[0] as usize];
                let last = self.chains[self.group[self.group.len() - 1] as usize];
                let pa = first.predicted().0;
                let pb = last.predicted().1;
                // A bulge on one side only, near the tip, is something else touching the
                // finger (a neighbour's cap, a background object of skin colour): it gets a
                // chain of its own rather than widening the finger. Widening on both sides is
                // the palm.
                let (le, re) = (pa - cur_a, cur_b - pb);
                let bulge = |ch: &Chain, d: f32, other: f32| {
                    let near_tip = ((r - ch.top as usize) as f32) < 2.5 * ch.wmax;
                    let one_sided = other <= (0.15 * ch.wmax).max(2.0);
                    ch.established()
                        && d > (0.3 * ch.wmax).max(2.0)
                        && (d <= 1.1 * ch.wmax || (near_tip && one_sided))
                };
                let spawn_left = bulge(&first, le, re);
                let spawn_right = bulge(&last, re, le);
                let (left_cut, left_real) = if spawn_left {
                    let lum = &self.rot_luma[lrow.clone()];
                    snap_valley(lum, pa, 0.25 * first.wmax, cur_a + 2.0, cur_b - 2.0)
                } else {
                    (cur_a, true)
                };
                let (right_cut, right_real) = if spawn_right {
                    let lum = &self.rot_luma[lrow.clone()];
                    snap_valley(lum, pb, 0.25 * last.wmax, left_cut + 2.0, cur_b - 2.0)
                } else {
                    (cur_b, true)
                };
                // Fingers side by side fill the run; a run much wider than they are is the palm,
                // where they end.
                let sum_w: f32 = self
                    .group
                    .iter()
                    .map(|&c| self.chains[c as usize].width_scale())
                    .sum();
                if self.group.len() >= 2 && right_cut - left_cut > 1.25 * sum_w + 2.0 {
                    for &c in &self.group {
                        self.chains[c as usize].ended = true;
                    }
                    let id = self.new_chain(Start::Joint, r, cur_a, cur_b, run);
                    self.next_active.push(id);
                    continue;
                }
                let mut real_a = true;
                let mut real_b = true;
                if spawn_left && left_cut - cur_a >= 2.0 {
                    let piece = Run {
                        real_right: left_real,
                        ..run
                    };
                    let id = self.new_chain(Start::Tip, r, cur_a, left_cut, piece);
                    self.next_active.push(id);
                    cur_a = left_cut;
                    real_a = left_real;
                }
                if spawn_right && cur_b - right_cut >= 2.0 {
                    let piece = Run {
                        real_left: right_real,
                        ..run
                    };
                    let id = self.new_chain(Start::Tip, r, right_cut, cur_b, piece);
                    self.next_active.push(id);
                    cur_b = right_cut;
                    real_b = right_real;
                }
                let mut left = cur_a;
                let mut left_is_real = real_a;
                for gi in 0..self.group.len() {
                    let c = self.group[gi];
                    let (right, right_is_real) = if gi + 1 < self.group.len() {
                        let ca = self.chains[c as usize];
                        let cb = self.chains[self.group[gi + 1] as usize];
                        let mid = 0.5 * (ca.predicted().1 + cb.predicted().0);
                        let rad = 0.3 * ca.wmax.min(cb.wmax);
                        let lum = &self.rot_luma[lrow.clone()];
                        snap_valley(lum, mid, rad, left + 1.0, cur_b - 1.0)
                    } else {
                        (cur_b, real_b)
                    };
                    if right > left {
                        let piece = Run {
                            real_left: left_is_real,
                            real_right: right_is_real,
                            ..run
                        };
                        let c = self.extend_chain(c, r, left, right, piece);
                        self.next_active.push(c);
                    }
                    left = right;
                    left_is_real = right_is_real;
                }
            }
            // Chains without a piece in this row coast a few rows (a crease, a speck).
            for i in 0..self.active.len() {
                let c = self.active[i];
                let ch = &mut self.chains[c as usize];
                if !ch.ended && ch.miss < ch.gap_limit() && !self.next_active.contains(&c) {
                    ch.miss += 1;
                    self.next_active.push(c);
                }
            }
            std::mem::swap(&mut self.active, &mut self.next_active);
        }
        // Group piece indices by chain (pieces are in row order, so each group is too).
        for ch in self.chains.iter_mut() {
            ch.nruns = 0;
        }
        for p in &self.pieces {
            if let Some(ch) = self.chains.get_mut(p.chain as usize) {
                ch.nruns += 1;
            }
        }
        let mut acc = 0u32;
        for ch in self.chains.iter_mut() {
            ch.first = acc;
            acc += ch.nruns;
            ch.nruns = 0;
        }
        self.chain_runs.clear();
        self.chain_runs.resize(acc as usize, 0);
        for (k, p) in self.pieces.iter().enumerate() {
            if let Some(ch) = self.chains.get_mut(p.chain as usize) {
                self.chain_runs[(ch.first + ch.nruns) as usize] = k as u32;
                ch.nruns += 1;
            }
        }
    }

    fn new_chain(&mut self, start: Start, r: usize, a: f32, b: f32, run: Run) -> u32 {
        let id = self.chains.len() as u32;
        self.chains.push(Chain {
            start,
            top: r as u16,
            bottom: r as u16,
            last_a: a,
            last_b: b,
            vel: 0.0,
            wmax: b - a,
            age: 0,
            grown_at: 0,
            grown_w: b - a,
            first: 0,
            nruns: 0,
            best_run: NONE,
            miss: 0,
            ended: false,
            resumed_piece: 0,
            resumed_row: 0,
            gap_width: 0.0,
            resumed_width: 0.0,
        });
        self.push_piece(id, r, a, b, run);
        id
    }

    /// Adds the piece `a..b` of row `r` to chain `c`; returns the chain that holds it (a new
    /// one when the piece shows that what lies below a gap is not the chain's own continuation).
    fn extend_chain(&mut self, c: u32, r: usize, a: f32, b: f32, run: Run) -> u32 {
        let Some(ch) = self.chains.get_mut(c as usize) else {
            return c;
        };
        // Fill the rows it coasted over with its last extent, so each chain has one piece
        // per row from its tip down.
        let miss = ch.miss as usize;
        let (la, lb, vel) = (ch.last_a, ch.last_b, ch.vel);
        ch.miss = 0;
        let steps = (miss + 1) as f32;
        let shift = 0.5 * ((a + b) - (la + lb)) / steps;
        let ch_vel = (0.7 * vel + 0.3 * shift).clamp(-1.5, 1.5);
        for k in 0..miss {
            let d = vel * (k + 1) as f32;
            let gap_run = Run {
                out_left: false,
                out_right: false,
                real_left: true,
                real_right: true,
                ..run
            };
            self.push_piece(c, r - miss + k, la + d, lb + d, gap_run);
        }
        let resumed_piece = self.pieces.len() as u32;
        if miss > 0 {
            if let Some(ch) = self.chains.get_mut(c as usize) {
                ch.resumed_piece = resumed_piece;
                ch.resumed_row = r as u16;
                ch.gap_width = lb - la;
            }
        }
        // A neck (the chain squeezed to a sliver of its width) is a gap too: a background
        // fragment touching a fingertip joins it through a few pixels.
        let neck = miss == 0
            && self.chains.get(c as usize).is_some_and(|ch| {
                ch.wmax >= MIN_EST_W && ch.age >= 2 && b - a <= (0.35 * ch.wmax).max(3.0)
            });
        if neck {
            if let Some(ch) = self.chains.get_mut(c as usize) {
                ch.resumed_piece = resumed_piece;
                ch.resumed_row = r as u16;
                ch.gap_width = ch.gap_width.max(ch.wmax);
            }
        }
        let resumed = miss > 0 || neck;
        let first_below_gap = if resumed {
            b - a
        } else {
            self.chains
                .get(c as usize)
                .map_or(f32::MAX, |ch| ch.resumed_width)
        };
        let Some(ch) = self.chains.get_mut(c as usize) else {
            return c;
        };
        // Below a gap, a piece that soon grows well past the width above it is a new cap: a
        // fingertip under a narrower background fragment the chain coasted down from (a crease
        // resumes at the finger's own width). The part below the gap becomes a chain of its own.
        let gw = ch.gap_width;
        let split = gw > 0.0
            && (r as f32 - ch.resumed_row as f32) <= 1.5 * gw
            && b - a > 1.5 * gw + 2.0
            && first_below_gap < 1.2 * gw;
        ch.vel = ch_vel;
        ch.last_a = a;
        ch.last_b = b;
        ch.bottom = r as u16;
        ch.grow(b - a);
        self.push_piece(c, r, a, b, run);
        if resumed {
            let stored = self.pieces.last().map_or(b - a, Run::width);
            if let Some(ch) = self.chains.get_mut(c as usize) {
                ch.resumed_width = stored;
            }
        }
        if split { self.split_at_gap(c) } else { c }
    }

    /// Moves chain `c`'s pieces below its last gap to a new tip chain, ends `c`, and returns
    /// the new chain.
    fn split_at_gap(&mut self, c: u32) -> u32 {
        let id = self.chains.len() as u32;
        let Some(&old) = self.chains.get(c as usize) else {
            return c;
        };
        let mut new = Chain {
            start: Start::Tip,
            top: old.resumed_row,
            bottom: old.bottom,
            best_run: NONE,
            ..Chain::default()
        };
        let mut first = true;
        for p in self.pieces[old.resumed_piece as usize..].iter_mut() {
            if p.chain != c {
                continue;
            }
            p.chain = id;
            let (a, b) = (p.a as f32, p.b as f32);
            if first {
                new.wmax = b - a;
                new.grown_w = b - a;
                first = false;
            } else {
                new.grow(b - a);
            }
            new.last_a = a;
            new.last_b = b;
        }
        new.vel = old.vel;
        self.chains.push(new);
        if let Some(o) = self.chains.get_mut(c as usize) {
            o.ended = true;
            o.bottom = old.resumed_row.saturating_sub(1);
            o.gap_width = 0.0;
        }
        id
    }

    fn push_piece(&mut self, c: u32, r: usize, a: f32, b: f32, run: Run) {
        let (ia, ib) = (a.round() as u16, b.round() as u16);
        self.pieces.push(Run {
            a: ia,
            b: ib.max(ia + 1),
            row: r as u16,
            chain: c,
            out_left: run.out_left && ia <= run.a,
            out_right: run.out_right && ib >= run.b,
            real_left: run.real_left,
            real_right: run.real_right,
        });
    }

    /// Finger candidates from the chains: width, centre line, tip, cuts.
    fn candidates(&mut self) {
        self.cands.clear();
        let gw = self.grid.w;
        for (ci, ch) in self.chains.iter().enumerate() {
            if ch.start != Start::Tip || ch.nruns < 2 {
                continue;
            }
            let ids = &self.chain_runs[ch.first as usize..(ch.first + ch.nruns) as usize];
            let n = ids.len();
            self.widths.clear();
            self.widths
                .extend(ids.iter().map(|&k| self.pieces[k as usize].width()));
            // Width by fixed point: the median over the rows between half a width and two
            // widths below the tip (past the rounded cap, before the palm).
            let mut w = self.widths[..n.min(6)].iter().copied().fold(0.0, f32::max);
            for _ in 0..5 {
                let lo = ((0.5 * w) as usize).min(n - 1);
                let hi = ((2.0 * w).ceil() as usize).clamp(lo + 1, n);
                w = median_of(&self.widths[lo..hi], &mut self.sort_buf);
            }
            if w < 2.0 {
                continue;
            }
            // The finger ends where it widens for good (the palm) or is squeezed out (its
            // neighbours took the run where they joined).
            let lo = ((0.5 * w) as usize).min(n - 1);
            let mut end = n;
            let off = |v: f32| v > 1.45 * w || v < 0.55 * w;
            for i in lo..n.saturating_sub(1) {
                if off(self.widths[i]) && off(self.widths[i + 1]) {
                    end = i;
                    break;
                }
            }
            let end = end.max(lo + 1).min(n);
            let wm = median_of(&self.widths[lo..end], &mut self.sort_buf);
            // Centre line over the finger's distal part (fingers may bend further down).
            let fit_end = end.min(lo + (4.0 * wm) as usize + 1);
            let (mut sn, mut sr, mut su, mut srr, mut sru) = (0f32, 0f32, 0f32, 0f32, 0f32);
            // A finger cut by the frame's side is placed by its inner edge, its one real side
            // (the centre of the visible part drifts as more or less of the finger is cut off;
            // fitting only the uncut rows, the cap's, gave wild slopes).
            let (mut cut_l, mut cut_r) = (false, false);
            for &k in &ids[lo..fit_end] {
                let p = self.pieces[k as usize];
                cut_l |= p.out_left;
                cut_r |= p.out_right;
            }
            let centre_of = |p: &Run| -> Option<f32> {
                match (p.out_left, p.out_right) {
                    _ if cut_l && !cut_r && !p.out_right => Some(p.b as f32 - 0.5 * wm),
                    _ if cut_r && !cut_l && !p.out_left => Some(p.a as f32 + 0.5 * wm),
                    (false, false) => Some(p.centre()),
                    _ => None,
                }
            };
            for &k in &ids[lo..fit_end] {
                let p = self.pieces[k as usize];
                let Some(u) = centre_of(&p) else {
                    continue;
                };
                let r = p.row as f32 + 0.5;
                sn += 1.0;
                sr += r;
                su += u;
                srr += r * r;
                sru += r * u;
            }
            let top_piece = self.pieces[ids[0] as usize];
            let (slope, icpt) = if sn >= 3.0 && (sn * srr - sr * sr).abs() > 1e-3 {
                let b = ((sn * sru - sr * su) / (sn * srr - sr * sr)).clamp(-1.5, 1.5);
                (b, (su - b * sr) / sn)
            } else if sn > 0.0 {
                (0.0, su / sn)
            } else {
                (0.0, top_piece.centre())
            };
            let cosv = 1.0 / (1.0 + slope * slope).sqrt();
            let width = wm * cosv;
            let top = ch.top as f32;
            let tip_u = icpt + slope * top;
            // Finger-shaped: nearly constant width and a straight centre line below the cap.
            let steady_end = end.min(lo + (3.0 * wm) as usize + 1);
            let steady = self.widths[lo..steady_end]
                .iter()
                .filter(|&&v| v >= 0.7 * wm && v <= 1.35 * wm)
                .count() as f32
                / (steady_end - lo) as f32;
            let (mut sq, mut nsq) = (0.0, 0usize);
            for &k in &ids[lo..fit_end] {
                let p = self.pieces[k as usize];
                if let Some(u) = centre_of(&p) {
                    let d = u - (icpt + slope * (p.row as f32 + 0.5));
                    sq += d * d;
                    nsq += 1;
                }
            }
            let rms = (sq / nsq.max(1) as f32).sqrt();
            let shaped = steady >= 0.7 && rms <= 0.2 * wm + 0.75;
            // Cut at the tip: the sample just above the top piece is outside the frame.
            // (At least half of it: a piece touching the frame's side is not cut at its tip.)
            let mut cut = ch.top == 0;
            if ch.top > 0 {
                let row = (ch.top as usize - 1) * gw;
                let (a, b) = (top_piece.a as usize, (top_piece.b as usize).min(gw));
                let outside = self.rot[row + a..row + b]
                    .iter()
                    .filter(|&&v| v == OUT)
                    .count();
                cut = 2 * outside >= b.saturating_sub(a).max(1);
            }
            let pad_rows = PAD_LENGTH_W * width;
            let (mut side_left, mut side_right) = (false, false);
            for &k in &ids[..end] {
                let p = self.pieces[k as usize];
                if (p.row - ch.top) as f32 > pad_rows {
                    break;
                }
                side_left |= p.out_left;
                side_right |= p.out_right;
            }
            let length = end as f32 / cosv;
            // Does the finger leave the frame at its lower end? (A tilted frame edge narrows
            // it first, so look a few rows past where the finger was judged to end.)
            let exits = ids[end - 1..n.min(end + 3)].iter().any(|&k| {
                let p = self.pieces[k as usize];
                p.out_left || p.out_right || {
                    let rb = p.row as usize + 1;
                    rb >= self.grid.h || {
                        let row = rb * gw;
                        let (a, b) = (p.a as usize, (p.b as usize).min(gw));
                        self.rot[row + a..row + b].contains(&OUT)
                    }
                }
            });
            let long_enough_raw =
                length >= MIN_FINGER_LENGTH_W * width || ((exits || cut) && length >= 0.6 * width);
            // A rounded tip starts narrower than the finger, unless the frame cut it: a tenth
            // of a width below the top a round or elongated cap is about half as wide (the top
            // of a background blob or of a segment below a crease is nearly full width).
            // Checked only where a tenth of a width is a few rows.
            let depth = ((0.1 * wm).round() as usize).min(ids.len() - 1);
            let capped = cut
                || (top_piece.width() <= 0.9 * wm
                    && (wm < 20.0 || self.pieces[ids[depth] as usize].width() <= 0.8 * wm));
            let long_enough = long_enough_raw && shaped && capped;
            self.cands.push(Cand {
                chain: ci as u32,
                rows: end as u16,
                tip_u,
                tip_r: top,
                slope,
                width,
                length,
                cut,
                cut_width: if cut {
                    // Where the finger meets the frame: the widest piece over the rows a tilted
                    // frame edge spans in the grid.
                    let tilt = (self.grid.eu[1] / self.grid.eu[0].abs().max(1e-3)).abs();
                    let span = ((tilt * wm).ceil() as usize + 2).min(ids.len());
                    ids[..span]
                        .iter()
                        .map(|&k| self.pieces[k as usize].width())
                        .fold(0.0, f32::max)
                        * cosv
                } else {
                    top_piece.width() * cosv
                },
                side_left,
                side_right,
                apex_u: if cut { f32::NAN } else { self.apex(ids) },
                multiplicity: 1,
                thumb: false,
                keep: long_enough,
                below_crease: false,
            });
        }
        // A crease (a gap of a few rows across a finger in the edge-cut mask) ends the chain
        // above it, and the part below starts a chain of its own whose top, along a tilted
        // or ragged crease, can look as rounded as a tip (so `capped` passes it). It is no
        // fingertip when a finger candidate of about its width runs down to just above it over
        // the same columns. (Decided for all before any is dropped: the one above must be a
        // finger itself, since a real tip under a background blob of finger width is no crease.)
        for i in 0..self.cands.len() {
            let below = self.cands[i].keep && self.continues_chain_above(i);
            self.cands[i].below_crease = below;
        }
        for c in self.cands.iter_mut() {
            c.keep &= !c.below_crease;
        }
        // Fingers pressed together form one strip: split it at the shadow lines between them.
        let ncand = self.cands.len();
        for i in 0..ncand {
            if self.cands[i].keep {
                self.split_fused(i);
            }
        }
        // Widths relative to the typical finger: too thin is noise, 2-4x is touching fingers.
        self.widths.clear();
        self.widths
            .extend(self.cands.iter().filter(|c| c.keep).map(|c| c.width));
        if self.widths.is_empty() {
            return;
        }
        // The reference is weighted by area (width times length, up to four widths), so a comb
        // of short narrow chains along a ragged background edge cannot set it.
        let wref = weighted_median(
            self.cands
                .iter()
                .filter(|c| c.keep)
                .map(|c| (c.width, c.width * c.length.min(4.0 * c.width))),
            &mut self.pairs,
        );
        for c in self.cands.iter_mut().filter(|c| c.keep) {
            // (A finger cut by the frame's side shows only part of its width.)
            let side_cut = c.side_left || c.side_right;
            if c.width < 0.55 * wref && !(side_cut && c.width >= 0.35 * wref) {
                c.keep = false;
            } else if c.width > 1.6 * wref {
                let k = (c.width / wref).round().clamp(1.0, 4.0);
                c.multiplicity = k as u8;
            }
        }
        self.drop_nested_tips(wref);
        self.mark_thumb();
    }

    /// Where a chain's rounded cap peaks (grid u), from its first rows below the top one: the
    /// mean centre of those rows with real edges on both sides inside the frame (up to four).
    /// The top row alone misleads: on a grid turned a few degrees from the mask's pixel rows it
    /// is a sliver of one pixel row, cut at a slant to one side of the peak. NaN when no such
    /// row (a cap cut at the side at once).
    fn apex(&self, ids: &[u32]) -> f32 {
        let clean = |p: &Run| !p.out_left && !p.out_right && p.real_left && p.real_right;
        let (mut sum, mut n) = (0.0, 0);
        for &k in ids.iter().skip(1).take(4) {
            let p = self.pieces[k as usize];
            if !clean(&p) {
                break;
            }
            sum += p.centre();
            n += 1;
        }
        match ids.first().map(|&k| self.pieces[k as usize]) {
            _ if n > 0 => sum / n as f32,
            Some(top) if clean(&top) => top.centre(),
            _ => f32::NAN,
        }
    }

    /// Drops a candidate whose tip lies on another candidate's centre line, below that one's
    /// tip and within its length: fingers stand side by side, a finger width apart, so a tip
    /// inside another finger's column is a piece of that finger (below a crease the crease
    /// rule missed, or a strip split off along a highlight), not a finger of its own.
    fn drop_nested_tips(&mut self, wref: f32) {
        for i in 0..self.cands.len() {
            let b = self.cands[i];
            if !b.keep || b.multiplicity > 1 {
                continue;
            }
            let nested = self.cands.iter().enumerate().any(|(j, a)| {
                if j == i || !a.keep || a.multiplicity > 1 || a.tip_r >= b.tip_r {
                    return false;
                }
                let reach =
                    a.length * (1.0 + a.slope * a.slope).sqrt().recip() + NESTED_BELOW_W * a.width;
                let below = b.tip_r - a.tip_r;
                let axis_u = a.tip_u + a.slope * below;
                let half = NESTED_SPAN_W * a.width.min(wref) * (1.0 + a.slope * a.slope).sqrt();
                below <= reach && (b.tip_u - axis_u).abs() < half
            });
            if nested {
                self.cands[i].keep = false;
            }
        }
    }

    /// Whether candidate `ci` starts right below another chain of about its width over the
    /// same columns (the part of a finger below a crease).
    fn continues_chain_above(&self, ci: usize) -> bool {
        let c = self.cands[ci];
        let Some(ch) = self.chains.get(c.chain as usize) else {
            return false;
        };
        if c.cut {
            return false;
        }
        // (Widths compared along the grid rows, as the pieces are measured.)
        let w = c.width * (1.0 + c.slope * c.slope).sqrt();
        let top = ch.top as f32;
        // Its extent over its first half width of rows.
        let ids = &self.chain_runs[ch.first as usize..(ch.first + ch.nruns) as usize];
        let (mut a0, mut a1) = (f32::MAX, f32::MIN);
        for &k in ids {
            let p = self.pieces[k as usize];
            if p.row as f32 > top + CREASE_WINDOW_W * w {
                break;
            }
            a0 = a0.min(p.a as f32);
            a1 = a1.max(p.b as f32);
        }
        for o in &self.cands {
            if !o.keep {
                continue;
            }
            let bi = o.chain as usize;
            let Some(b) = self.chains.get(bi) else {
                continue;
            };
            if bi == c.chain as usize
                || (b.top as f32) > top - CREASE_ABOVE_W * w
                || (b.bottom as f32) < top - CREASE_GAP_W * w
            {
                continue;
            }
            let bids = &self.chain_runs[b.first as usize..(b.first + b.nruns) as usize];
            let (mut bw, mut b0, mut b1) = (0f32, f32::MAX, f32::MIN);
            // Along a tilted crease, or where the mask's ragged edge bridges it, the chain above
            // goes on beside the part below, but narrow: at its full width only a little past
            // that part's top (a neighbour goes on at full width).
            let mut last_wide = 0f32;
            for &k in bids {
                let p = self.pieces[k as usize];
                if p.width() >= 0.7 * w {
                    last_wide = p.row as f32;
                }
            }
            if last_wide < top - CREASE_GAP_W * w || last_wide > top + CREASE_BESIDE_W * w {
                continue;
            }
            for &k in bids {
                let p = self.pieces[k as usize];
                let r = p.row as f32;
                if r < top - CREASE_GAP_W * w {
                    continue;
                }
                if r > top + CREASE_WINDOW_W * w {
                    break;
                }
                bw = bw.max(p.width());
                b0 = b0.min(p.a as f32);
                b1 = b1.max(p.b as f32);
            }
            let overlap = a1.min(b1) - a0.max(b0);
            if bw >= 0.8 * w && bw <= 1.4 * w && overlap >= 0.6 * w {
                return true;
            }
        }
        false
    }

    /// Looks for fingers pressed together inside candidate `ci`: the luma profile across the
    /// strip, averaged over its upper rows in coordinates relative to the strip's edges (so the
    /// lines between fingers add up even when the strip tapers), with clear interior valleys.
    /// Each sub-strip becomes a candidate with its own tip, found in the mask.
    fn split_fused(&mut self, ci: usize) {
        let c = self.cands[ci];
        let Some(ch) = self.chains.get(c.chain as usize) else {
            return;
        };
        let ids = &self.chain_runs[ch.first as usize..(ch.first + ch.nruns) as usize];
        let gw = self.grid.w;
        let lo = (0.5 * c.width) as usize;
        let hi = (c.rows as usize).min(lo + (0.8 * c.width).max(6.0) as usize);
        if hi <= lo + 3 || c.width < 6.0 {
            return;
        }
        // Glare spots would make bright peaks with fake valleys between them: clamp samples a
        // little above the strip's mean.
        // Integer sums: while they stay below 2^24 every partial f32 sum of these integers
        // is exact, so they equal the f32 running sums the mean was defined with.
        let (mut isum, mut icnt) = (0u64, 0u64);
        for &k in &ids[lo..hi] {
            let p = self.pieces[k as usize];
            let (a, b) = (p.a as usize, (p.b as usize).min(gw));
            let row = &self.rot_luma[p.row as usize * gw..(p.row as usize + 1) * gw];
            if let Some(seg) = row.get(a..b) {
                isum += seg.iter().map(|&l| l as u64).sum::<u64>();
                icnt += seg.len() as u64;
            }
        }
        let (lsum, ln) = if isum < 1 << 24 && icnt < 1 << 24 {
            (isum as f32, icnt as f32)
        } else {
            let (mut lsum, mut ln) = (0f32, 0f32);
            for &k in &ids[lo..hi] {
                let p = self.pieces[k as usize];
                let (a, b) = (p.a as usize, (p.b as usize).min(gw));
                let row = &self.rot_luma[p.row as usize * gw..(p.row as usize + 1) * gw];
                for &l in row.iter().take(b).skip(a) {
                    lsum += l as f32;
                    ln += 1.0;
                }
            }
            (lsum, ln)
        };
        let clamp_at = lsum / ln.max(1.0) + 20.0;
        let mut sum = [[0f32; NB]; 2];
        // Counts in integers (the f32 counts of before were exact integers too).
        let mut cnt = [[0u32; NB]; 2];
        let (mut sa, mut sb, mut sr, mut nr) = (0f32, 0f32, 0f32, 0f32);
        let mid_row = (lo + hi) / 2;
        for (idx, &k) in ids[lo..hi].iter().enumerate() {
            let half = (lo + idx >= mid_row) as usize;
            let p = self.pieces[k as usize];
            let (a, b) = (p.a as usize, (p.b as usize).min(gw));
            if b <= a + 4 {
                continue;
            }
            let row = &self.rot_luma[p.row as usize * gw..(p.row as usize + 1) * gw];
            // Each bin's sum runs in a register while consecutive pixels fall into it (the
            // same additions in the same order as `sum[half][bin] += ...` per pixel, without a
            // store and reload between them).
            let (sum, cnt) = (&mut sum[half], &mut cnt[half]);
            let Some(seg) = row.get(a..b) else {
                continue;
            };
            // The bins first, in a loop of their own that vectorises (the divisions were most
            // of the per-pixel cost): the same f32 operations, so the same bins. Column
            // offsets are below 2^16, exact in f32 from i32 as from usize; `as i32` truncates
            // like `as usize` on 0..=NB.
            bins_for_row(b - a, &mut self.bins);
            let (mut cur, mut acc) = (0usize, sum[0]);
            for (&l, &bin) in seg.iter().zip(&self.bins) {
                let bin = bin as usize;
                if bin != cur {
                    sum[cur] = acc;
                    cur = bin;
                    acc = sum[bin];
                }
                acc += (l as f32).min(clamp_at);
                cnt[bin] += 1;
            }
            sum[cur] = acc;
            sa += p.a as f32;
            sb += p.b as f32;
            sr += p.row as f32;
            nr += 1.0;
        }
        if nr < 3.0 {
            return;
        }
        // The valleys between pressed fingers run the whole length: they must show in the
        // upper and in the lower half of the rows alike (glare spots and ridge cores do not).
        let mut found = [[0f32; 4]; 2];
        let mut nfound = [0usize; 2];
        for half in 0..2 {
            let mut prof = [0f32; NB];
            for i in 0..NB {
                let c = cnt[half][i] as f32;
                prof[i] = if c > 0.0 { sum[half][i] / c } else { 0.0 };
            }
            nfound[half] = profile_valleys(&prof, &mut found[half]);
        }
        let mut cuts = [0f32; 4];
        let mut ncuts = 0;
        for &a in &found[0][..nfound[0]] {
            let near = found[1][..nfound[1]]
                .iter()
                .any(|&b| (a - b).abs() <= 2.5 / NB as f32);
            if near && ncuts < 4 {
                cuts[ncuts] = a;
                ncuts += 1;
            }
        }
        if ncuts == 0 {
            return;
        }
        // Plausible pieces: similar widths.
        let k = ncuts + 1;
        let mut edges = [0f32; 6];
        edges[1..=ncuts].copy_from_slice(&cuts[..ncuts]);
        edges[k] = 1.0;
        for j in 0..k {
            let share = edges[j + 1] - edges[j];
            if share < 0.45 / k as f32 || share > 1.8 / k as f32 {
                return;
            }
        }
        // Boundaries in grid columns: along the strip's mean edges, following its slope.
        let (ma, mb, mr) = (sa / nr, sb / nr, sr / nr);
        let cosv = 1.0 / (1.0 + c.slope * c.slope).sqrt();
        let at = |t: f32, r: f32| ma + t * (mb - ma) + c.slope * (r - mr);
        for j in 0..k {
            let (t0, t1) = (edges[j], edges[j + 1]);
            // Tip: the first row from the top where the sub-strip holds hand pixels.
            let mut tip_r = c.tip_r;
            let top = ch.top as usize;
            for r in top..(ch.bottom as usize + 1).min(self.grid.h) {
                let rf = r as f32 + 0.5;
                let (ua, ub) = (
                    at(t0, rf).max(0.0) as usize,
                    (at(t1, rf).max(0.0) as usize).min(gw),
                );
                if ua < ub && self.rot[r * gw + ua..r * gw + ub].contains(&HAND) {
                    tip_r = r as f32;
                    break;
                }
            }
            let tm = 0.5 * (t0 + t1);
            let sub = Cand {
                tip_u: at(tm, tip_r),
                tip_r,
                width: (t1 - t0) * (mb - ma) * cosv,
                length: c.length - (tip_r - c.tip_r) / cosv,
                cut_width: c.cut_width.min((t1 - t0) * (mb - ma)),
                side_left: c.side_left && j == 0,
                side_right: c.side_right && j + 1 == k,
                ..c
            };
            if j == 0 {
                self.cands[ci] = sub;
            } else {
                self.cands.push(sub);
            }
        }
    }

    /// The thumb, when extended: an end digit, clearly lower than the others, wider, often
    /// angled away. With five digits one end must be the thumb (the one that looks more like
    /// it); with fewer, only a clear case is taken.
    fn mark_thumb(&mut self) {
        let kept = self.cands.iter().filter(|c| c.keep).count();
        if kept < 3 {
            return;
        }
        let med = |f: fn(&Cand) -> f32, buf: &mut Vec<f32>, cands: &[Cand]| {
            buf.clear();
            buf.extend(cands.iter().filter(|c| c.keep).map(f));
            buf.sort_by(|a, b| a.total_cmp(b));
            buf[buf.len() / 2]
        };
        let med_tip = med(|c| c.tip_r, &mut self.widths, &self.cands);
        let med_slope = med(|c| c.slope, &mut self.widths, &self.cands);
        let med_w = med(|c| c.width, &mut self.widths, &self.cands).max(1.0);
        let (mut first, mut last) = (usize::MAX, usize::MAX);
        for (i, c) in self.cands.iter().enumerate().filter(|(_, c)| c.keep) {
            if first == usize::MAX || c.tip_u < self.cands[first].tip_u {
                first = i;
            }
            if last == usize::MAX || c.tip_u > self.cands[last].tip_u {
                last = i;
            }
        }
        // How thumb-like an end digit is: tip lowered (in widths), extra width, and angle
        // away from the hand (its base lies toward the hand's centre).
        let score = |c: &Cand, sign: f32| {
            let lower = (c.tip_r - med_tip) / med_w;
            let wider = c.width / med_w - 1.0;
            let away = (-sign * (c.slope - med_slope)).max(0.0);
            (lower + 2.0 * wider + 1.5 * away, lower, wider)
        };
        let none = (0.0, 0.0, 0.0);
        let (sf, lf, wf) = self.cands.get(first).map_or(none, |c| score(c, -1.0));
        let (sl, ll, wl) = self.cands.get(last).map_or(none, |c| score(c, 1.0));
        let (pick, best, lower, wider) = if sf >= sl {
            (first, sf, lf, wf)
        } else {
            (last, sl, ll, wl)
        };
        // Five digits only if five are more than a sliver: a fragment at the frame's edge (a
        // fingertip barely in view, a patch of background) does not make the others a thumb.
        let digits = self
            .cands
            .iter()
            .filter(|c| c.keep && c.length >= MIN_DIGIT_LENGTH_W * med_w)
            .count();
        // (The little finger is low and may be angled too, but it is narrower, the thumb wider.)
        let take = if digits >= 5 {
            best > 0.5
        } else {
            best > 2.0 && lower > 1.2 && wider > 0.05
        };
        if take {
            if let Some(c) = self.cands.get_mut(pick) {
                c.thumb = true;
            }
        }
    }

    /// How much finger evidence the current candidates carry: each kept finger counts by its
    /// length in widths, up to three.
    fn evidence(&self) -> f32 {
        self.cands
            .iter()
            .filter(|c| c.keep)
            .map(|c| (c.length / c.width.max(1.0)).min(3.0))
            .sum()
    }

    /// Mean axis angle (radians, clockwise from up) of the fingers found, weighted by length.
    fn mean_finger_angle(&self, angle: f32) -> Option<f32> {
        let (mut sw, mut sa) = (0f32, 0f32);
        for c in self.cands.iter().filter(|c| c.keep && !c.thumb) {
            let wgt = c.length.min(4.0 * c.width) * c.multiplicity as f32;
            sa += wgt * (angle - c.slope.atan());
            sw += wgt;
        }
        (sw > 0.0).then(|| sa / sw)
    }

    /// For a candidate cut at the frame's side whose cap apex is in view: the finger's half
    /// width along grid rows and the slope of its axis, from the inner edge past the cap (the
    /// rows 0.6-2 typical widths below the tip) and the apex, which the axis runs through. With
    /// half a width of such rows the edge's offset from the apex column is fitted with a line
    /// (the finger may lean); with fewer the finger is taken as parallel to the hand and the
    /// median offset is the half width. (The visible part's centre line is no guide: the cap's
    /// curve tilts it.) None with fewer than two rows past the cap.
    fn half_width_from_apex(
        (chains, chain_runs, pieces): (&[Chain], &[u32], &[Run]),
        c: &Cand,
        wref: f32,
        edges: &mut Vec<(f32, f32)>,
    ) -> Option<(f32, f32)> {
        let ch = chains[c.chain as usize];
        let ids = &chain_runs[ch.first as usize..(ch.first + ch.nruns) as usize];
        let right = c.side_right && !c.side_left;
        edges.clear();
        for &k in &ids[..(c.rows as usize).min(ids.len())] {
            let p = pieces[k as usize];
            let d = p.row as f32 + 0.5 - c.tip_r;
            if d < 0.6 * wref {
                continue;
            }
            if d > 2.0 * wref {
                break;
            }
            if right && p.real_left && !p.out_left {
                edges.push((d, c.apex_u - p.a as f32));
            } else if !right && p.real_right && !p.out_right {
                edges.push((d, p.b as f32 - c.apex_u));
            }
        }
        let n = edges.len();
        if n < 2 {
            return None;
        }
        let span = edges[n - 1].0 - edges[0].0;
        if n >= 4 && span >= 0.5 * wref {
            let (mut sd, mut so, mut sdd, mut sdo) = (0f32, 0f32, 0f32, 0f32);
            for &(d, o) in edges.iter() {
                sd += d;
                so += o;
                sdd += d * d;
                sdo += d * o;
            }
            let nf = n as f32;
            let det = nf * sdd - sd * sd;
            if det.abs() > 1e-3 {
                let lean = (nf * sdo - sd * so) / det;
                let half = (so - lean * sd) / nf;
                // Offset = half - slope * d on the right, half + slope * d on the left.
                let slope = if right { -lean } else { lean };
                return (half > 0.0).then_some((half, slope.clamp(-1.5, 1.5)));
            }
        }
        edges.sort_by(|a, b| a.1.total_cmp(&b.1));
        let half = edges[n / 2].1;
        (half > 0.0).then_some((half, 0.0))
    }

    /// Converts the kept candidates to fingers in full-resolution coordinates.
    fn emit(&mut self, mask: &HandMask, config: &Config, out: &mut HandGeometry) {
        let f = mask.factor.max(1) as f32;
        let (fw, fh) = (mask.width as f32, mask.height as f32);
        let g = self.grid;
        // Reference width: fingers not cut at the side.
        self.widths.clear();
        self.widths.extend(
            self.cands
                .iter()
                .filter(|c| c.keep && !c.thumb && !c.side_left && !c.side_right)
                .map(|c| c.width / c.multiplicity as f32),
        );
        self.widths.sort_by(|a, b| a.total_cmp(b));
        let wref = self.widths.get(self.widths.len() / 2).copied();
        let pad_scale = config.framing.print_fraction_of_finger / 0.2;
        self.order.clear();
        self.order
            .extend((0..self.cands.len()).filter(|&i| self.cands[i].keep));
        let cands = &self.cands;
        self.order
            .sort_by(|&a, &b| cands[a].tip_u.total_cmp(&cands[b].tip_u));
        // Highest visible tip among uncut fingers (grid row), for extrapolating cut ones.
        let top_uncut = self
            .cands
            .iter()
            .filter(|c| c.keep && !c.cut && !c.thumb)
            .map(|c| c.tip_r)
            .reduce(f32::min);
        for &ci in &self.order {
            let c = self.cands[ci];
            let k = c.multiplicity.max(1) as usize;
            let sub_w = c.width / k as f32;
            for j in 0..k {
                let mut width = sub_w;
                // Grid coordinates of this finger's tip: touching fingers side by side.
                let off = (j as f32 + 0.5 - k as f32 / 2.0) * sub_w
                    / (1.0 / (1.0 + c.slope * c.slope).sqrt());
                let mut tu = c.tip_u + off;
                let mut tr = c.tip_r;
                // Direction toward the tip, in the grid and in the image.
                let mut nrm = (1.0 + c.slope * c.slope).sqrt();
                let (mut du, mut dr) = (-c.slope / nrm, -1.0 / nrm);
                // Cut at the side: the true width is the typical one; the centre lies outward.
                if k == 1 && (c.side_left || c.side_right) {
                    // With the cap's apex in view, the finger's centre line runs through it, and
                    // its half width is how far the inner edge lies from that line past the cap:
                    // the finger's own width, not the typical one (a little finger is about a
                    // sixth narrower than the middle one).
                    let fit = match wref {
                        Some(wr) if c.apex_u.is_finite() => {
                            let parts = (&self.chains[..], &self.chain_runs[..], &self.pieces[..]);
                            Self::half_width_from_apex(parts, &c, wr, &mut self.pairs)
                        }
                        _ => None,
                    };
                    let from_apex = fit.map_or(f32::NAN, |(half, slope)| {
                        2.0 * half / (1.0 + slope * slope).sqrt()
                    });
                    if let Some((_, slope)) = fit.filter(|_| {
                        from_apex >= width && wref.is_some_and(|wr| from_apex <= 1.25 * wr)
                    }) {
                        tu = c.apex_u;
                        width = from_apex;
                        nrm = (1.0 + slope * slope).sqrt();
                        (du, dr) = (-slope / nrm, -1.0 / nrm);
                    } else if let Some(wr) = wref {
                        if wr > width * 1.05 {
                            let shift = 0.5 * (wr - width) * nrm;
                            tu += if c.side_left { -shift } else { shift };
                            width = wr;
                        }
                    }
                }
                // Cut at the tip: how much of the rounded cap is missing. The cap is taken as a
                // half-ellipse CAP_LENGTH_W widths long: where the frame cuts it, the visible
                // width tells how far the tip is. Cut at full width, at least the whole cap is
                // missing, and the tip reaches about as high as the visible neighbours' tips.
                if c.cut {
                    let cap = CAP_LENGTH_W * width;
                    let dir0 = [du * g.eu[0] + dr * g.ed[0], du * g.eu[1] + dr * g.ed[1]];
                    let at = g.to_image(tu, tr);
                    let cut_w =
                        edge_cut_width(mask, at, dir0, width).unwrap_or(c.cut_width / k as f32);
                    let x = (cut_w / width).min(1.0);
                    let missing = if x < 0.95 {
                        cap * (1.0 - (1.0 - x * x).max(0.0).sqrt())
                    } else {
                        let by_neighbours = top_uncut.map_or(0.0, |r| tr - (r - 0.3 * width));
                        cap.max(by_neighbours)
                    };
                    tu += du * missing;
                    tr += dr * missing;
                }
                let tip_low = g.to_image(tu, tr);
                let dir = [du * g.eu[0] + dr * g.ed[0], du * g.eu[1] + dr * g.ed[1]];
                let pad_len = PAD_LENGTH_W * width * pad_scale;
                let inside = pad_inside_fraction(tip_low, dir, width, pad_len, fw, fh);
                let bbox = pad_box(tip_low, dir, width, pad_len, f, fw * f, fh * f);
                out.fingers.push(Finger {
                    tip: [tip_low[0] * f, tip_low[1] * f],
                    direction: dir,
                    width_px: width * f,
                    length_px: c.length * f,
                    print_box: bbox,
                    inside_fraction: inside,
                    counted: inside >= config.framing.min_inside_to_count,
                    name: if c.thumb {
                        FingerName::Thumb
                    } else {
                        FingerName::Unknown
                    },
                    tip_cut: c.cut,
                });
            }
        }
        self.finger_mask(mask, out);
        self.hand_side(config, out);
    }

    /// Marks mask pixels that belong to finger chains.
    fn finger_mask(&mut self, mask: &HandMask, out: &mut HandGeometry) {
        let g = self.grid;
        self.rot_chain.clear();
        // Four bytes of padding: the AVX2 marker reads 4 bytes at each grid index.
        self.rot_chain.resize(g.w * g.h + 4, 0);
        // Grid extent of the marked pieces: only image pixels near it can map onto one.
        let (mut ua, mut ub, mut ra, mut rb) = (usize::MAX, 0usize, usize::MAX, 0usize);
        for c in self.cands.iter().filter(|c| c.keep) {
            let Some(ch) = self.chains.get(c.chain as usize) else {
                continue;
            };
            let ids = &self.chain_runs[ch.first as usize..(ch.first + ch.nruns) as usize];
            for &k in ids.iter().take(c.rows as usize) {
                let p = self.pieces[k as usize];
                let row = p.row as usize * g.w;
                let (a, b) = (p.a as usize, (p.b as usize).min(g.w));
                if a < b {
                    self.rot_chain[row + a..row + b].fill(1);
                    (ua, ub) = (ua.min(a), ub.max(b));
                    (ra, rb) = (ra.min(p.row as usize), rb.max(p.row as usize + 1));
                }
            }
        }
        if ua >= ub {
            return;
        }
        // The image bounding box of that grid rectangle, two pixels wider on every side (far
        // more than the rounding of the grid transform): pixels outside it map outside every
        // marked piece, so skipping them changes nothing.
        let (w, h) = (mask.width as usize, mask.height as usize);
        let (mut bx0, mut by0, mut bx1, mut by1) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
        for (u, r) in [(ua, ra), (ub, ra), (ua, rb), (ub, rb)] {
            let p = g.to_image(u as f32, r as f32);
            (bx0, bx1) = (bx0.min(p[0]), bx1.max(p[0]));
            (by0, by1) = (by0.min(p[1]), by1.max(p[1]));
        }
        let clip = |v: f32, n: usize| (v.max(0.0) as usize).min(n);
        let (x0, x1) = (clip(bx0 - 2.0, w), clip(bx1 + 3.0, w));
        let (y0, y1) = (clip(by0 - 2.0, h), clip(by1 + 3.0, h));
        let n = w * h;
        if mask.mask.len() < n || out.finger_mask.len() < n {
            return;
        }
        let (m, fm) = (&mask.mask[..n], &mut out.finger_mask[..n]);
        #[cfg(target_arch = "x86_64")]
        if crate::kernels::Kernel::best() == crate::kernels::Kernel::Avx2 {
            // SAFETY: the CPU supports AVX2 (detected at run time just above).
            unsafe { mark_fingers_avx2(m, w, (x0, x1), (y0, y1), g, &self.rot_chain, fm) };
            return;
        }
        mark_fingers(m, w, (x0, x1), (y0, y1), g, &self.rot_chain, fm);
    }

    /// Left or right from the fingertip profile (little finger lowest) or a visible thumb.
    fn hand_side(&self, config: &Config, out: &mut HandGeometry) {
        let counted: usize = out
            .fingers
            .iter()
            .filter(|f| f.counted && f.name != FingerName::Thumb)
            .count();
        if counted < 3 {
            return;
        }
        let g = self.grid;
        // Tip heights along the hand axis (larger = further toward the tips), in widths.
        let up = [-g.ed[0], -g.ed[1]];
        let across = g.eu;
        let (mut first, mut last) = (None::<&Finger>, None::<&Finger>);
        let (mut hmax, mut hmax_inner) = (f32::MIN, f32::MIN);
        let mut sum_w = 0.0;
        let mut n = 0.0;
        let mut thumb_u = None;
        let proj = |f: &Finger, e: [f32; 2]| f.tip[0] * e[0] + f.tip[1] * e[1];
        for fi in out.fingers.iter() {
            if fi.name == FingerName::Thumb {
                // Only a counted thumb: one with less than half its pad in the frame is as
                // often a fragment at the frame's edge, and it flipped sides the finger-length
                // profile had clear (a still hand read left and right on alternate frames).
                if fi.counted {
                    thumb_u = Some(proj(fi, across));
                }
                continue;
            }
            if !fi.counted {
                continue;
            }
            if first.is_none_or(|a| proj(fi, across) < proj(a, across)) {
                first = Some(fi);
            }
            if last.is_none_or(|a| proj(fi, across) > proj(a, across)) {
                last = Some(fi);
            }
            sum_w += fi.width_px;
            n += 1.0;
        }
        let (Some(first), Some(last)) = (first, last) else {
            return;
        };
        let wmean = sum_w / n;
        for fi in out
            .fingers
            .iter()
            .filter(|f| f.counted && f.name != FingerName::Thumb)
        {
            let hgt = proj(fi, up);
            hmax = hmax.max(hgt);
            if !std::ptr::eq(fi, first) && !std::ptr::eq(fi, last) {
                hmax_inner = hmax_inner.max(hgt);
            }
        }
        // Positive: the left end (in the rotated frame) is higher, so the little finger is on
        // the right: a left palm seen unmirrored.
        let d = (proj(first, up) - proj(last, up)) / wmean.max(1e-3);
        let mut conf = (d.abs() / 0.6).clamp(0.0, 1.0);
        if hmax_inner < hmax - 0.1 * wmean {
            // The highest tip is an end finger: the middle finger should be highest.
            conf *= 0.5;
        }
        let mut left = d > 0.0;
        if let Some(tu) = thumb_u {
            // A visible thumb settles it: on the left of the fingers for a left palm.
            left = tu < proj(first, across);
            conf = conf.max(0.9);
        }
        // Four fingers whose tips do not stand in a hand's finger-length profile (middle
        // highest, little lowest) are not all what they seem: a crease or a background edge
        // taken for a tip, a strip of background for a finger. The end fingers' heights the
        // side rests on are then a guess, and the side is reported without the confidence a
        // `wrong_hand` call needs. (Four fingers counted on four generated frames in five:
        // with every box on a true fingertip the cost is under 1.5 widths on 660 of 668, with a
        // box off every true fingertip over it on 65 of 103. Training and held-out sets, eight
        // with gray ones: 31 wrong_hand calls dropped, all of them wrong; held-out 1920x1080
        // wrong_hand F1 0.71 -> 0.86 (seeds from 1,000,000) and 0.76 -> 0.88 (2,000,000);
        // 350 scenes from 3,000,000 checked after: 7 wrong calls dropped, 2 right ones lost.)
        if out
            .profile_cost()
            .is_some_and(|c| c > MAX_PLAUSIBLE_PROFILE_COST)
        {
            conf = conf.min(IMPLAUSIBLE_PROFILE_CONFIDENCE);
        }
        if config.mirrored {
            left = !left;
        }
        if conf < 0.3 {
            return;
        }
        out.hand = if left { Hand::Left } else { Hand::Right };
        out.hand_confidence = conf;
        // Names from the thumb side when all four fingers are there.
        if counted == 4 {
            let names = [
                FingerName::Index,
                FingerName::Middle,
                FingerName::Ring,
                FingerName::Little,
            ];
            let thumb_on_left = left != config.mirrored;
            let mut k = 0;
            let len = out.fingers.len();
            for idx in 0..len {
                let i = if thumb_on_left { idx } else { len - 1 - idx };
                let fi = &mut out.fingers[i];
                if fi.counted && fi.name != FingerName::Thumb && k < 4 {
                    fi.name = names[k];
                    k += 1;
                }
            }
        }
    }
}

/// Width, across the finger, of where the frame edge cuts it: the run of mask pixels along the
/// edge that the finger's axis (through `at`, toward the tip along `dir`) leaves the frame by,
/// projected across the finger. Low-resolution units; None when the axis does not meet an
/// edge nearby or the mask is empty there.
fn edge_cut_width(mask: &HandMask, at: [f32; 2], dir: [f32; 2], width: f32) -> Option<f32> {
    let (w, h) = (mask.width as f32, mask.height as f32);
    let (mw, mh) = (mask.width as usize, mask.height as usize);
    if mw == 0 || mh == 0 || mask.mask.len() < mw * mh {
        return None;
    }
    // Distance along the axis to each edge it heads for.
    let mut best: Option<(f32, bool, f32)> = None; // (t, horizontal edge?, edge coordinate)
    let mut consider = |t: f32, horizontal: bool, coord: f32| {
        if t >= -2.0 && t <= width && best.is_none_or(|b| t < b.0) {
            best = Some((t, horizontal, coord));
        }
    };
    if dir[1] < -1e-3 {
        consider(-at[1] / dir[1], true, 0.0);
    }
    if dir[1] > 1e-3 {
        consider((h - at[1]) / dir[1], true, h - 1.0);
    }
    if dir[0] < -1e-3 {
        consider(-at[0] / dir[0], false, 0.0);
    }
    if dir[0] > 1e-3 {
        consider((w - at[0]) / dir[0], false, w - 1.0);
    }
    let (t, horizontal, coord) = best?;
    let hit = [at[0] + t * dir[0], at[1] + t * dir[1]];
    // Walk the edge line both ways from the hit while on the mask, within one width.
    let (along, fixed, len, proj) = if horizontal {
        (hit[0], coord as usize, mw, dir[1].abs())
    } else {
        (hit[1], coord as usize, mh, dir[0].abs())
    };
    let reach = (0.75 * width / proj.max(0.2)).ceil() as isize;
    let centre = along.round() as isize;
    let on = |i: isize| -> bool {
        if i < 0 || i as usize >= len {
            return false;
        }
        let idx = if horizontal {
            fixed.min(mh - 1) * mw + i as usize
        } else {
            i as usize * mw + fixed.min(mw - 1)
        };
        mask.mask.get(idx).is_some_and(|&m| m != 0)
    };
    if !on(centre) {
        return None;
    }
    let (mut a, mut b) = (centre, centre);
    while a > centre - reach && on(a - 1) {
        a -= 1;
    }
    while b < centre + reach && on(b + 1) {
        b += 1;
    }
    Some((b - a + 1) as f32 * proj)
}

/// Share of the pad (a strip of `width` and `len` from the tip along `-dir`, with a rounded
/// cap) inside a frame of `fw` x `fh` (all in the same units).
fn pad_inside_fraction(
    tip: [f32; 2],
    dir: [f32; 2],
    width: f32,
    len: f32,
    fw: f32,
    fh: f32,
) -> f32 {
    const NS: usize = 16;
    const NQ: usize = 9;
    let perp = [-dir[1], dir[0]];
    let rad = 0.5 * width;
    let (mut total, mut inside) = (0u32, 0u32);
    for i in 0..NS {
        let s = (i as f32 + 0.5) / NS as f32 * len;
        for j in 0..NQ {
            let q = ((j as f32 + 0.5) / NQ as f32 - 0.5) * width;
            if s < rad && (rad - s).powi(2) + q * q > rad * rad {
                continue;
            }
            total += 1;
            let x = tip[0] - s * dir[0] + q * perp[0];
            let y = tip[1] - s * dir[1] + q * perp[1];
            if x >= 0.0 && y >= 0.0 && x < fw && y < fh {
                inside += 1;
            }
        }
    }
    if total == 0 {
        0.0
    } else {
        inside as f32 / total as f32
    }
}

/// Full-resolution box around the pad, clamped to the `fw` x `fh` frame.
fn pad_box(tip: [f32; 2], dir: [f32; 2], width: f32, len: f32, f: f32, fw: f32, fh: f32) -> Rect {
    let perp = [-dir[1], dir[0]];
    let rad = 0.5 * width;
    let base = [tip[0] - len * dir[0], tip[1] - len * dir[1]];
    let pts = [
        [tip[0] + rad * perp[0], tip[1] + rad * perp[1]],
        [tip[0] - rad * perp[0], tip[1] - rad * perp[1]],
        [base[0] + rad * perp[0], base[1] + rad * perp[1]],
        [base[0] - rad * perp[0], base[1] - rad * perp[1]],
    ];
    let (mut x0, mut y0, mut x1, mut y1) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
    for p in pts {
        x0 = x0.min(p[0] * f);
        y0 = y0.min(p[1] * f);
        x1 = x1.max(p[0] * f);
        y1 = y1.max(p[1] * f);
    }
    let x0 = x0.floor().clamp(0.0, fw);
    let y0 = y0.floor().clamp(0.0, fh);
    let x1 = x1.ceil().clamp(0.0, fw);
    let y1 = y1.ceil().clamp(0.0, fh);
    Rect {
        x: x0 as u32,
        y: y0 as u32,
        width: (x1 - x0).max(0.0) as u32,
        height: (y1 - y0).max(0.0) as u32,
    }
}

/// The mask (as 0 / 1) and luma interleaved, one `u16` a pixel (mask in the low byte), plus one
/// padding element (a 32-bit gather of the last pixel reads two bytes past it). Only built
/// when the CPU has AVX2 and the indices fit the gather's i32 lanes; None otherwise.
fn pack_mask_luma<'a>(mask: &[u8], luma: &[u8], buf: &'a mut Vec<u16>) -> Option<&'a [u16]> {
    buf.clear();
    #[cfg(target_arch = "x86_64")]
    if crate::kernels::Kernel::best() == crate::kernels::Kernel::Avx2
        && mask.len() == luma.len()
        && mask.len() < i32::MAX as usize
    {
        buf.extend(
            mask.iter()
                .zip(luma)
                .map(|(&m, &l)| (m != 0) as u16 | (l as u16) << 8),
        );
        buf.push(0);
        return Some(buf);
    }
    None
}

/// Samples grid columns `lo..hi` of the row starting at `p0` (step `eu`): the mask as
/// HAND / BG into `dst`, the luma into `dl`. Every column must lie inside the `w`-wide frame
/// (see [`inside_span`]).
#[allow(clippy::too_many_arguments)]
#[inline]
fn sample_span(
    mask: &[u8],
    luma: &[u8],
    w: usize,
    p0: [f32; 2],
    eu: [f32; 2],
    lo: usize,
    hi: usize,
    dst: &mut [u8],
    dl: &mut [u8],
) {
    for cc in lo..hi {
        let px = p0[0] + cc as f32 * eu[0];
        let py = p0[1] + cc as f32 * eu[1];
        // SAFETY: `inside_span` evaluated these same expressions and kept only columns
        // where both are finite, >= 0 and below `w` / `h`, so they fit an i32: one
        // truncation each instead of the saturating conversion's tests (this line was
        // a quarter of the geometry stage). The index is still bounds-checked below.
        let (ix, iy): (i32, i32) = unsafe { (px.to_int_unchecked(), py.to_int_unchecked()) };
        let i = iy as usize * w + ix as usize;
        let (m, l) = (
            mask.get(i).copied().unwrap_or(0),
            luma.get(i).copied().unwrap_or(0),
        );
        dst[cc] = if m != 0 { HAND } else { BG };
        dl[cc] = l;
    }
}

/// [`sample_span`] eight columns at a time: the same f32 products and sums per lane (no fused
/// multiply-add, so the same coordinates bit for bit), truncated, and one gather of the
/// interleaved mask and luma. A group with any index outside `packed` (which `inside_span`
/// rules out) falls back to the bounds-checked scalar code.
///
/// # Safety
/// The CPU must support AVX2.
#[cfg(target_arch = "x86_64")]
#[allow(clippy::too_many_arguments)]
#[target_feature(enable = "avx2")]
unsafe fn sample_span_avx2(
    packed: &[u16],
    w: usize,
    p0: [f32; 2],
    eu: [f32; 2],
    lo: usize,
    hi: usize,
    dst: &mut [u8],
    dl: &mut [u8],
) {
    use std::arch::x86_64::*;
    let hi = hi.min(dst.len()).min(dl.len());
    // Pixels that the gather may read (the last element is padding).
    let n = packed.len().saturating_sub(1);
    let mut cc = lo;
    if n > 0 && n < i32::MAX as usize && w < i32::MAX as usize && hi < i32::MAX as usize {
        let (px0, py0) = (_mm256_set1_ps(p0[0]), _mm256_set1_ps(p0[1]));
        let (eux, euy) = (_mm256_set1_ps(eu[0]), _mm256_set1_ps(eu[1]));
        let wv = _mm256_set1_epi32(w as i32);
        let nv = _mm256_set1_epi32(n as i32);
        let lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
        // Per 128-bit lane: the low bytes (mask) of its four dwords, then their second bytes
        // (luma).
        let pick = _mm256_setr_epi8(
            0, 4, 8, 12, 1, 5, 9, 13, -1, -1, -1, -1, -1, -1, -1, -1, 0, 4, 8, 12, 1, 5, 9, 13, -1,
            -1, -1, -1, -1, -1, -1, -1,
        );
        // Dwords: mask 0-3, mask 4-7, luma 0-3, luma 4-7.
        let order = _mm256_setr_epi32(0, 4, 1, 5, 0, 0, 0, 0);
        while cc + 8 <= hi {
            let c = _mm256_cvtepi32_ps(_mm256_add_epi32(_mm256_set1_epi32(cc as i32), lanes));
            let px = _mm256_add_ps(px0, _mm256_mul_ps(c, eux));
            let py = _mm256_add_ps(py0, _mm256_mul_ps(c, euy));
            let idx = _mm256_add_epi32(
                _mm256_mullo_epi32(_mm256_cvttps_epi32(py), wv),
                _mm256_cvttps_epi32(px),
            );
            let bad = _mm256_or_si256(
                _mm256_cmpgt_epi32(_mm256_setzero_si256(), idx),
                _mm256_cmpgt_epi32(idx, _mm256_sub_epi32(nv, _mm256_set1_epi32(1))),
            );
            if _mm256_movemask_epi8(bad) != 0 {
                break;
            }
            // SAFETY: every index is in 0..n, so each 4-byte read lies within `packed`
            // (n + 1 elements).
            let g = unsafe { _mm256_i32gather_epi32::<2>(packed.as_ptr() as *const i32, idx) };
            let b = _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(g, pick), order);
            let out = _mm256_castsi256_si128(b);
            // SAFETY: cc + 8 <= hi <= dst.len(), dl.len().
            unsafe {
                _mm_storel_epi64(dst.as_mut_ptr().add(cc) as *mut __m128i, out);
                _mm_storel_epi64(
                    dl.as_mut_ptr().add(cc) as *mut __m128i,
                    _mm_unpackhi_epi64(out, out),
                );
            }
            cc += 8;
        }
    }
    // The tail (and any group refused above), scalar and bounds-checked.
    for cc in cc..hi {
        let px = p0[0] + cc as f32 * eu[0];
        let py = p0[1] + cc as f32 * eu[1];
        let (ix, iy) = (px as usize, py as usize);
        let i = iy.saturating_mul(w).saturating_add(ix);
        let v = if px >= 0.0 && py >= 0.0 && ix < w && i < n {
            packed.get(i).copied().unwrap_or(0)
        } else {
            0
        };
        dst[cc] = v as u8;
        dl[cc] = (v >> 8) as u8;
    }
}

/// Sets `out` to 1 at the pixels of columns `xs` and rows `ys` (in a `w`-wide frame) where
/// `mask` is set and whose centre falls into a grid cell of `g` marked in `chain` (row-major
/// grid, at least `g.w * g.h` bytes). Other pixels are left as they are.
#[inline]
fn mark_fingers(
    mask: &[u8],
    w: usize,
    xs: (usize, usize),
    ys: (usize, usize),
    g: Grid,
    chain: &[u8],
    out: &mut [u8],
) {
    for y in ys.0..ys.1 {
        mark_fingers_row(mask, w, xs.0, xs.1, y, g, chain, out);
    }
}

/// One row of [`mark_fingers`], columns `x0..x1`.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn mark_fingers_row(
    mask: &[u8],
    w: usize,
    x0: usize,
    x1: usize,
    y: usize,
    g: Grid,
    chain: &[u8],
    out: &mut [u8],
) {
    for x in x0..x1 {
        let i = y * w + x;
        if mask[i] == 0 {
            continue;
        }
        let (u, r) = g.to_grid([x as f32 + 0.5, y as f32 + 0.5]);
        if u < 0.0 || r < 0.0 {
            continue;
        }
        let (cu, cr) = (u as usize, r as usize);
        if cu < g.w && cr < g.h && chain.get(cr * g.w + cu).is_some_and(|&c| c != 0) {
            out[i] = 1;
        }
    }
}

/// [`mark_fingers`] eight pixels at a time: the same f32 products and sums per lane as
/// `Grid::to_grid` (no fused multiply-add), truncated, and the marked cells read by one
/// masked gather. Groups whose mask bytes are all zero are skipped; a group holding a NaN
/// coordinate (whose scalar conversion differs) goes to the scalar code. `chain` must hold 4
/// bytes past the grid (a 4-byte read at its last cell); the caller pads it.
///
/// # Safety
/// The CPU must support AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn mark_fingers_avx2(
    mask: &[u8],
    w: usize,
    xs: (usize, usize),
    ys: (usize, usize),
    g: Grid,
    chain: &[u8],
    out: &mut [u8],
) {
    use std::arch::x86_64::*;
    let cells = g.w.saturating_mul(g.h);
    if chain.len() < cells.saturating_add(4) || cells >= i32::MAX as usize || xs.1 >= 1 << 24 {
        mark_fingers(mask, w, xs, ys, g, chain, out);
        return;
    }
    let lanes = _mm256_setr_ps(0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0);
    let (o0, eu0, ed0) = (
        _mm256_set1_ps(g.o[0]),
        _mm256_set1_ps(g.eu[0]),
        _mm256_set1_ps(g.ed[0]),
    );
    let (gwv, ghv) = (_mm256_set1_epi32(g.w as i32), _mm256_set1_epi32(g.h as i32));
    let zero = _mm256_setzero_si256();
    let byte = _mm256_set1_epi32(0xff);
    let half = _mm256_set1_ps(0.5);
    for y in ys.0..ys.1 {
        // The row's constant terms, computed as `to_grid` computes them.
        let dy = (y as f32 + 0.5) - g.o[1];
        let (uy, ry) = (_mm256_set1_ps(dy * g.eu[1]), _mm256_set1_ps(dy * g.ed[1]));
        let mut x = xs.0;
        while x + 8 <= xs.1 {
            let i = y * w + x;
            let Some(m8) = mask.get(i..i + 8) else {
                break;
            };
            let mw = u64::from_le_bytes(m8.try_into().unwrap_or([0; 8]));
            if mw == 0 {
                x += 8;
                continue;
            }
            // x + lane + 0.5 is exact in f32 (x < 2^24).
            let px = _mm256_add_ps(_mm256_add_ps(_mm256_set1_ps(x as f32), lanes), half);
            let dx = _mm256_sub_ps(px, o0);
            let u = _mm256_add_ps(_mm256_mul_ps(dx, eu0), uy);
            let r = _mm256_add_ps(_mm256_mul_ps(dx, ed0), ry);
            let nan = _mm256_or_ps(
                _mm256_cmp_ps::<_CMP_UNORD_Q>(u, u),
                _mm256_cmp_ps::<_CMP_UNORD_Q>(r, r),
            );
            if _mm256_movemask_ps(nan) != 0 {
                mark_fingers_row(mask, w, x, xs.1, y, g, chain, out);
                break;
            }
            // Truncation: out-of-range values give i32::MIN, rejected as negative (the scalar
            // code saturates them to a column past the grid, also rejected).
            let (cu, cr) = (_mm256_cvttps_epi32(u), _mm256_cvttps_epi32(r));
            // u >= 0 and r >= 0 as the scalar tests them (-0.0 passes; values in (-1, 0)
            // would truncate to 0).
            let nonneg = _mm256_castps_si256(_mm256_and_ps(
                _mm256_cmp_ps::<_CMP_GE_OQ>(u, _mm256_setzero_ps()),
                _mm256_cmp_ps::<_CMP_GE_OQ>(r, _mm256_setzero_ps()),
            ));
            let ok = _mm256_and_si256(
                _mm256_and_si256(_mm256_cmpgt_epi32(gwv, cu), _mm256_cmpgt_epi32(ghv, cr)),
                _mm256_andnot_si256(
                    _mm256_or_si256(_mm256_cmpgt_epi32(zero, cu), _mm256_cmpgt_epi32(zero, cr)),
                    nonneg,
                ),
            );
            let idx = _mm256_add_epi32(_mm256_mullo_epi32(cr, gwv), cu);
            // SAFETY: lanes in `ok` have 0 <= cu < g.w and 0 <= cr < g.h, so idx < cells and
            // the 4 bytes read lie within `chain` (cells + 4 bytes); other lanes are not read.
            let c = unsafe {
                _mm256_mask_i32gather_epi32::<1>(zero, chain.as_ptr() as *const i32, idx, ok)
            };
            let hit = _mm256_andnot_si256(_mm256_cmpeq_epi32(_mm256_and_si256(c, byte), zero), ok);
            let mut bits = _mm256_movemask_ps(_mm256_castsi256_ps(hit)) as u32;
            while bits != 0 {
                let k = bits.trailing_zeros() as usize;
                bits &= bits - 1;
                if m8[k] != 0 {
                    if let Some(o) = out.get_mut(i + k) {
                        *o = 1;
                    }
                }
            }
            x += 8;
        }
        if x < xs.1 {
            mark_fingers_row(mask, w, x, xs.1, y, g, chain, out);
        }
    }
}

/// First index in `0..n` for which `f` is true, when `f` is monotonic false -> true (`n` when
/// none). Generic rather than a `dyn Fn`, so that each test inlines.
#[inline]
fn first_true(n: usize, f: impl Fn(usize) -> bool) -> usize {
    let (mut a, mut b) = (0usize, n);
    while a < b {
        let m = a + (b - a) / 2;
        if f(m) { b = m } else { a = m + 1 }
    }
    a
}

/// Every byte of a little-endian word holding `HAND` in each byte. Grid samples are BG (0),
/// HAND (1) or OUT (2): only HAND has the low bit set.
const HAND_WORD: u64 = 0x0101_0101_0101_0101 * HAND as u64;

/// First column in `from..hi` of `row` holding HAND (`hi` when none), eight bytes a step.
#[inline]
fn next_hand(row: &[u8], from: usize, hi: usize) -> usize {
    let mut c = from;
    while c + 8 <= hi {
        let word = u64::from_le_bytes(row[c..c + 8].try_into().unwrap_or([0; 8]));
        let bits = word & HAND_WORD;
        if bits != 0 {
            return c + bits.trailing_zeros() as usize / 8;
        }
        c += 8;
    }
    while c < hi && row[c] != HAND {
        c += 1;
    }
    c
}

/// First column in `from..hi` of `row` not holding HAND (`hi` when none), eight bytes a step.
#[inline]
fn next_not_hand(row: &[u8], from: usize, hi: usize) -> usize {
    let mut c = from;
    while c + 8 <= hi {
        let word = u64::from_le_bytes(row[c..c + 8].try_into().unwrap_or([0; 8]));
        let bits = !word & HAND_WORD;
        if bits != 0 {
            return c + bits.trailing_zeros() as usize / 8;
        }
        c += 8;
    }
    while c < hi && row[c] == HAND {
        c += 1;
    }
    c
}

/// The span `lo..hi` of grid columns `cc` in `0..gw` whose sample `p0 + cc * eu` (in f32, as
/// [`FingerFinder::scan`] computes it) falls inside a `w` x `h` frame. Each of the four bounds
/// (x >= 0, x < w, y >= 0, y < h) holds on a prefix or a suffix of the row, since a rounded
/// `p0 + cc * e` never decreases (or never increases) with `cc`; a binary search finds each.
fn inside_span(p0: [f32; 2], eu: [f32; 2], gw: usize, w: usize, h: usize) -> (usize, usize) {
    let (mut lo, mut hi) = (0usize, gw);
    for (k, n) in [(0usize, w), (1usize, h)] {
        let at = |cc: usize| p0[k] + cc as f32 * eu[k];
        let above_zero = |cc: usize| at(cc) >= 0.0;
        let below_n = |cc: usize| (at(cc) as usize) < n;
        // First column in 0..gw for which `f` is true when `f` is monotonic false -> true.
        if eu[k] >= 0.0 {
            lo = lo.max(first_true(gw, above_zero));
            hi = hi.min(first_true(gw, |cc| !below_n(cc)));
        } else {
            hi = hi.min(first_true(gw, |cc| !above_zero(cc)));
            lo = lo.max(first_true(gw, below_n));
        }
    }
    (lo, hi.max(lo))
}

/// Reference for [`inside_span`]: the per-sample test it replaced.
#[cfg(test)]
fn inside_span_scalar(p0: [f32; 2], eu: [f32; 2], gw: usize, w: usize, h: usize) -> Vec<usize> {
    (0..gw)
        .filter(|&cc| {
            let px = p0[0] + cc as f32 * eu[0];
            let py = p0[1] + cc as f32 * eu[1];
            px >= 0.0 && py >= 0.0 && (px as usize) < w && (py as usize) < h
        })
        .collect()
}

/// Adds each boundary pixel's Sobel magnitude (on the 3x3 box sums of the mask) into the
/// 5-degree bin of its gradient direction (modulo 180), in raster order. Only the mask's
/// nonzero bounding box `bbox` (None: all zero) and the pixels next to it can be boundary
/// pixels, and the box sums are computed once per pixel into `boxes` rather than eight times
/// per boundary pixel: the same integers, added in the same order as
/// [`edge_histogram_scalar`]. `w`, `h` >= 5 and `hist` has 36 bins.
fn edge_histogram(
    mask: &[u8],
    w: usize,
    h: usize,
    bbox: Option<(usize, usize, usize, usize)>,
    hist: &mut [f32],
    boxes: &mut Vec<u16>,
) {
    let Some((x0, y0, x1, y1)) = bbox else {
        return;
    };
    // Pixels tested: those of 2..w-2 x 2..h-2 within one pixel of the box (any other has
    // itself and its four neighbours zero).
    let (xa, xb) = (x0.saturating_sub(1).max(2), (x1 + 1).min(w - 2));
    let (ya, yb) = (y0.saturating_sub(1).max(2), (y1 + 1).min(h - 2));
    if xa >= xb || ya >= yb {
        return;
    }
    // Box sums at rows ya-1..yb+1 and columns xa-1..xb+1 (the Sobel's reach), stored
    // full-width: boxes[y * w + x], 9 * 255 at most. Each row's column sums (three rows of
    // one column) first, into the scratch row after the box rows, then three of them across:
    // the same integers, in loops over slices that vectorise.
    boxes.clear();
    boxes.resize(w * (yb + 2), 0);
    let (ca, cb) = (xa - 1, xb + 1);
    let (rows, colsum) = boxes.split_at_mut(w * (yb + 1));
    // Column sums over ca-1..cb+1 (xa >= 2, xb <= w-2: inside the row).
    let (sa, sb) = (ca - 1, cb + 1);
    let colsum = &mut colsum[sa..sb];
    for y in ya - 1..yb + 1 {
        let (up, mid, down) = (
            &mask[(y - 1) * w + sa..(y - 1) * w + sb],
            &mask[y * w + sa..y * w + sb],
            &mask[(y + 1) * w + sa..(y + 1) * w + sb],
        );
        for (((c, &u), &m), &d) in colsum.iter_mut().zip(up).zip(mid).zip(down) {
            *c = u as u16 + m as u16 + d as u16;
        }
        let out = &mut rows[y * w + ca..y * w + cb];
        let (l, c, r) = (&colsum[..], &colsum[1..], &colsum[2..]);
        for (((o, &l), &c), &r) in out.iter_mut().zip(l).zip(c).zip(r) {
            *o = l + c + r;
        }
    }
    let boxes = &*rows;
    let s = |x: usize, y: usize| -> i32 { boxes[y * w + x] as i32 };
    // Boundary pixels found 32 at a time (a branch-free compare over the chunk), then visited
    // in raster order, as the pixel-by-pixel test visits them.
    const CHUNK: usize = 32;
    for y in ya..yb {
        let (up, mid, down) = (
            &mask[(y - 1) * w..y * w],
            &mask[y * w..(y + 1) * w],
            &mask[(y + 1) * w..(y + 2) * w],
        );
        let mut x = xa;
        while x < xb {
            let end = (x + CHUNK).min(xb);
            let k = end - x;
            let mut flags = [0u8; CHUNK];
            let (c, l, r) = (&mid[x..end], &mid[x - 1..end - 1], &mid[x + 1..end + 1]);
            let (u, d) = (&up[x..end], &down[x..end]);
            for i in 0..k.min(CHUNK) {
                flags[i] =
                    ((c[i] != l[i]) | (c[i] != r[i]) | (c[i] != u[i]) | (c[i] != d[i])) as u8;
            }
            let words = [
                u64::from_le_bytes(flags[0..8].try_into().unwrap_or([0; 8])),
                u64::from_le_bytes(flags[8..16].try_into().unwrap_or([0; 8])),
                u64::from_le_bytes(flags[16..24].try_into().unwrap_or([0; 8])),
                u64::from_le_bytes(flags[24..32].try_into().unwrap_or([0; 8])),
            ];
            for (wi, &word) in words.iter().enumerate() {
                let mut bits = word;
                while bits != 0 {
                    let i = wi * 8 + bits.trailing_zeros() as usize / 8;
                    bits &= bits - 1;
                    edge_vote(hist, s, x + i, y);
                }
            }
            x = end;
        }
    }
}

/// Whether the mask pixel (`x`, `y`) differs from one of its four neighbours: only such
/// pixels vote, the interior and the background have no edge. The definition, used by the
/// reference; [`edge_histogram`] makes the same four comparisons 32 pixels at a time.
#[cfg(test)]
fn on_boundary(mask: &[u8], w: usize, x: usize, y: usize) -> bool {
    let c = mask[y * w + x];
    c != mask[y * w + x - 1]
        || c != mask[y * w + x + 1]
        || c != mask[(y - 1) * w + x]
        || c != mask[(y + 1) * w + x]
}

/// One boundary pixel's vote: Sobel on the box sums `s`, magnitude into the direction's bin.
#[inline(always)]
fn edge_vote(hist: &mut [f32], s: impl Fn(usize, usize) -> i32, x: usize, y: usize) {
    let gx = (s(x + 1, y - 1) + 2 * s(x + 1, y) + s(x + 1, y + 1))
        - (s(x - 1, y - 1) + 2 * s(x - 1, y) + s(x - 1, y + 1));
    let gy = (s(x - 1, y + 1) + 2 * s(x, y + 1) + s(x + 1, y + 1))
        - (s(x - 1, y - 1) + 2 * s(x, y - 1) + s(x + 1, y - 1));
    let mag = ((gx * gx + gy * gy) as f32).sqrt();
    if mag < 1.0 {
        return;
    }
    // Gradient direction modulo 180 degrees; a finger at angle a has its edge
    // gradients at a (horizontal for an upright finger).
    let mut theta = (gy as f32).atan2(gx as f32).to_degrees();
    if theta < -90.0 {
        theta += 180.0;
    } else if theta >= 90.0 {
        theta -= 180.0;
    }
    let bin = (((theta + 90.0) / 5.0) as usize).min(hist.len() - 1);
    hist[bin] += mag;
}

/// Reference for [`edge_histogram`]: every pixel tested, box sums recomputed per use.
#[cfg(test)]
fn edge_histogram_scalar(mask: &[u8], w: usize, h: usize, hist: &mut [f32]) {
    // 3x3 box sums of the mask (0-9) at the pixel and its neighbours, via a Sobel on sums.
    let s = |x: usize, y: usize| -> i32 {
        let mut t = 0;
        for yy in y - 1..=y + 1 {
            let row = &mask[yy * w..(yy + 1) * w];
            t += row[x - 1] as i32 + row[x] as i32 + row[x + 1] as i32;
        }
        t
    };
    for y in 2..h - 2 {
        for x in 2..w - 2 {
            if on_boundary(mask, w, x, y) {
                edge_vote(hist, s, x, y);
            }
        }
    }
}

/// The finger axis, radians clockwise from up: the dominant orientation of the mask's
/// boundary within 50 degrees of vertical. Fingers are long parallel edges, so they make the
/// strongest peak of a histogram of edge orientations (weighted by strength, on the 3x3
/// smoothed mask); a mean over all edges would be pulled by the palm and background shapes.
fn mask_axis(
    mask: &[u8],
    w: usize,
    h: usize,
    bbox: Option<(usize, usize, usize, usize)>,
    hist: &mut Vec<f32>,
    boxes: &mut Vec<u16>,
) -> f32 {
    const BINS: usize = 36;
    hist.clear();
    hist.resize(BINS, 0.0);
    if w < 5 || h < 5 {
        return 0.0;
    }
    edge_histogram(mask, w, h, bbox, hist, boxes);
    // Smooth circularly and take the strongest bin within 50 degrees of vertical fingers,
    // refined by a parabola through its neighbours.
    let mut best = (f32::MIN, 0usize);
    let get = |i: isize| hist[i.rem_euclid(BINS as isize) as usize];
    for i in 0..BINS {
        let centre = i as f32 * 5.0 + 2.5 - 90.0;
        if centre.abs() > 50.0 {
            continue;
        }
        let v = get(i as isize - 1) + 2.0 * get(i as isize) + get(i as isize + 1);
        if v > best.0 {
            best = (v, i);
        }
    }
    let i = best.1 as isize;
    let (l, c, r) = (get(i - 1), get(i), get(i + 1));
    let denom = l - 2.0 * c + r;
    let off = if denom.abs() > 1e-6 {
        (0.5 * (l - r) / denom).clamp(-0.5, 0.5)
    } else {
        0.0
    };
    let deg = (i as f32 + 0.5 + off) * 5.0 - 90.0;
    deg.to_radians()
}

/// Bin of each of `n` columns of a strip row in the 48-bin profile of
/// [`FingerFinder::split_fused`]: `min(((j + 0.5) / n * 48) as usize, 47)` in f32, into
/// `out[..n]`.
fn bins_for_row(n: usize, out: &mut Vec<u8>) {
    out.clear();
    out.resize(n, 0);
    let nf = n as f32;
    for (j, o) in out.iter_mut().enumerate() {
        let t = ((j as i32) as f32 + 0.5) / nf;
        *o = ((t * NB as f32) as i32).min(NB as i32 - 1) as u8;
    }
}

/// Interior valleys of a luma profile across a strip (positions 0-1): local minima clearly
/// darker than the brightest points within a tenth of the strip on both sides.
fn profile_valleys(prof: &[f32; NB], out: &mut [f32; 4]) -> usize {
    let mut sm = [0f32; NB];
    for i in 0..NB {
        let a = prof[i.saturating_sub(1)];
        let b = prof[(i + 1).min(NB - 1)];
        sm[i] = 0.25 * a + 0.5 * prof[i] + 0.25 * b;
    }
    let mean = sm.iter().sum::<f32>() / NB as f32;
    let reach = NB / 10;
    let mut n = 0;
    let mut i = NB / 8;
    while i < NB - NB / 8 {
        let v = sm[i];
        let l = sm[i.saturating_sub(reach)..i]
            .iter()
            .copied()
            .fold(0.0, f32::max);
        let r = sm[i + 1..(i + 1 + reach).min(NB)]
            .iter()
            .copied()
            .fold(0.0, f32::max);
        let local_min = sm[i - 1] >= v && sm[i + 1] > v;
        if local_min && l.min(r) - v >= (0.08 * mean).max(5.0) && n < out.len() {
            out[n] = (i as f32 + 0.5) / NB as f32;
            n += 1;
            i += reach;
            continue;
        }
        i += 1;
    }
    n
}

/// Weighted median of (value, weight) pairs (0 when empty), sorting in `buf`.
fn weighted_median(items: impl Iterator<Item = (f32, f32)>, buf: &mut Vec<(f32, f32)>) -> f32 {
    buf.clear();
    buf.extend(items);
    buf.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total: f32 = buf.iter().map(|p| p.1).sum();
    let mut acc = 0.0;
    for &(v, wt) in buf.iter() {
        acc += wt;
        if acc >= 0.5 * total {
            return v;
        }
    }
    buf.last().map_or(0.0, |p| p.0)
}

/// Median of `v` (0 when empty), sorting a copy in `buf`.
fn median_of(v: &[f32], buf: &mut Vec<f32>) -> f32 {
    buf.clear();
    buf.extend_from_slice(v);
    if buf.is_empty() {
        return 0.0;
    }
    buf.sort_by(|a, b| a.total_cmp(b));
    buf[buf.len() / 2]
}

/// The darkest point of the luma row within `rad` of `x` (bounded by [lo, hi]) when it is a
/// clear valley, else `x` itself: where two touching fingers meet.
fn snap_valley(lum: &[u8], x: f32, rad: f32, lo: f32, hi: f32) -> (f32, bool) {
    let x = x.clamp(lo, hi.max(lo));
    let a = (x - rad).max(lo).max(1.0) as usize;
    let b = ((x + rad).min(hi) as usize).min(lum.len().saturating_sub(2));
    if b <= a {
        return (x.round(), false);
    }
    let (mut best, mut at, mut top) = (f32::MAX, x.round() as usize, 0.0f32);
    for i in a..=b {
        let v = 0.25 * (lum[i - 1] as f32 + 2.0 * lum[i] as f32 + lum[i + 1] as f32);
        if v < best {
            best = v;
            at = i;
        }
        top = top.max(v);
    }
    // A valley: clearly darker than the brightest point around it, and not at the window's
    // edge (a slope is not a valley).
    if top - best >= 2.5 && at > a && at < b {
        (at as f32, true)
    } else {
        (x.round(), false)
    }
}

/// Scratch for [`fill_glare_holes`].
#[derive(Debug, Default)]
struct HoleScratch {
    runs: LabelScratch,
    /// Per background component (index = label): bounding box, edge contact, luma sum and size.
    comps: Vec<HoleStats>,
}

/// What decides whether a background component is a glare hole.
#[derive(Clone, Copy, Debug)]
struct HoleStats {
    x0: usize,
    y0: usize,
    x1: usize,
    y1: usize,
    edge: bool,
    lsum: u64,
    count: u64,
}

/// Copies `mask` into `out` (1 hand, 0 background) with its glare holes filled: background
/// components that touch no frame edge, span at most `HOLE_SPAN` of the frame's long side and
/// are bright (mean luma at least `GLARE_LUMA`). The gaps between touching fingers, closed off
/// where they touch, are holes too, but shadowed or background-coloured, not glare-white.
/// The background components come from the run labelling (4-connected, as a flood fill would
/// find them): a few operations per run, not a queue entry and a division per pixel.
fn fill_glare_holes(
    mask: &[u8],
    luma: &[u8],
    w: usize,
    h: usize,
    out: &mut Vec<u8>,
    s: &mut HoleScratch,
) {
    let n = w * h;
    out.clear();
    out.extend(mask.iter().take(n).map(|&m| (m != 0) as u8));
    if out.len() < n || luma.len() < n || n == 0 {
        return;
    }
    let span = (HOLE_SPAN * w.max(h) as f32).max(2.0) as usize;
    let count = label_runs(out, 0, w, h, false, &mut s.runs) as usize;
    s.comps.clear();
    s.comps.resize(
        count + 1,
        HoleStats {
            x0: w,
            y0: h,
            x1: 0,
            y1: 0,
            edge: false,
            lsum: 0,
            count: 0,
        },
    );
    for (a, b, lab) in s.runs.labelled_runs(w) {
        let (y, xa, xb) = (a / w, a % w, (b - 1) % w);
        let Some(c) = s.comps.get_mut(lab as usize) else {
            continue;
        };
        c.x0 = c.x0.min(xa);
        c.x1 = c.x1.max(xb);
        c.y0 = c.y0.min(y);
        c.y1 = c.y1.max(y);
        c.edge |= xa == 0 || y == 0 || xb + 1 == w || y + 1 == h;
        c.lsum += luma[a..b].iter().map(|&v| v as u32).sum::<u32>() as u64;
        c.count += (b - a) as u64;
    }
    for c in s.comps.iter_mut() {
        let bright = c.count > 0 && c.lsum >= GLARE_LUMA as u64 * c.count;
        // Reuse `edge` as "stays background" (label 0, the hand, has no runs: it stays).
        c.edge = c.edge
            || !bright
            || c.x1.saturating_sub(c.x0) >= span
            || c.y1.saturating_sub(c.y0) >= span;
    }
    for (a, b, lab) in s.runs.labelled_runs(w) {
        if s.comps.get(lab as usize).is_some_and(|c| !c.edge) {
            out[a..b].fill(1);
        }
    }
}

/// Reference for [`fill_glare_holes`]: the flood fill it replaced (one queue entry, a `%` and a
/// `/` per background pixel).
#[cfg(test)]
fn fill_glare_holes_flood(
    mask: &[u8],
    luma: &[u8],
    w: usize,
    h: usize,
    out: &mut Vec<u8>,
    queue: &mut Vec<u32>,
) {
    const VISITED: u8 = 3;
    let n = w * h;
    out.clear();
    out.extend(mask.iter().take(n).map(|&m| (m != 0) as u8));
    if out.len() < n || luma.len() < n {
        return;
    }
    let span = (HOLE_SPAN * w.max(h) as f32).max(2.0) as usize;
    for seed in 0..n {
        if out[seed] != 0 {
            continue;
        }
        queue.clear();
        queue.push(seed as u32);
        out[seed] = VISITED;
        let (mut x0, mut y0, mut x1, mut y1) = (w, h, 0usize, 0usize);
        let mut edge = false;
        let mut lsum = 0u64;
        let mut head = 0;
        while let Some(&iv) = queue.get(head) {
            let i = iv as usize;
            head += 1;
            let (x, y) = (i % w, i / w);
            x0 = x0.min(x);
            x1 = x1.max(x);
            y0 = y0.min(y);
            y1 = y1.max(y);
            lsum += luma[i] as u64;
            edge |= x == 0 || y == 0 || x + 1 == w || y + 1 == h;
            let mut visit = |j: usize| {
                if out[j] == 0 {
                    out[j] = VISITED;
                    queue.push(j as u32);
                }
            };
            if x > 0 {
                visit(i - 1);
            }
            if x + 1 < w {
                visit(i + 1);
            }
            if y > 0 {
                visit(i - w);
            }
            if y + 1 < h {
                visit(i + w);
            }
        }
        let bright = lsum >= GLARE_LUMA as u64 * queue.len() as u64;
        if !edge && bright && x1 - x0 < span && y1 - y0 < span {
            for &i in queue.iter() {
                out[i as usize] = 1;
            }
        }
    }
    for v in out.iter_mut() {
        if *v == VISITED {
            *v = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Four fingertips laid out in a left palm's profile score near 0 turned by any angle up to
    /// 30 degrees, and a right palm's mirror image does too; one tip read two widths low (a
    /// crease taken for it) or a middle finger read lowest costs over the 1.5 widths from which
    /// the side is doubted (a single misplaced tip costs its own displacement).
    #[test]
    fn profile_cost_tells_a_hand_from_misplaced_tips() {
        let hand = |heights: [f32; 4], angle_deg: f32| {
            let width = 60.0;
            let (s, c) = angle_deg.to_radians().sin_cos();
            let (across, up) = ([c, s], [s, -c]);
            let fingers = heights
                .iter()
                .enumerate()
                .map(|(i, &h)| {
                    let (a, u) = (1.1 * width * i as f32, h * width);
                    Finger {
                        tip: [
                            500.0 + a * across[0] + u * up[0],
                            400.0 + a * across[1] + u * up[1],
                        ],
                        width_px: width,
                        counted: true,
                        ..Finger::default()
                    }
                })
                .collect();
            HandGeometry {
                fingers,
                angle_deg,
                ..HandGeometry::default()
            }
            .profile_cost()
            .expect("four fingers")
        };
        let left = LEFT_PALM_PROFILE;
        let right = [left[3], left[2], left[1], left[0]];
        for angle in [-30.0, -10.0, 0.0, 15.0, 30.0] {
            // (Rounding only: the layout is the profile itself.)
            assert!(hand(left, angle) < 1e-3, "left at {angle}");
            assert!(hand(right, angle) < 1e-3, "right at {angle}");
            let mut creased = left;
            creased[0] -= 2.0;
            assert!(
                hand(creased, angle) > MAX_PLAUSIBLE_PROFILE_COST,
                "crease at {angle}"
            );
            let mut sunk = left;
            sunk[1] -= 2.0;
            assert!(
                hand(sunk, angle) > MAX_PLAUSIBLE_PROFILE_COST,
                "middle at {angle}"
            );
        }
        // A thumb among the four, or three fingers: no profile.
        let mut g = HandGeometry {
            fingers: vec![
                Finger {
                    counted: true,
                    width_px: 50.0,
                    ..Finger::default()
                };
                3
            ],
            ..HandGeometry::default()
        };
        assert_eq!(g.profile_cost(), None);
        g.fingers.push(Finger {
            counted: true,
            width_px: 50.0,
            name: FingerName::Thumb,
            ..Finger::default()
        });
        assert_eq!(g.profile_cost(), None);
    }

    /// A drawn hand, fingers up: (centre x, half width, tip y) per finger, each a strip with a
    /// half-elliptic cap `CAP_LENGTH_W` widths long, joined by a palm below `palm_y`; luma
    /// uniform (no valleys), factor 4 as at 1280x720.
    fn drawn_hand(fingers: &[(f32, f32, f32)], palm_y: usize) -> (LowRes, HandMask) {
        let (w, h) = (320usize, 180usize);
        let mut low = LowRes::default();
        (low.width, low.height, low.factor) = (w as u32, h as u32, 4);
        let mut mask = HandMask {
            width: w as u32,
            height: h as u32,
            factor: 4,
            mask: vec![0; w * h],
            colour: true,
            ..HandMask::default()
        };
        let (x0, x1) = (
            fingers.iter().map(|f| f.0 - f.1).fold(f32::MAX, f32::min),
            fingers.iter().map(|f| f.0 + f.1).fold(f32::MIN, f32::max),
        );
        for y in 0..h {
            for x in 0..w {
                let (px, py) = (x as f32 + 0.5, y as f32 + 0.5);
                let in_finger = fingers.iter().any(|&(cx, hw, tip)| {
                    let cap = 2.0 * CAP_LENGTH_W * hw;
                    let dy = py - tip;
                    let dx = (px - cx) / hw;
                    dy >= 0.0
                        && dx.abs() <= 1.0
                        && (dy >= cap || (1.0 - dy / cap).powi(2) + dx * dx <= 1.0)
                });
                let in_palm = y >= palm_y && px >= x0 && px <= x1;
                mask.mask[y * w + x] = (in_finger || in_palm) as u8;
            }
        }
        low.luma = vec![150; w * h];
        low.cb = vec![110; w * h];
        low.cr = vec![150; w * h];
        low.max = low.luma.clone();
        mask.area = mask.mask.iter().map(|&m| m as u32).sum();
        (low, mask)
    }

    /// A little finger a sixth narrower than the others, its outer side cut by the frame's
    /// right edge, its cap's apex in view: placed by the apex and its own inner edge, not given
    /// the typical width (which put its centre 5 px further out at low resolution, its width a
    /// fifth too high and its print area a fifth too far out of frame).
    #[test]
    fn a_finger_cut_at_the_side_keeps_its_own_width() {
        // Low-resolution units; the little finger spans 290-326 in a 320-wide mask.
        let fingers = [
            (60.0, 22.0, 40.0),
            (112.0, 22.0, 20.0),
            (164.0, 22.0, 30.0),
            (308.0, 18.0, 70.0),
        ];
        let (low, mask) = drawn_hand(&fingers, 150);
        let mut finder = FingerFinder::new();
        let mut geo = HandGeometry::default();
        finder.find(&mask, &low, &Config::default(), &mut geo);
        let little = geo
            .fingers
            .iter()
            .find(|f| f.tip[0] > 4.0 * 250.0)
            .expect("the cut little finger is found");
        let (true_x, true_w) = (4.0 * 308.0, 4.0 * 36.0);
        // Tolerances: a tenth of its width for the tip's position and for the width (mask
        // pixels are 4 full-resolution pixels; the apex row is a few pixels wide).
        assert!(
            (little.tip[0] - true_x).abs() <= 0.1 * true_w,
            "tip x {} vs {true_x}",
            little.tip[0]
        );
        assert!(
            (little.width_px / true_w - 1.0).abs() <= 0.1,
            "width {} vs {true_w}",
            little.width_px
        );
        let truth = pad_inside_fraction(
            [true_x, 4.0 * 70.0],
            [0.0, -1.0],
            true_w,
            PAD_LENGTH_W * true_w,
            1280.0,
            720.0,
        );
        // Tolerance 0.05 of the print area.
        assert!(
            (little.inside_fraction - truth).abs() <= 0.05,
            "inside {} vs {truth}",
            little.inside_fraction
        );
    }

    /// The profile bins of every row width a grid can have (rows of 5 to 4095 columns), equal
    /// to the per-pixel expression `split_fused` used before (tolerance zero).
    #[test]
    fn row_bins_match_per_pixel_expression() {
        let mut bins = vec![9u8; 3];
        for n in 5..4096usize {
            bins_for_row(n, &mut bins);
            assert_eq!(bins.len(), n);
            let (a, b) = (7usize, 7 + n);
            for (u, &got) in (a..b).zip(&bins) {
                let t = ((u - a) as f32 + 0.5) / (b - a) as f32;
                let bin = ((t * NB as f32) as usize).min(NB - 1);
                assert_eq!(got as usize, bin, "n {n} column {}", u - a);
            }
        }
    }

    proptest! {
        // Integer result: tolerance zero, every byte equal to the flood fill's. Masks of a few
        // blobs on small frames (so holes both below and above the span limit occur); luma
        // mostly bright so that some holes are glare.
        #[test]
        fn glare_holes_match_flood_fill(
            (w, h, mask, luma) in (1usize..48, 1usize..40).prop_flat_map(|(w, h)| {
                (
                    Just(w),
                    Just(h),
                    proptest::collection::vec(prop_oneof![3 => Just(1u8), 1 => Just(0u8), 1 => Just(7u8)], w * h),
                    proptest::collection::vec(prop_oneof![3 => 190u8..=255, 1 => any::<u8>()], w * h),
                )
            }),
        ) {
            let (mut a, mut b, mut q) = (vec![5u8; 3], Vec::new(), Vec::new());
            fill_glare_holes(&mask, &luma, w, h, &mut a, &mut HoleScratch::default());
            fill_glare_holes_flood(&mask, &luma, w, h, &mut b, &mut q);
            prop_assert_eq!(a, b);
        }

        // Integer result: tolerance zero, every sampled byte equal to the scalar sampler's.
        // Odd frame sizes, rows through and beside the frame at any angle (spans from
        // `inside_span`, as `scan` uses them), columns before and after the span left as set.
        #[test]
        fn avx2_grid_sampler_matches_scalar(
            (w, h, mask, luma) in (1usize..70, 1usize..50).prop_flat_map(|(w, h)| {
                (
                    Just(w),
                    Just(h),
                    proptest::collection::vec(prop_oneof![Just(0u8), Just(1u8), Just(7u8)], w * h),
                    proptest::collection::vec(any::<u8>(), w * h),
                )
            }),
            p0 in (-40f32..110.0, -40f32..90.0),
            angle in prop_oneof![Just(0f32), Just(std::f32::consts::FRAC_PI_2), -3.2f32..3.2],
            gw in 0usize..150,
        ) {
            if crate::kernels::Kernel::best() != crate::kernels::Kernel::Avx2 {
                return Ok(());
            }
            let (s, c) = angle.sin_cos();
            let eu = [c, s];
            let p0 = [p0.0, p0.1];
            let (lo, hi) = inside_span(p0, eu, gw, w, h);
            let (mut d1, mut l1) = (vec![OUT; gw], vec![3u8; gw]);
            let (mut d2, mut l2) = (d1.clone(), l1.clone());
            sample_span(&mask, &luma, w, p0, eu, lo, hi, &mut d1, &mut l1);
            let mut buf = Vec::new();
            let packed = pack_mask_luma(&mask, &luma, &mut buf).expect("AVX2 packs");
            #[cfg(target_arch = "x86_64")]
            // SAFETY: AVX2 checked above.
            unsafe { sample_span_avx2(packed, w, p0, eu, lo, hi, &mut d2, &mut l2) };
            prop_assert_eq!(d1, d2);
            prop_assert_eq!(l1, l2);
        }

        // Integer result: tolerance zero, the same run ends as a byte-by-byte search, on rows
        // of grid values (BG, HAND, OUT) with long runs and odd bounds.
        #[test]
        fn word_run_search_matches_bytes(
            row in proptest::collection::vec(prop_oneof![1 => Just(BG), 4 => Just(HAND), 1 => Just(OUT)], 0..90),
            from in 0usize..90,
            cut in 0usize..90,
        ) {
            let hi = row.len().saturating_sub(cut % (row.len() + 1));
            let from = from.min(hi);
            let mut c = from;
            while c < hi && row[c] != HAND {
                c += 1;
            }
            prop_assert_eq!(next_hand(&row, from, hi), c);
            let mut c = from;
            while c < hi && row[c] == HAND {
                c += 1;
            }
            prop_assert_eq!(next_not_hand(&row, from, hi), c);
        }

        // Tolerance zero: every bin's bits equal the reference's (the same votes in the same
        // order). Odd sizes; masks empty, sparse, or a rectangle of mixed values (so that the
        // bounding box is smaller than the frame and touches its border at times).
        #[test]
        fn edge_histogram_matches_scalar(
            (w, h, mask) in (5usize..50, 5usize..40).prop_flat_map(|(w, h)| {
                (
                    Just(w),
                    Just(h),
                    (0..w, 0..h, 0..w, 0..h, proptest::collection::vec(prop_oneof![2 => Just(1u8), 1 => Just(0u8), 1 => Just(5u8)], w * h))
                        .prop_map(move |(xa, ya, xb, yb, v)| {
                            let (x0, x1, y0, y1) = (xa.min(xb), xa.max(xb), ya.min(yb), ya.max(yb));
                            let mut m = vec![0u8; w * h];
                            for y in y0..y1 {
                                for x in x0..x1 {
                                    m[y * w + x] = v[y * w + x];
                                }
                            }
                            m
                        }),
                )
            }),
        ) {
            let (mut a, mut b) = (vec![0f32; 36], vec![0f32; 36]);
            let mut boxes = vec![77u16; 3];
            edge_histogram(&mask, w, h, crate::segment::nonzero_bbox(&mask, w, h), &mut a, &mut boxes);
            edge_histogram_scalar(&mask, w, h, &mut b);
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            prop_assert_eq!(bits(&a), bits(&b));
        }

        // Integer result: tolerance zero, every output byte equal to the scalar marker's.
        // Odd frame sizes and column ranges, grids at any angle and offset (cells on both sides
        // of zero, some out of the frame), random marked cells and masks.
        #[test]
        fn avx2_finger_marker_matches_scalar(
            (w, h, mask, before) in (1usize..60, 1usize..40).prop_flat_map(|(w, h)| {
                (
                    Just(w),
                    Just(h),
                    proptest::collection::vec(prop_oneof![2 => Just(1u8), 1 => Just(0u8)], w * h),
                    proptest::collection::vec(0u8..2, w * h),
                )
            }),
            (gw, gh, chain) in (1usize..50, 1usize..50).prop_flat_map(|(gw, gh)| {
                (Just(gw), Just(gh), proptest::collection::vec(0u8..2, gw * gh + 4))
            }),
            o in (-30f32..40.0, -30f32..40.0),
            angle in prop_oneof![Just(0f32), -3.2f32..3.2],
            (xa, xb, ya, yb) in (0usize..60, 0usize..60, 0usize..40, 0usize..40),
        ) {
            if crate::kernels::Kernel::best() != crate::kernels::Kernel::Avx2 {
                return Ok(());
            }
            let (s, c) = angle.sin_cos();
            let g = Grid { o: [o.0, o.1], eu: [c, s], ed: [-s, c], w: gw, h: gh };
            let xs = (xa.min(xb).min(w), xa.max(xb).min(w));
            let ys = (ya.min(yb).min(h), ya.max(yb).min(h));
            let (mut a, mut b) = (before.clone(), before);
            mark_fingers(&mask, w, xs, ys, g, &chain, &mut a);
            #[cfg(target_arch = "x86_64")]
            // SAFETY: AVX2 checked above.
            unsafe { mark_fingers_avx2(&mask, w, xs, ys, g, &chain, &mut b) };
            prop_assert_eq!(a, b);
        }

        // Integer result: tolerance zero, the same columns as the per-sample test. Rows through
        // and beside small frames at any angle, including exact axis directions.
        #[test]
        fn inside_span_matches_per_sample_test(
            p0 in (-60f32..120.0, -60f32..120.0),
            angle in prop_oneof![Just(0f32), Just(std::f32::consts::FRAC_PI_2), -3.2f32..3.2],
            gw in 0usize..200,
            (w, h) in (1usize..80, 1usize..60),
        ) {
            let (s, c) = angle.sin_cos();
            let eu = [c, s];
            let (lo, hi) = inside_span([p0.0, p0.1], eu, gw, w, h);
            let want = inside_span_scalar([p0.0, p0.1], eu, gw, w, h);
            prop_assert_eq!((lo..hi).collect::<Vec<_>>(), want);
        }
    }
}
