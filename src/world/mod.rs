//! The world: one run of a scenario, and the verbs that drive it.
//!
//! A [`World`] owns the kernel (virtual clock, event queue, the seeded RNG streams, the trace
//! hash), the network, every node (controller, brokers, producers, group members) behind the
//! one crate-private `Node` trait, the application state that survives client crashes, the fault
//! schedule and the history. Its loop pops the earliest event, hands a message or a timer
//! to the one node it is for, and carries out what the node wrote into its out-buffer.
//!
//! Faults are verbs, as turmoil's operators are: [`World::crash`], [`World::power_loss`],
//! [`World::restart`], [`World::isolate`], [`World::partition`], [`World::pause`],
//! [`World::resume`], [`World::heal`]. A scenario's `[[fault]]`s and its `[nemesis]` go through
//! the same verbs when they fire, so a Rust test that calls them reproduces a file's run.
//!
//! ```
//! use kafkasim::scenario::{ProducerSpec, Scenario, Target, TopicSpec};
//! use kafkasim::world::{RunOptions, World};
//!
//! let mut s = Scenario { name: "crash the leader by hand".into(), ..Scenario::default() };
//! s.topics.push(TopicSpec::new("orders", 1, 3));
//! s.producers.push(ProducerSpec::new("p1", "orders", 500));
//! let mut w = World::new(&s, 1, RunOptions::default())?;
//! w.run_until(200);
//! w.crash(Target::Leader { topic: "orders".into(), partition: 0 }, Some(1_000));
//! let out = w.run();
//! assert!(out.virtual_ms > 1_200);
//! # Ok::<(), kafkasim::InvalidScenario>(())
//! ```

mod end;
mod faults;
mod invariants;
mod nodes;
mod observe;
mod timeline;
mod trace;
mod triggers;

use crate::broker::{BrokerTimer, ControllerTimer, Msg};
use crate::client::driver::Drivers;
use crate::client::{ConsumerTimer, ProducerTimer};
use crate::fault::{nemesis_schedule, FaultStep};
use crate::record::{Event, EventKind, FaultAction, History, ReqId};
use crate::scenario::{InvalidScenario, Scenario, Trigger};
use crate::sim::trace::{TraceEvent, TraceFilter, TraceKind};
use crate::sim::{Net, NodeId, Queue, Rngs, TraceHash};

pub use trace::TRACE_HEADER;
pub use triggers::TriggerPoint;

use faults::Faults;
use nodes::Nodes;
use observe::Workload;
use triggers::PointLog;

/// How often (virtual ms) the world checks whether the run has settled.
const SETTLE_CHECK_MS: u64 = 100;

/// The events a run may handle unless [`RunOptions::max_events`] says otherwise: far beyond any
/// bundled example (the 100,000-record timeline bench handles about 260,000), small enough that
/// a runaway run ends within minutes rather than never.
pub const DEFAULT_MAX_EVENTS: u64 = 100_000_000;

/// Options of one run.
#[derive(Debug, Clone, Copy, Default)]
pub struct RunOptions {
    /// Which families of events to print, one fixed-column line each, into
    /// [`RunOutput::trace`] (none by default; the hash covers every event either way).
    pub trace: TraceFilter,
    /// Check the numbered invariants in release builds too (debug builds always check them);
    /// a violated one panics with `invariant N: ...`. Building a World with it on turns on a
    /// process-wide switch (docs/architecture.md, "Invariants"); it never changes what a run does.
    pub check_invariants: bool,
    /// Collect [`RunOutput::timeline`] (each replica's log and offsets over time, for the
    /// timeline page). It only reads the nodes: the trace hash and verdict stay the same.
    pub timeline: bool,
    /// End the run after this many events, unsettled, with [`RunOutput::out_of_events`] set (0:
    /// [`DEFAULT_MAX_EVENTS`]): a guard against a scenario that never ends, not a budget a
    /// sound run meets.
    pub max_events: u64,
}

