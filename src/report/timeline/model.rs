//! The page's data: the history, the final logs, the collected timeline and the verdict's
//! findings, turned into lanes of plain numbers (one JSON blob for the page's script, and what
//! the static SVG draws). Long lists are flat arrays of fixed-width tuples, times in ms.

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use serde::Serialize;

use crate::check::explain;
use crate::record::{
    CutCause, EventKind, FaultAction, FaultNode, FaultTarget, Heal, History, LogBatch, RecordId, Timeline,
};
use crate::report::Report;

/// How many findings' records get a story (the rest are listed without one).
pub const STORIES_MAX: usize = 300;

/// The whole page's data.
#[derive(Debug, Clone, Serialize)]
pub struct Page {
    /// Scenario name.
    pub title: String,
    /// Scenario description.
    pub description: String,
    /// Seed run.
    pub seed: u64,
    /// Trace hash, as the report prints it.
    pub hash: String,
    /// Virtual time at the end of the run.
    pub end: u64,
    /// Events handled.
    pub events: u64,
    /// Whether every `[expect]` held.
    pub passed: bool,
    /// Non-zero anomaly counts: (name, count).
    pub counts: Vec<(String, u64)>,
    /// Record producers (the scenario's, then each processor's outputs), by `RecordId::producer`.
    pub producers: Vec<String>,
    /// Workload partitions.
    pub partitions: Vec<PartitionView>,
    /// Producer instances, one lane each.
    pub senders: Vec<SenderLane>,
    /// Group members, one lane each.
    pub members: Vec<MemberLane>,
    /// Every fault, with when it ended.
    pub faults: Vec<FaultView>,
    /// Every finding, in the report's order.
    pub anomalies: Vec<AnomalyView>,
    /// Stories of the findings' records.
    pub stories: Vec<Story>,
    /// Trace line times (delta-encoded).
    pub line_at: Vec<u64>,
    /// Trace lines without their time column.
    pub lines: Vec<String>,
    /// Trace lines left out of the page.
    pub dropped: u64,
}

/// One workload partition: the controller's states and one lane per replica.
#[derive(Debug, Clone, Serialize)]
pub struct PartitionView {
    /// `topic/partition`.
    pub name: String,
    /// Index into `History::partitions`.
    pub idx: u32,
    /// Flat (time, leader or 0, leader epoch, ISR as a bit set of broker ids).
    pub states: Vec<u64>,
    /// Replica lanes, in assignment order.
    pub replicas: Vec<ReplicaView>,
    /// Largest offset any replica reached (the lanes' height).
    pub top: u64,
}

/// Width of one band in [`ReplicaView::bands`].
pub const BAND: usize = 9;
/// Band flag: written inside a transaction.
pub const TXN: u64 = 1;
/// Band flag: a COMMIT marker.
pub const COMMIT: u64 = 2;
/// Band flag: an ABORT marker.
pub const ABORT: u64 = 4;
/// Band flag: no other replica ever held these batches.
pub const ALONE: u64 = 8;

/// One replica lane.
#[derive(Debug, Clone, Serialize)]
pub struct ReplicaView {
    /// Broker id.
    pub b: u32,
    /// Flat bands of [`BAND`] numbers: base offset, length, producer, instance, first record
    /// index, flags, appended from, appended until, cut at (0: never). Within a band record
    /// indices run on with offsets.
    pub bands: Vec<u64>,
    /// Log end offset: (time, value) pairs, times delta-encoded.
    pub leo: Vec<u64>,
    /// High watermark, as `leo`.
    pub hw: Vec<u64>,
    /// Last stable offset, as `leo` (empty when it always equals the high watermark).
    pub lso: Vec<u64>,
    /// Flat (time, own leader epoch, 1 when it believes it leads).
    pub role: Vec<u64>,
    /// Flat cuts: time, first offset cut, last offset cut, 1 for a power loss.
    pub cuts: Vec<u64>,
    /// Flat offset ranges only this replica ever held: first, last, appended from, cut at (0: never).
    pub alone: Vec<u64>,
}

