//! Processors (consume-transform-produce applications), judged by their outputs: per processor,
//! the output records standing in the read_committed view of its output topic's final logs
//! (non-transactional data and committed transactions, anywhere in the final log), counted per
//! input record. An output names its input by the input's global number (see
//! [`History::input_of`]), which is the key everything here is indexed by.
//!
//! - `duplicate_processing`: an input two or more of whose outputs stand.
//! - `lost_processing`: an input the processor owes, none of whose outputs stands. It owes the
//!   records of the read_committed view of its input topic's final logs below the high watermark
//!   (for a read_committed processor, `exactly_once_v2`, below the last stable offset too) on
//!   online partitions; an input whose output was sent to a partition offline at the end is not
//!   judged (its output may stand there).
//!
//! Both count distinct records, shared with the consumer groups' processing family: a record
//! lost (or duplicated) by a group and by a processor counts once. Each processor's own counts
//! decide its semantic: `exactly_once_v2` promises exactly-once (neither anomaly),
//! `at_least_once` at-least-once (no loss).
//!
//! Cost: one pass over the events (the sends to offline partitions), one walk over the final
//! logs of each processor's input and output topics, one byte per input per processor; strings
//! and a second event pass only for the (capped) findings.

use std::collections::BTreeMap;

use super::consumers::{instance_name, plural, Consumers, DUP, LOST};
use super::index::{acked_offset, join_and, partition_name, producer_instance, record_name, story_steps, Table};
use super::stats::{ProcessorStats, Semantic};
use super::txnlog::{Fate, TxnLogs};
use super::Finding;
use crate::record::{Anomaly, EventKind, History, RecordId};
use crate::scenario::{IsolationLevel, ProcessingGuarantee};

/// Per-input byte: how many of its outputs stand (saturating at 31).
const COUNT: u8 = 0x1f;
/// Per-input byte: the input stands in the part of the input topic's final logs the processor
/// owes an output (counted once).
const IN_INPUT: u8 = 0x20;
/// Per-input byte: some output of it was sent to a partition that is offline at the end.
const OFFLINE: u8 = 0x40;
/// Per-input byte: a finding follows it.
const TRACKED: u8 = 0x80;

/// Polls, sends and transaction ends told per finding before summarising the rest.
const STEPS_CAP: usize = 4;
/// Output copies named per finding before summarising the rest.
const COPIES_CAP: usize = 4;

/// One input kept for a finding.
#[derive(Debug)]
struct Kept {
    /// `duplicate_processing` (else `lost_processing`).
    dup: bool,
    processor: u32,
    /// The input's global number.
    key: u32,
    /// The input record.
    input: RecordId,
    /// Where the input stands in the input topic's final logs (partition, offset), if it does.
    place: Option<(u32, u64)>,
    /// Other processors with the same anomaly for it.
    also: Vec<u32>,
    /// (event, instance, partition, offset) of the members' polls of it, the first `STEPS_CAP`.
    polls: Vec<(u32, u32, u32, u64)>,
    poll_count: u64,
    /// Events of its output's producer naming the output (`Sent`, `Failed`, `TxnEnded`), the first
    /// `STEPS_CAP` of each kind, and how many there were of each.
    sends: Vec<u32>,
    send_count: u64,
    failures: Vec<u32>,
    failure_count: u64,
    txn_ends: Vec<u32>,
    txn_end_count: u64,
    /// For a lost input: the `Acked` events of its output, the first `STEPS_CAP`.
    acks: Vec<u32>,
    /// Copies of its output in the final logs: the standing ones for a duplicate, the ones
    /// outside the read_committed view for a loss; the first `COPIES_CAP`.
    copies: Vec<OutputCopy>,
    copy_count: u64,
}

/// One copy of an output in a final log.
#[derive(Debug, Clone, Copy)]
struct OutputCopy {
    partition: u32,
    offset: u64,
    /// The pseudo-producer instance that wrote its batch.
    instance: u32,
    /// How its transaction ended, if it is in one.
    fate: Fate,
    /// Its transaction's marker: (offset, commit).
    marker: Option<(u64, bool)>,
}

