//! The per-record index every checker family shares: one [`Slots`] per producer, indexed by
//! workload index, filled by one pass over the events and one walk over the final logs. A batch's
//! records are sent, acknowledged and written together, so they share a run of slots
//! (`slots.rs`) and the passes do their work once per run, not once per record. No per-record
//! allocation; strings are only made later, for findings.

mod slots;

use slots::each_run;
pub(crate) use slots::Slots;

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::record::{
    Event, EventKind, FaultNode, FaultTarget, FinalReplica, Heal, History, LogBatch, RecordId, RecordList,
};
use crate::scenario::{FaultAction, Scenario};

/// `Rec::flags`: some instance sent it.
pub(crate) const SENT: u16 = 1;
/// `Rec::flags`: some instance saw it acknowledged.
pub(crate) const ACKED: u16 = 1 << 1;
/// `Rec::flags`: some failure report said it may have been written.
pub(crate) const FAILED_MAYBE: u16 = 1 << 2;
/// `Rec::flags`: some failure report said it was definitely not written.
pub(crate) const FAILED_NOT_WRITTEN: u16 = 1 << 3;
/// `Rec::flags`: it stands in the final log of the partition it was first acknowledged on.
pub(crate) const PRESENT_IN_ACK_PARTITION: u16 = 1 << 4;
/// `Rec::flags`: counted as reordered.
pub(crate) const REORDERED: u16 = 1 << 5;
/// `Rec::flags`: a duplicate whose locations are kept for a finding.
pub(crate) const TRACKED_DUPLICATE: u16 = 1 << 6;
/// `Rec::flags`: a transactional record whose batch some instance saw acknowledged (its
/// transaction's outcome decides whether it counts as acknowledged).
pub(crate) const BATCH_ACKED: u16 = 1 << 7;
/// `Rec::flags`: a transactional record some instance's `abortTransaction()` returned success for.
pub(crate) const TXN_ABORTED: u16 = 1 << 8;

/// "None" for the u32 fields of `Rec`.
pub(crate) const NONE: u32 = u32::MAX;

/// Everything the checker knows of a record (20 bytes; a run of consecutive records shares one,
/// see [`Slots`]; what can be derived from the history is not kept here, see
/// `Table::ack_partition` and `Table::first_copy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Rec {
    /// Bit set of the constants above.
    pub flags: u16,
    /// Occurrences in the read_committed view of the final logs (all partitions), saturating.
    pub count: u8,
    /// The first instance that sent it.
    pub send_instance: u32,
    /// That instance's send sequence number for it (global send order of the run).
    pub send_seq: u32,
    /// Index in `History::events` of the first `Acked` event naming it (for a transactional
    /// record: of its batch; `ACKED` is set by its transaction's commit). Its partition is
    /// `Table::ack_partition`.
    pub ack_event: u32,
    /// The batch of its first occurrence in the final logs, as an index into `Table::walked`
    /// (`NONE` while it has none): its partition, writer and offset are read from there.
    first_batch: u32,
}

// The size the doc comment promises.
const _: () = assert!(std::mem::size_of::<Rec>() == 20);

impl Rec {
    const EMPTY: Rec = Rec { flags: 0, count: 0, send_instance: NONE, send_seq: 0, ack_event: NONE, first_batch: NONE };

    /// Whether any flag of `mask` is set.
    pub fn has(&self, mask: u16) -> bool {
        self.flags & mask != 0
    }

    /// Notes one more copy of the record in the final log of `partition` (`ack_partitions` is
    /// `Table::ack_partitions`), for the walk's per-record path and its fast path alike; returns
    /// how many copies stood before it.
    #[inline]
    fn note_copy(&mut self, ack_partitions: &[u32], partition: u32) -> u8 {
        let prior = self.count;
        self.count = self.count.saturating_add(1);
        if ack_partitions.get(self.ack_event as usize) == Some(&partition) {
            self.flags |= PRESENT_IN_ACK_PARTITION;
        }
        prior
    }
}

