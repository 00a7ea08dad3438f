//! KIP-890 at the transaction coordinator: a broker asks, before a producer's first
//! transactional write to a partition, whether the partition is in the producer's ongoing
//! transaction (part 1, `TransactionCoordinator.handleVerifyPartitionsInTransaction`), or, under
//! transactions V2, has it added (part 2: the same transition as a client's AddPartitionsToTxn).

use super::is_prepare;
use crate::broker::coord::Reply;
use crate::broker::node::{Broker, BrokerOut};
use crate::broker::Msg;
use crate::error::KafkaError;
use crate::record::ReqId;
use crate::sim::NodeId;

impl Broker {
    /// A broker's AddPartitionsToTxn for `partition` of (`producer_id`, `epoch`) under
    /// transactional id `t`: `verify_only` checks, otherwise the partition is added.
    #[allow(clippy::too_many_arguments)]
    pub(in crate::broker) fn on_txn_verify(
        &mut self,
        now: u64,
        from: NodeId,
        req: ReqId,
        t: u32,
        (producer_id, epoch): (i64, i16),
        partition: u32,
        verify_only: bool,
        out: &mut BrokerOut,
    ) {
        if !verify_only {
            return self.on_add_to_txn(now, from, req, t, (producer_id, epoch), vec![partition], Reply::Verify, out);
        }
        let result = if !self.txn_coordinates(t) {
            Err(KafkaError::NotCoordinator)
        } else {
            match self.txns[t as usize].as_ref() {
                None => Err(KafkaError::InvalidProducerIdMapping),
                Some(m) if m.producer_id != producer_id => Err(KafkaError::InvalidProducerIdMapping),
                Some(m) if m.epoch != epoch => Err(KafkaError::ProducerFenced),
                Some(m) if is_prepare(m.state) => Err(KafkaError::ConcurrentTransactions),
                // A pending transition is not checked: the append checks the guard at the end.
                Some(m) if m.partitions.contains(&partition) => Ok(()),
                // Not part of the transaction: TRANSACTION_ABORTABLE from 3.8 (KAFKA-16314),
                // INVALID_TXN_STATE in 3.6 and 3.7.
                Some(_) if self.topo.version.transaction_abortable_error() => Err(KafkaError::TransactionAbortable),
                Some(_) => Err(KafkaError::InvalidTxnState),
            }
        };
        out.send(from, Msg::TxnVerifyResponse { req, result });
    }
}
