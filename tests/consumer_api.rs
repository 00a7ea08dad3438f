//! The consumer API of a service beyond recv and commit_message (issue 12, stage 4): commits of
//! chosen offsets, librdkafka's offset store, committed(), pause/resume, stream(), and a
//! context's rebalance callbacks (docs/services.md, "Stage 4").

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kafkasim::app::{self, Apps};
use kafkasim::rdkafka::config::ClientConfig;
use kafkasim::rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance, StreamConsumer};
use kafkasim::rdkafka::error::{KafkaError, RDKafkaErrorCode};
use kafkasim::rdkafka::message::Message;
use kafkasim::rdkafka::util::{now_ms, sleep};
use kafkasim::rdkafka::{ClientContext, Offset, TopicPartitionList};
use kafkasim::record::{EventKind, History};
use kafkasim::scenario::{
    CommitMode as Placement, ConsumerSpec, FaultAction, FaultSpec, ProducerSpec, Scenario, ServiceSpec, Target,
    TopicSpec, Trigger,
};
use kafkasim::RunOptions;

/// A log the service's incarnations write into and the test reads after the run.
type Log<T> = Arc<Mutex<Vec<T>>>;

/// `topics` (name, partitions, records written by a producer of its own, one per 10 ms), read
/// by consumer table `c1` (group `g1`, every topic) of service `svc`.
fn scenario(topics: &[(&str, u32, u32)]) -> Scenario {
    let mut s = Scenario { name: "consumer api".into(), duration_ms: 60_000, ..Scenario::default() };
    for (i, &(t, partitions, records)) in topics.iter().enumerate() {
        s.topics.push(TopicSpec::new(t, partitions, 3));
        let mut p = ProducerSpec::new(&format!("p{}", i + 1), t, records);
        p.interval_ms = 10;
        s.producers.push(p);
    }
    let mut c1 = ConsumerSpec::new("c1", "g1", topics[0].0);
    c1.topics = topics.iter().map(|t| t.0.to_string()).collect();
    s.consumers.push(c1);
    s.services.push(ServiceSpec::new("svc").consumer("c1"));
    s
}

fn crash(target: Target, at: u64, restart_after_ms: Option<u64>) -> FaultSpec {
    FaultSpec {
        trigger: Trigger::AtMs(at),
        action: FaultAction::Crash,
        target,
        restart_after_ms,
        duration_ms: None,
        pin: false,
    }
}

fn consumer() -> StreamConsumer {
    let c: StreamConsumer = ClientConfig::new().set("group.id", "g1").create().expect("consumer");
    c
}

/// Every commit of `c1` that ended, in order: (offsets, ok).
fn commits(h: &History) -> Vec<(Vec<(u32, u64)>, bool)> {
    h.events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::OffsetCommit { offsets, result, .. } => Some((offsets.to_vec(), result.is_ok())),
            _ => None,
        })
        .collect()
}

