//! `--explain RECORD`: one record's whole story, from the history and the final logs only: every
//! send, acknowledgement and failure of it, the transactions that ended with it, every poll and
//! processing of it, where each replica holds it at the end (and whether it stands in the
//! read_committed view), and the findings about it.

use super::consumers::instance_name;
use super::index::{partition_name, producer_instance};
use super::txnlog::TxnLogs;
use super::Finding;
use crate::record::{EventKind, History, RecordId, RecordList};

/// Why a record name cannot be explained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExplainError(pub String);

impl std::fmt::Display for ExplainError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ExplainError {}

/// The record `NAME#I` (or a processor's output `PROC(NAME#I)`) names in `history`.
pub fn parse_record(history: &History, name: &str) -> Result<RecordId, ExplainError> {
    let (producer, index) = match name.strip_suffix(')').and_then(|s| s.split_once('(')) {
        Some((proc, input)) => {
            let p = producer_index(history, proc)?;
            let input = parse_record(history, input)?;
            (p, history.global_number(input))
        }
        None => {
            let (p, i) = name
                .rsplit_once('#')
                .ok_or_else(|| ExplainError(format!("`{name}` is not a record: write NAME#INDEX, e.g. p1#17")))?;
            let index = i.parse().map_err(|_| ExplainError(format!("`{i}` in `{name}` is not a record index")))?;
            (producer_index(history, p)?, index)
        }
    };
    Ok(RecordId { producer, index })
}

fn producer_index(history: &History, name: &str) -> Result<u32, ExplainError> {
    match history.producers.iter().position(|p| p == name) {
        Some(p) => Ok(p as u32),
        None => {
            let hint = crate::scenario::spell::nearest(name, history.producers.iter().map(String::as_str))
                .map(|n| format!("; did you mean `{n}`?"))
                .unwrap_or_default();
            Err(ExplainError(format!("no producer or processor writes records named `{name}#...`{hint}")))
        }
    }
}

/// The story of `record`, one line per step, in time order, then its places in the final logs
/// and the findings about it.
pub fn explain(history: &History, findings: &[Finding], record: RecordId) -> Vec<String> {
    explain_all(history, findings, &[record]).pop().expect("one story per record")
}

/// Which of a list of records a (producer, index) pair is, found by two array lookups: the
/// stories of many records are told in one pass over a long history.
#[derive(Debug, Clone, Default)]
pub struct Slots(Vec<Vec<u32>>);

impl Slots {
    /// The slots of `records` (the position of each in the list).
    pub fn new(records: &[RecordId]) -> Self {
        let mut v: Vec<Vec<u32>> = Vec::new();
        for (k, r) in records.iter().enumerate() {
            let p = r.producer as usize;
            if v.len() <= p {
                v.resize(p + 1, Vec::new());
            }
            let row = &mut v[p];
            if row.len() <= r.index as usize {
                row.resize(r.index as usize + 1, u32::MAX);
            }
            if row[r.index as usize] == u32::MAX {
                row[r.index as usize] = k as u32;
            }
        }
        Slots(v)
    }

    /// Whether `records` of `producer` may hold a listed record: false only when they run on
    /// (`I`, `I+1`, ...) over a stretch that holds none, which is found without reading them all.
    pub fn may_hold(&self, producer: u32, records: &RecordList) -> bool {
        let Some(row) = self.0.get(producer as usize) else { return false };
        let (Some(first), Some(last)) = (records.first(), records.last()) else { return false };
        if last.checked_sub(first) != Some(records.len() as u32 - 1) {
            return true;
        }
        let end = (last as usize + 1).min(row.len());
        (first as usize) < end && row[first as usize..end].iter().any(|&k| k != u32::MAX)
    }

    /// The slot of record `index` of `producer`, if it is in the list.
    pub fn get(&self, producer: u32, index: u32) -> Option<usize> {
        let k = *self.0.get(producer as usize)?.get(index as usize)?;
        (k != u32::MAX).then_some(k as usize)
    }
}

/// The story slot of record `index` of `producer` if it is listed and the event being read has
/// not told its story yet (an event names a record once per story).
fn first_telling(slot: &Slots, told: &mut Vec<usize>, producer: u32, index: u32) -> Option<usize> {
    let s = slot.get(producer, index)?;
    if told.contains(&s) {
        return None;
    }
    told.push(s);
    Some(s)
}

