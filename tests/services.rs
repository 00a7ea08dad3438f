//! Services (issue 12, stage 1): rdkafka-shaped user code inside the simulated cluster, its
//! clients crashed together, judged by the checker (docs/services.md).

use std::time::Duration;

use kafkasim::app::{self, Apps};
use kafkasim::rdkafka::config::ClientConfig;
use kafkasim::rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use kafkasim::rdkafka::message::{Headers, Message, RECORD_HEADER};
use kafkasim::rdkafka::producer::{FutureProducer, FutureRecord};
use kafkasim::record::Anomaly;
use kafkasim::scenario::{
    ConsumerSpec, FaultAction, FaultSpec, ProducerSpec, Scenario, ServiceSpec, Target, TopicSpec, Trigger,
};
use kafkasim::RunOptions;

/// orders (20 records of p1) → service `svc` (consumer c1, producer out) → shipments.
fn scenario(crash_at: Option<u64>) -> Scenario {
    let mut s =
        Scenario { name: "consume-transform-produce service".into(), duration_ms: 60_000, ..Scenario::default() };
    s.topics.push(TopicSpec::new("orders", 1, 3));
    s.topics.push(TopicSpec::new("shipments", 1, 3));
    s.producers.push(ProducerSpec::new("p1", "orders", 20));
    s.producers.push(ProducerSpec::new("out", "shipments", 1_000));
    s.consumers.push(ConsumerSpec::new("c1", "g1", "orders"));
    s.services.push(ServiceSpec::new("svc").producer("out").consumer("c1"));
    if let Some(at) = crash_at {
        s.faults.push(FaultSpec {
            trigger: Trigger::AtMs(at),
            action: FaultAction::Crash,
            target: Target::Service { service: 0, instance: None },
            restart_after_ms: Some(500),
            duration_ms: None,
            pin: false,
        });
    }
    s
}

/// At-least-once: recv, produce the transformed record and wait for its delivery, commit.
async fn transform() {
    let consumer: StreamConsumer =
        ClientConfig::new().set("group.id", "g1").set("bootstrap.servers", "sim").create().expect("consumer");
    consumer.subscribe(&["orders"]).expect("subscribe");
    let producer: FutureProducer = ClientConfig::new().set("bootstrap.servers", "sim").create().expect("producer");
    loop {
        let Ok(msg) = consumer.recv().await else { continue };
        let id = msg.headers().and_then(|h| (0..h.count()).map(|i| h.get(i)).find(|h| h.key == RECORD_HEADER));
        assert!(id.is_some(), "every consumed message names its record");
        let value = format!("shipped {}", String::from_utf8_lossy(msg.payload().unwrap_or_default()));
        let record = FutureRecord::to("shipments").key("k").payload(&value);
        if producer.send(record, Duration::from_secs(5)).await.is_ok() {
            consumer.commit_message(&msg, CommitMode::Sync).expect("commit");
        }
    }
}

fn apps() -> Apps {
    Apps::new().service("svc", transform)
}

#[test]
fn a_transform_service_processes_every_input_without_loss() {
    let (report, out) = app::run(&scenario(None), 1, RunOptions::default(), &apps()).unwrap();
    assert_eq!(report.anomalies[Anomaly::LostProcessing], 0, "{report:?}");
    assert_eq!(report.anomalies[Anomaly::LostAcked], 0);
    assert!(out.history.events.iter().any(|e| format!("{:?}", e.kind).starts_with("Acked { producer: 1")));
}

#[test]
fn a_crashed_transform_service_restarts_from_scratch_and_loses_nothing() {
    let (report, out) = app::run(&scenario(Some(30)), 1, RunOptions::default(), &apps()).unwrap();
    assert_eq!(report.anomalies[Anomaly::LostProcessing], 0, "{report:?}");
    assert_eq!(report.anomalies[Anomaly::LostAcked], 0);
    assert!(out.history.events.iter().any(|e| format!("{:?}", e.kind).starts_with("Fault")));
}

#[test]
fn a_service_run_gives_the_pinned_trace_hash_twice_in_every_build_profile() {
    let a = app::run(&scenario(Some(30)), 7, RunOptions::default(), &apps()).unwrap().1;
    let b = app::run(&scenario(Some(30)), 7, RunOptions::default(), &apps()).unwrap().1;
    assert_eq!(a.trace_hash, b.trace_hash);
    assert_eq!(a.events, b.events);
    // Pinned: the same in debug and release (CI runs this test in both).
    assert_eq!(format!("{:016x}", a.trace_hash), "3b0cf9d93f0aa4b8");
}

#[test]
fn an_unknown_config_key_is_refused_naming_the_nearest() {
    let e = ClientConfig::new().set("group.idd", "g1").create::<StreamConsumer>().unwrap_err();
    assert!(e.to_string().contains("did you mean `group.id`"), "{e}");
}

#[test]
fn a_client_created_outside_a_service_is_an_error_not_a_panic() {
    let e = ClientConfig::new().set("group.id", "g1").create::<StreamConsumer>().unwrap_err();
    assert!(matches!(e, kafkasim::rdkafka::error::KafkaError::ClientCreation(_)), "{e}");
}

#[test]
fn a_service_sleeps_in_virtual_time() {
    let mut s = scenario(None);
    s.duration_ms = 5_000;
    let apps = Apps::new().service("svc", || async {
        let t0 = kafkasim::rdkafka::util::now_ms();
        kafkasim::rdkafka::util::sleep(Duration::from_millis(1_000)).await;
        assert_eq!(kafkasim::rdkafka::util::now_ms(), t0 + 1_000);
    });
    app::run(&s, 1, RunOptions::default(), &apps).unwrap();
}

