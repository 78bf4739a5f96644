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
use crate::segment::HandMask;

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
}

/// The print area's length in finger widths at the default `print_fraction_of_finger` (0.2):
/// the distal pad of an adult finger is about 1.2-1.4 widths long.
const PAD_LENGTH_W: f32 = 1.3;
/// A chain must be at least this many widths long to be a finger (a curled finger's knuckle
/// shows as a short bump), unless it runs out of the frame.
const MIN_FINGER_LENGTH_W: f32 = 1.1;
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
    last_a: u16,
    last_b: u16,
    /// The chain ended by merging into a wider one (its finger joins the palm).
    merged: bool,
    /// Index of this chain's first run in the per-chain run list.
    first: u32,
    nruns: u32,
}

/// A finger candidate in grid coordinates.
#[derive(Clone, Copy, Debug, Default)]
struct Cand {
    chain: u32,
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
    /// How many fingers the chain holds (touching fingers not split by valleys).
    multiplicity: u8,
    thumb: bool,
    keep: bool,
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

/// Finds fingers; owns its scratch buffers.
#[derive(Debug, Default)]
pub struct FingerFinder {
    grid: Grid,
    rot: Vec<u8>,
    rot_luma: Vec<u8>,
    rot_chain: Vec<u32>,
    runs: Vec<Run>,
    row_start: Vec<u32>,
    runs2: Vec<Run>,
    row_start2: Vec<u32>,
    chains: Vec<Chain>,
    chain_runs: Vec<u32>,
    active: Vec<u32>,
    next_active: Vec<u32>,
    overlaps: Vec<(u32, u32, u16)>,
    widths: Vec<f32>,
    cands: Vec<Cand>,
    chain_finger: Vec<u8>,
    order: Vec<usize>,
}

impl FingerFinder {
    /// A finder with empty scratch.
    pub fn new() -> Self {
        FingerFinder::default()
    }

    /// Fills `out` from the mask and the reduced image it was made from.
    pub fn find(&mut self, mask: &HandMask, low: &LowRes, config: &Config, out: &mut HandGeometry) {
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
        let mut angle = mask_axis(&mask.mask[..n], w, h);
        // Two passes: the boundary tensor gives a first axis, the fingers found refine it.
        for pass in 0..3 {
            self.scan(&mask.mask[..n], luma, w, h, angle);
            self.track();
            self.candidates();
            if pass == 2 {
                break;
            }
            match self.mean_finger_angle(angle) {
                Some(a) if (a - angle).abs() > 2.5f32.to_radians() => angle = a,
                _ => break,
            }
        }
        out.angle_deg = angle.to_degrees();
        self.emit(mask, config, out);
    }

    /// Samples the mask (and luma) on the rotated grid for hand axis `angle` (radians clockwise
    /// from up), then cuts every grid row into runs.
    fn scan(&mut self, mask: &[u8], luma: &[u8], w: usize, h: usize, angle: f32) {
        let (s, c) = angle.sin_cos();
        // eu: across the fingers, left to right; ed: down, from the tips toward the palm.
        let eu = [c, s];
        let ed = [-s, c];
        // Bounding box of the mask, with margin so the frame edges are sampled as OUT.
        let (mut x0, mut y0, mut x1, mut y1) = (w, h, 0usize, 0usize);
        for y in 0..h {
            let row = &mask[y * w..(y + 1) * w];
            if let Some(first) = row.iter().position(|&m| m != 0) {
                let last = row.iter().rposition(|&m| m != 0).unwrap_or(first);
                x0 = x0.min(first);
                x1 = x1.max(last + 1);
                y0 = y0.min(y);
                y1 = y1.max(y + 1);
            }
        }
        if x1 <= x0 {
            (x0, y0, x1, y1) = (0, 0, w, h);
        }
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
        self.rot.clear();
        self.rot.resize(gw * gh, OUT);
        self.rot_luma.clear();
        self.rot_luma.resize(gw * gh, 0);
        for r in 0..gh {
            let p0 = self.grid.to_image(0.5, r as f32 + 0.5);
            let dst = &mut self.rot[r * gw..(r + 1) * gw];
            let dl = &mut self.rot_luma[r * gw..(r + 1) * gw];
            for cc in 0..gw {
                let px = p0[0] + cc as f32 * eu[0];
                let py = p0[1] + cc as f32 * eu[1];
                if px >= 0.0 && py >= 0.0 {
                    let (ix, iy) = (px as usize, py as usize);
                    if ix < w && iy < h {
                        let i = iy * w + ix;
                        dst[cc] = if mask[i] != 0 { HAND } else { BG };
                        dl[cc] = luma[i];
                    }
                }
            }
        }
        self.runs.clear();
        self.row_start.clear();
        for r in 0..gh {
            self.row_start.push(self.runs.len() as u32);
            let row = &self.rot[r * gw..(r + 1) * gw];
            let mut cc = 0;
            while cc < gw {
                if row[cc] != HAND {
                    cc += 1;
                    continue;
                }
                let a = cc;
                let mut b = cc + 1;
                // No gap bridging: neighbouring fingers may be a single pixel apart here.
                while b < gw && row[b] == HAND {
                    b += 1;
                }
                cc = b;
                if b - a < 2 {
                    continue;
                }
                self.runs.push(Run {
                    a: a as u16,
                    b: b as u16,
                    row: r as u16,
                    chain: NONE,
                    out_left: a == 0 || row[a - 1] == OUT,
                    out_right: b >= gw || row[b] == OUT,
                });
            }
        }
        self.row_start.push(self.runs.len() as u32);
        self.split_runs_at_valleys();
    }

