//! Small statistics for reports: mean, quantiles and a bootstrap 95% interval, so two runs can be
//! compared honestly.

/// Resamples for the bootstrap interval.
pub const BOOTSTRAP_RESAMPLES: usize = 1_000;

/// The mean; `None` for no values.
pub fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// The `q` quantile (0..=1) by linear interpolation; `None` for no values.
pub fn quantile(values: &[f64], q: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let pos = q.clamp(0.0, 1.0) * (v.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    Some(v[lo] + (v[hi] - v[lo]) * (pos - lo as f64))
}

/// A mean with its bootstrap 95% interval (resampling the values [`BOOTSTRAP_RESAMPLES`] times with a
/// fixed seed, so a report is reproducible).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Estimate {
    pub mean: f64,
    pub lo: f64,
    pub hi: f64,
    pub n: usize,
}

/// The mean and its bootstrap interval; `None` for no values.
pub fn bootstrap(values: &[f64], seed: u64) -> Option<Estimate> {
    let m = mean(values)?;
    let mut rng = fastrand::Rng::with_seed(seed);
    let n = values.len();
    let means: Vec<f64> = (0..BOOTSTRAP_RESAMPLES)
        .map(|_| (0..n).map(|_| values[rng.usize(0..n)]).sum::<f64>() / n as f64)
        .collect();
    Some(Estimate {
        mean: m,
        lo: quantile(&means, 0.025)?,
        hi: quantile(&means, 0.975)?,
        n,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_and_means() {
        assert_eq!(mean(&[]), None);
        assert_eq!(mean(&[1.0, 2.0, 3.0]), Some(2.0));
        assert_eq!(quantile(&[3.0, 1.0, 2.0], 0.5), Some(2.0));
        assert_eq!(quantile(&[0.0, 10.0], 0.9), Some(9.0));
    }

    #[test]
    fn the_interval_holds_the_mean_and_narrows_with_more_data() {
        let few: Vec<f64> = (0..10).map(|i| f64::from(i % 2)).collect();
        let many: Vec<f64> = (0..400).map(|i| f64::from(i % 2)).collect();
        let a = bootstrap(&few, 1).expect("values");
        let b = bootstrap(&many, 1).expect("values");
        assert!(a.lo <= a.mean && a.mean <= a.hi);
        assert!(b.hi - b.lo < a.hi - a.lo);
        assert_eq!(
            bootstrap(&[1.0; 5], 1).map(|e| (e.lo, e.hi)),
            Some((1.0, 1.0))
        );
        assert_eq!(bootstrap(&few, 7), bootstrap(&few, 7), "reproducible");
    }
}
