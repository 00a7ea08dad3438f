//! The rdkafka-style service of `examples/rdkafka_service.rs` under broker and service crashes:
//! at least once, "no input is lost" holds, "no input is processed twice" fails and shrinks to
//! one crash; exactly once (transactions with `send_offsets_to_transaction`), neither fails.

#[path = "../examples/rdkafka_service.rs"]
#[allow(dead_code)]
mod example;

use kafkasim::record::Anomaly;
use kafkasim::scenario::Target;

#[test]
fn the_at_least_once_service_loses_no_input_under_up_to_five_crashes() {
    example::no_input_is_lost(&mut example::runner(32), 0..=5).unwrap();
}

#[test]
fn the_at_least_once_service_processes_some_input_twice_and_the_schedule_shrinks_to_one_service_crash() {
    let (s, seed) = example::find_duplicate(&mut example::runner(64));
    assert_eq!(s.faults.len(), 1, "{:?}", s.faults);
    assert_eq!(s.faults[0].target, Target::Service { service: 0, instance: None });
    let report = example::run(&s, seed);
    assert!(report.anomalies[Anomaly::DuplicateProcessing] > 0);
    assert_eq!(report.anomalies[Anomaly::LostProcessing], 0);
}

#[test]
fn the_service_without_faults_ships_every_order_once_and_settles() {
    let report = example::run(&example::scenario(&[]), 1);
    assert!(report.settled, "{:?}", report.waiting);
    let svc = &report.processors["svc"];
    assert_eq!((svc.inputs, svc.outputs, svc.distinct), (200, 200, 200), "{svc:?}");
    assert!(!report.consumers.contains_key("c1"), "the service's consumer is judged with the service");
}

#[test]
fn the_exactly_once_service_without_faults_ships_every_order_once_in_transactions_and_settles() {
    let report = example::run(&example::eos_scenario(&[]), 1);
    assert!(report.settled, "{:?}", report.waiting);
    let svc = &report.processors["svc"];
    assert_eq!((svc.inputs, svc.outputs, svc.distinct), (200, 200, 200), "{svc:?}");
    assert!(report.semantics["svc"].holds);
    assert_eq!(report.semantics["svc"].delivery, "exactly-once");
}

#[test]
fn the_exactly_once_service_neither_loses_nor_duplicates_under_up_to_five_crashes() {
    example::exactly_once_holds(&mut example::runner(16)).unwrap();
}
