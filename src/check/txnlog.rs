//! Transactions as the final logs record them: which transaction each transactional batch belongs
//! to, how that transaction ended (a COMMIT or ABORT marker, or none), and each partition's last
//! stable offset. Built once, before the log walk, so every checker can judge the read_committed
//! view of the final logs: non-transactional batches plus the batches of committed transactions.
//!
//! A transaction on a partition is one producer id's transactional batches, from the first one
//! after its previous marker up to its next marker; a marker for a producer id with no open
//! transaction there ends nothing. A log with no transactional batch costs one scan and no memory.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::index::NONE;
use crate::record::{FinalReplica, History, LogBatch};

/// How the transaction of one batch ended in the final log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fate {
    /// Not a transactional data batch (non-transactional data, a marker, an internal record).
    Plain,
    /// Its transaction's COMMIT marker stands in the final log.
    Committed,
    /// Its transaction's ABORT marker stands in the final log.
    Aborted,
    /// Its transaction has no marker in the final log: it is still open.
    Open,
}

impl Fate {
    /// Whether a read_committed consumer may be given the batch's records.
    pub fn committed_view(self) -> bool {
        matches!(self, Fate::Plain | Fate::Committed)
    }
}

/// One transaction in one partition's final log.
#[derive(Debug, Clone)]
pub(crate) struct LogTxn {
    /// Producer id and epoch of its first batch.
    pub producer_id: i64,
    pub producer_epoch: i16,
    /// Producer and instance that wrote its first batch.
    pub producer: u32,
    pub instance: u32,
    /// Offset of its first record.
    pub first_offset: u64,
    /// Its data batches and records.
    pub batches: u32,
    pub records: u32,
    /// Its marker: (offset, commit), `None` while open.
    pub marker: Option<(u64, bool)>,
}

impl LogTxn {
    pub fn fate(&self) -> Fate {
        match self.marker {
            Some((_, true)) => Fate::Committed,
            Some((_, false)) => Fate::Aborted,
            None => Fate::Open,
        }
    }
}

/// The transactions of one partition's final log.
#[derive(Debug, Clone, Default)]
pub(crate) struct PartTxns {
    /// Per batch of the final log: index into `txns` (`NONE` for a plain batch). Empty when the
    /// log has no transactional batch.
    txn_of: Vec<u32>,
    /// Its transactions, in order of first offset.
    pub txns: Vec<LogTxn>,
    /// The final log's high watermark.
    pub hw: u64,
    /// Its last stable offset: the first offset of the earliest transaction that is open or whose
    /// marker is not below the high watermark, capped by the high watermark.
    pub lso: u64,
    /// The transaction that holds the last stable offset below the high watermark, if one does.
    pub pinned_by: Option<u32>,
}

impl PartTxns {
    fn build(log: &FinalReplica) -> PartTxns {
        let mut p = PartTxns { hw: log.hw, lso: log.hw, ..PartTxns::default() };
        if !log.log.iter().any(|b| b.transactional) {
            return p;
        }
        p.txn_of = vec![NONE; log.log.len()];
        let mut open: BTreeMap<i64, u32> = BTreeMap::new();
        for (bi, b) in log.log.iter().enumerate() {
            if let Some(commit) = b.marker() {
                if let Some(t) = open.remove(&b.producer_id) {
                    p.txns[t as usize].marker = Some((b.base_offset, commit));
                }
                continue;
            }
            if !b.transactional || b.meta.is_some() {
                continue;
            }
            let t = *open.entry(b.producer_id).or_insert_with(|| {
                p.txns.push(LogTxn {
                    producer_id: b.producer_id,
                    producer_epoch: b.producer_epoch,
                    producer: b.producer,
                    instance: b.instance,
                    first_offset: b.base_offset,
                    batches: 0,
                    records: 0,
                    marker: None,
                });
                (p.txns.len() - 1) as u32
            });
            let txn = &mut p.txns[t as usize];
            txn.batches += 1;
            txn.records += b.records.len() as u32;
            p.txn_of[bi] = t;
        }
        // Transactions are in order of first offset: the first unstable one pins the LSO.
        let unstable = p.txns.iter().position(|t| t.marker.is_none_or(|(m, _)| m >= log.hw));
        if let Some(t) = unstable {
            let first = p.txns[t].first_offset;
            if first < log.hw {
                p.lso = first;
                p.pinned_by = Some(t as u32);
            }
        }
        p
    }

