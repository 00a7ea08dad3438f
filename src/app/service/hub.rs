//! One incarnation of one service instance: its tokio current-thread runtime, its task, and the
//! ports through which its client nodes ask for the task's calls (docs/services.md).

use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use parking_lot::Mutex;
use tokio::runtime::Runtime;

use crate::client::driver::{Answer, ClientRef, ConsumerView, Driver, Step};
use crate::error::KafkaError;

/// Yields of the runtime without any Kafka call before a service counts as waiting.
const QUIET_ROUNDS: u32 = 64;
/// Yields of the runtime in one go before the simulator calls the service a livelock.
const SPIN_LIMIT: u32 = 1_000_000;

/// A service's boxed task.
pub(crate) type ServiceFuture = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// A payload of a record a service sent: what its consumers' messages carry.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Payload {
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    pub headers: Vec<(String, Option<Vec<u8>>)>,
    pub timestamp: Option<i64>,
}

/// A producer table a service owns.
#[derive(Debug, Clone)]
pub(crate) struct ProducerTable {
    pub index: u32,
    pub name: String,
    pub topic: String,
    pub partitions: u32,
    pub records: u32,
    /// An output table: a record's index is its input's global number.
    pub lineage: bool,
    /// Its `transactional.id`, if any.
    pub transactional_id: Option<String>,
    /// Whose client library it is (the default partitioner of keyed records).
    pub client: crate::record::ClientKind,
}

/// A consumer table a service owns.
#[derive(Debug, Clone)]
pub(crate) struct ConsumerTable {
    pub name: String,
    pub group: String,
    pub topics: Vec<String>,
    /// `client = "librdkafka"`: the member has librdkafka's offset store.
    pub librdkafka: bool,
    /// `enable.auto.offset.store`.
    pub auto_offset_store: bool,
    /// `partition.assignment.strategy = "cooperative-sticky"` (incremental rebalances).
    pub cooperative: bool,
}

/// What every incarnation of every service of one run shares, and what survives crashes (the
/// payloads are the logs' content; the record counters the logs' ids).
#[derive(Debug, Default)]
pub(crate) struct RunData {
    /// The next fresh record index, per producer table.
    pub next_record: BTreeMap<u32, u32>,
    /// Payloads by (producer table, record index).
    pub payloads: BTreeMap<(u32, u32), Payload>,
    /// Producer table names, by index (for records of built-in producers).
    pub producer_names: Vec<String>,
    /// (topic, first global partition, partitions), in topology order.
    pub topics: Vec<(String, u32, u32)>,
    /// The first global input number of each producer table's records.
    pub record_base: Vec<u32>,
}

impl RunData {
    /// Topic and partition within it of global partition `p`.
    pub fn partition_name(&self, p: u32) -> (String, i32) {
        self.topics
            .iter()
            .find(|(_, first, n)| (*first..first + n).contains(&p))
            .map_or((String::new(), p as i32), |(t, first, _)| (t.clone(), (p - first) as i32))
    }

    /// The global partition index of `topic`/`partition`, if it exists.
    pub fn partition_index(&self, topic: &str, partition: i32) -> Option<u32> {
        let (_, first, n) = self.topics.iter().find(|(t, ..)| t == topic)?;
        (0..*n as i32).contains(&partition).then(|| first + partition as u32)
    }
}

/// A commit that ended: its offsets (global partition index, offset) and result.
pub(crate) type EndedCommit = (Vec<(u32, u64)>, Result<(), KafkaError>);

/// One client's side of the service.
#[derive(Debug, Default)]
pub(crate) struct Port {
    /// The node waits for a poke.
    idle: bool,
    /// The node was told the service ended.
    closed: bool,
    /// Calls made, not handed to the node yet.
    queue: VecDeque<(u64, Step)>,
    /// The call the node carries out.
    current: Option<u64>,
    answers: BTreeMap<u64, Answer>,
    wakers: BTreeMap<u64, Waker>,
    next_call: u64,
    /// Outcomes of records sent without waiting: (partition global, offset) or the error.
    pub deliveries: BTreeMap<u32, Result<(u32, i64), KafkaError>>,
    pub delivery_wakers: BTreeMap<u32, Waker>,
    /// The code created this port's client.
    pub created: bool,
    /// Calls made by blocking methods (`commit_transaction()`, `commit(.., Sync)`): their
    /// answers go to `error`, not to a waiting future.
    blocking: std::collections::BTreeSet<u64>,
    /// The error of a blocking call that has returned to the code already: the client's next
    /// blocking call returns it.
    pub error: Option<KafkaError>,
    /// A consumer's state as of its last call (`position()`, `group_metadata()`).
    pub view: ConsumerView,
    /// A consumer's commits that ended, not yet handed to its context's `commit_callback`.
    pub commits: Vec<EndedCommit>,
    /// A consumer whose context has rebalance callbacks: a waiting `recv()` returns to serve
    /// them when the assignment changes ([`Answer::Rebalanced`]).
    pub rebalance_events: bool,
    /// A node holds this port.
    claimed: bool,
}