/// One producer instance's lane.
#[derive(Debug, Clone, Serialize)]
pub struct SenderLane {
    /// `p1/0`.
    pub name: String,
    /// Producer index.
    pub producer: u32,
    /// Whether it writes a processor's outputs.
    pub output: bool,
    /// Flat sends: time, partition index, record count.
    pub sends: Vec<u64>,
    /// Flat acknowledgements: time, partition, count, base offset (or u64::MAX for acks=0), broker, epoch.
    pub acks: Vec<u64>,
    /// Flat failures: time, partition, count, 1 when maybe written (indeterminate).
    pub fails: Vec<u64>,
    /// Flat transaction ends: time, transaction number, 1 for a commit, 1 when it succeeded.
    pub txns: Vec<u64>,
}

/// One group member's lane.
#[derive(Debug, Clone, Serialize)]
pub struct MemberLane {
    /// `c1/0`.
    pub name: String,
    /// `group.id`.
    pub group: String,
    /// Whether it is a processor's member.
    pub processor: bool,
    /// Start times (first start and restarts).
    pub started: Vec<u64>,
    /// Assignments: (time, generation, partition indices).
    pub assigned: Vec<(u64, i32, Vec<u32>)>,
    /// Flat polls: time, partition, first offset, record count.
    pub polls: Vec<u64>,
    /// Flat processing: time, partition, first offset, record count.
    pub processed: Vec<u64>,
    /// Flat commits: time, partition, next offset, 1 when it succeeded.
    pub commits: Vec<u64>,
    /// Times the application failed.
    pub failed: Vec<u64>,
}

/// One fault.
#[derive(Debug, Clone, Serialize)]
pub struct FaultView {
    /// When it struck.
    pub at: u64,
    /// When it ended (restart or heal); `None` when it never did.
    pub until: Option<u64>,
    /// `crash`, `power-loss`, `isolate`, `pause`, `partition`.
    pub action: String,
    /// The target as the trace prints it.
    pub target: String,
    /// What made it fire: `at_ms = 400`, `after = "..."`, or `nemesis`.
    pub trigger: String,
    /// Brokers it hit.
    pub brokers: Vec<u32>,
    /// Client lanes it hit (`p1/`, `c1/0`: a lane whose name starts so).
    pub clients: Vec<String>,
}

/// One finding.
#[derive(Debug, Clone, Serialize)]
pub struct AnomalyView {
    /// Anomaly name.
    pub kind: String,
    /// Record or partition it is about.
    pub subject: String,
    /// Its explanation.
    pub text: String,
    /// Index into `Page::stories`, when the subject is a record with a story.
    pub story: Option<usize>,
}

/// Story mark kinds, the first number of each [`Story::marks`] entry.
pub mod mark {
    /// Sent: kind, time, sender lane.
    pub const SENT: u64 = 0;
    /// Acknowledged: kind, time, sender lane, partition, offset, broker.
    pub const ACKED: u64 = 1;
    /// Failed: kind, time, sender lane, 1 when maybe written.
    pub const FAILED: u64 = 2;
    /// Held by a replica: kind, partition, broker, offset, appended at, cut at (0: never).
    pub const HELD: u64 = 3;
    /// Polled: kind, time, member lane, partition, offset.
    pub const POLLED: u64 = 4;
    /// Processed: kind, time, member lane, partition, offset.
    pub const PROCESSED: u64 = 5;
    /// Its transaction ended: kind, time, sender lane, 1 for commit, 1 when it succeeded.
    pub const TXN: u64 = 6;
    /// Numbers per mark (unused places are 0).
    pub const WIDTH: usize = 7;
}

/// One record's story: `--explain`'s lines and where each step sits on the timeline.
#[derive(Debug, Clone, Serialize)]
pub struct Story {
    /// `p1#299`.
    pub record: String,
    /// The lines `--explain` prints.
    pub lines: Vec<String>,
    /// Flat marks of [`mark::WIDTH`] numbers.
    pub marks: Vec<u64>,
}

/// Delta-encode the first number of each `width`-wide tuple (times grow, so the page's numbers
/// stay short).
fn delta(flat: &mut [u64], width: usize) {
    let mut last = 0;
    for tuple in flat.chunks_mut(width) {
        let t = tuple[0];
        tuple[0] = t.saturating_sub(last);
        last = t;
    }
}

