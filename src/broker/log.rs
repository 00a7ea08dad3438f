//! One replica's log: batches with offsets and leader epochs, the leader-epoch cache, the
//! flushed offset (what survives a power loss) and the producer state derived from the log.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use crate::error::KafkaError;
use crate::record::{LogBatch, MetaRecord, RecordList};

/// Batches a broker remembers per producer id for duplicate detection (Kafka's
/// `ProducerStateEntry.NUM_BATCHES_TO_RETAIN`).
pub const BATCHES_TO_RETAIN: usize = 5;

/// What an idempotent producer's batch carries before the leader gives it offsets.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchTemplate {
    /// Producer id (-1 without idempotence).
    pub producer_id: i64,
    /// Producer epoch (-1 without idempotence).
    pub producer_epoch: i16,
    /// Sequence of the first record (-1 without idempotence).
    pub base_sequence: i32,
    /// Writing producer (scenario index).
    pub producer: u32,
    /// Writing instance (a header the client stamps).
    pub instance: u32,
    /// The records.
    pub records: RecordList,
    /// An internal-topic record instead of workload records.
    pub meta: Option<Arc<crate::record::MetaRecord>>,
    /// Part of a transaction.
    pub transactional: bool,
    /// When the producer created the batch (`CreateTime`); `None`: the leader stamps its own
    /// time (markers and coordinator writes).
    pub timestamp: Option<u64>,
}

impl BatchTemplate {
    /// Offsets the batch will occupy.
    pub fn len(&self) -> u64 {
        if self.meta.is_some() {
            1
        } else {
            self.records.len() as u64
        }
    }

    /// A transaction marker for `producer_id` at `producer_epoch` (a control batch).
    pub fn marker(producer_id: i64, producer_epoch: i16, commit: bool, coordinator_epoch: i32) -> Self {
        BatchTemplate {
            producer_id,
            producer_epoch,
            base_sequence: -1,
            producer: u32::MAX,
            instance: 0,
            records: RecordList::EMPTY,
            meta: Some(Arc::new(MetaRecord::TxnMarker { commit, coordinator_epoch })),
            transactional: true,
            timestamp: None,
        }
    }

    /// A coordinator's write to an internal topic: no producer id, one record.
    pub fn internal(meta: crate::record::MetaRecord) -> Self {
        BatchTemplate {
            producer_id: -1,
            producer_epoch: -1,
            base_sequence: -1,
            producer: u32::MAX,
            instance: 0,
            records: RecordList::EMPTY,
            meta: Some(Arc::new(meta)),
            transactional: false,
            timestamp: None,
        }
    }
}

/// One retained batch of a producer: sequences and where it landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct SeqBatch {
    first_seq: i32,
    last_seq: i32,
    base_offset: u64,
}

/// Per-producer-id state, rebuilt from the log.
#[derive(Debug, Clone, PartialEq)]
struct ProducerEntry {
    epoch: i16,
    batches: VecDeque<SeqBatch>,
    /// Epoch of the coordinator that wrote this producer's last marker (-1: none).
    coordinator_epoch: i32,
    /// First offset of this producer's open transaction on this partition.
    txn_first: Option<u64>,
    /// Timestamp of the producer's last batch or marker here (`lastTimestamp`).
    last_timestamp: u64,
}

impl Default for ProducerEntry {
    fn default() -> Self {
        // Room for the batches kept from the start: growing to five takes two allocations.
        let batches = VecDeque::with_capacity(BATCHES_TO_RETAIN);
        ProducerEntry { epoch: 0, batches, coordinator_epoch: -1, txn_first: None, last_timestamp: 0 }
    }
}

/// An aborted transaction on this partition (Kafka's `AbortedTxn` index entry): a
/// read_committed reader drops the producer's transactional batches in `[first, marker)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AbortedTxn {
    /// Producer id.
    pub producer_id: i64,
    /// First offset of the transaction.
    pub first: u64,
    /// Offset of its ABORT marker.
    pub marker: u64,
}

