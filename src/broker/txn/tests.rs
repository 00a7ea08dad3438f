//! Unit tests of the transaction coordinator and the leader's side of its markers.

use super::*;
use crate::broker::{Controller, Topology};
use crate::record::{KafkaVersion, RecordList};
use crate::scenario::{Acks, ConsumerSpec, ProducerSpec, Scenario, TopicSpec};
use crate::sim::{Node, Out};

const P: NodeId = NodeId::Producer(0);
const ME: NodeId = NodeId::Broker(1);

/// One broker (RF 1, so writes commit at once) leading `orders` (partition 0), group `g1`'s
/// offsets partition and transactional id `t1`'s `__transaction_state` partition, running Kafka
/// 3.5 (transactions V0/V1, no KIP-890 verification).
fn cluster() -> (Broker, Controller) {
    cluster_at(KafkaVersion::V3_5)
}

/// The same cluster running release `v`.
fn cluster_at(v: KafkaVersion) -> (Broker, Controller) {
    let mut s = Scenario::default();
    s.cluster.kafka_version = v;
    s.cluster.brokers = 1;
    s.topics.push(TopicSpec::new("orders", 1, 1));
    s.consumers.push(ConsumerSpec::new("c1", "g1", "orders"));
    let mut p = ProducerSpec::new("p1", "orders", 10);
    p.config.transactional_id = Some("t1".into());
    s.producers.push(p);
    let topo = Topology::new(&s);
    let mut c = Controller::new(topo.clone());
    c.start(&mut Out::default());
    let b = Broker::new(1, topo, (c.broker_epoch(1), c.producer_id_block(1)), &c.image(), 0, &mut Out::default());
    (b, c)
}

fn coordinator() -> Broker {
    cluster().0
}

fn send(b: &mut Broker, now: u64, msg: Msg) -> BrokerOut {
    let mut out = Out::default();
    b.on_message(now, P, msg, &mut out);
    out
}

/// Deliver every message `out` holds for this broker (markers and their answers) until
/// none is left; the messages for anyone else, in order.
fn pump(b: &mut Broker, now: u64, out: BrokerOut) -> Vec<Msg> {
    let mut rest = Vec::new();
    let mut queue: Vec<(NodeId, Msg)> = out.sends;
    while !queue.is_empty() {
        let mut next = Out::default();
        for (to, m) in queue {
            if to == ME {
                b.on_message(now, ME, m, &mut next);
            } else {
                rest.push(m);
            }
        }
        queue = next.sends;
    }
    rest
}

fn init_msg(timeout_ms: u64, (producer_id, producer_epoch): (i64, i16)) -> Msg {
    Msg::InitProducerId {
        req: crate::record::ReqId { process: 0, n: 1 },
        txn: Some(0),
        timeout_ms,
        producer_id,
        producer_epoch,
    }
}

/// InitProducerId naming the producer id and epoch the caller holds (KIP-360).
fn bump(b: &mut Broker, now: u64, ids: (i64, i16)) -> Result<(i64, i16), KafkaError> {
    let out = send(b, now, init_msg(60_000, ids));
    match pump(b, now, out).as_slice() {
        [Msg::InitProducerIdResponse { result, .. }] => *result,
        other => panic!("{other:?}"),
    }
}

fn init(b: &mut Broker, now: u64) -> Result<(i64, i16), KafkaError> {
    let out = send(b, now, init_msg(60_000, (-1, -1)));
    match pump(b, now, out).as_slice() {
        [Msg::InitProducerIdResponse { result, .. }] => *result,
        other => panic!("{other:?}"),
    }
}

fn add(b: &mut Broker, now: u64, (pid, epoch): (i64, i16), partitions: Vec<u32>) -> Result<(), KafkaError> {
    let msg = Msg::AddPartitionsToTxn {
        req: crate::record::ReqId { process: 0, n: 2 },
        txn: 0,
        producer_id: pid,
        producer_epoch: epoch,
        partitions,
    };
    match send(b, now, msg).sends.as_slice() {
        [(_, Msg::AddPartitionsToTxnResponse { result, .. })] => *result,
        other => panic!("{other:?}"),
    }
}

