//! The typed trace: one [`TraceEvent`] per handled event. The trace hash is computed over
//! these events, so it changes only when what happened changes, never with how a line is
//! printed; `--trace FILTER` chooses which families are printed.

use std::fmt;

use super::{NodeId, TraceHash};
use crate::error::KafkaError;
use crate::record::{FaultAction, MemberId, ReqId};

/// A family of events, for `--trace FILTER`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// Faults, heals and restarts.
    Faults,
    /// Client traffic: metadata, produce, consumer fetch, list offsets, connection resets.
    Net,
    /// Group coordination: find coordinator, join, sync, heartbeat, leave, offset commit/fetch.
    Groups,
    /// Transactions: InitProducerId, AddPartitionsToTxn, AddOffsetsToTxn, EndTxn,
    /// WriteTxnMarkers, TxnOffsetCommit.
    Txn,
    /// Timers firing.
    Timers,
    /// Followers fetching from leaders.
    Replication,
    /// Brokers and the controller: registration, heartbeats, metadata updates, ISR changes.
    Controller,
}

impl Family {
    /// Every family, in the order `--trace all` names them.
    pub const ALL: [Family; 7] = [
        Family::Faults,
        Family::Net,
        Family::Groups,
        Family::Txn,
        Family::Timers,
        Family::Replication,
        Family::Controller,
    ];

    /// The name `--trace` takes.
    pub fn name(self) -> &'static str {
        match self {
            Family::Faults => "faults",
            Family::Net => "net",
            Family::Groups => "groups",
            Family::Txn => "txn",
            Family::Timers => "timers",
            Family::Replication => "replication",
            Family::Controller => "controller",
        }
    }
}

/// Which families a run prints; the empty filter keeps no lines (the hash is computed anyway).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TraceFilter(u8);

impl TraceFilter {
    /// No lines.
    pub const NONE: TraceFilter = TraceFilter(0);

    /// Every family.
    pub fn all() -> Self {
        Family::ALL.iter().fold(Self::NONE, |f, &x| f.with(x))
    }

    /// What `--trace` alone prints: everything but timers and replica fetches (which are most
    /// of every run's events).
    pub fn standard() -> Self {
        Self::all().without(Family::Timers).without(Family::Replication)
    }

    /// This filter and `f`.
    pub fn with(self, f: Family) -> Self {
        TraceFilter(self.0 | 1 << f as u8)
    }

    /// This filter without `f`.
    pub fn without(self, f: Family) -> Self {
        TraceFilter(self.0 & !(1 << f as u8))
    }

    /// Whether lines of `f` are printed.
    pub fn contains(self, f: Family) -> bool {
        self.0 & 1 << f as u8 != 0
    }

    /// Whether any line is printed.
    pub fn is_on(self) -> bool {
        self.0 != 0
    }

    /// Parse `--trace`'s value: comma-separated family names, `all`, or `default` (the
    /// standard set).
    pub fn parse(s: &str) -> Result<Self, String> {
        s.split(',').map(str::trim).try_fold(Self::NONE, |f, word| match word {
            "all" => Ok(Self::all()),
            "default" => Ok(f.with_all(Self::standard())),
            w => Family::ALL.iter().find(|x| x.name() == w).map(|&x| f.with(x)).ok_or_else(|| {
                let names: Vec<&str> = Family::ALL.iter().map(|x| x.name()).collect();
                format!("unknown trace family `{w}`: expected all, default or some of {}", names.join(","))
            }),
        })
    }

    fn with_all(self, other: Self) -> Self {
        TraceFilter(self.0 | other.0)
    }
}