/// What a transactional record's acknowledgement rests on (12 bytes, kept only for the records of
/// transactional producers).
#[derive(Debug, Clone, Copy)]
pub(crate) struct TxnAck {
    /// Index of the last `Acked` event naming its batch.
    pub last_batch_ack: u32,
    /// Index of the first `TxnEnded { commit: true, result: Ok }` naming it.
    pub commit_event: u32,
    /// `last_batch_ack` when that commit returned: the ack of the batch the commit made visible.
    pub commit_batch_ack: u32,
}

impl TxnAck {
    const EMPTY: TxnAck = TxnAck { last_batch_ack: NONE, commit_event: NONE, commit_batch_ack: NONE };
}

/// What the log walk learned about one occurrence of a record.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Occurrence {
    /// How many times the record stood in the final logs before this occurrence.
    pub prior: u8,
    /// Whether this is the first occurrence written by this instance in this partition.
    pub first_for_walk: bool,
}

/// The shared per-record index.
pub(crate) struct Table {
    /// Per producer, its records' slots.
    pub recs: Vec<Slots>,
    /// Per event index, up to the last `Acked` event: the partition of an `Acked` event (`NONE`
    /// for other events). Records keep only their ack's event; per event is far smaller than
    /// per record, since a batch's records share it.
    ack_partitions: Vec<u32>,
    /// The batches the log walk visited, in order, as (partition, index in its final log): a
    /// record's first occurrence names one (`Rec::first_batch`), so a record keeps 4 bytes for
    /// where it stands instead of 16 (a partition, a writer and an offset).
    walked: Vec<(u32, u32)>,
    /// Sends of a record by an instance other than its first sender: (producer, index, instance,
    /// seq), sorted after the event pass.
    extra_sends: Vec<(u32, u32, u32, u32)>,
    /// (producer, index, instance, partition) occurrences seen by a walk other than the one of
    /// the record's first occurrence (only duplicates land here).
    walk_seen: BTreeSet<(u32, u32, u32, u32)>,
    /// Indices of `Fault`, `Healed` and `LeaderChange` events, in order: the material of stories.
    pub story: Vec<u32>,
    /// Per partition: whether it has a final log (a leader whose replica is known).
    pub online: Vec<bool>,
    /// Per producer: whether it is transactional (a `transactional.id` in the scenario, or a
    /// `TxnEnded` event in the history). Its records count as acknowledged only when a commit of
    /// their transaction succeeded.
    pub transactional: Vec<bool>,
    /// `txn[producer][index]`, for transactional producers only (empty for the others).
    pub txn: Vec<Vec<TxnAck>>,
    /// Per producer: whether it is a processor's pseudo-producer (its records are outputs, judged
    /// by the processor checks, never by the producer-level ones).
    pub outputs: Vec<bool>,
}

impl Table {
    /// Sizes the index from the scenario and fills it from the events.
    pub fn build(scenario: &Scenario, history: &History) -> Table {
        let n = scenario.producers.len().max(history.producers.len());
        // Slots grow as the history names records (`Slots::update`): a scenario may declare far more
        // records than its run sends (`records = 1000000000` with `duration_ms = 1`), and the
        // index must not allocate for records that never existed.
        let recs = (0..n)
            .map(|p| {
                let spec = scenario.producers.get(p);
                Slots::new(spec.map(|s| s.records), spec.is_some_and(|s| s.keys.is_some()))
            })
            .collect();
        let online = history.partitions.iter().map(|p| p.leader_replica().is_some()).collect();
        let mut transactional: Vec<bool> =
            (0..n).map(|p| scenario.producers.get(p).is_some_and(|s| s.config.transactional_id.is_some())).collect();
        for ev in &history.events {
            if let EventKind::TxnEnded { producer, .. } = ev.kind {
                let p = producer as usize;
                if p >= transactional.len() {
                    transactional.resize(p + 1, false);
                }
                transactional[p] = true;
            }
        }
        let txn = vec![Vec::new(); transactional.len()];
        let mut outputs = vec![false; n];
        // A processor's output producer is one the history lists.
        for info in &history.processors {
            if let Some(o) = outputs.get_mut(info.producer as usize) {
                *o = true;
            }
        }
        let mut t = Table {
            outputs,
            recs,
            ack_partitions: Vec::new(),
            walked: Vec::new(),
            extra_sends: Vec::new(),
            walk_seen: BTreeSet::new(),
            story: Vec::new(),
            online,
            transactional,
            txn,
        };
        t.scan_events(&history.events);
        t
    }

