//! Bug: a message held by a pause was pushed back onto the event queue at the pause's end; when
//! a second pause extended the first, messages held earlier were pushed back again after messages
//! that had arrived during the second pause, so one connection delivered out of order. An
//! idempotent producer's first batches to a partition then reached a leader with no state for its
//! producer id in the order 3, 4, 0, 1, 2, and were appended reordered (seed 149 of a keyed
//! producer under a broker and producer nemesis). Fix: held messages wait in a per-connection
//! queue released in send order.

use kafkasim::record::Anomaly;

#[test]
fn held_messages_keep_their_connection_order_across_overlapping_pauses() {
    let s = crate::keyed_producer_nemesis();
    let (r, _) = kafkasim::run_seed(&s, 149, kafkasim::RunOptions::default()).unwrap();
    assert_eq!(r.anomalies[Anomaly::Reordered], 0, "{}", kafkasim::report::text::to_text(&r));
    assert_eq!(r.anomalies[Anomaly::LostAcked], 0);
}
