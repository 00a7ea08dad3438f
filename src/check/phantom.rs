//! `phantom_read`: a consumer was given (polled) a record at an offset that the final log of an
//! online partition no longer holds, or holds with another record. Counted once per record,
//! however many consumers read it. Each delivery is looked up with a per-partition cursor into the
//! final log, so reading a log in offset order costs O(1) per record.

use std::sync::Arc;

use super::consumers::{instance_name, Consumers, PHANTOM};
use super::index::{holds_phrase, partition_name, record_name, story_after, Table};
use super::{Finding, FINDINGS_CAP};
use crate::record::{Anomaly, Deliveries, Delivery, EventKind, FinalReplica, History, LogBatch};

/// One phantom read kept for a finding.
#[derive(Debug, Clone, Copy)]
struct Hit {
    event: u32,
    consumer: u32,
    instance: u32,
    delivery: Delivery,
}

/// The phantom family's running state during the event pass.
#[derive(Debug)]
pub(crate) struct Phantom<'a> {
    /// Distinct records read where the final log does not hold them.
    pub count: u64,
    /// Per partition: its final log (`None` when offline or internal).
    logs: Vec<Option<&'a FinalReplica>>,
    /// Per partition: index of the batch of the last lookup.
    cursors: Vec<usize>,
    hits: Vec<Hit>,
}

impl<'a> Phantom<'a> {
    pub fn new(history: &'a History) -> Self {
        let logs: Vec<Option<&FinalReplica>> =
            history.partitions.iter().map(|p| if p.is_internal() { None } else { p.leader_replica() }).collect();
        let cursors = vec![0; logs.len()];
        Phantom { count: 0, logs, cursors, hits: Vec::new() }
    }

    /// Notes a `Polled` event.
    pub fn observe(&mut self, c: &mut Consumers, event: u32, consumer: u32, instance: u32, records: &Deliveries) {
        for run in records.runs() {
            let x = run.partition as usize;
            let Some(Some(log)) = self.logs.get(x).copied() else { continue };
            let mut k = 0;
            while k < run.count {
                let d = run.get(k);
                // How many records from `d` on stand where they were read: the rest of the
                // batch at `d`'s offset, in one step, when it holds them as a run.
                let held = match lookup(&log.log, &mut self.cursors[x], d.offset) {
                    Some((b, pos)) if b.producer == d.record.producer => match b.records.first_of_run() {
                        Some(first) if first.checked_add(pos as u32) == Some(d.record.index) => {
                            ((b.records.len() - pos) as u32).min(run.count - k)
                        }
                        _ => u32::from(b.records.get(pos) == Some(d.record.index)),
                    },
                    _ => 0,
                };
                if held > 0 {
                    k += held;
                    continue;
                }
                self.read(c, event, consumer, instance, d);
                k += 1;
            }
        }
    }

    /// A read of `d`, which the final log does not hold where it was read.
    fn read(&mut self, c: &mut Consumers, event: u32, consumer: u32, instance: u32, d: Delivery) {
        let flags = c.flags.get_mut(d.record);
        if *flags & PHANTOM != 0 {
            return;
        }
        *flags |= PHANTOM;
        self.count += 1;
        if self.hits.len() < FINDINGS_CAP {
            self.hits.push(Hit { event, consumer, instance, delivery: d });
        }
    }

    /// One finding per kept read.
    pub fn findings(&self, history: &History, t: &Table) -> Vec<Finding> {
        self.hits.iter().map(|h| explain(history, t, h, self.logs[h.delivery.partition as usize])).collect()
    }
}

/// The batch of `log` holding `offset` and the offset's position in it, trying the cursor's
/// batch and the next one before searching.
fn lookup<'l>(log: &'l [Arc<LogBatch>], cursor: &mut usize, offset: u64) -> Option<(&'l LogBatch, usize)> {
    let fits = |i: usize| log.get(i).is_some_and(|b| b.base_offset <= offset && offset < b.next_offset());
    let i = if fits(*cursor) {
        *cursor
    } else if fits(*cursor + 1) {
        *cursor + 1
    } else {
        let at = log.partition_point(|b| b.next_offset() <= offset);
        if !fits(at) {
            return None;
        }
        at
    };
    *cursor = i;
    let b = &log[i];
    Some((b, (offset - b.base_offset) as usize))
}

/// Who read it where and when, what happened to the partition's leader since, and what the final
/// log holds there now.
fn explain(history: &History, t: &Table, h: &Hit, log: Option<&FinalReplica>) -> Finding {
    let d = h.delivery;
    let name = record_name(history, d.record.producer, d.record.index);
    let pname = partition_name(history, d.partition);
    let at = history.events[h.event as usize].at;
    let who = instance_name(history, h.consumer, h.instance);
    // The leadership as metadata last announced it before the read.
    let before = t.story.partition_point(|&i| i < h.event);
    let known = t.story[..before].iter().rev().find_map(|&i| match &history.events[i as usize].kind {
        EventKind::LeaderChange { partition, leader, leader_epoch, .. } if *partition == d.partition => {
            Some((*leader, *leader_epoch))
        }
        _ => None,
    });
    let mut head = format!("{name} read by {who} at {pname} offset {} at {at} ms", d.offset);
    if let Some((Some(l), e)) = known {
        head.push_str(&format!(" (leader broker {l}, epoch {e})"));
    }
    let mut parts = vec![head];
    let (broker, known) = match known {
        Some((Some(l), e)) => (l, (Some(l), e)),
        Some((None, e)) => (u32::MAX, (None, e)),
        None => (u32::MAX, (None, u32::MAX)),
    };
    story_after(history, &t.story, h.event, broker, d.partition, known, &mut parts);
    if let Some(log) = log {
        parts.push(holds_phrase(history, log, d.offset));
    }
    match t.first_copy(history, d.record.producer, d.record.index) {
        Some((x, at)) if (x, at) != (d.partition, d.offset) => {
            parts.push(format!("it stands at {} offset {at} instead", partition_name(history, x)))
        }
        Some(_) => {}
        None => parts.push("no final log holds it".to_string()),
    }
    Finding { anomaly: Anomaly::PhantomRead, subject: name, explanation: parts.join("; ") }
}