    /// The slots of `producer`, growing the list if the history names a producer the scenario
    /// does not (each producer's slots grow as the history names its records).
    #[inline]
    fn slots(recs: &mut Vec<Slots>, producer: u32) -> &mut Slots {
        let p = producer as usize;
        if p >= recs.len() {
            recs.resize_with(p + 1, Slots::default);
        }
        &mut recs[p]
    }

    /// Sets `mask` on the record's slot; returns whether some flag of it was not set before.
    pub fn set_flag(&mut self, producer: u32, index: u32, mask: u16) -> bool {
        let mut fresh = false;
        Self::slots(&mut self.recs, producer).update_one(index, |r| {
            fresh = !r.has(mask);
            r.flags |= mask;
            true
        });
        fresh
    }

    /// Where the record's first occurrence in the final logs stands, as (partition, offset), if
    /// it stands in one.
    pub fn first_copy(&self, history: &History, producer: u32, index: u32) -> Option<(u32, u64)> {
        // A record that stands nowhere has no first batch (`NONE`, past every walked batch).
        let r = self.rec(producer, index)?;
        let &(partition, at) = self.walked.get(r.first_batch as usize)?;
        let b = final_log(history, partition)?.log.get(at as usize)?;
        let pos = match b.records.list() {
            Some(list) => position(list, index)?,
            None => b.records.position(index)?,
        };
        Some((partition, b.base_offset + pos as u64))
    }

    /// Whether `producer` is a processor's pseudo-producer.
    pub fn is_output(&self, producer: u32) -> bool {
        self.outputs.get(producer as usize).copied().unwrap_or(false)
    }

    /// Whether `producer` is transactional.
    pub fn is_txn(&self, producer: u32) -> bool {
        self.transactional.get(producer as usize).copied().unwrap_or(false)
    }

    /// A transactional record's acknowledgement slot, growing its producer's slots as `Slots::grow` does.
    fn txn_mut(&mut self, producer: u32, index: u32) -> &mut TxnAck {
        let (p, i) = (producer as usize, index as usize);
        // Only a transactional producer has slots, and `build` sized `txn` like `transactional`,
        // which covers every producer `is_txn` says yes for.
        let v = &mut self.txn[p];
        if i >= v.len() {
            v.resize(i + 1, TxnAck::EMPTY);
        }
        &mut v[i]
    }

    /// A transactional record's acknowledgement slot, if the index has one.
    pub fn txn_ack(&self, producer: u32, index: u32) -> Option<&TxnAck> {
        self.txn.get(producer as usize)?.get(index as usize)
    }

    /// The record's slot, if the index has one.
    #[inline]
    pub fn rec(&self, producer: u32, index: u32) -> Option<Rec> {
        self.recs.get(producer as usize)?.get(index)
    }