fn series(s: &[(u64, u64)]) -> Vec<u64> {
    let mut flat = Vec::with_capacity(s.len() * 2);
    let mut last = 0;
    for &(t, v) in s {
        flat.extend([t.saturating_sub(last), v]);
        last = t;
    }
    flat
}

/// Hashes an address (a map only looked up, never iterated, so its order reaches nothing).
#[derive(Default)]
struct AddrHasher(u64);

impl Hasher for AddrHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_usize(self.0 as usize ^ usize::from(b));
        }
    }

    fn write_usize(&mut self, n: usize) {
        let m = u128::from(n as u64 ^ self.0) * 0x9E37_79B9_7F4A_7C15;
        self.0 = (m as u64) ^ ((m >> 64) as u64);
    }
}

/// Lane indices by (producer or consumer, instance).
struct LaneOf(Vec<Vec<usize>>);

impl LaneOf {
    fn new(keys: &[(u32, u32)]) -> Self {
        let mut v: Vec<Vec<usize>> = Vec::new();
        for (lane, &(a, i)) in keys.iter().enumerate() {
            let (a, i) = (a as usize, i as usize);
            if v.len() <= a {
                v.resize(a + 1, Vec::new());
            }
            if v[a].len() <= i {
                v[a].resize(i + 1, usize::MAX);
            }
            v[a][i] = lane;
        }
        LaneOf(v)
    }

    fn get(&self, a: u32, i: u32) -> Option<usize> {
        let lane = *self.0.get(a as usize)?.get(i as usize)?;
        (lane != usize::MAX).then_some(lane)
    }
}

fn isr_bits(isr: &[u32]) -> u64 {
    isr.iter().fold(0, |m, &b| m | 1u64 << b.min(63))
}

/// Build the page's data from one run.
pub fn build(history: &History, timeline: &Timeline, report: &Report, trace_faults: &[FaultTrigger]) -> Page {
    let producers = history.producers.clone();
    // Batches appended further apart than this start a new band (a band's growth is drawn as one slope).
    let gap = (report.virtual_ms / 1000).max(1);
    let partitions = timeline.partitions.iter().map(|p| partition_view(history, p, gap)).collect();
    let ((senders, sender_of), (members, member_of)) = client_lanes(history);
    let faults = fault_views(history, trace_faults);
    // The findings' records, each told once, up to STORIES_MAX of them.
    let mut story_of: BTreeMap<String, usize> = BTreeMap::new();
    let mut records: Vec<RecordId> = Vec::new();
    for f in &report.findings {
        if story_of.contains_key(&f.subject) || records.len() >= STORIES_MAX {
            continue;
        }
        if let Ok(r) = explain::parse_record(history, &f.subject) {
            story_of.insert(f.subject.clone(), records.len());
            records.push(r);
        }
    }
    let lines = explain::explain_all(history, &report.findings, &records);
    let marks = marks(history, timeline, &records, &sender_of, &member_of);
    let stories: Vec<Story> = records
        .iter()
        .zip(lines)
        .zip(marks)
        .map(|((&r, lines), marks)| Story { record: history.record_name(r), lines, marks })
        .collect();
    let anomalies = report
        .findings
        .iter()
        .map(|f| AnomalyView {
            kind: f.anomaly.name().to_string(),
            subject: f.subject.clone(),
            text: f.explanation.clone(),
            story: story_of.get(&f.subject).copied(),
        })
        .collect();
    let mut line_at: Vec<u64> = timeline.lines.iter().map(|l| l.at).collect();
    delta(&mut line_at, 1);
    // The time column is `line_at`; the page prints it again itself.
    let lines = timeline.lines.iter().map(|l| l.line.get(11..).unwrap_or("").trim_end().to_string()).collect();
    Page {
        title: report.scenario.clone(),
        description: report.description.clone().unwrap_or_default(),
        seed: report.seed,
        hash: report.trace_hash.clone(),
        end: report.virtual_ms,
        events: report.events,
        passed: report.expect.passed,
        counts: report.anomalies.nonzero().map(|(a, n)| (a.name().to_string(), n)).collect(),
        producers,
        partitions,
        senders,
        members,
        faults,
        anomalies,
        stories,
        line_at,
        lines,
        dropped: timeline.lines_dropped,
    }
}