impl Port {
    /// Whether a node of this incarnation holds the port already.
    pub fn created_node(&self) -> bool {
        self.claimed
    }

    /// A node holds the port from now.
    pub fn claim(&mut self) {
        self.claimed = true;
    }
}

/// What the task's handles and the ports share.
pub(crate) struct HubState {
    pub now: u64,
    pub ports: Vec<Port>,
    pub clients: Vec<ClientRef>,
    pub producers: Vec<ProducerTable>,
    pub consumers: Vec<ConsumerTable>,
    /// Sleeps: (deadline, number) → waker, fired in order.
    pub timers: BTreeMap<(u64, u64), Option<Waker>>,
    timer_seq: u64,
    /// Bumped by every interaction with a port: the service is not quiet while it moves.
    progress: u64,
    /// Blocking calls not yet carried out: until they are, no future of the service makes its
    /// call or starts its sleep (the code blocked in them, as far as the cluster can tell).
    blocking: u32,
    /// Futures waiting for the blocking calls.
    barrier: Vec<Waker>,
    /// The record the code received last: the input of the outputs it sends next, unless they
    /// name theirs in a header.
    pub last_input: Option<crate::record::RecordId>,
    /// A node of this incarnation died: the incarnation is over.
    pub dead: bool,
    /// The task returned.
    finished: bool,
    pub run: Arc<Mutex<RunData>>,
    /// The host's flag that a service may have moved (`Drivers::stirred`), shared by every
    /// incarnation of the run.
    stir: Arc<AtomicBool>,
}

impl std::fmt::Debug for HubState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HubState").field("now", &self.now).field("clients", &self.clients).finish()
    }
}

thread_local! {
    /// The service whose runtime runs now: where `ClientConfig::create()` finds its clients.
    static CURRENT: RefCell<Option<Arc<Mutex<HubState>>>> = const { RefCell::new(None) };
}

/// The service whose code runs now, if any.
pub(crate) fn current() -> Option<Arc<Mutex<HubState>>> {
    CURRENT.with(|c| c.borrow().clone())
}

impl HubState {
    /// The state of a new incarnation.
    pub fn new(
        ports: Vec<Port>,
        clients: Vec<ClientRef>,
        producers: Vec<ProducerTable>,
        consumers: Vec<ConsumerTable>,
        run: Arc<Mutex<RunData>>,
        stir: Arc<AtomicBool>,
    ) -> Self {
        HubState {
            now: 0,
            ports,
            clients,
            producers,
            consumers,
            timers: BTreeMap::new(),
            timer_seq: 0,
            progress: 0,
            blocking: 0,
            barrier: Vec::new(),
            last_input: None,
            dead: false,
            finished: false,
            run,
            stir,
        }
    }

    /// The service may have moved: the world looks for pokes and timers again.
    pub fn stir(&self) {
        self.stir.store(true, Ordering::Relaxed);
    }

    /// Make a call on `port`: its id.
    pub fn call(&mut self, port: usize, step: Step) -> u64 {
        let p = &mut self.ports[port];
        let id = p.next_call;
        p.next_call += 1;
        p.queue.push_back((id, step));
        self.progress += 1;
        id
    }

    /// Make a blocking call on `port` (see [`Port::error`]): it is carried out before any
    /// later call or sleep of the service starts.
    pub fn call_blocking(&mut self, port: usize, step: Step) {
        let id = self.call(port, step);
        self.ports[port].blocking.insert(id);
        self.blocking += 1;
    }

    /// Whether a future may go ahead; if not, `waker` waits for the blocking calls.
    pub fn unblocked(&mut self, waker: &Waker) -> bool {
        if self.blocking == 0 {
            return true;
        }
        self.barrier.push(waker.clone());
        false
    }

    /// The error a blocking call of `port` left, taken.
    pub fn take_error(&mut self, port: usize) -> Option<KafkaError> {
        self.ports[port].error.take()
    }

    /// The answer to call `id` of `port`, or register `waker` for it.
    pub fn answer(&mut self, port: usize, id: u64, waker: &Waker) -> Option<Answer> {
        let p = &mut self.ports[port];
        match p.answers.remove(&id) {
            Some(a) => Some(a),
            None => {
                p.wakers.insert(id, waker.clone());
                None
            }
        }
    }

    /// A sleep until `at`: its key.
    pub fn timer(&mut self, at: u64) -> (u64, u64) {
        self.timer_seq += 1;
        let key = (at, self.timer_seq);
        self.timers.insert(key, None);
        self.progress += 1;
        key
    }

