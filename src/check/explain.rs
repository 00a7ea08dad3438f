//! `--explain RECORD`: one record's whole story, from the history and the final logs only: every
//! send, acknowledgement and failure of it, the transactions that ended with it, every poll and
//! processing of it, where each replica holds it at the end (and whether it stands in the
//! read_committed view), and the findings about it.

use super::consumers::instance_name;
use super::index::{partition_name, producer_instance};
use super::txnlog::TxnLogs;
use super::Finding;
use crate::record::{EventKind, History, RecordId};

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
    let name = history.record_name(record);
    let mut out = vec![format!("{name}:")];
    let mine = |producer: &u32, index: &u32| *producer == record.producer && *index == record.index;
    for ev in &history.events {
        let at = ev.at;
        let line = match &ev.kind {
            EventKind::Sent { producer, instance, partition, records } if records.iter().any(|i| mine(producer, i)) => {
                let who = producer_instance(history, *producer, *instance);
                Some(format!("{at} ms: {who} sent it to {}", partition_name(history, *partition)))
            }
            EventKind::Acked { producer, instance, partition, records, offset, broker, leader_epoch } => {
                records.iter().position(|i| mine(producer, i)).map(|k| {
                    let who = producer_instance(history, *producer, *instance);
                    let at_offset = if *offset < 0 { String::new() } else { format!(" offset {}", offset + k as i64) };
                    format!(
                        "{at} ms: {who} got its acknowledgement: {}{at_offset}, from broker {broker} (epoch {leader_epoch})",
                        partition_name(history, *partition)
                    )
                })
            }
            EventKind::Failed { producer, instance, partition, records, error, maybe_written }
                if records.iter().any(|i| mine(producer, i)) =>
            {
                let who = producer_instance(history, *producer, *instance);
                let maybe = if *maybe_written { " (maybe written)" } else { "" };
                Some(format!("{at} ms: {who}'s send to {} failed with {error}{maybe}", partition_name(history, *partition)))
            }
            EventKind::TxnEnded { producer, instance, txn, commit, records, result }
                if records.iter().any(|i| mine(producer, i)) =>
            {
                let who = producer_instance(history, *producer, *instance);
                let how = match (commit, result) {
                    (true, Ok(())) => "committed".to_string(),
                    (false, Ok(())) => "aborted".to_string(),
                    (c, Err(e)) => format!("{} failed with {e}", if *c { "commit" } else { "abort" }),
                };
                Some(format!("{at} ms: {who}'s transaction {txn} holding it {how}"))
            }
            EventKind::Polled { consumer, instance, records } | EventKind::Processed { consumer, instance, records } => {
                records.iter().find(|d| d.record == record).map(|d| {
                    let verb = if matches!(ev.kind, EventKind::Polled { .. }) { "polled" } else { "processed" };
                    format!(
                        "{at} ms: {} {verb} it at {} offset {}",
                        instance_name(history, *consumer, *instance),
                        partition_name(history, d.partition),
                        d.offset
                    )
                })
            }
            _ => None,
        };
        out.extend(line);
    }
    let txns = TxnLogs::build(history);
    let before = out.len();
    for (x, part) in history.partitions.iter().enumerate().filter(|(_, p)| !p.is_internal()) {
        for r in &part.replicas {
            for (bi, b) in r.log.iter().enumerate() {
                let Some(k) =
                    (b.producer == record.producer).then(|| b.records.iter().position(|&i| i == record.index))
                else {
                    continue;
                };
                let Some(k) = k else { continue };
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
                out.push(format!(
                    "at the end: broker {} holds it at {} offset {offset}{view}",
                    r.broker,
                    partition_name(history, x as u32)
                ));
            }
        }
    }
    if out.len() == before {
        out.push("at the end: no replica's log holds it".to_string());
    }
    for f in findings.iter().filter(|f| f.subject == name || f.explanation.contains(&format!("{name} "))) {
        out.push(format!("{}: {}", f.anomaly.name(), f.explanation));
    }
    out
}