    fn scan_events(&mut self, events: &[Event]) {
        let mut seq: u32 = 0;
        for (i, ev) in events.iter().enumerate() {
            let ei = i as u32;
            match &ev.kind {
                // A list that names no record names no producer either: the index does not grow.
                EventKind::Sent { records, .. }
                | EventKind::Acked { records, .. }
                | EventKind::TxnEnded { records, .. }
                | EventKind::Failed { records, .. }
                    if records.is_empty() => {}
                EventKind::Sent { producer, instance, records, .. } => {
                    let (producer, instance) = (*producer, *instance);
                    let txn = self.is_txn(producer);
                    let v = Self::slots(&mut self.recs, producer);
                    let extra = &mut self.extra_sends;
                    // The n-th record of the list is the run's n-th send.
                    let first_seq = seq;
                    each_run(v, records, |pos, idx, n, r| {
                        let s = first_seq.wrapping_add(pos as u32);
                        r.flags |= SENT;
                        if r.send_instance == NONE {
                            r.send_instance = instance;
                            r.send_seq = s;
                        } else if r.send_instance == instance {
                            // A transactional instance resends a record only in a later
                            // transaction, after aborting the earlier one: the latest send is the
                            // one its order is judged by.
                            if txn {
                                r.send_seq = s;
                            }
                        } else {
                            extra.extend((0..n).map(|k| (producer, idx + k, instance, s.wrapping_add(k))));
                        }
                    });
                    seq = seq.wrapping_add(records.len() as u32);
                }
                EventKind::Acked { producer, partition, records, .. } => {
                    let txn = self.is_txn(*producer);
                    self.ack_partitions.resize(i, NONE);
                    self.ack_partitions.push(*partition);
                    let bit = if txn { BATCH_ACKED } else { ACKED };
                    each_run(Self::slots(&mut self.recs, *producer), records, |_, _, _, r| {
                        if r.ack_event == NONE {
                            r.ack_event = ei;
                        }
                        r.flags |= bit;
                    });
                    if txn {
                        for idx in records.iter() {
                            self.txn_mut(*producer, idx).last_batch_ack = ei;
                        }
                    }
                }
                EventKind::TxnEnded { producer, commit, records, result, .. } => {
                    let bit = match (commit, result) {
                        (true, Ok(())) => ACKED,
                        (false, Ok(())) => TXN_ABORTED,
                        // The coordinator decides: a failed commit may still have committed.
                        (_, Err(_)) => FAILED_MAYBE,
                    };
                    each_run(Self::slots(&mut self.recs, *producer), records, |_, _, _, r| r.flags |= bit);
                    if let (true, Ok(())) = (commit, result) {
                        for idx in records.iter() {
                            let a = self.txn_mut(*producer, idx);
                            if a.commit_event == NONE {
                                a.commit_event = ei;
                                a.commit_batch_ack = a.last_batch_ack;
                            }
                        }
                    }
                }
                EventKind::Failed { producer, records, maybe_written, .. } => {
                    let bit = if *maybe_written { FAILED_MAYBE } else { FAILED_NOT_WRITTEN };
                    each_run(Self::slots(&mut self.recs, *producer), records, |_, _, _, r| r.flags |= bit);
                }
                EventKind::Fault { .. } | EventKind::Healed { .. } | EventKind::LeaderChange { .. } => {
                    self.story.push(ei)
                }
                // Consumer events are judged by the consumer checkers.
                _ => {}
            }
        }
        // Stable: for one (record, instance) the earliest send stays first.
        self.extra_sends.sort_by_key(|&(p, i, k, _)| (p, i, k));
    }

    /// The send sequence number of `instance`'s send of the record, if that instance sent it: its
    /// first send, or for a transactional producer its latest.
    #[inline]
    pub fn send_seq(&self, producer: u32, index: u32, instance: u32) -> Option<u32> {
        let r = self.rec(producer, index)?;
        if r.send_instance == instance {
            return Some(r.send_seq);
        }
        if r.send_instance == NONE {
            return None;
        }
        let key = (producer, index, instance);
        let at = if self.is_txn(producer) {
            // The latest send (see `scan_events`).
            self.extra_sends.partition_point(|&(p, i, k, _)| (p, i, k) <= key).wrapping_sub(1)
        } else {
            self.extra_sends.partition_point(|&(p, i, k, _)| (p, i, k) < key)
        };
        match self.extra_sends.get(at) {
            Some(&(p, i, k, s)) if (p, i, k) == key => Some(s),
            _ => None,
        }
    }

