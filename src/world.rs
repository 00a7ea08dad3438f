//! The world: one run of a scenario. It owns the kernel (clock, queue, RNG streams, links),
//! every node, the application state that survives client crashes, the fault schedule, and the
//! history. `run` is a pure function of (scenario, seed).

use std::sync::Arc;

use crate::app::Apps;
use crate::broker::{Broker, BrokerObs, BrokerTimer, Controller, ControllerTimer, Msg, Topology};
use crate::check::{ConsumerInfo, Event, EventKind, FinalPartition, FinalReplica, History, ProcessorInfo};
use crate::client::consumer::Proc;
use crate::client::{Consumer, ConsumerObs, ConsumerTimer, Producer, ProducerObs, ProducerTimer};
use crate::error::KafkaError;
use crate::fault::{nemesis_schedule, FaultStep, NemesisStep};
use crate::scenario::{
    ClientEvent, ClientRef, ConsumerSpec, FaultAction, FaultSpec, OnRestart, ProducerSpec, RecordEvent, Scenario,
    Target, TargetClass, Trigger,
};
use crate::sim::{NodeId, Out, Queue, Rngs, Stream, TraceHash};

/// The heal of a pause, as the history words it.
const PAUSE_HEAL: &str = "pause of";

/// How often (virtual ms) the world checks whether the run has settled.
const SETTLE_CHECK_MS: u64 = 100;

/// Options of one run.
#[derive(Debug, Clone, Copy, Default)]
pub struct RunOptions {
    /// Keep one fixed-column line per handled event.
    pub trace: bool,
}

/// What one run produced.
#[derive(Debug, Clone)]
pub struct RunOutput {
    /// Client observations, fault log and final logs: all the checker may see.
    pub history: History,
    /// Hash of every handled event.
    pub trace_hash: u64,
    /// Virtual time at the end.
    pub virtual_ms: u64,
    /// Events handled.
    pub events: u64,
    /// Trace lines (empty unless asked for).
    pub trace: Vec<String>,
    /// Per `[[fault]]` of the scenario (file order): the virtual time it fired at, or `None` when
    /// it never fired (its trigger never happened, or its `at_ms` lies past the end).
    pub faults_fired_at: Vec<Option<u64>>,
}

/// A moment of a run that a fault trigger can name, as [`run_recording_points`] records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TriggerPoint {
    /// The `after` trigger that names this moment (`p1#17 acked`, `c1 polled 3`): a record
    /// event's first occurrence, or the step at which a client's count of an event first
    /// reached N.
    pub trigger: Trigger,
    /// Virtual time (ms) at which it happened.
    pub at_ms: u64,
    /// The world step it happened in: one handled event, or one round of applying fired
    /// faults. A fault a trigger fires is applied at the end of the step, so every trigger of
    /// one step puts its fault at exactly the same place of the run.
    pub step: u64,
}

/// What the world notes when it records trigger points.
#[derive(Debug, Default)]
struct PointLog {
    points: Vec<TriggerPoint>,
    /// Record events already seen: (producer, index, event).
    seen: std::collections::HashSet<(u32, u32, RecordEvent)>,
    /// The highest count already recorded per (client, event).
    counts: std::collections::HashMap<(ClientRef, ClientEvent), u64>,
}

#[derive(Debug, Clone, Copy)]
enum Timer {
    Controller(ControllerTimer),
    Broker(BrokerTimer),
    Producer(ProducerTimer),
    Consumer(ConsumerTimer),
}

#[derive(Debug)]
enum Ev {
    /// `inc` is the receiver's incarnation when the message was sent: a connection belongs to
    /// one process, so a message for a process that has since died is never delivered. `gen` is
    /// the connection's generation: a message on a connection a client closed since is dropped.
    Deliver {
        from: NodeId,
        to: NodeId,
        inc: u32,
        gen: u32,
        msg: Msg,
    },
    Timer {
        node: NodeId,
        inc: u32,
        timer: Timer,
    },
    Fault(usize),
    Nemesis(usize),
    /// A producer whose application starts later (`start_ms`) starts now.
    StartProducer(u32),
    Restart(NodeId),
    Heal(NodeId, &'static str),
    Settle,
    /// The hold on a connection (isolation, pause) may have ended: deliver what waits on it.
    Release {
        from: NodeId,
        to: NodeId,
    },
}

#[derive(Debug, Clone, Copy, Default)]
struct NodeState {
    down: Option<FaultAction>,
    inc: u32,
    isolated_until: u64,
    paused_until: u64,
}

/// Application-side state of a producer that survives its client's crashes (think: the
/// database the application reads its work from).
#[derive(Debug, Clone)]
struct App {
    acked: Vec<bool>,
    acked_count: u64,
    instance: u32,
    next_fresh: u32,
    restart_pending: bool,
    /// A transactional producer: a record counts as acknowledged when its transaction commits.
    transactional: bool,
    /// Transactions committed and aborted (for `txn-committed` / `txn-aborted` triggers).
    txns: [u64; 2],
}

struct World<'a> {
    s: &'a Scenario,
    /// User applications that run some consumers' members.
    user_apps: Option<&'a Apps>,
    topo: Arc<Topology>,
    now: u64,
    queue: Queue<Ev>,
    rngs: Rngs,
    hash: TraceHash,
    events: u64,
    nodes: Vec<NodeState>,
    controller: Controller,
    brokers: Vec<Broker>,
    specs: Vec<Arc<ProducerSpec>>,
    producers: Vec<Option<Producer>>,
    apps: Vec<App>,
    /// The `[[consumer]]` tables, then each `[[processor]]`'s consumer side.
    consumer_specs: Vec<Arc<ConsumerSpec>>,
    /// Every group member: (index into `consumer_specs`, instance K).
    members: Vec<(u32, u32)>,
    consumers: Vec<Option<Consumer>>,
    /// Per entry of `consumer_specs`: polls that returned records, records processed, commits
    /// that succeeded, transactions committed and aborted (for `CLIENT EVENT N` triggers).
    consumer_counts: Vec<[u64; 6]>,
    /// First global input number of each producer's records (processor outputs carry it).
    record_base: Arc<[u32]>,
    /// Members down with a restart scheduled.
    consumer_restart_pending: Vec<bool>,
    history: Vec<Event>,
    armed: Vec<usize>,
    nemesis: Vec<NemesisStep>,
    nemesis_on: bool,
    heals_pending: u32,
    timed_faults_pending: u32,
    next_pid: i64,
    safe_power_loss: bool,
    /// A broker that lost power under the safe-schedule rule and is not back in the ISR yet,
    /// with the broker epoch its lost incarnation had.
    recovering: Option<(u32, u64)>,
    /// Latest delivery time per (sender, receiver): a connection delivers in order, as TCP does.
    fifo: Vec<u64>,
    /// Generation of each connection (per ordered pair), bumped when a client closes it.
    conn_gen: Vec<u32>,
    /// Messages waiting on a held connection, in send order.
    held: Vec<std::collections::VecDeque<(u32, u32, Msg)>>,
    trace: Option<Vec<String>>,
    /// The drain phase is over: live consumers have been asked to `close()`.
    closing: bool,
    fire: Vec<FaultStep>,
    stop: bool,
    /// Steps taken: handled events plus rounds of applying fired faults.
    step: u64,
    /// When fired, per scenario fault.
    fired_at: Vec<Option<u64>>,
    /// Every trigger-able point, when recording them (see [`run_recording_points`]).
    points: Option<PointLog>,
}

