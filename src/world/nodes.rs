//! Every node of the world, whether it is up, and the one dispatch that hands a node its input.

use std::sync::Arc;

use super::{Ev, Input, Timer, World};
use crate::broker::{Broker, BrokerObs, BrokerTimer, Controller, ControllerTimer, Msg, Topology};
use crate::client::consumer::Proc;
use crate::client::driver::ClientRef;
use crate::client::{Consumer, ConsumerObs, ConsumerTimer, Producer, ProducerObs, ProducerTimer};
use crate::record::FaultAction;
use crate::scenario::{ConsumerSpec, ProducerSpec, RecordEvent, Scenario, Trigger};
use crate::sim::{Layout, Node, NodeId, Out};

/// Producer ids a processor member's incarnation may use: one per producer its task makes (the
/// task numbers them below 2^16).
const PROCESSOR_PID_BLOCK: i64 = 0x1_0000;

/// Whether a node's process is up, and which incarnation of it runs.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Life {
    /// Down since a crash or power loss (which one), until restarted.
    pub down: Option<FaultAction>,
    /// Bumped at every death and restart: timers and connections belong to one incarnation.
    pub inc: u32,
}

/// The nodes, their specs and their lives.
pub(super) struct Nodes {
    pub layout: Layout,
    pub topo: Arc<Topology>,
    pub controller: Controller,
    pub brokers: Vec<Broker>,
    pub producers: Vec<Option<Producer>>,
    /// Group members: the `[[consumer]]` tables' instances, then each processor's.
    pub consumers: Vec<Option<Consumer>>,
    lives: Vec<Life>,
    pub specs: Vec<Arc<ProducerSpec>>,
    /// The `[[consumer]]` tables, then each `[[processor]]`'s consumer side.
    pub consumer_specs: Vec<Arc<ConsumerSpec>>,
    /// Every group member: (index into `consumer_specs`, instance K).
    pub members: Vec<(u32, u32)>,
    /// First global input number of each producer's records (processor outputs carry it).
    pub record_base: Arc<[u32]>,
    /// The producer id the next plain producer instance gets.
    next_pid: i64,
    /// The reusable out-buffers of `dispatch` and `poke`.
    pub outs: Outs,
}

impl Nodes {
    pub fn new(s: &Scenario) -> Self {
        let topo = Topology::new(s);
        let mut consumers = s.consumers.clone();
        for c in consumers.iter_mut().filter(|c| s.services.iter().any(|x| x.consumers.contains(&c.name))) {
            // A service's `recv()` hands out one message per poll (docs/services.md).
            c.config.max_poll_records = 1;
        }
        let consumer_specs: Vec<Arc<ConsumerSpec>> =
            consumers.into_iter().chain(s.processors.iter().map(|p| p.consumer_spec())).map(Arc::new).collect();
        let members: Vec<(u32, u32)> = consumer_specs
            .iter()
            .enumerate()
            .flat_map(|(c, spec)| (0..spec.instances.max(1)).map(move |k| (c as u32, k)))
            .collect();
        let record_base: Arc<[u32]> = s.record_base().into();
        let layout =
            Layout { brokers: topo.brokers, producers: s.producers.len() as u32, members: members.len() as u32 };
        Nodes {
            layout,
            controller: Controller::new(topo.clone()),
            topo,
            brokers: Vec::new(),
            producers: (0..s.producers.len()).map(|_| None).collect(),
            consumers: (0..members.len()).map(|_| None).collect(),
            lives: vec![Life::default(); layout.len()],
            specs: s.producers.iter().map(|p| Arc::new(p.clone())).collect(),
            consumer_specs,
            members,
            record_base,
            next_pid: 1000,
            outs: Outs::default(),
        }
    }

    #[inline]
    pub fn life(&self, n: NodeId) -> Life {
        self.lives[self.layout.index(n)]
    }

    pub fn life_mut(&mut self, n: NodeId) -> &mut Life {
        &mut self.lives[self.layout.index(n)]
    }

    /// Whether `to`'s process accepts a message from `from`: a broker accepts none but the
    /// controller's answers until its socket server is up (see `Broker::accepts_connections`).
    pub fn accepts(&self, to: NodeId, from: NodeId) -> bool {
        match to {
            NodeId::Broker(b) if from != NodeId::Controller => self.brokers[b as usize - 1].accepts_connections,
            _ => true,
        }
    }

    /// Every broker, producer and member but `me`: whom a dying broker's OS resets.
    pub fn peers_of_broker(&self, me: u32) -> Vec<NodeId> {
        (1..=self.layout.brokers)
            .filter(|&x| x != me)
            .map(NodeId::Broker)
            .chain((0..self.layout.producers).map(NodeId::Producer))
            .chain((0..self.layout.members).map(NodeId::Consumer))
            .collect()
    }

