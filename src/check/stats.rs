//! The per-client parts of a verdict: what each producer, consumer and processor did, and the
//! delivery semantic its configuration promises with whether the run kept it.

use std::collections::BTreeMap;

use serde::Serialize;

/// Per-producer outcome counts (distinct records).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ProducerStats {
    /// Records the application sent.
    pub sent: u64,
    /// Records some instance saw acknowledged.
    pub acked: u64,
    /// Records that definitely were not written.
    pub failed: u64,
    /// Records whose fate the client cannot know (timeouts, ambiguous errors, unresolved).
    pub indeterminate: u64,
}

/// Per-consumer processing counts and committed offsets.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ConsumerStats {
    /// The consumer's `group.id`, for the text report only.
    #[serde(skip)]
    pub group: String,
    /// Records its instances processed, each processing counted.
    pub processed: u64,
    /// Distinct records its instances processed.
    pub distinct: u64,
    /// Its group's committed offset per partition of its topics (`topic/partition`), as the
    /// final `__consumer_offsets` logs hold it.
    pub committed: BTreeMap<String, u64>,
}

/// Per-processor counts and committed offsets.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ProcessorStats {
    /// The processor's `group.id`, for the text report only.
    #[serde(skip)]
    pub group: String,
    /// Its `processing.guarantee`: `exactly_once_v2` or `at_least_once`.
    pub guarantee: String,
    /// Distinct input records it owes an output: those in the final logs of its input topic
    /// (read_committed view, below the high watermark; below the last stable offset for an
    /// exactly-once processor).
    pub inputs: u64,
    /// Its output records standing in the read_committed view of its output topic's final logs,
    /// each copy counted.
    pub outputs: u64,
    /// Distinct input records among those outputs.
    pub distinct: u64,
    /// Its group's committed offset per partition of its input topic (`topic/partition`), as the
    /// final `__consumer_offsets` logs hold it.
    pub committed: BTreeMap<String, u64>,
}

/// The delivery semantic a client's configuration promises, and whether the run kept it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Semantic {
    /// "at-most-once", "at-least-once" or "exactly-once".
    pub delivery: String,
    /// Whether the run kept it.
    pub holds: bool,
    /// Why it broke, one phrase per broken promise (`2 acknowledged records lost`); empty when it
    /// held. Text report only.
    #[serde(skip)]
    pub broken_by: Vec<String>,
}