fn end(b: &mut Broker, now: u64, ids: (i64, i16), commit: bool) -> (Result<(), KafkaError>, BrokerOut) {
    let (result, out) = end_v(b, now, ids, commit);
    (result.map(|_| ()), out)
}

/// EndTxn, with the producer id and epoch the answer carries.
fn end_v(
    b: &mut Broker,
    now: u64,
    (pid, epoch): (i64, i16),
    commit: bool,
) -> (Result<(i64, i16), KafkaError>, BrokerOut) {
    let mut out = send(
        b,
        now,
        Msg::EndTxn {
            req: crate::record::ReqId { process: 0, n: 3 },
            txn: 0,
            producer_id: pid,
            producer_epoch: epoch,
            commit,
        },
    );
    let i = out.sends.iter().position(|(_, m)| matches!(m, Msg::EndTxnResponse { .. })).expect("answered");
    let Msg::EndTxnResponse { result, .. } = out.sends.remove(i).1 else { unreachable!() };
    (result, out)
}

fn produce(b: &mut Broker, now: u64, (pid, epoch): (i64, i16), seq: i32) -> Result<u64, KafkaError> {
    let batch = BatchTemplate {
        producer_id: pid,
        producer_epoch: epoch,
        base_sequence: seq,
        producer: 0,
        instance: 0,
        records: RecordList::from(vec![1, 2]),
        meta: None,
        transactional: true,
        timestamp: None,
    };
    let msg = Msg::Produce {
        req: crate::record::ReqId { process: 0, n: 4 },
        partition: 0,
        acks: Acks::All,
        timeout_ms: 30_000,
        batch: Arc::new(batch),
        txn: Some(0),
    };
    // A verification (3.6+) goes to this broker, the coordinator, and back.
    let out = send(b, now, msg);
    match pump(b, now, out).as_slice() {
        [Msg::ProduceResponse { result, .. }] => *result,
        other => panic!("{other:?}"),
    }
}

fn txn_partition(b: &Broker) -> u32 {
    b.topo.txn_partition(0)
}

/// The transaction states written for `t1`, in log order.
fn states(b: &Broker) -> Vec<(TxnState, i16)> {
    let (log, _, _) = b.leader_view(txn_partition(b)).expect("leader");
    log.batches()
        .iter()
        .filter_map(|x| match x.meta.as_deref() {
            Some(MetaRecord::TxnState(r)) => Some((r.state, r.producer_epoch)),
            _ => None,
        })
        .collect()
}

fn markers(out: &BrokerOut) -> Vec<(i16, bool, Vec<u32>)> {
    out.sends
        .iter()
        .filter_map(|(to, m)| match m {
            Msg::WriteTxnMarkers { producer_epoch, commit, partitions, .. } if *to == ME => {
                Some((*producer_epoch, *commit, partitions.clone()))
            }
            _ => None,
        })
        .collect()
}

fn last_marker(b: &Broker, p: u32) -> Option<(bool, i16)> {
    let (log, _, _) = b.leader_view(p).expect("leader");
    log.batches().last().and_then(|x| x.marker().map(|c| (c, x.producer_epoch)))
}

#[test]
fn init_gives_epoch_0_then_a_second_init_bumps_it() {
    let mut b = coordinator();
    let (pid, epoch) = init(&mut b, 10).expect("init");
    assert_eq!(epoch, 0);
    assert!(pid >= 1 << 40, "producer ids of the coordinator do not collide with the world's");
    assert_eq!(init(&mut b, 20), Ok((pid, 1)));
    assert_eq!(states(&b), vec![(TxnState::Empty, 0), (TxnState::Empty, 1)]);
}

