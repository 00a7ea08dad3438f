//! The transaction anomalies, judged from the final logs' markers (see `txnlog`) and the
//! applications' `TxnEnded` events:
//!
//! - `aborted_read`: a read_committed consumer was given a record that the final log holds, at the
//!   offset it was read from, in a transaction that did not commit (an ABORT marker, or no marker
//!   at all). Counted once per record however many consumers read it. A read_uncommitted consumer
//!   may read such records; that is no anomaly.
//! - `torn_transaction`: a transaction whose `commitTransaction()` returned success, some but not
//!   all of whose records stand in the read_committed view of the final logs. Counted once per
//!   transaction (producer, instance, transaction number).
//! - `stuck_lso`: an online partition whose last stable offset (computed from its final log) is
//!   below its high watermark at the end. Counted once per partition.

use std::collections::{BTreeMap, BTreeSet};

use super::consumers::{instance_name, Consumers, ABORTED_READ};
use super::index::{final_log, join_and, partition_name, producer_instance, record_name, Table};
use super::txnlog::{batch_index, ending_phrase, writer_phrase, LogTxn, TxnLogs};
use super::{Finding, FINDINGS_CAP};
use crate::record::{Anomaly, Deliveries, Delivery, EventKind, History, RecordId};

/// Records named per list in a finding before summarising the rest.
const NAMES_CAP: usize = 5;

/// One aborted read kept for a finding.
#[derive(Debug, Clone, Copy)]
struct Hit {
    event: u32,
    consumer: u32,
    instance: u32,
    delivery: Delivery,
    batch: u32,
}

/// The `aborted_read` family's running state during the event pass.
#[derive(Debug)]
pub(crate) struct AbortedRead {
    /// Distinct records read_committed consumers were given from uncommitted transactions.
    pub count: u64,
    /// Per consumer: whether it reads read_committed.
    read_committed: Vec<bool>,
    /// Per partition: batch index of the last lookup.
    cursors: Vec<usize>,
    hits: Vec<Hit>,
}

impl AbortedRead {
    pub fn new(history: &History) -> Self {
        let read_committed =
            history.consumers.iter().map(|c| c.isolation == crate::scenario::IsolationLevel::ReadCommitted).collect();
        AbortedRead { count: 0, read_committed, cursors: vec![0; history.partitions.len()], hits: Vec::new() }
    }

    /// Notes a `Polled` event.
    #[allow(clippy::too_many_arguments)]
    pub fn observe(
        &mut self,
        c: &mut Consumers,
        history: &History,
        txns: &TxnLogs,
        event: u32,
        consumer: u32,
        instance: u32,
        records: &Deliveries,
    ) {
        if !self.read_committed.get(consumer as usize).copied().unwrap_or(false) {
            return;
        }
        for d in records {
            let Some(part) = txns.part(d.partition).filter(|p| p.any()) else { continue };
            let Some(log) = final_log(history, d.partition) else { continue };
            let Some(bi) = batch_index(&log.log, &mut self.cursors[d.partition as usize], d.offset) else { continue };
            let b = &log.log[bi];
            // Another record there is a phantom read, not this anomaly.
            if b.producer != d.record.producer
                || b.records.get((d.offset - b.base_offset) as usize) != Some(d.record.index)
            {
                continue;
            }
            if part.fate(bi).committed_view() {
                continue;
            }
            let flags = c.flags.get_mut(d.record);
            if *flags & ABORTED_READ != 0 {
                continue;
            }
            *flags |= ABORTED_READ;
            self.count += 1;
            if self.hits.len() < FINDINGS_CAP {
                self.hits.push(Hit { event, consumer, instance, delivery: d, batch: bi as u32 });
            }
        }
    }

    /// One finding per kept read: who read it where and when, the transaction its batch is in
    /// and how that ended, and what the producer's application was told.
    pub fn findings(&self, history: &History, txns: &TxnLogs) -> Vec<Finding> {
        let ended = ended_events(history, self.hits.iter().map(|h| h.delivery.record));
        self.hits
            .iter()
            .map(|h| {
                let d = h.delivery;
                let name = record_name(history, d.record.producer, d.record.index);
                let at = history.events[h.event as usize].at;
                let who = instance_name(history, h.consumer, h.instance);
                let mut parts = vec![format!(
                    "{name} read by {who} (read_committed) at {} offset {} at {at} ms",
                    partition_name(history, d.partition),
                    d.offset
                )];
                if let Some(txn) = txns.part(d.partition).and_then(|p| p.txn_of(h.batch as usize)) {
                    parts.push(format!(
                        "its batch is in the transaction of {} that began at offset {}, {}",
                        writer_phrase(history, txn),
                        txn.first_offset,
                        ending_phrase(txn)
                    ));
                    if let Some(&ei) = ended.get(&(d.record, txn.instance)) {
                        parts.push(ended_phrase(history, ei));
                    } else {
                        parts.push(format!(
                            "{} never saw that transaction end",
                            producer_instance(history, txn.producer, txn.instance)
                        ));
                    }
                }
                Finding { anomaly: Anomaly::AbortedRead, subject: name, explanation: parts.join("; ") }
            })
            .collect()
    }
}

