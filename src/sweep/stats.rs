//! Statistics over a population of runs: the Wilson score interval of a proportion, and
//! a metric's mean, median, 5th and 95th percentiles with a seeded bootstrap interval of
//! the mean. Every figure is a pure function of the values (and, for the bootstrap, of
//! a seed), so a sweep's summary is the same bytes however its runs were scheduled.

use serde::{Deserialize, Serialize};
use zkarena_harness::sim::rng::SimRng;

/// The normal quantile of a two-sided 95 % interval.
pub const Z95: f64 = 1.959_963_984_540_054;

/// Resamples of the bootstrap: enough that the 2.5 % and 97.5 % percentiles of the
/// resampled means move by well under a tenth of the interval between seeds.
pub const BOOTSTRAP_RESAMPLES: usize = 1_000;

/// The Wilson score interval (95 %) of `successes` out of `trials`: unlike the normal
/// approximation it stays inside [0, 1] and is not empty at 0 or `trials` successes.
/// `(0, 1)` when there are no trials (nothing is known).
pub fn wilson(successes: u64, trials: u64) -> (f64, f64) {
    if trials == 0 {
        return (0.0, 1.0);
    }
    let n = trials as f64;
    let p = successes as f64 / n;
    let z2 = Z95 * Z95;
    let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = Z95 / (1.0 + z2 / n) * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// The `q`-quantile (0..=1) of sorted values by linear interpolation between closest
/// ranks (Hyndman and Fan's type 7, the default of R and numpy). NaN when empty.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    match sorted.len() {
        0 => f64::NAN,
        1 => sorted[0],
        n => {
            let h = (n - 1) as f64 * q.clamp(0.0, 1.0);
            let (lo, frac) = (h.floor() as usize, h - h.floor());
            let hi = (lo + 1).min(n - 1);
            sorted[lo] + frac * (sorted[hi] - sorted[lo])
        }
    }
}

/// The mean (NaN when empty).
pub fn mean(values: &[f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.iter().sum::<f64>() / values.len() as f64
}

/// The 95 % percentile-bootstrap interval of the mean: [`BOOTSTRAP_RESAMPLES`]
/// resamples with replacement drawn from `rng`. With few runs (under about ten) it is
/// too narrow (three runs have only ten distinct resample means), and with one it is
/// the value itself: read it with the run count beside it.
pub fn bootstrap_mean(values: &[f64], rng: &mut SimRng) -> (f64, f64) {
    let n = values.len();
    if n == 0 {
        return (f64::NAN, f64::NAN);
    }
    let mut means: Vec<f64> = (0..BOOTSTRAP_RESAMPLES)
        .map(|_| {
            let sum: f64 = (0..n)
                .map(|_| values[(rng.next_u64() % n as u64) as usize])
                .sum();
            sum / n as f64
        })
        .collect();
    means.sort_by(f64::total_cmp);
    (quantile(&means, 0.025), quantile(&means, 0.975))
}

/// A metric summarized over the runs of one cell of a sweep.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MetricSummary {
    /// Runs that reported it.
    pub n: usize,
    /// Mean.
    pub mean: f64,
    /// 95 % bootstrap interval of the mean.
    pub mean_ci: [f64; 2],
    /// Median.
    pub median: f64,
    /// 5th percentile.
    pub p5: f64,
    /// 95th percentile.
    pub p95: f64,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
}

impl MetricSummary {
    /// Summarizes `values` (not empty); the bootstrap draws from the stream `name` of
    /// `seed`.
    pub fn of(values: &[f64], seed: u64, name: &str) -> MetricSummary {
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let (lo, hi) = bootstrap_mean(values, &mut SimRng::stream(seed, name));
        MetricSummary {
            n: values.len(),
            mean: round6(mean(values)),
            mean_ci: [round6(lo), round6(hi)],
            median: round6(quantile(&sorted, 0.5)),
            p5: round6(quantile(&sorted, 0.05)),
            p95: round6(quantile(&sorted, 0.95)),
            min: round6(sorted.first().copied().unwrap_or(f64::NAN)),
            max: round6(sorted.last().copied().unwrap_or(f64::NAN)),
        }
    }
}

