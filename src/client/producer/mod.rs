//! The producer client: accumulator and linger, the sender with its in-flight limit, retries
//! with backoff, request and delivery timeouts, metadata refresh, and idempotence (producer id,
//! epoch, per-partition sequences, KIP-360 epoch bump on an unresolvable gap).

mod accumulator;
pub(crate) mod conn;
mod inflight;
mod metadata;
mod response;
mod sequence;

use std::collections::VecDeque;
use std::sync::Arc;

use crate::broker::{BatchTemplate, Msg, PartitionState, Topology};
use crate::error::KafkaError;
use crate::record::{EventKind, RecordList, ReqId};
use crate::scenario::{Acks, ProducerSpec};
use crate::sim::{Node, NodeId, Out};

use super::backoff::{ExponentialBackoff, MetadataBackoff};

/// How long a metadata request may go unanswered before asking another broker
/// (Kafka's `socket.connection.setup.timeout.ms` default bounds a dead node this way).
const METADATA_TIMEOUT_MS: u64 = 10_000;

/// Producer timers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProducerTimer {
    /// The application sends its next record(s).
    Tick,
    /// Linger expired, a backoff ended or a deadline passed: try to send.
    Drain,
    /// A produce request got no answer within `request.timeout.ms` (cancelled once it is
    /// answered or failed, except by a service's producer or a processor's).
    RequestTimeout {
        /// The produce request's id; ignored if it was answered meanwhile.
        req: ReqId,
    },
    /// A metadata request got no answer.
    MetadataTimeout {
        /// Number of the metadata request; stale once another went out.
        id: u64,
    },
    /// Ask for metadata again after a backoff.
    MetadataRetry,
    /// A connection attempt to `broker` got no answer within the connection setup timeout.
    ConnectTimeout {
        /// Broker id (from 1).
        broker: u32,
        /// The attempt's ApiVersions request; ignored once it was answered or refused.
        probe: ReqId,
    },
    /// Transactional: a backoff ended; try the coordinator again.
    TxnRetry,
    /// Transactional: a coordinator request got no answer in time (cancelled once it is no
    /// longer in flight, except by a service's producer or a processor's).
    TxnRequestTimeout {
        /// The coordinator request's id; ignored if it was answered meanwhile.
        req: ReqId,
    },
    /// An idempotent producer's InitProducerId (a producer id reset before KIP-360) got no
    /// answer in time.
    InitPidTimeout {
        /// The request's id; ignored if it was answered meanwhile.
        req: ReqId,
    },
    /// A user application's sleep number `sleep` ends.
    AppWake {
        /// Number of the application's sleep call.
        sleep: u64,
    },
}

/// What a producer reports besides messages.
#[derive(Debug, Clone)]
pub enum ProducerObs {
    /// A history line.
    History(EventKind),
    /// The application called send() for record `index`.
    AppSent {
        /// Index of the producer in the scenario (`Producer::idx`).
        producer: u32,
        /// Workload index `I` of the record `NAME#I`.
        index: u32,
    },
    /// The client closed its connection to `broker` (after a request timeout): nothing still
    /// in flight on it arrives.
    CloseConnection {
        /// Broker id (from 1).
        broker: u32,
    },
    /// `sendOffsetsToTransaction()` finished: the group coordinator acknowledged TxnOffsetCommit.
    OffsetsSent,
}

/// Producer output buffer.
pub type ProducerOut = Out<Msg, ProducerTimer, ProducerObs>;

#[derive(Debug, Clone)]
pub(crate) struct Batch {
    records: RecordList,
    created: u64,
    base_seq: i32,
    attempts: u32,
    in_flight: Option<ReqId>,
    retry_at: u64,
    maybe_written: bool,
    last_error: Option<KafkaError>,
}

#[derive(Debug, Clone)]
pub(crate) struct PartitionQueue {
    pub(crate) pending: accumulator::Pending,
    pending_since: u64,
    pub(crate) batches: VecDeque<Batch>,
    pub(crate) next_seq: i32,
    /// Last sequence of the highest acknowledged batch (-1: none this epoch).
    pub(crate) last_acked_seq: i64,
    /// A batch that had been retried expired (Java's `markSequenceUnresolved`): whether the
    /// broker has it is unknown, and no new batch goes out until the partition resolves.
    unresolved: bool,
}