#[test]
fn a_commit_of_chosen_offsets_is_where_the_restarted_service_resumes() {
    // One partition of 20 orders; the service commits offset 5 (not its position) after reading
    // offset 9, and crashes at 6 s, after reading everything (the group's first rebalance waits
    // `group.initial.rebalance.delay.ms`, 3 s).
    let mut s = scenario(&[("orders", 1, 20)]);
    s.consumers[0].config.session_timeout_ms = 6_000;
    s.consumers[0].config.heartbeat_interval_ms = 2_000;
    s.faults.push(crash(Target::Service { service: 0, instance: None }, 6_000, Some(500)));
    let (log, starts): (Log<(usize, i64)>, Arc<AtomicUsize>) = Default::default();
    let l = log.clone();
    let apps = Apps::new().service("svc", move || {
        let (log, incarnation) = (l.clone(), starts.fetch_add(1, Ordering::SeqCst));
        async move {
            let c = consumer();
            c.subscribe(&["orders"]).unwrap();
            loop {
                let m = c.recv().await.unwrap();
                log.lock().unwrap().push((incarnation, m.offset()));
                if m.offset() == 9 {
                    let mut tpl = TopicPartitionList::new();
                    tpl.add_partition_offset("orders", 0, Offset::Offset(5)).unwrap();
                    c.commit(&tpl, CommitMode::Sync).unwrap();
                }
            }
        }
    });
    let (_, out) = app::run(&s, 1, RunOptions::default(), &apps).unwrap();
    let log = log.lock().unwrap().clone();
    let first: Vec<i64> = log.iter().filter(|(i, _)| *i == 0).map(|e| e.1).collect();
    assert_eq!(first, (0..20).collect::<Vec<_>>(), "the first incarnation read every order once");
    let second: Vec<i64> = log.iter().filter(|(i, _)| *i == 1).map(|e| e.1).collect();
    assert_eq!(second, (5..20).collect::<Vec<_>>(), "the restarted service resumes at the committed offset 5");
    assert!(commits(&out.history).iter().all(|(o, ok)| *o == vec![(0, 5)] && *ok), "{:?}", commits(&out.history));
}

#[test]
fn committed_returns_what_the_service_committed_and_invalid_for_a_partition_never_committed() {
    let s = scenario(&[("orders", 2, 20)]);
    let seen: Log<Vec<(i32, Offset)>> = Default::default();
    let l = seen.clone();
    let apps = Apps::new().service("svc", move || {
        let seen = l.clone();
        async move {
            let c = consumer();
            c.subscribe(&["orders"]).unwrap();
            let m = c.recv().await.unwrap();
            let mut tpl = TopicPartitionList::new();
            tpl.add_partition_offset("orders", m.partition(), Offset::Offset(m.offset() + 7)).unwrap();
            c.commit(&tpl, CommitMode::Sync).unwrap();
            // The commit is carried out before the service's next call or sleep.
            sleep(Duration::ZERO).await;
            let got = c.committed(Duration::from_secs(1)).unwrap();
            let mut got: Vec<(i32, Offset)> = got.elements().iter().map(|e| (e.partition(), e.offset())).collect();
            got.sort_by_key(|e| e.0);
            let want = m.offset() + 7;
            seen.lock().unwrap().push(got.clone());
            seen.lock().unwrap().push(vec![(m.partition(), Offset::Offset(want))]);
        }
    });
    app::run(&s, 1, RunOptions::default(), &apps).unwrap();
    let seen = seen.lock().unwrap().clone();
    let (got, want) = (&seen[0], &seen[1][0]);
    assert_eq!(got.len(), 2, "committed() lists the assignment: {got:?}");
    for &(p, o) in got {
        if p == want.0 {
            assert_eq!(o, want.1, "{got:?}");
        } else {
            assert_eq!(o, Offset::Invalid, "never committed: {got:?}");
        }
    }
}

