//! Positive evidence: what the run shows Kafka's mechanisms doing when they work, so a report
//! with no anomaly still says why there was none. Each line is a count the history and the
//! final logs prove, never a claim about the model's state:
//!
//! - `deduplicated_retries`: batches of an idempotent producer acknowledged after a retry whose
//!   records each stand once in the read_committed view of the final logs (the leader's
//!   per-producer sequence check, `ProducerStateManager`/`ProducerAppendInfo` in Kafka, turns a
//!   retry of an appended batch into a duplicate it answers without appending);
//! - `aborted_skipped`: records of aborted transactions below how far a read_committed group
//!   read, none of which it was handed (the fetch's aborted-transaction list, KIP-98);
//! - `stale_commits_refused`: offset commits of a member whose generation had passed, refused by
//!   the coordinator (`GroupMetadata`/`GroupCoordinator.handleCommitOffsets`: ILLEGAL_GENERATION,
//!   UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID, and the consumer's `CommitFailedException`);
//! - `zombies_fenced`: instances of a transactional producer refused with PRODUCER_FENCED or
//!   INVALID_PRODUCER_EPOCH (KIP-98's epoch bump on `InitProducerId` by a newer instance).

use std::collections::BTreeMap;

use serde::Serialize;

use super::consumers::plural;
use super::index::Table;
use super::txnlog::{Fate, TxnLogs};
use crate::error::KafkaError;
use crate::record::{EventKind, History, IsolationLevel};
use crate::scenario::Scenario;

/// One positive finding: a mechanism seen working, with how often and for whom.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// What it shows: `deduplicated_retries`, `aborted_skipped`, `stale_commits_refused` or
    /// `zombies_fenced`.
    pub kind: &'static str,
    /// The client it is about (producer, consumer or processor name).
    pub client: String,
    /// How many batches, records, commits or instances.
    pub count: u64,
    /// The line the text report prints.
    pub text: String,
}

/// Every piece of evidence of the run, in a fixed order: by kind, then by client.
pub(crate) fn gather(scenario: &Scenario, history: &History, table: &Table, txns: &TxnLogs) -> Vec<Evidence> {
    let mut out = deduplicated_retries(scenario, history, table);
    out.extend(aborted_skipped(history, txns));
    out.extend(stale_commits_refused(history));
    out.extend(zombies_fenced(history, table));
    out
}

fn deduplicated_retries(scenario: &Scenario, history: &History, table: &Table) -> Vec<Evidence> {
    let mut per: BTreeMap<u32, u64> = BTreeMap::new();
    for ev in &history.events {
        let EventKind::Acked { producer, records, attempts, .. } = &ev.kind else { continue };
        let idempotent = scenario
            .producers
            .get(*producer as usize)
            .is_some_and(|p| p.config.enable_idempotence || p.config.transactional_id.is_some());
        if *attempts < 2 || !idempotent || table.is_output(*producer) {
            continue;
        }
        if records.iter().all(|i| table.rec(*producer, i).is_some_and(|r| r.count == 1)) {
            *per.entry(*producer).or_default() += 1;
        }
    }
    per.into_iter()
        .map(|(p, n)| {
            let client = history.producers[p as usize].clone();
            let text = format!(
                "{n} retried batch{} acknowledged and written once: the broker deduplicates an idempotent producer's retries ({client})",
                if n == 1 { "" } else { "es" }
            );
            Evidence { kind: "deduplicated_retries", client, count: n, text }
        })
        .collect()
}

/// The name a consuming application is reported under: its processor's, for a processor.
fn consumer_name(history: &History, c: usize) -> String {
    let info = &history.consumers[c];
    match info.processor {
        Some(p) => history.processors[p as usize].name.clone(),
        None => info.name.clone(),
    }
}

