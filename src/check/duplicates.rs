//! `duplicated`: one record at two or more offsets of the final logs. A record counts once however
//! many copies stand; copies in two partitions of the topic count too (a consumer of the topic
//! reads it twice).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::index::{acked_offset, batch_at, final_log, record_name, Occurrence, Table, TRACKED_DUPLICATE};
use super::text::{push_and, push_num, push_partition};
use super::{Finding, FINDINGS_CAP};
use crate::record::{Anomaly, EventKind, History};
use crate::scenario::Scenario;

/// A duplicated record kept for a finding, with every place it stands.
#[derive(Debug)]
struct Tracked {
    producer: u32,
    index: u32,
    /// (partition, offset) of each copy after the first, in log-walk order. `findings` puts the
    /// first before them (the index keeps only its batch, `Table::first_copy`).
    copies: Vec<(u32, u64)>,
}

/// The duplicate family's running state during the log walk.
#[derive(Debug, Default)]
pub(crate) struct Duplicates {
    /// Distinct duplicated records.
    pub count: u64,
    tracked: Vec<Tracked>,
}

impl Duplicates {
    /// Notes one occurrence of a record in a final log. Only a second or later copy concerns
    /// this family: the test is inlined into the log walk, the rest is not.
    #[inline]
    pub fn observe(&mut self, t: &mut Table, producer: u32, index: u32, occ: Occurrence, partition: u32, offset: u64) {
        if occ.prior > 0 {
            self.observe_copy(t, producer, index, occ, partition, offset);
        }
    }

    /// `observe` for a copy after the first.
    #[inline(never)]
    fn observe_copy(&mut self, t: &mut Table, producer: u32, index: u32, occ: Occurrence, partition: u32, offset: u64) {
        if occ.prior == 1 {
            self.count += 1;
            if self.tracked.len() < FINDINGS_CAP {
                t.set_flag(producer, index, TRACKED_DUPLICATE);
                self.tracked.push(Tracked { producer, index, copies: vec![(partition, offset)] });
            }
        } else if t.rec(producer, index).is_some_and(|r| r.has(TRACKED_DUPLICATE)) {
            if let Some(tr) = self.tracked.iter_mut().find(|tr| (tr.producer, tr.index) == (producer, index)) {
                tr.copies.push((partition, offset));
            }
        }
    }

    /// One finding per tracked duplicate: where the copies stand, what each instance that sent it
    /// saw, and the likely cause.
    pub fn findings(&self, scenario: &Scenario, history: &History, t: &Table) -> Vec<Finding> {
        if self.tracked.is_empty() {
            return Vec::new();
        }
        let slot: BTreeMap<(u32, u32), usize> =
            self.tracked.iter().enumerate().map(|(s, tr)| ((tr.producer, tr.index), s)).collect();
        // (story, history event) for each event that handled a tracked record: one list for
        // every story, sorted into one run per story below.
        let mut hits: Vec<(u32, u32)> = Vec::new();
        for (ei, ev) in history.events.iter().enumerate() {
            let (producer, records) = match &ev.kind {
                EventKind::Sent { producer, records, .. }
                | EventKind::Acked { producer, records, .. }
                | EventKind::Failed { producer, records, .. } => (*producer, records),
                _ => continue,
            };
            // A batch of consecutive records: the tracked records in its range (a lookup per
            // event, not per record).
            if let Some(first) = records.first_of_run() {
                let end = u64::from(first) + records.len() as u64;
                for (_, &s) in
                    slot.range((producer, first)..).take_while(|(&(p, i), _)| p == producer && u64::from(i) < end)
                {
                    hits.push((s as u32, ei as u32));
                }
                continue;
            }
            for idx in records.iter() {
                if t.rec(producer, idx).is_some_and(|r| r.has(TRACKED_DUPLICATE)) {
                    if let Some(&s) = slot.get(&(producer, idx)) {
                        hits.push((s as u32, ei as u32));
                    }
                }
            }
        }
        // One set of lists for every story, cleared between them: a run tells up to
        // `FINDINGS_CAP` stories, a proptest case a dozen.
        let mut scratch = Scratch::default();
        // Each story's events stay in history order (pushed in that order, sorted by story).
        hits.sort_unstable();
        let events: Vec<u32> = hits.iter().map(|&(_, ei)| ei).collect();
        let mut at = 0;
        self.tracked
            .iter()
            .enumerate()
            .map(|(story, tr)| {
                let end = at + hits[at..].iter().take_while(|&&(s, _)| s as usize == story).count();
                let evs = &events[at..end];
                at = end;
                scratch.copies.clear();
                scratch.copies.extend(t.first_copy(history, tr.producer, tr.index));
                scratch.copies.extend_from_slice(&tr.copies);
                explain(scenario, history, tr, evs, &mut scratch)
            })
            .collect()
    }
}

/// The lists a story is worked out in, kept across stories.
#[derive(Default)]
struct Scratch {
    /// Every copy of the record (its first, then `Tracked::copies`).
    copies: Vec<(u32, u64)>,
    /// Instances whose batches hold a copy.
    writers: Vec<u32>,
    /// Instances that handled the record, in the order they first appear.
    instances: Vec<u32>,
    /// The acknowledged offsets the only writer saw.
    writer_acks: Vec<u64>,
}

