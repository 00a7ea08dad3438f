//! librdkafka's consumer where it changes delivery: an offset store that a background timer
//! commits, instead of Java's commit of positions at the start of a later `poll()`.
//!
//! - **Storing** (`rd_kafka_fetch_op_app_prepare` → `rd_kafka_update_app_pos`, rdkafka_op.c;
//!   `rd_kafka_q_serve_rkmessages` for a batch, rdkafka_queue.c): with
//!   `enable.auto.offset.store=true` (the default) the offset after each message is stored the
//!   moment the message is handed to the application, before it is processed. With `false` the
//!   application stores it after processing (`rd_kafka_offsets_store`, INTRODUCTION.md
//!   "At-least-once processing").
//! - **Committing** (`rd_kafka_cgrp_offset_commit_tmr_cb`, rdkafka_cgrp.c): a timer started with
//!   the consumer fires every `auto.commit.interval.ms`, whatever the application is doing, and
//!   commits the stored offsets of the assignment asynchronously; it skips a tick while the
//!   group is not steady. Only stored offsets above the committed one are sent
//!   (`rd_kafka_topic_partition_list_set_offsets` with `is_commit`, rdkafka_partition.c). A commit without explicit
//!   offsets (`rd_kafka_commit(rk, NULL, ..)`, the revocation commit of
//!   `rd_kafka_assignment_serve_removals`, the one on close) commits the stored offsets too.
//! - **Assignment**: a newly assigned partition has no stored offset until a message of it is
//!   handed out (serve_removals resets it to INVALID on removal, librdkafka issue #2782).

use super::*;
use crate::record::ClientKind;

/// librdkafka's per-partition offset store of one member.
#[derive(Debug, Default)]
pub(super) struct OffsetStore {
    /// The offset to commit next, per partition: after the last message handed out (auto offset
    /// store) or processed (manual store).
    stored: BTreeMap<u32, u64>,
    /// The committed offset this member knows, per partition (`rktp_committed_pos`): from
    /// OffsetFetch and its own successful commits.
    committed: BTreeMap<u32, u64>,
}

impl Consumer {
    /// Whether this member follows librdkafka's rules.
    pub(super) fn librdkafka(&self) -> bool {
        self.spec.client == ClientKind::Librdkafka
    }

    /// `rd_kafka_cgrp_new`: a librdkafka member with auto-commit starts its commit timer.
    pub(super) fn rdk_start(&self, out: &mut ConsumerOut) {
        let c = &self.spec.config;
        if self.librdkafka() && c.enable_auto_commit && c.auto_commit_interval_ms > 0 {
            out.timer(c.auto_commit_interval_ms, ConsumerTimer::AutoCommit);
        }
    }

    /// The application was handed the records of `p` up to `next` (or `poll()` moved past a
    /// transaction marker): with `enable.auto.offset.store` their offsets are stored now.
    pub(super) fn rdk_handed_out(&mut self, p: u32, next: u64) {
        if self.librdkafka() && self.spec.config.enable_auto_offset_store {
            self.rdk.stored.insert(p, next);
        }
    }

    /// Whether `rdk_processed` stores each processed record's offset (librdkafka without auto
    /// offset store).
    pub(super) fn rdk_stores_each(&self) -> bool {
        self.librdkafka() && !self.spec.config.enable_auto_offset_store
    }

    /// The application processed `d`: without auto offset store, it stores `d`'s offset + 1 now
    /// (`rd_kafka_offsets_store` refuses a partition no longer assigned).
    pub(super) fn rdk_processed(&mut self, d: Delivery) {
        if self.rdk_stores_each() && self.assignment.contains(&d.partition) {
            self.rdk.stored.insert(d.partition, d.offset + 1);
        }
    }

    /// OffsetFetch gave newly assigned partition `p` its committed offset `committed`: nothing is
    /// stored for it yet.
    pub(super) fn rdk_assigned(&mut self, p: u32, committed: Option<u64>) {
        self.rdk.stored.remove(&p);
        match committed {
            Some(o) => self.rdk.committed.insert(p, o),
            None => self.rdk.committed.remove(&p),
        };
    }

    /// What a commit without explicit offsets sends: each assigned partition's stored offset
    /// above the committed one (INTRODUCTION.md: "Only greater offsets are committed").
    pub(super) fn rdk_commit_offsets(&self) -> Arc<[(u32, u64)]> {
        let mut out = Vec::new();
        for &p in &self.assignment {
            let (Some(pos), Some(&o)) = (self.position[p as usize], self.rdk.stored.get(&p)) else { continue };
            // The application's own stores (`rd_kafka_offsets_store`) may name any offset.
            crate::invariant!(
                44,
                o <= pos || self.driver.is_some(),
                "consumer#{}: stored offset {o} of partition {p} is past its position {pos}",
                self.idx
            );
            if self.rdk.committed.get(&p).is_none_or(|&c| o > c) {
                out.push((p, o));
            }
        }
        out.into()
    }

    /// Request `req` was an OffsetCommit that succeeded: its offsets are now the committed ones.
    /// A Java member keeps this map too: a service's `committed()` reads it.
    pub(super) fn rdk_commit_succeeded(&mut self, req: ReqId) {
        let sync = self.sync_commit.as_ref().filter(|c| c.req == Some(req)).map(|c| c.offsets.clone());
        let Some(offsets) = self.async_commits.get(&req).cloned().or(sync) else { return };
        for &(p, o) in offsets.iter() {
            self.rdk.committed.insert(p, o);
        }
    }

    /// The auto-commit timer fired: re-arm it, and commit the stored offsets asynchronously
    /// unless the group is not steady (a rebalance, no generation) or the coordinator unknown.
    pub(super) fn rdk_auto_commit_timer(&mut self, now: u64, out: &mut ConsumerOut) {
        if matches!(self.app, App::Failed | App::Closed) {
            return;
        }
        out.timer(self.spec.config.auto_commit_interval_ms, ConsumerTimer::AutoCommit);
        let steady = self.phase == Phase::Stable && !self.rejoin_needed && self.generation >= 0;
        if steady && self.coordinator.is_some() {
            self.commit_async(now, out);
        }
    }

    /// The application stores `o` as partition `p`'s offset to commit (`rd_kafka_offsets_store`).
    pub(super) fn rdk_store(&mut self, p: u32, o: u64) {
        self.rdk.stored.insert(p, o);
    }

    /// The committed offsets this member knows (from OffsetFetch and its own commits).
    pub(super) fn rdk_committed(&self) -> impl Iterator<Item = (u32, u64)> + '_ {
        self.rdk.committed.iter().map(|(&p, &o)| (p, o))
    }
}
