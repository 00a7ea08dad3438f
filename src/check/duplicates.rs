//! `duplicated`: one record at two or more offsets of the final logs. A record counts once however
//! many copies stand; copies in two partitions of the topic count too (a consumer of the topic
//! reads it twice).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::index::{
    acked_offset, batch_at, final_log, join_and, partition_name, record_name, Occurrence, Table, TRACKED_DUPLICATE,
};
use super::{Finding, FINDINGS_CAP};
use crate::record::{Anomaly, EventKind, History};
use crate::scenario::Scenario;

/// A duplicated record kept for a finding, with every place it stands.
#[derive(Debug)]
struct Tracked {
    producer: u32,
    index: u32,
    /// (partition, offset) of each copy, in log-walk order. The first is filled in by `findings`
    /// (the index keeps only its batch, `Table::first_copy`).
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
                t.rec_mut(producer, index).flags |= TRACKED_DUPLICATE;
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
        let mut events: Vec<Vec<u32>> = vec![Vec::new(); self.tracked.len()];
        for (ei, ev) in history.events.iter().enumerate() {
            let (producer, records) = match &ev.kind {
                EventKind::Sent { producer, records, .. }
                | EventKind::Acked { producer, records, .. }
                | EventKind::Failed { producer, records, .. } => (*producer, records),
                _ => continue,
            };
            for &idx in records.iter() {
                if t.rec(producer, idx).is_some_and(|r| r.has(TRACKED_DUPLICATE)) {
                    if let Some(&s) = slot.get(&(producer, idx)) {
                        events[s].push(ei as u32);
                    }
                }
            }
        }
        self.tracked
            .iter()
            .zip(&events)
            .map(|(tr, evs)| {
                let mut copies = Vec::with_capacity(tr.copies.len() + 1);
                copies.extend(t.first_copy(history, tr.producer, tr.index));
                copies.extend_from_slice(&tr.copies);
                explain(scenario, history, &Tracked { copies, ..*tr }, evs)
            })
            .collect()
    }
}

fn explain(scenario: &Scenario, history: &History, tr: &Tracked, evs: &[u32]) -> Finding {
    let name = record_name(history, tr.producer, tr.index);
    // Room for a whole story up front (about 500 characters): grown piece by piece, it was
    // reallocated a dozen times.
    let mut s = String::with_capacity(1024);
    let _ = write!(s, "{name} stands at ");
    let one_partition = tr.copies.iter().all(|c| c.0 == tr.copies[0].0);
    let mut writers: Vec<u32> = Vec::new();
    let mut copies = Vec::with_capacity(tr.copies.len());
    for &(part, off) in &tr.copies {
        let batch = final_log(history, part).and_then(|l| batch_at(&l.log, off));
        let mut c =
            if one_partition { format!("{off}") } else { format!("{} offset {off}", partition_name(history, part)) };
        if let Some(b) = batch {
            let _ = write!(c, " (instance {}, epoch {})", b.instance, b.leader_epoch);
            if !writers.contains(&b.instance) {
                writers.push(b.instance);
            }
        }
        copies.push(c);
    }
    if one_partition {
        let _ = write!(s, "{} offsets ", partition_name(history, tr.copies[0].0));
    }
    s.push_str(&join_and(&copies));

    // What each instance that handled it observed, in event order, written straight into that
    // instance's sentence (a run with many retries tells dozens of events per duplicate).
    let mut per_instance: Vec<(u32, String)> = Vec::new();
    let mut acks_seen: Vec<(u32, Option<u64>)> = Vec::new();
    for &ei in evs {
        let ev = &history.events[ei as usize];
        let instance = match &ev.kind {
            EventKind::Sent { instance, .. }
            | EventKind::Acked { instance, .. }
            | EventKind::Failed { instance, .. } => *instance,
            _ => continue,
        };
        let text = match per_instance.iter().position(|(k, _)| *k == instance) {
            Some(i) => {
                let text = &mut per_instance[i].1;
                text.push_str(", then ");
                text
            }
            None => {
                let mut text = String::with_capacity(256);
                let _ = write!(text, "instance {instance} ");
                per_instance.push((instance, text));
                &mut per_instance.last_mut().expect("just pushed").1
            }
        };
        let _ = match &ev.kind {
            EventKind::Acked { partition, broker, leader_epoch, .. } => {
                let o = acked_offset(ev, tr.index);
                acks_seen.push((instance, o));
                text.push_str("saw it acked ");
                match o {
                    Some(o) => {
                        let _ = write!(text, "at {} offset {o}", partition_name(history, *partition));
                    }
                    None => text.push_str("with acks=0 (no response)"),
                }
                write!(text, " by broker {broker} (epoch {leader_epoch}) at {} ms", ev.at)
            }
            EventKind::Failed { error, maybe_written, .. } => {
                let how = if *maybe_written { "maybe written" } else { "not written" };
                write!(text, "got {error} at {} ms ({how})", ev.at)
            }
            _ => write!(text, "sent it at {} ms", ev.at),
        };
    }
    for (_, text) in &per_instance {
        s.push_str("; ");
        s.push_str(text);
    }

    let idempotent = scenario.producers.get(tr.producer as usize).is_some_and(|p| p.config.enable_idempotence);
    s.push_str("; ");
    if writers.len() >= 2 {
        let names: Vec<String> = writers.iter().map(|w| w.to_string()).collect();
        let _ = write!(
            s,
            "likely cause: instances {} each wrote a copy, because a restarted producer resends what it never saw \
             acknowledged and a new instance's writes are not deduplicated against the old one's",
            join_and(&names)
        );
    } else if let Some(&w) = writers.first() {
        let acks: Vec<String> =
            acks_seen.iter().filter(|(k, _)| *k == w).filter_map(|(_, o)| o.map(|o| o.to_string())).collect();
        let seen = match acks.len() {
            0 => String::new(),
            1 => format!(" (it saw one acknowledgement, for offset {})", acks[0]),
            _ => format!(" (it saw acknowledgements for offsets {})", join_and(&acks)),
        };
        if idempotent {
            let _ = write!(s, "instance {w} wrote every copy despite enable.idempotence=true{seen}");
        } else {
            let _ = write!(
                s,
                "likely cause: instance {w} retried a batch whose earlier attempt had already been written, and \
                 without idempotence the broker cannot tell{seen}"
            );
        }
    } else {
        s.push_str("the copies' batches could not be read back");
    }
    Finding { anomaly: Anomaly::Duplicated, subject: name, explanation: s }
}