/// Where each of `records`' stories sits on the page: sends, acknowledgements, failures,
/// transaction ends, every replica that held it, every poll and processing of it (one pass).
fn marks(
    history: &History,
    timeline: &Timeline,
    records: &[RecordId],
    sender_of: &LaneOf,
    member_of: &LaneOf,
) -> Vec<Vec<u64>> {
    let slot = explain::Slots::new(records);
    let mut m: Vec<Vec<u64>> = vec![Vec::new(); records.len()];
    let mut told: Vec<usize> = Vec::new();
    let find = |p: u32, i: u32| slot.get(p, i);
    for ev in &history.events {
        let t = ev.at;
        told.clear();
        match &ev.kind {
            EventKind::Sent { producer, instance, records, .. } => {
                if !slot.may_hold(*producer, records) {
                    continue;
                }
                for i in records.iter() {
                    let Some(s) = find(*producer, i).filter(|s| !told.contains(s)) else { continue };
                    told.push(s);
                    let lane = sender_of.get(*producer, *instance).expect("a sender's lane");
                    m[s].extend([mark::SENT, t, lane as u64, 0, 0, 0, 0]);
                }
            }
            EventKind::Acked { producer, instance, partition, records, offset, broker, .. } => {
                if !slot.may_hold(*producer, records) {
                    continue;
                }
                for (k, i) in records.iter().enumerate() {
                    let Some(s) = find(*producer, i).filter(|s| !told.contains(s)) else { continue };
                    told.push(s);
                    let off = if *offset < 0 { u64::MAX } else { *offset as u64 + k as u64 };
                    let lane = sender_of.get(*producer, *instance).unwrap_or(0) as u64;
                    m[s].extend([mark::ACKED, t, lane, (*partition).into(), off, (*broker).into(), 0]);
                }
            }
            EventKind::Failed { producer, instance, records, maybe_written, .. } => {
                if !slot.may_hold(*producer, records) {
                    continue;
                }
                for i in records.iter() {
                    let Some(s) = find(*producer, i).filter(|s| !told.contains(s)) else { continue };
                    told.push(s);
                    let lane = sender_of.get(*producer, *instance).unwrap_or(0) as u64;
                    m[s].extend([mark::FAILED, t, lane, (*maybe_written).into(), 0, 0, 0]);
                }
            }
            EventKind::TxnEnded { producer, instance, commit, records, result, .. } => {
                if !slot.may_hold(*producer, records) {
                    continue;
                }
                for i in records.iter() {
                    let Some(s) = find(*producer, i).filter(|s| !told.contains(s)) else { continue };
                    told.push(s);
                    let lane = sender_of.get(*producer, *instance).unwrap_or(0) as u64;
                    m[s].extend([mark::TXN, t, lane, (*commit).into(), result.is_ok().into(), 0, 0]);
                }
            }
            EventKind::Polled { consumer, instance, records }
            | EventKind::Processed { consumer, instance, records } => {
                let kind = if matches!(ev.kind, EventKind::Polled { .. }) { mark::POLLED } else { mark::PROCESSED };
                for d in records.iter() {
                    let Some(s) = find(d.record.producer, d.record.index) else { continue };
                    let lane = member_of.get(*consumer, *instance).unwrap_or(0) as u64;
                    m[s].extend([kind, t, lane, d.partition.into(), d.offset, 0, 0]);
                }
            }
            _ => {}
        }
    }
    for p in &timeline.partitions {
        for rep in &p.replicas {
            for h in &rep.batches {
                let b = &h.batch;
                if b.meta.is_some() || !slot.may_hold(b.producer, &b.records) {
                    continue;
                }
                for (k, i) in b.records.iter().enumerate() {
                    let Some(s) = find(b.producer, i) else { continue };
                    let off = b.base_offset + k as u64;
                    let cut = h.cut_at.unwrap_or(0);
                    m[s].extend([mark::HELD, p.partition.into(), rep.broker.into(), off, h.appended_at, cut, 0]);
                }
            }
        }
    }
    m
}

