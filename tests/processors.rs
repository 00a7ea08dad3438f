//! Consume-transform-produce processors (kafka-model.md section 6.3): each output names its
//! input; `exactly_once_v2` commits outputs and offsets in one transaction, `at_least_once`
//! flushes then commits, and the history shows what each crash point does.

mod common;
use common::*;

use kafkasim::check::EventKind;
use kafkasim::scenario::{
    ClientEvent, ClientRef, FaultAction, FaultSpec, NemesisSpec, ProcessingGuarantee, ProcessorSpec, Scenario, Target,
    TargetClass, Trigger,
};

/// A 3-broker cluster, `orders` (3 partitions) fed by p1 with 300 records, and one processor
/// `s1` from `orders` to `shipments`.
fn pipeline(guarantee: ProcessingGuarantee, instances: u32) -> Scenario {
    let mut s = inline(
        r#"
name = "pipeline"
duration_ms = 120000
[cluster]
brokers = 3
[cluster.config]
"min.insync.replicas" = 2
[[topic]]
name = "orders"
partitions = 3
replication_factor = 3
[[topic]]
name = "shipments"
partitions = 3
replication_factor = 3
[[producer]]
name = "p1"
topic = "orders"
records = 300
interval_ms = 2
"#,
    );
    let mut p = ProcessorSpec::new("s1", "app", "orders", "shipments", guarantee);
    p.instances = instances;
    p.config.session_timeout_ms = 10_000;
    s.duration_ms = 300_000;
    s.processors.push(p);
    s
}

/// Output records standing in the final read_committed view of `shipments` (input numbers).
fn outputs(out: &kafkasim::RunOutput) -> Vec<u32> {
    let mut v = Vec::new();
    for p in out.history.partitions.iter().filter(|p| p.topic == "shipments") {
        let l = p.leader_replica().expect("leader");
        // Transactional batches wait for their producer's marker.
        let mut open: std::collections::BTreeMap<i64, Vec<u32>> = Default::default();
        for b in &l.log {
            if let Some(commit) = b.marker() {
                let recs = open.remove(&b.producer_id).unwrap_or_default();
                if commit {
                    v.extend(recs);
                }
            } else if b.meta.is_none() && b.producer == 1 {
                if b.transactional {
                    open.entry(b.producer_id).or_default().extend(b.records.iter().copied());
                } else {
                    v.extend(b.records.iter().copied());
                }
            }
        }
    }
    v.sort_unstable();
    v
}

/// (lost, repeated) inputs of a 300-record pipeline.
fn judge_outputs(out: &kafkasim::RunOutput) -> (usize, usize) {
    let o = outputs(out);
    let mut counts = vec![0u32; 300];
    for x in o {
        counts[x as usize] += 1;
    }
    let mut present = vec![false; 300];
    for p in out.history.partitions.iter().filter(|p| p.topic == "orders") {
        for b in &p.leader_replica().expect("leader").log {
            for &r in b.records.iter() {
                present[r as usize] = true;
            }
        }
    }
    let lost = (0..300).filter(|&i| present[i] && counts[i] == 0).count();
    (lost, counts.iter().filter(|&&c| c > 1).count())
}

fn crash_after(s: &mut Scenario, event: ClientEvent, n: u64) {
    s.faults.push(FaultSpec {
        trigger: Trigger::Client { client: ClientRef::Processor(0), event, n },
        action: FaultAction::Crash,
        target: Target::Processor { processor: 0, instance: Some(0) },
        restart_after_ms: Some(2000),
        duration_ms: None,
    });
}

#[test]
#[ignore = "scratch"]
fn scratch_crash_points() {
    for g in [ProcessingGuarantee::ExactlyOnceV2, ProcessingGuarantee::AtLeastOnce] {
        for (event, n) in [(ClientEvent::Processed, 40), (ClientEvent::Committed, 2), (ClientEvent::Polled, 3)] {
            let mut s = pipeline(g, 1);
            s.producers[0].interval_ms = 20;
            crash_after(&mut s, event, n);
            let (_, out) = judge(&s, 1);
            eprintln!("{g:?} {event:?} {n}: (lost, repeated) = {:?} virtual {}", judge_outputs(&out), out.virtual_ms);
        }
    }
}

