//! `reordered`: for one producer instance and one partition, a record that stands in the final log
//! after a record that instance sent later. Only the first copy of a record written by that
//! instance in that partition is judged; records of different instances are never compared.

use super::index::{acked_offset, partition_name, record_name, Table, REORDERED};
use super::{Finding, FINDINGS_CAP};
use crate::record::{Anomaly, EventKind, History};
use crate::scenario::Scenario;

/// The latest-sent record seen so far in one (instance, partition) walk.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Latest {
    /// Partition of the walk it belongs to (stale entries of earlier partitions are ignored).
    partition: u32,
    seq: u32,
    index: u32,
    offset: u64,
}

/// One reordered record and the later-sent record standing before it.
#[derive(Debug, Clone, Copy)]
struct Hit {
    producer: u32,
    instance: u32,
    partition: u32,
    index: u32,
    offset: u64,
    later_index: u32,
    later_offset: u64,
}

/// The reordering family's running state during the log walk.
#[derive(Debug, Default)]
pub(crate) struct Order {
    /// Distinct reordered records.
    pub count: u64,
    /// `latest[producer][instance]`.
    latest: Vec<Vec<Option<Latest>>>,
    hits: Vec<Hit>,
}

impl Order {
    /// The latest-sent record of `instance`'s walks so far, taken out for the length of one
    /// batch (`observe` updates it; `put` gives it back).
    pub fn take(&mut self, producer: u32, instance: u32) -> Option<Latest> {
        self.latest.get_mut(producer as usize).and_then(|row| row.get_mut(instance as usize)).and_then(Option::take)
    }

    /// Gives back what `take` took.
    pub fn put(&mut self, producer: u32, instance: u32, latest: Option<Latest>) {
        if latest.is_none() {
            return;
        }
        let (p, k) = (producer as usize, instance as usize);
        if p >= self.latest.len() {
            self.latest.resize_with(p + 1, Vec::new);
        }
        let row = &mut self.latest[p];
        if k >= row.len() {
            row.resize(k + 1, None);
        }
        row[k] = latest;
    }

    /// `observe` for the walk's fast path ([`Table::first_copies`]): whether the first copy of a
    /// record at `offset`, with send sequence number `seq` in this walk's instance (`None`: never
    /// sent, so never judged), keeps the order. If it does it is noted as `observe` notes it; if
    /// not, nothing changes and `observe` judges it.
    #[inline]
    pub fn in_order(slot: &mut Option<Latest>, partition: u32, index: u32, seq: Option<u32>, offset: u64) -> bool {
        let Some(seq) = seq else { return true };
        if slot.is_some_and(|l| l.partition == partition && seq < l.seq) {
            return false;
        }
        *slot = Some(Latest { partition, seq, index, offset });
        true
    }

    /// Notes the first copy, in its (instance, partition) walk, of a record at `offset`;
    /// `slot` is what `take` gave for that instance.
    #[allow(clippy::too_many_arguments)]
    #[inline]
    pub fn observe(
        &mut self,
        slot: &mut Option<Latest>,
        t: &mut Table,
        producer: u32,
        instance: u32,
        index: u32,
        partition: u32,
        offset: u64,
    ) {
        let Some(seq) = t.send_seq(producer, index, instance) else { return };
        match slot {
            Some(l) if l.partition == partition && seq < l.seq => {
                if t.set_flag(producer, index, REORDERED) {
                    self.count += 1;
                    if self.hits.len() < FINDINGS_CAP {
                        self.hits.push(Hit {
                            producer,
                            instance,
                            partition,
                            index,
                            offset,
                            later_index: l.index,
                            later_offset: l.offset,
                        });
                    }
                }
            }
            // In order, or the first record of this walk: it is the latest sent so far.
            _ => *slot = Some(Latest { partition, seq, index, offset }),
        }
    }

    /// One finding per kept hit.
    pub fn findings(&self, scenario: &Scenario, history: &History, t: &Table) -> Vec<Finding> {
        self.hits.iter().map(|h| explain(scenario, history, t, h)).collect()
    }
}

fn explain(scenario: &Scenario, history: &History, t: &Table, h: &Hit) -> Finding {
    let name = record_name(history, h.producer, h.index);
    let later = record_name(history, h.producer, h.later_index);
    let mut parts = vec![format!(
        "{name} stands at {} offset {}, after {later} at offset {}, though instance {} sent {name} first",
        partition_name(history, h.partition),
        h.offset,
        h.later_offset,
        h.instance
    )];
    for (idx, n) in [(h.index, &name), (h.later_index, &later)] {
        let Some(r) = t.rec(h.producer, idx) else { continue };
        let Some(ev) = history.events.get(r.ack_event as usize) else { continue };
        if let (EventKind::Acked { broker, leader_epoch, .. }, Some(o)) = (&ev.kind, acked_offset(ev, idx)) {
            parts
                .push(format!("{n} was acked at offset {o} by broker {broker} (epoch {leader_epoch}) at {} ms", ev.at));
        }
    }
    if let Some(spec) = scenario.producers.get(h.producer as usize) {
        let c = &spec.config;
        parts.push(if c.enable_idempotence {
            "this should not happen with enable.idempotence=true".to_string()
        } else if c.max_in_flight > 1 && c.retries > 0 {
            format!(
                "likely cause: a batch was retried after a later batch had been appended \
                 (max.in.flight.requests.per.connection={} without idempotence)",
                c.max_in_flight
            )
        } else if c.retries == 0 {
            "this should not happen with retries=0".to_string()
        } else {
            format!("this should not happen with max.in.flight.requests.per.connection={}", c.max_in_flight)
        });
    }
    Finding { anomaly: Anomaly::Reordered, subject: name, explanation: parts.join("; ") }
}