#[test]
fn end_txn_commit_is_answered_before_the_markers_and_the_markers_then_go_out() {
    let mut b = coordinator();
    let ids = init(&mut b, 10).expect("init");
    assert_eq!(add(&mut b, 20, ids, vec![0]), Ok(()));
    let mut out = send(
        &mut b,
        30,
        Msg::EndTxn {
            req: crate::record::ReqId { process: 0, n: 3 },
            txn: 0,
            producer_id: ids.0,
            producer_epoch: 0,
            commit: true,
        },
    );
    let answer = out.sends.iter().position(|(_, m)| matches!(m, Msg::EndTxnResponse { result: Ok(_), .. }));
    let marker = out.sends.iter().position(|(_, m)| matches!(m, Msg::WriteTxnMarkers { .. }));
    assert!(answer.expect("answered") < marker.expect("markers sent"), "{:?}", out.sends);
    assert_eq!(markers(&out), vec![(0, true, vec![0])]);
    out.sends.retain(|(to, _)| *to == ME);
    assert_eq!(states(&b).last(), Some(&(TxnState::PrepareCommit, 0)), "Complete waits for the markers");
}

#[test]
fn the_partition_ends_with_a_commit_marker_and_complete_commit_is_written() {
    let mut b = coordinator();
    let ids = init(&mut b, 10).expect("init");
    assert_eq!(add(&mut b, 20, ids, vec![0]), Ok(()));
    assert_eq!(produce(&mut b, 25, ids, 0), Ok(0));
    let (log, hw, _) = b.leader_view(0).expect("leader");
    assert_eq!(log.lso(hw), 0, "the open transaction holds the last stable offset");
    let (result, out) = end(&mut b, 30, ids, true);
    assert_eq!(result, Ok(()));
    assert!(pump(&mut b, 30, out).is_empty());
    assert_eq!(last_marker(&b, 0), Some((true, 0)));
    let (log, hw, _) = b.leader_view(0).expect("leader");
    assert_eq!((log.lso(hw), hw), (3, 3), "records and marker are stable");
    assert_eq!(states(&b).last(), Some(&(TxnState::CompleteCommit, 0)));
    assert_eq!(end(&mut b, 40, ids, true).0, Ok(()), "a retried commit succeeds");
    assert_eq!(end(&mut b, 40, ids, false).0, Err(KafkaError::InvalidTxnState));
}

#[test]
fn a_second_init_while_ongoing_fences_the_first_producer() {
    let mut b = coordinator();
    let old = init(&mut b, 10).expect("init");
    assert_eq!(add(&mut b, 20, old, vec![0]), Ok(()));
    assert_eq!(produce(&mut b, 25, old, 0), Ok(0));
    let out = send(&mut b, 30, init_msg(60_000, (-1, -1)));
    assert_eq!(markers(&out), vec![(1, false, vec![0])], "abort markers carry the bumped epoch");
    let rest = pump(&mut b, 30, out);
    assert!(
        matches!(
            rest.as_slice(),
            [Msg::InitProducerIdResponse { result: Err(KafkaError::ConcurrentTransactions), .. }]
        ),
        "{rest:?}"
    );
    assert_eq!(last_marker(&b, 0), Some((false, 1)));
    assert_eq!(states(&b).last(), Some(&(TxnState::CompleteAbort, 1)));
    assert_eq!(produce(&mut b, 40, old, 1), Err(KafkaError::InvalidProducerEpoch));
    assert_eq!(end(&mut b, 40, old, true).0, Err(KafkaError::ProducerFenced));
    assert_eq!(add(&mut b, 40, old, vec![0]), Err(KafkaError::ProducerFenced));
    assert_eq!(init(&mut b, 50), Ok((old.0, 2)), "the retry bumps again");
}

