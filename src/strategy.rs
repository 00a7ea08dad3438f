//! Proptest strategies for scenarios: clusters, topics, producers, consumers and processors
//! configured for a delivery semantic, workloads, fault schedules and nemeses.
//!
//! They compose: [`scenario`] builds a whole [`Scenario`] from a [`Shape`], and each part is a
//! strategy of its own for tests that build the rest by hand. Shrinking goes where a failure is
//! easiest to read: fewer faults (a schedule is a `Vec` proptest shrinks by removing faults),
//! fewer records, fewer brokers, earlier triggers (times and record indices shrink towards 0) and
//! shorter outages. Faults are drawn as [`FaultDraft`]s and resolved against the scenario they
//! land in, so a fault stays valid while the cluster or the workload around it shrinks.
//!
//! A failing case is a scenario plus a seed; [`write_case`] writes it as a scenario file that
//! `kafkasim run FILE` replays to the same `trace_hash`.
//!
//! ```
//! use proptest::test_runner::TestRunner;
//! use kafkasim::strategy::{scenario, Semantic, Shape};
//!
//! // Any generated scenario runs to the end and replays: the same seed, the same trace.
//! let mut runner = TestRunner::deterministic();
//! let shape = Shape { max_faults: 3, max_records: 30, ..Shape::new(Semantic::AtLeastOnce) };
//! runner
//!     .run(&(scenario(shape), 0u64..100), |(s, seed)| {
//!         let (a, _) = kafkasim::run_seed(&s, seed, kafkasim::RunOptions::default()).unwrap();
//!         let (b, _) = kafkasim::run_seed(&s, seed, kafkasim::RunOptions::default()).unwrap();
//!         assert_eq!(a.trace_hash, b.trace_hash);
//!         Ok(())
//!     })
//!     .unwrap();
//! ```

use std::path::{Path, PathBuf};

use proptest::prelude::*;

use crate::scenario::{
    Acks, ClientEvent, ClientRef, ClusterSpec, CommitMode, ConsumerSpec, FaultAction, FaultSpec, IsolationLevel,
    NemesisSpec, ProcessingGuarantee, ProcessorSpec, ProducerSpec, RecordEvent, Scenario, Target, TargetClass,
    TopicSpec, Trigger,
};

/// The delivery semantic a generated client is configured to promise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Semantic {
    /// Producers with `acks` 0 or 1 and no retries; consumers committing before processing.
    AtMostOnce,
    /// Producers with `acks=all`, retries and no idempotence; consumers committing after processing.
    AtLeastOnce,
    /// Idempotent `acks=all` producers; a consumer side is an `exactly_once_v2` processor (a
    /// plain consumer cannot promise exactly-once: [`consumer`] gives it read_committed and
    /// commit-after-processing).
    ExactlyOnce,
}

/// The clusters `n`..=`max` brokers (shrinking towards `min`), with `min.insync.replicas` of 1
/// or 2 and unclean election off or on (shrinking towards off).
pub fn cluster(min: u32, max: u32) -> impl Strategy<Value = ClusterSpec> {
    (min.max(1)..=max.max(min.max(1)), 1u32..=2, prop::bool::weighted(0.1)).prop_map(|(brokers, min_isr, unclean)| {
        let mut c = ClusterSpec { brokers, ..ClusterSpec::default() };
        c.config.min_insync_replicas = min_isr.min(brokers);
        c.config.unclean_leader_election_enable = unclean;
        c
    })
}

/// A topic `name` of 1..=`max_partitions` partitions at replication factor 1..=3, shrinking
/// towards one partition and replication factor 3 (cap it at the broker count: [`scenario`] does).
pub fn topic(name: &str, max_partitions: u32) -> impl Strategy<Value = TopicSpec> {
    let name = name.to_string();
    (1..=max_partitions.max(1), prop_oneof![3 => Just(3u32), 1 => 1u32..=2])
        .prop_map(move |(p, rf)| TopicSpec::new(&name, p, rf))
}

