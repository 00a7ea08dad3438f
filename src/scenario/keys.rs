//! The one table of Kafka config keys: each key's name, type, allowed values and doc line, and,
//! per config table that accepts it, how it maps to a field of the typed config struct.
//!
//! Every use reads this table: the loader (unknown keys, types, ranges, setting fields),
//! [`Scenario::validate`](super::Scenario::validate) (ranges of Rust-built values), the writer
//! (which keys to emit) and the config reference in docs/scenario-format.md (rendered by
//! [`reference_table`], pinned by a test). So each key is spelled once, here.

use super::model::{
    Acks, AssignmentStrategy, BrokerConfig, ConsumerConfig, GroupProtocol, IsolationLevel, OffsetReset,
    ProcessingGuarantee, ProcessorConfig, ProducerConfig, TopicSpec,
};

pub mod librdkafka;

/// Java `int` bound of Kafka's INT-typed configs.
pub const INT_MAX: i64 = i32::MAX as i64;
/// Java `short` bound of Kafka's SHORT-typed configs.
const SHORT_MAX: i64 = i16::MAX as i64;

/// A config table of a scenario file that takes Kafka keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// `[cluster.config]`.
    Broker,
    /// `[topic.config]`.
    Topic,
    /// `[producer.config]`.
    Producer,
    /// `[consumer.config]`.
    Consumer,
    /// `[processor.config]`.
    Processor,
}

impl Scope {
    /// Every scope, in file order.
    pub const ALL: [Scope; 5] = [Scope::Broker, Scope::Topic, Scope::Producer, Scope::Consumer, Scope::Processor];

    /// The table's header as a file writes it.
    pub fn table(self) -> &'static str {
        match self {
            Scope::Broker => "[cluster.config]",
            Scope::Topic => "[topic.config]",
            Scope::Producer => "[producer.config]",
            Scope::Consumer => "[consumer.config]",
            Scope::Processor => "[processor.config]",
        }
    }

    /// The keys this table accepts, in the order the writer emits them.
    pub fn keys(self) -> Vec<&'static ConfigKey> {
        match self {
            Scope::Broker => BROKER.iter().map(|b| b.key).collect(),
            Scope::Topic => TOPIC.iter().map(|b| b.key).collect(),
            Scope::Producer => PRODUCER.iter().map(|b| b.key).collect(),
            Scope::Consumer => CONSUMER.iter().map(|b| b.key).collect(),
            Scope::Processor => PROCESSOR.iter().map(|b| b.key).collect(),
        }
    }
}

/// What values a key takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An integer from `min` to `max` (`i64::MAX`: no upper bound).
    Int {
        /// Least value.
        min: i64,
        /// Greatest value.
        max: i64,
    },
    /// `true` or `false`.
    Bool,
    /// A string, trimmed as Kafka trims string configs, that must not be empty then.
    Text,
    /// One of these words.
    Choice(&'static [&'static str]),
    /// `acks`: `"all"`, `"-1"`, `"0"`, `"1"` or the integers -1, 0, 1.
    Acks,
}

impl Kind {
    /// How the reference and type errors name the type.
    pub fn describe(self) -> String {
        match self {
            Kind::Int { min, max } if max == i64::MAX => format!("integer >= {min}"),
            Kind::Int { min, max } => format!("integer {min}..{max}"),
            Kind::Bool => "boolean".into(),
            Kind::Text => "non-empty string".into(),
            Kind::Choice(words) => words.iter().map(|w| format!("`\"{w}\"`")).collect::<Vec<_>>().join(", "),
            Kind::Acks => "`\"all\"`, `\"-1\"`, `\"0\"`, `\"1\"`, or the integers -1, 0, 1".into(),
        }
    }
}

/// One Kafka config key.
#[derive(Debug)]
pub struct ConfigKey {
    /// Kafka's spelling.
    pub name: &'static str,
    /// Its values.
    pub kind: Kind,
    /// What it does, in one line (the reference's Meaning column).
    pub doc: &'static str,
}

impl ConfigKey {
    /// The message when `n` lies outside an integer key's range, or `None` when it fits (or the
    /// key is not an integer). The loader and `validate` both use it, so the text is one.
    pub fn range_problem(&self, n: i128) -> Option<String> {
        let Kind::Int { min, max } = self.kind else { return None };
        let above = max != i64::MAX && n > i128::from(max);
        (n < i128::from(min) || above).then(|| format!("`{}` must be {}, found {n}", self.name, range_text(min, max)))
    }

