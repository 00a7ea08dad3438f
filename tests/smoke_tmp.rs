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

fn summarize(s: &Scenario) {
    let out = run(s, 1, RunOptions { trace: false });
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
    println!("hash {:016x} virtual {} events {} sent {sent} acked {acked} failed {failed}", out.trace_hash, out.virtual_ms, out.events);
    for p in &out.history.partitions {
        println!("{} leader {:?} epoch {} isr {:?}", p.name(), p.leader, p.leader_epoch, p.isr);
        for r in &p.replicas { println!("  b{} alive {} leo {} hw {} batches {}", r.broker, r.alive, r.leo, r.hw, r.log.len()); }
    }
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
