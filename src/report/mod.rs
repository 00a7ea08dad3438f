//! The report of one seed's run: the contract's JSON object, plus the text rendering.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::check::{ConsumerStats, Evidence, Finding, ProcessorStats, ProducerStats, Semantic, Verdict};
use crate::record::{Anomalies, History};
use crate::scenario::{Expectation, Scenario};

pub mod json;
pub mod text;
pub mod timeline;

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
    /// The version of this object's shape (docs/report.schema.json): [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// Scenario name.
    pub scenario: String,
    /// Seed run.
    pub seed: u64,
    /// The Kafka release modelled (`[cluster] kafka_version`), and its metadata mode when that is
    /// ZooKeeper: `"2.8"`, `"2.8 (zookeeper)"`.
    pub kafka_version: String,
    /// Hash of the whole event trace, 16 hex digits.
    pub trace_hash: String,
    /// Virtual time at the end of the run, ms.
    pub virtual_ms: u64,
    /// Number of events the kernel handled.
    pub events: u64,
    /// Whether the run settled before `duration_ms`; false when it stopped there with client
    /// work outstanding (see `unsettled`).
    pub settled: bool,
    /// Why the run ended: `settled` (its work ended), `duration_ms` or `max_events`.
    pub ended: crate::record::EndReason,
    /// Per client, in a run that did not settle: records neither judged lost nor done (sends
    /// still unresolved, records a group had not reached). Left out of the JSON when empty.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub unsettled: BTreeMap<String, u64>,
    /// What the run still waited for when it stopped, for the text report only.
    #[serde(skip)]
    pub waiting: Vec<String>,
    /// Anomaly counts.
    pub anomalies: Anomalies,
    /// Up to a few example explanations per anomaly with a non-zero count.
    pub examples: BTreeMap<String, Vec<String>>,
    /// Positive findings: Kafka's mechanisms seen working (deduplicated retries, aborted records
    /// skipped, stale commits refused, zombies fenced).
    pub evidence: Vec<Evidence>,
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
    /// `--explain RECORD`: the record's story, one line per step (left out when not asked for).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub explain: Vec<String>,
    /// Scenario description, for the text report only.
    #[serde(skip)]
    pub description: Option<String>,
    /// Every finding with its full explanation, for the text report only.
    #[serde(skip)]
    pub findings: Vec<Finding>,
}

/// How many explanations per non-zero anomaly the JSON report carries as `examples`.
pub const EXAMPLES_PER_ANOMALY: usize = 3;

/// The report's `schema_version`: bumped when a key changes meaning or goes (adding one does not).
pub const SCHEMA_VERSION: u32 = 1;

impl Report {
    /// Keep `per_anomaly` explanations per non-zero anomaly in `examples` (`None`: every finding
    /// the checker kept, up to its cap of 100 per anomaly): `--findings N|all`.
    pub fn set_examples(&mut self, per_anomaly: Option<usize>) {
        self.examples = examples(&self.anomalies, &self.findings, per_anomaly.unwrap_or(usize::MAX));
    }
}

fn examples(anomalies: &Anomalies, findings: &[Finding], per_anomaly: usize) -> BTreeMap<String, Vec<String>> {
    let mut examples: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (anomaly, _) in anomalies.nonzero() {
        let picked: Vec<String> =
            findings.iter().filter(|f| f.anomaly == anomaly).take(per_anomaly).map(|f| f.explanation.clone()).collect();
        if !picked.is_empty() {
            examples.insert(anomaly.name().to_string(), picked);
        }
    }
    examples
}

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
    let Verdict { anomalies, findings, producers, consumers, processors, semantics, unsettled, evidence } = verdict;
    let examples = examples(&anomalies, &findings, EXAMPLES_PER_ANOMALY);
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
        schema_version: SCHEMA_VERSION,
        scenario: scenario.name.clone(),
        seed,
        kafka_version: match scenario.cluster.metadata {
            crate::scenario::MetadataMode::KRaft => scenario.cluster.kafka_version.to_string(),
            crate::scenario::MetadataMode::ZooKeeper => format!("{} (zookeeper)", scenario.cluster.kafka_version),
        },
        trace_hash: format!("{trace_hash:016x}"),
        virtual_ms,
        events,
        settled: history.end.settled,
        ended: history.end.reason,
        unsettled,
        waiting: history.end.waiting.clone(),
        anomalies,
        examples,
        evidence,
        producers,
        consumers,
        processors,
        partitions,
        semantics,
        expect: evaluate_expect(&scenario.expect, &anomalies),
        explain: Vec::new(),
        description: scenario.description.clone(),
        findings,
    }
}

/// Checks each `[expect]` line against the anomaly counts; a failure reads
/// `lost_acked: expected >0, got 0`.
pub fn evaluate_expect(expect: &[Expectation], anomalies: &Anomalies) -> ExpectOutcome {
    let failures: Vec<String> = expect
        .iter()
        .filter_map(|e| {
            let got = anomalies[e.anomaly];
            (!e.bound.holds(got)).then(|| format!("{}: expected {}, got {got}", e.anomaly, e.bound))
        })
        .collect();
    ExpectOutcome { passed: failures.is_empty(), failures }
}