impl RunOptions {
    /// Print the standard trace (everything but timers and replica fetches).
    pub fn traced() -> Self {
        RunOptions { trace: TraceFilter::standard(), ..RunOptions::default() }
    }
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
    /// Trace lines, a header first (empty unless asked for).
    pub trace: Vec<String>,
    /// Per `[[fault]]` of the scenario (file order): the virtual time it fired at, or `None` when
    /// it never fired (its trigger never happened, or its `at_ms` lies past the end).
    pub faults_fired_at: Vec<Option<u64>>,
    /// What the timeline page shows beyond the history, when [`RunOptions::timeline`] asked for it.
    pub timeline: Option<crate::record::Timeline>,
    /// The run was ended by [`RunOptions::max_events`], not by settling or `duration_ms`.
    pub out_of_events: bool,
}

/// Run `scenario` with `seed`, or refuse it, running nothing, when [`Scenario::validate`] finds
/// problems (the loader's messages, with paths instead of positions).
pub fn run(scenario: &Scenario, seed: u64, opts: RunOptions) -> Result<RunOutput, InvalidScenario> {
    if let Some(message) = scenario.needs_user_code() {
        return Err(InvalidScenario {
            problems: vec![crate::scenario::Problem::needs_code("service[0].name", message)],
        });
    }
    Ok(run_with_apps(scenario.validated()?, seed, opts, None))
}

/// Run `scenario` with `seed`, the consumers `apps` names run by their applications.
pub(crate) fn run_with_apps(scenario: &Scenario, seed: u64, opts: RunOptions, apps: Option<&dyn Drivers>) -> RunOutput {
    let mut w = World::build(scenario, seed, opts, apps.filter(|a| !a.is_empty()), false);
    w.start();
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
) -> Result<(RunOutput, Vec<TriggerPoint>), InvalidScenario> {
    let mut w = World::build(scenario.validated()?, seed, opts, None, true);
    w.start();
    w.run_to_end();
    let points = w.points.take().map(|log| log.points).unwrap_or_default();
    Ok((w.finish(), points))
}

/// A timer of one node, as the queue holds it.
#[derive(Debug, Clone, Copy)]
enum Timer {
    Controller(ControllerTimer),
    Broker(BrokerTimer),
    Producer(ProducerTimer),
    Consumer(ConsumerTimer),
}

impl Timer {
    /// The key under which the world keeps a timer's queue handle, for the kinds a node may
    /// cancel (`Out::cancel`): unique among the queued timers of one process. Each kind has
    /// its own tag in bits 96 and up; below it the kind's ids in full (a broker's ids come from
    /// one counter, a client's `ReqId` names its process and its count there, and a processor
    /// member's producer timer adds the producer's instance in bits 64..96).
    #[inline]
    fn cancel_key(&self) -> Option<u128> {
        let tagged = |tag: u128, payload: u128| Some((tag << 96) | payload);
        let req = |r: &ReqId| (u128::from(r.process) << 32) | u128::from(r.n);
        let producer = |t: &ProducerTimer| match t {
            ProducerTimer::RequestTimeout { req: r } => tagged(7, req(r)),
            ProducerTimer::TxnRequestTimeout { req: r } => tagged(8, req(r)),
            _ => None,
        };
        match self {
            Timer::Broker(t) => match *t {
                BrokerTimer::FetchWait { id } => tagged(1, u128::from(id)),
                BrokerTimer::FetchTimeout { leader, id } => tagged(2, (u128::from(leader) << 64) | u128::from(id)),
                BrokerTimer::ProduceTimeout { partition, id } => {
                    tagged(3, (u128::from(partition) << 64) | u128::from(id))
                }
                BrokerTimer::ConsumerFetchWait { id } => tagged(4, u128::from(id)),
                _ => None,
            },
            Timer::Consumer(t) => match t {
                ConsumerTimer::PollTimeout { poll } => tagged(5, u128::from(*poll)),
                ConsumerTimer::RequestTimeout { req: r } => tagged(6, req(r)),
                ConsumerTimer::Producer(instance, t) => producer(t).map(|k| k | (u128::from(*instance) << 64)),
                _ => None,
            },
            Timer::Producer(t) => producer(t),
            Timer::Controller(_) => None,
        }
    }

    /// The node's own name of the timer (`IsrCheck`, `PollTimeout { poll: 3 }`).
    fn name(&self) -> String {
        match self {
            Timer::Controller(t) => format!("{t:?}"),
            Timer::Broker(t) => format!("{t:?}"),
            Timer::Producer(t) => format!("{t:?}"),
            Timer::Consumer(t) => format!("{t:?}"),
        }
    }
}

