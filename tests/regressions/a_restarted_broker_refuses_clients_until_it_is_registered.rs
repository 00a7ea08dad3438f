//! Bug: a restarted broker that had not registered yet (the controller refuses a new
//! incarnation while the old one's session lives) took clients' connections and answered from
//! its empty state: produce requests got NOT_LEADER_OR_FOLLOWER, metadata requests an empty
//! partition list, and an `acks=0` batch was dropped with the connection, after the producer
//! had counted it delivered. Run: 3 brokers, one partition at replication factor 3, 15,000
//! `acks=0` records one per ms, the leader crashed at 3000 ms and restarted at 5000 ms; its
//! registrations were refused until 11,009 ms, and once the producer reconnected (with the fix
//! of `an_acks0_producer_loses_only_what_was_in_flight_when_its_leader_crashes_for_good`) it wrote
//! its batches to the unregistered process, which dropped them. Kafka's `BrokerServer.startup`
//! starts the socket server's acceptors (`socketServer.enableRequestProcessing`; with a fixed
//! port the server socket is not even bound before, see `Acceptor`) only after the controller
//! has acknowledged the broker as caught up and `lifecycleManager.setReadyToUnfence()` has
//! completed, that is once a heartbeat answer unfenced it: until then a client's connection is
//! refused, as by a dead process. Fix: `Broker::accepts_connections` is false in a restarted
//! process until its registration is accepted (the model unfences at registration), and the
//! world refuses every message to it but the controller's.

use kafkasim::record::EventKind;
use kafkasim::scenario::parse_str;

const SCENARIO: &str = r#"
name = "acks=0, the leader crashes and restarts while its session lives"
seed = 1
duration_ms = 120000

[cluster]
brokers = 3

[[topic]]
name = "orders"
partitions = 1
replication_factor = 3

[[producer]]
name = "p1"
topic = "orders"
records = 15000
interval_ms = 1
[producer.config]
"acks" = "0"

[[fault]]
at_ms = 3000
action = "crash"
target = "leader:orders/0"
restart_after_ms = 2000
"#;

/// A trace line's time, node, peer and what happened (`None` for the header).
fn fields(line: &str) -> Option<(u64, &str, &str, &str)> {
    let mut f = line.split_whitespace();
    let at = f.next()?.parse().ok()?;
    let (node, peer) = (f.next()?, f.next()?);
    Some((at, node, peer, f.next().unwrap_or("")))
}

#[test]
fn a_restarted_broker_refuses_clients_until_it_is_registered() {
    let s = parse_str(SCENARIO, "inline.toml").expect("scenario");
    let (_, out) = kafkasim::run_seed(&s, 1, kafkasim::RunOptions::traced()).unwrap();
    let trace: Vec<(u64, &str, &str, &str, &String)> =
        out.trace.iter().filter_map(|l| fields(l).map(|(at, n, p, w)| (at, n, p, w, l))).collect();
    let restart = trace.iter().find(|t| t.1 == "broker:1" && t.3 == "restart").expect("broker 1 restarts").0;
    let registered = trace
        .iter()
        .find(|t| {
            t.0 >= restart && t.1 == "broker:1" && t.3 == "BrokerRegistrationResp" && t.4.contains("broker_epoch=")
        })
        .expect("broker 1 registers again")
        .0;
    assert!(registered > restart + 5_000, "its registration waits for the old session: {restart}..{registered}");
    let window = restart..registered;
    // Nothing but the controller's answers reaches the new process before it is registered.
    let handled: Vec<&String> = trace
        .iter()
        .filter(|t| window.contains(&t.0) && t.1 == "broker:1" && !matches!(t.2, "controller" | "-"))
        .map(|t| t.4)
        .collect();
    assert!(handled.is_empty(), "broker 1 handled before it was registered:\n{handled:#?}");
    // The producer tried to connect and was refused, and wrote no batch to it meanwhile.
    let refused =
        trace.iter().filter(|t| window.contains(&t.0) && t.1 == "p1/0" && t.2 == "broker:1" && t.3 == "Refused");
    assert!(refused.count() > 0, "the producer's connection attempts were refused");
    let written: Vec<u64> = out
        .history
        .events
        .iter()
        .filter(|e| window.contains(&e.at) && matches!(e.kind, EventKind::Acked { broker: 1, .. }))
        .map(|e| e.at)
        .collect();
    assert!(written.is_empty(), "acks=0 batches written to the unregistered broker at {written:?}");
}
