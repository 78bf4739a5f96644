//! Row kernels of the fast box downsample ([`crate::frame::FrameView::downsample_into`]) and of
//! the luma copy of packed colour frames ([`crate::frame::FrameView::copy_luma`]).
//!
//! The downsample is split into a vertical pass, which adds the `f` rows of one output row into
//! per-column `u16` sums (and keeps the per-column maximum), and a horizontal pass, which adds
//! `f` columns of those sums and divides. The vertical pass touches every input byte and is
//! written so the compiler vectorises it (zipped slices of equal length, no bounds checks,
//! several rows per pass over the accumulators); the horizontal pass touches `1/f` as much.
//!
//! `u16` sums hold up to 257 rows of 255: callers use these kernels for factors up to 256.
//! Every function is `#[inline(always)]` so it is compiled into the baseline and AVX2 callers
//! alike.

use super::RoundDiv;

/// Most rows the `u16` column sums can hold (257 x 255 = 65535), kept to a power of two.
pub(crate) const MAX_FACTOR: usize = 256;

/// `sum = r`, `max = r`: the first row of an output row.
#[inline(always)]
pub(crate) fn luma_init(sum: &mut [u16], max: &mut [u8], r: &[u8]) {
    for ((s, m), &v) in sum.iter_mut().zip(max.iter_mut()).zip(r) {
        *s = v as u16;
        *m = v;
    }
}

/// Adds one row into the column sums and maxima.
#[inline(always)]
pub(crate) fn luma_add1(sum: &mut [u16], max: &mut [u8], r: &[u8]) {
    for ((s, m), &v) in sum.iter_mut().zip(max.iter_mut()).zip(r) {
        *s += v as u16;
        *m = (*m).max(v);
    }
}

/// Adds two rows (one read-modify-write of the accumulators for both).
#[inline(always)]
pub(crate) fn luma_add2(sum: &mut [u16], max: &mut [u8], a: &[u8], b: &[u8]) {
    for ((s, m), (&va, &vb)) in sum.iter_mut().zip(max.iter_mut()).zip(a.iter().zip(b)) {
        *s += va as u16 + vb as u16;
        *m = (*m).max(va.max(vb));
    }
}

/// Adds four rows.
#[inline(always)]
pub(crate) fn luma_add4(sum: &mut [u16], max: &mut [u8], rows: [&[u8]; 4]) {
    let [a, b, c, d] = rows;
    let n = sum.len().min(max.len()).min(a.len()).min(b.len());
    let n = n.min(c.len()).min(d.len());
    let (sum, max) = (&mut sum[..n], &mut max[..n]);
    let (a, b, c, d) = (&a[..n], &b[..n], &c[..n], &d[..n]);
    for i in 0..n {
        sum[i] += (a[i] as u16 + b[i] as u16) + (c[i] as u16 + d[i] as u16);
        max[i] = max[i].max(a[i].max(b[i]).max(c[i].max(d[i])));
    }
}

/// `sum` and `max` of exactly `N` rows in one pass: the accumulators are written once instead
/// of read and written once per group of rows (the same integer sums, so the same result).
#[inline(always)]
fn luma_set<const N: usize>(sum: &mut [u16], max: &mut [u8], rows: &[&[u8]; N]) {
    let mut n = sum.len().min(max.len());
    for r in rows {
        n = n.min(r.len());
    }
    let (sum, max) = (&mut sum[..n], &mut max[..n]);
    let rows: [&[u8]; N] = std::array::from_fn(|k| &rows[k][..n]);
    for i in 0..n {
        let (mut s, mut m) = (0u16, 0u8);
        for r in &rows {
            s += r[i] as u16;
            m = m.max(r[i]);
        }
        sum[i] = s;
        max[i] = m;
    }
}

/// Sets the column sums and maxima to those of the rows of one output row (`rows`, in order):
/// in one pass for the common factors 2 to 8 and 10 (4K), else four rows at a time while it can.
#[inline(always)]
pub(crate) fn luma_rows<'a>(
    sum: &mut [u16],
    max: &mut [u8],
    mut rows: impl Iterator<Item = &'a [u8]>,
) {
    let mut buf: [&[u8]; 11] = [&[]; 11];
    let mut k = 0;
    while k < buf.len() {
        match rows.next() {
            Some(r) => buf[k] = r,
            None => break,
        }
        k += 1;
    }
    let b = &buf;
    match k {
        2 => luma_set::<2>(sum, max, &[b[0], b[1]]),
        3 => luma_set::<3>(sum, max, &[b[0], b[1], b[2]]),
        4 => luma_set::<4>(sum, max, &[b[0], b[1], b[2], b[3]]),
        5 => luma_set::<5>(sum, max, &[b[0], b[1], b[2], b[3], b[4]]),
        6 => luma_set::<6>(sum, max, &[b[0], b[1], b[2], b[3], b[4], b[5]]),
        7 => luma_set::<7>(sum, max, &[b[0], b[1], b[2], b[3], b[4], b[5], b[6]]),
        8 => luma_set::<8>(sum, max, &[b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]),
        // 4K frames (factor 10).
        10 => luma_set::<10>(
            sum,
            max,
            &[b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9]],
        ),
        _ => luma_rows_general(sum, max, buf[..k].iter().copied().chain(rows)),
    }
}