#[test]
fn with_librdkafka_auto_commit_only_the_offsets_the_service_stored_are_committed() {
    // Two partitions; the service stores the offsets of partition 0's messages only.
    let mut s = scenario(&[("orders", 2, 40)]);
    let mut c1 = s.consumers[0].clone().librdkafka();
    c1.commit = Placement::Auto;
    c1.config.enable_auto_commit = true;
    c1.config.enable_auto_offset_store = false;
    c1.config.auto_commit_interval_ms = 200;
    s.consumers[0] = c1;
    let errors: Log<KafkaError> = Default::default();
    let e = errors.clone();
    let apps = Apps::new().service("svc", move || {
        let errors = e.clone();
        async move {
            let c = consumer();
            c.subscribe(&["orders"]).unwrap();
            loop {
                let m = c.recv().await.unwrap();
                if m.partition() == 0 {
                    c.store_offset_from_message(&m).unwrap();
                }
                // rd_kafka_offsets_store refuses nothing here (auto store is off) but an unknown
                // partition, alone in its list.
                let mut tpl = TopicPartitionList::new();
                tpl.add_partition_offset("orders", 7, Offset::Offset(1)).unwrap();
                if let Err(err) = c.store_offsets(&tpl) {
                    errors.lock().unwrap().push(err);
                }
            }
        }
    });
    let (report, out) = app::run(&s, 1, RunOptions::default(), &apps).unwrap();
    assert!(report.settled, "{:?}", report.waiting);
    let commits = commits(&out.history);
    assert!(!commits.is_empty());
    assert!(commits.iter().all(|(o, _)| o.iter().all(|&(p, _)| p == 0)), "only stored offsets: {commits:?}");
    // Partition 0's records were all read: its last stored offset, its end, was committed.
    let end0 = out
        .history
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Polled { records, .. } => {
                records.iter().filter(|d| d.partition == 0).map(|d| d.offset + 1).max()
            }
            _ => None,
        })
        .max()
        .unwrap_or_default();
    assert!(end0 > 0);
    let last = commits.iter().rev().find(|(_, ok)| *ok).map(|(o, _)| o[0].1);
    assert_eq!(last, Some(end0), "{commits:?}");
    let errors = errors.lock().unwrap().clone();
    assert!(!errors.is_empty());
    assert!(errors.iter().all(|e| *e == KafkaError::StoreOffset(RDKafkaErrorCode::UnknownPartition)), "{errors:?}");
}