/// Run `scenario` with `seed`, or refuse it, running nothing, when [`Scenario::validate`] finds
/// problems (the loader's messages, with paths instead of positions).
pub fn run(scenario: &Scenario, seed: u64, opts: RunOptions) -> Result<RunOutput, crate::scenario::InvalidScenario> {
    Ok(run_with_apps(scenario.validated()?, seed, opts, None))
}

/// Run `scenario` with `seed`, the consumers `apps` names run by their applications.
pub(crate) fn run_with_apps(scenario: &Scenario, seed: u64, opts: RunOptions, apps: Option<&Apps>) -> RunOutput {
    let mut w = World::new(scenario, seed, opts);
    w.user_apps = apps.filter(|a| !a.is_empty());
    w.run()
}

/// Run `scenario` with `seed` exactly as [`run`] does (same trace, same hash) and also record,
/// in the order they happen, every moment an `after` trigger can name: each record event's
/// first occurrence (`P#I sent|appended|acked|committed|processed`, for the scenario's
/// producers) and each count a client's event reaches (`CLIENT EVENT N`, every N from 1 to the
/// final count, in the steps where the count reached it). The explorer places faults there.
/// An invalid scenario is refused, as [`run`] refuses it.
pub fn run_recording_points(
    scenario: &Scenario,
    seed: u64,
    opts: RunOptions,
) -> Result<(RunOutput, Vec<TriggerPoint>), crate::scenario::InvalidScenario> {
    let mut w = World::new(scenario.validated()?, seed, opts);
    w.points = Some(PointLog::default());
    w.start();
    w.main_loop();
    let points = w.points.take().map(|log| log.points).unwrap_or_default();
    Ok((w.finish(), points))
}

impl<'a> World<'a> {
    fn run(mut self) -> RunOutput {
        self.start();
        self.main_loop();
        self.finish()
    }

    fn main_loop(&mut self) {
        while let Some((t, ev)) = self.queue.pop() {
            if t > self.s.duration_ms {
                self.now = self.s.duration_ms;
                break;
            }
            self.now = t;
            self.step += 1;
            self.handle(ev);
            self.apply_fired();
            if self.stop {
                break;
            }
        }
    }

    /// Whether trigger checks must run: a fault is armed, or points are being recorded.
    fn watching(&self) -> bool {
        !self.armed.is_empty() || self.points.is_some()
    }

    fn new(s: &'a Scenario, seed: u64, opts: RunOptions) -> Self {
        let topo = Topology::new(s);
        let mut rngs = Rngs::new(seed);
        let nemesis = s.nemesis.as_ref().map(|n| nemesis_schedule(n, s.duration_ms, &mut rngs)).unwrap_or_default();
        let consumer_specs: Vec<Arc<ConsumerSpec>> =
            s.consumers.iter().cloned().chain(s.processors.iter().map(|p| p.consumer_spec())).map(Arc::new).collect();
        let members: Vec<(u32, u32)> = consumer_specs
            .iter()
            .enumerate()
            .flat_map(|(c, spec)| (0..spec.instances.max(1)).map(move |k| (c as u32, k)))
            .collect();
        let record_base: Arc<[u32]> = s
            .producers
            .iter()
            .scan(0u32, |next, p| {
                let base = *next;
                *next = next.saturating_add(p.records);
                Some(base)
            })
            .collect();
        let node_count = 1 + topo.brokers as usize + s.producers.len() + members.len();
        World {
            s,
            user_apps: None,
            controller: Controller::new(topo.clone()),
            topo,
            now: 0,
            queue: Queue::default(),
            rngs,
            hash: TraceHash::default(),
            events: 0,
            nodes: vec![NodeState::default(); node_count],
            brokers: Vec::new(),
            specs: s.producers.iter().map(|p| Arc::new(p.clone())).collect(),
            producers: Vec::new(),
            apps: s
                .producers
                .iter()
                .map(|p| App {
                    acked: vec![false; p.records as usize],
                    acked_count: 0,
                    instance: 0,
                    next_fresh: 0,
                    restart_pending: false,
                    transactional: p.config.transactional_id.is_some(),
                    txns: [0; 2],
                })
                .collect(),
            consumers: (0..members.len()).map(|_| None).collect(),
            consumer_restart_pending: vec![false; members.len()],
            consumer_counts: vec![[0; 6]; consumer_specs.len()],
            consumer_specs,
            record_base,
            members,
            history: Vec::new(),
            armed: Vec::new(),
            nemesis,
            nemesis_on: true,
            heals_pending: 0,
            timed_faults_pending: 0,
            next_pid: 1000,
            safe_power_loss: s.nemesis.as_ref().is_some_and(|n| n.safe_power_loss),
            recovering: None,
            fifo: vec![0; node_count * node_count],
            conn_gen: vec![0; node_count * node_count],
            held: (0..node_count * node_count).map(|_| std::collections::VecDeque::new()).collect(),
            trace: opts.trace.then(Vec::new),
            closing: false,
            fire: Vec::new(),
            stop: false,
            step: 0,
            fired_at: vec![None; s.faults.len()],
            points: None,
        }
    }

    fn idx(&self, n: NodeId) -> usize {
        match n {
            NodeId::Controller => 0,
            NodeId::Broker(b) => b as usize,
            NodeId::Producer(p) => 1 + self.topo.brokers as usize + p as usize,
            NodeId::Consumer(c) => 1 + self.topo.brokers as usize + self.specs.len() + c as usize,
        }
    }

    fn node(&self, n: NodeId) -> NodeState {
        self.nodes[self.idx(n)]
    }

    fn node_mut(&mut self, n: NodeId) -> &mut NodeState {
        let i = self.idx(n);
        &mut self.nodes[i]
    }