#[test]
#[ignore = "scratch"]
fn scratch_nemesis() {
    for g in [ProcessingGuarantee::ExactlyOnceV2, ProcessingGuarantee::AtLeastOnce] {
        let mut bad = 0;
        let mut dup_seeds = 0;
        for seed in 1..=std::env::var("N").map_or(200, |v| v.parse().unwrap()) {
            let mut s = pipeline(g, 2);
            s.producers[0].interval_ms = 100;
            s.nemesis = Some(NemesisSpec {
                actions: if std::env::var("ALL").is_ok() {
                    vec![FaultAction::Crash, FaultAction::Pause, FaultAction::Isolate, FaultAction::PowerLoss]
                } else {
                    vec![FaultAction::Crash, FaultAction::Pause]
                },
                targets: vec![TargetClass::Brokers, TargetClass::Processors],
                interval_ms: (1000, 3000),
                start_ms: 500,
                stop_ms: 40000,
                restart_after_ms: (500, 3000),
                duration_ms: if std::env::var("LONG").is_ok() { (5000, 15000) } else { (500, 3000) },
                safe_power_loss: true,
            });
            let (_, out) = judge(&s, seed);
            let (lost, rep) = judge_outputs(&out);
            if rep > 0 {
                dup_seeds += 1;
            }
            if lost > 0 || (rep > 0 && g == ProcessingGuarantee::ExactlyOnceV2) {
                bad += 1;
                eprintln!("{g:?} seed {seed}: lost {lost} repeated {rep} virtual {}", out.virtual_ms);
            }
        }
        eprintln!("{g:?}: bad {bad} dup seeds {dup_seeds}");
    }
}

#[test]
#[ignore = "scratch"]
fn scratch_eos_pipeline_runs() {
    let s = pipeline(ProcessingGuarantee::ExactlyOnceV2, 2);
    let (report, out) = judge(&s, 1);
    let o = outputs(&out);
    let txns = out.history.events.iter().filter(|e| matches!(e.kind, EventKind::TxnEnded { .. })).count();
    eprintln!("virtual {} events {} outputs {} txns {}", out.virtual_ms, out.events, o.len(), txns);
    eprintln!("{}", kafkasim::report::text::to_text(&report));
    assert_eq!(o.len(), 300);
}

#[test]
#[ignore = "scratch"]
fn scratch_debug_seed() {
    let g =
        if std::env::var("G").is_ok() { ProcessingGuarantee::AtLeastOnce } else { ProcessingGuarantee::ExactlyOnceV2 };
    let mut s = pipeline(g, 2);
    s.producers[0].interval_ms = 100;
    s.nemesis = Some(NemesisSpec {
        actions: vec![FaultAction::Crash, FaultAction::Pause],
        targets: vec![TargetClass::Brokers, TargetClass::Processors],
        interval_ms: (1000, 3000),
        start_ms: 500,
        stop_ms: 40000,
        restart_after_ms: (500, 3000),
        duration_ms: (500, 3000),
        safe_power_loss: false,
    });
    let out = kafkasim::run(
        &s,
        std::env::var("SEED").map_or(3, |v| v.parse().unwrap()),
        kafkasim::RunOptions { trace: true },
    );
    for l in out.trace.iter().filter(|l| std::env::var("PAT").is_ok_and(|p| p.split(',').any(|x| l.contains(x)))) {
        eprintln!("{l}");
    }
    for e in &out.history.events {
        match &e.kind {
            EventKind::Fault { .. }
            | EventKind::Healed { .. }
            | EventKind::Assigned { .. }
            | EventKind::OffsetCommit { .. }
            | EventKind::ConsumerStarted { .. }
            | EventKind::TxnEnded { .. }
            | EventKind::ConsumerFailed { .. }
            | EventKind::LeaderChange { .. } => eprintln!("{:>6} {:?}", e.at, e.kind),
            EventKind::Polled { consumer, instance, records } => {
                eprintln!("{:>6} polled c{consumer}/{instance} {} first {:?}", e.at, records.len(), records.first())
            }
            _ => {}
        }
    }
    eprintln!("{:?} virtual {}", judge_outputs(&out), out.virtual_ms);
}