    /// Producer ids and the first producer instance number for a processor member's
    /// incarnation `inc`: a block of ids from the cluster's sequence (as KRaft's controller hands
    /// out `ProducerIdsBlock`s, KIP-730), one id for each producer the task may make.
    pub fn processor_ids(&mut self, inc: u32) -> (i64, u32) {
        let block = self.next_pid;
        self.next_pid += PROCESSOR_PID_BLOCK;
        (block, (inc & 0xff) << 8)
    }

    pub fn member_of(&self, consumer: usize, instance: u32) -> Option<u32> {
        self.members.iter().position(|&(c, k)| c as usize == consumer && k == instance).map(|m| m as u32)
    }
}

/// Hand `input` to `node`; what it wants done goes into `out`.
fn drive<N>(node: &mut N, now: u64, input: Input, out: &mut Out<Msg, N::Timer, N::Obs>)
where
    N: Node<Msg>,
    N::Timer: TryFrom<Timer>,
{
    match input {
        Input::Message(from, msg) => node.on_message(now, from, msg, out),
        Input::Timer(t) => match N::Timer::try_from(t) {
            Ok(t) => node.on_timer(now, t, out),
            Err(_) => unreachable!("a timer reaches only the kind of node that set it"),
        },
    }
}

/// One out-buffer per kind of node, reused by every event: `flush` empties it and keeps its
/// capacity, so handling an event allocates no vectors for its sends, timers and observations.
/// A buffer in use is taken out (`None`); a nested flush of the same kind gets a new one.
#[derive(Default)]
pub(super) struct Outs {
    controller: Option<Out<Msg, ControllerTimer, BrokerObs>>,
    broker: Option<Out<Msg, BrokerTimer, BrokerObs>>,
    producer: Option<Out<Msg, ProducerTimer, ProducerObs>>,
    consumer: Option<Out<Msg, ConsumerTimer, ConsumerObs>>,
}

