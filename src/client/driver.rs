//! The one interface between a client and the application code that runs it: the client asks
//! for the application's next call whenever the previous one returned, and carries it out with
//! Kafka semantics. Both the synchronous `ConsumerApp` and the async `SimConsumer` of the `app`
//! module are drivers of this interface, which is why the two versions of one application make
//! the same calls at the same virtual instants. A `SimProducer` makes the producer's calls
//! through it too. It lives with the clients, below `app`, so the clients and the world need
//! nothing from `app`: `app` implements [`Drivers`] and hands it to the world.

use crate::error::KafkaError;
use crate::record::{Deliveries, Delivery, MemberId};

/// A call the application makes on its client.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(not(feature = "tokio"), allow(dead_code))] // the producer steps are async-only
pub(crate) enum Step {
    /// `poll()`: returns when it hands out records.
    Poll,
    /// Process one record: a side effect in the external store, `processing_ms` long.
    Process(Delivery),
    /// `commitSync()` of the positions (`allConsumed()`).
    CommitSync,
    /// `commitAsync()` of the positions: returns at once.
    CommitAsync,
    /// Sleep this many virtual ms.
    Sleep(u64),
    /// The application returned: it closes its client.
    Finished,
    /// A producer's `send(record)`, waiting for its acknowledgement or failure.
    Send(u32),
    /// A producer's `beginTransaction()`.
    BeginTxn,
    /// A producer's `commitTransaction()` (true) or `abortTransaction()` (false).
    EndTxn(bool),
    /// A service has no call for this client now: it waits until the world pokes it.
    Idle,
    /// A service producer's `send(record)` to this partition of the topic (`None`: the
    /// partitioner's choice) that returns at once; the outcome comes by [`Driver::delivered`].
    Produce(u32, Option<u32>),
    /// A service producer's `flush()`: what lingers goes out now; returns at once.
    Flush,
    /// A service consumer's `seek(partition, offset)`: the next fetch of this assigned partition
    /// (global index) starts at the offset; returns at once.
    Seek(u32, u64),
    /// A service producer's `initTransactions()`: returns once the producer id is there.
    InitTxn,
    /// A service producer's `sendOffsetsToTransaction(offsets, groupMetadata)`: the offsets
    /// are written (AddOffsetsToTxn, TxnOffsetCommit) when the transaction commits; returns at once.
    SendOffsets(crate::client::transactional::TxnOffsets),
    /// A service consumer's `commit(&offsets, mode)`: these offsets (global partition index,
    /// offset), not the positions; `commitSync()` (true) or `commitAsync()` of a map.
    CommitOffsets(std::sync::Arc<[(u32, u64)]>, bool),
    /// A service consumer's `rd_kafka_offsets_store`: the next commit without explicit offsets
    /// sends these (a librdkafka member's offset store); returns at once.
    StoreOffsets(Vec<(u32, u64)>),
    /// A service consumer's `pause()` (true) or `resume()` (false) of these assigned partitions
    /// (global index): a paused one is not fetched and `poll()` returns none of its records.
    Pause(Vec<u32>, bool),
}

/// What a consumer's application reads of its client without a call (`position()`,
/// `groupMetadata()`): the client's state as of the application's last call, as a Java
/// consumer's only changes inside `poll()`.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct ConsumerView {
    /// Group index.
    pub group: u32,
    pub member_id: MemberId,
    pub generation: i32,
    /// Assigned partitions (global index) and their positions, if known.
    pub positions: Vec<(u32, Option<u64>)>,
    /// The committed offsets the member knows (global index, offset): fetched at assignment
    /// (OffsetFetch) or set by its own successful commits.
    pub committed: Vec<(u32, u64)>,
    /// Paused partitions (global index).
    pub paused: Vec<u32>,
    /// The generation whose assignment `positions` lists, once the member is in a stable group
    /// (after SyncGroup, or a KIP-848 reconciliation); `None` while it (re)joins.
    pub assigned_generation: Option<i32>,
}

/// What the previous call returned.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Answer {
    /// The member process just started: no call yet.
    Start,
    /// `poll()` returned these records.
    Records(Deliveries),
    /// A call without a result returned (processing, `commitAsync()`, a sleep).
    Done,
    /// `commitSync()` returned.
    Committed(Result<(), KafkaError>),
    /// A producer call returned (a send's delivery, a transaction's end).
    Outcome(Result<(), KafkaError>),
    /// The world pokes an idle client of a service: its service may have a call for it.
    Wake,
    /// `poll()` returned without records because the member's generation or assignment changed
    /// (only to a driver that asks for it, [`Driver::rebalance_events`]): librdkafka serves a
    /// rebalance callback from inside the consumer's poll, records or not.
    Rebalanced,
}

