//! `[[fault]]` and `[nemesis]`: what a fault does, to whom, and when it fires.

use std::fmt;

use crate::record::FaultAction;

/// Whom a fault hits. Broker-resolving targets are resolved when the fault fires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `broker:N`.
    Broker(u32),
    /// `leader:TOPIC/P`: the partition's leader at the moment the fault fires.
    Leader {
        /// Topic name.
        topic: String,
        /// Partition number within the topic (from 0).
        partition: u32,
    },
    /// `producer:NAME` (index into `Scenario::producers`).
    Producer(usize),
    /// `consumer:NAME` (every instance) or `consumer:NAME/K` (instance K).
    Consumer {
        /// Index into `Scenario::consumers`.
        consumer: usize,
        /// `None` for every instance.
        instance: Option<u32>,
    },
    /// `coordinator:group:GROUP`: the broker coordinating the group when the fault fires.
    GroupCoordinator(String),
    /// `coordinator:transaction:ID`: the broker coordinating the transactional id (the leader of
    /// its `__transaction_state` partition) when the fault fires.
    TxnCoordinator(String),
    /// `processor:NAME` (every instance) or `processor:NAME/K` (instance K).
    Processor {
        /// Index into `Scenario::processors`.
        processor: usize,
        /// `None` for every instance.
        instance: Option<u32>,
    },
    /// `service:NAME` (every instance) or `service:NAME/K` (instance K): a user service's
    /// process, which is every client node it owns.
    Service {
        /// Index into `Scenario::services`.
        service: usize,
        /// `None` for every instance.
        instance: Option<u32>,
    },
    /// `controller`: the KRaft controller quorum, as one node. Only a partition's side may name
    /// it (the quorum is modelled as reliable: it is never crashed, isolated or paused alone);
    /// `validate` refuses it elsewhere, and the world's other verbs panic on it.
    Controller,
    /// The two sides of a `partition` fault (`between = [..]` and `and = [..]`): nodes of one side
    /// cannot reach nodes of the other until the partition heals. A side lists ordinary targets
    /// and `controller`, never another `Sides`. Only `FaultAction::Partition` takes it.
    Sides {
        /// Side a (`between`).
        between: Vec<Target>,
        /// Side b (`and`).
        and: Vec<Target>,
    },
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Broker(b) => write!(f, "broker:{b}"),
            Target::Leader { topic, partition } => write!(f, "leader:{topic}/{partition}"),
            Target::Producer(p) => write!(f, "producer#{p}"),
            Target::Consumer { consumer, instance: None } => write!(f, "consumer#{consumer}"),
            Target::Consumer { consumer, instance: Some(k) } => write!(f, "consumer#{consumer}/{k}"),
            Target::GroupCoordinator(g) => write!(f, "coordinator:group:{g}"),
            Target::TxnCoordinator(id) => write!(f, "coordinator:transaction:{id}"),
            Target::Processor { processor, instance: None } => write!(f, "processor#{processor}"),
            Target::Processor { processor, instance: Some(k) } => write!(f, "processor#{processor}/{k}"),
            Target::Service { service, instance: None } => write!(f, "service#{service}"),
            Target::Service { service, instance: Some(k) } => write!(f, "service#{service}/{k}"),
            Target::Controller => f.write_str("controller"),
            Target::Sides { between, and } => {
                let side = |s: &[Target]| s.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
                write!(f, "[{}] and [{}]", side(between), side(and))
            }
        }
    }
}

/// A per-record event that can trigger a fault (`after = "p1#17 acked"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordEvent {
    /// The application called send().
    Sent,
    /// The partition leader appended it.
    Appended,
    /// The producer saw success.
    Acked,
    /// The leader's high watermark passed it.
    Committed,
    /// First processed by any consumer.
    Processed,
}

impl RecordEvent {
    /// The spelling used in `after = "P#I EVENT"`.
    pub fn as_str(self) -> &'static str {
        match self {
            RecordEvent::Sent => "sent",
            RecordEvent::Appended => "appended",
            RecordEvent::Acked => "acked",
            RecordEvent::Committed => "committed",
            RecordEvent::Processed => "processed",
        }
    }
}