/// A producer `name` writing 1..=`max_records` records to `topic` (shrinking towards one
/// record), configured for `semantic`.
pub fn producer(name: &str, topic: &str, max_records: u32, semantic: Semantic) -> impl Strategy<Value = ProducerSpec> {
    let (name, topic) = (name.to_string(), topic.to_string());
    (1..=max_records.max(1), 0u64..=10, prop::option::weighted(0.2, 1u32..=8), any::<bool>()).prop_map(
        move |(records, interval_ms, keys, acks_zero)| {
            let mut p = ProducerSpec::new(&name, &topic, records);
            p.interval_ms = interval_ms;
            p.keys = keys;
            match semantic {
                Semantic::AtMostOnce => {
                    p.config.acks = if acks_zero { Acks::Zero } else { Acks::One };
                    p.config.enable_idempotence = false;
                    p.config.retries = 0;
                }
                Semantic::AtLeastOnce => {
                    p.config.acks = Acks::All;
                    p.config.enable_idempotence = false;
                }
                Semantic::ExactlyOnce => {
                    p.config.acks = Acks::All;
                    p.config.enable_idempotence = true;
                }
            }
            p
        },
    )
}

/// A consumer application `name` of 1..=`max_instances` members of `group` reading `topic`,
/// committing as `semantic` asks, with 0..=3 ms of processing per record.
pub fn consumer(
    name: &str,
    group: &str,
    topic: &str,
    max_instances: u32,
    semantic: Semantic,
) -> impl Strategy<Value = ConsumerSpec> {
    let (name, group, topic) = (name.to_string(), group.to_string(), topic.to_string());
    (1..=max_instances.max(1), 0u64..=3).prop_map(move |(instances, processing_ms)| {
        let mut c = ConsumerSpec::new(&name, &group, &topic);
        c.instances = instances;
        c.processing_ms = processing_ms;
        c.commit = match semantic {
            Semantic::AtMostOnce => CommitMode::BeforeProcessing,
            Semantic::AtLeastOnce | Semantic::ExactlyOnce => CommitMode::AfterProcessing,
        };
        if semantic == Semantic::ExactlyOnce {
            c.config.isolation_level = IsolationLevel::ReadCommitted;
        }
        // Short sessions, so a crashed member's partitions move within a test's run.
        c.config.session_timeout_ms = 6_000;
        c.config.heartbeat_interval_ms = 2_000;
        c
    })
}

/// A processor `name` of 1..=`max_instances` instances in `group`, from `input` to `output`,
/// with `guarantee` (exactly-once for [`Semantic::ExactlyOnce`], at-least-once otherwise).
pub fn processor(
    name: &str,
    group: &str,
    input: &str,
    output: &str,
    max_instances: u32,
    semantic: Semantic,
) -> impl Strategy<Value = ProcessorSpec> {
    let (name, group, input, output) = (name.to_string(), group.to_string(), input.to_string(), output.to_string());
    (1..=max_instances.max(1)).prop_map(move |instances| {
        let guarantee = match semantic {
            Semantic::ExactlyOnce => ProcessingGuarantee::ExactlyOnceV2,
            _ => ProcessingGuarantee::AtLeastOnce,
        };
        let mut p = ProcessorSpec::new(&name, &group, &input, &output, guarantee);
        p.instances = instances;
        p.config.session_timeout_ms = 10_000;
        p
    })
}

/// What a drawn fault aims at, before it meets a scenario: a class and a number that picks one
/// member of the class (modulo its size), so shrinking the cluster keeps it valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DraftTarget {
    /// A broker (`broker:N`).
    Broker(u32),
    /// The leader of a partition of the first topic when the fault fires (`leader:T/P`).
    Leader(u32),
    /// A producer.
    Producer(u32),
    /// A consumer member (`consumer:NAME/K`).
    Consumer(u32),
    /// A processor instance (`processor:NAME/K`).
    Processor(u32),
}

/// When a drawn fault fires, before it meets a scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DraftTrigger {
    /// At this virtual time.
    AtMs(u64),
    /// When record `index` (modulo the producer's records) of producer `producer` is acknowledged.
    Acked {
        /// Picks a producer with records, modulo their number.
        producer: u32,
        /// Workload index, modulo the picked producer's record count.
        index: u32,
    },
    /// When a client (picked by number) reaches its `n`-th event of a kind it has.
    Client {
        /// Picks a client, modulo the scenario's producers, consumers and processors.
        client: u32,
        /// Fires at that client's `n`-th acknowledged (producer) or processed (consumer,
        /// processor) record.
        n: u64,
    },
}

