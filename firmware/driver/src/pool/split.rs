//! How a step is shared between workers: in proportion to their measured
//! rates, so that a fast worker (a hardware engine, a core with nothing
//! else to do) and a slow one (a core shared with the network) finish
//! their slices together.

/// Lengths of the slices of a `len`-nonce step for workers with these rates
/// (nonces per second; 0: not measured yet). They sum to `len`, in worker
/// order. Equal shares while any worker is unmeasured, so that every worker
/// gets measured; then in proportion to the rates, the rounding left to
/// the fastest worker.
pub(crate) fn shares<const W: usize>(len: u64, rates: [u32; W]) -> [u64; W] {
    let mut out = [0u64; W];
    if rates.contains(&0) {
        let each = len.div_ceil(W as u64);
        let mut left = len;
        for share in out.iter_mut() {
            *share = each.min(left);
            left -= *share;
        }
        return out;
    }
    let total: u128 = rates.iter().map(|&r| u128::from(r)).sum();
    let mut given = 0u64;
    for (share, &rate) in out.iter_mut().zip(&rates) {
        // At most `len`: rate <= total.
        *share = (u128::from(len) * u128::from(rate) / total) as u64;
        given += *share;
    }
    let fastest = (0..W).max_by_key(|&i| rates[i]).unwrap_or(0);
    out[fastest] += len - given;
    out
}

/// The rate after a slice of `hashes` nonces took `micros`: the mean of the
/// old rate and this slice's, which follows a change within a few steps
/// without jumping on one slow slice. Slices too short to time change
/// nothing.
pub(crate) fn smoothed(old: u32, hashes: u64, micros: u64) -> u32 {
    if micros == 0 || hashes == 0 {
        return old;
    }
    let now = u32::try_from(hashes.saturating_mul(1_000_000) / micros).unwrap_or(u32::MAX);
    if old == 0 {
        now
    } else {
        // The mean of two u32s fits.
        ((u64::from(old) + u64::from(now)) / 2) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unmeasured_workers_share_equally() {
        assert_eq!(shares(10, [0, 0]), [5, 5]);
        assert_eq!(shares(11, [0, 7]), [6, 5]);
        assert_eq!(shares(1, [0, 0, 0]), [1, 0, 0]);
        assert_eq!(shares(7, [0, 0, 0]), [3, 3, 1]);
    }

    #[test]
    fn measured_workers_share_by_rate() {
        // An accelerator six times faster than the software core.
        assert_eq!(shares(7_000, [60_000, 360_000]), [1_000, 6_000]);
        // The rounding goes to the fastest.
        assert_eq!(shares(10, [1, 2]), [3, 7]);
        assert_eq!(shares(1, [100, 1]), [1, 0]);
        // Every nonce is given out, whatever the rates.
        for len in [1, 2, 3, 99, 1 << 32] {
            for rates in [[1, u32::MAX], [u32::MAX, u32::MAX], [3, 5]] {
                assert_eq!(shares(len, rates).iter().sum::<u64>(), len);
            }
        }
    }

    #[test]
    fn rates_follow_measurements() {
        assert_eq!(smoothed(0, 20_000, 1_000_000), 20_000);
        assert_eq!(smoothed(20_000, 40_000, 1_000_000), 30_000);
        assert_eq!(smoothed(5, 10, 0), 5, "an untimed slice changes nothing");
        assert_eq!(smoothed(0, u64::MAX, 1), u32::MAX);
    }
}
