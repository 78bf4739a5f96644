//! Each stage of the pipeline on its own, on the inputs the previous stages produce for the
//! same frame (computed once, outside the timed loop), beside the floor.
//!
//! `cargo bench --bench stages` (a couple of minutes). Throughput is frame pixels per second,
//! so stages of one frame compare directly.

mod common;

use common::cpu_time::CpuTime;
use common::{BenchFrame, evict, floor_sum, roi_mask};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use fingerqc::exposure::{ExposureAnalyzer, region_stats};
use fingerqc::fingers::{FingerFinder, HandGeometry};
use fingerqc::focus::{FocusAnalyzer, FocusMeasure, focus_rect};
use fingerqc::frame::{LowRes, Rect};
use fingerqc::report::{ExposureStats, GlareStats};
use fingerqc::ridge::{RidgeAnalyzer, RidgeMeasure};
use fingerqc::segment::{self, HandMask, Segmenter};
use fingerqc::{Analyzer, Config, PixelFormat};
use std::hint::black_box;
use std::time::Duration;

/// Fingertip regions of the counted fingers: print box (ridge, exposure) and focus region (the
/// box and a margin: focus reads the silhouette too), each with full-resolution luma and mask,
/// and the finger's axis.
struct Roi {
    rect: Rect,
    luma: Vec<u8>,
    mask: Vec<u8>,
    focus_rect: Rect,
    focus_luma: Vec<u8>,
    focus_mask: Vec<u8>,
    axis: [f32; 2],
}