/// [`luma_rows`] for any number of rows: the first row, then four at a time while it can.
#[inline(always)]
fn luma_rows_general<'a>(
    sum: &mut [u16],
    max: &mut [u8],
    mut rows: impl Iterator<Item = &'a [u8]>,
) {
    let Some(first) = rows.next() else {
        sum.fill(0);
        max.fill(0);
        return;
    };
    luma_init(sum, max, first);
    loop {
        match (rows.next(), rows.next(), rows.next(), rows.next()) {
            (Some(a), Some(b), Some(c), Some(d)) => luma_add4(sum, max, [a, b, c, d]),
            (Some(a), Some(b), Some(c), None) => {
                luma_add2(sum, max, a, b);
                luma_add1(sum, max, c);
                return;
            }
            (Some(a), Some(b), None, _) => {
                luma_add2(sum, max, a, b);
                return;
            }
            (Some(a), None, _, _) => {
                luma_add1(sum, max, a);
                return;
            }
            (None, _, _, _) => return,
        }
    }
}

/// `sum = weight * r` (chroma: `weight` luma rows of the output row read this chroma row).
#[inline(always)]
pub(crate) fn chroma_init(sum: &mut [u16], r: &[u8], weight: u16) {
    for (s, &v) in sum.iter_mut().zip(r) {
        *s = v as u16 * weight;
    }
}

/// `sum += weight * r`.
#[inline(always)]
pub(crate) fn chroma_add(sum: &mut [u16], r: &[u8], weight: u16) {
    for (s, &v) in sum.iter_mut().zip(r) {
        *s += v as u16 * weight;
    }
}

/// Converts one packed RGB(A) row to BT.601 Y, Cb, Cr rows ([`crate::frame::ycbcr601`], same
/// integer formulas), so the vertical pass can add planes as it does for YUV frames.
#[inline(always)]
pub(crate) fn rgb_to_ycc<const BPP: usize, const RI: usize, const BI: usize>(
    row: &[u8],
    y: &mut [u8],
    cb: &mut [u8],
    cr: &mut [u8],
) {
    let out = y.iter_mut().zip(cb.iter_mut().zip(cr.iter_mut()));
    for ((oy, (ocb, ocr)), p) in out.zip(row.chunks_exact(BPP)) {
        let (r, g, b) = (p[RI] as i32, p[1] as i32, p[BI] as i32);
        // Y never leaves 0..=255; Cb and Cr reach 256 for pure blue / red and are clamped, and
        // never go below 1.
        *oy = ((77 * r + 150 * g + 29 * b + 128) >> 8) as u8;
        *ocb = ((-43 * r - 85 * g + 128 * b + 32768 + 128) >> 8).min(255) as u8;
        *ocr = ((128 * r - 107 * g - 21 * b + 32768 + 128) >> 8).min(255) as u8;
    }
}

/// BT.601 luma of one packed RGB(A) row ([`crate::frame::luma601`], same integer formula) in
/// `u16` lanes: 77 r + 150 g + 29 b + 128 is at most 65408, so it never overflows.
#[inline(always)]
pub(crate) fn luma_row<const BPP: usize, const RI: usize, const BI: usize>(
    row: &[u8],
    out: &mut [u8],
) {
    for (o, p) in out.iter_mut().zip(row.chunks_exact(BPP)) {
        let (r, g, b) = (p[RI] as u16, p[1] as u16, p[BI] as u16);
        *o = ((77 * r + 150 * g + 29 * b + 128) >> 8) as u8;
    }
}