    /// Splits wide runs at luma valleys: touching fingers leave a thin shadow between them.
    fn split_runs_at_valleys(&mut self) {
        // A typical single-finger width before fingers are known: the lower quartile of the run
        // widths (rows across separate fingers are many). Only runs well above it are examined.
        self.widths.clear();
        self.widths.extend(self.runs.iter().map(|r| r.width()));
        if self.widths.len() < 4 {
            return;
        }
        self.widths.sort_by(|a, b| a.total_cmp(b));
        let q = self.widths[self.widths.len() / 4].max(3.0);
        let half = ((0.45 * q) as usize).max(2);
        let gw = self.grid.w;
        let nrows = self.row_start.len().saturating_sub(1);
        self.runs2.clear();
        self.row_start2.clear();
        for r in 0..nrows {
            self.row_start2.push(self.runs2.len() as u32);
            let (s, e) = (self.row_start[r] as usize, self.row_start[r + 1] as usize);
            let lum = &self.rot_luma[r * gw..(r + 1) * gw];
            for k in s..e {
                let run = self.runs[k];
                if run.width() < 1.7 * q {
                    self.runs2.push(run);
                    continue;
                }
                let (a, b) = (run.a as usize, run.b as usize);
                let mut last = a;
                let mut x = a + half;
                while x + half < b {
                    let v = smooth(lum, x, a, b);
                    let is_min = smooth(lum, x - 1, a, b) >= v && smooth(lum, x + 1, a, b) > v;
                    if is_min {
                        let left = (x - half..x)
                            .map(|i| smooth(lum, i, a, b))
                            .fold(0.0f32, f32::max);
                        let right = (x + 1..=x + half)
                            .map(|i| smooth(lum, i, a, b))
                            .fold(0.0f32, f32::max);
                        let rim = left.min(right);
                        // Deep enough to be a shadow line, and both sides wide enough to be
                        // fingers (shading across one finger makes shallow, wide dips).
                        if rim - v >= (0.12 * rim).max(8.0)
                            && x >= last + (0.7 * q) as usize
                            && b >= x + (0.7 * q) as usize
                        {
                            self.runs2.push(Run {
                                a: last as u16,
                                b: x as u16,
                                out_left: if last == a { run.out_left } else { false },
                                out_right: false,
                                ..run
                            });
                            last = x + 1;
                            x += half;
                            continue;
                        }
                    }
                    x += 1;
                }
                if b >= last + 2 {
                    self.runs2.push(Run {
                        a: last as u16,
                        out_left: if last == a { run.out_left } else { false },
                        ..run
                    });
                }
            }
        }
        self.row_start2.push(self.runs2.len() as u32);
        std::mem::swap(&mut self.runs, &mut self.runs2);
        std::mem::swap(&mut self.row_start, &mut self.row_start2);
    }

