//! `lost_processing` and `duplicate_processing`: what each group did with the records of the
//! topics it subscribes to. Processing is counted per group and per record (its identity, not its
//! offset), in the external store every `Processed` event reports.
//!
//! - `duplicate_processing`: a record one group processed twice or more, counted once however
//!   many groups did.
//! - `lost_processing`: a record in the final log of an online partition (the leader's replica,
//!   below its high watermark) of a topic some group subscribes to, that no member of that group
//!   ever processed; counted once however many groups lost it. For a read_committed group the
//!   final log is its read_committed view, below the last stable offset: records of aborted or
//!   still open transactions are none of its business.

use std::collections::BTreeMap;

use super::consumers::{instance_name, Consumers, RecordBytes, COUNT, DUP, LOST, LOST_IN_GROUP, TRACK_DUP, TRACK_LOST};
use super::index::{join_and, partition_name, record_name, Table};
use super::txnlog::TxnLogs;
use super::{Finding, FINDINGS_CAP};
use crate::record::{Anomaly, Deliveries, EventKind, History, RecordId};

/// Processings told per duplicate before summarising the rest.
const STEPS_CAP: usize = 4;
/// Polls told per lost record before summarising the rest.
const POLLS_CAP: usize = 3;

/// A record some group never processed, kept for a finding.
#[derive(Debug)]
struct Lost {
    record: RecordId,
    group: u32,
    partition: u32,
    offset: u64,
    /// Other groups that never processed it either.
    also: Vec<u32>,
    /// (event, consumer, instance) of the group's polls of it, the first `POLLS_CAP`.
    polls: Vec<(u32, u32, u32)>,
    /// All the group's polls of it.
    poll_count: u64,
}

/// A record some group processed twice or more, kept for a finding.
#[derive(Debug)]
struct Dup {
    record: RecordId,
    group: u32,
    /// Other groups that processed it twice or more too.
    also: Vec<u32>,
    /// (event, consumer, instance, partition, offset) of the group's processings of it, the first
    /// `STEPS_CAP`.
    steps: Vec<(u32, u32, u32, u32, u64)>,
    /// All the group's processings of it.
    step_count: u64,
}

/// The processing family's running state.
#[derive(Debug, Default)]
pub(crate) struct Processing {
    /// Distinct records some group never processed.
    pub lost: u64,
    /// Distinct records some group processed twice or more.
    pub duplicated: u64,
    /// `lost_in[group][partition]`: records of the partition the group never processed.
    pub lost_in: Vec<Vec<u64>>,
    /// Per group, in a run that did not settle: records no member processed and no commit of
    /// the group passed, which the run stopped before the group reached (neither lost nor done).
    pub unsettled: Vec<u64>,
    lost_kept: Vec<Lost>,
    dup_kept: Vec<Dup>,
}

impl Processing {
    /// Notes a `Processed` event: counts per group and consumer, and duplicates.
    pub fn observe(&mut self, c: &mut Consumers, consumer: u32, records: &Deliveries) {
        // A processor's members are judged by their outputs (`processors`).
        if c.is_processor(consumer) {
            return;
        }
        let Some(g) = c.group(consumer) else { return };
        c.processed[consumer as usize] += records.len() as u64;
        let (seen, counts) = (&mut c.seen[consumer as usize], &mut c.counts[g as usize]);
        // Run by run: a run's records are neighbours in each byte table.
        for run in records.runs() {
            seen.run_mut(run.producer, run.index, run.count).fill(1);
            for (k, slot) in counts.run_mut(run.producer, run.index, run.count).iter_mut().enumerate() {
                let before = *slot & COUNT;
                if before < COUNT {
                    *slot += 1;
                }
                if before == 1 {
                    let record = RecordId { producer: run.producer, index: run.index + k as u32 };
                    self.processed_twice(&mut c.flags, g, record);
                }
            }
        }
    }

    /// Group `g` processed `record` a second time.
    #[inline(never)]
    fn processed_twice(&mut self, flags: &mut RecordBytes, g: u32, record: RecordId) {
        let flags = flags.get_mut(record);
        if *flags & DUP == 0 {
            *flags |= DUP;
            self.duplicated += 1;
            if self.dup_kept.len() < FINDINGS_CAP {
                *flags |= TRACK_DUP;
                self.dup_kept.push(Dup { record, group: g, also: Vec::new(), steps: Vec::new(), step_count: 0 });
            }
        } else if *flags & TRACK_DUP != 0 {
            if let Some(k) = self.dup_kept.iter_mut().find(|k| k.record == record) {
                if k.group != g && !k.also.contains(&g) {
                    k.also.push(g);
                }
            }
        }
    }