impl Default for PartitionQueue {
    fn default() -> Self {
        PartitionQueue {
            pending: accumulator::Pending::default(),
            pending_since: 0,
            batches: VecDeque::new(),
            next_seq: 0,
            last_acked_seq: -1,
            unresolved: false,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct InFlight {
    partition: u32,
    broker: u32,
    /// Its batch expired while the request was out (`Sender.getExpiredInflightBatches`): an
    /// answer only tells the producer whether the broker took its sequences.
    expired: bool,
    /// Producer id and epoch the batch was sent with.
    ids: (i64, i16),
    /// Last sequence of the batch.
    last_seq: i64,
}

/// One producer instance (a `KafkaProducer` object inside a running application).
#[derive(Debug)]
pub struct Producer {
    /// Index of the producer in the scenario.
    pub idx: u32,
    /// Instance number: 0 at first start, +1 per restart.
    pub instance: u32,
    pub(crate) spec: Arc<ProducerSpec>,
    pub(crate) topo: Arc<Topology>,
    pub(crate) first_partition: u32,
    pub(crate) producer_id: i64,
    pub(crate) producer_epoch: i16,
    idempotent: bool,
    /// Records this instance sends, in order: unacknowledged ones of earlier instances first.
    pub(crate) plan: VecDeque<u32>,
    /// Workload records not yet handed to any instance: `next_fresh..records`.
    next_fresh: u32,
    pub(crate) parts: Vec<PartitionQueue>,
    leaders: Vec<Option<(u32, u32)>>,
    metadata_id: u64,
    metadata_in_flight: bool,
    /// Fresh metadata is wanted but no broker could be asked yet (no connection was up).
    metadata_wanted: bool,
    /// The broker the last metadata request went to.
    metadata_rr: u32,
    /// When the next metadata request may go (Java's `Metadata.timeToAllowUpdate`).
    metadata_backoff: MetadataBackoff,
    /// The time of the pending `MetadataRetry` wake-up, so one wait is not scheduled many times.
    metadata_retry_armed: Option<u64>,
    /// The connection to each broker (`conn.rs`).
    pub(crate) conns: conn::Conns,
    in_flight: inflight::InFlights<InFlight>,
    pub(crate) next_req: ReqId,
    sticky: u32,
    sticky_bytes: u64,
    bump_pending: bool,
    /// Before KIP-360: the idempotent producer gets a new producer id (`resetProducerId`).
    pid_reset: sequence::PidReset,
    /// No producer id reset is asked for before this time (after a refused one).
    pid_retry_at: u64,
    max_records: usize,
    /// Earliest pending `Drain` timer, so one wake-up is not scheduled many times.
    next_drain: Option<u64>,
    /// `wake_at` replaced a `next_drain` already past (a `Drain` a pause held back, still
    /// queued): something may be due that `next_drain` no longer shows, until the next drain.
    drain_overdue: bool,
    /// Since the last step that ended with a drain, only `Tick`s reached this producer: its
    /// state is what that drain left, plus appended records (see `tick`).
    quiet_since_drain: bool,
    /// Report each application send (only when a fault waits for one).
    watch_sends: bool,
    /// The transaction manager of a transactional producer.
    pub(crate) txn: Option<Box<super::transactional::Txn>>,
    /// A user application that runs this producer instead of the workload loop.
    pub(crate) user: Option<Box<super::user_producer::UserProducer>>,
}

/// Kafka's murmur2 (the default partitioner's key hash).
pub fn murmur2(data: &[u8]) -> i32 {
    let m: u32 = 0x5bd1_e995;
    let seed: u32 = 0x9747_b28c;
    let len = data.len();
    let mut h: u32 = seed ^ len as u32;
    let chunks = data.chunks_exact(4);
    let rest = chunks.remainder();
    for c in chunks {
        let mut k = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        k = k.wrapping_mul(m);
        k ^= k >> 24;
        k = k.wrapping_mul(m);
        h = h.wrapping_mul(m);
        h ^= k;
    }
    match rest.len() {
        3 => {
            h ^= (rest[2] as u32) << 16;
            h ^= (rest[1] as u32) << 8;
            h ^= rest[0] as u32;
            h = h.wrapping_mul(m);
        }
        2 => {
            h ^= (rest[1] as u32) << 8;
            h ^= rest[0] as u32;
            h = h.wrapping_mul(m);
        }
        1 => {
            h ^= rest[0] as u32;
            h = h.wrapping_mul(m);
        }
        _ => {}
    }
    h ^= h >> 13;
    h = h.wrapping_mul(m);
    h ^= h >> 15;
    h as i32
}

/// The partition of key number `key` among `n` partitions: murmur2 of the key's bytes
/// (`"key-K"`), made positive, modulo `n`, as Kafka's default partitioner does.
pub fn key_partition(key: u32, n: u32) -> u32 {
    // Format the key on the stack: no allocation per record.
    let mut digits = [0u8; 10];
    let mut d = digits.len();
    let mut k = key;
    loop {
        d -= 1;
        digits[d] = b'0' + (k % 10) as u8;
        k /= 10;
        if k == 0 {
            break;
        }
    }
    let mut buf = [0u8; 14];
    buf[..4].copy_from_slice(b"key-");
    let len = 4 + digits.len() - d;
    buf[4..len].copy_from_slice(&digits[d..]);
    ((murmur2(&buf[..len]) & 0x7fff_ffff) as u32) % n
}

impl Producer {
    /// Start instance `instance` of producer `idx`. `resend` are records earlier instances sent
    /// but never saw acknowledged (empty with `on_restart = "skip-unacked"`); `next_fresh` is the
    /// first workload record no instance has sent yet; `watch_sends` reports every send() (a
    /// fault waits for one).
    #[allow(clippy::too_many_arguments)]
    pub fn start(
        idx: u32,
        instance: u32,
        spec: Arc<ProducerSpec>,
        topo: Arc<Topology>,
        producer_id: i64,
        resend: Vec<u32>,
        next_fresh: u32,
        watch_sends: bool,
        out: &mut ProducerOut,
    ) -> Self {
        let (first_partition, n) = topo.topic(&spec.topic).expect("validated topic");
        let txn = spec
            .config
            .transactional_id
            .as_deref()
            .and_then(|t| topo.txn_id(t))
            .map(|t| Box::new(super::transactional::Txn::new(t, idx + instance)));
        // A transactional producer is idempotent, with a producer id from its coordinator.
        let idempotent = spec.config.enable_idempotence || txn.is_some();
        let producer_id = if txn.is_some() { -1 } else { producer_id };
        let max_records = (spec.config.batch_size / spec.record_bytes.max(1)).max(1) as usize;
        let mut p = Producer {
            idx,
            instance,
            first_partition,
            producer_id: if idempotent { producer_id } else { -1 },
            producer_epoch: if idempotent && producer_id >= 0 { 0 } else { -1 },
            idempotent,
            plan: resend.into(),
            next_fresh,
            parts: vec![PartitionQueue::default(); n as usize],
            leaders: vec![None; n as usize],
            metadata_id: 0,
            metadata_in_flight: false,
            metadata_wanted: false,
            metadata_rr: idx + instance,
            metadata_backoff: MetadataBackoff::default(),
            metadata_retry_armed: None,
            conns: conn::Conns::new(topo.brokers),
            topo: topo.clone(),
            in_flight: inflight::InFlights::default(),
            // Request ids are unique across instances: a response to a dead instance's request
            // (still answered by a broker's purgatory) must not match a new instance's request.
            next_req: ReqId { process: instance, n: 0 },
            sticky: (idx + instance) % n,
            sticky_bytes: 0,
            bump_pending: false,
            pid_reset: sequence::PidReset::Idle,
            pid_retry_at: 0,
            max_records,
            next_drain: None,
            drain_overdue: false,
            quiet_since_drain: false,
            watch_sends,
            txn,
            user: None,
            spec,
        };
        out.observe(ProducerObs::History(EventKind::ProducerStarted {
            producer: idx,
            instance,
            producer_id: p.producer_id,
        }));
        // Every connection is up at start, so the time the request is made does not matter.
        p.request_metadata(0, out);
        if p.txn.is_some() {
            // initTransactions() first; the loop starts once the producer id is known.
            p.txn_pump(0, out);
        } else {
            out.timer(0, ProducerTimer::Tick);
        }
        p
    }

    /// Whether the application has sent everything and nothing is left unresolved.
    pub fn is_done(&self) -> bool {
        if let Some(u) = self.user.as_ref() {
            return u.returned() && self.parts.iter().all(|q| q.pending.is_empty() && q.batches.is_empty());
        }
        if self.txn.is_some() {
            return self.txn_done();
        }
        !self.has_work() && self.parts.iter().all(|q| q.pending.is_empty() && q.batches.is_empty())
    }

    /// Whether a service's producer waits for its service with nothing of its own outstanding.
    pub(crate) fn service_quiet(&self) -> bool {
        self.user.as_ref().is_some_and(|u| u.quiet())
            && self.parts.iter().all(|q| q.pending.is_empty() && q.batches.is_empty())
    }

    /// Whether the application has records left to send.
    pub(crate) fn has_work(&self) -> bool {
        !self.plan.is_empty() || self.next_fresh < self.spec.records
    }

    /// The application's next record: a resend first, then the next fresh one.
    pub(crate) fn next_record(&mut self) -> Option<u32> {
        if let Some(r) = self.plan.pop_front() {
            return Some(r);
        }
        (self.next_fresh < self.spec.records).then(|| {
            self.next_fresh += 1;
            self.next_fresh - 1
        })
    }

    /// `flush()`: what lingers is ready to go at once.
    pub(crate) fn flush_now(&mut self, now: u64) {
        let linger = self.spec.config.linger_ms;
        for q in &mut self.parts {
            if !q.pending.is_empty() {
                q.pending_since = q.pending_since.min(now.saturating_sub(linger));
            }
        }
    }

    /// First workload record no instance has sent yet.
    pub fn next_fresh(&self) -> u32 {
        self.next_fresh
    }

    fn handle_timer(&mut self, now: u64, t: ProducerTimer, out: &mut ProducerOut) {
        match t {
            ProducerTimer::AppWake { sleep } => self.user_woke(now, sleep, out),
            ProducerTimer::Tick => self.tick(now, out),
            ProducerTimer::Drain => {
                if self.next_drain.is_some_and(|t| t <= now) {
                    self.next_drain = None;
                }
                self.drain_last(now, out)
            }
            ProducerTimer::RequestTimeout { req } => {
                if let Some(f) = self.in_flight.get(&req).copied() {
                    // The Java client closes the connection on a request timeout: every request
                    // in flight to that broker fails and metadata is refreshed.
                    out.observe(ProducerObs::CloseConnection { broker: f.broker });
                    self.disconnect(now, f.broker, out);
                }
            }
            ProducerTimer::MetadataTimeout { id } => {
                if self.metadata_in_flight && self.metadata_id == id {
                    // Give up on that broker's connection (failing whatever else is in flight on
                    // it, as any close does) and ask another one.
                    out.observe(ProducerObs::CloseConnection { broker: self.metadata_rr });
                    self.disconnect(now, self.metadata_rr, out);
                }
            }
            ProducerTimer::MetadataRetry => {
                if self.metadata_retry_armed.is_some_and(|t| t <= now) {
                    self.metadata_retry_armed = None;
                }
                if self.metadata_wanted {
                    self.request_metadata(now, out);
                }
            }
            ProducerTimer::ConnectTimeout { broker, probe } => self.connect_timed_out(now, broker, probe, out),
            ProducerTimer::TxnRetry => {
                self.txn_pump(now, out);
                self.drain(now, out);
            }
            ProducerTimer::TxnRequestTimeout { req } => {
                self.txn_timed_out(now, req, out);
                self.txn_pump(now, out);
            }
            ProducerTimer::InitPidTimeout { req } => self.init_pid_timed_out(now, req, out),
        }
    }

    fn handle_message(&mut self, now: u64, from: NodeId, msg: Msg, out: &mut ProducerOut) {
        if self.txn.is_some() {
            if self.txn_on_message(now, from, &msg, out) {
                self.txn_pump(now, out);
                return;
            }
            if let (Msg::Disconnected | Msg::Refused { req: None }, NodeId::Broker(b)) = (&msg, from) {
                self.txn_disconnected(now, b, out);
            }
        }
        let NodeId::Broker(b) = from else { return };
        match msg {
            Msg::MetadataResponse { leaders } => self.on_metadata(now, &leaders, out),
            Msg::InitProducerIdResponse { req, result } => self.on_init_pid(now, req, result, out),
            Msg::ProduceResponse { req, result, leader_epoch, .. } => {
                self.on_response(now, req, result, leader_epoch, out)
            }
            Msg::ApiVersionsResponse { req } => self.on_api_versions(now, b, req, out),
            Msg::Refused { req } => self.on_refused(now, b, req, out),
            Msg::Disconnected => self.disconnect(now, b, out),
            _ => {}
        }
    }

    fn tick(&mut self, now: u64, out: &mut ProducerOut) {
        if self.txn.is_some() {
            self.txn_tick(now, out);
            return;
        }
        let interval = self.spec.interval_ms;
        // With an interval and no resends, this tick sends at most one record.
        let single = interval > 0 && self.plan.is_empty();
        // Resends of an earlier instance's unacknowledged records go out at once.
        while let Some(r) = self.plan.pop_front() {
            self.app_send(now, r, out);
        }
        if interval == 0 && self.spec.keys.is_none() && !self.watch_sends {
            self.send_fresh_runs(now, out);
        }
        let mut sent_to = None;
        loop {
            if self.next_fresh >= self.spec.records {
                break;
            }
            let r = self.next_fresh;
            self.next_fresh += 1;
            sent_to = Some(self.app_send(now, r, out));
            if interval > 0 {
                out.timer(interval, ProducerTimer::Tick);
                break;
            }
        }
        // A lone record may leave the sender asleep (not transactional: `txn_tick` sends those).
        self.wake_sender(now, sent_to.filter(|_| single), false, out);
    }

    /// The connection to `broker` is gone (a reset, or the producer's own close): it is down
    /// until a new one is up, and every request in flight on it fails with an unknown outcome.
    pub(crate) fn disconnect(&mut self, now: u64, broker: u32, out: &mut ProducerOut) {
        self.conn_lost(now, broker, out);
        if self.txn.is_some() {
            self.txn_disconnected(now, broker, out);
        }
        let reqs: Vec<ReqId> = self.in_flight.iter().filter(|(_, f)| f.broker == broker).map(|(&r, _)| r).collect();
        for req in reqs {
            self.on_response(now, req, Err(KafkaError::NetworkException), 0, out);
        }
        self.drain(now, out);
    }

    /// The wait before a batch's next attempt after `attempts` tries (`RecordAccumulator`'s
    /// `retryBackoff.backoff(attempts - 1)`, KIP-580).
    fn backoff(c: &crate::scenario::ProducerConfig, attempts: u32) -> u64 {
        ExponentialBackoff::new(c.retry_backoff_ms, c.retry_backoff_max_ms).backoff(attempts.saturating_sub(1))
    }

    pub(crate) fn drain(&mut self, now: u64, out: &mut ProducerOut) {
        // Whatever was due, this drain handles.
        self.drain_overdue = false;
        if self.metadata_wanted {
            self.request_metadata(now, out);
        }
        let (max_in_flight, delivery_timeout_ms) =
            (self.spec.config.max_in_flight, self.spec.config.delivery_timeout_ms);
        for p in 0..self.parts.len() {
            self.expire(now, p, out);
        }
        self.maybe_resolve_sequences(now, out);
        self.maybe_bump_epoch();
        self.maybe_reset_producer_id(now, out);
        let mut wake = u64::MAX;
        for p in 0..self.parts.len() {
            while let Some((leader, epoch)) = self.leaders[p] {
                // A transactional batch waits until its partition has joined the transaction;
                // every batch waits for an epoch bump or a new producer id.
                if self.bump_pending || self.pid_reset != sequence::PidReset::Idle || !self.txn_may_send(p as u32) {
                    break;
                }
                let q = &self.parts[p];
                let to_broker = self.in_flight.values().filter(|f| f.broker == leader).count() as u32;
                if to_broker >= max_in_flight {
                    break;
                }
                // One pass over the partition's batches: how many are out, whether one waits
                // to be retried, and the first not out.
                let (mut part_in_flight_count, mut retrying, mut next) = (0u32, false, None);
                for (i, b) in q.batches.iter().enumerate() {
                    if b.in_flight.is_some() {
                        part_in_flight_count += 1;
                    } else {
                        retrying |= b.attempts > 0;
                        next = next.or(Some(i));
                    }
                }
                let part_in_flight = part_in_flight_count > 0;
                // An idempotent producer keeps at most max.in.flight batches of one partition
                // outstanding across all brokers, so a retry always falls inside the broker's
                // five-batch window even when requests to an old leader are still pending.
                if self.idempotent && part_in_flight_count >= max_in_flight {
                    break;
                }
                // Ordering guarantees: max.in.flight=1 mutes the partition while a batch is out;
                // idempotence sends only the head batch while a retry is outstanding.
                if part_in_flight && (max_in_flight == 1 || (self.idempotent && retrying)) {
                    break;
                }
                let pick = match next {
                    Some(i) if q.batches[i].retry_at <= now => Some(i),
                    Some(i) => {
                        // A batch backing off blocks the partition, as the head of Kafka's
                        // accumulator deque does: no newer batch overtakes it meanwhile.
                        wake = wake.min(q.batches[i].retry_at);
                        None
                    }
                    // No new batch while the partition's sequences are unresolved.
                    None if q.unresolved => None,
                    None => self.seal(p, now, &mut wake, out),
                };
                let Some(i) = pick else { break };
                // Only a ready connection takes a batch; it waits in the accumulator meanwhile.
                if !self.connected(now, leader, out) {
                    break;
                }
                self.send_batch(now, p, i, leader, epoch, out);
            }
            // Wake up at the next delivery deadline (of a batch in flight too, from 2.1).
            let in_flight_expires = self.topo.version.delivery_timeout();
            let q = &self.parts[p];
            let lingering = (!q.pending.is_empty()).then_some(q.pending_since);
            if let Some(created) = q
                .batches
                .iter()
                .filter(|b| in_flight_expires || b.in_flight.is_none())
                .map(|b| b.created)
                .chain(lingering)
                .min()
            {
                wake = wake.min(created + delivery_timeout_ms);
            }
        }
        if wake != u64::MAX && wake > now {
            self.wake_at(now, wake, out);
        }
        if self.txn.is_some() {
            self.txn_pump(now, out);
        }
    }

    /// Turn lingering records into a batch if it is full or its linger passed; its index.
    fn seal(&mut self, p: usize, now: u64, wake: &mut u64, out: &mut ProducerOut) -> Option<usize> {
        let linger = self.spec.config.linger_ms;
        let q = &mut self.parts[p];
        if q.pending.is_empty() {
            return None;
        }
        if q.pending.len() < self.max_records && now < q.pending_since + linger {
            *wake = (*wake).min(q.pending_since + linger);
            return None;
        }
        let take = q.pending.len().min(self.max_records);
        let records = q.pending.take_front(take);
        let created = q.pending_since;
        q.pending_since = now;
        let base_seq = if self.idempotent { q.next_seq } else { -1 };
        if self.idempotent {
            q.next_seq = q.next_seq.wrapping_add(take as i32);
            if q.next_seq < 0 {
                q.next_seq -= i32::MIN; // sequences wrap to 0 after i32::MAX
            }
        }
        out.observe(ProducerObs::History(EventKind::Sent {
            producer: self.idx,
            instance: self.instance,
            partition: self.first_partition + p as u32,
            records: records.clone(),
        }));
        q.batches.push_back(Batch {
            records,
            created,
            base_seq,
            attempts: 0,
            in_flight: None,
            retry_at: 0,
            maybe_written: false,
            last_error: None,
        });
        Some(q.batches.len() - 1)
    }

    fn send_batch(&mut self, now: u64, p: usize, i: usize, leader: u32, leader_epoch: u32, out: &mut ProducerOut) {
        let spec = self.spec.clone();
        let c = &spec.config;
        self.next_req = self.next_req.next();
        let req = self.next_req;
        let global = self.first_partition + p as u32;
        let b = &mut self.parts[p].batches[i];
        b.attempts += 1;
        let batch = Arc::new(BatchTemplate {
            producer_id: self.producer_id,
            producer_epoch: self.producer_epoch,
            base_sequence: b.base_seq,
            producer: self.idx,
            instance: self.instance,
            records: b.records.clone(),
            meta: None,
            transactional: self.txn.is_some(),
            timestamp: Some(b.created),
        });
        let txn = self.txn.as_ref().map(|t| t.id());
        let produce =
            Msg::Produce { req, partition: global, acks: c.acks, timeout_ms: c.request_timeout_ms, batch, txn };
        self.send_request(leader, produce, out);
        let ids = (self.producer_id, self.producer_epoch);
        let q = &mut self.parts[p];
        if c.acks == Acks::Zero {
            // acks=0: the send is complete once written to the socket; offset unknown (-1).
            let b = q.batches.remove(i).expect("batch");
            out.observe(ProducerObs::History(EventKind::Acked {
                producer: self.idx,
                instance: self.instance,
                partition: global,
                records: b.records,
                offset: -1,
                broker: leader,
                leader_epoch,
                attempts: b.attempts,
            }));
            return;
        }
        let b = &mut q.batches[i];
        b.in_flight = Some(req);
        let last_seq = b.base_seq as i64 + b.records.len() as i64 - 1;
        self.in_flight.insert(req, InFlight { partition: p as u32, broker: leader, expired: false, ids, last_seq });
        crate::invariant!(
            23,
            self.in_flight.values().filter(|f| f.broker == leader).count() as u32 <= c.max_in_flight,
            "producer#{} has more than max.in.flight.requests.per.connection = {} requests out to broker:{leader}",
            self.idx,
            c.max_in_flight
        );
        out.timer(c.request_timeout_ms, ProducerTimer::RequestTimeout { req });
        let _ = now;
    }
}

impl Node<Msg> for Producer {
    type Timer = ProducerTimer;
    type Obs = ProducerObs;

    /// Handle a message.
    fn on_message(&mut self, now: u64, from: NodeId, msg: Msg, out: &mut ProducerOut) {
        self.quiet_since_drain = false;
        let mark = out.obs.len();
        self.handle_message(now, from, msg, out);
        if self.user.is_some() {
            self.user_after_step(now, mark, out);
        }
        self.cancel_stale_txn_timer(out);
    }

    /// Handle a timer.
    fn on_timer(&mut self, now: u64, t: ProducerTimer, out: &mut ProducerOut) {
        if !matches!(t, ProducerTimer::Tick) {
            self.quiet_since_drain = false;
        }
        let mark = out.obs.len();
        self.handle_timer(now, t, out);
        if self.user.is_some() {
            self.user_after_step(now, mark, out);
        }
        self.cancel_stale_txn_timer(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn murmur2_matches_kafkas_reference_values() {
        // Values from Kafka's UtilsTest.testMurmur2.
        assert_eq!(murmur2(b"21"), -973932308);
        assert_eq!(murmur2(b"foobar"), -790332482);
        assert_eq!(murmur2(b"a-little-bit-long-string"), -985981536);
        assert_eq!(murmur2(b"a-little-bit-longer-string"), -1486304829);
        assert_eq!(murmur2(b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8"), -58897971);
        assert_eq!(murmur2(b"abc"), 479470107);
    }

    #[test]
    fn key_partition_hashes_the_decimal_key_name() {
        for key in [0u32, 7, 10, 12345, u32::MAX] {
            let expected = ((murmur2(format!("key-{key}").as_bytes()) & 0x7fff_ffff) as u32) % 6;
            assert_eq!(key_partition(key, 6), expected);
        }
    }
}
