//! `BaseConsumer`: the consumer a [`StreamConsumer`](super::StreamConsumer) wraps and a
//! [`ConsumerContext`]'s callbacks are handed. It is not created on its own here (no `poll()`):
//! every call goes through its service's port to the table's member.

use std::sync::Arc;

use parking_lot::Mutex;

use super::{
    CommitMode, Consumer, ConsumerContext, ConsumerGroupMetadata, DefaultConsumerContext, Rebalance, RebalanceProtocol,
};
use crate::app::service::hub::HubState;
use crate::client::driver::Step;
use crate::rdkafka::error::{KafkaError, KafkaResult, RDKafkaErrorCode};
use crate::rdkafka::message::{BorrowedMessage, Message};
use crate::rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use crate::rdkafka::util::Timeout;

/// What the code was told so far: the rebalance callbacks' last generation and assignment, and
/// whether it subscribed.
#[derive(Debug, Default)]
struct Seen {
    generation: Option<i32>,
    assignment: Vec<u32>,
    subscribed: bool,
}

/// A consumer of a service: instance K of one of the service's `[[consumer]]` tables.
pub struct BaseConsumer<C: ConsumerContext = DefaultConsumerContext> {
    pub(crate) st: Arc<Mutex<HubState>>,
    pub(crate) port: usize,
    table: usize,
    context: Arc<C>,
    seen: Mutex<Seen>,
}

impl<C: ConsumerContext> std::fmt::Debug for BaseConsumer<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BaseConsumer").field("port", &self.port).field("table", &self.table).finish()
    }
}

impl<C: ConsumerContext> BaseConsumer<C> {
    pub(crate) fn new(st: Arc<Mutex<HubState>>, port: usize, table: usize, context: C) -> Self {
        BaseConsumer { st, port, table, context: Arc::new(context), seen: Mutex::new(Seen::default()) }
    }

    /// Run the context's callbacks for what the consumer's last call brought: commits that
    /// ended (`commit_callback`), then a changed assignment (`Revoke`, then `Assign`: with the
    /// eager protocol the whole old and new assignments, as librdkafka's rebalance callback
    /// gets them; with the cooperative one only what moved, as `incremental_(un)assign` does).
    pub(crate) fn serve_events(&self) {
        // The assignment as of the last call, copied only when it differs from what the
        // callbacks saw (this runs around every `recv()`).
        let (commits, changed, cooperative) = {
            let mut s = self.st.lock();
            let cooperative = s.consumers[self.table].cooperative;
            let port = &mut s.ports[self.port];
            let view = &port.view;
            // A generation counts once the member is in a stable group with it (`None` while
            // it joins: an eager member has given everything up by then, a cooperative one
            // keeps it).
            let generation = view.assigned_generation;
            let changed = {
                let seen = self.seen.lock();
                let same = seen.assignment.len() == view.positions.len()
                    && seen.assignment.iter().zip(&view.positions).all(|(a, (p, _))| a == p);
                let new_generation = generation.is_some() && seen.generation != generation;
                (!same || new_generation)
                    .then(|| (view.positions.iter().map(|&(p, _)| p).collect::<Vec<u32>>(), generation))
            };
            (std::mem::take(&mut port.commits), changed, cooperative)
        };
        for (offsets, result) in commits {
            let tpl = self.tpl(offsets.iter().map(|&(p, o)| (p, Offset::Offset(o as i64))));
            let result = result.map_err(|e| KafkaError::ConsumerCommit(e.into()));
            self.context.commit_callback(result, &tpl);
        }
        let Some((new, generation)) = changed else { return };
        let (old, new_generation) = {
            let mut seen = self.seen.lock();
            let new_generation = generation.is_some() && seen.generation != generation;
            if seen.assignment == new && !new_generation {
                return;
            }
            if generation.is_some() {
                seen.generation = generation;
            }
            (std::mem::replace(&mut seen.assignment, new.clone()), new_generation)
        };
        let (revoked, assigned): (Vec<u32>, Vec<u32>) = if cooperative {
            (
                old.iter().copied().filter(|p| !new.contains(p)).collect(),
                new.iter().copied().filter(|p| !old.contains(p)).collect(),
            )
        } else {
            (old, new)
        };
        if !revoked.is_empty() {
            self.rebalance(false, &revoked);
        }
        // librdkafka calls the callback with `Assign` after every rebalance it took part in,
        // even with nothing (new) assigned.
        if generation.is_some() && (new_generation || !assigned.is_empty()) {
            self.rebalance(true, &assigned);
        }
    }

