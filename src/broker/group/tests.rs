//! Unit tests of the group coordinator: joins, commits and their fencing, consumer fetches.

use super::*;
use crate::broker::{Controller, Topology};
use crate::scenario::{ConsumerSpec, Scenario, TopicSpec};
use crate::sim::{Node, Out};

/// One broker coordinating group `g1` (RF 1, so its writes commit at once), and a clock.
fn coordinator() -> Broker {
    let mut s = Scenario::default();
    s.cluster.brokers = 1;
    s.topics.push(TopicSpec::new("orders", 1, 1));
    s.consumers.push(ConsumerSpec::new("c1", "g1", "orders"));
    let topo = Topology::new(&s);
    let mut c = Controller::new(topo.clone());
    c.start(&mut Out::default());
    Broker::new(1, topo, (c.broker_epoch(1), c.producer_id_block(1)), &c.image(), 0, &mut Out::default())
}

/// Deliver `msg` from consumer `k` at `now`; the answers and timers it caused.
fn send(b: &mut Broker, now: u64, k: u32, msg: Msg) -> BrokerOut {
    let mut out = Out::default();
    b.on_message(now, NodeId::Consumer(k), msg, &mut out);
    out
}

fn join(b: &mut Broker, now: u64, k: u32, member_id: MemberId) -> BrokerOut {
    let msg = Msg::JoinGroup {
        req: crate::record::ReqId { process: 0, n: 1 },
        group: 0,
        member_id,
        session_timeout_ms: 45_000,
        rebalance_timeout_ms: 300_000,
        subscription: Arc::new(Subscription { topics: Arc::from(vec![0]), owned: Vec::new() }),
        instance_id: None,
    };
    send(b, now, k, msg)
}

/// The id MEMBER_ID_REQUIRED hands out.
fn new_member(b: &mut Broker, now: u64, k: u32) -> MemberId {
    let out = join(b, now, k, MemberId::UNKNOWN);
    match &out.sends[..] {
        [(_, Msg::JoinGroupResponse { result: Err((KafkaError::MemberIdRequired, id)), .. })] => *id,
        other => panic!("{other:?}"),
    }
}

fn fire_join_timers(b: &mut Broker, now: u64, out: BrokerOut) -> BrokerOut {
    let mut next = Out::default();
    for (_, t) in out.timers {
        if let BrokerTimer::GroupJoin { group, token } = t {
            b.on_timer(now, BrokerTimer::GroupJoin { group, token }, &mut next);
        }
    }
    next
}

fn commit(b: &mut Broker, now: u64, member_id: MemberId, generation: i32) -> Result<(), KafkaError> {
    let msg = Msg::OffsetCommit {
        req: crate::record::ReqId { process: 0, n: 9 },
        group: 0,
        member_id,
        generation,
        offsets: Arc::from(vec![(0, 5)]),
    };
    let out = send(b, now, 0, msg);
    match &out.sends[..] {
        [(_, Msg::OffsetCommitResponse { result, .. })] => *result,
        other => panic!("{other:?}"),
    }
}

/// A stable group of one member at generation 1: its member id.
fn stable_group(b: &mut Broker) -> MemberId {
    let id = new_member(b, 10, 0);
    let out = join(b, 11, 0, id);
    let out = fire_join_timers(b, 3_011, out);
    assert!(out
        .sends
        .iter()
        .any(|(_, m)| matches!(m, Msg::JoinGroupResponse { result: Ok(r), .. } if r.generation == 1)));
    let sync = Msg::SyncGroup {
        req: crate::record::ReqId { process: 0, n: 2 },
        group: 0,
        member_id: id,
        generation: 1,
        assignments: vec![(id, vec![0])],
    };
    let out = send(b, 3_020, 0, sync);
    assert!(out.sends.iter().any(|(_, m)| matches!(m, Msg::SyncGroupResponse { result: Ok(p), .. } if p == &vec![0])));
    id
}

#[test]
fn a_join_without_a_member_id_is_answered_member_id_required() {
    let mut b = coordinator();
    assert!(new_member(&mut b, 0, 0).is_known());
}