    /// The partition of the record's first acknowledgement (`NONE` if none).
    #[inline]
    pub fn ack_partition(&self, r: &Rec) -> u32 {
        self.ack_partitions.get(r.ack_event as usize).copied().unwrap_or(NONE)
    }

    /// Notes that the log walk is at batch `index` of the final log of `partition`: the id the
    /// occurrences of its records pass to [`Table::occur`].
    pub fn walk_batch(&mut self, partition: u32, index: usize) -> u32 {
        self.walked.push((partition, index as u32));
        (self.walked.len() - 1) as u32
    }

    /// Records one occurrence of a record in the final log `log` of `partition`, in the batch
    /// `batch` (from [`Table::walk_batch`]) that `writer` wrote.
    #[inline]
    pub fn occur(
        &mut self,
        producer: u32,
        index: u32,
        partition: u32,
        batch: u32,
        writer: u32,
        log: &[Arc<LogBatch>],
    ) -> Occurrence {
        let (mut prior, mut first_batch) = (0, NONE);
        let acks = &self.ack_partitions;
        Self::slots(&mut self.recs, producer).update_one(index, |r| {
            prior = r.note_copy(acks, partition);
            if prior == 0 {
                r.first_batch = batch;
            }
            first_batch = r.first_batch;
            true
        });
        if prior == 0 {
            return Occurrence { prior, first_for_walk: true };
        }
        // Only copies get here: the first one's writer, when it stands in this partition (the
        // walk reads one final log per partition, so its batch is in `log`).
        let (first_partition, at) = self.walked[first_batch as usize];
        if first_partition == partition && log.get(at as usize).is_some_and(|b| b.instance == writer) {
            return Occurrence { prior, first_for_walk: false };
        }
        let fresh = self.walk_seen.insert((producer, index, writer, partition));
        Occurrence { prior, first_for_walk: fresh }
    }

    /// The log walk's fast path for the usual record. From `from`, the records of a batch of
    /// `producer` written by `writer`, in the batch `batch` of `partition`, are noted as
    /// [`Table::occur`] notes a first copy while each is one (no copy stood before it), was sent
    /// by `writer` or by no one, and `keep` (given the record, its send sequence number, `None`
    /// if never sent, and its position) agrees, for the order check. Returns where it stopped:
    /// that record is left untouched, for the per-record path.
    ///
    /// A run of consecutive records in one run of slots is judged as a whole: its records share
    /// their copy count and sender, and their send sequence numbers step by one as their positions
    /// do, so `keep` is asked about its first and last record only (the order check keeps the
    /// latest record it was given).
    #[inline]
    pub fn first_copies(
        &mut self,
        (producer, writer): (u32, u32),
        records: &RecordList,
        from: usize,
        (partition, batch): (u32, u32),
        mut keep: impl FnMut(u32, Option<u32>, usize) -> bool,
    ) -> usize {
        let Some(v) = self.recs.get_mut(producer as usize) else { return from };
        let acks = &self.ack_partitions;
        // Notes the `n` records from `index`, at position `at`, if they are usual.
        let mut note = |index: u32, n: u32, r: &mut Rec, at: usize| {
            if r.count != 0 {
                return false;
            }
            let seq = match r.send_instance {
                NONE => None,
                k if k == writer => Some(r.send_seq),
                _ => return false,
            };
            if !keep(index, seq, at) {
                return false;
            }
            if n > 1 {
                keep(index + (n - 1), seq.map(|s| s.wrapping_add(n - 1)), at + (n - 1) as usize);
            }
            r.note_copy(acks, partition);
            r.first_batch = batch;
            true
        };
        let mut pos = from;
        if let Some(flat) = v.flat_mut() {
            // One slot per record: the plain loop (the index grows for the others on the
            // per-record path).
            while let Some(index) = records.get(pos) {
                let Some(r) = flat.get_mut(index as usize) else { break };
                if !note(index, 1, r, pos) {
                    break;
                }
                pos += 1;
            }
            return pos;
        }
        // Stretch by stretch of consecutive records (the whole rest of the usual batch; a batch
        // that took the end of one run of fresh records and the start of the next has two).
        while let Some(first) = records.get(pos) {
            let n = records.stretch_at(pos);
            // Only records the index holds: the per-record path grows it for the others.
            let held = (n as u64).min((v.len() as u64).saturating_sub(u64::from(first))) as u32;
            // Runs come in order, so each starts at `pos`.
            let all = v.update(first, held, |index, k, r| {
                let ok = note(index, k, r, pos);
                pos += if ok { k as usize } else { 0 };
                ok
            });
            if !all || held == 0 || (held as usize) < n {
                break;
            }
        }
        pos
    }
}

