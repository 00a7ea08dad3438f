//! `lost_acked` and `unavailable`: acknowledged records missing from the final log of the
//! partition they were acknowledged on, told apart by whether that partition has a leader.
//!
//! A transactional producer's record counts as acknowledged only when a `commitTransaction()`
//! of a transaction holding it returned success (its batch's own ack is not enough), and it is
//! present only as committed data: in the read_committed view of any final log (a copy in an
//! aborted or still open transaction does not count).

use super::index::{
    final_log, holds_phrase, partition_name, record_name, story_after, stranded_copies, Rec, Table, ACKED, NONE,
    PRESENT_IN_ACK_PARTITION,
};
use super::txnlog::{batch_index, ending_phrase, TxnLogs};
use super::{Finding, FINDINGS_CAP};
use crate::record::{Anomaly, EventKind, History};

/// Counts of one producer's acknowledged records that the final logs do not show.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ProducerLoss {
    /// Missing from an online partition.
    pub lost: u64,
}

/// The outcome of the loss family.
#[derive(Debug, Default)]
pub(crate) struct Loss {
    pub lost_acked: u64,
    pub unavailable: u64,
    pub per_producer: Vec<ProducerLoss>,
    pub findings: Vec<Finding>,
    pub unavailable_findings: Vec<Finding>,
}

/// Judges every acknowledged record.
pub(crate) fn check(history: &History, t: &Table, txns: &TxnLogs) -> Loss {
    let mut out = Loss { per_producer: vec![ProducerLoss::default(); t.recs.len()], ..Loss::default() };
    for (p, recs) in t.recs.iter().enumerate() {
        if t.is_output(p as u32) {
            continue;
        }
        let txn = t.is_txn(p as u32);
        let p = p as u32;
        // A run's records share their flags, copy count and ack: most runs are found present
        // as a whole. The rare missing ones are judged after the walk, whose closure stays small
        // enough to inline.
        let mut missing = Vec::new();
        recs.for_each_run(|first, n, r| {
            if r.has(ACKED) && if txn { r.count == 0 } else { !r.has(PRESENT_IN_ACK_PARTITION) } {
                missing.push((first, n, *r));
            }
        });
        for (first, n, r) in missing {
            for i in first..first + n {
                judge(history, t, txns, &mut out, (p, i, txn), &r);
            }
        }
    }
    out
}

/// Judges one acknowledged record (producer, index, whether its producer is transactional) that
/// the final logs do not show: lost, or unavailable if its partition has no leader (`r` is its
/// slot).
fn judge(history: &History, t: &Table, txns: &TxnLogs, out: &mut Loss, (p, i, txn): (u32, u32, bool), r: &Rec) {
    let partition = if txn { txn_partition(history, t, p, i) } else { Some(t.ack_partition(r)) };
    // A committed record whose batch ack is unknown is judged lost: the final logs that exist do
    // not hold it.
    let online = partition.is_none_or(|x| t.online.get(x as usize).copied().unwrap_or(false));
    if online {
        out.lost_acked += 1;
        out.per_producer[p as usize].lost += 1;
        if out.findings.len() < FINDINGS_CAP {
            let f = if txn { explain_txn(history, t, txns, p, i, true) } else { explain(history, t, p, i, true) };
            out.findings.push(f);
        }
    } else {
        out.unavailable += 1;
        if out.unavailable_findings.len() < FINDINGS_CAP {
            let f = if txn { explain_txn(history, t, txns, p, i, false) } else { explain(history, t, p, i, false) };
            out.unavailable_findings.push(f);
        }
    }
}

/// The partition of the batch ack a transactional record's commit rests on (else of its first
/// batch ack), if any.
fn txn_partition(history: &History, t: &Table, producer: u32, index: u32) -> Option<u32> {
    let a = t.txn_ack(producer, index).map_or(NONE, |a| a.commit_batch_ack);
    if let Some(EventKind::Acked { partition, .. }) = history.events.get(a as usize).map(|e| &e.kind) {
        return Some(*partition);
    }
    t.rec(producer, index).map(|r| t.ack_partition(&r)).filter(|&x| x != NONE)
}

