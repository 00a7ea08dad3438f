//! Bug: request ids restarted at 1 in every producer instance. A broker's purgatory answered a
//! request of a crashed instance after the restart, and the new instance matched the answer to
//! its own request with the same id, acknowledging records the broker had never appended there
//! (a false `lost_acked`; seen with a keyed producer under a nemesis that also crashed the
//! producer). Fix: request ids carry the instance number, so an old answer matches nothing, and
//! a restarted process also gets a new incarnation for message delivery.

use kafkasim::record::Anomaly;

#[test]
fn a_response_to_a_dead_producer_instance_is_not_taken_for_a_new_instances_request() {
    // The nemesis sweep with a keyed producer that the nemesis also crashes; seeds 12, 35, 108,
    // 144, 155 and 274 reported lost records before the fix.
    let s = crate::keyed_producer_nemesis();
    for seed in [12, 35, 108, 144, 155, 274] {
        let (r, _) = kafkasim::run_seed(&s, seed, kafkasim::RunOptions::default()).unwrap();
        assert_eq!(r.anomalies[Anomaly::LostAcked], 0, "seed {seed}: {}", kafkasim::report::text::to_text(&r));
    }
}