    /// Whether the service waits on nothing of its own: no sleep and no call queued.
    pub fn quiet(&self) -> bool {
        self.timers.is_empty() && self.ports.iter().all(|p| p.queue.is_empty())
    }

    /// Idle ports with a call, or told nothing of the service's end yet.
    pub fn pokes(&self) -> impl Iterator<Item = ClientRef> + '_ {
        self.ports
            .iter()
            .zip(&self.clients)
            .filter(|(p, _)| p.idle && (!p.queue.is_empty() || (self.finished && !p.closed)))
            .map(|(_, c)| *c)
    }
}

/// A future that waits for the answer to one call.
pub(crate) struct CallFuture {
    pub st: Arc<Mutex<HubState>>,
    pub port: usize,
    pub step: Option<Step>,
    pub id: u64,
}

impl Future for CallFuture {
    type Output = Answer;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Answer> {
        let this = self.get_mut();
        let mut s = this.st.lock();
        if let Some(step) = this.step.take() {
            if !s.unblocked(cx.waker()) {
                this.step = Some(step);
                return Poll::Pending;
            }
            this.id = s.call(this.port, step);
        }
        match s.answer(this.port, this.id, cx.waker()) {
            Some(a) => Poll::Ready(a),
            None => Poll::Pending,
        }
    }
}

/// Whether the service's code has a wake outstanding: it was woken since its last poll, or
/// was never polled.
struct WakeFlag {
    woken: AtomicBool,
}

impl std::task::Wake for WakeFlag {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::SeqCst);
    }
}

/// One incarnation of a service instance.
pub(crate) struct Hub {
    /// The runtime the code runs in (its context is entered while the code runs, so
    /// `tokio::spawn` and `tokio::sync` work); it polls only the tasks the code spawns.
    rt: Runtime,
    /// The service's code, polled by the hub itself while it has a wake outstanding (`None`
    /// once it returned or was ended).
    main: Option<ServiceFuture>,
    /// The code's wake flag and its waker: code that has no wake outstanding and spawned no
    /// task is quiet at once (nothing can run until the simulator answers or fires a timer),
    /// without the [`QUIET_ROUNDS`] rounds it takes otherwise.
    flag: Arc<WakeFlag>,
    waker: Waker,
    pub st: Arc<Mutex<HubState>>,
    name: String,
}

impl Hub {
    /// Start the service's code (`make`) on a new runtime.
    pub fn start(name: String, st: HubState, make: &dyn Fn() -> ServiceFuture) -> Self {
        // No I/O and no time driver: the code cannot reach the wall clock through tokio.
        let rt = tokio::runtime::Builder::new_current_thread().build().expect("a current-thread runtime");
        let st = Arc::new(Mutex::new(st));
        CURRENT.with(|c| *c.borrow_mut() = Some(st.clone()));
        let main = {
            let _context = rt.enter();
            make()
        };
        CURRENT.with(|c| *c.borrow_mut() = None);
        let flag = Arc::new(WakeFlag { woken: AtomicBool::new(true) });
        let waker = Waker::from(flag.clone());
        Hub { rt, main: Some(main), flag, waker, st, name }
    }

    /// Run the code until `port` has a call (which it returns), or the service is quiet. Its
    /// callers (a port's driver, `tick`) have stirred the host already.
    pub fn run(&mut self, port: Option<usize>) -> Option<(u64, Step)> {
        let main = self.main.as_mut()?;
        // A call the code made already is handed over without polling anything.
        if let Some(p) = port {
            if let Some(call) = self.st.lock().ports[p].queue.pop_front() {
                return Some(call);
            }
        }
        let st = self.st.clone();
        CURRENT.with(|c| *c.borrow_mut() = Some(st.clone()));
        let context = self.rt.enter();
        let (mut last, mut quiet, mut done) = (u64::MAX, 0, false);
        let mut got = None;
        for _ in 0..SPIN_LIMIT {
            // Spawned tasks still alive: the runtime must run them too.
            let spawned = self.rt.handle().metrics().num_alive_tasks() > 0;
            {
                let mut s = st.lock();
                if let Some(p) = port {
                    if let Some(call) = s.ports[p].queue.pop_front() {
                        got = Some(Some(call));
                        break;
                    }
                }
                if done {
                    got = Some(None);
                    break;
                }
                // The code waits on nothing the runtime can resolve: another round cannot
                // change anything (what QUIET_ROUNDS rounds would conclude).
                if !self.flag.woken.load(Ordering::SeqCst) && !spawned {
                    got = Some(None);
                    break;
                }
                if s.progress == last {
                    quiet += 1;
                    if quiet > QUIET_ROUNDS {
                        got = Some(None);
                        break;
                    }
                } else {
                    (last, quiet) = (s.progress, 0);
                }
            }
            // One round: the code if it was woken, then the tasks it spawned.
            if self.flag.woken.swap(false, Ordering::SeqCst) {
                done = main.as_mut().poll(&mut Context::from_waker(&self.waker)).is_ready();
            }
            if spawned {
                self.rt.block_on(tokio::task::yield_now());
            }
        }
        drop(context);
        CURRENT.with(|c| *c.borrow_mut() = None);
        let Some(got) = got else {
            panic!("service {} spins without waiting for anything the simulator drives", self.name)
        };
        if done {
            self.main = None;
            self.st.lock().finished = true;
        }
        got
    }