    /// The message when a [`Kind::Text`] value is empty after trimming.
    pub fn text_problem(&self, s: &str) -> Option<String> {
        (self.kind == Kind::Text && s.trim().is_empty()).then(|| {
            format!(
                "`{}` must not be empty or only whitespace (Kafka trims it, then: String must be non-empty)",
                self.name
            )
        })
    }

    /// The scopes whose tables accept this key.
    pub fn scopes(&'static self) -> Vec<Scope> {
        Scope::ALL.into_iter().filter(|s| s.keys().iter().any(|k| std::ptr::eq(*k, self))).collect()
    }
}

/// "from 1 to 64" or "at least 1".
pub fn range_text(min: i64, max: i64) -> String {
    if max == i64::MAX {
        format!("at least {min}")
    } else {
        format!("from {min} to {max}")
    }
}

/// A typed value of a key, between the file and a config struct.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Val {
    /// An integer (every integer key is non-negative).
    Int(u64),
    /// A boolean.
    Bool(bool),
    /// A string.
    Text(String),
    /// The index of a word of a [`Kind::Choice`].
    Choice(usize),
    /// An `acks` value.
    Acks(Acks),
}

impl Val {
    fn int(&self) -> u64 {
        if let Val::Int(n) = self {
            *n
        } else {
            0
        }
    }
    fn bool(&self) -> bool {
        matches!(self, Val::Bool(true))
    }
    fn index(&self) -> usize {
        if let Val::Choice(i) = self {
            *i
        } else {
            0
        }
    }

    /// The value as a scenario file writes it (`5`, `true`, `"read_committed"`), for `key`.
    pub fn toml(&self, key: &ConfigKey) -> String {
        match (self, key.kind) {
            (Val::Int(n), _) => n.to_string(),
            (Val::Bool(b), _) => b.to_string(),
            (Val::Text(s), _) => super::write::quote(s),
            (Val::Choice(i), Kind::Choice(words)) => format!("\"{}\"", words[*i]),
            (Val::Choice(i), _) => i.to_string(),
            (Val::Acks(a), _) => format!("\"{a}\""),
        }
    }
}

/// How one key of one scope maps to a field of the scope's config struct `C`.
pub struct Binding<C: 'static> {
    /// The key.
    pub key: &'static ConfigKey,
    /// The field's value (`None`: unset, for optional fields).
    pub get: fn(&C) -> Option<Val>,
    /// Sets the field from a value of the key's kind.
    pub set: fn(&mut C, Val),
    /// The default as the reference shows it, when it is not simply the field's default.
    pub default_doc: Option<&'static str>,
}

impl<C> Binding<C> {
    /// The binding of `name` among `bindings`.
    pub fn find<'b>(bindings: &'b [Binding<C>], name: &str) -> Option<&'b Binding<C>> {
        bindings.iter().find(|b| b.key.name == name)
    }
}

macro_rules! key {
    ($id:ident, $name:literal, $kind:expr, $doc:literal) => {
        #[doc = concat!("`", $name, "`: ", $doc)]
        pub static $id: ConfigKey = ConfigKey { name: $name, kind: $kind, doc: $doc };
    };
}

/// An integer `min..=max`.
const fn int(min: i64, max: i64) -> Kind {
    Kind::Int { min, max }
}
/// An integer of at least `min`.
const fn at_least(min: i64) -> Kind {
    Kind::Int { min, max: i64::MAX }
}

