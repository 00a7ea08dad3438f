//! The producer's metadata: which broker it asks, when it may ask again (the refresh backoff of
//! Java's `Metadata`), and what an answer changes.

use super::*;

impl Producer {
    /// Ask a broker for metadata: the next one in round-robin order whose connection is up (or,
    /// with none up, once a connection is; see `Conns::pick`), once the refresh backoff since
    /// the last request has passed (Java's `Metadata.timeToNextUpdate`: a requested update waits
    /// `timeToAllowUpdate`, which grows exponentially with failed requests and with answers that
    /// brought nothing new, KIP-580 and KIP-951).
    pub(super) fn request_metadata(&mut self, now: u64, out: &mut ProducerOut) {
        if self.metadata_in_flight {
            return;
        }
        self.metadata_wanted = true;
        let allowed = self.metadata_backoff.allowed_at(&self.retry_backoff());
        if now < allowed {
            if !self.metadata_retry_armed.is_some_and(|t| t >= now && t <= allowed) {
                self.metadata_retry_armed = Some(allowed);
                out.timer(allowed - now, ProducerTimer::MetadataRetry);
            }
            return;
        }
        let b = self.conns.pick(self.metadata_rr, now);
        if !self.connected(now, b, out) {
            return;
        }
        self.metadata_wanted = false;
        self.metadata_in_flight = true;
        self.metadata_id += 1;
        self.metadata_rr = b;
        self.send_request(b, Msg::MetadataRequest, out);
        out.timer(METADATA_TIMEOUT_MS, ProducerTimer::MetadataTimeout { id: self.metadata_id });
    }

    pub(super) fn on_metadata(&mut self, now: u64, states: &[PartitionState], out: &mut ProducerOut) {
        self.metadata_in_flight = false;
        let mut missing = states.is_empty();
        for (i, l) in self.leaders.iter_mut().enumerate() {
            match states.get(self.first_partition as usize + i) {
                Some(PartitionState { leader: Some(b), leader_epoch, .. }) => *l = Some((*b, *leader_epoch)),
                _ => {
                    *l = None;
                    missing = true;
                }
            }
        }
        // `Metadata.update`: an answer with no higher leader epoch counts as equivalent, and
        // the refresh asked for because a partition still has no leader waits longer each time.
        let first = self.first_partition as usize;
        let epochs = states.iter().skip(first).take(self.leaders.len()).map(|s| s.leader_epoch);
        self.metadata_backoff.answered(now, epochs);
        if missing {
            self.request_metadata(now, out);
        }
        self.drain(now, out);
    }

    /// The producer's `retry.backoff.ms` growing to `retry.backoff.max.ms` (KIP-580).
    pub(crate) fn retry_backoff(&self) -> ExponentialBackoff {
        ExponentialBackoff::new(self.spec.config.retry_backoff_ms, self.spec.config.retry_backoff_max_ms)
    }
}