    fn start(&mut self) {
        let mut out = Out::default();
        self.controller.start(&mut out);
        self.flush_controller(out);
        let image = self.controller.image();
        for b in 1..=self.topo.brokers {
            let mut out = Out::default();
            let epoch = self.controller.broker_epoch(b);
            self.brokers.push(Broker::new(b, self.topo.clone(), epoch, &image, 0, &mut out));
            self.flush_broker(b, out);
        }
        for p in 0..self.specs.len() {
            self.producers.push(None);
            match self.specs[p].start_ms {
                0 => self.start_producer(p as u32, Vec::new()),
                t => {
                    self.apps[p].restart_pending = true;
                    self.queue.push(t, Ev::StartProducer(p as u32));
                }
            }
        }
        for m in 0..self.members.len() as u32 {
            self.start_consumer(m);
        }
        for (i, f) in self.s.faults.iter().enumerate() {
            match f.trigger {
                Trigger::AtMs(t) => {
                    self.timed_faults_pending += 1;
                    self.queue.push(t, Ev::Fault(i));
                }
                _ => self.armed.push(i),
            }
        }
        for (i, n) in self.nemesis.iter().enumerate() {
            self.queue.push(n.at_ms, Ev::Nemesis(i));
        }
        self.queue.push(SETTLE_CHECK_MS, Ev::Settle);
    }

    fn start_producer(&mut self, p: u32, resend: Vec<u32>) {
        let pid = self.next_pid;
        self.next_pid += 1;
        let app = &self.apps[p as usize];
        let mut out = Out::default();
        let watch = self.points.is_some()
            || self.s.faults.iter().any(
                |f| matches!(f.trigger, Trigger::Record { producer, event: RecordEvent::Sent, .. } if producer == p as usize),
            );
        let spec = self.specs[p as usize].clone();
        let prod = match self.user_apps.and_then(|a| a.producer_driver(&spec.name, app.instance)) {
            // The application decides what to send: no resends, no workload.
            Some(d) => {
                Producer::start_user(p, app.instance, spec, self.topo.clone(), pid, watch, self.now, d, &mut out)
            }
            None => {
                Producer::start(p, app.instance, spec, self.topo.clone(), pid, resend, app.next_fresh, watch, &mut out)
            }
        };
        self.producers[p as usize] = Some(prod);
        self.flush_producer(p, out);
    }

    fn start_consumer(&mut self, m: u32) {
        let (c, k) = self.members[m as usize];
        let mut out = Out::default();
        let spec = self.consumer_specs[c as usize].clone();
        let inc = self.node(NodeId::Consumer(m)).inc;
        let consumer = match (c as usize).checked_sub(self.s.consumers.len()) {
            None => match self.user_apps.and_then(|a| a.driver(&spec.name, k)) {
                Some(d) => Consumer::start_user(c, k, inc, spec, self.topo.clone(), self.now, d, &mut out),
                None => Consumer::start(c, k, inc, spec, self.topo.clone(), self.now, &mut out),
            },
            Some(pi) => {
                let ps = &self.s.processors[pi];
                let pspec = Arc::new(ps.producer_spec(k));
                let pseudo = (self.specs.len() + pi) as u32;
                let input_first = self.topo.topic(&ps.input).map_or(0, |t| t.0);
                let (guarantee, interval) = (ps.config.processing_guarantee, ps.config.commit_interval_ms);
                let (topo, base, now) = (self.topo.clone(), self.record_base.clone(), self.now);
                // Producer ids and instance numbers unique per member and incarnation.
                let pid_base = (1i64 << 50) | (i64::from(m) << 34) | (i64::from(inc & 0xffff) << 18);
                let first = (inc & 0xff) << 8;
                let proc = |o: &mut _| {
                    Proc::new(
                        guarantee,
                        interval,
                        pseudo,
                        pspec,
                        base,
                        input_first,
                        (pid_base, first),
                        &topo,
                        now,
                        k,
                        o,
                    )
                };
                Consumer::start_processor(c, k, inc, spec, self.topo.clone(), self.now, proc, &mut out)
            }
        };
        self.consumers[m as usize] = Some(consumer);
        self.flush_consumer(m, out);
    }

    // ---- event handling -------------------------------------------------------------------

    fn handle(&mut self, ev: Ev) {
        match ev {
            Ev::Deliver { from, to, inc, gen, msg } => self.deliver(from, to, inc, gen, msg),
            Ev::Timer { node, inc, timer } => {
                let ns = self.node(node);
                if ns.down.is_some() || ns.inc != inc {
                    return;
                }
                if ns.paused_until > self.now {
                    self.queue.push(ns.paused_until, Ev::Timer { node, inc, timer });
                    return;
                }
                self.record(2, node, NodeId::Controller, 0, (0, 0), || format!("timer {timer:?}"));
                match timer {
                    Timer::Controller(t) => {
                        let mut out = Out::default();
                        self.controller.on_timer(self.now, t, &mut out);
                        self.flush_controller(out);
                    }
                    Timer::Broker(t) => {
                        let NodeId::Broker(b) = node else { return };
                        let mut out = Out::default();
                        self.brokers[b as usize - 1].on_timer(self.now, t, &mut out);
                        self.flush_broker(b, out);
                    }
                    Timer::Producer(t) => {
                        let NodeId::Producer(p) = node else { return };
                        let mut out = Out::default();
                        if let Some(prod) = self.producers[p as usize].as_mut() {
                            prod.on_timer(self.now, t, &mut out);
                        }
                        self.flush_producer(p, out);
                    }
                    Timer::Consumer(t) => {
                        let NodeId::Consumer(m) = node else { return };
                        let mut out = Out::default();
                        if let Some(c) = self.consumers[m as usize].as_mut() {
                            c.on_timer(self.now, t, &mut out);
                        }
                        self.flush_consumer(m, out);
                    }
                }
            }
            Ev::Fault(i) => {
                self.timed_faults_pending -= 1;
                let f: &FaultSpec = &self.s.faults[i];
                self.fired_at[i] = Some(self.now);
                self.fire.push(FaultStep::from(f));
            }
            Ev::Nemesis(i) => {
                if self.nemesis_on {
                    let step = self.nemesis[i].clone();
                    if let Some(f) = self.nemesis_target(&step) {
                        self.fire.push(f);
                    }
                }
            }
            Ev::Restart(node) => {
                self.heals_pending -= 1;
                self.restart(node);
            }
            Ev::StartProducer(p) => {
                self.apps[p as usize].restart_pending = false;
                if self.node(NodeId::Producer(p)).down.is_none() {
                    self.start_producer(p, Vec::new());
                }
            }
            Ev::Heal(node, what) => {
                self.heals_pending -= 1;
                let broker = if let NodeId::Broker(b) = node { Some(b) } else { None };
                self.record(6, node, node, 0, (0, 0), || format!("heal {what}"));
                // A pause its process's death cut short has nothing left to heal.
                let cut_short = what == PAUSE_HEAL && self.node(node).paused_until < self.now;
                if !cut_short {
                    let target = format!("{what} {}", self.node_name(node));
                    self.push_history(EventKind::Healed { target, broker });
                }
            }
            Ev::Release { from, to } => {
                let link = self.link(from, to);
                let hold =
                    self.node(to).isolated_until.max(self.node(from).isolated_until).max(self.node(to).paused_until);
                if hold > self.now {
                    self.queue.push(hold, Ev::Release { from, to });
                    return;
                }
                let waiting = std::mem::take(&mut self.held[link]);
                for (inc, gen, msg) in waiting {
                    self.deliver(from, to, inc, gen, msg);
                }
            }
            Ev::Settle => {
                if self.settled() {
                    self.stop = true;
                } else {
                    self.queue.push(self.now + SETTLE_CHECK_MS, Ev::Settle);
                }
            }
        }
    }

