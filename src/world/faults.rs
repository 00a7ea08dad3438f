//! The fault verbs: crash, power loss, restart, isolate, pause, resume, heal; the scenario's
//! faults and the nemesis go through them.

use std::collections::BTreeMap;

use super::{Ev, World};
use crate::broker::{Broker, Msg};
use crate::error::KafkaError;
use crate::fault::{FaultStep, NemesisStep};
use crate::record::{EventKind, FaultAction, FaultNode, FaultTarget, Heal, Role};
use crate::scenario::{OnRestart, Scenario, Target, TargetClass};
use crate::sim::trace::{TraceEvent, TraceKind};
use crate::sim::{NodeId, Out, Stream};

/// The fault schedule and what is still to heal.
pub(super) struct Faults {
    /// `[[fault]]`s (by index) whose `after` trigger has not happened yet.
    pub armed: Vec<usize>,
    pub nemesis: Vec<NemesisStep>,
    /// The nemesis strikes until the workload is done.
    pub nemesis_on: bool,
    /// Restarts scheduled but not yet happened.
    pub restarts_pending: u32,
    /// Isolations, pauses and partitions in force, by id, until their scheduled heal (or an
    /// early `heal`/`resume`) ends them.
    pub holds: BTreeMap<u64, Hold>,
    next_hold: u64,
    /// `at_ms` faults not yet fired.
    pub timed_pending: u32,
    /// Faults fired in this step, applied at its end.
    pub fire: Vec<FaultStep>,
    /// When fired, per scenario fault.
    pub fired_at: Vec<Option<u64>>,
    /// The nemesis keeps the safe-schedule rule for power losses.
    safe_power_loss: bool,
    /// A broker that lost power under the safe-schedule rule and is not back in the ISR yet,
    /// with the broker epoch its lost incarnation had.
    recovering: Option<(u32, u64)>,
}

/// An isolation, pause or partition in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Hold {
    /// The node held (the controller stands for a partition, in the trace's node column).
    node: NodeId,
    /// What its heal ends.
    end: Heal,
    /// Whom the history says it held.
    target: FaultTarget,
}

impl Faults {
    pub fn new(s: &Scenario, nemesis: Vec<NemesisStep>) -> Self {
        Faults {
            armed: Vec::new(),
            nemesis,
            nemesis_on: true,
            restarts_pending: 0,
            holds: BTreeMap::new(),
            next_hold: 0,
            timed_pending: 0,
            fire: Vec::new(),
            fired_at: vec![None; s.faults.len()],
            safe_power_loss: s.nemesis.as_ref().is_some_and(|n| n.safe_power_loss),
            recovering: None,
        }
    }
}

