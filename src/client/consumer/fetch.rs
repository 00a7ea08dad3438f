//! Positions and fetches: committed offsets, auto.offset.reset, consumer fetches and the records a poll returns.

use super::*;

impl Consumer {
    /// Fresh metadata: the leader of every partition (a missing one is asked for again).
    /// Remove the in-flight request of `kind` to `broker`; false if none (a stale answer).
    pub(super) fn take_req_of(&mut self, broker: u32, kind: ReqKind, out: &mut ConsumerOut) -> bool {
        let req = self.requests.iter().find(|(_, &(b, k))| b == broker && k == kind).map(|(&r, _)| r);
        req.is_some_and(|r| self.forget_req(r, out).is_some())
    }

    pub(super) fn on_metadata(&mut self, now: u64, states: &[PartitionState], out: &mut ConsumerOut) {
        let mut missing = states.is_empty();
        for (p, l) in self.leaders.iter_mut().enumerate() {
            *l = states.get(p).and_then(|s| s.leader.map(|b| (b, s.leader_epoch)));
            missing |= l.is_none() && self.assignment.contains(&(p as u32));
        }
        self.check_leaders();
        // `Metadata.update`: an answer that changed nothing makes the next refresh wait longer
        // (KIP-951), so a partition that stays without a leader is asked about ever more slowly,
        // up to `retry.backoff.max.ms`. The wait holds back only the refresh, not the lookups.
        self.metadata_backoff.answered(now, states.iter().map(|s| s.leader_epoch));
        if missing {
            self.metadata_wanted = true;
            let at = self.metadata_allowed_at();
            self.wake_at(now, at, out);
        }
    }

    pub(super) fn on_offset_fetch(
        &mut self,
        now: u64,
        req: ReqId,
        result: Result<Vec<(u32, Option<u64>)>, KafkaError>,
        out: &mut ConsumerOut,
    ) {
        if self.offsets_req != Some(req) {
            return;
        }
        self.offsets_req = None;
        match result {
            Ok(offsets) => {
                self.retry_succeeded();
                for (p, o) in offsets {
                    if !self.assignment.contains(&p) || self.position[p as usize].is_some() {
                        continue;
                    }
                    self.rdk_assigned(p, o);
                    match o {
                        Some(o) => self.position[p as usize] = Some(o),
                        None => self.reset_position(now, p, out),
                    }
                }
            }
            Err(e) => self.on_group_error(now, e, out),
        }
    }

    /// No valid offset for `p`: apply `auto.offset.reset`.
    pub(super) fn reset_position(&mut self, now: u64, p: u32, out: &mut ConsumerOut) {
        match self.spec.config.auto_offset_reset {
            OffsetReset::Earliest => self.position[p as usize] = Some(0),
            OffsetReset::Latest => {
                self.position[p as usize] = None;
                self.resetting[p as usize] = true;
                self.send_list_offsets(p, out);
            }
            OffsetReset::None => self.fail(now, KafkaError::NoOffsetForPartition, out),
        }
    }

    pub(super) fn send_list_offsets(&mut self, p: u32, out: &mut ConsumerOut) {
        if let Some((b, _)) = self.leaders[p as usize] {
            let req = self.req_id();
            self.request(
                b,
                ReqKind::ListOffsets(p),
                self.spec.config.request_timeout_ms,
                Msg::ListOffsets { req, partition: p },
                out,
            );
        } else {
            self.metadata_wanted = true;
        }
    }

    pub(super) fn on_fetch_response(&mut self, now: u64, parts: Vec<FetchedPartition>, out: &mut ConsumerOut) {
        for f in parts {
            let p = f.partition;
            if !self.assignment.contains(&p)
                || self.position[p as usize] != Some(f.offset)
                || self.awaiting_validation(p)
            {
                continue;
            }
            match f.result {
                Ok((batches, end)) => {
                    crate::invariant!(
                        22,
                        batches.iter().all(|b| b.next_offset() <= end),
                        "consumer#{}: a fetch of partition {p} brought offsets past its bound {end}",
                        self.idx
                    );
                    for b in batches {
                        if b.next_offset() > f.offset {
                            // Java's CompletedFetch: control batches are never returned, and a
                            // read_committed reader drops an aborted transaction's batches.
                            let aborted = b.transactional
                                && f.aborted.iter().any(|a| {
                                    a.producer_id == b.producer_id
                                        && a.first <= b.base_offset
                                        && b.base_offset < a.marker
                                });
                            let hidden = b.meta.is_some() || aborted;
                            self.buffer.push_back((p, b, hidden));
                        }
                    }
                }
                Err(KafkaError::OffsetOutOfRange) => self.reset_position(now, p, out),
                Err(_) => self.metadata_wanted = true,
            }
        }
    }

