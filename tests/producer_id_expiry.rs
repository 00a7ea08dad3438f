//! Producer-id expiry, as the bundled examples show it release by release: a partition forgets a
//! producer id idle past `producer.id.expiration.ms` (3.4+, KIP-854; before, past
//! `transactional.id.expiration.ms`), and a transaction coordinator forgets a transactional id
//! idle past `transactional.id.expiration.ms`.

use kafkasim::record::{Anomaly, KafkaVersion};
use kafkasim::scenario::{load_file, parse_str, BrokerConfig, Scenario};
use kafkasim::{run_seed, RunOptions, RunOutput};

fn example(name: &str) -> Scenario {
    load_file(std::path::Path::new(&format!("examples/scenarios/{name}.toml"))).unwrap()
}

fn run(s: &Scenario) -> (kafkasim::report::Report, RunOutput) {
    run_seed(s, s.seed, RunOptions::traced()).unwrap()
}

fn traced(out: &RunOutput, what: &str) -> bool {
    out.trace.iter().any(|l| l.contains(what))
}

#[test]
fn from_2_5_a_late_retry_after_its_producer_id_expired_is_appended_a_second_time() {
    let (report, out) = run(&example("producer-id-expired-late-retry"));
    assert_eq!(report.anomalies[Anomaly::Duplicated], 3);
    assert_eq!(report.anomalies[Anomaly::LostAcked], 0);
    assert!(!traced(&out, "UNKNOWN_PRODUCER_ID"));
}

#[test]
fn a_late_retry_within_producer_id_expiration_ms_is_recognised_as_a_duplicate() {
    let mut s = example("producer-id-expired-late-retry");
    s.cluster.config.producer_id_expiration_ms = BrokerConfig::default().producer_id_expiration_ms;
    let (report, _) = run(&s);
    assert_eq!(report.anomalies[Anomaly::Duplicated], 0, "the leader still knows the producer id");
}

#[test]
fn before_2_5_the_late_retry_is_refused_with_unknown_producer_id_and_the_producer_takes_a_new_id() {
    let (report, out) = run(&example("producer-id-expired-late-retry-2-4"));
    assert_eq!(report.anomalies[Anomaly::Duplicated], 0);
    assert!(traced(&out, "error=UNKNOWN_PRODUCER_ID"));
    assert!(traced(&out, "InitProducerId p1/0"), "resetProducerId asks for a new producer id");
    let p1 = &report.producers["p1"];
    assert!(p1.acked < 200 && p1.acked + p1.indeterminate == 200, "{p1:?}");
}

#[test]
fn before_3_4_producer_ids_expire_after_transactional_id_expiration_ms() {
    let mut s = example("producer-id-expired-late-retry-2-4");
    s.cluster.config.transactional_id_expiration_ms = BrokerConfig::default().transactional_id_expiration_ms;
    let (_, out) = run(&s);
    assert!(!traced(&out, "UNKNOWN_PRODUCER_ID"), "a week: nothing expires");
}

#[test]
fn before_2_5_a_retry_of_the_first_batch_after_its_producer_id_expired_is_appended_again() {
    let (report, _) = run(&example("producer-id-expired-first-batch-2-4"));
    assert_eq!(report.anomalies[Anomaly::Duplicated], 2);
}

#[test]
fn from_2_5_a_producer_whose_transactional_id_expired_aborts_and_starts_again_with_a_new_producer_id() {
    let (report, out) = run(&example("transactional-id-expired"));
    assert!(traced(&out, "error=INVALID_PRODUCER_ID_MAPPING"));
    assert!(!traced(&out, "EndTxn p1/0#13"), "no EndTxn for the forgotten id");
    let inits: Vec<&String> = out.trace.iter().filter(|l| l.contains("InitProducerIdResp p1/0")).collect();
    assert_eq!(inits.len(), 2, "{inits:?}");
    assert_ne!(inits[0].split("producer_id=").nth(1), inits[1].split("producer_id=").nth(1), "a new producer id");
    assert_eq!(report.producers["p1"].acked, 100);
    assert_eq!(report.anomalies[Anomaly::Duplicated], 0);
}

#[test]
fn before_2_5_an_expired_transactional_id_is_fatal_to_its_producer() {
    let (report, out) = run(&example("transactional-id-expired-2-4"));
    assert!(traced(&out, "AddPartitionsToTxnResp p1/0") && traced(&out, "error=INVALID_PRODUCER_ID_MAPPING"));
    assert!(report.producers["p1"].sent < 100, "the rest of the workload is never sent");
}

#[test]
fn producer_id_expiration_ms_before_3_4_is_an_error_that_names_its_predecessor() {
    let file =
        "name = \"t\"\n[cluster]\nkafka_version = \"3.3\"\n[cluster.config]\n\"producer.id.expiration.ms\" = 1000\n";
    let e = parse_str(file, "s.toml").unwrap_err().to_string();
    assert!(e.starts_with("s.toml:5:"), "{e}");
    assert!(e.contains("3.4 (KIP-854)") && e.contains("transactional.id.expiration.ms"), "{e}");
    let ok = file.replace("3.3", "3.4");
    assert_eq!(parse_str(&ok, "s.toml").unwrap().cluster.kafka_version, KafkaVersion::parse("3.4").unwrap());
}