/// A fault as drawn: resolved against a scenario by [`FaultDraft::resolve`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FaultDraft {
    /// When it fires.
    pub trigger: DraftTrigger,
    /// What it does (a power loss of a client becomes a crash; a partition cuts the target off
    /// from the controller and every other broker).
    pub action: FaultAction,
    /// Whom it hits.
    pub target: DraftTarget,
    /// Restart delay (crash, power loss) or duration (isolate, pause, partition), in ms.
    pub outage_ms: u64,
}

/// Fault actions in the order shrinking prefers them (a crash is the simplest fault to read).
/// A partition is drawn only when asked for.
const ACTIONS: [FaultAction; 4] =
    [FaultAction::Crash, FaultAction::Pause, FaultAction::Isolate, FaultAction::PowerLoss];

/// Empty lists mean every action and the brokers.
fn or_defaults(actions: Vec<FaultAction>, targets: Vec<TargetClass>) -> (Vec<FaultAction>, Vec<TargetClass>) {
    let actions = if actions.is_empty() { ACTIONS.to_vec() } else { actions };
    let targets = if targets.is_empty() { vec![TargetClass::Brokers] } else { targets };
    (actions, targets)
}

/// Drafts of faults with `actions` (all four when empty) on `targets`, firing within
/// `horizon_ms` (or at an acknowledged record or a client event), with outages of
/// 100..=`max_outage_ms`. Times, indices and outages shrink towards their least.
pub fn fault_draft(
    actions: Vec<FaultAction>,
    targets: Vec<TargetClass>,
    horizon_ms: u64,
    max_outage_ms: u64,
) -> impl Strategy<Value = FaultDraft> {
    let (actions, targets) = or_defaults(actions, targets);
    let trigger = prop_oneof![
        4 => (0..horizon_ms.max(1)).prop_map(DraftTrigger::AtMs),
        1 => (0u32..4, 0u32..10_000).prop_map(|(producer, index)| DraftTrigger::Acked { producer, index }),
        1 => (0u32..8, 1u64..20).prop_map(|(client, n)| DraftTrigger::Client { client, n }),
    ];
    let n_targets = targets.len();
    (trigger, 0..actions.len(), 0..n_targets, 0u32..64, 100..=max_outage_ms.max(100)).prop_map(
        move |(trigger, a, t, k, outage_ms)| {
            let target = match targets[t] {
                TargetClass::Brokers => {
                    if k % 3 == 2 {
                        DraftTarget::Leader(k / 3)
                    } else {
                        DraftTarget::Broker(k)
                    }
                }
                TargetClass::Producers => DraftTarget::Producer(k),
                TargetClass::Consumers => DraftTarget::Consumer(k),
                TargetClass::Processors => DraftTarget::Processor(k),
            };
            FaultDraft { trigger, action: actions[a], target, outage_ms }
        },
    )
}

/// A schedule of 0..=`max_faults` drafts (shrinking towards fewer).
pub fn fault_schedule(
    max_faults: usize,
    actions: Vec<FaultAction>,
    targets: Vec<TargetClass>,
    horizon_ms: u64,
    max_outage_ms: u64,
) -> impl Strategy<Value = Vec<FaultDraft>> {
    prop::collection::vec(fault_draft(actions, targets, horizon_ms, max_outage_ms), 0..=max_faults)
}