/// For each wanted record: the first `TxnEnded` event of each instance naming it, keyed by
/// (record, instance).
fn ended_events(history: &History, wanted: impl Iterator<Item = RecordId>) -> BTreeMap<(RecordId, u32), u32> {
    let wanted: BTreeSet<RecordId> = wanted.collect();
    let mut out = BTreeMap::new();
    if wanted.is_empty() {
        return out;
    }
    for (ei, ev) in history.events.iter().enumerate() {
        let EventKind::TxnEnded { producer, instance, records, .. } = &ev.kind else { continue };
        for index in records.iter() {
            let r = RecordId { producer: *producer, index };
            if wanted.contains(&r) {
                out.entry((r, *instance)).or_insert(ei as u32);
            }
        }
    }
    out
}

/// "p1/0's abortTransaction() of transaction 2 returned success at 250 ms".
fn ended_phrase(history: &History, ei: u32) -> String {
    let ev = &history.events[ei as usize];
    let EventKind::TxnEnded { producer, instance, txn, commit, result, .. } = &ev.kind else {
        return String::new();
    };
    let call = if *commit { "commitTransaction()" } else { "abortTransaction()" };
    let outcome = match result {
        Ok(()) => "returned success".to_string(),
        Err(e) => format!("failed with {e}"),
    };
    format!(
        "{}'s {call} of transaction {txn} {outcome} at {} ms",
        producer_instance(history, *producer, *instance),
        ev.at
    )
}

/// `torn_transaction`: committed transactions only partly in the read_committed view.
#[derive(Debug, Default)]
pub(crate) struct Torn {
    pub count: u64,
    /// Per producer: its torn transactions.
    pub per_producer: Vec<u64>,
    pub findings: Vec<Finding>,
}

/// Judges every transaction whose commit returned success.
pub(crate) fn torn(history: &History, t: &Table, txns: &TxnLogs) -> Torn {
    let mut out = Torn { per_producer: vec![0; t.recs.len()], ..Torn::default() };
    let mut seen: BTreeSet<(u32, u32, u32)> = BTreeSet::new();
    let mut kept: Vec<u32> = Vec::new();
    for (ei, ev) in history.events.iter().enumerate() {
        let EventKind::TxnEnded { producer, instance, txn, commit: true, records, result: Ok(()) } = &ev.kind else {
            continue;
        };
        if !seen.insert((*producer, *instance, *txn)) {
            continue;
        }
        let present = records.iter().filter(|&i| t.rec(*producer, i).is_some_and(|r| r.count > 0)).count();
        if present == 0 || present == records.len() {
            continue;
        }
        out.count += 1;
        // A record the index holds belongs to a producer it sized `per_producer` for.
        out.per_producer[*producer as usize] += 1;
        if kept.len() < FINDINGS_CAP {
            kept.push(ei as u32);
        }
    }
    if kept.is_empty() {
        return out;
    }
    // Where the missing records of the kept transactions stand outside the read_committed view.
    let mut missing: BTreeMap<RecordId, Vec<String>> = BTreeMap::new();
    for &ei in &kept {
        let EventKind::TxnEnded { producer, records, .. } = &history.events[ei as usize].kind else { continue };
        for i in records.iter().filter(|&i| t.rec(*producer, i).is_none_or(|r| r.count == 0)) {
            missing.insert(RecordId { producer: *producer, index: i }, Vec::new());
        }
    }
    for (x, part) in txns.parts.iter().enumerate() {
        let Some(part) = part.as_ref() else { continue };
        let Some(log) = final_log(history, x as u32) else { continue };
        for (bi, b) in log.log.iter().enumerate() {
            for (pos, i) in b.records.iter().enumerate() {
                let Some(places) = missing.get_mut(&RecordId { producer: b.producer, index: i }) else { continue };
                let o = b.base_offset + pos as u64;
                let place = format!("{} offset {o}", partition_name(history, x as u32));
                places.push(match part.txn_of(bi) {
                    Some(txn) => format!("at {place}, in a transaction {}", ending_phrase(txn)),
                    None => format!("at {place}"),
                });
            }
        }
    }
    out.findings = kept.iter().map(|&ei| explain_torn(history, t, txns, ei, &missing)).collect();
    out
}