// Broker configs.
key!(
    MIN_INSYNC_REPLICAS,
    "min.insync.replicas",
    int(1, INT_MAX),
    "Smallest ISR with which the leader accepts an `acks=all` write and advances its high watermark; the effective value is the smaller of this and the replication factor."
);
key!(
    UNCLEAN_LEADER_ELECTION_ENABLE,
    "unclean.leader.election.enable",
    Kind::Bool,
    "Whether the controller may elect a replica that is not in the ISR when no ISR member is alive."
);
key!(
    REPLICA_LAG_TIME_MAX_MS,
    "replica.lag.time.max.ms",
    at_least(1),
    "A follower that has not caught up with the leader's log end for this long leaves the ISR; the leader checks every half of this time."
);
key!(
    LOG_FLUSH_INTERVAL_MESSAGES,
    "log.flush.interval.messages",
    at_least(1),
    "Flush (fsync) a log once this many records are unflushed; the default means never, as in Kafka. Only flushed records survive a power loss."
);
key!(FLUSH_MESSAGES, "flush.messages", at_least(1), "The topic spelling of `log.flush.interval.messages`.");
key!(
    BROKER_SESSION_TIMEOUT_MS,
    "broker.session.timeout.ms",
    int(1, INT_MAX),
    "The controller fences a broker whose last heartbeat is older than this, and until then refuses a registration from its restarted process (`DUPLICATE_BROKER_REGISTRATION`)."
);
key!(
    BROKER_HEARTBEAT_INTERVAL_MS,
    "broker.heartbeat.interval.ms",
    int(1, INT_MAX),
    "How often a broker sends a heartbeat, and a restarted broker repeats a refused registration; the controller checks sessions every half of this time."
);
key!(
    REPLICA_FETCH_WAIT_MAX_MS,
    "replica.fetch.wait.max.ms",
    int(0, INT_MAX),
    "How long the leader holds a follower fetch that finds no new data; at most 30000 and at most `replica.lag.time.max.ms`."
);
key!(
    REPLICA_FETCH_BACKOFF_MS,
    "replica.fetch.backoff.ms",
    int(0, INT_MAX),
    "How long a follower waits after a failed, reset or refused fetch before fetching again."
);
key!(
    OFFSETS_TOPIC_NUM_PARTITIONS,
    "offsets.topic.num.partitions",
    int(1, 1000),
    "Partitions of `__consumer_offsets`; a group's coordinator is the leader of one of them."
);
key!(
    OFFSETS_TOPIC_REPLICATION_FACTOR,
    "offsets.topic.replication.factor",
    int(1, SHORT_MAX),
    "Replicas of each `__consumer_offsets` partition; above the broker count the run uses the broker count."
);
key!(
    OFFSETS_COMMIT_TIMEOUT_MS,
    "offsets.commit.timeout.ms",
    int(1, INT_MAX),
    "How long the coordinator waits for an offset commit to be replicated before failing it."
);
key!(
    GROUP_INITIAL_REBALANCE_DELAY_MS,
    "group.initial.rebalance.delay.ms",
    int(0, INT_MAX),
    "How long a new (empty) group waits for more members before its first generation."
);
key!(
    GROUP_MIN_SESSION_TIMEOUT_MS,
    "group.min.session.timeout.ms",
    int(1, INT_MAX),
    "Smallest `session.timeout.ms` a consumer or processor may join with."
);
key!(
    GROUP_MAX_SESSION_TIMEOUT_MS,
    "group.max.session.timeout.ms",
    int(1, INT_MAX),
    "Largest `session.timeout.ms` a consumer or processor may join with; at least `group.min.session.timeout.ms`."
);
key!(
    GROUP_CONSUMER_SESSION_TIMEOUT_MS,
    "group.consumer.session.timeout.ms",
    int(1, INT_MAX),
    "KIP-848 (`group.protocol = \"consumer\"`, 4.0+): the coordinator fences a member that has not heartbeated this long; Kafka bounds it to 45000..60000 by default (`group.consumer.min/max.session.timeout.ms`)."
);
key!(
    GROUP_CONSUMER_HEARTBEAT_INTERVAL_MS,
    "group.consumer.heartbeat.interval.ms",
    int(1, INT_MAX),
    "KIP-848: the heartbeat interval the coordinator gives its members; below `group.consumer.session.timeout.ms`."
);
key!(
    TRANSACTION_STATE_LOG_NUM_PARTITIONS,
    "transaction.state.log.num.partitions",
    int(1, 1000),
    "Partitions of `__transaction_state`; a transactional id's coordinator is the leader of one of them."
);
key!(
    TRANSACTION_STATE_LOG_REPLICATION_FACTOR,
    "transaction.state.log.replication.factor",
    int(1, SHORT_MAX),
    "Replicas of each `__transaction_state` partition; above the broker count the run uses the broker count."
);
key!(
    TRANSACTION_STATE_LOG_MIN_ISR,
    "transaction.state.log.min.isr",
    int(1, INT_MAX),
    "`min.insync.replicas` of `__transaction_state`, whose writes are always `acks=all`."
);
key!(
    TRANSACTION_ABORT_TIMED_OUT_TRANSACTION_CLEANUP_INTERVAL_MS,
    "transaction.abort.timed.out.transaction.cleanup.interval.ms",
    int(1, INT_MAX),
    "How often a transaction coordinator aborts transactions open longer than their `transaction.timeout.ms`."
);
key!(
    TRANSACTION_MAX_TIMEOUT_MS,
    "transaction.max.timeout.ms",
    int(1, INT_MAX),
    "Largest `transaction.timeout.ms` a producer or an `exactly_once_v2` processor may ask for."
);
key!(
    ZOOKEEPER_SESSION_TIMEOUT_MS,
    "zookeeper.session.timeout.ms",
    int(1, INT_MAX),
    "ZooKeeper mode (`metadata = \"zookeeper\"`): the controller takes a broker for dead once its ZooKeeper session has had no heartbeat for this long (6000 before 2.5)."
);
key!(
    PRODUCER_ID_EXPIRATION_MS,
    "producer.id.expiration.ms",
    int(1, INT_MAX),
    "From 3.4 (KIP-854): a partition forgets the state of a producer id that wrote nothing to it for this long and has no open transaction there; a late retry is then appended again (a duplicate), or refused with UNKNOWN_PRODUCER_ID before 2.5."
);
key!(
    PRODUCER_ID_EXPIRATION_CHECK_INTERVAL_MS,
    "producer.id.expiration.check.interval.ms",
    int(1, INT_MAX),
    "From 3.4: how often a broker looks for producer ids past `producer.id.expiration.ms` (ten minutes, fixed, before)."
);
key!(
    TRANSACTIONAL_ID_EXPIRATION_MS,
    "transactional.id.expiration.ms",
    int(1, INT_MAX),
    "The transaction coordinator forgets a transactional id that has had no transaction for this long; its producer then gets INVALID_PRODUCER_ID_MAPPING. Before 3.4 producer ids expire after it too."
);
key!(
    TRANSACTION_REMOVE_EXPIRED_TRANSACTION_CLEANUP_INTERVAL_MS,
    "transaction.remove.expired.transaction.cleanup.interval.ms",
    int(1, INT_MAX),
    "How often a transaction coordinator looks for transactional ids past `transactional.id.expiration.ms`."
);