#[test]
fn store_offset_errors_are_librdkafkas_state_unknown_partition_invalid_argument_and_not_implemented_for_java() {
    let mut s = scenario(&[("orders", 1, 5), ("other", 1, 5)]);
    // c1 reads orders only; `other` exists, assigned to nobody here.
    s.consumers[0].topics = vec!["orders".into()];
    s.consumers[0] = s.consumers[0].clone().librdkafka();
    let mut java = ConsumerSpec::new("c2", "g2", "orders");
    java.topics = vec!["orders".into()];
    s.consumers.push(java);
    s.services[0] = ServiceSpec::new("svc").consumer("c1").consumer("c2");
    let got: Log<(&'static str, Result<(), KafkaError>)> = Default::default();
    let g = got.clone();
    let apps = Apps::new().service("svc", move || {
        let got = g.clone();
        async move {
            let c = consumer();
            c.subscribe(&["orders"]).unwrap();
            let java: StreamConsumer = ClientConfig::new().set("group.id", "g2").create().unwrap();
            java.subscribe(&["orders"]).unwrap();
            let m = c.recv().await.unwrap();
            let log = |what, r| got.lock().unwrap().push((what, r));
            log("not assigned", c.store_offset("other", 0, 3));
            log("unknown", c.store_offset("nope", 0, 3));
            log("assigned", c.store_offset_from_message(&m));
            let mut tpl = TopicPartitionList::new();
            tpl.add_partition_offset("orders", 0, Offset::Offset(1)).unwrap();
            log("auto store on", c.store_offsets(&tpl));
            log("java", java.store_offset("orders", 0, 1));
        }
    });
    app::run(&s, 1, RunOptions::default(), &apps).unwrap();
    let got = got.lock().unwrap().clone();
    use KafkaError::StoreOffset;
    assert_eq!(
        got,
        vec![
            ("not assigned", Err(StoreOffset(RDKafkaErrorCode::State))),
            ("unknown", Err(StoreOffset(RDKafkaErrorCode::UnknownPartition))),
            ("assigned", Ok(())),
            ("auto store on", Err(StoreOffset(RDKafkaErrorCode::InvalidArgument))),
            ("java", Err(StoreOffset(RDKafkaErrorCode::NotImplemented))),
        ]
    );
}

#[test]
fn a_paused_partition_is_not_delivered_until_it_is_resumed_and_then_nothing_of_it_is_lost() {
    // orders and returns, 10 records each written side by side; the service pauses returns at
    // its first message and resumes it once it has read all 10 orders.
    let s = scenario(&[("orders", 1, 10), ("returns", 1, 10)]);
    let log: Log<(String, i64, &'static str)> = Default::default();
    let l = log.clone();
    let apps = Apps::new().service("svc", move || {
        let log = l.clone();
        async move {
            let c = consumer();
            c.subscribe(&["orders", "returns"]).unwrap();
            let mut returns = TopicPartitionList::new();
            returns.add_partition("returns", 0);
            let (mut phase, mut orders) = ("before", 0);
            loop {
                let m = c.recv().await.unwrap();
                log.lock().unwrap().push((m.topic().to_string(), m.offset(), phase));
                if phase == "before" {
                    c.pause(&returns).unwrap();
                    phase = "paused";
                }
                orders += usize::from(m.topic() == "orders");
                if orders == 10 && phase == "paused" {
                    c.resume(&returns).unwrap();
                    phase = "resumed";
                }
            }
        }
    });
    let (report, _) = app::run(&s, 1, RunOptions::default(), &apps).unwrap();
    assert!(report.settled, "{:?}", report.waiting);
    let log = log.lock().unwrap().clone();
    let paused_returns = log.iter().filter(|(t, _, ph)| t == "returns" && *ph == "paused").count();
    assert_eq!(paused_returns, 0, "nothing of a paused partition is delivered: {log:?}");
    let paused_orders = log.iter().filter(|(t, _, ph)| t == "orders" && *ph == "paused").count();
    assert!(paused_orders > 0, "the other partition goes on: {log:?}");
    let mut r: Vec<i64> = log.iter().filter(|(t, ..)| t == "returns").map(|e| e.1).collect();
    assert!(log.iter().any(|(t, _, ph)| t == "returns" && *ph == "resumed"), "resume restarts it: {log:?}");
    r.sort_unstable();
    assert_eq!(r, (0..10).collect::<Vec<_>>(), "every return once: {log:?}");
}

/// A rebalance callback: (incarnation, virtual ms, which, partitions).
type Callback = (usize, u64, &'static str, Vec<i32>);

/// A context that logs its rebalance callbacks.
struct Recorder {
    id: usize,
    log: Log<Callback>,
}

impl ClientContext for Recorder {}

impl ConsumerContext for Recorder {
    fn pre_rebalance(&self, _: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        self.record("pre", rebalance);
    }

    fn post_rebalance(&self, _: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        self.record("post", rebalance);
    }
}

impl Recorder {
    fn record(&self, when: &'static str, rebalance: &Rebalance<'_>) {
        let (what, tpl) = match rebalance {
            Rebalance::Assign(tpl) => ("assign", tpl),
            Rebalance::Revoke(tpl) => ("revoke", tpl),
            Rebalance::Error(e) => panic!("{e}"),
        };
        let mut parts: Vec<i32> = tpl.elements().iter().map(|e| e.partition()).collect();
        parts.sort_unstable();
        let which = if when == "pre" {
            what
        } else {
            if what == "assign" {
                "assigned"
            } else {
                "revoked"
            }
        };
        self.log.lock().unwrap().push((self.id, now_ms(), which, parts));
    }
}

#[test]
fn rebalance_callbacks_name_the_partitions_when_a_second_member_joins_and_when_one_crashes() {
    // Two instances; the second creates its consumer at 8 s (the first is alone in the group by
    // then), the first crashes at 15 s. The records are all written in the first
    // 100 ms: the callbacks run without any record arriving (librdkafka serves them in poll).
    let mut s = scenario(&[("orders", 2, 10)]);
    s.consumers[0].instances = 2;
    s.consumers[0].config.session_timeout_ms = 6_000;
    s.consumers[0].config.heartbeat_interval_ms = 2_000;
    s.services[0].instances = 2;
    // Restarted only at 45 s: the run goes on past the crash's session timeout (a crash never
    // restarted is healed at once, and the run may end before the group notices).
    s.faults.push(crash(Target::Service { service: 0, instance: Some(0) }, 15_000, Some(30_000)));
    let (log, starts): (Log<Callback>, Arc<AtomicUsize>) = Default::default();
    let l = log.clone();
    let apps = Apps::new().service("svc", move || {
        let (log, id) = (l.clone(), starts.fetch_add(1, Ordering::SeqCst));
        async move {
            if id == 1 {
                sleep(Duration::from_millis(8_000)).await;
            }
            let c: StreamConsumer<Recorder> =
                ClientConfig::new().set("group.id", "g1").create_with_context(Recorder { id, log }).unwrap();
            c.subscribe(&["orders"]).unwrap();
            let mut stream = c.stream();
            while let Some(m) = stream.next().await {
                m.unwrap();
            }
        }
    });
    app::run(&s, 1, RunOptions::default(), &apps).unwrap();
    let log = log.lock().unwrap().clone();
    let of = |id: usize| -> Vec<(u64, &'static str, Vec<i32>)> {
        log.iter().filter(|e| e.0 == id).map(|e| (e.1, e.2, e.3.clone())).collect()
    };
    let (first, second) = (of(0), of(1));
    // Each callback runs pre then post with the same partitions.
    for l in [&first, &second] {
        for pair in l.chunks(2) {
            let want = if pair[0].1 == "assign" { "assigned" } else { "revoked" };
            assert_eq!((pair[1].1, &pair[1].2), (want, &pair[0].2), "{l:?}");
        }
    }
    let pre = |l: &[(u64, &'static str, Vec<i32>)]| -> Vec<(&'static str, Vec<i32>)> {
        l.iter().filter(|e| e.1 == "assign" || e.1 == "revoke").map(|e| (e.1, e.2.clone())).collect()
    };
    // The first member: everything, then (eager) everything revoked and one partition back.
    let f = pre(&first);
    assert_eq!(f.len(), 3, "{first:?}");
    assert_eq!(f[0], ("assign", vec![0, 1]), "{first:?}");
    assert_eq!(f[1], ("revoke", vec![0, 1]), "{first:?}");
    assert_eq!(f[2].0, "assign");
    assert_eq!(f[2].1.len(), 1);
    assert!(first[0].0 < 8_000 && first[2].0 >= 8_000, "{first:?}");
    // The second: the other partition, then after the first's crash, its revocation and both.
    let g = pre(&second);
    assert!(g.len() >= 3, "{second:?}");
    assert_eq!(g[0].0, "assign");
    let mut union = [f[2].1.clone(), g[0].1.clone()].concat();
    union.sort_unstable();
    assert_eq!(union, vec![0, 1], "disjoint and complete: {first:?} {second:?}");
    assert_eq!(g[1], ("revoke", g[0].1.clone()), "{second:?}");
    assert_eq!(g[2], ("assign", vec![0, 1]), "{second:?}");
    assert!(second[4].0 > 15_000 && second[4].0 < 45_000, "after the crash, before its restart: {second:?}");
}

#[test]
fn assign_of_the_groups_assignment_is_accepted_and_any_other_is_refused_as_manual_assignment() {
    let s = scenario(&[("orders", 2, 4)]);
    let got: Log<(bool, bool)> = Default::default();
    let g = got.clone();
    let apps = Apps::new().service("svc", move || {
        let got = g.clone();
        async move {
            let c = consumer();
            c.subscribe(&["orders"]).unwrap();
            c.recv().await.unwrap();
            let same = c.assignment().unwrap();
            let mut other = TopicPartitionList::new();
            other.add_partition("orders", 0);
            got.lock().unwrap().push((c.assign(&same).is_ok(), c.assign(&other).is_ok()));
        }
    });
    app::run(&s, 1, RunOptions::default(), &apps).unwrap();
    assert_eq!(got.lock().unwrap().clone(), vec![(true, false)]);
}

/// A context that counts the commits its consumer reports (`commit_callback`).
struct Commits(Log<Result<(), KafkaError>>);

impl ClientContext for Commits {}

impl ConsumerContext for Commits {
    fn commit_callback(&self, result: kafkasim::rdkafka::error::KafkaResult<()>, offsets: &TopicPartitionList) {
        assert!(offsets.count() > 0);
        self.0.lock().unwrap().push(result);
    }
}

/// At least once with `stream()`: read an order, ship it, await the delivery, `commit_message`.
async fn streaming_shipper(commits: Log<Result<(), KafkaError>>) {
    use kafkasim::rdkafka::producer::{FutureProducer, FutureRecord};
    let consumer: StreamConsumer<Commits> = ClientConfig::new()
        .set("group.id", "g1")
        .set("enable.auto.commit", "false")
        .create_with_context(Commits(commits))
        .expect("consumer");
    consumer.subscribe(&["orders"]).unwrap();
    let producer: FutureProducer = ClientConfig::new().create().expect("producer");
    let mut stream = consumer.stream();
    while let Some(msg) = stream.next().await {
        let msg = msg.unwrap();
        let key = format!("{}/{}", msg.partition(), msg.offset());
        while producer
            .send(FutureRecord::to("shipments").key(&key).payload("shipped"), Duration::from_secs(5))
            .await
            .is_err()
        {}
        consumer.commit_message(&msg, CommitMode::Sync).unwrap();
    }
}

/// orders (2 partitions, 40 records) → `svc` (consumer c1, output out) → shipments, on 3
/// brokers, under `crashes` (target 0: the service; 1..=3 a broker; at ms; restart after ms).
fn shipping(crashes: &[(u32, u64, u64)]) -> Scenario {
    let mut s = scenario(&[("orders", 2, 40)]);
    s.cluster.brokers = 3;
    s.cluster.config.min_insync_replicas = 2;
    s.topics.push(TopicSpec::new("shipments", 2, 3));
    s.producers.push(ProducerSpec::new("out", "shipments", 40));
    s.consumers[0].config.session_timeout_ms = 6_000;
    s.consumers[0].config.heartbeat_interval_ms = 2_000;
    s.services[0] = ServiceSpec::new("svc").consumer("c1").output("out");
    for &(target, at, after) in crashes {
        let target = if target == 0 { Target::Service { service: 0, instance: None } } else { Target::Broker(target) };
        s.faults.push(crash(target, at, Some(after)));
    }
    s
}

#[test]
fn an_at_least_once_service_written_with_stream_and_commit_message_loses_nothing_under_crashes() {
    use kafkasim::record::Anomaly;
    use proptest::prelude::*;
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    let config = Config { cases: 12, failure_persistence: None, ..Config::default() };
    let mut runner = TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha));
    let crash = (0u32..=3, 0u64..5_000, 100u64..=2_000);
    let seen_commits: Log<Result<(), KafkaError>> = Default::default();
    let sc = seen_commits.clone();
    let apps = Apps::new().service("svc", move || streaming_shipper(sc.clone()));
    runner
        .run(&(prop::collection::vec(crash, 0..=3), 0u64..100), |(crashes, seed)| {
            let (r, _) = app::run(&shipping(&crashes), seed, RunOptions::default(), &apps).unwrap();
            prop_assert_eq!(r.anomalies[Anomaly::LostProcessing], 0, "an order was never shipped");
            prop_assert_eq!(r.anomalies[Anomaly::LostAcked], 0);
            prop_assert_eq!(r.processors["svc"].distinct, 40);
            Ok(())
        })
        .unwrap();
    // The context heard of the commits (commit_callback), and most succeeded.
    let commits = seen_commits.lock().unwrap().clone();
    assert!(commits.iter().filter(|r| r.is_ok()).count() >= 40, "{}", commits.len());
}
