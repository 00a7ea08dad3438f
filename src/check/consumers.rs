//! The consumer side's shared index: the groups, what each group and each consumer processed (one
//! byte per record, in flat vectors shaped like the producer index), the offsets each group has
//! committed in the final `__consumer_offsets` logs, the consumer events stories are told from,
//! per-consumer counts and the delivery semantic each consumer's commit placement promises.

use std::collections::BTreeMap;

use super::index::{fault_verb, partition_name, Table};
use super::stats::{ConsumerStats, Semantic};
use crate::record::{
    ClientKind, ConsumerInfo, Event, EventKind, FaultNode, FaultTarget, History, MetaRecord, RecordId,
};
use crate::scenario::{CommitMode, IsolationLevel};

/// A group's per-record byte: times the group processed the record (saturating at 127).
pub(crate) const COUNT: u8 = 0x7f;
/// A group's per-record byte: the record is in the final log and the group never processed it.
pub(crate) const LOST_IN_GROUP: u8 = 0x80;

/// Per-record flag: some group never processed it (counted as `lost_processing`).
pub(crate) const LOST: u8 = 1;
/// Per-record flag: some group processed it twice or more (counted as `duplicate_processing`).
pub(crate) const DUP: u8 = 1 << 1;
/// Per-record flag: some consumer was given it where the final log does not hold it.
pub(crate) const PHANTOM: u8 = 1 << 2;
/// Per-record flag: a `lost_processing` finding follows it.
pub(crate) const TRACK_LOST: u8 = 1 << 3;
/// Per-record flag: a `duplicate_processing` finding follows it.
pub(crate) const TRACK_DUP: u8 = 1 << 4;
/// Per-record flag: a read_committed consumer was given it from a transaction that did not commit.
pub(crate) const ABORTED_READ: u8 = 1 << 5;

/// One byte per record, `[producer][index]`, growing when the history names a record the
/// scenario does not.
#[derive(Debug, Clone, Default)]
pub(crate) struct RecordBytes(Vec<Vec<u8>>);

impl RecordBytes {
    /// Zeroes shaped like the producer index.
    pub fn shaped(t: &Table) -> Self {
        RecordBytes(t.recs.iter().map(|v| vec![0; v.len()]).collect())
    }

    pub fn get(&self, r: RecordId) -> u8 {
        self.0.get(r.producer as usize).and_then(|v| v.get(r.index as usize)).copied().unwrap_or(0)
    }

    #[inline]
    pub fn get_mut(&mut self, r: RecordId) -> &mut u8 {
        let (p, i) = (r.producer as usize, r.index as usize);
        // Shaped like the index, the slot is nearly always there already.
        if self.0.get(p).is_some_and(|v| i < v.len()) {
            return &mut self.0[p][i];
        }
        self.grown(p, i)
    }

    /// The bytes of the `count` records of `producer` from `first` on, if the shape holds them.
    pub fn run(&self, producer: u32, first: u32, count: u32) -> Option<&[u8]> {
        let (i, n) = (first as usize, count as usize);
        self.0.get(producer as usize)?.get(i..i + n)
    }

    /// The bytes of the `count` records of `producer` from `first` on (grown to hold them).
    #[inline]
    pub fn run_mut(&mut self, producer: u32, first: u32, count: u32) -> &mut [u8] {
        let (p, i, n) = (producer as usize, first as usize, count as usize);
        if n == 0 {
            return &mut [];
        }
        if self.0.get(p).is_none_or(|v| i + n > v.len()) {
            self.grown(p, i + n - 1);
        }
        &mut self.0[p][i..i + n]
    }

    /// `get_mut` for a record beyond the shape: grows the bytes to hold it.
    #[cold]
    fn grown(&mut self, p: usize, i: usize) -> &mut u8 {
        if p >= self.0.len() {
            self.0.resize_with(p + 1, Vec::new);
        }
        let v = &mut self.0[p];
        if i >= v.len() {
            v.resize(i + 1, 0);
        }
        &mut v[i]
    }

    /// Every record whose byte is not zero.
    pub fn nonzero(&self) -> impl Iterator<Item = (RecordId, u8)> + '_ {
        self.0.iter().enumerate().flat_map(|(p, v)| {
            v.iter()
                .enumerate()
                .filter(|(_, &b)| b != 0)
                .map(move |(i, &b)| (RecordId { producer: p as u32, index: i as u32 }, b))
        })
    }
}

