//! Collecting the timeline (`RunOptions::timeline`): after each step that can change a broker or
//! the controller, the world compares each workload replica with what it last saw and notes
//! appends, cuts and offset moves. It only reads the nodes, so a run with it on has the same
//! trace and verdict as one without; with it off, each hook is one test of an `Option`.

use std::sync::Arc;

use super::World;
use crate::record::{
    Cut, CutCause, HeldBatch, LogBatch, PartitionState, PartitionTimeline, ReplicaTimeline, Timeline, TimelineLine,
};
use crate::sim::trace::Family;

/// Trace lines the page keeps per family: enough for every line of a small run, few enough that
/// a long run's page stays small (the rest are counted as dropped).
fn line_budget(f: Family) -> u32 {
    match f {
        Family::Faults => u32::MAX,
        Family::Net => 6_000,
        Family::Groups | Family::Txn | Family::Controller => 2_000,
        // Timers and replica fetches are most of every run's lines, as `--trace` leaves them out.
        Family::Timers | Family::Replication => 0,
    }
}

/// What a replica looked like when last seen: LEO, HW, batch count, the last batch (by
/// address: the timeline holds every batch it saw, so no other batch takes its place), leader
/// epoch and whether it leads.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Look {
    leo: u64,
    hw: u64,
    len: usize,
    last: usize,
    role: Option<(u32, bool)>,
}

/// One replica being watched: its timeline and the batches it holds now (indices into
/// `ReplicaTimeline::batches`, in log order).
struct Watched {
    tl: ReplicaTimeline,
    live: Vec<usize>,
    /// What it looked like when last seen: most steps change none of it, and then nothing else
    /// is compared.
    seen: Option<Look>,
}

/// One workload partition being watched.
struct WatchedPartition {
    partition: u32,
    states: Vec<(u64, PartitionState)>,
    replicas: Vec<Watched>,
}

/// The collector the world holds while a timeline is asked for.
pub(super) struct Recorder {
    parts: Vec<WatchedPartition>,
    /// By broker id: the (partition, replica) places in `parts` it holds.
    places: Vec<Vec<(usize, usize)>>,
    budget: [u32; Family::ALL.len()],
    lines: Vec<TimelineLine>,
    dropped: u64,
}

impl Recorder {
    pub fn new(w: &World<'_>) -> Self {
        let topo = &w.nodes.topo;
        let mut parts = Vec::new();
        for (p, info) in topo.partitions.iter().enumerate() {
            if info.topic.starts_with("__") {
                continue;
            }
            let replicas = info
                .replicas
                .iter()
                .map(|&b| Watched {
                    tl: ReplicaTimeline { broker: b, ..Default::default() },
                    live: Vec::new(),
                    seen: None,
                })
                .collect();
            parts.push(WatchedPartition { partition: p as u32, states: Vec::new(), replicas });
        }
        let mut places: Vec<Vec<(usize, usize)>> = Vec::new();
        for (k, part) in parts.iter().enumerate() {
            for (i, w) in part.replicas.iter().enumerate() {
                let b = w.tl.broker as usize;
                if places.len() <= b {
                    places.resize(b + 1, Vec::new());
                }
                // The first place of a broker in a partition, as a search would find it.
                if !places[b].iter().any(|&(q, _)| q == k) {
                    places[b].push((k, i));
                }
            }
        }
        let mut budget = [0; Family::ALL.len()];
        for f in Family::ALL {
            budget[f as usize] = line_budget(f);
        }
        Recorder { parts, places, budget, lines: Vec::new(), dropped: 0 }
    }

    /// Whether the page keeps a line of family `f` (spending its budget if so).
    pub fn wants_line(&mut self, f: Family) -> bool {
        if matches!(f, Family::Timers | Family::Replication) {
            return false;
        }
        let b = &mut self.budget[f as usize];
        if *b == 0 {
            self.dropped += 1;
            return false;
        }
        *b -= 1;
        true
    }

    pub fn push_line(&mut self, at: u64, line: String) {
        self.lines.push(TimelineLine { at, line });
    }

    pub fn finish(self) -> Timeline {
        let partitions = self
            .parts
            .into_iter()
            .map(|p| PartitionTimeline {
                partition: p.partition,
                states: p.states,
                replicas: p.replicas.into_iter().map(|r| r.tl).collect(),
            })
            .collect();
        Timeline { partitions, lines: self.lines, lines_dropped: self.dropped }
    }
}

/// Push `v` onto `s` at `at` when it differs from the last value (a second change in the same
/// ms replaces the first).
fn note<T: PartialEq>(s: &mut Vec<(u64, T)>, at: u64, v: T) {
    match s.last_mut() {
        Some((_, last)) if *last == v => {}
        Some((t, last)) if *t == at => *last = v,
        _ => s.push((at, v)),
    }
}