/// The story of the duplicated record `tr`, whose copies are `scratch.copies` and whose
/// history events are `evs`.
fn explain(scenario: &Scenario, history: &History, tr: &Tracked, evs: &[u32], scratch: &mut Scratch) -> Finding {
    let Scratch { copies, writers, instances, writer_acks } = scratch;
    writers.clear();
    instances.clear();
    writer_acks.clear();
    let name = record_name(history, tr.producer, tr.index);
    // Room for a whole story up front (about 500 characters), written straight into it: no
    // `String` per copy, per instance or per name, and numbers without `write!`.
    let mut s = String::with_capacity(1024);
    s.push_str(&name);
    s.push_str(" stands at ");
    let one_partition = copies.iter().all(|c| c.0 == copies[0].0);
    if one_partition {
        push_partition(&mut s, history, copies[0].0);
        s.push_str(" offsets ");
    }
    for (i, &(part, off)) in copies.iter().enumerate() {
        push_and(&mut s, i, copies.len());
        if !one_partition {
            push_partition(&mut s, history, part);
            s.push_str(" offset ");
        }
        push_num(&mut s, off);
        if let Some(b) = final_log(history, part).and_then(|l| batch_at(&l.log, off)) {
            s.push_str(" (instance ");
            push_num(&mut s, b.instance);
            s.push_str(", epoch ");
            push_num(&mut s, b.leader_epoch);
            s.push(')');
            if !writers.contains(&b.instance) {
                writers.push(b.instance);
            }
        }
    }

    // What each instance that handled it observed, in event order: one sentence per instance,
    // instances in the order they first appear (a run with many retries tells dozens of events
    // per duplicate).
    let instance_of = |ei: u32| match &history.events[ei as usize].kind {
        EventKind::Sent { instance, .. } | EventKind::Acked { instance, .. } | EventKind::Failed { instance, .. } => {
            Some(*instance)
        }
        _ => None,
    };
    for &ei in evs {
        if let Some(k) = instance_of(ei) {
            if !instances.contains(&k) {
                instances.push(k);
            }
        }
    }
    // The acknowledged offsets the only writer saw, for the likely cause.
    let sole_writer = if writers.len() == 1 { Some(writers[0]) } else { None };
    for &k in instances.iter() {
        s.push_str("; instance ");
        push_num(&mut s, k);
        s.push(' ');
        let mut first = true;
        for &ei in evs {
            if instance_of(ei) != Some(k) {
                continue;
            }
            if !first {
                s.push_str(", then ");
            }
            first = false;
            let ev = &history.events[ei as usize];
            match &ev.kind {
                EventKind::Acked { partition, broker, leader_epoch, .. } => {
                    let o = acked_offset(ev, tr.index);
                    s.push_str("saw it acked ");
                    match o {
                        Some(o) => {
                            if sole_writer == Some(k) {
                                writer_acks.push(o);
                            }
                            s.push_str("at ");
                            push_partition(&mut s, history, *partition);
                            s.push_str(" offset ");
                            push_num(&mut s, o);
                        }
                        None => s.push_str("with acks=0 (no response)"),
                    }
                    s.push_str(" by broker ");
                    push_num(&mut s, *broker);
                    s.push_str(" (epoch ");
                    push_num(&mut s, *leader_epoch);
                    s.push_str(") at ");
                    push_num(&mut s, ev.at);
                    s.push_str(" ms");
                }
                EventKind::Failed { error, maybe_written, .. } => {
                    let _ = write!(s, "got {error} at ");
                    push_num(&mut s, ev.at);
                    s.push_str(if *maybe_written { " ms (maybe written)" } else { " ms (not written)" });
                }
                _ => {
                    s.push_str("sent it at ");
                    push_num(&mut s, ev.at);
                    s.push_str(" ms");
                }
            }
        }
    }

    let idempotent = scenario.producers.get(tr.producer as usize).is_some_and(|p| p.config.enable_idempotence);
    s.push_str("; ");
    if writers.len() >= 2 {
        s.push_str("likely cause: instances ");
        for (i, &w) in writers.iter().enumerate() {
            push_and(&mut s, i, writers.len());
            push_num(&mut s, w);
        }
        s.push_str(
            " each wrote a copy, because a restarted producer resends what it never saw \
             acknowledged and a new instance's writes are not deduplicated against the old one's",
        );
    } else if let Some(w) = sole_writer {
        if idempotent {
            s.push_str("instance ");
            push_num(&mut s, w);
            s.push_str(" wrote every copy despite enable.idempotence=true");
        } else {
            s.push_str("likely cause: instance ");
            push_num(&mut s, w);
            s.push_str(
                " retried a batch whose earlier attempt had already been written, and \
                 without idempotence the broker cannot tell",
            );
        }
        match writer_acks.len() {
            0 => {}
            1 => {
                s.push_str(" (it saw one acknowledgement, for offset ");
                push_num(&mut s, writer_acks[0]);
                s.push(')');
            }
            n => {
                s.push_str(" (it saw acknowledgements for offsets ");
                for (i, &o) in writer_acks.iter().enumerate() {
                    push_and(&mut s, i, n);
                    push_num(&mut s, o);
                }
                s.push(')');
            }
        }
    } else {
        s.push_str("the copies' batches could not be read back");
    }
    Finding { anomaly: Anomaly::Duplicated, subject: name, explanation: s }
}
