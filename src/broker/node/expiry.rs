//! Idle producer ids and transactional ids: the log manager's periodic `removeExpiredProducers`
//! on every log, and the transaction coordinator's `removeExpiredTransactionalIds`.

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
    pub(super) fn expire(&mut self, now: u64, out: &mut BrokerOut) {
        self.expire_transactional_ids(now, out);
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

#[cfg(test)]
mod tests {
    use crate::broker::log::{BatchTemplate, ReplicaLog, SeqCheck};
    use crate::error::KafkaError;

    /// `n` records of producer `pid` at `seq`, created at `at`.
    fn batch(pid: i64, seq: i32, n: u32, at: u64) -> BatchTemplate {
        BatchTemplate {
            producer_id: pid,
            producer_epoch: 0,
            base_sequence: seq,
            producer: 0,
            instance: 0,
            records: (0..n).collect::<Vec<_>>().into(),
            meta: None,
            transactional: false,
            timestamp: Some(at),
        }
    }

    #[test]
    fn an_idle_producer_id_is_forgotten_and_a_late_retry_of_its_batch_is_appended_again() {
        let mut log = ReplicaLog::default();
        log.append_as_leader_at(&batch(7, 0, 2, 100), 0, 105);
        log.append_as_leader_at(&batch(7, 2, 2, 200), 0, 205);
        log.expire_producers(10_199, 10_000);
        assert_eq!(log.check_producer(&batch(7, 2, 2, 200), true), Ok(SeqCheck::Duplicate(2)), "not idle long enough");
        log.expire_producers(10_200, 10_000);
        assert_eq!(log.check_producer(&batch(7, 2, 2, 200), true), Ok(SeqCheck::Append), "2.5+: any sequence");
        assert_eq!(
            log.check_producer(&batch(7, 2, 2, 200), false),
            Err(KafkaError::UnknownProducerId),
            "before 2.5 only a batch at sequence 0"
        );
        assert_eq!(log.check_producer(&batch(7, 0, 2, 100), false), Ok(SeqCheck::Append));
    }

    #[test]
    fn a_producer_id_with_an_open_transaction_does_not_expire() {
        let mut log = ReplicaLog::default();
        log.append_as_leader_at(&BatchTemplate { transactional: true, ..batch(7, 0, 2, 100) }, 0, 100);
        log.expire_producers(1_000_000, 10_000);
        assert!(log.in_transaction(7));
        assert_eq!(log.check_producer(&batch(7, 5, 1, 100), true), Err(KafkaError::OutOfOrderSequenceNumber));
    }

    #[test]
    fn a_truncation_does_not_bring_back_a_producer_id_that_expired() {
        let mut log = ReplicaLog::default();
        log.append_as_leader_at(&batch(7, 0, 2, 100), 0, 100);
        log.append_as_leader_at(&batch(8, 0, 2, 20_000), 0, 20_000);
        log.expire_producers(15_000, 10_000);
        log.truncate_to(3);
        assert_eq!(log.check_producer(&batch(7, 0, 2, 100), true), Ok(SeqCheck::Append), "7 stays forgotten");
        log.append_as_leader_at(&batch(8, 0, 2, 20_000), 0, 20_000);
        assert_eq!(log.check_producer(&batch(8, 0, 2, 20_000), true), Ok(SeqCheck::Duplicate(2)));
    }
}