/// The fate of a committed transactional record: the commit that acknowledged it, its batch's
/// ack, what hit that broker and partition afterwards, and what the final log holds there (its
/// batch in an aborted or open transaction, or another record).
fn explain_txn(history: &History, t: &Table, txns: &TxnLogs, producer: u32, index: u32, online: bool) -> Finding {
    let name = record_name(history, producer, index);
    let a = t.txn_ack(producer, index).copied();
    let mut parts = Vec::new();
    if let Some(ev) = a.and_then(|a| history.events.get(a.commit_event as usize)) {
        if let EventKind::TxnEnded { instance, txn, records, .. } = &ev.kind {
            let who = if *instance == 0 { name.clone() } else { format!("{name} (instance {instance})") };
            parts.push(format!(
                "{who} was in transaction {txn} ({} record{}), whose commitTransaction() returned success at {} ms",
                records.len(),
                if records.len() == 1 { "" } else { "s" },
                ev.at
            ));
        }
    }
    if parts.is_empty() {
        parts.push(format!("{name} was committed"));
    }
    let ack = a.and_then(|a| history.events.get(a.commit_batch_ack as usize).map(|ev| (a.commit_batch_ack, ev)));
    let mut at = None;
    if let Some((ai, ev)) = ack {
        if let EventKind::Acked { partition, broker, leader_epoch, .. } = &ev.kind {
            let (partition, broker, epoch) = (*partition, *broker, *leader_epoch);
            let pname = partition_name(history, partition);
            let offset = super::index::acked_offset(ev, index);
            parts.push(match offset {
                Some(o) => format!(
                    "its batch was acked at {pname} offset {o} by broker {broker} (epoch {epoch}) at {} ms",
                    ev.at
                ),
                None => format!("its batch was acked by broker {broker} (epoch {epoch}) of {pname} at {} ms", ev.at),
            });
            story_after(history, &t.story, ai, broker, partition, (Some(broker), epoch), &mut parts);
            at = Some((partition, offset));
        }
    }
    match at {
        Some((partition, _)) if !online => parts.push(format!(
            "{} has no leader at the end, so it is neither lost nor present",
            partition_name(history, partition)
        )),
        Some((partition, Some(o))) => {
            if let Some(log) = final_log(history, partition) {
                let mut cursor = 0;
                let held = batch_index(&log.log, &mut cursor, o).map(|bi| (bi, &log.log[bi]));
                let same = held.filter(|(_, b)| {
                    b.producer == producer && b.records.get((o - b.base_offset) as usize) == Some(index)
                });
                match same.and_then(|(bi, _)| txns.part(partition)?.txn_of(bi)) {
                    Some(txn) => parts.push(format!(
                        "the final log holds it at offset {o}, in a transaction {} that began at offset {}",
                        ending_phrase(txn),
                        txn.first_offset
                    )),
                    None => parts.push(holds_phrase(history, log, o)),
                }
            }
            stranded_copies(history, partition, o, producer, index, &mut parts);
        }
        _ => {}
    }
    // Copies of it anywhere in the final logs, outside the read_committed view.
    let mut elsewhere = Vec::new();
    for (x, part) in txns.parts.iter().enumerate() {
        let Some(part) = part.as_ref().filter(|p| p.any()) else { continue };
        let Some(log) = final_log(history, x as u32) else { continue };
        for (bi, b) in log.log.iter().enumerate() {
            if b.producer != producer || !b.records.contains(index) {
                continue;
            }
            let Some(txn) = part.txn_of(bi) else { continue };
            let o = b.base_offset + b.records.iter().position(|r| r == index).unwrap_or(0) as u64;
            if at == Some((x as u32, Some(o))) {
                continue;
            }
            elsewhere.push(format!(
                "a copy stands at {} offset {o} in a transaction {}",
                partition_name(history, x as u32),
                ending_phrase(txn)
            ));
        }
    }
    if online && !matches!(at, Some((_, Some(_)))) {
        parts.push("no final log holds it as committed data".to_string());
    }
    parts.extend(elsewhere.into_iter().take(3));
    Finding {
        anomaly: if online { Anomaly::LostAcked } else { Anomaly::Unavailable },
        subject: name,
        explanation: parts.join("; "),
    }
}

/// The fate of one acknowledged record: the ack, what hit its broker and partition afterwards,
/// and what the final log (or, offline, the stranded replicas) hold.
fn explain(history: &History, t: &Table, producer: u32, index: u32, online: bool) -> Finding {
    let r = t.rec(producer, index).expect("judged records are indexed");
    let name = record_name(history, producer, index);
    let ev = &history.events[r.ack_event as usize];
    let EventKind::Acked { partition, broker, leader_epoch, instance, .. } = &ev.kind else {
        unreachable!("ack_event names an Acked event")
    };
    let (partition, broker, epoch) = (*partition, *broker, *leader_epoch);
    let pname = partition_name(history, partition);
    let offset = super::index::acked_offset(ev, index);
    let who = if *instance == 0 { name.clone() } else { format!("{name} (instance {instance})") };
    let mut parts = Vec::new();
    parts.push(match offset {
        Some(o) => format!("{who} acked at {pname} offset {o} by broker {broker} (epoch {epoch}) at {} ms", ev.at),
        None => format!(
            "{who} sent with acks=0 (no response) to {pname} leader broker {broker} (epoch {epoch}), completed at {} ms",
            ev.at
        ),
    });
    story_after(history, &t.story, r.ack_event, broker, partition, (Some(broker), epoch), &mut parts);
    if online {
        let log = final_log(history, partition).expect("online partitions have a final log");
        parts.push(match offset {
            Some(o) => holds_phrase(history, log, o),
            None => format!("the final log of {pname} (log end offset {}) does not hold it", log.leo),
        });
    } else {
        parts.push(format!("{pname} has no leader at the end, so it is neither lost nor present"));
    }
    if let Some(o) = offset {
        stranded_copies(history, partition, o, producer, index, &mut parts);
    }
    if let Some((first, at)) = t.first_copy(history, producer, index).filter(|&(x, _)| x != partition) {
        parts.push(format!("it stands at {} offset {at} instead", partition_name(history, first)));
    }
    Finding {
        anomaly: if online { Anomaly::LostAcked } else { Anomaly::Unavailable },
        subject: name,
        explanation: parts.join("; "),
    }
}
