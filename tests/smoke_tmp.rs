use kafkasim::scenario::*;
use kafkasim::world::{run, RunOptions};
use kafkasim::check::EventKind;

fn base() -> Scenario {
    let mut s = Scenario::default();
    s.name = "smoke".into();
    s.topics.push(TopicSpec { name: "orders".into(), partitions: 1, replication_factor: 3, min_insync_replicas: None, unclean_leader_election_enable: None, flush_messages: None });
    s.producers.push(ProducerSpec::new("p1", "orders", 1000));
    s
}

fn summarize(s: &Scenario) { summarize_seed(s, 1); }
fn summarize_seed(s: &Scenario, seed: u64) -> (usize, usize) {
    let out = run(s, seed, RunOptions { trace: false });
    let mut acked = 0; let mut failed = 0; let mut sent = 0;
    for e in &out.history.events {
        match &e.kind {
            EventKind::Acked { records, .. } => acked += records.len(),
            EventKind::Failed { records, .. } => failed += records.len(),
            EventKind::Sent { records, .. } => sent += records.len(),
            EventKind::Fault{..} | EventKind::Healed{..} | EventKind::LeaderChange{..} => println!("{:>7} {:?}", e.at, e.kind),
            _ => {}
        }
    }
    // quick loss/dup check
    let mut acked_set = std::collections::BTreeSet::new();
    for e in &out.history.events { if let EventKind::Acked { producer, records, .. } = &e.kind { for r in records.iter() { acked_set.insert((*producer, *r)); } } }
    let mut inlog = std::collections::BTreeMap::new();
    let mut order_viol = 0;
    for p in &out.history.partitions { if let Some(l) = p.leader_replica() { let mut last = std::collections::BTreeMap::new(); for b in &l.log { for r in b.records.iter() { *inlog.entry((b.producer, *r)).or_insert(0) += 1; let e = last.entry(b.instance).or_insert(0u32); if *r < *e { order_viol += 1; } *e = (*e).max(*r); } } } }
    let lost = acked_set.iter().filter(|k| !inlog.contains_key(k)).count();
    let dups = inlog.values().filter(|&&c| c > 1).count();
    println!("LOST {lost} DUPS {dups} REORDER {order_viol}");
    println!("hash {:016x} virtual {} events {} sent {sent} acked {acked} failed {failed}", out.trace_hash, out.virtual_ms, out.events);
    for p in &out.history.partitions {
        println!("{} leader {:?} epoch {} isr {:?}", p.name(), p.leader, p.leader_epoch, p.isr);
        for r in &p.replicas { println!("  b{} alive {} leo {} hw {} batches {}", r.broker, r.alive, r.leo, r.hw, r.log.len()); }
    }
    (lost, dups)
}

#[test]
fn smoke_no_faults() { summarize(&base()); }

#[test]
fn smoke_acks1_leader_crash() {
    let mut s = base();
    s.producers[0].config.acks = Acks::One;
    s.producers[0].config.enable_idempotence = false;
    s.faults.push(FaultSpec { trigger: Trigger::AtMs(400), action: FaultAction::Crash, target: Target::Leader { topic: "orders".into(), partition: 0 }, restart_after_ms: Some(2000), duration_ms: None });
    summarize(&s);
}

fn leader0() -> Target { Target::Leader { topic: "orders".into(), partition: 0 } }
fn fault(trigger: Trigger, action: FaultAction, target: Target, restart: Option<u64>, dur: Option<u64>) -> FaultSpec { FaultSpec { trigger, action, target, restart_after_ms: restart, duration_ms: dur } }

#[test]
fn smoke_acks0() {
    let mut s = base();
    s.producers[0].config.acks = Acks::Zero;
    s.producers[0].config.enable_idempotence = false;
    s.faults.push(fault(Trigger::AtMs(400), FaultAction::Crash, leader0(), Some(2000), None));
    summarize(&s);
}

#[test]
fn smoke_dup_isolate_producer() {
    for idem in [false, true] {
        let mut s = base();
        s.producers[0].config.enable_idempotence = idem;
        s.faults.push(fault(Trigger::Record { producer: 0, index: 17, event: RecordEvent::Appended }, FaultAction::Isolate, Target::Producer(0), None, Some(100)));
        println!("idempotence {idem}");
        summarize(&s);
    }
}

#[test]
fn smoke_reorder() {
    for idem in [false, true] {
        let mut s = base();
        s.producers[0].config.enable_idempotence = idem;
        s.producers[0].config.linger_ms = 0;
        s.faults.push(fault(Trigger::Record { producer: 0, index: 17, event: RecordEvent::Sent }, FaultAction::Isolate, Target::Producer(0), None, Some(1)));
        println!("idempotence {idem}");
        summarize(&s);
    }
}