fn aborted_skipped(history: &History, txns: &TxnLogs) -> Vec<Evidence> {
    let n_parts = history.partitions.len();
    // Per read_committed consuming application: how far it read in each partition (past the
    // last record handed to it, or its last successful commit) and whether it was handed an
    // aborted record (an anomaly then speaks instead).
    let mut reach: Vec<Vec<u64>> = vec![Vec::new(); history.consumers.len()];
    let mut read_aborted = vec![false; history.consumers.len()];
    for (c, info) in history.consumers.iter().enumerate() {
        if info.isolation == IsolationLevel::ReadCommitted {
            reach[c] = vec![0; n_parts];
        }
    }
    let aborted = aborted_ranges(history, txns);
    for ev in &history.events {
        match &ev.kind {
            EventKind::Polled { consumer, records, .. } => {
                let c = *consumer as usize;
                if reach[c].is_empty() {
                    continue;
                }
                for d in records.iter() {
                    let r = &mut reach[c][d.partition as usize];
                    *r = (*r).max(d.offset + 1);
                    let ranges = &aborted[d.partition as usize];
                    let k = ranges.partition_point(|&(_, last)| last < d.offset);
                    if ranges.get(k).is_some_and(|&(first, _)| first <= d.offset) {
                        read_aborted[c] = true;
                    }
                }
            }
            EventKind::OffsetCommit { consumer, offsets, result: Ok(()), .. } => {
                let c = *consumer as usize;
                if reach[c].is_empty() {
                    continue;
                }
                for &(p, next) in offsets.iter() {
                    let r = &mut reach[c][p as usize];
                    *r = (*r).max(next);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    for (c, reach) in reach.iter().enumerate() {
        if reach.is_empty() || read_aborted[c] {
            continue;
        }
        let n: u64 = aborted
            .iter()
            .zip(reach)
            .map(|(ranges, &to)| {
                ranges.iter().map(|&(first, last)| (last + 1).min(to).saturating_sub(first)).sum::<u64>()
            })
            .sum();
        if n > 0 {
            let client = consumer_name(history, c);
            let group = &history.consumers[c].group;
            let text = format!("{n} aborted record{} skipped by read_committed group {group} ({client})", plural(n));
            out.push(Evidence { kind: "aborted_skipped", client, count: n, text });
        }
    }
    out
}

/// Per partition, the offset ranges (first, last) of aborted transactions' data records in the
/// final leader's log, in offset order.
fn aborted_ranges(history: &History, txns: &TxnLogs) -> Vec<Vec<(u64, u64)>> {
    history
        .partitions
        .iter()
        .enumerate()
        .map(|(x, part)| {
            let Some(log) = part.leader_replica().filter(|_| !part.is_internal()) else { return Vec::new() };
            log.log
                .iter()
                .enumerate()
                .filter(|&(bi, b)| txns.fate(x as u32, bi) == Fate::Aborted && !b.records.is_empty())
                .map(|(_, b)| (b.base_offset, b.base_offset + b.records.len() as u64 - 1))
                .collect()
        })
        .collect()
}

fn stale_commits_refused(history: &History) -> Vec<Evidence> {
    // Generation each member last joined, and the newest generation of each group so far.
    let mut joined: BTreeMap<(u32, u32), i32> = BTreeMap::new();
    let mut newest: BTreeMap<&str, i32> = BTreeMap::new();
    // Per consuming application: refused commits and the first one's (stale, current) generations.
    let mut per: BTreeMap<u32, (u64, Option<(i32, i32)>)> = BTreeMap::new();
    for ev in &history.events {
        match &ev.kind {
            EventKind::Assigned { consumer, instance, generation, .. } => {
                joined.insert((*consumer, *instance), *generation);
                let g = newest.entry(history.consumers[*consumer as usize].group.as_str()).or_insert(*generation);
                *g = (*g).max(*generation);
            }
            EventKind::OffsetCommit { consumer, instance, result: Err(e), .. } if stale_member(e) => {
                let mine = joined.get(&(*consumer, *instance)).copied();
                let now = newest.get(history.consumers[*consumer as usize].group.as_str()).copied();
                let entry = per.entry(*consumer).or_default();
                entry.0 += 1;
                if entry.1.is_none() {
                    entry.1 = mine.zip(now).filter(|(m, n)| m < n);
                }
            }
            _ => {}
        }
    }
    per.into_iter()
        .map(|(c, (n, gens))| {
            let client = consumer_name(history, c as usize);
            let why = gens.map_or(String::new(), |(m, now)| format!(": generation {m} < {now}"));
            let text = format!(
                "{n} offset commit{} of a stale member refused by the group coordinator ({client}{why})",
                plural(n)
            );
            Evidence { kind: "stale_commits_refused", client, count: n, text }
        })
        .collect()
}

/// A commit refused because the member is no longer the group's: a zombie's commit.
fn stale_member(e: &KafkaError) -> bool {
    matches!(
        e,
        KafkaError::IllegalGeneration
            | KafkaError::UnknownMemberId
            | KafkaError::FencedInstanceId
            | KafkaError::CommitFailed
            | KafkaError::FencedMemberEpoch
            | KafkaError::StaleMemberEpoch
    )
}

fn zombies_fenced(history: &History, table: &Table) -> Vec<Evidence> {
    let fenced = |e: &KafkaError| matches!(e, KafkaError::ProducerFenced | KafkaError::InvalidProducerEpoch);
    let mut per: BTreeMap<u32, std::collections::BTreeSet<u32>> = BTreeMap::new();
    for ev in &history.events {
        match &ev.kind {
            EventKind::Failed { producer, instance, error, .. } if fenced(error) && table.is_txn(*producer) => {
                per.entry(*producer).or_default().insert(*instance);
            }
            EventKind::TxnEnded { producer, instance, result: Err(e), .. } if fenced(e) && table.is_txn(*producer) => {
                per.entry(*producer).or_default().insert(*instance);
            }
            _ => {}
        }
    }
    per.into_iter()
        .map(|(p, instances)| {
            let client = history.producers[p as usize].clone();
            let n = instances.len() as u64;
            let text = format!(
                "{n} zombie producer instance{} fenced by a newer epoch of the same transactional.id ({client})",
                plural(n)
            );
            Evidence { kind: "zombies_fenced", client, count: n, text }
        })
        .collect()
}