/// The processor family's outcome.
#[derive(Debug, Default)]
pub(crate) struct Processors {
    /// Distinct inputs some processor (and no consumer group before it) lost.
    pub lost: u64,
    /// Distinct inputs some processor (and no consumer group before it) duplicated.
    pub duplicated: u64,
    /// Counts per processor name.
    pub stats: BTreeMap<String, ProcessorStats>,
    /// Promised semantic per processor name.
    pub semantics: BTreeMap<String, Semantic>,
    /// Per processor name, in a run that stopped before it settled: owed inputs with no output
    /// standing yet that no commit of its group passed (not judged lost).
    pub unsettled: BTreeMap<String, u64>,
    kept: Vec<Kept>,
}

/// One processor's per-input bytes, growing on demand.
#[derive(Debug, Default)]
struct Bytes(Vec<u8>);

impl Bytes {
    fn get(&self, key: u32) -> u8 {
        self.0.get(key as usize).copied().unwrap_or(0)
    }

    fn get_mut(&mut self, key: u32) -> &mut u8 {
        let k = key as usize;
        if k >= self.0.len() {
            self.0.resize(k + 1, 0);
        }
        &mut self.0[k]
    }
}

/// The global number of a record read from an input topic: a producer's record by its
/// producer's base, a processor's output (a chained processor's input) by the number it carries.
fn key_of(history: &History, t: &Table, r: RecordId) -> Option<u32> {
    if t.is_output(r.producer) {
        return Some(r.index);
    }
    history.record_base.get(r.producer as usize).and_then(|b| b.checked_add(r.index))
}

/// Whether consumer `consumer` of the history reads read_committed (a processor's consumer with
/// no entry: whether its guarantee is exactly-once).
fn reads_committed(history: &History, consumer: u32, guarantee: ProcessingGuarantee) -> bool {
    match history.consumers.get(consumer as usize) {
        Some(info) => info.isolation == IsolationLevel::ReadCommitted,
        None => guarantee.exactly_once(),
    }
}