/// A message held by the net: the receiver's incarnation and the connection's generation it
/// was sent under, and the message.
type Held = (u32, u32, Msg);

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
        /// The message, kept in `Kernel::mail` while in transit.
        msg: crate::sim::MailId,
    },
    Timer {
        node: NodeId,
        inc: u32,
        timer: Timer,
    },
    /// The `[[fault]]` of this index fires (an `at_ms` trigger).
    Fault(usize),
    /// The nemesis step of this index fires.
    Nemesis(usize),
    /// A producer whose application starts later (`start_ms`) starts now.
    StartProducer(u32),
    Restart(NodeId),
    /// The isolation, pause or partition of this id (see `Faults::holds`) ends.
    Heal(u64),
    Settle,
    /// A timer of a user service (a `sleep`) may be due.
    ServiceTick,
    /// The hold on a connection (isolation, partition, pause) may have ended: deliver what
    /// waits on it.
    Release {
        from: NodeId,
        to: NodeId,
    },
}

/// The kernel: the clock, the queue, the RNG streams, and the trace.
struct Kernel {
    now: u64,
    queue: Queue<Ev>,
    /// Messages in transit, named by their queued deliveries.
    mail: crate::sim::Mail<Msg>,
    rngs: Rngs,
    hash: TraceHash,
    /// Events handled (the report's `events`).
    events: u64,
    /// Steps taken: handled events plus rounds of applying fired faults.
    step: u64,
    /// Which families of events are printed into `trace`.
    filter: TraceFilter,
    trace: Vec<String>,
    /// Queue handles of the cancellable timers queued for each node's current incarnation, by
    /// the node's dense index, as (`Timer::cancel_key`, handle): a node has a few at a time, so
    /// a short list, scanned. Only looked up by key: its order reaches nothing.
    cancellable: Vec<Vec<(u128, crate::sim::Handle)>>,
}

/// One run of a scenario: build it with [`World::new`], drive it with [`World::step`] and
/// [`World::run_until`], strike it with the fault verbs, and end it with [`World::run`].
pub struct World<'a> {
    s: &'a Scenario,
    /// User applications that run some clients.
    user_apps: Option<&'a dyn Drivers>,
    k: Kernel,
    net: Net<Held>,
    nodes: Nodes,
    work: Workload,
    faults: Faults,
    history: Vec<Event>,
    /// Every trigger-able point, when recording them (see [`run_recording_points`]).
    points: Option<PointLog>,
    /// The run has settled (or was told to stop).
    stop: bool,
    /// The run settled (rather than reaching `duration_ms` or being told to stop).
    settled: bool,
    /// The most events the run may handle.
    max_events: u64,
    /// It handled them without ending.
    out_of_events: bool,
    /// The timeline being collected, when asked for.
    timeline: Option<timeline::Recorder>,
}

impl<'a> World<'a> {
    /// A world for one seed of `scenario`, at virtual time 0 with every node started and the
    /// scenario's faults and nemesis scheduled; an invalid scenario is refused, as [`run`]
    /// refuses it.
    pub fn new(scenario: &'a Scenario, seed: u64, opts: RunOptions) -> Result<Self, InvalidScenario> {
        let mut w = World::build(scenario.validated()?, seed, opts, None, false);
        w.start();
        Ok(w)
    }

    fn build(s: &'a Scenario, seed: u64, opts: RunOptions, user_apps: Option<&'a dyn Drivers>, points: bool) -> Self {
        if opts.check_invariants {
            crate::sim::invariant::enable();
        }
        let mut rngs = Rngs::new(seed);
        let nemesis = s.nemesis.as_ref().map(|n| nemesis_schedule(n, s.duration_ms, &mut rngs)).unwrap_or_default();
        let nodes = Nodes::new(s);
        let layout = nodes.layout;
        let mut w = World {
            s,
            user_apps,
            k: Kernel {
                now: 0,
                // A run of a few brokers and clients keeps a thousand or so events queued.
                queue: Queue::with_capacity(1024),
                mail: crate::sim::Mail::default(),
                rngs,
                hash: TraceHash::default(),
                events: 0,
                step: 0,
                filter: opts.trace,
                trace: if opts.trace.is_on() { vec![trace::TRACE_HEADER.to_string()] } else { Vec::new() },
                cancellable: vec![Vec::new(); layout.len()],
            },
            net: Net::new(layout),
            work: Workload::new(s, &nodes),
            faults: Faults::new(s, nemesis),
            nodes,
            history: Vec::new(),
            points: points.then(PointLog::default),
            stop: false,
            max_events: if opts.max_events == 0 { DEFAULT_MAX_EVENTS } else { opts.max_events },
            out_of_events: false,
            settled: false,
            timeline: None,
        };
        if opts.timeline {
            w.timeline = Some(timeline::Recorder::new(&w));
        }
        w
    }

