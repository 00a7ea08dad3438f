//! `[[service]]` in scenario files (issue 12, stage 2): loaded with positions, written back,
//! validated, targeted by faults, and replayed with the user's code (`app::replay`).

mod common;

use std::time::Duration;

use common::{kafkasim, temp_file};
use kafkasim::app::{self, Apps, ReplayError};
use kafkasim::rdkafka::config::ClientConfig;
use kafkasim::rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use kafkasim::rdkafka::message::Message;
use kafkasim::rdkafka::producer::{FutureProducer, FutureRecord};
use kafkasim::record::Anomaly;
use kafkasim::scenario::{parse_str, to_toml, Target};

const BASE: &str = r#"name = "svc"
duration_ms = 60000

[[topic]]
name = "orders"
partitions = 1
replication_factor = 3

[[topic]]
name = "shipments"
partitions = 1
replication_factor = 3

[[producer]]
name = "p1"
topic = "orders"
records = 20

[[producer]]
name = "out"
topic = "shipments"
records = 1000

[[consumer]]
name = "c1"
group = "g1"
topics = ["orders"]
commit = "after-processing"
[consumer.config]
"auto.offset.reset" = "earliest"
"#;

fn file(rest: &str) -> String {
    format!("{BASE}\n{rest}")
}

fn error(rest: &str) -> String {
    parse_str(&file(rest), "s.toml").expect_err("the file must be refused").to_string()
}

#[test]
fn a_service_table_loads_with_its_fault_target_and_writes_back_equal() {
    let text = file(
        "[[service]]\nname = \"svc\"\nproducers = [\"out\"]\nconsumers = [\"c1\"]\n\n\
         [[fault]]\nat_ms = 30\naction = \"crash\"\ntarget = \"service:svc/0\"\nrestart_after_ms = 500\n",
    );
    let s = parse_str(&text, "s.toml").unwrap();
    assert_eq!(s.services.len(), 1);
    assert_eq!(s.services[0].producers, ["out"]);
    assert_eq!(s.services[0].consumers, ["c1"]);
    assert_eq!(s.faults[0].target, Target::Service { service: 0, instance: Some(0) });
    assert_eq!(s.target_text(&s.faults[0].target), "service:svc/0", "printed as the file spells it");
    let written = to_toml(&s);
    assert!(written.contains("[[service]]"), "{written}");
    assert_eq!(parse_str(&written, "w.toml").unwrap(), s);
}

#[test]
fn a_service_owning_an_unknown_table_is_refused_at_the_name_with_the_nearest() {
    let e = error("[[service]]\nname = \"svc\"\nconsumers = [\"c2\"]\n");
    assert!(e.contains("`c2` names no [[consumer]] table; did you mean `c1`?"), "{e}");
    let line = BASE.lines().count() + 4;
    assert!(e.starts_with(&format!("s.toml:{line}:14:")), "{e}");
}

#[test]
fn a_producer_named_as_a_consumer_table_is_refused_naming_its_kind() {
    let e = error("[[service]]\nname = \"svc\"\nconsumers = [\"out\"]\n");
    assert!(e.contains("`out` is a producer, not a consumer"), "{e}");
}

#[test]
fn a_table_owned_by_two_services_is_refused_with_the_first_owners_line() {
    let e =
        error("[[service]]\nname = \"a\"\nconsumers = [\"c1\"]\n\n[[service]]\nname = \"b\"\nconsumers = [\"c1\"]\n");
    assert!(e.contains("consumer `c1` is owned by service `a` already (line"), "{e}");
}

#[test]
fn a_service_whose_instances_differ_from_its_consumer_tables_is_refused() {
    let e = error("[[service]]\nname = \"svc\"\ninstances = 2\nconsumers = [\"c1\"]\n");
    assert!(e.contains("consumer `c1` runs 1 instance(s) but service `svc` runs 2"), "{e}");
}

#[test]
fn a_service_owning_a_producer_with_two_instances_is_refused() {
    let e = error("[[service]]\nname = \"svc\"\ninstances = 2\nproducers = [\"out\"]\n");
    assert!(e.contains("owns producer tables, so it runs 1 instance"), "{e}");
}

#[test]
fn a_service_owning_nothing_is_refused() {
    let e = error("[[service]]\nname = \"svc\"\n");
    assert!(e.contains("service `svc` owns no client"), "{e}");
}

