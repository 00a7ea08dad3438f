//! Idle producer ids: the log manager's periodic `removeExpiredProducers` on every log.

use super::*;

impl Broker {
    /// How long a partition keeps an idle producer id, and how often the log manager looks
    /// (`producer.id.expiration.ms` and its check interval from 3.4, KIP-854; before,
    /// `transactional.id.expiration.ms` every ten minutes).
    pub(super) fn producer_id_expiry(&self) -> (u64, u64) {
        self.topo.config.producer_id_expiry(self.topo.version)
    }

    /// Kafka's `LogManager` runs `removeExpiredProducers` on every log one interval after
    /// startup and every interval after that. The model runs the latest check that fell due
    /// just before the broker handles its next event: nothing reads a partition's producer state
    /// between two events of its broker, and expiry is monotone (an id idle at an earlier check
    /// is idle at a later one unless a write, itself an event, came between), so the result is
    /// the same as a timer's without a timer in the trace.
    pub(super) fn expire(&mut self, now: u64) {
        if now < self.next_producer_expiry {
            return;
        }
        let (expiration, interval) = self.producer_id_expiry();
        let interval = interval.max(1);
        let due = self.next_producer_expiry + (now - self.next_producer_expiry) / interval * interval;
        self.next_producer_expiry = due + interval;
        for r in self.replicas.iter_mut().flatten() {
            r.log.expire_producers(due, expiration);
        }
    }
}