// Client configs.
key!(
    ACKS,
    "acks",
    Kind::Acks,
    "`0`: no response, the send completes when the request leaves; `1`: the leader answers after its own append; `all`: the leader answers when its high watermark passes the batch."
);
key!(
    ENABLE_IDEMPOTENCE,
    "enable.idempotence",
    Kind::Bool,
    "Producer id, epoch and per-partition sequence numbers, so the leader recognises a retried batch (see the idempotence rule)."
);
key!(RETRIES, "retries", int(0, INT_MAX), "Retries after the first attempt of a batch.");
key!(
    MAX_IN_FLIGHT,
    "max.in.flight.requests.per.connection",
    int(1, INT_MAX),
    "Requests outstanding per broker (with idempotence, batches per partition); 1 keeps order without idempotence."
);
key!(LINGER_MS, "linger.ms", at_least(0), "How long records wait to fill a batch.");
key!(BATCH_SIZE, "batch.size", int(1, INT_MAX), "Bytes per batch, with `record_bytes`.");
key!(
    RETRY_BACKOFF_MS,
    "retry.backoff.ms",
    at_least(0),
    "Pause before retrying a failed request (doubled per failed attempt where Java's client doubles it, KIP-580)."
);
key!(
    RETRY_BACKOFF_MAX_MS,
    "retry.backoff.max.ms",
    at_least(0),
    "Cap of a client's growing retry backoff (KIP-580; the consumer's since 3.7)."
);
key!(
    REQUEST_TIMEOUT_MS,
    "request.timeout.ms",
    int(1, INT_MAX),
    "How long a client waits for an answer before closing the connection and retrying; also how long the leader holds an `acks=all` request."
);
key!(
    DELIVERY_TIMEOUT_MS,
    "delivery.timeout.ms",
    int(1, INT_MAX),
    "Upper bound from handing a record to the client to its success or failure; at least `linger.ms + request.timeout.ms`."
);
key!(
    TRANSACTIONAL_ID,
    "transactional.id",
    Kind::Text,
    "Makes the producer transactional, its records in transactions of `transaction_records`; trimmed, then not empty."
);
key!(
    TRANSACTION_TIMEOUT_MS,
    "transaction.timeout.ms",
    int(1, INT_MAX),
    "The coordinator aborts a transaction open this long; at most the cluster's `transaction.max.timeout.ms`, and only for a transactional client."
);
key!(
    ENABLE_AUTO_COMMIT,
    "enable.auto.commit",
    Kind::Bool,
    "Whether the client commits by itself; must agree with `commit`."
);
key!(AUTO_COMMIT_INTERVAL_MS, "auto.commit.interval.ms", int(0, INT_MAX), "Least time between two auto-commits.");
key!(
    AUTO_OFFSET_RESET,
    "auto.offset.reset",
    Kind::Choice(&["earliest", "latest", "none"]),
    "Where a member starts on a partition without a valid committed offset: the log start, the end, or an error."
);
key!(
    ISOLATION_LEVEL,
    "isolation.level",
    Kind::Choice(&["read_uncommitted", "read_committed"]),
    "Read up to the high watermark, or up to the last stable offset."
);
key!(
    SESSION_TIMEOUT_MS,
    "session.timeout.ms",
    int(1, INT_MAX),
    "The coordinator removes a member silent this long; within the cluster's group session bounds."
);
key!(
    HEARTBEAT_INTERVAL_MS,
    "heartbeat.interval.ms",
    int(1, INT_MAX),
    "Time between heartbeats; below `session.timeout.ms`."
);
key!(
    MAX_POLL_INTERVAL_MS,
    "max.poll.interval.ms",
    int(1, INT_MAX),
    "Longest time between two polls before the member leaves the group; also its rebalance timeout."
);
key!(
    GROUP_INSTANCE_ID,
    "group.instance.id",
    Kind::Text,
    "Static membership (KIP-345, 2.3+): instance K of the consumer is the static member `<value>-<K>`, which keeps its assignment across a restart within `session.timeout.ms` and sends no LeaveGroup; trimmed, then not empty."
);
key!(
    PARTITION_ASSIGNMENT_STRATEGY,
    "partition.assignment.strategy",
    Kind::Choice(&["range", "cooperative-sticky"]),
    "`range`: Kafka's default list, whose first entry, RangeAssignor, runs with the eager protocol (every partition revoked before a rejoin); `cooperative-sticky` (KIP-429, 2.4+): CooperativeStickyAssignor, incremental rebalancing in which a member keeps its partitions and gives up only those that move."
);
key!(
    GROUP_PROTOCOL,
    "group.protocol",
    Kind::Choice(&["classic", "consumer"]),
    "`classic`: JoinGroup/SyncGroup rebalances; `consumer` (KIP-848, 4.0+): the coordinator assigns partitions from heartbeats and each member gives up and takes partitions on its own, with no rebalance barrier. With `consumer`, `session.timeout.ms`, `heartbeat.interval.ms` and `partition.assignment.strategy` may not be set (the broker's `group.consumer.*` configs decide)."
);
key!(MAX_POLL_RECORDS, "max.poll.records", int(1, INT_MAX), "Most records one `poll()` returns.");
key!(
    DEFAULT_API_TIMEOUT_MS,
    "default.api.timeout.ms",
    int(1, INT_MAX),
    "Bound of a blocking call such as `commitSync()`."
);
key!(FETCH_MAX_WAIT_MS, "fetch.max.wait.ms", int(0, INT_MAX), "How long a broker holds a fetch that finds no data.");
key!(
    PROCESSING_GUARANTEE,
    "processing.guarantee",
    Kind::Choice(&["at_least_once", "exactly_once_v2", "exactly_once"]),
    "`at_least_once`: outputs acknowledged, then input offsets committed; `exactly_once_v2`: outputs and offsets in one transaction per instance, input read_committed; `exactly_once` (0.11 to 3.9): one transactional producer per task (input partition)."
);
key!(COMMIT_INTERVAL_MS, "commit.interval.ms", at_least(0), "How often a member commits.");