fn explain_torn(
    history: &History,
    t: &Table,
    txns: &TxnLogs,
    ei: u32,
    missing: &BTreeMap<RecordId, Vec<String>>,
) -> Finding {
    let ev = &history.events[ei as usize];
    let EventKind::TxnEnded { producer, instance, txn, records, .. } = &ev.kind else { unreachable!("a commit") };
    let (producer, instance) = (*producer, *instance);
    let who = producer_instance(history, producer, instance);
    let subject = format!("{who} transaction {txn}");
    let mut present: BTreeMap<u32, Vec<u64>> = BTreeMap::new();
    let mut absent: Vec<String> = Vec::new();
    let mut absent_count = 0usize;
    for i in records.iter() {
        match t.first_copy(history, producer, i) {
            Some((x, at)) => present.entry(x).or_default().push(at),
            None => {
                absent_count += 1;
                if absent.len() < NAMES_CAP {
                    let name = record_name(history, producer, i);
                    let places = missing.get(&RecordId { producer, index: i }).filter(|p| !p.is_empty());
                    absent.push(match places {
                        Some(p) => format!("{name} ({})", join_and(&p[..p.len().min(2)])),
                        None => format!("{name} (in no final log)"),
                    });
                }
            }
        }
    }
    let n_present: usize = present.values().map(Vec::len).sum();
    let mut s = format!(
        "{who}'s commitTransaction() of transaction {txn} returned success at {} ms, yet only {n_present} of its {} \
         records stand in the final logs as committed data",
        ev.at,
        records.len()
    );
    let mut wheres = Vec::new();
    for (&x, offs) in &present {
        let lo = offs.iter().min().copied().unwrap_or(0);
        let hi = offs.iter().max().copied().unwrap_or(0);
        let span = if lo == hi { format!("offset {lo}") } else { format!("offsets {lo} to {hi}") };
        let mut w = format!("{} at {} {span}", offs.len(), partition_name(history, x));
        let marker = final_log(history, x).and_then(|log| {
            let mut cursor = 0;
            let bi = batch_index(&log.log, &mut cursor, lo)?;
            txns.part(x)?.txn_of(bi).map(ending_phrase)
        });
        if let Some(m) = marker {
            w.push_str(&format!(" ({m})"));
        }
        wheres.push(w);
    }
    s.push_str(&format!(": {}", join_and(&wheres)));
    if absent_count > absent.len() {
        absent.push(format!("{} more", absent_count - absent.len()));
    }
    s.push_str(&format!("; missing: {}", join_and(&absent)));
    Finding { anomaly: Anomaly::TornTransaction, subject, explanation: s }
}

/// `stuck_lso`: online partitions whose last stable offset stays below the high watermark.
pub(crate) fn stuck(history: &History, txns: &TxnLogs) -> (u64, Vec<Finding>) {
    let mut count = 0;
    let mut findings = Vec::new();
    for (x, part) in txns.parts.iter().enumerate() {
        let Some(part) = part.as_ref() else { continue };
        let Some(t) = part.pinned_by else { continue };
        count += 1;
        if findings.len() >= FINDINGS_CAP {
            continue;
        }
        let txn = &part.txns[t as usize];
        let unstable =
            part.txns.iter().filter(|t| t.first_offset < part.hw && t.marker.is_none_or(|(m, _)| m >= part.hw)).count();
        findings.push(explain_stuck(history, x as u32, part.lso, part.hw, txn, unstable));
    }
    (count, findings)
}

fn explain_stuck(history: &History, x: u32, lso: u64, hw: u64, txn: &LogTxn, unstable: usize) -> Finding {
    let pname = partition_name(history, x);
    let mut parts = vec![format!("{pname}'s last stable offset is {lso}, below its high watermark {hw}")];
    let state = match txn.marker {
        None => "is still open (no marker in the final log)".to_string(),
        Some((m, commit)) => format!(
            "has its {} marker at offset {m}, not below the high watermark",
            if commit { "COMMIT" } else { "ABORT" }
        ),
    };
    parts.push(format!(
        "the transaction of {} that began at offset {} ({} batch{}, {} record{}) {state}",
        writer_phrase(history, txn),
        txn.first_offset,
        txn.batches,
        if txn.batches == 1 { "" } else { "es" },
        txn.records,
        if txn.records == 1 { "" } else { "s" }
    ));
    // What the application was told about that transaction.
    let first = final_log(history, x).and_then(|log| {
        let mut cursor = 0;
        let bi = batch_index(&log.log, &mut cursor, txn.first_offset)?;
        let b = &log.log[bi];
        b.records.first().map(|i| RecordId { producer: b.producer, index: i })
    });
    if let Some(r) = first {
        let ended = ended_events(history, std::iter::once(r));
        match ended.get(&(r, txn.instance)) {
            Some(&ei) => parts.push(ended_phrase(history, ei)),
            None => parts.push(format!(
                "{} never saw it end (no commitTransaction() or abortTransaction() returned)",
                producer_instance(history, txn.producer, txn.instance)
            )),
        }
    }
    if unstable > 1 {
        let more = unstable - 1;
        parts.push(if more == 1 {
            "1 more transaction after it is unfinished too".to_string()
        } else {
            format!("{more} more transactions after it are unfinished too")
        });
    }
    parts.push(format!("read_committed consumers cannot read offsets {lso} to {}", hw - 1));
    Finding { anomaly: Anomaly::StuckLso, subject: pname, explanation: parts.join("; ") }
}