/// A labelled fact of one message, typed so the trace prints names (`error=NOT_COORDINATOR`,
/// `generation=3`) where a number alone would be ambiguous.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fact {
    /// A partition (its index in the topology).
    Partition(u32),
    /// A log offset.
    Offset(u64),
    /// A high watermark.
    Hw(u64),
    /// How many records a batch carries.
    Records(u64),
    /// How many batches a fetch returned.
    Batches(u64),
    /// How many partitions a message names.
    Partitions(u64),
    /// How many replicas an ISR holds.
    IsrSize(u64),
    /// A Kafka error.
    Error(KafkaError),
    /// A group generation.
    Generation(i32),
    /// A partition leader epoch.
    LeaderEpoch(u32),
    /// A producer id.
    ProducerId(i64),
    /// A producer epoch.
    ProducerEpoch(i16),
    /// A broker's registration epoch.
    BrokerEpoch(u64),
    /// A metadata image version.
    Version(u64),
    /// A group member id.
    Member(MemberId),
    /// A coordinator broker.
    Coordinator(u32),
    /// Whether a transaction ends in a commit (else an abort).
    Commit(bool),
    /// A follower's log diverges from the leader's at this epoch's end offset.
    Diverging(u64),
}

impl Fact {
    fn word(self) -> u64 {
        let (tag, v): (u64, u64) = match self {
            Fact::Partition(p) => (1, p.into()),
            Fact::Offset(o) => (2, o),
            Fact::Hw(h) => (3, h),
            Fact::Records(c) => (4, c),
            Fact::Batches(c) => (16, c),
            Fact::Partitions(c) => (17, c),
            Fact::IsrSize(c) => (18, c),
            Fact::Error(e) => (5, e as u64),
            Fact::Generation(g) => (6, g as u32 as u64),
            Fact::LeaderEpoch(e) => (7, e.into()),
            Fact::ProducerId(p) => (8, p as u64),
            Fact::ProducerEpoch(e) => (9, e as u16 as u64),
            Fact::BrokerEpoch(e) => (10, e),
            Fact::Version(v) => (11, v),
            Fact::Member(m) => (12, u64::from(m.coordinator).rotate_left(40) ^ u64::from(m.n)),
            Fact::Coordinator(b) => (13, b.into()),
            Fact::Commit(c) => (14, c.into()),
            Fact::Diverging(o) => (15, o),
        };
        v.rotate_left(7) ^ tag << 58
    }
}

impl fmt::Display for Fact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fact::Partition(p) => write!(f, "partition={p}"),
            Fact::Offset(o) => write!(f, "offset={o}"),
            Fact::Hw(h) => write!(f, "hw={h}"),
            Fact::Records(c) => write!(f, "records={c}"),
            Fact::Batches(c) => write!(f, "batches={c}"),
            Fact::Partitions(c) => write!(f, "partitions={c}"),
            Fact::IsrSize(c) => write!(f, "isr_size={c}"),
            Fact::Error(e) => write!(f, "error={e}"),
            Fact::Generation(g) => write!(f, "generation={g}"),
            Fact::LeaderEpoch(e) => write!(f, "leader_epoch={e}"),
            Fact::ProducerId(p) => write!(f, "producer_id={p}"),
            Fact::ProducerEpoch(e) => write!(f, "producer_epoch={e}"),
            Fact::BrokerEpoch(e) => write!(f, "broker_epoch={e}"),
            Fact::Version(v) => write!(f, "metadata_version={v}"),
            Fact::Member(m) => write!(f, "member={m}"),
            Fact::Coordinator(b) => write!(f, "coordinator=broker:{b}"),
            Fact::Commit(c) => write!(f, "{}", if *c { "commit" } else { "abort" }),
            Fact::Diverging(o) => write!(f, "diverging_at={o}"),
        }
    }
}

/// What the trace keeps of one message: its Kafka API name, family, the client's request id
/// and up to three facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MsgSummary {
    /// The API (`Produce`, `JoinGroupResp`, ...).
    pub api: &'static str,
    /// Its family.
    pub family: Family,
    /// The client's request id, for requests and responses that carry one.
    pub req: Option<ReqId>,
    /// Its facts, in print order.
    pub facts: [Option<Fact>; 3],
}