// Keys a file may not write in a config table, because a key of its own says it.
key!(GROUP_ID, "group.id", Kind::Text, "Written as `group = \"...\"` in the client's table.");
key!(APPLICATION_ID, "application.id", Kind::Text, "Written as `group = \"...\"` in `[[processor]]`.");

/// `processing.guarantee` values a file may not write: `exactly_once_beta` is written
/// `exactly_once_v2` for every release (`exactly_once` is a choice of its own, refused by
/// validation from 4.0).
pub const REMOVED_GUARANTEES: &[&str] = &["exactly_once_beta"];

macro_rules! num {
    ($key:ident, $field:ident) => {
        Binding {
            key: &$key,
            get: |c| Some(Val::Int(c.$field as u64)),
            set: |c, v| c.$field = v.int() as _,
            default_doc: None,
        }
    };
}

macro_rules! flag {
    ($key:ident, $field:ident) => {
        Binding { key: &$key, get: |c| Some(Val::Bool(c.$field)), set: |c, v| c.$field = v.bool(), default_doc: None }
    };
}

/// `[cluster.config]`.
pub static BROKER: &[Binding<BrokerConfig>] = &[
    num!(MIN_INSYNC_REPLICAS, min_insync_replicas),
    flag!(UNCLEAN_LEADER_ELECTION_ENABLE, unclean_leader_election_enable),
    num!(REPLICA_LAG_TIME_MAX_MS, replica_lag_time_max_ms),
    num!(LOG_FLUSH_INTERVAL_MESSAGES, log_flush_interval_messages),
    num!(BROKER_SESSION_TIMEOUT_MS, broker_session_timeout_ms),
    num!(BROKER_HEARTBEAT_INTERVAL_MS, broker_heartbeat_interval_ms),
    num!(REPLICA_FETCH_WAIT_MAX_MS, replica_fetch_wait_max_ms),
    num!(REPLICA_FETCH_BACKOFF_MS, replica_fetch_backoff_ms),
    num!(OFFSETS_TOPIC_NUM_PARTITIONS, offsets_topic_num_partitions),
    num!(OFFSETS_TOPIC_REPLICATION_FACTOR, offsets_topic_replication_factor),
    num!(OFFSETS_COMMIT_TIMEOUT_MS, offsets_commit_timeout_ms),
    num!(GROUP_INITIAL_REBALANCE_DELAY_MS, group_initial_rebalance_delay_ms),
    num!(GROUP_MIN_SESSION_TIMEOUT_MS, group_min_session_timeout_ms),
    num!(GROUP_MAX_SESSION_TIMEOUT_MS, group_max_session_timeout_ms),
    num!(GROUP_CONSUMER_SESSION_TIMEOUT_MS, group_consumer_session_timeout_ms),
    num!(GROUP_CONSUMER_HEARTBEAT_INTERVAL_MS, group_consumer_heartbeat_interval_ms),
    num!(TRANSACTION_STATE_LOG_NUM_PARTITIONS, transaction_state_log_num_partitions),
    num!(TRANSACTION_STATE_LOG_REPLICATION_FACTOR, transaction_state_log_replication_factor),
    num!(TRANSACTION_STATE_LOG_MIN_ISR, transaction_state_log_min_isr),
    num!(
        TRANSACTION_ABORT_TIMED_OUT_TRANSACTION_CLEANUP_INTERVAL_MS,
        transaction_abort_timed_out_transaction_cleanup_interval_ms
    ),
    num!(TRANSACTION_MAX_TIMEOUT_MS, transaction_max_timeout_ms),
    num!(ZOOKEEPER_SESSION_TIMEOUT_MS, zookeeper_session_timeout_ms),
    num!(PRODUCER_ID_EXPIRATION_MS, producer_id_expiration_ms),
    num!(PRODUCER_ID_EXPIRATION_CHECK_INTERVAL_MS, producer_id_expiration_check_interval_ms),
    num!(TRANSACTIONAL_ID_EXPIRATION_MS, transactional_id_expiration_ms),
    num!(
        TRANSACTION_REMOVE_EXPIRED_TRANSACTION_CLEANUP_INTERVAL_MS,
        transaction_remove_expired_transaction_cleanup_interval_ms
    ),
];