/// A counted per-client event (`after = "p1 acked 10"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClientEvent {
    /// Records acknowledged.
    Acked,
    /// Polls that returned records.
    Polled,
    /// Records processed.
    Processed,
    /// Successful offset commits.
    Committed,
    /// Committed transactions.
    TxnCommitted,
    /// Aborted transactions.
    TxnAborted,
    /// An exactly-once processor's `sendOffsetsToTransaction()` finished (TxnOffsetCommit
    /// acknowledged) and its `commitTransaction()` is under way (an extension of the contract).
    OffsetsSent,
}

impl ClientEvent {
    /// The spelling used in `after = "CLIENT EVENT N"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ClientEvent::Acked => "acked",
            ClientEvent::Polled => "polled",
            ClientEvent::Processed => "processed",
            ClientEvent::Committed => "committed",
            ClientEvent::TxnCommitted => "txn-committed",
            ClientEvent::TxnAborted => "txn-aborted",
            ClientEvent::OffsetsSent => "offsets-sent",
        }
    }
}

/// When a fault fires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trigger {
    /// At this virtual time (ms).
    AtMs(u64),
    /// When record `index` of producer `producer` reaches `event`.
    Record {
        /// Index into `Scenario::producers`.
        producer: usize,
        /// Workload index `I` of the record `NAME#I`.
        index: u32,
        /// What must happen to the record.
        event: RecordEvent,
    },
    /// At the `n`-th `event` of the named client (all its instances together).
    Client {
        /// The client whose events are counted.
        client: ClientRef,
        /// The kind of event counted.
        event: ClientEvent,
        /// Fires once the count reaches `n`.
        n: u64,
    },
}

/// A client a trigger names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClientRef {
    /// Index into `Scenario::producers`.
    Producer(usize),
    /// Index into `Scenario::consumers`.
    Consumer(usize),
    /// Index into `Scenario::processors`.
    Processor(usize),
}

/// `[[fault]]`: one scheduled fault.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultSpec {
    /// When it fires.
    pub trigger: Trigger,
    /// What it does.
    pub action: FaultAction,
    /// Whom it hits; a partition's is [`Target::Sides`].
    pub target: Target,
    /// Crash / power-loss: restart this long after; `None` = stays down.
    pub restart_after_ms: Option<u64>,
    /// Isolate / pause / partition: how long it lasts.
    pub duration_ms: Option<u64>,
    /// `pin = true`: `kafkasim explore` keeps it where the file puts it, as part of the schedule
    /// the other faults move over, instead of moving it. A run ignores it.
    pub pin: bool,
}

/// Classes of node the nemesis may pick.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TargetClass {
    /// Any broker.
    Brokers,
    /// Any producer.
    Producers,
    /// Any consumer member.
    Consumers,
    /// Any processor (streams issue).
    Processors,
}

/// `[nemesis]`: random faults drawn from the seed.
#[derive(Debug, Clone, PartialEq)]
pub struct NemesisSpec {
    /// Actions to draw from.
    pub actions: Vec<FaultAction>,
    /// Target classes to draw from.
    pub targets: Vec<TargetClass>,
    /// Time between two faults, drawn from this inclusive range.
    pub interval_ms: (u64, u64),
    /// First fault no earlier than this.
    pub start_ms: u64,
    /// No fault after this.
    pub stop_ms: u64,
    /// Restart delay for crashes and power losses.
    pub restart_after_ms: (u64, u64),
    /// Duration of isolations and pauses.
    pub duration_ms: (u64, u64),
    /// The safe-schedule rule of the durability property, applied to every broker fault of the
    /// run (scheduled or drawn): a broker loses power only while every replica of its partitions
    /// is in the ISR (otherwise it crashes instead), and until it has re-registered and is back
    /// in the ISR, faults on other brokers are skipped. Default false.
    pub safe_power_loss: bool,
}

impl Default for NemesisSpec {
    fn default() -> Self {
        NemesisSpec {
            actions: vec![FaultAction::Crash, FaultAction::Isolate, FaultAction::Pause],
            targets: vec![TargetClass::Brokers],
            interval_ms: (1_000, 5_000),
            start_ms: 0,
            stop_ms: u64::MAX,
            restart_after_ms: (1_000, 5_000),
            duration_ms: (1_000, 5_000),
            safe_power_loss: false,
        }
    }
}
