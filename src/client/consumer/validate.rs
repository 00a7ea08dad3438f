//! KIP-320 position validation (Kafka 2.3+, KAFKA-7747): after a leader change the consumer
//! asks the new leader where the epoch of its position ends, and finds a log truncated below
//! its position before it fetches again.
//!
//! Shaped after the Java consumer's `SubscriptionState`: a position carries the leader epoch of
//! the last record consumed (`FetchPosition.offsetEpoch`) and the leader it was last checked
//! against (`FetchPosition.currentLeader`). When metadata names another leader or epoch,
//! `maybeValidatePositionForCurrentLeader` puts a position with a known epoch into
//! AWAIT_VALIDATION: the partition is not fetched, and OffsetsForLeaderEpoch (v3+, sent by the
//! consumer with its current leader epoch) goes to the leader. `maybeCompleteValidation` then
//! compares the answer with the position: an end offset below it means the log was truncated;
//! with a reset policy the position moves to that end offset, the first offset known to
//! diverge, not to earliest/latest; without one (`none`) `poll()` throws
//! `LogTruncationException`. An undefined answer (the leader holds no epoch at or below the
//! consumer's) applies `auto.offset.reset` (`requestOffsetReset`), or throws with `none`.
//! Only the end offset is compared, as Kafka does: an answer with a lower epoch whose end is at
//! or past the position counts as valid.
//!
//! Before 2.3 nothing here runs: a consumer keeps its position across leader changes, gets
//! OFFSET_OUT_OF_RANGE when it is past the new leader's log end (and applies
//! `auto.offset.reset`), and skips silently what was rewritten below it.

use super::*;

/// Per-partition validation state of one member (indexed by partition like `position`).
#[derive(Debug, Default)]
pub(super) struct Validation {
    /// The position an epoch belongs to and the leader epoch of the last consumed record's
    /// batch; it counts only while the position is still there (a reset, a committed offset
    /// or a revocation leaves the position without a known epoch).
    offset_epoch: Vec<Option<(u64, u32)>>,
    /// The leader (broker, epoch) the member last saw in metadata for the partition.
    leader: Vec<Option<(u32, u32)>>,
    /// AWAIT_VALIDATION: the position (offset, epoch) to validate; stale once the position
    /// has moved on.
    awaiting: Vec<Option<(u64, u32)>>,
    /// The OffsetsForLeaderEpoch request in flight for the partition.
    in_flight: Vec<Option<ReqId>>,
}

impl Validation {
    /// State for `n` partitions.
    pub(super) fn new(n: usize) -> Self {
        Validation {
            offset_epoch: vec![None; n],
            leader: vec![None; n],
            awaiting: vec![None; n],
            in_flight: vec![None; n],
        }
    }
}

impl Consumer {
    fn validates(&self) -> bool {
        self.topo.version.consumer_validates_position()
    }

    /// `poll()` moved the position of `p` to `next` past records of a batch of leader `epoch`.
    pub(super) fn consumed_epoch(&mut self, p: u32, next: u64, epoch: u32) {
        self.validation.offset_epoch[p as usize] = Some((next, epoch));
    }

    /// Whether the position of `p` awaits validation (no fetching meanwhile).
    pub(super) fn awaiting_validation(&self, p: u32) -> bool {
        let pos = self.position[p as usize];
        self.validation.awaiting[p as usize].is_some_and(|(o, _)| pos == Some(o))
    }

    /// New metadata arrived: a position with a known epoch whose leader or leader epoch changed
    /// enters AWAIT_VALIDATION, and what was buffered for it is dropped (Java's fetch collector
    /// returns nothing of a partition that is not fetchable).
    pub(super) fn check_leaders(&mut self) {
        if !self.validates() {
            return;
        }
        for p in 0..self.leaders.len() {
            let Some(now_leader) = self.leaders[p] else { continue };
            let seen = self.validation.leader[p].replace(now_leader);
            if seen.is_none_or(|s| s == now_leader) || !self.assignment.contains(&(p as u32)) {
                continue;
            }
            let pos = self.position[p];
            if let Some((o, e)) = self.validation.offset_epoch[p].filter(|&(o, _)| pos == Some(o)) {
                self.validation.awaiting[p] = Some((o, e));
                self.buffer.retain(|(x, _, _)| *x as usize != p);
            }
        }
    }

    /// Send OffsetsForLeaderEpoch for every position awaiting validation that has none in
    /// flight (inside `poll()`, as Java's `validatePositionsIfNeeded`).
    pub(super) fn send_validations(&mut self, now: u64, out: &mut ConsumerOut) {
        if !self.validates() || now < self.retry_at {
            return;
        }
        for p in self.assignment.clone() {
            if !self.awaiting_validation(p) || self.validation.in_flight[p as usize].is_some() {
                continue;
            }
            let Some((b, current_leader_epoch)) = self.leaders[p as usize] else {
                self.metadata_wanted = true;
                continue;
            };
            let Some((_, leader_epoch)) = self.validation.awaiting[p as usize] else { continue };
            let req = self.req_id();
            let msg = Msg::ConsumerEpochEnd { req, partition: p, current_leader_epoch, leader_epoch };
            self.request(b, ReqKind::Validate(p), self.spec.config.request_timeout_ms, msg, out);
            self.validation.in_flight[p as usize] = Some(req);
        }
    }

    /// The validation request of `p` failed (reset, refused, timed out): ask for metadata and
    /// send it again after the backoff.
    pub(super) fn validation_failed(&mut self, p: u32) {
        self.validation.in_flight[p as usize] = None;
        self.metadata_wanted = true;
    }

    /// The leader's answer: complete the validation, or act on the truncation it shows.
    pub(super) fn on_epoch_end(
        &mut self,
        now: u64,
        req: ReqId,
        p: u32,
        result: Result<Option<(u32, u64)>, KafkaError>,
        out: &mut ConsumerOut,
    ) {
        if self.validation.in_flight[p as usize] != Some(req) {
            return;
        }
        self.validation.in_flight[p as usize] = None;
        if !self.assignment.contains(&p) || !self.awaiting_validation(p) {
            return;
        }
        let Some((pos, _)) = self.validation.awaiting[p as usize] else { return };
        let reset = self.spec.config.auto_offset_reset != OffsetReset::None;
        match result {
            Err(_) => {
                // Fenced, unknown epoch or not the leader: fresh metadata, then ask again.
                self.metadata_wanted = true;
                self.retry_later(now, self.spec.config.retry_backoff_ms, out);
            }
            // completeValidation: the epoch reaches the position.
            Ok(Some((_, end))) if end >= pos => self.validation.awaiting[p as usize] = None,
            Ok(_) if !reset => {
                self.validation.awaiting[p as usize] = None;
                self.fail(now, KafkaError::LogTruncation, out);
            }
            Ok(None) => {
                self.validation.awaiting[p as usize] = None;
                self.reset_position(now, p, out);
            }
            Ok(Some((epoch, end))) => {
                // seekValidated: to the first offset known to diverge, with that epoch.
                self.validation.awaiting[p as usize] = None;
                self.position[p as usize] = Some(end);
                self.validation.offset_epoch[p as usize] = Some((end, epoch));
                crate::invariant!(
                    37,
                    self.position[p as usize].is_some_and(|o| o < pos),
                    "consumer#{}: validation moved partition {p} forward from {pos}",
                    self.idx
                );
            }
        }
    }
}