/// `[topic.config]`: overrides, unset unless written.
pub static TOPIC: &[Binding<TopicSpec>] = &[
    Binding {
        key: &MIN_INSYNC_REPLICAS,
        get: |t| t.min_insync_replicas.map(|n| Val::Int(n.into())),
        set: |t, v| t.min_insync_replicas = Some(v.int() as u32),
        default_doc: Some("the broker value"),
    },
    Binding {
        key: &UNCLEAN_LEADER_ELECTION_ENABLE,
        get: |t| t.unclean_leader_election_enable.map(Val::Bool),
        set: |t, v| t.unclean_leader_election_enable = Some(v.bool()),
        default_doc: Some("the broker value"),
    },
    Binding {
        key: &FLUSH_MESSAGES,
        get: |t| t.flush_messages.map(Val::Int),
        set: |t, v| t.flush_messages = Some(v.int()),
        default_doc: Some("`log.flush.interval.messages`"),
    },
];

/// `[producer.config]`.
pub static PRODUCER: &[Binding<ProducerConfig>] = &[
    Binding {
        key: &ACKS,
        get: |c| Some(Val::Acks(c.acks)),
        set: |c, v| {
            if let Val::Acks(a) = v {
                c.acks = a;
            }
        },
        default_doc: None,
    },
    flag!(ENABLE_IDEMPOTENCE, enable_idempotence),
    num!(RETRIES, retries),
    num!(MAX_IN_FLIGHT, max_in_flight),
    num!(LINGER_MS, linger_ms),
    num!(BATCH_SIZE, batch_size),
    num!(RETRY_BACKOFF_MS, retry_backoff_ms),
    num!(RETRY_BACKOFF_MAX_MS, retry_backoff_max_ms),
    num!(REQUEST_TIMEOUT_MS, request_timeout_ms),
    num!(DELIVERY_TIMEOUT_MS, delivery_timeout_ms),
    Binding {
        key: &TRANSACTIONAL_ID,
        get: |c| c.transactional_id.clone().map(Val::Text),
        set: |c, v| {
            if let Val::Text(s) = v {
                c.transactional_id = Some(s);
            }
        },
        default_doc: Some("none"),
    },
    num!(TRANSACTION_TIMEOUT_MS, transaction_timeout_ms),
];