impl FaultDraft {
    /// The fault this draft stands for in `s`, or `None` when `s` has nothing of its target's
    /// class (no consumer for a consumer fault...).
    pub fn resolve(&self, s: &Scenario) -> Option<FaultSpec> {
        let members = |instances: &mut dyn Iterator<Item = u32>| -> Vec<(usize, u32)> {
            instances.enumerate().flat_map(|(i, n)| (0..n.max(1)).map(move |k| (i, k))).collect()
        };
        let target = match self.target {
            DraftTarget::Broker(k) => Target::Broker(k % s.cluster.brokers.max(1) + 1),
            DraftTarget::Leader(k) => {
                let t = s.topics.first()?;
                Target::Leader { topic: t.name.clone(), partition: k % t.partitions.max(1) }
            }
            DraftTarget::Producer(k) => {
                (!s.producers.is_empty()).then(|| Target::Producer(k as usize % s.producers.len()))?
            }
            DraftTarget::Consumer(k) => {
                let m = members(&mut s.consumers.iter().map(|c| c.instances));
                let &(consumer, instance) = m.get(k as usize % m.len().max(1))?;
                Target::Consumer { consumer, instance: Some(instance) }
            }
            DraftTarget::Processor(k) => {
                let m = members(&mut s.processors.iter().map(|p| p.instances));
                let &(processor, instance) = m.get(k as usize % m.len().max(1))?;
                Target::Processor { processor, instance: Some(instance) }
            }
        };
        let client_target = !matches!(target, Target::Broker(_) | Target::Leader { .. });
        let action = match self.action {
            FaultAction::PowerLoss if client_target => FaultAction::Crash,
            a => a,
        };
        let trigger = match self.trigger {
            DraftTrigger::AtMs(t) => Trigger::AtMs(t),
            DraftTrigger::Acked { producer, index } => {
                let candidates: Vec<usize> = (0..s.producers.len()).filter(|&p| s.producers[p].records > 0).collect();
                match candidates.get(producer as usize % candidates.len().max(1)) {
                    Some(&p) => Trigger::Record {
                        producer: p,
                        index: index % s.producers[p].records,
                        event: RecordEvent::Acked,
                    },
                    None => Trigger::AtMs(0),
                }
            }
            DraftTrigger::Client { client, n } => {
                let clients: Vec<(ClientRef, ClientEvent)> = (0..s.producers.len())
                    .map(|p| (ClientRef::Producer(p), ClientEvent::Acked))
                    .chain((0..s.consumers.len()).map(|c| (ClientRef::Consumer(c), ClientEvent::Processed)))
                    .chain((0..s.processors.len()).map(|p| (ClientRef::Processor(p), ClientEvent::Processed)))
                    .collect();
                match clients.get(client as usize % clients.len().max(1)) {
                    Some(&(client, event)) => Trigger::Client { client, event, n },
                    None => Trigger::AtMs(0),
                }
            }
        };
        let target = match action {
            // The target on one side, the controller and every other broker on the other (the
            // clients, on neither side, reach both): for a leader, its broker is on both sides
            // and stays on the target's.
            FaultAction::Partition => {
                let others: Vec<Target> =
                    (1..=s.cluster.brokers).map(Target::Broker).filter(|b| *b != target).collect();
                Target::Sides {
                    between: vec![target],
                    and: std::iter::once(Target::Controller).chain(others).collect(),
                }
            }
            _ => target,
        };
        let timed = matches!(action, FaultAction::Isolate | FaultAction::Pause | FaultAction::Partition);
        Some(FaultSpec {
            trigger,
            action,
            target,
            restart_after_ms: (!timed).then_some(self.outage_ms),
            duration_ms: timed.then_some(self.outage_ms),
            pin: false,
        })
    }
}

/// A nemesis over `targets` with `actions` (all four when empty; a partition, which the nemesis
/// cannot draw, is left out), faults every 500..3000 ms between 0 and `stop_ms`, restarts and
/// durations of 500..=`max_outage_ms`, and the safe-schedule rule for power losses on or off.
pub fn nemesis(
    mut actions: Vec<FaultAction>,
    targets: Vec<TargetClass>,
    stop_ms: u64,
    max_outage_ms: u64,
) -> impl Strategy<Value = NemesisSpec> {
    actions.retain(|a| *a != FaultAction::Partition);
    let (actions, targets) = or_defaults(actions, targets);
    (500u64..=3_000, any::<bool>(), 500..=max_outage_ms.max(500)).prop_map(move |(gap, safe, outage)| NemesisSpec {
        actions: actions.clone(),
        targets: targets.clone(),
        interval_ms: (gap.min(1_000), gap),
        start_ms: 0,
        stop_ms,
        restart_after_ms: (500, outage),
        duration_ms: (500, outage),
        safe_power_loss: safe,
    })
}

/// What [`scenario`] generates: the bounds and the semantic of its clients.
#[derive(Debug, Clone, PartialEq)]
pub struct Shape {
    /// The semantic producers, consumers and processors are configured for.
    pub semantic: Semantic,
    /// Brokers: 1..=`max_brokers` (at least `min_brokers`).
    pub min_brokers: u32,
    /// Upper bound of the broker count.
    pub max_brokers: u32,
    /// Records of the one producer: 1..=`max_records`.
    pub max_records: u32,
    /// Partitions of the input topic: 1..=`max_partitions`.
    pub max_partitions: u32,
    /// A consumer group reads the input topic.
    pub consumer: bool,
    /// A processor carries the input topic to an output topic.
    pub processor: bool,
    /// Faults: 0..=`max_faults`.
    pub max_faults: usize,
    /// Fault actions (crash, power loss, isolate and pause when empty; `Partition` cuts the
    /// target off from the controller and the other brokers).
    pub actions: Vec<FaultAction>,
    /// Fault targets (brokers when empty).
    pub targets: Vec<TargetClass>,
    /// Timed faults fire within this many virtual ms.
    pub horizon_ms: u64,
    /// Longest restart delay or outage, in ms.
    pub max_outage_ms: u64,
}

