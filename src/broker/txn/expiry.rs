//! Expired transactional ids (`TransactionStateManager.removeExpiredTransactionalIds`).

use super::*;

impl Broker {
    /// Forget the transactional ids this coordinator holds that have had no transaction for
    /// `transactional.id.expiration.ms`: an id in Empty, CompleteCommit or CompleteAbort with no
    /// transition in flight gets a tombstone in `__transaction_state`, and once it is written the
    /// id is gone. Its producer's next AddPartitionsToTxn, AddOffsetsToTxn or EndTxn is then
    /// INVALID_PRODUCER_ID_MAPPING, and its next InitProducerId starts a new producer id.
    ///
    /// Kafka looks every `transaction.remove.expired.transaction.cleanup.interval.ms` from
    /// startup; the model looks when the broker handles its first event after each of those
    /// instants (its heartbeats and replica fetches come every few milliseconds to seconds), so
    /// no timer of its own enters the trace.
    pub(in crate::broker) fn expire_transactional_ids(&mut self, now: u64, out: &mut BrokerOut) {
        if now < self.next_txn_id_expiry {
            return;
        }
        let c = &self.topo.config;
        let interval = c.transaction_remove_expired_transaction_cleanup_interval_ms.max(1);
        let due = self.next_txn_id_expiry + (now - self.next_txn_id_expiry) / interval * interval;
        self.next_txn_id_expiry = due + interval;
        let Some(through) = due.checked_sub(c.transactional_id_expiration_ms) else { return };
        let expired: Vec<u32> = (0..self.txns.len() as u32)
            .filter(|&t| {
                self.txns[t as usize].as_ref().is_some_and(|m| {
                    m.pending.is_none()
                        && matches!(m.state, TxnState::Empty | TxnState::CompleteCommit | TxnState::CompleteAbort)
                        && m.last_update <= through
                })
            })
            .filter(|&t| self.txn_coordinates(t))
            .collect();
        for t in expired {
            let m = self.txns[t as usize].as_ref().expect("expired id");
            let record = TxnRecord { state: TxnState::Dead, partitions: Vec::new(), ..m.record(t) };
            self.txn_write(now, t, record, None, out);
        }
    }
}