/// `[consumer.config]`.
pub static CONSUMER: &[Binding<ConsumerConfig>] = &[
    Binding {
        key: &ENABLE_AUTO_COMMIT,
        get: |c| Some(Val::Bool(c.enable_auto_commit)),
        set: |c, v| c.enable_auto_commit = v.bool(),
        default_doc: Some("from `commit`"),
    },
    num!(AUTO_COMMIT_INTERVAL_MS, auto_commit_interval_ms),
    Binding {
        key: &AUTO_OFFSET_RESET,
        get: |c| Some(Val::Choice(c.auto_offset_reset as usize)),
        set: |c, v| c.auto_offset_reset = [OffsetReset::Earliest, OffsetReset::Latest, OffsetReset::None][v.index()],
        default_doc: None,
    },
    Binding {
        key: &ISOLATION_LEVEL,
        get: |c| Some(Val::Choice(c.isolation_level as usize)),
        set: |c, v| c.isolation_level = [IsolationLevel::ReadUncommitted, IsolationLevel::ReadCommitted][v.index()],
        default_doc: None,
    },
    num!(SESSION_TIMEOUT_MS, session_timeout_ms),
    num!(HEARTBEAT_INTERVAL_MS, heartbeat_interval_ms),
    num!(MAX_POLL_INTERVAL_MS, max_poll_interval_ms),
    num!(MAX_POLL_RECORDS, max_poll_records),
    num!(REQUEST_TIMEOUT_MS, request_timeout_ms),
    num!(DEFAULT_API_TIMEOUT_MS, default_api_timeout_ms),
    num!(FETCH_MAX_WAIT_MS, fetch_max_wait_ms),
    num!(RETRY_BACKOFF_MS, retry_backoff_ms),
    num!(RETRY_BACKOFF_MAX_MS, retry_backoff_max_ms),
    Binding {
        key: &GROUP_INSTANCE_ID,
        get: |c| c.group_instance_id.clone().map(Val::Text),
        set: |c, v| {
            if let Val::Text(s) = v {
                c.group_instance_id = Some(s);
            }
        },
        default_doc: Some("none"),
    },
    Binding {
        key: &PARTITION_ASSIGNMENT_STRATEGY,
        get: |c| Some(Val::Choice(c.assignment_strategy as usize)),
        set: |c, v| {
            c.assignment_strategy = [AssignmentStrategy::Range, AssignmentStrategy::CooperativeSticky][v.index()]
        },
        default_doc: None,
    },
    Binding {
        key: &GROUP_PROTOCOL,
        get: |c| Some(Val::Choice(c.group_protocol as usize)),
        set: |c, v| c.group_protocol = [GroupProtocol::Classic, GroupProtocol::Consumer][v.index()],
        default_doc: None,
    },
];