impl World<'_> {
    /// Crash `target`'s process: a broker keeps what reached the page cache; a client loses
    /// everything it had not handed on. It comes back after `restart_after_ms` (`None`: never).
    pub fn crash(&mut self, target: Target, restart_after_ms: Option<u64>) {
        self.strike(FaultStep { action: FaultAction::Crash, target, restart_after_ms, duration_ms: 0 });
    }

    /// Cut `target`'s power: a broker also loses what it had not flushed to disk (a client
    /// just crashes).
    pub fn power_loss(&mut self, target: Target, restart_after_ms: Option<u64>) {
        self.strike(FaultStep { action: FaultAction::PowerLoss, target, restart_after_ms, duration_ms: 0 });
    }

    /// Cut `target` off from every other node for `duration_ms`; its connections' traffic
    /// waits and flows again, in order, afterwards.
    pub fn isolate(&mut self, target: Target, duration_ms: u64) {
        self.strike(FaultStep { action: FaultAction::Isolate, target, restart_after_ms: None, duration_ms });
    }

    /// Stop `target` for `duration_ms` (a GC pause): nothing reaches it, its timers wait, and
    /// then it carries on as if nothing happened.
    pub fn pause(&mut self, target: Target, duration_ms: u64) {
        self.strike(FaultStep { action: FaultAction::Pause, target, restart_after_ms: None, duration_ms });
    }

    /// Restart `target` now if it is down (a new process: nothing addressed to the dead one
    /// reaches it).
    pub fn restart(&mut self, target: Target) {
        for node in self.resolve(&target) {
            self.restart_node(node);
        }
    }

    /// End `target`'s pause now.
    pub fn resume(&mut self, target: Target) {
        for node in self.resolve(&target) {
            let ended: Vec<u64> = (self.faults.holds.iter())
                .filter(|(_, h)| h.node == node && h.end == Heal::Pause)
                .map(|(&id, _)| id)
                .collect();
            self.end_holds(&ended);
        }
        self.release_held();
    }

    /// Partition the network: nodes of `a` and nodes of `b` cannot reach each other for
    /// `duration_ms` (each side still reaches its own side, and nodes on neither side reach
    /// both). Held traffic flows again, in order, after the heal. Targets resolve now; a node
    /// both sides resolve to (a leader that is also a broker named on the other side) stays on
    /// side `a` only.
    pub fn partition(&mut self, a: &[Target], b: &[Target], duration_ms: u64) {
        let side = |w: &Self, ts: &[Target]| -> Vec<NodeId> { ts.iter().flat_map(|t| w.resolve(t)).collect() };
        let (na, mut nb) = (side(self, a), side(self, b));
        nb.retain(|n| !na.contains(n));
        let names = |w: &Self, ns: &[NodeId]| ns.iter().map(|&n| w.fault_node(n)).collect::<Vec<_>>();
        let target = FaultTarget::Partition { a: names(self, &na), b: names(self, &nb) };
        let until = self.k.now + duration_ms;
        let action = FaultAction::Partition;
        let ev = TraceEvent { at: self.k.now, node: NodeId::Controller, peer: None, kind: TraceKind::Fault(action) };
        self.record(ev, |_| target.to_string());
        self.push_history(EventKind::Fault { action, target: target.clone(), broker: None });
        self.net.partition(&na, &nb, until);
        self.schedule_heal(until, Hold { node: NodeId::Controller, end: Heal::Partition, target });
    }

    /// End every isolation, partition and pause now; held traffic flows again, in order.
    pub fn heal(&mut self) {
        let all: Vec<u64> = self.faults.holds.keys().copied().collect();
        self.end_holds(&all);
        self.net.heal(self.k.now);
        self.release_held();
    }

    /// End the holds `ids` now, each noted once in the history (their scheduled heals then do
    /// nothing).
    fn end_holds(&mut self, ids: &[u64]) {
        let now = self.k.now;
        let mut noted: Vec<Hold> = Vec::new();
        for id in ids {
            let Some(hold) = self.faults.holds.remove(id) else { continue };
            let node = hold.node;
            let in_force = match hold.end {
                Heal::Isolation => self.net.isolated_until(node) > now,
                Heal::Pause => self.net.paused_until(node) > now,
                Heal::Partition | Heal::Restart => true,
            };
            match hold.end {
                Heal::Isolation => self.net.unisolate(node, now),
                Heal::Pause => self.net.end_pause(node, now),
                Heal::Partition | Heal::Restart => {}
            }
            if in_force && !noted.contains(&hold) {
                self.push_history(EventKind::Healed {
                    end: hold.end,
                    target: hold.target.clone(),
                    broker: broker_of(node),
                });
                noted.push(hold);
            }
        }
    }

    /// Schedule the end of `hold` at `until`.
    fn schedule_heal(&mut self, until: u64, hold: Hold) {
        let id = self.faults.next_hold;
        self.faults.next_hold += 1;
        self.faults.holds.insert(id, hold);
        self.k.queue.push(until, Ev::Heal(id));
    }

    /// Deliver, at once, whatever waits on a link whose hold has ended.
    fn release_held(&mut self) {
        for (from, to) in self.net.held_links() {
            if self.net.hold_until(from, to) <= self.k.now {
                self.k.queue.push(self.k.now, Ev::Release { from, to });
            }
        }
    }

    /// A fault a verb strikes: applied now, as a step of its own, as the scenario's faults are
    /// (and any fault it triggers after it).
    fn strike(&mut self, f: FaultStep) {
        self.faults.fire.push(f);
        self.apply_fired();
    }

    /// The nodes `t` names now (a leader or coordinator resolves to the broker that holds the
    /// role at this instant; `consumer:NAME` to every instance).
    fn resolve(&self, t: &Target) -> Vec<NodeId> {
        let n = &self.nodes;
        match t {
            Target::Controller => vec![NodeId::Controller],
            Target::Sides { between, and } => between.iter().chain(and).flat_map(|t| self.resolve(t)).collect(),
            Target::Broker(b) => vec![NodeId::Broker(*b)],
            Target::Leader { topic, partition } => n
                .topo
                .topic(topic)
                .and_then(|(first, _)| n.controller.partition(first + partition).leader)
                .map(NodeId::Broker)
                .into_iter()
                .collect(),
            Target::Producer(p) => vec![NodeId::Producer(*p as u32)],
            Target::Service { service, instance } => {
                self.s.service_targets(*service, *instance).iter().flat_map(|t| self.resolve(t)).collect()
            }
            Target::Processor { processor, instance } => {
                let consumer = self.s.consumers.len() + processor;
                self.resolve(&Target::Consumer { consumer, instance: *instance })
            }
            Target::Consumer { consumer, instance: Some(k) } => {
                n.member_of(*consumer, *k).map(NodeId::Consumer).into_iter().collect()
            }
            Target::Consumer { consumer, instance: None } => (0..n.consumer_specs[*consumer].instances.max(1))
                .filter_map(|k| n.member_of(*consumer, k))
                .map(NodeId::Consumer)
                .collect(),
            Target::GroupCoordinator(group) => n
                .topo
                .group(group)
                .and_then(|g| n.controller.partition(n.topo.group_partition(g)).leader)
                .map(NodeId::Broker)
                .into_iter()
                .collect(),
            Target::TxnCoordinator(id) => n
                .topo
                .txn_id(id)
                .and_then(|t| n.controller.partition(n.topo.txn_partition(t)).leader)
                .map(NodeId::Broker)
                .into_iter()
                .collect(),
        }
    }

    pub(super) fn nemesis_target(&mut self, step: &NemesisStep) -> Option<FaultStep> {
        let n = &self.nodes;
        let candidates: Vec<Target> = match step.class {
            TargetClass::Brokers => (1..=n.layout.brokers)
                .filter(|&b| n.life(NodeId::Broker(b)).down.is_none())
                .map(Target::Broker)
                .collect(),
            TargetClass::Producers => {
                (0..n.specs.len()).filter(|&p| n.producers[p].is_some()).map(Target::Producer).collect()
            }
            TargetClass::Consumers | TargetClass::Processors => {
                let tables = self.s.consumers.len();
                let want_processors = step.class == TargetClass::Processors;
                (0..n.members.len())
                    .filter(|&m| n.consumers[m].is_some() && (n.members[m].0 as usize >= tables) == want_processors)
                    .map(|m| {
                        let (c, k) = (n.members[m].0 as usize, Some(n.members[m].1));
                        match c.checked_sub(tables) {
                            None => Target::Consumer { consumer: c, instance: k },
                            Some(p) => Target::Processor { processor: p, instance: k },
                        }
                    })
                    .collect()
            }
        };
        if candidates.is_empty() {
            return None;
        }
        let k = self.k.rngs.range(Stream::Nemesis, 0, candidates.len() as u64 - 1) as usize;
        let action = match (step.action, &candidates[k]) {
            (FaultAction::PowerLoss, Target::Producer(_) | Target::Consumer { .. } | Target::Processor { .. }) => {
                FaultAction::Crash
            }
            (a, _) => a,
        };
        Some(FaultStep {
            action,
            target: candidates[k].clone(),
            restart_after_ms: Some(step.restart_after_ms),
            duration_ms: step.duration_ms,
        })
    }

    /// Apply the faults fired in this step, each round a step of its own (triggers hit while
    /// they are applied fire in a later round).
    #[inline]
    pub(super) fn apply_fired(&mut self) {
        while !self.faults.fire.is_empty() {
            self.k.step += 1;
            let steps = std::mem::take(&mut self.faults.fire);
            for f in steps {
                self.apply_fault(f);
            }
        }
    }

    /// Whether every partition broker `b` hosts has its full replica set in the ISR and alive:
    /// the only moment the durability property lets a broker lose power. A restarted process
    /// counts only once it has registered: until then the ISR entry is its dead predecessor's
    /// (the controller refuses the new incarnation while the old one's session is alive).
    fn power_loss_is_safe(&self, b: u32) -> bool {
        let n = &self.nodes;
        let current = |r: u32| {
            let epoch = n.brokers[r as usize - 1].broker_epoch;
            let node = NodeId::Broker(r);
            // Up, registered under its current incarnation, and neither cut off nor stopped:
            // an isolated or paused broker's session may expire before the power-lost one's.
            n.life(node).down.is_none()
                && !self.net.impaired(node, self.k.now)
                && epoch != 0
                && epoch == n.controller.broker_epoch(r)
        };
        n.topo.partitions.iter().enumerate().all(|(p, info)| {
            !info.replicas.contains(&b)
                || info.replicas.iter().all(|&r| n.controller.partition(p as u32).isr.contains(&r) && current(r))
        })
    }

    fn apply_fault(&mut self, f: FaultStep) {
        if let (FaultAction::Partition, Target::Sides { between, and }) = (f.action, &f.target) {
            self.partition(between, and, f.duration_ms);
            return;
        }
        // `validate` refuses these in a scenario; a verb called from Rust may still pass them.
        assert!(
            !matches!(f.target, Target::Controller | Target::Sides { .. }),
            "{} of {}: the controller quorum is modelled as reliable (it stands only on a side of a partition), \
             and two sides make a partition only",
            f.action.as_str(),
            f.target
        );
        if let Target::Service { service, instance } = f.target {
            // A service's process is every client it owns: the fault hits them all (a power
            // loss of a client is its crash).
            let action = if f.action == FaultAction::PowerLoss { FaultAction::Crash } else { f.action };
            for target in self.s.service_targets(service, instance) {
                self.apply_fault(FaultStep { target, action, ..f.clone() });
            }
            return;
        }
        if let Target::Processor { processor, instance } = f.target {
            // A processor's members are consumer members (after the `[[consumer]]` tables').
            let consumer = self.s.consumers.len() + processor;
            self.apply_fault(FaultStep { target: Target::Consumer { consumer, instance }, ..f });
            return;
        }
        if let Target::Consumer { consumer, instance: None } = f.target {
            // `consumer:NAME` hits every instance.
            for k in 0..self.nodes.consumer_specs[consumer].instances.max(1) {
                self.apply_fault(FaultStep { target: Target::Consumer { consumer, instance: Some(k) }, ..f.clone() });
            }
            return;
        }
        let node = self.resolve(&f.target).first().copied();
        let mut action = f.action;
        if let (true, Some(NodeId::Broker(b))) = (self.faults.safe_power_loss, node) {
            // The safe-schedule rule: a broker may lose power only while every replica of its
            // partitions is in the ISR, and until it is back in the ISR no other broker is faulted.
            if let Some((r, epoch)) = self.faults.recovering {
                let back = self.nodes.controller.broker_epoch(r) != epoch && self.power_loss_is_safe(r);
                if back {
                    self.faults.recovering = None;
                } else if r != b {
                    let kind = TraceKind::FaultSkipped;
                    self.record(TraceEvent { at: self.k.now, node: NodeId::Broker(b), peer: None, kind }, |_| {
                        String::new()
                    });
                    return;
                }
            }
            if action == FaultAction::PowerLoss {
                if self.power_loss_is_safe(b) {
                    self.faults.recovering = Some((b, self.nodes.controller.broker_epoch(b)));
                } else {
                    action = FaultAction::Crash;
                }
            }
        }
        if let Some(NodeId::Consumer(m)) = node {
            // What the application processed up to this instant is in the history before the
            // fault: it stays in the store whatever the fault does to the member.
            let mut out = Out::default();
            if let Some(c) = self.nodes.consumers[m as usize].as_mut() {
                c.flush_processed(&mut out);
            }
            self.flush(NodeId::Consumer(m), &mut out);
        }
        let target = self.fault_target(&f.target, node.and_then(broker_of));
        let at = node.unwrap_or(NodeId::Controller);
        self.record(TraceEvent { at: self.k.now, node: at, peer: None, kind: TraceKind::Fault(action) }, |_| {
            target.to_string()
        });
        self.push_history(EventKind::Fault { action, target, broker: node.and_then(broker_of) });
        let Some(node) = node else { return };
        if self.nodes.life(node).down.is_some() {
            return;
        }
        match action {
            FaultAction::Crash | FaultAction::PowerLoss => self.kill(node, action, f.restart_after_ms),
            FaultAction::Partition => unreachable!("validate gives every partition two sides"),
            FaultAction::Isolate => {
                let until = self.k.now + f.duration_ms;
                self.net.isolate(node, until);
                let target = FaultTarget::Node(self.fault_node(node));
                self.schedule_heal(until, Hold { node, end: Heal::Isolation, target });
            }
            FaultAction::Pause => {
                let until = self.k.now + f.duration_ms;
                self.net.pause(node, until);
                let target = FaultTarget::Node(self.fault_node(node));
                self.schedule_heal(until, Hold { node, end: Heal::Pause, target });
            }
        }
    }

    /// The process of `node` dies (`how`: crash or power loss), to restart after
    /// `restart_after_ms` if given.
    fn kill(&mut self, node: NodeId, how: FaultAction, restart_after_ms: Option<u64>) {
        self.drop_cancellable(node);
        let life = self.nodes.life_mut(node);
        life.down = Some(how);
        life.inc += 1;
        // A pause belongs to the process: it ends with it (an isolation is the machine's and
        // outlives it).
        self.net.end_pause(node, self.k.now);
        match node {
            NodeId::Broker(b) => {
                if how == FaultAction::PowerLoss {
                    self.observe_power_loss(b);
                }
                if how == FaultAction::Crash {
                    // The OS resets every connection of the dead process.
                    for to in self.nodes.peers_of_broker(b) {
                        self.send(node, to, Msg::Disconnected);
                    }
                }
            }
            NodeId::Producer(p) => {
                let mut out = Out::default();
                if let Some(mut prod) = self.nodes.producers[p as usize].take() {
                    prod.crash(KafkaError::ProducerCrashed, &mut out);
                    self.work.producers[p as usize].next_fresh = prod.next_fresh();
                }
                self.flush(node, &mut out);
            }
            NodeId::Consumer(m) => self.nodes.consumers[m as usize] = None,
            NodeId::Controller => {}
        }
        if let Some(r) = restart_after_ms {
            self.faults.restarts_pending += 1;
            match node {
                NodeId::Producer(p) => self.work.producers[p as usize].restart_pending = true,
                NodeId::Consumer(m) => self.work.member_restart_pending[m as usize] = true,
                _ => {}
            }
            self.k.queue.push(self.k.now + r, Ev::Restart(node));
        }
    }

    /// A scheduled heal (hold `id`), unless an early `heal`/`resume` ended it already: the
    /// history notes it unless the hold was cut short (a pause its process's death ended).
    pub(super) fn healed(&mut self, id: u64) {
        let Some(hold) = self.faults.holds.remove(&id) else { return };
        let node = hold.node;
        let cut_short = hold.end == Heal::Pause && self.net.paused_until(node) < self.k.now;
        let ev = TraceEvent { at: self.k.now, node, peer: None, kind: TraceKind::Heal };
        self.record(ev, |_| format!("{} {}", hold.end, hold.target));
        if hold.end == Heal::Partition {
            self.net.expire(self.k.now);
        }
        if !cut_short {
            self.push_history(EventKind::Healed { end: hold.end, target: hold.target, broker: broker_of(node) });
        }
    }

    /// Restart `node` if it is down: a new process, to which nothing addressed to the dead one
    /// (timers, messages sent while it was down) is delivered.
    pub(super) fn restart_node(&mut self, node: NodeId) {
        let Some(how) = self.nodes.life(node).down else { return };
        self.drop_cancellable(node);
        let life = self.nodes.life_mut(node);
        life.down = None;
        life.inc += 1;
        self.record(TraceEvent { at: self.k.now, node, peer: None, kind: TraceKind::Restart }, |_| String::new());
        let target = FaultTarget::Node(self.fault_node(node));
        let restarted = |broker| EventKind::Healed { end: Heal::Restart, target: target.clone(), broker };
        match node {
            NodeId::Broker(b) => {
                let mut out = Out::default();
                let old = &self.nodes.brokers[b as usize - 1];
                self.nodes.brokers[b as usize - 1] =
                    Broker::restarted(old, how == FaultAction::PowerLoss, self.k.now, &mut out);
                self.push_history(restarted(Some(b)));
                self.flush(node, &mut out);
                self.observe_broker(b);
            }
            NodeId::Producer(p) => {
                let app = &mut self.work.producers[p as usize];
                app.restart_pending = false;
                app.instance += 1;
                let resend = match self.nodes.specs[p as usize].on_restart {
                    OnRestart::ResendUnacked => (0..app.next_fresh).filter(|&r| !app.is_acked(r)).collect(),
                    OnRestart::SkipUnacked => Vec::new(),
                };
                self.push_history(restarted(None));
                self.start_producer(p, resend);
            }
            NodeId::Consumer(m) => {
                self.work.member_restart_pending[m as usize] = false;
                self.push_history(restarted(None));
                self.start_consumer(m);
            }
            NodeId::Controller => {}
        }
    }

    /// The history's name for fault target `t`: a node, or a role with the broker it resolved
    /// to.
    fn fault_target(&self, t: &Target, broker: Option<u32>) -> FaultTarget {
        let role = match t {
            Target::Broker(b) => return FaultTarget::Node(FaultNode::Broker(*b)),
            Target::Producer(p) => return FaultTarget::Node(self.fault_node(NodeId::Producer(*p as u32))),
            Target::Consumer { consumer, instance } => {
                return FaultTarget::Node(self.member_node(*consumer as u32, instance.unwrap_or(0)));
            }
            Target::Processor { .. } => unreachable!("a processor target is a consumer target by now"),
            Target::Service { .. } => unreachable!("a service target is its clients' targets by now"),
            Target::Controller => return FaultTarget::Node(FaultNode::Controller),
            Target::Sides { .. } => unreachable!("a partition is struck by World::partition"),
            Target::Leader { topic, partition } => Role::Leader { topic: topic.clone(), partition: *partition },
            Target::GroupCoordinator(g) => Role::GroupCoordinator(g.clone()),
            Target::TxnCoordinator(id) => Role::TxnCoordinator(id.clone()),
        };
        FaultTarget::Role { role, broker }
    }

    /// Instance `k` of entry `c` of the consumer specs (a `[[consumer]]` table's or, after them,
    /// a processor's members), as the history names it.
    fn member_node(&self, c: u32, k: u32) -> FaultNode {
        FaultNode::Member {
            consumer: c,
            instance: k,
            name: self.nodes.consumer_specs[c as usize].name.clone(),
            processor: c as usize >= self.s.consumers.len(),
        }
    }

    /// The history's name for node `n`: `broker:2`, `producer:p1`, `consumer:c1/0`,
    /// `processor:s1/1`.
    pub(super) fn fault_node(&self, n: NodeId) -> FaultNode {
        match n {
            NodeId::Broker(b) => FaultNode::Broker(b),
            NodeId::Producer(p) => FaultNode::Producer { producer: p, name: self.nodes.specs[p as usize].name.clone() },
            NodeId::Consumer(m) => {
                let (c, k) = self.nodes.members[m as usize];
                self.member_node(c, k)
            }
            NodeId::Controller => FaultNode::Controller,
        }
    }
}

/// The broker a node is, if it is one.
fn broker_of(n: NodeId) -> Option<u32> {
    match n {
        NodeId::Broker(b) => Some(b),
        _ => None,
    }
}