    /// Virtual time (ms).
    pub fn now(&self) -> u64 {
        self.k.now
    }

    /// Handle the next event. Returns false, handling nothing, once the run is over: it
    /// settled, its queue ran dry, or the next event lies past `duration_ms`.
    pub fn step(&mut self) -> bool {
        if self.stop {
            return false;
        }
        if self.k.events >= self.max_events {
            self.stop = true;
            self.out_of_events = true;
            return false;
        }
        let Some((t, ev)) = self.k.queue.pop_until(self.s.duration_ms) else {
            if self.k.queue.peek_time().is_some() {
                // The next event lies past the end.
                self.k.now = self.s.duration_ms;
                self.stop = true;
            }
            return false;
        };
        crate::invariant!(20, t >= self.k.now, "the event queue went back in time: {t} < now {}", self.k.now);
        self.k.now = t;
        self.k.step += 1;
        self.handle(ev);
        self.apply_fired();
        if crate::sim::invariant::switch_on() {
            self.check_invariants();
        }
        !self.stop
    }

    /// Handle every event due before virtual time `t`, then set the clock to `t` (unless the
    /// run ended first). A verb called next acts at `t`, before anything else due at `t`, just
    /// as a scenario's `at_ms = t` fault does.
    pub fn run_until(&mut self, t: u64) {
        while self.k.queue.peek_time().is_some_and(|at| at < t) && self.step() {}
        if !self.stop {
            self.k.now = self.k.now.max(t.min(self.s.duration_ms));
        }
    }

    /// Run to the end (heal, drain, settle, or `duration_ms`) and hand over what the run
    /// produced.
    pub fn run(mut self) -> RunOutput {
        self.run_to_end();
        self.finish()
    }

    fn run_to_end(&mut self) {
        while self.step() {}
    }

    fn start(&mut self) {
        self.start_nodes();
        for (i, f) in self.s.faults.iter().enumerate() {
            match f.trigger {
                Trigger::AtMs(t) => {
                    self.faults.timed_pending += 1;
                    self.k.queue.push(t, Ev::Fault(i));
                }
                _ => self.faults.armed.push(i),
            }
        }
        for (i, n) in self.faults.nemesis.iter().enumerate() {
            self.k.queue.push(n.at_ms, Ev::Nemesis(i));
        }
        self.k.queue.push(SETTLE_CHECK_MS, Ev::Settle);
        self.observe_all();
    }

