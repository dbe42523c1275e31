//! Percentile summaries of integer samples (nanoseconds, counts).

use serde::Serialize;

/// Nearest-rank percentiles of a sample: the smallest value with at least p% of the sample at or
/// below it. Exact, no interpolation, so every reported figure is a value that was observed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Summary {
    pub count: u64,
    pub min: u64,
    pub p50: u64,
    pub p90: u64,
    pub p99: u64,
    pub max: u64,
    pub mean: f64,
}

impl Summary {
    /// Sorts `values` in place and summarises them; `None` for an empty sample.
    pub fn of(values: &mut [u64]) -> Option<Summary> {
        if values.is_empty() {
            return None;
        }
        values.sort_unstable();
        let sum: u128 = values.iter().map(|v| u128::from(*v)).sum();
        Some(Summary {
            count: values.len() as u64,
            min: values[0],
            p50: nearest_rank(values, 50.0),
            p90: nearest_rank(values, 90.0),
            p99: nearest_rank(values, 99.0),
            max: values[values.len() - 1],
            mean: sum as f64 / values.len() as f64,
        })
    }
}

/// The p-th percentile of a sorted, non-empty slice by the nearest-rank method.
pub fn nearest_rank(sorted: &[u64], p: f64) -> u64 {
    let n = sorted.len();
    let rank = ((p / 100.0) * n as f64).ceil() as usize;
    sorted[rank.clamp(1, n) - 1]
}

/// Nanoseconds as milliseconds with a precision that suits the size.
pub fn ms(ns: u64) -> String {
    let v = ns as f64 / 1e6;
    if v < 10.0 {
        format!("{v:.2} ms")
    } else if v < 100.0 {
        format!("{v:.1} ms")
    } else {
        format!("{v:.0} ms")
    }
}

/// Bytes with a binary unit.
pub fn bytes(b: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut v = b as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 { format!("{b} B") } else { format!("{v:.1} {}", UNITS[unit]) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles_are_observed_values() {
        let mut v: Vec<u64> = (1..=100).rev().collect();
        let s = Summary::of(&mut v).unwrap();
        assert_eq!((s.min, s.p50, s.p90, s.p99, s.max, s.count), (1, 50, 90, 99, 100, 100));
        assert!((s.mean - 50.5).abs() < 1e-9);

        let mut one = vec![7];
        let s = Summary::of(&mut one).unwrap();
        assert_eq!((s.p50, s.p99, s.max), (7, 7, 7));
        let mut few = vec![10, 20, 30];
        let s = Summary::of(&mut few).unwrap();
        assert_eq!((s.p50, s.p90, s.p99), (20, 30, 30));
        assert_eq!(Summary::of(&mut []), None);
    }

    #[test]
    fn units_read_well() {
        assert_eq!(ms(1_234_567), "1.23 ms");
        assert_eq!(ms(45_600_000), "45.6 ms");
        assert_eq!(ms(700_000_000), "700 ms");
        assert_eq!(bytes(900), "900 B");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(5 * 1024 * 1024), "5.0 MiB");
    }
}
