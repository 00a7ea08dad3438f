//! What the timeline page shows beyond the history: each workload replica's log, offsets and
//! truncations over time, and the controller's leader and ISR changes. The world collects it
//! only when the run's `RunOptions::timeline` is on; it is read, never hashed,
//! so collecting it changes no run.

use std::sync::Arc;

use super::ids::PartitionIdx;
use super::log::LogBatch;

/// Why a replica's log lost its tail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CutCause {
    /// The replica truncated (to a new leader's log, to its high watermark, or to where two
    /// histories agree).
    Truncation,
    /// The broker lost power: everything past the flushed offset is gone.
    PowerLoss,
}

/// A replica's log cut back from `to` to `from` at `at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cut {
    /// Virtual time in ms.
    pub at: u64,
    /// The new log end offset: the first offset cut.
    pub from: u64,
    /// The log end offset before the cut.
    pub to: u64,
    /// Why.
    pub cause: CutCause,
}

/// One batch as one replica held it: when it was appended there, and when it was cut.
#[derive(Debug, Clone, PartialEq)]
pub struct HeldBatch {
    /// The batch (replicas share one `Arc`, so `Arc::ptr_eq` says two replicas hold the same one).
    pub batch: Arc<LogBatch>,
    /// When this replica appended it.
    pub appended_at: u64,
    /// When this replica lost it (a truncation or a power loss), if it did.
    pub cut_at: Option<u64>,
}

/// A value that changes over time: (virtual ms, value) at each change, in time order.
pub type Series<T> = Vec<(u64, T)>;

/// One replica's history over the run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReplicaTimeline {
    /// Broker id (from 1).
    pub broker: u32,
    /// Every batch it ever held, in the order it appended them.
    pub batches: Vec<HeldBatch>,
    /// Its log end offset.
    pub leo: Series<u64>,
    /// Its local high watermark.
    pub hw: Series<u64>,
    /// Its last stable offset (first offset of the earliest open transaction, or the HW).
    pub lso: Series<u64>,
    /// Its own leader epoch and whether it believes it leads.
    pub role: Series<(u32, bool)>,
    /// Every cut of its log.
    pub cuts: Vec<Cut>,
}

/// The controller's view of a partition at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionState {
    /// Leader broker, `None` when offline.
    pub leader: Option<u32>,
    /// Leader epoch.
    pub leader_epoch: u32,
    /// In-sync replicas.
    pub isr: Vec<u32>,
}

/// One workload partition over the run.
#[derive(Debug, Clone, PartialEq)]
pub struct PartitionTimeline {
    /// Index into `History::partitions`.
    pub partition: PartitionIdx,
    /// The controller's leader, epoch and ISR at each change.
    pub states: Series<PartitionState>,
    /// One per assigned replica, in assignment order.
    pub replicas: Vec<ReplicaTimeline>,
}

/// One line of the typed trace kept for the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimelineLine {
    /// Virtual time in ms.
    pub at: u64,
    /// The fixed-column line, as `--trace` prints it.
    pub line: String,
}

/// Everything the world collected for the timeline.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Timeline {
    /// The workload partitions (internal topics left out), in partition order.
    pub partitions: Vec<PartitionTimeline>,
    /// Trace lines of the standard families, up to a budget per family.
    pub lines: Vec<TimelineLine>,
    /// Lines left out once a family's budget was spent.
    pub lines_dropped: u64,
}