impl Processors {
    /// Judges every processor. `room` is how many `lost_processing` and `duplicate_processing`
    /// findings may still be kept (the consumer groups' family keeps its own first).
    pub fn check(history: &History, t: &Table, txns: &TxnLogs, c: &mut Consumers, room: (usize, usize)) -> Self {
        let mut out = Processors::default();
        if history.processors.is_empty() {
            return out;
        }
        let online: Vec<bool> = history.partitions.iter().map(|p| p.leader_replica().is_some()).collect();
        let mut bytes: Vec<Bytes> = history.processors.iter().map(|_| Bytes::default()).collect();
        let proc_of_producer = |p: u32| history.processors.iter().position(|i| i.producer == p);

        // Outputs sent to partitions offline at the end: their inputs are not judged for loss.
        for ev in &history.events {
            let EventKind::Sent { producer, partition, records, .. } = &ev.kind else { continue };
            if !t.is_output(*producer) || online.get(*partition as usize).copied().unwrap_or(false) {
                continue;
            }
            let Some(pi) = proc_of_producer(*producer) else { continue };
            for key in records.iter() {
                *bytes[pi].get_mut(key) |= OFFLINE;
            }
        }

        let (mut room_lost, mut room_dup) = room;
        let mut slots: BTreeMap<(RecordId, bool), usize> = BTreeMap::new();
        for (pi, info) in history.processors.iter().enumerate() {
            let b = &mut bytes[pi];
            let mut stats = ProcessorStats {
                group: info.group.clone(),
                guarantee: info.guarantee.as_str().to_string(),
                ..ProcessorStats::default()
            };

            // Outputs standing in the read_committed view of the output topic's final logs.
            for (x, part) in history.partitions.iter().enumerate() {
                if part.is_internal() || part.topic != info.output {
                    continue;
                }
                let Some(log) = part.leader_replica() else { continue };
                for (bi, batch) in log.log.iter().enumerate() {
                    if batch.producer != info.producer || !txns.fate(x as u32, bi).committed_view() {
                        continue;
                    }
                    for key in batch.records.iter() {
                        stats.outputs += 1;
                        let slot = b.get_mut(key);
                        if *slot & COUNT < COUNT {
                            *slot += 1;
                        }
                    }
                }
            }

            // The inputs it owes, in the input topic's final logs.
            let mut lost = 0u64;
            let mut dup = 0u64;
            let read_committed = reads_committed(history, info.consumer, info.guarantee);
            let group = c.group(info.consumer);
            let mut unsettled = 0u64;
            let mut note = |out: &mut Processors, b: &mut Bytes, input: RecordId, key: u32, place, is_dup: bool| {
                let (flag, room) = if is_dup { (DUP, &mut room_dup) } else { (LOST, &mut room_lost) };
                let flags = c.flags.get_mut(input);
                if *flags & flag == 0 {
                    *flags |= flag;
                    if is_dup {
                        out.duplicated += 1;
                    } else {
                        out.lost += 1;
                    }
                    if *room > 0 {
                        *room -= 1;
                        *b.get_mut(key) |= TRACKED;
                        slots.insert((input, is_dup), out.kept.len());
                        out.kept.push(Kept {
                            dup: is_dup,
                            processor: pi as u32,
                            key,
                            input,
                            place,
                            also: Vec::new(),
                            polls: Vec::new(),
                            poll_count: 0,
                            sends: Vec::new(),
                            send_count: 0,
                            failures: Vec::new(),
                            failure_count: 0,
                            txn_ends: Vec::new(),
                            txn_end_count: 0,
                            acks: Vec::new(),
                            copies: Vec::new(),
                            copy_count: 0,
                        });
                    }
                } else if let Some(&s) = slots.get(&(input, is_dup)) {
                    let k = &mut out.kept[s];
                    if k.processor != pi as u32 && !k.also.contains(&(pi as u32)) {
                        k.also.push(pi as u32);
                    }
                }
            };
            for (x, part) in history.partitions.iter().enumerate() {
                if part.is_internal() || part.topic != info.input {
                    continue;
                }
                let Some(log) = part.leader_replica() else { continue };
                let limit = if read_committed { txns.part(x as u32).map_or(log.hw, |p| p.lso) } else { log.hw };
                for (bi, batch) in log.log.iter().enumerate().take_while(|(_, batch)| batch.base_offset < limit) {
                    if !txns.fate(x as u32, bi).committed_view() {
                        continue;
                    }
                    for (pos, index) in batch.records.iter().enumerate() {
                        let offset = batch.base_offset + pos as u64;
                        if offset >= limit {
                            break;
                        }
                        let input = RecordId { producer: batch.producer, index };
                        let Some(key) = key_of(history, t, input) else { continue };
                        let v = b.get(key);
                        if v & IN_INPUT != 0 {
                            continue;
                        }
                        *b.get_mut(key) |= IN_INPUT;
                        stats.inputs += 1;
                        let n = v & COUNT;
                        let passed = || {
                            group.and_then(|g| c.committed[g as usize].get(&(x as u32))).is_some_and(|&o| o > offset)
                        };
                        if n == 0 && v & OFFLINE == 0 && !history.end.settled && !passed() {
                            // The run stopped with this input still to do (docs/report.md, `unsettled`).
                            unsettled += 1;
                        } else if n == 0 && v & OFFLINE == 0 {
                            lost += 1;
                            note(&mut out, b, input, key, Some((x as u32, offset)), false);
                        } else if n >= 2 {
                            dup += 1;
                            note(&mut out, b, input, key, Some((x as u32, offset)), true);
                        }
                    }
                }
            }
            // Inputs whose outputs stand twice though the input is not owed (offline, aborted).
            for key in 0..b.0.len() as u32 {
                let v = b.get(key);
                if v & COUNT >= 2 && v & IN_INPUT == 0 {
                    dup += 1;
                    let input = crate::record::input_record(&history.record_base, key);
                    note(&mut out, b, input, key, None, true);
                }
            }
            stats.distinct = b.0.iter().filter(|&&v| v & COUNT > 0).count() as u64;
            if let Some(g) = c.group(info.consumer) {
                stats.committed = c.committed[g as usize]
                    .iter()
                    .filter(|(&x, _)| history.partitions.get(x as usize).is_some_and(|p| p.topic == info.input))
                    .map(|(&x, &o)| (partition_name(history, x), o))
                    .collect();
            }
            if unsettled > 0 {
                *out.unsettled.entry(info.name.clone()).or_default() += unsettled;
            }
            out.stats.insert(info.name.clone(), stats);
            out.semantics.insert(info.name.clone(), semantic(info.guarantee, lost, dup));
        }
        if !out.kept.is_empty() {
            out.gather(history, t, txns, &bytes);
        }
        out
    }