fn bench_frame(c: &mut Criterion<CpuTime>, frame: &BenchFrame) {
    let config = Config::default();
    let view = frame.view(PixelFormat::Nv21);
    let (w, h) = (frame.w, frame.h);
    let factor = segment::work_factor(w, h);
    let mut group = c.benchmark_group(format!("stages/{}", frame.name));
    group.throughput(Throughput::Elements(frame.pixels()));

    assert_eq!(
        floor_sum(&view),
        common::floor_sum_portable(&view),
        "floor kernels agree"
    );
    group.bench_function("floor", |b| b.iter(|| floor_sum(black_box(&view))));

    let mut low = LowRes::default();
    for format in [PixelFormat::Nv21, PixelFormat::Gray8, PixelFormat::Rgb8] {
        if format != PixelFormat::Nv21 && w != 1920 {
            continue;
        }
        let v = frame.view(format);
        let name = format!("downsample_{format:?}").to_lowercase();
        group.bench_function(name, |b| {
            b.iter(|| black_box(&v).downsample_into(factor, &mut low))
        });
    }

    group.bench_function("downsample_nv21_cold", |b| {
        b.iter_batched(
            || evict(&frame.nv21),
            |()| black_box(&view).downsample_into(factor, &mut low),
            BatchSize::PerIteration,
        )
    });
    group.bench_function("floor_cold", |b| {
        b.iter_batched(
            || evict(&frame.nv21),
            |()| floor_sum(black_box(&view)),
            BatchSize::PerIteration,
        )
    });

    // Inputs of the later stages, from one run of the whole pipeline.
    let mut analyzer = Analyzer::new(config.clone()).expect("default config is valid");
    analyzer.analyze(&view).expect("analysis succeeds");
    let low: LowRes = analyzer.internals().low.clone();
    let mask: HandMask = analyzer.internals().mask.clone();
    let geometry: HandGeometry = analyzer.internals().geometry.clone();

    let mut segmenter = Segmenter::new();
    let mut mask_out = HandMask::default();
    group.bench_function("segment", |b| {
        b.iter(|| segmenter.segment(black_box(&low), &mut mask_out))
    });

    let mut finder = FingerFinder::new();
    let mut geo_out = HandGeometry::default();
    group.bench_function("fingers", |b| {
        b.iter(|| finder.find(black_box(&mask), &low, &config, &mut geo_out))
    });

    let rois: Vec<Roi> = geometry
        .fingers
        .iter()
        .filter(|f| f.counted)
        .map(|f| {
            let mut luma = Vec::new();
            let rect = view.copy_luma(f.print_box, &mut luma);
            let roi_m = roi_mask(&mask, &geometry.finger_mask, rect);
            let mut focus_luma = Vec::new();
            let focus_rect = view.copy_luma(focus_rect(f.print_box, f.width_px), &mut focus_luma);
            let focus_mask = roi_mask(&mask, &geometry.finger_mask, focus_rect);
            Roi {
                rect,
                luma,
                mask: roi_m,
                focus_rect,
                focus_luma,
                focus_mask,
                axis: f.direction,
            }
        })
        .collect();
    eprintln!(
        "{}: factor {factor}, low {}x{}, {} counted fingers, boxes {:?}",
        frame.name,
        low.width,
        low.height,
        rois.len(),
        rois.iter()
            .map(|r| (r.rect.width, r.rect.height))
            .collect::<Vec<_>>()
    );

    let mut scratch = Vec::new();
    group.bench_function("roi_copy_all_fingers", |b| {
        b.iter(|| {
            for r in &rois {
                black_box(view.copy_luma(black_box(r.rect), &mut scratch));
                black_box(view.copy_luma(black_box(r.focus_rect), &mut scratch));
            }
        })
    });

    if w == 1920 {
        // Packed colour frames compute luma while copying.
        let rgb = frame.view(PixelFormat::Rgb8);
        group.bench_function("roi_copy_all_fingers_rgb8", |b| {
            b.iter(|| {
                for r in &rois {
                    black_box(rgb.copy_luma(black_box(r.rect), &mut scratch));
                    black_box(rgb.copy_luma(black_box(r.focus_rect), &mut scratch));
                }
            })
        });
    }

    let mut ridge = RidgeAnalyzer::new();
    ridge.set_clip_level(config.exposure.clipped_level);
    let mut measures: Vec<RidgeMeasure> = rois.iter().map(|_| RidgeMeasure::default()).collect();
    group.bench_function("ridge_all_fingers", |b| {
        b.iter(|| {
            for (r, m) in rois.iter().zip(measures.iter_mut()) {
                let (rw, rh) = (r.rect.width as usize, r.rect.height as usize);
                ridge.set_finger_axis(Some(r.axis));
                ridge.measure(black_box(&r.luma), &r.mask, rw, rh, m);
            }
        })
    });

    let mut focus = FocusAnalyzer::new();
    let mut fm = FocusMeasure::default();
    group.bench_function("focus_all_fingers", |b| {
        b.iter(|| {
            for (r, m) in rois.iter().zip(measures.iter()) {
                let (fw, fh) = (r.focus_rect.width as usize, r.focus_rect.height as usize);
                let period = m.period_px.unwrap_or(9.0);
                let clip = config.exposure.clipped_level;
                focus.measure(
                    black_box(&r.focus_luma),
                    &r.focus_mask,
                    fw,
                    fh,
                    period,
                    m,
                    clip,
                    &mut fm,
                );
            }
        })
    });

    let mut exposure = ExposureAnalyzer::new();
    let (mut es, mut gs) = (ExposureStats::default(), GlareStats::default());
    group.bench_function("exposure_glare", |b| {
        b.iter(|| {
            for r in &rois {
                black_box(region_stats(black_box(&r.luma), &r.mask, &config.glare));
            }
            exposure.measure(
                black_box(&view),
                &low,
                &geometry.finger_mask,
                &config,
                &mut es,
                &mut gs,
            );
        })
    });
    group.finish();
}

fn stages(c: &mut Criterion<CpuTime>) {
    for frame in common::generated() {
        bench_frame(c, &frame);
    }
    for frame in common::samples() {
        bench_frame(c, &frame);
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .with_measurement(CpuTime::new())
        .sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    targets = stages
}
criterion_main!(benches);
