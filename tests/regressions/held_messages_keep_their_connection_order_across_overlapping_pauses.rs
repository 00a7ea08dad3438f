//! Bug: a message held by a pause was pushed back onto the event queue at the pause's end; when
//! a second pause extended the first, messages held earlier were pushed back again after messages
//! that had arrived during the second pause, so one connection delivered out of order. An
//! idempotent producer's first batches to a partition then reached a leader with no state for its
//! producer id in the order 3, 4, 0, 1, 2, and were appended reordered (seed 149 of a keyed
//! producer under a broker and producer nemesis). Fix: held messages wait in a per-connection
//! queue released in send order.

use kafkasim::scenario::parse_str;

#[test]
fn held_messages_keep_their_connection_order_across_overlapping_pauses() {
    let s = parse_str(
        r#"
name = "keyed producer under a broker and producer nemesis"
duration_ms = 120000
[cluster]
brokers = 3
[cluster.config]
"min.insync.replicas" = 2
[[topic]]
name = "orders"
partitions = 3
replication_factor = 3
[[producer]]
name = "p1"
topic = "orders"
records = 2000
keys = 17
interval_ms = 10
[nemesis]
actions = ["crash", "power-loss", "isolate", "pause"]
targets = ["brokers", "producers"]
interval_ms = [500, 3000]
stop_ms = 30000
restart_after_ms = [500, 5000]
duration_ms = [500, 5000]
safe_power_loss = true
"#,
        "regression.toml",
    )
    .unwrap();
    let (r, _) = kafkasim::run_seed(&s, 149, kafkasim::RunOptions::default());
    assert_eq!(r.anomalies.reordered, 0, "{}", kafkasim::report::text::to_text(&r));
    assert_eq!(r.anomalies.lost_acked, 0);
}
