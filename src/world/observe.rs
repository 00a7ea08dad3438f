//! Carrying out a node's out-buffer: its sends and timers, and what it observed (history
//! lines, acknowledgements the application keeps, trigger checks).

use super::nodes::Nodes;
use super::{Ev, Timer, World};
use crate::broker::{BrokerObs, BrokerTimer, ControllerTimer, Msg};
use crate::client::{ConsumerObs, ConsumerTimer, ProducerObs, ProducerTimer};
use crate::record::{EventKind, RecordList};
use crate::scenario::{ClientEvent, RecordEvent, Scenario};
use crate::sim::{NodeId, Out};

/// Application-side state of a producer that survives its client's crashes (think: the
/// database the application reads its work from).
#[derive(Debug, Clone)]
pub(super) struct ProducerApp {
    /// Per record number, whether it was acknowledged, a bit each (bit `r & 63` of word
    /// `r >> 6`); grows as records are acknowledged (never sized by the declared `records` up
    /// front, which may be 4 billion).
    acked: Vec<u64>,
    pub acked_count: u64,
    pub instance: u32,
    pub next_fresh: u32,
    pub restart_pending: bool,
    /// A transactional producer: a record counts as acknowledged when its transaction commits.
    pub transactional: bool,
    /// Transactions committed and aborted (for `txn-committed` / `txn-aborted` triggers).
    pub txns_committed: u64,
    pub txns_aborted: u64,
}

impl ProducerApp {
    /// The records of `records` were acknowledged.
    pub fn set_acked(&mut self, records: &RecordList) {
        let Some(first) = records.first() else { return };
        // A batch's records are nearly always a run: then they are set a word at a time.
        let run = records.first_of_run().is_some();
        let max = if run { first + (records.len() as u32 - 1) } else { records.iter().fold(first, u32::max) };
        let words = (max as usize >> 6) + 1;
        if words > self.acked.len() {
            // `resize` reserves with the vector's own doubling: records come in about their order.
            self.acked.resize(words, 0);
        }
        if run {
            let (mut r, end) = (first as usize, max as usize + 1);
            while r < end {
                let (w, bit) = (r >> 6, r & 63);
                let n = (64 - bit).min(end - r);
                self.acked[w] |= (u64::MAX >> (64 - n)) << bit;
                r += n;
            }
            return;
        }
        for r in records.iter() {
            self.acked[r as usize >> 6] |= 1 << (r & 63);
        }
    }

    /// Whether record `r` was acknowledged.
    pub fn is_acked(&self, r: u32) -> bool {
        self.acked.get(r as usize >> 6).is_some_and(|w| w & (1 << (r & 63)) != 0)
    }
}

/// How often a `[[consumer]]` table's or processor's members did what a `CLIENT EVENT N`
/// trigger counts.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct MemberCounts {
    pub polled: u64,
    pub processed: u64,
    pub committed: u64,
    pub txn_committed: u64,
    pub txn_aborted: u64,
    pub offsets_sent: u64,
}

impl MemberCounts {
    /// The count a trigger on `event` compares with (group members are never `acked`).
    pub fn get(&self, event: ClientEvent) -> u64 {
        match event {
            ClientEvent::Polled => self.polled,
            ClientEvent::Processed => self.processed,
            ClientEvent::Committed => self.committed,
            ClientEvent::TxnCommitted => self.txn_committed,
            ClientEvent::TxnAborted => self.txn_aborted,
            ClientEvent::OffsetsSent => self.offsets_sent,
            ClientEvent::Acked => 0,
        }
    }
}

/// What the clients' applications keep across crashes, and their counts.
pub(super) struct Workload {
    pub producers: Vec<ProducerApp>,
    /// Per entry of `consumer_specs`.
    pub member_counts: Vec<MemberCounts>,
    /// Members down with a restart scheduled.
    pub member_restart_pending: Vec<bool>,
    /// When the queued `ServiceTick` fires (services' timers), if one is queued.
    pub service_tick: Option<u64>,
}

impl Workload {
    pub fn new(s: &Scenario, nodes: &Nodes) -> Self {
        Workload {
            producers: s
                .producers
                .iter()
                .map(|p| ProducerApp {
                    acked: Vec::new(),
                    acked_count: 0,
                    instance: 0,
                    next_fresh: 0,
                    restart_pending: false,
                    transactional: p.config.transactional_id.is_some(),
                    txns_committed: 0,
                    txns_aborted: 0,
                })
                .collect(),
            member_counts: vec![MemberCounts::default(); nodes.consumer_specs.len()],
            member_restart_pending: vec![false; nodes.members.len()],
            service_tick: None,
        }
    }
}