    fn handle(&mut self, ev: Ev) {
        match ev {
            Ev::Deliver { from, to, inc, gen, msg } => {
                let msg = self.k.mail.take(msg);
                self.deliver(from, to, inc, gen, msg)
            }
            Ev::Timer { node, inc, timer } => {
                let life = self.nodes.life(node);
                if life.inc == inc {
                    if let Some(key) = timer.cancel_key() {
                        self.forget_cancellable(node, key);
                    }
                }
                if life.down.is_some() || life.inc != inc {
                    return;
                }
                let paused = self.net.paused_until(node);
                if paused > self.k.now {
                    let h = self.k.queue.push(paused, Ev::Timer { node, inc, timer });
                    self.keep_cancellable(node, timer, h);
                    return;
                }
                let ev = TraceEvent { at: self.k.now, node, peer: None, kind: TraceKind::Timer };
                self.record(ev, |_| timer.name());
                self.dispatch(node, Input::Timer(timer));
            }
            Ev::Fault(i) => {
                self.faults.timed_pending -= 1;
                self.faults.fired_at[i] = Some(self.k.now);
                self.faults.fire.push(FaultStep::from(&self.s.faults[i]));
            }
            Ev::Nemesis(i) => {
                if self.faults.nemesis_on {
                    let step = self.faults.nemesis[i].clone();
                    if let Some(f) = self.nemesis_target(&step) {
                        self.faults.fire.push(f);
                    }
                }
            }
            Ev::Restart(node) => {
                self.faults.restarts_pending -= 1;
                self.restart_node(node);
            }
            Ev::StartProducer(p) => {
                self.work.producers[p as usize].restart_pending = false;
                if self.nodes.life(NodeId::Producer(p)).down.is_none() {
                    self.start_producer(p, Vec::new());
                }
            }
            Ev::Heal(id) => self.healed(id),
            Ev::Release { from, to } => {
                let hold = self.net.hold_until_at(from, to, self.k.now);
                if hold > self.k.now {
                    self.k.queue.push(hold, Ev::Release { from, to });
                    return;
                }
                for (inc, gen, msg) in self.net.release(from, to) {
                    self.deliver(from, to, inc, gen, msg);
                }
            }
            Ev::ServiceTick => {
                self.work.service_tick = None;
                if let Some(apps) = self.user_apps {
                    let paused = |c| self.client_node(c).is_some_and(|n| self.net.paused_until(n) > self.k.now);
                    apps.tick(self.k.now, &paused);
                    // The tick was spent: the services' next one is queued again.
                    apps.set_stirred(true);
                }
                self.service_round();
            }
            Ev::Settle => {
                if self.settled() {
                    self.stop = true;
                    self.settled = true;
                } else {
                    self.k.queue.push(self.k.now + SETTLE_CHECK_MS, Ev::Settle);
                }
            }
        }
    }

    /// Note the queue handle `h` of `timer`, just queued for `node`, if it is a kind a node may
    /// cancel (a timer queued behind the cursor has no handle: it fires, stale).
    fn keep_cancellable(&mut self, node: NodeId, timer: Timer, h: Option<crate::sim::Handle>) {
        let (Some(key), Some(h)) = (timer.cancel_key(), h) else { return };
        let list = &mut self.k.cancellable[self.nodes.layout.index(node)];
        // Keys are fresh ids: a timer still queued is never queued again under its key (a
        // paused node's timer left the list when it popped).
        debug_assert!(list.iter().all(|(k, _)| *k != key), "{node}'s timer {key:#x} is queued twice");
        list.push((key, h));
    }

    /// Take the handle of `node`'s queued timer `key` out of the list (it popped, or is being
    /// cancelled).
    fn forget_cancellable(&mut self, node: NodeId, key: u128) -> Option<crate::sim::Handle> {
        let list = &mut self.k.cancellable[self.nodes.layout.index(node)];
        // From the back: the short guards (a parked fetch's wait, a produce's timeout) are the
        // ones cancelled, and the latest are nearest the end; a client that keeps its stale
        // request timeouts holds many long ones nearer the front.
        let i = list.iter().rposition(|(k, _)| *k == key)?;
        Some(list.swap_remove(i).1)
    }

    /// Take a queued timer of `node`'s current incarnation out of the queue: the one under
    /// `key`, if it is still queued. The handle is checked against the event it names.
    fn unqueue_timer(&mut self, node: NodeId, key: u128, h: crate::sim::Handle) {
        let inc = self.nodes.life(node).inc;
        let same = |ev: &Ev| matches!(ev, Ev::Timer { node: n, inc: i, timer } if *n == node && *i == inc && timer.cancel_key() == Some(key));
        let queued = self.k.queue.get(h).is_some_and(same);
        debug_assert!(queued, "{node}'s cancellable timer {key:#x} is not where its handle points");
        if queued {
            self.k.queue.cancel(h);
        }
    }

    /// `node` cancels its timer `key` (`Out::cancel`).
    pub(super) fn cancel_timer(&mut self, node: NodeId, key: u128) {
        if let Some(h) = self.forget_cancellable(node, key) {
            self.unqueue_timer(node, key, h);
        }
    }