    /// Links runs from the tip side down into chains.
    fn track(&mut self) {
        self.chains.clear();
        self.active.clear();
        let nrows = self.row_start.len().saturating_sub(1);
        for r in 0..nrows {
            let (s, e) = (self.row_start[r] as usize, self.row_start[r + 1] as usize);
            self.overlaps.clear();
            for k in s..e {
                let run = self.runs[k];
                for &c in &self.active {
                    let ch = &self.chains[c as usize];
                    let ov = run.b.min(ch.last_b) as i32 - run.a.max(ch.last_a) as i32;
                    if ov > 0 {
                        self.overlaps.push((k as u32, c, ov as u16));
                    }
                }
            }
            self.next_active.clear();
            // Merges first: a run touching two or more chains ends them (they joined the palm).
            for k in s..e {
                let n = self.overlaps.iter().filter(|o| o.0 == k as u32).count();
                if n >= 2 {
                    for o in self.overlaps.iter().filter(|o| o.0 == k as u32) {
                        if let Some(ch) = self.chains.get_mut(o.1 as usize) {
                            ch.merged = true;
                        }
                    }
                    let id = self.new_chain(Start::Joint, r, k);
                    self.next_active.push(id);
                }
            }
            for k in s..e {
                let mine = self.overlaps.iter().filter(|o| o.0 == k as u32).count();
                if mine >= 2 {
                    continue;
                }
                if mine == 0 {
                    let id = self.new_chain(Start::Tip, r, k);
                    self.next_active.push(id);
                    continue;
                }
                let Some(&(_, c, ov)) = self.overlaps.iter().find(|o| o.0 == k as u32) else {
                    continue;
                };
                // A chain forking downward continues along its largest overlap.
                let best = self
                    .overlaps
                    .iter()
                    .filter(|o| o.1 == c)
                    .map(|o| o.2)
                    .max()
                    .unwrap_or(0);
                let merged = self.chains[c as usize].merged;
                let taken = self.next_active.contains(&c);
                if !merged && !taken && ov >= best {
                    let run = &mut self.runs[k];
                    run.chain = c;
                    let (a, b) = (run.a, run.b);
                    let ch = &mut self.chains[c as usize];
                    ch.bottom = r as u16;
                    ch.last_a = a;
                    ch.last_b = b;
                    self.next_active.push(c);
                } else {
                    let id = self.new_chain(Start::Joint, r, k);
                    self.next_active.push(id);
                }
            }
            std::mem::swap(&mut self.active, &mut self.next_active);
        }
        // Group run indices by chain (runs are in row order, so each group is too).
        let nc = self.chains.len();
        for ch in self.chains.iter_mut() {
            ch.nruns = 0;
        }
        for run in &self.runs {
            if let Some(ch) = self.chains.get_mut(run.chain as usize) {
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
        for (k, run) in self.runs.iter().enumerate() {
            if (run.chain as usize) < nc {
                let ch = &mut self.chains[run.chain as usize];
                self.chain_runs[(ch.first + ch.nruns) as usize] = k as u32;
                ch.nruns += 1;
            }
        }
    }

    fn new_chain(&mut self, start: Start, r: usize, k: usize) -> u32 {
        let id = self.chains.len() as u32;
        let run = &mut self.runs[k];
        run.chain = id;
        self.chains.push(Chain {
            start,
            top: r as u16,
            bottom: r as u16,
            last_a: run.a,
            last_b: run.b,
            merged: false,
            first: 0,
            nruns: 0,
        });
        id
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
            self.widths.clear();
            self.widths
                .extend(ids.iter().map(|&k| self.runs[k as usize].width()));
            self.widths.sort_by(|a, b| a.total_cmp(b));
            let w75 = self.widths[self.widths.len() * 3 / 4];
            // Width: median over the rows below the rounded cap.
            let skip = (0.5 * w75) as u16;
            self.widths.clear();
            self.widths.extend(
                ids.iter()
                    .map(|&k| self.runs[k as usize])
                    .filter(|r| r.row >= ch.top + skip)
                    .map(|r| r.width()),
            );
            if self.widths.is_empty() {
                continue;
            }
            self.widths.sort_by(|a, b| a.total_cmp(b));
            let wm = self.widths[self.widths.len() / 2];
            if wm < 2.0 {
                continue;
            }
            // Centre line over the finger's distal part (fingers may bend further down).
            let r_end = ch.top as f32 + 4.0 * wm;
            let (mut sn, mut sr, mut su, mut srr, mut sru) = (0f32, 0f32, 0f32, 0f32, 0f32);
            for &k in ids {
                let run = self.runs[k as usize];
                let r = run.row as f32 + 0.5;
                if run.row < ch.top + skip || r > r_end || run.out_left || run.out_right {
                    continue;
                }
                let u = run.centre();
                sn += 1.0;
                sr += r;
                su += u;
                srr += r * r;
                sru += r * u;
            }
            let top_run = self.runs[ids[0] as usize];
            let (slope, icpt) = if sn >= 3.0 && (sn * srr - sr * sr).abs() > 1e-3 {
                let b = (sn * sru - sr * su) / (sn * srr - sr * sr);
                let b = b.clamp(-1.5, 1.5);
                (b, (su - b * sr) / sn)
            } else if sn > 0.0 {
                (0.0, su / sn)
            } else {
                (0.0, top_run.centre())
            };
            let cosv = 1.0 / (1.0 + slope * slope).sqrt();
            let width = wm * cosv;
            let top = ch.top as f32;
            let tip_u = icpt + slope * top;
            // Cut at the tip: the sample just above the top run is outside the frame.
            let mut cut = ch.top == 0;
            if ch.top > 0 {
                let row = (ch.top as usize - 1) * gw;
                let a = (top_run.a as usize).saturating_sub(1);
                let b = (top_run.b as usize + 1).min(gw);
                cut = self.rot[row + a..row + b].contains(&OUT);
            }
            // Sides cut within the pad rows.
            let pad_rows = ch.top as f32 + PAD_LENGTH_W * width;
            let (mut side_left, mut side_right) = (false, false);
            for &k in ids {
                let run = self.runs[k as usize];
                if (run.row as f32) > pad_rows {
                    break;
                }
                side_left |= run.out_left;
                side_right |= run.out_right;
            }
            let length = (ch.bottom as f32 + 1.0 - top) / cosv;
            // Does the chain leave the frame at its lower end?
            let last = self.runs[ids[ids.len() - 1] as usize];
            let exits = last.out_left || last.out_right || {
                let rb = ch.bottom as usize + 1;
                rb >= self.grid.h || {
                    let row = rb * gw;
                    self.rot[row + last.a as usize..row + last.b as usize].contains(&OUT)
                }
            };
            let long_enough =
                length >= MIN_FINGER_LENGTH_W * width || ((exits || cut) && length >= 0.6 * width);
            self.cands.push(Cand {
                chain: ci as u32,
                tip_u,
                tip_r: top,
                slope,
                width,
                length,
                cut,
                cut_width: top_run.width() * cosv,
                side_left,
                side_right,
                multiplicity: 1,
                thumb: false,
                keep: long_enough,
            });
        }
        // Widths relative to the typical finger: too thin is noise, 2-4x is touching fingers.
        self.widths.clear();
        self.widths
            .extend(self.cands.iter().filter(|c| c.keep).map(|c| c.width));
        if self.widths.is_empty() {
            return;
        }
        self.widths.sort_by(|a, b| a.total_cmp(b));
        let wref = self.widths[self.widths.len() / 2];
        for c in self.cands.iter_mut().filter(|c| c.keep) {
            if c.width < 0.45 * wref {
                c.keep = false;
            } else if c.width > 1.6 * wref {
                let k = (c.width / wref).round().clamp(1.0, 4.0);
                c.multiplicity = k as u8;
            }
        }
        self.mark_thumb();
    }

    /// The thumb, when extended: an end digit, clearly lower than the others and angled away.
    fn mark_thumb(&mut self) {
        let kept = self.cands.iter().filter(|c| c.keep).count();
        if kept < 3 {
            return;
        }
        self.widths.clear();
        self.widths
            .extend(self.cands.iter().filter(|c| c.keep).map(|c| c.tip_r));
        self.widths.sort_by(|a, b| a.total_cmp(b));
        let med_tip = self.widths[self.widths.len() / 2];
        self.widths.clear();
        self.widths
            .extend(self.cands.iter().filter(|c| c.keep).map(|c| c.slope));
        self.widths.sort_by(|a, b| a.total_cmp(b));
        let med_slope = self.widths[self.widths.len() / 2];
        let (mut first, mut last) = (usize::MAX, usize::MAX);
        for (i, c) in self.cands.iter().enumerate().filter(|(_, c)| c.keep) {
            if first == usize::MAX || c.tip_u < self.cands[first].tip_u {
                first = i;
            }
            if last == usize::MAX || c.tip_u > self.cands[last].tip_u {
                last = i;
            }
        }
        for (end, sign) in [(first, -1.0f32), (last, 1.0)] {
            let Some(c) = self.cands.get(end) else {
                continue;
            };
            // Angled away from the hand: its base lies toward the hand centre, so the slope
            // du/dr points inward (sign opposite to the side it is on).
            let lower = c.tip_r - med_tip > 1.2 * c.width;
            let away = -sign * (c.slope - med_slope) > 0.45;
            if lower && away {
                self.cands[end].thumb = true;
                break;
            }
        }
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
        // Highest visible tip among uncut fingers, for extrapolating cut ones.
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
                let nrm = (1.0 + c.slope * c.slope).sqrt();
                let (du, dr) = (-c.slope / nrm, -1.0 / nrm);
                // Cut at the side: the true width is the typical one; the centre lies outward.
                if k == 1 && (c.side_left || c.side_right) {
                    if let Some(wr) = wref {
                        if wr > width * 1.05 {
                            let shift = 0.5 * (wr - width) * nrm;
                            tu += if c.side_left { -shift } else { shift };
                            width = wr;
                        }
                    }
                }
                // Cut at the tip: how much of the rounded cap is missing.
                if c.cut {
                    let rad = 0.5 * width;
                    let visible = (c.cut_width / k as f32).min(width);
                    let missing = if visible < 0.95 * width {
                        rad - (rad * rad - 0.25 * visible * visible).max(0.0).sqrt()
                    } else {
                        rad
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
        self.chain_finger.clear();
        self.chain_finger.resize(self.chains.len(), 0);
        for c in self.cands.iter().filter(|c| c.keep) {
            if let Some(v) = self.chain_finger.get_mut(c.chain as usize) {
                *v = 1;
            }
        }
        self.rot_chain.clear();
        self.rot_chain.resize(g.w * g.h, NONE);
        for run in &self.runs {
            if self.chain_finger.get(run.chain as usize) == Some(&1) {
                let row = run.row as usize * g.w;
                self.rot_chain[row + run.a as usize..row + run.b as usize].fill(run.chain);
            }
        }
        let (w, h) = (mask.width as usize, mask.height as usize);
        for y in 0..h {
            for x in 0..w {
                let i = y * w + x;
                if mask.mask[i] == 0 {
                    continue;
                }
                let (u, r) = g.to_grid([x as f32 + 0.5, y as f32 + 0.5]);
                if u < 0.0 || r < 0.0 {
                    continue;
                }
                let (cu, cr) = (u as usize, r as usize);
                if cu < g.w && cr < g.h && self.rot_chain[cr * g.w + cu] != NONE {
                    out.finger_mask[i] = 1;
                }
            }
        }
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
                thumb_u = Some(proj(fi, across));
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

/// The finger axis from the structure tensor of the mask boundary, radians clockwise from up.
/// The long sides of the fingers (and the forearm, parallel to them) dominate the boundary.
fn mask_axis(mask: &[u8], w: usize, h: usize) -> f32 {
    let (mut jxx, mut jyy, mut jxy) = (0f64, 0f64, 0f64);
    for y in 1..h.saturating_sub(1) {
        let (ra, rb, rc) = (
            &mask[(y - 1) * w..y * w],
            &mask[y * w..(y + 1) * w],
            &mask[(y + 1) * w..(y + 2) * w],
        );
        for x in 1..w - 1 {
            let gx = (ra[x + 1] as i32 + 2 * rb[x + 1] as i32 + rc[x + 1] as i32)
                - (ra[x - 1] as i32 + 2 * rb[x - 1] as i32 + rc[x - 1] as i32);
            let gy = (rc[x - 1] as i32 + 2 * rc[x] as i32 + rc[x + 1] as i32)
                - (ra[x - 1] as i32 + 2 * ra[x] as i32 + ra[x + 1] as i32);
            if gx == 0 && gy == 0 {
                continue;
            }
            jxx += (gx * gx) as f64;
            jyy += (gy * gy) as f64;
            jxy += (gx * gy) as f64;
        }
    }
    if jxx + jyy <= 0.0 {
        return 0.0;
    }
    let phi = 0.5 * (2.0 * jxy).atan2(jxx - jyy);
    phi as f32
}

/// Luma at `x` averaged with its neighbours inside [a, b).
#[inline]
fn smooth(lum: &[u8], x: usize, a: usize, b: usize) -> f32 {
    let l = x.saturating_sub(1).max(a);
    let r = (x + 1).min(b - 1);
    (lum[l] as f32 + 2.0 * lum[x] as f32 + lum[r] as f32) * 0.25
}
