//! The client configs the history names: a consumer's commit placement and isolation level and a
//! processor's guarantee decide the semantic the checker holds it to. Scenarios set them
//! (`kafkasim::scenario` re-exports them).

/// Where a consumer application commits its offsets (the contract's `commit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommitMode {
    /// `auto`: `enable.auto.commit=true`; the client commits the positions reached by earlier
    /// polls at the start of a later poll (every `auto.commit.interval.ms`), before a rebalance
    /// and on close. Processing happens inside the poll loop.
    Auto,
    /// `before-processing`: `commitSync()` right after `poll()`, then process (at-most-once).
    BeforeProcessing,
    /// `after-processing`: process the whole batch, then `commitSync()` (at-least-once).
    AfterProcessing,
    /// `after-processing-async`: process the whole batch, then `commitAsync()` (not retried; a
    /// later commit supersedes a failed one), with `commitSync()` on revocation and on close, as
    /// Java's usual pattern does (at-least-once).
    Async,
}

impl CommitMode {
    /// The spelling used in scenario files.
    pub fn as_str(self) -> &'static str {
        match self {
            CommitMode::Auto => "auto",
            CommitMode::BeforeProcessing => "before-processing",
            CommitMode::AfterProcessing => "after-processing",
            CommitMode::Async => "after-processing-async",
        }
    }
}

/// `isolation.level`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IsolationLevel {
    /// Read up to the high watermark (Kafka's default).
    ReadUncommitted,
    /// Read up to the last stable offset (the high watermark until transactions exist).
    ReadCommitted,
}

/// `processing.guarantee` of a processor (Kafka Streams' names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ProcessingGuarantee {
    /// `at_least_once`: outputs are flushed and acknowledged, then the input offsets are
    /// committed with `commitSync()`; a crash between the two repeats outputs.
    AtLeastOnce,
    /// `exactly_once_v2`: one transactional producer per instance; outputs and input offsets
    /// (with the consumer's group metadata) commit in one transaction; input read_committed.
    ExactlyOnceV2,
    /// `exactly_once` (KIP-98/KIP-129, Streams 0.11 to 3.9, removed in 4.0 by KIP-732): one
    /// transactional producer per task (per input partition here), `transactional.id`
    /// `<application.id>-<taskId>`; outputs and the task's input offsets commit in one
    /// transaction, the offsets sent with the group id only (no KIP-447 generation fencing), so
    /// a zombie is fenced by the next owner's InitProducerId of the task's id; input
    /// read_committed.
    ExactlyOnce,
}

impl ProcessingGuarantee {
    /// The config value as Kafka Streams spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            ProcessingGuarantee::AtLeastOnce => "at_least_once",
            ProcessingGuarantee::ExactlyOnceV2 => "exactly_once_v2",
            ProcessingGuarantee::ExactlyOnce => "exactly_once",
        }
    }

    /// Whether outputs and offsets commit in transactions (`exactly_once` or
    /// `exactly_once_v2`).
    pub fn exactly_once(self) -> bool {
        matches!(self, ProcessingGuarantee::ExactlyOnce | ProcessingGuarantee::ExactlyOnceV2)
    }
}
