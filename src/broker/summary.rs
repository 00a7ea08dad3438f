//! What the trace keeps of each message: its Kafka API name, family, request id and facts.

use super::{FetchResult, Msg};
use crate::error::KafkaError;
use crate::record::ReqId;
use crate::sim::trace::{Fact, Family, MsgSummary};

/// A summary with up to three facts.
fn s(api: &'static str, family: Family, req: Option<ReqId>, facts: impl IntoIterator<Item = Fact>) -> MsgSummary {
    let mut f = [None; 3];
    for (slot, fact) in f.iter_mut().zip(facts) {
        *slot = Some(fact);
    }
    MsgSummary { api, family, req, facts: f }
}

/// The error of a result as a fact, if it failed.
fn err<T>(r: &Result<T, KafkaError>) -> Option<Fact> {
    r.as_ref().err().map(|e| Fact::Error(*e))
}

/// `ok` when a result succeeded, its error otherwise.
fn or_err<T>(r: &Result<T, KafkaError>, ok: impl FnOnce(&T) -> Fact) -> Fact {
    match r {
        Ok(v) => ok(v),
        Err(e) => Fact::Error(*e),
    }
}

impl Msg {
    /// What the trace prints and hashes of this message.
    pub fn summary(&self) -> MsgSummary {
        use Family::{Controller, Groups, Net, Replication, Txn};
        let r = |req: &ReqId| Some(*req);
        match self {
            Msg::MetadataRequest => s("Metadata", Net, None, []),
            Msg::MetadataResponse { leaders } => s("MetadataResp", Net, None, [Fact::Partitions(leaders.len() as u64)]),
            Msg::Produce { req, partition, batch, .. } => {
                s("Produce", Net, r(req), [Fact::Partition(*partition), Fact::Records(batch.records.len() as u64)])
            }
            Msg::ProduceResponse { req, partition, result, leader_epoch } => s(
                "ProduceResp",
                Net,
                r(req),
                [Fact::Partition(*partition), or_err(result, |o| Fact::Offset(*o)), Fact::LeaderEpoch(*leader_epoch)],
            ),
            Msg::Disconnected => s("Disconnected", Net, None, []),
            Msg::Refused { req } => s("Refused", Net, *req, []),
            Msg::ApiVersions { req } => s("ApiVersions", Net, r(req), []),
            Msg::ApiVersionsResponse { req } => s("ApiVersionsResp", Net, r(req), []),
            // A fetch of one partition names it; a fetch of several says how many.
            Msg::Fetch(f) => match f.partitions.as_slice() {
                [one] => s(
                    "Fetch",
                    Replication,
                    None,
                    [
                        Fact::Partition(one.partition),
                        Fact::Offset(one.fetch_offset),
                        Fact::LeaderEpoch(one.leader_epoch),
                    ],
                ),
                all => s("Fetch", Replication, None, [Fact::Partitions(all.len() as u64)]),
            },
            Msg::FetchResponse { partitions, .. } => match partitions.as_slice() {
                [(partition, result)] => {
                    let p = Fact::Partition(*partition);
                    match result {
                        FetchResult::Records { batches, hw } => {
                            s("FetchResp", Replication, None, [p, Fact::Batches(batches.len() as u64), Fact::Hw(*hw)])
                        }
                        FetchResult::Diverging { epoch, end_offset } => s(
                            "FetchResp",
                            Replication,
                            None,
                            [p, Fact::LeaderEpoch(*epoch), Fact::Diverging(*end_offset)],
                        ),
                        FetchResult::Error(e) => s("FetchResp", Replication, None, [p, Fact::Error(*e)]),
                    }
                }
                all => {
                    let batches = all
                        .iter()
                        .map(|(_, r)| match r {
                            FetchResult::Records { batches, .. } => batches.len() as u64,
                            _ => 0,
                        })
                        .sum();
                    s("FetchResp", Replication, None, [Fact::Partitions(all.len() as u64), Fact::Batches(batches)])
                }
            },
            Msg::Register => s("BrokerRegistration", Controller, None, []),
            Msg::Registered { broker_epoch, .. } => {
                s("BrokerRegistrationResp", Controller, None, [Fact::BrokerEpoch(*broker_epoch)])
            }
            Msg::RegisterRejected(e) => s("BrokerRegistrationResp", Controller, None, [Fact::Error(*e)]),
            Msg::Heartbeat { broker_epoch, metadata_version } => s(
                "BrokerHeartbeat",
                Controller,
                None,
                [Fact::BrokerEpoch(*broker_epoch), Fact::Version(*metadata_version)],
            ),
            Msg::HeartbeatResponse { image, .. } => {
                s("BrokerHeartbeatResp", Controller, None, image.iter().map(|i| Fact::Version(i.version)))
            }
            Msg::MetadataUpdate(i) => s("MetadataUpdate", Controller, None, [Fact::Version(i.version)]),
            Msg::AlterPartition { proposals } => match &proposals[..] {
                [x] => s(
                    "AlterPartition",
                    Controller,
                    None,
                    [
                        Fact::Partition(x.partition),
                        Fact::LeaderEpoch(x.leader_epoch),
                        Fact::IsrSize(x.isr.len() as u64),
                    ],
                ),
                all => s("AlterPartition", Controller, None, [Fact::Partitions(all.len() as u64)]),
            },
            Msg::AlterPartitionResponse { results } => match &results[..] {
                [(partition, result)] => s(
                    "AlterPartitionResp",
                    Controller,
                    None,
                    [Fact::Partition(*partition), or_err(result, |st| Fact::LeaderEpoch(st.leader_epoch))],
                ),
                all => s("AlterPartitionResp", Controller, None, [Fact::Partitions(all.len() as u64)]),
            },
            Msg::FindCoordinator { .. } => s("FindCoordinator", Groups, None, []),
            Msg::FindCoordinatorResponse { result, .. } => {
                s("FindCoordinatorResp", Groups, None, [or_err(result, |b| Fact::Coordinator(*b))])
            }
            Msg::JoinGroup { req, member_id, .. } => s("JoinGroup", Groups, r(req), [Fact::Member(*member_id)]),
            Msg::JoinGroupResponse { req, result } => {
                let facts = match result {
                    Ok(j) => [Fact::Generation(j.generation), Fact::Member(j.member_id)],
                    Err((e, member)) => [Fact::Error(*e), Fact::Member(*member)],
                };
                s("JoinGroupResp", Groups, r(req), facts)
            }
            Msg::SyncGroup { req, member_id, generation, .. } => {
                s("SyncGroup", Groups, r(req), [Fact::Member(*member_id), Fact::Generation(*generation)])
            }
            Msg::SyncGroupResponse { req, result } => {
                s("SyncGroupResp", Groups, r(req), [or_err(result, |a| Fact::Partitions(a.len() as u64))])
            }
            Msg::GroupHeartbeat { req, member_id, generation, .. } => {
                s("Heartbeat", Groups, r(req), [Fact::Member(*member_id), Fact::Generation(*generation)])
            }
            Msg::GroupHeartbeatResponse { req, result } => s("HeartbeatResp", Groups, r(req), err(result)),
            Msg::LeaveGroup { member_id, .. } => s("LeaveGroup", Groups, None, [Fact::Member(*member_id)]),
            Msg::ConsumerGroupHeartbeat { req, member_id, member_epoch, subscription, .. } => s(
                "ConsumerGroupHeartbeat",
                Groups,
                r(req),
                [
                    Fact::Member(*member_id),
                    Fact::Generation(*member_epoch),
                    Fact::Partitions(subscription.owned.len() as u64),
                ],
            ),
            Msg::ConsumerGroupHeartbeatResponse { req, result } => {
                let facts = match result {
                    Ok(a) => [
                        Some(Fact::Member(a.member_id)),
                        Some(Fact::Generation(a.member_epoch)),
                        a.assignment.as_ref().map(|p| Fact::Partitions(p.len() as u64)),
                    ],
                    Err(e) => [Some(Fact::Error(*e)), None, None],
                };
                s("ConsumerGroupHeartbeatResp", Groups, r(req), facts.into_iter().flatten())
            }
            Msg::OffsetCommit { req, generation, offsets, .. } => {
                let sum = offsets.iter().map(|o| o.1).sum();
                s(
                    "OffsetCommit",
                    Groups,
                    r(req),
                    [Fact::Generation(*generation), Fact::Partitions(offsets.len() as u64), Fact::Offset(sum)],
                )
            }
            Msg::OffsetCommitResponse { req, result } => s("OffsetCommitResp", Groups, r(req), err(result)),
            Msg::OffsetFetch { req, partitions, .. } => {
                s("OffsetFetch", Groups, r(req), [Fact::Partitions(partitions.len() as u64)])
            }
            Msg::OffsetFetchResponse { req, result } => s("OffsetFetchResp", Groups, r(req), err(result)),
            Msg::ListOffsets { req, partition } => s("ListOffsets", Net, r(req), [Fact::Partition(*partition)]),
            Msg::ListOffsetsResponse { req, partition, result } => {
                s("ListOffsetsResp", Net, r(req), [Fact::Partition(*partition), or_err(result, |o| Fact::Offset(*o))])
            }
            Msg::ConsumerEpochEnd { req, partition, leader_epoch, .. } => {
                s("OffsetsForLeaderEpoch", Net, r(req), [Fact::Partition(*partition), Fact::LeaderEpoch(*leader_epoch)])
            }
            Msg::ConsumerEpochEndResponse { req, partition, result } => {
                let end = or_err(result, |r| Fact::Offset(r.map_or(u64::MAX, |(_, end)| end)));
                let epoch = result.as_ref().ok().and_then(|r| r.map(|(e, _)| Fact::LeaderEpoch(e)));
                s(
                    "OffsetsForLeaderEpochResp",
                    Net,
                    r(req),
                    [Some(Fact::Partition(*partition)), Some(end), epoch].into_iter().flatten(),
                )
            }
            Msg::ConsumerFetch { req, partitions, .. } => {
                let sum = partitions.iter().map(|p| p.offset).sum();
                s("ConsumerFetch", Net, r(req), [Fact::Partitions(partitions.len() as u64), Fact::Offset(sum)])
            }
            Msg::ConsumerFetchResponse { req, partitions } => {
                let batches = partitions.iter().map(|p| p.result.as_ref().map_or(0, |(b, _)| b.len() as u64)).sum();
                let error = partitions.iter().find_map(|p| err(&p.result));
                s("ConsumerFetchResp", Net, r(req), [Some(Fact::Batches(batches)), error].into_iter().flatten())
            }
            Msg::FindTxnCoordinator { .. } => s("FindTxnCoordinator", Txn, None, []),
            Msg::FindTxnCoordinatorResponse { result, .. } => {
                s("FindTxnCoordinatorResp", Txn, None, [or_err(result, |b| Fact::Coordinator(*b))])
            }
            Msg::InitProducerId { req, producer_id, producer_epoch, .. } => {
                // A KIP-360 bump names the producer id and epoch it holds.
                let ids = (*producer_id >= 0)
                    .then_some([Fact::ProducerId(*producer_id), Fact::ProducerEpoch(*producer_epoch)]);
                s("InitProducerId", Txn, r(req), ids.into_iter().flatten())
            }
            Msg::InitProducerIdResponse { req, result } => {
                let facts = match result {
                    Ok((pid, epoch)) => [Some(Fact::ProducerId(*pid)), Some(Fact::ProducerEpoch(*epoch))],
                    Err(e) => [Some(Fact::Error(*e)), None],
                };
                s("InitProducerIdResp", Txn, r(req), facts.into_iter().flatten())
            }
            Msg::AddPartitionsToTxn { req, producer_id, producer_epoch, partitions, .. } => s(
                "AddPartitionsToTxn",
                Txn,
                r(req),
                [
                    Fact::ProducerId(*producer_id),
                    Fact::ProducerEpoch(*producer_epoch),
                    Fact::Partitions(partitions.len() as u64),
                ],
            ),
            Msg::AddOffsetsToTxn { req, producer_id, producer_epoch, .. } => s(
                "AddOffsetsToTxn",
                Txn,
                r(req),
                [Fact::ProducerId(*producer_id), Fact::ProducerEpoch(*producer_epoch)],
            ),
            Msg::EndTxn { req, producer_id, producer_epoch, commit, .. } => s(
                "EndTxn",
                Txn,
                r(req),
                [Fact::ProducerId(*producer_id), Fact::ProducerEpoch(*producer_epoch), Fact::Commit(*commit)],
            ),
            Msg::WriteTxnMarkers { req, producer_id, commit, partitions, .. } => s(
                "WriteTxnMarkers",
                Txn,
                r(req),
                [Fact::ProducerId(*producer_id), Fact::Commit(*commit), Fact::Partitions(partitions.len() as u64)],
            ),
            Msg::WriteTxnMarkersResponse { req, results } => {
                let error = results.iter().find_map(|(_, res)| err(res));
                s("WriteTxnMarkersResp", Txn, r(req), error)
            }
            Msg::TxnOffsetCommit { req, producer_id, generation, .. } => {
                s("TxnOffsetCommit", Txn, r(req), [Fact::ProducerId(*producer_id), Fact::Generation(*generation)])
            }
            Msg::AddPartitionsToTxnResponse { req, result } => s("AddPartitionsToTxnResp", Txn, r(req), err(result)),
            Msg::AddOffsetsToTxnResponse { req, result } => s("AddOffsetsToTxnResp", Txn, r(req), err(result)),
            Msg::EndTxnResponse { req, result } => {
                // EndTxn v5 (transactions V2) answers the epoch of the next transaction.
                let epoch = match result {
                    Ok((_, e)) => (*e >= 0).then_some(Fact::ProducerEpoch(*e)),
                    Err(e) => Some(Fact::Error(*e)),
                };
                s("EndTxnResp", Txn, r(req), epoch)
            }
            Msg::TxnVerify { req, producer_id, producer_epoch, partition, verify_only, .. } => s(
                if *verify_only { "AddPartitionsToTxn(verifyOnly)" } else { "AddPartitionsToTxn(broker)" },
                Txn,
                r(req),
                [Fact::ProducerId(*producer_id), Fact::ProducerEpoch(*producer_epoch), Fact::Partition(*partition)],
            ),
            Msg::TxnVerifyResponse { req, result } => s("AddPartitionsToTxnResp", Txn, r(req), err(result)),
            Msg::TxnOffsetCommitResponse { req, result } => s("TxnOffsetCommitResp", Txn, r(req), err(result)),
        }
    }
}
