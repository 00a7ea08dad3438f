//! Regression tests: one module per bug, each opening with the bug, the scenario and the fix.

mod a_consumer_retry_sent_with_a_connection_close_goes_out_on_the_new_connection;
mod a_consumer_whose_fetches_fail_in_turn_at_two_brokers_still_refreshes_its_metadata;
mod a_drain_a_pause_held_back_keeps_the_next_send_from_skipping_its_drain;
mod a_group_drains_only_after_a_new_leaders_high_watermark_catches_up;
mod a_pause_ends_when_its_process_dies;
mod a_processor_s_request_on_a_connection_its_producer_closed_fails_and_is_retried;
mod a_request_sent_to_a_dead_broker_that_arrives_after_its_restart_is_refused;
mod a_response_to_a_dead_producer_instance_is_not_taken_for_a_new_instances_request;
mod a_restarted_broker_refuses_clients_until_it_is_registered;
mod a_restarted_broker_registers_only_after_its_old_session_expires;
mod a_run_does_not_end_while_its_last_isr_member_waits_to_register;
mod a_txn_offset_commit_refused_as_not_coordinator_sends_the_member_to_its_new_coordinator;
mod an_acks0_producer_loses_only_what_was_in_flight_when_its_leader_crashes_for_good;
mod held_messages_keep_their_connection_order_across_overlapping_pauses;
mod safe_power_loss_waits_until_a_restarted_broker_has_registered;

/// The nemesis sweep with a keyed producer on three partitions that the nemesis also crashes and
/// pauses: the scenario two of the bugs above were found in.
fn keyed_producer_nemesis() -> kafkasim::scenario::Scenario {
    kafkasim::scenario::parse_str(
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
    .unwrap()
}

/// The bundled exactly-once processor sweep (`eos-processor-nemesis-sweep.toml`): the scenario
/// two of the processor bugs above were found in.
fn eos_processor_sweep() -> kafkasim::scenario::Scenario {
    kafkasim::scenario::load_file(std::path::Path::new("examples/scenarios/eos-processor-nemesis-sweep.toml"))
        .expect("bundled example")
}
