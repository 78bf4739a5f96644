//! A criterion measurement of the calling thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`).
//!
//! The bench machine is shared: with several jobs per core, wall time counts the time this
//! thread waits for a core and varies several-fold from run to run. CPU time counts only what
//! the code costs (cache pollution by the neighbours still shows). Set `FINGERQC_BENCH_WALL=1`
//! to measure wall time instead, on a quiet machine.

use criterion::Throughput;
use criterion::measurement::{Measurement, ValueFormatter};
use std::time::{Duration, Instant};

/// Thread CPU time, or wall time when `FINGERQC_BENCH_WALL` is set.
pub struct CpuTime {
    wall: bool,
}

impl CpuTime {
    pub fn new() -> Self {
        CpuTime {
            wall: std::env::var_os("FINGERQC_BENCH_WALL").is_some(),
        }
    }

    /// Whether this measures wall time (for the bench's banner).
    pub fn is_wall(&self) -> bool {
        self.wall
    }

    fn now(&self) -> Duration {
        if self.wall {
            return EPOCH.with(|e| e.elapsed());
        }
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `ts` is a valid, writable timespec; the clock id is a constant Linux supports.
        let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
        assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
        Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
    }
}

thread_local! {
    static EPOCH: Instant = Instant::now();
}

impl Measurement for CpuTime {
    type Intermediate = Duration;
    type Value = Duration;

    fn start(&self) -> Duration {
        self.now()
    }
    fn end(&self, start: Duration) -> Duration {
        self.now().saturating_sub(start)
    }
    fn add(&self, a: &Duration, b: &Duration) -> Duration {
        *a + *b
    }
    fn zero(&self) -> Duration {
        Duration::ZERO
    }
    fn to_f64(&self, v: &Duration) -> f64 {
        v.as_nanos() as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        &NanosFormatter
    }
}

/// Formats nanoseconds as criterion's wall-time formatter does (ns, µs, ms, s; elements/s).
struct NanosFormatter;

impl ValueFormatter for NanosFormatter {
    fn scale_values(&self, typical: f64, values: &mut [f64]) -> &'static str {
        let (factor, unit) = if typical < 1e3 {
            (1.0, "ns")
        } else if typical < 1e6 {
            (1e-3, "µs")
        } else if typical < 1e9 {
            (1e-6, "ms")
        } else {
            (1e-9, "s")
        };
        values.iter_mut().for_each(|v| *v *= factor);
        unit
    }

    fn scale_throughputs(
        &self,
        typical: f64,
        throughput: &Throughput,
        values: &mut [f64],
    ) -> &'static str {
        let (n, unit_base) = match *throughput {
            Throughput::Bytes(b) | Throughput::BytesDecimal(b) => (b as f64, "B/s"),
            Throughput::Elements(e) => (e as f64, "elem/s"),
            Throughput::Bits(b) => (b as f64, "b/s"),
            Throughput::ElementsAndBytes { elements, .. } => (elements as f64, "elem/s"),
        };
        let per_s = n * 1e9 / typical;
        let (denom, unit) = if per_s < 1e3 {
            (1.0, unit_base)
        } else if per_s < 1e6 {
            (
                1e3,
                if unit_base == "elem/s" {
                    "Kelem/s"
                } else {
                    "K/s"
                },
            )
        } else if per_s < 1e9 {
            (
                1e6,
                if unit_base == "elem/s" {
                    "Melem/s"
                } else {
                    "M/s"
                },
            )
        } else {
            (
                1e9,
                if unit_base == "elem/s" {
                    "Gelem/s"
                } else {
                    "G/s"
                },
            )
        };
        values.iter_mut().for_each(|v| *v = n * 1e9 / *v / denom);
        unit
    }

    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "ns"
    }
}