    /// `node`'s current incarnation ends (it dies, or a new process replaces it): its queued
    /// cancellable timers would pop only to be ignored, so they leave the queue now, and no
    /// handle of theirs is left to be confused with a later incarnation's.
    pub(super) fn drop_cancellable(&mut self, node: NodeId) {
        let i = self.nodes.layout.index(node);
        let mut list = std::mem::take(&mut self.k.cancellable[i]);
        for (key, h) in list.drain(..) {
            self.unqueue_timer(node, key, h);
        }
        // The next incarnation reuses the list's allocation.
        self.k.cancellable[i] = list;
    }

    fn deliver(&mut self, from: NodeId, to: NodeId, inc: u32, gen: u32, msg: Msg) {
        let life = self.nodes.life(to);
        if let Some(how) = life.down {
            // A process that died leaves its OS up: a new message is refused.
            if how == FaultAction::Crash && matches!(to, NodeId::Broker(_)) {
                self.refuse(to, from, &msg);
            }
            return;
        }
        if life.inc != inc || self.net.generation(from, to) != gen {
            // Sent while the receiver was down (its dead incarnation) and arriving after its
            // restart: the new process never had that connection, so its OS refuses it.
            if life.inc == inc + 1 {
                self.refuse(to, from, &msg);
            }
            return;
        }
        if !self.nodes.accepts(to, from) {
            // A restarted broker opens its port only once it is registered and unfenced: until
            // then its machine refuses a connection as it refuses one to a dead process.
            self.refuse(to, from, &msg);
            return;
        }
        // An isolation or a partition holds a connection's traffic (TCP retransmits it after
        // the heal, in order); a pause holds deliveries until the process runs again.
        let hold = self.net.hold_until_at(from, to, self.k.now);
        if hold > self.k.now || self.net.holding(from, to) {
            // Held messages wait in their connection's own queue, so they come out in the order
            // they were sent however often the hold is extended.
            if self.net.hold(from, to, (inc, gen, msg)) {
                self.k.queue.push(hold.max(self.k.now), Ev::Release { from, to });
            }
            return;
        }
        let ev = TraceEvent { at: self.k.now, node: to, peer: Some(from), kind: TraceKind::Message(msg.summary()) };
        self.record(ev, |_| String::new());
        self.dispatch(to, Input::Message(from, msg));
    }

    /// `to`'s machine refuses `msg` from `from` (a live sender is told; a reset or a refusal is
    /// never answered).
    fn refuse(&mut self, to: NodeId, from: NodeId, msg: &Msg) {
        if self.nodes.life(from).down.is_none() && !msg.is_connection_event() {
            self.send(to, from, Msg::Refused { req: msg.refused_req() });
        }
    }

    /// Put `msg` on the wire from `from` to `to`, with a latency drawn from the network stream.
    fn send(&mut self, from: NodeId, to: NodeId, msg: Msg) {
        let (lo, hi) = self.s.network.latency_ms;
        let lat = self.k.rngs.range(crate::sim::Stream::Network, lo, hi);
        let (at, gen) = self.net.send(from, to, self.k.now + lat);
        let inc = self.nodes.life(to).inc;
        let msg = self.k.mail.put(msg);
        self.k.queue.push(at, Ev::Deliver { from, to, inc, gen, msg });
    }

    fn push_history(&mut self, kind: EventKind) {
        self.history.push(Event { at: self.k.now, kind });
    }
}

/// What a node is handed: a message from a peer, or one of its timers.
enum Input {
    Message(NodeId, Msg),
    Timer(Timer),
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A producer writing acks=all for a minute and a consumer processing each record for 1 ms.
    const CLIENTS: &str = r#"
name = "clients"
seed = 1
duration_ms = 120000
[cluster]
brokers = 3
[[topic]]
name = "orders"
partitions = 2
replication_factor = 3
[[producer]]
name = "p1"
topic = "orders"
records = 300
interval_ms = 200
[[consumer]]
name = "c1"
group = "g1"
topics = ["orders"]
processing_ms = 1
"#;