/// An observation of any node, as the world handles it.
pub(super) enum Obs {
    Broker(BrokerObs),
    Producer(ProducerObs),
    Consumer(ConsumerObs),
}

/// A node's observation type: whether it closes a connection (done before the step's sends).
pub(super) trait NodeObs: Into<Obs> {
    /// The broker whose connection the node closed in this observation, if any.
    fn closes(&self) -> Option<u32>;
}

impl NodeObs for BrokerObs {
    fn closes(&self) -> Option<u32> {
        None
    }
}

impl NodeObs for ProducerObs {
    fn closes(&self) -> Option<u32> {
        match self {
            ProducerObs::CloseConnection { broker } => Some(*broker),
            _ => None,
        }
    }
}

impl NodeObs for ConsumerObs {
    fn closes(&self) -> Option<u32> {
        match self {
            ConsumerObs::CloseConnection { broker } => Some(*broker),
            _ => None,
        }
    }
}

/// `From` a node's own timer or observation into the world's enum of them; for timers also
/// back (`drive` hands a node only its own kind of timer).
macro_rules! wrap {
    ($outer:ident, $variant:ident, $inner:ty) => {
        impl From<$inner> for $outer {
            fn from(x: $inner) -> Self {
                $outer::$variant(x)
            }
        }
    };
    ($outer:ident, $variant:ident, $inner:ty, both ways) => {
        wrap!($outer, $variant, $inner);
        impl TryFrom<$outer> for $inner {
            type Error = ();
            fn try_from(x: $outer) -> Result<Self, ()> {
                match x {
                    $outer::$variant(t) => Ok(t),
                    #[allow(unreachable_patterns)]
                    _ => Err(()),
                }
            }
        }
    };
}

wrap!(Timer, Controller, ControllerTimer, both ways);
wrap!(Timer, Broker, BrokerTimer, both ways);
wrap!(Timer, Producer, ProducerTimer, both ways);
wrap!(Timer, Consumer, ConsumerTimer, both ways);
wrap!(Obs, Broker, BrokerObs);
wrap!(Obs, Producer, ProducerObs);
wrap!(Obs, Consumer, ConsumerObs);

