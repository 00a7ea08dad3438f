//! The checker: judges a run from its [`History`] (client observations, fault log, final logs)
//! and never from the model's internals. One file per anomaly family:
//!
//! - `loss`: `lost_acked` and `unavailable`;
//! - `duplicates`: `duplicated`;
//! - `order`: `reordered`;
//! - `divergence`: `divergence`;
//! - `producers`: per-producer counts and delivery semantics;
//! - `phantom`: `phantom_read`;
//! - `processing`: `lost_processing` and `duplicate_processing` of consumer groups;
//! - `processors`: `lost_processing` and `duplicate_processing` of processors (consume-transform-
//!   produce), judged by their outputs in the final logs, per-processor counts and semantics;
//! - `consumers`: the consumer index those two share, per-consumer counts, committed offsets and
//!   delivery semantics;
//! - `transactions`: `aborted_read`, `torn_transaction` and `stuck_lso`, from `txnlog`, the
//!   transactions of the final logs (which batch is in which transaction, how each ended, each
//!   partition's last stable offset).
//!
//! Internal partitions (`__consumer_offsets`, `__transaction_state`) are no workload data: only the
//! consumer checkers read them, for committed offsets. The record-identity checkers (presence,
//! duplicates, order) walk the read_committed view of the final logs: records of aborted and still
//! open transactions are skipped there, and judged by the transaction checkers instead.
//!
//! Processors' outputs are written under pseudo-producers (`History::processors`). The
//! producer-level checkers (presence, duplicates, order, producer counts and semantics) skip their
//! records, and the consumer groups' processing checkers skip the processors' members: a
//! processor is judged once, by its outputs. Phantom and aborted reads, torn transactions and
//! stuck LSOs apply to processors as to any client.
//!
//! Cost: one pass over the events and one walk over each final log (a second one over the consumed
//! partitions' logs), with per-record state in flat vectors indexed by workload index; strings are
//! built only for the (capped) findings.

use std::collections::BTreeMap;

mod consumers;
mod divergence;
mod duplicates;
mod evidence;
pub mod explain;
mod index;
mod loss;
mod order;
mod phantom;
mod processing;
mod processors;
mod producers;
mod stats;
mod text;
mod transactions;
mod txnlog;

pub(crate) use consumers::instance_name;
pub(crate) use index::producer_instance;

pub use consumers::NO_PROMISE;
pub use evidence::Evidence;
pub use producers::promised_delivery;
pub use stats::{ConsumerStats, ProcessorStats, ProducerStats, Semantic};

use crate::record::{Anomalies, Anomaly, EventKind, History};
use crate::scenario::Scenario;

/// Most findings kept per anomaly; the counts stay exact beyond it.
pub const FINDINGS_CAP: usize = 100;

/// One anomalous record (or partition) with the story of how it came to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The anomaly it is an instance of.
    pub anomaly: Anomaly,
    /// The record or partition it is about, e.g. `p1#17` or `orders/0`.
    pub subject: String,
    /// Its fate, record by record, in one sentence or a few.
    pub explanation: String,
}

/// The checker's judgement of one run: what the report's anomalies, producers, consumers and
/// semantics say, plus the findings behind the counts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Verdict {
    /// Anomaly counts (distinct records; distinct offsets for divergence).
    pub anomalies: Anomalies,
    /// Up to [`FINDINGS_CAP`] findings per anomaly, grouped in `Anomaly::ALL` order.
    pub findings: Vec<Finding>,
    /// Outcome counts per producer name.
    pub producers: BTreeMap<String, ProducerStats>,
    /// Processing counts and committed offsets per consumer name (processors excluded).
    pub consumers: BTreeMap<String, ConsumerStats>,
    /// Input, output and committed-offset counts per processor name.
    pub processors: BTreeMap<String, ProcessorStats>,
    /// Promised delivery semantic per client (producer, consumer and processor) name, and
    /// whether it held.
    pub semantics: BTreeMap<String, Semantic>,
    /// Per client name, in a run that stopped at `duration_ms` before it settled: records
    /// neither judged lost nor done (a producer's sends still unresolved, a group's records not
    /// processed yet that no commit passed). Empty for a settled run.
    pub unsettled: BTreeMap<String, u64>,
    /// What the run shows Kafka's mechanisms doing: retries deduplicated, aborted records
    /// skipped, stale commits refused, zombies fenced.
    pub evidence: Vec<Evidence>,
}