    /// How many `lost_processing` and `duplicate_processing` findings this family keeps.
    pub fn kept(&self) -> (usize, usize) {
        (self.lost_kept.len(), self.dup_kept.len())
    }

    /// Walks the final log of every online partition some group subscribes to, below its high
    /// watermark (for a read_committed group: its read_committed view, below the last stable
    /// offset), for records a subscribing group never processed.
    pub fn walk_final_logs(&mut self, c: &mut Consumers, history: &History, txns: &TxnLogs) {
        self.lost_in = vec![vec![0; history.partitions.len()]; c.groups.len()];
        self.unsettled = vec![0; c.groups.len()];
        for (x, part) in history.partitions.iter().enumerate() {
            let Some(groups) = c.subscribed.get(x).filter(|g| !g.is_empty()).cloned() else { continue };
            if part.is_internal() {
                continue;
            }
            let Some(log) = part.leader_replica() else { continue };
            let lso = txns.part(x as u32).map_or(log.hw, |p| p.lso);
            for (bi, batch) in log.log.iter().enumerate().take_while(|(_, b)| b.base_offset < log.hw) {
                let committed_view = txns.fate(x as u32, bi).committed_view();
                // The batch's records below the high watermark (the batch starts below it).
                let below = (log.hw - batch.base_offset).min(batch.records.len() as u64) as usize;
                // Usually every subscribing group processed every record of a run (a count of
                // zero marks one it did not): then the batch is done in a scan per group.
                let done = batch.records.first_of_run().is_some_and(|first| {
                    groups.iter().all(|&g| {
                        let n = match (c.read_committed[g as usize], committed_view) {
                            (false, _) => below as u64,
                            (true, false) => 0,
                            (true, true) => lso.saturating_sub(batch.base_offset).min(below as u64),
                        };
                        c.counts[g as usize].run(batch.producer, first, n as u32).is_some_and(|s| !s.contains(&0))
                    })
                });
                if done {
                    continue;
                }
                for (pos, index) in batch.records.iter().take(below).enumerate() {
                    let offset = batch.base_offset + pos as u64;
                    let record = RecordId { producer: batch.producer, index };
                    for &g in &groups {
                        if c.read_committed[g as usize] && (!committed_view || offset >= lso) {
                            continue;
                        }
                        if c.counts[g as usize].get(record) == 0 {
                            self.not_processed(c, history, g, x as u32, record, offset);
                        }
                    }
                }
            }
        }
    }

    /// A record of partition `x` at `offset` below the high watermark that group `g` never
    /// processed: lost, unless the run stopped before the group's commits passed it.
    #[inline(never)]
    fn not_processed(&mut self, c: &mut Consumers, history: &History, g: u32, x: u32, record: RecordId, offset: u64) {
        let passed = c.committed[g as usize].get(&x).is_some_and(|&o| o > offset);
        if !history.end.settled && !passed {
            self.unsettled[g as usize] += 1;
            return;
        }
        let slot = c.counts[g as usize].get_mut(record);
        *slot = LOST_IN_GROUP;
        self.lost_in[g as usize][x as usize] += 1;
        let flags = c.flags.get_mut(record);
        if *flags & LOST == 0 {
            *flags |= LOST;
            self.lost += 1;
            if self.lost_kept.len() < FINDINGS_CAP {
                *flags |= TRACK_LOST;
                self.lost_kept.push(Lost {
                    record,
                    group: g,
                    partition: x,
                    offset,
                    also: Vec::new(),
                    polls: Vec::new(),
                    poll_count: 0,
                });
            }
        } else if *flags & TRACK_LOST != 0 {
            if let Some(k) = self.lost_kept.iter_mut().find(|k| k.record == record) {
                if k.group != g && !k.also.contains(&g) {
                    k.also.push(g);
                }
            }
        }
    }