/// `x` without float noise: whole above a million, else to six decimals. A summary's
/// sums run in the rows' order, so this is for readers, not for determinism.
pub fn round6(x: f64) -> f64 {
    if !x.is_finite() {
        x
    } else if x.abs() >= 1e6 {
        x.round()
    } else {
        (x * 1e6).round() / 1e6
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn wilson_matches_the_published_intervals() {
        // Newcombe (1998), Statistics in Medicine 17:857, table I, method 3 (Wilson
        // without continuity correction): 81/263 -> 0.2553-0.3662, 15/148 ->
        // 0.0624-0.1605, 0/20 -> 0-0.1611, 1/29 -> 0.0061-0.1718.
        for (k, n, lo, hi) in [
            (81, 263, 0.2553, 0.3662),
            (15, 148, 0.0624, 0.1605),
            (0, 20, 0.0, 0.1611),
            (1, 29, 0.0061, 0.1718),
        ] {
            let (l, h) = wilson(k, n);
            assert!(close(l, lo, 5e-5) && close(h, hi, 5e-5), "{k}/{n}: {l} {h}");
        }
        // Symmetric at one half, the whole range with no trials, never outside [0, 1].
        let (l, h) = wilson(5, 10);
        assert!(close(l + h, 1.0, 1e-12), "{l} {h}");
        assert_eq!(wilson(0, 0), (0.0, 1.0));
        let (l, h) = wilson(40, 40);
        assert!(h == 1.0 && l > 0.9 && l < 1.0, "{l}");
    }

    #[test]
    fn quantiles_interpolate_between_ranks_like_numpy() {
        let v = [1.0, 2.0, 3.0, 4.0];
        // numpy.percentile([1, 2, 3, 4], [0, 5, 50, 95, 100]) = 1, 1.15, 2.5, 3.85, 4.
        for (q, want) in [
            (0.0, 1.0),
            (0.05, 1.15),
            (0.5, 2.5),
            (0.95, 3.85),
            (1.0, 4.0),
        ] {
            assert!(close(quantile(&v, q), want, 1e-12), "q {q}");
        }
        assert!(quantile(&[], 0.5).is_nan());
        assert_eq!(quantile(&[7.0], 0.95), 7.0);
    }

    #[test]
    fn the_bootstrap_interval_of_a_mean_has_the_normal_width_and_a_constant_has_none() {
        // A constant: every resample has the same mean.
        let c = MetricSummary::of(&[3.0; 25], 1, "c");
        assert_eq!((c.mean, c.mean_ci), (3.0, [3.0, 3.0]));
        // 0..=99: mean 49.5, standard error sd/sqrt(n) = 28.87/10; the 95 % interval
        // is about 49.5 +- 1.96 x 2.887 = [43.8, 55.2] (within the bootstrap's noise).
        let v: Vec<f64> = (0..100).map(f64::from).collect();
        let s = MetricSummary::of(&v, 7, "ramp");
        assert_eq!(s.mean, 49.5);
        assert!(close(s.mean_ci[0], 43.84, 0.8), "{:?}", s.mean_ci);
        assert!(close(s.mean_ci[1], 55.16, 0.8), "{:?}", s.mean_ci);
        assert_eq!((s.min, s.max, s.median), (0.0, 99.0, 49.5));
        // The same seed and name give the same interval.
        assert_eq!(MetricSummary::of(&v, 7, "ramp"), s);
    }

    #[test]
    fn rounding_keeps_six_decimals_and_large_figures_whole() {
        assert_eq!(round6(0.1 + 0.2), 0.3);
        assert_eq!(round6(1_583_333_333.4), 1_583_333_333.0);
        assert_eq!(round6(-0.000_123_456_78), -0.000_123);
        assert_eq!(round6(0.0), 0.0);
    }
}