    pub(super) fn send_fetches(&mut self, now: u64, out: &mut ConsumerOut) {
        self.send_validations(now, out);
        let mut by_broker: BTreeMap<u32, Vec<FetchPartition>> = BTreeMap::new();
        for &p in &self.assignment {
            let Some(offset) = self.position[p as usize] else { continue };
            // A paused partition is not fetched (Java's `fetchablePartitions`).
            if self.awaiting_validation(p) || self.paused(p) {
                continue;
            }
            let Some((b, leader_epoch)) = self.leaders[p as usize] else {
                self.metadata_wanted = true;
                continue;
            };
            if self.fetches.contains_key(&b)
                || now < self.fetch_backoff[b as usize]
                || now < self.reconnect[b as usize].0
                || self.buffer.iter().any(|(x, _, _)| *x == p)
            {
                continue;
            }
            by_broker.entry(b).or_default().push(FetchPartition { partition: p, offset, leader_epoch });
        }
        for (b, partitions) in by_broker {
            let req = self.req_id();
            let read_committed = self.spec.config.isolation_level == IsolationLevel::ReadCommitted;
            let max_wait_ms = self.spec.config.fetch_max_wait_ms;
            let msg = Msg::ConsumerFetch { req, partitions, max_wait_ms, read_committed };
            let timeout = self.spec.config.request_timeout_ms;
            self.request(b, ReqKind::Fetch, timeout, msg, out);
            self.fetches.insert(b, req);
        }
    }

    /// Hand buffered records to the application, if any: up to `max.poll.records`.
    pub(super) fn return_records(&mut self, now: u64, out: &mut ConsumerOut) -> bool {
        if !self.proc_ready() {
            return false;
        }
        let max = self.spec.config.max_poll_records as usize;
        // The stretches of buffered batches this poll hands out, in order: the list of records
        // is written once, at the end, at its exact length.
        let mut got = std::mem::take(&mut self.gather);
        got.clear();
        let mut n = 0;
        while n < max {
            // A paused partition's batches stay buffered until it is resumed (Java's fetch
            // buffer keeps a paused partition's completed fetches).
            let Some(at) = self.buffer.iter().position(|(p, _, _)| !self.paused(*p)) else { break };
            let (p, b, hidden) = self.buffer[at].clone();
            let pos = self.position[p as usize];
            let Some(pos) = pos.filter(|&o| self.assignment.contains(&p) && o < b.next_offset() && o >= b.base_offset)
            else {
                self.buffer.remove(at);
                continue;
            };
            if hidden {
                crate::invariant!(
                    32,
                    b.next_offset() > pos,
                    "consumer#{}: position {pos} of partition {p} moved back",
                    self.idx
                );
                self.position[p as usize] = Some(b.next_offset());
                self.consumed_epoch(p, b.next_offset(), b.leader_epoch);
                self.rdk_handed_out(p, b.next_offset());
                self.buffer.remove(at);
                continue;
            }
            let skip = (pos - b.base_offset) as usize;
            let take = (b.records.len() - skip).min(max - n);
            got.push(Stretch {
                partition: p,
                offset: pos,
                producer: b.producer,
                records: b.records.clone(),
                skip,
                take,
            });
            n += take;
            let next = pos + take as u64;
            crate::invariant!(
                32,
                next > pos && next <= b.next_offset(),
                "consumer#{}: position {pos} of partition {p} moved to {next} within a batch ending at {}",
                self.idx,
                b.next_offset()
            );
            self.position[p as usize] = Some(next);
            self.consumed_epoch(p, next, b.leader_epoch);
            self.rdk_handed_out(p, next);
            if next >= b.next_offset() {
                self.buffer.remove(at);
            }
        }
        // The history keeps the poll as runs: one per stretch of consecutive records.
        let batch: Option<Deliveries> = (n > 0).then(|| {
            let mut runs = DeliveriesBuilder::default();
            for s in &got {
                runs.push_stretch(s.partition, s.offset, s.producer, &s.records.slice(s.skip, s.skip + s.take));
            }
            runs.take()
        });
        got.clear();
        self.gather = got;
        let Some(batch) = batch else { return false };
        self.batch = batch.clone();
        self.batch_no += 1;
        out.observe(ConsumerObs::History(EventKind::Polled {
            consumer: self.idx,
            instance: self.instance,
            records: batch.clone(),
        }));
        if self.driver.is_some() {
            self.user_next(now, crate::client::driver::Answer::Records(batch), out);
            return true;
        }
        if self.spec.commit == CommitMode::BeforeProcessing {
            let deadline = now + self.spec.config.default_api_timeout_ms;
            if self.start_sync_commit(now, deadline, out) {
                self.app = App::Committing { then_process: true };
                return true;
            }
            // The commit failed at once (not a member of a stable generation): an at-most-once
            // application does not process what it could not commit.
            self.enter_poll(now, out);
            return true;
        }
        self.start_processing(now, out);
        true
    }
}

/// A stretch of one buffered batch that a poll hands out: `take` records from position `skip`,
/// the first at `offset` of `partition`.
#[derive(Debug, Clone)]
pub(super) struct Stretch {
    partition: u32,
    offset: u64,
    producer: u32,
    records: crate::record::RecordList,
    skip: usize,
    take: usize,
}