/// Bring `w`'s batches in line with `log`: cut what it lost, add what it gained.
fn follow(w: &mut Watched, log: &[Arc<LogBatch>], now: u64) {
    // Logs only grow at the end and lose a suffix: the longest common prefix is where the last
    // equal batch stands.
    let n = w.live.len().min(log.len());
    let mut keep = n;
    while keep > 0 && !Arc::ptr_eq(&w.tl.batches[w.live[keep - 1]].batch, &log[keep - 1]) {
        keep -= 1;
    }
    if keep < w.live.len() {
        let from = w.tl.batches[w.live[keep]].batch.base_offset;
        let to = w.tl.batches[*w.live.last().expect("a live batch")].batch.next_offset();
        for &i in &w.live[keep..] {
            w.tl.batches[i].cut_at = Some(now);
        }
        w.live.truncate(keep);
        w.tl.cuts.push(Cut { at: now, from, to, cause: CutCause::Truncation });
    }
    for batch in &log[keep..] {
        w.live.push(w.tl.batches.len());
        w.tl.batches.push(HeldBatch { batch: batch.clone(), appended_at: now, cut_at: None });
    }
}

impl World<'_> {
    /// Compare broker `b`'s workload replicas with what the timeline last saw of them (called
    /// after every step of a broker: without a timeline, one test inlined into the caller).
    #[inline]
    pub(super) fn observe_broker(&mut self, b: u32) {
        if self.timeline.is_some() {
            self.observe_broker_replicas(b);
        }
    }

    fn observe_broker_replicas(&mut self, b: u32) {
        let Some(rec) = self.timeline.as_mut() else { return };
        let Some(places) = rec.places.get(b as usize) else { return };
        let now = self.k.now;
        let broker = &self.nodes.brokers[b as usize - 1];
        for &(k, i) in places {
            let part = &mut rec.parts[k];
            let p = part.partition;
            let Some(r) = broker.replicas[p as usize].as_ref() else { continue };
            let w = &mut part.replicas[i];
            let log = r.log.batches();
            // A log that lost its tail and grew back to the same length in one step has another
            // last batch; the count alone would miss it.
            let look = Look {
                leo: r.log.leo(),
                hw: r.hw,
                len: log.len(),
                last: log.last().map_or(0, |b| Arc::as_ptr(b) as usize),
                role: broker.replica_epoch(p),
            };
            if w.seen == Some(look) {
                continue;
            }
            w.seen = Some(look);
            follow(w, log, now);
            note(&mut w.tl.leo, now, look.leo);
            note(&mut w.tl.hw, now, look.hw);
            note(&mut w.tl.lso, now, r.log.lso(look.hw));
            if let Some(role) = look.role {
                note(&mut w.tl.role, now, role);
            }
        }
    }

    /// Broker `b` lost power: its workload replicas lose everything past the flushed offset now
    /// (the model cuts the log when the broker restarts; the data is gone from this instant).
    pub(super) fn observe_power_loss(&mut self, b: u32) {
        let Some(rec) = self.timeline.as_mut() else { return };
        let now = self.k.now;
        let broker = &self.nodes.brokers[b as usize - 1];
        for part in &mut rec.parts {
            let Some(r) = broker.replicas[part.partition as usize].as_ref() else { continue };
            let Some(w) = part.replicas.iter_mut().find(|w| w.tl.broker == b) else { continue };
            let flushed = r.log.flushed();
            // Batches are cut whole, as `ReplicaLog::truncate_to` cuts them.
            let keep = w.live.partition_point(|&i| w.tl.batches[i].batch.next_offset() <= flushed);
            if keep == w.live.len() {
                continue;
            }
            let from = w.tl.batches[w.live[keep]].batch.base_offset;
            let to = r.log.leo();
            for &i in &w.live[keep..] {
                w.tl.batches[i].cut_at = Some(now);
            }
            w.live.truncate(keep);
            w.tl.cuts.push(Cut { at: now, from, to, cause: CutCause::PowerLoss });
            note(&mut w.tl.leo, now, from);
            w.seen = None;
        }
    }

    /// Note the controller's leader, epoch and ISR of every workload partition that changed.
    pub(super) fn observe_controller(&mut self) {
        let Some(rec) = self.timeline.as_mut() else { return };
        let now = self.k.now;
        for part in &mut rec.parts {
            let st = self.nodes.controller.partition(part.partition);
            let same = part
                .states
                .last()
                .is_some_and(|(_, s)| s.leader == st.leader && s.leader_epoch == st.leader_epoch && s.isr == st.isr);
            if !same {
                let state = PartitionState { leader: st.leader, leader_epoch: st.leader_epoch, isr: st.isr.clone() };
                note(&mut part.states, now, state);
            }
        }
    }

    /// Observe every broker and the controller (at the start of a run).
    pub(super) fn observe_all(&mut self) {
        if self.timeline.is_none() {
            return;
        }
        self.observe_controller();
        for b in 1..=self.nodes.layout.brokers {
            self.observe_broker(b);
        }
    }
}