/// The stories of `records` (as [`explain`] tells each), read in one pass over the history and
/// the final logs, however many records there are.
pub fn explain_all(history: &History, findings: &[Finding], records: &[RecordId]) -> Vec<Vec<String>> {
    let slot = Slots::new(records);
    let names: Vec<String> = records.iter().map(|&r| history.record_name(r)).collect();
    let mut out: Vec<Vec<String>> = names.iter().map(|n| vec![format!("{n}:")]).collect();
    // The stories an event or batch already told (each tells a record's story once).
    let mut told: Vec<usize> = Vec::new();
    for ev in &history.events {
        let at = ev.at;
        told.clear();
        match &ev.kind {
            // A list of records running on is skipped whole when it holds none of them.
            EventKind::Sent { producer, instance, partition, records } => {
                if !slot.may_hold(*producer, records) {
                    continue;
                }
                for i in records.iter() {
                    let Some(s) = first_telling(&slot, &mut told, *producer, i) else { continue };
                    let who = producer_instance(history, *producer, *instance);
                    out[s].push(format!("{at} ms: {who} sent it to {}", partition_name(history, *partition)));
                }
            }
            EventKind::Acked { producer, instance, partition, records, offset, broker, leader_epoch, attempts } => {
                if !slot.may_hold(*producer, records) {
                    continue;
                }
                for (k, i) in records.iter().enumerate() {
                    let Some(s) = first_telling(&slot, &mut told, *producer, i) else { continue };
                    let who = producer_instance(history, *producer, *instance);
                    let at_offset = if *offset < 0 { String::new() } else { format!(" offset {}", offset + k as i64) };
                    let retried = if *attempts > 1 { format!(" after {attempts} attempts") } else { String::new() };
                    out[s].push(format!(
                        "{at} ms: {who} got its acknowledgement{retried}: {}{at_offset}, from broker {broker} (epoch {leader_epoch})",
                        partition_name(history, *partition)
                    ));
                }
            }
            EventKind::Failed { producer, instance, partition, records, error, maybe_written } => {
                if !slot.may_hold(*producer, records) {
                    continue;
                }
                for i in records.iter() {
                    let Some(s) = first_telling(&slot, &mut told, *producer, i) else { continue };
                    let who = producer_instance(history, *producer, *instance);
                    let maybe = if *maybe_written { " (maybe written)" } else { "" };
                    out[s].push(format!(
                        "{at} ms: {who}'s send to {} failed with {error}{maybe}",
                        partition_name(history, *partition)
                    ));
                }
            }
            EventKind::TxnEnded { producer, instance, txn, commit, records, result } => {
                if !slot.may_hold(*producer, records) {
                    continue;
                }
                for i in records.iter() {
                    let Some(s) = first_telling(&slot, &mut told, *producer, i) else { continue };
                    let who = producer_instance(history, *producer, *instance);
                    let how = match (commit, result) {
                        (true, Ok(())) => "committed".to_string(),
                        (false, Ok(())) => "aborted".to_string(),
                        (c, Err(e)) => format!("{} failed with {e}", if *c { "commit" } else { "abort" }),
                    };
                    out[s].push(format!("{at} ms: {who}'s transaction {txn} holding it {how}"));
                }
            }
            EventKind::Polled { consumer, instance, records }
            | EventKind::Processed { consumer, instance, records } => {
                let verb = if matches!(ev.kind, EventKind::Polled { .. }) { "polled" } else { "processed" };
                for d in records.iter() {
                    let Some(s) = first_telling(&slot, &mut told, d.record.producer, d.record.index) else { continue };
                    out[s].push(format!(
                        "{at} ms: {} {verb} it at {} offset {}",
                        instance_name(history, *consumer, *instance),
                        partition_name(history, d.partition),
                        d.offset
                    ));
                }
            }
            _ => {}
        }
    }
    let txns = TxnLogs::build(history);
    let before: Vec<usize> = out.iter().map(Vec::len).collect();
    for (x, part) in history.partitions.iter().enumerate().filter(|(_, p)| !p.is_internal()) {
        for r in &part.replicas {
            for (bi, b) in r.log.iter().enumerate() {
                if !slot.may_hold(b.producer, &b.records) {
                    continue;
                }
                told.clear();
                for (k, i) in b.records.iter().enumerate() {
                    let Some(s) = slot.get(b.producer, i) else { continue };
                    if told.contains(&s) {
                        continue;
                    }
                    told.push(s);
                    let offset = b.base_offset + k as u64;
                    let leader = part.leader == Some(r.broker);
                    let view = if !leader {
                        String::new()
                    } else if offset >= r.hw {
                        " (leader; above the high watermark)".to_string()
                    } else if txns.fate(x as u32, bi).committed_view() {
                        " (leader; in the read_committed view)".to_string()
                    } else {
                        " (leader; not in the read_committed view: its transaction did not commit)".to_string()
                    };
                    out[s].push(format!(
                        "at the end: broker {} holds it at {} offset {offset}{view}",
                        r.broker,
                        partition_name(history, x as u32)
                    ));
                }
            }
        }
    }
    // Where each finding's explanation has a `#`: a record's name is found only where its own
    // `#` meets one (one scan of each explanation, not one search per record and finding).
    let hashes: Vec<Vec<usize>> = findings
        .iter()
        .map(|f| f.explanation.bytes().enumerate().filter(|&(_, c)| c == b'#').map(|(j, _)| j).collect())
        .collect();
    for (s, lines) in out.iter_mut().enumerate() {
        if lines.len() == before[s] {
            lines.push("at the end: no replica's log holds it".to_string());
        }
        let name = &names[s];
        let spaced = format!("{name} ");
        let mentions = |f: &Finding, hashes: &[usize]| match spaced.find('#') {
            Some(k) => {
                hashes.iter().any(|&j| j >= k && f.explanation.as_bytes()[j - k..].starts_with(spaced.as_bytes()))
            }
            None => f.explanation.contains(&spaced),
        };
        for (f, h) in findings.iter().zip(&hashes) {
            if f.subject == *name || mentions(f, h) {
                lines.push(format!("{}: {}", f.anomaly.name(), f.explanation));
            }
        }
    }
    out
}