impl Shape {
    /// 1..=3 brokers, 1..=100 records on 1..=2 partitions, up to 5 broker faults (every
    /// action) in the first 5 s, no consumer side.
    pub fn new(semantic: Semantic) -> Self {
        Shape {
            semantic,
            min_brokers: 1,
            max_brokers: 3,
            max_records: 100,
            max_partitions: 2,
            consumer: false,
            processor: false,
            max_faults: 5,
            actions: Vec::new(),
            targets: Vec::new(),
            horizon_ms: 5_000,
            max_outage_ms: 3_000,
        }
    }
}

/// A whole scenario of `shape`: a cluster, topic `orders` (and `shipments` with a processor),
/// producer `p1`, optionally consumer `c1` (group `g1`) and processor `s1` (group `app`), and a
/// fault schedule. It runs for up to 300 s of virtual time.
pub fn scenario(shape: Shape) -> impl Strategy<Value = Scenario> {
    let sem = shape.semantic;
    let parts = (
        cluster(shape.min_brokers, shape.max_brokers),
        topic("orders", shape.max_partitions),
        producer("p1", "orders", shape.max_records, sem),
        prop::option::of(consumer("c1", "g1", "orders", 2, sem)),
        prop::option::of(processor("s1", "app", "orders", "shipments", 2, sem)),
        fault_schedule(
            shape.max_faults,
            shape.actions.clone(),
            shape.targets.clone(),
            shape.horizon_ms,
            shape.max_outage_ms,
        ),
    );
    parts.prop_map(move |(cluster, orders, p1, c1, s1, drafts)| {
        let mut s = Scenario { name: "generated".into(), duration_ms: 300_000, cluster, ..Scenario::default() };
        s.topics.push(orders);
        s.producers.push(p1);
        if shape.consumer {
            s.consumers.extend(c1);
        }
        if shape.processor {
            if let Some(p) = s1 {
                s.topics.push(TopicSpec::new("shipments", 1, 3));
                s.processors.push(p);
            }
        }
        // A replication factor above the broker count is a load error: keep every file loadable.
        for t in &mut s.topics {
            t.replication_factor = t.replication_factor.min(s.cluster.brokers);
        }
        s.faults = drafts.iter().filter_map(|d| d.resolve(&s)).collect();
        s
    })
}

/// Write a failing case (`s` run with `seed`) as a scenario file that `kafkasim run PATH`
/// replays: the same scenario with `seed` as its seed, so it gives the same `trace_hash`.
pub fn write_case(s: &Scenario, seed: u64, path: &Path) -> std::io::Result<()> {
    let mut case = s.clone();
    case.seed = seed;
    std::fs::write(path, crate::scenario::to_toml(&case))
}

/// Save a failing case in `dir` (created if needed) as `NAME-seed-SEED.toml`, NAME being the
/// scenario's name made file-safe, and return the path: call it from a property's failure
/// branch and the message can say `replay with: kafkasim run PATH`.
pub fn save_failure(s: &Scenario, seed: u64, dir: &Path) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let stem: String =
        s.name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '-' }).collect();
    let path = dir.join(format!("{}-seed-{seed}.toml", stem.trim_matches('-')));
    write_case(s, seed, &path)?;
    Ok(path)
}

/// After proptest has shrunk a failing case, drop every fault the failure no longer needs:
/// proptest removes faults before it shrinks their times, so a fault that became redundant once
/// the others moved stays in its result. `fails` is the property's failure test; faults are
/// tried in turn from the last, and each removal that keeps `fails` true is kept.
pub fn minimize_faults(s: &Scenario, seed: u64, fails: impl Fn(&Scenario, u64) -> bool) -> Scenario {
    let mut best = s.clone();
    let mut i = best.faults.len();
    while i > 0 {
        i -= 1;
        let mut fewer = best.clone();
        fewer.faults.remove(i);
        if fails(&fewer, seed) {
            best = fewer;
        }
    }
    best
}
