//! Typed ids: records, partitions, and the records a consumer was handed.

use std::sync::Arc;

/// The records of one batch, as indices into one producer's workload (`p1#17` is index 17).
pub type RecordList = Arc<[u32]>;

/// A record's identity: producer (index into the scenario's producers) and workload index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RecordId {
    /// Index of the producer in `Scenario::producers`.
    pub producer: u32,
    /// Workload index `I` of `NAME#I`.
    pub index: u32,
}

/// A partition as an index into `History::partitions`.
pub type PartitionIdx = u32;

/// One record handed to a consumer by `poll()`: where it stood and which record it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Delivery {
    /// Partition it was read from.
    pub partition: PartitionIdx,
    /// Its offset there.
    pub offset: u64,
    /// The record.
    pub record: RecordId,
}

/// Records of one poll (or of one run of processing), in the order the application got them.
pub type Deliveries = Arc<[Delivery]>;
