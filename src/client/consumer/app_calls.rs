//! Calls a service's rdkafka code makes on its member beyond poll, process and the commit of its
//! positions (issue 12, stage 4): commits of chosen offsets, librdkafka's offset store, and
//! pause/resume.
//!
//! - **Chosen offsets** (`rd_kafka_commit(rk, offsets, async)`; Java's `commitSync(Map)` and
//!   `commitAsync(Map, cb)`): the same machinery as a commit of the positions, with the given
//!   offsets. As `ConsumerCoordinator.sendOffsetCommitRequest` does, the commit carries the
//!   member's generation and fails at once outside a stable one; the coordinator
//!   (`ClassicGroup.validateOffsetCommit`) checks the member and generation only, so a member may
//!   commit a partition it is not assigned.
//! - **Offset store** (`rd_kafka_offsets_store`, rdkafka_offset.c): the stored offset of an
//!   assigned partition is what the next commit without explicit offsets (the auto-commit timer,
//!   `commit_consumer_state`) sends.
//! - **Rebalance callbacks** (librdkafka's `rebalance_cb`, served from the application's
//!   `rd_kafka_consumer_poll`, rdkafka_cgrp.c `rd_kafka_rebalance_op`): a member whose service's
//!   context has callbacks answers a waiting `poll()` without records when its generation or
//!   assignment changed since the application last saw it, so the callbacks run even when no
//!   record arrives.
//! - **Pause** (Java's `KafkaConsumer.pause` → `SubscriptionState.pause`): a paused partition
//!   keeps its position and buffered records, is left out of fetches (`fetchablePartitions`) and
//!   `poll()` returns none of its records until it is resumed; a partition that leaves the
//!   assignment is no longer paused (its state goes with it).

use std::collections::BTreeSet;

use super::*;
use crate::client::driver::Answer;

/// What the application set on its member beyond positions.
#[derive(Debug, Default)]
pub(super) struct AppCalls {
    /// Partitions the application paused (global index).
    paused: BTreeSet<u32>,
    /// The settled generation and assignment the application last saw (in its view).
    told: Option<(Option<i32>, Vec<u32>)>,
}

impl Consumer {
    /// Whether the application paused partition `p`.
    pub(super) fn paused(&self, p: u32) -> bool {
        !self.calls.paused.is_empty() && self.calls.paused.contains(&p)
    }

    /// Partitions the application paused, in order.
    pub(super) fn paused_list(&self) -> impl Iterator<Item = u32> + '_ {
        self.calls.paused.iter().copied()
    }

    /// `revoked` left the assignment: they are no longer paused.
    pub(super) fn unpause_revoked(&mut self, revoked: &[u32]) {
        if !self.calls.paused.is_empty() {
            self.calls.paused.retain(|p| !revoked.contains(p));
        }
    }

    /// Every partition left the assignment (an eager revocation, a lost membership).
    pub(super) fn unpause_all(&mut self) {
        self.calls.paused.clear();
    }

    /// The generation of the assignment, once the member is in a stable group (`None` while
    /// it joins: a JoinGroup answer's generation is not the application's until SyncGroup).
    pub(super) fn assigned_generation(&self) -> Option<i32> {
        (self.phase == Phase::Stable && self.generation >= 0).then_some(self.generation)
    }

    /// Whether the application saw the member's settled generation and assignment as they are.
    fn app_told(&self) -> bool {
        self.calls.told.as_ref().is_some_and(|(g, a)| *g == self.assigned_generation() && *a == self.assignment)
    }

    /// The application was shown the member as it is now.
    pub(super) fn told_app(&mut self) {
        if !self.app_told() {
            self.calls.told = Some((self.assigned_generation(), self.assignment.clone()));
        }
    }

    /// The application waits in `poll()`: if the generation or assignment changed since it last
    /// saw the member and its driver asks for it, `poll()` returns without records so that the
    /// context's rebalance callbacks run now.
    pub(super) fn user_rebalanced(&mut self, now: u64, out: &mut ConsumerOut) {
        if self.app_told() {
            return;
        }
        if !self.driver.as_ref().is_some_and(|d| d.rebalance_events()) {
            self.told_app();
            return;
        }
        self.user_next(now, Answer::Rebalanced, out);
    }

    /// `pause(parts)` (`on`) or `resume(parts)`: only assigned partitions change (Java's
    /// `SubscriptionState` holds the paused flag in a partition's assigned state).
    pub(super) fn pause(&mut self, parts: &[u32], on: bool) {
        for &p in parts.iter().filter(|p| self.assignment.contains(p)) {
            if on {
                self.calls.paused.insert(p);
            } else {
                self.calls.paused.remove(&p);
            }
        }
    }

    /// `commit(offsets, mode)` of the application: `None` while a synchronous commit waits for
    /// its answer, else what the call returns now.
    pub(super) fn commit_offsets(
        &mut self,
        now: u64,
        offsets: Arc<[(u32, u64)]>,
        sync: bool,
        out: &mut ConsumerOut,
    ) -> Option<Answer> {
        if !sync {
            self.commit_async_offsets(offsets, out);
            return Some(Answer::Done);
        }
        let deadline = now + self.spec.config.default_api_timeout_ms;
        match self.begin_sync_commit_of(now, deadline, offsets, out) {
            None => {
                self.app = App::UserCommitting;
                None
            }
            Some(result) => Some(Answer::Committed(result)),
        }
    }

    /// `rd_kafka_offsets_store`: store each assigned partition's offset (`rd_kafka_offset_store0`
    /// refuses a partition not assigned with `__STATE`); a Java member has no store (the service
    /// side refuses the call).
    pub(super) fn store_offsets(&mut self, offsets: &[(u32, u64)]) {
        for &(p, o) in offsets {
            if self.assignment.contains(&p) {
                self.rdk_store(p, o);
            }
        }
    }
}