fn partition_view(history: &History, p: &crate::record::PartitionTimeline, gap: u64) -> PartitionView {
    let mut states = Vec::new();
    for (t, s) in &p.states {
        states.extend([*t, s.leader.map_or(0, u64::from), s.leader_epoch.into(), isr_bits(&s.isr)]);
    }
    // Batches one replica alone ever held were never copied: each batch (by address: replicas
    // share a copied batch) with the one replica that held it, or `SEVERAL`. Only looked up.
    const SEVERAL: u32 = u32::MAX;
    let n = p.replicas.iter().map(|r| r.batches.len()).sum();
    let mut holder: HashMap<usize, u32, BuildHasherDefault<AddrHasher>> =
        HashMap::with_capacity_and_hasher(n, BuildHasherDefault::default());
    for (k, r) in p.replicas.iter().enumerate() {
        for h in &r.batches {
            let e = holder.entry(Arc::as_ptr(&h.batch) as usize).or_insert(k as u32);
            if *e != k as u32 {
                *e = SEVERAL;
            }
        }
    }
    let several = p.replicas.len() > 1;
    let replicas: Vec<ReplicaView> = p
        .replicas
        .iter()
        .map(|r| {
            let alone_of = |b: &Arc<LogBatch>| several && holder[&(Arc::as_ptr(b) as usize)] != SEVERAL;
            let mut bands: Vec<u64> = Vec::new();
            let mut alone: Vec<u64> = Vec::new();
            for h in &r.batches {
                let b = &h.batch;
                let flags = match b.marker() {
                    Some(true) => COMMIT,
                    Some(false) => ABORT,
                    None => 0,
                } | if b.transactional && b.meta.is_none() { TXN } else { 0 }
                    | if alone_of(b) { ALONE } else { 0 };
                let cut = h.cut_at.unwrap_or(0);
                if flags & ALONE != 0 {
                    let n = alone.len();
                    // Ranges run on while batches follow each other and share their fate.
                    if n >= 4 && alone[n - 3] + 1 == b.base_offset && alone[n - 1] == cut {
                        alone[n - 3] = b.next_offset() - 1;
                    } else {
                        alone.extend([b.base_offset, b.next_offset() - 1, h.appended_at, cut]);
                    }
                }
                push_runs(&mut bands, b, flags, (h.appended_at, gap), cut);
            }
            let lso = if r.lso == r.hw { Vec::new() } else { series(&r.lso) };
            let mut role = Vec::new();
            for (t, (e, lead)) in &r.role {
                role.extend([*t, u64::from(*e), u64::from(*lead)]);
            }
            let mut cuts = Vec::new();
            for c in &r.cuts {
                cuts.extend([c.at, c.from, c.to.saturating_sub(1), u64::from(c.cause == CutCause::PowerLoss)]);
            }
            ReplicaView { b: r.broker, bands, leo: series(&r.leo), hw: series(&r.hw), lso, role, cuts, alone }
        })
        .collect();
    let top = p.replicas.iter().flat_map(|r| r.leo.iter().map(|x| x.1)).max().unwrap_or(0);
    PartitionView { name: history.partitions[p.partition as usize].name(), idx: p.partition, states, replicas, top }
}

/// Push `b` as bands: runs of offsets whose record indices run on, merged into the last band
/// when it continues it (same producer, instance, flags and fate, appended within `gap` ms).
fn push_runs(bands: &mut Vec<u64>, b: &LogBatch, flags: u64, (at, gap): (u64, u64), cut: u64) {
    let producer = if b.meta.is_some() { u64::MAX } else { b.producer.into() };
    let mut k = 0;
    let recs = &b.records;
    let len = b.len() as usize;
    while k < len {
        let first = recs.get(k).unwrap_or(0);
        // An internal record (no workload records) is one band of its own.
        let n = recs.stretch_at(k).max(1);
        let base = b.base_offset + k as u64;
        let l = bands.len();
        let joins = l >= BAND && flags & (COMMIT | ABORT) == 0 && {
            let last = &bands[l - BAND..];
            last[0] + last[1] == base
                && last[2] == producer
                && last[3] == u64::from(b.instance)
                && last[4] + last[1] == u64::from(first)
                && last[5] == flags
                && last[8] == cut
                && at <= last[7] + gap
        };
        if joins {
            bands[l - BAND + 1] += n as u64;
            bands[l - BAND + 7] = at;
        } else {
            bands.extend([base, n as u64, producer, b.instance.into(), first.into(), flags, at, at, cut]);
        }
        k += n;
    }
}

