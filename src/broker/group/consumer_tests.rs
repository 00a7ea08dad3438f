//! Unit tests of the KIP-848 coordinator: reconciliation, epoch fencing, commits, sessions.

use super::*;
use crate::broker::{Controller, Topology};
use crate::record::KafkaVersion;
use crate::scenario::{ConsumerSpec, GroupProtocol, Scenario, TopicSpec};
use crate::sim::{Node, Out};

/// One broker (RF 1, so its writes commit at once) coordinating group `g1` of three partitions.
fn coordinator() -> Broker {
    let mut s = Scenario::default();
    s.cluster.brokers = 1;
    s.cluster.kafka_version = KafkaVersion::V4_0;
    s.topics.push(TopicSpec::new("orders", 3, 1));
    let mut c = ConsumerSpec::new("c1", "g1", "orders");
    c.config.group_protocol = GroupProtocol::Consumer;
    s.consumers.push(c);
    let topo = Topology::new(&s);
    let mut c = Controller::new(topo.clone());
    c.start(&mut Out::default());
    Broker::new(1, topo, (c.broker_epoch(1), c.producer_id_block(1)), &c.image(), 0, &mut Out::default())
}

/// Member `k`'s heartbeat with `epoch` owning `owned`; its answer and the timers it armed.
fn beat(
    b: &mut Broker,
    now: u64,
    k: u32,
    id: MemberId,
    epoch: i32,
    owned: &[u32],
) -> (Result<ConsumerHeartbeatResult, KafkaError>, BrokerOut) {
    let msg = Msg::ConsumerGroupHeartbeat {
        req: ReqId { process: k, n: now as u32 },
        group: 0,
        member_id: id,
        member_epoch: epoch,
        rebalance_timeout_ms: 300_000,
        subscription: Arc::new(Subscription { topics: Arc::from(vec![0]), owned: owned.to_vec() }),
    };
    let mut out = Out::default();
    b.on_message(now, NodeId::Consumer(k), msg, &mut out);
    let answer = out.sends.iter().find_map(|(_, m)| match m {
        Msg::ConsumerGroupHeartbeatResponse { result, .. } => Some(result.clone().map(|r| *r)),
        _ => None,
    });
    (answer.expect("answered at once (RF 1)"), out)
}

fn ok(r: (Result<ConsumerHeartbeatResult, KafkaError>, BrokerOut)) -> (MemberId, i32, Vec<u32>) {
    let r = r.0.expect("accepted");
    (r.member_id, r.member_epoch, r.assignment.map(|a| a.to_vec()).unwrap_or_default())
}

fn commit(b: &mut Broker, now: u64, id: MemberId, epoch: i32) -> Result<(), KafkaError> {
    let msg = Msg::OffsetCommit {
        req: ReqId { process: 9, n: now as u32 },
        group: 0,
        member_id: id,
        generation: epoch,
        offsets: Arc::from(vec![(0, 5)]),
    };
    let mut out = Out::default();
    b.on_message(now, NodeId::Consumer(0), msg, &mut out);
    match &out.sends[..] {
        [(_, Msg::OffsetCommitResponse { result, .. })] => *result,
        other => panic!("{other:?}"),
    }
}

/// Two stable members: A with partitions 0 and 1, B with 2 (after A released it).
fn two_members(b: &mut Broker) -> (MemberId, MemberId, i32) {
    let (a, e1, pa) = ok(beat(b, 10, 0, MemberId::UNKNOWN, 0, &[]));
    assert_eq!((e1, pa.as_slice()), (1, &[0, 1, 2][..]), "the first member gets everything");
    let (bm, e2, pb) = ok(beat(b, 20, 1, MemberId::UNKNOWN, 0, &[]));
    assert_eq!((e2, pb), (2, vec![]), "partition 2 is still A's: B waits at the target epoch");
    // A still owns 2: it keeps its epoch and is told to keep only 0 and 1.
    assert_eq!(ok(beat(b, 30, 0, a, 1, &[0, 1, 2])), (a, 1, vec![0, 1]));
    assert_eq!(ok(beat(b, 40, 1, bm, 2, &[])).2, Vec::<u32>::new(), "not released yet");
    // A acknowledges the revocation: it moves to epoch 2, and B gets partition 2.
    assert_eq!(ok(beat(b, 50, 0, a, 1, &[0, 1])), (a, 2, vec![0, 1]));
    assert_eq!(ok(beat(b, 60, 1, bm, 2, &[])), (bm, 2, vec![2]));
    (a, bm, 2)
}