    fn deliver(&mut self, from: NodeId, to: NodeId, inc: u32, gen: u32, msg: Msg) {
        let ns = self.node(to);
        if let Some(how) = ns.down {
            // A process that died leaves its OS up: a new message is refused.
            let refuse = how == FaultAction::Crash
                && matches!(to, NodeId::Broker(_))
                && !matches!(msg, Msg::Disconnected | Msg::Refused { .. });
            if refuse && self.node(from).down.is_none() {
                let req = if let Msg::Produce { req, .. } = msg { Some(req) } else { None };
                self.send(to, from, Msg::Refused { req });
            }
            return;
        }
        if ns.inc != inc || self.conn_gen[self.link(from, to)] != gen {
            // Sent while the receiver was down (its dead incarnation) and arriving after its
            // restart: the new process never had that connection, so its OS refuses it.
            let sent_while_down = ns.inc == inc + 1;
            if sent_while_down
                && self.node(from).down.is_none()
                && !matches!(msg, Msg::Disconnected | Msg::Refused { .. })
            {
                let req = if let Msg::Produce { req, .. } = msg { Some(req) } else { None };
                self.send(to, from, Msg::Refused { req });
            }
            return;
        }
        // An isolation holds a connection's traffic (TCP retransmits it after the heal, in
        // order); a pause holds deliveries until the process runs again.
        let link = self.link(from, to);
        let hold = ns.isolated_until.max(self.node(from).isolated_until).max(ns.paused_until);
        if hold > self.now || !self.held[link].is_empty() {
            // Held messages wait in their connection's own queue, so they come out in the order
            // they were sent however often the hold is extended.
            if self.held[link].is_empty() {
                self.queue.push(hold.max(self.now), Ev::Release { from, to });
            }
            self.held[link].push_back((inc, gen, msg));
            return;
        }
        let (d0, d1) = msg.detail();
        self.record(1, to, from, msg.kind_code(), (d0, d1), || msg.kind_name().to_string());
        match to {
            NodeId::Controller => {
                let mut out = Out::default();
                self.controller.on_message(self.now, from, msg, &mut out);
                self.flush_controller(out);
            }
            NodeId::Broker(b) => {
                let mut out = Out::default();
                self.brokers[b as usize - 1].on_message(self.now, from, msg, &mut out);
                self.flush_broker(b, out);
            }
            NodeId::Producer(p) => {
                let mut out = Out::default();
                if let Some(prod) = self.producers[p as usize].as_mut() {
                    prod.on_message(self.now, from, msg, &mut out);
                }
                self.flush_producer(p, out);
            }
            NodeId::Consumer(m) => {
                let mut out = Out::default();
                if let Some(c) = self.consumers[m as usize].as_mut() {
                    c.on_message(self.now, from, msg, &mut out);
                }
                self.flush_consumer(m, out);
            }
        }
    }

    /// Mix one handled event into the trace hash (and the trace, when kept).
    #[inline]
    fn record(
        &mut self,
        kind: u64,
        at: NodeId,
        other: NodeId,
        code: u64,
        detail: (u64, u64),
        line: impl FnOnce() -> String,
    ) {
        self.events += 1;
        self.hash.word(self.now);
        self.hash.word(kind << 56 | code << 48 ^ at.code());
        self.hash.word(other.code() ^ detail.0.rotate_left(17) ^ detail.1.rotate_left(41));
        if let Some(t) = self.trace.as_mut() {
            t.push(format!(
                "{:>9} {:<12} {:<12} {:<6} {}",
                self.now,
                at.to_string(),
                other.to_string(),
                format!("{}.{}", detail.0, detail.1 & 0xffff_ffff),
                line()
            ));
        }
    }

    fn link(&self, from: NodeId, to: NodeId) -> usize {
        self.idx(from) * self.nodes.len() + self.idx(to)
    }

    fn send(&mut self, from: NodeId, to: NodeId, msg: Msg) {
        let (lo, hi) = self.s.network.latency_ms;
        let lat = self.rngs.range(Stream::Network, lo, hi);
        let link = self.link(from, to);
        let at = (self.now + lat).max(self.fifo[link]);
        self.fifo[link] = at;
        let inc = self.node(to).inc;
        let gen = self.conn_gen[link];
        self.queue.push(at, Ev::Deliver { from, to, inc, gen, msg });
    }

    /// A client closed its connection to `peer`: whatever is still in flight on it, either
    /// way, is gone.
    fn close_connection(&mut self, a: NodeId, b: NodeId) {
        let (ab, ba) = (self.link(a, b), self.link(b, a));
        self.conn_gen[ab] += 1;
        self.conn_gen[ba] += 1;
    }

    fn flush_common<T: Copy>(
        &mut self,
        node: NodeId,
        sends: Vec<(NodeId, Msg)>,
        timers: Vec<(u64, T)>,
        wrap: impl Fn(T) -> Timer,
    ) {
        for (to, msg) in sends {
            self.send(node, to, msg);
        }
        let inc = self.node(node).inc;
        for (d, t) in timers {
            self.queue.push(self.now + d, Ev::Timer { node, inc, timer: wrap(t) });
        }
    }

    fn flush_controller(&mut self, out: Out<Msg, ControllerTimer, BrokerObs>) {
        self.flush_common(NodeId::Controller, out.sends, out.timers, Timer::Controller);
        for o in out.obs {
            self.broker_obs(o);
        }
    }

    fn flush_broker(&mut self, b: u32, out: Out<Msg, BrokerTimer, BrokerObs>) {
        self.flush_common(NodeId::Broker(b), out.sends, out.timers, Timer::Broker);
        for o in out.obs {
            self.broker_obs(o);
        }
    }