#[test]
fn smoke_unclean() {
    let mut s = base();
    s.duration_ms = 120_000;
    s.cluster.config.unclean_leader_election_enable = true;
    s.producers[0].records = 30000;
    s.faults.push(fault(Trigger::AtMs(100), FaultAction::Crash, Target::Broker(2), Some(40_000), None));
    s.faults.push(fault(Trigger::AtMs(100), FaultAction::Crash, Target::Broker(3), Some(40_000), None));
    s.faults.push(fault(Trigger::AtMs(20_000), FaultAction::Crash, Target::Broker(1), None, None));
    summarize(&s);
}

#[test]
fn smoke_min_isr() {
    let mut s = base();
    s.topics[0].min_insync_replicas = Some(2);
    s.producers[0].records = 5000;
    s.faults.push(fault(Trigger::AtMs(200), FaultAction::Crash, Target::Broker(2), Some(20_000), None));
    s.faults.push(fault(Trigger::AtMs(200), FaultAction::Crash, Target::Broker(3), Some(20_000), None));
    summarize(&s);
}

#[test]
fn smoke_nemesis_sweep() {
    let mut s = base();
    s.topics[0].min_insync_replicas = Some(2);
    s.nemesis = Some(NemesisSpec { actions: vec![FaultAction::Crash, FaultAction::PowerLoss, FaultAction::Isolate, FaultAction::Pause], targets: vec![TargetClass::Brokers], interval_ms: (500, 3000), restart_after_ms: (500, 5000), duration_ms: (500, 5000), safe_power_loss: true, ..Default::default() });
    let (mut tl, mut td) = (0, 0);
    for seed in 1..=50 { let (l, d) = summarize_seed(&s, seed); tl += l; td += d; if l > 0 || d > 0 { println!("SEED {seed} lost {l} dup {d}"); } }
    println!("TOTAL lost {tl} dup {td}");
}
#[test]
fn smoke_dbg_idem() {
    let mut s = base();
    s.producers[0].config.enable_idempotence = true;
    s.faults.push(fault(Trigger::Record { producer: 0, index: 17, event: RecordEvent::Appended }, FaultAction::Isolate, Target::Producer(0), None, Some(100)));
    let out = run(&s, 1, RunOptions { trace: true });
    for l in out.trace.iter().filter(|l| l.contains("producer#0") && !l.contains("Tick")).skip(20).take(60) { println!("{l}"); }
    for e in out.history.events.iter().take(60) { println!("{:>7} {:?}", e.at, e.kind); }
}
#[test]
fn smoke_report_acks1() {
    let mut s = base();
    s.producers[0].config.acks = Acks::One;
    s.producers[0].config.enable_idempotence = false;
    s.faults.push(fault(Trigger::AtMs(400), FaultAction::Crash, leader0(), Some(2000), None));
    let (r, _) = kafkasim::run_seed(&s, 1, RunOptions::default());
    println!("{}", kafkasim::report::text::to_text(&r));
    println!("{}", kafkasim::report::json::to_json_line(&r));
}
#[test]
fn smoke_report_unclean() {
    let mut s = base();
    s.cluster.config.unclean_leader_election_enable = true;
    s.producers[0].records = 30000;
    s.faults.push(fault(Trigger::AtMs(100), FaultAction::Crash, Target::Broker(2), Some(40_000), None));
    s.faults.push(fault(Trigger::AtMs(100), FaultAction::Crash, Target::Broker(3), Some(40_000), None));
    s.faults.push(fault(Trigger::AtMs(20_000), FaultAction::Crash, Target::Broker(1), None, None));
    let (r, out) = kafkasim::run_seed(&s, 1, RunOptions::default());
    for e in out.history.events.iter().filter(|e| !matches!(e.kind, EventKind::Sent{..} | EventKind::Acked{..})).take(30) { println!("{:>7} {:?}", e.at, e.kind); }
    println!("{}", kafkasim::report::text::to_text(&r));
}
#[test]
fn smoke_dbg_unclean() {
    let mut s = base();
    s.cluster.config.unclean_leader_election_enable = true;
    s.producers[0].records = 30000;
    s.faults.push(fault(Trigger::AtMs(100), FaultAction::Crash, Target::Broker(2), Some(40_000), None));
    s.faults.push(fault(Trigger::AtMs(100), FaultAction::Crash, Target::Broker(3), Some(40_000), None));
    s.faults.push(fault(Trigger::AtMs(20_000), FaultAction::Crash, Target::Broker(1), None, None));
    let out = run(&s, 1, RunOptions::default());
    let mut acked_before = 0; let mut first_ack_after = None;
    for e in &out.history.events { if let EventKind::Acked { records, .. } = &e.kind { if e.at < 20000 { acked_before += records.len(); } else if first_ack_after.is_none() { first_ack_after = Some(e.at); } } }
    println!("acked before 20000: {acked_before}, first ack after {first_ack_after:?}");
    for p in &out.history.partitions { for r in &p.replicas { println!("b{} leo {} first batches {:?}", r.broker, r.leo, r.log.iter().take(3).map(|b| (b.base_offset, b.leader_epoch, b.records.len(), b.records[0])).collect::<Vec<_>>()); } }
}