    /// The findings of both anomalies, `lost_processing` first: one more pass over the events
    /// gathers the polls of the lost records and the processings of the duplicated ones.
    pub fn findings(mut self, c: &Consumers, history: &History, t: &Table) -> (Vec<Finding>, Vec<Finding>) {
        if self.lost_kept.is_empty() && self.dup_kept.is_empty() {
            return (Vec::new(), Vec::new());
        }
        let lost_slot: BTreeMap<RecordId, usize> =
            self.lost_kept.iter().enumerate().map(|(s, k)| (k.record, s)).collect();
        let dup_slot: BTreeMap<RecordId, usize> =
            self.dup_kept.iter().enumerate().map(|(s, k)| (k.record, s)).collect();
        for (ei, ev) in history.events.iter().enumerate() {
            let ei = ei as u32;
            match &ev.kind {
                EventKind::Polled { consumer, instance, records } => {
                    for d in records.iter().filter(|d| c.flags.get(d.record) & TRACK_LOST != 0) {
                        let Some(&s) = lost_slot.get(&d.record) else { continue };
                        let k = &mut self.lost_kept[s];
                        if c.group(*consumer) == Some(k.group) {
                            k.poll_count += 1;
                            if k.polls.len() < POLLS_CAP {
                                k.polls.push((ei, *consumer, *instance));
                            }
                        }
                    }
                }
                EventKind::Processed { consumer, instance, records } => {
                    for d in records.iter().filter(|d| c.flags.get(d.record) & TRACK_DUP != 0) {
                        let Some(&s) = dup_slot.get(&d.record) else { continue };
                        let k = &mut self.dup_kept[s];
                        if c.group(*consumer) == Some(k.group) {
                            k.step_count += 1;
                            if k.steps.len() < STEPS_CAP {
                                k.steps.push((ei, *consumer, *instance, d.partition, d.offset));
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        let lost = self.lost_kept.iter().map(|k| explain_lost(c, history, k)).collect();
        let dup = self.dup_kept.iter().map(|k| explain_dup(c, history, t, k)).collect();
        (lost, dup)
    }
}

/// "groups g2 and g3" / "group g2".
fn groups_phrase(c: &Consumers, gs: &[u32]) -> String {
    let names: Vec<String> = gs.iter().map(|&g| c.groups[g as usize].clone()).collect();
    format!("group{} {}", if names.len() == 1 { "" } else { "s" }, join_and(&names))
}

/// A lost record's fate: who polled it and what became of them, which commit passed it, and the
/// group's final committed offset.
fn explain_lost(c: &Consumers, history: &History, k: &Lost) -> Finding {
    let name = record_name(history, k.record.producer, k.record.index);
    let pname = partition_name(history, k.partition);
    let group = &c.groups[k.group as usize];
    let mut head = format!("{name} ({pname} offset {}) never processed by group {group}", k.offset);
    if !k.also.is_empty() {
        head.push_str(&format!(" (nor by {})", groups_phrase(c, &k.also)));
    }
    // (time, event index, phrase), told in time order.
    let mut steps: Vec<(u64, u32, String)> = Vec::new();
    for &(ei, consumer, instance) in &k.polls {
        let at = history.events[ei as usize].at;
        let who = instance_name(history, consumer, instance);
        steps.push((at, ei, format!("{who} polled it at {at} ms")));
        let until = c.next_poll(consumer, instance, ei).unwrap_or(u32::MAX);
        if let Some((fi, fate)) = c.fate_between(history, consumer, instance, ei, until) {
            steps.push((history.events[fi as usize].at, fi, fate));
        }
    }
    if k.poll_count > k.polls.len() as u64 {
        let more = k.poll_count - k.polls.len() as u64;
        let at = k.polls.last().map_or(0, |&(ei, ..)| history.events[ei as usize].at);
        steps.push((at, u32::MAX, format!("it was polled {more} more time{}", super::consumers::plural(more))));
    }
    if let Some((ei, consumer, instance, o)) = c.first_commit_past(history, k.group, k.partition, k.offset) {
        let at = history.events[ei as usize].at;
        let who = instance_name(history, consumer, instance);
        steps.push((at, ei, format!("{who} committed offset {o} for {pname} at {at} ms, passing it")));
    } else {
        steps.push((u64::MAX, u32::MAX, format!("no commit of group {group} passed it")));
    }
    steps.sort_by_key(|&(at, ei, _)| (at, ei));
    let mut parts = vec![head];
    if k.polls.is_empty() {
        parts.push(if c.ever_assigned(history, k.group, k.partition) {
            format!("no member of group {group} polled it")
        } else {
            format!("no member of group {group} polled it (none was ever assigned {pname})")
        });
    }
    parts.extend(steps.into_iter().map(|(_, _, s)| s));
    parts.push(match c.committed.get(k.group as usize).and_then(|m| m.get(&k.partition)) {
        Some(o) => format!("the group's final committed offset for {pname} is {o}"),
        None => format!("the final offsets log holds no committed offset of the group for {pname}"),
    });
    let mut explanation = parts.remove(0);
    explanation.push_str(": ");
    explanation.push_str(&parts.join("; "));
    Finding { anomaly: Anomaly::LostProcessing, subject: name, explanation }
}

/// A duplicate's story: each processing, what happened to the previous processor in between,
/// and the committed offset the next one was assigned the partition with.
fn explain_dup(c: &Consumers, history: &History, t: &Table, k: &Dup) -> Finding {
    let name = record_name(history, k.record.producer, k.record.index);
    let group = &c.groups[k.group as usize];
    let mut places: Vec<(u32, u64)> = k.steps.iter().map(|s| (s.3, s.4)).collect();
    places.sort_unstable();
    places.dedup();
    let one_place = places.len() == 1;
    let where_ = if let [(x, o)] = places[..] {
        format!("{} offset {o}", partition_name(history, x))
    } else if places.iter().all(|p| p.0 == places[0].0) {
        let offs: Vec<String> = places.iter().map(|p| p.1.to_string()).collect();
        format!("{} offsets {}", partition_name(history, places[0].0), join_and(&offs))
    } else {
        let ps: Vec<String> =
            places.iter().map(|&(x, o)| format!("{} offset {o}", partition_name(history, x))).collect();
        join_and(&ps)
    };
    let times = match k.step_count {
        2 => "twice".to_string(),
        n => format!("{n} times"),
    };
    let mut s = format!("{name} ({where_}) processed {times} by group {group}:");
    let mut after = Vec::new();
    for (n, &(ei, consumer, instance, x, o)) in k.steps.iter().enumerate() {
        let at = history.events[ei as usize].at;
        let who = instance_name(history, consumer, instance);
        s.push_str(if n == 0 { " by " } else { ", then by " });
        s.push_str(&format!("{who} at {at} ms"));
        if !one_place {
            s.push_str(&format!(" (offset {o})"));
        }
        if n == 0 {
            continue;
        }
        let (prev, pc, pk, _, _) = k.steps[n - 1];
        let why = c
            .fate_between(history, pc, pk, prev, ei)
            .map(|(_, why)| why)
            .or_else(|| c.failed_commit_between(history, pc, pk, prev, ei));
        if let Some(why) = why {
            s.push_str(&format!(" after {why}"));
        }
        if let Some((ai, generation)) = c.assigned_between(history, consumer, instance, x, prev, ei) {
            let pname = partition_name(history, x);
            after.push(match c.committed_before(history, k.group, x, ai) {
                Some(co) => format!(
                    "the group's committed offset for {pname} was {co} when {who} was assigned it at generation {generation}"
                ),
                None => format!(
                    "the group had no committed offset for {pname} when {who} was assigned it at generation {generation}"
                ),
            });
        }
    }
    let told = k.steps.len() as u64;
    if k.step_count > told {
        s.push_str(&format!(
            ", and {} more time{}",
            k.step_count - told,
            super::consumers::plural(k.step_count - told)
        ));
    }
    for a in after {
        s.push_str("; ");
        s.push_str(&a);
    }
    if !one_place {
        if let Some(r) = t.rec(k.record.producer, k.record.index).filter(|r| r.count >= 2) {
            let (who, see) = if t.is_output(k.record.producer) {
                ("its processor", Anomaly::DuplicateProcessing)
            } else {
                ("the producer", Anomaly::Duplicated)
            };
            s.push_str(&format!(
                "; the record stands {} times in the final logs: {who} wrote it more than once (see {see})",
                r.count
            ));
        }
    }
    if !k.also.is_empty() {
        s.push_str(&format!("; {} processed it more than once too", groups_phrase(c, &k.also)));
    }
    Finding { anomaly: Anomaly::DuplicateProcessing, subject: name, explanation: s }
}