/// The consumer index.
#[derive(Debug, Default)]
pub(crate) struct Consumers {
    /// Group names, in order of first appearance in `History::consumers`.
    pub groups: Vec<String>,
    /// Per consumer: its group.
    pub group_of: Vec<u32>,
    /// Per partition: the groups subscribing to its topic (empty for internal partitions).
    pub subscribed: Vec<Vec<u32>>,
    /// Per group: how often it processed each record, plus `LOST_IN_GROUP`.
    pub counts: Vec<RecordBytes>,
    /// Per consumer: 1 for each record some instance of it processed.
    pub seen: Vec<RecordBytes>,
    /// Per consumer: records processed, each processing counted.
    pub processed: Vec<u64>,
    /// Per record: the flags above.
    pub flags: RecordBytes,
    /// Per group: whether any of its tables reads read_committed (its members then never see
    /// records of aborted or open transactions, so losing them is no `lost_processing`).
    pub read_committed: Vec<bool>,
    /// Per group: the committed offset per partition in the final `__consumer_offsets` logs.
    pub committed: Vec<BTreeMap<u32, u64>>,
    /// Indices of the events stories are told from: faults, `ConsumerStarted`, `Assigned`,
    /// `OffsetCommit`, `ConsumerFailed`.
    pub story: Vec<u32>,
    /// Per (consumer, instance): indices of its `Polled` events.
    pub polls: BTreeMap<(u32, u32), Vec<u32>>,
    /// Per consumer: the processor whose consuming side it is, if any (judged by its outputs,
    /// not by its `Processed` events).
    pub processor_of: Vec<Option<u32>>,
}

impl Consumers {
    /// Groups, subscriptions and committed offsets from the history; per-record state sized from
    /// the producer index. Empty when the history has no consumers.
    pub fn build(history: &History, t: &Table) -> Consumers {
        let mut c = Consumers::default();
        if history.consumers.is_empty() {
            return c;
        }
        for info in &history.consumers {
            let g = match c.groups.iter().position(|g| *g == info.group) {
                Some(g) => g,
                None => {
                    c.groups.push(info.group.clone());
                    c.groups.len() - 1
                }
            };
            c.group_of.push(g as u32);
            c.processor_of.push(info.processor);
            c.seen.push(RecordBytes::shaped(t));
            if c.read_committed.len() <= g {
                c.read_committed.resize(g + 1, false);
            }
            c.read_committed[g] |= info.isolation == IsolationLevel::ReadCommitted;
        }
        c.processed = vec![0; history.consumers.len()];
        c.counts = (0..c.groups.len()).map(|_| RecordBytes::shaped(t)).collect();
        c.flags = RecordBytes::shaped(t);
        c.subscribed = history
            .partitions
            .iter()
            .map(|part| {
                if part.is_internal() {
                    return Vec::new();
                }
                let mut gs: Vec<u32> = history
                    .consumers
                    .iter()
                    .zip(&c.group_of)
                    .filter(|(info, _)| info.processor.is_none() && info.topics.contains(&part.topic))
                    .map(|(_, &g)| g)
                    .collect();
                gs.sort_unstable();
                gs.dedup();
                gs
            })
            .collect();
        c.committed = committed_offsets(history, &c.groups);
        c
    }

    /// The group of consumer `consumer`, if the history has it.
    pub fn group(&self, consumer: u32) -> Option<u32> {
        self.group_of.get(consumer as usize).copied()
    }

    /// Whether consumer `consumer` is a processor's consuming side.
    pub fn is_processor(&self, consumer: u32) -> bool {
        self.processor_of.get(consumer as usize).is_some_and(Option::is_some)
    }

    /// Notes an event for the stories.
    pub fn note(&mut self, ei: u32, ev: &Event) {
        match &ev.kind {
            EventKind::Fault { .. }
            | EventKind::ConsumerStarted { .. }
            | EventKind::Assigned { .. }
            | EventKind::OffsetCommit { .. }
            | EventKind::ConsumerFailed { .. } => self.story.push(ei),
            EventKind::Polled { consumer, instance, .. } => {
                self.polls.entry((*consumer, *instance)).or_default().push(ei)
            }
            _ => {}
        }
    }