/// `[processor.config]`. The guarantee comes first: setting it resets the commit interval's
/// default, so the loader applies it before any other key.
pub static PROCESSOR: &[Binding<ProcessorConfig>] = &[
    Binding {
        key: &PROCESSING_GUARANTEE,
        get: |c| Some(Val::Choice(c.processing_guarantee as usize)),
        set: |c, v| {
            *c = ProcessorConfig::new(
                [
                    ProcessingGuarantee::AtLeastOnce,
                    ProcessingGuarantee::ExactlyOnceV2,
                    ProcessingGuarantee::ExactlyOnce,
                ][v.index()],
            )
        },
        default_doc: None,
    },
    Binding {
        key: &COMMIT_INTERVAL_MS,
        get: |c| Some(Val::Int(c.commit_interval_ms)),
        set: |c, v| c.commit_interval_ms = v.int(),
        default_doc: Some("30000 under `at_least_once`, 100 under `exactly_once` and `exactly_once_v2`"),
    },
    num!(TRANSACTION_TIMEOUT_MS, transaction_timeout_ms),
    num!(LINGER_MS, linger_ms),
    num!(MAX_POLL_RECORDS, max_poll_records),
    num!(SESSION_TIMEOUT_MS, session_timeout_ms),
    num!(HEARTBEAT_INTERVAL_MS, heartbeat_interval_ms),
    num!(MAX_POLL_INTERVAL_MS, max_poll_interval_ms),
    num!(REQUEST_TIMEOUT_MS, request_timeout_ms),
];

/// The default column of `b` in the reference, from `default` (the struct's default).
fn default_text<C>(b: &Binding<C>, default: &C) -> String {
    if let Some(d) = b.default_doc {
        return d.to_string();
    }
    match (b.get)(default) {
        Some(v) => format!("`{}`", v.toml(b.key)),
        None => "none".into(),
    }
}

/// The rows of one scope's reference table.
fn rows<C>(bindings: &[Binding<C>], default: &C) -> Vec<String> {
    bindings
        .iter()
        .map(|b| {
            format!(
                "| `\"{}\"` | {} | {} | {} |",
                b.key.name,
                b.key.kind.describe(),
                default_text(b, default),
                b.key.doc
            )
        })
        .collect()
}

/// The config reference of `scope`, as docs/scenario-format.md holds it: a Markdown table of
/// every key the scope accepts, with its type, default and meaning.
pub fn reference_table(scope: Scope) -> String {
    let rows = match scope {
        Scope::Broker => rows(BROKER, &BrokerConfig::default()),
        Scope::Topic => rows(TOPIC, &TopicSpec::new("t", 1, 1)),
        Scope::Producer => rows(PRODUCER, &ProducerConfig::default()),
        Scope::Consumer => rows(CONSUMER, &ConsumerConfig::default()),
        Scope::Processor => rows(PROCESSOR, &ProcessorConfig::default()),
    };
    let mut out = String::from("| Key | Type | Default | Meaning |\n|---|---|---|---|\n");
    for r in rows {
        out.push_str(&r);
        out.push('\n');
    }
    out
}

/// Every key of the table, each once, in scope order.
pub fn all_keys() -> Vec<&'static ConfigKey> {
    let mut out: Vec<&'static ConfigKey> = Vec::new();
    for s in Scope::ALL {
        for k in s.keys() {
            if !out.iter().any(|x| std::ptr::eq(*x, k)) {
                out.push(k);
            }
        }
    }
    out
}