    /// End the service as if its code had returned (the run's workload is done and it waits on
    /// nothing): the code is dropped and never polled again. Whether it was still running.
    pub fn end(&mut self) -> bool {
        self.st.lock().stir();
        let Some(main) = self.main.take() else { return false };
        let _context = self.rt.enter();
        drop(main);
        self.st.lock().finished = true;
        true
    }

    /// Fire the sleeps due at `now` and let the service run.
    pub fn tick(&mut self, now: u64) {
        let due: Vec<Waker> = {
            let mut s = self.st.lock();
            s.stir();
            s.now = now;
            let keys: Vec<(u64, u64)> = s.timers.range(..(now + 1, 0)).map(|(k, _)| *k).collect();
            keys.iter().filter_map(|k| s.timers.remove(k).flatten()).collect()
        };
        if due.is_empty() {
            return;
        }
        self.st.lock().progress += 1;
        due.into_iter().for_each(Waker::wake);
        self.run(None);
    }
}

impl Drop for Hub {
    fn drop(&mut self) {
        // The code's future may hold the runtime's resources: drop it while the runtime lives.
        let _context = self.rt.enter();
        self.main = None;
    }
}

/// The driver a service's client node holds: its port of the service.
pub(crate) struct PortDriver {
    pub hub: Arc<Mutex<Hub>>,
    pub port: usize,
}

impl Driver for PortDriver {
    fn pokes(&self) -> bool {
        true
    }

    fn next(&mut self, now: u64, answer: Answer) -> Step {
        let mut hub = self.hub.lock();
        let waker = {
            let mut s = hub.st.lock();
            s.stir();
            s.now = now;
            s.progress += 1;
            let p = &mut s.ports[self.port];
            p.idle = false;
            if p.closed {
                return Step::Idle;
            }
            match answer {
                Answer::Start | Answer::Wake => Vec::new(),
                a => match p.current.take() {
                    Some(id) if p.blocking.remove(&id) => {
                        if let Answer::Outcome(Err(e)) | Answer::Committed(Err(e)) = a {
                            p.error = Some(e);
                        }
                        s.blocking -= 1;
                        if s.blocking == 0 {
                            std::mem::take(&mut s.barrier)
                        } else {
                            Vec::new()
                        }
                    }
                    Some(id) => {
                        p.answers.insert(id, a);
                        p.wakers.remove(&id).into_iter().collect()
                    }
                    None => Vec::new(),
                },
            }
        };
        for w in waker {
            w.wake();
        }
        let got = hub.run(Some(self.port));
        let mut s = hub.st.lock();
        let finished = s.finished;
        let p = &mut s.ports[self.port];
        match got {
            Some((id, step)) => {
                p.current = Some(id);
                step
            }
            None if finished => {
                p.closed = true;
                Step::Finished
            }
            None => {
                p.idle = true;
                Step::Idle
            }
        }
    }

    fn view(&mut self, fill: &mut dyn FnMut(&mut ConsumerView)) {
        let hub = self.hub.lock();
        fill(&mut hub.st.lock().ports[self.port].view);
    }

    fn rebalance_events(&self) -> bool {
        self.hub.lock().st.lock().ports[self.port].rebalance_events
    }

    fn committed(&mut self, offsets: &[(u32, u64)], result: Result<(), KafkaError>) {
        let hub = self.hub.lock();
        let mut s = hub.st.lock();
        s.stir();
        s.ports[self.port].commits.push((offsets.to_vec(), result));
    }

    fn delivered(&mut self, now: u64, record: u32, partition: u32, result: Result<i64, KafkaError>) {
        let mut hub = self.hub.lock();
        let waker = {
            let mut s = hub.st.lock();
            s.stir();
            s.now = now;
            s.progress += 1;
            let p = &mut s.ports[self.port];
            p.deliveries.insert(record, result.map(|o| (partition, o)));
            p.delivery_wakers.remove(&record)
        };
        if let Some(w) = waker {
            w.wake();
            hub.run(None);
        }
    }
}

impl Drop for PortDriver {
    fn drop(&mut self) {
        // The client's process died (or closed): so did the service's.
        let hub = self.hub.lock();
        let mut s = hub.st.lock();
        s.stir();
        s.dead = true;
    }
}