    /// Per consumer name: processing counts and the group's committed offsets on its topics.
    /// Processors are reported in their own section.
    pub fn stats(&self, history: &History) -> BTreeMap<String, ConsumerStats> {
        let mut out = BTreeMap::new();
        for (c, info) in history.consumers.iter().enumerate() {
            if info.processor.is_some() {
                continue;
            }
            let g = self.group_of[c] as usize;
            let committed = self.committed[g]
                .iter()
                .filter(|(&x, _)| history.partitions.get(x as usize).is_some_and(|p| info.topics.contains(&p.topic)))
                .map(|(&x, &o)| (partition_name(history, x), o))
                .collect();
            let stats = ConsumerStats {
                group: info.group.clone(),
                processed: self.processed[c],
                distinct: self.seen[c].nonzero().count() as u64,
                committed,
            };
            out.insert(info.name.clone(), stats);
        }
        out
    }

    /// Each consumer's promised semantic and whether it held: at-most-once (commit before
    /// processing) breaks on a record its group processed twice that one of its instances
    /// processed; at-least-once (after processing, auto) on a record of its topics its group never
    /// processed. `lost_in[group][partition]` counts the latter.
    pub fn semantics(&self, history: &History, lost_in: &[Vec<u64>]) -> BTreeMap<String, Semantic> {
        let mut out = BTreeMap::new();
        for (c, info) in history.consumers.iter().enumerate() {
            if info.processor.is_some() {
                continue;
            }
            let g = self.group_of[c] as usize;
            let group = &self.groups[g];
            let delivery = consumer_promise(info);
            let mut broken_by = Vec::new();
            if delivery == NO_PROMISE {
                // Nothing promised, nothing to break: the anomaly counts say what happened.
            } else if info.commit == CommitMode::BeforeProcessing {
                let n = self.seen[c].nonzero().filter(|&(r, _)| self.counts[g].get(r) & COUNT >= 2).count() as u64;
                if n > 0 {
                    broken_by.push(format!("{n} record{} processed more than once by group {group}", plural(n)));
                }
            } else {
                let n: u64 = lost_in
                    .get(g)
                    .map(|per| {
                        per.iter()
                            .enumerate()
                            .filter(|(x, _)| history.partitions.get(*x).is_some_and(|p| info.topics.contains(&p.topic)))
                            .map(|(_, &n)| n)
                            .sum()
                    })
                    .unwrap_or(0);
                if n > 0 {
                    broken_by.push(format!("{n} record{} never processed by group {group}", plural(n)));
                }
            }
            out.insert(
                info.name.clone(),
                Semantic { delivery: delivery.to_string(), holds: broken_by.is_empty(), broken_by },
            );
        }
        out
    }

    // ---- story helpers (findings only) ----------------------------------------------------

    /// The story events with index in `(after, before)`.
    pub fn story_between(&self, after: u32, before: u32) -> &[u32] {
        let lo = self.story.partition_point(|&i| i <= after);
        let hi = self.story.partition_point(|&i| i < before);
        &self.story[lo..hi.max(lo)]
    }

    /// What ended `consumer/instance`'s run between events `after` and `before`: the first fault
    /// that hit it or the first exception it stopped on, as "c1/0 crashed at 5200 ms", with the
    /// event's index.
    pub fn fate_between(
        &self,
        history: &History,
        consumer: u32,
        instance: u32,
        after: u32,
        before: u32,
    ) -> Option<(u32, String)> {
        let who = instance_name(history, consumer, instance);
        self.story_between(after, before).iter().find_map(|&i| {
            let ev = &history.events[i as usize];
            match &ev.kind {
                EventKind::Fault { action, target, .. } if hits(target, consumer, instance) => {
                    Some((i, format!("{who} {} at {} ms", fault_verb(*action), ev.at)))
                }
                EventKind::ConsumerFailed { consumer: c, instance: k, error } if (*c, *k) == (consumer, instance) => {
                    Some((i, format!("{who} failed with {error} at {} ms", ev.at)))
                }
                _ => None,
            }
        })
    }