    /// The context's callbacks for an assignment (`assign`) or revocation of `parts`.
    fn rebalance(&self, assign: bool, parts: &[u32]) {
        let tpl = self.tpl(parts.iter().map(|&p| (p, Offset::Invalid)));
        let rebalance = if assign { Rebalance::Assign(&tpl) } else { Rebalance::Revoke(&tpl) };
        self.context.pre_rebalance(self, &rebalance);
        self.context.post_rebalance(self, &rebalance);
    }

    /// A list of these partitions (global index) and offsets.
    fn tpl(&self, parts: impl Iterator<Item = (u32, Offset)>) -> TopicPartitionList {
        let s = self.st.lock();
        let run = s.run.lock();
        let mut tpl = TopicPartitionList::new();
        for (p, offset) in parts {
            let (topic, partition) = run.partition_name(p);
            tpl.add_partition(&topic, partition);
            let _ = tpl.set_partition_offset(&topic, partition, offset);
        }
        tpl
    }

    /// The global index of each listed partition, with its offset; `Err` naming the first that
    /// does not exist.
    fn resolve(&self, tpl: &TopicPartitionList) -> Result<Vec<(u32, Offset)>, RDKafkaErrorCode> {
        let s = self.st.lock();
        let run = s.run.lock();
        tpl.elements()
            .iter()
            .map(|e| {
                let p = run.partition_index(e.topic(), e.partition()).ok_or(RDKafkaErrorCode::UnknownPartition)?;
                Ok((p, e.offset()))
            })
            .collect()
    }

    fn assigned(&self, p: u32) -> bool {
        self.st.lock().ports[self.port].view.positions.iter().any(|&(x, _)| x == p)
    }

    /// Commit the positions (a librdkafka member: its stored offsets); an error a blocking call
    /// left is returned first.
    pub(crate) fn commit_positions(&self, mode: CommitMode) -> KafkaResult<()> {
        let mut s = self.st.lock();
        if let Some(e) = s.take_error(self.port) {
            return Err(KafkaError::ConsumerCommit(e.into()));
        }
        match mode {
            CommitMode::Sync => s.call_blocking(self.port, Step::CommitSync),
            CommitMode::Async => _ = s.call(self.port, Step::CommitAsync),
        }
        Ok(())
    }

    /// librdkafka's offset store: `__NOT_IMPLEMENTED` for a Java member (Java's consumer has no
    /// offset store), else store what is assigned (`rd_kafka_offset_store0`: `__STATE` when not;
    /// the call fails only when nothing could be stored, as `rd_kafka_offsets_store` does).
    fn store(&self, offsets: &[(u32, Offset)]) -> KafkaResult<()> {
        if !self.st.lock().consumers[self.table].librdkafka {
            return Err(KafkaError::StoreOffset(RDKafkaErrorCode::NotImplemented));
        }
        let (mut ok, mut last) = (Vec::new(), None);
        for &(p, offset) in offsets {
            match offset {
                Offset::Offset(o) if o >= 0 && self.assigned(p) => ok.push((p, o as u64)),
                Offset::Offset(o) if o >= 0 => last = Some(RDKafkaErrorCode::State),
                // A logical offset is stored as such: nothing to commit for the partition.
                _ => {}
            }
        }
        match last {
            Some(e) if ok.is_empty() => return Err(KafkaError::StoreOffset(e)),
            _ if ok.is_empty() => return Ok(()),
            _ => {}
        }
        self.st.lock().call_blocking(self.port, Step::StoreOffsets(ok));
        Ok(())
    }

    fn pause_resume(&self, partitions: &TopicPartitionList, on: bool) -> KafkaResult<()> {
        // librdkafka marks an unknown partition's element with an error and pauses the rest;
        // a partition not assigned keeps no pause (Java's `SubscriptionState`).
        let parts: Vec<u32> =
            self.resolve_known(partitions).into_iter().filter_map(|(p, _)| self.assigned(p).then_some(p)).collect();
        if !parts.is_empty() {
            self.st.lock().call_blocking(self.port, Step::Pause(parts, on));
        }
        Ok(())
    }

    /// The listed partitions that exist (global index), with their offsets.
    fn resolve_known(&self, tpl: &TopicPartitionList) -> Vec<(u32, Offset)> {
        let s = self.st.lock();
        let run = s.run.lock();
        tpl.elements()
            .iter()
            .filter_map(|e| Some((run.partition_index(e.topic(), e.partition())?, e.offset())))
            .collect()
    }

