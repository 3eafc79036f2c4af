//! Latency percentiles and throughput of a run.
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Latency of a single-threaded run, one duration per query, in milliseconds.
///
/// Percentiles use the nearest-rank method: the p-th percentile of `n` sorted
/// values is the value at 1-based rank `ceil(p / 100 * n)`. It always returns a
/// measured latency (never an interpolation between two), which is what a tail
/// latency claim should quote.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LatencyStats {
    /// Number of durations measured.
    pub queries: usize,
    /// Arithmetic mean.
    pub mean_ms: f64,
    /// Median (nearest rank).
    pub p50_ms: f64,
    /// 95th percentile (nearest rank).
    pub p95_ms: f64,
    /// 99th percentile (nearest rank).
    pub p99_ms: f64,
    /// Slowest query.
    pub max_ms: f64,
}

impl LatencyStats {
    /// Statistics of `durations`, in any order; empty input gives all zeros.
    pub fn from_durations(durations: &[Duration]) -> LatencyStats {
        if durations.is_empty() {
            return LatencyStats {
                queries: 0,
                mean_ms: 0.0,
                p50_ms: 0.0,
                p95_ms: 0.0,
                p99_ms: 0.0,
                max_ms: 0.0,
            };
        }
        let mut sorted = durations.to_vec();
        sorted.sort_unstable();
        let total: Duration = sorted.iter().sum();
        let n = sorted.len();
        LatencyStats {
            queries: n,
            mean_ms: millis(total) / n as f64,
            p50_ms: millis(nearest_rank(&sorted, 50)),
            p95_ms: millis(nearest_rank(&sorted, 95)),
            p99_ms: millis(nearest_rank(&sorted, 99)),
            max_ms: millis(sorted[n - 1]),
        }
    }
}

/// The `percent`-th percentile of non-empty `sorted` by nearest rank.
///
/// Integer arithmetic, so float rounding can never push a rank one too high.
fn nearest_rank(sorted: &[Duration], percent: usize) -> Duration {
    let rank = (percent * sorted.len())
        .div_ceil(100)
        .clamp(1, sorted.len());
    sorted[rank - 1]
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Queries per second of a run over `threads` worker threads.
///
/// Kept separate from [`LatencyStats`]: latency is measured one query at a time,
/// throughput with all threads busy, and the two answer different questions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Throughput {
    /// Worker threads issuing queries.
    pub threads: usize,
    /// Queries answered.
    pub queries: usize,
    /// Wall-clock seconds for all of them.
    pub seconds: f64,
    /// `queries / seconds`; 0 when no time was measured (JSON has no infinity).
    pub qps: f64,
}

impl Throughput {
    /// The throughput of `queries` answered in `elapsed` by `threads` threads.
    pub fn new(threads: usize, queries: usize, elapsed: Duration) -> Throughput {
        let seconds = elapsed.as_secs_f64();
        let qps = if seconds > 0.0 {
            queries as f64 / seconds
        } else {
            0.0
        };
        Throughput {
            threads,
            queries,
            seconds,
            qps,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(values: &[u64]) -> Vec<Duration> {
        values.iter().map(|&v| Duration::from_millis(v)).collect()
    }

    #[test]
    fn percentiles_of_one_to_twenty() {
        // 1..=20 ms, shuffled. n = 20:
        // p50 -> rank ceil(0.50 * 20) = 10 -> 10 ms
        // p95 -> rank ceil(0.95 * 20) = 19 -> 19 ms
        // p99 -> rank ceil(0.99 * 20) = ceil(19.8) = 20 -> 20 ms
        // mean = 210 / 20 = 10.5 ms
        let d = ms(&[
            7, 13, 1, 20, 2, 19, 3, 18, 4, 17, 5, 16, 6, 15, 14, 8, 12, 9, 11, 10,
        ]);
        let s = LatencyStats::from_durations(&d);
        assert_eq!(s.queries, 20);
        assert_eq!(
            [s.mean_ms, s.p50_ms, s.p95_ms, s.p99_ms, s.max_ms],
            [10.5, 10.0, 19.0, 20.0, 20.0]
        );
    }

    #[test]
    fn percentiles_of_small_lists() {
        // n = 3, sorted [10, 20, 30]: p50 -> ceil(1.5) = 2 -> 20; p95 -> ceil(2.85) = 3 -> 30
        let s = LatencyStats::from_durations(&ms(&[30, 10, 20]));
        assert_eq!(
            [s.p50_ms, s.p95_ms, s.p99_ms, s.max_ms],
            [20.0, 30.0, 30.0, 30.0]
        );
        assert_eq!(s.mean_ms, 20.0);
        // n = 1: every percentile is the one value
        let s = LatencyStats::from_durations(&[Duration::from_micros(250)]);
        assert_eq!([s.mean_ms, s.p50_ms, s.p99_ms], [0.25, 0.25, 0.25]);
    }

    #[test]
    fn empty_is_all_zero() {
        let s = LatencyStats::from_durations(&[]);
        assert_eq!(s.queries, 0);
        assert_eq!(
            [s.mean_ms, s.p50_ms, s.p95_ms, s.p99_ms, s.max_ms],
            [0.0; 5]
        );
    }

    #[test]
    fn throughput_is_queries_per_second() {
        let t = Throughput::new(4, 1000, Duration::from_millis(250));
        assert_eq!(
            (t.threads, t.queries, t.seconds, t.qps),
            (4, 1000, 0.25, 4000.0)
        );
        assert_eq!(Throughput::new(1, 10, Duration::ZERO).qps, 0.0);
    }
}