    fn flush_producer(&mut self, p: u32, out: Out<Msg, ProducerTimer, ProducerObs>) {
        // As for consumers: a connection closed in this step is closed before the step's sends.
        for o in &out.obs {
            if let ProducerObs::CloseConnection { broker } = o {
                self.close_connection(NodeId::Producer(p), NodeId::Broker(*broker));
            }
        }
        self.flush_common(NodeId::Producer(p), out.sends, out.timers, Timer::Producer);
        for o in out.obs {
            match o {
                ProducerObs::AppSent { producer, index } => {
                    self.check_record_trigger(producer, index, RecordEvent::Sent)
                }
                ProducerObs::CloseConnection { .. } | ProducerObs::OffsetsSent => {}
                ProducerObs::History(kind) => {
                    // A transactional record is acknowledged when its transaction commits.
                    let acked = match &kind {
                        EventKind::Acked { producer, records, .. } if !self.apps[*producer as usize].transactional => {
                            Some((*producer, records.clone()))
                        }
                        EventKind::TxnEnded { producer, commit, records, result: Ok(()), .. } => {
                            let app = &mut self.apps[*producer as usize];
                            app.txns[usize::from(!*commit)] += 1;
                            let event = if *commit { ClientEvent::TxnCommitted } else { ClientEvent::TxnAborted };
                            self.check_txn_trigger(*producer, event);
                            commit.then(|| (*producer, records.clone()))
                        }
                        _ => None,
                    };
                    if let Some((producer, records)) = acked {
                        let app = &mut self.apps[producer as usize];
                        for &r in records.iter() {
                            app.acked[r as usize] = true;
                        }
                        app.acked_count += records.len() as u64;
                        if self.watching() {
                            for &r in records.iter() {
                                self.check_record_trigger(producer, r, RecordEvent::Acked);
                            }
                            self.check_client_trigger(producer);
                        }
                    }
                    self.push_history(kind);
                }
            }
        }
    }

    fn flush_consumer(&mut self, m: u32, out: Out<Msg, ConsumerTimer, ConsumerObs>) {
        // A connection closed in this step is closed before anything the step sends: a request
        // retried at once goes out on the new connection.
        for o in &out.obs {
            if let ConsumerObs::CloseConnection { broker } = o {
                self.close_connection(NodeId::Consumer(m), NodeId::Broker(*broker));
            }
        }
        self.flush_common(NodeId::Consumer(m), out.sends, out.timers, Timer::Consumer);
        for o in out.obs {
            match o {
                ConsumerObs::CloseConnection { .. } => {}
                ConsumerObs::OffsetsSent => {
                    let c = self.members[m as usize].0 as usize;
                    self.consumer_counts[c][5] += 1;
                    self.check_consumer_trigger(c, ClientEvent::OffsetsSent);
                }
                ConsumerObs::ProcessedOne(r) => {
                    let c = self.members[m as usize].0 as usize;
                    self.consumer_counts[c][1] += 1;
                    if self.watching() {
                        self.check_record_trigger(r.producer, r.index, RecordEvent::Processed);
                        self.check_consumer_trigger(c, ClientEvent::Processed);
                    }
                }
                ConsumerObs::History(kind) => {
                    let c = self.members[m as usize].0 as usize;
                    match &kind {
                        EventKind::Polled { .. } => {
                            self.consumer_counts[c][0] += 1;
                            self.check_consumer_trigger(c, ClientEvent::Polled);
                        }
                        EventKind::OffsetCommit { result: Ok(()), .. } => {
                            self.consumer_counts[c][2] += 1;
                            self.check_consumer_trigger(c, ClientEvent::Committed);
                        }
                        // A processor's transaction commits its outputs and its offsets at once.
                        EventKind::TxnEnded { commit: true, result: Ok(()), .. } => {
                            self.consumer_counts[c][2] += 1;
                            self.consumer_counts[c][3] += 1;
                            self.check_consumer_trigger(c, ClientEvent::Committed);
                            self.check_consumer_trigger(c, ClientEvent::TxnCommitted);
                        }
                        EventKind::TxnEnded { commit: false, result: Ok(()), .. } => {
                            self.consumer_counts[c][4] += 1;
                            self.check_consumer_trigger(c, ClientEvent::TxnAborted);
                        }
                        _ => {}
                    }
                    self.push_history(kind);
                }
            }
        }
    }

    fn check_consumer_trigger(&mut self, consumer: usize, event: ClientEvent) {
        let count = self.consumer_counts[consumer][match event {
            ClientEvent::Polled => 0,
            ClientEvent::Processed => 1,
            ClientEvent::TxnCommitted => 3,
            ClientEvent::TxnAborted => 4,
            ClientEvent::OffsetsSent => 5,
            _ => 2,
        }];
        let client = match consumer.checked_sub(self.s.consumers.len()) {
            None => ClientRef::Consumer(consumer),
            Some(p) => ClientRef::Processor(p),
        };
        self.fire_client_trigger(client, event, count);
    }

    /// Fire every armed `CLIENT EVENT N` fault whose N the client's `count` of `event` reached.
    fn fire_client_trigger(&mut self, client: ClientRef, event: ClientEvent, count: u64) {
        if let Some(log) = self.points.as_mut() {
            let last = log.counts.entry((client, event)).or_insert(0);
            for n in *last + 1..=count {
                log.points.push(TriggerPoint {
                    trigger: Trigger::Client { client, event, n },
                    at_ms: self.now,
                    step: self.step,
                });
            }
            *last = (*last).max(count);
        }
        if self.armed.is_empty() {
            return;
        }
        let s = self.s;
        let (now, fired_at) = (self.now, &mut self.fired_at);
        self.armed.retain(|&i| {
            let f = &s.faults[i];
            let hit = matches!(f.trigger, Trigger::Client { client: c, event: e, n } if c == client && e == event && count >= n);
            if hit {
                fired_at[i] = Some(now);
                self.fire.push(FaultStep::from(f));
            }
            !hit
        });
    }

    fn push_history(&mut self, kind: EventKind) {
        self.history.push(Event { at: self.now, kind });
    }