/// The producer instances' and the group members' lanes, in two passes over the history (one
/// for the lanes' keys, one for what they show).
fn client_lanes(history: &History) -> ((Vec<SenderLane>, LaneOf), (Vec<MemberLane>, LaneOf)) {
    // Lanes in (producer, instance) order: p1/0, p1/1, ..., then processors' outputs; members
    // in (consumer, instance) order.
    let mut keys: Vec<(u32, u32)> = Vec::new();
    let mut member_keys: Vec<(u32, u32)> = Vec::new();
    for ev in &history.events {
        match &ev.kind {
            // Most events repeat the last one's sender (sorted and deduplicated below anyway).
            EventKind::ProducerStarted { producer, instance, .. }
            | EventKind::Sent { producer, instance, .. }
            | EventKind::TxnEnded { producer, instance, .. }
                if keys.last() != Some(&(*producer, *instance)) =>
            {
                keys.push((*producer, *instance));
            }
            EventKind::ConsumerStarted { consumer, instance } => member_keys.push((*consumer, *instance)),
            _ => {}
        }
    }
    keys.sort();
    keys.dedup();
    let of = LaneOf::new(&keys);
    let mut lanes: Vec<SenderLane> = keys
        .iter()
        .map(|&(producer, instance)| SenderLane {
            name: crate::check::producer_instance(history, producer, instance),
            producer,
            output: history.is_output(producer),
            sends: Vec::new(),
            acks: Vec::new(),
            fails: Vec::new(),
            txns: Vec::new(),
        })
        .collect();
    member_keys.sort();
    member_keys.dedup();
    let member_of = LaneOf::new(&member_keys);
    let mut members: Vec<MemberLane> = member_keys
        .iter()
        .map(|&(c, k)| {
            let info = &history.consumers[c as usize];
            MemberLane {
                name: crate::check::instance_name(history, c, k),
                group: info.group.clone(),
                processor: info.processor.is_some(),
                started: Vec::new(),
                assigned: Vec::new(),
                polls: Vec::new(),
                processed: Vec::new(),
                commits: Vec::new(),
                failed: Vec::new(),
            }
        })
        .collect();
    let runs = |records: &crate::record::Deliveries, t: u64, out: &mut Vec<u64>| {
        // Consecutive offsets of one partition make one entry (runs of several producers too).
        let mut runs = records.runs().iter().peekable();
        while let Some(r) = runs.next() {
            let mut n = u64::from(r.count);
            while let Some(next) = runs.next_if(|x| x.partition == r.partition && x.offset == r.offset + n) {
                n += u64::from(next.count);
            }
            out.extend([t, r.partition.into(), r.offset, n]);
        }
    };
    for ev in &history.events {
        let t = ev.at;
        match &ev.kind {
            EventKind::Sent { producer, instance, partition, records } => {
                let l = of.get(*producer, *instance).expect("a sender's lane");
                lanes[l].sends.extend([t, (*partition).into(), records.len() as u64]);
            }
            EventKind::Acked { producer, instance, partition, records, offset, broker, leader_epoch, .. } => {
                let Some(l) = of.get(*producer, *instance) else { continue };
                let off = if *offset < 0 { u64::MAX } else { *offset as u64 };
                let n = records.len() as u64;
                lanes[l].acks.extend([t, (*partition).into(), n, off, (*broker).into(), (*leader_epoch).into()]);
            }
            EventKind::Failed { producer, instance, partition, records, maybe_written, .. } => {
                let Some(l) = of.get(*producer, *instance) else { continue };
                lanes[l].fails.extend([t, (*partition).into(), records.len() as u64, (*maybe_written).into()]);
            }
            EventKind::TxnEnded { producer, instance, txn, commit, result, .. } => {
                let l = of.get(*producer, *instance).expect("a sender's lane");
                lanes[l].txns.extend([t, (*txn).into(), (*commit).into(), result.is_ok().into()]);
            }
            EventKind::ConsumerStarted { consumer, instance } => {
                members[member_of.get(*consumer, *instance).expect("a member's lane")].started.push(t);
            }
            EventKind::Assigned { consumer, instance, generation, partitions } => {
                if let Some(l) = member_of.get(*consumer, *instance) {
                    members[l].assigned.push((t, *generation, partitions.clone()));
                }
            }
            EventKind::Polled { consumer, instance, records } => {
                if let Some(l) = member_of.get(*consumer, *instance) {
                    runs(records, t, &mut members[l].polls);
                }
            }
            EventKind::Processed { consumer, instance, records } => {
                if let Some(l) = member_of.get(*consumer, *instance) {
                    runs(records, t, &mut members[l].processed);
                }
            }
            EventKind::OffsetCommit { consumer, instance, offsets, result } => {
                if let Some(l) = member_of.get(*consumer, *instance) {
                    for &(p, o) in offsets.iter() {
                        members[l].commits.extend([t, p.into(), o, result.is_ok().into()]);
                    }
                }
            }
            EventKind::ConsumerFailed { consumer, instance, .. } => {
                if let Some(l) = member_of.get(*consumer, *instance) {
                    members[l].failed.push(t);
                }
            }
            _ => {}
        }
    }
    for l in &mut lanes {
        delta(&mut l.sends, 3);
        delta(&mut l.acks, 6);
        delta(&mut l.fails, 4);
        delta(&mut l.txns, 4);
    }
    for l in &mut members {
        delta(&mut l.polls, 4);
        delta(&mut l.processed, 4);
        delta(&mut l.commits, 4);
    }
    ((lanes, of), (members, member_of))
}