    /// The first failed offset commit of `consumer/instance` between `after` and `before`.
    pub fn failed_commit_between(
        &self,
        history: &History,
        consumer: u32,
        instance: u32,
        after: u32,
        before: u32,
    ) -> Option<String> {
        self.story_between(after, before).iter().find_map(|&i| {
            let ev = &history.events[i as usize];
            match &ev.kind {
                EventKind::OffsetCommit { consumer: c, instance: k, result: Err(e), .. }
                    if (*c, *k) == (consumer, instance) =>
                {
                    Some(format!(
                        "{}'s offset commit failed with {e} at {} ms",
                        instance_name(history, consumer, instance),
                        ev.at
                    ))
                }
                _ => None,
            }
        })
    }

    /// The last `Assigned` of `consumer/instance` between `after` and `before` whose partitions
    /// include `partition`: (event index, generation).
    pub fn assigned_between(
        &self,
        history: &History,
        consumer: u32,
        instance: u32,
        partition: u32,
        after: u32,
        before: u32,
    ) -> Option<(u32, i32)> {
        self.story_between(after, before).iter().rev().find_map(|&i| match &history.events[i as usize].kind {
            EventKind::Assigned { consumer: c, instance: k, generation, partitions }
                if (*c, *k) == (consumer, instance) && partitions.contains(&partition) =>
            {
                Some((i, *generation))
            }
            _ => None,
        })
    }

    /// Whether any member of `group` was ever assigned `partition`.
    pub fn ever_assigned(&self, history: &History, group: u32, partition: u32) -> bool {
        self.story.iter().any(|&i| match &history.events[i as usize].kind {
            EventKind::Assigned { consumer, partitions, .. } => {
                self.group(*consumer) == Some(group) && partitions.contains(&partition)
            }
            _ => false,
        })
    }

    /// The offset for `partition` of a successful commit event of a member of `group`, if it is one.
    fn group_commit(&self, ev: &Event, group: u32, partition: u32) -> Option<u64> {
        match &ev.kind {
            EventKind::OffsetCommit { consumer, offsets, result: Ok(()), .. }
                if self.group(*consumer) == Some(group) =>
            {
                offsets.iter().rev().find(|(x, _)| *x == partition).map(|&(_, o)| o)
            }
            _ => None,
        }
    }

    /// The offset the last successful commit of `group` before event `before` gave `partition`,
    /// as the clients saw it.
    pub fn committed_before(&self, history: &History, group: u32, partition: u32, before: u32) -> Option<u64> {
        let hi = self.story.partition_point(|&i| i < before);
        self.story[..hi].iter().rev().find_map(|&i| self.group_commit(&history.events[i as usize], group, partition))
    }

    /// The first successful commit of `group` whose offset for `partition` passed `offset`:
    /// (event index, committing consumer, instance, committed offset).
    pub fn first_commit_past(
        &self,
        history: &History,
        group: u32,
        partition: u32,
        offset: u64,
    ) -> Option<(u32, u32, u32, u64)> {
        self.story.iter().find_map(|&i| {
            let ev = &history.events[i as usize];
            let o = self.group_commit(ev, group, partition).filter(|&o| o > offset)?;
            match &ev.kind {
                EventKind::OffsetCommit { consumer, instance, .. } => Some((i, *consumer, *instance, o)),
                _ => None,
            }
        })
    }

    /// The first poll of `consumer/instance` after event `after`.
    pub fn next_poll(&self, consumer: u32, instance: u32, after: u32) -> Option<u32> {
        let polls = self.polls.get(&(consumer, instance))?;
        polls.get(polls.partition_point(|&i| i <= after)).copied()
    }
}

/// The semantic of a consumer that promises neither: it may lose and it may repeat.
pub const NO_PROMISE: &str = "none";

/// The delivery semantic consumer `info` promises: its commit placement's, except that a
/// librdkafka consumer that auto-commits offsets stored when records are handed out promises
/// nothing. Its background timer commits records the application got but has not processed
/// (a crash loses them: not at-least-once), and a crash repeats what was processed since the
/// last tick (not at-most-once). librdkafka's INTRODUCTION.md, "At-least-once processing".
pub(crate) fn consumer_promise(info: &ConsumerInfo) -> &'static str {
    if info.client == ClientKind::Librdkafka && info.commit == CommitMode::Auto && info.auto_offset_store {
        return NO_PROMISE;
    }
    promised_delivery(info.commit)
}