    #[test]
    fn a_crashed_nodes_cancellable_timers_leave_the_queue_with_it_and_its_restart_starts_clean() {
        let s = crate::scenario::parse_str(CLIENTS, "clients.toml").unwrap();
        let mut w = World::new(&s, 1, RunOptions::default()).unwrap();
        w.run_until(20_000);
        let node = NodeId::Consumer(0);
        let i = w.nodes.layout.index(node);
        // A polling member has its poll's timeout queued, and its fetch's.
        let held = w.k.cancellable[i].clone();
        assert!(!held.is_empty());
        for &(key, h) in &held {
            assert!(
                matches!(w.k.queue.get(h), Some(Ev::Timer { node: n, timer, .. }) if *n == node && timer.cancel_key() == Some(key))
            );
        }
        w.crash(crate::scenario::Target::Consumer { consumer: 0, instance: Some(0) }, Some(1_000));
        assert!(w.k.cancellable[i].is_empty());
        // Their nodes are free (or hold later events): none is a timer of the dead member.
        for &(key, h) in &held {
            assert!(
                !matches!(w.k.queue.get(h), Some(Ev::Timer { node: n, timer, .. }) if *n == node && timer.cancel_key() == Some(key)),
                "a dead incarnation's timer stays queued"
            );
        }
        // The run goes on to its end, the restarted member with timers of its own.
        w.run_until(30_000);
        assert!(!w.k.cancellable[i].is_empty());
        let report = crate::judge(&s, 1, &w.run());
        assert!(report.expect.passed, "{:?}", report.expect.failures);
    }

    /// Keys need only differ among one node's timers: a broker's, a member's (a processor's
    /// producers' included), a producer's.
    #[test]
    fn cancel_keys_of_one_nodes_timers_differ_by_kind_id_and_process() {
        use crate::record::ReqId;
        let req = |process, n| ReqId { process, n };
        let nodes = [
            vec![
                Timer::Broker(BrokerTimer::FetchWait { id: 7 }),
                Timer::Broker(BrokerTimer::FetchTimeout { leader: 1, id: 7 }),
                Timer::Broker(BrokerTimer::FetchTimeout { leader: 2, id: 7 }),
                Timer::Broker(BrokerTimer::ProduceTimeout { partition: 0, id: 7 }),
                Timer::Broker(BrokerTimer::ConsumerFetchWait { id: 7 }),
                Timer::Broker(BrokerTimer::ConsumerFetchWait { id: u64::MAX }),
            ],
            vec![
                Timer::Consumer(ConsumerTimer::PollTimeout { poll: 7 }),
                Timer::Consumer(ConsumerTimer::RequestTimeout { req: req(0, 7) }),
                Timer::Consumer(ConsumerTimer::RequestTimeout { req: req(1, 7) }),
                Timer::Consumer(ConsumerTimer::Producer(0, ProducerTimer::RequestTimeout { req: req(0, 7) })),
                Timer::Consumer(ConsumerTimer::Producer(1, ProducerTimer::RequestTimeout { req: req(0, 7) })),
                Timer::Consumer(ConsumerTimer::Producer(0, ProducerTimer::TxnRequestTimeout { req: req(0, 7) })),
            ],
            vec![
                Timer::Producer(ProducerTimer::RequestTimeout { req: req(0, 7) }),
                Timer::Producer(ProducerTimer::RequestTimeout { req: req(7, 0) }),
                Timer::Producer(ProducerTimer::TxnRequestTimeout { req: req(0, 7) }),
                Timer::Producer(ProducerTimer::RequestTimeout { req: req(u32::MAX, u32::MAX) }),
            ],
        ];
        for timers in nodes {
            let keys: Vec<u128> = timers.iter().map(|t| t.cancel_key().expect("cancellable")).collect();
            let distinct: std::collections::BTreeSet<_> = keys.iter().collect();
            assert_eq!(distinct.len(), keys.len(), "{timers:?}");
        }
        assert_eq!(Timer::Broker(BrokerTimer::IsrCheck).cancel_key(), None);
        assert_eq!(Timer::Producer(ProducerTimer::Tick).cancel_key(), None);
    }

    /// Every queued event is moved several times between the queue and its handler: keeping it
    /// small is most of the queue's cost (a 16-byte member id once made it 96 bytes and the run
    /// 15% slower; holding messages in `Kernel::mail` instead of the queue took it from 88 bytes
    /// to 48 and the nemesis bench 7% faster).
    #[test]
    fn a_queued_event_stays_within_48_bytes() {
        assert!(std::mem::size_of::<super::Ev>() <= 48, "{}", std::mem::size_of::<super::Ev>());
        assert!(std::mem::size_of::<crate::broker::Msg>() <= 64);
    }
}