    /// The transaction of batch `bi`, if it is a transactional data batch.
    pub fn txn_of(&self, bi: usize) -> Option<&LogTxn> {
        let &t = self.txn_of.get(bi)?;
        self.txns.get(t as usize)
    }

    /// The fate of batch `bi`.
    pub fn fate(&self, bi: usize) -> Fate {
        self.txn_of(bi).map_or(Fate::Plain, LogTxn::fate)
    }

    /// Whether the log holds any transactional batch.
    pub fn any(&self) -> bool {
        !self.txns.is_empty()
    }
}

/// The transactions of every online workload partition's final log.
#[derive(Debug, Clone, Default)]
pub(crate) struct TxnLogs {
    /// Per partition; `None` when offline or internal.
    pub parts: Vec<Option<PartTxns>>,
}

impl TxnLogs {
    pub fn build(history: &History) -> TxnLogs {
        let parts = history
            .partitions
            .iter()
            .map(|p| if p.is_internal() { None } else { p.leader_replica().map(PartTxns::build) })
            .collect();
        TxnLogs { parts }
    }

    /// The partition's transactions, if it has a final log.
    pub fn part(&self, partition: u32) -> Option<&PartTxns> {
        self.parts.get(partition as usize)?.as_ref()
    }

    /// The fate of batch `bi` of the partition's final log.
    pub fn fate(&self, partition: u32, bi: usize) -> Fate {
        self.part(partition).map_or(Fate::Plain, |p| p.fate(bi))
    }
}

/// Index of the batch of `log` holding `offset`, trying the cursor's batch and the next one
/// before searching (so reading a log in offset order costs O(1) per record).
pub(crate) fn batch_index(log: &[Arc<LogBatch>], cursor: &mut usize, offset: u64) -> Option<usize> {
    let fits = |i: usize| log.get(i).is_some_and(|b| b.base_offset <= offset && offset < b.next_offset());
    let i = if fits(*cursor) {
        *cursor
    } else if fits(*cursor + 1) {
        *cursor + 1
    } else {
        let at = log.partition_point(|b| b.next_offset() <= offset);
        if !fits(at) {
            return None;
        }
        at
    };
    *cursor = i;
    Some(i)
}

/// How a transaction ended, as a phrase: "committed by the marker at offset 9", "aborted by the
/// marker at offset 9", "still open (no marker in the final log)".
pub(crate) fn ending_phrase(t: &LogTxn) -> String {
    match t.marker {
        Some((m, true)) => format!("committed by the marker at offset {m}"),
        Some((m, false)) => format!("aborted by the marker at offset {m}"),
        None => "still open (no marker in the final log)".to_string(),
    }
}

/// "producer id 7 (epoch 0, p1 instance 0)" (for a processor's producer: "(epoch 0, s1/1.0)"):
/// who wrote a transaction.
pub(crate) fn writer_phrase(history: &History, t: &LogTxn) -> String {
    if history.is_output(t.producer) {
        let who = super::index::producer_instance(history, t.producer, t.instance);
        return format!("producer id {} (epoch {}, {who})", t.producer_id, t.producer_epoch);
    }
    let name = history.producers.get(t.producer as usize).cloned().unwrap_or_else(|| format!("producer{}", t.producer));
    format!("producer id {} (epoch {}, {name} instance {})", t.producer_id, t.producer_epoch, t.instance)
}
