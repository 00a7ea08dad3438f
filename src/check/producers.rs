//! Per-producer outcome counts and the delivery semantic each producer's configuration promises,
//! with whether the run kept it.

use std::collections::BTreeMap;

use super::index::{Table, ACKED, BATCH_ACKED, FAILED_MAYBE, FAILED_NOT_WRITTEN, SENT, TXN_ABORTED};
use super::loss::ProducerLoss;
use super::stats::{ProducerStats, Semantic};
use crate::record::History;
use crate::scenario::{Acks, ProducerConfig, Scenario};

/// The name of producer `p`: the history's, else the scenario's.
fn name(scenario: &Scenario, history: &History, p: usize) -> String {
    history
        .producers
        .get(p)
        .or_else(|| scenario.producers.get(p).map(|s| &s.name))
        .cloned()
        .unwrap_or_else(|| format!("producer{p}"))
}

/// Outcome counts per producer, plus the number of its records that stand twice or more.
pub(crate) fn stats(scenario: &Scenario, history: &History, t: &Table) -> (BTreeMap<String, ProducerStats>, Vec<u64>) {
    let mut out = BTreeMap::new();
    let mut duplicated = vec![0u64; t.recs.len()];
    for (p, recs) in t.recs.iter().enumerate() {
        // A processor's outputs are reported with the processor.
        if t.is_output(p as u32) {
            continue;
        }
        let mut s = ProducerStats::default();
        // A run's records share their flags and copy count: each run counts its records at once.
        recs.for_each_run(|_, n, r| {
            let n = u64::from(n);
            s.sent += n * u64::from(r.has(SENT));
            // A transactional record: acked when its commit succeeded; failed when its abort
            // succeeded; indeterminate when its batch was acked but no transaction holding it
            // ended (the coordinator decides).
            if r.has(ACKED) {
                s.acked += n;
            } else if r.has(FAILED_MAYBE) || (r.has(BATCH_ACKED) && !r.has(TXN_ABORTED)) {
                s.indeterminate += n;
            } else if r.has(FAILED_NOT_WRITTEN | TXN_ABORTED) {
                s.failed += n;
            }
            duplicated[p] += n * u64::from(r.count >= 2);
        });
        out.insert(name(scenario, history, p), s);
    }
    (out, duplicated)
}

/// The delivery semantic a producer configuration promises. A transactional producer promises
/// exactly-once: atomic transactions, no committed record lost, none twice in the read_committed
/// view of the log.
pub fn promised_delivery(config: &ProducerConfig) -> &'static str {
    if config.transactional_id.is_some() {
        "exactly-once"
    } else if config.acks == Acks::Zero || config.retries == 0 {
        "at-most-once"
    } else if config.enable_idempotence {
        "exactly-once"
    } else {
        "at-least-once"
    }
}

/// Each scenario producer's promised semantic and whether it held, with the reasons it broke
/// (a torn transaction breaks exactly-once too).
pub(crate) fn semantics(
    scenario: &Scenario,
    history: &History,
    loss: &[ProducerLoss],
    duplicated: &[u64],
    torn: &[u64],
) -> BTreeMap<String, Semantic> {
    let mut out = BTreeMap::new();
    for (p, spec) in scenario.producers.iter().enumerate() {
        // A service's output table is judged with the service (`processors`).
        if history.is_output(p as u32) {
            continue;
        }
        let delivery = promised_delivery(&spec.config);
        let lost = loss.get(p).map_or(0, |l| l.lost);
        let dup = duplicated.get(p).copied().unwrap_or(0);
        let mut broken_by = Vec::new();
        if delivery != "at-most-once" && lost > 0 {
            broken_by.push(format!("{lost} acknowledged record{} lost", plural(lost)));
        }
        if delivery != "at-least-once" && dup > 0 {
            broken_by.push(format!("{dup} record{} duplicated", plural(dup)));
        }
        let torn = torn.get(p).copied().unwrap_or(0);
        if delivery == "exactly-once" && torn > 0 {
            broken_by.push(format!("{torn} committed transaction{} torn", plural(torn)));
        }
        out.insert(
            name(scenario, history, p),
            Semantic { delivery: delivery.to_string(), holds: broken_by.is_empty(), broken_by },
        );
    }
    out
}

fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
