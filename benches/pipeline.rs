//! Whole pipeline per frame (`Analyzer::analyze_into` with a reused report, one thread) beside
//! the floor: one read pass summing every luma byte of the same frame.
//!
//! `cargo bench --bench pipeline` (about a minute). Throughput is frame pixels per second.

mod common;

use common::cpu_time::CpuTime;
use common::{BenchFrame, evict, floor_sum};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use fingerqc::{Analyzer, Config, PixelFormat, Report};
use std::hint::black_box;
use std::time::Duration;

fn bench_frame(c: &mut Criterion<CpuTime>, frame: &BenchFrame, formats: &[PixelFormat]) {
    let mut group = c.benchmark_group(format!("pipeline/{}", frame.name));
    group.throughput(Throughput::Elements(frame.pixels()));
    let nv21 = frame.view(PixelFormat::Nv21);
    assert_eq!(
        floor_sum(&nv21),
        common::floor_sum_portable(&nv21),
        "floor kernels agree"
    );
    group.bench_function("floor", |b| b.iter(|| floor_sum(black_box(&nv21))));
    group.bench_function("floor_cold", |b| {
        b.iter_batched(
            || evict(&frame.nv21),
            |()| floor_sum(black_box(&nv21)),
            BatchSize::PerIteration,
        )
    });
    let mut analyzer = Analyzer::new(Config::default()).expect("default config is valid");
    let mut report = Report::default();
    for &format in formats {
        let view = frame.view(format);
        let name = format!("{format:?}").to_lowercase();
        group.bench_function(name, |b| {
            b.iter(|| {
                analyzer
                    .analyze_into(black_box(&view), &mut report)
                    .expect("analysis succeeds");
            })
        });
    }
    // The NV21 frame fresh from memory each time, as a camera delivers it.
    group.bench_function("nv21_cold", |b| {
        b.iter_batched(
            || evict(&frame.nv21),
            |()| {
                analyzer
                    .analyze_into(black_box(&nv21), &mut report)
                    .expect("analysis succeeds")
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

fn pipeline(c: &mut Criterion<CpuTime>) {
    for frame in common::generated() {
        let formats: &[PixelFormat] = if frame.w == 1920 {
            &[PixelFormat::Nv21, PixelFormat::Gray8, PixelFormat::Rgb8]
        } else {
            &[PixelFormat::Nv21]
        };
        bench_frame(c, &frame, formats);
    }
    for frame in common::samples() {
        bench_frame(c, &frame, &[PixelFormat::Nv21]);
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .with_measurement(CpuTime::new())
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = pipeline
}
criterion_main!(benches);