/// Judges a run from its history alone; `scenario` supplies workload sizes and client configs.
pub fn check(scenario: &Scenario, history: &History) -> Verdict {
    let mut table = index::Table::build(scenario, history);
    let txns = txnlog::TxnLogs::build(history);
    let mut dups = duplicates::Duplicates::default();
    let mut order = order::Order::default();

    // One walk over the read_committed view of every final workload log feeds presence,
    // duplicates and order.
    for (x, part) in history.partitions.iter().enumerate() {
        if part.is_internal() {
            continue;
        }
        let Some(log) = part.leader_replica() else { continue };
        let x = x as u32;
        for (bi, batch) in log.log.iter().enumerate() {
            if !txns.fate(x, bi).committed_view() {
                continue;
            }
            let (p, k) = (batch.producer, batch.instance);
            // A processor's outputs are judged by its processing (`processors`), not as a
            // producer's records: they are indexed (for torn transactions and stories) only.
            let output = table.is_output(p);
            let mut latest = order.take(p, k);
            let id = table.walk_batch(x, bi);
            let mut pos = 0;
            loop {
                // The usual records in one go; the first that is not goes the long way.
                pos = table.first_copies((p, k), &batch.records, pos, (x, id), |index, seq, at| {
                    output || order::Order::in_order(&mut latest, x, index, seq, batch.base_offset + at as u64)
                });
                let Some(idx) = batch.records.get(pos) else { break };
                let offset = batch.base_offset + pos as u64;
                pos += 1;
                let occ = table.occur(p, idx, x, id, k, &log.log);
                if output {
                    continue;
                }
                dups.observe(&mut table, p, idx, occ, x, offset);
                if occ.first_for_walk {
                    order.observe(&mut latest, &mut table, p, k, idx, x, offset);
                }
            }
            order.put(p, k, latest);
        }
    }

    let loss = loss::check(history, &table, &txns);
    let div = divergence::check(history, &table);
    let torn = transactions::torn(history, &table, &txns);
    let (stuck_lso, stuck_findings) = transactions::stuck(history, &txns);
    let (producer_stats, dup_per_producer) = producers::stats(scenario, history, &table);
    let mut semantics =
        producers::semantics(scenario, history, &loss.per_producer, &dup_per_producer, &torn.per_producer);

    // One pass over the consumer events feeds phantom reads and processing counts; then a walk
    // over the consumed partitions' final logs finds what no group processed.
    let mut cons = consumers::Consumers::build(history, &table);
    let mut phantom = phantom::Phantom::new(history);
    let mut aborted = transactions::AbortedRead::new(history);
    let mut processing = processing::Processing::default();
    if !history.consumers.is_empty() {
        for (ei, ev) in history.events.iter().enumerate() {
            let ei = ei as u32;
            cons.note(ei, ev);
            match &ev.kind {
                EventKind::Polled { consumer, instance, records } => {
                    phantom.observe(&mut cons, ei, *consumer, *instance, records);
                    aborted.observe(&mut cons, history, &txns, ei, *consumer, *instance, records);
                }
                EventKind::Processed { consumer, records, .. } => processing.observe(&mut cons, *consumer, records),
                _ => {}
            }
        }
        processing.walk_final_logs(&mut cons, history, &txns);
    }
    semantics.extend(cons.semantics(history, &processing.lost_in));

    let mut unsettled: BTreeMap<String, u64> = BTreeMap::new();
    for ev in &history.events {
        if let EventKind::Failed { producer, records, error: crate::error::KafkaError::UnresolvedAtEnd, .. } = &ev.kind
        {
            *unsettled.entry(history.producers[*producer as usize].clone()).or_default() += records.len() as u64;
        }
    }
    for (g, &n) in processing.unsettled.iter().enumerate().filter(|(_, &n)| n > 0) {
        // Named after the group's first consumer table.
        if let Some(info) = history.consumers.iter().find(|i| i.group == cons.groups[g]) {
            *unsettled.entry(info.name.clone()).or_default() += n;
        }
    }

    // Processors: their outputs in the final logs, per input.
    let (kept_lost, kept_dup) = processing.kept();
    let room = (FINDINGS_CAP.saturating_sub(kept_lost), FINDINGS_CAP.saturating_sub(kept_dup));
    let procs = processors::Processors::check(history, &table, &txns, &mut cons, room);
    semantics.extend(procs.semantics.iter().map(|(k, v)| (k.clone(), v.clone())));
    for (name, n) in &procs.unsettled {
        *unsettled.entry(name.clone()).or_default() += n;
    }

    let mut anomalies = Anomalies::default();
    anomalies[Anomaly::LostAcked] = loss.lost_acked;
    anomalies[Anomaly::Duplicated] = dups.count;
    anomalies[Anomaly::Reordered] = order.count;
    anomalies[Anomaly::Divergence] = div.count;
    anomalies[Anomaly::PhantomRead] = phantom.count;
    anomalies[Anomaly::AbortedRead] = aborted.count;
    anomalies[Anomaly::TornTransaction] = torn.count;
    anomalies[Anomaly::LostProcessing] = processing.lost + procs.lost;
    anomalies[Anomaly::DuplicateProcessing] = processing.duplicated + procs.duplicated;
    anomalies[Anomaly::StuckLso] = stuck_lso;
    anomalies[Anomaly::Unavailable] = loss.unavailable;

    let mut findings = loss.findings;
    findings.extend(dups.findings(scenario, history, &table));
    findings.extend(order.findings(scenario, history, &table));
    findings.extend(div.findings);
    findings.extend(phantom.findings(history, &table));
    findings.extend(aborted.findings(history, &txns));
    findings.extend(torn.findings);
    let consumer_stats = cons.stats(history);
    let (lost_processing, duplicate_processing) = processing.findings(&cons, history, &table);
    let (proc_lost, proc_dup) = procs.findings(&cons, history, &table);
    findings.extend(lost_processing);
    findings.extend(proc_lost);
    findings.extend(duplicate_processing);
    findings.extend(proc_dup);
    findings.extend(stuck_findings);
    findings.extend(loss.unavailable_findings);
    let evidence = evidence::gather(scenario, history, &table, &txns);

    Verdict {
        evidence,
        unsettled,
        anomalies,
        findings,
        producers: producer_stats,
        consumers: consumer_stats,
        processors: procs.stats,
        semantics,
    }
}