    /// One pass over the events and the output topics' final logs for the kept inputs' stories.
    fn gather(&mut self, history: &History, t: &Table, txns: &TxnLogs, bytes: &[Bytes]) {
        let mut slot: BTreeMap<(u32, u32), usize> = BTreeMap::new();
        for (s, k) in self.kept.iter().enumerate() {
            slot.insert((k.processor, k.key), s);
        }
        let proc_of_consumer: BTreeMap<u32, u32> =
            history.processors.iter().enumerate().map(|(pi, i)| (i.consumer, pi as u32)).collect();
        let proc_of_producer: BTreeMap<u32, u32> =
            history.processors.iter().enumerate().map(|(pi, i)| (i.producer, pi as u32)).collect();
        let tracked = |pi: u32, key: u32| bytes[pi as usize].get(key) & TRACKED != 0;
        for (ei, ev) in history.events.iter().enumerate() {
            let ei = ei as u32;
            match &ev.kind {
                EventKind::Polled { consumer, instance, records } => {
                    let Some(&pi) = proc_of_consumer.get(consumer) else { continue };
                    for d in records.iter() {
                        let Some(key) = key_of(history, t, d.record) else { continue };
                        if !tracked(pi, key) {
                            continue;
                        }
                        let Some(&s) = slot.get(&(pi, key)) else { continue };
                        let k = &mut self.kept[s];
                        k.poll_count += 1;
                        if k.polls.len() < STEPS_CAP {
                            k.polls.push((ei, *instance, d.partition, d.offset));
                        }
                    }
                }
                EventKind::Sent { producer, records, .. }
                | EventKind::Acked { producer, records, .. }
                | EventKind::Failed { producer, records, .. }
                | EventKind::TxnEnded { producer, records, .. } => {
                    let Some(&pi) = proc_of_producer.get(producer) else { continue };
                    for key in records.iter() {
                        if !tracked(pi, key) {
                            continue;
                        }
                        let Some(&s) = slot.get(&(pi, key)) else { continue };
                        let k = &mut self.kept[s];
                        if let EventKind::Acked { .. } = ev.kind {
                            if !k.dup && k.acks.len() < STEPS_CAP {
                                k.acks.push(ei);
                            }
                            continue;
                        }
                        let (list, count) = match &ev.kind {
                            EventKind::Sent { .. } => (&mut k.sends, &mut k.send_count),
                            EventKind::Failed { .. } => (&mut k.failures, &mut k.failure_count),
                            _ => (&mut k.txn_ends, &mut k.txn_end_count),
                        };
                        *count += 1;
                        if list.len() < STEPS_CAP {
                            list.push(ei);
                        }
                    }
                }
                _ => {}
            }
        }
        // Where the outputs stand: the standing copies of a duplicate, the copies of a lost
        // input's output outside the read_committed view.
        for (x, part) in history.partitions.iter().enumerate() {
            if part.is_internal() {
                continue;
            }
            let Some(log) = part.leader_replica() else { continue };
            for (bi, batch) in log.log.iter().enumerate() {
                let Some(&pi) = proc_of_producer.get(&batch.producer) else { continue };
                if part.topic != history.processors[pi as usize].output {
                    continue;
                }
                let fate = txns.fate(x as u32, bi);
                let marker = txns.part(x as u32).and_then(|p| p.txn_of(bi)).and_then(|t| t.marker);
                for (pos, key) in batch.records.iter().enumerate() {
                    if !tracked(pi, key) {
                        continue;
                    }
                    let Some(&s) = slot.get(&(pi, key)) else { continue };
                    let k = &mut self.kept[s];
                    if k.dup != fate.committed_view() {
                        continue;
                    }
                    k.copy_count += 1;
                    if k.copies.len() < COPIES_CAP {
                        k.copies.push(OutputCopy {
                            partition: x as u32,
                            offset: batch.base_offset + pos as u64,
                            instance: batch.instance,
                            fate,
                            marker,
                        });
                    }
                }
            }
        }
    }