#[test]
fn an_unknown_key_of_a_service_is_refused_with_the_nearest() {
    let e = error("[[service]]\nname = \"svc\"\nconsumer = [\"c1\"]\n");
    assert!(e.contains("did you mean `consumers`?"), "{e}");
}

#[test]
fn a_fault_on_an_unknown_service_is_refused_with_the_nearest() {
    let e = error(
        "[[service]]\nname = \"svc\"\nconsumers = [\"c1\"]\n\n\
         [[fault]]\nat_ms = 30\naction = \"crash\"\ntarget = \"service:svd\"\n",
    );
    assert!(e.contains("`svd` names no service; did you mean `svc`?"), "{e}");
}

#[test]
fn a_fault_on_a_service_instance_it_does_not_run_is_refused() {
    let e = error(
        "[[service]]\nname = \"svc\"\nconsumers = [\"c1\"]\n\n\
         [[fault]]\nat_ms = 30\naction = \"crash\"\ntarget = \"service:svc/3\"\n",
    );
    assert!(e.contains("svc"), "{e}");
    assert!(e.contains('3'), "{e}");
}

#[test]
fn a_power_loss_of_a_service_is_refused() {
    let e = error(
        "[[service]]\nname = \"svc\"\nconsumers = [\"c1\"]\n\n\
         [[fault]]\nat_ms = 30\naction = \"power-loss\"\ntarget = \"service:svc\"\n",
    );
    assert!(e.contains("power-loss applies to brokers"), "{e}");
}

const SERVICE: &str = "[[service]]\nname = \"svc\"\nproducers = [\"out\"]\nconsumers = [\"c1\"]\n\n\
                       [[fault]]\nat_ms = 30\naction = \"crash\"\ntarget = \"service:svc\"\nrestart_after_ms = 500\n";

/// At-least-once consume-transform-produce, looping on `recv()` forever.
async fn transform() {
    let consumer: StreamConsumer =
        ClientConfig::new().set("group.id", "g1").set("bootstrap.servers", "sim").create().expect("consumer");
    consumer.subscribe(&["orders"]).expect("subscribe");
    let producer: FutureProducer = ClientConfig::new().set("bootstrap.servers", "sim").create().expect("producer");
    loop {
        let Ok(msg) = consumer.recv().await else { continue };
        let value = format!("shipped {}", String::from_utf8_lossy(msg.payload().unwrap_or_default()));
        if producer.send(FutureRecord::to("shipments").key("k").payload(&value), Duration::from_secs(5)).await.is_ok() {
            consumer.commit_message(&msg, CommitMode::Sync).expect("commit");
        }
    }
}

#[test]
fn replay_runs_a_saved_file_with_the_users_code_and_settles() {
    let path = temp_file("service-replay.toml", &file(SERVICE));
    let (report, out) = app::replay(&path, 1, &Apps::new().service("svc", transform)).unwrap();
    assert_eq!(report.seed, 1);
    assert!(out.history.end.settled, "{:?}", out.history.end.waiting);
    assert_eq!(report.anomalies[Anomaly::LostProcessing], 0);
    assert_eq!(report.consumers["c1"].distinct, 20);
    let again = app::replay(&path, 1, &Apps::new().service("svc", transform)).unwrap().1;
    assert_eq!(out.trace_hash, again.trace_hash);
}

#[test]
fn replay_without_the_services_code_is_an_error_naming_the_service() {
    let path = temp_file("service-nocode.toml", &file(SERVICE));
    let e = app::replay(&path, 1, &Apps::new()).unwrap_err();
    assert!(matches!(&e, ReplayError::NoCode { service, .. } if service == "svc"), "{e}");
    assert!(e.to_string().contains("Apps::service(\"svc\""), "{e}");
}

#[test]
fn run_seed_refuses_a_scenario_with_services_saying_how_to_replay_it() {
    let s = parse_str(&file(SERVICE), "s.toml").unwrap();
    let e = kafkasim::run_seed(&s, 1, kafkasim::RunOptions::default()).unwrap_err();
    assert!(e.to_string().contains("kafkasim::app::replay"), "{e}");
}

#[test]
fn kafkasim_run_on_a_file_with_services_exits_two_naming_the_service_and_replay() {
    let path = temp_file("service-cli.toml", &file(SERVICE));
    let (code, out, err) = kafkasim(&["run", &path]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(out.is_empty(), "nothing is run: {out}");
    assert!(err.contains("[[service]] `svc`") && err.contains("kafkasim::app::replay("), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}