    fn not_modelled(call: &str) -> KafkaError {
        KafkaError::Subscription(format!(
            "{call}: manual assignment is not modelled (a service's consumer is a group member of its \
             [[consumer]] table; docs/services.md, \"Stage 4\")"
        ))
    }
}

impl<C: ConsumerContext> Consumer<C> for BaseConsumer<C> {
    fn context(&self) -> &Arc<C> {
        &self.context
    }

    fn group_metadata(&self) -> Option<ConsumerGroupMetadata> {
        let s = self.st.lock();
        let v = &s.ports[self.port].view;
        Some(ConsumerGroupMetadata { group: v.group, member_id: v.member_id, generation: v.generation })
    }

    fn subscribe(&self, topics: &[&str]) -> KafkaResult<()> {
        let s = self.st.lock();
        let table = &s.consumers[self.table];
        let mut want: Vec<&str> = topics.to_vec();
        want.sort_unstable();
        let mut have: Vec<&str> = table.topics.iter().map(String::as_str).collect();
        have.sort_unstable();
        if want != have {
            return Err(KafkaError::Subscription(format!(
                "[[consumer]] {} subscribes to {:?} (stage 1: the table's topics)",
                table.name, table.topics
            )));
        }
        self.seen.lock().subscribed = true;
        Ok(())
    }

    /// The group's assignment, taken as it is: what rdkafka's default `ConsumerContext::rebalance`
    /// does with an `Assign` (`rd_kafka_assign(rk, partitions)` of exactly the partitions the
    /// rebalance gave), so `assign(&current_assignment)` is `Ok`. Any other list is a manual
    /// assignment, which is not modelled (an error saying so).
    fn assign(&self, assignment: &TopicPartitionList) -> KafkaResult<()> {
        let mut want: Vec<u32> = self
            .resolve(assignment)
            .map_err(|e| KafkaError::Subscription(e.to_string()))?
            .into_iter()
            .map(|(p, _)| p)
            .collect();
        want.sort_unstable();
        want.dedup();
        let mut have: Vec<u32> = self.st.lock().ports[self.port].view.positions.iter().map(|&(p, _)| p).collect();
        have.sort_unstable();
        if want == have {
            return Ok(());
        }
        Err(Self::not_modelled("assign"))
    }

    fn unassign(&self) -> KafkaResult<()> {
        Err(Self::not_modelled("unassign"))
    }

    fn seek<T: Into<Timeout>>(&self, topic: &str, partition: i32, offset: Offset, timeout: T) -> KafkaResult<()> {
        let _ = timeout.into();
        let mut s = self.st.lock();
        let p = s.run.lock().partition_index(topic, partition);
        let assigned = p.filter(|p| s.ports[self.port].view.positions.iter().any(|(x, _)| x == p));
        let (Some(p), Offset::Offset(o)) = (assigned, offset) else {
            // librdkafka: seeking a partition that is not assigned fails with __STATE; offsets
            // other than a number are not modelled.
            return Err(KafkaError::Seek(format!("{}: {topic}/{partition} at {offset:?}", RDKafkaErrorCode::State)));
        };
        s.call_blocking(self.port, Step::Seek(p, o.max(0) as u64));
        Ok(())
    }

    fn commit(&self, topic_partition_list: &TopicPartitionList, mode: CommitMode) -> KafkaResult<()> {
        let parts = self.resolve(topic_partition_list).map_err(KafkaError::ConsumerCommit)?;
        // librdkafka commits absolute offsets only (`rd_kafka_cgrp_offsets_commit`: none left is
        // `__NO_OFFSET`).
        let offsets: Vec<(u32, u64)> = parts
            .into_iter()
            .filter_map(|(p, o)| match o {
                Offset::Offset(o) if o >= 0 => Some((p, o as u64)),
                _ => None,
            })
            .collect();
        let mut s = self.st.lock();
        if let Some(e) = s.take_error(self.port) {
            return Err(KafkaError::ConsumerCommit(e.into()));
        }
        if offsets.is_empty() {
            return Err(KafkaError::ConsumerCommit(RDKafkaErrorCode::NoOffset));
        }
        match mode {
            CommitMode::Sync => s.call_blocking(self.port, Step::CommitOffsets(offsets.into(), true)),
            CommitMode::Async => s.call_blocking(self.port, Step::CommitOffsets(offsets.into(), false)),
        }
        Ok(())
    }