/// What made a fault of the history fire: its time and action, and the trigger's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultTrigger {
    /// When it fired.
    pub at: u64,
    /// `crash`, `power-loss`, ...
    pub action: FaultAction,
    /// `at_ms = 400` or `after = "p1#17 acked"`.
    pub trigger: String,
}

fn node_lane(n: &FaultNode) -> (Option<u32>, Option<String>) {
    match n {
        FaultNode::Broker(b) => (Some(*b), None),
        FaultNode::Producer { name, .. } => (None, Some(format!("{name}/"))),
        FaultNode::Member { instance, name, .. } => (None, Some(format!("{name}/{instance}"))),
        FaultNode::Controller => (None, None),
    }
}

fn fault_views(history: &History, triggers: &[FaultTrigger]) -> Vec<FaultView> {
    let mut out: Vec<FaultView> = Vec::new();
    for ev in &history.events {
        match &ev.kind {
            EventKind::Fault { action, target, broker } => {
                let mut brokers: Vec<u32> = broker.iter().copied().collect();
                let mut clients = Vec::new();
                let nodes: Vec<&FaultNode> = match target {
                    FaultTarget::Node(n) => vec![n],
                    FaultTarget::Partition { a, b } => a.iter().chain(b.iter()).collect(),
                    FaultTarget::Role { .. } => Vec::new(),
                };
                for n in nodes {
                    let (b, c) = node_lane(n);
                    brokers.extend(b);
                    clients.extend(c);
                }
                brokers.sort();
                brokers.dedup();
                let trigger = triggers
                    .iter()
                    .find(|x| x.at == ev.at && x.action == *action)
                    .map_or_else(|| "nemesis".to_string(), |x| x.trigger.clone());
                out.push(FaultView {
                    at: ev.at,
                    until: None,
                    action: action.as_str().to_string(),
                    target: target.to_string(),
                    trigger,
                    brokers,
                    clients,
                });
            }
            EventKind::Healed { end, target, .. } => {
                // The earliest open fault this heal ends.
                let ends = |f: &FaultView| match end {
                    Heal::Restart => f.action == "crash" || f.action == "power-loss",
                    Heal::Isolation => f.action == "isolate",
                    Heal::Pause => f.action == "pause",
                    Heal::Partition => f.action == "partition",
                };
                let name = target.to_string();
                if let Some(f) = out.iter_mut().find(|f| {
                    f.until.is_none() && ends(f) && (f.target == name || f.target.contains(&format!("({name})")))
                }) {
                    f.until = Some(ev.at);
                }
            }
            _ => {}
        }
    }
    // A pause its process's death cut short has no heal: it ends with the next fault on it.
    for i in 0..out.len() {
        if out[i].until.is_none() && out[i].action != "crash" && out[i].action != "power-loss" {
            let next = out[i + 1..].iter().find(|g| g.target == out[i].target).map(|g| g.at);
            out[i].until = next;
        }
    }
    out
}