#[test]
fn a_commit_of_the_current_generation_is_accepted_and_fetched_back() {
    let mut b = coordinator();
    let id = stable_group(&mut b);
    assert_eq!(commit(&mut b, 4_000, id, 1), Ok(()));
    assert_eq!(b.on_offset_fetch(0, &[0]), Ok(vec![(0, Some(5))]), "the committed offset is the next to read");
}

#[test]
fn a_commit_of_another_generation_is_illegal_generation() {
    let mut b = coordinator();
    let id = stable_group(&mut b);
    assert_eq!(commit(&mut b, 4_000, id, 0), Err(KafkaError::IllegalGeneration));
}

#[test]
fn a_commit_of_an_unknown_member_is_unknown_member_id() {
    let mut b = coordinator();
    let id = stable_group(&mut b);
    assert_eq!(commit(&mut b, 4_000, MemberId { n: id.n + 1, ..id }, 1), Err(KafkaError::UnknownMemberId));
}

#[test]
fn current_generation_commits_pass_while_preparing_and_fail_while_completing_a_rebalance() {
    let mut b = coordinator();
    let first = stable_group(&mut b);
    // A second member joins: PreparingRebalance, the generation has not moved yet.
    let second = new_member(&mut b, 5_000, 1);
    let out = join(&mut b, 5_001, 1, second);
    assert!(out.sends.is_empty(), "the newcomer waits for the first member to rejoin");
    assert_eq!(commit(&mut b, 5_002, first, 1), Ok(()));
    // The first member rejoins: every member joined, generation 2, CompletingRebalance.
    let out = join(&mut b, 5_003, 0, first);
    assert_eq!(out.sends.iter().filter(|(_, m)| matches!(m, Msg::JoinGroupResponse { result: Ok(_), .. })).count(), 2);
    assert_eq!(commit(&mut b, 5_004, first, 2), Err(KafkaError::RebalanceInProgress));
    assert_eq!(commit(&mut b, 5_005, first, 1), Err(KafkaError::IllegalGeneration));
}

fn fetch(b: &mut Broker, read_committed: bool) -> FetchedPartition {
    let f = FetchPartition { partition: 0, offset: 0, leader_epoch: 0 };
    let msg = Msg::ConsumerFetch {
        req: crate::record::ReqId { process: 0, n: 3 },
        partitions: vec![f],
        max_wait_ms: 0,
        read_committed,
    };
    let out = send(b, 100, 0, msg);
    match out.sends.into_iter().next() {
        Some((_, Msg::ConsumerFetchResponse { mut partitions, .. })) => partitions.remove(0),
        other => panic!("{other:?}"),
    }
}

#[test]
fn read_committed_fetches_stop_at_the_last_stable_offset_and_name_aborted_transactions() {
    use crate::broker::{AbortedTxn, BatchTemplate};
    let mut b = coordinator();
    let plain = |n: u32| BatchTemplate {
        producer_id: -1,
        producer_epoch: -1,
        base_sequence: -1,
        producer: 0,
        instance: 0,
        records: (0..n).collect::<Vec<_>>().into(),
        meta: None,
        transactional: false,
        timestamp: None,
    };
    let r = b.replicas[0].as_mut().expect("replica");
    r.log.append_as_leader(&plain(2), 0);
    r.log.append_as_leader(
        &BatchTemplate { producer_id: 7, producer_epoch: 0, base_sequence: 0, transactional: true, ..plain(3) },
        0,
    );
    r.log.append_as_leader(&plain(2), 0);
    r.hw = 7;
    let committed = fetch(&mut b, true);
    let (batches, end) = committed.result.expect("records");
    assert_eq!((batches.len(), end), (1, 2), "only what precedes the open transaction");
    let (batches, end) = fetch(&mut b, false).result.expect("records");
    assert_eq!((batches.len(), end), (3, 7), "read_uncommitted reads to the high watermark");
    let r = b.replicas[0].as_mut().expect("replica");
    r.log.append_as_leader(&BatchTemplate::marker(7, 0, false, 0), 0);
    r.hw = 8;
    let committed = fetch(&mut b, true);
    assert_eq!(committed.result.expect("records").0.len(), 4);
    assert_eq!(committed.aborted, vec![AbortedTxn { producer_id: 7, first: 2, marker: 7 }]);
}