    /// The findings: `lost_processing` ones, then `duplicate_processing` ones.
    pub fn findings(&self, c: &Consumers, history: &History, t: &Table) -> (Vec<Finding>, Vec<Finding>) {
        let mut lost = Vec::new();
        let mut dup = Vec::new();
        for k in &self.kept {
            let f = explain(c, history, t, k);
            if k.dup {
                dup.push(f);
            } else {
                lost.push(f);
            }
        }
        (lost, dup)
    }
}

/// A processor's promised semantic and whether it held, from its own counts.
fn semantic(guarantee: ProcessingGuarantee, lost: u64, dup: u64) -> Semantic {
    let mut broken_by = Vec::new();
    if lost > 0 {
        broken_by.push(format!("{lost} input record{} with no output", plural(lost)));
    }
    let delivery = match guarantee {
        ProcessingGuarantee::ExactlyOnceV2 | ProcessingGuarantee::ExactlyOnce => {
            if dup > 0 {
                broken_by.push(format!("{dup} input record{} with two or more outputs", plural(dup)));
            }
            "exactly-once"
        }
        ProcessingGuarantee::AtLeastOnce => "at-least-once",
    };
    Semantic { delivery: delivery.to_string(), holds: broken_by.is_empty(), broken_by }
}

/// "shipments/0 offset 3 (written by s1/0.0, in a transaction committed by the marker at offset
/// 4)".
fn copy_phrase(history: &History, producer: u32, copy: &OutputCopy) -> String {
    let &OutputCopy { partition: x, offset: o, instance, fate, marker } = copy;
    let who = producer_instance(history, producer, instance);
    let how = match (fate, marker) {
        (Fate::Plain, _) => "not in a transaction".to_string(),
        (Fate::Open, _) | (_, None) => "in a transaction still open (no marker in the final log)".to_string(),
        (_, Some((m, true))) => format!("in a transaction committed by the marker at offset {m}"),
        (_, Some((m, false))) => format!("in a transaction aborted by the marker at offset {m}"),
    };
    format!("{} offset {o} (written by {who}, {how})", partition_name(history, x))
}

/// "s1/0.0's commitTransaction() of transaction 2 returned success at 30 ms".
fn txn_end_phrase(history: &History, ei: u32) -> Option<String> {
    let ev = &history.events[ei as usize];
    let EventKind::TxnEnded { producer, instance, txn, commit, result, .. } = &ev.kind else { return None };
    let call = if *commit { "commitTransaction()" } else { "abortTransaction()" };
    let outcome = match result {
        Ok(()) => "returned success".to_string(),
        Err(e) => format!("failed with {e}"),
    };
    Some(format!(
        "{}'s {call} of transaction {txn} {outcome} at {} ms",
        producer_instance(history, *producer, *instance),
        ev.at
    ))
}

