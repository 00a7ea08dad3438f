//! Bug: the controller accepted a restarted broker's registration at once and fenced the old
//! incarnation right then, so brokers left the ISR in the order they *restarted*, not in the
//! order their sessions expired. Scenario (acks-all-nemesis-sweep, seeds 92, 157 and 179): a
//! broker lost power while every replica was in sync (allowed by `safe_power_loss`) and stayed
//! down longest; the two others crashed later but restarted first, and each re-registration
//! dropped a broker with a complete log from the ISR. The power-lost broker, whose old
//! incarnation the controller had not fenced yet, became the last ISR member and was elected
//! with an empty log: up to 271 acknowledged records lost. Kafka's
//! `ClusterControlManager.registerBroker` refuses a new incarnation with
//! DUPLICATE_BROKER_REGISTRATION while the old one's session is alive; the broker retries, and
//! only the session expiry (`broker.session.timeout.ms`) fences the old incarnation, so the
//! broker that stopped heartbeating first leaves the ISR first (KRaft's `BrokerHeartbeatManager`
//! and `ClusterControlManager.registerBroker`: a restarted broker re-registers and must catch up
//! before it rejoins the ISR). Fix:
//! `Controller::on_message` answers `Register` with `RegisterRejected` while the registered
//! incarnation is unfenced and its last heartbeat is within the session timeout.

use kafkasim::record::Anomaly;
use kafkasim::scenario::parse_str;

/// Broker 3 loses power first and comes back last; brokers 1 (the leader) and 2 crash (their
/// page caches survive) and restart before it, broker 1 while broker 2 is still down.
const SCENARIO: &str = r#"
name = "the broker that died first leaves the ISR first"
seed = 1
duration_ms = 60000

[cluster]
brokers = 3
[cluster.config]
"min.insync.replicas" = 2

[[topic]]
name = "orders"
partitions = 1
replication_factor = 3

[[producer]]
name = "p1"
topic = "orders"
records = 1000
interval_ms = 10
[producer.config]
"acks" = "all"
"enable.idempotence" = true

[[fault]]
at_ms = 1000
action = "power-loss"
target = "broker:3"
restart_after_ms = 4500

[[fault]]
at_ms = 2500
action = "crash"
target = "broker:1"
restart_after_ms = 1000

[[fault]]
at_ms = 3000
action = "crash"
target = "broker:2"
restart_after_ms = 1500

[expect]
lost_acked = 0
"#;

#[test]
fn a_restarted_broker_registers_only_after_its_old_session_expires() {
    let s = parse_str(SCENARIO, "inline.toml").expect("scenario");
    let (report, out) = kafkasim::run_seed(&s, 1, kafkasim::RunOptions::traced()).unwrap();
    assert!(report.producers["p1"].acked > 0);
    assert_eq!(report.anomalies[Anomaly::LostAcked], 0, "{:#?}", report.findings);
    assert!(report.expect.passed, "{:?}", report.expect.failures);
    let rejected =
        out.trace.iter().filter(|l| l.contains("BrokerRegistrationResp error=DUPLICATE_BROKER_REGISTRATION")).count();
    assert!(rejected > 0, "restarted brokers are refused while their old sessions are alive");
}