/// Outcome of validating a producer batch against the producer state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeqCheck {
    /// Append it.
    Append,
    /// Already in the log at this base offset: answer success without appending.
    Duplicate(u64),
}

/// A replica's log.
#[derive(Debug, Clone, Default)]
pub struct ReplicaLog {
    batches: Vec<Arc<LogBatch>>,
    leo: u64,
    flushed: u64,
    /// (epoch, start offset), ascending.
    epochs: Vec<(u32, u64)>,
    producers: BTreeMap<i64, ProducerEntry>,
    /// Open transactions: first offset → producer id.
    ongoing: BTreeMap<u64, i64>,
    /// Ended transactions whose marker may not be below the high watermark yet:
    /// (first offset, marker offset), in marker order.
    ended: VecDeque<(u64, u64)>,
    /// Aborted transactions, in marker order.
    aborted: Vec<AbortedTxn>,
    /// KIP-890 verification guards (`ProducerStateManager.verificationStates`): per producer id
    /// with no open transaction here, the token of the verification under way, the highest epoch
    /// it was asked for, and whether that is a transactions V2 write. Memory only: a restart
    /// forgets them, and any transactional batch of the producer (data or marker) appended here
    /// clears its guard, so a verification answered after an abort marker no longer matches (the
    /// ABA race the guard exists for); except, under transactions V2, a marker of the guard's own
    /// epoch: the last transaction's marker, which V2 writes with the next transaction's epoch.
    verifying: BTreeMap<i64, (u64, i16, bool)>,
    /// The latest producer-id expiry check (`removeExpiredProducers`) forgot every producer id
    /// with no open transaction whose last timestamp is at or below this; a rebuild of the
    /// producer state after a truncation forgets them again, as Kafka's reload from a snapshot
    /// taken after the expiry would.
    expired_through: Option<u64>,
}

fn last_seq(base: i32, n: usize) -> i32 {
    // Sequences wrap from i32::MAX to 0 (Kafka's rule).
    ((base as i64 + n as i64 - 1) % (i32::MAX as i64 + 1)) as i32
}

fn next_seq(last: i32) -> i32 {
    if last == i32::MAX {
        0
    } else {
        last + 1
    }
}

impl ReplicaLog {
    /// Log end offset.
    pub fn leo(&self) -> u64 {
        self.leo
    }

    /// Offset up to which the log is flushed (survives a power loss).
    pub fn flushed(&self) -> u64 {
        self.flushed
    }

    /// The batches.
    pub fn batches(&self) -> &[Arc<LogBatch>] {
        &self.batches
    }

    /// Epoch of the last batch, if any (a follower's `lastFetchedEpoch`).
    pub fn last_epoch(&self) -> Option<u32> {
        self.batches.last().map(|b| b.leader_epoch)
    }

    /// Latest epoch in the epoch cache (including a new leader's entry with no data yet).
    pub fn latest_cached_epoch(&self) -> Option<u32> {
        self.epochs.last().map(|e| e.0)
    }

    /// Record that a leader of `epoch` starts writing at the current LEO (a new leader does this).
    pub fn assign_epoch_start(&mut self, epoch: u32) {
        let leo = self.leo;
        self.assign(epoch, leo);
    }