impl World<'_> {
    /// Carry out node `node`'s out-buffer: connections it closed first (a request retried at
    /// once goes out on the new connection), then its sends in order, its timers, and what it
    /// observed.
    ///
    /// It leaves `out` empty with its capacity, so a reused buffer allocates nothing.
    pub(super) fn flush<T, O>(&mut self, node: NodeId, out: &mut Out<Msg, T, O>)
    where
        T: Into<Timer>,
        O: NodeObs,
    {
        // Most events leave some of the three lists empty: skip those without a drain.
        for o in &out.obs {
            if let Some(broker) = o.closes() {
                self.net.close(node, NodeId::Broker(broker));
            }
        }
        if !out.sends.is_empty() {
            for (to, msg) in out.sends.drain(..) {
                self.send(node, to, msg);
            }
        }
        // Cancels first: a timer a node sets is never one it cancels in the same step (ids are
        // fresh), and a cancel must never reach a timer set after it.
        if !out.cancels.is_empty() {
            for t in out.cancels.drain(..) {
                let timer: Timer = t.into();
                let key = timer.cancel_key().expect("only cancellable timers are cancelled");
                self.cancel_timer(node, key);
            }
        }
        if !out.timers.is_empty() {
            let inc = self.nodes.life(node).inc;
            for (d, t) in out.timers.drain(..) {
                let timer = t.into();
                let h = self.k.queue.push(self.k.now + d, Ev::Timer { node, inc, timer });
                self.keep_cancellable(node, timer, h);
            }
        }
        if out.obs.is_empty() {
            return;
        }
        for o in out.obs.drain(..) {
            match o.into() {
                Obs::Broker(o) => self.broker_obs(o),
                Obs::Producer(o) => self.producer_obs(o),
                Obs::Consumer(o) => {
                    let NodeId::Consumer(m) = node else { unreachable!("consumer observations come from members") };
                    self.consumer_obs(m, o);
                }
            }
        }
    }

    fn producer_obs(&mut self, o: ProducerObs) {
        match o {
            ProducerObs::AppSent { producer, index } => self.check_record_trigger(producer, index, RecordEvent::Sent),
            ProducerObs::CloseConnection { .. } | ProducerObs::OffsetsSent => {}
            ProducerObs::History(kind) => {
                // A transactional record is acknowledged when its transaction commits.
                let acked = match &kind {
                    EventKind::Acked { producer, records, .. }
                        if !self.work.producers[*producer as usize].transactional =>
                    {
                        Some((*producer, records.clone()))
                    }
                    EventKind::TxnEnded { producer, commit, records, result: Ok(()), .. } => {
                        let app = &mut self.work.producers[*producer as usize];
                        let event = if *commit {
                            app.txns_committed += 1;
                            ClientEvent::TxnCommitted
                        } else {
                            app.txns_aborted += 1;
                            ClientEvent::TxnAborted
                        };
                        self.check_txn_trigger(*producer, event);
                        commit.then(|| (*producer, records.clone()))
                    }
                    _ => None,
                };
                if let Some((producer, records)) = acked {
                    let app = &mut self.work.producers[producer as usize];
                    app.set_acked(&records);
                    app.acked_count += records.len() as u64;
                    if self.watching() {
                        for r in records.iter() {
                            self.check_record_trigger(producer, r, RecordEvent::Acked);
                        }
                        self.check_client_trigger(producer);
                    }
                }
                self.push_history(kind);
            }
        }
    }

    fn consumer_obs(&mut self, m: u32, o: ConsumerObs) {
        let c = self.nodes.members[m as usize].0 as usize;
        match o {
            ConsumerObs::CloseConnection { .. } => {}
            ConsumerObs::OffsetsSent => {
                self.work.member_counts[c].offsets_sent += 1;
                self.check_consumer_trigger(c, ClientEvent::OffsetsSent);
            }
            ConsumerObs::ProcessedOne(r) => {
                self.work.member_counts[c].processed += 1;
                if self.watching() {
                    self.check_record_trigger(r.producer, r.index, RecordEvent::Processed);
                    self.check_consumer_trigger(c, ClientEvent::Processed);
                }
            }
            ConsumerObs::ProcessedAll(records) if self.watching() => {
                for d in records.iter() {
                    self.consumer_obs(m, ConsumerObs::ProcessedOne(d.record));
                }
            }
            ConsumerObs::ProcessedAll(records) => self.work.member_counts[c].processed += records.len() as u64,
            ConsumerObs::History(kind) => {
                match &kind {
                    EventKind::Polled { .. } => {
                        self.work.member_counts[c].polled += 1;
                        self.check_consumer_trigger(c, ClientEvent::Polled);
                    }
                    EventKind::OffsetCommit { result: Ok(()), .. } => {
                        self.work.member_counts[c].committed += 1;
                        self.check_consumer_trigger(c, ClientEvent::Committed);
                    }
                    // A processor's transaction commits its outputs and its offsets at once.
                    EventKind::TxnEnded { commit: true, result: Ok(()), .. } => {
                        self.work.member_counts[c].committed += 1;
                        self.work.member_counts[c].txn_committed += 1;
                        self.check_consumer_trigger(c, ClientEvent::Committed);
                        self.check_consumer_trigger(c, ClientEvent::TxnCommitted);
                    }
                    EventKind::TxnEnded { commit: false, result: Ok(()), .. } => {
                        self.work.member_counts[c].txn_aborted += 1;
                        self.check_consumer_trigger(c, ClientEvent::TxnAborted);
                    }
                    _ => {}
                }
                self.push_history(kind);
            }
        }
    }

    fn broker_obs(&mut self, o: BrokerObs) {
        match o {
            BrokerObs::Appended { batch, .. } => {
                if self.watching() {
                    for r in batch.records.iter() {
                        self.check_record_trigger(batch.producer, r, RecordEvent::Appended);
                    }
                }
            }
            BrokerObs::Committed { partition, broker, from, to } => {
                if self.watching_commits() {
                    let hits: Vec<(u32, u32)> = self.nodes.brokers[broker as usize - 1]
                        .records_between(partition, from, to)
                        .map(|(b, _, rec)| (b.producer, rec))
                        .collect();
                    for (p, r) in hits {
                        self.check_record_trigger(p, r, RecordEvent::Committed);
                    }
                }
            }
            BrokerObs::LeaderChange { partition, state, unclean } => {
                self.push_history(EventKind::LeaderChange {
                    partition,
                    leader: state.leader,
                    leader_epoch: state.leader_epoch,
                    isr: state.isr,
                    unclean,
                });
            }
        }
    }
}