impl World<'_> {
    /// The one dispatch: hand `input` to node `id` (a client that is down gets nothing) and
    /// carry out what it wrote.
    pub(super) fn dispatch(&mut self, id: NodeId, input: Input) {
        let now = self.k.now;
        crate::invariant!(21, self.nodes.life(id).down.is_none(), "{id} is down but was handed an event at {now}");
        let n = &mut self.nodes;
        match id {
            NodeId::Controller => {
                let mut out = n.outs.controller.take().unwrap_or_default();
                drive(&mut n.controller, now, input, &mut out);
                self.flush(id, &mut out);
                self.nodes.outs.controller = Some(out);
                self.observe_controller();
            }
            NodeId::Broker(b) => {
                let mut out = n.outs.broker.take().unwrap_or_default();
                drive(&mut n.brokers[b as usize - 1], now, input, &mut out);
                self.flush(id, &mut out);
                self.nodes.outs.broker = Some(out);
                self.observe_broker(b);
            }
            NodeId::Producer(p) => {
                let mut out = n.outs.producer.take().unwrap_or_default();
                if let Some(x) = n.producers[p as usize].as_mut() {
                    drive(x, now, input, &mut out);
                }
                self.flush(id, &mut out);
                self.nodes.outs.producer = Some(out);
                self.service_round();
            }
            NodeId::Consumer(m) => {
                let mut out = n.outs.consumer.take().unwrap_or_default();
                if let Some(x) = n.consumers[m as usize].as_mut() {
                    drive(x, now, input, &mut out);
                }
                self.flush(id, &mut out);
                self.nodes.outs.consumer = Some(out);
                self.service_round();
            }
        }
    }

    /// The node of a service's client.
    pub(super) fn client_node(&self, c: ClientRef) -> Option<NodeId> {
        match c {
            ClientRef::Producer(p) => Some(NodeId::Producer(p)),
            ClientRef::Consumer(t, k) => self.nodes.member_of(t as usize, k).map(NodeId::Consumer),
        }
    }

    /// After a service's client handled an event: poke, in order, each idle client whose
    /// service has a call for it now (until none has), and queue the services' next timer.
    pub(super) fn service_round(&mut self) {
        let Some(apps) = self.user_apps else { return };
        // No service moved since the last round ended: its pokes and timer are as it left them.
        if !apps.stirred() {
            return;
        }
        let mut skipped: Vec<ClientRef> = Vec::new();
        loop {
            let pokes: Vec<ClientRef> = apps.pokes().into_iter().filter(|c| !skipped.contains(c)).collect();
            if pokes.is_empty() {
                break;
            }
            for c in pokes {
                let Some(node) = self.client_node(c) else { continue };
                if self.nodes.life(node).down.is_some() || self.net.paused_until(node) > self.k.now {
                    // Its pause ends with an event of its own, which pokes it again.
                    skipped.push(c);
                    continue;
                }
                self.poke(node);
            }
        }
        if let Some(t) = apps.next_timer() {
            let t = t.max(self.k.now);
            if self.work.service_tick.is_none_or(|q| t < q) {
                self.work.service_tick = Some(t);
                self.k.queue.push(t, Ev::ServiceTick);
            }
        }
        // Looked at as it is now; a client skipped (down or paused) is looked at again after
        // the next event, which may be its own.
        apps.set_stirred(!skipped.is_empty());
    }

    /// Poke the node of a service's client: its service may have a call for it.
    pub(super) fn poke(&mut self, node: NodeId) {
        let now = self.k.now;
        match node {
            NodeId::Producer(p) => {
                let mut out = self.nodes.outs.producer.take().unwrap_or_default();
                if let Some(x) = self.nodes.producers[p as usize].as_mut() {
                    x.user_wake(now, &mut out);
                }
                self.flush(node, &mut out);
                self.nodes.outs.producer = Some(out);
            }
            NodeId::Consumer(m) => {
                let mut out = self.nodes.outs.consumer.take().unwrap_or_default();
                if let Some(x) = self.nodes.consumers[m as usize].as_mut() {
                    x.user_wake(now, &mut out);
                }
                self.flush(node, &mut out);
                self.nodes.outs.consumer = Some(out);
            }
            _ => {}
        }
    }

    /// Start the controller, every broker, every producer due at 0 and every member.
    pub(super) fn start_nodes(&mut self) {
        let mut out = Out::default();
        self.nodes.controller.start(&mut out);
        self.flush(NodeId::Controller, &mut out);
        let image = self.nodes.controller.image();
        for b in 1..=self.nodes.layout.brokers {
            let mut out = Out::default();
            let epoch = self.nodes.controller.broker_epoch(b);
            let ids = (epoch, self.nodes.controller.producer_id_block(b));
            let broker = Broker::new(b, self.nodes.topo.clone(), ids, &image, 0, &mut out);
            self.nodes.brokers.push(broker);
            self.flush(NodeId::Broker(b), &mut out);
        }
        for p in 0..self.nodes.layout.producers {
            match self.nodes.specs[p as usize].start_ms {
                0 => self.start_producer(p, Vec::new()),
                t => {
                    self.work.producers[p as usize].restart_pending = true;
                    self.k.queue.push(t, Ev::StartProducer(p));
                }
            }
        }
        for m in 0..self.nodes.layout.members {
            self.start_consumer(m);
        }
    }

    pub(super) fn start_producer(&mut self, p: u32, resend: Vec<u32>) {
        let pid = self.nodes.next_pid;
        self.nodes.next_pid += 1;
        let app = &self.work.producers[p as usize];
        let mut out = Out::default();
        let watch = self.points.is_some()
            || self.s.faults.iter().any(
                |f| matches!(f.trigger, Trigger::Record { producer, event: RecordEvent::Sent, .. } if producer == p as usize),
            );
        let spec = self.nodes.specs[p as usize].clone();
        let topo = self.nodes.topo.clone();
        let prod = match self.user_apps.and_then(|a| a.producer_driver(&spec.name, app.instance)) {
            // The application decides what to send: no resends, no workload.
            Some(d) => Producer::start_user(p, app.instance, spec, topo, pid, watch, self.k.now, d, &mut out),
            None => Producer::start(p, app.instance, spec, topo, pid, resend, app.next_fresh, watch, &mut out),
        };
        self.nodes.producers[p as usize] = Some(prod);
        self.flush(NodeId::Producer(p), &mut out);
    }

    pub(super) fn start_consumer(&mut self, m: u32) {
        let (c, k) = self.nodes.members[m as usize];
        let mut out = Out::default();
        let spec = self.nodes.consumer_specs[c as usize].clone();
        let inc = self.nodes.life(NodeId::Consumer(m)).inc;
        let (topo, now) = (self.nodes.topo.clone(), self.k.now);
        let consumer = match (c as usize).checked_sub(self.s.consumers.len()) {
            None => match self.user_apps.and_then(|a| a.driver(&spec.name, k)) {
                Some(d) => Consumer::start_user(c, k, inc, spec, topo, now, d, &mut out),
                None => Consumer::start(c, k, inc, spec, topo, now, &mut out),
            },
            Some(pi) => {
                let ps = &self.s.processors[pi];
                let pspec = Arc::new(ps.producer_spec(k));
                let pseudo = (self.nodes.specs.len() + pi) as u32;
                let input_first = topo.topic(&ps.input).map_or(0, |t| t.0);
                let base = self.nodes.record_base.clone();
                let ids = self.nodes.processor_ids(inc);
                let proc = |o: &mut _| Proc::new(ps, pseudo, pspec, base, input_first, ids, &topo, now, k, o);
                Consumer::start_processor(c, k, inc, spec, self.nodes.topo.clone(), now, proc, &mut out)
            }
        };
        self.nodes.consumers[m as usize] = Some(consumer);
        self.flush(NodeId::Consumer(m), &mut out);
    }
}
