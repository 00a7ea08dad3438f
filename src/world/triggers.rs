//! `after = "..."` triggers: arming the scenario's faults on record and client events, and
//! recording every moment a trigger could name (for `kafkasim explore`).

use std::collections::{HashMap, HashSet};

use super::World;
use crate::fault::FaultStep;
use crate::scenario::{ClientEvent, ClientRef, RecordEvent, Trigger};

/// A moment of a run that a fault trigger can name, as
/// [`run_recording_points`](super::run_recording_points) records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TriggerPoint {
    /// The `after` trigger that names this moment (`p1#17 acked`, `c1 polled 3`): a record
    /// event's first occurrence, or the step at which a client's count of an event first
    /// reached N.
    pub trigger: Trigger,
    /// Virtual time (ms) at which it happened.
    pub at_ms: u64,
    /// The world step it happened in: one handled event, or one round of applying fired
    /// faults. A fault a trigger fires is applied at the end of the step, so every trigger of
    /// one step puts its fault at exactly the same place of the run.
    pub step: u64,
}

/// What the world notes when it records trigger points. The sets are only looked up, never
/// iterated, so their order cannot reach the trace.
#[derive(Debug, Default)]
pub(super) struct PointLog {
    pub points: Vec<TriggerPoint>,
    /// Record events already seen: (producer, index, event).
    seen: HashSet<(u32, u32, RecordEvent)>,
    /// The highest count already recorded per (client, event).
    counts: HashMap<(ClientRef, ClientEvent), u64>,
}

impl World<'_> {
    /// Whether trigger checks must run: a fault is armed, or points are being recorded.
    pub(super) fn watching(&self) -> bool {
        !self.faults.armed.is_empty() || self.points.is_some()
    }

    /// Whether some armed fault (or the point log) waits on a record's `committed` event.
    pub(super) fn watching_commits(&self) -> bool {
        self.points.is_some()
            || self
                .faults
                .armed
                .iter()
                .any(|&i| matches!(self.s.faults[i].trigger, Trigger::Record { event: RecordEvent::Committed, .. }))
    }

    pub(super) fn check_consumer_trigger(&mut self, consumer: usize, event: ClientEvent) {
        let count = self.work.member_counts[consumer].get(event);
        let client = match consumer.checked_sub(self.s.consumers.len()) {
            None => ClientRef::Consumer(consumer),
            Some(p) => ClientRef::Processor(p),
        };
        self.fire_client_trigger(client, event, count);
    }

    /// Fire every armed `CLIENT EVENT N` fault whose N the client's `count` of `event` reached.
    fn fire_client_trigger(&mut self, client: ClientRef, event: ClientEvent, count: u64) {
        if let Some(log) = self.points.as_mut() {
            let last = log.counts.entry((client, event)).or_insert(0);
            for n in *last + 1..=count {
                log.points.push(TriggerPoint {
                    trigger: Trigger::Client { client, event, n },
                    at_ms: self.k.now,
                    step: self.k.step,
                });
            }
            *last = (*last).max(count);
        }
        self.fire_armed(
            |t| matches!(*t, Trigger::Client { client: c, event: e, n } if c == client && e == event && count >= n),
        );
    }

    /// Move every armed fault whose trigger `hit` matches to the faults to apply at the end of
    /// this step.
    fn fire_armed(&mut self, hit: impl Fn(&Trigger) -> bool) {
        let s = self.s;
        // Asked for every record sent and acknowledged while a fault is armed: a scan that finds
        // no hit (nearly always) costs less than `retain`'s.
        if !self.faults.armed.iter().any(|&i| hit(&s.faults[i].trigger)) {
            return;
        }
        let now = self.k.now;
        let f = &mut self.faults;
        f.armed.retain(|&i| {
            let spec = &s.faults[i];
            if !hit(&spec.trigger) {
                return true;
            }
            f.fired_at[i] = Some(now);
            f.fire.push(FaultStep::from(spec));
            false
        });
    }

    pub(super) fn check_record_trigger(&mut self, producer: u32, index: u32, event: RecordEvent) {
        if let Some(log) = self.points.as_mut() {
            // Only the scenario's producers have records a trigger can name (a processor's
            // outputs are written under pseudo-producers numbered after them).
            if (producer as usize) < self.s.producers.len() && log.seen.insert((producer, index, event)) {
                let trigger = Trigger::Record { producer: producer as usize, index, event };
                log.points.push(TriggerPoint { trigger, at_ms: self.k.now, step: self.k.step });
            }
        }
        self.fire_armed(|t| {
            matches!(*t, Trigger::Record { producer: p, index: x, event: e } if p as u32 == producer && x == index && e == event)
        });
    }

    pub(super) fn check_client_trigger(&mut self, producer: u32) {
        let count = self.work.producers[producer as usize].acked_count;
        self.fire_client_trigger(ClientRef::Producer(producer as usize), ClientEvent::Acked, count);
    }

    pub(super) fn check_txn_trigger(&mut self, producer: u32, event: ClientEvent) {
        let app = &self.work.producers[producer as usize];
        let count = if event == ClientEvent::TxnAborted { app.txns_aborted } else { app.txns_committed };
        self.fire_client_trigger(ClientRef::Producer(producer as usize), event, count);
    }
}
