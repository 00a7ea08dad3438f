//! EndTxn at the transaction coordinator (section 3.7 of the Kafka model), for both protocol
//! generations: transactions V0/V1, where the epoch stays and a retry is recognised by the
//! state it finds, and transactions V2 (KIP-890 part 2, Kafka 4.0), where every commit or abort
//! bumps the producer epoch, the answer carries the new epoch for the next transaction, the
//! markers carry it too (so a late write of the finished transaction is fenced), and a retry is
//! recognised by the caller's epoch being one below the current one.

use super::{is_prepare, Reply};
use crate::broker::node::{Broker, BrokerOut};
use crate::broker::Msg;
use crate::error::KafkaError;
use crate::record::{ReqId, TxnRecord, TxnState};
use crate::sim::NodeId;

impl Broker {
    /// EndTxn(`commit`) from (`producer_id`, `epoch`) for transactional id `t`.
    #[allow(clippy::too_many_arguments)]
    pub(in crate::broker) fn on_end_txn(
        &mut self,
        now: u64,
        from: NodeId,
        req: ReqId,
        t: u32,
        (producer_id, epoch): (i64, i16),
        commit: bool,
        out: &mut BrokerOut,
    ) {
        if self.topo.version.txn_v2() {
            return self.on_end_txn_v2(now, from, req, t, (producer_id, epoch), commit, out);
        }
        // EndTxn before v5 answers no producer id or epoch (-1, -1).
        let reply = |out: &mut BrokerOut, result: Result<(), KafkaError>| {
            out.send(from, Msg::EndTxnResponse { req, result: result.map(|()| (-1, -1)) })
        };
        let m = match self.txn_for(t, producer_id, epoch) {
            Ok(m) => m,
            Err(e) => return reply(out, Err(e)),
        };
        if m.pending.is_some() {
            return reply(out, Err(KafkaError::ConcurrentTransactions));
        }
        match (m.state, commit) {
            (TxnState::Ongoing, _) => {
                let state = if commit { TxnState::PrepareCommit } else { TxnState::PrepareAbort };
                let record = TxnRecord { state, ..m.record(t) };
                self.txn_write(now, t, record, Some((from, req, Reply::EndTxn)), out);
            }
            (TxnState::CompleteCommit, true) | (TxnState::CompleteAbort, false) => reply(out, Ok(())),
            (TxnState::PrepareCommit, true) | (TxnState::PrepareAbort, false) => {
                reply(out, Err(KafkaError::ConcurrentTransactions))
            }
            _ => reply(out, Err(KafkaError::InvalidTxnState)),
        }
    }

    /// EndTxn under transactions V2 (`TransactionCoordinator.endTransaction` with a client of
    /// transaction version 2, after KAFKA-18464 checked a pending transition before the epoch):
    /// Ongoing moves to PrepareCommit / PrepareAbort with the epoch bumped; a retry of a call that
    /// bumped carries the epoch below the current one; an abort with no transaction open (Empty,
    /// or Complete* at the current epoch) is an empty abort that bumps the epoch too.
    #[allow(clippy::too_many_arguments)]
    fn on_end_txn_v2(
        &mut self,
        now: u64,
        from: NodeId,
        req: ReqId,
        t: u32,
        (producer_id, epoch): (i64, i16),
        commit: bool,
        out: &mut BrokerOut,
    ) {
        let reply = |out: &mut BrokerOut, result| out.send(from, Msg::EndTxnResponse { req, result });
        if !self.txn_coordinates(t) {
            return reply(out, Err(KafkaError::NotCoordinator));
        }
        let Some(m) = self.txns[t as usize].as_ref() else {
            return reply(out, Err(KafkaError::InvalidProducerIdMapping));
        };
        if m.producer_id != producer_id {
            return reply(out, Err(KafkaError::InvalidProducerIdMapping));
        }
        if m.pending.is_some() {
            return reply(out, Err(KafkaError::ConcurrentTransactions));
        }
        // `retryOnEpochBump`: the caller's EndTxn bumped the epoch already and it lost the answer.
        let retry = epoch.checked_add(1) == Some(m.epoch);
        let valid = match m.state {
            TxnState::Ongoing | TxnState::Empty | TxnState::PrepareEpochFence => epoch == m.epoch,
            TxnState::PrepareCommit | TxnState::PrepareAbort => retry,
            TxnState::CompleteCommit | TxnState::CompleteAbort => retry || epoch == m.epoch,
            // Never held in memory: the tombstone's write removes the id.
            TxnState::Dead => return reply(out, Err(KafkaError::InvalidProducerIdMapping)),
        };
        if !valid {
            return reply(out, Err(KafkaError::ProducerFenced));
        }
        let ids = (m.producer_id, m.epoch);
        // The transition that bumps the epoch: Prepare* with the current epoch as the last one.
        let bump = |state: TxnState, empty: bool| {
            let mut r =
                TxnRecord { state, producer_epoch: m.epoch.saturating_add(1), last_epoch: m.epoch, ..m.record(t) };
            if empty {
                // An abort with no partition: its start is now, and it has nothing to mark.
                r.partitions = Vec::new();
                r.started_at = now;
            }
            r
        };
        let record = match (m.state, commit) {
            (TxnState::Ongoing, true) => bump(TxnState::PrepareCommit, false),
            (TxnState::Ongoing, false) => bump(TxnState::PrepareAbort, false),
            (TxnState::CompleteCommit, true) | (TxnState::CompleteAbort, false) if retry => return reply(out, Ok(ids)),
            (TxnState::CompleteCommit | TxnState::CompleteAbort | TxnState::Empty, false) if !retry => {
                bump(TxnState::PrepareAbort, true)
            }
            (TxnState::PrepareCommit, true) | (TxnState::PrepareAbort, false) => {
                return reply(out, Err(KafkaError::ConcurrentTransactions))
            }
            _ => return reply(out, Err(KafkaError::InvalidTxnState)),
        };
        debug_assert!(!is_prepare(m.state));
        self.txn_write(now, t, record, Some((from, req, Reply::EndTxn)), out);
    }
}