    fn commit_consumer_state(&self, mode: CommitMode) -> KafkaResult<()> {
        self.commit_positions(mode)
    }

    fn commit_message(&self, message: &BorrowedMessage<'_>, mode: CommitMode) -> KafkaResult<()> {
        // rdkafka's `commit_message`: the offset after the message, for its partition only
        // (other partitions' positions are not committed).
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition_offset(message.topic(), message.partition(), Offset::Offset(message.offset() + 1))?;
        self.commit(&tpl, mode)
    }

    fn store_offset(&self, topic: &str, partition: i32, offset: i64) -> KafkaResult<()> {
        let p = self.st.lock().run.lock().partition_index(topic, partition);
        let p = p.ok_or(KafkaError::StoreOffset(RDKafkaErrorCode::UnknownPartition))?;
        // `rd_kafka_offset_store` stores the offset after the one given.
        self.store(&[(p, Offset::Offset(offset + 1))])
    }

    fn store_offset_from_message(&self, message: &BorrowedMessage<'_>) -> KafkaResult<()> {
        self.store_offset(message.topic(), message.partition(), message.offset())
    }

    fn store_offsets(&self, tpl: &TopicPartitionList) -> KafkaResult<()> {
        let (librdkafka, auto_store) = {
            let s = self.st.lock();
            (s.consumers[self.table].librdkafka, s.consumers[self.table].auto_offset_store)
        };
        if librdkafka && auto_store {
            // `rd_kafka_offsets_store` refuses to run alongside `enable.auto.offset.store=true`.
            return Err(KafkaError::StoreOffset(RDKafkaErrorCode::InvalidArgument));
        }
        let parts = self.resolve(tpl).map_err(KafkaError::StoreOffset)?;
        self.store(&parts)
    }

    fn subscription(&self) -> KafkaResult<TopicPartitionList> {
        let mut tpl = TopicPartitionList::new();
        if self.seen.lock().subscribed {
            let s = self.st.lock();
            for t in &s.consumers[self.table].topics {
                // librdkafka lists a subscribed topic with RD_KAFKA_PARTITION_UA (-1).
                tpl.add_partition(t, -1);
            }
        }
        Ok(tpl)
    }

    fn assignment(&self) -> KafkaResult<TopicPartitionList> {
        let parts: Vec<u32> = self.st.lock().ports[self.port].view.positions.iter().map(|&(p, _)| p).collect();
        Ok(self.tpl(parts.into_iter().map(|p| (p, Offset::Invalid))))
    }

    fn committed<T>(&self, timeout: T) -> KafkaResult<TopicPartitionList>
    where
        T: Into<Timeout>,
        Self: Sized,
    {
        let assignment = self.assignment()?;
        self.committed_offsets(assignment, timeout)
    }

    fn committed_offsets<T>(&self, tpl: TopicPartitionList, timeout: T) -> KafkaResult<TopicPartitionList>
    where
        T: Into<Timeout>,
    {
        let _ = timeout.into();
        let known = self.st.lock().ports[self.port].view.committed.clone();
        let mut out = tpl;
        for e in out.elements() {
            let p = self.st.lock().run.lock().partition_index(e.topic(), e.partition());
            let offset = p
                .and_then(|p| known.iter().find(|&&(x, _)| x == p))
                .map_or(Offset::Invalid, |&(_, o)| Offset::Offset(o as i64));
            out.set_partition_offset(e.topic(), e.partition(), offset)?;
        }
        Ok(out)
    }

    fn position(&self) -> KafkaResult<TopicPartitionList> {
        let positions = self.st.lock().ports[self.port].view.positions.clone();
        Ok(self
            .tpl(positions.into_iter().map(|(p, pos)| (p, pos.map_or(Offset::Invalid, |o| Offset::Offset(o as i64))))))
    }

    fn pause(&self, partitions: &TopicPartitionList) -> KafkaResult<()> {
        self.pause_resume(partitions, true)
    }

    fn resume(&self, partitions: &TopicPartitionList) -> KafkaResult<()> {
        self.pause_resume(partitions, false)
    }

    fn rebalance_protocol(&self) -> RebalanceProtocol {
        if self.st.lock().consumers[self.table].cooperative {
            RebalanceProtocol::Cooperative
        } else {
            RebalanceProtocol::Eager
        }
    }
}
