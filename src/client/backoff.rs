//! Client retry backoff, as the Java client computes it.
//!
//! [`ExponentialBackoff`] is Java's `org.apache.kafka.common.utils.ExponentialBackoff` (KIP-580,
//! Kafka 3.7) without its jitter: `initial × 2^attempts`, capped at `max`, where `initial` is
//! itself capped at `max` (`CommonClientConfigs.warnDisablingExponentialBackoff`: with
//! `retry.backoff.ms` above `retry.backoff.max.ms` "a static backoff with value
//! retry.backoff.max.ms will be applied"). Java multiplies each wait by a random factor in
//! [0.8, 1.2] (`RETRY_BACKOFF_JITTER`); the model's nodes have no random stream of their own, so
//! the waits here are the jitter's mean.
//!
//! [`MetadataBackoff`] is the refresh backoff of Java's `Metadata` (`timeToAllowUpdate`): after a
//! metadata request, the next waits `backoff(attempts - 1)` from the last one, where `attempts`
//! counts the failed requests since the last answer, and at least `backoff(equivalent - 1)`,
//! where `equivalent` counts the answers in a row that brought nothing new (KIP-951: a client
//! that keeps asking because a partition has no leader slows down too).

/// Java's `reconnect.backoff.ms` (50) doubling to `reconnect.backoff.max.ms` (1000), the
/// defaults, which the model does not let a scenario change: the wait after a connection to a
/// broker fails (`ClusterConnectionStates`, KIP-144).
pub(crate) const RECONNECT: ExponentialBackoff = ExponentialBackoff::new(50, 1_000);

/// Java's `ExponentialBackoff` with multiplier 2 and no jitter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ExponentialBackoff {
    initial: u64,
    max: u64,
}

impl ExponentialBackoff {
    /// `retry.backoff.ms` and `retry.backoff.max.ms` (or `reconnect.backoff.ms` and
    /// `reconnect.backoff.max.ms`).
    pub(crate) const fn new(initial: u64, max: u64) -> Self {
        let initial = if initial < max { initial } else { max };
        ExponentialBackoff { initial, max }
    }

    /// The wait before attempt `attempts + 1` (the first retry waits `backoff(0)`).
    pub(crate) fn backoff(&self, attempts: u32) -> u64 {
        if self.max <= self.initial {
            return self.initial;
        }
        self.initial.saturating_mul(1u64 << attempts.min(40)).min(self.max)
    }
}

/// When a client may ask for metadata again (Java's `Metadata.timeToAllowUpdate`).
#[derive(Debug, Clone, Default)]
pub(crate) struct MetadataBackoff {
    /// When the last metadata request was answered or failed (`lastRefreshMs`); `None` before
    /// the first.
    last_refresh: Option<u64>,
    /// Failed requests since the last answer (`attempts`).
    attempts: u32,
    /// Answers in a row that changed nothing the client knew (`equivalentResponseCount`).
    equivalent: u32,
    /// The highest leader epoch of each partition the client asks about, from the answers
    /// (`lastSeenLeaderEpochs`), so an answer is new when some epoch grew.
    epochs: Vec<u32>,
}

impl MetadataBackoff {
    /// The earliest time the next metadata request may go out.
    pub(crate) fn allowed_at(&self, b: &ExponentialBackoff) -> u64 {
        let Some(last) = self.last_refresh else { return 0 };
        let for_attempts = b.backoff(self.attempts.saturating_sub(1));
        let for_equivalent = if self.equivalent > 0 { b.backoff(self.equivalent - 1) } else { 0 };
        last + for_attempts.max(for_equivalent)
    }

    /// An answer came with these leader epochs, one per partition (`Metadata.update`). It is
    /// new if some epoch is higher than any seen before (`updateLatestMetadata` resets
    /// `equivalentResponseCount` then), which ends the slow-down for equivalent answers.
    pub(crate) fn answered(&mut self, now: u64, epochs: impl Iterator<Item = u32>) {
        let mut changed = false;
        for (i, e) in epochs.enumerate() {
            match self.epochs.get_mut(i) {
                Some(seen) if *seen >= e => {}
                Some(seen) => {
                    *seen = e;
                    changed = true;
                }
                None => {
                    self.epochs.push(e);
                    changed = true;
                }
            }
        }
        self.last_refresh = Some(now);
        self.attempts = 0;
        self.equivalent = if changed { 0 } else { self.equivalent.saturating_add(1) };
    }

    /// A request failed: refused, reset, or no answer in time (`Metadata.failedUpdate`).
    pub(crate) fn failed(&mut self, now: u64) {
        self.last_refresh = Some(now);
        self.attempts = self.attempts.saturating_add(1);
        self.equivalent = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_backoff_doubles_from_100_ms_to_one_second() {
        let b = ExponentialBackoff::new(100, 1_000);
        let waits: Vec<u64> = (0..7).map(|a| b.backoff(a)).collect();
        assert_eq!(waits, [100, 200, 400, 800, 1_000, 1_000, 1_000]);
        assert_eq!(b.backoff(u32::MAX), 1_000);
    }

    #[test]
    fn a_base_above_the_maximum_is_a_static_backoff_of_the_maximum() {
        assert_eq!(ExponentialBackoff::new(5_000, 1_000).backoff(3), 1_000);
        assert_eq!(ExponentialBackoff::new(0, 0).backoff(3), 0);
        assert_eq!(ExponentialBackoff::new(0, 1_000).backoff(0), 0);
        assert_eq!(ExponentialBackoff::new(0, 1_000).backoff(4), 0, "0 × 2^4, as Java computes it");
    }

    #[test]
    fn metadata_waits_after_every_refresh_and_longer_after_failures_or_equivalent_answers() {
        let b = ExponentialBackoff::new(100, 1_000);
        let mut m = MetadataBackoff::default();
        assert_eq!(m.allowed_at(&b), 0, "the first request goes at once");
        m.answered(1_000, [0, 0].into_iter());
        assert_eq!(m.allowed_at(&b), 1_100, "retry.backoff.ms after an answer");
        m.failed(2_000);
        assert_eq!(m.allowed_at(&b), 2_100);
        m.failed(2_100);
        m.failed(2_300);
        assert_eq!(m.allowed_at(&b), 2_700, "the third failure waits 400 ms");
        m.answered(3_000, [0, 0].into_iter());
        assert_eq!(m.allowed_at(&b), 3_100);
        m.answered(3_100, [0, 0].into_iter());
        m.answered(3_300, [0, 0].into_iter());
        assert_eq!(m.allowed_at(&b), 3_700, "a third equivalent answer waits 400 ms");
        m.answered(4_000, [0, 1].into_iter());
        assert_eq!(m.allowed_at(&b), 4_100);
    }
}