#[test]
fn a_partition_moves_to_a_new_member_only_after_its_owner_acknowledged_revoking_it() {
    let mut b = coordinator();
    two_members(&mut b);
}

#[test]
fn a_newer_epoch_or_an_older_one_that_is_not_the_previous_is_fenced() {
    let mut b = coordinator();
    let (a, _, epoch) = two_members(&mut b);
    assert_eq!(beat(&mut b, 70, 0, a, epoch + 1, &[0, 1]).0, Err(KafkaError::FencedMemberEpoch));
    // The previous epoch (1) with a subset of the assignment: the answer may have been lost.
    assert_eq!(ok(beat(&mut b, 71, 0, a, 1, &[0, 1])).1, epoch);
    assert_eq!(beat(&mut b, 72, 0, a, 1, &[0, 1, 2]).0, Err(KafkaError::FencedMemberEpoch), "not a subset");
    assert_eq!(beat(&mut b, 73, 0, MemberId { n: 999, ..a }, 1, &[]).0, Err(KafkaError::UnknownMemberId));
}

#[test]
fn an_offset_commit_needs_the_members_current_epoch() {
    let mut b = coordinator();
    let (a, _, epoch) = two_members(&mut b);
    assert_eq!(commit(&mut b, 80, a, epoch), Ok(()));
    assert_eq!(commit(&mut b, 81, a, epoch - 1), Err(KafkaError::StaleMemberEpoch));
    assert_eq!(commit(&mut b, 82, MemberId { n: 999, ..a }, epoch), Err(KafkaError::UnknownMemberId));
}

#[test]
fn a_member_that_leaves_frees_its_partitions_for_the_others_next_heartbeat() {
    let mut b = coordinator();
    let (a, bm, epoch) = two_members(&mut b);
    assert_eq!(ok(beat(&mut b, 90, 1, bm, -1, &[2])).1, -1);
    let (_, e, parts) = ok(beat(&mut b, 91, 0, a, epoch, &[0, 1]));
    assert_eq!((e, parts), (epoch + 1, vec![0, 1, 2]));
    assert_eq!(commit(&mut b, 92, bm, epoch), Err(KafkaError::UnknownMemberId), "the leaver cannot commit");
}

#[test]
fn a_silent_member_is_fenced_when_its_session_expires_and_not_before() {
    let mut b = coordinator();
    let (a, bm, epoch) = two_members(&mut b);
    // B keeps heartbeating; A's last heartbeat was at 50 ms: its timer fires at 45 050 ms.
    let (_, out) = beat(&mut b, 40_000, 1, bm, epoch, &[2]);
    let timer = |out: &BrokerOut, id: MemberId| {
        out.timers.iter().find_map(|(_, t)| match *t {
            BrokerTimer::MemberExpiry { member, deadline, .. } if member == id => Some(deadline),
            _ => None,
        })
    };
    let b_deadline = timer(&out, bm).expect("B's session timer");
    assert_eq!(b_deadline, 85_000);
    let mut out = Out::default();
    b.on_timer(45_050, BrokerTimer::MemberExpiry { group: 0, member: bm, deadline: 45_050 }, &mut out);
    assert_eq!(ok(beat(&mut b, 45_051, 1, bm, epoch, &[2])).1, epoch, "a stale timer does not fence B");
    b.on_timer(45_050, BrokerTimer::MemberExpiry { group: 0, member: a, deadline: 45_050 }, &mut out);
    let (_, e, parts) = ok(beat(&mut b, 45_100, 1, bm, epoch, &[2]));
    assert_eq!((e, parts), (epoch + 1, vec![0, 1, 2]), "A's partitions are free: B takes them");
    assert_eq!(beat(&mut b, 45_200, 0, a, epoch, &[0, 1]).0, Err(KafkaError::UnknownMemberId));
}

#[test]
fn a_member_that_left_rejoins_with_epoch_0_under_its_member_id() {
    let mut b = coordinator();
    let (a, bm, epoch) = two_members(&mut b);
    assert_eq!(ok(beat(&mut b, 90, 1, bm, -1, &[2])).1, -1);
    // B, removed, comes back with its old id and epoch 0 before A heard of its leave: a new
    // member with that id, and partition 2, which nobody holds, is its again at once.
    let (id, e, parts) = ok(beat(&mut b, 100, 1, bm, 0, &[]));
    assert_eq!((id, e, parts), (bm, epoch + 2, vec![2]));
    assert_eq!(ok(beat(&mut b, 110, 0, a, epoch, &[0, 1])), (a, epoch + 2, vec![0, 1]));
}
