//! The producer driven by an application (a processor's task, a service's code) rather than
//! by the scenario's producer loop: it is handed records and transaction boundaries.

use super::{OffsetsStage, Phase, TxnOffsets};
use crate::client::producer::{Producer, ProducerOut};

impl Producer {
    /// Whether a processor may hand this producer records: initialised, not ending a
    /// transaction, not fenced.
    pub(crate) fn driven_ready(&self) -> bool {
        self.txn.as_ref().is_none_or(|t| matches!(t.phase, Phase::Ready | Phase::InTxn))
    }

    /// The index of its transactional id in the topology, if transactional.
    pub(crate) fn txn_index(&self) -> Option<u32> {
        self.txn.as_ref().map(|t| t.id)
    }

    /// Whether the producer stopped on a fatal error (fenced): it must be replaced.
    pub(crate) fn driven_fatal(&self) -> bool {
        self.txn.as_ref().is_some_and(|t| t.phase == Phase::Fatal)
    }

    /// Whether a transaction is open (records sent since the last commit or abort).
    pub(crate) fn driven_in_txn(&self) -> bool {
        self.txn.as_ref().is_some_and(|t| t.phase == Phase::InTxn)
    }

    /// Whether every record handed over so far is resolved (acknowledged or failed).
    pub(crate) fn driven_flushed(&self) -> bool {
        self.parts.iter().all(|q| q.pending.is_empty() && q.batches.is_empty())
    }

    /// `send(record)` to partition `p` of the topic (`beginTransaction()` first when needed).
    pub(crate) fn driven_send(&mut self, now: u64, record: u32, p: u32, out: &mut ProducerOut) {
        let was_in_txn = self.txn.as_ref().is_some_and(|t| t.phase == Phase::InTxn);
        self.driven_begin();
        if let Some(t) = self.txn.as_mut() {
            t.records.push(record);
        }
        self.enqueue(now, record, p, out);
        self.wake_sender(now, Some(p), was_in_txn, out);
    }

    /// `beginTransaction()`: a transaction is open from now (a no-op while one is).
    pub(crate) fn driven_begin(&mut self) {
        if let Some(t) = self.txn.as_mut() {
            if t.phase == Phase::Ready {
                t.phase = Phase::InTxn;
                t.records.clear();
                t.added.clear();
                t.abortable = false;
            }
        }
    }

    /// `flush()`: everything lingering goes out now.
    pub(crate) fn driven_flush(&mut self, now: u64, out: &mut ProducerOut) {
        self.stirred();
        self.flush_now(now);
        self.drain(now, out);
    }

    /// `sendOffsetsToTransaction(offsets)` then `commitTransaction()` (or `abortTransaction()`
    /// when `commit` is false). The answer comes as a `TxnEnded` history event.
    pub(crate) fn driven_end(&mut self, now: u64, commit: bool, offsets: Option<TxnOffsets>, out: &mut ProducerOut) {
        self.stirred();
        let t = self.txn_mut();
        if !matches!(t.phase, Phase::Ready | Phase::InTxn) {
            return;
        }
        if t.phase == Phase::Ready {
            t.records.clear();
            t.added.clear();
            t.abortable = false;
        }
        t.offsets = offsets.filter(|o| commit && !o.offsets.is_empty()).map(|o| (o, OffsetsStage::Add));
        t.phase = Phase::Ending(commit);
        self.flush_now(now);
        self.drain(now, out);
        self.txn_pump(now, out);
    }

    /// Whether the producer waits for the group coordinator to send TxnOffsetCommit.
    pub(crate) fn driven_wants_group_coordinator(&self) -> bool {
        self.txn.as_ref().is_some_and(|t| t.group_coordinator.is_none())
    }

    /// Whether the producer gave up on a group coordinator since the last
    /// [`driven_take_lost_group_coordinator`](Self::driven_take_lost_group_coordinator).
    pub(crate) fn driven_lost_group_coordinator(&self) -> bool {
        self.txn.as_ref().is_some_and(|t| t.lost_group_coordinator.is_some())
    }

    /// A group coordinator the producer gave up on since the last call (the consumer's may be
    /// stale too).
    pub(crate) fn driven_take_lost_group_coordinator(&mut self) -> Option<u32> {
        self.txn.as_mut().and_then(|t| t.lost_group_coordinator.take())
    }

    /// The group coordinator the processor's consumer found; a waiting TxnOffsetCommit goes out.
    pub(crate) fn driven_set_group_coordinator(&mut self, now: u64, broker: u32, out: &mut ProducerOut) {
        self.stirred();
        if let Some(t) = self.txn.as_mut() {
            t.group_coordinator = Some(broker);
            self.txn_pump(now, out);
        }
    }
}
