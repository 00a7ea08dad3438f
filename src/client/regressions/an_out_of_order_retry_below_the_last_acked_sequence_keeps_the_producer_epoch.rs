//! Bug: the idempotent producer bumped its epoch (KIP-360) whenever the batch at the head of a
//! partition's queue got OUT_OF_ORDER_SEQUENCE_NUMBER, even when a batch with a higher sequence
//! had already been acknowledged. Scenario (acks-all-nemesis-sweep, seed 114): batches p1#576..580
//! (sequences 576..580) were in flight to the old leader, which had appended them and replicated
//! them to broker 2, when broker 2 became leader; the next batch (sequence 581..743) went to broker
//! 2 and was acknowledged. When the old connection broke, p1#576 was retried on broker 2, whose
//! five-batch window no longer held sequence 576, and got OUT_OF_ORDER_SEQUENCE_NUMBER. The
//! producer treated that as a real gap, bumped its epoch and renumbered p1#576..580 from sequence
//! 0, so broker 2 appended all five a second time (duplicates at offsets 744..748). Kafka's
//! `TransactionManager.canRetry` only requests a bump when the batch is the next one after the
//! last acknowledged sequence (`isNextSequence`); a batch below it is retried with its sequence
//! and epoch unchanged (KIP-360). Fix: the producer tracks the last
//! acknowledged sequence per partition (reset by a bump) and bumps only for a head batch above
//! it (`Producer::on_response` in src/client/producer.rs).

use std::sync::Arc;

use crate::broker::{Msg, PartitionState, Topology};
use crate::client::{Producer, ProducerTimer};
use crate::scenario::{ProducerSpec, Scenario, TopicSpec};
use crate::sim::{Node, NodeId, Out};
use crate::KafkaError;

type POut = Out<Msg, ProducerTimer, crate::client::ProducerObs>;

/// (request number, producer epoch, base sequence, first record) of every Produce in `out`.
fn produces(out: &POut) -> Vec<(u64, i16, i32, u32)> {
    out.sends
        .iter()
        .filter_map(|(_, m)| match m {
            Msg::Produce { req, batch, .. } => Some((
                u64::from(req.n),
                batch.producer_epoch,
                batch.base_sequence,
                batch.records.first().expect("a produce carries records"),
            )),
            _ => None,
        })
        .collect()
}

/// Let the producer handle one event; the Produce requests it sent.
fn step(p: &mut Producer, f: impl FnOnce(&mut Producer, &mut POut)) -> Vec<(u64, i16, i32, u32)> {
    let mut out = POut::default();
    f(p, &mut out);
    produces(&out)
}

fn leaders(leader: u32, epoch: u32) -> Msg {
    Msg::MetadataResponse {
        leaders: Arc::new(vec![PartitionState {
            leader: Some(leader),
            leader_epoch: epoch,
            partition_epoch: epoch,
            isr: vec![1, 2, 3],
        }]),
    }
}

#[test]
fn an_out_of_order_retry_below_the_last_acked_sequence_keeps_the_producer_epoch() {
    let mut s = Scenario::default();
    s.topics.push(TopicSpec {
        name: "orders".into(),
        partitions: 1,
        replication_factor: 3,
        min_insync_replicas: None,
        unclean_leader_election_enable: None,
        flush_messages: None,
    });
    let mut spec = ProducerSpec::new("p1", "orders", 3);
    spec.interval_ms = 10;
    spec.config.linger_ms = 0;
    let topo = Topology::new(&s);
    let mut out = POut::default();
    let mut p = Producer::start(0, 0, Arc::new(spec), topo, 1000, Vec::new(), 0, false, &mut out);
    let mut now = 0;

    // Broker 1 leads; records 0 and 1 go to it as two batches (sequences 0 and 1).
    step(&mut p, |p, o| p.on_message(now, NodeId::Broker(1), leaders(1, 0), o));
    let a = step(&mut p, |p, o| p.on_timer(now, ProducerTimer::Tick, o));
    now = 10;
    let b = step(&mut p, |p, o| p.on_timer(now, ProducerTimer::Tick, o));
    assert_eq!(a, vec![(1, 0, 0, 0)]);
    assert_eq!(b, vec![(2, 0, 1, 1)]);

    // Broker 2 takes over (it holds both batches); record 2 goes there and is acknowledged
    // while the first two are still in flight to broker 1.
    now = 15;
    step(&mut p, |p, o| p.on_message(now, NodeId::Broker(1), leaders(2, 1), o));
    now = 20;
    let c = step(&mut p, |p, o| p.on_timer(now, ProducerTimer::Tick, o));
    assert_eq!(c, vec![(3, 0, 2, 2)]);
    now = 25;
    let ack = Msg::ProduceResponse {
        req: crate::record::ReqId { process: 0, n: 3 },
        partition: 0,
        result: Ok(2),
        leader_epoch: 1,
    };
    step(&mut p, |p, o| p.on_message(now, NodeId::Broker(2), ack, o));

    // The connection to broker 1 breaks: both batches are retried, head first, on broker 2.
    now = 30;
    step(&mut p, |p, o| p.on_message(now, NodeId::Broker(1), Msg::Disconnected, o));
    now = 1_000;
    let retry = step(&mut p, |p, o| p.on_timer(now, ProducerTimer::Drain, o));
    assert_eq!(retry, vec![(4, 0, 0, 0)]);

    // Broker 2's window no longer holds sequence 0: OUT_OF_ORDER_SEQUENCE_NUMBER. Sequence 2 was
    // acknowledged already, so this is not a gap after the last acked batch: retry as is.
    now = 1_005;
    let ooo = Msg::ProduceResponse {
        req: crate::record::ReqId { process: 0, n: 4 },
        partition: 0,
        result: Err(KafkaError::OutOfOrderSequenceNumber),
        leader_epoch: 1,
    };
    step(&mut p, |p, o| p.on_message(now, NodeId::Broker(2), ooo, o));
    now = 2_000;
    let again = step(&mut p, |p, o| p.on_timer(now, ProducerTimer::Drain, o));
    assert_eq!(again, vec![(5, 0, 0, 0)], "the retry keeps epoch 0 and sequence 0 (no KIP-360 bump)");
}