    fn broker_obs(&mut self, o: BrokerObs) {
        match o {
            BrokerObs::Appended { batch, .. } => {
                if self.watching() {
                    for &r in batch.records.iter() {
                        self.check_record_trigger(batch.producer, r, RecordEvent::Appended);
                    }
                }
            }
            BrokerObs::Committed { partition, broker, from, to } => {
                if self.points.is_some()
                    || self.armed.iter().any(|&i| {
                        matches!(self.s.faults[i].trigger, Trigger::Record { event: RecordEvent::Committed, .. })
                    })
                {
                    let hits: Vec<(u32, u32)> = self.brokers[broker as usize - 1].replicas[partition as usize]
                        .as_ref()
                        .map(|r| r.log.records_between(from, to).map(|(b, _, rec)| (b.producer, rec)).collect())
                        .unwrap_or_default();
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

    fn check_record_trigger(&mut self, producer: u32, index: u32, event: RecordEvent) {
        if let Some(log) = self.points.as_mut() {
            // Only the scenario's producers have records a trigger can name (a processor's
            // outputs are written under pseudo-producers numbered after them).
            if (producer as usize) < self.s.producers.len() && log.seen.insert((producer, index, event)) {
                let trigger = Trigger::Record { producer: producer as usize, index, event };
                log.points.push(TriggerPoint { trigger, at_ms: self.now, step: self.step });
            }
        }
        if self.armed.is_empty() {
            return;
        }
        let s = self.s;
        let (now, fired_at) = (self.now, &mut self.fired_at);
        self.armed.retain(|&i| {
            let f = &s.faults[i];
            let hit = matches!(f.trigger, Trigger::Record { producer: p, index: x, event: e } if p as u32 == producer && x == index && e == event);
            if hit {
                fired_at[i] = Some(now);
                self.fire.push(FaultStep::from(f));
            }
            !hit
        });
    }

    fn check_client_trigger(&mut self, producer: u32) {
        let count = self.apps[producer as usize].acked_count;
        self.fire_client_trigger(ClientRef::Producer(producer as usize), ClientEvent::Acked, count);
    }

    fn check_txn_trigger(&mut self, producer: u32, event: ClientEvent) {
        let count = self.apps[producer as usize].txns[usize::from(event == ClientEvent::TxnAborted)];
        self.fire_client_trigger(ClientRef::Producer(producer as usize), event, count);
    }

    // ---- faults ---------------------------------------------------------------------------

    fn nemesis_target(&mut self, step: &NemesisStep) -> Option<FaultStep> {
        let candidates: Vec<Target> = match step.class {
            TargetClass::Brokers => (1..=self.topo.brokers)
                .filter(|&b| self.node(NodeId::Broker(b)).down.is_none())
                .map(Target::Broker)
                .collect(),
            TargetClass::Producers => {
                (0..self.specs.len()).filter(|&p| self.producers[p].is_some()).map(Target::Producer).collect()
            }
            TargetClass::Consumers | TargetClass::Processors => {
                let n = self.s.consumers.len();
                let want_processors = step.class == TargetClass::Processors;
                (0..self.members.len())
                    .filter(|&m| self.consumers[m].is_some() && (self.members[m].0 as usize >= n) == want_processors)
                    .map(|m| {
                        let (c, k) = (self.members[m].0 as usize, Some(self.members[m].1));
                        match c.checked_sub(n) {
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
        let k = self.rngs.range(Stream::Nemesis, 0, candidates.len() as u64 - 1) as usize;
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

    fn apply_fired(&mut self) {
        while !self.fire.is_empty() {
            // Triggers hit while these faults are applied fire in a later round: a step of its own.
            self.step += 1;
            let steps = std::mem::take(&mut self.fire);
            for f in steps {
                self.apply_fault(f);
            }
        }
    }

    fn member_of(&self, consumer: usize, instance: u32) -> Option<u32> {
        self.members.iter().position(|&(c, k)| c as usize == consumer && k == instance).map(|m| m as u32)
    }

    fn target_name(&self, t: &Target) -> String {
        match t {
            Target::Producer(p) => self.node_name(NodeId::Producer(*p as u32)),
            Target::Consumer { consumer, instance: Some(k) } => {
                format!("{}:{}/{k}", self.member_kind(*consumer), self.consumer_specs[*consumer].name)
            }
            t => t.to_string(),
        }
    }

    /// Whether entry `c` of `consumer_specs` is a `[[consumer]]` table or a processor's members.
    fn member_kind(&self, c: usize) -> &'static str {
        if c < self.s.consumers.len() {
            "consumer"
        } else {
            "processor"
        }
    }

    fn node_name(&self, n: NodeId) -> String {
        match n {
            NodeId::Producer(p) => format!("producer:{}", self.specs[p as usize].name),
            NodeId::Consumer(m) => {
                let (c, k) = self.members[m as usize];
                format!("{}:{}/{k}", self.member_kind(c as usize), self.consumer_specs[c as usize].name)
            }
            n => n.to_string(),
        }
    }

    /// Whether every partition broker `b` hosts has its full replica set in the ISR and alive:
    /// the only moment the durability property lets a broker lose power. A restarted process
    /// counts only once it has registered: until then the ISR entry is its dead predecessor's
    /// (the controller refuses the new incarnation while the old one's session is alive).
    fn power_loss_is_safe(&self, b: u32) -> bool {
        let current = |r: u32| {
            let epoch = self.brokers[r as usize - 1].broker_epoch;
            let ns = self.node(NodeId::Broker(r));
            // Up, registered under its current incarnation, and neither cut off nor stopped:
            // an isolated or paused broker's session may expire before the power-lost one's.
            ns.down.is_none()
                && ns.isolated_until <= self.now
                && ns.paused_until <= self.now
                && epoch != 0
                && epoch == self.controller.broker_epoch(r)
        };
        self.topo.partitions.iter().enumerate().all(|(p, info)| {
            !info.replicas.contains(&b)
                || info.replicas.iter().all(|&r| self.controller.partition(p as u32).isr.contains(&r) && current(r))
        })
    }

    fn apply_fault(&mut self, f: FaultStep) {
        if let Target::Processor { processor, instance } = f.target {
            // A processor's members are consumer members (after the `[[consumer]]` tables').
            let consumer = self.s.consumers.len() + processor;
            self.apply_fault(FaultStep { target: Target::Consumer { consumer, instance }, ..f });
            return;
        }
        if let Target::Consumer { consumer, instance: None } = f.target {
            // `consumer:NAME` hits every instance.
            for k in 0..self.consumer_specs[consumer].instances.max(1) {
                self.apply_fault(FaultStep { target: Target::Consumer { consumer, instance: Some(k) }, ..f.clone() });
            }
            return;
        }
        let node = match &f.target {
            Target::Broker(b) => Some(NodeId::Broker(*b)),
            Target::Leader { topic, partition } => self
                .topo
                .topic(topic)
                .and_then(|(first, _)| self.controller.partition(first + partition).leader)
                .map(NodeId::Broker),
            Target::Producer(p) => Some(NodeId::Producer(*p as u32)),
            Target::Consumer { consumer, instance } => {
                self.member_of(*consumer, instance.unwrap_or(0)).map(NodeId::Consumer)
            }
            Target::GroupCoordinator(group) => self
                .topo
                .group(group)
                .and_then(|g| self.controller.partition(self.topo.group_partition(g)).leader)
                .map(NodeId::Broker),
            Target::TxnCoordinator(id) => self
                .topo
                .txn_id(id)
                .and_then(|t| self.controller.partition(self.topo.txn_partition(t)).leader)
                .map(NodeId::Broker),
            Target::Processor { .. } => unreachable!("a processor target is a consumer target by now"),
        };
        let mut action = f.action;
        if let (true, Some(NodeId::Broker(b))) = (self.safe_power_loss, node) {
            // The safe-schedule rule: a broker may lose power only while every replica of its
            // partitions is in the ISR, and until it is back in the ISR no other broker is faulted.
            if let Some((r, epoch)) = self.recovering {
                let back = self.controller.broker_epoch(r) != epoch && self.power_loss_is_safe(r);
                if back {
                    self.recovering = None;
                } else if r != b {
                    self.record(5, NodeId::Broker(b), NodeId::Controller, 0, (0, 0), || "fault skipped".into());
                    return;
                }
            }
            if action == FaultAction::PowerLoss {
                if self.power_loss_is_safe(b) {
                    self.recovering = Some((b, self.controller.broker_epoch(b)));
                } else {
                    action = FaultAction::Crash;
                }
            }
        }
        let broker = match node {
            Some(NodeId::Broker(b)) => Some(b),
            _ => None,
        };
        if let Some(NodeId::Consumer(m)) = node {
            // What the application processed up to this instant is in the history before the
            // fault: it stays in the store whatever the fault does to the member.
            let mut out = Out::default();
            if let Some(c) = self.consumers[m as usize].as_mut() {
                c.flush_processed(&mut out);
            }
            self.flush_consumer(m, out);
        }
        let target = match (&f.target, node) {
            (Target::Leader { .. } | Target::GroupCoordinator(_) | Target::TxnCoordinator(_), Some(n)) => {
                format!("{} ({})", self.target_name(&f.target), n)
            }
            (t, _) => self.target_name(t),
        };
        self.record(5, node.unwrap_or(NodeId::Controller), NodeId::Controller, action as u64, (0, 0), || {
            format!("fault {} {target}", action.as_str())
        });
        self.push_history(EventKind::Fault { action, target, broker });
        let Some(node) = node else { return };
        if self.node(node).down.is_some() {
            return;
        }
        match action {
            FaultAction::Crash | FaultAction::PowerLoss => {
                let now = self.now;
                let ns = self.node_mut(node);
                ns.down = Some(action);
                ns.inc += 1;
                // A pause belongs to the process: it ends with it (an isolation is the machine's
                // and outlives it).
                ns.paused_until = ns.paused_until.min(now);
                match node {
                    NodeId::Broker(b) => {
                        if action == FaultAction::Crash {
                            // The OS resets every connection of the dead process.
                            let peers: Vec<NodeId> = (1..=self.topo.brokers)
                                .filter(|&x| x != b)
                                .map(NodeId::Broker)
                                .chain((0..self.specs.len() as u32).map(NodeId::Producer))
                                .chain((0..self.members.len() as u32).map(NodeId::Consumer))
                                .collect();
                            for to in peers {
                                self.send(node, to, Msg::Disconnected);
                            }
                        }
                    }
                    NodeId::Producer(p) => {
                        let mut out = Out::default();
                        if let Some(mut prod) = self.producers[p as usize].take() {
                            prod.crash(KafkaError::ProducerCrashed, &mut out);
                            self.apps[p as usize].next_fresh = prod.next_fresh();
                        }
                        self.flush_producer(p, out);
                    }
                    NodeId::Consumer(m) => {
                        self.consumers[m as usize] = None;
                    }
                    NodeId::Controller => {}
                }
                if let Some(r) = f.restart_after_ms {
                    self.heals_pending += 1;
                    if let NodeId::Producer(p) = node {
                        self.apps[p as usize].restart_pending = true;
                    }
                    if let NodeId::Consumer(m) = node {
                        self.consumer_restart_pending[m as usize] = true;
                    }
                    self.queue.push(self.now + r, Ev::Restart(node));
                }
            }
            FaultAction::Isolate => {
                let until = self.now + f.duration_ms;
                let ns = self.node_mut(node);
                ns.isolated_until = ns.isolated_until.max(until);
                self.heals_pending += 1;
                self.queue.push(until, Ev::Heal(node, "isolation of"));
            }
            FaultAction::Pause => {
                let until = self.now + f.duration_ms;
                let ns = self.node_mut(node);
                ns.paused_until = ns.paused_until.max(until);
                self.heals_pending += 1;
                self.queue.push(until, Ev::Heal(node, PAUSE_HEAL));
            }
        }
    }

    fn restart(&mut self, node: NodeId) {
        let ns = self.node(node);
        let Some(how) = ns.down else { return };
        // A new process: nothing addressed to the dead one (timers, messages sent while it was
        // down) reaches it.
        let ns = self.node_mut(node);
        ns.down = None;
        ns.inc += 1;
        self.record(6, node, node, 0, (0, 0), || "restart".into());
        match node {
            NodeId::Broker(b) => {
                let mut out = Out::default();
                let nb = Broker::restarted(&self.brokers[b as usize - 1], how == FaultAction::PowerLoss, &mut out);
                self.brokers[b as usize - 1] = nb;
                self.push_history(EventKind::Healed { target: format!("restart of broker:{b}"), broker: Some(b) });
                self.flush_broker(b, out);
            }
            NodeId::Producer(p) => {
                let app = &mut self.apps[p as usize];
                app.restart_pending = false;
                app.instance += 1;
                let resend = match self.specs[p as usize].on_restart {
                    OnRestart::ResendUnacked => (0..app.next_fresh).filter(|&r| !app.acked[r as usize]).collect(),
                    OnRestart::SkipUnacked => Vec::new(),
                };
                let name = self.node_name(node);
                self.push_history(EventKind::Healed { target: format!("restart of {name}"), broker: None });
                self.start_producer(p, resend);
            }
            NodeId::Consumer(m) => {
                self.consumer_restart_pending[m as usize] = false;
                let name = self.node_name(node);
                self.push_history(EventKind::Healed { target: format!("restart of {name}"), broker: None });
                self.start_consumer(m);
            }
            NodeId::Controller => {}
        }
    }

    // ---- ending ---------------------------------------------------------------------------

    fn workload_done(&self) -> bool {
        (0..self.specs.len()).all(|p| match &self.producers[p] {
            Some(prod) => prod.is_done(),
            None => !self.apps[p].restart_pending,
        })
    }

    /// The run is over when the workload is done, every fault has healed, and every live
    /// replica has caught up and rejoined the ISR (registered: a restarted broker may wait for
    /// its old session to expire). A partition without a leader is over only when no ISR member
    /// is up to come back and be elected.
    fn settled(&mut self) -> bool {
        if !self.workload_done() {
            return false;
        }
        self.nemesis_on = false;
        if self.heals_pending > 0 || self.timed_faults_pending > 0 {
            return false;
        }
        // Consumers drain what the settled logs hold: a new leader's high watermark may still
        // be catching up with what its predecessor acknowledged.
        if !self.replicas_settled() || !self.consumers_drained() {
            return false;
        }
        // The applications shut down: close() commits (with auto-commit; a processor commits its
        // task) and leaves. A processor whose last commit failed re-reads its input, drains
        // again and is closed again.
        self.closing = true;
        for m in 0..self.members.len() as u32 {
            let mut out = Out::default();
            let drained = self.consumers[m as usize].as_ref().is_some_and(|c| c.drained(|p| self.leader_hw(p)));
            if let (Some(c), true) = (self.consumers[m as usize].as_mut(), drained) {
                c.close(self.now, &mut out);
            }
            self.flush_consumer(m, out);
        }
        if !self.consumers.iter().flatten().all(|c| c.closed()) {
            return false;
        }
        // A decided transaction's markers must be written: until then its partitions' LSO waits.
        let markers_pending = (1..=self.topo.brokers)
            .any(|b| self.node(NodeId::Broker(b)).down.is_none() && self.brokers[b as usize - 1].txn_markers_pending());
        !markers_pending && self.replicas_settled()
    }

    /// Every partition has a live leader whose high watermark is its log end, and every live
    /// replica is caught up, registered and in the ISR (or, offline, no ISR member is up).
    fn replicas_settled(&self) -> bool {
        (0..self.topo.partitions.len() as u32).all(|p| {
            let st = self.controller.partition(p);
            let Some(l) = st.leader else {
                return st.isr.iter().all(|&r| self.node(NodeId::Broker(r)).down.is_some());
            };
            if self.node(NodeId::Broker(l)).down.is_some() || !self.brokers[l as usize - 1].leads(p) {
                return false;
            }
            let lr = self.brokers[l as usize - 1].replicas[p as usize].as_ref().expect("leader replica");
            let (leo, hw) = (lr.log.leo(), lr.hw);
            hw == leo
                && self.topo.partitions[p as usize].replicas.iter().all(|&r| {
                    if self.node(NodeId::Broker(r)).down.is_some() {
                        return true;
                    }
                    let rr = self.brokers[r as usize - 1].replicas[p as usize].as_ref().expect("replica");
                    let registered = self.brokers[r as usize - 1].broker_epoch == self.controller.broker_epoch(r);
                    rr.log.leo() == leo && rr.hw == hw && st.isr.contains(&r) && registered
                })
        })
    }

    /// Partition `p`'s high watermark at its current leader (`None` while it has no leader):
    /// where a drained member's position must stand.
    fn leader_hw(&self, p: u32) -> Option<u64> {
        let l = self.controller.partition(p).leader?;
        self.brokers[l as usize - 1].replicas[p as usize].as_ref().map(|r| r.hw)
    }

    /// The drain phase: every group with a live member has its partitions assigned, and every
    /// live member has read and handled everything up to the high watermark.
    fn consumers_drained(&self) -> bool {
        let end = |p: u32| self.leader_hw(p);
        (0..self.topo.groups.len()).all(|g| {
            let group = &self.topo.groups[g];
            let mut live = 0;
            let mut assigned: Vec<u32> = Vec::new();
            let mut partitions: Vec<u32> = Vec::new();
            for (m, &(c, _)) in self.members.iter().enumerate() {
                let spec = &self.consumer_specs[c as usize];
                if &spec.group != group {
                    continue;
                }
                for t in &spec.topics {
                    if let Some((first, n)) = self.topo.topic(t) {
                        partitions.extend(first..first + n);
                    }
                }
                let Some(member) = self.consumers[m].as_ref() else { continue };
                if !member.drained(end) {
                    return false;
                }
                // A member whose application returned has left: its partitions are the others'.
                if !member.failed() && !member.app_returned() {
                    live += 1;
                    assigned.extend_from_slice(member.assignment());
                }
            }
            live == 0 || partitions.iter().all(|p| assigned.contains(p))
        })
    }

    fn finish(mut self) -> RunOutput {
        for m in 0..self.members.len() as u32 {
            let mut out = Out::default();
            if let Some(c) = self.consumers[m as usize].as_mut() {
                c.flush_processed(&mut out);
            }
            for o in out.obs {
                if let ConsumerObs::History(k) = o {
                    self.push_history(k);
                }
            }
        }
        for p in 0..self.specs.len() {
            if let Some(mut prod) = self.producers[p].take() {
                let mut out = Out::default();
                prod.crash(KafkaError::UnresolvedAtEnd, &mut out);
                for o in out.obs {
                    if let ProducerObs::History(k) = o {
                        self.push_history(k);
                    }
                }
            }
        }
        let partitions = self
            .topo
            .partitions
            .iter()
            .enumerate()
            .map(|(p, info)| {
                let st = self.controller.partition(p as u32);
                FinalPartition {
                    topic: info.topic.clone(),
                    partition: info.partition,
                    leader: st.leader,
                    leader_epoch: st.leader_epoch,
                    isr: st.isr.clone(),
                    replicas: info
                        .replicas
                        .iter()
                        .map(|&b| {
                            let r = self.brokers[b as usize - 1].replicas[p].as_ref().expect("replica");
                            FinalReplica {
                                broker: b,
                                alive: self.node(NodeId::Broker(b)).down.is_none(),
                                leo: r.log.leo(),
                                hw: r.hw,
                                log: r.log.batches().to_vec(),
                            }
                        })
                        .collect(),
                }
            })
            .collect();
        RunOutput {
            history: History {
                producers: self
                    .specs
                    .iter()
                    .map(|s| s.name.clone())
                    .chain(self.s.processors.iter().map(|p| p.name.clone()))
                    .collect(),
                consumers: self
                    .consumer_specs
                    .iter()
                    .enumerate()
                    .map(|(i, c)| ConsumerInfo {
                        name: c.name.clone(),
                        group: c.group.clone(),
                        topics: c.topics.clone(),
                        commit: c.commit,
                        isolation: c.config.isolation_level,
                        processor: i.checked_sub(self.s.consumers.len()).map(|p| p as u32),
                    })
                    .collect(),
                processors: self
                    .s
                    .processors
                    .iter()
                    .enumerate()
                    .map(|(i, p)| ProcessorInfo {
                        name: p.name.clone(),
                        group: p.group.clone(),
                        input: p.input.clone(),
                        output: p.output.clone(),
                        producer: (self.specs.len() + i) as u32,
                        consumer: (self.s.consumers.len() + i) as u32,
                        guarantee: p.config.processing_guarantee,
                    })
                    .collect(),
                record_base: self.record_base.to_vec(),
                events: self.history,
                partitions,
            },
            trace_hash: self.hash.value(),
            virtual_ms: self.now,
            events: self.events,
            trace: self.trace.unwrap_or_default(),
            faults_fired_at: self.fired_at,
        }
    }
}