/// An input's story: where its outputs stand (or do not), then in time order who polled it,
/// who sent its output, how the transactions holding it ended, what stopped the members in
/// between, and the commit that passed it; then the group's final committed offset.
fn explain(c: &Consumers, history: &History, t: &Table, k: &Kept) -> Finding {
    let info = &history.processors[k.processor as usize];
    let name = record_name(history, k.input.producer, k.input.index);
    let out_name = record_name(history, info.producer, k.key);
    let mut head = match k.place {
        Some((x, o)) => format!("{name} ({} offset {o})", partition_name(history, x)),
        None => format!("{name} (in no final log it is owed from)"),
    };
    let mut copies: Vec<String> = k.copies.iter().map(|cp| copy_phrase(history, info.producer, cp)).collect();
    if k.copy_count > copies.len() as u64 {
        copies.push(format!("{} more", k.copy_count - copies.len() as u64));
    }
    if k.dup {
        let times = match k.copy_count {
            2 => "twice".to_string(),
            n => format!("{n} times"),
        };
        head.push_str(&format!(
            ": processor {}'s output {out_name} stands {times} in the read_committed view of the final logs, at {}",
            info.name,
            join_and(&copies)
        ));
    } else {
        head.push_str(&format!(
            ": no output of processor {} stands in the read_committed view of the final logs",
            info.name
        ));
    }
    if !k.also.is_empty() {
        let names: Vec<String> = k.also.iter().map(|&p| history.processors[p as usize].name.clone()).collect();
        let s = if names.len() == 1 { "" } else { "s" };
        head.push_str(&if k.dup {
            format!(" (as does the output of processor{s} {})", join_and(&names))
        } else {
            format!(" (nor does one of processor{s} {})", join_and(&names))
        });
    }

    // (time, event index, phrase), told in time order.
    let mut steps: Vec<(u64, u32, String)> = Vec::new();
    let consumer = info.consumer;
    let group = c.group(consumer);
    let alos = info.guarantee == ProcessingGuarantee::AtLeastOnce;
    let mut prev: Option<(u32, u32)> = None;
    let mut told_fates: Vec<u32> = Vec::new();
    for (n, &(ei, instance, x, o)) in k.polls.iter().enumerate() {
        let at = history.events[ei as usize].at;
        let who = instance_name(history, consumer, instance);
        if let Some((pe, _)) = prev {
            if let Some((ai, generation)) = c.assigned_between(history, consumer, instance, x, pe, ei) {
                let aat = history.events[ai as usize].at;
                let pname = partition_name(history, x);
                let mut s = format!("{who} was assigned {pname} at generation {generation} at {aat} ms");
                if alos {
                    if let Some(g) = group {
                        match c.committed_before(history, g, x, ai) {
                            Some(co) => s.push_str(&format!(", the group's committed offset being {co}")),
                            None => s.push_str(", the group having no committed offset for it"),
                        }
                    }
                }
                steps.push((aat, ai, s));
            }
        }
        let where_ = if Some((x, o)) == k.place {
            String::new()
        } else {
            format!(" at {} offset {o}", partition_name(history, x))
        };
        steps.push((at, ei, format!("{who} polled it{where_} at {at} ms")));
        // What befell the member before this input was polled again (or since, if never).
        let until = k.polls.get(n + 1).map_or(u32::MAX, |p| p.0);
        if let Some((fi, fate)) = c.fate_between(history, consumer, instance, ei, until) {
            if !told_fates.contains(&fi) {
                told_fates.push(fi);
                steps.push((history.events[fi as usize].at, fi, fate));
            }
        } else if alos {
            if let Some(why) = c.failed_commit_between(history, consumer, instance, ei, until) {
                steps.push((at, ei, why));
            }
        }
        prev = Some((ei, instance));
    }
    if k.poll_count > k.polls.len() as u64 {
        let more = k.poll_count - k.polls.len() as u64;
        let at = k.polls.last().map_or(0, |&(ei, ..)| history.events[ei as usize].at);
        steps.push((at, u32::MAX, format!("its members polled it {more} more time{}", plural(more))));
    }
    for &ei in &k.sends {
        let ev = &history.events[ei as usize];
        if let EventKind::Sent { instance, partition, .. } = &ev.kind {
            let who = producer_instance(history, info.producer, *instance);
            steps.push((
                ev.at,
                ei,
                format!("{who} sent its output to {} at {} ms", partition_name(history, *partition), ev.at),
            ));
        }
    }
    if k.send_count > k.sends.len() as u64 {
        let more = k.send_count - k.sends.len() as u64;
        let at = k.sends.last().map_or(0, |&ei| history.events[ei as usize].at);
        steps.push((at, u32::MAX, format!("its output was sent {more} more time{}", plural(more))));
    }
    // A lost input's acknowledged output: the ack, and what befell that broker and partition.
    for (n, &ei) in k.acks.iter().enumerate() {
        let ev = &history.events[ei as usize];
        let EventKind::Acked { instance, partition, broker, leader_epoch, .. } = &ev.kind else { continue };
        let who = producer_instance(history, info.producer, *instance);
        let pname = partition_name(history, *partition);
        let where_ = match acked_offset(ev, k.key) {
            Some(o) => format!("at {pname} offset {o}"),
            None => format!("on {pname} with acks=0 (no response)"),
        };
        steps.push((
            ev.at,
            ei,
            format!("{who} saw its output acked {where_} by broker {broker} (epoch {leader_epoch}) at {} ms", ev.at),
        ));
        if n == 0 {
            let (story, untold) =
                story_steps(history, &t.story, ei, *broker, *partition, (Some(*broker), *leader_epoch));
            let last = story.last().map_or((ev.at, ei), |&(si, _)| (history.events[si as usize].at, si));
            steps.extend(story.into_iter().map(|(si, s)| (history.events[si as usize].at, si, s)));
            if untold > 0 {
                steps.push((last.0, last.1, format!("{untold} more faults and leader changes followed")));
            }
        }
    }
    for &ei in &k.failures {
        let ev = &history.events[ei as usize];
        if let EventKind::Failed { instance, error, maybe_written, .. } = &ev.kind {
            let who = producer_instance(history, info.producer, *instance);
            let how = if *maybe_written { "maybe written" } else { "not written" };
            steps.push((ev.at, ei, format!("{who}'s send of its output failed with {error} at {} ms ({how})", ev.at)));
        }
    }
    for &ei in &k.txn_ends {
        if let Some(s) = txn_end_phrase(history, ei) {
            steps.push((history.events[ei as usize].at, ei, s));
        }
    }
    if k.txn_end_count > k.txn_ends.len() as u64 {
        let more = k.txn_end_count - k.txn_ends.len() as u64;
        let at = k.txn_ends.last().map_or(0, |&ei| history.events[ei as usize].at);
        steps.push((at, u32::MAX, format!("{more} more transaction{} holding it ended", plural(more))));
    }
    // The commit that covered the input: an offset commit passing it (at_least_once), or a
    // successful commitTransaction() of a transaction holding its output (exactly_once_v2).
    let committed_txn = k.txn_ends.iter().any(|&ei| {
        matches!(history.events[ei as usize].kind, EventKind::TxnEnded { commit: true, result: Ok(()), .. })
    });
    if alos {
        if let (Some(g), Some((x, o))) = (group, k.place) {
            match c.first_commit_past(history, g, x, o) {
                Some((ei, cons, instance, co)) => {
                    let at = history.events[ei as usize].at;
                    let who = instance_name(history, cons, instance);
                    let pname = partition_name(history, x);
                    steps.push((at, ei, format!("{who} committed offset {co} for {pname} at {at} ms, passing it")));
                }
                None => steps.push((u64::MAX, u32::MAX, format!("no commit of group {} passed it", info.group))),
            }
        }
    } else if !committed_txn && k.txn_end_count <= k.txn_ends.len() as u64 {
        steps.push((
            u64::MAX,
            u32::MAX,
            "no commitTransaction() of a transaction holding its output returned success".into(),
        ));
    }
    steps.sort_by_key(|&(at, ei, _)| (at, ei));

    let mut parts = vec![head];
    if k.polls.is_empty() {
        parts.push(format!("no member of processor {} polled it", info.name));
    }
    if !k.dup && k.send_count == 0 {
        parts.push(format!("no member of processor {} sent an output for it", info.name));
    }
    parts.extend(steps.into_iter().map(|(_, _, s)| s));
    if !k.dup && !copies.is_empty() {
        parts.push(format!("its output {out_name} stands only outside that view: at {}", join_and(&copies)));
    }
    if let Some((x, _)) = k.place {
        let pname = partition_name(history, x);
        parts.push(match group.and_then(|g| c.committed.get(g as usize)).and_then(|m| m.get(&x)) {
            Some(&o) if k.place.is_some_and(|(_, io)| o > io) => {
                format!("the group's final committed offset for {pname} is {o}, past it")
            }
            Some(o) => format!("the group's final committed offset for {pname} is {o}"),
            None => format!("the final offsets log holds no committed offset of group {} for {pname}", info.group),
        });
    }
    let mut explanation = parts.remove(0);
    if !parts.is_empty() {
        explanation.push_str("; ");
        explanation.push_str(&parts.join("; "));
    }
    Finding {
        anomaly: if k.dup { Anomaly::DuplicateProcessing } else { Anomaly::LostProcessing },
        subject: name,
        explanation,
    }
}