/// `NAME#I`, or `PROC(NAME#I)` for a processor's output, tolerating a producer index the
/// history does not name.
pub(crate) fn record_name(history: &History, producer: u32, index: u32) -> String {
    match history.producers.get(producer as usize) {
        Some(_) if history.is_output(producer) => history.record_name(RecordId { producer, index }),
        Some(name) => {
            // Written, not `format!`ed: a duplicate's story names its record, and a run may
            // tell thousands.
            let mut s = String::with_capacity(name.len() + 11);
            s.push_str(name);
            s.push('#');
            super::text::push_num(&mut s, index);
            s
        }
        None => format!("producer{producer}#{index}"),
    }
}

/// A producer instance: `p1/0`; for a processor's pseudo-producer, whose instance numbers are
/// `(K << 16) | N`, `s1/K.N` (the N-th producer member K created).
pub(crate) fn producer_instance(history: &History, producer: u32, instance: u32) -> String {
    let name = history.producers.get(producer as usize).cloned().unwrap_or_else(|| format!("producer{producer}"));
    // A service's output table is a scenario producer: its instances are plain.
    if history.is_output(producer) && producer as usize >= history.record_base.len() {
        format!("{name}/{}.{}", instance >> 16, instance & 0xffff)
    } else {
        format!("{name}/{instance}")
    }
}

/// `topic/partition`, tolerating an index the history does not have.
pub(crate) fn partition_name(history: &History, partition: u32) -> String {
    let mut s = String::new();
    super::text::push_partition(&mut s, history, partition);
    s
}

/// Where `index` stands in a list of records: its distance from the first record when the list
/// runs in order that far, else found by a search.
fn position(records: &[u32], index: u32) -> Option<usize> {
    let guess = index.wrapping_sub(*records.first()?) as usize;
    if records.get(guess) == Some(&index) {
        return Some(guess);
    }
    records.iter().position(|&r| r == index)
}

/// The batch of `log` holding `offset`, if any.
pub(crate) fn batch_at(log: &[Arc<LogBatch>], offset: u64) -> Option<&LogBatch> {
    let at = log.partition_point(|b| b.next_offset() <= offset);
    let b = log.get(at)?;
    (b.base_offset <= offset && offset < b.next_offset()).then_some(&**b)
}

/// The record (producer, index) at `offset` of `log`, with its batch (none at an offset an
/// internal record occupies).
pub(crate) fn record_at(log: &[Arc<LogBatch>], offset: u64) -> Option<(&LogBatch, u32, u32)> {
    let b = batch_at(log, offset)?;
    let index = b.records.get((offset - b.base_offset) as usize)?;
    Some((b, b.producer, index))
}

