//! The rdkafka-style service of `examples/rdkafka_service.rs` under broker and service crashes:
//! "no input is lost" holds, "no input is processed twice" fails and shrinks to one crash.

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
    assert_eq!(report.consumers["c1"].distinct, 200);
    assert_eq!(report.consumers["c1"].processed, 200);
    assert_eq!(report.producers["out"].acked, 200);
}
