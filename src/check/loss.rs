//! `lost_acked` and `unavailable`: acknowledged records missing from the final log of the
//! partition they were acknowledged on, told apart by whether that partition has a leader.

use super::history::{EventKind, History};
use super::index::{
    final_log, holds_phrase, partition_name, record_name, story_after, stranded_copies, Table, ACKED,
    PRESENT_IN_ACK_PARTITION,
};
use super::{Finding, FINDINGS_CAP};

/// Counts of one producer's acknowledged records that the final logs do not show.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ProducerLoss {
    /// Missing from an online partition.
    pub lost: u64,
    /// On an offline partition.
    pub unavailable: u64,
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
pub(crate) fn check(history: &History, t: &Table) -> Loss {
    let mut out = Loss { per_producer: vec![ProducerLoss::default(); t.recs.len()], ..Loss::default() };
    for (p, recs) in t.recs.iter().enumerate() {
        for (i, r) in recs.iter().enumerate() {
            if !r.has(ACKED) || r.has(PRESENT_IN_ACK_PARTITION) {
                continue;
            }
            let online = t.online.get(r.ack_partition as usize).copied().unwrap_or(false);
            if online {
                out.lost_acked += 1;
                out.per_producer[p].lost += 1;
                if out.findings.len() < FINDINGS_CAP {
                    out.findings.push(explain(history, t, p as u32, i as u32, true));
                }
            } else {
                out.unavailable += 1;
                out.per_producer[p].unavailable += 1;
                if out.unavailable_findings.len() < FINDINGS_CAP {
                    out.unavailable_findings.push(explain(history, t, p as u32, i as u32, false));
                }
            }
        }
    }
    out
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
    if r.count > 0 && r.first_partition != partition {
        parts.push(format!(
            "it stands at {} offset {} instead",
            partition_name(history, r.first_partition),
            r.first_offset
        ));
    }
    Finding { anomaly: if online { "lost_acked" } else { "unavailable" }, subject: name, explanation: parts.join("; ") }
}