/// The final replica that is the partition's final log, if the partition is online.
pub(crate) fn final_log(history: &History, partition: u32) -> Option<&FinalReplica> {
    history.partitions.get(partition as usize)?.leader_replica()
}

/// The offset an `Acked` event gives the record `index` (base offset plus its position), if the
/// broker returned one.
pub(crate) fn acked_offset(ev: &Event, index: u32) -> Option<u64> {
    let EventKind::Acked { records, offset, .. } = &ev.kind else { return None };
    let base = u64::try_from(*offset).ok()?;
    let pos = records.iter().position(|r| r == index)?;
    Some(base + pos as u64)
}

/// A fault action as a past-tense verb phrase.
pub(crate) fn fault_verb(action: FaultAction) -> &'static str {
    match action {
        FaultAction::Crash => "crashed",
        FaultAction::PowerLoss => "lost power",
        FaultAction::Isolate => "was isolated",
        FaultAction::Pause => "was paused",
        FaultAction::Partition => "was partitioned",
    }
}

/// How many story phrases one explanation tells before summarising the rest.
const STORY_CAP: usize = 8;

/// Phrases for what happened after event `after` that bears on a record acknowledged by `broker`
/// on `partition`: faults and recoveries of that broker and leader changes of that partition, in
/// time order. `known` is the (leader, epoch) the ack reported, so a change is told only when the
/// leadership really moved.
pub(crate) fn story_after(
    history: &History,
    story: &[u32],
    after: u32,
    broker: u32,
    partition: u32,
    known: (Option<u32>, u32),
    out: &mut Vec<String>,
) {
    out.extend(partition_in_force(history, story, after, broker));
    let (steps, untold) = story_steps(history, story, after, broker, partition, known);
    out.extend(steps.into_iter().map(|(_, s)| s));
    if untold > 0 {
        out.push(format!("{untold} more faults and leader changes followed"));
    }
}

/// The phrases of [`story_after`], each with the index of its event (at most [`STORY_CAP`]), and
/// how many more there were.
pub(crate) fn story_steps(
    history: &History,
    story: &[u32],
    after: u32,
    broker: u32,
    partition: u32,
    known: (Option<u32>, u32),
) -> (Vec<(u32, String)>, usize) {
    let mut out = Vec::new();
    let start = story.partition_point(|&i| i <= after);
    let mut prev = known;
    let mut told = 0usize;
    let mut untold = 0usize;
    for &i in &story[start..] {
        let ev = &history.events[i as usize];
        let phrase = match &ev.kind {
            EventKind::Fault { target, .. } if cut_off(target, broker).is_some() => {
                cut_off(target, broker).map(|(mine, other)| format!("{} at {} ms", cut_phrase(mine, other), ev.at))
            }
            EventKind::Healed { end: Heal::Partition, target, .. } if cut_off(target, broker).is_some() => {
                Some(format!("the partition of broker {broker} healed at {} ms", ev.at))
            }
            EventKind::Fault { action, broker: Some(b), .. } if *b == broker => {
                Some(format!("broker {b} {} at {} ms", fault_verb(*action), ev.at))
            }
            EventKind::Healed { broker: Some(b), .. } if *b == broker => {
                Some(format!("broker {b} came back at {} ms", ev.at))
            }
            EventKind::LeaderChange { partition: p, leader, leader_epoch, unclean, .. } if *p == partition => {
                if (*leader, *leader_epoch) == prev {
                    None
                } else {
                    prev = (*leader, *leader_epoch);
                    Some(leader_phrase(history, partition, *leader, *leader_epoch, *unclean, ev.at))
                }
            }
            _ => None,
        };
        if let Some(s) = phrase {
            if told < STORY_CAP {
                out.push((i, s));
                told += 1;
            } else {
                untold += 1;
            }
        }
    }
    (out, untold)
}