    /// Kafka's `LeaderEpochFileCache.assign`: a new (epoch, start) entry replaces every entry
    /// with an epoch or a start offset at least as large, so no two entries share a start.
    fn assign(&mut self, epoch: u32, start: u64) {
        if self.epochs.last().is_some_and(|&(e, s)| e == epoch && s <= start) {
            return;
        }
        while self.epochs.last().is_some_and(|&(e, s)| e >= epoch || s >= start) {
            self.epochs.pop();
        }
        self.epochs.push((epoch, start));
        crate::invariant!(
            7,
            self.epochs.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 < w[1].1),
            "the leader-epoch cache is not ascending: {:?}",
            self.epochs
        );
    }

    /// Kafka's `endOffsetFor(epoch)`: the largest cached epoch `<= epoch` and the start of the
    /// next higher epoch (or LEO). `None` when no cached epoch is `<= epoch`.
    pub fn end_offset_for(&self, epoch: u32) -> Option<(u32, u64)> {
        let i = self.epochs.partition_point(|e| e.0 <= epoch);
        if i == 0 {
            return None;
        }
        let (e, _) = self.epochs[i - 1];
        let end = self.epochs.get(i).map_or(self.leo, |n| n.1);
        Some((e, end))
    }

    /// Start offset of the earliest cached epoch (0 for an empty cache).
    pub fn earliest_epoch_start(&self) -> u64 {
        self.epochs.first().map_or(0, |e| e.1)
    }

    /// Validate an idempotent batch as the leader does before appending it; `kip360` says the
    /// release takes any sequence from a producer id it has no state for (2.5+).
    pub fn check_producer(&self, t: &BatchTemplate, kip360: bool) -> Result<SeqCheck, KafkaError> {
        if t.producer_id < 0 {
            return Ok(SeqCheck::Append);
        }
        let Some(entry) = self.producers.get(&t.producer_id) else {
            // No state for this producer id (new, expired, or truncated away): from 2.5 any
            // sequence is accepted; before, only a batch starting at 0, and the rest are
            // UNKNOWN_PRODUCER_ID (`ProducerStateManager.checkSequence`, changed by KIP-360).
            return if kip360 || t.base_sequence == 0 {
                Ok(SeqCheck::Append)
            } else {
                Err(KafkaError::UnknownProducerId)
            };
        };
        let last = last_seq(t.base_sequence, t.records.len());
        if t.producer_epoch == entry.epoch {
            if let Some(b) = entry.batches.iter().find(|b| b.first_seq == t.base_sequence && b.last_seq == last) {
                return Ok(SeqCheck::Duplicate(b.base_offset));
            }
        }
        if t.producer_epoch < entry.epoch {
            return Err(KafkaError::InvalidProducerEpoch);
        }
        if t.producer_epoch > entry.epoch {
            return if t.base_sequence == 0 { Ok(SeqCheck::Append) } else { Err(KafkaError::OutOfOrderSequenceNumber) };
        }
        // Same epoch: the batch follows the last one retained; with none retained (a marker of a
        // newer epoch cleared them: a fence, or a transactions V2 commit or abort) it must start
        // the epoch at 0 (`ProducerAppendInfo.checkSequence`: `inSequence(NO_SEQUENCE, seq)`).
        let Some(last) = entry.batches.back().map(|b| b.last_seq) else {
            // Before 2.5 a known epoch with no sequence to follow (only a marker of the producer
            // is left) was UNKNOWN_PRODUCER_ID, so the client could reset its sequences.
            return match t.base_sequence {
                0 => Ok(SeqCheck::Append),
                _ if kip360 => Err(KafkaError::OutOfOrderSequenceNumber),
                _ => Err(KafkaError::UnknownProducerId),
            };
        };
        if t.base_sequence != next_seq(last) {
            return Err(KafkaError::OutOfOrderSequenceNumber);
        }
        Ok(SeqCheck::Append)
    }

    fn update_producer(&mut self, b: &LogBatch) {
        if b.producer_id < 0 {
            return;
        }
        let e = self.producers.entry(b.producer_id).or_default();
        e.last_timestamp = b.timestamp;
        crate::invariant!(
            18,
            b.producer_epoch >= e.epoch,
            "producer {} went back from epoch {} to {} at offset {}",
            b.producer_id,
            e.epoch,
            b.producer_epoch,
            b.base_offset
        );
        if b.producer_epoch != e.epoch {
            e.epoch = b.producer_epoch;
            e.batches.clear();
        }
        if let Some(MetaRecord::TxnMarker { commit, coordinator_epoch }) = b.meta.as_deref() {
            // Kafka's appendEndTxnMarker: the marker ends the producer's open transaction here.
            crate::invariant!(
                28,
                *coordinator_epoch >= e.coordinator_epoch,
                "producer {}: a marker of coordinator epoch {coordinator_epoch} after one of {} at offset {}",
                b.producer_id,
                e.coordinator_epoch,
                b.base_offset
            );
            e.coordinator_epoch = *coordinator_epoch;
            if let Some(first) = e.txn_first.take() {
                self.ongoing.remove(&first);
                self.ended.push_back((first, b.base_offset));
                if !commit {
                    self.aborted.push(AbortedTxn { producer_id: b.producer_id, first, marker: b.base_offset });
                }
            }
            return;
        }
        if b.transactional && e.txn_first.is_none() {
            e.txn_first = Some(b.base_offset);
            self.ongoing.insert(b.base_offset, b.producer_id);
        }
        crate::invariant!(
            18,
            b.base_sequence < 0
                || e.batches
                    .back()
                    .is_none_or(|p| b.base_sequence > p.last_seq || b.base_sequence == next_seq(p.last_seq)),
            "producer {} epoch {}: sequence {} at offset {} follows sequence {}",
            b.producer_id,
            e.epoch,
            b.base_sequence,
            b.base_offset,
            e.batches.back().map_or(-1, |p| p.last_seq)
        );
        if e.batches.len() == BATCHES_TO_RETAIN {
            e.batches.pop_front();
        }
        e.batches.push_back(SeqBatch {
            first_seq: b.base_sequence,
            last_seq: last_seq(b.base_sequence, b.records.len()),
            base_offset: b.base_offset,
        });
    }

    /// Append a producer batch as leader at the LEO, stamped with `epoch`, at time 0.
    #[cfg(test)]
    pub fn append_as_leader(&mut self, t: &BatchTemplate, epoch: u32) -> Arc<LogBatch> {
        self.append_as_leader_at(t, epoch, 0)
    }

    /// Append a producer batch as leader at the LEO at time `now`, stamped with `epoch`;
    /// returns the batch.
    pub fn append_as_leader_at(&mut self, t: &BatchTemplate, epoch: u32, now: u64) -> Arc<LogBatch> {
        let b = Arc::new(LogBatch {
            base_offset: self.leo,
            leader_epoch: epoch,
            producer_id: t.producer_id,
            producer_epoch: t.producer_epoch,
            base_sequence: t.base_sequence,
            producer: t.producer,
            instance: t.instance,
            records: t.records.clone(),
            meta: t.meta.clone(),
            transactional: t.transactional,
            timestamp: t.timestamp.unwrap_or(now),
        });
        self.append(b.clone());
        b
    }

    /// Append a batch replicated from the leader (it must start at our LEO).
    pub fn append(&mut self, b: Arc<LogBatch>) {
        self.append_replicated(b, false);
    }

    /// Append a batch replicated from the leader; `forked_ok` says the release may leave a
    /// forked suffix behind (before KIP-279), so a batch may follow one of a later epoch: the
    /// epoch cache then ignores it, as 1.x's `LeaderEpochFileCache.assign` ignored an epoch
    /// below its latest.
    pub fn append_replicated(&mut self, b: Arc<LogBatch>, forked_ok: bool) {
        let forked = forked_ok && self.latest_cached_epoch().is_some_and(|e| e > b.leader_epoch);
        debug_assert_eq!(b.base_offset, self.leo);
        crate::invariant!(3, b.base_offset == self.leo, "a batch at {} appended at LEO {}", b.base_offset, self.leo);
        crate::invariant!(
            6,
            forked || self.batches.last().is_none_or(|l| l.leader_epoch <= b.leader_epoch),
            "a batch of leader epoch {} at {} follows one of epoch {:?}",
            b.leader_epoch,
            b.base_offset,
            self.last_epoch()
        );
        if !forked && self.epochs.last().is_none_or(|e| e.0 != b.leader_epoch) {
            self.assign(b.leader_epoch, b.base_offset);
        }
        self.update_producer(&b);
        if b.transactional && b.producer_id >= 0 {
            // `UnifiedLog.updateProducers`: the transaction is complete or has a first offset (the
            // V2 exception since KAFKA-18654: `isV2NextTransactionStarted`).
            let next_started = self
                .verifying
                .get(&b.producer_id)
                .is_some_and(|&(_, epoch, v2)| v2 && b.marker().is_some() && b.producer_epoch == epoch);
            if !next_started {
                self.verifying.remove(&b.producer_id);
            }
        }
        self.leo = b.next_offset();
        self.batches.push(b);
    }

    /// `maybeStartTransactionVerification`: the guard of a verification for `producer_id` at
    /// `epoch` (`v2`: transactions V2), the one under way if any (its epoch raised to `epoch` when
    /// higher, as `maybeUpdateLowestSequenceAndEpoch` does), else `token`, which becomes it.
    pub fn start_verification(&mut self, producer_id: i64, token: u64, epoch: i16, v2: bool) -> u64 {
        let e = self.verifying.entry(producer_id).or_insert((token, epoch, v2));
        e.1 = e.1.max(epoch);
        e.0
    }

    /// The guard of the verification under way for `producer_id`, if any.
    pub fn verification_guard(&self, producer_id: i64) -> Option<u64> {
        self.verifying.get(&producer_id).map(|v| v.0)
    }

    /// Forget every verification (they live in memory: a restarted broker has none).
    pub fn clear_verifications(&mut self) {
        self.verifying.clear();
    }

    /// Flush the page cache to disk up to the LEO.
    pub fn flush(&mut self) {
        self.flushed = self.leo;
        crate::invariant!(5, self.flushed <= self.leo, "flushed {} past LEO {}", self.flushed, self.leo);
    }

    /// Unflushed record count.
    pub fn unflushed(&self) -> u64 {
        self.leo - self.flushed
    }

    /// Truncate to `offset` (batches are cut whole: a batch straddling it is removed, as Kafka
    /// truncates to batch boundaries), then rebuild the derived state.
    pub fn truncate_to(&mut self, offset: u64) {
        if offset >= self.leo {
            // Kafka still drops epoch entries that start at the LEO: a broker that led an epoch
            // without appending to it would otherwise keep offering that epoch to its new leader.
            let leo = self.leo;
            self.epochs.retain(|e| e.1 < leo);
            return;
        }
        let keep = self.batches.partition_point(|b| b.next_offset() <= offset);
        self.batches.truncate(keep);
        self.leo = self.batches.last().map_or(0, |b| b.next_offset());
        self.flushed = self.flushed.min(self.leo);
        crate::invariant!(
            5,
            self.flushed <= self.leo,
            "flushed {} past LEO {} after truncation",
            self.flushed,
            self.leo
        );
        crate::invariant!(
            3,
            self.leo <= offset && self.batches.last().is_none_or(|b| b.next_offset() == self.leo),
            "truncation to {offset} left LEO {}",
            self.leo
        );
        let leo = self.leo;
        self.epochs.retain(|e| e.1 < leo);
        // Rebuild the producer state from the remaining log (Kafka reloads it on truncation).
        self.producers.clear();
        self.ongoing.clear();
        self.ended.clear();
        self.aborted.clear();
        let batches = std::mem::take(&mut self.batches);
        for b in &batches {
            self.update_producer(b);
        }
        self.batches = batches;
        if let Some(through) = self.expired_through {
            self.forget_producers(through);
        }
    }

    /// Kafka's `removeExpiredProducers` at time `now`: forget every producer id with no open
    /// transaction here whose last batch or marker is `expiration_ms` old or older. A later batch
    /// of such a producer meets no state: any sequence is taken (2.5+), so a late retry of a
    /// batch already in the log is appended again.
    pub fn expire_producers(&mut self, now: u64, expiration_ms: u64) {
        let Some(through) = now.checked_sub(expiration_ms) else { return };
        self.expired_through = Some(through);
        self.forget_producers(through);
    }

    fn forget_producers(&mut self, through: u64) {
        self.producers.retain(|_, e| e.txn_first.is_some() || e.last_timestamp > through);
    }

    /// Validate a transaction marker for `producer_id` as the leader does before appending it
    /// (`ProducerAppendInfo.appendEndTxnMarker`): an older producer epoch is
    /// INVALID_PRODUCER_EPOCH, an older coordinator epoch TRANSACTION_COORDINATOR_FENCED.
    pub fn check_marker(
        &self,
        producer_id: i64,
        producer_epoch: i16,
        coordinator_epoch: i32,
    ) -> Result<(), KafkaError> {
        let Some(e) = self.producers.get(&producer_id) else { return Ok(()) };
        if producer_epoch < e.epoch {
            return Err(KafkaError::InvalidProducerEpoch);
        }
        if coordinator_epoch < e.coordinator_epoch {
            return Err(KafkaError::TransactionCoordinatorFenced);
        }
        Ok(())
    }

    /// The last stable offset for high watermark `hw`: the first offset of the earliest
    /// transaction that is open, or ended with a marker not yet below `hw`; `hw` if none.
    pub fn lso(&self, hw: u64) -> u64 {
        let open = self.ongoing.keys().next().copied();
        let unreplicated = self.ended.iter().filter(|&&(_, marker)| marker >= hw).map(|&(first, _)| first).min();
        open.into_iter().chain(unreplicated).fold(hw, u64::min)
    }

    /// The leader's high watermark reached `hw`: forget ended transactions whose markers it
    /// passed (they no longer hold the last stable offset back).
    pub fn forget_stable(&mut self, hw: u64) {
        while self.ended.front().is_some_and(|&(_, marker)| marker < hw) {
            self.ended.pop_front();
        }
    }

    /// Aborted transactions whose range overlaps `[from, to)`: what a read_committed fetch of
    /// that range returns beside the records, for the reader to drop.
    pub fn aborted_between(&self, from: u64, to: u64) -> Vec<AbortedTxn> {
        self.aborted.iter().filter(|a| a.marker >= from && a.first < to).copied().collect()
    }

    /// The epoch this partition last saw for `producer_id` (from its data or markers).
    pub fn producer_epoch(&self, producer_id: i64) -> Option<i16> {
        self.producers.get(&producer_id).map(|e| e.epoch)
    }

    /// Whether `producer_id` has an open transaction at `epoch` on this partition: 4.x's
    /// `UnifiedLog.hasOngoingTransaction(producerId, producerEpoch)`, for transactions V2, where a
    /// newer epoch means the open transaction has ended at the coordinator and only its marker is
    /// still on its way.
    pub fn in_transaction_at(&self, producer_id: i64, epoch: i16) -> bool {
        self.producers.get(&producer_id).is_some_and(|e| e.txn_first.is_some() && e.epoch == epoch)
    }

    /// Whether `producer_id` has an open transaction on this partition
    /// (`UnifiedLog.hasOngoingTransaction`).
    pub fn in_transaction(&self, producer_id: i64) -> bool {
        self.producers.get(&producer_id).is_some_and(|e| e.txn_first.is_some())
    }

    /// Batches from `offset` on, at most `max` of them.
    pub fn read_from(&self, offset: u64, max: usize) -> Vec<Arc<LogBatch>> {
        let i = self.batches.partition_point(|b| b.next_offset() <= offset);
        self.batches[i..].iter().take(max).cloned().collect()
    }

    /// Records in `[from, to)` offsets, with their offset (for trigger checks).
    pub fn records_between(&self, from: u64, to: u64) -> impl Iterator<Item = (&LogBatch, u64, u32)> + '_ {
        let i = self.batches.partition_point(|b| b.next_offset() <= from);
        self.batches[i..].iter().take_while(move |b| b.base_offset < to).flat_map(move |b| {
            b.records
                .iter()
                .enumerate()
                .map(move |(k, r)| (&**b, b.base_offset + k as u64, r))
                .filter(move |&(_, o, _)| o >= from && o < to)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(pid: i64, epoch: i16, seq: i32, n: u32) -> BatchTemplate {
        BatchTemplate {
            producer_id: pid,
            producer_epoch: epoch,
            base_sequence: seq,
            producer: 0,
            instance: 0,
            records: (0..n).collect::<Vec<_>>().into(),
            meta: None,
            transactional: false,
            timestamp: None,
        }
    }

    fn txn(pid: i64, seq: i32, n: u32) -> BatchTemplate {
        BatchTemplate { transactional: true, ..t(pid, 0, seq, n) }
    }

    #[test]
    fn an_open_transaction_holds_the_last_stable_offset_at_its_first_offset() {
        let mut log = ReplicaLog::default();
        log.append_as_leader(&t(-1, -1, -1, 2), 0);
        log.append_as_leader(&txn(7, 0, 3), 0);
        log.append_as_leader(&t(-1, -1, -1, 2), 0);
        assert_eq!(log.lso(7), 2, "records after the open transaction wait too");
        assert!(log.in_transaction(7));
        assert_eq!(log.lso(1), 1, "never above the high watermark");
    }

    #[test]
    fn the_last_stable_offset_passes_a_transaction_once_its_marker_is_below_the_high_watermark() {
        let mut log = ReplicaLog::default();
        log.append_as_leader(&txn(7, 0, 3), 0);
        log.append_as_leader(&BatchTemplate::marker(7, 0, true, 0), 0);
        assert_eq!(log.leo(), 4, "a marker occupies one offset");
        assert!(!log.in_transaction(7));
        assert_eq!(log.lso(3), 0, "the marker at offset 3 is not replicated yet");
        assert_eq!(log.lso(4), 4);
        assert!(log.aborted_between(0, 4).is_empty(), "a committed transaction is not in the aborted index");
    }

    #[test]
    fn an_aborted_transaction_enters_the_aborted_index() {
        let mut log = ReplicaLog::default();
        log.append_as_leader(&t(-1, -1, -1, 2), 0);
        log.append_as_leader(&txn(7, 0, 3), 0);
        log.append_as_leader(&BatchTemplate::marker(7, 0, false, 0), 0);
        let a = AbortedTxn { producer_id: 7, first: 2, marker: 5 };
        assert_eq!(log.aborted_between(0, 6), vec![a]);
        assert_eq!(log.aborted_between(6, 9), vec![]);
        assert_eq!(log.aborted_between(0, 2), vec![], "the range ends before the transaction starts");
    }

    #[test]
    fn markers_from_an_older_coordinator_or_producer_epoch_are_fenced() {
        let mut log = ReplicaLog::default();
        log.append_as_leader(&BatchTemplate { producer_epoch: 2, ..txn(7, 0, 1) }, 0);
        log.append_as_leader(&BatchTemplate::marker(7, 2, false, 3), 0);
        assert_eq!(log.check_marker(7, 2, 2), Err(KafkaError::TransactionCoordinatorFenced));
        assert_eq!(log.check_marker(7, 1, 3), Err(KafkaError::InvalidProducerEpoch));
        assert_eq!(log.check_marker(7, 3, 3), Ok(()), "a fencing marker carries a newer epoch");
        assert_eq!(log.check_marker(8, 0, 0), Ok(()), "a producer with no data here may still be marked");
    }

    #[test]
    fn truncating_away_a_marker_reopens_its_transaction() {
        let mut log = ReplicaLog::default();
        log.append_as_leader(&t(-1, -1, -1, 2), 0);
        log.append_as_leader(&txn(7, 0, 3), 0);
        log.append_as_leader(&BatchTemplate::marker(7, 0, false, 0), 0);
        log.truncate_to(5);
        assert!(log.in_transaction(7));
        assert_eq!(log.lso(5), 2);
        assert!(log.aborted_between(0, 9).is_empty());
    }

    #[test]
    fn retried_batch_within_window_is_answered_with_its_original_offset() {
        let mut log = ReplicaLog::default();
        log.append_as_leader(&t(7, 0, 0, 3), 0);
        log.append_as_leader(&t(7, 0, 3, 2), 0);
        assert_eq!(log.check_producer(&t(7, 0, 0, 3), true), Ok(SeqCheck::Duplicate(0)));
        assert_eq!(log.check_producer(&t(7, 0, 3, 2), true), Ok(SeqCheck::Duplicate(3)));
        assert_eq!(log.check_producer(&t(7, 0, 5, 1), true), Ok(SeqCheck::Append));
    }

    #[test]
    fn sequence_gap_is_out_of_order_and_older_epoch_is_fenced() {
        let mut log = ReplicaLog::default();
        log.append_as_leader(&t(7, 1, 0, 3), 0);
        assert_eq!(log.check_producer(&t(7, 1, 4, 1), true), Err(KafkaError::OutOfOrderSequenceNumber));
        assert_eq!(log.check_producer(&t(7, 0, 3, 1), true), Err(KafkaError::InvalidProducerEpoch));
        assert_eq!(
            log.check_producer(&t(8, 0, 42, 1), true),
            Ok(SeqCheck::Append),
            "unknown producer id accepts any sequence"
        );
    }

    #[test]
    fn a_batch_older_than_the_five_batch_window_is_not_deduplicated() {
        let mut log = ReplicaLog::default();
        for i in 0..6 {
            log.append_as_leader(&t(7, 0, i, 1), 0);
        }
        assert_eq!(log.check_producer(&t(7, 0, 0, 1), true), Err(KafkaError::OutOfOrderSequenceNumber));
        assert_eq!(log.check_producer(&t(7, 0, 1, 1), true), Ok(SeqCheck::Duplicate(1)));
    }

    #[test]
    fn truncation_forgets_producer_state_of_removed_batches() {
        let mut log = ReplicaLog::default();
        log.append_as_leader(&t(7, 0, 0, 2), 0);
        log.append_as_leader(&t(7, 0, 2, 2), 1);
        log.truncate_to(2);
        assert_eq!(log.leo(), 2);
        assert_eq!(log.check_producer(&t(7, 0, 2, 2), true), Ok(SeqCheck::Append));
        assert_eq!(log.end_offset_for(1), Some((0, 2)));
    }

    #[test]
    fn an_epoch_without_data_is_dropped_by_truncation_at_the_log_end() {
        let mut log = ReplicaLog::default();
        log.append_as_leader(&t(-1, -1, -1, 2), 0);
        log.assign_epoch_start(3); // led epoch 3, wrote nothing
        assert_eq!(log.latest_cached_epoch(), Some(3));
        log.truncate_to(2);
        assert_eq!(log.latest_cached_epoch(), Some(0));
    }

    #[test]
    fn a_new_epoch_entry_replaces_one_at_the_same_start_offset() {
        let mut log = ReplicaLog::default();
        log.assign_epoch_start(3);
        log.assign_epoch_start(9);
        assert_eq!(log.end_offset_for(5), None, "epoch 3 had no data and is gone");
        assert_eq!(log.end_offset_for(9), Some((9, 0)));
    }

    #[test]
    fn end_offset_for_epoch_uses_the_next_epochs_start() {
        let mut log = ReplicaLog::default();
        log.append_as_leader(&t(-1, -1, -1, 2), 0);
        log.append_as_leader(&t(-1, -1, -1, 3), 2);
        log.assign_epoch_start(5);
        assert_eq!(log.end_offset_for(0), Some((0, 2)));
        assert_eq!(log.end_offset_for(1), Some((0, 2)));
        assert_eq!(log.end_offset_for(3), Some((2, 5)));
        assert_eq!(log.end_offset_for(9), Some((5, 5)));
    }
}