#[test]
fn a_timed_out_transaction_is_aborted_with_an_epoch_bump() {
    let mut b = coordinator();
    let out = send(&mut b, 0, init_msg(1_000, (-1, -1)));
    let ids = match pump(&mut b, 0, out).as_slice() {
        [Msg::InitProducerIdResponse { result: Ok(ids), .. }] => *ids,
        other => panic!("{other:?}"),
    };
    assert_eq!(add(&mut b, 100, ids, vec![0]), Ok(()), "the timeout starts here");
    let mut out = Out::default();
    b.on_timer(1_000, BrokerTimer::TxnTimeoutScan, &mut out);
    assert!(markers(&out).is_empty(), "not timed out yet");
    let mut out = Out::default();
    b.on_timer(1_101, BrokerTimer::TxnTimeoutScan, &mut out);
    assert_eq!(markers(&out), vec![(1, false, vec![0])]);
    assert!(pump(&mut b, 1_101, out).is_empty(), "nobody is answered");
    assert_eq!(states(&b).last(), Some(&(TxnState::CompleteAbort, 1)));
    assert_eq!(end(&mut b, 1_200, ids, false).0, Err(KafkaError::ProducerFenced));
}

#[test]
fn end_txn_in_empty_is_invalid_txn_state() {
    let mut b = coordinator();
    let ids = init(&mut b, 10).expect("init");
    assert_eq!(end(&mut b, 20, ids, true).0, Err(KafkaError::InvalidTxnState));
    assert_eq!(end(&mut b, 20, (ids.0 + 1, 0), true).0, Err(KafkaError::InvalidProducerIdMapping));
}

#[test]
fn requests_during_a_pending_transition_get_concurrent_transactions() {
    let mut b = coordinator();
    let ids = init(&mut b, 10).expect("init");
    // A PrepareCommit whose markers are not acknowledged: the id is busy.
    assert_eq!(add(&mut b, 20, ids, vec![0]), Ok(()));
    let (result, _markers_lost) = end(&mut b, 30, ids, true);
    assert_eq!(result, Ok(()));
    assert_eq!(add(&mut b, 40, ids, vec![0]), Err(KafkaError::ConcurrentTransactions));
    assert_eq!(end(&mut b, 40, ids, true).0, Err(KafkaError::ConcurrentTransactions));
    assert_eq!(init(&mut b, 40), Err(KafkaError::ConcurrentTransactions));
    // The lost markers are sent again after their request times out.
    let round = b.txns[0].as_ref().and_then(|m| m.markers.as_ref()).map(|r| r.inflight[0].0).expect("inflight");
    let mut out = Out::default();
    b.on_timer(30_040, BrokerTimer::TxnMarkerTimeout { txn: 0, req: round }, &mut out);
    let retry = out.timers.iter().find_map(|(_, t)| matches!(t, BrokerTimer::TxnMarkerRetry { .. }).then_some(*t));
    let mut out = Out::default();
    b.on_timer(30_140, retry.expect("retry armed"), &mut out);
    assert_eq!(markers(&out), vec![(0, true, vec![0])]);
    pump(&mut b, 30_140, out);
    assert_eq!(states(&b).last(), Some(&(TxnState::CompleteCommit, 0)));
}