/// Horizontal pass over the full `F`-wide blocks: `out[i]` = rounded mean of
/// `sum[i F..(i + 1) F]` (divided by `div`, the block's pixel count), `out_max[i]` = the maximum of
/// `max` over the same columns. Returns how many blocks it wrote.
#[inline(always)]
pub(crate) fn hreduce_max<const F: usize>(
    sum: &[u16],
    max: &[u8],
    div: RoundDiv,
    out: &mut [u8],
    out_max: &mut [u8],
) -> usize {
    let mut n = 0;
    let blocks = sum.chunks_exact(F).zip(max.chunks_exact(F));
    for ((s, m), (o, om)) in blocks.zip(out.iter_mut().zip(out_max.iter_mut())) {
        let (Ok(s), Ok(m)) = (<&[u16; F]>::try_from(s), <&[u8; F]>::try_from(m)) else {
            break;
        };
        let mut a = 0u32;
        let mut mx = 0u8;
        for i in 0..F {
            a += s[i] as u32;
            mx = mx.max(m[i]);
        }
        *o = div.div_small(a);
        *om = mx;
        n += 1;
    }
    n
}

/// [`hreduce_max`] for a factor known only at run time.
#[inline(always)]
pub(crate) fn hreduce_max_dyn(
    f: usize,
    sum: &[u16],
    max: &[u8],
    div: RoundDiv,
    out: &mut [u8],
    out_max: &mut [u8],
) -> usize {
    let mut n = 0;
    let blocks = sum.chunks_exact(f).zip(max.chunks_exact(f));
    for ((s, m), (o, om)) in blocks.zip(out.iter_mut().zip(out_max.iter_mut())) {
        let a: u32 = s.iter().map(|&v| v as u32).sum();
        *o = div.div(a);
        *om = m.iter().copied().max().unwrap_or(0);
        n += 1;
    }
    n
}

/// Horizontal pass without maxima: `out[i]` = rounded mean of `K x sum[i F..(i + 1) F]`
/// (`K` = 2 when each entry stands for two luma columns, as planar 4:2:0 chroma does).
#[inline(always)]
pub(crate) fn hreduce<const F: usize, const K: u32>(
    sum: &[u16],
    div: RoundDiv,
    out: &mut [u8],
) -> usize {
    let mut n = 0;
    for (s, o) in sum.chunks_exact(F).zip(out.iter_mut()) {
        let Ok(s) = <&[u16; F]>::try_from(s) else {
            break;
        };
        let mut a = 0u32;
        for &v in s {
            a += v as u32;
        }
        *o = div.div_small(K * a);
        n += 1;
    }
    n
}

/// [`hreduce`] for a factor known only at run time.
#[inline(always)]
pub(crate) fn hreduce_dyn(f: usize, k: u32, sum: &[u16], div: RoundDiv, out: &mut [u8]) -> usize {
    let mut n = 0;
    for (s, o) in sum.chunks_exact(f).zip(out.iter_mut()) {
        *o = div.div(k * s.iter().map(|&v| v as u32).sum::<u32>());
        n += 1;
    }
    n
}

/// Horizontal pass of interleaved 4:2:0 chroma sums (NV12 / NV21) for an even factor: each
/// output block covers `F` interleaved entries (`F / 2` chroma columns, each read by two luma
/// columns). Even entries go to `out_a`, odd ones to `out_b`.
#[inline(always)]
pub(crate) fn hreduce_pairs<const F: usize>(
    sum: &[u16],
    div: RoundDiv,
    out_a: &mut [u8],
    out_b: &mut [u8],
) -> usize {
    let mut n = 0;
    for (s, (oa, ob)) in sum
        .chunks_exact(F)
        .zip(out_a.iter_mut().zip(out_b.iter_mut()))
    {
        let Ok(s) = <&[u16; F]>::try_from(s) else {
            break;
        };
        let (mut a, mut b) = (0u32, 0u32);
        for i in 0..F / 2 {
            a += s[2 * i] as u32;
            b += s[2 * i + 1] as u32;
        }
        *oa = div.div_small(2 * a);
        *ob = div.div_small(2 * b);
        n += 1;
    }
    n
}

/// [`hreduce_pairs`] for an even factor known only at run time.
#[inline(always)]
pub(crate) fn hreduce_pairs_dyn(
    f: usize,
    sum: &[u16],
    div: RoundDiv,
    out_a: &mut [u8],
    out_b: &mut [u8],
) -> usize {
    let mut n = 0;
    for (s, (oa, ob)) in sum
        .chunks_exact(f)
        .zip(out_a.iter_mut().zip(out_b.iter_mut()))
    {
        let (mut a, mut b) = (0u32, 0u32);
        for p in s.chunks_exact(2) {
            a += p[0] as u32;
            b += p[1] as u32;
        }
        *oa = div.div(2 * a);
        *ob = div.div(2 * b);
        n += 1;
    }
    n
}
