//! The report of one seed's run: the contract's JSON object, plus the text rendering.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::check::Verdict;
use crate::record::History;
use crate::scenario::{Expectation, Scenario};

pub mod json;
pub mod text;

/// Anomaly counts, in the contract's key order. Counts are distinct records (transactions for
/// `torn_transaction`, partitions for `stuck_lso`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Anomalies {
    /// Acknowledged records missing from the final log.
    pub lost_acked: u64,
    /// Records at two or more offsets of the final log.
    pub duplicated: u64,
    /// Records of one producer instance on one partition standing in the opposite order to their sends.
    pub reordered: u64,
    /// Offsets below the HW where two in-sync replicas disagree.
    pub divergence: u64,
    /// Records given to a consumer at an offset the final log no longer holds (consumer issue).
    pub phantom_read: u64,
    /// Aborted records given to a read_committed consumer (transactions issue).
    pub aborted_read: u64,
    /// Committed transactions only partly in the final log (transactions issue).
    pub torn_transaction: u64,
    /// Records in the final log their group never processed (consumer issue).
    pub lost_processing: u64,
    /// Records a group processed twice or more (consumer issue).
    pub duplicate_processing: u64,
    /// Partitions whose LSO stays below the HW (transactions issue).
    pub stuck_lso: u64,
    /// Acknowledged records on a partition with no leader at the end.
    pub unavailable: u64,
}

impl Anomalies {
    /// Every anomaly name, in report order.
    pub const NAMES: [&'static str; 11] = [
        "lost_acked",
        "duplicated",
        "reordered",
        "divergence",
        "phantom_read",
        "aborted_read",
        "torn_transaction",
        "lost_processing",
        "duplicate_processing",
        "stuck_lso",
        "unavailable",
    ];

    /// The count of the anomaly called `name`, if there is one.
    pub fn get(&self, name: &str) -> Option<u64> {
        Some(match name {
            "lost_acked" => self.lost_acked,
            "duplicated" => self.duplicated,
            "reordered" => self.reordered,
            "divergence" => self.divergence,
            "phantom_read" => self.phantom_read,
            "aborted_read" => self.aborted_read,
            "torn_transaction" => self.torn_transaction,
            "lost_processing" => self.lost_processing,
            "duplicate_processing" => self.duplicate_processing,
            "stuck_lso" => self.stuck_lso,
            "unavailable" => self.unavailable,
            _ => return None,
        })
    }
}

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

/// One partition's final state, as reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartitionSummary {
    /// Leader broker, or null when offline.
    pub leader: Option<u32>,
    /// Leader epoch.
    pub leader_epoch: u32,
    /// Leader's high watermark (0 when offline).
    pub hw: u64,
    /// Leader's log end offset (0 when offline).
    pub leo: u64,
    /// In-sync replicas.
    pub isr: Vec<u32>,
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

/// Outcome of `[expect]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ExpectOutcome {
    /// Every expectation held.
    pub passed: bool,
    /// One line per failed expectation: `lost_acked: expected >0, got 0`.
    pub failures: Vec<String>,
}

/// One seed's report: the contract's JSON object, field for field.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Scenario name.
    pub scenario: String,
    /// Seed run.
    pub seed: u64,
    /// Hash of the whole event trace, 16 hex digits.
    pub trace_hash: String,
    /// Virtual time at the end of the run, ms.
    pub virtual_ms: u64,
    /// Number of events the kernel handled.
    pub events: u64,
    /// Anomaly counts.
    pub anomalies: Anomalies,
    /// Up to a few example explanations per anomaly with a non-zero count.
    pub examples: BTreeMap<String, Vec<String>>,
    /// Per-producer counts.
    pub producers: BTreeMap<String, ProducerStats>,
    /// Per-consumer counts.
    pub consumers: BTreeMap<String, ConsumerStats>,
    /// Per-processor counts; left out of the JSON when the scenario has no processors.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub processors: BTreeMap<String, ProcessorStats>,
    /// Final partition states of the workload topics (not internal ones), keyed `topic/partition`.
    pub partitions: BTreeMap<String, PartitionSummary>,
    /// Per-client semantic verdicts.
    pub semantics: BTreeMap<String, Semantic>,
    /// `[expect]` outcome.
    pub expect: ExpectOutcome,
    /// Scenario description, for the text report only.
    #[serde(skip)]
    pub description: Option<String>,
    /// Every finding with its full explanation, for the text report only.
    #[serde(skip)]
    pub findings: Vec<crate::check::Finding>,
}

/// How many explanations per non-zero anomaly the JSON report carries as `examples`.
pub const EXAMPLES_PER_ANOMALY: usize = 3;

/// Assembles one seed's report from the run's totals, its history and the checker's verdict,
/// evaluating the scenario's `[expect]` against the verdict's anomaly counts.
pub fn build_report(
    scenario: &Scenario,
    seed: u64,
    trace_hash: u64,
    virtual_ms: u64,
    events: u64,
    history: &History,
    verdict: Verdict,
) -> Report {
    let Verdict { anomalies, findings, producers, consumers, processors, semantics } = verdict;
    let mut examples: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for name in Anomalies::NAMES {
        if anomalies.get(name).unwrap_or(0) == 0 {
            continue;
        }
        let picked: Vec<String> = findings
            .iter()
            .filter(|f| f.anomaly == name)
            .take(EXAMPLES_PER_ANOMALY)
            .map(|f| f.explanation.clone())
            .collect();
        if !picked.is_empty() {
            examples.insert(name.to_string(), picked);
        }
    }
    let partitions = history
        .partitions
        .iter()
        .filter(|p| !p.is_internal())
        .map(|p| {
            let leader = p.leader_replica();
            let summary = PartitionSummary {
                leader: p.leader,
                leader_epoch: p.leader_epoch,
                hw: leader.map_or(0, |r| r.hw),
                leo: leader.map_or(0, |r| r.leo),
                isr: p.isr.clone(),
            };
            (p.name(), summary)
        })
        .collect();
    Report {
        scenario: scenario.name.clone(),
        seed,
        trace_hash: format!("{trace_hash:016x}"),
        virtual_ms,
        events,
        anomalies,
        examples,
        producers,
        consumers,
        processors,
        partitions,
        semantics,
        expect: evaluate_expect(&scenario.expect, &anomalies),
        description: scenario.description.clone(),
        findings,
    }
}

/// Checks each `[expect]` line against the anomaly counts; a failure reads
/// `lost_acked: expected >0, got 0`.
pub fn evaluate_expect(expect: &[Expectation], anomalies: &Anomalies) -> ExpectOutcome {
    let failures: Vec<String> = expect
        .iter()
        .filter_map(|e| match anomalies.get(&e.anomaly) {
            Some(got) if e.bound.holds(got) => None,
            Some(got) => Some(format!("{}: expected {}, got {got}", e.anomaly, e.bound)),
            None => Some(format!("{}: no such anomaly", e.anomaly)),
        })
        .collect();
    ExpectOutcome { passed: failures.is_empty(), failures }
}