/// The delivery semantic a commit placement promises.
pub(crate) fn promised_delivery(commit: CommitMode) -> &'static str {
    match commit {
        CommitMode::BeforeProcessing => "at-most-once",
        CommitMode::AfterProcessing | CommitMode::Async | CommitMode::Auto => "at-least-once",
    }
}

/// Per group (indexed like `groups`): the committed offset per partition in the final logs of
/// the internal partitions (the leader's replica, below its high watermark). A transactional
/// commit counts once its producer's COMMIT marker follows it (and only against plain commits
/// written before it: the later record wins); an ABORT marker or no marker discards it.
fn committed_offsets(history: &History, groups: &[String]) -> Vec<BTreeMap<u32, u64>> {
    // (offset, offset of the record that committed it), per group and partition.
    let mut out: Vec<BTreeMap<u32, (u64, u64)>> = vec![BTreeMap::new(); groups.len()];
    for part in history.partitions.iter().filter(|p| p.is_internal()) {
        let Some(log) = part.leader_replica() else { continue };
        let mut pending: BTreeMap<i64, Vec<(usize, u32, u64, u64)>> = BTreeMap::new();
        for batch in log.log.iter().take_while(|b| b.next_offset() <= log.hw) {
            if let Some(commit) = batch.marker() {
                for (g, x, o, at) in pending.remove(&batch.producer_id).unwrap_or_default() {
                    if commit && out[g].get(&x).is_none_or(|&(_, prev)| prev < at) {
                        out[g].insert(x, (o, at));
                    }
                }
                continue;
            }
            let Some(MetaRecord::OffsetCommit { group, offsets }) = batch.meta.as_deref() else { continue };
            let Some(g) = groups.iter().position(|name| name.as_str() == &**group) else { continue };
            for &(x, o) in offsets.iter() {
                if batch.transactional {
                    pending.entry(batch.producer_id).or_default().push((g, x, o, batch.base_offset));
                } else {
                    out[g].insert(x, (o, batch.base_offset));
                }
            }
        }
    }
    out.into_iter().map(|m| m.into_iter().map(|(x, (o, _))| (x, o)).collect()).collect()
}

/// `NAME/K`, tolerating a consumer index the history does not name.
pub(crate) fn instance_name(history: &History, consumer: u32, instance: u32) -> String {
    match history.consumers.get(consumer as usize) {
        Some(ConsumerInfo { name, .. }) => format!("{name}/{instance}"),
        None => format!("consumer{consumer}/{instance}"),
    }
}

/// Whether a fault was aimed at member `consumer/instance` (a fault on every instance is recorded
/// once per instance).
fn hits(target: &FaultTarget, consumer: u32, instance: u32) -> bool {
    matches!(target, FaultTarget::Node(FaultNode::Member { consumer: c, instance: k, .. }) if (*c, *k) == (consumer, instance))
}

pub(crate) fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fault_hits_the_member_it_names_only() {
        let member = |consumer, instance| {
            FaultTarget::Node(FaultNode::Member { consumer, instance, name: "c1".into(), processor: false })
        };
        assert!(hits(&member(0, 3), 0, 3));
        assert!(!hits(&member(0, 2), 0, 3));
        assert!(!hits(&member(1, 3), 0, 3));
        assert!(!hits(&FaultTarget::Node(FaultNode::Broker(1)), 0, 3));
    }

    #[test]
    fn record_bytes_grow_for_records_the_scenario_does_not_name() {
        let mut b = RecordBytes::default();
        let r = RecordId { producer: 2, index: 7 };
        assert_eq!(b.get(r), 0);
        *b.get_mut(r) = 5;
        assert_eq!(b.get(r), 5);
        assert_eq!(b.nonzero().collect::<Vec<_>>(), vec![(r, 5)]);
    }

    #[test]
    fn a_runs_bytes_are_the_records_bytes_and_grow_to_hold_the_run() {
        let mut b = RecordBytes::default();
        assert_eq!(b.run(1, 3, 2), None, "beyond the shape");
        b.run_mut(1, 3, 2).fill(9);
        assert_eq!(b.run(1, 3, 2), Some(&[9u8, 9][..]));
        assert_eq!((b.get(RecordId { producer: 1, index: 4 }), b.get(RecordId { producer: 1, index: 5 })), (9, 0));
        assert!(b.run_mut(7, 100, 0).is_empty());
        assert_eq!(b.run(1, 0, 0), Some(&[][..]));
    }
}