/// The sides of partition `t` as (the side holding `broker`, the other side), if either does.
fn cut_off(t: &FaultTarget, broker: u32) -> Option<(&[FaultNode], &[FaultNode])> {
    let FaultTarget::Partition { a, b } = t else { return None };
    let holds = |side: &[FaultNode]| side.iter().any(|n| n.broker() == Some(broker));
    if holds(a) {
        Some((a, b))
    } else if holds(b) {
        Some((b, a))
    } else {
        None
    }
}

/// "a partition cut [broker:1] off from [controller, broker:2]".
fn cut_phrase(mine: &[FaultNode], other: &[FaultNode]) -> String {
    let side = |s: &[FaultNode]| s.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
    format!("a partition cut [{}] off from [{}]", side(mine), side(other))
}

/// The phrase for a partition that cut `broker` off before event `after` and had not healed by
/// then (the latest, if several), or `None`.
fn partition_in_force(history: &History, story: &[u32], after: u32, broker: u32) -> Option<String> {
    let end = story.partition_point(|&i| i <= after);
    let mut in_force: Vec<(&FaultTarget, u64)> = Vec::new();
    for &i in &story[..end] {
        let ev = &history.events[i as usize];
        match &ev.kind {
            EventKind::Fault { target, .. } if cut_off(target, broker).is_some() => in_force.push((target, ev.at)),
            EventKind::Healed { end: Heal::Partition, target, .. } => in_force.retain(|(t, _)| *t != target),
            _ => {}
        }
    }
    let (target, at) = in_force.last()?;
    let (mine, other) = cut_off(target, broker)?;
    Some(format!("{} at {at} ms", cut_phrase(mine, other)))
}

/// One leader change as a phrase.
pub(crate) fn leader_phrase(
    history: &History,
    partition: u32,
    leader: Option<u32>,
    epoch: u32,
    unclean: bool,
    at: u64,
) -> String {
    match leader {
        Some(l) if unclean => format!("an unclean election made broker {l} leader at epoch {epoch} ({at} ms)"),
        Some(l) => format!("broker {l} became leader at epoch {epoch} ({at} ms)"),
        None => format!("{} went offline (no leader) at epoch {epoch} ({at} ms)", partition_name(history, partition)),
    }
}

/// Phrases naming the replicas of `partition` other than the final log's that hold the record at
/// `offset` (a copy that did not survive into the final log, or one stranded on a dead broker).
pub(crate) fn stranded_copies(
    history: &History,
    partition: u32,
    offset: u64,
    producer: u32,
    index: u32,
    out: &mut Vec<String>,
) {
    let Some(part) = history.partitions.get(partition as usize) else { return };
    for r in &part.replicas {
        if Some(r.broker) == part.leader {
            continue;
        }
        if let Some((_, p, i)) = record_at(&r.log, offset) {
            if (p, i) == (producer, index) {
                let mut s = format!("broker {}'s replica still holds it at offset {offset} (", r.broker);
                s.push_str(if r.alive { "alive" } else { "down" });
                if !part.isr.contains(&r.broker) {
                    s.push_str(", not in the ISR");
                }
                s.push(')');
                out.push(s);
            }
        }
    }
}

/// What the final log holds at `offset`, as a phrase.
pub(crate) fn holds_phrase(history: &History, log: &FinalReplica, offset: u64) -> String {
    match record_at(&log.log, offset) {
        Some((b, p, i)) => format!(
            "offset {offset} now holds {} (instance {}, epoch {})",
            record_name(history, p, i),
            b.instance,
            b.leader_epoch
        ),
        None if log.leo <= offset => format!("the final log ends before offset {offset} (log end offset {})", log.leo),
        None => format!("the final log has no record at offset {offset}"),
    }
}

/// "a, b and c".
pub(crate) fn join_and(parts: &[String]) -> String {
    let mut s = String::new();
    for (i, p) in parts.iter().enumerate() {
        super::text::push_and(&mut s, i, parts.len());
        s.push_str(p);
    }
    s
}
