//! `divergence`: after heal, two alive in-sync replicas of an online workload partition hold
//! different records at one offset below the leader's high watermark. Counted per distinct offset.

use std::sync::Arc;

use super::index::{leader_phrase, record_at, record_name, Table};
use super::{Finding, FINDINGS_CAP};
use crate::record::{Anomaly, EventKind, FinalPartition, FinalReplica, History, LogBatch};

/// The divergence family's outcome.
#[derive(Debug, Default)]
pub(crate) struct Divergence {
    /// Distinct (partition, offset) pairs where in-sync replicas disagree.
    pub count: u64,
    pub findings: Vec<Finding>,
}

/// Compares every pair of alive in-sync replicas of every online partition.
pub(crate) fn check(history: &History, t: &Table) -> Divergence {
    let mut out = Divergence::default();
    let mut offsets: Vec<u64> = Vec::new();
    for (x, part) in history.partitions.iter().enumerate() {
        if part.is_internal() {
            continue;
        }
        let Some(leader) = part.leader_replica() else { continue };
        let members: Vec<&FinalReplica> =
            part.replicas.iter().filter(|r| r.alive && part.isr.contains(&r.broker)).collect();
        offsets.clear();
        for (i, a) in members.iter().enumerate() {
            for b in &members[i + 1..] {
                let limit = leader.hw.min(a.leo).min(b.leo);
                diff(&a.log, &b.log, limit, &mut offsets);
            }
        }
        if offsets.is_empty() {
            continue;
        }
        offsets.sort_unstable();
        offsets.dedup();
        out.count += offsets.len() as u64;
        for &o in &offsets {
            if out.findings.len() >= FINDINGS_CAP {
                break;
            }
            out.findings.push(explain(history, t, x as u32, part, &members, leader.hw, o));
        }
    }
    out
}

/// A position in one replica's log.
struct Cursor<'a> {
    log: &'a [Arc<LogBatch>],
    batch: usize,
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn new(log: &'a [Arc<LogBatch>]) -> Self {
        let mut c = Cursor { log, batch: 0, pos: 0 };
        c.settle();
        c
    }

    /// Skips past exhausted (or empty) batches.
    fn settle(&mut self) {
        while self.batch < self.log.len() && self.pos >= self.log[self.batch].records.len() {
            self.batch += 1;
            self.pos = 0;
        }
    }

    fn offset(&self) -> u64 {
        self.log.get(self.batch).map_or(u64::MAX, |b| b.base_offset + self.pos as u64)
    }

    fn record(&self) -> (u32, u32) {
        let b = &self.log[self.batch];
        (b.producer, b.records.get(self.pos).expect("settle stops on a record"))
    }

    fn current(&self) -> &'a Arc<LogBatch> {
        &self.log[self.batch]
    }

    fn advance(&mut self) {
        self.pos += 1;
        self.settle();
    }

    fn skip_batch(&mut self) {
        self.batch += 1;
        self.pos = 0;
        self.settle();
    }
}

/// Pushes every offset below `limit` where the two logs do not hold the same record (a record on
/// one side and none on the other counts). Shared or equal whole batches are skipped at once.
fn diff(a: &[Arc<LogBatch>], b: &[Arc<LogBatch>], limit: u64, out: &mut Vec<u64>) {
    let (mut ca, mut cb) = (Cursor::new(a), Cursor::new(b));
    loop {
        let (oa, ob) = (ca.offset(), cb.offset());
        if oa.min(ob) >= limit {
            return;
        }
        if oa == ob {
            if ca.pos == 0 && cb.pos == 0 {
                let (ba, bb) = (ca.current(), cb.current());
                if Arc::ptr_eq(ba, bb) || (ba.producer == bb.producer && ba.records == bb.records) {
                    ca.skip_batch();
                    cb.skip_batch();
                    continue;
                }
            }
            if ca.record() != cb.record() {
                out.push(oa);
            }
            ca.advance();
            cb.advance();
        } else if oa < ob {
            out.push(oa);
            ca.advance();
        } else {
            out.push(ob);
            cb.advance();
        }
    }
}

fn explain(
    history: &History,
    t: &Table,
    x: u32,
    part: &FinalPartition,
    members: &[&FinalReplica],
    hw: u64,
    offset: u64,
) -> Finding {
    let pname = part.name();
    let mut held = Vec::with_capacity(members.len());
    for r in members {
        let who = if Some(r.broker) == part.leader {
            format!("broker {} (leader)", r.broker)
        } else {
            format!("broker {}", r.broker)
        };
        held.push(match record_at(&r.log, offset) {
            Some((b, p, i)) => format!(
                "{who} holds {} (instance {}, epoch {})",
                record_name(history, p, i),
                b.instance,
                b.leader_epoch
            ),
            None => format!("{who} holds nothing there (log end offset {})", r.leo),
        });
    }
    let mut s = format!(
        "in-sync replicas of {pname} disagree at offset {offset} (below high watermark {hw}): {}",
        held.join(", ")
    );
    let unclean: Vec<String> = t
        .story
        .iter()
        .filter_map(|&i| {
            let ev = &history.events[i as usize];
            match &ev.kind {
                EventKind::LeaderChange { partition, leader, leader_epoch, unclean: true, .. } if *partition == x => {
                    Some(leader_phrase(history, x, *leader, *leader_epoch, true, ev.at))
                }
                _ => None,
            }
        })
        .take(3)
        .collect();
    if !unclean.is_empty() {
        s.push_str("; ");
        s.push_str(&unclean.join("; "));
    }
    Finding { anomaly: Anomaly::Divergence, subject: format!("{pname}@{offset}"), explanation: s }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(base: u64, records: &[u32]) -> Arc<LogBatch> {
        Arc::new(LogBatch {
            base_offset: base,
            leader_epoch: 0,
            producer_id: -1,
            producer_epoch: -1,
            base_sequence: -1,
            producer: 0,
            instance: 0,
            records: records.into(),
            meta: None,
            transactional: false,
            timestamp: 0,
        })
    }

    #[test]
    fn shared_batches_do_not_differ() {
        let shared = batch(0, &[0, 1, 2]);
        let a = vec![shared.clone(), batch(3, &[3, 4])];
        let b = vec![shared, batch(3, &[3, 4])];
        let mut out = Vec::new();
        diff(&a, &b, 5, &mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn differing_tails_below_the_limit_are_reported_per_offset() {
        let a = vec![batch(0, &[0, 1]), batch(2, &[2, 3])];
        let b = vec![batch(0, &[0, 1, 7, 8])];
        let mut out = Vec::new();
        diff(&a, &b, 3, &mut out);
        assert_eq!(out, vec![2]);
        out.clear();
        diff(&a, &b, 10, &mut out);
        assert_eq!(out, vec![2, 3]);
    }

    #[test]
    fn a_gap_on_one_side_differs() {
        let a = vec![batch(0, &[0]), batch(1, &[1])];
        let b = vec![batch(0, &[0])];
        let mut out = Vec::new();
        diff(&a, &b, 2, &mut out);
        assert_eq!(out, vec![1]);
    }
}