#[test]
fn a_crashed_transform_service_ships_every_order_at_least_once() {
    let (report, _) = app::run(&scenario(Some(30)), 1, RunOptions::default(), &apps()).unwrap();
    let json = kafkasim::report::json::to_json_line(&report);
    let out = &report.producers["out"];
    assert!(out.acked >= 20, "{json}");
    assert_eq!(report.consumers["c1"].distinct, 20, "{json}");
}

#[test]
fn a_delivery_has_rdkafka_0_38s_shape_partition_offset_and_timestamp() {
    // Compiles only with rdkafka 0.38+'s `Delivery` struct (0.37 and before: a tuple).
    let d = kafkasim::rdkafka::producer::Delivery {
        partition: 1,
        offset: 7,
        timestamp: kafkasim::rdkafka::message::Timestamp::CreateTime(5),
    };
    let r: kafkasim::rdkafka::producer::OwnedDeliveryResult = Ok(d);
    assert_eq!(r.map(|d| (d.partition, d.offset, d.timestamp.to_millis())).ok(), Some((1, 7, Some(5))));
}

#[test]
fn a_service_looping_on_recv_lets_the_run_settle_once_the_input_is_drained() {
    for crash in [None, Some(30)] {
        let (report, out) = app::run(&scenario(crash), 1, RunOptions::default(), &apps()).unwrap();
        assert!(out.history.end.settled, "{crash:?}: {:?}", out.history.end.waiting);
        assert!(out.virtual_ms < 60_000, "{crash:?}: ran to duration_ms");
        assert_eq!(report.consumers["c1"].distinct, 20);
    }
}

#[test]
fn a_service_whose_code_returns_lets_the_run_settle() {
    let apps = Apps::new().service("svc", || async {
        kafkasim::rdkafka::util::sleep(Duration::from_millis(100)).await;
    });
    let (_, out) = app::run(&scenario(None), 1, RunOptions::default(), &apps).unwrap();
    assert!(out.history.end.settled, "{:?}", out.history.end.waiting);
}

#[test]
fn a_service_that_only_sleeps_keeps_the_run_from_settling_and_the_report_says_so() {
    let apps = Apps::new().service("svc", || async {
        loop {
            kafkasim::rdkafka::util::sleep(Duration::from_millis(100)).await;
        }
    });
    let (_, out) = app::run(&scenario(None), 1, RunOptions::default(), &apps).unwrap();
    assert!(!out.history.end.settled);
    assert!(
        out.history.end.waiting.iter().any(|w| w.starts_with("service svc/0: a sleep of its code ends at ")),
        "{:?}",
        out.history.end.waiting
    );
}

#[test]
fn a_paused_service_processes_nothing_until_it_resumes_and_then_loses_nothing() {
    let mut s = scenario(None);
    // p1 writes one record every 500 ms, before, during and after the pause.
    s.producers[0].interval_ms = 500;
    let (from, to) = (4_000, 7_000);
    s.faults.push(FaultSpec {
        trigger: Trigger::AtMs(from),
        action: FaultAction::Pause,
        target: Target::Service { service: 0, instance: None },
        restart_after_ms: None,
        duration_ms: Some(to - from),
        pin: false,
    });
    let (report, out) = app::run(&s, 1, RunOptions::default(), &apps()).unwrap();
    let processed_at = |range: std::ops::Range<u64>| {
        out.history
            .events
            .iter()
            .filter(|e| range.contains(&e.at) && matches!(e.kind, kafkasim::record::EventKind::Processed { .. }))
            .count()
    };
    assert!(processed_at(0..from) > 0, "the service was working before the pause");
    assert_eq!(processed_at(from + 1..to), 0, "nothing is processed while the service is paused");
    assert!(processed_at(to..u64::MAX) > 0, "the service goes on once resumed");
    assert_eq!(report.anomalies[Anomaly::LostProcessing], 0);
    assert!(out.history.end.settled, "{:?}", out.history.end.waiting);
}

#[test]
fn a_service_may_spawn_tasks_that_talk_to_it_through_channels() {
    // The code's own future is polled by the simulator; a task it spawns runs on its runtime,
    // which the simulator drives while such a task lives. Here the spawned task receives the
    // orders and ships them, and the main future sleeps until it has shipped them all.
    let apps = Apps::new().service("svc", || async {
        let consumer: StreamConsumer =
            ClientConfig::new().set("group.id", "g1").set("bootstrap.servers", "sim").create().expect("consumer");
        consumer.subscribe(&["orders"]).expect("subscribe");
        let producer: FutureProducer = ClientConfig::new().set("bootstrap.servers", "sim").create().expect("producer");
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(String, i64)>();
        let shipper = tokio::spawn(async move {
            let mut shipped = 0;
            while let Some((value, _offset)) = rx.recv().await {
                let record = FutureRecord::to("shipments").key("k").payload(&value);
                producer.send(record, Duration::from_secs(5)).await.expect("shipped");
                shipped += 1;
            }
            shipped
        });
        for _ in 0..20 {
            let msg = consumer.recv().await.expect("an order");
            let value = format!("shipped {}", String::from_utf8_lossy(msg.payload().unwrap_or_default()));
            tx.send((value, msg.offset())).expect("the shipper lives");
            consumer.commit_message(&msg, CommitMode::Async).expect("commit");
        }
        drop(tx);
        assert_eq!(shipper.await.expect("the shipper returns"), 20);
    });
    let (r, out) = app::run(&scenario(None), 1, RunOptions::default(), &apps).unwrap();
    assert_eq!(r.producers["out"].acked, 20, "the spawned task shipped every order");
    assert!(out.history.end.settled);
}
