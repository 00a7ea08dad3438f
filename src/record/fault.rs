//! Faults as the history records them: what was done, and to whom, typed (the checker matches
//! on nodes and never parses a name).

use std::fmt;

/// What a fault does to its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FaultAction {
    /// The process dies; a broker keeps what reached the page cache.
    Crash,
    /// A broker dies and loses everything not flushed.
    PowerLoss,
    /// The target reaches no other node for `duration_ms`.
    Isolate,
    /// The target stops for `duration_ms`, then carries on.
    Pause,
    /// Two sets of nodes cannot reach each other for `duration_ms` (each side reaches its own).
    Partition,
}

impl FaultAction {
    /// The spelling used in scenario files and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            FaultAction::Crash => "crash",
            FaultAction::PowerLoss => "power-loss",
            FaultAction::Isolate => "isolate",
            FaultAction::Pause => "pause",
            FaultAction::Partition => "partition",
        }
    }
}

/// A process a fault hit or a heal brought back, as the history names it (the names make the
/// event readable on its own; the indices are what the checker compares).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultNode {
    /// `broker:N`, N from 1.
    Broker(u32),
    /// `producer:NAME`: a producer's process.
    Producer {
        /// Index into `History::producers`.
        producer: u32,
        /// The producer's name.
        name: String,
    },
    /// `consumer:NAME/K`, or `processor:NAME/K` for a member of a processor.
    Member {
        /// Index into `History::consumers`.
        consumer: u32,
        /// Instance K.
        instance: u32,
        /// The consumer's (or processor's) name.
        name: String,
        /// Whether the member is a processor's consuming side.
        processor: bool,
    },
    /// The controller.
    Controller,
}

impl FaultNode {
    /// The broker id, when the node is a broker.
    pub fn broker(&self) -> Option<u32> {
        match self {
            FaultNode::Broker(b) => Some(*b),
            _ => None,
        }
    }
}

impl fmt::Display for FaultNode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FaultNode::Broker(b) => write!(f, "broker:{b}"),
            FaultNode::Producer { name, .. } => write!(f, "producer:{name}"),
            FaultNode::Member { instance, name, processor, .. } => {
                write!(f, "{}:{name}/{instance}", if *processor { "processor" } else { "consumer" })
            }
            FaultNode::Controller => f.write_str("controller"),
        }
    }
}

/// A role a fault target names instead of a node: which broker holds it is decided when the
/// fault fires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    /// `leader:TOPIC/P`: the partition's leader.
    Leader {
        /// Topic name.
        topic: String,
        /// Partition number within the topic.
        partition: u32,
    },
    /// `coordinator:group:GROUP`: the group's coordinator.
    GroupCoordinator(String),
    /// `coordinator:transaction:ID`: the transactional id's coordinator.
    TxnCoordinator(String),
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Role::Leader { topic, partition } => write!(f, "leader:{topic}/{partition}"),
            Role::GroupCoordinator(g) => write!(f, "coordinator:group:{g}"),
            Role::TxnCoordinator(id) => write!(f, "coordinator:transaction:{id}"),
        }
    }
}

/// Whom a fault was aimed at: a node the scenario named, or a role with the broker that held it
/// when the fault fired. Displays as the trace prints it (`leader:orders/0 (broker:2)`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultTarget {
    /// A node named directly (`broker:2`, `producer:p1`, `consumer:c1/0`).
    Node(FaultNode),
    /// A role, resolved when the fault fired.
    Role {
        /// The role as the scenario named it.
        role: Role,
        /// The broker holding it then; `None` when nobody did (an offline partition).
        broker: Option<u32>,
    },
    /// A network partition between two sets of nodes.
    Partition {
        /// One side.
        a: Vec<FaultNode>,
        /// The other side.
        b: Vec<FaultNode>,
    },
}

impl fmt::Display for FaultTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FaultTarget::Node(n) => n.fmt(f),
            FaultTarget::Role { role, broker: Some(b) } => write!(f, "{role} (broker:{b})"),
            FaultTarget::Role { role, broker: None } => role.fmt(f),
            FaultTarget::Partition { a, b } => {
                let side = |s: &[FaultNode]| s.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
                write!(f, "[{}] and [{}]", side(a), side(b))
            }
        }
    }
}

/// What a heal ended: a restart ends a crash or power loss, the others end an isolation or a
/// pause. Displays as `restart of`, `isolation of`, `pause of`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Heal {
    /// The process restarted.
    Restart,
    /// The isolation was lifted.
    Isolation,
    /// The pause ended.
    Pause,
    /// The partition healed.
    Partition,
}

impl fmt::Display for Heal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Heal::Restart => "restart of",
            Heal::Isolation => "isolation of",
            Heal::Pause => "pause of",
            Heal::Partition => "partition",
        })
    }
}
