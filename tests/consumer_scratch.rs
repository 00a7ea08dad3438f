use kafkasim::check::EventKind;
use kafkasim::scenario::*;
use kafkasim::{run, RunOptions};

#[test]
fn scratch() {
    let mut s = Scenario::default();
    s.topics.push(TopicSpec::new("orders", 2, 3));
    s.producers.push(ProducerSpec::new("p1", "orders", 200));
    let mut c = ConsumerSpec::new("c1", "g1", "orders");
    c.instances = 2;
    s.consumers.push(c);
    let out = run(&s, 1, RunOptions { trace: true });
    let mut polled = 0;
    let mut processed = 0;
    for e in &out.history.events {
        match &e.kind {
            EventKind::Polled { records, .. } => polled += records.len(),
            EventKind::Processed { records, .. } => processed += records.len(),
            EventKind::ProducerStarted{..} | EventKind::Sent{..} | EventKind::Acked{..} => {}
            k => println!("{} {:?}", e.at, k),
        }
    }
    println!("polled {polled} processed {processed} virtual {} events {}", out.virtual_ms, out.events);
    for l in out.trace.iter().filter(|l| l.contains("Group") || l.contains("Join") || l.contains("Sync") || l.contains("Coordinator")).take(40) { println!("{l}"); }
}