/// What happened in one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TraceKind {
    /// `node` handled a message from `peer`.
    Message(MsgSummary),
    /// One of `node`'s timers fired.
    Timer,
    /// A fault struck `node` (the controller when it named no node, or for a partition).
    Fault(FaultAction),
    /// A fault the safe power-loss rule skipped.
    FaultSkipped,
    /// An isolation, pause or partition ended.
    Heal,
    /// `node`'s process restarted.
    Restart,
}

impl TraceKind {
    /// The family the event belongs to.
    pub fn family(&self) -> Family {
        match self {
            TraceKind::Message(m) => m.family,
            TraceKind::Timer => Family::Timers,
            _ => Family::Faults,
        }
    }

    fn code(&self) -> u64 {
        match self {
            TraceKind::Message(_) => 1,
            TraceKind::Timer => 2,
            TraceKind::Fault(a) => 3 | (*a as u64) << 4,
            TraceKind::FaultSkipped => 4,
            TraceKind::Heal => 5,
            TraceKind::Restart => 6,
        }
    }
}

/// One handled event: when, at which node, from which peer, and what.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceEvent {
    /// Virtual time (ms).
    pub at: u64,
    /// The node it happened at.
    pub node: NodeId,
    /// The other end (a message's sender).
    pub peer: Option<NodeId>,
    /// What happened.
    pub kind: TraceKind,
}

impl TraceEvent {
    /// Mix this event into `h`.
    pub fn hash_into(&self, h: &mut TraceHash) {
        // Three words for every event (most are timers), a few more for a message's facts.
        h.word(self.at);
        h.word(self.kind.code().rotate_left(48) ^ self.node.code());
        h.word(self.peer.map_or(u64::MAX, NodeId::code));
        if let TraceKind::Message(m) = &self.kind {
            // The API name's length and first eight bytes tell every API apart, cheaply.
            let mut head = [0u8; 8];
            let n = m.api.len().min(8);
            head[..n].copy_from_slice(&m.api.as_bytes()[..n]);
            let api = u64::from_le_bytes(head) ^ (m.api.len() as u64).rotate_left(56);
            h.word(api ^ m.req.map_or(u64::MAX, |r| u64::from(r.process).rotate_left(32) ^ u64::from(r.n)));
            for f in m.facts.iter().flatten() {
                h.word(f.word());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_standard_filter_leaves_out_timers_and_replica_fetches() {
        let f = TraceFilter::standard();
        assert!(f.contains(Family::Faults) && f.contains(Family::Net) && f.contains(Family::Txn));
        assert!(!f.contains(Family::Timers) && !f.contains(Family::Replication));
        assert!(!TraceFilter::NONE.is_on());
    }

    #[test]
    fn a_filter_parses_family_names_all_and_default() {
        let f = TraceFilter::parse("faults, groups").expect("valid");
        assert!(f.contains(Family::Faults) && f.contains(Family::Groups) && !f.contains(Family::Net));
        assert_eq!(TraceFilter::parse("all"), Ok(TraceFilter::all()));
        assert_eq!(TraceFilter::parse("default,timers"), Ok(TraceFilter::standard().with(Family::Timers)));
        let err = TraceFilter::parse("faults,nett").expect_err("unknown family");
        assert!(err.contains("`nett`") && err.contains("replication"), "{err}");
    }

    #[test]
    fn the_hash_depends_on_every_fact_of_a_message() {
        let event = |facts| TraceEvent {
            at: 5,
            node: NodeId::Broker(1),
            peer: Some(NodeId::Producer(0)),
            kind: TraceKind::Message(MsgSummary {
                api: "Produce",
                family: Family::Net,
                req: Some(ReqId { process: 0, n: 3 }),
                facts,
            }),
        };
        let hash = |e: TraceEvent| {
            let mut h = TraceHash::default();
            e.hash_into(&mut h);
            h.value()
        };
        let a = hash(event([Some(Fact::Partition(0)), Some(Fact::Offset(1)), None]));
        let b = hash(event([Some(Fact::Partition(0)), Some(Fact::Offset(2)), None]));
        let c = hash(event([Some(Fact::Partition(0)), Some(Fact::Hw(1)), None]));
        assert!(a != b && a != c && b != c);
    }
}