/// The application side of one client process.
pub(crate) trait Driver: Send {
    /// The previous call returned `answer` at virtual time `now`: the application's next call.
    fn next(&mut self, now: u64, answer: Answer) -> Step;

    /// A record a `Step::Produce` sent is resolved: acknowledged at this partition (global
    /// index) and offset, or failed.
    fn delivered(&mut self, now: u64, record: u32, partition: u32, result: Result<i64, KafkaError>) {
        let _ = (now, record, partition, result);
    }

    /// A commit of the consumer ended (for rdkafka's `commit_callback`): its offsets (global
    /// partition index, offset) and its result.
    fn committed(&mut self, offsets: &[(u32, u64)], result: Result<(), KafkaError>) {
        let _ = (offsets, result);
    }

    /// Whether a waiting `poll()` returns ([`Answer::Rebalanced`]) when the member's generation
    /// or assignment changes: a service consumer whose context has rebalance callbacks.
    fn rebalance_events(&self) -> bool {
        false
    }

    /// Whether the application may wait on something besides this client (`Step::Idle`) and
    /// make its next call from a poke of the world, outside the client's own events: a
    /// service's port. Such a client does not take back its stale timers (see
    /// `Consumer::cancels_stale_timers`).
    fn pokes(&self) -> bool {
        false
    }

    /// Before each call: the consumer's state as the application may read it (written by
    /// `fill` into the driver's kept view, only for drivers that keep one).
    fn view(&mut self, fill: &mut dyn FnMut(&mut ConsumerView)) {
        let _ = fill;
    }
}

/// A client of a service, as the world knows its node: a `[[producer]]` table's process, or
/// instance K of a `[[consumer]]` table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[cfg_attr(not(feature = "tokio"), allow(dead_code))] // services are async-only
pub(crate) enum ClientRef {
    /// `Scenario::producers[i]`.
    Producer(u32),
    /// Instance K of `Scenario::consumers[i]`.
    Consumer(u32, u32),
}

/// Calls that return at once (no processing time, `commitAsync()`, a send) one application may
/// make in a row at one virtual instant before the simulator calls it a livelock.
pub(crate) const INSTANT_CALLS_LIMIT: u32 = 1 << 20;

/// Where the world gets user applications: a new driver for each start of a client process, by
/// its table's name (`app::Apps` is the one implementation).
pub(crate) trait Drivers {
    /// Whether no application is registered.
    fn is_empty(&self) -> bool;

    /// The application of process `instance` of `[[producer]]` `name`, if any.
    fn producer_driver(&self, name: &str, instance: u32) -> Option<Box<dyn Driver>>;

    /// The application of a new process of member `instance` of `[[consumer]]` `name`, if any.
    fn driver(&self, name: &str, instance: u32) -> Option<Box<dyn Driver>>;

    /// Idle clients of services that have a call now (poke them, in this order).
    fn pokes(&self) -> Vec<ClientRef> {
        Vec::new()
    }

    /// Whether a service may have moved since it was last cleared ([`Drivers::set_stirred`]): its code or a driver of its
    /// clients ran, an incarnation started, ended or died. Until then `pokes` and
    /// `next_timer` are what they were, so the world need not ask again.
    fn stirred(&self) -> bool {
        true
    }

    /// Set (`true`) or clear the [`Drivers::stirred`] flag.
    fn set_stirred(&self, stirred: bool) {
        let _ = stirred;
    }

    /// The earliest virtual time a service's timer (a `sleep`) ends, if any.
    fn next_timer(&self) -> Option<u64> {
        None
    }

    /// Whether every live service waits on the cluster: no timer of its own, no call queued,
    /// and every client it owns `quiet` (an idle producer with nothing in flight, a consumer
    /// idle or waiting in `poll()` with nothing left to read).
    fn services_quiet(&self, quiet: &dyn Fn(ClientRef) -> bool) -> bool {
        let _ = quiet;
        true
    }

    /// Live services that do not wait on the cluster (see [`Drivers::services_quiet`]): each
    /// as `NAME/K` with what keeps it running.
    fn busy_services(&self, quiet: &dyn Fn(ClientRef) -> bool) -> Vec<String> {
        let _ = quiet;
        Vec::new()
    }

    /// End every live service whose code has not returned (as if it had): its clients, to poke
    /// so that they close.
    fn end_services(&self) -> Vec<ClientRef> {
        Vec::new()
    }

    /// Fire the services' timers due at `now`, except those of a service one of whose clients
    /// `paused` says is paused, and let the services run.
    fn tick(&self, now: u64, paused: &dyn Fn(ClientRef) -> bool) {
        let _ = (now, paused);
    }
}

impl std::fmt::Debug for dyn Driver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Driver")
    }
}