#[test]
fn a_broker_that_becomes_leader_of_the_txn_partition_with_a_prepare_commit_in_its_log_sends_the_markers() {
    let (mut old, c) = cluster();
    let tp = txn_partition(&old);
    let record = TxnRecord {
        transactional_id: 0,
        producer_id: 77,
        producer_epoch: 3,
        last_epoch: -1,
        state: TxnState::PrepareCommit,
        partitions: vec![0],
        timeout_ms: 60_000,
        started_at: 5,
    };
    let r = old.replicas[tp as usize].as_mut().expect("replica");
    r.log.append_as_leader(&BatchTemplate::internal(MetaRecord::TxnState(Arc::new(record))), 0);
    let mut b = Broker::restarted(&old, false, 0, &mut Out::default());
    let mut out = Out::default();
    b.on_message(100, NodeId::Controller, Msg::Registered { broker_epoch: 9, image: c.image() }, &mut out);
    let sent: Vec<_> = out
        .sends
        .iter()
        .filter_map(|(_, m)| match m {
            Msg::WriteTxnMarkers { producer_id, producer_epoch, commit, partitions, .. } => {
                Some((*producer_id, *producer_epoch, *commit, partitions.clone()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(sent, vec![(77, 3, true, vec![0])]);
    pump(&mut b, 100, out);
    assert_eq!(last_marker(&b, 0), Some((true, 3)));
    assert_eq!(states(&b).last(), Some(&(TxnState::CompleteCommit, 3)));
}

fn add_offsets(b: &mut Broker, now: u64, (pid, epoch): (i64, i16)) -> Result<(), KafkaError> {
    let msg = Msg::AddOffsetsToTxn {
        req: crate::record::ReqId { process: 0, n: 5 },
        txn: 0,
        producer_id: pid,
        producer_epoch: epoch,
        group: 0,
    };
    match send(b, now, msg).sends.as_slice() {
        [(_, Msg::AddOffsetsToTxnResponse { result, .. })] => *result,
        other => panic!("{other:?}"),
    }
}

fn txn_commit(
    b: &mut Broker,
    now: u64,
    (pid, epoch): (i64, i16),
    member: (u64, i32),
    o: u64,
) -> Result<(), KafkaError> {
    let msg = Msg::TxnOffsetCommit {
        req: crate::record::ReqId { process: 0, n: 6 },
        txn: 0,
        group: 0,
        producer_id: pid,
        producer_epoch: epoch,
        member_id: match member.0 {
            0 => crate::record::MemberId::UNKNOWN,
            n => crate::record::MemberId { coordinator: 1, n: n as u32 },
        },
        generation: member.1,
        offsets: Arc::from(vec![(0, o)]),
    };
    let out = send(b, now, msg);
    match pump(b, now, out).as_slice() {
        [Msg::TxnOffsetCommitResponse { result, .. }] => *result,
        other => panic!("{other:?}"),
    }
}

#[test]
fn txn_offset_commit_is_pending_until_the_commit_marker_and_discarded_on_abort() {
    let mut b = coordinator();
    let ids = init(&mut b, 10).expect("init");
    assert_eq!(add_offsets(&mut b, 20, ids), Ok(()));
    assert_eq!(txn_commit(&mut b, 30, ids, (0, -1), 5), Ok(()), "generation -1 without a member is unfenced");
    assert_eq!(b.on_offset_fetch(0, &[0]), Err(KafkaError::UnstableOffsetCommit));
    let (result, out) = end(&mut b, 40, ids, true);
    assert_eq!(result, Ok(()));
    pump(&mut b, 40, out);
    assert_eq!(b.on_offset_fetch(0, &[0]), Ok(vec![(0, Some(5))]));

    assert_eq!(add_offsets(&mut b, 50, ids), Ok(()));
    assert_eq!(txn_commit(&mut b, 60, ids, (0, -1), 9), Ok(()));
    assert_eq!(b.on_offset_fetch(0, &[0]), Err(KafkaError::UnstableOffsetCommit));
    let (result, out) = end(&mut b, 70, ids, false);
    assert_eq!(result, Ok(()));
    pump(&mut b, 70, out);
    assert_eq!(b.on_offset_fetch(0, &[0]), Ok(vec![(0, Some(5))]), "the aborted offsets are discarded");
}

#[test]
fn txn_offset_commit_of_an_unknown_member_or_a_stale_producer_epoch_is_rejected() {
    let mut b = coordinator();
    let ids = init(&mut b, 10).expect("init");
    assert_eq!(add_offsets(&mut b, 20, ids), Ok(()));
    assert_eq!(txn_commit(&mut b, 30, ids, (42, 1), 5), Err(KafkaError::UnknownMemberId));
    assert_eq!(txn_commit(&mut b, 30, ids, (0, -1), 5), Ok(()));
    // A second instance fences the first: the abort marker reaches the offsets partition.
    let out = send(&mut b, 40, init_msg(60_000, (-1, -1)));
    pump(&mut b, 40, out);
    assert_eq!(b.on_offset_fetch(0, &[0]), Ok(vec![(0, None)]));
    assert_eq!(txn_commit(&mut b, 50, ids, (0, -1), 6), Err(KafkaError::InvalidProducerEpoch));
}

#[test]
fn a_new_group_coordinator_rebuilds_pending_and_committed_transactional_offsets_from_the_log() {
    let mut b = coordinator();
    let ids = init(&mut b, 10).expect("init");
    assert_eq!(add_offsets(&mut b, 20, ids), Ok(()));
    assert_eq!(txn_commit(&mut b, 30, ids, (0, -1), 5), Ok(()));
    let (_, out) = end(&mut b, 40, ids, true);
    pump(&mut b, 40, out);
    assert_eq!(add_offsets(&mut b, 50, ids), Ok(()));
    assert_eq!(txn_commit(&mut b, 60, ids, (0, -1), 9), Ok(()));
    let p = b.topo.group_partition(0);
    let mut out = Out::default();
    b.unload_groups(p, &mut out);
    b.load_groups(70, p, &mut out);
    assert_eq!(b.on_offset_fetch(0, &[0]), Err(KafkaError::UnstableOffsetCommit), "still pending");
    let (_, out) = end(&mut b, 80, ids, true);
    pump(&mut b, 80, out);
    assert_eq!(b.on_offset_fetch(0, &[0]), Ok(vec![(0, Some(9))]));
    let mut out = Out::default();
    b.unload_groups(p, &mut out);
    b.load_groups(90, p, &mut out);
    assert_eq!(b.on_offset_fetch(0, &[0]), Ok(vec![(0, Some(9))]));
}

#[test]
fn a_leader_answers_markers_per_partition_and_refuses_a_stale_coordinator_epoch() {
    let mut b = coordinator();
    let write = |b: &mut Broker, coordinator_epoch: i32, partitions: Vec<u32>| {
        let msg = Msg::WriteTxnMarkers {
            req: crate::record::ReqId { process: 0, n: 8 },
            producer_id: 9,
            producer_epoch: 0,
            commit: true,
            coordinator_epoch,
            partitions,
        };
        match send(b, 10, msg).sends.as_slice() {
            [(_, Msg::WriteTxnMarkersResponse { results, .. })] => results.clone(),
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(write(&mut b, 5, vec![0]), vec![(0, Ok(()))]);
    assert_eq!(last_marker(&b, 0), Some((true, 0)));
    assert_eq!(
        write(&mut b, 4, vec![0, 9_999]),
        vec![(0, Err(KafkaError::TransactionCoordinatorFenced)), (9_999, Err(KafkaError::NotLeaderOrFollower))]
    );
}

#[test]
fn a_kip_360_init_with_the_current_epoch_bumps_it_and_a_retry_of_that_bump_does_not_bump_again() {
    let mut b = coordinator();
    let ids = init(&mut b, 10).expect("init");
    assert_eq!(bump(&mut b, 20, ids), Ok((ids.0, 1)));
    assert_eq!(bump(&mut b, 30, ids), Ok((ids.0, 1)), "the answer was lost: the same epoch again");
    assert_eq!(bump(&mut b, 40, (ids.0, 7)), Err(KafkaError::ProducerFenced));
    assert_eq!(bump(&mut b, 40, (ids.0 + 1, 1)), Err(KafkaError::ProducerFenced));
    assert_eq!(init(&mut b, 50), Ok((ids.0, 2)), "a new instance bumps without naming an epoch");
    assert_eq!(bump(&mut b, 60, (ids.0, 1)), Err(KafkaError::ProducerFenced), "the old instance is fenced");
}

#[test]
fn before_3_6_a_write_after_the_abort_marker_opens_a_transaction_nobody_ends() {
    let mut b = coordinator();
    let ids = init(&mut b, 10).expect("init");
    assert_eq!(add(&mut b, 20, ids, vec![0]), Ok(()));
    assert_eq!(produce(&mut b, 25, ids, 0), Ok(0));
    let (result, out) = end(&mut b, 30, ids, false);
    assert_eq!(result, Ok(()));
    pump(&mut b, 30, out);
    assert_eq!(last_marker(&b, 0), Some((false, 0)));
    // The batch of sequence 2, delayed, arrives after the abort marker: appended.
    assert_eq!(produce(&mut b, 40, ids, 2), Ok(3));
    let (log, hw, _) = b.leader_view(0).expect("leader");
    assert_eq!((log.lso(hw), hw), (3, 5), "the hanging transaction holds the last stable offset");
}

#[test]
fn from_3_6_the_leader_verifies_the_first_write_and_refuses_one_outside_the_transaction() {
    let (mut b, _) = cluster_at(KafkaVersion::V3_6);
    let ids = init(&mut b, 10).expect("init");
    assert_eq!(produce(&mut b, 15, ids, 0), Err(KafkaError::InvalidTxnState), "not added yet");
    assert_eq!(add(&mut b, 20, ids, vec![0]), Ok(()));
    assert_eq!(produce(&mut b, 25, ids, 0), Ok(0), "verified");
    let (result, out) = end(&mut b, 30, ids, false);
    assert_eq!(result, Ok(()));
    pump(&mut b, 30, out);
    assert_eq!(produce(&mut b, 40, ids, 2), Err(KafkaError::InvalidTxnState), "the late write is refused");
    let (log, hw, _) = b.leader_view(0).expect("leader");
    assert_eq!((log.lso(hw), hw), (3, 3));
    let (mut b, _) = cluster_at(KafkaVersion::parse("3.8").unwrap());
    let ids = init(&mut b, 10).expect("init");
    assert_eq!(produce(&mut b, 15, ids, 0), Err(KafkaError::TransactionAbortable), "KAFKA-16314");
}

#[test]
fn an_abort_marker_written_while_the_coordinator_verifies_makes_the_verified_write_fail() {
    let (mut b, _) = cluster_at(KafkaVersion::V3_6);
    let ids = init(&mut b, 10).expect("init");
    assert_eq!(add(&mut b, 20, ids, vec![0]), Ok(()));
    let batch = BatchTemplate {
        producer_id: ids.0,
        producer_epoch: ids.1,
        base_sequence: 0,
        producer: 0,
        instance: 0,
        records: RecordList::from(vec![1]),
        meta: None,
        transactional: true,
        timestamp: None,
    };
    let msg = Msg::Produce {
        req: crate::record::ReqId { process: 0, n: 4 },
        partition: 0,
        acks: Acks::All,
        timeout_ms: 30_000,
        batch: Arc::new(batch),
        txn: Some(0),
    };
    // The leader asks; the coordinator answers "in the transaction"; the answer is held.
    let ask = send(&mut b, 21, msg).sends;
    let mut held = Out::default();
    for (_, m) in ask {
        b.on_message(22, ME, m, &mut held);
    }
    assert!(matches!(held.sends.as_slice(), [(_, Msg::TxnVerifyResponse { result: Ok(()), .. })]));
    // Meanwhile the transaction aborts: the marker clears the guard.
    let (result, out) = end(&mut b, 23, ids, false);
    assert_eq!(result, Ok(()));
    pump(&mut b, 23, out);
    assert_eq!(pump(&mut b, 24, held).len(), 1);
    let (log, _, _) = b.leader_view(0).expect("leader");
    assert_eq!(log.leo(), 1, "only the marker: the verified write was refused");
}

#[test]
fn under_transactions_v2_end_txn_bumps_the_epoch_and_the_markers_fence_the_finished_transaction() {
    let (mut b, _) = cluster_at(KafkaVersion::V4_0);
    let ids = init(&mut b, 10).expect("init");
    assert_eq!(produce(&mut b, 20, ids, 0), Ok(0), "the leader's verification added the partition");
    let (result, out) = end_v(&mut b, 30, ids, true);
    assert_eq!(result, Ok((ids.0, 1)), "the next transaction's epoch");
    assert_eq!(markers(&out), vec![(1, true, vec![0])]);
    pump(&mut b, 30, out);
    assert_eq!(states(&b).last(), Some(&(TxnState::CompleteCommit, 1)));
    assert_eq!(end_v(&mut b, 35, ids, true).0, Ok((ids.0, 1)), "a retry carries the epoch before the bump");
    assert_eq!(produce(&mut b, 40, ids, 2), Err(KafkaError::InvalidProducerEpoch), "a late write is fenced");
    // An abort with nothing in the transaction still bumps the epoch.
    let next = (ids.0, 1);
    assert_eq!(end_v(&mut b, 50, next, false).0, Ok((ids.0, 2)));
    assert_eq!(end_v(&mut b, 60, (ids.0, 2), true).0, Err(KafkaError::InvalidTxnState));
    assert_eq!(end_v(&mut b, 60, (ids.0, 0), false).0, Err(KafkaError::ProducerFenced));
}

#[test]
fn under_transactions_v2_a_write_of_the_next_epoch_waits_for_the_last_transactions_marker() {
    let (mut b, _) = cluster_at(KafkaVersion::V4_0);
    let ids = init(&mut b, 10).expect("init");
    assert_eq!(produce(&mut b, 20, ids, 0), Ok(0));
    // The commit is durable, its marker not written yet: orders/0 still holds the open transaction.
    let (result, markers_held) = end_v(&mut b, 30, ids, true);
    assert_eq!(result, Ok((ids.0, 1)));
    let batch = BatchTemplate {
        producer_id: ids.0,
        producer_epoch: 1,
        base_sequence: 0,
        producer: 0,
        instance: 0,
        records: RecordList::from(vec![1]),
        meta: None,
        transactional: true,
        timestamp: None,
    };
    let msg = Msg::Produce {
        req: crate::record::ReqId { process: 0, n: 4 },
        partition: 0,
        acks: Acks::All,
        timeout_ms: 30_000,
        batch: Arc::new(batch),
        txn: Some(0),
    };
    // Verified, not joined to the old transaction: the coordinator, in PrepareCommit, answers
    // CONCURRENT_TRANSACTIONS, and the leader asks again 20 ms later (KAFKA-18654).
    let mut out = Out::default();
    let ask = send(&mut b, 40, msg).sends;
    for (_, m) in ask {
        b.on_message(40, ME, m, &mut out);
    }
    let rest = pump(&mut b, 40, out);
    assert!(rest.is_empty(), "no answer yet: {rest:?}");
    let (log, _, _) = b.leader_view(0).expect("leader");
    assert_eq!(log.leo(), 2, "nothing appended");
    let retry = b.verifying.first().map(|v| BrokerTimer::TxnVerify { req: v.req(), retry: true });
    // The markers land and the commit completes; the retry then adds the partition.
    pump(&mut b, 50, markers_held);
    let mut out = Out::default();
    b.on_timer(60, retry.expect("a retry is armed"), &mut out);
    match pump(&mut b, 60, out).as_slice() {
        [Msg::ProduceResponse { result, .. }] => assert_eq!(*result, Ok(3), "after the marker at offset 2"),
        other => panic!("{other:?}"),
    }
}
