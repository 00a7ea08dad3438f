//! `[[processor]]`: a consume-transform-produce application (Kafka Streams style).

use super::{
    ClientKind, CommitMode, ConsumerConfig, ConsumerSpec, IsolationLevel, OffsetReset, ProcessingGuarantee,
    ProducerSpec,
};

/// `[processor.config]`: the Streams configs a processor honours, with Streams' defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessorConfig {
    /// `processing.guarantee` (default at_least_once).
    pub processing_guarantee: ProcessingGuarantee,
    /// `commit.interval.ms` (default 30000 for at_least_once, 100 for exactly_once_v2).
    pub commit_interval_ms: u64,
    /// The producer's `transaction.timeout.ms` (Streams' default 10000 under exactly-once).
    pub transaction_timeout_ms: u64,
    /// The producer's `linger.ms` (Streams' default 100).
    pub linger_ms: u64,
    /// The consumer's `max.poll.records` (Streams' default 1000).
    pub max_poll_records: u32,
    /// The consumer's `session.timeout.ms` (default 45000).
    pub session_timeout_ms: u64,
    /// The consumer's `heartbeat.interval.ms` (default 3000).
    pub heartbeat_interval_ms: u64,
    /// The consumer's `max.poll.interval.ms` (default 300000).
    pub max_poll_interval_ms: u64,
    /// `request.timeout.ms` of both clients (default 30000).
    pub request_timeout_ms: u64,
}

impl ProcessorConfig {
    /// Streams' defaults for `guarantee` (the commit interval depends on it).
    pub fn new(guarantee: ProcessingGuarantee) -> Self {
        ProcessorConfig {
            processing_guarantee: guarantee,
            commit_interval_ms: match guarantee {
                ProcessingGuarantee::AtLeastOnce => 30_000,
                ProcessingGuarantee::ExactlyOnceV2 | ProcessingGuarantee::ExactlyOnce => 100,
            },
            transaction_timeout_ms: 10_000,
            linger_ms: 100,
            max_poll_records: 1_000,
            session_timeout_ms: 45_000,
            heartbeat_interval_ms: 3_000,
            max_poll_interval_ms: 300_000,
            request_timeout_ms: 30_000,
        }
    }
}

impl Default for ProcessorConfig {
    fn default() -> Self {
        ProcessorConfig::new(ProcessingGuarantee::AtLeastOnce)
    }
}

/// `[[processor]]`: a consume-transform-produce application (a Kafka Streams topology of one
/// map step). Each of its `instances` is one group member with its own producer: it polls
/// `input`, writes one output record naming each input record to `output`, and commits every
/// `commit.interval.ms` as its `processing.guarantee` says.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessorSpec {
    /// Client name (also the name its output records carry: `s1(p1#17)`).
    pub name: String,
    /// `group.id` (Streams' `application.id`).
    pub group: String,
    /// Topic it reads (must be declared, and written by producers, not by another processor).
    pub input: String,
    /// Topic it writes (must be declared).
    pub output: String,
    /// Members of the group this application runs (default 1).
    pub instances: u32,
    /// Virtual ms spent transforming one record (default 0).
    pub processing_ms: u64,
    /// The timeout the application passes to `poll()` (default 100).
    pub poll_timeout_ms: u64,
    /// The Streams configs.
    pub config: ProcessorConfig,
}

impl ProcessorSpec {
    /// One instance of an application `name` in group `group`, from `input` to `output`.
    pub fn new(name: &str, group: &str, input: &str, output: &str, guarantee: ProcessingGuarantee) -> Self {
        ProcessorSpec {
            name: name.into(),
            group: group.into(),
            input: input.into(),
            output: output.into(),
            instances: 1,
            processing_ms: 0,
            poll_timeout_ms: 100,
            config: ProcessorConfig::new(guarantee),
        }
    }

    /// The transactional id of instance `k` under exactly-once: stable across restarts of that
    /// instance, so a restarted instance fences its predecessor.
    pub fn transactional_id(&self, k: u32) -> String {
        format!("{}-{}-{k}", self.group, self.name)
    }

    /// Whether the processor runs transactions (`exactly_once` or `exactly_once_v2`).
    pub fn exactly_once(&self) -> bool {
        self.config.processing_guarantee.exactly_once()
    }

    /// Whether the processor runs `exactly_once` (v1): one transactional producer per task.
    pub fn eos_v1(&self) -> bool {
        self.config.processing_guarantee == ProcessingGuarantee::ExactlyOnce
    }

    /// The transactional id of the task of input partition `p` under `exactly_once`:
    /// `<application.id>-<taskId>`, the task id `0_p` (sub-topology 0, partition p), as
    /// Streams' `StreamThread` names its task producers (KIP-129). Any instance that owns the
    /// task uses it, so a new owner fences the previous one.
    pub fn task_transactional_id(&self, p: u32) -> String {
        format!("{}-0_{p}", self.group)
    }

    /// Every transactional id the processor may use, given its input topic's partition count:
    /// one per instance under `exactly_once_v2`, one per task under `exactly_once`, none under
    /// `at_least_once`.
    pub fn transactional_ids(&self, input_partitions: u32) -> Vec<String> {
        match self.config.processing_guarantee {
            ProcessingGuarantee::AtLeastOnce => Vec::new(),
            ProcessingGuarantee::ExactlyOnceV2 => {
                (0..self.instances.max(1)).map(|k| self.transactional_id(k)).collect()
            }
            ProcessingGuarantee::ExactlyOnce => (0..input_partitions).map(|p| self.task_transactional_id(p)).collect(),
        }
    }

    /// The consumer Streams configures for it: no auto-commit, earliest reset, read_committed
    /// under exactly-once.
    pub fn consumer_spec(&self) -> ConsumerSpec {
        let c = &self.config;
        ConsumerSpec {
            name: self.name.clone(),
            group: self.group.clone(),
            topics: vec![self.input.clone()],
            commit: CommitMode::AfterProcessing,
            processing_ms: self.processing_ms,
            instances: self.instances.max(1),
            poll_timeout_ms: self.poll_timeout_ms,
            config: ConsumerConfig {
                enable_auto_commit: false,
                auto_offset_reset: OffsetReset::Earliest,
                isolation_level: if self.exactly_once() {
                    IsolationLevel::ReadCommitted
                } else {
                    IsolationLevel::ReadUncommitted
                },
                session_timeout_ms: c.session_timeout_ms,
                heartbeat_interval_ms: c.heartbeat_interval_ms,
                max_poll_interval_ms: c.max_poll_interval_ms,
                max_poll_records: c.max_poll_records,
                request_timeout_ms: c.request_timeout_ms,
                ..ConsumerConfig::default()
            },
            client: ClientKind::Java,
        }
    }

    /// The producer of instance `k`: idempotent with Kafka's defaults, `linger.ms` 100, and
    /// under exactly-once transactional with the instance's id.
    pub fn producer_spec(&self, k: u32) -> ProducerSpec {
        let mut p = ProducerSpec::new(&self.name, &self.output, 0);
        p.config.linger_ms = self.config.linger_ms;
        p.config.request_timeout_ms = self.config.request_timeout_ms;
        if self.exactly_once() {
            p.config.transactional_id = Some(self.transactional_id(k));
            p.config.transaction_timeout_ms = self.config.transaction_timeout_ms;
        }
        p
    }
}
